// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Compression, in one place: every kind the kernel knows, recognised by
//! magic or by file name suffix, read as plain [`Read`](std::io::Read)ers
//! and written by one encoder.
//!
//! Everything osstest-core decompresses goes through here: `.deb` members
//! (`data.tar.xz`, `control.tar.zst`, ...), kerndist tarballs, compressed
//! modules (`.ko.xz`, `.ko.zst`, `.ko.gz`), kernel images (Debian's arm64
//! `vmlinuz` is a gzipped `Image`) and initrd segments. Everything
//! streams; nothing is held whole.
//!
//! - [`Compression`]: the kinds, as the kernel's `decompress_method`
//!   recognises them ([`Compression::from_magic`]), their names and file
//!   suffixes, and the levels their writers take. gzip, xz and zstd are
//!   read and written; bzip2, lzma, lzo and lz4 are recognised only, so
//!   that a message can name them.
//! - [`Decompressor`]: a reader over any [`Read`](std::io::Read) that
//!   decodes every gzip member and zstd frame in a row, and xz on several
//!   threads (below).
//! - `single_stream`: a reader of exactly one gzip member, xz stream or
//!   zstd frame from the caller's [`BufRead`](std::io::BufRead), leaving
//!   the input just after it: initrd segments follow each other that way,
//!   each compressed on its own.
//! - `Encoder`: gzip on all cores as one member (`pgzip`), xz with the
//!   CRC32 check the kernel's decoder needs, zstd; the same bytes whatever
//!   the thread count.
//!
//! # xz on several threads: liblzma against xz2
//!
//! Debian's dpkg writes `data.tar.xz` as several xz blocks (15 for the
//! bookworm arm64 kernel), and liblzma (≥ 5.4) can decode independent blocks
//! on several threads (`lzma_stream_decoder_mt`). The `xz2` crate (0.1.7)
//! builds on `lzma-sys`, whose bundled liblzma 5.2 predates that decoder,
//! and its `MtStreamBuilder` builds encoders only; its maintained fork
//! `liblzma` (0.4, bundling liblzma 5.8) adds `MtStreamBuilder::decoder`,
//! so this module uses `liblzma` with its `parallel` feature. Measured
//! with `benches/unpick.sh` (best of 3) on the 2-core build machine while
//! other builds ran (load average 5 to 7, so only the ratios mean much),
//! decoding the data.tar.xz of
//! `linux-image-6.1.0-50-arm64` (57 MB, 343 MB out) to nowhere:
//!
//! | decoder | wall time |
//! | --- | --- |
//! | `liblzma`, 1 thread (all `xz2` can do) | 5.45 s |
//! | `liblzma`, 2 threads | 3.64 s |
//! | `xz -T1 -dc` | 6.00 s |
//! | `xz -T2 -dc` | 4.83 s |
//!
//! Both crates wrap the same C library, so the single-threaded figure is
//! what `xz2` would give; the choice is the multithreaded decoder.
//!
//! A stream of a single xz block (for example a `.ko.xz` module) decodes
//! single-threaded whatever the thread count, at no extra cost.

mod deflate_join;
pub(crate) mod pgzip;
mod read;
mod write;

use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};

pub(crate) use pgzip::{compress_piece, Piece};
pub(crate) use read::single_stream;
pub use read::{decompress_all, default_threads, Decompressor, Peeked};
pub(crate) use write::Encoder;

/// How a stream is compressed: every kind the kernel recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (RFC 1952), one or more members.
    Gzip,
    /// xz (the `.xz` container with LZMA2).
    Xz,
    /// Zstandard, one or more frames.
    Zstd,
    /// bzip2 (recognised, not read).
    Bzip2,
    /// legacy lzma (recognised, not read).
    Lzma,
    /// lzo (recognised, not read).
    Lzo,
    /// lz4 (recognised, not read).
    Lz4,
}

/// The xz stream header's magic.
const XZ_MAGIC: &[u8; 6] = b"\xfd7zXZ\0";

/// The compressions this module reads and writes, in suffix order.
const READABLE: [Compression; 3] = [Compression::Gzip, Compression::Xz, Compression::Zstd];

