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
    @EXPORT      = qw(arch_info module_closure);
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

=head2 module_closure($moddir, \%opts)

The modules to put in the installer's initrd, from an unpacked kernel's
module directory C<$moddir> (C<.../lib/modules/VERSION>, plain C<.ko>
files: it dies naming the first compressed one). Starts from the modules
that selection patterns match and adds, whatever their path, every
module they need: C<depends=>, the owners of the symbols they use, and
C<softdep=pre:> modules. Options:

    classic   start from the classic disk / network / filesystem / LVM
              paths (kernel/lib, kernel/crypto, fs/ext*, fs/jbd*,
              drivers/{ata,md,mmc,net,scsi,usb/host,...}); default 1
    include   [patterns] also select these
    exclude   [patterns] do not select these (dependencies still come)
    indexes   also return the depmod index files of the subset

A pattern with a C</> is a glob over the module's path with any
compression suffix removed (C<kernel/drivers/net/ethernet/cadence/**>:
C<*> stays within a directory, C<**> crosses them); any other is a glob
over module names (C<macb>, C<virtio_*>; C<-> and C<_> alike; a name
pattern with a C<.> dies, suggesting C<**/file.ko>). Unknown option names
die. Returns a hashref:

    modules   [ { name => 'dax', path => 'kernel/drivers/dax/dax.ko',
                  reason => 'dependency', of => 'dm_mod' },
                { name => 'ext4', ..., reason => 'matched',
                  pattern => 'kernel/fs/ext*/**' },
                { ..., reason => 'softdep', of => 'crc_t10dif' }, ... ]
    matched   how many the patterns selected
    added     how many the closure added
    missing   [ { name, wanted_by, how => 'depends' | 'softdep' } ]:
              dependencies the kernel has neither as a module nor
              built in
    indexes   with the option: { dep, alias, softdep, symbols, devname },
              the text of modules.dep and friends exactly as
              C<depmod -b> writes them for the subset

Dies naming the file at fault if a module cannot be read.

=cut
