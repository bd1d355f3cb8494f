// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The Rust side of the shared object Perl loads (`libosstest_xs.so`).
//!
//! The C glue (`Core.xs`, compiled by the top-level build.rs) calls the
//! three functions here; all the work is in the `osstest-perl` crate. The
//! boot function is re-exported under the name DynaLoader looks for: a Rust
//! cdylib exports only symbols defined in Rust, so the C one, compiled as
//! `osstest_xs_boot`, would otherwise be hidden.
#![deny(missing_docs)]

use std::ffi::{c_char, c_int, c_void};

use osstest_perl::ffi::{self, Api, Ctx, Sv};

extern "C" {
    #[cfg(perl_threads)]
    fn osstest_xs_boot(ctx: Ctx, cv: *mut c_void);
    #[cfg(not(perl_threads))]
    fn osstest_xs_boot(cv: *mut c_void);
}

/// Perl's entry point for `Osstest::Core` (`XS_EXTERNAL(boot_Osstest__Core)`).
///
/// # Safety
/// Called by perl's DynaLoader only.
#[cfg(perl_threads)]
#[no_mangle]
pub unsafe extern "C" fn boot_Osstest__Core(ctx: Ctx, cv: *mut c_void) {
    // A plain frame with nothing to drop: perl may croak (version
    // mismatch) out of osstest_xs_boot straight through it.
    osstest_xs_boot(ctx, cv)
}

/// Perl's entry point for `Osstest::Core` (`XS_EXTERNAL(boot_Osstest__Core)`).
///
/// # Safety
/// Called by perl's DynaLoader only.
#[cfg(not(perl_threads))]
#[no_mangle]
pub unsafe extern "C" fn boot_Osstest__Core(cv: *mut c_void) {
    osstest_xs_boot(cv)
}

/// How many functions the glue installs.
#[no_mangle]
pub extern "C" fn osstest_xs_count() -> usize {
    ffi::function_count()
}

/// The fully qualified name of function `index`.
#[no_mangle]
pub extern "C" fn osstest_xs_name(index: usize) -> *const c_char {
    ffi::function_name(index)
}

/// Runs function `index`; see [`osstest_perl::ffi::xs_call`].
///
/// # Safety
/// Called by the glue's dispatcher with its own table and perl's stack.
#[no_mangle]
pub unsafe extern "C" fn osstest_xs_call(
    api: *const Api,
    ctx: Ctx,
    index: usize,
    args: *const Sv,
    nargs: usize,
    out: *mut Sv,
) -> c_int {
    ffi::xs_call(&*api, ctx, index, args, nargs, out)
}
