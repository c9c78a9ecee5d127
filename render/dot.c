/*
 * dot: the renderer. It turns one snapshot (plus the checker's findings)
 * into DOT text that reads like the teaching posters: who started whom, which
 * processes are gone and why csrss, wininit and winlogon have no living
 * parent, and what the checker found. It only appends to a strbuf; running
 * Graphviz is the CLI's job. Every string that comes from the input is
 * written through dot_escape, and nothing depends on pointers or on memory
 * layout, so equal input gives byte-identical output.
 */
#include "dot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How much of each field a label shows; the tooltip carries more. */
#define LBL_NAME 128
#define LBL_USER 128
#define LBL_CMD 200
#define LBL_TITLE 160
#define LBL_REG 240

/* ---- escaping ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Code points that are valid text but could fake what a label says: C1
 * controls, line separators and bidi overrides (the "exe.txt" trick). */
static int is_sneaky(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void dot_escape(struct strbuf *sb, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    if (!s)
        return;
    if (max > DOT_MAX_FIELD)
        max = DOT_MAX_FIELD;
    size_t n = strnlen(s, max + 1);
    int cut = 0;
    if (n > max) {
        n = max;
        cut = 1;
        /* Do not split a character: drop its leading bytes too. */
        for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; k++)
            n--;
    }
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c == '"') {
            sb_add(sb, "\\\"", 2);
        } else if (c == '\\') {
            /* Doubled, so \l \n \N \G in a path stay text. */
            sb_add(sb, "\\\\", 2);
        } else if (c == '&') {
            /* Graphviz decodes entities in plain labels; keep "&lt;" literal. */
            sb_add(sb, "&amp;", 5);
        } else if (c < 0x20 || c == 0x7f) {
            char x[5] = {'\\', '\\', 'x', hex[c >> 4], hex[c & 15]};
            sb_add(sb, x, 5);
        } else if (c < 0x80) {
            sb_addc(sb, (char)c);
        } else {
            uint32_t cp;
            size_t len = utf8_seq(u + i, n - i, &cp);
            if (len == 0) {
                sb_add(sb, "\xef\xbf\xbd", 3); /* U+FFFD for each bad byte */
                i++;
                continue;
            }
            if (is_sneaky(cp))
                sb_addf(sb, "\\\\u%04x", (unsigned)cp);
            else
                sb_add(sb, s + i, len);
            i += len;
            continue;
        }
        i++;
    }
    if (cut)
        sb_add(sb, "...", 3);
    else if (n > 0 && s[n - 1] == '\\')
        sb_addc(sb, ' '); /* "\\" before the closing quote would escape it */
}

/* ---- the model: order, parents, what to draw ------------------------------ */

struct key {
    int64_t ct;
    uint32_t pid;
    size_t idx;
};

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->ct != y->ct)
        return x->ct < y->ct ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A finding attached to a process or registry value. */
struct tag {
    size_t idx;
    const char *rule;
};

static int tag_cmp(const void *a, const void *b)
{
    const struct tag *x = a, *y = b;
    if (x->idx != y->idx)
        return x->idx < y->idx ? -1 : 1;
    return strcmp(x->rule, y->rule);
}

/* A parent that is not in the snapshot, drawn once for all its children. */
struct ghost {
    uint32_t pid;
    int64_t ct;
};

static int ghost_cmp(const void *a, const void *b)
{
    const struct ghost *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->ct != y->ct)
        return x->ct < y->ct ? -1 : 1;
    return 0;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int i32_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

enum { D_DESC = 1, D_ANC = 2 };

struct ctx {
    struct snap *s;
    const struct dot_opts *o;
    int checked;
    size_t n;
    struct key *order;   /* procs by (create_time, pid) */
    long *par;           /* parent's index, -1 when not in the snapshot */
    uint32_t *dup;       /* id suffix for repeated (pid, create_time) */
    unsigned char *draw; /* D_* bits; nonzero = drawn */
    struct tag *ptags;   /* process findings, sorted by (proc, rule) */
    size_t nptags;
    size_t *ptag_at;   /* first ptags entry of each proc (n + 1 entries) */
    struct tag *rtags; /* registry findings, sorted by (reg, rule) */
    size_t nrtags;
    const struct chk_finding **global; /* findings on no process and no value */
    size_t nglobal;
    size_t nfindings;
    struct ghost *ghosts;
    size_t nghosts;
    uint32_t *pids; /* every pid, sorted: is a ghost's pid reused? */
    long master;    /* the master smss, -1 if none */
};

