/*
 * test_rd_boot: a snapshot's boot time when the System log's boot record
 * (Kernel-General 12) is in the log. Its StartTime is the kernel's start,
 * from which SMSS-LATE measures the master smss; without it the master's
 * own start is the boot, and a late master cannot be seen.
 */
#include "../readers/readers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../checker/chk.h"

static const char *const hdr = "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/"
                               "event\"><System><Provider Name=\"%s\"/><EventID>%d</EventID>"
                               "<Version>%d</Version><TimeCreated SystemTime=\"%s\"/>"
                               "<EventRecordID>%d</EventRecordID><Channel>%s</Channel>"
                               "<Computer>WS01</Computer></System><EventData>";

static void kg12(struct strbuf *sb, int rid, const char *start, const char *written)
{
    sb_addf(sb, hdr, "Microsoft-Windows-Kernel-General", 12, 0, written, rid, "System");
    sb_addf(sb,
            "<Data Name=\"MajorVersion\">10</Data><Data Name=\"MinorVersion\">0</Data>"
            "<Data Name=\"StartTime\">%s</Data></EventData></Event>\n",
            start);
}

/* A Sysmon 1 record; utc as Sysmon writes it. */
static void create(struct strbuf *sb, int rid, const char *utc, unsigned pid, const char *image,
                   const char *cmd, unsigned ppid, const char *pimage, int session)
{
    sb_addf(sb, hdr, "Microsoft-Windows-Sysmon", 1, 5, "2024-05-01T09:00:00.000Z", rid,
            "Microsoft-Windows-Sysmon/Operational");
    sb_addf(sb,
            "<Data Name=\"UtcTime\">%s</Data><Data Name=\"ProcessId\">%u</Data>"
            "<Data Name=\"Image\">%s</Data><Data Name=\"CommandLine\">%s</Data>"
            "<Data Name=\"User\">NT AUTHORITY\\SYSTEM</Data>"
            "<Data Name=\"TerminalSessionId\">%d</Data>"
            "<Data Name=\"ParentProcessId\">%u</Data><Data Name=\"ParentImage\">%s</Data>"
            "</EventData></Event>\n",
            utc, pid, image, cmd, session, ppid, pimage);
}

#define S32 "C:\\Windows\\System32\\"

/* A boot whose master smss starts at `smss` (Sysmon UtcTime). */
static void boot(struct strbuf *sb, const char *smss, const char *wininit)
{
    create(sb, 10, smss, 340, S32 "smss.exe", "\\SystemRoot\\System32\\smss.exe", 4, "System", 0);
    create(sb, 11, wininit, 440, S32 "wininit.exe", "wininit.exe", 420, S32 "smss.exe", 0);
}

/* Read the log; returns the number of snapshots, the first in *s. */
static size_t read_log(const struct strbuf *log, struct snap *s)
{
    char path[] = "/tmp/test_rd_boot_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, log->buf, log->len), (ssize_t)log->len);
    close(fd);
    struct err e = {""};
    struct rd_stream *r = rd_open(path, NULL, &e);
    if (!r)
        fail_msg("%s", e.msg);
    size_t n = 0;
    struct snap tmp;
    snap_init(&tmp);
    for (;;) {
        int rc = rd_next(r, n ? &tmp : s, &e);
        if (rc < 0)
            fail_msg("%s", e.msg);
        if (rc == 0)
            break;
        n++;
    }
    snap_release(&tmp);
    rd_close(r);
    unlink(path);
    return n;
}

static int64_t iso(const char *s)
{
    int64_t t;
    assert_int_equal(wt_parse_iso(s, &t), 0);
    return t;
}

static int has_rule(struct snap *s, const char *rule)
{
    struct chk_findings f = {0};
    struct chk_config cfg = {CHK_INFO, NULL, NULL};
    struct err e = {""};
    assert_int_equal(chk_check(s, &cfg, &f, &e), 0);
    int found = 0;
    for (size_t i = 0; i < f.n; i++)
        if (!strcmp(f.v[i].rule->id, rule))
            found = 1;
    chk_findings_release(&f);
    return found;
}

