// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The installer's kernel: what osstest boots the Debian installer with.
//!
//! From a kernel source (a Debian `linux-image-*` .deb, an osstest kerndist
//! tarball or a tree, see [`crate::kernel`]) and the d-i netboot
//! `initrd.gz`, [`di_kernel`] makes, in an output directory:
//!
//! - `vmlinuz-VERSION`: the kernel image, byte for byte;
//! - `modules.cpio.gz`: a newc cpio segment holding a dependency-closed
//!   subset of the kernel's modules ([`crate::kernel::modules`]), decompressed to
//!   plain `.ko` by default (bookworm's d-i kmod loads nothing else), with
//!   the subset's `modules.dep`, `modules.alias`, `modules.softdep`,
//!   `modules.symbols`, `modules.devname` and the binary indexes libkmod
//!   reads (`modules.dep.bin`, `modules.alias.bin`, `modules.symbols.bin`,
//!   `modules.builtin.bin`, `modules.builtin.alias.bin`), byte for byte as
//!   `depmod` would write them, and the kernel's own `modules.order`,
//!   `modules.builtin` and `modules.builtin.modinfo`;
//! - `initrd.gz`: the d-i initrd, unchanged, with that segment appended
//!   (Linux unpacks concatenated archives in order);
//! - `dtbs.tar.gz`: the kernel's device trees, when it has any;
//! - `manifest.json`: versions, architecture, every module and why it is
//!   there, sizes and the sha256 of every output.
//!
//! [`installer_modules`] makes the segment alone.
//!
//! The d-i initrd is read once, on its own thread while the source is
//! read: it is inspected and copied into the combined initrd in the same
//! reading ([`initrd::start`]), and only the appended segment is read back.
//! The source is read once, streaming: every module is decompressed and
//! its ELF metadata read as it goes by; the modules the patterns select
//! are compressed for the segment at once, on other threads, and those
//! the closure may add are kept zstd-compressed in memory until it says
//! which ones the segment needs (peak memory stays far below the unpacked
//! kernel's size, and nothing is unpacked to disk; see `collect` for the
//! rare second reading). The kernel is checked as it goes by with the same
//! [`KernelCheck`](crate::kernel::KernelCheck) as `kernel_info`'s (one
//! image, one version, every module for the image's machine and version,
//! a package's `Architecture` for the image), so a fault is the same
//! error, word for word, from either.
//!
//! # Publishing: all of a run's outputs, or none
//!
//! Every output is made in a staging directory inside the output
//! directory and checked; then one publish step, holding the directory's
//! lock, puts them in place, removes the previous run's outputs that this
//! run does not have (an old `vmlinuz-VERSION`, a `dtbs.tar.gz`), and
//! renames `manifest.json` into place last (the steps are in `publish`).
//! What a reader can rely on: **the output directory holds a complete
//! output exactly when `manifest.json` is there**, and then every file its
//! `outputs` name is of the run it describes, complete (its size and
//! sha256 are in the manifest), with no other run's output beside it. A
//! failure before publishing leaves the previous output as it was; one
//! while publishing leaves no manifest. Concurrent calls into one
//! directory publish one after the other; a reader that may overlap one
//! holds a shared `flock` on the directory while it reads (or checks the
//! sha256s).

mod collect;
mod manifest;
mod publish;
mod rules;
mod segment;
pub mod target_install;
pub mod udebs;

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use manifest::{Manifest, ModuleEntry, ModulesSummary, OutputFile};
pub use segment::SegmentReport;

use crate::format::compress::Compression;
use crate::format::initrd::{self, Budget};
use crate::format::output::{Output, OutputError, Staging};
use crate::kernel::modules::{ModulesError, Selection};
use crate::kernel::{KernelError, KernelSource};
use collect::Written;
use rules::{Made, Rules};

