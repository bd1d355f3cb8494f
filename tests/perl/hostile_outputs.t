# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# What every writer promises whatever it is given or finds in its
# destination (issue 17, the output half): nothing written outside the
# destination nor through a planted link, outputs whole or absent, one
# publish step per call even with two threads or two processes writing
# into one destination, errors naming the file at fault (a full or
# read-only file system blamed on the output), no crash on a deep tree with
# a 1 MiB stack. Kernels made here (an arm64 Image header, System.map,
# config); the full and read-only file systems are tmpfs mounts (root).
use strict;
use warnings;
use threads;
use threads::shared;
use Test::More;
use Cwd qw(getcwd);
use File::Temp qw(tempdir);
use Digest::MD5 qw(md5_hex);
use POSIX ();
use Osstest::Core;
use lib 'tests/perl/lib';
use OsstestCoreTest::FlightDb qw(slurp dies_like);

my $top = getcwd();
my $tmp = tempdir(CLEANUP => 1);
my $ver = '1.0-test';

sub spew ($$) {
    my ($file, $data) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $data or die "$file: $!";
    close $fh or die "$file: $!";
}

# A kernel tree in $dir: an arm64 Image of $size bytes filled with $fill,
# and System.map and config, all of version $v (or $cv for the config).
sub kernel_tree {
    my ($dir, %o) = @_;
    my $v = $o{version} // $ver;
    my $size = $o{size} // 4096;
    system('mkdir', '-p', "$dir/boot") == 0 or die;
    my $head = ("\0" x 0x38) . "ARM\x64" . ("\0" x 4);
    my $body = $o{body} // (($o{fill} // 'k') x ($size - length $head));
    spew("$dir/boot/vmlinuz-$v", $head . $body);
    spew("$dir/boot/System.map-$v", "0 T _text\n");
    spew("$dir/boot/config-" . ($o{config_version} // $v), "CONFIG_MODULES=y\n");
    return $dir;
}

# The tree as a gzipped tar made by GNU tar, with @flags.
sub tarball {
    my ($tree, $out, @flags) = @_;
    system('tar', 'czf', $out, @flags, '-C', $tree, 'boot') == 0 or die "tar $out";
    return $out;
}

sub entries ($) {
    my ($dir) = @_;
    opendir my $dh, $dir or return ();
    return sort grep { !/^\.\.?$/ } readdir $dh;
}

sub files_under ($) {
    my ($dir) = @_;
    return sort split /\n/, `cd $dir && find . -mindepth 1 | sort`;
}

my $k = tarball(kernel_tree("$tmp/k"), "$tmp/k.tar.gz");
# An initrd, by GNU cpio.
system("cd $tmp/k && find . | cpio --quiet -o -H newc | gzip -n > $tmp/initrd.gz") == 0 or die;
my $initrd = "$tmp/initrd.gz";

# Runs $code in a new perl with Osstest::Core, after the shell command
# $before (ulimit); returns its output and status.
sub perl_child {
    my ($before, $code) = @_;
    open my $fh, '-|', 'sh', '-c', "$before; exec \"\$0\" \"\$@\" 2>&1",
        $^X, '-I.', '-MOsstest::Core', '-e', $code or die "sh: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($out, $?);
}

# 1. A link planted at the name kernel_unpick's temporary files had
# (.NAME.osstest-part-PID), or any other, is never written through.
{
    my $victim = "$tmp/victim";
    spew($victim, "precious\n");
    my $d = "$tmp/planted";
    mkdir $d; mkdir "$d/boot";
    symlink($victim, "$d/boot/.vmlinuz-$ver.osstest-part-$$") or die;
    symlink($victim, "$d/boot/vmlinuz-$ver") or die;
    my $u = eval { kernel_unpick($k, $d) };
    is($@, '', 'kernel_unpick into a destination with planted links');
    is(slurp($victim), "precious\n", 'planted links: the victim is untouched');
    ok(-f "$d/boot/vmlinuz-$ver" && !-l "$d/boot/vmlinuz-$ver",
       'the image is a file of its own, not the link');
    is(-s "$d/boot/vmlinuz-$ver", 4096, 'and complete');
}

# 2. Two threads, and two processes, unpacking two kernels whose files have
# the same names into one destination, started together: each call
# succeeds or dies, and every file is wholly one kernel's.
{
    my $size = 32 << 20;
    my %sum;
    for my $fill (qw(A B)) {
        my $t = kernel_tree("$tmp/k$fill", fill => $fill, size => $size);
        tarball($t, "$tmp/k$fill.tar");
        $sum{md5_hex(slurp("$t/boot/vmlinuz-$ver"))} = $fill;
    }
    my $whole = sub {
        my ($d) = @_;
        return 'nothing' unless -f "$d/boot/vmlinuz-$ver";
        return $sum{md5_hex(slurp("$d/boot/vmlinuz-$ver"))} // 'a mixture';
    };
    my $go :shared = 0;
    for my $round (1 .. 3) {
        my $d = "$tmp/together-t$round";
        $go = 0;
        my @t = map { my $f = $_; threads->create(sub {
            { lock $go; cond_wait($go) until $go; }
            my $r = eval { kernel_unpick("$tmp/k$f.tar", $d); 1 };
            return $r ? 'ok' : "died: $@";
        }) } qw(A B);
        select(undef, undef, undef, 0.3);
        { lock $go; $go = 1; cond_broadcast($go); }
        my @r = map { $_->join } @t;
        is_deeply(\@r, ['ok', 'ok'], "two threads, round $round: both succeed");
        like($whole->($d), qr/^[AB]$/, "two threads, round $round: the image is one kernel's");
        is_deeply([grep { /^\./ } entries("$d/boot"), entries($d)], [],
                  "two threads, round $round: nothing staged is left");
    }
    for my $round (1 .. 2) {
        my $d = "$tmp/together-p$round";
        my $flag = "$tmp/go-p$round";
        my @pids = map {
            my $f = $_;
            my $pid = fork // die;
            if (!$pid) {
                select(undef, undef, undef, 0.001) until -e $flag;
                my $ok = eval { kernel_unpick("$tmp/k$f.tar", $d); 1 };
                POSIX::_exit($ok ? 0 : 1);
            }
            $pid;
        } qw(A B);
        select(undef, undef, undef, 0.3);
        spew($flag, '');
        my @st = map { waitpid($_, 0); $? } @pids;
        is_deeply(\@st, [0, 0], "two processes, round $round: both succeed");
        like($whole->($d), qr/^[AB]$/, "two processes, round $round: the image is one kernel's");
    }
}

# 6. A check that fails after the files went by (two versions) leaves
# nothing in the destination.
{
    my $bad = tarball(kernel_tree("$tmp/two", config_version => '2.0-other'), "$tmp/two.tar.gz");
    my $d = "$tmp/partial";
    dies_like { kernel_unpick($bad, $d) } qr/more than one kernel version/,
        'kernel_unpick of an inconsistent kernel';
    is_deeply([entries($d)], [], 'nothing of it is published');
}

# 14. An empty destination is an error, not the current directory; absolute
# member names are refused, as the POD says.
{
    my $here = tempdir(CLEANUP => 1);
    chdir $here or die;
    dies_like { kernel_unpick($k, '') } qr/empty path/, 'kernel_unpick into ""';
    dies_like { kernel_deb("$tmp/k", '', { arch => 'arm64', suite => 'bookworm',
                                          source_date_epoch => 0 }) }
        qr/empty path/, 'kernel_deb into ""';
    is_deeply([entries($here)], [], 'nothing written in the current directory');
    chdir $top or die;
    my $abs = tarball("$tmp/k", "$tmp/abs.tar.gz", '-P', '--transform', 's,^boot,/boot,');
    is((split /\n/, `tar tzf $abs`)[0], '/boot/', 'GNU tar wrote absolute names');
    dies_like { kernel_unpick($abs, "$tmp/abs") } qr{member /boot/.*absolute}, 'absolute names';
    is_deeply([entries("$tmp/abs")], [], 'and nothing is written');
}

# 16. A destination inside the source tree would read its own output.
{
    my $t = kernel_tree("$tmp/self");
    dies_like { kernel_unpick($t, "$t/out") }
        qr{\Q$t/out\E: the destination is inside the source \Q$t\E}, 'kernel_unpick into its own tree';
    dies_like { kernel_deb($t, "$t/debs", { arch => 'arm64', suite => 'bookworm',
                                            source_date_epoch => 0 }) }
        qr{\Q$t/debs\E: the destination is inside the source \Q$t\E}, 'kernel_deb into its own tree';
    system('rm', '-rf', "$t/debs");
    dies_like { initrd_append($k, ["$t/boot"], "$t/boot/initrd.gz") }
        qr{\Q$t/boot/initrd.gz\E: the destination is inside the source \Q$t/boot\E},
        'initrd_append into the directory it packs';
    is_deeply([files_under($t)], ['./boot', "./boot/System.map-$ver", "./boot/config-$ver",
                                  "./boot/vmlinuz-$ver"], 'nothing written in the tree');
}

# 9. A name a package cannot carry is refused, naming it: a newline would
# make a .deb dpkg refuses (and split its md5sums line), a name that is not
# UTF-8 would be changed on the way. Nothing is written.
{
    my $opts = { arch => 'arm64', suite => 'bookworm', source_date_epoch => 0 };
    for (["a\nb.ko", qr{"lib/modules/\Q$ver\E/kernel/a\\nb\.ko": a name with a newline}, 'a newline'],
         ["bad\xff.ko", qr{"lib/modules/\Q$ver\E/kernel/bad\\xFF\.ko": a name that is not UTF-8},
          'bytes that are not UTF-8']) {
        my ($name, $re, $what) = @$_;
        my $t = kernel_tree("$tmp/name-" . length $what);
        system('mkdir', '-p', "$t/lib/modules/$ver/kernel") == 0 or die;
        spew("$t/lib/modules/$ver/kernel/$name", "module\n");
        my $out = "$tmp/name-out-" . length $what;
        mkdir $out or die;
        dies_like { kernel_deb($t, $out, $opts) } $re, "kernel_deb: a member name with $what";
        is_deeply([entries($out)], [], "kernel_deb: a name with $what: nothing written");
    }
}

# 17. A tree deeper than any recursion a 1 MiB stack allows: every entry
# point that walks a tree dies or succeeds, in a process whose stack is
# 1 MiB (ulimit -s 1024) and in a perl thread of 1 MiB; it never crashes.
{
    my $t = kernel_tree("$tmp/deep");
    my $base = "$t/lib/modules/$ver/kernel";
    system('mkdir', '-p', $base) == 0 or die;
    my $depth = int((4000 - length $base) / 2);
    chdir $base or die;
    for (1 .. $depth) { mkdir 'a' or die "mkdir: $!"; chdir 'a' or die }
    spew('f', "deep\n");
    chdir $top or die;
    my $opts = "{ arch => 'arm64', suite => 'bookworm', source_date_epoch => 0 }";
    my %calls = (
        kernel_info => "kernel_info('$t')",
        kernel_unpick => "kernel_unpick('$t', '$tmp/deep-out')",
        kernel_deb => "kernel_deb('$t', '$tmp/deep-deb', $opts)",
        module_closure => "module_closure('$t/lib/modules/$ver')",
        initrd_append => "initrd_append('$initrd', [{ dir => '$t/lib' }], '$tmp/deep.gz')",
        di_kernel => "di_kernel('$t', '$initrd', '$tmp/deep-di')",
    );
    for my $f (sort keys %calls) {
        my $call = "eval { $calls{$f} }; print \$@ ? 'died' : 'ok'";
        for (['ulimit -s 1024', $call],
             ['a thread of 1 MiB', "use threads; threads->create({ stack_size => 1 << 20 }, sub { $call })->join"]) {
            my ($how, $code) = @$_;
            my ($out, $st) = perl_child($how =~ /ulimit/ ? $how : 'true', $code);
            is($st & 127, 0, "$f on a $depth-level tree, $how: no signal") or diag($out);
            like($out, qr/^(ok|died)$/, "$f on a $depth-level tree, $how: returns or dies") or diag($out);
        }
    }
}

# 10. A full file system is blamed on the output, a read-only one too;
# nothing is left behind. (tmpfs mounts: root.)
{
    my $m = "$tmp/small";
    mkdir $m or die;
    system('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', $m) == 0
        or BAIL_OUT('mounting a tmpfs needs root: run tests/run as root');
    # Incompressible, larger than the file system.
    open my $r, '<', '/dev/urandom' or die; read($r, my $noise, 3 << 20); close $r;
    spew("$tmp/noise", $noise);
    my $big = kernel_tree("$tmp/big", body => $noise);
    # A good initrd, so that only the file system can fail the append.
    my $base = "$tmp/noise.gz";
    system("cd $tmp && echo noise | cpio -o -H newc --quiet | gzip -1 > $base") == 0 or die;
    dies_like { initrd_append($base, [$base], "$m/initrd.gz") }
        qr{^Osstest::Core::initrd_append: \Q$m/initrd.gz\E: writing: No space left on device},
        'initrd_append onto a full file system';
    dies_like { kernel_unpick("$tmp/big", "$m/k") }
        qr{\Q$m/k/boot/vmlinuz-$ver\E: .*No space left on device}, 'kernel_unpick onto a full file system';
    dies_like { kernel_deb("$tmp/big", $m, { arch => 'arm64', suite => 'bookworm', source_date_epoch => 0,
                                            xz_level => 0 }) }
        qr{\Q$m/linux-image-$ver\E.*No space left on device}, 'kernel_deb onto a full file system';
    is_deeply([files_under($m)], ['./k'], 'nothing left on it but the empty destination');

    system('mount', '-o', 'remount,ro', $m) == 0 or die;
    dies_like { initrd_append($base, [$base], "$m/initrd.gz") }
        qr{\Q$m/initrd.gz\E: creating a temporary file in its directory: Read-only file system},
        'initrd_append onto a read-only file system';
    dies_like { kernel_unpick($k, "$m/k") } qr{\Q$m/k\E: .*Read-only file system},
        'kernel_unpick onto a read-only file system';
    system('umount', $m) == 0 or die;
}

done_testing();
