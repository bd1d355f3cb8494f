//! A reader of exactly a given number of bytes, shared by the `.deb`
//! member reader and the kernel sources: an underlying stream that ends
//! first is an error, not a short read (ar and tar readers would
//! otherwise hand a truncated member on as complete).

use std::io::{self, Read};

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
