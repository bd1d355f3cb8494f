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
# Writing a linux-image package: osstest-core's writer against dpkg-deb
# --build on the same tree, the same xz preset and thread count.
#
#   benches/kernel-deb.sh [SUITE ARCH FLAVOUR [XZ_LEVEL [THREADS]]]
#
# The tree is Debian's kernel (tests/fetch kernel ...) unpacked, without
# usr/share. dpkg-deb gets the control directory our writer produced, so
# both write the same package. Run by hand, on a quiet machine; prints
# seconds and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-bookworm} arch=${2:-amd64} flavour=${3:-amd64}
level=${4:-6} threads=${5:-2}

deb=$(tests/fetch kernel "$suite" "$arch" "$flavour")
cargo build -q --release --example kernel-deb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/tree"
rm -rf "$work/tree/usr/share"
mkdir "$work/ours" "$work/dpkg"

export SOURCE_DATE_EPOCH=1700000000
t0=$(date +%s.%N)
ours=$(XZ_THREADS=$threads target/release/examples/kernel-deb "$work/tree" "$work/ours" "$arch" "$suite" "$level" 2>/dev/null)
t1=$(date +%s.%N)

# The same package through dpkg-deb: our control files, our data tree.
dpkg-deb -x "$ours" "$work/pkg"
dpkg-deb -e "$ours" "$work/pkg/DEBIAN"
t2=$(date +%s.%N)
dpkg-deb --root-owner-group -Zxz -z"$level" --threads-max="$threads" \
    --build "$work/pkg" "$work/dpkg/" >/dev/null
t3=$(date +%s.%N)

o=$(echo "$t1 - $t0" | bc) d=$(echo "$t3 - $t2" | bc)
printf 'kernel %s, xz -%s, %s threads\n' "$(basename "$deb")" "$level" "$threads"
printf '  osstest-core  %6.1f s  %s bytes\n' "$o" "$(stat -c %s "$ours")"
printf '  dpkg-deb -b   %6.1f s  %s bytes\n' "$d" "$(stat -c %s "$work"/dpkg/*.deb)"
printf '  ratio (ours / dpkg-deb)  %.2f\n' "$(echo "$o / $d" | bc -l)"
