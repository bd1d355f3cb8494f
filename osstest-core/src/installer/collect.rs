// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! One pass over the kernel source: the image (written out as it goes
//! by), every module's metadata, the bytes of the modules the segment may
//! need, the module tree's own files, the DTBs (into their tarball as
//! they go by).
//!
//! A compressed module (`.ko.xz`, say) is decompressed and parsed on
//! rayon's threads while the reading thread goes on; the reading thread
//! takes the results back in the source's order (waiting for the oldest
//! when [`PENDING`] modules or [`PENDING_BYTES`] wait), so everything
//! below sees the modules in that order whatever the threads do.
//!
//! What happens to a module's bytes is decided as it goes by:
//!
//! - a module the selection patterns match is in the segment whatever the
//!   closure adds: for a gzip segment it is compressed at once, on
//!   rayon's threads while the source is still being read, into a deflate
//!   piece the segment splices in; otherwise it is held zstd-compressed;
//! - a module that could be a dependency -- it exports symbols (what
//!   `depends=` comes from), has a `crypto-` alias, or is named by a
//!   `softdep` seen so far -- is held zstd-compressed;
//! - any other module's bytes are dropped. Only a `softdep` met later can
//!   still want one; if the closure does, the source is read a second
//!   time for those modules alone.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufWriter, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::format::compress::pgzip::ParGzEncoder;
use crate::format::compress::{compress_piece, Compression, Piece};
use crate::format::io::{Counting, Hashing};
use crate::format::output::{self, CopyError, Output, Watched};
use crate::kernel::modinfo::ModuleInfo;
use crate::kernel::modules::{
    module_name_from_path, plain_module_path, Closure, KernelModules, Matcher, Module,
    ModulesError, Selection, Want,
};
use crate::kernel::{
    Entry, EntryKind, ImageArch, KernelCheck, KernelError, KernelSource, ModulePath, Role,
    HEAD_BYTES, MODULE_LIMIT,
};

use super::rules::{Made, Rules};
use super::{io_err, InstallerError, Options};

/// The most bytes of an image written out (a larger one is not a kernel).
const IMAGE_LIMIT: u64 = 512 << 20;
/// zstd level for modules held until the closure is known: fast, and
/// still a third of the size.
const HOLD_LEVEL: i32 = 1;
/// Module bytes waiting for a compressing thread before the reading
/// thread compresses the next one itself (bounds memory when the
/// compressors fall behind).
const BACKLOG: usize = 4 << 20;
/// Bytes of compressed modules read and waiting to be decompressed and
/// parsed before the reading thread waits for the oldest.
const PENDING_BYTES: usize = 2 << 20;
/// The most modules waiting so.
const PENDING: usize = 64;
/// The module tree's files that go into the segment as they are.
const TREE_FILES: &[&str] = &[
    "modules.order",
    "modules.builtin",
    "modules.builtin.modinfo",
];

/// The kernel image.
pub(super) struct Image {
    /// Its path in the source.
    pub path: String,
    /// What it is for.
    pub arch: ImageArch,
    /// The output it was written to, uncommitted, and what went into it
    /// (when [`Outputs`] asked for it).
    pub written: Option<(Output, Written)>,
}

/// The outputs [`collect`] writes as the source goes by (for
/// [`super::di_kernel`]): the image, byte for byte, and the DTB tarball.
pub(super) struct Outputs {
    /// Where the image goes; left uncommitted, as the kernel's version,
    /// which names it, is known only once the source is read.
    pub image: Output,
    /// Where the DTB tarball goes; committed.
    pub dtbs: Output,
}

/// A module compressed on another thread: its name, the piece (or what
/// was being done and the error), its size.
type Compressed = (String, Result<Piece, (String, std::io::Error)>, u64);

/// A module's bytes as the segment will store them, held until it is
/// written.
pub(super) enum HeldBytes {
    /// Compressed for a gzip segment: the data and its cpio padding.
    Piece(Piece),
    /// zstd-compressed.
    Zstd(Vec<u8>),
    /// As they are (modules read a second time).
    Plain(Vec<u8>),
}

