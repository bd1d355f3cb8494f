// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The cross-compiler table and the packages plans name, against Debian's
//! archive itself: `apt-cache policy` through tests/fetch's private apt
//! configuration (bookworm and trixie, the amd64 view with arm64 and armhf
//! as foreign architectures), and the suites' Release files.
//!
//! Both ways: a target the table says is served has its compiler packages,
//! and a target it says is not has none.

use std::collections::BTreeMap;
use std::process::Command;

use osstest_core::build::arch::{Arch, ARCHES};
use osstest_core::build::plan::BuildPlan;
use osstest_core::build::suite::Suite;
use osstest_core::build::toolchain::Toolchain;

const SUITES: &[Suite] = &[Suite::Bookworm, Suite::Trixie];

fn fetch(args: &[&str]) -> String {
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fetch"))
        .args(args)
        .output()
        .expect("running tests/fetch");
    assert!(
        out.status.success(),
        "tests/fetch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Each package's candidate version in the suite, `None` where it has none.
fn candidates(suite: Suite, packages: &[String]) -> BTreeMap<String, Option<String>> {
    let mut args = vec!["candidates", suite.name()];
    args.extend(packages.iter().map(String::as_str));
    let out = fetch(&args);
    let m: BTreeMap<String, Option<String>> = out
        .lines()
        .map(|l| {
            let (p, v) = l.split_once(' ').unwrap();
            (p.to_owned(), (v != "(none)").then(|| v.to_owned()))
        })
        .collect();
    for p in packages {
        assert!(m.contains_key(p), "tests/fetch candidates left out {p}");
    }
    m
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn archive_architectures_match_the_table() {
    for &s in SUITES {
        let mut got: Vec<String> = fetch(&["architectures", s.name()])
            .lines()
            .map(str::to_owned)
            .collect();
        got.sort();
        let mut want: Vec<&str> = s.archive_arches().to_vec();
        want.sort();
        assert_eq!(got, want, "{s}: the Release file's architectures");
    }
}

#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn cross_compilers_exist_exactly_where_the_table_says() {
    let amd64 = Arch::by_debian("amd64").unwrap();
    for &s in SUITES {
        let mut asked = vec![];
        for t in ARCHES.iter().filter(|a| a.debian != "amd64") {
            asked.push(format!("gcc-{}", t.gnu_triplet));
            asked.push(format!("binutils-{}", t.gnu_triplet));
            asked.push(format!("libc6-dev-{}-cross", t.debian));
            asked.push(format!("crossbuild-essential-{}", t.debian));
        }
        let have = candidates(s, &asked);
        for t in ARCHES.iter().filter(|a| a.debian != "amd64") {
            let served = s.cross_compiler_targets().contains(&t.debian);
            assert_eq!(
                Toolchain::new(s, amd64, t).is_ok(),
                served,
                "{s} {}",
                t.debian
            );
            for p in [
                format!("gcc-{}", t.gnu_triplet),
                format!("binutils-{}", t.gnu_triplet),
                format!("libc6-dev-{}-cross", t.debian),
            ] {
                assert_eq!(
                    have[&p].is_some(),
                    served,
                    "{s}: {p} is {:?} but the table says {} is{} served",
                    have[&p],
                    t.debian,
                    if served { "" } else { " not" }
                );
            }
            let p = format!("crossbuild-essential-{}", t.debian);
            assert_eq!(
                have[&p].is_some(),
                s.crossbuild_essential_targets().contains(&t.debian),
                "{s}: {p} is {:?}",
                have[&p]
            );
        }
    }
}

/// The plan of a `build-ARCH` job on an amd64 build host of suite `s`, as
/// mfi-common and the flight rewrite give it.
fn plan_on_amd64(s: Suite, arch: &str) -> BuildPlan {
    let r: BTreeMap<String, String> = [
        ("arch".to_owned(), arch.to_owned()),
        (
            "host_hostflags".to_owned(),
            format!("share-build-{s}-amd64,arch-amd64,suite-{s},purpose-build"),
        ),
    ]
    .into_iter()
    .collect();
    BuildPlan::from_runvars(&r).unwrap()
}

/// Every package a plan names, for Linux, the hypervisor and the tools
/// (the target's libraries through multiarch), is in the suite: for the
/// native amd64 build and the armhf and arm64 cross builds on amd64.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn every_package_a_plan_names_exists() {
    for &s in SUITES {
        for arch in ["amd64", "armhf", "arm64"] {
            let plan = plan_on_amd64(s, arch);
            let tc = &plan.toolchain;
            let mut pkgs = tc.linux_packages();
            pkgs.extend(tc.xen_hypervisor_packages());
            let tools = tc.xen_tools_packages(true).unwrap();
            assert_eq!(
                tools.iter().any(|p| p.ends_with(&format!(":{arch}"))),
                plan.is_cross(),
                "{s} {arch}: target libraries through multiarch exactly when cross"
            );
            pkgs.extend(tools);
            pkgs.sort();
            pkgs.dedup();
            let have = candidates(s, &pkgs);
            let missing: Vec<&String> = pkgs.iter().filter(|p| have[*p].is_none()).collect();
            assert!(
                missing.is_empty(),
                "{s} {arch}: not in the archive: {missing:?}"
            );
        }
    }
}

/// What a Linux build runs is in the plan's Linux packages or what they
/// depend on, in the archive: the build host's own `gcc` and `libc6-dev`
/// among them, for kbuild's host programs (`HOSTCC`), which Debian's cross
/// compilers do not pull in. A fresh build host has exactly these.
#[test]
#[ignore = "needs Debian's archive: run tests/run"]
fn linux_packages_hold_what_kbuild_runs() {
    for &s in SUITES {
        for arch in ["amd64", "armhf", "arm64"] {
            let plan = plan_on_amd64(s, arch);
            let tc = &plan.toolchain;
            let mut args = vec!["depends".to_owned(), s.name().to_owned()];
            args.extend(tc.linux_packages());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let closure = fetch(&args);
            let closure: Vec<&str> = closure.lines().collect();
            let mut need = vec![
                "gcc".to_owned(),
                "libc6-dev".to_owned(),
                "make".to_owned(),
                "bison".to_owned(),
                "flex".to_owned(),
                "bc".to_owned(),
                "libssl-dev".to_owned(),
                "libelf-dev".to_owned(),
                "kmod".to_owned(),
            ];
            if let Some(prefix) = &tc.cross_compile {
                let triplet = prefix.trim_end_matches('-');
                need.push(format!("gcc-{triplet}"));
                need.push(format!("binutils-{triplet}"));
            }
            let missing: Vec<&String> = need
                .iter()
                .filter(|p| !closure.contains(&p.as_str()))
                .collect();
            assert!(
                missing.is_empty(),
                "{s} {arch}: the Linux packages {:?} and their dependencies lack {missing:?}",
                tc.linux_packages()
            );
        }
    }
}
