/*
 * rd_xml: Windows event XML with libxml2's SAX2 push parser, so memory stays
 * flat however long the file and no tree is built: the handlers below keep
 * only the current record's values (about twice the speed of xmlTextReader,
 * which runs the same push parser and then builds and frees a node per
 * element). Serves files (wevtutil qe /f:xml, evtxexport -f xml,
 * Get-WinEvent ToXml) and, through rd_xml_record, each record of an .evtx
 * file (libevtx hands out record XML).
 *
 * wevtutil and evtxexport write one <Event> after another with no root
 * element, which is not a well-formed document; we feed the parser a
 * wrapper element around the file's bytes instead of editing the file.
 * evtxexport's banner line before the first '<' and an XML declaration are
 * skipped; Windows PowerShell's UTF-16LE files (with BOM) are read with the
 * wrapper written in UTF-16LE too.
 */
#include "rd_int.h"

#include <errno.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_EVENTID, F_VERSION, F_PROVIDER, F_CHANNEL, F_COMPUTER, F_TIME, F_RECID, F_NSYS };

/* The element and attribute names we look for. libxml2 hands every name out
 * of its parser's dictionary, so once ours are looked up there too a name is
 * matched by comparing pointers. */
#define NAMES(X)                     \
    X(N_EVENT, "Event")              \
    X(N_SYSTEM, "System")            \
    X(N_EVENT_DATA, "EventData")     \
    X(N_USER_DATA, "UserData")       \
    X(N_EVENT_ID, "EventID")         \
    X(N_VERSION, "Version")          \
    X(N_CHANNEL, "Channel")          \
    X(N_COMPUTER, "Computer")        \
    X(N_PROVIDER, "Provider")        \
    X(N_TIME_CREATED, "TimeCreated") \
    X(N_RECORD_ID, "EventRecordID")  \
    X(N_DATA, "Data")                \
    X(N_NAME, "Name")                \
    X(N_SYSTEM_TIME, "SystemTime")
#define AS_ENUM(e, s) e,
#define AS_STR(e, s) s,
enum { NAMES(AS_ENUM) N_COUNT };
static const char *const name_str[] = {NAMES(AS_STR)};

struct rd_xml {
    xmlParserCtxtPtr ctxt;        /* the parse in progress */
    const xmlChar *name[N_COUNT]; /* name_str in ctxt's dictionary */
    struct rd_set *set;           /* where finished records go */
    const char *where;            /* for messages */
    struct err *e;
    int add_line;       /* messages carry the line of the record's end */
    long rec_line;      /* line of the current record's <Event>, 0 without add_line */
    int failed;         /* a record was refused: e holds why, the parser stopped */
    struct strbuf buf;  /* all values of the current record, NUL-separated */
    size_t sys[F_NSYS]; /* offsets + 1 into buf, 0 = absent */
    size_t kname[RD_MAX_KV], kval[RD_MAX_KV];
    size_t nkv;
    size_t *capture; /* where the open element's text goes */
    int in_event, in_system, in_data;
    int depth; /* open elements, the wrapper included */
    int too_big;
    char errmsg[600];
    int errline;
    long line_offset;        /* lines skipped before the parser's first byte */
    const int *input_done;   /* set once the whole file went to the parser */
    const long *input_lines; /* newlines in what went to the parser */
};

static void on_error(void *arg, xmlErrorPtr err)
{
    struct rd_xml *x = arg;
    if (!err || err->level < XML_ERR_ERROR || x->errmsg[0])
        return;
    snprintf(x->errmsg, sizeof(x->errmsg), "%s", err->message ? err->message : "XML error");
    size_t n = strlen(x->errmsg);
    while (n && (x->errmsg[n - 1] == '\n' || x->errmsg[n - 1] == ' '))
        x->errmsg[--n] = '\0';
    x->errline = err->line;
}

struct rd_xml *rd_xml_new(void)
{
    xmlInitParser();
    return xcalloc(1, sizeof(struct rd_xml));
}

void rd_xml_free(struct rd_xml *x)
{
    if (!x)
        return;
    sb_release(&x->buf);
    free(x);
}

static const char *at(const struct rd_xml *x, size_t off)
{
    return off ? x->buf.buf + off - 1 : NULL;
}

