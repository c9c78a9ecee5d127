/*
 * lab: "spot the anomaly" exercises with an instructor's key. Each exercise
 * is a randomised boot from the corpus generator (corpus_gen_scenario, asked
 * for one anomaly of a type its difficulty allows, or none), with the hard
 * negatives set here and the host shaped to the difficulty (docs/teaching.md).
 * A drawn host is kept only when the checker agrees with its labels, so a
 * key never asks for something the rules cannot see and a normal exercise
 * never raises a finding; otherwise the next draw of the same seed is tried.
 *
 * What a student gets must not give the answer away: no labels, anomaly ids
 * or scenario names, no registry events that exist only for a planted value,
 * and no injected process at a round offset (the generator draws `at` to the
 * millisecond; a few random microseconds are added here, as real starts have).
 * Everything is a function of the options: the same lab, byte for byte.
 */
#include "teach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/prng.h"
#include "../core/wtime.h"
#include "../corpus/corpus.h"
#include "../evtxw/evtxw.h"
#include "../sim/anomaly.h"
#include "../sim/profile.h"
#include "../sim/scn.h"
#include "../sim/sim.h"

/* Streams of the lab seed. */
enum { ST_NORMALS = 21, ST_EXERCISE = 22 };
/* Streams of an exercise's seed. */
enum { SX_TYPE = 1, SX_HARD = 2, SX_JITTER = 3 };
#define MAX_ATTEMPTS 400

/* Blatant: a core process with the wrong parent, path or user. */
const char *const teach_lab_easy[] = {"smss-wrong-parent", "smss-wrong-path", "smss-wrong-user",
                                      "core-wrong-parent", "core-wrong-path", "core-wrong-user",
                                      "explorer-as-system"};
/* Needs a count, a session or a child looked at. */
const char *const teach_lab_medium[] = {
    "core-extra-instance", "core-wrong-session", "smss-extra-instance",  "smss-child-not-exited",
    "lsass-children",      "services-shell",     "svchost-wrong-parent", "svchost-no-k",
    "sticky-keys",         "lsass-dump-comsvcs", "lsass-dump-werfault",  "ppid-spoof",
    "winlogon-userinit"};
/* Subtle: a look-alike name, a registry value, a timing. */
const char *const teach_lab_hard[] = {
    "smss-lookalike",           "smss-late-master",   "core-late-start",
    "bootexecute-extra",        "setupexecute-entry", "appcertdlls",
    "knowndlls-changed",        "subsystems-extra",   "subsystems-windows-changed",
    "subsystems-kmode-changed", "winlogon-shell",     "ssp-added",
    "password-filter",          "runasppl-off",       "credential-guard-off",
    "wdigest-enabled",          "appinit-dlls",       "safedllsearch-off",
    "silent-process-exit",      "ifeo-debugger"};
const size_t teach_lab_neasy = ARRAY_SIZE(teach_lab_easy);
const size_t teach_lab_nmedium = ARRAY_SIZE(teach_lab_medium);
const size_t teach_lab_nhard = ARRAY_SIZE(teach_lab_hard);

const char *const *teach_lab_pool(enum teach_difficulty d, size_t *n)
{
    *n = d == TEACH_EASY     ? teach_lab_neasy
         : d == TEACH_MEDIUM ? teach_lab_nmedium
                             : teach_lab_nhard;
    return d == TEACH_EASY ? teach_lab_easy : d == TEACH_MEDIUM ? teach_lab_medium : teach_lab_hard;
}

/* ---- topics --------------------------------------------------------------------- */

static void topics_add(struct teach_topics *t, const char *topic, size_t len)
{
    if (len == 0 || len >= TEACH_TOPIC_LEN)
        return;
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->v[i]) == len && !ascii_ncasecmp(t->v[i], topic, len))
            return;
    if (t->n == TEACH_MAX_TOPICS)
        return;
    for (size_t i = 0; i < len; i++) {
        char c = topic[i];
        t->v[t->n][i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    t->v[t->n][len] = '\0';
    t->n++;
}

/* A rule's topic: its lesson's process without ".exe", the first word of a
 * generic core rule's id, or the lesson itself. */
static void rule_topic(struct teach_topics *t, const char *rule_id)
{
    const struct chk_rule *r = rule_id ? chk_rule_find(rule_id) : NULL;
    if (!r || !r->process)
        return;
    const char *lesson = r->process;
    size_t n = strlen(lesson);
    if (n > 4 && ascii_ends_with_case(lesson, ".exe"))
        topics_add(t, lesson, n - 4);
    else if (!ascii_casecmp(lesson, "core"))
        topics_add(t, r->id, strcspn(r->id, "-"));
    else
        topics_add(t, lesson, n);
}

void teach_lab_type_topics(const char *type, struct teach_topics *t)
{
    t->n = 0;
    const struct anom_type *a = type ? anom_find(type) : NULL;
    if (!a)
        return;
    size_t first = strcspn(a->rules, ",");
    char id[96];
    if (first > 3 && a->rules[0] == '{' && a->rules[2] == '}') {
        /* {P}/{Q}: the rule of every process the parameter allows. */
        const struct anom_pdef *d = anom_pdef(a, a->rules[1] == 'P' ? "process" : "parent");
        for (size_t k = 0; d && d->choices && d->choices[k]; k++) {
            const char *v = d->choices[k];
            snprintf(id, sizeof(id), "%.*s%.*s", (int)strcspn(v, "."), v, (int)(first - 3),
                     a->rules + 3);
            rule_topic(t, id);
        }
    } else {
        snprintf(id, sizeof(id), "%.*s", (int)first, a->rules);
        rule_topic(t, id);
    }
    if (a->plant)
        topics_add(t, "registry", 8);
}

static int topic_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

void teach_lab_topics_all(struct teach_topics *t)
{
    const char *const *lists[] = {teach_lab_easy, teach_lab_medium, teach_lab_hard};
    const size_t *counts[] = {&teach_lab_neasy, &teach_lab_nmedium, &teach_lab_nhard};
    t->n = 0;
    for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
        for (size_t i = 0; i < *counts[l]; i++) {
            struct teach_topics one;
            teach_lab_type_topics(lists[l][i], &one);
            for (size_t k = 0; k < one.n; k++)
                topics_add(t, one.v[k], strlen(one.v[k]));
        }
    qsort(t->v, t->n, sizeof(t->v[0]), topic_cmp);
}

int teach_topics_meet(const struct teach_topics *a, const struct teach_topics *b)
{
    for (size_t i = 0; i < a->n; i++)
        for (size_t k = 0; k < b->n; k++)
            if (!strcmp(a->v[i], b->v[k]))
                return 1;
    return 0;
}

static void topics_list(char *buf, size_t size, const struct teach_topics *t)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", t->v[i]);
}

