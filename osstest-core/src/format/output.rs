// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Writing outputs: the one way the crate creates files, and publishes a
//! call's outputs.
//!
//! Every file a function of the crate writes, wherever it writes it,
//! follows these rules; they are why a hostile archive, a symbolic link
//! planted in the destination, two calls into one destination or a full
//! file system never leave a wrong, mixed or half-written output.
//!
//! - **Exclusive, unguessable, inside.** [`Output::create`] creates the
//!   file in the directory it is for, under a temporary name nobody can
//!   guess (`.NAME.XXXXXX`, random characters chosen by `tempfile`), with
//!   `O_CREAT | O_EXCL`: never through a symbolic link (`O_EXCL` refuses
//!   one at the last component, and a random name cannot be planted
//!   beforehand), never over anything already there. Links are made the
//!   same way ([`symlink`], [`hard_link`]).
//! - **Whole or not at all.** [`Output::commit`] gives the file its final
//!   name with one `rename(2)`, once it is complete and on disk; until
//!   then, and whatever fails, the final name keeps what it had. An
//!   [`Output`] dropped uncommitted removes its temporary file.
//! - **One publish step per call.** A call that writes several files
//!   stages them in a [`Staging`] directory inside the destination (mode
//!   0700, an unguessable name), checks everything, and only then
//!   publishes, holding the destination's [`DirLock`] so that concurrent
//!   calls into one destination publish one after the other, each output
//!   whole: [`Staging::merge_into`] moves a staged tree into the
//!   destination (`kernel_unpick`); the installer publishes its set of
//!   files with a manifest, last (see [`crate::installer`]).
//! - **Errors name the right file.** Writing errors are [`OutputError`]s
//!   naming the output's final name and what was being done (`OUT:
//!   writing: No space left on device`), never a temporary name that no
//!   longer exists, and [`copy`] tells a failing read of the input from a
//!   failing write of the output.
//! - **A destination is named, and is not the source.** [`destination`]
//!   refuses an empty path (which the file system would take as the
//!   current directory); [`refuse_inside`] refuses a destination inside
//!   the tree being read, which would otherwise read back its own output.
//! - **No recursion.** Trees are walked with explicit stacks (`walkdir`,
//!   and [`remove_tree`] rather than `std::fs::remove_dir_all`, which
//!   recurses and holds a descriptor per level), so a 2,000-level tree
//!   needs no more stack than a flat one.
//!
//! A process killed outright (`kill -9`) can leave a temporary file or a
//! staging directory behind; both are hidden (a leading `.`) and never
//! bear a name an output has.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// The buffer [`copy`] moves data with.
const COPY_BUFFER: usize = 256 * 1024;

/// The longest part of an output's name its temporary name repeats (the
/// whole must stay under `NAME_MAX`, 255 bytes).
const TEMP_NAME_KEEP: usize = 64;

/// Why an output could not be written, naming it.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A system call on the output failed.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The output (its final name), or the directory it goes into.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: io::Error,
    },
    /// An empty path was given as a destination.
    #[error("the destination is an empty path (which would be the current directory): name it, '.' for the current directory")]
    EmptyPath,
    /// The destination would be read as part of the source.
    #[error("{dest}: the destination is inside the source {source_dir}, which would read back its own output: write it elsewhere")]
    InsideSource {
        /// The destination.
        dest: PathBuf,
        /// The source directory.
        source_dir: PathBuf,
    },
    /// Something in the destination is in the way.
    #[error("{path}: {problem}")]
    InTheWay {
        /// What is in the way.
        path: PathBuf,
        /// Why.
        problem: &'static str,
    },
}

/// An [`OutputError`] for `path`, for `map_err`.
pub fn io_err(path: &Path, what: &'static str) -> impl FnOnce(io::Error) -> OutputError {
    let path = path.to_owned();
    move |source| OutputError::Io { path, what, source }
}

/// Refuses an empty destination path; returns it otherwise.
pub fn destination(path: &Path) -> Result<&Path, OutputError> {
    if path.as_os_str().is_empty() {
        return Err(OutputError::EmptyPath);
    }
    Ok(path)
}

