# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# flight_from_db and flight_apply_db against a real sqlite database
# (DBD::SQLite) with the tables osstest's standalone mode makes
# (standalone-reset): the round trip and every refusal.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use DBI;
use lib 'tests/perl/lib';
use OsstestCoreTest::FlightDb;

my $dir = tempdir(CLEANUP => 1);
my $dbh = DBI->connect("dbi:SQLite:dbname=$dir/standalone.db", '', '',
                       { AutoCommit => 1, RaiseError => 1, PrintError => 0 })
    or die "sqlite: $DBI::errstr";

# The columns and keys of osstest's standalone schema; flights are named
# by text there ('standalone', 'check_xen_unstable').
$dbh->do($_) foreach (<<END, <<END, <<END);
CREATE TABLE flights (
    flight   TEXT PRIMARY KEY,
    intended TEXT,
    branch   TEXT
)
END
CREATE TABLE jobs (
    flight TEXT NOT NULL,
    job    TEXT NOT NULL,
    recipe TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (flight, job)
)
END
CREATE TABLE runvars (
    flight TEXT NOT NULL,
    job    TEXT NOT NULL,
    name   TEXT NOT NULL,
    val    TEXT NOT NULL,
    synth  BOOLEAN NOT NULL,
    PRIMARY KEY (flight, job, name)
)
END

round_trip($dbh, [ <<END ]);
CREATE TRIGGER refuse BEFORE INSERT ON runvars
  WHEN NEW.job = 'test-armhf-armhf-xl'
  BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END
END

# osstest's sqlite rows say 't' and 'f' for synth, as written above.
my ($t) = $dbh->selectrow_array(q{SELECT synth FROM runvars WHERE flight = '180000' AND name = 'kernel_ver' AND job = 'build-arm64-pvops'});
is($t, 't', "synth stored as osstest's sqlite rows have it");

$dbh->disconnect;
done_testing();
