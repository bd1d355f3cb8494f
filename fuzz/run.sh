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
# Builds the fuzz targets with libFuzzer and runs each for SECONDS (default
# 60), by hand. This is what `cargo fuzz run` does, spelt out, with the
# stable toolchain: the sancov passes below are stable flags, and
# libfuzzer-sys builds libFuzzer itself (only cargo-fuzz's sanitizers need
# nightly):
#
#   fuzz/run.sh [SECONDS] [TARGET...]      targets: deb kerndist decompress cpio initrd
#
# Seeds come from fuzz/make-corpus.sh; findings land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(deb kerndist decompress cpio initrd)
triple=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --release --target "$triple"
[ -d corpus/initrd ] || ./make-corpus.sh
mkdir -p artifacts
for t in "${targets[@]}"; do
    echo "=== $t, $secs s"
    "target/$triple/release/$t" "corpus/$t" -max_total_time="$secs" -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="artifacts/$t-" -print_final_stats=1
done
