// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The table of functions Perl can call.
//!
//! Each entry is one line, `perl_fn!(name(param, ...))`, naming a function
//! in [`crate::api`] and its parameters (the names appear in error messages).
//! The macro generates the glue: arguments are converted from Perl data to
//! the Rust parameter types with [`crate::de`], the result back with
//! [`crate::ser`], and an error becomes the message of a Perl `die`.
//!
//! The shared object installs every entry as `Osstest::Core::NAME` when Perl
//! loads it. Names starting with `_` are internal (tests, introspection) and
//! are not exported by `Osstest/Core.pm`. `_functions`, which lists this
//! table, is defined here (`perl_fn!(NAME(...) = PATH)` names a function
//! outside [`crate::api`]), so `api` never reaches back into the registry.

use std::convert::Infallible;
use std::error::Error as StdError;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::de::from_value;
use crate::ser::to_value;
use crate::value::PerlValue;

/// A function callable from Perl.
pub struct Function {
    /// Its name in package `Osstest::Core`.
    pub name: &'static str,
    /// Its parameters' names, in order, for messages and usage lines.
    pub params: &'static [&'static str],
    /// Converts the arguments, runs the function, converts the result.
    pub call: fn(Vec<PerlValue>) -> Result<PerlValue, String>,
}

#[cfg(test)]
impl Function {
    /// `name($a, $b)`, the usage line.
    pub fn usage(&self) -> String {
        let params: Vec<String> = self.params.iter().map(|p| format!("${p}")).collect();
        format!("{}({})", self.name, params.join(", "))
    }
}

macro_rules! perl_fn {
    ($name:ident ( $($param:ident),* )) => {
        perl_fn!($name ( $($param),* ) = crate::api::$name)
    };
    ($name:ident ( $($param:ident),* ) = $f:path) => {
        Function {
            name: stringify!($name),
            params: &[$(stringify!($param)),*],
            call: |args| {
                #[allow(unused_mut, unused_variables)]
                let mut args = Args::new(&[$(stringify!($param)),*], args)?;
                $( let $param = args.take()?; )*
                output($f($($param),*))
            },
        }
    };
}

/// Every function Perl can call, in the order the shared object installs
/// them. Add a line here for each new function in [`crate::api`].
pub static FUNCTIONS: &[Function] = &[
    perl_fn!(arch_info(debian_arch)),
    perl_fn!(flight_cross_arm(jobs, opts)),
    perl_fn!(dikernel_outputs(flight, job, flights)),
    perl_fn!(build_identity(r, job)),
    perl_fn!(reuse_candidates(jobs, earlier)),
    perl_fn!(reuse_apply(jobs, plan)),
    perl_fn!(flight_parse(text, name)),
    perl_fn!(flight_format(jobs)),
    perl_fn!(_flight_from_rows(flight, jobs, runvars)),
    perl_fn!(_flight_db_plan(flight, current, rewrites)),
    perl_fn!(build_plan(runvars)),
    perl_fn!(kconfig_check(runvars, config, opts)),
    perl_fn!(kernel_info(source)),
    perl_fn!(kernel_unpick(source, destdir, opts)),
    perl_fn!(image_file(path)),
    perl_fn!(initrd_append(initrd, segments, out, opts)),
    perl_fn!(initrd_inspect(initrd)),
    perl_fn!(module_closure(moddir, opts)),
    perl_fn!(di_kernel(source, di_initrd, outdir, opts)),
    perl_fn!(installer_modules(source, out, opts)),
    perl_fn!(kernel_deb(source, outdir, opts)),
    perl_fn!(kernel_outputs(runvars)),
    perl_fn!(target_install(opts)),
    perl_fn!(_functions() = functions),
    perl_fn!(_test_panic(message)),
];

/// `_functions()`: the names of every registered function, for the tests
/// that check `Osstest/Core.pm` exports and documents each one.
fn functions() -> Result<Vec<&'static str>, Infallible> {
    Ok(FUNCTIONS.iter().map(|f| f.name).collect())
}

/// Looks a function up by name.
#[cfg(test)]
pub fn find(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The arguments of one call, taken in order.
pub struct Args {
    params: &'static [&'static str],
    values: std::vec::IntoIter<PerlValue>,
    position: usize,
}

impl Args {
    /// Checks the count: fewer than the parameters is fine (the rest are
    /// undef, so optional trailing parameters work); more is an error.
    pub fn new(params: &'static [&'static str], values: Vec<PerlValue>) -> Result<Args, String> {
        if values.len() > params.len() {
            let names: Vec<String> = params.iter().map(|p| format!("${p}")).collect();
            return Err(format!(
                "takes {} argument{} ({}), got {}",
                params.len(),
                if params.len() == 1 { "" } else { "s" },
                names.join(", "),
                values.len()
            ));
        }
        Ok(Args {
            params,
            values: values.into_iter(),
            position: 0,
        })
    }

    /// Converts the next argument to the type the function wants.
    pub fn take<T: DeserializeOwned>(&mut self) -> Result<T, String> {
        let name = self.params[self.position];
        self.position += 1;
        let v = self.values.next().unwrap_or(PerlValue::Undef);
        from_value(v).map_err(|e| format!("argument {} (${name}): {e}", self.position))
    }
}

/// Converts a function's result for Perl, or its error into the message.
///
/// The message is the error's own text followed by its causes, each once.
pub fn output<R: Serialize, E: StdError>(r: Result<R, E>) -> Result<PerlValue, String> {
    match r {
        Ok(v) => to_value(&v).map_err(|e| format!("cannot return the result to Perl: {e}")),
        Err(e) => Err(error_chain(&e)),
    }
}

/// An error and its sources as one line, `outer: cause: root cause`,
/// leaving out a cause whose text the message already carries.
pub fn error_chain(e: &dyn StdError) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_found() {
        let mut names: Vec<_> = FUNCTIONS.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FUNCTIONS.len());
        assert_eq!(
            find("arch_info").unwrap().usage(),
            "arch_info($debian_arch)"
        );
        assert!(find("nonesuch").is_none());
    }

    #[test]
    fn arity_checked() {
        let f = find("arch_info").unwrap();
        let e = (f.call)(vec![PerlValue::Str("a".into()), PerlValue::Str("b".into())]).unwrap_err();
        assert_eq!(e, "takes 1 argument ($debian_arch), got 2");
        let e = (f.call)(vec![]).unwrap_err();
        assert_eq!(e, "argument 1 ($debian_arch): expected a string, got undef");
    }

    #[test]
    fn calls_through() {
        let f = find("arch_info").unwrap();
        let PerlValue::Hash(h) = (f.call)(vec![PerlValue::Str("armhf".into())]).unwrap() else {
            panic!("not a hash")
        };
        assert_eq!(
            h["gnu_triplet"],
            PerlValue::Str("arm-linux-gnueabihf".into())
        );
        assert_eq!(h["bits"], PerlValue::Int(32));
    }
}
