// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Kernel module metadata, read from a module's ELF file (`.ko`).
//!
//! [`ModuleInfo::parse`] reads what kmod's `modinfo` and `depmod` read from a
//! plain (already decompressed) module:
//!
//! - the `.modinfo` section: NUL-separated `key=value` strings (`name`,
//!   `depends`, `vermagic`, `alias`, `softdep`, `firmware`, ...);
//! - the symbols the module exports, which `depmod` writes to
//!   `modules.symbols` and resolves other modules' needs against. Like
//!   kmod, the `__crc_*` symbols of `.symtab` name them when the kernel was
//!   built with `CONFIG_MODVERSIONS` (they also carry the CRCs); otherwise
//!   the `__ksymtab_strings` section does;
//! - the symbols the module needs: `.symtab`'s undefined (`SHN_UNDEF`)
//!   symbols with a name, each with its CRC from `__versions` when there is
//!   one, followed by the `__versions` entries no symbol named (such as
//!   `module_layout`), in the order kmod's `depmod` sees them;
//! - the ELF identity: `e_machine`, class and byte order.
//!
//! Parsing borrows the file's bytes and copies only the strings it keeps;
//! relocations and debug sections are never read. Errors say what is wrong
//! with the bytes; the caller, who knows the file's name, adds it.

use std::collections::HashMap;

use goblin::container::{Container, Ctx};
use goblin::elf::section_header::{SectionHeader, SHT_NOBITS};
use goblin::elf::sym::{Symtab, STB_WEAK};
use goblin::elf::Elf;
use serde::Serialize;

use crate::build::arch::Endian;
use crate::format::compress::Compression;

/// Why a module's bytes could not be read.
///
/// Messages say what is wrong, not in which file: the caller adds that.
#[derive(Debug, thiserror::Error)]
pub enum ModinfoError {
    /// The bytes do not start with the ELF magic number: not a plain
    /// module (perhaps still compressed).
    #[error("not an ELF file (no ELF magic number{})", hint_compressed(.0))]
    NotElf(Option<&'static str>),
    /// The ELF header, a table or a section points past the end of the bytes.
    #[error("truncated ELF file: {0} lies beyond the end of the file ({1} bytes)")]
    Truncated(String, usize),
    /// The ELF structures are inconsistent.
    #[error("malformed ELF file: {0}")]
    Malformed(String),
    /// The file is ELF but not a relocatable object, as modules are.
    #[error("not a kernel module: ELF type {0} is not ET_REL (relocatable)")]
    NotRelocatable(u16),
    /// A section every module has is missing.
    #[error("not a kernel module: no {0} section")]
    MissingSection(&'static str),
}

fn hint_compressed(magic: &Option<&'static str>) -> String {
    match magic {
        Some(format) => format!("; it looks {format}-compressed, decompress it first"),
        None => String::new(),
    }
}

/// A symbol a module exports (`EXPORT_SYMBOL` and friends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedSymbol {
    /// The symbol's name.
    pub name: String,
    /// Its CRC under `CONFIG_MODVERSIONS`, when the module records one.
    pub crc: Option<u64>,
}

/// A symbol a module needs from the kernel or from other modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndefinedSymbol {
    /// The symbol's name.
    pub name: String,
    /// Whether the reference is weak (the module loads without it).
    pub weak: bool,
    /// The CRC the module expects, from its `__versions` section.
    pub crc: Option<u64>,
}

