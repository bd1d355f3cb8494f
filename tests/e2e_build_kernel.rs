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

const JOB: &str = "build-arm64-pvops";

fn top() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn work_dir() -> PathBuf {
    let e2e = std::env::var_os("OSSTEST_E2E_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| top().join("target"));
            target.join("e2e/arm64")
        });
    e2e.join("stash/190000").join(JOB)
}

/// Runs the build script; returns its standard output.
fn build(work: &Path) -> String {
    let so = std::env::var_os("OSSTEST_CORE_SO")
        .map(PathBuf::from)
        .unwrap_or_else(|| top().join("target/release/libosstest_xs.so"));
    assert!(
        so.exists(),
        "{}: Osstest::Core's shared object is not built (cargo build --release)",
        so.display()
    );
    let out = Command::new(top().join("tests/e2e-lib/build-kernel.pl"))
        .args(["arm64".as_ref(), work.as_os_str()])
        .env("OSSTEST_CORE_SO", &so)
        .output()
        .expect("running tests/e2e-lib/build-kernel.pl");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "build-kernel.pl arm64 failed:\n{stdout}\n{}\n(log: {})",
        String::from_utf8_lossy(&out.stderr),
        work.join("build.log").display()
    );
    stdout
}

/// The build job's runvars, as the script recorded them.
fn runvars(work: &Path) -> BTreeMap<String, String> {
    let f = work.join("runvars");
    let text = std::fs::read_to_string(&f).unwrap();
    let flight = plain::read(&text, &f.display().to_string()).unwrap();
    let job = &flight.jobs[JOB];
    assert_eq!(job.recipe.as_deref(), Some("build-kern"));
    job.runvars.clone()
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

#[test]
#[ignore = "needs Debian's archive and a kernel build of many minutes: run tests/run"]
fn arm64_kernel_built_with_the_plans_runes() {
    let work = work_dir();
    let stdout = build(&work);
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
    let r = runvars(&work);
    let ver = &r["kernel_ver"];
    assert!(ver.starts_with("6.1."), "kernel_ver {ver}");
    assert_eq!(
        r["build_arch"], "amd64",
        "cross-built after flight_cross_arm"
    );
    assert_eq!(r["kconfighow"], "xen-enable-xen-config");
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
    let is = |o: &str, v: Value| {
        let got = have.get(o).cloned().unwrap_or(Got::Absent);
        assert!(got.is(v), "{o}: {got:?}, wanted {}", v.as_str());
    };
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
}