static int name_is(const struct snap_proc *p, const char *name)
{
    return ascii_casecmp(snap_proc_basename(p), name) == 0;
}

/* "smss.exe" matches focus "smss.exe" and "smss", in any case. */
static int focus_name_matches(const struct snap_proc *p, const char *focus)
{
    const char *b = snap_proc_basename(p);
    if (ascii_casecmp(b, focus) == 0)
        return 1;
    size_t fl = strlen(focus), bl = strlen(b);
    return bl == fl + 4 && ascii_ends_with_case(b, ".exe") && ascii_ncasecmp(b, focus, fl) == 0;
}

static int needs_ghost(const struct snap_proc *p)
{
    /* Idle and System have no parent; ppid 0 means "none" everywhere else. */
    return p->ppid != 0 && p->ppid != p->pid && p->pid > 4;
}

static int select_focus(struct ctx *c, struct err *e)
{
    const char *focus = c->o ? c->o->focus : NULL;
    if (!focus) {
        memset(c->draw, D_DESC | D_ANC, c->n);
        return 0;
    }
    uint64_t pid;
    int by_pid = parse_u64(focus, UINT32_MAX, &pid) == 0;
    size_t *queue = xmalloc((c->n + 1) * sizeof(*queue));
    size_t qh = 0, qt = 0;
    for (size_t k = 0; k < c->n; k++) {
        size_t i = c->order[k].idx;
        const struct snap_proc *p = &c->s->procs[i];
        if (by_pid ? p->pid == pid : focus_name_matches(p, focus)) {
            c->draw[i] |= D_DESC;
            queue[qt++] = i;
        }
    }
    if (qt == 0) {
        free(queue);
        err_set(e, "focus '%.64s' matches no process in the snapshot", focus);
        return -1;
    }
    size_t nmatch = qt;
    /* Descendants: children lists built from par[], in drawing order. */
    size_t *start = xcalloc(c->n + 1, sizeof(*start));
    size_t *kids = xmalloc((c->n + 1) * sizeof(*kids));
    for (size_t i = 0; i < c->n; i++)
        if (c->par[i] >= 0)
            start[c->par[i] + 1]++;
    for (size_t i = 0; i < c->n; i++)
        start[i + 1] += start[i];
    size_t *fill = xmalloc((c->n + 1) * sizeof(*fill));
    memcpy(fill, start, c->n * sizeof(*fill));
    for (size_t k = 0; k < c->n; k++) {
        size_t i = c->order[k].idx;
        if (c->par[i] >= 0)
            kids[fill[c->par[i]]++] = i;
    }
    while (qh < qt) {
        size_t i = queue[qh++];
        for (size_t j = start[i]; j < start[i + 1]; j++) {
            size_t ch = kids[j];
            if (!(c->draw[ch] & D_DESC)) {
                c->draw[ch] |= D_DESC;
                queue[qt++] = ch;
            }
        }
    }
    /* Ancestors: stop at a node whose ancestors are already in (also ends cycles). */
    for (size_t m = 0; m < nmatch; m++) {
        long i = (long)queue[m];
        while (i >= 0 && !(c->draw[i] & D_ANC)) {
            c->draw[i] |= D_ANC;
            i = c->par[i];
        }
    }
    free(fill);
    free(kids);
    free(start);
    free(queue);
    return 0;
}

static void collect_tags(struct ctx *c, const struct chk_findings *f)
{
    c->ptag_at = xcalloc(c->n + 1, sizeof(*c->ptag_at));
    if (!f)
        return;
    c->ptags = xmalloc((f->n + 1) * sizeof(*c->ptags));
    c->rtags = xmalloc((f->n + 1) * sizeof(*c->rtags));
    c->global = xmalloc((f->n + 1) * sizeof(*c->global));
    c->nfindings = f->n;
    for (size_t k = 0; k < f->n; k++) {
        const struct chk_finding *x = &f->v[k];
        const char *rule = x->rule && x->rule->id ? x->rule->id : "?";
        if (x->proc >= 0 && (size_t)x->proc < c->n)
            c->ptags[c->nptags++] = (struct tag){(size_t)x->proc, rule};
        else if (x->reg >= 0 && (size_t)x->reg < c->s->nregs)
            c->rtags[c->nrtags++] = (struct tag){(size_t)x->reg, rule};
        else
            c->global[c->nglobal++] = x;
    }
    sort_n(c->ptags, c->nptags, sizeof(*c->ptags), tag_cmp);
    sort_n(c->rtags, c->nrtags, sizeof(*c->rtags), tag_cmp);
    for (size_t k = 0; k < c->nptags; k++)
        c->ptag_at[c->ptags[k].idx + 1]++;
    for (size_t i = 0; i < c->n; i++)
        c->ptag_at[i + 1] += c->ptag_at[i];
}

