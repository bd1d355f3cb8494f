// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Initrds that are empty, endless, bombs or oddly built: each is refused
//! with an error naming the file and the bound or the problem, and leaves
//! nothing behind.

use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use osstest_core::format::compress::Compression;
use osstest_core::format::initrd::{self, AppendOptions, Segment};

mod hostile;

/// The files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Runs `f` on another thread; fails the test if it takes longer than
/// `secs` (a reader that never gives up would hang the test otherwise).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("no answer within {secs} s"))
}

#[test]
fn entry_bomb_is_refused_naming_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let mut cpio = Vec::new();
    hostile::entry_bomb(131_073, &mut cpio).unwrap();
    let bomb = dir.path().join("bomb.cpio.xz");
    fs::write(&bomb, hostile::xz(&cpio)).unwrap();
    drop(cpio);
    let e = initrd::inspect(&bomb).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{} segment 0 (xz at offset 0): ", bomb.display()))
            && e.contains("more than 131072 entries"),
        "{e}"
    );
    let out = dir.path().join("out.gz");
    let seg = dir.path().join("seg.cpio");
    fs::write(&seg, hostile::archive(&[("a", b"a")])).unwrap();
    let e = initrd::append(
        &bomb,
        &[Segment::Archive(seg)],
        &out,
        &AppendOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("more than 131072 entries"), "{e}");
    assert_eq!(listing(dir.path()), ["bomb.cpio.xz", "seg.cpio"]);
}

#[test]
fn names_are_bounded_in_bytes_too() {
    // 8,200 names of 4,095 bytes: 33 MB of names in few entries.
    let dir = tempfile::tempdir().unwrap();
    let mut cpio = Vec::new();
    for i in 0..8_200u32 {
        let name = format!("{i:0>4095}");
        cpio.extend(hostile::newc_entry(name.as_bytes(), 0o100644, i + 1, b""));
    }
    cpio.extend(hostile::trailer());
    let path = dir.path().join("names.cpio.gz");
    fs::write(&path, hostile::gzip(&cpio)).unwrap();
    let e = initrd::inspect(&path).unwrap_err().to_string();
    assert!(
        e.contains("more than 33554432 bytes of names and link targets"),
        "{e}"
    );
}

#[test]
fn empty_and_all_zero_initrds_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let seg = dir.path().join("seg.cpio");
    fs::write(&seg, hostile::archive(&[("a", b"a")])).unwrap();
    for (name, bytes) in [("empty", vec![]), ("zeros", vec![0u8; 4096])] {
        let path = dir.path().join(name);
        fs::write(&path, &bytes).unwrap();
        let e = initrd::inspect(&path).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: no cpio archive in it (the file is empty or all zero bytes)",
                path.display()
            )
        );
        let out = dir.path().join("out.gz");
        let e = append_error(&path, &seg, &out);
        assert_eq!(
            e,
            format!(
                "{}: no cpio archive in it (the file is empty or all zero bytes)",
                path.display()
            )
        );
        assert!(!out.exists());
    }
    assert_eq!(listing(dir.path()), ["empty", "seg.cpio", "zeros"]);
}

#[test]
fn dev_zero_gives_up_after_a_bounded_run() {
    let e = within(60, || {
        initrd::inspect(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string()
    });
    assert_eq!(
        e,
        "/dev/zero: more than 16777216 zero bytes in a row at offset 0 \
         (the limit on padding between segments)"
    );
}

#[test]
fn zero_run_inside_a_compressed_segment_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut cpio = hostile::archive(&[("a", b"a")]);
    cpio.resize(cpio.len() + (17 << 20), 0);
    let path = dir.path().join("padded.gz");
    fs::write(&path, hostile::gzip(&cpio)).unwrap();
    let e = within(60, move || initrd::inspect(&path).unwrap_err().to_string());
    assert!(
        e.contains("segment 0 (gzip at offset 0)")
            && e.contains("more than 16777216 zero bytes in a row after a trailer"),
        "{e}"
    );
}

#[test]
fn a_segment_holding_several_archives_is_named() {
    // A TRAILER!!! first, then two archives: the kernel reads three.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.cpio");
    fs::write(&base, hostile::archive(&[("init", b"#!/bin/sh\n")])).unwrap();
    let mut seg = hostile::trailer();
    seg.extend(hostile::archive(&[("a", b"a")]));
    seg.extend(hostile::archive(&[("b", b"b")]));
    let seg_path = dir.path().join("prefixed.cpio");
    fs::write(&seg_path, &seg).unwrap();
    let out = dir.path().join("out");
    let e = append_error(&base, &seg_path, &out);
    assert_eq!(
        e,
        format!(
            "{}: the kernel reads 3 archives in it, not one, at offsets 0 (empty: TRAILER!!! \
             is its first entry), 124 and 364; append each as a segment of its own",
            seg_path.display()
        )
    );
    assert!(!out.exists());
}

#[test]
fn thread_count_out_of_range_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.cpio");
    fs::write(&base, hostile::archive(&[("init", b"x")])).unwrap();
    let mut tree = osstest_core::format::cpio::Tree::new("t");
    tree.add_bytes("a", 0o644, b"a".to_vec()).unwrap();
    let out = dir.path().join("out");
    let opts = AppendOptions {
        compression: Compression::Xz,
        threads: 100_000,
        ..AppendOptions::default()
    };
    let e = initrd::append(&base, &[Segment::Tree(tree)], &out, &opts)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "threads 100000: must be 1 to 64");
    assert!(!out.exists());
}

#[test]
fn warnings_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..1000).map(|i| format!("/abs/{i}")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let path = dir.path().join("abs.cpio");
    fs::write(&path, hostile::archive(&files)).unwrap();
    let i = initrd::inspect(&path).unwrap();
    assert_eq!(i.warnings.len(), 101);
    assert_eq!(i.warnings[100], "... and 900 more warnings");
}

/// `initrd::append`'s error appending `segment` (one archive) to `base`.
fn append_error(
    base: &std::path::Path,
    segment: &std::path::Path,
    out: &std::path::Path,
) -> String {
    initrd::append(
        base,
        &[Segment::Archive(segment.to_path_buf())],
        out,
        &AppendOptions::default(),
    )
    .unwrap_err()
    .to_string()
}
