// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Flights: the ARM cross rewrite on realistic flights against checked-in
//! golden files, its references, and build reuse across flights.
//!
//! The fixtures in tests/flights/ are `job runvar value` listings as
//! osstest's `mg-show-flight-runvars` prints them (plus `recipe` and
//! `status` lines): a flight with amd64, armhf and arm64 builds and tests
//! (`arm-before.txt`, golden `arm-after.txt`), an x86-only flight
//! (`x86-before.txt`, golden `x86-after.txt`: unchanged) and an earlier flight
//! that ran (`earlier-180000.txt`); and osstest's own listings, exactly as
//! it prints them: that flight by `mg-show-flight-runvars -a`
//! (`earlier-180000-a.txt`) and two branches' flights by
//! `standalone-generate-dump-flight-runvars` (`dump-standalone.txt`). See
//! `tests/flights/README.md`.

use std::path::PathBuf;

use osstest_core::build::plan::BuildPlan;
use osstest_core::flight::cross::{cross_arm, DEFAULT_BUILD_ARCH};
use osstest_core::flight::identity::{apply_reuse, build_identity, reuse_candidates};
use osstest_core::flight::reference::{dikernel_outputs, JobRef};
use osstest_core::flight::{plain, Flight, Flights, DIKERNEL_RUNVAR};

fn fixture(name: &str) -> (String, Flight) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/flights")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let flight = plain::read(&text, name).unwrap();
    (text, flight)
}

fn crossed(name: &str) -> Flight {
    let (_, mut f) = fixture(name);
    cross_arm(&mut f, DEFAULT_BUILD_ARCH).unwrap();
    f
}

#[test]
fn arm_flight_matches_golden_and_is_idempotent() {
    let (_, mut f) = fixture("arm-before.txt");
    let changes = cross_arm(&mut f, DEFAULT_BUILD_ARCH).unwrap().changes;
    assert_eq!(changes.len(), 7, "{changes:?}");
    let (golden, _) = fixture("arm-after.txt");
    assert_eq!(plain::write(&f).unwrap(), golden);
    let once = f.clone();
    assert!(cross_arm(&mut f, DEFAULT_BUILD_ARCH)
        .unwrap()
        .changes
        .is_empty());
    assert_eq!(f, once);
    // The JSON form carries the same flight.
    assert_eq!(Flight::from_json(&f.to_json(), "json").unwrap(), f);
}

#[test]
fn x86_flight_untouched() {
    let (text, mut f) = fixture("x86-before.txt");
    assert!(cross_arm(&mut f, DEFAULT_BUILD_ARCH)
        .unwrap()
        .changes
        .is_empty());
    let (golden, _) = fixture("x86-after.txt");
    assert_eq!(plain::write(&f).unwrap(), golden);
    assert_eq!(golden, text);
}

/// Only ARM kernel build jobs and ARM test jobs change; nothing is removed.
#[test]
fn only_arm_kernel_builds_and_arm_tests_change() {
    let (_, before) = fixture("arm-before.txt");
    let after = crossed("arm-before.txt");
    assert_eq!(
        before.jobs.keys().collect::<Vec<_>>(),
        after.jobs.keys().collect::<Vec<_>>()
    );
    for (name, b) in &before.jobs {
        let a = &after.jobs[name];
        let arm = b.is_arm();
        if !arm || (b.is_build(name) && !b.is_kernel_build(name)) {
            assert_eq!(a, b, "{name} changed");
        }
        assert_eq!(a.arch(), b.arch(), "{name}: arch must stay the target");
        assert_eq!(a.recipe, b.recipe);
    }
}

