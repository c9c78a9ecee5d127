/*
 * rd_csv: Volatility 3 windows.pslist / windows.pstree as written by its CSV
 * renderer, parsed with libcsv (Debian libcsv-dev). Volatility writes with
 * Python's csv module and escapechar='\\' (volatility3/cli/text_renderer.py,
 * CSVRenderer), which doubles every backslash in paths on current Pythons;
 * libcsv knows nothing of escape characters, so we undo the doubling per
 * field. "N/A" and "-" mean absent. pslist has no TreeDepth column; rows
 * before the header (an old Volatility's banner line) are skipped.
 *
 * The same reader takes smsslab's corpus CSV (docs/corpus.md: sample_id,
 * snapshot_at, pid, ppid, name, image, session, user, create_time,
 * exit_time): one listing per sample and snapshot; a sample's rows become
 * one host ("sample N"), a process listed in several snapshots one process
 * whose exit is the one a later listing shows.
 */
#include "rd_int.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    C_PID,
    C_PPID,
    C_NAME,
    C_SESSION,
    C_CREATE,
    C_EXIT,
    C_AUDIT,
    C_CMD,
    C_PATH,
    C_USER,
    C_SAMPLE,
    C_KEY,
    C_TYPE,
    C_DATA,
    C_LAST_WRITE,
    C_N
};
/* Volatility's column name | the corpus CSV's. */
static const char *const col_names[C_N] = {"PID|pid",
                                           "PPID|ppid",
                                           "ImageFileName|name",
                                           "SessionId|session",
                                           "CreateTime|create_time",
                                           "ExitTime|exit_time",
                                           "Audit",
                                           "Cmd|command_line",
                                           "Path|image",
                                           "user",
                                           "sample_id",
                                           "key",
                                           "type",
                                           "data",
                                           "last_write"};

