/*
 * readers: open real host data, tell its format from the content, read it
 * into the event set and hand out one snapshot per host, source and boot.
 * The format front ends live in rd_evtx.c, rd_xml.c, rd_json.c and
 * rd_csv.c; the tree building in rd_build.c.
 */
#include "readers.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rd_evtx.h"
#include "rd_int.h"

#define HEAD_MAX RD_HEAD_MAX

enum fmt { FMT_AUTO, FMT_EVTX, FMT_XML, FMT_NDJSON, FMT_JSONDOC, FMT_VOL3CSV, FMT_HIVE };

static const struct {
    const char *name;
    enum fmt fmt;
    const char *label; /* used in snapshot "source" names */
} formats[] = {
    {"auto", FMT_AUTO, "auto"},
    {"evtx", FMT_EVTX, "evtx"},
    {"xml", FMT_XML, "xml"},
    {"nxlog", FMT_NDJSON, "ndjson"},
    {"ecs", FMT_NDJSON, "ndjson"},
    {"ndjson", FMT_NDJSON, "ndjson"},
    {"vol3-jsonl", FMT_NDJSON, "ndjson"},
    {"vol3-json", FMT_JSONDOC, "json"},
    {"cim-json", FMT_JSONDOC, "json"},
    {"json", FMT_JSONDOC, "json"},
    {"vol3-csv", FMT_VOL3CSV, "csv"},
    {"hive", FMT_HIVE, "hive"},
};

const char *rd_format_names(void)
{
    return "auto, evtx, xml, nxlog, ecs, ndjson, vol3-csv, vol3-json, vol3-jsonl, cim-json, json, "
           "hive";
}

struct rd_stream {
    char *name;
    char *path;
    enum fmt fmt;
    FILE *fp;
    unsigned char *head;
    size_t nhead;
    struct rd_set *set;
    char *warning;    /* damage read around (rd_warning), NULL if none */
    size_t damage_at; /* where the damage itself starts in warning */
    int loaded;
    size_t ngroups, next;
    char **more; /* rd_open_group: the other files of the host, read into the same set */
    size_t nmore;
    char *log_name; /* rd_open_group: the logs' names alone, for snapshots without the hives */
};

size_t rd_src_read(struct rd_src_file *f, void *buf, size_t n)
{
    size_t got = 0;
    if (f->hpos < f->nhead) {
        got = f->nhead - f->hpos < n ? f->nhead - f->hpos : n;
        memcpy(buf, f->head + f->hpos, got);
        f->hpos += got;
    }
    if (got < n && f->fp)
        got += fread((char *)buf + got, 1, n - got, f->fp);
    return got;
}

int rd_src_slurp(struct rd_src_file *f, size_t max, char **out, size_t *len, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;
    char chunk[1 << 16];
    size_t n;
    while ((n = rd_src_read(f, chunk, sizeof(chunk))) > 0) {
        if (sb.len + n > max) {
            sb_release(&sb);
            err_set(e, "%s: larger than %zu bytes", f->name, max);
            return -1;
        }
        sb_add(&sb, chunk, n);
    }
    if (f->fp && ferror((FILE *)f->fp)) {
        sb_release(&sb);
        err_set(e, "%s: read error: %s", f->name, strerror(errno));
        return -1;
    }
    sb_addc(&sb, '\0');
    *len = sb.len - 1;
    *out = sb_detach(&sb, NULL);
    return 0;
}

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static int has(const unsigned char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(h + i, needle, k))
            return 1;
    return 0;
}

/* Does [p, end) begin with the string s? */
static int starts(const unsigned char *p, const unsigned char *end, const char *s)
{
    size_t k = strlen(s);
    return (size_t)(end - p) >= k && !memcmp(p, s, k);
}

