/*
 * Unit tests for snap/: the model's parent lookup under PID reuse, the JSON
 * writer and the streaming reader -- round trips, streams of documents of
 * either schema, documents that straddle the reader's 1 MiB window, and
 * located errors for broken input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../sim/scn.h"
#include "../sim/sim.h"
#include "../snap/sjson.h"
#include "../snap/snap.h"

#include <glob.h>

static struct snap_proc *proc(struct snap *s, uint32_t pid, uint32_t ppid, int64_t t, int64_t pt,
                              const char *name)
{
    struct snap_proc *p = snap_add_proc(s);
    p->pid = pid;
    p->ppid = ppid;
    p->create_time = t;
    p->parent_create_time = pt;
    p->name = snap_str(s, name);
    return p;
}

static void snap__parent__respects_pid_reuse(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    proc(&s, 4, 0, 0, WT_NONE, "System");
    struct snap_proc *old = proc(&s, 400, 4, 10, 0, "smss.exe");
    old->exit_time = 20;
    proc(&s, 500, 400, 15, WT_NONE, "csrss.exe");  /* child of the old 400 */
    proc(&s, 400, 4, 100, 0, "reused.exe");        /* pid 400 again, later */
    proc(&s, 600, 400, 50, WT_NONE, "orphan.exe"); /* created while no 400 lived */
    proc(&s, 700, 400, 150, 100, "child.exe");     /* says which 400 it means */
    const struct snap_proc *p = snap_parent(&s, &s.procs[2]);
    assert_non_null(p);
    assert_string_equal(p->name, "smss.exe");
    assert_false(snap_parent_alive(&s, &s.procs[2]));
    assert_null(snap_parent(&s, &s.procs[4])); /* 400 had exited; the reuse came later */
    p = snap_parent(&s, &s.procs[5]);
    assert_string_equal(p->name, "reused.exe");
    assert_true(snap_parent_alive(&s, &s.procs[5]));
    assert_int_equal(snap_find_proc(&s, 400, 100), 3);
    assert_int_equal(snap_find_proc(&s, 400, 99), -1);
    snap_release(&s);
}

static void build(struct snap *s)
{
    snap_init(s);
    s->source = "test";
    s->host = "H\"1";
    s->os = "win10";
    s->boot_time = 1714550400000000LL;
    s->at = s->boot_time + 60 * WT_SEC;
    s->fields = SNAP_F_ALL & ~SNAP_F_CMDLINE;
    struct snap_session *ss = snap_add_session(s);
    ss->id = 1;
    ss->kind = "console";
    ss->user = "CORP\\alice";
    ss->create_time = s->boot_time + 5 * WT_SEC;
    struct snap_proc *p =
        proc(s, 468, 388, s->boot_time + 5093000, s->boot_time + 4690000, "wininit.exe");
    p->image = "C:\\Windows\\System32\\wininit.exe";
    p->command_line = "wininit.exe \"quoted\"\n\x01";
    p->user = "NT AUTHORITY\\SYSTEM";
    p->session = 0;
    p->base_priority = 13;
    p->logon_id = 0x3e7;
    p->exit_time = s->boot_time + 59 * WT_SEC;
    p->anomaly = "a1";
    struct snap_reg *r = snap_add_reg(s);
    static const char *const data[] = {"autocheck autochk *", "evil.exe"};
    r->key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager";
    r->name = "BootExecute";
    r->type = SNAP_REG_MULTI_SZ;
    r->data = data;
    r->ndata = 2;
    struct snap_label *l = snap_add_label(s);
    l->id = "a1";
    l->type = "bootexecute-extra";
    l->reg_key = r->key;
    l->reg_name = r->name;
}

