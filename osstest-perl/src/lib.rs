// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The bridge between Perl and osstest-core.
//!
//! Perl calls into Rust through one generic XSUB (see `xs/Core.xs`) that the
//! shared object installs once per function in [`registry::FUNCTIONS`]. This
//! crate holds everything on the Rust side of that call:
//!
//! - [`value`]: [`PerlValue`], the Perl data a call takes and returns
//!   (undef, numbers, strings, arrayrefs, hashrefs);
//! - [`de`] and [`ser`]: serde between [`PerlValue`] and Rust types, with
//!   Perl's habits (a string of digits is a number when a number is wanted);
//! - [`registry`]: the table of Perl-callable functions, one line each;
//! - [`api`]: the functions themselves, thin wrappers over osstest-core;
//! - [`call`]: running one call with panics caught and errors turned into
//!   the message Perl's `die` gets;
//! - [`ffi`]: the only unsafe part, converting Perl SVs through the small C
//!   accessor table the glue passes in.
//!
//! Adding a Perl function takes one function in [`api`] and one line in
//! [`registry::FUNCTIONS`]; no C.
#![deny(missing_docs)]

pub mod api;
pub mod call;
pub mod de;
pub mod ffi;
pub mod registry;
pub mod ser;
pub mod value;

pub use value::PerlValue;
