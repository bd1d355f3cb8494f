# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Osstest::Core loads from the build tree and exports what it documents.
use strict;
use warnings;
use Test::More;

use_ok('Osstest::Core') or BAIL_OUT("cannot load Osstest::Core");

ok(-f $Osstest::Core::SHARED_OBJECT, "loaded $Osstest::Core::SHARED_OBJECT");
like($Osstest::Core::SHARED_OBJECT, qr{/libosstest_xs\.so$}, 'the shared object we built');

# Every registered public function is exported and has POD; nothing is
# exported that neither Rust nor the module's own Perl (the functions that
# talk to osstest's database through DBI) provides.
my @registered = @{ Osstest::Core::_functions() };
ok(scalar(@registered) >= 3, 'registry lists functions');
my @in_perl = qw(flight_from_db flight_apply_db);
my @public = sort((grep { !/^_/ } @registered), @in_perl);
is_deeply([sort @Osstest::Core::EXPORT], \@public, '@EXPORT lists every public function');
foreach my $f (@in_perl) {
    ok(!grep({ $_ eq $f } @registered), "$f is Perl, not also in the registry");
    ok(defined &{"Osstest::Core::$f"}, "Osstest::Core::$f is defined");
}
foreach my $f (@registered) {
    ok(defined &{"Osstest::Core::$f"}, "Osstest::Core::$f is defined");
}

open my $pm, '<', $INC{'Osstest/Core.pm'} or die $!;
my $pod = do { local $/; <$pm> };
foreach my $f (@public) {
    like($pod, qr/^=head2 \Q$f\E\(/m, "$f has POD");
}

# Exporter works as in osstest's other modules.
package Some::Caller;
Osstest::Core->import();
::ok(defined &Some::Caller::arch_info, 'arch_info imported by default');

::done_testing();
