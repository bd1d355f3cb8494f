// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Running QEMU for one Debian architecture: the machine, UEFI firmware,
//! the accelerator, virtio disks and a user-mode NIC, a serial console
//! captured (and logged to a file as it arrives), a time limit.
//!
//! The machines are osstest-core's architecture facts (`-M virt` for
//! arm64 and armhf, q35 for amd64). UEFI boots
//! use Debian's firmware (`ovmf`, `qemu-efi-aarch64`, `qemu-efi-arm`)
//! with `-kernel`: the firmware starts the kernel through its EFI stub, so
//! the kernel sees EFI runtime services (`efivarfs` can be mounted). The
//! firmware's variable store is a private copy per boot.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use osstest_core::build::arch::Arch;

/// How to boot one architecture under QEMU.
pub struct Machine {
    /// The QEMU binary (the architecture's `qemu_system`).
    pub qemu: &'static str,
    /// Its arguments before `-kernel`: the architecture's `-M` and
    /// `-cpu`, and the memory.
    pub args: Vec<String>,
    /// The serial console (for `console=`).
    pub console: &'static str,
    /// UEFI firmware: code (read-only) and the variable store template.
    pub firmware: (&'static str, &'static str),
}

/// The QEMU machine for a Debian architecture: the emulator, machine and
/// CPU are osstest-core's architecture facts; the console and firmware
/// are the harness's.
pub fn machine(debian_arch: &str) -> Machine {
    let arch = Arch::by_debian(debian_arch).unwrap_or_else(|e| panic!("{e}"));
    let (console, firmware) = match debian_arch {
        "arm64" => (
            "ttyAMA0",
            (
                "/usr/share/AAVMF/AAVMF_CODE.fd",
                "/usr/share/AAVMF/AAVMF_VARS.fd",
            ),
        ),
        "armhf" => (
            "ttyAMA0",
            (
                "/usr/share/AAVMF/AAVMF32_CODE.fd",
                "/usr/share/AAVMF/AAVMF32_VARS.fd",
            ),
        ),
        "amd64" => (
            "ttyS0",
            (
                "/usr/share/OVMF/OVMF_CODE_4M.fd",
                "/usr/share/OVMF/OVMF_VARS_4M.fd",
            ),
        ),
        other => panic!("no QEMU machine for {other}"),
    };
    let mut args = vec!["-M".to_owned(), arch.qemu_machine.to_owned()];
    if let Some(cpu) = arch.qemu_cpu {
        args.extend(["-cpu".to_owned(), cpu.to_owned()]);
    }
    args.extend(["-m".to_owned(), "1536".to_owned()]);
    Machine {
        qemu: arch.qemu_system,
        args,
        console,
        firmware,
    }
}

/// The accelerator a boot runs under, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accel {
    /// KVM: the guest is the host's architecture and KVM works.
    Kvm,
    /// Emulation, with the reason KVM is not used.
    Tcg(String),
}

impl std::fmt::Display for Accel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Accel::Kvm => write!(f, "KVM"),
            Accel::Tcg(why) => write!(f, "TCG ({why})"),
        }
    }
}

/// The accelerator for `debian_arch`: KVM for amd64 where `/dev/kvm`
/// opens and a probe boot of `kernel` under it reaches the kernel's own
/// console output (on some nested hosts `/dev/kvm` opens but every guest
/// stops at its first instructions); else TCG. Probed once per process.
pub fn accel(debian_arch: &str, kernel: &Path) -> Accel {
    static KVM: OnceLock<Accel> = OnceLock::new();
    if debian_arch != "amd64" || std::env::consts::ARCH != "x86_64" {
        return Accel::Tcg(format!("an {debian_arch} guest on an x86_64 host"));
    }
    KVM.get_or_init(|| {
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
        {
            return Accel::Tcg(format!("/dev/kvm: {e}"));
        }
        probe_kvm(kernel)
    })
    .clone()
}

/// Boots `kernel` under KVM with no initrd and `panic=-1`: a working KVM
/// prints the kernel's banner and panics (no root) within seconds.
fn probe_kvm(kernel: &Path) -> Accel {
    let boot = Boot {
        kernel: kernel.to_owned(),
        append: "console=ttyS0 panic=-1 rdinit=/osstest-no-such-init".into(),
        timeout: Duration::from_secs(30),
        ..Boot::new("amd64", kernel)
    };
    match run_with(&boot, &Accel::Kvm) {
        Ok(out) if out.contains("Linux version") => Accel::Kvm,
        Ok(out) => Accel::Tcg(format!(
            "/dev/kvm opens but a probe boot under KVM printed no kernel banner: {}",
            last_line(&out)
        )),
        Err(e) => Accel::Tcg(format!(
            "/dev/kvm opens but a probe boot under KVM failed: {}",
            e.lines().next().unwrap_or("")
        )),
    }
}

