# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# The kernel configuration through build_plan, as ts-kernel-build would
# run it: kconfighow=xen-enable-xen-config with overrides, cross (after
# flight_cross_arm) and native; kconfig_check on .config files; and the
# errors, each naming its runvar.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use Osstest::Core;
use lib 'tests/perl/lib';
use OsstestCoreTest::FlightDb qw(slurp);

# The realistic flight, rewritten as osstest would before running it.
my $flights = dirname(__FILE__).'/../flights';
my $x = flight_cross_arm(flight_parse(slurp("$flights/arm-before.txt"), 'arm-before.txt')->{jobs});
my %armhf = %{ $x->{jobs}{'build-armhf-pvops'}{runvars} };
is($armhf{build_arch}, 'amd64', 'build-armhf-pvops cross-built after the rewrite');
is($armhf{kconfig_override_y}, 'CONFIG_EXT4_FS', 'with mfi-common\'s override');

sub shells ($) { [ map { $_->{shell} } @{ $_[0]{linux}{config}{steps} } ] }

{
    my %r = (%armhf, kconfig_override_m => 'CONFIG_BLK_DEV_DM',
             kconfig_override_n => 'CONFIG_XEN_BALLOON');
    my $p = build_plan(\%r);
    my $c = $p->{linux}{config};
    is($c->{how}, 'xen-enable-xen-config', 'how');
    is_deeply($c->{base}, ['multi_v7_defconfig'], 'the platform\'s defconfig');
    is($c->{base_from}, 'platform', 'base_from');
    my $s = shells($p);
    my $make = 'make ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-';
    my $edit = 'scripts/config --file .config --keep-case';
    is($s->[0], "$make multi_v7_defconfig", 'base first, cross');
    is($s->[1], "$edit --enable CONFIG_MODULES", 'then CONFIG_MODULES=y');
    like($s->[2], qr/^\Q$edit\E .*--enable CONFIG_XEN --enable CONFIG_XEN_DOM0 /, 'then the Xen options');
    is($s->[3], "$edit --enable CONFIG_ARM_LPAE", 'arm32: LPAE for Xen');
    is($s->[-4], "$edit --enable CONFIG_EXT4_FS", 'override y');
    is($s->[-3], "$edit --module CONFIG_BLK_DEV_DM", 'override m');
    is($s->[-2], "$edit --disable CONFIG_XEN_BALLOON", 'override n, after the Xen options');
    is($s->[-1], "$make olddefconfig", 'olddefconfig last');
    foreach my $cmd (@{ $c->{steps} }, @{ $p->{linux} }{qw(build modules_install dtbs_install)}) {
        next unless $cmd->{argv}[0] eq 'make';
        is_deeply([ @{ $cmd->{argv} }[1, 2] ],
                  [ 'ARCH=arm', 'CROSS_COMPILE=arm-linux-gnueabihf-' ],
                  "every make names the target: $cmd->{shell}");
    }
    my %last;
    $last{$_->{option}} = $_ foreach @{ $c->{settings} };
    is($last{CONFIG_XEN_BALLOON}{value}, 'n', 'the override wins');
    is($last{CONFIG_XEN_BALLOON}{from}, 'kconfig_override_n', 'and says so');
    ok($last{CONFIG_HVC_XEN}{checked}, 'Xen options are checked');

    # A .config as olddefconfig might leave it: GNTDEV a module, the
    # balloon on after all, DM absent.
    my $dir = tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/config" or die $!;
    print $fh "CONFIG_$_=y\n" foreach grep { $_ ne 'XEN_GNTDEV' }
        map { $_->{value} eq 'y' ? substr($_->{option}, 7) : () } values %last;
    print $fh "CONFIG_XEN_GNTDEV=m\n# CONFIG_DRM is not set\n";
    close $fh or die $!;
    my $k = kconfig_check(\%r, "$dir/config");
    is_deeply([ map { "$_->{option} $_->{wanted} $_->{got} $_->{from}" } @{ $k->{mismatches} } ],
              [ 'CONFIG_BLK_DEV_DM m absent kconfig_override_m',
                'CONFIG_XEN_GNTDEV y m xen' ],
              'kconfig_check names what the kernel did not keep, and where it was asked for');
    ok($k->{checked} > 30, "checked $k->{checked} options");
    is_deeply($k->{dropped}, [], 'no hardware list on arm');
    like(eval { kconfig_check(\%r, "$dir/missing"); 1 } ? '' : $@,
         qr/^Osstest::Core::kconfig_check: \Q$dir\E\/missing: No such file/, 'a missing .config dies');
    my %none = %r;
    delete @none{qw(kconfighow kconfig_override_y kconfig_override_m kconfig_override_n)};
    like(eval { kconfig_check(\%none, "$dir/config"); 1 } ? '' : $@,
         qr/^Osstest::Core::kconfig_check: the job has no kconfighow runvar/, 'no kconfighow: nothing to check');
}

