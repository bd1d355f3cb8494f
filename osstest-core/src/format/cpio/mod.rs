// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! newc cpio archives (`070701`, and `070702` for reading): the format of
//! Linux initramfs images and of the Debian installer's `initrd.gz`.
//!
//! - [`Writer`] writes one archive, one entry at a time, streaming each
//!   file's data from a [`std::io::Read`] of known size: nothing is held in
//!   memory. Its output is deterministic: owner 0, one fixed mtime (the
//!   caller's `SOURCE_DATE_EPOCH`, passed in), inode numbers counted from 1,
//!   names in [`name::compare`] order (checked), missing parent directories
//!   written before their children.
//! - [`Tree`] collects entries in any order (files on disk, directories,
//!   symlinks, hard links), then writes them sorted with a [`Writer`].
//! - [`Reader`] reads entries in order, each file's data through a reader
//!   bounded to that entry. It checks `070702` checksums, refuses absurd
//!   name and symlink sizes before allocating, and names the member and
//!   offset when the input is cut short. Names that would escape an
//!   extraction root (`/abs`, `..`) are read as they are and reported by
//!   [`Entry::name_problem`]; callers decide. Between archives it skips
//!   at most [`MAX_PADDING`] zero bytes.
//!
//! Hard links follow the kernel's rule (init/initramfs.c links entries
//! with the same inode number when `nlink >= 2`): the first name carries
//! the data and the link count, later names are written with size 0 and
//! the same inode. GNU cpio and libarchive extract that layout as links.
//!
//! The `cpio` crate (0.4) encodes our headers ([`cpio::newc::Builder`]).
//! Its reader is not used: it has no `070702` checksum check, keeps no
//! offsets for error messages, requires UTF-8 names and silently strips
//! NULs from them, and its writer pads nothing when an entry is short, so
//! our [`Writer`] checks sizes itself.

pub mod name;
mod read;
mod tree;
mod write;

pub use read::{EntryData, Reader};
pub use tree::Tree;
pub use write::Writer;

use serde::Serialize;

/// The newc magic.
pub const MAGIC_NEWC: &[u8; 6] = b"070701";
/// The newc-with-checksum magic (read only).
pub const MAGIC_CRC: &[u8; 6] = b"070702";
/// The name of the entry that ends an archive.
pub const TRAILER: &str = "TRAILER!!!";
/// Size of a newc header, before the name.
pub const HEADER_LEN: usize = 110;
/// Longest name (with its NUL) the kernel accepts: `PATH_MAX`.
pub const PATH_MAX: usize = 4096;
/// The most zero bytes in a row [`Reader::next_archive`] skips after a
/// trailer before giving up: the kernel skips any amount, but real images
/// pad to a block at most, and an endless input must end.
pub const MAX_PADDING: u64 = 16 << 20;

/// File type bits of a mode.
pub const S_IFMT: u32 = 0o170000;
const S_IFSOCK: u32 = 0o140000;
const S_IFLNK: u32 = 0o120000;
const S_IFREG: u32 = 0o100000;
const S_IFBLK: u32 = 0o060000;
const S_IFDIR: u32 = 0o040000;
const S_IFCHR: u32 = 0o020000;
const S_IFIFO: u32 = 0o010000;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A regular file (or, with `nlink >= 2`, one name of a hard-linked file).
    File,
    /// A directory.
    Directory,
    /// A symbolic link; its data is the target.
    Symlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// A socket.
    Socket,
}

impl Kind {
    /// The kind a mode's file type bits say, if they name one.
    pub fn from_mode(mode: u32) -> Option<Kind> {
        Some(match mode & S_IFMT {
            S_IFREG => Kind::File,
            S_IFDIR => Kind::Directory,
            S_IFLNK => Kind::Symlink,
            S_IFCHR => Kind::CharDevice,
            S_IFBLK => Kind::BlockDevice,
            S_IFIFO => Kind::Fifo,
            S_IFSOCK => Kind::Socket,
            _ => return None,
        })
    }

    /// The file type bits for this kind.
    pub fn mode_bits(self) -> u32 {
        match self {
            Kind::File => S_IFREG,
            Kind::Directory => S_IFDIR,
            Kind::Symlink => S_IFLNK,
            Kind::CharDevice => S_IFCHR,
            Kind::BlockDevice => S_IFBLK,
            Kind::Fifo => S_IFIFO,
            Kind::Socket => S_IFSOCK,
        }
    }
}