/// A module's bytes, held until the segment is written.
pub(super) struct Held {
    /// The bytes.
    pub bytes: HeldBytes,
    /// How many the segment stores.
    pub size: u64,
}

/// Everything the segment and the manifest need from the source.
pub(super) struct Collected {
    /// The kernel version.
    pub version: String,
    /// The image.
    pub image: Image,
    /// `Package`, `Version` and `Architecture` of a .deb.
    pub package: Option<(String, String, String)>,
    /// Every module of the kernel, by path relative to the module tree as
    /// the segment names it (`.ko` unless compression is kept).
    pub modules: KernelModules,
    /// The dependency-closed subset.
    pub closure: Closure,
    /// Module bytes by module name, for the subset only.
    pub held: HashMap<String, Held>,
    /// `modules.order` and friends, as shipped.
    pub tree_files: Vec<(String, Vec<u8>)>,
    /// Where the modules were in the source (`lib/modules/VER`).
    pub source_moddir: String,
    /// Where they go in the installer (`lib/modules/VER`).
    pub moddir: String,
    /// How many DTB files went into the tarball.
    pub dtb_count: usize,
    /// The DTB tarball, as written (when there was one to write).
    pub dtbs: Option<Written>,
}

/// The size and sha256 of an output, taken as it was written.
#[derive(Debug, Clone)]
pub(super) struct Written {
    /// Its size.
    pub size: u64,
    /// Its sha256, in hex.
    pub sha256: String,
}

impl Written {
    /// What went through `w`, and the writer under it.
    fn taken<W>(w: Counting<Hashing<W, Sha256>>) -> (Written, W) {
        let written = Written {
            size: w.count,
            sha256: format!("{:x}", w.inner.digest.finalize()),
        };
        (written, w.inner.inner)
    }
}

/// The gzip level of the DTB tarball.
const DTB_LEVEL: u32 = 6;

/// Writes DTBs into a deterministic gzipped tar as they stream by,
/// compressed with libdeflate on rayon's threads (the reading thread has
/// the package to get through).
/// The DTB tarball's output, counted and hashed as it is written.
type DtbFile = BufWriter<Counting<Hashing<Output, Sha256>>>;

struct DtbTar {
    builder: tar::Builder<ParGzEncoder<DtbFile>>,
    mtime: u64,
    path: std::path::PathBuf,
}

impl DtbTar {
    fn create(f: Output, mtime: u64) -> Result<DtbTar, InstallerError> {
        let path = f.path().to_owned();
        let gz = ParGzEncoder::new(BufWriter::new(Counting::new(Hashing::new(f))), DTB_LEVEL);
        let mut builder = tar::Builder::new(gz);
        builder.mode(tar::HeaderMode::Deterministic);
        Ok(DtbTar {
            builder,
            mtime,
            path,
        })
    }

