/*
 * anomaly: the catalogue of injectable anomalies (docs/anomalies.md). Each
 * entry changes the simulation the way the real attack or fault would --
 * an extra process with a believable parent, path and user, a registry value
 * that smss then acts on -- and records a ground-truth label.
 */
#include "anomaly.h"

#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

static const struct anom_type catalogue[] = {
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

size_t anom_count(void)
{
    return ARRAY_SIZE(catalogue) - 1;
}

const struct anom_type *anom_get(size_t i)
{
    return i < anom_count() ? &catalogue[i] : NULL;
}

const struct anom_type *anom_find(const char *id)
{
    for (size_t i = 0; i < anom_count(); i++)
        if (!strcmp(catalogue[i].id, id))
            return &catalogue[i];
    return NULL;
}

int anom_apply_all(struct sim *sm, struct err *e)
{
    const struct scn *sc = sm->sc;
    for (size_t i = 0; i < sc->nanomalies; i++) {
        const struct scn_anomaly *an = &sc->anomalies[i];
        const struct anom_type *t = anom_find(an->type);
        if (!t) {
            err_set(e, "%s:%d:%d: unknown anomaly type '%s' (see 'smsslab anomalies')", sc->file,
                    an->type_loc.line, an->type_loc.col, an->type);
            return -1;
        }
    }
    return 0;
}
