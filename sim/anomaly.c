/*
 * anomaly: the catalogue of injectable anomalies (docs/anomalies.md). Each
 * entry changes the simulation the way the real attack or fault would -- a
 * process with a believable parent chain, path and user, or a registry value
 * that smss and winlogon then act on -- and records a ground-truth label
 * naming what it touched and the checker rules expected to fire.
 *
 * Attack chains follow what Sysmon records for them: an elevated shell run
 * from the user's explorer.exe (UAC records the requester as the parent), or
 * a SYSTEM shell from a PsExec-style service (services.exe -> PSEXESVC.exe ->
 * cmd.exe). Techniques are ATT&CK v18.1 ids from ../shared/domain.md.
 */
#include "anomaly.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

#define SYS32 "C:\\Windows\\System32\\"
#define KEY_LSA "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
#define KEY_IFEO \
    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options"
#define KEY_SPE "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit"

static long set1(struct sim *sm, const char *key, const char *name, enum snap_reg_type type,
                 const char *v, int label);

/* ---- parameters ------------------------------------------------------------------ */

static const struct scn_param *param(const struct scn_anomaly *an, const char *key)
{
    for (size_t i = 0; i < an->nparams; i++)
        if (!strcmp(an->params[i].key, key))
            return &an->params[i];
    return NULL;
}

