// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Booting an installed system: a root tree (what d-i's base-installer
//! and the late_command made) becomes a disk image, and QEMU boots the
//! tree's own kernel and initrd from its `/boot` with the root on the
//! virtio disk, UEFI firmware in front.
//!
//! What runs on the target is one sh script, given as `init=`: the
//! target's initramfs (initramfs-tools, made by the kernel package's
//! hooks) loads the disk and filesystem modules, mounts the root and
//! hands over to the script instead of the target's init system. The
//! script runs the checks against the installed modules
//! (`/lib/modules/VER`, `modprobe` with the target's `modules.dep`),
//! reports the modules loaded (those the initramfs loaded are among them)
//! and powers off through sysrq. A full init (systemd) would add minutes
//! under TCG and prove nothing more about the kernel. If sysrq is not
//! built in, the script exits, the kernel panics and `panic=-1` reboots,
//! which QEMU's `-no-reboot` turns into an exit: the report is complete
//! either way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::checks::{self, Check, Report};
use super::{disk, qemu};

/// Where the check script sits in the target.
pub const CHECK_INIT: &str = "usr/local/sbin/osstest-target-check";

/// The target's check script (see the module docs).
pub fn check_script(checks: &[Check]) -> String {
    format!(
        "#!/bin/sh\n\
         # osstest-core's boot check of the installed system: run as init=.\n\
         PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin\n\
         export PATH\n\
         [ -e /proc/self ] || mount -t proc proc /proc\n\
         [ -d /sys/kernel ] || mount -t sysfs sysfs /sys\n\
         [ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev\n\
         mount -t tmpfs tmpfs /tmp\n\
         {}\
         sync\n\
         [ ! -e /proc/sysrq-trigger ] || echo o >/proc/sysrq-trigger\n\
         sleep 10\n\
         exit 0\n",
        checks::script(checks)
    )
}

/// One boot of an installed tree.
pub struct TargetBoot<'a> {
    /// The Debian architecture.
    pub arch: &'a str,
    /// The installed system's root.
    pub root: &'a Path,
    /// The kernel release to boot (`/boot/vmlinuz-VER`,
    /// `/boot/initrd.img-VER`).
    pub release: &'a str,
    /// What to check.
    pub checks: &'a [Check],
    /// Where the disk image, the kernel and initrd copies and the console
    /// log go (kept for a human to look at).
    pub out: &'a Path,
    /// The time limit for the boot.
    pub timeout: Duration,
}

/// What the target boot produced.
#[derive(Debug, serde::Serialize)]
pub struct TargetResult {
    /// The checks' report.
    pub report: Report,
    /// The accelerator.
    pub accel: String,
    /// The console log.
    pub console_log: PathBuf,
    /// The disk image.
    pub disk: PathBuf,
}

/// Installs the check script into the tree, makes the disk image and
/// boots it; the report, or an error with the console's tail.
pub fn boot(t: &TargetBoot) -> Result<TargetResult, String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(t.out).map_err(|e| io(t.out, e))?;
    let kernel = t.out.join(format!("vmlinuz-{}", t.release));
    let initrd = t.out.join(format!("initrd.img-{}", t.release));
    for (from, to) in [("vmlinuz", &kernel), ("initrd.img", &initrd)] {
        let src = t.root.join(format!("boot/{from}-{}", t.release));
        std::fs::copy(&src, to).map_err(|e| io(&src, e))?;
    }
    let script = t.root.join(CHECK_INIT);
    std::fs::create_dir_all(script.parent().unwrap()).map_err(|e| io(&script, e))?;
    std::fs::write(&script, check_script(t.checks)).map_err(|e| io(&script, e))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| io(&script, e))?;
    let disk_path = t.out.join("disk.img");
    disk::make(&disk_path, disk_size_mib(t.root)?, Some(t.root))?;
    let m = qemu::machine(t.arch);
    let console_log = t.out.join("console.log");
    let b = qemu::Boot {
        initrd: Some(initrd),
        append: format!(
            "console={} root=/dev/vda2 ro panic=-1 init=/{CHECK_INIT}",
            m.console
        ),
        uefi: true,
        disks: vec![disk_path.clone()],
        timeout: t.timeout,
        log: Some(console_log.clone()),
        ..qemu::Boot::new(t.arch, &kernel)
    };
    let accel = qemu::accel(t.arch, &kernel).to_string();
    let out = qemu::run(&b)?;
    let report = checks::parse(&out, t.checks)
        .map_err(|e| format!("{e}; console:\n{}", qemu::tail(&out)))?;
    Ok(TargetResult {
        report,
        accel,
        console_log,
        disk: disk_path,
    })
}

/// The tree's size with room to spare (ext4's metadata, the journal),
/// plus the ESP.
fn disk_size_mib(root: &Path) -> Result<u64, String> {
    let out = std::process::Command::new("du")
        .args(["-s", "-x", "--block-size=1M"])
        .arg(root)
        .output()
        .map_err(|e| format!("du: {e}"))?;
    let mib: u64 = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("du -s {}: no size", root.display()))?;
    Ok(mib + mib / 2 + 256 + disk::ESP_MIB)
}
