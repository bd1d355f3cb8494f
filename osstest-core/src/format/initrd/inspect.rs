// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Reading an initrd: its segments, their entries, the merged view.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    io_err, Error, Result, MAX_ENTRIES, MAX_NAME_BYTES, MAX_UNPACKED, MAX_WARNINGS, MAX_ZERO_RUN,
};
use crate::format::compress::{self, Compression};
use crate::format::cpio::{self, name, Entry, Kind};
use crate::format::io::{read_up_to, Counting, Hashing, Teeing};

/// One segment of an initrd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentInfo {
    /// Its position among the segments, from 0.
    pub index: usize,
    /// Where it starts in the file.
    pub offset: u64,
    /// Its length in the file (compressed), without the zero padding
    /// after it.
    pub length: u64,
    /// How it is compressed.
    pub compression: Compression,
    /// cpio archives in it (a compressed stream may hold several).
    pub archives: u32,
    /// Entries, not counting trailers.
    pub entries: u64,
    /// Bytes of cpio once decompressed.
    pub uncompressed_size: u64,
    /// Sum of its entries' data sizes.
    pub data_size: u64,
}

/// One file of the merged view: what the kernel leaves at that path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// The path, relative to `/` (see [`crate::format::cpio::name::normalize`]).
    pub name: String,
    /// The segment the final version comes from.
    pub segment: usize,
    /// What it is.
    pub kind: Kind,
    /// Permission bits.
    pub mode: u32,
    /// Data size (a symlink's target length).
    pub size: u64,
    /// A symlink's target.
    pub link_target: Option<String>,
    /// For a name that links to an earlier name of the same archive.
    pub hard_link_to: Option<String>,
    /// Segments whose version of this path it replaced, oldest first.
    pub replaced: Vec<usize>,
}

/// What [`inspect`] finds in an initrd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// The file.
    pub path: String,
    /// Its size.
    pub size: u64,
    /// Its segments, in order.
    pub segments: Vec<SegmentInfo>,
    /// The merged view, sorted by name.
    pub files: Vec<FileInfo>,
    /// Sum of the merged view's data sizes: what the unpacked image holds.
    pub merged_data_size: u64,
    /// Things a maintainer should know: unsafe names, xz checks the kernel
    /// rejects, a file replacing a directory.
    pub warnings: Vec<String>,
    /// The ELF files of all segments by machine, most files first: what
    /// architecture the initrd's programs and modules are for.
    pub elf_machines: Vec<ElfMachine>,
    /// The sha256 of the bytes read (the whole file), in hex.
    pub sha256: String,
    /// Where the reading stopped, to go on from there when more is
    /// appended (see [`inspect_after`]).
    #[serde(skip)]
    state: Reached,
}

/// What an inspection counted against the bounds, the warnings it left
/// out and the hash so far, to go on from.
#[derive(Clone)]
struct Reached {
    totals: Totals,
    warnings_dropped: usize,
    digest: Sha256,
}

impl std::fmt::Debug for Reached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reached")
            .field("totals", &self.totals)
            .field("warnings_dropped", &self.warnings_dropped)
            .finish_non_exhaustive()
    }
}

/// The hash state is what the bytes read make it, which
/// [`Inspection::sha256`] compares already.
impl PartialEq for Reached {
    fn eq(&self, other: &Reached) -> bool {
        (&self.totals, self.warnings_dropped) == (&other.totals, other.warnings_dropped)
    }
}

impl Eq for Reached {}

/// How many ELF files of one machine an initrd holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElfMachine {
    /// `e_machine` (`EM_*`).
    pub machine: u16,
    /// 32 or 64 (`EI_CLASS`).
    pub bits: u8,
    /// Regular files with that header.
    pub files: u64,
}

/// The ELF machine and class of a file starting with `head`.
fn elf_machine(head: &[u8]) -> Option<(u16, u8)> {
    if head.len() < 20 || !head.starts_with(b"\x7fELF") {
        return None;
    }
    let bits = match head[4] {
        1 => 32,
        2 => 64,
        _ => return None,
    };
    let m = [head[18], head[19]];
    let machine = match head[5] {
        1 => u16::from_le_bytes(m),
        2 => u16::from_be_bytes(m),
        _ => return None,
    };
    Some((machine, bits))
}

