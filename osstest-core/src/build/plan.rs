// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Build plans: a job's runvars in, build arch, target arch and suite out.
//!
//! In GCC's words the osstest host a build job runs on is the *build*
//! machine and the machine the result runs on is the *host*; here they are
//! the **build arch** and the **target arch**. A plan is *native* when they
//! agree (every osstest build job today) and *cross* when they differ: an
//! `arch=armhf` kernel built on an `arch-amd64` host.
//!
//! # The runvars read
//!
//! - `arch`: the target arch (required), a Debian architecture name.
//! - `host_hostflags` and `hostflags`: the flags the build host was (or
//!   will be) allocated by, comma-separated, as `ts-hosts-allocate` reads
//!   them (`hostflags` applies to every host of the job, `host_hostflags`
//!   to the host called `host`; the flags of both count). Read here:
//!   - `arch-X`: the build host's architecture. At most one, across both
//!     runvars (the same flag twice is fine).
//!   - `suite-S`: the suite installed on the build host.
//!   - `share-build-S-X`: the sharing class. Hosts are shared between jobs
//!     of one class, so its suite and arch describe the *build host*: they
//!     must be the suite and the build arch (`share-build-bookworm-amd64`
//!     for an armhf kernel cross-built on amd64).
//!
//!   Negated flags (`!flag`) and flags of other kinds are not about the
//!   build arch or suite and are ignored.
//! - `host_suite`, else `suite`: the build host's suite, as osstest's
//!   `target_var` picks it. With a `suite-S` hostflag too, they must agree.
//!   One of the three is required.
//! - `build_arch`: the explicit cross runvar, below.
//! - `tree_qemuu`: where Xen's tools get the qemu-xen device model from
//!   (osstest's `.config` names it as `QEMU_UPSTREAM_URL`). Without it
//!   the tools' runes build no qemu-xen (see [`crate::build::runes::xen`]).
//!
//! # The explicit cross runvar: `build_arch`
//!
//! `build_arch=amd64` names the build host's Debian architecture. Without it
//! the build arch comes from the `arch-X` hostflag, and with neither the
//! plan is native (build arch = `arch`), which is what every existing job
//! means. It is worth having because hostflags are *host selection*
//! constraints, not a statement of intent: a job may be run on a host given
//! by hand, with no hostflags at all, and a reader of a flight's runvars
//! sees `arch=armhf build_arch=amd64` and knows it is a cross build without
//! decoding flag lists. The flight rewrite sets both `build_arch` and the
//! `arch-X` flag.
//!
//! When `build_arch` and an `arch-X` hostflag disagree the plan is an error
//! naming both runvars: osstest would allocate a host of one architecture
//! and build as if it were the other, so neither can be trusted to win.
//!
//! # Contradictions
//!
//! Each is a [`PlanError`] naming the runvars at fault: no `arch`; an
//! unknown architecture or suite; two different `arch-*` flags; a
//! `share-build-*` class whose arch (or suite) is not the build host's; a
//! suite that disagrees between runvar and flag; `build_arch` against the
//! flag; and a cross pair the suite's Debian cross compilers cannot serve
//! (see [`crate::build::toolchain`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::build::arch::{Arch, UnknownArch};
use crate::build::kconfig::KconfigError;
use crate::build::suite::{Suite, UnknownSuite};
use crate::build::toolchain::{Toolchain, ToolchainError};

/// The runvar naming the build host's architecture explicitly.
pub const BUILD_ARCH_RUNVAR: &str = "build_arch";

/// The runvars whose hostflags describe the build host, in the order they
/// are read.
pub const HOSTFLAGS_RUNVARS: &[&str] = &["host_hostflags", "hostflags"];

/// osstest's runvar of the hostflags every host of a job needs.
pub const ALL_HOSTFLAGS_RUNVAR: &str = "all_hostflags";

/// Whether runvar `name` holds hostflags: `hostflags`, `all_hostflags`
/// or an `IDENT_hostflags` of one host (`host_hostflags`,
/// `src_host_hostflags`, ...). They say which hosts run a job, never what
/// it builds.
pub fn is_hostflags_runvar(name: &str) -> bool {
    name == "hostflags" || name.ends_with("_hostflags")
}

