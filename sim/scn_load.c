/*
 * scn_load: the scenario loader. It pulls libyaml *events* (never the
 * document loader, which costs ~15x the input in memory) and walks them with
 * one handler table per mapping, in the manner of netplan's parse.c: each
 * key names its handler, unknown keys fail at their own line:column with the
 * list of valid keys, and every value is checked for type, range and length
 * as it streams past. Hostile input is stopped early and cheaply: anchors and
 * aliases are refused outright (an alias bomb cannot expand), nesting is
 * counted per event and capped at SCN_MAX_DEPTH (libyaml 0.2.5 has no limit
 * and is quadratic in depth), and every list and string has a hard limit, so
 * memory stays within the input size plus a constant.
 *
 * Messages are "file:line:col: message" with 1-based positions (libyaml's
 * marks are 0-based). Nothing here prints or exits.
 */
#include "scn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../core/wtime.h"
#include "anomaly.h"
#include "profile.h"

/* scenarios/default.yaml, compiled in by the Makefile (scripts/embed.sh). */
extern const char scn_default_yaml[];
extern const unsigned long scn_default_yaml_len;

#define QUOTE_MAX 48 /* bytes of a quoted subject shown in a message */

struct sess_locs {
    struct scn_loc connect, logon, logoff;
};

struct ctx {
    yaml_parser_t p;
    struct scn *sc;
    struct err *e;
    const char *file;
    const unsigned char *buf;
    size_t len;
    int depth;
    size_t cap_sessions, cap_regs, cap_anomalies, cap_events, reg_items;
    int console_seen;
    struct scn_loc console_loc;
    /* Positions kept for the checks that need the whole file (a `duration`
     * may come after the times it bounds). */
    struct scn_loc duration_loc, boot_loc, events_loc;
    struct sess_locs sloc[SCN_MAX_SESSIONS + 1];
    struct scn_loc snap_loc[SCN_MAX_SNAPSHOTS];
    char quoted[2][256]; /* QUOTE_MAX bytes, each up to 4 when escaped, and "..." */
};

/* ---- errors ---- */

static struct scn_loc loc_of(const yaml_mark_t *m)
{
    struct scn_loc l = {(int)m->line + 1, (int)m->column + 1};
    return l;
}

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *c, struct scn_loc at,
                                                      const char *fmt, ...)
{
    char msg[sizeof(c->e->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err_set(c->e, "%s:%d:%d: %s", c->file, at.line, at.col, msg);
    return -1;
}

/* A subject for a message: control characters and quotes escaped, cut at a
 * character boundary, so hostile bytes cannot garble the terminal. */
static const char *quote(struct ctx *c, int slot, const char *s, size_t n)
{
    char *o = c->quoted[slot];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (k >= QUOTE_MAX * 4 || (i >= QUOTE_MAX && (ch & 0xc0) != 0x80)) {
            memcpy(o + k, "...", 3);
            k += 3;
            break;
        }
        if (ch < 0x20 || ch == 0x7f || ch == '\'') {
            static const char hex[] = "0123456789abcdef";
            o[k++] = '\\';
            o[k++] = 'x';
            o[k++] = hex[ch >> 4];
            o[k++] = hex[ch & 15];
        } else {
            o[k++] = (char)ch;
        }
    }
    o[k] = '\0';
    return o;
}

static const char *qs(struct ctx *c, int slot, const char *s)
{
    return quote(c, slot, s, strlen(s));
}

static const char *qv(struct ctx *c, int slot, const yaml_event_t *ev)
{
    return quote(c, slot, (const char *)ev->data.scalar.value, ev->data.scalar.length);
}

/* Reader errors carry a byte offset, not a mark: count lines and characters. */
static struct scn_loc loc_of_offset(const struct ctx *c, size_t off)
{
    struct scn_loc l = {1, 1};
    for (size_t i = 0; i < off && i < c->len; i++) {
        unsigned char ch = c->buf[i];
        if (ch == '\n' || (ch == '\r' && (i + 1 >= c->len || c->buf[i + 1] != '\n'))) {
            l.line++;
            l.col = 1;
        } else if (ch != '\r' && (ch & 0xc0) != 0x80) {
            l.col++;
        }
    }
    return l;
}

/* The byte at a 1-based line:column (columns count characters), or -1. */
static int byte_at(const struct ctx *c, struct scn_loc at)
{
    size_t i = 0;
    for (int line = 1; line < at.line; line++) {
        const unsigned char *nl = memchr(c->buf + i, '\n', c->len - i);
        if (!nl)
            return -1;
        i = (size_t)(nl - c->buf) + 1;
    }
    for (int col = 1; i < c->len; i++)
        if ((c->buf[i] & 0xc0) != 0x80 && col++ == at.col)
            return c->buf[i];
    return -1;
}

static int yaml_fail(struct ctx *c)
{
    const yaml_parser_t *p = &c->p;
    switch (p->error) {
    case YAML_READER_ERROR: {
        struct scn_loc at = loc_of_offset(c, p->problem_offset);
        if (p->problem_value == 0)
            return fail(c, at, "NUL byte in the input: a scenario is UTF-8 text");
        if (p->problem_value >= 0x80 && p->problem_offset < c->len &&
            (!strcmp(p->problem, "invalid Unicode character") ||
             !strcmp(p->problem, "control characters are not allowed"))) {
            /* libyaml's value is the code point here, not a byte: show both
             * (ED A0 80, a UTF-16 surrogate, is U+D800). */
            const unsigned char *b = c->buf + p->problem_offset;
            size_t k = b[0] >= 0xf0 ? 4 : b[0] >= 0xe0 ? 3 : 2;
            if (k > c->len - p->problem_offset)
                k = c->len - p->problem_offset;
            char hex[16] = "";
            for (size_t i = 0, at_hex = 0; i < k; i++, at_hex = strlen(hex))
                snprintf(hex + at_hex, sizeof(hex) - at_hex, "%s%02X", i ? " " : "", b[i]);
            return fail(c, at, "%s (U+%04X, bytes %s): a scenario is UTF-8 text", p->problem,
                        (unsigned)p->problem_value, hex);
        }
        if (p->problem_value != -1)
            return fail(c, at, "%s (byte 0x%02x): a scenario is UTF-8 text", p->problem,
                        (unsigned)p->problem_value & 0xff);
        return fail(c, at, "%s: a scenario is UTF-8 text", p->problem);
    }
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR: {
        struct scn_loc at = loc_of(&p->problem_mark);
        struct scn_loc from = loc_of(&p->context_mark);
        const char *hint = byte_at(c, at) == '\t' ? ": tabs cannot indent YAML, use spaces" : "";
        /* libyaml gives up on a key 1024 characters from its start with
         * "could not find expected ':'" far to the right: name the cause. */
        if (p->context && !strcmp(p->context, "while scanning a simple key") &&
            from.line == at.line && at.col - from.col > 1024)
            return fail(c, from,
                        "a key of over 1024 characters: YAML allows keys of at most 1024 "
                        "characters (scenario keys are short names such as 'name')");
        if (!p->context)
            return fail(c, at, "yaml syntax: %s%s", p->problem, hint);
        if (from.line == at.line && from.col == at.col)
            return fail(c, at, "yaml syntax: %s %s%s", p->problem, p->context, hint);
        return fail(c, at, "yaml syntax: %s %s that starts at %d:%d%s", p->problem, p->context,
                    from.line, from.col, hint);
    }
    case YAML_MEMORY_ERROR:
    default: {
        struct scn_loc at = loc_of(&p->mark);
        return fail(c, at, "yaml parser failed: %s", p->problem ? p->problem : "out of memory");
    }
    }
}

/* ---- the event pump: every event passes here, so the structural limits
 * hold no matter which handler asked ---- */

static int next(struct ctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->p, ev))
        return yaml_fail(c);
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        fail(c, loc_of(&ev->start_mark),
             "alias '*%s' is not allowed: scenarios refuse anchors and aliases so no input can "
             "expand into an alias bomb",
             qs(c, 0, (const char *)ev->data.alias.anchor));
        yaml_event_delete(ev);
        return -1;
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        c->depth++;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        c->depth++;
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: c->depth--; break;
    default: break;
    }
    int rc = 0;
    if (anchor)
        rc = fail(c, loc_of(&ev->start_mark),
                  "anchor '&%s' is not allowed: scenarios refuse anchors and aliases so no input "
                  "can expand into an alias bomb",
                  qs(c, 0, (const char *)anchor));
    else if (tag)
        rc = fail(c, loc_of(&ev->start_mark),
                  "tag '%s' is not allowed: write plain values without '!' tags",
                  qs(c, 0, (const char *)tag));
    else if (c->depth > SCN_MAX_DEPTH)
        rc = fail(c, loc_of(&ev->start_mark), "nesting is deeper than the limit of %d levels",
                  SCN_MAX_DEPTH);
    if (rc)
        yaml_event_delete(ev);
    return rc;
}

