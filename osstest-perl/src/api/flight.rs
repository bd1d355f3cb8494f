// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Flight functions: the ARM cross rewrite, installer-kernel references,
//! build identity and reuse, osstest's listings, and the logic of
//! `flight_from_db` / `flight_apply_db` (whose SQL is in `Osstest/Core.pm`).
//!
//! A flight reaches Perl as a hash of job name to
//! `{ recipe => ..., status => ..., runvars => { ... }, synth => [...] }`
//! (recipe, status and synth may be absent).

use std::collections::BTreeMap;
use std::convert::Infallible;

use osstest_core::flight::cross::{self, Change, Pinned, Rewrite};
use osstest_core::flight::db::{self, DbChanges, JobRow, RunvarRow};
use osstest_core::flight::identity::{self, BuildIdentity, ReusePlan};
use osstest_core::flight::plain::{self, Listing};
use osstest_core::flight::reference::{self, KernelOutputs};
use osstest_core::flight::{Flight, FlightError, Flights};
use serde::{Deserialize, Serialize};

/// Options of [`flight_cross_arm`].
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrossOptions {
    /// The build host architecture (default `amd64`).
    pub build_arch: String,
}

impl Default for CrossOptions {
    fn default() -> Self {
        CrossOptions {
            build_arch: cross::DEFAULT_BUILD_ARCH.to_owned(),
        }
    }
}

/// What [`flight_cross_arm`] and [`reuse_apply`] return.
#[derive(Debug, Serialize)]
pub struct CrossResult {
    /// The rewritten flight.
    pub jobs: Flight,
    /// The runvars set: `{ job, runvar, old, new }`.
    pub changes: Vec<Change>,
    /// The jobs removed (reuse).
    pub removed: Vec<String>,
    /// The kernel builds left alone for a pinned host (the rewrite).
    pub pinned: Vec<Pinned>,
}

impl CrossResult {
    fn new(jobs: Flight, r: Rewrite) -> CrossResult {
        CrossResult {
            jobs,
            changes: r.changes,
            removed: r.removed,
            pinned: r.pinned,
        }
    }
}

/// `flight_cross_arm(\%jobs, \%opts)`: the ARM cross rewrite.
pub fn flight_cross_arm(
    jobs: Flight,
    opts: Option<CrossOptions>,
) -> Result<CrossResult, FlightError> {
    let opts = opts.unwrap_or_default();
    let mut jobs = jobs;
    let r = cross::cross_arm(&mut jobs, &opts.build_arch)?;
    Ok(CrossResult::new(jobs, r))
}

/// `dikernel_outputs($flight, $job, \%flights)`: where the installer
/// kernel of test job `$job` of flight `$flight` is stashed.
pub fn dikernel_outputs(
    flight: String,
    job: String,
    flights: Flights,
) -> Result<KernelOutputs, FlightError> {
    reference::dikernel_outputs(&flights, &flight, &job)
}

/// `build_identity(\%r, $job)`: what build job `$job`'s output depends on.
pub fn build_identity(
    r: BTreeMap<String, String>,
    job: Option<String>,
) -> Result<BuildIdentity, FlightError> {
    identity::runvars_identity(job.as_deref().unwrap_or("(runvars given)"), &r)
}

/// `reuse_candidates(\%jobs, \%earlier)`: which ARM kernel builds earlier
/// flights already did.
pub fn reuse_candidates(jobs: Flight, earlier: Flights) -> Result<ReusePlan, Infallible> {
    Ok(identity::reuse_candidates(&jobs, &earlier))
}

/// `reuse_apply(\%jobs, $plan)`: the flight with `$plan`'s reuse applied.
pub fn reuse_apply(jobs: Flight, plan: ReusePlan) -> Result<CrossResult, FlightError> {
    let mut jobs = jobs;
    let r = identity::apply_reuse(&mut jobs, &plan)?;
    Ok(CrossResult::new(jobs, r))
}

/// `flight_parse($text, $name)`: one of osstest's listings, its form and
/// its flight (or flights by branch).
pub fn flight_parse(text: String, name: Option<String>) -> Result<Listing, FlightError> {
    plain::read_listing(&text, name.as_deref().unwrap_or("(listing)"))
}

/// `_flight_from_rows($flight, \@jobs, \@runvars)`: the flight from rows
/// of osstest's `jobs` (`[job, recipe, status]`) and `runvars`
/// (`[job, name, val, synth]`), for `flight_from_db`.
pub fn _flight_from_rows(
    flight: String,
    jobs: Vec<(String, Option<String>, String)>,
    runvars: Vec<(String, String, Option<String>, String)>,
) -> Result<Flight, FlightError> {
    let jobs: Vec<JobRow> = jobs
        .into_iter()
        .map(|(job, recipe, status)| JobRow {
            job,
            recipe,
            status,
        })
        .collect();
    let runvars: Vec<RunvarRow> = runvars
        .into_iter()
        .map(|(job, name, val, synth)| RunvarRow {
            job,
            name,
            val,
            synth,
        })
        .collect();
    db::from_rows(&flight, &jobs, &runvars)
}

/// `_flight_db_plan($flight, \%current, \@rewrites)`: what
/// `flight_apply_db` writes, checked against the flight as the database
/// has it; each rewrite is `{ changes => [...], removed => [...] }`.
pub fn _flight_db_plan(
    flight: String,
    current: Flight,
    rewrites: Vec<Rewrite>,
) -> Result<DbChanges, FlightError> {
    db::plan(&flight, &current, &rewrites)
}

/// `flight_format(\%jobs)`: a flight as an `mg-show-flight-runvars -a`
/// listing; dies on a flight the listing cannot carry.
pub fn flight_format(jobs: Flight) -> Result<String, FlightError> {
    plain::write(&jobs)
}
