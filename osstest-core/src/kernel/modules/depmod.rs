// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The index files kmod's `depmod` writes, text and binary, for a set of
//! modules.
//!
//! The point is to be *identical* to `depmod -b DIR VERSION` run over a
//! directory holding just these modules and the kernel's `modules.order`,
//! so that tests can compare byte for byte and the installer sees what it
//! would have seen. What `depmod` does, and so what we do:
//!
//! - **Module order.** The modules named in `modules.order` come first, in
//!   its order (a file is matched with its compression suffix removed);
//!   the others follow in the order of depmod's module-name hash table
//!   (see `kmod_hash`). Without `modules.order` the hash order is all.
//! - **Dependencies.** Each exported symbol belongs to the last module, in
//!   that order, exporting it. A module depends on the owners of the
//!   symbols it needs (weak ones included), in the order it needs them.
//!   Modules are then numbered by a topological sort: the modules no other
//!   module needs are roots, taken from a stack (last pushed first); taking
//!   one releases its dependencies in order, pushing those no longer needed
//!   by anything left. A dependency cycle is an error, as in `depmod`.
//! - **`modules.dep`**: one line per module, `PATH:` then every direct
//!   and indirect dependency's path, in topological order (users before
//!   what they use).
//! - **`modules.alias`**, **`modules.softdep`**: every `alias=` and
//!   `softdep=` of every module, in module order then file order.
//! - **`modules.symbols`**: one `alias symbol:NAME MODULE` line per
//!   exported symbol, in depmod's symbol hash table order.
//! - **`modules.devname`**: modules with a `devname:` alias and a
//!   `char-major-` or `block-major-` alias.
//!
//! - **`modules.dep.bin`**, **`modules.alias.bin`**,
//!   **`modules.symbols.bin`**: the same entries as kmod's binary tries
//!   (see `kmod_index`), which are what libkmod reads: without
//!   `modules.dep.bin`, `modprobe` finds no module of the directory. A
//!   module's entries have its place in module order as their priority;
//!   aliases are normalised (`-` read as `_` outside brackets) and one with
//!   an unmatched bracket is left out of the binary index.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::kmod_hash::{sort_as_iterated, MODULE_BUCKETS, SYMBOL_BUCKETS};
use super::kmod_index::{normalize_alias, Index};
use super::{Module, ModulesError};
use crate::format::output::Output;

/// The index files of a set of modules: the text ones, and the binary
/// ones libkmod reads (not serialised: the text says the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indexes {
    /// `modules.dep`.
    pub dep: String,
    /// `modules.alias`.
    pub alias: String,
    /// `modules.softdep`.
    pub softdep: String,
    /// `modules.symbols`.
    pub symbols: String,
    /// `modules.devname`.
    pub devname: String,
    /// `modules.dep.bin`.
    #[serde(skip)]
    pub dep_bin: Vec<u8>,
    /// `modules.alias.bin`.
    #[serde(skip)]
    pub alias_bin: Vec<u8>,
    /// `modules.symbols.bin`.
    #[serde(skip)]
    pub symbols_bin: Vec<u8>,
}