static int col_is(const char *names, const char *field)
{
    size_t n = strlen(field);
    for (const char *p = names;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !memcmp(p, field, n))
            return 1;
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

#define CSV_MAX_FIELDS 64

struct csvst {
    struct rd_set *set;
    struct rd_src_file *f;
    struct err *e;
    int rc;
    int have_header;
    int registry; /* the corpus's registry CSV: one value per row */
    int col[C_N]; /* column index of each wanted field, -1 if absent */
    size_t row;   /* 1-based, for messages */
    size_t nf;
    size_t nf_all; /* fields in the row, those past CSV_MAX_FIELDS too */
    char *fields[CSV_MAX_FIELDS];
    size_t flen[CSV_MAX_FIELDS];
    size_t nrows;
};

/* Python's escapechar doubles backslashes: when every run of backslashes in
 * a field has even length the field was escaped, so halve the runs. A real
 * single backslash (an old Python, or a hand-made file) leaves it as is. */
static void unescape_backslashes(char *s)
{
    int all_even = 1, any = 0;
    for (char *p = s; *p;) {
        if (*p != '\\') {
            p++;
            continue;
        }
        size_t run = 0;
        while (p[run] == '\\')
            run++;
        any = 1;
        if (run % 2)
            all_even = 0;
        p += run;
    }
    if (!any || !all_even)
        return;
    char *w = s;
    for (char *p = s; *p; p++) {
        *w++ = *p;
        if (*p == '\\')
            p++;
    }
    *w = '\0';
}

static const char *fv(struct csvst *st, int c)
{
    int i = st->col[c];
    if (i < 0 || (size_t)i >= st->nf || !st->fields[i])
        return NULL;
    const char *v = st->fields[i];
    if (!*v || !strcmp(v, "N/A") || !strcmp(v, "-"))
        return NULL;
    return v;
}

static void on_field(void *data, size_t len, void *arg)
{
    struct csvst *st = arg;
    st->nf_all++;
    if (st->nf >= CSV_MAX_FIELDS)
        return;
    char *s = xmalloc(len + 1);
    if (len)
        memcpy(s, data, len);
    s[len] = '\0';
    unescape_backslashes(s);
    st->fields[st->nf] = s;
    st->flen[st->nf] = len;
    st->nf++;
}

static void row_clear(struct csvst *st)
{
    for (size_t i = 0; i < st->nf; i++)
        free(st->fields[i]);
    st->nf = 0;
    st->nf_all = 0;
}

/* One value of the corpus's registry CSV (docs/corpus.md): a registry fact
 * of host "sample N", with its key's last write time when the export
 * knows it. */
static void registry_row(struct csvst *st)
{
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_REG, RD_SRC_PSLIST);
    char host[48];
    if (fv(st, C_SAMPLE)) {
        snprintf(host, sizeof(host), "sample %.30s", fv(st, C_SAMPLE));
        ev.host = host;
    }
    ev.reg_key = fv(st, C_KEY);
    ev.reg_name = st->col[C_NAME] >= 0 && (size_t)st->col[C_NAME] < st->nf
                      ? st->fields[st->col[C_NAME]]
                      : NULL; /* "" is the default value: kept */
    if (!ev.reg_key || !ev.reg_name)
        return;
    const char *type = fv(st, C_TYPE),
               *data = st->col[C_DATA] >= 0 && (size_t)st->col[C_DATA] < st->nf
                           ? st->fields[st->col[C_DATA]]
                           : "";
    ev.reg_val = data;
    ev.reg_type = SNAP_REG_SZ;
    uint64_t dw;
    if (type && !strcmp(type, "REG_DWORD") && !rd_parse_num(data, UINT32_MAX, &dw)) {
        ev.reg_type = SNAP_REG_DWORD;
        ev.dword = (uint32_t)dw;
    }
    /* Entries separated by "\0" as reg.exe prints them; an older export
     * joined them with a space and reads as one entry, as it always did. */
    if (type && !strcmp(type, "REG_MULTI_SZ"))
        ev.reg_type = SNAP_REG_MULTI_SZ;
    int64_t t;
    if (!rd_parse_time(fv(st, C_LAST_WRITE), &t))
        ev.t = t;
    ev.rec.line = st->row;
    struct err sub;
    if (rd_set_add(st->set, &ev, &sub) < 0) {
        err_set(st->e, "%s: row %zu: %s", st->f->name, st->row, sub.msg);
        st->rc = -1;
    }
    st->nrows++;
}

