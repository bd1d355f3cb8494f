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
//! A tree unpacked from a Debian `linux-image` package (modules under
//! `[usr/]lib/modules`, DTBs under `usr/lib/linux-image-VER/`) is accepted
//! too, so Debian's own kernels can stand in for ours in tests.
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
//! Left out of the package, and listed in [`KernelDeb::skipped`]:
//! `modules_install`'s `build` and `source` symlinks (they point into the
//! build machine's tree) and the indexes `depmod` writes (`modules.dep`,
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
//! under a temporary name and renamed into place.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::Serialize;

use crate::build::arch::Arch;
use crate::build::suite::{ModulesLayout, UnknownSuite};
use crate::format::io::{Counting, Hashing};
use crate::kernel::ModulePath;

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
    /// The suite is not one whose layout we know.
    #[error(transparent)]
    Suite(#[from] UnknownSuite),
    /// The architecture is not a Debian architecture we know.
    #[error(transparent)]
    Arch(#[from] crate::build::arch::UnknownArch),
    /// A kerndist tarball or package could not be read.
    #[error(transparent)]
    Source(#[from] crate::kernel::KernelError),
    /// The output could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
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

/// One entry of the package's data, by its path in the package.
#[derive(Debug)]
enum Node {
    Dir,
    File { src: PathBuf, size: u64, exec: bool },
    Symlink { target: PathBuf },
}

/// The files `depmod` generates in a modules directory.
fn is_depmod_output(name: &str) -> bool {
    matches!(
        name,
        "modules.dep"
            | "modules.alias"
            | "modules.symbols"
            | "modules.devname"
            | "modules.softdep"
            | "modules.weakdep"
    ) || (name.starts_with("modules.") && name.ends_with(".bin"))
}

/// Checks a Debian package name (Policy 5.6.7).
fn check_package_name(name: &str) -> Result<(), DebWriteError> {
    let ok = name.len() >= 2
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(DebWriteError::Field {
            field: "Package",
            value: name.to_owned(),
            why: "package names are lower-case letters, digits, '+', '-' and '.' (set the kernel's LOCALVERSION accordingly)",
        })
    }
}

/// Checks a Debian version (Policy 5.6.12).
fn check_version(v: &str) -> Result<(), DebWriteError> {
    let bad = |why| {
        Err(DebWriteError::Field {
            field: "Version",
            value: v.to_owned(),
            why,
        })
    };
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (Some(e), r),
        None => (None, v),
    };
    if let Some(e) = epoch {
        if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
            return bad("the epoch must be digits");
        }
    }
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, Some(r)),
        None => (rest, None),
    };
    if !upstream.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return bad("the upstream version must start with a digit");
    }
    if !upstream
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+.~-".contains(&b))
    {
        return bad("the upstream version may hold only letters, digits and '+.~-'");
    }
    if let Some(r) = revision {
        if r.is_empty()
            || !r
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+.~".contains(&b))
        {
            return bad("the revision may hold only letters, digits and '+.~'");
        }
    }
    Ok(())
}

/// The kernel release of a tree: the `VER` of its one `boot/vmlinuz-VER`
/// (or `boot/vmlinux-VER`).
pub fn tree_release(tree: &Path) -> Result<String, DebWriteError> {
    let boot = tree.join("boot");
    let rd = fs::read_dir(&boot).map_err(|source| DebWriteError::Read {
        tree: tree.to_owned(),
        member: "boot".into(),
        source,
    })?;
    let mut found = Vec::new();
    for e in rd {
        let e = e.map_err(|source| DebWriteError::Read {
            tree: tree.to_owned(),
            member: "boot".into(),
            source,
        })?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(v) = name
            .strip_prefix("vmlinuz-")
            .or_else(|| name.strip_prefix("vmlinux-"))
        {
            found.push(v.to_owned());
        }
    }
    found.sort();
    found.dedup();
    match found.len() {
        1 => Ok(found.pop().unwrap()),
        0 => Err(DebWriteError::Image {
            tree: tree.to_owned(),
            why: "no boot/vmlinuz-VER or boot/vmlinux-VER".into(),
        }),
        _ => Err(DebWriteError::Image {
            tree: tree.to_owned(),
            why: format!(
                "several kernel images (releases {}); name the release",
                found.join(", ")
            ),
        }),
    }
}

