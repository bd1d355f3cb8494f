//! A kernel artifact: a Debian `linux-image-*` package, an osstest
//! kerndist tarball, or a directory tree, read with one API.
//!
//! The three sources hold the same things under the same relative names:
//!
//! | what | where |
//! | --- | --- |
//! | image | `boot/vmlinuz-VER` (or `boot/vmlinux-VER`) |
//! | System.map, config | `boot/System.map-VER`, `boot/config-VER` |
//! | modules | `lib/modules/VER/**.ko[.xz/.zst/.gz]`, or under `usr/lib/modules/VER` (merged /usr, trixie) |
//! | module indexes | `(usr/)lib/modules/VER/modules.*` |
//! | DTBs | `usr/lib/linux-image-VER/**` (Debian), `boot/dtbs/VER/**` or `boot/dtbs/**` (`dtbs_install`) |
//! | firmware | `(usr/)lib/firmware/**` |
//!
//! A [`KernelSource`] is opened from a path: a directory is a tree (the
//! output of `make install`, `modules_install`, `dtbs_install` with
//! `INSTALL_PATH=DIR/boot`, `INSTALL_MOD_PATH=DIR`), a file starting with
//! the `ar` magic is a `.deb`, any other file a (compressed) tar.
//!
//! # Streaming every file: [`KernelSource::visit`]
//!
//! [`KernelSource::visit`] calls a visitor once per entry, in archive order,
//! in one pass over the data and without writing anything: each [`Entry`]
//! has its normalised relative path, its [`Role`], metadata and, for
//! regular files, its bytes through [`Read`]. This is the stable interface
//! for callers that stream files elsewhere (into a cpio, a new `.deb`).
//! [`KernelSource::visit_stream`] does the same over any [`Read`] (a pipe,
//! bytes in memory). [`KernelSource::read_module`] turns a module entry's
//! bytes into its metadata and its plain (decompressed) ELF.
//! [`KernelSource::info`] (read, check, extract nothing) and
//! [`KernelSource::unpick`] (check and extract a [`Selection`]) are built
//! on it.
//!
//! # Checks
//!
//! Every module is decompressed if needed and read with
//! [`ModuleInfo::parse`]: all modules and the image must be for one ELF
//! machine and class, and every module's `vermagic` must start with the
//! kernel version, which must agree everywhere it appears (image name,
//! module directory, System.map, config). A mismatch is an error naming
//! the file: this catches a wrong cross toolchain or a mixed-up stash.

mod check;
mod extract;
mod image;
mod layout;
pub mod modinfo;
pub mod modules;
pub mod package;

pub use check::{Checked, KernelCheck};
pub use extract::{check_symlink_target, Dest, DestError};
pub use image::{ImageArch, ImageError, ImageFile, HEAD_BYTES};
pub use layout::{classify, module_path, normalise, ModulePath, Role};

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::format::compress::{Compression, Decompressor};
use crate::format::deb::{Control, DebError, DebReader};
use crate::format::io::{Counting, Exact};
use crate::kernel::modinfo::{ModinfoError, ModuleInfo};
use crate::kernel::modules::{module_name_from_path, normalize_name};

