/*
 * sim: the boot. Actions on a (time, sequence) queue create and end
 * processes, read and change the Session Manager key and create and end
 * sessions, in the order Windows does it (../shared/domain.md section 1).
 *
 * Timing is calibrated on the real boots in ../shared/real/boot_timing_table.tsv
 * (offsets from the master smss; Windows 10 MSEDGEWIN10 and WORKSTATION5,
 * Windows 7 PC01, RDP sessions on PC01 and IEWIN7):
 *   autochk +3.3..11 s; session-0 child +4.7..14.5 s; csrss(0) child+120..400 ms;
 *   wininit child+400..620 ms (the child exits 0..12 ms after it); session-1 child
 *   child0+400..620 ms; csrss(1) +10..20 ms; winlogon +50..400 ms; services
 *   wininit+60..300 ms; lsass services+30..150 ms; fontdrvhost wininit+~590 ms;
 *   LogonUI/dwm winlogon+0.5..1.5 s; explorer userinit+30..200 ms;
 *   RDP logoff: winlogon and LogonUI end together, csrss ~210 ms later.
 */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/jsonw.h"
#include "sim_int.h"

enum {
    STREAM_TIME = 1,
    STREAM_PID = 2,
    STREAM_MISC = 3,
    STREAM_SVC = 4,
    STREAM_ANOM = 5,
    STREAM_SESS = 6
};

#define SYS32 "C:\\Windows\\System32\\"
#define SYSTEM_USER "NT AUTHORITY\\SYSTEM"
/* A vendor's native boot program (options.vendor_bootexecute). */
#define VENDOR_BOOT "PvsVmBoot"

const struct pspec sim_system_user = {
    .user = SYSTEM_USER, .sid = "S-1-5-18", .integrity = "System", .logon_id = 0x3e7};

/* ---- plumbing ------------------------------------------------------------------ */

const char *sim_strdup(struct sim *sm, const char *s)
{
    return arena_strdup(&sm->arena, s);
}

/* Never cut: a command line built from a scenario's 4096-byte parameters
 * must come out whole, as arena_printf makes it. */
const char *sim_printf(struct sim *sm, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *p = arena_vprintf(&sm->arena, fmt, ap);
    va_end(ap);
    return p;
}

int64_t sim_rand_ms(struct sim *sm, int64_t lo_ms, int64_t hi_ms)
{
    /* Microsecond resolution inside the range so ties are rare but legal. */
    return prng_range(&sm->r_time, lo_ms * WT_MSEC, hi_ms * WT_MSEC);
}

static int act_before(const struct action *x, const struct action *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

void sim_schedule(struct sim *sm, int64_t t, sim_action_fn fn, long a, long b, int32_t session,
                  int anomaly)
{
    XGROW(sm->heap, sm->cap_heap, sm->nheap + 1);
    struct action act = {t, sm->seq++, fn, a, b, session, anomaly};
    size_t i = sm->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!act_before(&act, &sm->heap[p]))
            break;
        sm->heap[i] = sm->heap[p];
        i = p;
    }
    sm->heap[i] = act;
}

static struct action pop(struct sim *sm)
{
    struct action top = sm->heap[0];
    struct action last = sm->heap[--sm->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct action *best = &last;
        if (l < sm->nheap && act_before(&sm->heap[l], best)) {
            m = l;
            best = &sm->heap[l];
        }
        if (r < sm->nheap && act_before(&sm->heap[r], best))
            m = r;
        if (m == i)
            break;
        sm->heap[i] = sm->heap[m];
        i = m;
    }
    if (sm->nheap)
        sm->heap[i] = last;
    return top;
}

void sim_add_event(struct sim *sm, int64_t t, enum sim_event_type type, long proc, long reg,
                   int32_t session, const char *text, const char *text2, int anomaly)
{
    if (sm->nevents >= SIM_MAX_EVENTS) {
        if (!sm->failed)
            err_set(sm->err, "%s: the simulation produced more than %d events", sm->sc->file,
                    SIM_MAX_EVENTS);
        sm->failed = 1;
        return;
    }
    size_t cap = sm->cap_events;
    XGROW(sm->events, sm->cap_events, sm->nevents + 1);
    if (cap != sm->cap_events)
        sm->event_seq = xrealloc(sm->event_seq, sm->cap_events * sizeof(uint64_t));
    sm->event_seq[sm->nevents] = sm->nevents;
    sm->events[sm->nevents++] =
        (struct sim_event){t, type, proc, reg, session, text, text2, anomaly};
}

struct sess *sim_sess(struct sim *sm, int32_t id)
{
    if (id < 0 || (size_t)id >= sm->cap_sess_index || !sm->sess_index[id])
        return NULL;
    return &sm->sess[sm->sess_index[id] - 1];
}

/* PIDs are multiples of 4 from one counter that threads share too (so real
 * boots show gaps of 8..90); after boot, exited pids may come back. */
static uint32_t alloc_pid(struct sim *sm, int64_t t, int small_gap)
{
    if (sm->sc->opt.pid_reuse && t > sm->boot + 2 * WT_MIN && sm->nfree &&
        prng_chance(&sm->r_pid, 1, 3)) {
        size_t k = (size_t)prng_below(&sm->r_pid, sm->nfree);
        uint32_t pid = sm->free_pids[k];
        sm->free_pids[k] = sm->free_pids[--sm->nfree];
        return pid;
    }
    uint32_t steps =
        (uint32_t)(small_gap ? prng_range(&sm->r_pid, 1, 16) : prng_range(&sm->r_pid, 2, 24));
    if (sm->next_pid > 0xfffff000u)
        sm->next_pid = 8;
    sm->next_pid += 4 * steps;
    return sm->next_pid;
}

long sim_create(struct sim *sm, int64_t t, long parent, const struct pspec *ps, int anomaly)
{
    if (sm->nprocs >= SIM_MAX_PROCS) {
        if (!sm->failed)
            err_set(sm->err, "%s: the simulation created more than %d processes", sm->sc->file,
                    SIM_MAX_PROCS);
        sm->failed = 1;
        return -1;
    }
    XGROW(sm->procs, sm->cap_procs, sm->nprocs + 1);
    XGROW(sm->noise, sm->cap_noise, sm->nprocs + 1);
    sm->noise[sm->nprocs] = NULL;
    long idx = (long)sm->nprocs++;
    struct snap_proc *p = &sm->procs[idx];
    memset(p, 0, sizeof(*p));
    p->pid = alloc_pid(sm, t, ps->name && !strcmp(ps->name, "svchost.exe"));
    if (parent >= 0) {
        p->ppid = sm->procs[parent].pid;
        p->parent_create_time = sm->procs[parent].create_time;
    } else {
        p->parent_create_time = WT_NONE;
    }
    p->create_time = t;
    p->exit_time = WT_NONE;
    p->session = ps->session;
    p->base_priority = ps->prio;
    p->logon_id = ps->logon_id;
    p->name = sim_strdup(sm, ps->name);
    p->image = sim_strdup(sm, ps->image);
    p->command_line = sim_strdup(sm, ps->cmd);
    p->user = sim_strdup(sm, ps->user);
    p->sid = sim_strdup(sm, ps->sid);
    p->integrity = sim_strdup(sm, ps->integrity);
    p->cwd = sim_strdup(sm, ps->cwd);
    /* A binary a pending rename replaced at boot runs under its usual name. */
    if (!anomaly && sm->replaced_image && ps->image &&
        !ascii_casecmp(ps->image, sm->replaced_image))
        anomaly = sm->replaced_label;
    if (anomaly) {
        /* The first process an anomaly creates is its label's target, unless
         * the label points at a registry value. */
        struct snap_label *l = &sm->labels[anomaly - 1];
        p->anomaly = l->id;
        if (!l->pid && !l->reg_key) {
            l->pid = p->pid;
            l->create_time = t;
        }
    }
    /* The processes of a Windows 7 reconnect's temporary session. */
    const struct sess *in = sim_sess(sm, ps->session);
    if (in && in->noise)
        sm->noise[idx] = in->noise;
    sim_add_event(sm, t, SIM_EV_PROCESS_CREATE, idx, -1, p->session, NULL, NULL, anomaly);
    return idx;
}

static void act_exit(struct sim *sm, const struct action *a)
{
    struct snap_proc *p = &sm->procs[a->a];
    if (p->exit_time != WT_NONE)
        return;
    p->exit_time = a->t;
    int anomaly = 0;
    if (p->anomaly)
        for (size_t i = 0; i < sm->nlabels; i++)
            if (sm->labels[i].id == p->anomaly)
                anomaly = (int)i + 1;
    sim_add_event(sm, a->t, SIM_EV_PROCESS_EXIT, a->a, -1, p->session, NULL, NULL, anomaly);
    if (p->pid > 4) {
        XGROW(sm->free_pids, sm->cap_free, sm->nfree + 1);
        sm->free_pids[sm->nfree++] = p->pid;
    }
}

void sim_schedule_exit(struct sim *sm, int64_t t, long proc)
{
    if (proc >= 0)
        sim_schedule(sm, t, act_exit, proc, 0, 0, 0);
}

/* ---- registry history ------------------------------------------------------------ */

static int reg_alive(const struct sim *sm, size_t i, int64_t at)
{
    return (sm->reg_from[i] == WT_NONE || sm->reg_from[i] <= at) &&
           (sm->reg_until[i] == WT_NONE || sm->reg_until[i] > at);
}

long sim_reg_current(struct sim *sm, const char *key, const char *name, int64_t at)
{
    /* Names differ early, keys share a 50-byte prefix: compare names first. */
    for (size_t i = sm->nregs; i-- > 0;)
        if (!ascii_casecmp(sm->regs[i].name, name) && reg_alive(sm, i, at) &&
            !ascii_casecmp(sm->regs[i].key, key))
            return (long)i;
    return -1;
}

static long reg_push(struct sim *sm, const struct snap_reg *r, int64_t from, int anomaly)
{
    size_t cap = sm->cap_regs;
    XGROW(sm->regs, sm->cap_regs, sm->nregs + 1);
    if (cap != sm->cap_regs) {
        sm->reg_from = xrealloc(sm->reg_from, sm->cap_regs * sizeof(int64_t));
        sm->reg_until = xrealloc(sm->reg_until, sm->cap_regs * sizeof(int64_t));
        sm->reg_anomaly = xrealloc(sm->reg_anomaly, sm->cap_regs * sizeof(int));
    }
    size_t i = sm->nregs++;
    sm->regs[i] = *r;
    sm->regs[i].anomaly = anomaly ? sm->labels[anomaly - 1].id : NULL;
    /* When it was written, if during the run; a boot-time value has none. */
    sm->regs[i].time = from;
    sm->reg_from[i] = from;
    sm->reg_until[i] = WT_NONE;
    sm->reg_anomaly[i] = anomaly;
    return (long)i;
}

/* Drop a boot-time value (a scenario override replaces it before boot). */
static void reg_remove(struct sim *sm, size_t i)
{
    size_t tail = sm->nregs - i - 1;
    memmove(&sm->regs[i], &sm->regs[i + 1], tail * sizeof(sm->regs[0]));
    memmove(&sm->reg_from[i], &sm->reg_from[i + 1], tail * sizeof(int64_t));
    memmove(&sm->reg_until[i], &sm->reg_until[i + 1], tail * sizeof(int64_t));
    memmove(&sm->reg_anomaly[i], &sm->reg_anomaly[i + 1], tail * sizeof(int));
    sm->nregs--;
}

long sim_reg_set(struct sim *sm, int64_t t, const char *key, const char *name,
                 enum snap_reg_type type, const char *const *data, uint32_t n, int anomaly,
                 int emit_event)
{
    long old = sim_reg_current(sm, key, name, t);
    if (old >= 0 && t == WT_NONE)
        reg_remove(sm, (size_t)old); /* a boot-time change replaces the value outright */
    else if (old >= 0)
        sm->reg_until[old] = t;
    const char **copy = arena_alloc(&sm->arena, (n ? n : 1) * sizeof(char *));
    for (uint32_t i = 0; i < n; i++)
        copy[i] = sim_strdup(sm, data[i]);
    struct snap_reg r = {sim_strdup(sm, key), sim_strdup(sm, name), type, copy, n, 0, NULL};
    long idx = reg_push(sm, &r, t, anomaly);
    if (emit_event)
        sim_add_event(sm, t, SIM_EV_REGISTRY_SET, -1, idx, -1, NULL, NULL, anomaly);
    return idx;
}

