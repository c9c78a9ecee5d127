/*
 * test_checker: the checker's contract. A normal Windows 10 boot built in
 * code checks clean; every rule has a mutation that fires it and a near miss
 * (a normal variant real tools had to learn to tolerate) that must leave the
 * snapshot clean; a rule row without a fixture fails the suite. Also: missing
 * fields never crash or produce findings, rules whose inputs the source lacks
 * are reported as not evaluated, lookalike names, filters, and the JSON
 * finding lines parse back with cJSON in a stable key order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../checker/chk.h"
#include "../checker/chk_int.h"
#include "../kb/kb.h"

static const char SYSTEM[] = "NT AUTHORITY\\SYSTEM";
static const char ALICE[] = "CORP\\alice";
#define S32 "C:\\Windows\\System32\\"

/* 2024-05-01T08:00:00Z */
static int64_t t0(void)
{
    return wt_days_from_civil(2024, 5, 1) * WT_DAY + 8 * WT_HOUR;
}
static int64_t at_ms(int64_t ms)
{
    return t0() + ms * WT_MSEC;
}

/* Add a process; times in ms after boot, exit_ms < 0 = still running. */
static struct snap_proc *add(struct snap *s, uint32_t pid, uint32_t ppid, const char *name,
                             const char *image, const char *user, int32_t session, int32_t prio,
                             int64_t ct_ms, int64_t exit_ms)
{
    struct snap_proc *p = snap_add_proc(s);
    p->pid = pid;
    p->ppid = ppid;
    p->name = snap_str(s, name);
    p->image = snap_str(s, image);
    p->command_line = image ? snap_str(s, image) : NULL;
    p->user = snap_str(s, user);
    if (user == SYSTEM) {
        p->sid = "S-1-5-18";
        p->logon_id = 0x3e7;
    }
    p->session = session;
    p->base_priority = prio;
    p->create_time = at_ms(ct_ms);
    p->exit_time = exit_ms < 0 ? WT_NONE : at_ms(exit_ms);
    return p;
}

static struct snap_proc *P(struct snap *s, uint32_t pid)
{
    struct snap_proc *best = NULL;
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == pid)
            best = &s->procs[i];
    assert_non_null(best);
    return best;
}

static void del(struct snap *s, uint32_t pid)
{
    struct snap_proc *p = P(s, pid);
    size_t i = (size_t)(p - s->procs);
    memmove(p, p + 1, (s->nprocs - i - 1) * sizeof(*p));
    s->nprocs--;
    free(s->index);
    s->index = NULL;
    s->nindex = 0;
}

static void set_reg(struct snap *s, const char *key, const char *name, enum snap_reg_type type,
                    int n, ...)
{
    struct snap_reg *r = NULL;
    for (size_t i = 0; i < s->nregs; i++)
        if (!ascii_casecmp(s->regs[i].key, key) && !ascii_casecmp(s->regs[i].name, name))
            r = &s->regs[i];
    if (!r) {
        r = snap_add_reg(s);
        r->key = snap_str(s, key);
        r->name = snap_str(s, name);
    }
    r->type = type;
    const char **d = arena_alloc(&s->arena, (n ? (size_t)n : 1) * sizeof(char *));
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        d[i] = snap_str(s, va_arg(ap, const char *));
    va_end(ap);
    r->data = d;
    r->ndata = (uint32_t)n;
}

/* The normal Windows 10 boot of domain.md section 1, one console logon. */
static void normal_boot(struct snap *s)
{
    snap_init(s);
    s->source = "test";
    s->host = "WS01";
    s->os = "win10";
    s->boot_time = t0();
    s->at = at_ms(120000);
    s->fields = SNAP_F_ALL;
    add(s, 0, 0, "Idle", NULL, NULL, SNAP_NO_SESSION, 0, 0, -1);
    add(s, 4, 0, "System", NULL, SYSTEM, SNAP_NO_SESSION, 8, 0, -1);
    add(s, 108, 4, "Registry", NULL, SYSTEM, SNAP_NO_SESSION, 8, 100, -1);
    struct snap_proc *m =
        add(s, 340, 4, "smss.exe", S32 "smss.exe", SYSTEM, SNAP_NO_SESSION, 11, 2000, -1);
    m->command_line = "\\SystemRoot\\System32\\smss.exe";
    add(s, 360, 340, "autochk.exe", S32 "autochk.exe", SYSTEM, SNAP_NO_SESSION, 8, 2100, 2600);
    struct snap_proc *c0 = add(s, 444, 340, "smss.exe", S32 "smss.exe", SYSTEM, 0, 11, 3000, 3012);
    c0->command_line = "\\SystemRoot\\System32\\smss.exe 000000c0 00000074 ";
    add(s, 452, 444, "csrss.exe", S32 "csrss.exe", SYSTEM, 0, 13, 3005, -1);
    add(s, 528, 444, "wininit.exe", S32 "wininit.exe", SYSTEM, 0, 13, 3010, -1);
    struct snap_proc *c1 = add(s, 536, 340, "smss.exe", S32 "smss.exe", SYSTEM, 1, 11, 3020, 3030);
    c1->command_line = "\\SystemRoot\\System32\\smss.exe 000000cc 00000074 ";
    add(s, 544, 536, "csrss.exe", S32 "csrss.exe", SYSTEM, 1, 13, 3022, -1);
    add(s, 600, 536, "winlogon.exe", S32 "winlogon.exe", SYSTEM, 1, 13, 3028, -1);
    add(s, 664, 528, "services.exe", S32 "services.exe", SYSTEM, 0, 9, 3100, -1);
    add(s, 684, 528, "lsass.exe", S32 "lsass.exe", SYSTEM, 0, 9, 3120, -1);
    add(s, 792, 528, "fontdrvhost.exe", S32 "fontdrvhost.exe", "Font Driver Host\\UMFD-0", 0, 8,
        3200, -1);
    add(s, 800, 600, "fontdrvhost.exe", S32 "fontdrvhost.exe", "Font Driver Host\\UMFD-1", 1, 8,
        3210, -1);
    static const char *const groups[] = {
        "DcomLaunch -p", "RPCSS -p", "LocalServiceNetworkRestricted -p", "netsvcs -p", "termsvcs"};
    for (uint32_t k = 0; k < ARRAY_SIZE(groups); k++) {
        struct snap_proc *sv =
            add(s, 900 + 8 * k, 664, "svchost.exe", S32 "svchost.exe",
                k == 4 ? "NT AUTHORITY\\NETWORK SERVICE" : SYSTEM, 0, 8, 3300 + 10 * k, -1);
        sv->command_line = arena_printf(&s->arena, S32 "svchost.exe -k %s", groups[k]);
    }
    add(s, 1000, 600, "LogonUI.exe", S32 "LogonUI.exe", SYSTEM, 1, 8, 3400, 40000);
    add(s, 1010, 600, "dwm.exe", S32 "dwm.exe", "Window Manager\\DWM-1", 1, 13, 3500, -1);
    add(s, 1500, 4, "MemCompression", NULL, SYSTEM, SNAP_NO_SESSION, 8, 10000, -1);
    add(s, 3000, 600, "userinit.exe", S32 "userinit.exe", ALICE, 1, 8, 40000, 41000);
    struct snap_proc *ex =
        add(s, 3020, 3000, "explorer.exe", "C:\\Windows\\explorer.exe", ALICE, 1, 8, 40500, -1);
    ex->sid = "S-1-5-21-1-2-3-1001";
    struct snap_session *ss = snap_add_session(s);
    ss->id = 0;
    ss->kind = "services";
    ss->create_time = at_ms(3000);
    ss = snap_add_session(s);
    ss->id = 1;
    ss->kind = "console";
    ss->user = ALICE;
    ss->create_time = at_ms(3020);
    ss->logon_time = at_ms(40000);
    kb_default_registry("win10", NULL, s);
}

/* An RDP session 2 at +300 s: its smss child, csrss and winlogon (whose
 * parent the log records as the termsvcs svchost when termsvcs is set). */
static void add_rdp(struct snap *s, int termsvcs_parent, int with_record)
{
    struct snap_proc *c =
        add(s, 4000, 340, "smss.exe", S32 "smss.exe", SYSTEM, 2, 11, 300000, 300010);
    c->command_line = "\\SystemRoot\\System32\\smss.exe 00000120 00000074 ";
    uint32_t pp = termsvcs_parent ? 932 : 4000;
    add(s, 4004, pp, "csrss.exe", S32 "csrss.exe", SYSTEM, 2, 13, 300002, -1);
    add(s, 4008, pp, "winlogon.exe", S32 "winlogon.exe", SYSTEM, 2, 13, 300005, -1);
    if (with_record) {
        struct snap_session *ss = snap_add_session(s);
        ss->id = 2;
        ss->kind = "rdp";
        ss->create_time = at_ms(299990);
    }
}

/* A live cmd.exe, parent unknown, created early: a parent for the fire cases. */
static void add_cmd(struct snap *s)
{
    add(s, 5024, 9998, "cmd.exe", S32 "cmd.exe", ALICE, 1, 8, 1000, -1);
}

/* ---- fixtures: one fire and one near miss per rule ------------------------ */

#define FX(name) static void name(struct snap *s)

FX(sys_pid_fire)
{
    add(s, 1234, 600, "System", NULL, SYSTEM, 1, 8, 50000, -1);
}
FX(sys_pid_miss)
{
    add(s, 5000, 3020, "SystemSettings.exe",
        "C:\\Windows\\ImmersiveControlPanel\\SystemSettings.exe", ALICE, 1, 8, 60000, -1);
}
FX(sys_inst_fire)
{
    add(s, 7777, 0, "System", NULL, SYSTEM, SNAP_NO_SESSION, 8, 1, -1);
}
FX(sys_inst_miss)
{
    add(s, 72, 4, "Secure System", NULL, SYSTEM, SNAP_NO_SESSION, 8, 50, -1);
}
FX(sys_child_fire)
{
    add(s, 5004, 4, "cmd.exe", S32 "cmd.exe", SYSTEM, 0, 8, 50000, -1);
}
FX(sys_child_miss)
{
    add(s, 76, 4, "HotPatch", NULL, SYSTEM, SNAP_NO_SESSION, 8, 60, -1);
}

