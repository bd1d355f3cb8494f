#!/usr/bin/perl
# Prints one architecture's facts through Osstest::Core.
# Usage, from the top of the source tree after 'cargo build --release':
#   perl -I. examples/arch-info.pl armhf
use strict;
use warnings;
use Osstest::Core;

my $arch = shift @ARGV // 'arm64';
my $a = arch_info($arch);
printf "%-20s %s\n", $_, $a->{$_} // '(none)' foreach sort keys %$a;
