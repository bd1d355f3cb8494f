// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The main job: the Debian installer's kernel, modules and initrd from a
//! kernel source.
//!
//! ```text
//! di-kernel [OPTIONS] [SOURCE DI_INITRD OUTDIR]
//! ```
//!
//! With no arguments it fetches (and caches, with `tests/fetch`) Debian
//! bookworm's current arm64 kernel and d-i netboot initrd and writes to
//! `target/di-kernel/bookworm-arm64`. `--help` lists the options.

use std::path::{Path, PathBuf};
use std::process::{exit, Command};
use std::time::Instant;

use osstest_core::format::compress::Compression;
use osstest_core::format::source_date_epoch;
use osstest_core::installer::{di_kernel, Options};

const HELP: &str = "\
usage: di-kernel [OPTIONS] [SOURCE DI_INITRD OUTDIR]

Makes the Debian installer's kernel from SOURCE (a linux-image .deb, an
osstest kerndist tarball or a kernel tree) and the d-i netboot DI_INITRD:
OUTDIR gets vmlinuz-VERSION, modules.cpio.gz (a dependency-closed module
subset), initrd.gz (DI_INITRD with that segment appended), dtbs.tar.gz and
manifest.json. With no arguments: Debian bookworm's current arm64 kernel and
d-i initrd, fetched and cached by tests/fetch, into
target/di-kernel/bookworm-arm64.

options:
  --include PATTERN          also select these modules (name or path glob)
  --exclude PATTERN          leave these out of what the patterns select
  --contents-udeb FILE       the suite's Contents-udeb-ARCH index: also the
                             modules of the udebs d-i fetches
  --udeb NAME                a udeb for --contents-udeb (repeatable; the
                             default is installer::udebs::DEFAULT_UDEBS)
  --no-classic               no default rules (d-i initrd, needed, classic)
  --compression KIND         gzip (default), xz, zstd or none
  --level N                  compression level (gzip 0-12, xz 0-9, zstd 1-22)
  --keep-module-compression  store .ko.xz as shipped (not for bookworm d-i)
  --allow-missing            go on when a depends= dependency does not exist
  --max-segment-size BYTES   fail if the modules segment is larger
  --max-initrd-size BYTES    fail if the combined initrd is larger
  -h, --help                 this text

SOURCE_DATE_EPOCH, if set, is the mtime of every entry written.";

fn die(msg: &str) -> ! {
    eprintln!("di-kernel: {msg}");
    exit(2)
}

fn fetch(args: &[&str]) -> PathBuf {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(top.join("tests/fetch"))
        .args(args)
        .output()
        .unwrap_or_else(|e| die(&format!("running tests/fetch: {e}")));
    if !out.status.success() {
        die(&format!(
            "tests/fetch {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn main() {
    let mut opts = Options::default();
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    let number = |v: Option<String>, what: &str| -> u64 {
        v.and_then(|s| s.parse().ok())
            .unwrap_or_else(|| die(&format!("{what} needs a number")))
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => {
                println!("{HELP}");
                return;
            }
            "--include" => opts.include.push(
                args.next()
                    .unwrap_or_else(|| die("--include needs a pattern")),
            ),
            "--exclude" => opts.exclude.push(
                args.next()
                    .unwrap_or_else(|| die("--exclude needs a pattern")),
            ),
            "--contents-udeb" => {
                let v = args
                    .next()
                    .unwrap_or_else(|| die("--contents-udeb needs a file"));
                opts.contents_udeb = Some(PathBuf::from(v));
            }
            "--udeb" => opts
                .udebs
                .get_or_insert_with(Vec::new)
                .push(args.next().unwrap_or_else(|| die("--udeb needs a name"))),
            "--no-classic" => opts.classic = false,
            "--compression" => {
                let v = args.next().unwrap_or_default();
                opts.compression = Compression::from_name(&v)
                    .unwrap_or_else(|| die(&format!("unknown compression '{v}'")));
            }
            "--level" => opts.level = Some(number(args.next(), "--level") as u32),
            "--keep-module-compression" => opts.keep_module_compression = true,
            "--allow-missing" => opts.allow_missing = true,
            "--max-segment-size" => {
                opts.max_segment_size = Some(number(args.next(), "--max-segment-size"))
            }
            "--max-initrd-size" => {
                opts.max_initrd_size = Some(number(args.next(), "--max-initrd-size"))
            }
            s if s.starts_with('-') => die(&format!("unknown option {s} (see --help)")),
            _ => positional.push(PathBuf::from(a)),
        }
    }
    opts.mtime = source_date_epoch().unwrap_or_else(|e| die(&e.to_string()));
    let (source, initrd, outdir) = match positional.len() {
        0 => {
            eprintln!("di-kernel: fetching Debian bookworm's arm64 kernel and d-i initrd (cached)");
            let deb = fetch(&["kernel", "bookworm", "arm64", "arm64"]);
            let di = fetch(&["di", "bookworm", "arm64"]).join("initrd.gz");
            let top = Path::new(env!("CARGO_MANIFEST_DIR"));
            (deb, di, top.join("target/di-kernel/bookworm-arm64"))
        }
        3 => (
            positional[0].clone(),
            positional[1].clone(),
            positional[2].clone(),
        ),
        _ => die("give SOURCE DI_INITRD OUTDIR, or nothing (see --help)"),
    };
    let start = Instant::now();
    let m = di_kernel(&source, &initrd, &outdir, &opts).unwrap_or_else(|e| die(&e.to_string()));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "kernel {} ({}, {}), {} modules; installer modules: {} ({} by rule, {} added as dependencies)",
        m.kernel.version,
        m.kernel.debian_arch.as_deref().unwrap_or(&m.kernel.image_format),
        m.kernel.source_kind,
        m.kernel.modules,
        m.modules.included,
        m.modules.matched,
        m.modules.added
    );
    for (role, f) in &m.outputs {
        println!(
            "  {role:<16} {:<32} {:>10} bytes  sha256 {}",
            f.file, f.size, f.sha256
        );
    }
    println!("  {:<16} {:<32}", "manifest", "manifest.json");
    println!("written to {} in {secs:.1} s", outdir.display());
}
