// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Kerndist tarballs, trees and small .debs built here from parts of real
//! kernels: the three sources agree; modules of the wrong architecture or
//! version are refused naming the file, with the same words by
//! `kernel_info`'s reading and the installer's; hostile, truncated and
//! corrupt archives are errors and write nothing outside the destination.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use osstest_core::installer::{di_kernel, installer_modules, Options};
use osstest_core::kernel::{EntryKind, KernelError, KernelSource, ModulePath, Role, Selection};

/// Parts of one real kernel: its version, the first 64 KiB of its image
/// and a few modules (path under the module tree, bytes).
struct Parts {
    version: String,
    image_head: Vec<u8>,
    modules: Vec<(String, Vec<u8>)>,
}

/// Reads the first `n` modules of a real package, stopping there.
fn parts_of(suite: &str, arch: &str, flavour: &str, n: usize) -> Parts {
    let deb = common::fetch(&["kernel", suite, arch, flavour]);
    let k = KernelSource::open(&deb).unwrap();
    let mut p = Parts {
        version: String::new(),
        image_head: Vec::new(),
        modules: Vec::new(),
    };
    let r = k.visit(|e| {
        if e.role == Role::Image {
            p.version = e.version.clone().unwrap();
            let mut head = vec![0u8; 64 * 1024];
            std::io::Read::read_exact(e, &mut head).unwrap();
            p.image_head = head;
        }
        if e.role == Role::Module && e.kind == EntryKind::File {
            let rel = ModulePath::parse(&e.path).unwrap().rest.to_owned();
            p.modules.push((rel, e.read_all(1 << 26).unwrap()));
            if p.modules.len() == n {
                return Err(KernelError::Visitor("enough".into()));
            }
        }
        Ok(())
    });
    assert!(matches!(r, Err(KernelError::Visitor(_))), "{:?}", r.err());
    assert!(
        !p.image_head.is_empty(),
        "the image comes before the modules"
    );
    p
}

fn arm64() -> &'static Parts {
    static P: OnceLock<Parts> = OnceLock::new();
    P.get_or_init(|| parts_of("bookworm", "arm64", "arm64", 6))
}

fn armhf() -> &'static Parts {
    static P: OnceLock<Parts> = OnceLock::new();
    P.get_or_init(|| parts_of("bookworm", "armhf", "armmp", 1))
}

fn trixie() -> &'static Parts {
    static P: OnceLock<Parts> = OnceLock::new();
    P.get_or_init(|| parts_of("trixie", "arm64", "arm64", 1))
}

fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

/// A `make install` / `modules_install` / `dtbs_install` tree of `p`, with
/// `extra` modules (path under lib/modules/VER, bytes) added.
fn tree(dir: &Path, p: &Parts, image_head: &[u8], extra: &[(String, Vec<u8>)]) {
    let v = &p.version;
    write(&dir.join(format!("boot/vmlinuz-{v}")), image_head);
    write(
        &dir.join(format!("boot/System.map-{v}")),
        b"ffff0000 T _text\n",
    );
    write(&dir.join(format!("boot/config-{v}")), b"CONFIG_ARM64=y\n");
    write(
        &dir.join(format!("boot/dtbs/{v}/vendor/board.dtb")),
        b"\xd0\x0d\xfe\xed fake",
    );
    write(&dir.join("lib/firmware/fw.bin"), b"firmware");
    for (rel, b) in p.modules.iter().chain(extra) {
        write(&dir.join(format!("lib/modules/{v}/{rel}")), b);
    }
    write(
        &dir.join(format!("lib/modules/{v}/modules.order")),
        b"kernel/x.ko\n",
    );
    // As `make modules_install` leaves it: a link to the build tree.
    std::os::unix::fs::symlink(
        "/home/osstest/build.1.build-arm64/linux",
        dir.join(format!("lib/modules/{v}/build")),
    )
    .unwrap();
}

/// A kerndist tarball of a tree as osstest's `built_stash` makes it
/// (`cd dist && tar zcf kerndist.tar.gz *`: names without `./`).
fn targz(dir: &Path) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    b.follow_symlinks(false);
    let mut top: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    top.sort();
    for name in top {
        b.append_dir_all(&name, dir.join(&name)).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

fn tar_of(dir: &Path) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    b.append_dir_all(".", dir).unwrap();
    b.into_inner().unwrap()
}

