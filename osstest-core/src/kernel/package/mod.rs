// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Writing a Debian binary package (`linux-image-VER`) for a kernel osstest
//! built.
//!
//! The input is a kernel tree: the directory `make install`,
//! `modules_install` and `dtbs_install` fill when pointed at one
//! (`INSTALL_PATH=TREE/boot INSTALL_MOD_PATH=TREE`), which is also what
//! osstest's `kerndist` tarball holds:
//!
//! ```text
//! boot/vmlinuz-VER  (or vmlinux-VER)   boot/System.map-VER  boot/config-VER
//! lib/modules/VER/...                  (or usr/lib/modules/VER/...)
//! boot/dtbs/VER/...                    (dtbs_install's default place)
//! ```
//!
//! A tree unpacked from a Debian `linux-image` package with `dpkg-deb -x`
//! (modules under `[usr/]lib/modules`, DTBs under
//! `usr/lib/linux-image-VER/`) is accepted too, as it is, so Debian's own
//! kernels can stand in for ours: that package's own metadata
//! (`usr/share/{doc,bug,lintian/overrides}/linux-image-VER[-unsigned]`) is
//! skipped, the package written having its own.
//!
//! The package is laid out the way Debian's kernel packages are for the
//! target suite: modules under `lib/modules/VER/` up to bookworm and under
//! `usr/lib/modules/VER/` from trixie on, DTBs under
//! `usr/lib/linux-image-VER/` (where flash-kernel looks), the image,
//! `System.map` and `config` under `boot/`. Its maintainer scripts run the
//! `/etc/kernel/{preinst,postinst,prerm,postrm}.d` hooks with the arguments
//! Debian's kernel packages pass (`VER /boot/vmlinuz-VER`, and
//! `DEB_MAINT_PARAMS` set to the script's own arguments), so
//! initramfs-tools, flash-kernel and grub do their part; `postinst` runs
//! `depmod` first, as Debian's does.
//!
//! Left out of the package, and listed in [`KernelDeb::skipped`]: an
//! unpacked Debian package's metadata (above), `modules_install`'s
//! `build` and `source` symlinks (they point into the build machine's
//! tree) and the indexes `depmod` writes (`modules.dep`,
//! `modules.alias`, ..., `*.bin`), which `postinst` regenerates on the
//! target: shipping them would make the package own files `depmod`
//! rewrites. Anything else in the tree that has no place in a kernel
//! package is an error naming it, never silently dropped.
//!
//! The output is deterministic: entries sorted by path, owner `root:root`
//! (0/0), modes normalised (0755 directories and executables, 0644 other
//! files, 0777 symlinks), every timestamp the `source_date_epoch` given. It
//! streams: files are read once, hashed (for `md5sums`) as they go into the
//! xz-compressed data tar, which is spooled to a temporary file beside the
//! output (the `ar` member header needs its size); the package is written
//! under a temporary name and renamed into place (the `.deb` itself is
//! [`crate::format::deb`]'s builder's work).
//!
//! Files: `tree` (where each file of the tree goes), `control` (fields,
//! changelog, copyright, and the maintainer scripts kept as files in
//! `scripts/`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::build::suite::{ModulesLayout, TargetSystem, UnknownTarget};
use crate::format::deb::write::{AddError, DebBuilder};
use crate::format::output::{self, io_err, OutputError};

mod control;
mod tree;

pub use tree::tree_release;

use tree::{Collector, Node};

