// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The newc writer and reader against the real tools: GNU cpio and bsdtar
//! list and extract what we write exactly as intended, GNU cpio's own
//! archives (070701 and 070702) read back right, and bad archives fail
//! naming the member and offset.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use osstest_core::format::cpio::{self, name::NameProblem, Kind, Reader, Tree, Writer};

fn run_stdin(cmd: &mut Command, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A tree with every kind of entry the writer makes, and the names it
/// should come out as, in order (parents added).
fn sample() -> (Tree, Vec<&'static str>) {
    let mut t = Tree::new("sample");
    t.add_bytes("etc/hostname", 0o644, "osstest\n").unwrap();
    t.add_bytes("bin/busybox", 0o755, vec![0xabu8; 1001])
        .unwrap();
    t.add_hard_link("sbin/init", "bin/busybox").unwrap();
    // Sorts before its target: it carries the data.
    t.add_hard_link("a-link", "bin/busybox").unwrap();
    t.add_symlink("bin/sh", "busybox").unwrap();
    t.add_dir("etc", 0o750).unwrap();
    t.add_bytes("usr/bin/sudo", 0o4755, "#!/bin/true\n")
        .unwrap();
    t.add_bytes(
        "lib/modules/6.1.0-50-arm64/kernel/fs/ext4/ext4.ko",
        0o644,
        vec![7u8; 4096],
    )
    .unwrap();
    t.add_bytes("lib/modules/6.1.0-50-arm64/modules.order", 0o644, "")
        .unwrap();
    t.add_bytes("lib/modules-load.d/x", 0o600, "abc").unwrap();
    t.add_special("dev/console", Kind::CharDevice, 0o600, (5, 1))
        .unwrap();
    let names = vec![
        "a-link",
        "bin",
        "bin/busybox",
        "bin/sh",
        "dev",
        "dev/console",
        "etc",
        "etc/hostname",
        "lib",
        "lib/modules",
        "lib/modules/6.1.0-50-arm64",
        "lib/modules/6.1.0-50-arm64/kernel",
        "lib/modules/6.1.0-50-arm64/kernel/fs",
        "lib/modules/6.1.0-50-arm64/kernel/fs/ext4",
        "lib/modules/6.1.0-50-arm64/kernel/fs/ext4/ext4.ko",
        "lib/modules/6.1.0-50-arm64/modules.order",
        "lib/modules-load.d",
        "lib/modules-load.d/x",
        "sbin",
        "sbin/init",
        "usr",
        "usr/bin",
        "usr/bin/sudo",
    ];
    (t, names)
}

/// What an extracted tree must look like.
fn check_extracted(root: &Path, tool: &str) {
    let m =
        |p: &str| fs::symlink_metadata(root.join(p)).unwrap_or_else(|e| panic!("{tool}: {p}: {e}"));
    assert_eq!(
        fs::read(root.join("etc/hostname")).unwrap(),
        b"osstest\n",
        "{tool}"
    );
    assert_eq!(m("etc").mode() & 0o7777, 0o750, "{tool}: etc mode");
    assert_eq!(
        m("lib/modules").mode() & 0o7777,
        0o755,
        "{tool}: added parent mode"
    );
    assert_eq!(
        m("usr/bin/sudo").mode() & 0o7777,
        0o4755,
        "{tool}: setuid kept"
    );
    assert_eq!(m("lib/modules-load.d/x").mode() & 0o7777, 0o600, "{tool}");
    assert_eq!(
        fs::read(root.join("bin/busybox")).unwrap(),
        vec![0xabu8; 1001],
        "{tool}"
    );
    assert_eq!(
        fs::read(root.join("lib/modules/6.1.0-50-arm64/kernel/fs/ext4/ext4.ko")).unwrap(),
        vec![7u8; 4096],
        "{tool}"
    );
    assert_eq!(
        fs::read(root.join("lib/modules/6.1.0-50-arm64/modules.order")).unwrap(),
        b"",
        "{tool}"
    );
    assert!(
        m("bin/sh").file_type().is_symlink(),
        "{tool}: bin/sh a symlink"
    );
    assert_eq!(
        fs::read_link(root.join("bin/sh")).unwrap(),
        Path::new("busybox"),
        "{tool}"
    );
    // One inode, three names, the data on it.
    let (a, b, c) = (m("bin/busybox"), m("sbin/init"), m("a-link"));
    assert_eq!(a.ino(), b.ino(), "{tool}: sbin/init linked to bin/busybox");
    assert_eq!(a.ino(), c.ino(), "{tool}: a-link linked to bin/busybox");
    assert_eq!(a.nlink(), 3, "{tool}: link count");
    assert_eq!(a.len(), 1001, "{tool}");
    let dev = m("dev/console");
    assert!(
        std::os::unix::fs::FileTypeExt::is_char_device(&dev.file_type()),
        "{tool}: dev/console"
    );
    assert_eq!(dev.rdev(), (5 << 8) | 1, "{tool}: dev/console 5:1");
}

#[test]
fn gnu_cpio_and_bsdtar_list_and_extract_what_we_write() {
    let (tree, names) = sample();
    let bytes = tree.write(Vec::new(), 1_700_000_000).unwrap();
    assert_eq!(bytes.len() % 4, 0);

    let listed = run_stdin(Command::new("cpio").args(["-t", "--quiet"]), &bytes);
    assert_eq!(listed.lines().collect::<Vec<_>>(), names, "cpio -t");
    let listed = run_stdin(Command::new("bsdtar").args(["-tf", "-"]), &bytes);
    assert_eq!(listed.lines().collect::<Vec<_>>(), names, "bsdtar -t");

    // Owner, mtime and modes as GNU cpio sees them.
    let verbose = run_stdin(Command::new("cpio").args(["-tv", "--quiet"]), &bytes);
    for line in verbose.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!((f[2], f[3]), ("root", "root"), "owner: {line}");
    }
    assert!(verbose.contains("-rwsr-xr-x"), "setuid shown: {verbose}");
    assert!(
        verbose.contains("Nov 14  2023"),
        "mtime 1700000000 shown: {verbose}"
    );

    let dir = tempfile::tempdir().unwrap();
    let gnu = dir.path().join("gnu");
    fs::create_dir(&gnu).unwrap();
    run_stdin(
        Command::new("cpio")
            .args(["-idv", "--quiet", "--no-absolute-filenames"])
            .current_dir(&gnu),
        &bytes,
    );
    check_extracted(&gnu, "GNU cpio");

    let bsd = dir.path().join("bsd");
    fs::create_dir(&bsd).unwrap();
    run_stdin(
        Command::new("bsdtar").args(["-xpf", "-"]).current_dir(&bsd),
        &bytes,
    );
    check_extracted(&bsd, "bsdtar");
}

