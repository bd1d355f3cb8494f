// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Runs `tests/fetch ARGS...` and returns what it prints, trimmed.
pub fn fetch_text(args: &[&str]) -> String {
    let top = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{top}/tests/fetch"))
        .args(args)
        .output()
        .expect("run tests/fetch");
    assert!(
        out.status.success(),
        "tests/fetch {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs `tests/fetch ARGS...` and returns the path it prints.
pub fn fetch(args: &[&str]) -> PathBuf {
    let p = PathBuf::from(fetch_text(args));
    assert!(
        p.exists(),
        "tests/fetch printed {p:?}, which does not exist"
    );
    p
}

/// Removes a directory tree when dropped, however the test ends.
pub struct TempTree(pub PathBuf);

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A Linux tree to configure and build in at `dest` (which must not
/// exist): hard links to Debian bookworm's linux-source-6.1 as tests/fetch
/// unpacks it once into the cache. kbuild writes only new files in an
/// in-tree build, so the cached tree is left as it was.
pub fn linux_tree(dest: &std::path::Path) -> PathBuf {
    let src = fetch(&["linux-source", "bookworm", "6.1"]);
    let status = Command::new("cp")
        .arg("-al")
        .arg(&src)
        .arg(dest)
        .status()
        .expect("running cp");
    assert!(
        status.success(),
        "cp -al {} {}",
        src.display(),
        dest.display()
    );
    dest.to_owned()
}
