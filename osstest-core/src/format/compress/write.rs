// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Writing compressed streams: one [`Encoder`] for every compression
//! written.

use std::io::{self, Write};

use super::Compression;

/// An encoder onto `out`; [`Encoder::finish`] ends the stream.
pub(crate) enum Encoder<W: Write> {
    None(W),
    Gzip(super::pgzip::ParGzEncoder<W>),
    Xz(liblzma::write::XzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Encoder<W> {
    /// An encoder of `c` at `level`; xz uses `threads` worker threads (its
    /// output does not depend on the count: the block size is fixed by
    /// the level).
    pub(crate) fn new(c: Compression, level: u32, threads: u32, out: W) -> io::Result<Encoder<W>> {
        Ok(match c {
            Compression::None => Encoder::None(out),
            // One member compressed on all cores, mtime 0, no name, OS
            // 255: the same bytes every time (see pgzip).
            Compression::Gzip => {
                c.check_level(level)?;
                Encoder::Gzip(super::pgzip::ParGzEncoder::new(out, level))
            }
            Compression::Xz => {
                c.check_level(level)?;
                // Always the multithreaded encoder, even on one thread, so
                // the bytes do not depend on the thread count.
                let stream = liblzma::stream::MtStreamBuilder::new()
                    .threads(threads.max(1))
                    .preset(level)
                    .check(liblzma::stream::Check::Crc32)
                    .encoder()
                    .map_err(io::Error::other)?;
                Encoder::Xz(liblzma::write::XzEncoder::new_stream(out, stream))
            }
            Compression::Zstd => {
                c.check_level(level)?;
                Encoder::Zstd(zstd::stream::write::Encoder::new(out, level as i32)?)
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!(
                        "cannot write {} segments (gzip, xz, zstd or none)",
                        other.name()
                    ),
                ))
            }
        })
    }

    /// Puts a piece compressed ahead of time next in a gzip stream.
    pub(crate) fn insert_piece(&mut self, piece: &super::pgzip::Piece) -> io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.insert(piece),
            _ => Err(io::Error::other(
                "a deflate piece can only go into a gzip segment",
            )),
        }
    }

    /// Ends the stream; the output.
    pub(crate) fn finish(self) -> io::Result<W> {
        match self {
            Encoder::None(w) => Ok(w),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Xz(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::None(w) => w.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Xz(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::None(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Xz(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }
}
