// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! osstest's database: a flight from the rows of its `jobs` and `runvars`
//! tables, and the checked changes that put a rewrite back.
//!
//! osstest keeps flights in two tables (PostgreSQL in production, sqlite in
//! standalone mode; the same columns in both):
//!
//! ```text
//! jobs    (flight, job, recipe, status)
//! runvars (flight, job, name, val, synth)
//! ```
//!
//! `make-flight` (through `cs-job-create`) inserts each job with status
//! `queued` and its runvars with `synth` false; a job that runs records
//! more runvars with `synth` true and moves to `running`, then `pass`,
//! `fail`, `broken`, ... The SQL is the caller's (`Osstest::Core`'s
//! `flight_from_db` and `flight_apply_db` run it with DBI); this module is
//! the logic on either side of it:
//!
//! - [`from_rows`] makes a [`Flight`] of the rows, with recipes, statuses
//!   and synthetic marks, refusing rows that cannot come from osstest (a
//!   runvar of no job, a NULL value, a `synth` that is not a boolean);
//! - [`plan`] checks a rewrite's changes against the flight as the
//!   database has it now, and says what to write: the runvars to set (as
//!   `cs-adjust-flight`'s `runvar-set` does, delete then insert, not
//!   synthetic) and the jobs to delete (with their runvars, as its
//!   `jobs-del`). Only jobs still `queued` may change: osstest takes a
//!   job's runvars when it starts it, so a change to a job that is running
//!   or done would be recorded but never acted on, and would misstate what
//!   ran. Every such job is named and nothing is written.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::cross::{Change, Rewrite};
use super::{Flight, FlightError};

/// The status of a job that has not started.
pub const QUEUED: &str = "queued";

/// A row of osstest's `jobs` table (less the flight).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct JobRow {
    /// `jobs.job`.
    pub job: String,
    /// `jobs.recipe` (NULL allowed by the PostgreSQL schema).
    pub recipe: Option<String>,
    /// `jobs.status`.
    pub status: String,
}

/// A row of osstest's `runvars` table (less the flight).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RunvarRow {
    /// `runvars.job`.
    pub job: String,
    /// `runvars.name`.
    pub name: String,
    /// `runvars.val` (NULL allowed by the PostgreSQL schema, refused here).
    pub val: Option<String>,
    /// `runvars.synth` as the driver returns it: DBD::Pg gives `1` or `0`,
    /// DBD::SQLite the `t` or `f` osstest stored.
    pub synth: String,
}

/// What to write to the database to apply some rewrites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DbChanges {
    /// The runvars to set (delete any row, insert one, not synthetic),
    /// each with the value the database has now (`old`).
    pub set: Vec<Change>,
    /// The jobs to delete, with their runvars.
    pub remove: Vec<String>,
}

fn db_error(flight: &str, message: String) -> FlightError {
    FlightError::Db {
        flight: flight.to_owned(),
        message,
    }
}

/// The flight `flight` from its rows of `jobs` and `runvars`.
pub fn from_rows(
    flight: &str,
    jobs: &[JobRow],
    runvars: &[RunvarRow],
) -> Result<Flight, FlightError> {
    let mut out = Flight::default();
    for j in jobs {
        let job = out.jobs.entry(j.job.clone()).or_default();
        if job.status.is_some() {
            return Err(db_error(flight, format!("job {} listed twice", j.job)));
        }
        job.recipe = j.recipe.clone();
        job.status = Some(j.status.clone());
    }
    for r in runvars {
        let at = || format!("job {} runvar {}", r.job, r.name);
        let job = out
            .jobs
            .get_mut(&r.job)
            .ok_or_else(|| db_error(flight, format!("{}: no such job in the jobs table", at())))?;
        let val = r
            .val
            .as_ref()
            .ok_or_else(|| db_error(flight, format!("{}: value is NULL", at())))?;
        let synth = parse_bool(&r.synth).ok_or_else(|| {
            db_error(
                flight,
                format!("{}: synth is {:?}, not a boolean", at(), r.synth),
            )
        })?;
        if job.runvars.insert(r.name.clone(), val.clone()).is_some() {
            return Err(db_error(flight, format!("{}: listed twice", at())));
        }
        if synth {
            job.synth.insert(r.name.clone());
        }
    }
    Ok(out)
}

