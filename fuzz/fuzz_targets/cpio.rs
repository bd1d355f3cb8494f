// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Fuzz target: see `osstest_core_fuzz::cpio`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| osstest_core_fuzz::cpio(data));
