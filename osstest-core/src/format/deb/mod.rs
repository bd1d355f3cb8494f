// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Debian binary packages (`.deb`), streamed: read here, written by
//! `write` (the deterministic builder the kernel package writer uses).
//!
//! A `.deb` is an `ar` archive (deb(5)): the member `debian-binary`
//! holding the format version (`2.x`), then `control.tar[.gz|.xz|.zst]`,
//! then `data.tar[.gz|.xz|.zst]`; members whose names start with `_` may
//! appear between them and are skipped, as dpkg does. [`DebReader`] reads
//! the members in that order from any [`Read`], once: the control fields
//! first ([`DebReader::control`]), then the data tar as a [`tar::Archive`]
//! over a decompressing stream ([`DebReader::data`]). Nothing is unpacked
//! to disk and the package is never held in memory; the caller sees one
//! data entry at a time.
//!
//! The `ar` container is read here rather than with the `ar` crate: deb(5)
//! allows only its simplest form (short names, no symbol table, no GNU
//! or BSD long-name tables), and reading it by hand lets every error say
//! which member and at which byte offset of the package the fault lies.

pub(crate) mod write;

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::format::compress::{Compression, Decompressor};
use crate::format::io::{read_up_to, Counting, Exact};

/// What can be wrong with a package. Every message names the package file
/// and, where there is one, the member and offset.
#[derive(Debug, thiserror::Error)]
pub enum DebError {
    /// Reading the package failed.
    #[error("{file}: {what} at offset {offset}: {source}")]
    Io {
        /// The package.
        file: PathBuf,
        /// What was being read.
        what: String,
        /// Byte offset in the package where the read started.
        offset: u64,
        /// The underlying error.
        source: io::Error,
    },
    /// The bytes are not a `.deb` in deb(5)'s format.
    #[error("{file}: not a Debian binary package: {reason} (at offset {offset})")]
    Format {
        /// The package.
        file: PathBuf,
        /// What is wrong.
        reason: String,
        /// Byte offset in the package.
        offset: u64,
    },
    /// The control file is missing or malformed.
    #[error("{file}: {reason}")]
    Control {
        /// The package.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The fields of a package's `control` file, in their order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    /// `(Field, value)` pairs; a multi-line value keeps its newlines and
    /// leading spaces as written.
    pub fields: Vec<(String, String)>,
}

impl Control {
    /// Parses a control file (deb-control(5)): `Field: value` lines,
    /// continuation lines starting with a space or tab, one paragraph.
    pub fn parse(text: &str) -> Result<Control, String> {
        let mut fields: Vec<(String, String)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                if fields.is_empty() {
                    continue;
                }
                // dpkg allows trailing blank lines; a second paragraph is wrong.
                if text.lines().skip(n).any(|l| !l.trim().is_empty()) {
                    return Err(format!("line {}: more than one paragraph", n + 1));
                }
                break;
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                let Some(last) = fields.last_mut() else {
                    return Err(format!(
                        "line {}: continuation line before any field",
                        n + 1
                    ));
                };
                last.1.push('\n');
                last.1.push_str(line);
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(format!("line {}: no ':' in {line:?}", n + 1));
            };
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(format!("line {}: bad field name {name:?}", n + 1));
            }
            if fields.iter().any(|(f, _)| f.eq_ignore_ascii_case(name)) {
                return Err(format!("line {}: field {name} repeated", n + 1));
            }
            fields.push((name.to_owned(), value.trim().to_owned()));
        }
        let c = Control { fields };
        for required in ["Package", "Version", "Architecture"] {
            if c.get(required).is_none() {
                return Err(format!("no {required} field"));
            }
        }
        Ok(c)
    }

    /// A field's value; names compare without regard to case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Package`.
    pub fn package(&self) -> &str {
        self.get("Package").unwrap_or_default()
    }

    /// `Version`.
    pub fn version(&self) -> &str {
        self.get("Version").unwrap_or_default()
    }

    /// `Architecture` (a Debian architecture name, or `all`).
    pub fn architecture(&self) -> &str {
        self.get("Architecture").unwrap_or_default()
    }
}