/// An ar archive of `members`, as dpkg-deb writes it.
fn ar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, data) in members {
        let h = format!(
            "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
            name,
            0,
            0,
            0,
            "100644",
            data.len()
        );
        assert_eq!(h.len(), 60);
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

fn control_tar(arch: &str) -> Vec<u8> {
    let control = format!(
        "Package: linux-image-test\nVersion: 1.0\nArchitecture: {arch}\nMaintainer: Test <t@example.org>\nDescription: test\n multi-line\n"
    );
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut h = tar::Header::new_gnu();
    h.set_size(control.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "./control", control.as_bytes())
        .unwrap();
    b.into_inner().unwrap().finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deb(dir: &Path, arch: &str, version: &[u8]) -> Vec<u8> {
    let data = xz(&tar_of(dir));
    ar(&[
        ("debian-binary", version),
        ("control.tar.gz", &control_tar(arch)),
        ("data.tar.xz", &data),
    ])
}

/// A place for a destination, with a sibling that must stay empty.
struct Sandbox {
    t: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir(t.path().join("victim")).unwrap();
        Sandbox { t }
    }
    fn dest(&self) -> PathBuf {
        self.t.path().join("a/b/dest")
    }
    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.t.path().join(name);
        fs::write(&p, data).unwrap();
        p
    }
    /// Nothing but the destination, the inputs and the empty victim.
    fn assert_nothing_outside(&self, inputs: &[&str]) {
        assert_eq!(
            fs::read_dir(self.t.path().join("victim")).unwrap().count(),
            0,
            "victim written"
        );
        let mut names: Vec<String> = fs::read_dir(self.t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut want: Vec<String> = ["a", "victim"]
            .iter()
            .chain(inputs)
            .map(|s| s.to_string())
            .collect();
        want.sort();
        assert_eq!(names, want);
        let mut b: Vec<String> = fs::read_dir(self.t.path().join("a/b"))
            .map(|r| {
                r.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        b.retain(|n| n != "dest");
        assert!(b.is_empty(), "written beside the destination: {b:?}");
        // No partial files left anywhere under dest.
        let out = Command::new("find")
            .arg(self.t.path())
            .arg("-name")
            .arg("*.osstest-part-*")
            .output()
            .unwrap();
        assert!(
            out.stdout.is_empty(),
            "partial files left: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn three_sources_agree_and_match_their_inputs() {
    let p = arm64();
    let s = Sandbox::new();
    let dir = s.t.path().join("tree");
    tree(&dir, p, &p.image_head, &[]);
    let tgz = s.file("kerndist.tar.gz", &targz(&dir));
    let debf = s.file("k.deb", &deb(&dir, "arm64", b"2.0\n"));

    // dpkg-deb accepts the .deb we built and sees the same data.
    let out = Command::new("dpkg-deb")
        .arg("-f")
        .arg(&debf)
        .arg("Architecture")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "arm64");

    let mut infos = Vec::new();
    for (i, src) in [dir.clone(), tgz, debf].iter().enumerate() {
        let k = KernelSource::open(src).unwrap();
        let info = k.info().unwrap();
        assert_eq!(info.version, p.version);
        assert_eq!(info.arch.elf_machine, 183);
        assert_eq!(info.module_count, p.modules.len());
        assert_eq!(info.dtb_count, 1);
        assert_eq!(info.firmware_count, 1);
        assert_eq!(
            info.module_dir.as_deref(),
            Some(format!("lib/modules/{}", p.version).as_str())
        );
        let d = s.t.path().join(format!("a/out{i}"));
        let u = k.unpick(&d, &Selection::default()).unwrap();
        assert_eq!(u.extracted_modules, p.modules.len());
        for (rel, bytes) in &p.modules {
            assert_eq!(
                &fs::read(d.join(format!("lib/modules/{}/{rel}", p.version))).unwrap(),
                bytes
            );
        }
        assert_eq!(
            fs::read(u.image_path.as_ref().unwrap()).unwrap(),
            p.image_head
        );
        assert!(d
            .join(format!("boot/dtbs/{}/vendor/board.dtb", p.version))
            .is_file());
        let build = format!("lib/modules/{}/build", p.version);
        assert_eq!(u.skipped, vec![build.clone()]);
        assert!(fs::symlink_metadata(d.join(&build)).is_err());
        infos.push((info.kind_free(), u.extracted));
    }
    assert_eq!(infos[0], infos[1]);
    assert_eq!(infos[1], infos[2]);
}

/// What must agree between sources: everything but the source itself.
trait KindFree {
    fn kind_free(&self) -> String;
}
impl KindFree for osstest_core::kernel::KernelInfo {
    fn kind_free(&self) -> String {
        format!(
            "{} {:?} {} {} {} {} {:?}",
            self.version,
            self.arch,
            self.image,
            self.module_count,
            self.dtb_count,
            self.firmware_count,
            self.module_dir
        )
    }
}

fn info_err(src: &Path) -> String {
    let e = KernelSource::open(src).unwrap().info().unwrap_err();
    e.to_string()
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn module_of_another_arch_is_named() {
    let p = arm64();
    let bad = armhf();
    let s = Sandbox::new();
    let dir = s.t.path().join("tree");
    let (rel, bytes) = &bad.modules[0];
    let wrong = format!("kernel/zz/{}", rel.rsplit('/').next().unwrap());
    tree(&dir, p, &p.image_head, &[(wrong.clone(), bytes.clone())]);
    let msg = info_err(&dir);
    assert!(
        msg.contains(&wrong) && msg.contains("ELF machine 40"),
        "{msg}"
    );
    let tgz = s.file("k.tar.gz", &targz(&dir));
    let msg = info_err(&tgz);
    assert!(msg.contains(&wrong) && msg.contains("k.tar.gz"), "{msg}");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn image_of_another_arch_is_named() {
    let p = arm64();
    let s = Sandbox::new();
    let dir = s.t.path().join("tree");
    tree(&dir, p, &armhf().image_head, &[]);
    let msg = info_err(&dir);
    assert!(
        msg.contains(&format!("boot/vmlinuz-{}", p.version)) && msg.contains("ARM zImage"),
        "{msg}"
    );
    // And a .deb whose Architecture disagrees with its image.
    let mut ok = Vec::new();
    let d2 = s.t.path().join("tree2");
    tree(&d2, p, &p.image_head, &[]);
    ok.extend(deb(&d2, "armhf", b"2.0\n"));
    let f = s.file("k.deb", &ok);
    let msg = info_err(&f);
    assert!(msg.contains("Architecture armhf"), "{msg}");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn module_of_another_version_is_named() {
    let p = arm64();
    let other = trixie();
    let s = Sandbox::new();
    let dir = s.t.path().join("tree");
    let (rel, bytes) = &other.modules[0];
    assert!(rel.ends_with(".ko.xz"), "{rel}");
    tree(&dir, p, &p.image_head, &[(rel.clone(), bytes.clone())]);
    let msg = info_err(&dir);
    assert!(
        msg.contains(rel.as_str()) && msg.contains(&other.version) && msg.contains(&p.version),
        "{msg}"
    );
    // A module directory of another version: two versions, both named.
    let dir2 = s.t.path().join("tree2");
    tree(&dir2, p, &p.image_head, &[]);
    write(
        &dir2.join(format!("lib/modules/{}/{}", other.version, rel)),
        bytes,
    );
    let msg = info_err(&dir2);
    assert!(msg.contains("more than one kernel version"), "{msg}");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn not_a_module_is_named() {
    let p = arm64();
    let s = Sandbox::new();
    let dir = s.t.path().join("tree");
    tree(
        &dir,
        p,
        &p.image_head,
        &[("kernel/bad.ko.xz".into(), b"plain text".to_vec())],
    );
    let msg = info_err(&dir);
    assert!(
        msg.contains("kernel/bad.ko.xz") && msg.contains("not xz-compressed"),
        "{msg}"
    );
}

/// The members of an ar archive, in order.
fn ar_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    assert!(bytes.starts_with(b"!<arch>\n"));
    let mut at = 8;
    let mut members = Vec::new();
    while at < bytes.len() {
        let h = &bytes[at..at + 60];
        let name = String::from_utf8_lossy(&h[..16]).trim_end().to_owned();
        let size: usize = String::from_utf8_lossy(&h[48..58]).trim().parse().unwrap();
        members.push((name, bytes[at + 60..at + 60 + size].to_vec()));
        at += 60 + size + size % 2;
    }
    members
}

/// Debian's real kernel package `deb`, with its control's Architecture
/// changed to `arch` and everything else (the data member) as it is.
fn with_architecture(deb: &Path, arch: &str) -> Vec<u8> {
    let members = ar_members(&fs::read(deb).unwrap());
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, data) in members {
        if name != "control.tar.xz" {
            out.push((name, data));
            continue;
        }
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut liblzma::read::XzDecoder::new(&data[..]), &mut plain)
            .unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut old = tar::Archive::new(&plain[..]);
        for e in old.entries().unwrap() {
            let mut e = e.unwrap();
            let mut h = e.header().clone();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
            if e.path().unwrap().ends_with("control") {
                let text = String::from_utf8(bytes).unwrap();
                let was = text
                    .lines()
                    .find(|l| l.starts_with("Architecture: "))
                    .unwrap();
                bytes = text
                    .replace(was, &format!("Architecture: {arch}"))
                    .into_bytes();
                h.set_size(bytes.len() as u64);
                h.set_cksum();
            }
            b.append(&h, &bytes[..]).unwrap();
        }
        out.push((name, xz(&b.into_inner().unwrap())));
    }
    let refs: Vec<(&str, &[u8])> = out.iter().map(|(n, d)| (n.as_str(), &d[..])).collect();
    ar(&refs)
}

/// What the installer says of a source: di_kernel's error, after checking
/// installer_modules says the same.
fn installer_err(s: &Sandbox, src: &Path, di: &Path) -> String {
    let out = s.t.path().join("a/di-out");
    let e = match di_kernel(src, di, &out, &Options::default()) {
        Ok(_) => panic!("di_kernel took a faulty kernel"),
        Err(e) => e.to_string(),
    };
    let seg = s.t.path().join("a/seg.cpio.gz");
    let e2 = match installer_modules(src, &seg, &Options::default()) {
        Ok(_) => panic!("installer_modules took a faulty kernel"),
        Err(e) => e.to_string(),
    };
    assert_eq!(e2, e, "installer_modules and di_kernel differ");
    assert!(!seg.exists(), "segment written on error");
    assert!(
        !out.exists() || fs::read_dir(&out).unwrap().next().is_none(),
        "di_kernel output written on error"
    );
    e
}

/// The bug this guards against: the installer's reading of a kernel had
/// its own checks, which never compared a package's Architecture with its
/// image. Debian's real arm64 kernel package, its control saying armhf.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn wrong_architecture_deb_is_the_same_error_for_kernel_info_and_di_kernel() {
    let s = Sandbox::new();
    let real = common::fetch(&["kernel", "bookworm", "arm64", "arm64"]);
    let di = common::fetch(&["di", "bookworm", "arm64"]).join("initrd.gz");
    let bad = s.file("armhf.deb", &with_architecture(&real, "armhf"));
    // dpkg takes it for a package of armhf.
    let out = Command::new("dpkg-deb")
        .arg("-f")
        .arg(&bad)
        .arg("Architecture")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "armhf");
    let info = info_err(&bad);
    assert!(
        info.starts_with(&format!(
            "{}: package Architecture armhf but the image boot/vmlinuz-",
            bad.display()
        )) && info.ends_with("is for ELF machine 183 (64-bit)"),
        "{info}"
    );
    assert_eq!(installer_err(&s, &bad, &di), info);
}

/// Every fault the kernel check knows is the same error, word for word,
/// from kernel_info's reading and from di_kernel's and installer_modules'.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn every_kernel_fault_is_the_same_error_for_kernel_info_and_di_kernel() {
    let p = arm64();
    let s = Sandbox::new();
    let di = common::fetch(&["di", "bookworm", "arm64"]).join("initrd.gz");
    let v = &p.version;
    let mut faults: Vec<(&str, PathBuf, String)> = Vec::new();
    let mut fault = |what: &'static str, want: String, make: &dyn Fn(&Path)| {
        let dir = s.t.path().join(what.replace(' ', "-"));
        make(&dir);
        faults.push((what, dir, want));
    };
    let (rel, bytes) = &armhf().modules[0];
    let wrong = format!("kernel/zz/{}", rel.rsplit('/').next().unwrap());
    let extra = vec![(wrong.clone(), bytes.clone())];
    fault(
        "module of another arch",
        format!("{wrong} is for ELF machine 40"),
        &|d| tree(d, p, &p.image_head, &extra),
    );
    fault("image of another arch", "but the image".into(), &|d| {
        tree(d, p, &armhf().image_head, &[])
    });
    let (trel, tbytes) = &trixie().modules[0];
    let newer = vec![(trel.clone(), tbytes.clone())];
    fault("module of another version", format!("not {v}"), &|d| {
        tree(d, p, &p.image_head, &newer)
    });
    fault(
        "System.map of another version",
        "more than one kernel version".into(),
        &|d| {
            tree(d, p, &p.image_head, &[]);
            write(&d.join("boot/System.map-6.99.0"), b"ffff0000 T _text\n");
        },
    );
    let bad_ko = vec![("kernel/bad.ko.xz".to_owned(), b"plain text".to_vec())];
    fault("not a module", "not xz-compressed".into(), &|d| {
        tree(d, p, &p.image_head, &bad_ko)
    });
    fault("no image", "no kernel image".into(), &|d| {
        tree(d, p, &p.image_head, &[]);
        fs::remove_file(d.join(format!("boot/vmlinuz-{v}"))).unwrap();
    });
    fault("two images", "two kernel images".into(), &|d| {
        tree(d, p, &p.image_head, &[]);
        write(&d.join(format!("boot/vmlinux-{v}")), &p.image_head);
    });
    fault(
        "not an image",
        "not a kernel image this recognises".into(),
        &|d| tree(d, p, b"#!/bin/sh\necho not a kernel\n", &[]),
    );
    // The same faults in a kerndist tarball and a .deb of the tree.
    let trees: Vec<(&str, PathBuf, String)> = faults.clone();
    for (what, dir, want) in trees {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let tgz = s.file(&format!("{name}.tar.gz"), &targz(&dir));
        faults.push((what, tgz, want.clone()));
        let deb = s.file(&format!("{name}.deb"), &deb(&dir, "arm64", b"2.0\n"));
        faults.push((what, deb, want));
    }
    for (what, src, want) in &faults {
        let info = info_err(src);
        assert!(
            info.contains(want.as_str()),
            "{what} ({}): {info}",
            src.display()
        );
        assert_eq!(
            installer_err(&s, src, &di),
            info,
            "{what} ({})",
            src.display()
        );
    }
}

/// A raw tar header, with any name (the tar crate's setters refuse `..`).
fn raw_entry(out: &mut Vec<u8>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut h = tar::Header::new_old();
    let o = h.as_old_mut();
    o.name[..name.len()].copy_from_slice(name.as_bytes());
    o.linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_entry_type(kind);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn hostile(entries: &[(&str, tar::EntryType, &str, &[u8])]) -> Vec<u8> {
    let mut t = Vec::new();
    for (n, k, l, d) in entries {
        raw_entry(&mut t, n, *k, l, d);
    }
    t.extend_from_slice(&[0u8; 1024]);
    t
}

#[test]
fn hostile_archives_write_nothing_outside() {
    use tar::EntryType::*;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "traversal",
            hostile(&[("boot/../../victim/x", Regular, "", b"x")]),
            "contains '..'",
        ),
        (
            "traversal2",
            hostile(&[("../../../victim/x", Regular, "", b"x")]),
            "contains '..'",
        ),
        (
            "symlink escape",
            hostile(&[
                ("l", Symlink, "../../../victim", b""),
                ("l/x", Regular, "", b"x"),
            ]),
            "points outside",
        ),
        (
            "absolute symlink",
            hostile(&[("l", Symlink, "/tmp", b"")]),
            "points outside",
        ),
        (
            "through a symlink",
            hostile(&[
                ("d/", Directory, "", b""),
                ("l", Symlink, "d", b""),
                ("l/x", Regular, "", b"x"),
            ]),
            "refusing to write through it",
        ),
        (
            "hardlink escape",
            hostile(&[("h", Link, "../victim/y", b"")]),
            "contains '..'",
        ),
        (
            "hardlink to nothing",
            hostile(&[("h", Link, "etc/passwd", b"")]),
            "not a regular file",
        ),
        (
            "device",
            hostile(&[("dev/null", Char, "", b"")]),
            "not allowed",
        ),
        ("fifo", hostile(&[("p", Fifo, "", b"")]), "not allowed"),
        // Refused, as the POD says, not made relative.
        (
            "absolute name",
            hostile(&[("/victim/x", Regular, "", b"x")]),
            "is absolute",
        ),
        (
            "absolute hard link target",
            hostile(&[("x", Regular, "", b"x"), ("h", Link, "/x", b"")]),
            "is absolute",
        ),
    ];
    for (what, t, want) in cases {
        let s = Sandbox::new();
        let f = s.file("h.tar", &t);
        let e = KernelSource::open(&f)
            .unwrap()
            .unpick(&s.dest(), &Selection::everything())
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(want) && msg.contains("h.tar"), "{what}: {msg}");
        s.assert_nothing_outside(&["h.tar"]);
    }
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn truncated_and_corrupt_archives_are_errors() {
    let p = arm64();
    let base = Sandbox::new();
    let dir = base.t.path().join("tree");
    tree(&dir, p, &p.image_head, &[]);
    let inputs = [
        ("k.tar.gz", targz(&dir)),
        ("k.tar", tar_of(&dir)),
        ("k.deb", deb(&dir, "arm64", b"2.0\n")),
    ];
    for (name, whole) in &inputs {
        let len = whole.len();
        let mut cuts = vec![
            1,
            7,
            8,
            30,
            68,
            100,
            512,
            1000,
            4096,
            len / 3,
            len / 2,
            len - 2000,
            len - 100,
            len - 1,
        ];
        if *name == "k.tar" {
            cuts.retain(|c| *c < len - 1024); // a tar cut in its end marker is whole
            cuts.push(len / 1024 * 512); // a header boundary, no end marker
        }
        for cut in cuts {
            let s = Sandbox::new();
            let f = s.file(name, &whole[..cut]);
            let k = KernelSource::open(&f).unwrap();
            let e = k
                .info()
                .expect_err(&format!("{name} cut at {cut} read whole"));
            let msg = e.to_string();
            assert!(msg.contains(name), "{name} cut at {cut}: {msg}");
            let e2 = k
                .unpick(&s.dest(), &Selection::everything())
                .unwrap_err()
                .to_string();
            assert!(e2.contains(name), "{e2}");
            s.assert_nothing_outside(&[name]);
        }
        // Corruption in the middle of the compressed data.
        if *name != "k.tar" {
            let mut bad = whole.clone();
            for i in [len / 2, len / 2 + 1, len / 2 + 2] {
                bad[i] ^= 0xa5;
            }
            let s = Sandbox::new();
            let f = s.file(name, &bad);
            let e = KernelSource::open(&f)
                .unwrap()
                .info()
                .expect_err(&format!("corrupt {name} read"));
            assert!(e.to_string().contains(name), "{e}");
        }
    }
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn wrong_debian_binary_is_an_error() {
    let p = arm64();
    let s = Sandbox::new();
    let dir = s.t.path().join("tree");
    tree(&dir, p, &p.image_head, &[]);
    for v in [&b"3.0\n"[..], b"1.0\n", b"2.\n", b""] {
        let f = s.file("k.deb", &deb(&dir, "arm64", v));
        let msg = info_err(&f);
        assert!(
            msg.contains("debian-binary") && msg.contains("k.deb"),
            "{msg}"
        );
        let e = KernelSource::open(&f)
            .unwrap()
            .unpick(&s.dest(), &Selection::everything());
        assert!(e.is_err());
        assert!(!s.dest().join("boot").exists());
    }
    // Members out of order, and an unknown compression.
    let data = xz(&tar_of(&dir));
    let f = s.file(
        "k.deb",
        &ar(&[("debian-binary", b"2.0\n"), ("data.tar.xz", &data)]),
    );
    let msg = info_err(&f);
    assert!(msg.contains("expected control.tar"), "{msg}");
    let f = s.file(
        "k.deb",
        &ar(&[
            ("debian-binary", b"2.0\n"),
            ("control.tar.gz", &control_tar("arm64")),
            ("data.tar.bz2", b"BZh9"),
        ]),
    );
    let msg = info_err(&f);
    assert!(msg.contains("data.tar.bz2"), "{msg}");
    // `_`-prefixed members are skipped, as dpkg does; zstd and plain data.
    let tar = tar_of(&dir);
    let z = zstd_of(&tar);
    for (member, bytes) in [("data.tar.zst", &z), ("data.tar", &tar)] {
        let f = s.file(
            "k.deb",
            &ar(&[
                ("debian-binary", b"2.0\n"),
                ("_extra", b"odd"),
                ("control.tar.gz", &control_tar("arm64")),
                (member, bytes),
            ]),
        );
        let i = KernelSource::open(&f).unwrap().info().unwrap();
        assert_eq!(i.module_count, p.modules.len(), "{member}");
    }
}

/// `zstd -c`, the real tool, as dpkg-deb --zstd would compress.
fn zstd_of(data: &[u8]) -> Vec<u8> {
    let t = tempfile::NamedTempFile::new().unwrap();
    fs::write(t.path(), data).unwrap();
    let out = Command::new("zstd")
        .arg("-q")
        .arg("-c")
        .arg(t.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}