    fn header(&self, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(self.mtime);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    /// Writes the tarball's end and commits it; its size and sha256.
    fn finish(self) -> Result<Written, InstallerError> {
        let path = &self.path;
        let gz = self.builder.into_inner().map_err(io_err(path, "writing"))?;
        let w = gz.finish().map_err(io_err(path, "writing"))?;
        let counted = w
            .into_inner()
            .map_err(|e| io_err(path, "writing")(e.into_error()))?;
        let (written, out) = Written::taken(counted);
        out.set_mode(0o644)?;
        out.commit()?;
        Ok(written)
    }
}

/// The part of a DTB path below the DTB root: `broadcom/x.dtb` from
/// `usr/lib/linux-image-VER/broadcom/x.dtb` or `boot/dtbs/VER/...`.
fn dtb_relative(path: &str, version: Option<&str>) -> Option<String> {
    let rest = path
        .strip_prefix("usr/lib/")
        .or_else(|| path.strip_prefix("boot/"))?;
    let mut parts = rest.split('/');
    let first = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    let rest = if first == "dtbs" && rest.first().copied() == version && version.is_some() {
        &rest[1..]
    } else {
        &rest[..]
    };
    (!rest.is_empty()).then(|| rest.join("/"))
}

/// Reads the source once. `dtbs`: where to write the DTB tarball (the
/// image is kept only then, for [`super::di_kernel`]). `moddir_root`: the
/// installer's module directory without the version.
pub(super) fn collect(
    src: &KernelSource,
    opts: &Options,
    rules: Rules<'_>,
    outputs: Option<Outputs>,
) -> Result<Collected, InstallerError> {
    let (image_out, dtbs) = match outputs {
        Some(o) => (Some(o.image), Some(o.dtbs)),
        None => (None, None),
    };
    let pieces: Mutex<Vec<Compressed>> = Mutex::new(Vec::new());
    let backlog = AtomicUsize::new(0);
    let mut reading = Reading {
        src,
        opts,
        dtb_tar: match dtbs {
            Some(p) => Some(DtbTar::create(p, u64::from(opts.mtime.unwrap_or(0)))?),
            None => None,
        },
        check: KernelCheck::new(src),
        image_out,
        image_written: None,
        parsed: Vec::new(),
        rules,
        keeper: Keeper {
            piece_level: (opts.compression == Compression::Gzip)
                .then(|| opts.level.unwrap_or(Compression::Gzip.default_level())),
            softdep_targets: HashSet::new(),
            held: HashMap::new(),
            dropped: HashMap::new(),
            pieces: &pieces,
            backlog: &backlog,
        },
        tree_files: Vec::new(),
        source_moddir: None,
        dtb_count: 0,
        pending: VecDeque::new(),
        pending_bytes: 0,
    };
    // Decompressions and compressions spawned while reading run on
    // rayon's threads; the scope ends when the last one has.
    let control: Result<_, KernelError> = rayon::in_place_scope(|scope| {
        let control = src.visit(|e| reading.entry(scope, e))?;
        reading.take_pending(scope, true)?;
        Ok(control)
    });
    let Reading {
        rules,
        check,
        image_written,
        parsed,
        keeper,
        tree_files,
        source_moddir,
        dtb_tar,
        dtb_count,
        ..
    } = reading;
    let (mut all_held, dropped) = (keeper.held, keeper.dropped);
    let Made {
        selection,
        moddir_root,
    } = rules.finish(src)?;
    let control = control?;
    for (name, piece, size) in pieces.into_inner().expect("no panics holding it") {
        let piece = piece.map_err(|(what, e)| src.read_err(what)(e))?;
        let bytes = HeldBytes::Piece(piece);
        all_held.insert(name, Held { bytes, size });
    }
    let dtbs = dtb_tar.map(DtbTar::finish).transpose()?;

    // The checks every reader of a kernel makes, then the installer's own.
    let checked = check.finish(control.as_ref())?;
    let version = checked.version;
    if parsed.is_empty() {
        return Err(problem(src, format!(
            "kernel {version} has no modules (no lib/modules/{version} or usr/lib/modules/{version})"
        )));
    }
    let (modules, closure) = close(src, opts, &selection, parsed, &tree_files, &version)?;
    let held = take_held(src, opts, &closure, all_held, &dropped)?;
    let package = control.map(|c| {
        (
            c.package().to_owned(),
            c.version().to_owned(),
            c.architecture().to_owned(),
        )
    });
    Ok(Collected {
        moddir: format!("{moddir_root}/{version}"),
        version,
        image: Image {
            path: checked.image,
            arch: checked.arch,
            written: image_written,
        },
        package,
        modules,
        closure,
        held,
        tree_files,
        source_moddir: source_moddir.unwrap_or_default(),
        dtb_count,
        dtbs,
    })
}

/// The installer's own fault with a source.
fn problem(src: &KernelSource, problem: String) -> InstallerError {
    InstallerError::Source {
        source_path: src.path().to_owned(),
        problem,
    }
}

pub(super) fn modules_err(src: &KernelSource, source: ModulesError) -> InstallerError {
    InstallerError::Modules {
        source_path: src.path().to_owned(),
        source,
    }
}

/// The reading of a source by [`collect`], entry by entry; `'p` is
/// the life of what the compressing threads share.
struct Reading<'a, 'p> {
    src: &'a KernelSource,
    opts: &'a Options,
    dtb_tar: Option<DtbTar>,
    /// What to select: waited for at the first module.
    rules: Rules<'a>,
    check: KernelCheck<'a>,
    /// Where the image is to be written, until it is.
    image_out: Option<Output>,
    /// The image's output, written.
    image_written: Option<(Output, Written)>,
    parsed: Vec<Module>,
    keeper: Keeper<'p>,
    tree_files: Vec<(String, Vec<u8>)>,
    source_moddir: Option<String>,
    dtb_count: usize,
    /// Modules being decompressed and parsed on rayon's threads, in the
    /// order they were read.
    pending: VecDeque<Pending>,
    /// Their bytes as read.
    pending_bytes: usize,
}

/// The module `p` once it is decompressed and parsed. A rayon thread
/// waiting (di_kernel called from a parallel iterator, say) runs other
/// pending work meanwhile, as it may be the thread that has `p`'s.
fn wait_for(p: &Pending) -> Result<ReadModule, KernelError> {
    use std::sync::mpsc::TryRecvError;
    let stopped = || {
        Err(KernelError::Visitor(format!(
            "{}: its decompression stopped",
            p.path
        )))
    };
    loop {
        match p.module.try_recv() {
            Ok(m) => return m,
            Err(TryRecvError::Disconnected) => return stopped(),
            Err(TryRecvError::Empty) => {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    // Nothing to run here: another thread has it.
                    return p.module.recv().unwrap_or_else(|_| stopped());
                }
            }
        }
    }
}

