// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The file formats osstest's kernels and installers travel in, each read
//! and written streaming.
//!
//! - [`compress`]: compression: every kind the kernel knows, by magic or
//!   suffix; gzip, xz (on threads) and zstd read and written.
//! - [`deb`]: reading Debian packages: ar members, control fields, the data tar.
//! - `io`: the counting, hashing and exact-length wrappers every format uses.
//! - [`cpio`]: newc cpio archives, streamed both ways.
//! - [`initrd`]: initramfs images as concatenated segments: append, inspect, budget.
//! - [`output`]: the one way the crate creates output files and publishes
//!   a call's outputs (exclusive, never through a link, whole or not at all).
//! - [`source_date_epoch`]: the one reading of `$SOURCE_DATE_EPOCH`, the
//!   timestamp of reproducible outputs.

pub mod compress;
pub mod cpio;
pub mod deb;
pub mod initrd;
pub(crate) mod io;
pub mod output;

/// The name of the variable [`source_date_epoch`] reads.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// `SOURCE_DATE_EPOCH` is set but not a timestamp this takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SOURCE_DATE_EPOCH='{0}' is not a number of seconds (0 to 4294967295)")]
pub struct BadSourceDateEpoch(pub String);

/// The timestamp reproducible outputs carry, from `$SOURCE_DATE_EPOCH`:
/// `None` when it is unset or empty, else its value, which must be a
/// decimal number of seconds since 1970 that a cpio header can hold (32
/// bits), as <https://reproducible-builds.org/specs/source-date-epoch/>
/// wants it (a malformed value is an error, never ignored).
///
/// The one place the crate reads it; the functions that write archives
/// take the timestamp as an argument, and their callers (the Perl bridge,
/// the examples) pass this on, each with its own default for `None`.
pub fn source_date_epoch() -> Result<Option<u32>, BadSourceDateEpoch> {
    parse_source_date_epoch(std::env::var_os(SOURCE_DATE_EPOCH).as_deref())
}

fn parse_source_date_epoch(
    value: Option<&std::ffi::OsStr>,
) -> Result<Option<u32>, BadSourceDateEpoch> {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    v.to_str()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .map(Some)
        .ok_or_else(|| BadSourceDateEpoch(v.to_string_lossy().into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn source_date_epochs() {
        let p = |v: &str| parse_source_date_epoch(Some(OsStr::new(v)));
        assert_eq!(parse_source_date_epoch(None), Ok(None));
        assert_eq!(p(""), Ok(None));
        assert_eq!(p("1700000000"), Ok(Some(1_700_000_000)));
        assert_eq!(p("4294967295"), Ok(Some(u32::MAX)));
        for bad in ["4294967296", " 1", "-1", "+1", "1.5", "now"] {
            assert_eq!(p(bad), Err(BadSourceDateEpoch(bad.into())), "{bad}");
        }
    }
}