static void snap__write_then_read__round_trips(void **state)
{
    (void)state;
    struct snap a, b;
    build(&a);
    struct strbuf sb = STRBUF_INIT;
    snap_write_json(&sb, &a);
    struct snap_reader *r = snap_reader_open_mem("mem", sb.buf, sb.len);
    struct err e;
    snap_init(&b);
    assert_int_equal(snap_reader_next(r, &b, &e), 1);
    assert_string_equal(b.host, "H\"1");
    assert_true(b.at == a.at && b.boot_time == a.boot_time);
    assert_int_equal(b.fields, a.fields);
    assert_int_equal(b.nprocs, 1);
    const struct snap_proc *p = &b.procs[0];
    assert_int_equal(p->pid, 468);
    assert_int_equal(p->ppid, 388);
    assert_true(p->create_time == a.procs[0].create_time);
    assert_true(p->exit_time == a.procs[0].exit_time);
    assert_true(p->parent_create_time == a.procs[0].parent_create_time);
    assert_string_equal(p->command_line, a.procs[0].command_line);
    assert_int_equal(p->base_priority, 13);
    assert_true(p->logon_id == 0x3e7);
    assert_string_equal(p->anomaly, "a1");
    assert_int_equal(b.nregs, 1);
    assert_int_equal(b.regs[0].ndata, 2);
    assert_string_equal(b.regs[0].data[1], "evil.exe");
    assert_int_equal(b.nsessions, 1);
    assert_string_equal(b.sessions[0].user, "CORP\\alice");
    assert_int_equal(b.nlabels, 1);
    assert_string_equal(b.labels[0].reg_name, "BootExecute");
    /* Writing what we read gives the same bytes. */
    struct strbuf sb2 = STRBUF_INIT;
    snap_write_json(&sb2, &b);
    assert_int_equal(sb.len, sb2.len);
    assert_memory_equal(sb.buf, sb2.buf, sb.len);
    assert_int_equal(snap_reader_next(r, &b, &e), 0);
    snap_reader_close(r);
    sb_release(&sb);
    sb_release(&sb2);
    snap_release(&a);
    snap_release(&b);
}

/* Many documents in one file, some bigger than the 1 MiB read window, some
 * pretty-printed over several lines: every one comes out, in order. */
static void snap__stream_across_window__reads_every_document(void **state)
{
    (void)state;
    char path[] = "/tmp/smsslab-snap-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    struct snap a;
    build(&a);
    struct strbuf big = STRBUF_INIT;
    for (int i = 0; i < 5000; i++) /* ~1.3 MB of processes in one document */
        proc(&a, (uint32_t)(1000 + 4 * i), 4, a.boot_time + i, WT_NONE, "svchost.exe");
    snap_write_json(&big, &a);
    size_t docs = 0;
    for (int k = 0; k < 3; k++) {
        fwrite(big.buf, 1, big.len, f);
        docs++;
        fputs("{\n  \"schema\": \"smsslab.snapshot/1\",\n  \"processes\": [\n    {\"pid\": 4}\n"
              "  ]\n}\n",
              f);
        docs++;
    }
    fputs("{\"schema\":\"smsslab.run/1\",\"snapshots\":[{\"processes\":[{\"pid\":8}]},"
          "{\"processes\":[{\"pid\":12}]}]}",
          f);
    docs += 2;
    fclose(f);
    struct err e;
    struct snap_reader *r = snap_reader_open(path, &e);
    assert_non_null(r);
    struct snap s;
    snap_init(&s);
    size_t n = 0;
    int rc;
    while ((rc = snap_reader_next(r, &s, &e)) == 1) {
        if (n % 2 == 0 && n < 6)
            assert_int_equal(s.nprocs, 5001);
        n++;
    }
    if (rc < 0)
        fail_msg("%s", e.msg);
    assert_int_equal(n, docs);
    assert_int_equal(s.procs[0].pid, 12);
    snap_reader_close(r);
    unlink(path);
    snap_release(&s);
    snap_release(&a);
    sb_release(&big);
}

/* A logon id is taken exactly when strtoull reads it whole after "0x"
 * (the readers' definition before they had their own loop). */
static void snap__logon_id__read_as_strtoull_reads_it(void **state)
{
    (void)state;
    static const char *const ids[] = {"0x3e7",
                                      "0x3E7",
                                      "0x0",
                                      "0x00000000000000000000003e7",
                                      "0xffffffffffffffff",
                                      "0xFFFFFFFFFFFFFFFF",
                                      "0x10000000000000000",
                                      "0x1ffffffffffffffff",
                                      "0x",
                                      "0X3e7",
                                      "3e7",
                                      "0x3g7",
                                      "0x3e7 ",
                                      " 0x3e7",
                                      "0x-1",
                                      "0x+1",
                                      "0x0x5",
                                      "0x3e7\n",
                                      "",
                                      "0",
                                      "0xabcdef",
                                      "0x123456789abcdef0",
                                      "0x@",
                                      "0x`",
                                      "0xG",
                                      "0x/",
                                      "0x:"};
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        const char *s = ids[i];
        char *end;
        errno = 0;
        unsigned long long want = strtoull(s, &end, 16);
        int ok = !errno && !*end && !strncmp(s, "0x", 2);
        uint64_t got = 0;
        int rc = snap_parse_logon_id(s, &got);
        if (rc != (ok ? 0 : -1) || (ok && got != want))
            fail_msg("'%s': %d %llx, strtoull %d %llx", s, rc, (unsigned long long)got, ok, want);
    }
}

