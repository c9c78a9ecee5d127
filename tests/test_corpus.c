/*
 * test_corpus: the corpus generator and the scorer. Determinism, the union of
 * shards, resume, 10,000 samples that all simulate, the same sample agreeing
 * across formats, escaping of hostile names in XML/JSON/CSV, field names and
 * order against the real Sysmon records and the winlogbeat golden (skipped
 * when ../shared/real is absent), hand-made detections, and the built-in
 * checker scoring recall 1.0 and precision 1.0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <hivex.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/afile.h"
#include "../core/wtime.h"
#include "../corpus/corpus.h"
#include "../evtxw/evtxw.h"
#include "../sim/anomaly.h"

#define REAL "../shared/real/formats/"

static char *tmpdir(void)
{
    char t[] = "/tmp/smsslab-corpus-XXXXXX";
    char *d = mkdtemp(t);
    assert_non_null(d);
    return xstrdup(d);
}

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            struct strbuf p = STRBUF_INIT;
            sb_addf(&p, "%s/%s", path, de->d_name);
            rm_rf(p.buf);
            sb_release(&p);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static char *slurp(const char *path, size_t *n)
{
    char *buf = NULL;
    struct err e;
    if (read_file_all(path, 1u << 30, &buf, n, &e) < 0)
        return NULL;
    return buf;
}

/* Every regular file under a (relative names), sorted, into sb. */
static void list_files(const char *root, const char *rel, struct strbuf *sb)
{
    struct strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(p.buf);
    assert_non_null(d);
    char *names[4096];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 4096)
        if (de->d_name[0] != '.')
            names[n++] = xstrdup(de->d_name);
    closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            char *t = names[k];
            names[k] = names[k - 1];
            names[k - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        struct strbuf c = STRBUF_INIT, q = STRBUF_INIT;
        sb_addf(&c, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        sb_addf(&q, "%s/%s", root, c.buf);
        struct stat st;
        stat(q.buf, &st);
        if (S_ISDIR(st.st_mode))
            list_files(root, c.buf, sb);
        else
            sb_addf(sb, "%s\n", c.buf);
        sb_release(&c);
        sb_release(&q);
        free(names[i]);
    }
    sb_release(&p);
}

/* Same file names and bytes under both folders. */
static void assert_same_tree(const char *a, const char *b)
{
    struct strbuf la = STRBUF_INIT, lb = STRBUF_INIT;
    list_files(a, "", &la);
    list_files(b, "", &lb);
    assert_string_equal(la.buf, lb.buf);
    for (char *line = la.buf; *line;) {
        char *nl = strchr(line, '\n');
        *nl = 0;
        struct strbuf pa = STRBUF_INIT, pb = STRBUF_INIT;
        sb_addf(&pa, "%s/%s", a, line);
        sb_addf(&pb, "%s/%s", b, line);
        size_t na, nb;
        char *x = slurp(pa.buf, &na), *y = slurp(pb.buf, &nb);
        assert_non_null(x);
        assert_non_null(y);
        if (na != nb || memcmp(x, y, na))
            fail_msg("%s differs between %s and %s", line, a, b);
        free(x);
        free(y);
        sb_release(&pa);
        sb_release(&pb);
        line = nl + 1;
    }
    sb_release(&la);
    sb_release(&lb);
}

static struct corpus_opts opts(const char *dir, uint64_t n, uint64_t per_file)
{
    struct corpus_opts o = {0};
    o.n = n;
    o.seed = 42;
    o.nshards = 1;
    o.formats = CORPUS_ALL;
    o.rate_ppm = 500000;
    o.per_file = per_file;
    o.dir = dir;
    return o;
}

static void run_ok(const struct corpus_opts *o)
{
    struct corpus_stats st;
    struct err e = {""};
    if (corpus_run(o, &st, &e) < 0)
        fail_msg("corpus_run: %s", e.msg);
}

/* ---- arguments ------------------------------------------------------------------ */

