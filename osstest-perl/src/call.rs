// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Running one call from Perl: panics caught, errors made into messages.
//!
//! A panic must never unwind into perl's C frames (that would abort the
//! interpreter), so every call runs under [`std::panic::catch_unwind`]. While
//! a call runs, the panic hook records the panic's message and location
//! instead of printing them; the Perl exception carries them instead.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// The package every function lives in, for messages.
pub const PACKAGE: &str = "Osstest::Core";

thread_local! {
    static IN_CALL: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_CALL.with(Cell::get) {
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_owned());
                let at = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{at}")));
            } else {
                previous(info)
            }
        }));
    });
}

/// Runs `body` for the function `name`, catching panics; the error is the
/// full message for Perl's `die`, `Osstest::Core::NAME: ...`.
pub fn guarded<T>(name: &str, body: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    install_panic_hook();
    let was = IN_CALL.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    IN_CALL.with(|c| c.set(was));
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{PACKAGE}::{name}: {e}")),
        Err(_) => {
            let what = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "(no message)".to_owned());
            Err(format!(
                "{PACKAGE}::{name}: internal error (Rust panic: {what}); this is a bug in osstest-core, please report it"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{find, Function};
    use crate::value::PerlValue;

    /// Calls a registered function with already converted arguments, as
    /// the glue does.
    fn call(f: &Function, args: Vec<PerlValue>) -> Result<PerlValue, String> {
        guarded(f.name, || (f.call)(args))
    }

    #[test]
    fn panic_becomes_error() {
        let f = find("_test_panic").unwrap();
        let e = call(f, vec![PerlValue::Str("boom".into())]).unwrap_err();
        assert!(
            e.starts_with("Osstest::Core::_test_panic: internal error (Rust panic: boom at "),
            "{e}"
        );
        assert!(e.contains("api/mod.rs:"), "{e}");
        // And the next call works normally.
        let f = find("arch_info").unwrap();
        assert!(call(f, vec![PerlValue::Str("arm64".into())]).is_ok());
    }

    #[test]
    fn error_names_function() {
        let f = find("arch_info").unwrap();
        let e = call(f, vec![PerlValue::Str("vax".into())]).unwrap_err();
        assert!(
            e.starts_with("Osstest::Core::arch_info: unknown Debian architecture 'vax'"),
            "{e}"
        );
    }
}
