// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Writing the modules segment: a compressed newc cpio of the subset.

use std::collections::HashMap;
use std::io::{self, BufWriter, Read, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::format::compress::{compress_piece, Compression, Encoder, Piece};
use crate::format::cpio::{self, Writer};
use crate::format::io::{Counting, Hashing};
use crate::format::output::Output;
use crate::kernel::modules::{kmod_index, Indexes};
use crate::kernel::KernelSource;
use rayon::prelude::*;

use super::collect::{Collected, HeldBytes};
use super::{InstallerError, Options};

/// What went into a modules segment.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentReport {
    /// Its compression.
    pub compression: Compression,
    /// Its size in bytes, compressed.
    pub size: u64,
    /// Its sha256.
    pub sha256: String,
    /// Bytes of cpio before compression.
    pub cpio_size: u64,
    /// The directory the modules are under (`lib/modules/VERSION`).
    pub moddir: String,
    /// How many modules.
    pub modules: usize,
    /// Their bytes, as stored.
    pub module_bytes: u64,
    /// The index and tree files written beside them.
    pub files: Vec<String>,
}

enum Data<'a> {
    Module(&'a str),
    Bytes(&'a [u8]),
}

/// Writes the segment for `c` to `out`.
pub(super) fn write(
    src: &KernelSource,
    c: &Collected,
    opts: &Options,
    out: &Output,
) -> Result<SegmentReport, InstallerError> {
    let name = format!("{}: modules segment", src.path().display());
    let werr = |e: io::Error| InstallerError::Io {
        path: out.path().to_owned(),
        what: "writing the modules segment".into(),
        source: e,
    };
    let names: Vec<&str> = c.closure.names();
    let indexes = c
        .modules
        .indexes(&names)
        .map_err(|source| InstallerError::Modules {
            source_path: src.path().to_owned(),
            source,
        })?;
    let builtin_bins = builtin_bins(c);
    let files = segment_files(src, c, &indexes, &builtin_bins)?;

    let level = opts.level.unwrap_or(opts.compression.default_level());
    // Counted and hashed as it is written.
    let tally: Hashing<_, Sha256> = Hashing::new(Counting::new(BufWriter::with_capacity(
        1 << 20,
        out.as_file(),
    )));
    let enc = Encoder::new(opts.compression, level, 2, tally).map_err(werr)?;
    let late = if opts.compression == Compression::Gzip {
        late_pieces(src, c, &files.files, level)?
    } else {
        HashMap::new()
    };
    let mut w = Writer::new(enc, name, opts.mtime.unwrap_or(0));
    for (path, data) in &files.files {
        write_file(src, c, &late, &mut w, path, data)?;
    }
    let (enc, cpio_size) = w.finish_counted()?;
    let mut tally = enc.finish().map_err(werr)?;
    tally.flush().map_err(werr)?;
    Ok(SegmentReport {
        compression: opts.compression,
        size: tally.inner.count,
        sha256: format!("{:x}", tally.digest.finalize()),
        cpio_size,
        moddir: c.moddir.clone(),
        modules: c.closure.included.len(),
        module_bytes: files.module_bytes,
        files: files.extra,
    })
}

fn write_err(src: &KernelSource, source: io::Error) -> InstallerError {
    InstallerError::Io {
        path: src.path().to_owned(),
        what: "writing the modules segment".into(),
        source,
    }
}

/// The built-in modules' binary indexes, as depmod writes them beside
/// the files they come from.
fn builtin_bins(c: &Collected) -> Vec<(&'static str, Vec<u8>)> {
    let mut bins = Vec::new();
    for (n, bytes) in &c.tree_files {
        match n.as_str() {
            "modules.builtin" => bins.push((
                "modules.builtin.bin",
                kmod_index::builtin_bin(&String::from_utf8_lossy(bytes)),
            )),
            "modules.builtin.modinfo" => bins.push((
                "modules.builtin.alias.bin",
                kmod_index::builtin_alias_bin(bytes),
            )),
            _ => {}
        }
    }
    bins
}

/// Every file of the segment, sorted as the cpio writer wants.
struct SegmentFiles<'a> {
    /// Each file's path and data.
    files: Vec<(String, Data<'a>)>,
    /// The modules' bytes, as stored.
    module_bytes: u64,
    /// The index and tree files, by name.
    extra: Vec<String>,
}

fn segment_files<'a>(
    src: &KernelSource,
    c: &'a Collected,
    indexes: &'a Indexes,
    builtin_bins: &'a [(&'static str, Vec<u8>)],
) -> Result<SegmentFiles<'a>, InstallerError> {
    let mut files: Vec<(String, Data<'_>)> = Vec::new();
    let mut module_bytes = 0;
    for m in &c.closure.included {
        let held = c.held.get(&m.name).ok_or_else(|| InstallerError::Source {
            source_path: src.path().to_owned(),
            problem: format!("module {} was selected but its bytes were not kept", m.name),
        })?;
        module_bytes += held.size;
        files.push((format!("{}/{}", c.moddir, m.path), Data::Module(&m.name)));
    }
    let mut extra = Vec::new();
    let text = indexes.files().map(|(n, t)| (n, t.as_bytes()));
    let built = builtin_bins.iter().map(|(n, b)| (*n, &b[..]));
    for (n, bytes) in text.into_iter().chain(indexes.binary_files()).chain(built) {
        files.push((format!("{}/{n}", c.moddir), Data::Bytes(bytes)));
        extra.push(n.to_owned());
    }
    for (n, bytes) in &c.tree_files {
        files.push((format!("{}/{n}", c.moddir), Data::Bytes(bytes)));
        extra.push(n.clone());
    }
    files.sort_by(|a, b| cpio::name::compare(&a.0, &b.0));
    Ok(SegmentFiles {
        files,
        module_bytes,
        extra,
    })
}