/// What one kernel module says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleInfo {
    /// `name=`: the module's name as the kernel knows it (`dm_mod`).
    /// Modules built before Linux 5.3 lack it; `depmod` itself always names
    /// a module after its file.
    pub name: Option<String>,
    /// `depends=`: the modules this one needs, as modpost computed them.
    pub depends: Vec<String>,
    /// `vermagic=`: the kernel release and options it was built for.
    pub vermagic: Option<String>,
    /// `softdep=` values, verbatim, in file order
    /// (`pre: crc32c post: foo`).
    pub softdeps: Vec<String>,
    /// The modules named after `pre:` in the `softdep=` values: to be
    /// loaded before this one.
    pub softdep_pre: Vec<String>,
    /// The modules named after `post:` in the `softdep=` values: to be
    /// loaded after this one.
    pub softdep_post: Vec<String>,
    /// `alias=` values, in file order.
    pub aliases: Vec<String>,
    /// `firmware=` values, in file order.
    pub firmware: Vec<String>,
    /// Every `.modinfo` entry as (key, value), in file order. An entry
    /// without `=` has an empty value. Bytes that are not UTF-8 (old
    /// `author=` lines) are replaced with U+FFFD.
    pub fields: Vec<(String, String)>,
    /// ELF `e_machine` (183 for `EM_AARCH64`, 40 for `EM_ARM`).
    pub machine: u16,
    /// ELF class: 32 or 64.
    pub bits: u8,
    /// Byte order.
    pub endian: Endian,
    /// The symbols this module exports, in the order `depmod` reads them.
    ///
    /// Without `CONFIG_MODVERSIONS` they come from `__ksymtab_strings`,
    /// which since Linux 5.4 also holds the export namespaces
    /// (`USB_STORAGE`); kmod lists those as symbols too, and so do we, so
    /// that `modules.symbols` is the same.
    pub exports: Vec<ExportedSymbol>,
    /// The symbols this module needs, in the order `depmod` reads them.
    pub undefined: Vec<UndefinedSymbol>,
}

const SHN_UNDEF: usize = 0;
const SHN_ABS: usize = 0xfff1;
const STT_REGISTER: u8 = 13;
const EM_SPARC: u16 = 2;
const EM_SPARCV9: u16 = 43;
/// Size of one `__versions` entry (`struct modversion_info`), any class.
const MODVERSION_SIZE: usize = 64;

/// The ELF file as far as we need it: its bytes, layout and sections.
struct Sections<'a> {
    bytes: &'a [u8],
    ctx: Ctx,
    headers: Vec<SectionHeader>,
    names: &'a [u8],
}

impl<'a> Sections<'a> {
    fn data(&self, index: usize, what: &str) -> Result<&'a [u8], ModinfoError> {
        let sh = self.headers.get(index).ok_or_else(|| {
            ModinfoError::Malformed(format!(
                "{what} names section {index}, which does not exist"
            ))
        })?;
        if sh.sh_type == SHT_NOBITS {
            return Ok(&[]);
        }
        let start = sh.sh_offset as usize;
        let end = start
            .checked_add(sh.sh_size as usize)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                ModinfoError::Truncated(
                    format!(
                        "{what} (section {index}, offset {start}, size {})",
                        sh.sh_size
                    ),
                    self.bytes.len(),
                )
            })?;
        Ok(&self.bytes[start..end])
    }

    /// The index of the first section named `name`, as kmod finds it.
    fn find(&self, name: &str) -> Option<usize> {
        (1..self.headers.len()).find(|&i| {
            let off = self.headers[i].sh_name;
            off < self.names.len() && cstr(self.names, off) == name.as_bytes()
        })
    }

    fn section(&self, name: &'static str) -> Result<Option<&'a [u8]>, ModinfoError> {
        self.find(name).map(|i| self.data(i, name)).transpose()
    }
}

/// The NUL-terminated string at `off` in `data` (to the end if unterminated).
fn cstr(data: &[u8], off: usize) -> &[u8] {
    let rest = data.get(off..).unwrap_or(&[]);
    let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    &rest[..len]
}

fn string(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The non-empty strings of a section of NUL-separated strings.
fn strings(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == 0).filter(|s| !s.is_empty())
}