/// Collects the package's data from the tree.
struct Collector<'a> {
    tree: &'a Path,
    release: &'a str,
    modules_dir: String,
    dtb_dir: String,
    nodes: BTreeMap<PathBuf, Node>,
    skipped: Vec<String>,
}

impl Collector<'_> {
    fn read_err(&self, member: &Path, source: io::Error) -> DebWriteError {
        DebWriteError::Read {
            tree: self.tree.to_owned(),
            member: member.display().to_string(),
            source,
        }
    }

    fn unexpected(&self, member: &Path, why: &'static str) -> DebWriteError {
        DebWriteError::Unexpected {
            tree: self.tree.to_owned(),
            member: member.display().to_string(),
            why,
        }
    }

    /// Where member `rel` of the tree goes in the package: `Ok(None)` for
    /// a directory that only gives structure, `Err` for something that
    /// has no place.
    fn place(&mut self, rel: &Path, is_dir: bool) -> Result<Option<PathBuf>, DebWriteError> {
        let r = self.release;
        let s = rel.to_string_lossy();
        let under = |prefix: &str| -> Option<String> {
            if s == prefix {
                Some(String::new())
            } else {
                s.strip_prefix(prefix)
                    .and_then(|t| t.strip_prefix('/'))
                    .map(str::to_owned)
            }
        };
        if let Some(m) = ModulePath::parse(&s).filter(|m| m.version == r) {
            let t = m.rest;
            if t.is_empty() {
                return Ok(None);
            }
            if t == "build" || t == "source" || (!is_dir && is_depmod_output(t)) {
                self.skipped.push(s.to_string());
                return Ok(None);
            }
            return Ok(Some(Path::new(&self.modules_dir).join(t)));
        }
        for d in [
            format!("boot/dtbs/{r}"),
            format!("usr/lib/linux-image-{r}"),
            "boot/dtbs".to_owned(),
        ] {
            if let Some(t) = under(&d) {
                if t.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(Path::new(&self.dtb_dir).join(t)));
            }
        }
        if is_dir {
            if matches!(
                &*s,
                "boot" | "lib" | "lib/modules" | "usr" | "usr/lib" | "usr/lib/modules"
            ) {
                return Ok(None);
            }
            return Err(self.unexpected(rel, "a directory that has no place in a kernel package"));
        }
        let boot_files = [
            format!("boot/vmlinuz-{r}"),
            format!("boot/vmlinux-{r}"),
            format!("boot/System.map-{r}"),
            format!("boot/config-{r}"),
        ];
        if boot_files.iter().any(|b| *b == s) {
            return Ok(Some(rel.to_owned()));
        }
        Err(self.unexpected(
            rel,
            "not part of a kernel image package (expected boot/{vmlinuz,vmlinux,System.map,config}-VER, [usr/]lib/modules/VER/, boot/dtbs/, usr/lib/linux-image-VER/)",
        ))
    }

    fn walk(&mut self, rel: &Path) -> Result<(), DebWriteError> {
        let dir = self.tree.join(rel);
        let rd = fs::read_dir(&dir).map_err(|e| self.read_err(rel, e))?;
        let mut names = Vec::new();
        for e in rd {
            names.push(e.map_err(|e| self.read_err(rel, e))?.file_name());
        }
        names.sort();
        for name in names {
            let rel = rel.join(&name);
            let meta =
                fs::symlink_metadata(self.tree.join(&rel)).map_err(|e| self.read_err(&rel, e))?;
            let ft = meta.file_type();
            let Some(dest) = self.place(&rel, ft.is_dir())? else {
                if ft.is_dir() {
                    self.walk(&rel)?;
                }
                continue;
            };
            if self.nodes.contains_key(&dest) {
                return Err(self.unexpected(
                    &rel,
                    "a second copy of a file already taken from elsewhere in the tree",
                ));
            }
            let node = if ft.is_dir() {
                Node::Dir
            } else if ft.is_file() {
                use std::os::unix::fs::PermissionsExt;
                Node::File {
                    src: self.tree.join(&rel),
                    size: meta.len(),
                    exec: meta.permissions().mode() & 0o111 != 0,
                }
            } else if ft.is_symlink() {
                let target =
                    fs::read_link(self.tree.join(&rel)).map_err(|e| self.read_err(&rel, e))?;
                Node::Symlink { target }
            } else {
                return Err(self.unexpected(&rel, "neither a file, a directory nor a symlink"));
            };
            let is_dir = matches!(node, Node::Dir);
            self.nodes.insert(dest, node);
            if is_dir {
                self.walk(&rel)?;
            }
        }
        Ok(())
    }

    /// Adds every parent directory of every entry, and the package's doc
    /// directory.
    fn add_parents(&mut self) {
        let paths: Vec<PathBuf> = self.nodes.keys().cloned().collect();
        for p in paths {
            let mut a = p.parent();
            while let Some(d) = a {
                if d.as_os_str().is_empty() {
                    break;
                }
                self.nodes.entry(d.to_owned()).or_insert(Node::Dir);
                a = d.parent();
            }
        }
    }
}

