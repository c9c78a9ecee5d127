/*
 * test_readers: the real-data readers on the project's own fixtures
 * (tests/fixtures/real-like: one per format and quirk, plus broken files)
 * and, when ../shared/real exists, on the public EVTX files: each boot and
 * RDP session must come out as the tree of ../shared/domain.md section 1.
 * Run from the repository root (make test does).
 */
#include "../readers/rd_int.h"
#include "../readers/readers.h"
#include "../snap/sjson.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define FIX "tests/fixtures/real-like/"
#define REAL "../shared/real/"

/* All snapshots of one input. */
struct snaps {
    struct snap s[16];
    size_t n;
    int rc;
    struct err e;
};

static void load(struct snaps *out, const char *path, const char *fmt)
{
    memset(out, 0, sizeof(*out));
    struct rd_stream *r = rd_open(path, fmt, &out->e);
    if (!r) {
        out->rc = -2;
        return;
    }
    for (;;) {
        if (out->n == ARRAY_SIZE(out->s))
            break;
        snap_init(&out->s[out->n]);
        int rc = rd_next(r, &out->s[out->n], &out->e);
        if (rc <= 0) {
            snap_release(&out->s[out->n]);
            out->rc = rc;
            break;
        }
        out->n++;
    }
    rd_close(r);
}

static void unload(struct snaps *a)
{
    for (size_t i = 0; i < a->n; i++)
        snap_release(&a->s[i]);
    a->n = 0;
}

/* The process with this pid and name (the latest one when pids repeat). */
static struct snap_proc *find(struct snap *s, uint32_t pid, const char *name)
{
    struct snap_proc *best = NULL;
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == pid &&
            (!name || !ascii_casecmp(snap_proc_basename(&s->procs[i]), name)))
            best = &s->procs[i];
    return best;
}

static const struct snap_proc *parent_of(struct snap *s, uint32_t pid, const char *name)
{
    struct snap_proc *p = find(s, pid, name);
    assert_non_null(p);
    return snap_parent(s, p);
}

static void expect_error(const char *path, const char *fmt, const char *needle)
{
    struct snaps a;
    load(&a, path, fmt);
    assert_true(a.rc < 0);
    if (!strstr(a.e.msg, needle))
        fail_msg("error '%s' lacks '%s'", a.e.msg, needle);
    unload(&a);
}

/* ---- Sysmon XML (wevtutil style) -------------------------------------- */

static void sysmon_xml__two_boots_two_hosts__split_into_three_snapshots(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "sysmon_wevtutil.xml", NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 3);
    assert_string_equal(a.s[0].host, "HOSTA");
    assert_string_equal(a.s[1].host, "HOSTA");
    assert_string_equal(a.s[2].host, "HOSTB");
    assert_string_equal(a.s[0].source, "sysmon-xml");
    int64_t b1, b2;
    assert_int_equal(wt_parse_iso("2024-05-01T08:00:01Z", &b1), 0);
    assert_int_equal(wt_parse_iso("2024-05-02T09:00:01Z", &b2), 0);
    assert_true(a.s[0].boot_time == b1);
    assert_true(a.s[1].boot_time == b2);
    /* at = the last record of that boot (the cmd.exe at 08:00:50). */
    int64_t at;
    assert_int_equal(wt_parse_iso("2024-05-01T08:00:50Z", &at), 0);
    assert_true(a.s[0].at == at);
    unload(&a);
}

static void sysmon_xml__boot__reconstructs_domain_tree(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "sysmon_wevtutil.xml", NULL);
    struct snap *s = &a.s[0];
    /* System (added: the kernel has no creation record) -> master smss. */
    assert_string_equal(parent_of(s, 300, "smss.exe")->name, "System");
    const struct snap_proc *m = find(s, 300, "smss.exe");
    /* Session children of the master have exited; their children are
     * orphans that still know the dead parent's creation time. */
    struct snap_proc *c0 = find(s, 388, "smss.exe"), *c1 = find(s, 460, "smss.exe");
    assert_ptr_equal(snap_parent(s, c0), m);
    assert_true(c0->exit_time != WT_NONE && c1->exit_time != WT_NONE);
    const char *kids[][2] = {{"396", "csrss.exe"}, {"468", "wininit.exe"}};
    for (size_t i = 0; i < 2; i++) {
        struct snap_proc *p = find(s, (uint32_t)strtoul(kids[i][0], NULL, 10), kids[i][1]);
        assert_ptr_equal(snap_parent(s, p), c0);
        assert_true(p->parent_create_time == c0->create_time);
        assert_false(snap_parent_alive(s, p));
    }
    assert_ptr_equal(parent_of(s, 568, "winlogon.exe"), c1);
    assert_ptr_equal(parent_of(s, 476, "csrss.exe"), c1);
    struct snap_proc *wininit = find(s, 468, "wininit.exe");
    assert_ptr_equal(parent_of(s, 584, "services.exe"), wininit);
    assert_ptr_equal(parent_of(s, 616, "lsass.exe"), wininit);
    /* Records out of order: wininit came before its parent in the file. */
    assert_true(s->procs[0].pid == 4 && s->procs[1].pid == 300);
    unload(&a);
}

