/*
 * gen: one corpus sample's scenario, drawn from its own seed. Everything is
 * chosen so the simulation is valid by construction: anomalies acting from a
 * desktop get a session whose user is logged on (and still is) when they act,
 * core-late-start gets a session nobody opens, a late master smss shifts the
 * logons behind it. The preconditions mirror sim/anomaly.c (prep_* and
 * need_user); a sample that fails to simulate is a bug here, and a test runs
 * 10,000 samples to prove there are none.
 *
 * Streams: the sample seed comes from prng_child(corpus seed, index); inside
 * the sample, separate child streams pick the machine, the sessions, the
 * options and the anomalies, so adding a draw to one does not reshuffle the
 * others. Probabilities are integers (per mille, parts per million).
 */
#include "corpus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/prng.h"
#include "../core/wtime.h"
#include "../sim/anomaly.h"
#include "../sim/profile.h"

enum {
    ST_MACHINE = 11,
    ST_SESS = 12,
    ST_OPT = 13,
    ST_ANOM = 14,
    ST_RATE = 15,
    ST_DNS = 16,
    ST_EVENTS = 17, /* lock, reconnect, shutdown */
    ST_VENDOR = 18  /* the third-party BootExecute entry */
};

static const char *const host_prefix[] = {"WS",  "DESKTOP", "LAPTOP", "PC",  "FIN",   "HR",
                                          "DEV", "OPS",     "SALES",  "ENG", "KIOSK", "LAB"};
static const char *const server_prefix[] = {"SRV", "DC", "APP", "SQL", "FS", "RDS", "WEB"};
static const char *const domains[] = {"CORP",      "CONTOSO",  "FABRIKAM", "NORTHWIND", "ACME",
                                      "WOODGROVE", "TAILSPIN", "LITWARE",  "WORKGROUP"};
static const char *const users[] = {
    "alice", "bob",    "carol",   "dave",    "erin",     "frank",    "grace",   "heidi",
    "ivan",  "judy",   "mallory", "niaj",    "olivia",   "peggy",    "rupert",  "sybil",
    "trent", "victor", "walter",  "svc_sql", "adm_jdoe", "helpdesk", "j.smith", "m.garcia"};
static const char *const shared_sections[] = {"1024,20480,1024", "1024,12288,512",
                                              "1024,20480,2048", "1024,40960,768"};

static const char *pick(struct prng *r, const char *const *v, size_t n)
{
    return v[prng_below(r, n)];
}
#define PICK(r, arr) pick((r), (arr), ARRAY_SIZE(arr))

uint64_t corpus_sample_seed(uint64_t corpus_seed, uint64_t index)
{
    struct prng r;
    prng_child(&r, corpus_seed, index);
    return prng_next(&r);
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    return sb_detach(&sb, NULL);
}

static char *dur(int64_t us)
{
    char b[64];
    wt_format_duration(us, b, sizeof(b));
    return xstrdup(b);
}

/* ---- sessions ------------------------------------------------------------------- */

static struct scn_session *add_session(struct scn *sc)
{
    sc->sessions = xrealloc(sc->sessions, (sc->nsessions + 1) * sizeof(*sc->sessions));
    struct scn_session *s = &sc->sessions[sc->nsessions++];
    memset(s, 0, sizeof(*s));
    s->connect = s->logon = s->logoff = WT_NONE;
    return s;
}

static char *user_name(struct prng *r, const struct scn *sc)
{
    return xprintf("%s\\%s", sc->domain, PICK(r, users));
}

/* Sessions: the console (a logon most of the time), then 0..3 extra ones
 * (RDP mostly, fast user switching sometimes), some logging off. `shift`
 * moves everything behind a late master smss. */
static void gen_sessions(struct scn *sc, struct prng *r, int64_t shift)
{
    struct scn_session *c = &sc->sessions[0];
    if (prng_chance(r, 85, 100)) {
        c->user = user_name(r, sc);
        c->logon = shift + prng_range(r, 25 * WT_SEC, 150 * WT_SEC);
        if (prng_chance(r, 8, 100))
            c->logoff = c->logon + prng_range(r, 10 * WT_MIN, 90 * WT_MIN);
    }
    int server = profile_get(sc->os)->server;
    uint64_t extra = prng_below(r, server ? 5 : 3);
    int32_t id = 2;
    for (uint64_t i = 0; i < extra; i++) {
        struct scn_session *s = add_session(sc);
        s->id = id++;
        s->kind = prng_chance(r, server ? 95 : 75, 100) ? SCN_SESS_RDP : SCN_SESS_CONSOLE;
        s->user = user_name(r, sc);
        s->logon = shift + prng_range(r, 3 * WT_MIN, 50 * WT_MIN);
        if (prng_chance(r, 40, 100))
            s->logoff = s->logon + prng_range(r, 5 * WT_MIN, 60 * WT_MIN);
    }
}

