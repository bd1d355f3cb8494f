// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! kmod's binary indexes (`modules.dep.bin`, `modules.alias.bin`,
//! `modules.symbols.bin`, `modules.builtin.bin`,
//! `modules.builtin.alias.bin`): what libkmod, and so `modprobe`, reads.
//! libkmod finds a module's dependencies only in `modules.dep.bin`, so a
//! module directory without it is one `modprobe` cannot load from until
//! `depmod` has run.
//!
//! The format, as libkmod reads it: a big-endian header (magic
//! `0xB007F457`, version 2.1, the root node's offset), then a trie whose
//! nodes each carry a prefix (the characters below their parent's edge),
//! children by next character (a first and last character and an offset
//! for each one between), and values (a priority and a string, ordered by
//! priority). A node's offset has flags in its top bits saying which of
//! the three it has. `depmod` writes the nodes children first, in
//! character order, so a trie built from the same keys and values gives
//! the same bytes; tests compare ours with `depmod -b`'s byte for byte.
//! Written here from that description: no crate writes this format.

use std::collections::BTreeMap;

const MAGIC: u32 = 0xB007_F457;
const VERSION: u32 = 0x0002_0001;
const HAS_PREFIX: u32 = 0x8000_0000;
const HAS_VALUES: u32 = 0x4000_0000;
const HAS_CHILDREN: u32 = 0x2000_0000;

#[derive(Default)]
struct Node {
    /// The characters after the edge that leads here.
    prefix: Vec<u8>,
    children: BTreeMap<u8, Node>,
    /// By priority; equal priorities newest first, as `depmod` keeps them.
    values: Vec<(u32, String)>,
}

/// A kmod index being built: keys with prioritised string values.
#[derive(Default)]
pub(crate) struct Index {
    root: Node,
}

impl Index {
    /// An empty index.
    pub(crate) fn new() -> Index {
        Index::default()
    }

    /// Adds `value` under `key`. Keys and values are ASCII without NUL
    /// (the format's own rule): anything else is left out and `false`
    /// returned.
    pub(crate) fn insert(&mut self, key: &str, value: &str, priority: u32) -> bool {
        let ok = |s: &str| s.bytes().all(|b| b != 0 && b < 0x80);
        if !ok(key) || !ok(value) {
            return false;
        }
        let key = key.as_bytes();
        let mut node = &mut self.root;
        let mut i = 0;
        loop {
            // Split the node where its prefix and the key part ways.
            if let Some(j) =
                (0..node.prefix.len()).find(|&j| key.get(i + j) != Some(&node.prefix[j]))
            {
                let rest = node.prefix.split_off(j + 1);
                let edge = node.prefix.pop().expect("j < len");
                let child = Node {
                    prefix: rest,
                    children: std::mem::take(&mut node.children),
                    values: std::mem::take(&mut node.values),
                };
                node.children.insert(edge, child);
            }
            i += node.prefix.len();
            let Some(&ch) = key.get(i) else {
                add_value(&mut node.values, value, priority);
                return true;
            };
            let leaf = !node.children.contains_key(&ch);
            node = node.children.entry(ch).or_insert_with(|| Node {
                prefix: key[i + 1..].to_vec(),
                ..Node::default()
            });
            if leaf {
                add_value(&mut node.values, value, priority);
                return true;
            }
            i += 1;
        }
    }

    /// The index file's bytes.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC.to_be_bytes());
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        let root = write_node(&self.root, &mut out);
        out[8..12].copy_from_slice(&root.to_be_bytes());
        out
    }
}

/// Adds a value before the first of equal or higher priority. A value
/// given twice is kept twice, as `depmod` keeps it (a module with the
/// same alias twice has it twice in `modules.alias.bin`).
fn add_value(values: &mut Vec<(u32, String)>, value: &str, priority: u32) {
    let at = values
        .iter()
        .position(|(p, _)| *p >= priority)
        .unwrap_or(values.len());
    values.insert(at, (priority, value.to_owned()));
}

/// Writes `node` after its children; returns its offset and flags.
fn write_node(node: &Node, out: &mut Vec<u8>) -> u32 {
    let children: Vec<(u8, u32)> = node
        .children
        .iter()
        .map(|(&c, child)| (c, write_node(child, out)))
        .collect();
    let mut offset = u32::try_from(out.len()).expect("an index under 256 MiB");
    if !node.prefix.is_empty() {
        out.extend_from_slice(&node.prefix);
        out.push(0);
        offset |= HAS_PREFIX;
    }
    if let (Some(&(first, _)), Some(&(last, _))) = (children.first(), children.last()) {
        out.push(first);
        out.push(last);
        let mut slots = vec![0u32; usize::from(last - first) + 1];
        for (c, off) in children {
            slots[usize::from(c - first)] = off;
        }
        for s in slots {
            out.extend_from_slice(&s.to_be_bytes());
        }
        offset |= HAS_CHILDREN;
    }
    if !node.values.is_empty() {
        out.extend_from_slice(&(node.values.len() as u32).to_be_bytes());
        for (p, v) in &node.values {
            out.extend_from_slice(&p.to_be_bytes());
            out.extend_from_slice(v.as_bytes());
            out.push(0);
        }
        offset |= HAS_VALUES;
    }
    offset
}

/// The longest alias kmod indexes, in bytes: `alias_normalize` (kmod's
/// shared/util.c) copies at most `PATH_MAX - 1` bytes into its
/// `PATH_MAX` buffer and cuts the rest.
const ALIAS_MAX: usize = 4095;

