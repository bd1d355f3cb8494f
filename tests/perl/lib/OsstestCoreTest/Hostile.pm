# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Hostile inputs for the Perl tests, made by hand rather than by our
# writers (which refuse to make them): raw newc entries, and file helpers.
package OsstestCoreTest::Hostile;

use strict;
use warnings;

use Exporter qw(import);
our @EXPORT_OK = qw(newc trailer put files_in);

# A raw newc entry: header, name, padding, data, padding.
sub newc ($$$) {
    my ($name, $mode, $data) = @_;
    my $s = sprintf('070701' . ('%08x' x 13), 1, $mode, 0, 0, 1, 0,
                    length $data, 0, 0, 0, 0, length($name) + 1, 0)
        . $name . "\0";
    $s .= "\0" while length($s) % 4;
    $s .= $data;
    $s .= "\0" while length($s) % 4;
    return $s;
}

sub trailer () { newc('TRAILER!!!', 0, '') }

sub put ($$) {
    my ($path, $bytes) = @_;
    open my $f, '>:raw', $path or die "$path: $!";
    print $f $bytes or die "$path: $!";
    close $f or die "$path: $!";
}

# The names in a directory, sorted.
sub files_in ($) {
    my ($dir) = @_;
    opendir my $d, $dir or die "$dir: $!";
    return [ sort grep { !/^\.\.?$/ } readdir $d ];
}

1;