static void sysmon_xml__quirks__kept_raw_and_honest(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "sysmon_wevtutil.xml", NULL);
    struct snap *s = &a.s[0];
    /* Duplicate lsass record dropped. */
    size_t lsass = 0;
    for (size_t i = 0; i < s->nprocs; i++)
        lsass += s->procs[i].pid == 616;
    assert_int_equal(lsass, 1);
    /* %SystemRoot% and \SystemRoot\ stay as written; the checker normalises. */
    assert_non_null(strstr(find(s, 396, "csrss.exe")->command_line, "%SystemRoot%"));
    assert_string_equal(find(s, 300, "smss.exe")->command_line, "\\SystemRoot\\System32\\smss.exe");
    /* "?" ParentImage and a parent missing from the log: an orphan. */
    assert_null(parent_of(s, 2000, "svchost.exe"));
    /* A record with only a pid and image: unknown stays unknown. */
    struct snap_proc *cmd = find(s, 3000, "cmd.exe");
    assert_null(cmd->command_line);
    assert_null(cmd->user);
    assert_int_equal(cmd->session, SNAP_NO_SESSION);
    /* Sessions from TerminalSessionId; logons unknown, so no SESSIONS bit. */
    assert_int_equal(s->nsessions, 2);
    assert_false(s->fields & SNAP_F_SESSIONS);
    assert_true(s->fields & SNAP_F_SESSION);
    assert_true(s->fields & SNAP_F_EXIT);
    assert_true(s->fields & SNAP_F_BOOT);
    assert_int_equal(find(s, 300, "smss.exe")->logon_id, 0x3e7);
    /* Sysmon 13 into Session Manager values; the Run key is not ours. */
    assert_true(s->fields & SNAP_F_REGISTRY);
    assert_int_equal(s->nregs, 2);
    const struct snap_reg *be = snap_reg_find(
        s, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager", "BootExecute");
    assert_non_null(be);
    assert_string_equal(be->data[0], "autocheck autochk *");
    const struct snap_reg *dw = snap_reg_find(
        s, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management",
        "ClearPageFileAtShutdown");
    assert_non_null(dw);
    assert_int_equal(dw->type, SNAP_REG_DWORD);
    assert_int_equal(dw->dword, 1);
    /* HOSTB logs no exits: the bit stays off there. */
    assert_false(a.s[2].fields & SNAP_F_EXIT);
    unload(&a);
}

/* UTF-16LE with BOM, as Windows PowerShell 5.1 writes files. */
static void write_utf16(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    fputc(0xff, out);
    fputc(0xfe, out);
    int c;
    while ((c = fgetc(in)) != EOF) {
        fputc(c, out);
        fputc(0, out);
    }
    fclose(in);
    fclose(out);
}

static void sysmon_xml__utf16__same_as_utf8(void **st)
{
    (void)st;
    char tmp[] = "/tmp/smsslab-rd-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    write_utf16(FIX "sysmon_wevtutil.xml", tmp);
    struct snaps a, b;
    load(&a, FIX "sysmon_wevtutil.xml", NULL);
    load(&b, tmp, NULL);
    assert_int_equal(b.rc, 0);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++)
        assert_int_equal(a.s[i].nprocs, b.s[i].nprocs);
    unload(&a);
    unload(&b);
    write_utf16(FIX "cim_ps51.json", tmp);
    load(&b, tmp, NULL);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.n, 1);
    unload(&b);
    unlink(tmp);
}

/* A whole (small) fixture as a string; returns its length. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t got = fread(buf, 1, cap - 1, f);
    assert_true(feof(f));
    fclose(f);
    buf[got] = '\0';
    return got;
}

/* Nesting: the SAX parser leaves the depth limit to us (RD_MAX_XML_DEPTH,
 * our wrapper element counting as one level). A real Sysmon record inside
 * 255 levels of wrapping still reads; one more level is refused, located. */
