// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Reading a source whole, checked: [`KernelSource::info`], and
//! [`KernelSource::unpick`], which extracts a [`Selection`] on the way.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::format::compress::Compression;
use crate::format::deb::Control;
use crate::kernel::modules::{module_name_from_path, normalize_name};

use super::{
    check_symlink_target, Dest, Entry, EntryKind, ImageArch, KernelCheck, KernelError,
    KernelSource, ModulePath, Role, SourceKind, HEAD_BYTES, MODULE_LIMIT,
};

/// Which parts [`KernelSource::unpick`] extracts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Selection {
    /// The image (`boot/vmlinuz-VER`).
    pub image: bool,
    /// `boot/System.map-VER` and `boot/config-VER`.
    pub boot_files: bool,
    /// Modules: `None` for all; else only modules matching one of these:
    /// a module name (`ext4`; `-` and `_` are the same) or a directory
    /// relative to the module tree, ending in `/` (`kernel/fs/`). A
    /// pattern that matches no module is an error. The module tree's other
    /// files (`modules.*`) come with any module.
    pub modules: Option<Vec<String>>,
    /// Extract no modules at all (overrides `modules`).
    pub no_modules: bool,
    /// DTBs.
    pub dtbs: bool,
    /// Firmware.
    pub firmware: bool,
    /// Everything else too (documentation, ...): with everything else
    /// selected, the whole package.
    pub other: bool,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            image: true,
            boot_files: true,
            modules: None,
            no_modules: false,
            dtbs: true,
            firmware: true,
            other: false,
        }
    }
}

impl Selection {
    /// Everything in the source.
    pub fn everything() -> Selection {
        Selection {
            other: true,
            ..Selection::default()
        }
    }

    fn module_wanted(&self, path: &str) -> bool {
        if self.no_modules {
            return false;
        }
        self.modules.is_none() || self.module_patterns_matching(path).next().is_some()
    }

    /// The indexes of the `modules` patterns that module `path` matches.
    fn module_patterns_matching<'a>(&'a self, path: &'a str) -> impl Iterator<Item = usize> + 'a {
        // Relative to lib/modules/VER/.
        let rel = ModulePath::parse(path).map_or("", |m| m.rest);
        let name = module_name_from_path(rel);
        self.modules
            .iter()
            .flatten()
            .enumerate()
            .filter(move |(_, pat)| {
                if pat.ends_with('/') {
                    rel.starts_with(pat.as_str())
                } else {
                    normalize_name(pat) == name
                }
            })
            .map(|(i, _)| i)
    }

    fn wants(&self, role: Role, path: &str) -> bool {
        match role {
            Role::Image => self.image,
            Role::SystemMap | Role::Config => self.boot_files,
            Role::Module => self.module_wanted(path),
            Role::ModuleTree => !self.no_modules,
            Role::Dtb => self.dtbs,
            Role::Firmware => self.firmware,
            Role::Other => self.other,
        }
    }
}

/// What [`KernelSource::info`] and [`KernelSource::unpick`] report.
#[derive(Debug, Clone, Serialize)]
pub struct KernelInfo {
    /// The source's path.
    pub source: PathBuf,
    /// Its kind.
    pub source_kind: SourceKind,
    /// The kernel version (`6.1.0-50-arm64`).
    pub version: String,
    /// The image's target.
    pub arch: ImageArch,
    /// The Debian architecture: the package's `Architecture`, if a `.deb`.
    pub debian_arch: Option<String>,
    /// The package's `Package` field, if a `.deb`.
    pub package: Option<String>,
    /// The package's `Version` field, if a `.deb`.
    pub package_version: Option<String>,
    /// The image's relative path.
    pub image: String,
    /// System.map's relative path, if present.
    pub system_map: Option<String>,
    /// config's relative path, if present.
    pub config: Option<String>,
    /// The module tree (`lib/modules/VER` or `usr/lib/modules/VER`), if any.
    pub module_dir: Option<String>,
    /// How many modules.
    pub module_count: usize,
    /// How many modules each compression has (`""` for plain `.ko`).
    pub module_compression: BTreeMap<String, usize>,
    /// How many DTB files (`.dtb`, `.dtbo`).
    pub dtb_count: usize,
    /// How many firmware files.
    pub firmware_count: usize,
    /// How many entries the source has, of any kind.
    pub entries: usize,
    /// For [`KernelSource::unpick`]: the destination.
    pub destdir: Option<PathBuf>,
    /// For [`KernelSource::unpick`]: the image's path under the destination.
    pub image_path: Option<PathBuf>,
    /// For [`KernelSource::unpick`]: how many entries were extracted.
    pub extracted: usize,
    /// For [`KernelSource::unpick`]: how many modules were extracted.
    pub extracted_modules: usize,
    /// For [`KernelSource::unpick`]: entries selected but deliberately not
    /// extracted: the module tree's `build` and `source` links, which
    /// `modules_install` points at the (absolute) kernel build tree.
    pub skipped: Vec<String>,
}