/* A session whose user is logged on from `from` until at least `until`
 * (a logoff ends the desktop the anomaly needs); -1 if none. */
static int32_t desktop_session(const struct scn *sc, struct prng *r, int64_t *at)
{
    int32_t ok[SCN_MAX_SESSIONS + 1];
    int64_t lo[SCN_MAX_SESSIONS + 1], hi[SCN_MAX_SESSIONS + 1];
    size_t n = 0;
    for (size_t i = 0; i < sc->nsessions && n < ARRAY_SIZE(ok); i++) {
        const struct scn_session *s = &sc->sessions[i];
        if (!s->user || s->logon == WT_NONE)
            continue;
        int64_t a = s->logon + 30 * WT_SEC;
        if (a < 2 * WT_MIN)
            a = 2 * WT_MIN;
        int64_t b = s->logoff == WT_NONE ? a + 40 * WT_MIN : s->logoff - 3 * WT_MIN;
        if (b <= a)
            continue;
        ok[n] = s->id, lo[n] = a, hi[n] = b;
        n++;
    }
    if (!n)
        return -1;
    size_t k = (size_t)prng_below(r, n);
    *at = prng_range(r, lo[k], hi[k]);
    /* Whole milliseconds keep the manifest's durations short. */
    *at -= *at % WT_MSEC;
    return ok[k];
}

static int32_t unused_session(const struct scn *sc, struct prng *r)
{
    int32_t max = 1;
    for (size_t i = 0; i < sc->nsessions; i++)
        if (sc->sessions[i].id > max)
            max = sc->sessions[i].id;
    return max + 1 + (int32_t)prng_below(r, 4);
}

/* ---- anomalies ------------------------------------------------------------------ */

static struct scn_anomaly *add_anomaly(struct scn *sc, const char *type)
{
    sc->anomalies = xrealloc(sc->anomalies, (sc->nanomalies + 1) * sizeof(*sc->anomalies));
    struct scn_anomaly *a = &sc->anomalies[sc->nanomalies++];
    memset(a, 0, sizeof(*a));
    a->type = xstrdup(type);
    a->id = xprintf("a%zu", sc->nanomalies);
    return a;
}

static void param(struct scn_anomaly *a, const char *key, char *value /* owned */)
{
    a->params = xrealloc(a->params, (a->nparams + 1) * sizeof(*a->params));
    struct scn_param *p = &a->params[a->nparams++];
    memset(p, 0, sizeof(*p));
    p->key = xstrdup(key);
    p->value = value;
}

static int64_t after_boot_at(struct prng *r, int64_t shift)
{
    int64_t at = shift + prng_range(r, 2 * WT_MIN + WT_SEC, 45 * WT_MIN);
    return at - at % WT_MSEC;
}

/* Types that need a logged-on desktop session (the catalogue's DESKTOP_ANOM rows). */
static int needs_desktop(const char *t)
{
    const struct anom_type *ty = anom_find(t);
    return ty && ty->desktop;
}

/* The catalogue row's "key=a|b|c" list: the choices the simulator accepts,
 * so the generator follows the catalogue when it changes. Returns a random
 * choice (owned), or NULL when the row has no such key. */
static char *catalogue_choice(const struct anom_type *ty, const char *key, struct prng *r)
{
    struct anom_param p;
    if (!anom_param(ty, key, &p) || !p.nchoices)
        return NULL;
    size_t n;
    const char *c = anom_param_choice(&p, prng_below(r, p.nchoices), &n);
    return xstrndup(c, n);
}

/* The value of parameter key drawn so far, or "". */
static const char *drawn(const struct scn_anomaly *a, const char *key, size_t n)
{
    for (size_t i = 0; i < a->nparams; i++)
        if (strlen(a->params[i].key) == n && !memcmp(a->params[i].key, key, n))
            return a->params[i].value;
    return "";
}

