// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Initrd functions: appending segments, inspecting.

use std::fmt;
use std::path::{Path, PathBuf};

use osstest_core::format::compress::Compression;
use osstest_core::format::initrd::{
    self, AppendOptions, AppendReport, Budget, Inspection, Segment,
};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// One element of `initrd_append`'s segment list: a path (a directory is
/// packed at `/`, a file is an archive appended as it is) or a hash.
pub enum SegmentArg {
    /// A path.
    Path(String),
    /// `{ dir => ..., prefix => ... }` or `{ archive => ... }`.
    Spec(SegmentSpec),
}

/// The hash form of a segment.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    /// A directory to pack.
    #[serde(default)]
    dir: Option<String>,
    /// Where the directory's contents go (`lib/modules/6.1.0-50-arm64`).
    #[serde(default)]
    prefix: Option<String>,
    /// A cpio archive file (compressed or not) to append as it is.
    #[serde(default)]
    archive: Option<String>,
}

impl<'de> Deserialize<'de> for SegmentArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SegmentArg;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path or a hash { dir => ..., prefix => ... } / { archive => ... }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SegmentArg, E> {
                Ok(SegmentArg::Path(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SegmentArg, A::Error> {
                SegmentSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(SegmentArg::Spec)
            }
        }
        d.deserialize_any(V)
    }
}

/// `initrd_append`'s options.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AppendOpts {
    /// `gzip` (default), `xz`, `zstd` or `none`.
    compression: Option<String>,
    /// Compression level.
    level: Option<u32>,
    /// xz worker threads.
    threads: Option<u32>,
    /// mtime of new entries (default `$SOURCE_DATE_EPOCH`, else 0).
    mtime: Option<u32>,
    /// Most bytes the output may have.
    max_size: Option<u64>,
    /// Most bytes of file data the unpacked image may hold.
    max_unpacked: Option<u64>,
}

/// Errors of the initrd functions.
#[derive(Debug, thiserror::Error)]
pub enum InitrdApiError {
    /// From osstest-core.
    #[error(transparent)]
    Initrd(#[from] initrd::Error),
    /// A bad argument.
    #[error("{0}")]
    Argument(String),
}

/// `initrd_append($initrd, \@segments, $out, \%opts)`.
pub fn initrd_append(
    initrd: String,
    segments: Vec<SegmentArg>,
    out: String,
    opts: Option<AppendOpts>,
) -> Result<AppendReport, InitrdApiError> {
    let opts = opts.unwrap_or_default();
    let bad = InitrdApiError::Argument;
    let compression = match opts.compression.as_deref() {
        None => Compression::Gzip,
        Some(name) => Compression::from_name(name)
            .ok_or_else(|| bad(format!("compression '{name}' (gzip, xz, zstd or none)")))?,
    };
    let mtime = match opts.mtime {
        Some(t) => t,
        None => super::mtime_or_zero().map_err(|e| bad(e.to_string()))?,
    };
    if segments.is_empty() {
        return Err(bad("no segments to append".into()));
    }
    let mut segs = Vec::new();
    for (i, s) in segments.into_iter().enumerate() {
        segs.push(match s {
            SegmentArg::Path(p) => {
                let path = PathBuf::from(&p);
                if path.is_dir() {
                    Segment::Directory {
                        path,
                        prefix: String::new(),
                    }
                } else if path.is_file() {
                    Segment::Archive(path)
                } else {
                    return Err(bad(format!("segment {i}: {p}: no such file or directory")));
                }
            }
            SegmentArg::Spec(SegmentSpec {
                dir,
                prefix,
                archive,
            }) => match (dir, archive) {
                (Some(dir), None) => Segment::Directory {
                    path: dir.into(),
                    prefix: prefix.unwrap_or_default(),
                },
                (None, Some(a)) if prefix.is_none() => Segment::Archive(a.into()),
                _ => {
                    return Err(bad(format!(
                        "segment {i}: give either dir (and perhaps prefix) or archive"
                    )))
                }
            },
        });
    }
    let options = AppendOptions {
        compression,
        level: opts.level,
        threads: opts.threads.unwrap_or(1),
        mtime,
        budget: Budget {
            max_size: opts.max_size,
            max_unpacked: opts.max_unpacked,
        },
    };
    Ok(initrd::append(
        Path::new(&initrd),
        &segs,
        Path::new(&out),
        &options,
    )?)
}

/// `initrd_inspect($initrd)`.
pub fn initrd_inspect(initrd: String) -> Result<Inspection, InitrdApiError> {
    Ok(initrd::inspect(Path::new(&initrd))?)
}
