#!/usr/bin/perl
# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.
#
# tests/e2e-lib/build-kernel.pl ARCH WORKDIR: osstest's kernel build job,
# for real, on this machine.
#
# ARCH is amd64, arm64 or armhf. The job is build-ARCH-pvops of a realistic
# flight (tests/flights/arm-before.txt) after flight_cross_arm, so arm64
# and armhf are cross-built on amd64 and amd64 is native; to its runvars
# this test adds
#
#   kernbuild_outputs   deb,dimodules-cpio
#   kconfig_defconfig   allnoconfig osstest-e2e-ARCH.config osstest-e2e.config
#                       (tests/e2e-lib/kconfig/: a small base for QEMU's
#                       machines, so the build takes minutes, not an hour)
#   kconfig_override_m  CONFIG_BLK_DEV_DM
#   kconfig_override_n  CONFIG_SCSI_LOWLEVEL (amd64: osstest's x86 hardware
#                       list would otherwise build some forty HBA drivers)
#
# (armhf keeps the flight's kconfig_override_y=CONFIG_EXT4_FS). Everything
# else comes from Osstest::Core as osstest would use it: build_plan's
# packages (checked installed), its configuration steps (kconfighow's Xen
# options and the overrides) run as argv in Debian's linux-source tree,
# kconfig_check, its build, modules_install and dtbs_install runes; then
# kinstall as ts-kernel-build does it (dist/boot/{vmlinuz,System.map,config}-VER,
# VER the one directory under dist/lib/modules), the kerndist stash, and
# kernel_outputs' outputs made with kernel_deb and installer_modules. The
# kerndist is checked with kernel_info and kernel_unpick (the image's
# machine, kernel_ver, the drivers as modules) and its installed config
# with kconfig_check.
#
# Leaves in WORKDIR: kerndist.tar.gz, kerndeb.deb, kerndimodscpio.cpio.gz
# (the stash, named as kernel_outputs names them), runvars (the build job's
# runvars as a 'job runvar value' listing, path_* relative to WORKDIR),
# inputs (what the kerndist was built from) and build.log. The kernel tree
# (WORKDIR/linux, hard links to the tree tests/fetch unpacked once, which a
# step checks the build left unchanged) is removed after a good build and
# kept after a failure.
#
# Reuse: a finished WORKDIR/kerndist.tar.gz is used again, without
# building, when WORKDIR/inputs is exactly what this run would write: the
# sha256 of linux-source's .deb, of this script, of E2E.pm and of each
# config fragment; the versions of the plan's packages as installed; the
# job's runvars; and the whole plan (so any change of runes, options or
# packages rebuilds). The checks and the outputs are made again every time.
#
# Each step is printed with its wall time, the CPU time of its commands and
# a verdict; a failure exits 1 naming the step. Runs nice'd. Needs what
# tests/install-deps installs; fetches into $OSSTEST_CACHE (default .cache).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../..", "$FindBin::Bin";

use Cwd qw(abs_path);
use Digest::SHA;
use Fcntl qw(:flock);
use File::Copy qw(copy);
use File::Find qw();
use File::Path qw(make_path remove_tree);
use JSON::PP;
use POSIX qw();

use E2E;
use Osstest::Core;

my %modules = (
    # what d-i and the target load from our kernel, as modules
    common => [qw(virtio_pci virtio_mmio virtio_blk virtio_net vfat nls_cp437
                  nls_ascii efivarfs dm_mod)],
    amd64  => [qw(ext4 ahci sd_mod)],
    arm64  => [qw(ext4)],
    armhf  => [],       # ext4 is built in: the flight's kconfig_override_y
);

my ($arch, $work) = @ARGV;
die "usage: $0 amd64|arm64|armhf WORKDIR\n"
    unless @ARGV == 2 && $modules{$arch} && $arch ne 'common';
my $top = abs_path("$FindBin::Bin/../..");
my $suite = 'bookworm';
my $job = "build-$arch-pvops";
$ENV{OSSTEST_CACHE} //= "$top/.cache";

