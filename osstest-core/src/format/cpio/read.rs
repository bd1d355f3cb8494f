// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The streaming newc reader.

use std::io::{self, BufRead, Read};

use super::{
    Entry, Error, Kind, Result, HEADER_LEN, MAGIC_CRC, MAGIC_NEWC, MAX_PADDING, PATH_MAX, TRAILER,
};
use crate::format::io::read_up_to;

/// Reads the entries of newc archives from a [`BufRead`], in order.
///
/// [`Reader::next_entry`] returns each entry's header; the entry's data is
/// read with [`Reader::data`] (bounded to that entry) or skipped by the
/// next call. At the trailer it returns `None`; [`Reader::next_archive`]
/// then skips the zero padding the kernel allows and says whether another
/// archive follows in the same stream.
pub struct Reader<R> {
    inner: R,
    archive: String,
    offset: u64,
    current: Option<Current>,
    at_trailer: bool,
}

/// The entry whose data is being read.
struct Current {
    name: String,
    header_offset: u64,
    remaining: u64,
    size: u64,
    checksum: Option<(u32, u32)>,
}

impl<R: BufRead> Reader<R> {
    /// A reader of the archive stream `inner`, called `archive` in errors.
    pub fn new(inner: R, archive: impl Into<String>) -> Reader<R> {
        Reader {
            inner,
            archive: archive.into(),
            offset: 0,
            current: None,
            at_trailer: false,
        }
    }

    /// Bytes of the stream consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// What the archive is called in errors.
    pub fn archive(&self) -> &str {
        &self.archive
    }

    /// Gives back the underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The next entry's header, or `None` at the trailer.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        self.finish_current()?;
        if self.at_trailer {
            return Ok(None);
        }
        let start = self.offset;
        let (crc, f) = self.read_header(start)?;
        let [ino, mode, uid, gid, nlink, mtime, size, devmaj, devmin, rdevmaj, rdevmin, namesize, check] =
            f;
        let size = size as u64;
        let (name, name_lossy) = self.read_name(start, namesize as usize)?;

        if name == TRAILER {
            self.at_trailer = true;
            // The trailer's data (normally none) is skipped as any other.
            self.current = Some(Current {
                name: name.clone(),
                header_offset: start,
                remaining: size,
                size,
                checksum: None,
            });
            self.finish_current()?;
            return Ok(None);
        }