static int vbad(const char *file, struct scn_loc loc, struct err *e, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int vbad(const char *file, struct scn_loc loc, struct err *e, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    err_set(e, "%s:%d:%d: %s", file, loc.line, loc.col, msg);
    return -1;
}

static int bad_in(const char *file, struct scn_loc loc, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad_in(const char *file, struct scn_loc loc, struct err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vbad(file, loc, e, fmt, ap);
    va_end(ap);
    return -1;
}

static int bad(const struct sim *sm, struct scn_loc loc, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(const struct sim *sm, struct scn_loc loc, struct err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vbad(sm->sc->file, loc, e, fmt, ap);
    va_end(ap);
    return -1;
}

/* The index of value among d's choices (ASCII case-insensitive), or -1. */
static long choice_index(const struct anom_pdef *d, const char *value)
{
    for (long k = 0; d->choices && d->choices[k]; k++)
        if (!ascii_casecmp(value, d->choices[k]))
            return k;
    return -1;
}

/* One value against its parameter's kind: the messages the loader gives. */
static int check_value(const char *file, const struct anom_pdef *d, const struct scn_param *p,
                       struct err *e)
{
    int64_t dur;
    uint64_t id;
    switch (d->kind) {
    case AP_CHOICE:
        if (choice_index(d, p->value) < 0) {
            struct strbuf sb = STRBUF_INIT;
            for (size_t k = 0; d->choices[k]; k++)
                sb_addf(&sb, "%s%s", k ? "|" : "", d->choices[k]);
            bad_in(file, p->loc, e, "'%s' is not a valid value here (expected one of: %s)",
                   p->value, sb.buf);
            sb_release(&sb);
            return -1;
        }
        return 0;
    case AP_DURATION:
        if (wt_parse_duration(p->value, SCN_MAX_TIME, &dur) < 0)
            return bad_in(file, p->loc, e,
                          "'%s' is not a duration like 90s, 5m or 1h30m (at most 366d)", p->value);
        return 0;
    case AP_SESSION:
        if (parse_u64(p->value, SCN_SESSION_ID_MAX, &id) < 0)
            return bad_in(file, p->loc, e, "'%s' is not a session id (0..65535)", p->value);
        return 0;
    case AP_FULLPATH:
        /* A printable path: at most 260 characters (MAX_PATH), with a folder. */
        if (strlen(p->value) > 260 || !strchr(p->value, '\\'))
            return bad_in(file, p->loc, e,
                          "'%.200s' is not a Windows path like C:\\Windows\\Temp\\x.exe", p->value);
        return 0;
    case AP_PATH:
    case AP_NAME:
    case AP_TEXT: return 0;
    }
    return 0;
}

/* The choice for `key` as the row spells it (the default, the first, when the
 * scenario sets none). anom_check has checked the value already. */
static int param_choice(struct sim *sm, const struct scn_anomaly *an, const struct anom_type *t,
                        const char *key, const char **out, struct err *e)
{
    *out = NULL;
    const struct anom_pdef *d = anom_pdef(t, key);
    if (!d || d->kind != AP_CHOICE)
        return 0;
    const struct scn_param *p = param(an, key);
    long k = p ? choice_index(d, p->value) : 0;
    if (k < 0)
        return check_value(sm->sc->file, d, p, e);
    *out = d->choices[k];
    return 0;
}

static int param_str(const struct scn_anomaly *an, const char *key, const char *dflt,
                     const char **out)
{
    const struct scn_param *p = param(an, key);
    *out = p ? p->value : dflt;
    return 0;
}

static int param_dur(const struct sim *sm, const struct scn_anomaly *an, const char *key,
                     int64_t dflt, int64_t *out, struct err *e)
{
    const struct scn_param *p = param(an, key);
    if (!p) {
        *out = dflt;
        return 0;
    }
    if (wt_parse_duration(p->value, SCN_MAX_TIME, out) < 0)
        return check_value(sm->sc->file, &(struct anom_pdef){.key = key, .kind = AP_DURATION}, p,
                           e);
    return 0;
}

static int param_session(const struct sim *sm, const struct scn_anomaly *an, int32_t dflt,
                         int32_t *out, struct err *e)
{
    const struct scn_param *p = param(an, "session");
    if (!p) {
        *out = dflt;
        return 0;
    }
    uint64_t v;
    if (parse_u64(p->value, SCN_SESSION_ID_MAX, &v) < 0)
        return check_value(sm->sc->file, &(struct anom_pdef){.key = "session", .kind = AP_SESSION},
                           p, e);
    *out = (int32_t)v;
    return 0;
}

/* ---- helpers the anomalies share --------------------------------------------------- */

static const struct scn_session *session_cfg(const struct sim *sm, int32_t id)
{
    for (size_t i = 0; i < sm->sc->nsessions; i++)
        if (sm->sc->sessions[i].id == id)
            return &sm->sc->sessions[i];
    return NULL;
}

/* Anomalies acting from a user's desktop need that user logged on before `at`. */
static int need_user(const struct sim *sm, const struct scn_anomaly *an, int32_t session,
                     int64_t at, struct err *e)
{
    const struct scn_session *s = session_cfg(sm, session);
    if (!s || !s->user || s->logon == WT_NONE)
        return bad(sm, an->loc, e,
                   "anomaly '%s' acts from the desktop of session %d, but nobody logs on there "
                   "(add a user and logon to that session)",
                   an->type, (int)session);
    if (s->logon + 20 * WT_SEC > at)
        return bad(sm, an->loc, e,
                   "anomaly '%s' acts before the user of session %d has logged on (set 'at' "
                   "at least 20s after the logon)",
                   an->type, (int)session);
    return 0;
}

static struct sess *live_sess(struct sim *sm, int32_t id)
{
    struct sess *s = sim_sess(sm, id);
    if (s && s->main >= 0 && sm->procs[s->main].exit_time == WT_NONE)
        return s;
    return NULL;
}

static struct pspec user_of(const struct sess *s, const char *integrity)
{
    struct pspec p = {.user = s->user,
                      .sid = s->sid,
                      .integrity = integrity,
                      .session = s->id,
                      .prio = 8,
                      .logon_id = s->logon_id,
                      .cwd = "C:\\Windows\\system32\\"};
    return p;
}

static struct pspec system_in(int32_t session)
{
    struct pspec p = sim_system_user;
    p.session = session;
    p.prio = 8;
    p.cwd = "C:\\Windows\\system32\\";
    return p;
}

static struct pspec named(struct pspec p, const char *name, const char *image, const char *cmd)
{
    p.name = name;
    p.image = image;
    p.cmd = cmd;
    return p;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '\\');
    return b ? b + 1 : path;
}

/* An elevated cmd.exe the user started from explorer (UAC records explorer). */
static long user_shell(struct sim *sm, int64_t t, struct sess *s, int label)
{
    if (!s || s->explorer < 0)
        return -1;
    struct pspec p =
        named(user_of(s, "High"), "cmd.exe", SYS32 "cmd.exe", "\"C:\\Windows\\system32\\cmd.exe\"");
    return sim_create(sm, t, s->explorer, &p, label);
}

/* A SYSTEM shell in session 0 through a PsExec-style service. */
static long system_shell(struct sim *sm, int64_t t, int label)
{
    if (sm->services < 0)
        return -1;
    struct pspec svc = named(system_in(0), "PSEXESVC.exe", "C:\\Windows\\PSEXESVC.exe",
                             "C:\\Windows\\PSEXESVC.exe");
    long s = sim_create(sm, t, sm->services, &svc, label);
    struct pspec cmd = named(system_in(0), "cmd.exe", SYS32 "cmd.exe", "\"cmd.exe\"");
    return sim_create(sm, t + sim_rand_ms(sm, 200, 900), s, &cmd, label);
}

/* The label target must be the process the anomaly is about, not the shell
 * that started it: create the chain first, then point the label at it. */
static void target(struct sim *sm, int label, long proc)
{
    if (proc < 0)
        return;
    sm->labels[label - 1].pid = sm->procs[proc].pid;
    sm->labels[label - 1].create_time = sm->procs[proc].create_time;
}

static const char *core_image(struct sim *sm, const char *name)
{
    return sim_printf(sm, SYS32 "%s", name);
}

static const char *core_cmd(const char *name, const char *image)
{
    if (!strcmp(name, "wininit.exe") || !strcmp(name, "winlogon.exe"))
        return name;
    if (!strcmp(name, "smss.exe"))
        return "\\SystemRoot\\System32\\smss.exe";
    if (!strcmp(name, "csrss.exe"))
        return "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows "
               "SharedSection=1024,20480,768 Windows=On SubSystemType=Windows "
               "ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "
               "ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16";
    return image;
}

/* ---- the anomalies that act after boot (scheduled at st->at) ------------------------ */

static void run_action(struct sim *sm, const struct action *a);

static long spawn_core(struct sim *sm, int64_t t, long parent, struct pspec who, const char *name,
                       const char *image, int label)
{
    /* A copy started by a program gets the normal base priority 8: only smss
     * and wininit raise their children's priority class (11, 13, 9). */
    struct pspec p = named(who, name, image, core_cmd(name, image));
    p.prio = 8;
    return sim_create(sm, t, parent, &p, label);
}

static void do_smss_wrong_parent(struct sim *sm, const struct anom_state *st, int64_t t)
{
    struct sess *s = live_sess(sm, st->session);
    long parent =
        !strcmp(st->parent, "explorer.exe") && s ? s->explorer : user_shell(sm, t, s, st->label);
    if (parent < 0 || !s)
        return;
    long p = spawn_core(sm, t + sim_rand_ms(sm, 300, 2000), parent, user_of(s, "High"), "smss.exe",
                        SYS32 "smss.exe", st->label);
    target(sm, st->label, p);
}

static void do_smss_wrong_path(struct sim *sm, const struct anom_state *st, int64_t t)
{
    /* Dropped under a core name and started from a Run key at logon. */
    struct sess *s = live_sess(sm, st->session);
    if (!s || s->explorer < 0)
        return;
    struct pspec p = named(user_of(s, "Medium"), base_name(st->path), st->path, st->path);
    sim_create(sm, t, s->explorer, &p, st->label);
}

static void do_smss_extra_instance(struct sim *sm, const struct anom_state *st, int64_t t)
{
    /* A persistent second smss with its own csrss and winlogon, installed as a service. */
    long p = spawn_core(sm, t, sm->services, system_in(0), "smss.exe", SYS32 "smss.exe", st->label);
    if (p < 0)
        return;
    spawn_core(sm, t + sim_rand_ms(sm, 10, 30), p, system_in(0), "csrss.exe", SYS32 "csrss.exe",
               st->label);
    spawn_core(sm, t + sim_rand_ms(sm, 50, 150), p, system_in(0), "winlogon.exe",
               SYS32 "winlogon.exe", st->label);
    target(sm, st->label, p);
}

static void do_smss_wrong_user(struct sim *sm, const struct anom_state *st, int64_t t)
{
    struct sess *s = live_sess(sm, st->session);
    if (!s || s->explorer < 0)
        return;
    spawn_core(sm, t, s->explorer, user_of(s, "Medium"), "smss.exe", SYS32 "smss.exe", st->label);
}

static void do_lookalike(struct sim *sm, const struct anom_state *st, int64_t t)
{
    /* A service whose binary imitates a core name, next to the real ones. */
    struct pspec p =
        named(system_in(0), st->name, core_image(sm, st->name), core_image(sm, st->name));
    sim_create(sm, t, sm->services, &p, st->label);
}

static void do_core_wrong_parent(struct sim *sm, const struct anom_state *st, int64_t t)
{
    long parent = system_shell(sm, t, st->label);
    if (parent >= 0 && !strcmp(st->parent, "powershell.exe")) {
        struct pspec ps =
            named(system_in(0), "powershell.exe", SYS32 "WindowsPowerShell\\v1.0\\powershell.exe",
                  "powershell.exe -nop -w hidden");
        parent = sim_create(sm, t + sim_rand_ms(sm, 100, 500), parent, &ps, st->label);
    }
    if (parent < 0)
        return;
    long p = spawn_core(sm, t + sim_rand_ms(sm, 1000, 3000), parent, system_in(0), st->process,
                        core_image(sm, st->process), st->label);
    target(sm, st->label, p);
}

static void do_core_wrong_path(struct sim *sm, const struct anom_state *st, int64_t t)
{
    long shell = system_shell(sm, t, st->label);
    long p = spawn_core(sm, t + sim_rand_ms(sm, 1000, 3000), shell, system_in(0), st->process,
                        st->path, st->label);
    target(sm, st->label, p);
}

static void do_core_extra_instance(struct sim *sm, const struct anom_state *st, int64_t t)
{
    long shell = system_shell(sm, t, st->label);
    long p = spawn_core(sm, t + sim_rand_ms(sm, 1000, 3000), shell, system_in(0), st->process,
                        core_image(sm, st->process), st->label);
    target(sm, st->label, p);
}

static void do_core_wrong_session(struct sim *sm, const struct anom_state *st, int64_t t)
{
    /* The elevated user starts a copy in the desktop session. */
    struct sess *s = live_sess(sm, st->session);
    long shell = user_shell(sm, t, s, st->label);
    if (shell < 0)
        return;
    long p = spawn_core(sm, t + sim_rand_ms(sm, 1000, 3000), shell, user_of(s, "High"), st->process,
                        core_image(sm, st->process), st->label);
    target(sm, st->label, p);
}

static void do_core_wrong_user(struct sim *sm, const struct anom_state *st, int64_t t)
{
    /* A copy run by a service configured with a user account. */
    struct pspec who = system_in(0);
    who.user = sim_printf(sm, "%s\\svc_backup", sm->sc->domain ? sm->sc->domain : "WORKGROUP");
    who.sid = "S-1-5-21-3623811015-3361044348-30300820-1105";
    who.integrity = "High";
    who.logon_id = (uint64_t)prng_range(&sm->r_anom, 0x10000, 0x7fffff);
    long p =
        spawn_core(sm, t, sm->services, who, st->process, core_image(sm, st->process), st->label);
    target(sm, st->label, p);
}

static void do_core_late(struct sim *sm, const struct anom_state *st, int64_t t)
{
    /* A session's process appearing long after boot in a session nobody opened. */
    long shell = system_shell(sm, t, st->label);
    long p = spawn_core(sm, t + sim_rand_ms(sm, 1000, 3000), shell, system_in(st->session),
                        st->process, core_image(sm, st->process), st->label);
    target(sm, st->label, p);
}

static void do_lsass_children(struct sim *sm, const struct anom_state *st, int64_t t)
{
    /* Code running inside lsass (a malicious SSP, an exploit) starts a shell. */
    if (sm->lsass < 0)
        return;
    struct pspec p = named(system_in(0), "cmd.exe", SYS32 "cmd.exe",
                           "C:\\Windows\\system32\\cmd.exe /c whoami > C:\\Windows\\Temp\\o.txt");
    sim_create(sm, t, sm->lsass, &p, st->label);
}

static void do_explorer_system(struct sim *sm, const struct anom_state *st, int64_t t)
{
    long shell = system_shell(sm, t, st->label);
    struct pspec p = named(system_in(st->session), "explorer.exe", "C:\\Windows\\explorer.exe",
                           "C:\\Windows\\explorer.exe");
    long e = sim_create(sm, t + sim_rand_ms(sm, 1000, 3000), shell, &p, st->label);
    target(sm, st->label, e);
}

static void do_ppid_spoof(struct sim *sm, const struct anom_state *st, int64_t t)
{
    /* PROC_THREAD_ATTRIBUTE_PARENT_PROCESS: the recorded parent is whatever
     * the creator named -- here a core process that never starts such things. */
    long parent = !strcmp(st->parent, "wininit.exe") ? sm->wininit : sm->lsass;
    if (parent < 0)
        return;
    struct pspec p = named(system_in(0), "rundll32.exe", SYS32 "rundll32.exe",
                           "rundll32.exe C:\\Users\\Public\\beacon.dll,Start");
    sim_create(sm, t, parent, &p, st->label);
}

/* Sticky keys through an IFEO Debugger: at the logon screen, five Shift
 * presses make winlogon start sethc.exe, and Windows starts the debugger
 * with the program as its argument: "cmd.exe C:\...\sethc.exe 211", SYSTEM,
 * in the session's desktop. */
static void do_sticky_keys(struct sim *sm, const struct anom_state *st, int64_t t)
{
    struct sess *s = live_sess(sm, st->session);
    for (size_t i = 0; !s && i < sm->nsess; i++)
        if (sm->sess[i].id > 0)
            s = live_sess(sm, sm->sess[i].id); /* the session logged off: another screen */
    if (!s)
        return;
    struct pspec p =
        named(system_in(s->id), "cmd.exe", SYS32 "cmd.exe",
              "\"C:\\Windows\\system32\\cmd.exe\" C:\\Windows\\system32\\sethc.exe 211");
    long c = sim_create(sm, t, s->main, &p, st->label);
    target(sm, st->label, c);
}

static long plant_sticky_keys(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                              struct err *e)
{
    (void)an, (void)e;
    return set1(sm, KEY_IFEO "\\sethc.exe", "Debugger", SNAP_REG_SZ,
                "C:\\Windows\\System32\\cmd.exe", st->label);
}

/* Dumping lsass with what Windows ships: rundll32 comsvcs.dll MiniDump from
 * a SYSTEM shell. */
static void do_lsass_dump_comsvcs(struct sim *sm, const struct anom_state *st, int64_t t)
{
    long shell = system_shell(sm, t, st->label);
    if (shell < 0 || sm->lsass < 0)
        return;
    struct pspec p = named(system_in(0), "rundll32.exe", SYS32 "rundll32.exe",
                           sim_printf(sm,
                                      "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump "
                                      "%lu C:\\Windows\\Temp\\lsass.dmp full",
                                      (unsigned long)sm->procs[sm->lsass].pid));
    long d = sim_create(sm, t + sim_rand_ms(sm, 2000, 6000), shell, &p, st->label);
    sim_schedule_exit(sm, sm->procs[d].create_time + sim_rand_ms(sm, 800, 3000), d);
    target(sm, st->label, d);
}

/* WerFault asked by lsass itself for a dump of lsass (-ip), as the
 * "Shtinkering" technique makes it. */
static void do_lsass_dump_werfault(struct sim *sm, const struct anom_state *st, int64_t t)
{
    if (sm->lsass < 0)
        return;
    unsigned long pid = sm->procs[sm->lsass].pid;
    struct pspec p = named(system_in(0), "WerFault.exe", SYS32 "WerFault.exe",
                           sim_printf(sm,
                                      "C:\\Windows\\system32\\WerFault.exe -u -p %lu -ip %lu "
                                      "-s 244",
                                      pid, pid));
    long w = sim_create(sm, t, sm->lsass, &p, st->label);
    sim_schedule_exit(sm, t + sim_rand_ms(sm, 1500, 5000), w);
    target(sm, st->label, w);
}

/* A clone of lsass made to be dumped (RtlCreateProcessReflection or
 * PssCaptureSnapshot): lsass.exe whose parent is lsass.exe, gone seconds
 * later once the dump is written. */
static void do_lsass_clone(struct sim *sm, const struct anom_state *st, int64_t t)
{
    if (sm->lsass < 0)
        return;
    struct pspec p =
        named(system_in(0), "lsass.exe", SYS32 "lsass.exe", "C:\\Windows\\system32\\lsass.exe");
    p.prio = 9; /* a clone inherits its original's priority class */
    long c = sim_create(sm, t, sm->lsass, &p, st->label);
    sim_schedule_exit(sm, t + sim_rand_ms(sm, 800, 4000), c);
    target(sm, st->label, c);
}

/* A services.exe child that is a shell: Metasploit's psexec and getsystem
 * install a service whose ImagePath is a cmd.exe command line. */
static void do_services_shell(struct sim *sm, const struct anom_state *st, int64_t t)
{
    if (sm->services < 0)
        return;
    uint32_t pipe = (uint32_t)prng_range(&sm->r_anom, 0x100000, 0xffffff);
    struct pspec p = named(system_in(0), "cmd.exe", SYS32 "cmd.exe",
                           sim_printf(sm, "cmd.exe /c echo %06x > \\\\.\\pipe\\%06x", pipe, pipe));
    long c = sim_create(sm, t, sm->services, &p, st->label);
    sim_schedule_exit(sm, t + sim_rand_ms(sm, 20, 200), c);
    target(sm, st->label, c);
}

/* A svchost.exe copy a SYSTEM shell starts (malware's favourite name). */
static void do_svchost_wrong_parent(struct sim *sm, const struct anom_state *st, int64_t t)
{
    long shell = system_shell(sm, t, st->label);
    if (shell < 0)
        return;
    struct pspec p = named(system_in(0), "svchost.exe", SYS32 "svchost.exe",
                           "C:\\Windows\\system32\\svchost.exe -k netsvcs");
    long v = sim_create(sm, t + sim_rand_ms(sm, 1000, 3000), shell, &p, st->label);
    target(sm, st->label, v);
}

/* A service registered with a svchost.exe path but no -k group. */
static void do_svchost_no_k(struct sim *sm, const struct anom_state *st, int64_t t)
{
    if (sm->services < 0)
        return;
    struct pspec p = named(system_in(0), "svchost.exe", SYS32 "svchost.exe",
                           "C:\\Windows\\system32\\svchost.exe");
    long v = sim_create(sm, t, sm->services, &p, st->label);
    target(sm, st->label, v);
}

/* Sticky keys by a replaced binary: no registry value at all. An elevated
 * administrator takes sethc.exe over and copies cmd.exe onto it (SigmaHQ
 * "Persistence Via Sticky Key Backdoor": copy /y ...\cmd.exe ...\sethc.exe);
 * later, at the lock screen of that session, Shift five times makes
 * winlogon start "sethc.exe 211" -- really cmd.exe, as SYSTEM -- from
 * which the attacker opens powershell. A process list cannot show that
 * the image is cmd.exe (Sysmon's OriginalFileName and hashes would): what
 * it shows is the overwrite and the SYSTEM shell under sethc.exe. */
static void do_sticky_keys_replaced(struct sim *sm, const struct anom_state *st, int64_t t)
{
    struct sess *s = live_sess(sm, st->session);
    long shell = user_shell(sm, t, s, st->label);
    if (shell < 0)
        return;
    static const char *const steps[][3] = {
        {"takeown.exe", SYS32 "takeown.exe", "takeown /f C:\\Windows\\System32\\sethc.exe"},
        {"icacls.exe", SYS32 "icacls.exe",
         "icacls C:\\Windows\\System32\\sethc.exe /grant administrators:F"},
        {"cmd.exe", SYS32 "cmd.exe",
         "cmd.exe /c copy /y C:\\Windows\\System32\\cmd.exe C:\\Windows\\System32\\sethc.exe"},
    };
    int64_t at = t;
    long copy = -1;
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        at += sim_rand_ms(sm, 3000, 15000);
        struct pspec p = named(user_of(s, "High"), steps[i][0], steps[i][1], steps[i][2]);
        copy = sim_create(sm, at, shell, &p, st->label);
        sim_schedule_exit(sm, at + sim_rand_ms(sm, 40, 400), copy);
    }
    target(sm, st->label, copy);
    /* Minutes later, at the lock screen: winlogon starts the "sethc.exe". */
    at += sim_rand_ms(sm, 60 * 1000, 5 * 60 * 1000);
    struct pspec k = named(system_in(s->id), "sethc.exe", SYS32 "sethc.exe", "sethc.exe 211");
    long sethc = sim_create(sm, at, s->main, &k, st->label);
    struct pspec ps = named(system_in(s->id), "powershell.exe",
                            SYS32 "WindowsPowerShell\\v1.0\\powershell.exe", "powershell.exe");
    sim_create(sm, at + sim_rand_ms(sm, 5000, 30000), sethc, &ps, st->label);
}

/* A bare explorer.exe started by a program the user ran: droppers start
 * the real C:\Windows\explorer.exe suspended and replace its code (process
 * hollowing, T1055.012), so a second "shell" runs beside the one userinit
 * started, with a parent that stays alive. */
static void do_explorer_hollowed(struct sim *sm, const struct anom_state *st, int64_t t)
{
    struct sess *s = live_sess(sm, st->session);
    if (!s || s->explorer < 0)
        return;
    const char *dropper =
        sim_printf(sm, "C:\\Users\\%s\\Downloads\\invoice_%04x.exe", base_name(s->user),
                   (unsigned)prng_range(&sm->r_anom, 0x1000, 0xffff));
    struct pspec d =
        named(user_of(s, "Medium"), base_name(dropper), dropper, sim_printf(sm, "\"%s\"", dropper));
    long drop = sim_create(sm, t, s->explorer, &d, st->label);
    struct pspec e = named(user_of(s, "Medium"), "explorer.exe", "C:\\Windows\\explorer.exe",
                           "C:\\Windows\\explorer.exe");
    long x = sim_create(sm, t + sim_rand_ms(sm, 500, 3000), drop, &e, st->label);
    target(sm, st->label, x);
}

/* ---- the catalogue ------------------------------------------------------------------- */

/* prepare: validate parameters, create registry changes or boot hooks. A
 * type with `act` also runs at st->at. */
static int prep_generic(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                        struct err *e);
static int prep_late_master(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                            struct err *e);
static int prep_child_hang(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                           struct err *e);
static int prep_registry(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                         struct err *e);

static long plant_bootexecute(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                              struct err *e);
static long plant_setupexecute(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                               struct err *e);
static long plant_appcertdlls(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                              struct err *e);
static long plant_knowndlls(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                            struct err *e);
static long plant_pending_rename(struct sim *sm, const struct scn_anomaly *an,
                                 struct anom_state *st, struct err *e);
static long plant_subsystems_extra(struct sim *sm, const struct scn_anomaly *an,
                                   struct anom_state *st, struct err *e);
static long plant_subsystems_windows(struct sim *sm, const struct scn_anomaly *an,
                                     struct anom_state *st, struct err *e);
static long plant_subsystems_kmode(struct sim *sm, const struct scn_anomaly *an,
                                   struct anom_state *st, struct err *e);
static long plant_winlogon_shell(struct sim *sm, const struct scn_anomaly *an,
                                 struct anom_state *st, struct err *e);
static long plant_winlogon_userinit(struct sim *sm, const struct scn_anomaly *an,
                                    struct anom_state *st, struct err *e);
static long plant_winlogon_shell_user(struct sim *sm, const struct scn_anomaly *an,
                                      struct anom_state *st, struct err *e);
static long plant_ssp(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                      struct err *e);
static long plant_password_filter(struct sim *sm, const struct scn_anomaly *an,
                                  struct anom_state *st, struct err *e);
static long plant_runasppl_off(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                               struct err *e);
static long plant_credguard_off(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                                struct err *e);
static long plant_wdigest(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                          struct err *e);
static long plant_appinit(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                          struct err *e);
static long plant_safedllsearch(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                                struct err *e);
static long plant_silent_exit(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                              struct err *e);
static long plant_ifeo_debugger(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                                struct err *e);
static long plant_env_path(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                           struct err *e);
static long plant_printer_port(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                               struct err *e);
static long plant_netsh_helper(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                               struct err *e);

#define PROC_ANOM(id_, title_, tech_, rules_, params_, lesson_, fn_) \
    {id_, title_, tech_, rules_, params_, lesson_, prep_generic, fn_, NULL, 0, 0},
/* A process anomaly that acts from a user's desktop, lasting span after 'at'. */
#define DESKTOP_ANOM(id_, title_, tech_, rules_, params_, lesson_, fn_, span_) \
    {id_, title_, tech_, rules_, params_, lesson_, prep_generic, fn_, NULL, 1, span_},
/* A process anomaly that also planted a registry value before the boot. */
#define PROC_REG_ANOM(id_, title_, tech_, rules_, params_, lesson_, fn_, plant_) \
    {id_, title_, tech_, rules_, params_, lesson_, prep_generic, fn_, plant_},
/* A change to the boot itself: prep_ does it (a row without one does not compile). */
#define BOOT_ANOM(id_, title_, tech_, rules_, params_, lesson_, prep_) \
    {id_, title_, tech_, rules_, params_, lesson_, prep_, NULL, NULL},
/* The parameter tables (anomalies.def says what each takes). */
#define PARAMS(...) ((const struct anom_pdef[]){__VA_ARGS__, {0}})
#define NO_PARAMS ((const struct anom_pdef[]){{0}})
#define P_CHOICE(k, ...)                                              \
    {                                                                 \
        .key = k, .kind = AP_CHOICE, .choices = (const char *const[]) \
        {                                                             \
            __VA_ARGS__, NULL                                         \
        }                                                             \
    }
#define P_KIND(k, kind_, ...)                \
    {                                        \
        .key = k, .kind = kind_, __VA_ARGS__ \
    }
#define P_DUR(k) P_KIND(k, AP_DURATION, .dflt = 0)
#define P_SESSION(k) P_KIND(k, AP_SESSION, .dflt = 1)
#define P_DESKTOP_SESSION(k) P_KIND(k, AP_SESSION, .dflt = 1, .min = 1)
#define P_NEW_SESSION(k) P_KIND(k, AP_SESSION, .dflt = 3, .fresh = 1)
#define P_FULLPATH(k) P_KIND(k, AP_FULLPATH, .dflt = 0)
#define P_PATH(k) P_KIND(k, AP_PATH, .dflt = 0)
#define P_NAME(k) P_KIND(k, AP_NAME, .dflt = 0)
#define P_TEXT(k) P_KIND(k, AP_TEXT, .dflt = 0)
#define SEEN(...)                 \
    .seen = (const char *const[]) \
    {                             \
        __VA_ARGS__, NULL         \
    }
/* A value the corpus composes: P_PATH_DRAWN("source", "{1}{0}", ONE_OF("a",
 * "b"), ONE_OF("C:\\x\\", "D:\\")) draws a name, then a folder, and writes
 * the folder before the name; P_PATH_FROM("target", "C:\\w\\{source:file}")
 * reuses an earlier parameter's draw. */
#define ONE_OF(...)       \
    (const char *const[]) \
    {                     \
        __VA_ARGS__, NULL \
    }
#define DRAWN(fmt_, ...)                                   \
    .draw_fmt = fmt_, .draw = (const char *const *const[]) \
    {                                                      \
        __VA_ARGS__, NULL                                  \
    }
#define P_FULLPATH_DRAWN(k, fmt_, ...) P_KIND(k, AP_FULLPATH, DRAWN(fmt_, __VA_ARGS__))
#define P_PATH_DRAWN(k, fmt_, ...) P_KIND(k, AP_PATH, DRAWN(fmt_, __VA_ARGS__))
#define P_NAME_DRAWN(k, fmt_, ...) P_KIND(k, AP_NAME, DRAWN(fmt_, __VA_ARGS__))
#define P_PATH_FROM(k, fmt_) P_KIND(k, AP_PATH, .draw_fmt = fmt_)
/* A delay of the whole boot, min..max seconds when the corpus draws it. */
#define P_BOOT_DELAY(k, min_s, max_s) P_KIND(k, AP_DURATION, .boot_delay = {min_s, max_s})
#define P_PATH_SEEN(k, ...) P_KIND(k, AP_PATH, SEEN(__VA_ARGS__))
#define P_NAME_SEEN(k, ...) P_KIND(k, AP_NAME, SEEN(__VA_ARGS__))
#define P_TEXT_SEEN(k, ...) P_KIND(k, AP_TEXT, SEEN(__VA_ARGS__))
#define REG_ANOM(id_, title_, tech_, rules_, params_, lesson_, plant_) \
    {id_, title_, tech_, rules_, params_, lesson_, prep_registry, NULL, plant_},
/* A value in a user's profile: the corpus gives it a session a user logs on to. */
#define USER_REG_ANOM(id_, title_, tech_, rules_, params_, lesson_, plant_) \
    {id_, title_, tech_, rules_, params_, lesson_, prep_registry, NULL, plant_, 1, 0},

static const struct anom_type catalogue[] = {
#include "anomalies.def"
};

size_t anom_count(void)
{
    return ARRAY_SIZE(catalogue);
}

const struct anom_type *anom_get(size_t i)
{
    return i < anom_count() ? &catalogue[i] : NULL;
}

const struct anom_type *anom_find(const char *id)
{
    for (size_t i = 0; i < anom_count(); i++)
        if (!strcmp(catalogue[i].id, id))
            return &catalogue[i];
    return NULL;
}

const struct anom_pdef *anom_pdef(const struct anom_type *t, const char *key)
{
    for (const struct anom_pdef *d = t->params; d->key; d++)
        if (!strcmp(d->key, key))
            return d;
    return NULL;
}

int anom_param(const struct anom_type *t, const char *key, struct anom_param *out)
{
    const struct anom_pdef *d = anom_pdef(t, key);
    if (!d)
        return 0;
    if (out) {
        *out = (struct anom_param){d, 0};
        while (d->choices && d->choices[out->nchoices])
            out->nchoices++;
    }
    return 1;
}

const char *anom_param_choice(const struct anom_param *p, size_t k, size_t *n)
{
    const char *c = k < p->nchoices ? p->def->choices[k] : "";
    *n = strlen(c);
    return c;
}

int anom_accepts(const struct anom_type *t, const char *key)
{
    return anom_pdef(t, key) != NULL;
}

void anom_params_text(const struct anom_type *t, const char *choice_sep, struct strbuf *sb)
{
    static const char *const kinds[] = {
        [AP_DURATION] = "DURATION", [AP_SESSION] = "N", [AP_FULLPATH] = "PATH",
        [AP_PATH] = "PATH",         [AP_NAME] = "NAME", [AP_TEXT] = "TEXT"};
    for (const struct anom_pdef *d = t->params; d->key; d++) {
        sb_addf(sb, "%s%s=", d == t->params ? "" : " ", d->key);
        if (d->kind != AP_CHOICE) {
            sb_adds(sb, kinds[d->kind]);
            continue;
        }
        for (size_t k = 0; d->choices[k]; k++)
            sb_addf(sb, "%s%s", k ? choice_sep : "", d->choices[k]);
    }
}

int anom_check(const struct scn_anomaly *an, const char *file, struct err *e)
{
    const struct anom_type *t = anom_find(an->type);
    if (!t) {
        struct strbuf list = STRBUF_INIT;
        for (size_t k = 0; k < anom_count(); k++)
            sb_addf(&list, "%s%s", k ? ", " : "", catalogue[k].id);
        err_set(e, "%s:%d:%d: unknown anomaly type '%.100s' (known: %.2000s)", file,
                an->type_loc.line, an->type_loc.col, an->type, list.buf);
        sb_release(&list);
        return -1;
    }
    for (size_t k = 0; k < an->nparams; k++) {
        const struct scn_param *p = &an->params[k];
        const struct anom_pdef *d = anom_pdef(t, p->key);
        if (!d) {
            struct strbuf takes = STRBUF_INIT;
            anom_params_text(t, "|", &takes);
            err_set(e, "%s:%d:%d: anomaly '%s' has no parameter '%.100s' (it takes: %s)", file,
                    p->loc.line, p->loc.col, t->id, p->key, takes.len ? takes.buf : "none");
            sb_release(&takes);
            return -1;
        }
        if (check_value(file, d, p, e) < 0)
            return -1;
    }
    return 0;
}

static int prep_generic(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                        struct err *e)
{
    int64_t at;
    const struct scn_session *s1 = session_cfg(sm, 1);
    int64_t dflt = 5 * WT_MIN;
    if (s1 && s1->logon != WT_NONE && s1->logon + WT_MIN > dflt)
        dflt = s1->logon + WT_MIN;
    st->type = anom_find(an->type);
    const struct anom_pdef *sdef = anom_pdef(st->type, "session");
    if (param_dur(sm, an, "at", dflt, &at, e) < 0 ||
        param_session(sm, an, sdef ? sdef->dflt : 1, &st->session, e) < 0 ||
        param_choice(sm, an, st->type, "process", &st->process, e) < 0 ||
        param_choice(sm, an, st->type, "parent", &st->parent, e) < 0)
        return -1;
    param_str(an, "path", "C:\\Windows\\Temp\\smss.exe", &st->path);
    /* Without a path, a process type's copy runs from Temp under its own name. */
    if (anom_pdef(st->type, "path") && anom_pdef(st->type, "process") && !param(an, "path"))
        st->path = sim_printf(sm, "C:\\Windows\\Temp\\%s", st->process);
    param_str(an, "name", "smmss.exe", &st->name);
    /* Without an explicit 'at', a seeded moment in the minute after the
     * default: an attack does not start on a round offset from boot, and a
     * detector must not be able to key on one. An explicit 'at' is kept. */
    if (!param(an, "at"))
        at += prng_range(&sm->r_anom, 0, WT_MIN - 1);
    st->at = sm->boot + at;
    /* Planted before the boot (the sticky-keys Debugger), acted on after it. */
    if (st->type->plant && st->type->plant(sm, an, st, e) < 0)
        return -1;
    if (at < 2 * WT_MIN)
        return bad(sm, param(an, "at") ? param(an, "at")->loc : an->loc, e,
                   "anomaly '%s' acts after the boot: 'at' must be 2m or later", an->type);
    if (st->type->desktop && need_user(sm, an, st->session, at, e) < 0)
        return -1;
    if (sdef && st->session < sdef->min)
        return bad(sm, an->loc, e, "anomaly '%s' needs a desktop session (1 or more)", an->type);
    /* The run lasts until the anomaly has played out (the row says how long). */
    int64_t span = st->type->span ? st->type->span : 2 * WT_MIN;
    if (sm->boot + at + span > sm->end)
        sm->end = sm->boot + at + span;
    sim_schedule(sm, st->at, run_action, (long)(st - sm->anoms), 0, 0, st->label);
    return 0;
}

/* smss-late-master: the kernel hands over to the master smss late. */
static int prep_late_master(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                            struct err *e)
{
    int64_t delay;
    if (param_dur(sm, an, "delay", 3 * WT_MIN, &delay, e) < 0)
        return -1;
    if (delay < 90 * WT_SEC)
        return bad(sm, param(an, "delay")->loc, e,
                   "'delay' must be at least 90s to be late (%s given)", param(an, "delay")->value);
    sm->master_delay = delay;
    sm->master_label = st->label;
    if (sm->boot + delay + 10 * WT_MIN > sm->end)
        sm->end = sm->boot + delay + 10 * WT_MIN;
    return 0;
}

/* smss-child-not-exited: a session's smss child hangs instead of exiting. */
static int prep_child_hang(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                           struct err *e)
{
    if (param_session(sm, an, 1, &st->session, e) < 0)
        return -1;
    struct sess *s = sim_sess(sm, st->session);
    if (!s)
        return bad(sm, param(an, "session") ? param(an, "session")->loc : an->loc, e,
                   "session %d does not exist in this scenario", (int)st->session);
    s->hang_label = st->label;
    return 0;
}

/* Registry anomalies: the value is already changed when the machine boots
 * (persistence written during an earlier compromise). Each row's plant
 * function writes its values and names the one the label is about. */
static long set1(struct sim *sm, const char *key, const char *name, enum snap_reg_type type,
                 const char *v, int label)
{
    const char *data[] = {v};
    return sim_reg_set(sm, WT_NONE, key, name, type, data, 1, label, 0);
}

static long plant_bootexecute(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                              struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "program", "BootExecuteNative.exe -q", &v);
    /* Appended to what the value holds (a vendor's entry stays). */
    long cur = sim_reg_current(sm, KEY_SM, "BootExecute", WT_NONE);
    uint32_t n = cur >= 0 && sm->regs[cur].ndata < 16 ? sm->regs[cur].ndata : 0;
    const char *data[17] = {"autocheck autochk *"};
    for (uint32_t k = 0; k < n; k++)
        data[k] = sm->regs[cur].data[k];
    data[n ? n : 1] = v;
    return sim_reg_set(sm, WT_NONE, KEY_SM, "BootExecute", SNAP_REG_MULTI_SZ, data, n ? n + 1 : 2,
                       st->label, 0);
}

