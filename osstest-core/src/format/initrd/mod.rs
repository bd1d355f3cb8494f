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

mod append;
mod inspect;

pub use append::{append, AppendOptions, AppendReport, Budget, Segment};
pub use inspect::{inspect, walk, FileInfo, Inspection, SegmentInfo};

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
    /// A bad option.
    #[error("{0}")]
    Option(String),
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
