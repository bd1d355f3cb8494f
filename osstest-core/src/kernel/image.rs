// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! What machine a kernel image is for, from its first bytes.
//!
//! Recognised, in this order: a compressed image (gzip, xz, zstd: Debian's
//! arm64 `vmlinuz` is a gzipped `Image`) is decompressed first; an ELF
//! `vmlinux` (its `e_machine` and class); an x86 bzImage (the setup
//! header's `HdrS` at 0x202; `XLF_KERNEL_64` in `xloadflags` tells 64-bit);
//! an arm64 `Image` (`ARM\x64` at 0x38); an ARM `zImage` (0x016f2818 at
//! 0x24); an EFI zboot image (`zimg` at 4) or any other PE image by its
//! COFF machine.

use serde::Serialize;

use crate::build::arch::Arch;
use crate::format::compress::{Compression, Decompressor};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How many bytes of an image [`ImageArch::detect`] needs.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The target of a kernel image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageArch {
    /// The image format (`"arm64 Image"`, `"ARM zImage"`, `"x86 bzImage"`,
    /// `"ELF"`, `"EFI zboot"`, `"PE"`), with `", gzip"` etc. when it is
    /// compressed as a whole.
    pub format: String,
    /// The ELF machine number its modules must carry (`EM_*`).
    pub elf_machine: u16,
    /// 32 or 64.
    pub bits: u8,
}

const EM_386: u16 = 3;
const EM_ARM: u16 = 40;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const EM_RISCV: u16 = 243;

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl ImageArch {
    /// Recognises an image from its first bytes (up to [`HEAD_BYTES`]);
    /// `None` if the format is not one of those above.
    pub fn detect(head: &[u8]) -> Option<ImageArch> {
        let c = Compression::from_magic_readable(head);
        if c != Compression::None {
            let mut plain = Vec::with_capacity(HEAD_BYTES);
            let d = Decompressor::with_threads(c, head, 1).ok()?;
            // The head is cut short, so the decompressor ends in an error:
            // keep what came out before it.
            let _ = d.take(HEAD_BYTES as u64).read_to_end(&mut plain);
            let mut a = Self::detect_plain(&plain)?;
            a.format = format!("{}, {c}", a.format);
            return Some(a);
        }
        Self::detect_plain(head)
    }

    fn detect_plain(b: &[u8]) -> Option<ImageArch> {
        let a = |format: &str, elf_machine, bits| {
            Some(ImageArch {
                format: format.to_owned(),
                elf_machine,
                bits,
            })
        };
        if b.starts_with(b"\x7fELF") {
            let bits = match b.get(4)? {
                1 => 32,
                2 => 64,
                _ => return None,
            };
            let machine = match b.get(5)? {
                1 => le16(b, 18)?,
                2 => u16::from_be_bytes(b.get(18..20)?.try_into().ok()?),
                _ => return None,
            };
            return a("ELF", machine, bits);
        }
        if b.get(0x202..0x206) == Some(b"HdrS") {
            // xloadflags (boot protocol 2.12+) at 0x236; bit 0 XLF_KERNEL_64.
            let xloadflags = le16(b, 0x236).unwrap_or(0);
            return if xloadflags & 1 != 0 {
                a("x86 bzImage", EM_X86_64, 64)
            } else {
                a("x86 bzImage", EM_386, 32)
            };
        }
        if b.get(0x38..0x3c) == Some(b"ARM\x64") {
            return a("arm64 Image", EM_AARCH64, 64);
        }
        if b.get(0x30..0x34) == Some(b"RSC\x05") {
            return a("RISC-V Image", EM_RISCV, 64);
        }
        if le32(b, 0x24) == Some(0x016f_2818) {
            return a("ARM zImage", EM_ARM, 32);
        }
        if b.starts_with(b"MZ") {
            let pe = le32(b, 0x3c)? as usize;
            if b.get(pe..pe + 4) != Some(b"PE\0\0") {
                return None;
            }
            let format = if b.get(4..8) == Some(b"zimg") {
                "EFI zboot"
            } else {
                "PE"
            };
            return match le16(b, pe + 4)? {
                0xaa64 => a(format, EM_AARCH64, 64),
                0x8664 => a(format, EM_X86_64, 64),
                0x01c2 | 0x01c4 => a(format, EM_ARM, 32),
                0x014c => a(format, EM_386, 32),
                0x5064 => a(format, EM_RISCV, 64),
                _ => None,
            };
        }
        None
    }
}

