/*
 * anomaly: the catalogue of anomaly types a scenario can inject. Each row
 * is data: id, what it changes, parameters, ATT&CK technique, the checker
 * rules expected to fire, a one-line lesson, and the function that applies
 * it to a simulation.
 */
#ifndef SMSS_ANOMALY_H
#define SMSS_ANOMALY_H

#include <stddef.h>
#include <stdint.h>

struct sim;
struct scn_anomaly;
struct err;
struct anom_state;

struct anom_type {
    const char *id; /* "smss-wrong-parent" */
    const char *title;
    const char *technique; /* ATT&CK id */
    const char *rules;     /* comma-separated checker rule ids expected to fire */
    const char *params;    /* "parent=explorer.exe|cmd.exe at=DURATION session=N" */
    const char *lesson;
    /* Validate parameters; change the registry, set a boot hook or schedule act. */
    int (*prepare)(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                   struct err *e);
    /* For anomalies that act after boot: runs at st->at. */
    void (*act)(struct sim *sm, const struct anom_state *st, int64_t t);
    /* For anomalies that change the registry before the boot: plants the
     * values; returns the index of the one the label is about, or -1 with e
     * set. Each row carries its own, so no type falls into another's. */
    long (*plant)(struct sim *sm, const struct scn_anomaly *an, struct anom_state *st,
                  struct err *e);
    /* It acts from a logged-on user's desktop: the scenario must log a
     * user on there 20 s before 'at' (DESKTOP_ANOM rows). */
    int desktop;
    /* How long after 'at' the run must go on for the attack to play out;
     * 0 = two minutes. */
    int64_t span;
};

size_t anom_count(void);
const struct anom_type *anom_get(size_t i);
const struct anom_type *anom_find(const char *id);
/* Whether type t takes parameter key: the words before '=' in its params text. */
int anom_accepts(const struct anom_type *t, const char *key);

/* One parameter as the type's params text declares it: "key=a|b|c" (choices,
 * the first the default) or "key=KIND" (DURATION, N, PATH, NAME, TEXT). This
 * is the one reader of that text: the simulator, the corpus generator and
 * explain all ask here. */
struct anom_param {
    const char *value; /* "a|b|c" or "DURATION", not terminated */
    size_t nvalue;
    size_t nchoices; /* 0 for a KIND */
};
/* Type t's parameter key into out; 0 when t takes none such. */
int anom_param(const struct anom_type *t, const char *key, struct anom_param *out);
/* The k-th choice (k < p->nchoices): its start, its length in *n. */
const char *anom_param_choice(const struct anom_param *p, size_t k, size_t *n);

#endif
