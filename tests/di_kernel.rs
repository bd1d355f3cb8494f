// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The main job end to end on Debian's real kernels and installer: the
//! installer's kernel, modules segment and combined initrd from
//! `osstest_core::installer`, checked with GNU cpio, bsdtar, depmod,
//! dpkg-deb, and by booting them under QEMU.

mod boot;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use osstest_core::installer::{di_kernel, installer_modules, Manifest, Options};
use osstest_core::kernel::modules::{Reason, Want};

use boot::Outcome;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn with_virtio_blk() -> Options {
    // QEMU's virt machine is the "board" here: its disk driver is outside
    // the classic subset, which is what `include` is for.
    Options {
        include: vec!["virtio_blk".into()],
        ..Options::default()
    }
}

fn sha256(path: &Path) -> String {
    run(Command::new("sha256sum").arg(path))
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn check_manifest(m: &Manifest, outdir: &Path) {
    for name in ["vmlinuz-", "modules.cpio.gz", "initrd.gz", "manifest.json"] {
        assert!(
            fs::read_dir(outdir).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_str()
                .unwrap()
                .starts_with(name)),
            "{name} in {}",
            outdir.display()
        );
    }
    for (role, f) in &m.outputs {
        let p = outdir.join(&f.file);
        assert_eq!(fs::metadata(&p).unwrap().len(), f.size, "{role} size");
        assert_eq!(sha256(&p), f.sha256, "{role} sha256 as sha256sum");
    }
    // Nothing staged is left behind.
    for e in fs::read_dir(outdir).unwrap() {
        let n = e.unwrap().file_name().into_string().unwrap();
        assert!(!n.starts_with('.'), "leftover {n}");
    }
    let on_disk: serde_json::Value =
        serde_json::from_slice(&fs::read(outdir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(on_disk["kernel"]["version"], m.kernel.version.as_str());
    assert_eq!(m.modules.included, m.modules.list.len());
    // A dependency the kernel lacks would break modprobe. A softdep it
    // lacks is skipped by kmod, so it is reported, not fatal: d-i's own
    // sets bring in wm8994, whose softdep wm8994_regulator Debian's arm64
    // kernels do not build.
    let hard: Vec<_> = m
        .modules
        .missing
        .iter()
        .filter(|x| x.how != Want::Softdep)
        .collect();
    assert!(hard.is_empty(), "{hard:?}");
    // The combined initrd is the installer's, byte for byte, then ours.
    let initrd = fs::read(outdir.join("initrd.gz")).unwrap();
    let base = fs::read(&m.di_initrd.path).unwrap();
    assert_eq!(
        &initrd[..base.len()],
        &base[..],
        "the d-i initrd is unchanged"
    );
    assert_eq!(m.initrd_segments, m.di_initrd.segments + 1);
}

/// Boots `m`'s kernel with its combined initrd and checks that every
/// installer module loads: after `depmod -a` as hw-detect runs it, or,
/// unless `run_depmod`, with only the segment's binary indexes to go by.
fn boots_and_loads(arch: &str, m: &Manifest, outdir: &Path, run_depmod: bool) {
    let image = outdir.join(format!("vmlinuz-{}", m.kernel.version));
    let result = boot::boot_check(
        arch,
        &image,
        &outdir.join("initrd.gz"),
        vec![],
        boot::INSTALLER_MODULES,
        Duration::from_secs(900),
        run_depmod,
    );
    eprintln!("{:#?}", result.modules);
    assert_eq!(result.kernel_release, m.kernel.version);
    let depmod = if run_depmod {
        Outcome::Loaded
    } else {
        Outcome::Skipped
    };
    assert_eq!(result.depmod, depmod);
    for name in boot::INSTALLER_MODULES {
        assert_eq!(result.modules[*name], Outcome::Loaded, "{name}");
    }
}

/// The module named, from the manifest.
fn module<'a>(m: &'a Manifest, name: &str) -> &'a osstest_core::installer::ModuleEntry {
    m.modules
        .list
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the segment"))
}

