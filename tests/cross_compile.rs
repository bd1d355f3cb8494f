// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Real compilation with the plan's toolchain: the packages the plan names
//! are installed, its compiler builds a small C program, goblin checks the
//! ELF machine, class and byte order, and QEMU user mode (or the machine
//! itself, for the native plan) runs it.
//!
//! Plans come from the runvars `mfi-common` gives build jobs: bookworm,
//! `arch-amd64` build hosts; armhf and arm64 cross, amd64 native.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use osstest_core::build::plan::BuildPlan;

const PROGRAM: &str = r#"
#include <stdio.h>
int main(void) {
    unsigned int one = 1;
    printf("hello from %s: long is %d bits, %s endian\n",
           TARGET, (int)(8 * sizeof(long)),
           *(unsigned char *)&one ? "little" : "big");
    return 0;
}
"#;

fn plan(arch: &str) -> BuildPlan {
    let r: BTreeMap<String, String> = [
        ("arch", arch),
        (
            "host_hostflags",
            "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    BuildPlan::from_runvars(&r).unwrap()
}

fn installed(pkg: &str) -> bool {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout) == "install ok installed"
}

/// Compiles, inspects and runs the program for `arch`; returns its output.
fn compile_and_run(arch: &str) -> String {
    let p = plan(arch);
    let tc = &p.toolchain;
    assert_eq!(p.build.debian, "amd64");

    // The plan's packages are what the build host has: a missing one is a
    // wrong package name or a gap in tests/install-deps, both failures.
    for pkg in tc.compiler_packages() {
        assert!(
            installed(&pkg),
            "{arch}: the plan's package {pkg} is not installed"
        );
    }

    let dir = tempfile_dir(arch);
    let src = dir.join("hello.c");
    let bin = dir.join("hello");
    std::fs::write(&src, PROGRAM).unwrap();
    let status = Command::new(&tc.cc)
        .arg(format!("-DTARGET=\"{}\"", p.target.debian))
        .args(["-O2", "-o"])
        .arg(&bin)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("{arch}: running {}: {e}", tc.cc));
    assert!(status.success(), "{arch}: {} failed", tc.cc);

    let bytes = std::fs::read(&bin).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    assert_eq!(
        elf.header.e_machine, p.target.elf_machine_number,
        "{arch}: e_machine"
    );
    assert_eq!(elf.is_64, p.target.bits == 64, "{arch}: ELF class");
    assert_eq!(
        elf.little_endian,
        p.target.endian.as_str() == "little",
        "{arch}: byte order"
    );
    // Dynamically linked against the target's libc, found at run time
    // under the cross libc's prefix.
    let interp = elf.interpreter.expect("a dynamic executable");

    let out = if p.is_cross() {
        let sysroot = format!("/usr/{}", p.target.gnu_triplet);
        assert!(
            Path::new(&sysroot)
                .join(interp.trim_start_matches('/'))
                .exists(),
            "{arch}: interpreter {interp} not under {sysroot}"
        );
        Command::new(format!("{}-static", p.target.qemu_user))
            .args(["-L", &sysroot])
            .arg(&bin)
            .output()
            .unwrap()
    } else {
        Command::new(&bin).output().unwrap()
    };
    assert!(out.status.success(), "{arch}: the program failed: {out:?}");
    std::fs::remove_dir_all(&dir).unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn tempfile_dir(arch: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("osstest-cross-{arch}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
#[ignore = "needs Debian's cross compilers and qemu-user: run tests/run"]
fn cross_arm64_on_amd64() {
    let p = plan("arm64");
    assert!(p.is_cross());
    assert_eq!(p.toolchain.cc, "aarch64-linux-gnu-gcc");
    assert_eq!(
        compile_and_run("arm64"),
        "hello from arm64: long is 64 bits, little endian\n"
    );
}

#[test]
#[ignore = "needs Debian's cross compilers and qemu-user: run tests/run"]
fn cross_armhf_on_amd64() {
    let p = plan("armhf");
    assert!(p.is_cross());
    assert_eq!(p.toolchain.cc, "arm-linux-gnueabihf-gcc");
    assert_eq!(
        compile_and_run("armhf"),
        "hello from armhf: long is 32 bits, little endian\n"
    );
}

#[test]
#[ignore = "needs Debian's cross compilers and qemu-user: run tests/run"]
fn native_amd64() {
    let p = plan("amd64");
    assert!(!p.is_cross());
    assert_eq!(p.toolchain.cc, "gcc");
    assert_eq!(
        compile_and_run("amd64"),
        "hello from amd64: long is 64 bits, little endian\n"
    );
}