static void corpus__rates__parse_exactly(void **state)
{
    (void)state;
    struct err e;
    uint32_t p;
    assert_int_equal(corpus_parse_rate("0.5", &p, &e), 0);
    assert_int_equal(p, 500000);
    assert_int_equal(corpus_parse_rate("1", &p, &e), 0);
    assert_int_equal(p, 1000000);
    assert_int_equal(corpus_parse_rate("0.000001", &p, &e), 0);
    assert_int_equal(p, 1);
    assert_int_equal(corpus_parse_rate("25%", &p, &e), 0);
    assert_int_equal(p, 250000);
    assert_int_equal(corpus_parse_rate(".1", &p, &e), 0);
    assert_int_equal(p, 100000);
    const char *bad[] = {"", "1.5", "-0.1", "0.0000001", "abc", "%", "101%", "0.5x", "1e-3"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (corpus_parse_rate(bad[i], &p, &e) == 0)
            fail_msg("'%s' accepted", bad[i]);
    uint64_t k, m;
    assert_int_equal(corpus_parse_shard("2/4", &k, &m, &e), 0);
    assert_true(k == 2 && m == 4);
    assert_int_equal(corpus_parse_shard("4/4", &k, &m, &e), -1);
    assert_int_equal(corpus_parse_shard("0/0", &k, &m, &e), -1);
    assert_int_equal(corpus_parse_shard("1", &k, &m, &e), -1);
    unsigned f;
    assert_int_equal(corpus_parse_formats("sysmon,csv", &f, &e), 0);
    assert_int_equal(f, CORPUS_SYSMON | CORPUS_CSV);
    assert_int_equal(corpus_parse_formats("evtx", &f, &e), 0);
    assert_int_equal(f, CORPUS_EVTX);
    assert_int_equal(corpus_parse_formats("hives", &f, &e), -1);
    assert_int_equal(corpus_parse_formats("hive,security-xml,security-evtx", &f, &e), 0);
    assert_int_equal(f, CORPUS_HIVE | CORPUS_SECXML | CORPUS_SECEVTX);
    /* "all" is the one-file-per-part formats, as before the hives. */
    assert_int_equal(corpus_parse_formats("all", &f, &e), 0);
    assert_int_equal(f & (CORPUS_HIVE | CORPUS_SECXML | CORPUS_SECEVTX), 0);
}

/* ---- the generator ----------------------------------------------------------------- */

static void corpus__ten_thousand_samples__all_simulate(void **state)
{
    (void)state;
    struct sim *sm = sim_new();
    struct scn sc;
    memset(&sc, 0, sizeof(sc));
    size_t labels = 0;
    for (uint64_t i = 0; i < 10000; i++) {
        scn_release(&sc);
        corpus_gen_scenario(&sc, 2024, i, 700000, NULL, 0);
        struct err e = {""};
        if (sim_run(sm, &sc, &e) < 0)
            fail_msg("sample %llu: %s", (unsigned long long)i, e.msg);
        labels += sc.nanomalies;
    }
    /* 70% of samples with 1-3 anomalies each: well over 7,000 labels. */
    assert_true(labels > 7000);
    scn_release(&sc);
    sim_free(sm);
}

static void corpus__same_arguments__byte_identical(void **state)
{
    (void)state;
    char *a = tmpdir(), *b = tmpdir();
    struct corpus_opts oa = opts(a, 23, 5), ob = opts(b, 23, 5);
    run_ok(&oa);
    run_ok(&ob);
    assert_same_tree(a, b);
    rm_rf(a);
    rm_rf(b);
    free(a);
    free(b);
}

static void corpus__shards__union_equals_unsharded(void **state)
{
    (void)state;
    char *whole = tmpdir(), *shards = tmpdir();
    struct corpus_opts o = opts(whole, 23, 4);
    run_ok(&o);
    for (uint64_t k = 0; k < 3; k++) {
        struct corpus_opts s = opts(shards, 23, 4);
        s.shard = k;
        s.nshards = 3;
        run_ok(&s);
    }
    assert_same_tree(whole, shards);
    rm_rf(whole);
    rm_rf(shards);
    free(whole);
    free(shards);
}

static void corpus__resume__completes_to_identical_bytes(void **state)
{
    (void)state;
    char *whole = tmpdir(), *cut = tmpdir();
    struct corpus_opts o = opts(whole, 20, 4);
    run_ok(&o);
    struct corpus_opts c = opts(cut, 20, 4);
    run_ok(&c);
    /* An interrupted run: part 3 never committed its manifest or sysmon file,
     * part 4 nothing, and the assembled manifest does not exist yet. */
    struct strbuf p = STRBUF_INIT;
    const char *gone[] = {"manifest/part-00003.jsonl", "sysmon/part-00003.xml",
                          "manifest/part-00004.jsonl", "native/part-00004.jsonl",
                          "sysmon/part-00004.xml",     "ecs/part-00004.ndjson",
                          "csv/part-00004.csv",        "manifest.jsonl"};
    for (size_t i = 0; i < ARRAY_SIZE(gone); i++) {
        sb_reset(&p);
        sb_addf(&p, "%s/%s", cut, gone[i]);
        assert_int_equal(unlink(p.buf), 0);
    }
    /* A stale part file with wrong bytes for a part that is incomplete is rewritten. */
    sb_reset(&p);
    sb_addf(&p, "%s/native/part-00003.jsonl", cut);
    FILE *f = fopen(p.buf, "w");
    fputs("garbage\n", f);
    fclose(f);
    c.resume = 1;
    struct corpus_stats st;
    struct err e = {""};
    assert_int_equal(corpus_run(&c, &st, &e), 0);
    assert_int_equal(st.parts, 2);
    assert_int_equal(st.parts_skipped, 3);
    assert_true(st.manifest_complete);
    assert_same_tree(whole, cut);
    /* Other arguments are refused, with --resume or without (two runs must
     * never mix in one manifest), and nothing is written. */
    c.seed = 43;
    assert_int_equal(corpus_run(&c, &st, &e), -1);
    assert_non_null(strstr(e.msg, "other arguments"));
    c.resume = 0;
    assert_int_equal(corpus_run(&c, &st, &e), -1);
    assert_non_null(strstr(e.msg, "other arguments"));
    assert_same_tree(whole, cut);
    sb_release(&p);
    rm_rf(whole);
    rm_rf(cut);
    free(whole);
    free(cut);
}

/* ---- formats ---------------------------------------------------------------------------- */

struct one {
    struct scn sc;
    struct sim *sm;
    struct corpus_sample *cs;
};

static void one_open(struct one *o, uint64_t index)
{
    memset(&o->sc, 0, sizeof(o->sc));
    corpus_gen_scenario(&o->sc, 7, index, 1000000, NULL, 0);
    o->sm = sim_new();
    struct err e = {""};
    if (sim_run(o->sm, &o->sc, &e) < 0)
        fail_msg("%s", e.msg);
    o->cs = corpus_sample_new();
    corpus_sample_prepare(o->cs, &o->sc, o->sm, index);
}

static void one_close(struct one *o)
{
    corpus_sample_free(o->cs);
    sim_free(o->sm);
    scn_release(&o->sc);
}

static const char *xml_data(xmlNode *event, const char *name, char *buf, size_t n)
{
    for (xmlNode *s = event->children; s; s = s->next)
        if (s->type == XML_ELEMENT_NODE && !strcmp((const char *)s->name, "EventData"))
            for (xmlNode *d = s->children; d; d = d->next) {
                xmlChar *a = xmlGetProp(d, (const xmlChar *)"Name");
                int hit = a && !strcmp((const char *)a, name);
                xmlFree(a);
                if (hit) {
                    xmlChar *c = xmlNodeGetContent(d);
                    snprintf(buf, n, "%s", c ? (const char *)c : "");
                    xmlFree(c);
                    return buf;
                }
            }
    return NULL;
}

static void corpus__one_sample__formats_agree(void **state)
{
    (void)state;
    for (uint64_t idx = 0; idx < 12; idx++) {
        struct one o;
        one_open(&o, idx);
        struct strbuf x = STRBUF_INIT, j = STRBUF_INIT, c = STRBUF_INIT;
        size_t nx = corpus_write_sysmon(o.cs, &x);
        size_t nj = corpus_write_ecs(o.cs, &j);
        corpus_write_csv(o.cs, &c);
        assert_int_equal(nx, nj);
        /* Every process with an image has one EID 1 with its pid, time and image. */
        size_t creates = 0;
        char *xl = x.buf, *jl = j.buf;
        for (size_t i = 0; i < nx; i++) {
            char *xe = strchr(xl, '\n'), *je = strchr(jl, '\n');
            xmlDoc *doc = xmlReadMemory(xl, (int)(xe - xl), "e.xml", NULL, XML_PARSE_NONET);
            assert_non_null(doc);
            cJSON *js = cJSON_ParseWithLength(jl, (size_t)(je - jl));
            assert_non_null(js);
            xmlNode *ev = xmlDocGetRootElement(doc);
            char pid[64], img[1024], utc[64];
            const cJSON *pr = cJSON_GetObjectItem(js, "process");
            const cJSON *wl = cJSON_GetObjectItem(js, "winlog");
            char rid[32];
            for (xmlNode *s = ev->children; s; s = s->next)
                if (!strcmp((const char *)s->name, "System"))
                    for (xmlNode *d = s->children; d; d = d->next)
                        if (!strcmp((const char *)d->name, "EventRecordID")) {
                            xmlChar *t = xmlNodeGetContent(d);
                            snprintf(rid, sizeof(rid), "%s", (const char *)t);
                            xmlFree(t);
                        }
            assert_string_equal(rid, cJSON_GetObjectItem(wl, "record_id")->valuestring);
            if (xml_data(ev, "CommandLine", img, sizeof(img))) {
                creates++;
                xml_data(ev, "ProcessId", pid, sizeof(pid));
                xml_data(ev, "Image", img, sizeof(img));
                xml_data(ev, "UtcTime", utc, sizeof(utc));
                assert_int_equal(strtoul(pid, NULL, 10),
                                 (unsigned long)cJSON_GetObjectItem(pr, "pid")->valuedouble);
                assert_string_equal(img, cJSON_GetObjectItem(pr, "executable")->valuestring);
                /* UtcTime and @timestamp: the same millisecond */
                const char *ts = cJSON_GetObjectItem(js, "@timestamp")->valuestring;
                assert_memory_equal(utc, ts, 10);
                assert_memory_equal(utc + 11, ts + 11, 12);
                /* and the process exists in the simulation (native and CSV write it) */
                int found = 0;
                for (size_t k = 0; k < sim_nprocs(o.sm); k++) {
                    const struct snap_proc *p = sim_proc(o.sm, k);
                    char u[WT_SYSMON_LEN];
                    wt_format_sysmon(p->create_time, u);
                    if (p->pid == strtoul(pid, NULL, 10) && p->image && !strcmp(p->image, img) &&
                        !strcmp(u, utc))
                        found = 1;
                }
                assert_true(found);
            }
            cJSON_Delete(js);
            xmlFreeDoc(doc);
            xl = xe + 1;
            jl = je + 1;
        }
        size_t with_image = 0;
        for (size_t k = 0; k < sim_nprocs(o.sm); k++)
            with_image += sim_proc(o.sm, k)->image != NULL;
        assert_int_equal(creates, with_image);
        /* CSV: every process of the last snapshot with its pid and image. */
        for (size_t k = 0; k < sim_nprocs(o.sm); k++) {
            const struct snap_proc *p = sim_proc(o.sm, k);
            struct strbuf want = STRBUF_INIT;
            sb_addf(&want, ",%u,%u,", p->pid, p->ppid);
            assert_non_null(strstr(c.buf, want.buf));
            sb_release(&want);
        }
        sb_release(&x);
        sb_release(&j);
        sb_release(&c);
        one_close(&o);
    }
}

/* A tiny RFC 4180 reader: the fields of the first record at *p, advancing *p. */
static size_t csv_record(const char **p, char fields[][512], size_t max)
{
    size_t n = 0, k = 0;
    const char *s = *p;
    int quoted = 0;
    fields[0][0] = 0;
    for (;; s++) {
        if (quoted) {
            if (*s == '"' && s[1] == '"') {
                fields[n][k++] = '"';
                s++;
            } else if (*s == '"') {
                quoted = 0;
            } else {
                fields[n][k++] = *s;
            }
            continue;
        }
        if (*s == '"') {
            quoted = 1;
        } else if (*s == ',' || (*s == '\r' && s[1] == '\n') || !*s) {
            fields[n][k] = 0;
            n++;
            k = 0;
            if (*s != ',') {
                *p = *s ? s + 2 : s;
                return n;
            }
            if (n == max)
                return n;
            fields[n][0] = 0;
        } else {
            fields[n][k++] = *s;
        }
    }
}

static void corpus__hostile_names__escaped_in_every_format(void **state)
{
    (void)state;
    const char *host = "EVIL,\"HOST\"<x>&\n\r\t\x01'y'\xff";
    const char *user = "CORP\\b,o\"b\r\n<script>&amp;";
    struct scn sc;
    scn_init(&sc);
    free(sc.host);
    free(sc.domain);
    sc.host = xstrdup(host);
    sc.domain = xstrdup("CORP");
    sc.sessions[0].user = xstrdup(user);
    sc.sessions[0].logon = 40 * WT_SEC;
    struct sim *sm = sim_new();
    struct err e = {""};
    assert_int_equal(sim_run(sm, &sc, &e), 0);
    struct corpus_sample *cs = corpus_sample_new();
    corpus_sample_prepare(cs, &sc, sm, 5);
    struct strbuf x = STRBUF_INIT, j = STRBUF_INIT, c = STRBUF_INIT, m = STRBUF_INIT;
    size_t n = corpus_write_sysmon(cs, &x);
    corpus_write_ecs(cs, &j);
    size_t rows = corpus_write_csv(cs, &c);
    struct corpus_loc loc[CORPUS_NFORMATS] = {{"a", 1, 1}, {"b", 1, 1},         {"c", 1, 1},
                                              {"d", 1, 1}, {"e", 1, 1, 10, 11}, {"f", 1, 1}};
    corpus_write_manifest(cs, &m, CORPUS_ALL, loc);
    /* XML: one well-formed event per line; the host comes back (control
     * characters and the invalid byte as U+FFFD, line breaks intact). */
    size_t users_seen = 0;
    char *l = x.buf;
    for (size_t i = 0; i < n; i++) {
        char *end = strchr(l, '\n');
        xmlDoc *doc = xmlReadMemory(l, (int)(end - l), "e.xml", NULL, XML_PARSE_NONET);
        if (!doc)
            fail_msg("line %zu is not well-formed XML: %.*s", i + 1, (int)(end - l), l);
        xmlNode *ev = xmlDocGetRootElement(doc);
        for (xmlNode *s = ev->children; s; s = s->next)
            for (xmlNode *d = s->children; d; d = d->next)
                if (!strcmp((const char *)d->name, "Computer")) {
                    xmlChar *t = xmlNodeGetContent(d);
                    assert_string_equal((const char *)t,
                                        "EVIL,\"HOST\"<x>&\n\r\t\xef\xbf\xbd'y'\xef\xbf\xbd");
                    xmlFree(t);
                }
        char u[256];
        if (xml_data(ev, "User", u, sizeof(u)) && !strcmp(u, user))
            users_seen++;
        xmlFreeDoc(doc);
        l = end + 1;
    }
    assert_true(users_seen > 0);
    /* ECS and the manifest: valid JSON lines with the names intact. */
    for (char *p = j.buf; *p;) {
        char *end = strchr(p, '\n');
        cJSON *js = cJSON_ParseWithLength(p, (size_t)(end - p));
        assert_non_null(js);
        const cJSON *h = cJSON_GetObjectItem(cJSON_GetObjectItem(js, "host"), "name");
        assert_non_null(strstr(h->valuestring, "EVIL,\"HOST\"<x>&\n\r\t"));
        cJSON_Delete(js);
        p = end + 1;
    }
    cJSON *mj = cJSON_Parse(m.buf);
    assert_non_null(mj);
    cJSON_Delete(mj);
    assert_int_equal(strchr(m.buf, '\n') - m.buf + 1, (long)m.len);
    /* CSV: RFC 4180 records read back with 12 fields and the user intact. */
    const char *p = c.buf;
    static char f[16][512];
    size_t got = 0, users = 0;
    while (*p) {
        assert_int_equal(csv_record(&p, f, 16), 12);
        users += !strcmp(f[8], user);
        got++;
    }
    assert_int_equal(got, rows);
    assert_true(users > 0);
    sb_release(&x);
    sb_release(&j);
    sb_release(&c);
    sb_release(&m);
    corpus_sample_free(cs);
    sim_free(sm);
    scn_release(&sc);
}

static void corpus__escapes__direct(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    corpus_xml_escape(&sb, "a<b>&\"c'\n\x7f\x02");
    assert_string_equal(sb.buf, "a&lt;b&gt;&amp;&quot;c&apos;&#10;\x7f\xef\xbf\xbd");
    sb_reset(&sb);
    corpus_xml_escape(&sb, "\xef\xbf\xbe ok \xc3\xa9");
    assert_string_equal(sb.buf, "\xef\xbf\xbd ok \xc3\xa9");
    sb_reset(&sb);
    corpus_csv_field(&sb, "plain");
    sb_addc(&sb, '|');
    corpus_csv_field(&sb, "a,b");
    sb_addc(&sb, '|');
    corpus_csv_field(&sb, "say \"hi\"\r\nbye");
    assert_string_equal(sb.buf, "plain|\"a,b\"|\"say \"\"hi\"\"\r\nbye\"");
    sb_release(&sb);
}

struct argv_out {
    char v[8][128];
    size_t n;
};

static void collect(void *ctx, const char *a, size_t n)
{
    struct argv_out *o = ctx;
    snprintf(o->v[o->n++], 128, "%.*s", (int)n, a);
}

static void corpus__split_args__command_line_to_argv(void **state)
{
    (void)state;
    struct argv_out o = {0};
    corpus_split_args("\"C:\\Windows\\system32\\notepad.exe\" ", collect, &o);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.v[0], "C:\\Windows\\system32\\notepad.exe");
    memset(&o, 0, sizeof(o));
    corpus_split_args("a\\\\\\\"b \"c d\" e\\f \\\\\"g h\"", collect, &o);
    assert_int_equal(o.n, 4);
    assert_string_equal(o.v[0], "a\\\"b");
    assert_string_equal(o.v[1], "c d");
    assert_string_equal(o.v[2], "e\\f");
    assert_string_equal(o.v[3], "\\g h");
}

