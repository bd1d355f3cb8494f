//! Build plan functions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use osstest_core::build::kconfig::dotconfig::{check_file, CheckReport, ReadError};
use osstest_core::build::plan::PlanError;
use osstest_core::build::runes::PlanReport;

/// `build_plan(\%r)`: a job's build plan (build and target arch, suite,
/// toolchain, packages) and its runes for Linux (with its configuration)
/// and Xen, from its runvars.
pub fn build_plan(runvars: BTreeMap<String, String>) -> Result<PlanReport, PlanError> {
    PlanReport::from_runvars(&runvars)
}

/// An error of `kconfig_check`.
#[derive(Debug, thiserror::Error)]
pub enum KconfigCheckError {
    /// The runvars make no plan, or a wrong configuration.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The job configures nothing.
    #[error("the job has no kconfighow runvar: there is nothing to check the .config against")]
    NoConfig,
    /// The `.config` cannot be read.
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// `kconfig_check(\%r, $config)`: which options of the job's configuration
/// edit script (`kconfighow`, `kconfig_override_*`) the `.config` at
/// `$config` does not have as asked.
pub fn kconfig_check(
    runvars: BTreeMap<String, String>,
    config: PathBuf,
) -> Result<CheckReport, KconfigCheckError> {
    let plan = PlanReport::from_runvars(&runvars)?;
    let c = plan.linux.config.ok_or(KconfigCheckError::NoConfig)?;
    Ok(check_file(&c.config, &config)?)
}
