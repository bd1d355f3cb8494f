// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! A kernel's modules: selection rules, dependency closure and the index
//! files `depmod` writes.
//!
//! osstest appends to the Debian installer's initrd a second cpio holding a
//! *subset* of the new kernel's modules (the whole set is too big to boot).
//! This module decides that subset and writes its indexes:
//!
//! 1. [`KernelModules::parse`] reads every module of a kernel (in parallel)
//!    from its path and plain ELF bytes, plus the kernel's `modules.order`
//!    and `modules.builtin`.
//! 2. A [`Selection`] names the modules wanted, by path or name patterns;
//!    the default is osstest's classic disk / network / filesystem / LVM
//!    subset ([`CLASSIC_PATTERNS`]).
//! 3. [`KernelModules::close`] adds every dependency of what was selected,
//!    whatever its path, and says why each module is in ([`Closure`]).
//!    Dependencies named but absent from the kernel are reported.
//! 4. [`KernelModules::indexes`] computes `modules.dep`, `modules.alias`,
//!    `modules.softdep`, `modules.symbols` and `modules.devname` for the
//!    subset, byte for byte as kmod's `depmod` writes them for the same
//!    files ([`Indexes`]).
//!
//! Module paths are relative to `lib/modules/VERSION` (`kernel/drivers/md/
//! dm-mod.ko`), as `modules.order` and `modules.dep` spell them. A module's
//! name comes from its file name, as `depmod` names it: the part before the
//! first `.`, with `-` turned into `_` (`dm_mod`).

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;
use serde::Serialize;

use crate::kernel::modinfo::{ModinfoError, ModuleInfo};

mod closure;
mod depmod;
mod kmod_hash;
pub(crate) mod kmod_index;
mod select;
mod tree;

pub use closure::{Closure, Included, Missing, Reason, Want};
pub use depmod::Indexes;
pub(crate) use select::Matcher;
pub use select::{Selection, CLASSIC_PATTERNS, NEEDED_PATTERNS};