static const char *get_data(const struct rd_rec *r, const char *name)
{
    const struct rd_xml *x = r->ctx;
    for (size_t i = 0; i < x->nkv; i++)
        if (!strcmp(at(x, x->kname[i]), name))
            return at(x, x->kval[i]);
    return NULL;
}

/* Append n bytes and a NUL to buf; returns the string's offset + 1. */
static size_t put(struct rd_xml *x, const char *s, size_t n)
{
    size_t off = x->buf.len + 1;
    if (x->buf.len + n > RD_MAX_RECORD) {
        x->too_big = 1;
        n = 0;
    }
    sb_add(&x->buf, s, n);
    sb_add(&x->buf, "", 1);
    return off;
}

/* Text of the open element goes to the end of buf: the last string grows. */
static void append_text(struct rd_xml *x, const char *s, size_t n)
{
    if (x->buf.len + n > RD_MAX_RECORD) {
        x->too_big = 1;
        return;
    }
    x->buf.len--; /* drop the NUL, extend, re-terminate */
    sb_add(&x->buf, s, n);
    sb_add(&x->buf, "", 1);
}

static void start_record(struct rd_xml *x)
{
    sb_reset(&x->buf);
    memset(x->sys, 0, sizeof(x->sys));
    x->nkv = 0;
    x->capture = NULL;
    x->in_event = 1;
    x->in_system = x->in_data = 0;
    x->too_big = 0;
}

static void open_capture(struct rd_xml *x, size_t *slot)
{
    *slot = put(x, "", 0);
    x->capture = slot;
}

static int finish_record(struct rd_xml *x, long line)
{
    x->in_event = 0;
    if (x->too_big) {
        err_set(x->e, "%s:%ld: event record larger than %u bytes", x->where, line, RD_MAX_RECORD);
        return -1;
    }
    uint64_t id;
    if (rd_parse_num(at(x, x->sys[F_EVENTID]), UINT32_MAX, &id))
        return 0; /* not an event we can classify */
    if (!rd_winevent_wanted((uint32_t)id))
        return 0;
    struct rd_rec r = {0};
    r.event_id = (uint32_t)id;
    uint64_t v;
    r.version = rd_parse_num(at(x, x->sys[F_VERSION]), 255, &v) ? -1 : (int)v;
    r.provider = at(x, x->sys[F_PROVIDER]);
    r.channel = at(x, x->sys[F_CHANNEL]);
    r.computer = at(x, x->sys[F_COMPUTER]);
    r.time_created = WT_NONE;
    int64_t t;
    if (!rd_parse_time(at(x, x->sys[F_TIME]), &t))
        r.time_created = t;
    if (rd_parse_num(at(x, x->sys[F_RECID]), UINT64_MAX, &v))
        v = 0;
    r.rec.id = v;
    r.rec.line = x->rec_line > 0 ? (uint64_t)x->rec_line : 0;
    r.get = get_data;
    r.ctx = x;
    struct err sub;
    if (rd_winevent(x->set, &r, &sub) < 0) {
        err_set(x->e, "%s:%ld: %s", x->where, line, sub.msg);
        return -1;
    }
    return 0;
}

/* The value of the unprefixed attribute NAME, copied into buf (offset + 1),
 * or 0. SAX2 hands attributes as (localname, prefix, URI, value, end). */
static size_t put_attr(struct rd_xml *x, const xmlChar **attrs, int n, int name)
{
    for (int i = 0; i < n; i++, attrs += 5)
        if (!attrs[1] && attrs[0] == x->name[name])
            return put(x, (const char *)attrs[3], (size_t)(attrs[4] - attrs[3]));
    return 0;
}

/* Element names are matched without their namespace: Windows puts every
 * event in its events namespace. An empty element <X/> comes as a start
 * and an end, so it captures "". */
