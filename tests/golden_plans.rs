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

use osstest_core::build::plan::BuildPlan;
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
            BuildPlan::from_runvars(&runvars).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let got = serde_json::to_value(PlanReport::new(&plan)).unwrap();
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

/// The native golden runes carry no cross variable anywhere, and every
/// cross one names the target's compiler in each make.
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
        } else {
            let prefix = plan["cross_compile"].as_str().unwrap();
            for kind in ["linux", "xen"] {
                for (name, cmd) in plan[kind].as_object().unwrap() {
                    if let Some(shell) = cmd.get("shell").and_then(Value::as_str) {
                        if shell.contains("make ") {
                            assert!(
                                shell.contains(&format!("CROSS_COMPILE={prefix}")),
                                "{}: {kind}.{name}: {shell}",
                                f.display()
                            );
                        }
                    }
                }
            }
        }
    }
}