#[test]
fn output_is_deterministic() {
    let a = sample().0.write(Vec::new(), 0).unwrap();
    let b = sample().0.write(Vec::new(), 0).unwrap();
    assert_eq!(a, b);
    let c = sample().0.write(Vec::new(), 1).unwrap();
    assert_ne!(a, c, "mtime is in the headers");
    // A directory tree on disk gives the same archive however it was made.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("x/y")).unwrap();
    fs::write(root.join("x/y/z"), "z").unwrap();
    fs::write(root.join("x/a"), "a").unwrap();
    std::os::unix::fs::symlink("y/z", root.join("x/l")).unwrap();
    fs::hard_link(root.join("x/a"), root.join("x/y/hl")).unwrap();
    let mut t = Tree::new("dir");
    t.add_dir_tree(root, "pre/fix").unwrap();
    let bytes = t.write(Vec::new(), 0).unwrap();
    let listed = run_stdin(Command::new("cpio").args(["-t", "--quiet"]), &bytes);
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "pre",
            "pre/fix",
            "pre/fix/x",
            "pre/fix/x/a",
            "pre/fix/x/l",
            "pre/fix/x/y",
            "pre/fix/x/y/hl",
            "pre/fix/x/y/z"
        ]
    );
    let out = tempfile::tempdir().unwrap();
    run_stdin(
        Command::new("bsdtar")
            .args(["-xpf", "-"])
            .current_dir(out.path()),
        &bytes,
    );
    let x = out.path().join("pre/fix/x");
    assert_eq!(fs::read_link(x.join("l")).unwrap(), Path::new("y/z"));
    assert_eq!(
        fs::metadata(x.join("a")).unwrap().ino(),
        fs::metadata(x.join("y/hl")).unwrap().ino()
    );
    assert_eq!(fs::read(x.join("y/hl")).unwrap(), b"a");
}

/// Every entry of an archive, with its data.
fn read_all(bytes: &[u8]) -> Vec<(cpio::Entry, Vec<u8>)> {
    let mut r = Reader::new(Cursor::new(bytes), "test");
    let mut v = Vec::new();
    while let Some(e) = r.next_entry().unwrap() {
        let mut data = Vec::new();
        r.data().read_to_end(&mut data).unwrap();
        v.push((e, data));
    }
    assert!(!r.next_archive().unwrap(), "nothing after the trailer");
    v
}