fn last_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(nothing)")
        .trim()
        .to_owned()
}

/// One QEMU run.
pub struct Boot {
    /// The Debian architecture.
    pub arch: String,
    /// `-kernel`.
    pub kernel: PathBuf,
    /// `-initrd`, if any.
    pub initrd: Option<PathBuf>,
    /// The kernel command line (`console=` is not added).
    pub append: String,
    /// Boot through the architecture's UEFI firmware.
    pub uefi: bool,
    /// Raw disk images, as virtio disks (vda, vdb, ...).
    pub disks: Vec<PathBuf>,
    /// A virtio NIC on QEMU's user-mode network (DHCP, 10.0.2.0/24).
    pub net: bool,
    /// The time limit.
    pub timeout: Duration,
    /// Where the console output is written as it arrives.
    pub log: Option<PathBuf>,
}

impl Boot {
    /// A boot of `kernel` with nothing else.
    pub fn new(arch: &str, kernel: &Path) -> Boot {
        Boot {
            arch: arch.to_owned(),
            kernel: kernel.to_owned(),
            initrd: None,
            append: String::new(),
            uefi: false,
            disks: Vec::new(),
            net: false,
            timeout: Duration::from_secs(900),
            log: None,
        }
    }
}

/// Runs the boot under the architecture's accelerator ([`accel`]);
/// the console output once QEMU exits (the guest powered off: QEMU runs
/// with `-no-reboot`). An error (with the console's tail) if QEMU fails
/// or the time limit passes.
pub fn run(boot: &Boot) -> Result<String, String> {
    run_with(boot, &accel(&boot.arch, &boot.kernel))
}

/// The QEMU arguments for `boot` under `accel`; `vars` is the firmware
/// variable store's private copy.
fn args(boot: &Boot, accel: &Accel, vars: &Path) -> Vec<String> {
    let m = machine(&boot.arch);
    let mut a = m.args.clone();
    if *accel == Accel::Kvm {
        a.push("-enable-kvm".into());
    }
    a.extend(["-nographic", "-no-reboot"].map(String::from));
    if boot.uefi {
        a.push("-drive".into());
        a.push(format!(
            "if=pflash,format=raw,readonly=on,file={}",
            m.firmware.0
        ));
        a.push("-drive".into());
        a.push(format!("if=pflash,format=raw,file={}", vars.display()));
    }
    for (i, d) in boot.disks.iter().enumerate() {
        a.push("-drive".into());
        a.push(format!(
            "file={},format=raw,if=none,id=disk{i},cache=unsafe",
            d.display()
        ));
        a.push("-device".into());
        a.push(format!("virtio-blk-pci,drive=disk{i}"));
    }
    if boot.net {
        a.extend(
            [
                "-netdev",
                "user,id=net0",
                "-device",
                "virtio-net-pci,netdev=net0",
            ]
            .map(String::from),
        );
    }
    a.push("-kernel".into());
    a.push(boot.kernel.display().to_string());
    if let Some(i) = &boot.initrd {
        a.push("-initrd".into());
        a.push(i.display().to_string());
    }
    a.push("-append".into());
    a.push(boot.append.clone());
    a
}

fn run_with(boot: &Boot, accel: &Accel) -> Result<String, String> {
    let m = machine(&boot.arch);
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let vars = dir.path().join("efivars.fd");
    if boot.uefi {
        std::fs::copy(m.firmware.1, &vars)
            .map_err(|e| format!("{} (UEFI firmware variables): {e}", m.firmware.1))?;
    }
    let mut log = match &boot.log {
        Some(p) => Some(File::create(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => None,
    };
    let mut child = Command::new(m.qemu)
        .args(args(boot, accel, &vars))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", m.qemu))?;
    let mut stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let start = Instant::now();
    let status = loop {
        while let Ok(chunk) = rx.try_recv() {
            if let Some(f) = log.as_mut() {
                let _ = f.write_all(&chunk);
            }
            out.extend_from_slice(&chunk);
        }
        if let Some(s) = child.try_wait().map_err(|e| format!("{}: {e}", m.qemu))? {
            break Some(s);
        }
        if start.elapsed() > boot.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = reader.join();
    for chunk in rx.try_iter() {
        if let Some(f) = log.as_mut() {
            let _ = f.write_all(&chunk);
        }
        out.extend_from_slice(&chunk);
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let out = String::from_utf8_lossy(&out).replace('\r', "");
    match status {
        None => Err(format!(
            "{} ({accel}) timed out after {:?}; console:\n{}",
            m.qemu,
            boot.timeout,
            tail(&out)
        )),
        Some(s) if !s.success() => Err(format!(
            "{} ({accel}) failed ({s}): {err}\nconsole:\n{}",
            m.qemu,
            tail(&out)
        )),
        _ => Ok(out),
    }
}

/// The last 60 lines of `s`.
pub fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}
