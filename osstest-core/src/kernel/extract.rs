// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Writing entries under a destination directory, safely.
//!
//! The rules, which hold whatever the archive says:
//!
//! - names are relative and normalised before they get here (see
//!   [`super::normalise`]): no `..`, no absolute names;
//! - nothing is ever written *through* a symbolic link: every directory
//!   on the way to an output must be a real directory (created here if
//!   missing), so a link in the archive cannot redirect a later entry;
//! - a symbolic link may be created only if its target is relative, has
//!   its `..` components only at the start, and does not climb above the
//!   destination from where the link is; with the rule above, no chain of
//!   such links resolves outside the destination;
//! - a hard link's target must be a regular file already extracted under
//!   the destination;
//! - device nodes and FIFOs are refused (by the caller);
//! - everything is written in a staging directory inside the destination
//!   (see [`crate::format::output`]: each file to an exclusive,
//!   unguessable temporary name, then renamed) and published only when
//!   the caller has checked the whole (one publish step, under the
//!   destination's lock): a failure never leaves a partial file or a
//!   partial tree, and two calls into one destination each publish whole;
//! - an empty destination path, and a destination inside the tree being
//!   read, are refused.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::format::output::{self, OutputError, Staging};

/// The buffer for copying a file's data.
const COPY_BUFFER: usize = 256 * 1024;

/// A destination directory, written through a [`Staging`] directory inside
/// it: nothing appears in the destination until [`Dest::publish`].
pub struct Dest {
    staging: Staging,
    buf: std::cell::RefCell<Vec<u8>>,
}

/// Why something could not be written; the caller names the member.
#[derive(Debug, thiserror::Error)]
pub enum DestError {
    /// A directory on the way is a symbolic link or not a directory.
    #[error("{0} is a symbolic link or not a directory: refusing to write through it")]
    NotDir(PathBuf),
    /// A link's target would leave the destination.
    #[error("link target {0:?} points outside the destination")]
    Escapes(String),
    /// A hard link's target is not a regular file extracted before it.
    #[error("hard link target {0:?} is not a regular file extracted before it")]
    BadHardlink(String),
    /// The entry held fewer or more bytes than its header said.
    #[error("{got} bytes of data, its header says {want}")]
    Size {
        /// Bytes read.
        got: u64,
        /// Bytes the header gave.
        want: u64,
    },
    /// Reading the entry's data failed.
    #[error("reading its data: {0}")]
    Read(io::Error),
    /// Writing failed (the error names the file as it will be published).
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Checks a symlink `target` placed at relative path `at` stays inside.
pub fn check_symlink_target(at: &str, target: &str) -> Result<(), DestError> {
    let escapes = || DestError::Escapes(target.to_owned());
    if target.starts_with('/') || target.is_empty() {
        return Err(escapes());
    }
    let depth = at.split('/').count() - 1;
    let mut ups = 0;
    let mut seen_name = false;
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." if !seen_name => ups += 1,
            ".." => return Err(escapes()),
            _ => seen_name = true,
        }
    }
    if ups > depth {
        return Err(escapes());
    }
    Ok(())
}

impl Dest {
    /// Uses `root` as the destination (created if missing), refusing an
    /// empty path and a destination inside `source` (a tree being read,
    /// which would read back its own output); stages everything in a
    /// directory inside it.
    pub fn new(source: &Path, root: &Path) -> Result<Dest, OutputError> {
        output::destination(root)?;
        output::refuse_inside(source, root)?;
        Ok(Dest {
            staging: Staging::new(root, "unpick")?,
            buf: std::cell::RefCell::new(vec![0u8; COPY_BUFFER]),
        })
    }

    /// The destination directory.
    pub fn root(&self) -> &Path {
        self.staging.dest()
    }

