// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The ARM cross rewrite of a flight.
//!
//! For each job whose `arch` is one of [`ARM_ARCHES`]:
//!
//! - a kernel build job keeps `arch` (the target) and gets an x86 build
//!   host: `build_arch=BUILD` (the build plan's explicit cross runvar), and
//!   in its host flags (`host_hostflags`, and `hostflags` or
//!   `all_hostflags` if it has them) `arch-TARGET` becomes `arch-BUILD` and
//!   `share-build-SUITE-TARGET` becomes `share-build-SUITE-BUILD`, so it
//!   shares build hosts with the native BUILD builds of that suite (an
//!   `arch-BUILD` flag is added if it had no `arch-*` flag). The result
//!   must be a cross build from BUILD by [`BuildPlan::from_runvars`]'s
//!   rules, or the rewrite fails with the plan's error;
//! - a test job gets [`DIKERNEL_RUNVAR`] naming the kernel build job of
//!   its arch: the one it already names in `kernbuildjob` if that is one,
//!   else the flight's only kernel build job for that arch.
//!
//! **A pinned host wins.** A kernel build job with a `host` runvar (a
//! bisection pins `host=NAME` to rerun a job where it ran) is left alone
//! and reported in [`Rewrite::pinned`]: moving it to an amd64 build host
//! would contradict the pin (the pinned host is an ARM one unless the job
//! is already a cross build, in which case nothing needs changing), and a
//! bisection must rebuild what it is bisecting, natively as before. Its
//! test jobs still get their installer-kernel reference, to the native
//! build. An error instead would stop every bisection of an ARM flight.
//!
//! Jobs of other architectures are left alone, so an x86 flight comes out
//! unchanged; and so does a flight already rewritten (the rewrite is
//! idempotent). An installer-kernel reference already present is kept
//! (it may name an earlier flight's build, see
//! [`identity`](super::identity)) once checked. A flight does not know its
//! own number, so a `FLIGHT.JOB` reference is taken as another flight's
//! and kept unchecked. Everything is checked before anything is changed: on
//! error the flight is as it was.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::reference::JobRef;
use super::{Flight, FlightError, Job, ARM_ARCHES, DIKERNEL_RUNVAR};
use crate::build::arch::Arch;
use crate::build::plan::{BuildPlan, ALL_HOSTFLAGS_RUNVAR, BUILD_ARCH_RUNVAR, HOSTFLAGS_RUNVARS};

/// The build host architecture the rewrite moves ARM kernel builds to.
pub const DEFAULT_BUILD_ARCH: &str = "amd64";

/// One runvar a rewrite set ([`cross_arm`], or
/// [`apply_reuse`](super::identity::apply_reuse)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// The job.
    pub job: String,
    /// The runvar.
    pub runvar: String,
    /// Its value before, if it had one.
    pub old: Option<String>,
    /// Its value now.
    pub new: String,
}

/// A kernel build job the rewrite left alone because its host is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    /// The job.
    pub job: String,
    /// The host it is pinned to (its `host` runvar).
    pub host: String,
    /// What was not done, for logs.
    pub message: String,
}

/// What a rewrite did to a flight: [`cross_arm`]'s or
/// [`apply_reuse`](super::identity::apply_reuse)'s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rewrite {
    /// The runvars set, in job order.
    pub changes: Vec<Change>,
    /// The jobs removed, replaced by an earlier flight's (reuse only).
    pub removed: Vec<String>,
    /// The kernel build jobs left alone because their host is pinned.
    pub pinned: Vec<Pinned>,
}

