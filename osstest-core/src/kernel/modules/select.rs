// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Which modules to put in the installer: patterns over paths and names.
//!
//! A pattern is a glob (the `globset` crate's syntax: `*`, `?`, `[abc]`,
//! `{a,b}`, `**`) matched against one of two things:
//!
//! - a pattern holding a `/` is matched against the module's path relative
//!   to `lib/modules/VERSION` with any compression suffix removed, so it
//!   always ends in `.ko` (`kernel/drivers/md/dm-mod.ko`). `*` and `?` do
//!   not cross a `/`; `**` does: `kernel/drivers/md/**` is everything under
//!   `drivers/md`, at any depth;
//! - any other pattern is matched against the module's name, with `-` read
//!   as `_` on both sides (`dm_mod`, `macb`, `virtio_*`). Names have no
//!   `.`, so such a pattern (`dm-mod.ko`) is refused with a hint.
//!
//! Besides patterns, a selection can name modules outright, two ways:
//!
//! - by name ([`Selection::named`]): the modules the d-i initrd being
//!   appended to already has, for the kernel it was built with;
//! - by path, each with the udeb shipping it ([`Selection::from_udeb`]):
//!   the file lists of the kernel-module udebs d-i would fetch, from the
//!   suite's `Contents-udeb-ARCH` index. A path is relative to
//!   `lib/modules/VERSION` with any compression suffix removed, so a udeb's
//!   `kernel/drivers/block/virtio_blk.ko` selects a new kernel's
//!   `kernel/drivers/block/virtio_blk.ko.xz`.
//!
//! Each module selected carries the rule that selected it ([`Reason`]),
//! tried in this order: an `include` pattern, a d-i initrd name, a udeb,
//! [`NEEDED_PATTERNS`], [`CLASSIC_PATTERNS`].
//!
//! A module is selected when a rule selects it and no excluded pattern
//! matches it. Exclusion only narrows what patterns select: the
//! dependencies of a selected module are always added, or it could not load.

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::{normalize_name, plain_module_path, ModulesError, Reason};

/// osstest's classic installer subset: disk, network, filesystem and LVM
/// drivers, as the shell route selected them by path.
pub const CLASSIC_PATTERNS: &[&str] = &[
    "kernel/lib/**",
    "kernel/crypto/**",
    "kernel/fs/mbcache.ko",
    "kernel/fs/ext*/**",
    "kernel/fs/jbd*/**",
    "kernel/drivers/clk/**",
    "kernel/drivers/mmc/**",
    "kernel/drivers/phy/**",
    "kernel/drivers/usb/misc/**",
    "kernel/drivers/ata/**",
    "kernel/drivers/i2c/busses/**",
    "kernel/drivers/md/**",
    "kernel/drivers/net/**",
    "kernel/drivers/regulator/**",
    "kernel/drivers/scsi/**",
    "kernel/drivers/usb/dwc3/**",
    "kernel/drivers/usb/host/**",
];

/// What the installer needs beyond the classic list, for a kernel whose
/// ABI is not d-i's own (where the segment is the installer's only source
/// of modules) when no `Contents-udeb` index is at hand: the virtio
/// transports and disk, NVMe, USB storage, and the EFI system partition's
/// file systems (vfat with the code pages d-i mounts it with, efivarfs).
pub const NEEDED_PATTERNS: &[&str] = &[
    "kernel/drivers/virtio/**",
    "kernel/drivers/block/virtio_blk.ko",
    "kernel/drivers/nvme/host/**",
    "kernel/drivers/usb/storage/**",
    "kernel/fs/fat/**",
    "kernel/fs/nls/nls_cp437.ko",
    "kernel/fs/nls/nls_ascii.ko",
    "kernel/fs/nls/nls_utf8.ko",
    "kernel/fs/efivarfs/**",
];

/// The rule a pattern belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Include,
    Needed,
    Classic,
}

/// The rules choosing modules, and the patterns leaving some out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    patterns: Vec<(Rule, String)>,
    exclude: Vec<String>,
    names: BTreeSet<String>,
    udeb_paths: BTreeMap<String, String>,
}

impl Selection {
    /// Nothing selected.
    pub fn none() -> Selection {
        Selection::default()
    }