int teach_lab_parse_topics(const char *s, struct teach_topics *out, struct err *e)
{
    struct teach_topics all;
    teach_lab_topics_all(&all);
    out->n = 0;
    for (const char *p = s;; p++) {
        size_t n = strcspn(p, ",");
        struct teach_topics one = {.n = 0};
        topics_add(&one, p, n);
        if (one.n == 0 || !teach_topics_meet(&one, &all)) {
            char list[TEACH_MAX_TOPICS * (TEACH_TOPIC_LEN + 2)];
            topics_list(list, sizeof(list), &all);
            err_set(e, "unknown topic '%.*s' (topics: %s)", (int)(n > 64 ? 64 : n), p, list);
            return -1;
        }
        topics_add(out, one.v[0], strlen(one.v[0]));
        p += n;
        if (!*p)
            break;
    }
    return 0;
}

/* The types of difficulty d that are about one of the topics (all of them
 * when no topic is asked for). */
static size_t types_for(enum teach_difficulty d, const struct teach_topics *want, const char **out)
{
    size_t n;
    const char *const *list = teach_lab_pool(d, &n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        struct teach_topics t;
        teach_lab_type_topics(list[i], &t);
        if (want->n == 0 || teach_topics_meet(&t, want))
            out[m++] = list[i];
    }
    return m;
}

int teach_lab_check_topics(const struct teach_lab_opts *o, struct err *e)
{
    const char *buf[64];
    if (o->topics.n == 0)
        return 0;
    char have[64] = "";
    size_t len = 0;
    for (int d = TEACH_EASY; d <= TEACH_HARD; d++)
        if (types_for((enum teach_difficulty)d, &o->topics, buf) > 0) {
            if (o->difficulty == TEACH_MIXED || (int)o->difficulty == d)
                return 0;
            len += (size_t)snprintf(have + len, sizeof(have) - len, "%s%s", len ? ", " : "",
                                    teach_difficulty_name((enum teach_difficulty)d));
        }
    err_set(e, "no %s exercise is about %s%s (difficulties that have one: %s)",
            teach_difficulty_name(o->difficulty), o->topics.n > 1 ? "these topics" : "topic ",
            o->topics.n > 1 ? "" : o->topics.v[0], len ? have : "none");
    return -1;
}

static const char *const difficulty_names[] = {"easy", "medium", "hard", "mixed"};

const char *teach_difficulty_name(enum teach_difficulty d)
{
    return (unsigned)d < ARRAY_SIZE(difficulty_names) ? difficulty_names[d] : "?";
}

int teach_difficulty_parse(const char *s, enum teach_difficulty *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(difficulty_names); i++)
        if (!strcmp(s, difficulty_names[i])) {
            *out = (enum teach_difficulty)i;
            return 0;
        }
    return -1;
}

static const char *const format_names[] = {"native", "sysmon", "table", "picture", "evtx"};

int teach_lab_parse_formats(const char *s, unsigned *out, struct err *e)
{
    unsigned f = 0;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        for (; i < ARRAY_SIZE(format_names); i++)
            if (strlen(format_names[i]) == n && !strncmp(p, format_names[i], n))
                break;
        if (n == 3 && !strncmp(p, "all", 3)) {
            f = TEACH_LAB_ALL;
        } else if (i < ARRAY_SIZE(format_names)) {
            f |= 1u << i;
        } else {
            err_set(e,
                    "unknown format '%.*s' (expected native, sysmon, evtx, table, picture or all)",
                    (int)(n > 64 ? 64 : n), p);
            return -1;
        }
        if (!p[n])
            break;
        p += n + 1;
    }
    *out = f;
    return 0;
}

/* ---- hard negatives ----------------------------------------------------------------- */

struct hard_neg {
    const char *id;
    const char *what; /* why it looks odd and is normal: the key and the grader's feedback */
};

