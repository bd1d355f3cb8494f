//! Prints the installer module subset of an unpacked kernel: every module
//! of the classic selection's dependency closure with the reason it is in,
//! then any missing dependency.
//!
//! Usage: `cargo run --release --example module-closure DIR [+PATTERN|-PATTERN...]`
//! where DIR is `lib/modules/VERSION` holding plain `.ko` files (decompress
//! `.ko.xz` first); `+PATTERN` adds a selection pattern, `-PATTERN` excludes.

use std::path::Path;

use osstest_core::modules::{KernelModules, Reason, Selection};

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relpath = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &relpath, out)?;
        } else if name.ends_with(".ko") {
            out.push((relpath, std::fs::read(entry.path())?));
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().filter(|a| !a.starts_with('-')) else {
        eprintln!("usage: module-closure DIR [+PATTERN|-PATTERN...]");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    let mut selection = Selection::classic();
    for a in &args[1..] {
        match (a.strip_prefix('+'), a.strip_prefix('-')) {
            (Some(p), _) => selection.include(p),
            (_, Some(p)) => selection.exclude(p),
            _ => {
                eprintln!("module-closure: {a}: start patterns with + or -");
                std::process::exit(2);
            }
        };
    }
    let mut files = Vec::new();
    if let Err(e) = walk(dir, "", &mut files) {
        eprintln!("module-closure: {}: {e}", dir.display());
        std::process::exit(1);
    }
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let result = KernelModules::parse(
        &files,
        read("modules.order").as_deref(),
        read("modules.builtin").as_deref(),
    )
    .and_then(|kernel| kernel.close(&selection));
    let closure = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("module-closure: {}: {e}", dir.display());
            std::process::exit(1);
        }
    };
    for m in &closure.included {
        let why = match &m.reason {
            Reason::Matched { pattern } => format!("matched {pattern}"),
            Reason::Dependency { of } => format!("dependency of {of}"),
            Reason::Softdep { of } => format!("softdep of {of}"),
        };
        println!("{}\t{}\t{why}", m.name, m.path);
    }
    for m in &closure.missing {
        println!(
            "MISSING\t{}\twanted by {} ({:?})",
            m.name, m.wanted_by, m.how
        );
    }
}
