# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Properties every Perl entry point keeps, whatever it is fed: the fuzz
# corpora (fuzz/make-corpus.sh) and hostile inputs made here, mutated
# deterministically, go through each function that takes files, each call
# in its own sandbox directory. After every call:
#
# - it returned, or died with "Osstest::Core::NAME: ..." naming a file of
#   its sandbox, and never with a Rust panic ("internal error");
# - nothing changed outside the sandbox (a canary directory beside it, and
#   the parent's listing);
# - on a die, the sandbox holds only the inputs: no partial output, no
#   temporary file left.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Osstest::Core;

use lib 'tests/perl/lib';
use OsstestCoreTest::Hostile qw(newc trailer put files_in);

my $top = tempdir(CLEANUP => 1);
my $canary = "$top/canary";
mkdir $canary or die;
put("$canary/keep", 'keep');
srand(17);

# Seeds: the fuzz corpora, and hostile archives and streams made here.
my @seeds;
my $corpus = 'fuzz/corpus';
system('fuzz/make-corpus.sh >/dev/null') == 0 or die "fuzz/make-corpus.sh failed"
    unless -d "$corpus/initrd";
foreach my $f (sort glob "$corpus/*/*") {
    local $/;
    open my $h, '<:raw', $f or die "$f: $!";
    my $bytes = <$h>;
    push @seeds, $bytes if length $bytes <= 1 << 20;
}
cmp_ok(scalar @seeds, '>=', 10, 'the fuzz corpora are there');
my $archive = newc('lib', 040755, '') . newc('lib/a.ko', 0100644, "\x7fELF\x02\x01\x01\0x" x 4)
    . newc('/abs', 0100644, 'x') . newc('../up', 0100644, 'x') . newc('l', 0120777, '/etc/passwd')
    . trailer();
push @seeds, $archive, trailer() . $archive, $archive . ("\0" x 1000) . $archive,
    "!<arch>\n", "!<arch>\ndebian-binary   0           0     0     100644  4         `\n2.0\n",
    '', "\0" x 4096, "\x1f\x8b\x08\0\0\0\0\0\0\x03", "\xfd7zXZ\0\0\x01", "070701" . ('0' x 200);

# A mutation: bit flips, cuts, runs of a byte, a splice of another seed.
sub mutate ($) {
    my ($s) = @_;
    for (1 .. 1 + int rand 4) {
        my $len = length $s;
        my $op = int rand 5;
        if ($op == 0 && $len) { substr($s, int rand $len, 1) ^= chr(1 << int rand 8) }
        elsif ($op == 1) { $s = substr($s, 0, int rand($len + 1)) }
        elsif ($op == 2) { substr($s, int rand($len + 1), 0) = chr(int rand 256) x (1 + int rand 16) }
        elsif ($op == 3 && $len) { substr($s, int rand $len, 1) = ("\0", "\xff", '0', '7')[int rand 4] }
        else { my $o = $seeds[int rand @seeds]; $s = substr($s, 0, int rand($len + 1)) . substr($o, int rand(length($o) + 1)) }
    }
    return $s;
}

# Each entry point: how to call it on input file $in in sandbox $box.
my %calls = (
    initrd_inspect    => sub { initrd_inspect($_[0]) },
    initrd_append     => sub { initrd_append($_[0], [$_[0]], "$_[1]/out.gz") },
    initrd_append_seg => sub { initrd_append($_[2], [$_[0]], "$_[1]/out.gz") },
    di_kernel         => sub { di_kernel($_[0], $_[2], "$_[1]/out") },
    di_kernel_initrd  => sub { di_kernel($_[0], $_[0], "$_[1]/out") },
    installer_modules => sub { installer_modules($_[0], "$_[1]/modules.cpio.gz") },
    kernel_info       => sub { kernel_info($_[0]) },
    kernel_unpick     => sub { kernel_unpick($_[0], "$_[1]/out") },
    kernel_deb        => sub { kernel_deb($_[0], "$_[1]/out", { arch => 'arm64', suite => 'bookworm', source_date_epoch => 0 }) },
    image_file        => sub { image_file($_[0]) },
    module_closure    => sub { mkdir "$_[1]/m"; rename $_[0], "$_[1]/m/x.ko" or die; module_closure("$_[1]/m") },
);
my $runs = $ENV{OSSTEST_PROPERTY_RUNS} || 150;
my $box_n = 0;
foreach my $name (sort keys %calls) {
    my ($fn) = $name =~ /^([a-z]+_[a-z]+)/;
    my %bad;
    for my $i (1 .. $runs) {
        my $box = "$top/box" . $box_n++;
        mkdir $box or die;
        my $in = "$box/input";
        put($in, mutate($seeds[int rand @seeds]));
        my $good = "$box/good.cpio";
        put($good, newc('init', 0100755, "#!/bin/sh\n") . trailer());
        my @before = @{ files_in($box) };
        my $ok = eval { $calls{$name}->($in, $box, $good); 1 };
        my $e = $@;
        my $what;
        if (!$ok) {
            if ($e !~ /^Osstest::Core::\Q$fn\E: /) { $what = "not our die: $e" }
            elsif ($e =~ /internal error/) { $what = "a panic: $e" }
            elsif ($e !~ /\Q$box\E/ && $e !~ /\Qfake\E/) { $what = "names no file of the sandbox: $e" }
            else {
                my @after = grep { $_ ne 'm' && !($_ eq 'out' && -d "$box/out" && !@{ files_in("$box/out") }) }
                    @{ files_in($box) };
                my @left = grep { my $f = $_; !grep { $_ eq $f } @before } @after;
                my @m = -d "$box/m" ? @{ files_in("$box/m") } : ();
                $what = "left @left after: $e" if @left || grep { $_ ne 'x.ko' } @m;
                $what = "left a partial tree" if -d "$box/out" && @{ files_in("$box/out") };
            }
        }
        $what //= 'wrote outside the sandbox'
            unless join(',', @{ files_in($canary) }) eq 'keep'
                && !grep { !/^(box\d+|canary)$/ } @{ files_in($top) };
        $bad{$what} //= $i if defined $what;
        system('rm', '-rf', $box);
    }
    is_deeply(\%bad, {}, "$name: $runs hostile inputs, every promise kept")
        or diag explain \%bad;
}

done_testing();
