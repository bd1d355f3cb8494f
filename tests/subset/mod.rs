// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The installer-subset test, as a function of a kernel source (a Debian
//! `linux-image` .deb, an osstest kerndist tarball or an unpacked tree),
//! the d-i netboot initrd and the suite's `Contents-udeb-ARCH` index, so
//! any kernel can be put through it (Debian's here, osstest's own in the
//! end-to-end test).
//!
//! The oracles are the real tools and the archive's own lists: GNU cpio
//! lists d-i's initrd and our segment, dpkg-deb or tar the kernel, and the
//! index is read here line by line, apart from the crate's reader.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use osstest_core::installer::udebs::DEFAULT_UDEBS;
use osstest_core::installer::{di_kernel, Manifest, Options};

/// What the subset test saw.
pub struct Coverage {
    /// The manifest `di_kernel` wrote.
    pub manifest: Manifest,
    /// The d-i module names (initrd and udebs) the new kernel has, all in
    /// the segment.
    pub wanted: BTreeSet<String>,
    /// The d-i module names the new kernel does not have at all.
    pub absent: BTreeSet<String>,
    /// How many modules each rule brought in.
    pub by_rule: BTreeMap<String, usize>,
}

fn sh(script: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", script])
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("text")
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// The module name kmod gives a file: its base name up to the first `.`,
/// `-` read as `_`; `None` for a file that is not a module.
fn module_name(path: &str) -> Option<String> {
    let base = path.rsplit('/').next()?;
    let (stem, suffix) = base.split_once('.')?;
    matches!(suffix, "ko" | "ko.xz" | "ko.zst" | "ko.gz").then(|| stem.replace('-', "_"))
}

fn names_in(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter(|l| l.contains("lib/modules/"))
        .filter_map(|l| module_name(l.split_whitespace().last()?))
        .collect()
}

/// The modules of a kernel source, by name.
fn kernel_names(source: &Path) -> BTreeSet<String> {
    let s = source.display().to_string();
    let listing = if source.is_dir() {
        sh(&format!("cd {} && find . -name '*.ko*'", quote(source)))
            .lines()
            .map(|l| format!("lib/modules/{l}"))
            .collect::<Vec<_>>()
            .join("\n")
    } else if s.ends_with(".deb") {
        sh(&format!("dpkg-deb -c {}", quote(source)))
    } else {
        sh(&format!("tar -tf {}", quote(source)))
    };
    names_in(&listing)
}

/// The module names of the udebs osstest's installs need, from the index.
fn udeb_names(contents: &Path) -> BTreeSet<String> {
    let text = sh(&format!("zcat -f {}", quote(contents)));
    let mut names = BTreeSet::new();
    for line in text.lines().filter(|l| l.contains("lib/modules/")) {
        let mut fields = line.split_whitespace();
        let (Some(file), Some(location)) = (fields.next(), fields.next_back()) else {
            continue;
        };
        let wanted = location.split(',').any(|l| {
            let package = l.rsplit('/').next().unwrap_or(l);
            DEFAULT_UDEBS
                .iter()
                .any(|u| package.starts_with(&format!("{u}-")) && package.ends_with("-di"))
        });
        if let Some(name) = module_name(file).filter(|_| wanted) {
            names.insert(name);
        }
    }
    names
}

/// Makes the installer's kernel from `kernel` and `di_initrd` with the
/// default rules and `contents`, and checks that every module name d-i
/// has (in its initrd, or in the udebs osstest's installs need) that the
/// new kernel also has is in the segment, and that the manifest lists
/// exactly the segment's modules.
pub fn check(kernel: &Path, di_initrd: &Path, contents: &Path) -> Coverage {
    let out = tempfile::tempdir().unwrap();
    let opts = Options {
        contents_udeb: Some(contents.to_owned()),
        ..Options::default()
    };
    let manifest = di_kernel(kernel, di_initrd, out.path(), &opts).unwrap();
    let segment = out.path().join(&manifest.outputs["modules_segment"].file);
    let in_segment = names_in(&sh(&format!("zcat {} | cpio -t --quiet", quote(&segment))));
    let listed: BTreeSet<String> = manifest
        .modules
        .list
        .iter()
        .map(|m| m.name.clone())
        .collect();
    assert_eq!(
        listed, in_segment,
        "the manifest lists the segment's modules"
    );

    let di = names_in(&sh(&format!("zcat {} | cpio -t --quiet", quote(di_initrd))));
    let udebs = udeb_names(contents);
    assert!(
        udebs.len() > 300,
        "{} module names in the udebs",
        udebs.len()
    );
    let kernel = kernel_names(kernel);
    let (wanted, absent): (BTreeSet<String>, BTreeSet<String>) =
        di.union(&udebs).cloned().partition(|n| kernel.contains(n));
    let lacking: Vec<&String> = wanted.difference(&in_segment).collect();
    assert!(
        lacking.is_empty(),
        "{} of d-i's modules the kernel has are not in the subset: {lacking:?}",
        lacking.len()
    );
    let mut by_rule = BTreeMap::new();
    for m in &manifest.modules.list {
        let rule = serde_json::to_value(&m.reason).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned();
        *by_rule.entry(rule).or_insert(0) += 1;
    }
    Coverage {
        manifest,
        wanted,
        absent,
        by_rule,
    }
}

/// What the real installer showed it needs on QEMU's machines (disk,
/// network, LVM, the EFI system partition): each in d-i's sets, in the
/// kernel, and so in the segment.
pub const QEMU_NEEDS: &[&str] = &[
    "virtio_blk",
    "virtio_net",
    "dm_mod",
    "vfat",
    "nls_cp437",
    "efivarfs",
];

/// Asserts [`QEMU_NEEDS`] are all covered, and that both of d-i's sets
/// (its initrd and the udebs) chose modules.
pub fn assert_has_what_qemu_needs(c: &Coverage) {
    for name in QEMU_NEEDS {
        assert!(
            c.wanted.contains(*name),
            "{name} in d-i's sets and the kernel"
        );
    }
    assert!(
        c.by_rule.contains_key("udeb") && c.by_rule.contains_key("di_initrd"),
        "{:?}",
        c.by_rule
    );
}
