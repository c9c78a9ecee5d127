/*
 * snap_read: the snapshot JSON reader, on cJSON (the fastest packaged C JSON
 * parser measured here, ~250k Sysmon-like records/s). Documents are parsed
 * one at a time from a sliding buffer, so memory is bounded by the largest
 * document and never by the number of documents in a stream.
 *
 * Incomplete documents are detected by cJSON stopping at the end of the
 * buffer; we then read at least as much again as we hold (geometric growth
 * keeps re-parsing linear overall) and retry.
 */
#include "snap.h"

#include "sjson.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (1u << 20)
#define MAX_DOC_BYTES ((size_t)256 << 20)

struct snap_reader {
    const char *name;
    FILE *fp; /* NULL for memory input */
    int own_fp;
    char *buf;              /* window of the input */
    size_t start, len, cap; /* unconsumed data is buf[start, len) */
    const char *mem;
    int eof;
    /* Position of buf[start] in the whole input, for line:col messages. */
    size_t line, col;
    size_t ndocs;
    cJSON *doc; /* current document, allocated in docmem */
    struct arena docmem;
    int over_budget;    /* the last parse_doc stopped at the budget */
    const cJSON *snaps; /* its "snapshots" array, or NULL for a snapshot document */
    const cJSON *next_snap;
    long next_idx;      /* next_snap's index in the array, for messages */
    int single_pending; /* a snapshot document not yet returned */
    /* The fast path (sjson.h): the current document when simdjson read it. */
    struct sjson *sj;
    struct sjson_doc fast;
    int fast_on;      /* fast holds the current document */
    size_t fast_docs; /* documents the fast path read */
    size_t slow_line; /* the fast path failed on this line: cJSON reads the rest of it */
    size_t fast_next; /* its next snapshot */
};

struct snap_reader *snap_reader_open(const char *path, struct err *e)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) {
        err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct snap_reader *r = xcalloc(1, sizeof(*r));
    r->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    r->fp = fp;
    r->own_fp = fp != stdin;
    r->line = 1;
    r->col = 1;
    return r;
}

/* The window keeps SJSON_PADDING bytes after its data readable (and
 * defined) so simdjson reads it in place. */
static void pad(struct snap_reader *r)
{
    memset(r->buf + r->len, 0, SJSON_PADDING + 1);
}

void snap_reader_unread(struct snap_reader *r, const void *buf, size_t n)
{
    XGROW(r->buf, r->cap, r->len + n + 1 + SJSON_PADDING);
    memmove(r->buf + n, r->buf, r->len);
    memcpy(r->buf, buf, n);
    r->len += n;
    pad(r);
}

struct snap_reader *snap_reader_open_mem(const char *name, const char *buf, size_t len)
{
    struct snap_reader *r = xcalloc(1, sizeof(*r));
    r->name = name;
    r->mem = buf;
    r->len = len;
    r->eof = 1;
    r->line = 1;
    r->col = 1;
    return r;
}

size_t snap_reader_fast_docs(const struct snap_reader *r)
{
    return r->fast_docs;
}

size_t snap_reader_doc(const struct snap_reader *r)
{
    return r->ndocs ? r->ndocs - 1 : 0;
}

void snap_reader_close(struct snap_reader *r)
{
    if (!r)
        return;
    if (r->own_fp)
        fclose(r->fp);
    sjson_free(r->sj);
    sjson_doc_release(&r->fast);
    arena_release(&r->docmem);
    free(r->buf);
    free(r);
}

/* cJSON allocates every node and string with malloc; on our documents that
 * was a third of the checker's time. While snap_json_parse runs (this
 * reader, and the NDJSON and JSON host-data readers), cJSON's allocations
 * come from the caller's arena instead, and the whole tree goes at once with
 * the next reset. Every block carries a tag so that direct cJSON calls
 * elsewhere keep plain malloc/free through the same global hooks. The hooks
 * are installed before main(), before any cJSON object exists, so no
 * untagged block can ever reach hook_free. */
#define TAG 16
static struct arena *cjson_arena;
static int cjson_over_budget;
static size_t cjson_budget = SNAP_JSON_BUDGET;

void snap_json_set_budget(size_t bytes)
{
    cjson_budget = bytes ? bytes : SNAP_JSON_BUDGET;
}

uint64_t snap_seed_of(double d)
{
    return d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
}

size_t snap_json_budget(void)
{
    return cjson_budget;
}

const char *snap_json_budget_text(void)
{
    static char text[32];
    if (cjson_budget % ((size_t)1 << 30) == 0)
        snprintf(text, sizeof(text), "%zu GiB", cjson_budget >> 30);
    else if (cjson_budget % ((size_t)1 << 20) == 0)
        snprintf(text, sizeof(text), "%zu MiB", cjson_budget >> 20);
    else
        snprintf(text, sizeof(text), "%zu bytes", cjson_budget);
    return text;
}

