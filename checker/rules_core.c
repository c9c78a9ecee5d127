/*
 * rules_core: the generic process checks -- parent, folder, user, session,
 * instance count, start time and children -- driven by the kb_procs row of
 * the rule's target, plus the System, explorer and session rules. Each check
 * skips a process whose needed attribute is unknown: a missing field is
 * never a finding by itself.
 */
#include "chk_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void chk_rule_parent(struct chk_ctx *c);
void chk_rule_path(struct chk_ctx *c);
void chk_rule_user(struct chk_ctx *c);
void chk_rule_session(struct chk_ctx *c);
void chk_rule_instances(struct chk_ctx *c);
void chk_rule_late(struct chk_ctx *c);
void chk_rule_children(struct chk_ctx *c);
void chk_rule_system_pid(struct chk_ctx *c);
void chk_rule_system_instances(struct chk_ctx *c);
void chk_rule_explorer_system(struct chk_ctx *c);
void chk_rule_core_path(struct chk_ctx *c);
void chk_rule_session_unexplained(struct chk_ctx *c);

/* The pid a process's parent must have when the parent never exits: System
 * (4) for the master smss, the master for a per-session child, the boot's
 * wininit for services, lsass and LsaIso. 0 when it cannot be told. */
static uint32_t lasting_parent_pid(const struct chk_ctx *c, size_t i, const struct kb_proc *core,
                                   const char **who)
{
    const struct snap *s = c->s;
    if (!strcmp(core->name, "smss.exe")) {
        const struct snap_proc *p = &s->procs[i];
        int child = chk_smss_is_child(c, i) || (p->session != SNAP_NO_SESSION && p->session > 0);
        if (!child && !p->command_line && p->session == SNAP_NO_SESSION)
            return 0; /* Security 4688 v0/v1: a master or a session's child, no telling */
        *who = child ? "the master smss.exe" : "System";
        if (!child)
            return 4;
        return c->master >= 0 && (size_t)c->master != i ? s->procs[c->master].pid : 0;
    }
    *who = "the boot's wininit.exe";
    if (chk_in_list(core->parents, "wininit.exe") && c->wininit >= 0 && (size_t)c->wininit != i)
        return s->procs[c->wininit].pid;
    return 0;
}

void chk_rule_parent(struct chk_ctx *c)
{
    int kind;
    const struct kb_proc *core = chk_target(c, &kind);
    struct snap *s = c->s;
    for (size_t i = 0; i < s->nprocs; i++) {
        if (c->kind[i] != kind)
            continue;
        const struct snap_proc *p = &s->procs[i];
        long pi = c->parent[i];
        char d[300];
        if (pi < 0) {
            /* Not in the snapshot: a log that starts after the parent did,
             * or a parent pid that names nobody. Where the parent never
             * exits its pid is known all the same. */
            const char *who = "";
            uint32_t want = core->lasting_parent ? lasting_parent_pid(c, i, core, &who) : 0;
            if (want && p->ppid && p->ppid != want)
                chk_report_proc(c, i,
                                "parent pid %lu is not in the snapshot, and the parent must be "
                                "%s (pid %lu), which never exits",
                                (unsigned long)p->ppid, who, (unsigned long)want);
            continue;
        }
        const struct snap_proc *q = &s->procs[pi];
        /* Orphans (parent gone or exited) are normal for csrss, wininit and
         * winlogon, which always lose their smss child; Sysmon's "?" names
         * nobody. */
        if (chk_unknown_name(chk_name(q)) || (q->image && !strcmp(q->image, "?")))
            continue;
        int alive = snap_proc_alive(q);
        if (!alive && !core->lasting_parent)
            continue;
        if (chk_in_list(core->parents, chk_name(q)))
            continue;
        /* RDP sessions may record the Terminal Services svchost; a listing
         * without command lines cannot tell which svchost that is. */
        if (core->rdp_parent && (chk_is_termsvcs(q) ||
                                 (!q->command_line && !ascii_casecmp(chk_name(q), "svchost.exe"))))
            continue;
        chk_report_proc(c, i, "started by %s%s; expected %s", chk_pdesc(q, d, sizeof(d)),
                        alive ? "" : ", which has exited", core->parents);
    }
}

/* Does process i's image lie in one of the folders? -1 when the image is
 * unknown or a bare name (it says nothing about the folder). */
static int in_dirs(const struct chk_ctx *c, size_t i, const char *dirs)
{
    if (c->img_bad[i])
        return 0;
    return c->img_dir[i] ? chk_in_list(dirs, c->img_dir[i]) : -1;
}