/* ---- scalars ---- */

static int is_scalar(const yaml_event_t *ev)
{
    return ev->type == YAML_SCALAR_EVENT;
}

static const char *sval(const yaml_event_t *ev)
{
    return (const char *)ev->data.scalar.value;
}

static int is_plain(const yaml_event_t *ev)
{
    return is_scalar(ev) && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* YAML 1.2 core-schema nulls, plain only: a quoted "null" is a string. */
static int is_null(const yaml_event_t *ev)
{
    if (!is_plain(ev))
        return 0;
    const char *s = sval(ev);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static const char *kind_of(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return is_null(ev) ? "null" : is_plain(ev) ? "a plain value" : "a quoted string";
    case YAML_SEQUENCE_START_EVENT: return "a list";
    case YAML_MAPPING_START_EVENT: return "a mapping";
    default: return "nothing";
    }
}

static int type_fail(struct ctx *c, const yaml_event_t *ev, const char *what, const char *want)
{
    return fail(c, loc_of(&ev->start_mark), "'%s' must be %s, not %s", what, want, kind_of(ev));
}

/* A non-null string of at most max bytes. Names (max <= SCN_MAX_NAME) end up
 * in command lines, SIDs and labels, so they may hold no control characters. */
static int take_str(struct ctx *c, const yaml_event_t *ev, const char *what, size_t max, char **out)
{
    if (!is_scalar(ev) || is_null(ev))
        return type_fail(c, ev, what, "a string");
    const char *s = sval(ev);
    size_t n = ev->data.scalar.length;
    struct scn_loc at = loc_of(&ev->start_mark);
    if (n > max)
        return fail(c, at, "'%s' is %zu bytes long, over the limit of %zu", what, n, max);
    if (memchr(s, '\0', n))
        return fail(c, at, "'%s' contains a NUL byte", what);
    if (max <= SCN_MAX_NAME)
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return fail(c, at, "'%s' contains a control character (byte 0x%02x)", what,
                            (unsigned)(unsigned char)s[i]);
    if (max <= SCN_MAX_NAME && n == 0)
        return fail(c, at, "'%s' is empty", what);
    *out = xstrndup(s, n);
    return 0;
}

static int set_str(struct ctx *c, const yaml_event_t *ev, const char *what, size_t max, char **dst)
{
    char *s;
    if (take_str(c, ev, what, max, &s))
        return -1;
    free(*dst);
    *dst = s;
    return 0;
}

/* Strict decimal: plain, digits only, no sign, no leading zero (YAML 1.1
 * would read 010 as octal), at most max. */
static int take_u64(struct ctx *c, const yaml_event_t *ev, const char *what, uint64_t max,
                    uint64_t *out)
{
    if (!is_plain(ev) || is_null(ev))
        return type_fail(c, ev, what, "an integer");
    const char *s = sval(ev);
    struct scn_loc at = loc_of(&ev->start_mark);
    int neg = s[0] == '-' && s[1] >= '0' && s[1] <= '9';
    size_t digits = strspn(s + neg, "0123456789");
    if (!digits || s[neg + digits])
        return fail(c, at, "'%s' must be a decimal integer, not '%s'", what, qv(c, 0, ev));
    if (!neg && s[0] == '0' && s[1])
        return fail(c, at, "'%s' value '%s' has a leading zero (YAML 1.1 reads it as octal)", what,
                    qv(c, 0, ev));
    if (neg || parse_u64(s, max, out))
        return fail(c, at, "'%s' value '%s' is out of range (0..%llu)", what, qv(c, 0, ev),
                    (unsigned long long)max);
    return 0;
}

/* YAML 1.2 booleans. yes/no/on/off were booleans in YAML 1.1 only, and a
 * value that means different things to different parsers has no place here. */
static int take_bool(struct ctx *c, const yaml_event_t *ev, const char *what, int *out)
{
    if (!is_plain(ev) || is_null(ev))
        return type_fail(c, ev, what, "true or false");
    if (!strcmp(sval(ev), "true")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(sval(ev), "false")) {
        *out = 0;
        return 0;
    }
    static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n", "true", "false"};
    for (size_t i = 0; i < ARRAY_SIZE(yaml11); i++)
        if (!ascii_casecmp(sval(ev), yaml11[i]))
            return fail(c, loc_of(&ev->start_mark),
                        "'%s' must be true or false, not '%s' (YAML 1.2 booleans only)", what,
                        qv(c, 0, ev));
    return fail(c, loc_of(&ev->start_mark), "'%s' must be true or false, not '%s'", what,
                qv(c, 0, ev));
}

static int take_duration(struct ctx *c, const yaml_event_t *ev, const char *what, int64_t *out)
{
    if (!is_scalar(ev) || is_null(ev))
        return type_fail(c, ev, what, "a duration such as '30s'");
    struct scn_loc at = loc_of(&ev->start_mark);
    int64_t v;
    if (wt_parse_duration(sval(ev), INT64_MAX, &v))
        return fail(c, at,
                    "'%s' has a bad duration '%s': use a number and units from large to small, "
                    "e.g. '250ms', '30s', '2h', '1h30m' (units d h m s ms us)",
                    what, qv(c, 0, ev));
    if (v > SCN_MAX_TIME)
        return fail(c, at, "'%s' value '%s' is past the limit of 366d", what, qv(c, 0, ev));
    *out = v;
    return 0;
}

static const char *fmt_dur(struct ctx *c, int slot, int64_t d)
{
    wt_format_duration(d, c->quoted[slot], sizeof(c->quoted[slot]));
    return c->quoted[slot];
}

/* ---- mappings driven by a handler table ---- */

struct field;
typedef int (*field_fn)(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj);
struct field {
    const char *key;
    field_fn fn;
    size_t off;   /* of the member the generic handlers fill */
    uint64_t max; /* string length or integer bound */
};
#define FIELD_MAX 16

#define MEMBER(obj, f, type) ((type *)(void *)((char *)(obj) + (f)->off))

static int levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = ascii_lower(a[i - 1]) != ascii_lower(b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int unknown_key(struct ctx *c, const yaml_event_t *k, const char *what,
                       const struct field *f, size_t nf)
{
    struct strbuf sb = STRBUF_INIT;
    int best = 3;
    size_t best_prefix = 0;
    const char *guess = NULL;
    for (size_t i = 0; i < nf; i++) {
        sb_adds(&sb, i ? ", " : "");
        sb_adds(&sb, f[i].key);
        int d = levenshtein(sval(k), f[i].key);
        /* On a tie the longer shared start wins: 'logof' is 'logoff'. */
        size_t pre = 0;
        while (sval(k)[pre] && sval(k)[pre] == f[i].key[pre])
            pre++;
        if (d < (int)strlen(f[i].key) && (d < best || (d == best && guess && pre > best_prefix))) {
            best = d;
            best_prefix = pre;
            guess = f[i].key;
        }
    }
    char hint[96] = "";
    if (guess)
        snprintf(hint, sizeof(hint), " (did you mean '%s'?)", guess);
    fail(c, loc_of(&k->start_mark), "unknown key '%s' in %s%s; valid keys: %s", qv(c, 0, k), what,
         hint, sb.buf);
    sb_release(&sb);
    return -1;
}

/* A mapping key: a non-null plain or quoted scalar. Returns 1 at the end of
 * the mapping, 0 with *k filled, -1 on error. */
static int next_key(struct ctx *c, yaml_event_t *k, const char *what)
{
    if (next(c, k))
        return -1;
    if (k->type == YAML_MAPPING_END_EVENT) {
        yaml_event_delete(k);
        return 1;
    }
    if (!is_scalar(k) || is_null(k) || memchr(sval(k), '\0', k->data.scalar.length)) {
        fail(c, loc_of(&k->start_mark), "keys in %s must be names, not %s", what, kind_of(k));
        yaml_event_delete(k);
        return -1;
    }
    return 0;
}

/* Walk a mapping with a handler table. at[i] receives the position of field
 * i's value (line 0 when absent) for checks that span fields. */
static int parse_fields(struct ctx *c, const yaml_event_t *start, const char *what,
                        const struct field *f, size_t nf, void *obj, struct scn_loc *at)
{
    struct scn_loc seen[FIELD_MAX] = {{0, 0}};
    if (start->type != YAML_MAPPING_START_EVENT) /* what is a phrase, quoted if a key */
        return fail(c, loc_of(&start->start_mark), "%s must be a mapping, not %s", what,
                    kind_of(start));
    for (;;) {
        yaml_event_t k, v;
        int rc = next_key(c, &k, what);
        if (rc)
            return rc > 0 ? 0 : -1;
        size_t i = 0;
        while (i < nf && strcmp(sval(&k), f[i].key))
            i++;
        if (i == nf)
            rc = unknown_key(c, &k, what, f, nf);
        else if (seen[i].line)
            rc = fail(c, loc_of(&k.start_mark), "duplicate key '%s' (first at %d:%d)", f[i].key,
                      seen[i].line, seen[i].col);
        else
            seen[i] = loc_of(&k.start_mark);
        yaml_event_delete(&k);
        if (rc || next(c, &v))
            return -1;
        if (at)
            at[i] = loc_of(&v.start_mark);
        rc = f[i].fn(c, &v, &f[i], obj);
        yaml_event_delete(&v);
        if (rc)
            return -1;
    }
}

/* Walk a list, handing each item to fn; the events are deleted here. */
typedef int (*item_fn)(struct ctx *c, const yaml_event_t *item, void *arg);
static int each_item(struct ctx *c, const yaml_event_t *start, const char *what, const char *want,
                     item_fn fn, void *arg)
{
    if (start->type != YAML_SEQUENCE_START_EVENT)
        return type_fail(c, start, what, want);
    for (;;) {
        yaml_event_t item;
        if (next(c, &item))
            return -1;
        int end = item.type == YAML_SEQUENCE_END_EVENT;
        int rc = end ? 0 : fn(c, &item, arg);
        yaml_event_delete(&item);
        if (rc || end)
            return rc;
    }
}

static int h_str(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    return set_str(c, ev, f->key, (size_t)f->max, MEMBER(obj, f, char *));
}

static int h_bool(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    return take_bool(c, ev, f->key, MEMBER(obj, f, int));
}

static int h_int(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    uint64_t v;
    if (take_u64(c, ev, f->key, f->max, &v))
        return -1;
    *MEMBER(obj, f, int) = (int)v;
    return 0;
}

static int h_u64(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    return take_u64(c, ev, f->key, f->max, MEMBER(obj, f, uint64_t));
}

static int h_duration(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    return take_duration(c, ev, f->key, MEMBER(obj, f, int64_t));
}

/* ---- root values ---- */

static int h_os(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    struct scn *sc = obj;
    char names[256], want[280];
    kb_os_names(names, sizeof(names));
    if (!is_scalar(ev) || is_null(ev)) {
        snprintf(want, sizeof(want), "one of %s", names);
        return type_fail(c, ev, f->key, want);
    }
    if (scn_os_parse(sval(ev), &sc->os))
        return fail(c, loc_of(&ev->start_mark), "unknown 'os' '%s': use one of %s", qv(c, 0, ev),
                    names);
    return 0;
}

static int h_boot_time(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    struct scn *sc = obj;
    if (!is_scalar(ev) || is_null(ev))
        return type_fail(c, ev, f->key, "an ISO 8601 UTC time");
    if (wt_parse_iso(sval(ev), &sc->boot_time))
        return fail(c, loc_of(&ev->start_mark),
                    "'boot_time' '%s' is not an ISO 8601 UTC time between 1970 and 9999 "
                    "(e.g. '2024-05-01T08:00:00Z')",
                    qv(c, 0, ev));
    return 0;
}

static const struct field host_fields[] = {
    {"name", h_str, offsetof(struct scn, host), SCN_MAX_NAME},
    {"domain", h_str, offsetof(struct scn, domain), SCN_MAX_NAME},
    {"dns_domain", h_str, offsetof(struct scn, dns_domain), SCN_MAX_NAME},
};

static int h_host(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    (void)f;
    return parse_fields(c, ev, "'host'", host_fields, ARRAY_SIZE(host_fields), obj, NULL);
}

/* SharedSection is three desktop-heap sizes in KB (Microsoft KB 184802: the
 * shared heap, each interactive desktop, each non-interactive desktop). The
 * 1..1048576 bound is ours, to keep generated command lines sane. */
static int h_shared_section(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    char **dst = MEMBER(obj, f, char *);
    if (!is_scalar(ev) || is_null(ev))
        return type_fail(c, ev, f->key, "a string like '1024,20480,768'");
    const char *s = sval(ev);
    int n = 0;
    while (n < 3) {
        size_t d = strspn(s, "0123456789");
        char num[16];
        uint64_t v;
        if (!d || d >= sizeof(num) || (s[0] == '0' && d > 1))
            break;
        memcpy(num, s, d);
        num[d] = '\0';
        if (parse_u64(num, 1048576, &v) || v == 0)
            break;
        n++;
        s += d;
        if (n < 3 && *s++ != ',')
            break;
    }
    if (n != 3 || *s)
        return fail(c, loc_of(&ev->start_mark),
                    "'shared_section' '%s' must be three integers 1..1048576 (KB) separated by "
                    "commas, e.g. '1024,20480,768'",
                    qv(c, 0, ev));
    return set_str(c, ev, f->key, 32, dst);
}

static const struct field option_fields[] = {
    {"credential_guard", h_bool, offsetof(struct scn_options, credential_guard), 0},
    {"special_session", h_bool, offsetof(struct scn_options, special_session), 0},
    {"win11_child_line", h_bool, offsetof(struct scn_options, win11_child_line), 0},
    {"rdp_termsvcs_parent", h_bool, offsetof(struct scn_options, rdp_termsvcs_parent), 0},
    {"pid_reuse", h_bool, offsetof(struct scn_options, pid_reuse), 0},
    {"shared_section", h_shared_section, offsetof(struct scn_options, shared_section), 0},
    {"svchosts", h_int, offsetof(struct scn_options, svchosts), SCN_MAX_SVCHOSTS},
    {"atbroker", h_bool, offsetof(struct scn_options, atbroker), 0},
    {"per_user_services", h_bool, offsetof(struct scn_options, per_user_services), 0},
    {"lsass_crash_report", h_bool, offsetof(struct scn_options, lsass_crash_report), 0},
    {"vendor_bootexecute", h_bool, offsetof(struct scn_options, vendor_bootexecute), 0},
    {"explorer_factory", h_bool, offsetof(struct scn_options, explorer_factory), 0},
    {"explorer_separate", h_bool, offsetof(struct scn_options, explorer_separate), 0},
    {"noise", h_bool, offsetof(struct scn_options, noise), 0},
};

static int h_options(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    (void)f;
    struct scn *sc = obj;
    return parse_fields(c, ev, "'options'", option_fields, ARRAY_SIZE(option_fields), &sc->opt,
                        NULL);
}

/* ---- sessions ---- */

static int h_session_id(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    struct scn_session *s = obj;
    uint64_t v;
    if (take_u64(c, ev, f->key, SCN_SESSION_ID_MAX, &v))
        return -1;
    if (v == 0)
        return fail(c, loc_of(&ev->start_mark),
                    "session 0 is the services session: it always exists and cannot be listed");
    s->id = (int32_t)v;
    return 0;
}

static int h_session_kind(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    struct scn_session *s = obj;
    if (!is_scalar(ev) || is_null(ev))
        return type_fail(c, ev, f->key, "console or rdp");
    if (!strcmp(sval(ev), "console"))
        s->kind = SCN_SESS_CONSOLE;
    else if (!strcmp(sval(ev), "rdp"))
        s->kind = SCN_SESS_RDP;
    else
        return fail(c, loc_of(&ev->start_mark), "unknown session 'kind' '%s': use console or rdp",
                    qv(c, 0, ev));
    return 0;
}

enum { SF_ID, SF_KIND, SF_USER, SF_CONNECT, SF_LOGON, SF_LOGOFF, SF_COUNT };
static const struct field session_fields[SF_COUNT] = {
    [SF_ID] = {"id", h_session_id, 0, 0},
    [SF_KIND] = {"kind", h_session_kind, 0, 0},
    [SF_USER] = {"user", h_str, offsetof(struct scn_session, user), SCN_MAX_NAME},
    [SF_CONNECT] = {"connect", h_duration, offsetof(struct scn_session, connect), 0},
    [SF_LOGON] = {"logon", h_duration, offsetof(struct scn_session, logon), 0},
    [SF_LOGOFF] = {"logoff", h_duration, offsetof(struct scn_session, logoff), 0},
};

/* The rules that tie a session's fields together; `at` holds their positions. */
static int check_session(struct ctx *c, const struct scn_session *s, const struct scn_loc *at)
{
    if (!at[SF_ID].line)
        return fail(c, s->loc, "session entry has no 'id'");
    if (s->id == 1) {
        if (at[SF_KIND].line && s->kind != SCN_SESS_CONSOLE)
            return fail(c, at[SF_KIND], "session 1 is the console session: 'kind' must be console");
        if (at[SF_CONNECT].line)
            return fail(c, at[SF_CONNECT],
                        "session 1 exists at boot: 'connect' is only for sessions 2 and up");
        if (at[SF_LOGOFF].line)
            return fail(c, at[SF_LOGOFF],
                        "'logoff' is only for sessions 2 and up: a console logoff is not modelled");
        if (c->console_seen)
            return fail(c, at[SF_ID], "duplicate session id 1 (first at %d:%d)",
                        c->console_loc.line, c->console_loc.col);
    } else {
        for (size_t i = 1; i < c->sc->nsessions; i++)
            if (c->sc->sessions[i].id == s->id)
                return fail(c, at[SF_ID], "duplicate session id %d (first at %d:%d)", (int)s->id,
                            c->sc->sessions[i].loc.line, c->sc->sessions[i].loc.col);
        if (s->logon == WT_NONE && s->connect == WT_NONE)
            return fail(c, s->loc, "session %d needs a 'connect' or 'logon' time", (int)s->id);
    }
    if (s->user && s->logon == WT_NONE)
        return fail(c, at[SF_USER], "session %d has a 'user' but no 'logon' time", (int)s->id);
    if (!s->user && s->logon != WT_NONE)
        return fail(c, at[SF_LOGON], "'logon' needs a 'user' to log on (e.g. 'CORP\\\\alice')");
    if (s->connect != WT_NONE && s->logon != WT_NONE && s->connect >= s->logon)
        return fail(c, at[SF_CONNECT], "'connect' (%s) must be before 'logon' (%s)",
                    fmt_dur(c, 0, s->connect), fmt_dur(c, 1, s->logon));
    if (s->logoff != WT_NONE && s->logon == WT_NONE)
        return fail(c, at[SF_LOGOFF], "'logoff' needs a 'logon' time");
    if (s->logoff != WT_NONE && s->logoff <= s->logon)
        return fail(c, at[SF_LOGOFF], "'logoff' (%s) must be after 'logon' (%s)",
                    fmt_dur(c, 0, s->logoff), fmt_dur(c, 1, s->logon));
    return 0;
}

static int parse_session(struct ctx *c, const yaml_event_t *ev)
{
    struct scn *sc = c->sc;
    struct scn_session s = {.kind = SCN_SESS_RDP,
                            .connect = WT_NONE,
                            .logon = WT_NONE,
                            .logoff = WT_NONE,
                            .loc = loc_of(&ev->start_mark)};
    struct scn_loc at[SF_COUNT] = {{0, 0}};
    if (parse_fields(c, ev, "a session", session_fields, SF_COUNT, &s, at) ||
        check_session(c, &s, at)) {
        free(s.user);
        return -1;
    }
    size_t slot;
    if (s.id == 1) {
        s.kind = SCN_SESS_CONSOLE;
        free(sc->sessions[0].user);
        slot = 0;
        c->console_seen = 1;
        c->console_loc = at[SF_ID];
    } else {
        XGROW(sc->sessions, c->cap_sessions, sc->nsessions + 1);
        slot = sc->nsessions++;
    }
    sc->sessions[slot] = s;
    c->sloc[slot] = (struct sess_locs){at[SF_CONNECT], at[SF_LOGON], at[SF_LOGOFF]};
    return 0;
}

static int session_item(struct ctx *c, const yaml_event_t *item, void *arg)
{
    (void)arg;
    if (c->sc->nsessions > SCN_MAX_SESSIONS)
        return fail(c, loc_of(&item->start_mark),
                    "too many sessions: the limit is %d besides the console session",
                    SCN_MAX_SESSIONS);
    return parse_session(c, item);
}

static int h_sessions(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    (void)obj;
    return each_item(c, ev, f->key, "a list of sessions", session_item, NULL);
}

/* ---- snapshots ---- */

struct snaps {
    int64_t t[SCN_MAX_SNAPSHOTS];
    size_t n;
};

static int snapshot_item(struct ctx *c, const yaml_event_t *item, void *arg)
{
    struct snaps *sn = arg;
    struct scn_loc at = loc_of(&item->start_mark);
    int64_t v = SCN_AT_END;
    if (sn->n >= SCN_MAX_SNAPSHOTS)
        return fail(c, at, "too many snapshots: the limit is %d", SCN_MAX_SNAPSHOTS);
    if (!(is_scalar(item) && !strcmp(sval(item), "end")) && take_duration(c, item, "snapshots", &v))
        return -1;
    for (size_t i = 0; i < sn->n; i++)
        if (sn->t[i] == v)
            return fail(c, at, "duplicate snapshot time '%s' (first at %d:%d)", qv(c, 0, item),
                        c->snap_loc[i].line, c->snap_loc[i].col);
    c->snap_loc[sn->n] = at;
    sn->t[sn->n++] = v;
    return 0;
}

static int h_snapshots(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    struct scn *sc = obj;
    struct snaps sn = {.n = 0};
    if (each_item(c, ev, f->key, "a list of times such as [30s, end]", snapshot_item, &sn))
        return -1;
    if (!sn.n)
        return fail(c, loc_of(&ev->start_mark),
                    "'snapshots' is empty: list at least one time, e.g. [end]");
    /* Ascending, so the simulator takes them in order; "end" sorts last. */
    for (size_t i = 1; i < sn.n; i++)
        for (size_t j = i; j > 0 && sn.t[j - 1] > sn.t[j]; j--) {
            int64_t tv = sn.t[j];
            struct scn_loc tl = c->snap_loc[j];
            sn.t[j] = sn.t[j - 1];
            c->snap_loc[j] = c->snap_loc[j - 1];
            sn.t[j - 1] = tv;
            c->snap_loc[j - 1] = tl;
        }
    free(sc->snapshots);
    sc->snapshots = xmalloc(sn.n * sizeof(*sc->snapshots));
    memcpy(sc->snapshots, sn.t, sn.n * sizeof(*sc->snapshots));
    sc->nsnapshots = sn.n;
    return 0;
}

/* ---- registry ---- */

static int reg_item(struct ctx *c, const yaml_event_t *ev, void *arg)
{
    struct scn_reg *r = arg;
    if (c->reg_items >= SCN_MAX_REG_ITEMS)
        return fail(c, loc_of(&ev->start_mark), "too many registry strings: the limit is %d in all",
                    SCN_MAX_REG_ITEMS);
    char *s;
    if (take_str(c, ev, r->rel, SCN_MAX_STRING, &s))
        return -1;
    /* Capacity doubles at each power of two, so a long list costs no quadratic copying. */
    if (!(r->ndata & (r->ndata - 1)))
        r->data = xrealloc(r->data, (r->ndata ? 2 * r->ndata : 1) * sizeof(*r->data));
    r->data[r->ndata++] = s;
    c->reg_items++;
    return 0;
}

/* A registry value: null deletes it, a string sets it, a list of strings sets
 * a REG_MULTI_SZ (PendingFileRenameOperations may hold empty strings: an
 * empty rename target means delete, so empty items are allowed). */
static int reg_value(struct ctx *c, const yaml_event_t *ev, const struct reg_def *d,
                     struct scn_reg *r)
{
    if (is_null(ev)) {
        r->is_delete = 1;
        return 0;
    }
    if (is_scalar(ev))
        return reg_item(c, ev, r);
    if (ev->type != YAML_SEQUENCE_START_EVENT)
        return type_fail(c, ev, r->rel, "a string, a list of strings or null");
    if (d->type != SNAP_REG_MULTI_SZ)
        return fail(c, loc_of(&ev->start_mark),
                    "'%s' is a single-string value (REG_SZ or REG_EXPAND_SZ): give a string, "
                    "not a list",
                    qs(c, 0, r->rel));
    r->is_list = 1;
    return each_item(c, ev, r->rel, "a list", reg_item, r);
}

static int h_registry(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    struct scn *sc = obj;
    if (ev->type != YAML_MAPPING_START_EVENT)
        return type_fail(c, ev, f->key, "a mapping of value names");
    for (;;) {
        yaml_event_t k, v;
        int rc = next_key(c, &k, "'registry'");
        if (rc)
            return rc > 0 ? 0 : -1;
        struct scn_loc at = loc_of(&k.start_mark);
        const char *vname;
        const struct reg_def *d = NULL;
        if (sc->nregs >= SCN_MAX_REGS)
            rc = fail(c, at, "too many registry values: the limit is %d", SCN_MAX_REGS);
        else if (k.data.scalar.length > SCN_MAX_NAME)
            rc = fail(c, at, "registry name is longer than the limit of %d bytes", SCN_MAX_NAME);
        else if (!(d = profile_reg_lookup(sval(&k), &vname)))
            rc = fail(c, at, "unknown registry value '%s'; valid names: %s", qv(c, 0, &k),
                      profile_reg_names());
        struct strbuf rel = STRBUF_INIT;
        if (!rc) {
            /* The canonical spelling, so lookups later need no case folding. */
            sb_add(&rel, d->rel, d->name ? strlen(d->rel) : strlen(d->rel) - 1);
            if (!d->name)
                sb_adds(&rel, vname);
            for (size_t i = 0; !rc && i < sc->nregs; i++)
                if (!ascii_casecmp(sc->regs[i].rel, rel.buf))
                    rc = fail(c, at, "duplicate registry value '%s' (first at %d:%d)", qv(c, 0, &k),
                              sc->regs[i].loc.line, sc->regs[i].loc.col);
        }
        yaml_event_delete(&k);
        if (rc || next(c, &v)) {
            sb_release(&rel);
            return -1;
        }
        XGROW(sc->regs, c->cap_regs, sc->nregs + 1);
        struct scn_reg *r = &sc->regs[sc->nregs++];
        memset(r, 0, sizeof(*r));
        r->rel = sb_detach(&rel, NULL);
        r->loc = at;
        rc = reg_value(c, &v, d, r);
        yaml_event_delete(&v);
        if (rc)
            return -1;
    }
}

/* ---- anomalies: read generically here; check_whole checks them against the
 * catalogue's parameter tables (anom_check, sim/anomalies.def) ---- */

static int anomaly_entry(struct ctx *c, const yaml_event_t *k, const yaml_event_t *v,
                         struct scn_anomaly *a)
{
    const char *key = sval(k);
    struct scn_loc at = loc_of(&k->start_mark);
    if (k->data.scalar.length > SCN_MAX_NAME)
        return fail(c, at, "anomaly key is longer than the limit of %d bytes", SCN_MAX_NAME);
    if ((!strcmp(key, "type") && a->type) || (!strcmp(key, "id") && a->id))
        return fail(c, at, "duplicate key '%s'", key);
    for (size_t i = 0; i < a->nparams; i++)
        if (!strcmp(a->params[i].key, key))
            return fail(c, at, "duplicate key '%s'", qs(c, 0, key));
    if (!strcmp(key, "type")) {
        a->type_loc = loc_of(&v->start_mark);
        return take_str(c, v, "type", SCN_MAX_NAME, &a->type);
    }
    if (!strcmp(key, "id"))
        return take_str(c, v, "id", SCN_MAX_NAME, &a->id);
    if (a->nparams >= SCN_MAX_PARAMS)
        return fail(c, at, "too many anomaly parameters: the limit is %d", SCN_MAX_PARAMS);
    if (!is_scalar(v) || is_null(v))
        return fail(c, loc_of(&v->start_mark),
                    "anomaly parameter '%s' must be a single value, not %s", qs(c, 0, key),
                    kind_of(v));
    char *value;
    if (take_str(c, v, key, SCN_MAX_STRING, &value))
        return -1;
    a->params = xrealloc(a->params, (a->nparams + 1) * sizeof(*a->params));
    a->params[a->nparams++] = (struct scn_param){xstrdup(key), value, loc_of(&v->start_mark)};
    return 0;
}

static int parse_anomaly(struct ctx *c, const yaml_event_t *ev, struct scn_anomaly *a)
{
    a->loc = loc_of(&ev->start_mark);
    if (ev->type != YAML_MAPPING_START_EVENT)
        return type_fail(c, ev, "anomalies", "a list of mappings with a 'type'");
    for (;;) {
        yaml_event_t k, v;
        int rc = next_key(c, &k, "an anomaly");
        if (rc > 0)
            break;
        if (rc)
            return -1;
        if (next(c, &v)) {
            yaml_event_delete(&k);
            return -1;
        }
        rc = anomaly_entry(c, &k, &v, a);
        yaml_event_delete(&k);
        yaml_event_delete(&v);
        if (rc)
            return -1;
    }
    if (!a->type)
        return fail(c, a->loc, "anomaly has no 'type'");
    return 0;
}

static int anomaly_item(struct ctx *c, const yaml_event_t *item, void *arg)
{
    struct scn *sc = arg;
    if (sc->nanomalies >= SCN_MAX_ANOMALIES)
        return fail(c, loc_of(&item->start_mark), "too many anomalies: the limit is %d",
                    SCN_MAX_ANOMALIES);
    XGROW(sc->anomalies, c->cap_anomalies, sc->nanomalies + 1);
    struct scn_anomaly *a = &sc->anomalies[sc->nanomalies++];
    memset(a, 0, sizeof(*a));
    return parse_anomaly(c, item, a);
}

static int h_anomalies(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    return each_item(c, ev, f->key, "a list of anomalies", anomaly_item, obj);
}

/* ---- events: what happens to logged-on sessions and the machine after boot ---- */

static int h_event_type(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    struct scn_event *e = obj;
    if (!is_scalar(ev) || is_null(ev))
        return type_fail(c, ev, f->key, "lock, unlock, disconnect, reconnect or shutdown");
    for (int k = SCN_EV_LOCK; k <= SCN_EV_SHUTDOWN; k++)
        if (!strcmp(sval(ev), scn_event_name((enum scn_event_kind)k))) {
            e->kind = (enum scn_event_kind)k;
            return 0;
        }
    return fail(c, loc_of(&ev->start_mark),
                "unknown event 'type' '%s': use lock, unlock, disconnect, reconnect or shutdown",
                qv(c, 0, ev));
}

static int h_event_session(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    struct scn_event *e = obj;
    uint64_t v;
    if (take_u64(c, ev, f->key, SCN_SESSION_ID_MAX, &v))
        return -1;
    if (v == 0)
        return fail(c, loc_of(&ev->start_mark),
                    "session 0 is the services session: nobody logs on there to lock or "
                    "disconnect it");
    e->session = (int32_t)v;
    return 0;
}

enum { EF_AT, EF_TYPE, EF_SESSION, EF_COUNT };
static const struct field event_fields[EF_COUNT] = {
    [EF_AT] = {"at", h_duration, offsetof(struct scn_event, at), 0},
    [EF_TYPE] = {"type", h_event_type, 0, 0},
    [EF_SESSION] = {"session", h_event_session, 0, 0},
};

static int event_item(struct ctx *c, const yaml_event_t *item, void *arg)
{
    struct scn *sc = arg;
    if (sc->nevents >= SCN_MAX_EVENTS)
        return fail(c, loc_of(&item->start_mark), "too many events: the limit is %d",
                    SCN_MAX_EVENTS);
    struct scn_event e = {
        .kind = SCN_EV_LOCK, .at = WT_NONE, .session = -1, .loc = loc_of(&item->start_mark)};
    struct scn_loc at[EF_COUNT] = {{0, 0}};
    if (parse_fields(c, item, "an event", event_fields, EF_COUNT, &e, at))
        return -1;
    if (!at[EF_TYPE].line)
        return fail(c, e.loc,
                    "event has no 'type' (lock, unlock, disconnect, reconnect or "
                    "shutdown)");
    if (!at[EF_AT].line)
        return fail(c, e.loc, "event '%s' has no 'at' time", scn_event_name(e.kind));
    if (e.kind == SCN_EV_SHUTDOWN && at[EF_SESSION].line)
        return fail(c, at[EF_SESSION], "a shutdown ends every session: it takes no 'session'");
    if (e.kind != SCN_EV_SHUTDOWN && !at[EF_SESSION].line)
        return fail(c, e.loc, "event '%s' needs the 'session' it happens to",
                    scn_event_name(e.kind));
    e.at_loc = at[EF_AT];
    e.session_loc = at[EF_SESSION];
    XGROW(sc->events, c->cap_events, sc->nevents + 1);
    sc->events[sc->nevents++] = e;
    return 0;
}

static int h_events(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    c->events_loc = loc_of(&ev->start_mark);
    return each_item(c, ev, f->key, "a list of events", event_item, obj);
}

/* ---- the document ---- */

static int h_seed(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    c->sc->seed_loc = loc_of(&ev->start_mark);
    return h_u64(c, ev, f, obj);
}

static int h_os_at(struct ctx *c, const yaml_event_t *ev, const struct field *f, void *obj)
{
    c->sc->os_loc = loc_of(&ev->start_mark);
    return h_os(c, ev, f, obj);
}

enum { RF_BOOT_TIME = 5, RF_DURATION = 6, RF_COUNT = 13 };
static const struct field root_fields[RF_COUNT] = {
    {"name", h_str, offsetof(struct scn, name), SCN_MAX_NAME},
    {"description", h_str, offsetof(struct scn, description), SCN_MAX_STRING},
    {"seed", h_seed, offsetof(struct scn, seed), UINT64_MAX},
    {"os", h_os_at, 0, 0},
    {"host", h_host, 0, 0},
    [RF_BOOT_TIME] = {"boot_time", h_boot_time, 0, 0},
    [RF_DURATION] = {"duration", h_duration, offsetof(struct scn, duration), 0},
    {"sessions", h_sessions, 0, 0},
    {"snapshots", h_snapshots, 0, 0},
    {"registry", h_registry, 0, 0},
    {"options", h_options, 0, 0},
    {"anomalies", h_anomalies, 0, 0},
    {"events", h_events, 0, 0},
};
_Static_assert(RF_COUNT <= FIELD_MAX && ARRAY_SIZE(option_fields) <= FIELD_MAX,
               "parse_fields tracks at most FIELD_MAX keys");

static int check_end(struct ctx *c, int64_t t, struct scn_loc at, const char *what)
{
    int64_t end = c->sc->duration;
    if (t == WT_NONE || t == SCN_AT_END || end == WT_NONE || t <= end)
        return 0;
    return fail(c, at, "'%s' (%s) is after the end of the simulation ('duration' %s)", what,
                fmt_dur(c, 0, t), fmt_dur(c, 1, end));
}

static const struct scn_param *find_param(const struct scn_anomaly *a, const char *key)
{
    for (size_t i = 0; i < a->nparams; i++)
        if (!strcmp(a->params[i].key, key))
            return &a->params[i];
    return NULL;
}

/* An anomaly placed in a session after it logged off would silently do
 * nothing: no process of that session is left to act on or in. */
static int check_anomaly_sessions(struct ctx *c)
{
    const struct scn *sc = c->sc;
    for (size_t i = 0; i < sc->nanomalies; i++) {
        const struct scn_anomaly *a = &sc->anomalies[i];
        const struct scn_param *ps = find_param(a, "session"), *pa = find_param(a, "at");
        uint64_t id;
        int64_t at;
        if (!ps || !pa || parse_u64(ps->value, SCN_SESSION_ID_MAX, &id) < 0 ||
            wt_parse_duration(pa->value, INT64_MAX, &at))
            continue;
        for (size_t k = 0; k < sc->nsessions; k++) {
            const struct scn_session *s = &sc->sessions[k];
            if (s->id != (int64_t)id || s->logoff == WT_NONE || at < s->logoff)
                continue;
            char off[64];
            wt_format_duration(s->logoff, off, sizeof(off));
            return fail(c, pa->loc,
                        "anomaly '%s' at %s is in session %llu, which logs off at %s: place "
                        "it before the logoff or in another session",
                        qs(c, 0, a->type), fmt_dur(c, 1, at), (unsigned long long)id, off);
        }
    }
    return 0;
}

/* Events are listed in time order; each session's follow a state machine
 * (connected or not, locked or not), come at least SCN_EVENT_GAP after its
 * logon, before its logoff and after its previous event (the processes an
 * event starts take seconds: docs/scenario.md), and a shutdown comes last. */
#define SCN_EVENT_GAP (30 * WT_SEC)
static int check_events(struct ctx *c)
{
    const struct scn *sc = c->sc;
    /* per listed session: disconnected, locked, time and position of its last event */
    struct est {
        int off, locked;
        int64_t last;
        struct scn_loc last_loc;
    } st[SCN_MAX_SESSIONS + 1];
    memset(st, 0, sizeof(st));
    int32_t max_id = 1;
    int temp = 0; /* Windows 7 reconnects: each takes a new session id */
    for (size_t k = 0; k < sc->nsessions; k++)
        if (sc->sessions[k].id > max_id)
            max_id = sc->sessions[k].id;
    for (size_t i = 0; i < sc->nevents; i++) {
        const struct scn_event *e = &sc->events[i];
        const char *name = scn_event_name(e->kind);
        if (check_end(c, e->at, e->at_loc, "at"))
            return -1;
        if (i && e->at < sc->events[i - 1].at)
            return fail(c, e->at_loc,
                        "events must be listed in time order: '%s' at %s comes before the "
                        "previous event's %s (at %d:%d)",
                        name, fmt_dur(c, 0, e->at), fmt_dur(c, 1, sc->events[i - 1].at),
                        sc->events[i - 1].at_loc.line, sc->events[i - 1].at_loc.col);
        if (e->kind == SCN_EV_SHUTDOWN) {
            if (i + 1 < sc->nevents)
                return fail(c, sc->events[i + 1].loc,
                            "no event can follow the shutdown (at %d:%d): the machine is off",
                            e->loc.line, e->loc.col);
            if (e->at < 2 * WT_MIN)
                return fail(c, e->at_loc,
                            "'shutdown' at %s is during the boot: shut down at 2m or later",
                            fmt_dur(c, 0, e->at));
            continue;
        }
        size_t k = 0;
        while (k < sc->nsessions && sc->sessions[k].id != e->session)
            k++;
        if (k == sc->nsessions)
            return fail(c, e->session_loc,
                        "event '%s' is for session %d, which 'sessions' does not list", name,
                        (int)e->session);
        const struct scn_session *s = &sc->sessions[k];
        if (s->logon == WT_NONE)
            return fail(c, e->session_loc,
                        "session %d has no logon: only a logged-on session can %s", (int)s->id,
                        e->kind == SCN_EV_UNLOCK ? "be unlocked" : name);
        if (e->at < s->logon + SCN_EVENT_GAP)
            return fail(c, e->at_loc,
                        "'%s' at %s is too close to session %d's logon (%s): session events "
                        "come at least 30s after it",
                        name, fmt_dur(c, 0, e->at), (int)s->id, fmt_dur(c, 1, s->logon));
        if (s->logoff != WT_NONE && e->at > s->logoff - SCN_EVENT_GAP)
            return fail(c, e->at_loc,
                        "'%s' at %s is too close to session %d's logoff (%s): session events "
                        "come at least 30s before it",
                        name, fmt_dur(c, 0, e->at), (int)s->id, fmt_dur(c, 1, s->logoff));
        struct est *t = &st[k];
        if (t->last_loc.line && e->at < t->last + SCN_EVENT_GAP)
            return fail(c, e->at_loc,
                        "'%s' at %s is less than 30s after session %d's previous event (%s, at "
                        "%d:%d)",
                        name, fmt_dur(c, 0, e->at), (int)s->id, fmt_dur(c, 1, t->last),
                        t->last_loc.line, t->last_loc.col);
        const char *why = NULL;
        switch (e->kind) {
        case SCN_EV_LOCK:
            why = t->off ? "it is disconnected" : t->locked ? "it is already locked" : NULL;
            t->locked = 1;
            break;
        case SCN_EV_UNLOCK:
            why = t->off       ? "it is disconnected (a reconnect unlocks it)"
                  : !t->locked ? "it is not locked"
                               : NULL;
            t->locked = 0;
            break;
        case SCN_EV_DISCONNECT:
            why = t->off ? "it is already disconnected" : NULL;
            t->off = t->locked = 1; /* Windows locks a session it disconnects */
            break;
        case SCN_EV_RECONNECT:
            why = !t->off ? "it is connected: disconnect it first" : NULL;
            t->off = t->locked = 0;
            temp++;
            break;
        case SCN_EV_SHUTDOWN: break;
        }
        if (why)
            return fail(c, e->at_loc, "cannot %s session %d at %s: %s", name, (int)s->id,
                        fmt_dur(c, 0, e->at), why);
        t->last = e->at;
        t->last_loc = e->at_loc;
    }
    if (sc->os == SCN_OS_WIN7 && temp && max_id > SCN_SESSION_ID_MAX - temp)
        return fail(c, c->events_loc,
                    "a Windows 7 reconnect opens a new session (id %d and up), past the limit "
                    "of %d: use smaller session ids",
                    (int)max_id + 1, SCN_SESSION_ID_MAX);
    if (!sc->nevents || sc->events[sc->nevents - 1].kind != SCN_EV_SHUTDOWN)
        return 0;
    /* Nothing may happen after the machine is off. */
    const struct scn_event *off = &sc->events[sc->nevents - 1];
    if (sc->duration != WT_NONE)
        return fail(c, c->duration_loc,
                    "'duration' cannot be set with a shutdown (at %d:%d): the simulation ends "
                    "10s after it",
                    off->loc.line, off->loc.col);
    const char *late = NULL;
    struct scn_loc where = {0, 0};
    for (size_t i = 0; i < sc->nsessions && !late; i++) {
        const struct scn_session *s = &sc->sessions[i];
        if (s->connect != WT_NONE && s->connect >= off->at)
            late = "connect", where = c->sloc[i].connect;
        else if (s->logon != WT_NONE && s->logon >= off->at)
            late = "logon", where = c->sloc[i].logon;
        else if (s->logoff != WT_NONE && s->logoff >= off->at)
            late = "logoff", where = c->sloc[i].logoff;
    }
    for (size_t i = 0; i < sc->nsnapshots; i++)
        if (sc->snapshots[i] != SCN_AT_END && sc->snapshots[i] > off->at + SCN_SHUTDOWN_TAIL)
            return fail(c, c->snap_loc[i],
                        "'snapshots' %s is after the end of the run, 10s after the shutdown at "
                        "%s (%d:%d)",
                        fmt_dur(c, 0, sc->snapshots[i]), fmt_dur(c, 1, off->at), off->loc.line,
                        off->loc.col);
    for (size_t i = 0; i < sc->nanomalies && !late; i++) {
        const struct scn_param *pa = find_param(&sc->anomalies[i], "at");
        int64_t at;
        if (pa && !wt_parse_duration(pa->value, INT64_MAX, &at) && at >= off->at)
            late = "at", where = pa->loc;
    }
    if (late)
        return fail(c, where, "'%s' is after the shutdown at %s (%d:%d): the machine is off", late,
                    fmt_dur(c, 0, off->at), off->loc.line, off->loc.col);
    return 0;
}

/* Checks that need the whole file: a key may bound another written before it. */
static int check_whole(struct ctx *c)
{
    struct scn *sc = c->sc;
    if (sc->duration == 0)
        return fail(c, c->duration_loc, "'duration' must be longer than 0");
    int64_t span = sc->duration == WT_NONE ? SCN_MAX_TIME : sc->duration;
    if (sc->boot_time > WT_MAX - span)
        return fail(c, c->boot_loc,
                    "'boot_time' is too late: the simulation must end before the "
                    "year 10000 (allow 366 days, or set a shorter 'duration')");
    for (size_t i = 0; i < sc->nsessions; i++) {
        const struct scn_session *s = &sc->sessions[i];
        if (check_end(c, s->connect, c->sloc[i].connect, "connect") ||
            check_end(c, s->logon, c->sloc[i].logon, "logon") ||
            check_end(c, s->logoff, c->sloc[i].logoff, "logoff"))
            return -1;
    }
    for (size_t i = 0; i < sc->nsnapshots; i++)
        if (check_end(c, sc->snapshots[i], c->snap_loc[i], "snapshots"))
            return -1;
    if (check_anomaly_sessions(c) < 0 || check_events(c) < 0)
        return -1;
    /* Default label ids "a<N>" (1-based), then uniqueness across all. */
    for (size_t i = 0; i < sc->nanomalies; i++) {
        struct scn_anomaly *a = &sc->anomalies[i];
        if (!a->id) {
            struct strbuf sb = STRBUF_INIT;
            sb_addc(&sb, 'a');
            sb_addu64(&sb, i + 1);
            a->id = sb_detach(&sb, NULL);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(sc->anomalies[j].id, a->id))
                return fail(c, a->loc, "duplicate anomaly id '%s' (first at %d:%d)",
                            qs(c, 0, a->id), sc->anomalies[j].loc.line, sc->anomalies[j].loc.col);
    }
    /* Each anomaly's type and parameters against the catalogue's table. */
    for (size_t i = 0; i < sc->nanomalies; i++)
        if (anom_check(&sc->anomalies[i], c->file, c->e) < 0)
            return -1;
    return 0;
}

static int expect(struct ctx *c, yaml_event_type_t type, yaml_event_t *ev)
{
    if (next(c, ev))
        return -1;
    if (ev->type == type)
        return 0;
    yaml_event_delete(ev);
    return fail(c, loc_of(&ev->start_mark), "unexpected yaml structure");
}

static int load_doc(struct ctx *c)
{
    yaml_event_t ev;
    struct scn_loc at[RF_COUNT] = {{0, 0}};
    if (expect(c, YAML_STREAM_START_EVENT, &ev))
        return -1;
    yaml_event_delete(&ev);
    if (next(c, &ev))
        return -1;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return fail(c, (struct scn_loc){1, 1},
                    "scenario is empty: write a mapping of keys such as 'os' and 'sessions'");
    }
    yaml_event_delete(&ev); /* DOCUMENT-START: the only event possible here */
    if (next(c, &ev))
        return -1;
    int rc;
    if (is_null(&ev))
        rc = fail(c, loc_of(&ev.start_mark),
                  "scenario is empty: write a mapping of keys such as 'os' and 'sessions'");
    else if (ev.type != YAML_MAPPING_START_EVENT)
        rc = fail(c, loc_of(&ev.start_mark), "a scenario must be a mapping of keys, not %s",
                  kind_of(&ev));
    else
        rc = parse_fields(c, &ev, "the scenario", root_fields, RF_COUNT, c->sc, at);
    yaml_event_delete(&ev);
    if (rc || expect(c, YAML_DOCUMENT_END_EVENT, &ev))
        return -1;
    yaml_event_delete(&ev);
    if (next(c, &ev))
        return -1;
    rc = 0;
    if (ev.type == YAML_DOCUMENT_START_EVENT)
        rc = fail(c, loc_of(&ev.start_mark), "a scenario is one YAML document; found a second");
    yaml_event_delete(&ev);
    if (rc)
        return -1;
    c->duration_loc = at[RF_DURATION];
    c->boot_loc = at[RF_BOOT_TIME];
    return check_whole(c);
}

int scn_load_mem(struct scn *sc, const char *name, const char *buf, size_t len, struct err *e)
{
    if (len > SCN_MAX_FILE_BYTES) {
        memset(sc, 0, sizeof(*sc));
        err_set(e, "%s: scenario is larger than the limit of %u bytes", name,
                (unsigned)SCN_MAX_FILE_BYTES);
        return -1;
    }
    if (len >= 4 && (!memcmp(buf, "\xff\xfe\0\0", 4) || !memcmp(buf, "\0\0\xfe\xff", 4))) {
        memset(sc, 0, sizeof(*sc));
        err_set(e,
                "%s:1:1: the file is UTF-32 (byte-order mark %s); scenarios are UTF-8: save it "
                "as UTF-8",
                name, buf[0] ? "FF FE 00 00" : "00 00 FE FF");
        return -1;
    }
    /* Windows editors and PowerShell's Out-File write UTF-16 with a BOM. */
    if (len >= 2 &&
        ((buf[0] == '\xff' && buf[1] == '\xfe') || (buf[0] == '\xfe' && buf[1] == '\xff'))) {
        memset(sc, 0, sizeof(*sc));
        err_set(e,
                "%s:1:1: the file is UTF-16 (byte-order mark %s); scenarios are UTF-8: save it "
                "as UTF-8",
                name, buf[0] == '\xff' ? "FF FE" : "FE FF");
        return -1;
    }
    struct ctx *c = xcalloc(1, sizeof(*c));
    scn_init(sc);
    sc->file = xstrdup(name);
    c->sc = sc;
    c->e = e;
    c->file = name;
    c->buf = (const unsigned char *)buf;
    c->len = len;
    c->cap_sessions = 1;
    c->sloc[0] = (struct sess_locs){{0, 0}, {0, 0}, {0, 0}};
    if (!yaml_parser_initialize(&c->p)) {
        free(c);
        scn_release(sc);
        err_set(e, "%s: cannot initialise the yaml parser", name);
        return -1;
    }
    /* Scenarios are UTF-8; without this libyaml would honour a UTF-16 BOM. */
    yaml_parser_set_encoding(&c->p, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&c->p, c->buf, len);
    int rc = load_doc(c);
    yaml_parser_delete(&c->p);
    free(c);
    if (rc)
        scn_release(sc);
    return rc;
}

int scn_load_file(struct scn *sc, const char *path, struct err *e)
{
    char *buf;
    size_t len;
    if (read_file_all(path, SCN_MAX_FILE_BYTES, &buf, &len, e)) {
        memset(sc, 0, sizeof(*sc));
        return -1;
    }
    int rc = scn_load_mem(sc, path, buf, len, e);
    free(buf);
    return rc;
}

int scn_load_default(struct scn *sc, struct err *e)
{
    return scn_load_mem(sc, "<default>", scn_default_yaml, scn_default_yaml_len, e);
}
