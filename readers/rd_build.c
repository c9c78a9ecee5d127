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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash.h"

struct rd_group {
    size_t first, n;     /* range in the sorted events */
    uint32_t src_fields; /* fields known for the whole host+source run */
    int64_t boot_t;      /* when the boot this part starts with began; WT_NONE */
    int log_boot;        /* boot_t is a System-log record's (Kernel-General 12 StartTime) */
    int with_state;      /* the registry state read from hives applies (rd_set_attach_state) */
};

/* A registry value read as state from a hive (rd_hive.c). */
struct rd_state {
    const char *key, *name;
    enum snap_reg_type type;
    const char **data;
    uint32_t ndata, dword;
};

/* A boot's markers (the master smss, the session-0 smss child, csrss and
 * wininit, the System log's 12/6005) arrive within this of its first one:
 * a second one inside it is the same boot. Real boots put wininit 1-3 s
 * after the master smss and EventLog 6005 10-40 s after it
 * (../shared/real/boot_timing_table.tsv). */
#define RD_BOOT_WINDOW (120 * WT_SEC)
/* A master smss that comes after a System-log boot record with no process
 * started in between belongs to that boot even when it is late -- the
 * kernel started, nothing ran, then smss: the SMSS-LATE case, which must
 * be measured from the record's StartTime. Bounded, so a log whose boot
 * record of a later boot is missing does not date that boot's smss from
 * an older one. */
#define RD_LATE_MASTER_WINDOW (30 * WT_MIN)

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
    struct snap_rec at;     /* rd_set_at: the record being read */
    uint64_t max_bytes;     /* rd_max_bytes(), read at the first event */
    struct rd_state *state; /* hive values: the host's registry as stored */
    size_t nstate, cap_state;
    const char *state_host; /* ComputerName of a SYSTEM hive, NULL if none */
};

void rd_set_at(struct rd_set *set, uint64_t record_id, uint64_t line)
{
    set->at.id = record_id;
    set->at.line = line;
}

/* Sysmon and Security write "?" or "-" for what they do not know, and
 * Sysmon an all-zero GUID: unknown, never a name. */
static const char *known(const char *s)
{
    if (!s || !*s || !strcmp(s, "?") || !strcmp(s, "-"))
        return NULL;
    return s;
}

static const char *known_guid(const char *g)
{
    if (!known(g))
        return NULL;
    for (const char *p = g; *p; p++)
        if (*p != '0' && *p != '-' && *p != '{' && *p != '}')
            return g;
    return NULL;
}

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
    free(set->state);
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

/* A string and its end, so that ("ab", "") and ("a", "b") differ. */
static uint64_t fnv_s(uint64_t h, const char *s)
{
    return hash_fnv(hash_fnv_str(h, s), "", 1);
}

