// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Hostile inputs, made by hand rather than by our writers (which refuse
//! to make them): raw newc entries, entry bombs, zero runs, truncations.
//! Shared by the hostile-input tests and the property tests.
#![allow(dead_code)]

use std::io::{self, Write};

/// One raw newc entry: header, name, padding, data, padding. Nothing is
/// checked, so any name, mode or size can be written.
pub fn newc_entry(name: &[u8], mode: u32, ino: u32, data: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "070701{ino:08x}{mode:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
        0,
        0,
        1,
        0,
        data.len(),
        0,
        0,
        0,
        0,
        name.len() + 1,
        0
    )
    .into_bytes();
    out.extend_from_slice(name);
    out.push(0);
    pad4(&mut out);
    out.extend_from_slice(data);
    pad4(&mut out);
    out
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() % 4 != 0 {
        v.push(0);
    }
}

/// The trailer entry.
pub fn trailer() -> Vec<u8> {
    newc_entry(b"TRAILER!!!", 0, 0, b"")
}

/// An archive of `files` (name, data), regular files mode 0644, then the
/// trailer.
pub fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (name, data)) in files.iter().enumerate() {
        out.extend(newc_entry(name.as_bytes(), 0o100644, i as u32 + 1, data));
    }
    out.extend(trailer());
    out
}

/// Writes an archive of `n` empty files with distinct names (`e/0`,
/// `e/1`, ...): the entry bomb. 3 million of them make a 2.8 MB xz.
pub fn entry_bomb(n: u64, w: &mut impl Write) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    for i in 0..n {
        buf.extend(newc_entry(
            format!("e/{i}").as_bytes(),
            0o100644,
            (i % u32::MAX as u64) as u32 + 1,
            b"",
        ));
        if buf.len() > 60_000 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend(trailer());
    w.write_all(&buf)
}

/// `data` compressed as xz at preset 0 with the CRC32 check (as the
/// kernel's decoder needs).
pub fn xz(data: &[u8]) -> Vec<u8> {
    let stream = liblzma::stream::Stream::new_easy_encoder(0, liblzma::stream::Check::Crc32)
        .expect("an xz encoder");
    let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `data` compressed as gzip.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}
