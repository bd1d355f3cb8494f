// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Build identity, and reusing ARM kernel builds across flights.
//!
//! Two build jobs with the same [`BuildIdentity`] produce the same output,
//! so a later flight can name the earlier job (`12345.build-arm64-pvops`)
//! instead of building again: [`reuse_candidates`] proposes which, and
//! [`apply_reuse`] rewrites the flight's references accordingly. The
//! identity is computed from the job's runvars alone (so a `ts-` script can
//! compute it from `%r`; the recipe is left out, the runvars already tell a
//! kernel build from a Xen build).
//!
//! **What is not an input**, because it says where or when a build ran, or
//! what it made, rather than what was built:
//!
//! - synthetic runvars: every runvar marked synthetic ([`Job::synth`]:
//!   osstest's `runvars.synth`, the `~` of `mg-show-flight-runvars -a`),
//!   whatever its name. A job records them as it runs (`host`, `path_*`,
//!   `kernel_ver`, `built_revision_*`, ...); flight construction never
//!   sets them. Where the marks are not known (a `%r`, a listing without
//!   `-a`) the names osstest's build steps record are left out instead:
//!   `host`, `*_host`, `path_*`, `kernel_ver` and `built_*`;
//! - where it ran: host flags (`hostflags`, `host_hostflags`,
//!   `all_hostflags`, any `*_hostflags`);
//! - scheduling-only runvars, which steer host allocation and preparation
//!   but never reach the build: `hostalloc_*` (the allocator's cost
//!   bonuses, such as `hostalloc_bonus_previousfail` and the smoke
//!   branch's `hostalloc_maxbonus_variation`) and `build_lvextend_max`
//!   (how far the build host's volume is grown). Without this, the same
//!   kernel built on two branches would never be reused across them;
//! - taken from the job's [`BuildPlan`] instead of the runvars that give
//!   them (`build_arch`, `host_suite`, `suite`, and the `arch-*` and
//!   `suite-*` host flags): the build arch (`build_arch`) and the suite
//!   (`suite`), since they choose the compiler.
//!
//! Every other runvar is an input (trees, revisions, `arch`, `kconfighow`,
//! `kconfig_override_*`, `enable_*`, ...): an unknown runvar makes two
//! builds differ rather than wrongly match.
//!
//! A job whose runvars do not make a build plan has no identity (the
//! plan's error says why). Each `tree_X` must come with a pinned
//! `revision_X` (a commit id); for a build that ran, `built_revision_X`
//! (synthetic, but the record of which commit was built) pins one that was
//! not. A build job that names another job (`buildjob=...`) has no
//! identity of its own: its output depends on that job's.
//!
//! **Cross and native builds differ.** `build_arch` is part of the
//! identity, so an arm64 kernel cross-built on amd64 and one built natively
//! on arm64 from the same inputs are different builds. They come from
//! different compiler packages (`gcc-aarch64-linux-gnu` against `gcc`),
//! need not be byte-identical, and a test failure must be traceable to one
//! toolchain. Once ARM kernels are always cross-built, cross builds are
//! reused among themselves; native builds from before the change are not.
//!
//! **Why a build is rebuilt.** Each [`Rebuild`] says, for every earlier
//! kernel build of the same arch it looked at, newest flight first, why
//! that one will not do: it has no status (a listing carries none: read the
//! flight from osstest's database), its status is not `pass`, it has no
//! identity, an input differs (named, with both values), cross against
//! native, or it recorded no `path_kerndist` or `kernel_ver`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::cross::{Change, Rewrite};
use super::reference::{JobRef, KERNDIST, KERNEL_VER};
use super::{Flight, FlightError, Flights, Job};
use crate::build::plan::{is_hostflags_runvar, BuildPlan, BUILD_ARCH_RUNVAR};

/// Runvars that steer scheduling only (see the [module docs](self)).
pub const SCHEDULING_RUNVARS: &[&str] = &["build_lvextend_max"];
/// Prefixes of runvars that steer scheduling only.
pub const SCHEDULING_PREFIXES: &[&str] = &["hostalloc_"];