#[test]
#[ignore = "needs Debian's archive and QEMU: run tests/run"]
fn bookworm_arm64_boots_and_loads_the_installer_modules() {
    let deb = boot::fetch(&["kernel", "bookworm", "arm64", "arm64"]);
    let di = boot::fetch(&["di", "bookworm", "arm64"]).join("initrd.gz");
    let out = tempfile::tempdir().unwrap();
    let m = di_kernel(&deb, &di, out.path(), &with_virtio_blk()).unwrap();
    check_manifest(&m, out.path());
    assert_eq!(m.kernel.debian_arch.as_deref(), Some("arm64"));
    assert!(m.kernel.dtbs > 100, "{} DTBs", m.kernel.dtbs);
    // dm_mod is selected by its path; dax, outside the classic paths, is
    // added for it (what the classic subset got wrong).
    assert!(module(&m, "dm_mod").reason.is_selected());
    match &module(&m, "dax").reason {
        Reason::Dependency { of } => assert_eq!(of, "dm_mod"),
        r => panic!("dax is in for {r:?}"),
    }
    // The closure still adds what the rules miss, though d-i's own sets
    // (issue 12) select most of what the classic paths alone left out
    // (63 dependencies): 31 on bookworm arm64.
    assert!(m.modules.added >= 20, "{} added", m.modules.added);

    boots_and_loads("arm64", &m, out.path(), true);
}

#[test]
#[ignore = "needs Debian's archive and QEMU: run tests/run"]
fn bookworm_armhf_boots_and_loads_the_installer_modules() {
    let deb = boot::fetch(&["kernel", "bookworm", "armhf", "armmp"]);
    let di = boot::fetch(&["di", "bookworm", "armhf"]).join("initrd.gz");
    let out = tempfile::tempdir().unwrap();
    let m = di_kernel(&deb, &di, out.path(), &with_virtio_blk()).unwrap();
    check_manifest(&m, out.path());
    assert_eq!(m.kernel.debian_arch.as_deref(), Some("armhf"));
    assert_eq!(m.kernel.elf_machine, 40);
    boots_and_loads("armhf", &m, out.path(), true);
}

