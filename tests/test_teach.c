/*
 * test_teach: the teaching layer's pure parts -- relative times, the smss
 * steps read from a run document and derived from the processes, the text
 * timeline's order (findings right under their process), and the SVG
 * timeline's scale, escaping and determinism. Snapshots are built in code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../teach/teach.h"

/* 2024-05-01T08:00:00Z */
static int64_t boot(void)
{
    return wt_days_from_civil(2024, 5, 1) * WT_DAY + 8 * WT_HOUR;
}

static struct snap_proc *add(struct snap *s, uint32_t pid, uint32_t ppid, int64_t ct_ms,
                             int64_t exit_ms, int32_t session, const char *name)
{
    int64_t pct = WT_NONE;
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == ppid)
            pct = s->procs[i].create_time;
    struct snap_proc *p = snap_add_proc(s);
    p->pid = pid;
    p->ppid = ppid;
    p->create_time = boot() + ct_ms * WT_MSEC;
    p->exit_time = exit_ms < 0 ? WT_NONE : boot() + exit_ms * WT_MSEC;
    p->parent_create_time = pct;
    p->session = session;
    p->name = snap_str(s, name);
    p->user = snap_str(s, "NT AUTHORITY\\SYSTEM");
    return p;
}

/* A small boot: System, the master smss, autochk, a session 0 child, csrss. */
static void small_boot(struct snap *s)
{
    snap_init(s);
    s->host = "WS-1";
    s->os = "win10";
    s->boot_time = boot();
    s->at = boot() + 10 * WT_MIN;
    s->fields = SNAP_F_ALL;
    add(s, 4, 0, 0, -1, SNAP_NO_SESSION, "System");
    add(s, 300, 4, 1500, -1, SNAP_NO_SESSION, "smss.exe");
    add(s, 320, 300, 3000, 4000, SNAP_NO_SESSION, "autochk.exe");
    add(s, 400, 300, 5000, 5500, 0, "smss.exe");
    add(s, 420, 400, 5100, -1, 0, "csrss.exe");
    struct snap_session *ss = snap_add_session(s);
    ss->id = 0;
    ss->kind = "services";
    ss->create_time = boot() + 5000 * WT_MSEC;
}

static void rel__formats__hours_minutes_millis(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    teach_fmt_rel(&sb, 0);
    sb_adds(&sb, " ");
    teach_fmt_rel(&sb, 5 * WT_MIN + 1508 * WT_MSEC + 999);
    sb_adds(&sb, " ");
    teach_fmt_rel(&sb, 26 * WT_HOUR);
    sb_adds(&sb, " ");
    teach_fmt_rel(&sb, -WT_SEC);
    assert_string_equal(sb.buf, "+0:00:00.000 +0:05:01.508 +26:00:00.000 -0:00:01.000");
    sb_release(&sb);
}

static void steps__run_document__named_and_filtered(void **state)
{
    (void)state;
    const char doc[] =
        "{\"schema\":\"smsslab.run/2\",\"boot_time\":\"2024-05-01T08:00:00.000000Z\",\"events\":["
        "{\"time\":\"2024-05-01T08:00:04.610000Z\",\"type\":\"smss_step\",\"step\":\"known_dlls: "
        "map KnownDLLs as shared sections\"},"
        "{\"time\":\"2024-05-01T08:00:04.000000Z\",\"type\":\"file_rename\",\"from\":\"a.dll\","
        "\"to\":\"b.dll\"},"
        "{\"time\":\"2024-05-01T09:00:00.000000Z\",\"type\":\"smss_step\",\"step\":\"late\"}]}\n"
        "{\"schema\":\"smsslab.run/2\",\"boot_time\":\"2024-05-02T08:00:00.000000Z\",\"events\":["
        "{\"time\":\"2024-05-02T08:00:04.000000Z\",\"type\":\"smss_step\",\"step\":\"other\"}]}\n";
    struct teach_steps st;
    teach_steps_init(&st);
    struct err e = {""};
    assert_int_equal(teach_steps_from_json(&st, doc, strlen(doc), boot(), boot() + WT_HOUR - 1, &e),
                     0);
    teach_steps_sort(&st);
    assert_int_equal(st.n, 2); /* the late step and the other boot are left out */
    assert_string_equal(st.v[0].name, "PendingFileRenameOperations");
    assert_string_equal(st.v[0].detail, "rename a.dll -> b.dll");
    assert_string_equal(st.v[1].name, "KnownDLLs");
    assert_string_equal(st.v[1].detail, "map KnownDLLs as shared sections");
    assert_int_equal(teach_steps_from_json(&st, "{\"a\":", 5, boot(), boot(), &e), -1);
    teach_steps_release(&st);
}

static void steps__processes__bootexecute_and_subsystem(void **state)
{
    (void)state;
    struct snap s;
    small_boot(&s);
    struct teach_steps st;
    teach_steps_init(&st);
    teach_steps_from_snap(&st, &s);
    teach_steps_from_snap(&st, &s);
    teach_steps_sort(&st); /* repeats dropped */
    assert_int_equal(st.n, 2);
    assert_string_equal(st.v[0].name, "BootExecute");
    assert_non_null(strstr(st.v[0].detail, "autochk.exe (pid 320)"));
    assert_int_equal(st.v[0].time, boot() + 3 * WT_SEC);
    assert_string_equal(st.v[1].name, "SubSystems");
    assert_int_equal(st.v[1].time, boot() + 5100 * WT_MSEC);
    teach_steps_release(&st);
    snap_release(&s);
}