static int flagged(const struct ctx *c, size_t i)
{
    return c->ptag_at[i + 1] > c->ptag_at[i];
}

/* Rule ids of one process or registry value, each once. */
static void put_rules(struct strbuf *sb, const struct tag *t, size_t from, size_t to)
{
    sb_adds(sb, "\\n! ");
    for (size_t k = from; k < to; k++) {
        if (k > from && !strcmp(t[k].rule, t[k - 1].rule))
            continue;
        if (k > from)
            sb_adds(sb, ", ");
        dot_escape(sb, t[k].rule, 64);
    }
}

static void collect_ghosts(struct ctx *c)
{
    c->ghosts = xmalloc((c->n + 1) * sizeof(*c->ghosts));
    for (size_t i = 0; i < c->n; i++) {
        const struct snap_proc *p = &c->s->procs[i];
        if (c->draw[i] && c->par[i] < 0 && needs_ghost(p))
            c->ghosts[c->nghosts++] = (struct ghost){p->ppid, p->parent_create_time};
    }
    sort_n(c->ghosts, c->nghosts, sizeof(*c->ghosts), ghost_cmp);
    size_t m = 0;
    for (size_t k = 0; k < c->nghosts; k++)
        if (m == 0 || ghost_cmp(&c->ghosts[m - 1], &c->ghosts[k]))
            c->ghosts[m++] = c->ghosts[k];
    c->nghosts = m;
    c->pids = xmalloc((c->n + 1) * sizeof(*c->pids));
    for (size_t i = 0; i < c->n; i++)
        c->pids[i] = c->s->procs[i].pid;
    sort_n(c->pids, c->n, sizeof(*c->pids), u32_cmp);
}

static long find_master(const struct ctx *c)
{
    long dead = -1;
    for (size_t k = 0; k < c->n; k++) {
        size_t i = c->order[k].idx;
        const struct snap_proc *p = &c->s->procs[i];
        if (p->ppid != 4 || !name_is(p, "smss.exe"))
            continue;
        if (snap_proc_alive(p))
            return (long)i;
        if (dead < 0)
            dead = (long)i;
    }
    return dead;
}

/* ---- writing -------------------------------------------------------------- */

static void put_node_id(struct strbuf *sb, const struct ctx *c, size_t i)
{
    const struct snap_proc *p = &c->s->procs[i];
    sb_adds(sb, "\"p");
    sb_addu64(sb, p->pid);
    sb_addc(sb, '_');
    if (p->create_time == WT_NONE)
        sb_addc(sb, 'x');
    else
        sb_addi64(sb, p->create_time);
    if (c->dup[i]) {
        sb_addc(sb, '_');
        sb_addu64(sb, c->dup[i]);
    }
    sb_addc(sb, '"');
}

static void put_ghost_id(struct strbuf *sb, uint32_t pid, int64_t ct)
{
    sb_adds(sb, "\"g");
    sb_addu64(sb, pid);
    sb_addc(sb, '_');
    if (ct == WT_NONE)
        sb_addc(sb, 'x');
    else
        sb_addi64(sb, ct);
    sb_addc(sb, '"');
}

/* A duration: "850us", "12ms", "3.284s", "1h05m03.000s". */
static void put_span(struct strbuf *sb, int64_t d)
{
    if (d < 0) {
        sb_addc(sb, '-');
        d = d == INT64_MIN ? INT64_MAX : -d;
    }
    long long us = (long long)d;
    if (us < WT_MSEC)
        sb_addf(sb, "%lldus", us);
    else if (us < WT_SEC)
        sb_addf(sb, "%lldms", us / WT_MSEC);
    else if (us < WT_MIN)
        sb_addf(sb, "%lld.%03llds", us / WT_SEC, us % WT_SEC / WT_MSEC);
    else if (us < WT_HOUR)
        sb_addf(sb, "%lldm%02lld.%03llds", us / WT_MIN, us % WT_MIN / WT_SEC,
                us % WT_SEC / WT_MSEC);
    else
        sb_addf(sb, "%lldh%02lldm%02lld.%03llds", us / WT_HOUR, us % WT_HOUR / WT_MIN,
                us % WT_MIN / WT_SEC, us % WT_SEC / WT_MSEC);
}

