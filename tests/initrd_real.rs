// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Initrd inspection and appending on the Debian installer's real
//! `initrd.gz`, checked against GNU cpio and the compressors' own tools.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use osstest_core::format::compress::Compression;
use osstest_core::format::cpio::{Kind, Tree, Writer};
use osstest_core::format::initrd::{self, AppendOptions, Budget, Segment};

mod common;
use common::fetch;

/// The bookworm arm64 installer's initrd (fetched once per test binary).
fn di_initrd() -> PathBuf {
    static DI: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DI.get_or_init(|| fetch(&["di", "bookworm", "arm64"]).join("initrd.gz"))
        .clone()
}

fn sh(script: &str) -> Vec<u8> {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn inspects_the_installer_initrd_as_gnu_cpio_lists_it() {
    let path = di_initrd();
    let mut names = Vec::new();
    let segments = initrd::walk(&path, |seg, e, _| {
        assert_eq!(seg.index, 0);
        names.push(e.name.clone());
        Ok(())
    })
    .unwrap();
    let listed = sh(&format!("zcat '{}' | cpio -t --quiet", path.display()));
    let listed: Vec<&str> = std::str::from_utf8(&listed).unwrap().lines().collect();
    assert!(listed.len() > 2000, "a real installer initrd");
    assert_eq!(names, listed);

    let size = fs::metadata(&path).unwrap().len();
    let uncompressed = sh(&format!("zcat '{}' | wc -c", path.display()));
    let uncompressed: u64 = std::str::from_utf8(&uncompressed)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(segments.len(), 1);
    let s = &segments[0];
    assert_eq!(
        (s.offset, s.length, s.compression, s.archives),
        (0, size, Compression::Gzip, 1)
    );
    assert_eq!(s.entries, listed.len() as u64);
    assert_eq!(s.uncompressed_size, uncompressed);

    let found = initrd::inspect(&path).unwrap();
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    // The merged view has every name but the root, without "./".
    assert_eq!(
        found.files.len(),
        listed.iter().filter(|n| **n != ".").count()
    );
    let sh_ = found.files.iter().find(|f| f.name == "bin/sh").unwrap();
    assert_eq!((sh_.kind, sh_.segment), (Kind::Symlink, 0));
}

/// A small tree, as a segment.
fn tree(label: &str, files: &[(&str, &str)]) -> Tree {
    let mut t = Tree::new(label);
    for (n, d) in files {
        t.add_bytes(n, 0o644, d.as_bytes().to_vec()).unwrap();
    }
    t
}

/// The bytes of `path` from `offset`, `len` of them.
fn slice(path: &Path, offset: u64, len: u64) -> Vec<u8> {
    let b = fs::read(path).unwrap();
    b[offset as usize..(offset + len) as usize].to_vec()
}

fn tool_ok(cmd: &str, args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let t = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    t.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn appends_segments_of_every_compression_and_reads_them_back() {
    let base = di_initrd();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("combined");
    let base_len = fs::metadata(&base).unwrap().len();
    let seg = |c| AppendOptions {
        compression: c,
        ..AppendOptions::default()
    };
    // gzip, then an uncompressed one (needs 4-byte alignment), xz, zstd;
    // the later ones replace a name of the installer and of each other.
    let mut path = base.clone();
    let layers = [
        (
            Compression::Gzip,
            tree("g", &[("etc/osstest", "gzip"), ("init", "#!/bin/sh\n")]),
        ),
        (Compression::None, tree("n", &[("etc/osstest", "none!")])),
        (Compression::Xz, tree("x", &[("etc/osstest-xz", "xz")])),
        (Compression::Zstd, tree("z", &[("etc/osstest", "zstd")])),
    ];
    for (i, (c, t)) in layers.into_iter().enumerate() {
        let o = dir.path().join(format!("step{i}"));
        let report = initrd::append(&path, &[Segment::Tree(t)], &o, &seg(c)).unwrap();
        assert_eq!(report.first_appended, i + 1);
        path = o;
    }
    fs::rename(&path, &out).unwrap();
    let found = initrd::inspect(&out).unwrap();
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let segs = &found.segments;
    assert_eq!(
        segs.iter().map(|s| s.compression).collect::<Vec<_>>(),
        [
            Compression::Gzip,
            Compression::Gzip,
            Compression::None,
            Compression::Xz,
            Compression::Zstd
        ]
    );
    // The installer's bytes are untouched and come first.
    assert_eq!(slice(&out, 0, base_len), fs::read(&base).unwrap());
    for s in &segs[1..] {
        assert_eq!(s.offset % 4, 0, "segment {} aligned", s.index);
        assert!(s.offset >= segs[s.index - 1].offset + segs[s.index - 1].length);
    }
    // Each segment's bytes are exactly one stream its own tool accepts.
    let bytes = |i: usize| slice(&out, segs[i].offset, segs[i].length);
    let listed = tool_ok("sh", &["-c", "gzip -dc | cpio -t --quiet"], &bytes(1));
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        ["etc", "etc/osstest", "init"]
    );
    let listed = tool_ok("cpio", &["-t", "--quiet"], &bytes(2));
    assert_eq!(listed.lines().collect::<Vec<_>>(), ["etc", "etc/osstest"]);
    let xz = bytes(3);
    let f = dir.path().join("seg.xz");
    fs::write(&f, &xz).unwrap();
    let list = sh(&format!("xz --robot --list '{}'", f.display()));
    let list = String::from_utf8(list).unwrap();
    assert!(
        list.lines()
            .any(|l| l.starts_with("file\t") && l.contains("\tCRC32\t")),
        "{list}"
    );
    let listed = tool_ok("sh", &["-c", "xz -dc | cpio -t --quiet"], &xz);
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        ["etc", "etc/osstest-xz"]
    );
    let listed = tool_ok("sh", &["-c", "zstd -dc | cpio -t --quiet"], &bytes(4));
    assert_eq!(listed.lines().collect::<Vec<_>>(), ["etc", "etc/osstest"]);
    assert_eq!(segs[4].offset + segs[4].length, found.size);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o644,
        "readable by a TFTP daemon"
    );

    // The merged view: later names replace earlier ones.
    let file = |n: &str| found.files.iter().find(|f| f.name == n).unwrap().clone();
    let o = file("etc/osstest");
    assert_eq!((o.segment, o.size, o.replaced.clone()), (4, 4, vec![1, 2]));
    let init = file("init");
    assert_eq!((init.segment, init.replaced.clone()), (1, vec![0]));
    assert_eq!(file("etc/osstest-xz").segment, 3);
    assert_eq!(file("bin/sh").segment, 0);
    assert_eq!(file("etc").segment, 4);
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn append_is_deterministic_and_takes_directories_and_archives() {
    let base = di_initrd();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("kernel/fs")).unwrap();
    fs::write(src.join("kernel/fs/a.ko"), "module").unwrap();
    let mut w = Writer::new(Vec::new(), "pre-made", 0);
    w.file("pre-made", 0o644, 2, &mut &b"ok"[..]).unwrap();
    let archive = dir.path().join("pre.cpio");
    fs::write(&archive, w.finish().unwrap()).unwrap();
    let segments = [
        Segment::Directory {
            path: src.clone(),
            prefix: "lib/modules/6.1.0-50-arm64".into(),
        },
        Segment::Archive(archive),
    ];
    for threads in [1, 2] {
        let opts = AppendOptions {
            compression: Compression::Xz,
            threads,
            mtime: 1_700_000_000,
            ..AppendOptions::default()
        };
        let a = dir.path().join(format!("a{threads}"));
        let b = dir.path().join(format!("b{threads}"));
        let ra = initrd::append(&base, &segments, &a, &opts).unwrap();
        initrd::append(&base, &segments, &b, &opts).unwrap();
        assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
        assert_eq!(ra.segments.len(), 3);
        assert_eq!(ra.segments[2].compression, Compression::None);
        if threads == 2 {
            assert_eq!(
                fs::read(&a).unwrap(),
                fs::read(dir.path().join("a1")).unwrap(),
                "xz output independent of threads"
            );
        }
    }
    let found = initrd::inspect(&dir.path().join("a1")).unwrap();
    let m = found
        .files
        .iter()
        .find(|f| f.name == "lib/modules/6.1.0-50-arm64/kernel/fs/a.ko")
        .unwrap();
    assert_eq!((m.segment, m.size), (1, 6));
    assert!(found
        .files
        .iter()
        .any(|f| f.name == "pre-made" && f.segment == 2));
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn over_budget_is_an_error_naming_the_largest_and_writes_nothing() {
    let base = di_initrd();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::write(&out, "previous").unwrap();
    let mut t = Tree::new("big");
    t.add_bytes("big/blob", 0o644, vec![1u8; 64 << 20]).unwrap();
    let size = fs::metadata(&base).unwrap().len();
    let opts = AppendOptions {
        budget: Budget {
            max_size: Some(size + 1000),
            max_unpacked: None,
        },
        ..AppendOptions::default()
    };
    let e = initrd::append(&base, &[Segment::Tree(t.clone())], &out, &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("over the budget of {}", size + 1000)),
        "{e}"
    );
    assert!(
        e.contains("largest contributors: segment 0 (gzip, base, "),
        "{e}"
    );
    assert!(e.contains("segment 1 (gzip, appended, 2 entries)"), "{e}");
    assert_eq!(
        fs::read(&out).unwrap(),
        b"previous",
        "a failed append leaves the output as it was"
    );
    let opts = AppendOptions {
        budget: Budget {
            max_size: None,
            max_unpacked: Some(64 << 20),
        },
        ..AppendOptions::default()
    };
    let e = initrd::append(&base, &[Segment::Tree(t)], &out, &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("the unpacked image's file data is"), "{e}");
    assert!(
        e.contains("largest contributors: big/blob (segment 1) 67108864 bytes; "),
        "{e}"
    );
    assert_eq!(fs::read(&out).unwrap(), b"previous");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["out"], "no temporary files left behind");
}

