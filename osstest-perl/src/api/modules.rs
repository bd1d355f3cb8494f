// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Installer module functions.

use osstest_core::kernel::modules::{
    Included, Indexes, KernelModules, Missing, ModulesError, Selection,
};
use serde::{Deserialize, Serialize};

/// The options of `module_closure`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClosureOpts {
    /// Start from the classic installer patterns (true unless given false).
    pub classic: bool,
    /// More patterns to select (paths or module names).
    pub include: Vec<String>,
    /// Patterns not to select (unless something selected needs them).
    pub exclude: Vec<String>,
    /// Also return the depmod index files of the closed subset.
    pub indexes: bool,
}

impl Default for ClosureOpts {
    fn default() -> Self {
        ClosureOpts {
            classic: true,
            include: Vec::new(),
            exclude: Vec::new(),
            indexes: false,
        }
    }
}

/// What `module_closure` returns.
#[derive(Debug, Serialize)]
pub struct ClosureReport {
    /// Every module of the subset with the reason it is in.
    pub modules: Vec<Included>,
    /// How many the patterns selected.
    pub matched: usize,
    /// How many the closure added for them.
    pub added: usize,
    /// Dependencies named but not in the kernel.
    pub missing: Vec<Missing>,
    /// The index files, when asked for.
    pub indexes: Option<Indexes>,
}

/// `module_closure($moddir, \%opts)`: the dependency-closed installer
/// subset of the modules in an unpacked `lib/modules/VERSION`.
pub fn module_closure(
    moddir: String,
    opts: Option<ClosureOpts>,
) -> Result<ClosureReport, ModulesError> {
    let opts = opts.unwrap_or_default();
    let selection = Selection::from_options(opts.classic, &opts.include, &opts.exclude);
    let kernel = KernelModules::read_dir(moddir.as_ref())?;
    let closure = kernel.close(&selection)?;
    let indexes = if opts.indexes {
        Some(kernel.indexes(&closure.names())?)
    } else {
        None
    };
    let added = closure.added().count();
    Ok(ClosureReport {
        matched: closure.included.len() - added,
        added,
        modules: closure.included,
        missing: closure.missing,
        indexes,
    })
}
