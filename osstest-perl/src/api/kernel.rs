// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Kernel artifact functions: reading and unpicking a kernel from a
//! `.deb`, a kerndist tarball or a tree.

use std::path::PathBuf;

use osstest_core::kernel::{
    ImageError, ImageFile, KernelError, KernelInfo, KernelSource, Selection,
};

/// `kernel_info($source)`: what a kernel source holds, checked, without
/// extracting anything.
pub fn kernel_info(source: PathBuf) -> Result<KernelInfo, KernelError> {
    KernelSource::open(source)?.info()
}

/// `kernel_unpick($source, $destdir, \%opts)`: checks the source and
/// extracts the image, modules and DTBs (as `%opts` selects) under
/// `$destdir`.
pub fn kernel_unpick(
    source: PathBuf,
    destdir: PathBuf,
    opts: Option<Selection>,
) -> Result<KernelInfo, KernelError> {
    KernelSource::open(source)?.unpick(&destdir, &opts.unwrap_or_default())
}

/// `image_file($path)`: the format and machine of a kernel image, a Xen
/// hypervisor or an ELF program, and its `XEN_TARGET_ARCH`.
pub fn image_file(path: PathBuf) -> Result<ImageFile, ImageError> {
    ImageFile::read(&path)
}
