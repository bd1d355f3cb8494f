// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! What a kernel build job stashes for later jobs, beside its kerndist.
//!
//! osstest's kernel build always stashes `kerndist` (a gzipped tar of its
//! `dist/` tree, runvar `path_kerndist`). The runvar
//! [`OUTPUTS_RUNVAR`] (`kernbuild_outputs`) asks for more, as a list of
//! words separated by commas or spaces:
//!
//! | word | output | stashed as (runvar) | file |
//! | --- | --- | --- | --- |
//! | `deb` | a `linux-image-VER` package (see [`crate::kernel::package`]) | `path_kerndeb` | `kerndeb.deb` |
//! | `modules-cpio` | every module, as a gzipped newc cpio rooted at `/` | `path_kernmodscpio` | `kernmodscpio.cpio.gz` |
//! | `dimodules-cpio` | the installer's module subset, dependency-closed, to append to d-i's initrd | `path_kerndimodscpio` | `kerndimodscpio.cpio.gz` |
//! | `none` | nothing beyond kerndist (the same as the runvar absent or empty) | | |
//!
//! The cpios are what [`crate::installer::installer_modules`] writes: the
//! installer subset with the default options, every module with
//! `classic: false, include: ["*"]`.
//!
//! They are optional because each roughly doubles what the build stores.
//! An unknown word is an error naming the runvar, so a typo never quietly
//! produces nothing.

use std::collections::BTreeMap;

use serde::Serialize;

/// Where the `.deb` output is stashed.
pub const PATH_KERNDEB: &str = "path_kerndeb";
/// Where the every-module cpio output is stashed.
pub const PATH_KERNMODSCPIO: &str = "path_kernmodscpio";
/// Where the installer-subset cpio output is stashed (what
/// `installer_modules` writes; ARM test jobs append it to d-i's initrd).
pub const PATH_KERNDIMODSCPIO: &str = "path_kerndimodscpio";

/// The runvar naming a kernel build's extra outputs.
pub const OUTPUTS_RUNVAR: &str = "kernbuild_outputs";

/// An error in the outputs runvar.
#[derive(Debug, thiserror::Error)]
pub enum KernelOutputsError {
    /// A word that names no output.
    #[error("runvar {runvar}={value}: unknown output '{word}' (known: deb, modules-cpio, dimodules-cpio, none)")]
    Unknown {
        /// The runvar.
        runvar: &'static str,
        /// Its whole value.
        value: String,
        /// The word at fault.
        word: String,
    },
    /// `none` together with outputs.
    #[error("runvar {runvar}={value}: 'none' cannot be combined with other outputs")]
    NoneAndMore {
        /// The runvar.
        runvar: &'static str,
        /// Its whole value.
        value: String,
    },
}

/// Which modules a modules cpio holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModulesSelection {
    /// Every module the build installed.
    All,
    /// The installer's subset, closed under module dependencies.
    Installer,
}

/// One output a kernel build stashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Output {
    /// The word in the runvar (`deb`).
    pub word: &'static str,
    /// The stash item (`kerndeb`): the build records the stashed file's
    /// path in runvar `path_ITEM`.
    pub item: &'static str,
    /// `path_ITEM`.
    pub path_runvar: &'static str,
    /// The file name it is stashed under.
    pub file: &'static str,
    /// For a modules cpio, which modules.
    pub modules: Option<ModulesSelection>,
}

/// What a build's runvars ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelOutputs {
    /// A `.deb` is wanted.
    pub deb: bool,
    /// A cpio of every module is wanted.
    pub modules_cpio: bool,
    /// A cpio of the installer subset is wanted.
    pub dimodules_cpio: bool,
    /// The outputs wanted beyond kerndist, in the table's order.
    pub outputs: Vec<Output>,
}

const TABLE: &[Output] = &[
    Output {
        word: "deb",
        item: "kerndeb",
        path_runvar: PATH_KERNDEB,
        file: "kerndeb.deb",
        modules: None,
    },
    Output {
        word: "modules-cpio",
        item: "kernmodscpio",
        path_runvar: PATH_KERNMODSCPIO,
        file: "kernmodscpio.cpio.gz",
        modules: Some(ModulesSelection::All),
    },
    Output {
        word: "dimodules-cpio",
        item: "kerndimodscpio",
        path_runvar: PATH_KERNDIMODSCPIO,
        file: "kerndimodscpio.cpio.gz",
        modules: Some(ModulesSelection::Installer),
    },
];

/// The outputs a kernel build's runvars ask for (see the module docs).
pub fn kernel_outputs(
    runvars: &BTreeMap<String, String>,
) -> Result<KernelOutputs, KernelOutputsError> {
    let value = runvars
        .get(OUTPUTS_RUNVAR)
        .map(String::as_str)
        .unwrap_or("");
    let words: Vec<&str> = value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains(&"none") && words.len() > 1 {
        return Err(KernelOutputsError::NoneAndMore {
            runvar: OUTPUTS_RUNVAR,
            value: value.to_owned(),
        });
    }
    for w in &words {
        if *w != "none" && !TABLE.iter().any(|o| o.word == *w) {
            return Err(KernelOutputsError::Unknown {
                runvar: OUTPUTS_RUNVAR,
                value: value.to_owned(),
                word: (*w).to_owned(),
            });
        }
    }
    let outputs: Vec<Output> = TABLE
        .iter()
        .filter(|o| words.contains(&o.word))
        .cloned()
        .collect();
    let has = |w: &str| outputs.iter().any(|o| o.word == w);
    Ok(KernelOutputs {
        deb: has("deb"),
        modules_cpio: has("modules-cpio"),
        dimodules_cpio: has("dimodules-cpio"),
        outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rv(v: Option<&str>) -> BTreeMap<String, String> {
        let mut r = BTreeMap::new();
        r.insert("arch".to_owned(), "arm64".to_owned());
        if let Some(v) = v {
            r.insert(OUTPUTS_RUNVAR.to_owned(), v.to_owned());
        }
        r
    }

    #[test]
    fn nothing_by_default() {
        for v in [None, Some(""), Some("none"), Some(" , ")] {
            let o = kernel_outputs(&rv(v)).unwrap();
            assert!(!o.deb && !o.modules_cpio && !o.dimodules_cpio, "{v:?}");
            assert!(o.outputs.is_empty());
        }
    }

    #[test]
    fn words() {
        let o = kernel_outputs(&rv(Some("dimodules-cpio, deb"))).unwrap();
        assert!(o.deb && o.dimodules_cpio && !o.modules_cpio);
        let names: Vec<_> = o.outputs.iter().map(|o| o.path_runvar).collect();
        assert_eq!(names, ["path_kerndeb", "path_kerndimodscpio"]);
        assert_eq!(o.outputs[1].modules, Some(ModulesSelection::Installer));
        let o = kernel_outputs(&rv(Some("modules-cpio"))).unwrap();
        assert_eq!(o.outputs[0].file, "kernmodscpio.cpio.gz");
    }

    #[test]
    fn errors_name_the_runvar() {
        let e = kernel_outputs(&rv(Some("deb,debs")))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "runvar kernbuild_outputs=deb,debs: unknown output 'debs' (known: deb, modules-cpio, dimodules-cpio, none)"
        );
        let e = kernel_outputs(&rv(Some("none deb")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("'none' cannot be combined"), "{e}");
    }
}
