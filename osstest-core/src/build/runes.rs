// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Runes: the make and configure invocations a build plan implies.
//!
//! For a [`BuildPlan`], the commands that build (a) Linux, (b) Xen's
//! hypervisor and (c) Xen's tools, with the architecture and cross-compile
//! parts filled in. They are what `ts-kernel-build` and `ts-xen-build` add
//! to their own options (configuration, `-j`, trees); nothing else is
//! decided here.
//!
//! A native plan gives the runes osstest runs today, with no cross
//! variables at all (no `ARCH=`, `CROSS_COMPILE=`, `XEN_TARGET_ARCH=`,
//! `--build`/`--host`, `PKG_CONFIG_LIBDIR`): make and configure then take
//! the build host's own architecture, as before. A cross plan names them
//! all, on make's command line so that they override anything in the
//! environment or the trees' own makefiles.
//!
//! Paths are relative to the top of the tree being built. Linux installs
//! into `dist/` (the tree osstest's `kerndist` tarball holds): modules under
//! `dist/lib/modules/VER/`, device trees under `dist/boot/dtbs/VER/`
//! (`dtbs_install` puts them in `$(INSTALL_PATH)/dtbs/$(KERNELRELEASE)`),
//! and the image is copied from [`LinuxRunes::image_path`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::build::kconfig::KernelConfig;
use crate::build::plan::{BuildArchSource, BuildPlan, PlanError};
use crate::build::toolchain::{Toolchain, ToolchainError};

/// Where Linux's `make modules_install` and `dtbs_install` put things,
/// relative to the kernel tree.
pub const LINUX_DIST: &str = "dist";

/// One command: environment, program and arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    /// Variables to set in the command's environment.
    pub env: BTreeMap<String, String>,
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// The same as one line of POSIX shell, quoted where needed.
    pub shell: String,
}

impl Command {
    fn new(env: &[(&str, String)], argv: Vec<String>) -> Command {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut shell = String::new();
        for (k, v) in &env {
            let _ = write!(shell, "{k}={} ", shell_quote(v));
        }
        shell.push_str(
            &argv
                .iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" "),
        );
        Command { env, argv, shell }
    }
}