impl ModuleInfo {
    /// Reads a plain (decompressed) kernel module.
    pub fn parse(bytes: &[u8]) -> Result<ModuleInfo, ModinfoError> {
        if !bytes.starts_with(b"\x7fELF") {
            let compressed = Some(Compression::from_magic_readable(bytes))
                .filter(|c| *c != Compression::None)
                .map(Compression::name);
            return Err(ModinfoError::NotElf(compressed));
        }
        let header_size = match bytes.get(4) {
            Some(1) => 52,
            Some(2) => 64,
            Some(&class) if bytes.len() > 4 => {
                return Err(ModinfoError::Malformed(format!(
                    "unknown ELF class {class}"
                )))
            }
            _ => usize::MAX,
        };
        if bytes.len() < header_size {
            return Err(ModinfoError::Truncated(
                "the ELF header".into(),
                bytes.len(),
            ));
        }
        let header = Elf::parse_header(bytes).map_err(|e| elf_error(e, "ELF header", bytes))?;
        let container = header
            .container()
            .map_err(|e| ModinfoError::Malformed(e.to_string()))?;
        let endianness = header
            .endianness()
            .map_err(|e| ModinfoError::Malformed(e.to_string()))?;
        if header.e_type != goblin::elf::header::ET_REL {
            return Err(ModinfoError::NotRelocatable(header.e_type));
        }
        let ctx = Ctx::new(container, endianness);
        let shnum = header.e_shnum as usize;
        if shnum == 0 {
            return Err(ModinfoError::Malformed(
                "no section headers (e_shnum is 0)".into(),
            ));
        }
        let shoff = header.e_shoff as usize;
        let table_end = shoff
            .checked_add(shnum.saturating_mul(SectionHeader::size(ctx)))
            .filter(|&end| end <= bytes.len());
        if table_end.is_none() {
            return Err(ModinfoError::Truncated(
                format!("the section header table (offset {shoff}, {shnum} entries)"),
                bytes.len(),
            ));
        }
        let headers = SectionHeader::parse(bytes, shoff, shnum, ctx)
            .map_err(|e| elf_error(e, "the section header table", bytes))?;
        let mut sections = Sections {
            bytes,
            ctx,
            headers,
            names: &[],
        };
        sections.names = sections.data(header.e_shstrndx as usize, "the section name table")?;

        let modinfo = sections
            .section(".modinfo")?
            .ok_or(ModinfoError::MissingSection(".modinfo"))?;
        let bits = match container {
            Container::Little => 32,
            Container::Big => 64,
        };
        let endian = if endianness.is_little() {
            Endian::Little
        } else {
            Endian::Big
        };
        let mut info = ModuleInfo::empty(header.e_machine, bits, endian);
        info.read_modinfo(modinfo);

        let symtab = SymbolTable::new(&sections)?;
        info.exports = exports(&sections, symtab.as_ref())?;
        let symtab = symtab.ok_or(ModinfoError::MissingSection(".symtab"))?;
        info.undefined = undefined(&sections, &symtab, header.e_machine)?;
        Ok(info)
    }

    /// A module of ELF machine `machine`, class `bits` and byte order
    /// `endian` that says nothing else of itself (what `parse` fills in).
    pub(crate) fn empty(machine: u16, bits: u8, endian: Endian) -> ModuleInfo {
        ModuleInfo {
            name: None,
            depends: Vec::new(),
            vermagic: None,
            softdeps: Vec::new(),
            softdep_pre: Vec::new(),
            softdep_post: Vec::new(),
            aliases: Vec::new(),
            firmware: Vec::new(),
            fields: Vec::new(),
            machine,
            bits,
            endian,
            exports: Vec::new(),
            undefined: Vec::new(),
        }
    }

    fn read_modinfo(&mut self, data: &[u8]) {
        for entry in strings(data) {
            let (key, value) = match entry.iter().position(|&b| b == b'=') {
                Some(eq) => (&entry[..eq], &entry[eq + 1..]),
                None => (entry, &b""[..]),
            };
            let value = string(value);
            match key {
                b"name" => self.name = Some(value.clone()),
                b"vermagic" => self.vermagic = Some(value.clone()),
                b"depends" => self.depends.extend(
                    value
                        .split(',')
                        .filter(|d| !d.is_empty())
                        .map(str::to_owned),
                ),
                b"alias" => self.aliases.push(value.clone()),
                b"firmware" => self.firmware.push(value.clone()),
                b"softdep" => {
                    let (pre, post) = parse_softdep(&value);
                    self.softdep_pre.extend(pre);
                    self.softdep_post.extend(post);
                    self.softdeps.push(value.clone());
                }
                _ => {}
            }
            self.fields.push((string(key), value));
        }
    }
}

