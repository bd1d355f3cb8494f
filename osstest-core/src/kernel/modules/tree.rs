// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Reading a kernel's modules from an unpacked `lib/modules/VERSION`.
//!
//! The directory is walked as `depmod` walks it: every regular file with a
//! module suffix, at any depth, except under entries named `build` or
//! `source` (Debian's links to the kernel headers); symbolic links are not
//! followed. Each module is read, parsed and dropped on a worker thread,
//! so the whole set is never in memory at once.

use std::fs;
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::{
    module_name_from_path, KernelModules, Module, ModulesError, MAX_MODULE_SIZE, MODULE_SUFFIXES,
};
use crate::kernel::modinfo::ModuleInfo;

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> ModulesError + '_ {
    move |source| ModulesError::Read {
        path: path.display().to_string(),
        source,
    }
}

/// The modules under `root` (skipping its `build` and `source` links),
/// as paths relative to it, in sorted order. `walkdir` keeps its stack on
/// the heap, so a deep tree cannot overflow the caller's.
fn walk(root: &Path, out: &mut Vec<String>) -> Result<(), ModulesError> {
    let walk = walkdir::WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != "build" && e.file_name() != "source");
    for entry in walk {
        let entry = entry.map_err(|e| {
            let at = e.path().unwrap_or(root).to_owned();
            read_error(&at)(e.into())
        })?;
        // The path below the root, whose last part is the entry's name.
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let Some(rel) = rel.to_str() else {
            // Debug shows the bytes that are not UTF-8 as \xNN.
            return Err(ModulesError::NotUtf8(format!("{:?}", entry.path())));
        };
        if entry.file_type().is_file() && MODULE_SUFFIXES.iter().any(|s| rel.ends_with(s)) {
            out.push(rel.to_owned());
        }
    }
    Ok(())
}

/// The file's bytes, refusing one over [`MAX_MODULE_SIZE`] before reading
/// it (and stopping there should it grow while read).
fn read_bounded(file: &Path) -> Result<Vec<u8>, ModulesError> {
    let f = fs::File::open(file).map_err(read_error(file))?;
    let size = f.metadata().map_err(read_error(file))?.len();
    let too_big = |size| ModulesError::TooBig {
        path: file.display().to_string(),
        size,
        limit: MAX_MODULE_SIZE,
    };
    if size > MAX_MODULE_SIZE {
        return Err(too_big(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    f.take(MAX_MODULE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error(file))?;
    if bytes.len() as u64 > MAX_MODULE_SIZE {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

impl KernelModules {
    /// Reads every module under `moddir` (an unpacked `lib/modules/VERSION`)
    /// with its `modules.order` and `modules.builtin` when present.
    ///
    /// Modules must be plain `.ko` files; a compressed one is an error
    /// naming it (the kernel-artifact layer decompresses while unpacking).
    /// So are a directory with no module, a name that is not UTF-8 and a
    /// module over [`MAX_MODULE_SIZE`] (refused before it is read).
    pub fn read_dir(moddir: &Path) -> Result<KernelModules, ModulesError> {
        let mut paths = Vec::new();
        walk(moddir, &mut paths)?;
        if paths.is_empty() {
            return Err(ModulesError::NoModules(moddir.display().to_string()));
        }
        if let Some(compressed) = paths.iter().find(|p| !p.ends_with(".ko")) {
            return Err(ModulesError::Compressed(
                moddir.join(compressed).display().to_string(),
            ));
        }
        let modules = paths
            .par_iter()
            .map(|rel| {
                let file = moddir.join(rel);
                let bytes = read_bounded(&file)?;
                let info = ModuleInfo::parse(&bytes).map_err(|source| ModulesError::Module {
                    path: file.display().to_string(),
                    source,
                })?;
                Ok(Module {
                    path: rel.clone(),
                    name: module_name_from_path(rel),
                    info,
                })
            })
            .collect::<Result<Vec<_>, ModulesError>>()?;
        let optional = |name: &str| -> Result<Option<String>, ModulesError> {
            let path = moddir.join(name);
            match fs::read_to_string(&path) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(read_error(&path)(e)),
            }
        };
        let order = optional("modules.order")?;
        let builtin = optional("modules.builtin")?;
        KernelModules::from_modules(modules, order.as_deref(), builtin.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nonesuch");
        let e = KernelModules::read_dir(&missing).unwrap_err();
        assert!(
            e.to_string().starts_with(&missing.display().to_string()),
            "{e}"
        );

        fs::create_dir_all(dir.path().join("kernel/fs/ext4")).unwrap();
        fs::create_dir_all(dir.path().join("build/ignored")).unwrap();
        fs::write(dir.path().join("build/ignored/x.ko"), b"not read").unwrap();
        fs::write(dir.path().join("kernel/fs/ext4/ext4.ko.xz"), b"\xfd7zXZ\0").unwrap();
        let e = KernelModules::read_dir(dir.path()).unwrap_err();
        assert!(
            matches!(&e, ModulesError::Compressed(p) if p.ends_with("kernel/fs/ext4/ext4.ko.xz")),
            "{e}"
        );

        fs::remove_file(dir.path().join("kernel/fs/ext4/ext4.ko.xz")).unwrap();
        fs::write(dir.path().join("kernel/fs/ext4/ext4.ko"), b"\x7fELF\x02").unwrap();
        let e = KernelModules::read_dir(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("kernel/fs/ext4/ext4.ko: truncated ELF file"),
            "{e}"
        );

        fs::remove_file(dir.path().join("kernel/fs/ext4/ext4.ko")).unwrap();
        let e = KernelModules::read_dir(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: no kernel modules in it (no .ko file at any depth outside build/ and source/)",
                dir.path().display()
            ),
            "build/ is skipped, and nothing is an error"
        );
    }

    #[test]
    fn a_huge_module_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.ko");
        // Sparse: 6 GB that take no room, and would take minutes to read.
        fs::File::create(&big).unwrap().set_len(6 << 30).unwrap();
        let started = std::time::Instant::now();
        let e = KernelModules::read_dir(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: 6442450944 bytes, over the limit of 268435456 bytes for one module \
                 (no real module comes near it)",
                big.display()
            )
        );
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn a_name_that_is_not_utf8_is_named_not_skipped() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"kernel\xff"));
        fs::create_dir_all(&odd).unwrap();
        fs::write(odd.join("x.ko"), b"").unwrap();
        let e = KernelModules::read_dir(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "\"{}/kernel\\xFF\": file name is not UTF-8; no kernel module is named so: rename or remove it",
                dir.path().display()
            )
        );
    }
}
