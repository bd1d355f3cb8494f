//! osstest-core: the data-heavy and rule-heavy parts of osstest, in Rust.
//!
//! osstest, the Xen Project's CI, installs Debian on test hosts with the
//! Debian installer and, on ARM boards, with a Linux kernel it builds
//! itself. This crate holds the logic for that: architecture facts, build
//! plans, kernel artifacts, installer module subsets and flights.
//!
//! It is pure Rust: no Perl, no FFI, no process spawning for its core work.
//! Perl reaches it through the `osstest-perl` bridge; see `Osstest/Core.pm`.
//!
//! One module per concept, data flowing one way:
//!
//! - [`arch`]: Debian architecture facts.
//! - [`compress`]: decompressing streams (none, gzip, xz on threads, zstd).
//! - [`deb`]: reading Debian packages: ar members, control fields, the data tar.
//! - [`deb_write`]: writing a kernel's `linux-image` package.
//! - [`kernel`]: a kernel from a .deb, a kerndist tarball or a tree: visit, check, unpick.
//! - [`kernel_outputs`]: what a kernel build stashes for later jobs.
//! - [`modinfo`]: kernel module metadata read from a module's ELF file.
//! - [`target_install`]: putting our kernel onto the system d-i installs.
#![deny(missing_docs)]

pub mod arch;
pub mod compress;
pub mod deb;
pub mod deb_write;
pub mod kernel;
pub mod kernel_outputs;
pub mod modinfo;
pub mod target_install;
