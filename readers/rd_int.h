/*
 * rd_int: what the readers share inside readers/. Every front end (EVTX,
 * event XML, NDJSON, Volatility, CIM) turns its records into the same small
 * events (process created, process exited, registry value set); the builder
 * (rd_build.c) collects them per host and source, drops duplicates, sorts
 * them by time, splits at each boot and builds one snapshot per part.
 */
#ifndef SMSS_RD_INT_H
#define SMSS_RD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../snap/snap.h"

/* Bounds on what one record may hold (a real Sysmon record is ~2 KB). */
#define RD_MAX_RECORD (1u << 20)
#define RD_MAX_KV 128
/* Element nesting in event XML: libxml2's own default limit, which its SAX
 * mode leaves to the caller (a real event nests about six levels). */
#define RD_MAX_XML_DEPTH 256
#define RD_MAX_LINE ((size_t)16 << 20)
/* Entries of one REG_MULTI_SZ read from a registry export (as rd_hive). */
#define RD_MAX_MULTI 1024u
#define RD_MAX_DOC ((size_t)256 << 20)
#define RD_MAX_EVENTS 20000000u
/* Memory the events of one input may hold while it is read (strings, the
 * event array and the dedup table): 2 GiB unless SMSSLAB_MAX_MEMORY says
 * otherwise ("512M", "8G"). About 2.9 M Sysmon process events fit in
 * 1.3 GB, so the default takes any single host's log; a larger input is
 * refused with both figures before the machine starts swapping. */
#define RD_MAX_BYTES_DEFAULT ((uint64_t)2 << 30)
#define RD_MAX_BYTES_ENV "SMSSLAB_MAX_MEMORY"
/* Parse SMSSLAB_MAX_MEMORY (unset = the default). 0, or -1 with e set. */
int rd_max_bytes(uint64_t *out, struct err *e);
#define RD_MAX_DEPTH 256

/* Where an event came from: groups never mix sources, because Sysmon and
 * Security describe the same processes twice with different attributes. */
enum rd_src { RD_SRC_SYSMON, RD_SRC_SECURITY, RD_SRC_PSLIST, RD_SRC_CIM, RD_SRC_SYSTEM, RD_SRC_N };

/* RD_EV_BOOT: the System log says the machine started (Kernel-General 12,
 * EventLog 6005); it splits every process source of its host. */
enum rd_kind { RD_EV_CREATE, RD_EV_EXIT, RD_EV_REG, RD_EV_BOOT };

struct rd_ev {
    uint8_t kind;    /* enum rd_kind */
    uint8_t src;     /* enum rd_src */
    uint8_t is_boot; /* smss.exe started by System (4): a boot starts here */
    uint8_t has_ppid;
    uint8_t unresolved; /* a boot record the forwarder could not fully render */
    uint32_t pid, ppid;
    int64_t t;      /* creation, exit or registry-set time; WT_NONE if unknown */
    int64_t exit_t; /* process lists carry the exit in the same row */
    int32_t session;
    int32_t prio;
    uint64_t logon_id;
    uint32_t fields; /* SNAP_F_* bits this record really carries */
    const char *host;
    const char *name, *image, *cmd, *user, *sid, *integ, *cwd, *guid, *pguid, *pimage;
    /* What the child's record says of its parent (Sysmon ParentCommandLine,
     * ParentUser): a parent whose own start is not in the log is built from
     * these ("seen as parent"). */
    const char *pcmd, *puser;
    const char *reg_key, *reg_name, *reg_val;
    uint8_t reg_type;    /* enum snap_reg_type */
    uint8_t reg_deleted; /* the value (or its key) was deleted */
    uint8_t reg_renamed; /* the key reg_key was renamed to reg_val (Sysmon 14) */
    uint32_t dword;
    struct snap_rec rec; /* the record it came from (0 = unknown) */
    uint64_t seq;        /* input order: keeps the sort stable */
};

void rd_ev_init(struct rd_ev *ev, enum rd_kind kind, enum rd_src src);

/* The collection of one input's events. */
struct rd_set;
struct rd_set *rd_set_new(const char *format);
void rd_set_free(struct rd_set *set);
/* Copy ev (and its strings) in, unless an identical event is already held.
 * Returns 0, or -1 when a bound is exceeded. */
int rd_set_add(struct rd_set *set, const struct rd_ev *ev, struct err *e);
/* The record the next rd_set_add calls come from (EventRecordID and/or
 * line), stamped on events that do not carry their own. */
void rd_set_at(struct rd_set *set, uint64_t record_id, uint64_t line);
/* Registry values read as state (a SYSTEM or SOFTWARE hive): copied in.
 * They join one snapshot of their host (rd_set_attach_state). 0, or -1
 * with e set when more than SNAP_MAX_REGS are held. */
int rd_set_add_state(struct rd_set *set, const char *key, const char *name, enum snap_reg_type type,
                     const char *const *data, uint32_t ndata, uint32_t dword, struct err *e);
/* The computer name a SYSTEM hive gives; -1 if another hive named another. */
int rd_set_state_host(struct rd_set *set, const char *host, struct err *e);
/* After rd_set_finish: the hives' values go to the latest boot of their
 * host (its first source), or form a snapshot of their own when no log
 * was given. -1 (e set, prefixed with what) when the logs hold other or
 * several hosts. Adds at most one snapshot: read rd_set_count after. */
