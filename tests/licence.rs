// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The licence osstest can link: AGPL-3.0-or-later in the crates' metadata,
//! the AGPL's text in COPYING, and the same in the Debian package's
//! copyright file. (The crates said GPL-2.0-only, which cannot be combined
//! with osstest's AGPLv3 code in one perl process.)

use std::path::PathBuf;

fn read(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn agpl_3_or_later_everywhere() {
    assert_eq!(env!("CARGO_PKG_LICENSE"), "AGPL-3.0-or-later");
    for toml in ["osstest-core/Cargo.toml", "osstest-perl/Cargo.toml"] {
        assert!(
            read(toml).contains("\nlicense.workspace = true\n"),
            "{toml}"
        );
    }
    let copying = read("COPYING");
    let head: Vec<&str> = copying.lines().take(2).map(str::trim).collect();
    assert_eq!(
        head,
        [
            "GNU AFFERO GENERAL PUBLIC LICENSE",
            "Version 3, 19 November 2007"
        ]
    );
    assert!(copying
        .contains("13. Remote Network Interaction; Use with the GNU General Public License."));
    let copyright = read("debian/copyright");
    assert!(copyright.contains("\nFiles: *\n"), "debian/copyright");
    assert!(copyright.contains("\nLicense: AGPL-3+\n This program is free software"));
    // The full text, as Debian's common licences have no AGPL.
    assert!(copyright.contains(" 13. Remote Network Interaction;"));
}

/// Where the licence header goes: the project's source files, by name.
fn has_a_header(path: &str) -> bool {
    const SCRIPTS: [&str; 7] = [
        ".ci/run",
        "tests/run",
        "tests/install-deps",
        "tests/fetch",
        "tests/e2e",
        "tests/xen",
        "debian/rules",
    ];
    let code = [".rs", ".xs", ".pm", ".pl", ".t", ".sh", ".toml"];
    SCRIPTS.contains(&path) || code.iter().any(|ext| path.ends_with(ext))
}

/// The source files below `dir` (relative to the top), skipping what is
/// built, fetched or generated there.
fn source_files(top: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
    const NOT_SOURCE: [&str; 5] = ["target", ".cache", ".git", "corpus", "artifacts"];
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() && !NOT_SOURCE.contains(&name.as_str()) {
            source_files(top, &path, out);
        } else if kind.is_file() {
            let rel = path
                .strip_prefix(top)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if has_a_header(&rel) {
                out.push(rel);
            }
        }
    }
}

#[test]
fn every_source_file_says_its_licence() {
    let top = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    source_files(&top, &top, &mut files);
    assert!(files.len() > 100, "only {} source files found", files.len());
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| {
            let head: String = read(f).lines().take(20).collect::<Vec<_>>().join("\n");
            !head.contains("SPDX-License-Identifier: AGPL-3.0-or-later")
                || !head.contains("Copyright (C) 2026 The osstest-core developers")
        })
        .collect();
    assert!(missing.is_empty(), "no licence header in {missing:?}");
}