FX(smss_parent_fire)
{
    add(s, 5008, 3020, "smss.exe", S32 "smss.exe", SYSTEM, 1, 11, 60000, -1);
}
FX(smss_parent_miss)
{
    /* Sysmon writes "?" for a parent it never saw. */
    add(s, 9999, 0, "?", "?", NULL, SNAP_NO_SESSION, SNAP_NO_PRIORITY, 1, -1);
    P(s, 340)->ppid = 9999;
}
FX(smss_path_fire)
{
    P(s, 340)->image = "C:\\Windows\\Temp\\smss.exe";
}
FX(smss_path_miss)
{
    P(s, 340)->image = "\\SystemRoot\\System32\\smss.exe";
    P(s, 444)->image = "\\??\\C:\\WINDOWS\\system32\\SMSS.EXE";
    P(s, 536)->image = "\\Device\\HarddiskVolume3\\Windows\\System32\\smss.exe";
}
FX(smss_inst_fire)
{
    add(s, 5012, 4, "smss.exe", S32 "smss.exe", SYSTEM, SNAP_NO_SESSION, 11, 5000, -1);
}
FX(smss_inst_miss)
{
    add(s, 5012, 4, "smss.exe", S32 "smss.exe", SYSTEM, SNAP_NO_SESSION, 11, 5000, 6000);
    P(s, 340)->command_line = "\\SystemRoot\\System32\\smss.exe -SpecialSession";
}
FX(smss_child_fire)
{
    P(s, 536)->exit_time = WT_NONE;
}
FX(smss_child_miss)
{
    /* Snapshot taken while session 1 is being created. */
    P(s, 536)->exit_time = WT_NONE;
    s->at = at_ms(3100);
    P(s, 536)->command_line = "\\SystemRoot\\System32\\smss.exe 000000cc 00000074 winlogon.exe "
                              "{8e2b1c9a-6f41-4d7e-9a55-0b1f2c3d4e5f}";
}
FX(smss_user_fire)
{
    P(s, 340)->user = ALICE;
    P(s, 340)->sid = "S-1-5-21-1-2-3-1001";
}
FX(smss_user_miss)
{
    P(s, 340)->user = "NT-AUTORIT\xc3\x84T\\SYSTEM";
    P(s, 340)->sid = NULL;
}
FX(smss_late_fire)
{
    P(s, 340)->create_time = at_ms(200000);
}
FX(smss_late_miss)
{
    s->boot_time = t0() - 3600 * WT_SEC;
}
FX(smss_sess_fire)
{
    P(s, 340)->session = 1;
}
FX(smss_sess_miss)
{
    P(s, 340)->session = 0;
}
FX(smss_prio_fire)
{
    P(s, 340)->base_priority = 8;
}
FX(smss_prio_miss)
{
    P(s, 444)->base_priority = SNAP_NO_PRIORITY;
}
FX(smss_children_fire)
{
    add(s, 5016, 340, "cmd.exe", S32 "cmd.exe", SYSTEM, SNAP_NO_SESSION, 8, 2200, 2300);
}
FX(smss_children_miss)
{
    add(s, 5016, 340, "setupcl.exe", S32 "setupcl.exe", SYSTEM, SNAP_NO_SESSION, 8, 2200, 2300);
    add(s, 5020, 340, "poqexec.exe", S32 "poqexec.exe", SYSTEM, SNAP_NO_SESSION, 8, 2300, 2400);
}

FX(csrss_parent_fire)
{
    add(s, 5030, 3020, "csrss.exe", S32 "csrss.exe", SYSTEM, 1, 13, 60000, -1);
}
FX(csrss_parent_miss)
{
    /* PID 444 (the exited smss child) reused by a later process. */
    add(s, 444, 3020, "notepad.exe", S32 "notepad.exe", ALICE, 1, 8, 100000, -1);
}
FX(csrss_path_fire)
{
    P(s, 544)->image = "C:\\Users\\alice\\AppData\\Local\\csrss.exe";
}
FX(csrss_path_miss)
{
    P(s, 544)->image = "%SystemRoot%\\system32\\csrss.exe";
}
FX(csrss_user_fire)
{
    P(s, 544)->user = ALICE, P(s, 544)->sid = NULL;
}
FX(csrss_user_miss)
{
    P(s, 544)->user = NULL;
}
FX(csrss_inst_fire)
{
    add(s, 5034, 536, "csrss.exe", S32 "csrss.exe", SYSTEM, 1, 13, 3025, -1);
}
FX(csrss_inst_miss)
{
    add_rdp(s, 0, 1);
}
FX(csrss_late_fire)
{
    P(s, 544)->create_time = at_ms(200000);
}
FX(csrss_late_miss)
{
    add_rdp(s, 1, 1);
}
FX(csrss_child_fire)
{
    add(s, 5038, 544, "cmd.exe", S32 "cmd.exe", SYSTEM, 1, 8, 60000, -1);
}
FX(csrss_child_miss)
{
    add(s, 5038, 544, "conhost.exe", S32 "conhost.exe", SYSTEM, 1, 8, 60000, -1);
    add(s, 5042, 544, "WerFault.exe", S32 "WerFault.exe", SYSTEM, 1, 8, 61000, 62000);
}

FX(wininit_parent_fire)
{
    add_cmd(s);
    P(s, 528)->ppid = 5024;
}
FX(wininit_parent_miss)
{
    del(s, 444);
}
FX(wininit_path_fire)
{
    P(s, 528)->image = "C:\\Windows\\wininit.exe";
}
FX(wininit_path_miss)
{
    P(s, 528)->image = "C:\\WINDOWS\\SYSTEM32\\WININIT.EXE";
}
FX(wininit_user_fire)
{
    P(s, 528)->user = "NT AUTHORITY\\LOCAL SERVICE", P(s, 528)->sid = "S-1-5-19";
}
FX(wininit_user_miss)
{
    P(s, 528)->user = "SYSTEM", P(s, 528)->sid = NULL;
}
FX(wininit_sess_fire)
{
    P(s, 528)->session = 1;
}
FX(wininit_sess_miss)
{
    P(s, 528)->session = SNAP_NO_SESSION;
}
FX(wininit_inst_fire)
{
    add(s, 5046, 444, "wininit.exe", S32 "wininit.exe", SYSTEM, 0, 13, 3011, -1);
}
FX(wininit_inst_miss)
{
    add(s, 5046, 444, "wininit.exe", S32 "wininit.exe", SYSTEM, 0, 13, 3011, 3050);
}
FX(wininit_late_fire)
{
    P(s, 528)->create_time = at_ms(100000);
}
FX(wininit_late_miss)
{
    P(s, 528)->create_time = at_ms(46000);
}

FX(winlogon_parent_fire)
{
    add_cmd(s);
    P(s, 600)->ppid = 5024;
}
FX(winlogon_parent_miss)
{
    add_rdp(s, 1, 1);
}
FX(winlogon_path_fire)
{
    P(s, 600)->image = "C:\\ProgramData\\winlogon.exe";
}
FX(winlogon_path_miss)
{
    P(s, 600)->image = "\\\\?\\C:\\Windows\\System32\\winlogon.exe";
}
FX(winlogon_user_fire)
{
    P(s, 600)->user = ALICE, P(s, 600)->sid = NULL;
}
FX(winlogon_user_miss)
{
    P(s, 600)->user = NULL, P(s, 600)->sid = NULL;
}
FX(winlogon_sess_fire)
{
    P(s, 600)->session = 0;
}
FX(winlogon_sess_miss)
{
    add_rdp(s, 0, 1);
}
FX(winlogon_inst_fire)
{
    add(s, 5050, 536, "winlogon.exe", S32 "winlogon.exe", SYSTEM, 1, 13, 3029, -1);
}
FX(winlogon_inst_miss)
{
    add(s, 5050, 536, "winlogon.exe", S32 "winlogon.exe", SYSTEM, 1, 13, 3029, 3500);
}
FX(winlogon_late_fire)
{
    P(s, 600)->create_time = at_ms(300000);
}
FX(winlogon_late_miss)
{
    add_rdp(s, 0, 1);
}

FX(services_parent_fire)
{
    add_cmd(s);
    P(s, 664)->ppid = 5024;
}
FX(services_parent_miss)
{
    P(s, 664)->parent_create_time = at_ms(3010);
}
FX(services_path_fire)
{
    P(s, 664)->image = "C:\\Windows\\Temp\\services.exe";
}
FX(services_path_miss)
{
    P(s, 664)->image = "\\SystemRoot\\system32\\services.exe";
}
FX(services_user_fire)
{
    P(s, 664)->user = ALICE, P(s, 664)->sid = NULL;
}
FX(services_user_miss)
{
    P(s, 664)->user = "AUTORITE NT\\Syst\xc3\xa8me";
}
FX(services_sess_fire)
{
    P(s, 664)->session = 1;
}
FX(services_sess_miss)
{
    P(s, 664)->session = SNAP_NO_SESSION;
}
FX(services_inst_fire)
{
    add(s, 5054, 528, "services.exe", S32 "services.exe", SYSTEM, 0, 9, 3101, -1);
}
FX(services_inst_miss)
{
    add(s, 5054, 528, "services.exe", S32 "services.exe", SYSTEM, 0, 9, 3101, 3200);
}
FX(services_late_fire)
{
    P(s, 664)->create_time = at_ms(100000);
}
FX(services_late_miss)
{
    P(s, 664)->create_time = at_ms(44000);
}

FX(lsass_parent_fire)
{
    add_cmd(s);
    P(s, 684)->ppid = 5024;
}
FX(lsass_parent_miss)
{
    del(s, 528);
}
FX(lsass_path_fire)
{
    P(s, 684)->image = "C:\\Windows\\System32\\drivers\\lsass.exe";
}
FX(lsass_path_miss)
{
    P(s, 684)->image = "\\Device\\HarddiskVolume2\\Windows\\System32\\lsass.exe";
}
FX(lsass_user_fire)
{
    P(s, 684)->user = "NT AUTHORITY\\NETWORK SERVICE", P(s, 684)->sid = "S-1-5-20";
}
FX(lsass_user_miss)
{
    P(s, 684)->user = NULL, P(s, 684)->sid = NULL, P(s, 684)->logon_id = 0;
}
FX(lsass_sess_fire)
{
    P(s, 684)->session = 1;
}
FX(lsass_sess_miss)
{
    P(s, 684)->session = SNAP_NO_SESSION;
}
FX(lsass_inst_fire)
{
    add(s, 5058, 528, "lsass.exe", S32 "lsass.exe", SYSTEM, 0, 9, 3121, -1);
}
FX(lsass_inst_miss)
{
    add(s, 5058, 528, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 9, 3119, -1);
}
FX(lsass_late_fire)
{
    P(s, 684)->create_time = at_ms(100000);
}
FX(lsass_late_miss)
{
    P(s, 684)->create_time = at_ms(59000);
}
FX(lsass_child_fire)
{
    add(s, 5062, 684, "cmd.exe", S32 "cmd.exe", SYSTEM, 0, 8, 70000, -1);
}
FX(lsass_child_miss)
{
    add(s, 5062, 684, "WerFault.exe", S32 "WerFault.exe", SYSTEM, 0, 8, 70000, 71000);
    add(s, 5066, 684, "efsui.exe", S32 "efsui.exe", ALICE, 1, 8, 72000, 73000);
}

FX(wininit_child_fire)
{
    add(s, 5070, 528, "rundll32.exe", S32 "rundll32.exe", SYSTEM, 0, 8, 70000, -1);
}
FX(wininit_child_miss)
{
    add(s, 5070, 528, "WerFault.exe", S32 "WerFault.exe", SYSTEM, 0, 8, 70000, 71000);
    add(s, 5074, 528, "LsaIso.exe", S32 "lsaiso.exe", SYSTEM, 0, 9, 3070, -1);
}
FX(explorer_fire)
{
    P(s, 3020)->user = SYSTEM, P(s, 3020)->sid = "S-1-5-18";
}
FX(explorer_miss)
{
    /* A domain account that happens to be called SYSTEM, logged on to
     * session 1 (the session's user, so EXPLORER-USER agrees). */
    P(s, 3020)->user = "CORP\\SYSTEM";
    s->sessions[1].user = "CORP\\SYSTEM";
}
FX(core_path_fire)
{
    P(s, 916)->image = "C:\\Users\\alice\\AppData\\Local\\Temp\\svchost.exe";
}
FX(core_path_miss)
{
    P(s, 916)->image = "C:\\Windows\\SysWOW64\\svchost.exe";
    P(s, 3020)->image = "C:\\WINDOWS\\Explorer.EXE";
}
FX(lookalike_fire)
{
    add(s, 5070, 3020, "lsas.exe", "C:\\Users\\Public\\lsas.exe", ALICE, 1, 8, 90000, -1);
}
FX(lookalike_miss)
{
    static const char *const ok[] = {"iexplore.exe",  "sihost.exe",  "Ssms.exe",
                                     "taskhostw.exe", "notepad.exe", "svchost32.dll"};
    for (uint32_t k = 0; k < ARRAY_SIZE(ok); k++) /* taskhostw's parent is a svchost */
        add(s, 5100 + 4 * k,
            strcmp(ok[k], "taskhostw.exe") && strcmp(ok[k], "sihost.exe") ? 3020 : 900, ok[k], NULL,
            ALICE, 1, 8, 90000 + k, -1);
}
FX(session_fire)
{
    add(s, 6000, 9997, "csrss.exe", S32 "csrss.exe", SYSTEM, 3, 13, 500000, -1);
    add(s, 6004, 9997, "winlogon.exe", S32 "winlogon.exe", SYSTEM, 3, 13, 500002, -1);
}
FX(session_miss)
{
    add_rdp(s, 1, 1);
}

