// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The runvar listings osstest prints, read and written.
//!
//! Three forms, as osstest's scripts print them:
//!
//! - `mg-show-flight-runvars FLIGHT`: one runvar a line, `job runvar value`,
//!   each column padded with spaces to its widest entry, sorted by runvar
//!   name and then job. Only the runvars flight construction set are
//!   listed, not the synthetic ones a job records as it runs.
//! - `mg-show-flight-runvars -a FLIGHT`: the synthetic runvars too, each
//!   name followed by `~` (`kernel_ver~`, `path_kerndist~`, `host~`,
//!   `built_revision_xen~`). The `~` is osstest's `runvars.synth` column,
//!   not part of the name: it is read into [`Job::synth`](super::Job) and
//!   written back. A listing with no `~` at all reads the same either way,
//!   and is reported as the first form.
//! - `standalone-generate-dump-flight-runvars`: the `-a` listing of each
//!   branch's standalone flight, every line prefixed with the branch
//!   (padded to 26 columns): `branch job runvar value`. One flight per
//!   branch.
//!
//! ```text
//! build-armhf-pvops  arch            armhf
//! build-armhf        arch            armhf
//! build-armhf-pvops  host_hostflags  share-build-bookworm-armhf,arch-armhf,...
//! build-armhf-pvops  kernel_ver~     6.1.119+
//! ```
//!
//! [`read_listing`] takes any of them and says which it read; [`read`]
//! takes one flight; [`write`](fn@write) prints a flight as
//! `mg-show-flight-runvars -a` would, so `diff -b` of two listings works
//! as with osstest's own. Two things osstest keeps in its `jobs` table
//! rather than as runvars may travel in the same lines, as the
//! pseudo-runvars `recipe` and `status` (no osstest runvar has either
//! name; osstest's own listings have neither, so a job read from them has
//! no status). Blank lines and lines starting with `#` are ignored.
//!
//! **Telling the forms apart.** A runvar name is what `cs-job-create`
//! accepts, letters, digits and `_` (and `~` after it in the `-a` form);
//! job names have a `-` (`build-amd64`, `test-armhf-armhf-xl`). A listing
//! is a dump when, on its first line and on most of its lines, the second
//! column is not a runvar name and the third is; otherwise it is an
//! `mg-show-flight-runvars` listing.
//!
//! A value is the rest of the line after the runvar column, without its
//! trailing spaces (osstest pads the value column too): values with
//! leading or trailing spaces, or with a newline, do not survive the format
//! (JSON keeps them), so [`write`](fn@write) refuses them rather than print
//! a listing that reads back as another flight (a newline in a value could
//! inject a job).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{Flight, FlightError, Job};

/// The pseudo-runvar carrying a job's recipe.
pub const RECIPE: &str = "recipe";
/// The pseudo-runvar carrying a job's status.
pub const STATUS: &str = "status";
/// What `mg-show-flight-runvars -a` appends to a synthetic runvar's name.
pub const SYNTH_MARK: char = '~';

/// Which listing a text is (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Form {
    /// `mg-show-flight-runvars`: `job runvar value`, no synthetic runvars
    /// marked.
    #[serde(rename = "mg-show-flight-runvars")]
    Runvars,
    /// `mg-show-flight-runvars -a`: synthetic runvars marked with `~`.
    #[serde(rename = "mg-show-flight-runvars -a")]
    RunvarsAll,
    /// `standalone-generate-dump-flight-runvars`: `branch job runvar value`.
    #[serde(rename = "standalone-generate-dump-flight-runvars")]
    Dump,
}

impl Form {
    /// The command that prints this form, as [`Form`] serializes.
    pub fn command(self) -> &'static str {
        match self {
            Form::Runvars => "mg-show-flight-runvars",
            Form::RunvarsAll => "mg-show-flight-runvars -a",
            Form::Dump => "standalone-generate-dump-flight-runvars",
        }
    }
}

/// A listing read: its form and its flight, or its flights by branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// Which listing it was.
    pub form: Form,
    /// The flight, for the `mg-show-flight-runvars` forms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Flight>,
    /// The flights by branch, for a dump.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branches: Option<BTreeMap<String, Flight>>,
}