static void text__finding__right_under_its_process(void **state)
{
    (void)state;
    struct snap s;
    small_boot(&s);
    add(&s, 900, 420, 300000, -1, 1, "smss.exe");
    struct chk_findings f = {0};
    struct chk_finding one = {chk_rule_find("SMSS-PARENT"), (long)s.nprocs - 1, -1, "by csrss"};
    f.v = &one;
    f.n = 1;
    struct teach_steps st;
    teach_steps_init(&st);
    teach_steps_from_snap(&st, &s);
    teach_steps_sort(&st);
    struct strbuf sb = STRBUF_INIT;
    teach_timeline_text(&sb, &s, &f, &st);
    const char *start = strstr(sb.buf, "+0:05:00.000   s1    start    smss.exe pid 900");
    assert_non_null(start);
    const char *next = strchr(start, '\n') + 1;
    assert_true(!strncmp(next, "+0:05:00.000   s1    FINDING  HIGH SMSS-PARENT", 45));
    assert_non_null(strstr(sb.buf, "+0:00:03.000   -     smss     BootExecute"));
    assert_non_null(strstr(sb.buf, "autochk.exe pid 320 exits after 1.000s"));
    /* the start comes before the exit it precedes, the step before the start */
    assert_true(strstr(sb.buf, "smss     BootExecute") < strstr(sb.buf, "start    autochk"));
    assert_non_null(
        strstr(sb.buf, "# 6 processes (2 exited), 1 sessions, 2 smss steps, 1 findings"));
    sb_release(&sb);
    teach_steps_release(&st);
    snap_release(&s);
}

static void svg__hostile_name__escaped_and_no_script(void **state)
{
    (void)state;
    struct snap s;
    small_boot(&s);
    add(&s, 666, 4, 2000, -1, 1, "<script>alert(1)</script>&\"'.exe\x01");
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    teach_timeline_svg(&a, &s, NULL, NULL);
    teach_timeline_svg(&b, &s, NULL, NULL);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
    assert_null(strstr(a.buf, "<script"));
    assert_non_null(strstr(a.buf, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&apos;.exe"));
    assert_null(strchr(a.buf, '\x01'));
    assert_true(!strncmp(a.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39));
    assert_non_null(strstr(a.buf, "id=\"lane-none0\""));
    assert_non_null(strstr(a.buf, "id=\"lane-s0\""));
    assert_non_null(strstr(a.buf, "id=\"lane-s1\""));
    sb_release(&a);
    sb_release(&b);
    snap_release(&s);
}

/* Decades have equal width: 10 minutes after boot needs 0..100ms..1s..10s..1m..10m,
 * five segments of (1400 - 32) / 5 = 273 px; a start at 1 s sits at 16 + 2 * 273. */
static void svg__decade_axis__one_second_at_second_line(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    s.boot_time = boot();
    s.at = boot() + 10 * WT_MIN;
    add(&s, 4, 0, 1000, -1, SNAP_NO_SESSION, "System");
    struct strbuf sb = STRBUF_INIT;
    teach_timeline_svg(&sb, &s, NULL, NULL);
    assert_non_null(strstr(sb.buf, "<rect class=\"run\" x=\"562\""));
    assert_non_null(strstr(sb.buf, ">10m</text>"));
    assert_null(strstr(sb.buf, ">1h</text>"));
    sb_release(&sb);
    snap_release(&s);
}

static void report__student__no_findings_and_escaped(void **state)
{
    (void)state;
    struct snap s;
    small_boot(&s);
    s.host = "<b>WS</b>";
    s.scenario = "anomaly-smss-wrong-parent";
    struct chk_findings f = {0};
    struct chk_finding one = {chk_rule_find("SMSS-PARENT"), 1, -1, "by <cmd>"};
    f.v = &one;
    f.n = 1;
    const char svg[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg id=\"tree\"></svg>\n";
    struct teach_report r = {&s, &f, NULL, svg, sizeof(svg) - 1, NULL, 0};
    struct strbuf full = STRBUF_INIT, student = STRBUF_INIT;
    teach_report_html(&full, &r);
    r.student = 1;
    teach_report_html(&student, &r);
    assert_non_null(strstr(full.buf, "<title>&lt;b&gt;WS&lt;/b&gt;</title>"));
    assert_null(strstr(full.buf, "<b>WS</b>"));
    assert_non_null(strstr(full.buf, "<div class=\"fig tree\">\n<svg id=\"tree\">"));
    assert_null(strstr(full.buf, "<?xml"));
    assert_non_null(strstr(full.buf, "by &lt;cmd&gt;"));
    assert_non_null(strstr(full.buf, "id=\"card-smss.exe\"><h3>smss.exe <small>(2 in"));
    assert_non_null(strstr(full.buf, "anomaly-smss-wrong-parent"));
    assert_null(strstr(student.buf, "SMSS-PARENT"));
    assert_null(strstr(student.buf, "anomaly-smss-wrong-parent"));
    assert_null(strstr(student.buf, "id=\"findings\""));
    assert_null(strstr(student.buf, "<script"));
    sb_release(&full);
    sb_release(&student);
    snap_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rel__formats__hours_minutes_millis),
        cmocka_unit_test(steps__run_document__named_and_filtered),
        cmocka_unit_test(steps__processes__bootexecute_and_subsystem),
        cmocka_unit_test(text__finding__right_under_its_process),
        cmocka_unit_test(svg__hostile_name__escaped_and_no_script),
        cmocka_unit_test(svg__decade_axis__one_second_at_second_line),
        cmocka_unit_test(report__student__no_findings_and_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
