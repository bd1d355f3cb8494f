//! One pass over the kernel source: the image, every module's metadata
//! (bytes kept zstd-compressed), the module tree's own files, the DTBs.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use crate::compress::Compression as FileCompression;
use crate::kernel::{EntryKind, ImageArch, KernelSource, Role};
use crate::modules::{module_name_from_path, Closure, KernelModules, Module, Selection, Want};

use super::{io_err, InstallerError, Options};

/// The most bytes of one module read into memory.
const MODULE_LIMIT: u64 = 256 << 20;
/// The most bytes of the image read into memory.
const IMAGE_LIMIT: u64 = 512 << 20;
/// zstd level for modules held until the closure is known: fast, and
/// still a third of the size.
const HOLD_LEVEL: i32 = 1;
/// The module tree's files that go into the segment as they are.
const TREE_FILES: &[&str] = &[
    "modules.order",
    "modules.builtin",
    "modules.builtin.modinfo",
];

/// The kernel image.
pub(super) struct Image {
    /// Its path in the source.
    pub path: String,
    /// What it is for.
    pub arch: ImageArch,
    /// Its bytes, when asked for.
    pub bytes: Vec<u8>,
}

/// A module's bytes, held until the segment is written.
pub(super) struct Held {
    /// zstd-compressed copy of the bytes the segment stores.
    pub zstd: Vec<u8>,
    /// Their size.
    pub size: u64,
}

/// Everything the segment and the manifest need from the source.
pub(super) struct Collected {
    /// The kernel version.
    pub version: String,
    /// The image.
    pub image: Image,
    /// `Package`, `Version` and `Architecture` of a .deb.
    pub package: Option<(String, String, String)>,
    /// Every module of the kernel, by path relative to the module tree as
    /// the segment names it (`.ko` unless compression is kept).
    pub modules: KernelModules,
    /// The dependency-closed subset.
    pub closure: Closure,
    /// Module bytes by module name, for the subset only.
    pub held: HashMap<String, Held>,
    /// `modules.order` and friends, as shipped.
    pub tree_files: Vec<(String, Vec<u8>)>,
    /// Where the modules were in the source (`lib/modules/VER`).
    pub source_moddir: String,
    /// Where they go in the installer (`lib/modules/VER`).
    pub moddir: String,
    /// How many DTB files went into the tarball.
    pub dtb_count: usize,
}

/// Writes DTBs into a deterministic gzipped tar as they stream by.
struct DtbTar {
    builder: tar::Builder<flate2::write::GzEncoder<BufWriter<File>>>,
    mtime: u64,
}

impl DtbTar {
    fn create(path: &Path, mtime: u64) -> Result<DtbTar, InstallerError> {
        let f = File::create(path).map_err(io_err(path, "creating"))?;
        let gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(BufWriter::new(f), flate2::Compression::new(6));
        let mut builder = tar::Builder::new(gz);
        builder.mode(tar::HeaderMode::Deterministic);
        Ok(DtbTar { builder, mtime })
    }