#[test]
fn bad_initrds_fail_naming_the_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::new(Vec::new(), "x", 0);
    w.file("f", 0o644, 3, &mut &b"abc"[..]).unwrap();
    let cpio = w.finish().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&cpio).unwrap();
    let gz = gz.finish().unwrap();

    let p = dir.path().join("i");
    // Junk after a good gzip segment.
    fs::write(&p, [gz.clone(), b"junk".to_vec()].concat()).unwrap();
    let e = initrd::inspect(&p).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: segment at offset {}: unrecognised data [6a, 75, 6e, 6b] (neither a cpio archive nor a compression the kernel knows)",
            p.display(),
            gz.len()
        )
    );
    // An uncompressed archive right after a compressed one, unaligned.
    let mut odd = gz.clone();
    while odd.len() % 4 != 1 {
        odd.push(0);
    }
    fs::write(&p, [odd.clone(), cpio.clone()].concat()).unwrap();
    let e = initrd::inspect(&p).unwrap_err().to_string();
    assert!(
        e.contains("not a multiple of 4: the kernel would reject it"),
        "{e}"
    );
    // A truncated gzip segment.
    fs::write(&p, &gz[..gz.len() - 12]).unwrap();
    let e = initrd::inspect(&p).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{} segment 0 (gzip at offset 0): ", p.display())),
        "{e}"
    );
    assert!(e.contains("deflate"), "{e}");
    // Truncated cpio inside a good gzip stream names the member.
    let mut gz2 = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz2.write_all(&cpio[..113]).unwrap();
    fs::write(&p, gz2.finish().unwrap()).unwrap();
    let e = initrd::inspect(&p).unwrap_err().to_string();
    assert_eq!(
        e,
        format!("{} segment 0 (gzip at offset 0): truncated: data of member f at offset 0 ends after 1 of 3 bytes", p.display())
    );
    // bzip2 is recognised but not read.
    fs::write(&p, b"BZh91AY&SY").unwrap();
    let e = initrd::inspect(&p).unwrap_err().to_string();
    assert!(
        e.contains("bzip2 segments are recognised but not read"),
        "{e}"
    );
    // Appending something that is not an archive.
    let junk = dir.path().join("junk");
    fs::write(&junk, "hello").unwrap();
    fs::write(&p, &gz).unwrap();
    let e = initrd::append(
        &p,
        &[Segment::Archive(junk.clone())],
        &dir.path().join("o"),
        &AppendOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with(&format!(
            "{}: segment at offset 0: not a cpio archive",
            junk.display()
        )),
        "{e}"
    );
    assert!(!dir.path().join("o").exists());
    // The base is never changed.
    let mut f = fs::File::open(&p).unwrap();
    let mut v = Vec::new();
    f.read_to_end(&mut v).unwrap();
    assert_eq!(v, gz);

    // An xz archive with xz's default CRC64 check would stop the boot.
    let plain = dir.path().join("plain.cpio");
    fs::write(&plain, &cpio).unwrap();
    sh(&format!("xz -k '{}'", plain.display()));
    let xz = dir.path().join("plain.cpio.xz");
    let e = initrd::append(
        &p,
        &[Segment::Archive(xz.clone())],
        &dir.path().join("o"),
        &AppendOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        format!(
            "{}: segment at offset 0: xz stream with check type 4; the kernel's decoder accepts only CRC32 or none (xz --check=crc32)",
            xz.display()
        )
    );
    assert!(!dir.path().join("o").exists());
    fs::remove_file(&xz).unwrap();
    sh(&format!("xz -k --check=crc32 '{}'", plain.display()));
    let r = initrd::append(
        &p,
        &[Segment::Archive(xz)],
        &dir.path().join("o"),
        &AppendOptions::default(),
    )
    .unwrap();
    assert_eq!(r.segments[1].compression, Compression::Xz);
    assert_eq!(r.segments[1].entries, 1);
    // inspect warns about such a stream found in an initrd.
    let crc64 = dir.path().join("crc64");
    sh(&format!(
        "xz -c '{}' > '{}'",
        plain.display(),
        crc64.display()
    ));
    let found = initrd::inspect(&crc64).unwrap();
    assert_eq!(found.warnings.len(), 1);
    assert!(
        found.warnings[0].contains("xz check type 4"),
        "{:?}",
        found.warnings
    );
}

