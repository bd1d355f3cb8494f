//! Build identity, and reusing ARM kernel builds across flights.
//!
//! Two build jobs with the same [`BuildIdentity`] produce the same output,
//! so a later flight can name the earlier job (`12345.build-arm64-pvops`)
//! instead of building again: [`reuse_candidates`] proposes which, and
//! [`apply_reuse`] rewrites the flight's references accordingly. The identity is computed from the job's
//! runvars alone (so a `ts-` script can compute it from `%r`; the recipe is
//! left out, the runvars already tell a kernel build from a Xen build),
//! leaving out those that say where or when it ran or what it produced:
//!
//! - left out: host flags (`hostflags`, `host_hostflags`, `all_hostflags`,
//!   any `*_hostflags`), the host (`host`, `*_host`), outputs (`path_*`,
//!   `kernel_ver`) and the `built_*` runvars a build records;
//! - taken from the job's [`BuildPlan`] instead of the runvars that give
//!   them (`build_arch`, `host_suite`, `suite`, and the `arch-*` and
//!   `suite-*` host flags): the build arch (`build_arch`) and the suite
//!   (`suite`), since they choose the compiler;
//! - every other runvar is kept (trees, revisions, `arch`, `kconfighow`,
//!   `kconfig_override_*`, `enable_*`, ...): an unknown runvar makes two
//!   builds differ rather than wrongly match.
//!
//! A job whose runvars do not make a build plan has no identity (the
//! plan's error says why). Each `tree_X` must come with a pinned `revision_X` (a commit id); for a
//! build that ran, `built_revision_X` pins one that was not. A build job
//! that names another job (`buildjob=...`) has no identity of its own: its
//! output depends on that job's.
//!
//! **Cross and native builds differ.** `build_arch` is part of the
//! identity, so an arm64 kernel cross-built on amd64 and one built natively
//! on arm64 from the same inputs are different builds. They come from
//! different compiler packages (`gcc-aarch64-linux-gnu` against `gcc`),
//! need not be byte-identical, and a test failure must be traceable to one
//! toolchain. Once ARM kernels are always cross-built, cross builds are
//! reused among themselves; native builds from before the change are not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::cross::Change;
use super::reference::{JobRef, KERNDIST, KERNEL_VER};
use super::{Flight, FlightError, Flights, Job};
use crate::build::plan::{BuildPlan, BUILD_ARCH_RUNVAR};

/// What a build's output depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildIdentity {
    /// SHA-256 (hex) of the inputs as a compact JSON object in name order
    /// (unambiguous whatever the values hold).
    pub digest: String,
    /// The inputs: the runvars that count, `build_arch`, `suite`.
    pub inputs: BTreeMap<String, String>,
}

/// The identity of build job `name` (see the [module docs](self)).
///
/// Errors name the job and the runvar: a tree without a pinned revision, a
/// reference to another job, no `arch`, or runvars that do not make a
/// [`BuildPlan`] (the plan's message).
pub fn build_identity(name: &str, job: &Job) -> Result<BuildIdentity, FlightError> {
    runvars_identity(name, &job.runvars)
}

/// The identity of a build job from its runvars alone (`%r`); `name` is
/// the job, for messages.
pub fn runvars_identity(
    name: &str,
    runvars: &BTreeMap<String, String>,
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
        if k.ends_with("_hostflags")
            || k == "hostflags"
            || [BUILD_ARCH_RUNVAR, "host_suite", "suite"].contains(&k.as_str())
            || k == "host"
            || k.ends_with("_host")
            || k.starts_with("path_")
            || k.starts_with("built_")
            || k == KERNEL_VER
        {
            continue;
        }
        inputs.insert(k.clone(), v.clone());
    }
    for (k, tree) in runvars {
        let Some(t) = k.strip_prefix("tree_") else {
            continue;
        };
        if tree.is_empty() {
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

/// A kernel build job of this flight that must run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rebuild {
    /// The job.
    pub job: String,
    /// Why no earlier build will do.
    pub reason: String,
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
/// whose identity cannot be computed are never candidates.
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
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let found = order.iter().find_map(|f| {
            earlier[*f]
                .jobs
                .iter()
                .find(|(n, j)| {
                    j.is_kernel_build(n)
                        && j.status.as_deref() == Some("pass")
                        && j.get(KERNDIST).is_some()
                        && j.get(KERNEL_VER).is_some()
                        && build_identity(n, j).is_ok_and(|e| e.digest == id.digest)
                })
                .map(|(n, _)| (f.to_string(), n.clone()))
        });
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
                reason: format!("no earlier passing build with identity {}", id.digest),
            }),
        }
    }
    plan
}

/// Applies the reuse half of a [`ReusePlan`] to `flight`: each referrer
/// runvar is set to the earlier job's `FLIGHT.JOB` and the job it replaces
/// is removed. Returns the runvars changed (removed jobs are not listed).
///
/// The plan must have been made for this flight: a referrer naming a job or
/// runvar the flight does not have is an error, and nothing is changed.
pub fn apply_reuse(flight: &mut Flight, plan: &ReusePlan) -> Result<Vec<Change>, FlightError> {
    let mut changes = Vec::new();
    for r in &plan.reuse {
        let context = format!("reuse of {} as {}", r.job, r.reference);
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
    for c in &changes {
        let job = flight.jobs.get_mut(&c.job).expect("checked above");
        job.runvars.insert(c.runvar.clone(), c.new.clone());
    }
    for r in &plan.reuse {
        flight.jobs.remove(&r.job);
    }
    Ok(changes)
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
}
