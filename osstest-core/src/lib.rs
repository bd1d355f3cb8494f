// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

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
//! Five layers, one folder each, data flowing one way:
//!
//! - [`build`]: build planning: architecture facts, Debian's cross
//!   compilers, a job's runvars in and a build plan and its runes out.
//! - [`format`](mod@format): the formats, streamed both ways: compression, `.deb`
//!   packages, newc cpio archives, initramfs images of concatenated segments.
//! - [`kernel`]: a kernel from a .deb, a kerndist tarball or a tree (visit,
//!   check, unpick), its modules' metadata, module selection, dependency
//!   closure and depmod-identical indexes, and the `linux-image` package
//!   osstest writes for its own kernels.
//! - [`installer`]: the main job (the installer's kernel, modules segment
//!   and combined initrd) and putting the kernel onto the installed system.
//! - [`flight`]: job sets, the ARM cross rewrite, job references, build
//!   identity, and what a kernel build stashes for later jobs.
#![deny(missing_docs)]

pub mod build;
pub mod flight;
pub mod format;
pub mod installer;
pub mod kernel;
