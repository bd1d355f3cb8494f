//! The licence osstest can link: AGPL-3.0-or-later in the crates' metadata,
//! the AGPL's text in COPYING, and the same in the Debian package's
//! copyright file. (The crates said GPL-2.0-only, which cannot be combined
//! with osstest's AGPLv3 code in one perl process.)

use std::path::PathBuf;

fn read(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn agpl_3_or_later_everywhere() {
    assert_eq!(env!("CARGO_PKG_LICENSE"), "AGPL-3.0-or-later");
    for toml in ["osstest-core/Cargo.toml", "osstest-perl/Cargo.toml"] {
        assert!(
            read(toml).contains("\nlicense.workspace = true\n"),
            "{toml}"
        );
    }
    let copying = read("COPYING");
    let head: Vec<&str> = copying.lines().take(2).map(str::trim).collect();
    assert_eq!(
        head,
        [
            "GNU AFFERO GENERAL PUBLIC LICENSE",
            "Version 3, 19 November 2007"
        ]
    );
    assert!(copying
        .contains("13. Remote Network Interaction; Use with the GNU General Public License."));
    let copyright = read("debian/copyright");
    assert!(copyright.contains("\nFiles: *\n"), "debian/copyright");
    assert!(copyright.contains("\nLicense: AGPL-3+\n This program is free software"));
    // The full text, as Debian's common licences have no AGPL.
    assert!(copyright.contains(" 13. Remote Network Interaction;"));
}
