/*
 * rules_shell: the user's shell and what sits beside lsass -- explorer.exe's
 * parent, user and count, userinit.exe exiting after it starts the shell,
 * LsaIso.exe without Credential Guard, and an accessibility program
 * overwritten in System32 (the sticky-keys backdoor by a replaced binary).
 */
#include "chk_int.h"

#include "../core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void chk_rule_explorer_parent(struct chk_ctx *c);
void chk_rule_explorer_user(struct chk_ctx *c);
void chk_rule_explorer_instances(struct chk_ctx *c);
void chk_rule_userinit_alive(struct chk_ctx *c);
void chk_rule_lsaiso_credguard(struct chk_ctx *c);
void chk_rule_accessibility_replaced(struct chk_ctx *c);

/* How long a userinit may outlive the shell it started. A real Windows 10
 * logon (OTRF Security-Datasets, host WORKSTATION5) shows userinit exiting
 * 30 s after explorer; logon scripts it waits for are its children. */
#define USERINIT_GRACE (10 * WT_MIN)
/* An explorer started with no arguments while one runs hands its window to
 * the running one and exits within a second or two. */
#define EXPLORER_HANDOFF (10 * WT_SEC)

/* 1 = the shell form (no arguments), 0 = a folder window or a COM server
 * ("/factory,{...} -Embedding", "/separate,...", "/e,...", a path), -1 =
 * the command line is unknown. */
static int shell_form(const struct snap_proc *p)
{
    if (!p->command_line)
        return -1;
    return chk_str_blank(chk_cmd_args(p->command_line));
}

void chk_rule_explorer_parent(struct chk_ctx *c)
{
    int k = chk_kind_of("explorer.exe");
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        /* The recorded parent, alive or not: a process list has none once
         * userinit exits, an event log names userinit. */
        long pi = c->kind[i] == k ? c->parent[i] : -1;
        const struct snap_proc *q = pi >= 0 ? &c->s->procs[pi] : NULL;
        if (!q || chk_unknown_name(chk_name(q)) || (q->image && !strcmp(q->image, "?")))
            continue;
        const char *pn = chk_name(q);
        /* userinit (not yet exited), winlogon restarting the shell
         * (AutoRestartShell), Task Manager's "Run new task" after a crash. */
        if (chk_in_list("userinit.exe|winlogon.exe|taskmgr.exe", pn))
            continue;
        int form = shell_form(p);
        /* Folder windows and the COM servers (svchost's DcomLaunch starts
         * "explorer.exe /factory,{...} -Embedding") are not the shell; a
         * bare one started from explorer hands off and exits. */
        if (form == 0 || (form < 0 && chk_in_list("svchost.exe|explorer.exe", pn)))
            continue;
        if (p->exit_time != WT_NONE && p->create_time != WT_NONE &&
            p->exit_time - p->create_time <= EXPLORER_HANDOFF)
            continue;
        char d[300];
        chk_report_proc(c, i,
                        "explorer.exe was started by %s%s: the user's shell is started by "
                        "userinit.exe, which then exits",
                        chk_pdesc(q, d, sizeof(d)),
                        snap_proc_alive(q) ? ", which is still running" : "");
    }
}

/* The account part of "DOMAIN\\user" or "user@domain", for comparing a
 * process's user with a session's. */
static size_t account(const char *u, const char **out)
{
    const char *bs = strrchr(u, '\\');
    *out = bs ? bs + 1 : u;
    return strcspn(*out, "@");
}

static int same_account(const char *a, const char *b)
{
    const char *x, *y;
    size_t nx = account(a, &x), ny = account(b, &y);
    return nx == ny && !ascii_ncasecmp(x, y, nx);
}

void chk_rule_explorer_user(struct chk_ctx *c)
{
    const struct snap *s = c->s;
    int k = chk_kind_of("explorer.exe");
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (c->kind[i] != k || p->session == SNAP_NO_SESSION || p->session < 1 || !p->user ||
            !*p->user || chk_is_system(p) != 0)
            continue; /* SYSTEM is EXPLORER-SYSTEM's */
        const struct snap_session *ss = snap_session(s, p->session);
        if (!ss || !ss->user || same_account(p->user, ss->user))
            continue;
        chk_report_proc(c, i,
                        "explorer.exe runs as '%s' in session %ld, where '%s' logged on: "
                        "each session's shell runs as the user of its logon",
                        p->user, (long)p->session, ss->user);
    }
}

struct shell_inst {
    int32_t session;
    int64_t create;
    size_t idx;
    const char *user;
};

