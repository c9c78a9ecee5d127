/*
 * snap: the snapshot model, parent lookup with PID-reuse rules, and the
 * JSON writer of snapshot records.
 */
#include "snap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/jsonw.h"

const char *const snap_field_names[10] = {"image",     "command_line", "user",     "session",
                                          "priority",  "exit",         "registry", "sessions",
                                          "integrity", "boot"};

void snap_init(struct snap *s)
{
    memset(s, 0, sizeof(*s));
    s->boot_time = WT_NONE;
    s->at = WT_NONE;
}

void snap_reset(struct snap *s)
{
    struct snap keep = *s;
    snap_init(s);
    s->procs = keep.procs;
    s->cap_procs = keep.cap_procs;
    s->sessions = keep.sessions;
    s->cap_sessions = keep.cap_sessions;
    s->regs = keep.regs;
    s->cap_regs = keep.cap_regs;
    s->labels = keep.labels;
    s->cap_labels = keep.cap_labels;
    free(keep.index);
    s->arena = keep.arena;
    arena_reset(&s->arena);
}

void snap_release(struct snap *s)
{
    free(s->procs);
    free(s->sessions);
    free(s->regs);
    free(s->labels);
    free(s->index);
    arena_release(&s->arena);
    snap_init(s);
}

static void drop_index(struct snap *s)
{
    free(s->index);
    s->index = NULL;
    s->nindex = 0;
}

/* New records are copies of these, every field "unknown": cheaper than a
 * memset and the stores after it, for every record a reader reads. */
static const struct snap_proc proc_unknown = {
    .create_time = WT_NONE,
    .exit_time = WT_NONE,
    .parent_create_time = WT_NONE,
    .session = SNAP_NO_SESSION,
    .base_priority = SNAP_NO_PRIORITY,
};
static const struct snap_session session_unknown = {
    .create_time = WT_NONE, .logon_time = WT_NONE, .end_time = WT_NONE};
static const struct snap_reg reg_unknown = {.time = WT_NONE};
static const struct snap_label label_unknown = {.create_time = WT_NONE};

/* Grow only when full: xgrow is a call. */
#define GROW(arr, n, cap)                 \
    do {                                  \
        if ((n) == (cap))                 \
            XGROW((arr), (cap), (n) + 1); \
    } while (0)

struct snap_proc *snap_add_proc(struct snap *s)
{
    GROW(s->procs, s->nprocs, s->cap_procs);
    struct snap_proc *p = &s->procs[s->nprocs++];
    *p = proc_unknown;
    if (s->index)
        drop_index(s);
    return p;
}

struct snap_session *snap_add_session(struct snap *s)
{
    GROW(s->sessions, s->nsessions, s->cap_sessions);
    struct snap_session *ss = &s->sessions[s->nsessions++];
    *ss = session_unknown;
    return ss;
}

struct snap_reg *snap_add_reg(struct snap *s)
{
    GROW(s->regs, s->nregs, s->cap_regs);
    struct snap_reg *r = &s->regs[s->nregs++];
    *r = reg_unknown;
    return r;
}

struct snap_label *snap_add_label(struct snap *s)
{
    GROW(s->labels, s->nlabels, s->cap_labels);
    struct snap_label *l = &s->labels[s->nlabels++];
    *l = label_unknown;
    return l;
}

const char *snap_str(struct snap *s, const char *str)
{
    return arena_strdup(&s->arena, str);
}

int snap_proc_alive(const struct snap_proc *p)
{
    return p->exit_time == WT_NONE;
}