    /// The classic subset, [`CLASSIC_PATTERNS`].
    pub fn classic() -> Selection {
        let mut s = Selection::none();
        s.add_classic();
        s
    }

    /// The default without d-i's sets: [`NEEDED_PATTERNS`] and
    /// [`CLASSIC_PATTERNS`].
    pub fn installer() -> Selection {
        let mut s = Selection::none();
        s.add_needed().add_classic();
        s
    }

    /// The selection callers' options describe: the installer's default
    /// ([`Selection::installer`]) or nothing, plus `include`, minus
    /// `exclude`.
    pub fn from_options(defaults: bool, include: &[String], exclude: &[String]) -> Selection {
        let mut s = if defaults {
            Selection::installer()
        } else {
            Selection::none()
        };
        for p in include {
            s.include(p);
        }
        s.exclude.extend(exclude.iter().cloned());
        s
    }

    /// Also select what `pattern` matches.
    pub fn include(&mut self, pattern: &str) -> &mut Selection {
        self.patterns.push((Rule::Include, pattern.to_owned()));
        self
    }

    /// Also select [`CLASSIC_PATTERNS`].
    pub fn add_classic(&mut self) -> &mut Selection {
        let classic = CLASSIC_PATTERNS
            .iter()
            .map(|p| (Rule::Classic, (*p).to_owned()));
        self.patterns.extend(classic);
        self
    }

    /// Also select [`NEEDED_PATTERNS`].
    pub fn add_needed(&mut self) -> &mut Selection {
        let needed = NEEDED_PATTERNS
            .iter()
            .map(|p| (Rule::Needed, (*p).to_owned()));
        self.patterns.extend(needed);
        self
    }

    /// Also select the modules of these names (those of the d-i initrd).
    pub fn named<S: AsRef<str>>(&mut self, names: impl IntoIterator<Item = S>) -> &mut Selection {
        let names = names.into_iter().map(|n| normalize_name(n.as_ref()));
        self.names.extend(names);
        self
    }

    /// Also select the module at `path` (relative to `lib/modules/VERSION`,
    /// any compression suffix) as shipped by `udeb`. The first udeb given
    /// for a path is the one reported.
    pub fn from_udeb(&mut self, path: &str, udeb: &str) -> &mut Selection {
        let plain = plain_module_path(path).unwrap_or(path);
        self.udeb_paths
            .entry(plain.to_owned())
            .or_insert_with(|| udeb.to_owned());
        self
    }

    /// Do not select what `pattern` matches (unless something selected
    /// needs it).
    pub fn exclude(&mut self, pattern: &str) -> &mut Selection {
        self.exclude.push(pattern.to_owned());
        self
    }

    /// The patterns of every rule, in order.
    pub fn included(&self) -> Vec<&str> {
        self.patterns.iter().map(|(_, p)| p.as_str()).collect()
    }

    /// A one-line account of what this selects, for errors.
    pub fn describe(&self) -> String {
        let patterns = self.included();
        format!(
            "patterns: {}; {} module names; {} udeb module paths",
            if patterns.is_empty() {
                "none".to_owned()
            } else {
                patterns.join(" ")
            },
            self.names.len(),
            self.udeb_paths.len()
        )
    }

    /// The exclude patterns, in order.
    pub fn excluded(&self) -> &[String] {
        &self.exclude
    }

    pub(crate) fn compile(&self) -> Result<Matcher, ModulesError> {
        let of = |rule: Rule| -> Vec<String> {
            let mine = self.patterns.iter().filter(|(r, _)| *r == rule);
            mine.map(|(_, p)| p.clone()).collect()
        };
        Ok(Matcher {
            include: Patterns::new(&of(Rule::Include))?,
            needed: Patterns::new(&of(Rule::Needed))?,
            classic: Patterns::new(&of(Rule::Classic))?,
            names: self.names.clone(),
            udeb_paths: self.udeb_paths.clone(),
            exclude: Patterns::new(&self.exclude)?,
        })
    }
}

/// Compiled patterns, split by what they match.
struct Patterns {
    paths: GlobSet,
    path_sources: Vec<String>,
    names: GlobSet,
    name_sources: Vec<String>,
}