static const struct hard_neg hard_negs[] = {
    {"special_session", "the master smss.exe's command line carries -SpecialSession, as on "
                        "hosts that start a special session; still one master, started by System"},
    {"shared_section", "csrss.exe's SharedSection= desktop-heap sizes are tuned (Microsoft KB "
                       "184802): a different command line, the same csrss"},
    {"credential_guard", "Credential Guard is on: LsaIso.exe and Secure System run beside lsass"},
    {"rdp_termsvcs_parent", "the RDP session's csrss and winlogon are recorded with the "
                            "Terminal Services svchost (-k termsvcs) as parent, as Windows does"},
    {"atbroker", "winlogon starts AtBroker.exe (the accessibility broker) at each logon, as "
                 "the user, for a moment"},
    {"per_user_services", "services.exe starts per-user service hosts (svchost.exe -k "
                          "UnistackSvcGroup) as the user, in the user's session"},
    {"lsass_crash_report", "lsass.exe starts WerFault.exe -u -p PID -s N: a crash report, "
                           "not a dump (a dump asks with -ip)"},
    {"vendor_bootexecute", "BootExecute also runs a vendor's native program (Citrix "
                           "Provisioning's PvsVmBoot), which smss starts before any session"},
};

const char *teach_hard_negative_text(const char *id)
{
    for (size_t i = 0; i < ARRAY_SIZE(hard_negs); i++)
        if (!strcmp(hard_negs[i].id, id))
            return hard_negs[i].what;
    return "";
}

static int has_logon(const struct scn *sc)
{
    for (size_t i = 0; i < sc->nsessions; i++)
        if (sc->sessions[i].user && sc->sessions[i].logon != WT_NONE)
            return 1;
    return 0;
}

static int has_rdp(const struct scn *sc)
{
    for (size_t i = 0; i < sc->nsessions; i++)
        if (sc->sessions[i].kind == SCN_SESS_RDP)
            return 1;
    return 0;
}

static int hard_neg_fits(const struct scn *sc, const char *id, const char *type)
{
    if (!strcmp(id, "credential_guard"))
        return profile_get(sc->os)->can_credential_guard &&
               !(type && !strcmp(type, "credential-guard-off"));
    if (!strcmp(id, "rdp_termsvcs_parent"))
        return has_rdp(sc);
    if (!strcmp(id, "atbroker") || !strcmp(id, "per_user_services"))
        return has_logon(sc);
    if (!strcmp(id, "vendor_bootexecute"))
        return !(type &&
                 (!strcmp(type, "bootexecute-extra") || !strcmp(type, "setupexecute-entry")));
    if (!strcmp(id, "lsass_crash_report"))
        return !(type && !strncmp(type, "lsass-", 6));
    return 1;
}

static void hard_neg_set(struct scn *sc, const char *id, struct prng *r)
{
    static const char *const sections[] = {"1024,20480,1024", "1024,12288,512", "1024,20480,2048"};
    if (!strcmp(id, "special_session"))
        sc->opt.special_session = 1;
    else if (!strcmp(id, "shared_section"))
        sc->opt.shared_section = xstrdup(sections[prng_below(r, ARRAY_SIZE(sections))]);
    else if (!strcmp(id, "credential_guard"))
        sc->opt.credential_guard = 1;
    else if (!strcmp(id, "rdp_termsvcs_parent"))
        sc->opt.rdp_termsvcs_parent = 1;
    else if (!strcmp(id, "atbroker"))
        sc->opt.atbroker = 1;
    else if (!strcmp(id, "per_user_services"))
        sc->opt.per_user_services = 1;
    else if (!strcmp(id, "lsass_crash_report"))
        sc->opt.lsass_crash_report = 1;
    else if (!strcmp(id, "vendor_bootexecute"))
        sc->opt.vendor_bootexecute = 1;
}

/* The generator's own odd-but-normal options are cleared: the lab sets
 * exactly the hard negatives it names in the key. */
static void clear_options(struct scn *sc)
{
    free(sc->opt.shared_section);
    sc->opt.shared_section = NULL;
    sc->opt.special_session = 0;
    sc->opt.credential_guard = -1;
    sc->opt.rdp_termsvcs_parent = 0;
    sc->opt.atbroker = 0;
    sc->opt.per_user_services = 0;
    sc->opt.lsass_crash_report = 0;
    sc->opt.vendor_bootexecute = 0;
    sc->opt.win11_child_line = -1;
    sc->opt.pid_reuse = 1;
}

static void choose_hard_negatives(struct teach_exercise *x, int want, struct prng *r)
{
    const char *fit[ARRAY_SIZE(hard_negs)];
    size_t nfit = 0;
    for (size_t i = 0; i < ARRAY_SIZE(hard_negs); i++)
        if (hard_neg_fits(x->sc, hard_negs[i].id, x->type))
            fit[nfit++] = hard_negs[i].id;
    x->nhard = 0;
    for (int k = 0; k < want && nfit > 0 && x->nhard < TEACH_LAB_MAX_HARD_NEGATIVES; k++) {
        size_t j = (size_t)prng_below(r, nfit);
        x->hard[x->nhard++] = fit[j];
        fit[j] = fit[--nfit];
    }
    /* The key lists them in table order, whatever the draw. */
    for (size_t i = 0; i < ARRAY_SIZE(hard_negs); i++)
        for (size_t k = 0; k < x->nhard; k++)
            if (!strcmp(x->hard[k], hard_negs[i].id))
                hard_neg_set(x->sc, hard_negs[i].id, r);
    const char *sorted[TEACH_LAB_MAX_HARD_NEGATIVES];
    size_t ns = 0;
    for (size_t i = 0; i < ARRAY_SIZE(hard_negs); i++)
        for (size_t k = 0; k < x->nhard; k++)
            if (!strcmp(x->hard[k], hard_negs[i].id))
                sorted[ns++] = hard_negs[i].id;
    memcpy(x->hard, sorted, ns * sizeof(*sorted));
}

/* ---- drawing an exercise ----------------------------------------------------------- */

