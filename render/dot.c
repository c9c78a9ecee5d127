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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of each field a label shows; the tooltip carries more. */
#define LBL_NAME 128
#define LBL_USER 128
#define LBL_CMD 200
#define LBL_TITLE 160
#define LBL_REG 240

/* The registry panel and the notes of flagged values. */
#define PANEL_COLS 3       /* key boxes side by side */
#define PANEL_LINES 12     /* value lines per key box before "... N more" */
#define PANEL_WRAP 56      /* characters of a value line */
#define PANEL_VAL_LINES 3  /* lines of one value */
#define PANEL_FLAG_LINES 8 /* of a flagged one: what is wrong may be at its end */

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

/* ---- options ----------------------------------------------------------------- */

static const struct {
    const char *word;
    unsigned bit;
} show_words[] = {{"user", DOT_SHOW_USER},           {"start", DOT_SHOW_START},
                  {"cmdline", DOT_SHOW_CMDLINE},     {"priority", DOT_SHOW_PRIORITY},
                  {"integrity", DOT_SHOW_INTEGRITY}, {"path", DOT_SHOW_PATH}};

int dot_parse_show(const char *s, unsigned *out, struct err *e)
{
    unsigned bits = 0;
    for (const char *p = s;;) {
        size_t n = strcspn(p, ","), k = 0;
        if (n == 3 && !strncmp(p, "all", 3)) {
            for (k = 0; k < ARRAY_SIZE(show_words); k++)
                bits |= show_words[k].bit;
        } else {
            for (; k < ARRAY_SIZE(show_words); k++)
                if (strlen(show_words[k].word) == n && !strncmp(p, show_words[k].word, n))
                    break;
            if (k == ARRAY_SIZE(show_words)) {
                err_set(e,
                        "unknown field '%.*s' (expected user, priority, integrity, cmdline, "
                        "start, path or all)",
                        (int)(n > 64 ? 64 : n), p);
                return -1;
            }
            bits |= show_words[k].bit;
        }
        p += n;
        if (!*p++)
            break;
    }
    *out = bits;
    return 0;
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
    /* Folding (--collapse): a box stands for fold_n[i] > 1 processes, the
     * others chained from it through fold_next in drawing order. */
    uint32_t *fold_n;
    long *fold_next;
    size_t nfolded; /* processes not drawn because a box stands for them */
    size_t nboxes;  /* boxes that stand for several */
    unsigned show;
    int light_edges; /* edges into a box from outside have weight 0 */
    size_t *minlen;  /* ranks below the parent, or a root below its row */
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

/* The next item of a comma-separated list into item (cut at 127 bytes);
 * returns 0 after the last. */
static int next_item(const char **list, char item[128])
{
    const char *f = *list;
    if (!f)
        return 0;
    size_t len = strcspn(f, ",");
    snprintf(item, 128, "%.*s", (int)(len < 128 ? len : 127), f);
    *list = f[len] ? f + len + 1 : NULL;
    return 1;
}

/* Does one --focus item (a pid or a name) pick p? */
static int focus_item_matches(const struct snap_proc *p, const char *item)
{
    uint64_t pid;
    if (parse_u64(item, UINT32_MAX, &pid) == 0)
        return p->pid == pid;
    return focus_name_matches(p, item);
}

static int select_focus(struct ctx *c, struct err *e)
{
    const char *focus = c->o ? c->o->focus : NULL;
    if (!focus) {
        memset(c->draw, D_DESC | D_ANC, c->n);
        return 0;
    }
    size_t *queue = xmalloc((c->n + 1) * sizeof(*queue));
    size_t qh = 0, qt = 0;
    /* Each comma-separated item must pick something: a typo is an error. */
    char item[128];
    for (const char *f = focus; next_item(&f, item);) {
        size_t hits = 0;
        for (size_t k = 0; k < c->n; k++) {
            size_t i = c->order[k].idx;
            if (!focus_item_matches(&c->s->procs[i], item))
                continue;
            hits++;
            if (!(c->draw[i] & D_DESC)) {
                c->draw[i] |= D_DESC;
                queue[qt++] = i;
            }
        }
        if (hits == 0) {
            free(queue);
            err_set(e, "focus '%.64s' matches no process in the snapshot", item);
            return -1;
        }
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

/* ---- folding repeated siblings (--collapse) -------------------------------- */

struct fold_key {
    long par;
    int32_t session;
    int alive;
    const char *name;
    size_t rank; /* position in drawing order */
    size_t idx;
};

static int fold_cmp(const void *a, const void *b)
{
    const struct fold_key *x = a, *y = b;
    if (x->par != y->par)
        return x->par < y->par ? -1 : 1;
    if (x->session != y->session)
        return x->session < y->session ? -1 : 1;
    if (x->alive != y->alive)
        return x->alive < y->alive ? -1 : 1;
    int r = ascii_casecmp(x->name, y->name);
    if (r)
        return r;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Does "svchost,conhost.exe" name p? */
static int in_name_list(const char *list, const struct snap_proc *p)
{
    char item[128];
    for (const char *f = list; next_item(&f, item);)
        if (*item && focus_name_matches(p, item))
            return 1;
    return 0;
}

/* Is pid that of a parent that is gone (a "pid reused later" box)? */
static int ghost_pid(const struct ctx *c, uint32_t pid)
{
    size_t lo = 0, hi = c->nghosts; /* ghosts are sorted by pid */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ghosts[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nghosts && c->ghosts[lo].pid == pid;
}

/* Leaf siblings with one parent, session, state and name fold into the
 * first of them. What the checker flags, the master and a process whose
 * pid a gone parent had (the lesson of pid reuse) never fold. */
static void fold_siblings(struct ctx *c)
{
    size_t n = c->n;
    c->fold_n = xcalloc(n + 1, sizeof(*c->fold_n));
    c->fold_next = xmalloc((n + 1) * sizeof(*c->fold_next));
    for (size_t i = 0; i < n; i++)
        c->fold_next[i] = -1;
    const char *how = c->o ? c->o->collapse : NULL;
    if (how && !ascii_casecmp(how, "none"))
        return;
    const char *names = how && ascii_casecmp(how, "auto") ? how : NULL;
    size_t min = names ? 2 : DOT_COLLAPSE_MIN;
    size_t *nkids = xcalloc(n + 1, sizeof(*nkids));
    for (size_t i = 0; i < n; i++)
        if (c->draw[i] && c->par[i] >= 0 && c->draw[c->par[i]])
            nkids[c->par[i]]++;
    struct fold_key *k = xmalloc((n + 1) * sizeof(*k));
    size_t nk = 0;
    for (size_t r = 0; r < n; r++) {
        size_t i = c->order[r].idx;
        const struct snap_proc *p = &c->s->procs[i];
        if (!c->draw[i] || c->par[i] < 0 || !c->draw[c->par[i]] || nkids[i] || flagged(c, i) ||
            (long)i == c->master || (names && !in_name_list(names, p)) || ghost_pid(c, p->pid))
            continue;
        k[nk++] = (struct fold_key){
            c->par[i], p->session, snap_proc_alive(p), snap_proc_basename(p), r, i};
    }
    sort_n(k, nk, sizeof(*k), fold_cmp);
    for (size_t a = 0, b; a < nk; a = b) {
        for (b = a + 1; b < nk; b++) {
            struct fold_key x = k[b];
            x.rank = k[a].rank;
            if (fold_cmp(&k[a], &x))
                break;
        }
        if (b - a < min)
            continue;
        size_t rep = k[a].idx;
        c->fold_n[rep] = (uint32_t)(b - a);
        c->nboxes++;
        for (size_t m = a + 1; m < b; m++) {
            c->draw[k[m].idx] = 0;
            c->fold_next[k[m - 1].idx] = (long)k[m].idx;
            c->nfolded++;
        }
    }
    free(k);
    free(nkids);
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

/* Lines of a wrapped command line or path, and how many. */
#define WRAP_COLS 44
#define WRAP_LINES 4

/* s over at most `lines` lines of about `cols` bytes, broken after a
 * space, a backslash, a comma or a semicolon where one is near, never inside
 * a UTF-8 character; "..." when cut. Centred lines (joined by \n) for a
 * box; left-aligned (each ended by \l, continuations indented) for a note. */
static void put_wrapped_as(struct strbuf *sb, const char *s, size_t cols, int lines, int left)
{
    size_t n = strnlen(s, DOT_MAX_FIELD);
    for (int line = 0; n > 0; line++) {
        if (line == lines) {
            sb_adds(sb, left ? "    ...\\l" : "...");
            return;
        }
        size_t take = n;
        if (take > cols) {
            take = cols;
            while (take > 0 && ((unsigned char)s[take] & 0xc0) == 0x80)
                take--;
            for (size_t j = take; j > cols / 2; j--)
                if (strchr(" \\,;", s[j - 1])) {
                    take = j;
                    break;
                }
            if (take == 0)
                take = 1;
        }
        char *chunk = xstrndup(s, take);
        if (left && line > 0)
            sb_adds(sb, "    ");
        else if (!left && line > 0)
            sb_adds(sb, "\\n");
        dot_escape(sb, chunk, take);
        if (left)
            sb_adds(sb, "\\l");
        free(chunk);
        s += take;
        n -= take;
    }
}

static void put_wrapped(struct strbuf *sb, const char *s)
{
    put_wrapped_as(sb, s, WRAP_COLS, WRAP_LINES, 0);
}

/* The same text field for every process of a box, or NULL. */
static const char *common_str(const struct ctx *c, size_t i,
                              const char *(*get)(const struct snap_proc *))
{
    const char *v = get(&c->s->procs[i]);
    for (long m = c->fold_next[i]; m >= 0; m = c->fold_next[m]) {
        const char *w = get(&c->s->procs[m]);
        if (!v || !w || strcmp(v, w))
            return NULL;
    }
    return v;
}

static const char *get_user(const struct snap_proc *p)
{
    return p->user;
}
static const char *get_integrity(const struct snap_proc *p)
{
    return p->integrity;
}
static const char *get_cmd(const struct snap_proc *p)
{
    return p->command_line;
}
static const char *get_image(const struct snap_proc *p)
{
    return p->image;
}

static void put_field(struct strbuf *sb, const struct ctx *c, size_t i, const char *what,
                      const char *(*get)(const struct snap_proc *), int wrap)
{
    int many = c->fold_n[i] > 1;
    const char *v = many ? common_str(c, i, get) : get(&c->s->procs[i]);
    if (!v && !many)
        return;
    sb_adds(sb, "\\n");
    if (what)
        sb_adds(sb, what);
    if (!v)
        sb_adds(sb, "(differs)");
    else if (wrap)
        put_wrapped(sb, v);
    else
        dot_escape(sb, v, LBL_USER);
}

/* The label's text: name, pid (or how many), session, exit, what --show asks. */
static void put_proc_label(struct strbuf *sb, const struct ctx *c, size_t i)
{
    const struct snap_proc *p = &c->s->procs[i];
    const char *name = snap_proc_basename(p);
    dot_escape(sb, *name ? name : "(no name)", LBL_NAME);
    if ((long)i == c->master)
        sb_adds(sb, " (master)");
    if (c->fold_n[i] > 1) {
        sb_addf(sb, " \xc3\x97%lu\\n", (unsigned long)c->fold_n[i]); /* U+00D7 */
        put_session_word(sb, p->session);
        sb_adds(sb, ", pids in the tooltip");
    } else {
        sb_addf(sb, "\\npid %lu, ", (unsigned long)p->pid);
        put_session_word(sb, p->session);
    }
    if (!snap_proc_alive(p)) {
        /* A box of exited processes: from the first exit to the last. */
        int64_t first = p->exit_time, last = p->exit_time;
        for (long m = c->fold_next[i]; m >= 0; m = c->fold_next[m]) {
            int64_t t = c->s->procs[m].exit_time;
            first = t < first ? t : first;
            last = t > last ? t : last;
        }
        sb_adds(sb, "\\nexited ");
        put_when(sb, c->s, first);
        if (last != first) {
            sb_adds(sb, " .. ");
            put_when(sb, c->s, last);
        }
        if (c->fold_n[i] <= 1 && time_ok(p->create_time) && time_ok(p->exit_time)) {
            sb_adds(sb, " (ran ");
            put_span(sb, p->exit_time - p->create_time);
            sb_addc(sb, ')');
        }
    }
    if (c->show & DOT_SHOW_START && time_ok(p->create_time)) {
        sb_adds(sb, "\\nstarted ");
        put_when(sb, c->s, p->create_time);
        if (c->fold_n[i] > 1) {
            long last = (long)i;
            for (long m = c->fold_next[i]; m >= 0; m = c->fold_next[m])
                last = m;
            sb_adds(sb, " .. ");
            put_when(sb, c->s, c->s->procs[last].create_time);
        }
    }
    if (c->show & DOT_SHOW_USER)
        put_field(sb, c, i, "user ", get_user, 0);
    if (c->show & DOT_SHOW_INTEGRITY)
        put_field(sb, c, i, "integrity ", get_integrity, 0);
    if (c->show & DOT_SHOW_PRIORITY) {
        int same = 1;
        for (long m = c->fold_next[i]; m >= 0; m = c->fold_next[m])
            same &= c->s->procs[m].base_priority == p->base_priority;
        if (!same)
            sb_adds(sb, "\\npriority (differs)");
        else if (p->base_priority != SNAP_NO_PRIORITY)
            sb_addf(sb, "\\npriority %ld", (long)p->base_priority);
    }
    if (c->show & DOT_SHOW_PATH)
        put_field(sb, c, i, NULL, get_image, 1);
    if (c->show & DOT_SHOW_CMDLINE)
        put_field(sb, c, i, NULL, get_cmd, 1);
    if (flagged(c, i))
        put_rules(sb, c->ptags, c->ptag_at[i], c->ptag_at[i + 1]);
}

static void put_proc_node(struct strbuf *sb, const struct ctx *c, size_t i, const char *indent)
{
    const struct snap_proc *p = &c->s->procs[i];
    int alive = snap_proc_alive(p), red = flagged(c, i);
    sb_adds(sb, indent);
    put_node_id(sb, c, i);
    sb_adds(sb, " [label=\"");
    put_proc_label(sb, c, i);
    sb_addc(sb, '"');
    if (c->fold_n[i] > 1) {
        /* The tooltip (SVG hover) lists every pid of the box. */
        sb_adds(sb, ", tooltip=\"");
        size_t start = sb->len;
        for (long m = (long)i; m >= 0; m = c->fold_next[m]) {
            if (sb->len - start > DOT_MAX_FIELD) {
                sb_adds(sb, " ...");
                break;
            }
            sb_addf(sb, "%s%lu", m == (long)i ? "pids " : ", ", (unsigned long)c->s->procs[m].pid);
        }
        sb_adds(sb, "\", peripheries=2");
    } else {
        /* The tooltip carries the full path or command line. */
        const char *tip = p->command_line ? p->command_line : p->image;
        if (tip) {
            sb_adds(sb, ", tooltip=\"");
            dot_escape(sb, tip, DOT_MAX_FIELD);
            sb_addc(sb, '"');
        }
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

/* More leaf children than this under one parent are staggered over several
 * rows (as Graphviz's unflatten -l does): 40 svchosts side by side would make
 * the picture 6,000 points wide. */
#define STAGGER_MIN 8
#define STAGGER_ROW 10
#define STAGGER_MAX_ROWS 6

/* ---- layout: session boxes in rows that fit the width cap ------------------ */

/* Estimates in points, for Helvetica as the header sets it: 10-point text
 * averages under 6 points a character, 12-point cluster labels under 7. */
#define CHAR_PT 5
#define TITLE_CHAR_PT 6
#define NODE_MIN_PT 54 /* Graphviz's default node width, 0.75 in */
#define NODE_PAD_PT 18
#define NODESEP_PT 18 /* nodesep=0.25 in */
#define CLUSTER_PAD_PT 16
#define ROW_GAP_PT 24
#define LIGHT_EDGES_MAX 8 /* sessions: see put_edges */

/* The widest line of escaped label text, in characters: "\n", "\l" and
 * "\r" end lines, any other backslash pair is one character, and UTF-8
 * continuation bytes do not count. */
static size_t widest_line(const char *t, size_t len)
{
    size_t best = 0, cur = 0;
    for (size_t k = 0; k < len; k++) {
        if (t[k] == '\\' && k + 1 < len) {
            char x = t[++k];
            if (x == 'n' || x == 'l' || x == 'r') {
                best = cur > best ? cur : best;
                cur = 0;
            } else {
                cur++;
            }
        } else if (((unsigned char)t[k] & 0xc0) != 0x80) {
            cur++;
        }
    }
    return cur > best ? cur : best;
}

struct sess_key {
    int32_t session;
    size_t rank; /* drawing order */
    size_t idx;
};

static int sess_key_cmp(const void *a, const void *b)
{
    const struct sess_key *x = a, *y = b;
    if (x->session != y->session)
        return x->session < y->session ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

struct cluster {
    int32_t id;
    size_t width; /* estimated, points */
    size_t depth; /* ranks from the box's top to below its last */
    size_t row;
};

/* The box of session id: cl is sorted by id. */
static long cluster_of(const struct cluster *cl, size_t ncl, int32_t id)
{
    size_t lo = 0, hi = ncl;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cl[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ncl && cl[lo].id == id ? (long)lo : -1;
}

/* The session ids to draw as boxes, each once, in order. */
static size_t cluster_ids(const struct ctx *c, int32_t *ids)
{
    const struct snap *s = c->s;
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
    size_t m = 0;
    for (size_t k = 0; k < nids; k++)
        if (m == 0 || ids[m - 1] != ids[k])
            ids[m++] = ids[k];
    return m;
}

static int same_box(const struct ctx *c, size_t i, long q)
{
    return q >= 0 && c->draw[q] && !outside(c, (size_t)q) &&
           c->s->procs[q].session == c->s->procs[i].session;
}

static size_t cap_points(const struct ctx *c)
{
    long px = c->o ? c->o->max_width_px : 0;
    if (px == 0)
        px = DOT_DEFAULT_WIDTH_PX;
    return px < 0 ? 0 : (size_t)px * 72 / 96;
}

/* Levels of a box deeper than this share the last one's estimate. */
#define MAX_LEVELS 64

/* Does the edge q -> i stay inside one tree: both in the same box, or both
 * outside the boxes? An edge between boxes (a session-0 svchost starting a
 * user's sihost) is no part of either box's layout. */
static int tree_edge(const struct ctx *c, size_t i, long q)
{
    if (q < 0 || !c->draw[q])
        return 0;
    return outside(c, i) ? outside(c, (size_t)q) : same_box(c, i, q);
}

/* Each process's rank in its box (0 = the box's top): its parent's plus the
 * ranks between them, the chain walked up once (memo in state: 1 on the
 * walk, 2 known); a root, or a parent met again on the walk, is rank 0. */
static void box_depths(const struct ctx *c, size_t *depth)
{
    size_t n = c->n;
    unsigned char *state = xcalloc(n + 1, 1);
    size_t *stack = xmalloc((n + 1) * sizeof(*stack));
    for (size_t i = 0; i < n; i++) {
        size_t j = i, len = 0;
        while (c->draw[j] && !outside(c, j) && state[j] == 0) {
            state[j] = 1;
            stack[len++] = j;
            if (!tree_edge(c, j, c->par[j]))
                break;
            j = (size_t)c->par[j];
        }
        while (len) {
            size_t x = stack[--len];
            long q = c->par[x];
            depth[x] = tree_edge(c, x, q) && state[q] == 2 ? depth[q] + c->minlen[x] : 0;
            state[x] = 2;
        }
    }
    free(stack);
    free(state);
}

/* The ranks each process is drawn below its parent in its own tree, or, for
 * a box's root, below the box's top: c->minlen. Leaves under one parent are
 * staggered over rows (as Graphviz's unflatten -l does) when many or wider
 * than half a box; a box's roots that start nothing in it (the sihost,
 * taskhostw, ctfmon, rdpclip ... that session-0 services start in a user's
 * session) fill the box's ranks where they still fit, not all its top one.
 * Each box's width: about its fullest rank, with a margin for the room dot
 * leaves between subtrees; or its title. And its depth in ranks. */
static void estimate_widths(struct ctx *c, struct cluster *cl, size_t ncl)
{
    size_t n = c->n;
    size_t *w = xcalloc(n + 1, sizeof(*w)), *depth = xcalloc(n + 1, sizeof(*depth));
    size_t *nkids = xcalloc(n + 1, sizeof(*nkids)), *nleaf = xcalloc(n + 1, sizeof(*nleaf));
    size_t *seen = xcalloc(n + 1, sizeof(*seen)), *leafw = xcalloc(n + 1, sizeof(*leafw));
    size_t *level = xcalloc(MAX_LEVELS * (ncl + 1), sizeof(*level));
    size_t *count = xcalloc(MAX_LEVELS * (ncl + 1), sizeof(*count));
    size_t *deepest = xcalloc(ncl + 1, sizeof(*deepest));
    size_t *loose = xmalloc((n + 1) * sizeof(*loose)), nloose = 0;
    struct strbuf lbl = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (!c->draw[i])
            continue;
        if (tree_edge(c, i, c->par[i]))
            nkids[c->par[i]]++;
        sb_reset(&lbl);
        put_proc_label(&lbl, c, i);
        w[i] = widest_line(lbl.buf, lbl.len) * CHAR_PT + NODE_PAD_PT;
        w[i] = w[i] < NODE_MIN_PT ? NODE_MIN_PT : w[i];
    }
    for (size_t i = 0; i < n; i++)
        if (c->draw[i] && tree_edge(c, i, c->par[i]) && nkids[i] == 0) {
            nleaf[c->par[i]]++;
            leafw[c->par[i]] += w[i] + NODESEP_PT;
        }
    /* What a box may fill: a row of its own, less the margins. */
    size_t cap = cap_points(c);
    size_t budget = cap ? (cap * 9 / 10 - CLUSTER_PAD_PT) * 4 / 5 : SIZE_MAX;
    size_t half = budget / 2;
    for (size_t k = 0; k < n; k++) {
        size_t i = c->order[k].idx;
        if (!c->draw[i])
            continue;
        long q = c->par[i];
        c->minlen[i] = 1;
        if (tree_edge(c, i, q) && nkids[i] == 0) {
            size_t rows = nleaf[q] > STAGGER_MIN ? (nleaf[q] + STAGGER_ROW - 1) / STAGGER_ROW : 1;
            if (cap && leafw[q] > half && leafw[q] / half + 1 > rows)
                rows = leafw[q] / half + 1;
            rows = rows > STAGGER_MAX_ROWS ? STAGGER_MAX_ROWS : rows;
            c->minlen[i] = 1 + seen[q]++ % rows;
        } else if (!outside(c, i) && !tree_edge(c, i, q) && nkids[i] == 0) {
            loose[nloose++] = i; /* placed below, once the trees are */
        }
    }
    box_depths(c, depth);
    for (size_t k = 0; k < n; k++) {
        size_t i = c->order[k].idx;
        long b = c->draw[i] && !outside(c, i) ? cluster_of(cl, ncl, c->s->procs[i].session) : -1;
        if (b < 0 || (!tree_edge(c, i, c->par[i]) && nkids[i] == 0))
            continue;
        size_t d = depth[i] < MAX_LEVELS ? depth[i] : MAX_LEVELS - 1;
        size_t x = (size_t)b * MAX_LEVELS + d;
        level[x] += w[i] + (count[x]++ ? NODESEP_PT : 0);
        deepest[b] = d > deepest[b] ? d : deepest[b];
        cl[b].depth = depth[i] + 1 > cl[b].depth ? depth[i] + 1 : cl[b].depth;
    }
    for (size_t k = 0; k < nloose; k++) {
        size_t i = loose[k];
        long b = cluster_of(cl, ncl, c->s->procs[i].session);
        if (b < 0)
            continue;
        size_t *lv = level + (size_t)b * MAX_LEVELS, *ct = count + (size_t)b * MAX_LEVELS;
        size_t target = budget, last = deepest[b] + STAGGER_MAX_ROWS / 2, best = 0;
        last = last < MAX_LEVELS ? last : MAX_LEVELS - 1;
        for (size_t d = 0; d <= deepest[b]; d++)
            target = lv[d] > target ? lv[d] : target;
        for (size_t d = 0; d <= last; d++) {
            if (lv[d] + (ct[d] ? NODESEP_PT : 0) + w[i] <= target) {
                best = d;
                break;
            }
            best = lv[d] < lv[best] ? d : best;
        }
        lv[best] += w[i] + (ct[best]++ ? NODESEP_PT : 0);
        deepest[b] = best > deepest[b] ? best : deepest[b];
        cl[b].depth = best + 1 > cl[b].depth ? best + 1 : cl[b].depth;
        c->minlen[i] = best + 1;
    }
    for (size_t b = 0; b < ncl; b++) {
        size_t widest = 0;
        for (size_t d = 0; d < MAX_LEVELS; d++) {
            size_t lw = level[b * MAX_LEVELS + d];
            widest = lw > widest ? lw : widest;
        }
        widest += widest / 4;
        sb_reset(&lbl);
        put_session_label(&lbl, c->s, cl[b].id);
        size_t title = widest_line(lbl.buf, lbl.len) * TITLE_CHAR_PT;
        cl[b].width = (widest > title ? widest : title) + CLUSTER_PAD_PT;
    }
    sb_release(&lbl);
    free(loose);
    free(deepest);
    free(leafw);
    free(count);
    free(level);
    free(seen);
    free(nleaf);
    free(nkids);
    free(depth);
    free(w);
}

/* Rows in session order, each as wide as fits nine tenths of the cap (the
 * estimate's margin; at least one box a row). */
static size_t plan_rows(const struct ctx *c, struct cluster *cl, size_t ncl, size_t *widest)
{
    size_t cap = cap_points(c), row = 0, used = 0;
    *widest = 0;
    for (size_t k = 0; k < ncl; k++) {
        if (cap && used > 0 && used + ROW_GAP_PT + cl[k].width > cap * 9 / 10) {
            row++;
            used = 0;
        }
        used += (used ? ROW_GAP_PT : 0) + cl[k].width;
        *widest = used > *widest ? used : *widest;
        cl[k].row = row;
    }
    return ncl ? row + 1 : 0;
}

static void put_anchor(struct strbuf *sb, const char *indent, const char *id)
{
    sb_addf(sb, "%s\"%s\" [shape=point, style=invis, width=0, height=0, label=\"\"];\n", indent,
            id);
}

/* One box per session, in rows: an invisible node per row heads, in
 * session order (ordering=out), the invisible top of each box of the row;
 * the box's invisible bottom, as many ranks below its top as its plan has,
 * comes before the next row's node. */
static void put_clusters(struct strbuf *sb, const struct ctx *c, struct cluster *cl, size_t ncl,
                         size_t nrows, int panel)
{
    const struct snap *s = c->s;
    size_t *members = xmalloc((c->n + 1) * sizeof(*members));
    /* The registry panel, when drawn, is one more row. */
    size_t last = nrows + (panel ? 1 : 0);
    for (size_t r = 0; r < last; r++) {
        sb_addf(sb,
                "    \"row%zu\" [shape=point, style=invis, width=0, height=0, label=\"\", "
                "ordering=out];\n",
                r);
        if (r == 0 && c->master >= 0 && c->draw[c->master]) {
            sb_adds(sb, "    ");
            put_node_id(sb, c, (size_t)c->master);
            sb_adds(sb, " -> \"row0\" [style=invis];\n");
        }
    }
    /* Every boxed process, grouped by session in drawing order: one pass per
     * box would be quadratic on an input with a session per process. */
    struct sess_key *byses = xmalloc((c->n + 1) * sizeof(*byses));
    size_t nb = 0, at = 0;
    for (size_t j = 0; j < c->n; j++) {
        size_t i = c->order[j].idx;
        if (c->draw[i] && !outside(c, i))
            byses[nb++] = (struct sess_key){s->procs[i].session, j, i};
    }
    sort_n(byses, nb, sizeof(*byses), sess_key_cmp);
    for (size_t k = 0; k < ncl; k++) {
        int32_t id = cl[k].id;
        size_t nm = 0;
        while (at < nb && byses[at].session < id)
            at++;
        while (at < nb && byses[at].session == id)
            members[nm++] = byses[at++].idx;
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
        /* The box's top: its roots hang from it inside the box, on the
         * levels planned for them (dot ranks a box on its own, so ranks
         * asked of edges from outside would move the whole box down). */
        char top[32];
        snprintf(top, sizeof(top), "s%ld_top", (long)id);
        char bot[32];
        snprintf(bot, sizeof(bot), "s%ld_bottom", (long)id);
        if (nm > 0) {
            put_anchor(sb, "        ", top);
            put_anchor(sb, "        ", bot);
            sb_addf(sb, "        \"%s\" -> \"%s\" [style=invis, minlen=%zu];\n", top, bot,
                    cl[k].depth);
        }
        for (size_t m = 0; m < nm; m++) {
            size_t i = members[m];
            if (same_box(c, i, c->par[i]))
                continue;
            sb_addf(sb, "        \"%s\" -> ", top);
            put_node_id(sb, c, i);
            sb_addf(sb, " [style=invis, minlen=%zu];\n", c->minlen[i] - 1);
        }
        if (nm == 0)
            sb_addf(sb,
                    "        \"s%ld_empty\" [label=\"(no processes)\", shape=plaintext, "
                    "fontcolor=grey40];\n",
                    (long)id);
        sb_adds(sb, "    }\n");
        /* The row's node above the box's roots, in session order; the box's
         * processes above the next row's node. */
        /* Weightless: a box does not pull its row's node, nor the next
         * row's, sideways; the rows stay to the left. */
        if (nm > 0)
            sb_addf(sb, "    \"row%zu\" -> \"%s\" [style=invis, weight=0];\n", cl[k].row, top);
        if (nm > 0 && cl[k].row + 1 < last)
            sb_addf(sb, "    \"%s\" -> \"row%zu\" [style=invis, weight=0];\n", bot, cl[k].row + 1);
        if (nm == 0)
            sb_addf(sb, "    \"row%zu\" -> \"s%ld_empty\" [style=invis];\n", cl[k].row, (long)id);
        if (nm == 0 && cl[k].row + 1 < last)
            sb_addf(sb, "    \"s%ld_empty\" -> \"row%zu\" [style=invis];\n", (long)id,
                    cl[k].row + 1);
    }
    free(byses);
    free(members);
}

static void put_edges(struct strbuf *sb, const struct ctx *c)
{
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
        if (tree_edge(c, i, q) && c->minlen[i] > 1) {
            sb_addf(sb, "%sminlen=%zu", sep, c->minlen[i]);
            sep = ", ";
        }
        /* An edge into a session box from outside it (the master smss to
         * each session's smss child, the Terminal Services svchost to an RDP
         * session's rdpclip) may span rows: weightless, it does not pull the
         * box sideways, out from under the rows above; unconstrained, it
         * does not rank the box either: the box's plan does (a user's sihost
         * on the box's second rank). Only on a classroom host
         * (LIGHT_EDGES_MAX sessions): with 60 sessions weight=0 made dot take
         * 44 s for what takes it 0.5 s with weighted edges, and with 200
         * constraint=false 100 s for 4 s. */
        if (c->light_edges && !outside(c, i) && !same_box(c, i, q)) {
            sb_addf(sb, "%sweight=0, constraint=false", sep);
            sep = ", ";
        }
        sb_adds(sb, sep[1] == ' ' ? "];\n" : ";\n");
    }
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

static void put_short_key(struct strbuf *sb, const char *key);
static void put_panel_value(struct strbuf *sb, const struct snap_reg *r, const char *mark,
                            int lines);

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
    for (size_t k = 0; k < n; k++) {
        const struct snap_reg *r = &s->regs[idx[k]];
        long reader = reg_reader(c, r);
        int focus = c->o && c->o->focus;
        if (focus && (reader < 0 || !c->draw[reader]))
            continue;
        size_t to = c->rtags[from[k]].idx, end = from[k];
        while (end < c->nrtags && c->rtags[end].idx == to)
            end++;
        sb_addf(sb, "    \"r%zu\" [shape=note, color=red, fontcolor=red, label=\"", k + 1);
        /* Key, value wrapped (a SubSystems Windows line is 300 characters), rules. */
        put_short_key(sb, r->key ? r->key : "");
        sb_adds(sb, "\\l");
        put_panel_value(sb, r, "", PANEL_FLAG_LINES);
        struct strbuf rules = STRBUF_INIT;
        put_rules(&rules, c->rtags, from[k], end);
        sb_add(sb, rules.buf + 2, rules.len - 2); /* without its leading line break */
        sb_adds(sb, "\\l\"];\n");
        sb_release(&rules);
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

/* ---- the registry panel (--registry) --------------------------------------- */

static const char reg_prefix[] = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\";

static void put_short_key(struct strbuf *sb, const char *key)
{
    if (!ascii_ncasecmp(key, reg_prefix, sizeof(reg_prefix) - 1)) {
        sb_adds(sb, "HKLM\\\\...\\\\");
        key += sizeof(reg_prefix) - 1;
    }
    dot_escape(sb, key, LBL_REG);
}

/* One value as "name = data", over at most `lines` left-aligned lines. */
static void put_panel_value(struct strbuf *sb, const struct snap_reg *r, const char *mark,
                            int lines)
{
    struct strbuf v = STRBUF_INIT;
    sb_adds(&v, mark);
    sb_adds(&v, r->name && *r->name ? r->name : "(default)");
    sb_adds(&v, " = ");
    if (r->deleted) {
        sb_adds(&v, "(deleted)");
    } else if (r->type == SNAP_REG_DWORD) {
        sb_addf(&v, "0x%lx", (unsigned long)r->dword);
    } else {
        for (uint32_t k = 0; k < r->ndata && r->data && v.len < DOT_MAX_FIELD; k++)
            sb_addf(&v, "%s%s", k ? " | " : "", r->data[k] ? r->data[k] : "");
        if (r->ndata == 0)
            sb_adds(&v, "(empty)");
    }
    put_wrapped_as(sb, v.buf, PANEL_WRAP, lines, 1);
    sb_release(&v);
}

/* Every registry value of the snapshot, one box per key in key order, what
 * the checker flags in red and marked "!" with its rules. Its own row at
 * the bottom, PANEL_COLS boxes wide. */
static void put_registry_panel(struct strbuf *sb, const struct ctx *c, size_t row)
{
    const struct snap *s = c->s;
    size_t n = s->nregs;
    size_t *idx = xmalloc((n + 1) * sizeof(*idx));
    size_t *tag_at = xcalloc(n + 2, sizeof(*tag_at));
    for (size_t k = 0; k < c->nrtags; k++)
        tag_at[c->rtags[k].idx + 1]++;
    for (size_t i = 0; i < n; i++)
        tag_at[i + 1] += tag_at[i];
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    /* Insertion sort keeps equal keys in snapshot order; n is small (values read at boot). */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && reg_cmp(s, idx[b - 1], idx[b]) > 0; b--) {
            size_t t = idx[b];
            idx[b] = idx[b - 1], idx[b - 1] = t;
        }
    struct strbuf reads = STRBUF_INIT;
    sb_addf(sb, "    \"row%zu\" -> \"reg_top\" [style=invis];\n", row);
    sb_adds(sb, "    subgraph \"cluster_registry\" {\n"
                "        label=\"Registry values read at boot (Session Manager, Winlogon, ...)\";\n"
                "        style=rounded; color=grey40;\n");
    put_anchor(sb, "        ", "reg_top");
    if (n == 0)
        sb_adds(sb, "        \"reg_none\" [shape=plaintext, fontcolor=grey40, label=\"(no "
                    "registry values in this input)\"];\n        \"reg_top\" -> \"reg_none\" "
                    "[style=invis];\n");
    size_t box = 0;
    for (size_t a = 0, b; a < n; a = b) {
        const char *key = s->regs[idx[a]].key ? s->regs[idx[a]].key : "";
        int red = 0;
        for (b = a; b < n; b++) {
            const char *kb = s->regs[idx[b]].key ? s->regs[idx[b]].key : "";
            if (strcmp(kb, key))
                break;
            red |= tag_at[idx[b] + 1] > tag_at[idx[b]];
        }
        sb_addf(sb, "        \"reg%zu\" [shape=note, fontsize=9, %slabel=\"", box,
                red ? "color=red, fontcolor=red, penwidth=2, " : "color=grey55, ");
        put_short_key(sb, key);
        sb_adds(sb, "\\l");
        size_t shown = 0, hidden = 0;
        for (size_t m = a; m < b; m++) {
            size_t i = idx[m];
            int flag = tag_at[i + 1] > tag_at[i];
            if (!flag && shown >= PANEL_LINES) {
                hidden++;
                continue;
            }
            if (flag) {
                put_panel_value(sb, &s->regs[i], "! ", PANEL_FLAG_LINES);
                struct strbuf rules = STRBUF_INIT;
                put_rules(&rules, c->rtags, tag_at[i], tag_at[i + 1]);
                /* put_rules starts a new line with "! "; here it follows the value. */
                sb_adds(sb, "    flagged: ");
                sb_adds(sb, rules.buf + 4);
                sb_adds(sb, "\\l");
                sb_release(&rules);
            } else {
                put_panel_value(sb, &s->regs[i], "", PANEL_VAL_LINES);
            }
            shown++;
        }
        if (hidden)
            sb_addf(sb, "... and %zu more values\\l", hidden);
        sb_adds(sb, "\"];\n");
        if (box < PANEL_COLS)
            sb_addf(sb, "        \"reg_top\" -> \"reg%zu\" [style=invis];\n", box);
        else
            sb_addf(sb, "        \"reg%zu\" -> \"reg%zu\" [style=invis];\n", box - PANEL_COLS, box);
        /* The process that reads a flagged value at boot, tied without moving
         * it -- outside the subgraph, which would otherwise take it in. */
        long reader = red ? reg_reader(c, &s->regs[idx[a]]) : -1;
        if (reader >= 0 && c->draw[reader]) {
            sb_adds(&reads, "    ");
            put_node_id(&reads, c, (size_t)reader);
            sb_addf(&reads,
                    " -> \"reg%zu\" [style=dashed, color=red, arrowhead=none, constraint=false, "
                    "label=\"reads\", fontsize=8, fontcolor=red];\n",
                    box);
        }
        box++;
    }
    sb_adds(sb, "    }\n");
    sb_add(sb, reads.buf ? reads.buf : "", reads.len);
    sb_release(&reads);
    free(tag_at);
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
    if (c->nboxes)
        sb_adds(sb, "double box (xN): N leaf siblings of one name, pids in its tooltip\\l");
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

static void put_header(struct strbuf *sb, const struct ctx *c, size_t nrows, size_t widest)
{
    const struct snap *s = c->s;
    size_t running = 0, exited = 0;
    for (size_t i = 0; i < c->n; i++)
        for (long m = c->draw[i] ? (long)i : -1; m >= 0; m = c->fold_next[m])
            if (snap_proc_alive(&s->procs[m]))
                running++;
            else
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
    if (c->nboxes)
        sb_addf(sb, ", %zu of them in %zu folded box%s (xN)", c->nfolded + c->nboxes, c->nboxes,
                c->nboxes == 1 ? "" : "es");
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
    size_t cap = cap_points(c);
    if (cap) {
        long px = c->o && c->o->max_width_px > 0 ? c->o->max_width_px : DOT_DEFAULT_WIDTH_PX;
        sb_addf(sb, "\\nlaid out for %ld px: sessions in %zu row%s", px, nrows,
                nrows == 1 ? "" : "s");
        if (widest > cap)
            sb_adds(sb, "; a session is wider, so the picture is shrunk to fit "
                        "(--focus or --collapse keeps text larger)");
    }
    sb_adds(sb, "\"");
    /* The edges from session 0's services into the users' boxes share their
     * way down the side: one by one they made the picture 600 points wider. */
    if (c->light_edges)
        sb_adds(sb, ", concentrate=true");
    if (cap)
        /* Graphviz scales the drawing down, never up, to this many inches. */
        sb_addf(sb, ", size=\"%zu.%02zu,1000\"", cap / 72, cap % 72 * 100 / 72);
    sb_adds(sb, "];\n"
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
    c.minlen = xcalloc(n + 1, sizeof(*c.minlen));
    for (size_t i = 0; i < n; i++) {
        c.order[i] = (struct key){s->procs[i].create_time, s->procs[i].pid, i};
        const struct snap_proc *q = snap_parent(s, &s->procs[i]);
        c.par[i] = q ? (long)(q - s->procs) : -1;
    }
    sort_n(c.order, n, sizeof(*c.order), key_cmp);
    for (size_t k = 1; k < n; k++)
        if (c.order[k].ct == c.order[k - 1].ct && c.order[k].pid == c.order[k - 1].pid)
            c.dup[c.order[k].idx] = c.dup[c.order[k - 1].idx] + 1;
    c.show = o ? o->show | (o->details ? DOT_SHOW_DETAILS : 0u) : 0u;
    int rc = select_focus(&c, e);
    if (rc == 0) {
        c.master = find_master(&c);
        collect_tags(&c, findings);
        collect_ghosts(&c);
        fold_siblings(&c);
        int32_t *ids = xmalloc((c.n + s->nsessions + 1) * sizeof(*ids));
        size_t ncl = cluster_ids(&c, ids), widest = 0;
        struct cluster *cl = xcalloc(ncl + 1, sizeof(*cl));
        for (size_t k = 0; k < ncl; k++)
            cl[k].id = ids[k];
        estimate_widths(&c, cl, ncl);
        size_t nrows = plan_rows(&c, cl, ncl, &widest);
        c.light_edges = cap_points(&c) && ncl <= LIGHT_EDGES_MAX;
        int panel = o && o->registry;
        put_header(sb, &c, nrows, widest);
        for (size_t k = 0; k < n; k++) {
            size_t i = c.order[k].idx;
            if (c.draw[i] && outside(&c, i))
                put_proc_node(sb, &c, i, "    ");
        }
        put_ghosts(sb, &c);
        put_clusters(sb, &c, cl, ncl, nrows, panel);
        put_edges(sb, &c);
        if (panel)
            put_registry_panel(sb, &c, nrows);
        else
            put_regs(sb, &c);
        put_legend(sb, &c, findings);
        sb_adds(sb, "}\n");
        free(cl);
        free(ids);
    }
    free(c.fold_n);
    free(c.fold_next);
    free(c.pids);
    free(c.ghosts);
    free(c.global);
    free(c.rtags);
    free(c.ptags);
    free(c.ptag_at);
    free(c.minlen);
    free(c.draw);
    free(c.dup);
    free(c.par);
    free(c.order);
    return rc;
}
