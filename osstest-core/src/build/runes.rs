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

use crate::build::plan::{BuildArchSource, BuildPlan};
use crate::build::toolchain::ToolchainError;

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

    fn make(vars: &[(&'static str, String)], extra: &[String], targets: &[&str]) -> Command {
        let mut argv = vec!["make".to_owned()];
        argv.extend(vars.iter().map(|(k, v)| format!("{k}={v}")));
        argv.extend(extra.iter().cloned());
        argv.extend(targets.iter().map(|t| t.to_string()));
        Command::new(&[], argv)
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
    /// `make [VARS] DEFCONFIG`.
    pub defconfig: Command,
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

/// The runes for Linux.
pub fn linux(plan: &BuildPlan) -> LinuxRunes {
    let t = plan.target;
    let vars: Vec<MakeVar> = match &plan.toolchain.cross_compile {
        Some(prefix) => vec![
            ("ARCH", t.kernel_make_arch.to_owned()),
            ("CROSS_COMPILE", prefix.clone()),
        ],
        None => vec![],
    };
    let mut build_targets = vec![t.kernel_image_target, "modules"];
    if t.dtbs {
        build_targets.push("dtbs");
    }
    LinuxRunes {
        make_vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        defconfig_target: t.defconfig,
        image_target: t.kernel_image_target,
        image_path: t.kernel_image_path,
        dtbs: t.dtbs,
        defconfig: Command::make(&vars, &[], &[t.defconfig]),
        build: Command::make(&vars, &[], &build_targets),
        modules_install: Command::make(
            &vars,
            &[format!("INSTALL_MOD_PATH={LINUX_DIST}")],
            &["modules_install"],
        ),
        dtbs_install: t.dtbs.then(|| {
            Command::make(
                &vars,
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
    let vars: Vec<MakeVar> = match &tc.cross_compile {
        Some(prefix) => vec![
            ("XEN_TARGET_ARCH", xen_arch.to_owned()),
            ("CROSS_COMPILE", prefix.clone()),
        ],
        None => vec![],
    };
    let tools = (|| -> Result<(Command, Command), RunesError> {
        if !matches!(t.debian, "amd64" | "i386" | "armhf" | "arm64") {
            return Err(RunesError::NoXenTools(t.debian));
        }
        tc.xen_tools_packages(plan.qemuu_tree.is_some())?;
        let env: Vec<(&str, String)> = if tc.is_cross() {
            // Only the target's .pc files: the build host's would describe
            // libraries of the wrong architecture.
            vec![(
                "PKG_CONFIG_LIBDIR",
                format!(
                    "/usr/lib/{}/pkgconfig:/usr/share/pkgconfig",
                    tc.target_multiarch
                ),
            )]
        } else {
            vec![]
        };
        let mut configure = vec!["./configure".to_owned()];
        if tc.is_cross() {
            configure.push(format!("--build={}", tc.build_gnu_type));
            configure.push(format!("--host={}", tc.host_gnu_type));
        }
        configure.extend(tools_options(plan).into_iter().map(str::to_owned));
        let mut make = vec!["make".to_owned()];
        make.extend(vars.iter().map(|(k, v)| format!("{k}={v}")));
        make.push("dist-tools".into());
        Ok((Command::new(&env, configure), Command::new(&env, make)))
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
        (Some(Command::make(&vars, &[], &["dist-xen"])), None)
    };
    Ok(XenRunes {
        make_vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        hypervisor,
        hypervisor_unavailable,
        tools_configure,
        tools_build,
        tools_unavailable,
    })
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
    /// Everything about a plan.
    pub fn new(plan: &BuildPlan) -> PlanReport {
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
            linux: linux(plan),
            xen: xen.as_ref().ok().cloned(),
            xen_unavailable: xen.as_ref().err().map(|e| e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let l = linux(&p);
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
        let all = serde_json::to_string(&PlanReport::new(&p)).unwrap();
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
        let l = linux(&p);
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
             ./configure --build=x86_64-linux-gnu --host=arm-linux-gnueabihf \
             --disable-qemu-traditional --with-system-qemu"
        );
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
            "PKG_CONFIG_LIBDIR=/usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig make \
             XEN_TARGET_ARCH=x86_32 CROSS_COMPILE=i686-linux-gnu- dist-tools"
        );
        let l = linux(&p);
        assert_eq!(
            l.defconfig.shell,
            "make ARCH=i386 CROSS_COMPILE=i686-linux-gnu- i386_defconfig"
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
