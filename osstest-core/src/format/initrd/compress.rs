//! Compression of segments: detection by magic, stream decoders and
//! encoders.
//!
//! Note for the integrator: `crate::format::compress` (branch issue4) decompresses
//! by magic too, but its `Decompressor` cannot serve initrd segments as it
//! stands: it puts its own `BufReader` over the input (reading past the
//! end of the stream), and reads every gzip member and zstd frame as one
//! stream (`MultiGzDecoder`). The kernel treats each member / xz stream /
//! frame as its own segment, and the next segment starts right after it,
//! so [`decoder`] here takes the caller's [`BufRead`] and stops at the end
//! of one stream, leaving the input there. Folding this in means giving
//! `crate::format::compress` a single-stream constructor over a `BufRead`, and
//! the recognised-but-unread kinds (bzip2, lzma, lzo, lz4) for messages.
//! Encoders (deterministic gzip header; xz with CRC32 on the
//! multithreaded encoder) have no counterpart there yet.

use std::io::{self, BufRead, Read, Write};

use serde::{Deserialize, Serialize};

/// How a segment is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// A plain cpio archive.
    None,
    /// gzip (what the Debian installer uses).
    Gzip,
    /// xz, with the CRC32 check (the kernel's decoder knows no other).
    Xz,
    /// zstd.
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

impl Compression {
    /// Its name: `gzip`, `xz`, ...
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

    /// Parses a name as [`Compression::name`] prints it.
    pub fn from_name(name: &str) -> Option<Compression> {
        Some(match name {
            "none" => Compression::None,
            "gzip" => Compression::Gzip,
            "xz" => Compression::Xz,
            "zstd" => Compression::Zstd,
            _ => return None,
        })
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
            Compression::Gzip => (0, crate::format::compress::pgzip::MAX_LEVEL),
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

/// Recognises a segment by its first bytes, as the kernel's
/// `decompress_method` does; `None` if nothing matches.
pub(crate) fn detect(head: &[u8]) -> Option<Compression> {
    Some(match head {
        [0x1f, 0x8b | 0x9e, ..] => Compression::Gzip,
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Compression::Xz,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
        [b'B', b'Z', b'h', ..] => Compression::Bzip2,
        [0x5d, 0, 0, ..] => Compression::Lzma,
        [0x89, b'L', b'Z', b'O', ..] => Compression::Lzo,
        [0x02, 0x21, 0x4c, 0x18, ..] => Compression::Lz4,
        [b'0', b'7', b'0', b'7', b'0', b'1' | b'2', ..] => Compression::None,
        _ => return None,
    })
}

/// The integrity check an xz stream header names (`None` if `head` is not
/// an xz stream header): 0 none, 1 CRC32, 4 CRC64, 10 SHA-256.
pub(crate) fn xz_check(head: &[u8]) -> Option<u8> {
    (head.len() >= 8 && head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]))
        .then(|| head[7] & 0x0f)
}

/// A reader of one compressed stream from `input`, leaving `input` just
/// after that stream when read to its end.
pub(crate) fn decoder<'a, R: BufRead + 'a>(
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
        other => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("{} segments are recognised but not read", other.name()),
            ))
        }
    })
}

/// An encoder onto `out`; [`Encoder::finish`] ends the stream.
pub(crate) enum Encoder<W: Write> {
    None(W),
    Gzip(crate::format::compress::pgzip::ParGzEncoder<W>),
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
                Encoder::Gzip(crate::format::compress::pgzip::ParGzEncoder::new(
                    out, level,
                ))
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
    pub(crate) fn insert_piece(
        &mut self,
        piece: &crate::format::compress::pgzip::Piece,
    ) -> io::Result<()> {
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
