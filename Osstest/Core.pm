# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# This is part of "osstest", an automated testing framework for Xen.
#
# Osstest::Core: osstest-core's Rust functions, callable from Perl, and
# the few that read and write osstest's database with DBI.

package Osstest::Core;

use strict;
use warnings;

BEGIN {
    use Exporter ();
    our ($VERSION, @ISA, @EXPORT, @EXPORT_OK, %EXPORT_TAGS);
    $VERSION     = '0.1.0';
    @ISA         = qw(Exporter);
    @EXPORT      = qw(
        arch_info
        di_kernel
        installer_modules
        build_plan
        kconfig_check
        kernel_info
        kernel_unpick
        image_file
        flight_cross_arm
        dikernel_outputs
        build_identity
        reuse_candidates
        reuse_apply
        flight_parse
        flight_format
        flight_from_db
        flight_apply_db
        initrd_append
        initrd_inspect
        module_closure
        kernel_deb
        kernel_outputs
        target_install
    );
    %EXPORT_TAGS = ();
    @EXPORT_OK   = qw();
}

use Carp ();
use DynaLoader ();
use File::Basename qw(dirname);
use File::Spec;

our $SHARED_OBJECT;

# Where the shared object is: $OSSTEST_CORE_SO; else installed beside this
# module, as perl's XS modules are (auto/Osstest/Core/Core.so under the
# same directory, which the Debian package puts in perl's vendorarch);
# else the build tree this module sits in (release build first, then
# debug).
sub _find_shared_object () {
    my $env = $ENV{OSSTEST_CORE_SO};
    if (defined $env && length $env) {
        return $env if -f $env;
        die "Osstest::Core: OSSTEST_CORE_SO=$env: no such file\n";
    }
    my $top = dirname(dirname(File::Spec->rel2abs(__FILE__)));
    my $installed = "$top/auto/Osstest/Core/Core.so";
    return $installed if -f $installed;
    my @targets;
    if (defined $ENV{CARGO_TARGET_DIR} && length $ENV{CARGO_TARGET_DIR}) {
        push @targets, File::Spec->rel2abs($ENV{CARGO_TARGET_DIR}, $top);
    }
    push @targets, "$top/target";
    my @tried = ($installed);
    foreach my $target (@targets) {
        foreach my $profile (qw(release debug)) {
            my $f = "$target/$profile/libosstest_xs.so";
            return $f if -f $f;
            push @tried, $f;
        }
    }
    die "Osstest::Core: shared object not found (tried @tried);".
        " build it with 'cargo build --release' in $top,".
        " or set OSSTEST_CORE_SO to its path\n";
}

sub _load () {
    my $file = _find_shared_object();
    my $lib = DynaLoader::dl_load_file($file, 0)
        or die "Osstest::Core: cannot load $file: ".DynaLoader::dl_error()."\n";
    my $boot = DynaLoader::dl_find_symbol($lib, 'boot_Osstest__Core')
        or die "Osstest::Core: $file has no boot_Osstest__Core: ".
               DynaLoader::dl_error()."\n";
    push @DynaLoader::dl_librefs, $lib;
    push @DynaLoader::dl_modules, __PACKAGE__;
    push @DynaLoader::dl_shared_objects, $file;
    my $xs = DynaLoader::dl_install_xsub(__PACKAGE__.'::bootstrap', $boot, $file);
    $xs->(__PACKAGE__, $Osstest::Core::VERSION);
    $SHARED_OBJECT = $file;
}

_load();

#---------- osstest's database ----------

# Dies as the public function $fn, with the message of an inner die
# (from the Rust side or from DBI) and the caller's line.
sub _db_die ($$) {
    my ($fn, $e) = @_;
    $e =~ s/^Osstest::Core::_\w+: //;
    $e =~ s/ at \S+ line \d+\.?\n\z//;
    chomp $e;
    local $Carp::CarpLevel = 1;
    Carp::croak("Osstest::Core::$fn: $e");
}

sub _db_rows ($$@) {
    my ($dbh, $sql, @bind) = @_;
    my $rows = $dbh->selectall_arrayref($sql, {}, @bind);
    die $dbh->errstr."\n" unless $rows;
    return $rows;
}

sub _db_flight ($$) {
    my ($dbh, $flight) = @_;
    my $there = _db_rows($dbh, <<END, $flight);
        SELECT flight FROM flights WHERE flight = ?
END
    die "flight $flight: not in the database (no row in flights)\n"
        unless @$there;
    my $jobs = _db_rows($dbh, <<END, $flight);
        SELECT job, recipe, status FROM jobs WHERE flight = ? ORDER BY job
END
    my $runvars = _db_rows($dbh, <<END, $flight);
        SELECT job, name, val, synth FROM runvars
         WHERE flight = ? ORDER BY job, name
END
    return _flight_from_rows($flight, $jobs, $runvars);
}

sub flight_from_db ($$) {
    my ($dbh, $flight) = @_;
    my $f = eval { _db_flight($dbh, $flight) };
    _db_die('flight_from_db', $@) unless $f;
    return $f;
}

sub _db_apply ($$$) {
    my ($dbh, $flight, $rewrites) = @_;
    my $plan = _flight_db_plan($flight, _db_flight($dbh, $flight), $rewrites);
    my @q = map { $dbh->prepare($_) or die $dbh->errstr."\n" }
        ('DELETE FROM runvars WHERE flight = ? AND job = ? AND name = ?',
         "INSERT INTO runvars (flight, job, name, val, synth)".
         " VALUES (?, ?, ?, ?, 'f')",
         'DELETE FROM runvars WHERE flight = ? AND job = ?',
         'DELETE FROM jobs WHERE flight = ? AND job = ?');
    foreach my $c (@{ $plan->{set} }) {
        $q[0]->execute($flight, $c->{job}, $c->{runvar})
            or die $dbh->errstr."\n";
        $q[1]->execute($flight, $c->{job}, $c->{runvar}, $c->{new})
            or die $dbh->errstr."\n";
    }
    foreach my $job (@{ $plan->{remove} }) {
        foreach my $q (@q[2,3]) {
            $q->execute($flight, $job) or die $dbh->errstr."\n";
        }
    }
    return $plan;
}