# The native amd64 kernel build job, and the base from a runvar.
{
    my %r = (%{ $x->{jobs}{'build-amd64-pvops'}{runvars} },
             kconfig_defconfig => 'allnoconfig osstest-e2e-amd64.config osstest-e2e.config',
             kconfig_override_n => 'CONFIG_SCSI_LOWLEVEL');
    my $p = build_plan(\%r);
    ok(!$p->{cross}, 'build-amd64-pvops is native');
    my $s = shells($p);
    is($s->[0], 'make allnoconfig osstest-e2e-amd64.config osstest-e2e.config', 'base from kconfig_defconfig');
    is($p->{linux}{config}{base_from}, 'kconfig_defconfig', 'and says so');
    is($s->[-1], 'make olddefconfig', 'native: no ARCH');
    ok((grep { /--enable CONFIG_XEN_PV / } @$s), 'x86 Xen options');
    ok((grep { /--module CONFIG_SATA_MV / } @$s), 'osstest\'s x86 hardware');
    is($s->[-2], 'scripts/config --file .config --keep-case --disable CONFIG_SCSI_LOWLEVEL', 'override last');
    unlike(join("\n", @$s), qr/ARCH=|CROSS_COMPILE/, 'no cross variables');
    my ($hw) = grep { $_->{option} eq 'CONFIG_SATA_MV' } @{ $p->{linux}{config}{settings} };
    ok(!$hw->{checked}, 'the hardware list is not checked');
}

# The base's fragments, checked from the tree: an =m that became =y.
{
    my $dir = tempdir(CLEANUP => 1);
    mkdir "$dir/kernel"; mkdir "$dir/kernel/configs";
    open my $fh, '>', "$dir/kernel/configs/e2e.config" or die $!;
    print $fh "CONFIG_VIRTIO_BLK=m\n# CONFIG_IPV6 is not set\nCONFIG_XEN=n\n";
    close $fh or die $!;
    open $fh, '>', "$dir/.config" or die $!;
    print $fh "CONFIG_VIRTIO_BLK=y\nCONFIG_XEN=y\n";
    close $fh or die $!;
    my %r = (arch => 'arm64', build_arch => 'amd64', suite => 'bookworm',
             kconfighow => 'xen-enable-xen-config', kconfig_defconfig => 'allnoconfig e2e.config');
    my $k = kconfig_check(\%r, "$dir/.config", { tree => $dir });
    my @frag = grep { $_->{from} =~ /^kconfig_defconfig/ } @{ $k->{mismatches} };
    is_deeply([ map { "$_->{option} $_->{wanted} $_->{got} $_->{from}" } @frag ],
              [ 'CONFIG_VIRTIO_BLK m y kconfig_defconfig e2e.config' ],
              'a fragment line that did not hold; CONFIG_XEN is the edit script\'s');
    my $plain = kconfig_check(\%r, "$dir/.config");
    ok(!(grep { $_->{from} =~ /^kconfig_defconfig/ } @{ $plain->{mismatches} }), 'no tree: no fragments');
    $r{kconfig_defconfig} .= ' gone.config';
    like(eval { kconfig_check(\%r, "$dir/.config", { tree => $dir }); 1 } ? '' : $@,
         qr{kernel/configs/gone\.config: fragment gone\.config of the base is in neither kernel/configs nor arch/arm64/configs},
         'a missing fragment dies');
    like(eval { kconfig_check(\%r, "$dir/.config", { tre => $dir }); 1 } ? '' : $@,
         qr/tre/, 'a misspelt option dies');
}

my %pvops = (arch => 'arm64', build_arch => 'amd64', suite => 'bookworm',
             kconfighow => 'xen-enable-xen-config');
my @errors = (
    [ 'unknown kconfighow', { %pvops, kconfighow => 'create-config-sh' },
      qr/runvar kconfighow=create-config-sh: unknown kernel configuration method \(known: xen-enable-xen-config\)/ ],
    [ 'no Xen in Linux for the arch', { %pvops, arch => 'riscv64', suite => 'trixie' },
      qr/runvar kconfighow=xen-enable-xen-config: Linux has Xen support on x86 and Arm only, not riscv64/ ],
    [ 'override without kconfighow', { arch => 'arm64', suite => 'bookworm', kconfig_override_y => 'CONFIG_EXT4_FS' },
      qr/runvar kconfig_override_y is set but kconfighow is not/ ],
    [ 'override not an option', { %pvops, kconfig_override_m => 'ext4' },
      qr/runvar kconfig_override_m=ext4: 'ext4' is not a kernel option name/ ],
    [ 'contradicting overrides', { %pvops, kconfig_override_y => 'CONFIG_A', kconfig_override_n => 'CONFIG_A' },
      qr/CONFIG_A is in runvar kconfig_override_y and in runvar kconfig_override_n/ ],
    [ 'interactive base', { %pvops, kconfig_defconfig => 'oldconfig' },
      qr/runvar kconfig_defconfig=oldconfig: 'oldconfig' asks questions/ ],
    [ 'not a config target', { %pvops, kconfig_defconfig => 'defconfig all' },
      qr/runvar kconfig_defconfig=defconfig all: 'all' is not a configuration make target/ ],
);
foreach my $e (@errors) {
    my ($what, $r, $re) = @$e;
    ok(!eval { build_plan($r); 1 }, "$what: dies");
    like($@, qr/^Osstest::Core::build_plan: $re.* at \S+ line \d+\.$/, "$what: message");
}

done_testing();
