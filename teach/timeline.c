/*
 * timeline: what happened when during a boot, relative to the boot -- as
 * text (one line per start, exit, session, logon, smss step and finding)
 * and as an SVG chart drawn here (a lane per session, a bar per process
 * lifetime). Integer arithmetic only, so the bytes never depend on the
 * compiler or the locale.
 */
#include "teach.h"

#include <string.h>

void teach_fmt_rel(struct strbuf *sb, int64_t d)
{
    const char *sign = "+";
    if (d < 0) {
        sign = "-";
        d = d == INT64_MIN ? INT64_MAX : -d;
    }
    int64_t ms = d / WT_MSEC;
    sb_addf(sb, "%s%lld:%02lld:%02lld.%03lld", sign, (long long)(ms / 3600000),
            (long long)(ms / 60000 % 60), (long long)(ms / 1000 % 60), (long long)(ms % 1000));
}

int64_t teach_origin(const struct snap *s)
{
    if (s->boot_time != WT_NONE)
        return s->boot_time;
    int64_t o = WT_NONE;
    for (size_t i = 0; i < s->nprocs; i++) {
        int64_t t = s->procs[i].create_time;
        if (t != WT_NONE && (o == WT_NONE || t < o))
            o = t;
    }
    return o != WT_NONE ? o : (s->at != WT_NONE ? s->at : 0);
}

/* The end of the picture: the snapshot, or the last thing that happened. */
static int64_t horizon(const struct snap *s, int64_t origin)
{
    int64_t end = s->at != WT_NONE ? s->at : origin;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (p->create_time != WT_NONE && p->create_time > end)
            end = p->create_time;
        if (p->exit_time != WT_NONE && p->exit_time > end)
            end = p->exit_time;
    }
    return end;
}

/* Findings per process: head[proc] -> the first finding index, next[] the rest. */
struct fidx {
    long *head, *next;
};

static void fidx_build(struct fidx *x, const struct snap *s, const struct chk_findings *f)
{
    x->head = xmalloc((s->nprocs + 1) * sizeof(long));
    x->next = xmalloc(((f ? f->n : 0) + 1) * sizeof(long));
    for (size_t i = 0; i < s->nprocs; i++)
        x->head[i] = -1;
    if (!f)
        return;
    for (size_t k = f->n; k-- > 0;) {
        long p = f->v[k].proc;
        x->next[k] = -1;
        if (p < 0 || (size_t)p >= s->nprocs)
            continue;
        x->next[k] = x->head[p];
        x->head[p] = (long)k;
    }
}

static void fidx_free(struct fidx *x)
{
    free(x->head);
    free(x->next);
}

/* When a finding without a process happened: a registry value's change
 * time, or when the master smss read its key (the first step), or the boot. */
static int64_t finding_time(const struct snap *s, const struct chk_finding *f,
                            const struct teach_steps *st, int64_t origin)
{
    if (f->proc >= 0)
        return s->procs[f->proc].create_time;
    if (f->reg >= 0 && s->regs[f->reg].time != WT_NONE)
        return s->regs[f->reg].time;
    if (f->reg >= 0)
        return st && st->n ? st->v[0].time : origin;
    return WT_NONE;
}

/* ---- text -------------------------------------------------------------------------- */

enum tl_group { G_SESSION, G_STEP, G_LOGON, G_PROC, G_EXIT, G_END, G_FREE };

struct tl_ev {
    int64_t t;
    int group;
    long idx; /* session, step, process or finding index */
    long sub; /* G_PROC: 0 the start, k+1 the k-th finding */
};

static int ev_cmp(const void *a, const void *b)
{
    const struct tl_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->idx != y->idx)
        return x->idx < y->idx ? -1 : 1;
    return x->sub < y->sub ? -1 : x->sub > y->sub;
}

static void lane_name(struct strbuf *sb, int32_t session)
{
    if (session == SNAP_NO_SESSION)
        sb_adds(sb, "-");
    else
        sb_addf(sb, "s%d", (int)session);
}

static void line(struct strbuf *sb, int64_t t, int64_t origin, int32_t session, const char *what)
{
    struct strbuf col = STRBUF_INIT;
    if (t == WT_NONE)
        sb_adds(&col, "?");
    else
        teach_fmt_rel(&col, t - origin);
    sb_addf(sb, "%-14s ", col.buf);
    sb_reset(&col);
    lane_name(&col, session);
    sb_addf(sb, "%-5s %-8s ", col.buf, what);
    sb_release(&col);
}

