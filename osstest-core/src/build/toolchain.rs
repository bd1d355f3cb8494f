// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Debian's cross compilers, per suite.
//!
//! Answers "will the Debian cross-compilers do?" for a suite, a build
//! architecture and a target architecture, and names the packages a build
//! host installs for each kind of build (Linux, the Xen hypervisor, Xen's
//! tools) and the compiler names the runes use.
//!
//! # What Debian has
//!
//! Debian's cross compilers are ordinary packages of the archive built by
//! `cross-toolchain-base` and `cross-toolchain-base-ports`: `gcc-TRIPLET`,
//! `binutils-TRIPLET` and `libc6-dev-ARCH-cross`, with
//! `crossbuild-essential-ARCH` (from `build-essential`) pulling them in
//! together. They are built for several build architectures, but osstest's
//! build hosts are amd64 and this table is for **amd64 build hosts only**; a
//! pair with another build architecture is refused rather than guessed.
//!
//! Three facts per suite matter, and they differ:
//!
//! - the targets with a cross compiler (`gcc-TRIPLET` and
//!   `libc6-dev-ARCH-cross`): enough for Linux and for Xen's hypervisor,
//!   which need no target libraries;
//! - the targets with `crossbuild-essential-ARCH` (bookworm has a riscv64
//!   cross compiler but no `crossbuild-essential-riscv64`; trixie has a
//!   loong64 compiler and no `crossbuild-essential-loong64`); the plans
//!   name the compilers themselves, as it also brings g++ and dpkg-cross,
//!   which neither Linux nor Xen uses, and no native compiler, which both
//!   need;
//! - the architectures of the suite's own archive: Xen's tools need the
//!   target's `-dev` libraries through multiarch (`dpkg --add-architecture`),
//!   which only exist where the archive builds that architecture.
//!
//! Bookworm's and trixie's rows are checked against the archive by
//! `tests/toolchain_archive.rs` (`apt-cache policy` through `tests/fetch`,
//! both ways: every target listed has its packages, every other has none;
//! and every package a plan names exists). Stretch's, buster's and
//! bullseye's come from the record of `cross-toolchain-base(-ports)` and
//! `build-essential` in those releases (now on the archive's archive); the
//! tests do not re-check them.

use serde::Serialize;

use crate::build::arch::Arch;
use crate::build::suite::Suite;

impl Suite {
    /// The architectures the suite's archive builds (its release
    /// architectures), so whose libraries multiarch can install.
    pub fn archive_arches(self) -> &'static [&'static str] {
        match self {
            Suite::Stretch | Suite::Buster => &[
                "amd64", "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el",
                "s390x",
            ],
            Suite::Bullseye | Suite::Bookworm => &[
                "amd64", "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el",
                "s390x",
            ],
            Suite::Trixie => &[
                "amd64", "arm64", "armel", "armhf", "i386", "ppc64el", "riscv64", "s390x",
            ],
        }
    }

    /// The targets an amd64 build host has a Debian cross compiler for
    /// (`gcc-TRIPLET`, `binutils-TRIPLET`, `libc6-dev-ARCH-cross`).
    pub fn cross_compiler_targets(self) -> &'static [&'static str] {
        match self {
            Suite::Stretch => &[
                "arm64", "armel", "armhf", "mips64el", "mipsel", "ppc64el", "s390x",
            ],
            Suite::Buster | Suite::Bullseye | Suite::Bookworm => &[
                "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el", "riscv64",
                "s390x",
            ],
            Suite::Trixie => &[
                "arm64", "armel", "armhf", "i386", "loong64", "mips64el", "mipsel", "ppc64el",
                "riscv64", "s390x",
            ],
        }
    }

    /// The targets with a `crossbuild-essential-ARCH` package.
    pub fn crossbuild_essential_targets(self) -> &'static [&'static str] {
        match self {
            Suite::Stretch => &[
                "arm64", "armel", "armhf", "mips64el", "mipsel", "ppc64el", "s390x",
            ],
            Suite::Buster | Suite::Bullseye | Suite::Bookworm => &[
                "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el", "s390x",
            ],
            // mips64el and mipsel are no longer trixie architectures, but
            // their crossbuild-essential from build-essential 12.9 is still
            // in the archive.
            Suite::Trixie => &[
                "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el", "riscv64",
                "s390x",
            ],
        }
    }

    /// The package of the ACPI compiler `iasl` (`acpica-tools` replaced
    /// `iasl` in buster).
    fn iasl(self) -> &'static str {
        match self {
            Suite::Stretch => "iasl",
            _ => "acpica-tools",
        }
    }

    /// The package that gives python3 `distutils`, which Xen's tools'
    /// `setup.py` imports: part of the standard library in stretch, its
    /// own package from buster to bookworm, and gone from Python 3.12 on
    /// (trixie), where setuptools provides it.
    fn python_distutils(self) -> Option<&'static str> {
        match self {
            Suite::Stretch => None,
            Suite::Buster | Suite::Bullseye | Suite::Bookworm => Some("python3-distutils"),
            Suite::Trixie => Some("python3-setuptools"),
        }
    }

    /// The ABI flags in the name of the target's `sysconfigdata` module,
    /// which a cross build names in `_PYTHON_SYSCONFIGDATA_NAME` so that
    /// the build host's python3 builds extensions for the target (their
    /// suffix, `EXT_SUFFIX`, and the flags come from it). Python 3.7
    /// (buster) has the `m` flag, 3.8 on none; stretch's 3.5 does not read
    /// the variable at all (it came in Python 3.6).
    pub(crate) fn python_sysconfigdata_abiflags(self) -> Option<&'static str> {
        match self {
            Suite::Stretch => None,
            Suite::Buster => Some("m"),
            Suite::Bullseye | Suite::Bookworm | Suite::Trixie => Some(""),
        }
    }

    /// The curses development package's name (`libncurses-dev` replaced
    /// `libncurses5-dev` in buster).
    fn ncurses_dev(self) -> &'static str {
        match self {
            Suite::Stretch => "libncurses5-dev",
            _ => "libncurses-dev",
        }
    }
}

