/*
 * rules_tree: what core processes start. A parent is judged by what the
 * child's record says of it, so these rules work on logs that begin after
 * the parent started (the parent is "seen as parent", readers/rd_build.c):
 * a service whose program is a shell, a service started through an
 * unquoted path, and a shell opened by an accessibility program.
 */
#include "chk_int.h"

#include "../core/hash.h"

#include <stdio.h>
#include <string.h>

void chk_rule_services_shell(struct chk_ctx *c);
void chk_rule_services_unquoted(struct chk_ctx *c);
void chk_rule_accessibility_shell(struct chk_ctx *c);

#define SERVICE_SHELLS CHK_SERVICE_SHELLS

/* The kind of process i's recorded parent (0 = none or not a core process). */
static int parent_kind(const struct chk_ctx *c, size_t i)
{
    long pi = c->parent[i];
    return pi < 0 ? 0 : c->kind[pi];
}

void chk_rule_services_shell(struct chk_ctx *c)
{
    int k_services = chk_kind_of("services.exe");
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        if (parent_kind(c, i) != k_services || !chk_in_list(SERVICE_SHELLS, chk_name(p)))
            continue;
        int sys = chk_is_system(p);
        if (sys == 0)
            continue; /* a service account's own script is rare but not this */
        chk_report_proc(c, i,
                        "services.exe started %s%s: a service whose program is a shell is how "
                        "PsExec-style tools and getsystem run commands",
                        chk_name(p), sys == 1 ? " as SYSTEM" : "");
    }
}

/* Is image what Windows runs when an unquoted path with spaces is cut at
 * a space ("C:\Program Files\App\svc.exe" runs C:\Program.exe first)? */
static int unquoted_hijack(const struct snap_proc *p)
{
    const char *cl = p->command_line, *img = p->image;
    if (!cl || !img)
        return 0;
    while (*cl == ' ')
        cl++;
    if (*cl == '"')
        return 0;
    /* Cheap test first: the planted program's name (C:\Program.exe ->
     * "program") must end a word of the command line at a space. */
    const char *base = strrchr(img, '\\');
    base = base ? base + 1 : img;
    size_t bl = strlen(base);
    if (bl <= 4 || ascii_casecmp(base + bl - 4, ".exe"))
        return 0;
    /* The few spaces of the line are found faster than the stem. */
    size_t sl = bl - 4;
    const char *sp = strchr(cl, ' ');
    while (sp && ((size_t)(sp - cl) < sl || ascii_ncasecmp(sp - sl, base, sl)))
        sp = strchr(sp + 1, ' ');
    if (!sp)
        return 0;
    char norm_img[1024];
    if (chk_path_norm(img, norm_img, sizeof(norm_img)) < 0)
        return 0;
    for (sp = strchr(cl, ' '); sp; sp = strchr(sp + 1, ' ')) {
        char cut[1024], norm[1024];
        int n = snprintf(cut, sizeof(cut), "%.*s.exe", (int)(sp - cl), cl);
        if (n < 0 || (size_t)n >= sizeof(cut) || chk_path_norm(cut, norm, sizeof(norm)) < 0)
            return 0;
        if (!strcmp(norm, norm_img))
            return 1;
    }
    return 0;
}

void chk_rule_services_unquoted(struct chk_ctx *c)
{
    int k_services = chk_kind_of("services.exe");
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        if (parent_kind(c, i) == k_services && unquoted_hijack(p))
            chk_report_proc(c, i,
                            "services.exe ran '%s' for the unquoted service path '%s': the "
                            "program planted where the path breaks at a space",
                            p->image, p->command_line);
    }
}

void chk_rule_accessibility_shell(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        long pi = c->parent[i];
        if (pi < 0 || !chk_in_list(CHK_SHELLS, chk_name(&c->s->procs[i])))
            continue;
        const struct snap_proc *q = &c->s->procs[pi];
        if (!chk_in_list(CHK_ACCESSIBILITY, chk_name(q)))
            continue;
        char d[300];
        chk_report_proc(c, i,
                        "%s was started by %s, an accessibility program the logon screen "
                        "offers: a replaced binary or a debugger turned it into a shell",
                        chk_name(&c->s->procs[i]), chk_pdesc(q, d, sizeof(d)));
    }
}