static void xml__nesting__bounded_at_the_limit(void **st)
{
    (void)st;
    static char buf[1 << 16];
    slurp(FIX "sysmon_wevtutil.xml", buf, sizeof(buf));
    const char *rec = strstr(buf, "<Event "), *b = strstr(buf, "</Event>");
    assert_true(rec && b && b > rec);
    size_t n = (size_t)(b - rec) + strlen("</Event>");
    for (int levels = RD_MAX_XML_DEPTH - 5; levels <= RD_MAX_XML_DEPTH - 3; levels++) {
        char tmp[] = "/tmp/smsslab-rd-XXXXXX";
        int fd = mkstemp(tmp);
        assert_true(fd >= 0);
        FILE *w = fdopen(fd, "wb");
        /* levels elements around the record, whose own deepest element
         * (Event/System/Provider) adds 3: the wrapper makes the total
         * levels + 4. */
        for (int i = 0; i < levels; i++)
            fputs("<w>", w);
        fputc('\n', w);
        fwrite(rec, 1, n, w);
        for (int i = 0; i < levels; i++)
            fputs("</w>", w);
        fputc('\n', w);
        fclose(w);
        struct snaps r;
        load(&r, tmp, "xml");
        if (levels + 4 <= RD_MAX_XML_DEPTH) {
            assert_int_equal(r.rc, 0);
            assert_int_equal(r.n, 1);
        } else {
            assert_true(r.rc < 0);
            char want[200];
            snprintf(want, sizeof(want),
                     ":2: invalid event XML: elements nest deeper than %d levels",
                     RD_MAX_XML_DEPTH);
            if (!strstr(r.e.msg, want))
                fail_msg("error '%s' lacks '%s'", r.e.msg, want);
        }
        unload(&r);
        unlink(tmp);
    }
}

/* Text comes from the SAX parser in pieces (around each reference, CDATA
 * apart): predefined entities, character references and CDATA all join into
 * one decoded value, in a UTF-16LE file too. */
static void xml__text_pieces__decoded_and_joined(void **st)
{
    (void)st;
    static char buf[1 << 16];
    size_t got = slurp(FIX "sysmon_wevtutil.xml", buf, sizeof(buf));
    const char *old = "<Data Name=\"CommandLine\">wininit.exe</Data>";
    char *at = strstr(buf, old);
    assert_non_null(at);
    const char *neu = "<Data Name=\"CommandLine\">&quot;C:\\x y\\wininit.exe&quot; &amp; "
                      "&lt;b&gt; &#x41;&#955;<![CDATA[<raw & \"q\">]]>!</Data>";
    const char *want = "\"C:\\x y\\wininit.exe\" & <b> A\xce\xbb<raw & \"q\">!";
    for (int wide = 0; wide < 2; wide++) {
        char tmp[] = "/tmp/smsslab-rd-XXXXXX";
        int fd = mkstemp(tmp);
        assert_true(fd >= 0);
        FILE *w = fdopen(fd, "wb");
        char *doc = malloc(got + strlen(neu) + 1);
        size_t k = (size_t)(at - buf);
        memcpy(doc, buf, k);
        strcpy(doc + k, neu);
        strcat(doc, at + strlen(old));
        if (wide) { /* UTF-16LE with BOM, as Windows PowerShell writes */
            fputs("\xff\xfe", w);
            for (const unsigned char *p = (const unsigned char *)doc; *p;) {
                unsigned cp = *p++;
                if (cp >= 0xc0) { /* the two-byte UTF-8 of the test strings */
                    cp = ((cp & 0x1f) << 6) | (*p++ & 0x3f);
                }
                fputc((int)(cp & 0xff), w);
                fputc((int)(cp >> 8), w);
            }
        } else {
            fputs(doc, w);
        }
        free(doc);
        fclose(w);
        struct snaps r;
        load(&r, tmp, "xml");
        assert_int_equal(r.rc, 0);
        int seen = 0;
        for (size_t i = 0; i < r.n; i++)
            for (size_t j = 0; j < r.s[i].nprocs; j++)
                if (r.s[i].procs[j].command_line &&
                    strstr(r.s[i].procs[j].command_line, "wininit.exe\"")) {
                    assert_string_equal(r.s[i].procs[j].command_line, want);
                    seen++;
                }
        assert_int_equal(seen, 1);
        unload(&r);
        unlink(tmp);
    }
}

/* The NDJSON and JSON readers parse through snap_json_parse: cJSON's tree
 * in an arena with the same per-document cap as snapshots. With a 1 MiB cap
 * for the test, a wide line or document is refused with its size named. */
static void json__parse_memory__capped_with_a_clear_message(void **st)
{
    (void)st;
    const char *cases[][3] = {
        {"ndjson", "{\"EventID\":1,\"Channel\":\"x\",\"x\":[", ":2: line needs more than 1 MiB"},
        {"vol3-json", "[{\"PID\":4,\"PPID\":0,\"ImageFileName\":\"System\",\"x\":[",
         ": needs more than 1 MiB of memory to parse"},
    };
    snap_json_set_budget((size_t)1 << 20);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char tmp[] = "/tmp/smsslab-rd-XXXXXX";
        int fd = mkstemp(tmp);
        assert_true(fd >= 0);
        FILE *w = fdopen(fd, "wb");
        if (c == 0) /* a small line first: the error names line 2 */
            fputs("{\"EventID\":1,\"Channel\":\"x\"}\n", w);
        fputs(cases[c][1], w);
        for (int i = 0; i < 100000; i++)
            fputs(i ? ",0" : "0", w);
        fputs(c == 0 ? "]}\n" : "]}]\n", w);
        fclose(w);
        struct snaps r;
        load(&r, tmp, cases[c][0]);
        assert_true(r.rc < 0);
        if (!strstr(r.e.msg, cases[c][2]))
            fail_msg("error '%s' lacks '%s'", r.e.msg, cases[c][2]);
        unload(&r);
        unlink(tmp);
    }
    snap_json_set_budget(0);
}