/// What can go wrong reading or unpicking a kernel. Every message names
/// the source file or directory and, where there is one, the member.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// The source cannot be opened.
    #[error("{path}: {source}")]
    Open {
        /// The source.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The `.deb` container is bad.
    #[error(transparent)]
    Deb(#[from] DebError),
    /// Reading the tar (or tree) failed.
    #[error("{source_path}: {what}: {source}")]
    Read {
        /// The source.
        source_path: PathBuf,
        /// The member (with its offset in the tar) or what was being read.
        what: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A member's name or kind is not acceptable.
    #[error("{source_path}: member {member}: {reason}")]
    Member {
        /// The source.
        source_path: PathBuf,
        /// The member.
        member: String,
        /// What is wrong.
        reason: String,
    },
    /// A module is not a readable module.
    #[error("{source_path}: {member}: {source}")]
    Module {
        /// The source.
        source_path: PathBuf,
        /// The module file.
        member: String,
        /// Why it could not be read.
        source: ModinfoError,
    },
    /// Files are for different architectures or kernel versions, or
    /// something the kernel needs is missing.
    #[error("{source_path}: {reason}")]
    Mismatch {
        /// The source.
        source_path: PathBuf,
        /// What does not match, naming the files.
        reason: String,
    },
    /// Writing to the destination failed.
    #[error("{source_path}: member {member}: cannot extract: {source}")]
    Extract {
        /// The source.
        source_path: PathBuf,
        /// The member.
        member: String,
        /// Why.
        source: DestError,
    },
    /// The visitor gave up.
    #[error("{0}")]
    Visitor(String),
}

/// What kind of source a kernel comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A Debian `linux-image-*` package.
    Deb,
    /// A (compressed) tar, as osstest's kerndist.
    Kerndist,
    /// A directory tree.
    Tree,
}

/// The kind of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Dir,
    /// A regular file; its bytes are read from the [`Entry`].
    File,
    /// A symbolic link, with its target as written.
    Symlink(String),
    /// A hard link to an earlier member (its normalised name).
    Hardlink(String),
}

/// One file of a kernel source, as a visitor sees it.
pub struct Entry<'a> {
    /// The normalised relative path: no leading `./` or `/`, no `.` or
    /// `..` components, `/`-separated (`lib/modules/6.1.0-50-arm64/...`).
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// What it is for.
    pub role: Role,
    /// The kernel version its name carries, if any.
    pub version: Option<String>,
    /// Permission bits.
    pub mode: u32,
    /// Size in bytes (0 for all but regular files).
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
    /// Where in the source it is (`offset N` in a tar), for messages.
    pub location: String,
    data: &'a mut dyn Read,
}

impl Read for Entry<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.data.read(buf)
    }
}

impl Entry<'_> {
    /// Reads the rest of the bytes, refusing more than `limit`.
    pub fn read_all(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        if self.size > limit {
            return Err(io::Error::other(format!(
                "{} bytes, more than the {limit} this reads into memory",
                self.size
            )));
        }
        let mut v = Vec::with_capacity(self.size as usize);
        self.data.read_to_end(&mut v)?;
        Ok(v)
    }
}

/// Whether a first 512-byte block is a tar header (its checksum holds,
/// whatever the format: v7, ustar, GNU) or the zero block of an empty tar.
fn looks_like_tar(block: &[u8]) -> bool {
    if block.len() != 512 {
        return false;
    }
    if block.iter().all(|b| *b == 0) {
        return true;
    }
    let field = String::from_utf8_lossy(&block[148..156]);
    let Ok(want) = u32::from_str_radix(field.trim_matches(|c: char| c == ' ' || c == '\0'), 8)
    else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == want
}

/// A kernel source: a `.deb`, a kerndist tarball or a tree.
#[derive(Debug, Clone)]
pub struct KernelSource {
    path: PathBuf,
    kind: SourceKind,
}

/// Which parts [`KernelSource::unpick`] extracts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Selection {
    /// The image (`boot/vmlinuz-VER`).
    pub image: bool,
    /// `boot/System.map-VER` and `boot/config-VER`.
    pub boot_files: bool,
    /// Modules: `None` for all; else only modules matching one of these:
    /// a module name (`ext4`; `-` and `_` are the same) or a directory
    /// relative to the module tree, ending in `/` (`kernel/fs/`). A
    /// pattern that matches no module is an error. The module tree's other
    /// files (`modules.*`) come with any module.
    pub modules: Option<Vec<String>>,
    /// Extract no modules at all (overrides `modules`).
    pub no_modules: bool,
    /// DTBs.
    pub dtbs: bool,
    /// Firmware.
    pub firmware: bool,
    /// Everything else too (documentation, ...): with everything else
    /// selected, the whole package.
    pub other: bool,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            image: true,
            boot_files: true,
            modules: None,
            no_modules: false,
            dtbs: true,
            firmware: true,
            other: false,
        }
    }
}