impl KernelSource {
    /// Reads the source, checks it (one architecture, one version) and
    /// reports what it holds, extracting nothing.
    pub fn info(&self) -> Result<KernelInfo, KernelError> {
        self.scan(None, None)
    }

    /// Like [`KernelSource::info`], reading from `stream` (see
    /// [`KernelSource::visit_stream`]).
    pub fn info_stream<R: Read>(&self, stream: R) -> Result<KernelInfo, KernelError> {
        self.scan(None, Some(Box::new(stream)))
    }

    /// Reads and checks the source like [`KernelSource::info`] and
    /// extracts the `selection` under `destdir` safely (see
    /// [`extract`](Dest)): staged inside `destdir` and published only
    /// once the whole source is read and checked, so that on error
    /// nothing of it appears; nothing is written outside `destdir`.
    ///
    /// An empty `modules` list is refused rather than taken to mean no
    /// module, which `no_modules` says.
    pub fn unpick(&self, destdir: &Path, selection: &Selection) -> Result<KernelInfo, KernelError> {
        if selection.modules.as_ref().is_some_and(Vec::is_empty) && !selection.no_modules {
            return Err(self.mismatch(
                "the module selection is an empty list, which selects nothing: leave it out \
                 for every module, or ask for none with no_modules"
                    .into(),
            ));
        }
        self.scan(Some((destdir, selection)), None)
    }

    fn scan(
        &self,
        out: Option<(&Path, &Selection)>,
        stream: Option<Box<dyn Read + '_>>,
    ) -> Result<KernelInfo, KernelError> {
        let out = match out {
            Some((d, sel)) => Some(Unpick {
                destdir: d.to_owned(),
                dest: Dest::new(&self.path, d)?,
                sel,
                pattern_used: vec![false; sel.modules.as_ref().map_or(0, Vec::len)],
            }),
            None => None,
        };
        let mut scan = Scan {
            src: self,
            check: KernelCheck::new(self),
            out,
            info: Seen::default(),
        };
        let control = self.walk(stream, &mut |e| scan.entry(e))?;
        scan.finish(control)
    }
}

/// An entry's mode, mtime and size, as extracting it keeps them.
fn meta(e: &Entry<'_>) -> (u32, u64, u64) {
    (e.mode, e.mtime, e.size)
}

/// What an unpick extracts, and where.
struct Unpick<'a> {
    destdir: PathBuf,
    dest: Dest,
    sel: &'a Selection,
    /// Which module patterns matched something: one that matches nothing
    /// is an error, never a silently empty selection.
    pattern_used: Vec<bool>,
}

/// What a scan reports beside the checked facts.
#[derive(Default)]
struct Seen {
    system_map: Option<String>,
    config: Option<String>,
    module_dir: Option<String>,
    module_count: usize,
    module_compression: BTreeMap<String, usize>,
    dtb_count: usize,
    firmware_count: usize,
    entries: usize,
    image_path: Option<PathBuf>,
    extracted: usize,
    extracted_modules: usize,
    skipped: Vec<String>,
}