/// What a build's output depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildIdentity {
    /// SHA-256 (hex) of the inputs as a compact JSON object in name order
    /// (unambiguous whatever the values hold).
    pub digest: String,
    /// The inputs: the runvars that count, `build_arch`, `suite`.
    pub inputs: BTreeMap<String, String>,
}

/// The identity of build job `name` (see the [module docs](self)); its
/// synthetic runvars are left out by their marks.
///
/// Errors name the job and the runvar: a tree without a pinned revision, a
/// reference to another job, no `arch`, or runvars that do not make a
/// [`BuildPlan`] (the plan's message).
pub fn build_identity(name: &str, job: &Job) -> Result<BuildIdentity, FlightError> {
    identity(name, &job.runvars, &job.synth)
}

/// The identity of a build job from its runvars alone (`%r`, no synthetic
/// marks); `name` is the job, for messages.
pub fn runvars_identity(
    name: &str,
    runvars: &BTreeMap<String, String>,
) -> Result<BuildIdentity, FlightError> {
    identity(name, runvars, &BTreeSet::new())
}

/// Whether runvar `k` is left out of the identity (see the
/// [module docs](self)); the build plan's runvars are handled apart.
fn not_an_input(k: &str, synth: &BTreeSet<String>) -> bool {
    synth.contains(k)
        || k == "host"
        || k.ends_with("_host")
        || k.starts_with("path_")
        || k.starts_with("built_")
        || k == KERNEL_VER
        || is_hostflags_runvar(k)
        || SCHEDULING_RUNVARS.contains(&k)
        || SCHEDULING_PREFIXES.iter().any(|p| k.starts_with(p))
}

fn identity(
    name: &str,
    runvars: &BTreeMap<String, String>,
    synth: &BTreeSet<String>,
) -> Result<BuildIdentity, FlightError> {
    let get = |n: &str| runvars.get(n).map(String::as_str);
    let missing = |runvar: &str, why: &str| FlightError::MissingRunvar {
        job: name.to_owned(),
        runvar: runvar.to_owned(),
        why: format!(" ({why})"),
    };
    let mut inputs = BTreeMap::new();
    get("arch").ok_or_else(|| missing("arch", "the architecture built for"))?;
    for (k, v) in runvars {
        if k.ends_with("buildjob") {
            return Err(FlightError::BadRunvar {
                job: name.to_owned(),
                runvar: k.clone(),
                value: v.clone(),
                message: "the build uses another job's output, so it has no identity of its own"
                    .to_owned(),
            });
        }
        if not_an_input(k, synth)
            || [BUILD_ARCH_RUNVAR, "host_suite", "suite"].contains(&k.as_str())
        {
            continue;
        }
        inputs.insert(k.clone(), v.clone());
    }
    for (k, tree) in runvars {
        let Some(t) = k.strip_prefix("tree_") else {
            continue;
        };
        if tree.is_empty() || not_an_input(k, synth) {
            continue;
        }
        let rev = format!("revision_{t}");
        let pinned = [rev.clone(), format!("built_revision_{t}")]
            .into_iter()
            .find_map(|n| get(&n).filter(|v| is_commit(v)).map(str::to_owned))
            .ok_or_else(|| match get(&rev) {
                Some(v) => FlightError::BadRunvar {
                    job: name.to_owned(),
                    runvar: rev.clone(),
                    value: v.to_owned(),
                    message: format!("not a commit id, and no built_{rev}: {k} is not pinned"),
                },
                None => missing(&rev, &format!("{k} is not pinned to a commit")),
            })?;
        inputs.insert(rev, pinned);
    }
    let plan = BuildPlan::from_runvars(runvars).map_err(|source| FlightError::Plan {
        job: name.to_owned(),
        source: Box::new(source),
    })?;
    inputs.insert(BUILD_ARCH_RUNVAR.to_owned(), plan.build.debian.to_owned());
    inputs.insert("suite".to_owned(), plan.suite().name().to_owned());

    let canonical = serde_json::to_vec(&inputs).expect("a map of strings serializes");
    let digest = Sha256::digest(&canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(BuildIdentity { digest, inputs })
}

/// A git (or other) commit id: 12 to 64 lowercase hex digits.
fn is_commit(v: &str) -> bool {
    (12..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A kernel build job of this flight that an earlier flight already did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reuse {
    /// The job of this flight that need not run.
    pub job: String,
    /// What to name instead: `FLIGHT.JOB`.
    pub reference: String,
    /// The earlier flight.
    pub flight: String,
    /// The earlier flight's job.
    pub earlier_job: String,
    /// The identity both share ([`BuildIdentity::digest`]).
    pub identity: String,
    /// The `JOB RUNVAR` pairs of this flight that name `job` and would
    /// name `reference` instead.
    pub referrers: Vec<String>,
}

/// An earlier kernel build looked at for reuse, and why it will not do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Considered {
    /// `FLIGHT.JOB`.
    pub job: String,
    /// Why it cannot stand in (see the [module docs](self)).
    pub why: String,
}

/// A kernel build job of this flight that must run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rebuild {
    /// The job.
    pub job: String,
    /// Why no earlier build will do, in one line.
    pub reason: String,
    /// Each earlier kernel build of the same arch looked at, newest
    /// flight first, and why it will not do.
    #[serde(default)]
    pub considered: Vec<Considered>,
}

/// Which of this flight's ARM kernel builds earlier flights already did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReusePlan {
    /// Jobs that can be replaced by references, in job order.
    pub reuse: Vec<Reuse>,
    /// Jobs that must run, in job order.
    pub rebuild: Vec<Rebuild>,
}

