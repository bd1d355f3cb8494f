// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Prints the facts osstest-core knows about Debian architectures.
//!
//! Usage: `cargo run --example arch-info [ARCH...]` (all of them by default).

use osstest_core::build::arch::{Arch, ARCHES};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("usage: arch-info [DEBIAN-ARCH...]\nprints each architecture's triplet, kernel ARCH, XEN_TARGET_ARCH and ELF identity");
        return;
    }
    let arches: Vec<&Arch> = if args.is_empty() {
        ARCHES.iter().collect()
    } else {
        match args.iter().map(|a| Arch::by_debian(a)).collect() {
            Ok(v) => v,
            Err(e) => {
                eprintln!("arch-info: {e}");
                std::process::exit(2);
            }
        }
    };
    let header = [
        "debian",
        "gnu_triplet",
        "ARCH",
        "XEN",
        "ELF",
        "bits",
        "endian",
    ];
    println!(
        "{:<9} {:<24} {:<10} {:<8} {:<13} {:>4} {}",
        header[0], header[1], header[2], header[3], header[4], header[5], header[6]
    );
    for a in arches {
        println!(
            "{:<9} {:<24} {:<10} {:<8} {:<13} {:>4} {}",
            a.debian,
            a.gnu_triplet,
            a.kernel_arch,
            a.xen_target_arch.unwrap_or("-"),
            a.elf_machine,
            a.bits,
            a.endian.as_str()
        );
    }
}