static void check_path(struct chk_ctx *c, size_t i, const struct kb_proc *core)
{
    const struct snap_proc *p = &c->s->procs[i];
    if (!core->dirs || in_dirs(c, i, core->dirs) != 0)
        return;
    chk_report_proc(c, i, "image '%s' is not in the expected folder (%s)", p->image,
                    !strcmp(core->name, "explorer.exe") ? "C:\\Windows" : "C:\\Windows\\System32");
}

void chk_rule_path(struct chk_ctx *c)
{
    int kind;
    const struct kb_proc *core = chk_target(c, &kind);
    for (size_t i = 0; i < c->s->nprocs; i++)
        if (c->kind[i] == kind)
            check_path(c, i, core);
}

void chk_rule_core_path(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        if (!c->kind[i])
            continue;
        if (!(c->own[c->kind[i]] & CHK_OWN_PATH))
            check_path(c, i, &kb_procs[c->kind[i] - 1]);
    }
}

void chk_rule_user(struct chk_ctx *c)
{
    int kind;
    chk_target(c, &kind);
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        if (c->kind[i] == kind && chk_is_system(p) == 0)
            chk_report_proc(c, i, "runs as '%s'%s%s; expected NT AUTHORITY\\SYSTEM",
                            p->user ? p->user : "?", p->sid ? " " : "", p->sid ? p->sid : "");
    }
}

void chk_rule_explorer_system(struct chk_ctx *c)
{
    int kind = chk_kind_of("explorer.exe");
    for (size_t i = 0; i < c->s->nprocs; i++)
        if (c->kind[i] == kind && chk_is_system(&c->s->procs[i]) == 1)
            chk_report_proc(c, i,
                            "explorer.exe runs as SYSTEM; it should run as the user "
                            "who logged on");
}

void chk_rule_session(struct chk_ctx *c)
{
    int kind;
    const struct kb_proc *core = chk_target(c, &kind);
    for (size_t i = 0; i < c->s->nprocs; i++) {
        int32_t ss = c->s->procs[i].session;
        if (c->kind[i] != kind || ss == SNAP_NO_SESSION)
            continue;
        if (core->where == KB_SESS_ZERO && ss != 0)
            chk_report_proc(c, i, "runs in session %ld; expected session 0", (long)ss);
        else if (core->where == KB_SESS_USER && ss == 0)
            chk_report_proc(c, i,
                            "runs in session 0; expected an interactive session (1 or "
                            "later)");
    }
}

/* Sort key for instance counting: session (when per session), creation, position. */
struct inst {
    int32_t session;
    int64_t create;
    size_t idx;
};
static int cmp_inst(const void *a, const void *b)
{
    const struct inst *x = a, *y = b;
    if (x->session != y->session)
        return x->session < y->session ? -1 : 1;
    if (x->create != y->create)
        return x->create < y->create ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void chk_rule_instances(struct chk_ctx *c)
{
    int kind;
    const struct kb_proc *core = chk_target(c, &kind);
    struct snap *s = c->s;
    struct inst *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        /* Running for sure: the source records this image's exits. */
        if (c->kind[i] != kind || !snap_proc_alive(p) || p->exit_unrecorded)
            continue;
        if (core->per_session && p->session == SNAP_NO_SESSION)
            continue; /* cannot tell which session it counts against */
        XGROW(v, cap, n + 1);
        v[n++] = (struct inst){core->per_session ? p->session : 0, p->create_time, i};
    }
    if (n > 1)
        sort_n(v, n, sizeof(*v), cmp_inst);
    /* With the session list known, an instance in a session nobody created
     * is one more than the sessions explain. */
    int sessions_known = core->per_session && (s->fields & SNAP_F_SESSIONS) && s->nsessions;
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || v[k].session != v[k - 1].session) {
            if (sessions_known && !snap_session(s, v[k].session))
                chk_report_proc(c, v[k].idx,
                                "a %s in session %ld, but no such session is "
                                "recorded",
                                core->name, (long)v[k].session);
            continue;
        }
        const struct snap_proc *first = &s->procs[v[k - 1].idx];
        if (core->per_session)
            chk_report_proc(c, v[k].idx, "another %s (pid %lu) already runs in session %ld",
                            core->name, (unsigned long)first->pid, (long)v[k].session);
        else
            chk_report_proc(c, v[k].idx, "another %s (pid %lu) is already running", core->name,
                            (unsigned long)first->pid);
    }
    free(v);
}