static void proc_ref(struct strbuf *sb, const struct snap_proc *p)
{
    sb_addf(sb, "%.256s pid %u", snap_proc_basename(p), (unsigned)p->pid);
}

static void finding_line(struct strbuf *sb, const struct snap *s, const struct chk_finding *f)
{
    const char *sev = chk_severity_name(f->rule->severity);
    for (const char *c = sev; *c; c++)
        sb_addc(sb, (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c));
    sb_addf(sb, " %s %s", f->rule->id, f->rule->title);
    if (f->proc < 0 && f->reg >= 0)
        sb_addf(sb, " (%.256s)", s->regs[f->reg].name);
    if (f->message[0])
        sb_addf(sb, ": %s", f->message);
    sb_addc(sb, '\n');
}

void teach_timeline_text(struct strbuf *sb, struct snap *s, const struct chk_findings *f,
                         const struct teach_steps *st)
{
    int64_t origin = teach_origin(s), end = horizon(s, origin);
    char iso[WT_ISO_LEN];
    wt_format_iso(origin, iso);
    sb_addf(sb, "# timeline of %.256s (%.64s), %s %s, up to ", s->host ? s->host : "unknown host",
            s->os ? s->os : "unknown os", s->boot_time != WT_NONE ? "booted" : "first event at",
            iso);
    teach_fmt_rel(sb, end - origin);
    sb_adds(sb, s->at != WT_NONE ? " (the snapshot)\n" : "\n");
    sb_addf(sb, "# times after %s as h:mm:ss.mmm; lane '-' = no session, sN = session N\n",
            s->boot_time != WT_NONE ? "boot" : "the first event");

    struct tl_ev *ev = NULL;
    size_t n = 0, cap = 0;
#define PUSH(T, G, I, S)                                    \
    do {                                                    \
        XGROW(ev, cap, n + 1);                              \
        ev[n++] = (struct tl_ev){(T), (G), (long)(I), (S)}; \
    } while (0)
    for (size_t i = 0; i < s->nsessions; i++) {
        const struct snap_session *ss = &s->sessions[i];
        if (ss->create_time != WT_NONE)
            PUSH(ss->create_time, G_SESSION, i, 0);
        if (ss->logon_time != WT_NONE)
            PUSH(ss->logon_time, G_LOGON, i, 0);
        if (ss->end_time != WT_NONE)
            PUSH(ss->end_time, G_END, i, 0);
    }
    for (size_t i = 0; st && i < st->n; i++)
        PUSH(st->v[i].time, G_STEP, i, 0);
    size_t nexited = 0, nunknown = 0;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (p->create_time == WT_NONE) {
            nunknown++;
            continue;
        }
        PUSH(p->create_time, G_PROC, i, 0);
        if (p->exit_time != WT_NONE) {
            PUSH(p->exit_time, G_EXIT, i, 0);
            nexited++;
        }
    }
    size_t nfree = 0;
    for (size_t k = 0; f && k < f->n; k++) {
        int64_t t = finding_time(s, &f->v[k], st, origin);
        if (f->v[k].proc >= 0 && t != WT_NONE)
            PUSH(t, G_PROC, f->v[k].proc, (long)k + 1);
        else if (t != WT_NONE)
            PUSH(t, G_FREE, k, 0);
        else
            nfree++;
    }
