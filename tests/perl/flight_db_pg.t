# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# flight_from_db and flight_apply_db against a real PostgreSQL server
# (Debian's postgresql), with the tables of osstest's Executive schema:
# the round trip and every refusal.
#
# The test runs its own server: initdb makes a cluster in a temporary
# directory and pg_ctl starts it listening only on a Unix socket in that
# directory (no TCP port, so it cannot clash with any other server), as
# the user running the test, or as 'nobody' when that is root (PostgreSQL
# refuses to run as root). An END block stops it (pg_ctl stop -m
# immediate) however the test ends, and the directory is removed.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use DBI;
use Osstest::Core;
use lib 'tests/perl/lib';
use OsstestCoreTest::FlightDb;

my ($bindir) = reverse sort glob '/usr/lib/postgresql/*/bin';
die "PostgreSQL's initdb and pg_ctl not found under /usr/lib/postgresql/*/bin:".
    " install postgresql (tests/install-deps)\n"
    unless $bindir && -x "$bindir/initdb" && -x "$bindir/pg_ctl";

my $dir = tempdir(CLEANUP => 1);
my @as = ();
if ($> == 0) {
    my (undef, undef, $uid, $gid) = getpwnam('nobody') or die "no user nobody\n";
    chown $uid, $gid, $dir or die "chown $dir: $!";
    @as = qw(runuser -u nobody --);
}
our $started;

sub pg (@) {
    my @cmd = (@as, @_);
    system(@cmd) == 0 or die "@cmd: exit status $?\n";
}

END {
    if ($started) {
        local $?;
        system(@as, "$bindir/pg_ctl", '-D', "$dir/data", '-m', 'immediate', '-w',
               'stop') == 0 or warn "pg_ctl stop failed: $?\n";
    }
}
$SIG{$_} = sub { die "killed\n" } foreach qw(INT TERM HUP);

{
    my @cmd = (@as, "$bindir/initdb", '-D', "$dir/data", '-U', 'osstest',
               '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C');
    open my $out, '-|', @cmd or die "@cmd: $!";
    my $log = do { local $/; <$out> };
    close $out or die "@cmd failed: $log\n";
}
mkdir "$dir/sock" or die $!;
chown((stat $dir)[4], (stat $dir)[5], "$dir/sock") or die $!;
$started = 1;
pg("$bindir/pg_ctl", '-D', "$dir/data", '-l', "$dir/log", '-w', '-s',
   '-o', "-k $dir/sock -c listen_addresses= -F", 'start');
note("PostgreSQL ", `$bindir/postgres --version`);

my $dbh = DBI->connect("dbi:Pg:dbname=postgres;host=$dir/sock", 'osstest', '',
                       { AutoCommit => 1, RaiseError => 1, PrintError => 0 })
    or die "PostgreSQL: $DBI::errstr";
$dbh->do('SET client_min_messages = warning');

# The columns, types, defaults and keys of osstest's Executive schema for
# the tables flights are made of (and steps, which refers to jobs).
$dbh->do($_) foreach (<<END, <<END, <<END, <<END);
CREATE TABLE flights (
    flight   serial PRIMARY KEY,
    started  integer DEFAULT 0 NOT NULL,
    blessing text DEFAULT 'unknown' NOT NULL,
    branch   text NOT NULL,
    intended text
)
END
CREATE TABLE jobs (
    flight integer NOT NULL REFERENCES flights (flight),
    job    character varying NOT NULL,
    recipe text,
    status text DEFAULT 'stopped' NOT NULL,
    PRIMARY KEY (flight, job)
)
END
CREATE TABLE runvars (
    flight integer NOT NULL,
    job    character varying NOT NULL,
    name   character varying NOT NULL,
    val    character varying,
    synth  boolean NOT NULL,
    PRIMARY KEY (flight, job, name)
)
END
CREATE TABLE steps (
    flight   integer NOT NULL,
    job      character varying NOT NULL,
    stepno   integer NOT NULL,
    step     character varying NOT NULL,
    status   character varying NOT NULL,
    testid   text,
    started  integer,
    finished integer,
    PRIMARY KEY (flight, job, stepno),
    FOREIGN KEY (flight, job) REFERENCES jobs (flight, job)
)
END

round_trip($dbh, [ <<END, <<END ]);
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
  BEGIN RAISE EXCEPTION 'refused by the test trigger'; END
\$\$
END
CREATE TRIGGER refuse BEFORE INSERT ON runvars FOR EACH ROW
  WHEN (NEW.job = 'test-armhf-armhf-xl') EXECUTE FUNCTION refuse()
END

# A NULL value, which the Executive schema allows, is refused by name.
$dbh->do(q{UPDATE runvars SET val = NULL WHERE flight = 180000 AND job = 'build-arm64-pvops' AND name = 'arch'});
my $ok = eval { flight_from_db($dbh, 180000); 1 };
ok(!$ok, 'NULL value: dies');
like($@, qr/^Osstest::Core::flight_from_db: flight 180000: job build-arm64-pvops runvar arch: value is NULL at /,
     'NULL value: named');

$dbh->disconnect;
done_testing();