static void snap__bad_input__located_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", NULL},
        {"\n\n  {\"schema\":\"smsslab.snapshot/1\",\n\"processes\":[}",
         "t:4:14: invalid or truncated JSON"},
        {"{\"schema\":\"smsslab.snapshot/1\",\"processes\":[{\"pid\":4}",
         "t:1:53: invalid or truncated JSON"},
        {"[1,2]", "t:1:1: expected a JSON object"},
        {"{\"a\":1}", "t:1:1: not a smsslab document"},
        {"{\"schema\":\"smsslab.snapshot/9\",\"processes\":[]}", "t:1:1: unsupported schema"},
        {"{\"schema\":\"smsslab.snapshot/1\"}", "t: document 1: processes: missing"},
        {"{\"schema\":\"smsslab.snapshot/1\",\"processes\":[{\"pid\":-4}]}",
         "t: document 1: processes[0].pid: expected an integer in range"},
        {"{\"schema\":\"smsslab.snapshot/"
         "1\",\"processes\":[{\"pid\":4,\"create_time\":\"yesterday\"}]}",
         "t: document 1: processes[0].create_time: expected an ISO 8601 UTC time"},
        {"{\"schema\":\"smsslab.run/1\",\"snapshots\":[5]}",
         "t: document 1: snapshots[0]: expected an object"},
        {"{\"schema\":\"smsslab.run/1\",\"snapshots\":[{\"processes\":[]},{\"processes\":[]},7]}",
         "t: document 1: snapshots[2]: expected an object"},
        {"{\"schema\":\"smsslab.snapshot/1\",\"processes\":[],\"registry\":[{\"key\":\"k\","
         "\"name\":\"n\",\"type\":\"REG_BINARY\",\"data\":\"\"}]}",
         "t: document 1: registry[0].type: expected REG_SZ"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct snap_reader *r = snap_reader_open_mem("t", cases[i].in, strlen(cases[i].in));
        struct snap s;
        snap_init(&s);
        struct err e = {""};
        int rc;
        while ((rc = snap_reader_next(r, &s, &e)) == 1)
            ; /* the error may sit in a later snapshot */
        if (!cases[i].want) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -1);
            if (strncmp(e.msg, cases[i].want, strlen(cases[i].want)))
                fail_msg("case %zu: got '%s', want '%s'", i, e.msg, cases[i].want);
        }
        snap_reader_close(r);
        snap_release(&s);
    }
}

static void snap__deep_nesting__rejected_not_crashed(void **state)
{
    (void)state;
    size_t n = 200000;
    char *deep = malloc(n * 2 + 64);
    size_t k = 0;
    k += (size_t)snprintf(deep, 64, "{\"schema\":\"smsslab.snapshot/1\",\"x\":");
    for (size_t i = 0; i < n; i++)
        deep[k++] = '[';
    deep[k] = '\0';
    struct snap_reader *r = snap_reader_open_mem("deep", deep, k);
    struct snap s;
    snap_init(&s);
    struct err e;
    assert_int_equal(snap_reader_next(r, &s, &e), -1);
    snap_reader_close(r);
    snap_release(&s);
    free(deep);
}

/* cJSON's tree is capped per document; a smaller cap for the test shows the
 * whole path: a wide array stops the parse with its size named, and the same
 * document fits once the cap is back. */