/// Where a plan's build arch came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildArchSource {
    /// The `build_arch` runvar (and any `arch-X` hostflag agreed).
    Runvar,
    /// An `arch-X` hostflag, in the named runvar.
    Hostflag(String),
    /// Neither: a native build of `arch`, as osstest always did.
    Native,
}

/// Something wrong with a job's runvars, naming the runvars at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// No `arch` runvar.
    #[error("runvar arch is not set: it names the architecture to build for")]
    NoArch,
    /// An architecture name (in a runvar or hostflag) we do not know.
    #[error("{place}: {source}")]
    UnknownArch {
        /// `runvar arch` or `host_hostflags flag arch-vax`.
        place: String,
        /// The lookup error.
        source: UnknownArch,
    },
    /// A suite name (in a runvar or hostflag) we do not know.
    #[error("{place}: {source}")]
    UnknownSuite {
        /// `runvar host_suite` or `host_hostflags flag suite-sid`.
        place: String,
        /// The lookup error.
        source: UnknownSuite,
    },
    /// Two `arch-*` flags for one host.
    #[error("two arch-* hostflags for the build host: {first_flag} (in {first_runvar}) and {second_flag} (in {second_runvar})")]
    TwoArchFlags {
        /// The first flag.
        first_flag: String,
        /// The runvar holding it.
        first_runvar: &'static str,
        /// The other flag.
        second_flag: String,
        /// The runvar holding it.
        second_runvar: &'static str,
    },
    /// `build_arch` against the `arch-*` hostflag.
    #[error("runvar {BUILD_ARCH_RUNVAR}={build_arch} but {flag_runvar} has {flag}: the host would be allocated as one architecture and built on as the other")]
    BuildArchDisagrees {
        /// The `build_arch` runvar's value.
        build_arch: String,
        /// The arch flag.
        flag: String,
        /// The runvar holding it.
        flag_runvar: &'static str,
    },
    /// A `share-build-*` flag we cannot read.
    #[error("{runvar}: hostflag {flag} is not share-build-SUITE-ARCH")]
    BadShareBuild {
        /// The runvar holding it.
        runvar: &'static str,
        /// The flag.
        flag: String,
    },
    /// A `share-build-SUITE-ARCH` class whose arch is not the build host's.
    #[error("{runvar}: hostflag {flag} shares build hosts of arch {class_arch}, but this job's build host is {build_arch} ({build_from}); a cross build shares the build host's class")]
    ShareBuildArch {
        /// The runvar holding the flag.
        runvar: &'static str,
        /// The flag.
        flag: String,
        /// The arch the class names.
        class_arch: String,
        /// The build arch.
        build_arch: &'static str,
        /// Where the build arch came from, for the message.
        build_from: String,
    },
    /// A `share-build-SUITE-ARCH` class whose suite is not the build host's.
    #[error("{runvar}: hostflag {flag} shares build hosts of suite {class_suite}, but this job's build host runs {suite} ({suite_from})")]
    ShareBuildSuite {
        /// The runvar holding the flag.
        runvar: &'static str,
        /// The flag.
        flag: String,
        /// The suite the class names.
        class_suite: String,
        /// The suite.
        suite: Suite,
        /// Where the suite came from, for the message.
        suite_from: String,
    },
    /// The suite runvar against a `suite-*` hostflag (or two such flags).
    #[error("{first} but {second}")]
    SuiteDisagrees {
        /// `runvar host_suite=bookworm`.
        first: String,
        /// `host_hostflags has suite-trixie`.
        second: String,
    },
    /// No suite anywhere.
    #[error("no suite for the build host: set runvar host_suite or suite, or a suite-SUITE hostflag in host_hostflags")]
    NoSuite,
    /// The kernel configuration runvars (`kconfighow`, `kconfig_*`) are
    /// wrong; not produced by [`BuildPlan::from_runvars`], which does not
    /// read them, but by [`crate::build::runes::PlanReport::from_runvars`].
    #[error(transparent)]
    Kconfig(#[from] KconfigError),
    /// Debian's cross compilers cannot serve the pair.
    #[error("runvar arch={target}, built on {build} ({build_from}): {source}")]
    Toolchain {
        /// The target arch.
        target: &'static str,
        /// The build arch.
        build: &'static str,
        /// Where the build arch came from.
        build_from: String,
        /// Why not.
        source: ToolchainError,
    },
}