static void *hook_malloc(size_t n)
{
    unsigned char *p;
    if (cjson_arena) {
        /* Returning NULL makes cJSON give up cleanly: memory stays bounded
         * whatever the document holds. */
        if (cjson_arena->total + n > cjson_budget) {
            cjson_over_budget = 1;
            return NULL;
        }
        p = arena_alloc(cjson_arena, n + TAG);
        p[0] = 1;
    } else {
        p = malloc(n + TAG);
        if (!p)
            return NULL;
        p[0] = 0;
    }
    return p + TAG;
}

static void hook_free(void *q)
{
    if (!q)
        return;
    unsigned char *p = (unsigned char *)q - TAG;
    if (p[0] == 0)
        free(p);
}

__attribute__((constructor)) static void install_cjson_hooks(void)
{
    cJSON_Hooks h = {hook_malloc, hook_free};
    cJSON_InitHooks(&h);
}

cJSON *snap_json_parse(struct arena *mem, const char *s, size_t n, const char **end,
                       int require_nul, int *over_budget)
{
    arena_reset(mem);
    cjson_over_budget = 0;
    cjson_arena = mem;
    cJSON *doc = cJSON_ParseWithLengthOpts(s, n, end, require_nul);
    cjson_arena = NULL;
    *over_budget = cjson_over_budget;
    return doc;
}

static int fast_allowed = 1;

void snap_json_set_fast(int on)
{
    fast_allowed = on;
}

struct sjson *sjson_open(void)
{
    if (!fast_allowed)
        return NULL;
    const char *env = getenv("SMSSLAB_SIMDJSON");
    if (env && !strcmp(env, "0"))
        return NULL;
#if defined(__x86_64__)
    /* sjson.cpp is built for AVX2 (Makefile): asked here, in code built
     * for any x86-64, before any of it runs. */
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi2") ||
        !__builtin_cpu_supports("pclmul") || !__builtin_cpu_supports("popcnt"))
        return NULL;
#endif
    return sjson_new();
}

static cJSON *parse_doc(struct snap_reader *r, const char *begin, size_t n, const char **end)
{
    return snap_json_parse(&r->docmem, begin, n, end, 0, &r->over_budget);
}

static const char *data(const struct snap_reader *r)
{
    return r->mem ? r->mem : r->buf;
}

/* Read more input: at least `want` bytes if available. Returns bytes read. */
static size_t fill(struct snap_reader *r, size_t want)
{
    if (r->eof)
        return 0;
    if (r->start > 0 && r->start >= r->len / 2) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    size_t got = 0;
    while (got < want && !r->eof) {
        XGROW(r->buf, r->cap, r->len + READ_CHUNK + 1 + SJSON_PADDING);
        size_t n = fread(r->buf + r->len, 1, READ_CHUNK, r->fp);
        if (n == 0)
            r->eof = 1;
        r->len += n;
        got += n;
    }
    if (r->buf)
        pad(r);
    return got;
}

/* Advance line/col over consumed bytes. */
static void advance(struct snap_reader *r, size_t n)
{
    const char *p = data(r) + r->start, *end = p + n, *nl;
    const char *last = NULL;
    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        r->line++;
        last = nl;
        p = nl + 1;
    }
    r->col = last ? (size_t)(end - last) : r->col + n;
    r->start += n;
}

