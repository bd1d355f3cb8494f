// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Builds the XS glue of the shared object Perl loads.
//!
//! 1. Probes the system perl (`$PERL`, else `perl` on PATH): `%Config` for
//!    the library directories, the version and whether it is threaded, and
//!    `ExtUtils::Embed::ccopts` for the compiler flags perl was built with.
//! 2. Runs perl's own `xsubpp` on `osstest-perl/xs/Core.xs`.
//! 3. Compiles the C with perl's flags (the `cc` crate), renaming the boot
//!    function so the Rust shim can re-export it (see `xs/shim.rs`).
//!
//! A perl without its headers, or without xsubpp, is a clear build error.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const XS: &str = "osstest-perl/xs/Core.xs";

fn perl() -> String {
    env::var("PERL").unwrap_or_else(|_| "perl".to_owned())
}

/// Runs perl with `args` and returns its standard output, or fails the build
/// with a message saying what was being asked.
fn perl_output(args: &[&str], what: &str) -> String {
    let out = Command::new(perl())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run '{}' to {what}: {e}", perl()));
    if !out.status.success() {
        panic!(
            "'{} {}' failed while trying to {what}: {}",
            perl(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).expect("perl printed non-UTF-8")
}

fn config(key: &str) -> String {
    perl_output(
        &["-MConfig", "-e", &format!("print $Config{{{key}}} // ''")],
        &format!("read $Config{{{key}}}"),
    )
}

fn main() {
    println!("cargo:rerun-if-changed={XS}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PERL");
    println!("cargo::rustc-check-cfg=cfg(perl_threads)");

    let archlib = PathBuf::from(config("archlibexp"));
    let privlib = PathBuf::from(config("privlibexp"));
    let core = archlib.join("CORE");
    if !core.join("perl.h").exists() {
        panic!(
            "perl's headers are missing ({} has no perl.h): install Debian's perl \
             headers (apt-get install perl, which brings libperl5.NN)",
            core.display()
        );
    }
    if config("useithreads") == "define" {
        println!("cargo:rustc-cfg=perl_threads");
    }
    let version = env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");

    // xsubpp, from perl's own library, with perl's own typemap.
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let c_file = out_dir.join("Core.c");
    let xsubpp = privlib.join("ExtUtils/xsubpp");
    let typemap = privlib.join("ExtUtils/typemap");
    for f in [&xsubpp, &typemap] {
        if !f.exists() {
            panic!(
                "{} is missing: perl's ExtUtils::ParseXS is needed",
                f.display()
            );
        }
    }
    let status = Command::new(perl())
        .arg(&xsubpp)
        .arg("-typemap")
        .arg(&typemap)
        .arg("-output")
        .arg(&c_file)
        .arg(Path::new(XS))
        .status()
        .expect("cannot run xsubpp");
    if !status.success() {
        panic!("xsubpp failed on {XS}");
    }

    // Compile with the flags perl was built with.
    let ccopts = perl_output(
        &["-MExtUtils::Embed", "-e", "ccopts"],
        "read ExtUtils::Embed::ccopts",
    );
    let mut build = cc::Build::new();
    build
        .file(&c_file)
        .include(&core)
        .warnings(false)
        .extra_warnings(false)
        .define("boot_Osstest__Core", "osstest_xs_boot")
        .define("VERSION", format!("\"{version}\"").as_str())
        .define("XS_VERSION", format!("\"{version}\"").as_str())
        // The glue references Rust symbols and the shim references the
        // glue: link all of it, whatever order the linker sees them in.
        .link_lib_modifier("+whole-archive");
    for opt in ccopts.split_whitespace() {
        if let Some(dir) = opt.strip_prefix("-I") {
            build.include(dir);
        } else if let Some(def) = opt.strip_prefix("-D") {
            match def.split_once('=') {
                Some((k, v)) => build.define(k, v),
                None => build.define(def, None),
            };
        } else {
            build.flag(opt);
        }
    }
    build.compile("osstest_xs_glue");
}
