# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# initrd_append and initrd_inspect across the bridge, on the installer's
# real initrd, checked with GNU cpio.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Osstest::Core;

my $di = `tests/fetch di bookworm arm64`;
die "tests/fetch di bookworm arm64 failed" if $?;
chomp $di;
my $base = "$di/initrd.gz";

my $i = initrd_inspect($base);
is(scalar @{ $i->{segments} }, 1, 'one segment');
is($i->{segments}[0]{compression}, 'gzip', 'gzip');
my @listed = grep { $_ ne '.' } split /\n/, `zcat $base | cpio -t --quiet`;
is(scalar @{ $i->{files} }, scalar @listed, 'merged view has every name GNU cpio lists');
my ($sh) = grep { $_->{name} eq 'bin/sh' } @{ $i->{files} };
is($sh->{kind}, 'symlink', 'bin/sh is a symlink');

my $t = tempdir(CLEANUP => 1);
mkdir "$t/mods" or die;
mkdir "$t/mods/kernel" or die;
open my $fh, '>', "$t/mods/kernel/a.ko" or die;
print $fh "module";
close $fh;

my $r = initrd_append($base, [{ dir => "$t/mods", prefix => 'lib/modules/9.9' }],
                      "$t/out", { compression => 'xz', mtime => 1700000000 });
is($r->{first_appended}, 1, 'first appended segment');
is($r->{segments}[1]{compression}, 'xz', 'xz segment');
is($r->{segments}[1]{offset} % 4, 0, 'aligned');
is($r->{size}, -s "$t/out", 'size');
my $o = initrd_inspect("$t/out");
my ($a) = grep { $_->{name} eq 'lib/modules/9.9/kernel/a.ko' } @{ $o->{files} };
is($a->{segment}, 1, 'module from the new segment');
is($a->{size}, 6, 'its size');

ok(!eval { initrd_append($base, ["$t/mods"], "$t/out2", { compresion => 'xz' }); 1 },
   'misspelt option dies');
like($@, qr/compresion/, '... naming it');
ok(!eval { initrd_append($base, ["$t/mods"], "$t/out2", { max_size => 1000 }); 1 },
   'over budget dies');
like($@, qr/over the budget of 1000; largest contributors: segment 0/, '... listing contributors');
ok(!-e "$t/out2", '... and writes nothing');
ok(!eval { initrd_inspect("$t/mods/kernel/a.ko"); 1 }, 'not an initrd dies');
like($@, qr{a\.ko: segment at offset 0: unrecognised data}, '... naming the file and offset');

done_testing();