static void on_row(int term, void *arg)
{
    (void)term;
    struct csvst *st = arg;
    st->row++;
    if (st->rc < 0) {
        row_clear(st);
        return;
    }
    if (!st->have_header) {
        int seen = 0;
        for (int c = 0; c < C_N; c++) {
            st->col[c] = -1;
            for (size_t i = 0; i < st->nf; i++)
                if (col_is(col_names[c], st->fields[i]))
                    st->col[c] = (int)i;
        }
        seen = st->col[C_PID] >= 0 && st->col[C_PPID] >= 0;
        st->registry = !seen && st->col[C_KEY] >= 0 && st->col[C_NAME] >= 0 &&
                       st->col[C_TYPE] >= 0 && st->col[C_DATA] >= 0;
        seen |= st->registry;
        st->have_header = seen;
        if (!seen && st->nf_all > CSV_MAX_FIELDS) {
            /* Not "no header": the columns it needs may be past the cap. */
            err_set(st->e,
                    "%s: row %zu: %zu columns, over the limit of %d: the header must name PID "
                    "and PPID within the first %d",
                    st->f->name, st->row, st->nf_all, CSV_MAX_FIELDS, CSV_MAX_FIELDS);
            st->rc = -1;
        }
        row_clear(st);
        return;
    }
    if (st->registry) {
        registry_row(st);
        row_clear(st);
        return;
    }
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_CREATE, RD_SRC_PSLIST);
    uint64_t v;
    if (rd_parse_num(fv(st, C_PID), UINT32_MAX, &v)) {
        err_set(st->e, "%s: row %zu: PID '%.40s' is not a number", st->f->name, st->row,
                fv(st, C_PID) ? fv(st, C_PID) : "");
        st->rc = -1;
        row_clear(st);
        return;
    }
    ev.pid = (uint32_t)v;
    if (!rd_parse_num(fv(st, C_PPID), UINT32_MAX, &v)) {
        ev.ppid = (uint32_t)v;
        ev.has_ppid = 1;
    }
    int64_t t;
    if (!rd_parse_time(fv(st, C_CREATE), &t))
        ev.t = t;
    if (!rd_parse_time(fv(st, C_EXIT), &t))
        ev.exit_t = t;
    if (!rd_parse_num(fv(st, C_SESSION), INT32_MAX, &v))
        ev.session = (int32_t)v;
    ev.image = fv(st, C_AUDIT);
    if (!ev.image)
        ev.image = fv(st, C_PATH);
    ev.cmd = fv(st, C_CMD);
    ev.name = ev.image ? NULL : fv(st, C_NAME);
    ev.user = fv(st, C_USER);
    if (ev.user)
        ev.fields |= SNAP_F_USER;
    char host[48];
    if (fv(st, C_SAMPLE)) {
        snprintf(host, sizeof(host), "sample %.30s", fv(st, C_SAMPLE));
        ev.host = host;
    }
    ev.fields |= SNAP_F_SESSION | SNAP_F_EXIT;
    ev.rec.line = st->row; /* a row is a line unless a quoted field holds a newline */
    if (st->col[C_AUDIT] >= 0 || st->col[C_PATH] >= 0)
        ev.fields |= SNAP_F_IMAGE;
    if (st->col[C_CMD] >= 0)
        ev.fields |= SNAP_F_CMDLINE;
    struct err sub;
    if (rd_set_add(st->set, &ev, &sub) < 0) {
        err_set(st->e, "%s: row %zu: %s", st->f->name, st->row, sub.msg);
        st->rc = -1;
    }
    st->nrows++;
    row_clear(st);
}

/* Growth step of a field's buffer: at most 16 steps to RD_MAX_LINE. */
#define CSV_BLK_SIZE ((size_t)1 << 20)

/* libcsv grows its field buffer without limit; refusing here bounds it. */
static void *bounded_realloc(void *p, size_t n)
{
    if (n > RD_MAX_LINE)
        return NULL;
    return realloc(p, n);
}

int rd_read_vol3_csv(struct rd_set *set, struct rd_src_file *f, struct err *e)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        err_set(e, "%s: cannot start the CSV parser", f->name);
        return -1;
    }
    csv_set_realloc_func(&p, bounded_realloc);
    /* libcsv grows a field CSV_BLK_SIZE at a time, 128 bytes by default: a
     * 1 MiB field took 8,192 reallocations (72 s in a sanitizer build). */
    csv_set_blk_size(&p, CSV_BLK_SIZE);
    struct csvst st = {.set = set, .f = f, .e = e};
    char buf[1 << 16];
    size_t n;
    while (st.rc == 0 && (n = rd_src_read(f, buf, sizeof(buf))) > 0) {
        if (csv_parse(&p, buf, n, on_field, on_row, &st) != n) {
            if (st.rc == 0) {
                err_set(e, "%s: row %zu: invalid CSV: %s", f->name, st.row + 1,
                        csv_strerror(csv_error(&p)));
                st.rc = -1;
            }
        }
    }
    if (st.rc == 0 && csv_fini(&p, on_field, on_row, &st) != 0) {
        err_set(e, "%s: row %zu: invalid CSV at the end of the file (truncated?): %s", f->name,
                st.row + 1, csv_strerror(csv_error(&p)));
        st.rc = -1;
    }
    row_clear(&st);
    csv_free(&p);
    if (st.rc == 0 && !st.have_header) {
        err_set(e,
                "%s: no Volatility 3 pslist/pstree header (expected columns PID, PPID, "
                "ImageFileName, CreateTime, ...)",
                f->name);
        return -1;
    }
    return st.rc;
}
