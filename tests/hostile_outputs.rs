// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! What every writer promises whatever it is given or finds in its
//! destination (issue 17, the output half): nothing written outside the
//! destination nor through a planted link, outputs whole or absent, one
//! publish step per call, errors naming the file at fault, no recursion on
//! deep trees. Hermetic: small inputs made here; the full and read-only
//! file systems, which need root to mount, are in the slow tier.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use osstest_core::format::cpio::Tree;
use osstest_core::format::initrd::{self, AppendOptions, Segment};

/// A gzipped newc archive holding `files` (name, bytes).
fn gz_cpio(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut t = Tree::new("test");
    for (n, d) in files {
        t.add_bytes(n, 0o644, d.to_vec()).unwrap();
    }
    let cpio = t.write(Vec::new(), 0).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&cpio).unwrap();
    gz.finish().unwrap()
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

struct Files {
    t: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            t: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.t.path().join(name)
    }
    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, data).unwrap();
        p
    }
}

/// A corrupt base or segment is named as itself, with its own offsets,
/// not as the output's temporary file (issue 17, defect 10).
#[test]
fn initrd_append_names_the_corrupt_input() {
    let f = Files::new();
    let good = gz_cpio(&[("etc/a", b"a"), ("etc/b", &[7u8; 5000])]);
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 6] ^= 0xff; // the gzip trailer's CRC
    let good_base = f.write("good.gz", &good);
    let bad_base = f.write("base.gz", &bad);
    let bad_seg = f.write("seg.cpio.gz", &bad);
    let out = f.path("out/initrd.gz");
    fs::create_dir(f.path("out")).unwrap();
    let opts = AppendOptions::default();

    let e = initrd::append(
        &bad_base,
        &[Segment::Archive(good_base.clone())],
        &out,
        &opts,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(&format!("{} segment 0", bad_base.display())),
        "names the base: {e}"
    );
    assert!(!e.contains(".initrd"), "no temporary name: {e}");

    let e = initrd::append(
        &good_base,
        &[Segment::Archive(bad_seg.clone())],
        &out,
        &opts,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(&format!(
            "{} (appended to {}) segment 0 (gzip at offset 0)",
            bad_seg.display(),
            out.display()
        )),
        "names the segment, as appended to the output: {e}"
    );
    assert!(!e.contains(".initrd"), "no temporary name: {e}");
    assert_eq!(names(&f.path("out")), Vec::<String>::new(), "nothing left");
}

/// An empty output path is an error, not a file in the current directory
/// (issue 17, defect 14).
#[test]
fn initrd_append_refuses_an_empty_output() {
    let f = Files::new();
    let base = f.write("base.gz", &gz_cpio(&[("a", b"a")]));
    let e = initrd::append(
        &base,
        &[Segment::Archive(base.clone())],
        Path::new(""),
        &Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("empty path"), "{e}");
}

/// An output inside a directory being packed would pack itself (issue 17,
/// defect 16): refused, naming both.
#[test]
fn initrd_append_refuses_an_output_inside_a_packed_directory() {
    let f = Files::new();
    let base = f.write("base.gz", &gz_cpio(&[("a", b"a")]));
    f.write("dir/lib/x", b"x");
    let out = f.path("dir/initrd.gz");
    let e = initrd::append(
        &base,
        &[Segment::Directory {
            path: f.path("dir"),
            prefix: String::new(),
        }],
        &out,
        &Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(&out.display().to_string())
            && e.contains(&f.path("dir").display().to_string())
            && e.contains("inside the source"),
        "{e}"
    );
    assert_eq!(names(&f.path("dir")), ["lib"]);
}
