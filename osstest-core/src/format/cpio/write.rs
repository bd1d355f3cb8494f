// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The streaming newc writer.

use crate::format::io::Counting;
use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use super::{name, Error, Kind, Result, TRAILER};

/// Permission bits of directories the writer adds for missing parents.
const PARENT_DIR_MODE: u32 = 0o755;

/// A file written with a link count of 2 or more, waiting for its other
/// names.
struct LinkGroup {
    ino: u32,
    mode: u32,
    nlink: u32,
    names: u32,
}

/// Writes one newc archive, entry by entry, in [`name::compare`] order.
///
/// Every header has owner 0:0, the mtime given to [`Writer::new`], device
/// 0:0 and an inode number counted from 1, so the same entries always give
/// the same bytes. A name's missing parent directories are written first
/// (mode 0755). [`Writer::finish`] writes the trailer and checks that every
/// hard-link group got all the names it declared.
pub struct Writer<W: Write> {
    inner: Counting<W>,
    archive: String,
    mtime: u32,
    next_ino: u32,
    /// The last name written.
    previous: Option<String>,
    /// The directories known to exist: the chain of the last name's
    /// ancestors (all the writer needs, given the order).
    dirs: Vec<String>,
    links: BTreeMap<String, LinkGroup>,
}

impl<W: Write> Writer<W> {
    /// A writer onto `inner`; `archive` names it in error messages; every
    /// entry gets `mtime` (pass `SOURCE_DATE_EPOCH`, or 0).
    pub fn new(inner: W, archive: impl Into<String>, mtime: u32) -> Writer<W> {
        Writer {
            inner: Counting::new(inner),
            archive: archive.into(),
            mtime,
            next_ino: 1,
            previous: None,
            dirs: Vec::new(),
            links: BTreeMap::new(),
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.inner.count
    }

    /// Writes a directory.
    pub fn directory(&mut self, name: &str, mode: u32) -> Result<()> {
        self.begin(name)?;
        let ino = self.ino();
        self.header(name, Kind::Directory, mode, 2, ino, &mut io::empty(), 0)?;
        self.dirs.push(name.to_owned());
        Ok(())
    }

    /// Writes a regular file of `size` bytes read from `data`, which must
    /// give exactly that many.
    pub fn file(&mut self, name: &str, mode: u32, size: u64, data: &mut dyn Read) -> Result<()> {
        self.linked_file(name, mode, size, 1, data)
    }

    /// Writes a regular file whose `size` bytes of data, and the padding
    /// to the next 4-byte boundary after them, `put` writes onto the
    /// underlying writer itself: data compressed ahead of time, say, that
    /// a compressing writer splices in. The writer writes the header.
    pub fn file_with(
        &mut self,
        name: &str,
        mode: u32,
        size: u64,
        put: impl FnOnce(&mut W) -> io::Result<()>,
    ) -> Result<()> {
        let Ok(size32) = u32::try_from(size) else {
            return Err(self.unsupported(
                name,
                format!("{size} bytes is more than newc's 32-bit size field holds"),
            ));
        };
        self.begin(name)?;
        let ino = self.ino();
        let offset = self.inner.count;
        let io_err = |what: String| {
            let archive = self.archive.clone();
            move |e| Error::Io {
                archive,
                what,
                offset,
                source: e,
            }
        };
        // The crate's writer writes the header on its first write() call,
        // even an empty one (write_all(&[]) makes no call); dropped
        // unfinished, it writes nothing else.
        let mut w = self
            .builder(name, Kind::File, mode, 1, ino)
            .write(&mut self.inner, size32);
        w.write(&[])
            .map_err(io_err(format!("writing the header of member {name}")))?;
        drop(w);
        put(&mut self.inner.inner).map_err(io_err(format!("writing member {name}")))?;
        self.inner.count += size + (4 - size % 4) % 4;
        Ok(())
    }

    /// Writes a regular file that will have `nlink` names in this archive:
    /// this one, with the data, then `nlink - 1` [`Writer::hard_link`]s to
    /// it.
    pub fn linked_file(
        &mut self,
        name: &str,
        mode: u32,
        size: u64,
        nlink: u32,
        data: &mut dyn Read,
    ) -> Result<()> {
        if nlink == 0 {
            return Err(self.unsupported(name, "link count 0".into()));
        }
        self.begin(name)?;
        let ino = self.ino();
        self.header(name, Kind::File, mode, nlink, ino, data, size)?;
        if nlink >= 2 {
            self.links.insert(
                name.to_owned(),
                LinkGroup {
                    ino,
                    mode,
                    nlink,
                    names: 1,
                },
            );
        }
        Ok(())
    }

    /// Writes `name` as another name of the file written earlier as
    /// `target` with [`Writer::linked_file`].
    pub fn hard_link(&mut self, name: &str, target: &str) -> Result<()> {
        let Some(group) = self.links.get(target) else {
            return Err(self.unsupported(
                name,
                format!(
                    "hard link to {target:?}, which was not written as a linked file before it"
                ),
            ));
        };
        if group.names >= group.nlink {
            return Err(self.unsupported(
                name,
                format!(
                    "hard link to {target:?}, which declared {} names and has them all",
                    group.nlink
                ),
            ));
        }
        let (ino, mode, nlink) = (group.ino, group.mode, group.nlink);
        self.begin(name)?;
        self.header(name, Kind::File, mode, nlink, ino, &mut io::empty(), 0)?;
        if let Some(g) = self.links.get_mut(target) {
            g.names += 1;
        }
        Ok(())
    }

    /// Writes a symbolic link to `target`.
    pub fn symlink(&mut self, name: &str, target: &str) -> Result<()> {
        if target.is_empty() || target.len() + 1 > super::PATH_MAX || target.contains('\0') {
            return Err(self.unsupported(name, format!("bad symlink target {target:?}")));
        }
        self.begin(name)?;
        let ino = self.ino();
        let mut data = target.as_bytes();
        self.header(
            name,
            Kind::Symlink,
            0o777,
            1,
            ino,
            &mut data,
            target.len() as u64,
        )
    }

    /// Writes a device node, fifo or socket.
    pub fn special(&mut self, name: &str, kind: Kind, mode: u32, rdev: (u32, u32)) -> Result<()> {
        if matches!(kind, Kind::File | Kind::Directory | Kind::Symlink) {
            return Err(self.unsupported(name, format!("{kind:?} is not a special file")));
        }
        self.begin(name)?;
        let ino = self.ino();
        let builder = self
            .builder(name, kind, mode, 1, ino)
            .rdev_major(rdev.0)
            .rdev_minor(rdev.1);
        self.emit(name, builder, &mut io::empty(), 0)
    }

    /// Writes the trailer and returns the underlying writer.
    pub fn finish(self) -> Result<W> {
        self.finish_counted().map(|(w, _)| w)
    }

    /// Writes the trailer and returns the underlying writer and the size
    /// of the archive.
    pub fn finish_counted(mut self) -> Result<(W, u64)> {
        if let Some((name, g)) = self.links.iter().find(|(_, g)| g.names != g.nlink) {
            return Err(self.unsupported(
                name,
                format!(
                    "declared {} names for its hard-link group, the archive has {}",
                    g.nlink, g.names
                ),
            ));
        }
        let builder = cpio::newc::Builder::new(TRAILER).nlink(1);
        self.emit(TRAILER, builder, &mut io::empty(), 0)?;
        self.inner
            .inner
            .flush()
            .map_err(|e| self.io("flushing", e))?;
        Ok((self.inner.inner, self.inner.count))
    }

    /// Checks `name` and its place in the order; writes missing parents.
    fn begin(&mut self, name: &str) -> Result<()> {
        name::check(name).map_err(|problem| Error::BadName {
            archive: self.archive.clone(),
            name: name.to_owned(),
            problem,
        })?;
        if let Some(prev) = &self.previous {
            if name::compare(prev, name) != std::cmp::Ordering::Less {
                return Err(Error::Order {
                    archive: self.archive.clone(),
                    name: name.to_owned(),
                    previous: prev.clone(),
                });
            }
        }
        // Keep only the directories that are ancestors of this name.
        while let Some(d) = self.dirs.last() {
            if name.len() > d.len()
                && name.starts_with(d.as_str())
                && name.as_bytes()[d.len()] == b'/'
            {
                break;
            }
            self.dirs.pop();
        }
        // Add the ancestors not yet written, outermost first.
        let mut missing = Vec::new();
        let mut parent = name;
        while let Some(i) = parent.rfind('/') {
            parent = &parent[..i];
            if self.dirs.last().is_some_and(|d| d == parent) {
                break;
            }
            missing.push(parent.to_owned());
        }
        for dir in missing.into_iter().rev() {
            let ino = self.ino();
            self.header(
                &dir,
                Kind::Directory,
                PARENT_DIR_MODE,
                2,
                ino,
                &mut io::empty(),
                0,
            )?;
            self.dirs.push(dir);
        }
        self.previous = Some(name.to_owned());
        Ok(())
    }

    fn ino(&mut self) -> u32 {
        let ino = self.next_ino;
        self.next_ino += 1;
        ino
    }

    fn builder(
        &self,
        name: &str,
        kind: Kind,
        mode: u32,
        nlink: u32,
        ino: u32,
    ) -> cpio::newc::Builder {
        cpio::newc::Builder::new(name)
            .ino(ino)
            .mode(kind.mode_bits() | (mode & 0o7777))
            .uid(0)
            .gid(0)
            .nlink(nlink)
            .mtime(self.mtime)
    }

    #[allow(clippy::too_many_arguments)]
    fn header(
        &mut self,
        name: &str,
        kind: Kind,
        mode: u32,
        nlink: u32,
        ino: u32,
        data: &mut dyn Read,
        size: u64,
    ) -> Result<()> {
        let builder = self.builder(name, kind, mode, nlink, ino);
        self.emit(name, builder, data, size)
    }

    /// Writes a header, exactly `size` bytes of `data` and the padding.
    fn emit(
        &mut self,
        name: &str,
        builder: cpio::newc::Builder,
        data: &mut dyn Read,
        size: u64,
    ) -> Result<()> {
        let Ok(size32) = u32::try_from(size) else {
            return Err(self.unsupported(
                name,
                format!("{size} bytes is more than newc's 32-bit size field holds"),
            ));
        };
        let offset = self.inner.count;
        let mut w = builder.write(&mut self.inner, size32);
        let copied = io::copy(&mut data.take(size), &mut w).map_err(|e| Error::Io {
            archive: self.archive.clone(),
            what: format!("writing member {name}"),
            offset,
            source: e,
        })?;
        // A source longer than declared is as wrong as a short one.
        let mut extra = [0u8; 1];
        let more = if copied == size {
            loop {
                match data.read(&mut extra) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(Error::Io {
                            archive: self.archive.clone(),
                            what: format!("reading the data of member {name}"),
                            offset,
                            source: e,
                        })
                    }
                }
            }
        } else {
            0
        };
        if copied != size || more != 0 {
            return Err(Error::SizeMismatch {
                archive: self.archive.clone(),
                name: name.to_owned(),
                declared: size,
                actual: copied + more as u64,
            });
        }
        w.finish().map_err(|e| Error::Io {
            archive: self.archive.clone(),
            what: format!("writing member {name}"),
            offset,
            source: e,
        })?;
        Ok(())
    }

    fn unsupported(&self, name: &str, problem: String) -> Error {
        Error::Unsupported {
            archive: self.archive.clone(),
            name: name.to_owned(),
            problem,
        }
    }

    fn io(&self, what: &str, e: io::Error) -> Error {
        Error::Io {
            archive: self.archive.clone(),
            what: what.to_owned(),
            offset: self.inner.count,
            source: e,
        }
    }
}
