# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Hostile and unlucky inputs through the Perl entry points: each dies with
# a message naming the input and the bound or the problem, and leaves
# nothing behind; under a 1 GB address-space limit the entry bomb is a die,
# not an abort.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Osstest::Core;

use lib 'tests/perl/lib';
use OsstestCoreTest::FlightDb qw(dies_like);
use OsstestCoreTest::Hostile qw(newc trailer put files_in);

my $tmp = tempdir(CLEANUP => 1);

my $seg = "$tmp/seg.cpio";
put($seg, newc('a', 0100644, 'a') . trailer());

# 3. The entry bomb: 3 million empty entries, 2.8 MB of xz.
my $bomb = "$tmp/bomb.cpio.xz";
{
    open my $xz, '|-', "xz -0 -T2 -c > $bomb" or die "xz: $!";
    my $buf = '';
    for my $i (0 .. 2_999_999) {
        $buf .= newc("e/$i", 0100644, '');
        if (length $buf > 1 << 16) { print $xz $buf or die; $buf = '' }
    }
    print $xz $buf . trailer() or die;
    close $xz or die "xz failed: $?";
}
my $bound = qr/segment 0 \(xz at offset 0\): more than 131072 entries \(the limit on entries in an initrd\)/;
dies_like { initrd_inspect($bomb) } qr/^Osstest::Core::initrd_inspect: \Q$bomb\E $bound/,
    'initrd_inspect: the entry bomb';
mkdir "$tmp/out" or die;
dies_like { initrd_append($bomb, [$seg], "$tmp/out/initrd.gz") } $bound,
    'initrd_append: the entry bomb';
is_deeply(files_in("$tmp/out"), [], 'initrd_append: nothing left');
put("$tmp/fake.deb", "!<arch>\n");
dies_like { di_kernel("$tmp/fake.deb", $bomb, "$tmp/di") } $bound, 'di_kernel: the entry bomb';
ok(!-e "$tmp/di" || !@{ files_in("$tmp/di") }, 'di_kernel: nothing left');

# The same under a 1 GB address-space limit: a die with the message, not
# an abort, and nothing left behind.
# Runs `$code` in a child perl (under `$limit`, a shell command), printing
# what it died with; its output.
sub child ($$) {
    my ($limit, $code) = @_;
    put("$tmp/child.pl", "use Osstest::Core; eval { $code }; print \$@; exit 0;\n");
    return `$limit $^X -I. $tmp/child.pl 2>&1`;
}
for my $call ("initrd_inspect('$bomb')",
              "initrd_append('$bomb', ['$seg'], '$tmp/out/initrd.gz')",
              "di_kernel('$tmp/fake.deb', '$bomb', '$tmp/di')") {
    my ($name) = $call =~ /^(\w+)/;
    my $out = child('ulimit -v 1000000;', $call);
    is($?, 0, "ulimit -v 1000000: $name exits normally") or diag $out;
    like($out, qr/^Osstest::Core::$name: .*more than 131072 entries/, "ulimit -v 1000000: $name dies with the bound");
    diag "ulimit -v 1000000, $name: $out";
}
is_deeply(files_in("$tmp/out"), [], 'under the limit: nothing left by initrd_append');
ok(!-e "$tmp/di" || !@{ files_in("$tmp/di") }, 'under the limit: nothing left by di_kernel');

# 7. Nothing is not an initrd, nor a module tree.
put("$tmp/empty", '');
put("$tmp/zeros", "\0" x 4096);
for my $f ("$tmp/empty", "$tmp/zeros") {
    dies_like { initrd_inspect($f) }
        qr/^Osstest::Core::initrd_inspect: \Q$f\E: no cpio archive in it \(the file is empty or all zero bytes\)/,
        "initrd_inspect: $f";
    dies_like { initrd_append($f, [$seg], "$tmp/out/initrd.gz") }
        qr/\Q$f\E: no cpio archive in it/, "initrd_append onto $f";
    dies_like { di_kernel("$tmp/fake.deb", $f, "$tmp/di") }
        qr/\Q$f\E: no cpio archive in it/, "di_kernel with $f";
}
is_deeply(files_in("$tmp/out"), [], 'nothing left');
mkdir "$tmp/mods" or die;
dies_like { module_closure("$tmp/mods") }
    qr/^Osstest::Core::module_closure: \Q$tmp\E\/mods: no kernel modules in it/, 'module_closure: an empty directory';
mkdir "$tmp/mods/kernel\xff" or die;
dies_like { module_closure("$tmp/mods") }
    qr/mods\/kernel\\xFF": file name is not UTF-8/, 'module_closure: a name that is not UTF-8';
rmdir "$tmp/mods/kernel\xff" or die;
# An empty module selection selects nothing: said, not done silently.
{
    my $k = "$tmp/ktree";
    mkdir $k or die; mkdir "$k/boot" or die;
    put("$k/boot/vmlinuz-1.0-test", ("\0" x 0x38) . "ARM\x64" . ("\0" x 4) . ('k' x 4096));
    dies_like { kernel_unpick($k, "$tmp/kout", { modules => [] }) }
        qr/^Osstest::Core::kernel_unpick: \Q$k\E: the module selection is an empty list, which selects nothing/,
        'kernel_unpick: modules => []';
    ok(!-e "$tmp/kout", 'modules => []: nothing written');
    ok(eval { kernel_unpick($k, "$tmp/kout", { no_modules => 1 }); 1 }, 'no_modules => 1 is how to ask for none')
        or diag($@);
}

