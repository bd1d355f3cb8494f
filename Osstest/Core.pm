# This is part of "osstest", an automated testing framework for Xen.
#
# Osstest::Core: osstest-core's Rust functions, callable from Perl.

package Osstest::Core;

use strict;
use warnings;

BEGIN {
    use Exporter ();
    our ($VERSION, @ISA, @EXPORT, @EXPORT_OK, %EXPORT_TAGS);
    $VERSION     = '0.1.0';
    @ISA         = qw(Exporter);
    @EXPORT      = qw(arch_info build_plan);
    %EXPORT_TAGS = ();
    @EXPORT_OK   = qw();
}

use DynaLoader ();
use File::Basename qw(dirname);
use File::Spec;

our $SHARED_OBJECT;

# Where the shared object is: $OSSTEST_CORE_SO, else the build tree this
# module sits in (release build first, then debug).
sub _find_shared_object () {
    my $env = $ENV{OSSTEST_CORE_SO};
    if (defined $env && length $env) {
        return $env if -f $env;
        die "Osstest::Core: OSSTEST_CORE_SO=$env: no such file\n";
    }
    my $top = File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), '..'));
    my @targets;
    if (defined $ENV{CARGO_TARGET_DIR} && length $ENV{CARGO_TARGET_DIR}) {
        push @targets, File::Spec->rel2abs($ENV{CARGO_TARGET_DIR}, $top);
    }
    push @targets, "$top/target";
    my @tried;
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
Otherwise it is looked for in the build tree this module belongs to
(C<target/release/libosstest_xs.so>, then C<target/debug/...>, under
C<$CARGO_TARGET_DIR> first if that is set); build it with
C<cargo build --release> at the top of the source tree. Nothing is
installed system-wide. C<$Osstest::Core::SHARED_OBJECT> says which file was
loaded.

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
linux's install into C<dist/> of the kernel tree. A native plan's runes
carry no cross variables at all. Dies naming the runvars at fault on a
contradiction: no or an unknown C<arch>, two C<arch-*> flags, C<build_arch>
against the flag, a C<share-build-*> class not of the build host's arch or
suite, disagreeing suites, no suite, or a pair the suite's Debian cross
compilers cannot serve.

=cut