/* ---- Security XML (evtxexport style) ----------------------------------- */

static void security_xml__padded_hex_and_pid_reuse(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "security_evtxexport.xml", NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 1);
    struct snap *s = &a.s[0];
    assert_string_equal(s->source, "security-xml");
    /* 0x000000000000012c and 0x12c are the same pid. */
    assert_non_null(find(s, 0x12c, "smss.exe"));
    assert_ptr_equal(parent_of(s, 0x184, "smss.exe"), find(s, 0x12c, "smss.exe"));
    assert_ptr_equal(parent_of(s, 0x248, "services.exe"), find(s, 0x1d4, "wininit.exe"));
    assert_true(find(s, 0x184, "smss.exe")->exit_time != WT_NONE);
    /* conhost started while the first 0x300 ran: that is its parent. */
    struct snap_proc *cmd1 = find(s, 0x300, "cmd.exe");
    assert_ptr_equal(parent_of(s, 0x310, "conhost.exe"), cmd1);
    /* whoami started after it exited and before 0x300 was reused: gone. */
    assert_null(parent_of(s, 0x320, "whoami.exe"));
    assert_true(find(s, 0x320, "whoami.exe")->parent_create_time == WT_NONE);
    /* Version 0 (no CommandLine field) and a record without the creator. */
    assert_null(find(s, 0x400, "rundll32.exe")->command_line);
    assert_int_equal(find(s, 0x410, "taskhost.exe")->ppid, 0);
    /* Security has no session ids and no user of the new process. */
    assert_false(s->fields & (SNAP_F_SESSION | SNAP_F_USER | SNAP_F_SESSIONS));
    assert_true(s->fields & SNAP_F_IMAGE);
    assert_true(s->fields & SNAP_F_BOOT);
    unload(&a);
}

/* ---- NDJSON: NXLog and ECS --------------------------------------------- */

static void nxlog__sysmon_and_security__separate_snapshots(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "nxlog.jsonl", NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 2);
    struct snap *sy = &a.s[0], *se = &a.s[1];
    assert_string_equal(sy->source, "sysmon-ndjson");
    assert_string_equal(se->source, "security-ndjson");
    /* pids as numbers or strings */
    assert_non_null(find(sy, 500, "smss.exe"));
    assert_true(find(sy, 500, "smss.exe")->exit_time != WT_NONE);
    /* Security EventTime is local (UTC-4 here): moved by @timestamp minus
     * EventReceivedTime, to the same instant Sysmon saw. */
    assert_true(se->boot_time == sy->boot_time);
    /* Unresolved boot records: no creator pid; smss's parent is System,
     * the child smss's the only smss alive. */
    assert_int_equal(find(se, 0x190, "smss.exe")->ppid, 4);
    assert_ptr_equal(parent_of(se, 0x1f4, "smss.exe"), find(se, 0x190, "smss.exe"));
    assert_string_equal(find(se, 0x190, "smss.exe")->integrity, "System");
    /* Unresolved boot records: their exits are lost too, so no EXIT claim. */
    assert_false(se->fields & SNAP_F_EXIT);
    unload(&a);
}

/* ---- NXLog: the simdjson fast path against cJSON ------------------------ */

/* Every snapshot read from path as snapshot documents, the fast path on or off. */
static void dump(const char *path, int fast, struct strbuf *out, int *rc, struct err *e)
{
    snap_json_set_fast(fast);
    struct rd_stream *r = rd_open(path, NULL, e);
    assert_non_null(r);
    struct snap s;
    snap_init(&s);
    while ((*rc = rd_next(r, &s, e)) == 1)
        snap_write_json(out, &s);
    rd_close(r);
    snap_release(&s);
    snap_json_set_fast(1);
}

/* The same snapshots (or the same message) both ways; returns the lines
 * the fast path read and skipped. */
static void same_both_ways(const char *path, size_t *read, size_t *skipped)
{
    struct strbuf fast = STRBUF_INIT, slow = STRBUF_INIT;
    struct err ef, es;
    int rf, rs;
    size_t r0, s0;
    dump(path, 0, &slow, &rs, &es);
    rd_json_fast_stats(&r0, &s0);
    dump(path, 1, &fast, &rf, &ef);
    rd_json_fast_stats(read, skipped);
    *read -= r0;
    *skipped -= s0;
    assert_int_equal(rf, rs);
    if (rs < 0)
        assert_string_equal(ef.msg, es.msg);
    if (fast.len != slow.len || (slow.len && memcmp(fast.buf, slow.buf, slow.len)))
        fail_msg("%s: the fast path read\n%.400s\nthe cJSON path\n%.400s", path, fast.buf,
                 slow.buf);
    assert_true(slow.len > 0 || rs < 0);
    sb_release(&fast);
    sb_release(&slow);
}