impl Indexes {
    /// Each index file's name and contents.
    pub fn files(&self) -> [(&'static str, &str); 5] {
        [
            ("modules.dep", &self.dep),
            ("modules.alias", &self.alias),
            ("modules.softdep", &self.softdep),
            ("modules.symbols", &self.symbols),
            ("modules.devname", &self.devname),
        ]
    }

    /// Each binary index file's name and contents.
    pub fn binary_files(&self) -> [(&'static str, &[u8]); 3] {
        [
            ("modules.dep.bin", &self.dep_bin),
            ("modules.alias.bin", &self.alias_bin),
            ("modules.symbols.bin", &self.symbols_bin),
        ]
    }

    /// Writes the text and binary index files into `dir`
    /// (`lib/modules/VERSION`), each as an [`Output`]: to an exclusive
    /// temporary name first, then renamed into place.
    pub fn write_to(&self, dir: &Path) -> Result<(), ModulesError> {
        let text = self.files().map(|(n, t)| (n, t.as_bytes()));
        for (name, text) in text.into_iter().chain(self.binary_files()) {
            let mut out = Output::create(&dir.join(name))?;
            out.write_all(text).map_err(out.err("writing"))?;
            out.set_mode(0o644)?;
            out.commit()?;
        }
        Ok(())
    }

    /// Computes the indexes `depmod` writes for exactly `modules`, with the
    /// kernel's `modules.order` text when it has one.
    pub(crate) fn compute(
        modules: &[&Module],
        order: Option<&str>,
    ) -> Result<Indexes, ModulesError> {
        let mods = depmod_order(modules, order);
        let n = mods.len();

        // Symbol owners: the last exporter in module order wins.
        let mut owners: HashMap<&str, usize> = HashMap::new();
        for (i, m) in mods.iter().enumerate() {
            for sym in &m.info.exports {
                owners.insert(sym.name.as_str(), i);
            }
        }

        // Direct dependencies, in the order the symbols are needed.
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut users = vec![0usize; n];
        for (i, m) in mods.iter().enumerate() {
            for sym in &m.info.undefined {
                let name = sym.name.strip_prefix('.').unwrap_or(&sym.name);
                if let Some(&owner) = owners.get(name) {
                    if !deps[i].contains(&owner) {
                        deps[i].push(owner);
                        users[owner] += 1;
                    }
                }
            }
        }

        let rank = topological_rank(&mods, &deps, users)?;

        let mut dep = String::new();
        let mut dep_bin = Index::new();
        let mut seen = vec![false; n];
        for (i, m) in mods.iter().enumerate() {
            let start = dep.len();
            dep.push_str(&m.path);
            dep.push(':');
            let mut all = Vec::new();
            collect_all(i, &deps, &mut seen, &mut all);
            for &j in &all {
                seen[j] = false;
            }
            all.sort_by_key(|&j| rank[j]);
            for j in all {
                dep.push(' ');
                dep.push_str(&mods[j].path);
            }
            dep_bin.insert(&m.name, &dep[start..], i as u32);
            dep.push('\n');
        }

        let mut alias = String::from("# Aliases extracted from modules themselves.\n");
        let mut softdep = String::from("# Soft dependencies extracted from modules themselves.\n");
        let mut devname = String::from("# Device nodes to trigger on-demand module loading.\n");
        let mut alias_bin = Index::new();
        for (i, m) in mods.iter().enumerate() {
            for (key, value) in &m.info.fields {
                match key.as_str() {
                    "alias" => {
                        alias.push_str(&format!("alias {value} {}\n", m.name));
                        if let Some(a) = normalize_alias(value) {
                            alias_bin.insert(&a, &m.name, i as u32);
                        }
                    }
                    "softdep" => softdep.push_str(&format!("softdep {} {value}\n", m.name)),
                    _ => {}
                }
            }
            if let Some(line) = devname_line(m) {
                devname.push_str(&line);
            }
        }

        let mut symbols: Vec<(&str, usize)> = owners.into_iter().collect();
        sort_as_iterated(&mut symbols, SYMBOL_BUCKETS, |(name, _)| name);
        let mut symbols_text = String::from("# Aliases for symbols, used by symbol_request().\n");
        let mut symbols_bin = Index::new();
        for (name, owner) in symbols {
            symbols_text.push_str(&format!("alias symbol:{name} {}\n", mods[owner].name));
            symbols_bin.insert(&format!("symbol:{name}"), &mods[owner].name, owner as u32);
        }

        Ok(Indexes {
            dep,
            alias,
            softdep,
            symbols: symbols_text,
            devname,
            dep_bin: dep_bin.to_bytes(),
            alias_bin: alias_bin.to_bytes(),
            symbols_bin: symbols_bin.to_bytes(),
        })
    }
}

/// The modules in the order `depmod` lists them.
fn depmod_order<'a>(modules: &[&'a Module], order: Option<&str>) -> Vec<&'a Module> {
    let mut mods: Vec<&Module> = modules.to_vec();
    sort_as_iterated(&mut mods, MODULE_BUCKETS, |m| &m.name);
    let Some(order) = order else {
        return mods;
    };
    // depmod ignores a modules.order whose last line is unterminated.
    if !order.is_empty() && !order.ends_with('\n') {
        return mods;
    }
    let lines: Vec<&str> = order.split_terminator('\n').collect();
    let total = lines.len() as i64 + 1;
    let position: HashMap<&str, usize> = mods
        .iter()
        .enumerate()
        .map(|(i, m)| (order_key(m), i))
        .collect();
    // Modules modules.order does not name keep rank 1, after all named ones.
    let mut rank = vec![1i64; mods.len()];
    for (line_no, line) in lines.iter().enumerate() {
        if let Some(&i) = position.get(line) {
            rank[i] = line_no as i64 + 1 - total;
        }
    }
    let mut ranked: Vec<(i64, &Module)> = rank.into_iter().zip(mods).collect();
    ranked.sort_by_key(|&(r, _)| r); // stable, as glibc's merge sort is
    ranked.into_iter().map(|(_, m)| m).collect()
}

/// The path `modules.order` names a module by: its path cut just after
/// the `.ko` following its name (the compression suffix removed).
fn order_key(m: &Module) -> &str {
    let base = m.path.rfind('/').map_or(0, |i| i + 1);
    let end = (base + m.name.len() + 3).min(m.path.len());
    &m.path[..end]
}

