# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# One kernel check for every reader: Debian's real armhf kernel package,
# its control saying Architecture arm64 and its data as it is, makes
# kernel_info, di_kernel and installer_modules die with the same message.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Osstest::Core;
use lib 'tests/perl/lib';
use OsstestCoreTest::FlightDb qw(slurp);

sub fetch {
    my $out = `tests/fetch @_`;
    die "tests/fetch @_ failed\n" if $?;
    chomp $out;
    return $out;
}

sub spew {
    my ($f, $data) = @_;
    open my $fh, '>:raw', $f or die "$f: $!";
    print $fh $data or die "$f: $!";
    close $fh or die "$f: $!";
}

# The members of an ar archive, in order: [name, data] each.
sub ar_members {
    my ($bytes) = @_;
    substr($bytes, 0, 8) eq "!<arch>\n" or die "not an ar archive\n";
    my ($at, @m) = (8);
    while ($at < length $bytes) {
        my $h = substr($bytes, $at, 60);
        my ($name) = unpack('A16', $h) =~ m{^(.*?)/?\z};
        my ($size) = substr($h, 48, 10) =~ /(\d+)/ or die "bad ar member header\n";
        push @m, [$name, substr($bytes, $at + 60, $size)];
        $at += 60 + $size + $size % 2;
    }
    return @m;
}

sub ar_archive {
    my $out = "!<arch>\n";
    foreach my $m (@_) {
        my ($name, $data) = @$m;
        $out .= sprintf('%-16s%-12s%-6s%-6s%-8s%-10s`'."\n",
                        $name, 0, 0, 0, 100644, length $data);
        $out .= $data;
        $out .= "\n" if length($data) % 2;
    }
    return $out;
}

# A copy of package $deb whose control says Architecture $arch.
sub with_architecture {
    my ($deb, $arch, $out) = @_;
    my $work = tempdir(CLEANUP => 1);
    my @m = ar_members(slurp($deb));
    foreach my $m (@m) {
        next unless $m->[0] eq 'control.tar.xz';
        spew("$work/control.tar.xz", $m->[1]);
        mkdir "$work/c" or die $!;
        system('tar', '-xJf', "$work/control.tar.xz", '-C', "$work/c") == 0 or die "tar -x\n";
        my $control = slurp("$work/c/control");
        $control =~ s/^Architecture: .*$/Architecture: $arch/m or die "no Architecture\n";
        spew("$work/c/control", $control);
        system('tar', '-cJf', "$work/new.tar.xz", '-C', "$work/c", '--owner=0', '--group=0', '.') == 0
            or die "tar -c\n";
        $m->[1] = slurp("$work/new.tar.xz");
    }
    spew($out, ar_archive(@m));
}

# The message of a die, without the function naming itself and where.
sub message {
    my ($e) = @_;
    $e =~ s/^Osstest::Core::\w+: //;
    $e =~ s/ at \S+ line \d+\.\n\z//;
    return $e;
}

my $deb = fetch(qw(kernel bookworm armhf armmp));
my $di = fetch(qw(di bookworm armhf)).'/initrd.gz';
my $tmp = tempdir(CLEANUP => 1);
my $bad = "$tmp/linux-image-arm64-says.deb";
with_architecture($deb, 'arm64', $bad);
is(`dpkg-deb -f $bad Architecture`, "arm64\n", 'dpkg-deb reads the repacked package: arm64');
is(kernel_info($deb)->{debian_arch}, 'armhf', 'the package as Debian ships it is fine');

eval { kernel_info($bad) };
my $info = $@;
note($info);
like($info, qr{^Osstest::Core::kernel_info: \Q$bad\E: package Architecture arm64 but the image boot/vmlinuz-\S+-armmp is for ELF machine 40 \(32-bit\) at },
     'kernel_info dies: the Architecture against the image');

eval { di_kernel($bad, $di, "$tmp/out") };
my $e = $@;
like($e, qr/^Osstest::Core::di_kernel: /, 'di_kernel dies');
is(message($e), message($info), 'with the same message');
is_deeply([glob("$tmp/out/*")], [], 'and writes nothing');

eval { installer_modules($bad, "$tmp/seg.cpio.gz") };
is(message($@), message($info), 'installer_modules too');
ok(!-e "$tmp/seg.cpio.gz", 'and writes nothing');

done_testing();