/// An error writing a kernel package, naming the file or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum DebWriteError {
    /// A file of the kernel tree could not be read.
    #[error("kernel tree {tree}: cannot read {member}: {source}")]
    Read {
        /// The tree.
        tree: PathBuf,
        /// The member, relative to the tree.
        member: String,
        /// The cause.
        source: io::Error,
    },
    /// The tree has no kernel image, or several and no release was named.
    #[error("kernel tree {tree}: {why}")]
    Image {
        /// The tree.
        tree: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The tree holds something that does not belong in a kernel package.
    #[error("kernel tree {tree}: {member}: {why}")]
    Unexpected {
        /// The tree.
        tree: PathBuf,
        /// The member, relative to the tree.
        member: String,
        /// Why it has no place.
        why: &'static str,
    },
    /// A control field would not be valid.
    #[error("{field} '{value}' is not valid: {why}")]
    Field {
        /// The field (or option) at fault.
        field: &'static str,
        /// Its value.
        value: String,
        /// The rule it breaks.
        why: &'static str,
    },
    /// The architecture is not a Debian architecture we know, or the
    /// suite not one whose layout we know.
    #[error(transparent)]
    Target(#[from] UnknownTarget),
    /// A kerndist tarball or package could not be read.
    #[error(transparent)]
    Source(#[from] crate::kernel::KernelError),
    /// The output could not be written, or its destination is refused
    /// (empty, or inside the tree read).
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// What to write, beside the tree itself.
#[derive(Debug, Clone)]
pub struct KernelDebOptions {
    /// The Debian architecture the kernel runs on (`arm64`): the package's
    /// `Architecture`.
    pub arch: String,
    /// The Debian suite it is for (`bookworm`): decides the layout.
    pub suite: String,
    /// The kernel release (`uname -r`). `None`: taken from the tree's one
    /// `boot/vmlinuz-*` (or `vmlinux-*`).
    pub release: Option<String>,
    /// The package's `Version`. `None`: the kernel release, which must then
    /// be a valid Debian version.
    pub deb_version: Option<String>,
    /// The `Maintainer` field.
    pub maintainer: String,
    /// The timestamp of every entry (seconds since the epoch), as
    /// `SOURCE_DATE_EPOCH` would give it.
    pub source_date_epoch: u64,
    /// xz preset for `data.tar.xz`, 0 to 9 (dpkg-deb's default is 6).
    pub xz_level: u32,
    /// Threads xz may use (the output does not depend on it).
    pub xz_threads: u32,
}

impl KernelDebOptions {
    /// Options for `arch` and `suite`, the rest at their defaults.
    pub fn new(arch: &str, suite: &str, source_date_epoch: u64) -> KernelDebOptions {
        KernelDebOptions {
            arch: arch.to_owned(),
            suite: suite.to_owned(),
            release: None,
            deb_version: None,
            maintainer: DEFAULT_MAINTAINER.to_owned(),
            source_date_epoch,
            xz_level: 6,
            xz_threads: 1,
        }
    }
}

/// The `Maintainer` used when none is given.
pub const DEFAULT_MAINTAINER: &str = "osstest <osstest@xenproject.org>";

/// A package written by [`write_kernel_deb`].
#[derive(Debug, Clone, Serialize)]
pub struct KernelDeb {
    /// The `.deb` written: `OUTDIR/linux-image-VER_VERSION_ARCH.deb`.
    pub path: PathBuf,
    /// The kernel release.
    pub release: String,
    /// The control fields, by name.
    pub control: BTreeMap<String, String>,
    /// The modules directory in the package (`lib/modules/VER`).
    pub modules_dir: String,
    /// The kernel image's path in the package (`boot/vmlinuz-VER`).
    pub image: String,
    /// How many regular files the package holds.
    pub files: usize,
    /// Members of the tree deliberately left out (see the module docs).
    pub skipped: Vec<String>,
}

/// Writes the package from any kernel artifact [`crate::kernel`] reads: a
/// tree (as [`write_kernel_deb`]), a kerndist tarball or a `.deb`. An
/// archive is first unpicked (image, `System.map`, config, modules, DTBs;
/// checked for one architecture and one kernel version on the way) into a
/// temporary directory in `outdir`, removed afterwards; its kernel
/// version is the release unless `opts.release` says otherwise.
pub fn write_kernel_deb_from(
    source: &Path,
    outdir: &Path,
    opts: &KernelDebOptions,
) -> Result<KernelDeb, DebWriteError> {
    if source.is_dir() {
        return write_kernel_deb(source, outdir, opts);
    }
    output::destination(outdir)?;
    let ks = crate::kernel::KernelSource::open(source)?;
    let tmp = tempfile::Builder::new()
        .prefix(".kernel-tree.")
        .tempdir_in(outdir)
        .map_err(io_err(outdir, "creating a temporary directory in it"))?;
    let selection = crate::kernel::Selection {
        firmware: false,
        other: false,
        ..Default::default()
    };
    let info = ks.unpick(tmp.path(), &selection)?;
    let mut opts = opts.clone();
    opts.release.get_or_insert(info.version);
    write_kernel_deb(tmp.path(), outdir, &opts)
}

/// Writes `linux-image-VER_VERSION_ARCH.deb` into `outdir` from the kernel
/// tree `tree`. See the module docs for the layout and what is left out.
pub fn write_kernel_deb(
    tree: &Path,
    outdir: &Path,
    opts: &KernelDebOptions,
) -> Result<KernelDeb, DebWriteError> {
    output::destination(outdir)?;
    output::refuse_inside(tree, outdir)?;
    let TargetSystem { arch, layout } = TargetSystem::new(&opts.arch, &opts.suite)?;
    let release = match &opts.release {
        Some(r) => r.clone(),
        None => tree_release(tree)?,
    };
    let package = format!("linux-image-{release}");
    let version = opts.deb_version.clone().unwrap_or_else(|| release.clone());
    control::check_fields(&package, &version, opts)?;
    let (c, image) = collect(tree, &release, layout, &package)?;
    let file_version = version.split_once(':').map_or(&*version, |(_, v)| v);
    let out = outdir.join(format!("{package}_{file_version}_{}.deb", arch.debian));

    let mut deb = DebBuilder::new(&out, opts.source_date_epoch, opts.xz_level, opts.xz_threads)?;
    let files = add_tree(&mut deb, &c)?;
    add_docs(&mut deb, &package, &version, opts)?;

    let fields = control::fields(
        &package,
        &version,
        &release,
        arch,
        opts,
        deb.installed_kib(),
    );
    let scripts = control::scripts(&release, &image, &c.modules_dir);
    let out = deb.finish(&control::control_text(&fields), &scripts)?;

    Ok(KernelDeb {
        path: out,
        release: release.clone(),
        control: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        modules_dir: c.modules_dir,
        image,
        files,
        skipped: c.skipped,
    })
}

/// The package's doc directory.
fn doc_dir(package: &str) -> PathBuf {
    PathBuf::from(format!("usr/share/doc/{package}"))
}

/// Reads the tree: where each of its files goes in the package, with
/// every parent directory and the doc directory; and the image's path.
fn collect<'a>(
    tree: &'a Path,
    release: &'a str,
    layout: ModulesLayout,
    package: &str,
) -> Result<(Collector<'a>, String), DebWriteError> {
    let mut c = Collector {
        tree,
        release,
        modules_dir: layout.modules_dir(release),
        dtb_dir: format!("usr/lib/linux-image-{release}"),
        nodes: BTreeMap::new(),
        skipped: Vec::new(),
    };
    c.walk()?;
    let image = [
        format!("boot/vmlinuz-{release}"),
        format!("boot/vmlinux-{release}"),
    ]
    .into_iter()
    .find(|p| matches!(c.nodes.get(Path::new(p)), Some(Node::File { .. })))
    .ok_or_else(|| DebWriteError::Image {
        tree: tree.to_owned(),
        why: format!("no kernel image boot/vmlinuz-{release} (or vmlinux-{release})"),
    })?;
    c.add_parents();
    for d in ["usr", "usr/share", "usr/share/doc"] {
        c.nodes.entry(PathBuf::from(d)).or_insert(Node::Dir);
    }
    c.nodes.insert(doc_dir(package), Node::Dir);
    Ok((c, image))
}

/// Adds every entry collected from the tree to the package, in path
/// order; returns how many regular files.
fn add_tree(deb: &mut DebBuilder, c: &Collector<'_>) -> Result<usize, DebWriteError> {
    let mut files = 0;
    for (dest, node) in &c.nodes {
        match node {
            Node::Dir => deb.dir(dest)?,
            Node::Symlink { target } => deb.symlink(dest, target)?,
            Node::File { src, size, exec } => {
                let member = src.strip_prefix(c.tree).unwrap_or(src);
                let f = File::open(src).map_err(|e| c.read_err(member, e))?;
                let mode = if *exec { 0o755 } else { 0o644 };
                deb.file(dest, mode, *size, f).map_err(|e| match e {
                    AddError::Read(e) => c.read_err(member, e),
                    AddError::Write(e) => e.into(),
                })?;
                files += 1;
            }
        }
    }
    Ok(files)
}

/// Adds the changelog and copyright, which are not in the tree.
fn add_docs(
    deb: &mut DebBuilder,
    package: &str,
    version: &str,
    opts: &KernelDebOptions,
) -> Result<(), DebWriteError> {
    let docdir = doc_dir(package);
    let native = !version.contains('-');
    let log = control::changelog(
        package,
        version,
        &opts.suite,
        &opts.maintainer,
        opts.source_date_epoch,
    );
    let log_name = if native {
        "changelog.gz"
    } else {
        "changelog.Debian.gz"
    };
    deb.add_bytes(&docdir.join(log_name), 0o644, &log)?;
    deb.add_bytes(
        &docdir.join("copyright"),
        0o644,
        control::COPYRIGHT.as_bytes(),
    )?;
    Ok(())
}
