/*
 * score: a detector's alerts against a corpus's ground truth. The truth is
 * the manifest alone: every label lists every process, registry value,
 * native event and Sysmon record it touched, so an alert is a true positive
 * exactly when it names one of them in the right sample. Recall counts labels
 * (an anomaly is found when any alert names anything it touched); precision
 * counts distinct alerts (the same sample, target and rule twice is one alert
 * and a reported duplicate). docs/corpus.md defines the detection lines.
 */
#include "corpus.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../checker/chk.h"
#include "../core/hash.h"
#include "../core/jsonw.h"
#include "../core/wtime.h"

/* Longest detection or manifest line read (docs/limits.md). */
#define SCORE_MAX_LINE (16u << 20)

enum item_kind { IT_PROC, IT_REG, IT_EVENT, IT_RECORD };

struct item {
    enum item_kind kind;
    uint32_t pid;
    int64_t ct;
    char *key, *name;
    uint64_t num;
    size_t label;
};

struct label {
    uint64_t sample;
    char *id, *target; /* target: a description for reports */
    size_t type;
    int detected;
};

/* Where a sample lives in one written format: lines [line, line + lines)
 * of file, and (where the manifest says) records [rec_first, rec_last]. */
struct sloc {
    char *file;
    uint64_t line, lines, rec_first, rec_last;
    int whole; /* the file is the sample's alone (a hive): any finding on it is */
};

struct sample {
    uint64_t id;
    char *host;
    int64_t boot, end; /* the manifest's boot_time and end_time; WT_NONE if absent */
    size_t item0, nitems;
    char *native_file;
    uint64_t native_line;
    struct sloc *loc;
    size_t nloc;
};

struct snapref {
    int64_t at;
    size_t sample; /* index into samples */
};

struct ttype {
    char *name;
    char **rules;
    size_t nrules;
    uint64_t labels, detected, tp, fp;
};

struct corpus_truth {
    char *dir;
    struct sample *samples;
    size_t nsamples, cap_samples;
    struct item *items;
    size_t nitems, cap_items;
    struct label *labels;
    size_t nlabels, cap_labels;
    struct ttype *types;
    size_t ntypes, cap_types;
    struct snapref *snaps;
    size_t nsnaps, cap_snaps;
};

/* ---- loading the truth --------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An exact non-negative integer (number or decimal string); -1 otherwise,
 * never a cast of an out-of-range double. */
static int num_u64(const cJSON *v, uint64_t *out)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9007199254740992.0 &&
        (double)(uint64_t)v->valuedouble == v->valuedouble) {
        *out = (uint64_t)v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v) && parse_u64(v->valuestring, UINT64_MAX, out) == 0)
        return 0;
    return -1;
}

/* One JSON value filling the whole line (trailing bytes are an error), or NULL. */
static cJSON *parse_line(const char *line, size_t len)
{
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    while (v && end < line + len && (*end == ' ' || *end == '\t'))
        end++;
    if (v && end != line + len) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

static int jnum(const cJSON *o, const char *k, uint64_t *out)
{
    return num_u64(cJSON_GetObjectItemCaseSensitive(o, k), out);
}

static int jtime(const cJSON *o, const char *k, int64_t *out)
{
    const char *s = jstr(o, k);
    return s && wt_parse_iso(s, out) == 0 ? 0 : -1;
}

static size_t intern_type(struct corpus_truth *t, const char *name)
{
    for (size_t i = 0; i < t->ntypes; i++)
        if (!strcmp(t->types[i].name, name))
            return i;
    XGROW(t->types, t->cap_types, t->ntypes + 1);
    struct ttype *y = &t->types[t->ntypes];
    memset(y, 0, sizeof(*y));
    y->name = xstrdup(name);
    return t->ntypes++;
}

static void type_rule(struct ttype *y, const char *rule)
{
    for (size_t i = 0; i < y->nrules; i++)
        if (!strcmp(y->rules[i], rule))
            return;
    y->rules = xrealloc(y->rules, (y->nrules + 1) * sizeof(char *));
    y->rules[y->nrules++] = xstrdup(rule);
}

static struct item *add_item(struct corpus_truth *t, enum item_kind k, size_t label)
{
    XGROW(t->items, t->cap_items, t->nitems + 1);
    struct item *it = &t->items[t->nitems++];
    memset(it, 0, sizeof(*it));
    it->kind = k;
    it->ct = WT_NONE;
    it->label = label;
    return it;
}

/* The Sysmon records a label touched, and its Security records (their
 * ids lie in a range of their own, corpus/security.c, so one number never
 * names a record of each). */
static void add_records(struct corpus_truth *t, const cJSON *o, size_t label)
{
    static const char *const keys[] = {"record_ids", "security_record_ids"};
    for (int k = 0; k < 2; k++) {
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(o, keys[k]))
        {
            uint64_t n;
            if (num_u64(r, &n) == 0)
                add_item(t, IT_RECORD, label)->num = n;
        }
    }
}