static enum teach_difficulty exercise_difficulty(const struct teach_lab_opts *o, unsigned number)
{
    if (o->difficulty != TEACH_MIXED)
        return o->difficulty;
    /* A deterministic mix that climbs: the first third easy, then medium, then hard. */
    uint64_t k = (uint64_t)(number - 1) * 3 / (o->n ? o->n : 1);
    return k == 0 ? TEACH_EASY : k == 1 ? TEACH_MEDIUM : TEACH_HARD;
}

static int default_hard_negatives(enum teach_difficulty d)
{
    return d == TEACH_EASY ? 0 : d == TEACH_MEDIUM ? 2 : 3;
}

void teach_lab_normals(const struct teach_lab_opts *o, unsigned char *is_normal)
{
    size_t n = (size_t)o->n;
    memset(is_normal, 0, n);
    size_t want = n >= 2 ? (n + 3) / 5 : 0;
    if (want == 0)
        return;
    size_t *idx = xcalloc(n, sizeof(*idx));
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    struct prng r;
    prng_child(&r, o->seed, ST_NORMALS);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)prng_below(&r, i + 1);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    for (size_t i = 0; i < want; i++)
        is_normal[idx[i]] = 1;
    free(idx);
}

/* The generator draws `at` to the millisecond; real starts are not round. */
static void jitter_at(struct scn *sc, struct prng *r)
{
    for (size_t i = 0; i < sc->nanomalies; i++)
        for (size_t k = 0; k < sc->anomalies[i].nparams; k++) {
            struct scn_param *p = &sc->anomalies[i].params[k];
            int64_t at;
            if (strcmp(p->key, "at") || wt_parse_duration(p->value, SCN_MAX_TIME, &at) < 0)
                continue;
            at += prng_range(r, 1, WT_MSEC - 1);
            char b[64];
            wt_format_duration(at, b, sizeof(b));
            free(p->value);
            p->value = xstrdup(b);
        }
}

/* Does the host fit the difficulty? easy: one console session with its user
 * logged on and staying; hard: an RDP session among others (noise). */
static int host_fits(const struct scn *sc, enum teach_difficulty d)
{
    if (d == TEACH_EASY)
        return sc->nsessions == 1 && sc->sessions[0].user && sc->sessions[0].logoff == WT_NONE;
    if (d == TEACH_HARD)
        return has_rdp(sc) && sc->nsessions >= 2;
    return 1;
}

/* Does the checker see what the labels say, and only that? */
static int checker_agrees(const struct teach_exercise *x)
{
    const struct snap *s = &x->snap;
    if (x->normal)
        return x->findings.n == 0;
    if (x->findings.n == 0 || s->nlabels != 1)
        return 0;
    for (size_t i = 0; i < x->findings.n; i++) {
        const struct chk_finding *f = &x->findings.v[i];
        const char *label = f->proc >= 0  ? s->procs[f->proc].anomaly
                            : f->reg >= 0 ? s->regs[f->reg].anomaly
                                          : NULL;
        if (!label)
            return 0;
    }
    return 1;
}

void teach_exercise_release(struct teach_exercise *x)
{
    if (x->sc) {
        scn_release(x->sc);
        free(x->sc);
    }
    if (x->sm)
        sim_free(x->sm);
    snap_release(&x->snap);
    chk_findings_release(&x->findings);
    memset(x, 0, sizeof(*x));
}

/* A type of the exercise's difficulty and topics. A mixed lab whose
 * difficulty at this place has none of the topics takes the nearest one that
 * has (teach_lab_check_topics made sure one does). */
static const char *pick_type(struct teach_exercise *x, const struct teach_lab_opts *o,
                             struct prng *r)
{
    static const enum teach_difficulty near[3][3] = {{TEACH_EASY, TEACH_MEDIUM, TEACH_HARD},
                                                     {TEACH_MEDIUM, TEACH_EASY, TEACH_HARD},
                                                     {TEACH_HARD, TEACH_MEDIUM, TEACH_EASY}};
    const char *cand[64];
    for (int k = 0; k < 3; k++) {
        enum teach_difficulty d = near[x->difficulty][k];
        size_t n = types_for(d, &o->topics, cand);
        if (n > 0) {
            x->difficulty = d;
            return cand[prng_below(r, n)];
        }
        if (o->difficulty != TEACH_MIXED)
            break;
    }
    return NULL;
}

/* The label's topics: its first rule's, and "registry" for a value. */
static void label_topics(const struct snap_label *l, struct teach_topics *t)
{
    t->n = 0;
    if (l->nrules > 0)
        rule_topic(t, l->rules[0]);
    if (l->reg_key)
        topics_add(t, "registry", 8);
}