/// Rewrites `flight` so its ARM kernels are built on `build_arch` hosts
/// and its ARM test jobs install with them (see the [module docs](self)).
/// Returns the runvars changed, in job order (none for an x86 flight or a
/// second run), and the kernel builds left alone for a pinned host.
pub fn cross_arm(flight: &mut Flight, build_arch: &str) -> Result<Rewrite, FlightError> {
    let bad_option = |message: String| FlightError::BadRunvar {
        job: "(options)".to_owned(),
        runvar: BUILD_ARCH_RUNVAR.to_owned(),
        value: build_arch.to_owned(),
        message,
    };
    Arch::by_debian(build_arch).map_err(|e| bad_option(e.to_string()))?;
    if ARM_ARCHES.contains(&build_arch) {
        return Err(bad_option(
            "the rewrite moves ARM kernel builds off ARM build hosts".to_owned(),
        ));
    }
    let mut changes = Vec::new();
    let mut pinned = Vec::new();
    for (name, job) in &flight.jobs {
        let Some(arch) = job.arch().filter(|a| ARM_ARCHES.contains(a)) else {
            continue;
        };
        if job.is_kernel_build(name) {
            let mut moved = Vec::new();
            cross_build_host(name, job, arch, build_arch, &mut moved)?;
            match job
                .get("host")
                .filter(|h| !h.is_empty() && !moved.is_empty())
            {
                Some(host) => pinned.push(Pinned {
                    job: name.clone(),
                    host: host.to_owned(),
                    message: format!(
                        "job {name}: runvar host={host} pins the build to that host: \
                         left as it is, not moved to a build host of arch {build_arch}"
                    ),
                }),
                None => changes.append(&mut moved),
            }
        } else if !job.is_build(name) {
            let want = installer_kernel(flight, name, job, arch)?;
            if job.get(DIKERNEL_RUNVAR) != Some(want.as_str()) {
                changes.push(Change {
                    job: name.clone(),
                    runvar: DIKERNEL_RUNVAR.to_owned(),
                    old: job.get(DIKERNEL_RUNVAR).map(str::to_owned),
                    new: want,
                });
            }
        }
    }
    for c in &changes {
        let job = flight
            .jobs
            .get_mut(&c.job)
            .expect("changes name jobs of the flight");
        job.set(&c.runvar, &c.new);
    }
    Ok(Rewrite {
        changes,
        removed: Vec::new(),
        pinned,
    })
}

/// The runvar changes that put kernel build job `name` for `target` on a
/// `build` host, checked against the build plan's rules.
fn cross_build_host(
    name: &str,
    job: &Job,
    target: &str,
    build: &str,
    changes: &mut Vec<Change>,
) -> Result<(), FlightError> {
    let mut runvars = job.runvars.clone();
    let mut set = |runvar: &str, new: String, runvars: &mut BTreeMap<String, String>| {
        let old = runvars.insert(runvar.to_owned(), new.clone());
        if old.as_deref() != Some(new.as_str()) {
            changes.push(Change {
                job: name.to_owned(),
                runvar: runvar.to_owned(),
                old,
                new,
            });
        }
    };
    set(BUILD_ARCH_RUNVAR, build.to_owned(), &mut runvars);
    let mut arch_flag = false;
    // The build plan's hostflags and the ones every host needs.
    for &runvar in HOSTFLAGS_RUNVARS.iter().chain([&ALL_HOSTFLAGS_RUNVAR]) {
        let Some(old) = job.get(runvar) else { continue };
        let new = cross_hostflags(old, target, build);
        arch_flag |= new.split(',').any(|f| f.trim().starts_with("arch-"));
        set(runvar, new, &mut runvars);
    }
    if !arch_flag {
        // Without an arch-* flag any host could be allocated; the build
        // host is chosen by its arch.
        let new = match job.get("host_hostflags") {
            Some(old) if !old.is_empty() => format!("{old},arch-{build}"),
            _ => format!("arch-{build}"),
        };
        set("host_hostflags", new, &mut runvars);
    }
    let plan = BuildPlan::from_runvars(&runvars).map_err(|source| FlightError::Plan {
        job: name.to_owned(),
        source: Box::new(source),
    })?;
    // build_arch is set and agrees with any arch-* flag, or the plan is an
    // error; and cross_arm refuses an ARM build arch.
    debug_assert!(plan.is_cross() && plan.build.debian == build && plan.target.debian == target);
    Ok(())
}

