/*
 * rd_build: from events to process trees, the way careful tools do it.
 * Events are held compactly (duplicates dropped, so a log exported twice or
 * forwarded twice costs nothing), sorted by time because Sysmon writes
 * boot-time records seconds late, split per host and source and at every
 * boot (smss.exe started by System), and each part becomes one snapshot.
 * Parents are matched by ProcessGuid when the source has one, otherwise by
 * pid plus creation time: a process created after the child cannot be its
 * parent (PID reuse), so then the parent is gone.
 */
#include "rd_int.h"

#include <stdlib.h>
#include <string.h>

struct rd_group {
    size_t first, n;     /* range in the sorted events */
    uint32_t src_fields; /* fields known for the whole host+source run */
};

struct rd_set {
    char *format;
    struct arena arena;
    struct rd_ev *ev;
    size_t n, cap;
    uint32_t *slots; /* dedup hash: event index + 1, 0 = empty */
    size_t nslots;
    const char **hosts; /* interned host names */
    size_t nhosts, cap_hosts;
    struct rd_group *groups;
    size_t ngroups, cap_groups;
    uint64_t seq;
};

void rd_ev_init(struct rd_ev *ev, enum rd_kind kind, enum rd_src src)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = (uint8_t)kind;
    ev->src = (uint8_t)src;
    ev->t = WT_NONE;
    ev->exit_t = WT_NONE;
    ev->session = SNAP_NO_SESSION;
    ev->prio = SNAP_NO_PRIORITY;
}

struct rd_set *rd_set_new(const char *format)
{
    struct rd_set *set = xcalloc(1, sizeof(*set));
    set->format = xstrdup(format);
    return set;
}

void rd_set_free(struct rd_set *set)
{
    if (!set)
        return;
    arena_release(&set->arena);
    free(set->ev);
    free(set->slots);
    free(set->hosts);
    free(set->groups);
    free(set->format);
    free(set);
}

static const char *intern_host(struct rd_set *set, const char *h)
{
    if (!h)
        h = ""; /* memory listings do not name their host */
    /* Few hosts per input, and records of one host come in runs. */
    for (size_t i = set->nhosts; i-- > 0;)
        if (!ascii_casecmp(set->hosts[i], h))
            return set->hosts[i];
    XGROW(set->hosts, set->cap_hosts, set->nhosts + 1);
    set->hosts[set->nhosts] = arena_strdup(&set->arena, h);
    return set->hosts[set->nhosts++];
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t fnv_s(uint64_t h, const char *s)
{
    return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "", 1);
}

static uint64_t ev_hash(const struct rd_ev *ev)
{
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, &ev->kind, 1);
    h = fnv(h, &ev->src, 1);
    h = fnv(h, &ev->pid, sizeof(ev->pid));
    h = fnv(h, &ev->t, sizeof(ev->t));
    h = fnv(h, &ev->host, sizeof(ev->host)); /* interned: pointer identity */
    h = fnv_s(h, ev->guid);
    h = fnv_s(h, ev->image);
    h = fnv_s(h, ev->reg_key);
    h = fnv_s(h, ev->reg_name);
    h = fnv_s(h, ev->reg_val);
    return h;
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return !strcmp(a, b);
}

static int ev_same(const struct rd_ev *a, const struct rd_ev *b)
{
    return a->kind == b->kind && a->src == b->src && a->pid == b->pid && a->t == b->t &&
           a->host == b->host && str_eq(a->guid, b->guid) && str_eq(a->image, b->image) &&
           str_eq(a->reg_key, b->reg_key) && str_eq(a->reg_name, b->reg_name) &&
           str_eq(a->reg_val, b->reg_val) && a->ppid == b->ppid;
}

static void rehash(struct rd_set *set)
{
    size_t ns = set->nslots ? set->nslots * 2 : 1024;
    uint32_t *slots = xcalloc(ns, sizeof(*slots));
    for (size_t i = 0; i < set->n; i++) {
        size_t j = ev_hash(&set->ev[i]) & (ns - 1);
        while (slots[j])
            j = (j + 1) & (ns - 1);
        slots[j] = (uint32_t)(i + 1);
    }
    free(set->slots);
    set->slots = slots;
    set->nslots = ns;
}