static int time_ok(int64_t t)
{
    return t != WT_NONE && t >= 0 && t <= WT_MAX;
}

/* A moment, as an offset after boot when the boot time is known ("+3.284s"). */
static void put_when(struct strbuf *sb, const struct snap *s, int64_t t)
{
    if (time_ok(s->boot_time) && time_ok(t) && t >= s->boot_time) {
        sb_addc(sb, '+');
        put_span(sb, t - s->boot_time);
    } else if (time_ok(t)) {
        char iso[WT_ISO_LEN];
        wt_format_iso(t, iso);
        sb_adds(sb, iso);
    } else {
        sb_adds(sb, "unknown time");
    }
}

static void put_session_word(struct strbuf *sb, int32_t session)
{
    if (session == SNAP_NO_SESSION)
        sb_adds(sb, "no session");
    else
        sb_addf(sb, "session %ld", (long)session);
}

static void put_proc_node(struct strbuf *sb, const struct ctx *c, size_t i, const char *indent)
{
    const struct snap_proc *p = &c->s->procs[i];
    int alive = snap_proc_alive(p), red = flagged(c, i);
    sb_adds(sb, indent);
    put_node_id(sb, c, i);
    sb_adds(sb, " [label=\"");
    const char *name = snap_proc_basename(p);
    dot_escape(sb, *name ? name : "(no name)", LBL_NAME);
    if ((long)i == c->master)
        sb_adds(sb, " (master)");
    sb_addf(sb, "\\npid %lu, ", (unsigned long)p->pid);
    put_session_word(sb, p->session);
    if (!alive) {
        sb_adds(sb, "\\nexited ");
        put_when(sb, c->s, p->exit_time);
        if (time_ok(p->create_time) && time_ok(p->exit_time)) {
            sb_adds(sb, " (ran ");
            put_span(sb, p->exit_time - p->create_time);
            sb_addc(sb, ')');
        }
    }
    if (c->o && c->o->details) {
        if (p->user) {
            sb_adds(sb, "\\nuser ");
            dot_escape(sb, p->user, LBL_USER);
        }
        if (time_ok(p->create_time)) {
            char iso[WT_ISO_LEN];
            wt_format_iso(p->create_time, iso);
            sb_addf(sb, "\\nstarted %s", iso);
        }
        if (p->command_line) {
            sb_adds(sb, "\\n");
            dot_escape(sb, p->command_line, LBL_CMD);
        }
    }
    if (red)
        put_rules(sb, c->ptags, c->ptag_at[i], c->ptag_at[i + 1]);
    sb_addc(sb, '"');
    /* The tooltip (SVG hover) carries the full path or command line. */
    const char *tip = p->command_line ? p->command_line : p->image;
    if (tip) {
        sb_adds(sb, ", tooltip=\"");
        dot_escape(sb, tip, DOT_MAX_FIELD);
        sb_addc(sb, '"');
    }
    if (!alive)
        sb_adds(sb, red ? ", style=\"rounded,dashed\", color=red, fontcolor=red, penwidth=2"
                        : ", style=\"rounded,dashed\", color=grey55, fontcolor=grey40");
    else if (red)
        sb_adds(sb, ", color=red, fontcolor=red, penwidth=2");
    if ((long)i == c->master && !red)
        sb_adds(sb, ", penwidth=2");
    sb_adds(sb, "];\n");
}

static int pid_present(const struct ctx *c, uint32_t pid)
{
    return bsearch(&pid, c->pids, c->n, sizeof(*c->pids), u32_cmp) != NULL;
}

static void put_ghosts(struct strbuf *sb, const struct ctx *c)
{
    for (size_t k = 0; k < c->nghosts; k++) {
        const struct ghost *g = &c->ghosts[k];
        sb_adds(sb, "    ");
        put_ghost_id(sb, g->pid, g->ct);
        sb_addf(sb, " [label=\"pid %lu\\n(not in snapshot)", (unsigned long)g->pid);
        if (pid_present(c, g->pid))
            sb_adds(sb, "\\npid reused later");
        sb_adds(sb, "\", style=\"dashed\", shape=box, color=grey55, fontcolor=grey40, "
                    "fontsize=8];\n");
    }
}

