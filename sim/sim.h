/*
 * sim: the deterministic boot-sequence simulator. A discrete-event
 * simulation with an integer microsecond clock and a queue ordered by
 * (time, sequence); every random choice comes from one seeded PRNG through
 * per-subsystem child streams. The same scenario and seed always give the
 * same processes, events and bytes.
 */
#ifndef SMSS_SIM_H
#define SMSS_SIM_H

#include <stdint.h>

#include "../core/util.h"
#include "../snap/snap.h"
#include "scn.h"

/* Limits (docs/limits.md). */
#define SIM_MAX_PROCS 65536
#define SIM_MAX_EVENTS 262144

enum sim_event_type {
    SIM_EV_PROCESS_CREATE,
    SIM_EV_PROCESS_EXIT,
    SIM_EV_SESSION_CREATE,
    SIM_EV_SESSION_LOGON,
    SIM_EV_SESSION_END,
    SIM_EV_REGISTRY_READ,
    SIM_EV_REGISTRY_SET,
    SIM_EV_REGISTRY_DELETE,
    SIM_EV_FILE_RENAME,
    SIM_EV_SMSS_STEP,
    /* scenario events (docs/scenario.md, `events`) */
    SIM_EV_SESSION_LOCK,
    SIM_EV_SESSION_UNLOCK,
    SIM_EV_SESSION_DISCONNECT,
    SIM_EV_SESSION_RECONNECT,
    SIM_EV_SHUTDOWN,
};

struct sim_event {
    int64_t time;
    enum sim_event_type type;
    long proc; /* index into procs for process events, else -1 */
    long reg;  /* index into the registry history for registry events, else -1 */
    int32_t session;
    const char *text;  /* step name, rename "from", ... */
    const char *text2; /* rename "to" */
    int anomaly;       /* index into labels + 1, 0 = none */
};

struct sim;

struct sim *sim_new(void);
void sim_free(struct sim *sm);

/* Simulate sc with seed (sc->seed unless override). Returns 0, or -1 with a
 * located error (a bad anomaly entry, say). */
int sim_run(struct sim *sm, const struct scn *sc, struct err *e);

/* Results, valid until the next sim_run or sim_free. */
size_t sim_nprocs(const struct sim *sm);
const struct snap_proc *sim_proc(const struct sim *sm, size_t i);
/* Why process i runs if it is benign noise every real host has (AtBroker,
 * per-user services, Defender, ...: docs/fidelity.md), else NULL. */
const char *sim_proc_noise(const struct sim *sm, size_t i);
size_t sim_nevents(const struct sim *sm);
const struct sim_event *sim_event(const struct sim *sm, size_t i);
int64_t sim_boot_time(const struct sim *sm);
int64_t sim_end_time(const struct sim *sm);
/* Absolute snapshot times, in scenario order (duplicates removed). */
size_t sim_nsnapshots(const struct sim *sm);
int64_t sim_snapshot_time(const struct sim *sm, size_t i);

/* The process table and registry as they stand at absolute time `at`:
 * every process created by then, with exit_time cleared if it exits later.
 * Header fields (host, os, sessions, labels) are filled too. */
void sim_snapshot(const struct sim *sm, int64_t at, struct snap *s);

/* The whole run document (schema smsslab.run/2), one line of JSON + '\n'. */
void sim_write_json(const struct sim *sm, struct strbuf *sb);

#endif