/// A module read, being decompressed and parsed on another thread.
struct Pending {
    /// Its member name.
    path: String,
    /// Its bytes as read, counted in [`Reading::pending_bytes`].
    raw: usize,
    /// The module, when it is ready.
    module: std::sync::mpsc::Receiver<Result<ReadModule, KernelError>>,
}

impl<'a, 'p> Reading<'a, 'p> {
    fn entry<'s>(&mut self, scope: &rayon::Scope<'s>, e: &mut Entry<'_>) -> Result<(), KernelError>
    where
        'a: 's,
        'p: 's,
    {
        self.check.entry(e);
        if e.kind != EntryKind::File {
            return Ok(());
        }
        match e.role {
            Role::Image => self.image(e),
            Role::Module => self.module(scope, e),
            Role::ModuleTree => self.tree_file(e),
            Role::Dtb => self.dtb(e),
            _ => Ok(()),
        }
    }

    /// Checks the image, and writes it out as it is read when there is
    /// an output for it.
    fn image(&mut self, e: &mut Entry<'_>) -> Result<(), KernelError> {
        let src = self.src;
        let what = format!("{} ({})", e.path, e.location);
        let read_err = || src.read_err(what.clone());
        let mut head = Vec::with_capacity(HEAD_BYTES);
        (&mut *e)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(read_err())?;
        self.check.image(&e.path, &head)?;
        let Some(out) = self.image_out.take() else {
            return Ok(());
        };
        if e.size > IMAGE_LIMIT {
            return Err(src.member_err(
                &e.path,
                format!(
                    "{} bytes, more than the {IMAGE_LIMIT} an image may be",
                    e.size
                ),
            ));
        }
        let written = write_image(&out, &head, &mut *e).map_err(|err| match err {
            CopyError::Read(err) => read_err()(err),
            CopyError::Write(err) => KernelError::Visitor(out.err("writing")(err).to_string()),
        })?;
        self.image_written = Some((out, written));
        Ok(())
    }

