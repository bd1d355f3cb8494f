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
# Benchmark, run by hand (not a test): kernel_info and a full unpick of the
# bookworm arm64 kernel .deb against dpkg-deb -x and xz -T2 -dc of its
# data.tar.xz, in one run, with ratios.
#
#   benches/unpick.sh [DEB]
#
# DEB defaults to the cached bookworm linux-image-*-arm64 (tests/fetch).
# Each command runs REPEAT times (default 3); the best wall time counts.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
repeat=${REPEAT:-3}

deb=${1:-$(tests/fetch kernel bookworm arm64 arm64)}
cargo build --release -q --example unpick --example xz-decode
bin=target/release/examples

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ar p "$deb" data.tar.xz >"$work/data.tar.xz"

# best TIME-OF COMMAND...: the best wall time of $repeat runs, in seconds.
best() {
    local b="" t s e
    for _ in $(seq "$repeat"); do
        rm -rf "$work/out"
        sync # write back the last run's output first, so no run pays for another's
        s=$(date +%s.%N)
        "$@" >/dev/null
        e=$(date +%s.%N)
        t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
        if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
    done
    echo "$b"
}

echo "package: $deb ($(du -h "$deb" | cut -f1)), data.tar.xz $(du -h "$work/data.tar.xz" | cut -f1), $(nproc) CPUs, best of $repeat"
xz2=$(best xz -T2 -dc "$work/data.tar.xz")
xz1=$(best xz -T1 -dc "$work/data.tar.xz")
our2=$(best "$bin/xz-decode" "$work/data.tar.xz" 2)
our1=$(best "$bin/xz-decode" "$work/data.tar.xz" 1)
info=$(best "$bin/unpick" "$deb")
dpkg=$(best dpkg-deb -x "$deb" "$work/out")
unpick=$(best "$bin/unpick" "$deb" "$work/out")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-44s %8s  %s\n' "what" "seconds" "ratio"
printf '%-44s %8.2f\n' "xz -T2 -dc data.tar.xz >/dev/null" "$xz2"
printf '%-44s %8.2f  %s x xz -T2\n' "xz -T1 -dc data.tar.xz >/dev/null" "$xz1" "$(ratio "$xz1" "$xz2")"
printf '%-44s %8.2f  %s x xz -T2\n' "ours: decode data.tar.xz, 2 threads" "$our2" "$(ratio "$our2" "$xz2")"
printf '%-44s %8.2f  %s x xz -T2\n' "ours: decode data.tar.xz, 1 thread (xz2)" "$our1" "$(ratio "$our1" "$xz2")"
printf '%-44s %8.2f  %s x xz -T2\n' "ours: kernel_info (reads, checks modules)" "$info" "$(ratio "$info" "$xz2")"
printf '%-44s %8.2f\n' "dpkg-deb -x" "$dpkg"
printf '%-44s %8.2f  %s x dpkg-deb -x\n' "ours: kernel_unpick, everything" "$unpick" "$(ratio "$unpick" "$dpkg")"
