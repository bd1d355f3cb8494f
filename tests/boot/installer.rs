// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Booting the real Debian installer (no `rdinit=`): d-i's own init,
//! main-menu, hw-detect and netcfg run as on a test host, preseeded as
//! osstest preseeds them, and a hook checks from inside the running
//! installer what the install needs.
//!
//! The preseed file is appended to the installer's initrd as
//! `/preseed.cfg` (d-i reads it before anything else) with
//! `auto=true priority=critical` on the command line, as osstest's
//! `ts-host-install` boots it. It carries the parts of osstest's
//! `preseed_base` that matter up to the mirror (locale, keymap, network,
//! mirror) and, for a kernel that is not d-i's own, what `preseed_create`
//! adds with the host flag `no-di-kernel` (`anna/no_kernel_modules`,
//! `base-installer/kernel/skip-install`).
//!
//! Its `preseed/early_command` starts a watcher in the background
//! ([`watcher`]; every descriptor d-i gave the command closed or
//! redirected, debconf's 3 too, or d-i waits for the watcher to end): it copies d-i's syslog to the console as it grows
//! (lines `OSSTEST-SYSLOG ...`, saved by the harness as `syslog`), waits
//! until main-menu has run netcfg and moved past it, then runs the checks
//! (as [`super::checks`] writes them) and powers off. The checks run
//! before d-i downloads its other components, so they do not depend on
//! the archive serving `.udeb` files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use osstest_core::format::compress::Compression;
use osstest_core::format::cpio::Tree;
use osstest_core::format::initrd::{self, AppendOptions, Segment};

use super::checks::{self, Check, Report, MARK};
use super::{disk, qemu};

/// The prefix of the syslog lines the watcher copies to the console.
pub const SYSLOG_MARK: &str = "OSSTEST-SYSLOG";

/// What a preseed says beyond the defaults.
#[derive(Debug, Clone)]
pub struct Preseed {
    /// The suite d-i installs (`mirror/suite`).
    pub suite: String,
    /// The Debian mirror, as `http://HOST/DIRECTORY` (`tests/fetch
    /// mirror`).
    pub mirror: String,
    /// The kernel is not d-i's own: preseed what osstest's `no-di-kernel`
    /// host flag does.
    pub no_di_kernel: bool,
    /// More preseed lines.
    pub extra: String,
}

/// osstest's preseeding, up to the mirror (see the module docs), with
/// the watcher as `preseed/early_command`.
pub fn preseed(p: &Preseed) -> Result<String, String> {
    let rest = p
        .mirror
        .strip_prefix("http://")
        .ok_or_else(|| format!("mirror {}: d-i's mirror must be http://", p.mirror))?;
    let (host, dir) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = format!(
        "# Preseeded as osstest's preseed_base and preseed_create do.\n\
         d-i mirror/suite string {suite}\n\
         d-i debian-installer/locale string en_GB\n\
         d-i console-keymaps-at/keymap select gb\n\
         d-i keyboard-configuration/xkb-keymap string en_GB\n\
         d-i mirror/country string manual\n\
         d-i mirror/http/hostname string {host}\n\
         d-i mirror/http/directory string /{dir}\n\
         d-i mirror/http/proxy string\n\
         d-i clock-setup/utc boolean true\n\
         d-i time/zone string UTC\n\
         d-i netcfg/choose_interface select auto\n\
         d-i netcfg/get_hostname string osstest-e2e\n\
         d-i netcfg/get_domain string test\n\
         d-i netcfg/dhcp_timeout string 150\n\
         d-i hw-detect/load_firmware boolean false\n\
         d-i preseed/early_command string sh /osstest-watch </dev/null >/dev/console 2>&1 3>&- &\n",
        suite = p.suite,
        dir = dir.trim_end_matches('/'),
    );
    if p.no_di_kernel {
        s.push_str(
            "d-i anna/no_kernel_modules boolean true\n\
             d-i base-installer/kernel/skip-install boolean true\n\
             d-i nobootloader/confirmation_common boolean true\n",
        );
    }
    s.push_str(&p.extra);
    Ok(s)
}

/// The watcher the early_command starts: syslog to the console until
/// netcfg is done (or `wait_secs` pass), then the checks, then power off.
pub fn watcher(checks: &[Check], wait_secs: u64) -> String {
    format!(
        r#"#!/bin/sh
# osstest-core's installer check: started by preseed/early_command.
log=/var/log/syslog
n=0
copy() {{
    m=$(wc -l <$log)
    if [ "$m" -gt "$n" ]; then
        tail -n +$((n + 1)) $log | head -n $((m - n)) | sed 's/^/{SYSLOG_MARK} /'
        n=$m
    fi
}}
# main-menu logs each step it runs; netcfg is done when it has run and
# another step follows it.
netcfg_done() {{
    sed -n "/Menu item 'netcfg' selected/,\$p" $log | grep "Menu item" | grep -vq "'netcfg'"
}}
waited=0
while ! netcfg_done && [ $waited -lt {wait_secs} ]; do
    copy
    sleep 2
    waited=$((waited + 2))
done
copy
if netcfg_done; then
    echo "{MARK} netcfg done after ${{waited}}s"
else
    echo "{MARK} netcfg not done after ${{waited}}s"
fi
echo "{MARK} steps $(grep -o "Menu item '[^']*' selected" $log | cut -d"'" -f2 | tr '\n' ' ')"
echo "{MARK} address $(ip -4 -o addr show | grep -v ' lo ' | awk '{{print $2, $4}}' | tr '\n' ' ')"
echo "{MARK} route $(ip -4 route show default | head -n 1)"
{checks}copy
poweroff -f
"#,
        checks = checks::script(checks)
    )
}

