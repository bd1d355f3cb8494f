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
# Reads a flight listing (job runvar value, as mg-show-flight-runvars prints
# it, with or without -a, perhaps with recipe and status lines), applies
# the ARM cross rewrite and
# prints the rewritten flight; the changes go to stderr. With earlier
# flights' listings (FLIGHT=FILE), also says which ARM kernel builds they
# already did.
# Usage, from the top of the source tree after 'cargo build --release':
#   perl -I. examples/flight-cross-arm.pl tests/flights/arm-before.txt \
#       [180000=tests/flights/earlier-180000.txt ...]
use strict;
use warnings;
use Osstest::Core;

sub slurp ($) {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!\n";
    local $/;
    return scalar <$fh>;
}

my $dump = shift @ARGV or die "usage: $0 DUMP [FLIGHT=EARLIER-DUMP...]\n";
sub flight_of ($) {
    my ($file) = @_;
    my $l = flight_parse(slurp($file), $file);
    die "$file: a $l->{form} listing of several flights\n" unless $l->{jobs};
    return $l->{jobs};
}

my $jobs = flight_of($dump);
my $x = flight_cross_arm($jobs);
print STDERR "$_->{message}\n" foreach @{ $x->{pinned} };
foreach my $c (@{ $x->{changes} }) {
    print STDERR "$c->{job} $c->{runvar}: ", ($c->{old} // '(unset)'),
        " -> $c->{new}\n";
}
print flight_format($x->{jobs});

if (@ARGV) {
    my %earlier;
    foreach (@ARGV) {
        m/^(\d+)=(.+)$/ or die "$_: expected FLIGHT=FILE\n";
        $earlier{$1} = flight_of($2);
    }
    my $plan = reuse_candidates($x->{jobs}, \%earlier);
    print STDERR "reuse $_->{job}: use $_->{reference}\n" foreach @{ $plan->{reuse} };
    print STDERR "rebuild $_->{job}: $_->{reason}\n" foreach @{ $plan->{rebuild} };
}