#[test]
fn round_trip() {
    let (tree, names) = sample();
    let bytes = tree.write(Vec::new(), 42).unwrap();
    let entries = read_all(&bytes);
    assert_eq!(
        entries
            .iter()
            .map(|(e, _)| e.name.as_str())
            .collect::<Vec<_>>(),
        names
    );
    let by: BTreeMap<&str, &(cpio::Entry, Vec<u8>)> =
        entries.iter().map(|x| (x.0.name.as_str(), x)).collect();
    for (e, _) in &entries {
        assert_eq!(
            (e.uid, e.gid, e.mtime, e.checksum),
            (0, 0, 42, None),
            "{}",
            e.name
        );
        assert_eq!(e.name_problem(), None);
    }
    let (sh, _) = by["bin/sh"];
    assert_eq!(
        (sh.kind, sh.link_target.as_deref()),
        (Kind::Symlink, Some("busybox"))
    );
    let (first, data) = by["a-link"];
    assert_eq!((first.kind, first.nlink, data.len()), (Kind::File, 3, 1001));
    for n in ["bin/busybox", "sbin/init"] {
        let (e, data) = by[n];
        assert_eq!(
            (e.ino, e.nlink, e.size, data.len()),
            (first.ino, 3, 0, 0),
            "{n}"
        );
    }
    assert_eq!(by["usr/bin/sudo"].0.mode, 0o104755);
    assert_eq!(by["dev/console"].0.rdev, (5, 1));
    assert_eq!(by["etc"].0.mode, 0o40750);
    // Inode numbers are distinct apart from the links.
    let mut inos: Vec<u32> = entries.iter().map(|(e, _)| e.ino).collect();
    inos.sort();
    inos.dedup();
    assert_eq!(inos.len(), entries.len() - 2);
}

#[test]
fn streams_a_large_file_without_holding_it() {
    let size = 20 << 20;
    let mut sink = CountSink(0);
    let mut w = Writer::new(&mut sink, "big", 0);
    w.file(
        "big.bin",
        0o644,
        size,
        &mut std::io::repeat(0x5a).take(size),
    )
    .unwrap();
    w.finish().unwrap();
    // Header and name (118, padded to 120), the data, the trailer (121, padded to 124).
    assert_eq!(sink.0, 120 + size + 124);
}

/// A file whose data the caller puts on the writer itself (as the
/// installer splices in data compressed ahead of time) gives the same
/// archive, and the same count, as one written through the writer.
#[test]
fn file_with_matches_file() {
    let files: [(&str, &[u8]); 4] = [
        ("a/b.ko", b"x"),
        ("a/c.ko", b"four"),
        ("a/d/e.ko", b"seven!!"),
        ("f", b""),
    ];
    let mut plain = Writer::new(Vec::new(), "plain", 7);
    for (n, d) in files {
        plain.file(n, 0o644, d.len() as u64, &mut &d[..]).unwrap();
    }
    let (plain, plain_size) = plain.finish_counted().unwrap();
    let mut spliced = Writer::new(Vec::new(), "spliced", 7);
    for (n, d) in files {
        spliced
            .file_with(n, 0o644, d.len() as u64, |w| {
                w.extend_from_slice(d);
                w.resize(w.len().next_multiple_of(4), 0);
                Ok(())
            })
            .unwrap();
    }
    let (spliced, spliced_size) = spliced.finish_counted().unwrap();
    assert_eq!(plain, spliced);
    assert_eq!(plain_size, plain.len() as u64);
    assert_eq!(spliced_size, plain_size);
    // And the real tool reads it.
    let listed = run_stdin(Command::new("cpio").args(["-t", "--quiet"]), &spliced);
    assert_eq!(listed, "a\na/b.ko\na/c.ko\na/d\na/d/e.ko\nf\n");
}

