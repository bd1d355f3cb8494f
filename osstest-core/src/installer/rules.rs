// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! The rules a collection of modules follows: what to select and where
//! the installer keeps modules. [`super::di_kernel`] learns both from the
//! d-i initrd, which it inspects on another thread while the package is
//! read (the image and the DTBs come first in a package, and need no
//! rules); the rules are first wanted at the package's first module, and
//! waited for there.

use crate::kernel::modules::{Matcher, Selection};
use crate::kernel::KernelSource;

use super::collect::modules_err;
use super::InstallerError;

/// What the rules are made of.
pub(super) struct Made {
    /// The selection.
    pub selection: Selection,
    /// Where the installer keeps modules (`lib/modules`, or
    /// `usr/lib/modules` in a merged-/usr initrd).
    pub moddir_root: &'static str,
}

/// The selection, compiled.
pub(super) struct Ready {
    /// What was made.
    pub made: Made,
    /// Its patterns, compiled.
    pub matcher: Matcher,
}

type Making<'a> = Box<dyn FnOnce() -> Result<Made, InstallerError> + 'a>;

enum State<'a> {
    Pending(Making<'a>),
    Ready(Box<Ready>),
    Failed(InstallerError),
    Used,
}

/// The rules, or the work still making them (see the module docs).
pub(super) struct Rules<'a> {
    state: State<'a>,
}

impl<'a> Rules<'a> {
    /// Rules known now.
    pub fn now(selection: Selection, moddir_root: &'static str) -> Rules<'a> {
        Rules::later(move || {
            Ok(Made {
                selection,
                moddir_root,
            })
        })
    }

    /// Rules `make` works out when they are first wanted (joining the
    /// thread that inspects the d-i initrd, say).
    pub fn later(make: impl FnOnce() -> Result<Made, InstallerError> + 'a) -> Rules<'a> {
        Rules {
            state: State::Pending(Box::new(make)),
        }
    }

    /// The rules, made now if they were not yet; `None` if making them
    /// failed ([`Rules::finish`] returns why).
    pub fn ready(&mut self, src: &KernelSource) -> Option<&Ready> {
        if let State::Pending(_) = self.state {
            let State::Pending(make) = std::mem::replace(&mut self.state, State::Used) else {
                unreachable!("matched above")
            };
            self.state = match make().and_then(|made| {
                let matcher = made
                    .selection
                    .compile()
                    .map_err(|source| modules_err(src, source))?;
                Ok(Box::new(Ready { made, matcher }))
            }) {
                Ok(r) => State::Ready(r),
                Err(e) => State::Failed(e),
            };
        }
        match &self.state {
            State::Ready(r) => Some(r),
            _ => None,
        }
    }

    /// The rules once the package is read, or why they could not be made:
    /// that error comes before any the reading met, as the d-i initrd is
    /// the first input checked.
    pub fn finish(mut self, src: &KernelSource) -> Result<Made, InstallerError> {
        self.ready(src);
        match std::mem::replace(&mut self.state, State::Used) {
            State::Ready(r) => Ok(r.made),
            State::Failed(e) => Err(e),
            State::Pending(_) | State::Used => unreachable!("made by ready()"),
        }
    }
}
