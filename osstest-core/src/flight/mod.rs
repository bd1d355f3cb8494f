// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Flights: sets of jobs, the ARM cross rewrite, job references and build
//! identity.
//!
//! A [`Flight`] maps job names to [`Job`]s; a job has a recipe, runvars
//! and, for flights that have run, a status. The submodules work on it:
//!
//! - [`plain`]: the listings osstest prints (`mg-show-flight-runvars`,
//!   with and without `-a`, and `standalone-generate-dump-flight-runvars`),
//!   read and written; [`Flight`] is also `serde` (JSON) as a map of job
//!   name to job.
//! - [`db`]: a flight from the rows of osstest's `jobs` and `runvars`
//!   tables, and the checked changes that put a rewrite back.
//! - [`reference`](mod@reference): job references (`build-armhf-pvops`,
//!   `12345.build-armhf-pvops`) and the stash paths of a kernel build's
//!   outputs that an installer-kernel reference leads to.
//! - [`cross`]: the ARM cross rewrite: ARM kernel builds on x86 build hosts,
//!   ARM test jobs booting the installer with that kernel.
//! - [`identity`]: what a build's output depends on, and which ARM kernel
//!   builds an earlier flight already did.
//!
//! Job kinds follow osstest's conventions: a *build job* has a recipe that
//! starts with `build` (`build`, `build-kern`, `build-libvirt`), or, where
//! the recipe is not known, a name that starts with `build-`; every other
//! job is a *test job*. A *kernel build job* has recipe `build-kern`, or,
//! where the recipe is not known, is a build job with a `kconfighow` runvar.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub mod cross;
pub mod db;
pub mod identity;
pub mod kernel_outputs;
pub mod plain;
pub mod reference;

/// The runvar naming the job whose kernel the Debian installer boots, and
/// whose modules go into its initrd: `dikernelbuildjob=build-arm64-pvops`,
/// or `12345.build-arm64-pvops` for another flight's.
///
/// Named like osstest's other references (`buildjob`, `xenbuildjob`,
/// `kernbuildjob`): a job name, for the `di` (Debian installer) kernel.
/// It is separate from `kernbuildjob` (the kernel the test runs as dom0)
/// so the two can differ, for example an installer kernel from an earlier
/// flight and a dom0 kernel from this one.
pub const DIKERNEL_RUNVAR: &str = "dikernelbuildjob";

/// The ARM architectures whose flights get the cross rewrite, as Debian
/// names them.
pub const ARM_ARCHES: &[&str] = &["armhf", "arm64"];

/// One job of a flight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Job {
    /// The recipe (`build`, `build-kern`, `test-debian`, ...), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe: Option<String>,
    /// The job's result for a flight that has run (`pass`, `fail`,
    /// `broken`, ...), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The runvars, by name.
    pub runvars: BTreeMap<String, String>,
    /// The names of the runvars that are *synthetic*: recorded by the job
    /// as it ran (`host`, `path_*`, `kernel_ver`, `built_revision_*`), as
    /// osstest's `runvars.synth` column and the `~` of
    /// `mg-show-flight-runvars -a` mark them. Empty where not known.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub synth: BTreeSet<String>,
}

impl Job {
    /// A runvar's value, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.runvars.get(name).map(String::as_str)
    }

    /// The `arch` runvar: the architecture the job's output (or test) is for.
    pub fn arch(&self) -> Option<&str> {
        self.get("arch")
    }

    /// Whether this is a build job (see the [module docs](self)).
    pub fn is_build(&self, name: &str) -> bool {
        match &self.recipe {
            Some(r) => r.starts_with("build"),
            None => name.starts_with("build-"),
        }
    }

    /// Whether this is a kernel build job (see the [module docs](self)).
    pub fn is_kernel_build(&self, name: &str) -> bool {
        match &self.recipe {
            Some(r) => r == "build-kern",
            None => self.is_build(name) && self.runvars.contains_key("kconfighow"),
        }
    }

    /// Whether this job's `arch` is one of [`ARM_ARCHES`].
    pub fn is_arm(&self) -> bool {
        self.arch().is_some_and(|a| ARM_ARCHES.contains(&a))
    }

    /// Whether runvar `name` is marked synthetic.
    pub fn is_synth(&self, name: &str) -> bool {
        self.synth.contains(name)
    }

    /// Sets runvar `name` as flight construction does: to `value`, not
    /// synthetic.
    pub fn set(&mut self, name: &str, value: &str) {
        self.runvars.insert(name.to_owned(), value.to_owned());
        self.synth.remove(name);
    }
}

/// A flight: its jobs, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Flight {
    /// The jobs, by name.
    pub jobs: BTreeMap<String, Job>,
}

impl Flight {
    /// Reads a flight from JSON: an object of job name to
    /// `{"recipe": ..., "status": ..., "runvars": {...}}`.
    pub fn from_json(text: &str, file: &str) -> Result<Flight, FlightError> {
        serde_json::from_str(text).map_err(|e| FlightError::Json {
            file: file.to_owned(),
            message: e.to_string(),
        })
    }

    /// The flight as pretty-printed JSON, jobs and runvars sorted by name.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a flight always serializes")
    }

    /// A job by name.
    pub fn job(&self, name: &str) -> Option<&Job> {
        self.jobs.get(name)
    }
}

/// Flights by their number (or name), for references to other flights.
pub type Flights = BTreeMap<String, Flight>;