int teach_lab_exercise(struct teach_exercise *x, const struct teach_lab_opts *o, unsigned number,
                       int normal, struct err *e)
{
    memset(x, 0, sizeof(*x));
    x->number = number;
    x->normal = normal;
    x->difficulty = exercise_difficulty(o, number);
    int want_hard =
        o->hard_negatives >= 0 ? o->hard_negatives : default_hard_negatives(x->difficulty);
    x->sc = xcalloc(1, sizeof(*x->sc));
    x->sm = sim_new();
    snap_init(&x->snap);
    struct prng rx;
    prng_child(&rx, o->seed, ST_EXERCISE);
    uint64_t xseed = 0;
    for (unsigned i = 0; i < number; i++)
        xseed = prng_next(&rx);
    struct prng rt, rh, rj;
    prng_child(&rt, xseed, SX_TYPE);
    prng_child(&rh, xseed, SX_HARD);
    prng_child(&rj, xseed, SX_JITTER);
    for (uint64_t attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        x->difficulty = exercise_difficulty(o, number);
        x->type = normal ? NULL : pick_type(x, o, &rt);
        if (!normal && !x->type)
            break;
        scn_release(x->sc);
        const char *types[1] = {x->type};
        corpus_gen_scenario(x->sc, xseed, attempt, normal ? 0 : CORPUS_PPM, normal ? NULL : types,
                            normal ? 0 : 1);
        /* The corpus's session events (lock, reconnect, shutdown) are no
         * part of a lesson: exercises stay the hosts they were. */
        free(x->sc->events);
        x->sc->events = NULL;
        x->sc->nevents = 0;
        if (!host_fits(x->sc, x->difficulty))
            continue;
        free(x->sc->name);
        x->sc->name = NULL;
        clear_options(x->sc);
        choose_hard_negatives(x, want_hard, &rh);
        jitter_at(x->sc, &rj);
        free(x->sc->snapshots);
        x->sc->snapshots = xcalloc(1, sizeof(*x->sc->snapshots));
        x->sc->snapshots[0] = SCN_AT_END;
        x->sc->nsnapshots = 1;
        struct err se = {""};
        if (sim_run(x->sm, x->sc, &se) < 0)
            continue;
        snap_reset(&x->snap);
        sim_snapshot(x->sm, sim_snapshot_time(x->sm, sim_nsnapshots(x->sm) - 1), &x->snap);
        chk_findings_reset(&x->findings);
        struct chk_config cfg = {CHK_INFO, NULL, NULL};
        if (chk_check(&x->snap, &cfg, &x->findings, e) < 0)
            return -1;
        x->topics.n = 0;
        if (!normal && x->snap.nlabels == 1)
            label_topics(&x->snap.labels[0], &x->topics);
        /* A {P} type drawn for its csrss variant may have come out about lsass. */
        if (!normal && o->topics.n && !teach_topics_meet(&x->topics, &o->topics))
            continue;
        if (checker_agrees(x))
            return 0;
    }
    err_set(e, "exercise %u: no %s host in %d draws fits its difficulty and the checker", number,
            teach_difficulty_name(x->difficulty), MAX_ATTEMPTS);
    return -1;
}

/* ---- the student's files ------------------------------------------------------------ */

void teach_lab_strip(struct snap *s)
{
    s->scenario = NULL;
    s->seed = 0;
    s->file = NULL;
    s->nlabels = 0;
    for (size_t i = 0; i < s->nprocs; i++)
        s->procs[i].anomaly = NULL;
    for (size_t i = 0; i < s->nregs; i++)
        s->regs[i].anomaly = NULL;
}

void teach_lab_snapshot_json(struct strbuf *sb, const struct teach_exercise *x)
{
    struct snap s = x->snap;
    /* A shallow copy: only the arrays of answers are changed, on copies. */
    struct snap_proc *procs = xmalloc((s.nprocs ? s.nprocs : 1) * sizeof(*procs));
    struct snap_reg *regs = xmalloc((s.nregs ? s.nregs : 1) * sizeof(*regs));
    if (s.nprocs)
        memcpy(procs, s.procs, s.nprocs * sizeof(*procs));
    if (s.nregs)
        memcpy(regs, s.regs, s.nregs * sizeof(*regs));
    s.procs = procs;
    s.regs = regs;
    teach_lab_strip(&s);
    snap_write_json(sb, &s);
    free(procs);
    free(regs);
}

void teach_lab_sysmon(struct strbuf *sb, const struct teach_exercise *x)
{
    struct corpus_sample *cs = corpus_sample_new();
    corpus_sample_prepare(cs, x->sc, x->sm, x->number);
    /* Registry events (EID 13) are written only for planted values. */
    corpus_sample_drop_registry(cs);
    sb_adds(sb, "<Events>\n");
    corpus_write_sysmon(cs, sb);
    sb_adds(sb, "</Events>\n");
    corpus_sample_free(cs);
}

int teach_lab_evtx(FILE *fp, const char *name, const struct teach_exercise *x, struct err *e)
{
    struct corpus_sample *cs = corpus_sample_new();
    corpus_sample_prepare(cs, x->sc, x->sm, x->number);
    corpus_sample_drop_registry(cs);
    struct evtxw *w = evtxw_new();
    struct corpus_loc loc = {0};
    int rc = evtxw_begin(w, fp, name, e);
    if (rc == 0)
        rc = corpus_write_evtx(cs, w, &loc, e);
    if (rc == 0)
        rc = evtxw_end(w, e);
    evtxw_free(w);
    corpus_sample_free(cs);
    return rc;
}

static void rel_or_dash(struct strbuf *sb, int64_t t, int64_t origin, int width)
{
    size_t before = sb->len;
    if (t == WT_NONE)
        sb_addc(sb, '-');
    else
        teach_fmt_rel(sb, t - origin);
    while ((int)(sb->len - before) < width)
        sb_addc(sb, ' ');
}

void teach_lab_table(struct strbuf *sb, const struct teach_exercise *x)
{
    const struct snap *s = &x->snap;
    int64_t origin = teach_origin(s);
    char iso[WT_ISO_LEN];
    wt_format_iso(s->boot_time, iso);
    sb_addf(sb, "# host %s (%s, %s), booted %s; processes at ", s->host ? s->host : "?",
            s->domain ? s->domain : "?", s->os ? s->os : "?", iso);
    teach_fmt_rel(sb, s->at - origin);
    sb_adds(sb, "\n# times are after boot (h:mm:ss.mmm); EXIT '-' = still running\n");
    sb_addf(sb, "%-6s %-6s %-4s %-13s %-13s %-28s %-18s %s\n", "PID", "PPID", "SESS", "START",
            "EXIT", "USER", "NAME", "COMMAND LINE");
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        sb_addf(sb, "%-6u %-6u ", p->pid, p->ppid);
        if (p->session == SNAP_NO_SESSION)
            sb_addf(sb, "%-4s ", "-");
        else
            sb_addf(sb, "%-4d ", (int)p->session);
        rel_or_dash(sb, p->create_time, origin, 13);
        sb_addc(sb, ' ');
        rel_or_dash(sb, p->exit_time, origin, 13);
        sb_addf(sb, " %-28s %-18s %s\n", p->user ? p->user : "-", p->name ? p->name : "-",
                p->command_line ? p->command_line : (p->image ? p->image : ""));
    }
}

