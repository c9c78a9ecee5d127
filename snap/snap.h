/*
 * snap: the process-table snapshot, smsslab's contract between modules. The
 * simulator produces it, real-data readers build it from logs, the checker
 * and the renderer consume it. Its JSON form is documented in
 * docs/snapshot.md and docs/snapshot.schema.json; bump SNAP_VERSION on any
 * incompatible change.
 *
 * Strings are borrowed: they live in the snapshot's arena or in the reader's
 * parse tree and stay valid until snap_reset/snap_release or the next
 * snap_reader_next call. NULL means "the source does not say".
 */
#ifndef SMSS_SNAP_H
#define SMSS_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/util.h"
#include "../core/wtime.h"

/* Version 2 added what event logs show and complete snapshots never needed:
 * processes seen only as a parent, per-process exit knowledge, timed and
 * deleted registry facts, and the records every fact rests on (evidence).
 * Readers still accept version 1 documents, which have none of these. */
#define SNAP_VERSION 2
#define SNAP_SCHEMA_RUN "smsslab.run/2"
#define SNAP_SCHEMA_SNAPSHOT "smsslab.snapshot/2"
#define SNAP_SCHEMA_RUN_V1 "smsslab.run/1"
#define SNAP_SCHEMA_SNAPSHOT_V1 "smsslab.snapshot/1"

/* Hard limits every producer and reader enforces (docs/limits.md). */
#define SNAP_MAX_PROCS 200000
#define SNAP_MAX_SESSIONS 4096
#define SNAP_MAX_REGS 4096
#define SNAP_MAX_STRING 32768

#define SNAP_NO_SESSION (-1)
#define SNAP_NO_PRIORITY (-1)

/* Which attributes a source records. A rule whose inputs are missing is "not
 * evaluated", never a finding. The simulator records everything. */
enum snap_field {
    SNAP_F_IMAGE = 1u << 0,
    SNAP_F_CMDLINE = 1u << 1,
    SNAP_F_USER = 1u << 2,
    SNAP_F_SESSION = 1u << 3,
    SNAP_F_PRIORITY = 1u << 4,
    SNAP_F_EXIT = 1u << 5,     /* process exits are recorded */
    SNAP_F_REGISTRY = 1u << 6, /* Session Manager / Winlogon values present */
    SNAP_F_SESSIONS = 1u << 7, /* the session list (logons) is known */
    SNAP_F_INTEGRITY = 1u << 8,
    SNAP_F_BOOT = 1u << 9, /* the snapshot covers the boot itself */
    SNAP_F_ALL = (1u << 10) - 1,
};
/* Names used in JSON "fields": index = bit number. */
extern const char *const snap_field_names[10];

/* Where a fact was read: the event record it rests on. id is the record's
 * EventRecordID (EVTX, event XML, ECS winlog.record_id), line its 1-based
 * line in the input file (XML, NDJSON, CSV); 0 = unknown. */
struct snap_rec {
    uint64_t id, line;
};

struct snap_proc {
    uint32_t pid, ppid;
    int64_t create_time;        /* WT_NONE if unknown */
    int64_t exit_time;          /* WT_NONE while alive (at the snapshot time) */
    int64_t parent_create_time; /* WT_NONE if unknown: tells a dead parent from a reused pid */
    int32_t session;            /* SNAP_NO_SESSION for none/unknown */
    int32_t base_priority;      /* SNAP_NO_PRIORITY if unknown */
    uint64_t logon_id;          /* 0 if unknown; SYSTEM is 0x3e7 */
    const char *name;           /* "smss.exe"; "System", "Registry" for minimal processes */
    const char *image;          /* full path, NULL for minimal processes */
    const char *command_line;
    const char *user;      /* "NT AUTHORITY\SYSTEM" */
    const char *sid;       /* "S-1-5-18" */
    const char *integrity; /* "System", "High", "Medium", "Low", "Untrusted" */
    const char *cwd;
    const char *guid; /* Sysmon ProcessGuid where the source has one */
    const char *parent_guid;
    const char *anomaly; /* ground-truth label id (simulated data), else NULL */
    /* Known only from a child's event (Sysmon ParentImage/ParentUser,
     * Security 4688 ParentProcessName): its own start is not in the source,
     * so create_time is unknown; rec is the child's record. */
    uint8_t seen_as_parent;
    /* The source records exits, but not for this process's image (many
     * Sysmon configurations log the exits of a few programs only): alive
     * only means "no exit seen". */
    uint8_t exit_unrecorded;
    struct snap_rec rec;
};

