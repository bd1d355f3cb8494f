// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The dependency closure of a selection, and why each module is in it.
//!
//! Starting from the modules a [`Selection`] matches, the closure adds,
//! until nothing changes:
//!
//! - every module a selected module's `depends=` names;
//! - every module exporting a symbol a selected module needs (what `depmod`
//!   computes `modules.dep` from; weak references are left out, the module
//!   loads without them);
//! - the modules a `softdep=` line asks to load first (`pre:`), looked up
//!   as `modprobe` looks them up: a module of that name, else a module
//!   built into the kernel image (nothing to add), else the modules whose
//!   `alias=` patterns match it.
//!
//! `post:` soft dependencies are not followed: they are loaded after the
//! module and are not needed for it to work.
//!
//! A dependency the kernel has neither as a module nor built in is
//! reported in [`Closure::missing`], never silently dropped.

use std::collections::{HashMap, VecDeque};

use globset::GlobBuilder;
use serde::Serialize;

use super::{KernelModules, ModulesError, Selection};

/// Why a module is in the closure: the rule that selected it (see
/// [`Selection`] for the order they are tried in), or the module that
/// needed it. In JSON (the manifest, Perl) the rule is `reason`:
/// `include`, `di_initrd`, `udeb`, `needed`, `classic`, `dependency`,
/// `softdep`, with `pattern`, `udeb` or `of` beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// A pattern the caller gave (`include`) matched it.
    Include {
        /// The first such pattern that matched.
        pattern: String,
    },
    /// The d-i initrd being appended to has a module of its name.
    DiInitrd,
    /// A kernel-module udeb d-i would fetch ships a module at its path.
    Udeb {
        /// The udeb, without its kernel ABI (`scsi-modules`).
        udeb: String,
    },
    /// One of what the installer needs beyond the classic list matched it
    /// ([`super::NEEDED_PATTERNS`]).
    Needed {
        /// The first such pattern that matched.
        pattern: String,
    },
    /// osstest's classic path list matched it
    /// ([`super::CLASSIC_PATTERNS`]).
    Classic {
        /// The first such pattern that matched.
        pattern: String,
    },
    /// Another module in the closure needs it (`depends=` or a symbol).
    Dependency {
        /// The module needing it.
        of: String,
    },
    /// Another module in the closure asks for it with `softdep=pre:`.
    Softdep {
        /// The module asking.
        of: String,
    },
}

impl Reason {
    /// Whether a selection rule chose the module (not the closure).
    pub fn is_selected(&self) -> bool {
        !matches!(self, Reason::Dependency { .. } | Reason::Softdep { .. })
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Include { pattern } => write!(f, "include {pattern}"),
            Reason::DiInitrd => write!(f, "d-i initrd"),
            Reason::Udeb { udeb } => write!(f, "udeb {udeb}"),
            Reason::Needed { pattern } => write!(f, "needed {pattern}"),
            Reason::Classic { pattern } => write!(f, "classic {pattern}"),
            Reason::Dependency { of } => write!(f, "dependency of {of}"),
            Reason::Softdep { of } => write!(f, "softdep of {of}"),
        }
    }
}

/// One module of the closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Included {
    /// The module's name.
    pub name: String,
    /// Its path relative to `lib/modules/VERSION`.
    pub path: String,
    /// Why it is in: the first reason found.
    #[serde(flatten)]
    pub reason: Reason,
}

/// How a missing module was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Want {
    /// Named by `depends=`.
    Depends,
    /// Named by `softdep=pre:`.
    Softdep,
}

/// A dependency the kernel does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The name asked for.
    pub name: String,
    /// The module asking.
    pub wanted_by: String,
    /// How it asked.
    pub how: Want,
}

/// A dependency-closed subset of a kernel's modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// The modules, in the kernel's order, each with its reason.
    pub included: Vec<Included>,
    /// Dependencies named but not in the kernel.
    pub missing: Vec<Missing>,
}

impl Closure {
    /// The names of the included modules.
    pub fn names(&self) -> Vec<&str> {
        self.included.iter().map(|m| m.name.as_str()).collect()
    }

    /// The modules the patterns did not select but something needed.
    pub fn added(&self) -> impl Iterator<Item = &Included> {
        self.included.iter().filter(|m| !m.reason.is_selected())
    }

    /// Whether the closure holds the module of this name.
    pub fn contains(&self, name: &str) -> bool {
        let name = super::normalize_name(name);
        self.included.iter().any(|m| m.name == name)
    }
}