/// Something wrong with a flight, a job or a runvar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlightError {
    /// A line of a `job runvar value` dump does not parse.
    #[error("{file}:{line}: {message}")]
    Plain {
        /// The file (or a description of the input).
        file: String,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// osstest's database holds what cannot be a flight, or refuses a
    /// change.
    #[error("flight {flight}: {message}")]
    Db {
        /// The flight.
        flight: String,
        /// What is wrong.
        message: String,
    },
    /// A flight that the `job runvar value` listing cannot carry (it would
    /// read back as another flight).
    #[error("{0}: the listing would not read back as this flight")]
    Unwritable(String),
    /// A reuse plan that does not fit the flight it is applied to.
    #[error("reuse plan: {0}")]
    BadPlan(String),
    /// A JSON flight does not parse.
    #[error("{file}: not a flight in JSON: {message}")]
    Json {
        /// The file (or a description of the input).
        file: String,
        /// serde_json's message, with line and column.
        message: String,
    },
    /// A job reference is not `JOB` or `FLIGHT.JOB`.
    #[error("job {job}: runvar {runvar}={value}: not a job reference (JOB or FLIGHT.JOB)")]
    BadReference {
        /// The job holding the reference.
        job: String,
        /// The runvar holding it.
        runvar: String,
        /// Its value.
        value: String,
    },
    /// A flight named by a reference (or asked for) is not among those given.
    #[error("{context}: flight {flight} not given (have: {have})")]
    NoSuchFlight {
        /// Where the flight was wanted.
        context: String,
        /// The flight.
        flight: String,
        /// The flights we have, comma-separated.
        have: String,
    },
    /// A job named by a reference (or asked for) is not in its flight.
    #[error("{context}: flight {flight} has no job {job}")]
    NoSuchJob {
        /// Where the job was wanted.
        context: String,
        /// The flight.
        flight: String,
        /// The job.
        job: String,
    },
    /// A job lacks a runvar it needs.
    #[error("job {job}: runvar {runvar} not set{why}")]
    MissingRunvar {
        /// The job (`FLIGHT.JOB` where another flight's).
        job: String,
        /// The runvar.
        runvar: String,
        /// Why it is needed, with a leading `" ("`, or empty.
        why: String,
    },
    /// A runvar needed is set but empty.
    #[error("job {job}: runvar {runvar} is empty{why}")]
    EmptyRunvar {
        /// The job (`FLIGHT.JOB` where another flight's).
        job: String,
        /// The runvar.
        runvar: String,
        /// Why it is needed, with a leading `" ("`, or empty.
        why: String,
    },
    /// A runvar has a value that cannot be right.
    #[error("job {job}: runvar {runvar}={value}: {message}")]
    BadRunvar {
        /// The job (`FLIGHT.JOB` where another flight's).
        job: String,
        /// The runvar.
        runvar: String,
        /// Its value.
        value: String,
        /// What is wrong with it.
        message: String,
    },
    /// A referenced job is not what the reference needs.
    #[error("job {job}: runvar {runvar}={value}: {message}")]
    WrongJob {
        /// The job holding the reference.
        job: String,
        /// The runvar holding it.
        runvar: String,
        /// Its value.
        value: String,
        /// What is wrong with the job it names.
        message: String,
    },
    /// A build job's runvars do not make a build plan.
    #[error("job {job}: {source}")]
    Plan {
        /// The job.
        job: String,
        /// The build plan's complaint (boxed: it is large).
        source: Box<crate::build::plan::PlanError>,
    },
    /// No single kernel build job fits a test job.
    #[error("job {job} (arch {arch}): {message}")]
    NoKernelBuild {
        /// The test job.
        job: String,
        /// Its arch.
        arch: String,
        /// What was found instead.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(recipe: Option<&str>, runvars: &[(&str, &str)]) -> Job {
        Job {
            recipe: recipe.map(str::to_owned),
            status: None,
            runvars: runvars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            synth: BTreeSet::new(),
        }
    }

    #[test]
    fn kinds_by_recipe_then_name() {
        let k = job(Some("build-kern"), &[("arch", "armhf")]);
        assert!(k.is_build("whatever") && k.is_kernel_build("whatever"));
        let x = job(Some("build"), &[("kconfighow", "x")]);
        assert!(x.is_build("build-armhf") && !x.is_kernel_build("build-armhf"));
        let t = job(Some("test-debian"), &[]);
        assert!(!t.is_build("build-looks-like-one"));
        let k2 = job(None, &[("kconfighow", "xen-enable-xen-config")]);
        assert!(k2.is_kernel_build("build-arm64-pvops"));
        assert!(!k2.is_kernel_build("test-arm64-arm64-xl"));
        assert!(job(None, &[("arch", "arm64")]).is_arm());
        assert!(!job(None, &[("arch", "amd64")]).is_arm());
        assert!(!job(None, &[]).is_arm());
    }

    #[test]
    fn json_round_trip_and_errors() {
        let text = r#"{"build-arm64-pvops": {"recipe": "build-kern", "status": "pass",
                       "runvars": {"arch": "arm64"}}}"#;
        let f = Flight::from_json(text, "f.json").unwrap();
        assert_eq!(f.job("build-arm64-pvops").unwrap().arch(), Some("arm64"));
        assert_eq!(Flight::from_json(&f.to_json(), "again").unwrap(), f);
        let e = Flight::from_json(r#"{"j": {"runvar": {}}}"#, "typo.json").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("typo.json: not a flight in JSON: unknown field `runvar`"),
            "{msg}"
        );
    }
}