static int load_line(struct corpus_truth *t, const char *path, uint64_t lineno, const char *line,
                     size_t len, struct err *e)
{
    cJSON *doc = parse_line(line, len);
    uint64_t id;
    if (!doc || jnum(doc, "sample", &id) < 0) {
        err_set(e, "%s:%llu: not a manifest line (JSON with a \"sample\" number)", path,
                (unsigned long long)lineno);
        cJSON_Delete(doc);
        return -1;
    }
    XGROW(t->samples, t->cap_samples, t->nsamples + 1);
    struct sample *s = &t->samples[t->nsamples];
    memset(s, 0, sizeof(*s));
    s->id = id;
    s->host = xstrdup(jstr(doc, "host") ? jstr(doc, "host") : "");
    s->boot = s->end = WT_NONE;
    jtime(doc, "boot_time", &s->boot);
    jtime(doc, "end_time", &s->end);
    s->item0 = t->nitems;
    const cJSON *fe;
    cJSON_ArrayForEach(fe, cJSON_GetObjectItemCaseSensitive(doc, "files"))
    {
        if (!jstr(fe, "file"))
            continue;
        s->loc = xrealloc(s->loc, (s->nloc + 1) * sizeof(*s->loc));
        struct sloc *l = &s->loc[s->nloc++];
        memset(l, 0, sizeof(*l));
        l->file = xstrdup(jstr(fe, "file"));
        jnum(fe, "line", &l->line);
        jnum(fe, "lines", &l->lines);
        jnum(fe, "first_record_id", &l->rec_first);
        jnum(fe, "last_record_id", &l->rec_last);
        /* A hive folder: SYSTEM and SOFTWARE, whole files of this sample. */
        static const char *const whole[] = {"system", "software"};
        for (int w = 0; w < 2; w++) {
            if (!jstr(fe, whole[w]))
                continue;
            s->loc = xrealloc(s->loc, (s->nloc + 1) * sizeof(*s->loc));
            l = &s->loc[s->nloc++];
            memset(l, 0, sizeof(*l));
            l->file = xstrdup(jstr(fe, whole[w]));
            l->whole = 1;
        }
    }
    const cJSON *nat =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "files"), "native");
    if (nat && jstr(nat, "file")) {
        s->native_file = xstrdup(jstr(nat, "file"));
        jnum(nat, "line", &s->native_line);
    }
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(doc, "params"), *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(params, "snapshots"))
    {
        int64_t at;
        if (cJSON_IsString(v) && wt_parse_iso(v->valuestring, &at) == 0) {
            XGROW(t->snaps, t->cap_snaps, t->nsnaps + 1);
            t->snaps[t->nsnaps++] = (struct snapref){at, t->nsamples};
        }
    }
    const cJSON *an;
    cJSON_ArrayForEach(an, cJSON_GetObjectItemCaseSensitive(doc, "anomalies"))
    {
        XGROW(t->labels, t->cap_labels, t->nlabels + 1);
        size_t li = t->nlabels++;
        struct label *l = &t->labels[li];
        memset(l, 0, sizeof(*l));
        l->sample = id;
        l->id = xstrdup(jstr(an, "id") ? jstr(an, "id") : "?");
        l->type = intern_type(t, jstr(an, "type") ? jstr(an, "type") : "?");
        struct ttype *y = &t->types[l->type];
        y->labels++;
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(an, "rules"))
        {
            if (cJSON_IsString(v))
                type_rule(y, v->valuestring);
        }
        char *tgt = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(an, "target"));
        l->target = tgt ? xstrdup(tgt) : xstrdup("null");
        cJSON_free(tgt);
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(an, "processes"))
        {
            struct item *it = add_item(t, IT_PROC, li);
            uint64_t pid = 0;
            jnum(v, "pid", &pid);
            it->pid = (uint32_t)pid;
            jtime(v, "create_time", &it->ct);
            add_records(t, v, li);
        }
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(an, "registry"))
        {
            struct item *it = add_item(t, IT_REG, li);
            it->key = xstrdup(jstr(v, "key") ? jstr(v, "key") : "");
            it->name = xstrdup(jstr(v, "name") ? jstr(v, "name") : "");
            add_records(t, v, li);
        }
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(an, "events"))
        {
            uint64_t n;
            if (num_u64(v, &n) == 0)
                add_item(t, IT_EVENT, li)->num = n;
        }
    }
    s->nitems = t->nitems - s->item0;
    t->nsamples++;
    cJSON_Delete(doc);
    return 0;
}

/* Feed each non-empty line of a JSONL file ("-" = stdin) to fn, trailing
 * newline and spaces removed; stops at the first error. */
