// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The option lists of `kconfighow=xen-enable-xen-config`.
//!
//! osstest's `ts-kernel-build` configures its dom0 kernels by an edit
//! script of `setopt OPTION y|m|n` lines run over the base configuration:
//! the Xen options (Xen's own `buildconfigs/enable-xen-config` in the
//! beginning), a few of osstest's choices (`TUN`, `DEVTMPFS`, no `DRM` or
//! `AGP`, `HYPERVISOR_GUEST`, `HIGHMEM64G`), and the storage and network
//! drivers of its x86 test hosts. These are the same lists for today's
//! kernels, in that order, with the names current in Linux 6.1:
//!
//! - osstest's `XEN_KBDDEV_FRONTEND` is `INPUT_XEN_KBDDEV_FRONTEND` since
//!   Linux 2.6.36; `BOOTSPLASH` and `VIDEO` never were mainline options.
//! - `DEBUG_INFO` is left out: since Linux 5.18 it is not set directly but
//!   chosen in the "Debug information" choice, so `setopt CONFIG_DEBUG_INFO
//!   y` has no effect any more (`olddefconfig` drops it); leaving it out
//!   keeps what osstest's builds get today, and the build short.
//! - The hardware list keeps only the drivers Linux still has
//!   (`SCSI_TGT`, `SCSI_SAS_LIBSAS_DEBUG`, `SCSI_DPT_I2O`, `SCSI_EATA`,
//!   `SCSI_FUTURE_DOMAIN`, `SCSI_GDTH`, `SCSI_DC390T`, `SCSI_SRP` and
//!   `FIRMWARE_IN_KERNEL` are gone) and applies to x86 only: it is the
//!   driver set of osstest's x86 hosts, and ARM boards get theirs from the
//!   platform's defconfig and the overrides.
//!
//! Xen's dom0 and backend options are built in (`y`), as osstest sets
//! them: the hvc console, event channels, grant devices, the block and
//! network backends must be there before any module can be loaded. Each
//! block also turns on what its options depend on, so that they hold
//! whatever the base (`NET`, `NETDEVICES`, `BLOCK`, `TTY`, `INPUT_MISC`;
//! `PCI` and `ACPI` for x86's dom0): `olddefconfig` silently drops an
//! option whose dependencies are off.

use super::Value::{self, M, N, Y};

/// One block of the edit script: a name (for messages and the plan) and
/// its `(option, value)` lines, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// What the block is: `xen`, `xen-arm`, `osstest`, ...
    pub name: &'static str,
    /// Whether a value the kernel's Kconfig does not keep is an error (the
    /// Xen options, osstest's own choices) or expected (the hardware list,
    /// whose drivers come and go).
    pub checked: bool,
    /// The lines, as `(CONFIG_NAME, value)`.
    pub options: &'static [(&'static str, Value)],
}

/// What Xen's dom0 needs on every architecture Linux runs Xen on.
pub const XEN: Block = Block {
    name: "xen",
    checked: true,
    options: &[
        // what the options below depend on
        ("CONFIG_NET", Y),
        ("CONFIG_NETDEVICES", Y),
        ("CONFIG_BLOCK", Y),
        ("CONFIG_TTY", Y),
        ("CONFIG_INPUT", Y),
        ("CONFIG_INPUT_MISC", Y),
        // Xen
        ("CONFIG_XEN", Y),
        ("CONFIG_XEN_DOM0", Y),
        ("CONFIG_XEN_BACKEND", Y),
        ("CONFIG_XEN_BLKDEV_BACKEND", Y),
        ("CONFIG_XEN_NETDEV_BACKEND", Y),
        ("CONFIG_XEN_BLKDEV_FRONTEND", Y),
        ("CONFIG_XEN_NETDEV_FRONTEND", Y),
        ("CONFIG_INPUT_XEN_KBDDEV_FRONTEND", Y),
        ("CONFIG_HVC_XEN", Y),
        ("CONFIG_XEN_DEV_EVTCHN", Y),
        ("CONFIG_XEN_GNTDEV", Y),
        ("CONFIG_XEN_GRANT_DEV_ALLOC", Y),
        ("CONFIG_XEN_PRIVCMD", Y),
        ("CONFIG_XENFS", Y),
        ("CONFIG_XEN_COMPAT_XENFS", Y),
        ("CONFIG_XEN_SYS_HYPERVISOR", Y),
        ("CONFIG_XEN_BALLOON", Y),
    ],
};

