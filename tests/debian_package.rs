// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The Debian package for osstest's controller, `libosstest-core-perl`:
//! built from the tree with `dpkg-buildpackage`, checked by lintian, and
//! installed in a fresh bookworm chroot (debootstrap, cached by
//! `tests/fetch chroot`) where `tests/debian/installed.pl` calls every
//! function `Osstest::Core` exports, on real kernel and installer inputs,
//! with no source tree and no `OSSTEST_CORE_SO`.
//!
//! The package is built in `target/debian-package/` (or under
//! `$CARGO_TARGET_DIR`), at a fixed path so the build flags dpkg passes are
//! the same every run and cargo's build there is kept between runs; the
//! lintian output is left in `target/debian-package/lintian.txt`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "libosstest-core-perl";

fn top() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => top().join(d),
        _ => top().join("target"),
    }
}

/// Runs `cmd`, returning its standard output and error together; panics
/// with them, and `what`, if it fails.
fn run(what: &str, cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

fn sh(what: &str, script: &str) -> String {
    run(what, Command::new("sh").args(["-ec", script]))
}

/// The tree as git has it (tracked and new files, nothing ignored), copied
/// to `dest`.
fn copy_tree(dest: &Path) {
    if dest.exists() {
        fs::remove_dir_all(dest).unwrap();
    }
    fs::create_dir_all(dest).unwrap();
    sh(
        "copying the source tree",
        &format!(
            "cd '{}' && git ls-files -z -co --exclude-standard | tar --null -cf - -T - | tar -xf - -C '{}'",
            top().display(),
            dest.display()
        ),
    );
}

/// `/proc` mounted in a chroot, unmounted however the test ends.
struct ProcMount(PathBuf);

impl ProcMount {
    fn new(root: &Path) -> ProcMount {
        let p = root.join("proc");
        run(
            "mounting /proc in the chroot",
            Command::new("mount").args(["-t", "proc", "proc"]).arg(&p),
        );
        ProcMount(p)
    }
}

impl Drop for ProcMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The version debian/changelog gives, which must be the crate's.
fn changelog_version() -> String {
    let text = fs::read_to_string(top().join("debian/changelog")).unwrap();
    let first = text.lines().next().unwrap();
    first
        .split(['(', ')'])
        .nth(1)
        .unwrap_or_else(|| panic!("debian/changelog: no version in {first:?}"))
        .to_owned()
}

#[test]
#[ignore = "needs root, debootstrap (tests/fetch chroot) and a release build in dpkg-buildpackage: run tests/run"]
fn package_builds_lints_clean_and_works_installed() {
    let version = changelog_version();
    assert_eq!(
        version,
        env!("CARGO_PKG_VERSION"),
        "debian/changelog and Cargo.toml disagree on the version"
    );
    let arch = run(
        "dpkg --print-architecture",
        Command::new("dpkg").arg("--print-architecture"),
    )
    .trim()
    .to_owned();
    let build = target_dir().join("debian-package");
    let src = build.join("src");
    let tree = src.join(format!("osstest-core-{version}"));
    copy_tree(&tree);
    for f in fs::read_dir(&src).unwrap() {
        let f = f.unwrap().path();
        if f.is_file() {
            fs::remove_file(f).unwrap();
        }
    }

    let log = run(
        "dpkg-buildpackage",
        Command::new("dpkg-buildpackage")
            .args(["-us", "-uc"])
            .current_dir(&tree)
            .env("CARGO_TARGET_DIR", build.join("cargo")),
    );
    fs::write(build.join("build.log"), &log).unwrap();
    let deb = src.join(format!("{PACKAGE}_{version}_{arch}.deb"));
    assert!(deb.is_file(), "dpkg-buildpackage made no {}", deb.display());

    // lintian on everything built (source and binary): no error and no
    // warning; info and pedantic tags are shown, and justified in debian/
    // where overridden.
    let changes = src.join(format!("osstest-core_{version}_{arch}.changes"));
    let lint = run(
        "lintian",
        Command::new("lintian")
            .args([
                "-I",
                "--pedantic",
                "--show-overrides",
                "--fail-on",
                "error,warning",
            ])
            .arg(&changes),
    );
    fs::write(build.join("lintian.txt"), &lint).unwrap();
    println!("lintian:\n{lint}");
    for line in lint.lines() {
        assert!(
            !(line.starts_with("E: ") || line.starts_with("W: ")),
            "lintian: {line}"
        );
    }
    let contents = run("dpkg-deb -c", Command::new("dpkg-deb").arg("-c").arg(&deb));
    for f in [
        "/Osstest/Core.pm",
        "/Osstest/Core/Migration.pod",
        "/auto/Osstest/Core/Core.so",
    ] {
        assert!(
            contents
                .lines()
                .any(|l| l.contains("/perl5/") && l.ends_with(f)),
            "{PACKAGE} has no vendorarch {f}:\n{contents}"
        );
    }

    // A fresh bookworm with perl, DBI and DBD::SQLite; the package and
    // the inputs copied in.
    // debootstrap resolves no virtual packages: DBD::SQLite's perl-dbdabi-94 is
    // libdbi-perl, named.
    let tarball = common::fetch(&[
        "chroot",
        "bookworm",
        &arch,
        "libdbi-perl,libdbd-sqlite3-perl",
    ]);
    let kernel = common::fetch(&["kernel", "bookworm", &arch, &arch]);
    let di = common::fetch(&["di", "bookworm", &arch]).join("initrd.gz");
    let chroot = tempfile::Builder::new()
        .prefix("chroot-")
        .tempdir_in(&build)
        .unwrap();
    let root = chroot.path();
    sh(
        "unpacking the chroot",
        &format!(
            "zstd -dc '{}' | tar -x --numeric-owner -C '{}'",
            tarball.display(),
            root.display()
        ),
    );
    let input = root.join("tmp/in");
    fs::create_dir_all(input.join("flights")).unwrap();
    fs::create_dir_all(root.join("tmp/work")).unwrap();
    fs::copy(&deb, input.join("pkg.deb")).unwrap();
    fs::copy(&kernel, input.join("kernel.deb")).unwrap();
    fs::copy(&di, input.join("initrd.gz")).unwrap();
    fs::copy(
        top().join("tests/debian/installed.pl"),
        input.join("installed.pl"),
    )
    .unwrap();
    for f in fs::read_dir(top().join("tests/flights")).unwrap() {
        let f = f.unwrap().path();
        fs::copy(&f, input.join("flights").join(f.file_name().unwrap())).unwrap();
    }
    let _proc = ProcMount::new(root);
    let in_chroot = |what: &str, args: &[&str]| {
        run(
            what,
            Command::new("chroot")
                .arg(root)
                .args([
                    "env",
                    "-i",
                    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                    "LC_ALL=C.UTF-8",
                ])
                .args(args),
        )
    };
    in_chroot("dpkg -i in the chroot", &["dpkg", "-i", "/tmp/in/pkg.deb"]);
    let so = in_chroot(
        "perl -MOsstest::Core",
        &[
            "perl",
            "-MOsstest::Core",
            "-e",
            "print $Osstest::Core::SHARED_OBJECT",
        ],
    );
    assert!(
        so.starts_with("/usr/lib/") && so.ends_with("/auto/Osstest/Core/Core.so"),
        "loaded {so}"
    );
    let out = in_chroot(
        "tests/debian/installed.pl in the chroot",
        &[
            "perl",
            "/tmp/in/installed.pl",
            "/tmp/in/kernel.deb",
            "/tmp/in/initrd.gz",
            "/tmp/in/flights",
            "/tmp/work",
        ],
    );
    println!("{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("ok ") && l.ends_with(" - every exported function called")),
        "{out}"
    );
    assert!(!out.contains("not ok"), "{out}");
    in_chroot("dpkg -r in the chroot", &["dpkg", "-r", PACKAGE]);
    assert!(
        !root
            .join("usr/lib")
            .join(arch_multiarch(&arch))
            .join("perl5")
            .exists()
            || !contains_core(&root.join("usr/lib").join(arch_multiarch(&arch))),
        "dpkg -r left Osstest::Core behind"
    );
}

fn arch_multiarch(arch: &str) -> String {
    run(
        "dpkg-architecture",
        Command::new("dpkg-architecture").args(["-a", arch, "-q", "DEB_HOST_MULTIARCH"]),
    )
    .trim()
    .to_owned()
}

/// Whether any `Osstest/Core.pm` or `Core.so` is left under `dir`.
fn contains_core(dir: &Path) -> bool {
    let out = sh(
        "find",
        &format!(
            "find '{}' \\( -name Core.pm -path '*Osstest*' -o -name Core.so -path '*Osstest*' \\) -print",
            dir.display()
        ),
    );
    !out.trim().is_empty()
}
