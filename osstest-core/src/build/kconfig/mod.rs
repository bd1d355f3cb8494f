// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Kernel configuration from a build job's runvars, as `ts-kernel-build`
//! does it.
//!
//! # The runvars read
//!
//! - `kconfighow`: how the kernel is configured. osstest's kernel build
//!   jobs (`build-ARCH-pvops`) have `xen-enable-xen-config`; it is the one
//!   method known here, and any other value is an error naming the runvar
//!   (osstest's `create-config-sh`, for the old linux-2.6.18-xen tree, runs
//!   a script of that tree and has no runes here). Without it there is no
//!   configuration step, and the other runvars below are an error.
//! - `kconfig_defconfig`: the make targets that make the base
//!   configuration, in order, separated by spaces or commas, instead of
//!   the platform's default (the [`Arch`]'s `defconfig`, what osstest's
//!   `make defconfig` or a platform's `DefConfig` gives). Each is a kbuild
//!   configuration target: `NAME_defconfig`, a fragment `NAME.config` in
//!   the tree's `kernel/configs/` or `arch/ARCH/configs/` (kbuild merges it
//!   into `.config`, as it does its own `kvm_guest.config`), or
//!   `defconfig`, `allnoconfig`, `tinyconfig`, ... An interactive target
//!   (`menuconfig`, `oldconfig`, ...) is an error. osstest has no such
//!   runvar; it lets a job (the end-to-end test, a board's flight) start
//!   from a small or a board's configuration and still get the Xen options
//!   and overrides through the same flow.
//! - `kconfig_override_y`, `kconfig_override_m`, `kconfig_override_n`:
//!   options to force after everything else, comma-separated
//!   (`CONFIG_EXT4_FS,CONFIG_DM_MOD`), applied in that order. Each must be
//!   a `CONFIG_` name; one option in two of them is an error naming both.
//!
//! # The flow of `xen-enable-xen-config`
//!
//! As `ts-kernel-build`: the base (`make DEFCONFIG`), then an edit script
//! over `.config` (`CONFIG_MODULES=y`; the Xen options of the target's
//! architecture and osstest's own, see [`options`]; the overrides), then
//! `make oldconfig` accepting every default. [`KernelConfig::settings`]
//! is that edit script; [`crate::build::runes`] turns it into commands (the
//! kernel's own `scripts/config`, and `make olddefconfig`, which is
//! `yes '' | make oldconfig` without the pipe), and [`dotconfig`] checks
//! a resulting `.config` against it: `olddefconfig` silently drops an
//! option whose dependencies are off, and a Xen option or override the
//! kernel did not keep should stop the build, not surface in a test job.

pub mod dotconfig;
pub mod options;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::build::arch::Arch;

/// The runvar naming the configuration method.
pub const KCONFIGHOW_RUNVAR: &str = "kconfighow";
/// The runvar naming the base configuration's make targets.
pub const DEFCONFIG_RUNVAR: &str = "kconfig_defconfig";
/// The override runvars, in the order they apply, and the value each sets.
pub const OVERRIDE_RUNVARS: [(&str, Value); 3] = [
    ("kconfig_override_y", Value::Y),
    ("kconfig_override_m", Value::M),
    ("kconfig_override_n", Value::N),
];
/// osstest's configuration method for dom0 kernels.
pub const XEN_ENABLE_XEN_CONFIG: &str = "xen-enable-xen-config";
/// Where [`KernelConfig::base`] came from when no runvar gave it.
pub const PLATFORM_DEFCONFIG: &str = "platform";
/// The block of the edit script that forces loadable modules.
pub const MODULES_BLOCK: &str = "modules";

/// Make targets that ask questions: a base made by one would hang or be
/// whatever a terminal answered.
const INTERACTIVE_TARGETS: &[&str] = &[
    "config",
    "oldconfig",
    "menuconfig",
    "nconfig",
    "xconfig",
    "gconfig",
    "localmodconfig",
    "localyesconfig",
];

/// A tristate value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    /// Built in.
    Y,
    /// A module.
    M,
    /// Off.
    N,
}

impl Value {
    /// `y`, `m` or `n`, as in `.config`.
    pub fn as_str(self) -> &'static str {
        match self {
            Value::Y => "y",
            Value::M => "m",
            Value::N => "n",
        }
    }

    /// The `scripts/config` option that sets it.
    pub fn scripts_config_flag(self) -> &'static str {
        match self {
            Value::Y => "--enable",
            Value::M => "--module",
            Value::N => "--disable",
        }
    }
}

