// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The manifest: what [`super::di_kernel`] made, from what, and why each
//! module is in the installer.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::format::initrd::{AppendReport, Inspection};
use crate::kernel::modules::{Missing, Reason};
use crate::kernel::{KernelSource, ModulePath};

use super::collect::Collected;
use super::segment::SegmentReport;
use super::Options;

/// The manifest written as `manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// The kernel.
    pub kernel: KernelSummary,
    /// The installer initrd it was combined with.
    pub di_initrd: BaseSummary,
    /// The modules in the segment.
    pub modules: ModulesSummary,
    /// The segment.
    pub segment: SegmentReport,
    /// The combined initrd's segments (the installer's first).
    pub initrd_segments: usize,
    /// Every output, by role (`image`, `initrd`, `modules_segment`, `dtbs`).
    pub outputs: BTreeMap<String, OutputFile>,
    /// The options used.
    pub options: OptionsSummary,
}

/// Which kernel.
#[derive(Debug, Clone, Serialize)]
pub struct KernelSummary {
    /// The source it was read from.
    pub source: String,
    /// `deb`, `kerndist` or `tree`.
    pub source_kind: String,
    /// The kernel version.
    pub version: String,
    /// The package name, for a .deb.
    pub package: Option<String>,
    /// The package version, for a .deb.
    pub package_version: Option<String>,
    /// The Debian architecture, for a .deb.
    pub debian_arch: Option<String>,
    /// The image's path in the source.
    pub image: String,
    /// What the image is (`arm64 Image`, `ARM zImage`, ...).
    pub image_format: String,
    /// The image's ELF machine number.
    pub elf_machine: u16,
    /// 32 or 64.
    pub bits: u8,
    /// How many modules the kernel has.
    pub modules: usize,
    /// Where they are in the source.
    pub module_dir: String,
    /// How many DTBs.
    pub dtbs: usize,
}

/// The installer initrd.
#[derive(Debug, Clone, Serialize)]
pub struct BaseSummary {
    /// Its path.
    pub path: String,
    /// Its size.
    pub size: u64,
    /// Its sha256.
    pub sha256: String,
    /// Its segments.
    pub segments: usize,
    /// The kernel versions it already has modules for
    /// (`lib/modules/VERSION`), which the appended modules merge with when
    /// the version is the same.
    pub module_versions: Vec<String>,
}

/// One module of the segment.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleEntry {
    /// Its name.
    pub name: String,
    /// Its path under the module directory.
    pub path: String,
    /// Its size as stored.
    pub size: u64,
    /// Why it is there.
    #[serde(flatten)]
    pub reason: Reason,
}

/// The modules of the segment.
#[derive(Debug, Clone, Serialize)]
pub struct ModulesSummary {
    /// How many: matched by the patterns, added as dependencies, in all.
    pub matched: usize,
    /// Added by the closure.
    pub added: usize,
    /// All of them.
    pub included: usize,
    /// Dependencies that are neither modules nor built in.
    pub missing: Vec<Missing>,
    /// Each module.
    pub list: Vec<ModuleEntry>,
}

/// One output file.
#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    /// Its name in the output directory.
    pub file: String,
    /// Its size.
    pub size: u64,
    /// Its sha256.
    pub sha256: String,
}

/// The options, as used.
#[derive(Debug, Clone, Serialize)]
pub struct OptionsSummary {
    /// The default rules were the start.
    pub classic: bool,
    /// The Contents-udeb index read.
    pub contents_udeb: Option<String>,
    /// The udebs whose modules it selected.
    pub udebs: Option<Vec<String>>,
    /// Extra include patterns.
    pub include: Vec<String>,
    /// Exclude patterns.
    pub exclude: Vec<String>,
    /// Modules kept compressed.
    pub keep_module_compression: bool,
    /// The mtime of every entry.
    pub mtime: u32,
}

/// The modules of the subset, each with its reason.
pub(super) fn modules_summary(c: &Collected) -> ModulesSummary {
    let list: Vec<ModuleEntry> = c
        .closure
        .included
        .iter()
        .map(|m| ModuleEntry {
            name: m.name.clone(),
            path: m.path.clone(),
            size: c.held.get(&m.name).map_or(0, |h| h.size),
            reason: m.reason.clone(),
        })
        .collect();
    let added = c.closure.added().count();
    ModulesSummary {
        matched: list.len() - added,
        added,
        included: list.len(),
        missing: c.closure.missing.clone(),
        list,
    }
}

/// Gathers the manifest. `outputs`: each output by its role (`image`,
/// `modules_segment`, `initrd`, `dtbs`), hashed as it was written or read
/// back; the d-i initrd's size and sha256 are those `base` read.
#[allow(clippy::too_many_arguments)]
pub(super) fn build(
    src: &KernelSource,
    di_initrd: &Path,
    base: &Inspection,
    c: &Collected,
    segment: &SegmentReport,
    append: &AppendReport,
    opts: &Options,
    outputs: BTreeMap<String, OutputFile>,
) -> Manifest {
    let mut module_versions: Vec<String> = base
        .files
        .iter()
        .filter_map(|f| ModulePath::parse(&f.name).filter(|m| m.rest.is_empty()))
        .map(|m| m.version.to_owned())
        .collect();
    module_versions.sort();
    module_versions.dedup();
    let (package, package_version, debian_arch) = match &c.package {
        Some((p, v, a)) => (Some(p.clone()), Some(v.clone()), Some(a.clone())),
        None => (None, None, None),
    };
    Manifest {
        kernel: KernelSummary {
            source: src.path().display().to_string(),
            source_kind: format!("{:?}", src.kind()).to_lowercase(),
            version: c.version.clone(),
            package,
            package_version,
            debian_arch,
            image: c.image.path.clone(),
            image_format: c.image.arch.format.clone(),
            elf_machine: c.image.arch.elf_machine,
            bits: c.image.arch.bits,
            modules: c.modules.modules().len(),
            module_dir: c.source_moddir.clone(),
            dtbs: c.dtb_count,
        },
        di_initrd: BaseSummary {
            path: di_initrd.display().to_string(),
            size: base.size,
            sha256: base.sha256.clone(),
            segments: base.segments.len(),
            module_versions,
        },
        modules: modules_summary(c),
        segment: segment.clone(),
        initrd_segments: append.segments.len(),
        outputs,
        options: OptionsSummary {
            classic: opts.classic,
            contents_udeb: opts.contents_udeb.as_ref().map(|p| p.display().to_string()),
            udebs: opts.contents_udeb.as_ref().map(|_| opts.udebs_wanted()),
            include: opts.include.clone(),
            exclude: opts.exclude.clone(),
            keep_module_compression: opts.keep_module_compression,
            mtime: opts.mtime.unwrap_or(0),
        },
    }
}
