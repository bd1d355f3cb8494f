// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! One file of a kernel source as a visitor sees it.

use std::io::{self, Read};

use super::Role;

/// The kind of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Dir,
    /// A regular file; its bytes are read from the [`Entry`].
    File,
    /// A symbolic link, with its target as written.
    Symlink(String),
    /// A hard link to an earlier member (its normalised name).
    Hardlink(String),
}

/// One file of a kernel source, as a visitor sees it.
pub struct Entry<'a> {
    /// The normalised relative path: no leading `./` or `/`, no `.` or
    /// `..` components, `/`-separated (`lib/modules/6.1.0-50-arm64/...`).
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// What it is for.
    pub role: Role,
    /// The kernel version its name carries, if any.
    pub version: Option<String>,
    /// Permission bits.
    pub mode: u32,
    /// Size in bytes (0 for all but regular files).
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
    /// Where in the source it is (`offset N` in a tar), for messages.
    pub location: String,
    pub(super) data: &'a mut dyn Read,
}

impl Read for Entry<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.data.read(buf)
    }
}

impl Entry<'_> {
    /// Reads the rest of the bytes, refusing more than `limit`.
    pub fn read_all(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        if self.size > limit {
            return Err(io::Error::other(format!(
                "{} bytes, more than the {limit} this reads into memory",
                self.size
            )));
        }
        let mut v = Vec::with_capacity(self.size as usize);
        self.data.read_to_end(&mut v)?;
        Ok(v)
    }
}
