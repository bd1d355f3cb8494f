// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Reads a kernel (a `.deb`, a kerndist tarball or a tree) and prints what
//! it holds as JSON; with a destination, extracts everything under it.
//!
//!     cargo run --release --example unpick -- SOURCE [DESTDIR]

use osstest_core::kernel::{KernelSource, Selection};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (source, dest) = match args.as_slice() {
        [s] => (s, None),
        [s, d] => (s, Some(d)),
        _ => {
            eprintln!("usage: unpick SOURCE [DESTDIR]");
            std::process::exit(2);
        }
    };
    let run = || -> Result<_, osstest_core::kernel::KernelError> {
        let k = KernelSource::open(source)?;
        match dest {
            None => k.info(),
            Some(d) => k.unpick(d.as_ref(), &Selection::everything()),
        }
    };
    match run() {
        Ok(info) => println!(
            "{}",
            serde_json::to_string_pretty(&info).expect("serialisable")
        ),
        Err(e) => {
            eprintln!("unpick: {e}");
            std::process::exit(1);
        }
    }
}