/// Parses a listing of any form; `file` names the input in error messages.
///
/// A line with too few columns, or a runvar column that is not a runvar
/// name, is an error, as is a runvar (marked or not), recipe or status given
/// twice for one job, or a listing with no lines.
pub fn read_listing(text: &str, file: &str) -> Result<Listing, FlightError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !(l.trim().is_empty() || l.trim_start().starts_with('#')))
        .map(|(i, l)| (i + 1, l.trim_end()))
        .collect();
    let err = |line: usize, message: String| FlightError::Plain {
        file: file.to_owned(),
        line,
        message,
    };
    let Some((_, first)) = lines.first() else {
        return Err(err(
            text.lines().count().max(1),
            "no jobs in the listing".to_owned(),
        ));
    };
    let is_name = |line: &str, i: usize| {
        split(line, 3)
            .0
            .get(i)
            .is_some_and(|n| runvar_name(n).is_some())
    };
    let dump_like = |l: &str| !is_name(l, 1) && is_name(l, 2);
    let dump =
        dump_like(first) && 2 * lines.iter().filter(|(_, l)| dump_like(l)).count() > lines.len();
    let (skip, shape) = match dump {
        true => (1, "'branch job runvar value'"),
        false => (0, "'job runvar value'"),
    };
    let mut flights: BTreeMap<String, Flight> = BTreeMap::new();
    let mut marked = false;
    for (n, line) in &lines {
        let (cols, value) = split(line, skip + 2);
        let [branch @ .., job, name] = cols.as_slice() else {
            return Err(err(*n, format!("expected {shape}, got {:?}", line.trim())));
        };
        if branch.len() != skip {
            return Err(err(*n, format!("expected {shape}, got {:?}", line.trim())));
        }
        let (name, synth) = runvar_name(name).ok_or_else(|| {
            err(
                *n,
                format!(
                    "job {job}: {name:?} is not a runvar name (letters, digits and _, \
                     '~' after it for a synthetic one); expected {shape}"
                ),
            )
        })?;
        marked |= synth;
        let entry = flights
            .entry(branch.first().copied().unwrap_or("").to_owned())
            .or_default()
            .jobs
            .entry((*job).to_owned())
            .or_default();
        add(entry, name, synth, value).map_err(|m| err(*n, format!("job {job}: {m}")))?;
    }
    Ok(match dump {
        true => Listing {
            form: Form::Dump,
            jobs: None,
            branches: Some(flights),
        },
        false => Listing {
            form: if marked {
                Form::RunvarsAll
            } else {
                Form::Runvars
            },
            jobs: flights.remove(""),
            branches: None,
        },
    })
}