int rd_set_attach_state(struct rd_set *set, const char *what, struct err *e);
size_t rd_set_count(const struct rd_set *set);
/* Does snapshot i hold the hives' values? */
int rd_set_has_state(const struct rd_set *set, size_t i);
/* Sort and split into snapshots; returns how many. */
size_t rd_set_finish(struct rd_set *set);
/* Build snapshot i (0-based, i < rd_set_finish()). */
int rd_set_snapshot(struct rd_set *set, size_t i, struct snap *s, struct err *e);

/* One Windows event record as the XML, EVTX and NXLog front ends see it:
 * System fields plus EventData values looked up by name. */
struct rd_rec {
    uint32_t event_id;
    int version;          /* -1 if unknown */
    const char *provider; /* "Microsoft-Windows-Sysmon", ... */
    const char *channel;
    const char *computer;
    int64_t time_created; /* UTC, WT_NONE if unknown */
    struct snap_rec rec;  /* EventRecordID and/or line of the record, 0 = unknown */
    const char *(*get)(const struct rd_rec *r, const char *name);
    const void *ctx;
};

/* Turn a Sysmon 1/5/12/13/14, Security 4688/4689/4657 or System-log boot
 * record (Kernel-General 12, EventLog 6005) into an event; other
 * records are ignored (returns 0). Returns -1 with e set on a bound error.
 * `where` prefixes messages ("file:line"). */
int rd_winevent(struct rd_set *set, const struct rd_rec *r, struct err *e);
/* Sysmon doubles every '%' of the strings it logs (csrss's
 * %%SystemRoot%%\system32\csrss.exe, EID 13 Details %%SystemRoot%%\...):
 * the value Windows holds has one. Returns v itself when it holds no "%%",
 * else its undoubled copy in sb (valid until sb changes). */
const char *rd_sysmon_unpercent(struct strbuf *sb, const char *v);
/* Is this event ID one rd_winevent uses? Lets EVTX skip XML for the rest. */
int rd_winevent_wanted(uint32_t event_id);

/* Numbers as Windows tools write them: decimal, or hex with "0x" and any
 * zero padding ("0x1a4", "0x00000000000001a4"). Returns 0 or -1. */
int rd_parse_num(const char *s, uint64_t max, uint64_t *out);
/* Times: ISO 8601 with Z, a numeric offset or none (UTC), Sysmon's
 * "YYYY-MM-DD hh:mm:ss.mmm", Volatility's "... UTC" and .NET's
 * "/Date(ms)/" (ConvertTo-Json in Windows PowerShell 5.1). */
int rd_parse_time(const char *s, int64_t *out);
/* Integrity level names from a mandatory label SID (S-1-16-16384 = System). */
const char *rd_integrity_from_sid(const char *sid);

/* Front ends: read the whole input into set. name is for messages. */
struct rd_src_file {
    const char *name; /* path for messages, "<stdin>" for "-" */
    const char *path;
    const unsigned char *head; /* the first bytes, already read for detection */
    size_t nhead, hpos;
    void *fp; /* FILE*, positioned after head */
};
/* Read from head, then from fp: what the format front ends consume. */
size_t rd_src_read(struct rd_src_file *f, void *buf, size_t n);
/* Read everything that is left (at most max bytes), NUL-terminated. */
int rd_src_slurp(struct rd_src_file *f, size_t max, char **out, size_t *len, struct err *e);
int rd_read_evtx(struct rd_set *set, const char *path, struct err *e);
/* A SYSTEM or SOFTWARE registry hive through libhivex (rd_hive.c). */
int rd_read_hive(struct rd_set *set, const char *path, struct err *e);
/* 1 SYSTEM (a Select key), 2 SOFTWARE (a Microsoft key), 3 another or an
 * unreadable hive. */
int rd_hive_kind(const char *path);
int rd_read_xml(struct rd_set *set, struct rd_src_file *f, struct err *e);
int rd_read_ndjson(struct rd_set *set, struct rd_src_file *f, int forced, struct err *e);
int rd_read_jsondoc(struct rd_set *set, struct rd_src_file *f, struct err *e);
int rd_read_vol3_csv(struct rd_set *set, struct rd_src_file *f, struct err *e);

/* Parse EVTX record XML (a memory string) with the same code as files. */
struct rd_xml;
struct rd_xml *rd_xml_new(void);
void rd_xml_free(struct rd_xml *x);
int rd_xml_record(struct rd_xml *x, struct rd_set *set, const char *buf, size_t len,
                  const char *where, struct err *e);

/* Shared JSON mapping: one parsed object of NXLog, ECS, Volatility or CIM. */
struct cJSON;
enum rd_json_kind { RD_J_UNKNOWN, RD_J_NXLOG, RD_J_ECS, RD_J_VOL3, RD_J_CIM, RD_J_NATIVE };
enum rd_json_kind rd_json_classify(const struct cJSON *o);
/* Add the events of one object of known kind; where = "file:line". */
int rd_json_object(struct rd_set *set, const struct cJSON *o, enum rd_json_kind k,
                   const char *where, struct err *e);

/* NXLog lines the simdjson fast path read and skipped (its EventID is one
 * no reader uses) since the program started: for tests. */
void rd_json_fast_stats(size_t *read, size_t *skipped);

#endif
