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
    @EXPORT      = qw(arch_info kernel_info kernel_unpick kernel_deb kernel_outputs target_install);
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

Dies naming the architecture if it is not one we know.

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
or kernel version, a second image, a truncated or corrupt archive.

=head2 kernel_unpick($source, $destdir, \%opts)

Checks C<$source> as C<kernel_info> does and extracts under C<$destdir>
(created if missing) the image, System.map and config, the modules and
their C<modules.*> files, DTBs and firmware, keeping their relative paths.
Returns C<kernel_info>'s hashref plus C<destdir>, C<image_path> (the
extracted image), C<extracted> (entries written) and C<extracted_modules>.

C<%opts> (all optional; unknown keys die):

    image => 0          do not extract the image
    boot_files => 0     nor System.map and config
    modules => [...]    only these modules: names ('dm-mod'), or
                        directories under the module tree ending in '/'
                        ('kernel/fs/'); default all
    no_modules => 1     no modules at all
    dtbs => 0, firmware => 0
    other => 1          everything else too (the whole package)

Names are normalised; C<..>, absolute names, links leaving C<$destdir>,
device nodes and writing through symbolic links are refused, so nothing
is written outside C<$destdir>. Each file appears complete (written to a
temporary name, then renamed).

=head2 kernel_deb($source, $outdir, \%opts)

Writes a C<linux-image-VER> package of the kernel tree C<$source> (the
directory C<make install>, C<modules_install> and C<dtbs_install> fill:
C<boot/vmlinuz-VER>, C<boot/System.map-VER>, C<boot/config-VER>,
C<lib/modules/VER/>, C<boot/dtbs/VER/>; or an unpacked Debian
linux-image) into C<$outdir> as C<linux-image-VER_VERSION_ARCH.deb>, and
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
for a tree member that has no place in a kernel package.

=head2 kernel_outputs(\%r)

Which outputs a kernel build's runvars ask for, beside C<kerndist>. The
runvar C<kernbuild_outputs> lists words, separated by commas or spaces:

    deb             linux-image .deb      path_kerndeb         kerndeb.deb
    modules-cpio    every module, cpio    path_kernmodscpio    kernmodscpio.cpio.gz
    dimodules-cpio  installer subset      path_kerndimodscpio  kerndimodscpio.cpio.gz
    none            nothing more (as absent or empty)

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