/// Writes tar entries with deterministic GNU headers, and GNU long-name
/// (`L`) and long-link (`K`) records where a name does not fit, keeping
/// the `./` prefix dpkg-deb gives its entries. The tar crate's path
/// setters drop a leading `./`, hence these few lines of our own on top
/// of its [`tar::Builder::append`].
struct TarWriter<W: Write> {
    builder: tar::Builder<W>,
    mtime: u64,
}

impl<W: Write> TarWriter<W> {
    fn new(w: W, mtime: u64) -> Self {
        TarWriter {
            builder: tar::Builder::new(w),
            mtime,
        }
    }

    fn header(&self, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(self.mtime);
        h.set_username("root").expect("fits");
        h.set_groupname("root").expect("fits");
        h
    }

    /// Emits a GNU long-name (`L`) or long-link (`K`) record if `value`
    /// does not fit the 100-byte field, and returns what goes in the field.
    fn long(&mut self, kind: u8, value: &[u8]) -> io::Result<Vec<u8>> {
        if value.len() < 100 {
            return Ok(value.to_vec());
        }
        let mut h = self.header(tar::EntryType::new(kind), 0o644, value.len() as u64 + 1);
        h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        h.set_cksum();
        let mut data = value.to_vec();
        data.push(0);
        self.builder.append(&h, &data[..])?;
        Ok(value[..99].to_vec())
    }

    fn append(
        &mut self,
        name: &str,
        mut h: tar::Header,
        link: Option<&[u8]>,
        data: impl Read,
    ) -> io::Result<()> {
        let name = self.long(b'L', name.as_bytes())?;
        if let Some(link) = link {
            let link = self.long(b'K', link)?;
            h.as_gnu_mut().unwrap().linkname[..link.len()].copy_from_slice(&link);
        }
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(&name);
        h.set_cksum();
        self.builder.append(&h, data)
    }

    fn dir(&mut self, path: &str) -> io::Result<()> {
        let h = self.header(tar::EntryType::Directory, 0o755, 0);
        self.append(path, h, None, io::empty())
    }

    fn file(&mut self, path: &str, mode: u32, size: u64, data: impl Read) -> io::Result<()> {
        let h = self.header(tar::EntryType::Regular, mode, size);
        self.append(path, h, None, data)
    }

