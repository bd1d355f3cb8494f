// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! [`PerlValue`]: Perl data as the bridge sees it.

use std::collections::BTreeMap;
use std::fmt;

/// A Perl value crossing the bridge, in either direction.
///
/// Scalars keep the form Perl had for them (integer, float or string);
/// the deserializer converts between them the way Perl would, so a caller
/// may pass `"42"` where Rust wants a number and `42` where it wants a
/// string. References to arrays and hashes become [`PerlValue::Array`] and
/// [`PerlValue::Hash`]; nothing else (code refs, objects, tied containers)
/// crosses.
#[derive(Debug, Clone, PartialEq)]
pub enum PerlValue {
    /// `undef`.
    Undef,
    /// An integer scalar (IV).
    Int(i64),
    /// An unsigned integer scalar too large for an IV (UV).
    UInt(u64),
    /// A floating point scalar (NV).
    Num(f64),
    /// A string scalar.
    Str(String),
    /// An array reference.
    Array(Vec<PerlValue>),
    /// A hash reference.
    Hash(BTreeMap<String, PerlValue>),
}

impl PerlValue {
    /// What Perl's `ref` or a short description would call this value, for
    /// error messages.
    pub fn describe(&self) -> String {
        match self {
            PerlValue::Undef => "undef".to_owned(),
            PerlValue::Int(i) => format!("the number {i}"),
            PerlValue::UInt(u) => format!("the number {u}"),
            PerlValue::Num(n) => format!("the number {n}"),
            PerlValue::Str(s) => format!("the string '{}'", shorten(s)),
            PerlValue::Array(_) => "an ARRAY reference".to_owned(),
            PerlValue::Hash(_) => "a HASH reference".to_owned(),
        }
    }

    /// The scalar's string form as Perl would print it; `None` for undef
    /// and references.
    pub fn as_perl_string(&self) -> Option<String> {
        match self {
            PerlValue::Int(i) => Some(i.to_string()),
            PerlValue::UInt(u) => Some(u.to_string()),
            PerlValue::Num(n) => Some(perl_number(*n)),
            PerlValue::Str(s) => Some(s.clone()),
            PerlValue::Undef | PerlValue::Array(_) | PerlValue::Hash(_) => None,
        }
    }
}

/// Perl's truthiness for a value.
pub fn perl_truth(v: &PerlValue) -> bool {
    match v {
        PerlValue::Undef => false,
        PerlValue::Int(i) => *i != 0,
        PerlValue::UInt(u) => *u != 0,
        PerlValue::Num(n) => *n != 0.0,
        PerlValue::Str(s) => !(s.is_empty() || s == "0"),
        PerlValue::Array(_) | PerlValue::Hash(_) => true,
    }
}

/// Formats a float the way Perl prints whole numbers (no `.0`).
fn perl_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push_str("...");
        t
    }
}

impl fmt::Display for PerlValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}