/// One member of the `ar` container, as its header describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its name, without GNU's trailing `/`.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The offset in the package of its first byte of data.
    pub offset: u64,
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "member {} (offset {})", self.name, self.offset)
    }
}

/// The data of one member: exactly its size, and an error (not a short
/// read) if the package ends before it does.
pub struct MemberReader<R> {
    inner: Exact<R>,
    member: Member,
}

impl<R: Read> MemberReader<R> {
    fn new(inner: R, member: &Member) -> MemberReader<R> {
        MemberReader {
            inner: Exact::new(inner, member.size),
            member: member.clone(),
        }
    }
}

impl<R: Read> Read for MemberReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let m = &self.member;
        self.inner.read_or(buf, |left| {
            format!(
                "package truncated: {m} ends at offset {}, {left} bytes short of its size {}",
                m.offset + m.size - left,
                m.size
            )
        })
    }
}

impl<R> MemberReader<R> {
    /// The member being read.
    pub fn member(&self) -> &Member {
        &self.member
    }
}

/// The decompressed data tar of a package.
pub type DataTar<R> = tar::Archive<Decompressor<MemberReader<R>>>;

/// Reads a `.deb` from a stream, member by member.
pub struct DebReader<R> {
    file: PathBuf,
    /// The package, counting the bytes read for error offsets.
    r: Option<Counting<R>>,
    control: Option<Control>,
}

const AR_MAGIC: &[u8; 8] = b"!<arch>\n";