void chk_rule_late(struct chk_ctx *c)
{
    int kind;
    const struct kb_proc *core = chk_target(c, &kind);
    struct snap *s = c->s;
    if (c->master < 0 || s->procs[c->master].create_time == WT_NONE)
        return; /* no reference point */
    int64_t master = s->procs[c->master].create_time;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (c->kind[i] != kind || p->create_time == WT_NONE)
            continue;
        int64_t ref = master;
        const char *what = "the master smss";
        if (core->per_session && p->session != SNAP_NO_SESSION) {
            const struct snap_session *ss =
                (s->fields & SNAP_F_SESSIONS) ? snap_session(s, p->session) : NULL;
            if (ss && ss->create_time != WT_NONE && ss->create_time > ref) {
                ref = ss->create_time;
                what = "its session's creation";
            } else if (p->session >= 2 && (!(s->fields & SNAP_F_SESSIONS) || ss)) {
                continue; /* a later session whose creation time we do not know */
            } else if (p->session >= 2) {
                what = "the master smss, and no session explains it,";
            }
        }
        int64_t d = p->create_time - ref;
        if (d > core->late) {
            char dur[32], lim[32];
            wt_format_elapsed(d, dur, sizeof(dur));
            wt_format_duration(core->late, lim, sizeof(lim));
            chk_report_proc(c, i, "started %s after %s; normal is within %s", dur, what, lim);
        }
    }
}

/* A logon script of the user's account or of Group Policy, which
 * userinit runs (Windows 7 runs GPO scripts in userinit too). */
static int logon_script(const struct snap_proc *p)
{
    static const char *const marks[] = {"\\netlogon\\", "\\sysvol\\", "\\grouppolicy\\",
                                        "\\policies\\{"};
    for (size_t k = 0; k < ARRAY_SIZE(marks); k++)
        if (chk_ci_find(p->command_line, marks[k]))
            return 1;
    return 0;
}

/* Is name one of the programs the snapshot's Winlogon Shell value lists
 * ("explorer.exe, C:\\x\\y.exe")? WINLOGON-SHELL judges the value itself;
 * userinit starting them is what the value says. */
static int is_configured_shell(const struct snap *s, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < s->nregs; i++) {
        const struct snap_reg *r = &s->regs[i];
        size_t kl = r->key ? strlen(r->key) : 0;
        if (r->deleted || !r->name || ascii_casecmp(r->name, "Shell") || kl < 8 ||
            ascii_casecmp(r->key + kl - 8, "Winlogon") || r->type == SNAP_REG_DWORD || !r->ndata)
            continue;
        for (const char *e = r->data[0]; *e;) {
            size_t n = strcspn(e, ",");
            const char *b = e, *end = e + n;
            for (const char *q = e; q < end; q++)
                if (*q == '\\' || *q == '"')
                    b = q + 1;
            while (b < end && *b == ' ')
                b++;
            size_t bn = (size_t)(end - b);
            while (bn && (b[bn - 1] == ' ' || b[bn - 1] == '"'))
                bn--;
            if (bn == nl && !ascii_ncasecmp(b, name, nl))
                return 1;
            e = *end ? end + 1 : end;
        }
    }
    return 0;
}

void chk_rule_children(struct chk_ctx *c)
{
    int kind;
    const struct kb_proc *core = chk_target(c, &kind);
    struct snap *s = c->s;
    int winlogon = !strcmp(core->name, "winlogon.exe"),
        userinit = !strcmp(core->name, "userinit.exe");
    for (size_t i = 0; i < s->nprocs; i++) {
        long pi = c->parent[i];
        if (pi < 0 || c->kind[pi] != kind)
            continue;
        const struct snap_proc *p = &s->procs[i];
        const char *name = chk_name(p);
        if (chk_unknown_name(name) || chk_in_list(core->children, name))
            continue;
        size_t nl = strlen(name);
        if (winlogon && nl > 4 && !ascii_casecmp(name + nl - 4, ".scr"))
            continue; /* the screen saver */
        if (userinit && (logon_script(p) || is_configured_shell(s, name)))
            continue;
        char d[300];
        chk_report_proc(c, i, "%s was started by %s, which only starts %s%s", name,
                        chk_pdesc(&s->procs[pi], d, sizeof(d)), core->children,
                        winlogon && chk_in_list(CHK_SHELLS, name)
                            ? "; a shell under winlogon is the accessibility-feature backdoor "
                              "(sethc.exe or utilman.exe replaced, or given a debugger)"
                            : "");
    }
}

