// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Decodes a compressed file to nowhere with osstest-core's decompressor,
//! on a given number of threads; prints the bytes and the time. Used by
//! benches/unpick.sh to compare with `xz -dc`.
//!
//!     cargo run --release --example xz-decode -- FILE [THREADS]

use std::io::{self, Read};
use std::time::Instant;

use osstest_core::format::compress::{Compression, Decompressor};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (file, threads) = match args.as_slice() {
        [f] => (f, osstest_core::format::compress::default_threads()),
        [f, t] => (f, t.parse().expect("THREADS is a number")),
        _ => {
            eprintln!("usage: xz-decode FILE [THREADS]");
            std::process::exit(2);
        }
    };
    let mut f = std::fs::File::open(file).expect("open FILE");
    let mut head = [0u8; 6];
    f.read_exact(&mut head).expect("read FILE");
    let kind = Compression::from_magic_readable(&head);
    let f = io::Cursor::new(head).chain(f);
    let start = Instant::now();
    let mut d = Decompressor::with_threads(kind, f, threads).expect("decoder");
    let n = io::copy(&mut d, &mut io::sink()).expect("decode");
    println!(
        "{kind} on {threads} thread(s): {n} bytes in {:.2} s",
        start.elapsed().as_secs_f64()
    );
}
