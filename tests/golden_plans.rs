// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Golden build plans: realistic runvar sets of the `build-ARCH` and
//! `build-ARCH-pvops` jobs `mfi-common` creates (native, and cross-built on
//! amd64 as the flight rewrite sets them up), and the plan, packages and
//! runes each must give. tests/perl/build_plan.t checks the same files
//! through Perl.
//!
//! Each `tests/golden/plans/NAME.json` holds `job`, `runvars` and `plan`.
//! After a deliberate change, `OSSTEST_UPDATE_GOLDEN=1 cargo test --release
//! --test golden_plans` rewrites the `plan`s; review the diff before
//! committing it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use osstest_core::build::runes::PlanReport;
use serde_json::Value;

fn golden_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/plans");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn plans_match_golden_files() {
    let files = golden_files();
    assert!(files.len() >= 6, "golden plans missing: {files:?}");
    let update = std::env::var_os("OSSTEST_UPDATE_GOLDEN").is_some();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut golden: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let runvars: BTreeMap<String, String> =
            serde_json::from_value(golden["runvars"].clone()).unwrap();
        let plan =
            PlanReport::from_runvars(&runvars).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let got = serde_json::to_value(plan).unwrap();
        if update {
            golden["plan"] = got;
            let tmp = f.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_string_pretty(&golden).unwrap() + "\n").unwrap();
            std::fs::rename(&tmp, &f).unwrap();
        } else {
            assert_eq!(
                got,
                golden["plan"],
                "{}: the plan differs from the golden file\ngot:\n{}",
                f.display(),
                serde_json::to_string_pretty(&got).unwrap()
            );
        }
    }
}

/// Every command anywhere in a plan (`argv` lists, the configuration
/// steps included), with its place.
fn commands<'a>(v: &'a Value, place: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => {
            if let Some(argv) = m.get("argv") {
                out.push((place.clone(), argv));
            }
            for (k, x) in m {
                commands(x, format!("{place}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                commands(x, format!("{place}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The native golden runes carry no cross variable anywhere, and every
/// make of a cross one, configuration steps included, names the target's
/// architecture and compiler first.
#[test]
fn native_golden_runes_have_no_cross_variables() {
    for f in golden_files() {
        let golden: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let plan = &golden["plan"];
        let text = plan.to_string();
        if plan["cross"] == Value::Bool(false) {
            for v in [
                "CROSS_COMPILE",
                "ARCH=",
                "--host",
                "--build",
                "PKG_CONFIG_LIBDIR",
                ":arm",
            ] {
                assert!(!text.contains(v), "{}: native plan has {v}", f.display());
            }
            continue;
        }
        let prefix = plan["cross_compile"].as_str().unwrap();
        let mut all = Vec::new();
        commands(plan, "plan".into(), &mut all);
        let makes: Vec<_> = all.iter().filter(|(_, a)| a[0] == "make").collect();
        assert!(makes.len() >= 4, "{}: {makes:?}", f.display());
        for (place, argv) in makes {
            let first = argv[1].as_str().unwrap();
            assert!(
                first.starts_with("ARCH=") || first.starts_with("XEN_TARGET_ARCH="),
                "{}: {place}: {argv}",
                f.display()
            );
            assert_eq!(
                argv[2].as_str(),
                Some(format!("CROSS_COMPILE={prefix}").as_str()),
                "{}: {place}: {argv}",
                f.display()
            );
        }
    }
}

/// The kernel build jobs' golden plans configure with osstest's flow.
#[test]
fn pvops_golden_plans_configure_with_the_xen_options() {
    let mut seen = 0;
    for f in golden_files() {
        let golden: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let config = &golden["plan"]["linux"]["config"];
        if golden["runvars"].get("kconfighow").is_none() {
            assert!(config.is_null(), "{}", f.display());
            continue;
        }
        seen += 1;
        let steps = config["steps"].as_array().unwrap();
        let first = steps[0]["argv"].as_array().unwrap();
        assert_eq!(
            first.last(),
            Some(&golden["plan"]["linux"]["defconfig_target"]),
            "{}: the platform's defconfig first",
            f.display()
        );
        let last = steps.last().unwrap()["argv"].as_array().unwrap();
        assert_eq!(last.last().unwrap(), "olddefconfig", "{}", f.display());
        let settings = config["settings"].as_array().unwrap();
        assert_eq!(settings[0]["option"], "CONFIG_MODULES");
        for o in [
            "CONFIG_XEN",
            "CONFIG_XEN_DOM0",
            "CONFIG_HVC_XEN",
            "CONFIG_XEN_GNTDEV",
        ] {
            assert!(
                settings
                    .iter()
                    .any(|s| s["option"] == o && s["value"] == "y"),
                "{}: {o}",
                f.display()
            );
        }
    }
    assert!(seen >= 4, "pvops golden plans: {seen}");
}
