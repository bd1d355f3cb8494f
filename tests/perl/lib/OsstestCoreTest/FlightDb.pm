# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Helpers of the Perl tests (slurp, dies_like), and the round trip through
# osstest's database that tests/perl/flight_db_*.t run against a real server: flights loaded as make-flight and a run leave
# them, then flight_from_db -> flight_cross_arm -> reuse_candidates ->
# reuse_apply -> flight_apply_db, and every refusal.
package OsstestCoreTest::FlightDb;

use strict;
use warnings;
use Test::More;
use Osstest::Core;

our @EXPORT = qw(slurp dies_like load_flight round_trip);
use Exporter 'import';

my $dir = 'tests/flights';

sub slurp ($) {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

# Inserts flight $flight with the jobs of $jobs (a flight hashref) as
# cs-job-create and a run would: a flights row, a jobs row each, a runvars
# row each with synth 't' or 'f' as osstest writes them.
sub load_flight ($$$) {
    my ($dbh, $flight, $jobs) = @_;
    $dbh->begin_work;
    $dbh->do('INSERT INTO flights (flight, branch, intended) VALUES (?, ?, ?)',
             {}, $flight, 'xen-unstable', 'real');
    my $j = $dbh->prepare('INSERT INTO jobs (flight, job, recipe, status) VALUES (?, ?, ?, ?)');
    my $r = $dbh->prepare('INSERT INTO runvars (flight, job, name, val, synth) VALUES (?, ?, ?, ?, ?)');
    foreach my $job (sort keys %$jobs) {
        my $x = $jobs->{$job};
        $j->execute($flight, $job, $x->{recipe}, $x->{status} // 'queued');
        my %synth = map { $_ => 1 } @{ $x->{synth} // [] };
        foreach my $name (sort keys %{ $x->{runvars} }) {
            $r->execute($flight, $job, $name, $x->{runvars}{$name}, $synth{$name} ? 't' : 'f');
        }
    }
    $dbh->commit;
}

sub dies_like (&$$) {
    my ($code, $re, $what) = @_;
    my $ok = eval { $code->(); 1 };
    ok(!$ok, "$what: dies");
    like($@, $re, "$what: message");
}

sub parsed ($) { return flight_parse(slurp("$dir/$_[0]"), $_[0])->{jobs}; }

# The flight that ran: statuses from our listing, synthetic marks from
# osstest's -a listing of it.
sub earlier () {
    my $e = parsed('earlier-180000.txt');
    my $a = parsed('earlier-180000-a.txt');
    $e->{$_}{synth} = $a->{$_}{synth} foreach keys %$e;
    return $e;
}

# $refuse_insert: SQL that makes the server refuse inserting runvars of
# job test-armhf-armhf-xl (a trigger), to check a failure halfway leaves
# nothing written.
sub round_trip ($$) {
    my ($dbh, $refuse_insert) = @_;
    my $before = parsed('arm-before.txt');
    my $earlier = earlier();
    load_flight($dbh, 180000, $earlier);
    load_flight($dbh, 180100, $before);

    my $cur = flight_from_db($dbh, 180100);
    is_deeply($cur, $before, 'flight_from_db: the flight make-flight made');
    my $old = flight_from_db($dbh, 180000);
    is_deeply($old, $earlier, 'flight_from_db: statuses and synthetic marks');
    ok(scalar(grep { $_ eq 'kernel_ver' } @{ $old->{'build-arm64-pvops'}{synth} }),
       'kernel_ver is synthetic');

    my $x = flight_cross_arm($cur);
    my $plan = reuse_candidates($x->{jobs}, { 180000 => $old });
    is_deeply([ map { $_->{reference} } @{ $plan->{reuse} } ], [ '180000.build-arm64-pvops' ],
              'reuse from the database: the passing arm64 build');
    is($plan->{rebuild}[0]{reason},
       'no earlier build will do: 180000.build-armhf-pvops: status fail, not pass',
       'the failed armhf build is rebuilt, and why');
    my $r = reuse_apply($x->{jobs}, $plan);
    my $w = flight_apply_db($dbh, 180100, [ $x, $r ]);
    is_deeply($w->{remove}, [ 'build-arm64-pvops' ], 'the reused build job deleted');
    is(scalar @{ $w->{set} }, 7, 'seven runvars written');
    my $back = flight_from_db($dbh, 180100);
    is_deeply($back, $r->{jobs}, 'the database holds the rewritten flight');
    is($back->{'test-arm64-arm64-xl'}{runvars}{dikernelbuildjob}, '180000.build-arm64-pvops',
       'installer kernel from the earlier flight');
    my $rows = $dbh->selectall_arrayref(<<END, {}, 180100);
        SELECT job, name, synth FROM runvars WHERE flight = ? AND name = 'build_arch'
END
    is_deeply([ map { [ $_->[0], $_->[1], (!!$_->[2] && $_->[2] ne 'f') ? 1 : 0 ] } @$rows ],
              [ [ 'build-armhf-pvops', 'build_arch', 0 ] ], 'written not synthetic');
    is(scalar @{ $dbh->selectall_arrayref(<<END, {}, 180100) }, 0, 'the deleted job has no runvars left');
        SELECT * FROM runvars WHERE flight = ? AND job = 'build-arm64-pvops'
END
    is_deeply(flight_apply_db($dbh, 180100, flight_cross_arm($back)), { set => [], remove => [] },
              'a second run writes nothing');
    is_deeply(flight_cross_arm($back)->{changes}, [], 'the rewrite of what was written changes nothing');

    refusals($dbh, $before, $refuse_insert);
}

sub refusals ($$$) {
    my ($dbh, $before, $refuse_insert) = @_;
    # Jobs that are no longer queued: named, nothing written.
    my %started = %$before;
    $started{'build-armhf-pvops'} = { %{ $before->{'build-armhf-pvops'} }, status => 'running' };
    $started{'test-arm64-arm64-xl'} = { %{ $before->{'test-arm64-arm64-xl'} }, status => 'pass' };
    load_flight($dbh, 180200, \%started);
    my $s = flight_from_db($dbh, 180200);
    dies_like { flight_apply_db($dbh, 180200, flight_cross_arm($s)) }
        qr/^Osstest::Core::flight_apply_db: flight 180200: not changing jobs that are no longer queued: build-armhf-pvops \(running\), test-arm64-arm64-xl \(pass\); nothing changed at /,
        'jobs no longer queued';
    is_deeply(flight_from_db($dbh, 180200), $s, 'nothing written');

    # Changed since it was read: refused, nothing written.
    load_flight($dbh, 180300, $before);
    my $f = flight_from_db($dbh, 180300);
    my $x = flight_cross_arm($f);
    $dbh->do(q{UPDATE runvars SET val = 'share-build-trixie-arm64,arch-arm64,suite-trixie,purpose-build'
               WHERE flight = ? AND job = 'build-armhf-pvops' AND name = 'host_hostflags'}, {}, 180300);
    my $now = flight_from_db($dbh, 180300);
    dies_like { flight_apply_db($dbh, 180300, $x) }
        qr/: flight 180300: job build-armhf-pvops runvar host_hostflags is 'share-build-trixie-arm64,arch-arm64,suite-trixie,purpose-build' in the database, the change expected 'share-build-bookworm-armhf,arch-armhf,suite-bookworm,purpose-build' \(the flight changed since it was read\?\); nothing changed at /,
        'changed since read';
    is_deeply(flight_from_db($dbh, 180300), $now, 'nothing written');

    # Inside the caller's transaction: the caller's rollback undoes it.
    load_flight($dbh, 180400, $before);
    my $g = flight_from_db($dbh, 180400);
    $dbh->begin_work;
    flight_apply_db($dbh, 180400, flight_cross_arm($g));
    is(flight_from_db($dbh, 180400)->{'build-armhf-pvops'}{runvars}{build_arch}, 'amd64',
       'in the caller\'s transaction: written');
    $dbh->rollback;
    is_deeply(flight_from_db($dbh, 180400), $g, 'and rolled back by the caller');

    # The server refuses a statement halfway: one transaction, nothing kept.
    $dbh->do($_) foreach @$refuse_insert;
    {
        local $dbh->{PrintError} = 0;
        dies_like { flight_apply_db($dbh, 180400, flight_cross_arm($g)) }
            qr/^Osstest::Core::flight_apply_db: .*refused by the test trigger/s,
            'the server refuses an insert';
    }
    is_deeply(flight_from_db($dbh, 180400), $g, 'nothing of the transaction kept');
    ok($dbh->{AutoCommit}, 'and the handle is back in AutoCommit mode');

    dies_like { flight_from_db($dbh, 999999) }
        qr/^Osstest::Core::flight_from_db: flight 999999: not in the database \(no row in flights\) at /,
        'no such flight';
    $dbh->do(q{INSERT INTO runvars (flight, job, name, val, synth) VALUES (180400, 'build-nonesuch', 'arch', 'amd64', 'f')});
    dies_like { flight_from_db($dbh, 180400) }
        qr/: flight 180400: job build-nonesuch runvar arch: no such job in the jobs table at /,
        'a runvar of no job';
}

1;
