# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Errors and panics become ordinary Perl exceptions with useful messages.
use strict;
use warnings;
use Test::More;
use Osstest::Core;
use Tie::Hash;
use Tie::Scalar;

sub dies_like (&$$) {
    my ($code, $re, $what) = @_;
    my $ok = eval { $code->(); 1 };
    ok(!$ok, "$what: dies");
    like($@, $re, "$what: message");
}

dies_like { arch_info('vax') }
    qr/^Osstest::Core::arch_info: unknown Debian architecture 'vax' \(known: .*armhf.*\) at \S+ line \d+\.$/,
    'unknown arch';
dies_like { arch_info() }
    qr/^Osstest::Core::arch_info: argument 1 \(\$debian_arch\): expected a string, got undef at /,
    'missing argument';
dies_like { arch_info('armhf', 'extra') }
    qr/^Osstest::Core::arch_info: takes 1 argument \(\$debian_arch\), got 2 at /,
    'too many arguments';
dies_like { arch_info({ arch => 'armhf' }) }
    qr/argument 1 \(\$debian_arch\): expected a string, got a HASH reference/,
    'hashref for a string';
dies_like { arch_info(bless {}, 'Some::Class') }
    qr/argument 1 \(\$debian_arch\): got an object/,
    'object refused';
dies_like { arch_info(sub { 1 }) }
    qr/argument 1 \(\$debian_arch\): got a reference other than ARRAY or HASH/,
    'code ref refused';
{
    my %h;
    tie %h, 'Tie::StdHash';
    dies_like { arch_info(\%h) } qr/got a tied hash or array/, 'tied hash refused';
}
{
    # A reference cycle is caught, not followed for ever.
    my $h = {};
    $h->{self} = $h;
    dies_like { arch_info($h) } qr/nested more than \d+ deep/, 'cycle';
}
{
    # Non-UTF-8 bytes are refused with the string shown.
    dies_like { arch_info("arm\xff") } qr/is not valid UTF-8/, 'bad bytes';
}

# Values with get-magic are read before Rust runs: $1 and tied scalars.
{
    'xx arm64 yy' =~ /(arm\d+)/ or die;
    is(arch_info($1)->{bits}, 64, '$1 as an argument');
    tie my $t, 'Tie::StdScalar';
    $t = 'armhf';
    is(arch_info($t)->{bits}, 32, 'tied scalar as an argument');
    package Dies; sub TIESCALAR { bless {}, shift } sub FETCH { die "fetch died\n" }
    package main;
    tie my $d, 'Dies';
    dies_like { arch_info($d) } qr/^fetch died$/, 'a FETCH that dies is an ordinary die';
}

# Inside a hash or array a tied scalar would need its FETCH run while Rust
# is on the stack: it is refused, naming where it is, never read as undef.
{
    my %r = (host_hostflags => 'arch-amd64,suite-bookworm');
    tie $r{arch}, 'Tie::StdScalar', 'armhf';
    dies_like { build_plan(\%r) }
        qr/^Osstest::Core::build_plan: argument 1 \(\$runvars\)\{arch\}: a tied or magical scalar; pass a plain copy at /,
        'tied scalar in a hash refused';
    my @segs = ('x');
    tie $segs[0], 'Tie::StdScalar', 'y';
    dies_like { initrd_append('/nonexistent', \@segs, '/nonexistent.out') }
        qr/argument 2 \(\$segments\)\[0\]: a tied or magical scalar; pass a plain copy at /,
        'tied scalar in an array refused';
}

# A Rust panic is a catchable exception; the interpreter carries on.
dies_like { Osstest::Core::_test_panic('boom') }
    qr/^Osstest::Core::_test_panic: internal error \(Rust panic: boom at \S+\.rs:\d+\); this is a bug in osstest-core, please report it at /,
    'panic';
for my $i (1..100) {
    eval { Osstest::Core::_test_panic("again $i") };
    die "panic $i not caught" unless $@ =~ /again $i/;
}
pass('a hundred panics caught');
is(arch_info('arm64')->{gnu_triplet}, 'aarch64-linux-gnu', 'still working after panics');

# die inside eval in a loop leaves no stack damage: a deep Perl call chain
# around the failing call still unwinds correctly.
sub deep { my $n = shift; return $n ? deep($n - 1) : arch_info('nope') }
dies_like { deep(50) } qr/unknown Debian architecture 'nope'/, 'die through a deep call chain';

# Threaded perl: the functions work in another interpreter thread.
{
    require Config;
    ok($Config::Config{useithreads}, "Debian's perl is threaded");
    require threads;
    my $t = threads->create(sub { arch_info('armhf')->{gnu_triplet} });
    is($t->join, 'arm-linux-gnueabihf', 'called from a perl thread');
}

done_testing();




