// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Debian architecture facts.
//!
//! One [`Arch`] per Debian architecture name (`amd64`, `armhf`, `arm64`,
//! ...), with the names other tools use for it: the GNU triplet (what
//! `dpkg-architecture -qDEB_HOST_GNU_TYPE` prints), the kernel's `ARCH`, Xen's
//! `XEN_TARGET_ARCH`, and the ELF identity of binaries built for it.
//!
//! Beside the names, the facts a kernel build and its boot check need: the
//! image make target and where it lands, whether device trees are built,
//! the default configuration, and the QEMU emulators (system, to boot the
//! kernel; user, to run a program) for the architecture.
//!
//! The table is data, checked against `dpkg-architecture` by the tests
//! (`tests/arch_oracle.rs`, `tests/perl/arch_info.t`); the kernel facts are
//! exercised by the golden runes and the cross-compile checks.

use serde::Serialize;

/// Byte order of an architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// The name `dpkg-architecture -qDEB_HOST_ARCH_ENDIAN` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }
}

/// The facts about one Debian architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arch {
    /// Debian's name: `armhf`.
    pub debian: &'static str,
    /// GNU triplet, as Debian uses it: `arm-linux-gnueabihf`.
    pub gnu_triplet: &'static str,
    /// Debian's CPU name (`DEB_HOST_ARCH_CPU`): `arm`.
    pub cpu: &'static str,
    /// The Linux kernel's `ARCH=`: `arm`.
    pub kernel_arch: &'static str,
    /// Xen's `XEN_TARGET_ARCH=`, where Xen builds for this architecture.
    pub xen_target_arch: Option<&'static str>,
    /// ELF `e_machine` name: `EM_ARM`.
    pub elf_machine: &'static str,
    /// ELF `e_machine` number: 40.
    pub elf_machine_number: u16,
    /// Word size in bits (the ELF class): 32 or 64.
    pub bits: u8,
    /// Byte order.
    pub endian: Endian,
    /// Debian's multiarch directory (`DEB_HOST_MULTIARCH`):
    /// `arm-linux-gnueabihf`; differs from the triplet on i386
    /// (`i386-linux-gnu`).
    pub multiarch: &'static str,
    /// What the kernel's `make ARCH=` is given for this architecture:
    /// `kernel_arch`, except on x86 where `i386` and `x86_64` pick the word
    /// size (plain `ARCH=x86` follows the build host's).
    pub kernel_make_arch: &'static str,
    /// The kernel's image make target: `zImage`, `Image`, `bzImage`.
    pub kernel_image_target: &'static str,
    /// Where that target leaves the image, relative to the top of the
    /// kernel build tree: `arch/arm/boot/zImage`.
    pub kernel_image_path: &'static str,
    /// Whether the kernel builds device tree blobs (`make dtbs`) and
    /// installs them (`make dtbs_install`).
    pub dtbs: bool,
    /// The kernel's default configuration target: `multi_v7_defconfig`.
    pub defconfig: &'static str,
    /// The QEMU system emulator that boot-checks a kernel built for this
    /// architecture: `qemu-system-arm`.
    pub qemu_system: &'static str,
    /// Its `-M` machine: `virt`.
    pub qemu_machine: &'static str,
    /// Its `-cpu`, where the machine's default will not do.
    pub qemu_cpu: Option<&'static str>,
    /// The QEMU user-mode emulator that runs a program built for this
    /// architecture (`qemu-arm`; Debian's `qemu-user-static` names it with
    /// a `-static` suffix).
    pub qemu_user: &'static str,
}