#define SM KEY_SM
FX(sm_boot_fire)
{
    set_reg(s, SM, "BootExecute", SNAP_REG_MULTI_SZ, 2, "autocheck autochk *", "evil.exe");
}
FX(sm_boot_miss)
{
    /* spacing, an empty entry, a vendor's native program (Citrix PVS) */
    set_reg(s, SM, "BootExecute", SNAP_REG_MULTI_SZ, 3, "autocheck  autochk *", "", "PvsVmBoot");
}
FX(sm_exec_fire)
{
    set_reg(s, SM, "Execute", SNAP_REG_MULTI_SZ, 1, "\\??\\C:\\ProgramData\\x.exe");
}
FX(sm_exec_miss)
{
    set_reg(
        s, SM, "SetupExecute", SNAP_REG_MULTI_SZ, 1,
        "C:\\Windows\\System32\\poqexec.exe /display_progress \\SystemRoot\\WinSxS\\pending.xml");
    set_reg(s, SM, "S0InitialCommand", SNAP_REG_SZ, 1, "");
}
FX(sm_appcert_fire)
{
    set_reg(s, SM "\\AppCertDlls", "x", SNAP_REG_SZ, 1, "C:\\ProgramData\\x.dll");
}
FX(sm_appcert_miss)
{
    set_reg(s, SM "\\AppCompatCache", "AppCompatCache", SNAP_REG_SZ, 1, "data");
}
FX(sm_known_fire)
{
    set_reg(s, SM "\\KnownDLLs", "kernel32", SNAP_REG_SZ, 1, "kern3l32.dll");
}
FX(sm_known_miss)
{
    /* A Windows 7 host has its own list; case does not matter. */
    s->nregs = 0;
    s->os = "win7";
    kb_default_registry("win7", NULL, s);
    set_reg(s, SM "\\KnownDLLs", "USER32", SNAP_REG_SZ, 1, "user32.DLL");
}
FX(sm_pend_fire)
{
    set_reg(s, SM, "PendingFileRenameOperations", SNAP_REG_MULTI_SZ, 2,
            "\\??\\C:\\Users\\alice\\AppData\\Local\\Temp\\x.dll",
            "!\\??\\C:\\Windows\\System32\\lsasrv.dll");
}
FX(sm_pend_miss)
{
    set_reg(s, SM, "PendingFileRenameOperations", SNAP_REG_MULTI_SZ, 4,
            "\\??\\C:\\Windows\\System32\\old.tmp", "", "\\??\\C:\\Program Files\\App\\new.dll",
            "!\\??\\C:\\Program Files\\App\\app.dll");
}
FX(sm_extra_fire)
{
    set_reg(s, SM "\\SubSystems", "Evil", SNAP_REG_EXPAND_SZ, 1, "C:\\evil.exe");
}
FX(sm_extra_miss)
{
    set_reg(s, SM "\\SubSystems", "Posix", SNAP_REG_EXPAND_SZ, 1,
            "%SystemRoot%\\system32\\psxss.exe");
}
FX(sm_req_fire)
{
    set_reg(s, SM "\\SubSystems", "Required", SNAP_REG_MULTI_SZ, 3, "Debug", "Windows", "Evil");
}
FX(sm_req_miss)
{
    set_reg(s, SM "\\SubSystems", "Required", SNAP_REG_MULTI_SZ, 2, "debug", "WINDOWS");
}
FX(sm_win_fire)
{
    const struct snap_reg *r = snap_reg_find(s, SM "\\SubSystems", "Windows");
    char *v = arena_printf(&s->arena, "%s ServerDll=evil,5", r->data[0]);
    set_reg(s, SM "\\SubSystems", "Windows", SNAP_REG_EXPAND_SZ, 1, v);
}
FX(sm_win_miss)
{
    /* A tuned desktop heap and an upper-case path. */
    s->nregs = 0;
    kb_default_registry("win10", "1024,20480,2048", s);
    const struct snap_reg *r = snap_reg_find(s, SM "\\SubSystems", "Windows");
    char *v = arena_printf(&s->arena, "C:\\WINDOWS\\System32%s", strstr(r->data[0], "\\csrss"));
    set_reg(s, SM "\\SubSystems", "Windows", SNAP_REG_EXPAND_SZ, 1, v);
}
FX(sm_kmode_fire)
{
    set_reg(s, SM "\\SubSystems", "Kmode", SNAP_REG_EXPAND_SZ, 1,
            "\\SystemRoot\\System32\\evil.sys");
}
FX(sm_kmode_miss)
{
    set_reg(s, SM "\\SubSystems", "Kmode", SNAP_REG_EXPAND_SZ, 1,
            "%SystemRoot%\\system32\\WIN32K.SYS");
}
FX(wl_shell_fire)
{
    set_reg(s, KEY_WINLOGON, "Shell", SNAP_REG_SZ, 1, "explorer.exe, C:\\ProgramData\\x.exe");
}
FX(wl_shell_miss)
{
    set_reg(s, KEY_WINLOGON, "Shell", SNAP_REG_SZ, 1, "C:\\Windows\\explorer.exe");
}
/* The same value in a user's profile, as Sysmon names it (HKU\SID\...):
 * an extra program fires; the user's own explorer.exe is normal. */
#define USER_WL "HKU\\S-1-5-21-1004336348-1177238915-682003330-1001" KEY_USER_WINLOGON
FX(wl_user_shell_fire)
{
    set_reg(s, USER_WL, "Shell", SNAP_REG_SZ, 1, "explorer.exe, C:\\Windows\\System32\\cmd.exe");
}
FX(wl_user_shell_miss)
{
    set_reg(s, USER_WL, "Shell", SNAP_REG_SZ, 1, "explorer.exe");
}
FX(wl_ui_fire)
{
    set_reg(s, KEY_WINLOGON, "Userinit", SNAP_REG_SZ, 1,
            "C:\\Windows\\system32\\userinit.exe,C:\\x.exe,");
}
FX(wl_ui_miss)
{
    set_reg(s, KEY_WINLOGON, "Userinit", SNAP_REG_SZ, 1, "%SystemRoot%\\System32\\USERINIT.EXE");
}

/* winlogon -> "cmd.exe sethc.exe 211": the IFEO-debugger sticky-keys
 * backdoor at the logon screen; the near miss is what winlogon really
 * starts (AtBroker at logon, the screen saver, sethc itself). */
FX(winlogon_child_fire)
{
    struct snap_proc *p = add(s, 5080, 600, "cmd.exe", S32 "cmd.exe", SYSTEM, 1, 8, 70000, -1);
    p->command_line = "C:\\Windows\\system32\\cmd.exe C:\\Windows\\system32\\sethc.exe 211";
}
FX(winlogon_child_miss)
{
    add(s, 5080, 600, "AtBroker.exe", S32 "AtBroker.exe", ALICE, 1, 8, 70000, 70500);
    add(s, 5084, 600, "scrnsave.scr", S32 "scrnsave.scr", ALICE, 1, 8, 80000, -1);
    add(s, 5088, 600, "sethc.exe", S32 "sethc.exe", SYSTEM, 1, 8, 90000, -1);
}
/* services -> cmd as SYSTEM (PsExec-style, getsystem); a LOCAL SERVICE
 * svchost and a vendor service are normal. */
FX(services_shell_fire)
{
    struct snap_proc *p = add(s, 5090, 664, "cmd.exe", S32 "cmd.exe", SYSTEM, 0, 8, 70000, -1);
    p->command_line = "cmd.exe /c echo 5e120a > \\\\.\\pipe\\5e120a";
}
FX(services_shell_miss)
{
    add(s, 5090, 664, "svchost.exe", S32 "svchost.exe", "NT AUTHORITY\\LOCAL SERVICE", 0, 8, 70000,
        -1)
        ->command_line = S32 "svchost.exe -k LocalService -p";
    add(s, 5094, 664, "vmtoolsd.exe", "C:\\Program Files\\VMware\\vmtoolsd.exe", SYSTEM, 0, 8,
        70100, -1);
    /* a shell started by someone else, not the service control manager */
    add(s, 5098, 3020, "cmd.exe", S32 "cmd.exe", ALICE, 1, 8, 70200, -1);
}
/* The unquoted-path hijack of ../shared/real's privesc_unquoted_svc log. */
FX(services_unq_fire)
{
    add(s, 5100, 664, "program.exe", "C:\\program.exe", SYSTEM, 0, 8, 70000, -1)->command_line =
        "c:\\Program Files\\vulnsvc\\mmm.exe";
}
FX(services_unq_miss)
{
    add(s, 5100, 664, "mmm.exe", "C:\\Program Files\\vulnsvc\\mmm.exe", SYSTEM, 0, 8, 70000, -1)
        ->command_line = "\"c:\\Program Files\\vulnsvc\\mmm.exe\" -service";
    add(s, 5104, 664, "agent.exe", "C:\\Tools\\agent.exe", SYSTEM, 0, 8, 70100, -1)->command_line =
        "C:\\Tools\\agent.exe run now";
}
FX(lsaiso_parent_fire)
{
    add(s, 5110, 5024, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 8, 70000, -1);
    add_cmd(s);
}
FX(lsaiso_parent_miss)
{
    add(s, 5110, 528, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 8, 3110, -1);
}
FX(userinit_child_fire)
{
    add(s, 3030, 3000, "backdoor.exe", "C:\\ProgramData\\backdoor.exe", ALICE, 1, 8, 40600, -1);
}
FX(userinit_child_miss)
{
    add(s, 3030, 3000, "cmd.exe", S32 "cmd.exe", ALICE, 1, 8, 40600, 41500)->command_line =
        "cmd.exe /c \\\\corp.example\\NETLOGON\\logon.bat";
    add(s, 3034, 3000, "proquota.exe", S32 "proquota.exe", ALICE, 1, 8, 40700, -1);
}
FX(access_shell_fire)
{
    add(s, 5120, 600, "utilman.exe", S32 "utilman.exe", SYSTEM, 1, 8, 70000, -1);
    add(s, 5124, 5120, "cmd.exe", S32 "cmd.exe", SYSTEM, 1, 8, 70100, -1);
}
FX(access_shell_miss)
{
    add(s, 5120, 600, "utilman.exe", S32 "utilman.exe", SYSTEM, 1, 8, 70000, -1);
    add(s, 5124, 5120, "osk.exe", S32 "osk.exe", SYSTEM, 1, 8, 70100, -1);
}
#define IFEO "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options"
#define SPE "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit"
FX(ifeo_dbg_fire)
{
    set_reg(s, IFEO "\\sethc.exe", "Debugger", SNAP_REG_SZ, 1, "C:\\Windows\\System32\\cmd.exe");
}
FX(ifeo_dbg_miss)
{
    /* MitigationOptions and an empty Debugger are what Windows and
     * uninstalled debuggers leave behind; a deleted one is gone. */
    set_reg(s, IFEO "\\notepad.exe", "MitigationOptions", SNAP_REG_SZ, 1, "0x100");
    set_reg(s, IFEO "\\calc.exe", "Debugger", SNAP_REG_SZ, 1, " ");
    set_reg(s, IFEO "\\utilman.exe", "Debugger", SNAP_REG_SZ, 1, "cmd.exe");
    s->regs[s->nregs - 1].deleted = 1;
}
FX(spe_fire)
{
    set_reg(s, IFEO "\\lsass.exe", "GlobalFlag", SNAP_REG_SZ, 1, "512");
    set_reg(s, SPE "\\lsass.exe", "MonitorProcess", SNAP_REG_SZ, 1, "C:\\Temp\\dump.exe");
}
FX(spe_miss)
{
    set_reg(s, IFEO "\\app.exe", "GlobalFlag", SNAP_REG_SZ, 1, "0x2"); /* loader snaps */
    set_reg(s, SPE "\\app.exe", "ReportingMode", SNAP_REG_SZ, 1, "1");
}