static void where(const struct snap_reader *r, size_t off, size_t *line, size_t *col)
{
    const char *p = data(r) + r->start;
    *line = r->line;
    *col = r->col;
    for (size_t i = 0; i < off; i++) {
        if (p[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* ---- converting a cJSON tree into the model --------------------------------- */

struct ctx {
    struct snap_reader *r;
    struct snap *s;
    struct err *e;
    /* Where we are, for messages only: composed when an error happens, so the
     * hot path costs three stores instead of an snprintf per field. */
    const char *prefix;
    size_t idx; /* SIZE_MAX: no index */
    const char *key;
    char path[160];
};

static int fail(struct ctx *c, const char *what)
{
    if (c->prefix) {
        if (c->idx == SIZE_MAX)
            snprintf(c->path, sizeof(c->path), "%s", c->prefix);
        else
            snprintf(c->path, sizeof(c->path), "%s[%zu]%s%s", c->prefix, c->idx,
                     c->key && *c->key ? "." : "", c->key ? c->key : "");
    }
    err_set(c->e, "%s: document %zu: %s: %s", c->r->name, c->r->ndocs, c->path, what);
    return -1;
}

static int get_str(struct ctx *c, const cJSON *v, const char **out)
{
    if (cJSON_IsNull(v)) {
        *out = NULL;
        return 0;
    }
    if (!cJSON_IsString(v))
        return fail(c, "expected a string or null");
    if (strlen(v->valuestring) > SNAP_MAX_STRING)
        return fail(c, "string longer than the limit of 32768 bytes");
    *out = v->valuestring;
    return 0;
}

static int get_time(struct ctx *c, const cJSON *v, int64_t *out)
{
    if (cJSON_IsNull(v)) {
        *out = WT_NONE;
        return 0;
    }
    if (!cJSON_IsString(v) || wt_parse_iso(v->valuestring, out) < 0)
        return fail(c,
                    "expected an ISO 8601 UTC time like \"2024-05-01T08:00:03.284512Z\" or null");
    return 0;
}

static int get_int(struct ctx *c, const cJSON *v, int64_t lo, int64_t hi, int64_t none,
                   int64_t *out)
{
    if (cJSON_IsNull(v)) {
        *out = none;
        return 0;
    }
    /* Range before the cast: converting a double outside int64_t (1e23) is
     * undefined behaviour. Every caller's range lies within +-2^53. */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return fail(c, "expected an integer in range");
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* c->path = "PREFIX[i].key" (or "PREFIX[i]" for an empty key) for messages. */
static void set_path(struct ctx *c, const char *prefix, size_t i, const char *key)
{
    c->prefix = prefix;
    c->idx = i;
    c->key = key;
}

static int get_bool(struct ctx *c, const cJSON *v, uint8_t *out)
{
    if (!cJSON_IsBool(v))
        return fail(c, "expected true or false");
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return 0;
}

/* "record": {"id": N, "line": L}: the event record a fact rests on. */
static int get_rec(struct ctx *c, const cJSON *v, struct snap_rec *out)
{
    if (cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v))
        return fail(c, "expected an object {\"id\": N, \"line\": L}");
    for (const cJSON *x = v->child; x; x = x->next) {
        int64_t n;
        if (strcmp(x->string, "id") && strcmp(x->string, "line"))
            continue;
        /* JSON numbers are doubles: record ids and lines stay below 2^53. */
        if (get_int(c, x, 0, (int64_t)1 << 53, 0, &n))
            return -1;
        if (!strcmp(x->string, "id"))
            out->id = (uint64_t)n;
        else
            out->line = (uint64_t)n;
    }
    return 0;
}

static int read_proc(struct ctx *c, const cJSON *o, size_t idx, const char *prefix)
{
    if (!cJSON_IsObject(o)) {
        set_path(c, prefix, idx, "");
        return fail(c, "expected an object");
    }
    if (c->s->nprocs >= SNAP_MAX_PROCS) {
        set_path(c, prefix, idx, "");
        return fail(c, "more processes than the limit of 200000 per snapshot");
    }
    struct snap_proc *p = snap_add_proc(c->s);
    int have_pid = 0;
    for (const cJSON *v = o->child; v; v = v->next) {
        const char *k = v->string;
        int64_t n;
        set_path(c, prefix, idx, k);
        int rc = 0;
        switch (k[0]) {
        case 'a':
            if (!strcmp(k, "anomaly"))
                rc = get_str(c, v, &p->anomaly);
            break;
        case 'b':
            if (!strcmp(k, "base_priority")) {
                rc = get_int(c, v, 0, 31, SNAP_NO_PRIORITY, &n);
                p->base_priority = (int32_t)n;
            }
            break;
        case 'c':
            if (!strcmp(k, "command_line"))
                rc = get_str(c, v, &p->command_line);
            else if (!strcmp(k, "create_time"))
                rc = get_time(c, v, &p->create_time);
            else if (!strcmp(k, "cwd"))
                rc = get_str(c, v, &p->cwd);
            break;
        case 'e':
            if (!strcmp(k, "exit_time")) {
                rc = get_time(c, v, &p->exit_time);
            } else if (!strcmp(k, "exit_recorded")) {
                uint8_t b = 1;
                rc = get_bool(c, v, &b);
                p->exit_unrecorded = !b;
            }
            break;
        case 'g':
            if (!strcmp(k, "guid"))
                rc = get_str(c, v, &p->guid);
            break;
        case 'i':
            if (!strcmp(k, "image"))
                rc = get_str(c, v, &p->image);
            else if (!strcmp(k, "integrity"))
                rc = get_str(c, v, &p->integrity);
            break;
        case 'l':
            if (!strcmp(k, "logon_id")) {
                const char *s;
                rc = get_str(c, v, &s);
                if (!rc && s && snap_parse_logon_id(s, &p->logon_id) < 0)
                    rc = fail(c, "expected a hex logon id like \"0x3e7\"");
            }
            break;
        case 'n':
            if (!strcmp(k, "name"))
                rc = get_str(c, v, &p->name);
            break;
        case 'p':
            if (!strcmp(k, "pid")) {
                rc = get_int(c, v, 0, UINT32_MAX, -1, &n);
                if (!rc && n < 0)
                    rc = fail(c, "pid must not be null");
                p->pid = (uint32_t)n;
                have_pid = 1;
            } else if (!strcmp(k, "ppid")) {
                rc = get_int(c, v, 0, UINT32_MAX, 0, &n);
                p->ppid = (uint32_t)n;
            } else if (!strcmp(k, "parent_create_time")) {
                rc = get_time(c, v, &p->parent_create_time);
            } else if (!strcmp(k, "parent_guid")) {
                rc = get_str(c, v, &p->parent_guid);
            }
            break;
        case 's':
            if (!strcmp(k, "session")) {
                rc = get_int(c, v, 0, INT32_MAX, SNAP_NO_SESSION, &n);
                p->session = (int32_t)n;
            } else if (!strcmp(k, "sid")) {
                rc = get_str(c, v, &p->sid);
            } else if (!strcmp(k, "seen_as_parent")) {
                rc = get_bool(c, v, &p->seen_as_parent);
            }
            break;
        case 'u':
            if (!strcmp(k, "user"))
                rc = get_str(c, v, &p->user);
            break;
        case 'r':
            if (!strcmp(k, "record"))
                rc = get_rec(c, v, &p->rec);
            break;
        default: break; /* unknown keys are allowed: newer minor versions may add fields */
        }
        if (rc)
            return -1;
    }
    if (!have_pid) {
        set_path(c, prefix, idx, "pid");
        return fail(c, "missing");
    }
    return 0;
}

static int read_session(struct ctx *c, const cJSON *o, size_t idx)
{
    set_path(c, "sessions", idx, "");
    if (!cJSON_IsObject(o))
        return fail(c, "expected an object");
    if (c->s->nsessions >= SNAP_MAX_SESSIONS)
        return fail(c, "more sessions than the limit of 4096");
    struct snap_session *ss = snap_add_session(c->s);
    int have_id = 0;
    for (const cJSON *v = o->child; v; v = v->next) {
        const char *k = v->string;
        int64_t n;
        int rc = 0;
        set_path(c, "sessions", idx, k);
        if (!strcmp(k, "id")) {
            rc = get_int(c, v, 0, INT32_MAX, -1, &n);
            if (!rc && n < 0)
                rc = fail(c, "must not be null");
            ss->id = (int32_t)n;
            have_id = 1;
        } else if (!strcmp(k, "kind")) {
            rc = get_str(c, v, &ss->kind);
        } else if (!strcmp(k, "user")) {
            rc = get_str(c, v, &ss->user);
        } else if (!strcmp(k, "create_time")) {
            rc = get_time(c, v, &ss->create_time);
        } else if (!strcmp(k, "logon_time")) {
            rc = get_time(c, v, &ss->logon_time);
        } else if (!strcmp(k, "end_time")) {
            rc = get_time(c, v, &ss->end_time);
        }
        if (rc)
            return -1;
    }
    if (!have_id) {
        set_path(c, "sessions", idx, "id");
        return fail(c, "missing");
    }
    return 0;
}

static int read_strings(struct ctx *c, const cJSON *arr, const char *const **out, uint32_t *n)
{
    if (!cJSON_IsArray(arr))
        return fail(c, "expected an array of strings");
    size_t count = (size_t)cJSON_GetArraySize(arr);
    if (count > 4096)
        return fail(c, "more than 4096 entries");
    const char **v = arena_alloc(&c->s->arena, (count ? count : 1) * sizeof(char *));
    size_t i = 0;
    for (const cJSON *x = arr->child; x; x = x->next, i++) {
        if (!cJSON_IsString(x))
            return fail(c, "expected an array of strings");
        v[i] = x->valuestring;
    }
    *out = v;
    *n = (uint32_t)count;
    return 0;
}

static int read_reg(struct ctx *c, const cJSON *o, size_t idx, const char *fmt)
{
    set_path(c, fmt, idx, "");
    if (!cJSON_IsObject(o))
        return fail(c, "expected an object");
    if (c->s->nregs >= SNAP_MAX_REGS)
        return fail(c, "more registry values than the limit of 4096");
    struct snap_reg *r = snap_add_reg(c->s);
    const cJSON *dat = NULL;
    for (const cJSON *v = o->child; v; v = v->next) {
        const char *k = v->string;
        int rc = 0;
        set_path(c, fmt, idx, k);
        if (!strcmp(k, "key")) {
            rc = get_str(c, v, &r->key);
        } else if (!strcmp(k, "name")) {
            rc = get_str(c, v, &r->name);
        } else if (!strcmp(k, "anomaly")) {
            rc = get_str(c, v, &r->anomaly);
        } else if (!strcmp(k, "type")) {
            const char *t;
            rc = get_str(c, v, &t);
            if (!rc) {
                if (t && !strcmp(t, "REG_SZ"))
                    r->type = SNAP_REG_SZ;
                else if (t && !strcmp(t, "REG_EXPAND_SZ"))
                    r->type = SNAP_REG_EXPAND_SZ;
                else if (t && !strcmp(t, "REG_MULTI_SZ"))
                    r->type = SNAP_REG_MULTI_SZ;
                else if (t && !strcmp(t, "REG_DWORD"))
                    r->type = SNAP_REG_DWORD;
                else
                    rc = fail(c, "expected REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ or REG_DWORD");
            }
        } else if (!strcmp(k, "data")) {
            dat = v;
        } else if (!strcmp(k, "time")) {
            rc = get_time(c, v, &r->time);
        } else if (!strcmp(k, "writer")) {
            rc = get_str(c, v, &r->writer);
        } else if (!strcmp(k, "deleted")) {
            rc = get_bool(c, v, &r->deleted);
        } else if (!strcmp(k, "record")) {
            rc = get_rec(c, v, &r->rec);
        }
        if (rc)
            return -1;
    }
    if (!r->key || !r->name) {
        set_path(c, fmt, idx, "");
        return fail(c, "a registry value needs \"key\" and \"name\"");
    }
    set_path(c, fmt, idx, "data");
    if (!dat)
        return fail(c, "missing");
    if (r->type == SNAP_REG_DWORD) {
        int64_t n;
        if (get_int(c, dat, 0, UINT32_MAX, 0, &n))
            return -1;
        r->dword = (uint32_t)n;
    } else if (r->type == SNAP_REG_MULTI_SZ) {
        if (read_strings(c, dat, &r->data, &r->ndata))
            return -1;
    } else {
        const char *s;
        if (!cJSON_IsString(dat))
            return fail(c, "expected a string");
        s = dat->valuestring;
        const char **v = arena_alloc(&c->s->arena, sizeof(char *));
        v[0] = s;
        r->data = v;
        r->ndata = 1;
    }
    return 0;
}

static int read_label(struct ctx *c, const cJSON *o, size_t idx)
{
    set_path(c, "labels", idx, "");
    if (!cJSON_IsObject(o))
        return fail(c, "expected an object");
    struct snap_label *l = snap_add_label(c->s);
    for (const cJSON *v = o->child; v; v = v->next) {
        const char *k = v->string;
        int rc = 0;
        set_path(c, "labels", idx, k);
        if (!strcmp(k, "id"))
            rc = get_str(c, v, &l->id);
        else if (!strcmp(k, "type"))
            rc = get_str(c, v, &l->type);
        else if (!strcmp(k, "technique"))
            rc = get_str(c, v, &l->technique);
        else if (!strcmp(k, "description"))
            rc = get_str(c, v, &l->description);
        else if (!strcmp(k, "rules"))
            rc = read_strings(c, v, &l->rules, &l->nrules);
        else if (!strcmp(k, "target")) {
            if (!cJSON_IsObject(v))
                return fail(c, "expected an object");
            for (const cJSON *t = v->child; t && !rc; t = t->next) {
                int64_t n;
                if (!strcmp(t->string, "pid")) {
                    rc = get_int(c, t, 0, UINT32_MAX, 0, &n);
                    l->pid = (uint32_t)n;
                } else if (!strcmp(t->string, "create_time")) {
                    rc = get_time(c, t, &l->create_time);
                } else if (!strcmp(t->string, "key")) {
                    rc = get_str(c, t, &l->reg_key);
                } else if (!strcmp(t->string, "name")) {
                    rc = get_str(c, t, &l->reg_name);
                }
            }
        }
        if (rc)
            return -1;
    }
    return 0;
}

static int read_fields(struct ctx *c, const cJSON *arr, uint32_t *out)
{
    c->prefix = NULL;
    snprintf(c->path, sizeof(c->path), "fields");
    if (!cJSON_IsArray(arr))
        return fail(c, "expected an array of field names");
    uint32_t f = 0;
    for (const cJSON *x = arr->child; x; x = x->next) {
        if (!cJSON_IsString(x))
            return fail(c, "expected an array of field names");
        for (unsigned i = 0; i < ARRAY_SIZE(snap_field_names); i++)
            if (!strcmp(x->valuestring, snap_field_names[i]))
                f |= 1u << i;
    }
    *out = f;
    return 0;
}

/* Document-level attributes shared by every snapshot of a run document. */
static int read_header(struct ctx *c, const cJSON *doc)
{
    struct snap *s = c->s;
    s->fields = SNAP_F_ALL;
    for (const cJSON *v = doc->child; v; v = v->next) {
        const char *k = v->string;
        int rc = 0;
        c->prefix = k;
        c->idx = SIZE_MAX;
        if (!strcmp(k, "source"))
            rc = get_str(c, v, &s->source);
        else if (!strcmp(k, "file"))
            rc = get_str(c, v, &s->file);
        else if (!strcmp(k, "scenario"))
            rc = get_str(c, v, &s->scenario);
        else if (!strcmp(k, "host"))
            rc = get_str(c, v, &s->host);
        else if (!strcmp(k, "domain"))
            rc = get_str(c, v, &s->domain);
        else if (!strcmp(k, "os"))
            rc = get_str(c, v, &s->os);
        else if (!strcmp(k, "boot_time"))
            rc = get_time(c, v, &s->boot_time);
        else if (!strcmp(k, "at"))
            rc = get_time(c, v, &s->at);
        else if (!strcmp(k, "fields"))
            rc = read_fields(c, v, &s->fields);
        else if (!strcmp(k, "seed")) {
            /* As a double, the largest seed (2^64 - 1, which smsslab
             * writes) reads as 2^64: taken as 2^64 - 1; above, the cast
             * would be undefined behaviour. */
            if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) ||
                v->valuedouble > 18446744073709551616.0)
                rc = fail(c, "expected a non-negative integer");
            else
                s->seed = snap_seed_of(v->valuedouble);
        } else if (!strcmp(k, "sessions")) {
            if (!cJSON_IsArray(v))
                return fail(c, "expected an array");
            size_t i = 0;
            for (const cJSON *x = v->child; x && !rc; x = x->next)
                rc = read_session(c, x, i++);
        } else if (!strcmp(k, "labels")) {
            if (!cJSON_IsArray(v))
                return fail(c, "expected an array");
            size_t i = 0;
            for (const cJSON *x = v->child; x && !rc; x = x->next)
                rc = read_label(c, x, i++);
        }
        if (rc)
            return -1;
    }
    return 0;
}

/* Processes and registry of one snapshot object (the document itself for a
 * snapshot document, an element of "snapshots" for a run document). */
static int read_body(struct ctx *c, const cJSON *o, long snap_idx)
{
    char pfmt[64], rfmt[64];
    if (snap_idx >= 0) {
        snprintf(pfmt, sizeof(pfmt), "snapshots[%ld].processes", snap_idx);
        snprintf(rfmt, sizeof(rfmt), "snapshots[%ld].registry", snap_idx);
    } else {
        snprintf(pfmt, sizeof(pfmt), "processes");
        snprintf(rfmt, sizeof(rfmt), "registry");
    }
    int have_procs = 0;
    for (const cJSON *v = o->child; v; v = v->next) {
        const char *k = v->string;
        int rc = 0;
        if (!strcmp(k, "processes")) {
            have_procs = 1;
            c->prefix = "processes";
            c->idx = SIZE_MAX;
            if (!cJSON_IsArray(v))
                return fail(c, "expected an array");
            size_t i = 0;
            for (const cJSON *x = v->child; x && !rc; x = x->next)
                rc = read_proc(c, x, i++, pfmt);
        } else if (!strcmp(k, "registry")) {
            c->prefix = "registry";
            c->idx = SIZE_MAX;
            if (!cJSON_IsArray(v))
                return fail(c, "expected an array");
            size_t i = 0;
            for (const cJSON *x = v->child; x && !rc; x = x->next)
                rc = read_reg(c, x, i++, rfmt);
        } else if (snap_idx >= 0 && !strcmp(k, "at")) {
            c->prefix = NULL;
            snprintf(c->path, sizeof(c->path), "snapshots[%ld].at", snap_idx);
            rc = get_time(c, v, &c->s->at);
        }
        if (rc)
            return -1;
    }
    if (!have_procs) {
        c->prefix = NULL;
        snprintf(c->path, sizeof(c->path), "%s",
                 snap_idx >= 0 ? "snapshots[].processes" : "processes");
        return fail(c, "missing");
    }
    return 0;
}

/* Does the string cJSON failed in (it points just after the opening quote)
 * run to the end of the window unclosed? */
static int string_open(const char *b, size_t off, size_t avail)
{
    if (off >= avail || off == 0 || b[off - 1] != '"')
        return 0;
    for (size_t i = off; i < avail; i++) {
        if (b[i] == '\\')
            i++;
        else if (b[i] == '"')
            return 0;
    }
    return 1;
}

/* The fast path: the document that starts the window, when it is one line
 * simdjson takes whole (sjson.h). Returns 1 with r->fast filled, else 0 and
 * the cJSON path reads it (and says what is wrong with it). */
static int fast_doc(struct snap_reader *r)
{
    if (!r->sj) {
        if (!(r->sj = sjson_open()))
            return 0;
        sjson_doc_init(&r->fast);
    }
    /* Another document on a line the fast path could not take (several
     * documents on one line, or none) is cJSON's too: trying each would
     * index the rest of the line again and again. */
    if (r->slow_line == r->line)
        return 0;
    const char *nl;
    while (!(nl = memchr(data(r) + r->start, '\n', r->len - r->start)) && !r->eof) {
        if (r->len - r->start >= MAX_DOC_BYTES) {
            r->slow_line = r->line;
            return 0;
        }
        fill(r, r->len - r->start);
    }
    const char *begin = data(r) + r->start;
    size_t n = nl ? (size_t)(nl - begin) : r->len - r->start;
    /* Readable from begin: the window and its padding, or just the memory. */
    size_t cap = r->mem ? r->len - r->start : r->cap - r->start;
    if (!sjson_read_doc(r->sj, begin, n, cap, &r->fast)) {
        r->slow_line = r->line;
        return 0;
    }
    r->ndocs++;
    r->fast_docs++;
    r->start += n; /* advance(r, n) without its scan: the document is one line */
    r->col += n;
    r->fast_on = 1;
    r->fast_next = 0;
    return 1;
}

/* Parse the next document into r->doc. Returns 1, 0 at end, -1 on error. */
static int next_doc(struct snap_reader *r, struct err *e)
{
    r->doc = NULL; /* its memory goes with the next parse_doc's arena_reset */
    r->snaps = r->next_snap = NULL;
    r->next_idx = 0;
    r->single_pending = 0;
    r->fast_on = 0;
    for (;;) {
        /* Skip whitespace between documents. */
        size_t skip = 0;
        while (r->start + skip < r->len && is_space(data(r)[r->start + skip]))
            skip++;
        advance(r, skip);
        if (r->start >= r->len) {
            if (r->eof || fill(r, 1) == 0)
                return 0;
            continue;
        }
        if (fast_doc(r))
            return 1;
        const char *begin = data(r) + r->start;
        size_t avail = r->len - r->start;
        const char *end = NULL;
        cJSON *doc = parse_doc(r, begin, avail, &end);
        if (doc) {
            /* A number at the end of the window may continue in the next read. */
            if ((size_t)(end - begin) == avail && !r->eof && !cJSON_IsObject(doc)) {
                cJSON_Delete(doc);
                if (fill(r, avail) > 0)
                    continue;
                doc = parse_doc(r, data(r) + r->start, r->len - r->start, &end);
                begin = data(r) + r->start;
            }
        }
        if (!doc && r->over_budget) {
            err_set(e,
                    "%s: document %zu needs more than %s of memory to parse (about 15x "
                    "its size); split it into smaller documents",
                    r->name, r->ndocs + 1, snap_json_budget_text());
            return -1;
        }
        if (!doc) {
            const char *ep = cJSON_GetErrorPtr();
            size_t off = (ep >= begin && ep <= begin + avail) ? (size_t)(ep - begin) : avail;
            /* cJSON points at the start of what the window cut: a literal ("fa"
             * of false) near the end, or the opening quote of a string that is
             * not closed before the end. Either way: read more and retry. */
            if ((off + 8 >= avail || string_open(begin, off, avail)) && !r->eof) {
                if (avail >= MAX_DOC_BYTES) {
                    err_set(e, "%s: document %zu is larger than the limit of 256 MiB", r->name,
                            r->ndocs + 1);
                    return -1;
                }
                fill(r, avail); /* geometric growth: re-parsing stays linear */
                continue;
            }
            size_t line, col;
            if (off > avail)
                off = avail;
            where(r, off, &line, &col);
            err_set(e, "%s:%zu:%zu: %s", r->name, line, col,
                    off + 1 >= avail ? "invalid or truncated JSON (the input ends here)"
                                     : "invalid JSON");
            return -1;
        }
        r->ndocs++;
        size_t used = (size_t)(end - begin);
        if (!cJSON_IsObject(doc)) {
            size_t line, col;
            where(r, 0, &line, &col);
            cJSON_Delete(doc);
            err_set(e, "%s:%zu:%zu: expected a JSON object (a smsslab run or snapshot document)",
                    r->name, line, col);
            return -1;
        }
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
        size_t line, col;
        where(r, 0, &line, &col);
        advance(r, used);
        if (!cJSON_IsString(schema)) {
            cJSON_Delete(doc);
            err_set(e,
                    "%s:%zu:%zu: not a smsslab document (no \"schema\" string; expected \"%s\" "
                    "or \"%s\")",
                    r->name, line, col, SNAP_SCHEMA_RUN, SNAP_SCHEMA_SNAPSHOT);
            return -1;
        }
        if (!strcmp(schema->valuestring, SNAP_SCHEMA_RUN) ||
            !strcmp(schema->valuestring, SNAP_SCHEMA_RUN_V1)) {
            const cJSON *snaps = cJSON_GetObjectItemCaseSensitive(doc, "snapshots");
            if (!cJSON_IsArray(snaps)) {
                cJSON_Delete(doc);
                err_set(e, "%s:%zu:%zu: run document without a \"snapshots\" array", r->name, line,
                        col);
                return -1;
            }
            r->snaps = snaps;
            r->next_snap = snaps->child;
        } else if (!strcmp(schema->valuestring, SNAP_SCHEMA_SNAPSHOT) ||
                   !strcmp(schema->valuestring, SNAP_SCHEMA_SNAPSHOT_V1)) {
            r->single_pending = 1;
        } else {
            err_set(e,
                    "%s:%zu:%zu: unsupported schema \"%.64s\" (this smsslab reads \"%s\" and "
                    "\"%s\", and their version 1)",
                    r->name, line, col, schema->valuestring, SNAP_SCHEMA_RUN, SNAP_SCHEMA_SNAPSHOT);
            cJSON_Delete(doc);
            return -1;
        }
        r->doc = doc;
        return 1;
    }
}

/* The document's session list covers the whole run; a snapshot sees it as it
 * was at the snapshot's time: sessions not yet created are left out, and a
 * logon or an end still to come has not happened (render --at 10m must not
 * draw an RDP session that starts at 20m, or "ended +50m"). */
static void sessions_as_of(struct snap *s)
{
    if (s->at == WT_NONE)
        return;
    size_t k = 0;
    for (size_t i = 0; i < s->nsessions; i++) {
        struct snap_session x = s->sessions[i];
        if (x.create_time != WT_NONE && x.create_time > s->at)
            continue;
        if (x.logon_time != WT_NONE && x.logon_time > s->at) {
            x.logon_time = WT_NONE;
            x.user = NULL;
        }
        if (x.end_time != WT_NONE && x.end_time > s->at)
            x.end_time = WT_NONE;
        s->sessions[k++] = x;
    }
    s->nsessions = k;
}

/* Records into a snapshot just reset (arr has none): one grow, one copy. */
static void copy_records(void **arr, size_t *count, size_t *cap, const void *src, size_t n,
                         size_t elem)
{
    xgrow(arr, cap, n, elem);
    if (n)
        memcpy(*arr, src, n * elem);
    *count = n;
}
#define COPY(arr, count, cap, src, n) \
    copy_records((void **)&(arr), &(count), &(cap), (src), (n), sizeof(*(arr)))

/* Snapshot r->fast_next of the document the fast path read, as the cJSON
 * path would have built it: the header, then the body. */
static void fast_snapshot(struct snap_reader *r, struct snap *s)
{
    const struct sjson_doc *d = &r->fast;
    const struct snap *h = &d->hdr, *pool = &d->pool;
    const struct sjson_snap *b = &d->snaps[r->fast_next++];
    snap_reset(s);
    s->source = h->source;
    s->file = h->file;
    s->scenario = h->scenario;
    s->seed = h->seed;
    s->host = h->host;
    s->domain = h->domain;
    s->os = h->os;
    s->boot_time = h->boot_time;
    s->at = b->has_at ? b->at : h->at;
    s->fields = h->fields;
    /* An empty list may have no array at all: no offset is applied to NULL. */
    const struct snap_session *ss = !b->own_sessions ? h->sessions
                                    : b->nsess       ? pool->sessions + b->sess0
                                                     : NULL;
    size_t nss = b->own_sessions ? b->nsess : h->nsessions;
    COPY(s->sessions, s->nsessions, s->cap_sessions, ss, nss);
    COPY(s->labels, s->nlabels, s->cap_labels, h->labels, h->nlabels);
    COPY(s->procs, s->nprocs, s->cap_procs, b->nprocs ? pool->procs + b->proc0 : NULL, b->nprocs);
    COPY(s->regs, s->nregs, s->cap_regs, b->nregs ? pool->regs + b->reg0 : NULL, b->nregs);
    if (!d->single && !b->own_sessions)
        sessions_as_of(s);
}

int snap_reader_next(struct snap_reader *r, struct snap *s, struct err *e)
{
    for (;;) {
        if (r->fast_on && r->fast_next < r->fast.nsnaps) {
            fast_snapshot(r, s);
            return 1;
        }
        if (r->doc && (r->single_pending || r->next_snap))
            break;
        int rc = next_doc(r, e);
        if (rc <= 0)
            return rc;
    }
    snap_reset(s);
    struct ctx c = {.r = r, .s = s, .e = e};
    if (read_header(&c, r->doc) < 0)
        return -1;
    if (r->single_pending) {
        r->single_pending = 0;
        return read_body(&c, r->doc, -1) < 0 ? -1 : 1;
    }
    long idx = r->next_idx++;
    const cJSON *o = r->next_snap;
    r->next_snap = o->next;
    if (!cJSON_IsObject(o)) {
        c.prefix = NULL;
        snprintf(c.path, sizeof(c.path), "snapshots[%ld]", idx);
        return fail(&c, "expected an object");
    }
    /* A snapshot may carry its own session list; it then replaces the document's. */
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(o, "sessions");
    if (cJSON_IsArray(own)) {
        s->nsessions = 0;
        size_t i = 0;
        for (const cJSON *x = own->child; x; x = x->next)
            if (read_session(&c, x, i++) < 0)
                return -1;
    }
    if (read_body(&c, o, idx) < 0)
        return -1;
    if (!cJSON_IsArray(own))
        sessions_as_of(s);
    return 1;
}
