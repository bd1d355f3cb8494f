// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! d-i's own module sets: the modules of the d-i initrd being appended to,
//! and the kernel-module udebs d-i fetches, whose file lists are in the
//! suite's `Contents-udeb-ARCH` index.
//!
//! The index (`dists/SUITE/main/Contents-udeb-ARCH.gz` in the archive,
//! gzipped or not) has one line per file: the path, spaces, then the
//! packages shipping it as `[AREA/]SECTION/NAME`, comma-separated. The
//! kernel-module udebs are named for their kernel ABI
//! (`scsi-modules-6.1.0-47-arm64-di`) and the index may list several ABIs;
//! a udeb is chosen here by its name without the ABI (`scsi-modules`), and
//! each of its modules by its path below `lib/modules/VERSION`, which is
//! how it is found in another kernel.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::format::compress::Decompressor;
use crate::format::initrd::FileInfo;
use crate::kernel::modules::{module_name_from_path, plain_module_path};
use crate::kernel::ModulePath;

use super::{io_err, InstallerError};

/// The kernel-module udebs d-i loads or fetches for osstest's installs
/// (network install onto a local disk, LVM, ext4, UEFI), by name without
/// the ABI:
///
/// - `kernel-image`: the modules d-i's initrd itself carries (virtio_pci,
///   virtio_mmio on arm64);
/// - `nic-modules`, `nic-shared-modules`, `nic-usb-modules`: the wired
///   network drivers hw-detect loads before netcfg;
/// - `usb-modules`, `usb-storage-modules`, `ata-modules`, `sata-modules`,
///   `scsi-core-modules`, `scsi-modules` (which holds virtio_blk and
///   NVMe), `mmc-core-modules`, `mmc-modules`: the disks hw-detect and
///   disk-detect probe;
/// - `md-modules` (dm-mod, md), `crc-modules`, `crypto-modules`: what
///   partman-lvm and partman-md need;
/// - `ext4-modules`: the target's root file system;
/// - `fat-modules`, `efi-modules`: the EFI system partition (vfat and
///   its code pages) and efivarfs, for partman-efi and grub-installer;
/// - `i2c-modules`: the I2C buses some boards' PHYs and regulators sit
///   on, as the classic list's `drivers/i2c/busses`.
///
/// Left out: wireless, PPP, sound, speakup, input, framebuffer, the file
/// systems osstest does not install onto (btrfs, xfs, jfs, f2fs), CD-ROM
/// and the other media d-i is not booted from here. A udeb the index does
/// not have for the architecture (`mmc-core-modules` is amd64's only) is
/// skipped; [`read_contents`] refuses an index with none of them.
pub const DEFAULT_UDEBS: &[&str] = &[
    "kernel-image",
    "nic-modules",
    "nic-shared-modules",
    "nic-usb-modules",
    "usb-modules",
    "usb-storage-modules",
    "ata-modules",
    "sata-modules",
    "scsi-core-modules",
    "scsi-modules",
    "mmc-core-modules",
    "mmc-modules",
    "md-modules",
    "crc-modules",
    "crypto-modules",
    "ext4-modules",
    "fat-modules",
    "efi-modules",
    "i2c-modules",
];

/// The most bytes of an index read (bookworm's arm64 index is 0.7 MB).
const CONTENTS_LIMIT: u64 = 64 << 20;

/// A udeb's name without its kernel ABI and `-di` suffix:
/// `scsi-modules` for `scsi-modules-6.1.0-47-arm64-di`; `None` for a udeb
/// not named for a kernel.
pub fn udeb_base_name(udeb: &str) -> Option<&str> {
    let stem = udeb.strip_suffix("-di")?;
    let at = stem
        .match_indices('-')
        .find(|(i, _)| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))?
        .0;
    (at > 0).then(|| &stem[..at])
}

/// The module path below `lib/modules/VERSION` (compression suffix
/// removed) of an index's file path, if it is a module.
fn module_rel(path: &str) -> Option<&str> {
    plain_module_path(ModulePath::parse(path)?.rest)
}