/// Every architecture we know, in Debian's order of importance for osstest.
///
/// The Debian release architectures of bookworm and trixie, plus `mipsel`
/// (bookworm) and `loong64` (a Debian port) so that their names are known.
pub const ARCHES: &[Arch] = &[
    Arch {
        debian: "amd64",
        gnu_triplet: "x86_64-linux-gnu",
        cpu: "amd64",
        kernel_arch: "x86",
        xen_target_arch: Some("x86_64"),
        elf_machine: "EM_X86_64",
        elf_machine_number: 62,
        bits: 64,
        endian: Endian::Little,
        multiarch: "x86_64-linux-gnu",
        kernel_make_arch: "x86_64",
        kernel_image_target: "bzImage",
        kernel_image_path: "arch/x86/boot/bzImage",
        dtbs: false,
        defconfig: "x86_64_defconfig",
        qemu_system: "qemu-system-x86_64",
        qemu_machine: "q35",
        qemu_cpu: None,
        qemu_user: "qemu-x86_64",
    },
    Arch {
        debian: "i386",
        gnu_triplet: "i686-linux-gnu",
        cpu: "i386",
        kernel_arch: "x86",
        xen_target_arch: Some("x86_32"),
        elf_machine: "EM_386",
        elf_machine_number: 3,
        bits: 32,
        endian: Endian::Little,
        multiarch: "i386-linux-gnu",
        kernel_make_arch: "i386",
        kernel_image_target: "bzImage",
        kernel_image_path: "arch/x86/boot/bzImage",
        dtbs: false,
        defconfig: "i386_defconfig",
        qemu_system: "qemu-system-i386",
        qemu_machine: "pc",
        qemu_cpu: None,
        qemu_user: "qemu-i386",
    },
    Arch {
        debian: "armhf",
        gnu_triplet: "arm-linux-gnueabihf",
        cpu: "arm",
        kernel_arch: "arm",
        xen_target_arch: Some("arm32"),
        elf_machine: "EM_ARM",
        elf_machine_number: 40,
        bits: 32,
        endian: Endian::Little,
        multiarch: "arm-linux-gnueabihf",
        kernel_make_arch: "arm",
        kernel_image_target: "zImage",
        kernel_image_path: "arch/arm/boot/zImage",
        dtbs: true,
        defconfig: "multi_v7_defconfig",
        qemu_system: "qemu-system-arm",
        qemu_machine: "virt",
        qemu_cpu: Some("cortex-a15"),
        qemu_user: "qemu-arm",
    },
    Arch {
        debian: "armel",
        gnu_triplet: "arm-linux-gnueabi",
        cpu: "arm",
        kernel_arch: "arm",
        // Xen on 32-bit ARM needs ARMv7 with the virtualisation extensions;
        // armel is Debian's ARMv5 port, whose userland osstest never builds
        // Xen for.
        xen_target_arch: None,
        elf_machine: "EM_ARM",
        elf_machine_number: 40,
        bits: 32,
        endian: Endian::Little,
        multiarch: "arm-linux-gnueabi",
        kernel_make_arch: "arm",
        kernel_image_target: "zImage",
        kernel_image_path: "arch/arm/boot/zImage",
        dtbs: true,
        defconfig: "multi_v5_defconfig",
        qemu_system: "qemu-system-arm",
        qemu_machine: "versatilepb",
        qemu_cpu: Some("arm926"),
        qemu_user: "qemu-arm",
    },
    Arch {
        debian: "arm64",
        gnu_triplet: "aarch64-linux-gnu",
        cpu: "arm64",
        kernel_arch: "arm64",
        xen_target_arch: Some("arm64"),
        elf_machine: "EM_AARCH64",
        elf_machine_number: 183,
        bits: 64,
        endian: Endian::Little,
        multiarch: "aarch64-linux-gnu",
        kernel_make_arch: "arm64",
        kernel_image_target: "Image",
        kernel_image_path: "arch/arm64/boot/Image",
        dtbs: true,
        defconfig: "defconfig",
        qemu_system: "qemu-system-aarch64",
        qemu_machine: "virt",
        qemu_cpu: Some("cortex-a57"),
        qemu_user: "qemu-aarch64",
    },
    Arch {
        debian: "riscv64",
        gnu_triplet: "riscv64-linux-gnu",
        cpu: "riscv64",
        kernel_arch: "riscv",
        xen_target_arch: Some("riscv64"),
        elf_machine: "EM_RISCV",
        elf_machine_number: 243,
        bits: 64,
        endian: Endian::Little,
        multiarch: "riscv64-linux-gnu",
        kernel_make_arch: "riscv",
        kernel_image_target: "Image",
        kernel_image_path: "arch/riscv/boot/Image",
        dtbs: true,
        defconfig: "defconfig",
        qemu_system: "qemu-system-riscv64",
        qemu_machine: "virt",
        qemu_cpu: None,
        qemu_user: "qemu-riscv64",
    },
    Arch {
        debian: "ppc64el",
        gnu_triplet: "powerpc64le-linux-gnu",
        cpu: "ppc64el",
        kernel_arch: "powerpc",
        xen_target_arch: Some("ppc64"),
        elf_machine: "EM_PPC64",
        elf_machine_number: 21,
        bits: 64,
        endian: Endian::Little,
        multiarch: "powerpc64le-linux-gnu",
        kernel_make_arch: "powerpc",
        kernel_image_target: "vmlinux",
        kernel_image_path: "vmlinux",
        dtbs: false,
        defconfig: "ppc64le_defconfig",
        qemu_system: "qemu-system-ppc64",
        qemu_machine: "pseries",
        qemu_cpu: None,
        qemu_user: "qemu-ppc64le",
    },
    Arch {
        debian: "s390x",
        gnu_triplet: "s390x-linux-gnu",
        cpu: "s390x",
        kernel_arch: "s390",
        xen_target_arch: None,
        elf_machine: "EM_S390",
        elf_machine_number: 22,
        bits: 64,
        endian: Endian::Big,
        multiarch: "s390x-linux-gnu",
        kernel_make_arch: "s390",
        kernel_image_target: "bzImage",
        kernel_image_path: "arch/s390/boot/bzImage",
        dtbs: false,
        defconfig: "defconfig",
        qemu_system: "qemu-system-s390x",
        qemu_machine: "s390-ccw-virtio",
        qemu_cpu: None,
        qemu_user: "qemu-s390x",
    },
    Arch {
        debian: "mips64el",
        gnu_triplet: "mips64el-linux-gnuabi64",
        cpu: "mips64el",
        kernel_arch: "mips",
        xen_target_arch: None,
        elf_machine: "EM_MIPS",
        elf_machine_number: 8,
        bits: 64,
        endian: Endian::Little,
        multiarch: "mips64el-linux-gnuabi64",
        kernel_make_arch: "mips",
        kernel_image_target: "vmlinux",
        kernel_image_path: "vmlinux",
        dtbs: false,
        defconfig: "loongson3_defconfig",
        qemu_system: "qemu-system-mips64el",
        qemu_machine: "loongson3-virt",
        qemu_cpu: None,
        qemu_user: "qemu-mips64el",
    },
    Arch {
        debian: "mipsel",
        gnu_triplet: "mipsel-linux-gnu",
        cpu: "mipsel",
        kernel_arch: "mips",
        xen_target_arch: None,
        elf_machine: "EM_MIPS",
        elf_machine_number: 8,
        bits: 32,
        endian: Endian::Little,
        multiarch: "mipsel-linux-gnu",
        kernel_make_arch: "mips",
        kernel_image_target: "vmlinux",
        kernel_image_path: "vmlinux",
        dtbs: false,
        defconfig: "malta_defconfig",
        qemu_system: "qemu-system-mipsel",
        qemu_machine: "malta",
        qemu_cpu: None,
        qemu_user: "qemu-mipsel",
    },
    Arch {
        debian: "loong64",
        gnu_triplet: "loongarch64-linux-gnu",
        cpu: "loong64",
        kernel_arch: "loongarch",
        xen_target_arch: None,
        elf_machine: "EM_LOONGARCH",
        elf_machine_number: 258,
        bits: 64,
        endian: Endian::Little,
        multiarch: "loongarch64-linux-gnu",
        kernel_make_arch: "loongarch",
        kernel_image_target: "vmlinux.efi",
        kernel_image_path: "arch/loongarch/boot/vmlinux.efi",
        dtbs: false,
        defconfig: "loongson3_defconfig",
        qemu_system: "qemu-system-loongarch64",
        qemu_machine: "virt",
        qemu_cpu: None,
        qemu_user: "qemu-loongarch64",
    },
];

