// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! osstest's configuration flow on each platform's own defconfig, for
//! real: the plan's configuration steps for `build-ARCH-pvops`
//! (`kconfighow=xen-enable-xen-config`, cross from amd64 for the ARM
//! arches as after `flight_cross_arm`, native for amd64) run on Debian
//! bookworm's linux-source-6.1 with the platform's defconfig
//! (`multi_v7_defconfig`, `defconfig`, `x86_64_defconfig`), and the
//! resulting `.config` must have every Xen option, osstest's own and the
//! override as asked. This is what osstest's builds configure, where the
//! end-to-end build starts from a small base instead; an option the
//! kernel renamed, or one whose dependencies the defconfig leaves off,
//! fails here without a build.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use osstest_core::build::kconfig::dotconfig;
use osstest_core::build::runes::PlanReport;

mod common;
use common::TempTree;

/// Configures `tree` for `arch`; the check, and how many options the job's
/// configuration asks for.
fn configure(arch: &str, tree: &Path) -> (dotconfig::CheckReport, usize) {
    let mut r: BTreeMap<String, String> = [
        ("arch", arch),
        (
            "host_hostflags",
            "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build",
        ),
        ("kconfighow", "xen-enable-xen-config"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if arch == "armhf" {
        // as mfi-common gives build-armhf-pvops
        r.insert("kconfig_override_y".into(), "CONFIG_EXT4_FS".into());
    }
    let plan = PlanReport::from_runvars(&r).unwrap();
    assert_eq!(plan.cross, arch != "amd64");
    let config = plan.linux.config.unwrap();
    assert_eq!(config.config.base_from, "platform");
    for step in &config.steps {
        let out = Command::new(&step.argv[0])
            .args(&step.argv[1..])
            .envs(&step.env)
            .current_dir(tree)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", step.shell));
        assert!(
            out.status.success(),
            "{arch}: {} failed:\n{}",
            step.shell,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let asked = config
        .config
        .wanted()
        .values()
        .filter(|s| s.checked)
        .count();
    let report = dotconfig::check_file(&config.config, &tree.join(".config")).unwrap();
    (report, asked)
}

#[test]
#[ignore = "needs Debian's linux-source and a minute of kernel configuration per arch: run tests/run"]
fn xen_options_hold_on_each_platforms_defconfig() {
    let top = std::env::temp_dir().join(format!("osstest-kconfig-{}", std::process::id()));
    std::fs::create_dir_all(&top).unwrap();
    let _cleanup = TempTree(top.clone());
    for arch in ["armhf", "arm64", "amd64"] {
        let tree = common::linux_tree(&top.join(arch));
        let (report, asked) = configure(arch, &tree);
        assert!(
            report.mismatches.is_empty(),
            "{arch}: the platform's defconfig does not keep {:#?}",
            report.mismatches
        );
        assert_eq!(report.checked, asked, "{arch}: {report:?}");
        assert!(asked >= 28, "{arch}: {asked} options asked for");
        let text = std::fs::read_to_string(tree.join(".config")).unwrap();
        let have = dotconfig::parse(&text);
        for o in [
            "CONFIG_XEN",
            "CONFIG_XEN_DOM0",
            "CONFIG_HVC_XEN",
            "CONFIG_XEN_GNTDEV",
        ] {
            assert_eq!(
                have.get(o),
                Some(&dotconfig::Got::Set("y".into())),
                "{arch}: {o}"
            );
        }
        std::fs::remove_dir_all(&tree).unwrap();
    }
}
