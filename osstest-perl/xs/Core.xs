/*
 * This is part of osstest-core, the Rust core of "osstest", an automated
 * testing framework for Xen.
 * Copyright (C) 2026 The osstest-core developers
 * SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * osstest-core is free software: you may redistribute and modify it under
 * the GNU Affero General Public License, version 3 or (at your option) any
 * later version, as published by the Free Software Foundation. It comes
 * with no warranty; see COPYING at the top of the source for the terms.
 */

/*
 * Core.xs: the C glue between perl and osstest-core's Rust bridge.
 *
 * Deliberately thin. It holds:
 *   - a table of accessors (struct osx_api) wrapping perl's own macros, so
 *     that Rust never declares a perl structure: an SV is an opaque pointer
 *     on the Rust side (osstest-perl/src/ffi.rs must match this table);
 *   - one generic XSUB, osx_dispatch, installed at boot under every name
 *     the Rust registry lists; XSANY holds the function's index;
 *   - the croak, done here after Rust has returned, so that a perl
 *     exception never unwinds through Rust frames.
 *
 * The boot function xsubpp generates is renamed at compile time
 * (-Dboot_Osstest__Core=osstest_xs_boot) and re-exported by the Rust shim
 * under its real name, because a Rust cdylib exports only symbols defined
 * in Rust.
 */
#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

#include <stdint.h>
#include <stddef.h>

#ifdef PERL_IMPLICIT_CONTEXT
#  define OSX_CTX ((void *)aTHX)
#else
#  define OSX_CTX NULL
#endif

enum osx_kind {
    OSX_UNDEF = 0, OSX_INT, OSX_UINT, OSX_NUM, OSX_STR,
    OSX_ARRAY, OSX_HASH, OSX_BLESSED, OSX_TIED, OSX_OTHER_REF, OSX_MAGIC
};

struct osx_api {
    int (*kind)(void *, SV *);
    const char *(*string)(void *, SV *, size_t *, int *);
    int64_t (*iv)(void *, SV *);
    uint64_t (*uv)(void *, SV *);
    double (*nv)(void *, SV *);
    ptrdiff_t (*av_len)(void *, SV *);
    SV *(*av_get)(void *, SV *, ptrdiff_t);
    ptrdiff_t (*hv_start)(void *, SV *);
    SV *(*hv_next)(void *, SV *, const char **, size_t *, int *);
    SV *(*new_undef)(void *);
    SV *(*new_str)(void *, const char *, size_t, int);
    SV *(*new_iv)(void *, int64_t);
    SV *(*new_uv)(void *, uint64_t);
    SV *(*new_nv)(void *, double);
    SV *(*new_av)(void *);
    void (*av_push)(void *, SV *, SV *);
    SV *(*new_hv)(void *);
    void (*hv_store)(void *, SV *, const char *, size_t, int, SV *);
};

/* Defined in Rust (osstest-perl/xs/shim.rs). */
extern size_t osstest_xs_count(void);
extern const char *osstest_xs_name(size_t index);
extern int osstest_xs_call(const struct osx_api *api, void *ctx, size_t index,
                           SV **args, size_t nargs, SV **out);

#ifdef PERL_IMPLICIT_CONTEXT
#  define OSX_THX(ctx) dTHXa(ctx)
#else
#  define OSX_THX(ctx) PERL_UNUSED_ARG(ctx)
#endif

static int osx_kind(void *ctx, SV *sv)
{
    OSX_THX(ctx);
    /* The arguments themselves were copied (magic run) before Rust was
     * called; an element of a hash or array with get-magic (a tied
     * scalar) would need Perl code run now, under Rust frames. */
    if (SvGMAGICAL(sv))
        return OSX_MAGIC;
    if (SvROK(sv)) {
        SV *target = SvRV(sv);
        if (SvOBJECT(target))
            return OSX_BLESSED;
        if (SvTYPE(target) == SVt_PVAV || SvTYPE(target) == SVt_PVHV) {
            if (SvRMAGICAL(target) && mg_find(target, PERL_MAGIC_tied))
                return OSX_TIED;
            return SvTYPE(target) == SVt_PVAV ? OSX_ARRAY : OSX_HASH;
        }
        return OSX_OTHER_REF;
    }
    if (!SvOK(sv))
        return OSX_UNDEF;
    /* A string first: "007" must stay "007". */
    if (SvPOK(sv))
        return OSX_STR;
    if (SvIOK(sv))
        return SvIsUV(sv) ? OSX_UINT : OSX_INT;
    if (SvNOK(sv))
        return OSX_NUM;
    return OSX_STR;
}

