// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Opening a kernel source and walking its entries: a `.deb`'s data tar,
//! a (compressed) kerndist tarball, or a directory tree.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::format::compress::{Compression, Decompressor};
use crate::format::deb::{Control, DebReader};
use crate::format::io::{Counting, Exact};
use crate::kernel::modinfo::ModuleInfo;

use super::{classify, normalise, Entry, EntryKind, KernelError, MODULE_LIMIT};

/// The most bytes read after a tar's end-of-archive marker: its padding
/// to the record size is a few KiB (GNU tar's default record is 10 KiB).
const TAR_TAIL_LIMIT: u64 = crate::format::cpio::MAX_PADDING;

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

/// A kernel source: a `.deb`, a kerndist tarball or a tree.
#[derive(Debug, Clone)]
pub struct KernelSource {
    pub(super) path: PathBuf,
    pub(super) kind: SourceKind,
}

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

    pub(super) fn walk(
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
                self.visit_tree(&self.path, f)?;
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
        // gzip CRC) is checked; a tar pads to its record size, a few KiB,
        // so an endless input (/dev/zero) stops at the bound.
        let after = format!("{what}: after the end-of-archive marker");
        let n = io::copy(&mut (&mut rest).take(TAR_TAIL_LIMIT + 1), &mut io::sink())
            .map_err(self.read_err(after.clone()))?;
        if n > TAR_TAIL_LIMIT {
            return Err(self.read_err(after)(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("more than {TAR_TAIL_LIMIT} bytes follow it: not a tar archive's padding"),
            )));
        }
        Ok(())
    }

    /// Walks the tree under `root` in sorted pre-order, as a tar of it
    /// would list it. `walkdir` keeps the stack on the heap, so a tree
    /// however deep cannot overflow the caller's (a Perl thread's 1 MiB).
    fn visit_tree(
        &self,
        root: &Path,
        f: &mut dyn FnMut(&mut Entry<'_>) -> Result<(), KernelError>,
    ) -> Result<(), KernelError> {
        let walk = walkdir::WalkDir::new(root)
            .min_depth(1)
            .follow_links(false)
            .sort_by_file_name();
        for d in walk {
            let d = d.map_err(|e| {
                let at = e.path().unwrap_or(root).display().to_string();
                let e = io::Error::from(e);
                self.read_err(format!("directory {at}"))(e)
            })?;
            let p = d.path();
            let rel = p.strip_prefix(root).unwrap_or(p);
            let relp = rel
                .to_str()
                .ok_or_else(|| self.member_err(&format!("{rel:?}"), "name is not UTF-8".into()))?;
            self.visit_tree_entry(p, relp, f)?;
        }
        Ok(())
    }

    /// Calls `f` for the tree's entry at `p`, `relp` inside the tree.
    fn visit_tree_entry(
        &self,
        p: &Path,
        relp: &str,
        f: &mut dyn FnMut(&mut Entry<'_>) -> Result<(), KernelError>,
    ) -> Result<(), KernelError> {
        use std::os::unix::fs::MetadataExt;
        let m = fs::symlink_metadata(p).map_err(self.read_err(relp.to_owned()))?;
        let (role, version) = classify(relp);
        let version = version.map(str::to_owned);
        let ft = m.file_type();
        let (kind, size) = if ft.is_dir() {
            (EntryKind::Dir, 0)
        } else if ft.is_symlink() {
            let t = fs::read_link(p).map_err(self.read_err(relp.to_owned()))?;
            let t = t
                .to_str()
                .ok_or_else(|| self.member_err(relp, "link target is not UTF-8".into()))?
                .to_owned();
            (EntryKind::Symlink(t), 0)
        } else if ft.is_file() {
            (EntryKind::File, m.len())
        } else {
            return Err(self.member_err(relp, "not a file, directory or symbolic link".into()));
        };
        let mut file;
        let mut empty = io::empty();
        let data: &mut dyn Read = if kind == EntryKind::File {
            file = Exact::new(File::open(p).map_err(self.read_err(relp.to_owned()))?, size);
            &mut file
        } else {
            &mut empty
        };
        let mut entry = Entry {
            path: relp.to_owned(),
            kind,
            role,
            version,
            mode: m.mode() & 0o7777,
            size,
            mtime: m.mtime().max(0) as u64,
            location: p.display().to_string(),
            data,
        };
        f(&mut entry)
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
}