/* Outside every cluster: minimal and no-session processes and the master smss. */
static int outside(const struct ctx *c, size_t i)
{
    return c->s->procs[i].session == SNAP_NO_SESSION || (long)i == c->master;
}

static void put_session_label(struct strbuf *sb, const struct snap *s, int32_t id)
{
    const struct snap_session *ss = snap_session(s, id);
    sb_addf(sb, "Session %ld", (long)id);
    const char *kind = ss ? ss->kind : NULL;
    if (kind && !ascii_casecmp(kind, "console")) {
        sb_adds(sb, " (console)");
    } else if (kind && !ascii_casecmp(kind, "rdp")) {
        sb_adds(sb, " (RDP)");
    } else if (kind && *kind && ascii_casecmp(kind, "services")) {
        sb_adds(sb, " (");
        dot_escape(sb, kind, 32);
        sb_addc(sb, ')');
    }
    if (!ss)
        return;
    if (ss->user) {
        sb_adds(sb, "\\n");
        dot_escape(sb, ss->user, LBL_USER);
        if (ss->logon_time != WT_NONE) {
            sb_adds(sb, ", logon ");
            put_when(sb, s, ss->logon_time);
        }
    }
    if (ss->end_time != WT_NONE) {
        sb_adds(sb, "\\nended ");
        put_when(sb, s, ss->end_time);
    }
}

static void put_clusters(struct strbuf *sb, const struct ctx *c)
{
    const struct snap *s = c->s;
    int32_t *ids = xmalloc((c->n + s->nsessions + 1) * sizeof(*ids));
    size_t nids = 0;
    int focus = c->o && c->o->focus;
    if (!focus)
        for (size_t k = 0; k < s->nsessions; k++)
            if (s->sessions[k].id != SNAP_NO_SESSION)
                ids[nids++] = s->sessions[k].id;
    for (size_t i = 0; i < c->n; i++)
        if (c->draw[i] && !outside(c, i))
            ids[nids++] = s->procs[i].session;
    sort_n(ids, nids, sizeof(*ids), i32_cmp);
    /* Processes of one session, in drawing order, grouped by a stable sort. */
    size_t *members = xmalloc((c->n + 1) * sizeof(*members));
    for (size_t k = 0; k < nids; k++) {
        if (k > 0 && ids[k] == ids[k - 1])
            continue;
        int32_t id = ids[k];
        size_t nm = 0;
        for (size_t j = 0; j < c->n; j++) {
            size_t i = c->order[j].idx;
            if (c->draw[i] && !outside(c, i) && s->procs[i].session == id)
                members[nm++] = i;
        }
        const struct snap_session *ss = snap_session(s, id);
        sb_addf(sb, "    subgraph \"cluster_s%ld\" {\n        label=\"", (long)id);
        put_session_label(sb, s, id);
        sb_adds(sb, "\";\n");
        if (ss && ss->end_time != WT_NONE)
            sb_adds(sb, "        style=\"rounded,dashed\"; color=grey55; fontcolor=grey40;\n");
        else
            sb_adds(sb, "        style=rounded; color=grey40;\n");
        for (size_t m = 0; m < nm; m++)
            put_proc_node(sb, c, members[m], "        ");
        if (nm == 0)
            sb_addf(sb,
                    "        \"s%ld_empty\" [label=\"(no processes)\", shape=plaintext, "
                    "fontcolor=grey40];\n",
                    (long)id);
        sb_adds(sb, "    }\n");
    }
    free(members);
    free(ids);
}

/* More leaf children than this under one parent are staggered over several
 * rows (as Graphviz's unflatten -l does): 40 svchosts side by side would make
 * the picture 6,000 points wide. */
#define STAGGER_MIN 8
#define STAGGER_ROW 10
#define STAGGER_MAX_ROWS 6

