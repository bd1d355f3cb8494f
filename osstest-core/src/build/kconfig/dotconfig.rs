// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Reading a kernel `.config` and checking it against the edit script.
//!
//! `make olddefconfig` keeps an option only if its dependencies hold, and
//! turns a `y` into an `m` where a dependency is a module; it says nothing
//! when it does. [`check`] compares what a [`KernelConfig`] asked for with
//! what the `.config` has, so that a build can stop naming the options the
//! kernel did not keep (and where each was asked for), instead of a test
//! job finding out on the host.
//!
//! An option is `n` when the file says `# CONFIG_X is not set` and when it
//! is absent (Kconfig leaves out options whose dependencies are off, and
//! options the kernel does not have).
//!
//! The base's fragments (`NAME.config` targets of `kconfig_defconfig`) can
//! be checked too, with [`check_with_fragments`]: kbuild's
//! `merge_config.sh` only warns when a fragment's value does not survive,
//! and an `=m` merged while `CONFIG_MODULES` is still off quietly becomes
//! `=y`. A fragment line the edit script sets again afterwards is the edit
//! script's to check.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{KernelConfig, Value};

/// The largest `.config` read (a kernel's is a few hundred KiB).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// What an option is in a `.config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Got {
    /// `CONFIG_X=VALUE` (`y`, `m`, a number or a quoted string).
    Set(String),
    /// `# CONFIG_X is not set`.
    NotSet,
    /// Not in the file at all.
    Absent,
}

impl Got {
    /// Whether it is the tristate `want`.
    pub fn is(&self, want: Value) -> bool {
        match self {
            Got::Set(v) => v == want.as_str(),
            Got::NotSet | Got::Absent => want == Value::N,
        }
    }

    /// As a word for messages: the value, `n` or `absent`.
    pub fn describe(&self) -> String {
        match self {
            Got::Set(v) => v.clone(),
            Got::NotSet => "n".to_owned(),
            Got::Absent => "absent".to_owned(),
        }
    }
}

/// The options of a `.config`'s text: `CONFIG_X` to its value, or
/// [`Got::NotSet`]. Other lines (comments, blanks) are skipped.
pub fn parse(text: &str) -> BTreeMap<String, Got> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            if let Some(name) = rest.strip_suffix(" is not set") {
                if name.starts_with("CONFIG_") {
                    out.insert(name.to_owned(), Got::NotSet);
                }
            }
        } else if let Some((name, value)) = line.split_once('=') {
            if name.starts_with("CONFIG_") {
                out.insert(name.to_owned(), Got::Set(value.to_owned()));
            }
        }
    }
    out
}

/// An option the `.config` does not have as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// `CONFIG_XEN_GNTDEV`.
    pub option: String,
    /// What was asked for: `y`, `m`, `n`, or a fragment's other value
    /// (`437`, `"ascii"`).
    pub wanted: String,
    /// What the `.config` has: a value, `n` or `absent`.
    pub got: String,
    /// Where it was asked for: a block name, an override runvar, or
    /// `kconfig_defconfig NAME.config` for a fragment's line.
    pub from: String,
}

/// The result of [`check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// How many options were checked.
    pub checked: usize,
    /// Checked options the `.config` does not have as asked: a build
    /// should stop.
    pub mismatches: Vec<Mismatch>,
    /// Unchecked options (the hardware list) the kernel did not keep, for
    /// the log.
    pub dropped: Vec<Mismatch>,
}

/// Compares the `.config` text with what `config`'s edit script leaves
/// each option at.
pub fn check(config: &KernelConfig, text: &str) -> CheckReport {
    let have = parse(text);
    let mut report = CheckReport {
        checked: 0,
        mismatches: Vec::new(),
        dropped: Vec::new(),
    };
    for (option, s) in config.wanted() {
        let got = have.get(option).cloned().unwrap_or(Got::Absent);
        if s.checked {
            report.checked += 1;
        }
        if got.is(s.value) {
            continue;
        }
        let m = Mismatch {
            option: option.to_owned(),
            wanted: s.value.as_str().to_owned(),
            got: got.describe(),
            from: s.from.clone(),
        };
        if s.checked {
            report.mismatches.push(m);
        } else {
            report.dropped.push(m);
        }
    }
    report
}

/// A fragment's lines: `CONFIG_X=VALUE`, and `# CONFIG_X is not set` as
/// `n`; the last line for an option wins, as in `merge_config.sh`.
pub fn parse_fragment(text: &str) -> BTreeMap<String, String> {
    parse(text)
        .into_iter()
        .map(|(o, g)| {
            let v = match g {
                Got::Set(v) => v,
                Got::NotSet | Got::Absent => "n".to_owned(),
            };
            (o, v)
        })
        .collect()
}

