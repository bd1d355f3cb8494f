// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Boot check of bookworm armhf: Debian's armmp kernel, the installer's
//! initrd and the classic modules subset, under `qemu-system-arm -M virt`.

mod boot;

use std::time::Duration;

use osstest_core::format::initrd::Segment;

use boot::Outcome;

/// The harness works for armhf too: the armmp kernel boots with the
/// appended segments and runs the check; ext4 loads from the classic
/// subset.
#[test]
#[ignore = "needs Debian's archive and QEMU: run tests/run"]
fn armmp_kernel_boots_with_appended_modules() {
    let deb = boot::fetch(&["kernel", "bookworm", "armhf", "armmp"]);
    let di = boot::fetch(&["di", "bookworm", "armhf"]);
    let k = boot::unpack_kernel(&deb);
    let tree = boot::classic_subset(&k.modules, &k.release);
    let result = boot::boot_check(
        "armhf",
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
}
