/*
 * corpus: labelled test data for other detectors, at scale. Sample i of a
 * corpus is a randomised boot (OS, names, sessions, timing, hard negatives,
 * anomalies drawn at an exact integer rate) whose seed depends only on the
 * corpus seed and i, so any sharding gives the same bytes. Samples are
 * written in the formats detectors read (native run JSON, Sysmon XML, ECS
 * NDJSON, a pslist CSV, Sysmon .evtx), grouped many to a file, with a manifest of ground
 * truth; corpus_score measures a detector against that truth.
 * Layout and schemas: docs/corpus.md.
 */
#ifndef SMSS_CORPUS_H
#define SMSS_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/util.h"
#include "../sim/scn.h"
#include "../sim/sim.h"

enum corpus_format {
    CORPUS_NATIVE = 1u << 0,
    CORPUS_SYSMON = 1u << 1,
    CORPUS_ECS = 1u << 2,
    CORPUS_CSV = 1u << 3,
    CORPUS_EVTX = 1u << 4,
    CORPUS_REGISTRY = 1u << 5,  /* the registry values, as a registry export's CSV */
    CORPUS_ALL = (1u << 6) - 1, /* "all" and the default: the formats above */
    CORPUS_HIVE = 1u << 6,      /* SYSTEM and SOFTWARE regf hives, a folder per sample */
    CORPUS_SECXML = 1u << 7,    /* Security 4688/4689, event XML */
    CORPUS_SECEVTX = 1u << 8,   /* Security 4688/4689, .evtx */
};
#define CORPUS_NFORMATS 9
/* "native", "sysmon", "ecs", "csv", "evtx", "registry", "hive", "security-xml",
 * "security-evtx": folder names too. */
const char *corpus_format_name(unsigned bit_index);
const char *corpus_format_ext(unsigned bit_index);

#define CORPUS_MAX_N 1000000000000ULL
#define CORPUS_PPM 1000000u

struct corpus_opts {
    uint64_t n, seed;
    uint64_t shard, nshards;  /* this run writes the part files f with f % nshards == shard */
    unsigned formats;         /* enum corpus_format bits */
    uint32_t rate_ppm;        /* anomaly rate in parts per million */
    const char *const *types; /* anomaly types to draw from; NULL = the whole catalogue */
    size_t ntypes;
    uint64_t per_file; /* samples per part file */
    int resume;        /* keep part files that already exist */
    const char *dir;
    /* Called after each part file with samples done so far (of this shard). */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
};

struct corpus_stats {
    uint64_t samples, parts, parts_skipped, anomalies;
    uint64_t bytes[CORPUS_NFORMATS + 1]; /* per format, then the manifest */
    int manifest_complete;               /* DIR/manifest.jsonl was assembled */
    uint64_t stale_removed;              /* --resume: temporary files of killed runs removed */
};

int corpus_parse_formats(const char *s, unsigned *out, struct err *e);
/* "0.5", "1", "0", "0.000001", "25%": exact, into parts per million. */
int corpus_parse_rate(const char *s, uint32_t *ppm, struct err *e);
/* "K/M" with 0 <= K < M. */
int corpus_parse_shard(const char *s, uint64_t *k, uint64_t *m, struct err *e);

/* Generate (this shard of) the corpus into o->dir. */
int corpus_run(const struct corpus_opts *o, struct corpus_stats *st, struct err *e);

/* ---- one sample: used by corpus_run, the scorer and the tests ------------------ */

uint64_t corpus_sample_seed(uint64_t corpus_seed, uint64_t index);
/* Fill sc (scn_init'ed by the caller's scn_release/scn_init cycle: this
 * function calls scn_init itself) with sample `index`'s randomised boot. */
void corpus_gen_scenario(struct scn *sc, uint64_t corpus_seed, uint64_t index, uint32_t rate_ppm,
                         const char *const *types, size_t ntypes);

/* Derived per-sample data (parents, Sysmon record plan), reused across samples. */
struct corpus_sample;
struct corpus_sample *corpus_sample_new(void);
void corpus_sample_free(struct corpus_sample *cs);
/* Prepare the writers for a simulated sample (sm ran sc). */
void corpus_sample_prepare(struct corpus_sample *cs, const struct scn *sc, const struct sim *sm,
                           uint64_t index);

