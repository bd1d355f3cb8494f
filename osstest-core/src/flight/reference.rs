// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Job references and the kernel build outputs they lead to.
//!
//! A reference names a job of the same flight (`build-armhf-pvops`, or
//! `.build-armhf-pvops`) or of another (`12345.build-armhf-pvops`), as
//! osstest's `flight_otherjob` parses them. A build job records each output
//! it stashes in a runvar `path_NAME`, a path relative to its stash
//! directory `FLIGHT/JOB/` under osstest's stash root; the paths returned
//! here are relative to that root, as `get_stashed` builds them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{FlightError, Flights, Job, DIKERNEL_RUNVAR};

/// The runvar holding the kernel build's `dist/` tree as a gzipped tar.
pub const KERNDIST: &str = "path_kerndist";
/// The runvar holding the kernel build's `linux-image` `.deb`, when the
/// build was asked for one.
pub const KERNDEB: &str = crate::flight::kernel_outputs::PATH_KERNDEB;
/// The runvar holding the kernel build's cpio of every module, when the
/// build was asked for one.
pub const KERNMODS_CPIO: &str = crate::flight::kernel_outputs::PATH_KERNMODSCPIO;
/// The runvar holding the kernel build's cpio of the installer's module
/// subset, when the build was asked for one.
pub const KERNDIMODS_CPIO: &str = crate::flight::kernel_outputs::PATH_KERNDIMODSCPIO;
/// The runvar holding the version of the kernel built (`uname -r`).
pub const KERNEL_VER: &str = "kernel_ver";

/// A parsed job reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRef {
    /// The flight: the one the reference was made in, unless it names another.
    pub flight: String,
    /// The job.
    pub job: String,
}

impl JobRef {
    /// Parses `JOB`, `.JOB` or `FLIGHT.JOB`, made in flight `this_flight`.
    /// `job` and `runvar` say where the reference is, for the error.
    pub fn parse(
        value: &str,
        this_flight: &str,
        job: &str,
        runvar: &str,
    ) -> Result<JobRef, FlightError> {
        let bad = || FlightError::BadReference {
            job: job.to_owned(),
            runvar: runvar.to_owned(),
            value: value.to_owned(),
        };
        let ok = |s: &str| !s.is_empty() && !s.contains('.') && !s.contains(char::is_whitespace);
        let (flight, j) = match value.split_once('.') {
            Some(("", j)) => (None, j),
            Some((f, j)) => (Some(f), j),
            None => (None, value),
        };
        if !flight.map_or(true, ok) || !ok(j) {
            return Err(bad());
        }
        Ok(JobRef {
            flight: flight.unwrap_or(this_flight).to_owned(),
            job: j.to_owned(),
        })
    }

    /// Whether the reference is to another flight than `this_flight`.
    pub fn is_other_flight(&self, this_flight: &str) -> bool {
        self.flight != this_flight
    }

    /// `FLIGHT.JOB`, as messages and osstest's logs name jobs.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.flight, self.job)
    }

    /// The job referred to, from `flights`. `context` says who asks.
    pub fn lookup<'a>(&self, flights: &'a Flights, context: &str) -> Result<&'a Job, FlightError> {
        let f = flights
            .get(&self.flight)
            .ok_or_else(|| FlightError::NoSuchFlight {
                context: context.to_owned(),
                flight: self.flight.clone(),
                have: flights.keys().cloned().collect::<Vec<_>>().join(", "),
            })?;
        f.job(&self.job).ok_or_else(|| FlightError::NoSuchJob {
            context: context.to_owned(),
            flight: self.flight.clone(),
            job: self.job.clone(),
        })
    }
}