/// Splits a `softdep=` value into its `pre:` and `post:` module lists, as
/// kmod reads a `softdep` line: words after `pre:` go before, words after
/// `post:` after; words before either are ignored.
pub fn parse_softdep(value: &str) -> (Vec<String>, Vec<String>) {
    let (mut pre, mut post) = (Vec::new(), Vec::new());
    let mut list: Option<&mut Vec<String>> = None;
    for word in value.split_whitespace() {
        // "pre:" may be glued to the first name ("pre:foo"); kmod accepts it.
        let word = if let Some(rest) = word.strip_prefix("pre:") {
            list = Some(&mut pre);
            rest
        } else if let Some(rest) = word.strip_prefix("post:") {
            list = Some(&mut post);
            rest
        } else {
            word
        };
        if word.is_empty() {
            continue;
        }
        if let Some(list) = list.as_deref_mut() {
            list.push(word.to_owned());
        }
    }
    (pre, post)
}

fn elf_error(e: goblin::error::Error, what: &str, bytes: &[u8]) -> ModinfoError {
    match e {
        goblin::error::Error::Scroll(_) => ModinfoError::Truncated(what.to_owned(), bytes.len()),
        e => ModinfoError::Malformed(format!("{what}: {e}")),
    }
}

/// `.symtab` with its string table `.strtab`.
struct SymbolTable<'a> {
    syms: Symtab<'a>,
    strtab: &'a [u8],
}

impl<'a> SymbolTable<'a> {
    fn new(sections: &Sections<'a>) -> Result<Option<Self>, ModinfoError> {
        let (Some(strtab), Some(index)) = (sections.section(".strtab")?, sections.find(".symtab"))
        else {
            return Ok(None);
        };
        let sh = &sections.headers[index];
        let entsize = goblin::elf::sym::Sym::size(sections.ctx.container);
        let data = sections.data(index, ".symtab")?;
        if data.len() % entsize != 0 {
            return Err(ModinfoError::Malformed(format!(
                ".symtab is {} bytes, not a multiple of the {entsize}-byte entry size",
                data.len()
            )));
        }
        let syms = Symtab::parse(
            sections.bytes,
            sh.sh_offset as usize,
            data.len() / entsize,
            sections.ctx,
        )
        .map_err(|e| elf_error(e, ".symtab", sections.bytes))?;
        Ok(Some(SymbolTable { syms, strtab }))
    }

    fn name(&self, st_name: usize) -> Option<&'a [u8]> {
        (st_name < self.strtab.len()).then(|| cstr(self.strtab, st_name))
    }
}

