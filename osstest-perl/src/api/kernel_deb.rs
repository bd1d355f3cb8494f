// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Kernel build outputs: the `linux-image` package, which outputs a build
//! stashes, and putting the kernel onto the installed system.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use osstest_core::flight::kernel_outputs::{KernelOutputs, KernelOutputsError};
use osstest_core::format::{source_date_epoch, BadSourceDateEpoch};
use osstest_core::installer::target_install::{
    TargetInstall, TargetInstallError, TargetInstallOptions,
};
use osstest_core::kernel::package::{
    write_kernel_deb_from, DebWriteError, KernelDeb, KernelDebOptions,
};

/// The options of `kernel_deb`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KernelDebOpts {
    /// Target Debian architecture (required).
    pub arch: Option<String>,
    /// Target suite (required).
    pub suite: Option<String>,
    /// Kernel release; default: from the tree.
    pub release: Option<String>,
    /// The package's Version; default: the kernel release.
    pub deb_version: Option<String>,
    /// The Maintainer field.
    pub maintainer: Option<String>,
    /// Timestamp of every entry; default `$ENV{SOURCE_DATE_EPOCH}`.
    pub source_date_epoch: Option<u64>,
    /// xz preset, default 6.
    pub xz_level: Option<u32>,
    /// xz threads, default 1.
    pub xz_threads: Option<u32>,
}

/// An error of `kernel_deb`.
#[derive(Debug, thiserror::Error)]
pub enum KernelDebApiError {
    /// A required option is missing.
    #[error("option {0} is required")]
    Missing(&'static str),
    /// No timestamp.
    #[error("no source_date_epoch option and no SOURCE_DATE_EPOCH in the environment (the package's timestamps must be reproducible)")]
    NoEpoch,
    /// `SOURCE_DATE_EPOCH` is not a timestamp.
    #[error(transparent)]
    BadEpoch(#[from] BadSourceDateEpoch),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] DebWriteError),
}

/// `kernel_deb($source, $outdir, \%opts)`: writes
/// `linux-image-VER_VERSION_ARCH.deb` into `$outdir` from the kernel tree,
/// kerndist tarball or `.deb` `$source`.
pub fn kernel_deb(
    source: PathBuf,
    outdir: PathBuf,
    opts: Option<KernelDebOpts>,
) -> Result<KernelDeb, KernelDebApiError> {
    let o = opts.unwrap_or_default();
    let arch = o.arch.ok_or(KernelDebApiError::Missing("arch"))?;
    let suite = o.suite.ok_or(KernelDebApiError::Missing("suite"))?;
    let epoch = match o.source_date_epoch {
        Some(e) => e,
        None => source_date_epoch()?
            .map(u64::from)
            .ok_or(KernelDebApiError::NoEpoch)?,
    };
    let mut k = KernelDebOptions::new(&arch, &suite, epoch);
    k.release = o.release;
    k.deb_version = o.deb_version;
    if let Some(m) = o.maintainer {
        k.maintainer = m;
    }
    if let Some(l) = o.xz_level {
        k.xz_level = l;
    }
    if let Some(t) = o.xz_threads {
        k.xz_threads = t;
    }
    Ok(write_kernel_deb_from(&source, &outdir, &k)?)
}

/// `kernel_outputs(\%r)`: which outputs a kernel build's runvars ask for.
pub fn kernel_outputs(
    runvars: BTreeMap<String, String>,
) -> Result<KernelOutputs, KernelOutputsError> {
    osstest_core::flight::kernel_outputs::kernel_outputs(&runvars)
}

/// `target_install(\%opts)`: the late_command script and boot settings
/// for our kernel on the installed system.
pub fn target_install(opts: TargetInstallOptions) -> Result<TargetInstall, TargetInstallError> {
    osstest_core::installer::target_install::target_install(&opts)
}
