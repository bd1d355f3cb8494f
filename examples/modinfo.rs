// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Prints what osstest-core reads from kernel modules, one `KEY: VALUE` line
//! per fact, in the spirit of kmod's `modinfo`.
//!
//! Usage: `cargo run --example modinfo FILE.ko...` (plain, decompressed).

use osstest_core::kernel::modinfo::ModuleInfo;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|a| a == "--help" || a == "-h") {
        println!("usage: modinfo FILE.ko...\nprints each module's .modinfo, ELF identity and symbol counts");
        return;
    }
    let mut failed = false;
    for file in &files {
        let info = match std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| ModuleInfo::parse(&bytes).map_err(|e| e.to_string()))
        {
            Ok(info) => info,
            Err(e) => {
                eprintln!("modinfo: {file}: {e}");
                failed = true;
                continue;
            }
        };
        println!("filename: {file}");
        for (key, value) in &info.fields {
            println!("{key}: {value}");
        }
        println!(
            "elf: machine {} class {} {}",
            info.machine,
            info.bits,
            info.endian.as_str()
        );
        println!("exports: {}", info.exports.len());
        println!("undefined: {}", info.undefined.len());
    }
    if failed {
        std::process::exit(1);
    }
}