/// One line of the edit script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// `CONFIG_XEN`.
    pub option: String,
    /// What it is set to.
    pub value: Value,
    /// Where it comes from: a block of [`options`] (`xen`, `osstest`, ...),
    /// [`MODULES_BLOCK`], or an override runvar.
    pub from: String,
    /// Whether the built `.config` must have it (see [`options::Block`]).
    pub checked: bool,
}

/// How a kernel is configured: the base, then the edit script, then
/// `olddefconfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelConfig {
    /// The `kconfighow` value.
    pub how: String,
    /// The make targets of the base configuration.
    pub base: Vec<String>,
    /// [`DEFCONFIG_RUNVAR`], or [`PLATFORM_DEFCONFIG`] for the
    /// architecture's default.
    pub base_from: &'static str,
    /// The edit script, in order; a later line for the same option wins.
    pub settings: Vec<Setting>,
}

/// Something wrong with the configuration runvars, naming the runvar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KconfigError {
    /// A `kconfighow` we have no runes for.
    #[error("runvar {KCONFIGHOW_RUNVAR}={0}: unknown kernel configuration method (known: {XEN_ENABLE_XEN_CONFIG})")]
    UnknownHow(String),
    /// `xen-enable-xen-config` for an architecture Linux runs no Xen on.
    #[error("runvar {KCONFIGHOW_RUNVAR}={XEN_ENABLE_XEN_CONFIG}: Linux has Xen support on x86 and Arm only, not {0}")]
    NoXen(&'static str),
    /// A configuration runvar without `kconfighow`.
    #[error(
        "runvar {0} is set but {KCONFIGHOW_RUNVAR} is not: no configuration step would apply it"
    )]
    WithoutHow(&'static str),
    /// An override that is not an option name.
    #[error("runvar {runvar}={value}: '{word}' is not a kernel option name (CONFIG_ followed by letters, digits and _)")]
    BadOption {
        /// The runvar.
        runvar: &'static str,
        /// Its whole value.
        value: String,
        /// The word at fault.
        word: String,
    },
    /// One option in two override runvars.
    #[error("{option} is in runvar {first} and in runvar {second}: which value is meant?")]
    Contradiction {
        /// The option.
        option: String,
        /// The first runvar.
        first: &'static str,
        /// The second.
        second: &'static str,
    },
    /// A base target that is not a non-interactive configuration target.
    #[error("runvar {DEFCONFIG_RUNVAR}={value}: '{word}' {why}")]
    BadTarget {
        /// Its whole value.
        value: String,
        /// The word at fault.
        word: String,
        /// Why.
        why: &'static str,
    },
}

/// The words of a list runvar: separated by commas or white space.
fn words(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
}

fn is_option_name(w: &str) -> bool {
    w.strip_prefix("CONFIG_").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The base's make targets from [`DEFCONFIG_RUNVAR`]'s value.
fn base_targets(value: &str) -> Result<Vec<String>, KconfigError> {
    let bad = |word: &str, why| KconfigError::BadTarget {
        value: value.to_owned(),
        word: word.to_owned(),
        why,
    };
    let mut targets = Vec::new();
    for w in words(value) {
        let plain = w
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b));
        if !plain || w.starts_with('-') || !w.ends_with("config") {
            return Err(bad(w, "is not a configuration make target (NAME_defconfig, NAME.config, defconfig, allnoconfig, tinyconfig, ...)"));
        }
        if INTERACTIVE_TARGETS.contains(&w) {
            return Err(bad(
                w,
                "asks questions: the base must be made without a terminal",
            ));
        }
        targets.push(w.to_owned());
    }
    Ok(targets)
}

