// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Build planning: what a job builds, where, and with which compilers.
//!
//! - [`arch`]: Debian architecture facts.
//! - [`plan`]: a job's runvars in, a build plan (build and target arch, suite) out.
//! - [`kconfig`]: a kernel's configuration from runvars (`kconfighow`,
//!   `kconfig_defconfig`, overrides), and checking a `.config` against it.
//! - [`runes`]: the make and configure invocations of a plan, for Linux and Xen.
//! - [`suite`]: Debian suites: their names, and where they put kernel modules.
//! - [`toolchain`]: Debian's cross compilers per suite, and their packages.

pub mod arch;
pub mod kconfig;
pub mod plan;
pub mod runes;
pub mod suite;
pub mod toolchain;