impl Selection {
    /// Everything in the source.
    pub fn everything() -> Selection {
        Selection {
            other: true,
            ..Selection::default()
        }
    }

    fn module_wanted(&self, path: &str) -> bool {
        if self.no_modules {
            return false;
        }
        self.modules.is_none() || self.module_patterns_matching(path).next().is_some()
    }

    /// The indexes of the `modules` patterns that module `path` matches.
    fn module_patterns_matching<'a>(&'a self, path: &'a str) -> impl Iterator<Item = usize> + 'a {
        // Relative to lib/modules/VER/.
        let rel = module_path(path).map_or("", |m| m.rest);
        let name = module_name_from_path(rel);
        self.modules
            .iter()
            .flatten()
            .enumerate()
            .filter(move |(_, pat)| {
                if pat.ends_with('/') {
                    rel.starts_with(pat.as_str())
                } else {
                    normalize_name(pat) == name
                }
            })
            .map(|(i, _)| i)
    }

    fn wants(&self, role: Role, path: &str) -> bool {
        match role {
            Role::Image => self.image,
            Role::SystemMap | Role::Config => self.boot_files,
            Role::Module => self.module_wanted(path),
            Role::ModuleTree => !self.no_modules,
            Role::Dtb => self.dtbs,
            Role::Firmware => self.firmware,
            Role::Other => self.other,
        }
    }
}

/// What [`KernelSource::info`] and [`KernelSource::unpick`] report.
#[derive(Debug, Clone, Serialize)]
pub struct KernelInfo {
    /// The source's path.
    pub source: PathBuf,
    /// Its kind.
    pub source_kind: SourceKind,
    /// The kernel version (`6.1.0-50-arm64`).
    pub version: String,
    /// The image's target.
    pub arch: ImageArch,
    /// The Debian architecture: the package's `Architecture`, if a `.deb`.
    pub debian_arch: Option<String>,
    /// The package's `Package` field, if a `.deb`.
    pub package: Option<String>,
    /// The package's `Version` field, if a `.deb`.
    pub package_version: Option<String>,
    /// The image's relative path.
    pub image: String,
    /// System.map's relative path, if present.
    pub system_map: Option<String>,
    /// config's relative path, if present.
    pub config: Option<String>,
    /// The module tree (`lib/modules/VER` or `usr/lib/modules/VER`), if any.
    pub module_dir: Option<String>,
    /// How many modules.
    pub module_count: usize,
    /// How many modules each compression has (`""` for plain `.ko`).
    pub module_compression: BTreeMap<String, usize>,
    /// How many DTB files (`.dtb`, `.dtbo`).
    pub dtb_count: usize,
    /// How many firmware files.
    pub firmware_count: usize,
    /// How many entries the source has, of any kind.
    pub entries: usize,
    /// For [`KernelSource::unpick`]: the destination.
    pub destdir: Option<PathBuf>,
    /// For [`KernelSource::unpick`]: the image's path under the destination.
    pub image_path: Option<PathBuf>,
    /// For [`KernelSource::unpick`]: how many entries were extracted.
    pub extracted: usize,
    /// For [`KernelSource::unpick`]: how many modules were extracted.
    pub extracted_modules: usize,
    /// For [`KernelSource::unpick`]: entries selected but deliberately not
    /// extracted: the module tree's `build` and `source` links, which
    /// `modules_install` points at the (absolute) kernel build tree.
    pub skipped: Vec<String>,
}

/// The most bytes of one module (or one module tree file) read into
/// memory, compressed or not: the largest modules are a few MiB.
pub(crate) const MODULE_LIMIT: u64 = 256 << 20;

impl KernelSource {
    /// Opens `path`, recognising its kind (see the module docs).
    pub fn open(path: impl AsRef<Path>) -> Result<KernelSource, KernelError> {
        let path = path.as_ref().to_owned();
        let open_err = |source| KernelError::Open {
            path: path.clone(),
            source,
        };
        let m = fs::metadata(&path).map_err(open_err)?;
        let kind = if m.is_dir() {
            SourceKind::Tree
        } else {
            let mut magic = [0u8; 8];
            let mut f = File::open(&path).map_err(open_err)?;
            let n = f.read(&mut magic).map_err(open_err)?;
            if &magic[..n] == b"!<arch>\n" {
                SourceKind::Deb
            } else {
                SourceKind::Kerndist
            }
        };
        Ok(KernelSource { path, kind })
    }

