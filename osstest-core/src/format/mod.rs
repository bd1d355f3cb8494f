//! The file formats osstest's kernels and installers travel in, each read
//! and written streaming.
//!
//! - [`compress`]: decompressing streams (none, gzip, xz on threads, zstd).
//! - [`deb`]: reading Debian packages: ar members, control fields, the data tar.
//! - [`cpio`]: newc cpio archives, streamed both ways.
//! - [`initrd`]: initramfs images as concatenated segments: append, inspect, budget.

pub mod compress;
pub mod cpio;
pub mod deb;
pub mod initrd;
pub(crate) mod io;
