// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The kernel tree a package is made from, and where each of its files
//! goes in the package (see the docs of [`super`]).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::kernel::ModulePath;

use super::DebWriteError;

/// One entry of the package's data, by its path in the package.
#[derive(Debug)]
pub(super) enum Node {
    /// A directory.
    Dir,
    /// A file of the tree: where, its size, whether executable.
    File {
        /// Its path in the tree.
        src: PathBuf,
        /// Its size when the tree was read.
        size: u64,
        /// Whether it has an execute bit.
        exec: bool,
    },
    /// A symbolic link, with its target.
    Symlink {
        /// The target, as written.
        target: PathBuf,
    },
}

/// The files `depmod` generates in a modules directory.
fn is_depmod_output(name: &str) -> bool {
    matches!(
        name,
        "modules.dep"
            | "modules.alias"
            | "modules.symbols"
            | "modules.devname"
            | "modules.softdep"
            | "modules.weakdep"
    ) || (name.starts_with("modules.") && name.ends_with(".bin"))
}

/// The kernel release of a tree: the `VER` of its one `boot/vmlinuz-VER`
/// (or `boot/vmlinux-VER`).
pub fn tree_release(tree: &Path) -> Result<String, DebWriteError> {
    let boot = tree.join("boot");
    let rd = fs::read_dir(&boot).map_err(|source| DebWriteError::Read {
        tree: tree.to_owned(),
        member: "boot".into(),
        source,
    })?;
    let mut found = Vec::new();
    for e in rd {
        let e = e.map_err(|source| DebWriteError::Read {
            tree: tree.to_owned(),
            member: "boot".into(),
            source,
        })?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(v) = name
            .strip_prefix("vmlinuz-")
            .or_else(|| name.strip_prefix("vmlinux-"))
        {
            found.push(v.to_owned());
        }
    }
    found.sort();
    found.dedup();
    match found.len() {
        1 => Ok(found.pop().unwrap()),
        0 => Err(DebWriteError::Image {
            tree: tree.to_owned(),
            why: "no boot/vmlinuz-VER or boot/vmlinux-VER".into(),
        }),
        _ => Err(DebWriteError::Image {
            tree: tree.to_owned(),
            why: format!(
                "several kernel images (releases {}); name the release",
                found.join(", ")
            ),
        }),
    }
}

/// Collects the package's data from the tree.
pub(super) struct Collector<'a> {
    pub(super) tree: &'a Path,
    pub(super) release: &'a str,
    /// Where modules go in the package (`lib/modules/VER`).
    pub(super) modules_dir: String,
    /// Where DTBs go in the package.
    pub(super) dtb_dir: String,
    /// Every entry of the package, by its path there.
    pub(super) nodes: BTreeMap<PathBuf, Node>,
    /// Members of the tree left out.
    pub(super) skipped: Vec<String>,
}