/// What a segment starting with `head` is, as the kernel tells: a
/// compression it knows, or a plain cpio archive ([`Compression::None`]);
/// `None` if neither.
pub(super) fn segment_compression(head: &[u8]) -> Option<Compression> {
    Compression::from_magic(head).or_else(|| {
        (head.starts_with(cpio::MAGIC_NEWC) || head.starts_with(cpio::MAGIC_CRC))
            .then_some(Compression::None)
    })
}

/// Calls `visit` for every entry of every segment of the initrd at `path`,
/// in order, with the entry's data readable (bounded to the entry);
/// returns the segments. Fails naming the segment and member on anything
/// the kernel would not unpack, on a file with no archive in it, and over
/// one of the [bounds](super#bounds).
pub fn walk(
    path: &Path,
    visit: impl FnMut(&SegmentInfo, &Entry, &mut dyn Read) -> Result<()>,
) -> Result<Vec<SegmentInfo>> {
    Ok(walk_origins(path, &Origins::of(path), None, None, visit)?.segments)
}

/// What [`walk_origins`] read.
struct Walked {
    /// Every segment, those of the inspection it went on from first.
    segments: Vec<SegmentInfo>,
    /// What they count against the bounds.
    totals: Totals,
    /// The hash of the whole file.
    digest: Sha256,
    /// Its size: the bytes read.
    size: u64,
}

/// Which file to blame for the bytes at each offset of an initrd being
/// read: the initrd itself or, reading back what [`super::append`]
/// wrote, the input each part was copied from, so that a corrupt base or
/// segment is named as itself, with its own offsets and segment numbers.
pub(super) struct Origins {
    /// Where each part starts in the file, and its name; sorted.
    parts: Vec<(u64, String)>,
}

impl Origins {
    /// The whole file is `path`.
    pub(super) fn of(path: &Path) -> Origins {
        Origins {
            parts: vec![(0, path.display().to_string())],
        }
    }

    /// From offset `start` on, the bytes come from `name`.
    pub(super) fn push(&mut self, start: u64, name: String) {
        self.parts.push((start, name));
    }

    /// The part holding `offset`: its index, start and name.
    fn at(&self, offset: u64) -> (usize, u64, &str) {
        let i = self.parts.partition_point(|(s, _)| *s <= offset).max(1) - 1;
        (i, self.parts[i].0, &self.parts[i].1)
    }
}

/// Where [`walk_origins`] goes on from: an inspection of the file's
/// first part.
type After<'a> = Option<&'a Inspection>;

/// Where [`walk_origins`] writes a copy of every byte it reads: the
/// output's name, and the output.
type CopyTo<'a> = Option<(&'a Path, &'a mut dyn Write)>;

/// [`walk`], blaming errors on the parts `origins` names. After `prev`,
/// an inspection of the file's first part, it visits only what follows;
/// with `copy`, every byte read is written there as it is read.
fn walk_origins(
    path: &Path,
    origins: &Origins,
    prev: After<'_>,
    copy: CopyTo<'_>,
    mut visit: impl FnMut(&SegmentInfo, &Entry, &mut dyn Read) -> Result<()>,
) -> Result<Walked> {
    let mut file = File::open(path).map_err(io_err(path, "opening"))?;
    let peek = file.try_clone().map_err(io_err(path, "opening"))?;
    let mut walking = Walking {
        path,
        origins,
        peek: &peek,
        first_index: HashMap::new(),
        segments: Vec::new(),
        totals: Totals::default(),
    };
    let mut digest = Sha256::new();
    let mut start = 0;
    if let Some(prev) = prev {
        walking.segments = prev.segments.clone();
        walking.totals = prev.state.totals.clone();
        digest = prev.state.digest.clone();
        start = prev.size;
        file.seek(SeekFrom::Start(start))
            .map_err(io_err(path, "reading"))?;
        // The parts already read began with their first segment.
        for (part, (offset, _)) in origins.parts.iter().enumerate() {
            if *offset < start {
                walking.first_index.insert(part, 0);
            }
        }
    }
    let (copy_path, copy) = match copy {
        Some((p, w)) => (Some(p), Some(w)),
        None => (None, None),
    };
    let read = Hashing {
        inner: Teeing::new(file, copy),
        digest,
    };
    let mut top = Counting::new(BufReader::with_capacity(1 << 16, read));
    top.count = start;
    let walked = walking.segments(&mut top, &mut visit);
    let top_count = top.count;
    let read = top.inner.into_inner();
    if let (Some(p), Some(e)) = (copy_path, read.inner.write_error) {
        return Err(io_err(p, "writing")(e));
    }
    walked?;
    if walking.segments.is_empty() {
        return Err(Error::Empty {
            path: path.display().to_string(),
        });
    }
    Ok(Walked {
        segments: walking.segments,
        totals: walking.totals,
        digest: read.digest,
        size: top_count,
    })
}