/// Proposes which ARM kernel build jobs of `current` can be replaced by a
/// reference to an earlier flight's job: one with the same identity, status
/// `pass`, and its `path_kerndist` and `kernel_ver` recorded. The newest
/// such flight wins (flights numbered, highest first).
///
/// `earlier` maps flight numbers to their jobs, with statuses. Earlier jobs
/// whose identity cannot be computed are never candidates. Each job that
/// must run says why, for each earlier kernel build of its arch.
pub fn reuse_candidates(current: &Flight, earlier: &Flights) -> ReusePlan {
    let mut order: Vec<&String> = earlier.keys().collect();
    order.sort_by(|a, b| match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => y.cmp(&x),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => b.cmp(a),
    });
    let mut plan = ReusePlan::default();
    for (name, job) in &current.jobs {
        if !(job.is_kernel_build(name) && job.is_arm()) {
            continue;
        }
        let id = match build_identity(name, job) {
            Ok(id) => id,
            Err(e) => {
                plan.rebuild.push(Rebuild {
                    job: name.clone(),
                    reason: format!("no identity of its own: {e}"),
                    considered: Vec::new(),
                });
                continue;
            }
        };
        let mut considered = Vec::new();
        let mut found = None;
        'flights: for f in &order {
            for (n, j) in &earlier[*f].jobs {
                if !(j.is_kernel_build(n) && j.arch() == job.arch()) {
                    continue;
                }
                match why_not(&id, job, n, j) {
                    Some(why) => considered.push(Considered {
                        job: format!("{f}.{n}"),
                        why,
                    }),
                    None => {
                        found = Some((f.to_string(), n.clone()));
                        break 'flights;
                    }
                }
            }
        }
        match found {
            Some((flight, earlier_job)) => plan.reuse.push(Reuse {
                job: name.clone(),
                reference: format!("{flight}.{earlier_job}"),
                flight,
                earlier_job,
                identity: id.digest,
                referrers: referrers(current, name),
            }),
            None => plan.rebuild.push(Rebuild {
                job: name.clone(),
                reason: rebuild_reason(job, &considered, &order),
                considered,
            }),
        }
    }
    plan
}