static void put_edges(struct strbuf *sb, const struct ctx *c)
{
    size_t *nkids = xcalloc(c->n + 1, sizeof(*nkids));
    size_t *nleaf = xcalloc(c->n + 1, sizeof(*nleaf));
    size_t *seen = xcalloc(c->n + 1, sizeof(*seen));
    for (size_t i = 0; i < c->n; i++)
        if (c->draw[i] && c->par[i] >= 0 && c->draw[c->par[i]])
            nkids[c->par[i]]++;
    for (size_t i = 0; i < c->n; i++)
        if (c->draw[i] && c->par[i] >= 0 && c->draw[c->par[i]] && nkids[i] == 0)
            nleaf[c->par[i]]++;
    for (size_t k = 0; k < c->n; k++) {
        size_t i = c->order[k].idx;
        const struct snap_proc *p = &c->s->procs[i];
        if (!c->draw[i])
            continue;
        long q = c->par[i];
        if (q >= 0 && !c->draw[q])
            continue;
        if (q < 0 && !needs_ghost(p))
            continue;
        sb_adds(sb, "    ");
        if (q >= 0)
            put_node_id(sb, c, (size_t)q);
        else
            put_ghost_id(sb, p->ppid, p->parent_create_time);
        sb_adds(sb, " -> ");
        put_node_id(sb, c, i);
        const char *sep = " [";
        /* Dotted: the parent is gone, which is normal for csrss, wininit,
         * winlogon and explorer. */
        if (q < 0 || !snap_proc_alive(&c->s->procs[q])) {
            sb_adds(sb, " [style=dotted, color=grey45");
            sep = ", ";
        }
        if (q >= 0 && nkids[i] == 0 && nleaf[q] > STAGGER_MIN) {
            size_t rows = (nleaf[q] + STAGGER_ROW - 1) / STAGGER_ROW;
            rows = rows > STAGGER_MAX_ROWS ? STAGGER_MAX_ROWS : rows;
            size_t ml = 1 + seen[q]++ % rows;
            if (ml > 1) {
                sb_addf(sb, "%sminlen=%zu", sep, ml);
                sep = ", ";
            }
        }
        sb_adds(sb, sep[1] == ' ' ? "];\n" : ";\n");
    }
    free(seen);
    free(nleaf);
    free(nkids);
}

static int reg_cmp(const struct snap *s, size_t a, size_t b)
{
    const struct snap_reg *x = &s->regs[a], *y = &s->regs[b];
    int r = strcmp(x->key ? x->key : "", y->key ? y->key : "");
    if (!r)
        r = strcmp(x->name ? x->name : "", y->name ? y->name : "");
    return r ? r : (a < b ? -1 : a > b);
}

/* Who reads a value at boot: winlogon for its key, lsass for Lsa, else smss. */
static long reg_reader(const struct ctx *c, const struct snap_reg *r)
{
    const char *want = NULL;
    const char *key = r->key ? r->key : "";
    size_t kl = strlen(key);
    for (size_t j = 0; j < kl; j++) {
        if (!ascii_ncasecmp(key + j, "\\Winlogon", 9))
            want = "winlogon.exe";
        else if (!ascii_ncasecmp(key + j, "\\Lsa", 4) && (key[j + 4] == '\\' || !key[j + 4]))
            want = "lsass.exe";
    }
    if (!want)
        return c->master;
    for (size_t k = 0; k < c->n; k++) {
        size_t i = c->order[k].idx;
        if (name_is(&c->s->procs[i], want))
            return (long)i;
    }
    return -1;
}

static void put_reg_value(struct strbuf *sb, const struct snap_reg *r)
{
    if (r->type == SNAP_REG_DWORD) {
        sb_addf(sb, "0x%lx", (unsigned long)r->dword);
        return;
    }
    /* The whole value shares one budget, so a long list cannot blow the label. */
    size_t budget = LBL_REG;
    for (uint32_t k = 0; k < r->ndata && r->data; k++) {
        const char *d = r->data[k] ? r->data[k] : "";
        if (k > 0)
            sb_adds(sb, " | ");
        if (budget == 0) {
            sb_adds(sb, "...");
            break;
        }
        size_t len = strnlen(d, budget + 1);
        dot_escape(sb, d, budget);
        budget -= len < budget ? len : budget;
    }
    if (r->ndata == 0)
        sb_adds(sb, "(empty)");
}