/// The exported symbols, as kmod's `kmod_elf_get_symbols` finds them.
fn exports(
    sections: &Sections<'_>,
    symtab: Option<&SymbolTable<'_>>,
) -> Result<Vec<ExportedSymbol>, ModinfoError> {
    if let Some(symtab) = symtab {
        let mut out = Vec::new();
        let mut bad_name = false;
        for sym in symtab.syms.iter().skip(1) {
            let Some(name) = symtab.name(sym.st_name) else {
                bad_name = true;
                break;
            };
            let Some(name) = name.strip_prefix(b"__crc_") else {
                continue;
            };
            out.push(ExportedSymbol {
                name: string(name),
                crc: resolve_crc(sections, sym.st_value, sym.st_shndx),
            });
        }
        if !bad_name && !out.is_empty() {
            return Ok(out);
        }
    }
    // No CONFIG_MODVERSIONS CRCs: the names in __ksymtab_strings.
    Ok(sections
        .section("__ksymtab_strings")?
        .map(|data| {
            strings(data)
                .map(|name| ExportedSymbol {
                    name: string(name),
                    crc: None,
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The CRC a `__crc_` symbol carries: its value if absolute, else the
/// 32-bit word its value points to in its section.
fn resolve_crc(sections: &Sections<'_>, value: u64, shndx: usize) -> Option<u64> {
    if shndx == SHN_ABS || shndx == SHN_UNDEF {
        return Some(value);
    }
    let data = sections.data(shndx, "a __crc_ symbol").ok()?;
    let off = usize::try_from(value).ok()?;
    let word: [u8; 4] = data.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u64::from(if sections.ctx.le.is_little() {
        u32::from_le_bytes(word)
    } else {
        u32::from_be_bytes(word)
    }))
}

/// The needed symbols, as kmod's `kmod_elf_get_dependency_symbols` finds
/// them: undefined named symbols in table order, then `__versions` entries
/// no symbol named.
fn undefined(
    sections: &Sections<'_>,
    symtab: &SymbolTable<'_>,
    machine: u16,
) -> Result<Vec<UndefinedSymbol>, ModinfoError> {
    let versions = match sections.section("__versions")? {
        Some(data) if data.len() % MODVERSION_SIZE == 0 => data,
        _ => &[],
    };
    let crc_len = match sections.ctx.container {
        Container::Little => 4,
        Container::Big => 8,
    };
    let le = sections.ctx.le.is_little();
    let entries: Vec<(&[u8], u64)> = versions
        .chunks_exact(MODVERSION_SIZE)
        .map(|entry| {
            let mut crc = [0u8; 8];
            let raw = &entry[..crc_len];
            let crc = if le {
                crc[..crc_len].copy_from_slice(raw);
                u64::from_le_bytes(crc)
            } else {
                crc[8 - crc_len..].copy_from_slice(raw);
                u64::from_be_bytes(crc)
            };
            (cstr(&entry[crc_len..], 0), crc)
        })
        .collect();
    // The first entry of a name wins, as in kmod's linear search.
    let mut by_name: HashMap<&[u8], usize> = HashMap::with_capacity(entries.len());
    for (i, (name, _)) in entries.iter().enumerate() {
        by_name.entry(name).or_insert(i);
    }
    let mut visited = vec![false; entries.len()];
    let sparc = machine == EM_SPARC || machine == EM_SPARCV9;

    let mut out = Vec::new();
    for (i, sym) in symtab.syms.iter().enumerate().skip(1) {
        if sym.st_shndx != SHN_UNDEF || (sparc && sym.st_type() == STT_REGISTER) {
            continue;
        }
        let name = symtab.name(sym.st_name).ok_or_else(|| {
            ModinfoError::Malformed(format!(
                ".symtab entry {i} names offset {} of the {}-byte .strtab",
                sym.st_name,
                symtab.strtab.len()
            ))
        })?;
        if name.is_empty() {
            continue;
        }
        let crc = by_name.get(name).map(|&v| {
            visited[v] = true;
            entries[v].1
        });
        out.push(UndefinedSymbol {
            name: string(name),
            weak: sym.st_bind() == STB_WEAK,
            crc,
        });
    }
    for ((name, crc), seen) in entries.iter().zip(visited) {
        if !seen {
            out.push(UndefinedSymbol {
                name: string(name),
                weak: false,
                crc: Some(*crc),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softdep_lists() {
        let (pre, post) = parse_softdep("pre: crc32c  post: foo bar");
        assert_eq!(pre, ["crc32c"]);
        assert_eq!(post, ["foo", "bar"]);
        let (pre, post) = parse_softdep("ignored pre:a b");
        assert_eq!(pre, ["a", "b"]);
        assert!(post.is_empty());
    }

    #[test]
    fn not_elf() {
        let e = ModuleInfo::parse(b"hello").unwrap_err();
        assert_eq!(e.to_string(), "not an ELF file (no ELF magic number)");
        let e = ModuleInfo::parse(b"\xfd7zXZ\0\0\0").unwrap_err();
        assert!(e.to_string().contains("xz-compressed"), "{e}");
    }

    #[test]
    fn truncated_header() {
        let e = ModuleInfo::parse(b"\x7fELF\x02\x01\x01\0\0\0").unwrap_err();
        assert!(matches!(e, ModinfoError::Truncated(..)), "{e}");
    }
}
