// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Disk images made without loop devices or device-mapper (the build
//! machine's kernel may have neither): `sfdisk` writes a GPT into a
//! sparse file, `mkfs.vfat --offset` and `mke2fs -E offset=` make the
//! filesystems in place, `mcopy -i FILE@@OFFSET` writes into the vfat.
//!
//! The layout is what d-i makes for a UEFI install: partition 1 an EFI
//! system partition (vfat, holding [`VFAT_MARKER`]), partition 2 the root
//! filesystem (ext4, filled from a directory, or left unformatted for the
//! installer to use).

use std::path::Path;
use std::process::{Command, Stdio};

use super::checks::VFAT_MARKER;

/// The size of the EFI system partition: FAT32 needs 65525 clusters
/// (mtools refuses fewer), so 64 MiB with one sector per cluster.
pub const ESP_MIB: u64 = 64;

/// Where the partitions are, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The ESP's offset and size.
    pub esp: (u64, u64),
    /// The root partition's offset and size.
    pub root: (u64, u64),
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Result<String, String> {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: {e}"))?;
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(text.as_bytes())
            .map_err(|e| format!("{what}: writing its input: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Writes `path`: a `size_mib` GPT disk, the ESP formatted and holding
/// the marker, the root partition ext4 from `root` (owners, modes and
/// device nodes kept: run as root) or, without `root`, unformatted.
pub fn make(path: &Path, size_mib: u64, root: Option<&Path>) -> Result<Layout, String> {
    let _ = std::fs::remove_file(path);
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.set_len(size_mib << 20)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    drop(f);
    // Types: EFI system partition, Linux filesystem.
    let table = format!(
        "label: gpt\nunit: sectors\n\
         start=2048, size={}, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp\n\
         type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n",
        ESP_MIB * 2048
    );
    run(
        Command::new("sfdisk")
            .args(["--quiet", "--no-reread", "--no-tell-kernel"])
            .arg(path),
        Some(&table),
    )?;
    let layout = read_layout(path)?;
    let (eo, es) = layout.esp;
    run(
        Command::new("mkfs.vfat")
            .args(["-F", "32", "-s", "1", "-n", "ESP"])
            .arg(format!("--offset={}", eo / 512))
            .arg(path)
            .arg((es / 1024).to_string()),
        None,
    )?;
    let marker = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    std::fs::write(marker.path(), VFAT_MARKER.1).map_err(|e| e.to_string())?;
    run(
        Command::new("mcopy")
            .arg("-i")
            .arg(format!("{}@@{eo}", path.display()))
            .arg(marker.path())
            .arg(format!("::{}", VFAT_MARKER.0)),
        None,
    )?;
    if let Some(dir) = root {
        let (ro, rs) = layout.root;
        run(
            Command::new("mke2fs")
                .args(["-q", "-F", "-t", "ext4", "-L", "root"])
                .arg("-E")
                .arg(format!("offset={ro}"))
                .arg("-d")
                .arg(dir)
                .arg(path)
                .arg(format!("{}k", rs / 1024)),
            None,
        )?;
    }
    Ok(layout)
}

/// The partitions `sfdisk` made, read back from its JSON dump.
fn read_layout(path: &Path) -> Result<Layout, String> {
    let json = run(Command::new("sfdisk").arg("--json").arg(path), None)?;
    let v: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("sfdisk --json: {e}"))?;
    let parts = v["partitiontable"]["partitions"]
        .as_array()
        .filter(|p| p.len() == 2)
        .ok_or_else(|| {
            format!(
                "sfdisk --json {}: not two partitions: {json}",
                path.display()
            )
        })?;
    let span = |p: &serde_json::Value| {
        let start = p["start"].as_u64().unwrap_or(0) * 512;
        let size = p["size"].as_u64().unwrap_or(0) * 512;
        (start, size)
    };
    Ok(Layout {
        esp: span(&parts[0]),
        root: span(&parts[1]),
    })
}