void chk_rule_core_parent(struct chk_ctx *c);
void chk_rule_core_children(struct chk_ctx *c);
void chk_rule_svchost_args(struct chk_ctx *c);
void chk_rule_svchost_user(struct chk_ctx *c);
void chk_rule_userinit_user(struct chk_ctx *c);
void chk_rule_lsass_dump(struct chk_ctx *c);
void chk_rule_shell_system_session(struct chk_ctx *c);

void chk_rule_core_parent(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        if (!c->kind[i] || !kb_procs[c->kind[i] - 1].parents ||
            (c->own[c->kind[i]] & CHK_OWN_PARENT))
            continue;
        const struct kb_proc *core = &kb_procs[c->kind[i] - 1];
        const struct snap_proc *q = chk_live_parent(c, i);
        if (!q || chk_in_list(core->parents, chk_name(q)) ||
            (core->parents_win7 && c->win7 && chk_in_list(core->parents_win7, chk_name(q))))
            continue;
        char d[300];
        chk_report_proc(c, i, "%s was started by %s; Windows starts it from %s", core->name,
                        chk_pdesc(q, d, sizeof(d)), core->parents);
    }
}

/* Windows Error Reporting's programs: they collect and report crashes and
 * start nothing but each other. */
#define WER_PROGRAMS "wermgr.exe|WerFault.exe|WerFaultSecure.exe"

/* Is process i a shell running as SYSTEM whose recorded parent is an error
 * reporting program? The CVE-2020-1337 / WerTrigger chain ends that way. */
static int wer_system_shell(const struct chk_ctx *c, size_t i)
{
    long pi = c->parent[i];
    const struct snap_proc *p = &c->s->procs[i];
    return pi >= 0 && chk_in_list(WER_PROGRAMS, chk_name(&c->s->procs[pi])) &&
           chk_in_list(SERVICE_SHELLS, chk_name(p)) && chk_is_system(p) == 1;
}

void chk_rule_wer_system_shell(struct chk_ctx *c);

void chk_rule_wer_system_shell(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        if (!wer_system_shell(c, i))
            continue;
        char d[300];
        chk_report_proc(c, i,
                        "%s runs as SYSTEM, started by %s: error reporting starts no shell; "
                        "this is the SYSTEM shell of an exploit that made it load the "
                        "attacker's DLL (CVE-2020-1337, WerTrigger)",
                        chk_name(&c->s->procs[i]),
                        chk_pdesc(&c->s->procs[c->parent[i]], d, sizeof(d)));
    }
}

void chk_rule_core_children(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        long pi = c->parent[i];
        if (pi < 0 || !c->kind[pi] || !kb_procs[c->kind[pi] - 1].children ||
            (c->own[c->kind[pi]] & CHK_OWN_CHILDREN))
            continue;
        const struct kb_proc *core = &kb_procs[c->kind[pi] - 1];
        const char *name = chk_name(&c->s->procs[i]);
        if (chk_unknown_name(name) || chk_in_list(core->children, name) || wer_system_shell(c, i))
            continue; /* a SYSTEM shell under error reporting is WER-SYSTEM-SHELL's */
        char d[300];
        chk_report_proc(c, i, "%s was started by %s, which only starts %s", name,
                        chk_pdesc(&c->s->procs[pi], d, sizeof(d)), core->children);
    }
}

/* Does the command line hold the option opt ("-k") as a word, with '-' or
 * '/' (svchost takes both)? */
static int has_option(const char *cl, char opt)
{
    for (const char *p = cl; p && *p; p++)
        if ((*p == '-' || *p == '/') && (p == cl || p[-1] == ' ') && ascii_lower(p[1]) == opt &&
            (p[2] == ' ' || !p[2]))
            return 1;
    return 0;
}

void chk_rule_svchost_args(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        if (c->kind[i] == c->k_svchost && p->command_line && !p->seen_as_parent &&
            !has_option(p->command_line, 'k'))
            chk_report_proc(c, i, "svchost.exe runs without a -k service group: '%s'",
                            p->command_line);
    }
}

