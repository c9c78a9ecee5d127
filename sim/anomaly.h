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
struct strbuf;

/* What a parameter takes (the loader checks values against it). */
enum anom_kind {
    AP_CHOICE,   /* one of choices[] (ASCII case-insensitive); the first is the default */
    AP_DURATION, /* 90s, 5m, 1h30m (at most 366d) */
    AP_SESSION,  /* a session id 0..65535 */
    AP_FULLPATH, /* a Windows path with a folder, at most 260 characters */
    AP_PATH,     /* a path or a bare file name */
    AP_NAME,     /* a name */
    AP_TEXT,     /* any text */
};

/* One parameter of an anomaly type (a row's PARAMS(...) in anomalies.def). */
struct anom_pdef {
    const char *key; /* NULL ends the table */
    enum anom_kind kind;
    const char *const *choices; /* AP_CHOICE: NULL-terminated */
    int dflt;                   /* AP_SESSION: the default session */
    int min;                    /* AP_SESSION: the lowest session it may act in */
    int fresh; /* AP_SESSION: a session nothing else starts (the corpus draws an unused id) */
    const char *const *seen; /* values real attacks used (NULL-terminated), drawn by the
                                corpus; NULL = the corpus composes one or leaves it out */
    /* How the corpus composes a value (P_*_DRAWN, P_*_FROM): the lists of
     * candidates in draw, each drawn in order (one draw per list of two or
     * more), fill draw_fmt's {0}, {1}, ...; {key} is the value of a
     * parameter drawn before this one, {key:file} its file name. */
    const char *draw_fmt;
    const char *const *const *draw; /* NULL-terminated; NULL = none */
    /* AP_DURATION (P_BOOT_DELAY): the corpus holds the whole boot back by a
     * draw of [min, max] seconds, moves the sample's logons behind it and
     * sets this parameter to it. {0, 0} = not a boot delay. */
    int boot_delay[2];
};

struct anom_type {
    const char *id; /* "smss-wrong-parent" */
    const char *title;
    const char *technique;          /* ATT&CK id */
    const char *rules;              /* comma-separated checker rule ids expected to fire */
    const struct anom_pdef *params; /* what a scenario may set; ends with a NULL key */
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
/* Whether type t takes parameter key. */
int anom_accepts(const struct anom_type *t, const char *key);
/* Type t's parameter key, or NULL. */
const struct anom_pdef *anom_pdef(const struct anom_type *t, const char *key);
/* t's parameters as text: "process=a|b at=DURATION" (choice_sep between
 * choices), "" when it takes none. The words for kinds: DURATION, N, PATH,
 * NAME, TEXT. `anomalies`, `explain` and docs/anomalies.md print this. */
void anom_params_text(const struct anom_type *t, const char *choice_sep, struct strbuf *sb);

/* One parameter's choices, as explain and the corpus generator read them. */
struct anom_param {
    const struct anom_pdef *def;
    size_t nchoices; /* 0 unless AP_CHOICE */
};
/* Type t's parameter key into out; 0 when t takes none such. */
int anom_param(const struct anom_type *t, const char *key, struct anom_param *out);
/* The k-th choice (k < p->nchoices): its start, its length in *n. */
const char *anom_param_choice(const struct anom_param *p, size_t k, size_t *n);

/* Check a scenario's anomaly: a known type, and every parameter one it takes
 * with a value of its kind. On error returns -1 with e = "file:line:col:
 * message" (file names the scenario). The scenario loader calls this, and
 * the simulator again for scenarios built in code. */
int anom_check(const struct scn_anomaly *an, const char *file, struct err *e);

#endif