/* The master smss five minutes after the kernel started, nothing between:
 * one boot, measured from StartTime, and SMSS-LATE sees it. */
static void kg12__late_master__boot_time_is_start_time(void **st)
{
    (void)st;
    struct strbuf log = STRBUF_INIT;
    kg12(&log, 1, "2024-05-01T08:00:00.1000000Z", "2024-05-01T08:00:00.6000000Z");
    boot(&log, "2024-05-01 08:05:03.000", "2024-05-01 08:05:05.000");
    struct snap s;
    snap_init(&s);
    assert_int_equal(read_log(&log, &s), 1);
    assert_true(s.boot_time == iso("2024-05-01T08:00:00.1Z"));
    assert_true(s.fields & SNAP_F_BOOT);
    assert_true(has_rule(&s, "SMSS-LATE"));
    snap_release(&s);
    sb_release(&log);
}

/* A normal boot: the master seconds after StartTime; the earlier time
 * wins and nothing is late. */
static void kg12__normal_boot__start_time_wins_quietly(void **st)
{
    (void)st;
    struct strbuf log = STRBUF_INIT;
    kg12(&log, 1, "2024-05-01T08:00:00.1000000Z", "2024-05-01T08:00:00.6000000Z");
    boot(&log, "2024-05-01 08:00:03.000", "2024-05-01 08:00:05.000");
    struct snap s;
    snap_init(&s);
    assert_int_equal(read_log(&log, &s), 1);
    assert_true(s.boot_time == iso("2024-05-01T08:00:00.1Z"));
    assert_false(has_rule(&s, "SMSS-LATE"));
    snap_release(&s);
    sb_release(&log);
}

/* Without the boot record the master smss is the boot (as before). */
static void no_kg12__boot_time_is_the_master(void **st)
{
    (void)st;
    struct strbuf log = STRBUF_INIT;
    boot(&log, "2024-05-01 08:05:03.000", "2024-05-01 08:05:05.000");
    struct snap s;
    snap_init(&s);
    assert_int_equal(read_log(&log, &s), 1);
    assert_true(s.boot_time == iso("2024-05-01T08:05:03Z"));
    assert_false(has_rule(&s, "SMSS-LATE"));
    snap_release(&s);
    sb_release(&log);
}

/* A boot record of an older boot does not date a master smss that comes
 * after processes of the log, nor one much later (the boot's own record
 * is missing): the master starts its own boot. */
static void kg12__other_boot__not_borrowed(void **st)
{
    (void)st;
    struct strbuf log = STRBUF_INIT;
    kg12(&log, 1, "2024-05-01T08:00:00.1000000Z", "2024-05-01T08:00:00.6000000Z");
    boot(&log, "2024-05-01 09:00:03.000", "2024-05-01 09:00:05.000");
    struct snap s;
    snap_init(&s);
    assert_int_equal(read_log(&log, &s), 1);
    assert_true(s.boot_time == iso("2024-05-01T09:00:03Z"));
    snap_release(&s);
    sb_reset(&log);
    kg12(&log, 1, "2024-05-01T08:00:00.1000000Z", "2024-05-01T08:00:00.6000000Z");
    create(&log, 5, "2024-05-01 08:02:00.000", 900, S32 "svchost.exe", "svchost.exe -k x", 800,
           S32 "services.exe", 0);
    boot(&log, "2024-05-01 08:05:03.000", "2024-05-01 08:05:05.000");
    snap_init(&s);
    assert_int_equal(read_log(&log, &s), 2);
    snap_release(&s);
    sb_release(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kg12__late_master__boot_time_is_start_time),
        cmocka_unit_test(kg12__normal_boot__start_time_wins_quietly),
        cmocka_unit_test(no_kg12__boot_time_is_the_master),
        cmocka_unit_test(kg12__other_boot__not_borrowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
