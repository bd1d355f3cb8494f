// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Writing Debian binary packages (deb(5)), deterministically, as
//! `dpkg-deb --build` lays them out: an `ar` archive of `debian-binary`,
//! `control.tar.xz` and `data.tar.xz`, every tar entry named `./...`,
//! owned by `root:root` (0/0) and stamped with one time.
//!
//! A [`DebBuilder`] streams the data tar as it is given files: each is
//! read once, hashed for `md5sums` and counted for `Installed-Size` as it
//! goes into the xz-compressed tar, which is spooled to a temporary file
//! beside the output (the `ar` member header needs its size). Then
//! [`DebBuilder::finish`] writes the control member and the package,
//! under a temporary name renamed into place.
//!
//! The `ar` container is the `ar` crate's common (BSD-style) format:
//! every member name fits its 16 bytes, so no extension is involved, and
//! dpkg reads it like its own (mode 100644, uid and gid 0, our timestamp).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use crate::format::io::{Counting, Hashing};
use crate::format::output::{io_err, Output, OutputError, Watched};

/// Why a file could not be added to a package: its read failed (the
/// caller names the file), or the package could not be written.
#[derive(Debug)]
pub(crate) enum AddError {
    /// Reading the file failed, or it shrank while read.
    Read(io::Error),
    /// Writing the package failed.
    Write(OutputError),
}

/// The data tar being written: xz onto the spool file.
type DataTar = TarWriter<liblzma::write::XzEncoder<BufWriter<File>>>;

/// A package being written (see the module docs).
pub(crate) struct DebBuilder {
    /// The package's final name: what every error names.
    out: PathBuf,
    spool: tempfile::NamedTempFile,
    data: DataTar,
    mtime: u64,
    md5sums: String,
    installed_kib: u64,
}

impl DebBuilder {
    /// Starts the package `out`, whose entries are all stamped `mtime`,
    /// its data xz-compressed at `xz_level` on `xz_threads` threads (the
    /// output does not depend on their number) and spooled beside `out`
    /// under an unguessable name, removed when the builder is.
    pub(crate) fn new(
        out: &Path,
        mtime: u64,
        xz_level: u32,
        xz_threads: u32,
    ) -> Result<DebBuilder, OutputError> {
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let spool = tempfile::Builder::new()
            .prefix(".data.tar.xz.")
            .tempfile_in(dir)
            .map_err(io_err(out, "creating its data spool in its directory"))?;
        let stream = liblzma::stream::MtStreamBuilder::new()
            .preset(xz_level)
            .threads(xz_threads.max(1))
            .check(liblzma::stream::Check::Crc64)
            .encoder()
            .map_err(io::Error::other)
            .and_then(|s| Ok((s, spool.as_file().try_clone()?)));
        let (stream, file) = stream.map_err(io_err(out, "starting its xz data"))?;
        let xz = liblzma::write::XzEncoder::new_stream(BufWriter::new(file), stream);
        let mut data = TarWriter::new(xz, mtime);
        data.dir("./").map_err(io_err(out, "writing"))?;
        Ok(DebBuilder {
            out: out.to_owned(),
            spool,
            data,
            mtime,
            md5sums: String::new(),
            installed_kib: 0,
        })
    }

    fn write_err(&self) -> impl FnOnce(io::Error) -> OutputError {
        io_err(&self.out, "writing")
    }

    /// A directory of the package, `path` relative to `/`.
    pub(crate) fn dir(&mut self, path: &Path) -> Result<(), OutputError> {
        self.installed_kib += 1;
        let name = format!("./{}/", path.display());
        self.data.dir(&name).map_err(self.write_err())
    }

    /// A symbolic link of the package to `target`.
    pub(crate) fn symlink(&mut self, path: &Path, target: &Path) -> Result<(), OutputError> {
        use std::os::unix::ffi::OsStrExt;
        self.installed_kib += 1;
        let name = format!("./{}", path.display());
        self.data
            .symlink(&name, target.as_os_str().as_bytes())
            .map_err(self.write_err())
    }