static int cmp_shell(const void *a, const void *b)
{
    const struct shell_inst *x = a, *y = b;
    if (x->session != y->session)
        return x->session < y->session ? -1 : 1;
    const char *ux, *uy;
    size_t nx = account(x->user, &ux), ny = account(y->user, &uy);
    size_t n = nx < ny ? nx : ny;
    for (size_t k = 0; k < n; k++)
        if (ascii_lower(ux[k]) != ascii_lower(uy[k]))
            return ascii_lower(ux[k]) < ascii_lower(uy[k]) ? -1 : 1;
    if (nx != ny)
        return nx < ny ? -1 : 1;
    if (x->create != y->create)
        return x->create < y->create ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void chk_rule_explorer_instances(struct chk_ctx *c)
{
    const struct snap *s = c->s;
    int k = chk_kind_of("explorer.exe");
    struct shell_inst *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        /* Exits recorded, in a known session, for a known user, and the
         * shell itself: folder windows and COM servers are extra processes
         * by design ("Launch folder windows in a separate process"). */
        if (c->kind[i] != k || p->exit_unrecorded || p->create_time == WT_NONE ||
            p->session == SNAP_NO_SESSION || !p->user || !*p->user || shell_form(p) != 1)
            continue;
        if (p->exit_time != WT_NONE && p->exit_time - p->create_time <= EXPLORER_HANDOFF)
            continue; /* handed its window to the running shell */
        XGROW(v, cap, n + 1);
        v[n++] = (struct shell_inst){p->session, p->create_time, i, p->user};
    }
    if (n > 1)
        sort_n(v, n, sizeof(*v), cmp_shell);
    /* Within a (session, user) group in creation order: is the previous
     * shell still running when this one starts? A restart after a crash
     * or a new logon follows an exit. */
    for (size_t j = 1; j < n; j++) {
        if (v[j].session != v[j - 1].session || !same_account(v[j].user, v[j - 1].user))
            continue;
        const struct snap_proc *first = &s->procs[v[j - 1].idx];
        if (first->exit_time != WT_NONE && first->exit_time <= v[j].create)
            continue;
        chk_report_proc(c, v[j].idx,
                        "a second shell explorer.exe for '%s' in session %ld (the first is pid "
                        "%lu): Windows starts one per logon",
                        v[j].user, (long)v[j].session, (unsigned long)first->pid);
    }
    free(v);
}

void chk_rule_userinit_alive(struct chk_ctx *c)
{
    const struct snap *s = c->s;
    int k = chk_kind_of("userinit.exe"), k_explorer = chk_kind_of("explorer.exe");
    if (s->at == WT_NONE)
        return;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (c->kind[i] != k || !snap_proc_alive(p) || p->exit_unrecorded)
            continue;
        /* The shell it started, and any other child still running (a logon
         * script userinit waits for). */
        int64_t shell = WT_NONE;
        int waiting = 0;
        for (size_t j = 0; j < s->nprocs; j++) {
            if (c->parent[j] != (long)i)
                continue;
            const struct snap_proc *q = &s->procs[j];
            if (c->kind[j] == k_explorer) {
                if (q->create_time != WT_NONE && (shell == WT_NONE || q->create_time < shell))
                    shell = q->create_time;
            } else if (snap_proc_alive(q)) {
                waiting = 1;
            }
        }
        if (waiting || shell == WT_NONE || s->at - shell <= USERINIT_GRACE)
            continue;
        char dur[32];
        wt_format_elapsed(s->at - shell, dur, sizeof(dur));
        chk_report_proc(c, i,
                        "userinit.exe is still running %s after it started the shell: it "
                        "exits once the shell and the logon scripts have started",
                        dur);
    }
}

#define LSA_TAIL "\\Control\\Lsa"
#define DEVGUARD_TAIL "\\Policies\\Microsoft\\Windows\\DeviceGuard"

static int key_ends(const char *key, const char *tail)
{
    size_t kl = key ? strlen(key) : 0, tl = strlen(tail);
    return kl >= tl && !ascii_casecmp(key + kl - tl, tail);
}

void chk_rule_lsaiso_credguard(struct chk_ctx *c)
{
    const struct snap *s = c->s;
    /* Credential Guard is configured by LsaCfgFlags under Lsa or under the
     * DeviceGuard policy (1 or 2 = on); Windows 11 22H2 turns it on with
     * no value at all. Only a 0 in place before the boot says "off". */
    const struct snap_reg *off = NULL;
    for (size_t i = 0; i < s->nregs; i++) {
        const struct snap_reg *r = &s->regs[i];
        if (r->deleted || !r->name || ascii_casecmp(r->name, "LsaCfgFlags") ||
            (!key_ends(r->key, LSA_TAIL) && !key_ends(r->key, DEVGUARD_TAIL)))
            continue;
        uint32_t v;
        if (chk_reg_u32(r, &v))
            continue;
        if (v)
            return; /* turned on somewhere: LsaIso is expected */
        off = r;
    }
    if (!off)
        return;
    int k = chk_kind_of("LsaIso.exe");
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (c->kind[i] != k || !snap_proc_alive(p))
            continue;
        /* Turned off after this LsaIso started: it runs until the reboot. */
        if (off->time != WT_NONE && p->create_time != WT_NONE && off->time > p->create_time)
            continue;
        chk_report_proc(c, i,
                        "LsaIso.exe runs although LsaCfgFlags is 0 under %s: Windows starts "
                        "the isolated LSA only with Credential Guard on (unless a UEFI lock "
                        "keeps it on: check the firmware setting)",
                        off->key);
    }
}

