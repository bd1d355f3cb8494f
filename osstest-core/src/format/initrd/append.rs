// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Appending segments to an initrd, with a size budget.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::inspect::{
    inspect_after, inspect_copying, segment_compression, Inspection, Origins, SegmentInfo,
};
use super::{io_err, Error, Result};
use crate::format::compress::{self, Compression, Encoder};
use crate::format::cpio::Tree;
use crate::format::io::{read_up_to, Counting};
use crate::format::output::{self, CopyError, Output};

/// A segment to append.
#[derive(Debug, Clone)]
pub enum Segment {
    /// Everything under a directory, packed into a new archive named
    /// `prefix/...` (relative names; an empty prefix puts the directory's
    /// contents at `/`).
    Directory {
        /// The directory.
        path: PathBuf,
        /// Where its contents go in the image.
        prefix: String,
    },
    /// Entries gathered by the caller, packed into a new archive.
    Tree(Tree),
    /// An existing cpio archive, compressed or not, appended byte for byte.
    Archive(PathBuf),
}

/// Size limits for the result. Over a limit is an error that lists the
/// largest contributors, and the output is not written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// Most bytes the initrd file may have (what the boot loader loads).
    pub max_size: Option<u64>,
    /// Most bytes of file data the merged, unpacked image may hold (what
    /// the installer's memory holds).
    pub max_unpacked: Option<u64>,
}

/// How to append.
#[derive(Debug, Clone)]
pub struct AppendOptions {
    /// Compression of the new archives (default gzip).
    pub compression: Compression,
    /// Its level (default [`Compression::default_level`]).
    pub level: Option<u32>,
    /// Worker threads for xz (default 1; the output is the same for any
    /// count).
    pub threads: u32,
    /// The mtime of every new entry: the caller's `SOURCE_DATE_EPOCH`, or 0.
    pub mtime: u32,
    /// Size limits.
    pub budget: Budget,
}

impl Default for AppendOptions {
    fn default() -> Self {
        AppendOptions {
            compression: Compression::Gzip,
            level: None,
            threads: 1,
            mtime: 0,
            budget: Budget::default(),
        }
    }
}

/// What [`append`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct AppendReport {
    /// The output file.
    pub path: String,
    /// Its size.
    pub size: u64,
    /// Its sha256, in hex, as read back.
    pub sha256: String,
    /// Every segment of the output (the base's first).
    pub segments: Vec<SegmentInfo>,
    /// Index in `segments` of the first appended segment.
    pub first_appended: usize,
    /// Data bytes of the merged, unpacked image.
    pub merged_data_size: u64,
    /// The inspection's warnings.
    pub warnings: Vec<String>,
}

/// Writes `out`: the initrd `base`, unchanged, then each of `segments`,
/// each starting at a multiple of 4 bytes (zero padding, which the kernel
/// skips; an uncompressed archive needs it). The result is read back and
/// checked as [`super::inspect`] does, and against the budget, before it is
/// renamed into place: a failure leaves `out` as it was. The new file is
/// mode 0644.
pub fn append(
    base: &Path,
    segments: &[Segment],
    out: &Path,
    opts: &AppendOptions,
) -> Result<AppendReport> {
    append_to(base, segments, Output::create(out)?, opts)
}

/// [`append`] into the output `tmp` (one a [`crate::format::output::Staging`]
/// made, say), which it commits when the result is checked.
pub fn append_to(
    base: &Path,
    segments: &[Segment],
    tmp: Output,
    opts: &AppendOptions,
) -> Result<AppendReport> {
    check_segments(segments, tmp.path(), opts)?;
    start(base, tmp)?.finish(segments, opts)
}

/// An append [`start`] began: the base inspected, and copied into the
/// output, in one reading of it.
pub struct Started {
    base: PathBuf,
    inspected: Inspection,
    tmp: Output,
}

/// Begins an append to the initrd `base` in the output `tmp`: reads
/// `base` once, inspecting it as [`super::inspect`] does while copying it
/// into `tmp`, so that what is appended to is exactly what was inspected.
/// [`Started::finish`] appends the segments; the base is not read again.
pub fn start(base: &Path, tmp: Output) -> Result<Started> {
    // Temporary files are created 0600; an initrd is served by TFTP and
    // HTTP daemons running as other users.
    tmp.set_mode(0o644)?;
    let out = tmp.path().to_owned();
    let inspected = inspect_copying(base, &out, &mut tmp.as_file())?;
    Ok(Started {
        base: base.to_owned(),
        inspected,
        tmp,
    })
}

/// Refuses options and segments that cannot work, before any writing.
fn check_segments(segments: &[Segment], out: &Path, opts: &AppendOptions) -> Result<()> {
    crate::format::compress::check_threads(opts.threads).map_err(Error::Option)?;
    for seg in segments {
        if let Segment::Directory { path, .. } = seg {
            output::refuse_inside(path, out)?;
        }
    }
    Ok(())
}

