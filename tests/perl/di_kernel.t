# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# The main job through Perl: di_kernel and installer_modules on Debian's
# real armhf kernel and installer.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Osstest::Core;

sub fetch {
    my $out = `tests/fetch @_`;
    die "tests/fetch @_ failed\n" if $?;
    chomp $out;
    return $out;
}

my $deb = fetch(qw(kernel bookworm armhf armmp));
my $di = fetch(qw(di bookworm armhf)).'/initrd.gz';
my $tmp = tempdir(CLEANUP => 1);

{
    local $ENV{SOURCE_DATE_EPOCH} = 1700000000;
    my $m = di_kernel($deb, $di, "$tmp/out", { include => ['virtio_blk'] });
    is(ref $m, 'HASH', 'the manifest, a hashref');
    like($m->{kernel}{version}, qr/^\d+\.\d+\.\d+-\d+-armmp$/, 'kernel version');
    is($m->{kernel}{debian_arch}, 'armhf', 'debian_arch');
    is($m->{options}{mtime}, 1700000000, 'SOURCE_DATE_EPOCH is the mtime');
    ok($m->{modules}{included} > 800, "$m->{modules}{included} modules");
    is($m->{modules}{included}, scalar @{ $m->{modules}{list} }, 'every module listed');
    my ($blk) = grep { $_->{name} eq 'virtio_blk' } @{ $m->{modules}{list} };
    is($blk->{reason}, 'include', 'virtio_blk by its include pattern');
    is($blk->{pattern}, 'virtio_blk', 'and which');
    my %why = map { $_->{name} => $_ } @{ $m->{modules}{list} };
    like($why{vfat}{reason}, qr/^(di_initrd|needed)$/, "vfat by a default rule ($why{vfat}{reason})");
    is($why{ext4}{reason}, 'classic', 'ext4 by the classic paths');
    is($why{ext4}{pattern}, 'kernel/fs/ext*/**', 'and which');
    my @added = grep { $_->{reason} eq 'dependency' } @{ $m->{modules}{list} };
    ok(@added > 10, scalar(@added).' added as dependencies');
    ok(defined $added[0]{of}, 'each with the module needing it');
    foreach my $role (qw(image initrd modules_segment dtbs)) {
        my $o = $m->{outputs}{$role};
        my $f = "$tmp/out/$o->{file}";
        ok(-f $f, "$role: $o->{file}");
        is(-s $f, $o->{size}, "$role: size");
        my ($sum) = split ' ', `sha256sum $f`;
        is($sum, $o->{sha256}, "$role: sha256 as sha256sum");
    }
    ok(-f "$tmp/out/manifest.json", 'manifest.json');
    is_deeply([grep { /^\./ } map { s{.*/}{}r } glob("$tmp/out/.*[!.]*")], [],
              'nothing staged left behind');

    # installer_modules has no d-i initrd (no di_initrd rule): with the
    # same rules otherwise, the same segment.
    my %same = (classic => 0, include => ['virtio_blk', 'kernel/drivers/md/**']);
    my $r = installer_modules($deb, "$tmp/seg.cpio.gz", \%same);
    my $m2 = di_kernel($deb, $di, "$tmp/out2", \%same);
    is($r->{segment}{sha256}, $m2->{segment}{sha256},
       'installer_modules writes the same segment');
    is($r->{version}, $m->{kernel}{version}, 'and reports the version');
    my @rules = grep { $_->{reason} eq 'di_initrd' } @{ $r->{modules}{list} };
    is(scalar @rules, 0, 'and no module by the d-i initrd rule');
}

# With the suite's Contents-udeb index, as osstest passes it.
{
    my $contents = fetch(qw(contents-udeb bookworm armhf));
    my $m = di_kernel($deb, $di, "$tmp/udeb", { contents_udeb => $contents });
    my %why = map { $_->{name} => $_ } @{ $m->{modules}{list} };
    is($why{md_mod}{reason}, 'udeb', 'md_mod by its udeb');
    is($why{md_mod}{udeb}, 'md-modules', 'named without its ABI');
    is($m->{options}{contents_udeb}, $contents, 'the manifest names the index');
    ok(scalar(grep { $_ eq 'scsi-modules' } @{ $m->{options}{udebs} }), 'and the udebs');
    eval { di_kernel($deb, $di, "$tmp/x", { contents_udeb => $contents, udebs => ['scsi-modulez'] }) };
    like($@, qr/none of the udebs scsi-modulez in this index/, 'a udeb the index lacks dies');
}

# The example osstest's installer update can follow.
{
    my $out = `$^X -I. examples/di-installer-update.pl $deb $di $tmp/ex 2>&1`;
    is($?, 0, 'examples/di-installer-update.pl runs') or diag($out);
    like($out, qr/^kernel \S+-armmp \(linux-image-\S+ \S+, armhf\), \d+ modules$/m,
         'it reports the kernel');
    like($out, qr/^  \+ \w+ \((dependency|softdep) of \w+\)$/m,
         'and the modules added for others');
    ok(-f "$tmp/ex/initrd.gz" && -f "$tmp/ex/manifest.json", 'and writes the outputs');
}

# Errors: a Perl die naming the function and what is at fault.
sub di_kernel_error { my ($s, $i, $o) = @_; eval { di_kernel($s, $i, "$tmp/x", $o) }; return $@; }
my $e;
eval { di_kernel($deb, $di, "$tmp/x", { incldue => ['x'] }) }; $e = $@;
like($e, qr/^Osstest::Core::di_kernel: argument 4 \(\$opts\): unknown field `incldue`/,
     'a misspelt option dies');
eval { di_kernel($deb, $di, "$tmp/x", { compression => 'lz4' }) }; $e = $@;
like(di_kernel_error($deb, $di, { compression => 'brotli' }), qr/argument 4 \(\$opts\): \{compression\}: unknown variant `brotli`/, 'a compression we do not know dies');
like($e, qr/^Osstest::Core::di_kernel: compression lz4 cannot be written: use gzip, xz, zstd or none/,
     'an unknown compression dies');
eval { di_kernel("$tmp/none.deb", $di, "$tmp/x") }; $e = $@;
like($e, qr{^Osstest::Core::di_kernel: .*\Q$tmp/none.deb\E}, 'a missing source is named');
eval { installer_modules($deb, "$tmp/s.gz", { max_segment_size => 1000 }) }; $e = $@;
like($e, qr/over the budget of 1000 \(max_segment_size\)/, 'the budget');
ok(!-e "$tmp/s.gz", 'nothing written over budget');
eval { installer_modules($deb, "$tmp/s.gz", { classic => 0, include => ['nonesuch'] }) }; $e = $@;
like($e, qr/include pattern nonesuch matched no module of this kernel/, 'an include pattern matching nothing is an error');

done_testing();
