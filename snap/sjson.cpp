/*
 * sjson: simdjson On-Demand readers for run and snapshot documents and for
 * NXLog NDJSON lines (see sjson.h). Every check here mirrors snap_read.c's
 * and rd_json.c's for the same field, or is stricter: whatever this file
 * does not take goes to the cJSON readers, which keep their messages. No
 * exception leaves this file.
 */
extern "C" {
#include "snap.h"
}
#include "sjson.h"

#include <simdjson.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

using namespace simdjson;
using ondemand::json_type;
using ondemand::value;

/* The depth simdjson's parser is allocated for. What this file reads lies
 * at most 5 levels deep; what it skips is skipped without recursion, so
 * nesting there costs nothing (and is not checked: docs/limits.md). */
static const size_t MAX_DEPTH = 512;
static_assert(SJSON_PADDING >= SIMDJSON_PADDING, "callers' padding must cover simdjson's");

struct sjson {
    ondemand::parser parser;
    ondemand::document doc;
    std::vector<char> copy; /* padded copy of an input without room after it */
    std::vector<sjson_kv> kv;
};

extern "C" struct sjson *sjson_new(void)
{
    try {
        sjson *j = new sjson();
        if (j->parser.allocate(1 << 16, MAX_DEPTH) != SUCCESS) {
            delete j;
            return nullptr;
        }
        return j;
    } catch (...) {
        return nullptr;
    }
}

extern "C" void sjson_free(struct sjson *j)
{
    delete j;
}

/* An ondemand document over buf, copied when it lacks the padding. */
static bool start(sjson *j, const char *buf, size_t len, size_t cap)
{
    if (len * SJSON_BYTES_PER_BYTE > snap_json_budget())
        return false; /* cJSON reports the budget as it always has */
    if (cap < len + SIMDJSON_PADDING) {
        j->copy.resize(len + SIMDJSON_PADDING);
        memcpy(j->copy.data(), buf, len);
        buf = j->copy.data();
        cap = j->copy.size();
    }
    if (j->parser.capacity() < len && j->parser.allocate(len, MAX_DEPTH) != SUCCESS)
        return false;
    return j->parser.iterate(padded_string_view(buf, len, cap)).get(j->doc) == SUCCESS;
}

/* ---- values, checked as snap_read.c checks them ------------------------ */

/* A key as cJSON compares it: up to an escaped NUL. */
static std::string_view cname(std::string_view k)
{
    return k.substr(0, strnlen(k.data(), k.size()));
}

