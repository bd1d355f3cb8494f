// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Initramfs images as the kernel sees them: a sequence of segments, each
//! a cpio archive, compressed on its own or not (init/initramfs.c,
//! `unpack_to_rootfs`). Between segments the kernel skips zero bytes; an
//! uncompressed archive must start at an offset that is a multiple of 4
//! (counted from the start of the image); after a compressed stream it
//! looks for the next one by its magic. A later name replaces an earlier
//! one.
//!
//! - [`append`] adds segments to an existing initrd without touching its
//!   bytes: the Debian installer's `initrd.gz` plus a modules segment, as
//!   osstest does instead of rebuilding the installer's image.
//! - [`inspect`] lists the segments (offset, compression, entry count,
//!   sizes) and the merged view (which segment each final file comes
//!   from), as `lsinitramfs` and `unmkinitramfs` do.
//! - [`Budget`]: a size limit; going over is an error listing the largest
//!   contributors.
//!
//! # Bounds
//!
//! Whatever the input, reading an initrd takes bounded memory and time.
//! The merged view holds one record per name, so the reader stops with an
//! [`Error::Limit`] naming the file, the segment and the bound when an
//! initrd goes over one of these (each far above any real installer
//! initrd: bookworm's arm64 `initrd.gz` has about 2,600 entries and 220 KB
//! of names; the whole module tree of a kernel adds about 4,500 entries):
//!
//! - [`MAX_ENTRIES`]: 131,072 entries in all segments together (trailers
//!   not counted). 3 million empty entries fit in a 2.8 MB xz stream.
//! - [`MAX_NAME_BYTES`]: 32 MiB of names and symbolic link targets in all.
//! - [`MAX_UNPACKED`]: 4 GiB of cpio once decompressed, in all segments.
//! - [`MAX_ZERO_RUN`]: 16 MiB of zero bytes in a row, between segments or
//!   after a trailer inside a compressed stream (the kernel skips any
//!   amount; real images pad to a block at most). So `/dev/zero` is
//!   refused after 16 MiB, not read forever.
//! - [`MAX_WARNINGS`]: an inspection keeps the first 100 warnings, then
//!   says how many more there were.
//!
//! A file with no archive at all (empty, or only zero bytes) is an error,
//! never an initrd of no segments.

mod append;
mod inspect;

pub use append::{append, append_to, start, AppendOptions, AppendReport, Budget, Segment, Started};
pub use inspect::{inspect, walk, ElfMachine, FileInfo, Inspection, SegmentInfo};

/// The most entries an initrd may have, in all its segments.
pub const MAX_ENTRIES: u64 = 1 << 17;
/// The most bytes of names and symbolic link targets an initrd may have.
pub const MAX_NAME_BYTES: u64 = 32 << 20;
/// The most bytes of cpio an initrd's segments may hold once decompressed.
pub const MAX_UNPACKED: u64 = 4 << 30;
/// The most zero bytes in a row between segments or after a trailer.
pub const MAX_ZERO_RUN: u64 = crate::format::cpio::MAX_PADDING;
/// The most warnings an inspection lists.
pub const MAX_WARNINGS: usize = 100;

/// Errors of initrd work, naming the file, segment and member at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A segment's archive is malformed.
    #[error("{0}")]
    Cpio(#[from] crate::format::cpio::Error),
    /// A segment is compressed in a way we cannot read (or not at all
    /// recognisable).
    #[error("{path}: segment at offset {offset}: {problem}")]
    Format {
        /// The file.
        path: String,
        /// Offset of the segment in the file.
        offset: u64,
        /// What is wrong.
        problem: String,
    },
    /// The file holds no archive: it is empty or all zero bytes.
    #[error("{path}: no cpio archive in it (the file is empty or all zero bytes)")]
    Empty {
        /// The file.
        path: String,
    },
    /// The initrd goes over one of the bounds (see the module docs).
    #[error("{place}: more than {limit} {what} (the limit on {bound})")]
    Limit {
        /// The file, and the segment where known.
        place: String,
        /// What was counted.
        what: String,
        /// The bound.
        limit: u64,
        /// Which bound, in words.
        bound: String,
    },
    /// A segment appended holds several archives as the kernel reads it.
    #[error("{path}: the kernel reads {count} archives in it, not one, at offsets {layout}; append each as a segment of its own")]
    NotOneArchive {
        /// The segment's file.
        path: String,
        /// Archives found.
        count: usize,
        /// Where they start in the file, and which are empty.
        layout: String,
    },
    /// A bad option.
    #[error("{0}")]
    Option(String),
    /// The output cannot be created, written or put in place.
    #[error(transparent)]
    Output(#[from] crate::format::output::OutputError),
    /// The result would be over its size budget.
    #[error("{path}: {what} is {size} bytes, over the budget of {limit}; largest contributors: {contributors}")]
    OverBudget {
        /// The output.
        path: String,
        /// Which size.
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
        /// The largest contributors, biggest first, with their sizes.
        contributors: String,
    },
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io_err(
    path: &std::path::Path,
    what: impl Into<String>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.display().to_string();
    let what = what.into();
    move |source| Error::Io { path, what, source }
}
