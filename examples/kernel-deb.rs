// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Writes a `linux-image` package from a kernel tree.
//!
//!     cargo run --release --example kernel-deb -- TREE OUTDIR ARCH SUITE [XZ_LEVEL]
//!
//! The timestamp is `$SOURCE_DATE_EPOCH` (0 if unset); xz uses
//! `$XZ_THREADS` threads (default 2).

use std::path::Path;

use osstest_core::format::source_date_epoch;
use osstest_core::kernel::package::{write_kernel_deb, KernelDebOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 || args.len() > 5 {
        eprintln!("usage: kernel-deb TREE OUTDIR ARCH SUITE [XZ_LEVEL]");
        std::process::exit(2);
    }
    let epoch = match source_date_epoch() {
        Ok(e) => u64::from(e.unwrap_or(0)),
        Err(e) => {
            eprintln!("kernel-deb: {e}");
            std::process::exit(2);
        }
    };
    let mut opts = KernelDebOptions::new(&args[2], &args[3], epoch);
    opts.xz_threads = std::env::var("XZ_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    if let Some(l) = args.get(4) {
        opts.xz_level = l.parse().expect("XZ_LEVEL is a number");
    }
    match write_kernel_deb(Path::new(&args[0]), Path::new(&args[1]), &opts) {
        Ok(deb) => {
            println!("{}", deb.path.display());
            for (k, v) in &deb.control {
                eprintln!("{k}: {v}");
            }
            eprintln!("{} files; left out: {}", deb.files, deb.skipped.join(" "));
        }
        Err(e) => {
            eprintln!("kernel-deb: {e}");
            std::process::exit(1);
        }
    }
}
