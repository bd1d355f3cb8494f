// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Perl SVs in and out, through the C glue's accessor table.
//!
//! This is the only unsafe code in the bridge. The C side (`xs/Core.xs`)
//! passes an [`Api`]: a table of small functions around perl's own macros
//! (`SvPV`, `av_fetch`, `newRV_noinc`, ...), so no perl structure is ever
//! declared in Rust. An SV is an opaque pointer here.
//!
//! Invariant: no Perl code runs while Rust frames are on the stack. The
//! XSUB copies its arguments (running any get-magic, such as a tied scalar's
//! FETCH) before calling Rust, tied containers, objects and elements with
//! get-magic (a tied scalar inside a hash) are refused, and the accessors
//! use the `_nomg` forms. So a Perl `die` can never unwind
//! through Rust; errors travel back as a return code and a message.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::OnceLock;

use crate::call::{self, PACKAGE};
use crate::registry::FUNCTIONS;
use crate::value::PerlValue;

/// An opaque `SV *`.
pub type Sv = *mut c_void;
/// The opaque interpreter context (`PerlInterpreter *` under threads).
pub type Ctx = *mut c_void;

/// What [`Api::kind`] says an SV is. Must match `enum osx_kind` in Core.xs.
#[allow(missing_docs)]
pub mod kind {
    pub const UNDEF: i32 = 0;
    pub const INT: i32 = 1;
    pub const UINT: i32 = 2;
    pub const NUM: i32 = 3;
    pub const STR: i32 = 4;
    pub const ARRAY: i32 = 5;
    pub const HASH: i32 = 6;
    pub const BLESSED: i32 = 7;
    pub const TIED: i32 = 8;
    pub const OTHER_REF: i32 = 9;
    pub const MAGIC: i32 = 10;
}

/// The accessor table the C glue passes with every call. Must match
/// `struct osx_api` in Core.xs, field for field.
#[repr(C)]
pub struct Api {
    /// Classifies an SV (see [`kind`]).
    pub kind: unsafe extern "C" fn(Ctx, Sv) -> c_int,
    /// A string scalar's bytes; `utf8` says whether perl flags them UTF-8.
    pub string: unsafe extern "C" fn(Ctx, Sv, *mut usize, *mut c_int) -> *const c_char,
    /// An integer scalar's value.
    pub iv: unsafe extern "C" fn(Ctx, Sv) -> i64,
    /// An unsigned integer scalar's value.
    pub uv: unsafe extern "C" fn(Ctx, Sv) -> u64,
    /// A float scalar's value.
    pub nv: unsafe extern "C" fn(Ctx, Sv) -> f64,
    /// The element count of an array reference.
    pub av_len: unsafe extern "C" fn(Ctx, Sv) -> isize,
    /// Element `i` of an array reference; null for a hole.
    pub av_get: unsafe extern "C" fn(Ctx, Sv, isize) -> Sv,
    /// Starts iterating a hash reference; returns its key count.
    pub hv_start: unsafe extern "C" fn(Ctx, Sv) -> isize,
    /// The next key and value of a hash reference; null at the end.
    pub hv_next: unsafe extern "C" fn(Ctx, Sv, *mut *const c_char, *mut usize, *mut c_int) -> Sv,
    /// A new undef.
    pub new_undef: unsafe extern "C" fn(Ctx) -> Sv,
    /// A new string scalar (flagged UTF-8 when `utf8` is non-zero).
    pub new_str: unsafe extern "C" fn(Ctx, *const c_char, usize, c_int) -> Sv,
    /// A new integer scalar.
    pub new_iv: unsafe extern "C" fn(Ctx, i64) -> Sv,
    /// A new unsigned integer scalar.
    pub new_uv: unsafe extern "C" fn(Ctx, u64) -> Sv,
    /// A new float scalar.
    pub new_nv: unsafe extern "C" fn(Ctx, f64) -> Sv,
    /// A reference to a new empty array.
    pub new_av: unsafe extern "C" fn(Ctx) -> Sv,
    /// Pushes onto an array reference (takes ownership of the value).
    pub av_push: unsafe extern "C" fn(Ctx, Sv, Sv),
    /// A reference to a new empty hash.
    pub new_hv: unsafe extern "C" fn(Ctx) -> Sv,
    /// Stores into a hash reference (takes ownership of the value).
    pub hv_store: unsafe extern "C" fn(Ctx, Sv, *const c_char, usize, c_int, Sv),
}

/// How deep Perl data may nest before we call it a reference cycle.
const MAX_DEPTH: usize = 200;