/// Trixie's kernel ships `usr/lib/modules/VER/*.ko.xz`: the classic path
/// filter found nothing there. Ours finds a closed subset, stores it
/// decompressed, and bookworm's installer (kmod without xz) loads it.
#[test]
#[ignore = "needs Debian's archive and QEMU: run tests/run"]
fn trixie_arm64_with_bookworm_installer_loads_plain_modules() {
    let deb = boot::fetch(&["kernel", "trixie", "arm64", "arm64"]);
    let di = boot::fetch(&["di", "bookworm", "arm64"]).join("initrd.gz");
    let out = tempfile::tempdir().unwrap();
    let m = di_kernel(&deb, &di, out.path(), &with_virtio_blk()).unwrap();
    check_manifest(&m, out.path());
    assert!(m.kernel.module_dir.starts_with("usr/lib/modules/"));
    assert!(m.modules.included > 900, "{} modules", m.modules.included);
    assert!(m.modules.list.iter().all(|e| e.path.ends_with(".ko")));
    // bookworm's d-i is not merged-/usr: the modules go to lib/modules.
    assert_eq!(
        m.segment.moddir,
        format!("lib/modules/{}", m.kernel.version)
    );

    // Every module in the segment is a plain ELF file.
    let x = tempfile::tempdir().unwrap();
    extract(&out.path().join("modules.cpio.gz"), x.path());
    let moddir = x.path().join(&m.segment.moddir);
    for e in &m.modules.list {
        let bytes = fs::read(moddir.join(&e.path)).unwrap();
        assert_eq!(&bytes[..4], b"\x7fELF", "{} is plain ELF", e.path);
        assert_eq!(bytes.len() as u64, e.size);
    }

    boots_and_loads("arm64", &m, out.path(), true);
    // modprobe straight away: libkmod finds modules only through
    // modules.dep.bin, and the installer has none for this kernel's
    // version but the segment's.
    boots_and_loads("arm64", &m, out.path(), false);
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn the_outputs_are_the_same_on_one_thread_called_from_rayon() {
    // Trixie's modules are .ko.xz, decompressed on rayon's threads while
    // the package is read; called from the one thread of a pool, the
    // caller must run that work itself rather than wait for it.
    let deb = boot::fetch(&["kernel", "trixie", "arm64", "arm64"]);
    let di = boot::fetch(&["di", "bookworm", "arm64"]).join("initrd.gz");
    let usual = tempfile::tempdir().unwrap();
    let m = di_kernel(&deb, &di, usual.path(), &Options::default()).unwrap();
    let one = tempfile::tempdir().unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    let (d, i, o) = (deb.clone(), di.clone(), one.path().to_owned());
    std::thread::spawn(move || {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let _ = done.send(pool.install(|| di_kernel(&d, &i, &o, &Options::default())));
    });
    let on_one = finished
        .recv_timeout(std::time::Duration::from_secs(600))
        .expect("di_kernel on one rayon thread finishes")
        .unwrap();
    assert_eq!(
        serde_json::to_value(&on_one.outputs).unwrap(),
        serde_json::to_value(&m.outputs).unwrap()
    );
    for f in m.outputs.values() {
        assert_eq!(
            sha256(&one.path().join(&f.file)),
            sha256(&usual.path().join(&f.file)),
            "{}",
            f.file
        );
    }
}

fn extract(segment: &Path, into: &Path) {
    let st = Command::new("sh")
        .arg("-c")
        .arg("zcat \"$1\" | cpio -idm --quiet --no-absolute-filenames")
        .arg("sh")
        .arg(segment)
        .current_dir(into)
        .status()
        .unwrap();
    assert!(st.success(), "cpio -i of {}", segment.display());
}

/// The segment, as GNU cpio, bsdtar, depmod and dpkg-deb see it.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn bookworm_arm64_segment_against_cpio_bsdtar_depmod_and_dpkg() {
    let deb = boot::fetch(&["kernel", "bookworm", "arm64", "arm64"]);
    let tmp = tempfile::tempdir().unwrap();
    let seg = tmp.path().join("modules.cpio.gz");
    let opts = Options {
        mtime: Some(1_700_000_000),
        ..Options::default()
    };
    let r = installer_modules(&deb, &seg, &opts).unwrap();
    let moddir = format!("lib/modules/{}", r.version);

    // The names we meant: every module, the index and tree files, and
    // their parent directories.
    let mut want: BTreeSet<String> = BTreeSet::new();
    for e in &r.modules.list {
        want.insert(format!("{moddir}/{}", e.path));
    }
    for f in &r.segment.files {
        want.insert(format!("{moddir}/{f}"));
    }
    let files = want.clone();
    for f in &files {
        let mut p = Path::new(f).parent();
        while let Some(d) = p {
            if d.as_os_str().is_empty() {
                break;
            }
            want.insert(d.to_str().unwrap().to_owned());
            p = d.parent();
        }
    }
    let listed = |out: String| -> BTreeSet<String> {
        out.lines()
            .map(|l| l.trim_start_matches("./").trim_end_matches('/').to_owned())
            .filter(|l| !l.is_empty() && l != ".")
            .collect()
    };
    let gnu = listed(run(Command::new("sh")
        .arg("-c")
        .arg("zcat \"$1\" | cpio -t --quiet")
        .arg("sh")
        .arg(&seg)));
    assert_eq!(gnu, want, "GNU cpio's list");
    let bsd = listed(run(Command::new("bsdtar").arg("-tf").arg(&seg)));
    assert_eq!(bsd, want, "bsdtar's list");
    // Ordered: sorted names, parents first.
    let order: Vec<String> = run(Command::new("sh")
        .arg("-c")
        .arg("zcat \"$1\" | cpio -t --quiet")
        .arg("sh")
        .arg(&seg))
    .lines()
    .map(str::to_owned)
    .collect();
    // Sorted by path components, so each directory's entries follow it.
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    if let Some(i) = (0..order.len()).find(|&i| order[i] != sorted[i]) {
        panic!("not sorted at entry {i}: {} before {}", order[i], sorted[i]);
    }

    // Owner 0 and the mtime asked for, as GNU cpio reports them.
    let long = run(Command::new("sh")
        .arg("-c")
        .arg("zcat \"$1\" | cpio -tv --quiet")
        .arg("sh")
        .arg(&seg));
    for l in long.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!((f[2], f[3]), ("root", "root"), "{l}");
    }
    assert!(long.contains("Nov 14  2023"), "mtime 1700000000");

    // depmod on the extracted segment writes exactly our indexes.
    let x = tempfile::tempdir().unwrap();
    extract(&seg, x.path());
    let ours = x.path().join(&moddir);
    let theirs = tempfile::tempdir().unwrap();
    run(Command::new("cp")
        .arg("-a")
        .arg(x.path().join("lib"))
        .arg(theirs.path()));
    let bins = [
        "modules.dep.bin",
        "modules.alias.bin",
        "modules.symbols.bin",
        "modules.builtin.bin",
        "modules.builtin.alias.bin",
    ];
    for f in bins {
        fs::remove_file(theirs.path().join(&moddir).join(f)).unwrap();
    }
    run(Command::new("depmod")
        .arg("-b")
        .arg(theirs.path())
        .arg(&r.version));
    for f in [
        "modules.dep",
        "modules.alias",
        "modules.softdep",
        "modules.symbols",
        "modules.devname",
    ]
    .into_iter()
    .chain(bins)
    {
        let a = fs::read(ours.join(f)).unwrap();
        let b = fs::read(theirs.path().join(&moddir).join(f)).unwrap();
        assert!(a == b, "{f} differs from depmod's");
    }
    let dep = fs::read_to_string(ours.join("modules.dep")).unwrap();
    assert!(dep.contains("kernel/drivers/md/dm-mod.ko: kernel/drivers/dax/dax.ko"));

    // Every module is byte-identical to dpkg's.
    let d = tempfile::tempdir().unwrap();
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(d.path()));
    for e in &r.modules.list {
        let a = fs::read(ours.join(&e.path)).unwrap();
        let b = fs::read(d.path().join(&moddir).join(&e.path)).unwrap();
        assert!(a == b, "{} differs from dpkg-deb's", e.path);
    }

    // Deterministic: the same bytes again.
    let again = tmp.path().join("again.cpio.gz");
    let r2 = installer_modules(&deb, &again, &opts).unwrap();
    assert_eq!(r.segment.sha256, r2.segment.sha256);
    assert_eq!(fs::read(&seg).unwrap(), fs::read(&again).unwrap());
}

