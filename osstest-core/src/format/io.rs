// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Small readers and writers that wrap another, shared by every format:
//!
//! - [`Counting`] counts the bytes going through (offsets in error
//!   messages, sizes in reports) and, reading, whether the stream ended;
//! - [`Hashing`] hashes them (a package's `md5sums`, an output's sha256);
//! - [`Teeing`] writes a copy of what is read (an initrd's base, copied
//!   into the output as it is inspected);
//! - [`read_up_to`] fills a buffer unless the stream ends first;
//! - [`Exact`] reads exactly a given number of bytes: an underlying
//!   stream that ends first is an error, not a short read (ar and tar
//!   readers would otherwise hand a truncated member on as complete).

use std::io::{self, BufRead, Read, Write};

use sha2::Digest;

/// Counts the bytes read or written through it.
pub(crate) struct Counting<T> {
    /// The reader or writer underneath.
    pub(crate) inner: T,
    /// Bytes read (or consumed) or written so far.
    pub(crate) count: u64,
    /// Whether a read found the end of the stream.
    pub(crate) hit_eof: bool,
}

impl<T> Counting<T> {
    /// Counts from zero.
    pub(crate) fn new(inner: T) -> Counting<T> {
        Counting {
            inner,
            count: 0,
            hit_eof: false,
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.hit_eof = true;
        }
        self.count += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.count += amt as u64;
        self.inner.consume(amt);
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hashes the bytes read or written through it with `D` (md5, sha256).
pub(crate) struct Hashing<T, D> {
    /// The reader or writer underneath.
    pub(crate) inner: T,
    /// The hash of what went through so far.
    pub(crate) digest: D,
}

impl<T, D: Digest> Hashing<T, D> {
    /// Hashes from the start.
    pub(crate) fn new(inner: T) -> Hashing<T, D> {
        Hashing {
            inner,
            digest: D::new(),
        }
    }
}

impl<R: Read, D: Digest> Read for Hashing<R, D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}

impl<W: Write, D: Digest> Write for Hashing<W, D> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes every byte read through it to a copy (when there is one). A
/// failing write fails the read and is kept in `write_error`, for the
/// caller to blame on the copy rather than on the input.
pub(crate) struct Teeing<'a, R> {
    inner: R,
    copy: Option<&'a mut dyn Write>,
    /// Why writing the copy failed, if it did.
    pub(crate) write_error: Option<io::Error>,
}

impl<'a, R> Teeing<'a, R> {
    /// Reads `inner`, writing what it reads to `copy`.
    pub(crate) fn new(inner: R, copy: Option<&'a mut dyn Write>) -> Teeing<'a, R> {
        Teeing {
            inner,
            copy,
            write_error: None,
        }
    }
}

impl<R: Read> Read for Teeing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(copy) = self.copy.as_mut() {
            if let Err(e) = copy.write_all(&buf[..n]) {
                let message = format!("writing the copy: {e}");
                self.write_error = Some(e);
                return Err(io::Error::other(message));
            }
        }
        Ok(n)
    }
}

/// Reads into `buf` until it is full or `r` ends (retrying interrupted
/// reads); how many bytes it got. A short count is the end of the stream,
/// which the caller says is wrong or not (`read_exact` cannot tell).
pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads exactly `left` more bytes of `inner`.
pub(crate) struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Exact<R> {
    /// The next `size` bytes of `inner`.
    pub(crate) fn new(inner: R, size: u64) -> Exact<R> {
        Exact { inner, left: size }
    }

    /// [`Read::read`], with `truncated(left)` saying what is wrong when
    /// the stream ends `left` bytes early.
    pub(crate) fn read_or(
        &mut self,
        buf: &mut [u8],
        truncated: impl FnOnce(u64) -> String,
    ) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                truncated(self.left),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_or(buf, |left| {
            format!("archive truncated: {left} bytes of the member missing")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hashes_and_bounds() {
        let mut r = Counting::new(&b"abcdef"[..]);
        let mut buf = [0u8; 4];
        assert_eq!(r.read(&mut buf).unwrap(), 4);
        assert!(!r.hit_eof);
        io::copy(&mut r, &mut io::sink()).unwrap();
        assert_eq!((r.count, r.hit_eof), (6, true));

        let mut w = Hashing::<_, sha2::Sha256>::new(Counting::new(Vec::new()));
        w.write_all(b"abc").unwrap();
        assert_eq!(w.inner.count, 3);
        assert_eq!(
            format!("{:x}", w.digest.finalize()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );

        let mut e = Exact::new(&b"abc"[..], 5);
        let err = io::copy(&mut e, &mut io::sink()).unwrap_err();
        assert!(
            err.to_string().contains("2 bytes of the member missing"),
            "{err}"
        );
        let mut e = Exact::new(&b"abcdef"[..], 2);
        assert_eq!(io::copy(&mut e, &mut io::sink()).unwrap(), 2);

        let mut buf = [0u8; 4];
        let mut r = io::Read::chain(&b"ab"[..], &b"cdef"[..]);
        assert_eq!(read_up_to(&mut r, &mut buf).unwrap(), 4);
        assert_eq!(&buf, b"abcd");
        assert_eq!(read_up_to(&mut &b"xy"[..], &mut buf).unwrap(), 2);
    }
}
