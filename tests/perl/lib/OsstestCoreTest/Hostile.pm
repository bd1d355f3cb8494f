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
