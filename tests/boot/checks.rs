// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Checks run inside a booted system (the installer, or an installed
//! target), as a POSIX sh fragment for busybox or dash, and their report.
//!
//! Each check prints one line `OSSTEST-CHECK check NAME ok|failed WHY`;
//! at the end the fragment prints the loaded modules
//! (`OSSTEST-CHECK lsmod m1 m2 ...`, from `/proc/modules`), the kernel
//! release and `OSSTEST-CHECK done`. [`parse`] reads them back.

use std::collections::BTreeMap;

/// The prefix of every line the scripts print for us.
pub const MARK: &str = "OSSTEST-CHECK";

/// One thing to check in the booted system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// A block device appeared (`/sys/block/NAME`, e.g. `vda`).
    Disk(String),
    /// `modprobe NAME` succeeds and `/sys/module/NAME` exists.
    Module(String),
    /// The kernel has file system NAME, as a module or built in:
    /// `modprobe NAME` (which has nothing to load for a built-in one), then
    /// `/proc/filesystems` lists it. What partman needs of ext4, which
    /// osstest builds in on armhf (`kconfig_override_y`).
    Filesystem(String),
    /// Device-mapper works: `modprobe dm_mod`, and `/dev/mapper/control`
    /// is a character device (made from `/sys/class/misc/device-mapper`
    /// if no device manager made it).
    DeviceMapper,
    /// The vfat filesystem on DEVICE mounts and holds the marker file the
    /// harness put there ([`VFAT_MARKER`]).
    Vfat(String),
    /// `efivarfs` mounts on `/sys/firmware/efi/efivars` (a UEFI boot) and
    /// lists variables.
    Efivarfs,
}

/// The file the harness puts on the EFI system partition, and what it
/// holds.
pub const VFAT_MARKER: (&str, &str) = ("OSSTEST.TXT", "osstest-esp-marker");

impl Check {
    /// The check's name in the report (`disk:vda`, `module:ext4`,
    /// `fs:ext4`, `dm`, `vfat:/dev/vda1`, `efivarfs`): also how
    /// [`Check::parse`] spells it.
    pub fn name(&self) -> String {
        match self {
            Check::Disk(d) => format!("disk:{d}"),
            Check::Module(m) => format!("module:{m}"),
            Check::Filesystem(f) => format!("fs:{f}"),
            Check::DeviceMapper => "dm".into(),
            Check::Vfat(d) => format!("vfat:{d}"),
            Check::Efivarfs => "efivarfs".into(),
        }
    }

    /// A check from its name.
    pub fn parse(s: &str) -> Result<Check, String> {
        let safe = |v: &str| {
            !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/_-.".contains(&b))
        };
        let (kind, arg) = s.split_once(':').unwrap_or((s, ""));
        let c = match (kind, arg) {
            ("disk", d) if safe(d) && !d.contains('/') => Check::Disk(d.into()),
            ("module", m) if safe(m) && !m.contains('/') => Check::Module(m.into()),
            ("fs", f) if safe(f) && !f.contains('/') => Check::Filesystem(f.into()),
            ("dm", "") => Check::DeviceMapper,
            ("vfat", d) if safe(d) && d.starts_with("/dev/") => Check::Vfat(d.into()),
            ("efivarfs", "") => Check::Efivarfs,
            _ => {
                return Err(format!(
                "bad check '{s}' (disk:NAME, module:NAME, fs:NAME, dm, vfat:/dev/NAME, efivarfs)"
            ))
            }
        };
        Ok(c)
    }

    /// The sh that runs the check and reports it.
    fn script(&self) -> String {
        let n = self.name();
        let body = match self {
            Check::Disk(d) => format!(
                "if [ -e /sys/block/{d} ]; then ok; else failed \"no /sys/block/{d}; have: $(ls /sys/block | tr '\\n' ' ')\"; fi"
            ),
            Check::Module(m) => format!("modprobe_check {m}"),
            Check::Filesystem(f) => format!("fs_check {f}"),
            Check::DeviceMapper => "if modprobe_check dm_mod >/dev/null; then\n    \
                 if [ ! -c /dev/mapper/control ] && [ -r /sys/class/misc/device-mapper/dev ]; then\n        \
                 mkdir -p /dev/mapper\n        \
                 mknod /dev/mapper/control c $(tr ':' ' ' </sys/class/misc/device-mapper/dev)\n    \
                 fi\n    \
                 if [ -c /dev/mapper/control ]; then ok; else failed \"dm_mod loaded but no /dev/mapper/control\"; fi\n\
                 else\n    \
                 failed \"$(modprobe dm_mod 2>&1 | tr '\\n' ' ')\"\n\
                 fi"
            .to_string(),
            // d-i itself mounts a vfat it finds on /media (looking for
            // driver disks); a second, read-only mount of a device mounted
            // read-write fails with EBUSY, so an existing mount is used.
            Check::Vfat(d) => format!(
                "mp=$(awk '$1 == \"{d}\" && $3 == \"vfat\" {{ print $2; exit }}' ${{OSSTEST_MOUNTS:-/proc/mounts}})\n\
                 how=\"already mounted on $mp\"\n\
                 if [ -z \"$mp\" ]; then\n    \
                 mp=/tmp/osstest-vfat\n    \
                 how=\"mounted on $mp\"\n    \
                 mkdir -p $mp\n    \
                 out=$(mount -t vfat -o ro {d} $mp 2>&1) || mp=\n\
                 fi\n\
                 if [ -z \"$mp\" ]; then\n    \
                 failed \"$out; $(dmesg | tail -n 3 | tr '\\n' ' ')\"\n\
                 elif [ \"$(cat $mp/{file} 2>/dev/null)\" = {content} ]; then\n    \
                 ok \"$how\"\n\
                 else\n    \
                 failed \"$how, but /{file} is missing or wrong\"\n\
                 fi\n\
                 [ \"$mp\" != /tmp/osstest-vfat ] || umount $mp",
                file = VFAT_MARKER.0,
                content = VFAT_MARKER.1,
            ),
            Check::Efivarfs => "v=/sys/firmware/efi/efivars\n\
                 if [ ! -d /sys/firmware/efi ]; then\n    \
                 failed \"no /sys/firmware/efi: not a UEFI boot, or no EFI runtime services\"\n\
                 else\n    \
                 grep -q \" $v efivarfs \" /proc/mounts || out=$(mount -t efivarfs efivarfs $v 2>&1)\n    \
                 if grep -q \" $v efivarfs \" /proc/mounts; then\n        \
                 n=$(ls $v | wc -l)\n        \
                 if [ \"$n\" -gt 0 ]; then ok \"$n variables\"; else failed \"mounted, but no variables\"; fi\n    \
                 else\n        \
                 failed \"mount: $out $(dmesg | tail -n 2 | tr '\\n' ' ')\"\n    \
                 fi\n\
                 fi"
            .to_string(),
        };
        format!("check={n}\n{body}\n")
    }
}

