#!/usr/bin/perl
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
# Prints one architecture's facts through Osstest::Core.
# Usage, from the top of the source tree after 'cargo build --release':
#   perl -I. examples/arch-info.pl armhf
use strict;
use warnings;
use Osstest::Core;

my $arch = shift @ARGV // 'arm64';
my $a = arch_info($arch);
printf "%-20s %s\n", $_, $a->{$_} // '(none)' foreach sort keys %$a;