/// An alias as kmod looks it up: `-` read as `_` except inside `[...]`,
/// cut after [`ALIAS_MAX`] bytes as `depmod` cuts it; `None` for an
/// unmatched bracket (which `depmod` leaves out with a warning), and for a
/// bracket still open at the cut, where `depmod` writes past the end of its
/// buffer (what it then indexes is undefined; we index nothing).
pub(crate) fn normalize_alias(alias: &str) -> Option<String> {
    let b = alias.as_bytes();
    let mut out = Vec::with_capacity(b.len().min(ALIAS_MAX));
    let mut i = 0;
    while i < ALIAS_MAX {
        match b.get(i) {
            None => break,
            Some(b'-') => out.push(b'_'),
            Some(b']') => return None,
            Some(b'[') => {
                let close = i + b[i..].iter().position(|&c| c == b']')?;
                if close >= ALIAS_MAX {
                    return None;
                }
                out.extend_from_slice(&b[i..=close]);
                i = close;
            }
            Some(&c) => out.push(c),
        }
        i += 1;
    }
    // Cutting inside a multi-byte character leaves no string; kmod's
    // indexes hold ASCII only anyway.
    String::from_utf8(out).ok()
}

/// `modules.builtin.bin` from `modules.builtin`: each built-in module's
/// name, with an empty value.
pub(crate) fn builtin_bin(builtin: &str) -> Vec<u8> {
    let mut idx = Index::new();
    for line in builtin.lines() {
        if line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            idx.insert(&super::module_name_from_path(line), "", 0);
        }
    }
    idx.to_bytes()
}

/// `modules.builtin.alias.bin` from `modules.builtin.modinfo` (records
/// `MODULE.KEY=VALUE`, each ended by a NUL): every built-in module's
/// aliases, with the module's name as the value.
pub(crate) fn builtin_alias_bin(modinfo: &[u8]) -> Vec<u8> {
    let mut idx = Index::new();
    for record in modinfo.split(|&b| b == 0) {
        let Ok(record) = std::str::from_utf8(record) else {
            continue;
        };
        let Some((module, alias)) = record
            .split_once('=')
            .and_then(|(k, v)| Some((k.strip_suffix(".alias")?, v)))
        else {
            continue;
        };
        if let Some(alias) = normalize_alias(alias) {
            idx.insert(&alias, module, 0);
        }
    }
    idx.to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a value list back the way libkmod looks a key up.
    fn lookup(bytes: &[u8], key: &str) -> Vec<(u32, String)> {
        let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!(be(0), MAGIC);
        let mut off = be(8);
        let mut key = key.as_bytes();
        loop {
            let mut at = (off & 0x0fff_ffff) as usize;
            if off & HAS_PREFIX != 0 {
                let end = at + bytes[at..].iter().position(|&b| b == 0).unwrap();
                let prefix = &bytes[at..end];
                if !key.starts_with(prefix) {
                    return vec![];
                }
                key = &key[prefix.len()..];
                at = end + 1;
            }
            let mut next = None;
            if off & HAS_CHILDREN != 0 {
                let (first, last) = (bytes[at], bytes[at + 1]);
                if let Some(&c) = key.first() {
                    if (first..=last).contains(&c) {
                        next = Some(be(at + 2 + 4 * usize::from(c - first)));
                    }
                }
                at += 2 + 4 * (usize::from(last - first) + 1);
            }
            if key.is_empty() {
                let mut values = vec![];
                if off & HAS_VALUES != 0 {
                    let n = be(at);
                    at += 4;
                    for _ in 0..n {
                        let p = be(at);
                        at += 4;
                        let end = at + bytes[at..].iter().position(|&b| b == 0).unwrap();
                        values.push((p, String::from_utf8(bytes[at..end].to_vec()).unwrap()));
                        at = end + 1;
                    }
                }
                return values;
            }
            match next {
                Some(o) if o != 0 => {
                    off = o;
                    key = &key[1..];
                }
                _ => return vec![],
            }
        }
    }

    #[test]
    fn keys_split_and_found() {
        let mut idx = Index::new();
        let keys = ["ext4", "ext2", "ext", "e", "xfs", "ext4dev", "a", "zz"];
        for (i, k) in keys.iter().enumerate() {
            assert!(idx.insert(k, &format!("v{i}"), i as u32));
        }
        idx.insert("ext4", "later", 0);
        idx.insert("ext4", "v0", 9);
        let bytes = idx.to_bytes();
        for (i, k) in keys.iter().enumerate() {
            let want: Vec<(u32, String)> = if *k == "ext4" {
                vec![(0, "later".into()), (0, "v0".into()), (9, "v0".into())]
            } else {
                vec![(i as u32, format!("v{i}"))]
            };
            assert_eq!(lookup(&bytes, k), want, "{k}");
        }
        assert!(lookup(&bytes, "ex").is_empty());
        assert!(lookup(&bytes, "ext44").is_empty());
        assert!(!idx.insert("caf\u{e9}", "x", 0));
    }

    #[test]
    fn same_bytes_whatever_the_insertion_order() {
        let keys = [
            "pci:v00008086d*",
            "pci:v000010ECd*",
            "of:N*T*Cfoo",
            "usb:v*",
            "pci:v*",
        ];
        let mut a = Index::new();
        let mut b = Index::new();
        for k in keys {
            a.insert(k, "m", 1);
        }
        for k in keys.iter().rev() {
            b.insert(k, "m", 1);
        }
        assert_eq!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn aliases_normalised_as_kmod_does() {
        assert_eq!(
            normalize_alias("crypto-crc32c").as_deref(),
            Some("crypto_crc32c")
        );
        assert_eq!(
            normalize_alias("of:N*T*Ca-b[x-y]c-d").as_deref(),
            Some("of:N*T*Ca_b[x-y]c_d")
        );
        assert_eq!(normalize_alias("bad[x"), None);
        assert_eq!(normalize_alias("bad]"), None);
    }
}