/// One reading of a source by [`KernelSource::info`] or
/// [`KernelSource::unpick`], entry by entry.
struct Scan<'a> {
    src: &'a KernelSource,
    check: KernelCheck<'a>,
    out: Option<Unpick<'a>>,
    info: Seen,
}

impl Scan<'_> {
    /// Checks, counts and (for an unpick) extracts one entry.
    fn entry(&mut self, e: &mut Entry<'_>) -> Result<(), KernelError> {
        self.info.entries += 1;
        // With a module selection, directories of the module tree appear
        // only as needed for the modules chosen.
        let want = self.out.as_ref().is_some_and(|o| {
            o.sel.wants(e.role, &e.path)
                && !(e.kind == EntryKind::Dir
                    && e.role == Role::ModuleTree
                    && o.sel.modules.is_some())
        });
        self.check.entry(e);
        let is_file = e.kind == EntryKind::File;
        let written = match e.role {
            Role::Image if is_file => self.image(e, want)?,
            Role::SystemMap if is_file => {
                self.info.system_map = Some(e.path.clone());
                false
            }
            Role::Config if is_file => {
                self.info.config = Some(e.path.clone());
                false
            }
            Role::Module if is_file => {
                self.module(e, want)?;
                true
            }
            Role::Dtb if is_file && (e.path.ends_with(".dtb") || e.path.ends_with(".dtbo")) => {
                self.info.dtb_count += 1;
                false
            }
            Role::Firmware if is_file => {
                self.info.firmware_count += 1;
                false
            }
            _ => false,
        };
        if want {
            self.extract(e, written)?;
        }
        Ok(())
    }

    /// Checks the image from its first bytes; extracts it if wanted.
    /// Returns whether it was.
    fn image(&mut self, e: &mut Entry<'_>, want: bool) -> Result<bool, KernelError> {
        let mut head = Vec::with_capacity(HEAD_BYTES);
        (&mut *e)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(self.src.read_err(format!("{} ({})", e.path, e.location)))?;
        self.check.image(&e.path, &head)?;
        self.info.image_path = None;
        if let Some(o) = self.out.as_ref().filter(|_| want) {
            let m = meta(e);
            let mut chained = io::Cursor::new(head).chain(&mut *e.data);
            let path = self.src.write(&o.dest, &e.path, m, &mut chained)?;
            self.info.image_path = Some(path);
        }
        Ok(want)
    }

    /// Counts and checks a module (its bytes decompressed and read);
    /// extracts it if wanted.
    fn module(&mut self, e: &mut Entry<'_>, want: bool) -> Result<(), KernelError> {
        let info = &mut self.info;
        info.module_count += 1;
        if let Some(o) = self.out.as_mut() {
            for i in o.sel.module_patterns_matching(&e.path) {
                o.pattern_used[i] = true;
            }
        }
        let name = e.path.rsplit('/').next().unwrap_or("");
        let comp = Compression::from_suffix(name).map_or(Compression::None, |(c, _)| c);
        *info
            .module_compression
            .entry(comp.suffix().to_owned())
            .or_default() += 1;
        if let Some(m) = ModulePath::parse(&e.path) {
            info.module_dir.get_or_insert_with(|| m.dir.to_owned());
        }
        let bytes = e
            .read_all(MODULE_LIMIT)
            .map_err(self.src.read_err(format!("{} ({})", e.path, e.location)))?;
        let (module, _) = self.src.read_module(&e.path, &bytes)?;
        self.check.module(&e.path, &module)?;
        if let Some(o) = self.out.as_ref().filter(|_| want) {
            self.src.write(&o.dest, &e.path, meta(e), &mut &bytes[..])?;
            self.info.extracted_modules += 1;
        }
        Ok(())
    }

    /// Extracts a wanted entry not `written` already, but for the module
    /// tree's `build` and `source` links into the build machine's tree,
    /// which are skipped.
    fn extract(&mut self, e: &mut Entry<'_>, written: bool) -> Result<(), KernelError> {
        let build_link = e.role == Role::ModuleTree
            && matches!(&e.kind, EntryKind::Symlink(t) if check_symlink_target(&e.path, t).is_err())
            && ModulePath::parse(&e.path).is_some_and(|m| m.rest == "build" || m.rest == "source");
        if build_link {
            self.info.skipped.push(e.path.clone());
            return Ok(());
        }
        let dest = &self
            .out
            .as_ref()
            .expect("extracting implies an unpick")
            .dest;
        if !written {
            let ext = |source| KernelError::Extract {
                source_path: self.src.path.clone(),
                member: e.path.clone(),
                source,
            };
            match &e.kind {
                EntryKind::Dir => dest.dir(&e.path, e.mode).map_err(ext)?,
                EntryKind::File => {
                    self.src.write(dest, &e.path, meta(e), &mut *e.data)?;
                }
                EntryKind::Symlink(t) => dest.symlink(&e.path, t).map_err(ext)?,
                EntryKind::Hardlink(t) => dest.hardlink(&e.path, t).map_err(ext)?,
            }
        }
        self.info.extracted += 1;
        Ok(())
    }

    /// After the last entry: a module pattern that matched nothing is an
    /// error, then the kernel check's; the report.
    fn finish(self, control: Option<Control>) -> Result<KernelInfo, KernelError> {
        if let Some(o) = self.out.as_ref().filter(|o| !o.sel.no_modules) {
            o.check_patterns_used(self.src)?;
        }
        let checked = self.check.finish(control.as_ref())?;
        // Everything read and checked: publish what was extracted, in one
        // step.
        let destdir = match self.out {
            Some(o) => {
                o.dest.publish()?;
                Some(o.destdir)
            }
            None => None,
        };
        let s = self.info;
        Ok(KernelInfo {
            source: self.src.path.clone(),
            source_kind: self.src.kind,
            version: checked.version,
            arch: checked.arch,
            debian_arch: control.as_ref().map(|c| c.architecture().to_owned()),
            package: control.as_ref().map(|c| c.package().to_owned()),
            package_version: control.as_ref().map(|c| c.version().to_owned()),
            image: checked.image,
            system_map: s.system_map,
            config: s.config,
            module_dir: s.module_dir,
            module_count: s.module_count,
            module_compression: s.module_compression,
            dtb_count: s.dtb_count,
            firmware_count: s.firmware_count,
            entries: s.entries,
            destdir,
            image_path: s.image_path,
            extracted: s.extracted,
            extracted_modules: s.extracted_modules,
            skipped: s.skipped,
        })
    }
}