/// Every ARM test job's installer-kernel reference names a kernel build job
/// of its own arch whose build plan is a cross build from amd64.
#[test]
fn arm_tests_reference_cross_built_kernels_of_their_arch() {
    let f = crossed("arm-before.txt");
    let mut seen = 0;
    for (name, job) in &f.jobs {
        if job.is_build(name) || !job.is_arm() {
            assert!(job.get(DIKERNEL_RUNVAR).is_none(), "{name}");
            continue;
        }
        seen += 1;
        let r =
            JobRef::parse(job.get(DIKERNEL_RUNVAR).unwrap(), "", name, DIKERNEL_RUNVAR).unwrap();
        let k = &f.jobs[&r.job];
        assert!(k.is_kernel_build(&r.job), "{name} -> {}", r.job);
        assert_eq!(k.arch(), job.arch(), "{name} -> {}", r.job);
        let plan = BuildPlan::from_runvars(&k.runvars).unwrap();
        assert!(plan.is_cross(), "{name} -> {}", r.job);
        assert_eq!(plan.build.debian, "amd64", "{name} -> {}", r.job);
        assert_eq!(Some(plan.target.debian), job.arch(), "{name} -> {}", r.job);
        let id = build_identity(&r.job, k).unwrap();
        assert_eq!(id.inputs["build_arch"], "amd64", "{name} -> {}", r.job);
    }
    assert_eq!(seen, 3);
}

/// As the flight runs, the kernel builds record their outputs; the test
/// jobs' references then resolve to them.
#[test]
fn references_resolve_once_built() {
    let mut f = crossed("arm-before.txt");
    for (name, job) in f.jobs.iter_mut() {
        if job.is_kernel_build(name) {
            job.runvars
                .insert("path_kerndist".into(), "build/kerndist.tar.gz".into());
            job.runvars.insert("kernel_ver".into(), "6.1.119+".into());
        }
    }
    let flights: Flights = [("180100".to_owned(), f)].into();
    let o = dikernel_outputs(&flights, "180100", "test-armhf-armhf-xl").unwrap();
    assert_eq!(o.kerndist, "180100/build-armhf-pvops/build/kerndist.tar.gz");
    assert_eq!(
        (o.arch.as_str(), o.kernel_ver.as_str()),
        ("armhf", "6.1.119+")
    );
    let o = dikernel_outputs(&flights, "180100", "test-arm64-arm64-xl-credit2").unwrap();
    assert_eq!(o.job, "build-arm64-pvops");
    let e = dikernel_outputs(&flights, "180100", "test-amd64-amd64-xl").unwrap_err();
    assert_eq!(
        e.to_string(),
        "job test-amd64-amd64-xl: runvar dikernelbuildjob not set (the installer kernel's build job)"
    );
}

#[test]
fn earlier_passing_identical_build_is_reused() {
    let current = crossed("arm-before.txt");
    let (_, earlier) = fixture("earlier-180000.txt");
    let plan = reuse_candidates(&current, &[("180000".to_owned(), earlier.clone())].into());
    assert_eq!(plan.reuse.len(), 1, "{plan:?}");
    let r = &plan.reuse[0];
    assert_eq!(
        (r.job.as_str(), r.reference.as_str()),
        ("build-arm64-pvops", "180000.build-arm64-pvops")
    );
    assert_eq!(
        r.referrers,
        [
            "test-arm64-arm64-xl dikernelbuildjob",
            "test-arm64-arm64-xl kernbuildjob",
            "test-arm64-arm64-xl-credit2 dikernelbuildjob",
            "test-arm64-arm64-xl-credit2 kernbuildjob"
        ]
    );
    // The armhf build failed in 180000: it must be built again.
    assert_eq!(plan.rebuild.len(), 1);
    assert_eq!(plan.rebuild[0].job, "build-armhf-pvops");
    assert_eq!(
        plan.rebuild[0].reason,
        "no earlier build will do: 180000.build-armhf-pvops: status fail, not pass"
    );

    // With the references in place, the installer kernel comes from 180000.
    let mut now = current.clone();
    let changes = apply_reuse(&mut now, &plan).unwrap().changes;
    assert_eq!(changes.len(), 4);
    assert!(now.job("build-arm64-pvops").is_none());
    assert_eq!(
        now.jobs["test-arm64-arm64-xl"].get("kernbuildjob"),
        Some("180000.build-arm64-pvops")
    );
    assert_eq!(now.jobs.len(), current.jobs.len() - 1);
    // The cross rewrite keeps such references: nothing changes.
    let mut again = now.clone();
    assert!(cross_arm(&mut again, DEFAULT_BUILD_ARCH)
        .unwrap()
        .changes
        .is_empty());
    // A plan for another flight is refused, and changes nothing.
    let mut other = crossed("x86-before.txt");
    let before = other.clone();
    assert_eq!(
        apply_reuse(&mut other, &plan).unwrap_err().to_string(),
        "reuse of build-arm64-pvops as 180000.build-arm64-pvops: flight being rewritten has no job build-arm64-pvops"
    );
    assert_eq!(other, before);
    let mut changed = current.clone();
    let t = changed.jobs.get_mut("test-arm64-arm64-xl-credit2").unwrap();
    t.runvars.remove("kernbuildjob");
    let before = changed.clone();
    assert_eq!(
        apply_reuse(&mut changed, &plan).unwrap_err().to_string(),
        "job test-arm64-arm64-xl-credit2: runvar kernbuildjob not set \
         (reuse of build-arm64-pvops as 180000.build-arm64-pvops names it as a referrer)"
    );
    assert_eq!(changed, before);
    let flights: Flights = [("180100".to_owned(), now), ("180000".to_owned(), earlier)].into();
    let o = dikernel_outputs(&flights, "180100", "test-arm64-arm64-xl").unwrap();
    assert_eq!(o.kerndist, "180000/build-arm64-pvops/build/kerndist.tar.gz");
    assert_eq!(
        o.deb.as_deref(),
        Some("180000/build-arm64-pvops/build/linux-image.deb")
    );
    assert_eq!(o.kernel_ver, "6.1.119+");
}