impl Patterns {
    fn new(patterns: &[String]) -> Result<Patterns, ModulesError> {
        let (mut paths, mut names) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        let (mut path_sources, mut name_sources) = (Vec::new(), Vec::new());
        for pattern in patterns {
            let bad = |message: String| ModulesError::Pattern {
                pattern: pattern.clone(),
                message,
            };
            if pattern.is_empty() {
                return Err(bad("empty pattern".into()));
            }
            let is_path = pattern.contains('/');
            if !is_path && pattern.contains('.') {
                return Err(bad(format!(
                    "module names have no '.': for a file say **/{pattern}, for a module its name"
                )));
            }
            let text = if is_path {
                pattern.clone()
            } else {
                normalize_name(pattern)
            };
            let glob = GlobBuilder::new(&text)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| bad(e.kind().to_string()))?;
            if is_path {
                paths.add(glob);
                path_sources.push(pattern.clone());
            } else {
                names.add(glob);
                name_sources.push(pattern.clone());
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|e| ModulesError::Pattern {
                pattern: e.glob().unwrap_or("").to_owned(),
                message: e.kind().to_string(),
            })
        };
        Ok(Patterns {
            paths: build(paths)?,
            path_sources,
            names: build(names)?,
            name_sources,
        })
    }

    /// The first pattern (in the order given) matching, if any.
    fn first_match(&self, plain_path: &str, name: &str) -> Option<&str> {
        let by_path = self.paths.matches(plain_path).into_iter().min();
        let by_name = self.names.matches(name).into_iter().min();
        let path_hit = by_path.map(|i| self.path_sources[i].as_str());
        let name_hit = by_name.map(|i| self.name_sources[i].as_str());
        match (path_hit, name_hit) {
            (Some(p), None) => Some(p),
            (None, Some(n)) => Some(n),
            (None, None) => None,
            // Both kinds matched: report the path pattern, which is the
            // more specific statement of intent.
            (Some(p), Some(_)) => Some(p),
        }
    }
}

pub(crate) struct Matcher {
    include: Patterns,
    needed: Patterns,
    classic: Patterns,
    names: BTreeSet<String>,
    udeb_paths: BTreeMap<String, String>,
    exclude: Patterns,
}

impl Matcher {
    /// The include patterns, other than the classic ones, that match none
    /// of `modules` (path and name pairs), in the order given.
    pub(crate) fn unmatched_includes<'a>(
        &self,
        modules: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Vec<String> {
        let p = &self.include;
        let mut path_hit = vec![false; p.path_sources.len()];
        let mut name_hit = vec![false; p.name_sources.len()];
        for (path, name) in modules {
            let plain = plain_module_path(path).unwrap_or(path);
            for i in p.paths.matches(plain) {
                path_hit[i] = true;
            }
            for i in p.names.matches(name) {
                name_hit[i] = true;
            }
        }
        let unhit = |sources: &[String], hit: &[bool]| -> Vec<String> {
            sources
                .iter()
                .zip(hit)
                .filter(|(s, &h)| !h && !CLASSIC_PATTERNS.contains(&s.as_str()))
                .map(|(s, _)| s.clone())
                .collect()
        };
        let mut out = unhit(&p.path_sources, &path_hit);
        out.extend(unhit(&p.name_sources, &name_hit));
        out
    }