/// A walk of an initrd's segments in progress.
struct Walking<'a> {
    path: &'a Path,
    origins: &'a Origins,
    /// The file, for looking ahead at a segment's first bytes.
    peek: &'a File,
    /// The first segment index seen in each part of `origins`.
    first_index: HashMap<usize, usize>,
    /// The segments read so far.
    segments: Vec<SegmentInfo>,
    /// What they hold, against the bounds.
    totals: Totals,
}

impl Walking<'_> {
    /// Reads segments from `top` to its end, visiting every entry.
    fn segments<R: BufRead>(
        &mut self,
        top: &mut Counting<R>,
        visit: &mut impl FnMut(&SegmentInfo, &Entry, &mut dyn Read) -> Result<()>,
    ) -> Result<()> {
        let (path, origins, peek) = (self.path, self.origins, self.peek);
        let Walking {
            first_index,
            segments,
            totals,
            ..
        } = self;
        loop {
            if !skip_zeros(top, path)? {
                return Ok(());
            }
            let offset = top.count;
            let mut head = [0u8; 8];
            let n = peek
                .read_at(&mut head, offset)
                .map_err(io_err(path, "reading"))?;
            let head = &head[..n];
            let index = segments.len();
            let (part, start, name) = origins.at(offset);
            let part_index = index - *first_index.entry(part).or_insert(index);
            let fmt = |problem: String| Error::Format {
                path: name.to_owned(),
                offset: offset - start,
                problem,
            };
            let Some(compression) = segment_compression(head) else {
                return Err(fmt(format!(
                    "unrecognised data {head:02x?} (neither a cpio archive nor a compression the kernel knows)"
                )));
            };
            let label = format!(
                "{name} segment {part_index} ({} at offset {})",
                compression.name(),
                offset - start
            );
            let mut info = SegmentInfo {
                index,
                offset,
                length: 0,
                compression,
                archives: 0,
                entries: 0,
                uncompressed_size: 0,
                data_size: 0,
            };
            if compression == Compression::None {
                if offset % 4 != 0 {
                    return Err(fmt(
                        "uncompressed cpio archive at an offset that is not a multiple of 4: the kernel would reject it".into(),
                    ));
                }
                let mut reader = cpio::Reader::new(&mut *top, label);
                read_archive(&mut reader, &mut info, totals, visit)?;
                info.uncompressed_size = reader.offset();
            } else {
                if !compression.is_readable() {
                    return Err(fmt(format!(
                        "{} segments are recognised but not read",
                        compression.name()
                    )));
                }
                let decoder = compress::single_stream(compression, &mut *top)
                    .map_err(|e| fmt(e.to_string()))?;
                let mut reader =
                    cpio::Reader::new(BufReader::with_capacity(1 << 16, decoder), label);
                loop {
                    read_archive(&mut reader, &mut info, totals, visit)?;
                    if !reader.next_archive()? {
                        break;
                    }
                }
                info.uncompressed_size = reader.offset();
            }
            info.length = top.count - offset;
            totals.unpacked += info.uncompressed_size;
            segments.push(info);
        }
    }
}