        let kind = Kind::from_mode(mode).ok_or_else(|| Error::BadHeader {
            archive: self.archive.clone(),
            offset: start,
            problem: format!("member {name}: mode {mode:o} has no file type"),
        })?;
        self.current = Some(Current {
            name: name.clone(),
            header_offset: start,
            remaining: size,
            size,
            // Only regular files' data is summed: GNU cpio writes 0 for
            // symlinks in 070702 archives, and checks only files.
            checksum: (crc && kind == Kind::File).then_some((check, 0)),
        });
        let link_target = if kind == Kind::Symlink {
            Some(self.symlink_target(start, &name, size)?)
        } else {
            None
        };
        Ok(Some(Entry {
            name,
            kind,
            mode,
            uid,
            gid,
            nlink,
            mtime,
            size,
            ino,
            dev: (devmaj, devmin),
            rdev: (rdevmaj, rdevmin),
            checksum: crc.then_some(check),
            link_target,
            name_lossy,
            offset: start,
        }))
    }

    /// Reads the header of the entry at `start`: whether it is a `070702`
    /// one (with a checksum), and its 13 fields in order.
    fn read_header(&mut self, start: u64) -> Result<(bool, [u32; 13])> {
        let mut header = [0u8; HEADER_LEN];
        let got = self.read_up_to(&mut header, "header")?;
        if got < HEADER_LEN {
            return Err(Error::Truncated {
                archive: self.archive.clone(),
                what: if got == 0 {
                    "header (archive ends without a TRAILER!!! entry)".into()
                } else {
                    "header".into()
                },
                offset: start,
                got: got as u64,
                want: HEADER_LEN as u64,
            });
        }
        let crc = match &header[..6] {
            m if m == MAGIC_NEWC => false,
            m if m == MAGIC_CRC => true,
            m => {
                return Err(Error::BadMagic {
                    archive: self.archive.clone(),
                    offset: start,
                    found: String::from_utf8_lossy(m).into_owned(),
                })
            }
        };
        let mut fields = [0u32; 13];
        for (i, f) in fields.iter_mut().enumerate() {
            let raw = &header[6 + 8 * i..6 + 8 * (i + 1)];
            *f = std::str::from_utf8(raw)
                .ok()
                .filter(|s| s.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|s| u32::from_str_radix(s, 16).ok())
                .ok_or_else(|| Error::BadHeader {
                    archive: self.archive.clone(),
                    offset: start,
                    problem: format!(
                        "field {} is {:?}, not 8 hex digits",
                        FIELDS[i],
                        String::from_utf8_lossy(raw)
                    ),
                })?;
        }
        Ok((crc, fields))
    }

    /// Reads the name (`namesize` bytes with its NUL) of the entry at
    /// `start`, and the padding after it; the name, and whether it had to
    /// be made UTF-8.
    fn read_name(&mut self, start: u64, namesize: usize) -> Result<(String, bool)> {
        if namesize == 0 || namesize > PATH_MAX {
            return Err(Error::BadHeader {
                archive: self.archive.clone(),
                offset: start,
                problem: format!("name size {namesize} (must be 1 to {PATH_MAX}, with the NUL)"),
            });
        }
        let mut raw_name = vec![0u8; namesize];
        let got = self.read_up_to(&mut raw_name, "name")?;
        if got < namesize {
            return Err(Error::Truncated {
                archive: self.archive.clone(),
                what: "member name".into(),
                offset: start + HEADER_LEN as u64,
                got: got as u64,
                want: namesize as u64,
            });
        }
        if raw_name.pop() != Some(0) || raw_name.contains(&0) {
            return Err(Error::BadHeader {
                archive: self.archive.clone(),
                offset: start,
                problem: format!(
                    "name {:?} is not {} bytes ending in its only NUL",
                    String::from_utf8_lossy(&raw_name),
                    namesize
                ),
            });
        }
        let (name, name_lossy) = match String::from_utf8(raw_name) {
            Ok(s) => (s, false),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
        };
        self.skip_padding(&name, "name padding")?;
        Ok((name, name_lossy))
    }

    /// Reads the target of symlink `name` at `start`: its `size` bytes of
    /// data.
    fn symlink_target(&mut self, start: u64, name: &str, size: u64) -> Result<String> {
        if size == 0 || size >= PATH_MAX as u64 {
            return Err(Error::BadHeader {
                archive: self.archive.clone(),
                offset: start,
                problem: format!(
                    "symlink {name}: target size {size} (must be 1 to {})",
                    PATH_MAX - 1
                ),
            });
        }
        let mut target = Vec::with_capacity(size as usize);
        self.data()
            .read_to_end(&mut target)
            .map_err(|e| self.data_error(e))?;
        Ok(String::from_utf8_lossy(&target).into_owned())
    }

    /// A reader of the current entry's data, ending at its size. A short
    /// archive or a `070702` checksum mismatch is an error (of kind
    /// `InvalidData` or `UnexpectedEof`, whose message names the member);
    /// [`Reader::next_entry`] reports the same as an [`Error`].
    pub fn data(&mut self) -> EntryData<'_, R> {
        EntryData { reader: self }
    }

    /// After [`Reader::next_entry`] returned `None`: skips zero bytes and
    /// says whether another archive starts (a `0` at an offset that is a
    /// multiple of 4, as the kernel requires). `false` at the end of the
    /// stream; any other byte is an error.
    /// More than [`MAX_PADDING`] zero bytes in a row is an error.
    pub fn next_archive(&mut self) -> Result<bool> {
        self.finish_current()?;
        let start = self.offset;
        loop {
            if self.offset - start > MAX_PADDING {
                return Err(Error::Padding {
                    archive: self.archive.clone(),
                    offset: start,
                    limit: MAX_PADDING,
                });
            }
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) => {
                    return Err(Error::Io {
                        archive: self.archive.clone(),
                        what: "reading after the trailer".into(),
                        offset: self.offset,
                        source: e,
                    })
                }
            };
            if buf.is_empty() {
                return Ok(false);
            }
            let zeros = buf.iter().take_while(|&&b| b == 0).count();
            if zeros == 0 {
                let b = buf[0];
                if b == b'0' && self.offset % 4 == 0 {
                    self.at_trailer = false;
                    return Ok(true);
                }
                return Err(Error::BadHeader {
                    archive: self.archive.clone(),
                    offset: self.offset,
                    problem: format!(
                        "byte {b:#04x} after an archive's trailer (want zero padding or an archive starting at a multiple of 4)"
                    ),
                });
            }
            self.inner.consume(zeros);
            self.offset += zeros as u64;
        }
    }

    /// Skips (and checks) the rest of the current entry's data and padding.
    fn finish_current(&mut self) -> Result<()> {
        if self.current.as_ref().is_some_and(|c| c.remaining > 0) {
            io::copy(&mut self.data(), &mut io::sink()).map_err(|e| self.data_error(e))?;
        }
        if let Some(cur) = self.current.take() {
            // An entry whose data was all read checked its sum as it ended;
            // a zero-length one is checked here.
            if cur.size == 0 {
                if let Some((expected, actual)) = cur.checksum {
                    if expected != actual {
                        return Err(Error::Checksum {
                            archive: self.archive.clone(),
                            member: cur.name,
                            offset: cur.header_offset,
                            expected,
                            actual,
                        });
                    }
                }
            }
            self.skip_padding(&cur.name, "data padding")?;
        }
        Ok(())
    }

    fn skip_padding(&mut self, member: &str, what: &str) -> Result<()> {
        let pad = ((4 - self.offset % 4) % 4) as usize;
        let mut buf = [0u8; 3];
        let start = self.offset;
        let got = self.read_up_to(&mut buf[..pad], what)?;
        if got < pad {
            return Err(Error::Truncated {
                archive: self.archive.clone(),
                what: format!("{what} of member {member}"),
                offset: start,
                got: got as u64,
                want: pad as u64,
            });
        }
        Ok(())
    }

    /// Reads until `buf` is full or the stream ends; the count.
    fn read_up_to(&mut self, buf: &mut [u8], what: &str) -> Result<usize> {
        let got =
            read_up_to(&mut self.inner, buf).map_err(|e| self.io(&format!("reading {what}"), e))?;
        self.offset += got as u64;
        Ok(got)
    }

    fn io(&self, what: &str, e: io::Error) -> Error {
        Error::Io {
            archive: self.archive.clone(),
            what: what.to_owned(),
            offset: self.offset,
            source: e,
        }
    }

    /// Turns an error from [`EntryData`] back into our error type.
    fn data_error(&self, e: io::Error) -> Error {
        match e.into_inner() {
            Some(inner) => match inner.downcast::<Error>() {
                Ok(err) => *err,
                Err(other) => Error::Io {
                    archive: self.archive.clone(),
                    what: "reading member data".into(),
                    offset: self.offset,
                    source: io::Error::other(other),
                },
            },
            None => Error::Io {
                archive: self.archive.clone(),
                what: "reading member data".into(),
                offset: self.offset,
                source: io::Error::other("error without detail"),
            },
        }
    }
}

