// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Debian suites, in one place: the codenames osstest knows, which of them
//! build hosts run (those [`crate::build::toolchain`] has tables for), and
//! where each puts kernel modules on the systems it installs.

use serde::Serialize;

use crate::build::arch::{Arch, UnknownArch};

/// A Debian suite osstest builds on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Suite {
    /// Debian 9.
    Stretch,
    /// Debian 10.
    Buster,
    /// Debian 11.
    Bullseye,
    /// Debian 12.
    Bookworm,
    /// Debian 13.
    Trixie,
}

/// Every suite we know, oldest first.
pub const SUITES: &[Suite] = &[
    Suite::Stretch,
    Suite::Buster,
    Suite::Bullseye,
    Suite::Bookworm,
    Suite::Trixie,
];

/// Suites newer than every one of [`SUITES`] (testing and unstable): no
/// build host runs them, but a kernel can be packaged for them, laid out
/// as the newest suite's.
const NEWER: &[&str] = &["forky", "sid", "unstable"];

/// The suffixes of suites that install onto their base suite's systems.
const POCKETS: &[&str] = &["-backports", "-security", "-proposed-updates", "-updates"];

/// What [`Suite::by_name`] knows, for its message.
const KNOWN: &str = "stretch, buster, bullseye, bookworm, trixie";

/// What [`ModulesLayout::for_suite`] knows, for its message.
const KNOWN_INSTALLED: &str = "stretch, buster, bullseye, bookworm, trixie, forky, sid; \
     with a -backports, -security, -updates or -proposed-updates suffix too";

/// A suite name we do not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Debian suite '{name}' (known: {known})")]
pub struct UnknownSuite {
    /// The name asked for.
    pub name: String,
    /// The names that would have done.
    pub known: &'static str,
}

impl Suite {
    /// Looks a suite up by its codename (`bookworm`).
    pub fn by_name(name: &str) -> Result<Suite, UnknownSuite> {
        SUITES
            .iter()
            .copied()
            .find(|s| s.name() == name)
            .ok_or_else(|| UnknownSuite {
                name: name.to_owned(),
                known: KNOWN,
            })
    }

    /// The codename: `bookworm`.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Stretch => "stretch",
            Suite::Buster => "buster",
            Suite::Bullseye => "bullseye",
            Suite::Bookworm => "bookworm",
            Suite::Trixie => "trixie",
        }
    }

    /// Where the suite's systems keep kernel modules: merged /usr came with
    /// trixie.
    pub fn modules_layout(self) -> ModulesLayout {
        if self >= Suite::Trixie {
            ModulesLayout::UsrLib
        } else {
            ModulesLayout::Lib
        }
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a suite puts kernel modules: the usr-merged layout came with trixie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModulesLayout {
    /// `lib/modules/VER/`: up to bookworm.
    Lib,
    /// `usr/lib/modules/VER/`: trixie and later.
    UsrLib,
}

impl ModulesLayout {
    /// The layout of the suite a system is installed with: a codename of
    /// [`SUITES`], `forky`, `sid` or `unstable`, or any of them with a
    /// `-backports`, `-security`, `-updates` or `-proposed-updates` suffix
    /// (those install onto the base suite's systems).
    pub fn for_suite(suite: &str) -> Result<ModulesLayout, UnknownSuite> {
        let base = POCKETS
            .iter()
            .find_map(|s| suite.strip_suffix(s))
            .unwrap_or(suite);
        if NEWER.contains(&base) {
            return Ok(ModulesLayout::UsrLib);
        }
        Suite::by_name(base)
            .map(Suite::modules_layout)
            .map_err(|_| UnknownSuite {
                name: suite.to_owned(),
                known: KNOWN_INSTALLED,
            })
    }

    /// The modules directory for kernel release `release`, relative to
    /// `/`, without a trailing slash: `lib/modules/6.1.0-1-arm64`.
    pub fn modules_dir(self, release: &str) -> String {
        match self {
            ModulesLayout::Lib => format!("lib/modules/{release}"),
            ModulesLayout::UsrLib => format!("usr/lib/modules/{release}"),
        }
    }
}

/// The system a kernel is installed on: its Debian architecture and the
/// layout of its suite.
#[derive(Debug, Clone, Copy)]
pub struct TargetSystem {
    /// Its architecture.
    pub arch: &'static Arch,
    /// Where its suite keeps modules.
    pub layout: ModulesLayout,
}

/// The architecture or the suite of a target system is not one we know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownTarget {
    /// The architecture.
    #[error(transparent)]
    Arch(#[from] UnknownArch),
    /// The suite.
    #[error(transparent)]
    Suite(#[from] UnknownSuite),
}

impl TargetSystem {
    /// Debian architecture `arch` installed with `suite` (see
    /// [`ModulesLayout::for_suite`]); the architecture is checked first.
    pub fn new(arch: &str, suite: &str) -> Result<TargetSystem, UnknownTarget> {
        Ok(TargetSystem {
            arch: Arch::by_debian(arch)?,
            layout: ModulesLayout::for_suite(suite)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_by_name() {
        for s in SUITES {
            assert_eq!(Suite::by_name(s.name()).unwrap(), *s);
        }
        let e = Suite::by_name("sid").unwrap_err().to_string();
        assert!(e.contains("'sid'") && e.contains("bookworm"), "{e}");
        let names: Vec<&str> = SUITES.iter().map(|s| s.name()).collect();
        assert_eq!(KNOWN, names.join(", "));
        assert!(KNOWN_INSTALLED.starts_with(&format!("{KNOWN}, forky, sid;")));
    }

    #[test]
    fn layouts() {
        for (suite, layout) in [
            ("stretch", ModulesLayout::Lib),
            ("bookworm", ModulesLayout::Lib),
            ("bookworm-backports", ModulesLayout::Lib),
            ("trixie", ModulesLayout::UsrLib),
            ("trixie-security", ModulesLayout::UsrLib),
            ("sid", ModulesLayout::UsrLib),
        ] {
            assert_eq!(ModulesLayout::for_suite(suite).unwrap(), layout, "{suite}");
        }
        assert_eq!(
            ModulesLayout::UsrLib.modules_dir("6.12.1"),
            "usr/lib/modules/6.12.1"
        );
        let e = ModulesLayout::for_suite("woody").unwrap_err().to_string();
        assert!(e.contains("'woody'"), "{e}");
    }
}
