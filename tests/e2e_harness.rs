// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The end-to-end chain's harness without QEMU: what it writes for the
//! installer and the target, checked with `sh -n` and by reading, and
//! the report parser on console text. Each test here stands for
//! something a boot under QEMU showed once.
//!
//! The chain itself is `tests/e2e ARCH`; its entries in the test suite
//! are the ignored tests at the end.

mod boot;

use boot::checks::{self, Check};
use boot::installer::{self, Preseed};
use boot::target;

fn sh_parses(script: &str) {
    let out = std::process::Command::new("sh")
        .args(["-n", "-c", script])
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "sh -n: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn all_checks() -> Vec<Check> {
    [
        "disk:vda",
        "dm",
        "vfat:/dev/vda1",
        "efivarfs",
        "module:ext4",
        "fs:ext4",
    ]
    .iter()
    .map(|c| Check::parse(c).unwrap())
    .collect()
}

fn preseed(no_di_kernel: bool) -> String {
    installer::preseed(&Preseed {
        suite: "bookworm".into(),
        mirror: "http://mirror.example/debian/".into(),
        no_di_kernel,
        extra: String::new(),
    })
    .unwrap()
}

#[test]
fn check_names_round_trip_and_refuse_what_is_not_a_name() {
    for s in [
        "disk:vda",
        "module:dm_mod",
        "fs:ext4",
        "dm",
        "vfat:/dev/vda1",
        "efivarfs",
    ] {
        assert_eq!(Check::parse(s).unwrap().name(), s);
    }
    for s in [
        "disk:",
        "module:a b",
        "vfat:vda1",
        "dm:x",
        "module:$(reboot)",
        "fs:",
        "fs:a/b",
        "disk:../x",
        "nope",
    ] {
        assert!(Check::parse(s).is_err(), "{s}");
    }
}

#[test]
fn scripts_parse() {
    let c = all_checks();
    sh_parses(&checks::script(&c));
    sh_parses(&installer::watcher(&c, 600));
    sh_parses(&target::check_script(&c));
}

/// The first boot of the real installer hung right after
/// `preseed/early_command`: a background job that keeps debconf's file
/// descriptor 3 open makes d-i wait for it. The watcher must let go of
/// every descriptor d-i gave the command.
#[test]
fn early_command_lets_go_of_debconf() {
    let p = preseed(true);
    let line = p
        .lines()
        .find(|l| l.starts_with("d-i preseed/early_command string "))
        .expect("an early_command");
    for redirect in ["</dev/null", ">/dev/console", "2>&1", "3>&-"] {
        assert!(line.contains(redirect), "{line} lacks {redirect}");
    }
    assert!(
        line.trim_end().ends_with('&'),
        "{line} is not in the background"
    );
}

/// osstest's preseed_create, for a host whose installer kernel is not
/// d-i's own (`no-di-kernel`).
#[test]
fn no_di_kernel_preseeding() {
    let p = preseed(true);
    for l in [
        "d-i anna/no_kernel_modules boolean true",
        "d-i base-installer/kernel/skip-install boolean true",
        "d-i mirror/http/hostname string mirror.example",
        "d-i mirror/http/directory string /debian",
        "d-i mirror/suite string bookworm",
    ] {
        assert!(p.lines().any(|x| x == l), "preseed lacks {l:?}:\n{p}");
    }
    assert!(!preseed(false).contains("anna/no_kernel_modules"));
    let e = installer::preseed(&Preseed {
        suite: "bookworm".into(),
        mirror: "ftp://x/debian".into(),
        no_di_kernel: true,
        extra: String::new(),
    })
    .unwrap_err();
    assert!(e.contains("ftp://x/debian"), "{e}");
}

/// A console where the report is interleaved with d-i's screen output
/// and repeated, as the serial line shows it.
#[test]
fn report_from_a_noisy_console() {
    let c = all_checks();
    let console = "\
[    1.0] Linux version 6.1.0-osstest
Detecting network hardware ... 95%OSSTEST-CHECK kernel 6.1.0-osstest
OSSTEST-CHECK netcfg done after 42s
OSSTEST-CHECK check disk:vda ok
OSSTEST-CHECK check disk:vda ok
OSSTEST-CHECK check dm ok
OSSTEST-CHECK check vfat:/dev/vda1 failed mount: mounting /dev/vda1 on /tmp/osstest-vfat failed: Invalid argument
OSSTEST-CHECK check efivarfs ok 23 variables
OSSTEST-CHECK check module:ext4 ok
OSSTEST-CHECK check fs:ext4 ok module
OSSTEST-CHECK lsmod dm_mod ext4 virtio_blk
OSSTEST-CHECK done
";
    let r = checks::parse(console, &c).unwrap();
    assert_eq!(r.kernel_release, "6.1.0-osstest");
    assert!(!r.all_ok());
    assert!(r.checks["vfat:/dev/vda1"]
        .detail
        .contains("Invalid argument"));
    assert_eq!(r.checks["efivarfs"].detail, "23 variables");
    assert_eq!(r.loaded, ["dm_mod", "ext4", "virtio_blk"]);
    assert_eq!(r.lines.iter().filter(|l| l.contains("disk:vda")).count(), 1);
    let cut = console.replace("OSSTEST-CHECK done\n", "");
    let e = checks::parse(&cut, &c).unwrap_err();
    assert!(e.contains("done: false"), "{e}");
    let cut = console.replace("OSSTEST-CHECK check dm ok\n", "");
    let e = checks::parse(&cut, &c).unwrap_err();
    assert!(e.contains("\"dm\""), "{e}");
}

