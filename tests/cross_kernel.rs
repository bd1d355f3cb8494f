//! A real cross-built Linux kernel, with exactly the plan's runes.
//!
//! The job is `build-arm64-pvops` cross-built on an amd64 bookworm host,
//! as the flight rewrite sets it up. Bookworm's own kernel source
//! (`linux-source-6.1`, fetched by tests/fetch) is configured small
//! (`tinyconfig`, plus modules, one module and one Arm platform so that
//! `modules` and `dtbs` have something to build: the plan's
//! `defconfig` would take far longer than a test may), then built and
//! installed with the plan's own build, `modules_install` and
//! `dtbs_install` commands (osstest adds `-j`, so does this). goblin checks
//! that vmlinux and the module are AArch64 ELF; the image is checked for
//! the arm64 Image magic where the plan says it is, and the device trees
//! for the FDT magic where `dtbs_install` puts them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use osstest_core::build::plan::BuildPlan;
use osstest_core::build::runes::{self, LINUX_DIST};

/// Removes the build tree when the test ends, however it ends.
struct TempTree(PathBuf);

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(dir: &Path, argv: &[String], env: &BTreeMap<String, String>) {
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .envs(env)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    assert!(status.success(), "{argv:?} failed in {}", dir.display());
}

fn installed(pkg: &str) -> bool {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout) == "install ok installed"
}

fn elf_machine(path: &Path) -> (u16, bool, bool) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let elf = goblin::elf::Elf::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (elf.header.e_machine, elf.is_64, elf.little_endian)
}

#[test]
#[ignore = "needs Debian's archive, its cross compilers and a kernel build: run tests/run"]
fn arm64_kernel_cross_built_with_the_plans_runes() {
    let r: BTreeMap<String, String> = [
        ("arch", "arm64"),
        ("build_arch", "amd64"),
        (
            "host_hostflags",
            "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build",
        ),
        ("kconfighow", "xen-enable-xen-config"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let plan = BuildPlan::from_runvars(&r).unwrap();
    assert!(plan.is_cross());
    for pkg in plan.toolchain.linux_packages() {
        assert!(
            installed(&pkg),
            "the plan's package {pkg} is not installed (tests/install-deps)"
        );
    }
    let linux = runes::linux(&plan, None);

    // Bookworm's kernel source, unpacked without the documentation (but
    // with Documentation/Kconfig, which Kconfig sources).
    let deb = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fetch"))
        .args(["deb", "bookworm", "all", "linux-source-6.1"])
        .output()
        .unwrap();
    assert!(
        deb.status.success(),
        "tests/fetch: {}",
        String::from_utf8_lossy(&deb.stderr)
    );
    let deb = String::from_utf8(deb.stdout).unwrap().trim().to_owned();
    let top = std::env::temp_dir().join(format!("osstest-cross-kernel-{}", std::process::id()));
    std::fs::create_dir_all(&top).unwrap();
    let _cleanup = TempTree(top.clone());
    // The package holds the source as one tar.xz; Documentation/[!K]*
    // spares only Documentation/Kconfig.
    let unpack = format!(
        "dpkg-deb -x '{deb}' deb && xz -T2 -dc deb/usr/src/linux-source-6.1.tar.xz \
         | tar -x --exclude='linux-source-6.1/Documentation/[!K]*' \
           --exclude='linux-source-6.1/tools/testing' && rm -rf deb"
    );
    let status = Command::new("bash")
        .args(["-eo", "pipefail", "-c", &unpack])
        .current_dir(&top)
        .status()
        .unwrap();
    assert!(status.success(), "unpacking {deb}");
    let tree = top.join("linux-source-6.1");
    let none = BTreeMap::new();

    // The configuration: small, but with modules and one platform.
    let mut make: Vec<String> = vec!["make".into()];
    make.extend(linux.make_vars.iter().map(|(k, v)| format!("{k}={v}")));
    let with = |target: &str| {
        let mut v = make.clone();
        v.push(target.into());
        v
    };
    run(&tree, &with("tinyconfig"), &none);
    run(
        &tree,
        &[
            "scripts/config".into(),
            "--enable".into(),
            "MODULES".into(),
            "--module".into(),
            "CRC_CCITT".into(),
            "--enable".into(),
            "ARCH_VEXPRESS".into(),
        ],
        &none,
    );
    run(&tree, &with("olddefconfig"), &none);

    // The plan's runes, as osstest runs them.
    let mut build = linux.build.argv.clone();
    build.push("-j2".into());
    run(&tree, &build, &linux.build.env);
    run(
        &tree,
        &linux.modules_install.argv,
        &linux.modules_install.env,
    );
    let dtbs_install = linux.dtbs_install.as_ref().expect("arm64 installs DTBs");
    run(&tree, &dtbs_install.argv, &dtbs_install.env);

    let release = std::fs::read_to_string(tree.join("include/config/kernel.release")).unwrap();
    let release = release.trim();
    assert!(release.starts_with("6.1."), "{release}");

    // AArch64 code, 64-bit little-endian, from the cross compiler.
    let arm64 = (plan.target.elf_machine_number, true, true);
    assert_eq!(elf_machine(&tree.join("vmlinux")), arm64, "vmlinux");
    let image = std::fs::read(tree.join(linux.image_path)).unwrap();
    assert_eq!(
        &image[0x38..0x3c],
        b"ARM\x64",
        "{}: arm64 Image magic",
        linux.image_path
    );
    let dist = tree.join(LINUX_DIST);
    let module = dist.join(format!("lib/modules/{release}/kernel/lib/crc-ccitt.ko"));
    assert_eq!(elf_machine(&module), arm64, "{}", module.display());
    assert!(dist
        .join(format!("lib/modules/{release}/modules.dep"))
        .exists());
    let dtb = dist.join(format!("boot/dtbs/{release}/arm/juno.dtb"));
    let dtb = std::fs::read(&dtb).unwrap_or_else(|e| panic!("{}: {e}", dtb.display()));
    assert_eq!(&dtb[..4], &[0xd0, 0x0d, 0xfe, 0xed], "juno.dtb: FDT magic");
}