    /// The rule selecting this module, if it is selected.
    pub(crate) fn selects(&self, path: &str, name: &str) -> Option<Reason> {
        let plain = plain_module_path(path).unwrap_or(path);
        if self.exclude.first_match(plain, name).is_some() {
            return None;
        }
        let pattern = |p: &str| p.to_owned();
        if let Some(p) = self.include.first_match(plain, name) {
            return Some(Reason::Include {
                pattern: pattern(p),
            });
        }
        if self.names.contains(name) {
            return Some(Reason::DiInitrd);
        }
        if let Some(udeb) = self.udeb_paths.get(plain) {
            return Some(Reason::Udeb { udeb: udeb.clone() });
        }
        if let Some(p) = self.needed.first_match(plain, name) {
            return Some(Reason::Needed {
                pattern: pattern(p),
            });
        }
        let p = self.classic.first_match(plain, name)?;
        Some(Reason::Classic {
            pattern: pattern(p),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule and pattern selecting a module, as text.
    fn hit(m: &Matcher, path: &str, name: &str) -> Option<String> {
        m.selects(path, name).map(|r| match r {
            Reason::Include { pattern } | Reason::Classic { pattern } => pattern,
            other => other.to_string(),
        })
    }

    #[test]
    fn classic_paths_whatever_the_suffix() {
        let m = Selection::classic().compile().unwrap();
        assert_eq!(
            hit(&m, "kernel/drivers/md/dm-mod.ko.xz", "dm_mod"),
            Some("kernel/drivers/md/**".to_owned())
        );
        assert_eq!(
            hit(&m, "kernel/fs/ext4/ext4.ko", "ext4"),
            Some("kernel/fs/ext*/**".to_owned())
        );
        assert_eq!(
            hit(&m, "kernel/fs/mbcache.ko.zst", "mbcache"),
            Some("kernel/fs/mbcache.ko".to_owned())
        );
        assert_eq!(hit(&m, "kernel/fs/btrfs/btrfs.ko", "btrfs"), None);
        assert_eq!(hit(&m, "kernel/drivers/dax/dax.ko", "dax"), None);
        // `*` does not cross directories; `**` does.
        let top = Selection::none()
            .include("kernel/fs/*.ko")
            .compile()
            .unwrap();
        assert_eq!(hit(&top, "kernel/fs/ext4/ext4.ko", "ext4"), None);
        assert_eq!(
            hit(&top, "kernel/fs/mbcache.ko", "mbcache"),
            Some("kernel/fs/*.ko".to_owned())
        );
        assert_eq!(
            hit(&m, "kernel/drivers/usb/core/usbcore.ko", "usbcore"),
            None
        );
    }

    #[test]
    fn rules_in_order_and_reported() {
        let mut s = Selection::installer();
        s.named(["virtio-pci"])
            .from_udeb("kernel/drivers/block/virtio_blk.ko.xz", "scsi-modules")
            .from_udeb("kernel/drivers/md/dm-mod.ko", "md-modules")
            .include("dm_*");
        let m = s.compile().unwrap();
        let r = |path: &str, name: &str| m.selects(path, name).map(|r| r.to_string());
        assert_eq!(
            r("kernel/drivers/virtio/virtio_pci.ko.xz", "virtio_pci").as_deref(),
            Some("d-i initrd")
        );
        // By path whatever either side's suffix.
        assert_eq!(
            r("kernel/drivers/block/virtio_blk.ko.zst", "virtio_blk").as_deref(),
            Some("udeb scsi-modules")
        );
        assert_eq!(
            r("kernel/drivers/md/dm-mod.ko", "dm_mod").as_deref(),
            Some("include dm_*")
        );
        assert_eq!(
            r("kernel/fs/efivarfs/efivarfs.ko", "efivarfs").as_deref(),
            Some("needed kernel/fs/efivarfs/**")
        );
        assert_eq!(
            r("kernel/drivers/md/raid1.ko", "raid1").as_deref(),
            Some("classic kernel/drivers/md/**")
        );
        // A udeb path elsewhere in the tree is not the same module.
        assert_eq!(r("kernel/drivers/other/virtio_blk.ko", "virtio_blk"), None);
        s.exclude("virtio_*");
        let m = s.compile().unwrap();
        assert!(m
            .selects("kernel/drivers/virtio/virtio_pci.ko", "virtio_pci")
            .is_none());
    }

    #[test]
    fn names_exclusions_and_errors() {
        let mut s = Selection::none();
        s.include("virtio-*").include("kernel/drivers/net/**");
        s.exclude("kernel/drivers/net/wireless/**");
        let m = s.compile().unwrap();
        assert_eq!(
            hit(&m, "kernel/drivers/block/virtio_blk.ko", "virtio_blk"),
            Some("virtio-*".to_owned())
        );
        assert_eq!(
            hit(
                &m,
                "kernel/drivers/net/wireless/ath/ath9k/ath9k.ko",
                "ath9k"
            ),
            None
        );
        let e = Selection::none()
            .include("kernel/[")
            .compile()
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with("bad module selection pattern \"kernel/[\""),
            "{e}"
        );
    }
}