/// x86's part: Xen's PV and HVM guest support, and what `XEN_DOM0`
/// depends on there.
pub const XEN_X86: Block = Block {
    name: "xen-x86",
    checked: true,
    options: &[
        ("CONFIG_HYPERVISOR_GUEST", Y),
        ("CONFIG_PARAVIRT", Y),
        ("CONFIG_PCI", Y),
        ("CONFIG_ACPI", Y),
        ("CONFIG_XEN_PV", Y),
        ("CONFIG_XEN_PVHVM", Y),
    ],
};

/// 32-bit x86's part: the 64-bit physical addresses Xen's 32-bit guests
/// need (osstest's `HIGHMEM64G`).
pub const XEN_I386: Block = Block {
    name: "xen-i386",
    checked: true,
    options: &[("CONFIG_HIGHMEM64G", Y)],
};

/// 32-bit Arm's part: a dom0 kernel of Xen on 32-bit Arm uses the large
/// physical address extension (Debian's `armmp-lpae` flavour), which the
/// platform's `multi_v7_defconfig` leaves off.
pub const XEN_ARM: Block = Block {
    name: "xen-arm",
    checked: true,
    options: &[("CONFIG_ARM_LPAE", Y)],
};

/// osstest's own choices for its dom0 kernels.
pub const OSSTEST: Block = Block {
    name: "osstest",
    checked: true,
    options: &[
        ("CONFIG_AGP", N),
        ("CONFIG_DRM", N),
        ("CONFIG_TUN", Y),
        ("CONFIG_DEVTMPFS", Y),
    ],
};

/// The storage and network drivers of osstest's x86 test hosts.
pub const HARDWARE_X86: Block = Block {
    name: "hardware-x86",
    checked: false,
    options: &[
        ("CONFIG_DM_CRYPT", M),
        ("CONFIG_DM_SNAPSHOT", M),
        ("CONFIG_BLK_DEV_NBD", M),
        ("CONFIG_ATA_GENERIC", Y),
        ("CONFIG_SATA_SIL24", M),
        ("CONFIG_SATA_SVW", M),
        ("CONFIG_SATA_MV", M),
        ("CONFIG_SATA_NV", M),
        ("CONFIG_SATA_QSTOR", M),
        ("CONFIG_SATA_PROMISE", M),
        ("CONFIG_SATA_SIL", M),
        ("CONFIG_SATA_SIS", M),
        ("CONFIG_SATA_ULI", M),
        ("CONFIG_SATA_VIA", M),
        ("CONFIG_SATA_VITESSE", M),
        ("CONFIG_SATA_INIC162X", M),
        ("CONFIG_SCSI_ISCSI_ATTRS", M),
        ("CONFIG_SCSI_SAS_LIBSAS", M),
        ("CONFIG_SCSI_SAS_HOST_SMP", Y),
        ("CONFIG_SCSI_LOWLEVEL", Y),
        ("CONFIG_ISCSI_TCP", M),
        ("CONFIG_SCSI_CXGB3_ISCSI", M),
        ("CONFIG_BE2ISCSI", M),
        ("CONFIG_BLK_DEV_3W_XXXX_RAID", M),
        ("CONFIG_SCSI_3W_9XXX", M),
        ("CONFIG_SCSI_ACARD", M),
        ("CONFIG_SCSI_AACRAID", M),
        ("CONFIG_SCSI_AIC7XXX", M),
        ("CONFIG_SCSI_AIC79XX", M),
        ("CONFIG_SCSI_AIC94XX", M),
        ("CONFIG_SCSI_MVSAS", M),
        ("CONFIG_SCSI_MVSAS_DEBUG", Y),
        ("CONFIG_SCSI_ADVANSYS", M),
        ("CONFIG_SCSI_ARCMSR", M),
        ("CONFIG_SCSI_MPT2SAS", M),
        ("CONFIG_SCSI_HPTIOP", M),
        ("CONFIG_SCSI_BUSLOGIC", M),
        ("CONFIG_LIBFC", M),
        ("CONFIG_LIBFCOE", M),
        ("CONFIG_FCOE", M),
        ("CONFIG_FCOE_FNIC", M),
        ("CONFIG_SCSI_DMX3191D", M),
        ("CONFIG_SCSI_IPS", M),
        ("CONFIG_SCSI_INITIO", M),
        ("CONFIG_SCSI_INIA100", M),
        ("CONFIG_SCSI_STEX", M),
        ("CONFIG_SCSI_SYM53C8XX_2", M),
        ("CONFIG_SCSI_IPR", M),
        ("CONFIG_SCSI_QLOGIC_1280", M),
        ("CONFIG_SCSI_QLA_FC", M),
        ("CONFIG_SCSI_QLA_ISCSI", M),
        ("CONFIG_SCSI_LPFC", M),
        ("CONFIG_SCSI_DC395x", M),
        ("CONFIG_SCSI_NSP32", M),
        ("CONFIG_SCSI_PMCRAID", M),
        ("CONFIG_SCSI_BFA_FC", M),
        ("CONFIG_BNX2", M),
        ("CONFIG_BNX2X", M),
        ("CONFIG_E1000", M),
        ("CONFIG_E1000E", M),
        ("CONFIG_NETXEN_NIC", M),
        ("CONFIG_IGB", M),
        ("CONFIG_PCI_IOV", Y),
        ("CONFIG_EXT4_FS", M),
    ],
};

