// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The kernel `.deb` writer and the late_command script, against real
//! artifacts and the real tools: Debian's bookworm kernels repackaged as if
//! osstest had built them, checked with dpkg-deb and lintian, installed
//! with dpkg into a debootstrapped bookworm chroot (initramfs-tools doing
//! its part through our maintainer scripts), removed and purged again;
//! the arm64 package too, as far as that goes without running arm64 code.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use md5::{Digest, Md5};

mod common;
use common::fetch;
use osstest_core::installer::target_install::{target_install, TargetInstallOptions};
use osstest_core::kernel::package::{write_kernel_deb, KernelDeb, KernelDebOptions};
use osstest_core::kernel::{KernelSource, Selection};

const EPOCH: u64 = 1_700_000_000;

/// Runs a command, fails the test with its stderr if it fails, returns
/// its stdout.
fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A kernel tree made from a Debian linux-image package, laid out the way
/// osstest's build leaves it: Debian's packaging extras (`usr/share`)
/// dropped, DTBs where `dtbs_install` puts them (`boot/dtbs/VER/`).
fn tree_from_debian(deb: &Path, dir: &Path) -> String {
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir));
    fs::remove_dir_all(dir.join("usr/share")).unwrap();
    let release = run(Command::new("dpkg-deb").arg("-f").arg(deb).arg("Package"))
        .trim()
        .strip_prefix("linux-image-")
        .unwrap()
        .to_owned();
    let dtbs = dir.join(format!("usr/lib/linux-image-{release}"));
    if dtbs.exists() {
        fs::create_dir_all(dir.join("boot/dtbs")).unwrap();
        fs::rename(&dtbs, dir.join(format!("boot/dtbs/{release}"))).unwrap();
        fs::remove_dir(dir.join("usr/lib")).unwrap();
        fs::remove_dir(dir.join("usr")).unwrap();
    }
    release
}

