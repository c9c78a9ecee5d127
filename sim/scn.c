/*
 * scn: the scenario's defaults and its ownership rules. Every string and
 * array in a struct scn is heap memory owned by the struct, so scn_release
 * can free a scenario however far loading got; the loader (scn_load.c) only
 * ever adds to a struct that scn_init made valid.
 */
#include "scn.h"

#include <stdlib.h>
#include <string.h>

#include "../core/wtime.h"

void scn_init(struct scn *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->seed = 1;
    sc->os = SCN_OS_WIN10;
    sc->host = xstrdup("DESKTOP-SMSS01");
    sc->domain = xstrdup("WORKGROUP");
    /* 2024-05-01T08:00:00Z; computed, not a magic number, so it cannot drift from the docs. */
    sc->boot_time = wt_days_from_civil(2024, 5, 1) * WT_DAY + 8 * WT_HOUR;
    sc->duration = WT_NONE;

    sc->opt.credential_guard = -1;
    sc->opt.win11_child_line = -1;
    sc->opt.pid_reuse = 1;
    sc->opt.svchosts = -1;
    sc->opt.noise = -1;

    /* Session 1 (the console) exists at every boot; nobody logs on unless asked. */
    sc->sessions = xcalloc(1, sizeof(*sc->sessions));
    sc->nsessions = 1;
    sc->sessions[0].id = 1;
    sc->sessions[0].kind = SCN_SESS_CONSOLE;
    sc->sessions[0].connect = WT_NONE;
    sc->sessions[0].logon = WT_NONE;
    sc->sessions[0].logoff = WT_NONE;

    sc->snapshots = xmalloc(sizeof(*sc->snapshots));
    sc->snapshots[0] = SCN_AT_END;
    sc->nsnapshots = 1;
}

static void reg_release(struct scn_reg *r)
{
    free(r->rel);
    for (uint32_t i = 0; i < r->ndata; i++)
        free(r->data[i]);
    free(r->data);
}

static void anomaly_release(struct scn_anomaly *a)
{
    free(a->type);
    free(a->id);
    for (size_t i = 0; i < a->nparams; i++) {
        free(a->params[i].key);
        free(a->params[i].value);
    }
    free(a->params);
}

void scn_release(struct scn *sc)
{
    if (!sc)
        return;
    free(sc->file);
    free(sc->name);
    free(sc->description);
    free(sc->host);
    free(sc->domain);
    free(sc->dns_domain);
    free(sc->opt.shared_section);
    for (size_t i = 0; i < sc->nsessions; i++)
        free(sc->sessions[i].user);
    free(sc->sessions);
    free(sc->snapshots);
    for (size_t i = 0; i < sc->nregs; i++)
        reg_release(&sc->regs[i]);
    free(sc->regs);
    for (size_t i = 0; i < sc->nanomalies; i++)
        anomaly_release(&sc->anomalies[i]);
    free(sc->anomalies);
    free(sc->events);
    /* Zeroed, a second release (or a release after a failed load) is a no-op. */
    memset(sc, 0, sizeof(*sc));
}

static const char *const event_kinds[] = {
    [SCN_EV_LOCK] = "lock",
    [SCN_EV_UNLOCK] = "unlock",
    [SCN_EV_DISCONNECT] = "disconnect",
    [SCN_EV_RECONNECT] = "reconnect",
    [SCN_EV_SHUTDOWN] = "shutdown",
};

const char *scn_event_name(enum scn_event_kind k)
{
    return event_kinds[k];
}
