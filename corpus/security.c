/*
 * security: a sample's process starts and exits as the Security log records
 * them with "Audit Process Creation" on -- 4688 (a new process has been
 * created) and 4689 (a process has exited) -- as event XML (wevtutil qe
 * /f:xml style, one <Event> per line) and as .evtx. One record plan feeds
 * both, so they hold the same records.
 *
 * Fields, order, versions and values as Windows writes them: Microsoft's
 * event pages (windows-itpro-docs, auditing/event-4688.md and event-4689.md:
 * version 0 on Vista/Windows 7 without CommandLine and the Target/Parent/
 * MandatoryLabel fields, 1 on 8.1 with CommandLine, 2 from Windows 10: the
 * OS row's security_4688_version, kb/oses.def); Provider
 * Microsoft-Windows-Security-Auditing {54849625-5478-4994-A5BA-3E3B0328C30D},
 * Task 13312/13313, Keywords 0x8020000000000000 = Audit Success, Execution
 * ProcessID 4, <Security/> without a UserID) and the real records in
 * ../shared/real (sec4688_msf_payload_services_cmd.evtx, whose substitution
 * types are copied: SIDs as SID, ids and logon ids as HexInt64, names as
 * strings; OTRF's 4688 of smss at boot: TokenElevationType %%1936, Target
 * S-1-0-0 / "-" / 0x0 when the new process runs as its creator). 4689's
 * Status is HexInt32 as in Windows' manifest. The subject of 4688 is the
 * creator's account (SYSTEM appears as the computer account HOST$); the
 * target is the new process's account when it differs (winlogon starting
 * userinit as the user).
 */
#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/prng.h"
#include "../core/wtime.h"
#include "../evtxw/evtxw.h"
#include "../sim/profile.h"

enum { ST_SECURITY = 202 };

/* 100 ns digit and FILETIME as the Sysmon writer makes them (sample.c). */
static unsigned sec_100ns(int64_t t)
{
    return (unsigned)(t % 7 + 1);
}

static uint64_t sec_filetime(int64_t t)
{
    return (uint64_t)(t + 11644473600LL * WT_SEC) * 10u + sec_100ns(t);
}

/* ---- the record plan -------------------------------------------------------------- */

struct srec {
    int eid;     /* 4688 or 4689 */
    long proc;   /* index into the simulator's processes */
    long parent; /* 4688: the creator's index, -1 if not simulated (System) */
    int64_t t;   /* when it was written */
    uint64_t rid;
    uint32_t tid;
};

struct sec_plan {
    struct srec *v;
    size_t n, cap;
};

static long parent_of(const struct sim *sm, size_t i)
{
    const struct snap_proc *p = sim_proc(sm, i);
    if (p->parent_create_time == WT_NONE)
        return -1;
    for (size_t k = i; k-- > 0;) {
        const struct snap_proc *q = sim_proc(sm, k);
        if (q->pid == p->ppid && q->create_time == p->parent_create_time)
            return (long)k;
    }
    return -1;
}

/* One 4688 per process start and one 4689 per exit, of the processes with
 * an image file (the kernel's own -- System, Registry, MemCompression --
 * are not audited), in the simulator's event order. The log is written as
 * the process starts: TimeCreated is the start plus microseconds. */
static void plan(struct corpus_sample *cs, struct sec_plan *pl)
{
    const struct sim *sm = corpus_sample_sim(cs);
    struct prng r;
    prng_child(&r, corpus_sample_scn(cs)->seed, ST_SECURITY);
    /* Above every Sysmon EventRecordID of the corpus (sample.c starts
     * those below 5,000,000 and a sample writes a few thousand), so a bare
     * record id never names a record of each channel. */
    uint64_t rid = (uint64_t)prng_range(&r, 10000000, 90000000);
    pl->n = 0;
    int64_t last = WT_NONE;
    for (size_t i = 0; i < sim_nevents(sm); i++) {
        const struct sim_event *ev = sim_event(sm, i);
        if (ev->type != SIM_EV_PROCESS_CREATE && ev->type != SIM_EV_PROCESS_EXIT)
            continue;
        if (ev->proc < 0 || !sim_proc(sm, (size_t)ev->proc)->image)
            continue;
        int64_t t = ev->time + prng_range(&r, 20, 400);
        if (last != WT_NONE && t <= last)
            t = last + 1;
        last = t;
        XGROW(pl->v, pl->cap, pl->n + 1);
        int create = ev->type == SIM_EV_PROCESS_CREATE;
        pl->v[pl->n++] = (struct srec){create ? 4688 : 4689,
                                       ev->proc,
                                       create ? parent_of(sm, (size_t)ev->proc) : -1,
                                       t,
                                       rid++,
                                       4 * (uint32_t)prng_range(&r, 20, 2000)};
    }
}