/// The directory an output file goes into and its name.
fn split(path: &Path) -> Result<(&Path, &str), OutputError> {
    destination(path)?;
    let name = match path.components().next_back() {
        Some(Component::Normal(n)) => n.to_str().unwrap_or("output"),
        _ => {
            return Err(OutputError::InTheWay {
                path: path.to_owned(),
                problem: "names a directory, not a file to write",
            })
        }
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

/// `.NAME.`, shortened so that the temporary name fits.
fn temp_prefix(name: &str) -> String {
    let mut end = name.len().min(TEMP_NAME_KEEP);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(".{}.", &name[..end])
}

/// A file being written: see the module docs.
pub struct Output {
    temp: tempfile::NamedTempFile,
    /// The name [`Output::commit`] gives it.
    target: PathBuf,
    /// The name errors and reports give it: `target`, or for a staged
    /// output the name it will have once published.
    shown: PathBuf,
}

impl Output {
    /// Creates the temporary file for the output `path`, exclusively, in
    /// `path`'s directory (which must exist). Its mode is 0600 until
    /// [`Output::set_mode`].
    pub fn create(path: &Path) -> Result<Output, OutputError> {
        Output::create_shown(path, path)
    }

    /// Like [`Output::create`], but errors name the output `shown`.
    fn create_shown(path: &Path, shown: &Path) -> Result<Output, OutputError> {
        let (dir, name) = split(path)?;
        // The rename would replace a device node or a FIFO (as root,
        // /dev/null itself), not write into it.
        if let Ok(m) = path.symlink_metadata() {
            let t = m.file_type();
            if !(t.is_file() || t.is_symlink() || t.is_dir()) {
                return Err(OutputError::InTheWay {
                    path: shown.to_owned(),
                    problem: "is a device, FIFO or socket, not a file: refusing to replace it",
                });
            }
        }
        let temp = tempfile::Builder::new()
            .prefix(&temp_prefix(name))
            .tempfile_in(dir)
            .map_err(io_err(shown, "creating a temporary file in its directory"))?;
        Ok(Output {
            temp,
            target: path.to_owned(),
            shown: shown.to_owned(),
        })
    }

    /// The output's name: its final name, or for a staged output the
    /// name it will have once published.
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// The temporary file's name, for reading back what was written.
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// The file, to write to.
    pub fn as_file(&self) -> &File {
        self.temp.as_file()
    }

    /// An error writing this output, for `map_err`.
    pub fn err(&self, what: &'static str) -> impl FnOnce(io::Error) -> OutputError {
        io_err(&self.shown, what)
    }

    /// Renames the output, before it is committed, to `name` in the same
    /// directory (a plain file name: no `/`, not `.` or `..`): for an
    /// output whose name is known only once it is written.
    pub fn rename_target(&mut self, name: &str) -> Result<(), OutputError> {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
            return Err(io_err(&self.shown, "renaming")(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not a plain file name"),
            )));
        }
        self.target.set_file_name(name);
        self.shown.set_file_name(name);
        Ok(())
    }

    /// Sets the file's permission bits (the temporary file starts 0600).
    pub fn set_mode(&self, mode: u32) -> Result<(), OutputError> {
        self.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(self.err("setting its permissions"))
    }

    /// Flushes the file to disk and renames it over its final name.
    pub fn commit(self) -> Result<PathBuf, OutputError> {
        self.as_file().sync_all().map_err(self.err("syncing"))?;
        self.commit_unsynced()
    }

    /// Renames the file over its final name without flushing it first: for
    /// the thousands of files of a staged tree, which a crash leaves
    /// unpublished anyway.
    pub fn commit_unsynced(self) -> Result<PathBuf, OutputError> {
        let Output {
            temp,
            target,
            shown,
        } = self;
        temp.persist(&target)
            .map_err(|e| io_err(&shown, "renaming into place")(e.error))?;
        Ok(target)
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

impl Write for &Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.as_file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.as_file().flush()
    }
}

/// Makes a link at `path` with `make` (at an unguessable temporary name
/// beside it) and renames it over `path`.
fn link_at(
    path: &Path,
    what: &'static str,
    make: impl Fn(&Path) -> io::Result<()>,
) -> Result<(), OutputError> {
    let (dir, name) = split(path)?;
    let temp = tempfile::Builder::new()
        .prefix(&temp_prefix(name))
        .make_in(dir, |p| make(p))
        .map_err(io_err(path, what))?;
    temp.persist(path)
        .map_err(|e| io_err(path, "renaming into place")(e.error))?;
    Ok(())
}