/* Does the command line end with an accessibility program in System32 as
 * its last argument (the target of copy, move, xcopy, replace)? */
static const char *last_arg_accessibility(const char *cl, char *buf, size_t n)
{
    size_t len = strlen(cl);
    while (len && (cl[len - 1] == ' ' || cl[len - 1] == '"'))
        len--;
    size_t start = len;
    while (start && cl[start - 1] != ' ' && cl[start - 1] != '"')
        start--;
    char arg[512], norm[512];
    if (len - start >= sizeof(arg))
        return NULL;
    memcpy(arg, cl + start, len - start);
    arg[len - start] = 0;
    if (chk_path_norm(arg, norm, sizeof(norm)) < 0 || strncmp(norm, "\\windows\\system32\\", 18))
        return NULL;
    if (!chk_in_list(CHK_ACCESSIBILITY, norm + 18))
        return NULL;
    snprintf(buf, n, "%s", arg);
    return buf;
}

/* The first accessibility program in System32 the command line names. */
static const char *names_accessibility(const char *cl, char *buf, size_t n)
{
    for (const char *p = cl; (p = chk_ci_find(p, "\\system32\\")) != NULL; p++) {
        size_t w = strcspn(p + 10, " \"");
        char name[64];
        if (w >= sizeof(name))
            continue;
        memcpy(name, p + 10, w);
        name[w] = 0;
        if (chk_in_list(CHK_ACCESSIBILITY, name)) {
            snprintf(buf, n, "%s", name);
            return buf;
        }
    }
    return NULL;
}

/* The verbs that take over or overwrite a file, as program names or cmd
 * built-ins; bit k of chk_cl_verbs's result is VERBS[k]. */
static const char *const VERBS[] = {"takeown", "icacls",  "copy",    "move",
                                    "xcopy",   "replace", "robocopy"};
enum { V_TAKEOVER = 3u, V_OVERWRITE = 0x7cu }; /* takeown, icacls | the rest */

/* Which VERBS are words of the command line: each starts the line or
 * follows a blank, quote, backslash or '&', and ends at a blank, quote,
 * '.' or the end. One pass over the line for all of them (a search per
 * verb was a tenth of check's time). */
unsigned chk_cl_verbs(const char *cl)
{
    unsigned found = 0;
    /* Word starts only: the line's, then after each separator libc finds. */
    for (const char *p = cl; p; p = strpbrk(p, " \"\\&"), p = p ? p + 1 : NULL) {
        char f = ascii_lower(*p);
        if (f != 't' && f != 'i' && f != 'c' && f != 'm' && f != 'x' && f != 'r')
            continue;
        for (size_t k = 0; k < ARRAY_SIZE(VERBS); k++) {
            size_t n = strlen(VERBS[k]);
            char after;
            if (VERBS[k][0] == f && !ascii_ncasecmp(p, VERBS[k], n) &&
                ((after = p[n]) == ' ' || after == '"' || after == 0 || after == '.'))
                found |= 1u << k;
        }
    }
    return found;
}

void chk_rule_accessibility_replaced(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        const char *cl = p->command_line;
        char what[512];
        if (!cl || p->seen_as_parent)
            continue;
        /* Command lines recur (forty svchosts a boot, the same services
         * in every log): each is scanned once (chk_cl_facts). */
        unsigned verbs = chk_cl_facts(c, i) & 0xffu;
        /* takeown and icacls open the file for the overwrite that follows. */
        if ((verbs & V_TAKEOVER) && names_accessibility(cl, what, sizeof(what)))
            chk_report_proc(c, i,
                            "'%s' takes over %s in System32: the first step of replacing it "
                            "with cmd.exe (the sticky-keys backdoor)",
                            cl, what);
        else if ((verbs & V_OVERWRITE) && last_arg_accessibility(cl, what, sizeof(what)))
            chk_report_proc(c, i,
                            "'%s' overwrites %s: the logon screen will start whatever is "
                            "copied there as SYSTEM (the sticky-keys backdoor)",
                            cl, what);
    }
}