/* ---- accounts ------------------------------------------------------------------------ */

struct account {
    const char *sid, *name, *domain;
    size_t nlen, dlen;
    uint64_t logon_id;
};

/* The account of a process as 4688 names it: SYSTEM as the computer
 * account (HOST$ in the host's domain or workgroup), others split at the
 * backslash; NULL p (the kernel's System) is SYSTEM too. */
static void account_of(const struct scn *sc, const struct snap_proc *p, struct strbuf *tmp,
                       struct account *a)
{
    const char *u = p && p->user ? p->user : "NT AUTHORITY\\SYSTEM";
    const char *sid = p && p->sid ? p->sid : "S-1-5-18";
    if (!strcmp(sid, "S-1-5-18")) {
        sb_reset(tmp);
        sb_adds(tmp, sc->host ? sc->host : "");
        sb_addc(tmp, '$');
        const char *dom = sc->domain && *sc->domain ? sc->domain : "WORKGROUP";
        *a = (struct account){"S-1-5-18", tmp->buf, dom, tmp->len, strlen(dom), 0x3e7};
        return;
    }
    const char *bs = strchr(u, '\\');
    a->sid = sid;
    a->domain = bs ? u : "";
    a->dlen = bs ? (size_t)(bs - u) : 0;
    a->name = bs ? bs + 1 : u;
    a->nlen = strlen(a->name);
    a->logon_id = p->logon_id;
}

/* TokenElevationType: %%1936 full token (SYSTEM, services, the built-in
 * accounts), %%1937 elevated (High), %%1938 limited (a user's Medium). */
static const char *elevation(const struct snap_proc *p)
{
    const char *il = p->integrity ? p->integrity : "System";
    if (!p->sid || strncmp(p->sid, "S-1-5-21-", 9))
        return "%%1936";
    return !strcmp(il, "High") ? "%%1937" : "%%1938";
}

static const char *label_sid(const struct snap_proc *p)
{
    const char *il = p->integrity ? p->integrity : "System";
    if (!strcmp(il, "High"))
        return "S-1-16-12288";
    if (!strcmp(il, "Medium"))
        return "S-1-16-8192";
    if (!strcmp(il, "Low") || !strcmp(il, "AppContainer"))
        return "S-1-16-4096";
    if (!strcmp(il, "Untrusted"))
        return "S-1-16-0";
    return "S-1-16-16384";
}

/* ---- fields --------------------------------------------------------------------------- */

enum skind { SK_STR, SK_SID, SK_HEX64, SK_HEX32 };

struct ssink {
    void (*field)(struct ssink *s, const char *name, enum skind k, const char *str, size_t len,
                  uint64_t num);
};

static void sstr(struct ssink *s, const char *name, const char *v, size_t n)
{
    s->field(s, name, SK_STR, v, n, 0);
}

static void fields(struct corpus_sample *cs, const struct srec *x, struct ssink *s,
                   struct strbuf *t1, struct strbuf *t2)
{
    const struct scn *sc = corpus_sample_scn(cs);
    const struct sim *sm = corpus_sample_sim(cs);
    const struct snap_proc *p = sim_proc(sm, (size_t)x->proc);
    int ver = profile_get(sc->os)->security_4688_version;
    if (x->eid == 4689) {
        struct account a;
        account_of(sc, p, t1, &a);
        s->field(s, "SubjectUserSid", SK_SID, a.sid, strlen(a.sid), 0);
        sstr(s, "SubjectUserName", a.name, a.nlen);
        sstr(s, "SubjectDomainName", a.domain, a.dlen);
        s->field(s, "SubjectLogonId", SK_HEX64, NULL, 0, a.logon_id);
        s->field(s, "Status", SK_HEX32, NULL, 0, 0);
        s->field(s, "ProcessId", SK_HEX64, NULL, 0, p->pid);
        sstr(s, "ProcessName", p->image, strlen(p->image));
        return;
    }
    const struct snap_proc *q = x->parent >= 0 ? sim_proc(sm, (size_t)x->parent) : NULL;
    struct account sub, tgt;
    account_of(sc, q, t1, &sub);
    account_of(sc, p, t2, &tgt);
    s->field(s, "SubjectUserSid", SK_SID, sub.sid, strlen(sub.sid), 0);
    sstr(s, "SubjectUserName", sub.name, sub.nlen);
    sstr(s, "SubjectDomainName", sub.domain, sub.dlen);
    s->field(s, "SubjectLogonId", SK_HEX64, NULL, 0, sub.logon_id);
    s->field(s, "NewProcessId", SK_HEX64, NULL, 0, p->pid);
    sstr(s, "NewProcessName", p->image, strlen(p->image));
    const char *el = elevation(p);
    sstr(s, "TokenElevationType", el, strlen(el));
    s->field(s, "ProcessId", SK_HEX64, NULL, 0, p->ppid);
    if (ver < 1)
        return;
    const char *cmd = p->command_line ? p->command_line : "";
    sstr(s, "CommandLine", cmd, strlen(cmd));
    if (ver < 2)
        return;
    int same = !strcmp(sub.sid, tgt.sid) && sub.logon_id == tgt.logon_id;
    if (same) {
        s->field(s, "TargetUserSid", SK_SID, "S-1-0-0", 7, 0);
        sstr(s, "TargetUserName", "-", 1);
        sstr(s, "TargetDomainName", "-", 1);
        s->field(s, "TargetLogonId", SK_HEX64, NULL, 0, 0);
    } else {
        s->field(s, "TargetUserSid", SK_SID, tgt.sid, strlen(tgt.sid), 0);
        sstr(s, "TargetUserName", tgt.name, tgt.nlen);
        sstr(s, "TargetDomainName", tgt.domain, tgt.dlen);
        s->field(s, "TargetLogonId", SK_HEX64, NULL, 0, tgt.logon_id);
    }
    const char *pn = q && q->image ? q->image : "";
    sstr(s, "ParentProcessName", pn, strlen(pn));
    const char *ml = label_sid(p);
    s->field(s, "MandatoryLabel", SK_SID, ml, strlen(ml), 0);
}