/// The override lines, in [`OVERRIDE_RUNVARS`] order.
fn overrides(get: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Setting>, KconfigError> {
    let mut out: Vec<Setting> = Vec::new();
    let mut seen: BTreeMap<String, &'static str> = BTreeMap::new();
    for (runvar, value) in OVERRIDE_RUNVARS {
        let Some(v) = get(runvar) else { continue };
        for w in words(&v) {
            if !is_option_name(w) {
                return Err(KconfigError::BadOption {
                    runvar,
                    value: v.clone(),
                    word: w.to_owned(),
                });
            }
            match seen.get(w) {
                Some(&first) if first != runvar => {
                    return Err(KconfigError::Contradiction {
                        option: w.to_owned(),
                        first,
                        second: runvar,
                    })
                }
                Some(_) => continue,
                None => {}
            }
            seen.insert(w.to_owned(), runvar);
            out.push(Setting {
                option: w.to_owned(),
                value,
                from: runvar.to_owned(),
                checked: true,
            });
        }
    }
    Ok(out)
}

impl KernelConfig {
    /// The configuration a build job's runvars ask for, for `target`, or
    /// `None` without `kconfighow` (see the module docs).
    pub fn from_runvars(
        r: &BTreeMap<String, String>,
        target: &'static Arch,
    ) -> Result<Option<KernelConfig>, KconfigError> {
        let get = |k: &str| r.get(k).filter(|v| !v.trim().is_empty()).cloned();
        let Some(how) = get(KCONFIGHOW_RUNVAR) else {
            let others =
                std::iter::once(DEFCONFIG_RUNVAR).chain(OVERRIDE_RUNVARS.map(|(rv, _)| rv));
            return match others.into_iter().find(|rv| get(rv).is_some()) {
                Some(rv) => Err(KconfigError::WithoutHow(rv)),
                None => Ok(None),
            };
        };
        if how != XEN_ENABLE_XEN_CONFIG {
            return Err(KconfigError::UnknownHow(how));
        }
        let blocks = options::xen_enable_xen_config(target.kernel_make_arch)
            .ok_or(KconfigError::NoXen(target.debian))?;
        let (base, base_from) = match get(DEFCONFIG_RUNVAR) {
            Some(v) => (base_targets(&v)?, DEFCONFIG_RUNVAR),
            None => (vec![target.defconfig.to_owned()], PLATFORM_DEFCONFIG),
        };
        let mut settings = vec![Setting {
            option: "CONFIG_MODULES".into(),
            value: Value::Y,
            from: MODULES_BLOCK.into(),
            checked: true,
        }];
        for b in &blocks {
            settings.extend(b.options.iter().map(|(o, v)| Setting {
                option: (*o).to_owned(),
                value: *v,
                from: b.name.to_owned(),
                checked: b.checked,
            }));
        }
        settings.extend(overrides(&get)?);
        Ok(Some(KernelConfig {
            how,
            base,
            base_from,
            settings,
        }))
    }

    /// What the edit script leaves each option at: its last line.
    pub fn wanted(&self) -> BTreeMap<&str, &Setting> {
        self.settings
            .iter()
            .map(|s| (s.option.as_str(), s))
            .collect()
    }

    /// The edit script in runs of consecutive lines from one place, in
    /// order: one `scripts/config` each.
    pub fn runs(&self) -> Vec<&[Setting]> {
        self.settings.chunk_by(|a, b| a.from == b.from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::plan::tests::rv;

    fn arch(name: &str) -> &'static Arch {
        Arch::by_debian(name).unwrap()
    }

    fn cfg(pairs: &[(&str, &str)], a: &str) -> Result<Option<KernelConfig>, KconfigError> {
        KernelConfig::from_runvars(&rv(pairs), arch(a))
    }

    #[test]
    fn nothing_without_kconfighow() {
        assert_eq!(cfg(&[("arch", "arm64")], "arm64"), Ok(None));
        assert_eq!(cfg(&[("kconfighow", " ")], "arm64"), Ok(None));
    }

    #[test]
    fn xen_enable_xen_config_order() {
        let c = cfg(
            &[
                ("kconfighow", "xen-enable-xen-config"),
                ("kconfig_override_n", "CONFIG_XEN_BALLOON"),
                ("kconfig_override_y", "CONFIG_EXT4_FS, CONFIG_VFAT_FS"),
                ("kconfig_override_m", "CONFIG_BLK_DEV_DM"),
            ],
            "armhf",
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.base, ["multi_v7_defconfig"]);
        assert_eq!(c.base_from, "platform");
        let froms: Vec<&str> = c.runs().iter().map(|r| r[0].from.as_str()).collect();
        assert_eq!(
            froms,
            [
                "modules",
                "xen",
                "xen-arm",
                "osstest",
                "kconfig_override_y",
                "kconfig_override_m",
                "kconfig_override_n"
            ]
        );
        assert_eq!(c.settings[0].option, "CONFIG_MODULES");
        let w = c.wanted();
        // The override comes last and wins over the Xen list.
        assert_eq!(w["CONFIG_XEN_BALLOON"].value, Value::N);
        assert_eq!(w["CONFIG_XEN_BALLOON"].from, "kconfig_override_n");
        assert_eq!(w["CONFIG_ARM_LPAE"].value, Value::Y);
        assert_eq!(w["CONFIG_EXT4_FS"].value, Value::Y);
        assert_eq!(w["CONFIG_BLK_DEV_DM"].value, Value::M);
        assert_eq!(w["CONFIG_HVC_XEN"].value, Value::Y);
        assert!(!w.contains_key("CONFIG_SATA_MV"), "x86's hardware on arm");
    }

    #[test]
    fn x86_gets_its_hardware_unchecked_and_overrides_check_it() {
        let c = cfg(
            &[
                ("kconfighow", "xen-enable-xen-config"),
                ("kconfig_override_n", "CONFIG_SCSI_LOWLEVEL"),
            ],
            "amd64",
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.base, ["x86_64_defconfig"]);
        let w = c.wanted();
        assert!(!w["CONFIG_SATA_MV"].checked);
        assert!(w["CONFIG_XEN_PV"].checked);
        assert_eq!(w["CONFIG_SCSI_LOWLEVEL"].value, Value::N);
        assert!(w["CONFIG_SCSI_LOWLEVEL"].checked);
        assert!(!w.contains_key("CONFIG_HIGHMEM64G"), "i386 only");
        let i386 = cfg(&[("kconfighow", "xen-enable-xen-config")], "i386")
            .unwrap()
            .unwrap();
        assert_eq!(i386.wanted()["CONFIG_HIGHMEM64G"].value, Value::Y);
    }

    #[test]
    fn base_from_runvar() {
        let c = cfg(
            &[
                ("kconfighow", "xen-enable-xen-config"),
                (
                    "kconfig_defconfig",
                    "allnoconfig osstest-e2e-arm64.config,osstest-e2e.config",
                ),
            ],
            "arm64",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            c.base,
            [
                "allnoconfig",
                "osstest-e2e-arm64.config",
                "osstest-e2e.config"
            ]
        );
        assert_eq!(c.base_from, "kconfig_defconfig");
    }

    #[test]
    fn errors_name_the_runvar() {
        let how = ("kconfighow", "xen-enable-xen-config");
        let e = |p: &[(&str, &str)], a: &str| cfg(p, a).unwrap_err().to_string();
        assert_eq!(
            e(&[("kconfighow", "create-config-sh")], "amd64"),
            "runvar kconfighow=create-config-sh: unknown kernel configuration method \
             (known: xen-enable-xen-config)"
        );
        assert_eq!(
            e(&[how], "riscv64"),
            "runvar kconfighow=xen-enable-xen-config: Linux has Xen support on x86 and \
             Arm only, not riscv64"
        );
        assert_eq!(
            e(&[("kconfig_override_y", "CONFIG_EXT4_FS")], "armhf"),
            "runvar kconfig_override_y is set but kconfighow is not: no configuration \
             step would apply it"
        );
        assert_eq!(
            e(&[how, ("kconfig_override_m", "CONFIG_A,EXT4_FS")], "armhf"),
            "runvar kconfig_override_m=CONFIG_A,EXT4_FS: 'EXT4_FS' is not a kernel option \
             name (CONFIG_ followed by letters, digits and _)"
        );
        assert_eq!(
            e(&[how, ("kconfig_override_m", "CONFIG_A=y")], "armhf"),
            "runvar kconfig_override_m=CONFIG_A=y: 'CONFIG_A=y' is not a kernel option \
             name (CONFIG_ followed by letters, digits and _)"
        );
        assert_eq!(
            e(
                &[
                    how,
                    ("kconfig_override_y", "CONFIG_EXT4_FS"),
                    ("kconfig_override_n", "CONFIG_VFAT_FS,CONFIG_EXT4_FS")
                ],
                "armhf"
            ),
            "CONFIG_EXT4_FS is in runvar kconfig_override_y and in runvar \
             kconfig_override_n: which value is meant?"
        );
        assert_eq!(
            e(
                &[how, ("kconfig_defconfig", "defconfig menuconfig")],
                "arm64"
            ),
            "runvar kconfig_defconfig=defconfig menuconfig: 'menuconfig' asks questions: \
             the base must be made without a terminal"
        );
        for bad in ["all", "-j8config", "../x.config", "a;config"] {
            let msg = e(&[how, ("kconfig_defconfig", bad)], "arm64");
            assert!(
                msg.contains("is not a configuration make target"),
                "{bad}: {msg}"
            );
        }
    }

    #[test]
    fn the_same_override_twice_in_one_runvar_is_one_line() {
        let c = cfg(
            &[
                ("kconfighow", "xen-enable-xen-config"),
                ("kconfig_override_y", "CONFIG_EXT4_FS,CONFIG_EXT4_FS"),
            ],
            "arm64",
        )
        .unwrap()
        .unwrap();
        let n = c
            .settings
            .iter()
            .filter(|s| s.from == "kconfig_override_y")
            .count();
        assert_eq!(n, 1);
    }
}