/* What the sample was made from (for the writers outside sample.c). */
const struct scn *corpus_sample_scn(const struct corpus_sample *cs);
/* The Computer its records name: the host, or host.dns_domain on a domain member. */
const char *corpus_sample_computer(const struct corpus_sample *cs);
const struct sim *corpus_sample_sim(const struct corpus_sample *cs);
uint64_t corpus_sample_index(const struct corpus_sample *cs);
/* Leave the registry records (Sysmon 13) out of every format written after
 * this call: a lab's student copy, where they would exist only for the
 * planted value. The other records keep their ids and times. */
void corpus_sample_drop_registry(struct corpus_sample *cs);

/* The formats, appended to sb. Each ends with a newline. */
void corpus_write_native(struct corpus_sample *cs, struct strbuf *sb);
/* One <Event> element per line (wevtutil qe /f:xml style); returns records written. */
size_t corpus_write_sysmon(struct corpus_sample *cs, struct strbuf *sb);
/* One ECS document per line; returns documents written. */
size_t corpus_write_ecs(struct corpus_sample *cs, struct strbuf *sb);
/* CSV rows (no header), one per process per snapshot; returns rows written. */
size_t corpus_write_csv(struct corpus_sample *cs, struct strbuf *sb);
extern const char corpus_csv_header[];
/* The registry values the rules read as smss finds them at boot, one CSV row
 * each (no header), as a registry export lists them; returns rows written. */
size_t corpus_write_registry(struct corpus_sample *cs, struct strbuf *sb);
extern const char corpus_registry_header[];

/* Where a sample lives in one format's part file (1-based line, line count;
 * for evtx the first record number in the file and the record count, and
 * the first and last EventRecordID). */
struct corpus_loc {
    const char *file;
    uint64_t line, lines;
    uint64_t first_id, last_id;
};
/* The Sysmon records of corpus_write_sysmon (the same EventRecordIDs and
 * values) as .evtx records through w; fills loc's line (first record
 * number), lines, first_id and last_id. 0 or -1 with e set. */
struct evtxw;
int corpus_write_evtx(struct corpus_sample *cs, struct evtxw *w, struct corpus_loc *loc,
                      struct err *e);
/* The System block of every record the corpus writes as .evtx, as Windows
 * stores it (one template, the Computer name literal, optional
 * substitutions numbered as in real records) and EventData as a BinXml
 * value: the template for host, and its substitution indexes. */
struct evtxw_tpl;
struct evtxw_vals;
void corpus_evtx_system_tpl(struct evtxw_tpl *t, const char *host);
enum corpus_sys_value {
    SV_LEVEL,
    SV_OPCODE,
    SV_TASK,
    SV_EVENTID,
    SV_QUALIFIERS,
    SV_KEYWORDS,
    SV_TIME,
    SV_ACTIVITY,
    SV_PID,
    SV_TID,
    SV_RECORDID,
    SV_VERSION,
    SV_USERID,
    SV_RELATED,
    SV_PROVIDER,
    SV_GUID,
    SV_CHANNEL,
    SV_EVENTDATA,
    SV_COUNT
};

/* The System block of a record (provider, event, time, ids, channel), one
 * description for the XML and the .evtx forms and for every channel. */
struct corpus_sys {
    const char *provider, *guid_str, *channel, *user_sid; /* user_sid NULL: <Security/> */
    const uint8_t *guid;
    uint16_t eid, task;
    uint8_t version, level, opcode;
    uint64_t keywords;
    uint32_t pid, tid;
};
/* The XML form from <Event ...> to <EventData>: t with its 100 ns digit. */
void corpus_xml_system(struct strbuf *sb, const struct corpus_sys *h, int64_t t, unsigned ns100,
                       uint64_t rid, const char *computer);
/* The values of corpus_evtx_system_tpl's slots; the caller sets SV_EVENTDATA. */
void corpus_evtx_system_vals(struct evtxw_vals *v, const struct corpus_sys *h, uint64_t filetime,
                             uint64_t rid);

/* ---- Security 4688/4689 (security.c) ---------------------------------------------- */

/* The sample's process starts and exits as the Security log records them,
 * one <Event> per line; fills loc's lines and first/last EventRecordID. */