static int rec_version(const struct corpus_sample *cs, const struct srec *x)
{
    return x->eid == 4688 ? profile_get(corpus_sample_scn(cs)->os)->security_4688_version : 0;
}

/* ---- XML ------------------------------------------------------------------------------ */

struct xsink {
    struct ssink s;
    struct strbuf *sb, *tmp;
};

static void xml_field(struct ssink *s, const char *name, enum skind k, const char *str, size_t len,
                      uint64_t num)
{
    struct xsink *x = (struct xsink *)s;
    sb_adds(x->sb, "<Data Name=\"");
    sb_adds(x->sb, name);
    if (k == SK_STR && !len) {
        sb_adds(x->sb, "\"/>"); /* as Windows renders an empty value (Microsoft's 4688 example) */
        return;
    }
    sb_adds(x->sb, "\">");
    if (k == SK_HEX64 || k == SK_HEX32) {
        sb_addf(x->sb, "0x%llx", (unsigned long long)num); /* Windows: no padding */
    } else {
        sb_reset(x->tmp);
        sb_add(x->tmp, str, len);
        corpus_xml_escape(x->sb, x->tmp->buf);
    }
    sb_adds(x->sb, "</Data>");
}

static const uint8_t sec_guid[16] = {0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49,
                                     0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d};

/* Security-Auditing's System block: the kernel logs it (pid 4), under the
 * Process Creation (13312) or Process Termination (13313) task, with the
 * Audit Success keyword. */
static void sys_of(const struct corpus_sample *cs, const struct srec *x, struct corpus_sys *h)
{
    *h = (struct corpus_sys){"Microsoft-Windows-Security-Auditing",
                             "{54849625-5478-4994-A5BA-3E3B0328C30D}",
                             "Security",
                             NULL,
                             sec_guid,
                             (uint16_t)x->eid,
                             x->eid == 4688 ? 13312 : 13313,
                             (uint8_t)rec_version(cs, x),
                             0,
                             0,
                             0x8020000000000000ULL,
                             4,
                             x->tid};
}

void corpus_write_security_xml(struct corpus_sample *cs, struct strbuf *sb, struct corpus_loc *loc)
{
    struct sec_plan pl = {0};
    struct strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT, tmp = STRBUF_INIT;
    plan(cs, &pl);
    struct xsink xs = {{xml_field}, sb, &tmp};
    for (size_t i = 0; i < pl.n; i++) {
        const struct srec *x = &pl.v[i];
        struct corpus_sys h;
        sys_of(cs, x, &h);
        corpus_xml_system(sb, &h, x->t, sec_100ns(x->t), x->rid, corpus_sample_computer(cs));
        fields(cs, x, &xs.s, &t1, &t2);
        sb_adds(sb, "</EventData></Event>\n");
    }
    loc->lines = pl.n;
    loc->first_id = pl.n ? pl.v[0].rid : 0;
    loc->last_id = pl.n ? pl.v[pl.n - 1].rid : 0;
    free(pl.v);
    sb_release(&t1);
    sb_release(&t2);
    sb_release(&tmp);
}

