// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Publishing the installer's outputs: a run's files all at once, the
//! manifest last, the previous run's outputs gone.
//!
//! [`super::di_kernel`] makes every output in a staging directory inside
//! the output directory ([`Staging`]) and checks it; only then does
//! [`publish`] run, holding the output directory's lock ([`DirLock`], so
//! that concurrent calls into one directory publish one after the other):
//!
//! 1. It checks that no name it will write is a directory (something in
//!    the way is an error before anything changes).
//! 2. It writes the journal `.osstest-di-kernel-publishing`: every name
//!    the output directory may hold until step 6: the previous run's
//!    outputs (the files `manifest.json` names under `outputs`, and any a
//!    journal of an interrupted publish names) and the new ones.
//! 3. It removes `manifest.json`: from here on nothing in the directory
//!    counts as an output.
//! 4. It renames the new files into place, each replacing the old one of
//!    its name.
//! 5. It removes the previous outputs the new run does not have (an old
//!    `vmlinuz-VERSION`, a `dtbs.tar.gz`, a `modules.cpio.xz`).
//! 6. It renames the new `manifest.json` into place, then removes the
//!    journal.
//!
//! What readers can rely on: **the output directory holds a complete
//! output exactly when `manifest.json` is there**, and then every file its
//! `outputs` name is of the run it describes, complete (its size and
//! sha256 are in the manifest), with no other run's output beside it. A
//! failure before step 3 leaves the previous output as it was; a failure
//! after it leaves no manifest, and the next run removes whatever the
//! journal names. A reader that may run while a `di_kernel` publishes into
//! the same directory holds a shared `flock` on the directory while it
//! reads (or checks the sha256s).
//!
//! Only plain names (no `/`, not `.` or `..`) found in an old manifest or
//! journal are ever removed, and only if they are not directories, so a
//! forged one cannot make a run remove anything outside the directory.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::format::output::{io_err, DirLock, Output, OutputError, Staging};

/// The file that lists the names a publish in progress may leave.
pub(super) const JOURNAL: &str = ".osstest-di-kernel-publishing";

/// The manifest's name.
pub(super) const MANIFEST: &str = "manifest.json";

/// Whether `name` is a plain file name, which publishing may remove.
fn plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// The output names an old manifest lists (none if it is missing or
/// unreadable).
fn manifest_names(path: &Path) -> Vec<String> {
    let Ok(text) = fs::read(path) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let Some(outputs) = v.get("outputs").and_then(|o| o.as_object()) else {
        return Vec::new();
    };
    outputs
        .values()
        .filter_map(|o| o.get("file")?.as_str().map(str::to_owned))
        .collect()
}