/// Parses a listing holding one flight (an `mg-show-flight-runvars`
/// listing, with or without `-a`); a dump is an error naming its branches.
pub fn read(text: &str, file: &str) -> Result<Flight, FlightError> {
    let listing = read_listing(text, file)?;
    match (listing.jobs, listing.branches) {
        (Some(jobs), _) => Ok(jobs),
        (None, branches) => Err(FlightError::Plain {
            file: file.to_owned(),
            line: 1,
            message: format!(
                "a {} listing of the branches {}, not one flight",
                Form::Dump.command(),
                branches
                    .unwrap_or_default()
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// Adds one line's runvar (or recipe, or status) to `job`.
fn add(job: &mut Job, name: &str, synth: bool, value: &str) -> Result<(), String> {
    let slot = match name {
        RECIPE if !synth => &mut job.recipe,
        STATUS if !synth => &mut job.status,
        _ => {
            if job.runvars.contains_key(name) {
                return Err(format!("runvar {name} given twice"));
            }
            job.runvars.insert(name.to_owned(), value.to_owned());
            if synth {
                job.synth.insert(name.to_owned());
            }
            return Ok(());
        }
    };
    if slot.is_some() {
        return Err(format!("{name} given twice"));
    }
    *slot = Some(value.to_owned());
    Ok(())
}

/// A runvar name and whether it carries the synthetic mark: letters,
/// digits and `_`, starting with a letter or `_`, then perhaps `~`.
fn runvar_name(column: &str) -> Option<(&str, bool)> {
    let (name, synth) = match column.strip_suffix(SYNTH_MARK) {
        Some(n) => (n, true),
        None => (column, false),
    };
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some((name, synth))
}

/// The first `n` whitespace-separated columns of `line` (fewer if it has
/// fewer) and the rest of it, the value, which may hold spaces.
fn split(line: &str, n: usize) -> (Vec<&str>, &str) {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() && out.len() < n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    (out, rest)
}

/// Prints a flight as `mg-show-flight-runvars -a` would: sorted by runvar
/// name then job, columns padded to their widest entry, synthetic runvars
/// marked `~`. Recipes and statuses appear as the pseudo-runvars `recipe`
/// and `status`.
///
/// What [`read`] would not give back as this flight is an error naming the
/// job and runvar: a job name that is empty, has white space or starts
/// with `#` (a comment); a runvar name that is not one (letters, digits
/// and `_`), or is `recipe` or `status` without the synthetic mark; a
/// value with a line break (which could inject a job) or leading or
/// trailing white space; a job with nothing to print; no jobs at all.
pub fn write(flight: &Flight) -> Result<String, FlightError> {
    if flight.jobs.is_empty() {
        return Err(FlightError::Unwritable("the flight has no jobs".into()));
    }
    let mut rows: Vec<(&str, &str, String, &str)> = Vec::new();
    for (job, j) in &flight.jobs {
        check_job(job, j)?;
        if let Some(r) = &j.recipe {
            rows.push((job, RECIPE, RECIPE.to_owned(), r));
        }
        if let Some(s) = &j.status {
            rows.push((job, STATUS, STATUS.to_owned(), s));
        }
        for (k, v) in &j.runvars {
            let shown = match j.is_synth(k) {
                true => format!("{k}{SYNTH_MARK}"),
                false => k.clone(),
            };
            rows.push((job, k, shown, v));
        }
    }
    for (job, name, _, value) in &rows {
        check_value(job, name, value)?;
    }
    rows.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    let wj = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let wn = rows.iter().map(|r| r.2.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (job, _, name, value) in rows {
        let line = format!("{job:<wj$} {name:<wn$} {value}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    Ok(out)
}

/// Refuses a job whose name or runvar names [`read`] would read otherwise.
fn check_job(job: &str, j: &Job) -> Result<(), FlightError> {
    let bad = |problem: &str| Err(FlightError::Unwritable(format!("job {job:?}: {problem}")));
    if job.is_empty() || job.contains(char::is_whitespace) {
        return bad("the job name is empty or has white space");
    }
    if job.starts_with('#') {
        return bad("the job name starts with '#'");
    }
    if j.recipe.is_none() && j.status.is_none() && j.runvars.is_empty() {
        return Err(FlightError::Unwritable(format!(
            "job {job}: the job has no recipe, status or runvars"
        )));
    }
    for name in j.runvars.keys() {
        let bad = |problem: &str| {
            Err(FlightError::Unwritable(format!(
                "job {job}: runvar {name:?}: {problem}"
            )))
        };
        if runvar_name(name) != Some((name.as_str(), false)) {
            return bad("not a runvar name (letters, digits and _)");
        }
        if (name == RECIPE || name == STATUS) && !j.is_synth(name) {
            return bad("the name is the listing's pseudo-runvar");
        }
    }
    Ok(())
}

/// Refuses a value [`read`] would read otherwise.
fn check_value(job: &str, name: &str, value: &str) -> Result<(), FlightError> {
    let problem = if value.contains(['\n', '\r']) {
        "the value has a line break"
    } else if value.trim() != value {
        "the value starts or ends with white space"
    } else {
        return Ok(());
    };
    Err(FlightError::Unwritable(format!(
        "job {job}: runvar {name}: {problem} ({value:?})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "\
# a comment, then a blank line

build-arm64-pvops   arch            arm64
build-arm64         arch            arm64
build-arm64-pvops   recipe          build-kern
build-arm64         revision_xen
build-arm64-pvops   status          pass
";

    #[test]
    fn reads_columns_recipe_status_and_empty_values() {
        let l = read_listing(LISTING, "l").unwrap();
        assert_eq!(l.form, Form::Runvars);
        let f = l.jobs.unwrap();
        let k = f.job("build-arm64-pvops").unwrap();
        assert_eq!(k.recipe.as_deref(), Some("build-kern"));
        assert_eq!(k.status.as_deref(), Some("pass"));
        assert_eq!(k.arch(), Some("arm64"));
        assert_eq!(f.job("build-arm64").unwrap().get("revision_xen"), Some(""));
    }

    #[test]
    fn write_then_read_is_identity_and_sorted_by_name() {
        let f = read(LISTING, "l").unwrap();
        let text = write(&f).unwrap();
        assert_eq!(read(&text, "w").unwrap(), f);
        let names: Vec<&str> = text
            .lines()
            .map(|l| l.split_whitespace().nth(1).unwrap())
            .collect();
        assert_eq!(names, ["arch", "arch", "recipe", "revision_xen", "status"]);
        assert!(
            text.starts_with("build-arm64       arch         arm64\n"),
            "{text}"
        );
    }

    #[test]
    fn synth_mark_is_kept_apart_from_the_name() {
        // As mg-show-flight-runvars -a prints it: every column padded,
        // the value column too.
        let text = "\
build-arm64-pvops arch        arm64   \n\
build-arm64-pvops host~       italia0 \n\
build-arm64-pvops kernel_ver~ 6.1.119+\n";
        let l = read_listing(text, "a").unwrap();
        assert_eq!(l.form, Form::RunvarsAll);
        let j = &l.jobs.as_ref().unwrap().jobs["build-arm64-pvops"];
        assert_eq!(j.get("kernel_ver"), Some("6.1.119+"));
        assert_eq!(j.get("kernel_ver~"), None);
        assert!(j.is_synth("host") && !j.is_synth("arch"));
        let again = write(l.jobs.as_ref().unwrap()).unwrap();
        assert_eq!(
            again.lines().nth(1),
            Some("build-arm64-pvops host~       italia0")
        );
        assert_eq!(read(&again, "w").unwrap(), *l.jobs.as_ref().unwrap());
        let e = read("j kernel_ver 1\nj kernel_ver~ 2\n", "d").unwrap_err();
        assert_eq!(e.to_string(), "d:2: job j: runvar kernel_ver given twice");
    }

    #[test]
    fn dump_is_a_flight_per_branch() {
        let text = "\
xen-unstable               build-arm64-pvops arch        arm64
xen-unstable-smoke         build-arm64-pvops arch        arm64
xen-unstable               build-arm64-pvops kernel_ver~ 6.1
xen-unstable-smoke         build-arm64-pvops hostalloc_maxbonus_variation 0
";
        let l = read_listing(text, "dump").unwrap();
        assert_eq!(l.form, Form::Dump);
        assert!(l.jobs.is_none());
        let b = l.branches.unwrap();
        assert_eq!(
            b.keys().collect::<Vec<_>>(),
            ["xen-unstable", "xen-unstable-smoke"]
        );
        assert!(b["xen-unstable"].jobs["build-arm64-pvops"].is_synth("kernel_ver"));
        assert_eq!(
            b["xen-unstable-smoke"].jobs["build-arm64-pvops"].get("hostalloc_maxbonus_variation"),
            Some("0")
        );
        assert_eq!(
            read(text, "dump").unwrap_err().to_string(),
            "dump:1: a standalone-generate-dump-flight-runvars listing of the branches \
             xen-unstable, xen-unstable-smoke, not one flight"
        );
        let e = read_listing("b job-a arch amd64\nb job-b arch i386\nb job-a\n", "d").unwrap_err();
        assert_eq!(
            e.to_string(),
            "d:3: expected 'branch job runvar value', got \"b job-a\""
        );
    }

    #[test]
    fn write_refuses_what_would_read_back_as_another_flight() {
        let f = read(LISTING, "l").unwrap();
        let with = |job: &str, name: &str, value: &str| {
            let mut f = f.clone();
            f.jobs
                .entry(job.to_owned())
                .or_default()
                .runvars
                .insert(name.to_owned(), value.to_owned());
            write(&f).unwrap_err().to_string()
        };
        assert_eq!(
            with(
                "build-arm64",
                "revision_xen",
                "abc\ntest-injected arch amd64"
            ),
            "job build-arm64: runvar revision_xen: the value has a line break \
             (\"abc\\ntest-injected arch amd64\"): the listing would not read back as this flight"
        );
        assert_eq!(
            with("test injected", "arch", "amd64"),
            "job \"test injected\": the job name is empty or has white space: \
             the listing would not read back as this flight"
        );
        assert_eq!(
            with("#test", "arch", "amd64"),
            "job \"#test\": the job name starts with '#': \
             the listing would not read back as this flight"
        );
        assert_eq!(
            with("build-arm64", "two words", "x"),
            "job build-arm64: runvar \"two words\": not a runvar name (letters, digits and _): \
             the listing would not read back as this flight"
        );
        assert_eq!(
            with("build-arm64", "recipe", "x"),
            "job build-arm64: runvar \"recipe\": the name is the listing's pseudo-runvar: \
             the listing would not read back as this flight"
        );
        assert_eq!(
            with("build-arm64", "revision_xen", " padded"),
            "job build-arm64: runvar revision_xen: the value starts or ends with white space \
             (\" padded\"): the listing would not read back as this flight"
        );
        let mut empty = f.clone();
        empty.jobs.insert("test-nothing".into(), Job::default());
        assert_eq!(
            write(&empty).unwrap_err().to_string(),
            "job test-nothing: the job has no recipe, status or runvars: \
             the listing would not read back as this flight"
        );
        assert_eq!(
            write(&Flight::default()).unwrap_err().to_string(),
            "the flight has no jobs: the listing would not read back as this flight"
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = read("build-amd64 arch amd64\nbuild-amd64\n", "dump.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dump.txt:2: expected 'job runvar value', got \"build-amd64\""
        );
        let e = read("j arch amd64\nj arch i386\n", "d").unwrap_err();
        assert_eq!(e.to_string(), "d:2: job j: runvar arch given twice");
        let e = read("j recipe build\nj recipe build-kern\n", "d").unwrap_err();
        assert_eq!(e.to_string(), "d:2: job j: recipe given twice");
        let e = read("# nothing\n", "empty.txt").unwrap_err();
        assert_eq!(e.to_string(), "empty.txt:1: no jobs in the listing");
        let e = read("j arch amd64\nj host-name x\n", "d").unwrap_err();
        assert_eq!(
            e.to_string(),
            "d:2: job j: \"host-name\" is not a runvar name (letters, digits and _, \
             '~' after it for a synthetic one); expected 'job runvar value'"
        );
    }
}
