// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Reads a flight dump, applies the ARM cross rewrite, prints the result.
//!
//! Usage: `cargo run --release --example flight-cross-arm -- DUMP [--json]`
//!
//! DUMP is a listing as `mg-show-flight-runvars` (with or without `-a`)
//! prints it, perhaps with `recipe` and `status` lines, or, if it ends in
//! `.json`, a flight in JSON. The rewritten flight is printed in the same listing
//! format (or JSON with `--json`); the changes go to stderr.

use osstest_core::flight::{cross, plain, Flight};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [file] = files.as_slice() else {
        eprintln!("usage: flight-cross-arm DUMP [--json]");
        std::process::exit(2);
    };
    let run = || -> Result<Flight, String> {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        let mut flight = if file.ends_with(".json") {
            Flight::from_json(&text, file)
        } else {
            plain::read(&text, file)
        }
        .map_err(|e| e.to_string())?;
        let rewrite =
            cross::cross_arm(&mut flight, cross::DEFAULT_BUILD_ARCH).map_err(|e| e.to_string())?;
        for p in &rewrite.pinned {
            eprintln!("{}", p.message);
        }
        for c in rewrite.changes {
            eprintln!(
                "{} {}: {} -> {}",
                c.job,
                c.runvar,
                c.old.as_deref().unwrap_or("(unset)"),
                c.new
            );
        }
        Ok(flight)
    };
    match run() {
        Ok(f) if json => println!("{}", f.to_json()),
        Ok(f) => match plain::write(&f) {
            Ok(text) => print!("{text}"),
            Err(e) => {
                eprintln!("flight-cross-arm: {e}");
                std::process::exit(1);
            }
        },
        Err(e) => {
            eprintln!("flight-cross-arm: {e}");
            std::process::exit(1);
        }
    }
}
