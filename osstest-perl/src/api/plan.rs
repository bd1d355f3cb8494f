// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Build plan functions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use osstest_core::build::kconfig::dotconfig::{
    check_file, check_file_in_tree, CheckReport, ReadError,
};
use osstest_core::build::kconfig::KernelConfig;
use osstest_core::build::plan::{BuildPlan, PlanError};
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

/// The options of `kconfig_check`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KconfigCheckOpts {
    /// The kernel tree: check the base's fragments from it too.
    pub tree: Option<PathBuf>,
}

/// `kconfig_check(\%r, $config, \%opts)`: which options of the job's
/// configuration edit script (`kconfighow`, `kconfig_override_*`), and with
/// `tree` of its base's fragments, the `.config` at `$config` does not have
/// as asked.
pub fn kconfig_check(
    runvars: BTreeMap<String, String>,
    config: PathBuf,
    opts: Option<KconfigCheckOpts>,
) -> Result<CheckReport, KconfigCheckError> {
    let plan = BuildPlan::from_runvars(&runvars)?;
    let c = KernelConfig::from_runvars(&runvars, plan.target)
        .map_err(PlanError::from)?
        .ok_or(KconfigCheckError::NoConfig)?;
    Ok(match opts.unwrap_or_default().tree {
        Some(tree) => check_file_in_tree(&c, &config, &tree, plan.target.kernel_arch)?,
        None => check_file(&c, &config)?,
    })
}
