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
    @EXPORT      = qw(arch_info initrd_append initrd_inspect);
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

C<%opts> (all optional; unknown keys die):

    compression   gzip (default), xz (CRC32 check, as the kernel needs),
                  zstd or none
    level         compression level (default gzip 6, xz 6, zstd 19)
    threads       xz worker threads (default 1; same bytes for any count)
    mtime         mtime of new entries (default $ENV{SOURCE_DATE_EPOCH},
                  else 0)
    max_size      most bytes the output may have
    max_unpacked  most bytes of file data the unpacked image may hold

The result is read back and checked before it is renamed into place, so
C<$out> is either the complete new initrd or untouched. Over a budget
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
checksum).

=cut