static int each_line(const char *path, const char *what,
                     int (*fn)(void *ctx, const char *path, uint64_t lineno, const char *line,
                               size_t len, struct err *e),
                     void *ctx, struct err *e)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        err_set(e, "%s: cannot open the %s: %s", path, what, strerror(errno));
        return -1;
    }
    if (f == stdin)
        path = "<stdin>"; /* for messages */
    /* Lines come from other tools: split them out of a window of the input,
     * never holding more than SCORE_MAX_LINE bytes of one line, so no input
     * can exhaust memory; NUL bytes are data like any other. */
    struct strbuf w = STRBUF_INIT;
    size_t start = 0;
    uint64_t lineno = 0;
    int rc = 0, eof = 0;
    sb_grow(&w, 1 << 16);
    while (!rc) {
        char *p = w.buf + start;
        char *nl = w.len > start ? memchr(p, '\n', w.len - start) : NULL;
        if (!nl && !eof) {
            if (w.len - start > SCORE_MAX_LINE) {
                err_set(e, "%s:%llu: line longer than %u bytes", path,
                        (unsigned long long)lineno + 1, (unsigned)SCORE_MAX_LINE);
                rc = -1;
                break;
            }
            memmove(w.buf, w.buf + start, w.len - start);
            w.len -= start;
            start = 0;
            sb_grow(&w, 1 << 16);
            size_t got = fread(w.buf + w.len, 1, 1 << 16, f);
            w.len += got;
            eof = got == 0;
            continue;
        }
        size_t k = nl ? (size_t)(nl - p) : w.len - start;
        if (!nl && !k)
            break; /* end of input */
        start += k + (nl != NULL);
        lineno++;
        while (k && (p[k - 1] == '\r' || p[k - 1] == ' '))
            k--;
        if (k)
            rc = fn(ctx, path, lineno, p, k, e);
    }
    if (!rc && ferror(f)) {
        err_set(e, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    sb_release(&w);
    if (f != stdin)
        fclose(f);
    return rc;
}

static int load_cb(void *ctx, const char *path, uint64_t lineno, const char *line, size_t len,
                   struct err *e)
{
    return load_line(ctx, path, lineno, line, len, e);
}

static int load_file(struct corpus_truth *t, const char *path, struct err *e)
{
    return each_line(path, "manifest", load_cb, t, e);
}

static int cmp_sample(const void *a, const void *b)
{
    const struct sample *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_snap(const void *a, const void *b)
{
    const struct snapref *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->sample < y->sample ? -1 : x->sample > y->sample;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct corpus_truth *corpus_truth_load(const char *dir, struct err *e)
{
    struct corpus_truth *t = xcalloc(1, sizeof(*t));
    t->dir = xstrdup(dir);
    struct strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s/manifest.jsonl", dir);
    int rc;
    FILE *f = fopen(p.buf, "rb");
    if (f) {
        fclose(f);
        rc = load_file(t, p.buf, e);
    } else {
        /* An unfinished or sharded corpus: score what its parts hold. */
        sb_reset(&p);
        sb_addf(&p, "%s/manifest", dir);
        DIR *d = opendir(p.buf);
        if (!d) {
            struct stat st;
            if (stat(dir, &st) != 0)
                err_set(e, "%s: cannot open: %s", dir, strerror(errno));
            else
                err_set(e, "%s: no manifest.jsonl and no manifest/ folder: not a corpus", dir);
            sb_release(&p);
            corpus_truth_free(t);
            return NULL;
        }
        char **names = NULL;
        size_t nn = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (!strncmp(de->d_name, "part-", 5) && ascii_ends_with_case(de->d_name, ".jsonl")) {
                names = xrealloc(names, (nn + 1) * sizeof(char *));
                names[nn++] = xstrdup(de->d_name);
            }
        closedir(d);
        if (nn) /* sort_n(NULL, 0, ...) is undefined */
            sort_n(names, nn, sizeof(char *), cmp_str);
        rc = 0;
        for (size_t i = 0; i < nn; i++) {
            struct strbuf q = STRBUF_INIT;
            sb_addf(&q, "%s/%s", p.buf, names[i]);
            if (!rc)
                rc = load_file(t, q.buf, e);
            sb_release(&q);
            free(names[i]);
        }
        free(names);
    }
    sb_release(&p);
    if (rc < 0) {
        corpus_truth_free(t);
        return NULL;
    }
    /* Samples stay in manifest order (sorted by construction); sort defensively. */
    int sorted = 1;
    for (size_t i = 1; i < t->nsamples; i++)
        sorted &= t->samples[i - 1].id < t->samples[i].id;
    if (!sorted) {
        err_set(e, "%s: sample ids in the manifest are not strictly increasing", dir);
        corpus_truth_free(t);
        return NULL;
    }
    (void)cmp_sample;
    if (t->nsnaps)
        sort_n(t->snaps, t->nsnaps, sizeof(*t->snaps), cmp_snap);
    return t;
}

void corpus_truth_free(struct corpus_truth *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nsamples; i++) {
        free(t->samples[i].host);
        for (size_t k = 0; k < t->samples[i].nloc; k++)
            free(t->samples[i].loc[k].file);
        free(t->samples[i].loc);
        free(t->samples[i].native_file);
    }
    for (size_t i = 0; i < t->nitems; i++) {
        free(t->items[i].key);
        free(t->items[i].name);
    }
    for (size_t i = 0; i < t->nlabels; i++) {
        free(t->labels[i].id);
        free(t->labels[i].target);
    }
    for (size_t i = 0; i < t->ntypes; i++) {
        free(t->types[i].name);
        for (size_t k = 0; k < t->types[i].nrules; k++)
            free(t->types[i].rules[k]);
        free(t->types[i].rules);
    }
    free(t->samples);
    free(t->items);
    free(t->labels);
    free(t->types);
    free(t->snaps);
    free(t->dir);
    free(t);
}

static struct sample *find_sample(struct corpus_truth *t, uint64_t id)
{
    size_t lo = 0, hi = t->nsamples;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->samples[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->nsamples && t->samples[lo].id == id ? &t->samples[lo] : NULL;
}

/* ---- scoring --------------------------------------------------------------------------- */

struct det {
    uint64_t sample;
    enum item_kind kind;
    uint32_t pid;
    int64_t ct;
    const char *key, *name;
    uint64_t num;
    const char *rule, *type;
};

struct falsealert {
    uint64_t sample;
    char *what, *rule;
};

struct corpus_score {
    struct corpus_truth *t;
    struct strset seen; /* alert keys */
    uint64_t alerts, tp, fp, duplicates, unmatched, unattributed;
    struct falsealert *falses;
    size_t nfalses, cap_falses;
    struct strbuf key;
};

struct corpus_score *corpus_score_new(struct corpus_truth *t)
{
    struct corpus_score *sc = xcalloc(1, sizeof(*sc));
    sc->t = t;
    /* Per-label and per-type hits live in the truth: a new score starts them
     * afresh, so one truth can score several detectors in turn. */
    for (size_t i = 0; i < t->nlabels; i++)
        t->labels[i].detected = 0;
    for (size_t i = 0; i < t->ntypes; i++)
        t->types[i].detected = t->types[i].tp = t->types[i].fp = 0;
    return sc;
}

void corpus_score_free(struct corpus_score *sc)
{
    if (!sc)
        return;
    strset_clear(&sc->seen);
    for (size_t i = 0; i < sc->nfalses; i++) {
        free(sc->falses[i].what);
        free(sc->falses[i].rule);
    }
    free(sc->falses);
    sb_release(&sc->key);
    free(sc);
}

static void describe(struct strbuf *sb, const struct det *d)
{
    char iso[WT_ISO_LEN] = "";
    switch (d->kind) {
    case IT_PROC:
        sb_addf(sb, "pid %u", d->pid);
        if (d->ct != WT_NONE) {
            wt_format_iso(d->ct, iso);
            sb_addf(sb, " created %s", iso);
        }
        break;
    case IT_REG: sb_addf(sb, "registry %s\\%s", d->key, d->name); break;
    case IT_EVENT: sb_addf(sb, "event %llu", (unsigned long long)d->num); break;
    default: sb_addf(sb, "record %llu", (unsigned long long)d->num); break;
    }
}

/* Sysmon's UtcTime has milliseconds: a creation time matches within 1 ms. */
static int item_match(const struct item *it, const struct det *d)
{
    if (it->kind != d->kind)
        return 0;
    switch (d->kind) {
    case IT_PROC:
        if (it->pid != d->pid)
            return 0;
        if (d->ct == WT_NONE || it->ct == WT_NONE)
            return 1;
        return d->ct > it->ct - WT_MSEC && d->ct < it->ct + WT_MSEC;
    case IT_REG: return !ascii_casecmp(it->key, d->key) && !ascii_casecmp(it->name, d->name);
    default: return it->num == d->num;
    }
}

static void add_false(struct corpus_score *sc, const struct det *d)
{
    struct corpus_truth *t = sc->t;
    sc->fp++;
    int attributed = 0;
    for (size_t i = 0; i < t->ntypes; i++) {
        struct ttype *y = &t->types[i];
        int hit = d->type ? !strcmp(d->type, y->name) : 0;
        for (size_t k = 0; !d->type && d->rule && k < y->nrules; k++)
            hit |= !ascii_casecmp(y->rules[k], d->rule);
        if (hit) {
            y->fp++;
            attributed = 1;
        }
    }
    sc->unattributed += !attributed;
    XGROW(sc->falses, sc->cap_falses, sc->nfalses + 1);
    struct falsealert *f = &sc->falses[sc->nfalses++];
    struct strbuf w = STRBUF_INIT;
    describe(&w, d);
    f->sample = d->sample;
    f->what = sb_detach(&w, NULL);
    f->rule = xstrdup(d->rule ? d->rule : (d->type ? d->type : "-"));
}

static void score_det(struct corpus_score *sc, const struct det *d)
{
    struct strbuf *k = &sc->key;
    sb_reset(k);
    sb_addu64(k, d->sample);
    sb_addc(k, '|');
    describe(k, d);
    sb_addf(k, "|%s|%s", d->rule ? d->rule : "", d->type ? d->type : "");
    if (!strset_add(&sc->seen, k->buf)) {
        sc->duplicates++;
        return;
    }
    sc->alerts++;
    struct sample *s = find_sample(sc->t, d->sample);
    if (!s) {
        sc->unmatched++;
        add_false(sc, d);
        return;
    }
    for (size_t i = 0; i < s->nitems; i++) {
        const struct item *it = &sc->t->items[s->item0 + i];
        if (item_match(it, d)) {
            struct label *l = &sc->t->labels[it->label];
            l->detected = 1;
            sc->t->types[l->type].tp++;
            sc->tp++;
            return;
        }
    }
    add_false(sc, d);
}

/* ---- detection lines -------------------------------------------------------------------- */

/* A `check --format json` line has no sample: find it by host and snapshot time. */
static int sample_of_snapshot(struct corpus_truth *t, const cJSON *snap, uint64_t *out)
{
    int64_t at;
    const char *host = jstr(snap, "host");
    if (!host || jtime(snap, "at", &at) < 0)
        return -1;
    size_t lo = 0, hi = t->nsnaps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->snaps[mid].at < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    int found = 0;
    for (size_t i = lo; i < t->nsnaps && t->snaps[i].at == at; i++)
        if (!strcmp(t->samples[t->snaps[i].sample].host, host)) {
            if (found && *out != t->samples[t->snaps[i].sample].id)
                return -2; /* ambiguous */
            *out = t->samples[t->snaps[i].sample].id;
            found = 1;
        }
    return found ? 0 : -1;
}

static int64_t snap_at(const cJSON *snap)
{
    int64_t at;
    return snap && jtime(snap, "at", &at) == 0 ? at : WT_NONE;
}

/* Does path (as a tool or `check` names it: absolute, relative, with ./)
 * name the corpus file rel ("sysmon/part-00000.xml")? */
static int same_file(const char *path, const char *rel)
{
    size_t pl = strlen(path), rl = strlen(rel);
    if (pl < rl || strcmp(path + pl - rl, rel))
        return 0;
    return pl == rl || path[pl - rl - 1] == '/';
}

/* The sample an event of a corpus file belongs to: by its line, else by its
 * record id where the manifest gives the sample's record range. Every host
 * numbers its records from its own start, so two samples of one .evtx file
 * can both hold a record id: then the one whose host and time span match
 * the detection's snapshot (host, at; NULL / WT_NONE if unknown) wins. */
static int sample_of_event(const struct corpus_truth *t, const char *file, uint64_t line,
                           uint64_t rec, const char *host, int64_t at, uint64_t *out)
{
    int best = -1;
    for (size_t i = 0; i < t->nsamples; i++)
        for (size_t k = 0; k < t->samples[i].nloc; k++) {
            const struct sloc *l = &t->samples[i].loc[k];
            if (!same_file(file, l->file))
                continue;
            if (line && line >= l->line && line - l->line < l->lines) {
                *out = t->samples[i].id;
                return 0;
            }
            if (!line && rec && l->rec_first && rec >= l->rec_first && rec <= l->rec_last) {
                const struct sample *sm = &t->samples[i];
                int score = (host && !strcmp(sm->host, host)) * 2 +
                            (at != WT_NONE && sm->boot != WT_NONE && sm->end != WT_NONE &&
                             at >= sm->boot && at <= sm->end);
                if (score > best) {
                    best = score;
                    *out = sm->id;
                }
            }
        }
    return best >= 0 ? 0 : -1;
}

/* The sample whose own file (a hive) a finding names: check names one
 * host's files read together "A + B". -1 if none. */
static int sample_of_whole_file(const struct corpus_truth *t, const char *file, uint64_t *out)
{
    while (file && *file) {
        const char *sep = strstr(file, " + ");
        size_t n = sep ? (size_t)(sep - file) : strlen(file);
        char one[4096];
        if (n < sizeof(one)) {
            memcpy(one, file, n);
            one[n] = 0;
            for (size_t i = 0; i < t->nsamples; i++)
                for (size_t k = 0; k < t->samples[i].nloc; k++)
                    if (t->samples[i].loc[k].whole && same_file(one, t->samples[i].loc[k].file)) {
                        *out = t->samples[i].id;
                        return 0;
                    }
        }
        file = sep ? sep + 3 : NULL;
    }
    return -1;
}

/* A detection's event: `check`'s evidence {file, records: [{id, line}]} or
 * another tool's top-level file with line and/or record_id. */
static int event_of(const cJSON *o, const char **file, uint64_t *line, uint64_t *rec)
{
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "evidence");
    *line = *rec = 0;
    if (cJSON_IsObject(ev)) {
        *file = jstr(ev, "file");
        const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ev, "records"), 0);
        if (r0) {
            jnum(r0, "line", line);
            jnum(r0, "id", rec);
        }
    } else {
        *file = jstr(o, "file");
        jnum(o, "line", line);
        jnum(o, "record_id", rec);
    }
    return *file && (*line || *rec) ? 0 : -1;
}

