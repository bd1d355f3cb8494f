// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Putting osstest's kernel onto the system the Debian installer installs.
//!
//! d-i runs `preseed/late_command` after installing the base system, with
//! the new system mounted at `/target` and `in-target` (a chroot into it)
//! at hand. [`target_install`] writes the script that command runs, in
//! one of two ways:
//!
//! - from our `.deb` (a kernel build with the `deb` output): fetch it into
//!   the target and `dpkg -i` it there. Its maintainer scripts run
//!   `depmod` and the `/etc/kernel/postinst.d` hooks, so initramfs-tools
//!   writes the initrd and grub or flash-kernel update the boot setup,
//!   exactly as for a Debian kernel.
//! - from the kerndist tarball: unpack it into the target (keeping the
//!   target's `/lib` -> `usr/lib` symlink), drop the `build`/`source`
//!   symlinks, move DTBs to `/usr/lib/linux-image-VER/`, then run `depmod`
//!   and the same `postinst.d` hooks with the arguments a package's
//!   `postinst` would pass.
//!
//! It also returns the boot settings the bootloader setup needs: kernel
//! and initrd paths on the target, the DTB directory, the command line.
//!
//! The script is POSIX sh for d-i's busybox; it takes the target's root as
//! its first argument (default `/target`) and uses `in-target` for what
//! runs inside, so the same text can be tried in a chroot.

use serde::{Deserialize, Serialize};

use crate::build::suite::{TargetSystem, UnknownTarget};

/// An error in the options.
#[derive(Debug, thiserror::Error)]
pub enum TargetInstallError {
    /// Neither or both of the sources.
    #[error("target_install: give exactly one of deb_url and kerndist_url")]
    Source,
    /// A value that cannot go into the script safely.
    #[error("target_install: option {option} '{value}' {why}")]
    Bad {
        /// The option.
        option: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        why: &'static str,
    },
    /// An unknown architecture or suite.
    #[error(transparent)]
    Target(#[from] UnknownTarget),
}

/// What to install and how to boot it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TargetInstallOptions {
    /// The kernel release (the build's `kernel_ver` runvar).
    pub release: String,
    /// The target's Debian architecture.
    pub arch: String,
    /// The suite being installed.
    pub suite: String,
    /// Where the installer fetches our `linux-image` package (http).
    pub deb_url: Option<String>,
    /// Where the installer fetches the kerndist tarball (http), when there
    /// is no package.
    pub kerndist_url: Option<String>,
    /// Where the installer fetches the script itself: when given, the
    /// result's `preseed` is a `late_command` that runs it.
    pub script_url: Option<String>,
    /// The kernel command line for the installed system.
    pub cmdline: Option<String>,
}

/// The boot settings for the installed system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BootSettings {
    /// The kernel image on the target: `/boot/vmlinuz-VER`.
    pub kernel: String,
    /// The initrd initramfs-tools writes: `/boot/initrd.img-VER`.
    pub initrd: String,
    /// Where the DTBs are (for flash-kernel and U-Boot), on ARM.
    pub dtb_dir: Option<String>,
    /// The modules directory on the target.
    pub modules_dir: String,
    /// The command line, if one was given.
    pub cmdline: Option<String>,
}

/// The late_command script, its preseed line and the boot settings.
#[derive(Debug, Clone, Serialize)]
pub struct TargetInstall {
    /// The script for d-i's late_command (POSIX sh).
    pub script: String,
    /// `d-i preseed/late_command string ...` running the script, when
    /// `script_url` was given.
    pub preseed: Option<String>,
    /// How to boot what the script installs.
    pub boot: BootSettings,
}

/// Refuses what cannot sit in single quotes or a file name safely.
fn check(option: &'static str, value: &str, release: bool) -> Result<(), TargetInstallError> {
    let bad = |why| {
        Err(TargetInstallError::Bad {
            option,
            value: value.to_owned(),
            why,
        })
    };
    if value.is_empty() {
        return bad("is empty");
    }
    if release {
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-._~".contains(&b))
        {
            return bad("is not a kernel release (letters, digits and '+-._~')");
        }
    } else if value.contains(['\'', '\n', '\\']) {
        return bad("may not hold quotes, backslashes or newlines");
    }
    Ok(())
}