/* ---- the sheet ------------------------------------------------------------------------ */

static const char *sess_kind(const struct snap_session *ss)
{
    return ss->kind ? ss->kind : "?";
}

static void files_list(struct strbuf *sb, unsigned formats, const char *dir, int html)
{
    static const char *const names[] = {TEACH_LAB_F_NATIVE, TEACH_LAB_F_SYSMON, TEACH_LAB_F_TABLE,
                                        TEACH_LAB_F_PICTURE, TEACH_LAB_F_EVTX};
    static const char *const what[] = {
        "the snapshot (smsslab JSON: processes, sessions, registry); `smsslab check` reads it",
        "Sysmon process events (EID 1 and 5) as wevtutil writes them",
        "a ps-like table of every process", "the process tree (open it in a browser)",
        "the same Sysmon events as a Windows event log (Event Viewer, `smsslab check` read it)"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (!(formats & (1u << i)))
            continue;
        if (html) {
            sb_addf(sb, "<li><a href=\"%s/%s\">%s/%s</a>: ", dir, names[i], dir, names[i]);
            for (const char *c = what[i]; *c; c++)
                if (*c == '`')
                    sb_adds(sb, c[1] == 's' ? "<code>" : "</code>");
                else
                    sb_addc(sb, *c);
            sb_adds(sb, "</li>\n");
        } else {
            sb_addf(sb, "- `%s/%s`: %s\n", dir, names[i], what[i]);
        }
    }
}

static const char sheet_intro[] =
    "Each exercise is the data of one Windows host, some time after it booted. Look at how its "
    "core "
    "processes started -- System, smss.exe, csrss.exe, wininit.exe, winlogon.exe, services.exe, "
    "lsass.exe and the rest -- and at the Session Manager and Winlogon values in the snapshot. "
    "Some hosts are normal; the others hold exactly one thing that is not. Odd-looking but normal "
    "things are there too.";

static const char answer_example[] =
    "student: Your Name\n"
    "exercises:\n"
    "  1: normal\n"
    "  2:\n"
    "    process: 1234            # a pid, or a process name\n"
    "    reason: RULE-ID          # a rule id from 'smsslab rules', or your own words\n"
    "  3:\n"
    "    registry: ValueName      # for a registry value: its name (or key\\name)\n"
    "    reason: what is wrong with it, in your own words\n";

static void sessions_md(struct strbuf *sb, const struct snap *s, int html)
{
    int64_t origin = teach_origin(s);
    for (size_t i = 0; i < s->nsessions; i++) {
        const struct snap_session *ss = &s->sessions[i];
        sb_adds(sb, html ? "<li>" : "  - ");
        sb_addf(sb, "session %d (%s)", (int)ss->id, sess_kind(ss));
        if (ss->user && ss->logon_time != WT_NONE) {
            sb_adds(sb, ": ");
            if (html)
                teach_xml_escape(sb, ss->user);
            else
                sb_adds(sb, ss->user);
            sb_adds(sb, " logs on at ");
            teach_fmt_rel(sb, ss->logon_time - origin);
        }
        if (ss->end_time != WT_NONE) {
            sb_adds(sb, ", ends at ");
            teach_fmt_rel(sb, ss->end_time - origin);
        }
        sb_adds(sb, html ? "</li>\n" : "\n");
    }
}

static void dir_name(char *out, size_t n, unsigned number)
{
    snprintf(out, n, "exercise-%02u", number);
}

/* Text as Markdown (as it is) or as HTML (escaped). */
static void text(struct strbuf *sb, const char *s, int html)
{
    if (html)
        teach_xml_escape(sb, s);
    else
        sb_adds(sb, s ? s : "");
}

static const char sheet_title[] = "Spot the anomaly: Windows core processes";

