// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! osstest's kernel build job for arm64, cross-built on amd64 for real by
//! `tests/e2e-lib/build-kernel.pl` (the end-to-end chain's build half:
//! build_plan after flight_cross_arm, the plan's configuration steps and
//! runes on Debian's linux-source, kinstall, the kerndist and
//! kernel_outputs' outputs), then checked here with osstest-core's own
//! readers: the runvars listing, the kerndist (image machine, kernel_ver,
//! the installer's drivers as modules), its installed config against the
//! job's configuration (the Xen options and the overrides), the `.deb`
//! and the installer-subset cpio.
//!
//! The work directory is the one `tests/e2e arm64` stashes the build in
//! (`target/e2e/arm64/stash/190000/build-arm64-pvops`, or under
//! `$OSSTEST_E2E_DIR`), so either reuses the other's kerndist when its
//! inputs are unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use osstest_core::build::kconfig::dotconfig::{self, Got};
use osstest_core::build::kconfig::{KernelConfig, Value};
use osstest_core::build::plan::BuildPlan;
use osstest_core::flight::plain;
use osstest_core::format::initrd::inspect;
use osstest_core::kernel::{EntryKind, KernelSource};

mod boot;
mod subset;

fn top() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The build job for `arch`.
fn job(arch: &str) -> String {
    format!("build-{arch}-pvops")
}

fn work_dir(arch: &str) -> PathBuf {
    let e2e = std::env::var_os("OSSTEST_E2E_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| top().join("target"));
            target.join("e2e").join(arch)
        });
    e2e.join("stash/190000").join(job(arch))
}

/// Runs the build script; returns its standard output.
fn build(arch: &str, work: &Path) -> String {
    let so = std::env::var_os("OSSTEST_CORE_SO")
        .map(PathBuf::from)
        .unwrap_or_else(|| top().join("target/release/libosstest_xs.so"));
    assert!(
        so.exists(),
        "{}: Osstest::Core's shared object is not built (cargo build --release)",
        so.display()
    );
    let out = Command::new(top().join("tests/e2e-lib/build-kernel.pl"))
        .args([arch.as_ref(), work.as_os_str()])
        .env("OSSTEST_CORE_SO", &so)
        .output()
        .expect("running tests/e2e-lib/build-kernel.pl");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "build-kernel.pl {arch} failed:\n{stdout}\n{}\n(log: {})",
        String::from_utf8_lossy(&out.stderr),
        work.join("build.log").display()
    );
    stdout
}

/// The build job's runvars, as the script recorded them.
fn runvars(arch: &str, work: &Path) -> BTreeMap<String, String> {
    let f = work.join("runvars");
    let text = std::fs::read_to_string(&f).unwrap();
    let flight = plain::read(&text, &f.display().to_string()).unwrap();
    let job = &flight.jobs[&job(arch)];
    assert_eq!(job.recipe.as_deref(), Some("build-kern"));
    job.runvars.clone()
}

/// Asserts that the parsed config `have` sets option `o` to `v`.
fn assert_config(have: &BTreeMap<String, Got>, o: &str, v: Value) {
    let got = have.get(o).cloned().unwrap_or(Got::Absent);
    assert!(got.is(v), "{o}: {got:?}, wanted {}", v.as_str());
}

/// The text of one member of a kernel source.
fn member_text(source: &KernelSource, name: &str) -> String {
    let mut text = None;
    source
        .visit(|e| {
            if e.path == name {
                text = Some(e.read_all(1 << 24).unwrap());
            }
            Ok(())
        })
        .unwrap();
    String::from_utf8(text.unwrap_or_else(|| panic!("no {name}"))).unwrap()
}

/// Every module's file name in a kernel source (`virtio_blk.ko`).
fn module_files(source: &KernelSource) -> Vec<String> {
    let mut names = Vec::new();
    source
        .visit(|e| {
            if e.kind == EntryKind::File && e.path.ends_with(".ko") {
                names.push(e.path.rsplit('/').next().unwrap().to_owned());
            }
            Ok(())
        })
        .unwrap();
    names
}

