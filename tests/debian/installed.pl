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
# Run by tests/debian_package.rs inside a fresh Debian chroot where only
# the libosstest-core-perl package (and perl, DBI, DBD::SQLite) is
# installed: no source tree, no OSSTEST_CORE_SO. Calls every function
# Osstest::Core exports once, on real inputs, and checks it was every one.
#
# Usage: perl installed.pl KERNEL.deb DI-INITRD.gz FLIGHTS-DIR WORKDIR
use strict;
use warnings;
use Test::More;
use DBI;
use Osstest::Core;

my ($deb, $di_initrd, $flights, $work) = @ARGV;
die "usage: $0 KERNEL.deb DI-INITRD.gz FLIGHTS-DIR WORKDIR\n" unless defined $work;
die "OSSTEST_CORE_SO is set: this checks the installed package\n"
    if defined $ENV{OSSTEST_CORE_SO};

my %called;
sub call ($@) {
    my ($fn, @args) = @_;
    $called{$fn}++;
    no strict 'refs';
    return &{"Osstest::Core::$fn"}(@args);
}
sub slurp ($) {
    open my $fh, '<', $_[0] or die "$_[0]: $!";
    local $/;
    return scalar <$fh>;
}

like($INC{'Osstest/Core.pm'}, qr{^/usr/lib/.*/perl5/[\d.]+/Osstest/Core\.pm$},
     'Osstest::Core from the package');
like($Osstest::Core::SHARED_OBJECT, qr{^/usr/lib/.*/perl5/[\d.]+/auto/Osstest/Core/Core\.so$},
     'its shared object from the package');

is(call('arch_info', 'arm64')->{gnu_triplet}, 'aarch64-linux-gnu', 'arch_info');
my $plan = call('build_plan', { arch => 'armhf',
    host_hostflags => 'share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build' });
is($plan->{cross_compile}, 'arm-linux-gnueabihf-', 'build_plan');
open my $cfg, '>', "$work/config" or die "$work/config: $!";
print $cfg "CONFIG_MODULES=y\n# CONFIG_XEN is not set\n";
close $cfg or die "$work/config: $!";
my $kc = call('kconfig_check', { arch => 'armhf', kconfighow => 'xen-enable-xen-config',
    host_hostflags => 'share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build' },
    "$work/config");
ok(scalar(grep { $_->{option} eq 'CONFIG_XEN' && $_->{got} eq 'n' } @{ $kc->{mismatches} }),
   'kconfig_check: CONFIG_XEN not kept');

my $k = call('kernel_info', $deb);
like($k->{version}, qr/^\d+\.\d+\.\d+-\d+-amd64$/, "kernel_info: $k->{version}");
my $u = call('kernel_unpick', $deb, "$work/tree",
             { modules => [ 'kernel/fs/', 'kernel/lib/', 'kernel/crypto/' ] });
ok($u->{extracted_modules} > 10, "kernel_unpick: $u->{extracted_modules} modules");
like(call('image_file', "$work/tree/$u->{image}")->{format}, qr/^x86 bzImage/, 'image_file');
my $c = call('module_closure', "$work/tree/$u->{module_dir}", { classic => 0, include => ['ext4'] });
ok(scalar(grep { $_->{name} eq 'jbd2' } @{ $c->{modules} }), 'module_closure: ext4 needs jbd2');
mkdir "$work/deb" or die "$work/deb: $!";
my $kd = call('kernel_deb', "$work/tree", "$work/deb",
              { arch => 'amd64', suite => 'bookworm', source_date_epoch => 1700000000, xz_level => 0 });
