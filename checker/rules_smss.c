/*
 * rules_smss: the checks specific to the Session Manager -- one master that
 * stays, per-session children that exit, started first by the kernel at
 * priority 11 outside any user session. The generic parent/path/user/children
 * rows in rules_core.c cover the rest of smss.
 */
#include "chk_int.h"

#include <stdlib.h>

void chk_rule_smss_instances(struct chk_ctx *c);
void chk_rule_smss_child_alive(struct chk_ctx *c);
void chk_rule_smss_late(struct chk_ctx *c);
void chk_rule_smss_session(struct chk_ctx *c);

/* An smss child normally exits within milliseconds; this much grace keeps
 * snapshots taken during a session's creation clean. */
#define SMSS_CHILD_GRACE (30 * WT_SEC)
/* ... and this much after it started its session's processes (real boots:
 * 0-12 ms, ../shared/domain.md section 1). */
#define SMSS_CHILD_DONE_GRACE (2 * WT_SEC)
/* The master starts seconds after System (domain.md section 1). */
#define SMSS_LATE (60 * WT_SEC)

void chk_rule_smss_instances(struct chk_ctx *c)
{
    struct snap *s = c->s;
    for (size_t i = 0; i < s->nprocs; i++) {
        if (c->kind[i] != c->k_smss || (long)i == c->master || !snap_proc_alive(&s->procs[i]) ||
            s->procs[i].exit_unrecorded)
            continue;
        if (chk_smss_is_child(c, i))
            continue; /* SMSS-CHILD-NOT-EXITED */
        if (c->master >= 0)
            chk_report_proc(c, i, "a second running smss.exe besides the master (pid %lu)",
                            (unsigned long)s->procs[c->master].pid);
    }
}

/* "Now" for a snapshot without a time: its latest recorded event. */
static int64_t snap_now(const struct snap *s)
{
    if (s->at != WT_NONE)
        return s->at;
    int64_t now = WT_NONE;
    for (size_t i = 0; i < s->nprocs; i++) {
        if (s->procs[i].create_time > now)
            now = s->procs[i].create_time;
        if (s->procs[i].exit_time > now)
            now = s->procs[i].exit_time;
    }
    return now;
}

void chk_rule_smss_child_alive(struct chk_ctx *c)
{
    struct snap *s = c->s;
    int64_t now = WT_NONE;
    int have_now = 0;
    int k_csrss = chk_kind_of("csrss.exe"), k_wininit = chk_kind_of("wininit.exe"),
        k_winlogon = chk_kind_of("winlogon.exe");
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (c->kind[i] != c->k_smss || !snap_proc_alive(p) || (long)i == c->master ||
            p->exit_unrecorded)
            continue; /* no exit seen, but none would be: the log skips smss exits */
        if (!chk_smss_is_child(c, i) || p->create_time == WT_NONE)
            continue;
        if (!have_now) {
            now = snap_now(s);
            have_now = 1;
        }
        /* Once its session's csrss and wininit/winlogon run, a child exits
         * within milliseconds: a log that goes on seconds after that
         * without its exit shows it stayed. Before, the 30 s grace keeps a
         * snapshot taken during the session's creation clean. */
        int64_t done = WT_NONE;
        for (size_t k = 0; k < s->nprocs; k++) {
            const struct snap_proc *q = &s->procs[k];
            /* Its own children, or its session's csrss and wininit/winlogon
             * when another parent is recorded for them (the child has its
             * session's id: MSEDGEWIN10's `smss.exe 000000d8 00000084` is
             * in session 1, as the csrss and winlogon it starts). */
            int started =
                c->parent[k] == (long)i ||
                (p->session != SNAP_NO_SESSION && q->session == p->session &&
                 q->create_time >= p->create_time &&
                 (c->kind[k] == k_csrss || c->kind[k] == k_wininit || c->kind[k] == k_winlogon));
            if (started && q->create_time > done)
                done = q->create_time;
        }
        if (now == WT_NONE || (now - p->create_time <= SMSS_CHILD_GRACE &&
                               (done == WT_NONE || now - done <= SMSS_CHILD_DONE_GRACE)))
            continue;
        char dur[32];
        wt_format_elapsed(now - p->create_time, dur, sizeof(dur));
        chk_report_proc(c, i,
                        "a per-session smss child is still running %s after it started; "
                        "it should exit once csrss and wininit/winlogon run",
                        dur);
    }
}

void chk_rule_smss_late(struct chk_ctx *c)
{
    struct snap *s = c->s;
    if (c->master < 0 || s->procs[c->master].create_time == WT_NONE)
        return;
    int64_t ref = s->boot_time;
    for (size_t i = 0; i < s->nprocs; i++)
        if (c->kind[i] == c->k_system && s->procs[i].pid == 4 && s->procs[i].create_time != WT_NONE)
            ref = s->procs[i].create_time;
    if (ref == WT_NONE)
        return;
    int64_t d = s->procs[c->master].create_time - ref;
    if (d > SMSS_LATE) {
        char dur[32];
        wt_format_elapsed(d, dur, sizeof(dur));
        chk_report_proc(c, (size_t)c->master,
                        "the master smss started %s after boot; normal "
                        "is a few seconds",
                        dur);
    }
}

void chk_rule_smss_session(struct chk_ctx *c)
{
    /* Every smss that is not a per-session child claims to be a master. */
    for (size_t i = 0; i < c->s->nprocs; i++) {
        int32_t ss = c->s->procs[i].session;
        if (c->kind[i] != c->k_smss || ss == SNAP_NO_SESSION || ss == 0 || chk_smss_is_child(c, i))
            continue;
        chk_report_proc(c, i, "a master smss in session %ld; the master belongs to no session",
                        (long)ss);
    }
}