/// What an image file is for: a kernel image, a Xen hypervisor (Xen's
/// Arm `xen` carries the arm64 Image or ARM zImage header, its `xen-syms`
/// is ELF) or any ELF program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFile {
    /// The file read.
    pub path: PathBuf,
    /// Its format and machine.
    #[serde(flatten)]
    pub arch: ImageArch,
    /// The `XEN_TARGET_ARCH` of code for that machine, where Xen builds
    /// for it ([`Arch::xen_target_arch_of`]).
    pub xen_target_arch: Option<&'static str>,
}

/// Why an image file could not be recognised.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Opening or reading it failed.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Its first bytes are no format [`ImageArch::detect`] knows.
    #[error("{path}: not an image this recognises (ELF, arm64 Image, ARM zImage, x86 bzImage, EFI PE, compressed or not)")]
    Unrecognised {
        /// The file.
        path: PathBuf,
    },
}

impl ImageFile {
    /// Reads the first [`HEAD_BYTES`] of `path` and recognises them.
    pub fn read(path: &Path) -> Result<ImageFile, ImageError> {
        let read_err = |source| ImageError::Read {
            path: path.to_owned(),
            source,
        };
        let mut head = Vec::with_capacity(HEAD_BYTES);
        std::fs::File::open(path)
            .map_err(read_err)?
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(read_err)?;
        let arch = ImageArch::detect(&head).ok_or_else(|| ImageError::Unrecognised {
            path: path.to_owned(),
        })?;
        Ok(ImageFile {
            path: path.to_owned(),
            xen_target_arch: Arch::xen_target_arch_of(arch.elf_machine, arch.bits),
            arch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let mut b = vec![0u8; 0x400];
        b[0x38..0x3c].copy_from_slice(b"ARM\x64");
        assert_eq!(ImageArch::detect(&b).unwrap().elf_machine, EM_AARCH64);

        let mut b = vec![0u8; 0x400];
        b[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_le_bytes());
        assert_eq!(ImageArch::detect(&b).unwrap().elf_machine, EM_ARM);

        let mut b = vec![0u8; 0x400];
        b[0x202..0x206].copy_from_slice(b"HdrS");
        assert_eq!(ImageArch::detect(&b).unwrap().bits, 32);
        b[0x236] = 1;
        let x = ImageArch::detect(&b).unwrap();
        assert_eq!((x.elf_machine, x.bits), (EM_X86_64, 64));

        assert_eq!(ImageArch::detect(b"not a kernel at all"), None);
    }

    #[test]
    fn image_files_name_the_file() {
        let dir = std::env::temp_dir().join(format!("osstest-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zimage = dir.join("xen");
        let mut b = vec![0u8; 0x400];
        b[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_le_bytes());
        std::fs::write(&zimage, &b).unwrap();
        let f = ImageFile::read(&zimage).unwrap();
        assert_eq!(
            (f.arch.format.as_str(), f.xen_target_arch),
            ("ARM zImage", Some("arm32"))
        );
        let junk = dir.join("junk");
        std::fs::write(&junk, b"#!/bin/sh\n").unwrap();
        let e = ImageFile::read(&junk).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: not an image", junk.display())),
            "{e}"
        );
        let e = ImageFile::read(&dir.join("absent"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("absent: No such file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