/// Earlier flights whose arm64 kernel build differs in one input, or did
/// not pass, offer nothing; the newest identical passing build wins.
#[test]
fn reuse_needs_same_inputs_and_a_pass() {
    let current = crossed("arm-before.txt");
    let (_, base) = fixture("earlier-180000.txt");
    let variant = |k: &str, v: &str| {
        let mut f = base.clone();
        f.jobs
            .get_mut("build-arm64-pvops")
            .unwrap()
            .runvars
            .insert(k.into(), v.into());
        f
    };
    let arm64_reuse = |earlier: Flights| {
        reuse_candidates(&current, &earlier)
            .reuse
            .into_iter()
            .find(|r| r.job == "build-arm64-pvops")
            .map(|r| r.reference)
    };
    let rev = "0000000000000000000000000000000000000001";
    for (k, v) in [
        ("revision_linux", rev),
        ("kconfig_override_y", "CONFIG_EXT4_FS"),
        ("kconfighow", "create-config-sh"),
        ("arch", "armhf"),
        (
            "host_hostflags",
            "share-build-bookworm-arm64,arch-arm64,suite-bookworm,purpose-build",
        ),
        (
            "host_hostflags",
            "share-build-trixie-amd64,arch-amd64,suite-trixie,purpose-build",
        ),
    ] {
        assert_eq!(
            arm64_reuse([("180000".into(), variant(k, v))].into()),
            None,
            "{k}={v}"
        );
    }
    let mut failed = base.clone();
    failed.jobs.get_mut("build-arm64-pvops").unwrap().status = Some("fail".into());
    assert_eq!(
        arm64_reuse([("180000".into(), failed.clone())].into()),
        None
    );
    let mut unknown = base.clone();
    unknown.jobs.get_mut("build-arm64-pvops").unwrap().status = None;
    assert_eq!(arm64_reuse([("180000".into(), unknown)].into()), None);
    let mut no_output = base.clone();
    no_output
        .jobs
        .get_mut("build-arm64-pvops")
        .unwrap()
        .runvars
        .remove("path_kerndist");
    assert_eq!(arm64_reuse([("180000".into(), no_output)].into()), None);

    // Newest passing identical build wins; a newer failed or different one
    // does not count.
    let flights: Flights = [
        ("99999".to_owned(), base.clone()),
        ("179990".to_owned(), base.clone()),
        ("180005".to_owned(), failed),
        ("180006".to_owned(), variant("revision_linux", rev)),
    ]
    .into();
    assert_eq!(
        arm64_reuse(flights).as_deref(),
        Some("179990.build-arm64-pvops")
    );
}