struct CountSink(u64);
impl std::io::Write for CountSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn writer_refuses_what_it_should() {
    let mut w = Writer::new(Vec::new(), "t.cpio", 0);
    w.file("b", 0o644, 1, &mut &b"x"[..]).unwrap();
    let e = w
        .file("a", 0o644, 1, &mut &b"x"[..])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "t.cpio: member \"a\" given after \"b\": names must come in sorted order (parents first)"
    );
    let e = w
        .file("c", 0o644, 5, &mut &b"abc"[..])
        .unwrap_err()
        .to_string();
    assert_eq!(e, "t.cpio: member c: data source gave 3 bytes, 5 declared");
    let e = w
        .file("d", 0o644, 2, &mut &b"abc"[..])
        .unwrap_err()
        .to_string();
    assert_eq!(e, "t.cpio: member d: data source gave 3 bytes, 2 declared");
    for bad in ["/abs", "x/../y", "x//y", "e/"] {
        let mut w = Writer::new(Vec::new(), "t.cpio", 0);
        let e = w.directory(bad, 0o755).unwrap_err().to_string();
        assert!(e.starts_with(&format!("t.cpio: member {bad:?}: ")), "{e}");
    }
    let mut w = Writer::new(Vec::new(), "t.cpio", 0);
    let e = w.hard_link("x", "y").unwrap_err().to_string();
    assert!(
        e.contains("hard link to \"y\", which was not written"),
        "{e}"
    );
    w.linked_file("f", 0o644, 1, 3, &mut &b"x"[..]).unwrap();
    w.hard_link("g", "f").unwrap();
    let e = w.finish().unwrap_err().to_string();
    assert_eq!(
        e,
        "t.cpio: member f: declared 3 names for its hard-link group, the archive has 2"
    );
    let mut t = Tree::new("t");
    t.add_hard_link("l", "nothing").unwrap();
    assert!(t
        .write(Vec::new(), 0)
        .unwrap_err()
        .to_string()
        .contains("not a regular file of this archive"));
}