/// [`check`], and every line of each fragment `(name, text)` the edit
/// script does not set again: the `.config` must have its value.
pub fn check_with_fragments(
    config: &KernelConfig,
    text: &str,
    fragments: &[(String, String)],
) -> CheckReport {
    let mut report = check(config, text);
    let have = parse(text);
    let edited = config.wanted();
    for (name, frag) in fragments {
        for (option, want) in parse_fragment(frag) {
            if edited.contains_key(option.as_str()) {
                continue;
            }
            report.checked += 1;
            let got = have.get(&option).cloned().unwrap_or(Got::Absent);
            let ok = match &got {
                Got::Set(v) => *v == want,
                Got::NotSet | Got::Absent => want == "n",
            };
            if !ok {
                report.mismatches.push(Mismatch {
                    option,
                    wanted: want,
                    got: got.describe(),
                    from: format!("{} {name}", super::DEFCONFIG_RUNVAR),
                });
            }
        }
    }
    report
}

/// A `.config` that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct ReadError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub why: String,
}

/// Reads a configuration file of at most [`MAX_CONFIG_BYTES`].
fn read_config(path: &Path, what: &str) -> Result<String, ReadError> {
    let err = |why: String| ReadError {
        path: path.to_owned(),
        why,
    };
    let f = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut text = String::new();
    f.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| err(e.to_string()))?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(err(format!(
            "larger than {MAX_CONFIG_BYTES} bytes: not a {what}"
        )));
    }
    if !text.lines().any(|l| l.starts_with("CONFIG_")) {
        return Err(err(format!("no CONFIG_ line: not a {what}")));
    }
    Ok(text)
}

/// Reads a `.config` file and [`check`]s it.
pub fn check_file(config: &KernelConfig, path: &Path) -> Result<CheckReport, ReadError> {
    Ok(check(config, &read_config(path, "kernel .config")?))
}