/* The format from the first bytes. Returns FMT_AUTO when it cannot tell. */
static enum fmt detect(const unsigned char *h, size_t n)
{
    if (n >= 8 && !memcmp(h, "ElfFile", 8))
        return FMT_EVTX;
    if (n >= 4 && !memcmp(h, "regf", 4))
        return FMT_HIVE;
    if (n >= 2 && h[0] == 0xff && h[1] == 0xfe) {
        /* UTF-16LE from Windows PowerShell: look at the first character. */
        size_t i = 2;
        while (i + 1 < n && h[i + 1] == 0 && (h[i] == ' ' || h[i] == '\r' || h[i] == '\n'))
            i += 2;
        if (i + 1 < n && h[i + 1] == 0)
            return h[i] == '<' ? FMT_XML : (h[i] == '[' || h[i] == '{') ? FMT_JSONDOC : FMT_AUTO;
        return FMT_AUTO;
    }
    const unsigned char *p = h, *end = h + n;
    if (n >= 3 && !memcmp(h, "\xef\xbb\xbf", 3))
        p += 3;
    p = skip_ws(p, end);
    if (p == end)
        return FMT_AUTO;
    if (*p == '<')
        return FMT_XML;
    if (*p == '[')
        return FMT_JSONDOC;
    if (*p == '{') {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        cJSON *o = cJSON_ParseWithLength((const char *)p, len);
        enum fmt f = o ? FMT_NDJSON : FMT_JSONDOC; /* a pretty-printed object spans lines */
        cJSON_Delete(o);
        return f;
    }
    /* evtxexport's banner line, or Volatility's, before the data. The head
     * is not NUL-terminated: compare only bytes it holds. */
    if (starts(p, end, "evtxexport") && has(p, (size_t)(end - p), "<Event"))
        return FMT_XML;
    const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
    if (starts(p, end, "Volatility 3 Framework") && nl) {
        const unsigned char *q = skip_ws(nl + 1, end);
        if (q < end && (*q == '[' || *q == '{'))
            return FMT_JSONDOC;
        p = q;
        nl = memchr(p, '\n', (size_t)(end - p));
    }
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (has(p, len, "PID") && has(p, len, "PPID") && has(p, len, ","))
        return FMT_VOL3CSV;
    if (starts(p, end, "sample_id,") && ((has(p, len, ",pid,") && has(p, len, ",ppid,")) ||
                                         (has(p, len, ",key,") && has(p, len, ",data,"))))
        return FMT_VOL3CSV; /* smsslab's corpus CSV (processes or registry): the same reader */
    return FMT_AUTO;
}

/* Is this smsslab's own JSON? A scan of the first JSON object's top-level
 * keys for "schema": "smsslab.…", wherever the key is (jq -S moves it after
 * the events), fed in pieces as they are read. Only the top level is
 * parsed; deeper values are skipped by counting brackets outside strings. */
enum { JS_UNDECIDED = -1, JS_OTHER = 0, JS_NATIVE = 1 };
struct jscan {
    int result;
    size_t depth;
    enum { J_START, J_KEY, J_COLON, J_VALUE, J_NEXT } at; /* at depth 1 */
    int in_str, esc;
    int key_is_schema, val_is_schema;
    char buf[16]; /* the key, then the schema value, as far as we compare */
    size_t len;
};

static int js_done(struct jscan *j, int result)
{
    j->result = result;
    return result;
}

/* A byte JSON allows outside strings: white space, punctuation, numbers and
 * the letters of true, false and null. Anything else is not JSON. */
static int js_plain(unsigned char c)
{
    return strchr(" \t\r\n,:-+.0123456789eEtrufalsn", c) && c;
}

