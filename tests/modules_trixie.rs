// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Installer module subsets of Debian trixie's arm64 kernel, whose modules
//! live under `usr/lib/modules` compressed as `.ko.xz`: the classic paths
//! select them whatever the suffix (the shell route selected nothing), the
//! closure is complete by `depmod -e`'s account, and our index files are
//! `depmod`'s, byte for byte.

mod modules_support;

use std::sync::OnceLock;

use modules_support::*;
use osstest_core::kernel::modules::{KernelModules, Reason, Selection};

struct Fixture {
    unpacked: Unpacked,
    kernel: KernelModules,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let unpacked = unpack("trixie", "arm64", "arm64");
        assert!(
            unpacked.compressed > 4000,
            "trixie ships .ko.xz modules ({} found)",
            unpacked.compressed
        );
        let kernel = unpacked.kernel_modules();
        Fixture { unpacked, kernel }
    })
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn closed_subset_is_not_empty_and_depmod_agrees() {
    let f = fixture();
    let closure = f.kernel.close(&Selection::classic()).unwrap();
    let matched = closure
        .included
        .iter()
        .filter(|m| m.reason.is_selected())
        .count();
    eprintln!(
        "trixie arm64: {} modules, classic paths select {matched}, closure adds {}",
        f.kernel.modules().len(),
        closure.included.len() - matched
    );
    assert!(matched > 500, "the classic paths select modules: {matched}");
    assert!(closure.missing.is_empty(), "missing: {:?}", closure.missing);
    for name in [
        "dm_mod",
        "ext4",
        "jbd2",
        "mbcache",
        "virtio_net",
        "xhci_pci",
    ] {
        assert!(closure.contains(name), "{name} in the closed subset");
        for dep in &f.kernel.get(name).unwrap().info.depends {
            assert!(
                closure.contains(dep),
                "{name}'s dependency {dep} in the closed subset"
            );
        }
    }

    let names = closure.names();
    let ours = f.kernel.indexes(&names).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = f.unpacked.stage(tmp.path(), &f.kernel, &names);
    let warnings = f.unpacked.depmod(tmp.path());
    assert!(
        unknown_symbols(&warnings).is_empty(),
        "depmod finds symbols missing:\n{warnings}"
    );
    let diffs = compare_indexes(&ours, &dir);
    assert!(diffs.is_empty(), "indexes differ from depmod's: {diffs:#?}");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn the_whole_kernel_indexes_match_depmod() {
    let f = fixture();
    let names: Vec<&str> = f.kernel.modules().iter().map(|m| m.name.as_str()).collect();
    let ours = f.kernel.indexes(&names).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = f.unpacked.stage(tmp.path(), &f.kernel, &names);
    let warnings = f.unpacked.depmod(tmp.path());
    assert!(unknown_symbols(&warnings).is_empty(), "{warnings}");
    let diffs = compare_indexes(&ours, &dir);
    assert!(diffs.is_empty(), "indexes differ from depmod's: {diffs:#?}");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn modinfo_agrees_on_a_sample() {
    let f = fixture();
    let mut sample: Vec<_> = f.kernel.modules().iter().step_by(89).collect();
    for name in ["dm_mod", "ext4", "xhci_pci", "virtio_net", "virtio_blk"] {
        sample.push(f.kernel.get(name).expect(name));
    }
    assert!(
        sample.iter().any(|m| !m.info.softdeps.is_empty()),
        "a softdep in the sample"
    );
    for m in sample {
        check_against_modinfo(&f.unpacked.moddir.join(&m.path), &m.info);
        assert_eq!(
            (m.info.machine, m.info.bits),
            (183, 64),
            "{}: EM_AARCH64, 64-bit",
            m.path
        );
        assert!(m
            .info
            .vermagic
            .as_deref()
            .unwrap()
            .starts_with(&f.unpacked.version));
    }
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn callers_add_and_remove_patterns() {
    let f = fixture();
    let classic = f.kernel.close(&Selection::classic()).unwrap();
    assert!(
        !classic.contains("virtio_blk"),
        "drivers/block is not classic"
    );
    let mut selection = Selection::classic();
    selection
        .include("virtio-blk")
        .exclude("kernel/drivers/net/wireless/**");
    let closure = f.kernel.close(&selection).unwrap();
    let blk = closure
        .included
        .iter()
        .find(|m| m.name == "virtio_blk")
        .unwrap();
    assert_eq!(
        blk.reason,
        Reason::Include {
            pattern: "virtio-blk".into()
        }
    );
    for dep in &f.kernel.get("virtio_blk").unwrap().info.depends {
        assert!(closure.contains(dep), "virtio_blk's dependency {dep}");
    }
    let wireless = |c: &osstest_core::kernel::modules::Closure| {
        c.included
            .iter()
            .filter(|m| m.path.starts_with("kernel/drivers/net/wireless/"))
            .count()
    };
    assert!(wireless(&classic) > 50);
    // Excluded drivers stay out unless a selected module needs them.
    for m in closure
        .included
        .iter()
        .filter(|m| m.path.starts_with("kernel/drivers/net/wireless/"))
    {
        assert!(!m.reason.is_selected(), "{m:?}");
    }
    assert!(wireless(&closure) < wireless(&classic) / 10);
}