/// Every entry under `dir`: path -> (kind and mode, content or target).
fn listing(dir: &Path) -> BTreeMap<String, (String, Vec<u8>)> {
    fn walk(base: &Path, rel: &Path, out: &mut BTreeMap<String, (String, Vec<u8>)>) {
        let mut names: Vec<_> = fs::read_dir(base.join(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for n in names {
            let rel = rel.join(n);
            let p = base.join(&rel);
            let m = fs::symlink_metadata(&p).unwrap();
            let key = rel.display().to_string();
            if m.is_dir() {
                walk(base, &rel, out);
            } else if m.is_symlink() {
                let t = fs::read_link(&p).unwrap();
                out.insert(
                    key,
                    ("symlink".into(), t.display().to_string().into_bytes()),
                );
            } else {
                let mode = m.permissions().mode() & 0o777;
                let mut h = Md5::new();
                std::io::copy(&mut fs::File::open(&p).unwrap(), &mut h).unwrap();
                out.insert(key, (format!("file {mode:o}"), h.finalize().to_vec()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, Path::new(""), &mut out);
    out
}

fn field(deb: &Path, name: &str) -> String {
    run(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name))
        .trim()
        .to_owned()
}

static START: OnceLock<Instant> = OnceLock::new();

fn write(tree: &Path, out: &Path, arch: &str, suite: &str) -> KernelDeb {
    eprintln!(
        "{:?} writing from {}",
        START.get_or_init(Instant::now).elapsed(),
        tree.display()
    );
    let mut o = KernelDebOptions::new(arch, suite, EPOCH);
    // Level 0 keeps the test's time down; the format is the same.
    o.xz_level = 0;
    o.xz_threads = 2;
    write_kernel_deb(tree, out, &o).unwrap_or_else(|e| panic!("{e}"))
}

/// The checks every package gets from dpkg-deb: it accepts the package,
/// the control fields are ours, and unpacked again it gives back the tree
/// (with DTBs moved to `usr/lib/linux-image-VER/`), every md5sum right.
fn check_with_dpkg_deb(deb: &KernelDeb, tree: &Path, work: &Path, modules_prefix: &str) {
    eprintln!(
        "{:?} checking {}",
        START.get_or_init(Instant::now).elapsed(),
        deb.path.display()
    );
    let p = &deb.path;
    let r = &deb.release;
    let info = run(Command::new("dpkg-deb").arg("--info").arg(p));
    for s in ["postinst", "postrm", "preinst", "prerm", "md5sums"] {
        assert!(info.contains(s), "no {s} in:\n{info}");
    }
    assert_eq!(field(p, "Package"), format!("linux-image-{r}"));
    assert_eq!(field(p, "Section"), "kernel");
    assert_eq!(field(p, "Priority"), "optional");
    assert_eq!(field(p, "Provides"), "linux-image");
    assert_eq!(field(p, "Maintainer"), "osstest <osstest@xenproject.org>");
    let contents = run(Command::new("dpkg-deb").arg("--contents").arg(p));
    for line in contents.lines() {
        assert!(line.contains(" root/root "), "owner: {line}");
        assert!(line.contains(" 2023-11-14 "), "mtime: {line}");
    }
    assert!(contents.contains(&format!(" ./{modules_prefix}/modules/{r}/kernel/")));
    assert!(contents.contains(&format!(" ./boot/vmlinuz-{r}\n")));

    // --fsys-tarfile through GNU tar, as the round trip's unpicker.
    let rt = work.join("roundtrip");
    fs::create_dir(&rt).unwrap();
    let tarfile = work.join("data.tar");
    run(Command::new("sh")
        .arg("-c")
        .arg("dpkg-deb --fsys-tarfile \"$1\" > \"$2\" && tar -xf \"$2\" -C \"$3\"")
        .arg("sh")
        .arg(p)
        .arg(&tarfile)
        .arg(&rt));
    fs::remove_file(&tarfile).unwrap();
    let ctl = work.join("control");
    run(Command::new("dpkg-deb").arg("-e").arg(p).arg(&ctl));
    run(Command::new("md5sum")
        .arg("--quiet")
        .arg("-c")
        .arg(ctl.join("md5sums"))
        .current_dir(&rt));
    let md5_lines = fs::read_to_string(ctl.join("md5sums"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(
        md5_lines,
        deb.files + 2,
        "md5sums covers every file, the changelog and the copyright"
    );
    let installed: u64 = field(p, "Installed-Size").parse().unwrap();
    // dpkg counts each file in KiB rounded up and 1 KiB per directory; du
    // counts 4 KiB per directory: the two agree within a percent.
    let du: u64 = run(Command::new("du")
        .arg("-s")
        .arg("--apparent-size")
        .arg("-k")
        .arg(&rt))
    .split_whitespace()
    .next()
    .unwrap()
    .parse()
    .unwrap();
    assert!(
        installed.abs_diff(du) < du / 100,
        "Installed-Size {installed} against du {du}"
    );

    let mut got = listing(&rt);
    for doc in ["copyright", "changelog.Debian.gz"] {
        let doc = format!("usr/share/doc/linux-image-{r}/{doc}");
        assert!(got.remove(&doc).is_some(), "no {doc}");
    }
    let want: BTreeMap<_, _> = listing(tree)
        .into_iter()
        .map(|(k, v)| {
            let k = match k.strip_prefix(&format!("boot/dtbs/{r}/")) {
                Some(rest) => format!("usr/lib/linux-image-{r}/{rest}"),
                None => match k.strip_prefix("lib/") {
                    Some(rest) if modules_prefix != "lib" => format!("{modules_prefix}/{rest}"),
                    _ => k,
                },
            };
            (k, v)
        })
        .collect();
    same_files(&got, &want, "dpkg-deb's round trip");
    fs::remove_dir_all(&rt).unwrap();

    // osstest-core's own reader sees the package as dpkg does.
    let info = KernelSource::open(p).unwrap().info().unwrap();
    assert_eq!(info.version, *r);
    assert_eq!(info.package.as_deref(), Some(&*format!("linux-image-{r}")));
    assert_eq!(info.debian_arch, Some(field(p, "Architecture")));
}

type Listing = BTreeMap<String, (String, Vec<u8>)>;

fn same_files(got: &Listing, want: &Listing, what: &str) {
    assert_eq!(got.len(), want.len(), "number of files after {what}");
    for (k, v) in want {
        let g = got
            .get(k)
            .unwrap_or_else(|| panic!("{k} missing after {what}"));
        assert!(g == v, "{k} differs after {what} ({} vs {})", g.0, v.0);
    }
}

/// A small HTTP server for the installer's wget, as osstest's controller
/// serves files to d-i.
struct Http {
    child: Child,
    port: u16,
}

impl Http {
    fn serve(dir: &Path) -> Http {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 for an HTTP server");
        // Killed and reaped by Drop, whatever happens next.
        let http = Http { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return http;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("HTTP server on port {port} did not start");
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a late_command script against `root` the way d-i does, with
/// `in-target` chrooting into the target.
fn run_late_command(script: &str, root: &Path, work: &Path) {
    eprintln!(
        "{:?} late_command",
        START.get_or_init(Instant::now).elapsed()
    );
    let bin = work.join("di-bin");
    fs::create_dir_all(&bin).unwrap();
    let in_target = bin.join("in-target");
    fs::write(
        &in_target,
        "#!/bin/sh\nexec chroot \"$OSSTEST_TEST_TARGET\" \"$@\"\n",
    )
    .unwrap();
    fs::set_permissions(&in_target, fs::Permissions::from_mode(0o755)).unwrap();
    let s = work.join("late_command");
    fs::write(&s, script).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    run(Command::new("sh")
        .arg(&s)
        .arg(root)
        .env("PATH", path)
        .env("OSSTEST_TEST_TARGET", root));
}

fn chroot(root: &Path, args: &[&str]) -> String {
    eprintln!(
        "{:?} chroot {}",
        START.get_or_init(Instant::now).elapsed(),
        args.join(" ")
    );
    run(Command::new("chroot").arg(root).args(args))
}

/// Unpacks the cached chroot into `root`, set up as d-i sets up the
/// target while it installs (dpkg does not fsync every file) and with
/// initramfs-tools' MODULES=`modules` (a small initrd keeps the test
/// short; which modules initramfs-tools picks is its business, not the
/// package's).
fn unpack_chroot(tarball: &Path, root: &Path, modules: &str) {
    fs::create_dir(root).unwrap();
    run(Command::new("sh")
        .arg("-c")
        .arg("zstd -q -dc \"$1\" | tar -x -C \"$2\"")
        .arg("sh")
        .arg(tarball)
        .arg(root));
    fs::write(
        root.join("etc/dpkg/dpkg.cfg.d/force-unsafe-io"),
        "force-unsafe-io\n",
    )
    .unwrap();
    fs::write(
        root.join("etc/initramfs-tools/conf.d/osstest-test"),
        format!("MODULES={modules}\n"),
    )
    .unwrap();
}

/// The installed kernel's initrd exists and holds modules from our
/// package.
fn check_installed(root: &Path, release: &str) {
    let initrd = format!("/boot/initrd.img-{release}");
    assert!(root.join(&initrd[1..]).is_file(), "no {initrd}");
    let list = chroot(root, &["lsinitramfs", &initrd]);
    let ours = list
        .lines()
        .filter(|l| l.contains(&format!("lib/modules/{release}/kernel/")) && l.ends_with(".ko"))
        .count();
    assert!(ours >= 10, "only {ours} modules of {release} in {initrd}");
    assert!(
        root.join(format!("lib/modules/{release}/modules.dep"))
            .is_file(),
        "depmod did not run"
    );
}

#[test]
#[ignore = "needs Debian's archive, root and a debootstrapped chroot: run tests/run"]
fn amd64_install_remove_and_late_command() {
    let kernel = fetch(&["kernel", "bookworm", "amd64", "amd64"]);
    let chroot_tar = fetch(&["chroot", "bookworm", "amd64", "initramfs-tools"]);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let tree = w.join("tree");
    let release = tree_from_debian(&kernel, &tree);
    let out = w.join("out");
    fs::create_dir(&out).unwrap();
    let deb = write(&tree, &out, "amd64", "bookworm");
    assert_eq!(
        deb.path,
        out.join(format!("linux-image-{release}_{release}_amd64.deb"))
    );
    assert_eq!(field(&deb.path, "Architecture"), "amd64");
    assert!(deb.skipped.is_empty(), "{:?}", deb.skipped);
    check_with_dpkg_deb(&deb, &tree, w, "lib");

    let root = w.join("root");
    unpack_chroot(&chroot_tar, &root, "netboot");

    // The late_command script, package route: in-target dpkg -i.
    let http = Http::serve(&out);
    let name = deb.path.file_name().unwrap().to_str().unwrap();
    let ti = target_install(&TargetInstallOptions {
        release: release.clone(),
        arch: "amd64".into(),
        suite: "bookworm".into(),
        deb_url: Some(format!("http://127.0.0.1:{}/{name}", http.port)),
        ..Default::default()
    })
    .unwrap();
    run_late_command(&ti.script, &root, w);
    check_installed(&root, &release);
    let pkg = format!("linux-image-{release}");
    assert_eq!(
        chroot(&root, &["dpkg-query", "-W", "-f", "${Status}", &pkg]),
        "install ok installed"
    );
    assert!(root.join(&ti.boot.kernel[1..]).is_file());
    assert!(root.join(&ti.boot.initrd[1..]).is_file());
    assert_eq!(ti.boot.modules_dir, format!("/lib/modules/{release}"));
    assert_eq!(ti.boot.dtb_dir, None);
    assert!(
        !root
            .join(format!("var/tmp/osstest-linux-image-{release}.deb"))
            .exists(),
        "the script left the package behind"
    );

    // dpkg -r, then -P.
    chroot(&root, &["dpkg", "-r", &pkg]);
    for f in ["vmlinuz", "initrd.img", "config", "System.map"] {
        assert!(
            !root.join(format!("boot/{f}-{release}")).exists(),
            "boot/{f}-{release} left after dpkg -r"
        );
    }
    assert!(!root.join(format!("lib/modules/{release}/kernel")).exists());
    chroot(&root, &["dpkg", "-P", &pkg]);
    assert!(
        !root.join(format!("lib/modules/{release}")).exists(),
        "modules directory left after dpkg -P"
    );
    let status = Command::new("chroot")
        .arg(&root)
        .args(["dpkg-query", "-W", &pkg])
        .output()
        .unwrap();
    assert!(!status.status.success(), "{pkg} still known to dpkg");

    // The late_command script, kerndist route: a kerndist made as
    // osstest's build makes it (a gzipped tar of the dist tree).
    run(Command::new("tar")
        .arg("-czf")
        .arg(out.join("kerndist.tar.gz"))
        .arg("-C")
        .arg(&tree)
        .args(["./boot", "./lib"])
        .env("GZIP", "-1"));
    let ti = target_install(&TargetInstallOptions {
        release: release.clone(),
        arch: "amd64".into(),
        suite: "bookworm".into(),
        kerndist_url: Some(format!("http://127.0.0.1:{}/kerndist.tar.gz", http.port)),
        ..Default::default()
    })
    .unwrap();
    run_late_command(&ti.script, &root, w);
    check_installed(&root, &release);
    assert!(root.join(&ti.boot.kernel[1..]).is_file());
    drop(http);
}

#[test]
#[ignore = "needs Debian's archive, root and a debootstrapped chroot: run tests/run"]
fn arm64_layout_install_and_lintian() {
    let kernel = fetch(&["kernel", "bookworm", "arm64", "arm64"]);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let tree = w.join("tree");
    let release = tree_from_debian(&kernel, &tree);
    let dtbs: Vec<String> = listing(&tree.join(format!("boot/dtbs/{release}")))
        .into_keys()
        .filter(|k| k.ends_with(".dtb"))
        .collect();
    assert!(
        dtbs.len() > 100,
        "only {} DTBs in Debian's arm64 kernel",
        dtbs.len()
    );

    // lintian reads every ELF file with readelf (minutes for 4000
    // modules), so the arm64 checks run on a package holding the same
    // kinds of file: image, config, System.map, every DTB, modules.order
    // and modules.builtin*, and every 40th module across the tree.
    let small = w.join("small");
    let mods = format!("lib/modules/{release}");
    let mut n = 0;
    for (k, _) in listing(&tree) {
        let keep = !k.starts_with(&format!("{mods}/kernel/")) || {
            n += 1;
            n % 40 == 0
        };
        if keep {
            let d = small.join(&k);
            fs::create_dir_all(d.parent().unwrap()).unwrap();
            fs::rename(tree.join(&k), d).unwrap();
        }
    }
    assert!(n > 1000, "only {n} modules in Debian's arm64 kernel");
    fs::remove_dir_all(&tree).unwrap();

    // For trixie's layout (modules under usr/lib).
    let out = w.join("out");
    fs::create_dir(&out).unwrap();
    let deb = write(&small, &out, "arm64", "trixie");
    assert_eq!(field(&deb.path, "Architecture"), "arm64");
    assert_eq!(deb.modules_dir, format!("usr/lib/modules/{release}"));
    let contents = run(Command::new("dpkg-deb").arg("--contents").arg(&deb.path));
    for d in &dtbs {
        assert!(
            contents.contains(&format!(" ./usr/lib/linux-image-{release}/{d}\n")),
            "{d} not under usr/lib/linux-image-{release}/"
        );
    }
    assert!(!contents.contains(" ./lib/"), "trixie layout ships ./lib/");
    let postinst = run(Command::new("sh")
        .arg("-c")
        .arg("dpkg-deb --ctrl-tarfile \"$1\" | tar -xOf - ./postinst")
        .arg("sh")
        .arg(&deb.path));
    assert!(postinst.contains(&format!("version={release}\n")));
    assert!(postinst.contains("/etc/kernel/postinst.d"));
    check_with_dpkg_deb(&deb, &small, w, "usr/lib");
    // The round trip through osstest-core's own unpicker: the whole
    // package gives back the tree (plus the doc files), in trixie's place.
    let unpicked = w.join("unpicked");
    fs::create_dir(&unpicked).unwrap();
    KernelSource::open(&deb.path)
        .unwrap()
        .unpick(&unpicked, &Selection::everything())
        .unwrap();
    let mut got = listing(&unpicked);
    for doc in ["copyright", "changelog.Debian.gz"] {
        assert!(got
            .remove(&format!("usr/share/doc/linux-image-{release}/{doc}"))
            .is_some());
    }
    let want: BTreeMap<_, _> = listing(&small)
        .into_iter()
        .map(|(k, v)| {
            let k = match k.strip_prefix(&format!("boot/dtbs/{release}/")) {
                Some(rest) => format!("usr/lib/linux-image-{release}/{rest}"),
                None => match k.strip_prefix("lib/") {
                    Some(rest) => format!("usr/lib/{rest}"),
                    None => k,
                },
            };
            (k, v)
        })
        .collect();
    same_files(&got, &want, "osstest-core's unpick");
    fs::remove_dir_all(&unpicked).unwrap();
    fs::remove_file(&deb.path).unwrap();

    // For bookworm's, checked by lintian.
    let deb1 = write(&small, &out, "arm64", "bookworm");
    let first = fs::read(&deb1.path).unwrap();

    // dpkg-deb --build, given the same files and control, makes a package
    // with the same entries: names, types, modes, owners, sizes and times.
    let pkg = w.join("pkg");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb1.path).arg(&pkg));
    run(Command::new("dpkg-deb")
        .arg("-e")
        .arg(&deb1.path)
        .arg(pkg.join("DEBIAN")));
    let by_dpkg = w.join("by-dpkg.deb");
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "-z0", "--build"])
        .arg(&pkg)
        .arg(&by_dpkg)
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string()));
    let sorted = |deb: &Path| {
        let mut l: Vec<String> = run(Command::new("dpkg-deb").arg("-c").arg(deb))
            .lines()
            .map(str::to_owned)
            .collect();
        l.sort();
        l
    };
    let (ours, theirs) = (sorted(&deb1.path), sorted(&by_dpkg));
    assert_eq!(ours.len(), theirs.len(), "entries: ours against dpkg-deb's");
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "ours against dpkg-deb's");
    }
    // The same control members (the sizes of the compressed archives apart).
    let ctl = |deb: &Path| {
        run(Command::new("dpkg-deb").arg("--info").arg(deb))
            .lines()
            .filter(|l| !l.starts_with(" size "))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(ctl(&deb1.path), ctl(&by_dpkg));
    fs::remove_dir_all(&pkg).unwrap();

    // Installed into the amd64 chroot (dpkg --force-architecture): the
    // maintainer scripts, depmod and initramfs-tools are amd64 programs, so
    // this goes as far as an install can without running arm64 code.
    let chroot_tar = fetch(&["chroot", "bookworm", "amd64", "initramfs-tools"]);
    let root = w.join("root");
    unpack_chroot(&chroot_tar, &root, "most");
    fs::copy(&deb1.path, root.join("var/tmp/k.deb")).unwrap();
    chroot(
        &root,
        &["dpkg", "-i", "--force-architecture", "/var/tmp/k.deb"],
    );
    check_installed(&root, &release);
    let pkg = format!("linux-image-{release}");
    chroot(&root, &["dpkg", "-P", &pkg]);
    assert!(!root.join(format!("boot/initrd.img-{release}")).exists());
    assert!(!root.join(format!("lib/modules/{release}")).exists());
    fs::remove_dir_all(&root).unwrap();

    // Deterministic: the same tree with other timestamps and a different
    // thread count gives the same bytes.
    run(Command::new("find")
        .arg(&small)
        .args(["-exec", "touch", "-d", "2001-01-01", "{}", "+"]));
    let out2 = w.join("out2");
    fs::create_dir(&out2).unwrap();
    let mut o = KernelDebOptions::new("arm64", "bookworm", EPOCH);
    o.xz_level = 0;
    o.xz_threads = 1;
    let deb2 = write_kernel_deb(&small, &out2, &o).unwrap();
    assert!(fs::read(&deb2.path).unwrap() == first, "not deterministic");

    let lintian = Command::new("lintian")
        .args([
            "--no-cfg",
            "--allow-root",
            "--display-info",
            "--tag-display-limit",
            "0",
        ])
        .arg(&deb1.path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&lintian.stdout);
    eprintln!("lintian:\n{report}");
    assert!(
        lintian.status.success(),
        "lintian failed: {}",
        String::from_utf8_lossy(&lintian.stderr)
    );
    let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{}", errors.join("\n"));
    // Warnings we accept, and why (see the README).
    const ACCEPTED: &[&str] = &[];
    for l in report.lines().filter(|l| l.starts_with("W:")) {
        assert!(
            ACCEPTED.iter().any(|t| l.contains(&format!(": {t}"))),
            "lintian warning not accepted: {l}"
        );
    }
}

/// A Debian kernel package unpacked as it is (`dpkg-deb -x`: modules
/// under `lib/modules` up to bookworm and `usr/lib/modules` from trixie
/// on, DTBs under `usr/lib/linux-image-VER/`, Debian's `usr/share` doc,
/// bug and lintian files) is a kernel tree: the package made from it holds
/// every file of the original but Debian's own packaging metadata (listed
/// as skipped), in the same places, and dpkg-deb unpacks it back.
fn unpacked_debian_kernel(suite: &str) {
    let kernel = fetch(&["kernel", suite, "arm64", "arm64"]);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let tree = w.join("tree");
    run(Command::new("dpkg-deb").arg("-x").arg(&kernel).arg(&tree));
    let release = field(&kernel, "Package")
        .strip_prefix("linux-image-")
        .unwrap()
        .to_owned();
    assert!(
        tree.join("usr/share/doc").is_dir(),
        "Debian's doc directory"
    );
    let out = w.join("out");
    fs::create_dir(&out).unwrap();
    let deb = write(&tree, &out, "arm64", suite);
    let debian_own = [
        format!("usr/share/doc/linux-image-{release}"),
        format!("usr/share/bug/linux-image-{release}"),
    ];
    for d in &debian_own {
        assert!(deb.skipped.contains(d), "{d} skipped: {:?}", deb.skipped);
    }
    let rt = w.join("roundtrip");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb.path).arg(&rt));
    let mut got = listing(&rt);
    for doc in ["copyright", "changelog.Debian.gz"] {
        let doc = format!("usr/share/doc/linux-image-{release}/{doc}");
        assert!(got.remove(&doc).is_some(), "no {doc}");
    }
    let want: Listing = listing(&tree)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("usr/share/"))
        .collect();
    assert!(
        want.keys().filter(|k| k.contains("/kernel/")).count() > 1000,
        "the modules"
    );
    same_files(&got, &want, "a package from Debian's unpacked kernel");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn unpacked_debian_kernel_bookworm() {
    unpacked_debian_kernel("bookworm");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn unpacked_debian_kernel_trixie() {
    unpacked_debian_kernel("trixie");
}