/// How [`di_kernel`] and [`installer_modules`] choose and store modules.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Start from the installer's default rules (default true): the
    /// modules named in the d-i initrd being appended to (for
    /// [`di_kernel`]), what the installer needs beyond the classic list
    /// ([`crate::kernel::modules::NEEDED_PATTERNS`]) and osstest's classic
    /// disk / network / filesystem / LVM subset
    /// ([`crate::kernel::modules::CLASSIC_PATTERNS`]). False: only
    /// `include` and the udebs of `contents_udeb`.
    pub classic: bool,
    /// The suite's `Contents-udeb-ARCH` index (gzipped or not): also
    /// select every module the `udebs` ship, by its path in the new kernel
    /// (see [`udebs`]).
    pub contents_udeb: Option<PathBuf>,
    /// The kernel-module udebs whose modules `contents_udeb` selects, by
    /// name without the kernel ABI (default [`udebs::DEFAULT_UDEBS`]).
    pub udebs: Option<Vec<String>>,
    /// More patterns to include (a board's drivers): module names or
    /// paths, globs allowed (see [`crate::kernel::modules::Selection`]).
    pub include: Vec<String>,
    /// Patterns to leave out of what the patterns select (dependencies of
    /// what stays are still added).
    pub exclude: Vec<String>,
    /// Compression of the appended segment (default gzip).
    pub compression: Compression,
    /// Its level (default: [`Compression::default_level`]).
    pub level: Option<u32>,
    /// Keep modules compressed as the kernel ships them (`.ko.xz`) instead
    /// of storing plain `.ko`. Only for an installer whose kmod can read
    /// them (bookworm's cannot).
    pub keep_module_compression: bool,
    /// Go on when a `depends=` dependency is neither a module of the kernel
    /// nor built in (it is listed in the manifest either way; a missing
    /// `softdep` never stops the job, as it does not stop modprobe).
    pub allow_missing: bool,
    /// Most bytes the modules segment may have.
    pub max_segment_size: Option<u64>,
    /// Most bytes the combined initrd may have.
    pub max_initrd_size: Option<u64>,
    /// The mtime of every entry written, for reproducible outputs: the
    /// caller's `SOURCE_DATE_EPOCH` (`None` is 0; the installer reads no
    /// environment: the Perl bridge and the example pass on
    /// [`crate::format::source_date_epoch`]).
    pub mtime: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            classic: true,
            contents_udeb: None,
            udebs: None,
            include: Vec::new(),
            exclude: Vec::new(),
            compression: Compression::Gzip,
            level: None,
            keep_module_compression: false,
            allow_missing: false,
            max_segment_size: None,
            max_initrd_size: None,
            mtime: None,
        }
    }
}

impl Options {
    /// The udebs whose modules `contents_udeb` selects: `udebs`, else
    /// [`udebs::DEFAULT_UDEBS`].
    pub fn udebs_wanted(&self) -> Vec<String> {
        let default = || udebs::DEFAULT_UDEBS.iter().map(|u| u.to_string()).collect();
        self.udebs.clone().unwrap_or_else(default)
    }
}

