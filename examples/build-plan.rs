// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Prints a job's build plan and runes, from runvars given as NAME=VALUE.
//!
//! Usage: `cargo run --release --example build-plan -- [NAME=VALUE...]`;
//! with no runvars, the `build-armhf-pvops` job cross-built on amd64.

use std::collections::BTreeMap;

use osstest_core::build::runes::PlanReport;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "usage: build-plan [NAME=VALUE...]\nprints the build plan, packages and runes \
             of a job with these runvars (arch, host_hostflags, hostflags, host_suite, \
             suite, build_arch, kconfighow, kconfig_defconfig, kconfig_override_y/m/n)"
        );
        return;
    }
    if args.is_empty() {
        args = vec![
            "arch=armhf".into(),
            "host_hostflags=share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build"
                .into(),
            "kconfighow=xen-enable-xen-config".into(),
            "kconfig_override_y=CONFIG_EXT4_FS".into(),
        ];
    }
    let mut r = BTreeMap::new();
    for a in &args {
        let Some((k, v)) = a.split_once('=') else {
            eprintln!("build-plan: '{a}' is not NAME=VALUE");
            std::process::exit(2);
        };
        r.insert(k.to_owned(), v.to_owned());
    }
    let p = match PlanReport::from_runvars(&r) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("build-plan: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "{} {} on {} ({}), {}",
        if p.cross { "cross" } else { "native" },
        p.target_arch,
        p.build_arch,
        p.build_arch_from,
        p.suite
    );
    println!("cc: {}", p.cc);
    if let Some(a) = p.packages.add_architecture {
        println!("dpkg --add-architecture {a}  (for Xen's tools)");
    }
    println!("linux packages: {}", p.packages.linux.join(" "));
    let l = &p.linux;
    println!("linux:");
    let config: Vec<_> = match &l.config {
        Some(c) => c.steps.iter().map(Some).collect(),
        None => vec![Some(&l.defconfig)],
    };
    for c in config
        .into_iter()
        .chain([
            Some(&l.build),
            Some(&l.modules_install),
            l.dtbs_install.as_ref(),
        ])
        .flatten()
    {
        println!("  {}", c.shell);
    }
    println!("  cp {} dist/boot/vmlinuz-VERSION", l.image_path);
    match (&p.xen, &p.xen_unavailable) {
        (Some(x), _) => {
            println!("xen:");
            match (&x.hypervisor, &x.hypervisor_unavailable) {
                (Some(h), _) => println!("  {}", h.shell),
                (_, Some(why)) => println!("  (no hypervisor: {why})"),
                _ => {}
            }
            match (&x.tools_configure, &x.tools_build, &x.tools_unavailable) {
                (Some(c), Some(b), _) => println!("  {}\n  {}", c.shell, b.shell),
                (_, _, Some(why)) => println!("  (no tools: {why})"),
                _ => {}
            }
        }
        (None, Some(why)) => println!("xen: {why}"),
        (None, None) => {}
    }
}
