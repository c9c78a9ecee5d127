/*
 * scn: a scenario -- what the simulator is asked to boot. Loaded from YAML by
 * scn_load (libyaml event parser, located errors, hard limits), or built in
 * code by scn_init. Keys are documented in docs/scenario.md.
 *
 * Times in a scenario are offsets from boot_time in microseconds (wtime.h).
 */
#ifndef SMSS_SCN_H
#define SMSS_SCN_H

#include <stddef.h>
#include <stdint.h>

#include "../core/util.h"
#include "../snap/snap.h"

/* Limits (docs/limits.md). Past any of them the loader reports a located error. */
#define SCN_MAX_FILE_BYTES (4u << 20)
#define SCN_MAX_DEPTH 16
#define SCN_MAX_SESSIONS 1024 /* extra sessions besides 0 and 1 */
#define SCN_MAX_SNAPSHOTS 64
#define SCN_MAX_REGS 256
#define SCN_MAX_REG_ITEMS 4096 /* strings across all registry lists */
#define SCN_MAX_ANOMALIES 64
#define SCN_MAX_EVENTS 256 /* session events (lock, reconnect, shutdown, ...) */
/* A run with a shutdown ends this long after it: the event log has stopped
 * by then (OTRF: EventLog 6006 two seconds after the 1074). */
#define SCN_SHUTDOWN_TAIL (10 * WT_SEC)
#define SCN_MAX_PARAMS 16
#define SCN_MAX_STRING 4096         /* any scalar */
#define SCN_MAX_NAME 256            /* names, users, hosts */
#define SCN_MAX_TIME (366 * WT_DAY) /* simulated time after boot */
#define SCN_MAX_SVCHOSTS 400
#define SCN_SESSION_ID_MAX 65535

/* snapshot offset meaning "at the end of the simulation" */
#define SCN_AT_END INT64_MAX

/* The Windows versions: the rows of kb/oses.def, in their order (SCN_OS_x is
 * kb_oses[x]'s index). */
enum scn_os {
#define KB_OS(id, ...) SCN_OS_##id,
#include "../kb/oses.def"
#undef KB_OS
    SCN_OS_COUNT
};

enum scn_session_kind { SCN_SESS_CONSOLE, SCN_SESS_RDP };

struct scn_loc {
    int line, col; /* 1-based; 0 when built in code */
};

struct scn_session {
    int32_t id; /* 1 = the console session at boot; >= 2 extra */
    enum scn_session_kind kind;
    char *user;      /* "CORP\alice"; NULL = nobody logs on */
    int64_t connect; /* extra sessions: session creation; WT_NONE = derived from logon */
    int64_t logon;   /* credentials accepted, userinit starts; WT_NONE = no logon */
    int64_t logoff;  /* WT_NONE = stays logged on */
    struct scn_loc loc;
};

/* A registry override: `rel` is the scenario's name for the value
 * ("BootExecute", "SubSystems\Windows", "KnownDLLs\kernel32", "Winlogon\Shell"). */
/* What happens to a logged-on session, or to the machine, after boot
 * (docs/scenario.md, `events`): the lock screen, an RDP disconnect and
 * reconnect, the shutdown. */
enum scn_event_kind {
    SCN_EV_LOCK,
    SCN_EV_UNLOCK,
    SCN_EV_DISCONNECT,
    SCN_EV_RECONNECT,
    SCN_EV_SHUTDOWN
};

struct scn_event {
    enum scn_event_kind kind;
    int64_t at;      /* offset after boot */
    int32_t session; /* -1 for a shutdown */
    struct scn_loc loc, at_loc, session_loc;
};

struct scn_reg {
    char *rel;
    int is_delete; /* YAML null: the value is absent */
    int is_list;   /* YAML sequence -> REG_MULTI_SZ */
    char **data;
    uint32_t ndata;
    struct scn_loc loc;
};

struct scn_param {
    char *key, *value;
    struct scn_loc loc; /* of the value */
};

struct scn_anomaly {
    char *type; /* catalogue id, validated by the simulator */
    char *id;   /* label id; default "a<N>" */
    struct scn_param *params;
    size_t nparams;
    struct scn_loc loc;
    struct scn_loc type_loc;
};

/* Normal variants that look odd (hard negatives): never labelled. */
struct scn_options {
    int credential_guard;    /* -1 = OS profile default */
    int special_session;     /* master smss command line carries -SpecialSession */
    int win11_child_line;    /* -1 = profile default (on for win11) */
    int rdp_termsvcs_parent; /* RDP csrss/winlogon recorded with the termsvcs svchost as parent */
    int pid_reuse;           /* processes after boot may reuse exited pids (default 1) */
    char *shared_section;    /* tuned csrss SharedSection, e.g. "1024,20480,1024" */
    int svchosts;            /* number of svchost.exe at boot; -1 = profile default */
    int atbroker;            /* winlogon starts AtBroker.exe at each logon */
    int per_user_services;   /* per-user service hosts (-k UnistackSvcGroup) at each logon */
    int lsass_crash_report;  /* lsass starts WerFault.exe -u -p PID -s N (no dump asked) */
    int vendor_bootexecute;  /* a third-party BootExecute program (Citrix PvsVmBoot) */
    /* A folder window in its own explorer.exe after each logon: from
     * svchost -k DcomLaunch (/factory,{...} -Embedding), or from the
     * shell's Run dialog ("explorer.exe /separate"). */
    int explorer_factory, explorer_separate;
    /* The benign processes every real host has (docs/fidelity.md, point 15):
     * AtBroker and per-user services at logon, sihost/taskhostw/ctfmon/
     * RuntimeBroker, Windows 7 taskhost, Windows Update, Defender, a
     * third-party service. -1 = on (the default), 0 = off. */
    int noise;
};

struct scn {
    char *file; /* for messages; "<default>" for the embedded one */
    char *name, *description;
    uint64_t seed;
    enum scn_os os;
    char *host, *domain;
    char *dns_domain;  /* NULL, or the DNS domain: records name the host NAME.dns_domain */
    int64_t boot_time; /* absolute, us since epoch */
    int64_t duration;  /* simulation end offset; WT_NONE = derived */
    struct scn_options opt;
    struct scn_session *sessions; /* sessions[0] is session 1 (console) */
    size_t nsessions;
    int64_t *snapshots; /* offsets; SCN_AT_END = end */
    size_t nsnapshots;
    struct scn_reg *regs;
    size_t nregs;
    struct scn_anomaly *anomalies;
    size_t nanomalies;
    struct scn_event *events; /* in time order (the loader checks it) */
    size_t nevents;
    struct scn_loc seed_loc, os_loc;
};

/* A valid scenario with every default: a Windows 10 boot, console session 1
 * with no logon, one snapshot at the end. */
void scn_init(struct scn *sc);
void scn_release(struct scn *sc);

/* Load a scenario over sc (any previous contents are not freed). On error
 * returns -1, e holds "file:line:col: message" and sc is left zeroed, so
 * scn_release(sc) is always safe. */
int scn_load_file(struct scn *sc, const char *path, struct err *e);
int scn_load_mem(struct scn *sc, const char *name, const char *buf, size_t len, struct err *e);
/* The embedded default scenario (scenarios/default.yaml, compiled in). */
int scn_load_default(struct scn *sc, struct err *e);

const char *scn_os_name(enum scn_os os);           /* "win10" */
const char *scn_event_name(enum scn_event_kind k); /* "lock" */
int scn_os_parse(const char *s, enum scn_os *out);

#endif