/// A job's build plan: what is built, on what, with which compilers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    /// The build host's architecture.
    pub build: &'static Arch,
    /// The architecture the result runs on.
    pub target: &'static Arch,
    /// The suite installed on the build host.
    pub suite: Suite,
    /// Where [`BuildPlan::build`] came from.
    pub build_from: BuildArchSource,
    /// The compilers: native, or Debian's cross compiler for the target.
    pub toolchain: Toolchain,
    /// The `tree_qemuu` runvar: the qemu-xen tree Xen's tools build, if
    /// any.
    pub qemuu_tree: Option<String>,
}

/// One hostflag and the runvar it came from.
struct Flag<'a> {
    runvar: &'static str,
    flag: &'a str,
}

/// The value of runvar `k`, unless empty.
fn runvar<'a>(r: &'a BTreeMap<String, String>, k: &str) -> Option<&'a str> {
    r.get(k).map(String::as_str).filter(|v| !v.is_empty())
}

/// The build host's hostflags, from [`HOSTFLAGS_RUNVARS`], `!`-negated
/// ones left out.
fn host_flags(r: &BTreeMap<String, String>) -> Vec<Flag<'_>> {
    HOSTFLAGS_RUNVARS
        .iter()
        .filter_map(|&rv| runvar(r, rv).map(|v| (rv, v)))
        .flat_map(|(runvar, v)| {
            v.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty() && !f.starts_with('!'))
                .map(move |flag| Flag { runvar, flag })
        })
        .collect()
}

/// The build host's `arch-*` flag, at most one distinct, and its arch.
fn arch_flag<'f, 'a>(
    flags: &'f [Flag<'a>],
) -> Result<Option<(&'static Arch, &'f Flag<'a>)>, PlanError> {
    let mut arch_flag: Option<&Flag> = None;
    for f in flags.iter().filter(|f| f.flag.starts_with("arch-")) {
        match arch_flag {
            Some(first) if first.flag != f.flag => {
                return Err(PlanError::TwoArchFlags {
                    first_flag: first.flag.into(),
                    first_runvar: first.runvar,
                    second_flag: f.flag.into(),
                    second_runvar: f.runvar,
                })
            }
            Some(_) => {}
            None => arch_flag = Some(f),
        }
    }
    arch_flag
        .map(|f| {
            Arch::by_debian(&f.flag["arch-".len()..])
                .map(|a| (a, f))
                .map_err(|source| PlanError::UnknownArch {
                    place: format!("{} flag {}", f.runvar, f.flag),
                    source,
                })
        })
        .transpose()
}