/* The sheet: one function for both forms, so they never say different things. */
static void sheet(struct strbuf *sb, const struct teach_lab_opts *o,
                  const struct teach_exercise *xs, size_t n, int html)
{
    if (html) {
        sb_adds(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'; img-src 'self'\">\n<title>");
        sb_adds(sb, sheet_title);
        sb_adds(sb, "</title>\n<style>\n"
                    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
                    "line-height:1.45}\npre{background:#f4f4f4;padding:.8em;overflow-x:auto}\n"
                    "section{border-top:1px solid #ccc;margin-top:1.5em}\n</style>\n</head>\n"
                    "<body>\n");
    }
    sb_addf(sb, html ? "<h1>%s</h1>\n<p>" : "# %s\n\n", sheet_title);
    text(sb, sheet_intro, html);
    sb_adds(sb, html ? "</p>\n<p>For each exercise answer <b>normal</b>, or name the process (its "
                       "pid or name) or registry value that is wrong and say why: a rule id from "
                       "<code>smsslab rules</code> or your own words. Hand in a YAML file like "
                       "this one:</p>\n<pre>"
                     : "\n\nFor each exercise answer **normal**, or name the process (its pid or "
                       "name) or registry value that is wrong and say why: a rule id from "
                       "`smsslab rules` or your own words. Hand in a YAML file like this one:"
                       "\n\n```yaml\n");
    text(sb, answer_example, html);
    sb_adds(sb, html ? "</pre>\n" : "```\n");
    for (size_t i = 0; i < n; i++) {
        const struct teach_exercise *x = &xs[i];
        const struct snap *s = &x->snap;
        char dir[32], iso[WT_ISO_LEN];
        dir_name(dir, sizeof(dir), x->number);
        wt_format_iso(s->boot_time, iso);
        const char *level = teach_difficulty_name(x->difficulty);
        if (html)
            sb_addf(sb, "<section id=\"exercise-%u\">\n<h2>Exercise %u (%s)</h2>\n<p>Host <b>",
                    x->number, x->number, level);
        else
            sb_addf(sb, "\n## Exercise %u (%s)\n\nHost **", x->number, level);
        text(sb, s->host, html);
        sb_adds(sb, html ? "</b> (domain " : "** (domain ");
        text(sb, s->domain, html);
        sb_addf(sb, ", %s), booted %s, seen at ", s->os ? s->os : "?", iso);
        teach_fmt_rel(sb, s->at - teach_origin(s));
        sb_adds(sb, html ? ". Sessions:</p>\n<ul>\n" : ". Sessions:\n\n");
        sessions_md(sb, s, html);
        sb_adds(sb, html ? "</ul>\n<p>Files:</p>\n<ul>\n" : "\nFiles:\n\n");
        files_list(sb, o->formats, dir, html);
        if (html)
            sb_adds(sb, "</ul>\n");
        if (html && (o->formats & TEACH_LAB_PICTURE))
            sb_addf(sb,
                    "<p><img src=\"%s/%s\" alt=\"process tree of exercise %u\" "
                    "style=\"max-width:100%%\"></p>\n",
                    dir, TEACH_LAB_F_PICTURE, x->number);
        sb_adds(sb, html ? "<p>Is this host normal? If not, what is wrong, and where?</p>\n"
                           "</section>\n"
                         : "\nIs this host normal? If not, what is wrong, and where?\n");
    }
    if (html)
        sb_adds(sb, "</body>\n</html>\n");
}

void teach_lab_sheet_md(struct strbuf *sb, const struct teach_lab_opts *o,
                        const struct teach_exercise *xs, size_t n)
{
    sheet(sb, o, xs, n, 0);
}

void teach_lab_sheet_html(struct strbuf *sb, const struct teach_lab_opts *o,
                          const struct teach_exercise *xs, size_t n)
{
    sheet(sb, o, xs, n, 1);
}

/* ---- the key ------------------------------------------------------------------------- */

/* A YAML double-quoted scalar: backslash, quote and control characters escaped. */
static void yq(struct strbuf *sb, const char *s)
{
    sb_addc(sb, '"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            sb_addc(sb, '\\');
            sb_addc(sb, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            sb_addf(sb, "\\x%02x", c);
        } else {
            sb_addc(sb, (char)c);
        }
    }
    sb_addc(sb, '"');
}

/* The rules that fired, each once, in the checker's order. */
static size_t fired_rules(const struct teach_exercise *x, const struct chk_rule **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < x->findings.n; i++) {
        const struct chk_rule *r = x->findings.v[i].rule;
        size_t k = 0;
        while (k < n && out[k] != r)
            k++;
        if (k == n && n < max)
            out[n++] = r;
    }
    return n;
}