void sim_reg_delete(struct sim *sm, int64_t t, long idx, int anomaly, int emit_event)
{
    if (idx < 0)
        return;
    sm->reg_until[idx] = t;
    if (emit_event)
        sim_add_event(sm, t, SIM_EV_REGISTRY_DELETE, -1, idx, -1, NULL, NULL, anomaly);
}

/* Defaults of the OS profile, then the scenario's overrides, all "since
 * forever" (from = WT_NONE): this is the key as smss finds it at boot. */
static void init_registry(struct sim *sm)
{
    struct snap tmp;
    snap_init(&tmp);
    kb_default_registry(scn_os_name(sm->sc->os), sm->sc->opt.shared_section, &tmp);
    for (size_t i = 0; i < tmp.nregs; i++) {
        struct snap_reg r = tmp.regs[i];
        const char **copy = arena_alloc(&sm->arena, (r.ndata ? r.ndata : 1) * sizeof(char *));
        for (uint32_t k = 0; k < r.ndata; k++)
            copy[k] = sim_strdup(sm, r.data[k]);
        r.data = copy;
        r.key = sim_strdup(sm, r.key);
        r.name = sim_strdup(sm, r.name);
        reg_push(sm, &r, WT_NONE, 0);
    }
    snap_release(&tmp);
    for (size_t i = 0; i < sm->sc->nregs; i++) {
        const struct scn_reg *o = &sm->sc->regs[i];
        const char *name;
        const struct reg_def *d = profile_reg_lookup(o->rel, &name);
        if (!d)
            continue; /* the loader already rejected unknown names */
        long old = sim_reg_current(sm, d->key, name, WT_NONE);
        if (old >= 0)
            reg_remove(sm, (size_t)old);
        if (o->is_delete)
            continue;
        /* A list is always REG_MULTI_SZ; a single string keeps the value's own type. */
        enum snap_reg_type type = o->is_list ? SNAP_REG_MULTI_SZ : d->type;
        const char **copy = arena_alloc(&sm->arena, (o->ndata ? o->ndata : 1) * sizeof(char *));
        for (uint32_t k = 0; k < o->ndata; k++)
            copy[k] = sim_strdup(sm, o->data[k]);
        struct snap_reg r = {
            sim_strdup(sm, d->key), sim_strdup(sm, name), type, copy, o->ndata, 0, NULL};
        reg_push(sm, &r, WT_NONE, 0);
    }
    if (sm->sc->opt.vendor_bootexecute) {
        /* A vendor's native boot program (Citrix Provisioning's PvsVmBoot,
         * which Elastic's rule lists as a normal smss child). */
        const char *data[] = {"autocheck autochk *", VENDOR_BOOT};
        sim_reg_set(sm, WT_NONE, KEY_SM, "BootExecute", SNAP_REG_MULTI_SZ, data, 2, 0, 0);
    }
}

static const char *reg_first(struct sim *sm, const char *key, const char *name, int64_t at,
                             const char *dflt)
{
    long i = sim_reg_current(sm, key, name, at);
    if (i < 0 || !sm->regs[i].ndata)
        return dflt;
    return sm->regs[i].data[0];
}

/* ---- users ------------------------------------------------------------------------- */

static struct pspec as_system(const char *name, const char *image, const char *cmd, int32_t session,
                              int prio, const char *cwd)
{
    struct pspec p = sim_system_user;
    p.name = name;
    p.image = image;
    p.cmd = cmd;
    p.session = session;
    p.prio = prio;
    p.cwd = cwd;
    return p;
}

static uint64_t new_logon_id(struct sim *sm)
{
    /* Interactive logon ids are LUIDs well above the well-known 0x3e4..0x3e7. */
    return (uint64_t)prng_range(&sm->r_misc, 0x10000, 0x7fffff);
}

/* The logon sessions Windows creates for UMFD-n and DWM-n while it boots
 * get small LUIDs in creation order (OTRF: UMFD-0 0x827b, UMFD-1 0x833a,
 * DWM-1 0xde62; MSEDGEWIN10: DWM-1 0xbff6); later sessions' are ordinary. */
static uint64_t window_logon_id(struct sim *sm, const struct sess *s)
{
    if (!s->is_boot)
        return new_logon_id(sm);
    if (!sm->next_luid)
        sm->next_luid = (uint64_t)prng_range(&sm->r_misc, 0x7000, 0x9000);
    sm->next_luid += (uint64_t)prng_range(&sm->r_misc, 0x80, 0x3000);
    return sm->next_luid;
}

/* A benign look-alike every real host has: created like any process, and
 * named in the corpus manifest so detectors can be scored against it. */
static long noise_create(struct sim *sm, int64_t t, long parent, const struct pspec *ps,
                         const char *why)
{
    long i = sim_create(sm, t, parent, ps, 0);
    if (i >= 0)
        sm->noise[i] = why;
    return i;
}

static int noise_on(const struct sim *sm)
{
    return sm->sc->opt.noise != 0;
}

/* ---- the boot ---------------------------------------------------------------------- */

static void act_master_smss(struct sim *sm, const struct action *a);
static void act_boot_execute(struct sim *sm, const struct action *a);
static void act_session_child(struct sim *sm, const struct action *a);

static void act_boot(struct sim *sm, const struct action *a)
{
    (void)a;
    int64_t t = sm->boot;
    /* Idle is not a real process: no image, no token, base priority 0. */
    struct pspec idle = {.name = "Idle", .session = SNAP_NO_SESSION, .prio = 0};
    long i = sim_create(sm, t, -1, &idle, 0);
    sm->procs[i].pid = 0;
    sm->next_pid = 0;
    struct pspec sys = as_system("System", NULL, NULL, SNAP_NO_SESSION, 8, NULL);
    sm->system = sim_create(sm, t, -1, &sys, 0);
    sm->procs[sm->system].pid = 4;
    sm->procs[sm->system].ppid = 0;
    sm->procs[sm->system].parent_create_time = t;
    sm->next_pid = 4;
    int64_t at = t;
    if (sm->credential_guard) {
        /* VBS: the secure kernel's process appears right after System. */
        at += sim_rand_ms(sm, 5, 40);
        struct pspec ss = as_system("Secure System", NULL, NULL, SNAP_NO_SESSION, 8, NULL);
        sim_create(sm, at, sm->system, &ss, 0);
    }
    if (sm->prof->has_registry_proc) {
        at += sim_rand_ms(sm, 20, 400);
        struct pspec reg = as_system("Registry", NULL, NULL, SNAP_NO_SESSION, 8, NULL);
        sim_create(sm, at, sm->system, &reg, 0);
    }
    /* Threads of System take ids too: smss lands around pid 260..420 in real boots. */
    sm->next_pid += 4 * (uint32_t)prng_range(&sm->r_pid, 40, 80);
    sim_schedule(sm, at + sim_rand_ms(sm, 600, 2500) + sm->master_delay, act_master_smss, 0, 0, 0,
                 sm->master_label);
}

static const char *const smss_steps[] = {
    "read the Session Manager key",
    "known_dlls: map KnownDLLs as shared sections",
    "dos_devices: create \\?? links",
    "paging_files: create the page files",
    "environment: build the initial environment",
    "kmode: load the kernel part of the Windows subsystem (win32k.sys)",
};

static void act_master_smss(struct sim *sm, const struct action *a)
{
    const char *cmd = sm->sc->opt.special_session
                          ? "\\SystemRoot\\System32\\smss.exe -SpecialSession"
                          : "\\SystemRoot\\System32\\smss.exe";
    /* CurrentDirectory: the master's has no trailing backslash, its
     * children's has (MSEDGEWIN10, OTRF; docs/fidelity.md, point 6). */
    struct pspec p =
        as_system("smss.exe", SYS32 "smss.exe", cmd, SNAP_NO_SESSION, 11, "C:\\Windows");
    sm->master = sim_create(sm, a->t, sm->system, &p, a->anomaly);
    int64_t t = a->t + sim_rand_ms(sm, 2, 15);
    sim_add_event(sm, t, SIM_EV_SMSS_STEP, sm->master, -1, -1, smss_steps[0], NULL, 0);
    for (size_t i = 0; i < sm->nregs; i++) {
        if (!reg_alive(sm, i, t))
            continue;
        sim_add_event(sm, t, SIM_EV_REGISTRY_READ, sm->master, (long)i, -1, NULL, NULL,
                      sm->reg_anomaly[i]);
    }
    sim_schedule(sm, a->t + sim_rand_ms(sm, 1500, 4000), act_boot_execute, 0, 0, 0, 0);
}

/* "autocheck autochk *" -> autochk.exe with "*"; "prog args" -> prog.exe args. */
static void boot_exec_entry(struct sim *sm, const char *entry, const char **name,
                            const char **image, const char **cmd)
{
    const char *p = entry;
    while (*p == ' ')
        p++;
    if (!ascii_ncasecmp(p, "autocheck ", 10))
        p += 10;
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, " ");
    const char *args = p + n;
    while (*args == ' ')
        args++;
    const char *base = p;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\\')
            base = p + i + 1;
    size_t bn = n - (size_t)(base - p);
    int has_exe = bn >= 4 && !ascii_ncasecmp(base + bn - 4, ".exe", 4);
    *name = sim_printf(sm, "%.*s%s", (int)bn, base, has_exe ? "" : ".exe");
    const char *path; /* as smss names it on the command line */
    if (base != p) {  /* a full path: smss runs what it names */
        *image = sim_printf(sm, "%.*s%s", (int)n, p, has_exe ? "" : ".exe");
        path = *image;
    } else {
        /* the image is System32, the command line system32 (real autochk:
         * \??\C:\Windows\system32\autochk.exe *) */
        *image = sim_printf(sm, SYS32 "%s", *name);
        path = sim_printf(sm, "C:\\Windows\\system32\\%s", *name);
    }
    *cmd = sim_printf(sm, "\\??\\%s%s%s", path, *args ? " " : "", args);
}

/* PendingFileRenameOperations: pairs (from, to); an empty target deletes, a
 * "!" before the target replaces an existing file. smss applies them right
 * after the BootExecute programs (so autochk has checked the volume first)
 * and deletes the value (Windows Internals, 7th ed., part 2, ch. 12). */
static int64_t pending_renames(struct sim *sm, int64_t t)
{
    long pfro = sim_reg_current(sm, KEY_SM, "PendingFileRenameOperations", t);
    if (pfro < 0)
        return t;
    const struct snap_reg *r = &sm->regs[pfro];
    t += sim_rand_ms(sm, 10, 60);
    for (uint32_t k = 0; k + 1 < r->ndata; k += 2)
        sim_add_event(sm, t, SIM_EV_FILE_RENAME, sm->master, pfro, -1, r->data[k], r->data[k + 1],
                      sm->reg_anomaly[pfro]);
    sim_reg_delete(sm, t, pfro, sm->reg_anomaly[pfro], 1);
    return t;
}

/* a->b: 0 = BootExecute, 1 = SetupExecute (servicing's native programs, run
 * by the same mechanism; we run them in value order after BootExecute); a->a:
 * the entry. Each program runs to completion before the next starts. */
static void act_boot_execute(struct sim *sm, const struct action *a)
{
    static const char *const values[] = {"BootExecute", "SetupExecute"};
    long idx = sim_reg_current(sm, KEY_SM, values[a->b], a->t);
    uint32_t k = (uint32_t)a->a;
    const struct snap_reg *r = idx >= 0 ? &sm->regs[idx] : NULL;
    if ((!r || k >= r->ndata) && a->b == 0) {
        sim_schedule(sm, a->t, act_boot_execute, 0, 1, 0, 0);
        return;
    }
    if (!r || k >= r->ndata) {
        int64_t t = pending_renames(sm, a->t);
        for (size_t i = 1; i < ARRAY_SIZE(smss_steps); i++) {
            t += sim_rand_ms(sm, 3, 40);
            sim_add_event(sm, t, SIM_EV_SMSS_STEP, sm->master, -1, -1, smss_steps[i], NULL, 0);
        }
        sim_schedule(sm, t + sim_rand_ms(sm, 50, 300), act_session_child, 0, 0, 0, 0);
        return;
    }
    const char *entry = r->data[k];
    int64_t next = a->t + sim_rand_ms(sm, 5, 30);
    if (*entry) {
        const char *name, *image, *cmd;
        boot_exec_entry(sm, entry, &name, &image, &cmd);
        struct pspec p = as_system(name, image, cmd, SNAP_NO_SESSION, 8, "C:\\Windows\\system32\\");
        /* An entry an anomaly added carries its label; the vendor's entry
         * an anomaly appended to stays the vendor's. */
        int vendor = sm->sc->opt.vendor_bootexecute && !strcmp(entry, VENDOR_BOOT);
        int anomaly = 0;
        if (sm->reg_anomaly[idx] && ascii_ncasecmp(entry, "autocheck autochk", 17) && !vendor)
            anomaly = sm->reg_anomaly[idx];
        long pi = sim_create(sm, a->t, sm->master, &p, anomaly);
        if (pi >= 0 && vendor)
            sm->noise[pi] = "third-party-bootexecute";
        int64_t end = a->t + sim_rand_ms(sm, 600, 1800);
        sim_schedule_exit(sm, end, pi);
        next = end + sim_rand_ms(sm, 5, 40);
    }
    sim_schedule(sm, next, act_boot_execute, (long)k + 1, a->b, 0, 0);
}