int corpus_score_add_line(struct corpus_score *sc, const char *name, uint64_t lineno,
                          const char *line, size_t len, struct err *e)
{
    cJSON *o = parse_line(line, len);
    if (!cJSON_IsObject(o)) {
        err_set(e, "%s:%llu: not a JSON object", name, (unsigned long long)lineno);
        cJSON_Delete(o);
        return -1;
    }
    struct det d = {0};
    d.ct = WT_NONE;
    d.rule = jstr(o, "rule");
    if (!d.rule)
        d.rule = jstr(o, "label");
    d.type = jstr(o, "type");
    const cJSON *snap = cJSON_GetObjectItemCaseSensitive(o, "snapshot");
    const char *evfile;
    uint64_t evline, evrec;
    int have_event = event_of(o, &evfile, &evline, &evrec) == 0;
    int rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(o, "sample")) {
        if (jnum(o, "sample", &d.sample) < 0) {
            err_set(e, "%s:%llu: \"sample\" must be a sample number", name,
                    (unsigned long long)lineno);
            rc = -1;
        }
    } else if (have_event && sample_of_event(sc->t, evfile, evline, evrec, jstr(snap, "host"),
                                             snap_at(snap), &d.sample) == 0) {
        /* the event it rests on names the sample */
    } else if (!have_event &&
               sample_of_whole_file(sc->t,
                                    jstr(cJSON_GetObjectItemCaseSensitive(o, "evidence"), "file"),
                                    &d.sample) == 0) {
        /* a file of the sample alone (its hives) */
    } else if (snap) {
        int r = sample_of_snapshot(sc->t, snap, &d.sample);
        if (r == -2) {
            err_set(e, "%s:%llu: host and snapshot time match several samples: add \"sample\"",
                    name, (unsigned long long)lineno);
            rc = -1;
        } else if (r < 0) {
            d.sample = UINT64_MAX; /* a false alert on no known sample */
        }
    } else if (have_event) {
        d.sample = UINT64_MAX; /* an event of no sample: a false alert */
    } else {
        err_set(e,
                "%s:%llu: a detection needs \"sample\", a \"file\" with \"line\" or "
                "\"record_id\", or a check \"snapshot\"",
                name, (unsigned long long)lineno);
        rc = -1;
    }
    const cJSON *proc = cJSON_GetObjectItemCaseSensitive(o, "process");
    const cJSON *reg = cJSON_GetObjectItemCaseSensitive(o, "registry");
    const cJSON *where = proc ? proc : o;
    uint64_t v;
    if (rc) {
    } else if (cJSON_IsObject(reg)) {
        d.kind = IT_REG;
        d.key = jstr(reg, "key");
        d.name = jstr(reg, "name");
        if (!d.key || !d.name) {
            err_set(e, "%s:%llu: \"registry\" needs \"key\" and \"name\"", name,
                    (unsigned long long)lineno);
            rc = -1;
        }
    } else if (jnum(where, "pid", &v) == 0) {
        d.kind = IT_PROC;
        d.pid = (uint32_t)v;
        if (cJSON_GetObjectItemCaseSensitive(where, "create_time") &&
            !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(where, "create_time")) &&
            jtime(where, "create_time", &d.ct) < 0) {
            err_set(e, "%s:%llu: \"create_time\" is not an ISO 8601 UTC time", name,
                    (unsigned long long)lineno);
            rc = -1;
        }
    } else if (jnum(o, "event", &v) == 0) {
        d.kind = IT_EVENT;
        d.num = v;
    } else if (jnum(o, "record_id", &v) == 0) {
        d.kind = IT_RECORD;
        d.num = v;
    } else {
        err_set(e, "%s:%llu: a detection names \"pid\", \"registry\", \"event\" or \"record_id\"",
                name, (unsigned long long)lineno);
        rc = -1;
    }
    if (!rc)
        score_det(sc, &d);
    cJSON_Delete(o);
    return rc;
}

