/*
 * fuzz_common: what every fuzz target does with a snapshot once a parser has
 * produced one -- run the checker on it and draw it as DOT, focused and not,
 * so hostile snapshots exercise the consumers as well as the parser. The
 * checks inside are what a sanitizer cannot see: DOT text must stay one
 * balanced graph whatever strings the snapshot holds.
 */
#ifndef SMSS_FUZZ_COMMON_H
#define SMSS_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "../../checker/chk.h"
#include "../../core/util.h"
#include "../../render/dot.h"
#include "../../snap/snap.h"

/* Quoted strings in DOT must be closed by the end of every line we write,
 * or input broke out of a label. The scan follows Graphviz's lexer: inside a
 * quoted string only backslash-quote is an escape, so a string ending in a
 * backslash swallows its closing quote. abort() makes libFuzzer keep it. */
static void fuzz_dot_sane(const char *t, size_t n)
{
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        if (inq && t[i] == '\\' && i + 1 < n && t[i + 1] == '"') {
            i++;
            continue;
        }
        if (t[i] == '"')
            inq = !inq;
        else if (t[i] == '\n' && inq)
            abort();
        else if (!inq && (unsigned char)t[i] < 0x20 && t[i] != '\n' && t[i] != '\t')
            abort();
    }
    if (inq)
        abort();
}

static void fuzz_consume_snap(struct snap *s)
{
    struct chk_config cfg = {CHK_INFO, NULL, NULL};
    struct chk_findings f = {0};
    struct err e;
    if (chk_check(s, &cfg, &f, &e) < 0)
        abort(); /* the default config never fails */
    struct strbuf sb = STRBUF_INIT;
    /* Every classroom option: folding, rows, the registry panel, each field. */
    struct dot_opts o = {1, NULL, ~0u, NULL, 1, 0};
    if (dot_write(&sb, s, &f, &o, &e) == 0)
        fuzz_dot_sane(sb.buf, sb.len);
    sb_reset(&sb);
    for (size_t i = 0; i < f.n; i++) {
        chk_finding_json(&sb, s, &f.v[i]);
        sb_reset(&sb);
    }
    /* Focus on a name from the input: the ancestor walk must end on cycles. */
    if (s->nprocs && s->procs[0].name) {
        /* The name also as a --collapse list, with no width cap. */
        struct dot_opts fo = {0, s->procs[0].name, 0, s->procs[0].name, 0, -1};
        if (dot_write(&sb, s, NULL, &fo, &e) == 0)
            fuzz_dot_sane(sb.buf, sb.len);
        sb_reset(&sb);
    }
    snap_write_json(&sb, s);
    sb_release(&sb);
    chk_findings_release(&f);
}

#endif