static long plant_setupexecute(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                               struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "program", "native_loader.exe", &v);
    return set1(sm, KEY_SM, "SetupExecute", SNAP_REG_MULTI_SZ, v, st->label);
}

static long plant_appcertdlls(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                              struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "dll", "C:\\Users\\Public\\certhook.dll", &v);
    return set1(sm, KEY_SM "\\AppCertDlls", "certhook", SNAP_REG_EXPAND_SZ, v, st->label);
}

static long plant_knowndlls(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                            struct err *e)
{
    (void)e;
    const char *entry, *v;
    param_str(an, "entry", "kernel32", &entry);
    param_str(an, "dll", "kernel33.dll", &v);
    return set1(sm, KEY_SM "\\KnownDLLs", entry, SNAP_REG_SZ, v, st->label);
}

static long plant_pending_rename(struct sim *sm, const struct scn_anomaly *an,
                                 struct anom_state *st, struct err *e)
{
    const char *src, *dst;
    param_str(an, "source", "C:\\Users\\Public\\spoolsv.exe", &src);
    param_str(an, "target", "C:\\Windows\\System32\\spoolsv.exe", &dst);
    if (ascii_ncasecmp(dst, SYS32, strlen(SYS32))) {
        bad(sm, param(an, "target")->loc, e,
            "'target' must be a file in C:\\Windows\\System32 (%s given)", dst);
        return -1;
    }
    /* The value's own syntax: \??\ paths, "!" before a target that is replaced. */
    const char *data[] = {sim_printf(sm, "\\??\\%s", src), sim_printf(sm, "!\\??\\%s", dst)};
    long idx = sim_reg_set(sm, WT_NONE, KEY_SM, "PendingFileRenameOperations", SNAP_REG_MULTI_SZ,
                           data, 2, st->label, 0);
    sm->replaced_image = sim_strdup(sm, dst);
    sm->replaced_label = st->label;
    return idx;
}