static const char *dup(arena *a, std::string_view s)
{
    char *p = static_cast<char *>(arena_alloc(a, s.size() + 1));
    memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

/* What a value is, from its first bytes (simdjson's raw token runs to the
 * next structural character, so a string token holds the whole string). A
 * string without escapes is returned in place (*s); T_ESC strings go
 * through simdjson's unescaping. */
enum tok { T_STR, T_ESC, T_NUM, T_TRUE, T_FALSE, T_NULL, T_OBJ, T_ARR, T_BAD };

static bool only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

static bool word(std::string_view t, const char *w, size_t n)
{
    return t.size() >= n && !memcmp(t.data(), w, n) &&
           only_space(t.data() + n, t.data() + t.size());
}

static enum tok kind(value &v, std::string_view *s)
{
    std::string_view t = v.raw_json_token();
    if (t.empty())
        return T_BAD;
    switch (t[0]) {
    case '"': {
        /* The token is the string and the blanks before the next structural
         * character: without a backslash in it, its last quote closes it. */
        const char *p = t.data() + 1, *q = t.data() + t.size();
        if (memchr(p, '\\', (size_t)(q - p)))
            return T_ESC;
        while (q > p && q[-1] != '"')
            q--;
        if (q == p)
            return T_BAD;
        *s = std::string_view(p, (size_t)(q - 1 - p));
        return T_STR;
    }
    case '{': return T_OBJ;
    case '[': return T_ARR;
    case 't': return word(t, "true", 4) ? T_TRUE : T_BAD;
    case 'f': return word(t, "false", 5) ? T_FALSE : T_BAD;
    case 'n': return word(t, "null", 4) ? T_NULL : T_BAD;
    default: return (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')) ? T_NUM : T_BAD;
    }
}

/* A string value (T_STR or T_ESC) as cJSON holds it: unescaped, up to an
 * escaped NUL. */
static bool string_of(value &v, enum tok k, std::string_view *s)
{
    if (k == T_STR)
        return true;
    if (k != T_ESC || v.get_string().get(*s))
        return false;
    *s = cname(*s);
    return true;
}

static bool is_type(value &v, json_type want)
{
    std::string_view s;
    enum tok k = kind(v, &s);
    switch (want) {
    case json_type::object: return k == T_OBJ;
    case json_type::array: return k == T_ARR;
    case json_type::string: return k == T_STR || k == T_ESC;
    case json_type::number: return k == T_NUM;
    case json_type::boolean: return k == T_TRUE || k == T_FALSE;
    case json_type::null: return k == T_NULL;
    }
    return false;
}

static bool null_value(value &v)
{
    std::string_view s;
    return kind(v, &s) == T_NULL;
}

/* A string or null; strings are copied into a, NUL-terminated. */
static bool get_str(value v, arena *a, const char **out)
{
    std::string_view s;
    enum tok k = kind(v, &s);
    if (k == T_NULL) {
        *out = nullptr;
        return true;
    }
    if (!string_of(v, k, &s) || s.size() > SNAP_MAX_STRING)
        return false;
    *out = dup(a, s);
    return true;
}

static bool get_time(value v, int64_t *out)
{
    std::string_view s;
    enum tok k = kind(v, &s);
    if (k == T_NULL) {
        *out = WT_NONE;
        return true;
    }
    char b[64];
    if (!string_of(v, k, &s) || s.size() >= sizeof(b))
        return false;
    memcpy(b, s.data(), s.size());
    b[s.size()] = '\0';
    return wt_parse_iso(b, out) >= 0;
}

static bool get_int(value v, int64_t lo, int64_t hi, int64_t none, int64_t *out)
{
    std::string_view s;
    enum tok k = kind(v, &s);
    if (k == T_NULL) {
        *out = none;
        return true;
    }
    if (k != T_NUM)
        return false;
    /* Integers as integers (cheaper than a double); 1.0 or 1e3 go the
     * double way, and must still be whole, as cJSON's valuedouble. */
    int64_t i;
    if (v.get_int64().get(i) == SUCCESS) {
        if (i < lo || i > hi)
            return false;
        *out = i;
        return true;
    }
    double d;
    if (v.get_double().get(d))
        return false;
    if (!(d >= (double)lo && d <= (double)hi) || d != (double)(int64_t)d)
        return false;
    *out = (int64_t)d;
    return true;
}

static bool get_bool(value v, uint8_t *out)
{
    std::string_view s;
    enum tok k = kind(v, &s);
    if (k != T_TRUE && k != T_FALSE)
        return false;
    *out = k == T_TRUE;
    return true;
}

/* A member's key as cJSON compares it: in place when it has no escape
 * (the closing quote is there: simdjson's first pass checked strings). */
static bool key_of(ondemand::field &fl, std::string_view *k)
{
    const char *p = fl.key().raw(), *q = p;
    while (*q != '"' && *q != '\\' && *q)
        q++;
    if (*q != '\\') { /* a raw NUL ends it too, as in cJSON's C string */
        *k = std::string_view(p, (size_t)(q - p));
        return true;
    }
    if (fl.unescaped_key().get(*k))
        return false;
    *k = cname(*k);
    return true;
}

/* The members of an object; f(key, value) returns false to give up. */
template <class F> static bool members(value v, F f)
{
    ondemand::object o;
    if (!is_type(v, json_type::object) || v.get_object().get(o))
        return false;
    for (auto m : o) {
        ondemand::field fl;
        std::string_view k;
        if (std::move(m).get(fl) || !key_of(fl, &k))
            return false;
        if (!f(k, fl.value()))
            return false;
    }
    return true;
}

template <class F> static bool elements(value v, F f)
{
    ondemand::array a;
    if (!is_type(v, json_type::array) || v.get_array().get(a))
        return false;
    for (auto e : a) {
        value x;
        if (e.get(x) || !f(x))
            return false;
    }
    return true;
}

/* An array of at most 4096 strings (read_strings). */
static bool get_strings(value v, arena *a, const char *const **out, uint32_t *n)
{
    std::vector<const char *> tmp;
    bool ok = elements(v, [&](value x) {
        std::string_view s;
        if (!string_of(x, kind(x, &s), &s) || tmp.size() >= 4096)
            return false;
        tmp.push_back(dup(a, s));
        return true;
    });
    if (!ok)
        return false;
    const char **arr =
        static_cast<const char **>(arena_alloc(a, (tmp.empty() ? 1 : tmp.size()) * sizeof(char *)));
    for (size_t i = 0; i < tmp.size(); i++)
        arr[i] = tmp[i];
    *out = arr;
    *n = (uint32_t)tmp.size();
    return true;
}

static bool get_rec(value v, snap_rec *out)
{
    if (null_value(v))
        return true;
    return members(v, [&](std::string_view k, value x) {
        int64_t n;
        if (k != "id" && k != "line")
            return true;
        if (!get_int(x, 0, (int64_t)1 << 53, 0, &n))
            return false;
        (k == "id" ? out->id : out->line) = (uint64_t)n;
        return true;
    });
}

/* ---- the model ---------------------------------------------------------- */

static bool read_proc(value v, snap *pool, arena *a, size_t *count)
{
    if (*count >= SNAP_MAX_PROCS)
        return false;
    ++*count;
    snap_proc *p = snap_add_proc(pool);
    bool have_pid = false;
    bool ok = members(v, [&](std::string_view k, value x) {
        int64_t n;
        if (k == "pid") {
            if (!get_int(x, 0, UINT32_MAX, -1, &n) || n < 0)
                return false;
            p->pid = (uint32_t)n;
            have_pid = true;
        } else if (k == "ppid") {
            if (!get_int(x, 0, UINT32_MAX, 0, &n))
                return false;
            p->ppid = (uint32_t)n;
        } else if (k == "name") {
            return get_str(x, a, &p->name);
        } else if (k == "image") {
            return get_str(x, a, &p->image);
        } else if (k == "command_line") {
            return get_str(x, a, &p->command_line);
        } else if (k == "create_time") {
            return get_time(x, &p->create_time);
        } else if (k == "exit_time") {
            return get_time(x, &p->exit_time);
        } else if (k == "parent_create_time") {
            return get_time(x, &p->parent_create_time);
        } else if (k == "session") {
            if (!get_int(x, 0, INT32_MAX, SNAP_NO_SESSION, &n))
                return false;
            p->session = (int32_t)n;
        } else if (k == "base_priority") {
            if (!get_int(x, 0, 31, SNAP_NO_PRIORITY, &n))
                return false;
            p->base_priority = (int32_t)n;
        } else if (k == "user") {
            return get_str(x, a, &p->user);
        } else if (k == "sid") {
            return get_str(x, a, &p->sid);
        } else if (k == "integrity") {
            return get_str(x, a, &p->integrity);
        } else if (k == "cwd") {
            return get_str(x, a, &p->cwd);
        } else if (k == "guid") {
            return get_str(x, a, &p->guid);
        } else if (k == "parent_guid") {
            return get_str(x, a, &p->parent_guid);
        } else if (k == "anomaly") {
            return get_str(x, a, &p->anomaly);
        } else if (k == "logon_id") {
            const char *s;
            if (!get_str(x, a, &s))
                return false;
            if (s) {
                char *end;
                errno = 0;
                unsigned long long id = strtoull(s, &end, 16);
                if (errno || *end || strncmp(s, "0x", 2) != 0)
                    return false;
                p->logon_id = id;
            }
        } else if (k == "exit_recorded") {
            uint8_t b = 1;
            if (!get_bool(x, &b))
                return false;
            p->exit_unrecorded = !b;
        } else if (k == "seen_as_parent") {
            return get_bool(x, &p->seen_as_parent);
        } else if (k == "record") {
            return get_rec(x, &p->rec);
        }
        return true; /* unknown keys are allowed (newer minor versions) */
    });
    return ok && have_pid;
}

/* base: where this list starts in s (the limit is per list). */
static bool read_session(value v, snap *s, size_t base, arena *a)
{
    if (s->nsessions - base >= SNAP_MAX_SESSIONS)
        return false;
    struct snap_session *ss = snap_add_session(s);
    bool have_id = false;
    bool ok = members(v, [&](std::string_view k, value x) {
        int64_t n;
        if (k == "id") {
            if (!get_int(x, 0, INT32_MAX, -1, &n) || n < 0)
                return false;
            ss->id = (int32_t)n;
            have_id = true;
        } else if (k == "kind") {
            return get_str(x, a, &ss->kind);
        } else if (k == "user") {
            return get_str(x, a, &ss->user);
        } else if (k == "create_time") {
            return get_time(x, &ss->create_time);
        } else if (k == "logon_time") {
            return get_time(x, &ss->logon_time);
        } else if (k == "end_time") {
            return get_time(x, &ss->end_time);
        }
        return true;
    });
    return ok && have_id;
}

static bool read_reg(value v, snap *pool, arena *a, size_t *count)
{
    if (*count >= SNAP_MAX_REGS)
        return false;
    ++*count;
    snap_reg *r = snap_add_reg(pool);
    /* "data" is read before "type" may be known: kept as it came. */
    enum { NONE, NUL, STR, NUM, STRS, OTHER } dk = NONE;
    const char *ds = nullptr;
    double dn = 0;
    const char *const *dv = nullptr;
    uint32_t dvn = 0;
    bool ok = members(v, [&](std::string_view k, value x) {
        if (k == "key")
            return get_str(x, a, &r->key);
        if (k == "name")
            return get_str(x, a, &r->name);
        if (k == "anomaly")
            return get_str(x, a, &r->anomaly);
        if (k == "writer")
            return get_str(x, a, &r->writer);
        if (k == "time")
            return get_time(x, &r->time);
        if (k == "deleted")
            return get_bool(x, &r->deleted);
        if (k == "record")
            return get_rec(x, &r->rec);
        if (k == "type") {
            const char *t;
            if (!get_str(x, a, &t) || !t)
                return false;
            if (!strcmp(t, "REG_SZ"))
                r->type = SNAP_REG_SZ;
            else if (!strcmp(t, "REG_EXPAND_SZ"))
                r->type = SNAP_REG_EXPAND_SZ;
            else if (!strcmp(t, "REG_MULTI_SZ"))
                r->type = SNAP_REG_MULTI_SZ;
            else if (!strcmp(t, "REG_DWORD"))
                r->type = SNAP_REG_DWORD;
            else
                return false;
        } else if (k == "data") {
            std::string_view s;
            enum tok t = kind(x, &s);
            if (t == T_NULL) {
                dk = NUL;
            } else if (t == T_STR || t == T_ESC) {
                if (!string_of(x, t, &s))
                    return false;
                ds = dup(a, s);
                dk = STR;
            } else if (t == T_NUM) {
                if (x.get_double().get(dn))
                    return false;
                dk = NUM;
            } else if (t == T_ARR) {
                dk = get_strings(x, a, &dv, &dvn) ? STRS : OTHER;
            } else {
                dk = OTHER;
            }
        }
        return true;
    });
    if (!ok || !r->key || !r->name || dk == NONE || dk == OTHER)
        return false;
    if (r->type == SNAP_REG_DWORD) {
        if (dk == NUL) {
            r->dword = 0;
            return true;
        }
        if (dk != NUM || !(dn >= 0 && dn <= UINT32_MAX) || dn != (double)(int64_t)dn)
            return false;
        r->dword = (uint32_t)dn;
    } else if (r->type == SNAP_REG_MULTI_SZ) {
        if (dk != STRS)
            return false;
        r->data = dv;
        r->ndata = dvn;
    } else {
        if (dk != STR)
            return false;
        const char **one = static_cast<const char **>(arena_alloc(a, sizeof(char *)));
        one[0] = ds;
        r->data = one;
        r->ndata = 1;
    }
    return true;
}

static bool read_label(value v, snap *s, arena *a)
{
    snap_label *l = snap_add_label(s);
    return members(v, [&](std::string_view k, value x) {
        if (k == "id")
            return get_str(x, a, &l->id);
        if (k == "type")
            return get_str(x, a, &l->type);
        if (k == "technique")
            return get_str(x, a, &l->technique);
        if (k == "description")
            return get_str(x, a, &l->description);
        if (k == "rules")
            return get_strings(x, a, &l->rules, &l->nrules);
        if (k == "target")
            return members(x, [&](std::string_view tk, value t) {
                int64_t n;
                if (tk == "pid") {
                    if (!get_int(t, 0, UINT32_MAX, 0, &n))
                        return false;
                    l->pid = (uint32_t)n;
                    return true;
                }
                if (tk == "create_time")
                    return get_time(t, &l->create_time);
                if (tk == "key")
                    return get_str(t, a, &l->reg_key);
                if (tk == "name")
                    return get_str(t, a, &l->reg_name);
                return true;
            });
        return true;
    });
}

/* The keys read_header reads; false when k is not one of them. */
static bool header_key(std::string_view k, value x, snap *h, bool *ok)
{
    arena *a = &h->arena;
    if (k == "source")
        *ok = get_str(x, a, &h->source);
    else if (k == "file")
        *ok = get_str(x, a, &h->file);
    else if (k == "scenario")
        *ok = get_str(x, a, &h->scenario);
    else if (k == "host")
        *ok = get_str(x, a, &h->host);
    else if (k == "domain")
        *ok = get_str(x, a, &h->domain);
    else if (k == "os")
        *ok = get_str(x, a, &h->os);
    else if (k == "boot_time")
        *ok = get_time(x, &h->boot_time);
    else if (k == "at")
        *ok = get_time(x, &h->at);
    else if (k == "fields") {
        uint32_t f = 0;
        *ok = elements(x, [&](value e) {
            std::string_view s;
            if (!string_of(e, kind(e, &s), &s))
                return false;
            size_t n = strnlen(s.data(), s.size()); /* cJSON compares C strings */
            for (unsigned i = 0; i < ARRAY_SIZE(snap_field_names); i++)
                if (strlen(snap_field_names[i]) == n && !memcmp(s.data(), snap_field_names[i], n))
                    f |= 1u << i;
            return true;
        });
        h->fields = f;
    } else if (k == "seed") {
        double d;
        *ok = is_type(x, json_type::number) && x.get_double().get(d) == SUCCESS && d >= 0 &&
              d <= 18446744073709551616.0;
        if (*ok)
            h->seed = snap_seed_of(d);
    } else if (k == "sessions") {
        *ok = elements(x, [&](value e) { return read_session(e, h, 0, a); });
    } else if (k == "labels") {
        *ok = elements(x, [&](value e) { return read_label(e, h, a); });
    } else {
        return false;
    }
    return true;
}

static sjson_snap *add_snap(struct sjson_doc *d)
{
    XGROW(d->snaps, d->cap_snaps, d->nsnaps + 1);
    sjson_snap *b = &d->snaps[d->nsnaps++];
    memset(b, 0, sizeof(*b));
    b->proc0 = d->pool.nprocs;
    b->reg0 = d->pool.nregs;
    b->sess0 = d->pool.nsessions;
    return b;
}

/* A body key ("processes", "registry") of snapshot b; false when k is not one. */
static bool body_key(std::string_view k, value x, struct sjson_doc *d, sjson_snap *b, bool *ok)
{
    arena *a = &d->hdr.arena;
    if (k == "processes")
        *ok = elements(x, [&](value e) { return read_proc(e, &d->pool, a, &b->nprocs); });
    else if (k == "registry")
        *ok = elements(x, [&](value e) { return read_reg(e, &d->pool, a, &b->nregs); });
    else
        return false;
    return true;
}

/* One element of "snapshots". */
static bool read_snapshot(value v, struct sjson_doc *d)
{
    sjson_snap *b = add_snap(d);
    bool procs = false, seen_sessions = false;
    bool ok = members(v, [&](std::string_view k, value x) {
        bool r = true;
        if (body_key(k, x, d, b, &r)) {
            procs |= k == "processes";
            return r;
        }
        if (k == "at") {
            b->has_at = 1;
            return get_time(x, &b->at);
        }
        if (k == "sessions") {
            /* The first "sessions" decides, as cJSON_GetObjectItem does. */
            if (seen_sessions)
                return false;
            seen_sessions = true;
            if (!is_type(x, json_type::array))
                return true; /* not its own list: ignored */
            b->own_sessions = 1;
            return elements(
                x, [&](value e) { return read_session(e, &d->pool, b->sess0, &d->hdr.arena); });
        }
        return true;
    });
    b->nsess = d->pool.nsessions - b->sess0;
    return ok && procs;
}

static bool read_doc(sjson *j, struct sjson_doc *d)
{
    ondemand::object root;
    if (j->doc.get_object().get(root))
        return false;
    bool first = true, run = false, snaps = false, procs = false;
    sjson_snap *body = nullptr;
    for (auto m : root) {
        ondemand::field fl;
        std::string_view k;
        if (std::move(m).get(fl) || !key_of(fl, &k))
            return false;
        value x = fl.value();
        bool ok = true;
        if (first) {
            /* The schema first, as smsslab writes it: the rest is read as
             * it comes. Anything else is the cJSON reader's. */
            std::string_view s;
            if (k != "schema" || !string_of(x, kind(x, &s), &s))
                return false;
            run = s == SNAP_SCHEMA_RUN || s == SNAP_SCHEMA_RUN_V1;
            d->single = s == SNAP_SCHEMA_SNAPSHOT || s == SNAP_SCHEMA_SNAPSHOT_V1;
            if (!run && !d->single)
                return false;
            if (d->single)
                body = add_snap(d);
            first = false;
            continue;
        }
        if (header_key(k, x, &d->hdr, &ok)) {
            if (!ok)
                return false;
        } else if (d->single && body_key(k, x, d, body, &ok)) {
            procs |= k == "processes";
            if (!ok)
                return false;
        } else if (run && k == "snapshots") {
            if (snaps) /* a second one: cJSON reads the first only */
                return false;
            snaps = true;
            if (!elements(x, [&](value e) { return read_snapshot(e, d); }))
                return false;
        }
    }
    if (first || (run && !snaps) || (d->single && !procs))
        return false;
    /* One document per text: anything after it is the cJSON reader's. */
    const char *rest;
    return j->doc.current_location().get(rest) == OUT_OF_BOUNDS;
}

extern "C" void sjson_doc_init(struct sjson_doc *d)
{
    memset(d, 0, sizeof(*d));
    snap_init(&d->hdr);
    snap_init(&d->pool);
}

extern "C" void sjson_doc_release(struct sjson_doc *d)
{
    snap_release(&d->hdr);
    snap_release(&d->pool);
    free(d->snaps);
    memset(d, 0, sizeof(*d));
}

extern "C" int sjson_read_doc(struct sjson *j, const char *buf, size_t len, size_t cap,
                              struct sjson_doc *d)
{
    snap_reset(&d->hdr);
    snap_reset(&d->pool);
    d->hdr.fields = SNAP_F_ALL;
    d->nsnaps = 0;
    d->single = 0;
    try {
        return start(j, buf, len, cap) && read_doc(j, d) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

/* ---- NXLog lines -------------------------------------------------------- */

/* The keys rd_json_classify looks at before NXLog's, and NXLog's own. */
static const unsigned K_PID = 1 << 0, K_PPID = 1 << 1, K_IMAGEFILENAME = 1 << 2,
                      K_PROCESSID = 1 << 3, K_PARENTPROCESSID = 1 << 4, K_CREATIONDATE = 1 << 5,
                      K_EXECUTABLEPATH = 1 << 6, K_EVENTID = 1 << 7, K_SOURCENAME = 1 << 8,
                      K_CHANNEL = 1 << 9, K_SCHEMA = 1 << 10;

static unsigned key_bit(std::string_view k)
{
    switch (k.size() ? k[0] : 0) {
    case 'C': return k == "Channel" ? K_CHANNEL : k == "CreationDate" ? K_CREATIONDATE : 0;
    case 'E': return k == "EventID" ? K_EVENTID : k == "ExecutablePath" ? K_EXECUTABLEPATH : 0;
    case 'I': return k == "ImageFileName" ? K_IMAGEFILENAME : 0;
    case 'P':
        return k == "PID"               ? K_PID
               : k == "PPID"            ? K_PPID
               : k == "ProcessId"       ? K_PROCESSID
               : k == "ParentProcessId" ? K_PARENTPROCESSID
                                        : 0;
    case 'S': return k == "SourceName" ? K_SOURCENAME : 0;
    case 's': return k == "schema" ? K_SCHEMA : 0;
    }
    return 0;
}

/* key_bit on a key as it stands in the text, its closing quote included:
 * exact when the line has no \u escape (no other escape makes a letter);
 * the padding keeps the longest compare inside the buffer. */
static unsigned raw_key_bit(const char *p)
{
#define RK(lit, bit) (!memcmp(p, lit "\"", sizeof(lit)) ? (bit) : 0u)
    switch (p[0]) {
    case 'C': return RK("Channel", K_CHANNEL) | RK("CreationDate", K_CREATIONDATE);
    case 'E': return RK("EventID", K_EVENTID) | RK("ExecutablePath", K_EXECUTABLEPATH);
    case 'I': return RK("ImageFileName", K_IMAGEFILENAME);
    case 'P':
        return RK("PID", K_PID) | RK("PPID", K_PPID) | RK("ProcessId", K_PROCESSID) |
               RK("ParentProcessId", K_PARENTPROCESSID);
    case 'S': return RK("SourceName", K_SOURCENAME);
    case 's': return RK("schema", K_SCHEMA);
    }
    return 0;
#undef RK
}

/* A scalar member into kv; objects and arrays are only skipped. */
static bool scalar(value x, sjson_kv *kv)
{
    std::string_view s;
    enum tok t = kind(x, &s);
    kv->cstr = nullptr;
    switch (t) {
    case T_STR:
    case T_ESC:
        if (!string_of(x, t, &s))
            return false;
        kv->type = SJSON_STRING;
        kv->s = s.data();
        kv->slen = s.size();
        return true;
    case T_NUM: kv->type = SJSON_NUMBER; return x.get_double().get(kv->d) == SUCCESS;
    case T_TRUE:
    case T_FALSE: kv->type = SJSON_BOOL; return true;
    case T_NULL: kv->type = SJSON_NULL; return true;
    case T_OBJ:
    case T_ARR: kv->type = SJSON_OTHER; return true;
    default: return false;
    }
}

extern "C" enum sjson_line sjson_line_kind(struct sjson *j, const char *buf, size_t len, size_t cap,
                                           struct sjson_kv *eventid)
{
    try {
        ondemand::object root;
        if (!start(j, buf, len, cap) || j->doc.get_object().get(root))
            return SJSON_LINE_OTHER;
        unsigned seen = 0;
        bool have_id = false;
        for (auto m : root) {
            ondemand::field fl;
            std::string_view k;
            if (std::move(m).get(fl))
                return SJSON_LINE_OTHER;
            const char *raw = fl.key().raw(), *q = raw;
            unsigned bit = raw_key_bit(raw);
            if (!bit) {
                while (*q != '"' && *q != '\\' && *q)
                    q++;
                if (*q != '"') {
                    if (!key_of(fl, &k))
                        return SJSON_LINE_OTHER;
                    bit = key_bit(k);
                }
            }
            if (bit & K_SCHEMA)
                return SJSON_LINE_OTHER;        /* perhaps smsslab's own document: cJSON says */
            if (bit == K_EVENTID && !have_id) { /* the first EventID, as cJSON finds it */
                have_id = true;
                eventid->key = "EventID";
                eventid->klen = 7;
                if (!scalar(fl.value(), eventid))
                    return SJSON_LINE_OTHER;
            }
            seen |= bit;
        }
        const char *rest;
        if (j->doc.current_location().get(rest) != OUT_OF_BOUNDS)
            return SJSON_LINE_OTHER;
        if ((seen & (K_PID | K_PPID | K_IMAGEFILENAME)) == (K_PID | K_PPID | K_IMAGEFILENAME))
            return SJSON_LINE_OTHER; /* Volatility 3 */
        if ((seen & (K_PROCESSID | K_PARENTPROCESSID)) == (K_PROCESSID | K_PARENTPROCESSID) &&
            (seen & (K_CREATIONDATE | K_EXECUTABLEPATH)))
            return SJSON_LINE_OTHER; /* Win32_Process */
        if ((seen & K_EVENTID) && (seen & (K_SOURCENAME | K_CHANNEL)))
            return SJSON_LINE_NXLOG;
        return SJSON_LINE_OTHER;
    } catch (...) {
        return SJSON_LINE_OTHER;
    }
}

extern "C" int sjson_line_fields(struct sjson *j, struct sjson_kv **kv, size_t *n)
{
    try {
        ondemand::object root;
        if (j->doc.rewind(), j->doc.get_object().get(root))
            return -1;
        j->kv.clear();
        for (auto m : root) {
            ondemand::field fl;
            std::string_view k;
            if (std::move(m).get(fl) || !key_of(fl, &k))
                return -1;
            sjson_kv e;
            e.key = k.data();
            e.klen = k.size();
            if (!scalar(fl.value(), &e))
                return -1;
            j->kv.push_back(e);
        }
        *kv = j->kv.data();
        *n = j->kv.size();
        return 0;
    } catch (...) {
        return -1;
    }
}
