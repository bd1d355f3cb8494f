// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Inspects an initrd, or appends directories and archives to one.
//!
//! Usage:
//!
//! ```text
//! cargo run --release --example initrd -- inspect INITRD [--files]
//! cargo run --release --example initrd -- append BASE OUT SEGMENT... \
//!     [--compression gzip|xz|zstd|none] [--level N] [--threads N]
//! ```
//!
//! A SEGMENT is `DIR` or `DIR=PREFIX` (packed into a new archive under
//! PREFIX) or a cpio archive file (appended as it is). New entries get
//! `$SOURCE_DATE_EPOCH` (else 0) as their mtime.

use std::path::PathBuf;
use std::process::exit;

use osstest_core::format::compress::Compression;
use osstest_core::format::initrd::{self, AppendOptions, Segment};
use osstest_core::format::source_date_epoch;

fn usage() -> ! {
    eprintln!(
        "usage: initrd inspect INITRD [--files]\n       initrd append BASE OUT SEGMENT... [--compression gzip|xz|zstd|none] [--level N] [--threads N]\n  SEGMENT is DIR, DIR=PREFIX or a cpio archive file"
    );
    exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("inspect") => inspect(&args[1..]),
        Some("append") => append(&args[1..]),
        _ => usage(),
    }
}

fn die(e: impl std::fmt::Display) -> ! {
    eprintln!("initrd: {e}");
    exit(1)
}

fn inspect(args: &[String]) {
    let Some(path) = args.first() else { usage() };
    let files = args.iter().any(|a| a == "--files");
    let found = initrd::inspect(path.as_ref()).unwrap_or_else(|e| die(e));
    println!(
        "{}: {} bytes, {} segments",
        found.path,
        found.size,
        found.segments.len()
    );
    println!(
        "{:>3} {:>10} {:>10} {:>5} {:>8} {:>12}",
        "seg", "offset", "length", "comp", "entries", "uncompressed"
    );
    for s in &found.segments {
        println!(
            "{:>3} {:>10} {:>10} {:>5} {:>8} {:>12}",
            s.index,
            s.offset,
            s.length,
            s.compression.name(),
            s.entries,
            s.uncompressed_size
        );
    }
    println!(
        "merged: {} names, {} bytes of file data",
        found.files.len(),
        found.merged_data_size
    );
    if files {
        for f in &found.files {
            println!(
                "{:>3} {:?} {:o} {:>9} {}",
                f.segment, f.kind, f.mode, f.size, f.name
            );
        }
    }
    for w in &found.warnings {
        println!("warning: {w}");
    }
}

fn append(args: &[String]) {
    let mut opts = AppendOptions {
        mtime: source_date_epoch()
            .unwrap_or_else(|e| die(e.to_string()))
            .unwrap_or(0),
        ..AppendOptions::default()
    };
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage()).clone();
        match a.as_str() {
            "--compression" => {
                let v = value();
                opts.compression =
                    Compression::from_name(&v).unwrap_or_else(|| die(format!("compression {v}")));
            }
            "--level" => opts.level = Some(value().parse().unwrap_or_else(|e| die(e))),
            "--threads" => opts.threads = value().parse().unwrap_or_else(|e| die(e)),
            _ => positional.push(a.clone()),
        }
    }
    if positional.len() < 3 {
        usage();
    }
    let segments: Vec<Segment> = positional[2..]
        .iter()
        .map(|s| {
            let (path, prefix) = match s.split_once('=') {
                Some((p, pre)) => (PathBuf::from(p), pre.to_owned()),
                None => (PathBuf::from(s), String::new()),
            };
            if path.is_dir() {
                Segment::Directory { path, prefix }
            } else {
                Segment::Archive(path)
            }
        })
        .collect();
    let r = initrd::append(
        positional[0].as_ref(),
        &segments,
        positional[1].as_ref(),
        &opts,
    )
    .unwrap_or_else(|e| die(e));
    println!(
        "{}: {} bytes, {} segments",
        r.path,
        r.size,
        r.segments.len()
    );
    for s in &r.segments[r.first_appended..] {
        println!(
            "appended segment {} at {}: {} bytes {}, {} entries, {} uncompressed",
            s.index,
            s.offset,
            s.length,
            s.compression.name(),
            s.entries,
            s.uncompressed_size
        );
    }
}