const FIELDS: [&str; 13] = [
    "c_ino",
    "c_mode",
    "c_uid",
    "c_gid",
    "c_nlink",
    "c_mtime",
    "c_filesize",
    "c_devmajor",
    "c_devminor",
    "c_rdevmajor",
    "c_rdevminor",
    "c_namesize",
    "c_check",
];

/// The data of the entry a [`Reader`] is at; reads end at the entry's size.
pub struct EntryData<'a, R> {
    reader: &'a mut Reader<R>,
}

impl<R: BufRead> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = &mut *self.reader;
        let Some(cur) = r.current.as_mut() else {
            return Ok(0);
        };
        if cur.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(cur.remaining).unwrap_or(usize::MAX));
        let n = loop {
            match r.inner.read(&mut buf[..want]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 {
            let err = Error::Truncated {
                archive: r.archive.clone(),
                what: format!("data of member {}", cur.name),
                offset: cur.header_offset,
                got: cur.size - cur.remaining,
                want: cur.size,
            };
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, err));
        }
        r.offset += n as u64;
        cur.remaining -= n as u64;
        if let Some((expected, sum)) = cur.checksum.as_mut() {
            for &b in &buf[..n] {
                *sum = sum.wrapping_add(b as u32);
            }
            if cur.remaining == 0 && *sum != *expected {
                let err = Error::Checksum {
                    archive: r.archive.clone(),
                    member: cur.name.clone(),
                    offset: cur.header_offset,
                    expected: *expected,
                    actual: *sum,
                };
                return Err(io::Error::new(io::ErrorKind::InvalidData, err));
            }
        }
        Ok(n)
    }
}