/// What can go wrong reading a kernel's modules or computing a subset.
#[derive(Debug, thiserror::Error)]
pub enum ModulesError {
    /// A module file could not be read.
    #[error("{path}: {source}")]
    Module {
        /// The module's path, relative to `lib/modules/VERSION`.
        path: String,
        /// What is wrong with it.
        source: ModinfoError,
    },
    /// A path does not end in a module suffix.
    #[error("{0}: not a kernel module file name (expected .ko, .ko.xz, .ko.zst or .ko.gz)")]
    NotModulePath(String),
    /// A path is absolute or climbs out of `lib/modules/VERSION`.
    #[error("{0}: module paths must be relative to lib/modules/VERSION and stay inside it")]
    BadPath(String),
    /// Two files give the same module name.
    #[error("two files for module {name}: {first} and {second}")]
    DuplicateName {
        /// The module name.
        name: String,
        /// The first file.
        first: String,
        /// The second file.
        second: String,
    },
    /// A selection pattern does not compile.
    #[error("bad module selection pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// Why it is rejected.
        message: String,
    },
    /// A module named for the index files is not in the kernel.
    #[error("no module {0} in this kernel")]
    UnknownModule(String),
    /// Modules depend on each other in a loop; `depmod` refuses these too.
    #[error("modules in a dependency cycle: {0}")]
    Cycle(String),
    /// A file or directory of an unpacked kernel could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file or directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A compressed module was found where plain ones are read.
    #[error("{0}: compressed module; modules are read from a directory only when plain (.ko): decompress them first")]
    Compressed(String),
    /// A module file is larger than [`MAX_MODULE_SIZE`]; it is not read.
    #[error("{path}: {size} bytes, over the limit of {limit} bytes for one module (no real module comes near it)")]
    TooBig {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// A directory holds no module at all.
    #[error("{0}: no kernel modules in it (no .ko file at any depth outside build/ and source/)")]
    NoModules(String),
    /// A name in a module tree is not UTF-8 (no module is named so, and
    /// the indexes cannot hold it).
    #[error("{0}: file name is not UTF-8; no kernel module is named so: rename or remove it")]
    NotUtf8(String),
    /// Include patterns that select no module of the kernel (a typo, or a
    /// driver this kernel lacks).
    #[error("include pattern{} {} matched no module of this kernel", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    Unmatched(Vec<String>),
    /// The selection selects nothing at all; what it is
    /// ([`Selection::describe`]).
    #[error("no module of this kernel matches the selection ({0})")]
    NothingSelected(String),
    /// An index file could not be written.
    #[error(transparent)]
    Write(#[from] crate::format::output::OutputError),
}

/// The most bytes one module file may have: it is read whole into memory
/// to parse its ELF metadata. The largest module of a Debian kernel is
/// under 20 MB (bookworm arm64's biggest, plain, is about 12 MB).
pub const MAX_MODULE_SIZE: u64 = 256 << 20;

/// The file name suffixes of kernel modules, plain first.
pub const MODULE_SUFFIXES: &[&str] = &[".ko", ".ko.xz", ".ko.zst", ".ko.gz"];

/// The path with its compression suffix removed (`kernel/fs/ext4/ext4.ko`
/// for `kernel/fs/ext4/ext4.ko.xz`), or `None` if it is not a module path.
pub fn plain_module_path(path: &str) -> Option<&str> {
    MODULE_SUFFIXES.iter().find_map(|suffix| {
        let stem = path.strip_suffix(suffix)?;
        let base = stem.rsplit('/').next().unwrap_or(stem);
        (!base.is_empty()).then(|| &path[..stem.len() + 3])
    })
}

/// The module name `depmod` gives a module file: the file name up to its
/// first `.`, with `-` turned into `_` (`dm_mod` for `.../dm-mod.ko`).
pub fn module_name_from_path(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    normalize_name(base.split('.').next().unwrap_or(base))
}

/// A module name as kmod compares names: `-` and `_` are the same.
pub fn normalize_name(name: &str) -> String {
    name.replace('-', "_")
}

/// One module of a kernel.
#[derive(Debug, Clone, Serialize)]
pub struct Module {
    /// Its path relative to `lib/modules/VERSION`, as given.
    pub path: String,
    /// Its name, from the file name (`dm_mod`).
    pub name: String,
    /// What its ELF file says.
    pub info: ModuleInfo,
}

/// Every module of one kernel, with its `modules.order` and
/// `modules.builtin`.
#[derive(Debug, Clone)]
pub struct KernelModules {
    modules: Vec<Module>,
    by_name: HashMap<String, usize>,
    order: Option<String>,
    builtin: BTreeSet<String>,
}

impl KernelModules {
    /// Reads a kernel's modules.
    ///
    /// `files` holds each module's path relative to `lib/modules/VERSION`
    /// (the path it will be installed under: its suffix, `.ko` or `.ko.xz`,
    /// is what `modules.dep` will say) and its *plain* ELF bytes: the caller
    /// decompresses `.ko.xz` and `.ko.zst` first. `order` and `builtin` are
    /// the contents of the kernel's `modules.order` and `modules.builtin`,
    /// when it has them. Modules are parsed in parallel; the bytes are
    /// borrowed, not kept.
    pub fn parse<B: AsRef<[u8]> + Sync>(
        files: &[(String, B)],
        order: Option<&str>,
        builtin: Option<&str>,
    ) -> Result<KernelModules, ModulesError> {
        for (path, _) in files {
            check_path(path)?;
        }
        let modules = files
            .par_iter()
            .map(|(path, bytes)| {
                let info =
                    ModuleInfo::parse(bytes.as_ref()).map_err(|source| ModulesError::Module {
                        path: path.clone(),
                        source,
                    })?;
                Ok(Module {
                    path: path.clone(),
                    name: module_name_from_path(path),
                    info,
                })
            })
            .collect::<Result<Vec<_>, ModulesError>>()?;
        Self::from_modules(modules, order, builtin)
    }

    /// Builds the set from modules already parsed (by a caller that reads
    /// each module once while streaming a package), with the kernel's
    /// `modules.order` and `modules.builtin` when it has them. Two modules
    /// of one name are an error.
    pub fn from_modules(
        modules: Vec<Module>,
        order: Option<&str>,
        builtin: Option<&str>,
    ) -> Result<KernelModules, ModulesError> {
        let mut by_name = HashMap::with_capacity(modules.len());
        for (i, m) in modules.iter().enumerate() {
            if let Some(prev) = by_name.insert(m.name.clone(), i) {
                return Err(ModulesError::DuplicateName {
                    name: m.name.clone(),
                    first: modules[prev].path.clone(),
                    second: m.path.clone(),
                });
            }
        }
        let builtin = builtin
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| module_name_from_path(l.trim()))
            .collect();
        Ok(KernelModules {
            modules,
            by_name,
            order: order.map(str::to_owned),
            builtin,
        })
    }

    /// The modules, in the order they were given.
    pub fn modules(&self) -> &[Module] {
        &self.modules
    }

    /// The module of this name (`-` and `_` alike), if the kernel has it.
    pub fn get(&self, name: &str) -> Option<&Module> {
        self.index_of(name).map(|i| &self.modules[i])
    }

    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(&normalize_name(name)).copied()
    }

    /// Whether `modules.builtin` names this module (built into the image).
    pub fn is_builtin(&self, name: &str) -> bool {
        self.builtin.contains(&normalize_name(name))
    }

    /// The kernel's `modules.order`, if it was given.
    pub fn order(&self) -> Option<&str> {
        self.order.as_deref()
    }

    /// The index files `depmod` would write for a directory holding just
    /// the named modules (and this kernel's `modules.order`). A name given
    /// twice counts once.
    pub fn indexes<S: AsRef<str>>(&self, names: &[S]) -> Result<Indexes, ModulesError> {
        let mut seen = vec![false; self.modules.len()];
        let mut subset = Vec::with_capacity(names.len());
        for name in names {
            let i = self
                .index_of(name.as_ref())
                .ok_or_else(|| ModulesError::UnknownModule(name.as_ref().to_owned()))?;
            if !std::mem::replace(&mut seen[i], true) {
                subset.push(&self.modules[i]);
            }
        }
        Indexes::compute(&subset, self.order())
    }
}

