/*
 * Unit tests for snap/: the model's parent lookup under PID reuse, the JSON
 * writer and the streaming reader -- round trips, streams of documents of
 * either schema, documents that straddle the reader's 1 MiB window, and
 * located errors for broken input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../snap/snap.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snap__parent__respects_pid_reuse),
        cmocka_unit_test(snap__write_then_read__round_trips),
        cmocka_unit_test(snap__stream_across_window__reads_every_document),
        cmocka_unit_test(snap__bad_input__located_errors),
        cmocka_unit_test(snap__deep_nesting__rejected_not_crashed),
        cmocka_unit_test(snap__parse_memory__capped_with_a_clear_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