static int det_cb(void *ctx, const char *path, uint64_t lineno, const char *line, size_t len,
                  struct err *e)
{
    return corpus_score_add_line(ctx, path, lineno, line, len, e);
}

int corpus_score_add_file(struct corpus_score *sc, const char *path, struct err *e)
{
    return each_line(path, "detections", det_cb, sc, e);
}

/* ---- the built-in checker ----------------------------------------------------------------- */

int corpus_score_run_checker(struct corpus_score *sc, const char *dir, struct err *e)
{
    struct corpus_truth *t = sc->t;
    struct snap s;
    snap_init(&s);
    struct chk_findings fs = {0};
    struct chk_config cfg = {CHK_INFO, NULL, NULL};
    struct strbuf path = STRBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < t->nsamples && !rc;) {
        const char *file = t->samples[i].native_file;
        if (!file) {
            err_set(e,
                    "%s: sample %llu has no native file: generate the corpus with "
                    "--formats native (or all) to run the checker",
                    dir, (unsigned long long)t->samples[i].id);
            rc = -1;
            break;
        }
        size_t j = i;
        while (j < t->nsamples && t->samples[j].native_file &&
               !strcmp(t->samples[j].native_file, file))
            j++;
        sb_reset(&path);
        sb_addf(&path, "%s/%s", dir, file);
        struct snap_reader *r = snap_reader_open(path.buf, e);
        if (!r) {
            rc = -1;
            break;
        }
        int got;
        while ((got = snap_reader_next(r, &s, e)) == 1) {
            size_t doc = snap_reader_doc(r);
            size_t si = i + doc;
            if (si >= j || t->samples[si].native_line != doc + 1) {
                err_set(e, "%s: document %zu is not in the manifest", path.buf, doc + 1);
                got = -1;
                break;
            }
            chk_findings_reset(&fs);
            if (chk_check(&s, &cfg, &fs, e) < 0) {
                got = -1;
                break;
            }
            for (size_t k = 0; k < fs.n; k++) {
                const struct chk_finding *f = &fs.v[k];
                struct det d = {0};
                d.sample = t->samples[si].id;
                d.rule = f->rule->id;
                d.ct = WT_NONE;
                if (f->proc >= 0) {
                    d.kind = IT_PROC;
                    d.pid = s.procs[f->proc].pid;
                    d.ct = s.procs[f->proc].create_time;
                } else if (f->reg >= 0) {
                    d.kind = IT_REG;
                    d.key = s.regs[f->reg].key;
                    d.name = s.regs[f->reg].name;
                } else {
                    /* A finding about the whole snapshot names nothing to match. */
                    d.kind = IT_EVENT;
                    d.num = UINT64_MAX;
                }
                score_det(sc, &d);
            }
        }
        snap_reader_close(r);
        if (got < 0)
            rc = -1;
        i = j;
    }
    sb_release(&path);
    chk_findings_release(&fs);
    snap_release(&s);
    return rc;
}

