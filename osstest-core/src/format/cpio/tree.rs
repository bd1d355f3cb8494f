// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! A set of entries gathered in any order, written sorted.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::{name, Error, Kind, Result, Writer};

/// Where an entry's content comes from.
#[derive(Debug, Clone)]
enum Item {
    Directory {
        mode: u32,
    },
    File {
        path: PathBuf,
        mode: u32,
        size: u64,
    },
    Bytes {
        data: Vec<u8>,
        mode: u32,
    },
    Symlink {
        target: String,
    },
    HardLink {
        target: String,
    },
    Special {
        kind: Kind,
        mode: u32,
        rdev: (u32, u32),
    },
}

/// Entries collected by name, in any order, then written in
/// [`name::compare`] order with [`Tree::write`]. Files on disk are only
/// opened when written, one at a time.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    items: BTreeMap<String, Item>,
    archive: String,
}

impl Tree {
    /// An empty tree; `archive` names the archive in error messages.
    pub fn new(archive: impl Into<String>) -> Tree {
        Tree {
            items: BTreeMap::new(),
            archive: archive.into(),
        }
    }

    /// Number of entries (not counting parents the writer will add).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The names, in the order they will be written.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.items.keys().map(String::as_str).collect();
        v.sort_by(|a, b| name::compare(a, b));
        v
    }

    fn insert(&mut self, name: &str, item: Item) -> Result<()> {
        name::check(name).map_err(|problem| Error::BadName {
            archive: self.archive.clone(),
            name: name.to_owned(),
            problem,
        })?;
        if self.items.insert(name.to_owned(), item).is_some() {
            return Err(Error::BadName {
                archive: self.archive.clone(),
                name: name.to_owned(),
                problem: "given twice".into(),
            });
        }
        Ok(())
    }

    /// Adds a directory.
    pub fn add_dir(&mut self, name: &str, mode: u32) -> Result<()> {
        self.insert(name, Item::Directory { mode })
    }

    /// Adds the regular file at `path` (its size and permission bits are
    /// taken now, its data when written).
    pub fn add_file(&mut self, name: &str, path: &Path) -> Result<()> {
        let meta = fs::metadata(path).map_err(|e| self.io(path, e))?;
        if !meta.is_file() {
            return Err(self.unsupported(name, format!("{} is not a regular file", path.display())));
        }
        self.insert(
            name,
            Item::File {
                path: path.to_owned(),
                mode: meta.mode() & 0o7777,
                size: meta.len(),
            },
        )
    }

    /// Adds a regular file holding `data`.
    pub fn add_bytes(&mut self, name: &str, mode: u32, data: impl Into<Vec<u8>>) -> Result<()> {
        self.insert(
            name,
            Item::Bytes {
                data: data.into(),
                mode,
            },
        )
    }

    /// Adds a symbolic link.
    pub fn add_symlink(&mut self, name: &str, target: &str) -> Result<()> {
        self.insert(
            name,
            Item::Symlink {
                target: target.to_owned(),
            },
        )
    }

    /// Adds `name` as a hard link to the file `target` of this tree.
    pub fn add_hard_link(&mut self, name: &str, target: &str) -> Result<()> {
        self.insert(
            name,
            Item::HardLink {
                target: target.to_owned(),
            },
        )
    }

    /// Adds a device node, fifo or socket.
    pub fn add_special(
        &mut self,
        name: &str,
        kind: Kind,
        mode: u32,
        rdev: (u32, u32),
    ) -> Result<()> {
        self.insert(name, Item::Special { kind, mode, rdev })
    }

    /// Adds everything under the directory `root` (not `root` itself),
    /// named `prefix/relative/path` (or just the relative path if `prefix`
    /// is empty). Files with several names under `root` become hard links;
    /// symlinks are kept as symlinks. Every name must be UTF-8.
    pub fn add_dir_tree(&mut self, root: &Path, prefix: &str) -> Result<()> {
        let prefix = prefix.trim_matches('/');
        let mut inodes: HashMap<(u64, u64), String> = HashMap::new();
        let mut stack = vec![(root.to_owned(), prefix.to_owned())];
        while let Some((dir, base)) = stack.pop() {
            let mut children: Vec<_> = fs::read_dir(&dir)
                .map_err(|e| self.io(&dir, e))?
                .collect::<io::Result<_>>()
                .map_err(|e| self.io(&dir, e))?;
            children.sort_by_key(|c| c.file_name());
            for child in children {
                let path = child.path();
                let Some(leaf) = child.file_name().to_str().map(str::to_owned) else {
                    return Err(
                        self.unsupported(&path.display().to_string(), "name is not UTF-8".into())
                    );
                };
                let name = if base.is_empty() {
                    leaf
                } else {
                    format!("{base}/{leaf}")
                };
                let meta = fs::symlink_metadata(&path).map_err(|e| self.io(&path, e))?;
                let ft = meta.file_type();
                if ft.is_dir() {
                    self.add_dir(&name, meta.mode() & 0o7777)?;
                    stack.push((path, name));
                } else if ft.is_symlink() {
                    let target = fs::read_link(&path).map_err(|e| self.io(&path, e))?;
                    let Some(target) = target.to_str() else {
                        return Err(self.unsupported(&name, "symlink target is not UTF-8".into()));
                    };
                    self.add_symlink(&name, target)?;
                } else if ft.is_file() {
                    if meta.nlink() > 1 {
                        if let Some(first) = inodes.get(&(meta.dev(), meta.ino())) {
                            let first = first.clone();
                            self.add_hard_link(&name, &first)?;
                            continue;
                        }
                        inodes.insert((meta.dev(), meta.ino()), name.clone());
                    }
                    self.insert(
                        &name,
                        Item::File {
                            path: path.clone(),
                            mode: meta.mode() & 0o7777,
                            size: meta.len(),
                        },
                    )?;
                } else {
                    let kind = if ft.is_char_device() {
                        Kind::CharDevice
                    } else if ft.is_block_device() {
                        Kind::BlockDevice
                    } else if ft.is_fifo() {
                        Kind::Fifo
                    } else {
                        Kind::Socket
                    };
                    let rdev = meta.rdev();
                    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
                    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
                    self.add_special(
                        &name,
                        kind,
                        meta.mode() & 0o7777,
                        (major as u32, minor as u32),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Writes the archive onto `w` (entries sorted, parents added, owner 0,
    /// every mtime `mtime`) and returns `w`.
    pub fn write<W: Write>(&self, w: W, mtime: u32) -> Result<W> {
        // Hard-link groups: the file and its links, by the file's name.
        let mut groups: HashMap<&str, Vec<&str>> = HashMap::new();
        for (n, item) in &self.items {
            if let Item::HardLink { target } = item {
                match self.items.get(target) {
                    Some(Item::File { .. } | Item::Bytes { .. }) => groups
                        .entry(target.as_str())
                        .or_insert_with(|| vec![target.as_str()])
                        .push(n),
                    _ => {
                        return Err(self.unsupported(
                            n,
                            format!(
                            "hard link to {target:?}, which is not a regular file of this archive"
                        ),
                        ))
                    }
                }
            }
        }
        // Each group's data goes with whichever of its names is written
        // first; the others link to that one. Name -> (first, source, nlink).
        let mut link_of: HashMap<&str, (&str, &str, u32)> = HashMap::new();
        for (source, names) in &mut groups {
            names.sort_by(|a, b| name::compare(a, b));
            for n in names.iter() {
                link_of.insert(n, (names[0], source, names.len() as u32));
            }
        }

        let mut writer = Writer::new(w, self.archive.clone(), mtime);
        for n in self.names() {
            if let Some(&(first, source, nlink)) = link_of.get(n) {
                if first == n {
                    self.write_data(&mut writer, n, source, nlink)?;
                } else {
                    writer.hard_link(n, first)?;
                }
                continue;
            }
            match &self.items[n] {
                Item::Directory { mode } => writer.directory(n, *mode)?,
                Item::File { .. } | Item::Bytes { .. } => self.write_data(&mut writer, n, n, 1)?,
                Item::Symlink { target } => writer.symlink(n, target)?,
                Item::Special { kind, mode, rdev } => writer.special(n, *kind, *mode, *rdev)?,
                Item::HardLink { .. } => unreachable!("hard links are in groups"),
            }
        }
        writer.finish()
    }

    /// Writes `name` with the data of the file entry `source`.
    fn write_data<W: Write>(
        &self,
        writer: &mut Writer<W>,
        name: &str,
        source: &str,
        nlink: u32,
    ) -> Result<()> {
        match &self.items[source] {
            Item::File { path, mode, size } => {
                let mut f = File::open(path).map_err(|e| self.io(path, e))?;
                writer.linked_file(name, *mode, *size, nlink, &mut f as &mut dyn Read)
            }
            Item::Bytes { data, mode } => {
                writer.linked_file(name, *mode, data.len() as u64, nlink, &mut data.as_slice())
            }
            _ => unreachable!("only files carry data"),
        }
    }

    fn io(&self, path: &Path, e: io::Error) -> Error {
        Error::Io {
            archive: self.archive.clone(),
            what: format!("reading {}", path.display()),
            offset: 0,
            source: e,
        }
    }

    fn unsupported(&self, name: &str, problem: String) -> Error {
        Error::Unsupported {
            archive: self.archive.clone(),
            name: name.to_owned(),
            problem,
        }
    }
}