#undef PUSH
    sort_n(ev, n, sizeof(*ev), ev_cmp);
    for (size_t i = 0; i < n; i++) {
        const struct tl_ev *e = &ev[i];
        if (e->group == G_SESSION || e->group == G_LOGON || e->group == G_END) {
            const struct snap_session *ss = &s->sessions[e->idx];
            if (e->group == G_SESSION) {
                line(sb, e->t, origin, ss->id, "session");
                sb_addf(sb, "session %d (%.64s) created\n", (int)ss->id, ss->kind ? ss->kind : "?");
            } else if (e->group == G_LOGON) {
                line(sb, e->t, origin, ss->id, "logon");
                sb_addf(sb, "%.256s logs on\n", ss->user ? ss->user : "a user");
            } else {
                line(sb, e->t, origin, ss->id, "session");
                sb_addf(sb, "session %d ends\n", (int)ss->id);
            }
        } else if (e->group == G_STEP) {
            line(sb, e->t, origin, SNAP_NO_SESSION, "smss");
            sb_addf(sb, "%s: %s\n", st->v[e->idx].name, st->v[e->idx].detail);
        } else if (e->group == G_PROC && e->sub == 0) {
            struct snap_proc *p = &s->procs[e->idx];
            line(sb, e->t, origin, p->session, "start");
            proc_ref(sb, p);
            const struct snap_proc *par = snap_parent(s, p);
            if (par) {
                sb_adds(sb, " (parent ");
                proc_ref(sb, par);
                sb_adds(sb, ")");
            } else if (p->pid != 4 && p->pid != 0) {
                sb_addf(sb, " (parent pid %u, not in the data)", (unsigned)p->ppid);
            }
            if (p->user)
                sb_addf(sb, " as %.256s", p->user);
            sb_addc(sb, '\n');
        } else if (e->group == G_PROC || e->group == G_FREE) {
            const struct chk_finding *fd = &f->v[e->group == G_FREE ? e->idx : e->sub - 1];
            line(sb, e->t, origin, fd->proc >= 0 ? s->procs[fd->proc].session : SNAP_NO_SESSION,
                 "FINDING");
            finding_line(sb, s, fd);
        } else if (e->group == G_EXIT) {
            const struct snap_proc *p = &s->procs[e->idx];
            char el[64];
            wt_format_elapsed(p->exit_time - p->create_time, el, sizeof(el));
            line(sb, e->t, origin, p->session, "exit");
            proc_ref(sb, p);
            sb_addf(sb, " exits after %s\n", el);
        }
    }
    free(ev);
    for (size_t k = 0; f && k < f->n && nfree; k++)
        if (finding_time(s, &f->v[k], st, origin) == WT_NONE) {
            line(sb, WT_NONE, origin, SNAP_NO_SESSION, "FINDING");
            finding_line(sb, s, &f->v[k]);
        }
    sb_addf(sb, "# %zu processes (%zu exited", s->nprocs, nexited);
    if (nunknown)
        sb_addf(sb, ", %zu with no start time, not shown", nunknown);
    sb_addf(sb, "), %zu sessions, %zu smss steps, %zu findings\n", s->nsessions, st ? st->n : 0,
            f ? f->n : 0);
}

/* ---- SVG --------------------------------------------------------------------------- */

enum {
    SVG_W = 1400,
    X0 = 16,
    X1 = SVG_W - 16,
    ROW = 16,
    AXIS_Y = 64,
};

/* Equal width per decade: the boot's milliseconds and an hour's logons both show. */
static const int64_t decades[] = {
    0,       100 * WT_MSEC, WT_SEC,        10 * WT_SEC,    WT_MIN,         10 * WT_MIN,
    WT_HOUR, 10 * WT_HOUR,  100 * WT_HOUR, 1000 * WT_HOUR, 10000 * WT_HOUR};
static const char *const decade_names[] = {"0",  "100ms", "1s",   "10s",   "1m",    "10m",
                                           "1h", "10h",   "100h", "1000h", "10000h"};

struct axis {
    int64_t origin;
    int nseg, segw;
};

static int xpos(const struct axis *a, int64_t t)
{
    int64_t d = t == WT_NONE ? 0 : t - a->origin;
    if (d < 0)
        d = 0;
    int i = 0;
    while (i + 1 < a->nseg && d >= decades[i + 1])
        i++;
    int64_t span = decades[i + 1] - decades[i];
    if (d > decades[i + 1])
        d = decades[i + 1];
    return X0 + i * a->segw + (int)((d - decades[i]) * a->segw / span);
}

static void svg_text(struct strbuf *sb, int x, int y, const char *cls, const char *anchor,
                     const char *text)
{
    sb_addf(sb, "<text x=\"%d\" y=\"%d\" class=\"%s\"%s%s%s>", x, y, cls,
            anchor ? " text-anchor=\"" : "", anchor ? anchor : "", anchor ? "\"" : "");
    teach_xml_escape(sb, text);
    sb_adds(sb, "</text>\n");
}

static int session_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