/// Why earlier kernel build `name` (`job`) cannot stand in for a build of
/// identity `id` (of job `here`), or `None` if it can.
fn why_not(id: &BuildIdentity, here: &Job, name: &str, job: &Job) -> Option<String> {
    let status = match job.status.as_deref() {
        None => {
            return Some(
                "no status (a listing carries none: read the flight from osstest's database)"
                    .to_owned(),
            )
        }
        Some(s) => s,
    };
    if status != "pass" {
        return Some(format!("status {status}, not pass"));
    }
    let there = match build_identity(name, job) {
        Ok(i) => i,
        Err(e) => return Some(format!("no identity: {e}")),
    };
    if there.digest != id.digest {
        return Some(input_difference(&id.inputs, &there.inputs, here));
    }
    [KERNDIST, KERNEL_VER]
        .iter()
        .find(|r| job.get(r).is_none())
        .map(|r| format!("passed, but recorded no {r}"))
}

/// Which inputs differ between this build (`here`) and an earlier one
/// (`there`), the build arch first as cross against native.
fn input_difference(
    here: &BTreeMap<String, String>,
    there: &BTreeMap<String, String>,
    job: &Job,
) -> String {
    let arch = job.arch().unwrap_or("");
    let kind = |b: &str| if b == arch { "native" } else { "cross" };
    let value = |m: &BTreeMap<String, String>, k: &str| {
        m.get(k).map_or("(unset)".to_owned(), |v| v.clone())
    };
    let mut out = Vec::new();
    let (bh, bt) = (
        value(here, BUILD_ARCH_RUNVAR),
        value(there, BUILD_ARCH_RUNVAR),
    );
    if bh != bt {
        out.push(format!(
            "built on {bt} ({}) there, on {bh} ({}) here: different compilers, a different build",
            kind(&bt),
            kind(&bh)
        ));
    }
    let keys: BTreeSet<&String> = here.keys().chain(there.keys()).collect();
    for k in keys {
        let (h, t) = (value(here, k), value(there, k));
        if k != BUILD_ARCH_RUNVAR && h != t {
            out.push(format!("input {k} differs: {t} there, {h} here"));
        }
    }
    out.join("; ")
}