/// The build host's arch and where it came from: the `build_arch` runvar
/// (which an `arch-*` flag must agree with), the flag, or the target's.
fn build_arch(
    r: &BTreeMap<String, String>,
    flags: &[Flag<'_>],
    target: &'static Arch,
) -> Result<(&'static Arch, BuildArchSource), PlanError> {
    let flag_arch = arch_flag(flags)?;
    let runvar_arch = runvar(r, BUILD_ARCH_RUNVAR)
        .map(|n| {
            Arch::by_debian(n).map_err(|source| PlanError::UnknownArch {
                place: format!("runvar {BUILD_ARCH_RUNVAR}"),
                source,
            })
        })
        .transpose()?;
    Ok(match (runvar_arch, flag_arch) {
        (Some(b), Some((fa, f))) if b.debian != fa.debian => {
            return Err(PlanError::BuildArchDisagrees {
                build_arch: b.debian.into(),
                flag: f.flag.into(),
                flag_runvar: f.runvar,
            })
        }
        (Some(b), _) => (b, BuildArchSource::Runvar),
        (None, Some((fa, f))) => (fa, BuildArchSource::Hostflag(f.runvar.into())),
        (None, None) => (target, BuildArchSource::Native),
    })
}

/// Where the build arch came from, for messages.
fn build_from_text(from: &BuildArchSource, build: &Arch, target: &Arch) -> String {
    match from {
        BuildArchSource::Runvar => format!("runvar {BUILD_ARCH_RUNVAR}={}", build.debian),
        BuildArchSource::Hostflag(rv) => format!("{rv} has arch-{}", build.debian),
        BuildArchSource::Native => format!(
            "no {BUILD_ARCH_RUNVAR} runvar nor arch-* hostflag, so native as runvar arch={}",
            target.debian
        ),
    }
}

/// The suite: host_suite, else suite (osstest's target_var order), and
/// any suite-* flags, all agreeing; and where it came from.
fn build_suite(
    r: &BTreeMap<String, String>,
    flags: &[Flag<'_>],
) -> Result<(Suite, String), PlanError> {
    let mut suite: Option<(Suite, String)> = None;
    let runvar_suite = ["host_suite", "suite"]
        .iter()
        .find_map(|&rv| runvar(r, rv).map(|v| (rv, v)));
    if let Some((rv, v)) = runvar_suite {
        let s = Suite::by_name(v).map_err(|source| PlanError::UnknownSuite {
            place: format!("runvar {rv}"),
            source,
        })?;
        suite = Some((s, format!("runvar {rv}={v}")));
    }
    for f in flags.iter().filter(|f| f.flag.starts_with("suite-")) {
        let s = Suite::by_name(&f.flag["suite-".len()..]).map_err(|source| {
            PlanError::UnknownSuite {
                place: format!("{} flag {}", f.runvar, f.flag),
                source,
            }
        })?;
        let here = format!("{} has {}", f.runvar, f.flag);
        match &suite {
            Some((had, from)) if *had != s => {
                return Err(PlanError::SuiteDisagrees {
                    first: from.clone(),
                    second: here,
                })
            }
            Some(_) => {}
            None => suite = Some((s, here)),
        }
    }
    suite.ok_or(PlanError::NoSuite)
}

/// Checks that the sharing classes (`share-build-SUITE-ARCH`) describe
/// the build host: its arch (`build_from` saying where that came from)
/// and its suite.
fn check_share_build(
    flags: &[Flag<'_>],
    build: &Arch,
    build_from: &str,
    suite: Suite,
    suite_from: &str,
) -> Result<(), PlanError> {
    for f in flags.iter().filter(|f| f.flag.starts_with("share-build-")) {
        let class = &f.flag["share-build-".len()..];
        let (class_suite, class_arch) = class
            .split_once('-')
            .filter(|(s, a)| !s.is_empty() && !a.is_empty())
            .ok_or_else(|| PlanError::BadShareBuild {
                runvar: f.runvar,
                flag: f.flag.into(),
            })?;
        if class_arch != build.debian {
            return Err(PlanError::ShareBuildArch {
                runvar: f.runvar,
                flag: f.flag.into(),
                class_arch: class_arch.into(),
                build_arch: build.debian,
                build_from: build_from.to_owned(),
            });
        }
        if class_suite != suite.name() {
            return Err(PlanError::ShareBuildSuite {
                runvar: f.runvar,
                flag: f.flag.into(),
                class_suite: class_suite.into(),
                suite,
                suite_from: suite_from.to_owned(),
            });
        }
    }
    Ok(())
}

impl BuildPlan {
    /// Derives the plan from a job's runvars (see the module docs for
    /// which are read and what is an error).
    pub fn from_runvars(r: &BTreeMap<String, String>) -> Result<BuildPlan, PlanError> {
        let target_name = runvar(r, "arch").ok_or(PlanError::NoArch)?;
        let target = Arch::by_debian(target_name).map_err(|source| PlanError::UnknownArch {
            place: "runvar arch".into(),
            source,
        })?;
        let flags = host_flags(r);
        let (build, build_from) = build_arch(r, &flags, target)?;
        let build_from_text = build_from_text(&build_from, build, target);
        let (suite, suite_from) = build_suite(r, &flags)?;
        check_share_build(&flags, build, &build_from_text, suite, &suite_from)?;
        let toolchain =
            Toolchain::new(suite, build, target).map_err(|source| PlanError::Toolchain {
                target: target.debian,
                build: build.debian,
                build_from: build_from_text,
                source,
            })?;
        Ok(BuildPlan {
            build,
            target,
            suite,
            build_from,
            toolchain,
            qemuu_tree: runvar(r, "tree_qemuu").map(str::to_owned),
        })
    }

    /// Whether the build host's architecture differs from the target's.
    pub fn is_cross(&self) -> bool {
        self.build.debian != self.target.debian
    }

    /// The suite installed on the build host.
    pub fn suite(&self) -> Suite {
        self.suite
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Runvars from pairs, for the tests of this and the modules that read
    /// runvars too.
    pub(crate) fn rv(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        BuildPlan::from_runvars(&rv(pairs)).unwrap_err().to_string()
    }

    const NATIVE_ARMHF: &str = "share-build-bookworm-armhf,arch-armhf,suite-bookworm,purpose-build";
    const ON_AMD64: &str = "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build";

    #[test]
    fn mfi_common_native_build() {
        let p =
            BuildPlan::from_runvars(&rv(&[("arch", "armhf"), ("host_hostflags", NATIVE_ARMHF)]))
                .unwrap();
        assert!(!p.is_cross());
        assert_eq!(p.build.debian, "armhf");
        assert_eq!(p.target.debian, "armhf");
        assert_eq!(p.suite(), Suite::Bookworm);
        assert_eq!(
            p.build_from,
            BuildArchSource::Hostflag("host_hostflags".into())
        );
        assert_eq!(p.toolchain.cc, "gcc");
    }

    #[test]
    fn cross_inferred_from_hostflag() {
        let p = BuildPlan::from_runvars(&rv(&[("arch", "armhf"), ("host_hostflags", ON_AMD64)]))
            .unwrap();
        assert!(p.is_cross());
        assert_eq!(p.build.debian, "amd64");
        assert_eq!(p.target.debian, "armhf");
        assert_eq!(
            p.toolchain.cross_compile.as_deref(),
            Some("arm-linux-gnueabihf-")
        );
    }

    #[test]
    fn cross_by_runvar_alone() {
        let p = BuildPlan::from_runvars(&rv(&[
            ("arch", "arm64"),
            ("build_arch", "amd64"),
            ("suite", "trixie"),
        ]))
        .unwrap();
        assert!(p.is_cross());
        assert_eq!(p.build_from, BuildArchSource::Runvar);
        assert_eq!(p.suite, Suite::Trixie);
        // agreeing with the flag is fine
        let p = BuildPlan::from_runvars(&rv(&[
            ("arch", "arm64"),
            ("build_arch", "amd64"),
            ("host_hostflags", ON_AMD64),
        ]))
        .unwrap();
        assert_eq!(p.build.debian, "amd64");
    }

    #[test]
    fn no_flags_means_native() {
        let p =
            BuildPlan::from_runvars(&rv(&[("arch", "amd64"), ("host_suite", "bullseye")])).unwrap();
        assert!(!p.is_cross());
        assert_eq!(p.build_from, BuildArchSource::Native);
    }

    #[test]
    fn negated_and_other_flags_ignored_and_both_runvars_read() {
        let p = BuildPlan::from_runvars(&rv(&[
            ("arch", "arm64"),
            ("hostflags", "arch-amd64,!arch-i386,"),
            ("host_hostflags", "purpose-build,suite-bookworm,arch-amd64"),
        ]))
        .unwrap();
        assert_eq!(p.build.debian, "amd64");
    }

    #[test]
    fn errors_name_the_runvars() {
        assert_eq!(
            err(&[("host_hostflags", ON_AMD64)]),
            "runvar arch is not set: it names the architecture to build for"
        );
        let e = err(&[("arch", "vax"), ("host_hostflags", ON_AMD64)]);
        assert!(
            e.starts_with("runvar arch: unknown Debian architecture 'vax' (known: amd64,"),
            "{e}"
        );
        assert_eq!(
            err(&[
                ("arch", "armhf"),
                ("hostflags", "arch-arm64"),
                ("host_hostflags", ON_AMD64)
            ]),
            "two arch-* hostflags for the build host: arch-amd64 (in host_hostflags) \
             and arch-arm64 (in hostflags)"
        );
        let e = err(&[
            ("arch", "armhf"),
            ("host_hostflags", "arch-pdp11,suite-bookworm"),
        ]);
        assert!(
            e.starts_with("host_hostflags flag arch-pdp11: unknown Debian architecture 'pdp11'"),
            "{e}"
        );
        assert_eq!(
            err(&[
                ("arch", "armhf"),
                (
                    "host_hostflags",
                    "share-build-bookworm-armhf,arch-amd64,suite-bookworm"
                )
            ]),
            "host_hostflags: hostflag share-build-bookworm-armhf shares build hosts of arch \
             armhf, but this job's build host is amd64 (host_hostflags has arch-amd64); a \
             cross build shares the build host's class"
        );
        assert_eq!(
            err(&[
                ("arch", "armhf"),
                (
                    "host_hostflags",
                    "share-build-bookworm-amd64,suite-bookworm"
                )
            ]),
            "host_hostflags: hostflag share-build-bookworm-amd64 shares build hosts of arch \
             amd64, but this job's build host is armhf (no build_arch runvar nor arch-* \
             hostflag, so native as runvar arch=armhf); a cross build shares the build \
             host's class"
        );
        assert_eq!(
            err(&[
                ("arch", "armhf"),
                (
                    "host_hostflags",
                    "share-build-trixie-amd64,arch-amd64,suite-bookworm"
                )
            ]),
            "host_hostflags: hostflag share-build-trixie-amd64 shares build hosts of suite \
             trixie, but this job's build host runs bookworm (host_hostflags has suite-bookworm)"
        );
        assert_eq!(
            err(&[
                ("arch", "armhf"),
                (
                    "host_hostflags",
                    "share-build-bookworm,arch-amd64,suite-bookworm"
                )
            ]),
            "host_hostflags: hostflag share-build-bookworm is not share-build-SUITE-ARCH"
        );
    }

    #[test]
    fn build_arch_suite_and_toolchain_errors_name_the_runvars() {
        assert_eq!(
            err(&[
                ("arch", "armhf"),
                ("build_arch", "amd64"),
                ("host_hostflags", "arch-arm64,suite-bookworm")
            ]),
            "runvar build_arch=amd64 but host_hostflags has arch-arm64: the host would be \
             allocated as one architecture and built on as the other"
        );
        let e = err(&[
            ("arch", "armhf"),
            ("build_arch", "x86"),
            ("suite", "bookworm"),
        ]);
        assert!(
            e.starts_with("runvar build_arch: unknown Debian architecture 'x86'"),
            "{e}"
        );
        assert_eq!(
            err(&[
                ("arch", "armhf"),
                ("host_suite", "bookworm"),
                ("host_hostflags", "suite-trixie")
            ]),
            "runvar host_suite=bookworm but host_hostflags has suite-trixie"
        );
        let e = err(&[("arch", "armhf"), ("suite", "sid")]);
        assert!(
            e.starts_with("runvar suite: unknown Debian suite 'sid'"),
            "{e}"
        );
        assert_eq!(
            err(&[("arch", "armhf"), ("host_hostflags", "arch-amd64")]),
            "no suite for the build host: set runvar host_suite or suite, or a suite-SUITE \
             hostflag in host_hostflags"
        );
        assert_eq!(
            err(&[
                ("arch", "loong64"),
                (
                    "host_hostflags",
                    "share-build-bookworm-amd64,arch-amd64,suite-bookworm"
                )
            ]),
            "runvar arch=loong64, built on amd64 (host_hostflags has arch-amd64): \
             bookworm has no Debian cross compiler from amd64 to loong64 (it has: arm64, \
             armel, armhf, i386, mips64el, mipsel, ppc64el, riscv64, s390x)"
        );
        assert_eq!(
            err(&[
                ("arch", "armhf"),
                ("build_arch", "arm64"),
                ("suite", "bookworm")
            ]),
            "runvar arch=armhf, built on arm64 (runvar build_arch=arm64): Debian's \
             cross compilers are tabled for amd64 build hosts only, not arm64 (building \
             armhf in bookworm)"
        );
    }

    #[test]
    fn host_suite_wins_over_suite() {
        let p = BuildPlan::from_runvars(&rv(&[
            ("arch", "amd64"),
            ("suite", "bullseye"),
            ("host_suite", "bookworm"),
        ]))
        .unwrap();
        assert_eq!(p.suite, Suite::Bookworm);
    }
}