/* ---- against the real records ---------------------------------------------------------- */

/* The Data Name order of an XML document's (first) EventData, '|'-joined. */
static void data_names(const char *xml, size_t n, struct strbuf *out)
{
    xmlDoc *doc = xmlReadMemory(xml, (int)n, "r.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *ev = xmlDocGetRootElement(doc);
    for (xmlNode *s = ev->children; s; s = s->next)
        if (s->type == XML_ELEMENT_NODE && !strcmp((const char *)s->name, "EventData"))
            for (xmlNode *d = s->children; d; d = d->next)
                if (d->type == XML_ELEMENT_NODE) {
                    xmlChar *a = xmlGetProp(d, (const xmlChar *)"Name");
                    sb_addf(out, "%s|", (const char *)a);
                    xmlFree(a);
                }
    xmlFreeDoc(doc);
}

static void system_names(const char *xml, size_t n, struct strbuf *out)
{
    xmlDoc *doc = xmlReadMemory(xml, (int)n, "r.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *ev = xmlDocGetRootElement(doc);
    for (xmlNode *s = ev->children; s; s = s->next)
        if (s->type == XML_ELEMENT_NODE && !strcmp((const char *)s->name, "System"))
            for (xmlNode *d = s->children; d; d = d->next)
                if (d->type == XML_ELEMENT_NODE)
                    sb_addf(out, "%s|", (const char *)d->name);
    xmlFreeDoc(doc);
}

/* memmem without _GNU_SOURCE. */
static const char *find_in(const char *h, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(h + i, needle, k))
            return h + i;
    return NULL;
}

/* Our first line of the given EventID. */
static void our_event(struct strbuf *x, int eid, const char **line, size_t *len)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "<EventID>%d</EventID>", eid);
    for (char *l = x->buf; *l;) {
        char *end = strchr(l, '\n');
        if (find_in(l, (size_t)(end - l), pat, strlen(pat))) {
            *line = l;
            *len = (size_t)(end - l);
            return;
        }
        l = end + 1;
    }
    fail_msg("no EventID %d written", eid);
}