/// `flags` with the build host moved from `target` to `build`: `arch-T`
/// becomes `arch-B` and `share-build-SUITE-T` becomes
/// `share-build-SUITE-B` (the build plan's rule: a sharing class describes
/// the build host); other flags stay, in order. Spaces around a flag are
/// dropped (the build plan ignores them; kept, ` arch-T` would stay beside
/// a new `arch-B`). Whether the result makes sense is
/// [`BuildPlan::from_runvars`]'s to say.
fn cross_hostflags(flags: &str, target: &str, build: &str) -> String {
    let arch_t = format!("arch-{target}");
    let share_suffix = format!("-{target}");
    flags
        .split(',')
        .map(str::trim)
        .map(|f| {
            if f == arch_t {
                format!("arch-{build}")
            } else if let Some(suite) = f
                .strip_prefix("share-build-")
                .and_then(|r| r.strip_suffix(&share_suffix))
            {
                format!("share-build-{suite}-{build}")
            } else {
                f.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The installer-kernel reference test job `name` (for `arch`) should have.
fn installer_kernel(
    flight: &Flight,
    name: &str,
    job: &Job,
    arch: &str,
) -> Result<String, FlightError> {
    // A reference to this flight's job must name a kernel build for `arch`;
    // one to another flight is taken as it is (that flight is not here).
    let check = |runvar: &str, value: &str| -> Result<(), FlightError> {
        let r = JobRef::parse(value, "", name, runvar)?;
        if r.is_other_flight("") {
            return Ok(());
        }
        let wrong = |message: String| FlightError::WrongJob {
            job: name.to_owned(),
            runvar: runvar.to_owned(),
            value: value.to_owned(),
            message,
        };
        let k = flight
            .job(&r.job)
            .ok_or_else(|| wrong("no such job in the flight".to_owned()))?;
        if !k.is_kernel_build(&r.job) {
            return Err(wrong(format!("{} is not a kernel build job", r.job)));
        }
        match k.arch() {
            Some(a) if a == arch => Ok(()),
            other => Err(wrong(format!(
                "{} builds for {}, the test job is {arch}",
                r.job,
                other.unwrap_or("(no arch)")
            ))),
        }
    };
    if let Some(v) = job.get(DIKERNEL_RUNVAR) {
        check(DIKERNEL_RUNVAR, v)?;
        return Ok(v.to_owned());
    }
    if let Some(v) = job.get("kernbuildjob") {
        check("kernbuildjob", v)?;
        return Ok(v.trim_start_matches('.').to_owned());
    }
    let found: Vec<&String> = flight
        .jobs
        .iter()
        .filter(|(n, j)| j.is_kernel_build(n) && j.arch() == Some(arch))
        .map(|(n, _)| n)
        .collect();
    match found.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(FlightError::NoKernelBuild {
            job: name.to_owned(),
            arch: arch.to_owned(),
            message: format!("no kernel build job for {arch} in the flight, and no kernbuildjob"),
        }),
        many => Err(FlightError::NoKernelBuild {
            job: name.to_owned(),
            arch: arch.to_owned(),
            message: format!(
                "{} kernel build jobs for {arch} ({}) and no kernbuildjob to choose",
                many.len(),
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flight::plain;

    const ARM: &str = "\
build-armhf-pvops   recipe          build-kern
build-armhf-pvops   arch            armhf
build-armhf-pvops   kconfighow      xen-enable-xen-config
build-armhf-pvops   host_hostflags  share-build-bookworm-armhf,arch-armhf,suite-bookworm,purpose-build
build-armhf         recipe          build
build-armhf         arch            armhf
build-armhf         host_hostflags  share-build-bookworm-armhf,arch-armhf,suite-bookworm,purpose-build
test-armhf-armhf-xl recipe          test-debian
test-armhf-armhf-xl arch            armhf
test-armhf-armhf-xl kernbuildjob    build-armhf-pvops
test-armhf-armhf-xl all_hostflags   arch-armhf,arch-xen-armhf,suite-bookworm,purpose-test
";

    fn arm() -> Flight {
        plain::read(ARM, "arm").unwrap()
    }

    #[test]
    fn hostflags_rule() {
        let x = |f| cross_hostflags(f, "arm64", "amd64");
        assert_eq!(
            x("share-build-bookworm-arm64,arch-arm64,suite-bookworm,purpose-build"),
            "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build"
        );
        assert_eq!(x("arch-amd64,purpose-build"), "arch-amd64,purpose-build");
        assert_eq!(x("arch-arm64,arch-i386"), "arch-amd64,arch-i386");
        assert_eq!(
            x("!arch-arm64,arch-xen-arm64"),
            "!arch-arm64,arch-xen-arm64"
        );
        // Spaces around a flag are not part of it (the build plan trims
        // them too).
        assert_eq!(
            x("share-build-bookworm-arm64 , arch-arm64 ,suite-bookworm"),
            "share-build-bookworm-amd64,arch-amd64,suite-bookworm"
        );
    }

    #[test]
    fn spaces_in_hostflags_are_not_a_second_arch() {
        let mut f = arm();
        f.jobs.get_mut("build-armhf-pvops").unwrap().runvars.insert(
            "host_hostflags".into(),
            "share-build-bookworm-armhf, arch-armhf ,suite-bookworm".into(),
        );
        cross_arm(&mut f, "amd64").unwrap();
        assert_eq!(
            f.jobs["build-armhf-pvops"].get("host_hostflags"),
            Some("share-build-bookworm-amd64,arch-amd64,suite-bookworm")
        );
    }

    #[test]
    fn rewrites_kernel_build_and_test_then_nothing() {
        let mut f = arm();
        let changes = cross_arm(&mut f, "amd64").unwrap().changes;
        let summary: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.job.as_str(), c.runvar.as_str(), c.new.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("build-armhf-pvops", "build_arch", "amd64"),
                (
                    "build-armhf-pvops",
                    "host_hostflags",
                    "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build"
                ),
                (
                    "test-armhf-armhf-xl",
                    "dikernelbuildjob",
                    "build-armhf-pvops"
                ),
            ]
        );
        // The Xen build stays native; arch stays the target.
        assert_eq!(f.jobs["build-armhf"], arm().jobs["build-armhf"]);
        assert_eq!(f.jobs["build-armhf-pvops"].arch(), Some("armhf"));
        let again = f.clone();
        assert!(cross_arm(&mut f, "amd64").unwrap().changes.is_empty());
        assert_eq!(f, again);
    }

    #[test]
    fn errors_leave_the_flight_alone() {
        let mut f = arm();
        f.jobs
            .get_mut("test-armhf-armhf-xl")
            .unwrap()
            .runvars
            .remove("kernbuildjob");
        let mut second = f.jobs["build-armhf-pvops"].clone();
        second
            .runvars
            .insert("kconfighow".into(), "create-config-sh".into());
        f.jobs.insert("build-armhf-oldkern".into(), second);
        let before = f.clone();
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job test-armhf-armhf-xl (arch armhf): 2 kernel build jobs for armhf \
             (build-armhf-oldkern, build-armhf-pvops) and no kernbuildjob to choose"
        );
        assert_eq!(f, before);

        let mut f = arm();
        f.jobs.remove("build-armhf-pvops");
        f.jobs
            .get_mut("test-armhf-armhf-xl")
            .unwrap()
            .runvars
            .remove("kernbuildjob");
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job test-armhf-armhf-xl (arch armhf): no kernel build job for armhf in the flight, and no kernbuildjob"
        );

        let mut f = arm();
        let t = f.jobs.get_mut("test-armhf-armhf-xl").unwrap();
        t.runvars
            .insert("kernbuildjob".into(), "build-armhf".into());
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job test-armhf-armhf-xl: runvar kernbuildjob=build-armhf: build-armhf is not a kernel build job"
        );

        let mut f = arm();
        let t = f.jobs.get_mut("test-armhf-armhf-xl").unwrap();
        t.runvars
            .insert(DIKERNEL_RUNVAR.into(), "build-arm64-pvops".into());
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job test-armhf-armhf-xl: runvar dikernelbuildjob=build-arm64-pvops: no such job in the flight"
        );

        let mut f = arm();
        f.jobs
            .get_mut("build-armhf-pvops")
            .unwrap()
            .runvars
            .remove("host_hostflags");
        let before = f.clone();
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job build-armhf-pvops: no suite for the build host: set runvar host_suite or suite, \
             or a suite-SUITE hostflag in host_hostflags"
        );
        assert_eq!(f, before);
        // Given a suite, an arch-* flag is added so the host is an amd64 one.
        f.jobs
            .get_mut("build-armhf-pvops")
            .unwrap()
            .runvars
            .insert("host_suite".into(), "bookworm".into());
        cross_arm(&mut f, "amd64").unwrap();
        assert_eq!(
            f.jobs["build-armhf-pvops"].get("host_hostflags"),
            Some("arch-amd64")
        );

        let mut f = arm();
        f.jobs
            .get_mut("build-armhf-pvops")
            .unwrap()
            .runvars
            .insert("host_hostflags".into(), "arch-armhf,arch-i386".into());
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job build-armhf-pvops: two arch-* hostflags for the build host: \
             arch-amd64 (in host_hostflags) and arch-i386 (in host_hostflags)"
        );

        let mut f = arm();
        f.jobs.get_mut("build-armhf-pvops").unwrap().runvars.insert(
            "host_hostflags".into(),
            "share-build-bookworm-i386,arch-armhf,suite-bookworm".into(),
        );
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job build-armhf-pvops: host_hostflags: hostflag share-build-bookworm-i386 shares build hosts \
             of arch i386, but this job's build host is amd64 (runvar build_arch=amd64); a cross build \
             shares the build host's class"
        );

        let mut f = arm();
        assert_eq!(
            cross_arm(&mut f, "armhf").unwrap_err().to_string(),
            "job (options): runvar build_arch=armhf: the rewrite moves ARM kernel builds off ARM build hosts"
        );

        let mut f = arm();
        assert!(cross_arm(&mut f, "vax")
            .unwrap_err()
            .to_string()
            .starts_with(
                "job (options): runvar build_arch=vax: unknown Debian architecture 'vax'"
            ));
    }

    #[test]
    fn pinned_host_left_alone_and_reported() {
        let mut f = arm();
        let k = f.jobs.get_mut("build-armhf-pvops").unwrap();
        k.runvars.insert("host".into(), "cubietruck-gleizes".into());
        let before = f.jobs["build-armhf-pvops"].clone();
        let r = cross_arm(&mut f, "amd64").unwrap();
        assert_eq!(f.jobs["build-armhf-pvops"], before);
        assert_eq!(
            r.pinned,
            [Pinned {
                job: "build-armhf-pvops".into(),
                host: "cubietruck-gleizes".into(),
                message: "job build-armhf-pvops: runvar host=cubietruck-gleizes pins the build \
                          to that host: left as it is, not moved to a build host of arch amd64"
                    .into(),
            }]
        );
        // Its test job still gets the installer kernel: the native build.
        assert_eq!(
            r.changes
                .iter()
                .map(|c| (c.job.as_str(), c.new.as_str()))
                .collect::<Vec<_>>(),
            [("test-armhf-armhf-xl", "build-armhf-pvops")]
        );
        // Pinned to a host once already cross: nothing to do, nothing said.
        let mut g = arm();
        cross_arm(&mut g, "amd64").unwrap();
        g.jobs
            .get_mut("build-armhf-pvops")
            .unwrap()
            .runvars
            .insert("host".into(), "italia0".into());
        let again = cross_arm(&mut g, "amd64").unwrap();
        assert_eq!(again, Rewrite::default());
    }

    #[test]
    fn other_flight_reference_kept() {
        let mut f = arm();
        let t = f.jobs.get_mut("test-armhf-armhf-xl").unwrap();
        t.runvars
            .insert(DIKERNEL_RUNVAR.into(), "4000.build-armhf-pvops".into());
        let changes = cross_arm(&mut f, "amd64").unwrap().changes;
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(changes.iter().all(|c| c.job == "build-armhf-pvops"));
        assert_eq!(
            f.jobs["test-armhf-armhf-xl"].get(DIKERNEL_RUNVAR),
            Some("4000.build-armhf-pvops")
        );
    }

    #[test]
    fn kernbuildjob_of_another_flight_is_followed() {
        let mut f = arm();
        let t = f.jobs.get_mut("test-armhf-armhf-xl").unwrap();
        t.runvars
            .insert("kernbuildjob".into(), "4000.build-armhf-pvops".into());
        cross_arm(&mut f, "amd64").unwrap();
        assert_eq!(
            f.jobs["test-armhf-armhf-xl"].get(DIKERNEL_RUNVAR),
            Some("4000.build-armhf-pvops")
        );
        // A leading dot means this flight, as in osstest.
        let mut f = arm();
        let t = f.jobs.get_mut("test-armhf-armhf-xl").unwrap();
        t.runvars
            .insert("kernbuildjob".into(), ".build-armhf-pvops".into());
        cross_arm(&mut f, "amd64").unwrap();
        assert_eq!(
            f.jobs["test-armhf-armhf-xl"].get(DIKERNEL_RUNVAR),
            Some("build-armhf-pvops")
        );
    }
}
