// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The iteration order of kmod's string hash table.
//!
//! `depmod` writes `modules.symbols` by walking its symbol hash table, and
//! builds its initial module list by walking its module-name table, so
//! their order is the table's: buckets in index order, each bucket's keys
//! sorted by `strcmp`. The bucket of a key is Paul Hsieh's "SuperFastHash"
//! of it, masked by the (power-of-two) bucket count. This module computes
//! that order; it is written from the description of the algorithm, not
//! from kmod's code.
//!
//! kmod reads the key's 16-bit words in the machine's byte order and its
//! odd trailing bytes as `char`; we compute what `depmod` computes on a
//! little-endian machine with signed `char` (x86). Kernel symbol and
//! module names are ASCII, where the signedness of `char` makes no
//! difference.

/// Bucket count of `depmod`'s symbol table.
pub(crate) const SYMBOL_BUCKETS: u32 = 2048;
/// Bucket count of `depmod`'s module-name table.
pub(crate) const MODULE_BUCKETS: u32 = 512;

fn word(bytes: &[u8]) -> u32 {
    u32::from(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn signed_char(b: u8) -> u32 {
    b as i8 as i32 as u32
}

/// SuperFastHash of `key`, with 32-bit wrapping arithmetic.
pub(crate) fn superfast(key: &[u8]) -> u32 {
    let mut hash = key.len() as u32;
    let mut chunks = key.chunks_exact(4);
    for chunk in &mut chunks {
        hash = hash.wrapping_add(word(chunk));
        let tmp = (word(&chunk[2..]) << 11) ^ hash;
        hash = (hash << 16) ^ tmp;
        hash = hash.wrapping_add(hash >> 11);
    }
    let rest = chunks.remainder();
    match rest.len() {
        3 => {
            hash = hash.wrapping_add(word(rest));
            hash ^= hash << 16;
            hash ^= signed_char(rest[2]) << 18;
            hash = hash.wrapping_add(hash >> 11);
        }
        2 => {
            hash = hash.wrapping_add(word(rest));
            hash ^= hash << 11;
            hash = hash.wrapping_add(hash >> 17);
        }
        1 => {
            hash = hash.wrapping_add(signed_char(rest[0]));
            hash ^= hash << 10;
            hash = hash.wrapping_add(hash >> 1);
        }
        _ => {}
    }
    hash ^= hash << 3;
    hash = hash.wrapping_add(hash >> 5);
    hash ^= hash << 4;
    hash = hash.wrapping_add(hash >> 17);
    hash ^= hash << 25;
    hash = hash.wrapping_add(hash >> 6);
    hash
}

/// Sorts distinct `keys` into the order kmod's table of `buckets` buckets
/// iterates them.
pub(crate) fn sort_as_iterated<T>(items: &mut [T], buckets: u32, key: impl Fn(&T) -> &str) {
    debug_assert!(buckets.is_power_of_two());
    items.sort_by_cached_key(|item| {
        let k = key(item);
        (superfast(k.as_bytes()) & (buckets - 1), k.to_owned())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_key_and_bucket_order() {
        assert_eq!(superfast(b""), 0);
        // The four remainder paths must not panic on short keys.
        for k in ["a", "ab", "abc", "abcd", "dm_mod"] {
            superfast(k.as_bytes());
        }
        let mut names = vec!["b", "a", "c"];
        sort_as_iterated(&mut names, 1, |s| s);
        assert_eq!(names, ["a", "b", "c"], "one bucket: strcmp order");
    }
}