/// Reads a `.config` file and checks it with the fragments of
/// `config`'s base from the kernel tree `tree`, found where kbuild looks
/// for them (`kernel/configs/NAME`, `arch/SRCARCH/configs/NAME`; both,
/// if both exist). A fragment in neither is an error.
pub fn check_file_in_tree(
    config: &KernelConfig,
    path: &Path,
    tree: &Path,
    srcarch: &str,
) -> Result<CheckReport, ReadError> {
    let text = read_config(path, "kernel .config")?;
    let mut fragments = Vec::new();
    for name in config.base.iter().filter(|t| t.ends_with(".config")) {
        let places = [
            tree.join("kernel/configs").join(name),
            tree.join("arch").join(srcarch).join("configs").join(name),
        ];
        let found: Vec<&PathBuf> = places.iter().filter(|p| p.is_file()).collect();
        if found.is_empty() {
            return Err(ReadError {
                path: places[0].clone(),
                why: format!(
                    "fragment {name} of the base is in neither kernel/configs nor arch/{srcarch}/configs"
                ),
            });
        }
        for p in found {
            fragments.push((name.clone(), read_config(p, "configuration fragment")?));
        }
    }
    Ok(check_with_fragments(config, &text, &fragments))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::kconfig::Setting;

    fn config(lines: &[(&str, Value, &str, bool)]) -> KernelConfig {
        KernelConfig {
            how: "xen-enable-xen-config".into(),
            base: vec!["defconfig".into()],
            base_from: "platform",
            settings: lines
                .iter()
                .map(|(o, v, f, c)| Setting {
                    option: (*o).into(),
                    value: *v,
                    from: (*f).into(),
                    checked: *c,
                })
                .collect(),
        }
    }

    /// The mismatches as `OPTION WANTED GOT FROM`.
    fn lines(r: &CheckReport) -> Vec<String> {
        r.mismatches
            .iter()
            .map(|m| format!("{} {} {} {}", m.option, m.wanted, m.got, m.from))
            .collect()
    }

    const TEXT: &str = "#\n# Automatically generated file; DO NOT EDIT.\n\
        CONFIG_XEN=y\nCONFIG_XEN_GNTDEV=m\n# CONFIG_DRM is not set\n\
        CONFIG_LOCALVERSION=\"\"\nCONFIG_NR_CPUS=4\n";

    #[test]
    fn parses_values_and_not_set() {
        let p = parse(TEXT);
        assert_eq!(p["CONFIG_XEN"], Got::Set("y".into()));
        assert_eq!(p["CONFIG_DRM"], Got::NotSet);
        assert_eq!(p["CONFIG_LOCALVERSION"], Got::Set("\"\"".into()));
        assert_eq!(p["CONFIG_NR_CPUS"], Got::Set("4".into()));
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn mismatches_name_option_and_origin() {
        let c = config(&[
            ("CONFIG_XEN", Value::Y, "xen", true),
            ("CONFIG_XEN_GNTDEV", Value::Y, "xen", true),
            ("CONFIG_DRM", Value::N, "osstest", true),
            ("CONFIG_AGP", Value::N, "osstest", true),
            ("CONFIG_SATA_MV", Value::M, "hardware-x86", false),
            ("CONFIG_EXT4_FS", Value::M, "kconfig_override_m", true),
            // a later line wins
            ("CONFIG_XEN", Value::N, "kconfig_override_n", true),
        ]);
        let r = check(&c, TEXT);
        assert_eq!(r.checked, 5);
        let m = lines(&r);
        assert_eq!(
            m,
            [
                "CONFIG_EXT4_FS m absent kconfig_override_m",
                "CONFIG_XEN n y kconfig_override_n",
                "CONFIG_XEN_GNTDEV y m xen",
            ]
        );
        assert_eq!(r.dropped.len(), 1);
        assert_eq!(r.dropped[0].option, "CONFIG_SATA_MV");
    }

    #[test]
    fn fragments_lines_hold_unless_edited_later() {
        let c = config(&[("CONFIG_XEN_GNTDEV", Value::Y, "xen", true)]);
        let frag = "# a fragment\nCONFIG_XEN=y\nCONFIG_NR_CPUS=8\n# CONFIG_DRM is not set\n\
            CONFIG_VIRTIO_BLK=m\nCONFIG_XEN_GNTDEV=m\nCONFIG_LOCALVERSION=\"\"\n";
        let r = check_with_fragments(&c, TEXT, &[("e2e.config".into(), frag.into())]);
        let m = lines(&r);
        // XEN_GNTDEV is the edit script's (and wrong there too).
        assert_eq!(
            m,
            [
                "CONFIG_XEN_GNTDEV y m xen",
                "CONFIG_NR_CPUS 8 4 kconfig_defconfig e2e.config",
                "CONFIG_VIRTIO_BLK m absent kconfig_defconfig e2e.config",
            ]
        );
        assert_eq!(r.checked, 1 + 5);
    }

    #[test]
    fn fragments_found_where_kbuild_looks() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path();
        std::fs::create_dir_all(t.join("kernel/configs")).unwrap();
        std::fs::create_dir_all(t.join("arch/arm64/configs")).unwrap();
        std::fs::write(t.join("kernel/configs/a.config"), "CONFIG_XEN=y\n").unwrap();
        std::fs::write(t.join("arch/arm64/configs/b.config"), "CONFIG_NR_CPUS=2\n").unwrap();
        std::fs::write(t.join(".config"), TEXT).unwrap();
        let mut c = config(&[("CONFIG_XEN_GNTDEV", Value::M, "xen", true)]);
        c.base = vec!["allnoconfig".into(), "a.config".into(), "b.config".into()];
        let r = check_file_in_tree(&c, &t.join(".config"), t, "arm64").unwrap();
        assert_eq!(r.checked, 3);
        assert_eq!(r.mismatches.len(), 1);
        assert_eq!(r.mismatches[0].option, "CONFIG_NR_CPUS");
        assert_eq!(r.mismatches[0].from, "kconfig_defconfig b.config");
        c.base.push("c.config".into());
        let e = check_file_in_tree(&c, &t.join(".config"), t, "arm64")
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("kernel/configs/c.config: fragment c.config of the base is in neither kernel/configs nor arch/arm64/configs"),
            "{e}"
        );
    }

    #[test]
    fn files_that_are_no_config() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(&[("CONFIG_XEN", Value::Y, "xen", true)]);
        let p = dir.path().join("empty");
        std::fs::write(&p, "").unwrap();
        let e = check_file(&c, &p).unwrap_err().to_string();
        assert!(
            e.ends_with("empty: no CONFIG_ line: not a kernel .config"),
            "{e}"
        );
        let e = check_file(&c, &dir.path().join("none"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("none: No such file"), "{e}");
        let p = dir.path().join("config");
        std::fs::write(&p, TEXT).unwrap();
        assert!(check_file(&c, &p).unwrap().mismatches.is_empty());
    }
}