/// The `modules-cpio` build output: every module, with `include: ["*"]`.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn every_module_with_a_star() {
    let deb = boot::fetch(&["kernel", "bookworm", "armhf", "armmp"]);
    let tmp = tempfile::tempdir().unwrap();
    let opts = Options {
        classic: false,
        include: vec!["*".into()],
        ..Options::default()
    };
    let r = installer_modules(&deb, &tmp.path().join("all.cpio.gz"), &opts).unwrap();
    assert_eq!(r.modules.included, r.kernel_modules);
    assert_eq!(r.modules.added, 0);
}

/// Failures leave nothing behind and say what is wrong.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn errors_leave_no_outputs() {
    let deb = boot::fetch(&["kernel", "bookworm", "armhf", "armmp"]);
    let di = boot::fetch(&["di", "bookworm", "armhf"]).join("initrd.gz");
    let out = tempfile::tempdir().unwrap();
    let empty = |dir: &Path| fs::read_dir(dir).unwrap().count() == 0;

    let small = Options {
        max_segment_size: Some(1_000_000),
        ..Options::default()
    };
    let e = di_kernel(&deb, &di, out.path(), &small)
        .unwrap_err()
        .to_string();
    assert!(e.contains("over the budget of 1000000"), "{e}");
    assert!(empty(out.path()), "nothing written on error");

    let nothing = Options {
        classic: false,
        include: vec!["no_such_module".into()],
        ..Options::default()
    };
    let e = di_kernel(&deb, &di, out.path(), &nothing)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("include pattern no_such_module matched no module of this kernel"),
        "{e}"
    );
    assert!(
        e.contains(&deb.display().to_string()),
        "names the source: {e}"
    );
    assert!(empty(out.path()));

    let too_high = Options {
        level: Some(13),
        ..Options::default()
    };
    let e = di_kernel(&deb, &di, out.path(), &too_high)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gzip level 13 (0..=12)"), "{e}");
    assert!(empty(out.path()));

    let e = di_kernel(
        Path::new("/nonexistent.deb"),
        &di,
        out.path(),
        &Options::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("/nonexistent.deb"), "{e}");

    // A truncated package: the error names it, nothing is left.
    let cut = out.path().join("cut.deb");
    let bytes = fs::read(&deb).unwrap();
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o2 = out.path().join("o2");
    let e = di_kernel(&cut, &di, &o2, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cut.deb"), "{e}");
    assert!(empty(&o2), "nothing written on error");
}

