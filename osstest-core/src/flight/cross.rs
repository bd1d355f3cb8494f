//! The ARM cross rewrite of a flight.
//!
//! For each job whose `arch` is one of [`ARM_ARCHES`]:
//!
//! - a kernel build job keeps `arch` (the target) and gets an x86 build
//!   host: in its host flags (`host_hostflags`, and `all_hostflags` if it
//!   has one) `arch-TARGET` becomes `arch-BUILD` and
//!   `share-build-SUITE-TARGET` becomes `share-build-SUITE-BUILD`, so it
//!   shares build hosts with the native BUILD builds of that suite;
//! - a test job gets [`DIKERNEL_RUNVAR`] naming the kernel build job of
//!   its arch: the one it already names in `kernbuildjob` if that is one,
//!   else the flight's only kernel build job for that arch.
//!
//! Jobs of other architectures are left alone, so an x86 flight comes out
//! unchanged; and so does a flight already rewritten (the rewrite is
//! idempotent). An installer-kernel reference already present is kept
//! (it may name an earlier flight's build, see
//! [`identity`](super::identity)) once checked. Everything is checked
//! before anything is changed: on error the flight is as it was.

use serde::Serialize;

use super::reference::JobRef;
use super::{Flight, FlightError, Job, ARM_ARCHES, DIKERNEL_RUNVAR, HOSTFLAGS_RUNVARS};
use crate::arch::Arch;

/// The build host architecture the rewrite moves ARM kernel builds to.
pub const DEFAULT_BUILD_ARCH: &str = "amd64";

/// One runvar the rewrite set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The job.
    pub job: String,
    /// The runvar.
    pub runvar: String,
    /// Its value before, if it had one.
    pub old: Option<String>,
    /// Its value now.
    pub new: String,
}

/// Rewrites `flight` so its ARM kernels are built on `build_arch` hosts
/// and its ARM test jobs install with them (see the [module docs](self)).
/// Returns the runvars changed, in job order; none for an x86 flight or a
/// second run.
pub fn cross_arm(flight: &mut Flight, build_arch: &str) -> Result<Vec<Change>, FlightError> {
    Arch::by_debian(build_arch).map_err(|e| FlightError::BadRunvar {
        job: "(options)".to_owned(),
        runvar: "build_arch".to_owned(),
        value: build_arch.to_owned(),
        message: e.to_string(),
    })?;
    let mut changes = Vec::new();
    for (name, job) in &flight.jobs {
        let Some(arch) = job.arch().filter(|a| ARM_ARCHES.contains(a)) else {
            continue;
        };
        if job.is_kernel_build(name) {
            cross_build_host(name, job, arch, build_arch, &mut changes)?;
        } else if !job.is_build(name) {
            let want = installer_kernel(flight, name, job, arch)?;
            if job.get(DIKERNEL_RUNVAR) != Some(want.as_str()) {
                changes.push(Change {
                    job: name.clone(),
                    runvar: DIKERNEL_RUNVAR.to_owned(),
                    old: job.get(DIKERNEL_RUNVAR).map(str::to_owned),
                    new: want,
                });
            }
        }
    }
    for c in &changes {
        let job = flight
            .jobs
            .get_mut(&c.job)
            .expect("changes name jobs of the flight");
        job.runvars.insert(c.runvar.clone(), c.new.clone());
    }
    Ok(changes)
}

/// The host flag changes that put kernel build job `name` for `target` on
/// a `build` host.
fn cross_build_host(
    name: &str,
    job: &Job,
    target: &str,
    build: &str,
    changes: &mut Vec<Change>,
) -> Result<(), FlightError> {
    let mut seen = false;
    for runvar in HOSTFLAGS_RUNVARS {
        let Some(old) = job.get(runvar) else { continue };
        seen = true;
        let new =
            cross_hostflags(old, target, build).map_err(|message| FlightError::BadRunvar {
                job: name.to_owned(),
                runvar: runvar.to_string(),
                value: old.to_owned(),
                message,
            })?;
        if new != old {
            changes.push(Change {
                job: name.to_owned(),
                runvar: runvar.to_string(),
                old: Some(old.to_owned()),
                new,
            });
        }
    }
    if !seen {
        return Err(FlightError::MissingRunvar {
            job: name.to_owned(),
            runvar: HOSTFLAGS_RUNVARS[0].to_owned(),
            why: format!(
                " (needed to choose a build host of arch {build} for this {target} kernel)"
            ),
        });
    }
    Ok(())
}

