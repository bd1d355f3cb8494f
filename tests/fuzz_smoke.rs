// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! A bounded smoke run of the fuzz targets (fuzz/src/lib.rs) without
//! libFuzzer: seeds built here (a small kernel .deb, a kerndist tarball,
//! compressed streams, a newc archive, an initrd of three segments) and deterministic mutations of them (bit flips,
//! truncations, insertions, byte runs, splices) go through the same target
//! functions cargo-fuzz runs. A panic fails the test. Longer runs: `cargo
//! +nightly fuzz run deb` in fuzz/ (see fuzz/Cargo.toml).

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::io::Write;
use std::time::{Duration, Instant};

/// xorshift64*, so runs are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.truncate(rng.below(len + 1)),
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let b = rng.next() as u8;
                v.splice(i..i, std::iter::repeat(b).take(n));
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(len - i).min(64);
                let b = [0u8, 0xff, b'0', b' '][rng.below(4)];
                v[i..i + n].fill(b);
            }
            4 if !other.is_empty() => {
                let i = rng.below(len + 1);
                let j = rng.below(other.len());
                v.truncate(i);
                v.extend_from_slice(&other[j..]);
            }
            _ if len > 0 => {
                // An interesting integer where a size or offset may be.
                let i = rng.below(len);
                let b = [0x7f, 0x80, 0xff, b'9'][rng.below(4)];
                v[i] = b;
            }
            _ => {}
        }
    }
    v
}

fn ar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, data) in members {
        let h = format!(
            "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
            name,
            0,
            0,
            0,
            "100644",
            data.len()
        );
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn seeds() -> (Vec<u8>, Vec<u8>, Vec<Vec<u8>>) {
    let mut image = vec![0u8; 4096];
    image[0x38..0x3c].copy_from_slice(b"ARM\x64");
    let data = tar(&[
        ("./boot/vmlinuz-6.1.0-1-arm64", &image),
        ("./boot/config-6.1.0-1-arm64", b"CONFIG_X=y\n"),
        (
            "./lib/modules/6.1.0-1-arm64/kernel/a.ko",
            b"\x7fELF\x02\x01\x01\0not really",
        ),
        (
            "./lib/modules/6.1.0-1-arm64/modules.order",
            b"kernel/a.ko\n",
        ),
        (
            "./usr/lib/linux-image-6.1.0-1-arm64/v/b.dtb",
            b"\xd0\x0d\xfe\xed",
        ),
    ]);
    let control = gz(&tar(&[(
        "./control",
        b"Package: linux-image-6.1.0-1-arm64\nVersion: 1\nArchitecture: arm64\n",
    )]));
    let deb = ar(&[
        ("debian-binary", b"2.0\n"),
        ("control.tar.gz", &control),
        ("data.tar.xz", &xz(&data)),
    ]);
    let kerndist = gz(&data);
    let streams = vec![gz(b"hello"), xz(&data), data.clone()];
    (deb, kerndist, streams)
}

/// Seeds for the cpio reader and the initrd inspector: a newc archive of
/// files, a directory, a symlink and hard links; then an initrd of that
/// archive uncompressed, gzip and xz segments one after another.
fn cpio_seeds() -> (Vec<u8>, Vec<u8>) {
    use osstest_core::format::cpio::Tree;
    let mut t = Tree::new("seed");
    t.add_dir("lib", 0o755).unwrap();
    t.add_bytes("lib/a.ko", 0o644, b"\x7fELF\x02\x01\x01\0module".to_vec())
        .unwrap();
    t.add_bytes("init", 0o755, b"#!/bin/sh\n".to_vec()).unwrap();
    t.add_symlink("bin", "usr/bin").unwrap();
    t.add_hard_link("lib/b.ko", "lib/a.ko").unwrap();
    let archive = t.write(Vec::new(), 0).unwrap();
    let mut initrd = archive.clone();
    initrd.extend(gz(&archive));
    while initrd.len() % 4 != 0 {
        initrd.push(0);
    }
    initrd.extend(xz(&archive));
    (archive, initrd)
}

#[test]
fn fuzz_targets_smoke() {
    let (deb, kerndist, streams) = seeds();
    let (archive, initrd) = cpio_seeds();
    // The seeds themselves read cleanly through the real paths.
    targets::deb(&deb);
    targets::kerndist(&kerndist);
    targets::cpio(&archive);
    targets::initrd(&initrd);
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), &initrd).unwrap();
    let i = osstest_core::format::initrd::inspect(f.path()).unwrap();
    assert_eq!(i.segments.len(), 3, "the initrd seed has three segments");
    let budget = Duration::from_secs(20);
    let start = Instant::now();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut runs = 0u64;
    while start.elapsed() < budget && runs < 30_000 {
        let m = mutate(&mut rng, &deb, &kerndist);
        targets::deb(&m);
        let m = mutate(&mut rng, &kerndist, &deb);
        targets::kerndist(&m);
        let s = &streams[rng.below(streams.len())];
        let m = mutate(&mut rng, s, &deb);
        targets::decompress(&m);
        let m = mutate(&mut rng, &archive, &initrd);
        targets::cpio(&m);
        let m = mutate(&mut rng, &initrd, &archive);
        targets::initrd(&m);
        runs += 1;
    }
    eprintln!(
        "fuzz smoke: {} inputs per target in {:?}",
        runs,
        start.elapsed()
    );
    assert!(runs > 100, "only {runs} runs in the budget");
}