impl Collector<'_> {
    /// An error reading `member` of the tree.
    pub(super) fn read_err(&self, member: &Path, source: io::Error) -> DebWriteError {
        DebWriteError::Read {
            tree: self.tree.to_owned(),
            member: member.display().to_string(),
            source,
        }
    }

    fn unexpected(&self, member: &Path, why: &'static str) -> DebWriteError {
        DebWriteError::Unexpected {
            tree: self.tree.to_owned(),
            member: member.display().to_string(),
            why,
        }
    }

    /// Where member `rel` of the tree goes in the package: `Ok(None)` for
    /// a directory that only gives structure, `Err` for something that
    /// has no place.
    fn place(&mut self, rel: &Path, is_dir: bool) -> Result<Option<PathBuf>, DebWriteError> {
        let r = self.release;
        let s = rel.to_string_lossy();
        let under = |prefix: &str| -> Option<String> {
            if s == prefix {
                Some(String::new())
            } else {
                s.strip_prefix(prefix)
                    .and_then(|t| t.strip_prefix('/'))
                    .map(str::to_owned)
            }
        };
        if let Some(m) = ModulePath::parse(&s).filter(|m| m.version == r) {
            let t = m.rest;
            if t.is_empty() {
                return Ok(None);
            }
            if t == "build" || t == "source" || (!is_dir && is_depmod_output(t)) {
                self.skipped.push(s.to_string());
                return Ok(None);
            }
            return Ok(Some(Path::new(&self.modules_dir).join(t)));
        }
        if self.debian_own(&s) {
            self.skipped.push(s.to_string());
            return Ok(None);
        }
        for d in [
            format!("boot/dtbs/{r}"),
            format!("usr/lib/linux-image-{r}"),
            "boot/dtbs".to_owned(),
        ] {
            if let Some(t) = under(&d) {
                if t.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(Path::new(&self.dtb_dir).join(t)));
            }
        }
        if is_dir {
            if matches!(
                &*s,
                "boot"
                    | "lib"
                    | "lib/modules"
                    | "usr"
                    | "usr/lib"
                    | "usr/lib/modules"
                    | "usr/share"
                    | "usr/share/doc"
                    | "usr/share/bug"
                    | "usr/share/lintian"
                    | "usr/share/lintian/overrides"
            ) {
                return Ok(None);
            }
            return Err(self.unexpected(rel, "a directory that has no place in a kernel package"));
        }
        let boot_files = [
            format!("boot/vmlinuz-{r}"),
            format!("boot/vmlinux-{r}"),
            format!("boot/System.map-{r}"),
            format!("boot/config-{r}"),
        ];
        if boot_files.iter().any(|b| *b == s) {
            return Ok(Some(rel.to_owned()));
        }
        Err(self.unexpected(
            rel,
            "not part of a kernel image package (expected boot/{vmlinuz,vmlinux,System.map,config}-VER, [usr/]lib/modules/VER/, boot/dtbs/, usr/lib/linux-image-VER/)",
        ))
    }

    /// Whether `path` is the package metadata of the Debian kernel package
    /// the tree was unpacked from (`dpkg-deb -x`): its doc directory,
    /// reportbug script and lintian overrides, named for that package
    /// (`linux-image-VER` or `linux-image-VER-unsigned`). The package
    /// written has its own doc directory; these are skipped, not copied.
    fn debian_own(&self, path: &str) -> bool {
        let r = self.release;
        [
            "usr/share/doc/",
            "usr/share/bug/",
            "usr/share/lintian/overrides/",
        ]
        .iter()
        .filter_map(|d| path.strip_prefix(d))
        .any(|rest| {
            let package = rest.split('/').next().unwrap_or(rest);
            package
                .strip_prefix("linux-image-")
                .and_then(|p| p.strip_prefix(r))
                .is_some_and(|tail| tail.is_empty() || tail == "-unsigned")
        })
    }

    /// Places every member of the tree (see [`Collector::place`]), in
    /// sorted pre-order. `walkdir` keeps its stack on the heap, so a tree
    /// however deep cannot overflow the caller's (a Perl thread's 1 MiB).
    pub(super) fn walk(&mut self) -> Result<(), DebWriteError> {
        let walk = walkdir::WalkDir::new(self.tree)
            .min_depth(1)
            .follow_links(false)
            .sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| {
                let at = e.path().unwrap_or(self.tree);
                let rel = at.strip_prefix(self.tree).unwrap_or(at).to_owned();
                self.read_err(&rel, e.into())
            })?;
            let rel = entry.path().strip_prefix(self.tree).unwrap_or(entry.path());
            self.check_name(rel)?;
            let meta = fs::symlink_metadata(entry.path()).map_err(|e| self.read_err(rel, e))?;
            self.add(rel, &meta)?;
        }
        Ok(())
    }

    /// Refuses a member name dpkg could not carry: one that is not UTF-8
    /// (it would be changed on the way) or holds a newline (dpkg refuses
    /// the package, and its `md5sums` line would split).
    fn check_name(&self, rel: &Path) -> Result<(), DebWriteError> {
        match rel.to_str() {
            None => Err(DebWriteError::Unexpected {
                tree: self.tree.to_owned(),
                member: format!("{rel:?}"),
                why: "a name that is not UTF-8, which a package cannot carry unchanged",
            }),
            Some(s) if s.contains('\n') => Err(DebWriteError::Unexpected {
                tree: self.tree.to_owned(),
                member: format!("{s:?}"),
                why: "a name with a newline, which dpkg refuses (and md5sums cannot list)",
            }),
            Some(_) => Ok(()),
        }
    }

    /// Places member `rel` of the tree, whose metadata is `meta`.
    fn add(&mut self, rel: &Path, meta: &fs::Metadata) -> Result<(), DebWriteError> {
        let ft = meta.file_type();
        let Some(dest) = self.place(rel, ft.is_dir())? else {
            return Ok(());
        };
        if self.nodes.contains_key(&dest) {
            return Err(self.unexpected(
                rel,
                "a second copy of a file already taken from elsewhere in the tree",
            ));
        }
        let node = if ft.is_dir() {
            Node::Dir
        } else if ft.is_file() {
            use std::os::unix::fs::PermissionsExt;
            Node::File {
                src: self.tree.join(rel),
                size: meta.len(),
                exec: meta.permissions().mode() & 0o111 != 0,
            }
        } else if ft.is_symlink() {
            let target = fs::read_link(self.tree.join(rel)).map_err(|e| self.read_err(rel, e))?;
            Node::Symlink { target }
        } else {
            return Err(self.unexpected(rel, "neither a file, a directory nor a symlink"));
        };
        self.nodes.insert(dest, node);
        Ok(())
    }

    /// Adds every parent directory of every entry, and the package's doc
    /// directory.
    pub(super) fn add_parents(&mut self) {
        let paths: Vec<PathBuf> = self.nodes.keys().cloned().collect();
        for p in paths {
            let mut a = p.parent();
            while let Some(d) = a {
                if d.as_os_str().is_empty() {
                    break;
                }
                self.nodes.entry(d.to_owned()).or_insert(Node::Dir);
                a = d.parent();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depmod_outputs() {
        for f in [
            "modules.dep",
            "modules.dep.bin",
            "modules.builtin.alias.bin",
            "modules.alias",
        ] {
            assert!(is_depmod_output(f), "{f}");
        }
        for f in [
            "modules.order",
            "modules.builtin",
            "modules.builtin.modinfo",
            "kernel",
        ] {
            assert!(!is_depmod_output(f), "{f}");
        }
    }

    #[test]
    fn debian_package_metadata_is_skipped_and_nothing_else() {
        let tree = Path::new("/nonexistent");
        let mut c = Collector {
            tree,
            release: "6.1.0-50-arm64",
            modules_dir: "lib/modules/6.1.0-50-arm64".into(),
            dtb_dir: "usr/lib/linux-image-6.1.0-50-arm64".into(),
            nodes: BTreeMap::new(),
            skipped: Vec::new(),
        };
        for (path, is_dir) in [
            ("usr/share", true),
            ("usr/share/lintian/overrides", true),
            ("usr/share/doc/linux-image-6.1.0-50-arm64", true),
            ("usr/share/bug/linux-image-6.1.0-50-arm64-unsigned", true),
            (
                "usr/share/lintian/overrides/linux-image-6.1.0-50-arm64",
                false,
            ),
        ] {
            assert!(
                c.place(Path::new(path), is_dir).unwrap().is_none(),
                "{path}"
            );
        }
        assert_eq!(c.skipped.len(), 3, "{:?}", c.skipped);
        for (path, is_dir) in [
            ("usr/share/doc/linux-image-6.1.0-49-arm64", true),
            ("usr/share/doc/bash", true),
            ("usr/share/man", true),
            ("usr/share/bug/linux-image-6.1.0-50-arm64-dbg", true),
        ] {
            let e = c.place(Path::new(path), is_dir).unwrap_err();
            assert!(e.to_string().contains(path), "{e}");
        }
    }
}
