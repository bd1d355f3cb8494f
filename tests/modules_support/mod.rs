// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Shared by the `modules_*` integration tests: a real Debian kernel
//! package unpacked once per test binary, its modules decompressed and
//! mapped, and the oracles (`depmod`, `modinfo`) run over what we write.

#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../common/mod.rs"]
mod common;

use memmap2::Mmap;
use osstest_core::kernel::modinfo::ModuleInfo;
use osstest_core::kernel::modules::{Indexes, KernelModules};

/// A kernel package unpacked into a temporary directory.
pub struct Unpacked {
    _tmp: tempfile::TempDir,
    /// `.../lib/modules/VERSION` (or `usr/lib/modules/VERSION`).
    pub moddir: PathBuf,
    /// The kernel release.
    pub version: String,
    /// The kernel's `Module.symvers` (from its linux-headers package): what
    /// the image itself exports, for `depmod -E`.
    pub symvers: PathBuf,
    /// Every module: its path relative to `moddir` and its mapped file.
    pub files: Vec<(String, Mmap)>,
    /// How many modules were `.ko.xz` in the package.
    pub compressed: usize,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// `tests/fetch kernel SUITE ARCH FLAVOUR`: the cached .deb's path.
pub fn fetch_kernel(suite: &str, arch: &str, flavour: &str) -> PathBuf {
    common::fetch(&["kernel", suite, arch, flavour])
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().into_string().unwrap();
        let relpath = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            walk(&e.path(), &relpath, out);
        } else if ft.is_file() && (name.ends_with(".ko") || name.ends_with(".ko.xz")) {
            out.push(relpath);
        }
    }
}