    /// Makes sure every directory leading to `rel` exists in the staging
    /// directory and is a real directory; returns the staged path of `rel`.
    fn prepare(&self, rel: &str) -> Result<PathBuf, DestError> {
        let mut p = self.staging.path().to_owned();
        let parts: Vec<&str> = rel.split('/').collect();
        for (i, part) in parts[..parts.len() - 1].iter().enumerate() {
            p.push(part);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(DestError::NotDir(self.root().join(parts[..=i].join("/")))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&p)
                        .map_err(self.err(&parts[..=i].join("/"), "creating the directory"))?;
                }
                Err(e) => return Err(self.err(rel, "looking at it")(e)),
            }
        }
        p.push(parts[parts.len() - 1]);
        Ok(p)
    }

    /// An error about `rel`, named as it will be published.
    fn err(&self, rel: &str, what: &'static str) -> impl FnOnce(io::Error) -> DestError {
        let f = output::io_err(&self.root().join(rel), what);
        move |e| DestError::Output(f(e))
    }

    /// Creates directory `rel` with permissions `mode`.
    pub fn dir(&self, rel: &str, mode: u32) -> Result<(), DestError> {
        let p = self.prepare(rel)?;
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(DestError::NotDir(self.root().join(rel))),
            Err(_) => fs::create_dir(&p).map_err(self.err(rel, "creating the directory"))?,
        }
        fs::set_permissions(&p, fs::Permissions::from_mode(mode & 0o7777 | 0o700))
            .map_err(self.err(rel, "setting its permissions"))
    }

    /// Writes regular file `rel` from `data`, which must hold exactly
    /// `size` bytes; sets `mode`'s permission bits (never set-user-ID,
    /// set-group-ID or sticky: a kernel needs none) and `mtime` (seconds
    /// since the epoch). Returns the path it will have once published.
    pub fn file(
        &self,
        rel: &str,
        mode: u32,
        mtime: u64,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<PathBuf, DestError> {
        let p = self.prepare(rel)?;
        if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            return Err(DestError::NotDir(self.root().join(rel)));
        }
        let mut f = self.staging.output(rel)?;
        // Large reads and writes (io::copy's are 8 KiB): the image and
        // the data of a whole package go through here.
        let mut buf = self.buf.borrow_mut();
        let mut got = 0u64;
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DestError::Read(e)),
            };
            got += n as u64;
            if got > size {
                break;
            }
            f.write_all(&buf[..n]).map_err(f.err("writing"))?;
        }
        if got != size {
            return Err(DestError::Size { got, want: size });
        }
        f.set_mode(mode & 0o777)?;
        f.as_file()
            .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime))
            .map_err(f.err("setting its mtime"))?;
        // One sync for the whole tree would be syncfs; a crash before the
        // publish leaves nothing published anyway.
        f.commit_unsynced()?;
        Ok(self.root().join(rel))
    }

    /// Creates symbolic link `rel` pointing at `target`, if that stays
    /// inside (see [`check_symlink_target`]).
    pub fn symlink(&self, rel: &str, target: &str) -> Result<(), DestError> {
        check_symlink_target(rel, target)?;
        let p = self.prepare(rel)?;
        Ok(output::symlink(target, &p)?)
    }

    /// Creates hard link `rel` to the already extracted `target` (a
    /// normalised member name).
    pub fn hardlink(&self, rel: &str, target: &str) -> Result<(), DestError> {
        let t = self.prepare(target)?;
        if !fs::symlink_metadata(&t).is_ok_and(|m| m.is_file()) {
            return Err(DestError::BadHardlink(target.to_owned()));
        }
        let p = self.prepare(rel)?;
        Ok(output::hard_link(&t, &p)?)
    }

    /// Publishes what was staged into the destination (see
    /// [`Staging::merge_into`]): nothing of it appears before, and a
    /// `Dest` dropped unpublished leaves nothing.
    pub fn publish(self) -> Result<(), OutputError> {
        self.staging.merge_into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_targets() {
        assert!(check_symlink_target("a/b/l", "../c").is_ok());
        assert!(check_symlink_target("a/b/l", "../../c").is_ok());
        assert!(check_symlink_target("a/b/l", "../../../c").is_err());
        assert!(check_symlink_target("l", "../x").is_err());
        assert!(check_symlink_target("a/l", "/etc/passwd").is_err());
        assert!(check_symlink_target("a/l", "b/../../x").is_err());
        assert!(check_symlink_target("a/l", "b/..").is_err());
        assert!(check_symlink_target("a/l", "./b/c").is_ok());
    }

    #[test]
    fn never_through_symlinks() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src.tar");
        let d = Dest::new(&src, &t.path().join("d")).unwrap();
        d.symlink("a/l", "../b").unwrap();
        let e = d.file("a/l/x", 0o644, 0, 1, &mut &b"x"[..]).unwrap_err();
        assert!(
            matches!(&e, DestError::NotDir(p) if p == &t.path().join("d/a/l")),
            "{e}"
        );
        let e = d.file("a/f", 0o644, 0, 3, &mut &b"xy"[..]).unwrap_err();
        assert!(matches!(e, DestError::Size { got: 2, want: 3 }), "{e}");
        d.file("a/g", 0o600, 0, 1, &mut &b"g"[..]).unwrap();
        assert_eq!(
            fs::read_dir(t.path().join("d")).unwrap().count(),
            1,
            "only staged"
        );
        d.publish().unwrap();
        assert!(!t.path().join("d/b").exists());
        assert!(!t.path().join("d/a/f").exists());
        assert_eq!(fs::read(t.path().join("d/a/g")).unwrap(), b"g");
        assert_eq!(
            fs::read_link(t.path().join("d/a/l")).unwrap(),
            Path::new("../b")
        );
        let mut left: Vec<_> = fs::read_dir(t.path().join("d"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["a"], "the staging directory is gone");
    }

    #[test]
    fn unpublished_leaves_nothing() {
        let t = tempfile::tempdir().unwrap();
        let d = Dest::new(Path::new("src"), &t.path().join("d")).unwrap();
        d.file("boot/x", 0o644, 0, 1, &mut &b"x"[..]).unwrap();
        drop(d);
        assert_eq!(fs::read_dir(t.path().join("d")).unwrap().count(), 0);
    }
}