/// The one-line reason for a [`Rebuild`].
fn rebuild_reason(job: &Job, considered: &[Considered], flights: &[&String]) -> String {
    if flights.is_empty() {
        return "no earlier flights given".to_owned();
    }
    if considered.is_empty() {
        return format!(
            "no earlier kernel build for {} in flights {}",
            job.arch().unwrap_or("(no arch)"),
            flights
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let each: Vec<String> = considered
        .iter()
        .map(|c| format!("{}: {}", c.job, c.why))
        .collect();
    format!("no earlier build will do: {}", each.join("; "))
}

/// Applies the reuse half of a [`ReusePlan`] to `flight`: each referrer
/// runvar is set to the earlier job's `FLIGHT.JOB` and the job it replaces
/// is removed. Returns the runvars changed and the jobs removed.
///
/// The plan must have been made for this flight, and is checked before
/// anything changes: each reference must be `FLIGHT.JOB` of another
/// flight (so no job is pointed at itself, and no value can carry a line
/// break), a referrer naming a job or runvar the flight does not have is
/// an error, and so is a plan that would leave a runvar naming a job it
/// removes. On an error `flight` is as it was.
pub fn apply_reuse(flight: &mut Flight, plan: &ReusePlan) -> Result<Rewrite, FlightError> {
    let mut changes = Vec::new();
    for r in &plan.reuse {
        let context = format!("reuse of {} as {}", r.job, r.reference);
        if !JobRef::parse(&r.reference, "", &r.job, "reference")
            .is_ok_and(|j| j.is_other_flight(""))
        {
            return Err(FlightError::BadPlan(format!(
                "{} as {:?}: not a reference to another flight's job (FLIGHT.JOB)",
                r.job, r.reference
            )));
        }
        if flight.job(&r.job).is_none() {
            return Err(FlightError::NoSuchJob {
                context,
                flight: "being rewritten".to_owned(),
                job: r.job.clone(),
            });
        }
        for who in &r.referrers {
            let (job, runvar) = who.split_once(' ').unwrap_or((who, ""));
            let old = flight.job(job).and_then(|j| j.get(runvar)).ok_or_else(|| {
                FlightError::MissingRunvar {
                    job: job.to_owned(),
                    runvar: runvar.to_owned(),
                    why: format!(" ({context} names it as a referrer)"),
                }
            })?;
            changes.push(Change {
                job: job.to_owned(),
                runvar: runvar.to_owned(),
                old: Some(old.to_owned()),
                new: r.reference.clone(),
            });
        }
    }
    let mut next = flight.clone();
    for c in &changes {
        let job = next.jobs.get_mut(&c.job).expect("checked above");
        job.set(&c.runvar, &c.new);
    }
    let mut removed = Vec::new();
    for r in &plan.reuse {
        next.jobs.remove(&r.job);
        removed.push(r.job.clone());
    }
    for r in &plan.reuse {
        if let Some(left) = referrers(&next, &r.job).first() {
            let (job, runvar) = left.split_once(' ').unwrap_or((left, ""));
            return Err(FlightError::BadPlan(format!(
                "{} is removed, but job {job} runvar {runvar} still names it (the plan is not for this flight)",
                r.job
            )));
        }
    }
    *flight = next;
    Ok(Rewrite {
        changes,
        removed,
        pinned: Vec::new(),
    })
}

/// `JOB RUNVAR` for each `*buildjob` runvar of `flight` naming `target`
/// (a job of the same flight).
fn referrers(flight: &Flight, target: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, j) in &flight.jobs {
        for (k, v) in &j.runvars {
            if k.ends_with("buildjob")
                && JobRef::parse(v, "", n, k)
                    .is_ok_and(|r| !r.is_other_flight("") && r.job == target)
            {
                out.push(format!("{n} {k}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flight::plain;

    const KERN: &str = "\
build-arm64-pvops recipe          build-kern
build-arm64-pvops arch            arm64
build-arm64-pvops kconfighow      xen-enable-xen-config
build-arm64-pvops tree_linux      git://xenbits.xen.org/linux-pvops.git
build-arm64-pvops revision_linux  0123456789abcdef0123456789abcdef01234567
build-arm64-pvops host_hostflags  share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build
";

    fn kern() -> Job {
        plain::read(KERN, "k").unwrap().jobs["build-arm64-pvops"].clone()
    }

    fn with(j: &Job, k: &str, v: Option<&str>) -> Job {
        let mut j = j.clone();
        match v {
            Some(v) => j.runvars.insert(k.into(), v.into()),
            None => j.runvars.remove(k),
        };
        j
    }

    fn id(j: &Job) -> String {
        build_identity("j", j).unwrap().digest
    }

    #[test]
    fn where_it_ran_and_what_it_made_do_not_count() {
        let a = kern();
        let i = build_identity("j", &a).unwrap();
        assert_eq!(i.inputs["build_arch"], "amd64");
        assert_eq!(i.inputs["suite"], "bookworm");
        assert!(!i.inputs.contains_key("recipe"));
        assert!(!i.inputs.contains_key("host_hostflags"));
        assert_eq!(i.digest.len(), 64);
        let ran = with(
            &with(
                &with(&a, "host", Some("rochester0")),
                "path_kerndist",
                Some("build/kerndist.tar.gz"),
            ),
            "kernel_ver",
            Some("6.1.0"),
        );
        assert_eq!(id(&ran), i.digest);
        // Another share class or purpose, same arch and suite: same build.
        let moved = with(
            &a,
            "host_hostflags",
            Some("arch-amd64,suite-bookworm,purpose-build"),
        );
        assert_eq!(id(&moved), i.digest);
    }

    #[test]
    fn scheduling_only_and_synthetic_runvars_do_not_count() {
        let a = kern();
        let base = id(&a);
        for (k, v) in [
            ("hostalloc_bonus_previousfail", "0"),
            ("hostalloc_maxbonus_variation", "0"),
            ("build_lvextend_max", "50"),
        ] {
            assert_eq!(id(&with(&a, k, Some(v))), base, "{k}");
        }
        // A runvar the job recorded as it ran, whatever its name.
        let mut ran = with(&a, "dom0_mem_recorded", Some("512M"));
        assert_ne!(id(&ran), base);
        ran.synth.insert("dom0_mem_recorded".into());
        assert_eq!(id(&ran), base);
    }

    #[test]
    fn rebuild_reasons_name_the_cause() {
        let here = kern();
        let current = Flight {
            jobs: [("build-arm64-pvops".to_owned(), here.clone())].into(),
        };
        let ran = |j: &Job, status: Option<&str>| {
            let mut j = with(
                &with(
                    &with(j, "path_kerndist", Some("build/k.tar.gz")),
                    "kernel_ver",
                    Some("6.1"),
                ),
                "host",
                Some("italia0"),
            );
            j.status = status.map(Into::into);
            j
        };
        let why = |earlier: Job| {
            let fl: Flights = [(
                "180000".to_owned(),
                Flight {
                    jobs: [("build-arm64-pvops".to_owned(), earlier)].into(),
                },
            )]
            .into();
            let p = reuse_candidates(&current, &fl);
            assert!(p.reuse.is_empty(), "{p:?}");
            p.rebuild[0].reason.clone()
        };
        let prefix = "no earlier build will do: 180000.build-arm64-pvops: ";
        assert_eq!(
            why(ran(&here, None)),
            format!(
                "{prefix}no status (a listing carries none: read the flight from osstest's database)"
            )
        );
        assert_eq!(
            why(ran(&here, Some("fail"))),
            format!("{prefix}status fail, not pass")
        );
        let native = with(
            &here,
            "host_hostflags",
            Some("share-build-bookworm-arm64,arch-arm64,suite-bookworm,purpose-build"),
        );
        assert_eq!(
            why(ran(&native, Some("pass"))),
            format!(
                "{prefix}built on arm64 (native) there, on amd64 (cross) here: \
                 different compilers, a different build"
            )
        );
        let other = with(&here, "kconfig_override_y", Some("CONFIG_EXT4_FS"));
        assert_eq!(
            why(ran(&other, Some("pass"))),
            format!("{prefix}input kconfig_override_y differs: CONFIG_EXT4_FS there, (unset) here")
        );
        let unrecorded = with(&ran(&here, Some("pass")), "kernel_ver", None);
        assert_eq!(
            why(unrecorded),
            format!("{prefix}passed, but recorded no kernel_ver")
        );
        let p = reuse_candidates(&current, &Flights::new());
        assert_eq!(p.rebuild[0].reason, "no earlier flights given");
        // Reused once it passed, however its scheduling differed.
        let smoke = with(
            &ran(&here, Some("pass")),
            "hostalloc_maxbonus_variation",
            Some("0"),
        );
        let fl: Flights = [(
            "180000".to_owned(),
            Flight {
                jobs: [("build-arm64-pvops".to_owned(), smoke)].into(),
            },
        )]
        .into();
        assert_eq!(reuse_candidates(&current, &fl).reuse.len(), 1);
    }

    #[test]
    fn inputs_count() {
        let a = kern();
        let base = id(&a);
        for (k, v) in [
            ("revision_linux", "fedcba9876543210fedcba9876543210fedcba98"),
            ("kconfighow", "create-config-sh"),
            ("kconfig_override_y", "CONFIG_EXT4_FS"),
            ("arch", "armhf"),
            ("tree_linux", "git://example.org/linux.git"),
            (
                "host_hostflags",
                "share-build-trixie-amd64,arch-amd64,suite-trixie,purpose-build",
            ),
        ] {
            assert_ne!(id(&with(&a, k, Some(v))), base, "{k}");
        }
        // Native on arm64 is not the same build as cross from amd64.
        let native = with(
            &a,
            "host_hostflags",
            Some("share-build-bookworm-arm64,arch-arm64,suite-bookworm,purpose-build"),
        );
        assert_ne!(id(&native), base);
    }

    #[test]
    fn built_revision_pins_an_unpinned_tree() {
        let a = with(&kern(), "revision_linux", Some("master"));
        let e = build_identity("build-arm64-pvops", &a)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "job build-arm64-pvops: runvar revision_linux=master: not a commit id, and no built_revision_linux: tree_linux is not pinned"
        );
        let b = with(
            &a,
            "built_revision_linux",
            Some("0123456789abcdef0123456789abcdef01234567"),
        );
        assert_eq!(id(&b), id(&kern()));
    }

    #[test]
    fn identity_errors_name_job_and_runvar() {
        let e = |j: &Job| {
            build_identity("build-arm64-pvops", j)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e(&with(&kern(), "revision_linux", None)),
            "job build-arm64-pvops: runvar revision_linux not set (tree_linux is not pinned to a commit)"
        );
        assert_eq!(
            e(&with(&kern(), "arch", None)),
            "job build-arm64-pvops: runvar arch not set (the architecture built for)"
        );
        assert_eq!(
            e(&with(&kern(), "buildjob", Some("build-arm64"))),
            "job build-arm64-pvops: runvar buildjob=build-arm64: the build uses another job's output, so it has no identity of its own"
        );
        assert_eq!(
            e(&with(&kern(), "host_hostflags", Some("arch-amd64"))),
            "job build-arm64-pvops: no suite for the build host: set runvar host_suite or suite, \
             or a suite-SUITE hostflag in host_hostflags"
        );
        assert_eq!(
            e(&with(&kern(), "build_arch", Some("arm64"))),
            "job build-arm64-pvops: runvar build_arch=arm64 but host_hostflags has arch-amd64: \
             the host would be allocated as one architecture and built on as the other"
        );
    }

    fn flight_with_referrer() -> Flight {
        let mut f = plain::read(KERN, "k").unwrap();
        let t = f.jobs.entry("test-arm64-arm64-xl".into()).or_default();
        t.runvars.insert("arch".into(), "arm64".into());
        t.runvars
            .insert("kernbuildjob".into(), "build-arm64-pvops".into());
        t.runvars
            .insert("dikernelbuildjob".into(), "build-arm64-pvops".into());
        f
    }

    fn plan(reference: &str, referrers: &[&str]) -> ReusePlan {
        ReusePlan {
            reuse: vec![Reuse {
                job: "build-arm64-pvops".into(),
                reference: reference.into(),
                flight: "4000".into(),
                earlier_job: "build-arm64-pvops".into(),
                identity: "0".repeat(64),
                referrers: referrers.iter().map(|s| s.to_string()).collect(),
            }],
            rebuild: vec![],
        }
    }

    #[test]
    fn apply_reuse_checks_the_plan() {
        let all = [
            "test-arm64-arm64-xl dikernelbuildjob",
            "test-arm64-arm64-xl kernbuildjob",
        ];
        let mut f = flight_with_referrer();
        let r = apply_reuse(&mut f, &plan("4000.build-arm64-pvops", &all)).unwrap();
        assert_eq!(r.changes.len(), 2);
        assert_eq!(
            f.jobs["test-arm64-arm64-xl"].get("kernbuildjob"),
            Some("4000.build-arm64-pvops")
        );

        let e = |p: &ReusePlan| {
            let mut f = flight_with_referrer();
            let before = f.clone();
            let e = apply_reuse(&mut f, p).unwrap_err().to_string();
            assert_eq!(f, before, "nothing changed on error: {e}");
            e
        };
        assert_eq!(
            e(&plan("4000.build-arm64-pvops\ntest-x arch amd64", &all)),
            "reuse plan: build-arm64-pvops as \"4000.build-arm64-pvops\\ntest-x arch amd64\": \
             not a reference to another flight's job (FLIGHT.JOB)"
        );
        // The job pointing at itself: its referrers would name a job that is gone.
        assert_eq!(
            e(&plan("build-arm64-pvops", &all)),
            "reuse plan: build-arm64-pvops as \"build-arm64-pvops\": \
             not a reference to another flight's job (FLIGHT.JOB)"
        );
        assert_eq!(
            e(&plan(".build-arm64-pvops", &all)),
            "reuse plan: build-arm64-pvops as \".build-arm64-pvops\": \
             not a reference to another flight's job (FLIGHT.JOB)"
        );
        assert_eq!(
            e(&plan("4000.build-arm64-pvops", &all[..1])),
            "reuse plan: build-arm64-pvops is removed, but job test-arm64-arm64-xl \
             runvar kernbuildjob still names it (the plan is not for this flight)"
        );
    }
}
