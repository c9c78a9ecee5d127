/*
 * bench_render: how fast the renderer writes DOT for a big terminal server,
 * and how long Graphviz then needs (issue 5, "Speed"). The host is built in
 * code -- 200 RDP sessions of about ten processes each plus a boot's worth of
 * services -- so the figures do not depend on the simulator.
 *
 * usage: bench_render [REPETITIONS] [SESSIONS]   (defaults 200 and 200)
 * Prints one line per figure; the Graphviz run is skipped, with a message,
 * when `dot` is not on PATH.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../render/dot.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char SYSTEM[] = "NT AUTHORITY\\SYSTEM";

static struct snap_proc *proc(struct snap *s, uint32_t pid, uint32_t ppid, int64_t parent_ct,
                              int64_t ct, int64_t exit, int32_t session, const char *name,
                              const char *cmd, const char *user)
{
    struct snap_proc *p = snap_add_proc(s);
    p->pid = pid;
    p->ppid = ppid;
    p->parent_create_time = parent_ct;
    p->create_time = ct;
    p->exit_time = exit;
    p->session = session;
    p->name = name;
    p->command_line = cmd;
    p->user = user;
    return p;
}

static void build_host(struct snap *s, int sessions)
{
    const int64_t b = wt_days_from_civil(2024, 5, 1) * WT_DAY + 8 * WT_HOUR;
    s->source = "bench";
    s->host = "TS-BENCH";
    s->os = "Windows Server 2022";
    s->boot_time = b;
    s->at = b + 30 * WT_DAY;
    s->fields = SNAP_F_ALL;
    proc(s, 4, 0, WT_NONE, b, WT_NONE, SNAP_NO_SESSION, "System", NULL, SYSTEM);
    proc(s, 300, 4, b, b + 2 * WT_SEC, WT_NONE, SNAP_NO_SESSION, "smss.exe",
         "\\SystemRoot\\System32\\smss.exe", SYSTEM);
    int64_t smss = b + 2 * WT_SEC;
    proc(s, 396, 300, smss, b + 3 * WT_SEC, b + 3 * WT_SEC + 12000, 0, "smss.exe",
         "\\SystemRoot\\System32\\smss.exe 000000c0 00000074 ", SYSTEM);
    proc(s, 404, 396, b + 3 * WT_SEC, b + 3 * WT_SEC + 5000, WT_NONE, 0, "csrss.exe",
         "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows", SYSTEM);
    int64_t wininit = b + 3 * WT_SEC + 10000;
    proc(s, 480, 396, b + 3 * WT_SEC, wininit, WT_NONE, 0, "wininit.exe", "wininit.exe", SYSTEM);
    int64_t services = wininit + 100000;
    proc(s, 620, 480, wininit, services, WT_NONE, 0, "services.exe",
         "C:\\Windows\\system32\\services.exe", SYSTEM);
    proc(s, 636, 480, wininit, services + 1000, WT_NONE, 0, "lsass.exe",
         "C:\\Windows\\system32\\lsass.exe", SYSTEM);
    for (uint32_t k = 0; k < 100; k++)
        proc(s, 700 + 4 * k, 620, services, services + (int64_t)(k + 1) * 50000, WT_NONE, 0,
             "svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", SYSTEM);
    uint32_t pid = 4000;
    for (int i = 0; i < sessions; i++) {
        int32_t id = i + 2;
        struct snap_session *ss = snap_add_session(s);
        int64_t t = b + WT_HOUR + (int64_t)i * 10 * WT_MIN;
        ss->id = id;
        ss->kind = "rdp";
        ss->user = "CORP\\user";
        ss->create_time = t;
        ss->logon_time = t + WT_SEC;
        ss->end_time = i % 3 == 0 ? t + 2 * WT_HOUR : WT_NONE;
        int64_t end = ss->end_time;
        uint32_t child = pid, winlogon = pid + 8, userinit = pid + 24;
        proc(s, child, 300, smss, t, t + 12000, id, "smss.exe",
             "\\SystemRoot\\System32\\smss.exe 000000d0 00000088 ", SYSTEM);
        proc(s, pid + 4, child, t, t + 5000, end, id, "csrss.exe",
             "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows", SYSTEM);
        proc(s, winlogon, child, t, t + 12000, end, id, "winlogon.exe", "winlogon.exe", SYSTEM);
        proc(s, pid + 12, winlogon, t + 12000, t + 100000, end, id, "dwm.exe", "\"dwm.exe\"",
             "Window Manager\\DWM");
        proc(s, pid + 16, winlogon, t + 12000, t + 110000, end, id, "fontdrvhost.exe",
             "\"fontdrvhost.exe\"", "Font Driver Host\\UMFD");
        proc(s, pid + 20, winlogon, t + 12000, t + 120000, t + 900000, id, "LogonUI.exe",
             "\"LogonUI.exe\" /flags:0x2 /state0:0xa3b1c855 /state1:0x41c64e6d", SYSTEM);
        proc(s, userinit, winlogon, t + 12000, t + WT_SEC, t + 2 * WT_SEC, id, "userinit.exe",
             "C:\\Windows\\system32\\userinit.exe", "CORP\\user");
        int64_t ex = t + WT_SEC + 500000;
        proc(s, pid + 28, userinit, t + WT_SEC, ex, end, id, "explorer.exe",
             "C:\\Windows\\Explorer.EXE", "CORP\\user");
        proc(s, pid + 32, pid + 28, ex, ex + WT_SEC, end, id, "rdpclip.exe", "rdpclip",
             "CORP\\user");
        proc(s, pid + 36, 620, services, t + 2 * WT_SEC, end, id, "sihost.exe", "sihost.exe",
             "CORP\\user");
        pid += 64;
    }
}

int main(int argc, char **argv)
{
    uint64_t reps = 200, sessions = 200;
    if ((argc > 1 && (parse_u64(argv[1], 1000000, &reps) < 0 || reps == 0)) ||
        (argc > 2 && (parse_u64(argv[2], 4000, &sessions) < 0))) {
        fprintf(stderr, "usage: bench_render [REPETITIONS 1..1000000] [SESSIONS 0..4000]\n");
        return 2;
    }
    struct snap s;
    snap_init(&s);
    build_host(&s, (int)sessions);
    struct chk_findings none = {0};
    struct dot_opts o = {1, NULL};
    struct strbuf sb = STRBUF_INIT;
    struct err e = {""};
    double t0 = now_s();
    for (uint64_t r = 0; r < reps; r++) {
        sb_reset(&sb);
        if (dot_write(&sb, &s, &none, &o, &e) < 0) {
            fprintf(stderr, "bench_render: %s\n", e.msg);
            return 2;
        }
    }
    double dt = now_s() - t0;
    double ms = dt * 1e3 / (double)reps;
    printf("render: %zu processes, %llu sessions, DOT %zu bytes (--details)\n", s.nprocs,
           (unsigned long long)sessions, sb.len);
    printf("render: write DOT %.3f ms per render (%llu reps), %.1f MB/s\n", ms,
           (unsigned long long)reps, (double)sb.len * (double)reps / dt / 1e6);

    char *prog = dot_find_program("dot");
    if (!prog) {
        printf("render: dot -Tsvg skipped: the Graphviz 'dot' program is not on PATH\n");
    } else {
        int fd = open("/dev/null", O_WRONLY);
        t0 = now_s();
        int rc = fd >= 0 ? dot_run(prog, "svg", sb.buf, sb.len, fd, &e) : -1;
        dt = now_s() - t0;
        if (fd >= 0)
            close(fd);
        if (rc < 0)
            printf("render: dot -Tsvg failed: %s\n", e.msg);
        else
            printf("render: dot -Tsvg %.2f s (one run, %s)\n", dt, prog);
        free(prog);
    }
    sb_release(&sb);
    snap_release(&s);
    return 0;
}