static long plant_subsystems_extra(struct sim *sm, const struct scn_anomaly *an,
                                   struct anom_state *st, struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "program", "C:\\Windows\\System32\\psxss.exe", &v);
    const char *req[] = {"Debug", "Windows", "Psx"};
    long idx = sim_reg_set(sm, WT_NONE, KEY_SM "\\SubSystems", "Required", SNAP_REG_MULTI_SZ, req,
                           3, st->label, 0);
    set1(sm, KEY_SM "\\SubSystems", "Psx", SNAP_REG_EXPAND_SZ, v, st->label);
    return idx;
}

static long plant_subsystems_windows(struct sim *sm, const struct scn_anomaly *an,
                                     struct anom_state *st, struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "serverdll", "ServerDll=winsrvx,5", &v);
    long cur = sim_reg_current(sm, KEY_SM "\\SubSystems", "Windows", WT_NONE);
    const char *old = cur >= 0 ? sm->regs[cur].data[0] : "";
    return set1(sm, KEY_SM "\\SubSystems", "Windows", SNAP_REG_EXPAND_SZ,
                sim_printf(sm, "%s %s", old, v), st->label);
}

static long plant_subsystems_kmode(struct sim *sm, const struct scn_anomaly *an,
                                   struct anom_state *st, struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "driver", "\\SystemRoot\\System32\\win32kx.sys", &v);
    return set1(sm, KEY_SM "\\SubSystems", "Kmode", SNAP_REG_EXPAND_SZ, v, st->label);
}