FX(lsass_dump_fire)
{
    add(s, 5130, 3020, "rundll32.exe", S32 "rundll32.exe", SYSTEM, 1, 8, 70000, -1)->command_line =
        "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 684 C:\\Temp\\l.dmp full";
    add(s, 5134, 684, "WerFault.exe", S32 "WerFault.exe", SYSTEM, 0, 8, 71000, -1)->command_line =
        "WerFault.exe -u -p 684 -ip 684 -s 244";
}
FX(lsass_dump_miss)
{
    /* a crash report of lsass, and a MiniDump of something that is no comsvcs */
    add(s, 5134, 684, "WerFault.exe", S32 "WerFault.exe", SYSTEM, 0, 8, 71000, 72000)
        ->command_line = "WerFault.exe -u -p 684 -s 244";
    add(s, 5138, 3020, "procdump.exe", "C:\\Tools\\procdump.exe", ALICE, 1, 8, 72000, -1)
        ->command_line = "procdump.exe -ma notepad.exe";
}
FX(svchost_parent_fire)
{
    add(s, 5140, 3020, "svchost.exe", S32 "svchost.exe", ALICE, 1, 8, 70000, -1)->command_line =
        S32 "svchost.exe -k netsvcs";
}
FX(svchost_parent_miss)
{
    /* svchost from svchost and Defender's, and one whose parent left the log */
    add(s, 5140, 900, "svchost.exe", S32 "svchost.exe", SYSTEM, 0, 8, 70000, -1)->command_line =
        S32 "svchost.exe -k netsvcs -p -s Schedule";
    add(s, 5144, 9999, "svchost.exe", S32 "svchost.exe", SYSTEM, 0, 8, 70100, -1)->command_line =
        S32 "svchost.exe -k LocalService";
}
FX(svchost_args_fire)
{
    add(s, 5150, 664, "svchost.exe", S32 "svchost.exe", SYSTEM, 0, 8, 70000, -1)->command_line =
        S32 "svchost.exe";
}
FX(svchost_args_miss)
{
    add(s, 5150, 664, "svchost.exe", S32 "svchost.exe", SYSTEM, 0, 8, 70000, -1)->command_line =
        "C:\\WINDOWS\\system32\\svchost.exe /k UnistackSvcGroup";
}
FX(svchost_user_fire)
{
    struct snap_proc *p =
        add(s, 5160, 664, "svchost.exe", S32 "svchost.exe", ALICE, 0, 8, 70000, -1);
    p->command_line = S32 "svchost.exe -k netsvcs";
    p->sid = "S-1-5-21-1-2-3-1001";
}
FX(svchost_user_miss)
{
    /* a per-user service in alice's session, and virtual service accounts */
    add(s, 5160, 664, "svchost.exe", S32 "svchost.exe", ALICE, 1, 8, 70000, -1)->command_line =
        S32 "svchost.exe -k UnistackSvcGroup";
    add(s, 5164, 664, "svchost.exe", S32 "svchost.exe", "NT SERVICE\\MSSQL", 0, 8, 70100, -1)
        ->command_line = S32 "svchost.exe -k sql";
    struct snap_proc *ls = add(s, 5168, 664, "svchost.exe", S32 "svchost.exe",
                               "NT-AUTORITÄT\\LOKALER DIENST", 0, 8, 70200, -1);
    ls->sid = "S-1-5-19";
    ls->command_line = S32 "svchost.exe -k LocalService -p";
}
FX(userinit_parent_fire)
{
    add_cmd(s);
    add(s, 5170, 5024, "userinit.exe", S32 "userinit.exe", ALICE, 1, 8, 70000, -1);
}
FX(userinit_parent_miss)
{
    add(s, 5170, 600, "userinit.exe", S32 "userinit.exe", ALICE, 1, 8, 70000, 72000);
}
FX(userinit_user_fire)
{
    add(s, 5174, 600, "userinit.exe", S32 "userinit.exe", SYSTEM, 1, 8, 70000, 72000);
}
FX(userinit_user_miss)
{
    add(s, 5174, 600, "userinit.exe", S32 "userinit.exe", "CORP\\bob", 1, 8, 70000, 72000);
}
FX(core_parent_fire)
{
    add(s, 5180, 3020, "spoolsv.exe", S32 "spoolsv.exe", SYSTEM, 0, 8, 70000, -1);
}
FX(core_parent_miss)
{
    add(s, 5180, 664, "spoolsv.exe", S32 "spoolsv.exe", SYSTEM, 0, 8, 70000, -1);
    add(s, 5184, 900, "RuntimeBroker.exe", S32 "RuntimeBroker.exe", ALICE, 1, 8, 70100, -1);
    /* dwm restarted by dwm (Elastic lists it) */
    add(s, 5188, 1010, "dwm.exe", S32 "dwm.exe", "Window Manager\\DWM-1", 1, 13, 70200, -1);
}
FX(core_prio_fire)
{
    P(s, 684)->base_priority = 8;
}
FX(core_prio_miss)
{
    /* priority unknown (a log that does not record it) */
    P(s, 684)->base_priority = SNAP_NO_PRIORITY;
    P(s, 664)->base_priority = 9;
}
FX(core_integ_fire)
{
    P(s, 664)->integrity = "High";
}
FX(core_integ_miss)
{
    P(s, 664)->integrity = "System";
    P(s, 684)->integrity = "Protected"; /* lsass as a protected process */
    P(s, 3020)->integrity = "Medium";
}
FX(shell_sys_fire)
{
    add(s, 5190, 600, "cmd.exe", S32 "cmd.exe", SYSTEM, 1, 8, 70000, -1);
}
FX(shell_sys_miss)
{
    add(s, 5190, 900, "cmd.exe", S32 "cmd.exe", SYSTEM, 0, 8, 70000, -1); /* session 0 */
    add(s, 5194, 3020, "cmd.exe", S32 "cmd.exe", ALICE, 1, 8, 70100, -1);
}
FX(before_boot_fire)
{
    P(s, 3020)->create_time = t0() - 3600 * WT_SEC;
}
FX(before_boot_miss)
{
    P(s, 0)->create_time = t0(); /* Idle is as old as System */
}

#define LSA "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
FX(lsa_pkg_fire)
{
    set_reg(s, LSA, "Security Packages", SNAP_REG_MULTI_SZ, 3, "kerberos", "msv1_0", "mimilib");
}
FX(lsa_pkg_miss)
{
    /* Windows 10's "" and Windows 7's list; a filter named with ".dll" */
    set_reg(s, LSA, "Security Packages", SNAP_REG_MULTI_SZ, 1, "\"\"");
    set_reg(s, LSA, "Authentication Packages", SNAP_REG_MULTI_SZ, 1, "msv1_0");
    set_reg(s, LSA, "Notification Packages", SNAP_REG_SZ, 1, "scecli rassfm.dll");
    set_reg(s, LSA "\\OSConfig", "Security Packages", SNAP_REG_MULTI_SZ, 6, "kerberos", "msv1_0",
            "schannel", "wdigest", "tspkg", "pku2u");
}
FX(lsa_prot_fire)
{
    set_reg(s, LSA, "RunAsPPL", SNAP_REG_SZ, 1, "0");
    s->regs[s->nregs - 1].time = at_ms(60000); /* written by an event */
}
FX(lsa_prot_miss)
{
    set_reg(s, LSA, "RunAsPPL", SNAP_REG_SZ, 1, "0"); /* state: an older install's default */
    set_reg(s, LSA, "LsaCfgFlags", SNAP_REG_SZ, 1, "1");
    s->regs[s->nregs - 1].time = at_ms(60000);
}
FX(wdigest_fire)
{
    set_reg(s, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest",
            "UseLogonCredential", SNAP_REG_SZ, 1, "1");
}
FX(wdigest_miss)
{
    set_reg(s, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest",
            "UseLogonCredential", SNAP_REG_SZ, 1, "0");
}
#define WINKEY "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows"
FX(appinit_fire)
{
    set_reg(s, WINKEY, "AppInit_DLLs", SNAP_REG_SZ, 1, "C:\\ProgramData\\hook.dll");
    set_reg(s, WINKEY, "LoadAppInit_DLLs", SNAP_REG_SZ, 1, "1");
}
FX(appinit_miss)
{
    set_reg(s, WINKEY, "AppInit_DLLs", SNAP_REG_SZ, 1, "C:\\ProgramData\\hook.dll");
    set_reg(s, WINKEY, "LoadAppInit_DLLs", SNAP_REG_SZ, 1, "0");
}
FX(safedll_fire)
{
    set_reg(s, SM, "SafeDllSearchMode", SNAP_REG_SZ, 1, "0");
}
FX(safedll_miss)
{
    set_reg(s, SM, "SafeDllSearchMode", SNAP_REG_SZ, 1, "1");
}
FX(env_path_fire)
{
    /* A relative entry is the current folder: also a hijack, and quoted. */
    set_reg(s, SM "\\Environment", "Path", SNAP_REG_EXPAND_SZ, 1,
            "C:\\ProgramData\\Oracle\\Java\\javapath; \"C:\\Users\\Public\\bin\";"
            "%SystemRoot%\\system32;%SystemRoot%");
}
FX(env_path_miss)
{
    /* Java's installer prepends an admin-only folder; a user folder after
     * System32 cannot shadow a system program. */
    set_reg(s, SM "\\Environment", "Path", SNAP_REG_EXPAND_SZ, 1,
            "C:\\ProgramData\\Oracle\\Java\\javapath;%SYSTEMROOT%\\System32\\;"
            "%SystemRoot%;C:\\Users\\dev\\bin;.");
}
FX(wl_notify_fire)
{
    set_reg(s, KEY_WINLOGON "\\Notify\\evil", "DLLName", SNAP_REG_SZ, 1, "evil.dll");
}
FX(wl_notify_miss)
{
    set_reg(s, KEY_WINLOGON, "Taskman", SNAP_REG_SZ, 1, "");
    set_reg(s, KEY_WINLOGON, "AutoRestartShell", SNAP_REG_SZ, 1, "1");
}
FX(safeboot_fire)
{
    set_reg(s, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SafeBoot", "AlternateShell", SNAP_REG_SZ,
            1, "C:\\ProgramData\\sh.exe");
}
FX(safeboot_miss)
{
    set_reg(s, "HKLM\\SYSTEM\\ControlSet001\\Control\\SafeBoot", "AlternateShell", SNAP_REG_SZ, 1,
            "cmd.exe");
}

FX(sysexe_fire)
{
    add(s, 5200, 3020, "rundll32.exe", "C:\\Users\\Public\\rundll32.exe", ALICE, 1, 8, 70000, -1);
}
FX(sysexe_miss)
{
    add(s, 5200, 3020, "rundll32.exe", "C:\\WINDOWS\\SysWOW64\\rundll32.exe", ALICE, 1, 8, 70000,
        -1);
    add(s, 5204, 3020, "pwsh.exe", "C:\\Program Files\\PowerShell\\7\\pwsh.exe", ALICE, 1, 8, 70100,
        -1);
    add(s, 5208, 3020, "powershell.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", ALICE, 1, 8, 70200, -1);
}

FX(core_children_fire)
{
    add(s, 5210, 900, "conhost.exe", S32 "conhost.exe", ALICE, 1, 8, 70000, -1);
    add(s, 5214, 5210, "powershell.exe", S32 "WindowsPowerShell\\v1.0\\powershell.exe", ALICE, 1, 8,
        70100, -1);
}
FX(core_children_miss)
{
    add(s, 5210, 900, "conhost.exe", S32 "conhost.exe", ALICE, 1, 8, 70000, -1);
    add(s, 5214, 5210, "WerFault.exe", S32 "WerFault.exe", ALICE, 1, 8, 70100, 71000);
    add(s, 5218, 340, "autochk.exe", S32 "autochk.exe", SYSTEM, SNAP_NO_SESSION, 8, 2200, -1);
    add(s, 5222, 5218, "chkdsk.exe", S32 "chkdsk.exe", SYSTEM, SNAP_NO_SESSION, 8, 2300, 2400);
}