/// Runs the build job for `arch` (or reuses its kerndist), checks that
/// every step ran and passed, and returns the work directory and the
/// job's runvars.
fn built(arch: &str) -> (PathBuf, BTreeMap<String, String>) {
    let work = work_dir(arch);
    let stdout = build(arch, &work);
    let mut steps = vec!["plan", "inputs", "check", "outputs", "runvars"];
    if !stdout.contains("unchanged: reusing kerndist.tar.gz") {
        steps.extend([
            "tree",
            "config",
            "build",
            "kinstall",
            "source-intact",
            "stash",
        ]);
    }
    for step in steps {
        assert!(
            stdout.contains(&format!("--- {step} ok")),
            "no {step} step:\n{stdout}"
        );
    }
    let r = runvars(arch, &work);
    assert_eq!(
        r["build_arch"], "amd64",
        "cross-built after flight_cross_arm"
    );
    assert_eq!(r["kconfighow"], "xen-enable-xen-config");
    (work, r)
}

/// The installer-subset test (`tests/installer_subset.rs` runs it on
/// Debian's kernels) on our own kerndist, with bookworm's d-i for `arch`:
/// every d-i module our kernel has is in the segment, and so is what the
/// real installer needed under QEMU.
fn installer_subset(arch: &str, kerndist: &Path) {
    let di = boot::fetch(&["di", "bookworm", arch]).join("initrd.gz");
    let contents = boot::fetch(&["contents-udeb", "bookworm", arch]);
    let c = subset::check(kerndist, &di, &contents);
    eprintln!(
        "{arch} kerndist: {} modules in the segment ({} selected, {} added), by rule {:?}; \
         {} d-i module names covered, {} not in this kernel",
        c.manifest.modules.included,
        c.manifest.modules.matched,
        c.manifest.modules.added,
        c.by_rule,
        c.wanted.len(),
        c.absent.len()
    );
    subset::assert_has_what_qemu_needs(&c);
}

#[test]
#[ignore = "needs Debian's archive and a kernel build of many minutes: run tests/run"]
fn arm64_kernel_built_with_the_plans_runes() {
    let (work, r) = built("arm64");
    let ver = &r["kernel_ver"];
    assert!(ver.starts_with("6.1."), "kernel_ver {ver}");
    let stash = |rv: &str| work.join(&r[rv]);

    // The kerndist: an arm64 image, the version everywhere, the drivers d-i
    // and the target load as modules.
    let kd = KernelSource::open(stash("path_kerndist")).unwrap();
    let info = kd.info().unwrap();
    assert_eq!(&info.version, ver);
    assert_eq!(info.arch.elf_machine, 183, "EM_AARCH64");
    assert_eq!(info.image, format!("boot/vmlinuz-{ver}"));
    assert_eq!(
        info.module_dir.as_deref(),
        Some(&*format!("lib/modules/{ver}"))
    );
    let mods = module_files(&kd);
    for m in [
        "virtio_blk.ko",
        "virtio_net.ko",
        "virtio_pci.ko",
        "virtio_mmio.ko",
        "ext4.ko",
        "vfat.ko",
        "nls_cp437.ko",
        "nls_ascii.ko",
        "efivarfs.ko",
        "dm-mod.ko",
    ] {
        assert!(mods.contains(&m.to_owned()), "{m} not in the kerndist");
    }

    // Its config: what the job's configuration asked for, the Xen
    // options built in for dom0, the override, the drivers as modules.
    let config = member_text(&kd, info.config.as_deref().unwrap());
    let plan = BuildPlan::from_runvars(&r).unwrap();
    let kconfig = KernelConfig::from_runvars(&r, plan.target)
        .unwrap()
        .unwrap();
    let report = dotconfig::check(&kconfig, &config);
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    let asked = kconfig.wanted().values().filter(|s| s.checked).count();
    assert_eq!(report.checked, asked, "{report:?}");
    let have = dotconfig::parse(&config);
    let is = |o: &str, v: Value| assert_config(&have, o, v);
    for o in [
        "CONFIG_MODULES",
        "CONFIG_XEN",
        "CONFIG_XEN_DOM0",
        "CONFIG_HVC_XEN",
        "CONFIG_XEN_DEV_EVTCHN",
        "CONFIG_XEN_GNTDEV",
        "CONFIG_XEN_BLKDEV_BACKEND",
        "CONFIG_XEN_NETDEV_BACKEND",
        "CONFIG_BLK_DEV_INITRD",
        "CONFIG_RD_ZSTD",
        "CONFIG_DEVTMPFS",
        "CONFIG_UNIX",
    ] {
        is(o, Value::Y);
    }
    assert_eq!(r["kconfig_override_m"], "CONFIG_BLK_DEV_DM");
    for o in [
        "CONFIG_BLK_DEV_DM",
        "CONFIG_VIRTIO_BLK",
        "CONFIG_VIRTIO_NET",
        "CONFIG_EXT4_FS",
        "CONFIG_VFAT_FS",
        "CONFIG_EFIVAR_FS",
    ] {
        is(o, Value::M);
    }
    assert!(
        config.contains("CONFIG_CC_VERSION_TEXT=\"aarch64-linux-gnu-gcc"),
        "built by the cross compiler"
    );

    // The .deb: our reader takes it as a kernel package of that version.
    let deb = KernelSource::open(stash("path_kerndeb"))
        .unwrap()
        .info()
        .unwrap();
    assert_eq!(&deb.version, ver);
    assert_eq!(deb.debian_arch.as_deref(), Some("arm64"));
    assert_eq!(deb.package.as_deref(), Some(&*format!("linux-image-{ver}")));
    assert_eq!(deb.module_count, info.module_count);

    // The installer-subset cpio: modules of this version, with depmod's
    // index, and LVM's dm_mod among them.
    let cpio = inspect(&stash("path_kerndimodscpio")).unwrap();
    let names: Vec<&str> = cpio.files.iter().map(|f| f.name.as_str()).collect();
    let moddir = format!("lib/modules/{ver}");
    assert!(
        names
            .iter()
            .any(|n| n.ends_with(&format!("{moddir}/modules.dep"))),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with("/dm-mod.ko")), "{names:?}");
    let other: Vec<&&str> = names
        .iter()
        .filter(|n| n.starts_with("lib/modules/") && !n.starts_with(&moddir))
        .collect();
    assert!(other.is_empty(), "another version: {other:?}");

    installer_subset("arm64", &stash("path_kerndist"));
}