static void corpus__sysmon__fields_match_real_records(void **state)
{
    (void)state;
    DIR *d = opendir(REAL);
    if (!d) {
        print_message("skipped: %s is not present\n", REAL);
        skip();
    }
    struct one o;
    one_open(&o, 3);
    struct strbuf x = STRBUF_INIT;
    corpus_write_sysmon(o.cs, &x);
    const char *l1, *l5;
    size_t n1, n5;
    our_event(&x, 1, &l1, &n1);
    our_event(&x, 5, &l5, &n5);
    struct strbuf ours1 = STRBUF_INIT, ours5 = STRBUF_INIT, sys = STRBUF_INIT;
    data_names(l1, n1, &ours1);
    data_names(l5, n5, &ours5);
    system_names(l1, n1, &sys);
    size_t checked = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int is1 = !strncmp(de->d_name, "sysmon_eid1_", 12),
            is5 = !strncmp(de->d_name, "sysmon_eid5_", 12);
        if (!is1 && !is5)
            continue;
        struct strbuf p = STRBUF_INIT, theirs = STRBUF_INIT, tsys = STRBUF_INIT;
        sb_addf(&p, REAL "%s", de->d_name);
        size_t n;
        char *buf = slurp(p.buf, &n);
        assert_non_null(buf);
        data_names(buf, n, &theirs);
        system_names(buf, n, &tsys);
        /* The same System block; the real field list is a prefix of ours in
         * order (newer Sysmon added OriginalFileName, ParentUser, User). */
        assert_string_equal(tsys.buf, sys.buf);
        const char *ours = is1 ? ours1.buf : ours5.buf;
        const char *o2 = ours;
        for (char *t = theirs.buf; *t;) {
            char *bar = strchr(t, '|');
            *bar = 0;
            const char *hit = strstr(o2, t);
            if (!hit)
                fail_msg("%s: field %s missing or out of order in ours (%s)", de->d_name, t, ours);
            o2 = hit + strlen(t);
            t = bar + 1;
        }
        checked++;
        free(buf);
        sb_release(&p);
        sb_release(&theirs);
        sb_release(&tsys);
    }
    closedir(d);
    assert_true(checked >= 3);
    /* The newest manifest's field lists exactly. */
    size_t n;
    char *man = slurp(REAL "sysmon_manifest_v4.81_eid1_eid5.xml", &n);
    assert_non_null(man);
    struct strbuf m1 = STRBUF_INIT, m5 = STRBUF_INIT;
    char *second = strstr(man, "SYSMONEVENT_PROCESS_TERMINATE");
    for (char *p = man; (p = strstr(p, "<data name=\"")) != NULL;) {
        p += 12;
        sb_addf(p < second ? &m1 : &m5, "%.*s|", (int)strcspn(p, "\""), p);
    }
    assert_string_equal(m1.buf, ours1.buf);
    assert_string_equal(m5.buf, ours5.buf);
    /* Windows renders hex unpadded: the System LogonId. */
    assert_non_null(find_in(l1, n1, "<Data Name=\"LogonId\">0x3e7<", 27));
    free(man);
    sb_release(&m1);
    sb_release(&m5);
    sb_release(&ours1);
    sb_release(&ours5);
    sb_release(&sys);
    sb_release(&x);
    one_close(&o);
}

