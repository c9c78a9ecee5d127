/*
 * anomaly: the catalogue of anomaly types a scenario can inject. Each row
 * is data: id, what it changes, parameters, ATT&CK technique, the checker
 * rules expected to fire, a one-line lesson, and the function that applies
 * it to a simulation.
 */
#ifndef SMSS_ANOMALY_H
#define SMSS_ANOMALY_H

#include <stddef.h>

struct sim;
struct scn_anomaly;
struct err;

struct anom_type {
    const char *id;            /* "smss-wrong-parent" */
    const char *title;
    const char *technique;     /* ATT&CK id */
    const char *rules;         /* comma-separated checker rule ids expected to fire */
    const char *params;        /* "parent=explorer.exe|cmd.exe at=DURATION session=N" */
    const char *lesson;
    int (*apply)(struct sim *sm, const struct scn_anomaly *an, int label, struct err *e);
};

size_t anom_count(void);
const struct anom_type *anom_get(size_t i);
const struct anom_type *anom_find(const char *id);

#endif
