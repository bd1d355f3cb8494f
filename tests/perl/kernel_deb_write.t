# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# kernel_deb, kernel_outputs and target_install across the bridge. The
# package is checked with dpkg-deb; the full-size install into a chroot is
# tests/kernel_deb_write.rs.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Osstest::Core;

my $deb = `tests/fetch kernel bookworm amd64 amd64`;
die "tests/fetch failed" if $?;
chomp $deb;

# A small tree from Debian's amd64 kernel: boot/ and the ext4 modules.
my $dir = tempdir(CLEANUP => 1);
my $tree = "$dir/tree";
mkdir $tree or die;
system("dpkg-deb --fsys-tarfile '$deb' | tar -x -C '$tree' --wildcards './boot/*' './lib/modules/*/kernel/fs/ext4/*' './lib/modules/*/modules.order'") == 0
    or die "unpacking $deb failed";
my ($release) = map { m{/vmlinuz-(.*)$} ? $1 : () } glob("$tree/boot/vmlinuz-*");
ok($release, "release $release");

my $r = kernel_deb($tree, $dir, { arch => 'amd64', suite => 'bookworm',
                                  source_date_epoch => 1700000000,
                                  deb_version => '6.1+osstest1' });
is($r->{path}, "$dir/linux-image-${release}_6.1+osstest1_amd64.deb", 'path');
is($r->{release}, $release, 'release');
is($r->{control}{Architecture}, 'amd64', 'control: Architecture');
is($r->{control}{Section}, 'kernel', 'control: Section');
is($r->{modules_dir}, "lib/modules/$release", 'modules_dir');
is(ref $r->{skipped}, 'ARRAY', 'skipped is a list');
my $f = `dpkg-deb -f '$r->{path}' Package Version`;
is($? , 0, 'dpkg-deb -f accepts it');
is($f, "Package: linux-image-$release\nVersion: 6.1+osstest1\n", 'dpkg-deb -f');
my @contents = `dpkg-deb -c '$r->{path}'`;
ok((grep { m{ \./lib/modules/\Q$release\E/kernel/fs/ext4/ext4\.ko$} } @contents),
   'dpkg-deb -c lists ext4.ko');
ok((grep { m{ \./usr/share/doc/linux-image-\Q$release\E/changelog\.gz$} } @contents),
   'a native version gets changelog.gz');

{
    local $ENV{SOURCE_DATE_EPOCH};
    eval { kernel_deb($tree, $dir, { arch => 'amd64', suite => 'bookworm' }) };
    like($@, qr/SOURCE_DATE_EPOCH/, 'no timestamp: dies');
}
eval { kernel_deb($tree, $dir, { arch => 'amd64', suite => 'bookworm', xz_levle => 1 }) };
like($@, qr/xz_levle/, 'a misspelt option dies');
eval { kernel_deb($tree, $dir, { suite => 'bookworm', source_date_epoch => 0 }) };
like($@, qr/option arch is required/, 'no arch: dies');
# A kerndist tarball, as osstest's build stashes it.
system("tar -czf '$dir/kerndist.tar.gz' -C '$tree' boot lib") == 0 or die;
mkdir "$dir/kd" or die;
my $k = kernel_deb("$dir/kerndist.tar.gz", "$dir/kd",
                   { arch => 'amd64', suite => 'trixie', source_date_epoch => 1700000000 });
is($k->{release}, $release, 'from kerndist: release');
is($k->{modules_dir}, "usr/lib/modules/$release", 'from kerndist: trixie layout');
my @kc = `dpkg-deb -c '$k->{path}'`;
ok((grep { m{ \./usr/lib/modules/\Q$release\E/kernel/fs/ext4/ext4\.ko$} } @kc),
   'from kerndist: ext4.ko in usr/lib/modules');
is_deeply([ glob("$dir/kd/.*tree*") ], [], 'from kerndist: no temporary tree left');
eval { kernel_deb("$dir/nonesuch.tar.gz", $dir, { arch => 'amd64', suite => 'bookworm', source_date_epoch => 0 }) };
like($@, qr/nonesuch\.tar\.gz/, 'a missing source dies naming it');
open my $fh, '>', "$tree/boot/initrd.img-$release" or die;
close $fh;
eval { kernel_deb($tree, $dir, { arch => 'amd64', suite => 'bookworm', source_date_epoch => 0 }) };
like($@, qr{boot/initrd\.img-\Q$release\E: not part of a kernel image package},
     'an unexpected member dies naming it');

my $o = kernel_outputs({ arch => 'arm64', kernbuild_outputs => 'deb,dimodules-cpio' });
ok($o->{deb} && $o->{dimodules_cpio} && !$o->{modules_cpio}, 'kernel_outputs: flags');
is_deeply([ map { $_->{path_runvar} } @{ $o->{outputs} } ],
          [qw(path_kerndeb path_kerndimodscpio)], 'kernel_outputs: stash runvars');
is($o->{outputs}[1]{modules}, 'installer', 'kernel_outputs: the subset');
ok(!kernel_outputs({})->{deb}, 'kernel_outputs: nothing by default');
eval { kernel_outputs({ kernbuild_outputs => 'debs' }) };
like($@, qr/runvar kernbuild_outputs=debs: unknown output 'debs'/, 'kernel_outputs: typo dies');

my $t = target_install({ release => '6.1.0-50-arm64', arch => 'arm64', suite => 'bookworm',
                         deb_url => 'http://ctl/kerndeb.deb',
                         script_url => 'http://ctl/late', cmdline => 'console=ttyAMA0' });
is($t->{boot}{kernel}, '/boot/vmlinuz-6.1.0-50-arm64', 'target_install: kernel');
is($t->{boot}{initrd}, '/boot/initrd.img-6.1.0-50-arm64', 'target_install: initrd');
is($t->{boot}{dtb_dir}, '/usr/lib/linux-image-6.1.0-50-arm64', 'target_install: dtb_dir');
is($t->{boot}{cmdline}, 'console=ttyAMA0', 'target_install: cmdline');
like($t->{script}, qr{in-target dpkg -i}, 'target_install: script');
like($t->{preseed}, qr{^d-i preseed/late_command string wget .*'http://ctl/late'}, 'target_install: preseed');
is(system('sh', '-n', '-c', $t->{script}), 0, 'the script parses');
my $t2 = target_install({ release => '6.1.0-50-arm64', arch => 'arm64', suite => 'trixie',
                          kerndist_url => 'http://ctl/kerndist.tar.gz' });
is(system('sh', '-n', '-c', $t2->{script}), 0, 'the kerndist script parses');
is($t2->{boot}{modules_dir}, '/usr/lib/modules/6.1.0-50-arm64', 'trixie modules_dir');
eval { target_install({ release => '6.1', arch => 'arm64', suite => 'bookworm' }) };
like($@, qr/exactly one of deb_url and kerndist_url/, 'target_install: no source dies');

done_testing();
