// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The boot-check harness: boots a kernel under QEMU with the Debian
//! installer's initrd plus appended segments, runs a `/check` script from
//! one more appended segment (`rdinit=/check`), and reports which modules
//! load.
//!
//! The script does what the installer's hw-detect does (`depmod -a`; or
//! not, to test the binary indexes a segment brings), then `modprobe`s
//! each module asked for and prints one machine-parsable line
//! per result, prefixed `OSSTEST-CHECK`, then `poweroff -f`. QEMU runs with
//! `-no-reboot`, so it exits at the power-off.
//!
//! Use [`boot_check`] with any modules segment: the kernel image, the base
//! initrd, the segments to append before the check segment, and the
//! modules to try. The kernel's modules must be for the kernel booted
//! (same .deb).

#![allow(dead_code)]

pub mod checks;
pub mod disk;
pub mod installer;
pub mod qemu;
pub mod target;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use osstest_core::format::compress::Compression;
use osstest_core::format::cpio::Tree;
use osstest_core::format::initrd::{self, AppendOptions, Segment};

pub use checks::MARK;

/// The modules the installer needs for an LVM install on virtio and USB.
pub const INSTALLER_MODULES: &[&str] = &["dm_mod", "ext4", "virtio_net", "virtio_blk", "xhci_pci"];

/// What became of one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `modprobe` succeeded and `/sys/module/NAME` exists.
    Loaded,
    /// It did not; modprobe's message.
    Failed(String),
    /// The step was not run.
    Skipped,
}

/// What the check script reported.
#[derive(Debug, Clone)]
pub struct BootResult {
    /// `uname -r` in the booted system.
    pub kernel_release: String,
    /// `depmod -a`'s outcome.
    pub depmod: Outcome,
    /// Each module asked for.
    pub modules: BTreeMap<String, Outcome>,
    /// The whole console output, for messages.
    pub console: String,
}

/// The `/check` script for `modules`; `depmod -a` first if `run_depmod`.
pub fn check_script(modules: &[&str], run_depmod: bool) -> String {
    let list = modules.join(" ");
    let depmod = if run_depmod {
        // As the installer's hw-detect does: the kernel's .deb has no
        // modules.dep.
        format!(
            r#"if out=$(depmod -a 2>&1); then
    echo "{MARK} depmod loaded"
else
    echo "{MARK} depmod failed $(echo "$out" | tr '\n' ' ')"
fi"#
        )
    } else {
        format!(r#"echo "{MARK} depmod skipped""#)
    };
    format!(
        r#"#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "{MARK} kernel $(uname -r)"
{depmod}
for m in {list}; do
    if out=$(modprobe "$m" 2>&1); then
        if [ -d "/sys/module/$m" ]; then
            echo "{MARK} module $m loaded"
        else
            echo "{MARK} module $m failed modprobe succeeded but /sys/module/$m is missing"
        fi
    else
        echo "{MARK} module $m failed $(echo "$out" | tr '\n' ' ')"
    fi
done
echo "{MARK} done"
poweroff -f
"#
    )
}

/// The segment holding `/check`.
pub fn check_segment(modules: &[&str], run_depmod: bool) -> Tree {
    let mut t = Tree::new("boot check segment");
    t.add_bytes("check", 0o755, check_script(modules, run_depmod))
        .unwrap();
    t
}

/// Boots `kernel` with `base_initrd` + `segments` + the check segment and
/// returns what the check reported. The script runs `depmod -a` first only
/// if `run_depmod`: without it, `modprobe` has only the binary indexes the
/// initrd holds. Panics (with the console output) if QEMU fails, times
/// out, or the script's report is incomplete.
pub fn boot_check(
    debian_arch: &str,
    kernel: &Path,
    base_initrd: &Path,
    segments: Vec<Segment>,
    modules: &[&str],
    timeout: Duration,
    run_depmod: bool,
) -> BootResult {
    let dir = tempfile::tempdir().unwrap();
    let combined = dir.path().join("initrd");
    let mut all = segments;
    all.push(Segment::Tree(check_segment(modules, run_depmod)));
    let opts = AppendOptions {
        compression: Compression::Gzip,
        level: Some(1),
        threads: 2,
        ..AppendOptions::default()
    };
    initrd::append(base_initrd, &all, &combined, &opts).unwrap();
    let console = boot(debian_arch, kernel, &combined, timeout);
    parse(&console, modules)
}

/// Runs QEMU with `rdinit=/check`; the console output. Panics if QEMU
/// fails or times out.
pub fn boot(debian_arch: &str, kernel: &Path, initrd: &Path, timeout: Duration) -> String {
    let m = qemu::machine(debian_arch);
    let b = qemu::Boot {
        initrd: Some(initrd.to_owned()),
        append: format!("console={} rdinit=/check", m.console),
        timeout,
        ..qemu::Boot::new(debian_arch, kernel)
    };
    qemu::run(&b).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads the script's report from the console output.
pub fn parse(console: &str, modules: &[&str]) -> BootResult {
    let mut kernel_release = None;
    let mut depmod = None;
    let mut found = BTreeMap::new();
    let mut done = false;
    for line in console.lines() {
        let Some(i) = line.find(MARK) else { continue };
        let words: Vec<&str> = line[i + MARK.len()..].trim().splitn(4, ' ').collect();
        let outcome = |w: &[&str], at: usize| match w.get(at) {
            Some(&"loaded") => Outcome::Loaded,
            Some(&"failed") => Outcome::Failed(w[at + 1..].join(" ")),
            Some(&"skipped") => Outcome::Skipped,
            _ => panic!("bad report line {line:?}"),
        };
        match words.first() {
            Some(&"kernel") => kernel_release = words.get(1).map(|s| s.to_string()),
            Some(&"depmod") => depmod = Some(outcome(&words, 1)),
            Some(&"module") => {
                found.insert(words[1].to_owned(), outcome(&words, 2));
            }
            Some(&"done") => done = true,
            _ => {}
        }
    }
    let ok = done
        && kernel_release.is_some()
        && depmod.is_some()
        && modules.iter().all(|m| found.contains_key(*m));
    assert!(
        ok,
        "the check script's report is incomplete; console:\n{}",
        qemu::tail(console)
    );
    BootResult {
        kernel_release: kernel_release.unwrap(),
        depmod: depmod.unwrap(),
        modules: found,
        console: console.to_owned(),
    }
}

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)] // not every test fetches
pub use common::{fetch, fetch_text};

