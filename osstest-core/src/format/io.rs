//! A writer that counts the bytes going through it (for offsets in error
//! messages and sizes in reports), shared by the cpio, initrd and
//! installer writers.

use std::io::{self, Write};

/// Counts the bytes written through it.
pub(crate) struct Counting<W> {
    /// The writer underneath.
    pub(crate) inner: W,
    /// Bytes written so far.
    pub(crate) written: u64,
}

impl<W> Counting<W> {
    /// Counts from zero.
    pub(crate) fn new(inner: W) -> Counting<W> {
        Counting { inner, written: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