struct snap_session {
    int32_t id;
    const char *kind;    /* "services" (0), "console", "rdp" */
    const char *user;    /* DOMAIN\user who logged on, NULL if none */
    int64_t create_time; /* when smss created it */
    int64_t logon_time;  /* WT_NONE if nobody logged on */
    int64_t end_time;    /* WT_NONE while it exists */
};

enum snap_reg_type { SNAP_REG_SZ, SNAP_REG_EXPAND_SZ, SNAP_REG_MULTI_SZ, SNAP_REG_DWORD };

struct snap_reg {
    const char *key;  /* full key path, e.g. HKLM\SYSTEM\...\Session Manager\SubSystems */
    const char *name; /* value name; "" for the default value */
    enum snap_reg_type type;
    const char *const *data; /* strings (MULTI_SZ: one per entry) */
    uint32_t ndata;
    uint32_t dword;
    const char *anomaly;
    /* From a change event (Sysmon 12/13/14, Security 4657): when it was
     * written, by which program, and whether it was deleted. WT_NONE / NULL /
     * 0 for a value read as state (the simulator, a hive). */
    int64_t time;
    const char *writer;
    uint8_t deleted;
    struct snap_rec rec;
};

/* Ground truth for one injected anomaly. */
struct snap_label {
    const char *id;           /* unique in the run, e.g. "a1" */
    const char *type;         /* catalogue id, e.g. "smss-wrong-parent" */
    const char *technique;    /* ATT&CK id */
    const char *const *rules; /* checker rule ids expected to fire */
    uint32_t nrules;
    uint32_t pid; /* 0 when the target is a registry value */
    int64_t create_time;
    const char *reg_key, *reg_name;
    const char *description;
};

struct snap {
    const char *source;   /* "smsslab-sim", "sysmon-evtx", ... */
    const char *file;     /* the input it was read from, NULL if simulated */
    const char *scenario; /* scenario name if simulated */
    uint64_t seed;
    const char *host, *domain, *os;
    int64_t boot_time; /* WT_NONE if unknown */
    int64_t at;        /* the snapshot time */
    uint32_t fields;   /* enum snap_field bits */
    struct snap_proc *procs;
    size_t nprocs, cap_procs;
    struct snap_session *sessions;
    size_t nsessions, cap_sessions;
    struct snap_reg *regs;
    size_t nregs, cap_regs;
    struct snap_label *labels;
    size_t nlabels, cap_labels;
    /* Sorted (pid, create_time) index for parent lookups; built lazily. */
    uint32_t *index;
    size_t nindex;
    struct arena arena;
};

void snap_init(struct snap *s);
/* Forget the contents, keep allocations for reuse. */
void snap_reset(struct snap *s);
void snap_release(struct snap *s);

/* Append records with every field set to "unknown"; returned pointers stay valid
 * until the next append of the same kind. */
struct snap_proc *snap_add_proc(struct snap *s);
struct snap_session *snap_add_session(struct snap *s);
struct snap_reg *snap_add_reg(struct snap *s);
struct snap_label *snap_add_label(struct snap *s);
/* Copy a string into the snapshot's arena (NULL stays NULL). */
const char *snap_str(struct snap *s, const char *str);

int snap_proc_alive(const struct snap_proc *p);
/* The basename of image, or name. Never NULL (may be ""). */
const char *snap_proc_basename(const struct snap_proc *p);
/* A logon id as a snapshot writes it ("0x3e7": 0x, then hex digits, at
 * most 64 bits, as strtoull reads them): 0 with *out, -1 for anything else.
 * Both JSON readers take it this way. */
int snap_parse_logon_id(const char *s, uint64_t *out);