static long plant_winlogon_shell(struct sim *sm, const struct scn_anomaly *an,
                                 struct anom_state *st, struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "program", "C:\\Users\\Public\\shellhost.exe", &v);
    return set1(sm, KEY_WINLOGON, "Shell", SNAP_REG_SZ, sim_printf(sm, "explorer.exe, %s", v),
                st->label);
}

static long plant_winlogon_userinit(struct sim *sm, const struct scn_anomaly *an,
                                    struct anom_state *st, struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "program", "C:\\Users\\Public\\updater.exe", &v);
    return set1(sm, KEY_WINLOGON, "Userinit", SNAP_REG_SZ,
                sim_printf(sm, "C:\\Windows\\system32\\userinit.exe,%s,", v), st->label);
}

/* The user's own Shell (HKU\\<SID>\\Software\\...\\Winlogon): ATT&CK T1547.004
 * names HKCU's Winlogon key beside HKLM's, and Atomic Red Team's T1547.004
 * test 1 sets it as the user, no elevation (Set-ItemProperty "HKCU:\\...
 * \\Winlogon\\" "Shell" "explorer.exe, cmd.exe": the key is in every profile,
 * Set-ItemProperty creates none). userinit reads it for that user before the
 * machine's value (act_user_proc), as the test expects it to run at logon;
 * Windows XP needed IniFileMapping's system.ini\boot Shell set to "USR:..."
 * for that (Microsoft, "Different Shells for Different Users", XP Embedded),
 * which is not modelled. */
