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
//! - [`cpio`]: newc cpio archives, streamed both ways.
//! - [`initrd`]: initramfs images as concatenated segments: append, inspect, budget.
#![deny(missing_docs)]

pub mod arch;
pub mod cpio;
pub mod initrd;
