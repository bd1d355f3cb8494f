// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! A kernel artifact: a Debian `linux-image-*` package, an osstest
//! kerndist tarball, or a directory tree, read with one API.
//!
//! The three sources hold the same things under the same relative names:
//!
//! | what | where |
//! | --- | --- |
//! | image | `boot/vmlinuz-VER` (or `boot/vmlinux-VER`) |
//! | System.map, config | `boot/System.map-VER`, `boot/config-VER` |
//! | modules | `lib/modules/VER/**.ko[.xz/.zst/.gz]`, or under `usr/lib/modules/VER` (merged /usr, trixie) |
//! | module indexes | `(usr/)lib/modules/VER/modules.*` |
//! | DTBs | `usr/lib/linux-image-VER/**` (Debian), `boot/dtbs/VER/**` or `boot/dtbs/**` (`dtbs_install`) |
//! | firmware | `(usr/)lib/firmware/**` |
//!
//! A [`KernelSource`] is opened from a path: a directory is a tree (the
//! output of `make install`, `modules_install`, `dtbs_install` with
//! `INSTALL_PATH=DIR/boot`, `INSTALL_MOD_PATH=DIR`), a file starting with
//! the `ar` magic is a `.deb`, any other file a (compressed) tar.
//!
//! # Streaming every file: [`KernelSource::visit`]
//!
//! [`KernelSource::visit`] calls a visitor once per entry, in archive order,
//! in one pass over the data and without writing anything: each [`Entry`]
//! has its normalised relative path, its [`Role`], metadata and, for
//! regular files, its bytes through [`Read`](std::io::Read). This is the
//! stable interface for callers that stream files elsewhere (into a cpio,
//! a new `.deb`). [`KernelSource::visit_stream`] does the same over any
//! reader (a pipe, bytes in memory). [`KernelSource::read_module`] turns a
//! module entry's bytes into its metadata and its plain (decompressed)
//! ELF. [`KernelSource::info`] (read, check, extract nothing) and
//! [`KernelSource::unpick`] (check and extract a [`Selection`]) are built
//! on it.
//!
//! # Checks
//!
//! Every module is decompressed if needed and read with
//! [`ModuleInfo::parse`](modinfo::ModuleInfo::parse): all modules and the
//! image must be for one ELF machine and class, and every module's
//! `vermagic` must start with the kernel version, which must agree
//! everywhere it appears (image name, module directory, System.map,
//! config); a package's `Architecture` must be the image's. A mismatch is
//! an error naming the file: this catches a wrong cross toolchain or a
//! mixed-up stash. [`KernelCheck`] is that check, and the installer's
//! reading of a kernel makes it too.
//!
//! # Files
//!
//! `layout` (what a path is for: [`classify`], [`ModulePath`]), `entry`,
//! `source` (opening and walking the three kinds), `scan` (`info` and
//! `unpick`), `check`, `extract` (writing safely under a destination),
//! `image` (recognising images); and beside them the module metadata
//! ([`modinfo`]), module selection and indexes ([`modules`]) and the
//! `linux-image` package osstest writes ([`package`]).

mod check;
mod entry;
mod extract;
mod image;
mod layout;
pub mod modinfo;
pub mod modules;
pub mod package;
mod scan;
mod source;

pub use check::{Checked, KernelCheck};
pub use entry::{Entry, EntryKind};
pub use extract::{check_symlink_target, Dest, DestError};
pub use image::{ImageArch, ImageError, ImageFile, HEAD_BYTES};
pub use layout::{classify, normalise, ModulePath, Role};
pub use scan::{KernelInfo, Selection};
pub use source::{KernelSource, SourceKind};

use std::io;
use std::path::PathBuf;

use crate::format::deb::DebError;
use crate::kernel::modinfo::ModinfoError;

/// What can go wrong reading or unpicking a kernel. Every message names
/// the source file or directory and, where there is one, the member.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// The source cannot be opened.
    #[error("{path}: {source}")]
    Open {
        /// The source.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The `.deb` container is bad.
    #[error(transparent)]
    Deb(#[from] DebError),
    /// Reading the tar (or tree) failed.
    #[error("{source_path}: {what}: {source}")]
    Read {
        /// The source.
        source_path: PathBuf,
        /// The member (with its offset in the tar) or what was being read.
        what: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A member's name or kind is not acceptable.
    #[error("{source_path}: member {member}: {reason}")]
    Member {
        /// The source.
        source_path: PathBuf,
        /// The member.
        member: String,
        /// What is wrong.
        reason: String,
    },
    /// A module is not a readable module.
    #[error("{source_path}: {member}: {source}")]
    Module {
        /// The source.
        source_path: PathBuf,
        /// The module file.
        member: String,
        /// Why it could not be read.
        source: ModinfoError,
    },
    /// Files are for different architectures or kernel versions, or
    /// something the kernel needs is missing.
    #[error("{source_path}: {reason}")]
    Mismatch {
        /// The source.
        source_path: PathBuf,
        /// What does not match, naming the files.
        reason: String,
    },
    /// Writing to the destination failed.
    #[error("{source_path}: member {member}: cannot extract: {source}")]
    Extract {
        /// The source.
        source_path: PathBuf,
        /// The member.
        member: String,
        /// Why.
        source: DestError,
    },
    /// Creating, staging or publishing the extracted files failed.
    #[error(transparent)]
    Output(#[from] crate::format::output::OutputError),
    /// The visitor gave up.
    #[error("{0}")]
    Visitor(String),
}

/// The most bytes of one module (or one module tree file) read into
/// memory, compressed or not: the largest modules are a few MiB.
pub(crate) const MODULE_LIMIT: u64 = 256 << 20;