sub flight_apply_db ($$$) {
    my ($dbh, $flight, $changes) = @_;
    my @rewrites = map {
        { changes => $_->{changes} // [], removed => $_->{removed} // [] }
    } (ref $changes eq 'ARRAY' ? @$changes : ($changes));
    my $own = $dbh->{AutoCommit};
    my $plan = eval {
        if ($own) {
            $dbh->begin_work or die $dbh->errstr."\n";
            # As osstest's db_retry(..., [qw(flights)], ...) in Executive
            # mode; sqlite's transactions lock the whole database.
            $dbh->do('LOCK TABLE flights IN ACCESS EXCLUSIVE MODE')
                or die $dbh->errstr."\n"
                if $dbh->{Driver}{Name} eq 'Pg';
        }
        my $p = _db_apply($dbh, $flight, \@rewrites);
        if ($own) { $dbh->commit or die $dbh->errstr."\n"; }
        $p;
    };
    if (!$plan) {
        my $e = $@;
        if ($own) { local $@; eval { $dbh->rollback }; }
        _db_die('flight_apply_db', $e);
    }
    return $plan;
}

1;

__END__

=head1 NAME

Osstest::Core - osstest-core's Rust functions, callable from Perl

=head1 SYNOPSIS

    use Osstest::Core;

    my $a = arch_info($r{arch});
    logm("building for $a->{gnu_triplet}");

=head1 DESCRIPTION

The data-heavy and rule-heavy parts of osstest (architectures, build plans,
kernel packages, installer initrds, flights) are implemented in Rust, in
the osstest-core crate. This module loads the shared object built from it
and exports plain Perl functions: they take strings, hashrefs and arrayrefs,
return the same, and C<die> with a message naming the function and the
file, member or runvar at fault. Rust panics arrive as ordinary exceptions;
C<eval> catches them and the interpreter carries on.

Arguments are converted the Perl way: a string of digits is fine where a
number is wanted, and a number where a string is. Booleans come back as 1
or 0, missing values as undef. Objects, tied hashes and code references
are refused with a message.

=head2 Finding the shared object

C<$ENV{OSSTEST_CORE_SO}>, if set, names the shared object to load.
Otherwise it is looked for where perl's XS modules are installed, beside
this module (C<auto/Osstest/Core/Core.so> under the directory holding
C<Osstest/Core.pm>: the Debian package C<libosstest-core-perl> puts both in
perl's vendorarch directory, so C<use Osstest::Core> works with no
environment); then in the build tree this module belongs to
(C<target/release/libosstest_xs.so>, then C<target/debug/...>, under
C<$CARGO_TARGET_DIR> first if that is set); build it with
C<cargo build --release> at the top of the source tree.
C<$Osstest::Core::SHARED_OBJECT> says which file was loaded.

Moving osstest's call sites onto these functions, one at a time, is
described, with the lines of Perl that replace today's code, in
L<Osstest::Core::Migration>.

=head1 FUNCTIONS

=head2 arch_info($debian_arch)

The facts about a Debian architecture, as a hashref:

    debian               armhf
    gnu_triplet          arm-linux-gnueabihf
    cpu                  arm        (DEB_HOST_ARCH_CPU)
    kernel_arch          arm        (Linux's ARCH=)
    xen_target_arch      arm32      (XEN_TARGET_ARCH=, undef where Xen
                                     does not build)
    elf_machine          EM_ARM
    elf_machine_number   40
    bits                 32
    endian               little
    multiarch            arm-linux-gnueabihf  (DEB_HOST_MULTIARCH)
    kernel_make_arch     arm        (what runes pass as ARCH=; i386 and
                                     x86_64 on x86)
    kernel_image_target  zImage
    kernel_image_path    arch/arm/boot/zImage
    dtbs                 1          (dtbs and dtbs_install)
    defconfig            multi_v7_defconfig
    qemu_system          qemu-system-arm
    qemu_machine         virt
    qemu_cpu             cortex-a15 (undef: the machine's default)
    qemu_user            qemu-arm

Dies naming the architecture if it is not one we know.

=head2 Flights

A flight is passed as a hashref of job name to job, each job a hashref

    { recipe  => 'build-kern',     # where known
      status  => 'pass',           # for a flight that has run, where known
      runvars => { arch => 'arm64', ... },
      synth   => [ 'host', 'kernel_ver', ... ] }  # where known

C<synth> names the runvars that are synthetic: recorded by the job as it
ran (osstest's C<runvars.synth>, the C<~> of C<mg-show-flight-runvars -a>),
not set by flight construction. C<flight_from_db> and C<flight_parse> of an
C<-a> listing fill it in; it may be left out.

The installer-kernel runvar is C<dikernelbuildjob>: a job reference
(C<build-arm64-pvops>, or C<12345.build-arm64-pvops> for another
flight's) to the kernel build whose kernel the Debian installer boots and
whose modules go into its initrd. It is separate from C<kernbuildjob>, the
dom0 kernel, so the two can come from different flights.

A I<build job> has a recipe starting with C<build> (or, recipe unknown, a
name starting with C<build->); a I<kernel build job> has recipe
C<build-kern> (or, recipe unknown, is a build job with a C<kconfighow>
runvar). Every other job is a test job.

=head2 flight_cross_arm(\%jobs, \%opts)

The ARM cross rewrite. For each job whose C<arch> is C<armhf> or
C<arm64>: a kernel build job keeps C<arch> (the target) and moves to an
x86 build host: it gets C<build_arch=amd64> (the build plan's explicit
cross runvar, see C<build_plan> below), and in C<host_hostflags> (and
C<hostflags>, C<all_hostflags>) C<arch-TARGET> becomes C<arch-amd64> and
C<share-build-SUITE-TARGET> becomes C<share-build-SUITE-amd64>
(C<arch-amd64> is added if it had no C<arch-*> flag). The result must be a
cross build from amd64 by C<build_plan>'s rules. A test job gets
C<dikernelbuildjob> naming the kernel build job of its arch (its
C<kernbuildjob> if that is one, else the flight's only one); one it already
has is checked and kept. Other jobs, and x86 flights, are left alone; a
second run changes nothing.

A kernel build job with a C<host> runvar (a bisection pins the host a job
ran on) is left as it is and reported in C<pinned>: moving it would
contradict the pin, and a bisection must rebuild what it bisects the way it
was built. Its test jobs still get C<dikernelbuildjob>, naming the native
build. (Once a job is a cross build, a pinned host changes nothing and is
not reported.) Returns

    { jobs    => { ...the rewritten flight... },
      changes => [ { job => ..., runvar => ..., old => ..., new => ... }, ... ],
      removed => [],
      pinned  => [ { job => 'build-armhf-pvops', host => 'cubietruck-gleizes',
                     message => 'job build-armhf-pvops: runvar host=... pins
                                 the build to that host: left as it is, ...' } ] }

C<%opts>: C<build_arch> (default C<amd64>; not an ARM arch). Dies naming
the job and runvar if a test job has no (or more than one) kernel build job
of its arch, a reference names a job that is not a kernel build of that
arch, or a kernel build job's rewritten runvars do not make a build plan
(the plan's message: no suite, two C<arch-*> flags, a sharing class of
another arch, ...); nothing is changed then.

=head2 dikernel_outputs($flight, $job, \%flights)

Resolves the C<dikernelbuildjob> of test job C<$job> of flight C<$flight>.
C<%flights> maps flight numbers to flights (as above), holding C<$flight>
and any flight the reference names. Returns stash paths relative to
osstest's stash root, as C<get_stashed> makes them:

    { flight => '12345', job => 'build-arm64-pvops', arch => 'arm64',
      kernel_ver   => '6.1.119+',
      kerndist     => '12345/build-arm64-pvops/build/kerndist.tar.gz',
      deb          => ... or undef,    # path_kerndeb
      modules_cpio => ... or undef,    # path_kernmodscpio
      dimodules_cpio => ... or undef,  # path_kerndimodscpio: the installer
                                       # subset, to append to d-i's initrd
      outputs      => { kerndist => ..., ... } }   # every path_NAME

Dies naming what is missing: the test job, its C<dikernelbuildjob>, the
flight or job named, the build's C<path_kerndist> or C<kernel_ver> (an
empty C<kernel_ver> or C<arch> is no value); or if
the job named is not a kernel build of the test job's arch, or an output
path could leave the job's stash.

=head2 build_identity(\%r, $job)

What a build job's output depends on, from its runvars:

    { digest => 'SHA-256 hex', inputs => { name => value, ... } }

Left out, because they say where or when it ran or what it made: host
flags; the host (C<host>, C<*_host>), C<path_*>, C<kernel_ver> and
C<built_*> (the runvars a build records; for a job of a flight, every
runvar marked synthetic, whatever its name); and scheduling-only runvars,
which steer host allocation and preparation but never the build:
C<hostalloc_*> (such as C<hostalloc_bonus_previousfail> and
C<hostalloc_maxbonus_variation>) and C<build_lvextend_max>. The build arch
(C<build_arch>) and the suite (C<suite>) come from the job's build plan (as
C<build_plan> makes it). A cross build and a native build of the same
inputs are I<different> builds (different compilers).
Dies, naming C<$job> and the runvar, if a C<tree_X> has no pinned
C<revision_X> (a commit id, or C<built_revision_X>), the job uses another
job's output (C<*buildjob>), C<arch> is not set, or the runvars do not make
a build plan.

=head2 reuse_candidates(\%jobs, \%earlier)

Which ARM kernel build jobs of C<%jobs> an earlier flight already did:
C<%earlier> maps flight numbers to flights with job statuses. A build is
reused from the newest flight with a job of the same identity, status
C<pass>, and C<path_kerndist> and C<kernel_ver> recorded. Returns

    { reuse => [ { job => 'build-arm64-pvops',
                   reference => '180000.build-arm64-pvops',
                   flight => '180000', earlier_job => 'build-arm64-pvops',
                   identity => '...',
                   referrers => [ 'test-arm64-arm64-xl kernbuildjob', ... ] } ],
      rebuild => [ { job => 'build-armhf-pvops',
                     reason => 'no earlier build will do: '.
                               '180000.build-armhf-pvops: status fail, not pass',
                     considered => [ { job => '180000.build-armhf-pvops',
                                       why => 'status fail, not pass' } ] } ] }

A rebuild says, for each earlier kernel build of the same arch, newest
flight first, why it will not do: C<no status> (osstest's listings carry
none: read flights with C<flight_from_db>), C<status fail, not pass>,
C<input kconfig_override_y differs: CONFIG_EXT4_FS there, (unset) here>,
C<built on arm64 (native) there, on amd64 (cross) here: ...>,
C<passed, but recorded no path_kerndist>; or that there was no earlier
kernel build of its arch, or no earlier flight at all.

=head2 reuse_apply(\%jobs, $plan)

Applies the C<reuse> half of a plan from C<reuse_candidates> to the flight
it was made for: each referrer runvar is set to the earlier job's
C<FLIGHT.JOB>, and the replaced job is removed. Returns
C<{ jobs =E<gt> ..., changes =E<gt> [...], removed =E<gt> [JOB, ...] }> as
C<flight_cross_arm> does (C<pinned> empty).
Dies, changing nothing, if the plan names a job or referrer runvar the
flight does not have, if a C<reference> is not C<FLIGHT.JOB> of another
flight (a job pointed at itself, a line break), or if a runvar would
still name a job the plan removes.

=head2 flight_parse($text, $name)

Parses one of osstest's runvar listings and says which it was:

    mg-show-flight-runvars FLIGHT      job runvar value
    mg-show-flight-runvars -a FLIGHT   the same, synthetic runvars marked
                                       with a ~ after the name (kernel_ver~)
    standalone-generate-dump-flight-runvars
                                       branch job runvar value: the -a
                                       listing of each branch's flight

The C<~> is the synthetic mark, not part of the name: C<kernel_ver~> is
runvar C<kernel_ver>, listed in the job's C<synth>. A listing is a dump
when, on its first line and on most of them, the second column is not a
runvar name (letters, digits, C<_>: job names have a C<->) and the third
is. The pseudo-runvars C<recipe> and C<status> may carry a job's recipe
and status (osstest's listings have neither, so a flight read from them
has no statuses: C<reuse_candidates> needs C<flight_from_db>). Returns

    { form => 'mg-show-flight-runvars' or 'mg-show-flight-runvars -a',
      jobs => { ...the flight... } }
    { form => 'standalone-generate-dump-flight-runvars',
      branches => { 'xen-unstable' => { ...the flight... }, ... } }

(an C<-a> listing with no synthetic runvar in it reads as the first form).
Dies naming C<$name> and the line at fault: too few columns, a runvar
column that is not a runvar name, a runvar given twice for a job.

=head2 flight_format(\%jobs)

The flight as an C<mg-show-flight-runvars -a> listing: sorted by runvar
name then job, columns padded, synthetic runvars marked C<~>, recipes and
statuses as C<recipe> and C<status> lines; so C<diff -b> of two listings
reads as with osstest's own, and C<flight_parse> reads it back. Dies,
naming the job and runvar, rather than print what would read back as
another flight: a value with a line break (it could inject a job) or
leading or trailing white space, a job name that is empty, has white
space or starts with C<#>, a runvar name that is not one or is C<recipe>
or C<status>, a job with nothing in it, no jobs at all.

=head2 flight_from_db($dbh, $flight)

Flight C<$flight> from osstest's database, through the DBI handle C<$dbh>
(PostgreSQL in Executive mode, sqlite in standalone mode): its C<jobs>
(recipe, status) and C<runvars> (value, C<synth> as the job's C<synth>
list), as a flight hashref as above. Only C<SELECT>s. Dies naming the
flight if it has no row in C<flights>, and naming the job and runvar for
rows that cannot be osstest's: a runvar of a job not in C<jobs>, a NULL
value, a C<synth> that is not a boolean.

=head2 flight_apply_db($dbh, $flight, $changes)

Writes a rewrite back to flight C<$flight>, as C<cs-adjust-flight> would:
C<$changes> is what C<flight_cross_arm> or C<reuse_apply> returned (its
C<changes> and C<removed>), or an arrayref of several, applied in order.
Each runvar change deletes the runvar's row and inserts the new value, not
synthetic (C<runvar-set>); each removed job loses its runvars and its row
in C<jobs> (C<jobs-del>).

All in one transaction, against the flight as the database has it then
(read again inside it): if C<$dbh> is in AutoCommit mode it begins one
(on PostgreSQL taking osstest's C<LOCK TABLE flights IN ACCESS EXCLUSIVE
MODE>, as C<db_retry> does), commits it, and rolls it back on any error;
inside the caller's transaction (AutoCommit off, for example in
C<db_retry>) it neither begins nor ends one, and dies for the caller to
roll back.

It dies, writing nothing, naming each job the changes touch whose status
is not C<queued> (osstest has taken its runvars, or it has run: a change
would misstate what ran), and naming the job and runvar when a change's
C<old> value is not what the database holds (the flight changed since it
was read), a change is to a synthetic runvar, or a job is missing.
Changes that leave a value as it is are not written. Returns what it
wrote:

    { set    => [ { job, runvar, old, new }, ... ],
      remove => [ JOB, ... ] }

=head2 di_kernel($source, $di_initrd, $outdir, \%opts)

The main job: makes the Debian installer's kernel from C<$source> (a
C<linux-image-*> .deb, an osstest kerndist tarball, or a kernel tree, as
for C<kernel_info>) and the d-i netboot C<initrd.gz> C<$di_initrd>. Writes
into C<$outdir> (created if missing):

    vmlinuz-VERSION    the kernel image, byte for byte
    modules.cpio.gz    a newc cpio of a dependency-closed module subset
    initrd.gz          $di_initrd unchanged, the segment appended
    dtbs.tar.gz        the device trees (when the kernel has any)
    manifest.json      what C<di_kernel> returns

The subset is what the installer needs, from d-i's own module sets, then
closed: every module a selected one needs (C<depends=>, exported
symbols, C<softdep pre:>) is added, whatever its path. The rules, tried
in this order for each module (the first that selects it is the
C<reason> the manifest gives):

    include     a pattern of the include option
    di_initrd   a module of that name is in $di_initrd (the installer's
                own modules, for the kernel it was built with)
    udeb        a kernel-module udeb d-i fetches for osstest's installs
                ships a module at that path (below lib/modules/VERSION,
                .ko, .ko.xz or .ko.zst alike), from the contents_udeb
                index; udeb => its name without the ABI ('scsi-modules')
    needed      what the installer needs beyond the classic list: the
                virtio transports and disk, NVMe, USB storage, vfat with
                nls_cp437 / nls_ascii / nls_utf8, efivarfs
    classic     osstest's classic disk / network / filesystem / LVM paths

Without C<contents_udeb> the default is di_initrd, needed and classic,
which covers QEMU's machines and the classic hardware; with it (what
osstest passes, as C<Osstest::Debian> knows the suite and architecture:
C<dists/SUITE/main/Contents-udeb-ARCH.gz> from the archive), every module
of the udebs named by C<udebs> (default: kernel-image, nic-modules,
nic-shared-modules, nic-usb-modules, usb-modules, usb-storage-modules,
ata-modules, sata-modules, scsi-core-modules, scsi-modules,
mmc-core-modules, mmc-modules, md-modules, crc-modules, crypto-modules,
ext4-modules, fat-modules, efi-modules, i2c-modules) that the new kernel
has at the same path is in too. Modules are stored
as plain C<.ko> (bookworm's installer kmod reads nothing else), with the
subset's C<modules.dep>, C<modules.alias>, C<modules.softdep>,
C<modules.symbols> and C<modules.devname> and the binary indexes
C<modprobe> reads (C<modules.dep.bin>, C<modules.alias.bin>,
C<modules.symbols.bin>, C<modules.builtin.bin>,
C<modules.builtin.alias.bin>), byte for byte as C<depmod> writes them,
and the kernel's C<modules.order>, C<modules.builtin> and
C<modules.builtin.modinfo>. Every module must be for the image's machine
and the kernel's version.

All of a run's outputs appear, or none: they are made in a hidden staging
directory inside C<$outdir> and checked, then published in one step under
an exclusive C<flock> on C<$outdir> (concurrent calls into one directory
publish one after the other), the previous run's outputs that this run
does not have (an old C<vmlinuz-*>, a C<dtbs.tar.gz>) removed, and
C<manifest.json> renamed into place last. So B<C<$outdir> holds a complete
output exactly when C<manifest.json> is there>, and then every file its
C<outputs> name is of that run, complete (sizes and sha256s in it), with
no other run's output beside it. A failure before publishing leaves the
previous output as it was; one while publishing leaves no manifest. A
reader that may overlap a C<di_kernel> into the same directory holds a
shared lock while it reads:

    open my $dh, '<', $outdir or die "$outdir: $!";
    flock $dh, LOCK_SH or die "$outdir: $!";   # use Fcntl qw(:flock)

Returns the manifest as a hashref:

    kernel      { version, package, package_version, debian_arch, image,
                  image_format, elf_machine, bits, modules, module_dir,
                  dtbs, source, source_kind }
    di_initrd   { path, size, sha256, segments, module_versions }
    modules     { matched, added, included, missing => [...],
                  list => [ { name, path, size,
                              reason => 'include' | 'needed' | 'classic',
                              pattern => ... } or
                            { ..., reason => 'di_initrd' } or
                            { ..., reason => 'udeb', udeb => NAME } or
                            { ..., reason => 'dependency' | 'softdep',
                              of => MODULE } ] }
    segment     { compression, size, sha256, cpio_size, moddir, modules,
                  module_bytes, files }
    outputs     { image | modules_segment | initrd | dtbs =>
                  { file, size, sha256 } }
    initrd_segments, options

C<%opts> (all optional; unknown keys die):

    classic => 0                 no default rules (di_initrd, needed,
                                 classic): only include and contents_udeb
    contents_udeb => PATH        the suite's Contents-udeb-ARCH index
                                 (gzipped or not): the udeb rule
    udebs => [NAMES]             the udebs it selects, without their ABI
                                 (default: the list above)
    include => [PATTERNS]        more modules: a name ('dm-mod', '*_zynqmp*')
                                 or a path glob with a '/'
                                 ('kernel/drivers/soc/xilinx/**')
    exclude => [PATTERNS]        drop from what the patterns select
    compression => 'gzip'        of the segment: gzip, xz, zstd or none
    level => N                   its level: gzip 0-12 (default 5), xz 0-9
                                 (default 6), zstd 1-22 (default 19)
    keep_module_compression => 1 store .ko.xz as shipped
    allow_missing => 1           go on when a depends= dependency does not
                                 exist (a missing softdep never stops it)
    max_segment_size => BYTES    die if the segment is larger
    max_initrd_size => BYTES     die if the combined initrd is larger
    mtime => SECONDS             of every entry (default $SOURCE_DATE_EPOCH,
                                 else 0)

Dies naming the file and member at fault: what C<kernel_info> dies of
(the same check, in the same words: no image, mixed versions, a module
for another machine, a package whose C<Architecture> is not the image's),
a selection matching nothing, a missing dependency, a budget exceeded.

=head2 installer_modules($source, $out, \%opts)

Writes just the modules segment of C<di_kernel> to C<$out> (through a
temporary name) and returns

    version, kernel_modules, segment => {...}, modules => {...}

as in C<di_kernel>'s manifest. Takes the same C<%opts>.

=head2 build_plan(\%r)

The build plan of a job, from its runvars: which architecture is built on
which, in which suite, with which compilers, what to install, and the make
and configure runes for Linux and Xen. Reads C<arch> (what is built),
C<host_hostflags> and C<hostflags> (C<arch-X>, C<suite-S>,
C<share-build-S-X>), C<host_suite> or C<suite>, and C<build_arch>, the
explicit cross runvar naming the build host's architecture (it must agree
with any C<arch-X> hostflag). With neither C<build_arch> nor an C<arch-X>
flag the build is native. For C<arch=armhf> on an C<arch-amd64> host:

    build_arch       amd64
    target_arch      armhf
    cross            1
    suite            bookworm
    build_arch_from  host_hostflags   (or build_arch, or native)
    cross_compile    arm-linux-gnueabihf-   (undef when native)
    cc               arm-linux-gnueabihf-gcc
    build_gnu_type   x86_64-linux-gnu       (./configure --build=)
    host_gnu_type    arm-linux-gnueabihf    (./configure --host=)
    packages         { add_architecture => 'armhf',  # dpkg --add-architecture
                       linux => [...], xen_hypervisor => [...],
                       xen_tools => [..., 'libyajl-dev:armhf', ...],
                       xen_tools_unavailable => undef }
    linux            { make_vars => { ARCH => 'arm',
                                      CROSS_COMPILE => 'arm-linux-gnueabihf-' },
                       defconfig_target, image_target, image_path, dtbs,
                       defconfig, build, modules_install, dtbs_install }
    xen              { make_vars => { XEN_TARGET_ARCH => 'arm32', ... },
                       hypervisor, hypervisor_unavailable,
                       tools_configure, tools_build, tools_unavailable }
    xen_unavailable  undef  (why, where Xen does not build for the target)

Each command is C<< { env => {...}, argv => [...], shell => '...' } >>;
linux's install into C<dist/> of the kernel tree. Every C<make> of a cross
plan, Linux's and Xen's, starts with its C<ARCH=> (C<XEN_TARGET_ARCH=>) and
C<CROSS_COMPILE=>; a native plan's runes carry no cross variables at all.

A kernel build job's configuration is C<linux-E<gt>{config}>, from the runvars
C<kconfighow> (C<xen-enable-xen-config>, as C<ts-kernel-build>),
C<kconfig_defconfig> (the base's make targets, instead of the platform's
default C<defconfig_target>: C<NAME_defconfig>, a fragment C<NAME.config>
in the tree's C<kernel/configs/> or C<arch/ARCH/configs/>, C<allnoconfig>,
...) and C<kconfig_override_y>, C<kconfig_override_m>,
C<kconfig_override_n> (comma-separated C<CONFIG_> names, applied last, in
that order); undef without C<kconfighow>:

    config => {
      how       => 'xen-enable-xen-config',
      base      => [ 'multi_v7_defconfig' ],
      base_from => 'platform',        # or 'kconfig_defconfig'
      settings  => [                  # the edit script, in order
        { option => 'CONFIG_MODULES', value => 'y', from => 'modules', checked => 1 },
        { option => 'CONFIG_XEN', value => 'y', from => 'xen', checked => 1 },
        ...,                          # xen-arm (CONFIG_ARM_LPAE), osstest,
                                      # hardware-x86 (x86; checked => 0)
        { option => 'CONFIG_EXT4_FS', value => 'y',
          from => 'kconfig_override_y', checked => 1 } ],
      steps     => [                  # the commands, run in order at the
                                      # top of the tree
        'make ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf- multi_v7_defconfig',
        'scripts/config --file .config --keep-case --enable CONFIG_MODULES',
        'scripts/config --file .config --keep-case --enable CONFIG_NET ...',
        ...,
        'make ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf- olddefconfig' ] }

(each step a command hash as above; C<olddefconfig> is C<yes '' | make
oldconfig> without a pipe). Then run C<build>, C<modules_install> and
C<dtbs_install>, and check the C<.config> with C<kconfig_check>.

Dies naming the runvars at fault on a contradiction: no or an unknown
C<arch>, two C<arch-*> flags, C<build_arch> against the flag, a
C<share-build-*> class not of the build host's arch or suite, disagreeing
suites, no suite, or a pair the suite's Debian cross compilers cannot
serve; an unknown C<kconfighow> (or one for an architecture Linux runs no
Xen on), a C<kconfig_*> runvar without C<kconfighow>, an override that is
not a C<CONFIG_> name or is in two override runvars, a base target that
is not a non-interactive configuration target.

=head2 kconfig_check(\%r, $config, \%opts)

Checks a kernel C<.config> (C<$config>, after the plan's configuration
steps) against the job's edit script: C<olddefconfig> quietly drops an
option whose dependencies are off, or makes a C<y> an C<m>. With
C<< { tree =E<gt> $dir } >> (the kernel tree), the fragments the base names
(C<NAME.config> in C<kconfig_defconfig>, read from C<kernel/configs/> and
C<arch/ARCH/configs/> of C<$dir>) are checked too, each line the edit
script does not set again (C<merge_config.sh> only warns; an C<=m> merged
while C<CONFIG_MODULES> is off becomes C<=y>). Returns

    { checked    => 41,
      mismatches => [ { option => 'CONFIG_XEN_GNTDEV', wanted => 'y',
                        got => 'm', from => 'xen' }, ... ],
      dropped    => [ ... ] }

C<mismatches> are checked options (Xen's, osstest's, C<CONFIG_MODULES>
and the overrides; the fragments' lines, C<from> naming
C<kconfig_defconfig NAME.config>) the C<.config> does not have as the last
line for them asked; C<got> is the value, C<n> (not set) or C<absent>. C<dropped> lists
the same for the unchecked hardware list, for the log. A build should
stop on any mismatch. Dies as C<build_plan> does, if the job has no
C<kconfighow>, if C<$config> (or a fragment) cannot be read or is not a
kernel C<.config>, or if a fragment is in neither place.

=head2 kernel_info($source)

Reads a kernel without extracting anything. C<$source> is a Debian
C<linux-image-*> .deb, an osstest kerndist tarball (gzipped tar of
C<dist/>), or a directory holding C<boot/> and C<lib/modules/VER/> (or
C<usr/lib/modules/VER/>). Every module is read (decompressed if
C<.ko.xz>, C<.ko.zst> or C<.ko.gz>) and must be for the image's machine and
version. Returns a hashref:

    version            6.1.0-50-arm64
    arch               { format => 'arm64 Image', elf_machine => 183, bits => 64 }
    source_kind        deb, kerndist or tree
    debian_arch, package, package_version   (a .deb only; else undef)
    image              boot/vmlinuz-6.1.0-50-arm64 (relative)
    system_map, config relative paths, or undef
    module_dir         lib/modules/VER or usr/lib/modules/VER, or undef
    module_count       3684
    module_compression { '' => 3684 } (or { xz => 4351 }, ...)
    dtb_count, firmware_count, entries

Dies naming the file and member at fault: a module for another machine
or kernel version, a second image, a package whose C<Architecture> is not
the image's, a truncated or corrupt archive.

=head2 kernel_unpick($source, $destdir, \%opts)

Checks C<$source> as C<kernel_info> does and extracts under C<$destdir>
(created if missing) the image, System.map and config, the modules and
their C<modules.*> files, DTBs and firmware, keeping their relative paths.
Returns C<kernel_info>'s hashref plus C<destdir>, C<image_path> (the
extracted image), C<extracted> (entries written), C<extracted_modules> and
C<skipped> (an arrayref: the module tree's C<build> and C<source> links,
which C<modules_install> points at the absolute build tree, are left out).

C<%opts> (all optional; unknown keys die):

    image => 0          do not extract the image
    boot_files => 0     nor System.map and config
    modules => [...]    only these modules: names ('dm-mod'), or
                        directories under the module tree ending in '/'
                        ('kernel/fs/'); default all. A name or
                        directory matching no module dies.
    no_modules => 1     no modules at all
    dtbs => 0, firmware => 0
    other => 1          everything else too (the whole package)

Names are normalised; C<..>, absolute names, links leaving C<$destdir>,
device nodes and writing through symbolic links are refused, so nothing
is written outside C<$destdir>. Each file appears complete (written to a
temporary name, then renamed).

=head2 image_file($path)

What a kernel image, a Xen hypervisor or an ELF program is built for,
from its first 64 KiB (a compressed image is looked into):

    {
      path            => $path,
      format          => 'arm64 Image',  # 'ARM zImage', 'x86 bzImage',
                                         # 'ELF', 'EFI zboot', 'PE', with
                                         # ', gzip' etc. when compressed
      elf_machine     => 183,            # EM_AARCH64
      bits            => 64,
      xen_target_arch => 'arm64',        # undef where Xen builds for no
                                         # architecture of that machine
    }

Xen's Arm hypervisor (C<dist/install/boot/xen>) carries Linux's arm64
Image or ARM zImage header, and C<xen-syms> and the tools are ELF, so a
build job can check what it built against C<build_plan>'s target:

    my $x = image_file("$builddir/xen/dist/install/boot/xen");
    die "built for $x->{xen_target_arch}"
        unless $x->{xen_target_arch} eq $plan->{xen}{make_vars}{XEN_TARGET_ARCH};

Dies naming the file if it cannot be read or is no format it knows.

=head2 initrd_append($initrd, \@segments, $out, \%opts)

Writes C<$out>: the initrd C<$initrd>, byte for byte, followed by each
segment, as the kernel unpacks concatenated cpio archives (a later name
replaces an earlier one). This is how the installer's C<initrd.gz> gets a
kernel's modules without being rebuilt.

Each element of C<@segments> is one of

    "/path/to/dir"                  a directory, packed with its contents at /
    "/path/to/archive.cpio.gz"      a cpio archive (compressed or not),
                                    appended as it is
    { dir => $d, prefix => "lib/modules/$ver" }
                                    a directory, packed under prefix
    { archive => $file }            as a plain file path

Packed directories become new newc archives: sorted names, parents before
children, owner 0, every mtime C<$opts{mtime}>; symlinks stay symlinks and
files with several names become hard links. Each segment starts at a
multiple of 4 bytes (zero padding, which the kernel skips).


    compression   gzip (default), xz (CRC32 check, as the kernel needs),
                  zstd or none
    level         compression level (default gzip 5, xz 6, zstd 19;
                  gzip 0-12, xz 0-9, zstd 1-22)
    threads       xz worker threads, 1 to 64 (default 1; same bytes for
                  any count)
    mtime         mtime of new entries (default $ENV{SOURCE_DATE_EPOCH},
                  else 0)
    max_size      most bytes the output may have
    max_unpacked  most bytes of file data the unpacked image may hold

The result is written to an exclusive temporary name beside C<$out>, read
back and checked before it is renamed into place, so C<$out> is either the
complete new initrd or untouched. Errors name the file at fault: a corrupt
base or segment as itself, with its own offsets (not the temporary file); a
failing write (a full file system) as C<$out>. An empty C<$out>, or one
inside a directory being packed, dies. Over a budget
dies listing the largest contributors (segments for C<max_size>, files
for C<max_unpacked>). Returns

    {
      path             => $out,
      size             => bytes,
      segments         => [ SEGMENT, ... ],   # every segment, base first
      first_appended   => index in segments of the first new one,
      merged_data_size => bytes of file data once unpacked,
      warnings         => [ "...", ... ],
    }

where each SEGMENT is

    { index => 0, offset => 0, length => 40147331, compression => 'gzip',
      archives => 1, entries => 2625, uncompressed_size => bytes,
      data_size => bytes }

=head2 initrd_inspect($initrd)

What is in an initrd, as C<lsinitramfs> would say: its segments (the
SEGMENT hashes above) and the merged view, what the kernel leaves at each
path after unpacking them all in order:

    {
      path => $initrd, size => bytes,
      segments => [ SEGMENT, ... ],
      files => [
        { name => 'lib/modules/6.1.0-50-arm64/kernel/fs/ext4/ext4.ko',
          segment => 1,          # where the final version comes from
          kind => 'file',        # file directory symlink chardevice
                                 # blockdevice fifo socket
          mode => 0644, size => bytes,
          link_target => undef,  # a symlink's target
          hard_link_to => undef, # an earlier name of the same file
          replaced => [0] },     # segments whose version it replaced
        ...                      # sorted by name; no leading / or ./
      ],
      merged_data_size => bytes,
      warnings => [ ... ],       # names with .. or absolute, xz checks the
                                 # kernel rejects, files over directories
    }

Dies naming the file, segment and member if the kernel would not unpack
it (junk between segments, a truncated stream or archive, a bad
checksum), and if the file holds no archive at all (empty, or only zero
bytes). The C<warnings> list keeps the first 100, then says how many
more there were; C<elf_machines> lists the ELF files of all segments by
C<machine> (C<EM_*>) and C<bits>, most C<files> first.

=head3 Bounds

Reading an initrd takes bounded memory and time whatever the input. The
merged view holds one record per name, so C<initrd_inspect>,
C<initrd_append> (which reads back its base and its result) and
C<di_kernel> (which reads the d-i initrd) die naming the file, the
segment and the bound when an initrd has more than

    131,072 entries in all segments (3 million empty entries fit in a
            2.8 MB xz stream)
    32 MiB  of names and symbolic link targets
    4 GiB   of cpio once decompressed
    16 MiB  of zero bytes in a row, between segments or after a trailer
            (so /dev/zero is given up on, not read forever)

each far above any real installer initrd (bookworm's arm64 C<initrd.gz>
has about 2,600 entries; a kernel's whole module tree adds about 4,500).
Under C<ulimit -v 1000000> the 3-million-entry bomb is an ordinary die.

=head2 module_closure($moddir, \%opts)

The modules to put in the installer's initrd, from an unpacked kernel's
module directory C<$moddir> (C<.../lib/modules/VERSION>, plain C<.ko>
files: it dies naming the first compressed one). Starts from the modules
that selection patterns match and adds, whatever their path, every
module they need: C<depends=>, the owners of the symbols they use, and
C<softdep=pre:> modules. Options:

    classic   start from the installer's default patterns: the classic
              disk / network / filesystem / LVM paths (kernel/lib,
              kernel/crypto, fs/ext*, fs/jbd*,
              drivers/{ata,md,mmc,net,scsi,usb/host,...}) and what the
              installer needs beyond them (drivers/virtio, virtio_blk,
              nvme, usb-storage, fs/fat, nls_cp437, nls_ascii,
              nls_utf8, efivarfs); default 1
    include   [patterns] also select these
    exclude   [patterns] do not select these (dependencies still come)
    indexes   also return the depmod text index files of the subset

A pattern with a C</> is a glob over the module's path with any
compression suffix removed (C<kernel/drivers/net/ethernet/cadence/**>:
C<*> stays within a directory, C<**> crosses them); any other is a glob
over module names (C<macb>, C<virtio_*>; C<-> and C<_> alike; a name
pattern with a C<.> dies, suggesting C<**/file.ko>). Unknown option names
die. Returns a hashref:

    modules   [ { name => 'dax', path => 'kernel/drivers/dax/dax.ko',
                  reason => 'dependency', of => 'dm_mod' },
                { name => 'ext4', ..., reason => 'classic',
                  pattern => 'kernel/fs/ext*/**' },
                { name => 'vfat', ..., reason => 'needed',
                  pattern => 'kernel/fs/fat/**' },
                { name => 'macb', ..., reason => 'include',
                  pattern => 'macb' },
                { ..., reason => 'softdep', of => 'crc_t10dif' }, ... ]
    matched   how many the patterns selected
    added     how many the closure added
    missing   [ { name, wanted_by, how => 'depends' | 'softdep' } ]:
              dependencies the kernel has neither as a module nor
              built in
    indexes   with the option: { dep, alias, softdep, symbols, devname },
              the text of modules.dep and friends exactly as
              C<depmod -b> writes them for the subset

Dies naming the file at fault if a module cannot be read, if a module is
over 256 MiB (refused before it is read; no real module comes near), if
a name in the tree is not UTF-8 (shown with its bytes), if the directory
holds no module, if an C<include> pattern matches no module of the
kernel (a typo, or a driver it lacks), or if the selection matches
nothing. Long aliases go into C<modules.alias.bin> as C<depmod> cuts
them, at 4095 bytes.

=head2 kernel_deb($source, $outdir, \%opts)

Writes a C<linux-image-VER> package of the kernel tree C<$source> (the
directory C<make install>, C<modules_install> and C<dtbs_install> fill:
C<boot/vmlinuz-VER>, C<boot/System.map-VER>, C<boot/config-VER>,
C<lib/modules/VER/>, C<boot/dtbs/VER/>; or a Debian linux-image
unpacked with C<dpkg-deb -x>, whose C<usr/share> doc, bug and lintian
files are skipped) into C<$outdir> as C<linux-image-VER_VERSION_ARCH.deb>, and
returns

    path          the .deb written
    release       the kernel release (VER)
    control       { Package => ..., Version => ..., Architecture => ..., ... }
    modules_dir   lib/modules/VER (usr/lib/modules/VER from trixie on)
    image         boot/vmlinuz-VER
    files         how many regular files it holds
    skipped       [ members left out: the build/source symlinks and
                    depmod's indexes, which postinst regenerates ]

Options: C<arch> (the target's Debian architecture) and C<suite> (which
decides the layout) are required; C<release> (default: from the tree's
one C<boot/vmlinuz-*>), C<deb_version> (default: the release),
C<maintainer>, C<source_date_epoch> (default C<$ENV{SOURCE_DATE_EPOCH}>;
one of them must be set: the output is byte-for-byte reproducible),
C<xz_level> (0-9, default 6), C<xz_threads> (default 1).

DTBs go under C<usr/lib/linux-image-VER/>, where flash-kernel looks. The
maintainer scripts run C<depmod> and the C</etc/kernel/*.d> hooks with the
arguments Debian's kernel packages pass, so initramfs-tools, grub and
flash-kernel do their part on C<dpkg -i>. Dies naming the file at fault
for a tree member that has no place in a kernel package, or whose name a
package cannot carry (not UTF-8, or with a newline).

The package appears whole or not at all: its data is spooled beside it
under an unguessable name and the C<.deb> renamed into place once
complete. An empty C<$outdir> (which would mean the current directory)
and an C<$outdir> inside the tree C<$source> are refused; a full or
read-only file system is blamed on the C<.deb>, never on a tree member.

=head2 kernel_outputs(\%r)

Which outputs a kernel build's runvars ask for, beside C<kerndist>. The
runvar C<kernbuild_outputs> lists words, separated by commas or spaces:

    deb             linux-image .deb      path_kerndeb         kerndeb.deb
    modules-cpio    every module, cpio    path_kernmodscpio    kernmodscpio.cpio.gz
    dimodules-cpio  installer subset      path_kerndimodscpio  kerndimodscpio.cpio.gz
    none            nothing more (as absent or empty)

C<installer_modules> writes the cpios: C<dimodules-cpio> with its default
options, C<modules-cpio> with C<< { classic => 0, include => ['*'] } >>.

Returns C<{ deb, modules_cpio, dimodules_cpio }> (booleans) and
C<outputs>, a list of C<{ word, item, path_runvar, file, modules }> in
that order (C<modules> is C<all> or C<installer> for the cpios). Dies
naming the runvar for an unknown word.

=head2 target_install(\%opts)

What C<Osstest/Debian.pm> needs to put our kernel onto the system d-i
installs. Options: C<release> (the build's C<kernel_ver>), C<arch>,
C<suite>, exactly one of C<deb_url> (our package) and C<kerndist_url>,
and optionally C<script_url> and C<cmdline>. Returns

    script    a sh script for preseed/late_command: fetches the package
              into the target and runs 'in-target dpkg -i' (or unpacks
              kerndist, runs depmod and /etc/kernel/postinst.d as a
              package's postinst would), then checks the initrd exists.
              Takes the target's root as its argument (default /target).
    preseed   'd-i preseed/late_command string ...' running the script
              fetched from script_url (undef without script_url)
    boot      { kernel => '/boot/vmlinuz-VER',
                initrd => '/boot/initrd.img-VER',
                dtb_dir => '/usr/lib/linux-image-VER' (ARM; else undef),
                modules_dir => '/lib/modules/VER', cmdline => ... }

=cut
