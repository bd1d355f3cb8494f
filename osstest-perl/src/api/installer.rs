// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The installer's kernel: `di_kernel` (the main job) and
//! `installer_modules` (the modules segment alone).

use std::path::PathBuf;

use osstest_core::format::BadSourceDateEpoch;
use osstest_core::installer::{self, InstallerError, Manifest, ModulesReport, Options};

/// An installer call's error: the core's, or a bad `$SOURCE_DATE_EPOCH`.
#[derive(Debug, thiserror::Error)]
pub enum InstallerApiError {
    /// From the core.
    #[error(transparent)]
    Installer(#[from] InstallerError),
    /// The environment.
    #[error(transparent)]
    Environment(#[from] BadSourceDateEpoch),
}

fn with_mtime(opts: Option<Options>) -> Result<Options, InstallerApiError> {
    let mut opts = opts.unwrap_or_default();
    if opts.mtime.is_none() {
        opts.mtime = Some(super::mtime_or_zero()?);
    }
    Ok(opts)
}

/// `di_kernel($source, $di_initrd, $outdir, \%opts)`: the kernel image,
/// the modules segment, the combined initrd, the DTBs and the manifest in
/// `$outdir`; returns the manifest.
pub fn di_kernel(
    source: PathBuf,
    di_initrd: PathBuf,
    outdir: PathBuf,
    opts: Option<Options>,
) -> Result<Manifest, InstallerApiError> {
    let opts = with_mtime(opts)?;
    Ok(installer::di_kernel(&source, &di_initrd, &outdir, &opts)?)
}

/// `installer_modules($source, $out, \%opts)`: the modules segment alone,
/// written to `$out`; returns what went in.
pub fn installer_modules(
    source: PathBuf,
    out: PathBuf,
    opts: Option<Options>,
) -> Result<ModulesReport, InstallerApiError> {
    let opts = with_mtime(opts)?;
    Ok(installer::installer_modules(&source, &out, &opts)?)
}