/* Bars in start order; the key is copied in so qsort needs no context. */
struct bar {
    int64_t t;
    uint32_t pid;
    size_t i;
};

static int bar_cmp(const void *a, const void *b)
{
    const struct bar *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static void proc_title(struct strbuf *t, struct snap *s, const struct snap_proc *p,
                       const struct chk_findings *f, const struct fidx *fx, size_t i,
                       int64_t origin)
{
    sb_addf(t, "%.256s pid %u", snap_proc_basename(p), (unsigned)p->pid);
    if (p->session != SNAP_NO_SESSION)
        sb_addf(t, ", session %d", (int)p->session);
    sb_adds(t, "\nstarted ");
    teach_fmt_rel(t, p->create_time - origin);
    const struct snap_proc *par = snap_parent(s, p);
    if (par)
        sb_addf(t, " by %.256s pid %u", snap_proc_basename(par), (unsigned)par->pid);
    if (p->exit_time != WT_NONE) {
        sb_adds(t, ", exited ");
        teach_fmt_rel(t, p->exit_time - origin);
    }
    if (p->user)
        sb_addf(t, "\nuser %.256s", p->user);
    if (p->command_line)
        sb_addf(t, "\n%.1024s", p->command_line);
    for (long k = fx->head[i]; k >= 0; k = fx->next[k])
        sb_addf(t, "\n! %s: %s", f->v[k].rule->id, f->v[k].rule->title);
}

void teach_timeline_svg(struct strbuf *out, struct snap *s, const struct chk_findings *f,
                        const struct teach_steps *st)
{
    /* The body first: the height is known once every row is placed. */
    struct strbuf body = STRBUF_INIT, *sb = &body;
    struct axis ax = {teach_origin(s), 3, 0};
    int64_t end = horizon(s, ax.origin);
    while (ax.nseg + 1 < (int)ARRAY_SIZE(decades) && decades[ax.nseg] < end - ax.origin)
        ax.nseg++;
    ax.segw = (X1 - X0) / ax.nseg;
    struct fidx fx;
    fidx_build(&fx, s, f);

    /* Lanes: outside any session first, then sessions by id. */
    int32_t *lanes = xmalloc((s->nprocs + s->nsessions + 1) * sizeof(int32_t));
    size_t nl = 0;
    for (size_t i = 0; i < s->nsessions; i++)
        lanes[nl++] = s->sessions[i].id;
    for (size_t i = 0; i < s->nprocs; i++)
        lanes[nl++] = s->procs[i].session;
    sort_n(lanes, nl, sizeof(*lanes), session_cmp);
    size_t w = 0;
    for (size_t i = 0; i < nl; i++)
        if (w == 0 || lanes[w - 1] != lanes[i])
            lanes[w++] = lanes[i];
    nl = w;
    struct bar *order = xmalloc((s->nprocs + 1) * sizeof(*order));
    size_t norder = 0;
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].create_time != WT_NONE)
            order[norder++] = (struct bar){s->procs[i].create_time, s->procs[i].pid, i};
    sort_n(order, norder, sizeof(*order), bar_cmp);
    size_t nbars = norder < TEACH_SVG_MAX_BARS ? norder : TEACH_SVG_MAX_BARS;

    size_t nsteps = st ? st->n : 0;
    struct strbuf t = STRBUF_INIT;
    char iso[WT_ISO_LEN];
    wt_format_iso(ax.origin, iso);
    sb_addf(&t, "Boot timeline of %.256s (%.64s), %s %s", s->host ? s->host : "unknown host",
            s->os ? s->os : "unknown os", s->boot_time != WT_NONE ? "booted" : "first event", iso);
    svg_text(sb, X0, 22, "h", NULL, t.buf);
    sb_reset(&t);
    sb_addf(&t, "%zu processes, %zu sessions, %zu smss steps, %zu findings, up to ", s->nprocs,
            s->nsessions, nsteps, f ? f->n : 0);
    teach_fmt_rel(&t, end - ax.origin);
    sb_adds(&t, " -- each decade of time after boot has the same width");
    svg_text(sb, X0, 40, "ax", NULL, t.buf);

    /* The axis, with a faint line down the chart at each decade. */
    for (int i = 0; i <= ax.nseg; i++) /* the last label ends at the edge */
        svg_text(sb, X0 + i * ax.segw + (i < ax.nseg ? 2 : -2), AXIS_Y - 2, "ax",
                 i < ax.nseg ? NULL : "end", decade_names[i]);
    int y = AXIS_Y + 8;

    /* The smss steps: one row each, a tick at its time. */
    svg_text(sb, X0, y + 12, "lane", NULL, "smss steps (the master smss.exe before the sessions)");
    y += ROW;
    for (size_t i = 0; i < nsteps; i++) {
        const struct teach_step *p = &st->v[i];
        int x = xpos(&ax, p->time);
        sb_reset(&t);
        sb_addf(&t, "%s ", p->name);
        teach_fmt_rel(&t, p->time - ax.origin);
        sb_adds(sb, "<g class=\"step\"><title>");
        teach_xml_escape(sb, p->detail);
        sb_addf(sb,
                "</title><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d95f0e\" "
                "stroke-width=\"2\"/>\n",
                x, y + 1, x, y + ROW - 1);
        svg_text(sb, x > X1 - 300 ? x - 4 : x + 4, y + 12, "step", x > X1 - 300 ? "end" : NULL,
                 t.buf);
        sb_adds(sb, "</g>\n");
        y += ROW;
    }
    y += 6;

    size_t drawn = 0;
    for (size_t l = 0; l < nl; l++) {
        int32_t id = lanes[l];
        const struct snap_session *ss = id == SNAP_NO_SESSION ? NULL : snap_session(s, id);
        size_t nrows = 0;
        for (size_t k = 0; k < nbars; k++)
            nrows += s->procs[order[k].i].session == id;
        int lane_h = (int)(nrows + 1) * ROW + 8;
        sb_addf(sb, "<g class=\"session\" id=\"lane-%s%d\">\n", id < 0 ? "none" : "s",
                id < 0 ? 0 : (int)id);
        sb_addf(sb, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", X0 - 8, y,
                X1 - X0 + 16, lane_h, l % 2 ? "#f7f7f7" : "#eef3f8");
        sb_reset(&t);
        if (id == SNAP_NO_SESSION)
            sb_adds(&t, "No session: System, the master smss and its boot programs");
        else
            sb_addf(&t, "Session %d (%.64s)", (int)id,
                    ss && ss->kind ? ss->kind : (id == 0 ? "services" : "?"));
        if (ss && ss->user && ss->logon_time != WT_NONE) {
            sb_addf(&t, ": %.256s logs on at ", ss->user);
            teach_fmt_rel(&t, ss->logon_time - ax.origin);
        }
        if (ss && ss->end_time != WT_NONE) {
            sb_adds(&t, ", ends at ");
            teach_fmt_rel(&t, ss->end_time - ax.origin);
        }
        svg_text(sb, X0, y + 13, "lane", NULL, t.buf);
        if (ss && ss->logon_time != WT_NONE) {
            int x = xpos(&ax, ss->logon_time);
            sb_addf(sb,
                    "<line class=\"logon\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                    "stroke=\"#31a354\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>\n",
                    x, y + 2, x, y + lane_h - 2);
        }
        if (ss && ss->end_time != WT_NONE) {
            int x = xpos(&ax, ss->end_time);
            sb_addf(sb,
                    "<line class=\"logoff\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                    "stroke=\"#636363\" stroke-width=\"2\"/>\n",
                    x, y + 2, x, y + lane_h - 2);
        }
        y += ROW + 4;
        for (size_t k = 0; k < nbars; k++) {
            size_t i = order[k].i;
            struct snap_proc *p = &s->procs[i];
            if (p->session != id)
                continue;
            drawn++;
            int x = xpos(&ax, p->create_time);
            int xe = xpos(&ax, p->exit_time != WT_NONE ? p->exit_time : end);
            int bw = xe - x < 2 ? 2 : xe - x;
            int bad = fx.head[i] >= 0;
            const char *cls = bad ? "flag" : p->exit_time != WT_NONE ? "gone" : "run";
            sb_addf(sb, "<g class=\"proc%s\"><title>", bad ? " finding" : "");
            sb_reset(&t);
            proc_title(&t, s, p, f, &fx, i, ax.origin);
            teach_xml_escape(sb, t.buf);
            sb_addf(sb,
                    "</title><rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "rx=\"2\"/>\n",
                    cls, x, y + 3, bw, ROW - 5);
            sb_reset(&t);
            sb_addf(&t, "%.256s %u", snap_proc_basename(p), (unsigned)p->pid);
            for (long fk = fx.head[i]; fk >= 0; fk = fx.next[fk])
                sb_addf(&t, "%s%s", fk == fx.head[i] ? "  ! " : " ", f->v[fk].rule->id);
            int right = x > X1 - 320;
            svg_text(sb, right ? x - 3 : x + 3, y + 12, bad ? "bad" : "p", right ? "end" : NULL,
                     t.buf);
            sb_adds(sb, "</g>\n");
            y += ROW;
        }
        y += 4;
        sb_adds(sb, "</g>\n");
    }
    y += 8;
    if (drawn < norder || norder < s->nprocs) {
        sb_reset(&t);
        sb_addf(&t,
                "%zu processes not drawn (%zu past the limit of %d bars, %zu with no start "
                "time)",
                s->nprocs - drawn, norder - drawn, TEACH_SVG_MAX_BARS, s->nprocs - norder);
        svg_text(sb, X0, y + 12, "ax", NULL, t.buf);
        y += ROW;
    }
    for (size_t k = 0; f && k < f->n; k++) {
        if (f->v[k].proc >= 0)
            continue;
        sb_reset(&t);
        sb_addf(&t, "! %s %s", f->v[k].rule->id, f->v[k].rule->title);
        if (f->v[k].reg >= 0)
            sb_addf(&t, " (%.256s)", s->regs[f->v[k].reg].name);
        svg_text(sb, X0, y + 12, "bad", NULL, t.buf);
        y += ROW;
    }
    /* The legend. */
    static const struct {
        const char *cls, *text;
    } legend[] = {
        {"run", "running at the snapshot"},
        {"gone", "exited"},
        {"flag", "flagged by the checker (rule ids after !)"},
    };
    int lx = X0;
    for (size_t i = 0; i < ARRAY_SIZE(legend); i++) {
        if (!f && !strcmp(legend[i].cls, "flag"))
            continue; /* nothing was checked: no hint that something could be red */
        sb_addf(sb, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"24\" height=\"10\"/>\n",
                legend[i].cls, lx, y + 4);
        svg_text(sb, lx + 30, y + 13, "ax", NULL, legend[i].text);
        lx += 300;
    }
    sb_addf(sb,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d95f0e\" "
            "stroke-width=\"2\"/>\n",
            lx + 12, y + 2, lx + 12, y + 15);
    svg_text(sb, lx + 30, y + 13, "ax", NULL, "smss step");
    lx += 150;
    sb_addf(sb,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#31a354\" stroke-width=\"2\" "
            "stroke-dasharray=\"4 2\"/>\n",
            lx + 12, y + 2, lx + 12, y + 15);
    svg_text(sb, lx + 30, y + 13, "ax", NULL, "logon");
    y += ROW + 8;
    sb_addf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"smsslab-timeline\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\">\n",
            SVG_W, y, SVG_W, y);
    sb_adds(out, "<style>text{font-size:11px;fill:#222}.h{font-size:15px;font-weight:bold}"
                 ".lane{font-weight:bold;font-size:12px}.ax{fill:#666;font-size:10px}"
                 ".bad{fill:#a50f15;font-weight:bold}.step{fill:#8c4a00}"
                 ".run{fill:#9ecae1;stroke:#3182bd}.gone{fill:#e5e5e5;stroke:#999;"
                 "stroke-dasharray:3 2}.flag{fill:#fcbba1;stroke:#cb181d;stroke-width:2}"
                 "</style>\n");
    sb_addf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", SVG_W, y);
    sb_add(out, body.buf, body.len);
    /* The decade lines go over the lanes' backgrounds, faint, so times can be read anywhere. */
    for (int i = 0; i <= ax.nseg; i++) {
        int x = X0 + i * ax.segw;
        sb_addf(out,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\" "
                "stroke-opacity=\"0.25\"/>\n",
                x, AXIS_Y - 10, x, y - ROW - 8);
    }
    sb_adds(out, "</svg>\n");
    sb_release(&body);
    sb_release(&t);
    free(order);
    free(lanes);
    fidx_free(&fx);
}
