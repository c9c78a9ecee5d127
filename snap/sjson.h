/*
 * sjson: the two hot JSON jobs on simdjson's On-Demand API (C++, behind this
 * C interface; all simdjson use is in sjson.cpp): smsslab run and snapshot
 * documents written one per line, and NXLog NDJSON lines. Both parse
 * straight into what their callers keep and skip what no rule reads (a run
 * document's "events", NXLog lines whose EventID no reader uses).
 *
 * The fast path only ever accepts: anything it does not take as it is --
 * invalid JSON, a value of the wrong type, a limit reached, a document over
 * several lines -- is left to the cJSON readers, which say where and why as
 * they always have (an error is not a hot path). What the fast path skips
 * (the "events" array, unused keys and lines) is not validated beyond
 * simdjson's structural pass: a bad literal there is not an error.
 */
#ifndef SMSS_SJSON_H
#define SMSS_SJSON_H

#include <stddef.h>
#include <stdint.h>

#include "snap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* simdjson reads up to this many bytes past the end of its input: callers
 * that can leave them readable after their buffer avoid a copy. */
#define SJSON_PADDING 64

/* simdjson's memory per input byte (structural indexes and string buffer),
 * rounded up: the fast path takes a text only while len * SJSON_BYTES_PER_BYTE
 * stays within the JSON memory budget (snap_json_budget). */
#define SJSON_BYTES_PER_BYTE 7

struct sjson;
/* A reader, or NULL when the fast path is off: the CPU lacks what sjson.cpp
 * was built for, SMSSLAB_SIMDJSON=0 is set (everything then goes through
 * cJSON, for comparing the two), or snap_json_set_fast(0) (tests). */
struct sjson *sjson_open(void);
void snap_json_set_fast(int on);
struct sjson *sjson_new(void); /* sjson_open without the checks */
void sjson_free(struct sjson *j);

/* ---- run and snapshot documents ---------------------------------------- */

/* One snapshot of a document: its processes, registry values and own
 * session list are the ranges [x0, x0 + nx) of the document's pool. */
struct sjson_snap {
    int64_t at; /* its own "at", if has_at */
    int has_at;
    int own_sessions; /* it carried its own "sessions" array */
    size_t proc0, nprocs, reg0, nregs, sess0, nsess;
};

/* A whole document read into the model: the header in hdr (scalars, the
 * document's sessions and labels), the snapshot bodies in pool. Every
 * string is in strs, where simdjson unescaped it once (a document's strings
 * never need more room than its text); arrays of strings are in hdr's
 * arena. Valid until the next sjson_read_doc into it. */
struct sjson_doc {
    struct snap hdr, pool;
    int single; /* a snapshot document: one body in snaps[0] */
    struct sjson_snap *snaps;
    size_t nsnaps, cap_snaps;
    char *strs;
    size_t cap_strs;
};
void sjson_doc_init(struct sjson_doc *d);
void sjson_doc_release(struct sjson_doc *d);

/* Read the JSON text buf[0, len) as one smsslab run or snapshot document
 * (schema first) into d. cap: bytes readable from buf (>= len); with fewer
 * than len + SJSON_PADDING the text is copied. Returns 1 when taken, 0 when
 * the cJSON reader must read it (see above). */
int sjson_read_doc(struct sjson *j, const char *buf, size_t len, size_t cap, struct sjson_doc *d);

/* A document's "seed" read as a double (both readers): 2^64, the largest
 * seed 2^64 - 1 rounded, gives that seed back. */
uint64_t snap_seed_of(double d);

/* ---- NXLog NDJSON ------------------------------------------------------ */

enum sjson_type { SJSON_NULL, SJSON_STRING, SJSON_NUMBER, SJSON_BOOL, SJSON_OTHER };

/* A top-level member of an NXLog line. s/slen is the unescaped string
 * (not NUL-terminated; valid until the next sjson call); cstr is a NUL-
 * terminated copy or a number's text, made on first use by the caller. */
struct sjson_kv {
    const char *key;
    size_t klen;
    enum sjson_type type;
    const char *s;
    size_t slen;
    double d;
    const char *cstr;
};

enum sjson_line {
    SJSON_LINE_OTHER,  /* not a well-formed NXLog object: the cJSON reader's */
    SJSON_LINE_NXLOG,  /* an NXLog object; *eventid is its EventID member */
    SJSON_LINE_NOTMINE /* never returned by sjson_line_fields */
};

/* First look at an NDJSON line buf[0, len) (readable to cap): walks the
 * top-level keys only, as rd_json_classify does, without reading values
 * but EventID's. For an NXLog line, *eventid is its EventID member. */
enum sjson_line sjson_line_kind(struct sjson *j, const char *buf, size_t len, size_t cap,
                                struct sjson_kv *eventid);
/* Then, for a line the caller wants: every top-level member, in order.
 * Returns 0, or -1 when the line is not valid after all (read it with
 * cJSON). */
int sjson_line_fields(struct sjson *j, struct sjson_kv **kv, size_t *n);

#ifdef __cplusplus
}
#endif

#endif
