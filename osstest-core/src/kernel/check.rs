// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The one consistency check of a kernel, whoever reads it.
//!
//! [`KernelSource::info`] and [`KernelSource::unpick`] (`kernel_info`,
//! `kernel_unpick`) and the installer's reading of a kernel (`di_kernel`,
//! `installer_modules`) feed a [`KernelCheck`] as the entries go by: the
//! version every entry's name carries, the image's first bytes, every
//! module's metadata, and at the end the package's control fields. It
//! gives the checked facts, or the error; so a fault is found, and worded,
//! the same way by every path:
//!
//! - exactly one image (`boot/vmlinuz-VER` or `boot/vmlinux-VER`), of a
//!   format [`ImageArch::detect`] recognises;
//! - exactly one kernel version among the image, the modules, `System.map`
//!   and `config`;
//! - every module for one ELF machine and class, the image's, and with a
//!   `vermagic` starting with that version;
//! - a `.deb`'s `Architecture` for the image's ELF machine and class (an
//!   architecture this does not know, such as `all`, is not compared).

use crate::build::arch::Arch;
use crate::format::deb::Control;
use crate::kernel::modinfo::ModuleInfo;

use super::{Entry, ImageArch, KernelError, KernelSource, Role};

/// What [`KernelCheck::finish`] found, checked.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The kernel version (`6.1.0-50-arm64`).
    pub version: String,
    /// The image's path in the source.
    pub image: String,
    /// What the image is for.
    pub arch: ImageArch,
}

/// The first module seen, the reference the others must match.
struct Reference {
    member: String,
    machine: u16,
    bits: u8,
}

/// Checks one kernel source as its entries go by (see the module docs).
pub struct KernelCheck<'s> {
    src: &'s KernelSource,
    image: Option<(String, ImageArch)>,
    /// Each version seen, with the first member naming it, in order.
    versions: Vec<(String, String)>,
    reference: Option<Reference>,
    /// Every module with its `vermagic`.
    vermagics: Vec<(String, String)>,
}

impl<'s> KernelCheck<'s> {
    /// A check of `src`, nothing seen yet.
    pub fn new(src: &'s KernelSource) -> KernelCheck<'s> {
        KernelCheck {
            src,
            image: None,
            versions: Vec::new(),
            reference: None,
            vermagics: Vec::new(),
        }
    }

    /// Notes the kernel version `e`'s name carries, if it is the image, a
    /// module, `System.map` or `config`.
    pub fn entry(&mut self, e: &Entry<'_>) {
        let Some(v) = &e.version else { return };
        let versioned = matches!(
            e.role,
            Role::Image | Role::Module | Role::SystemMap | Role::Config
        );
        if versioned && !self.versions.iter().any(|(x, _)| x == v) {
            self.versions.push((v.clone(), e.path.clone()));
        }
    }

    /// Recognises the image `path` from its first bytes (see
    /// [`ImageArch::detect`]); a second image is an error.
    pub fn image(&mut self, path: &str, head: &[u8]) -> Result<ImageArch, KernelError> {
        if let Some((prev, _)) = &self.image {
            return Err(self
                .src
                .mismatch(format!("two kernel images: {prev} and {path}")));
        }
        let arch = ImageArch::detect(head).ok_or_else(|| {
            self.src.member_err(
                path,
                "not a kernel image this recognises (ELF, arm64 Image, ARM zImage, x86 bzImage, EFI PE)".into(),
            )
        })?;
        self.image = Some((path.to_owned(), arch.clone()));
        Ok(arch)
    }

    /// Checks module `path`'s metadata against the modules before it: one
    /// ELF machine and class, and a `vermagic`.
    pub fn module(&mut self, path: &str, info: &ModuleInfo) -> Result<(), KernelError> {
        match &self.reference {
            None => {
                self.reference = Some(Reference {
                    member: path.to_owned(),
                    machine: info.machine,
                    bits: info.bits,
                })
            }
            Some(r) if (r.machine, r.bits) != (info.machine, info.bits) => {
                return Err(self.src.mismatch(format!(
                    "{path} is for ELF machine {} ({}-bit) but {} is for ELF machine {} ({}-bit)",
                    info.machine, info.bits, r.member, r.machine, r.bits
                )))
            }
            Some(_) => {}
        }
        let vermagic = info
            .vermagic
            .clone()
            .ok_or_else(|| self.src.member_err(path, "module has no vermagic".into()))?;
        self.vermagics.push((path.to_owned(), vermagic));
        Ok(())
    }

    /// After the last entry: checks what holds the kernel together (see
    /// the module docs), with `control` the package's fields for a `.deb`.
    pub fn finish(self, control: Option<&Control>) -> Result<Checked, KernelError> {
        let src = self.src;
        let Some((image, arch)) = self.image else {
            return Err(
                src.mismatch("no kernel image (boot/vmlinuz-VER or boot/vmlinux-VER)".into())
            );
        };
        let version = match self.versions.as_slice() {
            [] => return Err(src.mismatch("no kernel version found".into())),
            [(v, _)] => v.clone(),
            [(v1, m1), (v2, m2), ..] => {
                return Err(src.mismatch(format!(
                    "more than one kernel version: {v1} ({m1}) and {v2} ({m2})"
                )))
            }
        };
        if let Some(r) = &self.reference {
            if (r.machine, r.bits) != (arch.elf_machine, arch.bits) {
                return Err(src.mismatch(format!(
                    "{} is for ELF machine {} ({}-bit) but the image {image} is for ELF machine {} ({}-bit, {})",
                    r.member, r.machine, r.bits, arch.elf_machine, arch.bits, arch.format
                )));
            }
        }
        for (m, vermagic) in &self.vermagics {
            let built_for = vermagic.split_whitespace().next();
            if built_for != Some(version.as_str()) {
                return Err(src.mismatch(format!(
                    "{m} was built for kernel {:?} (vermagic {vermagic:?}), not {version}",
                    built_for.unwrap_or("")
                )));
            }
        }
        if let Some(c) = control {
            if let Ok(a) = Arch::by_debian(c.architecture()) {
                if a.elf_machine_number != arch.elf_machine || a.bits != arch.bits {
                    return Err(src.mismatch(format!(
                        "package Architecture {} but the image {image} is for ELF machine {} ({}-bit)",
                        c.architecture(),
                        arch.elf_machine,
                        arch.bits
                    )));
                }
            }
        }
        Ok(Checked {
            version,
            image,
            arch,
        })
    }
}