    fn symlink(&mut self, path: &str, target: &[u8]) -> io::Result<()> {
        let h = self.header(tar::EntryType::Symlink, 0o777, 0);
        self.append(path, h, Some(target), io::empty())
    }

    fn finish(self) -> io::Result<W> {
        self.builder.into_inner()
    }
}

/// The maintainer scripts, with `@VERSION@`, `@IMAGE@` and `@MODDIR@` to
/// fill in. They follow what Debian's linux-image packages do: `depmod`
/// on configure, `/vmlinuz` symlinks through linux-base's
/// `linux-update-symlinks` where it is installed, the hook directories run
/// with `run-parts` and the kernel's release and image path as arguments.
const PREINST: &str = r#"#!/bin/sh
# preinst of linux-image-@VERSION@, written by osstest-core.
set -e

version=@VERSION@
image_path=@IMAGE@

if [ "$1" = abort-upgrade ]; then
    exit 0
fi

if [ "$1" = install ]; then
    # Tells postinst this is a fresh install (for linux-update-symlinks).
    mkdir -p @MODDIR@
    touch @MODDIR@/.fresh-install
fi

if [ -d /etc/kernel/preinst.d ]; then
    DEB_MAINT_PARAMS="$*" run-parts --report --exit-on-error --arg="$version" \
        --arg="$image_path" /etc/kernel/preinst.d
fi

exit 0
"#;

const POSTINST: &str = r#"#!/bin/sh
# postinst of linux-image-@VERSION@, written by osstest-core.
set -e

version=@VERSION@
image_path=@IMAGE@

if [ "$1" != configure ]; then
    exit 0
fi

depmod "$version"

if [ -f @MODDIR@/.fresh-install ]; then
    change=install
else
    change=upgrade
fi
if command -v linux-update-symlinks >/dev/null; then
    linux-update-symlinks "$change" "$version" "$image_path"
fi
rm -f @MODDIR@/.fresh-install

if [ -d /etc/kernel/postinst.d ]; then
    DEB_MAINT_PARAMS="$*" run-parts --report --exit-on-error --arg="$version" \
        --arg="$image_path" /etc/kernel/postinst.d
fi

exit 0
"#;

const PRERM: &str = r#"#!/bin/sh
# prerm of linux-image-@VERSION@, written by osstest-core.
set -e

version=@VERSION@
image_path=@IMAGE@

if [ "$1" != remove ]; then
    exit 0
fi

if command -v linux-check-removal >/dev/null; then
    linux-check-removal "$version"
fi

if [ -d /etc/kernel/prerm.d ]; then
    DEB_MAINT_PARAMS="$*" run-parts --report --exit-on-error --arg="$version" \
        --arg="$image_path" /etc/kernel/prerm.d
fi

exit 0
"#;

const POSTRM: &str = r#"#!/bin/sh
# postrm of linux-image-@VERSION@, written by osstest-core.
set -e

version=@VERSION@
image_path=@IMAGE@

rm -f @MODDIR@/.fresh-install

if [ "$1" != upgrade ] && command -v linux-update-symlinks >/dev/null; then
    linux-update-symlinks remove "$version" "$image_path"
fi

if [ -d /etc/kernel/postrm.d ]; then
    DEB_MAINT_PARAMS="$*" run-parts --report --exit-on-error --arg="$version" \
        --arg="$image_path" /etc/kernel/postrm.d
fi

if [ "$1" = purge ]; then
    # What depmod wrote in postinst.
    rm -f @MODDIR@/modules.dep @MODDIR@/modules.alias \
        @MODDIR@/modules.symbols @MODDIR@/modules.devname \
        @MODDIR@/modules.softdep @MODDIR@/modules.weakdep \
        @MODDIR@/modules.*.bin
    rmdir @MODDIR@ 2>/dev/null || true
fi

exit 0
"#;