/// A boolean as DBD::Pg (`1`, `0`) or osstest's sqlite rows (`t`, `f`)
/// give it; PostgreSQL's other spellings too.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
        "0" | "f" | "false" | "n" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Checks `rewrites`, applied in order, against `current` (flight
/// `flight` as the database has it now) and says what to write.
///
/// Each change's `old` must be the value the runvar has at that point
/// (after the rewrites before it), so a flight changed since it was read
/// is refused rather than overwritten; synthetic runvars are never
/// changed. Changes that leave a value as it is are dropped. Errors name
/// the flight, jobs and runvars at fault; first of all, every job the
/// rewrites would change or delete whose status is not `queued`.
pub fn plan(
    flight: &str,
    current: &Flight,
    rewrites: &[Rewrite],
) -> Result<DbChanges, FlightError> {
    let touched: BTreeSet<&str> = rewrites
        .iter()
        .flat_map(|r| {
            r.changes
                .iter()
                .map(|c| c.job.as_str())
                .chain(r.removed.iter().map(String::as_str))
        })
        .collect();
    refuse_unqueued(flight, current, &touched)?;
    let mut state = current.clone();
    for r in rewrites {
        for c in &r.changes {
            let at = format!("job {} runvar {}", c.job, c.runvar);
            let job = state.jobs.get_mut(&c.job).ok_or_else(|| {
                db_error(
                    flight,
                    format!("{at}: no such job (removed, or never there)"),
                )
            })?;
            if job.is_synth(&c.runvar) {
                return Err(db_error(
                    flight,
                    format!("{at}: synthetic (recorded by the job as it ran), not changed"),
                ));
            }
            let now = job.get(&c.runvar);
            if now != c.old.as_deref() {
                return Err(db_error(
                    flight,
                    format!(
                        "{at} is {} in the database, the change expected {} \
                         (the flight changed since it was read?); nothing changed",
                        shown(now),
                        shown(c.old.as_deref())
                    ),
                ));
            }
            job.set(&c.runvar, &c.new);
        }
        for j in &r.removed {
            if state.jobs.remove(j).is_none() {
                return Err(db_error(flight, format!("job {j}: no such job to remove")));
            }
        }
    }
    Ok(difference(current, &state))
}

/// Dies naming each job of `touched` that is not queued.
fn refuse_unqueued(
    flight: &str,
    current: &Flight,
    touched: &BTreeSet<&str>,
) -> Result<(), FlightError> {
    let unqueued: Vec<String> = touched
        .iter()
        .filter_map(|j| {
            let status = current.job(j)?.status.as_deref();
            (status != Some(QUEUED)).then(|| format!("{j} ({})", status.unwrap_or("no status")))
        })
        .collect();
    if unqueued.is_empty() {
        return Ok(());
    }
    Err(db_error(
        flight,
        format!(
            "not changing jobs that are no longer {QUEUED}: {}; nothing changed",
            unqueued.join(", ")
        ),
    ))
}

/// The runvars set and jobs removed from `before` to `after`.
fn difference(before: &Flight, after: &Flight) -> DbChanges {
    let mut out = DbChanges::default();
    for (name, b) in &before.jobs {
        let Some(a) = after.job(name) else {
            out.remove.push(name.clone());
            continue;
        };
        let changed: BTreeMap<&String, &String> = a
            .runvars
            .iter()
            .filter(|(k, v)| b.runvars.get(*k) != Some(*v))
            .collect();
        for (k, v) in changed {
            out.set.push(Change {
                job: name.clone(),
                runvar: k.clone(),
                old: b.runvars.get(k).cloned(),
                new: v.clone(),
            });
        }
    }
    out
}

fn shown(v: Option<&str>) -> String {
    v.map_or("unset".to_owned(), |v| format!("'{v}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(job: &str, status: &str) -> JobRow {
        JobRow {
            job: job.into(),
            recipe: Some("build-kern".into()),
            status: status.into(),
        }
    }

    fn rv(job: &str, name: &str, val: &str, synth: &str) -> RunvarRow {
        RunvarRow {
            job: job.into(),
            name: name.into(),
            val: Some(val.into()),
            synth: synth.into(),
        }
    }

    fn change(job: &str, runvar: &str, old: Option<&str>, new: &str) -> Change {
        Change {
            job: job.into(),
            runvar: runvar.into(),
            old: old.map(Into::into),
            new: new.into(),
        }
    }

    fn flight() -> Flight {
        from_rows(
            "5",
            &[job("k", "queued"), job("t", "queued"), job("done", "pass")],
            &[
                rv("k", "arch", "arm64", "f"),
                rv("done", "host", "italia0", "1"),
                rv("done", "arch", "arm64", "0"),
                rv("t", "kernbuildjob", "k", "f"),
            ],
        )
        .unwrap()
    }

    #[test]
    fn rows_make_a_flight_with_marks() {
        let f = flight();
        assert_eq!(f.jobs["done"].status.as_deref(), Some("pass"));
        assert!(f.jobs["done"].is_synth("host"));
        assert!(!f.jobs["done"].is_synth("arch"));
        assert_eq!(f.jobs["k"].get("arch"), Some("arm64"));
        let bad = |rows: &[RunvarRow]| {
            from_rows("5", &[job("k", "queued")], rows)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad(&[rv("x", "arch", "a", "f")]),
            "flight 5: job x runvar arch: no such job in the jobs table"
        );
        let mut null = rv("k", "arch", "", "f");
        null.val = None;
        assert_eq!(bad(&[null]), "flight 5: job k runvar arch: value is NULL");
        assert_eq!(
            bad(&[rv("k", "arch", "a", "maybe")]),
            "flight 5: job k runvar arch: synth is \"maybe\", not a boolean"
        );
    }

    #[test]
    fn plan_checks_then_says_what_to_write() {
        let f = flight();
        let cross = Rewrite {
            changes: vec![
                change("k", "build_arch", None, "amd64"),
                change("t", "dikernelbuildjob", None, "k"),
            ],
            ..Rewrite::default()
        };
        let reuse = Rewrite {
            changes: vec![change("t", "dikernelbuildjob", Some("k"), "4.k")],
            removed: vec!["k".into()],
            ..Rewrite::default()
        };
        let p = plan("5", &f, &[cross.clone(), reuse]).unwrap();
        assert_eq!(p.remove, ["k"]);
        assert_eq!(p.set, [change("t", "dikernelbuildjob", None, "4.k")]);
        // A second run of the same rewrite has nothing to write.
        let mut after = f.clone();
        for c in &cross.changes {
            after.jobs.get_mut(&c.job).unwrap().set(&c.runvar, &c.new);
        }
        let again = Rewrite {
            changes: vec![change("k", "build_arch", Some("amd64"), "amd64")],
            ..Rewrite::default()
        };
        assert_eq!(plan("5", &after, &[again]).unwrap(), DbChanges::default());
    }

    #[test]
    fn plan_refuses_naming_what_is_wrong() {
        let f = flight();
        let e = |r: Rewrite| plan("5", &f, &[r]).unwrap_err().to_string();
        assert_eq!(
            e(Rewrite {
                changes: vec![change("done", "arch", Some("arm64"), "armhf")],
                removed: vec!["k".into(), "nonesuch".into()],
                ..Rewrite::default()
            }),
            "flight 5: not changing jobs that are no longer queued: done (pass); nothing changed"
        );
        assert_eq!(
            e(Rewrite {
                changes: vec![change("k", "arch", Some("armhf"), "arm64")],
                ..Rewrite::default()
            }),
            "flight 5: job k runvar arch is 'arm64' in the database, the change expected \
             'armhf' (the flight changed since it was read?); nothing changed"
        );
        let mut synth = f.clone();
        let k = synth.jobs.get_mut("k").unwrap();
        k.synth.insert("arch".into());
        assert_eq!(
            plan(
                "5",
                &synth,
                &[Rewrite {
                    changes: vec![change("k", "arch", Some("arm64"), "armhf")],
                    ..Rewrite::default()
                }]
            )
            .unwrap_err()
            .to_string(),
            "flight 5: job k runvar arch: synthetic (recorded by the job as it ran), not changed"
        );
    }
}