/// Reads the index at `path` and returns, for the udebs named in `wanted`
/// (without their ABI), each module's path below `lib/modules/VERSION`
/// (`kernel/drivers/block/virtio_blk.ko`) with the udeb shipping it.
/// Fails if the index has no module of any wanted udeb, or a wanted udeb
/// is not a name the index could have (a misspelt name is an error, not
/// an empty set).
pub fn read_contents(
    path: &Path,
    wanted: &[String],
) -> Result<BTreeMap<String, String>, InstallerError> {
    let file = File::open(path).map_err(io_err(path, "opening the Contents-udeb index"))?;
    let (_, reader) = Decompressor::detect(file).map_err(io_err(path, "reading"))?;
    let mut text = String::new();
    reader
        .take(CONTENTS_LIMIT + 1)
        .read_to_string(&mut text)
        .map_err(io_err(path, "reading the Contents-udeb index"))?;
    if text.len() as u64 > CONTENTS_LIMIT {
        return Err(InstallerError::Option(format!(
            "{}: a Contents-udeb index over {CONTENTS_LIMIT} bytes",
            path.display()
        )));
    }
    let mut found = BTreeMap::new();
    let mut kernel_udebs = std::collections::BTreeSet::new();
    for line in text.lines() {
        let Some((file, locations)) = line.rsplit_once(|c: char| c.is_ascii_whitespace()) else {
            continue;
        };
        let Some(rel) = module_rel(file.trim_end()) else {
            continue;
        };
        for location in locations.split(',') {
            let package = location.rsplit('/').next().unwrap_or(location);
            let Some(base) = udeb_base_name(package) else {
                continue;
            };
            kernel_udebs.insert(base.to_owned());
            if wanted.iter().any(|w| w == base) {
                found
                    .entry(rel.to_owned())
                    .or_insert_with(|| base.to_owned());
            }
        }
    }
    let bad = |problem: String| InstallerError::Option(format!("{}: {problem}", path.display()));
    if kernel_udebs.is_empty() {
        return Err(bad(
            "no kernel-module udebs in this index (is it a Contents-udeb index?)".into(),
        ));
    }
    if found.is_empty() {
        return Err(bad(format!(
            "none of the udebs {} in this index; it has {}",
            wanted.join(" "),
            kernel_udebs.into_iter().collect::<Vec<_>>().join(" ")
        )));
    }
    Ok(found)
}

/// The names of the modules in the d-i initrd (every
/// `lib/modules/VERSION/...ko*` it holds, whatever the version).
pub fn initrd_module_names(files: &[FileInfo]) -> Vec<String> {
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|f| ModulePath::parse(&f.name))
        .filter(|m| plain_module_path(m.rest).is_some())
        .map(|m| module_name_from_path(m.rest))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names() {
        assert_eq!(
            udeb_base_name("scsi-modules-6.1.0-47-arm64-di"),
            Some("scsi-modules")
        );
        assert_eq!(
            udeb_base_name("nic-shared-modules-6.12.57+deb13-armmp-di"),
            Some("nic-shared-modules")
        );
        assert_eq!(
            udeb_base_name("kernel-image-6.1.0-47-amd64-di"),
            Some("kernel-image")
        );
        assert_eq!(udeb_base_name("anna"), None);
        assert_eq!(udeb_base_name("cdebconf-text-udeb"), None);
        assert_eq!(udeb_base_name("-6.1-di"), None);
    }

    #[test]
    fn index_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Contents-udeb-arm64");
        std::fs::write(
            &p,
            "bin/anna          debian-installer/anna\n\
             lib/modules/6.1.0-47-arm64/kernel/drivers/block/virtio_blk.ko debian-installer/scsi-modules-6.1.0-47-arm64-di\n\
             usr/lib/modules/6.12.1-arm64/kernel/fs/fat/vfat.ko.xz  debian-installer/fat-modules-6.12.1-arm64-di\n\
             lib/modules/6.1.0-47-arm64/kernel/sound/x.ko   debian-installer/sound-modules-6.1.0-47-arm64-di\n\
             lib/modules/6.1.0-47-arm64/modules.dep   debian-installer/kernel-image-6.1.0-47-arm64-di\n",
        )
        .unwrap();
        let want: Vec<String> = DEFAULT_UDEBS.iter().map(|s| s.to_string()).collect();
        let got = read_contents(&p, &want).unwrap();
        let got: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            got,
            [
                ("kernel/drivers/block/virtio_blk.ko", "scsi-modules"),
                ("kernel/fs/fat/vfat.ko", "fat-modules")
            ]
        );
        let e = read_contents(&p, &["scsi-modulez".to_owned()])
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("none of the udebs scsi-modulez"),
            "{e}"
        );
        std::fs::write(&p, "bin/anna  debian-installer/anna\n").unwrap();
        let e = read_contents(&p, &want).err().unwrap();
        assert!(e.to_string().contains("no kernel-module udebs"), "{e}");
    }
}