/* ---- EVTX ----------------------------------------------------------------------------- */

#define SEC_MAX_FIELDS 16
/* EventData templates: 4688 of each version (its fields differ), 4689. */
enum { T_4688V0, T_4688V1, T_4688V2, T_4689, T_N };

struct esink {
    struct ssink s;
    struct evtxw_tpl *tpl; /* being built, or NULL */
    struct evtxw_vals *v;
    unsigned n;
    int bad;
};

static void evtx_field(struct ssink *s, const char *name, enum skind k, const char *str, size_t len,
                       uint64_t num)
{
    struct esink *x = (struct esink *)s;
    unsigned i = x->n++;
    static const enum evtxw_type types[] = {[SK_STR] = EVTXW_STRING,
                                            [SK_SID] = EVTXW_SID,
                                            [SK_HEX64] = EVTXW_HEX64,
                                            [SK_HEX32] = EVTXW_HEX32};
    if (i >= SEC_MAX_FIELDS) {
        x->bad = 1;
        return;
    }
    if (x->tpl) {
        evtxw_tpl_open(x->tpl, "Data", -1);
        evtxw_tpl_attr(x->tpl, "Name", name);
        evtxw_tpl_sub(x->tpl, i, types[k], 0);
        evtxw_tpl_close(x->tpl);
    }
    switch (k) {
    case SK_SID:
        if (evtxw_val_sid(x->v, i, str) < 0)
            x->bad = 1;
        break;
    case SK_HEX64: evtxw_val_hex64(x->v, i, num); break;
    case SK_HEX32: evtxw_val_hex32(x->v, i, (uint32_t)num); break;
    default: evtxw_val_str(x->v, i, str, len); break;
    }
}

int corpus_write_security_evtx(struct corpus_sample *cs, struct evtxw *w, struct corpus_loc *loc,
                               struct err *e)
{
    struct sec_plan pl = {0};
    plan(cs, &pl);
    struct evtxw_tpl *sys = evtxw_tpl_new(), *data[T_N] = {NULL};
    struct evtxw_vals *outer = evtxw_vals_new(), *inner = evtxw_vals_new();
    struct strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT;
    int rc = 0;
    corpus_evtx_system_tpl(sys, corpus_sample_computer(cs));
    if (evtxw_tpl_done(sys, e) < 0)
        rc = -1;
    loc->lines = 0;
    for (size_t i = 0; i < pl.n && !rc; i++) {
        const struct srec *x = &pl.v[i];
        int ver = rec_version(cs, x);
        int k = x->eid == 4689 ? T_4689 : T_4688V0 + ver;
        struct esink es = {{evtx_field}, NULL, inner, 0, 0};
        if (!data[k]) {
            data[k] = evtxw_tpl_new();
            evtxw_tpl_open(data[k], "EventData", -1);
            es.tpl = data[k];
        }
        evtxw_vals_reset(inner, 0);
        fields(cs, x, &es.s, &t1, &t2);
        if (es.tpl) {
            evtxw_tpl_close(es.tpl);
            if (evtxw_tpl_done(es.tpl, e) < 0) {
                rc = -1;
                break;
            }
        }
        if (es.bad) {
            err_set(e, "security evtx: record %llu has a malformed SID or too many fields",
                    (unsigned long long)x->rid);
            rc = -1;
            break;
        }
        struct corpus_sys h;
        sys_of(cs, x, &h);
        corpus_evtx_system_vals(outer, &h, sec_filetime(x->t), x->rid);
        evtxw_val_binxml(outer, SV_EVENTDATA, data[k], inner);
        uint64_t num;
        if (evtxw_record(w, sec_filetime(x->t), sys, outer, &num, e) < 0) {
            rc = -1;
            break;
        }
        if (!loc->lines) {
            loc->line = num;
            loc->first_id = x->rid;
        }
        loc->last_id = x->rid;
        loc->lines++;
    }
    free(pl.v);
    evtxw_tpl_free(sys);
    for (int k = 0; k < T_N; k++)
        evtxw_tpl_free(data[k]);
    evtxw_vals_free(outer);
    evtxw_vals_free(inner);
    sb_release(&t1);
    sb_release(&t2);
    return rc;
}

int corpus_security_record_ids(struct corpus_sample *cs, long proc, uint64_t ids[2])
{
    struct sec_plan pl = {0};
    plan(cs, &pl);
    int n = 0;
    for (size_t i = 0; i < pl.n && n < 2; i++)
        if (pl.v[i].proc == proc)
            ids[n++] = pl.v[i].rid;
    free(pl.v);
    return n;
}