/* ---- sessions ------------------------------------------------------------------------ */

static void act_csrss(struct sim *sm, const struct action *a);
static void act_required_subsystems(struct sim *sm, const struct action *a);
static void act_session_main(struct sim *sm, const struct action *a);
static void act_logon(struct sim *sm, const struct action *a);
static void act_shell_hosts(struct sim *sm, const struct action *a);
#define SHELL_HOSTS 4

/* a->session: the session to create. Session 0 then chains session 1. */
static void act_session_child(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s || sm->master < 0)
        return;
    uint32_t h1 = (uint32_t)prng_range(&sm->r_misc, 0x18, 0x50) * 4;
    uint32_t h2 = (uint32_t)prng_range(&sm->r_misc, 0x18, 0x28) * 4;
    const char *cmd;
    if (sm->win11_child_line && s->id != 0) {
        uint64_t g1 = prng_next(&sm->r_misc), g2 = prng_next(&sm->r_misc);
        cmd = sim_printf(sm,
                         "\\SystemRoot\\System32\\smss.exe %08x %08x winlogon.exe "
                         "{%08x-%04x-%04x-%04x-%012llx}",
                         h1, h2, (unsigned)(g1 >> 32), (unsigned)(g1 >> 16) & 0xffff,
                         (unsigned)g1 & 0xffff, (unsigned)(g2 >> 48),
                         (unsigned long long)(g2 & 0xffffffffffffULL));
    } else if (sm->prof->child_args_zero) {
        /* Windows 7: "00000000 0000003c " on both of PC01's RDP sessions */
        cmd = sim_printf(sm, "\\SystemRoot\\System32\\smss.exe 00000000 %08x ",
                         0x3c + (h2 - 0x60) / 4);
    } else {
        cmd = sim_printf(sm, "\\SystemRoot\\System32\\smss.exe %08x %08x ", h1, h2);
    }
    struct pspec p = as_system("smss.exe", SYS32 "smss.exe", cmd, s->id, 11, "C:\\Windows\\");
    s->child = sim_create(sm, a->t, sm->master, &p, s->hang_label);
    struct snap_session *ss = &sm->sessions[s->snap_index];
    ss->create_time = a->t;
    sim_add_event(sm, a->t, SIM_EV_SESSION_CREATE, s->child, -1, s->id, ss->kind, NULL, 0);
    int64_t csrss_at =
        a->t + (s->is_boot && s->id == 0 ? sim_rand_ms(sm, 120, 400) : sim_rand_ms(sm, 8, 20));
    int64_t main_at =
        s->id == 0 ? a->t + sim_rand_ms(sm, 400, 620) : csrss_at + sim_rand_ms(sm, 40, 140);
    sim_schedule(sm, csrss_at, act_csrss, 0, 0, s->id, 0);
    sim_schedule(sm, main_at, act_session_main, 0, 0, s->id, 0);
    /* The child exits the same millisecond as its last process or a few ms later
     * (unless an anomaly keeps it hanging). */
    int64_t child_exit = main_at + sim_rand_ms(sm, 0, 12);
    if (!s->hang_label)
        sim_schedule_exit(sm, child_exit, s->child);
    sim_schedule(sm, csrss_at + sim_rand_ms(sm, 1, 5), act_required_subsystems, 0, 0, s->id, 0);
    /* The master starts session 1's child as session 0's starts wininit
     * (2 ms before it in MSEDGEWIN10 and OTRF, 0 and 10 ms before on PC01), so
     * winlogon, 50-400 ms into its session, always follows wininit. */
    if (s->id == 0 && sim_sess(sm, 1))
        sim_schedule(sm, main_at - sim_rand_ms(sm, 0, 10), act_session_child, 0, 0, 1, 0);
}

/* Subsystems in SubSystems\Required other than Debug and Windows: smss
 * starts the command line the same-named value holds in every new session
 * (the way the POSIX and OS/2 subsystems once ran). */
static void act_required_subsystems(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    long req = sim_reg_current(sm, KEY_SM "\\SubSystems", "Required", a->t);
    if (!s || req < 0)
        return;
    const struct snap_reg *r = &sm->regs[req];
    int64_t t = a->t;
    for (uint32_t k = 0; k < r->ndata; k++) {
        const char *name = r->data[k];
        if (!ascii_casecmp(name, "Debug") || !ascii_casecmp(name, "Windows"))
            continue;
        long v = sim_reg_current(sm, KEY_SM "\\SubSystems", name, t);
        if (v < 0 || !sm->regs[v].ndata || !*sm->regs[v].data[0])
            continue;
        const char *cmd = sm->regs[v].data[0];
        size_t n = strcspn(cmd, " ");
        const char *base = cmd;
        for (size_t i = 0; i < n; i++)
            if (cmd[i] == '\\')
                base = cmd + i + 1;
        int label = sm->reg_anomaly[v] ? sm->reg_anomaly[v] : sm->reg_anomaly[req];
        struct pspec p = as_system(sim_printf(sm, "%.*s", (int)(n - (size_t)(base - cmd)), base),
                                   sim_printf(sm, "%.*s", (int)n, cmd), cmd, s->id, 13,
                                   "C:\\Windows\\system32\\");
        sim_create(sm, t, s->child, &p, label);
        t += sim_rand_ms(sm, 1, 5);
    }
}

static long recorded_parent(struct sim *sm, struct sess *s)
{
    /* Hard negative: some logs record the Terminal Services svchost as the
     * creator of an RDP session's csrss and winlogon (domain.md section 2). */
    if (s->kind == SCN_SESS_RDP && sm->sc->opt.rdp_termsvcs_parent && sm->termsvcs >= 0)
        return sm->termsvcs;
    return s->child;
}

static void act_csrss(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    const char *cmd =
        reg_first(sm, KEY_SM "\\SubSystems", "Windows", a->t, "%SystemRoot%\\system32\\csrss.exe");
    struct pspec p = as_system("csrss.exe", SYS32 "csrss.exe", cmd, s->id, 13, sm->prof->core_cwd);
    s->csrss = sim_create(sm, a->t, recorded_parent(sm, s), &p, 0);
}

static void act_services(struct sim *sm, const struct action *a);
static void act_svchost(struct sim *sm, const struct action *a);
static void act_boot_noise(struct sim *sm, const struct action *a);
/* The service hosts the benign noise starts from, found by the service
 * their command line names; act_svchost fills sm->svc_host. */
static const char *const svc_host_marks[SVC_HOSTS] = {
    [SH_SCHEDULE] = "-s Schedule",         [SH_USERMANAGER] = "-s UserManager",
    [SH_TABLET] = "-s TabletInputService", [SH_DCOMLAUNCH] = "-k DcomLaunch",
    [SH_NETSVCS] = "-k netsvcs",
};

static long find_svchost(const struct sim *sm, int which)
{
    long i = sm->svc_host[which];
    return i >= 0 && sm->procs[i].exit_time == WT_NONE ? i : -1;
}
enum {
    NZ_DEFENDER,
    NZ_HEALTH,
    NZ_VENDOR,
    NZ_TASKHOST_SYSTEM,
    NZ_TASKHOST_LOCAL,
    NZ_WMI,
    NZ_COUNT,
    NZ_UPDATE
};
static void act_wininit_child(struct sim *sm, const struct action *a);
static void act_winlogon_child(struct sim *sm, const struct action *a);

enum { WI_SERVICES, WI_LSAISO, WI_LSASS, WI_LSM, WI_FONTDRV, WI_MEMCOMP };
enum { WL_FONTDRV, WL_LOGONUI, WL_DWM };

static void act_session_main(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (s->id == 0) {
        struct pspec p =
            as_system("wininit.exe", SYS32 "wininit.exe", "wininit.exe", 0, 13, sm->prof->core_cwd);
        s->main = sm->wininit = sim_create(sm, a->t, s->child, &p, 0);
        int64_t svc = a->t + sim_rand_ms(sm, 60, 300);
        int64_t lsass = svc + sim_rand_ms(sm, 30, 150);
        sim_schedule(sm, svc, act_wininit_child, WI_SERVICES, 0, 0, 0);
        if (sm->credential_guard)
            sim_schedule(sm, lsass - sim_rand_ms(sm, 2, 20), act_wininit_child, WI_LSAISO, 0, 0, 0);
        sim_schedule(sm, lsass, act_wininit_child, WI_LSASS, 0, 0, 0);
        if (sm->prof->has_lsm_proc)
            sim_schedule(sm, lsass + sim_rand_ms(sm, 5, 20), act_wininit_child, WI_LSM, 0, 0, 0);
        if (sm->prof->has_fontdrvhost)
            sim_schedule(sm, a->t + sim_rand_ms(sm, 500, 700), act_wininit_child, WI_FONTDRV, 0, 0,
                         0);
        if (sm->prof->has_memcompression)
            sim_schedule(sm, lsass + sim_rand_ms(sm, 1000, 3000), act_wininit_child, WI_MEMCOMP, 0,
                         0, 0);
        return;
    }
    struct pspec p = as_system("winlogon.exe", SYS32 "winlogon.exe", "winlogon.exe", s->id, 13,
                               sm->prof->core_cwd);
    s->main = sim_create(sm, a->t, recorded_parent(sm, s), &p, 0);
    if (sm->prof->has_fontdrvhost)
        sim_schedule(sm, a->t + sim_rand_ms(sm, 480, 620), act_winlogon_child, WL_FONTDRV, 0, s->id,
                     0);
    /* winlogon -> LogonUI: 0.54 s (MSEDGEWIN10), 0.95 s (OTRF) at boot;
     * Windows 7 times it from the session-0 child, 2.24 s and 3.48 s on
     * PC01; an RDP session's comes 0.12-0.31 s after its winlogon. */
    int64_t ui = a->t + (s->is_boot ? sim_rand_ms(sm, 300, 950) : sim_rand_ms(sm, 100, 300));
    struct sess *s0 = sim_sess(sm, 0);
    if (s->is_boot && sm->prof->logonui_from_child0 && s0 && s0->child >= 0) {
        int64_t at = sm->procs[s0->child].create_time + sim_rand_ms(sm, 2200, 3500);
        ui = at > a->t + 100 * WT_MSEC ? at : a->t + sim_rand_ms(sm, 100, 300);
    }
    sim_schedule(sm, ui, act_winlogon_child, WL_LOGONUI, 0, s->id, 0);
    if (sm->prof->dwm_under_winlogon)
        sim_schedule(sm, ui + sim_rand_ms(sm, 1, 40), act_winlogon_child, WL_DWM, 0, s->id, 0);
    if (s->logon != WT_NONE)
        sim_schedule(sm, s->logon > ui ? s->logon : ui + sim_rand_ms(sm, 500, 2000), act_logon, 0,
                     0, s->id, 0);
}