static long plant_winlogon_shell_user(struct sim *sm, const struct scn_anomaly *an,
                                      struct anom_state *st, struct err *e)
{
    int32_t id;
    if (param_session(sm, an, 1, &id, e) < 0)
        return -1;
    const struct scn_session *c = session_cfg(sm, id);
    const struct sess *s = sim_sess(sm, id);
    if (!c || !s || !c->user || c->logon == WT_NONE || !s->sid) {
        bad(sm, param(an, "session") ? param(an, "session")->loc : an->loc, e,
            "anomaly '%s' writes the profile of session %d's user, but nobody logs on there "
            "(add a user and logon to that session)",
            an->type, (int)id);
        return -1;
    }
    const char *v;
    param_str(an, "program", "C:\\Windows\\System32\\cmd.exe", &v);
    return set1(sm, sim_printf(sm, "HKU\\%s" KEY_USER_WINLOGON, s->sid), "Shell", SNAP_REG_SZ,
                sim_printf(sm, "explorer.exe, %s", v), st->label);
}

/* Security Packages as Windows 7 ships them, then the attacker's SSP. */
static long plant_ssp(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                      struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "dll", "mimilib", &v);
    const char *data[] = {"kerberos", "msv1_0", "schannel", "wdigest", "tspkg", "pku2u", v};
    return sim_reg_set(sm, WT_NONE, KEY_LSA, "Security Packages", SNAP_REG_MULTI_SZ, data, 7,
                       st->label, 0);
}