static uint64_t ev_hash(const struct rd_ev *ev)
{
    uint64_t h = HASH_FNV_INIT;
    h = hash_fnv(h, &ev->kind, 1);
    h = hash_fnv(h, &ev->src, 1);
    h = hash_fnv(h, &ev->reg_deleted, 1);
    h = hash_fnv(h, &ev->reg_renamed, 1);
    h = hash_fnv(h, &ev->pid, sizeof(ev->pid));
    h = hash_fnv(h, &ev->t, sizeof(ev->t));
    h = hash_fnv(h, &ev->host, sizeof(ev->host)); /* interned: pointer identity */
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
    return a->kind == b->kind && a->src == b->src && a->reg_deleted == b->reg_deleted &&
           a->reg_renamed == b->reg_renamed && a->pid == b->pid && a->t == b->t &&
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

const char *rd_sysmon_unpercent(struct strbuf *sb, const char *v)
{
    if (!v || !strstr(v, "%%"))
        return v;
    sb_reset(sb);
    for (const char *p = v; *p; p++) {
        sb_addc(sb, *p);
        if (p[0] == '%' && p[1] == '%')
            p++;
    }
    return sb->buf;
}

int rd_max_bytes(uint64_t *out, struct err *e)
{
    const char *v = getenv(RD_MAX_BYTES_ENV);
    *out = RD_MAX_BYTES_DEFAULT;
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    static const char units[] = "KMGT"; /* binary: K = 1024 */
    const char *u = *end && (*end & ~0x20) ? strchr(units, *end & ~0x20) : NULL;
    unsigned shift = u ? 10u * (unsigned)(u - units + 1) : 0;
    end += u != NULL;
    if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
        end += strlen(end);
    if (errno || end == v || *end || v[0] == '-' || n > (UINT64_MAX >> shift) ||
        (n << shift) < ((uint64_t)1 << 20)) {
        err_set(e, "%s='%.40s': expected a size of at least 1M, such as 512M or 8G",
                RD_MAX_BYTES_ENV, v);
        return -1;
    }
    *out = (uint64_t)n << shift;
    return 0;
}

/* What the events held so far take: their strings, the array, the table. */
static uint64_t set_bytes(const struct rd_set *set)
{
    return (uint64_t)set->arena.total + (uint64_t)set->cap * sizeof(*set->ev) +
           (uint64_t)set->nslots * sizeof(*set->slots);
}

int rd_set_add(struct rd_set *set, const struct rd_ev *in, struct err *e)
{
    if (!set->max_bytes && rd_max_bytes(&set->max_bytes, e) < 0)
        return -1;
    struct rd_ev ev = *in;
    ev.host = intern_host(set, in->host);
    ev.guid = known_guid(ev.guid);
    ev.pguid = known_guid(ev.pguid);
    ev.pimage = known(ev.pimage);
    ev.pcmd = known(ev.pcmd);
    ev.puser = known(ev.puser);
    if (!ev.rec.id)
        ev.rec.id = set->at.id;
    if (!ev.rec.line)
        ev.rec.line = set->at.line;
    if ((set->n + 1) * 2 > set->nslots)
        rehash(set);
    uint64_t h = ev_hash(&ev);
    size_t j = h & (set->nslots - 1);
    while (set->slots[j]) {
        if (ev_same(&set->ev[set->slots[j] - 1], &ev)) {
            /* The same record again (a second export or forwarder), or the
             * same process in a later listing, which may show its exit. */
            struct rd_ev *old = &set->ev[set->slots[j] - 1];
            if (old->exit_t == WT_NONE && ev.exit_t != WT_NONE)
                old->exit_t = ev.exit_t;
            return 0;
        }
        j = (j + 1) & (set->nslots - 1);
    }
    if (set->n >= RD_MAX_EVENTS) {
        err_set(e, "more than %u process and registry events in one input", RD_MAX_EVENTS);
        return -1;
    }
    if (set_bytes(set) > set->max_bytes) {
        err_set(e,
                "the %zu process and registry events read so far hold %.1f MiB, over the limit of "
                "%llu MiB (%s=SIZE raises it, e.g. 8G; or split the input by host or time)",
                set->n, (double)set_bytes(set) / (1 << 20),
                (unsigned long long)(set->max_bytes >> 20), RD_MAX_BYTES_ENV);
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
    ev.pcmd = dup_s(set, ev.pcmd);
    ev.puser = dup_s(set, ev.puser);
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

static void add_group(struct rd_set *set, size_t first, size_t n, uint32_t src_fields,
                      int64_t boot_t, int log_boot)
{
    for (size_t i = first; i < first + n; i++)
        if (set->ev[i].kind == RD_EV_CREATE || set->ev[i].kind == RD_EV_REG) {
            XGROW(set->groups, set->cap_groups, set->ngroups + 1);
            set->groups[set->ngroups++] = (struct rd_group){first, n, src_fields, boot_t, log_boot};
            return;
        }
    /* Only exits, no process started and no registry fact: nothing to show. */
}

static const char *ev_base(const struct rd_ev *ev)
{
    const char *p = ev->image ? ev->image : ev->name;
    if (!p)
        return "";
    const char *b = p;
    for (; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

/* "smss.exe 00000000 0000003c": a per-session child's hex tokens, the first
 * (Windows 7) or either (Windows 10) naming the session. */
static int smss_child_line(const char *cmd)
{
    const char *exe = NULL;
    for (const char *p = cmd; p && *p; p++)
        if (!ascii_ncasecmp(p, "smss.exe", 8))
            exe = p + 8;
    if (!exe)
        return 0;
    while (*exe == ' ' || *exe == '"')
        exe++;
    for (int k = 0; k < 8; k++)
        if (!((exe[k] >= '0' && exe[k] <= '9') ||
              (ascii_lower(exe[k]) >= 'a' && ascii_lower(exe[k]) <= 'f')))
            return 0;
    return exe[8] == ' ' || exe[8] == 0;
}

enum { MK_NONE, MK_STRONG, MK_WEAK, MK_LOG };

/* Is ev a boot marker? Strong: smss started by System. Weak: what only a
 * boot starts -- the session-0 smss child, csrss in session 0, wininit --
 * for logs without the master smss (Windows 7 Sysmon often lacks it). */
static int marker_of(const struct rd_ev *ev)
{
    if (ev->kind == RD_EV_BOOT)
        return MK_LOG;
    if (ev->kind != RD_EV_CREATE)
        return MK_NONE;
    if (ev->is_boot)
        return MK_STRONG;
    if (ev->src != RD_SRC_SYSMON && ev->src != RD_SRC_SECURITY)
        return MK_NONE; /* a process listing is one moment, not a log of boots */
    const char *b = ev_base(ev);
    if (!ascii_casecmp(b, "wininit.exe"))
        return MK_WEAK;
    if (ev->session == 0 && !ascii_casecmp(b, "csrss.exe"))
        return MK_WEAK;
    if (ev->session == 0 && !ascii_casecmp(b, "smss.exe") && smss_child_line(ev->cmd))
        return MK_WEAK;
    return MK_NONE;
}

/* A weak marker whose parent is a process of the part that is still
 * running (a wininit.exe copy started from cmd.exe, a csrss.exe from a
 * second smss.exe) is no boot. A reboot's parent is new: absent from the
 * part, or a pid the part saw exit (pids repeat across boots). */
static int started_in_part(const struct rd_set *set, size_t start, size_t k)
{
    const struct rd_ev *m = &set->ev[k];
    if (!m->has_ppid)
        return 0;
    for (size_t i = k; i-- > start;) {
        const struct rd_ev *q = &set->ev[i];
        if (q->pid != m->ppid)
            continue;
        if (q->kind == RD_EV_EXIT)
            return 0; /* the last process with that pid has exited */
        if (q->kind == RD_EV_CREATE)
            return 1;
    }
    return 0;
}

struct boot_at {
    const char *host;
    int64_t t;
};

static int cmp_boot_at(const void *pa, const void *pb)
{
    const struct boot_at *a = pa, *b = pb;
    int c = strcmp(a->host, b->host);
    if (c)
        return c;
    return a->t < b->t ? -1 : a->t > b->t;
}

/* Split one host+source run [i, end) into parts, one per boot. */
static void split_run(struct rd_set *set, size_t i, size_t end, uint32_t src_fields,
                      const struct boot_at *boots, size_t nboots)
{
    size_t start = i, nb = 0;
    int64_t boot_t = WT_NONE;
    /* mark_t: where the boot's markers are measured from -- its start, or
     * the master smss when that joined a System-log boot late. */
    int64_t mark_t = WT_NONE;
    int strong = 0, has_create = 0, log_boot = 0;
    const char *host = set->ev[i].host;
    while (nb < nboots && boots[nb].host != host)
        nb++;
    for (size_t k = i; k <= end; k++) {
        const struct rd_ev *ev = k < end ? &set->ev[k] : NULL;
        /* Boot records of the System log that come before this event. */
        while (nb < nboots && boots[nb].host == host && (!ev || boots[nb].t <= ev->t)) {
            int64_t t = boots[nb++].t;
            if (boot_t != WT_NONE && t - boot_t <= RD_BOOT_WINDOW)
                continue;
            if (k > start && has_create) {
                add_group(set, start, k - start, src_fields, boot_t, log_boot);
                start = k;
            }
            boot_t = mark_t = t;
            log_boot = 1;
            strong = has_create = 0;
        }
        if (!ev)
            break;
        int mk = marker_of(ev);
        int split = 0;
        if (mk == MK_STRONG)
            split = strong || boot_t == WT_NONE ||
                    (ev->t - boot_t > RD_BOOT_WINDOW &&
                     !(log_boot && !has_create && ev->t - boot_t <= RD_LATE_MASTER_WINDOW));
        else if (mk == MK_WEAK)
            split = (mark_t == WT_NONE || ev->t - mark_t > RD_BOOT_WINDOW) &&
                    !started_in_part(set, start, k);
        if (split) {
            /* Records in the boot's own instant belong to it (Registry is
             * created just before smss; Security times are whole seconds
             * in NXLog), and so do registry writes just before it: what
             * smss and winlogon read at this boot. */
            size_t cut = k;
            while (cut > start && set->ev[cut - 1].t == ev->t)
                cut--;
            while (cut > start && set->ev[cut - 1].kind == RD_EV_REG)
                cut--;
            if (cut > start && (has_create || boot_t != WT_NONE)) {
                add_group(set, start, cut - start, src_fields, boot_t, log_boot);
                start = cut;
            }
            boot_t = mark_t = ev->t;
            log_boot = 0;
            strong = mk == MK_STRONG;
            has_create = 0;
        } else if (mk == MK_STRONG && boot_t != WT_NONE) {
            strong = 1; /* the master smss of a boot a System-log record began */
            mark_t = ev->t;
        }
        if (ev->kind == RD_EV_CREATE)
            has_create = 1;
    }
    add_group(set, start, end - start, src_fields, boot_t, log_boot);
}

size_t rd_set_finish(struct rd_set *set)
{
    free(set->slots); /* the dedup table is not needed any more */
    set->slots = NULL;
    set->nslots = 0;
    if (set->n)
        sort_n(set->ev, set->n, sizeof(*set->ev), cmp_ev);
    set->ngroups = 0;
    /* The System log's boot records, per host, split every process source. */
    struct boot_at *boots = NULL;
    size_t nboots = 0, cap = 0;
    for (size_t k = 0; k < set->n; k++)
        if (set->ev[k].kind == RD_EV_BOOT) {
            XGROW(boots, cap, nboots + 1);
            boots[nboots++] = (struct boot_at){set->ev[k].host, set->ev[k].t};
        }
    if (nboots > 1)
        sort_n(boots, nboots, sizeof(*boots), cmp_boot_at);
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
        if (set->ev[i].src != RD_SRC_SYSTEM)
            split_run(set, i, end, src_fields, boots, nboots);
        i = end;
    }
    free(boots);
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
    return hash_fnv_lower(HASH_FNV_INIT, s);
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

/* Parents known only from their children's events ("seen as parent"):
 * one process per parent (by ProcessGuid, else by pid and image) with what
 * the child's record says of it; its own creation time stays unknown. A
 * parent the child's record says nothing about (Sysmon's "?") is not made
 * up: the child stays an orphan. */
static int add_seen_parents(struct snap *s, const struct rd_ev *ev, size_t n, size_t ncreate,
                            const uint8_t *unresolved)
{
    size_t first = s->nprocs - ncreate, nreal = s->nprocs, self = first;
    struct smap seen;
    smap_init(&seen, ncreate + 1);
    char key[600];
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct rd_ev *x = &ev[i];
        if (x->kind != RD_EV_CREATE)
            continue;
        size_t c = self++;
        if (c >= nreal || !unresolved[c] || (!x->pimage && !x->pcmd && !x->puser))
            continue;
        if (x->pguid)
            snprintf(key, sizeof(key), "g%s", x->pguid);
        else
            snprintf(key, sizeof(key), "p%u|%.500s", x->ppid, x->pimage ? x->pimage : "");
        if (smap_get(&seen, key) >= 0)
            continue;
        if (s->nprocs >= SNAP_MAX_PROCS) {
            rc = -1;
            break;
        }
        struct snap_proc *q = snap_add_proc(s);
        q->pid = x->ppid;
        q->seen_as_parent = 1;
        /* ParentImage is a path, or a kernel process's name ("System"). */
        q->image = x->pimage && strchr(x->pimage, '\\') ? snap_str(s, x->pimage) : NULL;
        q->name = snap_str(s, x->pimage ? basename_win(x->pimage) : NULL);
        q->command_line = snap_str(s, x->pcmd);
        q->user = snap_str(s, x->puser);
        q->guid = snap_str(s, x->pguid);
        q->rec = x->rec;
        smap_put(&seen, arena_strdup(&s->arena, key), (long)(s->nprocs - 1));
    }
    smap_free(&seen);
    return rc;
}

/* Many Sysmon configurations log the exits of a few programs only: then
 * "no exit seen" means "not recorded" for every other image. Exits count
 * as recorded for all when they name at least RD_EXIT_ALL different
 * programs, RD_EXIT_ALL_SYS of them in the Windows folder (a complete
 * configuration logs the boot's own short-lived programs); else only for
 * the programs they name. */
#define RD_EXIT_ALL 5
#define RD_EXIT_ALL_SYS 3

static void mark_unrecorded_exits(struct snap *s, const struct rd_ev *ev, size_t n)
{
    const char **names = NULL;
    size_t nn = 0, cap = 0, nsys = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].kind != RD_EV_EXIT || !ev[i].image)
            continue;
        const char *b = basename_win(ev[i].image);
        size_t k = 0;
        while (k < nn && ascii_casecmp(names[k], b))
            k++;
        if (k < nn)
            continue;
        XGROW(names, cap, nn + 1);
        names[nn++] = b;
        char norm[16];
        snprintf(norm, sizeof(norm), "%s",
                 ev[i].image + (ev[i].image[0] && ev[i].image[1] == ':' ? 2 : 0));
        if (!ascii_ncasecmp(norm, "\\Windows\\", 9))
            nsys++;
    }
    if (!(nn >= RD_EXIT_ALL && nsys >= RD_EXIT_ALL_SYS)) {
        for (size_t i = 0; i < s->nprocs; i++) {
            struct snap_proc *p = &s->procs[i];
            if (p->exit_time != WT_NONE)
                continue;
            const char *b = snap_proc_basename(p);
            size_t k = 0;
            while (k < nn && ascii_casecmp(names[k], b))
                k++;
            if (k == nn)
                p->exit_unrecorded = 1;
        }
    }
    free(names);
}

/* A value's data: one string, or for a REG_MULTI_SZ read from a registry
 * export the entries between its "\0" separators (reg.exe's; a string
 * without one is a single entry). */
static void reg_entries(struct snap *s, struct snap_reg *r, int multi, const char *v)
{
    uint32_t n = 1;
    for (const char *p = v; multi && n < RD_MAX_MULTI && (p = strstr(p, "\\0")) != NULL; p += 2)
        n++;
    const char **data = arena_alloc(&s->arena, n * sizeof(*data));
    for (uint32_t k = 0; k < n; k++) {
        /* at most RD_MAX_MULTI entries: the last one keeps the rest */
        const char *end = k + 1 < n ? strstr(v, "\\0") : v + strlen(v);
        data[k] = arena_strndup(&s->arena, v, (size_t)(end - v));
        if (k + 1 < n)
            v = end + 2;
    }
    r->data = data;
    r->ndata = n;
}

/* One registry change onto the snapshot's facts. A deleted key (name "*")
 * deletes every value under it; a renamed key moves its values and its
 * subkeys' to the new name, where the rules then see them. */
static void add_reg_fact(struct snap *s, const struct rd_ev *x)
{
    if (x->reg_renamed) {
        size_t kl = strlen(x->reg_key);
        for (size_t k = 0; k < s->nregs; k++) {
            struct snap_reg *r = &s->regs[k];
            if (ascii_ncasecmp(r->key, x->reg_key, kl) || (r->key[kl] && r->key[kl] != '\\'))
                continue;
            r->key = arena_printf(&s->arena, "%s%s", x->reg_val, r->key + kl);
        }
        return;
    }
    if (x->reg_deleted && x->reg_name && !strcmp(x->reg_name, "*")) {
        size_t kl = strlen(x->reg_key);
        for (size_t k = 0; k < s->nregs; k++) {
            struct snap_reg *r = &s->regs[k];
            if (!ascii_ncasecmp(r->key, x->reg_key, kl) && (!r->key[kl] || r->key[kl] == '\\')) {
                r->deleted = 1;
                r->time = x->t;
                r->rec = x->rec;
                r->writer = snap_str(s, x->image);
            }
        }
        return;
    }
    struct snap_reg *r = NULL;
    for (size_t k = 0; k < s->nregs; k++)
        if (!ascii_casecmp(s->regs[k].key, x->reg_key) &&
            !ascii_casecmp(s->regs[k].name, x->reg_name))
            r = &s->regs[k];
    if (!r) {
        if (s->nregs >= SNAP_MAX_REGS)
            return;
        r = snap_add_reg(s);
        r->key = snap_str(s, x->reg_key);
        r->name = snap_str(s, x->reg_name ? x->reg_name : "");
    }
    r->type = (enum snap_reg_type)x->reg_type;
    r->dword = x->dword;
    reg_entries(s, r, x->reg_type == SNAP_REG_MULTI_SZ, x->reg_val ? x->reg_val : "");
    r->time = x->t;
    r->writer = snap_str(s, x->image);
    r->deleted = x->reg_deleted;
    r->rec = x->rec;
}

/* How a message names the host: a process listing (Volatility, CSV) has no
 * host name, and "host ''" read as a bug. */
static const char *host_desc(const struct rd_ev *ev, struct arena *a)
{
    if (!ev->host || !ev->host[0])
        return "(no host name)";
    return arena_printf(a, "host '%s'", ev->host);
}

/* The hives' values onto the snapshot, after the log's own changes: a
 * hive is the registry as it was stored when it was collected, which is
 * later than any change the logs of that boot recorded. */
static void add_state(const struct rd_set *set, struct snap *s)
{
    for (size_t i = 0; i < set->nstate; i++) {
        const struct rd_state *x = &set->state[i];
        struct snap_reg *r = NULL;
        for (size_t k = 0; k < s->nregs && !r; k++)
            if (!ascii_casecmp(s->regs[k].key, x->key) && !ascii_casecmp(s->regs[k].name, x->name))
                r = &s->regs[k];
        if (!r) {
            if (s->nregs >= SNAP_MAX_REGS)
                return;
            r = snap_add_reg(s);
            r->key = snap_str(s, x->key);
            r->name = snap_str(s, x->name);
        }
        r->type = x->type;
        r->dword = x->dword;
        const char **data = arena_alloc(&s->arena, (x->ndata ? x->ndata : 1) * sizeof(*data));
        for (uint32_t k = 0; k < x->ndata; k++)
            data[k] = snap_str(s, x->data[k]);
        r->data = data;
        r->ndata = x->ndata;
        r->time = WT_NONE; /* state, not a change: no time, no writer */
        r->writer = NULL;
        r->deleted = 0;
        memset(&r->rec, 0, sizeof(r->rec));
    }
}

int rd_set_add_state(struct rd_set *set, const char *key, const char *name, enum snap_reg_type type,
                     const char *const *data, uint32_t ndata, uint32_t dword, struct err *e)
{
    if (set->nstate >= SNAP_MAX_REGS) {
        err_set(e, "more than %d registry values read from hives", SNAP_MAX_REGS);
        return -1;
    }
    XGROW(set->state, set->cap_state, set->nstate + 1);
    struct rd_state *x = &set->state[set->nstate++];
    x->key = dup_s(set, key);
    x->name = dup_s(set, name ? name : "");
    x->type = type;
    x->dword = dword;
    x->ndata = ndata;
    x->data = ndata ? arena_alloc(&set->arena, ndata * sizeof(*x->data)) : NULL;
    for (uint32_t k = 0; k < ndata; k++)
        x->data[k] = dup_s(set, data[k] ? data[k] : "");
    return 0;
}

int rd_set_state_host(struct rd_set *set, const char *host, struct err *e)
{
    if (set->state_host && ascii_casecmp(set->state_host, host)) {
        err_set(e, "two SYSTEM hives of different hosts ('%s' and '%s'): give one host's files",
                set->state_host, host);
        return -1;
    }
    set->state_host = dup_s(set, host);
    return 0;
}

/* Is the log's host h the hive's computer name n ("PC01" for
 * "PC01.example.corp": logs of domain members carry the FQDN)? */
static int host_is(const char *h, const char *n)
{
    size_t k = strlen(n);
    return !ascii_ncasecmp(h, n, k) && (!h[k] || h[k] == '.');
}

int rd_set_attach_state(struct rd_set *set, const char *what, struct err *e)
{
    if (!set->nstate)
        return 0;
    /* The host: the hive's own name where a log has it, else the one host
     * the logs hold. */
    const char *host = NULL, *first = NULL;
    int several = 0;
    for (size_t i = 0; i < set->ngroups && !host; i++) {
        const char *h = set->ev[set->groups[i].first].host;
        if (set->state_host && host_is(h, set->state_host))
            host = h;
        else if (!first)
            first = h;
        else if (h != first) /* interned: one pointer per host */
            several = 1;
    }
    if (!host && several) {
        err_set(e,
                "%s: the logs hold several hosts and %s: give one host's hives and logs "
                "together",
                what,
                set->state_host ? "none is the SYSTEM hive's computer name"
                                : "no SYSTEM hive names the host");
        return -1;
    }
    if (!host && first && set->state_host && *first) {
        err_set(e,
                "%s: the SYSTEM hive is of host '%s' but the logs are of host '%s': give one "
                "host's hives and logs together",
                what, set->state_host, first);
        return -1;
    }
    if (!host)
        host = first;
    if (!host) {
        /* Hives alone: one snapshot of the registry. */
        XGROW(set->groups, set->cap_groups, set->ngroups + 1);
        set->groups[set->ngroups++] = (struct rd_group){0, 0, 0, WT_NONE, 0, 1};
        return 0;
    }
    /* One snapshot gets the state, so a finding is reported once: the
     * latest boot of the first source (Sysmon before Security before
     * process lists; groups are sorted that way). */
    long pick = -1;
    for (size_t i = 0; i < set->ngroups; i++) {
        const struct rd_ev *ev = &set->ev[set->groups[i].first];
        if (ev->host != host)
            continue;
        if (pick < 0 || set->ev[set->groups[pick].first].src == ev->src)
            pick = (long)i;
    }
    set->groups[pick].with_state = 1;
    return 0;
}

static void hive_only_snapshot(const struct rd_set *set, struct snap *s)
{
    snap_reset(s);
    s->host = set->state_host ? snap_str(s, set->state_host) : NULL;
    s->source = snap_str(s, "hive");
    s->boot_time = WT_NONE;
    s->at = WT_NONE;
    add_state(set, s);
    s->fields = SNAP_F_REGISTRY;
}

int rd_set_snapshot(struct rd_set *set, size_t gi, struct snap *s, struct err *e)
{
    const struct rd_group *g = &set->groups[gi];
    if (!g->n) {
        hive_only_snapshot(set, s);
        return 0;
    }
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
        err_set(e, "%s: %zu processes in one snapshot (at most %d)", host_desc(ev, &s->arena),
                ncreate, SNAP_MAX_PROCS);
        return -1;
    }
    if (!boot && g->boot_t != WT_NONE) {
        /* Begun by a weaker marker (wininit, the session-0 smss child,
         * EventLog 6005): the boot is in the log, its master smss is not. */
        s->boot_time = g->boot_t;
        fields |= SNAP_F_BOOT;
    }
    if (!boot && g->boot_t == WT_NONE && (ev->src == RD_SRC_PSLIST || ev->src == RD_SRC_CIM)) {
        /* A process listing shows System's creation: the boot's time, from
         * which the master smss's start is measured (malprocfind does so). */
        for (size_t i = 0; i < g->n; i++)
            if (ev[i].kind == RD_EV_CREATE && ev[i].pid == 4 && ev[i].t != WT_NONE) {
                s->boot_time = ev[i].t;
                fields |= SNAP_F_BOOT;
            }
    }
    if (boot) {
        /* The kernel's start (Kernel-General 12 StartTime) when the System
         * log has it for this boot: the master smss is measured from it. */
        s->boot_time =
            g->log_boot && g->boot_t != WT_NONE && g->boot_t <= boot->t ? g->boot_t : boot->t;
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
        p->rec = x->rec;
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
    uint8_t *unresolved = xcalloc(s->nprocs + 1, 1);
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
        } else if (p->ppid && !(p->pid == 4 && p->ppid == 0)) {
            unresolved[i] = 1;
        }
    }
    if (add_seen_parents(s, ev, g->n, ncreate, unresolved) < 0) {
        err_set(e, "%s: more than %d processes in one snapshot", host_desc(ev, &s->arena),
                SNAP_MAX_PROCS);
        free(unresolved);
        free(idx);
        smap_free(&guids);
        return -1;
    }
    free(unresolved);
    long master = -1;
    for (size_t i = 0; i < s->nprocs && boot; i++)
        if (s->procs[i].create_time == boot->t && s->procs[i].pid == boot->pid)
            master = (long)i;
    if (fields & SNAP_F_SESSION)
        build_sessions(s, &master);
    /* Registry facts, in time order: the last change wins. */
    for (size_t i = 0; i < g->n; i++)
        if (ev[i].kind == RD_EV_REG) {
            add_reg_fact(s, &ev[i]);
            fields |= SNAP_F_REGISTRY;
        }
    if (g->with_state) {
        add_state(set, s);
        fields |= SNAP_F_REGISTRY;
    }
    if ((fields & SNAP_F_EXIT) && (ev->src == RD_SRC_SYSMON || ev->src == RD_SRC_SECURITY))
        mark_unrecorded_exits(s, ev, g->n);
    s->fields = fields & SNAP_F_ALL & ~(uint32_t)SNAP_F_SESSIONS;
    free(idx);
    smap_free(&guids);
    return 0;
}

int rd_set_has_state(const struct rd_set *set, size_t i)
{
    return i < set->ngroups && set->groups[i].with_state;
}

size_t rd_set_count(const struct rd_set *set)
{
    return set->ngroups;
}