static const char *dup_s(struct rd_set *set, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (n > SNAP_MAX_STRING)
        n = SNAP_MAX_STRING; /* bounded like every snapshot string */
    return arena_strndup(&set->arena, s, n);
}

int rd_set_add(struct rd_set *set, const struct rd_ev *in, struct err *e)
{
    struct rd_ev ev = *in;
    ev.host = intern_host(set, in->host);
    if ((set->n + 1) * 2 > set->nslots)
        rehash(set);
    uint64_t h = ev_hash(&ev);
    size_t j = h & (set->nslots - 1);
    while (set->slots[j]) {
        if (ev_same(&set->ev[set->slots[j] - 1], &ev))
            return 0; /* the same record again: a second export or forwarder */
        j = (j + 1) & (set->nslots - 1);
    }
    if (set->n >= RD_MAX_EVENTS) {
        err_set(e, "more than %u process and registry events in one input", RD_MAX_EVENTS);
        return -1;
    }
    ev.name = dup_s(set, ev.name);
    ev.image = dup_s(set, ev.image);
    ev.cmd = dup_s(set, ev.cmd);
    ev.user = dup_s(set, ev.user);
    ev.sid = dup_s(set, ev.sid);
    ev.integ = dup_s(set, ev.integ);
    ev.cwd = dup_s(set, ev.cwd);
    ev.guid = dup_s(set, ev.guid);
    ev.pguid = dup_s(set, ev.pguid);
    ev.pimage = dup_s(set, ev.pimage);
    ev.reg_key = dup_s(set, ev.reg_key);
    ev.reg_name = dup_s(set, ev.reg_name);
    ev.reg_val = dup_s(set, ev.reg_val);
    ev.seq = set->seq++;
    XGROW(set->ev, set->cap, set->n + 1);
    set->ev[set->n] = ev;
    set->slots[j] = (uint32_t)(set->n + 1);
    set->n++;
    return 0;
}

static int cmp_ev(const void *pa, const void *pb)
{
    const struct rd_ev *a = pa, *b = pb;
    int c = strcmp(a->host, b->host);
    if (c)
        return c;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    /* At the same instant a creation goes first: a process may exit in the
     * millisecond it was started (Sysmon's resolution). */
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void add_group(struct rd_set *set, size_t first, size_t n, uint32_t src_fields)
{
    for (size_t i = first; i < first + n; i++)
        if (set->ev[i].kind == RD_EV_CREATE) {
            XGROW(set->groups, set->cap_groups, set->ngroups + 1);
            set->groups[set->ngroups++] = (struct rd_group){first, n, src_fields};
            return;
        }
    /* Only exits or registry values, no process started: nothing to draw. */
}

size_t rd_set_finish(struct rd_set *set)
{
    free(set->slots); /* the dedup table is not needed any more */
    set->slots = NULL;
    set->nslots = 0;
    if (set->n)
        sort_n(set->ev, set->n, sizeof(*set->ev), cmp_ev);
    set->ngroups = 0;
    size_t i = 0;
    while (i < set->n) {
        size_t end = i;
        uint32_t src_fields = 0;
        while (end < set->n && set->ev[end].host == set->ev[i].host &&
               set->ev[end].src == set->ev[i].src) {
            if (set->ev[end].kind == RD_EV_EXIT)
                src_fields |= SNAP_F_EXIT; /* this source logs exits */
            end++;
        }
        size_t start = i;
        for (size_t k = i; k < end; k++) {
            const struct rd_ev *ev = &set->ev[k];
            if (ev->kind != RD_EV_CREATE || !ev->is_boot)
                continue;
            /* Records in the boot's own instant belong to it: Registry is
             * created just before smss and Security times are whole
             * seconds. */
            size_t cut = k;
            while (cut > start && set->ev[cut - 1].t == ev->t)
                cut--;
            if (cut > start) {
                add_group(set, start, cut - start, src_fields);
                start = cut;
            }
        }
        add_group(set, start, end - start, src_fields);
        i = end;
    }
    return set->ngroups;
}

/* A small open-addressing map from a string (a guid) to a process index. */
struct smap {
    const char **key;
    long *val;
    size_t cap;
};

static uint64_t hash_ci(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)ascii_lower(*s)) * 1099511628211ull;
    return h;
}