/* Dotted paths of every leaf of a JSON object, '|'-separated. */
static void leaves(const cJSON *o, const char *prefix, struct strbuf *out)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, o)
    {
        struct strbuf p = STRBUF_INIT;
        sb_addf(&p, "%s%s%s", prefix, *prefix ? "." : "", c->string);
        if (cJSON_IsObject(c))
            leaves(c, p.buf, out);
        else
            sb_addf(out, "|%s|", p.buf);
        sb_release(&p);
    }
}

static void corpus__ecs__fields_match_winlogbeat_golden(void **state)
{
    (void)state;
    size_t n;
    char *g = slurp(REAL "winlogbeat_sysmon_eid1_ecs_golden.json", &n);
    if (!g) {
        print_message("skipped: %s is not present\n", REAL);
        skip();
    }
    cJSON *gold = cJSON_Parse(g);
    assert_non_null(gold);
    struct one o;
    one_open(&o, 3);
    struct strbuf j = STRBUF_INIT;
    corpus_write_ecs(o.cs, &j);
    const char *line = strstr(j.buf, "\"code\":\"1\"");
    assert_non_null(line);
    while (line > j.buf && line[-1] != '\n')
        line--;
    cJSON *ours = cJSON_ParseWithLength(line, strcspn(line, "\n"));
    assert_non_null(ours);
    struct strbuf gl = STRBUF_INIT, ol = STRBUF_INIT;
    leaves(cJSON_GetArrayItem(gold, 0), "", &gl);
    leaves(ours, "", &ol);
    for (char *p = gl.buf; *p;) {
        char *end = strchr(p + 1, '|');
        *end = 0;
        /* message (the rendered text) is left out on purpose: docs/corpus.md. */
        if (strcmp(p + 1, "message")) {
            struct strbuf want = STRBUF_INIT;
            sb_addf(&want, "|%s|", p + 1);
            if (!strstr(ol.buf, want.buf))
                fail_msg("golden field %s is missing from our ECS document", p + 1);
            sb_release(&want);
        }
        p = end + 1;
    }
    /* Same value shapes where Windows fixes them. */
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(ours, "event"), "code")->valuestring, "1");
    const cJSON *wl = cJSON_GetObjectItem(ours, "winlog");
    assert_string_equal(cJSON_GetObjectItem(wl, "task")->valuestring,
                        "Process Create (rule: ProcessCreate)");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(wl, "record_id")));
    cJSON_Delete(ours);
    cJSON_Delete(gold);
    free(g);
    sb_release(&gl);
    sb_release(&ol);
    sb_release(&j);
    one_close(&o);
}

/* ---- scoring --------------------------------------------------------------------------- */