FX(lsaiso_inst_fire)
{
    add(s, 5230, 528, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 8, 3110, -1);
    add(s, 5234, 528, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 8, 90000, -1);
}
FX(lsaiso_inst_miss)
{
    add(s, 5230, 528, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 8, 3110, 5000);
    add(s, 5234, 528, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 8, 90000, -1);
}
FX(core_cmd_fire)
{
    P(s, 684)->command_line = "C:\\Windows\\system32\\lsass.exe -dump C:\\t.dmp";
}
FX(core_cmd_miss)
{
    P(s, 684)->command_line = "C:\\WINDOWS\\system32\\lsass.exe";
    P(s, 528)->command_line = "wininit.exe";
    P(s, 664)->command_line = "\"C:\\Windows\\system32\\services.exe\" ";
    P(s, 340)->command_line = "\\SystemRoot\\System32\\smss.exe";
}

/* ---- the shell, userinit, LsaIso, error reporting, ports, netsh ----------- */
#define EXPLORER "C:\\Windows\\explorer.exe"
FX(explorer_parent_fire)
{
    /* A dropper keeps the bare explorer.exe it started (and hollowed). */
    add(s, 5300, 3020, "inv.exe", "C:\\Users\\alice\\AppData\\Local\\Temp\\inv.exe", ALICE, 1, 8,
        60000, -1);
    add(s, 5304, 5300, "explorer.exe", EXPLORER, ALICE, 1, 8, 61000, -1);
}
FX(explorer_parent_miss)
{
    /* DcomLaunch's COM server, a folder window, and a bare one that hands
     * its window to the running shell and exits. */
    add(s, 5304, 900, "explorer.exe", EXPLORER, ALICE, 1, 8, 61000, -1)->command_line =
        EXPLORER " /factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b} -Embedding";
    add(s, 5308, 3020, "explorer.exe", EXPLORER, ALICE, 1, 8, 62000, -1)->command_line =
        "\"C:\\Windows\\explorer.exe\" /separate,/e,C:\\Users\\alice\\Documents";
    add(s, 5312, 3020, "explorer.exe", EXPLORER, ALICE, 1, 8, 63000, 64500);
}
FX(explorer_user_fire)
{
    P(s, 3020)->user = "CORP\\bob";
    P(s, 3020)->sid = "S-1-5-21-1-2-3-1002";
}
FX(explorer_user_miss)
{
    P(s, 3020)->user = "corp.example\\ALICE"; /* another spelling of the domain */
}
FX(explorer_inst_fire)
{
    add(s, 5316, 3000, "explorer.exe", EXPLORER, ALICE, 1, 8, 40700, -1);
}
FX(explorer_inst_miss)
{
    add(s, 5316, 900, "explorer.exe", EXPLORER, ALICE, 1, 8, 61000, -1)->command_line =
        EXPLORER " /factory,{ceff45ee-c862-41de-aee2-a022c81eda92} -Embedding";
    add(s, 5320, 3000, "explorer.exe", EXPLORER, ALICE, 1, 8, 40700, 41500);
}
FX(userinit_alive_fire)
{
    P(s, 3000)->exit_time = WT_NONE;
    s->at = at_ms(40500 + 11 * 60000);
}
FX(userinit_alive_miss)
{
    /* Still waiting for a logon script; and a snapshot a minute after logon. */
    P(s, 3000)->exit_time = WT_NONE;
    s->at = at_ms(40500 + 11 * 60000);
    add(s, 5324, 3000, "cmd.exe", S32 "cmd.exe", ALICE, 1, 8, 40600, -1)->command_line =
        "C:\\Windows\\system32\\cmd.exe /c \"\\\\corp.example\\NETLOGON\\logon.bat\"";
}
#define LSA_KEY "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
FX(lsaiso_cg_fire)
{
    add(s, 5074, 528, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 8, 3070, -1);
    set_reg(s, LSA_KEY, "LsaCfgFlags", SNAP_REG_SZ, 1, "0");
}
FX(lsaiso_cg_miss)
{
    /* Off under Lsa, on by Group Policy: the policy wins. */
    add(s, 5074, 528, "LsaIso.exe", S32 "LsaIso.exe", SYSTEM, 0, 8, 3070, -1);
    set_reg(s, LSA_KEY, "LsaCfgFlags", SNAP_REG_SZ, 1, "0");
    set_reg(s, "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceGuard", "LsaCfgFlags",
            SNAP_REG_SZ, 1, "1");
}
FX(wer_shell_fire)
{
    add(s, 5330, 924, "wermgr.exe", S32 "wermgr.exe", SYSTEM, 0, 8, 70000, -1);
    add(s, 5334, 5330, "cmd.exe", S32 "cmd.exe", SYSTEM, 0, 8, 70500, -1);
}
FX(wer_shell_miss)
{
    add(s, 5330, 924, "wermgr.exe", S32 "wermgr.exe", SYSTEM, 0, 8, 70000, -1);
    add(s, 5334, 5330, "WerFault.exe", S32 "WerFault.exe", SYSTEM, 0, 8, 70500, 71000);
    add(s, 5338, 924, "cmd.exe", S32 "cmd.exe", SYSTEM, 0, 8, 72000, 72100);
}
FX(acc_replaced_fire)
{
    add(s, 5340, 3020, "cmd.exe", S32 "cmd.exe", ALICE, 1, 8, 70000, 70100)->command_line =
        "cmd.exe /c copy /y C:\\Windows\\System32\\cmd.exe C:\\Windows\\System32\\sethc.exe";
}
FX(acc_replaced_miss)
{
    /* A backup copy of sethc, takeown on another file, the logon screen's
     * own sethc.exe 211. */
    add(s, 5340, 3020, "cmd.exe", S32 "cmd.exe", ALICE, 1, 8, 70000, 70100)->command_line =
        "cmd.exe /c copy C:\\Windows\\System32\\sethc.exe C:\\Users\\alice\\sethc.bak";
    add(s, 5344, 3020, "takeown.exe", S32 "takeown.exe", ALICE, 1, 8, 70200, 70300)->command_line =
        "takeown /f C:\\Windows\\System32\\drivers\\etc\\hosts";
    add(s, 5348, 600, "sethc.exe", S32 "sethc.exe", SYSTEM, 1, 8, 70400, 71000)->command_line =
        "sethc.exe 211";
}
#define PORTS "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Ports"
FX(port_fire)
{
    /* As Sysmon 13 splits it: the port's own backslashes end the key. */
    set_reg(s, PORTS "\\C:\\Windows\\System32", "ualapi.dll", SNAP_REG_SZ, 1, "");
}
FX(port_miss)
{
    set_reg(s, PORTS, "LPT1:", SNAP_REG_SZ, 1, "");
    set_reg(s, PORTS, "Ne00:", SNAP_REG_SZ, 1, "");
    set_reg(s, PORTS "\\C:\\Users\\alice\\Documents", "out.prn", SNAP_REG_SZ, 1, "");
}
FX(netsh_fire)
{
    set_reg(s, "HKLM\\SOFTWARE\\Microsoft\\NetSh", "AllTheThings", SNAP_REG_SZ, 1,
            "AllTheThings.dll");
}
FX(netsh_miss)
{
    set_reg(s, "HKLM\\SOFTWARE\\Microsoft\\NetSh", "ifmon", SNAP_REG_SZ, 1, "ifmon.dll");
    set_reg(s, "HKLM\\SOFTWARE\\Microsoft\\NetSh", "wlancfg", SNAP_REG_SZ, 1,
            "C:\\Windows\\System32\\WLANCFG.DLL");
}

struct fixture {
    const char *rule;
    void (*fire)(struct snap *s);
    void (*miss)(struct snap *s);
};