void chk_rule_system_pid(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++)
        if (c->kind[i] == c->k_system && c->s->procs[i].pid != 4)
            chk_report_proc(c, i,
                            "a process named System has pid %lu; the real System is "
                            "pid 4",
                            (unsigned long)c->s->procs[i].pid);
}

void chk_rule_system_instances(struct chk_ctx *c)
{
    long first = -1;
    for (size_t i = 0; i < c->s->nprocs; i++) {
        if (c->kind[i] != c->k_system || !snap_proc_alive(&c->s->procs[i]))
            continue;
        /* The real one (pid 4) counts first wherever it appears. */
        if (first < 0 || (c->s->procs[i].pid == 4 && c->s->procs[first].pid != 4))
            first = (long)i;
    }
    for (size_t i = 0; i < c->s->nprocs; i++)
        if ((long)i != first && c->kind[i] == c->k_system && snap_proc_alive(&c->s->procs[i]))
            chk_report_proc(c, i, "a second System process (the first is pid %lu)",
                            (unsigned long)c->s->procs[first].pid);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

void chk_rule_session_unexplained(struct chk_ctx *c)
{
    struct snap *s = c->s;
    int32_t *known = xmalloc((s->nsessions ? s->nsessions : 1) * sizeof(*known));
    for (size_t k = 0; k < s->nsessions; k++)
        known[k] = s->sessions[k].id;
    sort_n(known, s->nsessions, sizeof(*known), cmp_i32);
    /* Report each unexplained session once, on its first process. */
    int32_t *seen = NULL;
    size_t nseen = 0, cap = 0;
    for (size_t i = 0; i < s->nprocs; i++) {
        int32_t ss = s->procs[i].session;
        if (ss == SNAP_NO_SESSION || ss < 2)
            continue;
        if (bsearch(&ss, known, s->nsessions, sizeof(*known), cmp_i32))
            continue;
        if (nseen && bsearch(&ss, seen, nseen, sizeof(*seen), cmp_i32))
            continue;
        XGROW(seen, cap, nseen + 1);
        size_t at = nseen;
        while (at > 0 && seen[at - 1] > ss)
            at--;
        memmove(seen + at + 1, seen + at, (nseen - at) * sizeof(*seen));
        seen[at] = ss;
        nseen++;
        chk_report_proc(c, i,
                        "session %ld has processes but no session creation or logon "
                        "is recorded for it",
                        (long)ss);
    }
    free(seen);
    free(known);
}

void chk_rule_priority(struct chk_ctx *c);
void chk_rule_core_priority(struct chk_ctx *c);
void chk_rule_core_integrity(struct chk_ctx *c);
void chk_rule_before_boot(struct chk_ctx *c);

/* The target's base priority (SMSS-PRIORITY): the kb row's. */
void chk_rule_priority(struct chk_ctx *c)
{
    int kind;
    const struct kb_proc *core = chk_target(c, &kind);
    for (size_t i = 0; i < c->s->nprocs; i++) {
        int32_t pr = c->s->procs[i].base_priority;
        if (c->kind[i] == kind && pr != SNAP_NO_PRIORITY && pr != core->priority)
            chk_report_proc(c, i, "base priority %ld; expected %d", (long)pr, core->priority);
    }
}

void chk_rule_core_priority(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        if (!c->kind[i] || p->base_priority == SNAP_NO_PRIORITY)
            continue;
        const struct kb_proc *core = &kb_procs[c->kind[i] - 1];
        if (core->priority_fixed && !(c->own[c->kind[i]] & CHK_OWN_PRIORITY) &&
            p->base_priority != core->priority)
            chk_report_proc(c, i, "%s has base priority %ld; Windows gives it %ld", core->name,
                            (long)p->base_priority, (long)core->priority);
    }
}

void chk_rule_core_integrity(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        if (!c->kind[i] || !p->integrity || !*p->integrity ||
            !kb_procs[c->kind[i] - 1].system_integrity)
            continue;
        if (ascii_casecmp(p->integrity, "System") && ascii_casecmp(p->integrity, "Protected"))
            chk_report_proc(c, i, "%s runs at %s integrity; it runs at System integrity",
                            kb_procs[c->kind[i] - 1].name, p->integrity);
    }
}

void chk_rule_before_boot(struct chk_ctx *c)
{
    const struct snap *s = c->s;
    int64_t boot = WT_NONE;
    for (size_t i = 0; i < s->nprocs; i++)
        if (c->kind[i] == c->k_system && s->procs[i].pid == 4)
            boot = s->procs[i].create_time;
    if (boot == WT_NONE)
        return;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        /* Idle (pid 0) is as old as System. */
        if (p->pid == 0 || p->create_time == WT_NONE || p->create_time >= boot)
            continue;
        char dur[32];
        wt_format_duration(boot - p->create_time, dur, sizeof(dur));
        chk_report_proc(c, i,
                        "created %s before System, the first process of the boot: the clock "
                        "was set back, or the record was forged",
                        dur);
    }
}

