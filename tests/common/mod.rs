//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Runs `tests/fetch ARGS...` and returns the path it prints.
pub fn fetch(args: &[&str]) -> PathBuf {
    let top = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{top}/tests/fetch"))
        .args(args)
        .output()
        .expect("run tests/fetch");
    assert!(
        out.status.success(),
        "tests/fetch {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    assert!(
        p.exists(),
        "tests/fetch printed {p:?}, which does not exist"
    );
    p
}
