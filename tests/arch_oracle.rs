// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The architecture table against its oracles: `dpkg-architecture` for
//! Debian's names, goblin's ELF constants for the machine numbers.

use std::process::Command;

use osstest_core::build::arch::{Arch, ARCHES};

/// Every architecture the table must know (the list, plus mipsel).
const REQUIRED: &[&str] = &[
    "amd64", "i386", "armhf", "armel", "arm64", "riscv64", "ppc64el", "s390x", "mips64el",
    "mipsel", "loong64",
];

fn dpkg_architecture(arch: &str, var: &str) -> String {
    let out = Command::new("dpkg-architecture")
        .args([format!("-a{arch}"), format!("-q{var}")])
        .output()
        .expect("running dpkg-architecture (tests/install-deps installs dpkg-dev)");
    assert!(
        out.status.success(),
        "dpkg-architecture -a{arch} -q{var}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn every_required_arch_is_known() {
    for a in REQUIRED {
        Arch::by_debian(a).unwrap();
    }
    assert_eq!(
        ARCHES.len(),
        REQUIRED.len(),
        "a new arch needs adding to REQUIRED"
    );
}

#[test]
fn debian_names_agree_with_dpkg_architecture() {
    for a in ARCHES {
        let d = a.debian;
        assert_eq!(
            a.gnu_triplet,
            dpkg_architecture(d, "DEB_HOST_GNU_TYPE"),
            "{d}: triplet"
        );
        assert_eq!(
            a.multiarch,
            dpkg_architecture(d, "DEB_HOST_MULTIARCH"),
            "{d}: multiarch"
        );
        assert_eq!(a.cpu, dpkg_architecture(d, "DEB_HOST_ARCH_CPU"), "{d}: cpu");
        assert_eq!(
            a.bits.to_string(),
            dpkg_architecture(d, "DEB_HOST_ARCH_BITS"),
            "{d}: bits"
        );
        assert_eq!(
            a.endian.as_str(),
            dpkg_architecture(d, "DEB_HOST_ARCH_ENDIAN"),
            "{d}: endian"
        );
        assert_eq!(dpkg_architecture(d, "DEB_HOST_ARCH_OS"), "linux", "{d}: os");
    }
}

#[test]
fn elf_machines_agree_with_goblin() {
    for a in ARCHES {
        let name = goblin::elf::header::machine_to_str(a.elf_machine_number);
        assert_eq!(
            a.elf_machine,
            format!("EM_{name}"),
            "{}: e_machine {}",
            a.debian,
            a.elf_machine_number
        );
    }
}

#[test]
fn kernel_facts_are_consistent() {
    for a in ARCHES {
        let d = a.debian;
        // The image lands under the kernel's own arch directory, or is
        // vmlinux at the top of the tree.
        assert!(
            a.kernel_image_path == "vmlinux"
                || a.kernel_image_path
                    == format!("arch/{}/boot/{}", a.kernel_arch, a.kernel_image_target),
            "{d}: {} for {}",
            a.kernel_image_path,
            a.kernel_image_target
        );
        assert!(a.defconfig.ends_with("defconfig"), "{d}");
        assert!(a.qemu_system.starts_with("qemu-system-"), "{d}");
    }
    assert_eq!(
        Arch::by_debian("armhf").unwrap().defconfig,
        "multi_v7_defconfig"
    );
    assert!(Arch::by_debian("arm64").unwrap().dtbs);
    assert!(!Arch::by_debian("amd64").unwrap().dtbs);
}

/// qemu-user-static (tests/install-deps) ships every user emulator the
/// table names.
#[test]
#[ignore = "needs QEMU (qemu-user-static): run tests/run"]
fn user_emulators_exist() {
    for a in ARCHES {
        let user = format!("/usr/bin/{}-static", a.qemu_user);
        assert!(
            std::path::Path::new(&user).exists(),
            "{}: no {user}",
            a.debian
        );
    }
}

/// The QEMU machines and CPUs the table names for Arm exist in the
/// emulators tests/install-deps installs (qemu-system-arm).
#[test]
#[ignore = "needs QEMU (qemu-system-arm): run tests/run"]
fn arm_qemu_machines_exist() {
    for d in ["armhf", "armel", "arm64"] {
        let a = Arch::by_debian(d).unwrap();
        let run = |what: &str| {
            let out = Command::new(a.qemu_system)
                .args(["-M", if what == "-M" { "help" } else { a.qemu_machine }])
                .args(if what == "-cpu" {
                    vec!["-cpu", "help"]
                } else {
                    vec![]
                })
                .output()
                .unwrap_or_else(|e| panic!("{}: {e}", a.qemu_system));
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let machines = run("-M");
        assert!(
            machines
                .lines()
                .any(|l| l.split_whitespace().next() == Some(a.qemu_machine)),
            "{d}: {} has no machine {}",
            a.qemu_system,
            a.qemu_machine
        );
        let cpu = a.qemu_cpu.unwrap();
        let cpus = run("-cpu");
        assert!(
            cpus.split_whitespace().any(|w| w == cpu),
            "{d}: {} has no cpu {cpu}",
            a.qemu_system
        );
    }
}