    /// A regular file of the package, its `size` bytes read from `data`,
    /// listed in `md5sums`. A failing read (a `data` shorter than `size`
    /// is one) is told from a failing write of the package.
    pub(crate) fn file(
        &mut self,
        path: &Path,
        mode: u32,
        size: u64,
        data: impl Read,
    ) -> Result<(), AddError> {
        let name = format!("./{}", path.display());
        let mut r: Hashing<_, Md5> = Hashing::new(Counting::new(Watched::new(data.take(size))));
        if let Err(e) = self.data.file(&name, mode, size, &mut r) {
            return Err(if r.inner.inner.failed() {
                AddError::Read(e)
            } else {
                AddError::Write(self.write_err()(e))
            });
        }
        if r.inner.count != size {
            return Err(AddError::Read(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while being read",
            )));
        }
        self.md5sums
            .push_str(&format!("{:x}  {}\n", r.digest.finalize(), path.display()));
        self.installed_kib += size.div_ceil(1024);
        Ok(())
    }

    /// A regular file of the package made here (a changelog), `bytes`.
    pub(crate) fn add_bytes(
        &mut self,
        path: &Path,
        mode: u32,
        bytes: &[u8],
    ) -> Result<(), OutputError> {
        let len = bytes.len() as u64;
        self.file(path, mode, len, bytes).map_err(|e| match e {
            AddError::Write(e) => e,
            AddError::Read(e) => self.write_err()(e),
        })
    }

    /// The `Installed-Size` of what the package holds so far, in KiB (each
    /// file rounded up, a KiB for each directory and link, as
    /// `dpkg-gencontrol` counts).
    pub(crate) fn installed_kib(&self) -> u64 {
        self.installed_kib
    }

    /// Ends the data, writes `control.tar.xz` (`./control` as given,
    /// `./md5sums`, then the maintainer `scripts`, each `(name, mode,
    /// text)`) and the package, through an [`Output`]: whole, mode 0644,
    /// or not at all.
    pub(crate) fn finish(
        self,
        control: &str,
        scripts: &[(&str, u32, String)],
    ) -> Result<PathBuf, OutputError> {
        let out = &self.out;
        let xz = self.data.finish().map_err(io_err(out, "writing"))?;
        let mut buffered = xz.finish().map_err(io_err(out, "writing"))?;
        buffered.flush().map_err(io_err(out, "writing"))?;
        drop(buffered);
        let ctl = control_tar_xz(self.mtime, control, &self.md5sums, scripts)
            .map_err(io_err(out, "making its control member"))?;
        let o = Output::create(out)?;
        write_ar(o.as_file(), self.mtime, &ctl, self.spool.path()).map_err(o.err("writing"))?;
        o.set_mode(0o644)?;
        o.commit()
    }
}

/// The control member: `./`, `./control`, `./md5sums` and the scripts,
/// xz-compressed (preset 6, as dpkg-deb).
fn control_tar_xz(
    mtime: u64,
    control: &str,
    md5sums: &str,
    scripts: &[(&str, u32, String)],
) -> io::Result<Vec<u8>> {
    let mut tar = TarWriter::new(Vec::new(), mtime);
    tar.dir("./")?;
    let fixed = [("./control", 0o644, control), ("./md5sums", 0o644, md5sums)];
    let scripts = scripts.iter().map(|(n, m, t)| (*n, *m, t.as_str()));
    for (name, mode, text) in fixed.into_iter().chain(scripts) {
        tar.file(name, mode, text.len() as u64, text.as_bytes())?;
    }
    let tar = tar.finish()?;
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&tar)?;
    xz.finish()
}

/// The `ar` archive of a package onto `out`: `debian-binary`, the control
/// member and the data spooled in `data` (the caller syncs it).
fn write_ar(out: &File, mtime: u64, control: &[u8], data: &Path) -> io::Result<()> {
    let mut ar = ar::Builder::new(BufWriter::new(out));
    let member = |name: &str, size: u64| {
        let mut h = ar::Header::new(name.as_bytes().to_vec(), size);
        h.set_mtime(mtime);
        h.set_mode(0o100644);
        h
    };
    ar.append(&member("debian-binary", 4), &b"2.0\n"[..])?;
    ar.append(&member("control.tar.xz", control.len() as u64), control)?;
    let mut data = File::open(data)?;
    let size = data.metadata()?.len();
    ar.append(&member("data.tar.xz", size), &mut data)?;
    ar.into_inner()?.flush()
}

/// Writes tar entries with deterministic GNU headers, and GNU long-name
/// (`L`) and long-link (`K`) records where a name does not fit, keeping
/// the `./` prefix dpkg-deb gives its entries. The tar crate's path
/// setters drop a leading `./`, hence these few lines of our own on top
/// of its [`tar::Builder::append`].
pub(crate) struct TarWriter<W: Write> {
    builder: tar::Builder<W>,
    mtime: u64,
}

impl<W: Write> TarWriter<W> {
    /// A tar onto `w` whose entries all have `mtime`.
    pub(crate) fn new(w: W, mtime: u64) -> Self {
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

    /// A directory (`path` ends in `/`), mode 0755.
    pub(crate) fn dir(&mut self, path: &str) -> io::Result<()> {
        let h = self.header(tar::EntryType::Directory, 0o755, 0);
        self.append(path, h, None, io::empty())
    }

    /// A regular file of `size` bytes read from `data`.
    pub(crate) fn file(
        &mut self,
        path: &str,
        mode: u32,
        size: u64,
        data: impl Read,
    ) -> io::Result<()> {
        let h = self.header(tar::EntryType::Regular, mode, size);
        self.append(path, h, None, data)
    }

    /// A symbolic link to `target`, mode 0777.
    pub(crate) fn symlink(&mut self, path: &str, target: &[u8]) -> io::Result<()> {
        let h = self.header(tar::EntryType::Symlink, 0o777, 0);
        self.append(path, h, Some(target), io::empty())
    }

    /// Ends the archive; the writer underneath.
    pub(crate) fn finish(self) -> io::Result<W> {
        self.builder.into_inner()
    }
}