/// Fetches and unpacks the current `linux-image-*-FLAVOUR` of a suite with
/// `dpkg-deb -x`, decompresses its `.ko.xz` modules in place with `xz -d`
/// (as the kernel-artifact layer will before handing them to us) and maps
/// every module. Debian's `boot/System.map` is a stub, so the image's
/// exports come from `Module.symvers` in the matching linux-headers package.
pub fn unpack(suite: &str, arch: &str, flavour: &str) -> Unpacked {
    let deb = fetch_kernel(suite, arch, flavour);
    let tmp = tempfile::tempdir().unwrap();
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(tmp.path()));
    let moddir_parent = ["usr/lib/modules", "lib/modules"]
        .iter()
        .map(|p| tmp.path().join(p))
        .find(|p| p.is_dir())
        .expect("a lib/modules directory in the package");
    let mut versions: Vec<_> = fs::read_dir(&moddir_parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(versions.len(), 1, "one kernel version: {versions:?}");
    let version = versions.pop().unwrap();
    let moddir = moddir_parent.join(&version);

    let mut paths = Vec::new();
    walk(&moddir, "", &mut paths);
    let compressed: Vec<&String> = paths.iter().filter(|p| p.ends_with(".xz")).collect();
    let ncompressed = compressed.len();
    for chunk in compressed.chunks(400) {
        run(Command::new("xz")
            .args(["-d", "-T2", "--"])
            .args(chunk.iter().map(|p| moddir.join(p))));
    }
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let headers = format!("linux-headers-{version}");
    let headers_deb =
        run(Command::new(top.join("tests/fetch")).args(["deb", suite, arch, &headers]));
    let symvers = tmp.path().join("Module.symvers");
    let member = format!("./usr/src/{headers}/Module.symvers");
    run(Command::new("sh")
        .arg("-c")
        .arg(r#"dpkg-deb --fsys-tarfile "$1" | tar -xOf - "$2" > "$3""#)
        .args(["sh", headers_deb.trim()])
        .arg(&member)
        .arg(&symvers));
    assert!(
        fs::metadata(&symvers).unwrap().len() > 0,
        "{member} in {headers_deb}"
    );

    let files = paths
        .iter()
        .map(|p| {
            let p = p.strip_suffix(".xz").unwrap_or(p).to_owned();
            let f = fs::File::open(moddir.join(&p)).unwrap();
            // SAFETY: the files live in our private temporary directory and
            // nothing modifies them while mapped.
            let map = unsafe { Mmap::map(&f) }.unwrap();
            (p, map)
        })
        .collect();
    Unpacked {
        symvers,
        _tmp: tmp,
        moddir,
        version,
        files,
        compressed: ncompressed,
    }
}

impl Unpacked {
    fn read_optional(&self, name: &str) -> Option<String> {
        fs::read_to_string(self.moddir.join(name)).ok()
    }

    /// Parses every module with osstest-core.
    pub fn kernel_modules(&self) -> KernelModules {
        let order = self.read_optional("modules.order");
        let builtin = self.read_optional("modules.builtin");
        assert!(order.is_some(), "Debian kernels ship modules.order");
        KernelModules::parse(&self.files, order.as_deref(), builtin.as_deref())
            .expect("every module of a Debian kernel parses")
    }

    /// Makes `base/lib/modules/VERSION` holding the named modules (hard
    /// links to the unpacked files) and the kernel's modules.order and
    /// modules.builtin. Returns the module directory.
    pub fn stage(&self, base: &Path, kernel: &KernelModules, names: &[&str]) -> PathBuf {
        let dir = base.join("lib/modules").join(&self.version);
        fs::create_dir_all(&dir).unwrap();
        for name in names {
            let m = kernel.get(name).expect("module of this kernel");
            let dest = dir.join(&m.path);
            fs::create_dir_all(dest.parent().unwrap()).unwrap();
            fs::hard_link(self.moddir.join(&m.path), &dest).unwrap();
        }
        for extra in [
            "modules.order",
            "modules.builtin",
            "modules.builtin.modinfo",
        ] {
            if self.moddir.join(extra).exists() {
                fs::copy(self.moddir.join(extra), dir.join(extra)).unwrap();
            }
        }
        dir
    }

    /// Runs the real `depmod -b BASE -E Module.symvers -e VERSION` and
    /// returns its warnings.
    pub fn depmod(&self, base: &Path) -> String {
        let out = Command::new("depmod")
            .arg("-b")
            .arg(base)
            .arg("-E")
            .arg(&self.symvers)
            .arg("-e")
            .arg(&self.version)
            .output()
            .expect("depmod runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "depmod failed: {stderr}");
        stderr
    }
}

/// The warnings `depmod -e` gives for symbols nothing provides.
pub fn unknown_symbols(depmod_stderr: &str) -> Vec<&str> {
    depmod_stderr
        .lines()
        .filter(|l| l.contains("needs unknown symbol"))
        .collect()
}

/// Compares our index files, text and binary, with those the real depmod
/// wrote into `dir`.
/// Returns the names of the files that differ, with the first differing
/// line of each.
pub fn compare_indexes(ours: &Indexes, dir: &Path) -> BTreeMap<&'static str, String> {
    let mut diffs = BTreeMap::new();
    for (name, text) in ours.files() {
        let theirs = fs::read_to_string(dir.join(name)).unwrap();
        if theirs != text {
            let first = theirs
                .lines()
                .zip(text.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| format!("line {}: depmod {a:?}, ours {b:?}", i + 1))
                .unwrap_or_else(|| {
                    format!(
                        "{} lines from depmod, {} ours",
                        theirs.lines().count(),
                        text.lines().count()
                    )
                });
            diffs.insert(name, first);
        }
    }
    for (name, bytes) in ours.binary_files() {
        let theirs = fs::read(dir.join(name)).unwrap();
        if theirs != bytes {
            let at = theirs
                .iter()
                .zip(bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(theirs.len().min(bytes.len()));
            diffs.insert(
                name,
                format!(
                    "{} bytes from depmod, {} ours, first difference at byte {at}",
                    theirs.len(),
                    bytes.len()
                ),
            );
        }
    }
    diffs
}

/// `modinfo -F FIELD FILE`, one value per line.
pub fn modinfo_field(file: &Path, field: &str) -> Vec<String> {
    run(Command::new("modinfo").arg("-F").arg(field).arg(file))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Checks our reading of a module against kmod's `modinfo -F`.
pub fn check_against_modinfo(file: &Path, info: &ModuleInfo) {
    let ctx = file.display();
    let depends = modinfo_field(file, "depends");
    let theirs: Vec<String> = depends
        .iter()
        .flat_map(|l| l.split(','))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(info.depends, theirs, "{ctx}: depends");
    assert_eq!(
        info.vermagic.iter().cloned().collect::<Vec<_>>(),
        modinfo_field(file, "vermagic"),
        "{ctx}: vermagic"
    );
    assert_eq!(info.aliases, modinfo_field(file, "alias"), "{ctx}: alias");
    assert_eq!(
        info.softdeps,
        modinfo_field(file, "softdep"),
        "{ctx}: softdep"
    );
    assert_eq!(
        info.firmware,
        modinfo_field(file, "firmware"),
        "{ctx}: firmware"
    );
    assert_eq!(
        info.name.iter().cloned().collect::<Vec<_>>(),
        modinfo_field(file, "name"),
        "{ctx}: name"
    );
}
