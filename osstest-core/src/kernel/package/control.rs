// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! What a kernel package says of itself: its name and version checked
//! against Debian Policy, the control fields, the changelog and
//! copyright, and the maintainer scripts (the files in `scripts/`).

use std::io::Write;

use crate::build::arch::Arch;

use super::{DebWriteError, KernelDebOptions};

/// Checks a Debian package name (Policy 5.6.7).
pub(super) fn check_package_name(name: &str) -> Result<(), DebWriteError> {
    let ok = name.len() >= 2
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(DebWriteError::Field {
            field: "Package",
            value: name.to_owned(),
            why: "package names are lower-case letters, digits, '+', '-' and '.' (set the kernel's LOCALVERSION accordingly)",
        })
    }
}

/// Checks a Debian version (Policy 5.6.12).
pub(super) fn check_version(v: &str) -> Result<(), DebWriteError> {
    let bad = |why| {
        Err(DebWriteError::Field {
            field: "Version",
            value: v.to_owned(),
            why,
        })
    };
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (Some(e), r),
        None => (None, v),
    };
    if let Some(e) = epoch {
        if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
            return bad("the epoch must be digits");
        }
    }
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, Some(r)),
        None => (rest, None),
    };
    if !upstream.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return bad("the upstream version must start with a digit");
    }
    if !upstream
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+.~-".contains(&b))
    {
        return bad("the upstream version may hold only letters, digits and '+.~-'");
    }
    if let Some(r) = revision {
        if r.is_empty()
            || !r
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+.~".contains(&b))
        {
            return bad("the revision may hold only letters, digits and '+.~'");
        }
    }
    Ok(())
}

/// The maintainer scripts, with `@VERSION@`, `@IMAGE@` and `@MODDIR@` to
/// fill in. They follow what Debian's linux-image packages do: `depmod`
/// on configure, `/vmlinuz` symlinks through linux-base's
/// `linux-update-symlinks` where it is installed, the hook directories run
/// with `run-parts` and the kernel's release and image path as arguments.
const SCRIPTS: [(&str, &str); 4] = [
    ("./postinst", include_str!("scripts/postinst")),
    ("./postrm", include_str!("scripts/postrm")),
    ("./preinst", include_str!("scripts/preinst")),
    ("./prerm", include_str!("scripts/prerm")),
];

/// The package's `copyright` file.
pub(super) const COPYRIGHT: &str = include_str!("scripts/copyright");

/// The maintainer scripts of the package for kernel `release`, its image
/// at `/IMAGE` and its modules at `/MODDIR`: `(member, mode, text)`.
pub(super) fn scripts(
    release: &str,
    image: &str,
    moddir: &str,
) -> Vec<(&'static str, u32, String)> {
    let image = format!("/{image}");
    let moddir = format!("/{moddir}");
    SCRIPTS
        .iter()
        .map(|(name, text)| {
            let text = text
                .replace("@VERSION@", release)
                .replace("@IMAGE@", &image)
                .replace("@MODDIR@", &moddir);
            (*name, 0o755, text)
        })
        .collect()
}

/// Checks the fields a package is made with before anything is written:
/// its name and version (Debian Policy), the maintainer and the xz preset.
pub(super) fn check_fields(
    package: &str,
    version: &str,
    opts: &KernelDebOptions,
) -> Result<(), DebWriteError> {
    check_package_name(package)?;
    check_version(version)?;
    if opts.maintainer.trim().is_empty() || opts.maintainer.contains('\n') {
        return Err(DebWriteError::Field {
            field: "Maintainer",
            value: opts.maintainer.clone(),
            why: "must be one non-empty line, 'Name <address>'",
        });
    }
    if opts.xz_level > 9 {
        return Err(DebWriteError::Field {
            field: "xz_level",
            value: opts.xz_level.to_string(),
            why: "xz presets are 0 to 9",
        });
    }
    Ok(())
}

/// The control fields, in their order.
pub(super) fn fields(
    package: &str,
    version: &str,
    release: &str,
    arch: &Arch,
    opts: &KernelDebOptions,
    installed_kib: u64,
) -> Vec<(&'static str, String)> {
    vec![
        ("Package", package.to_owned()),
        ("Version", version.to_owned()),
        ("Architecture", arch.debian.to_owned()),
        ("Maintainer", opts.maintainer.clone()),
        ("Installed-Size", installed_kib.to_string()),
        (
            "Depends",
            "kmod, initramfs-tools | linux-initramfs-tool".to_owned(),
        ),
        ("Provides", "linux-image".to_owned()),
        ("Section", "kernel".to_owned()),
        ("Priority", "optional".to_owned()),
        (
            "Description",
            format!(
                "Linux kernel {release} built by osstest\n \
                 The Linux kernel {release}, its modules and device trees, built by\n \
                 osstest (the Xen Project's CI) for {}, laid out for Debian {}.",
                arch.debian, opts.suite
            ),
        ),
    ]
}

/// The `control` file of `fields`.
pub(super) fn control_text(fields: &[(&str, String)]) -> String {
    fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

/// `seconds` since the epoch as an RFC 5322 date, as `dpkg-parsechangelog`
/// wants it: `Tue, 14 Nov 2023 22:13:20 +0000`.
fn rfc5322(seconds: u64) -> String {
    // Days to the civil date: Howard Hinnant's days_from_civil, inverted.
    let days = (seconds / 86400) as i64;
    let secs = seconds % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The package's `changelog.Debian.gz` (or `changelog.gz` for a native
/// version): one entry, compressed the way dpkg's tools do (`gzip -9n`).
pub(super) fn changelog(
    package: &str,
    version: &str,
    suite: &str,
    maintainer: &str,
    epoch: u64,
) -> Vec<u8> {
    let text = format!(
        "{package} ({version}) {suite}; urgency=medium\n\n  \
         * Built by osstest, the Xen Project's CI.\n\n \
         -- {maintainer}  {}\n",
        rfc5322(epoch)
    );
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(text.as_bytes()).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["6.1.0-50-amd64", "1:6.1+osstest1", "6.12.0-rc1~x-1", "6.1"] {
            check_version(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["v6.1", "6.1_x", "a:6.1", "6.1-", ""] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
        assert!(check_package_name("linux-image-6.1.0-50-amd64").is_ok());
        assert!(check_package_name("linux-image-6.1.0_Foo").is_err());
    }

    #[test]
    fn dates() {
        // `date -u -R -d @N`
        assert_eq!(rfc5322(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc5322(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
        assert_eq!(rfc5322(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }
}
