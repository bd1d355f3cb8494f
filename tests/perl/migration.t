# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Every example of Osstest/Core/Migration.pod, taken from the POD (so the
# notes cannot drift from what is tested) and run with the names its call
# site has bound to real data: Debian's bookworm arm64 kernel and d-i
# initrd, a kerndist made from them, osstest's tables in sqlite; osstest's
# own helpers (logm, target_cmd_build, store_runvar, db_retry) record what
# they are given.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use DBI;
use Osstest::Core;
use lib 'tests/perl/lib';
use OsstestCoreTest::FlightDb qw(slurp load_flight);

sub fetch {
    my $out = `tests/fetch @_`;
    die "tests/fetch @_ failed\n" if $?;
    chomp $out;
    return $out;
}

# The examples, by name, in the order of the POD.
my $pod = 'Osstest/Core/Migration.pod';
my (@names, %code);
{
    my @lines = split /\n/, slurp($pod);
    for (my $i = 0; $i < @lines; $i++) {
        next unless $lines[$i] =~ m/^=for osstest-core-test (\S+)$/;
        my $name = $1;
        my @body;
        $i++ while $i + 1 < @lines && $lines[$i + 1] eq '';
        while ($i + 1 < @lines && $lines[$i + 1] =~ m/^(?:\s|$)/) {
            push @body, $lines[++$i];
        }
        pop @body while @body && $body[-1] eq '';
        die "$pod: example $name is empty\n" unless @body;
        push @names, $name;
        $code{$name} = join "\n", map { s/^    //r } @body;
    }
}
is_deeply(\@names, [qw(kernel-build kernel-outputs xen-build make-flight reuse host-install installer-update)],
          'every call site has its example');

# What osstest gives a call site, and osstest's helpers, recording.
our (%r, $flight, $job, $ho, $builddir, $dbh_tests, $kerndist, $stash, @earlier,
     $di_initrd, $tftpdir, $url, @preseed, %c, @log, @cmds, %stored);
sub logm { push @log, "@_"; }
sub target_cmd_build { my ($ho, $timeout, $dir, $cmd) = @_; push @cmds, $cmd; }
sub store_runvar { my ($k, $v) = @_; $stored{$k} = $v; }
sub db_retry ($$$$$) {
    my ($fl, $flok, $dbh, $tables, $code) = @_;
    $dbh->begin_work;
    my $r = eval { $code->() };
    if ($@) { my $e = $@; $dbh->rollback; die $e; }
    $dbh->commit;
    return $r;
}
sub example ($) {
    my ($name) = @_;
    @log = (); @cmds = (); %stored = ();
    my $ok = eval "package main; use strict; use warnings;\n#line 1 \"$pod:$name\"\n$code{$name}\n; 1";
    ok($ok, "$name runs") or diag($@);
}

my $tmp = tempdir(CLEANUP => 1);
my $after = flight_parse(slurp('tests/flights/arm-after.txt'), 'arm-after.txt')->{jobs};

# ts-kernel-build: cross runes for an ARM kernel built on amd64, none native.
%r = %{ $after->{'build-arm64-pvops'}{runvars} };
($ho, $builddir) = ('italia0', '/home/osstest/build.180100.build-arm64-pvops');
example('kernel-build');
is_deeply(\@cmds, [ 'make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j4 all modules' ], 'kernel-build: cross make');
like($log[0], qr/^linux for arm64 on amd64, aarch64-linux-gnu-gcc$/, 'kernel-build: logged');
%r = %{ $after->{'build-amd64-pvops'}{runvars} };
example('kernel-build');
unlike($cmds[0], qr/CROSS_COMPILE/, "kernel-build: native make ($cmds[0])");

# The outputs, from a kerndist made of Debian's arm64 kernel (its
# installer subset of modules, to keep it small).
my $deb = fetch(qw(kernel bookworm arm64 arm64));
my $im = installer_modules($deb, "$tmp/seg.cpio.gz", {});
kernel_unpick($deb, "$tmp/dist", { modules => [ map { $_->{name} } @{ $im->{modules}{list} } ] });
$stash = "$tmp/stash/180000/build-arm64-pvops";
system('mkdir', '-p', "$stash/build") == 0 or die;
$kerndist = "$stash/build/kerndist.tar.gz";
system("tar -C $tmp/dist -czf $kerndist .") == 0 or die "tar: $?";
%r = (%{ $after->{'build-arm64-pvops'}{runvars} }, kernbuild_outputs => 'deb,dimodules-cpio');
example('kernel-outputs');
is_deeply(\%stored, { path_kerndeb => 'kerndeb.deb', path_kerndimodscpio => 'kerndimodscpio.cpio.gz' },
          'kernel-outputs: path runvars stored');
my $control = `dpkg-deb -f $stash/kerndeb.deb Package Architecture`;
like($control, qr/^Package: linux-image-\S+-arm64\nArchitecture: arm64$/m, 'kernel-outputs: the .deb');
is(initrd_inspect("$stash/kerndimodscpio.cpio.gz")->{segments}[0]{compression}, 'gzip',
   'kernel-outputs: the installer modules cpio');

# ts-xen-build: a cross Xen build and the packages it needs.
%r = (arch => 'arm64', build_arch => 'amd64',
      host_hostflags => 'share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build');
example('xen-build');
like($cmds[0], qr/^make (?=.*CROSS_COMPILE=aarch64-linux-gnu-)(?=.*XEN_TARGET_ARCH=arm64).* -j4 dist-xen$/,
     "xen-build: cross make ($cmds[0])");
like($log[0], qr/:arm64\b/, 'xen-build: foreign-architecture packages');

# make-flight, then cr-daily-branch's reuse, on osstest's tables.
$dbh_tests = DBI->connect("dbi:SQLite:dbname=$tmp/standalone.db", '', '',
                          { AutoCommit => 1, RaiseError => 1, PrintError => 0 });
$dbh_tests->do($_) foreach
    ('CREATE TABLE flights (flight TEXT PRIMARY KEY, intended TEXT, branch TEXT)',
     'CREATE TABLE jobs (flight TEXT NOT NULL, job TEXT NOT NULL, recipe TEXT NOT NULL,'.
     ' status TEXT NOT NULL, PRIMARY KEY (flight, job))',
     'CREATE TABLE runvars (flight TEXT NOT NULL, job TEXT NOT NULL, name TEXT NOT NULL,'.
     ' val TEXT NOT NULL, synth BOOLEAN NOT NULL, PRIMARY KEY (flight, job, name))');
my $earlier = flight_parse(slurp('tests/flights/earlier-180000.txt'), 'e')->{jobs};
my $marks = flight_parse(slurp('tests/flights/earlier-180000-a.txt'), 'a')->{jobs};
$earlier->{$_}{synth} = $marks->{$_}{synth} foreach keys %$earlier;
# Its arm64 kernel build made the kerndist above.
my $kver = kernel_info($kerndist)->{version};
$earlier->{'build-arm64-pvops'}{runvars}{kernel_ver} = $kver;
load_flight($dbh_tests, 180000, $earlier);
load_flight($dbh_tests, 180100, flight_parse(slurp('tests/flights/arm-before.txt'), 'b')->{jobs});
$flight = 180100;
example('make-flight');
is(flight_format(flight_from_db($dbh_tests, 180100)), slurp('tests/flights/arm-after.txt'),
   'make-flight: the flight in the database is rewritten');
@earlier = (180000);
example('reuse');
my $now = flight_from_db($dbh_tests, 180100);
ok(!$now->{'build-arm64-pvops'}, 'reuse: the arm64 kernel build is not run again');
is($now->{'test-arm64-arm64-xl'}{runvars}{dikernelbuildjob}, '180000.build-arm64-pvops',
   'reuse: its tests use the earlier one');
ok(scalar(grep { $_ eq 'rebuild build-armhf-pvops: no earlier build will do: 180000.build-armhf-pvops: status fail, not pass' } @log),
   'reuse: why armhf is rebuilt');

# ts-host-install: the installer for test-arm64-arm64-xl, its kernel from
# 180000's kerndist (above), d-i's arm64 initrd.
$job = 'test-arm64-arm64-xl';
%r = %{ $now->{$job}{runvars} };
$r{suite} = 'bookworm';
%c = (Stash => "$tmp/stash");
$di_initrd = fetch(qw(di bookworm arm64)).'/initrd.gz';
$tftpdir = "$tmp/tftp";
$url = 'http://controller/180100/test-arm64-arm64-xl/kerndist.tar.gz';
@preseed = ();
example('host-install');
like($log[0], qr/^installer kernel \Q$kver\E, \d+ modules$/, 'host-install: logged');
ok(-s "$tftpdir/initrd.gz" > -s $di_initrd, 'host-install: the installer initrd, modules appended');
like($preseed[0], qr{^d-i preseed/late_command string .*\Q$url.sh\E}, 'host-install: the late_command');

# mg-debian-installer-update, from the shell.
my $out = `$^X -I. -MOsstest::Core -e '$code{'installer-update'}' $deb $di_initrd $tmp/di`;
is($?, 0, 'installer-update runs from the shell');
like($out, qr/^6\.\S+-arm64: \d+ modules$/, 'installer-update: printed');
ok(-f "$tmp/di/$_", "installer-update: $_") foreach qw(modules.cpio.gz initrd.gz dtbs.tar.gz manifest.json);

done_testing();