/// Why Debian's cross compilers cannot serve a pair.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolchainError {
    /// The build architecture is not one the table covers.
    #[error(
        "Debian's cross compilers are tabled for amd64 build hosts only, \
         not {build} (building {target} in {suite})"
    )]
    BuildArch {
        /// The build host's architecture.
        build: &'static str,
        /// The target architecture.
        target: &'static str,
        /// The suite.
        suite: Suite,
    },
    /// The suite has no cross compiler for the target.
    #[error(
        "{suite} has no Debian cross compiler from {build} to {target} \
         (it has: {known})"
    )]
    NoCompiler {
        /// The build host's architecture.
        build: &'static str,
        /// The target architecture.
        target: &'static str,
        /// The suite.
        suite: Suite,
        /// The targets the suite does serve, for the message.
        known: String,
    },
    /// Xen's tools need the target's libraries, which the suite's archive
    /// does not build.
    #[error(
        "cross-building Xen's tools for {target} needs {target} libraries through \
         multiarch, and {suite}'s archive does not build {target}"
    )]
    NoTargetLibraries {
        /// The target architecture.
        target: &'static str,
        /// The suite.
        suite: Suite,
    },
}

/// The compilers of a build: native (`gcc`) or Debian's cross compiler for
/// the target (`aarch64-linux-gnu-gcc`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    /// The suite the build host runs.
    pub suite: Suite,
    /// The build host's Debian architecture.
    pub build_arch: &'static str,
    /// The target's Debian architecture.
    pub target_arch: &'static str,
    /// `CROSS_COMPILE=` (`aarch64-linux-gnu-`); `None` for a native build.
    pub cross_compile: Option<String>,
    /// The C compiler's name: `gcc`, or `aarch64-linux-gnu-gcc`.
    pub cc: String,
    /// The linker's name: `ld`, or `aarch64-linux-gnu-ld`.
    pub ld: String,
    /// The GNU type of the build host, for `./configure --build=`.
    pub build_gnu_type: &'static str,
    /// The GNU type of the target, for `./configure --host=`.
    pub host_gnu_type: &'static str,
    /// Debian's multiarch directory of the target's libraries
    /// (`aarch64-linux-gnu`, as `dpkg-architecture -qDEB_HOST_MULTIARCH`).
    pub target_multiarch: &'static str,
}