/// Skips the zero bytes before a segment, as the kernel does, up to
/// [`MAX_ZERO_RUN`]; whether a segment follows.
fn skip_zeros<R: BufRead>(top: &mut Counting<R>, path: &Path) -> Result<bool> {
    let start = top.count;
    loop {
        if top.count - start > MAX_ZERO_RUN {
            return Err(Error::Limit {
                place: path.display().to_string(),
                what: format!("zero bytes in a row at offset {start}"),
                limit: MAX_ZERO_RUN,
                bound: "padding between segments".into(),
            });
        }
        let buf = top.fill_buf().map_err(io_err(path, "reading"))?;
        if buf.is_empty() {
            return Ok(false);
        }
        let zeros = buf.iter().take_while(|&&b| b == 0).count();
        let all = zeros == buf.len();
        top.consume(zeros);
        if !all {
            return Ok(true);
        }
    }
}

/// What the segments read so far hold, against the bounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Totals {
    entries: u64,
    name_bytes: u64,
    /// Decompressed bytes of the segments before the current one.
    unpacked: u64,
}

impl Totals {
    /// Counts `entry` (read at `offset` of the current segment's cpio);
    /// an error naming `place` over a bound.
    fn count(&mut self, entry: &Entry, offset: u64, place: &str) -> Result<()> {
        self.entries += 1;
        self.name_bytes +=
            (entry.name.len() + entry.link_target.as_ref().map_or(0, String::len)) as u64;
        let over = |what: &str, limit: u64, bound: &str| Error::Limit {
            place: place.to_owned(),
            what: what.to_owned(),
            limit,
            bound: bound.to_owned(),
        };
        if self.entries > MAX_ENTRIES {
            return Err(over("entries", MAX_ENTRIES, "entries in an initrd"));
        }
        if self.name_bytes > MAX_NAME_BYTES {
            return Err(over(
                "bytes of names and link targets",
                MAX_NAME_BYTES,
                "an initrd's names",
            ));
        }
        if self.unpacked + offset > MAX_UNPACKED {
            return Err(over(
                "bytes of decompressed cpio",
                MAX_UNPACKED,
                "an initrd's unpacked size",
            ));
        }
        Ok(())
    }
}

fn read_archive<R: BufRead>(
    reader: &mut cpio::Reader<R>,
    info: &mut SegmentInfo,
    totals: &mut Totals,
    visit: &mut impl FnMut(&SegmentInfo, &Entry, &mut dyn Read) -> Result<()>,
) -> Result<()> {
    info.archives += 1;
    while let Some(entry) = reader.next_entry()? {
        totals.count(&entry, reader.offset() + entry.size, reader.archive())?;
        info.entries += 1;
        info.data_size += entry.size;
        let mut data = reader.data();
        visit(info, &entry, &mut data)?;
    }
    Ok(())
}

/// Lists the segments of the initrd at `path` and what the kernel would
/// unpack from them.
pub fn inspect(path: &Path) -> Result<Inspection> {
    inspect_with(path, &Origins::of(path), None, None)
}

/// [`inspect`], writing every byte read to `copy` (the output named
/// `copy_path`) as it goes: the copy is the bytes inspected, whatever
/// happens to the file after.
pub(super) fn inspect_copying(
    path: &Path,
    copy_path: &Path,
    copy: &mut dyn Write,
) -> Result<Inspection> {
    inspect_with(path, &Origins::of(path), None, Some((copy_path, copy)))
}

/// [`inspect`] of a file whose first part `prev` inspected (the base an
/// append copied as it inspected it), blaming errors on the parts
/// `origins` names: it reads only what follows, and returns what
/// inspecting the whole file returns.
pub(super) fn inspect_after(
    path: &Path,
    origins: &Origins,
    prev: &Inspection,
) -> Result<Inspection> {
    inspect_with(path, origins, Some(prev), None)
}

