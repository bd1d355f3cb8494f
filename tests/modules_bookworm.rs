// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Installer module subsets of Debian bookworm's arm64 kernel, checked
//! against kmod: `depmod` writes the same index files as we do for the
//! dependency-closed subset and finds nothing missing in it, while the
//! classic path-only subset leaves dependencies out; `modinfo -F` reads
//! the modules as we do.

mod modules_support;

use std::collections::BTreeSet;
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
        let unpacked = unpack("bookworm", "arm64", "arm64");
        let kernel = unpacked.kernel_modules();
        Fixture { unpacked, kernel }
    })
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn closure_brings_in_what_the_classic_paths_miss() {
    let f = fixture();
    assert!(
        f.kernel.modules().len() > 3000,
        "{} modules",
        f.kernel.modules().len()
    );
    let closure = f.kernel.close(&Selection::classic()).unwrap();
    assert!(closure.missing.is_empty(), "missing: {:?}", closure.missing);
    for name in [
        "dm_mod",
        "dax",
        "ext4",
        "jbd2",
        "mbcache",
        "usbcore",
        "usb_common",
        "failover",
    ] {
        assert!(closure.contains(name), "{name} in the closed subset");
    }
    let added: Vec<_> = closure.added().collect();
    let matched = closure.included.len() - added.len();
    eprintln!(
        "bookworm arm64: {} modules, classic paths select {matched}, closure adds {}",
        f.kernel.modules().len(),
        added.len()
    );
    // Every added module says who needed it, and that module is in.
    for m in &added {
        let (Reason::Dependency { of } | Reason::Softdep { of }) = &m.reason else {
            panic!("{m:?}");
        };
        assert!(
            closure.contains(of),
            "{} added for {of}, which is in",
            m.name
        );
    }
    let dax = closure.included.iter().find(|m| m.name == "dax").unwrap();
    assert!(
        matches!(&dax.reason, Reason::Dependency { of } if of == "dm_mod"),
        "{dax:?}"
    );
    // The classic defect: the path-only subset's modules name, in their
    // depends=, modules outside it (63 on 6.1.0-50, as DESIGN records).
    // kmod's modinfo is the oracle for the list; the closure must hold
    // every one of them.
    let matched_names: BTreeSet<&str> = closure
        .included
        .iter()
        .filter(|m| m.reason.is_selected())
        .map(|m| m.name.as_str())
        .collect();
    let mut outside = BTreeSet::new();
    for m in closure
        .included
        .iter()
        .filter(|m| matched_names.contains(m.name.as_str()))
    {
        let file = f.unpacked.moddir.join(&m.path);
        for dep in modinfo_field(&file, "depends")
            .iter()
            .flat_map(|l| l.split(','))
        {
            let dep = dep.replace('-', "_");
            if !dep.is_empty() && !matched_names.contains(dep.as_str()) {
                outside.insert(dep);
            }
        }
    }
    eprintln!(
        "classic path-only subset: {} direct dependencies outside it",
        outside.len()
    );
    for dep in &outside {
        assert!(closure.contains(dep), "{dep} added by the closure");
    }
    for dep in ["dax", "usbcore", "usb_common", "failover", "udp_tunnel"] {
        assert!(outside.contains(dep), "{dep} is outside the classic subset");
    }
    assert!(
        (40..=100).contains(&outside.len()),
        "{} outside",
        outside.len()
    );
    assert!(added.len() >= outside.len());
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn depmod_agrees_and_finds_nothing_missing_in_the_closed_subset() {
    let f = fixture();
    let closure = f.kernel.close(&Selection::classic()).unwrap();
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

    // Our own writer puts the same bytes in place.
    let out = tempfile::tempdir().unwrap();
    ours.write_to(out.path()).unwrap();
    assert!(compare_indexes(&ours, out.path()).is_empty());
    let dm = ours
        .dep
        .lines()
        .find(|l| l.starts_with("kernel/drivers/md/dm-mod.ko:"));
    assert_eq!(
        dm,
        Some("kernel/drivers/md/dm-mod.ko: kernel/drivers/dax/dax.ko")
    );
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn depmod_confirms_the_classic_subset_is_incomplete() {
    let f = fixture();
    let closure = f.kernel.close(&Selection::classic()).unwrap();
    let matched: Vec<&str> = closure
        .included
        .iter()
        .filter(|m| m.reason.is_selected())
        .map(|m| m.name.as_str())
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let dir = f.unpacked.stage(tmp.path(), &f.kernel, &matched);
    let warnings = f.unpacked.depmod(tmp.path());
    let unknown = unknown_symbols(&warnings);
    let needy: BTreeSet<&str> = unknown
        .iter()
        .filter_map(|l| l.split(" needs ").next())
        .collect();
    eprintln!(
        "classic path-only subset: depmod reports {} unknown symbols in {} modules",
        unknown.len(),
        needy.len()
    );
    assert!(
        unknown
            .iter()
            .any(|l| l.contains("dm-mod.ko needs unknown symbol")),
        "dm_mod cannot load without dax:\n{warnings}"
    );
    // Every symbol depmod finds missing is exported by a module our
    // closure added.
    let added: Vec<_> = closure
        .added()
        .map(|a| f.kernel.get(&a.name).unwrap())
        .collect();
    for line in &unknown {
        let sym = line.rsplit(' ').next().unwrap();
        assert!(
            added
                .iter()
                .any(|m| m.info.exports.iter().any(|e| e.name == sym)),
            "nothing our closure added exports {sym} ({line})"
        );
    }
    // Even for this incomplete subset our indexes match depmod's.
    let ours = f.kernel.indexes(&matched).unwrap();
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
    f.unpacked.depmod(tmp.path());
    let diffs = compare_indexes(&ours, &dir);
    assert!(diffs.is_empty(), "indexes differ from depmod's: {diffs:#?}");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn modinfo_agrees_on_a_sample() {
    let f = fixture();
    let mut sample: Vec<_> = f.kernel.modules().iter().step_by(97).collect();
    for name in ["dm_mod", "ext4", "xhci_pci", "virtio_net", "r8169"] {
        if let Some(m) = f.kernel.get(name) {
            sample.push(m);
        }
    }
    assert!(
        sample.iter().any(|m| !m.info.softdeps.is_empty()),
        "a softdep in the sample"
    );
    assert!(
        sample.iter().any(|m| !m.info.firmware.is_empty()),
        "a firmware in the sample"
    );
    for m in sample {
        check_against_modinfo(&f.unpacked.moddir.join(&m.path), &m.info);
        assert_eq!(m.info.machine, 183, "{}: EM_AARCH64", m.path);
        assert_eq!(m.info.bits, 64);
        assert_eq!(m.info.name.as_deref(), Some(m.name.as_str()), "{}", m.path);
    }
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn truncated_and_corrupt_modules_are_errors_not_panics() {
    use osstest_core::kernel::modinfo::{ModinfoError, ModuleInfo};
    let f = fixture();
    let m = f.kernel.get("dm_mod").unwrap();
    let bytes = std::fs::read(f.unpacked.moddir.join(&m.path)).unwrap();
    assert_eq!(ModuleInfo::parse(&bytes).unwrap(), m.info);
    // A cut before the end of the section header table loses part of the
    // module; after it only the appended signature goes.
    let shoff = u64::from_le_bytes(bytes[0x28..0x30].try_into().unwrap()) as usize;
    let shnum = u16::from_le_bytes(bytes[0x3c..0x3e].try_into().unwrap()) as usize;
    let table_end = shoff + 64 * shnum;
    assert!(bytes[table_end..].ends_with(b"~Module signature appended~\n"));
    for cut in (0..bytes.len()).step_by(bytes.len() / 300) {
        match ModuleInfo::parse(&bytes[..cut]) {
            Err(ModinfoError::Truncated(..)) if cut < table_end => {}
            Err(ModinfoError::NotElf(_)) if cut < 4 => {}
            Ok(info) if cut >= table_end => assert_eq!(info, m.info),
            other => panic!("cut at {cut} of {}: {:?}", bytes.len(), other.err()),
        }
    }
    let e = ModuleInfo::parse(&bytes[..table_end - 1]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("truncated ELF file: the section header table"),
        "{e}"
    );
    // Damage every byte of the ELF header and section header table in turn,
    // and a sample elsewhere: whatever comes out, nothing panics.
    let positions = (0..64)
        .chain(shoff..bytes.len())
        .chain((64..shoff).step_by(997));
    let mut errors = 0;
    for pos in positions {
        for value in [0x00, 0xff, bytes[pos] ^ 0x80] {
            let mut damaged = bytes.clone();
            damaged[pos] = value;
            errors += usize::from(ModuleInfo::parse(&damaged).is_err());
        }
    }
    assert!(errors > 100, "damage is noticed: {errors} errors");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn a_dependency_absent_from_the_kernel_is_reported() {
    let f = fixture();
    // The same kernel without dax.ko: dm_mod's dependency is missing.
    let files: Vec<(String, &[u8])> = f
        .unpacked
        .files
        .iter()
        .filter(|(p, _)| !p.ends_with("/dax.ko"))
        .map(|(p, m)| (p.clone(), &m[..]))
        .collect();
    let order = std::fs::read_to_string(f.unpacked.moddir.join("modules.order")).unwrap();
    let kernel = KernelModules::parse(&files, Some(&order), None).unwrap();
    let closure = kernel.close(&Selection::classic()).unwrap();
    let dax: Vec<_> = closure.missing.iter().filter(|m| m.name == "dax").collect();
    assert!(
        !dax.is_empty(),
        "dax reported missing: {:?}",
        closure.missing
    );
    assert!(dax
        .iter()
        .any(|m| m.wanted_by == "dm_mod" && m.how == osstest_core::kernel::modules::Want::Depends));
    assert!(!closure.contains("dax"));
}

/// Modules `modules.order` does not name come after those it names, in
/// the order of depmod's module-name hash table; without the file, all
/// are in that order.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn modules_order_partial_or_absent_matches_depmod() {
    let f = fixture();
    let closure = f.kernel.close(&Selection::classic()).unwrap();
    let names = closure.names();
    let full = std::fs::read_to_string(f.unpacked.moddir.join("modules.order")).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    let half: String = lines[..lines.len() / 2]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    let subset: Vec<(String, &[u8])> = f
        .unpacked
        .files
        .iter()
        .filter(|(p, _)| closure.included.iter().any(|m| &m.path == p))
        .map(|(p, m)| (p.clone(), &m[..]))
        .collect();
    for order in [Some(half.as_str()), None] {
        let kernel = KernelModules::parse(&subset, order, None).unwrap();
        let ours = kernel.indexes(&names).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = f.unpacked.stage(tmp.path(), &f.kernel, &names);
        match order {
            Some(text) => std::fs::write(dir.join("modules.order"), text).unwrap(),
            None => std::fs::remove_file(dir.join("modules.order")).unwrap(),
        }
        f.unpacked.depmod(tmp.path());
        let diffs = compare_indexes(&ours, &dir);
        assert!(
            diffs.is_empty(),
            "modules.order {}: indexes differ from depmod's: {diffs:#?}",
            if order.is_some() { "halved" } else { "absent" }
        );
    }
}

/// Kernels built without CONFIG_MODVERSIONS (osstest's own builds may be)
/// have no `__crc_` symbols: exports come from `__ksymtab_strings`, which
/// since Linux 5.4 also holds export namespaces. kmod lists those as
/// symbols too; so do we, and the indexes stay depmod's.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn without_modversions_exports_are_read_as_depmod_reads_them() {
    let f = fixture();
    let mut selection = Selection::none();
    selection
        .include("usb-storage")
        .include("uas")
        .include("dm-mod");
    let closure = f.kernel.close(&selection).unwrap();
    let names = closure.names();
    assert!(names.len() >= 5, "{names:?}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = f.unpacked.stage(tmp.path(), &f.kernel, &names);
    let mut files = Vec::new();
    for m in &closure.included {
        let dest = dir.join(&m.path);
        std::fs::remove_file(&dest).unwrap(); // a hard link to the fixture
        let status = std::process::Command::new("aarch64-linux-gnu-objcopy")
            .args(["--wildcard", "--strip-symbol=__crc_*"])
            .arg(f.unpacked.moddir.join(&m.path))
            .arg(&dest)
            .status()
            .expect("aarch64-linux-gnu-objcopy runs");
        assert!(status.success());
        files.push((m.path.clone(), std::fs::read(&dest).unwrap()));
    }
    let order = std::fs::read_to_string(dir.join("modules.order")).unwrap();
    let kernel = KernelModules::parse(&files, Some(&order), None).unwrap();
    let usb_storage = &kernel.get("usb_storage").unwrap().info;
    assert!(usb_storage.exports.iter().all(|e| e.crc.is_none()));
    assert!(usb_storage.exports.iter().any(|e| e.name == "USB_STORAGE"));
    let ours = kernel.indexes(&names).unwrap();
    assert!(ours
        .symbols
        .contains("alias symbol:USB_STORAGE usb_storage\n"));
    let warnings = f.unpacked.depmod(tmp.path());
    assert!(unknown_symbols(&warnings).is_empty(), "{warnings}");
    let diffs = compare_indexes(&ours, &dir);
    assert!(diffs.is_empty(), "indexes differ from depmod's: {diffs:#?}");
}