die "$work: a symbolic link; give the directory itself\n" if -l $work;
make_path($work);
$work = abs_path($work);
open my $lock, '>', "$work/.lock" or die "$work/.lock: $!\n";
unless (flock $lock, LOCK_EX | LOCK_NB) {
    print "build-kernel $arch: $work is in use by another build-kernel.pl; waiting\n";
    flock $lock, LOCK_EX or die "$work/.lock: $!\n";
}
POSIX::nice(10);

my $tree = "$work/linux";
my %s;      # what the steps found, for the ones after
steps_begin("build-kernel $arch", "$work/build.log");

sub sha256_file ($) {
    my ($f) = @_;
    return Digest::SHA->new(256)->addfile($f)->hexdigest;
}

# The build job's runvars: the realistic flight's, rewritten.
sub job_runvars () {
    my $before = "$top/tests/flights/arm-before.txt";
    my $x = flight_cross_arm(flight_parse(slurp($before), $before)->{jobs}, {});
    my $j = $x->{jobs}{$job} or die "$before: no job $job\n";
    my %r = %{ $j->{runvars} };
    $r{kernbuild_outputs} = 'deb,dimodules-cpio';
    $r{kconfig_defconfig} = "allnoconfig osstest-e2e-$arch.config osstest-e2e.config";
    $r{kconfig_override_m} = 'CONFIG_BLK_DEV_DM';
    $r{kconfig_override_n} = 'CONFIG_SCSI_LOWLEVEL' if $arch eq 'amd64';
    return \%r;
}

sub installed_version ($) {
    my ($pkg) = @_;
    my $out = `dpkg-query -W -f '\${Status} \${Version}' '$pkg' 2>/dev/null`;
    return $out =~ m/^install ok installed (\S+)$/ ? $1 : undef;
}

# What the shared source tree is: every file's name, size and mtime.
sub source_manifest ($) {
    my ($dir) = @_;
    my $sha = Digest::SHA->new(256);
    File::Find::find({ no_chdir => 1, wanted => sub {
        my @st = lstat $_ or die "$_: $!\n";
        $sha->add("$_ $st[7] $st[9]\n") if -f _;
    } }, $dir);
    return $sha->hexdigest;
}

sub fragments () {
    return sort glob("$FindBin::Bin/kconfig/*.config");
}

step plan => sub {
    my $r = job_runvars();
    my $p = build_plan($r);
    my $want_cross = $arch ne 'amd64';
    die "$job: the plan is ".($p->{cross} ? 'cross' : 'native')." from $p->{build_arch}\n"
        unless !!$p->{cross} == $want_cross && $p->{build_arch} eq 'amd64';
    die "$job: the plan has no configuration steps\n" unless $p->{linux}{config};
    my @missing = grep { !defined installed_version($_) } @{ $p->{packages}{linux} };
    die "the plan's packages @missing are not installed (tests/install-deps)\n" if @missing;
    @s{qw(r plan)} = ($r, $p);
    return "$p->{build_arch} -> $p->{target_arch}, ".($p->{cross} ? "cross ($p->{cross_compile})" : 'native').
        ", ".scalar(@{ $p->{linux}{config}{steps} })." configuration steps";
};

step source => sub {
    $s{deb} = output("$top/tests/fetch", 'deb', $suite, 'all', 'linux-source-6.1');
    $s{src} = output("$top/tests/fetch", 'linux-source', $suite, '6.1');
    return "$s{src}";
};

