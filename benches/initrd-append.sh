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
# Appending a kernel's classic module subset to the installer's initrd:
# osstest-core (examples/initrd) against the shell route osstest uses
# (find | cpio -o -H newc | gzip -n, then cat). Both pack the same staged
# tree, at gzip levels 6 and 9, and the outputs are checked to unpack to
# the same names. Run by hand:
#
#   benches/initrd-append.sh [SUITE ARCH FLAVOUR]     (bookworm arm64 arm64)
#
# Prints seconds for each route and the ratio baseline/ours.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-bookworm} arch=${2:-arm64} flavour=${3:-arm64}

cargo build --release --example initrd --manifest-path "$top/Cargo.toml" >&2
ours="$top/target/release/examples/initrd"
deb=$("$top/tests/fetch" kernel "$suite" "$arch" "$flavour")
base=$("$top/tests/fetch" di "$suite" "$arch")/initrd.gz

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT; echo "work: $work" >&2
dpkg-deb -x "$deb" "$work/deb"
ver=$(ls "$work/deb/lib/modules")
src="$work/deb/lib/modules/$ver"
stage="$work/stage/lib/modules/$ver"
mkdir -p "$stage"
# The classic subset (DESIGN.md section 3), staged with hard links.
(cd "$src" && find kernel/lib kernel/crypto kernel/fs/mbcache.ko kernel/fs/ext* kernel/fs/jbd* \
    kernel/drivers/{clk,mmc,phy,usb/misc,ata,i2c/busses,md,net,regulator,scsi,usb/dwc3,usb/host} \
    modules.* -type f 2>/dev/null) > "$work/list"
(cd "$src" && cpio -pdl --quiet "$stage") < "$work/list"
echo "subset: $(wc -l < "$work/list") files, $(du -sh --apparent-size "$work/stage" | cut -f1)"

secs() { local s=$(date +%s.%N); "$@" > /dev/null; echo "$(date +%s.%N) - $s" | bc; }

for level in 6 9; do
    base_t=$(secs bash -c "cd '$work/stage' && find lib | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -${level}n > '$work/seg.gz' && cat '$base' '$work/seg.gz' > '$work/shell.img'")
    ours_t=$(secs "$ours" append "$base" "$work/ours.img" "$work/stage" --level "$level")
    # Same names in the appended segment.
    "$ours" inspect "$work/ours.img" --files | awk '$1 == 1 && NF == 5 { print $NF }' | sort > "$work/ours.names"
    (cd "$work/stage" && find lib | LC_ALL=C sort) | sort > "$work/shell.names"
    cmp -s "$work/ours.names" "$work/shell.names" || { echo "names differ at level $level" >&2; exit 1; }
    printf 'gzip -%s  shell %6.2fs %10d bytes   osstest-core %6.2fs %10d bytes   ratio %.2f\n' \
        "$level" "$base_t" "$(stat -c %s "$work/shell.img")" "$ours_t" "$(stat -c %s "$work/ours.img")" \
        "$(echo "$base_t / $ours_t" | bc -l)"
done
