//! Debian architecture facts.
//!
//! One [`Arch`] per Debian architecture name (`amd64`, `armhf`, `arm64`,
//! ...), with the names other tools use for it: the GNU triplet (what
//! `dpkg-architecture -qDEB_HOST_GNU_TYPE` prints), the kernel's `ARCH`, Xen's
//! `XEN_TARGET_ARCH`, and the ELF identity of binaries built for it.
//!
//! The table is data, checked against `dpkg-architecture` by the tests.

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
    fn names_unique() {
        let mut names: Vec<_> = ARCHES.iter().map(|a| a.debian).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ARCHES.len());
    }
}
