//! Build plan functions.

use std::collections::BTreeMap;

use osstest_core::build::plan::{BuildPlan, PlanError};
use osstest_core::build::runes::PlanReport;

/// `build_plan(\%r)`: a job's build plan (build and target arch, suite,
/// toolchain, packages) and its runes for Linux and Xen, from its runvars.
pub fn build_plan(runvars: BTreeMap<String, String>) -> Result<PlanReport, PlanError> {
    BuildPlan::from_runvars(&runvars).map(|p| PlanReport::new(&p))
}