static void snap__parse_memory__capped_with_a_clear_message(void **state)
{
    (void)state;
    size_t n = 100000, k = 0;
    char *doc = malloc(n * 2 + 128);
    k += (size_t)snprintf(doc, 64, "{\"schema\":\"smsslab.snapshot/1\",\"x\":[");
    for (size_t i = 0; i < n; i++) {
        doc[k++] = '0';
        doc[k++] = ',';
    }
    k--; /* the last comma */
    k += (size_t)snprintf(doc + k, 64, "],\"processes\":[]}");
    struct snap s;
    snap_init(&s);
    struct err e;
    snap_json_set_budget((size_t)1 << 20);
    assert_string_equal(snap_json_budget_text(), "1 MiB");
    struct snap_reader *r = snap_reader_open_mem("wide", doc, k);
    assert_int_equal(snap_reader_next(r, &s, &e), -1);
    assert_non_null(strstr(e.msg, "wide: document 1 needs more than 1 MiB of memory to parse"));
    snap_reader_close(r);
    snap_json_set_budget(0);
    assert_string_equal(snap_json_budget_text(), "1 GiB");
    r = snap_reader_open_mem("wide", doc, k);
    assert_int_equal(snap_reader_next(r, &s, &e), 1);
    assert_int_equal(s.nprocs, 0);
    snap_reader_close(r);
    snap_release(&s);
    free(doc);
}

/* ---- the simdjson fast path against the cJSON reader ------------------- */

/* What a reader built from text (file or memory), with the fast path on or
 * off: every snapshot as a snapshot document, then the end code and error. */
struct readout {
    struct strbuf snaps;
    int rc;
    struct err e;
    size_t fast_docs;
};

static void read_all(struct readout *o, const char *path, const char *text, size_t len, int fast)
{
    memset(o, 0, sizeof(*o));
    snap_json_set_fast(fast);
    struct snap_reader *r =
        path ? snap_reader_open(path, &o->e) : snap_reader_open_mem("t", text, len);
    assert_non_null(r);
    struct snap s;
    snap_init(&s);
    while ((o->rc = snap_reader_next(r, &s, &o->e)) == 1)
        snap_write_json(&o->snaps, &s);
    o->fast_docs = snap_reader_fast_docs(r);
    snap_reader_close(r);
    snap_release(&s);
    snap_json_set_fast(1);
}

/* Both paths give the same snapshots, the same end and the same message;
 * returns the documents the fast path took. */
static size_t same_both_ways(const char *path, const char *text, size_t len)
{
    struct readout fast, slow;
    read_all(&slow, path, text, len, 0);
    read_all(&fast, path, text, len, 1);
    assert_int_equal(slow.fast_docs, 0);
    assert_int_equal(fast.rc, slow.rc);
    if (fast.snaps.len != slow.snaps.len ||
        (slow.snaps.len && memcmp(fast.snaps.buf, slow.snaps.buf, slow.snaps.len) != 0))
        fail_msg("the fast path read %.300s\nthe cJSON path %.300s", fast.snaps.buf,
                 slow.snaps.buf);
    if (slow.rc < 0)
        assert_string_equal(fast.e.msg, slow.e.msg);
    sb_release(&fast.snaps);
    sb_release(&slow.snaps);
    return fast.fast_docs;
}

/* Every scenario the project ships, simulated and written as smsslab run
 * writes it (one document per line): the fast path takes every document and
 * builds the very snapshots the cJSON reader builds -- processes, sessions
 * as of each snapshot, registry values, labels -- from memory and from a
 * file (the window and its padding). */
static void snap__fast_path__scenarios_read_as_cjson_reads_them(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("scenarios/*.yaml", 0, NULL, &g), 0);
    struct strbuf all = STRBUF_INIT;
    size_t docs = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct scn sc;
        struct err e;
        if (scn_load_file(&sc, g.gl_pathv[i], &e) < 0) { /* a scenario made to fail */
            scn_release(&sc);
            continue;
        }
        struct sim *sm = sim_new();
        if (sim_run(sm, &sc, &e) == 0) {
            sim_write_json(sm, &all);
            if (all.len && all.buf[all.len - 1] != '\n')
                sb_addc(&all, '\n');
            docs++;
        }
        sim_free(sm);
        scn_release(&sc);
    }
    globfree(&g);
    assert_true(docs >= 10);
    assert_int_equal(same_both_ways(NULL, all.buf, all.len), docs);
    char path[] = "/tmp/smsslab-test-fast-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, all.buf, all.len), (ssize_t)all.len);
    close(fd);
    assert_int_equal(same_both_ways(path, NULL, 0), docs);
    unlink(path);
    sb_release(&all);
}