/// The digest is SHA-256 of the inputs as compact JSON, as `sha256sum`
/// computes it: anyone can recompute an identity from the inputs shown.
#[test]
fn identity_digest_is_sha256sum_of_the_inputs() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let f = crossed("arm-before.txt");
    let id = build_identity("build-armhf-pvops", &f.jobs["build-armhf-pvops"]).unwrap();
    let json = serde_json::to_vec(&id.inputs).unwrap();
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum (coreutils)");
    child.stdin.take().unwrap().write_all(&json).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let sum = String::from_utf8(out.stdout).unwrap();
    assert_eq!(sum.split_whitespace().next(), Some(id.digest.as_str()));
    assert_eq!(id.inputs["kconfig_override_y"], "CONFIG_EXT4_FS");
    assert_eq!(
        id.inputs["revision_linux"],
        "5b0a8e0b7f1c7e7f9b2f3c1d4e6a8b9c0d1e2f3a"
    );
    assert_eq!(id.inputs.len(), 9, "{:?}", id.inputs);
}

fn listing(name: &str) -> plain::Listing {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/flights")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    plain::read_listing(&text, name).unwrap()
}

/// `mg-show-flight-runvars -a` marks synthetic runvars with `~`: the mark
/// is kept apart from the name, so the kernel build's recorded outputs
/// resolve, and identity leaves out what the build recorded (`host~`).
/// (Before, `kernel_ver~` was a runvar of that name: "runvar kernel_ver
/// not set".)
#[test]
fn synth_marks_of_an_a_listing() {
    let l = listing("earlier-180000-a.txt");
    assert_eq!(l.form, plain::Form::RunvarsAll);
    let earlier = l.jobs.unwrap();
    let k = &earlier.jobs["build-arm64-pvops"];
    assert_eq!(k.get("kernel_ver"), Some("6.1.119+"));
    assert!(k.is_synth("kernel_ver") && k.is_synth("host") && k.is_synth("path_kerndist"));
    assert!(k.status.is_none(), "osstest's listings carry no status");
    // The same flight as our own listing of it (recipe and status lines,
    // no marks) has the same identity.
    let (_, ours) = fixture("earlier-180000.txt");
    for job in [
        "build-arm64-pvops",
        "build-armhf-pvops",
        "build-amd64-pvops",
    ] {
        assert_eq!(
            build_identity(job, &earlier.jobs[job]).unwrap(),
            build_identity(job, &ours.jobs[job]).unwrap(),
            "{job}"
        );
    }
    // The host is left out by its mark even under another name.
    let mut renamed = k.clone();
    let host = renamed.runvars.remove("host").unwrap();
    renamed.runvars.insert("build_host_name".into(), host);
    renamed.synth.insert("build_host_name".into());
    assert_eq!(
        build_identity("j", &renamed).unwrap(),
        build_identity("j", k).unwrap()
    );
    let mut current = crossed("arm-before.txt");
    let t = current.jobs.get_mut("test-arm64-arm64-xl").unwrap();
    t.set(DIKERNEL_RUNVAR, "180000.build-arm64-pvops");
    let flights: Flights = [
        ("180100".to_owned(), current),
        ("180000".to_owned(), earlier),
    ]
    .into();
    let o = dikernel_outputs(&flights, "180100", "test-arm64-arm64-xl").unwrap();
    assert_eq!(o.kernel_ver, "6.1.119+");
    assert_eq!(o.kerndist, "180000/build-arm64-pvops/build/kerndist.tar.gz");
    // Written back, it is the same listing (less osstest's value padding).
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/flights/earlier-180000-a.txt"),
    )
    .unwrap();
    let unpadded: String = text
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    assert_eq!(plain::write(&flights["180000"]).unwrap(), unpadded);
}

/// From osstest's listings alone reuse cannot be decided (no statuses),
/// and the reason says so, for each earlier build looked at.
#[test]
fn reuse_from_a_listing_says_why_not() {
    let current = crossed("arm-before.txt");
    let earlier = listing("earlier-180000-a.txt").jobs.unwrap();
    let plan = reuse_candidates(&current, &[("180000".to_owned(), earlier)].into());
    assert!(plan.reuse.is_empty());
    let reasons: Vec<(&str, &str)> = plan
        .rebuild
        .iter()
        .map(|r| (r.job.as_str(), r.reason.as_str()))
        .collect();
    let why = "no status (a listing carries none: read the flight from osstest's database)";
    assert_eq!(
        reasons,
        [
            (
                "build-arm64-pvops",
                format!("no earlier build will do: 180000.build-arm64-pvops: {why}").as_str()
            ),
            (
                "build-armhf-pvops",
                format!("no earlier build will do: 180000.build-armhf-pvops: {why}").as_str()
            ),
        ]
    );
    assert_eq!(
        plan.rebuild[0].considered[0].job,
        "180000.build-arm64-pvops"
    );
}

