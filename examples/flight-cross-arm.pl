#!/usr/bin/perl
# Reads a flight listing (job runvar value, as mg-show-flight-runvars prints
# it, with recipe and status lines), applies the ARM cross rewrite and
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
my $jobs = flight_parse(slurp($dump), $dump);
my $x = flight_cross_arm($jobs);
foreach my $c (@{ $x->{changes} }) {
    print STDERR "$c->{job} $c->{runvar}: ", ($c->{old} // '(unset)'),
        " -> $c->{new}\n";
}
print flight_format($x->{jobs});

if (@ARGV) {
    my %earlier;
    foreach (@ARGV) {
        m/^(\d+)=(.+)$/ or die "$_: expected FLIGHT=FILE\n";
        $earlier{$1} = flight_parse(slurp($2), $2);
    }
    my $plan = reuse_candidates($x->{jobs}, \%earlier);
    print STDERR "reuse $_->{job}: use $_->{reference}\n" foreach @{ $plan->{reuse} };
    print STDERR "rebuild $_->{job}: $_->{reason}\n" foreach @{ $plan->{rebuild} };
}