fn check_path(path: &str) -> Result<(), ModulesError> {
    if path.starts_with('/')
        || path
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty())
    {
        return Err(ModulesError::BadPath(path.to_owned()));
    }
    if plain_module_path(path).is_none() {
        return Err(ModulesError::NotModulePath(path.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_names() {
        assert_eq!(
            plain_module_path("kernel/fs/ext4/ext4.ko.xz"),
            Some("kernel/fs/ext4/ext4.ko")
        );
        assert_eq!(
            plain_module_path("kernel/fs/mbcache.ko"),
            Some("kernel/fs/mbcache.ko")
        );
        assert_eq!(plain_module_path("kernel/fs/ext4/ext4.ko.bz2"), None);
        assert_eq!(plain_module_path("kernel/.ko"), None);
        assert_eq!(
            module_name_from_path("kernel/drivers/md/dm-mod.ko.zst"),
            "dm_mod"
        );
        assert!(matches!(
            check_path("/lib/x.ko"),
            Err(ModulesError::BadPath(_))
        ));
        assert!(matches!(
            check_path("kernel/../x.ko"),
            Err(ModulesError::BadPath(_))
        ));
        assert!(matches!(
            check_path("kernel/x.txt"),
            Err(ModulesError::NotModulePath(_))
        ));
    }

    #[test]
    fn bad_module_names_its_file() {
        let files = vec![("kernel/x.ko".to_owned(), b"nope".to_vec())];
        let e = KernelModules::parse(&files, None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "kernel/x.ko: not an ELF file (no ELF magic number)"
        );
    }
}
