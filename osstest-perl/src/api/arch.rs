//! Architecture functions.

use osstest_core::build::arch::{Arch, UnknownArch};

/// `arch_info($debian_arch)`: the facts about one Debian architecture.
pub fn arch_info(debian_arch: String) -> Result<&'static Arch, UnknownArch> {
    Arch::by_debian(&debian_arch)
}