static const char *osx_string(void *ctx, SV *sv, size_t *len, int *utf8)
{
    OSX_THX(ctx);
    STRLEN l;
    const char *p = SvPV_nomg_const(sv, l);
    *len = l;
    *utf8 = SvUTF8(sv) ? 1 : 0;
    return p;
}

static int64_t osx_iv(void *ctx, SV *sv) { OSX_THX(ctx); return (int64_t)SvIV_nomg(sv); }
static uint64_t osx_uv(void *ctx, SV *sv) { OSX_THX(ctx); return (uint64_t)SvUV_nomg(sv); }
static double osx_nv(void *ctx, SV *sv) { OSX_THX(ctx); return (double)SvNV_nomg(sv); }

static ptrdiff_t osx_av_len(void *ctx, SV *rv)
{
    OSX_THX(ctx);
    return (ptrdiff_t)(av_top_index((AV *)SvRV(rv)) + 1);
}

static SV *osx_av_get(void *ctx, SV *rv, ptrdiff_t i)
{
    OSX_THX(ctx);
    SV **e = av_fetch((AV *)SvRV(rv), (SSize_t)i, 0);
    return e ? *e : NULL;
}

static ptrdiff_t osx_hv_start(void *ctx, SV *rv)
{
    OSX_THX(ctx);
    return (ptrdiff_t)hv_iterinit((HV *)SvRV(rv));
}

static SV *osx_hv_next(void *ctx, SV *rv, const char **key, size_t *klen, int *utf8)
{
    OSX_THX(ctx);
    HV *hv = (HV *)SvRV(rv);
    HE *he = hv_iternext(hv);
    STRLEN l;
    if (!he) {
        *key = NULL;
        return NULL;
    }
    *key = HePV(he, l);
    *klen = l;
    *utf8 = HeUTF8(he) ? 1 : 0;
    return hv_iterval(hv, he);
}

static SV *osx_new_undef(void *ctx) { OSX_THX(ctx); return newSV(0); }

static SV *osx_new_str(void *ctx, const char *p, size_t len, int utf8)
{
    OSX_THX(ctx);
    return newSVpvn_flags(p, (STRLEN)len, utf8 ? SVf_UTF8 : 0);
}

static SV *osx_new_iv(void *ctx, int64_t i) { OSX_THX(ctx); return newSViv((IV)i); }
static SV *osx_new_uv(void *ctx, uint64_t u) { OSX_THX(ctx); return newSVuv((UV)u); }
static SV *osx_new_nv(void *ctx, double n) { OSX_THX(ctx); return newSVnv((NV)n); }
static SV *osx_new_av(void *ctx) { OSX_THX(ctx); return newRV_noinc((SV *)newAV()); }

static void osx_av_push(void *ctx, SV *rv, SV *v)
{
    OSX_THX(ctx);
    av_push((AV *)SvRV(rv), v);
}

static SV *osx_new_hv(void *ctx) { OSX_THX(ctx); return newRV_noinc((SV *)newHV()); }

static void osx_hv_store(void *ctx, SV *rv, const char *k, size_t klen, int utf8, SV *v)
{
    OSX_THX(ctx);
    I32 l = (I32)klen;
    (void)hv_store((HV *)SvRV(rv), k, utf8 ? -l : l, v, 0);
}

static const struct osx_api osx_api = {
    osx_kind, osx_string, osx_iv, osx_uv, osx_nv,
    osx_av_len, osx_av_get, osx_hv_start, osx_hv_next,
    osx_new_undef, osx_new_str, osx_new_iv, osx_new_uv, osx_new_nv,
    osx_new_av, osx_av_push, osx_new_hv, osx_hv_store,
};

/* Every Perl-visible function is this XSUB; XSANY.any_i32 says which. */
XS_INTERNAL(osx_dispatch)
{
    dXSARGS;
    dXSI32;
    SV *out = NULL;
    I32 i;
    /* Copy the arguments now, in C: this runs any get-magic (a tied
     * scalar's FETCH, $1) before Rust is on the stack. */
    for (i = 0; i < items; i++)
        ST(i) = sv_mortalcopy(ST(i));
    if (osstest_xs_call(&osx_api, OSX_CTX, (size_t)ix, &ST(0), (size_t)items, &out) != 0)
        croak_sv(sv_2mortal(out));
    ST(0) = sv_2mortal(out);
    XSRETURN(1);
}

MODULE = Osstest::Core		PACKAGE = Osstest::Core

PROTOTYPES: DISABLE

BOOT:
{
    size_t i, n = osstest_xs_count();
    for (i = 0; i < n; i++) {
        CV *xcv = newXS(osstest_xs_name(i), osx_dispatch, __FILE__);
        CvXSUBANY(xcv).any_i32 = (I32)i;
    }
}