static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
    (void)prefix, (void)uri, (void)nns, (void)ns, (void)ndefaulted;
    struct rd_xml *x = ctx;
    const xmlChar *n = localname;
    if (++x->depth > RD_MAX_XML_DEPTH) {
        long line = xmlSAX2GetLineNumber(x->ctxt) + x->line_offset;
        err_set(x->e, "%s:%ld: invalid event XML: elements nest deeper than %d levels", x->where,
                line, RD_MAX_XML_DEPTH);
        x->failed = 1;
        xmlStopParser(x->ctxt);
        return;
    }
    if (n == x->name[N_EVENT]) {
        start_record(x);
        x->rec_line = x->add_line ? xmlSAX2GetLineNumber(x->ctxt) + x->line_offset : 0;
        return;
    }
    if (!x->in_event)
        return;
    if (n == x->name[N_SYSTEM]) {
        x->in_system = 1;
    } else if (n == x->name[N_EVENT_DATA] || n == x->name[N_USER_DATA]) {
        x->in_data = 1;
    } else if (x->in_system) {
        if (n == x->name[N_EVENT_ID])
            open_capture(x, &x->sys[F_EVENTID]);
        else if (n == x->name[N_VERSION])
            open_capture(x, &x->sys[F_VERSION]);
        else if (n == x->name[N_CHANNEL])
            open_capture(x, &x->sys[F_CHANNEL]);
        else if (n == x->name[N_COMPUTER])
            open_capture(x, &x->sys[F_COMPUTER]);
        else if (n == x->name[N_RECORD_ID])
            open_capture(x, &x->sys[F_RECID]);
        else if (n == x->name[N_PROVIDER]) {
            size_t a = put_attr(x, attrs, nattrs, N_NAME);
            if (a)
                x->sys[F_PROVIDER] = a;
        } else if (n == x->name[N_TIME_CREATED]) {
            size_t a = put_attr(x, attrs, nattrs, N_SYSTEM_TIME);
            if (a)
                x->sys[F_TIME] = a;
        }
    } else if (x->in_data && n == x->name[N_DATA] && x->nkv < RD_MAX_KV) {
        size_t a = put_attr(x, attrs, nattrs, N_NAME);
        if (a) {
            x->kname[x->nkv] = a;
            open_capture(x, &x->kval[x->nkv]);
            x->nkv++;
        }
    }
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    struct rd_xml *x = ctx;
    if (x->capture && len > 0)
        append_text(x, (const char *)ch, (size_t)len);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    (void)prefix, (void)uri;
    struct rd_xml *x = ctx;
    const xmlChar *n = localname;
    x->depth--;
    x->capture = NULL;
    if (!x->in_event || x->failed)
        return;
    if (n == x->name[N_SYSTEM])
        x->in_system = 0;
    else if (n == x->name[N_EVENT_DATA] || n == x->name[N_USER_DATA])
        x->in_data = 0;
    else if (n == x->name[N_EVENT]) {
        long line = x->add_line ? xmlSAX2GetLineNumber(x->ctxt) + x->line_offset : 0;
        if (finish_record(x, line) < 0) {
            x->failed = 1;
            xmlStopParser(x->ctxt);
        }
    }
}

static const char doctype_refused[] =
    "event XML with a DOCTYPE (a DTD or entity declarations) is refused: Windows, wevtutil and "
    "Sysmon never write one; remove it";

/* A record's XML (no wrapper) with a DOCTYPE: refused, as a file's is. */
static void on_doctype(void *arg, const xmlChar *name, const xmlChar *ext_id, const xmlChar *sys_id)
{
    (void)name, (void)ext_id, (void)sys_id;
    struct rd_xml *x = arg;
    if (x->failed)
        return;
    x->failed = 1;
    err_set(x->e, "%s: %s", x->where, doctype_refused);
    xmlStopParser(x->ctxt);
}

/* No DTD, no entities beyond XML's own, no network: only these handlers
 * (libxml2 copies the table into each parser). */
static xmlSAXHandler sax = {
    .internalSubset = on_doctype,
    .startElementNs = on_start,
    .endElementNs = on_end,
    .characters = on_text,
    .cdataBlock = on_text,
    .serror = on_error,
    .initialized = XML_SAX2_MAGIC,
};
static const int xml_opts = XML_PARSE_NONET;

