/*
 * sim_int: the simulator's private state, shared by sim.c (the boot) and
 * anomaly.c (the injected anomalies), which schedule work on the same
 * event queue and create processes through the same helpers.
 */
#ifndef SMSS_SIM_INT_H
#define SMSS_SIM_INT_H

#include "../core/prng.h"
#include "anomaly.h"
#include "profile.h"
#include "sim.h"

struct sim;
struct action;

enum { SH_SCHEDULE, SH_USERMANAGER, SH_TABLET, SH_DCOMLAUNCH, SH_NETSVCS, SVC_HOSTS };
typedef void (*sim_action_fn)(struct sim *sm, const struct action *a);

struct action {
    int64_t t;
    uint64_t seq;
    sim_action_fn fn;
    long a, b;
    int32_t session;
    int anomaly;
};

/* What to create: strings are copied into the run's arena by sim_create. */
struct pspec {
    const char *name, *image, *cmd, *user, *sid, *integrity, *cwd;
    int32_t session;
    int32_t prio;
    uint64_t logon_id;
};

struct sess {
    int32_t id;
    enum scn_session_kind kind;
    int is_boot; /* session 0 or 1 */
    const char *user, *sid;
    uint64_t logon_id;
    int64_t connect, logon, logoff;
    long child, csrss, main; /* main = wininit (0) or winlogon */
    long logonui, dwm, fontdrv, userinit, explorer, rdpclip;
    long snap_index; /* index in sessions */
    int hang_label;  /* anomaly: this session's smss child never exits */
    /* Scenario events: disconnected, locked, the LogonUI of the lock screen;
     * a Windows 7 reconnect's temporary session names the session it
     * reconnects (temp_for) and labels its processes benign (noise). */
    int off, locked;
    long lock_ui;
    int32_t temp_for;
    const char *noise;
};

/* An anomaly of the scenario with its parameters resolved (anomaly.c). */
struct anom_state {
    const struct anom_type *type;
    int label;  /* index into labels + 1 */
    int64_t at; /* absolute time for anomalies that act after boot */
    int32_t session;
    const char *process, *parent, *path, *name, *value;
};

struct sim {
    const struct scn *sc;
    const struct kb_os *prof;
    uint64_t seed;
    struct prng r_time, r_pid, r_misc, r_svc, r_anom;
    struct prng r_sess; /* scenario events only, so a scenario without them keeps its bytes */
    struct arena arena;

    struct snap_proc *procs;
    size_t nprocs, cap_procs;
    const char **noise; /* parallel to procs: why a benign look-alike runs, or NULL */
    size_t cap_noise;
    uint64_t next_luid; /* boot-time logon ids of DWM/UMFD: small and rising */
    struct sim_event *events;
    size_t nevents, cap_events;
    uint64_t *event_seq;   /* parallel to events: tie-break for sorting */
    struct snap_reg *regs; /* registry history */
    int64_t *reg_from, *reg_until;
    int *reg_anomaly;
    size_t nregs, cap_regs;
    struct snap_session *sessions;
    size_t nsessions, cap_sessions;
    struct sess *sess;
    size_t nsess, cap_sess;
    /* Session id -> index in sess + 1 (0 = none): sim_sess in constant time,
     * so a host of 1,000 RDP sessions costs per process what one of 10 does. */
    uint32_t *sess_index;
    size_t cap_sess_index;
    struct snap_label *labels;
    size_t nlabels, cap_labels;

    struct action *heap;
    size_t nheap, cap_heap;
    uint64_t seq;

    uint32_t next_pid;
    uint32_t *free_pids;
    size_t nfree, cap_free;

    int64_t boot, end;
    int64_t snapshots[SCN_MAX_SNAPSHOTS];
    size_t nsnapshots;
    int credential_guard, win11_child_line;
    long system, master, wininit, services, lsass, termsvcs;
    long svc_host[SVC_HOSTS]; /* the svchost of each service the benign noise starts from */
    int failed;
    int down; /* the shutdown has begun: no new noise or logon work */
    struct err *err;

    /* Hooks anomalies set before the boot runs. */
    struct anom_state *anoms;
    size_t nanoms, cap_anoms;
    int64_t master_delay;
    int master_label;
    const char *replaced_image; /* a System32 binary a pending rename replaced */
    int replaced_label;
};

void sim_schedule(struct sim *sm, int64_t t, sim_action_fn fn, long a, long b, int32_t session,
                  int anomaly);
long sim_create(struct sim *sm, int64_t t, long parent, const struct pspec *ps, int anomaly);
void sim_schedule_exit(struct sim *sm, int64_t t, long proc);
void sim_add_event(struct sim *sm, int64_t t, enum sim_event_type type, long proc, long reg,
                   int32_t session, const char *text, const char *text2, int anomaly);
int64_t sim_rand_ms(struct sim *sm, int64_t lo_ms, int64_t hi_ms);
struct sess *sim_sess(struct sim *sm, int32_t id);
/* Current value of a registry entry by key/name (history index), or -1. */
long sim_reg_current(struct sim *sm, const char *key, const char *name, int64_t at);
long sim_reg_set(struct sim *sm, int64_t t, const char *key, const char *name,
                 enum snap_reg_type type, const char *const *data, uint32_t n, int anomaly,
                 int emit_event);
void sim_reg_delete(struct sim *sm, int64_t t, long idx, int anomaly, int emit_event);
const char *sim_strdup(struct sim *sm, const char *s);
const char *sim_printf(struct sim *sm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Users */
extern const struct pspec sim_system_user;

/* Label index + 1 of a registry history entry (0 = none). */
int sim_reg_label(const struct sim *sm, long idx);

/* anomaly.c: validate the scenario's anomalies, create their labels and set
 * hooks or schedule their actions. */
int anom_apply_all(struct sim *sm, struct err *e);

#endif