static void act_wininit_child(struct sim *sm, const struct action *a)
{
    struct pspec p;
    switch (a->a) {
    case WI_SERVICES:
        p = as_system("services.exe", SYS32 "services.exe", "C:\\Windows\\system32\\services.exe",
                      0, 9, "C:\\Windows\\system32\\");
        sm->services = sim_create(sm, a->t, sm->wininit, &p, 0);
        sim_schedule(sm, a->t + sim_rand_ms(sm, 150, 300), act_services, 0, 0, 0, 0);
        return;
    case WI_LSAISO:
        p = as_system("LsaIso.exe", SYS32 "lsaiso.exe", "\\??\\C:\\Windows\\system32\\lsaiso.exe",
                      0, 9, "C:\\Windows\\system32\\");
        sim_create(sm, a->t, sm->wininit, &p, 0);
        return;
    case WI_LSASS:
        p = as_system("lsass.exe", SYS32 "lsass.exe", "C:\\Windows\\system32\\lsass.exe", 0, 9,
                      "C:\\Windows\\system32\\");
        sm->lsass = sim_create(sm, a->t, sm->wininit, &p, 0);
        return;
    case WI_LSM:
        p = as_system("lsm.exe", SYS32 "lsm.exe", "C:\\Windows\\system32\\lsm.exe", 0, 8,
                      "C:\\Windows\\system32\\");
        sim_create(sm, a->t, sm->wininit, &p, 0);
        return;
    case WI_FONTDRV:
        p = (struct pspec){.name = "fontdrvhost.exe",
                           .image = SYS32 "fontdrvhost.exe",
                           .cmd = "\"fontdrvhost.exe\"",
                           .user = "Font Driver Host\\UMFD-0",
                           .sid = "S-1-5-96-0-0",
                           .integrity = "AppContainer", /* OTRF's fontdrvhost records */
                           .session = 0,
                           .prio = 8,
                           .logon_id = window_logon_id(sm, sim_sess(sm, 0)),
                           .cwd = "C:\\Windows\\system32\\"};
        sim_create(sm, a->t, sm->wininit, &p, 0);
        return;
    case WI_MEMCOMP:
        /* MemCompression belongs to System (Windows 10 1607+), it just starts later. */
        p = as_system("MemCompression", NULL, NULL, SNAP_NO_SESSION, 8, NULL);
        sim_create(sm, a->t, sm->system, &p, 0);
        return;
    }
}

static void act_winlogon_child(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s || s->main < 0 || sm->procs[s->main].exit_time != WT_NONE)
        return;
    struct pspec p;
    switch (a->a) {
    case WL_FONTDRV:
        p = (struct pspec){.name = "fontdrvhost.exe",
                           .image = SYS32 "fontdrvhost.exe",
                           .cmd = "\"fontdrvhost.exe\"",
                           .user = sim_printf(sm, "Font Driver Host\\UMFD-%d", s->id),
                           .sid = sim_printf(sm, "S-1-5-96-0-%d", s->id),
                           .integrity = "AppContainer",
                           .session = s->id,
                           .prio = 8,
                           .logon_id = window_logon_id(sm, s),
                           .cwd = "C:\\Windows\\system32\\"};
        s->fontdrv = sim_create(sm, a->t, s->main, &p, 0);
        return;
    case WL_LOGONUI: {
        /* Windows 10 at the logon screen: /flags:0x2, /state0:0xa3....55 and
         * the constant /state1:0x41c64e6d (MSEDGEWIN10: 0xa3b08855, 0xa38bd055;
         * domain.md: 0xa39b3855); Windows 7: /flags:0x0 alone (PC01). */
        uint32_t mid = (uint32_t)prng_below(&sm->r_misc, 0x10000);
        const char *cmd =
            sm->prof->logonui_state
                ? sim_printf(sm, "\"LogonUI.exe\" /flags:0x2 /state0:0xa3%04x55 /state1:0x41c64e6d",
                             mid)
                : "\"LogonUI.exe\" /flags:0x0";
        p = as_system("LogonUI.exe", SYS32 "LogonUI.exe", cmd, s->id, 13,
                      "C:\\Windows\\system32\\");
        s->logonui = sim_create(sm, a->t, s->main, &p, 0);
        return;
    }
    case WL_DWM:
        p = (struct pspec){.name = "dwm.exe",
                           .image = SYS32 "dwm.exe",
                           .cmd = "\"dwm.exe\"",
                           .user = sim_printf(sm, "Window Manager\\DWM-%d", s->id),
                           .sid = sim_printf(sm, "S-1-5-90-0-%d", s->id),
                           .integrity = "System",
                           .session = s->id,
                           .prio = 13,
                           .logon_id = window_logon_id(sm, s),
                           .cwd = "C:\\Windows\\system32\\"};
        s->dwm = sim_create(sm, a->t, s->main, &p, 0);
        return;
    }
}

/* Service host groups as Windows 10/11 start them (svchost -k GROUP -p [-s SVC]),
 * with the account each runs as. Windows 7 has no -p/-s split. */
static const struct {
    const char *args;
    const char *user;
} svc_groups[] = {
    {"-k DcomLaunch -p", "SYSTEM"},
    {"-k RPCSS -p", "NETWORK SERVICE"},
    {"-k DcomLaunch -p -s LSM", "SYSTEM"},
    {"-k termsvcs -s TermService", "NETWORK SERVICE"},
    {"-k LocalServiceNetworkRestricted -p -s lmhosts", "LOCAL SERVICE"},
    {"-k LocalServiceNetworkRestricted -p -s Dhcp", "LOCAL SERVICE"},
    {"-k netsvcs -p -s Schedule", "SYSTEM"},
    {"-k LocalService -p -s EventSystem", "LOCAL SERVICE"},
    {"-k LocalServiceNetworkRestricted -p -s EventLog", "LOCAL SERVICE"},
    {"-k netsvcs -p -s ProfSvc", "SYSTEM"},
    {"-k LocalServiceNoNetworkFirewall -p", "LOCAL SERVICE"},
    {"-k NetworkService -p -s Dnscache", "NETWORK SERVICE"},
    {"-k LocalSystemNetworkRestricted -p -s SysMain", "SYSTEM"},
    {"-k netsvcs -p -s Themes", "SYSTEM"},
    {"-k LocalService -p -s nsi", "LOCAL SERVICE"},
    {"-k netsvcs -p -s SENS", "SYSTEM"},
    {"-k LocalServiceNetworkRestricted -p -s WinHttpAutoProxySvc", "LOCAL SERVICE"},
    {"-k netsvcs -p -s Winmgmt", "SYSTEM"},
    {"-k NetworkService -p -s LanmanWorkstation", "NETWORK SERVICE"},
    {"-k LocalSystemNetworkRestricted -p -s PcaSvc", "SYSTEM"},
    {"-k utcsvc -p", "SYSTEM"},
    {"-k netsvcs -p -s iphlpsvc", "SYSTEM"},
    {"-k LocalService -p -s FontCache", "LOCAL SERVICE"},
    {"-k appmodel -p -s StateRepository", "SYSTEM"},
    {"-k NetworkService -p -s CryptSvc", "NETWORK SERVICE"},
    {"-k LocalServiceNoNetwork -p", "LOCAL SERVICE"},
    {"-k netsvcs -p -s gpsvc", "SYSTEM"},
    {"-k LocalService -p -s W32Time", "LOCAL SERVICE"},
    {"-k netsvcs -p -s UserManager", "SYSTEM"},
    {"-k LocalSystemNetworkRestricted -p -s TrkWks", "SYSTEM"},
    {"-k netsvcs -p -s ShellHWDetection", "SYSTEM"},
    {"-k LocalService -p -s DispBrokerDesktopSvc", "LOCAL SERVICE"},
    {"-k netsvcs -p -s BITS", "SYSTEM"},
    {"-k NetworkService -p -s NlaSvc", "NETWORK SERVICE"},
    {"-k LocalServiceNetworkRestricted -p -s AudioEndpointBuilder", "SYSTEM"},
    {"-k LocalServiceNetworkRestricted -p -s Audiosrv", "LOCAL SERVICE"},
    {"-k LocalSystemNetworkRestricted -p -s TabletInputService", "SYSTEM"},
    {"-k wsappx -p -s AppXSvc", "SYSTEM"},
    {"-k netsvcs -p -s wuauserv", "SYSTEM"},
    {"-k LocalSystemNetworkRestricted -p -s WdiSystemHost", "SYSTEM"},
};
static const struct {
    const char *args;
    const char *user;
} svc_groups_win7[] = {
    {"-k DcomLaunch", "SYSTEM"},
    {"-k RPCSS", "NETWORK SERVICE"},
    {"-k LocalServiceNetworkRestricted", "LOCAL SERVICE"},
    {"-k LocalSystemNetworkRestricted", "SYSTEM"},
    {"-k LocalService", "LOCAL SERVICE"},
    {"-k netsvcs", "SYSTEM"},
    {"-k NetworkService", "NETWORK SERVICE"},
    {"-k LocalServiceNoNetwork", "LOCAL SERVICE"},
    {"-k LocalServiceAndNoImpersonation", "LOCAL SERVICE"},
    {"-k termsvcs", "NETWORK SERVICE"},
    {"-k NetworkServiceNetworkRestricted", "NETWORK SERVICE"},
    {"-k utcsvc", "SYSTEM"},
    {"-k WerSvcGroup", "SYSTEM"},
    {"-k secsvcs", "SYSTEM"},
};

static struct pspec service_account(const char *who)
{
    struct pspec p = sim_system_user;
    if (!strcmp(who, "LOCAL SERVICE")) {
        p.user = "NT AUTHORITY\\LOCAL SERVICE";
        p.sid = "S-1-5-19";
        p.logon_id = 0x3e5;
    } else if (!strcmp(who, "NETWORK SERVICE")) {
        p.user = "NT AUTHORITY\\NETWORK SERVICE";
        p.sid = "S-1-5-20";
        p.logon_id = 0x3e4;
    }
    return p;
}

static int svchost_count(const struct sim *sm)
{
    return sm->sc->opt.svchosts >= 0 ? sm->sc->opt.svchosts : sm->prof->svchosts;
}

static void act_services(struct sim *sm, const struct action *a)
{
    (void)a;
    int n = svchost_count(sm);
    int64_t t = a->t;
    for (int i = 0; i < n; i++) {
        sim_schedule(sm, t, act_svchost, i, 0, 0, 0);
        t += sim_rand_ms(sm, 5, 120);
    }
    /* The print spooler comes with the first wave of auto-start services. */
    sim_schedule(sm, a->t + sim_rand_ms(sm, 800, 2500), act_svchost, -1, 0, 0, 0);
    if (noise_on(sm)) {
        for (int i = 0; i < NZ_COUNT; i++)
            sim_schedule(sm, a->t + sim_rand_ms(sm, 1000, 4000), act_boot_noise, i, 0, 0, 0);
        /* Windows Update checks a few minutes in (if the run lasts). */
        sim_schedule(sm, a->t + sim_rand_ms(sm, 120000, 400000), act_boot_noise, NZ_UPDATE, 0, 0,
                     0);
    }
}

/* Benign services every real host runs besides svchost (docs/fidelity.md,
 * point 15): Defender and its health service, a third-party service
 * (VirtualBox's guest service, as PC01's boot in ../shared/real has), the
 * Windows 7 task hosts of SYSTEM and LOCAL SERVICE (DE_sysmon-3-rdp-tun:
 * services -> "taskhost.exe $(Arg0)" as LOCAL SERVICE), and Windows Update's
 * scan (Windows 10: usoclient from the Task Scheduler; Windows 7: wuauclt). */
static void act_boot_noise(struct sim *sm, const struct action *a)
{
    if (sm->down || sm->services < 0 || sm->procs[sm->services].exit_time != WT_NONE)
        return;
    int win7 = sm->prof->has_lsm_proc;
    struct pspec p = sim_system_user;
    p.session = 0;
    p.prio = 8;
    p.cwd = "C:\\Windows\\system32\\";
    long parent = sm->services;
    const char *why = "service";
    static const struct {
        const char *name, *image, *cmd, *why;
        int win7;
    } svcs[] = {
        [NZ_DEFENDER] = {"MsMpEng.exe", "C:\\Program Files\\Windows Defender\\MsMpEng.exe",
                         "\"C:\\Program Files\\Windows Defender\\MsMpEng.exe\"", "defender", 1},
        [NZ_HEALTH] = {"SecurityHealthService.exe", SYS32 "SecurityHealthService.exe",
                       "C:\\Windows\\system32\\SecurityHealthService.exe", "defender", 0},
        [NZ_VENDOR] = {"VBoxService.exe", SYS32 "VBoxService.exe",
                       "C:\\Windows\\System32\\VBoxService.exe", "third-party-service", 1},
    };
    switch (a->a) {
    case NZ_DEFENDER:
    case NZ_HEALTH:
    case NZ_VENDOR:
        if (win7 && !svcs[a->a].win7)
            return;
        p.name = svcs[a->a].name;
        p.image = svcs[a->a].image;
        p.cmd = svcs[a->a].cmd;
        why = svcs[a->a].why;
        break;
    case NZ_TASKHOST_SYSTEM:
    case NZ_TASKHOST_LOCAL:
        if (!win7)
            return;
        if (a->a == NZ_TASKHOST_LOCAL) {
            p.user = "NT AUTHORITY\\LOCAL SERVICE";
            p.sid = "S-1-5-19";
            p.logon_id = 0x3e5;
        }
        p.name = "taskhost.exe";
        p.image = SYS32 "taskhost.exe";
        p.cmd = a->a == NZ_TASKHOST_LOCAL ? "taskhost.exe $(Arg0)" : "taskhost.exe SYSTEM";
        why = "win7-taskhost";
        break;
    case NZ_WMI:
        /* WMI's provider host from DcomLaunch's svchost, as NETWORK SERVICE
         * (OTRF: "wmiprvse.exe -secured -Embedding"). */
        parent = find_svchost(sm, SH_DCOMLAUNCH);
        if (parent < 0)
            return;
        p.user = "NT AUTHORITY\\NETWORK SERVICE";
        p.sid = "S-1-5-20";
        p.logon_id = 0x3e4;
        p.name = "WmiPrvSE.exe";
        p.image = SYS32 "wbem\\WmiPrvSE.exe";
        p.cmd = "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding";
        why = "wmi-provider-host";
        break;
    case NZ_UPDATE:
        parent = find_svchost(sm, win7 ? SH_NETSVCS : SH_SCHEDULE);
        if (parent < 0)
            return;
        p.name = win7 ? "wuauclt.exe" : "usoclient.exe";
        p.image = sim_printf(sm, SYS32 "%s", p.name);
        p.cmd = win7 ? "C:\\Windows\\system32\\wuauclt.exe"
                     : "C:\\Windows\\system32\\usoclient.exe StartScan";
        why = "windows-update";
        long i = noise_create(sm, a->t, parent, &p, why);
        sim_schedule_exit(sm, a->t + sim_rand_ms(sm, 2000, 30000), i);
        return;
    }
    noise_create(sm, a->t, parent, &p, why);
}

