# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Flights from Perl: the ARM cross rewrite against the golden files, the
# example program, installer-kernel references, build identity and reuse,
# and every error message.
use strict;
use warnings;
use Test::More;
use Osstest::Core;
use File::Temp qw(tempfile);

use lib 'tests/perl/lib';
use OsstestCoreTest::FlightDb qw(slurp dies_like);

my $dir = 'tests/flights';

my $before = flight_parse(slurp("$dir/arm-before.txt"), 'arm-before.txt')->{jobs};
my $golden = slurp("$dir/arm-after.txt");

# The rewrite, golden, idempotent; x86 untouched.
my $x = flight_cross_arm($before);
is(flight_format($x->{jobs}), $golden, 'arm flight rewritten as the golden file');
is(scalar @{ $x->{changes} }, 7, 'seven runvars changed');
is_deeply([ map { "$_->{job} $_->{runvar}" } @{ $x->{changes} } ],
          [ 'build-arm64-pvops build_arch', 'build-arm64-pvops host_hostflags',
            'build-armhf-pvops build_arch', 'build-armhf-pvops host_hostflags',
            'test-arm64-arm64-xl dikernelbuildjob',
            'test-arm64-arm64-xl-credit2 dikernelbuildjob',
            'test-armhf-armhf-xl dikernelbuildjob' ], 'the changes');
is($x->{changes}[0]{old}, undef, 'old value undef where unset');
is($before->{'build-arm64-pvops'}{runvars}{host_hostflags},
   'share-build-bookworm-arm64,arch-arm64,suite-bookworm,purpose-build',
   'the argument is not modified');
my $again = flight_cross_arm($x->{jobs});
is_deeply($again->{changes}, [], 'second run changes nothing');
is(flight_format($again->{jobs}), $golden, 'second run output same');
my $x86 = slurp("$dir/x86-before.txt");
my $r86 = flight_cross_arm(flight_parse($x86, 'x86')->{jobs});
is_deeply($r86->{changes}, [], 'x86 flight: no changes');
is(flight_format($r86->{jobs}), slurp("$dir/x86-after.txt"), 'x86 flight: as the golden file');
is(slurp("$dir/x86-after.txt"), $x86, 'x86 golden file: unchanged from before');

# The example program prints the golden file.
{
    my $out = `$^X -I. examples/flight-cross-arm.pl $dir/arm-before.txt 2>/dev/null`;
    is($?, 0, 'example exits 0');
    is($out, $golden, 'example prints the golden file');
    my $err = `$^X -I. examples/flight-cross-arm.pl $dir/arm-before.txt 180000=$dir/earlier-180000.txt 2>&1 >/dev/null`;
    like($err, qr/^reuse build-arm64-pvops: use 180000\.build-arm64-pvops$/m, 'example proposes reuse');
    like($err, qr/^rebuild build-armhf-pvops: no earlier build will do: 180000\.build-armhf-pvops: status fail, not pass$/m, 'example: failed build not reused');
}

# Every ARM test job's reference: a kernel build of its arch, cross from amd64.
my $after = $x->{jobs};
foreach my $t (sort keys %$after) {
    my $j = $after->{$t};
    next unless $j->{recipe} =~ m/^test/ && $j->{runvars}{arch} =~ m/^arm/;
    my $k = $j->{runvars}{dikernelbuildjob};
    ok(defined $k, "$t: dikernelbuildjob set");
    my $kj = $after->{$k};
    is($kj->{recipe}, 'build-kern', "$t -> $k: a kernel build");
    is($kj->{runvars}{arch}, $j->{runvars}{arch}, "$t -> $k: same arch");
    my $plan = build_plan($kj->{runvars});
    ok($plan->{cross}, "$t -> $k: a cross build");
    is($plan->{build_arch}, 'amd64', "$t -> $k: from amd64");
    is($plan->{target_arch}, $j->{runvars}{arch}, "$t -> $k: for the test's arch");
    is(build_identity($kj->{runvars}, $k)->{inputs}{build_arch}, 'amd64', "$t -> $k: identity built on amd64");
}