/* A composed value (the row's P_*_DRAWN or P_*_FROM): one draw per list
 * of two or more candidates, in the row's order, then the template with
 * {N} the N-th list's draw, {key} an earlier parameter's value and
 * {key:file} its file name. anomaly__draw_templates__resolve
 * (tests/test_corpus.c) holds every row's template to this. */
static char *composed(const struct anom_pdef *d, const struct scn_anomaly *a, struct prng *r)
{
    const char *pick_of[8] = {0};
    for (size_t i = 0; d->draw && d->draw[i] && i < ARRAY_SIZE(pick_of); i++) {
        size_t n = 0;
        while (d->draw[i][n])
            n++;
        pick_of[i] = n > 1 ? pick(r, d->draw[i], n) : d->draw[i][0];
    }
    struct strbuf sb = STRBUF_INIT;
    for (const char *f = d->draw_fmt; *f; f++) {
        const char *end = *f == '{' ? strchr(f, '}') : NULL;
        if (!end) {
            sb_addc(&sb, *f);
            continue;
        }
        const char *key = f + 1, *colon = memchr(key, ':', (size_t)(end - key));
        size_t n = (size_t)((colon ? colon : end) - key);
        const char *v;
        if (n == 1 && key[0] >= '0' && key[0] <= '7') {
            v = pick_of[key[0] - '0'] ? pick_of[key[0] - '0'] : "";
        } else {
            v = drawn(a, key, n);
            if (colon) { /* :file, the part after the last '\\' */
                const char *b = strrchr(v, '\\');
                v = b ? b + 1 : v;
            }
        }
        sb_adds(&sb, v);
        f = end;
    }
    return sb_detach(&sb, NULL);
}

/* Draw valid parameters for type t. Returns 0, or -1 when this sample
 * cannot host it (no desktop session): the caller gives it one. */
static int gen_anomaly(struct scn *sc, struct prng *r, const char *t, int64_t shift)
{
    const struct anom_type *ty = anom_find(t);
    int64_t at = after_boot_at(r, shift);
    int32_t sess = -1;
    if (needs_desktop(t)) {
        sess = desktop_session(sc, r, &at);
        if (sess < 0)
            return -1;
    }
    struct scn_anomaly *a = add_anomaly(sc, t);
    char *process = catalogue_choice(ty, "process", r);
    char *parent = catalogue_choice(ty, "parent", r);
    if (process)
        param(a, "process", process);
    if (parent)
        param(a, "parent", parent);
    /* A parameter with values seen in real attacks (the row's P_*_SEEN):
     * one of them. */
    for (const struct anom_pdef *d = ty->params; d->key; d++)
        if (d->seen) {
            size_t n = 0;
            while (d->seen[n])
                n++;
            param(a, d->key, xstrdup(pick(r, d->seen, n)));
        }
    /* The rest the row composes (P_*_DRAWN, P_*_FROM) or takes from the
     * boot's delay (P_BOOT_DELAY), in the row's order. */
    for (const struct anom_pdef *d = ty->params; d->key; d++)
        if (d->boot_delay[1])
            param(a, d->key, dur(shift));
        else if (d->draw_fmt)
            param(a, d->key, composed(d, a, r));
    const struct anom_pdef *sdef = anom_pdef(ty, "session");
    if (sdef) {
        if (sess < 0 && sdef->fresh)
            sess = unused_session(sc, r);
        else if (sess < 0)
            sess = sc->sessions[prng_below(r, sc->nsessions)].id;
        param(a, "session", xprintf("%d", (int)sess));
    }
    if (anom_accepts(ty, "at"))
        param(a, "at", dur(at));
    return 0;
}

static void gen_anomalies(struct scn *sc, struct prng *r, const char **chosen, size_t nchosen,
                          int64_t shift)
{
    for (size_t i = 0; i < nchosen; i++)
        if (gen_anomaly(sc, r, chosen[i], shift) < 0) {
            /* No desktop for it: the console user logs on (and stays), so
             * the drawn type is kept whatever --anomalies allows. */
            struct scn_session *c = &sc->sessions[0];
            if (!c->user)
                c->user = user_name(r, sc);
            c->logon = shift + prng_range(r, 25 * WT_SEC, 150 * WT_SEC);
            c->logoff = WT_NONE;
            gen_anomaly(sc, r, chosen[i], shift);
        }
}

/* ---- session events: benign noise ------------------------------------------------ */