# 4. A 6 GB module is refused before it is read.
{
    open my $f, '>', "$tmp/mods/big.ko" or die;
    truncate $f, 6 << 30 or die "truncate: $!";
    close $f;
    my $t = time;
    dies_like { module_closure("$tmp/mods") }
        qr/big\.ko: 6442450944 bytes, over the limit of 268435456 bytes for one module/, 'module_closure: 6 GB .ko';
    cmp_ok(time - $t, '<', 10, 'refused without reading it');
    unlink "$tmp/mods/big.ko";
}

# 18. /dev/zero is given up on (in a child, so a reader that never gives up
# fails the test instead of hanging it).
{
    my $out = child('timeout 60', 'initrd_inspect("/dev/zero")');
    like($out, qr{^Osstest::Core::initrd_inspect: /dev/zero: more than 16777216 zero bytes in a row at offset 0},
         'initrd_inspect: /dev/zero');
    $out = child('timeout 60', 'kernel_info("/dev/zero")');
    like($out, qr{^Osstest::Core::kernel_info: /dev/zero: }, 'kernel_info: /dev/zero dies, naming it');
}

# 19. Precise messages.
{
    my $tree = "$tmp/tree";
    mkdir $tree or die;
    put("$tree/x", 'x');
    dies_like { initrd_append($seg, [$tree], "$tmp/out/t.gz", { compression => 'xz', threads => 100000 }) }
        qr/^Osstest::Core::initrd_append: threads 100000: must be 1 to 64 at /, 'initrd_append: threads';
    my $prefixed = "$tmp/prefixed.cpio";
    put($prefixed, trailer() . newc('a', 0100644, 'a') . trailer() . newc('b', 0100644, 'b') . trailer());
    dies_like { initrd_append($seg, [$prefixed], "$tmp/out/p.gz") }
        qr/\Q$prefixed\E: the kernel reads 3 archives in it, not one, at offsets 0 \(empty: TRAILER!!! is its first entry\), 124 and 364/,
        'initrd_append: a TRAILER!!! prefix';
    is_deeply(files_in("$tmp/out"), [], 'nothing left');
    # Spaces around a hostflag are not a second arch-* flag.
    my %jobs = ('build-armhf-pvops' => { recipe => 'build-kern', runvars => {
        arch => 'armhf', host_hostflags => 'share-build-bookworm-armhf, arch-armhf ,suite-bookworm' } });
    my $x = eval { flight_cross_arm(\%jobs) };
    is($x && $x->{jobs}{'build-armhf-pvops'}{runvars}{host_hostflags},
       'share-build-bookworm-amd64,arch-amd64,suite-bookworm', 'flight_cross_arm: spaces in hostflags')
        or diag $@;
}

# 11. flight_format refuses what would read back as another flight.
{
    my %jobs = ('build-amd64' => { recipe => 'build', runvars => { arch => 'amd64' } });
    local $jobs{'build-amd64'}{runvars}{revision_xen} = "x\ntest-injected arch amd64";
    dies_like { flight_format(\%jobs) }
        qr/^Osstest::Core::flight_format: job build-amd64: runvar revision_xen: the value has a line break/,
        'flight_format: a newline in a value';
}
{
    my %jobs = ('test injected' => { runvars => { arch => 'amd64' } });
    dies_like { flight_format(\%jobs) } qr/job "test injected": the job name is empty or has white space/,
        'flight_format: a space in a job name';
}

# 12. reuse_apply checks its plan.
{
    my %jobs = ('build-arm64-pvops' => { recipe => 'build-kern', runvars => { arch => 'arm64' } },
                'test-arm64-arm64-xl' => { runvars => { arch => 'arm64', kernbuildjob => 'build-arm64-pvops' } });
    my $plan = sub {
        my ($ref, @who) = @_;
        return { reuse => [ { job => 'build-arm64-pvops', reference => $ref, flight => '4000',
                              earlier_job => 'build-arm64-pvops', identity => '0' x 64,
                              referrers => \@who } ], rebuild => [] };
    };
    dies_like { reuse_apply(\%jobs, $plan->("4000.build-arm64-pvops\ntest-x arch amd64", 'test-arm64-arm64-xl kernbuildjob')) }
        qr/reuse plan: build-arm64-pvops as .*: not a reference to another flight's job/, 'reuse_apply: a newline in a reference';
    dies_like { reuse_apply(\%jobs, $plan->('build-arm64-pvops', 'test-arm64-arm64-xl kernbuildjob')) }
        qr/reuse plan: build-arm64-pvops as "build-arm64-pvops": not a reference to another flight's job/, 'reuse_apply: a job pointed at itself';
    dies_like { reuse_apply(\%jobs, $plan->('4000.build-arm64-pvops')) }
        qr/reuse plan: build-arm64-pvops is removed, but job test-arm64-arm64-xl runvar kernbuildjob still names it/,
        'reuse_apply: a dangling reference';
}

# 13. An empty kernel_ver is no version.
{
    my %f = ('build-arm64-pvops' => { recipe => 'build-kern', runvars => {
                 arch => 'arm64', kernel_ver => '', path_kerndist => 'build/kerndist.tar.gz' } },
             'test-arm64-arm64-xl' => { runvars => { arch => 'arm64', dikernelbuildjob => 'build-arm64-pvops' } });
    dies_like { dikernel_outputs('5000', 'test-arm64-arm64-xl', { 5000 => \%f }) }
        qr/^Osstest::Core::dikernel_outputs: job 5000\.build-arm64-pvops: runvar kernel_ver is empty/, 'dikernel_outputs: empty kernel_ver';
}

done_testing();