impl Started {
    /// What the base is.
    pub fn inspection(&self) -> &Inspection {
        &self.inspected
    }

    /// Appends `segments` after the base, each starting at a multiple of
    /// 4 bytes, and reads back and checks what follows the base as
    /// [`append`] does before committing the output.
    pub fn finish(self, segments: &[Segment], opts: &AppendOptions) -> Result<AppendReport> {
        let Started {
            base,
            inspected,
            tmp,
        } = self;
        let out = &tmp.path().to_owned();
        check_segments(segments, out, opts)?;
        let level = opts.level.unwrap_or(opts.compression.default_level());
        let mut w = Counting::new(BufWriter::with_capacity(1 << 16, tmp.as_file()));
        w.count = inspected.size;
        let mut origins = Origins::of(&base);
        // Where each appended segment starts in the output.
        let mut starts = Vec::with_capacity(segments.len());
        for (i, seg) in segments.iter().enumerate() {
            let pad = (4 - w.count % 4) % 4;
            w.write_all(&[0u8; 3][..pad as usize])
                .map_err(io_err(out, "writing"))?;
            starts.push(w.count);
            origins.push(w.count, origin_name(seg, out));
            let to = Target {
                path: out,
                opts,
                level,
            };
            write_segment(i, seg, &mut w, &to)?;
        }
        w.flush().map_err(io_err(out, "writing"))?;
        drop(w);
        tmp.as_file().sync_all().map_err(io_err(out, "syncing"))?;
        // Read back as the kernel will read it, from where the base ends;
        // a fault is blamed on the input it came from.
        let found = inspect_after(tmp.temp_path(), &origins, &inspected)?;
        check_appended(found, &inspected, segments, &starts, tmp, opts)
    }
}

/// Checks what [`Started::finish`] read back, `found`, and commits `tmp`.
fn check_appended(
    found: Inspection,
    base: &Inspection,
    segments: &[Segment],
    starts: &[u64],
    tmp: Output,
    opts: &AppendOptions,
) -> Result<AppendReport> {
    let out = &tmp.path().to_owned();
    let base_found = base.segments.len();
    check_one_archive_each(&found.segments, segments, starts)?;
    check_xz(tmp.temp_path(), out, &found, base_found, segments)?;
    check_budget(&found, out, base_found, &opts.budget)?;
    tmp.commit_unsynced()?;
    let size = found.size;
    Ok(AppendReport {
        path: out.display().to_string(),
        size,
        sha256: found.sha256,
        segments: found.segments,
        first_appended: base_found,
        merged_data_size: found.merged_data_size,
        warnings: found.warnings,
    })
}

/// Where [`append`] writes: the output (as it will be named), how.
struct Target<'a> {
    path: &'a Path,
    opts: &'a AppendOptions,
    level: u32,
}

/// Writes segment `i` onto `w`.
fn write_segment<W: Write>(i: usize, seg: &Segment, w: &mut W, to: &Target<'_>) -> Result<()> {
    match seg {
        Segment::Archive(p) => {
            let mut a = File::open(p).map_err(io_err(p, "opening"))?;
            let mut head = [0u8; 8];
            let n = read_up_to(&mut a, &mut head).map_err(io_err(p, "reading"))?;
            if segment_compression(&head[..n]).is_none() {
                return Err(Error::Format {
                    path: p.display().to_string(),
                    offset: 0,
                    problem: format!(
                        "not a cpio archive nor compressed one: starts {:02x?}",
                        &head[..n]
                    ),
                });
            }
            w.write_all(&head[..n])
                .map_err(io_err(to.path, "writing"))?;
            copy_from(p, &mut a, w, to.path)?;
        }
        Segment::Directory { path, prefix } => {
            let mut tree = Tree::new(format!(
                "{} (segment {} from {})",
                to.path.display(),
                i,
                path.display()
            ));
            tree.add_dir_tree(path, prefix)?;
            if tree.is_empty() {
                return Err(Error::Option(format!(
                    "{}: directory is empty: nothing to append",
                    path.display()
                )));
            }
            write_tree(&tree, w, to.opts, to.level, to.path)?;
        }
        Segment::Tree(tree) => {
            if tree.is_empty() {
                return Err(Error::Option(format!(
                    "segment {i}: no entries: nothing to append"
                )));
            }
            write_tree(tree, w, to.opts, to.level, to.path)?;
        }
    }
    Ok(())
}