static void add_event(struct scn *sc, enum scn_event_kind kind, int64_t at, int32_t session)
{
    sc->events = xrealloc(sc->events, (sc->nevents + 1) * sizeof(*sc->events));
    struct scn_event *e = &sc->events[sc->nevents++];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->at = at - at % WT_MSEC;
    e->session = session;
}

static int64_t latest(int64_t a, int64_t b)
{
    return a == WT_NONE || b > a ? b : a;
}

/* A quarter of the samples lock and unlock a logged-on session, or
 * disconnect and reconnect it; a tenth of the anomaly-free ones end with a
 * shutdown (an anomaly's label may rest on a process the shutdown ends).
 * The rules the loader checks (sim/scn_load.c, check_events) hold by
 * construction: 30 s after the logon, 30 s apart, 30 s before the logoff,
 * nothing after the shutdown. The processes they start are listed as benign
 * (lock-screen, reconnect-atbroker, reconnect-session, shutdown-screen). */
static void gen_events(struct scn *sc, struct prng *r)
{
    const int64_t gap = 30 * WT_SEC;
    if (prng_chance(r, 25, 100)) {
        size_t k = (size_t)prng_below(r, sc->nsessions);
        const struct scn_session *s = &sc->sessions[k];
        int64_t lo = s->logon + gap + WT_SEC;
        int64_t hi = s->logoff == WT_NONE ? lo + 60 * WT_MIN : s->logoff - gap - WT_SEC;
        if (s->user && s->logon != WT_NONE && hi - lo > 3 * gap) {
            int64_t t1 = prng_range(r, lo, hi - 2 * gap);
            int64_t t2 = prng_range(r, t1 + gap + WT_SEC, t1 + 15 * WT_MIN);
            if (t2 > hi)
                t2 = hi;
            int lock = prng_chance(r, 60, 100);
            add_event(sc, lock ? SCN_EV_LOCK : SCN_EV_DISCONNECT, t1, s->id);
            add_event(sc, lock ? SCN_EV_UNLOCK : SCN_EV_RECONNECT, t2, s->id);
        }
    }
    if (sc->nanomalies || !prng_chance(r, 10, 100))
        return;
    int64_t last = 2 * WT_MIN;
    for (size_t i = 0; i < sc->nsessions; i++) {
        const struct scn_session *s = &sc->sessions[i];
        last = latest(latest(latest(last, s->connect), s->logon), s->logoff);
    }
    for (size_t i = 0; i < sc->nsnapshots; i++)
        if (sc->snapshots[i] != SCN_AT_END)
            last = latest(last, sc->snapshots[i]);
    if (sc->nevents)
        last = latest(last, sc->events[sc->nevents - 1].at);
    add_event(sc, SCN_EV_SHUTDOWN, last + prng_range(r, WT_MIN, 10 * WT_MIN), -1);
}

/* ---- the sample ------------------------------------------------------------------ */