/// Quotes a word for the shell if it needs it.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A make variable assignment, as a (name, value) pair.
pub type MakeVar = (&'static str, String);

/// The one way to a `make` command in a tree (Linux's or Xen's): every
/// command made carries the tree's variables first, so a cross plan cannot
/// have a make without `ARCH=` and `CROSS_COMPILE=` (or `XEN_TARGET_ARCH=`):
/// a cross `make oldconfig` without `ARCH` would quietly configure a kernel
/// for the build host. The variables go on make's command line, where they
/// override the environment and the tree's makefiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeMake {
    vars: Vec<MakeVar>,
    env: Vec<(&'static str, String)>,
}

impl TreeMake {
    /// Linux's: `ARCH` and `CROSS_COMPILE` for a cross plan, nothing for a
    /// native one.
    pub fn linux(plan: &BuildPlan) -> TreeMake {
        let vars = match &plan.toolchain.cross_compile {
            Some(prefix) => vec![
                ("ARCH", plan.target.kernel_make_arch.to_owned()),
                ("CROSS_COMPILE", prefix.clone()),
            ],
            None => vec![],
        };
        TreeMake { vars, env: vec![] }
    }

    /// Xen's: `XEN_TARGET_ARCH` and `CROSS_COMPILE` for a cross plan.
    fn xen(plan: &BuildPlan, xen_arch: &str) -> TreeMake {
        let vars = match &plan.toolchain.cross_compile {
            Some(prefix) => vec![
                ("XEN_TARGET_ARCH", xen_arch.to_owned()),
                ("CROSS_COMPILE", prefix.clone()),
            ],
            None => vec![],
        };
        TreeMake { vars, env: vec![] }
    }

    /// The same variables, with an environment for every command.
    fn with_env(mut self, env: Vec<(&'static str, String)>) -> TreeMake {
        self.env = env;
        self
    }

    /// The variables, as a map.
    pub fn vars(&self) -> BTreeMap<String, String> {
        self.vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    /// `make VARS EXTRA... TARGETS...`.
    pub fn command<T: AsRef<str>>(&self, extra: &[String], targets: &[T]) -> Command {
        let mut argv = vec!["make".to_owned()];
        argv.extend(self.vars.iter().map(|(k, v)| format!("{k}={v}")));
        argv.extend(extra.iter().cloned());
        argv.extend(targets.iter().map(|t| t.as_ref().to_owned()));
        Command::new(&self.env, argv)
    }
}

/// How to build and install Linux for the plan's target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinuxRunes {
    /// The variables every make of the tree needs (`ARCH`,
    /// `CROSS_COMPILE`); empty for a native build.
    pub make_vars: BTreeMap<String, String>,
    /// The default configuration target (`multi_v7_defconfig`).
    pub defconfig_target: &'static str,
    /// The image make target (`zImage`).
    pub image_target: &'static str,
    /// Where the image is left in the tree (`arch/arm/boot/zImage`).
    pub image_path: &'static str,
    /// Whether device trees are built and installed.
    pub dtbs: bool,
    /// `make [VARS] DEFCONFIG`: the platform's default configuration.
    pub defconfig: Command,
    /// The job's configuration steps, when it has `kconfighow`.
    pub config: Option<ConfigRunes>,
    /// `make [VARS] IMAGE modules [dtbs]`.
    pub build: Command,
    /// `make [VARS] INSTALL_MOD_PATH=dist modules_install`.
    pub modules_install: Command,
    /// `make [VARS] INSTALL_PATH=dist/boot dtbs_install`, where DTBs are
    /// built.
    pub dtbs_install: Option<Command>,
}

/// How to build Xen for the plan's target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XenRunes {
    /// The variables every make of the tree needs (`XEN_TARGET_ARCH`,
    /// `CROSS_COMPILE`); empty for a native build.
    pub make_vars: BTreeMap<String, String>,
    /// `make [VARS] dist-xen`: the hypervisor, unless it does not build
    /// for the target.
    pub hypervisor: Option<Command>,
    /// Why the hypervisor does not build for the target, when it does not
    /// (x86_32: Xen's makefile only prints "Xen x86/32 target no longer
    /// supported!"; osstest's i386 jobs take the hypervisor from the amd64
    /// build).
    pub hypervisor_unavailable: Option<String>,
    /// `[PKG_CONFIG_LIBDIR=...] ./configure [--build= --host=]`: the
    /// tools' configuration, unless they cannot be built.
    pub tools_configure: Option<Command>,
    /// `[PKG_CONFIG_LIBDIR=...] make [VARS] dist-tools`, unless not.
    pub tools_build: Option<Command>,
    /// Why the tools cannot be built, when they cannot.
    pub tools_unavailable: Option<String>,
}

/// Why a build has no runes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunesError {
    /// Xen does not build for the target.
    #[error("Xen does not build for {0} (it has no XEN_TARGET_ARCH)")]
    NoXen(&'static str),
    /// Xen's tools are not built for the target.
    #[error("Xen's tools build for x86 and Arm only, not {0}")]
    NoXenTools(&'static str),
    /// The tools' target libraries are unavailable.
    #[error("{0}")]
    Toolchain(#[from] ToolchainError),
}

/// How the kernel is configured, from the job's `kconfighow`,
/// `kconfig_defconfig` and `kconfig_override_*` (see [`crate::build::kconfig`]):
/// the base, the edit script, then `olddefconfig`, each a command run in
/// order at the top of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRunes {
    /// What the commands do, line by line, and where each line came from.
    #[serde(flatten)]
    pub config: KernelConfig,
    /// The commands: `make [VARS] BASE...`; one
    /// `scripts/config --file .config --keep-case --enable|--module|--disable
    /// CONFIG_X ...` per run of the edit script from one place (the kernel's
    /// own editor: it sets an option in place or appends it, and
    /// `--keep-case` keeps names such as `CONFIG_SCSI_DC395x` as they are);
    /// then `make [VARS] olddefconfig`, which is `ts-kernel-build`'s
    /// `yes '' | make oldconfig` (every new option at its default) without
    /// a terminal or a pipe.
    pub steps: Vec<Command>,
}

/// The configuration commands for `config`.
fn config_runes(make: &TreeMake, config: KernelConfig) -> ConfigRunes {
    let mut steps = vec![make.command(&[], &config.base)];
    for run in config.runs() {
        let mut argv: Vec<String> = ["scripts/config", "--file", ".config", "--keep-case"]
            .map(str::to_owned)
            .into();
        for s in run {
            argv.push(s.value.scripts_config_flag().to_owned());
            argv.push(s.option.clone());
        }
        steps.push(Command::new(&[], argv));
    }
    steps.push(make.command(&[], &["olddefconfig"]));
    ConfigRunes { config, steps }
}

/// The runes for Linux, with the configuration commands when the job has
/// a configuration ([`KernelConfig::from_runvars`]).
pub fn linux(plan: &BuildPlan, config: Option<KernelConfig>) -> LinuxRunes {
    let t = plan.target;
    let make = TreeMake::linux(plan);
    let mut build_targets = vec![t.kernel_image_target, "modules"];
    if t.dtbs {
        build_targets.push("dtbs");
    }
    LinuxRunes {
        make_vars: make.vars(),
        defconfig_target: t.defconfig,
        image_target: t.kernel_image_target,
        image_path: t.kernel_image_path,
        dtbs: t.dtbs,
        defconfig: make.command(&[], &[t.defconfig]),
        config: config.map(|c| config_runes(&make, c)),
        build: make.command(&[], &build_targets),
        modules_install: make.command(
            &[format!("INSTALL_MOD_PATH={LINUX_DIST}")],
            &["modules_install"],
        ),
        dtbs_install: t.dtbs.then(|| {
            make.command(
                &[format!("INSTALL_PATH={LINUX_DIST}/boot")],
                &["dtbs_install"],
            )
        }),
    }
}

/// The runes for Xen, or why Xen does not build for the target at all.
pub fn xen(plan: &BuildPlan) -> Result<XenRunes, RunesError> {
    let t = plan.target;
    let tc = &plan.toolchain;
    let xen_arch = t.xen_target_arch.ok_or(RunesError::NoXen(t.debian))?;
    let make = TreeMake::xen(plan, xen_arch);
    let tools = (|| -> Result<(Command, Command), RunesError> {
        if !matches!(t.debian, "amd64" | "i386" | "armhf" | "arm64") {
            return Err(RunesError::NoXenTools(t.debian));
        }
        tc.xen_tools_packages(plan.qemuu_tree.is_some())?;
        let env = if tc.is_cross() {
            cross_tools_env(tc)
        } else {
            vec![]
        };
        let mut configure = vec!["./configure".to_owned()];
        if tc.is_cross() {
            configure.push(format!("--build={}", tc.build_gnu_type));
            configure.push(format!("--host={}", tc.host_gnu_type));
        }
        configure.extend(tools_options(plan).into_iter().map(str::to_owned));
        let build = make
            .clone()
            .with_env(env.clone())
            .command(&[], &["dist-tools"]);
        Ok((Command::new(&env, configure), build))
    })();
    let (tools_configure, tools_build, tools_unavailable) = match tools {
        Ok((c, b)) => (Some(c), Some(b), None),
        Err(e) => (None, None, Some(e.to_string())),
    };
    let (hypervisor, hypervisor_unavailable) = if xen_arch == "x86_32" {
        (
            None,
            Some(format!(
                "Xen's hypervisor does not build for {} (XEN_TARGET_ARCH=x86_32): \
                 take it from an amd64 build",
                t.debian
            )),
        )
    } else {
        (Some(make.command(&[], &["dist-xen"])), None)
    };
    Ok(XenRunes {
        make_vars: make.vars(),
        hypervisor,
        hypervisor_unavailable,
        tools_configure,
        tools_build,
        tools_unavailable,
    })
}

/// The environment of a cross build of Xen's tools, for its configure and
/// its make:
///
/// - `PKG_CONFIG_LIBDIR`: only the target's `.pc` files; the build host's
///   would describe libraries of the wrong architecture.
/// - `_PYTHON_SYSCONFIGDATA_NAME`: the target's `sysconfigdata`
///   (`_sysconfigdata_ABIFLAGS_linux_MULTIARCH`, from the target's
///   `libpython3.X-minimal`, which `libpython3-dev:ARCH` pulls in), so that
///   `setup.py`, run by the build host's python3, names the bindings'
///   extensions for the target (`xc.cpython-311-aarch64-linux-gnu.so`, not
///   `...-x86_64-linux-gnu.so`, which the target's python would never
///   import) and configure's python checks link with the target's flags.
///   Not set for stretch, whose Python 3.5 does not read it.
fn cross_tools_env(tc: &Toolchain) -> Vec<(&'static str, String)> {
    let mut env = vec![(
        "PKG_CONFIG_LIBDIR",
        format!(
            "/usr/lib/{}/pkgconfig:/usr/share/pkgconfig",
            tc.target_multiarch
        ),
    )];
    if let Some(flags) = tc.suite.python_sysconfigdata_abiflags() {
        env.push((
            "_PYTHON_SYSCONFIGDATA_NAME",
            format!("_sysconfigdata_{flags}_linux_{}", tc.target_multiarch),
        ));
    }
    env
}

/// The tools' `./configure` options the target and the job's trees call
/// for (osstest adds its own: `--sysconfdir=/etc`, and `--enable-`/
/// `--disable-` options from runvars such as `enable_ovmf`):
///
/// - `--disable-qemu-traditional` on every target but x86: that device
///   model is x86 only, and osstest's `ts-xen-build` disables it
///   elsewhere (trees before Xen 4.16 enable it by default).
/// - `--with-system-qemu` when the job names no qemu-xen tree
///   (`tree_qemuu`): otherwise `make dist-tools` clones qemu-xen from
///   `QEMU_UPSTREAM_URL` (xenbits, by default) in the middle of the build.
///   `xl` then starts `qemu-system-i386` from `PATH` as the device model.
///
/// Stubdomains need nothing: they are x86 only (configure leaves them out
/// elsewhere), and `dist-tools` never builds them (`dist-stubdom` does,
/// downloading newlib, lwip and the rest).
fn tools_options(plan: &BuildPlan) -> Vec<&'static str> {
    let mut o = Vec::new();
    if !matches!(plan.target.debian, "amd64" | "i386") {
        o.push("--disable-qemu-traditional");
    }
    if plan.qemuu_tree.is_none() {
        o.push("--with-system-qemu");
    }
    o
}

/// The packages the build host installs, per kind of build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Packages {
    /// The architecture to `dpkg --add-architecture` first (the target's,
    /// for a cross build of Xen's tools).
    pub add_architecture: Option<&'static str>,
    /// For Linux.
    pub linux: Vec<String>,
    /// For Xen's hypervisor.
    pub xen_hypervisor: Vec<String>,
    /// For Xen's tools, unless they cannot be had.
    pub xen_tools: Option<Vec<String>>,
    /// Why Xen's tools' packages cannot be had, when they cannot.
    pub xen_tools_unavailable: Option<String>,
}