/// One entry's header, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The name as stored (lossily made UTF-8; see [`Entry::name_problem`]).
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// The whole mode: file type and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Link count.
    pub nlink: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u32,
    /// Size of the data (for a symlink, of its target).
    pub size: u64,
    /// Inode number (links share one).
    pub ino: u32,
    /// Device the inode lives on, major and minor.
    pub dev: (u32, u32),
    /// The device a device node is, major and minor.
    pub rdev: (u32, u32),
    /// The `070702` checksum (sum of the data bytes), if the entry has one.
    pub checksum: Option<u32>,
    /// A symlink's target.
    pub link_target: Option<String>,
    /// The name's bytes were not UTF-8.
    pub name_lossy: bool,
    /// Offset of the header in the archive stream.
    pub offset: u64,
}

impl Entry {
    /// Why this name should not be extracted as it is, if it should not:
    /// absolute, `..` components, empty or not UTF-8.
    pub fn name_problem(&self) -> Option<name::NameProblem> {
        if self.name_lossy {
            return Some(name::NameProblem::NotUtf8);
        }
        name::problem(&self.name)
    }

    /// Whether this entry shares its data with other names.
    pub fn is_hard_linked(&self) -> bool {
        self.kind == Kind::File && self.nlink >= 2
    }
}

/// Errors reading or writing cpio archives. Each names the archive (as the
/// caller labelled it), the member and the offset where known.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing failed.
    #[error("{archive}: {what} at offset {offset}: {source}")]
    Io {
        /// The archive.
        archive: String,
        /// What was being done.
        what: String,
        /// Offset in the archive stream.
        offset: u64,
        /// The cause.
        source: std::io::Error,
    },
    /// The archive ends inside a header, name or data.
    #[error("{archive}: truncated: {what} at offset {offset} ends after {got} of {want} bytes")]
    Truncated {
        /// The archive.
        archive: String,
        /// What was cut short, naming the member where known.
        what: String,
        /// Where the cut-short item starts.
        offset: u64,
        /// Bytes there were.
        got: u64,
        /// Bytes there should have been.
        want: u64,
    },
    /// Not a newc header.
    #[error("{archive}: offset {offset}: bad magic {found:?} (want 070701 or 070702)")]
    BadMagic {
        /// The archive.
        archive: String,
        /// Offset of the header.
        offset: u64,
        /// What was there.
        found: String,
    },
    /// A header field is not 8 hex digits, or says something impossible.
    #[error("{archive}: header at offset {offset}: {problem}")]
    BadHeader {
        /// The archive.
        archive: String,
        /// Offset of the header.
        offset: u64,
        /// What is wrong.
        problem: String,
    },
    /// More zero padding after a trailer than [`MAX_PADDING`].
    #[error("{archive}: more than {limit} zero bytes in a row after a trailer, at offset {offset} (the limit on padding between archives)")]
    Padding {
        /// The archive.
        archive: String,
        /// Where the padding starts.
        offset: u64,
        /// The bound.
        limit: u64,
    },
    /// A `070702` member's data does not sum to its checksum.
    #[error("{archive}: member {member} at offset {offset}: checksum {actual:08x}, header says {expected:08x}")]
    Checksum {
        /// The archive.
        archive: String,
        /// The member.
        member: String,
        /// Offset of its header.
        offset: u64,
        /// The header's checksum.
        expected: u32,
        /// The data's sum.
        actual: u32,
    },
    /// A name the writer will not write.
    #[error("{archive}: member {name:?}: {problem}")]
    BadName {
        /// The archive.
        archive: String,
        /// The name.
        name: String,
        /// Why.
        problem: String,
    },
    /// Names given to the writer out of order.
    #[error("{archive}: member {name:?} given after {previous:?}: names must come in sorted order (parents first)")]
    Order {
        /// The archive.
        archive: String,
        /// The name out of place.
        name: String,
        /// The name before it.
        previous: String,
    },
    /// A member's data is not the size declared for it.
    #[error("{archive}: member {name}: data source gave {actual} bytes, {declared} declared")]
    SizeMismatch {
        /// The archive.
        archive: String,
        /// The member.
        name: String,
        /// Declared size.
        declared: u64,
        /// Bytes given (or a lower bound, if more than declared).
        actual: u64,
    },
    /// Something newc cannot represent, or a link the writer cannot make.
    #[error("{archive}: member {name}: {problem}")]
    Unsupported {
        /// The archive.
        archive: String,
        /// The member.
        name: String,
        /// What.
        problem: String,
    },
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;