step inputs => sub {
    my $json = JSON::PP->new->canonical;
    my @l = ("source ".($s{deb} =~ s{.*/}{}r)." ".sha256_file($s{deb}),
             "script build-kernel.pl ".sha256_file(__FILE__),
             "script E2E.pm ".sha256_file("$FindBin::Bin/E2E.pm"));
    push @l, "fragment ".($_ =~ s{.*/}{}r)." ".sha256_file($_) foreach fragments();
    push @l, "package $_ ".installed_version($_) foreach @{ $s{plan}{packages}{linux} };
    push @l, "runvar $_ $s{r}{$_}" foreach sort keys %{ $s{r} };
    push @l, "plan ".Digest::SHA::sha256_hex($json->encode($s{plan}));
    $s{inputs} = join("\n", @l)."\n";
    my $old = -f "$work/inputs" ? slurp("$work/inputs") : '';
    $s{reuse} = -f "$work/kerndist.tar.gz" && $old eq $s{inputs};
    return $s{reuse} ? 'unchanged: reusing kerndist.tar.gz' : 'building';
};

unless ($s{reuse}) {
    unlink "$work/inputs", "$work/kerndist.tar.gz";

    step tree => sub {
        remove_tree($tree);
        $s{src_manifest} = source_manifest($s{src});
        # Hard links: seconds, where a copy of 1.4 GB takes minutes on a
        # busy disk. kbuild writes only new files in an in-tree build;
        # the check step after the build makes sure of it.
        run_logged({}, $work, 'cp', '-al', $s{src}, $tree);
        foreach my $f (fragments()) {
            my $to = "$tree/kernel/configs/".($f =~ s{.*/}{}r);
            die "$to: the kernel has a fragment of that name\n" if -e $to;
            copy($f, $to) or die "$f: $!\n";
        }
        return "linked; fragments in kernel/configs/";
    };

    step config => sub {
        my $c = $s{plan}{linux}{config};
        run_logged($_->{env}, $tree, @{ $_->{argv} }) foreach @{ $c->{steps} };
        my $k = kconfig_check($s{r}, "$tree/.config", { tree => $tree });
        die "the kernel did not keep: ".join(', ', map {
            "$_->{option} (wanted $_->{wanted} by $_->{from}, got $_->{got})"
        } @{ $k->{mismatches} })."\n" if @{ $k->{mismatches} };
        my $conf = slurp("$tree/.config");
        my $y = () = $conf =~ m/=y$/mg;
        my $m = () = $conf =~ m/=m$/mg;
        return "base $c->{base_from} (@{ $c->{base} }); $k->{checked} options (edits and ".
            "fragments) as asked, ".
            scalar(@{ $k->{dropped} })." of the hardware list dropped; $y y, $m m";
    };

    step build => sub {
        my $b = $s{plan}{linux}{build};
        my $jobs = output("nproc");
        run_logged($b->{env}, $tree, @{ $b->{argv} }, "-j$jobs");
        return "$b->{shell} -j$jobs";
    };

    step kinstall => sub {
        my $l = $s{plan}{linux};
        make_path("$tree/dist/boot", "$tree/dist/lib/modules");
        run_logged($l->{modules_install}{env}, $tree, @{ $l->{modules_install}{argv} });
        opendir my $d, "$tree/dist/lib/modules" or die "dist/lib/modules: $!\n";
        my @vers = grep { !/^\./ } readdir $d;
        die "dist/lib/modules holds @vers, not one kernel version\n"
            unless @vers == 1 && $vers[0] =~ m/^\d\S+$/;
        my $ver = $vers[0];
        my $release = slurp("$tree/include/config/kernel.release") =~ s/\n\z//r;
        die "dist/lib/modules/$ver but the tree's kernel.release is $release\n"
            unless $ver eq $release;
        run_logged($l->{dtbs_install}{env}, $tree, @{ $l->{dtbs_install}{argv} })
            if $l->{dtbs_install};
        my %files = ('System.map' => 'System.map', $l->{image_path} => 'vmlinuz',
                     '.config' => 'config');
        foreach my $from (sort keys %files) {
            copy("$tree/$from", "$tree/dist/boot/$files{$from}-$ver")
                or die "$from: $!\n";
        }
        return "kernel_ver $ver";
    };

    step 'source-intact' => sub {
        my $now = source_manifest($s{src});
        die "the build changed files of the shared tree $s{src} in place: remove it\n"
            unless $now eq $s{src_manifest};
        return "no file of $s{src} changed";
    };

    step stash => sub {
        my $tmp = "$work/kerndist.tar.gz.tmp";
        run_logged({}, "$tree/dist", 'tar', '--sort=name', '--owner=0', '--group=0',
                   '--numeric-owner', '-I', 'gzip -n', '-cf', $tmp, 'boot', 'lib');
        rename $tmp, "$work/kerndist.tar.gz" or die "kerndist.tar.gz: $!\n";
        spew_atomic("$work/inputs", $s{inputs});
        remove_tree($tree);
        return sprintf "kerndist.tar.gz, %.1f MB; tree removed", (-s "$work/kerndist.tar.gz") / 1e6;
    };
}