/// `standalone-generate-dump-flight-runvars` prefixes each line with the
/// branch: a flight per branch. (Before: "given twice".) The same kernel
/// build on two branches, differing only in scheduling runvars
/// (`hostalloc_*` on the smoke branch, `build_lvextend_max`), is one
/// build, so one branch reuses the other's.
#[test]
fn dump_of_two_branches_shares_kernel_builds() {
    let l = listing("dump-standalone.txt");
    assert_eq!(l.form, plain::Form::Dump);
    let mut branches = l.branches.unwrap();
    assert_eq!(
        branches.keys().collect::<Vec<_>>(),
        ["xen-unstable", "xen-unstable-smoke"]
    );
    for f in branches.values_mut() {
        cross_arm(f, DEFAULT_BUILD_ARCH).unwrap();
    }
    let unstable = &branches["xen-unstable"];
    let smoke = &branches["xen-unstable-smoke"];
    assert_eq!(
        smoke.jobs["build-arm64-pvops"].get("hostalloc_maxbonus_variation"),
        Some("0")
    );
    assert_eq!(
        unstable.jobs["build-arm64-pvops"].get("build_lvextend_max"),
        Some("50")
    );
    for job in ["build-arm64-pvops", "build-armhf-pvops"] {
        assert_eq!(
            build_identity(job, &unstable.jobs[job]).unwrap(),
            build_identity(job, &smoke.jobs[job]).unwrap(),
            "{job}"
        );
    }
    // As if the xen-unstable flight had run and passed.
    let mut ran = unstable.clone();
    for (name, j) in ran.jobs.iter_mut() {
        j.status = Some("pass".into());
        if j.is_kernel_build(name) {
            j.runvars
                .insert("path_kerndist".into(), "build/kerndist.tar.gz".into());
            j.runvars.insert("kernel_ver".into(), "6.1.119+".into());
            j.synth
                .extend(["path_kerndist".into(), "kernel_ver".into()]);
        }
    }
    let plan = reuse_candidates(smoke, &[("check_xen_unstable".to_owned(), ran)].into());
    let reused: Vec<&str> = plan.reuse.iter().map(|r| r.reference.as_str()).collect();
    assert_eq!(
        reused,
        [
            "check_xen_unstable.build-arm64-pvops",
            "check_xen_unstable.build-armhf-pvops"
        ]
    );
    let e = plain::read(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/flights/dump-standalone.txt"),
        )
        .unwrap(),
        "dump-standalone.txt",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "dump-standalone.txt:1: a standalone-generate-dump-flight-runvars listing of the \
         branches xen-unstable, xen-unstable-smoke, not one flight"
    );
}

/// A bisection pins `host=NAME`: the rewrite leaves that kernel build on
/// its host and says so, rather than moving it to amd64 and keeping the
/// ARM host.
#[test]
fn pinned_kernel_build_left_alone_and_reported() {
    let (_, mut f) = fixture("arm-before.txt");
    f.jobs
        .get_mut("build-arm64-pvops")
        .unwrap()
        .set("host", "laxton0");
    let before = f.jobs["build-arm64-pvops"].clone();
    let r = cross_arm(&mut f, DEFAULT_BUILD_ARCH).unwrap();
    assert_eq!(f.jobs["build-arm64-pvops"], before);
    assert_eq!(r.pinned.len(), 1);
    assert_eq!(
        (r.pinned[0].job.as_str(), r.pinned[0].host.as_str()),
        ("build-arm64-pvops", "laxton0")
    );
    assert!(r.changes.iter().all(|c| c.job != "build-arm64-pvops"));
    // The armhf build, not pinned, moves; arm64 tests boot the native build.
    assert_eq!(f.jobs["build-armhf-pvops"].get("build_arch"), Some("amd64"));
    assert_eq!(
        f.jobs["test-arm64-arm64-xl"].get(DIKERNEL_RUNVAR),
        Some("build-arm64-pvops")
    );
    assert!(
        !BuildPlan::from_runvars(&f.jobs["build-arm64-pvops"].runvars)
            .unwrap()
            .is_cross()
    );
}