/// What an installer-kernel reference leads to: the kernel build job and
/// the stash paths of its outputs, relative to osstest's stash root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelOutputs {
    /// The kernel build job's flight.
    pub flight: String,
    /// The kernel build job.
    pub job: String,
    /// The kernel's version (`kernel_ver`).
    pub kernel_ver: String,
    /// The architecture it was built for.
    pub arch: String,
    /// `FLIGHT/JOB/...` of the kerndist tarball (`path_kerndist`).
    pub kerndist: String,
    /// `FLIGHT/JOB/...` of the `linux-image` `.deb` (`path_kerndeb`), if built.
    pub deb: Option<String>,
    /// `FLIGHT/JOB/...` of the modules cpio (`path_kernmodscpio`), if built.
    pub modules_cpio: Option<String>,
    /// `FLIGHT/JOB/...` of the installer's module subset cpio
    /// (`path_kerndimodscpio`), if built: the segment to append to d-i's
    /// initrd.
    pub dimodules_cpio: Option<String>,
    /// Every `path_NAME` output of the job, by `NAME`, as `FLIGHT/JOB/...`.
    pub outputs: BTreeMap<String, String>,
}

/// Resolves the installer-kernel reference ([`DIKERNEL_RUNVAR`]) of test
/// job `job` of flight `this_flight`: the stash paths of the kernel build's
/// outputs and its `kernel_ver`.
///
/// `flights` holds this flight and any other the reference names. It is an
/// error if the test job, the runvar, the flight or job it names, or the
/// build's `path_kerndist` or `kernel_ver` is missing (or `kernel_ver` or
/// `arch` is empty); if the job named is
/// not a kernel build, or is for another arch than the test job; or if an
/// output path could escape the job's stash directory.
pub fn dikernel_outputs(
    flights: &Flights,
    this_flight: &str,
    job: &str,
) -> Result<KernelOutputs, FlightError> {
    let test = JobRef {
        flight: this_flight.to_owned(),
        job: job.to_owned(),
    }
    .lookup(flights, "test job")?;
    let value = test
        .get(DIKERNEL_RUNVAR)
        .ok_or_else(|| FlightError::MissingRunvar {
            job: job.to_owned(),
            runvar: DIKERNEL_RUNVAR.to_owned(),
            why: " (the installer kernel's build job)".to_owned(),
        })?;
    let r = JobRef::parse(value, this_flight, job, DIKERNEL_RUNVAR)?;
    let context = format!("job {job}: runvar {DIKERNEL_RUNVAR}={value}");
    let k = r.lookup(flights, &context)?;
    let wrong = |message: String| FlightError::WrongJob {
        job: job.to_owned(),
        runvar: DIKERNEL_RUNVAR.to_owned(),
        value: value.to_owned(),
        message,
    };
    if !k.is_kernel_build(&r.job) {
        return Err(wrong(format!(
            "{} is not a kernel build job (recipe {})",
            r.qualified(),
            k.recipe.as_deref().unwrap_or("unknown")
        )));
    }
    let kq = r.qualified();
    let need = |name: &str, why: &str| match k.get(name) {
        None => Err(FlightError::MissingRunvar {
            job: kq.clone(),
            runvar: name.to_owned(),
            why: format!(" ({why}, for {job})"),
        }),
        Some("") => Err(FlightError::EmptyRunvar {
            job: kq.clone(),
            runvar: name.to_owned(),
            why: format!(" ({why}, for {job})"),
        }),
        Some(v) => Ok(v),
    };
    let karch = need("arch", "the architecture it built for")?;
    if let Some(tarch) = test.arch() {
        if tarch != karch {
            return Err(wrong(format!(
                "{kq} builds for {karch}, the test job is {tarch}"
            )));
        }
    }
    let kernel_ver = need(KERNEL_VER, "the kernel's version")?;
    need(KERNDIST, "the kernel build's output")?;
    let mut outputs = BTreeMap::new();
    for (name, path) in &k.runvars {
        if let Some(item) = name.strip_prefix("path_") {
            outputs.insert(item.to_owned(), stash_path(&r, name, path)?);
        }
    }
    let out = |runvar: &str| outputs.get(runvar.trim_start_matches("path_")).cloned();
    Ok(KernelOutputs {
        flight: r.flight.clone(),
        job: r.job.clone(),
        kernel_ver: kernel_ver.to_owned(),
        arch: karch.to_owned(),
        kerndist: out(KERNDIST).expect("checked above"),
        deb: out(KERNDEB),
        modules_cpio: out(KERNMODS_CPIO),
        dimodules_cpio: out(KERNDIMODS_CPIO),
        outputs,
    })
}