void chk_rule_system_exe_path(struct chk_ctx *c);

/* SigmaHQ proc_creation_win_susp_system_exe_anomaly ("System File Execution
 * Location Anomaly", e4a6b256-3e47-40fc-89d2-7a477edd6915): Windows programs
 * that live in the system folders. The core processes have their own path
 * rows (SMSS-PATH, CORE-PATH, ...). */
static const char SYSTEM_EXES[] =
    "atbroker.exe|audiodg.exe|bcdedit.exe|bitsadmin.exe|certreq.exe|certutil.exe|cmstp.exe|"
    "conhost.exe|consent.exe|cscript.exe|dashost.exe|defrag.exe|dfrgui.exe|dism.exe|"
    "dllhst3g.exe|eventvwr.exe|msiexec.exe|ntoskrnl.exe|powershell_ise.exe|powershell.exe|"
    "pwsh.exe|regsvr32.exe|rundll32.exe|runonce.exe|schtasks.exe|sihost.exe|smartscreen.exe|"
    "Taskmgr.exe|werfault.exe|werfaultsecure.exe|winver.exe|wlanext.exe|wscript.exe|wsl.exe|"
    "wsmprovhost.exe";

/* The folders the rule's filters allow, normalised (chk_path_norm). */
static const char *const system_dirs[] = {
    "\\windows\\system32\\",   "\\windows\\syswow64\\",
    "\\windows\\winsxs\\",     "\\windows\\softwaredistribution\\",
    "\\windows\\systemtemp\\", "\\windows\\uus\\",
    "\\$windows.~bt\\",        "\\$winreagent\\"};

static int prefix(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

static int system_exe_ok(const char *name, const char *norm)
{
    for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++)
        if (prefix(norm, system_dirs[i]))
            return 1;
    if (!ascii_casecmp(name, "pwsh.exe"))
        return prefix(norm, "\\program files\\powershell\\7\\") ||
               prefix(norm, "\\program files\\powershell\\7-preview\\") ||
               prefix(norm, "\\program files\\windowsapps\\microsoft.powershellpreview") ||
               strstr(norm,
                      "\\appdata\\local\\microsoft\\windowsapps\\microsoft.powershellpreview");
    if (!ascii_casecmp(name, "wsl.exe"))
        return prefix(norm, "\\program files\\windowsapps\\microsoftcorporationii."
                            "windowssubsystemforlinux") ||
               prefix(norm, "\\program files\\wsl\\") ||
               (prefix(norm, "\\users\\") &&
                strstr(norm, "\\appdata\\local\\microsoft\\windowsapps\\"));
    return 0;
}

void chk_rule_system_exe_path(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        const char *name = chk_name(p);
        if (c->kind[i] || !p->image || !strchr(p->image, '\\') || !chk_in_list(SYSTEM_EXES, name))
            continue;
        if (!c->img_norm[i] || system_exe_ok(name, c->img_norm[i]))
            continue;
        chk_report_proc(c, i,
                        "%s runs from '%s'; Windows keeps it in System32 (or SysWOW64, "
                        "WinSxS)",
                        name, p->image);
    }
}

void chk_rule_core_cmdline(struct chk_ctx *c);

/* Core processes Windows starts with no arguments (domain.md section 3:
 * "wininit.exe", "winlogon.exe", "C:\\Windows\\system32\\services.exe", ...). */
static const char NO_ARGS[] = "wininit.exe|winlogon.exe|services.exe|lsass.exe";

void chk_rule_core_cmdline(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        const char *name = chk_name(p), *cl = p->command_line;
        if (!cl || !c->kind[i])
            continue;
        int master = c->kind[i] == c->k_smss && !chk_smss_is_child(c, i);
        if (!master && !chk_in_list(NO_ARGS, name))
            continue;
        /* What follows the program must be blank. */
        const char *rest = chk_cmd_args(cl);
        /* A master smss may be started with -SpecialSession (domain.md section 2). */
        if (master && !ascii_ncasecmp(rest, "-SpecialSession", 15) && chk_str_blank(rest + 15))
            continue;
        if (!chk_str_blank(rest))
            chk_report_proc(c, i, "%s runs with arguments: '%s'", name, p->command_line);
    }
}