/// [`inspect`], after `prev` and copying to `copy` (see
/// [`walk_origins`]).
fn inspect_with(
    path: &Path,
    origins: &Origins,
    prev: After<'_>,
    copy: CopyTo<'_>,
) -> Result<Inspection> {
    let mut files: BTreeMap<String, FileInfo> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut warnings_dropped = 0;
    let mut machines: BTreeMap<(u16, u8), u64> = BTreeMap::new();
    if let Some(prev) = prev {
        files.extend(prev.files.iter().map(|f| (f.name.clone(), f.clone())));
        warnings.clone_from(&prev.warnings);
        warnings_dropped = prev.state.warnings_dropped;
        if warnings_dropped > 0 {
            // The line that says how many were left out, said again below.
            warnings.pop();
        }
        machines.extend(
            prev.elf_machines
                .iter()
                .map(|m| ((m.machine, m.bits), m.files)),
        );
    }
    // Hard-link groups within the current archive: (segment, ino) -> name.
    let mut inodes: HashMap<(usize, u32, (u32, u32)), String> = HashMap::new();
    let peek = File::open(path).map_err(io_err(path, "opening"))?;
    let walked = walk_origins(path, origins, prev, copy, |seg, entry, data| {
        if entry.kind == Kind::File && entry.size >= 20 {
            let mut head = [0u8; 20];
            let n = read_up_to(&mut &mut *data, &mut head).map_err(data_error)?;
            if let Some(m) = elf_machine(&head[..n]) {
                *machines.entry(m).or_default() += 1;
            }
        }
        if seg.entries == 1 && seg.compression == Compression::Xz {
            let mut head = [0u8; 8];
            if peek.read_at(&mut head, seg.offset).is_ok() {
                if let Some(check) = compress::xz_check(&head) {
                    if check > 1 {
                        warnings.push(format!(
                            "segment {} (offset {}): xz check type {check} (the kernel's decoder accepts only CRC32 or none; use xz --check=crc32)",
                            seg.index, seg.offset
                        ));
                    }
                }
            }
        }
        if let Some(p) = entry.name_problem() {
            warnings.push(format!(
                "segment {} member {:?} at offset {}: {p}",
                seg.index, entry.name, entry.offset
            ));
        }
        let key = name::normalize(&entry.name);
        if key.is_empty() {
            return Ok(());
        }
        let mut hard_link_to = None;
        if entry.is_hard_linked() {
            let k = (seg.index, entry.ino, entry.dev);
            match inodes.get(&k) {
                Some(first) => hard_link_to = Some(first.clone()),
                None => {
                    inodes.insert(k, key.clone());
                }
            }
        }
        let mut replaced = Vec::new();
        if let Some(old) = files.remove(&key) {
            if old.kind == Kind::Directory && entry.kind != Kind::Directory {
                warnings.push(format!(
                    "segment {} replaces directory {key} (from segment {}) with a {:?}; the kernel cannot remove a directory that is not empty",
                    seg.index, old.segment, entry.kind
                ));
            }
            replaced = old.replaced;
            replaced.push(old.segment);
        }
        files.insert(
            key.clone(),
            FileInfo {
                name: key,
                segment: seg.index,
                kind: entry.kind,
                mode: entry.mode & 0o7777,
                size: entry.size,
                link_target: entry.link_target.clone(),
                hard_link_to,
                replaced,
            },
        );
        Ok(())
    })?;
    let files: Vec<FileInfo> = files.into_values().collect();
    let merged_data_size = files.iter().map(|f| f.size).sum();
    if warnings.len() > MAX_WARNINGS || warnings_dropped > 0 {
        warnings_dropped += warnings.len().saturating_sub(MAX_WARNINGS);
        warnings.truncate(MAX_WARNINGS);
        warnings.push(format!("... and {warnings_dropped} more warnings"));
    }
    let mut elf_machines: Vec<ElfMachine> = machines
        .into_iter()
        .map(|((machine, bits), files)| ElfMachine {
            machine,
            bits,
            files,
        })
        .collect();
    elf_machines.sort_by_key(|m| std::cmp::Reverse(m.files));
    Ok(Inspection {
        path: path.display().to_string(),
        size: walked.size,
        segments: walked.segments,
        files,
        merged_data_size,
        warnings,
        elf_machines,
        sha256: format!("{:x}", walked.digest.clone().finalize()),
        state: Reached {
            totals: walked.totals,
            warnings_dropped,
            digest: walked.digest,
        },
    })
}

/// An entry data error back as the cpio error it carries (the reader's
/// errors always do; the path says where the data was being read).
fn data_error(e: io::Error) -> Error {
    let kind = e.kind();
    let other = |source| Error::Io {
        path: "(initrd member data)".into(),
        what: "reading".into(),
        source,
    };
    match e.into_inner() {
        Some(inner) => match inner.downcast::<cpio::Error>() {
            Ok(c) => Error::Cpio(*c),
            Err(inner) => other(io::Error::new(kind, inner)),
        },
        None => other(io::Error::from(kind)),
    }
}