/// Each module's rank in depmod's topological sort.
fn topological_rank(
    mods: &[&Module],
    deps: &[Vec<usize>],
    mut users: Vec<usize>,
) -> Result<Vec<usize>, ModulesError> {
    let n = mods.len();
    let mut rank = vec![usize::MAX; n];
    let mut stack: Vec<usize> = (0..n).filter(|&i| users[i] == 0).collect();
    let mut sorted = 0;
    while let Some(src) = stack.pop() {
        rank[src] = sorted;
        sorted += 1;
        for &dst in &deps[src] {
            users[dst] -= 1;
            if users[dst] == 0 {
                stack.push(dst);
            }
        }
    }
    if sorted < n {
        let mut names: Vec<&str> = (0..n)
            .filter(|&i| users[i] > 0)
            .map(|i| mods[i].name.as_str())
            .collect();
        names.sort_unstable();
        return Err(ModulesError::Cycle(names.join(", ")));
    }
    Ok(rank)
}

/// Every direct and indirect dependency of `i`, each once.
fn collect_all(i: usize, deps: &[Vec<usize>], seen: &mut [bool], out: &mut Vec<usize>) {
    for &d in &deps[i] {
        if !seen[d] {
            seen[d] = true;
            out.push(d);
            collect_all(d, deps, seen, out);
        }
    }
}

/// A `scanf("PREFIX%u-%u")` of an alias.
fn major_minor(value: &str, prefix: &str) -> Option<(u32, u32)> {
    fn number(s: &str) -> Option<(u32, &str)> {
        let s = s.trim_start();
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        Some((s[..end].parse().ok()?, &s[end..]))
    }
    let (major, rest) = number(value.strip_prefix(prefix)?)?;
    let (minor, _) = number(rest.strip_prefix('-')?)?;
    Some((major, minor))
}

/// The module's `modules.devname` line, if it has one.
fn devname_line(m: &Module) -> Option<String> {
    let mut devname = None;
    let mut device = None;
    for (key, value) in &m.info.fields {
        if key != "alias" {
            continue;
        }
        if let Some(name) = value.strip_prefix("devname:") {
            devname = Some(name);
        } else if let Some((major, minor)) = major_minor(value, "char-major-") {
            device = Some(('c', major, minor));
        } else if let Some((major, minor)) = major_minor(value, "block-major-") {
            device = Some(('b', major, minor));
        }
        if devname.is_some() && device.is_some() {
            break;
        }
    }
    let (kind, major, minor) = device?;
    Some(format!("{} {} {kind}{major}:{minor}\n", m.name, devname?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::arch::Endian;
    use crate::kernel::modinfo::{ExportedSymbol, ModuleInfo, UndefinedSymbol};

    /// A module exporting `exports` and needing `needs`.
    fn module(path: &str, exports: &[&str], needs: &[&str]) -> Module {
        Module {
            path: path.to_owned(),
            name: super::super::module_name_from_path(path),
            info: ModuleInfo {
                exports: exports
                    .iter()
                    .map(|n| ExportedSymbol {
                        name: n.to_string(),
                        crc: None,
                    })
                    .collect(),
                undefined: needs
                    .iter()
                    .map(|n| UndefinedSymbol {
                        name: n.to_string(),
                        weak: false,
                        crc: None,
                    })
                    .collect(),
                ..ModuleInfo::empty(183, 64, Endian::Little)
            },
        }
    }

    #[test]
    fn order_keys_drop_the_compression_suffix() {
        assert_eq!(
            order_key(&module("kernel/fs/ext4/ext4.ko.xz", &[], &[])),
            "kernel/fs/ext4/ext4.ko"
        );
        assert_eq!(
            order_key(&module("kernel/a-b.ko.zst", &[], &[])),
            "kernel/a-b.ko"
        );
        assert_eq!(order_key(&module("x.ko", &[], &[])), "x.ko");
    }

    #[test]
    fn dependencies_in_topological_order_and_cycles_refused() {
        let a = module("kernel/a.ko.xz", &[], &["b1", "c1"]);
        let b = module("kernel/b.ko", &["b1"], &["c1"]);
        let c = module("kernel/c.ko", &["c1"], &[]);
        let order = "kernel/a.ko\nkernel/b.ko\nkernel/c.ko\n";
        let idx = Indexes::compute(&[&c, &b, &a], Some(order)).unwrap();
        assert_eq!(
            idx.dep,
            "kernel/a.ko.xz: kernel/b.ko kernel/c.ko\nkernel/b.ko: kernel/c.ko\nkernel/c.ko:\n"
        );
        let x = module("kernel/x.ko", &["x1"], &["y1"]);
        let y = module("kernel/y.ko", &["y1"], &["x1"]);
        let e = Indexes::compute(&[&x, &y, &c], None).unwrap_err();
        assert_eq!(e.to_string(), "modules in a dependency cycle: x, y");
    }

    #[test]
    fn scanf_major_minor() {
        assert_eq!(
            major_minor("char-major-10-236", "char-major-"),
            Some((10, 236))
        );
        assert_eq!(major_minor("block-major-9-*", "block-major-"), None);
        assert_eq!(major_minor("char-major-10", "char-major-"), None);
    }
}