/// A kernel .deb unpacked with `dpkg-deb -x`: its image, release and
/// modules directory (the temporary directory lives as long as this).
pub struct UnpackedKernel {
    /// The temporary directory.
    pub dir: tempfile::TempDir,
    /// `boot/vmlinuz-RELEASE`.
    pub image: PathBuf,
    /// The kernel release.
    pub release: String,
    /// `lib/modules/RELEASE`.
    pub modules: PathBuf,
}

/// Unpacks a kernel .deb.
pub fn unpack_kernel(deb: &Path) -> UnpackedKernel {
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success(), "dpkg-deb -x {}", deb.display());
    let image = std::fs::read_dir(dir.path().join("boot"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("vmlinuz-")
        })
        .expect("boot/vmlinuz-* in the kernel .deb");
    let release = image.file_name().unwrap().to_str().unwrap()["vmlinuz-".len()..].to_owned();
    let modules = dir.path().join("lib/modules").join(&release);
    assert!(modules.is_dir(), "{} in the kernel .deb", modules.display());
    UnpackedKernel {
        dir,
        image,
        release,
        modules,
    }
}

/// The classic installer subset (DESIGN.md section 3): modules chosen by
/// path alone, plus every `modules.*` file. Names are
/// `lib/modules/RELEASE/...`.
pub fn classic_subset(modules: &Path, release: &str) -> Tree {
    const DIRS: &[&str] = &[
        "kernel/lib/",
        "kernel/crypto/",
        "kernel/drivers/clk/",
        "kernel/drivers/mmc/",
        "kernel/drivers/phy/",
        "kernel/drivers/usb/misc/",
        "kernel/drivers/ata/",
        "kernel/drivers/i2c/busses/",
        "kernel/drivers/md/",
        "kernel/drivers/net/",
        "kernel/drivers/regulator/",
        "kernel/drivers/scsi/",
        "kernel/drivers/usb/dwc3/",
        "kernel/drivers/usb/host/",
    ];
    let selected = |rel: &str| {
        DIRS.iter().any(|d| rel.starts_with(d))
            || rel == "kernel/fs/mbcache.ko"
            || rel.starts_with("kernel/fs/ext")
            || rel.starts_with("kernel/fs/jbd")
            || (!rel.contains('/') && rel.starts_with("modules."))
    };
    let mut tree = Tree::new("classic modules subset");
    let mut stack = vec![modules.to_owned()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(modules)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            if p.is_dir() {
                stack.push(p);
            } else if selected(&rel) {
                tree.add_file(&format!("lib/modules/{release}/{rel}"), &p)
                    .unwrap();
            }
        }
    }
    tree
}