/// What can go wrong making the installer's kernel.
#[derive(Debug, thiserror::Error)]
pub enum InstallerError {
    /// Reading the kernel source failed or it is inconsistent.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// Selecting or indexing modules failed.
    #[error("{source_path}: {source}")]
    Modules {
        /// The kernel source.
        source_path: PathBuf,
        /// What went wrong.
        source: ModulesError,
    },
    /// The kernel source lacks something the installer needs (modules, a
    /// module the closure wants).
    #[error("{source_path}: {problem}")]
    Source {
        /// The kernel source.
        source_path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Writing the segment, the combined initrd or the budget check failed.
    #[error(transparent)]
    Initrd(#[from] initrd::Error),
    /// Writing the segment's cpio failed.
    #[error(transparent)]
    Cpio(#[from] crate::format::cpio::Error),
    /// An output cannot be created, written or published.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A bad option.
    #[error("{0}")]
    Option(String),
    /// Reading or writing a file failed.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: String,
        /// The cause.
        source: io::Error,
    },
}

fn io_err(path: &Path, what: &str) -> impl FnOnce(io::Error) -> InstallerError {
    let path = path.to_owned();
    let what = what.to_owned();
    move |source| InstallerError::Io { path, what, source }
}

/// What [`installer_modules`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ModulesReport {
    /// The kernel version.
    pub version: String,
    /// How many modules the kernel has.
    pub kernel_modules: usize,
    /// The segment.
    pub segment: SegmentReport,
    /// Its modules, each with why it is there.
    pub modules: ModulesSummary,
}

/// Builds the modules segment alone: reads `source`, selects and closes
/// the module subset, writes the compressed cpio to `out` (through a
/// temporary name). Returns what went in.
pub fn installer_modules(
    source: &Path,
    out: &Path,
    opts: &Options,
) -> Result<ModulesReport, InstallerError> {
    check_options(opts)?;
    let selection = selection(opts, &[])?;
    let src = KernelSource::open(source)?;
    let rules = Rules::now(selection, "lib/modules");
    let collected = collect::collect(&src, opts, rules, None)?;
    let tmp = Output::create(out)?;
    let report = segment::write(&src, &collected, opts, &tmp)?;
    check_budget(
        out,
        "the modules segment",
        report.size,
        opts.max_segment_size,
    )?;
    tmp.set_mode(0o644)?;
    tmp.commit()?;
    Ok(ModulesReport {
        version: collected.version.clone(),
        kernel_modules: collected.modules.modules().len(),
        modules: manifest::modules_summary(&collected),
        segment: report,
    })
}

/// The rules `opts` describe, with the d-i initrd's module names.
fn selection(opts: &Options, di_names: &[String]) -> Result<Selection, InstallerError> {
    let mut s = Selection::from_options(opts.classic, &opts.include, &opts.exclude);
    if opts.classic {
        s.named(di_names);
    }
    match (&opts.contents_udeb, &opts.udebs) {
        (Some(index), _) => {
            for (path, udeb) in udebs::read_contents(index, &opts.udebs_wanted())? {
                s.from_udeb(&path, &udeb);
            }
        }
        (None, Some(_)) => {
            return Err(InstallerError::Option(
                "udebs needs contents_udeb, the index listing their modules".into(),
            ))
        }
        (None, None) => {}
    }
    Ok(s)
}

/// The d-i initrd, inspected, and the rules it gives: the modules it
/// names join the selection; a merged-/usr initrd (`lib` a symbolic
/// link, which a directory entry named lib would replace) keeps modules
/// in `usr/lib/modules`.
fn rules_from_initrd(base: &initrd::Inspection, opts: &Options) -> Result<Made, InstallerError> {
    let merged_usr = base
        .files
        .iter()
        .any(|f| f.name == "lib" && f.link_target.is_some());
    let made = Made {
        selection: selection(opts, &udebs::initrd_module_names(&base.files))?,
        moddir_root: if merged_usr {
            "usr/lib/modules"
        } else {
            "lib/modules"
        },
    };
    Ok(made)
}

/// Refuses options that cannot work, before any reading.
fn check_options(opts: &Options) -> Result<(), InstallerError> {
    match opts.compression {
        Compression::Gzip | Compression::Xz | Compression::Zstd | Compression::None => {}
        other => {
            return Err(InstallerError::Option(format!(
                "compression {} cannot be written: use gzip, xz, zstd or none",
                other.name()
            )))
        }
    }
    match opts.level {
        Some(level) => opts
            .compression
            .check_level(level)
            .map_err(|e| InstallerError::Option(e.to_string())),
        None => Ok(()),
    }
}

fn check_budget(
    path: &Path,
    what: &str,
    size: u64,
    limit: Option<u64>,
) -> Result<(), InstallerError> {
    match limit {
        Some(limit) if size > limit => Err(InstallerError::Option(format!(
            "{}: {what} is {size} bytes, over the budget of {limit} (max_segment_size); \
             leave modules out with 'exclude' or raise the budget",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Makes the installer's kernel in `outdir` (see the module docs) and
/// returns the manifest it also writes there.
pub fn di_kernel(
    source: &Path,
    di_initrd: &Path,
    outdir: &Path,
    opts: &Options,
) -> Result<Manifest, InstallerError> {
    check_options(opts)?;
    let src = KernelSource::open(source)?;
    let staging = Staging::new(outdir, "di-kernel")?;
    // The d-i initrd is inspected, copied into the combined initrd as it
    // is, and the rules made from it, on another thread while the
    // package's image and DTBs are read (see `rules`).
    let initrd_name = "initrd.gz".to_owned();
    let initrd_out = staging.output(&initrd_name)?;
    let started = std::cell::OnceCell::new();
    let mut collected = std::thread::scope(|s| {
        let inspecting = s.spawn(|| -> Result<_, InstallerError> {
            let begun = initrd::start(di_initrd, initrd_out)?;
            let made = rules_from_initrd(begun.inspection(), opts)?;
            Ok((begun, made))
        });
        let rules = Rules::later(|| {
            let (begun, made) = inspecting
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            let _ = started.set(begun);
            Ok(made)
        });
        let outputs = collect::Outputs {
            image: staging.output("vmlinuz")?,
            dtbs: staging.output("dtbs.tar.gz")?,
        };
        collect::collect(&src, opts, rules, Some(outputs))
    })?;
    let started = started.into_inner().expect("the rules were made");
    let base = started.inspection().clone();
    check_initrd_arch(source, &collected.image.arch, &base)?;
    let version = collected.version.clone();

    // The image, byte for byte, written as the source was read.
    let image_name = format!("vmlinuz-{version}");
    let (mut image_out, image) =
        collected
            .image
            .written
            .take()
            .ok_or_else(|| InstallerError::Source {
                source_path: source.to_owned(),
                problem: "no kernel image was written".into(),
            })?;
    image_out.rename_target(&image_name)?;
    image_out.set_mode(0o644)?;
    image_out.commit()?;

    // The segment, then the combined initrd.
    let seg_name = match opts.compression.suffix() {
        "" => "modules.cpio".to_owned(),
        s => format!("modules.cpio.{s}"),
    };
    let seg_path = staging.path().join(&seg_name);
    let seg_file = staging.output(&seg_name)?;
    let segment = segment::write(&src, &collected, opts, &seg_file)?;
    seg_file.set_mode(0o644)?;
    seg_file.commit()?;
    check_budget(
        &outdir.join(&seg_name),
        "the modules segment",
        segment.size,
        opts.max_segment_size,
    )?;

    let append = started.finish(
        &[initrd::Segment::Archive(seg_path.clone())],
        &initrd::AppendOptions {
            compression: opts.compression,
            level: opts.level,
            threads: 1,
            mtime: opts.mtime.unwrap_or(0),
            budget: Budget {
                max_size: opts.max_initrd_size,
                max_unpacked: None,
            },
        },
    )?;

    let mut outputs = vec![
        ("image", image_name, image),
        (
            "modules_segment",
            seg_name,
            Written {
                size: segment.size,
                sha256: segment.sha256.clone(),
            },
        ),
        (
            "initrd",
            initrd_name,
            Written {
                size: append.size,
                sha256: append.sha256.clone(),
            },
        ),
    ];
    if let Some(dtbs) = collected.dtbs.clone().filter(|_| collected.dtb_count > 0) {
        outputs.push(("dtbs", "dtbs.tar.gz".to_owned(), dtbs));
    }
    let names: Vec<String> = outputs.iter().map(|(_, name, _)| name.clone()).collect();
    let outputs = outputs
        .into_iter()
        .map(|(role, file, w)| {
            let f = manifest::OutputFile {
                file,
                size: w.size,
                sha256: w.sha256,
            };
            (role.to_owned(), f)
        })
        .collect();
    let manifest = manifest::build(
        &src, di_initrd, &base, &collected, &segment, &append, opts, outputs,
    );
    let mut json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    json.push(b'\n');
    write_file(staging.output(publish::MANIFEST)?, &json)?;
    publish::publish(staging, &names)?;
    Ok(manifest)
}

/// Writes the output `o`, mode 0644, from `bytes`.
fn write_file(mut o: Output, bytes: &[u8]) -> Result<(), InstallerError> {
    use std::io::Write;
    o.write_all(bytes).map_err(o.err("writing"))?;
    o.set_mode(0o644)?;
    o.commit()?;
    Ok(())
}

/// Refuses a d-i initrd whose programs are for another architecture than
/// the kernel (an amd64 kernel would boot no arm64 installer), naming
/// both. An initrd with no ELF files at all is let through: nothing in it
/// says what it is for.
fn check_initrd_arch(
    source: &Path,
    kernel: &crate::kernel::ImageArch,
    base: &initrd::Inspection,
) -> Result<(), InstallerError> {
    let Some(most) = base.elf_machines.first() else {
        return Ok(());
    };
    if (most.machine, most.bits) == (kernel.elf_machine, kernel.bits) {
        return Ok(());
    }
    let describe = crate::build::arch::Arch::describe_machine;
    Err(InstallerError::Source {
        source_path: source.to_owned(),
        problem: format!(
            "the kernel is for {} ({}), but the d-i initrd {} is for {} ({} of its ELF files): \
             use the installer of the kernel's architecture",
            describe(kernel.elf_machine, kernel.bits),
            kernel.format,
            base.path,
            describe(most.machine, most.bits),
            most.files
        ),
    })
}