#[test]
fn reads_gnu_cpio_newc_and_crc_archives() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/f"), "hello world\n").unwrap();
    fs::set_permissions(src.join("d/f"), fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("d/f", src.join("l")).unwrap();
    fs::hard_link(src.join("d/f"), src.join("h")).unwrap();
    for format in ["newc", "crc"] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "find . | LC_ALL=C sort | cpio -o --quiet -H {format}"
            ))
            .current_dir(&src)
            .output()
            .unwrap();
        assert!(out.status.success());
        let bytes = out.stdout;
        let entries = read_all(&bytes);
        let names: Vec<&str> = entries.iter().map(|(e, _)| e.name.as_str()).collect();
        assert_eq!(names, [".", "d", "d/f", "h", "l"], "{format}");
        let by: BTreeMap<&str, _> = entries
            .iter()
            .map(|(e, d)| (e.name.as_str(), (e, d)))
            .collect();
        // GNU cpio puts the data on the last name of a link group.
        let (f, _) = by["d/f"];
        let (h, hdata) = by["h"];
        assert_eq!((f.ino, f.nlink, f.mode), (h.ino, 2, 0o100640), "{format}");
        assert_eq!(hdata.as_slice(), b"hello world\n", "{format}");
        assert_eq!(by["l"].0.link_target.as_deref(), Some("d/f"));
        if format == "crc" {
            let sum: u32 = b"hello world\n".iter().map(|&b| b as u32).sum();
            assert_eq!(h.checksum, Some(sum));
            // Spoil one byte of the data: the checksum catches it, naming the member.
            let at = find(&bytes, b"hello world").unwrap();
            let mut bad = bytes.clone();
            bad[at] = b'j';
            let e = read_err(&bad);
            assert_eq!(
                e,
                format!(
                    "test: member h at offset {}: checksum {:08x}, header says {sum:08x}",
                    h.offset,
                    sum + (b'j' - b'h') as u32
                )
            );
        } else {
            assert_eq!(h.checksum, None);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The error reading every entry and its data gives.
fn read_err(bytes: &[u8]) -> String {
    let mut r = Reader::new(Cursor::new(bytes), "test");
    loop {
        match r.next_entry() {
            Ok(Some(_)) => {
                if let Err(e) = std::io::copy(&mut r.data(), &mut std::io::sink()) {
                    return e.to_string();
                }
            }
            Ok(None) => panic!("no error"),
            Err(e) => return e.to_string(),
        }
    }
}

#[test]
fn hostile_and_truncated_archives() {
    let mut w = Writer::new(Vec::new(), "t", 0);
    w.file("aaaa", 0o644, 10, &mut &b"0123456789"[..]).unwrap();
    w.file("bbbb", 0o644, 10, &mut &b"0123456789"[..]).unwrap();
    let good = w.finish().unwrap();
    // Header 110 + name 5 -> 116 (padded), data 10 -> 128 (padded).
    let second = 128;
    assert_eq!(&good[second..second + 6], b"070701");

    // Cut inside the second member's data.
    let e = read_err(&good[..second + 116 + 4]);
    assert_eq!(
        e,
        format!("test: truncated: data of member bbbb at offset {second} ends after 4 of 10 bytes")
    );
    // Cut inside a header.
    let e = read_err(&good[..second + 50]);
    assert_eq!(
        e,
        format!("test: truncated: header at offset {second} ends after 50 of 110 bytes")
    );
    // Cut inside a name.
    let e = read_err(&good[..second + 112]);
    assert_eq!(
        e,
        format!(
            "test: truncated: member name at offset {} ends after 2 of 5 bytes",
            second + 110
        )
    );
    // No trailer.
    let e = read_err(&good[..2 * second]);
    assert!(e.contains("archive ends without a TRAILER!!! entry"), "{e}");
    assert!(e.contains(&format!("offset {}", 2 * second)), "{e}");

    // Bad magic.
    let mut bad = good.clone();
    bad[second..second + 6].copy_from_slice(b"070707");
    assert_eq!(
        read_err(&bad),
        format!("test: offset {second}: bad magic \"070707\" (want 070701 or 070702)")
    );
    // An absurd name size is refused before anything is allocated.
    let mut bad = good.clone();
    bad[second + 94..second + 102].copy_from_slice(b"ffffffff");
    assert_eq!(
        read_err(&bad),
        format!("test: header at offset {second}: name size 4294967295 (must be 1 to 4096, with the NUL)")
    );
    // Non-hex digits.
    let mut bad = good.clone();
    bad[second + 54..second + 62].copy_from_slice(b"0000zz00");
    assert_eq!(
        read_err(&bad),
        format!(
            "test: header at offset {second}: field c_filesize is \"0000zz00\", not 8 hex digits"
        )
    );
    // An absurd data size is a truncation, found without reading ahead.
    let mut bad = good.clone();
    bad[second + 54..second + 62].copy_from_slice(b"fffffff0");
    let e = read_err(&bad);
    assert!(
        e.starts_with(&format!(
            "test: truncated: data of member bbbb at offset {second} ends after"
        )),
        "{e}"
    );
    // An absurd symlink size.
    let mut w = Writer::new(Vec::new(), "t", 0);
    w.symlink("l", "target").unwrap();
    let mut bad = w.finish().unwrap();
    bad[54..62].copy_from_slice(b"00100000");
    assert_eq!(
        read_err(&bad),
        "test: header at offset 0: symlink l: target size 1048576 (must be 1 to 4095)"
    );

    // Names that would escape an extraction root are read and reported.
    for (name, problem) in [
        ("../../etc/passwd", NameProblem::DotDot),
        ("/etc/shadow", NameProblem::Absolute),
    ] {
        let bytes = hand_made(name, b"x");
        let entries = read_all(&bytes);
        assert_eq!(entries[0].0.name, name);
        assert_eq!(entries[0].0.name_problem(), Some(problem));
    }
}

/// A one-file newc archive with any name, made by hand.
fn hand_made(name: &str, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    let fields = [
        1,
        0o100644,
        0,
        0,
        1,
        0,
        data.len() as u32,
        0,
        0,
        0,
        0,
        name.len() as u32 + 1,
        0,
    ];
    v.extend_from_slice(b"070701");
    for f in fields {
        v.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v.extend_from_slice(data);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    let trailer = Writer::new(Vec::new(), "t", 0).finish().unwrap();
    v.extend_from_slice(&trailer);
    v
}

/// Cut anywhere or with any byte spoiled, an archive gives an error or
/// (where the damage is in data) different data; the reader never panics
/// and never reads past the input.
#[test]
fn damaged_archives_never_panic() {
    let (tree, names) = sample();
    let good = tree.write(Vec::new(), 0).unwrap();
    let n = names.len();
    for cut in 0..good.len() {
        let mut r = Reader::new(Cursor::new(&good[..cut]), "cut");
        let mut seen = 0;
        let err = loop {
            match r.next_entry() {
                Ok(Some(_)) => {
                    seen += 1;
                    if let Err(e) = std::io::copy(&mut r.data(), &mut std::io::sink()) {
                        break e.to_string();
                    }
                }
                Ok(None) => panic!("archive cut at {cut} of {} read to the end", good.len()),
                Err(e) => break e.to_string(),
            }
        };
        assert!(seen <= n);
        assert!(err.starts_with("cut: truncated: "), "cut at {cut}: {err}");
    }
    // Every byte of every header and name, changed in a few ways.
    let mut state = 0x2545f491u32;
    for at in 0..good.len() {
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let mut bad = good.clone();
            bad[at] = bad[at].wrapping_add(1 + (state % 255) as u8);
            let mut r = Reader::new(Cursor::new(&bad[..]), "bad");
            let mut count = 0;
            while let Ok(Some(_)) = r.next_entry() {
                count += 1;
                assert!(count <= bad.len() / 110, "more entries than headers fit");
                if std::io::copy(&mut r.data(), &mut std::io::sink()).is_err() {
                    break;
                }
            }
        }
    }
}
