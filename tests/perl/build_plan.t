# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# build_plan across the bridge: the golden plans Rust checks (the jobs
# mfi-common creates, native and cross-built on amd64), and every
# contradiction's message.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use File::Basename qw(dirname);
use Osstest::Core;

my $dir = dirname(__FILE__).'/../golden/plans';
my @files = sort glob("$dir/*.json");
ok(@files >= 6, 'golden plans found') or BAIL_OUT("no golden plans in $dir");

my $json = JSON::PP->new->boolean_values(0, 1);
foreach my $f (@files) {
    open my $fh, '<', $f or die "$f: $!";
    my $golden = $json->decode(do { local $/; <$fh> });
    my %r = %{ $golden->{runvars} };
    my $plan = build_plan(\%r);
    is_deeply($plan, $golden->{plan}, "$golden->{job} ($f)");
}

# How ts-kernel-build would use it: the make variables join its own.
{
    my %r = (arch => 'armhf', build_arch => 'amd64',
             host_hostflags => 'share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build');
    my $p = build_plan(\%r);
    ok($p->{cross}, 'armhf on amd64 is cross');
    my $mv = $p->{linux}{make_vars};
    is(join(' ', map { "$_=$mv->{$_}" } sort keys %$mv),
       'ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-', 'linux make_vars');
    is($p->{linux}{image_path}, 'arch/arm/boot/zImage', 'image path');
    is($p->{packages}{add_architecture}, 'armhf', 'dpkg --add-architecture');
    my %n = (arch => 'amd64', host_hostflags => 'arch-amd64,suite-bookworm');
    my $n = build_plan(\%n);
    ok(!$n->{cross}, 'amd64 on amd64 is native');
    is_deeply($n->{linux}{make_vars}, {}, 'native: no make variables');
    is($n->{cross_compile}, undef, 'native: no CROSS_COMPILE');
    is($n->{linux}{dtbs_install}, undef, 'amd64: no dtbs_install');
    my %s = (arch => 's390x', build_arch => 'amd64', suite => 'bookworm');
    my $s = build_plan(\%s);
    is($s->{xen}, undef, 's390x: no Xen runes');
    is($s->{xen_unavailable}, 'Xen does not build for s390x (it has no XEN_TARGET_ARCH)',
       's390x: why not');
}

my $amd64 = 'share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build';
my @contradictions = (
    [ 'no arch', { host_hostflags => $amd64 },
      qr/runvar arch is not set/ ],
    [ 'unknown arch', { arch => 'vax', host_hostflags => $amd64 },
      qr/runvar arch: unknown Debian architecture 'vax' \(known: amd64, /],
    [ 'two arch flags', { arch => 'armhf', hostflags => 'arch-arm64', host_hostflags => $amd64 },
      qr/two arch-\* hostflags for the build host: arch-amd64 \(in host_hostflags\) and arch-arm64 \(in hostflags\)/ ],
    [ 'unknown arch flag', { arch => 'armhf', host_hostflags => 'arch-pdp11,suite-bookworm' },
      qr/host_hostflags flag arch-pdp11: unknown Debian architecture 'pdp11'/ ],
    [ 'share-build class of the target', { arch => 'armhf',
        host_hostflags => 'share-build-bookworm-armhf,arch-amd64,suite-bookworm' },
      qr/host_hostflags: hostflag share-build-bookworm-armhf shares build hosts of arch armhf, but this job's build host is amd64 \(host_hostflags has arch-amd64\)/ ],
    [ 'share-build class of another suite', { arch => 'armhf',
        host_hostflags => 'share-build-trixie-amd64,arch-amd64,suite-bookworm' },
      qr/host_hostflags: hostflag share-build-trixie-amd64 shares build hosts of suite trixie, but this job's build host runs bookworm/ ],
    [ 'malformed share-build', { arch => 'armhf', host_hostflags => 'share-build-bookworm,suite-bookworm' },
      qr/host_hostflags: hostflag share-build-bookworm is not share-build-SUITE-ARCH/ ],
    [ 'build_arch against the flag', { arch => 'armhf', build_arch => 'amd64',
        host_hostflags => 'arch-arm64,suite-bookworm' },
      qr/runvar build_arch=amd64 but host_hostflags has arch-arm64/ ],
    [ 'suites disagree', { arch => 'armhf', host_suite => 'bookworm', host_hostflags => 'suite-trixie' },
      qr/runvar host_suite=bookworm but host_hostflags has suite-trixie/ ],
    [ 'unknown suite', { arch => 'armhf', suite => 'sid' },
      qr/runvar suite: unknown Debian suite 'sid'/ ],
    [ 'no suite', { arch => 'armhf', host_hostflags => 'arch-amd64' },
      qr/no suite for the build host: set runvar host_suite or suite/ ],
    [ 'no cross compiler in the suite', { arch => 'loong64', host_hostflags => $amd64 },
      qr/runvar arch=loong64, built on amd64 \(host_hostflags has arch-amd64\): bookworm has no Debian cross compiler from amd64 to loong64/ ],
    [ 'no cross compiler in stretch for riscv64', { arch => 'riscv64', build_arch => 'amd64', suite => 'stretch' },
      qr/runvar arch=riscv64, built on amd64 \(runvar build_arch=amd64\): stretch has no Debian cross compiler from amd64 to riscv64 \(it has: arm64, / ],
    [ 'build host not amd64', { arch => 'armhf', build_arch => 'arm64', suite => 'bookworm' },
      qr/runvar arch=armhf, built on arm64 \(runvar build_arch=arm64\): Debian's cross compilers are tabled for amd64 build hosts only, not arm64 \(building armhf in bookworm\)/ ],
);
foreach my $c (@contradictions) {
    my ($what, $r, $re) = @$c;
    my $ok = eval { build_plan($r); 1 };
    ok(!$ok, "$what: dies");
    like($@, qr/^Osstest::Core::build_plan: $re.* at \S+ line \d+\.$/, "$what: message");
}

done_testing();
