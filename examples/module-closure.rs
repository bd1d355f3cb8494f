// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Prints the installer module subset of an unpacked kernel: every module
//! of the selection's dependency closure with the reason it is in, then any
//! missing dependency. Optionally writes the subset's depmod index files.
//!
//! Usage: `cargo run --release --example module-closure DIR [OPTION...]`
//! where DIR is `lib/modules/VERSION` holding plain `.ko` files, and
//!
//! - `+PATTERN` selects more, `-PATTERN` selects less (see
//!   `osstest_core::kernel::modules::Selection`); the classic patterns come first;
//! - `--none` starts from nothing instead of the classic patterns;
//! - `--all` takes every module (no selection);
//! - `--indexes OUTDIR` writes modules.dep and friends for the subset,
//!   text and binary (`modules.dep.bin`, ...), as depmod writes them.

use std::path::{Path, PathBuf};

use osstest_core::kernel::modules::{KernelModules, ModulesError, Selection};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().filter(|a| !a.starts_with('-')) else {
        eprintln!(
            "usage: module-closure DIR [--none|--all] [--indexes OUTDIR] [+PATTERN|-PATTERN...]"
        );
        std::process::exit(2);
    };
    let mut selection = Selection::classic();
    let (mut all, mut indexes) = (false, None::<PathBuf>);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--none" => selection = Selection::none(),
            "--all" => all = true,
            "--indexes" => indexes = args.next().map(PathBuf::from),
            _ => match (a.strip_prefix('+'), a.strip_prefix('-')) {
                (Some(p), _) => {
                    selection.include(p);
                }
                (_, Some(p)) => {
                    selection.exclude(p);
                }
                _ => {
                    eprintln!("module-closure: {a}: start patterns with + or -");
                    std::process::exit(2);
                }
            },
        }
    }
    if let Err(e) = run(Path::new(&dir), &selection, all, indexes.as_deref()) {
        eprintln!("module-closure: {e}");
        std::process::exit(1);
    }
}

fn run(
    dir: &Path,
    selection: &Selection,
    all: bool,
    out: Option<&Path>,
) -> Result<(), ModulesError> {
    let kernel = KernelModules::read_dir(dir)?;
    let names: Vec<String> = if all {
        kernel.modules().iter().map(|m| m.name.clone()).collect()
    } else {
        let closure = kernel.close(selection)?;
        for m in &closure.included {
            println!("{}\t{}\t{}", m.name, m.path, m.reason);
        }
        for m in &closure.missing {
            println!(
                "MISSING\t{}\twanted by {} ({:?})",
                m.name, m.wanted_by, m.how
            );
        }
        closure.names().into_iter().map(str::to_owned).collect()
    };
    if let Some(out) = out {
        kernel.indexes(&names)?.write_to(out)?;
    }
    Ok(())
}