static const struct fixture fixtures[] = {
    {"SYSTEM-PID", sys_pid_fire, sys_pid_miss},
    {"EXPLORER-PARENT", explorer_parent_fire, explorer_parent_miss},
    {"EXPLORER-USER", explorer_user_fire, explorer_user_miss},
    {"EXPLORER-INSTANCES", explorer_inst_fire, explorer_inst_miss},
    {"USERINIT-NOT-EXITED", userinit_alive_fire, userinit_alive_miss},
    {"LSAISO-WITHOUT-CREDGUARD", lsaiso_cg_fire, lsaiso_cg_miss},
    {"WER-SYSTEM-SHELL", wer_shell_fire, wer_shell_miss},
    {"ACCESSIBILITY-REPLACED", acc_replaced_fire, acc_replaced_miss},
    {"PRINTER-PORT-FILE", port_fire, port_miss},
    {"NETSH-HELPER", netsh_fire, netsh_miss},
    {"SYSTEM-INSTANCES", sys_inst_fire, sys_inst_miss},
    {"SYSTEM-CHILDREN", sys_child_fire, sys_child_miss},
    {"SMSS-PARENT", smss_parent_fire, smss_parent_miss},
    {"SMSS-PATH", smss_path_fire, smss_path_miss},
    {"SMSS-INSTANCES", smss_inst_fire, smss_inst_miss},
    {"SMSS-CHILD-NOT-EXITED", smss_child_fire, smss_child_miss},
    {"SMSS-USER", smss_user_fire, smss_user_miss},
    {"SMSS-LATE", smss_late_fire, smss_late_miss},
    {"SMSS-SESSION", smss_sess_fire, smss_sess_miss},
    {"SMSS-PRIORITY", smss_prio_fire, smss_prio_miss},
    {"SMSS-CHILDREN", smss_children_fire, smss_children_miss},
    {"CSRSS-PARENT", csrss_parent_fire, csrss_parent_miss},
    {"CSRSS-PATH", csrss_path_fire, csrss_path_miss},
    {"CSRSS-USER", csrss_user_fire, csrss_user_miss},
    {"CSRSS-INSTANCES", csrss_inst_fire, csrss_inst_miss},
    {"CSRSS-LATE", csrss_late_fire, csrss_late_miss},
    {"CSRSS-CHILDREN", csrss_child_fire, csrss_child_miss},
    {"WININIT-PARENT", wininit_parent_fire, wininit_parent_miss},
    {"WININIT-PATH", wininit_path_fire, wininit_path_miss},
    {"WININIT-USER", wininit_user_fire, wininit_user_miss},
    {"WININIT-SESSION", wininit_sess_fire, wininit_sess_miss},
    {"WININIT-INSTANCES", wininit_inst_fire, wininit_inst_miss},
    {"WININIT-LATE", wininit_late_fire, wininit_late_miss},
    {"WINLOGON-PARENT", winlogon_parent_fire, winlogon_parent_miss},
    {"WINLOGON-PATH", winlogon_path_fire, winlogon_path_miss},
    {"WINLOGON-USER", winlogon_user_fire, winlogon_user_miss},
    {"WINLOGON-SESSION", winlogon_sess_fire, winlogon_sess_miss},
    {"WINLOGON-INSTANCES", winlogon_inst_fire, winlogon_inst_miss},
    {"WINLOGON-LATE", winlogon_late_fire, winlogon_late_miss},
    {"SERVICES-PARENT", services_parent_fire, services_parent_miss},
    {"SERVICES-PATH", services_path_fire, services_path_miss},
    {"SERVICES-USER", services_user_fire, services_user_miss},
    {"SERVICES-SESSION", services_sess_fire, services_sess_miss},
    {"SERVICES-INSTANCES", services_inst_fire, services_inst_miss},
    {"SERVICES-LATE", services_late_fire, services_late_miss},
    {"LSASS-PARENT", lsass_parent_fire, lsass_parent_miss},
    {"LSASS-PATH", lsass_path_fire, lsass_path_miss},
    {"LSASS-USER", lsass_user_fire, lsass_user_miss},
    {"LSASS-SESSION", lsass_sess_fire, lsass_sess_miss},
    {"LSASS-INSTANCES", lsass_inst_fire, lsass_inst_miss},
    {"LSASS-LATE", lsass_late_fire, lsass_late_miss},
    {"LSASS-CHILDREN", lsass_child_fire, lsass_child_miss},
    {"WININIT-CHILDREN", wininit_child_fire, wininit_child_miss},
    {"EXPLORER-SYSTEM", explorer_fire, explorer_miss},
    {"CORE-PATH", core_path_fire, core_path_miss},
    {"LOOKALIKE-NAME", lookalike_fire, lookalike_miss},
    {"SESSION-UNEXPLAINED", session_fire, session_miss},
    {"SM-BOOTEXECUTE", sm_boot_fire, sm_boot_miss},
    {"SM-EXECUTE", sm_exec_fire, sm_exec_miss},
    {"SM-APPCERTDLLS", sm_appcert_fire, sm_appcert_miss},
    {"SM-KNOWNDLLS", sm_known_fire, sm_known_miss},
    {"SM-PENDING-RENAME", sm_pend_fire, sm_pend_miss},
    {"SM-SUBSYSTEMS-EXTRA", sm_extra_fire, sm_extra_miss},
    {"SM-SUBSYSTEMS-REQUIRED", sm_req_fire, sm_req_miss},
    {"SM-SUBSYSTEMS-WINDOWS", sm_win_fire, sm_win_miss},
    {"SM-SUBSYSTEMS-KMODE", sm_kmode_fire, sm_kmode_miss},
    {"WINLOGON-SHELL", wl_shell_fire, wl_shell_miss},
    {"WINLOGON-SHELL", wl_user_shell_fire, wl_user_shell_miss},
    {"WINLOGON-USERINIT", wl_ui_fire, wl_ui_miss},
    {"WINLOGON-CHILDREN", winlogon_child_fire, winlogon_child_miss},
    {"SERVICES-SHELL", services_shell_fire, services_shell_miss},
    {"SERVICES-UNQUOTED-PATH", services_unq_fire, services_unq_miss},
    {"LSAISO-PARENT", lsaiso_parent_fire, lsaiso_parent_miss},
    {"USERINIT-CHILDREN", userinit_child_fire, userinit_child_miss},
    {"ACCESSIBILITY-SHELL", access_shell_fire, access_shell_miss},
    {"IFEO-DEBUGGER", ifeo_dbg_fire, ifeo_dbg_miss},
    {"SILENT-PROCESS-EXIT", spe_fire, spe_miss},
    {"LSASS-DUMP", lsass_dump_fire, lsass_dump_miss},
    {"SVCHOST-PARENT", svchost_parent_fire, svchost_parent_miss},
    {"SVCHOST-ARGS", svchost_args_fire, svchost_args_miss},
    {"SVCHOST-USER", svchost_user_fire, svchost_user_miss},
    {"USERINIT-PARENT", userinit_parent_fire, userinit_parent_miss},
    {"USERINIT-USER", userinit_user_fire, userinit_user_miss},
    {"CORE-PARENT", core_parent_fire, core_parent_miss},
    {"CORE-PRIORITY", core_prio_fire, core_prio_miss},
    {"CORE-INTEGRITY", core_integ_fire, core_integ_miss},
    {"SHELL-SYSTEM-SESSION", shell_sys_fire, shell_sys_miss},
    {"PROCESS-BEFORE-BOOT", before_boot_fire, before_boot_miss},
    {"LSA-PACKAGES", lsa_pkg_fire, lsa_pkg_miss},
    {"LSA-PROTECTION-OFF", lsa_prot_fire, lsa_prot_miss},
    {"WDIGEST-CACHING", wdigest_fire, wdigest_miss},
    {"APPINIT-DLLS", appinit_fire, appinit_miss},
    {"SAFE-DLL-SEARCH-OFF", safedll_fire, safedll_miss},
    {"SM-ENVIRONMENT-PATH", env_path_fire, env_path_miss},
    {"WINLOGON-NOTIFY", wl_notify_fire, wl_notify_miss},
    {"SAFEBOOT-ALTERNATESHELL", safeboot_fire, safeboot_miss},
    {"SYSTEM-EXE-PATH", sysexe_fire, sysexe_miss},
    {"CORE-CHILDREN", core_children_fire, core_children_miss},
    {"LSAISO-INSTANCES", lsaiso_inst_fire, lsaiso_inst_miss},
    {"CORE-CMDLINE", core_cmd_fire, core_cmd_miss},
};

/* ---- helpers ------------------------------------------------------------- */

static void run(struct snap *s, const struct chk_config *cfg, struct chk_findings *f)
{
    struct err e = {""};
    chk_findings_reset(f);
    assert_int_equal(chk_check(s, cfg, f, &e), 0);
}

static void print_findings(const char *what, const struct chk_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        fprintf(stderr, "  %s: %s %s\n", what, f->v[i].rule->id, f->v[i].message);
}

static int has_rule(const struct chk_findings *f, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].rule->id, id))
            return 1;
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void normal__boot__is_clean(void **state)
{
    (void)state;
    struct snap s;
    struct chk_findings f = {0};
    normal_boot(&s);
    run(&s, NULL, &f);
    print_findings("normal", &f);
    assert_int_equal(f.n, 0);
    assert_int_equal(f.nskipped, 0);
    chk_findings_release(&f);
    snap_release(&s);
}

/* Identity without resolution (issue 13): a parent that never exits is
 * judged by its pid when it is not in the snapshot, and by its name when
 * it has exited; a parent seen only in its child's event counts as one. */
static void identity__absent_or_exited_parents__judged(void **state)
{
    (void)state;
    struct snap s;
    struct chk_findings f = {0};
    struct chk_config only = {CHK_INFO, NULL, NULL};
    /* master smss whose parent pid names nobody */
    normal_boot(&s);
    P(&s, 340)->ppid = 7777;
    only.only = "SMSS-PARENT";
    run(&s, &only, &f);
    assert_int_equal(f.n, 1);
    assert_int_equal(s.procs[f.v[0].proc].pid, 340);
    assert_non_null(strstr(f.v[0].message, "7777"));
    snap_release(&s);
    /* ... or names a process created after it (pid reuse): not its parent */
    normal_boot(&s);
    P(&s, 340)->ppid = 3000; /* userinit, created at +40 s */
    run(&s, &only, &f);
    assert_int_equal(f.n, 1);
    snap_release(&s);
    /* lsass whose parent is absent while the boot's wininit is visible */
    normal_boot(&s);
    P(&s, 684)->ppid = 6666;
    only.only = "LSASS-PARENT";
    run(&s, &only, &f);
    assert_int_equal(f.n, 1);
    assert_non_null(strstr(f.v[0].message, "wininit"));
    /* ... but not when wininit is not visible either (a partial log) */
    del(&s, 528);
    run(&s, &only, &f);
    assert_int_equal(f.n, 0);
    snap_release(&s);
    /* a services.exe copy started by a tool that exited 0.3 s later */
    normal_boot(&s);
    add(&s, 7000, 5024, "tool.exe", "C:\\Temp\\tool.exe", SYSTEM, 0, 8, 60000, 60300);
    add(&s, 7004, 7000, "services.exe", S32 "services.exe", SYSTEM, 0, 9, 60000, -1);
    only.only = "SERVICES-PARENT";
    run(&s, &only, &f);
    assert_int_equal(f.n, 1);
    assert_non_null(strstr(f.v[0].message, "exited"));
    snap_release(&s);
    /* csrss keeps its tolerance: its smss child always exits */
    normal_boot(&s);
    only.only = "CSRSS-PARENT,WININIT-PARENT,WINLOGON-PARENT";
    run(&s, &only, &f);
    assert_int_equal(f.n, 0);
    snap_release(&s);
    /* smss -> cmd at boot where smss's own start predates the log */
    normal_boot(&s);
    struct snap_proc *m = P(&s, 340);
    m->create_time = WT_NONE;
    m->seen_as_parent = 1;
    add(&s, 7100, 340, "cmd.exe", S32 "cmd.exe", SYSTEM, 0, 8, 2500, -1);
    only.only = "SMSS-CHILDREN";
    run(&s, &only, &f);
    assert_int_equal(f.n, 1);
    assert_int_equal(s.procs[f.v[0].proc].pid, 7100);
    snap_release(&s);
    chk_findings_release(&f);
}

/* docs/rules.md's coverage table names real rules: every plain rule id in
 * it is a row of the table (wildcards like SM-SUBSYSTEMS-* are families). */
static void coverage__rule_ids__exist(void **state)
{
    (void)state;
    assert_true(chk_ncoverage > 10);
    for (size_t i = 0; i < chk_ncoverage; i++) {
        const char *p = chk_coverage[i].rules;
        while (*p) {
            size_t n = strcspn(p, ", ()");
            char id[64];
            snprintf(id, sizeof(id), "%.*s", (int)n, p);
            int plain = n > 1 && !strchr(id, '*');
            for (size_t k = 0; k < n && plain; k++)
                if (!((id[k] >= 'A' && id[k] <= 'Z') || (id[k] >= '0' && id[k] <= '9') ||
                      id[k] == '-'))
                    plain = 0;
            if (plain && !chk_rule_find(id))
                fail_msg("coverage row %zu names no rule '%s'", i, id);
            p += n;
            while (*p == ',' || *p == ' ' || *p == '(' || *p == ')')
                p++;
        }
    }
}

static void fixtures__every_rule__has_one(void **state)
{
    (void)state;
    for (size_t i = 0; i < chk_nrules; i++) {
        size_t k = 0;
        while (k < ARRAY_SIZE(fixtures) && strcmp(fixtures[k].rule, chk_rules[i].id))
            k++;
        if (k == ARRAY_SIZE(fixtures))
            fail_msg("rule %s has no fixture in tests/test_checker.c", chk_rules[i].id);
    }
    for (size_t k = 0; k < ARRAY_SIZE(fixtures); k++)
        if (!chk_rule_find(fixtures[k].rule))
            fail_msg("fixture for unknown rule %s", fixtures[k].rule);
}

static void fixtures__fire__reports_the_rule(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t k = 0; k < ARRAY_SIZE(fixtures); k++) {
        struct snap s;
        struct chk_findings f = {0};
        normal_boot(&s);
        fixtures[k].fire(&s);
        run(&s, NULL, &f);
        if (!has_rule(&f, fixtures[k].rule)) {
            fprintf(stderr, "%s: the fire fixture did not fire it\n", fixtures[k].rule);
            print_findings("got", &f);
            bad++;
        }
        /* --rules narrows to just that rule, still found. */
        struct chk_config only = {CHK_INFO, fixtures[k].rule, NULL};
        run(&s, &only, &f);
        if (!f.n || !has_rule(&f, fixtures[k].rule))
            bad++;
        for (size_t i = 0; i < f.n; i++)
            if (strcmp(f.v[i].rule->id, fixtures[k].rule))
                bad++;
        chk_findings_release(&f);
        snap_release(&s);
    }
    assert_int_equal(bad, 0);
}

static void fixtures__near_miss__stays_clean(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t k = 0; k < ARRAY_SIZE(fixtures); k++) {
        struct snap s;
        struct chk_findings f = {0};
        normal_boot(&s);
        fixtures[k].miss(&s);
        run(&s, NULL, &f);
        if (f.n) {
            fprintf(stderr, "%s: the near miss raised findings\n", fixtures[k].rule);
            print_findings("got", &f);
            bad++;
        }
        chk_findings_release(&f);
        snap_release(&s);
    }
    assert_int_equal(bad, 0);
}