/// Creates (or replaces) `path` as a symbolic link to `target`.
pub fn symlink(target: &str, path: &Path) -> Result<(), OutputError> {
    link_at(path, "creating a symbolic link", |p| {
        std::os::unix::fs::symlink(target, p)
    })
}

/// Creates (or replaces) `path` as a hard link to the file `original`.
pub fn hard_link(original: &Path, path: &Path) -> Result<(), OutputError> {
    link_at(path, "creating a hard link", |p| fs::hard_link(original, p))
}

/// Why [`copy`] stopped.
#[derive(Debug)]
pub enum CopyError {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing the output failed.
    Write(io::Error),
}

/// Copies `from` to `to` to the end of `from`, telling a failing read
/// from a failing write (`io::copy` does not), so that each is blamed on
/// the right file. Returns the bytes copied.
pub fn copy(from: &mut dyn Read, to: &mut dyn Write) -> Result<u64, CopyError> {
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        to.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
    }
}

/// A reader that remembers whether it failed, so that an error from
/// something pulling from it into an output (a tar builder, say) can be
/// blamed on the right side.
pub struct Watched<R> {
    inner: R,
    failed: bool,
}

impl<R: Read> Watched<R> {
    /// Watches `inner`.
    pub fn new(inner: R) -> Watched<R> {
        Watched {
            inner,
            failed: false,
        }
    }

    /// Whether a read failed.
    pub fn failed(&self) -> bool {
        self.failed
    }
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed = true;
            }
        })
    }
}

/// The absolute, symbolic-link-free form of `path`, which need not exist
/// yet: its longest existing ancestor canonicalised, the rest appended.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let abs = std::path::absolute(path)?;
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut c) => {
                c.extend(rest.iter().rev());
                return Ok(c);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let Some(parent) = existing.parent() else {
                    return Err(e);
                };
                if let Some(n) = existing.file_name() {
                    rest.push(n.to_owned());
                }
                existing = parent;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Refuses a destination `dest` (a file or a directory, existing or not)
/// that is the directory `source_dir` or inside it. A `source_dir` that
/// is not a directory holds nothing, and is accepted.
pub fn refuse_inside(source_dir: &Path, dest: &Path) -> Result<(), OutputError> {
    if !source_dir.is_dir() {
        return Ok(());
    }
    let src = resolve(source_dir).map_err(io_err(source_dir, "resolving its path"))?;
    let dst = resolve(dest).map_err(io_err(dest, "resolving its path"))?;
    if dst.starts_with(&src) {
        return Err(OutputError::InsideSource {
            dest: dest.to_owned(),
            source_dir: source_dir.to_owned(),
        });
    }
    Ok(())
}

/// Removes the tree at `path` (a directory or not), deepest entries
/// first, without recursion; symbolic links are removed, not followed.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let mut first_error = None;
    for entry in walkdir::WalkDir::new(path).contents_first(true) {
        let result = match entry {
            Ok(e) if e.file_type().is_dir() => fs::remove_dir(e.path()),
            Ok(e) => fs::remove_file(e.path()),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) if path.symlink_metadata().is_ok() => Err(e),
        _ => Ok(()),
    }
}

/// An exclusive lock on a directory (`flock(2)` on the directory itself),
/// held until dropped: the publish steps of concurrent calls into one
/// destination, in this process or another, take it and so run one after
/// the other.
pub struct DirLock {
    _dir: File,
}

impl DirLock {
    /// Waits for and takes the lock on `dir`.
    pub fn take(dir: &Path) -> Result<DirLock, OutputError> {
        let f = File::open(dir).map_err(io_err(dir, "opening to lock it"))?;
        rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| io_err(dir, "locking")(e.into()))?;
        Ok(DirLock { _dir: f })
    }
}

/// A directory for outputs in progress, inside their destination (so that
/// publishing them is a rename on one file system); private to the call
/// (mode 0700, an unguessable name), removed with all it still holds
/// when dropped.
pub struct Staging {
    path: PathBuf,
    dest: PathBuf,
}