const COPYRIGHT: &str = "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Linux
Source: https://www.kernel.org/
Comment: This package was built by osstest, the Xen Project's CI, from a
 Linux source tree; the tree's own COPYING and LICENSES/ say which licences
 its parts are under.

Files: *
Copyright: 1991-2025 Linus Torvalds and the other authors of Linux
License: GPL-2
 This program is free software; you can redistribute it and/or modify it
 under the terms of the GNU General Public License version 2 as published by
 the Free Software Foundation.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 2 can be found in `/usr/share/common-licenses/GPL-2'.
";

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
    let ks = crate::kernel::KernelSource::open(source)?;
    let tmp = tempfile::Builder::new()
        .prefix(".kernel-tree.")
        .tempdir_in(outdir)
        .map_err(|source| DebWriteError::Write {
            path: outdir.to_owned(),
            source,
        })?;
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

/// `seconds` since the epoch as an RFC 5322 date, as `dpkg-parsechangelog`
/// wants it: `Tue, 14 Nov 2023 22:13:20 +0000`.
fn rfc5322(seconds: u64) -> String {
    // Days to the civil date: Howard Hinnant's days_from_civil, inverted.
    let days = (seconds / 86400) as i64;
    let secs = seconds % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The package's `changelog.Debian.gz` (or `changelog.gz` for a native
/// version): one entry, compressed the way dpkg's tools do (`gzip -9n`).
fn changelog(package: &str, version: &str, suite: &str, maintainer: &str, epoch: u64) -> Vec<u8> {
    let text = format!(
        "{package} ({version}) {suite}; urgency=medium\n\n  \
         * Built by osstest, the Xen Project's CI.\n\n \
         -- {maintainer}  {}\n",
        rfc5322(epoch)
    );
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(text.as_bytes()).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

/// Writes `linux-image-VER_VERSION_ARCH.deb` into `outdir` from the kernel
/// tree `tree`. See the module docs for the layout and what is left out.
pub fn write_kernel_deb(
    tree: &Path,
    outdir: &Path,
    opts: &KernelDebOptions,
) -> Result<KernelDeb, DebWriteError> {
    let arch = Arch::by_debian(&opts.arch)?;
    let layout = ModulesLayout::for_suite(&opts.suite)?;
    let release = match &opts.release {
        Some(r) => r.clone(),
        None => tree_release(tree)?,
    };
    let package = format!("linux-image-{release}");
    check_package_name(&package)?;
    let version = opts.deb_version.clone().unwrap_or_else(|| release.clone());
    check_version(&version)?;
    if opts.maintainer.trim().is_empty() || opts.maintainer.contains('\n') {
        return Err(DebWriteError::Field {
            field: "Maintainer",
            value: opts.maintainer.clone(),
            why: "must be one non-empty line, 'Name <address>'",
        });
    }
    if opts.xz_level > 9 {
        return Err(DebWriteError::Field {
            field: "xz_level",
            value: opts.xz_level.to_string(),
            why: "xz presets are 0 to 9",
        });
    }

    let mut c = Collector {
        tree,
        release: &release,
        modules_dir: layout.modules_dir(&release),
        dtb_dir: format!("usr/lib/linux-image-{release}"),
        nodes: BTreeMap::new(),
        skipped: Vec::new(),
    };
    c.walk(Path::new(""))?;
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
    let doc = PathBuf::from(format!("usr/share/doc/{package}/copyright"));
    c.add_parents();
    for d in ["usr", "usr/share", "usr/share/doc"] {
        c.nodes.entry(PathBuf::from(d)).or_insert(Node::Dir);
    }
    c.nodes.insert(doc.parent().unwrap().to_owned(), Node::Dir);

    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| DebWriteError::Write { path, source }
    };

    // data.tar.xz, spooled beside the output.
    let mut data_tmp = tempfile::Builder::new()
        .prefix(".data.tar.xz.")
        .tempfile_in(outdir)
        .map_err(write_err(outdir))?;
    let data_path = data_tmp.path().to_owned();
    let mut stream = liblzma::stream::MtStreamBuilder::new();
    stream
        .preset(opts.xz_level)
        .threads(opts.xz_threads.max(1))
        .check(liblzma::stream::Check::Crc64);
    let stream = stream
        .encoder()
        .map_err(|e| write_err(&data_path)(io::Error::other(e)))?;
    let xz = liblzma::write::XzEncoder::new_stream(BufWriter::new(data_tmp.as_file_mut()), stream);
    let mut tar = TarWriter::new(xz, opts.source_date_epoch);
    let mut md5sums = String::new();
    let mut installed_kib: u64 = 0;
    let mut files = 0usize;
    tar.dir("./").map_err(write_err(&data_path))?;
    for (dest, node) in &c.nodes {
        let name = format!("./{}", dest.display());
        match node {
            Node::Dir => {
                installed_kib += 1;
                tar.dir(&format!("{name}/"))
                    .map_err(write_err(&data_path))?;
            }
            Node::Symlink { target } => {
                installed_kib += 1;
                use std::os::unix::ffi::OsStrExt;
                tar.symlink(&name, target.as_os_str().as_bytes())
                    .map_err(write_err(&data_path))?;
            }
            Node::File { src, size, exec } => {
                let member = src.strip_prefix(tree).unwrap_or(src);
                let f = File::open(src).map_err(|e| c.read_err(member, e))?;
                let mut r: Hashing<_, Md5> = Hashing::new(Counting::new(f.take(*size)));
                tar.file(&name, if *exec { 0o755 } else { 0o644 }, *size, &mut r)
                    .map_err(|e| c.read_err(member, e))?;
                if r.inner.count != *size {
                    return Err(c.read_err(
                        member,
                        io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "file shrank while being read",
                        ),
                    ));
                }
                md5sums.push_str(&format!("{:x}  {}\n", r.digest.finalize(), dest.display()));
                installed_kib += size.div_ceil(1024);
                files += 1;
            }
        }
    }
    // The changelog and copyright, which are not in the tree.
    {
        let docdir = doc.parent().unwrap();
        let native = !version.contains('-');
        let log = changelog(
            &package,
            &version,
            &opts.suite,
            &opts.maintainer,
            opts.source_date_epoch,
        );
        let log_name = if native {
            "changelog.gz"
        } else {
            "changelog.Debian.gz"
        };
        for (path, bytes) in [
            (docdir.join(log_name), &log[..]),
            (doc.clone(), COPYRIGHT.as_bytes()),
        ] {
            let name = format!("./{}", path.display());
            tar.file(&name, 0o644, bytes.len() as u64, bytes)
                .map_err(write_err(&data_path))?;
            md5sums.push_str(&format!("{:x}  {}\n", Md5::digest(bytes), path.display()));
            installed_kib += (bytes.len() as u64).div_ceil(1024);
        }
    }
    let xz = tar.finish().map_err(write_err(&data_path))?;
    let mut buffered = xz.finish().map_err(write_err(&data_path))?;
    buffered.flush().map_err(write_err(&data_path))?;
    drop(buffered);

    // The control member.
    let moddir = format!("/{}", c.modules_dir);
    let image_path = format!("/{image}");
    let fill = |s: &str| {
        s.replace("@VERSION@", &release)
            .replace("@IMAGE@", &image_path)
            .replace("@MODDIR@", &moddir)
    };
    let fields: Vec<(&str, String)> = vec![
        ("Package", package.clone()),
        ("Version", version.clone()),
        ("Architecture", arch.debian.to_owned()),
        ("Maintainer", opts.maintainer.clone()),
        ("Installed-Size", installed_kib.to_string()),
        (
            "Depends",
            "kmod, initramfs-tools | linux-initramfs-tool".to_owned(),
        ),
        ("Provides", "linux-image".to_owned()),
        ("Section", "kernel".to_owned()),
        ("Priority", "optional".to_owned()),
        (
            "Description",
            format!(
                "Linux kernel {release} built by osstest\n \
                 The Linux kernel {release}, its modules and device trees, built by\n \
                 osstest (the Xen Project's CI) for {}, laid out for Debian {}.",
                arch.debian, opts.suite
            ),
        ),
    ];
    let mut control = String::new();
    for (k, v) in &fields {
        control.push_str(&format!("{k}: {v}\n"));
    }
    let mut ctl_tar = TarWriter::new(Vec::new(), opts.source_date_epoch);
    let ctl_members: [(&str, u32, String); 6] = [
        ("./control", 0o644, control),
        ("./md5sums", 0o644, md5sums),
        ("./postinst", 0o755, fill(POSTINST)),
        ("./postrm", 0o755, fill(POSTRM)),
        ("./preinst", 0o755, fill(PREINST)),
        ("./prerm", 0o755, fill(PRERM)),
    ];
    let ctl = (|| -> io::Result<Vec<u8>> {
        ctl_tar.dir("./")?;
        for (name, mode, text) in &ctl_members {
            ctl_tar.file(name, *mode, text.len() as u64, text.as_bytes())?;
        }
        let tar = ctl_tar.finish()?;
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(&tar)?;
        xz.finish()
    })()
    .map_err(write_err(outdir))?;

    // The ar archive, under a temporary name, then renamed.
    let file_version = version.split_once(':').map_or(&*version, |(_, v)| v);
    let out = outdir.join(format!("{package}_{file_version}_{}.deb", arch.debian));
    let tmp = tempfile::Builder::new()
        .prefix(".linux-image.deb.")
        .tempfile_in(outdir)
        .map_err(write_err(outdir))?;
    // The ar crate writes the common (BSD-style) header; every member name
    // here fits its 16 bytes, so no extension is involved, and dpkg reads
    // it like its own (mode 100644, uid and gid 0, our timestamp).
    (|| -> io::Result<()> {
        let mut ar = ar::Builder::new(BufWriter::new(tmp.as_file()));
        let member = |name: &str, size: u64| {
            let mut h = ar::Header::new(name.as_bytes().to_vec(), size);
            h.set_mtime(opts.source_date_epoch);
            h.set_mode(0o100644);
            h
        };
        ar.append(&member("debian-binary", 4), &b"2.0\n"[..])?;
        ar.append(&member("control.tar.xz", ctl.len() as u64), &ctl[..])?;
        let mut data = File::open(&data_path)?;
        let size = data.metadata()?.len();
        ar.append(&member("data.tar.xz", size), &mut data)?;
        let mut w = ar.into_inner()?;
        w.flush()?;
        drop(w);
        tmp.as_file().sync_all()
    })()
    .map_err(write_err(&out))?;
    drop(data_tmp);
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))
            .map_err(write_err(&out))?;
    }
    tmp.persist(&out).map_err(|e| write_err(&out)(e.error))?;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["6.1.0-50-amd64", "1:6.1+osstest1", "6.12.0-rc1~x-1", "6.1"] {
            check_version(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["v6.1", "6.1_x", "a:6.1", "6.1-", ""] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
        assert!(check_package_name("linux-image-6.1.0-50-amd64").is_ok());
        assert!(check_package_name("linux-image-6.1.0_Foo").is_err());
    }

    #[test]
    fn dates() {
        // `date -u -R -d @N`
        assert_eq!(rfc5322(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc5322(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
        assert_eq!(rfc5322(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn depmod_outputs() {
        for f in [
            "modules.dep",
            "modules.dep.bin",
            "modules.builtin.alias.bin",
            "modules.alias",
        ] {
            assert!(is_depmod_output(f), "{f}");
        }
        for f in [
            "modules.order",
            "modules.builtin",
            "modules.builtin.modinfo",
            "kernel",
        ] {
            assert!(!is_depmod_output(f), "{f}");
        }
    }
}