static long plant_password_filter(struct sim *sm, const struct scn_anomaly *an,
                                  struct anom_state *st, struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "dll", "pwfilter", &v);
    const char *data[] = {"scecli", v};
    return sim_reg_set(sm, WT_NONE, KEY_LSA, "Notification Packages", SNAP_REG_MULTI_SZ, data, 2,
                       st->label, 0);
}

/* A value set to 0 shortly before the boot, by a tool: the time shows it
 * was changed (an untouched older install simply has no value). */
static long set_dword_before_boot(struct sim *sm, const char *key, const char *name, uint32_t v,
                                  int label)
{
    int64_t t = sm->boot - sim_rand_ms(sm, 60 * 1000, 3600 * 1000);
    const char *data[] = {""};
    long idx = sim_reg_set(sm, t, key, name, SNAP_REG_DWORD, data, 0, label, 1);
    sm->regs[idx].dword = v;
    return idx;
}

static long plant_runasppl_off(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                               struct err *e)
{
    (void)an, (void)e;
    return set_dword_before_boot(sm, KEY_LSA, "RunAsPPL", 0, st->label);
}

static long plant_credguard_off(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                                struct err *e)
{
    (void)an, (void)e;
    /* Without Credential Guard this boot starts no Secure System and no LsaIso. */
    sm->credential_guard = 0;
    return set_dword_before_boot(sm, KEY_LSA, "LsaCfgFlags", 0, st->label);
}

static long plant_wdigest(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                          struct err *e)
{
    (void)an, (void)e;
    const char *data[] = {""};
    long idx = sim_reg_set(sm, WT_NONE,
                           "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest",
                           "UseLogonCredential", SNAP_REG_DWORD, data, 0, st->label, 0);
    sm->regs[idx].dword = 1;
    return idx;
}

static long plant_appinit(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                          struct err *e)
{
    (void)e;
    const char *v;
    param_str(an, "dll", "C:\\ProgramData\\apphook.dll", &v);
    const char *key = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows";
    long idx = set1(sm, key, "AppInit_DLLs", SNAP_REG_SZ, v, st->label);
    const char *data[] = {""};
    long on =
        sim_reg_set(sm, WT_NONE, key, "LoadAppInit_DLLs", SNAP_REG_DWORD, data, 0, st->label, 0);
    sm->regs[on].dword = 1;
    return idx;
}

