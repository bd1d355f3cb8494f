# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# module_closure on bookworm's armhf kernel, checked against kmod: the
# index files it returns are the ones `depmod -b` writes for the subset.
use strict;
use warnings;
use Test::More;
use Osstest::Core;
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use File::Basename qw(basename dirname);

sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; <$fh> }

my $deb = `tests/fetch kernel bookworm armhf armmp`;
die "tests/fetch failed" if $?;
chomp $deb;
my $tmp = tempdir(CLEANUP => 1);
system('dpkg-deb', '-x', $deb, "$tmp/pkg") == 0 or die "dpkg-deb -x $deb failed";
my ($moddir) = glob("$tmp/pkg/lib/modules/*");
my $ver = basename($moddir);

my $r = module_closure($moddir, { indexes => 1 });
is(ref $r->{modules}, 'ARRAY', 'modules: an arrayref');
my %by_name = map { $_->{name} => $_ } @{ $r->{modules} };
ok($by_name{dm_mod}, 'dm_mod in the subset');
is($by_name{dm_mod}{reason}, 'classic', 'dm_mod by the classic paths');
is($by_name{dm_mod}{pattern}, 'kernel/drivers/md/**', 'by the drivers/md pattern');
ok($by_name{ext4}, 'ext4 in the subset');
ok($r->{matched} > 500, "classic paths select $r->{matched}");
ok($r->{added} > 0, "the closure adds $r->{added}");
is($r->{matched} + $r->{added}, scalar @{ $r->{modules} }, 'counts add up');
is_deeply($r->{missing}, [], 'nothing missing');
foreach my $m (@{ $r->{modules} }) {
    next unless $m->{reason} =~ /^(dependency|softdep)$/;
    ok($by_name{ $m->{of} }, "$m->{name}: added for $m->{of}, which is in")
        or last;
}

# kmod's modinfo is the oracle: every module of the subset has all it
# depends on in the subset.
my @files = map { "$moddir/$_->{path}" } @{ $r->{modules} };
my %needed;
while (my @chunk = splice @files, 0, 200) {
    open my $mi, '-|', 'modinfo', '-F', 'depends', @chunk or die "modinfo: $!";
    while (<$mi>) {
        chomp;
        tr/-/_/;
        $needed{$_} = 1 foreach grep { length } split /,/;
    }
    close $mi or die "modinfo failed";
}
ok(scalar(keys %needed) > 50, scalar(keys %needed) . ' modules needed by others');
is_deeply([ grep { !$by_name{$_} } sort keys %needed ], [],
          'every dependency modinfo names is in the subset');

# Stage the subset as the installer would see it and let depmod index it.
my $stage = "$tmp/stage/lib/modules/$ver";
foreach my $m (@{ $r->{modules} }) {
    make_path(dirname("$stage/$m->{path}"));
    link("$moddir/$m->{path}", "$stage/$m->{path}") or die "link $m->{path}: $!";
}
foreach my $f (qw(modules.order modules.builtin modules.builtin.modinfo)) {
    next unless -e "$moddir/$f";
    link("$moddir/$f", "$stage/$f") or die "link $f: $!";
}
system('depmod', '-b', "$tmp/stage", $ver) == 0 or die "depmod failed";
foreach my $f (qw(dep alias softdep symbols devname)) {
    ok(slurp("$stage/modules.$f") eq $r->{indexes}{$f},
       "modules.$f as depmod writes it");
}
my ($ext4) = $r->{indexes}{dep} =~ m{^kernel/fs/ext4/ext4\.ko:(.*)$}m;
like($ext4, qr{ kernel/fs/jbd2/jbd2\.ko\b}, 'ext4.ko needs jbd2.ko');
like($ext4, qr{ kernel/fs/mbcache\.ko\b}, 'ext4.ko needs mbcache.ko');

my $only = module_closure($moddir, { classic => 0, include => ['ext4'] });
is($only->{matched}, 1, 'a name pattern selects one module');
my %only = map { $_->{name} => $_ } @{ $only->{modules} };
foreach my $dep (qw(jbd2 mbcache crc16)) {
    is_deeply([ @{ $only{$dep} || {} }{qw(reason of)} ], [ 'dependency', 'ext4' ],
              "$dep: a dependency of ext4");
}
ok(!exists $only->{indexes} || !defined $only->{indexes}, 'no indexes unless asked');

sub dies_like (&$$) {
    my ($code, $re, $what) = @_;
    my $ok = eval { $code->(); 1 };
    ok(!$ok, "$what: dies");
    like($@, $re, "$what: message");
}
dies_like { module_closure("$tmp/nonesuch") } qr{/nonesuch: No such file}, 'missing directory';
dies_like { module_closure($moddir, { inclde => ['x'] }) } qr/inclde/, 'misspelt option';
dies_like { module_closure($moddir, { include => ['kernel/['] }) }
    qr/bad module selection pattern "kernel\/\["/, 'bad pattern';
make_path("$tmp/xz/kernel/fs");
open my $fh, '>', "$tmp/xz/kernel/fs/mbcache.ko.xz" or die; close $fh;
dies_like { module_closure("$tmp/xz") } qr{kernel/fs/mbcache\.ko\.xz: compressed module}, 'compressed module';

done_testing();