static void append_lines(const char *path, const char *lines)
{
    FILE *w = fopen(path, "ab");
    assert_non_null(w);
    fputs(lines, w);
    fclose(w);
}

/* The fast path reads NXLog lines into the very snapshots cJSON gives:
 * pids as numbers or strings, an escaped key, an escaped NUL, a huge
 * number; a line whose EventID no reader uses is skipped unread, a line of
 * another kind (ECS) is cJSON's, and a broken line keeps its message. */
static void nxlog__fast_path__same_as_cjson_and_skips_unused(void **st)
{
    (void)st;
    char tmp[] = "/tmp/smsslab-rd-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cp " FIX "nxlog.jsonl %s", tmp);
    assert_int_equal(system(cmd), 0);
    append_lines(
        tmp, "{\"EventID\":7,\"SourceName\":\"Microsoft-Windows-Sysmon\",\"ProcessId\":1}\n"
             "{\"Event\\u0049D\":\"1\",\"SourceName\":\"Microsoft-Windows-Sysmon\",\"Version\":5,"
             "\"Hostname\":\"WS\",\"ProcessId\":\"0x2a\",\"ParentProcessId\":4.0,\"Image\":"
             "\"C:\\\\Tools\\\\a\\u0000b.exe\",\"CommandLine\":\"a \\\"q\\\"\",\"Keywords\":"
             "-9214364837600034816,\"UtcTime\":\"2024-05-01 08:00:09.000\",\"tags\":[\"x\"],"
             "\"EventTime\":\"2024-05-01 08:00:09\",\"RecordNumber\":99}\n"
             "{\"@timestamp\":\"2024-05-01T08:00:10Z\",\"event\":{\"code\":\"1\",\"module\":"
             "\"sysmon\"},\"process\":{\"pid\":77,\"executable\":\"C:\\\\x.exe\"}}\n");
    /* raw NUL bytes (invalid JSON that cJSON takes) end a key or a string */
    static const char raw[] = "{\"EventID\":1,\"SourceName\":\"Microsoft-Windows-Sysmon\","
                              "\"ProcessId\":9,\"Image\0x\":\"C:\\\\b\0c.exe\"}\n";
    FILE *w = fopen(tmp, "ab");
    assert_non_null(w);
    assert_int_equal(fwrite(raw, 1, sizeof(raw) - 1, w), sizeof(raw) - 1);
    fclose(w);
    size_t read, skipped;
    same_both_ways(tmp, &read, &skipped);
    assert_true(read >= 3);
    assert_int_equal(skipped, 2); /* the fixture's EventID 4 and the 7 above */
    append_lines(tmp, "{\"EventID\":1,\"Channel\":\"x\",\"a\":[1,}\n");
    same_both_ways(tmp, &read, &skipped);
    expect_error(tmp, NULL, ":12:35: invalid JSON"); /* at "}" */
    unlink(tmp);
}

/* OTRF's NXLog recording (../shared/real), the first 20,000 lines: the
 * same snapshots both ways, most lines skipped unread. */
static void real__otrf_nxlog__fast_path_same_as_cjson(void **st)
{
    (void)st;
    const char *zip =
        REAL "otrf/empire_persistence_registry_modification_run_keys_standard_user.zip";
    if (access(zip, R_OK)) {
        fprintf(stderr, "skipped: %s not found\n", zip);
        skip();
    }
    char tmp[] = "/tmp/smsslab-rd-XXXXXX", cmd[1024];
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof(cmd), "unzip -p '%s' | head -n 20000 > %s", zip, tmp);
    assert_int_equal(system(cmd), 0);
    size_t read, skipped;
    same_both_ways(tmp, &read, &skipped);
    assert_true(read > 1000);
    assert_true(skipped > read);
    unlink(tmp);
}

static void ecs__winlogbeat__tree_and_fields(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "ecs.ndjson", "ecs");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 2);
    struct snap *s = &a.s[0];
    assert_string_equal(s->host, "SRV1"); /* winlog.computer_name over host.name */
    assert_ptr_equal(parent_of(s, 430, "winlogon.exe"), find(s, 420, "smss.exe"));
    assert_true(find(s, 420, "smss.exe")->exit_time != WT_NONE);
    assert_string_equal(find(s, 312, "smss.exe")->user, "NT AUTHORITY\\SYSTEM");
    assert_int_equal(find(s, 430, "winlogon.exe")->session, 1);
    struct snap *sec = &a.s[1];
    assert_true(find(sec, 440, "userinit.exe")->exit_time != WT_NONE);
    unload(&a);
}

/* ---- Volatility 3 ------------------------------------------------------- */

