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
    std::vector<const char *> strings; /* get_strings' list, kept for its capacity */
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

/* What a value is, from its raw token (simdjson's raw token runs to the
 * next structural character, so a string token holds the whole string,
 * its closing quote and the blanks after it). Literals are checked whole:
 * simdjson's first pass only found where they start. */
enum tok { T_STR, T_ESC, T_NUM, T_TRUE, T_FALSE, T_NULL, T_OBJ, T_ARR, T_BAD };

static bool only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

/* t is the literal w, then blanks only. */
template <size_t N> static bool word(std::string_view t, const char (&w)[N])
{
    return t.size() >= N - 1 && !memcmp(t.data(), w, N - 1) &&
           only_space(t.data() + N - 1, t.data() + t.size());
}

/* T_STR for any string: the reader below unescapes every string anyway.
 * (simdjson_inline, simdjson's forced inlining, marks the few helpers every
 * field goes through: called from many places, they were not inlined, and
 * each call cost about as much as its work.) */
static simdjson_inline enum tok type_of(std::string_view t)
{
    if (t.empty())
        return T_BAD;
    switch (t[0]) {
    case '"': return T_STR;
    case '{': return T_OBJ;
    case '[': return T_ARR;
    case 't': return word(t, "true") ? T_TRUE : T_BAD;
    case 'f': return word(t, "false") ? T_FALSE : T_BAD;
    case 'n': return word(t, "null") ? T_NULL : T_BAD;
    default: return (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')) ? T_NUM : T_BAD;
    }
}

/* For the NXLog lines, which keep strings in place where they can: a
 * string without escapes is returned as it stands (*s); T_ESC strings go
 * through simdjson's unescaping. */
static enum tok kind(value &v, std::string_view *s)
{
    std::string_view t = v.raw_json_token();
    enum tok k = type_of(t);
    if (k != T_STR)
        return k;
    /* Without a backslash in the token, its last quote closes the string. */
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

/* ---- run and snapshot documents ----------------------------------------- */

/* What reading one document carries: simdjson's unescaper, the arena for
 * arrays of strings, and the document's string buffer (sjson_doc.strs). */
struct rd {
    const ondemand::parser &parser;
    arena *a;
    std::vector<const char *> &strings;
    uint8_t *str, *end; /* the buffer's next free byte, its end */
};

/* A string value (its raw token t), NUL-terminated in the string buffer:
 * unescaped by simdjson straight into it (the one copy; it also finds the
 * closing quote). *s may run past an escaped NUL, where the C string ends;
 * str_of cuts it there. */
static simdjson_inline bool str_in(rd &c, std::string_view t, std::string_view *s)
{
    if (t.empty() || t[0] != '"')
        return false;
    /* simdjson writes in blocks past the string's end: its padding must fit.
     * The buffer is the text's size plus that, and no string grows when
     * unescaped, so this only fails on a string read twice (never). */
    if ((size_t)(c.end - c.str) < t.size() + SIMDJSON_PADDING)
        return false;
    ondemand::raw_json_string raw(reinterpret_cast<const uint8_t *>(t.data()) + 1);
    if (c.parser.unescape(raw, c.str).get(*s))
        return false;
    *c.str++ = '\0';
    return true;
}

/* The string as cJSON holds it: up to an escaped NUL. */
static simdjson_inline bool str_of(rd &c, std::string_view t, std::string_view *s)
{
    if (!str_in(c, t, s))
        return false;
    /* Only an escape makes a string shorter than its token ("..." and no
     * blank after it); only an escape makes a NUL (the first pass rejects a
     * raw one). */
    if (s->size() + 2 != t.size())
        *s = cname(*s);
    return true;
}

/* Is t null (*null)? False when it only starts like null. */
static bool null_or(std::string_view t, bool *null)
{
    *null = !t.empty() && t[0] == 'n';
    return !*null || word(t, "null");
}

/* A string or null; strings stay in the string buffer. */
static simdjson_inline bool get_str(rd &c, value v, const char **out)
{
    std::string_view t = v.raw_json_token(), s;
    bool null;
    if (!null_or(t, &null))
        return false;
    if (null) {
        *out = nullptr;
        return true;
    }
    /* Only the length is checked, as cJSON's: cut at an escaped NUL only
     * when it matters (the scan costs a few percent of reading). */
    if (!str_in(c, t, &s) || (s.size() > SNAP_MAX_STRING && cname(s).size() > SNAP_MAX_STRING))
        return false;
    *out = s.data();
    return true;
}

static simdjson_inline bool get_time(rd &c, value v, int64_t *out)
{
    std::string_view t = v.raw_json_token(), s;
    bool null;
    if (!null_or(t, &null))
        return false;
    if (null) {
        *out = WT_NONE;
        return true;
    }
    /* Most times are plain: the token is the quoted text, no blank after
     * it. Such text is parsed as it stands, in a NUL-terminated copy (of a
     * fixed size: the input is padded); text that parses has no escape (a
     * backslash is no character of a time), so it is the string. Anything
     * else is unescaped first. */
    if (t.size() >= 2 && t.size() - 2 < 64 && t[0] == '"' && t.back() == '"') {
        char b[65];
        memcpy(b, t.data() + 1, 64);
        b[t.size() - 2] = '\0';
        if (wt_parse_iso(b, out) >= 0)
            return true;
    }
    uint8_t *mark = c.str;
    bool ok = str_of(c, t, &s) && s.size() < 64 && wt_parse_iso(s.data(), out) >= 0;
    c.str = mark; /* the time is kept, not its text */
    return ok;
}

static bool get_int(value v, int64_t lo, int64_t hi, int64_t none, int64_t *out)
{
    std::string_view t = v.raw_json_token();
    bool null;
    if (!null_or(t, &null))
        return false;
    if (null) {
        *out = none;
        return true;
    }
    if (type_of(t) != T_NUM)
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
    enum tok k = type_of(v.raw_json_token());
    if (k != T_TRUE && k != T_FALSE)
        return false;
    *out = k == T_TRUE;
    return true;
}

/* Every key the readers below look at, as one code: each member's key is
 * matched once, and each reader switches on the code. */
// clang-format off
enum key {
    K_OTHER,
    K_anomaly, K_at, K_base_priority, K_boot_time, K_command_line, K_create_time, K_cwd,
    K_data, K_deleted, K_description, K_domain, K_end_time, K_exit_recorded, K_exit_time,
    K_fields, K_file, K_guid, K_host, K_id, K_image, K_integrity, K_key, K_kind, K_labels,
    K_line, K_logon_id, K_logon_time, K_name, K_os, K_parent_create_time, K_parent_guid,
    K_pid, K_ppid, K_processes, K_record, K_registry, K_rules, K_scenario, K_schema, K_seed,
    K_seen_as_parent, K_session, K_sessions, K_sid, K_snapshots, K_source, K_target,
    K_technique, K_time, K_type, K_user, K_writer,
};
// clang-format on

/* p[0, n) is lit; each case below has n == N - 1, so this compiles to a
 * compare of a few words. */
template <size_t N> static bool is(const char *p, const char (&lit)[N])
{
    return !memcmp(p, lit, N - 1);
}

/* The code of the key p[0, n): by its length, then its first letter. */
static enum key key_code(const char *p, size_t n)
{
    switch (n) {
    case 2: return is(p, "at") ? K_at : is(p, "id") ? K_id : is(p, "os") ? K_os : K_OTHER;
    case 3:
        return is(p, "pid")   ? K_pid
               : is(p, "sid") ? K_sid
               : is(p, "cwd") ? K_cwd
               : is(p, "key") ? K_key
                              : K_OTHER;
    case 4:
        switch (p[0]) {
        case 'd': return is(p, "data") ? K_data : K_OTHER;
        case 'f': return is(p, "file") ? K_file : K_OTHER;
        case 'g': return is(p, "guid") ? K_guid : K_OTHER;
        case 'h': return is(p, "host") ? K_host : K_OTHER;
        case 'k': return is(p, "kind") ? K_kind : K_OTHER;
        case 'l': return is(p, "line") ? K_line : K_OTHER;
        case 'n': return is(p, "name") ? K_name : K_OTHER;
        case 'p': return is(p, "ppid") ? K_ppid : K_OTHER;
        case 's': return is(p, "seed") ? K_seed : K_OTHER;
        case 't': return is(p, "type") ? K_type : is(p, "time") ? K_time : K_OTHER;
        case 'u': return is(p, "user") ? K_user : K_OTHER;
        }
        return K_OTHER;
    case 5: return is(p, "image") ? K_image : is(p, "rules") ? K_rules : K_OTHER;
    case 6:
        switch (p[0]) {
        case 'd': return is(p, "domain") ? K_domain : K_OTHER;
        case 'f': return is(p, "fields") ? K_fields : K_OTHER;
        case 'l': return is(p, "labels") ? K_labels : K_OTHER;
        case 'r': return is(p, "record") ? K_record : K_OTHER;
        case 's': return is(p, "schema") ? K_schema : is(p, "source") ? K_source : K_OTHER;
        case 't': return is(p, "target") ? K_target : K_OTHER;
        case 'w': return is(p, "writer") ? K_writer : K_OTHER;
        }
        return K_OTHER;
    case 7:
        return is(p, "anomaly")   ? K_anomaly
               : is(p, "session") ? K_session
               : is(p, "deleted") ? K_deleted
                                  : K_OTHER;
    case 8:
        switch (p[0]) {
        case 'e': return is(p, "end_time") ? K_end_time : K_OTHER;
        case 'l': return is(p, "logon_id") ? K_logon_id : K_OTHER;
        case 'r': return is(p, "registry") ? K_registry : K_OTHER;
        case 's': return is(p, "sessions") ? K_sessions : is(p, "scenario") ? K_scenario : K_OTHER;
        }
        return K_OTHER;
    case 9:
        switch (p[0]) {
        case 'b': return is(p, "boot_time") ? K_boot_time : K_OTHER;
        case 'e': return is(p, "exit_time") ? K_exit_time : K_OTHER;
        case 'i': return is(p, "integrity") ? K_integrity : K_OTHER;
        case 'p': return is(p, "processes") ? K_processes : K_OTHER;
        case 's': return is(p, "snapshots") ? K_snapshots : K_OTHER;
        case 't': return is(p, "technique") ? K_technique : K_OTHER;
        }
        return K_OTHER;
    case 10: return is(p, "logon_time") ? K_logon_time : K_OTHER;
    case 11:
        return is(p, "create_time")   ? K_create_time
               : is(p, "parent_guid") ? K_parent_guid
               : is(p, "description") ? K_description
                                      : K_OTHER;
    case 12: return is(p, "command_line") ? K_command_line : K_OTHER;
    case 13:
        return is(p, "base_priority")   ? K_base_priority
               : is(p, "exit_recorded") ? K_exit_recorded
                                        : K_OTHER;
    case 14: return is(p, "seen_as_parent") ? K_seen_as_parent : K_OTHER;
    case 18: return is(p, "parent_create_time") ? K_parent_create_time : K_OTHER;
    }
    return K_OTHER;
}

/* A key with an escape, unescaped by simdjson (up to an escaped NUL, as
 * cJSON's C string ends). */
static bool escaped_key(ondemand::field &fl, enum key *k)
{
    std::string_view u;
    if (fl.unescaped_key().get(u))
        return false;
    u = cname(u);
    *k = key_code(u.data(), u.size());
    return true;
}

/* A member's key as cJSON compares it, as its code. No key above has an
 * escape, so the raw key decides unless it has one. */
static simdjson_inline bool key_of(ondemand::field &fl, enum key *k)
{
    /* The raw key runs to its closing quote, the first quote before the
     * colon (only blanks lie between): found from the value's side, it
     * costs no scan of the key. */
    const char *p = fl.key().raw(), *q = fl.value().raw_json_token().data();
    while (*--q != ':')
        ;
    while (*--q != '"')
        ;
    size_t n = (size_t)(q - p);
    *k = key_code(p, n);
    return *k != K_OTHER || !memchr(p, '\\', n) || escaped_key(fl, k);
}

/* The members of an object; f(key, value) returns false to give up. */
template <class F> static bool members(value v, F f)
{
    ondemand::object o;
    if (type_of(v.raw_json_token()) != T_OBJ || v.get_object().get(o))
        return false;
    for (auto m : o) {
        ondemand::field fl;
        enum key k;
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
    if (type_of(v.raw_json_token()) != T_ARR || v.get_array().get(a))
        return false;
    for (auto e : a) {
        value x;
        if (e.get(x) || !f(x))
            return false;
    }
    return true;
}

/* An array of at most 4096 strings (read_strings). */
static bool get_strings(rd &c, value v, const char *const **out, uint32_t *n)
{
    std::vector<const char *> &tmp = c.strings;
    tmp.clear();
    bool ok = elements(v, [&](value x) {
        std::string_view s;
        if (!str_in(c, x.raw_json_token(), &s) || tmp.size() >= 4096)
            return false;
        tmp.push_back(s.data());
        return true;
    });
    if (!ok)
        return false;
    const char **arr = static_cast<const char **>(
        arena_alloc(c.a, (tmp.empty() ? 1 : tmp.size()) * sizeof(char *)));
    if (!tmp.empty()) /* data() may be null */
        memcpy(arr, tmp.data(), tmp.size() * sizeof(char *));
    *out = arr;
    *n = (uint32_t)tmp.size();
    return true;
}

static bool get_rec(value v, snap_rec *out)
{
    if (type_of(v.raw_json_token()) == T_NULL)
        return true;
    return members(v, [&](enum key k, value x) {
        int64_t n;
        if (k != K_id && k != K_line)
            return true;
        if (!get_int(x, 0, (int64_t)1 << 53, 0, &n))
            return false;
        (k == K_id ? out->id : out->line) = (uint64_t)n;
        return true;
    });
}

/* ---- the model ---------------------------------------------------------- */

static bool read_proc(rd &c, value v, snap *pool, size_t *count)
{
    if (*count >= SNAP_MAX_PROCS)
        return false;
    ++*count;
    snap_proc *p = snap_add_proc(pool);
    bool have_pid = false;
    bool ok = members(v, [&](enum key k, value x) {
        int64_t n;
        switch (k) {
        case K_pid:
            if (!get_int(x, 0, UINT32_MAX, -1, &n) || n < 0)
                return false;
            p->pid = (uint32_t)n;
            have_pid = true;
            return true;
        case K_ppid:
            if (!get_int(x, 0, UINT32_MAX, 0, &n))
                return false;
            p->ppid = (uint32_t)n;
            return true;
        case K_name: return get_str(c, x, &p->name);
        case K_image: return get_str(c, x, &p->image);
        case K_command_line: return get_str(c, x, &p->command_line);
        case K_create_time: return get_time(c, x, &p->create_time);
        case K_exit_time: return get_time(c, x, &p->exit_time);
        case K_parent_create_time: return get_time(c, x, &p->parent_create_time);
        case K_session:
            if (!get_int(x, 0, INT32_MAX, SNAP_NO_SESSION, &n))
                return false;
            p->session = (int32_t)n;
            return true;
        case K_base_priority:
            if (!get_int(x, 0, 31, SNAP_NO_PRIORITY, &n))
                return false;
            p->base_priority = (int32_t)n;
            return true;
        case K_user: return get_str(c, x, &p->user);
        case K_sid: return get_str(c, x, &p->sid);
        case K_integrity: return get_str(c, x, &p->integrity);
        case K_cwd: return get_str(c, x, &p->cwd);
        case K_guid: return get_str(c, x, &p->guid);
        case K_parent_guid: return get_str(c, x, &p->parent_guid);
        case K_anomaly: return get_str(c, x, &p->anomaly);
        case K_logon_id: {
            const char *s;
            if (!get_str(c, x, &s))
                return false;
            return !s || snap_parse_logon_id(s, &p->logon_id) == 0;
        }
        case K_exit_recorded: {
            uint8_t b = 1;
            if (!get_bool(x, &b))
                return false;
            p->exit_unrecorded = !b;
            return true;
        }
        case K_seen_as_parent: return get_bool(x, &p->seen_as_parent);
        case K_record: return get_rec(x, &p->rec);
        default: return true; /* unknown keys are allowed (newer minor versions) */
        }
    });
    return ok && have_pid;
}

/* base: where this list starts in s (the limit is per list). */
static bool read_session(rd &c, value v, snap *s, size_t base)
{
    if (s->nsessions - base >= SNAP_MAX_SESSIONS)
        return false;
    struct snap_session *ss = snap_add_session(s);
    bool have_id = false;
    bool ok = members(v, [&](enum key k, value x) {
        int64_t n;
        switch (k) {
        case K_id:
            if (!get_int(x, 0, INT32_MAX, -1, &n) || n < 0)
                return false;
            ss->id = (int32_t)n;
            have_id = true;
            return true;
        case K_kind: return get_str(c, x, &ss->kind);
        case K_user: return get_str(c, x, &ss->user);
        case K_create_time: return get_time(c, x, &ss->create_time);
        case K_logon_time: return get_time(c, x, &ss->logon_time);
        case K_end_time: return get_time(c, x, &ss->end_time);
        default: return true;
        }
    });
    return ok && have_id;
}

static bool read_reg(rd &c, value v, snap *pool, size_t *count)
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
    bool ok = members(v, [&](enum key k, value x) {
        switch (k) {
        case K_key: return get_str(c, x, &r->key);
        case K_name: return get_str(c, x, &r->name);
        case K_anomaly: return get_str(c, x, &r->anomaly);
        case K_writer: return get_str(c, x, &r->writer);
        case K_time: return get_time(c, x, &r->time);
        case K_deleted: return get_bool(x, &r->deleted);
        case K_record: return get_rec(x, &r->rec);
        case K_type: {
            const char *t;
            if (!get_str(c, x, &t) || !t)
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
            return true;
        }
        case K_data: {
            std::string_view t = x.raw_json_token(), s;
            switch (type_of(t)) {
            case T_NULL: dk = NUL; return true;
            case T_STR:
                if (!str_in(c, t, &s))
                    return false;
                ds = s.data();
                dk = STR;
                return true;
            case T_NUM:
                if (x.get_double().get(dn))
                    return false;
                dk = NUM;
                return true;
            case T_ARR: dk = get_strings(c, x, &dv, &dvn) ? STRS : OTHER; return true;
            default: dk = OTHER; return true;
            }
        }
        default: return true;
        }
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
        const char **one = static_cast<const char **>(arena_alloc(c.a, sizeof(char *)));
        one[0] = ds;
        r->data = one;
        r->ndata = 1;
    }
    return true;
}

static bool read_label(rd &c, value v, snap *s)
{
    snap_label *l = snap_add_label(s);
    return members(v, [&](enum key k, value x) {
        switch (k) {
        case K_id: return get_str(c, x, &l->id);
        case K_type: return get_str(c, x, &l->type);
        case K_technique: return get_str(c, x, &l->technique);
        case K_description: return get_str(c, x, &l->description);
        case K_rules: return get_strings(c, x, &l->rules, &l->nrules);
        case K_target:
            return members(x, [&](enum key tk, value t) {
                int64_t n;
                switch (tk) {
                case K_pid:
                    if (!get_int(t, 0, UINT32_MAX, 0, &n))
                        return false;
                    l->pid = (uint32_t)n;
                    return true;
                case K_create_time: return get_time(c, t, &l->create_time);
                case K_key: return get_str(c, t, &l->reg_key);
                case K_name: return get_str(c, t, &l->reg_name);
                default: return true;
                }
            });
        default: return true;
        }
    });
}

/* The keys read_header reads; false when k is not one of them. */
static bool header_key(rd &c, enum key k, value x, snap *h, bool *ok)
{
    switch (k) {
    case K_source: *ok = get_str(c, x, &h->source); return true;
    case K_file: *ok = get_str(c, x, &h->file); return true;
    case K_scenario: *ok = get_str(c, x, &h->scenario); return true;
    case K_host: *ok = get_str(c, x, &h->host); return true;
    case K_domain: *ok = get_str(c, x, &h->domain); return true;
    case K_os: *ok = get_str(c, x, &h->os); return true;
    case K_boot_time: *ok = get_time(c, x, &h->boot_time); return true;
    case K_at: *ok = get_time(c, x, &h->at); return true;
    case K_fields: {
        uint32_t f = 0;
        *ok = elements(x, [&](value e) {
            std::string_view s;
            uint8_t *mark = c.str;
            if (!str_of(c, e.raw_json_token(), &s))
                return false;
            c.str = mark; /* only compared */
            for (unsigned i = 0; i < ARRAY_SIZE(snap_field_names); i++)
                if (s == snap_field_names[i])
                    f |= 1u << i;
            return true;
        });
        h->fields = f;
        return true;
    }
    case K_seed: {
        double d;
        *ok = type_of(x.raw_json_token()) == T_NUM && x.get_double().get(d) == SUCCESS && d >= 0 &&
              d <= 18446744073709551616.0;
        if (*ok)
            h->seed = snap_seed_of(d);
        return true;
    }
    case K_sessions:
        *ok = elements(x, [&](value e) { return read_session(c, e, h, 0); });
        return true;
    case K_labels: *ok = elements(x, [&](value e) { return read_label(c, e, h); }); return true;
    default: return false;
    }
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
static bool body_key(rd &c, enum key k, value x, struct sjson_doc *d, sjson_snap *b, bool *ok)
{
    if (k == K_processes)
        *ok = elements(x, [&](value e) { return read_proc(c, e, &d->pool, &b->nprocs); });
    else if (k == K_registry)
        *ok = elements(x, [&](value e) { return read_reg(c, e, &d->pool, &b->nregs); });
    else
        return false;
    return true;
}

/* One element of "snapshots". */
static bool read_snapshot(rd &c, value v, struct sjson_doc *d)
{
    sjson_snap *b = add_snap(d);
    bool procs = false, seen_sessions = false;
    bool ok = members(v, [&](enum key k, value x) {
        bool r = true;
        if (body_key(c, k, x, d, b, &r)) {
            procs |= k == K_processes;
            return r;
        }
        if (k == K_at) {
            b->has_at = 1;
            return get_time(c, x, &b->at);
        }
        if (k == K_sessions) {
            /* The first "sessions" decides, as cJSON_GetObjectItem does. */
            if (seen_sessions)
                return false;
            seen_sessions = true;
            if (type_of(x.raw_json_token()) != T_ARR)
                return true; /* not its own list: ignored */
            b->own_sessions = 1;
            return elements(x, [&](value e) { return read_session(c, e, &d->pool, b->sess0); });
        }
        return true;
    });
    b->nsess = d->pool.nsessions - b->sess0;
    return ok && procs;
}

static bool read_doc(sjson *j, struct sjson_doc *d, rd &c)
{
    ondemand::object root;
    if (j->doc.get_object().get(root))
        return false;
    bool first = true, run = false, snaps = false, procs = false;
    sjson_snap *body = nullptr;
    for (auto m : root) {
        ondemand::field fl;
        enum key k;
        if (std::move(m).get(fl) || !key_of(fl, &k))
            return false;
        value x = fl.value();
        bool ok = true;
        if (first) {
            /* The schema first, as smsslab writes it: the rest is read as
             * it comes. Anything else is the cJSON reader's. */
            std::string_view s;
            if (k != K_schema || !str_of(c, x.raw_json_token(), &s))
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
        if (header_key(c, k, x, &d->hdr, &ok)) {
            if (!ok)
                return false;
        } else if (d->single && body_key(c, k, x, d, body, &ok)) {
            procs |= k == K_processes;
            if (!ok)
                return false;
        } else if (run && k == K_snapshots) {
            if (snaps) /* a second one: cJSON reads the first only */
                return false;
            snaps = true;
            if (!elements(x, [&](value e) { return read_snapshot(c, e, d); }))
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
    free(d->strs);
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
        if (!start(j, buf, len, cap))
            return 0;
        /* Room for every string of the text, unescaped, and simdjson's
         * overrun past the last one. */
        if (d->cap_strs < len + SIMDJSON_PADDING) {
            free(d->strs);
            d->cap_strs = len + SIMDJSON_PADDING;
            d->strs = static_cast<char *>(xmalloc(d->cap_strs));
        }
        uint8_t *s = reinterpret_cast<uint8_t *>(d->strs);
        rd c{j->parser, &d->hdr.arena, j->strings, s, s + d->cap_strs};
        return read_doc(j, d, c) ? 1 : 0;
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
