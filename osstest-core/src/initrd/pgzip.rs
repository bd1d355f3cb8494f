//! gzip on several threads, as one gzip member.
//!
//! The kernel's initramfs unpacker wants every compressed stream to end
//! on a cpio boundary ("junk at the end of compressed archive"), so a
//! segment cannot be cut into independent gzip members the way some
//! parallel compressors do. Like pigz, this compresses fixed-size chunks
//! of the input in parallel, each primed with the 32 KiB before it as the
//! deflate dictionary and ended by a sync flush, and joins the raw deflate
//! streams under one gzip header and trailer. The output depends only on
//! the input and the level, never on the thread count.
//!
//! Written here rather than taken from a crate: the parallel gzip crates
//! found either write multi-member output or bring their own thread
//! machinery; this is a page of code over flate2 (zlib-rs backend, which
//! has `set_dictionary`) and rayon, both already dependencies.

use std::io::{self, Write};

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use rayon::prelude::*;

/// Input bytes per chunk.
const CHUNK: usize = 1 << 20;
/// Chunks compressed per batch (a few per core keeps them all busy).
const BATCH: usize = 8;
/// The deflate window: how much of the previous chunk primes the next.
const WINDOW: usize = 32 * 1024;

/// A gzip writer compressing on rayon's threads; [`ParGzEncoder::finish`]
/// ends the member.
pub struct ParGzEncoder<W: Write> {
    out: W,
    level: u32,
    crc: Crc,
    /// Chunks waiting for a batch.
    pending: Vec<Vec<u8>>,
    /// The tail of the last chunk compressed: the next one's dictionary.
    tail: Vec<u8>,
    wrote_header: bool,
}

impl<W: Write> ParGzEncoder<W> {
    /// A new member onto `out` at `level` (0 to 9).
    pub fn new(out: W, level: u32) -> ParGzEncoder<W> {
        ParGzEncoder {
            out,
            level,
            crc: Crc::new(),
            pending: vec![Vec::with_capacity(CHUNK)],
            tail: Vec::new(),
            wrote_header: false,
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.wrote_header {
            // No name, mtime 0, OS unknown: the same bytes every time.
            self.out
                .write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])?;
            self.wrote_header = true;
        }
        Ok(())
    }

    /// Compresses the full chunks waiting (all of them when `last`).
    fn flush_batch(&mut self, last: bool) -> io::Result<()> {
        self.header()?;
        let keep = if last { 0 } else { 1 };
        if self.pending.len() <= keep {
            return Ok(());
        }
        let chunks: Vec<Vec<u8>> = self.pending.drain(..self.pending.len() - keep).collect();
        let n = chunks.len();
        let level = self.level;
        let tail = std::mem::take(&mut self.tail);
        let outputs: Vec<io::Result<Vec<u8>>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let dict: &[u8] = if i == 0 {
                    &tail
                } else {
                    let p = &chunks[i - 1];
                    &p[p.len().saturating_sub(WINDOW)..]
                };
                deflate_chunk(level, dict, &chunks[i], last && i == n - 1)
            })
            .collect();
        for o in outputs {
            self.out.write_all(&o?)?;
        }
        let lastc = &chunks[n - 1];
        self.tail = lastc[lastc.len().saturating_sub(WINDOW)..].to_vec();
        if self.pending.is_empty() {
            self.pending.push(Vec::with_capacity(CHUNK));
        }
        Ok(())
    }

    /// Ends the member (compressing what is left, writing CRC and size)
    /// and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.pending.last().is_some_and(Vec::is_empty) && self.pending.len() > 1 {
            self.pending.pop();
        }
        self.flush_batch(true)?;
        let crc = self.crc.sum();
        let size = self.crc.amount();
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.write_all(&size.to_le_bytes())?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ParGzEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let cur = self
            .pending
            .last_mut()
            .expect("always a chunk being filled");
        let n = buf.len().min(CHUNK - cur.len());
        cur.extend_from_slice(&buf[..n]);
        self.crc.update(&buf[..n]);
        if cur.len() == CHUNK {
            self.pending.push(Vec::with_capacity(CHUNK));
            if self.pending.len() > BATCH {
                self.flush_batch(false)?;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Raw deflate of one chunk, primed with `dict`, ended by a sync flush
/// (or the final block when `last`).
fn deflate_chunk(level: u32, dict: &[u8], data: &[u8], last: bool) -> io::Result<Vec<u8>> {
    let mut c = Compress::new(Compression::new(level), false);
    if !dict.is_empty() {
        c.set_dictionary(dict).map_err(io::Error::other)?;
    }
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    loop {
        let consumed = c.total_in() as usize;
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        let status = c
            .compress_vec(&data[consumed..], &mut out, flush)
            .map_err(io::Error::other)?;
        let done_input = c.total_in() as usize == data.len();
        let room_left = out.capacity() > out.len();
        match status {
            Status::StreamEnd => break,
            _ if !last && done_input && room_left => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample(n: usize) -> Vec<u8> {
        // Compressible but not trivial: a counter mixed with some text.
        let mut v = Vec::with_capacity(n);
        let mut x: u32 = 1;
        while v.len() < n {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            v.extend_from_slice(format!("line {} value {:x}\n", v.len() / 17, x >> 20).as_bytes());
        }
        v.truncate(n);
        v
    }

    fn gz(data: &[u8], pieces: usize) -> Vec<u8> {
        let mut e = ParGzEncoder::new(Vec::new(), 6);
        for part in data.chunks(data.len().div_ceil(pieces.max(1)).max(1)) {
            e.write_all(part).unwrap();
        }
        e.finish().unwrap()
    }

    #[test]
    fn one_member_that_gunzips_back() {
        for n in [
            0,
            1,
            1000,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            3 * CHUNK + 17,
            11 * CHUNK + 5,
        ] {
            let data = sample(n);
            let z = gz(&data, 7);
            // A single member: the plain (not multi-member) decoder reads
            // all of it.
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&z[..])
                .read_to_end(&mut back)
                .unwrap();
            assert!(back == data, "round trip of {n} bytes");
            let mut d = flate2::read::GzDecoder::new(&z[..]);
            let mut sink = Vec::new();
            d.read_to_end(&mut sink).unwrap();
            assert!(
                d.into_inner().is_empty(),
                "nothing after the member for {n}"
            );
        }
    }

    #[test]
    fn same_bytes_however_written() {
        let data = sample(5 * CHUNK + 123);
        assert_eq!(gz(&data, 1), gz(&data, 13));
        assert_eq!(gz(&data, 1), gz(&data, 5 * CHUNK + 123));
    }
}