/// `FLIGHT/JOB/PATH`, refusing a path that is empty, absolute, has `..`
/// or characters outside osstest's `[-+._0-9a-zA-Z/]` (as `get_stashed`).
fn stash_path(r: &JobRef, runvar: &str, path: &str) -> Result<String, FlightError> {
    let bad = |message: &str| FlightError::BadRunvar {
        job: r.qualified(),
        runvar: runvar.to_owned(),
        value: path.to_owned(),
        message: message.to_owned(),
    };
    if path.is_empty() {
        return Err(bad("empty path"));
    }
    if path.starts_with('/') {
        return Err(bad(
            "absolute path; stash paths are relative to the job's stash",
        ));
    }
    if path.split('/').any(|c| c == "..") {
        return Err(bad("path has a '..' component"));
    }
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-+._/".contains(*c)))
    {
        return Err(bad(&format!("character {c:?} not allowed in a stash path")));
    }
    Ok(format!("{}/{}/{}", r.flight, r.job, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flight::plain;

    fn flights() -> Flights {
        let this = plain::read(
            "\
build-arm64-pvops   recipe            build-kern
build-arm64-pvops   arch              arm64
build-arm64-pvops   kernel_ver        6.1.112
build-arm64-pvops   path_kerndist     build/kerndist.tar.gz
build-arm64-pvops   path_kerndeb      build/linux-image.deb
build-arm64         recipe            build
build-arm64         arch              arm64
test-arm64-arm64-xl recipe            test-debian
test-arm64-arm64-xl arch              arm64
test-arm64-arm64-xl dikernelbuildjob  build-arm64-pvops
test-other          arch              arm64
test-other          dikernelbuildjob  4000.build-arm64-pvops
",
            "this",
        )
        .unwrap();
        let old = plain::read(
            "\
build-arm64-pvops   recipe            build-kern
build-arm64-pvops   arch              arm64
build-arm64-pvops   kernel_ver        6.1.100
build-arm64-pvops   path_kerndist     build/kerndist.tar.gz
build-arm64-pvops   path_kernmodscpio build/kernmods.cpio.gz
",
            "old",
        )
        .unwrap();
        [("5000".to_owned(), this), ("4000".to_owned(), old)].into()
    }

    #[test]
    fn parse_references_as_osstest() {
        let p = |v| JobRef::parse(v, "5000", "t", "buildjob");
        assert_eq!(p("build-amd64").unwrap().qualified(), "5000.build-amd64");
        assert_eq!(p(".build-amd64").unwrap().qualified(), "5000.build-amd64");
        assert_eq!(
            p("4000.build-amd64").unwrap().qualified(),
            "4000.build-amd64"
        );
        assert!(p("4000.build-amd64").unwrap().is_other_flight("5000"));
        for bad in ["", "a.b.c", "4000.", ".", "a b"] {
            let e = p(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("job t: runvar buildjob={bad}: not a job reference (JOB or FLIGHT.JOB)")
            );
        }
    }

    #[test]
    fn resolves_same_and_other_flight() {
        let fl = flights();
        let o = dikernel_outputs(&fl, "5000", "test-arm64-arm64-xl").unwrap();
        assert_eq!(o.kerndist, "5000/build-arm64-pvops/build/kerndist.tar.gz");
        assert_eq!(
            o.deb.as_deref(),
            Some("5000/build-arm64-pvops/build/linux-image.deb")
        );
        assert_eq!(o.modules_cpio, None);
        assert_eq!(o.kernel_ver, "6.1.112");
        let o = dikernel_outputs(&fl, "5000", "test-other").unwrap();
        assert_eq!(
            (o.flight.as_str(), o.kernel_ver.as_str()),
            ("4000", "6.1.100")
        );
        assert_eq!(
            o.modules_cpio.as_deref(),
            Some("4000/build-arm64-pvops/build/kernmods.cpio.gz")
        );
        assert_eq!(o.outputs.len(), 2);
    }

    fn err(fl: &Flights, job: &str) -> String {
        dikernel_outputs(fl, "5000", job).unwrap_err().to_string()
    }

    fn set(fl: &mut Flights, flight: &str, job: &str, k: &str, v: Option<&str>) {
        let rv = &mut fl
            .get_mut(flight)
            .unwrap()
            .jobs
            .get_mut(job)
            .unwrap()
            .runvars;
        match v {
            Some(v) => rv.insert(k.to_owned(), v.to_owned()),
            None => rv.remove(k),
        };
    }

    #[test]
    fn empty_kernel_ver_or_arch_is_an_error() {
        let mut fl = flights();
        set(&mut fl, "5000", "build-arm64-pvops", "kernel_ver", Some(""));
        assert_eq!(
            err(&fl, "test-arm64-arm64-xl"),
            "job 5000.build-arm64-pvops: runvar kernel_ver is empty \
             (the kernel's version, for test-arm64-arm64-xl)"
        );
        let mut fl = flights();
        set(&mut fl, "5000", "build-arm64-pvops", "arch", Some(""));
        assert_eq!(
            err(&fl, "test-arm64-arm64-xl"),
            "job 5000.build-arm64-pvops: runvar arch is empty \
             (the architecture it built for, for test-arm64-arm64-xl)"
        );
    }

    #[test]
    fn every_error_names_what_is_missing() {
        let fl = flights();
        assert_eq!(
            err(&fl, "test-nonesuch"),
            "test job: flight 5000 has no job test-nonesuch"
        );
        assert_eq!(
            err(&fl, "build-arm64"),
            "job build-arm64: runvar dikernelbuildjob not set (the installer kernel's build job)"
        );
        let mut f = fl.clone();
        set(
            &mut f,
            "5000",
            "test-other",
            "dikernelbuildjob",
            Some("3999.build-arm64-pvops"),
        );
        assert_eq!(
            err(&f, "test-other"),
            "job test-other: runvar dikernelbuildjob=3999.build-arm64-pvops: flight 3999 not given (have: 4000, 5000)"
        );
        set(
            &mut f,
            "5000",
            "test-other",
            "dikernelbuildjob",
            Some("build-arm64-xsm"),
        );
        assert_eq!(
            err(&f, "test-other"),
            "job test-other: runvar dikernelbuildjob=build-arm64-xsm: flight 5000 has no job build-arm64-xsm"
        );
        set(
            &mut f,
            "5000",
            "test-other",
            "dikernelbuildjob",
            Some("build-arm64"),
        );
        assert_eq!(
            err(&f, "test-other"),
            "job test-other: runvar dikernelbuildjob=build-arm64: 5000.build-arm64 is not a kernel build job (recipe build)"
        );
        let mut f = fl.clone();
        set(&mut f, "5000", "test-arm64-arm64-xl", "arch", Some("armhf"));
        assert_eq!(
            err(&f, "test-arm64-arm64-xl"),
            "job test-arm64-arm64-xl: runvar dikernelbuildjob=build-arm64-pvops: 5000.build-arm64-pvops builds for arm64, the test job is armhf"
        );
        let mut f = fl.clone();
        set(&mut f, "4000", "build-arm64-pvops", "path_kerndist", None);
        assert_eq!(
            err(&f, "test-other"),
            "job 4000.build-arm64-pvops: runvar path_kerndist not set (the kernel build's output, for test-other)"
        );
        let mut f = fl.clone();
        set(&mut f, "4000", "build-arm64-pvops", "kernel_ver", None);
        assert_eq!(
            err(&f, "test-other"),
            "job 4000.build-arm64-pvops: runvar kernel_ver not set (the kernel's version, for test-other)"
        );
        for (path, why) in [
            ("../../x", "path has a '..' component"),
            (
                "/etc/passwd",
                "absolute path; stash paths are relative to the job's stash",
            ),
            ("build/a b", "character ' ' not allowed in a stash path"),
        ] {
            let mut f = fl.clone();
            set(
                &mut f,
                "4000",
                "build-arm64-pvops",
                "path_kernmodscpio",
                Some(path),
            );
            assert_eq!(
                err(&f, "test-other"),
                format!("job 4000.build-arm64-pvops: runvar path_kernmodscpio={path}: {why}")
            );
        }
    }
}
