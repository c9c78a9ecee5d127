/*
 * rd_xml: Windows event XML with libxml2's streaming xmlTextReader, so
 * memory stays flat however long the file. Serves files (wevtutil qe
 * /f:xml, evtxexport -f xml, Get-WinEvent ToXml) and, through rd_xml_record,
 * each record of an .evtx file (libevtx hands out record XML).
 *
 * wevtutil and evtxexport write one <Event> after another with no root
 * element, which is not a well-formed document; we feed the parser a
 * wrapper element around the file's bytes instead of editing the file.
 * evtxexport's banner line before the first '<' and an XML declaration are
 * skipped; Windows PowerShell's UTF-16LE files (with BOM) are read with the
 * wrapper written in UTF-16LE too.
 */
#include "rd_int.h"

#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_EVENTID, F_VERSION, F_PROVIDER, F_CHANNEL, F_COMPUTER, F_TIME, F_NSYS };

struct rd_xml {
    xmlTextReaderPtr rd;
    struct strbuf buf;  /* all values of the current record, NUL-separated */
    size_t sys[F_NSYS]; /* offsets + 1 into buf, 0 = absent */
    size_t kname[RD_MAX_KV], kval[RD_MAX_KV];
    size_t nkv;
    size_t *capture; /* where the open element's text goes */
    int in_event, in_system, in_data;
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
    if (x->rd)
        xmlFreeTextReader(x->rd);
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

/* Append a string to buf; returns its offset + 1. */
static size_t put(struct rd_xml *x, const char *s)
{
    size_t off = x->buf.len + 1;
    if (x->buf.len + strlen(s) > RD_MAX_RECORD) {
        x->too_big = 1;
        s = "";
    }
    sb_add(&x->buf, s, strlen(s) + 1);
    return off;
}

/* Text of the open element goes to the end of buf: the last string grows. */
static void append_text(struct rd_xml *x, const char *s)
{
    size_t n = strlen(s);
    if (x->buf.len + n > RD_MAX_RECORD) {
        x->too_big = 1;
        return;
    }
    x->buf.len--; /* drop the NUL, extend, re-terminate */
    sb_add(&x->buf, s, n + 1);
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

static void open_capture(struct rd_xml *x, size_t *slot, int empty)
{
    *slot = put(x, "");
    x->capture = empty ? NULL : slot;
}

static int finish_record(struct rd_xml *x, struct rd_set *set, const char *where, long line,
                         struct err *e)
{
    x->in_event = 0;
    if (x->too_big) {
        err_set(e, "%s:%ld: event record larger than %u bytes", where, line, RD_MAX_RECORD);
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
    r.get = get_data;
    r.ctx = x;
    struct err sub;
    if (rd_winevent(set, &r, &sub) < 0) {
        err_set(e, "%s:%ld: %s", where, line, sub.msg);
        return -1;
    }
    return 0;
}

/* Walk the reader to the end. Element names are matched without their
 * namespace: Windows puts every event in its events namespace. */
static int walk(struct rd_xml *x, struct rd_set *set, const char *where, int add_line,
                struct err *e)
{
    xmlTextReaderPtr rd = x->rd;
    int ret;
    while ((ret = xmlTextReaderRead(rd)) == 1) {
        int type = xmlTextReaderNodeType(rd);
        if (type == XML_READER_TYPE_ELEMENT) {
            const char *n = (const char *)xmlTextReaderConstLocalName(rd);
            int empty = xmlTextReaderIsEmptyElement(rd);
            if (!strcmp(n, "Event")) {
                start_record(x);
                if (empty)
                    x->in_event = 0;
                continue;
            }
            if (!x->in_event)
                continue;
            if (!strcmp(n, "System")) {
                x->in_system = !empty;
            } else if (!strcmp(n, "EventData") || !strcmp(n, "UserData")) {
                x->in_data = !empty;
            } else if (x->in_system) {
                if (!strcmp(n, "EventID"))
                    open_capture(x, &x->sys[F_EVENTID], empty);
                else if (!strcmp(n, "Version"))
                    open_capture(x, &x->sys[F_VERSION], empty);
                else if (!strcmp(n, "Channel"))
                    open_capture(x, &x->sys[F_CHANNEL], empty);
                else if (!strcmp(n, "Computer"))
                    open_capture(x, &x->sys[F_COMPUTER], empty);
                else if (!strcmp(n, "Provider")) {
                    char *a = (char *)xmlTextReaderGetAttribute(rd, BAD_CAST "Name");
                    if (a) {
                        x->sys[F_PROVIDER] = put(x, a);
                        xmlFree(a);
                    }
                } else if (!strcmp(n, "TimeCreated")) {
                    char *a = (char *)xmlTextReaderGetAttribute(rd, BAD_CAST "SystemTime");
                    if (a) {
                        x->sys[F_TIME] = put(x, a);
                        xmlFree(a);
                    }
                }
            } else if (x->in_data && !strcmp(n, "Data") && x->nkv < RD_MAX_KV) {
                char *a = (char *)xmlTextReaderGetAttribute(rd, BAD_CAST "Name");
                if (a) {
                    x->kname[x->nkv] = put(x, a);
                    xmlFree(a);
                    open_capture(x, &x->kval[x->nkv], empty);
                    x->nkv++;
                }
            }
        } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                   type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
            if (x->capture) {
                const char *v = (const char *)xmlTextReaderConstValue(rd);
                if (v)
                    append_text(x, v);
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            const char *n = (const char *)xmlTextReaderConstLocalName(rd);
            x->capture = NULL;
            if (!x->in_event)
                continue;
            if (!strcmp(n, "System"))
                x->in_system = 0;
            else if (!strcmp(n, "EventData") || !strcmp(n, "UserData"))
                x->in_data = 0;
            else if (!strcmp(n, "Event")) {
                long line = add_line ? xmlTextReaderGetParserLineNumber(rd) + x->line_offset : 0;
                if (finish_record(x, set, where, line, e) < 0)
                    return -1;
            }
        }
    }
    if (ret < 0) {
        long line =
            (x->errline > 0 ? x->errline : xmlTextReaderGetParserLineNumber(rd)) + x->line_offset;
        /* An error on the last line, where our closing wrapper sits, means
         * the file stopped early. */
        int early = x->input_done && *x->input_done && line - x->line_offset > *x->input_lines;
        err_set(e, "%s:%ld: %s: %s", where, line,
                early ? "event XML ends early (truncated?)" : "invalid event XML",
                x->errmsg[0] ? x->errmsg : "parse error");
        return -1;
    }
    if (x->in_event) {
        err_set(e, "%s: event XML ends inside an <Event> element (truncated?)", where);
        return -1;
    }
    return 0;
}

static const int xml_opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT;

int rd_xml_record(struct rd_xml *x, struct rd_set *set, const char *buf, size_t len,
                  const char *where, struct err *e)
{
    x->errmsg[0] = '\0';
    x->errline = 0;
    x->line_offset = 0;
    x->input_done = NULL;
    x->in_event = 0;
    if (len > INT32_MAX) {
        err_set(e, "%s: record too large", where);
        return -1;
    }
    if (!x->rd) {
        x->rd = xmlReaderForMemory(buf, (int)len, NULL, "UTF-8", xml_opts);
        if (!x->rd) {
            err_set(e, "%s: cannot start the XML reader", where);
            return -1;
        }
        xmlTextReaderSetStructuredErrorHandler(x->rd, on_error, x);
    } else if (xmlReaderNewMemory(x->rd, buf, (int)len, NULL, "UTF-8", xml_opts) < 0) {
        err_set(e, "%s: cannot restart the XML reader", where);
        return -1;
    }
    return walk(x, set, where, 0, e);
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

static int xio_close(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Skip what precedes the first element: BOM, a banner line, the XML
 * declaration (the wrapper must come first). Counts skipped lines. */
static size_t skip_preamble(const unsigned char *h, size_t n, int wide, long *lines)
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
    size_t skip = skip_preamble(h, n, io.wide, &skipped_lines);
    io.head = h + skip;
    io.nhead = n - skip;
    x->line_offset = skipped_lines;
    x->input_done = &io.done;
    x->input_lines = &io.lines;
    x->rd =
        xmlReaderForIO(xio_read, xio_close, &io, NULL, io.wide ? "UTF-16LE" : "UTF-8", xml_opts);
    if (!x->rd) {
        rd_xml_free(x);
        err_set(e, "%s: cannot start the XML reader", f->name);
        return -1;
    }
    xmlTextReaderSetStructuredErrorHandler(x->rd, on_error, x);
    int rc = walk(x, set, f->name, 1, e);
    rd_xml_free(x);
    return rc;
}