static void act_svchost(struct sim *sm, const struct action *a)
{
    if (sm->services < 0)
        return;
    struct pspec p;
    if (a->a < 0) {
        p = as_system("spoolsv.exe", SYS32 "spoolsv.exe", "C:\\Windows\\System32\\spoolsv.exe", 0,
                      8, "C:\\Windows\\system32\\");
        sim_create(sm, a->t, sm->services, &p, 0);
        return;
    }
    int win7 = sm->prof->win7;
    size_t ngroups = win7 ? ARRAY_SIZE(svc_groups_win7) : ARRAY_SIZE(svc_groups);
    size_t g = (size_t)a->a < ngroups ? (size_t)a->a : (size_t)prng_below(&sm->r_svc, ngroups);
    const char *args = win7 ? svc_groups_win7[g].args : svc_groups[g].args;
    const char *who = win7 ? svc_groups_win7[g].user : svc_groups[g].user;
    p = service_account(who);
    p.name = "svchost.exe";
    p.image = SYS32 "svchost.exe";
    p.cmd = sim_printf(sm, "C:\\Windows\\system32\\svchost.exe %s", args);
    p.session = 0;
    p.prio = 8;
    p.cwd = "C:\\Windows\\system32\\";
    long idx = sim_create(sm, a->t, sm->services, &p, 0);
    if (strstr(args, "termsvcs") && sm->termsvcs < 0)
        sm->termsvcs = idx;
    for (int k = 0; k < SVC_HOSTS; k++)
        if (sm->svc_host[k] < 0 && strstr(args, svc_host_marks[k]))
            sm->svc_host[k] = idx;
}

/* ---- logon, RDP, logoff -------------------------------------------------------------- */

static void act_user_proc(struct sim *sm, const struct action *a);
enum { UP_EXPLORER, UP_RDPCLIP };
static void act_folder_window(struct sim *sm, const struct action *a);
enum { FW_FACTORY, FW_SEPARATE };

static struct pspec as_user(const struct sess *s)
{
    struct pspec p = {.user = s->user,
                      .sid = s->sid,
                      .integrity = "Medium",
                      .session = s->id,
                      .prio = 8,
                      .logon_id = s->logon_id,
                      .cwd = "C:\\Windows\\system32\\"};
    return p;
}

/* One comma-separated entry of a Winlogon value, trimmed, in the arena. */
static const char *list_entry(struct sim *sm, const char *e, size_t n)
{
    while (n && *e == ' ')
        e++, n--;
    while (n && e[n - 1] == ' ')
        n--;
    return sim_printf(sm, "%.*s", (int)n, e);
}

/* Per-user services run in the user's session as the user, started by
 * services.exe (MSEDGEWIN10: svchost -k UnistackSvcGroup -s CDPUserSvc,
 * WpnUserService; the clipboard's since 1809). */
static const char *const user_svcs[] = {"UnistackSvcGroup -s CDPUserSvc",
                                        "UnistackSvcGroup -s WpnUserService",
                                        "ClipboardSvcGroup -p -s cbdhsvc"};
enum { LN_ATBROKER, LN_SERVICE, LN_TASKHOST };

/* The accessibility broker winlogon starts as the user, High integrity,
 * for a moment, at a logon (PC01, IEWIN7) and at a reconnect (PC01, OTRF). */
static long atbroker(struct sim *sm, const struct sess *s, int64_t t, const char *why)
{
    struct pspec p = as_user(s);
    p.name = "AtBroker.exe";
    p.image = SYS32 "AtBroker.exe";
    p.cmd = "atbroker.exe";
    p.integrity = "High";
    return noise_create(sm, t, s->main, &p, why);
}

/* What every logon brings besides the shell (docs/fidelity.md, point 15). */
static void act_logon_noise(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s || sm->down || s->main < 0 || sm->procs[s->main].exit_time != WT_NONE)
        return;
    struct pspec p = as_user(s);
    long parent = sm->services;
    const char *why;
    switch (a->a) {
    case LN_ATBROKER:
        sim_schedule_exit(sm, a->t + sim_rand_ms(sm, 300, 2500), atbroker(sm, s, a->t, "atbroker"));
        return;
    case LN_SERVICE:
        p.name = "svchost.exe";
        p.image = SYS32 "svchost.exe";
        p.cmd = sim_printf(sm, "C:\\Windows\\system32\\svchost.exe -k %s", user_svcs[a->b]);
        why = "per-user-service";
        break;
    default:
        /* Windows 7: the user's task host, from services (Hunt Evil). */
        p.name = "taskhost.exe";
        p.image = SYS32 "taskhost.exe";
        p.cmd = "taskhost.exe";
        why = "win7-taskhost";
        break;
    }
    if (parent >= 0 && sm->procs[parent].exit_time == WT_NONE)
        noise_create(sm, a->t, parent, &p, why);
}

static const struct {
    int host;
    const char *name, *cmd;
} shell_hosts[] = {
    {SH_USERMANAGER, "sihost.exe", "sihost.exe"},
    {SH_SCHEDULE, "taskhostw.exe", "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}"},
    {SH_TABLET, "ctfmon.exe", "\"ctfmon.exe\""},
    {SH_DCOMLAUNCH, "RuntimeBroker.exe", "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding"},
};
_Static_assert(ARRAY_SIZE(shell_hosts) == SHELL_HOSTS, "SHELL_HOSTS counts shell_hosts");

static void act_shell_hosts(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s || sm->down || s->main < 0 || sm->procs[s->main].exit_time != WT_NONE ||
        sm->services < 0)
        return;
    long parent = find_svchost(sm, shell_hosts[a->a].host);
    if (parent < 0)
        return;
    struct pspec p = as_user(s);
    p.name = shell_hosts[a->a].name;
    p.image = sim_printf(sm, SYS32 "%s", p.name);
    p.cmd = shell_hosts[a->a].cmd;
    noise_create(sm, a->t, parent, &p, "user-shell-host");
}

static void act_logon(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s || s->main < 0 || sm->procs[s->main].exit_time != WT_NONE)
        return;
    sm->sessions[s->snap_index].logon_time = a->t;
    sim_add_event(sm, a->t, SIM_EV_SESSION_LOGON, s->main, -1, s->id, s->user, NULL, 0);
    /* Winlogon runs every comma-separated program Winlogon\Userinit names
     * (normally just userinit.exe): an appended one is the T1547.004 hijack. */
    long uiv = sim_reg_current(sm, KEY_WINLOGON, "Userinit", a->t);
    const char *ui = uiv >= 0 && sm->regs[uiv].ndata ? sm->regs[uiv].data[0]
                                                     : "C:\\Windows\\system32\\userinit.exe,";
    int64_t t = a->t;
    for (const char *e = ui; *e;) {
        size_t n = strcspn(e, ",");
        const char *path = list_entry(sm, e, n);
        if (*path) {
            struct pspec p = as_user(s);
            /* Sysmon names the image as the file system spells it
             * (C:\Windows\System32\userinit.exe), whatever the case of the
             * Userinit value (system32) that is the command line. */
            p.image = ascii_ncasecmp(path, SYS32, strlen(SYS32))
                          ? path
                          : sim_printf(sm, SYS32 "%s", path + strlen(SYS32));
            p.cmd = path;
            const char *base = strrchr(path, '\\');
            p.name = base ? base + 1 : path;
            if (ascii_ends_with_case(path, "\\userinit.exe") && s->userinit < 0) {
                p.name = "userinit.exe";
                s->userinit = sim_create(sm, t, s->main, &p, 0);
            } else {
                int label = sim_reg_label(sm, uiv);
                sim_create(sm, t, s->main, &p, label);
            }
            t += sim_rand_ms(sm, 1, 10);
        }
        e += n;
        if (*e == ',')
            e++;
    }
    if (s->userinit < 0)
        return; /* Userinit names no userinit.exe: no shell starts */
    if (sm->sc->opt.atbroker || noise_on(sm))
        sim_schedule(sm, a->t + sim_rand_ms(sm, 200, 900), act_logon_noise, LN_ATBROKER, 0, s->id,
                     0);
    int hosts = sm->prof->user_shell_hosts && noise_on(sm);
    if (sm->sc->opt.per_user_services || hosts) {
        size_t nsvcs = hosts ? ARRAY_SIZE(user_svcs) : 2;
        for (size_t i = 0; i < nsvcs; i++)
            sim_schedule(sm, a->t + sim_rand_ms(sm, 1000, 4000), act_logon_noise, LN_SERVICE,
                         (long)i, s->id, 0);
    }
    int64_t th = a->t + sim_rand_ms(sm, 100, 600);
    for (long i = 0; hosts && i < SHELL_HOSTS; i++) {
        sim_schedule(sm, th, act_shell_hosts, i, 0, s->id, 0);
        th += sim_rand_ms(sm, 50, 1500);
    }
    if (!hosts && sm->prof->has_lsm_proc && noise_on(sm))
        sim_schedule(sm, a->t + sim_rand_ms(sm, 500, 3000), act_logon_noise, LN_TASKHOST, 0, s->id,
                     0);
    int64_t ex = a->t + sim_rand_ms(sm, 30, 250);
    sim_schedule(sm, ex, act_user_proc, UP_EXPLORER, 0, s->id, 0);
    if (sm->sc->opt.explorer_factory)
        sim_schedule(sm, ex + sim_rand_ms(sm, 20000, 120000), act_folder_window, FW_FACTORY, 0,
                     s->id, 0);
    if (sm->sc->opt.explorer_separate)
        sim_schedule(sm, ex + sim_rand_ms(sm, 20000, 120000), act_folder_window, FW_SEPARATE, 0,
                     s->id, 0);
    sim_schedule_exit(sm, ex + sim_rand_ms(sm, 500, 4000), s->userinit);
    sim_schedule_exit(sm, a->t + sim_rand_ms(sm, 300, 1500), s->logonui);
    if (s->kind == SCN_SESS_RDP)
        sim_schedule(sm, a->t + sim_rand_ms(sm, 1000, 3000), act_user_proc, UP_RDPCLIP, 0, s->id,
                     0);
}

/* WerFault reporting a crash of a thread in lsass (-u -p PID -s N): lsass's
 * one normal child besides efsui. It asks for no dump (-ip). */
static void act_lsass_report(struct sim *sm, const struct action *a)
{
    if (sm->lsass < 0 || sm->procs[sm->lsass].exit_time != WT_NONE)
        return;
    struct pspec p = as_system("WerFault.exe", SYS32 "WerFault.exe",
                               sim_printf(sm, "C:\\Windows\\system32\\WerFault.exe -u -p %lu -s %u",
                                          (unsigned long)sm->procs[sm->lsass].pid,
                                          (unsigned)sim_rand_ms(sm, 200, 900)),
                               0, 8, "C:\\Windows\\system32\\");
    long pi = sim_create(sm, a->t, sm->lsass, &p, 0);
    sim_schedule_exit(sm, a->t + sim_rand_ms(sm, 800, 3000), pi);
}