impl<R: Read> DebReader<R> {
    /// Starts reading a package from `r`; `file` names it in errors.
    /// Checks the `ar` magic and that `debian-binary` says `2.x`.
    pub fn new(r: R, file: impl Into<PathBuf>) -> Result<DebReader<R>, DebError> {
        let mut d = DebReader {
            file: file.into(),
            r: Some(Counting::new(r)),
            control: None,
        };
        let mut magic = [0u8; 8];
        d.read_exact(&mut magic, "the ar magic")?;
        if &magic != AR_MAGIC {
            return Err(d.format(0, "no ar magic \"!<arch>\\n\"".into()));
        }
        let m = d.next_member()?;
        let Some(m) = m else {
            return Err(d.format(8, "no members".into()));
        };
        if m.name != "debian-binary" {
            return Err(d.format(
                m.offset,
                format!("first member is {:?}, not debian-binary", m.name),
            ));
        }
        if m.size > 64 {
            return Err(d.format(m.offset, format!("debian-binary is {} bytes long", m.size)));
        }
        let mut v = vec![0u8; m.size as usize];
        d.read_exact(&mut v, "member debian-binary")?;
        d.skip_padding(&m)?;
        let v = String::from_utf8_lossy(&v);
        let first = v.lines().next().unwrap_or("");
        let ok = first
            .strip_prefix("2.")
            .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(d.format(
                m.offset,
                format!("debian-binary says format {first:?}, not 2.x"),
            ));
        }
        Ok(d)
    }

    /// The package's name, as given to [`DebReader::new`].
    pub fn file(&self) -> &Path {
        &self.file
    }

    fn inner(&mut self) -> &mut Counting<R> {
        self.r.as_mut().expect("DebReader used after data()")
    }

    fn offset(&self) -> u64 {
        self.r.as_ref().map_or(0, |r| r.count)
    }

    fn format(&self, offset: u64, reason: String) -> DebError {
        DebError::Format {
            file: self.file.clone(),
            reason,
            offset,
        }
    }

    fn io(&self, what: &str, offset: u64, source: io::Error) -> DebError {
        DebError::Io {
            file: self.file.clone(),
            what: what.to_owned(),
            offset,
            source,
        }
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), DebError> {
        let offset = self.offset();
        let n = read_up_to(self.inner(), buf).map_err(|e| self.io(what, offset, e))?;
        if n < buf.len() {
            return Err(self.io(
                what,
                offset,
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("package truncated: {} of {} bytes", n, buf.len()),
                ),
            ));
        }
        Ok(())
    }

    /// Reads the next member header, or `None` at the end of the archive.
    fn next_member(&mut self) -> Result<Option<Member>, DebError> {
        let offset = self.offset();
        let mut h = [0u8; 60];
        // End of file exactly at a header boundary is the end of the archive.
        let n = read_up_to(self.inner(), &mut h)
            .map_err(|e| self.io("an ar member header", offset, e))?;
        if n == 0 {
            return Ok(None);
        }
        if n < h.len() {
            return Err(self.format(
                offset,
                format!("package truncated in an ar member header ({n} of 60 bytes)"),
            ));
        }
        if &h[58..60] != b"`\n" {
            return Err(self.format(offset, "bad ar member header (no `\\n terminator)".into()));
        }
        let name = String::from_utf8_lossy(&h[0..16]);
        let name = name.trim_end_matches(' ');
        let name = name.strip_suffix('/').unwrap_or(name).to_owned();
        let size_field = String::from_utf8_lossy(&h[48..58]);
        let size: u64 = size_field.trim_end_matches(' ').parse().map_err(|_| {
            self.format(
                offset,
                format!("ar member {name:?} has a bad size field {size_field:?}"),
            )
        })?;
        if name.is_empty() || name.contains('/') {
            return Err(self.format(offset, format!("bad ar member name {name:?}")));
        }
        Ok(Some(Member {
            name,
            size,
            offset: offset + 60,
        }))
    }

    fn skip_padding(&mut self, m: &Member) -> Result<(), DebError> {
        if m.size % 2 == 1 {
            let mut pad = [0u8; 1];
            self.read_exact(&mut pad, &format!("the padding after {m}"))?;
        }
        Ok(())
    }

    /// Skips the rest of member `m`'s data, up to its end, and its padding.
    fn skip(&mut self, m: &Member) -> Result<(), DebError> {
        let what = format!("{m}");
        let offset = self.offset();
        let left = (m.offset + m.size).saturating_sub(offset);
        let r = self.inner();
        let copied =
            io::copy(&mut r.take(left), &mut io::sink()).map_err(|e| self.io(&what, offset, e))?;
        if copied < left {
            return Err(self.format(
                offset + copied,
                format!(
                    "package truncated in {m}: {} of {} bytes",
                    m.size - left + copied,
                    m.size
                ),
            ));
        }
        self.skip_padding(m)
    }

    /// The next member that is not an `_`-prefixed extension, which must
    /// be `{base}.tar[.ext]`; returns it and its compression.
    fn expect_tar(&mut self, base: &str) -> Result<(Member, Compression), DebError> {
        loop {
            let Some(m) = self.next_member()? else {
                return Err(self.format(self.offset(), format!("no {base}.tar member")));
            };
            if m.name.starts_with('_') {
                self.skip(&m)?;
                continue;
            }
            let Some(rest) = m
                .name
                .strip_prefix(base)
                .and_then(|r| r.strip_prefix(".tar"))
            else {
                return Err(self.format(
                    m.offset - 60,
                    format!("expected {base}.tar, found member {:?}", m.name),
                ));
            };
            let c = match Compression::from_suffix(rest) {
                _ if rest.is_empty() => Compression::None,
                Some((c, "")) => c,
                _ => {
                    return Err(self.format(
                        m.offset - 60,
                        format!(
                            "{} uses compression {:?}, which osstest-core does not read \
                             (none, .gz, .xz, .zst)",
                            m.name, rest
                        ),
                    ))
                }
            };
            return Ok((m, c));
        }
    }

    fn member_reader(&mut self, m: &Member) -> MemberReader<&mut Counting<R>> {
        MemberReader::new(self.inner(), m)
    }

    /// Reads `control.tar.*` and parses its `./control` file. The result is
    /// kept: calling this again returns it without reading.
    pub fn control(&mut self) -> Result<&Control, DebError> {
        if self.control.is_none() {
            let c = self.read_control()?;
            self.control = Some(c);
        }
        Ok(self.control.as_ref().expect("just set"))
    }

    fn read_control(&mut self) -> Result<Control, DebError> {
        let (m, kind) = self.expect_tar("control")?;
        let file = self.file.clone();
        let cerr = |reason: String| DebError::Control {
            file: file.clone(),
            reason,
        };
        let mut text: Option<String> = None;
        {
            let mr = self.member_reader(&m);
            let d = Decompressor::with_threads(kind, mr, 1)
                .map_err(|e| cerr(format!("{}: {e}", m.name)))?;
            let mut ar = tar::Archive::new(d);
            let entries = ar.entries().map_err(|e| cerr(format!("{}: {e}", m.name)))?;
            for e in entries {
                let mut e = e.map_err(|e| cerr(format!("{}: {e}", m.name)))?;
                let path = e.path_bytes().into_owned();
                let name = String::from_utf8_lossy(&path);
                let name = name.trim_start_matches("./");
                if name == "control" {
                    if e.size() > 1 << 20 {
                        return Err(cerr(format!(
                            "{}: ./control is {} bytes long",
                            m.name,
                            e.size()
                        )));
                    }
                    let mut s = String::new();
                    e.read_to_string(&mut s)
                        .map_err(|err| cerr(format!("{}: ./control: {err}", m.name)))?;
                    text = Some(s);
                }
            }
            // Check the rest of the member decompresses cleanly (the xz or
            // gzip trailer), then let the reader hit the member's end.
            let mut rest = ar.into_inner();
            io::copy(&mut rest, &mut io::sink()).map_err(|e| cerr(format!("{}: {e}", m.name)))?;
        }
        // The decompressor may stop short of the member's end.
        self.skip(&m)?;
        let text = text.ok_or_else(|| cerr(format!("{} has no ./control", m.name)))?;
        Control::parse(&text).map_err(|e| cerr(format!("{}: ./control: {e}", m.name)))
    }

    /// Reads the control part if not yet read, then returns the data tar
    /// for reading entry by entry. Its entries' errors do not name the
    /// package: wrap them (see `kernel`).
    pub fn data(mut self) -> Result<(Control, Member, DataTar<R>), DebError> {
        self.control()?;
        let (m, kind) = self.expect_tar("data")?;
        let control = self.control.take().expect("read above");
        let inner = self.r.take().expect("DebReader used after data()");
        let mr = MemberReader::new(inner.inner, &m);
        let d = Decompressor::new(kind, mr).map_err(|e| DebError::Io {
            file: self.file.clone(),
            what: format!("{m}"),
            offset: m.offset,
            source: e,
        })?;
        Ok((control, m, tar::Archive::new(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_fields() {
        let c = Control::parse(
            "Package: linux-image-6.1.0-50-arm64\nVersion: 6.1.176-1\nArchitecture: arm64\n\
             Description: Linux 6.1 for 64-bit ARMv8 machines (signed)\n The Linux kernel 6.1\n .\n more\n\n",
        )
        .unwrap();
        assert_eq!(c.package(), "linux-image-6.1.0-50-arm64");
        assert_eq!(c.version(), "6.1.176-1");
        assert_eq!(c.architecture(), "arm64");
        assert_eq!(
            c.get("description").unwrap(),
            "Linux 6.1 for 64-bit ARMv8 machines (signed)\n The Linux kernel 6.1\n .\n more"
        );
        assert!(Control::parse("Package: a\nVersion: 1\n")
            .unwrap_err()
            .contains("Architecture"));
        assert!(Control::parse(" cont\nPackage: a\n").is_err());
        assert!(Control::parse("Package: a\nPackage: b\nVersion: 1\nArchitecture: all\n").is_err());
        assert!(
            Control::parse("Package: a\nVersion: 1\nArchitecture: all\n\nPackage: b\n").is_err()
        );
    }

    #[test]
    fn ar_errors_name_offsets() {
        let e = DebReader::new(&b"!<arch>\nnonsense"[..], "x.deb")
            .err()
            .unwrap();
        assert!(e.to_string().contains("x.deb"), "{e}");
        let e = DebReader::new(&b"PK\x03\x04"[..], "x.deb").err().unwrap();
        assert!(e.to_string().contains("ar magic"), "{e}");
    }
}
