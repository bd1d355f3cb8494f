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
# Benchmark, run by hand (not a test): reading every module of the bookworm
# arm64 kernel and writing its depmod index files, ours against kmod's
# depmod doing the same work on the same tree; then ours for the classic
# installer subset (read all, close, index the subset).
#
#   benches/modules.sh [DEB]
#
# DEB defaults to the cached bookworm linux-image-*-arm64 (tests/fetch);
# its modules must be plain .ko (bookworm's are). Each command runs REPEAT
# times (default 3); the best wall time counts. The page cache is warm for
# both sides (the tree is read once before timing).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
repeat=${REPEAT:-3}

deb=${1:-$(tests/fetch kernel bookworm arm64 arm64)}
cargo build --release -q --example module-closure
bin=target/release/examples/module-closure

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
moddir=$(ls -d "$work"/root/lib/modules/*)
version=$(basename "$moddir")
nmod=$(find "$moddir" -name '*.ko' | wc -l)
size=$(du -sh "$moddir" | cut -f1)
cat $(find "$moddir" -name '*.ko') >/dev/null # warm the page cache
mkdir "$work/out"

# best COMMAND...: the best wall time of $repeat runs, in seconds.
best() {
    local b="" t s e
    for _ in $(seq "$repeat"); do
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s.%N)
        t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
        if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
    done
    echo "$b"
}

echo "kernel $version: $nmod modules, $size; $(nproc) CPUs, best of $repeat"
depmod_t=$(best depmod -b "$work/root" "$version")
ours_all=$(best "$bin" "$moddir" --all --indexes "$work/out")
for f in dep alias softdep symbols devname; do
    cmp -s "$moddir/modules.$f" "$work/out/modules.$f" || echo "WARNING: modules.$f differs from depmod's"
done
ours_classic=$(best "$bin" "$moddir" --indexes "$work/out")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-52s %8s  %s\n' "what" "seconds" "ratio"
printf '%-52s %8.2f\n' "depmod -b (all modules, text and .bin indexes)" "$depmod_t"
printf '%-52s %8.2f  %s x depmod\n' "ours: read all, text indexes of all" "$ours_all" "$(ratio "$ours_all" "$depmod_t")"
printf '%-52s %8.2f  %s x depmod\n' "ours: read all, classic closure, subset indexes" "$ours_classic" "$(ratio "$ours_classic" "$depmod_t")"