/// What the kernel accepts beyond one archive per segment: several
/// archives in one compressed stream, GNU cpio's 512-byte block padding
/// and zero padding between segments.
#[test]
fn several_archives_per_stream_and_padding() {
    let dir = tempfile::tempdir().unwrap();
    let archive = |name: &str, data: &[u8]| {
        let mut w = Writer::new(Vec::new(), "x", 0);
        w.file(name, 0o644, data.len() as u64, &mut &data[..])
            .unwrap();
        w.finish().unwrap()
    };
    let a = archive("a", b"first");
    let b = archive("a", b"second!");
    // One gzip stream: archive, zero padding, archive.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&a).unwrap();
    gz.write_all(&[0u8; 12]).unwrap();
    gz.write_all(&b).unwrap();
    let gz = gz.finish().unwrap();
    // GNU cpio's output, padded to 512 bytes.
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("c"), "gnu").unwrap();
    let gnu = sh(&format!(
        "cd '{}' && echo c | cpio -o --quiet -H newc",
        src.display()
    ));
    assert_eq!(gnu.len() % 512, 0);
    let mut image = gz.clone();
    image.extend_from_slice(&[0u8; 7]);
    while image.len() % 4 != 0 {
        image.push(0);
    }
    let gnu_at = image.len() as u64;
    image.extend_from_slice(&gnu);
    image.extend_from_slice(&gz);
    let p = dir.path().join("image");
    fs::write(&p, &image).unwrap();

    let found = initrd::inspect(&p).unwrap();
    let s = &found.segments;
    assert_eq!(s.len(), 3);
    assert_eq!(
        (s[0].archives, s[0].entries, s[0].length),
        (2, 2, gz.len() as u64)
    );
    assert_eq!(
        (s[1].offset, s[1].compression, s[1].entries),
        (gnu_at, Compression::None, 1)
    );
    assert_eq!(
        s[2].offset,
        gnu_at + gnu.len() as u64,
        "GNU cpio's block padding skipped"
    );
    let a = found.files.iter().find(|f| f.name == "a").unwrap();
    assert_eq!(
        (a.segment, a.size, a.replaced.clone()),
        (2, 7, vec![0, 0, 2])
    );
}