/* A folder window in an explorer.exe of its own, beside the shell (the
 * options explorer_factory and explorer_separate; hard negatives for the
 * EXPLORER-* rules). With "Launch folder windows in a separate process"
 * (HKCU\...\Explorer\Advanced SeparateProcess = 1) COM starts each one
 * as the local server CLSID_SeparateMultipleProcessExplorerHost
 * {75dff2b7-6936-4c06-a8bb-676a7b00b24b}: svchost -k DcomLaunch ->
 * "C:\Windows\explorer.exe /factory,{75dff2b7-...} -Embedding" (a Sysmon
 * EID 1 record of exactly this pair is quoted in the public write-up
 * "Analyzing Suspicious PowerShell Execution", 2021-09-05 12:39:15; Geoff
 * Chappell, SeparateExplorerFactory). "explorer.exe /separate" typed into
 * the Run dialog (Gpg4win's GpgEX README: Start -> Run, "explorer.exe
 * /separate"; winaero, "start Explorer in a separate process") is started
 * by the shell through ShellExecute, which quotes the program's path. */
static void act_folder_window(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s || s->explorer < 0 || sm->procs[s->explorer].exit_time != WT_NONE)
        return;
    struct pspec p = as_user(s);
    p.name = "explorer.exe";
    p.image = "C:\\Windows\\explorer.exe";
    long parent = s->explorer;
    if (a->a == FW_FACTORY) {
        parent = find_svchost(sm, SH_DCOMLAUNCH);
        p.cmd = "C:\\Windows\\explorer.exe /factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b} "
                "-Embedding";
    } else {
        p.cmd = "\"C:\\Windows\\explorer.exe\" /separate";
    }
    if (parent >= 0 && sm->procs[parent].exit_time == WT_NONE)
        noise_create(sm, a->t, parent, &p,
                     a->a == FW_FACTORY ? "explorer-factory" : "explorer-separate");
}

static void act_user_proc(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s || sm->down || s->main < 0 || sm->procs[s->main].exit_time != WT_NONE)
        return;
    struct pspec p = as_user(s);
    if (a->a == UP_EXPLORER) {
        /* userinit starts each comma-separated program of Winlogon\Shell:
         * the user's own value first (HKU\<SID>), else the machine's. */
        long shv = s->sid ? sim_reg_current(sm, sim_printf(sm, "HKU\\%s" KEY_USER_WINLOGON, s->sid),
                                            "Shell", a->t)
                          : -1;
        if (shv < 0)
            shv = sim_reg_current(sm, KEY_WINLOGON, "Shell", a->t);
        const char *shell =
            shv >= 0 && sm->regs[shv].ndata ? sm->regs[shv].data[0] : "explorer.exe";
        int64_t t = a->t;
        for (const char *e = shell; *e;) {
            size_t n = strcspn(e, ",");
            const char *entry = list_entry(sm, e, n);
            if (*entry) {
                struct pspec q = as_user(s);
                if (!ascii_casecmp(entry, "explorer.exe") && s->explorer < 0) {
                    q.name = "explorer.exe";
                    q.image = "C:\\Windows\\explorer.exe";
                    q.cmd = "C:\\Windows\\Explorer.EXE";
                    s->explorer = sim_create(sm, t, s->userinit, &q, 0);
                } else {
                    const char *base = strrchr(entry, '\\');
                    q.name = base ? base + 1 : entry;
                    q.image = base ? entry : sim_printf(sm, SYS32 "%s", entry);
                    q.cmd = entry;
                    int label = sim_reg_label(sm, shv);
                    sim_create(sm, t, s->userinit, &q, label);
                }
                t += sim_rand_ms(sm, 1, 15);
            }
            e += n;
            if (*e == ',')
                e++;
        }
    } else if (sm->termsvcs >= 0) {
        p.name = "rdpclip.exe";
        p.image = SYS32 "rdpclip.exe";
        p.cmd = "rdpclip";
        s->rdpclip = sim_create(sm, a->t, sm->termsvcs, &p, 0);
    }
}

static void act_session_end(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    sm->sessions[s->snap_index].end_time = a->t;
    sim_add_event(sm, a->t, SIM_EV_SESSION_END, -1, -1, s->id, NULL, NULL, 0);
}

/* Logoff ends every process of the session: the user's programs first, then
 * winlogon with LogonUI, dwm and fontdrvhost, then csrss ~150-260 ms later
 * (PC01's RDP logoffs in ../shared/real show 210 ms), and the session. A
 * hung smss child (an anomaly) stays. */
static void act_logoff(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s || s->main < 0)
        return;
    int64_t wl = a->t + sim_rand_ms(sm, 100, 300);
    int64_t cs = wl + sim_rand_ms(sm, 150, 260);
    for (size_t i = 0; i < sm->nprocs; i++) {
        const struct snap_proc *p = &sm->procs[i];
        if (p->session != s->id || p->exit_time != WT_NONE || (long)i == s->child)
            continue;
        if ((long)i == s->csrss)
            sim_schedule_exit(sm, cs, (long)i);
        else if (p->sid && !strncmp(p->sid, "S-1-5-21-", 9))
            sim_schedule_exit(sm, a->t + sim_rand_ms(sm, 0, 80), (long)i);
        else
            sim_schedule_exit(sm, wl, (long)i);
    }
    sim_schedule(sm, cs, act_session_end, 0, 0, s->id, 0);
}

/* ---- lock, disconnect, reconnect, shutdown (the scenario's `events`) ------------------ */

/* Every draw of these events comes from their own stream, so a scenario
 * without events keeps its bytes. */
static int64_t ev_ms(struct sim *sm, int64_t lo_ms, int64_t hi_ms)
{
    return prng_range(&sm->r_sess, lo_ms * WT_MSEC, hi_ms * WT_MSEC);
}

static int alive(const struct sim *sm, long i)
{
    return i >= 0 && sm->procs[i].exit_time == WT_NONE;
}

/* LogonUI's flags as real records show them: 0x0 for the lock screen of a
 * logged-on session (OTRF, Windows 10 1903: winlogon starts "LogonUI.exe"
 * /flags:0x0 /state0:0xa38f2855 /state1:0x41c64e6d as the user reconnects
 * to the session Windows locked at the disconnect; Windows 7 writes /flags
 * alone, as every PC01 record), 0x4 at a Windows 10 shutdown (MSEDGEWIN10
 * record 27322, before the reboot), 0x1 at a Windows 7 shutdown. */
static long logonui(struct sim *sm, int64_t t, long parent, int32_t session, unsigned flags,
                    const char *why)
{
    const char *cmd =
        sm->prof->logonui_state
            ? sim_printf(sm, "\"LogonUI.exe\" /flags:0x%x /state0:0xa3%04x55 /state1:0x41c64e6d",
                         flags, (unsigned)prng_below(&sm->r_sess, 0x10000))
            : sim_printf(sm, "\"LogonUI.exe\" /flags:0x%x", flags);
    struct pspec p =
        as_system("LogonUI.exe", SYS32 "LogonUI.exe", cmd, session, 13, "C:\\Windows\\system32\\");
    return noise_create(sm, t, parent, &p, why);
}

enum { SE_LOCK_UI, SE_ATBROKER, SE_UNLOCK, SE_TEMP_AUTH, SE_TEMP_END, SE_SHUTDOWN_UI };

static void unlock(struct sim *sm, struct sess *s, int64_t t)
{
    s->locked = 0;
    sim_add_event(sm, t, SIM_EV_SESSION_UNLOCK, s->main, -1, s->id, s->user, NULL, 0);
    /* OTRF: LogonUI exits 5 s after the unlock (4801). */
    if (alive(sm, s->lock_ui))
        sim_schedule_exit(sm, t + ev_ms(sm, 4000, 6000), s->lock_ui);
    s->lock_ui = -1;
}

/* The steps an event schedules; a->a the step, a->session the session. */
static void act_event_step(struct sim *sm, const struct action *a)
{
    struct sess *s = sim_sess(sm, a->session);
    if (!s)
        return;
    switch (a->a) {
    case SE_LOCK_UI:
        if (alive(sm, s->main) && !alive(sm, s->lock_ui) && s->locked)
            s->lock_ui = logonui(sm, a->t, s->main, s->id, 0, "lock-screen");
        return;
    case SE_ATBROKER: {
        /* winlogon starts the accessibility broker as the user at a
         * reconnect as at a logon (PC01 10:05:26: winlogon 456 of session 1,
         * 80 ms; OTRF 03:08:36: 1 s). */
        if (!alive(sm, s->main))
            return;
        long pi = atbroker(sm, s, a->t, "reconnect-atbroker");
        sim_schedule_exit(sm, a->t + ev_ms(sm, 60, 1500), pi);
        return;
    }
    case SE_UNLOCK:
        if (s->locked && !s->off)
            unlock(sm, s, a->t);
        return;
    case SE_TEMP_AUTH: {
        /* Windows 7: the user's credentials are accepted in the temporary
         * session; Windows reconnects the user's own session, whose winlogon
         * starts AtBroker (1.1 s after the 4624 in PC01's Security log), and
         * the temporary session ends 60 ms later (PC01: winlogon and LogonUI
         * together, csrss 10-210 ms after them). */
        struct sess *u = sim_sess(sm, s->temp_for);
        if (!u || !alive(sm, s->main))
            return;
        int64_t ab = a->t + ev_ms(sm, 500, 1200);
        if (alive(sm, u->lock_ui))
            sim_schedule_exit(sm, ab, u->lock_ui);
        u->lock_ui = -1;
        u->locked = 0;
        sim_schedule(sm, ab, act_event_step, SE_ATBROKER, 0, u->id, 0);
        sim_schedule(sm, ab + ev_ms(sm, 40, 80), act_event_step, SE_TEMP_END, 0, s->id, 0);
        return;
    }
    case SE_TEMP_END: {
        int64_t cs = a->t + ev_ms(sm, 10, 210);
        for (size_t i = 0; i < sm->nprocs; i++)
            if (sm->procs[i].session == s->id && alive(sm, (long)i) && (long)i != s->child)
                sim_schedule_exit(sm, (long)i == s->csrss ? cs : a->t, (long)i);
        sim_schedule(sm, cs, act_session_end, 0, 0, s->id, 0);
        return;
    }
    case SE_SHUTDOWN_UI:
        /* The shutdown screen. Windows 10: winlogon of the console starts
         * LogonUI /flags:0x4 (MSEDGEWIN10, 10.9 s before the next boot's
         * smss; session 1, SYSTEM). Windows 7: wininit starts it with
         * /flags:0x1 (issue #15 point 15; Elastic lists wininit as a LogonUI
         * parent), on the console, where the screen is shown. */
        if (sm->prof->win7 && alive(sm, sm->wininit))
            logonui(sm, a->t, sm->wininit, 1, 1, "shutdown-screen");
        else if (!sm->prof->win7 && alive(sm, s->main))
            logonui(sm, a->t, s->main, s->id, 4, "shutdown-screen");
        return;
    }
}

/* Shutdown (OTRF, Windows 10 1903, 1074 at 03:07:17): the users' programs
 * end within 1.6 s, other sessions' winlogon with LogonUI, dwm and
 * fontdrvhost 2 s in and their csrss 1.3 s later; the event log stops 2 s
 * in, so the console's and session 0's core processes end unrecorded. The
 * run ends 10 s after the shutdown began. */
static void begin_shutdown(struct sim *sm, int64_t t)
{
    sm->down = 1;
    sim_add_event(sm, t, SIM_EV_SHUTDOWN, -1, -1, -1, NULL, NULL, 0);
    if (sim_sess(sm, 1))
        sim_schedule(sm, t + ev_ms(sm, 200, 1000), act_event_step, SE_SHUTDOWN_UI, 0, 1, 0);
    for (size_t i = 0; i < sm->nprocs; i++) {
        const struct snap_proc *p = &sm->procs[i];
        if (alive(sm, (long)i) && p->sid && !strncmp(p->sid, "S-1-5-21-", 9))
            sim_schedule_exit(sm, t + ev_ms(sm, 300, 1600), (long)i);
    }
    for (size_t k = 0; k < sm->nsess; k++) {
        struct sess *s = &sm->sess[k];
        if (s->is_boot || !alive(sm, s->main))
            continue;
        int64_t wl = t + ev_ms(sm, 1500, 2500), cs = wl + ev_ms(sm, 1000, 1500);
        for (size_t i = 0; i < sm->nprocs; i++) {
            const struct snap_proc *p = &sm->procs[i];
            if (p->session != s->id || !alive(sm, (long)i) || (long)i == s->child ||
                (p->sid && !strncmp(p->sid, "S-1-5-21-", 9)))
                continue;
            sim_schedule_exit(sm, (long)i == s->csrss ? cs : wl, (long)i);
        }
        sim_schedule(sm, cs, act_session_end, 0, 0, s->id, 0);
    }
}