step check => sub {
    my $kd = "$work/kerndist.tar.gz";
    my $i = kernel_info($kd);
    my $a = arch_info($arch);
    die "kerndist: an image for ELF machine $i->{arch}{elf_machine}, not $a->{elf_machine} ($arch)\n"
        unless $i->{arch}{elf_machine} == $a->{elf_machine_number};
    die "kerndist: no modules\n" unless $i->{module_count};
    my $dir = "$work/check";
    remove_tree($dir);
    my @want = (@{ $modules{common} }, @{ $modules{$arch} });
    my $u = kernel_unpick($kd, $dir, { image => 0, modules => \@want, dtbs => 0 });
    die "kerndist: no config\n" unless $i->{config};
    my $k = kconfig_check($s{r}, "$dir/$i->{config}");
    die "the installed config lacks: ".join(', ', map { "$_->{option}=$_->{wanted}" }
        @{ $k->{mismatches} })."\n" if @{ $k->{mismatches} };
    # kernel_unpick dies naming a module the kerndist does not have.
    die "kerndist: $u->{extracted_modules} of the ".scalar(@want)." modules asked for\n"
        unless $u->{extracted_modules} == @want;
    remove_tree($dir);
    $s{ver} = $i->{version};
    return "kernel_ver $i->{version}, $i->{arch}{format}, $i->{module_count} modules, ".
        "$i->{dtb_count} DTBs; ".scalar(@want)." drivers as modules; ".
        "$k->{checked} options as asked";
};

step outputs => sub {
    my $o = kernel_outputs($s{r});
    my $kd = "$work/kerndist.tar.gz";
    my $epoch = (stat $kd)[9];
    my @made;
    foreach my $out (@{ $o->{outputs} }) {
        my $dest = "$work/$out->{file}";
        if ($out->{word} eq 'deb') {
            my $tmp = "$work/deb.tmp";
            remove_tree($tmp);
            make_path($tmp);
            my $d = kernel_deb($kd, $tmp, { arch => $arch, suite => $suite,
                                            source_date_epoch => $epoch, xz_threads => 2 });
            rename $d->{path}, $dest or die "$dest: $!\n";
            remove_tree($tmp);
            push @made, sprintf "%s (%s, %.1f MB)", $out->{file},
                $d->{path} =~ s{.*/}{}r, (-s $dest) / 1e6;
        } else {
            my %opts = $out->{modules} eq 'all' ? (classic => 0, include => ['*']) : ();
            my $m = installer_modules($kd, $dest, \%opts);
            push @made, sprintf "%s (%d modules, %.1f MB)", $out->{file},
                scalar @{ $m->{modules}{list} }, (-s $dest) / 1e6;
        }
        $s{r}{$out->{path_runvar}} = $out->{file};
    }
    return join('; ', @made);
};

step runvars => sub {
    my %r = (%{ $s{r} }, kernel_ver => $s{ver}, path_kerndist => 'kerndist.tar.gz');
    spew_atomic("$work/runvars",
                flight_format({ $job => { recipe => 'build-kern', status => 'pass', runvars => \%r } }));
    return join(' ', map { "$_=$r{$_}" } grep { /^(kernel_ver|path_)/ } sort keys %r);
};

steps_summary();