/// The armhf build job: an ARM zImage with LPAE (Xen's arm32 dom0 needs
/// it) and the Xen options, ext4 built in as the flight's
/// `kconfig_override_y` asks (so the installer has it without a module),
/// the rest of the installer's drivers as modules; the installer subset
/// holds what d-i needs of it.
#[test]
#[ignore = "needs Debian's archive and a kernel build of many minutes: run tests/run"]
fn armhf_kernel_built_with_the_plans_runes() {
    let (work, r) = built("armhf");
    let ver = &r["kernel_ver"];
    let kerndist = work.join(&r["path_kerndist"]);
    let kd = KernelSource::open(&kerndist).unwrap();
    let info = kd.info().unwrap();
    assert_eq!(&info.version, ver);
    assert_eq!(info.arch.elf_machine, 40, "EM_ARM");
    let mods = module_files(&kd);
    for m in ["virtio_blk.ko", "virtio_net.ko", "vfat.ko", "dm-mod.ko"] {
        assert!(mods.contains(&m.to_owned()), "{m} not in the kerndist");
    }
    assert!(!mods.contains(&"ext4.ko".to_owned()), "ext4 is built in");
    assert_eq!(r["kconfig_override_y"], "CONFIG_EXT4_FS");
    let have = dotconfig::parse(&member_text(&kd, info.config.as_deref().unwrap()));
    for (o, v) in [
        ("CONFIG_EXT4_FS", Value::Y),
        ("CONFIG_ARM_LPAE", Value::Y),
        ("CONFIG_XEN", Value::Y),
        ("CONFIG_XEN_DOM0", Value::Y),
        // 32-bit user space's time calls: without them d-i's init dies.
        ("CONFIG_COMPAT_32BIT_TIME", Value::Y),
        ("CONFIG_VIRTIO_BLK", Value::M),
    ] {
        assert_config(&have, o, v);
    }
    installer_subset("armhf", &kerndist);
}
