//! Boot checks of bookworm arm64: Debian's kernel, the installer's initrd
//! and an appended modules segment, under QEMU.

mod boot;

use std::path::Path;
use std::time::Duration;

use osstest_core::cpio::Tree;
use osstest_core::initrd::Segment;

use boot::Outcome;

/// The classic installer subset (DESIGN.md section 3): modules chosen by
/// path alone, plus every `modules.*` file. Names are
/// `lib/modules/RELEASE/...`.
fn classic_subset(modules: &Path, release: &str) -> Tree {
    const DIRS: &[&str] = &[
        "kernel/lib/",
        "kernel/crypto/",
        "kernel/drivers/clk/",
        "kernel/drivers/mmc/",
        "kernel/drivers/phy/",
        "kernel/drivers/usb/misc/",
        "kernel/drivers/ata/",
        "kernel/drivers/i2c/busses/",
        "kernel/drivers/md/",
        "kernel/drivers/net/",
        "kernel/drivers/regulator/",
        "kernel/drivers/scsi/",
        "kernel/drivers/usb/dwc3/",
        "kernel/drivers/usb/host/",
    ];
    let selected = |rel: &str| {
        DIRS.iter().any(|d| rel.starts_with(d))
            || rel == "kernel/fs/mbcache.ko"
            || rel.starts_with("kernel/fs/ext")
            || rel.starts_with("kernel/fs/jbd")
            || (!rel.contains('/') && rel.starts_with("modules."))
    };
    let mut tree = Tree::new("classic modules subset");
    let mut stack = vec![modules.to_owned()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(modules)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            if p.is_dir() {
                stack.push(p);
            } else if selected(&rel) {
                tree.add_file(&format!("lib/modules/{release}/{rel}"), &p)
                    .unwrap();
            }
        }
    }
    tree
}

/// The negative check: the classic path-only subset leaves `dm_mod`
/// without its dependencies (`dax` is outside it), so LVM is unusable in
/// the installer, while ext4 loads.
#[test]
fn classic_path_subset_leaves_dm_mod_unloadable() {
    let deb = boot::fetch(&["kernel", "bookworm", "arm64", "arm64"]);
    let di = boot::fetch(&["di", "bookworm", "arm64"]);
    let k = boot::unpack_kernel(&deb);
    let tree = classic_subset(&k.modules, &k.release);
    assert!(
        tree.len() > 500,
        "the subset has {} modules and files",
        tree.len()
    );
    assert!(tree
        .names()
        .iter()
        .any(|n| n.ends_with("/drivers/md/dm-mod.ko")));
    assert!(!tree
        .names()
        .iter()
        .any(|n| n.ends_with("/drivers/dax/dax.ko")));

    let result = boot::boot_check(
        "arm64",
        &k.image,
        &di.join("initrd.gz"),
        vec![Segment::Tree(tree)],
        boot::INSTALLER_MODULES,
        Duration::from_secs(900),
    );
    eprintln!("{:#?}", result.modules);
    assert_eq!(
        result.kernel_release, k.release,
        "booted the kernel the modules are for"
    );
    assert_eq!(result.depmod, Outcome::Loaded);
    assert_eq!(result.modules["ext4"], Outcome::Loaded);
    // drivers/block is outside the classic list too.
    match &result.modules["virtio_blk"] {
        Outcome::Failed(msg) => assert!(msg.contains("not found"), "virtio_blk: {msg}"),
        Outcome::Loaded => panic!("virtio_blk loaded, but drivers/block is not in the subset"),
    }
    match &result.modules["dm_mod"] {
        Outcome::Failed(msg) => assert!(msg.contains("Unknown symbol"), "dm_mod: {msg}"),
        Outcome::Loaded => {
            panic!("dm_mod loaded from the path-only subset; the negative check no longer holds")
        }
    }
}