static long plant_safedllsearch(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                                struct err *e)
{
    (void)an, (void)e;
    const char *data[] = {""};
    long idx = sim_reg_set(sm, WT_NONE, KEY_SM, "SafeDllSearchMode", SNAP_REG_DWORD, data, 0,
                           st->label, 0);
    sm->regs[idx].dword = 0;
    return idx;
}

static long plant_silent_exit(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                              struct err *e)
{
    (void)e;
    const char *prog, *mon;
    param_str(an, "program", "lsass.exe", &prog);
    param_str(an, "monitor", "C:\\ProgramData\\dumper.exe", &mon);
    const char *data[] = {""};
    long gf = sim_reg_set(sm, WT_NONE, sim_printf(sm, "%s\\%s", KEY_IFEO, prog), "GlobalFlag",
                          SNAP_REG_DWORD, data, 0, st->label, 0);
    sm->regs[gf].dword = 0x200; /* FLG_MONITOR_SILENT_PROCESS_EXIT */
    set1(sm, sim_printf(sm, "%s\\%s", KEY_SPE, prog), "MonitorProcess", SNAP_REG_SZ, mon,
         st->label);
    return gf;
}

static long plant_ifeo_debugger(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                                struct err *e)
{
    (void)e;
    const char *prog, *dbg;
    param_str(an, "program", "notepad.exe", &prog);
    param_str(an, "debugger", "C:\\ProgramData\\dbghelp\\dbg.exe", &dbg);
    return set1(sm, sim_printf(sm, "%s\\%s", KEY_IFEO, prog), "Debugger", SNAP_REG_SZ, dbg,
                st->label);
}

/* A folder users can write put before System32 in the system Path: smss
 * builds every process's environment from it, so "net" or "cmd" typed by
 * an administrator finds the planted program first (T1574.007). */
static long plant_env_path(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                           struct err *e)
{
    (void)e;
    const char *dir;
    param_str(an, "dir", "C:\\Users\\Public\\bin", &dir);
    long cur = sim_reg_current(sm, KEY_SM "\\Environment", "Path", WT_NONE);
    const char *old = cur >= 0 && sm->regs[cur].ndata ? sm->regs[cur].data[0] : "";
    return set1(sm, KEY_SM "\\Environment", "Path", SNAP_REG_EXPAND_SZ,
                sim_printf(sm, "%s;%s", dir, old), st->label);
}

/* PrintDemon (CVE-2020-1048): Add-PrinterPort with a file path for a name.
 * The spooler keeps the port as a value under Ports and writes print jobs
 * to that file as SYSTEM; ualapi.dll is what the Fax service then loads. */
static long plant_printer_port(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                               struct err *e)
{
    (void)e;
    const char *port;
    param_str(an, "port", "C:\\Windows\\System32\\ualapi.dll", &port);
    return set1(sm, "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Ports", port,
                SNAP_REG_SZ, "", st->label);
}

/* "netsh add helper x.dll" (T1546.007): a value under NetSh whose DLL every
 * netsh.exe loads. */
static long plant_netsh_helper(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                               struct err *e)
{
    (void)e;
    const char *dll;
    param_str(an, "dll", "C:\\ProgramData\\nshelper.dll", &dll);
    const char *b = base_name(dll);
    return set1(sm, "HKLM\\SOFTWARE\\Microsoft\\NetSh",
                arena_strndup(&sm->arena, b, strcspn(b, ".")), SNAP_REG_SZ, dll, st->label);
}

static int prep_registry(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                         struct err *e)
{
    struct snap_label *l = &sm->labels[st->label - 1];
    const struct anom_type *t = anom_find(an->type);
    if (!t->plant) { /* a REG row always names its plant function */
        err_set(e, "%s:%d:%d: anomaly type '%s' has no registry behaviour (sim/anomaly.c)",
                sm->sc->file, an->loc.line, an->loc.col, an->type);
        return -1;
    }
    long idx = t->plant(sm, an, st, e);
    if (idx < 0)
        return -1;
    l->reg_key = sm->regs[idx].key;
    l->reg_name = sm->regs[idx].name;
    return 0;
}

/* "CSRSS" for csrss.exe: the prefix of a core process's rule ids. */
static const char *rule_prefix(struct sim *sm, const char *exe)
{
    size_t n = strcspn(exe, ".");
    char *p = arena_strndup(&sm->arena, exe, n);
    for (char *c = p; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 32);
    return p;
}

/* The catalogue's comma list with {P} (the process parameter) and {Q} (the
 * parent parameter) replaced by rule prefixes, split into the arena. */
static void expected_rules(struct sim *sm, struct snap_label *l, const struct anom_type *t,
                           const struct anom_state *st)
{
    uint32_t n = 1;
    for (const char *c = t->rules; *c; c++)
        n += *c == ',';
    const char **rules = arena_alloc(&sm->arena, n * sizeof(char *));
    uint32_t k = 0;
    for (const char *c = t->rules; *c;) {
        size_t len = strcspn(c, ",");
        if (!strncmp(c, "{P}", 3))
            rules[k++] =
                sim_printf(sm, "%s%.*s", rule_prefix(sm, st->process), (int)len - 3, c + 3);
        else if (!strncmp(c, "{Q}", 3))
            rules[k++] = sim_printf(sm, "%s%.*s", rule_prefix(sm, st->parent), (int)len - 3, c + 3);
        else
            rules[k++] = arena_strndup(&sm->arena, c, len);
        c += len;
        if (*c == ',')
            c++;
    }
    l->rules = rules;
    l->nrules = k;
}

static void run_action(struct sim *sm, const struct action *a)
{
    const struct anom_state *st = &sm->anoms[a->a];
    st->type->act(sm, st, a->t);
}

int anom_apply_all(struct sim *sm, struct err *e)
{
    const struct scn *sc = sm->sc;
    for (size_t i = 0; i < sc->nanomalies; i++) {
        const struct scn_anomaly *an = &sc->anomalies[i];
        if (anom_check(an, sc->file, e) < 0)
            return -1;
        const struct anom_type *t = anom_find(an->type);
        XGROW(sm->labels, sm->cap_labels, sm->nlabels + 1);
        struct snap_label *l = &sm->labels[sm->nlabels++];
        memset(l, 0, sizeof(*l));
        l->id = an->id ? sim_strdup(sm, an->id) : sim_printf(sm, "a%zu", i + 1);
        for (size_t k = 0; k + 1 < sm->nlabels; k++)
            if (!strcmp(sm->labels[k].id, l->id)) {
                err_set(e, "%s:%d:%d: anomaly id '%s' is used twice", sc->file, an->loc.line,
                        an->loc.col, l->id);
                return -1;
            }
        l->type = t->id;
        l->technique = t->technique;
        l->description = t->lesson;
        l->create_time = WT_NONE;
        XGROW(sm->anoms, sm->cap_anoms, sm->nanoms + 1);
        struct anom_state *st = &sm->anoms[sm->nanoms++];
        memset(st, 0, sizeof(*st));
        st->type = t;
        st->label = (int)sm->nlabels;
        if (t->prepare(sm, an, st, e) < 0)
            return -1;
        expected_rules(sm, &sm->labels[st->label - 1], t, st);
    }
    return 0;
}