/// An alias as kmod compares aliases: `-` read as `_` outside `[...]`.
fn normalize_alias(alias: &str) -> String {
    let mut out = String::with_capacity(alias.len());
    let mut in_class = false;
    for c in alias.chars() {
        match c {
            '[' => in_class = true,
            ']' => in_class = false,
            '-' if !in_class => {
                out.push('_');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

impl KernelModules {
    /// The closure of what `selection` matches in this kernel. An include
    /// pattern (other than the classic ones) that matches no module is an
    /// error naming it, and so is a selection that matches nothing.
    pub fn close(&self, selection: &Selection) -> Result<Closure, ModulesError> {
        let matcher = selection.compile()?;
        let modules = self.modules();
        let unmatched =
            matcher.unmatched_includes(modules.iter().map(|m| (m.path.as_str(), m.name.as_str())));
        if !unmatched.is_empty() {
            return Err(ModulesError::Unmatched(unmatched));
        }
        let mut reasons: Vec<Option<Reason>> = vec![None; modules.len()];
        let mut queue = VecDeque::new();
        for (i, m) in modules.iter().enumerate() {
            if let Some(reason) = matcher.selects(&m.path, &m.name) {
                reasons[i] = Some(reason);
                queue.push_back(i);
            }
        }
        if queue.is_empty() {
            return Err(ModulesError::NothingSelected(selection.describe()));
        }

        // Who exports what, the last module in order winning as in depmod.
        let mut exporters: HashMap<&str, usize> = HashMap::new();
        for (i, m) in modules.iter().enumerate() {
            for sym in &m.info.exports {
                exporters.insert(sym.name.as_str(), i);
            }
        }

        let mut missing = Vec::new();
        // Soft dependencies repeat (crc32c...): look each name up once, and
        // normalise the kernel's aliases only if some lookup needs them.
        let mut memo: HashMap<String, Option<Vec<usize>>> = HashMap::new();
        let mut aliases: Option<Vec<(usize, String)>> = None;
        while let Some(i) = queue.pop_front() {
            let m = &modules[i];
            let mut wants: Vec<(usize, Reason)> = Vec::new();
            let dependency = || Reason::Dependency { of: m.name.clone() };
            for dep in &m.info.depends {
                match self.index_of(dep) {
                    Some(j) => wants.push((j, dependency())),
                    None if self.is_builtin(dep) => {}
                    None => missing.push(Missing {
                        name: dep.clone(),
                        wanted_by: m.name.clone(),
                        how: Want::Depends,
                    }),
                }
            }
            for sym in m.info.undefined.iter().filter(|s| !s.weak) {
                let name = sym.name.strip_prefix('.').unwrap_or(&sym.name);
                if let Some(&j) = exporters.get(name) {
                    if j != i {
                        wants.push((j, dependency()));
                    }
                }
            }
            for soft in &m.info.softdep_pre {
                let found = memo
                    .entry(soft.clone())
                    .or_insert_with(|| self.lookup(soft, &mut aliases))
                    .clone();
                if found.is_none() {
                    missing.push(Missing {
                        name: soft.clone(),
                        wanted_by: m.name.clone(),
                        how: Want::Softdep,
                    });
                }
                for j in found.unwrap_or_default() {
                    wants.push((j, Reason::Softdep { of: m.name.clone() }));
                }
            }
            for (j, reason) in wants {
                if reasons[j].is_none() {
                    reasons[j] = Some(reason);
                    queue.push_back(j);
                }
            }
        }

        let included = modules
            .iter()
            .zip(reasons)
            .filter_map(|(m, reason)| {
                Some(Included {
                    name: m.name.clone(),
                    path: m.path.clone(),
                    reason: reason?,
                })
            })
            .collect();
        Ok(Closure { included, missing })
    }

    /// What `modprobe NAME` would load, as module indexes: `Some(empty)`
    /// when the kernel has it built in, `None` when nothing provides it.
    fn lookup(&self, name: &str, aliases: &mut Option<Vec<(usize, String)>>) -> Option<Vec<usize>> {
        if let Some(i) = self.index_of(name) {
            return Some(vec![i]);
        }
        if self.is_builtin(name) {
            return Some(Vec::new());
        }
        let aliases = aliases.get_or_insert_with(|| {
            let modules = self.modules().iter().enumerate();
            modules
                .flat_map(|(i, m)| m.info.aliases.iter().map(move |a| (i, normalize_alias(a))))
                .collect()
        });
        let wanted = normalize_alias(name);
        let mut found: Vec<usize> = aliases
            .iter()
            .filter(|(_, alias)| alias_matches(alias, &wanted))
            .map(|&(i, _)| i)
            .collect();
        found.dedup();
        (!found.is_empty()).then_some(found)
    }
}

/// Whether an alias pattern (an `fnmatch` pattern) matches `name`. An
/// alias that is not a valid pattern matches only itself.
fn alias_matches(alias: &str, name: &str) -> bool {
    let literal_end = alias.find(['*', '?', '[', '\\']).unwrap_or(alias.len());
    if literal_end == alias.len() {
        return alias == name;
    }
    // Cheap filter first: the literal start must match.
    if !name.starts_with(&alias[..literal_end]) {
        return false;
    }
    match GlobBuilder::new(alias).backslash_escape(true).build() {
        Ok(glob) => glob.compile_matcher().is_match(name),
        Err(_) => alias == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases() {
        assert_eq!(normalize_alias("crypto-crc32c"), "crypto_crc32c");
        assert_eq!(normalize_alias("pci:v*d[0-9]-x"), "pci:v*d[0-9]_x");
        assert!(alias_matches("crc32c", "crc32c"));
        assert!(!alias_matches("crc32c", "crc32"));
        assert!(alias_matches("crypto_crc32c*", "crypto_crc32c_generic"));
        assert!(!alias_matches("of:N*T*Cfoo", "crc32c"));
        assert!(alias_matches("[", "["), "invalid patterns match themselves");
    }
}