    fn header(&self, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(self.mtime);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    fn finish(self, path: &Path) -> Result<(), InstallerError> {
        let gz = self.builder.into_inner().map_err(io_err(path, "writing"))?;
        let mut w = gz.finish().map_err(io_err(path, "writing"))?;
        w.flush().map_err(io_err(path, "writing"))
    }
}

/// The part of a DTB path below the DTB root: `broadcom/x.dtb` from
/// `usr/lib/linux-image-VER/broadcom/x.dtb` or `boot/dtbs/VER/...`.
fn dtb_relative(path: &str, version: Option<&str>) -> Option<String> {
    let rest = path
        .strip_prefix("usr/lib/")
        .or_else(|| path.strip_prefix("boot/"))?;
    let mut parts = rest.split('/');
    let first = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    let rest = if first == "dtbs" && rest.first().copied() == version && version.is_some() {
        &rest[1..]
    } else {
        &rest[..]
    };
    (!rest.is_empty()).then(|| rest.join("/"))
}

struct Pending {
    path: String,
    name: String,
    machine: u16,
    bits: u8,
    vermagic: Option<String>,
}

/// Reads the source once. `dtbs`: where to write the DTB tarball (the
/// image is kept only then, for [`super::di_kernel`]). `moddir_root`: the
/// installer's module directory without the version.
pub(super) fn collect(
    src: &KernelSource,
    opts: &Options,
    dtbs: Option<&Path>,
    moddir_root: &str,
) -> Result<Collected, InstallerError> {
    let source_path = src.path().to_owned();
    let problem = |p: String| InstallerError::Source {
        source_path: source_path.clone(),
        problem: p,
    };
    let mut image: Option<Image> = None;
    let mut versions: Vec<(String, String)> = Vec::new();
    let mut parsed: Vec<Module> = Vec::new();
    let mut checks: Vec<Pending> = Vec::new();
    let mut all_held: HashMap<String, Held> = HashMap::new();
    let mut tree_files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut source_moddir: Option<String> = None;
    let mut dtb_tar = match dtbs {
        Some(p) => Some(DtbTar::create(p, u64::from(opts.mtime.unwrap_or(0)))?),
        None => None,
    };
    let mut dtb_count = 0usize;

    let control = src.visit(|e| {
        if let Some(v) = &e.version {
            if matches!(e.role, Role::Image | Role::Module) && !versions.iter().any(|(x, _)| x == v)
            {
                versions.push((v.clone(), e.path.clone()));
            }
        }
        let is_file = e.kind == EntryKind::File;
        match e.role {
            Role::Image if is_file => {
                if let Some(prev) = &image {
                    return Err(
                        src.mismatch(format!("two kernel images: {} and {}", prev.path, e.path))
                    );
                }
                let want = dtbs.is_some();
                let mut bytes = Vec::new();
                let limit = if want { IMAGE_LIMIT } else { 64 * 1024 };
                (&mut *e)
                    .take(limit)
                    .read_to_end(&mut bytes)
                    .map_err(src.read_err(format!("{} ({})", e.path, e.location)))?;
                if want && (bytes.len() as u64) < e.size {
                    return Err(src.member_err(
                        &e.path,
                        format!(
                            "{} bytes, more than the {IMAGE_LIMIT} read into memory",
                            e.size
                        ),
                    ));
                }
                let arch = ImageArch::detect(&bytes).ok_or_else(|| {
                    src.member_err(&e.path, "not a kernel image this recognises".into())
                })?;
                if !want {
                    bytes = Vec::new();
                }
                image = Some(Image {
                    path: e.path.clone(),
                    arch,
                    bytes,
                });
            }
            Role::Module if is_file => {
                let raw = e
                    .read_all(MODULE_LIMIT)
                    .map_err(src.read_err(format!("{} ({})", e.path, e.location)))?;
                let (info, plain) = src.read_module(&e.path, &raw)?;
                let (moddir, rel) = split_moddir(&e.path).ok_or_else(|| {
                    src.member_err(&e.path, "not under lib/modules/VERSION".into())
                })?;
                source_moddir.get_or_insert_with(|| moddir.to_owned());
                let file = rel.rsplit('/').next().unwrap_or(rel);
                let compressed = FileCompression::from_name(file).is_some();
                let (stored_rel, stored): (String, &[u8]) =
                    if compressed && !opts.keep_module_compression {
                        let stem = FileCompression::from_name(file).map_or(file, |(_, s)| s);
                        let dir = &rel[..rel.len() - file.len()];
                        (format!("{dir}{stem}"), &plain)
                    } else {
                        (rel.to_owned(), &raw)
                    };
                let mut zstd = zstd::bulk::compress(stored, HOLD_LEVEL)
                    .map_err(src.read_err(format!("{}: holding in memory", e.path)))?;
                // compress() allocates the worst case; keep only the bytes.
                zstd.shrink_to_fit();
                let name = module_name_from_path(&stored_rel);
                checks.push(Pending {
                    path: e.path.clone(),
                    name: name.clone(),
                    machine: info.machine,
                    bits: info.bits,
                    vermagic: info.vermagic.clone(),
                });
                all_held.insert(
                    name.clone(),
                    Held {
                        zstd,
                        size: stored.len() as u64,
                    },
                );
                parsed.push(Module {
                    path: stored_rel,
                    name,
                    info,
                });
            }
            Role::ModuleTree if is_file => {
                let rel = split_moddir(&e.path).map(|(_, r)| r.to_owned());
                if let Some(rel) = rel {
                    if TREE_FILES.contains(&rel.as_str()) {
                        let bytes = e
                            .read_all(MODULE_LIMIT)
                            .map_err(src.read_err(format!("{} ({})", e.path, e.location)))?;
                        tree_files.push((rel, bytes));
                    }
                }
            }
            Role::Dtb if is_file => {
                if let Some(t) = dtb_tar.as_mut() {
                    let rel = dtb_relative(&e.path, e.version.as_deref()).ok_or_else(|| {
                        src.member_err(&e.path, "a DTB outside a DTB directory".into())
                    })?;
                    let h = t.header(tar::EntryType::Regular, 0o644, e.size);
                    let mut h = h;
                    t.builder.append_data(&mut h, &rel, &mut *e).map_err(
                        src.read_err(format!("{} ({}): into the DTB tarball", e.path, e.location)),
                    )?;
                }
                dtb_count += 1;
            }
            _ => {}
        }
        Ok(())
    })?;
    if let (Some(t), Some(p)) = (dtb_tar, dtbs) {
        t.finish(p)?;
    }

    let image = image.ok_or_else(|| problem("no kernel image (boot/vmlinuz-VERSION)".into()))?;
    if versions.len() > 1 {
        let list: Vec<String> = versions.iter().map(|(v, m)| format!("{v} ({m})")).collect();
        return Err(problem(format!(
            "more than one kernel version: {}",
            list.join(", ")
        )));
    }
    let version = versions
        .pop()
        .map(|(v, _)| v)
        .ok_or_else(|| problem("no kernel version found".into()))?;
    if parsed.is_empty() {
        return Err(problem(format!(
            "kernel {version} has no modules (no lib/modules/{version} or usr/lib/modules/{version})"
        )));
    }
    for c in &checks {
        if (c.machine, c.bits) != (image.arch.elf_machine, image.arch.bits) {
            return Err(problem(format!(
                "{} is for ELF machine {} ({}-bit) but the image {} is {} (machine {}, {}-bit)",
                c.path,
                c.machine,
                c.bits,
                image.path,
                image.arch.format,
                image.arch.elf_machine,
                image.arch.bits
            )));
        }
        let magic_version = c
            .vermagic
            .as_deref()
            .and_then(|v| v.split_whitespace().next());
        if magic_version != Some(version.as_str()) {
            return Err(problem(format!(
                "{} has vermagic {:?}, not for kernel {version}",
                c.path,
                c.vermagic.as_deref().unwrap_or("(none)")
            )));
        }
        debug_assert!(!c.name.is_empty());
    }

    let text = |name: &str| {
        tree_files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
    };
    let order = text("modules.order");
    let builtin = text("modules.builtin");
    let modules = KernelModules::from_modules(parsed, order.as_deref(), builtin.as_deref())
        .map_err(|source| InstallerError::Modules {
            source_path: source_path.clone(),
            source,
        })?;
    let selection = Selection::from_options(opts.classic, &opts.include, &opts.exclude);
    let closure = modules
        .close(&selection)
        .map_err(|source| InstallerError::Modules {
            source_path: source_path.clone(),
            source,
        })?;
    if closure.included.is_empty() {
        return Err(problem(format!(
            "the selection matches no module of kernel {version} (patterns: {})",
            selection.included().join(" ")
        )));
    }
    // A missing softdep is what modprobe shrugs off (the manifest lists
    // it); a missing hard dependency means a module that cannot load.
    let hard: Vec<String> = closure
        .missing
        .iter()
        .filter(|m| m.how == Want::Depends)
        .map(|m| format!("{} (wanted by {})", m.name, m.wanted_by))
        .collect();
    if !hard.is_empty() && !opts.allow_missing {
        return Err(problem(format!(
            "dependencies that are neither modules nor built in: {}; pass allow_missing to go on",
            hard.join(", ")
        )));
    }
    let mut held = HashMap::with_capacity(closure.included.len());
    for m in &closure.included {
        if let Some(h) = all_held.remove(&m.name) {
            held.insert(m.name.clone(), h);
        }
    }
    drop(all_held);
    let package = control.map(|c| {
        (
            c.package().to_owned(),
            c.version().to_owned(),
            c.architecture().to_owned(),
        )
    });
    Ok(Collected {
        moddir: format!("{moddir_root}/{version}"),
        version,
        image,
        package,
        modules,
        closure,
        held,
        tree_files,
        source_moddir: source_moddir.unwrap_or_default(),
        dtb_count,
    })
}

/// `("lib/modules/VER", "kernel/...")` from a module tree path.
fn split_moddir(path: &str) -> Option<(&str, &str)> {
    let start = if path.starts_with("usr/") { 4 } else { 0 };
    let rest = path[start..].strip_prefix("lib/modules/")?;
    let (ver, rel) = rest.split_once('/')?;
    let end = start + "lib/modules/".len() + ver.len();
    Some((&path[..end], rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtb_paths() {
        assert_eq!(
            dtb_relative(
                "usr/lib/linux-image-6.1.0-50-arm64/broadcom/a.dtb",
                Some("6.1.0-50-arm64")
            ),
            Some("broadcom/a.dtb".into())
        );
        assert_eq!(
            dtb_relative("boot/dtbs/6.1.0/xilinx/b.dtb", Some("6.1.0")),
            Some("xilinx/b.dtb".into())
        );
        assert_eq!(dtb_relative("boot/dtbs/c.dtb", None), Some("c.dtb".into()));
    }

    #[test]
    fn moddir_split() {
        assert_eq!(
            split_moddir("usr/lib/modules/6.12/kernel/fs/ext4/ext4.ko.xz"),
            Some(("usr/lib/modules/6.12", "kernel/fs/ext4/ext4.ko.xz"))
        );
        assert_eq!(
            split_moddir("lib/modules/6.1/modules.order"),
            Some(("lib/modules/6.1", "modules.order"))
        );
        assert_eq!(split_moddir("boot/vmlinuz-6.1"), None);
    }
}
