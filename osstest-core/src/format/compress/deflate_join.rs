// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Turning a complete raw deflate stream into one that can be followed by
//! another: its last block stops being the final one, and an empty stored
//! block brings it to a byte boundary (what zlib's `Z_SYNC_FLUSH` ends a
//! piece with).
//!
//! libdeflate, the fastest deflate compressor for its ratio, only writes
//! whole streams: the last block has BFINAL set, and where that block
//! starts and where the stream ends (to the bit) is known only by walking
//! the blocks. This module is that walk: block headers, Huffman tables and
//! symbols are decoded and skipped, nothing is written out, so it costs a
//! small fraction of compressing. Written here because no crate exposes
//! deflate block boundaries; it is checked against flate2's inflater in the
//! tests below and in [`super::pgzip`]'s.

use std::io;

/// Bits of the fast lookup in [`Huffman`]; longer codes take the slow path.
const FAST_BITS: u32 = 11;
/// The longest deflate code.
const MAX_LEN: usize = 15;
/// Extra bits of length symbols 257..=285.
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// The order code-length code lengths come in (RFC 1951, 3.2.7).
const CLEN_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("deflate stream: {what}"),
    )
}

/// Reads a deflate stream's bits, least significant first.
struct Bits<'a> {
    data: &'a [u8],
    /// The next byte to load into `buf`.
    next: usize,
    buf: u64,
    /// Valid bits in `buf`.
    have: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Bits<'a> {
        Bits {
            data,
            next: 0,
            buf: 0,
            have: 0,
        }
    }

    /// Where the next bit is, in bits from the start.
    fn position(&self) -> u64 {
        self.next as u64 * 8 - u64::from(self.have)
    }

    /// Makes at least 56 bits available (zeros past the end, which
    /// [`Bits::check`] catches).
    #[inline]
    fn refill(&mut self) {
        if self.have >= 56 {
            return;
        }
        if let Some(w) = self.data.get(self.next..self.next + 8) {
            let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            self.buf |= w << self.have;
            let bytes = (63 - self.have) / 8;
            self.next += bytes as usize;
            self.have += bytes * 8;
        } else {
            while self.have <= 56 {
                let b = self.data.get(self.next).copied().unwrap_or(0);
                self.buf |= u64::from(b) << self.have;
                self.next += 1;
                self.have += 8;
            }
        }
    }

    #[inline]
    fn peek(&self) -> u64 {
        self.buf
    }

    #[inline]
    fn skip(&mut self, n: u32) {
        self.buf >>= n;
        self.have -= n;
    }

    /// `n` (at most 32) bits; the caller has refilled.
    #[inline]
    fn take(&mut self, n: u32) -> u32 {
        let v = (self.buf & ((1u64 << n) - 1)) as u32;
        self.skip(n);
        v
    }

    /// Fails when the walk has gone past the end of the data.
    fn check(&self) -> io::Result<()> {
        if self.position() > self.data.len() as u64 * 8 {
            Err(bad("truncated"))
        } else {
            Ok(())
        }
    }

    /// Drops the bits up to the next byte boundary.
    fn align(&mut self) {
        let n = self.have % 8;
        self.skip(n);
    }

    /// Continues at byte `at`, dropping what is buffered.
    fn seek_byte(&mut self, at: usize) {
        self.next = at;
        self.buf = 0;
        self.have = 0;
    }
}

/// What a decoded symbol is, for walking.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A literal byte, or a distance code.
    Plain,
    /// A length: a distance code follows.
    Length,
    /// End of block.
    End,
}

/// Which symbols a table decodes, to know each one's extra bits.
#[derive(Clone, Copy)]
enum Alphabet {
    LitLen,
    Distance,
    CodeLength,
}

impl Alphabet {
    /// The kind of `sym` and its extra bits (code-length symbols read
    /// theirs themselves).
    fn symbol(self, sym: u16) -> io::Result<(Kind, u32)> {
        Ok(match self {
            Alphabet::LitLen => match sym {
                0..=255 => (Kind::Plain, 0),
                256 => (Kind::End, 0),
                257..=285 => (
                    Kind::Length,
                    u32::from(LENGTH_EXTRA[usize::from(sym - 257)]),
                ),
                _ => return Err(bad("invalid length code")),
            },
            Alphabet::Distance => match sym {
                0..=3 => (Kind::Plain, 0),
                4..=29 => (Kind::Plain, u32::from(sym / 2 - 1)),
                _ => return Err(bad("invalid distance code")),
            },
            Alphabet::CodeLength => (Kind::Plain, 0),
        })
    }
}