/// The names a journal lists, one a line.
fn journal_names(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Removes `dir/name` unless it is missing or a directory.
fn remove_old(dir: &Path, name: &str) -> Result<(), OutputError> {
    let p = dir.join(name);
    match p.symlink_metadata() {
        Ok(m) if !m.is_dir() => {
            fs::remove_file(&p).map_err(io_err(&p, "removing the previous output"))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(&p, "looking at the previous output")(e)),
    }
}

/// Publishes the files `names` and then `manifest.json` from `staging`
/// into its destination (see the module docs).
pub(super) fn publish(staging: Staging, names: &[String]) -> Result<(), OutputError> {
    let dir = staging.dest().to_owned();
    let _lock = DirLock::take(&dir)?;
    let new: BTreeSet<&str> = names.iter().map(String::as_str).chain([MANIFEST]).collect();
    for n in &new {
        let p = dir.join(n);
        if p.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            return Err(OutputError::InTheWay {
                path: p,
                problem: "is a directory, where an output goes",
            });
        }
    }
    let journal = dir.join(JOURNAL);
    let mut old: BTreeSet<String> = manifest_names(&dir.join(MANIFEST))
        .into_iter()
        .chain(journal_names(&journal))
        .filter(|n| plain(n) && n != JOURNAL)
        .collect();
    old.insert(MANIFEST.to_owned());

    let mut j = Output::create(&journal)?;
    for n in old.iter().map(String::as_str).chain(new.iter().copied()) {
        writeln!(j, "{n}").map_err(io_err(&journal, "writing"))?;
    }
    j.commit()?;

    remove_old(&dir, MANIFEST)?;
    for n in names {
        let to = dir.join(n);
        fs::rename(staging.path().join(n), &to).map_err(io_err(&to, "renaming into place"))?;
    }
    for n in old.iter().filter(|n| !new.contains(n.as_str())) {
        remove_old(&dir, n)?;
    }
    let to = dir.join(MANIFEST);
    fs::rename(staging.path().join(MANIFEST), &to).map_err(io_err(&to, "renaming into place"))?;
    fs::remove_file(&journal).map_err(io_err(&journal, "removing"))?;
    fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(&dir, "syncing"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A staging directory in `dir` holding `files` and a manifest naming
    /// them.
    fn staged(dir: &Path, files: &[&str], tag: &str) -> Staging {
        let s = Staging::new(dir, "di-kernel").unwrap();
        let mut outputs = serde_json::Map::new();
        for f in files {
            fs::write(s.path().join(f), tag).unwrap();
            outputs.insert(f.to_string(), serde_json::json!({ "file": f }));
        }
        let m = serde_json::json!({ "run": tag, "outputs": outputs });
        fs::write(s.path().join(MANIFEST), m.to_string()).unwrap();
        s
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_run_replaces_the_previous_one_whole() {
        let t = tempfile::tempdir().unwrap();
        let d: PathBuf = t.path().join("out");
        let one = ["vmlinuz-1", "initrd.gz", "dtbs.tar.gz", "modules.cpio.gz"];
        publish(staged(&d, &one, "one"), &owned(&one)).unwrap();
        assert_eq!(
            names(&d),
            [
                "dtbs.tar.gz",
                "initrd.gz",
                "manifest.json",
                "modules.cpio.gz",
                "vmlinuz-1"
            ]
        );
        fs::write(d.join("unrelated"), b"kept").unwrap();
        let two = ["vmlinuz-2", "initrd.gz", "modules.cpio.xz"];
        publish(staged(&d, &two, "two"), &owned(&two)).unwrap();
        assert_eq!(
            names(&d),
            [
                "initrd.gz",
                "manifest.json",
                "modules.cpio.xz",
                "unrelated",
                "vmlinuz-2"
            ]
        );
        assert_eq!(fs::read_to_string(d.join("initrd.gz")).unwrap(), "two");
        assert!(fs::read_to_string(d.join(MANIFEST))
            .unwrap()
            .contains("\"two\""));
    }

    #[test]
    fn an_interrupted_publish_is_cleaned_up_by_the_next() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        fs::create_dir(&d).unwrap();
        // A publish that stopped after step 4: no manifest, its files and
        // the journal left.
        fs::write(d.join("vmlinuz-0"), b"old").unwrap();
        fs::write(d.join("dtbs.tar.gz"), b"old").unwrap();
        fs::write(d.join("precious"), b"mine").unwrap();
        fs::create_dir(d.join("adir")).unwrap();
        fs::write(
            d.join(JOURNAL),
            "vmlinuz-0\ndtbs.tar.gz\n../../victim\n/etc/passwd\nadir\n\n",
        )
        .unwrap();
        fs::write(t.path().join("victim"), b"safe").unwrap();
        let two = ["vmlinuz-2", "initrd.gz"];
        publish(staged(&d, &two, "two"), &owned(&two)).unwrap();
        assert_eq!(
            names(&d),
            [
                "adir",
                "initrd.gz",
                "manifest.json",
                "precious",
                "vmlinuz-2"
            ]
        );
        assert_eq!(fs::read(t.path().join("victim")).unwrap(), b"safe");
    }

    #[test]
    fn something_in_the_way_changes_nothing() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        let one = ["vmlinuz-1", "initrd.gz"];
        publish(staged(&d, &one, "one"), &owned(&one)).unwrap();
        fs::create_dir(d.join("modules.cpio.gz")).unwrap();
        let two = ["vmlinuz-2", "initrd.gz", "modules.cpio.gz"];
        let e = publish(staged(&d, &two, "two"), &owned(&two)).unwrap_err();
        assert!(
            e.to_string().contains("modules.cpio.gz: is a directory"),
            "{e}"
        );
        assert_eq!(
            names(&d),
            ["initrd.gz", "manifest.json", "modules.cpio.gz", "vmlinuz-1"]
        );
        assert_eq!(fs::read_to_string(d.join("initrd.gz")).unwrap(), "one");
    }
}
