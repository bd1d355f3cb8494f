// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The installer's modules segment alone (what `di-kernel` appends to the
//! d-i initrd), for scripts and the benchmark.
//!
//! ```text
//! installer-modules SOURCE OUT [--include PATTERN]... [--level N]
//! ```

use std::path::PathBuf;
use std::process::exit;

use osstest_core::installer::{installer_modules, Options};

fn main() {
    let mut opts = Options::default();
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => {
                println!(
                    "usage: installer-modules SOURCE OUT [--include PATTERN]... [--level N]\n\
                     writes the installer's dependency-closed modules segment of SOURCE\n\
                     (a linux-image .deb, kerndist tarball or tree) to OUT"
                );
                return;
            }
            "--include" => opts.include.extend(args.next()),
            "--level" => opts.level = args.next().and_then(|l| l.parse().ok()),
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [source, out] = &positional[..] else {
        eprintln!("installer-modules: give SOURCE and OUT (see --help)");
        exit(2)
    };
    match installer_modules(source, out, &opts) {
        Ok(r) => println!(
            "{}: {} modules ({} added as dependencies), {} bytes of cpio, {} compressed",
            out.display(),
            r.modules.included,
            r.modules.added,
            r.segment.cpio_size,
            r.segment.size
        ),
        Err(e) => {
            eprintln!("installer-modules: {e}");
            exit(1)
        }
    }
}