/// A fast-table entry packed in a `u32`: the bits to skip for the symbol
/// (code and extra bits) in bits 0-7, its kind in bits 8-9 (0 for codes
/// longer than [`FAST_BITS`]), the symbol in bits 16-31.
const KIND_PLAIN: u32 = 1 << 8;
const KIND_LENGTH: u32 = 2 << 8;
const KIND_END: u32 = 3 << 8;
const KIND_MASK: u32 = 3 << 8;

fn pack(sym: u16, kind: Kind, skip: u32) -> u32 {
    let kind = match kind {
        Kind::Plain => KIND_PLAIN,
        Kind::Length => KIND_LENGTH,
        Kind::End => KIND_END,
    };
    u32::from(sym) << 16 | kind | skip
}

/// A canonical Huffman code for walking: a table of the first
/// [`FAST_BITS`] bits, and counts for the rare longer codes.
struct Huffman {
    alphabet: Alphabet,
    fast: Vec<u32>,
    count: [u16; MAX_LEN + 1],
    /// Symbols by code order.
    sorted: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8], alphabet: Alphabet) -> io::Result<Huffman> {
        let mut count = [0u16; MAX_LEN + 1];
        for &l in lengths {
            count[l as usize] += 1;
        }
        count[0] = 0;
        // Over-subscribed codes cannot be decoded; incomplete ones can.
        let mut left: i32 = 1;
        for &c in &count[1..] {
            left = left * 2 - i32::from(c);
            if left < 0 {
                return Err(bad("over-subscribed Huffman code"));
            }
        }
        let mut offs = [0u16; MAX_LEN + 2];
        for len in 1..=MAX_LEN {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut sorted = vec![0u16; usize::from(offs[MAX_LEN + 1])];
        let mut fast = vec![0u32; 1 << FAST_BITS];
        // The first code of each length.
        let mut next_code = [0u32; MAX_LEN + 1];
        let mut code = 0u32;
        for len in 1..=MAX_LEN {
            next_code[len] = code;
            code = (code + u32::from(count[len])) << 1;
        }
        let mut fill = offs;
        for (sym, &l) in lengths.iter().enumerate() {
            if l == 0 {
                continue;
            }
            let len = usize::from(l);
            sorted[usize::from(fill[len])] = sym as u16;
            fill[len] += 1;
            let c = next_code[len];
            next_code[len] += 1;
            if len as u32 <= FAST_BITS {
                // Symbols that cannot occur in a valid stream stay out of
                // the table and fail on the slow path.
                let Ok((kind, extra)) = alphabet.symbol(sym as u16) else {
                    continue;
                };
                // The stream holds codes most significant bit first.
                let rev = c.reverse_bits() >> (32 - len as u32);
                let entry = pack(sym as u16, kind, len as u32 + extra);
                let mut i = rev as usize;
                while i < fast.len() {
                    fast[i] = entry;
                    i += 1 << len;
                }
            }
        }
        Ok(Huffman {
            alphabet,
            fast,
            count,
            sorted,
        })
    }

    /// Skips the next symbol and its extra bits, returning the symbol and
    /// its kind; at least 28 bits must be buffered.
    #[inline(always)]
    fn walk(&self, bits: &mut Bits<'_>) -> io::Result<(u16, Kind)> {
        let e = self.fast[(bits.peek() & ((1 << FAST_BITS) - 1)) as usize];
        let kind = match e & KIND_MASK {
            KIND_PLAIN => Kind::Plain,
            KIND_LENGTH => Kind::Length,
            KIND_END => Kind::End,
            _ => return self.walk_long(bits),
        };
        bits.skip(e & 0xff);
        Ok(((e >> 16) as u16, kind))
    }

    /// [`Huffman::walk`] for codes longer than the fast table: canonical
    /// decoding a bit at a time.
    #[cold]
    fn walk_long(&self, bits: &mut Bits<'_>) -> io::Result<(u16, Kind)> {
        let peek = bits.peek();
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..=MAX_LEN {
            code |= ((peek >> (len - 1)) & 1) as i32;
            let count = i32::from(self.count[len]);
            if code - count < first {
                let sym = self.sorted[(index + code - first) as usize];
                let (kind, extra) = self.alphabet.symbol(sym)?;
                bits.skip(len as u32 + extra);
                return Ok((sym, kind));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(bad("invalid Huffman code"))
    }
}

/// The tables of a fixed-Huffman block.
fn fixed_tables() -> io::Result<(Huffman, Huffman)> {
    let mut lit = [0u8; 288];
    lit[..144].fill(8);
    lit[144..256].fill(9);
    lit[256..280].fill(7);
    lit[280..].fill(8);
    Ok((
        Huffman::new(&lit, Alphabet::LitLen)?,
        Huffman::new(&[5u8; 32], Alphabet::Distance)?,
    ))
}

/// Reads a dynamic block's code description.
fn dynamic_tables(bits: &mut Bits<'_>) -> io::Result<(Huffman, Huffman)> {
    bits.refill();
    let nlit = bits.take(5) as usize + 257;
    let ndist = bits.take(5) as usize + 1;
    let nclen = bits.take(4) as usize + 4;
    if nlit > 286 || ndist > 30 {
        return Err(bad("too many length or distance codes"));
    }
    let mut clen = [0u8; 19];
    bits.refill();
    for &i in &CLEN_ORDER[..nclen] {
        clen[i] = bits.take(3) as u8;
    }
    let clen = Huffman::new(&clen, Alphabet::CodeLength)?;
    let mut lengths = [0u8; 286 + 30];
    let mut i = 0;
    while i < nlit + ndist {
        bits.refill();
        let (sym, _) = clen.walk(bits)?;
        let (value, repeat) = match sym {
            0..=15 => (sym as u8, 1),
            16 => {
                let prev = *lengths[..i]
                    .last()
                    .ok_or_else(|| bad("repeat with no length"))?;
                (prev, 3 + bits.take(2) as usize)
            }
            17 => (0, 3 + bits.take(3) as usize),
            _ => (0, 11 + bits.take(7) as usize),
        };
        if i + repeat > nlit + ndist {
            return Err(bad("code lengths overrun"));
        }
        lengths[i..i + repeat].fill(value);
        i += repeat;
    }
    bits.check()?;
    if lengths[256] == 0 {
        return Err(bad("no end-of-block code"));
    }
    Ok((
        Huffman::new(&lengths[..nlit], Alphabet::LitLen)?,
        Huffman::new(&lengths[nlit..nlit + ndist], Alphabet::Distance)?,
    ))
}

/// Skips a compressed block's symbols up to and including end-of-block.
fn skip_symbols(bits: &mut Bits<'_>, lit: &Huffman, dist: &Huffman) -> io::Result<()> {
    // Past the end the reader gives zeros, which may decode forever.
    let limit = bits.data.len() + 8;
    loop {
        // 15 + 5 bits of length and 15 + 13 of distance at most.
        if bits.have < 48 {
            bits.refill();
            if bits.next > limit {
                return Err(bad("truncated"));
            }
        }
        match lit.walk(bits)?.1 {
            Kind::Plain => {}
            Kind::Length => {
                dist.walk(bits)?;
            }
            Kind::End => return bits.check(),
        }
    }
}

/// Where a complete stream's last block header is and where the stream
/// ends, in bits from the start.
fn last_block(data: &[u8]) -> io::Result<(u64, u64)> {
    let mut bits = Bits::new(data);
    let mut fixed: Option<(Huffman, Huffman)> = None;
    loop {
        let header = bits.position();
        bits.refill();
        let last = bits.take(1) == 1;
        match bits.take(2) {
            0 => {
                bits.align();
                let at = (bits.position() / 8) as usize;
                let head = data
                    .get(at..at + 4)
                    .ok_or_else(|| bad("truncated stored block"))?;
                let len = u16::from_le_bytes([head[0], head[1]]);
                let nlen = u16::from_le_bytes([head[2], head[3]]);
                if len != !nlen {
                    return Err(bad("stored block length check"));
                }
                let end = at + 4 + usize::from(len);
                if end > data.len() {
                    return Err(bad("truncated stored block"));
                }
                bits.seek_byte(end);
            }
            1 => {
                if fixed.is_none() {
                    fixed = Some(fixed_tables()?);
                }
                let (lit, dist) = fixed.as_ref().expect("just built");
                skip_symbols(&mut bits, lit, dist)?;
            }
            2 => {
                let (lit, dist) = dynamic_tables(&mut bits)?;
                skip_symbols(&mut bits, &lit, &dist)?;
            }
            _ => return Err(bad("reserved block type")),
        }
        if last {
            return Ok((header, bits.position()));
        }
    }
}

/// Makes the complete raw deflate stream `data` joinable: its final block
/// is no longer final, and an empty stored block ends it on a byte
/// boundary, so another stream's bytes can follow it directly.
pub(crate) fn unfinalize(data: &mut Vec<u8>) -> io::Result<()> {
    let (header, end) = last_block(data)?;
    if end.div_ceil(8) != data.len() as u64 {
        return Err(bad("bytes after the final block"));
    }
    data[(header / 8) as usize] &= !(1u8 << (header % 8));
    // Clear any padding bits, then a stored block header (three zero
    // bits) at `end`, padded to a byte boundary, and LEN 0, NLEN 0xffff.
    if end % 8 != 0 {
        let last = data.len() - 1;
        data[last] &= (1u8 << (end % 8)) - 1;
    }
    data.resize((end + 3).div_ceil(8) as usize, 0);
    data.extend_from_slice(&[0, 0, 0xff, 0xff]);
    Ok(())
}

/// The end of a joined stream: an empty final fixed-Huffman block, byte
/// aligned (what zlib writes when finishing after a sync flush).
pub(crate) const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn inflate(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(raw)
            .read_to_end(&mut out)
            .expect("inflates");
        out
    }

    fn libdeflate(level: i32, data: &[u8]) -> Vec<u8> {
        let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::new(level).unwrap());
        let mut out = vec![0; c.deflate_compress_bound(data.len())];
        let n = c.deflate_compress(data, &mut out).unwrap();
        out.truncate(n);
        out
    }

    fn samples() -> Vec<Vec<u8>> {
        let mut x: u32 = 7;
        let mut noise = Vec::new();
        for _ in 0..300_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            noise.push((x >> 16) as u8);
        }
        let mut text = Vec::new();
        for i in 0..40_000 {
            text.extend_from_slice(
                format!("module{} alias=pci:v{:08X}d*\n", i % 97, i * 31).as_bytes(),
            );
        }
        vec![
            vec![],
            b"a".to_vec(),
            b"abcabcabcabcabcabc".to_vec(),
            vec![0; 200_000],
            noise,
            text,
        ]
    }

    /// Every level of libdeflate (stored, fixed and dynamic blocks; short
    /// and long codes), each stream walked, unfinalized and followed by
    /// another: the joined stream inflates to both inputs.
    #[test]
    fn libdeflate_streams_join() {
        let samples = samples();
        for level in 0..=12 {
            for a in &samples {
                for b in &samples[..3] {
                    let mut joined = libdeflate(level, a);
                    unfinalize(&mut joined).unwrap();
                    joined.extend(libdeflate(level, b));
                    let mut want = a.clone();
                    want.extend_from_slice(b);
                    assert_eq!(
                        inflate(&joined),
                        want,
                        "level {level}, {} + {}",
                        a.len(),
                        b.len()
                    );
                }
            }
        }
    }

    /// zlib's streams too (a different block layout), ended with the
    /// constant final block.
    #[test]
    fn zlib_streams_and_final_block() {
        for level in [0, 1, 6, 9] {
            let mut joined = Vec::new();
            let mut want = Vec::new();
            for s in samples() {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
                std::io::Write::write_all(&mut e, &s).unwrap();
                let mut piece = e.finish().unwrap();
                unfinalize(&mut piece).unwrap();
                joined.extend(piece);
                want.extend(s);
            }
            joined.extend_from_slice(&FINAL_BLOCK);
            assert_eq!(inflate(&joined), want, "level {level}");
        }
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let good = libdeflate(6, &samples()[5]);
        for cut in [0, 1, 2, 10, good.len() / 2, good.len() - 1] {
            let mut v = good[..cut].to_vec();
            assert!(unfinalize(&mut v).is_err(), "cut at {cut}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(unfinalize(&mut longer).is_err());
        let mut x: u32 = 1;
        for i in 0..2000 {
            let mut v = good.clone();
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let at = (x as usize >> 3) % v.len();
            v[at] ^= 1 << (i % 8);
            let _ = unfinalize(&mut v);
        }
    }
}