/* A push parser that reports to x, reading ENCODING. */
static int start_parse(struct rd_xml *x, struct rd_set *set, const char *where, int add_line,
                       const char *encoding, struct err *e)
{
    x->set = set;
    x->where = where;
    x->e = e;
    x->add_line = add_line;
    x->failed = 0;
    x->errmsg[0] = '\0';
    x->errline = 0;
    x->in_event = 0;
    x->depth = 0;
    x->capture = NULL;
    x->ctxt = xmlCreatePushParserCtxt(&sax, x, NULL, 0, NULL);
    xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(encoding);
    if (!x->ctxt || !h || xmlSwitchToEncoding(x->ctxt, h) < 0) {
        if (x->ctxt)
            xmlFreeParserCtxt(x->ctxt);
        x->ctxt = NULL;
        err_set(e, "%s: cannot start the XML parser", where);
        return -1;
    }
    xmlCtxtUseOptions(x->ctxt, xml_opts);
    for (int i = 0; i < N_COUNT; i++)
        if (!(x->name[i] = xmlDictLookup(x->ctxt->dict, BAD_CAST name_str[i], -1))) {
            xmlFreeParserCtxt(x->ctxt);
            x->ctxt = NULL;
            err_set(e, "%s: cannot start the XML parser", where);
            return -1;
        }
    return 0;
}

/* Feed n bytes (n == 0 with last: the end); 0 while the parse goes on. */
static int feed(struct rd_xml *x, const char *p, size_t n, int last)
{
    return xmlParseChunk(x->ctxt, p, (int)n, last) == 0 && x->ctxt->wellFormed && !x->failed ? 0
                                                                                             : -1;
}

/* After the last feed: the verdict, the parser freed. */
static int end_parse(struct rd_xml *x, int failed)
{
    int rc = 0;
    struct err *e = x->e;
    if (x->failed) {
        rc = -1; /* e says why */
    } else if (failed || !x->ctxt->wellFormed) {
        long line = (x->errline > 0 ? x->errline : xmlSAX2GetLineNumber(x->ctxt)) + x->line_offset;
        /* An error on the last line, where our closing wrapper sits, means
         * the file stopped early. */
        int early = x->input_done && *x->input_done && line - x->line_offset > *x->input_lines;
        err_set(e, "%s:%ld: %s: %s", x->where, line,
                early ? "event XML ends early (truncated?)" : "invalid event XML",
                x->errmsg[0] ? x->errmsg : "parse error");
        rc = -1;
    } else if (x->in_event) {
        err_set(e, "%s: event XML ends inside an <Event> element (truncated?)", x->where);
        rc = -1;
    }
    xmlFreeParserCtxt(x->ctxt);
    x->ctxt = NULL;
    return rc;
}

int rd_xml_record(struct rd_xml *x, struct rd_set *set, const char *buf, size_t len,
                  const char *where, struct err *e)
{
    if (len > INT32_MAX) {
        err_set(e, "%s: record too large", where);
        return -1;
    }
    x->line_offset = 0;
    x->input_done = NULL;
    if (start_parse(x, set, where, 0, "UTF-8", e) < 0)
        return -1;
    return end_parse(x, feed(x, buf, len, 1));
}

/* The byte stream the parser sees: wrapper start, the file, wrapper end. */
struct xio {
    FILE *fp;
    const unsigned char *head;
    size_t nhead, pos;
    int stage;
    int wide;
    size_t wpos;
    int done;   /* the file's bytes are all delivered */
    long lines; /* newlines delivered (after the skipped preamble) */
};

static void count_lines(struct xio *io, const char *p, size_t n)
{
    for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++)
        io->lines++;
}

static const char wrap_open[] = "<smsslab-events>";
static const char wrap_close[] = "</smsslab-events>";

static int emit_wrap(struct xio *io, const char *w, char *out, int len)
{
    size_t n = strlen(w), unit = io->wide ? 2 : 1;
    int k = 0;
    while (io->wpos < n && k + (int)unit <= len) {
        out[k++] = w[io->wpos];
        if (io->wide)
            out[k++] = 0;
        io->wpos++;
    }
    if (io->wpos == n) {
        io->wpos = 0;
        io->stage++;
    }
    return k;
}