/* a->a: the index of the event in the scenario. */
static void act_event(struct sim *sm, const struct action *a)
{
    const struct scn_event *e = &sm->sc->events[a->a];
    if (e->kind == SCN_EV_SHUTDOWN) {
        begin_shutdown(sm, a->t);
        return;
    }
    struct sess *s = sim_sess(sm, e->session);
    if (!s || !alive(sm, s->main) || sm->sessions[s->snap_index].logon_time == WT_NONE)
        return; /* not logged on (the loader allows no such event; a corpus draw neither) */
    static const enum sim_event_type types[] = {
        [SCN_EV_LOCK] = SIM_EV_SESSION_LOCK,
        [SCN_EV_UNLOCK] = SIM_EV_SESSION_UNLOCK,
        [SCN_EV_DISCONNECT] = SIM_EV_SESSION_DISCONNECT,
        [SCN_EV_RECONNECT] = SIM_EV_SESSION_RECONNECT,
    };
    switch (e->kind) {
    case SCN_EV_LOCK:
        /* winlogon shows the lock screen (LogonUI) in the session. */
        s->locked = 1;
        sim_add_event(sm, a->t, types[e->kind], s->main, -1, s->id, s->user, NULL, 0);
        sim_schedule(sm, a->t + ev_ms(sm, 50, 300), act_event_step, SE_LOCK_UI, 0, s->id, 0);
        return;
    case SCN_EV_UNLOCK: unlock(sm, s, a->t); return;
    case SCN_EV_DISCONNECT:
        /* No process starts or ends; Windows locks the session (OTRF: 4800
         * one second after the 4779). */
        s->off = s->locked = 1;
        sim_add_event(sm, a->t, types[e->kind], s->main, -1, s->id, s->user, NULL, 0);
        return;
    case SCN_EV_RECONNECT:
        s->off = 0;
        sim_add_event(sm, a->t, types[e->kind], s->main, -1, s->id, s->user, NULL, 0);
        if (sm->prof->win7) {
            /* The client was given a temporary session (set up by sim_run,
             * created by the master smss now): the user logs on there. */
            for (size_t k = 0; k < sm->nsess; k++)
                if (sm->sess[k].temp_for == s->id && sm->sess[k].connect == a->t)
                    sim_schedule(sm, a->t + ev_ms(sm, 5000, 20000), act_event_step, SE_TEMP_AUTH, 0,
                                 sm->sess[k].id, 0);
            return;
        }
        /* Windows 8+ with NLA: the client lands in the session, locked since
         * the disconnect (OTRF 03:08:35-43: AtBroker and LogonUI /flags:0x0
         * 1 s after the 4778, unlocked 3 s after it). */
        sim_schedule(sm, a->t + ev_ms(sm, 500, 1200), act_event_step, SE_ATBROKER, 0, s->id, 0);
        sim_schedule(sm, a->t + ev_ms(sm, 500, 1200), act_event_step, SE_LOCK_UI, 0, s->id, 0);
        sim_schedule(sm, a->t + ev_ms(sm, 2000, 4000), act_event_step, SE_UNLOCK, 0, s->id, 0);
        return;
    case SCN_EV_SHUTDOWN: return;
    }
}

/* ---- set-up --------------------------------------------------------------------------- */

static const char *user_sid(struct sim *sm, uint32_t rid)
{
    /* One machine/domain SID per run, RIDs from 1001 as local accounts get them. */
    struct prng r;
    prng_child(&r, sm->seed, 77);
    uint32_t a = (uint32_t)prng_next(&r), b = (uint32_t)prng_next(&r), c = (uint32_t)prng_next(&r);
    return sim_printf(sm, "S-1-5-21-%u-%u-%u-%u", a, b, c, rid);
}

static void add_session(struct sim *sm, int32_t id, enum scn_session_kind kind, const char *user,
                        int64_t connect, int64_t logon, int64_t logoff, uint32_t rid)
{
    XGROW(sm->sess, sm->cap_sess, sm->nsess + 1);
    if ((size_t)id >= sm->cap_sess_index) {
        size_t cap = sm->cap_sess_index ? sm->cap_sess_index : 16;
        while (cap <= (size_t)id)
            cap *= 2;
        sm->sess_index = xrealloc(sm->sess_index, cap * sizeof(*sm->sess_index));
        memset(sm->sess_index + sm->cap_sess_index, 0,
               (cap - sm->cap_sess_index) * sizeof(*sm->sess_index));
        sm->cap_sess_index = cap;
    }
    if (!sm->sess_index[id]) /* the first of a duplicated id wins, as the search did */
        sm->sess_index[id] = (uint32_t)sm->nsess + 1;
    struct sess *s = &sm->sess[sm->nsess++];
    memset(s, 0, sizeof(*s));
    s->id = id;
    s->kind = kind;
    s->is_boot = id <= 1;
    s->user = user ? sim_strdup(sm, user) : NULL;
    s->sid = user ? user_sid(sm, rid) : NULL;
    s->logon_id = user ? new_logon_id(sm) : 0;
    s->connect = connect;
    s->logon = user ? logon : WT_NONE;
    s->logoff = logoff;
    s->child = s->csrss = s->main = s->logonui = s->dwm = s->fontdrv = -1;
    s->userinit = s->explorer = s->rdpclip = s->lock_ui = -1;
    XGROW(sm->sessions, sm->cap_sessions, sm->nsessions + 1);
    s->snap_index = (long)sm->nsessions;
    struct snap_session *ss = &sm->sessions[sm->nsessions++];
    memset(ss, 0, sizeof(*ss));
    ss->id = id;
    ss->kind = id == 0 ? "services" : kind == SCN_SESS_RDP ? "rdp" : "console";
    ss->user = s->user;
    ss->create_time = ss->logon_time = ss->end_time = WT_NONE;
}

static void reset(struct sim *sm)
{
    for (size_t i = 0; i < sm->nsess; i++)
        if (sm->sess[i].id >= 0 && (size_t)sm->sess[i].id < sm->cap_sess_index)
            sm->sess_index[sm->sess[i].id] = 0;
    sm->nprocs = sm->nevents = sm->nregs = sm->nsessions = sm->nsess = sm->nlabels = 0;
    sm->nheap = sm->nfree = 0;
    sm->seq = 0;
    sm->nsnapshots = 0;
    sm->failed = 0;
    sm->down = 0;
    sm->system = sm->master = sm->wininit = sm->services = sm->lsass = sm->termsvcs = -1;
    for (int k = 0; k < SVC_HOSTS; k++)
        sm->svc_host[k] = -1;
    sm->nanoms = 0;
    sm->next_luid = 0;
    sm->master_delay = 0;
    sm->master_label = 0;
    sm->replaced_image = NULL;
    sm->replaced_label = 0;
    arena_reset(&sm->arena);
}

struct sim *sim_new(void)
{
    struct sim *sm = xcalloc(1, sizeof(*sm));
    return sm;
}

void sim_free(struct sim *sm)
{
    if (!sm)
        return;
    free(sm->procs);
    free(sm->noise);
    free(sm->events);
    free(sm->event_seq);
    free(sm->regs);
    free(sm->reg_from);
    free(sm->reg_until);
    free(sm->reg_anomaly);
    free(sm->sessions);
    free(sm->sess);
    free(sm->sess_index);
    free(sm->labels);
    free(sm->heap);
    free(sm->free_pids);
    free(sm->anoms);
    arena_release(&sm->arena);
    free(sm);
}

