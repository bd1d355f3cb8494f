// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The fuzz targets' bodies: each reads arbitrary bytes through one of
//! osstest-core's archive readers. Errors are expected; a panic, a hang or
//! unbounded memory is a bug.

use std::io::{self, Read, Write};

use osstest_core::format::compress::{Compression, Decompressor};
use osstest_core::format::deb::DebReader;
use osstest_core::format::{cpio, initrd as initrd_fmt};
use osstest_core::kernel::{KernelSource, SourceKind};

/// Reads at most this much decompressed data from one input, so a small
/// input that expands hugely (a zip bomb) ends the run, not the machine.
const OUTPUT_LIMIT: u64 = 64 << 20;

/// A `.deb`: the ar container, `debian-binary`, the control fields, the
/// data tar's entries with their bytes; then the same bytes as a kernel
/// source, with module checks.
pub fn deb(data: &[u8]) {
    if let Ok(mut d) = DebReader::new(data, "fuzz.deb") {
        if d.control().is_ok() {
            if let Ok((_, _, mut tar)) = d.data() {
                if let Ok(entries) = tar.entries() {
                    for e in entries {
                        let Ok(e) = e else { break };
                        if io::copy(&mut e.take(OUTPUT_LIMIT), &mut io::sink()).is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }
    let _ = KernelSource::for_stream("fuzz.deb", SourceKind::Deb).info_stream(data);
}

/// A kerndist tarball (compressed or not), as a kernel source.
pub fn kerndist(data: &[u8]) {
    let k = KernelSource::for_stream("fuzz.tar", SourceKind::Kerndist);
    let _ = k.visit_stream(data, |e| {
        io::copy(&mut e.take(OUTPUT_LIMIT), &mut io::sink())
            .map(|_| ())
            .map_err(|e| osstest_core::kernel::KernelError::Visitor(e.to_string()))
    });
    let _ = k.info_stream(data);
}

/// The decompressors, by magic, on one and two threads.
pub fn decompress(data: &[u8]) {
    if let Ok((kind, d)) = Decompressor::detect(data) {
        let _ = io::copy(&mut d.take(OUTPUT_LIMIT), &mut io::sink());
        if kind == Compression::Xz {
            if let Ok(d) = Decompressor::with_threads(kind, data, 2) {
                let _ = io::copy(&mut d.take(OUTPUT_LIMIT), &mut io::sink());
            }
        }
    }
}

/// A newc cpio stream: every entry of every archive in it (as the kernel
/// reads concatenated archives), each entry's data read through.
pub fn cpio(data: &[u8]) {
    let mut r = cpio::Reader::new(data, "fuzz.cpio");
    loop {
        loop {
            match r.next_entry() {
                Ok(Some(_)) => {
                    if io::copy(&mut r.data().take(OUTPUT_LIMIT), &mut io::sink()).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if !matches!(r.next_archive(), Ok(true)) {
            return;
        }
    }
}

/// An initrd file, inspected as `initrd_inspect` does: its segments (each
/// compressed or not), their archives and the merged view.
pub fn initrd(data: &[u8]) {
    let Ok(mut f) = tempfile::NamedTempFile::new() else {
        return;
    };
    if f.write_all(data).and_then(|()| f.flush()).is_err() {
        return;
    }
    let _ = initrd_fmt::inspect(f.path());
}
