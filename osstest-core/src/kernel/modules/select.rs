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
//! A module is selected when an included pattern matches it and no
//! excluded one does. Exclusion only narrows what patterns select: the
//! dependencies of a selected module are always added, or it could not load.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::{normalize_name, plain_module_path, ModulesError};

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

/// A set of include and exclude patterns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl Selection {
    /// Nothing selected.
    pub fn none() -> Selection {
        Selection::default()
    }

    /// The classic subset, [`CLASSIC_PATTERNS`].
    pub fn classic() -> Selection {
        let mut s = Selection::none();
        for p in CLASSIC_PATTERNS {
            s.include(p);
        }
        s
    }

    /// The selection callers' options describe: the classic subset or
    /// nothing, plus `include`, minus `exclude`.
    pub fn from_options(classic: bool, include: &[String], exclude: &[String]) -> Selection {
        let mut s = if classic {
            Selection::classic()
        } else {
            Selection::none()
        };
        s.include.extend(include.iter().cloned());
        s.exclude.extend(exclude.iter().cloned());
        s
    }

    /// Also select what `pattern` matches.
    pub fn include(&mut self, pattern: &str) -> &mut Selection {
        self.include.push(pattern.to_owned());
        self
    }

    /// Do not select what `pattern` matches (unless something selected
    /// needs it).
    pub fn exclude(&mut self, pattern: &str) -> &mut Selection {
        self.exclude.push(pattern.to_owned());
        self
    }

    /// The include patterns, in order.
    pub fn included(&self) -> &[String] {
        &self.include
    }

    /// The exclude patterns, in order.
    pub fn excluded(&self) -> &[String] {
        &self.exclude
    }

    pub(crate) fn compile(&self) -> Result<Matcher, ModulesError> {
        Ok(Matcher {
            include: Patterns::new(&self.include)?,
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

    /// The include pattern selecting this module, if it is selected.
    pub(crate) fn selects(&self, path: &str, name: &str) -> Option<&str> {
        let plain = plain_module_path(path).unwrap_or(path);
        let hit = self.include.first_match(plain, name)?;
        if self.exclude.first_match(plain, name).is_some() {
            return None;
        }
        Some(hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_paths_whatever_the_suffix() {
        let m = Selection::classic().compile().unwrap();
        assert_eq!(
            m.selects("kernel/drivers/md/dm-mod.ko.xz", "dm_mod"),
            Some("kernel/drivers/md/**")
        );
        assert_eq!(
            m.selects("kernel/fs/ext4/ext4.ko", "ext4"),
            Some("kernel/fs/ext*/**")
        );
        assert_eq!(
            m.selects("kernel/fs/mbcache.ko.zst", "mbcache"),
            Some("kernel/fs/mbcache.ko")
        );
        assert_eq!(m.selects("kernel/fs/btrfs/btrfs.ko", "btrfs"), None);
        assert_eq!(m.selects("kernel/drivers/dax/dax.ko", "dax"), None);
        // `*` does not cross directories; `**` does.
        let top = Selection::none()
            .include("kernel/fs/*.ko")
            .compile()
            .unwrap();
        assert_eq!(top.selects("kernel/fs/ext4/ext4.ko", "ext4"), None);
        assert_eq!(
            top.selects("kernel/fs/mbcache.ko", "mbcache"),
            Some("kernel/fs/*.ko")
        );
        assert_eq!(
            m.selects("kernel/drivers/usb/core/usbcore.ko", "usbcore"),
            None
        );
    }

    #[test]
    fn names_exclusions_and_errors() {
        let mut s = Selection::none();
        s.include("virtio-*").include("kernel/drivers/net/**");
        s.exclude("kernel/drivers/net/wireless/**");
        let m = s.compile().unwrap();
        assert_eq!(
            m.selects("kernel/drivers/block/virtio_blk.ko", "virtio_blk"),
            Some("virtio-*")
        );
        assert_eq!(
            m.selects("kernel/drivers/net/wireless/ath/ath9k/ath9k.ko", "ath9k"),
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