/// The sh that runs `checks` and reports; the caller mounts /proc, /sys
/// and /dev first and decides what happens after (power off).
pub fn script(checks: &[Check]) -> String {
    let mut s = format!(
        r#"ok() {{ echo "{MARK} check $check ok $*"; }}
failed() {{ echo "{MARK} check $check failed $*"; }}
modprobe_check() {{
    if out=$(modprobe "$1" 2>&1); then
        if [ -d "/sys/module/$1" ]; then ok
        elif grep -q "/$1\.ko\$" "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then
            failed "$1 is built into the kernel (modules.builtin), not a module"
        else failed "modprobe succeeded but /sys/module/$1 is missing"; fi
    else
        failed "$(echo "$out" | tr '\n' ' ')"
    fi
}}
fs_listed() {{
    while read -r a b; do [ "${{b:-$a}}" = "$1" ] && return 0; done </proc/filesystems
    return 1
}}
fs_check() {{
    out=$(modprobe "$1" 2>&1)
    if ! fs_listed "$1"; then
        failed "not in /proc/filesystems; modprobe $1: $(echo "$out" | tr '\n' ' ')"
    elif [ -r "/sys/module/$1/initstate" ]; then ok "module"
    else ok "built in"; fi
}}
echo "{MARK} kernel $(uname -r)"
"#
    );
    for c in checks {
        s.push_str(&c.script());
    }
    s.push_str(&format!(
        "echo \"{MARK} lsmod $(cut -d' ' -f1 /proc/modules | sort | tr '\\n' ' ')\"\n\
         echo \"{MARK} done\"\n"
    ));
    s
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// It passed.
    pub ok: bool,
    /// What it said (the failure's reason, or a detail).
    pub detail: String,
}

/// The report read back from a console.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// `uname -r`.
    pub kernel_release: String,
    /// Each check, by name.
    pub checks: BTreeMap<String, Outcome>,
    /// The modules loaded at the end (`/proc/modules`), sorted.
    pub loaded: Vec<String>,
    /// The report's lines as the console showed them.
    pub lines: Vec<String>,
}

impl Report {
    /// Every check passed.
    pub fn all_ok(&self) -> bool {
        self.checks.values().all(|o| o.ok)
    }
}

/// Reads the report of `checks` from `console`: an error naming what is
/// missing if it is incomplete (a check never reported, no `done`).
pub fn parse(console: &str, checks: &[Check]) -> Result<Report, String> {
    let mut release = None;
    let mut found = BTreeMap::new();
    let mut loaded = Vec::new();
    let mut lines = Vec::new();
    let mut done = false;
    for line in console.lines() {
        let Some(i) = line.find(MARK) else { continue };
        let rest = line[i + MARK.len()..].trim();
        // The same line can appear twice when the console is also a
        // second output (d-i's syslog on the serial line).
        if lines.last().map(String::as_str) != Some(rest) {
            lines.push(rest.to_owned());
        }
        let mut w = rest.splitn(4, ' ');
        match (w.next(), w.next(), w.next(), w.next()) {
            (Some("kernel"), Some(r), _, _) => release = Some(r.to_owned()),
            (Some("check"), Some(n), Some(v @ ("ok" | "failed")), d) => {
                let o = Outcome {
                    ok: v == "ok",
                    detail: d.unwrap_or("").trim().to_owned(),
                };
                found.insert(n.to_owned(), o);
            }
            (Some("lsmod"), ..) => {
                loaded = rest["lsmod".len()..]
                    .split_whitespace()
                    .map(String::from)
                    .collect();
            }
            (Some("done"), ..) => done = true,
            _ => {}
        }
    }
    let missing: Vec<String> = checks
        .iter()
        .map(Check::name)
        .filter(|n| !found.contains_key(n))
        .collect();
    if !done || release.is_none() || !missing.is_empty() {
        return Err(format!(
            "the check report is incomplete (done: {done}, kernel release: {release:?}, unreported: {missing:?})"
        ));
    }
    Ok(Report {
        kernel_release: release.unwrap(),
        checks: found,
        loaded,
        lines,
    })
}