static void vol3_csv__escaped_backslashes_and_dead_parents(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "vol3_pstree.csv", NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 1);
    struct snap *s = &a.s[0];
    assert_string_equal(s->source, "vol3-csv");
    assert_null(s->host);
    assert_string_equal(find(s, 332, "smss.exe")->image,
                        "\\Device\\HarddiskVolume3\\Windows\\System32\\smss.exe");
    /* a quoted field with commas */
    assert_non_null(strstr(find(s, 452, "csrss.exe")->command_line, "1024,20480,768"));
    assert_ptr_equal(parent_of(s, 332, "smss.exe"), find(s, 4, "System"));
    assert_null(parent_of(s, 452, "csrss.exe")); /* 444 exited long ago */
    /* evil.exe claims wininit (552) but is older than it: not its child. */
    assert_null(parent_of(s, 4444, "evil.exe"));
    assert_true(find(s, 3556, "userinit.exe")->exit_time != WT_NONE);
    assert_false(s->fields & (SNAP_F_USER | SNAP_F_SESSIONS));
    /* A listing shows System's creation: the boot the master smss is
     * measured from. */
    assert_true(s->fields & SNAP_F_BOOT);
    assert_true(s->boot_time == find(s, 4, "System")->create_time);
    assert_true(s->fields & SNAP_F_IMAGE);
    unload(&a);
}

/* smsslab's own corpus CSV: one listing per sample and snapshot; a sample
 * is one host, a process listed twice keeps the exit a later listing shows. */
static void corpus_csv__samples_and_later_exits(void **st)
{
    (void)st;
    char path[] = "/tmp/smsslab-csv-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("sample_id,snapshot_at,pid,ppid,name,image,session,user,create_time,exit_time,anomaly\r\n"
          "7,2024-05-01T08:00:30.000000Z,4,0,System,,,NT AUTHORITY\\SYSTEM,"
          "2024-05-01T08:00:00.000000Z,,\r\n"
          "7,2024-05-01T08:00:30.000000Z,340,4,smss.exe,C:\\Windows\\System32\\smss.exe,,"
          "NT AUTHORITY\\SYSTEM,2024-05-01T08:00:02.000000Z,,\r\n"
          "7,2024-05-01T08:00:30.000000Z,500,340,smss.exe,C:\\Windows\\System32\\smss.exe,1,"
          "NT AUTHORITY\\SYSTEM,2024-05-01T08:00:05.000000Z,,\r\n"
          "7,2024-05-01T08:10:00.000000Z,500,340,smss.exe,C:\\Windows\\System32\\smss.exe,1,"
          "NT AUTHORITY\\SYSTEM,2024-05-01T08:00:05.000000Z,2024-05-01T08:00:05.500000Z,\r\n"
          "8,2024-05-01T09:00:00.000000Z,4,0,System,,,NT AUTHORITY\\SYSTEM,"
          "2024-05-01T08:59:00.000000Z,,\r\n",
          f);
    fclose(f);
    struct snaps a;
    load(&a, path, NULL);
    unlink(path);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 2);
    struct snap *s = &a.s[0];
    assert_string_equal(s->host, "sample 7");
    assert_int_equal(s->nprocs, 3);
    assert_true(find(s, 500, "smss.exe")->exit_time != WT_NONE);
    assert_string_equal(find(s, 340, "smss.exe")->user, "NT AUTHORITY\\SYSTEM");
    assert_int_equal(find(s, 500, "smss.exe")->rec.line, 4);
    assert_true(s->fields & SNAP_F_USER);
    assert_string_equal(a.s[1].host, "sample 8");
    unload(&a);
}

static void vol3_json__pslist_and_pstree_jsonl(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "vol3_pslist.json", NULL);
    assert_int_equal(a.rc, 0);
    struct snap *s = &a.s[0];
    assert_int_equal(s->nprocs, 4);
    assert_false(s->fields & SNAP_F_IMAGE); /* pslist has no path column */
    assert_null(find(s, 332, "smss.exe")->image);
    unload(&a);
    load(&a, FIX "vol3_pstree.jsonl", NULL);
    assert_int_equal(a.rc, 0);
    s = &a.s[0];
    assert_int_equal(s->nprocs, 4); /* __children flattened */
    assert_ptr_equal(parent_of(s, 696, "lsass.exe"), find(s, 552, "wininit.exe"));
    unload(&a);
}

/* ---- PowerShell Win32_Process ------------------------------------------ */