impl Toolchain {
    /// The toolchain for building `target` on `build` in `suite`, or why
    /// Debian's cross compilers cannot do it. Native pairs always can.
    pub fn new(
        suite: Suite,
        build: &'static Arch,
        target: &'static Arch,
    ) -> Result<Toolchain, ToolchainError> {
        let cross = build.debian != target.debian;
        if cross {
            if build.debian != "amd64" {
                return Err(ToolchainError::BuildArch {
                    build: build.debian,
                    target: target.debian,
                    suite,
                });
            }
            if !suite.cross_compiler_targets().contains(&target.debian) {
                return Err(ToolchainError::NoCompiler {
                    build: build.debian,
                    target: target.debian,
                    suite,
                    known: suite.cross_compiler_targets().join(", "),
                });
            }
        }
        let prefix = cross.then(|| format!("{}-", target.gnu_triplet));
        let tool = |t: &str| format!("{}{t}", prefix.as_deref().unwrap_or(""));
        Ok(Toolchain {
            suite,
            build_arch: build.debian,
            target_arch: target.debian,
            cc: tool("gcc"),
            ld: tool("ld"),
            cross_compile: prefix,
            build_gnu_type: build.gnu_triplet,
            host_gnu_type: target.gnu_triplet,
            target_multiarch: target.multiarch,
        })
    }

    /// Whether this is a cross toolchain.
    pub fn is_cross(&self) -> bool {
        self.cross_compile.is_some()
    }

    /// The compiler packages: `gcc-TRIPLET binutils-TRIPLET
    /// libc6-dev-ARCH-cross` plus the build host's own `gcc libc6-dev`
    /// for a cross build, `gcc binutils libc6-dev` for a native one.
    ///
    /// A cross build still compiles and runs programs on the build host
    /// (`HOSTCC`: Linux's and Xen's `fixdep` and kconfig, Xen's `symbols`
    /// and the tools' `xen-foreign` checker), and Debian's cross compilers
    /// pull in no native compiler: on a minimal bookworm host with only
    /// the cross packages, Xen's `dist-xen` stops at `gcc: not found`,
    /// then, with `gcc` alone, at `stdio.h: No such file or directory`.
    pub fn compiler_packages(&self) -> Vec<String> {
        match &self.cross_compile {
            Some(_) => vec![
                format!("gcc-{}", self.host_gnu_type),
                format!("binutils-{}", self.host_gnu_type),
                format!("libc6-dev-{}-cross", self.target_arch),
                "gcc".into(),
                "libc6-dev".into(),
            ],
            None => vec!["gcc".into(), "binutils".into(), "libc6-dev".into()],
        }
    }