void corpus_write_security_xml(struct corpus_sample *cs, struct strbuf *sb, struct corpus_loc *loc);
/* The same records through w; fills loc as corpus_write_evtx does. */
int corpus_write_security_evtx(struct corpus_sample *cs, struct evtxw *w, struct corpus_loc *loc,
                               struct err *e);
/* The EventRecordIDs of process proc's 4688 and 4689 (ids[0], ids[1]);
 * returns how many it has. */
int corpus_security_record_ids(struct corpus_sample *cs, long proc, uint64_t ids[2]);

/* ---- registry hives (hive.c) ------------------------------------------------------ */

/* The smallest valid regf hive: a base block and one hive bin with a root
 * key and its security record, stamped with filetime (100 ns since 1601)
 * and name (the base block's file name, ASCII). libhivex adds the rest. */
#define CORPUS_REGF_EMPTY 8192
void corpus_regf_empty(uint8_t out[CORPUS_REGF_EMPTY], uint64_t filetime, const char *name);
/* The base block's checksum: XOR of its first 127 little-endian words. */
uint32_t corpus_regf_checksum(const uint8_t *base_block);
struct snap_reg;
struct corpus_hive_in {
    const struct snap_reg *regs; /* values under HKLM\SYSTEM\CurrentControlSet or HKLM\SOFTWARE */
    size_t nregs;
    const char *host; /* SYSTEM's ComputerName, or NULL */
    uint64_t filetime;
};
/* Write SYSTEM (system != 0: Select, ControlSet001, ComputerName) or
 * SOFTWARE to path through libhivex. 0, or -1 with e set. */
int corpus_write_hive(const struct corpus_hive_in *in, int system, const char *path, struct err *e);
/* The sample's SYSTEM and SOFTWARE hives into folder dir (which exists):
 * the registry as smss finds it at boot, as corpus_write_registry lists it. */
int corpus_write_sample_hives(struct corpus_sample *cs, const char *dir, struct err *e);

/* The manifest line for the sample: parameters, labels with every record
 * they touched, and where the sample lives in each written format. */
void corpus_write_manifest(struct corpus_sample *cs, struct strbuf *sb, unsigned formats,
                           const struct corpus_loc loc[CORPUS_NFORMATS]);

/* Escaping, exposed for the tests: XML text/attribute content (one line:
 * newlines become character references; characters XML 1.0 forbids and
 * invalid UTF-8 become U+FFFD) and an RFC 4180 CSV field. */
void corpus_xml_escape(struct strbuf *sb, const char *s);
void corpus_csv_field(struct strbuf *sb, const char *s);
/* CommandLineToArgvW splitting, as winlogbeat fills process.args. Calls
 * fn for each argument (not NUL-terminated). */
void corpus_split_args(const char *cmd, void (*fn)(void *ctx, const char *a, size_t n), void *ctx);

/* ---- scoring --------------------------------------------------------------------- */

struct corpus_truth;
/* Load DIR/manifest.jsonl, or DIR/manifest/part-*.jsonl when it is absent. */
struct corpus_truth *corpus_truth_load(const char *dir, struct err *e);
void corpus_truth_free(struct corpus_truth *t);

struct corpus_score;
/* Starts the truth's hit counts afresh: one truth scores one detector at a time. */
struct corpus_score *corpus_score_new(struct corpus_truth *t);
void corpus_score_free(struct corpus_score *sc);
/* Add detections from a JSONL file ("-" = stdin): our documented detection
 * lines or smsslab check --format json lines. Returns 0 or -1 (e located). */
int corpus_score_add_file(struct corpus_score *sc, const char *path, struct err *e);
/* Add one detection line (for tests); lineno for messages. */
int corpus_score_add_line(struct corpus_score *sc, const char *name, uint64_t lineno,
                          const char *line, size_t len, struct err *e);
/* Run the built-in checker on every sample's native run document. */
int corpus_score_run_checker(struct corpus_score *sc, const char *dir, struct err *e);

struct corpus_result {
    uint64_t labels, detected, alerts, tp, fp, duplicates, unmatched_samples;
    double precision, recall, f1;
};
void corpus_score_result(const struct corpus_score *sc, struct corpus_result *r);
/* Reports: a human table (missed and false alerts listed, at most max_list
 * each) or one JSON document. */
void corpus_score_report(const struct corpus_score *sc, struct strbuf *sb, int json,
                         size_t max_list);

#endif