    /// Reads a module; a compressed one is decompressed and parsed on
    /// another thread, and taken, oldest first, while too many wait.
    fn module<'s>(&mut self, scope: &rayon::Scope<'s>, e: &mut Entry<'_>) -> Result<(), KernelError>
    where
        'a: 's,
        'p: 's,
    {
        let raw = read_raw_module(self.src, e, self.opts.keep_module_compression)?;
        self.source_moddir.get_or_insert_with(|| raw.moddir.clone());
        if e.path.ends_with(".ko") && self.pending.is_empty() {
            // Plain: parsing it here costs less than handing it over.
            let m = decode_module(self.src, &e.path, raw, self.opts.keep_module_compression)?;
            return self.take_module(scope, &e.path, m);
        }
        let (sent, module) = std::sync::mpsc::sync_channel(1);
        let (src, path) = (self.src, e.path.clone());
        let keep_compression = self.opts.keep_module_compression;
        self.pending_bytes += raw.bytes.len();
        self.pending.push_back(Pending {
            path: path.clone(),
            raw: raw.bytes.len(),
            module,
        });
        scope.spawn(move |_| {
            // The receiver is gone only when the reading failed.
            let _ = sent.send(decode_module(src, &path, raw, keep_compression));
        });
        self.take_pending(scope, false)
    }

    /// Takes the pending modules, oldest first: `all` of them, or until
    /// they are at most [`PENDING`] holding at most [`PENDING_BYTES`].
    fn take_pending<'s>(&mut self, scope: &rayon::Scope<'s>, all: bool) -> Result<(), KernelError>
    where
        'p: 's,
    {
        while all || self.pending_bytes > PENDING_BYTES || self.pending.len() > PENDING {
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            self.pending_bytes -= p.raw;
            let m = wait_for(&p)?;
            self.take_module(scope, &p.path, m)?;
        }
        Ok(())
    }

    /// Checks a module decompressed and parsed, and keeps what the
    /// segment may need of it (in the order the source has them).
    fn take_module<'s>(
        &mut self,
        scope: &rayon::Scope<'s>,
        path: &str,
        mut m: ReadModule,
    ) -> Result<(), KernelError>
    where
        'p: 's,
    {
        self.check.module(path, &m.info)?;
        let Some(rules) = self.rules.ready(self.src) else {
            // Why is returned by the rules, after the walk.
            return Err(KernelError::Visitor(
                "the installer's rules could not be made".into(),
            ));
        };
        self.keeper
            .keep(scope, self.src, path, &mut m, &rules.matcher)?;
        self.parsed.push(Module {
            path: m.rel,
            name: m.name,
            info: m.info,
        });
        Ok(())
    }

    /// Keeps `modules.order` and friends.
    fn tree_file(&mut self, e: &mut Entry<'_>) -> Result<(), KernelError> {
        let rel = ModulePath::parse(&e.path).map_or("", |m| m.rest).to_owned();
        if TREE_FILES.contains(&rel.as_str()) {
            let bytes = e
                .read_all(MODULE_LIMIT)
                .map_err(self.src.read_err(format!("{} ({})", e.path, e.location)))?;
            self.tree_files.push((rel, bytes));
        }
        Ok(())
    }

    /// Counts a DTB, and puts it in the tarball if there is one.
    fn dtb(&mut self, e: &mut Entry<'_>) -> Result<(), KernelError> {
        let src = self.src;
        if let Some(t) = self.dtb_tar.as_mut() {
            let rel = dtb_relative(&e.path, e.version.as_deref())
                .ok_or_else(|| src.member_err(&e.path, "a DTB outside a DTB directory".into()))?;
            let mut h = t.header(tar::EntryType::Regular, 0o644, e.size);
            let mut data = Watched::new(&mut *e);
            if let Err(err) = t.builder.append_data(&mut h, &rel, &mut data) {
                return Err(if data.failed() {
                    src.read_err(format!("{} ({})", e.path, e.location))(err)
                } else {
                    // The visitor's own output: the message says which.
                    KernelError::Visitor(io_err(&t.path, "writing")(err).to_string())
                });
            }
        }
        self.dtb_count += 1;
        Ok(())
    }
}