/// The blocks of `xen-enable-xen-config` for a kernel `make ARCH=` value,
/// in edit-script order, or `None` where Linux has no Xen support.
pub fn xen_enable_xen_config(kernel_make_arch: &str) -> Option<Vec<Block>> {
    let arch: &[Block] = match kernel_make_arch {
        "x86_64" => &[XEN_X86],
        "i386" => &[XEN_X86, XEN_I386],
        "arm" => &[XEN_ARM],
        "arm64" => &[],
        _ => return None,
    };
    let mut blocks = vec![XEN];
    blocks.extend_from_slice(arch);
    blocks.push(OSSTEST);
    if matches!(kernel_make_arch, "x86_64" | "i386") {
        blocks.push(HARDWARE_X86);
    }
    Some(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kconfig_names() {
        for arch in ["x86_64", "i386", "arm", "arm64"] {
            for b in xen_enable_xen_config(arch).unwrap() {
                for (o, _) in b.options {
                    let rest = o.strip_prefix("CONFIG_").unwrap_or_else(|| panic!("{o}"));
                    assert!(
                        !rest.is_empty()
                            && rest.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'),
                        "{o}"
                    );
                }
            }
        }
    }

    #[test]
    fn no_option_twice_in_a_flow() {
        for arch in ["x86_64", "i386", "arm", "arm64"] {
            let mut seen = std::collections::BTreeSet::new();
            for b in xen_enable_xen_config(arch).unwrap() {
                for (o, _) in b.options {
                    assert!(seen.insert(*o), "{arch}: {o} twice");
                }
            }
        }
    }

    #[test]
    fn xen_only_where_linux_has_it() {
        assert!(xen_enable_xen_config("riscv").is_none());
        assert!(xen_enable_xen_config("s390").is_none());
        let arm = xen_enable_xen_config("arm").unwrap();
        let names: Vec<_> = arm.iter().map(|b| b.name).collect();
        assert_eq!(names, ["xen", "xen-arm", "osstest"]);
        let x86 = xen_enable_xen_config("x86_64").unwrap();
        let names: Vec<_> = x86.iter().map(|b| b.name).collect();
        assert_eq!(names, ["xen", "xen-x86", "osstest", "hardware-x86"]);
    }
}
