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
//! - [`plan`]: a job's runvars in, a build plan (build and target arch, suite) out.
//! - [`runes`]: the make and configure invocations of a plan, for Linux and Xen.
//! - [`toolchain`]: Debian's cross compilers per suite, and their packages.
//! - [`flight`]: job sets, the ARM cross rewrite, job references, build identity.
//! - [`compress`]: decompressing streams (none, gzip, xz on threads, zstd).
//! - [`deb`]: reading Debian packages: ar members, control fields, the data tar.
//! - [`deb_write`]: writing a kernel's `linux-image` package.
//! - [`kernel`]: a kernel from a .deb, a kerndist tarball or a tree: visit, check, unpick.
//! - [`kernel_outputs`]: what a kernel build stashes for later jobs.
//! - [`modinfo`]: kernel module metadata read from a module's ELF file.
//! - [`modules`]: installer module selection, dependency closure and
//!   depmod-identical index files.
//! - [`cpio`]: newc cpio archives, streamed both ways.
//! - [`initrd`]: initramfs images as concatenated segments: append, inspect, budget.
//! - [`installer`]: the main job: the installer's kernel, modules segment and combined initrd.
//! - [`target_install`]: putting our kernel onto the system d-i installs.
#![deny(missing_docs)]

pub mod arch;
pub mod compress;
mod counting;
pub mod cpio;
pub mod deb;
pub mod deb_write;
mod exact;
pub mod flight;
pub mod initrd;
pub mod installer;
pub mod kernel;
pub mod kernel_outputs;
pub mod modinfo;
pub mod modules;
pub mod plan;
pub mod runes;
pub mod target_install;
pub mod toolchain;
