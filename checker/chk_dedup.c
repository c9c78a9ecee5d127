/*
 * chk_dedup: each finding once per document (see chk.h). The keys name what
 * a finding is about, never where it sits in memory, and the set answers
 * membership only, so hash order never reaches a report.
 */
#include "chk.h"

#include <string.h>

#include "../core/hash.h"

struct chk_dedup {
    struct strset seen;
    struct strbuf key, doc, prev;
    int have_prev;
};

struct chk_dedup *chk_dedup_new(void)
{
    return xcalloc(1, sizeof(struct chk_dedup));
}

/* Snapshots of one document share these header values. */
static void doc_identity(struct strbuf *k, const struct snap *s)
{
    sb_reset(k);
    sb_addf(k, "%s|%s|%s|", s->source ? s->source : "", s->scenario ? s->scenario : "",
            s->host ? s->host : "");
    sb_addu64(k, s->seed);
    sb_addc(k, '|');
    sb_addi64(k, s->boot_time);
}

void chk_dedup_snapshot(struct chk_dedup *d, const struct snap *s)
{
    doc_identity(&d->doc, s);
    if (!d->have_prev || strcmp(d->doc.buf, d->prev.buf)) {
        strset_clear(&d->seen);
        sb_reset(&d->prev);
        sb_adds(&d->prev, d->doc.buf);
        d->have_prev = 1;
    }
}

int chk_dedup_first(struct chk_dedup *d, const struct snap *s, const struct chk_finding *f)
{
    struct strbuf *k = &d->key;
    sb_reset(k);
    sb_adds(k, f->rule->id);
    if (f->proc >= 0) {
        const struct snap_proc *p = &s->procs[f->proc];
        sb_addf(k, "|P|%lu|", (unsigned long)p->pid);
        sb_addi64(k, p->create_time);
    } else if (f->reg >= 0) {
        sb_addf(k, "|R|%s|%s", s->regs[f->reg].key ? s->regs[f->reg].key : "",
                s->regs[f->reg].name ? s->regs[f->reg].name : "");
    } else {
        sb_addf(k, "|M|%s", f->message);
    }
    return strset_add(&d->seen, k->buf);
}

void chk_dedup_reset(struct chk_dedup *d)
{
    strset_clear(&d->seen);
    sb_reset(&d->prev);
    d->have_prev = 0;
}

void chk_dedup_free(struct chk_dedup *d)
{
    if (!d)
        return;
    strset_clear(&d->seen);
    sb_release(&d->key);
    sb_release(&d->doc);
    sb_release(&d->prev);
    free(d);
}