    /// What a Linux build needs on the build host: make and the compiler,
    /// and what the kernel's own build tools need (`bc`, `bison`, `flex`,
    /// OpenSSL for module signing and `extract-cert`, libelf for objtool,
    /// `cpio` and `kmod` for the headers archive and `modules_install`).
    /// All are build-arch packages: the kernel needs no target libraries.
    ///
    /// A cross build needs the build host's own compiler too (`gcc`,
    /// `libc6-dev`, in [`Toolchain::compiler_packages`]): kbuild compiles
    /// its host programs (`fixdep`, Kconfig's `conf`, `modpost`, `dtc`) with
    /// `HOSTCC=gcc` (`linux-source` only recommends `build-essential`).
    pub fn linux_packages(&self) -> Vec<String> {
        let mut p: Vec<String> = [
            "make",
            "bc",
            "bison",
            "flex",
            "libssl-dev",
            "libelf-dev",
            "cpio",
            "kmod",
            "rsync",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        p.extend(self.compiler_packages());
        p
    }

    /// What building Xen's hypervisor needs on the build host: make, the
    /// compilers, bison and flex for its kconfig, and on x86 python3
    /// (`gen-cpuid.py` and the compat headers; the Arm hypervisor builds
    /// without it).
    pub fn xen_hypervisor_packages(&self) -> Vec<String> {
        let mut p: Vec<String> = ["make", "bison", "flex"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if matches!(self.target_arch, "amd64" | "i386") {
            p.push("python3".into());
        }
        p.extend(self.compiler_packages());
        p
    }

    /// The architecture to `dpkg --add-architecture` before installing
    /// [`Toolchain::xen_tools_packages`]: the target's, for a cross build.
    pub fn foreign_arch(&self) -> Option<&'static str> {
        self.is_cross().then_some(self.target_arch)
    }

    /// What building Xen's tools needs: build-arch tools, the compilers
    /// and the target's libraries, as `PACKAGE:ARCH` for a cross build
    /// (installed through multiarch, after `dpkg --add-architecture ARCH`).
    /// `qemu_xen` says whether the build makes qemu-xen too (the job has a
    /// `tree_qemuu`), which alone needs glib, pixman and libaio.
    ///
    /// The list is what a cross build of bookworm's Xen 4.17 for arm64
    /// used on a minimal bookworm with nothing else (`tests/xen arm64`):
    /// configure requires python3, iasl on x86 and aarch64, the libraries
    /// below and libfdt on Arm; `setup.py` imports distutils; Python.h
    /// and the target's `pyconfig.h` come from `libpython3-dev:ARCH`
    /// (`python3-dev:ARCH` needs `python3:ARCH`, which cannot be installed
    /// beside the build host's python3). The tools run no bison or flex on
    /// Arm (their parsers are shipped; only x86's PV shim, a hypervisor
    /// build, needs them), no gettext, gawk (any awk does) nor g++ (so no
    /// `crossbuild-essential-ARCH`). `pkg-config:ARCH` is the cross
    /// `TRIPLET-pkg-config` configure looks for.
    pub fn xen_tools_packages(&self, qemu_xen: bool) -> Result<Vec<String>, ToolchainError> {
        let target = self.target_arch;
        if self.is_cross() && !self.suite.archive_arches().contains(&target) {
            return Err(ToolchainError::NoTargetLibraries {
                target,
                suite: self.suite,
            });
        }
        let x86 = matches!(target, "amd64" | "i386");
        let mut p: Vec<String> = vec!["make".into(), "python3".into()];
        p.extend(self.suite.python_distutils().map(str::to_owned));
        if x86 {
            p.extend(["bison".into(), "flex".into()]);
        }
        if x86 || target == "arm64" {
            // ACPI tables are compiled on the build host: hvmloader's on
            // x86, libxl's for arm64 guests.
            p.push(self.suite.iasl().into());
        }
        p.push(match self.foreign_arch() {
            Some(a) => format!("pkg-config:{a}"),
            None => "pkg-config".into(),
        });
        p.extend(self.compiler_packages());
        let python = if self.is_cross() {
            "libpython3-dev"
        } else {
            "python3-dev"
        };
        let mut libs = vec![
            "uuid-dev",
            "libyajl-dev",
            "zlib1g-dev",
            self.suite.ncurses_dev(),
            "libzstd-dev",
            "liblzma-dev",
            "libbz2-dev",
            python,
        ];
        if matches!(target, "armhf" | "arm64") {
            // libxl builds the guest device tree with libfdt.
            libs.push("libfdt-dev");
        }
        if qemu_xen {
            libs.extend(["libglib2.0-dev", "libpixman-1-dev", "libaio-dev"]);
        }
        for l in libs {
            p.push(match self.foreign_arch() {
                Some(a) => format!("{l}:{a}"),
                None => l.to_owned(),
            });
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::suite::SUITES;

    fn a(n: &str) -> &'static Arch {
        Arch::by_debian(n).unwrap()
    }

    #[test]
    fn cross_arm64_bookworm() {
        let t = Toolchain::new(Suite::Bookworm, a("amd64"), a("arm64")).unwrap();
        assert_eq!(t.cross_compile.as_deref(), Some("aarch64-linux-gnu-"));
        assert_eq!(t.cc, "aarch64-linux-gnu-gcc");
        assert_eq!(
            t.compiler_packages(),
            [
                "gcc-aarch64-linux-gnu",
                "binutils-aarch64-linux-gnu",
                "libc6-dev-arm64-cross",
                "gcc",
                "libc6-dev"
            ]
        );
        assert!(!t.xen_hypervisor_packages().contains(&"python3".to_string()));
        let tools = t.xen_tools_packages(false).unwrap();
        for p in [
            "gcc",
            "acpica-tools",
            "pkg-config:arm64",
            "libyajl-dev:arm64",
            "libfdt-dev:arm64",
            "libpython3-dev:arm64",
        ] {
            assert!(tools.contains(&p.to_string()), "{p}: {tools:?}");
        }
        for p in [
            "crossbuild-essential-arm64",
            "python3-dev:arm64",
            "libglib2.0-dev:arm64",
            "bison",
        ] {
            assert!(!tools.contains(&p.to_string()), "{p}: {tools:?}");
        }
        let with_qemu = t.xen_tools_packages(true).unwrap();
        assert!(with_qemu.contains(&"libglib2.0-dev:arm64".to_string()));
        assert_eq!(t.foreign_arch(), Some("arm64"));
    }

    /// kbuild's host programs are compiled by the build host's gcc, which
    /// Debian's cross compilers do not pull in: without it, the plan's
    /// packages and all they depend on (bookworm, `apt-cache depends
    /// --recurse`) hold no `gcc`, so a fresh host has no `HOSTCC`.
    #[test]
    fn cross_linux_build_has_the_host_compiler() {
        let t = Toolchain::new(Suite::Bookworm, a("amd64"), a("armhf")).unwrap();
        let p = t.linux_packages();
        for pkg in [
            "gcc",
            "libc6-dev",
            "gcc-arm-linux-gnueabihf",
            "make",
            "bison",
        ] {
            assert!(p.contains(&pkg.to_owned()), "{pkg} not in {p:?}");
        }
        assert_eq!(p.iter().filter(|p| *p == "gcc").count(), 1, "{p:?}");
        let native = Toolchain::new(Suite::Bookworm, a("amd64"), a("amd64")).unwrap();
        let n = native.linux_packages();
        assert_eq!(n.iter().filter(|p| *p == "gcc").count(), 1, "{n:?}");
    }

    #[test]
    fn i386_cross_names_i686_compiler_and_i386_libc() {
        let t = Toolchain::new(Suite::Bookworm, a("amd64"), a("i386")).unwrap();
        assert_eq!(t.cc, "i686-linux-gnu-gcc");
        assert!(t
            .compiler_packages()
            .contains(&"libc6-dev-i386-cross".to_string()));
        assert_eq!(t.target_multiarch, "i386-linux-gnu");
    }

    #[test]
    fn native_has_no_prefix_and_no_foreign_arch() {
        let t = Toolchain::new(Suite::Stretch, a("armhf"), a("armhf")).unwrap();
        assert_eq!(t.cross_compile, None);
        assert_eq!(t.cc, "gcc");
        assert_eq!(t.foreign_arch(), None);
        let tools = t.xen_tools_packages(false).unwrap();
        assert!(tools.contains(&"libncurses5-dev".to_string()));
        assert!(tools.iter().all(|p| !p.contains(':')), "{tools:?}");
    }

    #[test]
    fn unserved_pairs_say_why() {
        let e = Toolchain::new(Suite::Bookworm, a("amd64"), a("loong64")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bookworm has no Debian cross compiler from amd64 to loong64 (it has: arm64, \
             armel, armhf, i386, mips64el, mipsel, ppc64el, riscv64, s390x)"
        );
        let e = Toolchain::new(Suite::Bookworm, a("arm64"), a("armhf")).unwrap_err();
        assert!(
            e.to_string().contains("amd64 build hosts only, not arm64"),
            "{e}"
        );
        // riscv64 has a compiler in bookworm, but no riscv64 archive.
        let t = Toolchain::new(Suite::Bookworm, a("amd64"), a("riscv64")).unwrap();
        let e = t.xen_tools_packages(false).unwrap_err();
        assert!(
            e.to_string()
                .contains("bookworm's archive does not build riscv64"),
            "{e}"
        );
        // trixie has loong64's compiler but no crossbuild-essential for it.
        let t = Toolchain::new(Suite::Trixie, a("amd64"), a("loong64")).unwrap();
        assert_eq!(t.cc, "loongarch64-linux-gnu-gcc");
    }

    #[test]
    fn every_cross_target_is_a_known_arch() {
        for s in SUITES {
            for t in s
                .cross_compiler_targets()
                .iter()
                .chain(s.crossbuild_essential_targets())
                .chain(s.archive_arches())
            {
                Arch::by_debian(t).unwrap();
            }
            for t in s.crossbuild_essential_targets() {
                assert!(s.cross_compiler_targets().contains(t), "{s} {t}");
            }
        }
    }
}