/* Documents written otherwise than smsslab writes them, and broken ones:
 * the fast path takes what it can read exactly as cJSON does (escaped keys
 * and strings, an escaped NUL, numbers written as 4.0, own session lists,
 * every registry type, labels, unknown keys, a skipped events array) and
 * leaves the rest to the cJSON reader, whose located messages stand. */
static void snap__fast_path__edge_documents_and_errors_as_cjson(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int fast; /* documents the fast path takes */
    } cases[] = {
        {"{\"schema\":\"smsslab.snapshot/"
         "2\",\"processes\":[{\"\\u0070id\":4,\"name\":\"Sy\\u0000s\","
         "\"image\":\"C:\\\\Windows\\\\x \\\"y\\\".exe\",\"ppid\":4.0,\"session\":1e0,"
         "\"logon_id\":\"0x3e7\",\"exit_recorded\":false,\"record\":{\"id\":7,\"line\":null}}]}",
         1},
        {"{\"schema\":\"smsslab.run/2\",\"host\":\"H\",\"seed\":18446744073709549568,"
         "\"fields\":[\"image\",\"nope\",\"exit\"],\"sessions\":[{\"id\":0,\"kind\":\"services\"},"
         "{\"id\":2,\"user\":\"u\",\"create_time\":\"2024-05-01T08:30:00Z\","
         "\"logon_time\":\"2024-05-01T08:31:00Z\"}],\"snapshots\":[{\"at\":\"2024-05-01T08:10:"
         "00Z\","
         "\"processes\":[{\"pid\":4,\"x\":{\"y\":[1,{}]}}],\"registry\":[{\"key\":\"K\",\"name\":"
         "\"a\","
         "\"type\":\"REG_MULTI_SZ\",\"data\":[\"x\",\"y\"]},{\"data\":null,\"key\":\"K\",\"name\":"
         "\"b\",\"type\":\"REG_DWORD\"},{\"key\":\"K\",\"name\":\"c\",\"data\":\"s\"},{\"key\":"
         "\"K\","
         "\"name\":\"d\",\"type\":\"REG_DWORD\",\"data\":4294967295,\"deleted\":true,\"time\":null}"
         "]},"
         "{\"sessions\":[{\"id\":5}],\"processes\":[]},{\"sessions\":null,\"processes\":[],"
         "\"processes\":[{\"pid\":8}]}],\"events\":[{\"seq\":0,\"a\":[[[]]]}],\"labels\":[{\"id\":"
         "\"a1\",\"rules\":[\"R1\",\"R2\"],\"target\":{\"pid\":4,\"key\":\"K\",\"zz\":1}}]}",
         1},
        /* the largest seed, which smsslab writes, reads back; 1e20 is refused */
        {"{\"schema\":\"smsslab.run/2\",\"seed\":18446744073709551615,\"snapshots\":[]}"
         "\n{\"schema\":\"smsslab.snapshot/2\",\"seed\":18446744073709551615,\"processes\":[]}",
         2},
        {"{\"schema\":\"smsslab.snapshot/2\",\"seed\":1e20,\"processes\":[]}", 0},
        /* pretty-printed, schema not first, two on a line (both): cJSON's */
        {"{\n \"schema\": \"smsslab.snapshot/2\",\n \"processes\": []\n}", 0},
        {"{\"processes\":[],\"schema\":\"smsslab.snapshot/2\"}", 0},
        {"{\"schema\":\"smsslab.snapshot/2\",\"processes\":[]}{\"schema\":\"smsslab.snapshot/2\","
         "\"processes\":[{\"pid\":9}]}",
         0},
        /* errors: the cJSON reader's messages, located */
        {"{\"schema\":\"smsslab.run/"
         "2\",\"snapshots\":[{\"processes\":[{\"pid\":4}]},{\"processes\":"
         "[{\"pid\":\"4\"}]}]}",
         0},
        {"{\"schema\":\"smsslab.run/2\",\"snapshots\":[{\"processes\":[{\"pid\":tru}]}]}", 0},
        {"{\"schema\":\"smsslab.snapshot/2\",\"processes\":[{\"pid\":null}]}", 0},
        {"{\"schema\":\"smsslab.snapshot/2\",\"processes\":[{\"pid\":1,\"logon_id\":\"3e7\"}]}", 0},
        {"{\"schema\":\"smsslab.snapshot/2\",\"processes\":[],\"registry\":[{\"key\":\"K\","
         "\"name\":\"a\",\"type\":\"REG_MULTI_SZ\",\"data\":[\"x\",1]}]}",
         0},
        {"{\"schema\":\"smsslab.snapshot/2\",\"processes\":[],\"labels\":[{\"target\":4}]}", 0},
        {"{\"schema\":\"smsslab.snapshot/2\",\"processes\":[{\"pid\":4,\"session\":-1}]}", 0},
        {"{\"schema\":\"smsslab.run/2\",\"snapshots\":{}}", 0},
        {"{\"schema\":\"smsslab.snapshot/2\",\"processes\":[{\"pid\":4,\"exit_time\":"
         "\"2024-13-01T00:00:00Z\"}]}",
         0},
        {"{\"schema\":\"smsslab.snapshot/2\",\"processes\":[{\"pid\":4}],\"x\":[1,2,}", 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t took = same_both_ways(NULL, cases[i].in, strlen(cases[i].in));
        if ((int)took != cases[i].fast)
            fail_msg("case %zu: the fast path took %zu documents, not %d", i, took, cases[i].fast);
    }
    /* Raw NUL bytes (invalid JSON that cJSON takes): a key, a field name
     * and a string end there, in both paths alike. */
    static const char raw[] = "{\"schema\":\"smsslab.snapshot/2\",\"fields\":[\"image\0x\"],"
                              "\"processes\":[{\"pid\0x\":4,\"name\":\"a\0b\"}]}";
    same_both_ways(NULL, raw, sizeof(raw) - 1);
    /* Strings over SNAP_MAX_STRING bytes: one an escaped NUL cuts short
     * enough is taken (the fast path cuts only such strings), one that stays
     * too long is refused; both as cJSON. The escapes keep them off the
     * plain-string path. */
    for (int cut = 1; cut >= 0; cut--) {
        struct strbuf big = STRBUF_INIT;
        sb_adds(&big, "{\"schema\":\"smsslab.snapshot/2\",\"processes\":[{\"pid\":4,"
                      "\"image\":\"C:\\\\");
        if (cut)
            sb_adds(&big, "x\\u0000");
        for (int i = 0; i < SNAP_MAX_STRING; i++)
            sb_addc(&big, 'y');
        sb_adds(&big, "\"}]}");
        assert_int_equal(same_both_ways(NULL, big.buf, big.len), (size_t)cut);
        struct readout ro;
        read_all(&ro, NULL, big.buf, big.len, 1);
        assert_int_equal(ro.rc, cut ? 0 : -1);
        if (cut)
            assert_non_null(strstr(ro.snaps.buf, "\"image\":\"C:\\\\x\""));
        sb_release(&ro.snaps);
        sb_release(&big);
    }
    /* The errors keep their places: the second snapshot's pid, the bad literal. */
    struct readout o;
    read_all(&o, NULL, cases[2].in, strlen(cases[2].in), 1);
    assert_non_null(strstr(o.snaps.buf, "\"seed\":18446744073709551615"));
    sb_release(&o.snaps);
    read_all(&o, NULL, cases[7].in, strlen(cases[7].in), 1);
    assert_int_equal(o.rc, -1);
    assert_string_equal(
        o.e.msg, "t: document 1: snapshots[1].processes[0].pid: expected an integer in range");
    sb_release(&o.snaps);
    read_all(&o, NULL, cases[8].in, strlen(cases[8].in), 1);
    assert_string_equal(o.e.msg, "t:1:61: invalid JSON"); /* at "tru" */
    sb_release(&o.snaps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snap__parent__respects_pid_reuse),
        cmocka_unit_test(snap__write_then_read__round_trips),
        cmocka_unit_test(snap__stream_across_window__reads_every_document),
        cmocka_unit_test(snap__logon_id__read_as_strtoull_reads_it),
        cmocka_unit_test(snap__bad_input__located_errors),
        cmocka_unit_test(snap__deep_nesting__rejected_not_crashed),
        cmocka_unit_test(snap__fast_path__scenarios_read_as_cjson_reads_them),
        cmocka_unit_test(snap__fast_path__edge_documents_and_errors_as_cjson),
        cmocka_unit_test(snap__parse_memory__capped_with_a_clear_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