/* The recorded parent of p: the process with pid p->ppid whose creation time
 * matches p->parent_create_time, or else the latest one created before p
 * (PID reuse: a process created after the child cannot be its parent).
 * Returns NULL when the parent is not in the snapshot. */
const struct snap_proc *snap_parent(struct snap *s, const struct snap_proc *p);
/* Is p's parent alive at p's snapshot time? (NULL parent = not alive) */
int snap_parent_alive(struct snap *s, const struct snap_proc *p);
/* Session record by id, or NULL. */
const struct snap_session *snap_session(const struct snap *s, int32_t id);
/* Registry value by key and name (ASCII case-insensitive), or NULL. A
 * deleted value is returned too: callers check r->deleted. */
const struct snap_reg *snap_reg_find(const struct snap *s, const char *key, const char *name);
/* A process's index in procs, by pid and creation time; -1 if absent. */
long snap_find_proc(struct snap *s, uint32_t pid, int64_t create_time);

/* Write one standalone snapshot document (schema smsslab.snapshot/2) as one
 * line of compact JSON followed by '\n'. */
void snap_write_json(struct strbuf *sb, const struct snap *s);
/* The pieces, for writers of bigger documents (the simulator's run output). */
void snap_write_proc(struct strbuf *sb, const struct snap_proc *p);
/* snap_write_proc in three parts -- everything up to create_time, the exit
 * fields, the rest -- so a writer of many snapshots of one run can reuse
 * the parts that do not change between them. */
void snap_write_proc_head(struct strbuf *sb, const struct snap_proc *p);
void snap_write_proc_exit(struct strbuf *sb, int64_t exit_time);
void snap_write_proc_tail(struct strbuf *sb, const struct snap_proc *p);
void snap_write_session(struct strbuf *sb, const struct snap_session *ss);
void snap_write_reg(struct strbuf *sb, const struct snap_reg *r);
void snap_write_label(struct strbuf *sb, const struct snap_label *l);
void snap_write_fields(struct strbuf *sb, uint32_t fields);

/* Reading: a file ("-" = stdin) holding one or more JSON documents, each a run
 * document (many snapshots) or a snapshot document, concatenated or one per
 * line. Memory is bounded by the largest document, not by the file. */
struct snap_reader;
struct snap_reader *snap_reader_open(const char *path, struct err *e);
/* Give back bytes already read from the reader's stream (to sniff its format)
 * so they are parsed first; before the first snap_reader_next only. */
void snap_reader_unread(struct snap_reader *r, const void *buf, size_t n);
/* Reads from a memory buffer (not copied; must outlive the reader). */
struct snap_reader *snap_reader_open_mem(const char *name, const char *buf, size_t len);
/* Fill *s with the next snapshot. Returns 1, 0 at the end, -1 on error (e
 * holds "file:line:col: message"). *s is reset first. */
int snap_reader_next(struct snap_reader *r, struct snap *s, struct err *e);
/* How many documents the simdjson fast path read (snap/sjson.h). */
size_t snap_reader_fast_docs(const struct snap_reader *r);
/* Index of the document the last snapshot came from (0-based). */
size_t snap_reader_doc(const struct snap_reader *r);
void snap_reader_close(struct snap_reader *r);

/* Parse JSON with cJSON, its nodes and strings taken from `mem` (reset
 * first) instead of one malloc and free each: the tree goes with the next
 * reset. At most SNAP_JSON_BUDGET bytes (cJSON needs ~15x the text); past it
 * the parse returns NULL with *over_budget set. cJSON_Delete on such a tree
 * is harmless (a no-op); other cJSON users keep plain malloc/free. end and
 * require_nul as in cJSON_ParseWithLengthOpts. */
#define SNAP_JSON_BUDGET ((size_t)1 << 30)
/* Tests only: a smaller budget (0 restores SNAP_JSON_BUDGET). */
void snap_json_set_budget(size_t bytes);
/* The budget in bytes, and in words for messages: "1 GiB". */
size_t snap_json_budget(void);
const char *snap_json_budget_text(void);
struct cJSON;
struct cJSON *snap_json_parse(struct arena *mem, const char *s, size_t n, const char **end,
                              int require_nul, int *over_budget);

#endif
