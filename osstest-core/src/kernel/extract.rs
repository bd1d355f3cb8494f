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
//! - each file is written to a temporary name beside it and renamed into
//!   place once complete, so a failure never leaves a partial file.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A destination directory.
pub struct Dest {
    root: PathBuf,
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
    /// Writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DestError + '_ {
    move |source| DestError::Io {
        path: path.to_owned(),
        source,
    }
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
    /// Uses `root` as the destination, creating it if missing.
    pub fn new(root: &Path) -> Result<Dest, DestError> {
        fs::create_dir_all(root).map_err(io_err(root))?;
        Ok(Dest {
            root: root.to_owned(),
        })
    }

    /// The destination directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Makes sure every directory leading to `rel` exists and is a real
    /// directory; returns the full path of `rel`.
    fn prepare(&self, rel: &str) -> Result<PathBuf, DestError> {
        let mut p = self.root.clone();
        let parts: Vec<&str> = rel.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            p.push(part);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(DestError::NotDir(p)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&p).map_err(io_err(&p))?;
                }
                Err(e) => return Err(io_err(&p)(e)),
            }
        }
        p.push(parts[parts.len() - 1]);
        Ok(p)
    }

    fn temp_beside(p: &Path) -> PathBuf {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        p.with_file_name(format!(".{name}.osstest-part-{}", std::process::id()))
    }

    /// Creates directory `rel` with permissions `mode`.
    pub fn dir(&self, rel: &str, mode: u32) -> Result<(), DestError> {
        let p = self.prepare(rel)?;
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(DestError::NotDir(p)),
            Err(_) => fs::create_dir(&p).map_err(io_err(&p))?,
        }
        fs::set_permissions(&p, fs::Permissions::from_mode(mode & 0o7777 | 0o700))
            .map_err(io_err(&p))
    }

    /// Writes regular file `rel` from `data`, which must hold exactly
    /// `size` bytes; sets `mode`'s permission bits (never set-user-ID,
    /// set-group-ID or sticky: a kernel needs none) and `mtime` (seconds
    /// since the epoch). Returns the path written.
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
            return Err(DestError::NotDir(p));
        }
        let tmp = Self::temp_beside(&p);
        let result = (|| {
            let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
            let got = io::copy(&mut data.take(size + 1), &mut f).map_err(io_err(&p))?;
            if got != size {
                return Err(DestError::Size { got, want: size });
            }
            f.flush().map_err(io_err(&tmp))?;
            f.set_permissions(fs::Permissions::from_mode(mode & 0o777))
                .map_err(io_err(&tmp))?;
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime))
                .map_err(io_err(&tmp))?;
            drop(f);
            fs::rename(&tmp, &p).map_err(io_err(&p))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| p)
    }

    /// Creates symbolic link `rel` pointing at `target`, if that stays
    /// inside (see [`check_symlink_target`]).
    pub fn symlink(&self, rel: &str, target: &str) -> Result<(), DestError> {
        check_symlink_target(rel, target)?;
        let p = self.prepare(rel)?;
        let tmp = Self::temp_beside(&p);
        let _ = fs::remove_file(&tmp);
        symlink(target, &tmp).map_err(io_err(&tmp))?;
        fs::rename(&tmp, &p).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_err(&p)(e)
        })
    }

    /// Creates hard link `rel` to the already extracted `target` (a
    /// normalised member name).
    pub fn hardlink(&self, rel: &str, target: &str) -> Result<(), DestError> {
        let t = self.prepare(target)?;
        if !fs::symlink_metadata(&t).is_ok_and(|m| m.is_file()) {
            return Err(DestError::BadHardlink(target.to_owned()));
        }
        let p = self.prepare(rel)?;
        let tmp = Self::temp_beside(&p);
        let _ = fs::remove_file(&tmp);
        fs::hard_link(&t, &tmp).map_err(io_err(&tmp))?;
        fs::rename(&tmp, &p).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_err(&p)(e)
        })
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
        let d = Dest::new(&t.path().join("d")).unwrap();
        d.symlink("a/l", "../b").unwrap();
        let e = d.file("a/l/x", 0o644, 0, 1, &mut &b"x"[..]).unwrap_err();
        assert!(matches!(e, DestError::NotDir(_)), "{e}");
        assert!(!t.path().join("d/b/x").exists());
        let e = d.file("a/f", 0o644, 0, 3, &mut &b"xy"[..]).unwrap_err();
        assert!(matches!(e, DestError::Size { got: 2, want: 3 }), "{e}");
        assert!(!t.path().join("d/a/f").exists());
        assert_eq!(fs::read_dir(t.path().join("d/a")).unwrap().count(), 1);
    }
}