static void smap_init(struct smap *m, size_t n)
{
    m->cap = 16;
    while (m->cap < n * 2 + 2)
        m->cap *= 2;
    m->key = xcalloc(m->cap, sizeof(*m->key));
    m->val = xcalloc(m->cap, sizeof(*m->val));
}

static void smap_put(struct smap *m, const char *k, long v)
{
    size_t j = hash_ci(k) & (m->cap - 1);
    while (m->key[j] && ascii_casecmp(m->key[j], k))
        j = (j + 1) & (m->cap - 1);
    m->key[j] = k; /* the latest wins: Sysmon guids are unique per boot anyway */
    m->val[j] = v;
}

static long smap_get(const struct smap *m, const char *k)
{
    size_t j = hash_ci(k) & (m->cap - 1);
    while (m->key[j]) {
        if (!ascii_casecmp(m->key[j], k))
            return m->val[j];
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

static void smap_free(struct smap *m)
{
    free(m->key);
    free(m->val);
}

/* Processes sorted by (pid, creation) for pid-plus-time matching. */
static const struct snap_proc *g_sort_procs;

static int cmp_pid_time(const void *pa, const void *pb)
{
    const struct snap_proc *a = &g_sort_procs[*(const long *)pa];
    const struct snap_proc *b = &g_sort_procs[*(const long *)pb];
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    if (a->create_time != b->create_time)
        return a->create_time < b->create_time ? -1 : 1;
    return *(const long *)pa < *(const long *)pb ? -1 : 1;
}

/* The latest process with this pid created at or before t (and, when
 * want_alive, not exited before t); -1 if none. */
static long by_pid_time(const struct snap *s, const long *idx, size_t n, uint32_t pid, int64_t t,
                        int want_alive, int want_running)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->procs[idx[mid]].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    long best = -1;
    for (size_t i = lo; i < n && s->procs[idx[i]].pid == pid; i++) {
        const struct snap_proc *q = &s->procs[idx[i]];
        if (t != WT_NONE && q->create_time != WT_NONE && q->create_time > t)
            break; /* created after: a reused pid, never the parent */
        if (want_alive && t != WT_NONE && q->exit_time != WT_NONE && q->exit_time < t)
            continue;
        if (want_running && q->exit_time != WT_NONE)
            continue;
        best = idx[i];
    }
    return best;
}

static const char *basename_win(const char *p)
{
    if (!p)
        return NULL;
    const char *b = p;
    for (const char *q = p; *q; q++)
        if (*q == '\\' || *q == '/')
            b = q + 1;
    return b;
}

static const char *src_name(enum rd_src src)
{
    static const char *const names[RD_SRC_N] = {"sysmon", "security", "vol3", "cim"};
    return names[src];
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static void build_sessions(struct snap *s, const long *master)
{
    int32_t *ids = xmalloc((s->nprocs + 1) * sizeof(*ids));
    size_t n = 0;
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].session != SNAP_NO_SESSION)
            ids[n++] = s->procs[i].session;
    sort_n(ids, n, sizeof(*ids), cmp_i32);
    for (size_t i = 0; i < n && s->nsessions < SNAP_MAX_SESSIONS; i++) {
        if (i && ids[i] == ids[i - 1])
            continue;
        struct snap_session *ss = snap_add_session(s);
        ss->id = ids[i];
        ss->kind = ids[i] == 0 ? "services" : NULL; /* console or RDP: the log does not say */
        /* Created when the master smss started its child for it, else when
         * its first process appears. Logon times are unknown. */
        int64_t first = WT_NONE, by_child = WT_NONE;
        for (size_t k = 0; k < s->nprocs; k++) {
            const struct snap_proc *p = &s->procs[k];
            if (p->session != ids[i] || p->create_time == WT_NONE)
                continue;
            if (first == WT_NONE || p->create_time < first)
                first = p->create_time;
            if (*master >= 0 && p->ppid == s->procs[*master].pid &&
                p->parent_create_time == s->procs[*master].create_time &&
                !ascii_casecmp(snap_proc_basename(p), "smss.exe") && by_child == WT_NONE)
                by_child = p->create_time;
        }
        ss->create_time = by_child != WT_NONE ? by_child : first;
    }
    free(ids);
}

