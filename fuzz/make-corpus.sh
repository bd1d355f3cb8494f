#!/bin/bash
# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.
#
# Makes seed corpora for the fuzz targets under fuzz/corpus/ (not
# committed): tiny kernel .debs written by dpkg-deb with each compression
# it offers, a kerndist tarball made as osstest's built_stash makes it, and
# compressed streams. One real module comes from the cached bookworm arm64
# kernel (tests/fetch).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
corpus=$top/fuzz/corpus
deb=$("$top/tests/fetch" kernel bookworm arm64 arm64)
ver=$(basename "$deb" | sed 's/^linux-image-\(.*\)_.*_.*\.deb$/\1/')

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/pkg/DEBIAN" "$w/pkg/boot" "$w/pkg/lib/modules/$ver/kernel/lib" \
    "$corpus/deb" "$corpus/kerndist" "$corpus/decompress"
dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*/kernel/lib/crc-itu-t.ko' \
    >"$w/pkg/lib/modules/$ver/kernel/lib/crc-itu-t.ko"
printf 'Package: linux-image-%s\nVersion: 1\nArchitecture: arm64\nMaintainer: T <t@example.org>\nDescription: t\n' \
    "$ver" >"$w/pkg/DEBIAN/control"
# An arm64 Image header: "ARM\x64" at 0x38.
{ head -c 56 /dev/zero; printf 'ARM\x64'; head -c 4036 /dev/zero; } >"$w/pkg/boot/vmlinuz-$ver"
echo CONFIG_ARM64=y >"$w/pkg/boot/config-$ver"
for z in xz gzip zstd none; do
    dpkg-deb -Z"$z" --build "$w/pkg" "$corpus/deb/seed-$z.deb" >/dev/null
done
(cd "$w/pkg" && tar zcf "$corpus/kerndist/seed.tar.gz" boot lib)
cp "$corpus/kerndist/seed.tar.gz" "$corpus/decompress/"
xz -c "$w/pkg/lib/modules/$ver/kernel/lib/crc-itu-t.ko" >"$corpus/decompress/module.ko.xz"
zstd -q -c "$w/pkg/boot/config-$ver" >"$corpus/decompress/config.zst"
# newc archives (with and without checksums) and initrds: one gzip
# segment, and an uncompressed, a gzip and an xz segment concatenated.
mkdir -p "$corpus/cpio" "$corpus/initrd"
(cd "$w/pkg" && find boot lib | LC_ALL=C sort | cpio -o -H newc --quiet) >"$corpus/cpio/seed.cpio"
(cd "$w/pkg" && find boot | LC_ALL=C sort | cpio -o -H crc --quiet) >"$corpus/cpio/seed-crc.cpio"
gzip -9n -c "$corpus/cpio/seed.cpio" >"$corpus/initrd/seed.cpio.gz"
{
    cat "$corpus/cpio/seed-crc.cpio"
    gzip -n -c "$corpus/cpio/seed.cpio"
    xz --check=crc32 -c "$corpus/cpio/seed-crc.cpio"
} >"$corpus/initrd/concatenated"
echo "seeds in $corpus"
