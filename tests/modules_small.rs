// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Tiny modules compiled here with gcc, for what real kernels do not
//! have.
//!
//! `modules.alias.bin` for aliases of 4096 bytes or more, against the real
//! `depmod`: kmod's `alias_normalize` (shared/util.c) copies at most
//! `PATH_MAX - 1` bytes of an alias into its buffer, so depmod indexes the
//! first 4095 bytes of a longer one (while `modules.alias`, written from
//! the raw value, keeps it whole). Tiny modules compiled here with gcc
//! carry the aliases; the oracle is depmod on the same directory.

use std::fs;
use std::path::Path;
use std::process::Command;

use osstest_core::kernel::modules::{KernelModules, Selection};

const VERSION: &str = "6.1.0-alias-test";

/// Compiles a relocatable object whose `.modinfo` holds `aliases`.
fn module(path: &Path, aliases: &[String]) {
    let mut c = String::new();
    for (i, a) in aliases.iter().enumerate() {
        c.push_str(&format!(
            "static const char alias{i}[] __attribute__((section(\".modinfo\"), used, aligned(1))) = \"alias={a}\";\n"
        ));
    }
    c.push_str("static const char lic[] __attribute__((section(\".modinfo\"), used, aligned(1))) = \"license=GPL\";\n");
    c.push_str("int init_module(void) { return 0; }\n");
    let src = path.with_extension("c");
    fs::write(&src, c).unwrap();
    let out = Command::new("gcc")
        .args(["-c", "-O0", "-o"])
        .arg(path)
        .arg(&src)
        .output()
        .expect("gcc runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::remove_file(src).unwrap();
}

#[test]
fn long_aliases_are_indexed_as_depmod_truncates_them() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("lib/modules").join(VERSION);
    fs::create_dir_all(dir.join("kernel")).unwrap();
    let long = |c: &str, n: usize| c.repeat(n);
    module(
        &dir.join("kernel/longa.ko"),
        &[
            format!("pci:v{}", long("a", 5000)),
            long("b", 4095),
            long("c", 4096),
            format!("usb-x-{}", long("d", 4200)),
            format!("of:N[ab-c]T{}", long("e", 4500)),
            // A bracket that closes well before the limit, then more.
            format!("acpi*:[x-y]{}-z", long("f", 4100)),
        ],
    );
    module(&dir.join("kernel/short.ko"), &["platform:short-one".into()]);
    let out = Command::new("depmod")
        .arg("-b")
        .arg(base.path())
        .arg(VERSION)
        .output()
        .expect("depmod runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let k = KernelModules::read_dir(&dir).unwrap();
    let names: Vec<&str> = k.modules().iter().map(|m| m.name.as_str()).collect();
    let ours = k.indexes(&names).unwrap();
    let theirs = fs::read(dir.join("modules.alias.bin")).unwrap();
    assert!(
        ours.alias_bin == theirs,
        "modules.alias.bin: {} bytes ours, {} depmod's, first difference at {:?}",
        ours.alias_bin.len(),
        theirs.len(),
        ours.alias_bin.iter().zip(&theirs).position(|(a, b)| a != b)
    );
    assert_eq!(
        ours.alias,
        fs::read_to_string(dir.join("modules.alias")).unwrap()
    );
}

#[test]
fn include_patterns_that_match_nothing_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("kernel/drivers/net")).unwrap();
    module(&dir.path().join("kernel/drivers/net/foo.ko"), &[]);
    let k = KernelModules::read_dir(dir.path()).unwrap();
    let sel = |classic: bool, include: &[&str]| {
        let include: Vec<String> = include.iter().map(|s| s.to_string()).collect();
        Selection::from_options(classic, &include, &[])
    };
    let e = k
        .close(&sel(false, &["foo", "nonesuch", "kernel/drivers/gpu/**"]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "include patterns kernel/drivers/gpu/**, nonesuch matched no module of this kernel"
    );
    let e = k.close(&sel(true, &["macb"])).unwrap_err().to_string();
    assert_eq!(e, "include pattern macb matched no module of this kernel");
    // Classic paths this kernel lacks are no error: they are the default.
    let c = k.close(&sel(true, &["foo"])).unwrap();
    assert_eq!(c.names(), ["foo"]);
    let e = k.close(&sel(false, &[])).unwrap_err().to_string();
    assert_eq!(
        e,
        "no module of this kernel matches the selection (patterns: none; 0 module names; 0 udeb module paths)"
    );
}