fn text(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        format!(
            "the string '{}' is not valid UTF-8",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// Converts one SV into a [`PerlValue`].
///
/// # Safety
/// `sv` must be a live SV (or null, read as undef) of the interpreter `ctx`,
/// and `api` the glue's table.
pub unsafe fn sv_to_value(api: &Api, ctx: Ctx, sv: Sv, depth: usize) -> Result<PerlValue, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "data nested more than {MAX_DEPTH} deep (a reference cycle?)"
        ));
    }
    if sv.is_null() {
        return Ok(PerlValue::Undef);
    }
    match (api.kind)(ctx, sv) {
        kind::UNDEF => Ok(PerlValue::Undef),
        kind::INT => Ok(PerlValue::Int((api.iv)(ctx, sv))),
        kind::UINT => Ok(PerlValue::UInt((api.uv)(ctx, sv))),
        kind::NUM => Ok(PerlValue::Num((api.nv)(ctx, sv))),
        kind::STR => {
            let mut len = 0usize;
            let mut utf8: c_int = 0;
            let p = (api.string)(ctx, sv, &mut len, &mut utf8);
            let bytes = if p.is_null() || len == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(p.cast::<u8>(), len)
            };
            text(bytes).map(PerlValue::Str)
        }
        kind::ARRAY => {
            let n = (api.av_len)(ctx, sv);
            let mut out = Vec::with_capacity(n.max(0) as usize);
            for i in 0..n {
                let e = (api.av_get)(ctx, sv, i);
                out.push(
                    sv_to_value(api, ctx, e, depth + 1).map_err(|m| format!("[{i}]{}", sep(&m)))?,
                );
            }
            Ok(PerlValue::Array(out))
        }
        kind::HASH => {
            let n = (api.hv_start)(ctx, sv);
            let mut out = BTreeMap::new();
            for _ in 0..n.max(0) {
                let mut k: *const c_char = std::ptr::null();
                let mut klen = 0usize;
                let mut utf8: c_int = 0;
                let v = (api.hv_next)(ctx, sv, &mut k, &mut klen, &mut utf8);
                if k.is_null() {
                    break;
                }
                let key = text(std::slice::from_raw_parts(k.cast::<u8>(), klen))
                    .map_err(|m| format!("a hash key: {m}"))?;
                let value = sv_to_value(api, ctx, v, depth + 1)
                    .map_err(|m| format!("{{{key}}}{}", sep(&m)))?;
                out.insert(key, value);
            }
            Ok(PerlValue::Hash(out))
        }
        kind::BLESSED => Err("got an object; pass plain hashes, arrays and scalars".into()),
        kind::TIED => Err("got a tied hash or array; pass a plain copy".into()),
        kind::MAGIC => Err("a tied or magical scalar; pass a plain copy".into()),
        _ => Err("got a reference other than ARRAY or HASH (CODE, SCALAR, GLOB?)".into()),
    }
}

/// Joins a path step and the rest of a message: `{opts}{limit}: ...`.
fn sep(m: &str) -> String {
    if m.starts_with('{') || m.starts_with('[') {
        m.to_owned()
    } else {
        format!(": {m}")
    }
}

/// Converts a [`PerlValue`] into a new SV (reference count one).
///
/// # Safety
/// `ctx` and `api` as for [`sv_to_value`].
pub unsafe fn value_to_sv(api: &Api, ctx: Ctx, v: &PerlValue) -> Sv {
    match v {
        PerlValue::Undef => (api.new_undef)(ctx),
        PerlValue::Int(i) => (api.new_iv)(ctx, *i),
        PerlValue::UInt(u) => (api.new_uv)(ctx, *u),
        PerlValue::Num(n) => (api.new_nv)(ctx, *n),
        PerlValue::Str(s) => new_string(api, ctx, s),
        PerlValue::Array(a) => {
            let rv = (api.new_av)(ctx);
            for e in a {
                (api.av_push)(ctx, rv, value_to_sv(api, ctx, e));
            }
            rv
        }
        PerlValue::Hash(h) => {
            let rv = (api.new_hv)(ctx);
            for (k, e) in h {
                (api.hv_store)(
                    ctx,
                    rv,
                    k.as_ptr().cast(),
                    k.len(),
                    c_int::from(!k.is_ascii()),
                    value_to_sv(api, ctx, e),
                );
            }
            rv
        }
    }
}

unsafe fn new_string(api: &Api, ctx: Ctx, s: &str) -> Sv {
    (api.new_str)(ctx, s.as_ptr().cast(), s.len(), c_int::from(!s.is_ascii()))
}

/// The number of registered functions.
pub fn function_count() -> usize {
    FUNCTIONS.len()
}

/// The fully qualified, NUL-terminated name of function `index`
/// (`Osstest::Core::arch_info`), or null past the end.
pub fn function_name(index: usize) -> *const c_char {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        FUNCTIONS
            .iter()
            .map(|f| CString::new(format!("{PACKAGE}::{}", f.name)).expect("no NUL in names"))
            .collect()
    });
    names.get(index).map_or(std::ptr::null(), |n| n.as_ptr())
}

/// Runs function `index` on the Perl arguments `args[0..nargs]`.
///
/// Returns 0 and the result in `*out`, or 1 and the error message (a string
/// SV) in `*out` for the glue to `croak` with once Rust has returned.
///
/// # Safety
/// `api`, `ctx` as for [`sv_to_value`]; `args` points at `nargs` live SVs;
/// `out` is writable.
pub unsafe fn xs_call(
    api: &Api,
    ctx: Ctx,
    index: usize,
    args: *const Sv,
    nargs: usize,
    out: *mut Sv,
) -> c_int {
    let Some(f) = FUNCTIONS.get(index) else {
        *out = new_string(api, ctx, &format!("{PACKAGE}: no function number {index}"));
        return 1;
    };
    let result = call::guarded(f.name, || {
        let svs = if nargs == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(args, nargs)
        };
        let mut values = Vec::with_capacity(nargs);
        for (i, sv) in svs.iter().enumerate() {
            let v = sv_to_value(api, ctx, *sv, 0).map_err(|m| {
                let param = f
                    .params
                    .get(i)
                    .map(|p| format!(" (${p})"))
                    .unwrap_or_default();
                format!("argument {}{param}{}", i + 1, sep(&m))
            })?;
            values.push(v);
        }
        let v = (f.call)(values)?;
        Ok(value_to_sv(api, ctx, &v))
    });
    match result {
        Ok(sv) => {
            *out = sv;
            0
        }
        Err(msg) => {
            *out = new_string(api, ctx, &msg);
            1
        }
    }
}