int rd_set_snapshot(struct rd_set *set, size_t gi, struct snap *s, struct err *e)
{
    const struct rd_group *g = &set->groups[gi];
    const struct rd_ev *ev = &set->ev[g->first];
    snap_reset(s);
    s->host = *ev->host ? snap_str(s, ev->host) : NULL;
    s->source = arena_printf(&s->arena, "%s-%s", src_name(ev->src), set->format);
    s->boot_time = WT_NONE;
    s->at = WT_NONE;
    uint32_t fields = g->src_fields;
    size_t ncreate = 0;
    const struct rd_ev *boot = NULL;
    int has_system = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct rd_ev *x = &ev[i];
        int64_t last = x->exit_t != WT_NONE && x->exit_t > x->t ? x->exit_t : x->t;
        if (last != WT_NONE && (s->at == WT_NONE || last > s->at))
            s->at = last;
        if (x->kind != RD_EV_CREATE)
            continue;
        ncreate++;
        if (x->is_boot && !boot)
            boot = x;
        if (x->pid == 4)
            has_system = 1;
    }
    if (ncreate + 1 > SNAP_MAX_PROCS) {
        err_set(e, "host '%s': %zu processes in one snapshot (at most %d)", ev->host, ncreate,
                SNAP_MAX_PROCS);
        return -1;
    }
    if (boot) {
        s->boot_time = boot->t;
        fields |= SNAP_F_BOOT;
        /* A forwarder that could not render the boot's records (NXLog in
         * OTRF data: no creator pid) lost their exit records too, so the
         * smss children would look alive: do not claim exits. */
        if (boot->unresolved)
            fields &= ~(uint32_t)SNAP_F_EXIT;
    }
    /* The kernel's System process has no creation record in any log; the
     * boot's smss record names it as parent, so put it in for the tree. */
    if (boot && !has_system && boot->ppid == 4) {
        struct snap_proc *p = snap_add_proc(s);
        p->pid = 4;
        p->ppid = 0;
        p->name = "System";
        p->guid = snap_str(s, boot->pguid);
        p->user = "NT AUTHORITY\\SYSTEM";
        p->sid = "S-1-5-18";
    }
    struct smap guids;
    smap_init(&guids, ncreate + 1);
    if (s->nprocs && s->procs[0].guid)
        smap_put(&guids, s->procs[0].guid, 0);
    for (size_t i = 0; i < g->n; i++) {
        const struct rd_ev *x = &ev[i];
        if (x->kind != RD_EV_CREATE)
            continue;
        struct snap_proc *p = snap_add_proc(s);
        p->pid = x->pid;
        p->ppid = x->has_ppid ? x->ppid : 0;
        p->create_time = x->t;
        p->exit_time = x->exit_t;
        p->session = x->session;
        p->base_priority = x->prio;
        p->logon_id = x->logon_id;
        p->image = snap_str(s, x->image);
        p->name = snap_str(s, x->name ? x->name : basename_win(x->image));
        p->command_line = snap_str(s, x->cmd);
        p->user = snap_str(s, x->user);
        p->sid = snap_str(s, x->sid);
        p->integrity = snap_str(s, x->integ);
        p->cwd = snap_str(s, x->cwd);
        p->guid = snap_str(s, x->guid);
        p->parent_guid = snap_str(s, x->pguid);
        fields |= x->fields;
        if (p->guid)
            smap_put(&guids, p->guid, (long)(s->nprocs - 1));
    }
    long *idx = xmalloc((s->nprocs + 1) * sizeof(*idx));
    for (size_t i = 0; i < s->nprocs; i++)
        idx[i] = (long)i;
    g_sort_procs = s->procs;
    sort_n(idx, s->nprocs, sizeof(*idx), cmp_pid_time);
    /* Exits: by guid, else the running process with that pid started before. */
    for (size_t i = 0; i < g->n; i++) {
        const struct rd_ev *x = &ev[i];
        if (x->kind != RD_EV_EXIT)
            continue;
        long k = x->guid ? smap_get(&guids, x->guid) : -1;
        if (k < 0 && !x->guid)
            k = by_pid_time(s, idx, s->nprocs, x->pid, x->t, 0, 1);
        if (k >= 0 && s->procs[k].exit_time == WT_NONE)
            s->procs[k].exit_time = x->t;
    }
    /* Records without the creator's pid but with its image (Security 4688
     * v2 as NXLog forwards unresolved boot-time events): the process of
     * that image alive when the child started -- only when exactly one is,
     * since boot records share a second and a session's smss child runs
     * beside the master. Bounded look-back. */
    size_t pi = s->nprocs - ncreate; /* index of the first event-made process */
    for (size_t i = 0; i < g->n; i++) {
        const struct rd_ev *x = &ev[i];
        if (x->kind != RD_EV_CREATE)
            continue;
        size_t self = pi++;
        if (x->has_ppid || !x->pimage)
            continue;
        struct snap_proc *p = &s->procs[self];
        long found = -1;
        int count = 0;
        for (size_t k = self, steps = 0; k-- > 0 && steps < 100000; steps++) {
            const struct snap_proc *q = &s->procs[k];
            if (!q->image || ascii_casecmp(q->image, x->pimage))
                continue;
            if (q->exit_time != WT_NONE && p->create_time != WT_NONE &&
                q->exit_time < p->create_time)
                continue;
            found = (long)k;
            count++;
        }
        if (count == 1)
            p->ppid = s->procs[found].pid;
    }
    /* Parents. */
    for (size_t i = 0; i < s->nprocs; i++) {
        struct snap_proc *p = &s->procs[i];
        if (p->pid == 4 && p->ppid == 0)
            continue;
        long k = -1;
        if (p->parent_guid) {
            /* Not found: the parent's record is not in this log; the
             * checker's snap_parent falls back to pid plus time. */
            k = smap_get(&guids, p->parent_guid);
        } else if (p->ppid) { /* 0: the source did not name the creator */
            k = by_pid_time(s, idx, s->nprocs, p->ppid, p->create_time, 1, 0);
        }
        if (k >= 0 && (size_t)k != i) {
            p->ppid = s->procs[k].pid;
            p->parent_create_time = s->procs[k].create_time;
        }
    }
    long master = -1;
    for (size_t i = 0; i < s->nprocs && boot; i++)
        if (s->procs[i].create_time == boot->t && s->procs[i].pid == boot->pid)
            master = (long)i;
    if (fields & SNAP_F_SESSION)
        build_sessions(s, &master);
    /* Registry values set during this boot: the last write wins. */
    for (size_t i = 0; i < g->n; i++) {
        const struct rd_ev *x = &ev[i];
        if (x->kind != RD_EV_REG)
            continue;
        struct snap_reg *r = NULL;
        for (size_t k = 0; k < s->nregs; k++)
            if (!ascii_casecmp(s->regs[k].key, x->reg_key) &&
                !ascii_casecmp(s->regs[k].name, x->reg_name))
                r = &s->regs[k];
        if (!r) {
            if (s->nregs >= SNAP_MAX_REGS)
                continue;
            r = snap_add_reg(s);
            r->key = snap_str(s, x->reg_key);
            r->name = snap_str(s, x->reg_name);
        }
        r->type = (enum snap_reg_type)x->reg_type;
        r->dword = x->dword;
        const char **data = arena_alloc(&s->arena, sizeof(*data));
        data[0] = snap_str(s, x->reg_val ? x->reg_val : "");
        r->data = data;
        r->ndata = 1;
        fields |= SNAP_F_REGISTRY;
    }
    s->fields = fields & SNAP_F_ALL & ~(uint32_t)SNAP_F_SESSIONS;
    free(idx);
    smap_free(&guids);
    return 0;
}