/// A whole plan as one report: what `build_plan` returns to Perl and what
/// the golden files hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanReport {
    /// The build host's Debian architecture.
    pub build_arch: &'static str,
    /// The target's Debian architecture.
    pub target_arch: &'static str,
    /// Whether they differ.
    pub cross: bool,
    /// The build host's suite.
    pub suite: &'static str,
    /// Where the build arch came from: `build_arch` (the runvar),
    /// `host_hostflags` / `hostflags` (an `arch-*` flag there) or `native`.
    pub build_arch_from: String,
    /// `CROSS_COMPILE=`, for a cross build.
    pub cross_compile: Option<String>,
    /// The C compiler.
    pub cc: String,
    /// `./configure --build=`.
    pub build_gnu_type: &'static str,
    /// `./configure --host=`.
    pub host_gnu_type: &'static str,
    /// The packages to install.
    pub packages: Packages,
    /// Linux's runes.
    pub linux: LinuxRunes,
    /// Xen's runes, unless Xen does not build for the target.
    pub xen: Option<XenRunes>,
    /// Why Xen does not build for the target, when it does not.
    pub xen_unavailable: Option<String>,
}

impl PlanReport {
    /// A job's whole plan from its runvars: the build plan
    /// ([`BuildPlan::from_runvars`]) and its kernel configuration
    /// ([`KernelConfig::from_runvars`]).
    pub fn from_runvars(r: &BTreeMap<String, String>) -> Result<PlanReport, PlanError> {
        let plan = BuildPlan::from_runvars(r)?;
        let config = KernelConfig::from_runvars(r, plan.target)?;
        Ok(PlanReport::new(&plan, config))
    }