static void cim__ps51_dates_and_pid_reuse(void **st)
{
    (void)st;
    struct snaps a;
    load(&a, FIX "cim_ps51.json", NULL);
    assert_int_equal(a.rc, 0);
    struct snap *s = &a.s[0];
    assert_string_equal(s->host, "DESK5");
    int64_t t;
    assert_int_equal(wt_parse_iso("2024-09-24T04:00:01.5Z", &t), 0);
    assert_true(find(s, 340, "smss.exe")->create_time == t);
    assert_int_equal(find(s, 340, "smss.exe")->base_priority, 11);
    /* csrss's parent 340 is the smss created before it, not the later
     * notepad; notepad's claimed parent csrss is younger than it. */
    assert_ptr_equal(parent_of(s, 600, "csrss.exe"), find(s, 340, "smss.exe"));
    assert_null(parent_of(s, 340, "notepad.exe"));
    /* csrss's path is hidden without elevation: no IMAGE claim. */
    assert_false(s->fields & SNAP_F_IMAGE);
    assert_true(s->fields & SNAP_F_PRIORITY);
    unload(&a);
    load(&a, FIX "cim_ps7_single.json", NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(wt_parse_iso("2024-09-24T04:00:05.123456Z", &t), 0);
    assert_true(a.s[0].procs[0].create_time == t); /* +02:00 applied */
    assert_true(a.s[0].fields & SNAP_F_IMAGE);
    unload(&a);
}

/* ---- errors ------------------------------------------------------------ */

static void errors__broken_inputs__clear_messages(void **st)
{
    (void)st;
    expect_error(FIX "truncated.xml", NULL, "truncated.xml:3: event XML ends early");
    expect_error(FIX "malformed.xml", NULL, "malformed.xml:2: invalid event XML");
    expect_error(FIX "bad.jsonl", NULL, "bad.jsonl:3:");
    expect_error(FIX "truncated.csv", NULL, "truncated.csv: row 3");
    expect_error(FIX "badpid.csv", NULL, "row 2: PID 'four'");
    expect_error(FIX "fake.evtx", NULL, "not a readable .evtx file");
    expect_error(FIX "unknown.txt", NULL, "cannot tell the input format: expected an .evtx");
    expect_error(FIX "native.json", NULL, "smsslab's own snapshot JSON");
    expect_error(FIX "sysmon_wevtutil.xml", "evtx", "not a readable .evtx file");
    expect_error(FIX "sysmon_wevtutil.xml", "yaml", "unknown input format 'yaml'");
    expect_error(FIX "no-such-file.evtx", NULL, "cannot open");
    expect_error(FIX "vol3_pstree.csv", "xml", "no process or registry records found");
}

static void native__schema_prefix__detected(void **st)
{
    (void)st;
    assert_true(rd_is_native(FIX "native.json"));
    assert_false(rd_is_native(FIX "nxlog.jsonl"));
    assert_false(rd_is_native(FIX "sysmon_wevtutil.xml"));
}

/* ---- ../shared/real ---------------------------------------------------- */

static int have_real(void)
{
    if (access(REAL "evtx", R_OK) == 0)
        return 1;
    print_message("[  SKIP    ] ../shared/real is not present\n");
    return 0;
}

/* The boot of privesc_unquoted_svc_sysmon_1_11.evtx (MSEDGEWIN10). */
static void real__sysmon_boot__domain_tree(void **st)
{
    (void)st;
    if (!have_real())
        skip();
    struct snaps a;
    load(&a, REAL "evtx/privesc_unquoted_svc_sysmon_1_11.evtx", NULL);
    assert_int_equal(a.rc, 0);
    struct snap *s = NULL;
    for (size_t i = 0; i < a.n; i++)
        if (a.s[i].fields & SNAP_F_BOOT)
            s = &a.s[i];
    assert_non_null(s);
    assert_string_equal(s->host, "MSEDGEWIN10");
    const struct snap_proc *m = find(s, 300, "smss.exe");
    assert_ptr_equal(snap_parent(s, m), find(s, 4, "System"));
    assert_ptr_equal(parent_of(s, 328, "autochk.exe"), m);
    struct snap_proc *c0 = find(s, 388, "smss.exe"), *c1 = find(s, 460, "smss.exe");
    assert_ptr_equal(snap_parent(s, c0), m);
    assert_ptr_equal(snap_parent(s, c1), m);
    assert_ptr_equal(parent_of(s, 396, "csrss.exe"), c0);
    assert_ptr_equal(parent_of(s, 468, "wininit.exe"), c0);
    assert_ptr_equal(parent_of(s, 476, "csrss.exe"), c1);
    assert_ptr_equal(parent_of(s, 568, "winlogon.exe"), c1);
    assert_true(find(s, 568, "winlogon.exe")->parent_create_time == c1->create_time);
    struct snap_proc *wi = find(s, 468, "wininit.exe");
    assert_ptr_equal(parent_of(s, 584, "services.exe"), wi);
    assert_ptr_equal(parent_of(s, 616, "lsass.exe"), wi);
    assert_int_equal(find(s, 568, "winlogon.exe")->session, 1);
    /* This Sysmon config logs no Event ID 5: exits unknown, not "alive". */
    assert_false(s->fields & SNAP_F_EXIT);
    unload(&a);
}

/* Two RDP sessions in DE_sysmon-3-rdp-tun.evtx: child smss of the master
 * (pid 292, started before the log) -> csrss + winlogon, child exited. */
static void real__sysmon_rdp__sessions(void **st)
{
    (void)st;
    if (!have_real())
        skip();
    struct snaps a;
    load(&a, REAL "evtx/DE_sysmon-3-rdp-tun.evtx", NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 1);
    struct snap *s = &a.s[0];
    const uint32_t child[2] = {3444, 3064}, csrss[2] = {3344, 3204}, wl[2] = {2516, 2988};
    for (int i = 0; i < 2; i++) {
        struct snap_proc *c = find(s, child[i], "smss.exe");
        assert_non_null(c);
        assert_int_equal(c->ppid, 292);
        /* The master is older than the log: seen only as the children's
         * parent, with what their records say of it. */
        const struct snap_proc *m = snap_parent(s, c);
        assert_non_null(m);
        assert_true(m->seen_as_parent);
        assert_int_equal(m->pid, 292);
        assert_string_equal(m->name, "smss.exe");
        assert_true(m->create_time == WT_NONE);
        assert_true(c->exit_time != WT_NONE);
        assert_ptr_equal(parent_of(s, csrss[i], "csrss.exe"), c);
        assert_ptr_equal(parent_of(s, wl[i], "winlogon.exe"), c);
        assert_false(snap_parent_alive(s, find(s, wl[i], "winlogon.exe")));
        assert_int_equal(find(s, wl[i], "winlogon.exe")->session, c->session);
    }
    assert_int_equal(s->nsessions, 4);
    unload(&a);
}

/* Security 4688 v1 of the same kind of RDP logons (DE_RDP_Tunnel_5156). */
static void real__security_rdp__sessions(void **st)
{
    (void)st;
    if (!have_real())
        skip();
    struct snaps a;
    load(&a, REAL "evtx/DE_RDP_Tunnel_5156.evtx", NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 1);
    struct snap *s = &a.s[0];
    const uint32_t child[2] = {908, 1580}, csrss[2] = {2516, 2780}, wl[2] = {1208, 1896};
    for (int i = 0; i < 2; i++) {
        struct snap_proc *c = find(s, child[i], "smss.exe");
        assert_non_null(c);
        assert_int_equal(c->ppid, 292);
        assert_ptr_equal(parent_of(s, csrss[i], "csrss.exe"), c);
        assert_ptr_equal(parent_of(s, wl[i], "winlogon.exe"), c);
    }
    assert_false(s->fields & SNAP_F_SESSION);
    unload(&a);
}

/* The same EVTX through evtxexport-like XML must give the same snapshots:
 * both go through one XML code path. Also a truncated copy in /tmp: an
 * error or fewer records, never a crash. */
static void real__evtx_truncated__no_crash(void **st)
{
    (void)st;
    if (!have_real())
        skip();
    char *buf;
    size_t len;
    struct err e;
    assert_int_equal(read_file_all(REAL "evtx/privesc_unquoted_svc_sysmon_1_11.evtx",
                                   (size_t)64 << 20, &buf, &len, &e),
                     0);
    char tmp[] = "/tmp/smsslab-rd-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    size_t cuts[] = {4096 + 100, 70000, len / 2, len - 1000};
    for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(pwrite(fd, buf, cuts[i], 0), (ssize_t)cuts[i]);
        struct snaps a;
        load(&a, tmp, NULL);
        if (a.rc < 0)
            assert_non_null(strstr(a.e.msg, tmp));
        unload(&a);
    }
    close(fd);
    unlink(tmp);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sysmon_xml__two_boots_two_hosts__split_into_three_snapshots),
        cmocka_unit_test(sysmon_xml__boot__reconstructs_domain_tree),
        cmocka_unit_test(sysmon_xml__quirks__kept_raw_and_honest),
        cmocka_unit_test(sysmon_xml__utf16__same_as_utf8),
        cmocka_unit_test(xml__nesting__bounded_at_the_limit),
        cmocka_unit_test(json__parse_memory__capped_with_a_clear_message),
        cmocka_unit_test(xml__text_pieces__decoded_and_joined),
        cmocka_unit_test(security_xml__padded_hex_and_pid_reuse),
        cmocka_unit_test(nxlog__sysmon_and_security__separate_snapshots),
        cmocka_unit_test(nxlog__fast_path__same_as_cjson_and_skips_unused),
        cmocka_unit_test(real__otrf_nxlog__fast_path_same_as_cjson),
        cmocka_unit_test(ecs__winlogbeat__tree_and_fields),
        cmocka_unit_test(vol3_csv__escaped_backslashes_and_dead_parents),
        cmocka_unit_test(vol3_json__pslist_and_pstree_jsonl),
        cmocka_unit_test(corpus_csv__samples_and_later_exits),
        cmocka_unit_test(cim__ps51_dates_and_pid_reuse),
        cmocka_unit_test(errors__broken_inputs__clear_messages),
        cmocka_unit_test(native__schema_prefix__detected),
        cmocka_unit_test(real__sysmon_boot__domain_tree),
        cmocka_unit_test(real__sysmon_rdp__sessions),
        cmocka_unit_test(real__security_rdp__sessions),
        cmocka_unit_test(real__evtx_truncated__no_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
