//! Flight functions: the ARM cross rewrite, installer-kernel references,
//! build identity and reuse, and the `job runvar value` listing format.
//!
//! A flight reaches Perl as a hash of job name to
//! `{ recipe => ..., status => ..., runvars => { ... } }` (recipe and status
//! may be absent).

use std::collections::BTreeMap;
use std::convert::Infallible;

use osstest_core::flight::cross::{self, Change};
use osstest_core::flight::identity::{self, BuildIdentity, ReusePlan};
use osstest_core::flight::reference::{self, KernelOutputs};
use osstest_core::flight::{plain, Flight, FlightError, Flights};
use serde::{Deserialize, Serialize};

/// Options of [`flight_cross_arm`].
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrossOptions {
    /// The build host architecture (default `amd64`).
    pub build_arch: String,
}

impl Default for CrossOptions {
    fn default() -> Self {
        CrossOptions {
            build_arch: cross::DEFAULT_BUILD_ARCH.to_owned(),
        }
    }
}

/// What [`flight_cross_arm`] and [`reuse_apply`] return.
#[derive(Debug, Serialize)]
pub struct CrossResult {
    /// The rewritten flight.
    pub jobs: Flight,
    /// The runvars set: `{ job, runvar, old, new }`.
    pub changes: Vec<Change>,
}

/// `flight_cross_arm(\%jobs, \%opts)`: the ARM cross rewrite.
pub fn flight_cross_arm(
    jobs: Flight,
    opts: Option<CrossOptions>,
) -> Result<CrossResult, FlightError> {
    let opts = opts.unwrap_or_default();
    let mut jobs = jobs;
    let changes = cross::cross_arm(&mut jobs, &opts.build_arch)?;
    Ok(CrossResult { jobs, changes })
}

/// `dikernel_outputs($flight, $job, \%flights)`: where the installer
/// kernel of test job `$job` of flight `$flight` is stashed.
pub fn dikernel_outputs(
    flight: String,
    job: String,
    flights: Flights,
) -> Result<KernelOutputs, FlightError> {
    reference::dikernel_outputs(&flights, &flight, &job)
}

/// `build_identity(\%r, $job)`: what build job `$job`'s output depends on.
pub fn build_identity(
    r: BTreeMap<String, String>,
    job: Option<String>,
) -> Result<BuildIdentity, FlightError> {
    identity::runvars_identity(job.as_deref().unwrap_or("(runvars given)"), &r)
}

/// `reuse_candidates(\%jobs, \%earlier)`: which ARM kernel builds earlier
/// flights already did.
pub fn reuse_candidates(jobs: Flight, earlier: Flights) -> Result<ReusePlan, Infallible> {
    Ok(identity::reuse_candidates(&jobs, &earlier))
}

/// `reuse_apply(\%jobs, $plan)`: the flight with `$plan`'s reuse applied.
pub fn reuse_apply(jobs: Flight, plan: ReusePlan) -> Result<CrossResult, FlightError> {
    let mut jobs = jobs;
    let changes = identity::apply_reuse(&mut jobs, &plan)?;
    Ok(CrossResult { jobs, changes })
}

/// `flight_parse($text, $name)`: a `job runvar value` listing as a flight.
pub fn flight_parse(text: String, name: Option<String>) -> Result<Flight, FlightError> {
    plain::read(&text, name.as_deref().unwrap_or("(listing)"))
}

/// `flight_format(\%jobs)`: a flight as a `job runvar value` listing.
pub fn flight_format(jobs: Flight) -> Result<String, Infallible> {
    Ok(plain::write(&jobs))
}