/// `flags` with the build host moved from `target` to `build`: `arch-T`
/// becomes `arch-B` and `share-build-SUITE-T` becomes
/// `share-build-SUITE-B`; other flags stay, in order.
///
/// Deliberately minimal until the build-plan module's hostflag rules are
/// merged; the message is the error's.
fn cross_hostflags(flags: &str, target: &str, build: &str) -> Result<String, String> {
    let arch_t = format!("arch-{target}");
    let arch_b = format!("arch-{build}");
    let share_suffix = format!("-{target}");
    let out: Vec<String> = flags
        .split(',')
        .map(|f| {
            if f == arch_t {
                arch_b.clone()
            } else if let Some(rest) = f
                .strip_prefix("share-build-")
                .and_then(|r| r.strip_suffix(&share_suffix))
            {
                format!("share-build-{rest}-{build}")
            } else {
                f.to_owned()
            }
        })
        .collect();
    let arches: Vec<&String> = out
        .iter()
        .filter(|f| f.starts_with("arch-") && !f.starts_with("arch-xen-"))
        .collect();
    match arches.as_slice() {
        [a] if **a == arch_b => Ok(out.join(",")),
        [] => Err(format!(
            "no arch-* host flag (expected {arch_t} or {arch_b})"
        )),
        _ => Err(format!(
            "host flags ask for {}; cross-building a {target} kernel wants just {arch_b}",
            arches
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        )),
    }
}