static int js_feed(struct jscan *j, const unsigned char *p, size_t n)
{
    static const char want_val[] = "smsslab.";
    for (size_t i = 0; i < n && j->result == JS_UNDECIDED; i++) {
        unsigned char c = p[i];
        if (j->in_str) {
            if (c < 0x20)
                return js_done(j, JS_OTHER);
            int end = !j->esc && c == '"';
            j->esc = !j->esc && c == '\\';
            if (j->depth == 1 && !end && j->len < sizeof(j->buf))
                j->buf[j->len++] = (char)c;
            if (j->depth == 1 && j->val_is_schema && j->len == 8)
                return js_done(j, memcmp(j->buf, want_val, 8) ? JS_OTHER : JS_NATIVE);
            if (!end)
                continue;
            j->in_str = 0;
            if (j->depth != 1)
                continue;
            if (j->val_is_schema) /* a short value: not ours */
                return js_done(j, JS_OTHER);
            if (j->at == J_KEY) {
                j->key_is_schema = j->len == 6 && !memcmp(j->buf, "schema", 6);
                j->at = J_COLON;
            } else {
                j->at = J_NEXT;
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (j->depth == 0) {
            if (j->at != J_START || c != '{')
                return js_done(j, JS_OTHER);
            j->depth = 1;
            j->at = J_KEY;
            continue;
        }
        if (j->depth > 1) {
            if (c == '"')
                j->in_str = 1;
            else if (c == '{' || c == '[')
                j->depth++;
            else if (c == '}' || c == ']') {
                if (--j->depth == 1)
                    j->at = J_NEXT;
            } else if (!js_plain(c))
                return js_done(j, JS_OTHER);
            continue;
        }
        switch (j->at) {
        case J_KEY:
            if (c == '}')
                return js_done(j, JS_OTHER); /* the object ended without the key */
            if (c != '"')
                return js_done(j, JS_OTHER);
            j->in_str = 1;
            j->len = 0;
            break;
        case J_COLON:
            if (c != ':')
                return js_done(j, JS_OTHER);
            j->at = J_VALUE;
            break;
        case J_VALUE:
            if (j->key_is_schema) {
                if (c != '"')
                    return js_done(j, JS_OTHER);
                j->val_is_schema = 1;
                j->in_str = 1;
                j->len = 0;
            } else if (c == '"') {
                j->in_str = 1;
                j->len = sizeof(j->buf); /* values are not compared */
            } else if (c == '{' || c == '[') {
                j->depth++;
            } else if (js_plain(c) && c != ',' && c != ':') {
                j->at = J_NEXT; /* a number or literal: its other bytes come in J_NEXT */
            } else {
                return js_done(j, JS_OTHER);
            }
            break;
        case J_NEXT:
            if (c == ',')
                j->at = J_KEY;
            else if (c == '}')
                return js_done(j, JS_OTHER);
            else if (!js_plain(c) || c == ':')
                return js_done(j, JS_OTHER);
            break;
        default: return js_done(j, JS_OTHER);
        }
    }
    return j->result;
}

static void js_init(struct jscan *j)
{
    memset(j, 0, sizeof(*j));
    j->result = JS_UNDECIDED;
}

/* Feed the start of an input, skipping a UTF-8 byte-order mark. */
static int js_feed_start(struct jscan *j, const unsigned char *h, size_t n)
{
    if (n >= 3 && !memcmp(h, "\xef\xbb\xbf", 3))
        h += 3, n -= 3;
    return js_feed(j, h, n);
}

int rd_sniff(FILE *fp, const char *name, unsigned char **head, size_t *n, struct err *e)
{
    size_t cap = HEAD_MAX, len = 0;
    unsigned char *buf = xmalloc(cap);
    struct jscan j;
    js_init(&j);
    int bom_checked = 0, rc = JS_UNDECIDED;
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len, fp);
        if (ferror(fp)) {
            err_set(e, "%s: read error: %s", name, strerror(errno));
            free(buf);
            return -1;
        }
        if (!bom_checked) {
            bom_checked = 1;
            rc = js_feed_start(&j, buf, got);
        } else {
            rc = js_feed(&j, buf + len, got);
        }
        len += got;
        if (rc != JS_UNDECIDED || got == 0 || feof(fp))
            break;
        if (len == cap) {
            if (cap >= RD_SNIFF_MAX)
                break; /* larger than any document a reader takes: let it say so */
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    *head = buf;
    *n = len;
    return rc == JS_NATIVE;
}

int rd_is_native(const char *path)
{
    if (!strcmp(path, "-"))
        return 1;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 1; /* let the native reader report the error */
    unsigned char *head;
    size_t n;
    struct err e;
    int rc = rd_sniff(fp, path, &head, &n, &e);
    fclose(fp);
    if (rc >= 0)
        free(head);
    return rc != 0;
}

/* The format named by --input-format: 0, or -1 with e set. */
static int parse_format(const char *format, enum fmt *want, const char **label, struct err *e)
{
    *want = FMT_AUTO;
    *label = NULL;
    if (!format)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
        if (!ascii_casecmp(format, formats[i].name)) {
            *want = formats[i].fmt;
            *label = *want == FMT_AUTO ? NULL : formats[i].name;
            return 0;
        }
    err_set(e, "unknown input format '%s' (expected one of: native, %s)", format,
            rd_format_names());
    return -1;
}

/* Is this UTF-16 text (BOM FF FE or FE FF) smsslab's own JSON? The head's
 * characters narrowed to bytes (non-ASCII ones as '?') go through the
 * schema scan. */
static int utf16_native(const unsigned char *h, size_t n)
{
    int be = h[0] == 0xfe;
    unsigned char narrow[4096];
    size_t k = 0;
    struct jscan j;
    js_init(&j);
    for (size_t i = 2; i + 1 < n; i += 2) {
        unsigned hi = h[i + !be], lo = h[i + be];
        narrow[k++] = hi ? '?' : (unsigned char)lo;
        if (k == sizeof(narrow) || i + 3 >= n) {
            if (js_feed(&j, narrow, k) != JS_UNDECIDED)
                break;
            k = 0;
        }
    }
    return j.result == JS_NATIVE;
}

/* Encodings no reader takes, said as what they are rather than as an
 * unknown format: 0, or -1 with e set. */
static int refuse_encoding(const struct rd_stream *r, enum fmt want, struct err *e)
{
    const unsigned char *h = r->head;
    size_t n = r->nhead;
    if (n >= 4 && (!memcmp(h, "\xff\xfe\0\0", 4) || !memcmp(h, "\0\0\xfe\xff", 4))) {
        err_set(e,
                "%s: the file is UTF-32 (byte-order mark %s); smsslab reads UTF-8 (and "
                "UTF-16LE event XML or JSON): save it as UTF-8",
                r->name, h[0] ? "FF FE 00 00" : "00 00 FE FF");
        return -1;
    }
    if (want == FMT_AUTO && n >= 2 &&
        ((h[0] == 0xff && h[1] == 0xfe) || (h[0] == 0xfe && h[1] == 0xff)) && utf16_native(h, n)) {
        err_set(e,
                "%s: smsslab JSON saved as UTF-16 (byte-order mark %s); smsslab reads its "
                "own JSON as UTF-8 only: convert it, e.g. iconv -f UTF-16 -t UTF-8",
                r->name, h[0] == 0xff ? "FF FE" : "FE FF");
        return -1;
    }
    return 0;
}

/* r holds its name, path, stream and head: detect or take the format. */
static struct rd_stream *open_common(struct rd_stream *r, enum fmt want, const char *label,
                                     struct err *e)
{
    if (refuse_encoding(r, want, e) < 0) {
        rd_close(r);
        return NULL;
    }
    /* rd_sniff may have read far past the head to find a "schema" key;
     * detection looks at the head only (it parses its first line). */
    r->fmt = want == FMT_AUTO ? detect(r->head, r->nhead < HEAD_MAX ? r->nhead : HEAD_MAX) : want;
    if (r->fmt == FMT_AUTO) {
        err_set(e,
                "%s: cannot tell the input format: expected an .evtx file (ElfFile "
                "signature), a SYSTEM or SOFTWARE registry hive (regf), event XML (<Event>), "
                "NDJSON (NXLog or ECS, one object per "
                "line), Volatility 3 CSV (PID,PPID header) or JSON, Get-CimInstance "
                "Win32_Process JSON, or smsslab JSON; use --input-format (%s)",
                r->name, rd_format_names());
        rd_close(r);
        return NULL;
    }
    int by_path = r->fmt == FMT_EVTX || r->fmt == FMT_HIVE;
    const char *kind = r->fmt == FMT_EVTX ? ".evtx" : "a registry hive";
    if (by_path && r->fp == stdin) {
        err_set(e, "<stdin>: %s cannot be read from standard input; pass the file's path", kind);
        rd_close(r);
        return NULL;
    }
    /* libevtx and libhivex open the path themselves: a pipe's bytes are gone. */
    struct stat st;
    if (by_path && r->fp && (fstat(fileno(r->fp), &st) != 0 || !S_ISREG(st.st_mode))) {
        err_set(e, "%s: %s cannot be read from a pipe or device; pass the file's path", r->name,
                kind);
        rd_close(r);
        return NULL;
    }
    if (!label)
        for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
            if (formats[i].fmt == r->fmt) {
                label = formats[i].label;
                break;
            }
    if (r->fmt == FMT_EVTX)
        label = "evtx";
    else if (r->fmt == FMT_XML)
        label = "xml";
    r->set = rd_set_new(label);
    return r;
}

struct rd_stream *rd_open(const char *path, const char *format, struct err *e)
{
    enum fmt want;
    const char *label;
    if (parse_format(format, &want, &label, e) < 0)
        return NULL;
    int is_stdin = !strcmp(path, "-");
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct rd_stream *r = xcalloc(1, sizeof(*r));
    r->name = xstrdup(is_stdin ? "<stdin>" : path);
    r->path = xstrdup(path);
    r->fp = fp;
    r->head = xmalloc(HEAD_MAX);
    r->nhead = fread(r->head, 1, HEAD_MAX, fp);
    if (ferror(fp)) {
        err_set(e, "%s: read error: %s", r->name, strerror(errno));
        rd_close(r);
        return NULL;
    }
    return open_common(r, want, label, e);
}

struct rd_stream *rd_open_stream(const char *name, FILE *fp, const void *head, size_t nhead,
                                 const char *format, struct err *e)
{
    enum fmt want;
    const char *label;
    if (parse_format(format, &want, &label, e) < 0)
        return NULL;
    struct rd_stream *r = xcalloc(1, sizeof(*r));
    r->name = xstrdup(name);
    r->path = xstrdup(fp == stdin ? "-" : name);
    r->fp = fp;
    r->head = xmalloc(nhead ? nhead : 1);
    if (nhead)
        memcpy(r->head, head, nhead);
    r->nhead = nhead;
    return open_common(r, want, label, e);
}

/* libevtx reads what it can of a cut or damaged log and only flags it:
 * say so, with what was read, rather than check half a tree silently. */
/* path (shown as name) into r's set; a cut or damaged log is said in
 * r->warning (the first one found, when several files are read). */
static int load_evtx_file(struct rd_stream *r, const char *path, const char *name, struct err *e)
{
    struct rd_evtx_info in;
    if (rd_read_evtx_info(r->set, path, &in, e) < 0)
        return -1;
    if ((!(in.want_size && in.size < in.want_size) && !in.corrupted) || r->warning)
        return 0;
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%s: warning: ", name);
    r->damage_at = sb.len;
    if (in.want_size && in.size < in.want_size)
        sb_addf(&sb,
                "the file is cut short: %llu of the %llu bytes its header describes (%u "
                "chunks of records); read %llu records, the rest are lost",
                (unsigned long long)in.size, (unsigned long long)in.want_size, in.chunks,
                (unsigned long long)in.records);
    else
        sb_addf(&sb,
                "the file is damaged: libevtx could not read all its chunks; read %llu "
                "records, the others are lost",
                (unsigned long long)in.records);
    r->warning = sb_detach(&sb, NULL);
    return 0;
}

static int load_evtx(struct rd_stream *r, struct err *e)
{
    /* In a group, r->name joins every file's: say which one is damaged. */
    return load_evtx_file(r, r->path, r->nmore ? r->path : r->name, e);
}

const char *rd_warning(const struct rd_stream *r)
{
    return r->warning;
}

static int load_more(struct rd_stream *r, struct err *e);

static int load(struct rd_stream *r, struct err *e)
{
    struct rd_src_file f = {r->name, r->path, r->head, r->nhead, 0, r->fp};
    int rc;
    switch (r->fmt) {
    case FMT_EVTX: rc = load_evtx(r, e); break;
    case FMT_HIVE: rc = rd_read_hive(r->set, r->path, e); break;
    case FMT_XML: rc = rd_read_xml(r->set, &f, e); break;
    case FMT_NDJSON: rc = rd_read_ndjson(r->set, &f, 0, e); break;
    case FMT_JSONDOC: rc = rd_read_jsondoc(r->set, &f, e); break;
    case FMT_VOL3CSV: rc = rd_read_vol3_csv(r->set, &f, e); break;
    default: rc = -1; err_set(e, "%s: no reader for this format", r->name);
    }
    if (rc < 0 || load_more(r, e) < 0)
        return -1;
    rd_set_finish(r->set);
    if (rd_set_attach_state(r->set, r->name, e) < 0)
        return -1;
    r->ngroups = rd_set_count(r->set);
    if (!r->ngroups && r->warning) {
        /* Nothing survived the damage: one error that says both. */
        err_set(e, "%s: no process or registry records in what could be read: %s", r->name,
                r->warning + r->damage_at);
        return -1;
    }
    if (!r->ngroups) {
        err_set(e,
                "%s: no process or registry records found (Sysmon events 1 and 12-14, "
                "Security 4688 and 4657, process list rows, or the keys the rules read in "
                "a SYSTEM or SOFTWARE hive)",
                r->name);
        return -1;
    }
    return 0;
}

int rd_next(struct rd_stream *r, struct snap *s, struct err *e)
{
    if (!r->loaded) {
        r->loaded = 1;
        if (load(r, e) < 0) {
            r->ngroups = r->next = 0;
            return -1;
        }
    }
    if (r->next >= r->ngroups)
        return 0;
    if (rd_set_snapshot(r->set, r->next++, s, e) < 0) {
        /* The refusal is about one snapshot of this file: name the file. */
        struct err inner = *e;
        err_set(e, "%s: %s", r->name, inner.msg);
        return -1;
    }
    /* Findings name the files they rest on: the hives only where their
     * values joined the snapshot. */
    s->file =
        snap_str(s, r->log_name && !rd_set_has_state(r->set, r->next - 1) ? r->log_name : r->name);
    return 1;
}

void rd_close(struct rd_stream *r)
{
    if (!r)
        return;
    if (r->fp && r->fp != stdin)
        fclose(r->fp);
    rd_set_free(r->set);
    for (size_t i = 0; i < r->nmore; i++)
        free(r->more[i]);
    free(r->more);
    free(r->log_name);
    free(r->warning);
    free(r->head);
    free(r->name);
    free(r->path);
    free(r);
}

/* ---- one host's files together -------------------------------------------------- */

/* The other files of rd_open_group, each in its own format, into r's set. */
static int load_more(struct rd_stream *r, struct err *e)
{
    for (size_t i = 0; i < r->nmore; i++) {
        const char *path = r->more[i];
        FILE *fp = fopen(path, "rb");
        if (!fp) {
            err_set(e, "%s: cannot open: %s", path, strerror(errno));
            return -1;
        }
        unsigned char *head = xmalloc(HEAD_MAX);
        size_t n = fread(head, 1, HEAD_MAX, fp);
        struct rd_src_file f = {path, path, head, n, 0, fp};
        enum fmt fmt = detect(head, n);
        int rc;
        switch (fmt) {
        case FMT_EVTX: rc = load_evtx_file(r, path, path, e); break;
        case FMT_HIVE: rc = rd_read_hive(r->set, path, e); break;
        case FMT_XML: rc = rd_read_xml(r->set, &f, e); break;
        case FMT_NDJSON: rc = rd_read_ndjson(r->set, &f, 0, e); break;
        default:
            err_set(e,
                    "%s: only .evtx files, event XML, NDJSON and registry hives can be read "
                    "together as one host",
                    path);
            rc = -1;
        }
        free(head);
        fclose(fp);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int path_starts(const char *path, const char *magic, size_t n)
{
    unsigned char h[8];
    FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : NULL;
    if (!fp)
        return 0;
    struct stat st;
    int ok = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && fread(h, 1, n, fp) == n &&
             !memcmp(h, magic, n);
    fclose(fp);
    return ok;
}

int rd_path_is_evtx(const char *path)
{
    return path_starts(path, "ElfFile", 8);
}

int rd_path_hive_kind(const char *path)
{
    if (!path_starts(path, "regf", 4))
        return 0;
    return rd_hive_kind(path);
}

struct rd_stream *rd_open_group(const char *const *paths, size_t n, struct err *e)
{
    if (!n) {
        err_set(e, "no files given");
        return NULL;
    }
    struct rd_stream *r = rd_open(paths[0], NULL, e);
    if (!r)
        return NULL;
    if (n == 1)
        return r;
    struct strbuf name = STRBUF_INIT, logs = STRBUF_INIT;
    sb_adds(&name, r->name);
    if (r->fmt != FMT_HIVE)
        sb_adds(&logs, r->name);
    r->more = xcalloc(n - 1, sizeof(*r->more));
    for (size_t i = 1; i < n; i++) {
        r->more[r->nmore++] = xstrdup(paths[i]);
        sb_addf(&name, " + %s", paths[i]);
        if (!path_starts(paths[i], "regf", 4))
            sb_addf(&logs, "%s%s", logs.len ? " + " : "", paths[i]);
    }
    free(r->name);
    r->name = sb_detach(&name, NULL);
    r->log_name = logs.len ? sb_detach(&logs, NULL) : NULL;
    sb_release(&logs);
    return r;
}