/// A gzipped newc archive of `n` one-byte files named `../{tag}{i}`: each
/// is a warning when inspected (the writer refuses such names, so they
/// are written as `zz/...` and patched).
fn warned_archive(tag: &str, n: usize) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), "w", 0);
    for i in 0..n {
        w.file(&format!("zz/{tag}{i:03}"), 0o644, 1, &mut &b"x"[..])
            .unwrap();
    }
    let mut raw = w.finish().unwrap();
    let mut at = 0;
    while let Some(i) = raw[at..].windows(3).position(|w| w == b"zz/") {
        raw[at + i..at + i + 2].copy_from_slice(b"..");
        at += i + 3;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    gz.finish().unwrap()
}

/// What `sha256sum` says of `path`.
fn sha256sum(path: &Path) -> String {
    let out = String::from_utf8(sh(&format!("sha256sum '{}'", path.display()))).unwrap();
    out.split(' ').next().unwrap().to_owned()
}

#[test]
fn an_append_reads_the_base_once_and_reports_what_reading_it_all_does() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    // Over the warnings an inspection keeps, before and after the append.
    fs::write(&base, warned_archive("a", initrd::MAX_WARNINGS + 20)).unwrap();
    let seg = dir.path().join("seg.cpio.gz");
    fs::write(&seg, warned_archive("b", 5)).unwrap();
    let inspected = initrd::inspect(&base).unwrap();
    assert_eq!(inspected.sha256, sha256sum(&base));
    assert_eq!(
        inspected.warnings.last().unwrap(),
        "... and 20 more warnings"
    );

    // What an append saw of the base is what inspecting it says.
    let out = dir.path().join("out");
    let started = initrd::start(
        &base,
        osstest_core::format::output::Output::create(&out).unwrap(),
    )
    .unwrap();
    let seen = started.inspection();
    assert_eq!(
        (&seen.segments, &seen.files, &seen.warnings, &seen.sha256),
        (
            &inspected.segments,
            &inspected.files,
            &inspected.warnings,
            &inspected.sha256
        )
    );
    let report = started
        .finish(&[Segment::Archive(seg)], &AppendOptions::default())
        .unwrap();
    // It read back only what follows the base; what it says is what
    // reading the whole result from scratch says.
    let found = initrd::inspect(&out).unwrap();
    assert_eq!(report.first_appended, 1);
    assert_eq!(report.warnings.last().unwrap(), "... and 25 more warnings");
    assert_eq!((report.size, &report.sha256), (found.size, &found.sha256));
    assert_eq!(report.sha256, sha256sum(&out));
    assert_eq!(
        (found.segments, found.merged_data_size, found.warnings),
        (report.segments, report.merged_data_size, report.warnings)
    );
}