impl Staging {
    /// Creates `dest` if missing (and its parents), then the staging
    /// directory inside it, named `.osstest-WHAT-XXXXXX`.
    pub fn new(dest: &Path, what: &str) -> Result<Staging, OutputError> {
        destination(dest)?;
        fs::create_dir_all(dest).map_err(io_err(dest, "creating the directory"))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!(".osstest-{what}-"))
            .tempdir_in(dest)
            .map_err(io_err(dest, "creating a staging directory in it"))?;
        Ok(Staging {
            path: dir.keep(),
            dest: dest.to_owned(),
        })
    }

    /// The staging directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Creates the output `rel` (a relative path, whose directory must
    /// exist in the staging directory); errors name it as it will be once
    /// published, `DEST/REL`.
    pub fn output(&self, rel: &str) -> Result<Output, OutputError> {
        Output::create_shown(&self.path.join(rel), &self.dest.join(rel))
    }

    /// Publishes the staged tree: under the destination's lock, moves each
    /// staged entry to the same place in the destination. An entry whose
    /// place is free moves with one rename, a whole directory at once; a
    /// staged directory whose place is a directory is merged into it; a
    /// file or link replaces a file or link. Everything is checked before
    /// anything moves: a directory on the way that is a symbolic link or
    /// not a directory, or a directory where a file goes, is an error and
    /// publishes nothing.
    pub fn merge_into(self) -> Result<(), OutputError> {
        let _lock = DirLock::take(&self.dest)?;
        self.merge(false)?;
        self.merge(true)
    }

    /// Walks the staged tree against the destination; moves entries if
    /// `apply`, else only checks that they can be moved.
    fn merge(&self, apply: bool) -> Result<(), OutputError> {
        let mut dirs = vec![PathBuf::new()];
        while let Some(rel) = dirs.pop() {
            let from_dir = self.path.join(&rel);
            let mut names = fs::read_dir(&from_dir)
                .and_then(|d| {
                    d.map(|e| e.map(|e| e.file_name()))
                        .collect::<io::Result<Vec<_>>>()
                })
                .map_err(io_err(&from_dir, "reading the staged tree"))?;
            names.sort();
            for name in names {
                let rel = rel.join(&name);
                let from = self.path.join(&rel);
                let to = self.dest.join(&rel);
                let staged_dir = from
                    .symlink_metadata()
                    .map_err(io_err(&from, "reading the staged tree"))?
                    .is_dir();
                let there = match to.symlink_metadata() {
                    Ok(m) => Some(m.is_dir()),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => return Err(io_err(&to, "looking at what is there")(e)),
                };
                match (staged_dir, there) {
                    (true, Some(true)) => dirs.push(rel),
                    (true, Some(false)) => return Err(OutputError::InTheWay {
                        path: to,
                        problem:
                            "is a symbolic link or not a directory: refusing to write through it",
                    }),
                    (false, Some(true)) => {
                        return Err(OutputError::InTheWay {
                            path: to,
                            problem: "is a directory, where the output has a file",
                        })
                    }
                    _ if apply => {
                        fs::rename(&from, &to).map_err(io_err(&to, "renaming into place"))?
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = remove_tree(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink as plant;

    #[test]
    fn outputs_are_whole_or_absent() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("out");
        fs::write(&p, b"old").unwrap();
        let mut o = Output::create(&p).unwrap();
        o.write_all(b"new").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"old", "not yet");
        let temp = o.temp_path().to_owned();
        drop(o);
        assert!(!temp.exists(), "a dropped output leaves nothing");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        let mut o = Output::create(&p).unwrap();
        o.write_all(b"new").unwrap();
        o.set_mode(0o644).unwrap();
        o.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(p.metadata().unwrap().permissions().mode() & 0o777, 0o644);
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let victim = t.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let p = t.path().join("out");
        plant(&victim, &p).unwrap();
        let mut o = Output::create(&p).unwrap();
        o.write_all(b"output").unwrap();
        o.commit().unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!p.symlink_metadata().unwrap().file_type().is_symlink());
        symlink("victim", &p).unwrap();
        assert_eq!(fs::read_link(&p).unwrap(), Path::new("victim"));
        hard_link(&victim, &t.path().join("h")).unwrap();
        assert_eq!(fs::read(t.path().join("h")).unwrap(), b"precious");
    }

    #[test]
    fn temporary_names_are_not_guessable_and_fit() {
        let t = tempfile::tempdir().unwrap();
        let long = "x".repeat(250);
        let a = Output::create(&t.path().join(&long)).unwrap();
        let b = Output::create(&t.path().join(&long)).unwrap();
        assert_ne!(a.temp_path(), b.temp_path());
        assert!(a.temp_path().file_name().unwrap().len() < 100);
        a.commit().unwrap();
        assert!(t.path().join(&long).is_file());
    }

    #[test]
    fn empty_and_directory_destinations_are_refused() {
        assert!(matches!(
            Output::create(Path::new("")),
            Err(OutputError::EmptyPath)
        ));
        assert!(matches!(
            Staging::new(Path::new(""), "x"),
            Err(OutputError::EmptyPath)
        ));
        let e = Output::create(Path::new("/tmp/..")).err().unwrap();
        assert!(e.to_string().contains("names a directory"), "{e}");
        let e = Output::create(Path::new("/dev/null")).err().unwrap();
        assert!(e.to_string().contains("refusing to replace it"), "{e}");
    }

    #[test]
    fn copy_blames_the_side_that_failed() {
        let mut full = File::options().write(true).open("/dev/full").unwrap();
        match copy(&mut &b"data"[..], &mut full) {
            Err(CopyError::Write(e)) => assert_eq!(e.raw_os_error(), Some(28)),
            other => panic!("{other:?}"),
        }
        let mut dir = File::open("/").unwrap();
        assert!(matches!(
            copy(&mut dir, &mut io::sink()),
            Err(CopyError::Read(_))
        ));
    }

    #[test]
    fn inside_the_source_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        plant(&src, t.path().join("alias")).unwrap();
        for inside in ["src", "src/sub", "src/new/deeper", "alias/new"] {
            let e = refuse_inside(&src, &t.path().join(inside)).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(inside) && msg.contains("src"), "{msg}");
        }
        refuse_inside(&src, &t.path().join("out")).unwrap();
        refuse_inside(&src, &t.path().join("srcx")).unwrap();
        refuse_inside(&t.path().join("file"), &t.path().join("file/x")).unwrap();
    }

    /// A tree `depth` levels deep under `root`, made without long paths.
    fn deep_tree(root: &Path, depth: usize) -> PathBuf {
        let mut p = root.to_owned();
        for _ in 0..depth {
            p.push("a");
        }
        fs::create_dir_all(&p).unwrap();
        fs::write(p.join("f"), b"x").unwrap();
        p
    }

    #[test]
    fn deep_trees_are_removed_on_a_small_stack() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("d");
        deep_tree(&root, 300);
        let r = root.clone();
        std::thread::Builder::new()
            .stack_size(32 << 10)
            .spawn(move || remove_tree(&r).unwrap())
            .unwrap()
            .join()
            .unwrap();
        assert!(!root.exists());
    }

    #[test]
    fn staged_trees_merge_and_refuse_what_is_in_the_way() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("dest");
        fs::create_dir_all(dest.join("keep")).unwrap();
        fs::write(dest.join("keep/old"), b"old").unwrap();
        fs::write(dest.join("replaced"), b"old").unwrap();
        let s = Staging::new(&dest, "test").unwrap();
        fs::create_dir_all(s.path().join("keep/new")).unwrap();
        fs::write(s.path().join("keep/new/f"), b"new").unwrap();
        fs::write(s.path().join("replaced"), b"new").unwrap();
        fs::create_dir(s.path().join("fresh")).unwrap();
        let staged = s.path().to_owned();
        s.merge_into().unwrap();
        assert!(!staged.exists(), "the staging directory goes");
        assert_eq!(fs::read(dest.join("keep/old")).unwrap(), b"old");
        assert_eq!(fs::read(dest.join("keep/new/f")).unwrap(), b"new");
        assert_eq!(fs::read(dest.join("replaced")).unwrap(), b"new");
        assert!(dest.join("fresh").is_dir());

        // A link where a directory goes: nothing moves, nothing is written
        // through it.
        fs::create_dir(t.path().join("elsewhere")).unwrap();
        plant(t.path().join("elsewhere"), dest.join("lib")).unwrap();
        let s = Staging::new(&dest, "test").unwrap();
        fs::write(s.path().join("first"), b"x").unwrap();
        fs::create_dir(s.path().join("lib")).unwrap();
        fs::write(s.path().join("lib/f"), b"x").unwrap();
        let e = s.merge_into().unwrap_err();
        assert!(
            e.to_string().contains("refusing to write through it"),
            "{e}"
        );
        assert!(
            !dest.join("first").exists(),
            "checked before anything moved"
        );
        assert_eq!(fs::read_dir(t.path().join("elsewhere")).unwrap().count(), 0);
        let left: Vec<_> = fs::read_dir(&dest)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