impl Compression {
    /// Recognises a compressed stream by its first bytes (6 are enough to
    /// tell them all apart), as the kernel's `decompress_method` does;
    /// `None` for anything else (plain data, a cpio archive).
    pub fn from_magic(head: &[u8]) -> Option<Compression> {
        Some(match head {
            [0x1f, 0x8b | 0x9e, ..] => Compression::Gzip,
            [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Compression::Xz,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            [b'B', b'Z', b'h', ..] => Compression::Bzip2,
            [0x5d, 0, 0, ..] => Compression::Lzma,
            [0x89, b'L', b'Z', b'O', ..] => Compression::Lzo,
            [0x02, 0x21, 0x4c, 0x18, ..] => Compression::Lz4,
            _ => return None,
        })
    }

    /// Like [`Compression::from_magic`], but only the compressions this
    /// module reads: anything else is [`Compression::None`], plain data
    /// (the loose magic of lzma, `5d 00 00`, can begin an ARM64 `Image`).
    pub fn from_magic_readable(head: &[u8]) -> Compression {
        Compression::from_magic(head)
            .filter(|c| c.is_readable())
            .unwrap_or(Compression::None)
    }

    /// Whether this module reads (and writes) it: none, gzip, xz, zstd.
    pub fn is_readable(self) -> bool {
        self == Compression::None || READABLE.contains(&self)
    }

    /// The compression a file name's suffix names (`.gz`, `.xz`, `.zst`:
    /// those this module reads), and the name without it; `None` for
    /// another suffix.
    pub fn from_suffix(name: &str) -> Option<(Compression, &str)> {
        READABLE.iter().find_map(|&c| {
            name.strip_suffix(c.suffix())
                .and_then(|s| s.strip_suffix('.'))
                .map(|stem| (c, stem))
        })
    }

    /// The usual file name suffix, without the dot (`""` for none).
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => "gz",
            Compression::Xz => "xz",
            Compression::Zstd => "zst",
            Compression::Bzip2 => "bz2",
            Compression::Lzma => "lzma",
            Compression::Lzo => "lzo",
            Compression::Lz4 => "lz4",
        }
    }

    /// Its name, as options and reports spell it: `none`, `gzip`, `xz`, ...
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Lzma => "lzma",
            Compression::Lzo => "lzo",
            Compression::Lz4 => "lz4",
        }
    }

    /// Parses the name of a compression that can be written (`none`,
    /// `gzip`, `xz`, `zstd`), as [`Compression::name`] prints it.
    pub fn from_name(name: &str) -> Option<Compression> {
        [Compression::None]
            .into_iter()
            .chain(READABLE)
            .find(|c| c.name() == name)
    }

    /// The level used when none is given: gzip 5, xz 6, zstd 19.
    ///
    /// gzip is libdeflate's level 5: on the bookworm arm64 installer
    /// segment it is within 1.3% of `gzip -9n` (34,642,824 against
    /// 34,219,430 bytes; level 6 is within 0.6% and costs a fifth more
    /// compressing, about 5% of the whole job's time), at a small fraction
    /// of `gzip -9`'s time.
    pub fn default_level(self) -> u32 {
        match self {
            Compression::Gzip => 5,
            Compression::Zstd => 19,
            _ => 6,
        }
    }

    /// Checks `level` against what this compression's writer takes: gzip
    /// 0 to 12 (libdeflate's levels: 1 to 9 as gzip's, 10 to 12 slower
    /// and smaller), xz 0 to 9, zstd 1 to 22.
    pub fn check_level(self, level: u32) -> io::Result<()> {
        let (min, max) = match self {
            Compression::Gzip => (0, pgzip::MAX_LEVEL),
            Compression::Xz => (0, 9),
            Compression::Zstd => (1, 22),
            _ => return Ok(()),
        };
        if (min..=max).contains(&level) {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} level {level} ({min}..={max})", self.name()),
            ))
        }
    }
}

/// In prose: `uncompressed`, `gzip`, `xz`, ...
impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::None => f.write_str("uncompressed"),
            other => f.write_str(other.name()),
        }
    }
}

/// The most worker threads a caller may ask a compressor for. More would
/// not be faster on any build host, and each xz thread holds its own
/// block buffers (about 100 MB at level 6).
pub const MAX_THREADS: u32 = 64;

/// Checks a thread count a caller gave: 1 to [`MAX_THREADS`].
pub fn check_threads(threads: u32) -> Result<(), String> {
    if (1..=MAX_THREADS).contains(&threads) {
        Ok(())
    } else {
        Err(format!("threads {threads}: must be 1 to {MAX_THREADS}"))
    }
}

/// The integrity check an xz stream header names (`None` if `head` is not
/// an xz stream header): 0 none, 1 CRC32, 4 CRC64, 10 SHA-256.
pub(crate) fn xz_check(head: &[u8]) -> Option<u8> {
    (head.len() >= 8 && head.starts_with(XZ_MAGIC)).then(|| head[7] & 0x0f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic() {
        assert_eq!(
            Compression::from_magic(b"\x1f\x8b\x08"),
            Some(Compression::Gzip)
        );
        assert_eq!(Compression::from_magic(XZ_MAGIC), Some(Compression::Xz));
        assert_eq!(Compression::from_magic(b"BZh9"), Some(Compression::Bzip2));
        assert_eq!(Compression::from_magic(b"070701"), None);
        assert_eq!(
            Compression::from_magic_readable(b"\x5d\0\0\x14"),
            Compression::None
        );
        assert_eq!(xz_check(b"\xfd7zXZ\0\0\x01"), Some(1));
        assert_eq!(xz_check(b"\x1f\x8b\x08\0\0\0\0\0"), None);
    }

    #[test]
    fn names() {
        assert_eq!(
            Compression::from_suffix("a.ko.xz"),
            Some((Compression::Xz, "a.ko"))
        );
        assert_eq!(
            Compression::from_suffix("data.tar.zst"),
            Some((Compression::Zstd, "data.tar"))
        );
        assert_eq!(
            Compression::from_suffix(".gz"),
            Some((Compression::Gzip, ""))
        );
        assert_eq!(Compression::from_suffix("a.ko"), None);
        assert_eq!(Compression::from_suffix("a.bz2"), None);
        for c in [
            Compression::None,
            Compression::Gzip,
            Compression::Xz,
            Compression::Zstd,
        ] {
            assert_eq!(Compression::from_name(c.name()), Some(c));
        }
        assert_eq!(Compression::from_name("lz4"), None);
        assert_eq!(Compression::None.to_string(), "uncompressed");
        assert_eq!(Compression::Zstd.to_string(), "zstd");
    }
}