/// An architecture name we do not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Debian architecture '{name}' (known: {known})")]
pub struct UnknownArch {
    /// The name asked for.
    pub name: String,
    /// The names we know, comma-separated, for the message.
    known: String,
}

impl Arch {
    /// Looks up a Debian architecture by name.
    pub fn by_debian(name: &str) -> Result<&'static Arch, UnknownArch> {
        ARCHES
            .iter()
            .find(|a| a.debian == name)
            .ok_or_else(|| UnknownArch {
                name: name.to_owned(),
                known: ARCHES
                    .iter()
                    .map(|a| a.debian)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Words for ELF machine `elf_machine` with word size `bits`: the
    /// Debian architectures that run such code (`armhf/armel (EM_ARM,
    /// 32-bit)`), for messages about code of the wrong architecture.
    pub fn describe_machine(elf_machine: u16, bits: u8) -> String {
        let names: Vec<&str> = ARCHES
            .iter()
            .filter(|a| a.elf_machine_number == elf_machine && a.bits == bits)
            .map(|a| a.debian)
            .collect();
        let em = ARCHES
            .iter()
            .find(|a| a.elf_machine_number == elf_machine)
            .map_or_else(
                || format!("ELF machine {elf_machine}"),
                |a| a.elf_machine.to_owned(),
            );
        if names.is_empty() {
            format!("{em}, {bits}-bit")
        } else {
            format!("{} ({em}, {bits}-bit)", names.join("/"))
        }
    }

    /// The `XEN_TARGET_ARCH` of code for ELF machine `elf_machine` with
    /// word size `bits` (what [`crate::kernel::ImageArch`] reads from an
    /// image): `arm64` for 64-bit `EM_AARCH64`, `arm32` for 32-bit
    /// `EM_ARM`; `None` where Xen builds for no architecture of that
    /// machine.
    pub fn xen_target_arch_of(elf_machine: u16, bits: u8) -> Option<&'static str> {
        ARCHES
            .iter()
            .filter(|a| a.elf_machine_number == elf_machine && a.bits == bits)
            .find_map(|a| a.xen_target_arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_known() {
        let a = Arch::by_debian("arm64").unwrap();
        assert_eq!(a.gnu_triplet, "aarch64-linux-gnu");
        assert_eq!(a.kernel_arch, "arm64");
        assert_eq!(a.xen_target_arch, Some("arm64"));
        assert_eq!(a.bits, 64);
        let h = Arch::by_debian("armhf").unwrap();
        assert_eq!(h.xen_target_arch, Some("arm32"));
        assert_eq!(h.elf_machine, "EM_ARM");
        assert_eq!(Arch::by_debian("s390x").unwrap().endian, Endian::Big);
    }

    #[test]
    fn lookup_unknown_names_it() {
        let e = Arch::by_debian("vax").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("'vax'"), "{msg}");
        assert!(msg.contains("armhf"), "{msg}");
    }

    #[test]
    fn xen_target_arch_from_the_machine() {
        assert_eq!(Arch::xen_target_arch_of(183, 64), Some("arm64"));
        assert_eq!(Arch::xen_target_arch_of(40, 32), Some("arm32"));
        assert_eq!(Arch::xen_target_arch_of(62, 64), Some("x86_64"));
        assert_eq!(Arch::xen_target_arch_of(40, 64), None);
        assert_eq!(Arch::xen_target_arch_of(22, 64), None);
    }

    #[test]
    fn machines_described_by_their_arches() {
        assert_eq!(
            Arch::describe_machine(183, 64),
            "arm64 (EM_AARCH64, 64-bit)"
        );
        assert_eq!(Arch::describe_machine(62, 64), "amd64 (EM_X86_64, 64-bit)");
        assert_eq!(Arch::describe_machine(40, 64), "EM_ARM, 64-bit");
        assert_eq!(Arch::describe_machine(9999, 32), "ELF machine 9999, 32-bit");
    }

    #[test]
    fn names_unique() {
        let mut names: Vec<_> = ARCHES.iter().map(|a| a.debian).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ARCHES.len());
    }
}