/* Null every field of every process, one at a time: no crash, no finding. */
static void missing_fields__one_at_a_time__never_a_finding(void **state)
{
    (void)state;
    struct snap base;
    normal_boot(&base);
    size_t n = base.nprocs;
    snap_release(&base);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        for (int fld = 0; fld < 13; fld++) {
            struct snap s;
            struct chk_findings f = {0};
            normal_boot(&s);
            struct snap_proc *p = &s.procs[i];
            switch (fld) {
            case 0: p->name = NULL; break;
            case 1: p->image = NULL; break;
            case 2: p->command_line = NULL; break;
            case 3: p->user = NULL; break;
            case 4: p->sid = NULL; break;
            case 5: p->session = SNAP_NO_SESSION; break;
            case 6: p->base_priority = SNAP_NO_PRIORITY; break;
            case 7: p->create_time = WT_NONE; break;
            case 8: p->ppid = 0; break;
            case 9: p->logon_id = 0; break;
            case 10: p->name = ""; break;
            case 11: p->image = ""; break;
            case 12: p->user = NULL, p->sid = NULL, p->logon_id = 0; break;
            }
            run(&s, NULL, &f);
            if (f.n) {
                fprintf(stderr, "process %zu (pid %lu) field %d missing:\n", i,
                        (unsigned long)p->pid, fld);
                print_findings("got", &f);
                bad++;
            }
            chk_findings_release(&f);
            snap_release(&s);
        }
    assert_int_equal(bad, 0);
}

/* Every rule, on an empty snapshot and on one with only names: no crash. */
static void missing_fields__bare_snapshot__no_crash(void **state)
{
    (void)state;
    struct snap s;
    struct chk_findings f = {0};
    snap_init(&s);
    s.fields = SNAP_F_ALL;
    run(&s, NULL, &f);
    assert_int_equal(f.n, 0);
    struct snap_proc *p = snap_add_proc(&s);
    p->pid = 4;
    p = snap_add_proc(&s);
    p->pid = 8;
    p->ppid = 4;
    struct snap_reg *r = snap_add_reg(&s);
    r->key = KEY_SM;
    r->name = "BootExecute";
    r->type = SNAP_REG_MULTI_SZ;
    run(&s, NULL, &f);
    assert_int_equal(f.n, 0);
    chk_findings_release(&f);
    snap_release(&s);
}

static void needs__fields_missing__rules_skipped(void **state)
{
    (void)state;
    struct snap s;
    struct chk_findings f = {0};
    normal_boot(&s);
    sm_boot_fire(&s);
    P(&s, 340)->image = "C:\\Windows\\Temp\\smss.exe";
    /* A 4688 log: no registry, no command line (e.g.), no priority. */
    s.fields = SNAP_F_ALL & ~(SNAP_F_REGISTRY | SNAP_F_IMAGE | SNAP_F_PRIORITY);
    run(&s, NULL, &f);
    assert_false(has_rule(&f, "SM-BOOTEXECUTE"));
    assert_false(has_rule(&f, "SMSS-PATH"));
    int sk_boot = 0, sk_path = 0, sk_prio = 0;
    for (size_t i = 0; i < f.nskipped; i++) {
        sk_boot |= !strcmp(f.skipped[i]->id, "SM-BOOTEXECUTE");
        sk_path |= !strcmp(f.skipped[i]->id, "SMSS-PATH");
        sk_prio |= !strcmp(f.skipped[i]->id, "SMSS-PRIORITY");
        assert_true(f.skipped[i]->needs & (SNAP_F_REGISTRY | SNAP_F_IMAGE | SNAP_F_PRIORITY));
    }
    assert_true(sk_boot && sk_path && sk_prio);
    chk_findings_release(&f);
    snap_release(&s);
}

/* A csrss/winlogon pair in a session nobody created: more instances than
 * sessions, and a late start no session explains. */
static void sessions__unknown_session__counts_and_late(void **state)
{
    (void)state;
    struct snap s;
    struct chk_findings f = {0};
    normal_boot(&s);
    session_fire(&s);
    run(&s, NULL, &f);
    assert_true(has_rule(&f, "SESSION-UNEXPLAINED"));
    assert_true(has_rule(&f, "WINLOGON-INSTANCES"));
    assert_true(has_rule(&f, "CSRSS-INSTANCES"));
    assert_true(has_rule(&f, "WINLOGON-LATE"));
    /* Without a session list the same processes cannot be judged. */
    s.fields &= ~SNAP_F_SESSIONS;
    run(&s, NULL, &f);
    assert_int_equal(f.n, 0);
    chk_findings_release(&f);
    snap_release(&s);
}

static void config__filters__work(void **state)
{
    (void)state;
    struct snap s;
    struct chk_findings f = {0};
    struct err e = {""};
    normal_boot(&s);
    sm_pend_fire(&s);    /* medium */
    lsass_path_fire(&s); /* critical */
    struct chk_config cfg = {CHK_HIGH, NULL, NULL};
    run(&s, &cfg, &f);
    assert_true(has_rule(&f, "LSASS-PATH"));
    assert_false(has_rule(&f, "SM-PENDING-RENAME"));
    cfg = (struct chk_config){CHK_INFO, NULL, "lsass-path, SM-PENDING-RENAME"};
    run(&s, &cfg, &f);
    assert_int_equal(f.n, 0);
    cfg = (struct chk_config){CHK_INFO, "NO-SUCH-RULE", NULL};
    assert_int_equal(chk_check(&s, &cfg, &f, &e), -1);
    assert_non_null(strstr(e.msg, "NO-SUCH-RULE"));
    cfg = (struct chk_config){CHK_INFO, NULL, "LSASS-PATH,BOGUS"};
    assert_int_equal(chk_check(&s, &cfg, &f, &e), -1);
    chk_findings_release(&f);
    snap_release(&s);
}

static void lookalike__names__detected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "smmss.exe",
        "lsas.exe",
        "scvhost.exe",
        "csrsss.exe",
        "lsass.exe.exe",
        "lsass .exe",
        "svch0st.exe",
        "\xd1\x95mss.exe" /* Cyrillic dze */,
        "l\xd1\x95"
        "ass.exe",
        "svch\xce\xbfst.exe" /* Greek omicron */,
        "1sass.exe",
        "wlnlogon.exe",
        "winlogon.com",
        "lsass.exe.",
        "expl0rer.exe",
        "userlnit.exe",
        "servicess.exe",
        "wininlt.exe",
        "\xef\xbd\x93mss.exe" /* full-width s */,
        "svchosts.exe",
        "ISASS.EXE",
    };
    static const char *const good[] = {
        "lsass.exe",   "LSASS.EXE",       "smss.exe",
        "svchost.exe", "iexplore.exe",    "sihost.exe",
        "Ssms.exe",    "taskhostw.exe",   "notepad.exe",
        "lsm.exe",     "LsaIso.exe",      "smss",
        "conhost.exe", "dllhost.exe",     "WerFault.exe",
        "Registry",    "System",          "",
        "dwm.exe",     "fontdrvhost.exe", "RuntimeBroker.exe",
    };
    const char *im;
    char why[64];
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (!chk_lookalike(bad[i], &im, why, sizeof(why)))
            fail_msg("'%s' not detected as a lookalike", bad[i]);
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        if (chk_lookalike(good[i], &im, why, sizeof(why)))
            fail_msg("'%s' wrongly flagged as imitating %s (%s)", good[i], im, why);
    assert_int_equal(chk_lookalike("lsas.exe", &im, why, sizeof(why)), 1);
    assert_string_equal(im, "lsass.exe");
    /* The distance is worked out only near the diagonal: the exact figure
     * at the edge of that band (2 for long names), a swap counting one,
     * and one step past the band found nothing. */
    static const struct {
        const char *name, *imitated, *why;
    } exact[] = {
        {"svchostxx.exe", "svchost.exe", "edit distance 2"},
        {"xxsvchost.exe", "svchost.exe", "edit distance 2"},
        {"svhcost.exe", "svchost.exe", "edit distance 1"},
        {"sevrcies.exe", "services.exe", "edit distance 2"},
        {"winlgoon.exe", "winlogon.exe", "edit distance 1"},
        {"smsx.exe", "smss.exe", "edit distance 1"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(exact); i++) {
        if (!chk_lookalike(exact[i].name, &im, why, sizeof(why)))
            fail_msg("'%s' not detected", exact[i].name);
        assert_string_equal(im, exact[i].imitated);
        assert_string_equal(why, exact[i].why);
    }
    assert_int_equal(chk_lookalike("svchostxxx.exe", &im, why, sizeof(why)), 0);
    assert_int_equal(chk_lookalike("xvcxoxt.exe", &im, why, sizeof(why)), 0);
}

/* chk_in_list compiles each list once and remembers it by address: the
 * answers must be those of a plain word-by-word search, for every list
 * shape, for many lists at once (slots shared) and past CHK_LIST_MAX. */
static void in_list__answers__as_a_plain_search(void **state)
{
    (void)state;
    static const char shells[] = "cmd.exe|PowerShell.exe|wt.exe";
    assert_true(chk_in_list(shells, "CMD.EXE"));
    assert_true(chk_in_list(shells, "powershell.exe"));
    assert_true(chk_in_list(shells, "wt.exe"));
    assert_false(chk_in_list(shells, "cmd.ex"));
    assert_false(chk_in_list(shells, "cmd.exe "));
    assert_false(chk_in_list(shells, "pwsh.exe"));
    assert_false(chk_in_list(shells, ""));
    assert_false(chk_in_list(NULL, "cmd.exe"));
    assert_false(chk_in_list(shells, NULL));
    /* Empty words: at the start, between bars, at the end, alone. */
    assert_true(chk_in_list("|a", ""));
    assert_true(chk_in_list("a||b", ""));
    assert_true(chk_in_list("a|", ""));
    assert_true(chk_in_list("", ""));
    assert_false(chk_in_list("a|b", ""));
    assert_true(chk_in_list("a||b", "B"));
    /* More lists than the cache has slots, asked in turn twice. */
    static char many[200][16];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 200; i++) {
            snprintf(many[i], sizeof(many[i]), "x%d|y%d", i, i);
            char want[16], other[16];
            snprintf(want, sizeof(want), "Y%d", i);
            snprintf(other, sizeof(other), "y%d", i + 1);
            assert_true(chk_in_list(many[i], want));
            assert_false(chk_in_list(many[i], other));
        }
    /* Past CHK_LIST_MAX words: searched word by word. */
    char big[8 * (CHK_LIST_MAX + 10)] = "";
    for (int i = 0; i < CHK_LIST_MAX + 10; i++) {
        char w[12];
        snprintf(w, sizeof(w), "%sw%d", i ? "|" : "", i);
        strcat(big, w);
    }
    assert_true(chk_in_list(big, "w0"));
    assert_true(chk_in_list(big, "W57"));
    assert_false(chk_in_list(big, "w58"));
}

static void path_norm__variants__agree(void **state)
{
    (void)state;
    static const char *const same[] = {
        "C:\\Windows\\System32\\smss.exe",
        "c:\\WINDOWS\\system32\\SMSS.EXE",
        "\\SystemRoot\\System32\\smss.exe",
        "%SystemRoot%\\system32\\smss.exe",
        "\\??\\C:\\Windows\\System32\\smss.exe",
        "\\Device\\HarddiskVolume3\\Windows\\System32\\smss.exe",
        "\"C:\\Windows\\System32\\smss.exe\"",
        "D:\\Windows\\System32\\smss.exe",
        "C:/Windows/System32/smss.exe",
        "C:\\Windows\\\\System32\\smss.exe",
    };
    char out[256];
    for (size_t i = 0; i < ARRAY_SIZE(same); i++) {
        assert_true(chk_path_norm(same[i], out, sizeof(out)) > 0);
        assert_string_equal(out, "\\windows\\system32\\smss.exe");
    }
    assert_int_equal(chk_path_norm("C:\\Windows\\System32\\smss.exe", out, 8), -1);
}

