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
# Benchmark of the installer's modules segment (issue: installer
# initramfs), in one run, on Debian's bookworm arm64 kernel package:
#
#   (a) the classic shell route: dpkg-deb -x to disk, find by path (the
#       list in DESIGN.md section 3), cpio -o -H newc, gzip -9n;
#   (b) ours: examples/installer-modules (one streaming pass, closure,
#       plain .ko; gzip level 5 by libdeflate on all cores, the selected
#       modules compressed while the package is still being read), and
#       the whole main job (examples/di-kernel) for reference;
#   (c) the floor: xz -T2 -dc data.tar.xz >/dev/null.
#
# Prints wall time, peak RSS, bytes written to disk and output size, the
# ratios, and how much larger our segment is than gzip -9n of the same
# cpio. Run by hand (not part of tests/run): benches/di-kernel.sh [REPEAT]
# Each figure is the best of REPEAT rounds (default 3), with sync before
# each run; the routes take turns within a round.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${1:-3}

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q time >/dev/null
    else
        echo "benches/di-kernel.sh: needs GNU time (apt-get install time)" >&2
        exit 1
    fi
fi
cargo build --release --example installer-modules --example di-kernel >&2
deb=$(tests/fetch kernel bookworm arm64 arm64)
di=$(tests/fetch di bookworm arm64)/initrd.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && ar x "$deb" data.tar.xz)

# once NAME COMMAND...: one timed run; keeps NAME's best wall time, with
# its peak RSS and fs outputs, and the time of this round in last[NAME].
declare -A wall rss blocks last
once() {
    local name=$1; shift
    rm -rf "$work/x" "$work/out"*
    sync
    /usr/bin/time -f '%e %M %O' -o "$work/time" "$@" >/dev/null
    read -r t m o < "$work/time"
    last[$name]=$t
    if [ -z "${wall[$name]:-}" ] || awk -v a="$t" -v b="${wall[$name]}" 'BEGIN { exit !(a < b) }'; then
        wall[$name]=$t; rss[$name]=$m; blocks[$name]=$o
    fi
}

classic() {
    dpkg-deb -x "$deb" "$work/x"
    cd "$work/x"
    {
        find lib/modules/*/kernel \
            \( -path '*/kernel/lib/*' -o -path '*/kernel/crypto/*' \
               -o -path '*/kernel/fs/mbcache.ko' -o -path '*/kernel/fs/ext*' \
               -o -path '*/kernel/fs/jbd*' \
               -o -path '*/kernel/drivers/clk/*' -o -path '*/kernel/drivers/mmc/*' \
               -o -path '*/kernel/drivers/phy/*' -o -path '*/kernel/drivers/usb/misc/*' \
               -o -path '*/kernel/drivers/ata/*' -o -path '*/kernel/drivers/i2c/busses/*' \
               -o -path '*/kernel/drivers/md/*' -o -path '*/kernel/drivers/net/*' \
               -o -path '*/kernel/drivers/regulator/*' -o -path '*/kernel/drivers/scsi/*' \
               -o -path '*/kernel/drivers/usb/dwc3/*' -o -path '*/kernel/drivers/usb/host/*' \) \
            -print
        ls -d lib/modules/*/modules.*
    } | cpio -o -H newc --quiet | gzip -9n > "$work/out-classic.cpio.gz"
}
export -f classic
export deb work

# The routes take turns, round after round, so that a machine getting
# faster or slower mid-run weighs on all of them alike; each round's
# ours / floor ratio is kept too.
ratios=()
for i in $(seq "$repeat"); do
    once classic bash -c classic
    classic_size=$(stat -c %s "$work/out-classic.cpio.gz")
    classic_written=$(( $(du -sb "$work/x" | cut -f1) + classic_size ))
    once ours target/release/examples/installer-modules "$deb" "$work/out-ours.cpio.gz"
    ours_size=$(stat -c %s "$work/out-ours.cpio.gz")
    once floor bash -c "xz -T2 -dc '$work/data.tar.xz' >/dev/null"
    ratios+=("$(awk -v b="${last[ours]}" -v c="${last[floor]}" 'BEGIN { printf "%.2f", b / c }')")
    once dikernel target/release/examples/di-kernel "$deb" "$di" "$work/out-di"
done
target/release/examples/installer-modules "$deb" "$work/out-ours.cpio.gz" >/dev/null
ours_cpio=$(zcat "$work/out-ours.cpio.gz" | wc -c)
ours_gz9=$(zcat "$work/out-ours.cpio.gz" | gzip -9n | wc -c)
target/release/examples/di-kernel "$deb" "$di" "$work/out-di" >/dev/null
di_size=$(du -sb "$work/out-di" | cut -f1)
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')

printf '\nbookworm arm64 kernel %s, best of %d rounds\n\n' "$(basename "$deb")" "$repeat"
printf '%-34s %8s %10s %14s %14s\n' route 'wall s' 'peak RSS' 'disk written' 'output bytes'
printf '%-34s %8s %8s KB %14s %14s\n' \
    '(a) dpkg-deb -x, find, cpio, gzip -9n' "${wall[classic]}" "${rss[classic]}" "$classic_written" "$classic_size" \
    '(b) ours: installer-modules' "${wall[ours]}" "${rss[ours]}" "$ours_size" "$ours_size" \
    '(c) floor: xz -T2 -dc data.tar.xz' "${wall[floor]}" "${rss[floor]}" 0 - \
    '    ours: the whole di-kernel job' "${wall[dikernel]}" "${rss[dikernel]}" "$di_size" "$di_size"
echo
awk -v a="${wall[classic]}" -v b="${wall[ours]}" -v c="${wall[floor]}" -v s="$ours_size" -v g="$ours_gz9" \
    -v cs="$classic_size" -v oc="$ours_cpio" 'BEGIN {
    printf "ours / floor          %.2f  (best against best; goal <= 1.5)\n", b / c
    printf "classic / ours        %.1f   (goal >= 7)\n", a / b
    printf "ours vs gzip -9n of the same %d-byte cpio: %d vs %d bytes, %+.2f%% (goal <= 3%%)\n", oc, s, g, (s / g - 1) * 100
    printf "classic segment %d bytes (path-only subset, fewer modules)\n", cs
}'
echo "ours / floor, round by round: ${ratios[*]} (median $median)"
echo "fs outputs (512-byte blocks, getrusage): classic ${blocks[classic]}, ours ${blocks[ours]}, di-kernel ${blocks[dikernel]}"
