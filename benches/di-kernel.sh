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
# Benchmark of the installer's main job, di_kernel, against its floor and
# the classic shell route, in one run, on Debian's arm64 kernel packages of
# bookworm (plain .ko) and trixie (.ko.xz), each with bookworm's d-i
# netboot initrd. Routes, taking turns within each round:
#
#   floor     xz -T2 -dc data.tar.xz >/dev/null: reading the package at all
#   segment   examples/installer-modules: the modules segment alone
#   whole     examples/di-kernel: the whole job (image, segment, combined
#             initrd, DTBs, manifest)
#   perl      Perl's Osstest::Core::di_kernel, as osstest calls it
#   classic   dpkg-deb -x to disk, find by path (DESIGN.md section 3),
#             cpio -o -H newc, gzip -9n: the segment only. On trixie it
#             keeps the .ko.xz as they are (bookworm's installer kmod
#             cannot read them), so it does less than ours there
#
# For each kernel: every route's median wall time and peak RSS, and the
# ratios to the floor (and classic to whole) round by round with their
# median: the machine is shared and noisy, a ratio taken within one round
# is what compares. Goals (issue 16): whole <= 1.3x the floor on bookworm,
# <= 1.5x on trixie, peak RSS <= 200 MiB, classic >= 10x whole.
#
# Run by hand (not part of tests/run): benches/di-kernel.sh [ROUNDS]
# (default 5). Needs GNU time (installed when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q time >/dev/null
    else
        echo "benches/di-kernel.sh: needs GNU time (apt-get install time)" >&2
        exit 1
    fi
fi
# One build of the library and the examples (built apart, each would
# rebuild the core with the features its own build unifies).
cargo build --release --workspace --lib --examples >&2
export OSSTEST_CORE_SO="${CARGO_TARGET_DIR:-$PWD/target}/release/libosstest_xs.so"
di=$(tests/fetch di bookworm arm64)/initrd.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

classic() {
    dpkg-deb -x "$deb" "$work/x"
    cd "$work/x"
    {
        find lib/modules/*/kernel usr/lib/modules/*/kernel \
            \( -path '*/kernel/lib/*' -o -path '*/kernel/crypto/*' \
               -o -path '*/kernel/fs/mbcache.ko*' -o -path '*/kernel/fs/ext*' \
               -o -path '*/kernel/fs/jbd*' \
               -o -path '*/kernel/drivers/clk/*' -o -path '*/kernel/drivers/mmc/*' \
               -o -path '*/kernel/drivers/phy/*' -o -path '*/kernel/drivers/usb/misc/*' \
               -o -path '*/kernel/drivers/ata/*' -o -path '*/kernel/drivers/i2c/busses/*' \
               -o -path '*/kernel/drivers/md/*' -o -path '*/kernel/drivers/net/*' \
               -o -path '*/kernel/drivers/regulator/*' -o -path '*/kernel/drivers/scsi/*' \
               -o -path '*/kernel/drivers/usb/dwc3/*' -o -path '*/kernel/drivers/usb/host/*' \) \
            -print 2>/dev/null || true
        ls -d lib/modules/*/modules.* usr/lib/modules/*/modules.* 2>/dev/null || true
    } | cpio -o -H newc --quiet | gzip -9n > "$work/out-classic.cpio.gz"
}
export -f classic
export work

# once NAME COMMAND...: one timed run of NAME; appends its wall time and
# peak RSS (KiB) to the round's lists.
declare -A wall rss
once() {
    local name=$1; shift
    rm -rf "$work/x" "$work/out"*
    sync
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null
    read -r t m < "$work/time"
    wall[$name]="${wall[$name]:-} $t"
    rss[$name]="${rss[$name]:-} $m"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# nth LIST N: the Nth word of LIST.
nth() { echo "$1" | awk -v n="$2" '{ print $n }'; }

bench() {
    local suite=$1
    deb=$(tests/fetch kernel "$suite" arm64 arm64)
    export deb
    rm -f "$work/data.tar.xz"
    (cd "$work" && ar x "$deb" data.tar.xz)
    unset wall rss
    declare -gA wall=() rss=()
    for i in $(seq "$rounds"); do
        once floor bash -c "xz -T2 -dc '$work/data.tar.xz' >/dev/null"
        once segment target/release/examples/installer-modules "$deb" "$work/out-seg.cpio.gz"
        once whole target/release/examples/di-kernel "$deb" "$di" "$work/out-di"
        once perl perl -I. -MOsstest::Core -e 'di_kernel(@ARGV)' "$deb" "$di" "$work/out-perl"
        once classic bash -c classic
    done
    printf '\n%s arm64 kernel %s, bookworm d-i, %d rounds\n\n' "$suite" "$(basename "$deb")" "$rounds"
    printf '%-10s %s\n' route 'wall s (each round)  median | peak RSS MiB median'
    for r in floor segment whole perl classic; do
        printf '%-10s %-30s %6s | %6.0f\n' "$r" "${wall[$r]}" "$(echo "${wall[$r]}" | median)" \
            "$(echo "${rss[$r]}" | median | awk '{ print $1 / 1024 }')"
    done
    echo
    for pair in segment/floor whole/floor perl/floor classic/whole; do
        local a=${pair%/*} b=${pair#*/} ratios=""
        for i in $(seq "$rounds"); do
            ratios="$ratios $(awk -v x="$(nth "${wall[$a]}" "$i")" -v y="$(nth "${wall[$b]}" "$i")" 'BEGIN { printf "%.2f", x / y }')"
        done
        printf '%-14s round by round:%s  median %s\n' "$pair" "$ratios" "$(echo "$ratios" | median)"
    done
}

bench bookworm
bench trixie