int snap_parse_logon_id(const char *s, uint64_t *out)
{
    /* Read here, not by strtoull: it was 1% of check's time (a locale-aware
     * loop for three digits). The same strings are taken: strtoull would
     * stop at the first non-digit (then *end is not NUL) or overflow. */
    if (s[0] != '0' || s[1] != 'x' || !s[2])
        return -1;
    uint64_t v = 0;
    for (const char *p = s + 2; *p; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
            d = (unsigned)((*p | 0x20) - 'a' + 10);
        else
            return -1;
        if (v > UINT64_MAX >> 4)
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

const char *snap_proc_basename(const struct snap_proc *p)
{
    if (p->name && *p->name)
        return p->name;
    if (!p->image)
        return "";
    const char *b = p->image;
    for (const char *c = p->image; *c; c++)
        if (*c == '\\' || *c == '/')
            b = c + 1;
    return b;
}

/* Sort key: pid, then creation time (unknown first), then position. */
static struct snap *sort_ctx;
static int cmp_index(const void *a, const void *b)
{
    const struct snap_proc *pa = &sort_ctx->procs[*(const uint32_t *)a];
    const struct snap_proc *pb = &sort_ctx->procs[*(const uint32_t *)b];
    if (pa->pid != pb->pid)
        return pa->pid < pb->pid ? -1 : 1;
    if (pa->create_time != pb->create_time)
        return pa->create_time < pb->create_time ? -1 : 1;
    uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;
    return ia < ib ? -1 : ia > ib;
}

static void build_index(struct snap *s)
{
    if (s->index && s->nindex == s->nprocs)
        return;
    drop_index(s);
    s->index = xmalloc((s->nprocs ? s->nprocs : 1) * sizeof(uint32_t));
    for (size_t i = 0; i < s->nprocs; i++)
        s->index[i] = (uint32_t)i;
    s->nindex = s->nprocs;
    sort_ctx = s;
    sort_n(s->index, s->nindex, sizeof(uint32_t), cmp_index);
    sort_ctx = NULL;
}

/* First index position whose pid is >= pid. */
static size_t lower_bound(struct snap *s, uint32_t pid)
{
    size_t lo = 0, hi = s->nindex;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->procs[s->index[mid]].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long snap_find_proc(struct snap *s, uint32_t pid, int64_t create_time)
{
    build_index(s);
    for (size_t i = lower_bound(s, pid); i < s->nindex; i++) {
        const struct snap_proc *q = &s->procs[s->index[i]];
        if (q->pid != pid)
            break;
        if (q->create_time == create_time)
            return (long)s->index[i];
    }
    return -1;
}

const struct snap_proc *snap_parent(struct snap *s, const struct snap_proc *p)
{
    if (p->pid == p->ppid && p->pid <= 4)
        return NULL; /* Idle and System have no parent */
    build_index(s);
    const struct snap_proc *best = NULL;
    size_t lo = lower_bound(s, p->ppid);
    /* A ProcessGuid names the parent exactly (the one seen only in the
     * child's event included), whatever else reuses its pid. */
    for (size_t i = lo; p->parent_guid && i < s->nindex; i++) {
        const struct snap_proc *q = &s->procs[s->index[i]];
        if (q->pid != p->ppid)
            break;
        if (q != p && q->guid && !ascii_casecmp(q->guid, p->parent_guid))
            return q;
    }
    for (size_t i = lo; i < s->nindex; i++) {
        const struct snap_proc *q = &s->procs[s->index[i]];
        if (q->pid != p->ppid)
            break;
        if (q == p)
            continue;
        if (p->parent_create_time != WT_NONE && q->create_time != WT_NONE) {
            if (q->create_time == p->parent_create_time)
                return q;
            continue;
        }
        /* Without creation times we cannot rule the candidate out. */
        if (q->create_time == WT_NONE || p->create_time == WT_NONE) {
            best = q;
            continue;
        }
        if (q->create_time > p->create_time)
            continue; /* created after the child: a reused pid, not the parent */
        if (q->exit_time != WT_NONE && q->exit_time < p->create_time)
            continue; /* already gone when the child started */
        best = q;
    }
    return best;
}

int snap_parent_alive(struct snap *s, const struct snap_proc *p)
{
    const struct snap_proc *q = snap_parent(s, p);
    return q && snap_proc_alive(q);
}

const struct snap_session *snap_session(const struct snap *s, int32_t id)
{
    for (size_t i = 0; i < s->nsessions; i++)
        if (s->sessions[i].id == id)
            return &s->sessions[i];
    return NULL;
}

const struct snap_reg *snap_reg_find(const struct snap *s, const char *key, const char *name)
{
    for (size_t i = 0; i < s->nregs; i++)
        if (ascii_casecmp(s->regs[i].key, key) == 0 && ascii_casecmp(s->regs[i].name, name) == 0)
            return &s->regs[i];
    return NULL;
}

/* ---- JSON writer ---------------------------------------------------------- */

static void k_opt_i64(struct strbuf *sb, const char *key, int64_t v, int64_t none)
{
    if (v == none) {
        jw_kstr(sb, key, NULL);
    } else {
        jw_ki64(sb, key, v);
    }
}

void snap_write_proc_head(struct strbuf *sb, const struct snap_proc *p)
{
    sb_addc(sb, '{');
    jw_ku64(sb, "pid", p->pid);
    jw_ku64(sb, "ppid", p->ppid);
    jw_kstr(sb, "name", p->name);
    jw_kstr(sb, "image", p->image);
    jw_kstr(sb, "command_line", p->command_line);
    jw_kstr(sb, "user", p->user);
    jw_kstr(sb, "sid", p->sid);
    if (p->logon_id) {
        /* "0x3e7", as Windows prints LUIDs (no padding) */
        char hex[24];
        int k = (int)sizeof(hex);
        hex[--k] = '\0';
        for (uint64_t v = p->logon_id; v; v >>= 4)
            hex[--k] = "0123456789abcdef"[v & 15];
        hex[--k] = 'x';
        hex[--k] = '0';
        jw_kstr(sb, "logon_id", hex + k);
    } else {
        jw_kstr(sb, "logon_id", NULL);
    }
    jw_kstr(sb, "integrity", p->integrity);
    k_opt_i64(sb, "session", p->session, SNAP_NO_SESSION);
    k_opt_i64(sb, "base_priority", p->base_priority, SNAP_NO_PRIORITY);
    jw_kstr(sb, "cwd", p->cwd);
    jw_ktime(sb, "create_time", p->create_time);
}

void snap_write_proc_exit(struct strbuf *sb, int64_t exit_time)
{
    jw_ktime(sb, "exit_time", exit_time);
    jw_kbool(sb, "exited", exit_time != WT_NONE);
}

/* "record":{"id":N,"line":L}, each part only when known; nothing when neither is. */
static void write_rec(struct strbuf *sb, const struct snap_rec *r)
{
    if (!r->id && !r->line)
        return;
    sb_adds(sb, ",\"record\":{");
    if (r->id) {
        jw_key(sb, "id");
        sb_addu64(sb, r->id);
    }
    if (r->line) {
        if (r->id)
            sb_addc(sb, ',');
        jw_key(sb, "line");
        sb_addu64(sb, r->line);
    }
    sb_addc(sb, '}');
}

void snap_write_proc_tail(struct strbuf *sb, const struct snap_proc *p)
{
    jw_ktime(sb, "parent_create_time", p->parent_create_time);
    if (p->guid)
        jw_kstr(sb, "guid", p->guid);
    if (p->parent_guid)
        jw_kstr(sb, "parent_guid", p->parent_guid);
    /* Version 2 keys appear only when they say something, so a simulated
     * (complete) snapshot reads as before. */
    if (p->seen_as_parent)
        jw_kbool(sb, "seen_as_parent", 1);
    if (p->exit_unrecorded)
        jw_kbool(sb, "exit_recorded", 0);
    write_rec(sb, &p->rec);
    jw_kstr(sb, "anomaly", p->anomaly);
    sb_addc(sb, '}');
}

void snap_write_proc(struct strbuf *sb, const struct snap_proc *p)
{
    snap_write_proc_head(sb, p);
    snap_write_proc_exit(sb, p->exit_time);
    snap_write_proc_tail(sb, p);
}

void snap_write_session(struct strbuf *sb, const struct snap_session *ss)
{
    sb_addc(sb, '{');
    jw_ki64(sb, "id", ss->id);
    jw_kstr(sb, "kind", ss->kind);
    jw_kstr(sb, "user", ss->user);
    jw_ktime(sb, "create_time", ss->create_time);
    jw_ktime(sb, "logon_time", ss->logon_time);
    jw_ktime(sb, "end_time", ss->end_time);
    sb_addc(sb, '}');
}

static const char *const reg_type_names[] = {"REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ",
                                             "REG_DWORD"};

void snap_write_reg(struct strbuf *sb, const struct snap_reg *r)
{
    sb_addc(sb, '{');
    jw_kstr(sb, "key", r->key);
    jw_kstr(sb, "name", r->name);
    jw_kstr(sb, "type", reg_type_names[r->type]);
    if (r->type == SNAP_REG_DWORD) {
        jw_ku64(sb, "data", r->dword);
    } else if (r->type == SNAP_REG_MULTI_SZ) {
        sb_addc(sb, ',');
        jw_key(sb, "data");
        sb_addc(sb, '[');
        for (uint32_t i = 0; i < r->ndata; i++) {
            if (i)
                sb_addc(sb, ',');
            jw_str(sb, r->data[i]);
        }
        sb_addc(sb, ']');
    } else {
        jw_kstr(sb, "data", r->ndata ? r->data[0] : "");
    }
    if (r->time != WT_NONE)
        jw_ktime(sb, "time", r->time);
    if (r->writer)
        jw_kstr(sb, "writer", r->writer);
    if (r->deleted)
        jw_kbool(sb, "deleted", 1);
    write_rec(sb, &r->rec);
    jw_kstr(sb, "anomaly", r->anomaly);
    sb_addc(sb, '}');
}

void snap_write_label(struct strbuf *sb, const struct snap_label *l)
{
    sb_addc(sb, '{');
    jw_kstr(sb, "id", l->id);
    jw_kstr(sb, "type", l->type);
    jw_kstr(sb, "technique", l->technique);
    sb_addc(sb, ',');
    jw_key(sb, "rules");
    sb_addc(sb, '[');
    for (uint32_t i = 0; i < l->nrules; i++) {
        if (i)
            sb_addc(sb, ',');
        jw_str(sb, l->rules[i]);
    }
    sb_addc(sb, ']');
    sb_addc(sb, ',');
    jw_key(sb, "target");
    sb_addc(sb, '{');
    if (l->pid || l->create_time != WT_NONE) {
        jw_ku64(sb, "pid", l->pid);
        jw_ktime(sb, "create_time", l->create_time);
    } else {
        jw_kstr(sb, "key", l->reg_key);
        jw_kstr(sb, "name", l->reg_name);
    }
    sb_addc(sb, '}');
    jw_kstr(sb, "description", l->description);
    sb_addc(sb, '}');
}

void snap_write_fields(struct strbuf *sb, uint32_t fields)
{
    sb_addc(sb, '[');
    int first = 1;
    for (unsigned i = 0; i < ARRAY_SIZE(snap_field_names); i++) {
        if (!(fields & (1u << i)))
            continue;
        if (!first)
            sb_addc(sb, ',');
        first = 0;
        jw_str(sb, snap_field_names[i]);
    }
    sb_addc(sb, ']');
}

void snap_write_json(struct strbuf *sb, const struct snap *s)
{
    sb_addc(sb, '{');
    jw_kstr(sb, "schema", SNAP_SCHEMA_SNAPSHOT);
    jw_kstr(sb, "source", s->source);
    if (s->file)
        jw_kstr(sb, "file", s->file);
    jw_kstr(sb, "scenario", s->scenario);
    jw_ku64(sb, "seed", s->seed);
    jw_kstr(sb, "host", s->host);
    jw_kstr(sb, "domain", s->domain);
    jw_kstr(sb, "os", s->os);
    jw_ktime(sb, "boot_time", s->boot_time);
    jw_ktime(sb, "at", s->at);
    sb_addc(sb, ',');
    jw_key(sb, "fields");
    snap_write_fields(sb, s->fields);
    sb_add(sb, ",\"sessions\":[", 13);
    for (size_t i = 0; i < s->nsessions; i++) {
        if (i)
            sb_addc(sb, ',');
        snap_write_session(sb, &s->sessions[i]);
    }
    sb_add(sb, "],\"processes\":[", 15);
    for (size_t i = 0; i < s->nprocs; i++) {
        if (i)
            sb_addc(sb, ',');
        snap_write_proc(sb, &s->procs[i]);
    }
    sb_add(sb, "],\"registry\":[", 14);
    for (size_t i = 0; i < s->nregs; i++) {
        if (i)
            sb_addc(sb, ',');
        snap_write_reg(sb, &s->regs[i]);
    }
    sb_add(sb, "],\"labels\":[", 12);
    for (size_t i = 0; i < s->nlabels; i++) {
        if (i)
            sb_addc(sb, ',');
        snap_write_label(sb, &s->labels[i]);
    }
    sb_add(sb, "]}\n", 3);
}
