//! Build planning: what a job builds, where, and with which compilers.
//!
//! - [`arch`]: Debian architecture facts.
//! - [`plan`]: a job's runvars in, a build plan (build and target arch, suite) out.
//! - [`kconfig`]: a kernel's configuration from runvars (`kconfighow`,
//!   `kconfig_defconfig`, overrides), and checking a `.config` against it.
//! - [`runes`]: the make and configure invocations of a plan, for Linux and Xen.
//! - [`suite`]: Debian suites: their names, and where they put kernel modules.
//! - [`toolchain`]: Debian's cross compilers per suite, and their packages.

pub mod arch;
pub mod kconfig;
pub mod plan;
pub mod runes;
pub mod suite;
pub mod toolchain;