static int xio_read(void *ctx, char *out, int len)
{
    struct xio *io = ctx;
    for (;;) {
        switch (io->stage) {
        case 0: return emit_wrap(io, wrap_open, out, len);
        case 1:
            if (io->pos < io->nhead) {
                size_t n = io->nhead - io->pos;
                if (n > (size_t)len)
                    n = (size_t)len;
                memcpy(out, io->head + io->pos, n);
                io->pos += n;
                count_lines(io, out, n);
                return (int)n;
            }
            io->stage++;
            break;
        case 2:
            if (io->fp) {
                size_t n = fread(out, 1, (size_t)len, io->fp);
                if (n > 0) {
                    count_lines(io, out, n);
                    return (int)n;
                }
                if (ferror(io->fp))
                    return -1;
            }
            io->stage++;
            io->done = 1;
            break;
        case 3: return emit_wrap(io, wrap_close, out, len);
        default: return 0;
        }
    }
}

/* Skip what precedes the first element: BOM, a banner line, the XML
 * declaration, comments (the wrapper must come first). Counts skipped
 * lines; *doctype says a DOCTYPE comes next. */
static size_t skip_preamble(const unsigned char *h, size_t n, int wide, long *lines, int *doctype)
{
    size_t u = wide ? 2 : 1, i = 0;
#define CH(k) ((k) + u - 1 < n && (!wide || h[(k) + 1] == 0) ? h[k] : 0xff)
    for (;;) {
        while (i < n && CH(i) != '<') {
            if (CH(i) == '\n')
                (*lines)++;
            i += u;
        }
        if (i + 2 * u < n && CH(i + u) == '?') {
            /* <?xml ...?> or another processing instruction */
            while (i + u < n && !(CH(i) == '?' && CH(i + u) == '>')) {
                if (CH(i) == '\n')
                    (*lines)++;
                i += u;
            }
            i += 2 * u;
            continue;
        }
        if (i + 3 * u < n && CH(i + u) == '!' && CH(i + 2 * u) == '-' && CH(i + 3 * u) == '-') {
            /* a comment: skipped, so a DOCTYPE after it is still seen */
            i += 4 * u;
            while (i + 2 * u < n && !(CH(i) == '-' && CH(i + u) == '-' && CH(i + 2 * u) == '>')) {
                if (CH(i) == '\n')
                    (*lines)++;
                i += u;
            }
            i += 3 * u;
            continue;
        }
        *doctype = 1;
        for (size_t k = 0; k < 9; k++)
            if (CH(i + k * u) != (unsigned char)"<!DOCTYPE"[k])
                *doctype = 0;
        break;
    }
#undef CH
    return i < n ? i : n;
}

int rd_read_xml(struct rd_set *set, struct rd_src_file *f, struct err *e)
{
    struct rd_xml *x = rd_xml_new();
    struct xio io = {0};
    io.fp = f->fp;
    const unsigned char *h = f->head;
    size_t n = f->nhead;
    if (n >= 2 && h[0] == 0xff && h[1] == 0xfe) {
        io.wide = 1;
        h += 2;
        n -= 2;
    } else if (n >= 3 && h[0] == 0xef && h[1] == 0xbb && h[2] == 0xbf) {
        h += 3;
        n -= 3;
    }
    /* The wrapper line adds no newline, so parser lines are the file's
     * minus what we skipped. */
    long skipped_lines = 0;
    int doctype = 0;
    size_t skip = skip_preamble(h, n, io.wide, &skipped_lines, &doctype);
    if (doctype) {
        /* Behind our wrapper it would be a parse error deep in libxml2
         * ("detected an error in element content"); say what it is. */
        err_set(e, "%s:%ld: %s", f->name, skipped_lines + 1, doctype_refused);
        rd_xml_free(x);
        return -1;
    }
    io.head = h + skip;
    io.nhead = n - skip;
    x->line_offset = skipped_lines;
    x->input_done = &io.done;
    x->input_lines = &io.lines;
    int rc = start_parse(x, set, f->name, 1, io.wide ? "UTF-16LE" : "UTF-8", e);
    if (rc == 0) {
        char chunk[1 << 16];
        int got, bad = 0;
        while (!bad && (got = xio_read(&io, chunk, sizeof(chunk))) > 0)
            bad = feed(x, chunk, (size_t)got, 0);
        if (!bad && got < 0) {
            err_set(e, "%s: read error: %s", f->name, strerror(errno));
            xmlFreeParserCtxt(x->ctxt);
            x->ctxt = NULL;
            rc = -1;
        } else {
            rc = end_parse(x, bad || feed(x, NULL, 0, 1));
        }
    }
    rd_xml_free(x);
    return rc;
}
