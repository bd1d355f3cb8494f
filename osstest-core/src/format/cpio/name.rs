// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Member names: what the writer accepts, the order it writes them in, and
//! what the reader reports about names it finds.
//!
//! The writer's names are relative (`lib/modules/6.1.0-50-arm64/...`): no
//! leading `/` or `./`, no `.`/`..` or empty components. The kernel unpacks
//! relative to `/`, so `lib/x` and `/lib/x` are the same file to it, and
//! [`normalize`] maps the names found in real archives (`.`, `./bin`,
//! `/lib/...`) to that form for comparing them.

use std::cmp::Ordering;

use serde::Serialize;

/// Why a name read from an archive is unsafe to extract as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name starts with `/`.
    Absolute,
    /// The name has a `..` component.
    DotDot,
    /// The name's bytes are not UTF-8.
    NotUtf8,
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NameProblem::Empty => "empty name",
            NameProblem::Absolute => "absolute name",
            NameProblem::DotDot => "name with a '..' component",
            NameProblem::NotUtf8 => "name not UTF-8",
        })
    }
}

/// What is unsafe about a name found in an archive, if anything.
pub fn problem(name: &str) -> Option<NameProblem> {
    if name.is_empty() {
        Some(NameProblem::Empty)
    } else if name.split('/').any(|c| c == "..") {
        Some(NameProblem::DotDot)
    } else if name.starts_with('/') {
        Some(NameProblem::Absolute)
    } else {
        None
    }
}

/// Checks a name for the writer; the reason if it is refused.
pub fn check(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.len() + 1 > super::PATH_MAX {
        return Err(format!(
            "name is {} bytes, longer than the kernel's PATH_MAX ({})",
            name.len(),
            super::PATH_MAX - 1
        ));
    }
    if name.contains('\0') {
        return Err("name contains a NUL byte".into());
    }
    if name.starts_with('/') {
        return Err("absolute name (names are relative to the archive root)".into());
    }
    if name == super::TRAILER {
        return Err("name is the archive trailer's".into());
    }
    for c in name.split('/') {
        match c {
            "" => return Err("empty path component (doubled or trailing '/')".into()),
            "." => return Err("'.' path component".into()),
            ".." => return Err("'..' path component".into()),
            _ => {}
        }
    }
    Ok(())
}

/// The order the writer writes names in: component by component, bytewise
/// within a component. A directory comes just before its contents, and
/// everything under it comes before its next sibling (`a`, `a/b`, `a/b/c`,
/// `a/b-x`), which is what lets the writer add missing parents as it goes.
pub fn compare(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// A name as the kernel resolves it from `/`, without leading `/` or `./`
/// and without `.` components; `""` for the root itself. `..` components
/// are kept (see [`problem`]).
pub fn normalize(name: &str) -> String {
    let parts: Vec<&str> = name
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_puts_subtrees_together() {
        let mut v = vec!["a/b-x", "a/b/c", "a", "a/b", "a-b", "b"];
        v.sort_by(|x, y| compare(x, y));
        assert_eq!(v, ["a", "a/b", "a/b/c", "a/b-x", "a-b", "b"]);
    }

    #[test]
    fn checks() {
        assert!(check("lib/modules/x.ko").is_ok());
        for bad in [
            "",
            "/etc",
            "a//b",
            "a/",
            "./a",
            "a/../b",
            "..",
            "TRAILER!!!",
            "a\0b",
        ] {
            assert!(check(bad).is_err(), "{bad:?} accepted");
        }
        assert!(check(&"x".repeat(4095)).is_ok());
        assert!(check(&"x".repeat(4096)).is_err());
    }

    #[test]
    fn problems_and_normal_form() {
        assert_eq!(problem("/lib/x"), Some(NameProblem::Absolute));
        assert_eq!(problem("a/../../etc"), Some(NameProblem::DotDot));
        assert_eq!(problem("/.."), Some(NameProblem::DotDot));
        assert_eq!(problem("./bin"), None);
        assert_eq!(normalize("./bin/sh"), "bin/sh");
        assert_eq!(normalize("/lib//x"), "lib/x");
        assert_eq!(normalize("."), "");
    }
}
