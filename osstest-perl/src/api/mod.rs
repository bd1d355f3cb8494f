// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The functions Perl calls, as Rust functions.
//!
//! Each takes its arguments as ordinary Rust types (converted from Perl data
//! by [`crate::de`]) and returns `Result<T, E>` with `T: Serialize` (returned
//! to Perl by [`crate::ser`]) and `E` an error whose message becomes the
//! Perl `die`. Keep them thin: the work belongs in osstest-core. Each one is
//! listed in [`crate::registry::FUNCTIONS`] and documented in
//! `Osstest/Core.pm`.
//!
//! One submodule per area of osstest-core, each re-exported here so the
//! registry can name every function as `api::NAME`.

use std::convert::Infallible;

use osstest_core::format::BadSourceDateEpoch;

mod arch;
pub use arch::*;
mod flight;
pub use flight::*;
mod plan;
pub use plan::*;
mod kernel;
pub use kernel::*;
mod kernel_deb;
pub use kernel_deb::*;
mod initrd;
pub use initrd::*;
mod installer;
pub use installer::*;
mod modules;
pub use modules::*;

/// The mtime for reproducible outputs: `$SOURCE_DATE_EPOCH` if set (see
/// [`osstest_core::format::source_date_epoch`]), else 0.
pub(crate) fn mtime_or_zero() -> Result<u32, BadSourceDateEpoch> {
    Ok(osstest_core::format::source_date_epoch()?.unwrap_or(0))
}

/// `_test_panic($message)`: panics, so the tests can check that a Rust
/// panic reaches Perl as an exception and the interpreter carries on.
pub fn _test_panic(message: Option<String>) -> Result<(), Infallible> {
    panic!(
        "{}",
        message.unwrap_or_else(|| "deliberate panic for testing".to_owned())
    )
}
