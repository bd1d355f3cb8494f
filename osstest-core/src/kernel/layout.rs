// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Where things are in a kernel source: the roles of its paths (see the
//! table in [the module docs](super)), and the one parser of module tree
//! paths, `[usr/]lib/modules/VER/...`.

use serde::Serialize;

use super::modules::plain_module_path;

/// What an entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// `boot/vmlinuz-VER` or `boot/vmlinux-VER`.
    Image,
    /// `boot/System.map-VER`.
    SystemMap,
    /// `boot/config-VER`.
    Config,
    /// A module, `.ko` plain or compressed, under the module tree.
    Module,
    /// Anything else under the module tree (`modules.*` indexes, dirs).
    ModuleTree,
    /// A device tree blob or directory of them.
    Dtb,
    /// Firmware.
    Firmware,
    /// Anything else (documentation, the top directories, ...).
    Other,
}

/// Normalises an archive member name: strips a leading `./`, drops `.`
/// components and empty ones; `..` and an absolute name are errors (GNU
/// tar would strip the `/`; a kernel archive has no reason to hold one,
/// and the POD says they are refused). `""` means the root.
pub fn normalise(name: &str) -> Result<String, String> {
    if name.starts_with('/') {
        return Err(format!("name {name:?} is absolute"));
    }
    let mut parts = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(format!("name {name:?} contains '..'")),
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

fn split_version<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.strip_prefix(prefix).filter(|v| !v.is_empty())
}

/// Says what a normalised path is for, and the kernel version it names.
pub fn classify(path: &str) -> (Role, Option<&str>) {
    if let Some(m) = ModulePath::parse(path) {
        let role = if plain_module_path(m.rest).is_some() {
            Role::Module
        } else {
            Role::ModuleTree
        };
        return (role, Some(m.version));
    }
    let p = path.strip_prefix("usr/").unwrap_or(path);
    if p.starts_with("lib/firmware/") || p == "lib/firmware" {
        return (Role::Firmware, None);
    }
    if let Some(rest) = path.strip_prefix("usr/lib/linux-image-") {
        let ver = rest.split('/').next().unwrap_or(rest);
        return (Role::Dtb, Some(ver));
    }
    if let Some(rest) = path.strip_prefix("boot/") {
        if let Some(d) = rest.strip_prefix("dtbs/") {
            // boot/dtbs/VER/... (dtbs_install's default) or boot/dtbs/...
            let first = d.split('/').next().unwrap_or(d);
            let looks_version = first.chars().next().is_some_and(|c| c.is_ascii_digit());
            return (Role::Dtb, looks_version.then_some(first));
        }
        if rest == "dtbs" {
            return (Role::Dtb, None);
        }
        if !rest.contains('/') {
            for (prefix, role) in [
                ("vmlinuz-", Role::Image),
                ("vmlinux-", Role::Image),
                ("System.map-", Role::SystemMap),
                ("config-", Role::Config),
            ] {
                if let Some(v) = split_version(rest, prefix) {
                    return (role, Some(v));
                }
            }
        }
    }
    (Role::Other, None)
}

/// A path in a module tree, `[usr/]lib/modules/VER[/REST]`, in parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModulePath<'a> {
    /// The module tree: `lib/modules/VER` or `usr/lib/modules/VER`.
    pub dir: &'a str,
    /// The kernel version it is for, `VER`.
    pub version: &'a str,
    /// The path below the tree (`kernel/fs/ext4/ext4.ko`); `""` for the
    /// tree itself.
    pub rest: &'a str,
}

impl<'a> ModulePath<'a> {
    /// Splits a normalised path under a module tree into its parts;
    /// `None` for a path elsewhere.
    pub fn parse(path: &'a str) -> Option<ModulePath<'a>> {
        let start = if path.starts_with("usr/") { 4 } else { 0 };
        let after = path[start..].strip_prefix("lib/modules/")?;
        let (version, rest) = after.split_once('/').unwrap_or((after, ""));
        let end = path.len() - after.len() + version.len();
        Some(ModulePath {
            dir: &path[..end],
            version,
            rest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(
            classify("boot/vmlinuz-6.1.0-50-arm64"),
            (Role::Image, Some("6.1.0-50-arm64"))
        );
        assert_eq!(
            classify("usr/lib/modules/6.12.1/kernel/fs/ext4/ext4.ko.xz"),
            (Role::Module, Some("6.12.1"))
        );
        assert_eq!(
            classify("lib/modules/6.1/modules.order"),
            (Role::ModuleTree, Some("6.1"))
        );
        assert_eq!(classify("lib/modules/6.1"), (Role::ModuleTree, Some("6.1")));
        assert_eq!(
            classify("usr/lib/linux-image-6.1/a/b.dtb"),
            (Role::Dtb, Some("6.1"))
        );
        assert_eq!(classify("boot/dtbs/6.1/a/b.dtb"), (Role::Dtb, Some("6.1")));
        assert_eq!(classify("usr/share/doc/x"), (Role::Other, None));
        assert_eq!(normalise("./a//b/./c").unwrap(), "a/b/c");
        assert!(normalise("/abs").unwrap_err().contains("is absolute"));
        assert!(normalise("a/../../b").is_err());
    }

    #[test]
    fn module_paths() {
        assert_eq!(
            ModulePath::parse("usr/lib/modules/6.12/kernel/fs/ext4/ext4.ko.xz"),
            Some(ModulePath {
                dir: "usr/lib/modules/6.12",
                version: "6.12",
                rest: "kernel/fs/ext4/ext4.ko.xz"
            })
        );
        assert_eq!(
            ModulePath::parse("lib/modules/6.1/modules.order"),
            Some(ModulePath {
                dir: "lib/modules/6.1",
                version: "6.1",
                rest: "modules.order"
            })
        );
        assert_eq!(
            ModulePath::parse("lib/modules/6.1"),
            Some(ModulePath {
                dir: "lib/modules/6.1",
                version: "6.1",
                rest: ""
            })
        );
        assert_eq!(ModulePath::parse("boot/vmlinuz-6.1"), None);
        assert_eq!(ModulePath::parse("usr/lib/firmware/x"), None);
    }
}