    /// Everything about a plan, with the kernel configuration (if any).
    pub fn new(plan: &BuildPlan, config: Option<KernelConfig>) -> PlanReport {
        let tc = &plan.toolchain;
        let tools = tc.xen_tools_packages(plan.qemuu_tree.is_some());
        let xen = xen(plan);
        PlanReport {
            build_arch: plan.build.debian,
            target_arch: plan.target.debian,
            cross: plan.is_cross(),
            suite: plan.suite.name(),
            build_arch_from: match &plan.build_from {
                BuildArchSource::Runvar => crate::build::plan::BUILD_ARCH_RUNVAR.to_owned(),
                BuildArchSource::Hostflag(rv) => rv.clone(),
                BuildArchSource::Native => "native".to_owned(),
            },
            cross_compile: tc.cross_compile.clone(),
            cc: tc.cc.clone(),
            build_gnu_type: tc.build_gnu_type,
            host_gnu_type: tc.host_gnu_type,
            packages: Packages {
                add_architecture: tc.foreign_arch(),
                linux: tc.linux_packages(),
                xen_hypervisor: tc.xen_hypervisor_packages(),
                xen_tools: tools.as_ref().ok().cloned(),
                xen_tools_unavailable: tools.as_ref().err().map(|e| e.to_string()),
            },
            linux: linux(plan, config),
            xen: xen.as_ref().ok().cloned(),
            xen_unavailable: xen.as_ref().err().map(|e| e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::arch::Arch;
    use crate::build::plan::tests::rv;

    fn plan(pairs: &[(&str, &str)]) -> BuildPlan {
        let r = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        BuildPlan::from_runvars(&r).unwrap()
    }

    #[test]
    fn native_has_no_cross_variables() {
        let p = plan(&[
            ("arch", "amd64"),
            ("host_hostflags", "arch-amd64,suite-bookworm"),
        ]);
        let l = linux(&p, None);
        assert!(l.make_vars.is_empty());
        assert_eq!(l.build.shell, "make bzImage modules");
        assert_eq!(l.defconfig.shell, "make x86_64_defconfig");
        assert!(l.dtbs_install.is_none());
        let x = xen(&p).unwrap();
        assert_eq!(x.hypervisor.unwrap().shell, "make dist-xen");
        // No tree_qemuu: the tools use the system's qemu.
        assert_eq!(
            x.tools_configure.unwrap().shell,
            "./configure --with-system-qemu"
        );
        let all = serde_json::to_string(&PlanReport::new(&p, None)).unwrap();
        for v in ["CROSS_COMPILE", "ARCH=", "--host", "PKG_CONFIG_LIBDIR"] {
            assert!(!all.contains(v), "{v} in {all}");
        }
    }

    #[test]
    fn cross_armhf_linux() {
        let p = plan(&[
            ("arch", "armhf"),
            ("host_hostflags", "arch-amd64,suite-bookworm"),
        ]);
        let l = linux(&p, None);
        assert_eq!(
            l.build.shell,
            "make ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf- zImage modules dtbs"
        );
        assert_eq!(
            l.dtbs_install.unwrap().argv,
            [
                "make",
                "ARCH=arm",
                "CROSS_COMPILE=arm-linux-gnueabihf-",
                "INSTALL_PATH=dist/boot",
                "dtbs_install"
            ]
        );
        let x = xen(&p).unwrap();
        let c = x.tools_configure.unwrap();
        assert_eq!(
            c.shell,
            "PKG_CONFIG_LIBDIR=/usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig \
             _PYTHON_SYSCONFIGDATA_NAME=_sysconfigdata__linux_arm-linux-gnueabihf \
             ./configure --build=x86_64-linux-gnu --host=arm-linux-gnueabihf \
             --disable-qemu-traditional --with-system-qemu"
        );
    }

    /// The Python bindings are named for the target: its sysconfigdata,
    /// with the ABI flags of the suite's Python, for configure and make.
    #[test]
    fn cross_tools_use_the_targets_python_sysconfigdata() {
        let name = |suite: &str| {
            let p = plan(&[("arch", "arm64"), ("build_arch", "amd64"), ("suite", suite)]);
            let x = xen(&p).unwrap();
            let (c, b) = (x.tools_configure.unwrap(), x.tools_build.unwrap());
            assert_eq!(c.env, b.env, "{suite}");
            c.env.get("_PYTHON_SYSCONFIGDATA_NAME").cloned()
        };
        let want = |s: &str| Some(s.to_owned());
        assert_eq!(
            name("bookworm"),
            want("_sysconfigdata__linux_aarch64-linux-gnu")
        );
        assert_eq!(
            name("trixie"),
            want("_sysconfigdata__linux_aarch64-linux-gnu")
        );
        assert_eq!(
            name("buster"),
            want("_sysconfigdata_m_linux_aarch64-linux-gnu")
        );
        assert_eq!(name("stretch"), None);
        let native = plan(&[("arch", "arm64"), ("suite", "bookworm")]);
        assert!(xen(&native).unwrap().tools_build.unwrap().env.is_empty());
    }

    #[test]
    fn qemu_xen_from_the_jobs_tree_or_the_system() {
        let p = plan(&[
            ("arch", "arm64"),
            ("build_arch", "amd64"),
            ("suite", "bookworm"),
            ("tree_qemuu", "git://xenbits.xen.org/qemu-xen.git"),
        ]);
        let c = xen(&p).unwrap().tools_configure.unwrap();
        assert_eq!(
            &c.argv[1..],
            [
                "--build=x86_64-linux-gnu",
                "--host=aarch64-linux-gnu",
                "--disable-qemu-traditional"
            ]
        );
        // x86 keeps qemu-traditional to osstest's own options.
        let p = plan(&[
            ("arch", "amd64"),
            ("suite", "bookworm"),
            ("tree_qemuu", "git://xenbits.xen.org/qemu-xen.git"),
        ]);
        assert_eq!(
            xen(&p).unwrap().tools_configure.unwrap().shell,
            "./configure"
        );
    }

    #[test]
    fn no_xen_for_s390x_and_no_tools_for_riscv64() {
        let p = plan(&[
            ("arch", "s390x"),
            ("build_arch", "amd64"),
            ("suite", "bookworm"),
        ]);
        assert_eq!(
            xen(&p).unwrap_err().to_string(),
            "Xen does not build for s390x (it has no XEN_TARGET_ARCH)"
        );
        let p = plan(&[
            ("arch", "riscv64"),
            ("build_arch", "amd64"),
            ("suite", "trixie"),
        ]);
        let x = xen(&p).unwrap();
        assert_eq!(
            x.hypervisor.unwrap().shell,
            "make XEN_TARGET_ARCH=riscv64 CROSS_COMPILE=riscv64-linux-gnu- dist-xen"
        );
        assert_eq!(
            x.tools_unavailable.unwrap(),
            "Xen's tools build for x86 and Arm only, not riscv64"
        );
    }

    #[test]
    fn i386_has_tools_but_no_hypervisor() {
        let p = plan(&[
            ("arch", "i386"),
            ("build_arch", "amd64"),
            ("suite", "bookworm"),
        ]);
        let x = xen(&p).unwrap();
        assert_eq!(x.hypervisor, None);
        assert_eq!(
            x.hypervisor_unavailable.unwrap(),
            "Xen's hypervisor does not build for i386 (XEN_TARGET_ARCH=x86_32): take it \
             from an amd64 build"
        );
        assert_eq!(
            x.tools_build.unwrap().shell,
            "PKG_CONFIG_LIBDIR=/usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig \
             _PYTHON_SYSCONFIGDATA_NAME=_sysconfigdata__linux_i386-linux-gnu make \
             XEN_TARGET_ARCH=x86_32 CROSS_COMPILE=i686-linux-gnu- dist-tools"
        );
        let l = linux(&p, None);
        assert_eq!(
            l.defconfig.shell,
            "make ARCH=i386 CROSS_COMPILE=i686-linux-gnu- i386_defconfig"
        );
    }

    /// Every command of the Linux runes, configuration steps included.
    fn linux_commands(l: &LinuxRunes) -> Vec<&Command> {
        let mut all = vec![&l.defconfig, &l.build, &l.modules_install];
        all.extend(l.dtbs_install.as_ref());
        if let Some(c) = &l.config {
            all.extend(c.steps.iter());
        }
        all
    }

    const PVOPS_CROSS: &[(&str, &str)] = &[
        ("arch", "armhf"),
        ("build_arch", "amd64"),
        (
            "host_hostflags",
            "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build",
        ),
        ("kconfighow", "xen-enable-xen-config"),
        ("kconfig_override_y", "CONFIG_EXT4_FS"),
        ("kconfig_override_m", "CONFIG_BLK_DEV_DM,CONFIG_SCSI_DC395x"),
        ("kconfig_override_n", "CONFIG_XEN_BALLOON"),
    ];

    #[test]
    fn xen_enable_xen_config_cross() {
        let p = PlanReport::from_runvars(&rv(PVOPS_CROSS)).unwrap();
        let c = p.linux.config.as_ref().unwrap();
        let shells: Vec<&str> = c.steps.iter().map(|s| s.shell.as_str()).collect();
        let make = "make ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-";
        let edit = "scripts/config --file .config --keep-case";
        assert_eq!(shells.len(), 9, "{shells:#?}");
        assert_eq!(shells[0], format!("{make} multi_v7_defconfig"));
        assert_eq!(shells[1], format!("{edit} --enable CONFIG_MODULES"));
        assert!(
            shells[2].starts_with(&format!(
                "{edit} --enable CONFIG_NET --enable CONFIG_NETDEVICES"
            )),
            "{}",
            shells[2]
        );
        for o in [
            "XEN",
            "XEN_DOM0",
            "HVC_XEN",
            "XEN_GNTDEV",
            "XEN_BLKDEV_BACKEND",
        ] {
            assert!(
                shells[2].contains(&format!(" --enable CONFIG_{o} ")),
                "{o}: {}",
                shells[2]
            );
        }
        assert_eq!(shells[3], format!("{edit} --enable CONFIG_ARM_LPAE"));
        assert_eq!(
            shells[4],
            format!(
                "{edit} --disable CONFIG_AGP --disable CONFIG_DRM --enable CONFIG_TUN \
                 --enable CONFIG_DEVTMPFS"
            )
        );
        assert_eq!(shells[5], format!("{edit} --enable CONFIG_EXT4_FS"));
        assert_eq!(
            shells[6],
            format!("{edit} --module CONFIG_BLK_DEV_DM --module CONFIG_SCSI_DC395x")
        );
        assert_eq!(shells[7], format!("{edit} --disable CONFIG_XEN_BALLOON"));
        assert_eq!(shells[8], format!("{make} olddefconfig"));
        assert_eq!(
            c.steps[8].argv,
            [
                "make",
                "ARCH=arm",
                "CROSS_COMPILE=arm-linux-gnueabihf-",
                "olddefconfig"
            ]
        );
    }

    #[test]
    fn xen_enable_xen_config_native_from_a_base_runvar() {
        let mut r = rv(&[
            ("arch", "amd64"),
            (
                "host_hostflags",
                "share-build-bookworm-amd64,arch-amd64,suite-bookworm",
            ),
            ("kconfighow", "xen-enable-xen-config"),
            ("kconfig_defconfig", "allnoconfig osstest-e2e.config"),
            ("kconfig_override_n", "CONFIG_SCSI_LOWLEVEL"),
        ]);
        let p = PlanReport::from_runvars(&r).unwrap();
        let c = p.linux.config.as_ref().unwrap();
        let shells: Vec<&str> = c.steps.iter().map(|s| s.shell.as_str()).collect();
        assert_eq!(shells[0], "make allnoconfig osstest-e2e.config");
        assert_eq!(*shells.last().unwrap(), "make olddefconfig");
        let x86 = shells.iter().find(|s| s.contains("CONFIG_XEN_PV")).unwrap();
        assert!(x86.contains("--enable CONFIG_HYPERVISOR_GUEST"), "{x86}");
        let hw = shells
            .iter()
            .find(|s| s.contains("CONFIG_SATA_MV"))
            .unwrap();
        assert!(hw.contains("--module CONFIG_SCSI_DC395x"), "{hw}");
        assert_eq!(
            shells[shells.len() - 2],
            "scripts/config --file .config --keep-case --disable CONFIG_SCSI_LOWLEVEL"
        );
        let all = serde_json::to_string(&p).unwrap();
        for v in ["CROSS_COMPILE", "ARCH="] {
            assert!(!all.contains(v), "{v} in {all}");
        }
        // No kconfighow: no configuration steps.
        r.remove("kconfighow");
        r.remove("kconfig_defconfig");
        r.remove("kconfig_override_n");
        assert_eq!(PlanReport::from_runvars(&r).unwrap().linux.config, None);
    }

    /// A cross plan's every make, configuration included, names the
    /// target: the constructor gives no other way to make one.
    #[test]
    fn every_cross_make_has_arch_and_cross_compile() {
        for arch in ["armhf", "arm64", "i386"] {
            let mut r = rv(PVOPS_CROSS);
            r.insert("arch".into(), arch.into());
            let p = PlanReport::from_runvars(&r).unwrap();
            let prefix = p.cross_compile.clone().unwrap();
            let kernel_arch = Arch::by_debian(arch).unwrap().kernel_make_arch;
            let makes: Vec<&Command> = linux_commands(&p.linux)
                .into_iter()
                .filter(|c| c.argv[0] == "make")
                .collect();
            assert!(makes.len() >= 5, "{arch}: {makes:?}");
            for c in makes {
                assert_eq!(
                    c.argv[1..3],
                    [
                        format!("ARCH={kernel_arch}"),
                        format!("CROSS_COMPILE={prefix}")
                    ],
                    "{arch}: {}",
                    c.shell
                );
            }
            let x = p.xen.unwrap();
            for c in [x.hypervisor, x.tools_build].into_iter().flatten() {
                assert!(c.argv[1].starts_with("XEN_TARGET_ARCH="), "{}", c.shell);
                assert_eq!(c.argv[2], format!("CROSS_COMPILE={prefix}"), "{}", c.shell);
            }
        }
    }

    #[test]
    fn config_errors_reach_the_plan() {
        let mut r = rv(PVOPS_CROSS);
        r.insert("kconfighow".into(), "create-config-sh".into());
        assert_eq!(
            PlanReport::from_runvars(&r).unwrap_err().to_string(),
            "runvar kconfighow=create-config-sh: unknown kernel configuration method \
             (known: xen-enable-xen-config)"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("/usr/lib/x:/y"), "/usr/lib/x:/y");
    }
}