impl Unpick<'_> {
    /// An error naming the module patterns that matched nothing.
    fn check_patterns_used(&self, src: &KernelSource) -> Result<(), KernelError> {
        let unmatched: Vec<String> = self
            .sel
            .modules
            .iter()
            .flatten()
            .zip(&self.pattern_used)
            .filter(|(_, used)| !**used)
            .map(|(p, _)| format!("{p:?}"))
            .collect();
        if unmatched.is_empty() {
            return Ok(());
        }
        Err(src.mismatch(format!(
            "no module matches {} of the selection",
            unmatched.join(", ")
        )))
    }
}

impl KernelSource {
    /// Extracts file `rel` with its `mode`, `mtime` and `size` bytes, read
    /// from `data`, under `dest`.
    fn write(
        &self,
        dest: &Dest,
        rel: &str,
        (mode, mtime, size): (u32, u64, u64),
        data: &mut dyn Read,
    ) -> Result<PathBuf, KernelError> {
        dest.file(rel, mode, mtime, size, data)
            .map_err(|source| KernelError::Extract {
                source_path: self.path.clone(),
                member: rel.to_owned(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_modules() {
        let s = Selection {
            modules: Some(vec!["dm-mod".into(), "kernel/fs/".into()]),
            ..Selection::default()
        };
        assert!(s.module_wanted("lib/modules/6.1/kernel/drivers/md/dm_mod.ko"));
        assert!(s.module_wanted("usr/lib/modules/6.1/kernel/fs/ext4/ext4.ko.xz"));
        assert!(!s.module_wanted("lib/modules/6.1/kernel/net/x.ko"));
    }
}