/// The kernel's xz decoder knows only the CRC32 check (and none); an
/// archive made with plain `xz` (CRC64) would stop the boot.
fn check_xz(
    tmp_path: &Path,
    out: &Path,
    found: &Inspection,
    base_found: usize,
    segments: &[Segment],
) -> Result<()> {
    let file = File::open(tmp_path).map_err(io_err(out, "reading back"))?;
    for (seg, source) in found.segments[base_found..].iter().zip(segments) {
        if seg.compression != Compression::Xz {
            continue;
        }
        let mut head = [0u8; 8];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, seg.offset)
            .map_err(io_err(out, "reading back"))?;
        if let Some(check) = compress::xz_check(&head).filter(|&c| c > 1) {
            let what = match source {
                Segment::Archive(p) => p.display().to_string(),
                _ => format!("segment {}", seg.index),
            };
            return Err(Error::Format {
                path: what,
                offset: 0,
                problem: format!(
                    "xz stream with check type {check}; the kernel's decoder accepts only CRC32 or none (xz --check=crc32)"
                ),
            });
        }
    }
    Ok(())
}

/// Fails if an appended segment reads back as more than one: an
/// uncompressed archive file holding several archives (or starting with a
/// `TRAILER!!!`), named with where each starts.
fn check_one_archive_each(
    found: &[SegmentInfo],
    segments: &[Segment],
    starts: &[u64],
) -> Result<()> {
    for (i, seg) in segments.iter().enumerate() {
        let start = starts[i];
        let end = starts.get(i + 1).copied().unwrap_or(u64::MAX);
        let inside: Vec<&SegmentInfo> = found
            .iter()
            .filter(|s| (start..end).contains(&s.offset))
            .collect();
        if inside.len() == 1 {
            continue;
        }
        let mut offsets: Vec<String> = inside
            .iter()
            .map(|s| {
                let empty = if s.entries == 0 {
                    " (empty: TRAILER!!! is its first entry)"
                } else {
                    ""
                };
                format!("{}{empty}", s.offset - start)
            })
            .collect();
        let last = offsets.pop().unwrap_or_default();
        let layout = if offsets.is_empty() {
            last
        } else {
            format!("{} and {last}", offsets.join(", "))
        };
        let path = match seg {
            Segment::Archive(p) => p.display().to_string(),
            Segment::Directory { path, .. } => path.display().to_string(),
            Segment::Tree(_) => format!("segment {i}"),
        };
        return Err(Error::NotOneArchive {
            path,
            count: inside.len(),
            layout,
        });
    }
    Ok(())
}

/// The input to blame for the bytes of segment `seg` in the output `out`:
/// the archive file copied, or the output itself for a packed tree.
fn origin_name(seg: &Segment, out: &Path) -> String {
    match seg {
        Segment::Archive(p) => format!("{} (appended to {})", p.display(), out.display()),
        _ => out.display().to_string(),
    }
}

/// Copies the input `from` (named `name`) onto the output `out`, blaming
/// a failing read on the input and a failing write on the output.
fn copy_from(name: &Path, from: &mut File, w: &mut dyn Write, out: &Path) -> Result<u64> {
    output::copy(from, w).map_err(|e| match e {
        CopyError::Read(e) => io_err(name, "reading")(e),
        CopyError::Write(e) => io_err(out, "writing")(e),
    })
}

fn write_tree<W: Write>(
    tree: &Tree,
    w: &mut W,
    opts: &AppendOptions,
    level: u32,
    out: &Path,
) -> Result<()> {
    let enc = Encoder::new(opts.compression, level, opts.threads, w)
        .map_err(|e| Error::Option(e.to_string()))?;
    let enc = tree.write(enc, opts.mtime)?;
    enc.finish()
        .map_err(io_err(out, "finishing the compressed stream"))?;
    Ok(())
}

/// Fails if `found` is over `budget`, listing the largest contributors.
pub(crate) fn check_budget(
    found: &Inspection,
    out: &Path,
    first_appended: usize,
    budget: &Budget,
) -> Result<()> {
    if let Some(limit) = budget.max_size {
        if found.size > limit {
            let mut segs: Vec<_> = found.segments.iter().collect();
            segs.sort_by(|a, b| b.length.cmp(&a.length).then(a.index.cmp(&b.index)));
            let contributors = segs
                .iter()
                .map(|s| {
                    format!(
                        "segment {} ({}{}, {} entries) {} bytes",
                        s.index,
                        s.compression.name(),
                        if s.index < first_appended {
                            ", base"
                        } else {
                            ", appended"
                        },
                        s.entries,
                        s.length
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::OverBudget {
                path: out.display().to_string(),
                what: "the initrd".into(),
                size: found.size,
                limit,
                contributors,
            });
        }
    }
    if let Some(limit) = budget.max_unpacked {
        if found.merged_data_size > limit {
            let mut files: Vec<_> = found.files.iter().collect();
            files.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
            let contributors = files
                .iter()
                .take(10)
                .map(|f| format!("{} (segment {}) {} bytes", f.name, f.segment, f.size))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::OverBudget {
                path: out.display().to_string(),
                what: "the unpacked image's file data".into(),
                size: found.merged_data_size,
                limit,
                contributors,
            });
        }
    }
    Ok(())
}
