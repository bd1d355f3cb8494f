// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Reading compressed streams: [`Decompressor`] over any reader, and
//! `single_stream` for one stream of several in a row.

use std::io::{self, BufRead, BufReader, Read};

use super::Compression;
use crate::format::io::read_up_to;

/// The number of threads the xz decoder uses by default: the machine's
/// available parallelism, at most 8.
pub fn default_threads() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8) as u32)
}

/// Above this much memory the xz decoder falls back to one thread
/// (`xz` uses a quarter of RAM; a data.tar.xz block needs a few MiB).
const XZ_MEMLIMIT_THREADING: u64 = 1 << 30;

/// A reader whose first bytes were read to recognise its compression.
pub type Peeked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// A decompressing reader over any [`Read`].
pub struct Decompressor<R: Read> {
    inner: Inner<R>,
}

enum Inner<R: Read> {
    None(BufReader<R>),
    Gzip(flate2::bufread::MultiGzDecoder<BufReader<R>>),
    Xz(liblzma::bufread::XzDecoder<BufReader<R>>),
    Zstd(zstd::stream::read::Decoder<'static, BufReader<R>>),
}

impl<R: Read> Decompressor<R> {
    /// Decompresses `r` as `kind`, xz on [`default_threads`] threads.
    pub fn new(kind: Compression, r: R) -> io::Result<Self> {
        Self::with_threads(kind, r, default_threads())
    }

    /// Decompresses `r` as `kind`; xz on up to `threads` threads (one
    /// means the single-threaded decoder).
    pub fn with_threads(kind: Compression, r: R, threads: u32) -> io::Result<Self> {
        Self::from_buf(kind, BufReader::with_capacity(64 * 1024, r), threads)
    }

    /// Recognises the compression by magic
    /// ([`Compression::from_magic_readable`]: one this does not read is
    /// taken for plain data) and decompresses `r`; returns what it found,
    /// too.
    pub fn detect(mut r: R) -> io::Result<(Compression, Decompressor<Peeked<R>>)> {
        let mut head = [0u8; 6];
        let n = read_up_to(&mut r, &mut head)?;
        let kind = Compression::from_magic_readable(&head[..n]);
        let peeked = io::Cursor::new(head[..n].to_vec()).chain(r);
        Ok((kind, Decompressor::new(kind, peeked)?))
    }

    fn from_buf(kind: Compression, b: BufReader<R>, threads: u32) -> io::Result<Self> {
        let inner = match kind {
            Compression::None => Inner::None(b),
            Compression::Gzip => Inner::Gzip(flate2::bufread::MultiGzDecoder::new(b)),
            Compression::Xz => {
                let stream = if threads > 1 {
                    liblzma::stream::MtStreamBuilder::new()
                        .threads(threads)
                        .memlimit_threading(XZ_MEMLIMIT_THREADING)
                        .memlimit_stop(u64::MAX)
                        .decoder()
                } else {
                    liblzma::stream::Stream::new_stream_decoder(u64::MAX, 0)
                }
                .map_err(io::Error::other)?;
                Inner::Xz(liblzma::bufread::XzDecoder::new_stream(b, stream))
            }
            Compression::Zstd => Inner::Zstd(zstd::stream::read::Decoder::with_buffer(b)?),
            other => return Err(not_read(other)),
        };
        Ok(Decompressor { inner })
    }
}

impl<R: Read> Read for Decompressor<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::None(r) => r.read(buf),
            Inner::Gzip(r) => r.read(buf),
            Inner::Xz(r) => r.read(buf),
            Inner::Zstd(r) => r.read(buf),
        }
    }
}

/// Decompresses a whole small buffer (a module, a control file) whose
/// compression is recognised by magic.
pub fn decompress_all(data: &[u8]) -> io::Result<Vec<u8>> {
    let kind = Compression::from_magic_readable(data);
    if kind == Compression::None {
        return Ok(data.to_vec());
    }
    let mut out = Vec::with_capacity(data.len() * 3);
    Decompressor::with_threads(kind, data, 1)?.read_to_end(&mut out)?;
    Ok(out)
}

/// The error for a compression that is recognised but not read.
fn not_read(c: Compression) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{} data is recognised but not read", c.name()),
    )
}

/// A reader of one compressed stream from `input`, leaving `input` just
/// after that stream when read to its end.
pub(crate) fn single_stream<'a, R: BufRead + 'a>(
    c: Compression,
    input: R,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match c {
        Compression::None => Box::new(input),
        // The bufread decoders read exactly one gzip member / xz stream.
        Compression::Gzip => Box::new(flate2::bufread::GzDecoder::new(input)),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new(input)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(input)?.single_frame())
        }
        other => return Err(not_read(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn roundtrip(kind: Compression, compressed: Vec<u8>, plain: &[u8]) {
        assert_eq!(Compression::from_magic_readable(&compressed), kind);
        let (k, mut d) = Decompressor::detect(&compressed[..]).unwrap();
        assert_eq!(k, kind);
        let mut out = Vec::new();
        d.read_to_end(&mut out).unwrap();
        assert_eq!(out, plain);
        assert_eq!(decompress_all(&compressed).unwrap(), plain);
    }

    fn sample() -> Vec<u8> {
        (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[test]
    fn gzip_xz_zstd_none() {
        let plain = sample();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        roundtrip(Compression::Gzip, gz.finish().unwrap(), &plain);

        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(&plain).unwrap();
        roundtrip(Compression::Xz, xz.finish().unwrap(), &plain);

        roundtrip(
            Compression::Zstd,
            zstd::encode_all(&plain[..], 3).unwrap(),
            &plain,
        );
        roundtrip(Compression::None, plain.clone(), &plain);
    }

    #[test]
    fn xz_multiblock_on_threads_matches_single() {
        let plain = sample();
        let stream = liblzma::stream::MtStreamBuilder::new()
            .threads(2)
            .block_size(100_000)
            .preset(1)
            .encoder()
            .unwrap();
        let mut xz = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
        xz.write_all(&plain).unwrap();
        let c = xz.finish().unwrap();
        for threads in [1, 2, 4] {
            let mut out = Vec::new();
            Decompressor::with_threads(Compression::Xz, &c[..], threads)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, plain, "{threads} threads");
        }
    }

    #[test]
    fn corrupt_and_truncated_are_errors() {
        let plain = sample();
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(&plain).unwrap();
        let c = xz.finish().unwrap();
        for cut in [7, 100, c.len() / 2, c.len() - 1] {
            assert!(decompress_all(&c[..cut]).is_err(), "xz cut at {cut}");
        }
        let mut bad = c.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x55;
        assert!(decompress_all(&bad).is_err());

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        let g = gz.finish().unwrap();
        for cut in [3, 20, g.len() / 2, g.len() - 1] {
            assert!(decompress_all(&g[..cut]).is_err(), "gzip cut at {cut}");
        }
        let z = zstd::encode_all(&plain[..], 3).unwrap();
        assert!(decompress_all(&z[..z.len() / 2]).is_err());
    }
}