void corpus_gen_scenario(struct scn *sc, uint64_t corpus_seed, uint64_t index, uint32_t rate_ppm,
                         const char *const *types, size_t ntypes)
{
    uint64_t seed = corpus_sample_seed(corpus_seed, index);
    struct prng rm, rs, ro, ra, rr;
    prng_child(&rm, seed, ST_MACHINE);
    prng_child(&rs, seed, ST_SESS);
    prng_child(&ro, seed, ST_OPT);
    prng_child(&ra, seed, ST_ANOM);
    prng_child(&rr, seed, ST_RATE);

    scn_init(sc);
    sc->seed = seed;
    free(sc->file);
    sc->file = xprintf("<sample %llu>", (unsigned long long)index);
    sc->name = xprintf("corpus-sample-%llu", (unsigned long long)index);

    /* Machine: the OS by the rows' weights (kb/oses.def; they add up to 100). */
    uint64_t w = prng_below(&rm, 100);
    sc->os = SCN_OS_WIN10;
    for (uint64_t i = 0, cum = 0; i < KB_OS_COUNT; i++) {
        cum += (uint64_t)kb_oses[i].corpus_weight;
        if (w < cum) {
            sc->os = (enum scn_os)i;
            break;
        }
    }
    const struct kb_os *os = profile_get(sc->os);
    free(sc->host);
    free(sc->domain);
    /* One draw per statement: C leaves the order of a call's arguments
     * open, and clang drew these the other way round from gcc. The order
     * is gcc's, so corpora made before stay the same. */
    unsigned host_no = (unsigned)prng_below(&rm, 10000);
    const char *prefix = os->server ? PICK(&rm, server_prefix) : PICK(&rm, host_prefix);
    sc->host = xprintf("%s-%04u", prefix, host_no);
    sc->domain = xstrdup(PICK(&rm, domains));
    /* Half the domain members log their FQDN as Computer (PC01.example.corp,
     * WORKSTATION5.theshire.local in ../shared/real): their own stream, so
     * the rest of the sample stays as it was. */
    struct prng rdn;
    prng_child(&rdn, seed, ST_DNS);
    free(sc->dns_domain);
    sc->dns_domain = NULL;
    if (strcmp(sc->domain, "WORKGROUP") && prng_chance(&rdn, 1, 2)) {
        sc->dns_domain = xprintf("%s.local", sc->domain);
        for (char *c = sc->dns_domain; *c; c++)
            *c = ascii_lower(*c);
    }
    /* Boots spread over 2023-2025, at any microsecond. */
    int64_t base = wt_days_from_civil(2023, 1, 1) * WT_DAY;
    sc->boot_time = base + prng_range(&rm, 0, 3 * 365 * WT_DAY - 1);

    /* Anomalies: decided first, because a late master shifts the sessions. */
    const char *chosen[3];
    size_t nchosen = 0;
    if (prng_chance(&rr, rate_ppm, CORPUS_PPM)) {
        uint64_t k = prng_below(&ra, 100);
        size_t want = k < 70 ? 1 : k < 90 ? 2 : 3;
        size_t pool = types ? ntypes : anom_count();
        if (want > pool)
            want = pool;
        while (nchosen < want) {
            uint64_t j = prng_below(&ra, pool);
            const char *t = types ? types[j] : anom_get((size_t)j)->id;
            int dup = 0;
            for (size_t i = 0; i < nchosen; i++)
                dup |= !strcmp(chosen[i], t);
            if (!dup)
                chosen[nchosen++] = t;
        }
    }
    /* A row whose parameter delays the boot (P_BOOT_DELAY) draws it now:
     * the sessions move behind it. */
    int64_t shift = 0;
    for (size_t i = 0; i < nchosen; i++)
        for (const struct anom_pdef *d = anom_find(chosen[i])->params; d->key; d++)
            if (d->boot_delay[1])
                shift = prng_range(&ra, d->boot_delay[0], d->boot_delay[1]) * WT_SEC;

    gen_sessions(sc, &rs, shift);

    /* Hard negatives: normal variants that look odd, never labelled. */
    int has_rdp = 0;
    for (size_t i = 0; i < sc->nsessions; i++)
        has_rdp |= sc->sessions[i].kind == SCN_SESS_RDP;
    sc->opt.rdp_termsvcs_parent = has_rdp && prng_chance(&ro, 30, 100);
    sc->opt.special_session = prng_chance(&ro, 10, 100);
    if (os->win11_child_line)
        sc->opt.win11_child_line = prng_chance(&ro, 80, 100);
    sc->opt.pid_reuse = prng_chance(&ro, 90, 100);
    if (prng_chance(&ro, 15, 100))
        sc->opt.shared_section = xstrdup(PICK(&ro, shared_sections));
    if (os->can_credential_guard && prng_chance(&ro, 15, 100))
        sc->opt.credential_guard = 1;
    /* A third-party BootExecute entry (Citrix Provisioning's PvsVmBoot):
     * labelled benign noise, its own stream so the rest stays as it was. */
    struct prng rv;
    prng_child(&rv, seed, ST_VENDOR);
    sc->opt.vendor_bootexecute = prng_chance(&rv, 8, 100);

    /* Snapshots: before boot (the registry smss will read: a pending rename
     * is only visible there), sometimes mid-boot, and at the end. */
    free(sc->snapshots);
    int mid = prng_chance(&ro, 20, 100);
    sc->snapshots = xcalloc(3, sizeof(*sc->snapshots));
    sc->nsnapshots = 0;
    sc->snapshots[sc->nsnapshots++] = 0;
    if (mid)
        sc->snapshots[sc->nsnapshots++] = shift + 30 * WT_SEC;
    sc->snapshots[sc->nsnapshots++] = SCN_AT_END;

    gen_anomalies(sc, &ra, chosen, nchosen, shift);

    /* Session events last, from their own stream: they fit around what is drawn. */
    struct prng rev;
    prng_child(&rev, seed, ST_EVENTS);
    gen_events(sc, &rev);
}
