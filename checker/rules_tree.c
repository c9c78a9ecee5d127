/*
 * rules_tree: what core processes start. A parent is judged by what the
 * child's record says of it, so these rules work on logs that begin after
 * the parent started (the parent is "seen as parent", readers/rd_build.c):
 * a service whose program is a shell, a service started through an
 * unquoted path, and a shell opened by an accessibility program.
 */
#include "chk_int.h"

#include <stdio.h>
#include <string.h>

void chk_rule_services_shell(struct chk_ctx *c);
void chk_rule_services_unquoted(struct chk_ctx *c);
void chk_rule_accessibility_shell(struct chk_ctx *c);

/* What a service control manager child may not be: a command shell or a
 * script host (SigmaHQ proc_creation_win_hktl_meterpreter_getsystem: the
 * PsExec-style and getsystem services run `cmd /c ...`). */
#define SERVICE_SHELLS \
    "cmd.exe|powershell.exe|pwsh.exe|powershell_ise.exe|wscript.exe|cscript.exe|mshta.exe"

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
    char norm_img[1024];
    if (chk_path_norm(img, norm_img, sizeof(norm_img)) < 0)
        return 0;
    for (const char *sp = strchr(cl, ' '); sp; sp = strchr(sp + 1, ' ')) {
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