/* Findings on several snapshots: order is stable and JSON parses back. */
static void json__finding_lines__parse_and_are_stable(void **state)
{
    (void)state;
    struct snap s;
    struct chk_findings f = {0};
    normal_boot(&s);
    smss_parent_fire(&s);
    sm_boot_fire(&s);
    /* A hostile name must not break the document. */
    add(&s, 5070, 3020, "ls\"as\\\n\x01\xff.exe", NULL, ALICE, 1, 8, 90000, -1);
    run(&s, NULL, &f);
    assert_true(f.n >= 3);
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    static const char *const keys_proc[] = {"rule",     "severity", "title",  "technique",
                                            "snapshot", "process",  "message"};
    static const char *const keys_reg[] = {"rule",     "severity", "title",  "technique",
                                           "snapshot", "registry", "message"};
    int saw_proc = 0, saw_reg = 0;
    for (size_t i = 0; i < f.n; i++) {
        sb_reset(&a);
        chk_finding_json(&a, &s, &f.v[i]);
        cJSON *o = cJSON_Parse(a.buf);
        assert_non_null(o);
        const char *const *keys = f.v[i].proc >= 0 ? keys_proc : keys_reg;
        size_t k = 0;
        for (const cJSON *x = o->child; x; x = x->next, k++) {
            assert_true(k < 7);
            assert_string_equal(x->string, keys[k]);
        }
        assert_int_equal(k, 7);
        assert_string_equal(cJSON_GetObjectItem(o, "rule")->valuestring, f.v[i].rule->id);
        const cJSON *snapo = cJSON_GetObjectItem(o, "snapshot");
        assert_string_equal(cJSON_GetObjectItem(snapo, "host")->valuestring, "WS01");
        assert_string_equal(cJSON_GetObjectItem(snapo, "at")->valuestring,
                            "2024-05-01T08:02:00.000000Z");
        if (f.v[i].proc >= 0) {
            const cJSON *po = cJSON_GetObjectItem(o, "process");
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(po, "pid")));
            assert_true(cJSON_IsString(cJSON_GetObjectItem(po, "create_time")));
            saw_proc = 1;
        } else {
            const cJSON *ro = cJSON_GetObjectItem(o, "registry");
            assert_string_equal(cJSON_GetObjectItem(ro, "name")->valuestring, "BootExecute");
            saw_reg = 1;
        }
        cJSON_Delete(o);
        sb_addf(&b, "%s\n", a.buf);
    }
    assert_true(saw_proc && saw_reg);
    /* Same input, same bytes. */
    char *first = xstrdup(b.buf ? b.buf : "");
    sb_reset(&b);
    run(&s, NULL, &f);
    for (size_t i = 0; i < f.n; i++) {
        sb_reset(&a);
        chk_finding_json(&a, &s, &f.v[i]);
        sb_addf(&b, "%s\n", a.buf);
    }
    assert_string_equal(first, b.buf);
    free(first);
    sb_release(&a);
    sb_release(&b);
    chk_findings_release(&f);
    snap_release(&s);
}

/* A kb row (kb/kb.c) holds both what the checker enforces and the card
 * explain teaches: its prose must say what its lists allow. Every parent a
 * card names is one the row allows (the row allows more: Elastic's
 * exceptions), and a row kept in System32 has its card's image there. */
static int mentions(const char *hay, const char *needle, size_t n)
{
    for (; *hay; hay++)
        if (!ascii_ncasecmp(hay, needle, n))
            return 1;
    return 0;
}

static void cards__agree_with__core_rows(void **state)
{
    (void)state;
    size_t carded = 0;
    for (size_t i = 0; i < kb_nprocs; i++) {
        const struct kb_proc *c = &kb_procs[i];
        assert_int_equal(kb_proc_index(c->name), (int)i);
        const struct kb_proc *p = c->does ? c : NULL;
        if (!p)
            continue;
        carded++;
        assert_ptr_equal(kb_card_find(c->name), c);
        assert_non_null(p->image);
        assert_non_null(p->unusual);
        if (c->dirs && strstr(c->dirs, "\\windows\\system32") && !mentions(p->image, "System32", 8))
            fail_msg("%s: card image %s, checker System32", c->name, p->image);
        for (const char *t = c->parents ? p->parent : ""; (t = strstr(t, ".exe")) != NULL; t += 4) {
            const char *s = t;
            while (s > p->parent && s[-1] != ' ' && s[-1] != '(' && s[-1] != ',')
                s--;
            size_t n = (size_t)(t + 4 - s);
            if (!mentions(c->parents, s, n) &&
                !(c->parents_win7 && mentions(c->parents_win7, s, n)))
                fail_msg("%s: the card names parent %.*s, the checker allows %s", c->name, (int)n,
                         s, c->parents);
        }
    }
    /* A row without a card is no lesson: explain does not find it. */
    assert_null(kb_card_find("spoolsv.exe"));
    assert_non_null(kb_card_find("smss"));
    assert_true(carded >= 10);
}

/* Which rule judges a core row's path, parents, children and priority comes
 * from rules.def alone: a row with its own rule (SMSS-PATH, ...) is left
 * alone by the CORE-* one, so nothing is reported twice or missed. */
static void cores__own_rules__derived_from_the_rule_table(void **state)
{
    (void)state;
    unsigned smss = chk_core_own((size_t)kb_proc_index("smss.exe"));
    assert_int_equal(smss, CHK_OWN_PATH | CHK_OWN_PARENT | CHK_OWN_CHILDREN | CHK_OWN_PRIORITY);
    assert_int_equal(chk_core_own((size_t)kb_proc_index("lsass.exe")),
                     CHK_OWN_PATH | CHK_OWN_PARENT | CHK_OWN_CHILDREN);
    assert_int_equal(chk_core_own((size_t)kb_proc_index("svchost.exe")), CHK_OWN_PARENT);
    assert_int_equal(chk_core_own((size_t)kb_proc_index("dwm.exe")), 0);
    assert_int_equal(chk_core_own((size_t)kb_proc_index("userinit.exe")),
                     CHK_OWN_PARENT | CHK_OWN_CHILDREN);
    /* Every rule with a target names a row. */
    for (size_t i = 0; i < chk_nrules; i++)
        if (chk_rules[i].target && kb_proc_index(chk_rules[i].target) < 0)
            fail_msg("%s targets unknown core process %s", chk_rules[i].id, chk_rules[i].target);
}

/* A parent only Windows 7 has (kb_proc.parents_win7): Windows 7 starts
 * dwm.exe from the UxSms service's svchost, Windows 8 and later from
 * winlogon. A Windows 10 snapshot reports it, a Windows 7 one and one that
 * does not say its OS do not. */
static void core_parent__windows7_parent__allowed_by_os(void **state)
{
    (void)state;
    static const struct {
        const char *os;
        int fires;
    } cases[] = {{"win10", 1}, {"server2022", 1}, {"win7", 0}, {NULL, 0}};
    struct chk_findings f = {0};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct snap s;
        normal_boot(&s);
        s.os = cases[i].os;
        add(&s, 5188, 900, "dwm.exe", S32 "dwm.exe", ALICE, 1, 13, 70200, -1);
        run(&s, NULL, &f);
        if (has_rule(&f, "CORE-PARENT") != cases[i].fires)
            fail_msg("os %s: CORE-PARENT %s", cases[i].os ? cases[i].os : "unknown",
                     cases[i].fires ? "missing" : "reported");
        snap_release(&s);
    }
    chk_findings_release(&f);
}

/* A living smss child whose session's csrss and winlogon are recorded under
 * another parent (the TermService svchost of an RDP session, sample 784 of
 * the seed-7 corpus): they still show the session was made, so a log that
 * goes on 8 s without the child's exit reports it, and one that stops 1 s
 * after them does not. */
static void smss_child__session_made_under_another_parent__judged(void **state)
{
    (void)state;
    static const struct {
        int64_t at_ms;
        int fires;
    } cases[] = {{11028, 1}, {4000, 0}};
    struct chk_findings f = {0};
    struct chk_config cfg = {CHK_INFO, "SMSS-CHILD-NOT-EXITED", NULL};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct snap s;
        normal_boot(&s);
        P(&s, 536)->exit_time = WT_NONE;
        P(&s, 544)->ppid = 664;
        P(&s, 600)->ppid = 664;
        s.at = at_ms(cases[i].at_ms);
        run(&s, &cfg, &f);
        if (has_rule(&f, "SMSS-CHILD-NOT-EXITED") != cases[i].fires)
            fail_msg("at %lld ms: SMSS-CHILD-NOT-EXITED %s", (long long)cases[i].at_ms,
                     cases[i].fires ? "missing" : "reported");
        snap_release(&s);
    }
    chk_findings_release(&f);
}

static void table__rows__are_complete(void **state)
{
    (void)state;
    for (size_t i = 0; i < chk_nrules; i++) {
        const struct chk_rule *r = &chk_rules[i];
        assert_non_null(r->id);
        assert_non_null(r->title);
        assert_non_null(r->normal);
        assert_non_null(r->rationale);
        assert_non_null(r->technique);
        assert_non_null(r->source);
        assert_non_null(r->process);
        assert_non_null(r->check);
        assert_ptr_equal(chk_rule_find(r->id), r);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(chk_rules[j].id, r->id);
    }
    assert_true(chk_lesson_exists("smss.exe"));
    assert_true(chk_lesson_exists("SMSS"));
    assert_true(chk_lesson_exists("registry"));
    assert_false(chk_lesson_exists("notepad.exe"));
    enum chk_severity sv;
    assert_int_equal(chk_severity_parse("HIGH", &sv), 0);
    assert_int_equal(sv, CHK_HIGH);
    assert_int_equal(chk_severity_parse("severe", &sv), -1);
}

/* A snapshot of 100,000 processes is checked and stays clean (its speed is
 * bench/'s to measure: make bench). */
static void scale__hundred_thousand_processes__checked_clean(void **state)
{
    (void)state;
    struct snap s;
    struct chk_findings f = {0};
    normal_boot(&s);
    for (uint32_t k = 0; k < 100000; k++) {
        struct snap_proc *p = add(&s, 10000 + 4 * k, 664, "svchost.exe", S32 "svchost.exe", SYSTEM,
                                  0, 8, 5000 + k, -1);
        p->command_line = S32 "svchost.exe -k netsvcs -p";
    }
    run(&s, NULL, &f);
    assert_int_equal(f.n, 0);
    chk_findings_release(&f);
    snap_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal__boot__is_clean),
        cmocka_unit_test(fixtures__every_rule__has_one),
        cmocka_unit_test(coverage__rule_ids__exist),
        cmocka_unit_test(identity__absent_or_exited_parents__judged),
        cmocka_unit_test(fixtures__fire__reports_the_rule),
        cmocka_unit_test(smss_child__session_made_under_another_parent__judged),
        cmocka_unit_test(fixtures__near_miss__stays_clean),
        cmocka_unit_test(missing_fields__one_at_a_time__never_a_finding),
        cmocka_unit_test(missing_fields__bare_snapshot__no_crash),
        cmocka_unit_test(needs__fields_missing__rules_skipped),
        cmocka_unit_test(sessions__unknown_session__counts_and_late),
        cmocka_unit_test(config__filters__work),
        cmocka_unit_test(lookalike__names__detected),
        cmocka_unit_test(in_list__answers__as_a_plain_search),
        cmocka_unit_test(path_norm__variants__agree),
        cmocka_unit_test(json__finding_lines__parse_and_are_stable),
        cmocka_unit_test(table__rows__are_complete),
        cmocka_unit_test(cards__agree_with__core_rows),
        cmocka_unit_test(cores__own_rules__derived_from_the_rule_table),
        cmocka_unit_test(core_parent__windows7_parent__allowed_by_os),
        cmocka_unit_test(scale__hundred_thousand_processes__checked_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