static void put_regs(struct strbuf *sb, const struct ctx *c)
{
    const struct snap *s = c->s;
    size_t *idx = xmalloc((c->nrtags + 1) * sizeof(*idx));
    size_t *from = xmalloc((c->nrtags + 1) * sizeof(*from));
    size_t n = 0;
    for (size_t k = 0; k < c->nrtags; k++)
        if (k == 0 || c->rtags[k].idx != c->rtags[k - 1].idx)
            from[n] = k, idx[n++] = c->rtags[k].idx;
    from[n] = c->nrtags;
    /* Number the notes in key order, not in the order the findings came. */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && reg_cmp(s, idx[b - 1], idx[b]) > 0; b--) {
            size_t t = idx[b];
            idx[b] = idx[b - 1], idx[b - 1] = t;
            t = from[b];
            from[b] = from[b - 1], from[b - 1] = t;
        }
    static const char prefix[] = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\";
    for (size_t k = 0; k < n; k++) {
        const struct snap_reg *r = &s->regs[idx[k]];
        long reader = reg_reader(c, r);
        int focus = c->o && c->o->focus;
        if (focus && (reader < 0 || !c->draw[reader]))
            continue;
        size_t to = c->rtags[from[k]].idx, end = from[k];
        while (end < c->nrtags && c->rtags[end].idx == to)
            end++;
        const char *key = r->key ? r->key : "";
        sb_addf(sb, "    \"r%zu\" [shape=note, color=red, fontcolor=red, label=\"", k + 1);
        if (!ascii_ncasecmp(key, prefix, sizeof(prefix) - 1)) {
            sb_adds(sb, "HKLM\\\\...\\\\");
            key += sizeof(prefix) - 1;
        }
        dot_escape(sb, key, LBL_REG);
        sb_adds(sb, "\\n");
        dot_escape(sb, r->name && *r->name ? r->name : "(default)", LBL_NAME);
        sb_adds(sb, " = ");
        put_reg_value(sb, r);
        put_rules(sb, c->rtags, from[k], end);
        sb_adds(sb, "\"];\n");
        if (reader >= 0 && c->draw[reader]) {
            sb_adds(sb, "    ");
            put_node_id(sb, c, (size_t)reader);
            sb_addf(sb,
                    " -> \"r%zu\" [style=dashed, color=red, arrowhead=none, "
                    "label=\"reads\", fontsize=8, fontcolor=red];\n",
                    k + 1);
        }
    }
    free(from);
    free(idx);
}

static void put_legend(struct strbuf *sb, const struct ctx *c, const struct chk_findings *f)
{
    sb_adds(sb, "    \"legend\" [shape=note, fontsize=9, color=grey55, label=\"How to read this\\l"
                "box: a process (name, pid, session)\\l"
                "dashed grey box: exited, with its exit time\\l"
                "dotted edge: the parent has exited or is not in the snapshot\\l"
                "  (normal for csrss, wininit, winlogon, explorer: an smss child\\l"
                "  or userinit started them and exited)\\l"
                "cluster: one session; Session 0 runs services\\l");
    if (c->nghosts)
        sb_adds(sb, "small dashed box: a parent that is not in the snapshot\\l");
    if (!c->checked) {
        sb_adds(sb, "not checked: no findings drawn\\l");
    } else if (c->nfindings == 0) {
        sb_adds(sb, "checker: no findings\\l");
    } else {
        sb_adds(sb, "red: flagged by the checker (rule ids after !)\\l");
        /* Each rule once, in id order, with its title. */
        const struct chk_rule **rules = xmalloc((f->n + 1) * sizeof(*rules));
        size_t nr = 0;
        for (size_t k = 0; k < f->n; k++) {
            const struct chk_finding *x = &f->v[k];
            int drawn = (x->proc >= 0 && (size_t)x->proc < c->n && c->draw[x->proc]) ||
                        (x->proc < 0 && x->reg >= 0 && (size_t)x->reg < c->s->nregs);
            if (x->rule && x->rule->id && drawn)
                rules[nr++] = x->rule;
        }
        for (size_t a = 1; a < nr; a++)
            for (size_t b = a; b > 0 && strcmp(rules[b - 1]->id, rules[b]->id) > 0; b--) {
                const struct chk_rule *t = rules[b];
                rules[b] = rules[b - 1], rules[b - 1] = t;
            }
        for (size_t k = 0; k < nr; k++) {
            if (k > 0 && !strcmp(rules[k]->id, rules[k - 1]->id))
                continue;
            sb_adds(sb, "! ");
            dot_escape(sb, rules[k]->id, 64);
            if (rules[k]->title) {
                sb_adds(sb, ": ");
                dot_escape(sb, rules[k]->title, LBL_TITLE);
            }
            sb_adds(sb, "\\l");
        }
        free(rules);
        /* A finding about the snapshot as a whole (a process that is missing) has no node. */
        for (size_t k = 0; k < c->nglobal; k++) {
            const struct chk_finding *x = c->global[k];
            sb_adds(sb, "! ");
            dot_escape(sb, x->rule && x->rule->id ? x->rule->id : "?", 64);
            sb_adds(sb, ": ");
            dot_escape(sb, x->message, LBL_TITLE);
            sb_adds(sb, "\\l");
        }
    }
    sb_adds(sb, "\"];\n");
}