/* The accounts Windows runs services under: SYSTEM, LOCAL SERVICE, NETWORK
 * SERVICE, and the virtual service accounts (NT SERVICE\..., S-1-5-80-). */
static int service_account(const struct snap_proc *p)
{
    if (p->sid && *p->sid)
        return !strcmp(p->sid, "S-1-5-18") || !strcmp(p->sid, "S-1-5-19") ||
               !strcmp(p->sid, "S-1-5-20") || !strncmp(p->sid, "S-1-5-80-", 9);
    if (!p->user || !*p->user)
        return -1;
    const char *bs = strrchr(p->user, '\\');
    const char *name = bs ? bs + 1 : p->user;
    if (bs && !ascii_ncasecmp(p->user, "NT SERVICE\\", 11))
        return 1;
    /* The domain part is localised (NT AUTHORITY, NT-AUTORITÄT); the names
     * are not. */
    return chk_in_list("SYSTEM|LOCAL SERVICE|NETWORK SERVICE", name);
}

void chk_rule_svchost_user(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        /* Per-user services (-k UnistackSvcGroup, ...) run as their user,
         * in the user's session: only session 0 is held to service accounts. */
        if (c->kind[i] != c->k_svchost || p->session != 0 || service_account(p) != 0)
            continue;
        chk_report_proc(c, i, "a session-0 svchost.exe runs as '%s'%s%s", p->user ? p->user : "?",
                        p->sid ? " " : "", p->sid ? p->sid : "");
    }
}

void chk_rule_userinit_user(struct chk_ctx *c)
{
    int k = chk_kind_of("userinit.exe");
    for (size_t i = 0; i < c->s->nprocs; i++)
        if (c->kind[i] == k && chk_is_system(&c->s->procs[i]) == 1)
            chk_report_proc(c, i,
                            "userinit.exe runs as SYSTEM; winlogon starts it with the token of "
                            "the user who logged on");
}

/* What LSASS-DUMP looks for in a command line: comsvcs.dll's MiniDump, and
 * WerFault's "-ip" (a dump asked for). */
enum { CL_MINIDUMP = 1, CL_DUMP_IP = 2 };

unsigned chk_cl_dump_marks(const char *cl)
{
    unsigned m = 0;
    if (chk_ci_find(cl, "comsvcs") && chk_ci_find(cl, "minidump"))
        m |= CL_MINIDUMP;
    if (chk_ci_find(cl, " -ip "))
        m |= CL_DUMP_IP;
    return m;
}

void chk_rule_lsass_dump(struct chk_ctx *c)
{
    int k_lsass = chk_kind_of("lsass.exe");
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        const char *cl = p->command_line, *name = chk_name(p);
        if (!cl)
            continue;
        /* Every process's line is searched: each line once (chk_cl_facts;
         * lines recur in every snapshot). */
        unsigned marks = chk_cl_facts(c, i) >> 8 & 0xffu;
        /* rundll32 comsvcs.dll, MiniDump <lsass pid> <file> full */
        if (marks & CL_MINIDUMP) {
            chk_report_proc(c, i, "%s runs comsvcs.dll's MiniDump: '%s'", name, cl);
            continue;
        }
        /* WerFault started by lsass with a dump of lsass asked for (-ip):
         * a crash report has -u -p PID -s N only. */
        long pi = c->parent[i];
        if ((marks & CL_DUMP_IP) && !ascii_casecmp(name, "WerFault.exe") && pi >= 0 &&
            c->kind[pi] == k_lsass)
            chk_report_proc(c, i, "WerFault.exe started by lsass.exe asks for a dump: '%s'", cl);
    }
}

void chk_rule_shell_system_session(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nprocs; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        if (p->session == SNAP_NO_SESSION || p->session < 1 ||
            !chk_in_list(SERVICE_SHELLS, chk_name(p)) || chk_is_system(p) != 1)
            continue;
        chk_report_proc(c, i,
                        "%s runs as SYSTEM in interactive session %ld: SYSTEM shells belong "
                        "to session 0; one on a user's desktop came from an exploit, a "
                        "backdoor at the logon screen or psexec -s -i",
                        chk_name(p), (long)p->session);
    }
}