void teach_lab_key_yaml(struct strbuf *sb, const struct teach_lab_opts *o,
                        const struct teach_exercise *xs, size_t n)
{
    sb_adds(sb, "# smsslab lab key: what 'smsslab grade' reads (docs/teaching.md)\n");
    sb_addf(sb, "schema: smsslab.lab-key/1\nlab: {n: %llu, seed: %llu, difficulty: %s, ",
            (unsigned long long)o->n, (unsigned long long)o->seed,
            teach_difficulty_name(o->difficulty));
    if (o->hard_negatives >= 0)
        sb_addf(sb, "hard_negatives: %d", o->hard_negatives);
    else
        sb_adds(sb, "hard_negatives: default");
    if (o->topics.n) {
        sb_adds(sb, ", topics: [");
        for (size_t k = 0; k < o->topics.n; k++)
            sb_addf(sb, "%s%s", k ? ", " : "", o->topics.v[k]);
        sb_addc(sb, ']');
    }
    sb_adds(sb, "}\nexercises:\n");
    for (size_t i = 0; i < n; i++) {
        const struct teach_exercise *x = &xs[i];
        const struct snap *s = &x->snap;
        sb_addf(sb, "  - exercise: %u\n    difficulty: %s\n    host: ", x->number,
                teach_difficulty_name(x->difficulty));
        yq(sb, s->host);
        sb_adds(sb, "\n    hard_negatives: [");
        for (size_t k = 0; k < x->nhard; k++)
            sb_addf(sb, "%s%s", k ? ", " : "", x->hard[k]);
        sb_adds(sb, "]\n");
        if (x->normal) {
            sb_adds(sb, "    verdict: normal\n");
            continue;
        }
        const struct snap_label *l = &s->labels[0];
        const struct anom_type *ty = anom_find(l->type);
        sb_addf(sb, "    verdict: anomaly\n    type: %s\n    topics: [", l->type);
        for (size_t k = 0; k < x->topics.n; k++)
            sb_addf(sb, "%s%s", k ? ", " : "", x->topics.v[k]);
        sb_adds(sb, "]\n    technique: ");
        yq(sb, l->technique);
        sb_adds(sb, "\n    title: ");
        yq(sb, ty ? ty->title : l->type);
        /* The label's own target; `processes` and `registry` list all it touched. */
        if (l->pid) {
            const char *name = "";
            for (size_t k = 0; k < s->nprocs; k++)
                if (s->procs[k].pid == l->pid && s->procs[k].create_time == l->create_time)
                    name = s->procs[k].name;
            sb_addf(sb, "\n    target: {pid: %u, name: ", l->pid);
            yq(sb, name);
            sb_adds(sb, "}");
        } else if (l->reg_key) {
            sb_adds(sb, "\n    target: {key: ");
            yq(sb, l->reg_key);
            sb_adds(sb, ", name: ");
            yq(sb, l->reg_name);
            sb_adds(sb, "}");
        }
        const struct chk_rule *rules[64];
        size_t nr = fired_rules(x, rules, ARRAY_SIZE(rules));
        sb_adds(sb, "\n    rules: [");
        for (size_t k = 0; k < nr; k++)
            sb_addf(sb, "%s%s", k ? ", " : "", rules[k]->id);
        sb_adds(sb, "]\n    processes:\n");
        size_t np = 0;
        for (size_t k = 0; k < s->nprocs; k++) {
            const struct snap_proc *p = &s->procs[k];
            if (!p->anomaly)
                continue;
            sb_addf(sb, "      - {pid: %u, name: ", p->pid);
            yq(sb, p->name);
            sb_adds(sb, "}\n");
            np++;
        }
        if (!np)
            sb_adds(sb, "      []\n");
        sb_adds(sb, "    registry:\n");
        size_t ng = 0;
        for (size_t k = 0; k < s->nregs; k++) {
            const struct snap_reg *g = &s->regs[k];
            if (!g->anomaly)
                continue;
            sb_adds(sb, "      - {key: ");
            yq(sb, g->key);
            sb_adds(sb, ", name: ");
            yq(sb, g->name);
            sb_adds(sb, "}\n");
            ng++;
        }
        if (!ng)
            sb_adds(sb, "      []\n");
    }
}

/* A Markdown table cell: '|' would end it. */
static void md_cell(struct strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            sb_addc(sb, '\\');
        sb_addc(sb, *s == '\n' ? ' ' : *s);
    }
}

static void finding_where(struct strbuf *sb, const struct snap *s, const struct chk_finding *f)
{
    if (f->proc >= 0) {
        const struct snap_proc *p = &s->procs[f->proc];
        sb_addf(sb, "%s pid %u", p->name ? p->name : "?", p->pid);
        if (p->create_time != WT_NONE) {
            sb_adds(sb, ", started ");
            teach_fmt_rel(sb, p->create_time - teach_origin(s));
        }
    } else if (f->reg >= 0) {
        sb_addf(sb, "%s\\%s", s->regs[f->reg].key, s->regs[f->reg].name);
    }
}

void teach_lab_key_md(struct strbuf *sb, const struct teach_lab_opts *o,
                      const struct teach_exercise *xs, size_t n)
{
    sb_addf(sb, "# Key: %llu exercises (seed %llu, difficulty %s)\n\n", (unsigned long long)o->n,
            (unsigned long long)o->seed, teach_difficulty_name(o->difficulty));
    sb_adds(sb, "For the instructor. `smsslab grade --key` reads `key.yaml` beside this file; "
                "each exercise's solution picture (findings in red) is `exercise-NN.svg`.\n");
    for (size_t i = 0; i < n; i++) {
        const struct teach_exercise *x = &xs[i];
        const struct snap *s = &x->snap;
        sb_addf(sb, "\n## Exercise %u (%s): %s\n\n", x->number,
                teach_difficulty_name(x->difficulty), s->host);
        if (x->normal) {
            sb_adds(sb, "**Normal.** Nothing here breaks a rule.\n");
        } else {
            const struct snap_label *l = &s->labels[0];
            const struct anom_type *ty = anom_find(l->type);
            sb_addf(sb, "**%s** (`%s`, ATT&CK %s). %s\n\nFindings:\n\n", ty ? ty->title : l->type,
                    l->type, l->technique ? l->technique : "-", ty ? ty->lesson : "");
            for (size_t k = 0; k < x->findings.n; k++) {
                const struct chk_finding *f = &x->findings.v[k];
                sb_addf(sb, "- `%s` %s: ", f->rule->id, chk_severity_name(f->rule->severity));
                finding_where(sb, s, f);
                sb_addf(sb, " -- %s\n", f->message);
            }
            const struct chk_rule *rules[64];
            size_t nr = fired_rules(x, rules, ARRAY_SIZE(rules));
            sb_adds(sb, "\n| rule | normal | why | ATT&CK |\n|---|---|---|---|\n");
            for (size_t k = 0; k < nr; k++) {
                sb_addf(sb, "| `%s` ", rules[k]->id);
                md_cell(sb, rules[k]->title);
                sb_adds(sb, " | ");
                md_cell(sb, rules[k]->normal);
                sb_adds(sb, " | ");
                md_cell(sb, rules[k]->rationale);
                sb_adds(sb, " | ");
                md_cell(sb, rules[k]->technique);
                sb_adds(sb, " |\n");
            }
        }
        if (x->nhard) {
            sb_adds(sb, "\nHard negatives (normal, though they look odd):\n\n");
            for (size_t k = 0; k < x->nhard; k++)
                sb_addf(sb, "- `%s`: %s\n", x->hard[k], teach_hard_negative_text(x->hard[k]));
        }
    }
}