/// The late_command script and boot settings for installing kernel
/// `opts.release` on the target (see the module docs).
pub fn target_install(opts: &TargetInstallOptions) -> Result<TargetInstall, TargetInstallError> {
    check("release", &opts.release, true)?;
    let TargetSystem { arch, layout } = TargetSystem::new(&opts.arch, &opts.suite)?;
    let v = &opts.release;
    let image = format!("/boot/vmlinuz-{v}");
    let moddir = format!("/{}", layout.modules_dir(v));
    let dtb_dir = format!("/usr/lib/linux-image-{v}");
    let mut s = format!(
        "#!/bin/sh\n\
         # d-i late_command: installs Linux {v} on the target ({arch}, {suite}).\n\
         # Written by osstest-core. Argument: the target's root (default /target).\n\
         set -e\n\
         target=${{1:-/target}}\n\
         version={v}\n\n",
        arch = arch.debian,
        suite = opts.suite,
    );
    match (&opts.deb_url, &opts.kerndist_url) {
        (Some(url), None) => {
            check("deb_url", url, false)?;
            s.push_str(&format!(
                "deb=/var/tmp/osstest-linux-image-$version.deb\n\
                 wget -q -O \"$target$deb\" '{url}'\n\
                 # The package's scripts run depmod and /etc/kernel/postinst.d:\n\
                 # initramfs-tools, grub, flash-kernel.\n\
                 in-target dpkg -i \"$deb\"\n\
                 rm -f \"$target$deb\"\n"
            ));
        }
        (None, Some(url)) => {
            check("kerndist_url", url, false)?;
            s.push_str(&format!(
                "dist=/var/tmp/osstest-kerndist-$version.tar.gz\n\
                 wget -q -O \"$target$dist\" '{url}'\n\
                 # Keep the target's /lib -> usr/lib symlink (usr-merged systems).\n\
                 in-target tar -xzf \"$dist\" -C / --no-same-owner --keep-directory-symlink\n\
                 rm -f \"$target$dist\"\n\
                 rm -f \"$target{moddir}/build\" \"$target{moddir}/source\"\n\
                 # DTBs where flash-kernel looks for them.\n\
                 if [ -d \"$target/boot/dtbs\" ]; then\n    \
                 mkdir -p \"$target{dtb_dir}\"\n    \
                 if [ -d \"$target/boot/dtbs/$version\" ]; then\n        \
                 cp -a \"$target/boot/dtbs/$version/.\" \"$target{dtb_dir}/\"\n    \
                 else\n        \
                 cp -a \"$target/boot/dtbs/.\" \"$target{dtb_dir}/\"\n    \
                 fi\n    \
                 rm -rf \"$target/boot/dtbs\"\n\
                 fi\n\
                 in-target depmod \"$version\"\n\
                 # What a linux-image package's postinst does next.\n\
                 in-target env DEB_MAINT_PARAMS=configure run-parts --report --exit-on-error \\\n    \
                 --arg=\"$version\" --arg=/boot/vmlinuz-\"$version\" /etc/kernel/postinst.d\n"
            ));
        }
        _ => return Err(TargetInstallError::Source),
    }
    s.push_str(
        "\ntest -f \"$target/boot/initrd.img-$version\" || {\n    \
         echo \"late_command: no /boot/initrd.img-$version on the target\" >&2\n    \
         exit 1\n\
         }\n",
    );
    let preseed = match &opts.script_url {
        Some(u) => {
            check("script_url", u, false)?;
            Some(format!(
                "d-i preseed/late_command string wget -q -O /tmp/osstest-kernel-install '{u}' && sh /tmp/osstest-kernel-install /target\n"
            ))
        }
        None => None,
    };
    if let Some(c) = &opts.cmdline {
        check("cmdline", c, false)?;
    }
    let on_arm = matches!(arch.kernel_arch, "arm" | "arm64");
    Ok(TargetInstall {
        script: s,
        preseed,
        boot: BootSettings {
            kernel: image,
            initrd: format!("/boot/initrd.img-{v}"),
            dtb_dir: on_arm.then_some(dtb_dir),
            modules_dir: moddir,
            cmdline: opts.cmdline.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> TargetInstallOptions {
        TargetInstallOptions {
            release: "6.1.0-50-arm64".into(),
            arch: "arm64".into(),
            suite: "trixie".into(),
            deb_url: Some("http://ctl/kerndeb.deb".into()),
            ..Default::default()
        }
    }

    #[test]
    fn boot_settings() {
        let t = target_install(&opts()).unwrap();
        assert_eq!(t.boot.kernel, "/boot/vmlinuz-6.1.0-50-arm64");
        assert_eq!(t.boot.initrd, "/boot/initrd.img-6.1.0-50-arm64");
        assert_eq!(t.boot.modules_dir, "/usr/lib/modules/6.1.0-50-arm64");
        assert_eq!(
            t.boot.dtb_dir.as_deref(),
            Some("/usr/lib/linux-image-6.1.0-50-arm64")
        );
        assert!(t.script.contains("in-target dpkg -i"));
        assert!(t.preseed.is_none());
    }

    #[test]
    fn refuses() {
        let mut o = opts();
        o.kerndist_url = Some("http://x/".into());
        assert!(matches!(
            target_install(&o),
            Err(TargetInstallError::Source)
        ));
        let mut o = opts();
        o.deb_url = Some("http://x/'; rm -rf /".into());
        let e = target_install(&o).unwrap_err().to_string();
        assert!(e.contains("option deb_url"), "{e}");
        let mut o = opts();
        o.release = "6.1 x".into();
        assert!(target_install(&o).is_err());
    }
}