ok(-f $kd->{path}, "kernel_deb: $kd->{path}");
my $im = call('installer_modules', $deb, "$work/modules.cpio.gz", {});
ok($im->{segment}{modules} > 100, "installer_modules: $im->{segment}{modules} modules");
my $app = call('initrd_append', $di_initrd, [ "$work/modules.cpio.gz" ], "$work/initrd.gz");
is(scalar @{ $app->{segments} } - $app->{first_appended}, 1, 'initrd_append: one segment appended');
my $ins = call('initrd_inspect', "$work/initrd.gz");
ok(scalar(grep { $_->{name} =~ m{/ext4\.ko$} } @{ $ins->{files} }), 'initrd_inspect: ext4 in the initrd');
my $di = call('di_kernel', $deb, $di_initrd, "$work/di", {});
ok(-f "$work/di/initrd.gz" && $di->{modules}{matched} > 0, 'di_kernel');
is_deeply(call('kernel_outputs', { kernbuild_outputs => 'deb' })->{deb}, 1, 'kernel_outputs');
my $t = call('target_install', { release => $k->{version}, arch => 'amd64', suite => 'bookworm',
                                 deb_url => 'http://controller/kern.deb' });
is($t->{boot}{kernel}, "/boot/vmlinuz-$k->{version}", 'target_install');

my $l = call('flight_parse', slurp("$flights/arm-before.txt"), 'arm-before.txt');
is($l->{form}, 'mg-show-flight-runvars', 'flight_parse');
my $x = call('flight_cross_arm', $l->{jobs});
is(call('flight_format', $x->{jobs}), slurp("$flights/arm-after.txt"), 'flight_cross_arm, flight_format');
my $e = call('flight_parse', slurp("$flights/earlier-180000.txt"), 'e')->{jobs};
like(call('build_identity', $x->{jobs}{'build-arm64-pvops'}{runvars})->{digest}, qr/^[0-9a-f]{64}$/,
     'build_identity');
my $p = call('reuse_candidates', $x->{jobs}, { 180000 => $e });
my $r = call('reuse_apply', $x->{jobs}, $p);
is(call('dikernel_outputs', 180100, 'test-arm64-arm64-xl', { 180100 => $r->{jobs}, 180000 => $e })->{kerndist},
   '180000/build-arm64-pvops/build/kerndist.tar.gz', 'reuse_candidates, reuse_apply, dikernel_outputs');

my $dbh = DBI->connect("dbi:SQLite:dbname=$work/standalone.db", '', '', { RaiseError => 1, PrintError => 0 });
$dbh->do($_) foreach
    ('CREATE TABLE flights (flight TEXT PRIMARY KEY, intended TEXT, branch TEXT)',
     'CREATE TABLE jobs (flight TEXT NOT NULL, job TEXT NOT NULL, recipe TEXT NOT NULL,'.
     ' status TEXT NOT NULL, PRIMARY KEY (flight, job))',
     'CREATE TABLE runvars (flight TEXT NOT NULL, job TEXT NOT NULL, name TEXT NOT NULL,'.
     ' val TEXT NOT NULL, synth BOOLEAN NOT NULL, PRIMARY KEY (flight, job, name))',
     q{INSERT INTO flights VALUES ('standalone', 'play', 'xen-unstable')});
foreach my $job (sort keys %{ $l->{jobs} }) {
    my $j = $l->{jobs}{$job};
    $dbh->do(q{INSERT INTO jobs VALUES ('standalone', ?, ?, 'queued')}, {}, $job, $j->{recipe});
    $dbh->do(q{INSERT INTO runvars VALUES ('standalone', ?, ?, ?, 'f')}, {}, $job, $_, $j->{runvars}{$_})
        foreach sort keys %{ $j->{runvars} };
}
my $f = call('flight_from_db', $dbh, 'standalone');
my $w = call('flight_apply_db', $dbh, 'standalone', call('flight_cross_arm', $f));
is(scalar @{ $w->{set} }, 7, 'flight_from_db, flight_apply_db');
$called{flight_cross_arm}--;

is_deeply([ sort keys %called ], [ sort @Osstest::Core::EXPORT ], 'every exported function called');
done_testing();
