// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The installer's module subset covers d-i's own module sets: for
//! bookworm's d-i, with bookworm's and trixie's kernels, on arm64, armhf
//! and amd64, every module d-i has (in its initrd or in the kernel-module
//! udebs osstest's installs need) that the new kernel has too is in the
//! segment. See `subset::check`.

mod boot;
mod subset;

use boot::fetch;

fn covers(kernel_suite: &str, arch: &str, flavour: &str) {
    let kernel = fetch(&["kernel", kernel_suite, arch, flavour]);
    let di = fetch(&["di", "bookworm", arch]).join("initrd.gz");
    let contents = fetch(&["contents-udeb", "bookworm", arch]);
    let c = subset::check(&kernel, &di, &contents);
    let m = &c.manifest;
    eprintln!(
        "{kernel_suite} {arch} {}: segment {} bytes, {} modules ({} selected, {} added), \
         by rule {:?}; {} d-i module names covered, {} not in this kernel: {:?}",
        m.kernel.version,
        m.segment.size,
        m.modules.included,
        m.modules.matched,
        m.modules.added,
        c.by_rule,
        c.wanted.len(),
        c.absent.len(),
        c.absent
    );
    subset::assert_has_what_qemu_needs(&c);
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn bookworm_kernel_arm64() {
    covers("bookworm", "arm64", "arm64");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn trixie_kernel_arm64() {
    covers("trixie", "arm64", "arm64");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn bookworm_kernel_armhf() {
    covers("bookworm", "armhf", "armmp");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn trixie_kernel_armhf() {
    covers("trixie", "armhf", "armmp");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn bookworm_kernel_amd64() {
    covers("bookworm", "amd64", "amd64");
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn trixie_kernel_amd64() {
    covers("trixie", "amd64", "amd64");
}

/// The real bookworm arm64 installer, booted with `di_kernel`'s output for
/// trixie's kernel (another ABI: the segment is its only source of
/// modules) and osstest's `no-di-kernel` preseeding
/// (`anna/no_kernel_modules`), with no `include`: d-i's own hw-detect and
/// netcfg run, then the harness's preseed hook checks the virtio disk,
/// device-mapper, the EFI system partition and efivarfs, and powers off.
#[test]
#[ignore = "needs Debian's archive and QEMU (arm64 under TCG, minutes): run tests/run"]
fn real_installer_sees_the_disk_with_a_trixie_kernel() {
    use boot::checks::Check;
    use boot::installer::{self, InstallerBoot, Preseed};
    let started = std::time::Instant::now();
    let kernel = fetch(&["kernel", "trixie", "arm64", "arm64"]);
    let di = fetch(&["di", "bookworm", "arm64"]).join("initrd.gz");
    let contents = fetch(&["contents-udeb", "bookworm", "arm64"]);
    let mirror = boot::fetch_text(&["mirror"]);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("di-kernel");
    let opts = osstest_core::installer::Options {
        contents_udeb: Some(contents),
        ..Default::default()
    };
    let m = osstest_core::installer::di_kernel(&kernel, &di, &out, &opts).unwrap();
    assert!(m.options.include.is_empty());
    let checks: Vec<Check> = [
        "disk:vda",
        "dm",
        "vfat:/dev/vda1",
        "efivarfs",
        "module:dm_mod",
        "module:vfat",
        "module:nls_cp437",
        "module:efivarfs",
    ]
    .iter()
    .map(|c| Check::parse(c).unwrap())
    .collect();
    let logs = work.path().join("installer");
    let b = InstallerBoot {
        arch: "arm64",
        kernel: &out.join(format!("vmlinuz-{}", m.kernel.version)),
        initrd: &out.join("initrd.gz"),
        preseed: Preseed {
            suite: "bookworm".into(),
            mirror,
            no_di_kernel: true,
            extra: String::new(),
        },
        checks: &checks,
        out: &logs,
        timeout: std::time::Duration::from_secs(2400),
    };
    let r = installer::boot(&b).unwrap_or_else(|e| panic!("the installer's boot: {e}"));
    let console = std::fs::read_to_string(&r.console_log).unwrap();
    for line in console
        .lines()
        .filter(|l| l.contains("OSSTEST-CHECK") || l.contains("virtio_blk") || l.contains(" vda"))
    {
        eprintln!("console: {}", line.trim_end());
    }
    eprintln!(
        "kernel {} ({}), netcfg {}, steps {}, loaded {}; {:?} in all",
        r.report.kernel_release,
        r.accel,
        r.netcfg_done,
        r.steps.join(" "),
        r.report.loaded.join(" "),
        started.elapsed()
    );
    assert!(r.netcfg_done, "d-i's netcfg finished");
    assert_eq!(r.report.kernel_release, m.kernel.version);
    for (name, o) in &r.report.checks {
        assert!(o.ok, "check {name}: {}", o.detail);
    }
    for name in ["dm_mod", "vfat", "nls_cp437", "efivarfs", "virtio_blk"] {
        assert!(r.report.loaded.iter().any(|l| l == name), "{name} loaded");
    }
}