    /// The source's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The source's kind.
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    /// An error reading `what` of this source, for `map_err` (callers that
    /// walk entries with [`KernelSource::visit`] report the same way).
    pub fn read_err(&self, what: String) -> impl FnOnce(io::Error) -> KernelError + '_ {
        move |source| KernelError::Read {
            source_path: self.path.clone(),
            what,
            source,
        }
    }

    /// An error about one member of this source.
    pub fn member_err(&self, member: &str, reason: String) -> KernelError {
        KernelError::Member {
            source_path: self.path.clone(),
            member: member.to_owned(),
            reason,
        }
    }

    /// Calls `f` for every entry of the source, in order, in one pass (see
    /// the module docs). Returns the package's control fields for a `.deb`.
    ///
    /// Entries a visitor does not read are skipped. An error from `f`
    /// stops the walk and is returned as is.
    pub fn visit<F>(&self, mut f: F) -> Result<Option<Control>, KernelError>
    where
        F: FnMut(&mut Entry<'_>) -> Result<(), KernelError>,
    {
        self.walk(None, &mut f)
    }

    /// Like [`KernelSource::visit`], but reads the `.deb` or tarball from
    /// `stream` (a pipe, bytes in memory) rather than opening the source's
    /// path, which only names it in messages. Not for trees.
    pub fn visit_stream<R, F>(&self, stream: R, mut f: F) -> Result<Option<Control>, KernelError>
    where
        R: Read,
        F: FnMut(&mut Entry<'_>) -> Result<(), KernelError>,
    {
        self.walk(Some(Box::new(stream)), &mut f)
    }

    /// A source of `kind` to be read with [`KernelSource::visit_stream`] or
    /// [`KernelSource::info_stream`]; `name` names it in messages.
    pub fn for_stream(name: impl Into<PathBuf>, kind: SourceKind) -> KernelSource {
        KernelSource {
            path: name.into(),
            kind,
        }
    }

    fn walk(
        &self,
        stream: Option<Box<dyn Read + '_>>,
        f: &mut dyn FnMut(&mut Entry<'_>) -> Result<(), KernelError>,
    ) -> Result<Option<Control>, KernelError> {
        let open = || -> Result<Box<dyn Read>, KernelError> {
            let file = File::open(&self.path).map_err(|source| KernelError::Open {
                path: self.path.clone(),
                source,
            })?;
            Ok(Box::new(io::BufReader::with_capacity(256 * 1024, file)))
        };
        match self.kind {
            SourceKind::Tree => {
                if stream.is_some() {
                    return Err(self.mismatch("a tree cannot be read from a stream".into()));
                }
                self.visit_tree(&self.path, "", f)?;
                Ok(None)
            }
            SourceKind::Deb => {
                let r = match stream {
                    Some(s) => s,
                    None => open()?,
                };
                let deb = DebReader::new(r, &self.path)?;
                let (control, member, tar) = deb.data()?;
                self.visit_tar(tar.into_inner(), &member.name, f)?;
                Ok(Some(control))
            }
            SourceKind::Kerndist => {
                let r = match stream {
                    Some(s) => s,
                    None => open()?,
                };
                let (kind, mut d) =
                    Decompressor::detect(r).map_err(self.read_err("the compressed tar".into()))?;
                // Look at the first header before handing over to the tar
                // reader, whose errors on a non-tar are cryptic.
                let mut head = Vec::with_capacity(512);
                (&mut d)
                    .take(512)
                    .read_to_end(&mut head)
                    .map_err(self.read_err(format!("the {kind} tar")))?;
                if !looks_like_tar(&head) {
                    return Err(self.mismatch(format!(
                        "not a .deb nor a tar archive ({kind} data not starting with a tar \
                         header; tars compressed with gzip, xz or zstd are read)"
                    )));
                }
                self.visit_tar(io::Cursor::new(head).chain(d), "tar", f)?;
                Ok(None)
            }
        }
    }

    fn visit_tar<R: Read>(
        &self,
        stream: R,
        what: &str,
        f: &mut dyn FnMut(&mut Entry<'_>) -> Result<(), KernelError>,
    ) -> Result<(), KernelError> {
        // Counted, and whether the stream ended noted, so a tar that stops
        // at a header boundary without its end marker is caught.
        let mut ar = tar::Archive::new(Counting::new(stream));
        let mut last = String::from("its start");
        {
            let entries = ar
                .entries()
                .map_err(self.read_err(format!("{what}: reading entries")))?;
            for e in entries {
                let mut e = e.map_err(self.read_err(format!("{what}: the entry after {last}")))?;
                let offset = e.raw_header_position();
                let raw = e.path_bytes().into_owned();
                let name = String::from_utf8(raw).map_err(|r| {
                    self.member_err(
                        &String::from_utf8_lossy(r.as_bytes()),
                        "name is not UTF-8".into(),
                    )
                })?;
                let location = format!("{what} offset {offset}");
                let path = normalise(&name).map_err(|r| self.member_err(&name, r))?;
                let h = e.header();
                let mode = h.mode().unwrap_or(0o644);
                let mtime = h.mtime().unwrap_or(0);
                let size = e.size();
                let et = h.entry_type();
                let link = || -> Result<String, KernelError> {
                    let l = e
                        .link_name_bytes()
                        .ok_or_else(|| self.member_err(&name, "link without a target".into()))?;
                    String::from_utf8(l.into_owned())
                        .map_err(|_| self.member_err(&name, "link target is not UTF-8".into()))
                };
                let kind = match et {
                    tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
                    tar::EntryType::Directory => EntryKind::Dir,
                    tar::EntryType::Symlink => EntryKind::Symlink(link()?),
                    tar::EntryType::Link => {
                        let t = link()?;
                        let t = normalise(&t).map_err(|r| {
                            self.member_err(&name, format!("hard link target: {r}"))
                        })?;
                        EntryKind::Hardlink(t)
                    }
                    other => {
                        return Err(self.member_err(
                            &name,
                            format!(
                            "{other:?} entries are not allowed in a kernel archive (at {location})"
                        ),
                        ))
                    }
                };
                last = format!("member {name} ({location})");
                if path.is_empty() {
                    continue; // the root, "./"
                }
                let (role, version) = classify(&path);
                let version = version.map(str::to_owned);
                let mut exact = Exact::new(&mut e, if kind == EntryKind::File { size } else { 0 });
                let mut entry = Entry {
                    path,
                    kind,
                    role,
                    version,
                    mode,
                    size,
                    mtime,
                    location,
                    data: &mut exact,
                };
                f(&mut entry)?;
            }
        }
        let mut rest = ar.into_inner();
        if rest.hit_eof {
            return Err(self.read_err(format!("{what}: after {last}"))(
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "archive truncated at offset {}: no end-of-archive marker",
                        rest.count
                    ),
                ),
            ));
        }
        // Read to the end, so the compressed stream's trailer (xz index,
        // gzip CRC) is checked.
        io::copy(&mut rest, &mut io::sink())
            .map_err(self.read_err(format!("{what}: after the end-of-archive marker")))?;
        Ok(())
    }

    fn visit_tree(
        &self,
        dir: &Path,
        rel: &str,
        f: &mut dyn FnMut(&mut Entry<'_>) -> Result<(), KernelError>,
    ) -> Result<(), KernelError> {
        let rd =
            fs::read_dir(dir).map_err(self.read_err(format!("directory {}", dir.display())))?;
        let mut names = Vec::new();
        for d in rd {
            let d = d.map_err(self.read_err(format!("directory {}", dir.display())))?;
            names.push(d.file_name());
        }
        names.sort();
        for n in names {
            let name = n.to_str().ok_or_else(|| {
                self.member_err(&format!("{rel}/{n:?}"), "name is not UTF-8".into())
            })?;
            let p = dir.join(name);
            let relp = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            let m = fs::symlink_metadata(&p).map_err(self.read_err(relp.clone()))?;
            use std::os::unix::fs::MetadataExt;
            let (role, version) = classify(&relp);
            let version = version.map(str::to_owned);
            let ft = m.file_type();
            let (kind, size) = if ft.is_dir() {
                (EntryKind::Dir, 0)
            } else if ft.is_symlink() {
                let t = fs::read_link(&p).map_err(self.read_err(relp.clone()))?;
                let t = t
                    .to_str()
                    .ok_or_else(|| self.member_err(&relp, "link target is not UTF-8".into()))?
                    .to_owned();
                (EntryKind::Symlink(t), 0)
            } else if ft.is_file() {
                (EntryKind::File, m.len())
            } else {
                return Err(self.member_err(&relp, "not a file, directory or symbolic link".into()));
            };
            let mut file;
            let mut empty = io::empty();
            let data: &mut dyn Read = if kind == EntryKind::File {
                file = Exact::new(File::open(&p).map_err(self.read_err(relp.clone()))?, size);
                &mut file
            } else {
                &mut empty
            };
            let mut entry = Entry {
                path: relp.clone(),
                kind: kind.clone(),
                role,
                version,
                mode: m.mode() & 0o7777,
                size,
                mtime: m.mtime().max(0) as u64,
                location: p.display().to_string(),
                data,
            };
            f(&mut entry)?;
            if kind == EntryKind::Dir {
                self.visit_tree(&p, &relp, f)?;
            }
        }
        Ok(())
    }

    /// Reads the source, checks it (one architecture, one version) and
    /// reports what it holds, extracting nothing.
    pub fn info(&self) -> Result<KernelInfo, KernelError> {
        self.scan(None, None)
    }

    /// Like [`KernelSource::info`], reading from `stream` (see
    /// [`KernelSource::visit_stream`]).
    pub fn info_stream<R: Read>(&self, stream: R) -> Result<KernelInfo, KernelError> {
        self.scan(None, Some(Box::new(stream)))
    }

    /// Reads and checks the source like [`KernelSource::info`] and
    /// extracts the `selection` under `destdir` safely (see
    /// [`extract`](Dest)). On error, files already extracted stay, each
    /// complete; nothing is written outside `destdir`.
    pub fn unpick(&self, destdir: &Path, selection: &Selection) -> Result<KernelInfo, KernelError> {
        self.scan(Some((destdir, selection)), None)
    }

    fn scan(
        &self,
        out: Option<(&Path, &Selection)>,
        stream: Option<Box<dyn Read + '_>>,
    ) -> Result<KernelInfo, KernelError> {
        let dest = match out {
            Some((d, _)) => {
                let open_err = |source| KernelError::Open {
                    path: d.to_owned(),
                    source,
                };
                fs::create_dir_all(d).map_err(open_err)?;
                Some(Dest::new(d).map_err(|e| open_err(io::Error::other(e.to_string())))?)
            }
            None => None,
        };
        let mut check = KernelCheck::new(self);
        let mut image_path: Option<PathBuf> = None;
        let mut system_map = None;
        let mut config = None;
        let mut module_dir: Option<String> = None;
        let mut module_count = 0;
        let mut module_compression: BTreeMap<String, usize> = BTreeMap::new();
        let (mut dtb_count, mut firmware_count, mut entries) = (0, 0, 0);
        let (mut extracted, mut extracted_modules) = (0, 0);
        let mut skipped = Vec::new();
        // Which module patterns matched something: one that matches
        // nothing is an error, never a silently empty selection.
        let mut pattern_used = vec![
            false;
            out.and_then(|(_, s)| s.modules.as_ref())
                .map_or(0, Vec::len)
        ];

        let control = self.walk(stream, &mut |e| {
            entries += 1;
            // With a module selection, directories of the module tree
            // appear only as needed for the modules chosen.
            let want = out.is_some_and(|(_, s)| {
                s.wants(e.role, &e.path)
                    && !(e.kind == EntryKind::Dir && e.role == Role::ModuleTree && s.modules.is_some())
            });
            check.entry(e);
            let mut written: Option<PathBuf> = None;
            let is_file = e.kind == EntryKind::File;
            match e.role {
                Role::Image if is_file => {
                    let mut head = Vec::with_capacity(HEAD_BYTES);
                    (&mut *e)
                        .take(HEAD_BYTES as u64)
                        .read_to_end(&mut head)
                        .map_err(self.read_err(format!("{} ({})", e.path, e.location)))?;
                    check.image(&e.path, &head)?;
                    if want {
                        let dest = dest.as_ref().expect("want implies dest");
                        let mut chained = io::Cursor::new(head).chain(&mut *e.data);
                        written = Some(self.write(dest, &e.path, e.mode, e.mtime, e.size, &mut chained)?);
                    }
                    image_path = written.clone();
                }
                Role::SystemMap if is_file => system_map = Some(e.path.clone()),
                Role::Config if is_file => config = Some(e.path.clone()),
                Role::Module if is_file => {
                    module_count += 1;
                    if let Some((_, sel)) = out {
                        for i in sel.module_patterns_matching(&e.path) {
                            pattern_used[i] = true;
                        }
                    }
                    let name = e.path.rsplit('/').next().unwrap_or("");
                    let comp = Compression::from_suffix(name)
                        .map_or(Compression::None, |(c, _)| c);
                    *module_compression.entry(comp.suffix().to_owned()).or_default() += 1;
                    if let Some(m) = module_path(&e.path) {
                        module_dir.get_or_insert_with(|| m.dir.to_owned());
                    }
                    let bytes = e
                        .read_all(MODULE_LIMIT)
                        .map_err(self.read_err(format!("{} ({})", e.path, e.location)))?;
                    let (info, _) = self.read_module(&e.path, &bytes)?;
                    check.module(&e.path, &info)?;
                    if want {
                        let dest = dest.as_ref().expect("want implies dest");
                        self.write(dest, &e.path, e.mode, e.mtime, e.size, &mut &bytes[..])?;
                        extracted_modules += 1;
                    }
                }
                Role::Dtb if is_file && (e.path.ends_with(".dtb") || e.path.ends_with(".dtbo")) => {
                    dtb_count += 1
                }
                Role::Firmware if is_file => firmware_count += 1,
                _ => {}
            }
            let build_link = e.role == Role::ModuleTree
                && matches!(&e.kind, EntryKind::Symlink(t) if check_symlink_target(&e.path, t).is_err())
                && module_path(&e.path).is_some_and(|m| m.rest == "build" || m.rest == "source");
            if want && build_link {
                skipped.push(e.path.clone());
                return Ok(());
            }
            if want && written.is_none() {
                let dest = dest.as_ref().expect("want implies dest");
                let ext = |source| KernelError::Extract {
                    source_path: self.path.clone(),
                    member: e.path.clone(),
                    source,
                };
                match &e.kind {
                    EntryKind::Dir => dest.dir(&e.path, e.mode).map_err(ext)?,
                    EntryKind::File if e.role != Role::Module => {
                        self.write(dest, &e.path, e.mode, e.mtime, e.size, &mut *e.data)?;
                    }
                    EntryKind::File => {}
                    EntryKind::Symlink(t) => dest.symlink(&e.path, t).map_err(ext)?,
                    EntryKind::Hardlink(t) => dest.hardlink(&e.path, t).map_err(ext)?,
                }
            }
            if want {
                extracted += 1;
            }
            Ok(())
        })?;

        if let Some((_, sel)) = out.filter(|(_, s)| !s.no_modules) {
            let unmatched: Vec<&str> = sel
                .modules
                .iter()
                .flatten()
                .zip(&pattern_used)
                .filter(|(_, used)| !**used)
                .map(|(p, _)| p.as_str())
                .collect();
            if !unmatched.is_empty() {
                return Err(self.mismatch(format!(
                    "no module matches {} of the selection",
                    unmatched
                        .iter()
                        .map(|p| format!("{p:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let checked = check.finish(control.as_ref())?;
        Ok(KernelInfo {
            source: self.path.clone(),
            source_kind: self.kind,
            version: checked.version,
            arch: checked.arch,
            debian_arch: control.as_ref().map(|c| c.architecture().to_owned()),
            package: control.as_ref().map(|c| c.package().to_owned()),
            package_version: control.as_ref().map(|c| c.version().to_owned()),
            image: checked.image,
            system_map,
            config,
            module_dir,
            module_count,
            module_compression,
            dtb_count,
            firmware_count,
            entries,
            destdir: out.map(|(d, _)| d.to_owned()),
            image_path,
            extracted,
            extracted_modules,
            skipped,
        })
    }

    /// An error about the source as a whole (two images, mixed versions).
    pub fn mismatch(&self, reason: String) -> KernelError {
        KernelError::Mismatch {
            source_path: self.path.clone(),
            reason,
        }
    }

    /// Reads one module's bytes (as an [`Entry`] of this source gave them,
    /// `member` being its path): decompresses them as the name's suffix
    /// says (`.ko.xz`, `.ko.zst`, `.ko.gz`) and parses the ELF. Returns
    /// the metadata and the plain module, for callers that need modules
    /// uncompressed (bookworm's installer kmod reads no compressed ones).
    pub fn read_module<'b>(
        &self,
        member: &str,
        bytes: &'b [u8],
    ) -> Result<(ModuleInfo, Cow<'b, [u8]>), KernelError> {
        let name = member.rsplit('/').next().unwrap_or(member);
        let comp = Compression::from_suffix(name).map_or(Compression::None, |(c, _)| c);
        let plain: Cow<'b, [u8]> = if comp == Compression::None {
            Cow::Borrowed(bytes)
        } else {
            if Compression::from_magic_readable(bytes) != comp {
                return Err(self.member_err(
                    member,
                    format!("named .{} but not {comp}-compressed", comp.suffix()),
                ));
            }
            let mut v = Vec::new();
            Decompressor::with_threads(comp, bytes, 1)
                .and_then(|d| d.take(MODULE_LIMIT).read_to_end(&mut v))
                .map_err(self.read_err(format!("{member}: decompressing")))?;
            Cow::Owned(v)
        };
        let info = ModuleInfo::parse(&plain).map_err(|source| KernelError::Module {
            source_path: self.path.clone(),
            member: member.to_owned(),
            source,
        })?;
        Ok((info, plain))
    }

    fn write(
        &self,
        dest: &Dest,
        rel: &str,
        mode: u32,
        mtime: u64,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<PathBuf, KernelError> {
        dest.file(rel, mode, mtime, size, data)
            .map_err(|source| KernelError::Extract {
                source_path: self.path.clone(),
                member: rel.to_owned(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_tar_headers() {
        for mut h in [
            tar::Header::new_gnu(),
            tar::Header::new_ustar(),
            tar::Header::new_old(),
        ] {
            h.set_path("boot/vmlinuz-6.1").unwrap();
            h.set_size(3);
            h.set_cksum();
            assert!(looks_like_tar(h.as_bytes()));
            let mut bad = *h.as_bytes();
            bad[0] = b'X';
            assert!(!looks_like_tar(&bad));
        }
        assert!(looks_like_tar(&[0u8; 512]));
        assert!(!looks_like_tar(&[b'a'; 512]));
        assert!(!looks_like_tar(&[0u8; 100]));
    }

    #[test]
    fn selects_modules() {
        let s = Selection {
            modules: Some(vec!["dm-mod".into(), "kernel/fs/".into()]),
            ..Selection::default()
        };
        assert!(s.module_wanted("lib/modules/6.1/kernel/drivers/md/dm_mod.ko"));
        assert!(s.module_wanted("usr/lib/modules/6.1/kernel/fs/ext4/ext4.ko.xz"));
        assert!(!s.module_wanted("lib/modules/6.1/kernel/net/x.ko"));
    }
}