/// The first ESP the harness made was a FAT32 of 64 MiB with mkfs.vfat's
/// default 8 sectors per cluster: too few clusters for FAT32, and mcopy
/// refused it ("Error reading FAT"). The disk is made without root, loop
/// devices or QEMU, so its layout is checked here with the same tools.
#[test]
fn disk_image_has_an_esp_with_the_marker_and_a_root_partition() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("disk.img");
    let layout = boot::disk::make(&img, 256, None).unwrap();
    assert_eq!(layout.esp, (1 << 20, boot::disk::ESP_MIB << 20));
    assert_eq!(layout.root.0, layout.esp.0 + layout.esp.1);
    assert!(layout.root.0 + layout.root.1 <= 256 << 20);
    let out = std::process::Command::new("mtype")
        .arg("-i")
        .arg(format!("{}@@{}", img.display(), layout.esp.0))
        .arg(format!("::{}", checks::VFAT_MARKER.0))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), checks::VFAT_MARKER.1);
    // A root filesystem from a directory, in place.
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hostname"), "osstest\n").unwrap();
    let layout = boot::disk::make(&img, 256, Some(&root)).unwrap();
    let out = std::process::Command::new("dumpe2fs")
        .arg("-h")
        .arg(format!("{}?offset={}", img.display(), layout.root.0))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Filesystem volume name:   root"), "{text}");
}

/// In the real installer the vfat check first failed with "Device or
/// resource busy": d-i had mounted the ESP read-write on /media itself
/// (looking for driver disks), and a second, read-only mount of it is
/// refused. The check uses a mount that exists.
#[test]
fn vfat_check_uses_an_existing_mount() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    std::fs::write(media.join(checks::VFAT_MARKER.0), checks::VFAT_MARKER.1).unwrap();
    let mounts = dir.path().join("mounts");
    std::fs::write(
        &mounts,
        format!(
            "/dev/vda1 {} vfat rw,codepage=437,iocharset=ascii 0 0\n",
            media.display()
        ),
    )
    .unwrap();
    let c = [Check::parse("vfat:/dev/vda1").unwrap()];
    let out = std::process::Command::new("sh")
        .args(["-c", &checks::script(&c)])
        .env("OSSTEST_MOUNTS", &mounts)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let r = checks::parse(&text, &c).unwrap();
    let o = &r.checks["vfat:/dev/vda1"];
    assert!(o.ok, "{text}");
    assert_eq!(o.detail, format!("already mounted on {}", media.display()));
    std::fs::remove_file(media.join(checks::VFAT_MARKER.0)).unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", &checks::script(&c)])
        .env("OSSTEST_MOUNTS", &mounts)
        .output()
        .unwrap();
    let r = checks::parse(&String::from_utf8_lossy(&out.stdout), &c).unwrap();
    assert!(!r.checks["vfat:/dev/vda1"].ok, "no marker, yet ok");
}

/// armhf's kernel has ext4 built in (the flight's `kconfig_override_y`),
/// so the installer check `module:ext4` failed although partman had its
/// file system: `fs:NAME` asks what the installer needs, module or not.
/// Here on this machine's kernel: `proc` is always built in, and no
/// kernel has a file system by this test's made-up name.
#[test]
fn fs_check_takes_a_built_in_file_system_and_names_a_missing_one() {
    let c = [
        Check::parse("fs:proc").unwrap(),
        Check::parse("fs:osstestnofs").unwrap(),
    ];
    let out = std::process::Command::new("sh")
        .args(["-c", &checks::script(&c)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let r = checks::parse(&text, &c).unwrap();
    let proc = &r.checks["fs:proc"];
    assert!(proc.ok, "{text}");
    assert_eq!(proc.detail, "built in");
    let missing = &r.checks["fs:osstestnofs"];
    assert!(!missing.ok, "{text}");
    assert!(
        missing.detail.starts_with("not in /proc/filesystems"),
        "{text}"
    );
}

fn e2e(arch: &str) {
    let top = env!("CARGO_MANIFEST_DIR");
    let st = std::process::Command::new(format!("{top}/tests/e2e"))
        .arg(arch)
        .status()
        .expect("tests/e2e");
    assert!(st.success(), "tests/e2e {arch}: {st}");
}

#[test]
#[ignore = "needs root, QEMU, debootstrap and a kernel build (tens of minutes): run tests/run"]
fn e2e_amd64() {
    e2e("amd64");
}

#[test]
#[ignore = "needs root, QEMU, debootstrap and a kernel build (tens of minutes): run tests/run"]
fn e2e_arm64() {
    e2e("arm64");
}