/// Writes `head` and the rest of `rest` (up to [`IMAGE_LIMIT`]) to `out`;
/// what it wrote.
fn write_image(out: &Output, head: &[u8], rest: &mut dyn Read) -> Result<Written, CopyError> {
    let mut w = Counting::new(Hashing::<_, Sha256>::new(BufWriter::with_capacity(
        1 << 20,
        out,
    )));
    w.write_all(head).map_err(CopyError::Write)?;
    output::copy(&mut rest.take(IMAGE_LIMIT), &mut w)?;
    w.flush().map_err(CopyError::Write)?;
    Ok(Written::taken(w).0)
}

/// The kernel's modules, indexed, and the selection's dependency-closed
/// subset of them; an error if it is empty or (unless allowed) misses a
/// hard dependency.
fn close(
    src: &KernelSource,
    opts: &Options,
    selection: &Selection,
    parsed: Vec<Module>,
    tree_files: &[(String, Vec<u8>)],
    version: &str,
) -> Result<(KernelModules, Closure), InstallerError> {
    let text = |name: &str| {
        tree_files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
    };
    let order = text("modules.order");
    let builtin = text("modules.builtin");
    let modules = KernelModules::from_modules(parsed, order.as_deref(), builtin.as_deref())
        .map_err(|source| modules_err(src, source))?;
    let closure = modules
        .close(selection)
        .map_err(|source| modules_err(src, source))?;
    if closure.included.is_empty() {
        return Err(problem(
            src,
            format!(
                "the selection matches no module of kernel {version} ({})",
                selection.describe()
            ),
        ));
    }
    // A missing softdep is what modprobe shrugs off (the manifest lists
    // it); a missing hard dependency means a module that cannot load.
    let hard: Vec<String> = closure
        .missing
        .iter()
        .filter(|m| m.how == Want::Depends)
        .map(|m| format!("{} (wanted by {})", m.name, m.wanted_by))
        .collect();
    if !hard.is_empty() && !opts.allow_missing {
        return Err(problem(
            src,
            format!(
                "dependencies that are neither modules nor built in: {}; pass allow_missing to go on",
                hard.join(", ")
            ),
        ));
    }
    Ok((modules, closure))
}

/// The bytes of the closure's modules, from what was held, reading the
/// source again for the ones dropped on the way.
fn take_held(
    src: &KernelSource,
    opts: &Options,
    closure: &Closure,
    mut all_held: HashMap<String, Held>,
    dropped: &HashMap<String, u64>,
) -> Result<HashMap<String, Held>, InstallerError> {
    let mut held = HashMap::with_capacity(closure.included.len());
    let mut reread = HashMap::new();
    for m in &closure.included {
        if let Some(h) = all_held.remove(&m.name) {
            held.insert(m.name.clone(), h);
        } else if let Some(&size) = dropped.get(&m.name) {
            reread.insert(m.name.as_str(), size);
        }
    }
    drop(all_held);
    if !reread.is_empty() {
        read_again(src, opts, &reread, &mut held)?;
    }
    Ok(held)
}

/// A module read from the source, in the form the segment stores it.
struct ReadModule {
    /// Its path below the module directory, as the segment names it
    /// (`.ko` unless compression is kept).
    rel: String,
    /// Its name.
    name: String,
    /// Its metadata.
    info: ModuleInfo,
    /// The bytes the segment stores.
    bytes: Vec<u8>,
}