/// One boot of the installer.
pub struct InstallerBoot<'a> {
    /// The Debian architecture.
    pub arch: &'a str,
    /// The kernel (`di_kernel`'s `vmlinuz-VER`).
    pub kernel: &'a Path,
    /// The installer's initrd with the modules appended (`di_kernel`'s
    /// `initrd.gz`).
    pub initrd: &'a Path,
    /// The preseeding.
    pub preseed: Preseed,
    /// What to check once netcfg is done.
    pub checks: &'a [Check],
    /// Where the preseed, the combined initrd, the disk, the console log
    /// and d-i's syslog go (kept for a human to look at).
    pub out: &'a Path,
    /// The time limit for the boot.
    pub timeout: Duration,
}

/// What the installer's boot showed.
#[derive(Debug, serde::Serialize)]
pub struct InstallerResult {
    /// The checks' report.
    pub report: Report,
    /// netcfg finished (main-menu went on past it).
    pub netcfg_done: bool,
    /// The steps main-menu ran, in order.
    pub steps: Vec<String>,
    /// The interfaces' IPv4 addresses after netcfg (`ens3 10.0.2.15/24`).
    pub address: String,
    /// The default route after netcfg.
    pub route: String,
    /// The accelerator.
    pub accel: String,
    /// The console log.
    pub console_log: PathBuf,
    /// d-i's syslog as the watcher copied it.
    pub syslog: PathBuf,
}

/// Boots the installer as described in the module docs; the report, or
/// an error with the console's tail.
pub fn boot(b: &InstallerBoot) -> Result<InstallerResult, String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(b.out).map_err(|e| io(b.out, e))?;
    let preseed = preseed(&b.preseed)?;
    std::fs::write(b.out.join("preseed.cfg"), &preseed).map_err(|e| io(b.out, e))?;
    // The watcher gives up on netcfg in time to report before the limit.
    let wait = b.timeout.as_secs().saturating_sub(300).max(60);
    let mut seg = Tree::new("preseed segment");
    seg.add_bytes("preseed.cfg", 0o644, preseed)
        .map_err(|e| e.to_string())?;
    seg.add_bytes("osstest-watch", 0o755, watcher(b.checks, wait))
        .map_err(|e| e.to_string())?;
    let combined = b.out.join("initrd-preseeded.gz");
    let opts = AppendOptions {
        compression: Compression::Gzip,
        level: Some(1),
        ..AppendOptions::default()
    };
    initrd::append(b.initrd, &[Segment::Tree(seg)], &combined, &opts)
        .map_err(|e| format!("appending the preseed to {}: {e}", b.initrd.display()))?;
    let disk_path = b.out.join("disk.img");
    disk::make(&disk_path, 1024, None)?;
    let m = qemu::machine(b.arch);
    let console_log = b.out.join("console.log");
    // ts-host-install's command line, less what names osstest's hosts.
    let append = format!(
        "auto=true priority=critical hw-detect/load_firmware=false \
         DEBIAN_FRONTEND=text console={c} -- console={c}",
        c = m.console
    );
    let boot = qemu::Boot {
        initrd: Some(combined),
        append,
        uefi: true,
        disks: vec![disk_path],
        net: true,
        timeout: b.timeout,
        log: Some(console_log.clone()),
        ..qemu::Boot::new(b.arch, b.kernel)
    };
    let accel = qemu::accel(b.arch, b.kernel).to_string();
    let out = qemu::run(&boot)?;
    let syslog = b.out.join("syslog");
    let prefix = format!("{SYSLOG_MARK} ");
    let lines: String = out
        .lines()
        .filter_map(|l| {
            l.find(&prefix)
                .map(|i| format!("{}\n", &l[i + prefix.len()..]))
        })
        .collect();
    std::fs::write(&syslog, lines).map_err(|e| io(&syslog, e))?;
    let report = checks::parse(&out, b.checks)
        .map_err(|e| format!("{e}; console:\n{}", qemu::tail(&out)))?;
    let said = |what: &str| {
        report
            .lines
            .iter()
            .find_map(|l| l.strip_prefix(what).map(|s| s.trim().to_owned()))
            .unwrap_or_default()
    };
    Ok(InstallerResult {
        netcfg_done: said("netcfg ").starts_with("done"),
        steps: said("steps ")
            .split_whitespace()
            .map(String::from)
            .collect(),
        address: said("address "),
        route: said("route "),
        report,
        accel,
        console_log,
        syslog,
    })
}
