# This is part of osstest-core, the Rust core of "osstest", an automated
# testing framework for Xen.
# Copyright (C) 2026 The osstest-core developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# osstest-core is free software: you may redistribute and modify it under
# the GNU Affero General Public License, version 3 or (at your option) any
# later version, as published by the Free Software Foundation. It comes
# with no warranty; see COPYING at the top of the source for the terms.

# arch_info across the bridge, checked against dpkg-architecture.
use strict;
use warnings;
use Test::More;
use Osstest::Core;

is(Osstest::Core::arch_info("arm64")->{gnu_triplet}, 'aarch64-linux-gnu',
   'the README one-liner');

my %expect = (
    amd64 => [qw(x86_64-linux-gnu x86 x86_64 EM_X86_64 64 little)],
    i386  => [qw(i686-linux-gnu x86 x86_32 EM_386 32 little)],
    armhf => [qw(arm-linux-gnueabihf arm arm32 EM_ARM 32 little)],
    armel => [qw(arm-linux-gnueabi arm), undef, qw(EM_ARM 32 little)],
    arm64 => [qw(aarch64-linux-gnu arm64 arm64 EM_AARCH64 64 little)],
    s390x => [qw(s390x-linux-gnu s390), undef, qw(EM_S390 64 big)],
);
foreach my $arch (sort keys %expect) {
    my $a = arch_info($arch);
    is(ref $a, 'HASH', "$arch: a hashref");
    is($a->{debian}, $arch, "$arch: debian");
    my ($triplet, $karch, $xen, $em, $bits, $endian) = @{ $expect{$arch} };
    is($a->{gnu_triplet}, $triplet, "$arch: gnu_triplet");
    is($a->{kernel_arch}, $karch, "$arch: kernel_arch");
    is($a->{xen_target_arch}, $xen, "$arch: xen_target_arch");
    is($a->{elf_machine}, $em, "$arch: elf_machine");
    is($a->{bits}, $bits, "$arch: bits");
    is($a->{endian}, $endian, "$arch: endian");
}

# dpkg-architecture is the oracle for Debian's side of every arch we know.
foreach my $arch (qw(amd64 i386 armhf armel arm64 riscv64 ppc64el s390x mips64el mipsel loong64)) {
    my $a = arch_info($arch);
    my %q;
    foreach my $v (qw(DEB_HOST_GNU_TYPE DEB_HOST_ARCH_BITS DEB_HOST_ARCH_ENDIAN DEB_HOST_ARCH_CPU DEB_HOST_MULTIARCH)) {
        my $out = `dpkg-architecture -a$arch -q$v 2>/dev/null`;
        die "dpkg-architecture -a$arch -q$v failed" if $?;
        chomp $out;
        $q{$v} = $out;
    }
    is($a->{gnu_triplet}, $q{DEB_HOST_GNU_TYPE}, "$arch: triplet as dpkg-architecture");
    is($a->{bits}, $q{DEB_HOST_ARCH_BITS}, "$arch: bits as dpkg-architecture");
    is($a->{endian}, $q{DEB_HOST_ARCH_ENDIAN}, "$arch: endian as dpkg-architecture");
    is($a->{cpu}, $q{DEB_HOST_ARCH_CPU}, "$arch: cpu as dpkg-architecture");
    is($a->{multiarch}, $q{DEB_HOST_MULTIARCH}, "$arch: multiarch as dpkg-architecture");
}

# The kernel and QEMU facts, as ts-kernel-build and the boot checks read them.
my %kernel = (
    armhf => [qw(arm zImage arch/arm/boot/zImage 1 multi_v7_defconfig qemu-system-arm virt)],
    arm64 => [qw(arm64 Image arch/arm64/boot/Image 1 defconfig qemu-system-aarch64 virt)],
    amd64 => [qw(x86_64 bzImage arch/x86/boot/bzImage 0 x86_64_defconfig qemu-system-x86_64 q35)],
    i386  => [qw(i386 bzImage arch/x86/boot/bzImage 0 i386_defconfig qemu-system-i386 pc)],
);
foreach my $arch (sort keys %kernel) {
    my $a = arch_info($arch);
    my @got = map { $a->{$_} } qw(kernel_make_arch kernel_image_target kernel_image_path
                                  dtbs defconfig qemu_system qemu_machine);
    is_deeply(\@got, $kernel{$arch}, "$arch: kernel and QEMU facts");
}
is(arch_info('arm64')->{qemu_cpu}, 'cortex-a57', 'arm64: QEMU cpu');
is(arch_info('amd64')->{qemu_cpu}, undef, 'amd64: the machine default cpu');

done_testing();