static void put_header(struct strbuf *sb, const struct ctx *c)
{
    const struct snap *s = c->s;
    size_t running = 0, exited = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->draw[i] && snap_proc_alive(&s->procs[i]))
            running++;
        else if (c->draw[i])
            exited++;
    sb_adds(sb, "digraph \"smsslab\" {\n"
                "    graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=t, "
                "nodesep=0.25, ranksep=0.45, label=\"");
    dot_escape(sb, s->host ? s->host : "unknown host", LBL_NAME);
    if (s->os) {
        sb_adds(sb, " (");
        dot_escape(sb, s->os, LBL_NAME);
        sb_addc(sb, ')');
    }
    sb_adds(sb, ", snapshot at ");
    put_when(sb, s, s->at);
    if (time_ok(s->boot_time) && time_ok(s->at) && s->at >= s->boot_time) {
        char iso[WT_ISO_LEN];
        wt_format_iso(s->at, iso);
        sb_addf(sb, " after boot (%s)", iso);
    }
    sb_addf(sb, "\\n%zu processes drawn (%zu running, %zu exited)", running + exited, running,
            exited);
    if (c->o && c->o->focus) {
        sb_adds(sb, ", focus ");
        dot_escape(sb, c->o->focus, LBL_NAME);
    }
    if (!c->checked)
        sb_adds(sb, ", not checked");
    else
        sb_addf(sb, ", %zu findings", c->nfindings);
    if (s->source) {
        sb_adds(sb, "\\nsource ");
        dot_escape(sb, s->source, LBL_NAME);
    }
    sb_adds(sb, "\"];\n"
                "    node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n"
                "    edge [color=grey25, arrowsize=0.7];\n");
}

int dot_write(struct strbuf *sb, struct snap *s, const struct chk_findings *findings,
              const struct dot_opts *o, struct err *e)
{
    struct ctx c = {.s = s, .o = o, .checked = findings != NULL, .n = s->nprocs};
    size_t n = c.n;
    c.order = xmalloc((n + 1) * sizeof(*c.order));
    c.par = xmalloc((n + 1) * sizeof(*c.par));
    c.dup = xcalloc(n + 1, sizeof(*c.dup));
    c.draw = xcalloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        c.order[i] = (struct key){s->procs[i].create_time, s->procs[i].pid, i};
        const struct snap_proc *q = snap_parent(s, &s->procs[i]);
        c.par[i] = q ? (long)(q - s->procs) : -1;
    }
    sort_n(c.order, n, sizeof(*c.order), key_cmp);
    for (size_t k = 1; k < n; k++)
        if (c.order[k].ct == c.order[k - 1].ct && c.order[k].pid == c.order[k - 1].pid)
            c.dup[c.order[k].idx] = c.dup[c.order[k - 1].idx] + 1;
    int rc = select_focus(&c, e);
    if (rc == 0) {
        c.master = find_master(&c);
        collect_tags(&c, findings);
        collect_ghosts(&c);
        put_header(sb, &c);
        for (size_t k = 0; k < n; k++) {
            size_t i = c.order[k].idx;
            if (c.draw[i] && outside(&c, i))
                put_proc_node(sb, &c, i, "    ");
        }
        put_ghosts(sb, &c);
        put_clusters(sb, &c);
        put_edges(sb, &c);
        put_regs(sb, &c);
        put_legend(sb, &c, findings);
        sb_adds(sb, "}\n");
    }
    free(c.pids);
    free(c.ghosts);
    free(c.global);
    free(c.rtags);
    free(c.ptags);
    free(c.ptag_at);
    free(c.draw);
    free(c.dup);
    free(c.par);
    free(c.order);
    return rc;
}
