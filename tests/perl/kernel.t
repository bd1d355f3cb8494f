# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# kernel_info and kernel_unpick on a real Debian kernel package.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Osstest::Core;

my $deb = `tests/fetch kernel bookworm armhf armmp`;
chomp $deb;
ok(-f $deb, "fetched $deb") or BAIL_OUT("tests/fetch failed");

my $i = kernel_info($deb);
like($i->{version}, qr/^6\.1\.0-\d+-armmp$/, 'version');
is($i->{debian_arch}, 'armhf', 'debian_arch');
is($i->{arch}{elf_machine}, 40, 'EM_ARM image');
is($i->{arch}{format}, 'ARM zImage', 'zImage');
cmp_ok($i->{module_count}, '>', 3000, 'modules counted');
is($i->{image}, "boot/vmlinuz-$i->{version}", 'image path');

my $d = tempdir(CLEANUP => 1);
my $u = kernel_unpick($deb, "$d/out", { modules => ['ext4', 'kernel/drivers/md/'], dtbs => 0 });
is($u->{version}, $i->{version}, 'same version');
ok(-s $u->{image_path}, 'image extracted');
my @ext4 = glob("$d/out/lib/modules/$i->{version}/kernel/fs/ext4/ext4.ko");
is(scalar @ext4, 1, 'ext4.ko extracted');
ok(!-e "$d/out/usr/lib/linux-image-$i->{version}", 'no DTBs');
ok(!-e "$d/out/lib/modules/$i->{version}/kernel/net", 'unselected modules left out');
cmp_ok($u->{extracted_modules}, '>', 10, 'md modules too');
cmp_ok($u->{extracted_modules}, '<', 200, 'but not all');

eval { kernel_unpick($deb, "$d/y", { modules => ['ext4', 'no-such-module', 'kernel/nowhere/'] }) };
like($@, qr/no module matches "no-such-module", "kernel\/nowhere\/"/, 'a selection matching nothing dies naming it');

eval { kernel_unpick($deb, "$d/x", { modles => ['ext4'] }) };
like($@, qr/modles/, 'unknown option dies naming it');
eval { kernel_info("$d/nonesuch") };
like($@, qr{\Q$d/nonesuch\E}, 'missing source names it');

done_testing();
