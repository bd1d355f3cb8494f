// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Real Debian kernel packages, unpicked and compared with dpkg-deb: the
//! entries we list and the files we extract must be exactly dpkg's.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use osstest_core::kernel::{normalise, EntryKind, KernelSource, Role, Selection};

/// What dpkg-deb says one entry is: (kind, mode).
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink(String),
}

/// Reads both streams to the end and says whether they are equal.
fn same_bytes(mut a: impl Read, mut b: impl Read) -> io::Result<bool> {
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = a.read(&mut ba)?;
        if n == 0 {
            return Ok(b.read(&mut bb[..1])? == 0);
        }
        let mut got = 0;
        while got < n {
            let k = b.read(&mut bb[got..n])?;
            if k == 0 {
                return Ok(false);
            }
            got += k;
        }
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

fn walk(root: &Path, rel: &str, out: &mut BTreeMap<String, Kind>) {
    for e in fs::read_dir(root.join(rel)).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        let r = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            out.insert(r.clone(), Kind::Dir);
            walk(root, &r, out);
        } else if ft.is_symlink() {
            let t = fs::read_link(e.path()).unwrap();
            out.insert(r, Kind::Symlink(t.to_str().unwrap().to_owned()));
        } else {
            out.insert(r, Kind::File);
        }
    }
}

fn check(suite: &str, arch: &str, flavour: &str, expect_compression: &str) {
    let deb = common::fetch(&["kernel", suite, arch, flavour]);
    let k = KernelSource::open(&deb).unwrap();

    // One pass with the visitor: the list of entries.
    let mut listed = BTreeMap::new();
    let mut modules_seen = 0;
    k.visit(|e| {
        let kind = match &e.kind {
            EntryKind::Dir => Kind::Dir,
            EntryKind::File => Kind::File,
            EntryKind::Symlink(t) => Kind::Symlink(t.clone()),
            EntryKind::Hardlink(_) => Kind::File,
        };
        if e.role == Role::Module {
            modules_seen += 1;
            // The first few, decompressed by us and by the real tool.
            if modules_seen <= 8 {
                let bytes = e.read_all(1 << 26).unwrap();
                let (info, plain) = k.read_module(&e.path, &bytes).unwrap();
                assert!(info
                    .vermagic
                    .unwrap()
                    .starts_with(e.version.as_deref().unwrap()));
                let tool = match e.path.rsplit('.').next().unwrap() {
                    "xz" => Some("xz"),
                    "zst" => Some("zstd"),
                    "gz" => Some("gzip"),
                    _ => None,
                };
                match tool {
                    Some(tool) => {
                        let t = tempfile::NamedTempFile::new().unwrap();
                        fs::write(t.path(), &bytes).unwrap();
                        let out = Command::new(tool)
                            .arg("-dc")
                            .arg(t.path())
                            .output()
                            .unwrap();
                        assert!(out.status.success());
                        assert!(out.stdout == *plain, "{}: differs from {tool} -dc", e.path);
                    }
                    None => assert!(*plain == bytes[..]),
                }
            }
        }
        assert!(
            listed.insert(e.path.clone(), kind).is_none(),
            "{} twice",
            e.path
        );
        Ok(())
    })
    .unwrap();

    let dest = tempfile::tempdir().unwrap();
    let info = k
        .unpick(&dest.path().join("out"), &Selection::everything())
        .unwrap();
    let out = dest.path().join("out");
    assert_eq!(info.module_count, modules_seen);
    assert!(info.module_count > 3000, "{} modules", info.module_count);
    assert_eq!(info.debian_arch.as_deref(), Some(arch));
    assert!(info.package.as_deref().unwrap().starts_with("linux-image-"));
    assert_eq!(
        info.module_compression.keys().collect::<Vec<_>>(),
        vec![expect_compression],
        "{:?}",
        info.module_compression
    );
    assert!(info.dtb_count > 0 || arch == "amd64");

    // dpkg-deb is the oracle: every entry of its data tar, byte for byte.
    let mut dpkg = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(&deb)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ar = tar::Archive::new(dpkg.stdout.take().unwrap());
    let mut from_dpkg = BTreeMap::new();
    let mut files = 0;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        let p = normalise(&name).unwrap();
        if p.is_empty() {
            continue;
        }
        let h = e.header();
        let kind = match h.entry_type() {
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Regular => Kind::File,
            tar::EntryType::Symlink => {
                Kind::Symlink(String::from_utf8(e.link_name_bytes().unwrap().into_owned()).unwrap())
            }
            t => panic!("{p}: unexpected {t:?} in dpkg's tar"),
        };
        let ours = out.join(&p);
        let meta = fs::symlink_metadata(&ours).unwrap_or_else(|_| panic!("{p} not extracted"));
        if kind == Kind::File {
            files += 1;
            let mode = h.mode().unwrap() & 0o7777;
            assert_eq!(meta.permissions().mode() & 0o7777, mode, "{p}: mode");
            assert_eq!(meta.len(), e.size(), "{p}: size");
            assert!(
                same_bytes(&mut e, fs::File::open(&ours).unwrap()).unwrap(),
                "{p}: bytes differ from dpkg-deb's"
            );
        }
        from_dpkg.insert(p, kind);
    }
    assert!(dpkg.wait().unwrap().success());
    assert!(files > 3000);

    assert_eq!(
        listed, from_dpkg,
        "the visitor's list and dpkg-deb's differ"
    );
    let mut on_disk = BTreeMap::new();
    walk(&out, "", &mut on_disk);
    assert_eq!(
        on_disk, from_dpkg,
        "what we extracted and dpkg-deb's list differ"
    );
    assert_eq!(info.extracted, from_dpkg.len());
    assert_eq!(
        info.image_path.as_deref(),
        Some(out.join(&info.image).as_path())
    );
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn bookworm_arm64() {
    check("bookworm", "arm64", "arm64", "");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn bookworm_armhf() {
    check("bookworm", "armhf", "armmp", "");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn bookworm_amd64() {
    check("bookworm", "amd64", "amd64", "");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn trixie_arm64_merged_usr_xz_modules() {
    check("trixie", "arm64", "arm64", "xz");
}
