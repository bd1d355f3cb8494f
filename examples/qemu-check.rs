// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Boots the real Debian installer, or an installed system, under QEMU
//! and checks from inside it what an osstest install needs: the disk is
//! seen, device-mapper works, the EFI system partition (vfat) and
//! efivarfs mount, modules load. The harness is the test suite's own
//! (`tests/boot/`); this is its command line, for `tests/e2e` and for
//! trying a kernel by hand.
//!
//!     qemu-check installer ARCH KERNEL INITRD OUTDIR [options]
//!         KERNEL and INITRD as di_kernel writes them (vmlinuz-VER,
//!         initrd.gz); d-i runs its own hw-detect and netcfg, then a
//!         preseed hook checks and powers off.
//!     qemu-check target ARCH ROOT RELEASE OUTDIR [options]
//!         ROOT an installed system's tree with /boot/vmlinuz-RELEASE and
//!         /boot/initrd.img-RELEASE; made into OUTDIR/disk.img and booted.
//!
//! Options: --check CHECK (repeatable; disk:NAME, module:NAME, dm,
//! vfat:/dev/NAME, efivarfs; the default is the list below),
//! --timeout SECONDS, and for the installer --suite SUITE (bookworm),
//! --mirror URL (default: tests/fetch mirror), --di-kernel (the kernel is
//! d-i's own: no no-di-kernel preseeding).
//!
//! Writes OUTDIR/result.json and the console log; prints each check.
//! Exits 0 if every check passed (and, for the installer, netcfg
//! finished), 1 if not, 2 if the boot itself failed.

#[path = "../tests/boot/mod.rs"]
mod boot;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use boot::checks::{Check, Report};
use boot::{installer, target};

const INSTALLER_CHECKS: &[&str] = &[
    "disk:vda",
    "dm",
    "vfat:/dev/vda1",
    "efivarfs",
    "module:ext4",
];
const TARGET_CHECKS: &[&str] = &["dm", "vfat:/dev/vda1", "efivarfs"];

struct Args {
    positional: Vec<String>,
    checks: Vec<Check>,
    timeout: Duration,
    suite: String,
    mirror: Option<String>,
    di_kernel: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        positional: Vec::new(),
        checks: Vec::new(),
        timeout: Duration::from_secs(1800),
        suite: "bookworm".into(),
        mirror: None,
        di_kernel: false,
    };
    while let Some(s) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match s.as_str() {
            "--check" => a.checks.push(Check::parse(&value("--check")?)?),
            "--timeout" => {
                let v = value("--timeout")?;
                let secs = v
                    .parse()
                    .map_err(|_| format!("--timeout {v}: not seconds"))?;
                a.timeout = Duration::from_secs(secs);
            }
            "--suite" => a.suite = value("--suite")?,
            "--mirror" => a.mirror = Some(value("--mirror")?),
            "--di-kernel" => a.di_kernel = true,
            "-h" | "--help" => return Err(String::new()),
            o if o.starts_with("--") => return Err(format!("unknown option {o}")),
            _ => a.positional.push(s),
        }
    }
    Ok(a)
}

fn defaults(given: Vec<Check>, default: &[&str]) -> Vec<Check> {
    if !given.is_empty() {
        return given;
    }
    default
        .iter()
        .map(|c| Check::parse(c).expect("valid"))
        .collect()
}

fn mirror() -> Result<String, String> {
    let fetch = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fetch");
    let out = std::process::Command::new(fetch)
        .arg("mirror")
        .output()
        .map_err(|e| format!("{fetch}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn print_report(r: &Report) {
    println!("kernel {}", r.kernel_release);
    for (name, o) in &r.checks {
        let v = if o.ok { "ok" } else { "FAILED" };
        println!("check {name} {v} {}", o.detail);
    }
    println!("loaded {}", r.loaded.join(" "));
}

fn write_result(out: &Path, v: &impl serde::Serialize) -> Result<(), String> {
    let p = out.join("result.json");
    let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    std::fs::write(&p, text + "\n").map_err(|e| format!("{}: {e}", p.display()))
}

fn installer(a: Args) -> Result<bool, String> {
    let [arch, kernel, initrd, out] = &a.positional[..] else {
        return Err("installer ARCH KERNEL INITRD OUTDIR".into());
    };
    let out = PathBuf::from(out);
    let checks = defaults(a.checks, INSTALLER_CHECKS);
    let b = installer::InstallerBoot {
        arch,
        kernel: Path::new(kernel),
        initrd: Path::new(initrd),
        preseed: installer::Preseed {
            suite: a.suite,
            mirror: match a.mirror {
                Some(m) => m,
                None => mirror()?,
            },
            no_di_kernel: !a.di_kernel,
            extra: String::new(),
        },
        checks: &checks,
        out: &out,
        timeout: a.timeout,
    };
    let r = installer::boot(&b)?;
    println!("accelerator {}", r.accel);
    println!("steps {}", r.steps.join(" "));
    println!(
        "netcfg {} address {} route {}",
        if r.netcfg_done { "done" } else { "NOT DONE" },
        r.address,
        r.route
    );
    print_report(&r.report);
    println!("console {}", r.console_log.display());
    println!("syslog {}", r.syslog.display());
    write_result(&out, &r)?;
    Ok(r.netcfg_done && r.report.all_ok())
}

fn target(a: Args) -> Result<bool, String> {
    let [arch, root, release, out] = &a.positional[..] else {
        return Err("target ARCH ROOT RELEASE OUTDIR".into());
    };
    let out = PathBuf::from(out);
    let checks = defaults(a.checks, TARGET_CHECKS);
    let t = target::TargetBoot {
        arch,
        root: Path::new(root),
        release,
        checks: &checks,
        out: &out,
        timeout: a.timeout,
    };
    let r = target::boot(&t)?;
    println!("accelerator {}", r.accel);
    print_report(&r.report);
    println!("console {}", r.console_log.display());
    println!("disk {}", r.disk.display());
    write_result(&out, &r)?;
    Ok(r.report.kernel_release == *release && r.report.all_ok())
}

fn main() -> ExitCode {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().unwrap_or_default();
    let result = parse_args(it).and_then(|a| match cmd.as_str() {
        "installer" => installer(a),
        "target" => target(a),
        _ => Err(String::new()),
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if e.is_empty() => {
            eprintln!("usage: qemu-check installer ARCH KERNEL INITRD OUTDIR [options]");
            eprintln!("       qemu-check target ARCH ROOT RELEASE OUTDIR [options]");
            eprintln!(
                "options: --check CHECK --timeout SECONDS --suite SUITE --mirror URL --di-kernel"
            );
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("qemu-check {cmd}: {e}");
            ExitCode::from(2)
        }
    }
}