/// The installer-kernel reference test job `name` (for `arch`) should have.
fn installer_kernel(
    flight: &Flight,
    name: &str,
    job: &Job,
    arch: &str,
) -> Result<String, FlightError> {
    // A reference to this flight's job must name a kernel build for `arch`;
    // one to another flight is taken as it is (that flight is not here).
    let check = |runvar: &str, value: &str| -> Result<(), FlightError> {
        let r = JobRef::parse(value, "", name, runvar)?;
        if r.is_other_flight("") {
            return Ok(());
        }
        let wrong = |message: String| FlightError::WrongJob {
            job: name.to_owned(),
            runvar: runvar.to_owned(),
            value: value.to_owned(),
            message,
        };
        let k = flight
            .job(&r.job)
            .ok_or_else(|| wrong("no such job in the flight".to_owned()))?;
        if !k.is_kernel_build(&r.job) {
            return Err(wrong(format!("{} is not a kernel build job", r.job)));
        }
        match k.arch() {
            Some(a) if a == arch => Ok(()),
            other => Err(wrong(format!(
                "{} builds for {}, the test job is {arch}",
                r.job,
                other.unwrap_or("(no arch)")
            ))),
        }
    };
    if let Some(v) = job.get(DIKERNEL_RUNVAR) {
        check(DIKERNEL_RUNVAR, v)?;
        return Ok(v.to_owned());
    }
    if let Some(v) = job.get("kernbuildjob") {
        check("kernbuildjob", v)?;
        return Ok(v.trim_start_matches('.').to_owned());
    }
    let found: Vec<&String> = flight
        .jobs
        .iter()
        .filter(|(n, j)| j.is_kernel_build(n) && j.arch() == Some(arch))
        .map(|(n, _)| n)
        .collect();
    match found.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(FlightError::NoKernelBuild {
            job: name.to_owned(),
            arch: arch.to_owned(),
            message: format!("no kernel build job for {arch} in the flight, and no kernbuildjob"),
        }),
        many => Err(FlightError::NoKernelBuild {
            job: name.to_owned(),
            arch: arch.to_owned(),
            message: format!(
                "{} kernel build jobs for {arch} ({}) and no kernbuildjob to choose",
                many.len(),
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flight::plain;

    const ARM: &str = "\
build-armhf-pvops   recipe          build-kern
build-armhf-pvops   arch            armhf
build-armhf-pvops   kconfighow      xen-enable-xen-config
build-armhf-pvops   host_hostflags  share-build-bookworm-armhf,arch-armhf,suite-bookworm,purpose-build
build-armhf         recipe          build
build-armhf         arch            armhf
build-armhf         host_hostflags  share-build-bookworm-armhf,arch-armhf,suite-bookworm,purpose-build
test-armhf-armhf-xl recipe          test-debian
test-armhf-armhf-xl arch            armhf
test-armhf-armhf-xl kernbuildjob    build-armhf-pvops
test-armhf-armhf-xl all_hostflags   arch-armhf,arch-xen-armhf,suite-bookworm,purpose-test
";

    fn arm() -> Flight {
        plain::read(ARM, "arm").unwrap()
    }

    #[test]
    fn hostflags_rule() {
        assert_eq!(
            cross_hostflags(
                "share-build-bookworm-arm64,arch-arm64,suite-bookworm,purpose-build",
                "arm64",
                "amd64"
            )
            .unwrap(),
            "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build"
        );
        assert_eq!(
            cross_hostflags("arch-amd64,purpose-build", "arm64", "amd64").unwrap(),
            "arch-amd64,purpose-build"
        );
        assert_eq!(
            cross_hostflags("suite-bookworm", "arm64", "amd64").unwrap_err(),
            "no arch-* host flag (expected arch-arm64 or arch-amd64)"
        );
        assert_eq!(
            cross_hostflags("arch-arm64,arch-i386", "arm64", "amd64").unwrap_err(),
            "host flags ask for arch-amd64 and arch-i386; cross-building a arm64 kernel wants just arch-amd64"
        );
    }

    #[test]
    fn rewrites_kernel_build_and_test_then_nothing() {
        let mut f = arm();
        let changes = cross_arm(&mut f, "amd64").unwrap();
        let summary: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.job.as_str(), c.runvar.as_str(), c.new.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "build-armhf-pvops",
                    "host_hostflags",
                    "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build"
                ),
                (
                    "test-armhf-armhf-xl",
                    "dikernelbuildjob",
                    "build-armhf-pvops"
                ),
            ]
        );
        // The Xen build stays native; arch stays the target.
        assert_eq!(f.jobs["build-armhf"], arm().jobs["build-armhf"]);
        assert_eq!(f.jobs["build-armhf-pvops"].arch(), Some("armhf"));
        let again = f.clone();
        assert!(cross_arm(&mut f, "amd64").unwrap().is_empty());
        assert_eq!(f, again);
    }

    #[test]
    fn errors_leave_the_flight_alone() {
        let mut f = arm();
        f.jobs
            .get_mut("test-armhf-armhf-xl")
            .unwrap()
            .runvars
            .remove("kernbuildjob");
        let mut second = f.jobs["build-armhf-pvops"].clone();
        second
            .runvars
            .insert("kconfighow".into(), "create-config-sh".into());
        f.jobs.insert("build-armhf-oldkern".into(), second);
        let before = f.clone();
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job test-armhf-armhf-xl (arch armhf): 2 kernel build jobs for armhf \
             (build-armhf-oldkern, build-armhf-pvops) and no kernbuildjob to choose"
        );
        assert_eq!(f, before);

        let mut f = arm();
        f.jobs.remove("build-armhf-pvops");
        f.jobs
            .get_mut("test-armhf-armhf-xl")
            .unwrap()
            .runvars
            .remove("kernbuildjob");
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job test-armhf-armhf-xl (arch armhf): no kernel build job for armhf in the flight, and no kernbuildjob"
        );

        let mut f = arm();
        let t = f.jobs.get_mut("test-armhf-armhf-xl").unwrap();
        t.runvars
            .insert("kernbuildjob".into(), "build-armhf".into());
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job test-armhf-armhf-xl: runvar kernbuildjob=build-armhf: build-armhf is not a kernel build job"
        );

        let mut f = arm();
        let t = f.jobs.get_mut("test-armhf-armhf-xl").unwrap();
        t.runvars
            .insert(DIKERNEL_RUNVAR.into(), "build-arm64-pvops".into());
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job test-armhf-armhf-xl: runvar dikernelbuildjob=build-arm64-pvops: no such job in the flight"
        );

        let mut f = arm();
        f.jobs
            .get_mut("build-armhf-pvops")
            .unwrap()
            .runvars
            .remove("host_hostflags");
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job build-armhf-pvops: runvar host_hostflags not set \
             (needed to choose a build host of arch amd64 for this armhf kernel)"
        );

        let mut f = arm();
        f.jobs
            .get_mut("build-armhf-pvops")
            .unwrap()
            .runvars
            .insert("host_hostflags".into(), "arch-armhf,arch-i386".into());
        assert_eq!(
            cross_arm(&mut f, "amd64").unwrap_err().to_string(),
            "job build-armhf-pvops: runvar host_hostflags=arch-armhf,arch-i386: host flags ask for \
             arch-amd64 and arch-i386; cross-building a armhf kernel wants just arch-amd64"
        );

        let mut f = arm();
        assert!(cross_arm(&mut f, "vax")
            .unwrap_err()
            .to_string()
            .starts_with(
                "job (options): runvar build_arch=vax: unknown Debian architecture 'vax'"
            ));
    }

    #[test]
    fn other_flight_reference_kept() {
        let mut f = arm();
        let t = f.jobs.get_mut("test-armhf-armhf-xl").unwrap();
        t.runvars
            .insert(DIKERNEL_RUNVAR.into(), "4000.build-armhf-pvops".into());
        let changes = cross_arm(&mut f, "amd64").unwrap();
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(
            f.jobs["test-armhf-armhf-xl"].get(DIKERNEL_RUNVAR),
            Some("4000.build-armhf-pvops")
        );
    }
}