/// For gzip, the modules not compressed while the source was read (the
/// ones the closure added), compressed now, on all cores, rather than
/// one after another as the archive is written.
fn late_pieces<'a>(
    src: &KernelSource,
    c: &Collected,
    files: &[(String, Data<'a>)],
    level: u32,
) -> Result<HashMap<&'a str, Piece>, InstallerError> {
    let werr = |e| write_err(src, e);
    Ok(files
        .par_iter()
        .filter_map(|(_, data)| match data {
            Data::Module(m) => Some(*m),
            Data::Bytes(_) => None,
        })
        .map(|m| {
            let mut data = match &c.held[m].bytes {
                HeldBytes::Piece(_) => return Ok(None),
                HeldBytes::Zstd(z) => {
                    let mut v = Vec::new();
                    zstd::stream::read::Decoder::with_buffer(&z[..])
                        .and_then(|mut d| d.read_to_end(&mut v))
                        .map_err(werr)?;
                    v
                }
                HeldBytes::Plain(b) => b.clone(),
            };
            // The data and the cpio padding after it, as the others.
            data.resize(data.len().next_multiple_of(4), 0);
            Ok(Some((m, compress_piece(level, &data).map_err(werr)?)))
        })
        .collect::<Result<Vec<_>, InstallerError>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Writes one file of the segment: a module from the piece compressed
/// for it, or its held bytes; an index or tree file as it is.
fn write_file<W: Write>(
    src: &KernelSource,
    c: &Collected,
    late: &HashMap<&str, Piece>,
    w: &mut Writer<Encoder<W>>,
    path: &str,
    data: &Data<'_>,
) -> Result<(), InstallerError> {
    match data {
        Data::Module(m) => {
            let held = &c.held[*m];
            match (&held.bytes, late.get(*m)) {
                (HeldBytes::Piece(piece), _) | (_, Some(piece)) => {
                    w.file_with(path, 0o644, held.size, |enc| enc.insert_piece(piece))?;
                }
                (HeldBytes::Zstd(zstd), None) => {
                    let mut dec = zstd::stream::read::Decoder::with_buffer(&zstd[..])
                        .map_err(|e| write_err(src, e))?;
                    w.file(path, 0o644, held.size, &mut dec)?;
                }
                (HeldBytes::Plain(bytes), None) => {
                    w.file(path, 0o644, held.size, &mut &bytes[..])?;
                }
            }
        }
        Data::Bytes(b) => {
            w.file(path, 0o644, b.len() as u64, &mut &b[..])?;
        }
    }
    Ok(())
}