# References resolve once the builds have recorded their outputs.
my $earlier = flight_parse(slurp("$dir/earlier-180000.txt"), 'earlier-180000.txt')->{jobs};
{
    my %ran = %$after;
    $ran{'test-arm64-arm64-xl'} = { %{ $after->{'test-arm64-arm64-xl'} } };
    $ran{'test-arm64-arm64-xl'}{runvars} = { %{ $after->{'test-arm64-arm64-xl'}{runvars} },
                                             dikernelbuildjob => '180000.build-arm64-pvops' };
    my $o = dikernel_outputs('180100', 'test-arm64-arm64-xl', { 180100 => \%ran, 180000 => $earlier });
    is($o->{kerndist}, '180000/build-arm64-pvops/build/kerndist.tar.gz', 'kerndist from the other flight');
    is($o->{deb}, '180000/build-arm64-pvops/build/linux-image.deb', 'deb');
    is($o->{modules_cpio}, undef, 'no modules cpio');
    is($o->{dimodules_cpio}, undef, 'no installer modules cpio');
    is($o->{kernel_ver}, '6.1.119+', 'kernel_ver');
    dies_like { dikernel_outputs('180100', 'test-armhf-armhf-xl', { 180100 => \%ran }) }
        qr/^Osstest::Core::dikernel_outputs: job 180100\.build-armhf-pvops: runvar kernel_ver not set \(the kernel's version, for test-armhf-armhf-xl\) at /,
        'kernel build not run yet';
    dies_like { dikernel_outputs('180100', 'test-arm64-arm64-xl', { 180100 => \%ran }) }
        qr/: job test-arm64-arm64-xl: runvar dikernelbuildjob=180000\.build-arm64-pvops: flight 180000 not given \(have: 180100\) at /,
        'other flight missing';
    dies_like { dikernel_outputs('180100', 'test-nonesuch', { 180100 => \%ran }) }
        qr/: test job: flight 180100 has no job test-nonesuch at /, 'no such test job';
    dies_like { dikernel_outputs('180100', 'test-amd64-amd64-xl', { 180100 => \%ran }) }
        qr/: job test-amd64-amd64-xl: runvar dikernelbuildjob not set \(the installer kernel's build job\) at /,
        'x86 test job has no installer kernel';
    my %bad = (%$earlier);
    $bad{'build-arm64-pvops'} = { %{ $earlier->{'build-arm64-pvops'} } };
    $bad{'build-arm64-pvops'}{runvars} = { %{ $earlier->{'build-arm64-pvops'}{runvars} },
                                           path_kerndist => '../../etc/shadow' };
    dies_like { dikernel_outputs('180100', 'test-arm64-arm64-xl', { 180100 => \%ran, 180000 => \%bad }) }
        qr/: job 180000\.build-arm64-pvops: runvar path_kerndist=\.\.\/\.\.\/etc\/shadow: path has a '\.\.' component at /,
        'path escaping the stash';
    delete $bad{'build-arm64-pvops'}{runvars}{path_kerndist};
    dies_like { dikernel_outputs('180100', 'test-arm64-arm64-xl', { 180100 => \%ran, 180000 => \%bad }) }
        qr/: job 180000\.build-arm64-pvops: runvar path_kerndist not set \(the kernel build's output, for test-arm64-arm64-xl\) at /,
        'missing kerndist';
    $ran{'test-arm64-arm64-xl'}{runvars}{dikernelbuildjob} = 'a.b.c';
    dies_like { dikernel_outputs('180100', 'test-arm64-arm64-xl', { 180100 => \%ran }) }
        qr/: job test-arm64-arm64-xl: runvar dikernelbuildjob=a\.b\.c: not a job reference \(JOB or FLIGHT\.JOB\) at /,
        'bad reference';
    $ran{'test-arm64-arm64-xl'}{runvars}{dikernelbuildjob} = 'build-arm64';
    dies_like { dikernel_outputs('180100', 'test-arm64-arm64-xl', { 180100 => \%ran }) }
        qr/: runvar dikernelbuildjob=build-arm64: 180100\.build-arm64 is not a kernel build job \(recipe build\) at /,
        'reference to a Xen build';
    $ran{'test-arm64-arm64-xl'}{runvars}{dikernelbuildjob} = '180000.build-amd64-pvops';
    dies_like { dikernel_outputs('180100', 'test-arm64-arm64-xl', { 180100 => \%ran, 180000 => $earlier }) }
        qr/: 180000\.build-amd64-pvops builds for amd64, the test job is arm64 at /,
        'reference to another arch';
}

# Build identity from %r.
{
    my %r = %{ $after->{'build-arm64-pvops'}{runvars} };
    my $id = build_identity(\%r, 'build-arm64-pvops');
    like($id->{digest}, qr/^[0-9a-f]{64}$/, 'digest is SHA-256 hex');
    is($id->{inputs}{suite}, 'bookworm', 'suite from the host flags');
    is(build_identity({ %r, host => 'italia0', path_kerndist => 'x', kernel_ver => '6.1' })->{digest},
       $id->{digest}, 'where it ran and what it made do not count');
    isnt(build_identity({ %r, revision_linux => '0' x 40 })->{digest}, $id->{digest}, 'revision counts');
    isnt(build_identity({ %r, kconfig_override_y => 'CONFIG_EXT4_FS' })->{digest}, $id->{digest}, 'kconfig counts');
    isnt(build_identity({ %r, arch => 'armhf' })->{digest}, $id->{digest}, 'arch counts');
    isnt(build_identity({ %r, build_arch => 'arm64',
                          host_hostflags => 'share-build-bookworm-arm64,arch-arm64,suite-bookworm,purpose-build' })->{digest},
         $id->{digest}, 'native is not cross');
    dies_like { build_identity({ %r, revision_linux => 'master' }, 'build-arm64-pvops') }
        qr/^Osstest::Core::build_identity: job build-arm64-pvops: runvar revision_linux=master: not a commit id, and no built_revision_linux: tree_linux is not pinned at /,
        'unpinned tree';
    my %norev = %r; delete $norev{revision_linux};
    dies_like { build_identity(\%norev, 'k') }
        qr/: job k: runvar revision_linux not set \(tree_linux is not pinned to a commit\) at /, 'no revision';
    my %noarch = %r; delete $noarch{arch};
    dies_like { build_identity(\%noarch) }
        qr/: job \(runvars given\): runvar arch not set \(the architecture built for\) at /, 'no arch';
    dies_like { build_identity({ %r, buildjob => 'build-arm64' }, 'k') }
        qr/: job k: runvar buildjob=build-arm64: the build uses another job's output, so it has no identity of its own at /,
        'depends on another job';
    dies_like { build_identity({ %r, host_hostflags => 'suite-bookworm,arch-arm64' }, 'k') }
        qr/: job k: runvar build_arch=amd64 but host_hostflags has arch-arm64: the host would be allocated as one architecture and built on as the other at /,
        'build plan contradiction';
    dies_like { build_identity({ %r, host_hostflags => 'arch-amd64' }, 'k') }
        qr/: job k: no suite for the build host: set runvar host_suite or suite, or a suite-SUITE hostflag in host_hostflags at /, 'no suite';
}

# Reuse: identical passing build proposed; failed, different revision,
# kconfig or arch not.
{
    my $plan = reuse_candidates($after, { 180000 => $earlier });
    is_deeply([ map { "$_->{job} $_->{reference}" } @{ $plan->{reuse} } ],
              [ 'build-arm64-pvops 180000.build-arm64-pvops' ], 'arm64 kernel reused');
    is_deeply([ map { $_->{job} } @{ $plan->{rebuild} } ], [ 'build-armhf-pvops' ], 'failed armhf build not reused');
    ok(scalar(grep { $_ eq 'test-arm64-arm64-xl dikernelbuildjob' } @{ $plan->{reuse}[0]{referrers} }),
       'referrers listed');
    my $applied = reuse_apply($after, $plan);
    ok(!exists $applied->{jobs}{'build-arm64-pvops'}, 'reused job removed');
    is($applied->{jobs}{'test-arm64-arm64-xl'}{runvars}{dikernelbuildjob}, '180000.build-arm64-pvops',
       'installer kernel from the earlier flight');
    is(scalar @{ $applied->{changes} }, 4, 'four references changed');
    my $o = dikernel_outputs('180100', 'test-arm64-arm64-xl-credit2',
                             { 180100 => $applied->{jobs}, 180000 => $earlier });
    is($o->{kerndist}, '180000/build-arm64-pvops/build/kerndist.tar.gz', 'and it resolves');
    my %wrong = %$after;
    $wrong{'test-arm64-arm64-xl'} = { %{ $after->{'test-arm64-arm64-xl'} } };
    $wrong{'test-arm64-arm64-xl'}{runvars} = { %{ $after->{'test-arm64-arm64-xl'}{runvars} } };
    delete $wrong{'test-arm64-arm64-xl'}{runvars}{kernbuildjob};
    dies_like { reuse_apply(\%wrong, $plan) }
        qr/^Osstest::Core::reuse_apply: job test-arm64-arm64-xl: runvar kernbuildjob not set \(reuse of build-arm64-pvops as 180000\.build-arm64-pvops names it as a referrer\) at /,
        'plan for another flight';
    dies_like { reuse_apply($after, { reuse => [ { job => 'build-arm64-pvops' } ] }) }
        qr/argument 2 \(\$plan\): .*missing field/, 'malformed plan';
    foreach my $change ([ revision_linux => 'f' x 40 ], [ kconfig_override_y => 'CONFIG_EXT4_FS' ],
                        [ arch => 'armhf' ]) {
        my %e = %$earlier;
        $e{'build-arm64-pvops'} = { %{ $earlier->{'build-arm64-pvops'} } };
        $e{'build-arm64-pvops'}{runvars} = { %{ $earlier->{'build-arm64-pvops'}{runvars} }, @$change };
        my $p = reuse_candidates($after, { 180000 => \%e });
        is_deeply($p->{reuse}, [], "different $change->[0]: not reused");
    }
}

# Input errors.
dies_like { flight_parse("build-amd64 arch amd64\nbuild-amd64\n", 'dump.txt') }
    qr/^Osstest::Core::flight_parse: dump\.txt:2: expected 'job runvar value', got "build-amd64" at /, 'short line';
dies_like { flight_parse("j arch amd64\nj arch i386\n", 'dump.txt') }
    qr/: dump\.txt:2: job j: runvar arch given twice at /, 'runvar twice';
dies_like { flight_parse("", 'empty.txt') } qr/: empty\.txt:1: no jobs in the listing at /, 'empty listing';
dies_like { flight_cross_arm({ j => { runvar => {} } }) }
    qr/argument 1 \(\$jobs\): .*unknown field `runvar`/, 'typo in a job field';
dies_like { flight_cross_arm($before, { build_arch => 'vax' }) }
    qr/: job \(options\): runvar build_arch=vax: unknown Debian architecture 'vax'/, 'unknown build arch';
dies_like { flight_cross_arm($before, { build_arch => 'arm64' }) }
    qr/: job \(options\): runvar build_arch=arm64: the rewrite moves ARM kernel builds off ARM build hosts at /, 'ARM build arch';
dies_like { flight_cross_arm($before, { buildarch => 'amd64' }) }
    qr/argument 2 \(\$opts\): .*unknown field `buildarch`/, 'typo in an option';
{
    my %j = %$before;
    delete $j{'build-armhf-pvops'};
    $j{'test-armhf-armhf-xl'} = { %{ $before->{'test-armhf-armhf-xl'} } };
    $j{'test-armhf-armhf-xl'}{runvars} = { %{ $before->{'test-armhf-armhf-xl'}{runvars} } };
    dies_like { flight_cross_arm(\%j) }
        qr/: job test-armhf-armhf-xl: runvar kernbuildjob=build-armhf-pvops: no such job in the flight at /,
        'kernbuildjob names a missing job';
    delete $j{'test-armhf-armhf-xl'}{runvars}{kernbuildjob};
    dies_like { flight_cross_arm(\%j) }
        qr/: job test-armhf-armhf-xl \(arch armhf\): no kernel build job for armhf in the flight, and no kernbuildjob at /,
        'no kernel build job';
    $j{'build-armhf-pvops'} = $before->{'build-armhf-pvops'};
    $j{'build-armhf-pvops2'} = $before->{'build-armhf-pvops'};
    dies_like { flight_cross_arm(\%j) }
        qr/: 2 kernel build jobs for armhf \(build-armhf-pvops, build-armhf-pvops2\) and no kernbuildjob to choose at /,
        'two kernel build jobs';
    delete $j{'build-armhf-pvops2'};
    $j{'test-armhf-armhf-xl'}{runvars}{kernbuildjob} = 'build-arm64-pvops';
    dies_like { flight_cross_arm(\%j) }
        qr/: job test-armhf-armhf-xl: runvar kernbuildjob=build-arm64-pvops: build-arm64-pvops builds for arm64, the test job is armhf at /,
        'kernbuildjob of another arch';
    $j{'test-armhf-armhf-xl'}{runvars}{kernbuildjob} = 'build-armhf-pvops';
    $j{'build-armhf-pvops'} = { recipe => 'build-kern', runvars => { %{ $before->{'build-armhf-pvops'}{runvars} } } };
    delete $j{'build-armhf-pvops'}{runvars}{host_hostflags};
    dies_like { flight_cross_arm(\%j) }
        qr/: job build-armhf-pvops: no suite for the build host: set runvar host_suite or suite, or a suite-SUITE hostflag in host_hostflags at /,
        'kernel build without host flags or suite';
    $j{'build-armhf-pvops'}{runvars}{host_hostflags} = 'share-build-bookworm-i386,arch-armhf,suite-bookworm';
    dies_like { flight_cross_arm(\%j) }
        qr/: job build-armhf-pvops: host_hostflags: hostflag share-build-bookworm-i386 shares build hosts of arch i386, but this job's build host is amd64 \(runvar build_arch=amd64\); a cross build shares the build host's class at /,
        'sharing class of another arch';
}

# osstest's own listings: the form is said, the ~ is a mark, a dump is a
# flight per branch, and reuse from a listing says why it cannot be.
{
    my $a = flight_parse(slurp("$dir/earlier-180000-a.txt"), 'earlier-180000-a.txt');
    is($a->{form}, 'mg-show-flight-runvars -a', '-a listing recognised');
    my $k = $a->{jobs}{'build-arm64-pvops'};
    is($k->{runvars}{kernel_ver}, '6.1.119+', 'kernel_ver~ is runvar kernel_ver');
    ok(!exists $k->{runvars}{'kernel_ver~'}, 'the mark is not part of the name');
    ok(scalar(grep { $_ eq 'host' } @{ $k->{synth} }), 'host marked synthetic');
    is(build_identity($k->{runvars}, 'k')->{digest},
       build_identity($earlier->{'build-arm64-pvops'}{runvars}, 'k')->{digest},
       'identity: what the build recorded does not count');
    like(flight_format($a->{jobs}), qr/^build-arm64-pvops +kernel_ver~ +6\.1\.119\+$/m,
         'written back with the mark');
    my %ran = %$after;
    $ran{'test-arm64-arm64-xl'} = { %{ $after->{'test-arm64-arm64-xl'} },
        runvars => { %{ $after->{'test-arm64-arm64-xl'}{runvars} },
                     dikernelbuildjob => '180000.build-arm64-pvops' } };
    is(dikernel_outputs('180100', 'test-arm64-arm64-xl', { 180100 => \%ran, 180000 => $a->{jobs} })
           ->{kernel_ver}, '6.1.119+', 'outputs resolve from an -a listing');
    my $p = reuse_candidates($after, { 180000 => $a->{jobs} });
    is_deeply($p->{reuse}, [], 'no reuse without statuses');
    like($p->{rebuild}[0]{reason}, qr/^no earlier build will do: 180000\.build-arm64-pvops: no status \(a listing carries none: read the flight from osstest's database\)$/,
         'and the reason says so');
    is($p->{rebuild}[0]{considered}[0]{job}, '180000.build-arm64-pvops', 'what was considered');

    my $d = flight_parse(slurp("$dir/dump-standalone.txt"), 'dump-standalone.txt');
    is($d->{form}, 'standalone-generate-dump-flight-runvars', 'dump recognised');
    ok(!defined $d->{jobs}, 'a dump has no single flight');
    is_deeply([ sort keys %{ $d->{branches} } ], [ 'xen-unstable', 'xen-unstable-smoke' ], 'a flight per branch');
    my %x = map { $_ => flight_cross_arm($d->{branches}{$_})->{jobs} } keys %{ $d->{branches} };
    is(build_identity($x{'xen-unstable-smoke'}{'build-arm64-pvops'}{runvars})->{digest},
       build_identity($x{'xen-unstable'}{'build-arm64-pvops'}{runvars})->{digest},
       'scheduling-only runvars do not make two builds');

    my %pinned = %$before;
    $pinned{'build-armhf-pvops'} = { %{ $before->{'build-armhf-pvops'} },
        runvars => { %{ $before->{'build-armhf-pvops'}{runvars} }, host => 'cubietruck-gleizes' } };
    my $r = flight_cross_arm(\%pinned);
    is_deeply([ map { "$_->{job} $_->{host}" } @{ $r->{pinned} } ], [ 'build-armhf-pvops cubietruck-gleizes' ],
              'pinned kernel build reported');
    is_deeply($r->{jobs}{'build-armhf-pvops'}, $pinned{'build-armhf-pvops'}, 'and left alone');
    like($r->{pinned}[0]{message}, qr/^job build-armhf-pvops: runvar host=cubietruck-gleizes pins the build to that host: left as it is/,
         'the message says why');
}
dies_like { flight_parse("j arch amd64\nj host-name x\n", 'l.txt') }
    qr/: l\.txt:2: job j: "host-name" is not a runvar name /, 'not a runvar name';

done_testing();