/// The name of the module at `path` in the source, and its path as the
/// segment names it.
fn stored_name(path: &str, keep_compression: bool) -> Option<(String, String, &str)> {
    let m = ModulePath::parse(path).filter(|m| !m.rest.is_empty())?;
    let stored_rel = match plain_module_path(m.rest) {
        Some(plain) if !keep_compression => plain,
        _ => m.rest,
    };
    Some((
        module_name_from_path(stored_rel),
        stored_rel.to_owned(),
        m.dir,
    ))
}

/// Reads the module `e`: its metadata, and its bytes decompressed unless
/// `keep_compression`.
fn read_module(
    src: &KernelSource,
    e: &mut Entry<'_>,
    keep_compression: bool,
) -> Result<ReadModule, KernelError> {
    let raw = read_raw_module(src, e, keep_compression)?;
    decode_module(src, &e.path, raw, keep_compression)
}

/// A module's bytes as the source has them, and its names.
struct RawModule {
    /// Its path below the module directory, as the segment names it.
    rel: String,
    /// Its name.
    name: String,
    /// The module directory in the source (`lib/modules/VER`).
    moddir: String,
    /// Its bytes, compressed if the source compresses modules.
    bytes: Vec<u8>,
}

/// Reads the module `e` as it is (the first half of [`read_module`]).
fn read_raw_module(
    src: &KernelSource,
    e: &mut Entry<'_>,
    keep_compression: bool,
) -> Result<RawModule, KernelError> {
    let (name, rel, moddir) = stored_name(&e.path, keep_compression)
        .ok_or_else(|| src.member_err(&e.path, "not under lib/modules/VERSION".into()))?;
    let moddir = moddir.to_owned();
    let bytes = e
        .read_all(MODULE_LIMIT)
        .map_err(src.read_err(format!("{} ({})", e.path, e.location)))?;
    Ok(RawModule {
        rel,
        name,
        moddir,
        bytes,
    })
}

/// Decompresses and parses the module `raw`, member `path` of `src` (the
/// second half of [`read_module`], which needs no more of the source).
fn decode_module(
    src: &KernelSource,
    path: &str,
    raw: RawModule,
    keep_compression: bool,
) -> Result<ReadModule, KernelError> {
    let (info, plain) = src.read_module(path, &raw.bytes)?;
    let decompressed = match plain {
        Cow::Owned(v) => Some(v),
        Cow::Borrowed(_) => None,
    };
    let bytes = match decompressed {
        Some(v) if !keep_compression => v,
        _ => raw.bytes,
    };
    Ok(ReadModule {
        rel: raw.rel,
        name: raw.name,
        info,
        bytes,
    })
}

/// Decides, module by module as they go by, what to keep of their bytes
/// (see the module docs).
struct Keeper<'a> {
    /// The gzip level, for a gzip segment.
    piece_level: Option<u32>,
    /// What the `softdep=pre:` of the modules so far name.
    softdep_targets: HashSet<String>,
    /// Modules held zstd-compressed, by name.
    held: HashMap<String, Held>,
    /// Sizes of the modules whose bytes were not kept, by name.
    dropped: HashMap<String, u64>,
    /// Where the compressing threads leave their pieces.
    pieces: &'a Mutex<Vec<Compressed>>,
    /// Bytes given to compressing threads and not yet compressed.
    backlog: &'a AtomicUsize,
}