static void corpus__score__hand_made_detections(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct corpus_opts o = opts(dir, 6, 3);
    o.rate_ppm = 1000000;
    o.types = (const char *const[]){"lsass-children", "appcertdlls"};
    o.ntypes = 2;
    run_ok(&o);
    struct err e = {""};
    struct corpus_truth *t = corpus_truth_load(dir, &e);
    assert_non_null(t);
    /* Find sample 0's labels from the manifest to aim at. */
    struct strbuf mp = STRBUF_INIT;
    sb_addf(&mp, "%s/manifest.jsonl", dir);
    size_t n;
    char *man = slurp(mp.buf, &n);
    cJSON *s0 = cJSON_ParseWithLength(man, strcspn(man, "\n"));
    const cJSON *an = cJSON_GetObjectItem(s0, "anomalies");
    size_t nlab = 0;
    for (char *p = man; (p = strstr(p, "\"id\":\"a")) != NULL; p++)
        nlab++;
    struct corpus_score *sc = corpus_score_new(t);
    struct strbuf line = STRBUF_INIT;
    int aimed = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, an)
    {
        const cJSON *procs = cJSON_GetObjectItem(a, "processes");
        const cJSON *regs = cJSON_GetObjectItem(a, "registry");
        sb_reset(&line);
        if (cJSON_GetArraySize(procs)) {
            const cJSON *p0 = cJSON_GetArrayItem(procs, 0);
            /* Sysmon-style millisecond time still matches */
            char ms[32];
            snprintf(ms, sizeof(ms), "%.23sZ", cJSON_GetObjectItem(p0, "create_time")->valuestring);
            sb_addf(&line, "{\"sample\":0,\"pid\":%d,\"create_time\":\"%s\",\"rule\":\"X\"}",
                    (int)cJSON_GetObjectItem(p0, "pid")->valuedouble, ms);
        } else {
            const cJSON *r0 = cJSON_GetArrayItem(regs, 0);
            char *k = cJSON_PrintUnformatted(cJSON_GetObjectItem(r0, "key"));
            char *nm = cJSON_PrintUnformatted(cJSON_GetObjectItem(r0, "name"));
            sb_addf(&line, "{\"sample\":0,\"registry\":{\"key\":%s,\"name\":%s},\"rule\":\"Y\"}", k,
                    nm);
            cJSON_free(k);
            cJSON_free(nm);
        }
        assert_int_equal(corpus_score_add_line(sc, "t", 1, line.buf, line.len, &e), 0);
        /* the same alert twice is a duplicate, not a second alert */
        assert_int_equal(corpus_score_add_line(sc, "t", 2, line.buf, line.len, &e), 0);
        aimed++;
    }
    assert_true(aimed >= 1);
    const char *falses[] = {"{\"sample\":1,\"pid\":99996,\"rule\":\"LSASS-CHILDREN\"}",
                            "{\"sample\":4000,\"pid\":4,\"rule\":\"Z\"}",
                            "{\"sample\":2,\"event\":0,\"type\":\"appcertdlls\"}"};
    for (size_t i = 0; i < ARRAY_SIZE(falses); i++)
        assert_int_equal(corpus_score_add_line(sc, "t", 3, falses[i], strlen(falses[i]), &e), 0);
    const char *bad[] = {"{\"pid\":4}", "{\"sample\":1}", "[1]",
                         "{\"sample\":1,\"pid\":4,\"create_time\":\"yesterday\"}"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(corpus_score_add_line(sc, "t", 9, bad[i], strlen(bad[i]), &e), -1);
    struct corpus_result r;
    corpus_score_result(sc, &r);
    assert_int_equal(r.labels, nlab);
    assert_int_equal(r.detected, (uint64_t)aimed);
    assert_int_equal(r.tp, (uint64_t)aimed);
    assert_int_equal(r.fp, 3);
    assert_int_equal(r.duplicates, (uint64_t)aimed);
    assert_int_equal(r.unmatched_samples, 1);
    struct strbuf rep = STRBUF_INIT;
    corpus_score_report(sc, &rep, 1, 10);
    cJSON *rj = cJSON_Parse(rep.buf);
    assert_non_null(rj);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rj, "missed")),
                     (int)(nlab - (size_t)aimed));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rj, "false_alerts")), 3);
    cJSON_Delete(rj);
    sb_reset(&rep);
    corpus_score_report(sc, &rep, 0, 10);
    assert_non_null(strstr(rep.buf, "lsass-children"));
    assert_non_null(strstr(rep.buf, "false alerts (3)"));
    /* A second score on the same truth starts from nothing. */
    corpus_score_free(sc);
    sc = corpus_score_new(t);
    corpus_score_result(sc, &r);
    assert_int_equal(r.detected, 0);
    assert_int_equal(r.alerts, 0);
    sb_reset(&rep);
    corpus_score_report(sc, &rep, 1, 10);
    rj = cJSON_Parse(rep.buf);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rj, "missed")), (int)nlab);
    const cJSON *ty;
    cJSON_ArrayForEach(ty, cJSON_GetObjectItem(rj, "types"))
    {
        assert_int_equal(cJSON_GetObjectItem(ty, "detected")->valueint, 0);
        assert_int_equal(cJSON_GetObjectItem(ty, "true_alerts")->valueint, 0);
        assert_int_equal(cJSON_GetObjectItem(ty, "false_alerts")->valueint, 0);
    }
    cJSON_Delete(rj);
    sb_release(&rep);
    sb_release(&line);
    sb_release(&mp);
    cJSON_Delete(s0);
    free(man);
    corpus_score_free(sc);
    corpus_truth_free(t);
    rm_rf(dir);
    free(dir);
}

/* Two samples of one .evtx part whose EventRecordID ranges overlap (every
 * host numbers its own records): a finding on a shared id goes to the
 * sample whose host and time span match its snapshot, not to the first. */
static void corpus__score__evtx_record_ids_shared_by_two_samples(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s/manifest.jsonl", dir);
    static const char man[] =
        "{\"sample\":0,\"host\":\"WS-0001\",\"boot_time\":\"2024-01-01T00:00:00Z\","
        "\"end_time\":\"2024-01-01T00:10:00Z\",\"anomalies\":[],\"files\":{\"evtx\":"
        "{\"file\":\"evtx/part-00000.evtx\",\"record\":1,\"records\":50,"
        "\"first_record_id\":1000,\"last_record_id\":1049}}}\n"
        "{\"sample\":1,\"host\":\"WS-0002\",\"boot_time\":\"2024-02-01T00:00:00Z\","
        "\"end_time\":\"2024-02-01T00:10:00Z\",\"anomalies\":[{\"id\":\"a1\","
        "\"type\":\"lsass-children\",\"rules\":[\"LSASS-CHILDREN\"],\"processes\":"
        "[{\"pid\":900,\"create_time\":\"2024-02-01T00:05:00Z\",\"record_ids\":[1020]}],"
        "\"registry\":[],\"events\":[]}],\"files\":{\"evtx\":"
        "{\"file\":\"evtx/part-00000.evtx\",\"record\":51,\"records\":50,"
        "\"first_record_id\":1010,\"last_record_id\":1059}}}\n";
    FILE *f = fopen(p.buf, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(man, 1, sizeof(man) - 1, f), sizeof(man) - 1);
    fclose(f);
    struct err e = {""};
    struct corpus_truth *t = corpus_truth_load(dir, &e);
    if (!t)
        fail_msg("%s", e.msg);
    struct corpus_score *sc = corpus_score_new(t);
    static const char det[] =
        "{\"rule\":\"LSASS-CHILDREN\",\"snapshot\":{\"host\":\"WS-0002\","
        "\"at\":\"2024-02-01T00:09:00Z\"},\"process\":{\"pid\":900,\"create_time\":"
        "\"2024-02-01T00:05:00Z\"},\"evidence\":{\"file\":\"/x/evtx/part-00000.evtx\","
        "\"records\":[{\"id\":1020,\"line\":null}]}}";
    assert_int_equal(corpus_score_add_line(sc, "t", 1, det, sizeof(det) - 1, &e), 0);
    struct corpus_result r;
    corpus_score_result(sc, &r);
    assert_int_equal(r.labels, 1);
    assert_int_equal(r.tp, 1);
    assert_int_equal(r.fp, 0);
    assert_int_equal(r.detected, 1);
    corpus_score_free(sc);
    corpus_truth_free(t);
    sb_release(&p);
    rm_rf(dir);
    free(dir);
}

