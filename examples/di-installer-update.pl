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
# Updates a Debian installer to boot another kernel, as osstest does for a
# backports (or its own) kernel: the kernel image comes from the kernel
# package, and a dependency-closed subset of its modules is appended to
# the installer's initrd. Fetches nothing itself.
#
# usage, from the top of the source tree after 'cargo build --release':
#   perl -I. examples/di-installer-update.pl KERNEL.deb DI-INITRD.gz OUTDIR \
#        [--contents-udeb CONTENTS-UDEB-ARCH.gz] [--include PATTERN]...
#
# --contents-udeb: the suite's udeb file lists (dists/SUITE/main/ in the
# archive), so the modules of the udebs d-i fetches are in too, as osstest
# passes it for the suite and architecture it installs.
#
# OUTDIR gets vmlinuz-VERSION and initrd.gz to boot the installer with,
# plus modules.cpio.gz, dtbs.tar.gz and manifest.json.
use strict;
use warnings;
use Getopt::Long;
use Osstest::Core;

sub logm { print "@_\n"; }

my $usage = "usage: $0 KERNEL.deb DI-INITRD.gz OUTDIR [--contents-udeb FILE] [--include PATTERN]...\n";
my (@include, $contents);
GetOptions('include=s' => \@include, 'contents-udeb=s' => \$contents) or die $usage;
@ARGV == 3 or die $usage;
my ($kernel_deb, $di_initrd, $outdir) = @ARGV;

my $info = kernel_info($kernel_deb);
logm("kernel $info->{version} ($info->{package} $info->{package_version},".
     " $info->{debian_arch}), $info->{module_count} modules");

my $m = di_kernel($kernel_deb, $di_initrd, $outdir,
                  { include => \@include,
                    defined $contents ? (contents_udeb => $contents) : () });

logm("installer modules: $m->{modules}{included}".
     " ($m->{modules}{matched} by rule, $m->{modules}{added} as dependencies)");
foreach my $added (grep { defined $_->{of} } @{ $m->{modules}{list} }) {
    logm("  + $added->{name} ($added->{reason} of $added->{of})");
}
foreach my $role (sort keys %{ $m->{outputs} }) {
    my $o = $m->{outputs}{$role};
    logm(sprintf "%-16s %s/%s (%d bytes)", $role, $outdir, $o->{file}, $o->{size});
}
