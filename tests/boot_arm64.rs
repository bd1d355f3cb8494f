// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Boot checks of bookworm arm64: Debian's kernel, the installer's initrd
//! and an appended modules segment, under QEMU.

mod boot;

use std::time::Duration;

use osstest_core::format::initrd::Segment;

use boot::Outcome;

/// The negative check: the classic path-only subset leaves `dm_mod`
/// without its dependencies (`dax` is outside it), so LVM is unusable in
/// the installer, while ext4 loads.
#[test]
#[ignore = "needs Debian's archive and QEMU: run tests/run"]
fn classic_path_subset_leaves_dm_mod_unloadable() {
    let deb = boot::fetch(&["kernel", "bookworm", "arm64", "arm64"]);
    let di = boot::fetch(&["di", "bookworm", "arm64"]);
    let k = boot::unpack_kernel(&deb);
    let tree = boot::classic_subset(&k.modules, &k.release);
    assert!(
        tree.len() > 500,
        "the subset has {} modules and files",
        tree.len()
    );
    assert!(tree
        .names()
        .iter()
        .any(|n| n.ends_with("/drivers/md/dm-mod.ko")));
    assert!(!tree
        .names()
        .iter()
        .any(|n| n.ends_with("/drivers/dax/dax.ko")));

    let result = boot::boot_check(
        "arm64",
        &k.image,
        &di.join("initrd.gz"),
        vec![Segment::Tree(tree)],
        boot::INSTALLER_MODULES,
        Duration::from_secs(900),
        true,
    );
    eprintln!("{:#?}", result.modules);
    assert_eq!(
        result.kernel_release, k.release,
        "booted the kernel the modules are for"
    );
    assert_eq!(result.depmod, Outcome::Loaded);
    assert_eq!(result.modules["ext4"], Outcome::Loaded);
    // drivers/block is outside the classic list too.
    match &result.modules["virtio_blk"] {
        Outcome::Failed(msg) => assert!(msg.contains("not found"), "virtio_blk: {msg}"),
        other => panic!("virtio_blk {other:?}, but drivers/block is not in the subset"),
    }
    match &result.modules["dm_mod"] {
        Outcome::Failed(msg) => assert!(msg.contains("Unknown symbol"), "dm_mod: {msg}"),
        other => {
            panic!("dm_mod {other:?} from the path-only subset; the negative check no longer holds")
        }
    }
}