static void corpus__builtin_checker__recall_and_precision_one(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct corpus_opts o = opts(dir, 300, 100);
    o.formats = CORPUS_NATIVE;
    run_ok(&o);
    struct err e = {""};
    struct corpus_truth *t = corpus_truth_load(dir, &e);
    assert_non_null(t);
    struct corpus_score *sc = corpus_score_new(t);
    if (corpus_score_run_checker(sc, dir, &e) < 0)
        fail_msg("%s", e.msg);
    struct corpus_result r;
    corpus_score_result(sc, &r);
    if (r.recall != 1.0 || r.precision != 1.0) {
        struct strbuf rep = STRBUF_INIT;
        corpus_score_report(sc, &rep, 0, 50);
        fail_msg("checker on the corpus:\n%s", rep.buf);
    }
    assert_true(r.labels > 100);
    corpus_score_free(sc);
    corpus_truth_free(t);
    rm_rf(dir);
    free(dir);
}

/* ---- registry hives ----------------------------------------------------------------- */

static const char *write_tmp(const uint8_t *b, size_t n, char *path)
{
    snprintf(path, 64, "/tmp/smsslab-test-hive-%ld", (long)getpid());
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
    return path;
}

/* The empty hive is one libhivex opens (it checks the checksum, the bins
 * and the root cell) and can add to: a key gets the root's security
 * record and time. A changed byte under the checksum is refused. */
static void corpus__regf_empty__opens_in_libhivex(void **state)
{
    (void)state;
    uint8_t b[CORPUS_REGF_EMPTY];
    const uint64_t ft = 133500000000000000ULL;
    corpus_regf_empty(b, ft, "SYSTEM");
    assert_memory_equal(b, "regf", 4);
    assert_int_equal(corpus_regf_checksum(b),
                     b[508] | b[509] << 8 | b[510] << 16 | (uint32_t)b[511] << 24);
    char path[64];
    hive_h *h = hivex_open(write_tmp(b, sizeof(b), path), HIVEX_OPEN_WRITE);
    assert_non_null(h);
    hive_node_h root = hivex_root(h);
    char *name = hivex_node_name(h, root);
    assert_string_equal(name, "ROOT");
    free(name);
    assert_int_equal(hivex_node_nr_children(h, root), 0);
    assert_int_equal(hivex_node_nr_values(h, root), 0);
    assert_true(hivex_node_timestamp(h, root) == (int64_t)ft);
    hive_node_h k = hivex_node_add_child(h, root, "Select");
    assert_true(k != 0);
    uint8_t one[4] = {1, 0, 0, 0};
    hive_set_value v = {"Current", hive_t_REG_DWORD, 4, (char *)one};
    assert_int_equal(hivex_node_set_values(h, k, 1, &v, 0), 0);
    assert_int_equal(hivex_commit(h, NULL, 0), 0);
    hivex_close(h);
    h = hivex_open(path, 0);
    assert_non_null(h);
    k = hivex_node_get_child(h, hivex_root(h), "select");
    assert_true(k != 0);
    assert_int_equal(hivex_value_dword(h, hivex_node_get_value(h, k, "Current")), 1);
    assert_true(hivex_node_timestamp(h, k) == (int64_t)ft);
    hivex_close(h);
    b[100] ^= 1; /* under the checksum */
    assert_null(hivex_open(write_tmp(b, sizeof(b), path), 0));
    unlink(path);
}

/* The corpus draws a composed parameter from its row alone (P_*_DRAWN,
 * P_*_FROM, P_BOOT_DELAY in sim/anomalies.def): every template names lists
 * the row has and parameters drawn before it, so a new row cannot ask
 * gen.c for a value it does not know how to make. */
static int drawn_before(const struct anom_type *t, const struct anom_pdef *d, const char *key,
                        size_t n)
{
    for (const struct anom_pdef *e = t->params; e != d; e++)
        if (strlen(e->key) == n && !memcmp(e->key, key, n))
            return e->choices || e->seen || e->draw_fmt;
    return 0;
}

static void anomaly__draw_templates__resolve(void **state)
{
    (void)state;
    size_t composed = 0, delays = 0;
    for (size_t i = 0; i < anom_count(); i++) {
        const struct anom_type *t = anom_get(i);
        for (const struct anom_pdef *d = t->params; d->key; d++) {
            if (d->boot_delay[1]) {
                delays++;
                assert_int_equal(d->kind, AP_DURATION);
                assert_true(d->boot_delay[0] > 0 && d->boot_delay[0] <= d->boot_delay[1]);
            }
            if (!d->draw_fmt) {
                assert_null(d->draw);
                continue;
            }
            composed++;
            assert_null(d->seen); /* one way to draw a parameter */
            size_t lists = 0;
            while (d->draw && d->draw[lists]) {
                assert_non_null(d->draw[lists][0]);
                lists++;
            }
            assert_true(lists <= 8);
            for (const char *f = strchr(d->draw_fmt, '{'); f; f = strchr(f + 1, '{')) {
                const char *end = strchr(f, '}');
                if (!end)
                    fail_msg("%s %s: '{' without '}'", t->id, d->key);
                const char *colon = memchr(f + 1, ':', (size_t)(end - f - 1));
                size_t n = (size_t)((colon ? colon : end) - (f + 1));
                if (colon && strncmp(colon, ":file}", 6))
                    fail_msg("%s %s: only {key:file}", t->id, d->key);
                if (n == 1 && f[1] >= '0' && f[1] <= '9') {
                    if ((size_t)(f[1] - '0') >= lists)
                        fail_msg("%s %s: {%c} but %zu lists", t->id, d->key, f[1], lists);
                } else if (!drawn_before(t, d, f + 1, n)) {
                    fail_msg("%s %s: {%.*s} is no parameter drawn before it", t->id, d->key, (int)n,
                             f + 1);
                }
            }
        }
    }
    assert_true(composed >= 6);
    assert_int_equal(delays, 1);
    /* A drawn sample: the pending rename's target is the source's file in
     * System32, and core-wrong-path's file is the process it names. */
    const char *types[] = {"pending-rename-system32", "core-wrong-path"};
    for (uint64_t k = 0; k < 20; k++) {
        struct scn sc;
        corpus_gen_scenario(&sc, 7, k, CORPUS_PPM, types, ARRAY_SIZE(types));
        for (size_t j = 0; j < sc.nanomalies; j++) {
            const struct scn_anomaly *a = &sc.anomalies[j];
            const char *v[4] = {0};
            static const char *const keys[] = {"source", "target", "process", "path"};
            for (size_t q = 0; q < a->nparams; q++)
                for (size_t w = 0; w < 4; w++)
                    if (!strcmp(a->params[q].key, keys[w]))
                        v[w] = a->params[q].value;
            if (!strcmp(a->type, "pending-rename-system32")) {
                assert_non_null(v[0]);
                assert_non_null(v[1]);
                assert_int_equal(strncmp(v[1], "C:\\Windows\\System32\\", 20), 0);
                assert_string_equal(strrchr(v[0], '\\'), strrchr(v[1], '\\'));
            } else {
                assert_non_null(v[2]);
                assert_non_null(v[3]);
                assert_string_equal(strrchr(v[3], '\\') + 1, v[2]);
            }
        }
        scn_release(&sc);
    }
}