/* ---- results ------------------------------------------------------------------------------ */

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 1.0;
}

static double f1(double p, double r)
{
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

void corpus_score_result(const struct corpus_score *sc, struct corpus_result *r)
{
    memset(r, 0, sizeof(*r));
    const struct corpus_truth *t = sc->t;
    r->labels = t->nlabels;
    for (size_t i = 0; i < t->nlabels; i++)
        r->detected += (uint64_t)t->labels[i].detected;
    r->alerts = sc->alerts;
    r->tp = sc->tp;
    r->fp = sc->fp;
    r->duplicates = sc->duplicates;
    r->unmatched_samples = sc->unmatched;
    r->recall = ratio(r->detected, r->labels);
    r->precision = ratio(r->tp, r->alerts);
    r->f1 = f1(r->precision, r->recall);
}

static void num3(struct strbuf *sb, double v)
{
    /* Three decimals from integers: no locale can change the separator. */
    uint64_t m = (uint64_t)(v * 1000 + 0.5);
    sb_addf(sb, "%llu.%03llu", (unsigned long long)(m / 1000), (unsigned long long)(m % 1000));
}

static int cmp_type(const void *a, const void *b)
{
    return strcmp(((const struct ttype *)a)->name, ((const struct ttype *)b)->name);
}

void corpus_score_report(const struct corpus_score *scc, struct strbuf *sb, int json,
                         size_t max_list)
{
    struct corpus_score *sc = (struct corpus_score *)scc;
    struct corpus_truth *t = sc->t;
    for (size_t i = 0; i < t->ntypes; i++)
        t->types[i].detected = 0;
    for (size_t i = 0; i < t->nlabels; i++)
        t->types[t->labels[i].type].detected += (uint64_t)t->labels[i].detected;
    /* Sort a copy of the type rows by name (labels keep their indices). */
    struct ttype *rows = xmalloc((t->ntypes ? t->ntypes : 1) * sizeof(*rows));
    if (t->ntypes) /* no labels at all (--anomaly-rate 0): no rows, and types is NULL */
        memcpy(rows, t->types, t->ntypes * sizeof(*rows));
    sort_n(rows, t->ntypes, sizeof(*rows), cmp_type);
    struct corpus_result r;
    corpus_score_result(sc, &r);
    size_t nmissed = (size_t)(r.labels - r.detected);
    if (json) {
        sb_adds(sb, "{\"overall\":{");
        sb_addf(sb,
                "\"labels\":%llu,\"detected\":%llu,\"alerts\":%llu,\"true_alerts\":%llu,"
                "\"false_alerts\":%llu,\"duplicates\":%llu,\"unknown_sample_alerts\":%llu,"
                "\"precision\":",
                (unsigned long long)r.labels, (unsigned long long)r.detected,
                (unsigned long long)r.alerts, (unsigned long long)r.tp, (unsigned long long)r.fp,
                (unsigned long long)r.duplicates, (unsigned long long)r.unmatched_samples);
        num3(sb, r.precision);
        sb_adds(sb, ",\"recall\":");
        num3(sb, r.recall);
        sb_adds(sb, ",\"f1\":");
        num3(sb, r.f1);
        sb_adds(sb, "},\"types\":[");
        for (size_t i = 0; i < t->ntypes; i++) {
            const struct ttype *y = &rows[i];
            double p = ratio(y->tp, y->tp + y->fp), rc = ratio(y->detected, y->labels);
            if (i)
                sb_addc(sb, ',');
            sb_addc(sb, '{');
            jw_key(sb, "type");
            jw_str(sb, y->name);
            sb_addf(sb,
                    ",\"labels\":%llu,\"detected\":%llu,\"true_alerts\":%llu,"
                    "\"false_alerts\":%llu,\"precision\":",
                    (unsigned long long)y->labels, (unsigned long long)y->detected,
                    (unsigned long long)y->tp, (unsigned long long)y->fp);
            num3(sb, p);
            sb_adds(sb, ",\"recall\":");
            num3(sb, rc);
            sb_adds(sb, ",\"f1\":");
            num3(sb, f1(p, rc));
            sb_addc(sb, '}');
        }
        sb_adds(sb, "],\"missed\":[");
        size_t n = 0;
        for (size_t i = 0; i < t->nlabels; i++) {
            const struct label *l = &t->labels[i];
            if (l->detected)
                continue;
            if (n++)
                sb_addc(sb, ',');
            sb_adds(sb, "{\"sample\":");
            sb_addu64(sb, l->sample);
            jw_kstr(sb, "label", l->id);
            jw_kstr(sb, "type", t->types[l->type].name);
            sb_adds(sb, ",\"target\":");
            sb_adds(sb, l->target);
            sb_addc(sb, '}');
        }
        sb_adds(sb, "],\"false_alerts\":[");
        for (size_t i = 0; i < sc->nfalses; i++) {
            const struct falsealert *f = &sc->falses[i];
            if (i)
                sb_addc(sb, ',');
            sb_adds(sb, "{\"sample\":");
            if (f->sample == UINT64_MAX)
                sb_adds(sb, "null");
            else
                sb_addu64(sb, f->sample);
            jw_kstr(sb, "what", f->what);
            jw_kstr(sb, "rule", f->rule);
            sb_addc(sb, '}');
        }
        sb_adds(sb, "]}\n");
        free(rows);
        return;
    }
    sb_addf(sb, "%-28s %7s %8s %7s %7s %9s %7s %6s\n", "anomaly type", "labels", "detected", "true",
            "false", "precision", "recall", "F1");
    for (size_t i = 0; i < t->ntypes; i++) {
        const struct ttype *y = &rows[i];
        double p = ratio(y->tp, y->tp + y->fp), rc = ratio(y->detected, y->labels);
        sb_addf(sb, "%-28s %7llu %8llu %7llu %7llu ", y->name, (unsigned long long)y->labels,
                (unsigned long long)y->detected, (unsigned long long)y->tp,
                (unsigned long long)y->fp);
        sb_adds(sb, "    ");
        num3(sb, p);
        sb_adds(sb, "   ");
        num3(sb, rc);
        sb_adds(sb, "  ");
        num3(sb, f1(p, rc));
        sb_addc(sb, '\n');
    }
    sb_addf(sb, "%-28s %7llu %8llu %7llu %7llu ", "overall", (unsigned long long)r.labels,
            (unsigned long long)r.detected, (unsigned long long)r.tp, (unsigned long long)r.fp);
    sb_adds(sb, "    ");
    num3(sb, r.precision);
    sb_adds(sb, "   ");
    num3(sb, r.recall);
    sb_adds(sb, "  ");
    num3(sb, r.f1);
    sb_addf(sb,
            "\n\n%llu alerts (%llu duplicates ignored, %llu false alerts not attributable "
            "to a type, %llu on unknown samples)\n",
            (unsigned long long)r.alerts, (unsigned long long)r.duplicates,
            (unsigned long long)sc->unattributed, (unsigned long long)r.unmatched_samples);
    sb_addf(sb, "\nmissed (%zu):\n", nmissed);
    size_t n = 0;
    for (size_t i = 0; i < t->nlabels && n < max_list; i++) {
        const struct label *l = &t->labels[i];
        if (l->detected)
            continue;
        n++;
        sb_addf(sb, "  sample %llu  %s  %s  %s\n", (unsigned long long)l->sample, l->id,
                t->types[l->type].name, l->target);
    }
    if (nmissed > n)
        sb_addf(sb, "  ... %zu more (--format json lists all)\n", nmissed - n);
    sb_addf(sb, "\nfalse alerts (%zu):\n", sc->nfalses);
    for (size_t i = 0; i < sc->nfalses && i < max_list; i++) {
        const struct falsealert *f = &sc->falses[i];
        if (f->sample == UINT64_MAX)
            sb_adds(sb, "  sample ?");
        else
            sb_addf(sb, "  sample %llu", (unsigned long long)f->sample);
        sb_addf(sb, "  %s  %s\n", f->what, f->rule);
    }
    if (sc->nfalses > max_list)
        sb_addf(sb, "  ... %zu more (--format json lists all)\n", sc->nfalses - max_list);
    free(rows);
}
