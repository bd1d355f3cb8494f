# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# Helpers for the end-to-end scripts (tests/e2e, tests/e2e-lib/*.pl):
# steps timed and judged, commands run as argv with their output in a log,
# small files read and written whole.
package E2E;

use strict;
use warnings;

use Exporter qw(import);
use Time::HiRes qw(time);
use POSIX qw();

our @EXPORT = qw(steps_begin step steps_summary run_logged output slurp spew_atomic);

my $prefix = 'e2e';
my $logfh;
my @done;

=head1 NAME

E2E - timed steps, logged commands and whole files for the end-to-end scripts

=head2 steps_begin($prefix, $log)

Every message starts with C<$prefix:>; commands' output and the step lines
go to C<$log> (written afresh, unbuffered).

=cut

sub steps_begin ($$) {
    my ($p, $log) = @_;
    $prefix = $p;
    open $logfh, '>', $log or die "$log: $!\n";
    $logfh->autoflush(1);
    @done = ();
}

sub _say (@) {
    my $line = "$prefix: @_\n";
    print $line;
    print $logfh $line if $logfh;
}

sub _cpu () {
    my (undef, undef, $cu, $cs) = POSIX::times();
    return ($cu + $cs) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}

=head2 step($name, $code)

Runs C<$code>, printing the step's name, then its wall time, the CPU time
of the commands it ran, and C<ok> with what C<$code> returned, or
C<FAILED> with why. A failure prints the summary and exits 1 naming the
step.

=cut

sub step ($$) {
    my ($name, $code) = @_;
    _say("=== $name");
    my ($t0, $c0) = (time, _cpu());
    my $detail = eval { $code->() };
    my $err = $@;
    my ($dt, $dc) = (time - $t0, _cpu() - $c0);
    push @done, [ $name, $dt, $dc, $err ? 'FAILED' : 'ok' ];
    if ($err) {
        chomp $err;
        _say(sprintf "--- %s FAILED after %.1f s: %s", $name, $dt, $err);
        steps_summary();
        print STDERR "$prefix: step $name failed\n";
        exit 1;
    }
    _say(sprintf "--- %s ok (%.1f s wall, %.1f s CPU)%s", $name, $dt, $dc,
         defined $detail && length $detail ? ": $detail" : '');
    return $detail;
}

=head2 steps_summary()

Prints each step done with its wall and CPU time and verdict.

=cut

sub steps_summary () {
    _say("summary (wall, CPU of commands, verdict):");
    _say(sprintf "  %-10s %8.1f s %8.1f s  %s", @$_) foreach @done;
}

=head2 run_logged(\%env, $dir, @argv)

Runs C<@argv> (no shell) in C<$dir> with C<%env> added to the
environment, its standard output and error appended to the log. Dies
naming the command and its exit status.

=cut

sub run_logged ($$@) {
    my ($env, $dir, @argv) = @_;
    die "run_logged before steps_begin\n" unless $logfh;
    print $logfh "+ (cd $dir && ".join(' ', (map { "$_=$env->{$_}" } sort keys %$env), @argv).")\n";
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        chdir $dir or die "$dir: $!\n";
        $ENV{$_} = $env->{$_} foreach keys %$env;
        open STDIN, '<', '/dev/null' or die "/dev/null: $!\n";
        open STDOUT, '>&', $logfh or die "log: $!\n";
        open STDERR, '>&', $logfh or die "log: $!\n";
        exec { $argv[0] } @argv;
        die "$argv[0]: $!\n";
    }
    waitpid($pid, 0) == $pid or die "waitpid: $!\n";
    return if $? == 0;
    my $why = $? & 127 ? "signal ".($? & 127) : "exit status ".($? >> 8);
    die "@argv: $why (output in the log)\n";
}

=head2 output(@argv)

Runs C<@argv> (no shell) and returns its standard output without the last
newline; dies naming the command if it fails.

=cut

sub output (@) {
    my @argv = @_;
    open my $fh, '-|', @argv or die "$argv[0]: $!\n";
    my $out = do { local $/; <$fh> } // '';
    close $fh or die "@argv: ".($! ? $! : "exit status ".($? >> 8))."\n";
    $out =~ s/\n\z//;
    return $out;
}

=head2 slurp($file)

The whole of C<$file>; dies naming it.

=cut

sub slurp ($) {
    my ($f) = @_;
    open my $fh, '<', $f or die "$f: $!\n";
    local $/;
    return scalar <$fh>;
}

=head2 spew_atomic($file, $text)

Writes C<$text> to a temporary name beside C<$file> and renames it into
place, so C<$file> is whole or absent.

=cut

sub spew_atomic ($$) {
    my ($f, $text) = @_;
    my $tmp = "$f.tmp.$$";
    open my $fh, '>', $tmp or die "$tmp: $!\n";
    print $fh $text or die "$tmp: $!\n";
    close $fh or die "$tmp: $!\n";
    rename $tmp, $f or die "$f: $!\n";
}

1;