/* ---- the golden Security log ------------------------------------------------------- */

/* Two small hosts in one file, as a corpus part holds them: Windows 10 (4688
 * version 2, a lock screen's LogonUI and its 4689) and Windows 7 (version 0).
 * The golden files pin corpus/security.c's bytes; tests/golden/README.md
 * says how to regenerate them after a deliberate change. */
static const char *const security_golden_yaml[] = {
    "name: golden-security-10\nseed: 3\nos: win10\nhost: {name: GOLDEN-PC, domain: CORP}\n"
    "sessions: [{id: 1, user: CORP\\alice, logon: 30s}]\n"
    "events: [{at: 70s, type: lock, session: 1}, {at: 110s, type: unlock, session: 1}]\n"
    "options: {noise: false, svchosts: 0}\n",
    "name: golden-security-7\nseed: 4\nos: win7\nhost: {name: GOLDEN-7, domain: CORP}\n"
    "sessions: [{id: 1, user: CORP\\bob, logon: 40s}]\noptions: {noise: false, svchosts: 0}\n"
    "duration: 1m\n",
};

static void golden_compare(const char *name, const void *buf, size_t n)
{
    const char *src = getenv("SMSSLAB_SRCDIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/golden/%s", src && *src ? src : ".", name);
    struct err e = {""};
    const char *upd = getenv("SMSSLAB_UPDATE_GOLDEN");
    if (upd && !strcmp(upd, "1")) {
        assert_int_equal(afile_write_all(path, buf, n, &e), 0);
        print_message("updated %s\n", path);
        return;
    }
    char *want = NULL;
    size_t len = 0;
    if (read_file_all(path, 1 << 22, &want, &len, &e) != 0)
        fail_msg("%s (SMSSLAB_UPDATE_GOLDEN=1 creates it: tests/golden/README.md)", e.msg);
    size_t at = 0;
    while (at < len && at < n && want[at] == ((const char *)buf)[at])
        at++;
    free(want);
    if (len != n || at != len)
        fail_msg("%s differs from what corpus/security.c writes at byte %zu "
                 "(tests/golden/README.md: how to accept a deliberate change)",
                 path, at);
}

static void corpus__security_evtx__matches_the_golden_byte_for_byte(void **state)
{
    (void)state;
    struct evtxw *w = evtxw_new();
    struct strbuf xml = STRBUF_INIT;
    struct err e = {""};
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(evtxw_begin(w, fp, "security.evtx", &e), 0);
    size_t records = 0;
    for (size_t k = 0; k < ARRAY_SIZE(security_golden_yaml); k++) {
        struct scn sc;
        if (scn_load_mem(&sc, "golden.yaml", security_golden_yaml[k],
                         strlen(security_golden_yaml[k]), &e) < 0)
            fail_msg("%s", e.msg);
        struct sim *sm = sim_new();
        assert_int_equal(sim_run(sm, &sc, &e), 0);
        struct corpus_sample *cs = corpus_sample_new();
        corpus_sample_prepare(cs, &sc, sm, k);
        struct corpus_loc lx = {"x", 1, 0, 0, 0}, le = {"e", 1, 0, 0, 0};
        corpus_write_security_xml(cs, &xml, &lx);
        if (corpus_write_security_evtx(cs, w, &le, &e) < 0)
            fail_msg("%s", e.msg);
        assert_int_equal(lx.lines, le.lines);
        assert_int_equal(lx.first_id, le.first_id);
        records += le.lines;
        corpus_sample_free(cs);
        sim_free(sm);
        scn_release(&sc);
    }
    assert_int_equal(evtxw_end(w, &e), 0);
    long n = ftell(fp);
    assert_true(n > 0);
    char *buf = xmalloc((size_t)n);
    rewind(fp);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    /* both event kinds, both versions, and a file a single chunk holds */
    assert_in_range(records, 30, 200);
    assert_non_null(strstr(xml.buf, "<EventID>4689</EventID>"));
    assert_non_null(strstr(xml.buf, "<Version>2</Version>"));
    assert_non_null(strstr(xml.buf, "<Version>0</Version>"));
    assert_non_null(strstr(xml.buf, "/flags:0x0 /state0:"));
    golden_compare("security-4688-4689.evtx", buf, (size_t)n);
    golden_compare("security-4688-4689.xml", xml.buf, xml.len);
    free(buf);
    sb_release(&xml);
    evtxw_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus__rates__parse_exactly),
        cmocka_unit_test(anomaly__draw_templates__resolve),
        cmocka_unit_test(corpus__ten_thousand_samples__all_simulate),
        cmocka_unit_test(corpus__same_arguments__byte_identical),
        cmocka_unit_test(corpus__shards__union_equals_unsharded),
        cmocka_unit_test(corpus__resume__completes_to_identical_bytes),
        cmocka_unit_test(corpus__one_sample__formats_agree),
        cmocka_unit_test(corpus__hostile_names__escaped_in_every_format),
        cmocka_unit_test(corpus__escapes__direct),
        cmocka_unit_test(corpus__split_args__command_line_to_argv),
        cmocka_unit_test(corpus__sysmon__fields_match_real_records),
        cmocka_unit_test(corpus__ecs__fields_match_winlogbeat_golden),
        cmocka_unit_test(corpus__security_evtx__matches_the_golden_byte_for_byte),
        cmocka_unit_test(corpus__score__hand_made_detections),
        cmocka_unit_test(corpus__score__evtx_record_ids_shared_by_two_samples),
        cmocka_unit_test(corpus__builtin_checker__recall_and_precision_one),
        cmocka_unit_test(corpus__regf_empty__opens_in_libhivex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