/// An amd64 kernel with the arm64 installer would boot nothing: refused
/// before anything is written, naming both architectures.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn a_kernel_and_installer_of_different_arches_are_refused() {
    let deb = boot::fetch(&["kernel", "bookworm", "amd64", "amd64"]);
    let di = boot::fetch(&["di", "bookworm", "arm64"]).join("initrd.gz");
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("o");
    let opts = Options {
        classic: false,
        include: vec!["ext4".into()],
        ..Options::default()
    };
    let e = di_kernel(&deb, &di, &o, &opts).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}: the kernel is for amd64 (EM_X86_64, 64-bit) (x86 bzImage), but the d-i initrd {} \
             is for arm64 (EM_AARCH64, 64-bit) (",
            deb.display(),
            di.display()
        )) && e.ends_with("of its ELF files): use the installer of the kernel's architecture"),
        "{e}"
    );
    assert!(!o.exists() || fs::read_dir(&o).unwrap().count() == 0);
}

/// A module the first reading drops can still be wanted: lima asks for
/// governor_simpleondemand with `softdep=pre:`, but that module exports
/// nothing, has no `crypto-` alias and comes before lima in the package,
/// so its bytes were not kept when it went by. The source is read again
/// for it, and the segment holds it, byte for byte.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn softdep_on_a_module_read_before_it() {
    let deb = boot::fetch(&["kernel", "bookworm", "arm64", "arm64"]);
    let tmp = tempfile::tempdir().unwrap();
    let seg = tmp.path().join("lima.cpio.gz");
    let opts = Options {
        classic: false,
        include: vec!["lima".into()],
        ..Options::default()
    };
    let r = installer_modules(&deb, &seg, &opts).unwrap();
    let gov = r
        .modules
        .list
        .iter()
        .find(|e| e.name == "governor_simpleondemand")
        .expect("the softdep is in the segment");
    assert_eq!(gov.reason, Reason::Softdep { of: "lima".into() });
    let x = tempfile::tempdir().unwrap();
    extract(&seg, x.path());
    let d = tempfile::tempdir().unwrap();
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(d.path()));
    let moddir = format!("lib/modules/{}", r.version);
    for e in &r.modules.list {
        let a = fs::read(x.path().join(&moddir).join(&e.path)).unwrap();
        let b = fs::read(d.path().join(&moddir).join(&e.path)).unwrap();
        assert!(a == b, "{} differs from dpkg-deb's", e.path);
    }
}

/// xz, zstd and no compression hold the very archive gzip does: the
/// modules a gzip segment gets compressed while the source is read are
/// held for the others and written at the end.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn every_compression_holds_the_same_archive() {
    use osstest_core::format::compress::Compression;
    let deb = boot::fetch(&["kernel", "bookworm", "armhf", "armmp"]);
    let tmp = tempfile::tempdir().unwrap();
    let cpio_of = |compression: Compression, level: Option<u32>, tool: &str| -> Vec<u8> {
        let seg = tmp.path().join(format!("seg.{}", compression.name()));
        let opts = Options {
            compression,
            level,
            ..Options::default()
        };
        let r = installer_modules(&deb, &seg, &opts).unwrap();
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{tool} <\"$1\""))
            .arg("sh")
            .arg(&seg)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool} of the {compression:?} segment"
        );
        assert_eq!(out.stdout.len() as u64, r.segment.cpio_size);
        out.stdout
    };
    let gzip = cpio_of(Compression::Gzip, None, "gzip -dc");
    assert!(gzip == cpio_of(Compression::Xz, Some(0), "xz -dc"), "xz");
    assert!(
        gzip == cpio_of(Compression::Zstd, Some(1), "zstd -dc"),
        "zstd"
    );
    assert!(gzip == cpio_of(Compression::None, None, "cat"), "none");
}