impl<'a> Keeper<'a> {
    /// Keeps what is needed of `m`, read from `member` (taking its bytes).
    fn keep<'s>(
        &mut self,
        scope: &rayon::Scope<'s>,
        src: &KernelSource,
        member: &str,
        m: &mut ReadModule,
        matcher: &Matcher,
    ) -> Result<(), KernelError>
    where
        'a: 's,
    {
        self.softdep_targets
            .extend(m.info.softdep_pre.iter().cloned());
        let size = m.bytes.len() as u64;
        let selected = matcher.selects(&m.rel, &m.name).is_some();
        match self.piece_level {
            Some(level) if selected => {
                // The data and the cpio padding after it, in a buffer of
                // just that size (growing by `resize` alone would double
                // it, and the backlog waiting for a thread with it).
                let mut data = std::mem::take(&mut m.bytes);
                let padded = data.len().next_multiple_of(4);
                data.reserve_exact(padded - data.len());
                data.resize(padded, 0);
                data.shrink_to_fit();
                let (name, what) = (m.name.clone(), format!("{member}: compressing"));
                if self.backlog.load(Ordering::Relaxed) > BACKLOG {
                    let piece = compress_piece(level, &data).map_err(src.read_err(what))?;
                    self.pieces
                        .lock()
                        .expect("no panics holding it")
                        .push((name, Ok(piece), size));
                } else {
                    let (pieces, backlog) = (self.pieces, self.backlog);
                    backlog.fetch_add(data.len(), Ordering::Relaxed);
                    scope.spawn(move |_| {
                        let piece = compress_piece(level, &data).map_err(|e| (what, e));
                        backlog.fetch_sub(data.len(), Ordering::Relaxed);
                        pieces
                            .lock()
                            .expect("no panics holding it")
                            .push((name, piece, size));
                    });
                }
            }
            _ if selected || self.could_be_wanted(m) => {
                let mut zstd = zstd::bulk::compress(&m.bytes, HOLD_LEVEL)
                    .map_err(src.read_err(format!("{member}: holding in memory")))?;
                // compress() allocates the worst case; keep only the bytes.
                zstd.shrink_to_fit();
                self.held.insert(
                    m.name.clone(),
                    Held {
                        bytes: HeldBytes::Zstd(zstd),
                        size,
                    },
                );
            }
            _ => {
                self.dropped.insert(m.name.clone(), size);
            }
        }
        Ok(())
    }

    /// Whether a module the patterns do not select could still be wanted
    /// by the closure.
    fn could_be_wanted(&self, m: &ReadModule) -> bool {
        !m.info.exports.is_empty()
            || self.softdep_targets.contains(&m.name)
            || m.info
                .aliases
                .iter()
                .any(|a| a.starts_with("crypto-") || self.softdep_targets.contains(a))
    }
}

/// The second pass: reads the modules named in `want` (with their sizes
/// from the first) into `held`.
fn read_again(
    src: &KernelSource,
    opts: &Options,
    want: &HashMap<&str, u64>,
    held: &mut HashMap<String, Held>,
) -> Result<(), InstallerError> {
    src.visit(|e| {
        if e.role != Role::Module || e.kind != EntryKind::File {
            return Ok(());
        }
        let wanted = stored_name(&e.path, opts.keep_module_compression)
            .is_some_and(|(name, _, _)| want.contains_key(name.as_str()));
        if !wanted {
            return Ok(());
        }
        let m = read_module(src, e, opts.keep_module_compression)?;
        let size = m.bytes.len() as u64;
        if want.get(m.name.as_str()) != Some(&size) {
            return Err(src.member_err(
                &e.path,
                "changed while it was being read (its size differs from the first reading)".into(),
            ));
        }
        held.insert(
            m.name,
            Held {
                bytes: HeldBytes::Plain(m.bytes),
                size,
            },
        );
        Ok(())
    })?;
    if let Some(name) = want.keys().find(|n| !held.contains_key(**n)) {
        return Err(InstallerError::Source {
            source_path: src.path().to_owned(),
            problem: format!("module {name} was not found when the source was read again"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtb_paths() {
        assert_eq!(
            dtb_relative(
                "usr/lib/linux-image-6.1.0-50-arm64/broadcom/a.dtb",
                Some("6.1.0-50-arm64")
            ),
            Some("broadcom/a.dtb".into())
        );
        assert_eq!(
            dtb_relative("boot/dtbs/6.1.0/xilinx/b.dtb", Some("6.1.0")),
            Some("xilinx/b.dtb".into())
        );
        assert_eq!(dtb_relative("boot/dtbs/c.dtb", None), Some("c.dtb".into()));
    }
}