static int64_t derive_end(const struct scn *sc)
{
    if (sc->duration != WT_NONE)
        return sc->duration;
    int64_t last = 0;
    for (size_t i = 0; i < sc->nsessions; i++) {
        const struct scn_session *s = &sc->sessions[i];
        int64_t v[] = {s->connect, s->logon, s->logoff};
        for (size_t k = 0; k < 3; k++)
            if (v[k] != WT_NONE && v[k] > last)
                last = v[k];
    }
    for (size_t i = 0; i < sc->nsnapshots; i++)
        if (sc->snapshots[i] != SCN_AT_END && sc->snapshots[i] > last)
            last = sc->snapshots[i];
    for (size_t i = 0; i < sc->nevents; i++)
        if (sc->events[i].at > last)
            last = sc->events[i].at;
    int64_t end = last + 5 * WT_MIN;
    return end < 10 * WT_MIN ? 10 * WT_MIN : end;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static struct sim *sort_sim;
static int cmp_event(const void *a, const void *b)
{
    const struct sim_event *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    uint64_t sx = sort_sim->event_seq[x - sort_sim->events];
    uint64_t sy = sort_sim->event_seq[y - sort_sim->events];
    return sx < sy ? -1 : sx > sy;
}

int sim_run(struct sim *sm, const struct scn *sc, struct err *e)
{
    reset(sm);
    sm->sc = sc;
    sm->err = e;
    sm->seed = sc->seed;
    sm->prof = profile_get(sc->os);
    sm->credential_guard =
        sc->opt.credential_guard >= 0 ? sc->opt.credential_guard : sm->prof->credential_guard;
    sm->win11_child_line =
        sc->opt.win11_child_line >= 0 ? sc->opt.win11_child_line : sm->prof->win11_child_line;
    prng_child(&sm->r_time, sc->seed, STREAM_TIME);
    prng_child(&sm->r_pid, sc->seed, STREAM_PID);
    prng_child(&sm->r_misc, sc->seed, STREAM_MISC);
    prng_child(&sm->r_svc, sc->seed, STREAM_SVC);
    prng_child(&sm->r_anom, sc->seed, STREAM_ANOM);
    prng_child(&sm->r_sess, sc->seed, STREAM_SESS);
    sm->boot = sc->boot_time;
    sm->end = sm->boot + derive_end(sc);
    /* A shutdown ends the run SCN_SHUTDOWN_TAIL after it. */
    if (sc->nevents && sc->events[sc->nevents - 1].kind == SCN_EV_SHUTDOWN)
        sm->end = sm->boot + sc->events[sc->nevents - 1].at + SCN_SHUTDOWN_TAIL;

    add_session(sm, 0, SCN_SESS_CONSOLE, NULL, WT_NONE, WT_NONE, WT_NONE, 0);
    for (size_t i = 0; i < sc->nsessions; i++) {
        const struct scn_session *s = &sc->sessions[i];
        int64_t logon = s->logon == WT_NONE ? WT_NONE : sm->boot + s->logon;
        int64_t logoff = s->logoff == WT_NONE ? WT_NONE : sm->boot + s->logoff;
        int64_t connect = s->connect != WT_NONE ? sm->boot + s->connect : WT_NONE;
        if (s->id != 1 && connect == WT_NONE)
            connect = logon != WT_NONE ? logon - sim_rand_ms(sm, 2000, 10000) : sm->boot;
        if (connect != WT_NONE && connect < sm->boot + 30 * WT_SEC && s->id != 1)
            connect = sm->boot + 30 * WT_SEC; /* extra sessions come after the boot's own */
        add_session(sm, s->id, s->kind, s->user, connect, logon, logoff, 1000 + (uint32_t)i + 1);
    }
    /* A Windows 7 reconnect: the RDP client gets a new session first
     * (PC01: sessions 2 and 3 beside session 1, which one of them
     * reconnected); ids after the scenario's. */
    int32_t next_id = 1;
    for (size_t i = 0; i < sm->nsess; i++)
        if (sm->sess[i].id >= next_id)
            next_id = sm->sess[i].id + 1;
    for (size_t i = 0; i < sc->nanomalies; i++) /* a session an anomaly opens, too */
        for (size_t k = 0; k < sc->anomalies[i].nparams; k++) {
            uint64_t v;
            if (!strcmp(sc->anomalies[i].params[k].key, "session") &&
                parse_u64(sc->anomalies[i].params[k].value, SCN_SESSION_ID_MAX, &v) == 0 &&
                (int64_t)v >= next_id)
                next_id = (int32_t)v + 1;
        }
    for (size_t i = 0; i < sc->nevents && sm->prof->win7; i++) {
        const struct scn_event *ev = &sc->events[i];
        if (ev->kind != SCN_EV_RECONNECT || next_id > SCN_SESSION_ID_MAX)
            continue;
        add_session(sm, next_id, SCN_SESS_RDP, NULL, sm->boot + ev->at, WT_NONE, WT_NONE, 0);
        sm->sess[sm->nsess - 1].temp_for = ev->session;
        sm->sess[sm->nsess - 1].noise = "reconnect-session";
        next_id++;
    }
    init_registry(sm);
    if (anom_apply_all(sm, e) < 0)
        return -1;

    /* act_boot starts the chain: master smss, BootExecute, session 0, session 1. */
    sim_schedule(sm, sm->boot, act_boot, 0, 0, 0, 0);
    if (sc->opt.lsass_crash_report) {
        int64_t t = sm->boot + 3 * WT_MIN + sim_rand_ms(sm, 0, 60000);
        sim_schedule(sm, t, act_lsass_report, 0, 0, 0, 0);
        if (t + 2 * WT_MIN > sm->end)
            sm->end = t + 2 * WT_MIN;
    }
    for (size_t i = 0; i < sm->nsess; i++) {
        struct sess *s = &sm->sess[i];
        if (s->is_boot)
            continue;
        sim_schedule(sm, s->connect, act_session_child, 0, 0, s->id, 0);
        if (s->logoff != WT_NONE)
            sim_schedule(sm, s->logoff, act_logoff, 0, 0, s->id, 0);
    }
    for (size_t i = 0; i < sc->nevents; i++)
        sim_schedule(sm, sm->boot + sc->events[i].at, act_event, (long)i, 0, 0, 0);
    while (sm->nheap && !sm->failed) {
        struct action a = pop(sm);
        if (a.t > sm->end)
            break;
        a.fn(sm, &a);
    }
    if (sm->failed)
        return -1;
    sort_sim = sm;
    sort_n(sm->events, sm->nevents, sizeof(sm->events[0]), cmp_event);
    sort_sim = NULL;

    for (size_t i = 0; i < sc->nsnapshots && sm->nsnapshots < SCN_MAX_SNAPSHOTS; i++) {
        int64_t at = sc->snapshots[i] == SCN_AT_END ? sm->end : sm->boot + sc->snapshots[i];
        if (at > sm->end)
            at = sm->end;
        sm->snapshots[sm->nsnapshots++] = at;
    }
    sort_n(sm->snapshots, sm->nsnapshots, sizeof(int64_t), cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < sm->nsnapshots; i++)
        if (!k || sm->snapshots[k - 1] != sm->snapshots[i])
            sm->snapshots[k++] = sm->snapshots[i];
    sm->nsnapshots = k;
    return 0;
}

/* ---- results ---------------------------------------------------------------------------- */

size_t sim_nprocs(const struct sim *sm)
{
    return sm->nprocs;
}
const struct snap_proc *sim_proc(const struct sim *sm, size_t i)
{
    return &sm->procs[i];
}
const char *sim_proc_noise(const struct sim *sm, size_t i)
{
    return sm->noise[i];
}
size_t sim_nevents(const struct sim *sm)
{
    return sm->nevents;
}
const struct sim_event *sim_event(const struct sim *sm, size_t i)
{
    return &sm->events[i];
}
int64_t sim_boot_time(const struct sim *sm)
{
    return sm->boot;
}
int sim_reg_label(const struct sim *sm, long idx)
{
    return idx >= 0 ? sm->reg_anomaly[idx] : 0;
}
int64_t sim_end_time(const struct sim *sm)
{
    return sm->end;
}
size_t sim_nsnapshots(const struct sim *sm)
{
    return sm->nsnapshots;
}
int64_t sim_snapshot_time(const struct sim *sm, size_t i)
{
    return sm->snapshots[i];
}

static void fill_header(const struct sim *sm, struct snap *s)
{
    s->source = "smsslab-sim";
    s->scenario = sm->sc->name;
    s->seed = sm->seed;
    s->host = sm->sc->host;
    s->domain = sm->sc->domain;
    s->os = scn_os_name(sm->sc->os);
    s->boot_time = sm->boot;
    s->fields = SNAP_F_ALL;
}

void sim_snapshot(const struct sim *sm, int64_t at, struct snap *s)
{
    snap_reset(s);
    fill_header(sm, s);
    s->at = at;
    for (size_t i = 0; i < sm->nsessions; i++) {
        const struct snap_session *ss = &sm->sessions[i];
        if (ss->create_time != WT_NONE && ss->create_time > at)
            continue;
        struct snap_session *o = snap_add_session(s);
        *o = *ss;
        if (o->logon_time != WT_NONE && o->logon_time > at)
            o->logon_time = WT_NONE;
        if (o->end_time != WT_NONE && o->end_time > at)
            o->end_time = WT_NONE;
    }
    for (size_t i = 0; i < sm->nprocs; i++) {
        const struct snap_proc *p = &sm->procs[i];
        if (p->create_time > at)
            continue;
        struct snap_proc *o = snap_add_proc(s);
        *o = *p;
        if (o->exit_time != WT_NONE && o->exit_time > at)
            o->exit_time = WT_NONE;
    }
    for (size_t i = 0; i < sm->nregs; i++)
        if (reg_alive(sm, i, at))
            *snap_add_reg(s) = sm->regs[i];
    for (size_t i = 0; i < sm->nlabels; i++)
        *snap_add_label(s) = sm->labels[i];
}

static const char *const event_names[] = {
    [SIM_EV_PROCESS_CREATE] = "process_create",
    [SIM_EV_PROCESS_EXIT] = "process_exit",
    [SIM_EV_SESSION_CREATE] = "session_create",
    [SIM_EV_SESSION_LOGON] = "session_logon",
    [SIM_EV_SESSION_END] = "session_end",
    [SIM_EV_REGISTRY_READ] = "registry_read",
    [SIM_EV_REGISTRY_SET] = "registry_set",
    [SIM_EV_REGISTRY_DELETE] = "registry_delete",
    [SIM_EV_FILE_RENAME] = "file_rename",
    [SIM_EV_SMSS_STEP] = "smss_step",
    [SIM_EV_SESSION_LOCK] = "session_lock",
    [SIM_EV_SESSION_UNLOCK] = "session_unlock",
    [SIM_EV_SESSION_DISCONNECT] = "session_disconnect",
    [SIM_EV_SESSION_RECONNECT] = "session_reconnect",
    [SIM_EV_SHUTDOWN] = "shutdown",
};

static void write_event(const struct sim *sm, struct strbuf *sb, size_t seq,
                        const struct sim_event *ev)
{
    sb_addc(sb, '{');
    jw_ku64(sb, "seq", seq);
    jw_ktime(sb, "time", ev->time);
    jw_kstr(sb, "type", event_names[ev->type]);
    if (ev->proc >= 0) {
        const struct snap_proc *p = &sm->procs[ev->proc];
        jw_ku64(sb, "pid", p->pid);
        jw_kstr(sb, "name", p->name);
        jw_ktime(sb, "create_time", p->create_time);
        if (ev->type == SIM_EV_PROCESS_CREATE) {
            jw_ku64(sb, "ppid", p->ppid);
            jw_ktime(sb, "parent_create_time", p->parent_create_time);
        }
    }
    if (ev->session >= 0)
        jw_ki64(sb, "session", ev->session);
    if (ev->reg >= 0) {
        const struct snap_reg *r = &sm->regs[ev->reg];
        jw_kstr(sb, "key", r->key);
        jw_kstr(sb, "value", r->name);
    }
    if (ev->type == SIM_EV_FILE_RENAME) {
        jw_kstr(sb, "from", ev->text);
        jw_kstr(sb, "to", ev->text2);
    } else if (ev->text) {
        jw_kstr(sb, ev->type == SIM_EV_SMSS_STEP ? "step" : "detail", ev->text);
    }
    jw_kstr(sb, "anomaly", ev->anomaly ? sm->labels[ev->anomaly - 1].id : NULL);
    sb_addc(sb, '}');
}

/* A process or registry record renders the same in every snapshot of a run
 * (only a process's exit fields change), so each is rendered once into
 * `cache` and copied: half the work for a two-snapshot run. */
struct render_cache {
    struct strbuf text;
    size_t *head, *tail, *reg; /* offsets into text, +1 (0 = not yet rendered) */
};

static void copy_cached(struct strbuf *sb, struct render_cache *rc, size_t *slot,
                        void (*render)(struct strbuf *, const void *), const void *rec)
{
    if (!*slot) {
        size_t start = rc->text.len;
        render(&rc->text, rec);
        *slot = start + 1; /* slot[0]: offset + 1 (0 = not rendered), slot[1]: length */
        slot[1] = rc->text.len - start;
    }
    sb_add(sb, rc->text.buf + *slot - 1, slot[1]);
}

static void render_head(struct strbuf *sb, const void *p)
{
    snap_write_proc_head(sb, p);
}
static void render_tail(struct strbuf *sb, const void *p)
{
    snap_write_proc_tail(sb, p);
}
static void render_reg(struct strbuf *sb, const void *r)
{
    snap_write_reg(sb, r);
}

void sim_write_json(const struct sim *sm, struct strbuf *sb)
{
    struct render_cache rc = {STRBUF_INIT, NULL, NULL, NULL};
    rc.head = xcalloc(2 * sm->nprocs + 1, sizeof(size_t));
    rc.tail = xcalloc(2 * sm->nprocs + 1, sizeof(size_t));
    rc.reg = xcalloc(2 * sm->nregs + 1, sizeof(size_t));
    sb_addc(sb, '{');
    jw_kstr(sb, "schema", SNAP_SCHEMA_RUN);
    jw_kstr(sb, "generator", "smsslab " SMSSLAB_VERSION);
    jw_kstr(sb, "source", "smsslab-sim");
    jw_kstr(sb, "scenario", sm->sc->name);
    jw_kstr(sb, "description", sm->sc->description);
    jw_ku64(sb, "seed", sm->seed);
    jw_kstr(sb, "os", scn_os_name(sm->sc->os));
    jw_kstr(sb, "host", sm->sc->host);
    jw_kstr(sb, "domain", sm->sc->domain);
    jw_ktime(sb, "boot_time", sm->boot);
    jw_ktime(sb, "end_time", sm->end);
    sb_addc(sb, ',');
    jw_key(sb, "fields");
    snap_write_fields(sb, SNAP_F_ALL);
    sb_add(sb, ",\"sessions\":[", 13);
    for (size_t i = 0; i < sm->nsessions; i++) {
        if (i)
            sb_addc(sb, ',');
        snap_write_session(sb, &sm->sessions[i]);
    }
    sb_add(sb, "],\"snapshots\":[", 15);
    for (size_t k = 0; k < sm->nsnapshots; k++) {
        int64_t at = sm->snapshots[k];
        if (k)
            sb_addc(sb, ',');
        sb_addc(sb, '{');
        jw_ktime(sb, "at", at);
        char dur[64];
        wt_format_duration(at - sm->boot, dur, sizeof(dur));
        jw_kstr(sb, "offset", dur);
        sb_add(sb, ",\"processes\":[", 14);
        /* the same selection as sim_snapshot */
        int first = 1;
        for (size_t i = 0; i < sm->nprocs; i++) {
            const struct snap_proc *p = &sm->procs[i];
            if (p->create_time > at)
                continue;
            if (!first)
                sb_addc(sb, ',');
            first = 0;
            copy_cached(sb, &rc, &rc.head[2 * i], render_head, p);
            snap_write_proc_exit(sb, p->exit_time != WT_NONE && p->exit_time <= at ? p->exit_time
                                                                                   : WT_NONE);
            copy_cached(sb, &rc, &rc.tail[2 * i], render_tail, p);
        }
        sb_add(sb, "],\"registry\":[", 14);
        first = 1;
        for (size_t i = 0; i < sm->nregs; i++) {
            if (!reg_alive(sm, i, at))
                continue;
            if (!first)
                sb_addc(sb, ',');
            first = 0;
            copy_cached(sb, &rc, &rc.reg[2 * i], render_reg, &sm->regs[i]);
        }
        sb_add(sb, "]}", 2);
    }
    sb_add(sb, "],\"events\":[", 12);
    for (size_t i = 0; i < sm->nevents; i++) {
        if (i)
            sb_addc(sb, ',');
        write_event(sm, sb, i, &sm->events[i]);
    }
    sb_add(sb, "],\"labels\":[", 12);
    for (size_t i = 0; i < sm->nlabels; i++) {
        if (i)
            sb_addc(sb, ',');
        snap_write_label(sb, &sm->labels[i]);
    }
    sb_add(sb, "]}\n", 3);
    sb_release(&rc.text);
    free(rc.head);
    free(rc.tail);
    free(rc.reg);
}
