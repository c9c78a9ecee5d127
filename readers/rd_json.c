/*
 * rd_json: everything that arrives as JSON, with cJSON. NDJSON (one object
 * per line: NXLog as in OTRF Security-Datasets, winlogbeat / Elastic Agent
 * ECS documents, Volatility 3's JSONL renderer) streams line by line, so
 * memory is bounded by the longest line. Whole documents (Volatility 3's
 * JSON renderer, PowerShell ConvertTo-Json) are small listings and are read
 * at once, up to RD_MAX_DOC.
 */
#include "rd_int.h"

#include "../snap/sjson.h"

#include <cJSON.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- looking things up ------------------------------------------------ */

struct jctx {
    const cJSON *o;
    char num[8][32];
    unsigned k;
};

/* A string for a string or integral number value (NXLog writes EventID and
 * pids as numbers or strings depending on the field). */
static const char *jstr(const cJSON *v, struct jctx *c)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v) && c) {
        char *b = c->num[c->k++ % 8];
        double d = v->valuedouble;
        if (d >= 0 && d < 1.8e19 && d == (double)(uint64_t)d)
            snprintf(b, 32, "%llu", (unsigned long long)d);
        else
            snprintf(b, 32, "%.17g", d);
        return b;
    }
    return NULL;
}

/* "a.b.c": nested objects; ECS documents may also use flat dotted keys. */
static const cJSON *jpath(const cJSON *o, const char *path)
{
    const cJSON *flat = cJSON_GetObjectItemCaseSensitive(o, path);
    if (flat || !strchr(path, '.'))
        return flat; /* a plain key was looked up once, not twice */
    char part[64];
    const char *p = path;
    while (o && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        o = cJSON_GetObjectItemCaseSensitive(o, part);
        p = dot ? dot + 1 : p + n;
    }
    return o;
}

static const char *js(const cJSON *o, const char *path, struct jctx *c)
{
    const char *s = jstr(jpath(o, path), c);
    if (!s || !*s || !strcmp(s, "-") || !strcmp(s, "?") || !strcmp(s, "N/A"))
        return NULL;
    return s;
}

static int jnum(const cJSON *o, const char *path, uint64_t max, uint64_t *out, struct jctx *c)
{
    return rd_parse_num(js(o, path, c), max, out);
}

enum rd_json_kind rd_json_classify(const cJSON *o)
{
    if (!cJSON_IsObject(o))
        return RD_J_UNKNOWN;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(o, "schema");
    if (cJSON_IsString(schema) && !strncmp(schema->valuestring, "smsslab.", 8))
        return RD_J_NATIVE;
    if (jpath(o, "PID") && jpath(o, "PPID") && jpath(o, "ImageFileName"))
        return RD_J_VOL3;
    if (jpath(o, "ProcessId") && jpath(o, "ParentProcessId") &&
        (jpath(o, "CreationDate") || jpath(o, "ExecutablePath")))
        return RD_J_CIM;
    if (jpath(o, "EventID") && (jpath(o, "SourceName") || jpath(o, "Channel")))
        return RD_J_NXLOG;
    if (jpath(o, "@timestamp") &&
        (jpath(o, "event") || jpath(o, "winlog") || jpath(o, "event.code")))
        return RD_J_ECS;
    return RD_J_UNKNOWN;
}

/* ---- NXLog: EventData fields at the top level ------------------------- */

static const char *nx_get(const struct rd_rec *r, const char *name)
{
    struct jctx *c = (struct jctx *)r->ctx;
    return jstr(cJSON_GetObjectItemCaseSensitive(c->o, name), c);
}

/* js() through a record's getter: NXLog's fields are all top-level. */
static const char *nx_js(const struct rd_rec *r, const char *name)
{
    const char *s = r->get(r, name);
    if (!s || !*s || !strcmp(s, "-") || !strcmp(s, "?") || !strcmp(s, "N/A"))
        return NULL;
    return s;
}

/* NXLog's EventTime is the collector's local time without a zone; the same
 * document has EventReceivedTime (local) and @timestamp (UTC, added by
 * Logstash), whose difference is the zone offset. Offsets are whole
 * quarter hours, which absorbs the sub-second skew between the two. */
static int64_t nx_time(const struct rd_rec *r)
{
    int64_t t, ts, recv;
    if (rd_parse_time(nx_js(r, "EventTime"), &t))
        return WT_NONE;
    if (!rd_parse_time(nx_js(r, "@timestamp"), &ts) &&
        !rd_parse_time(nx_js(r, "EventReceivedTime"), &recv)) {
        int64_t q = 15 * WT_MIN, d = ts - recv;
        int64_t off = (d >= 0 ? (d + q / 2) / q : -((-d + q / 2) / q)) * q;
        t += off; /* UTC = local + (UTC - local) */
    }
    return t;
}

/* One NXLog object, its members read through r->get (a cJSON tree, or the
 * simdjson fast path's member list). */
static int nxlog_rec(struct rd_set *set, struct rd_rec *r, struct err *e)
{
    uint64_t id, v;
    if (rd_parse_num(nx_js(r, "EventID"), UINT32_MAX, &id) || !rd_winevent_wanted((uint32_t)id))
        return 0;
    r->event_id = (uint32_t)id;
    r->version = rd_parse_num(nx_js(r, "Version"), 255, &v) ? -1 : (int)v;
    r->provider = nx_js(r, "SourceName");
    r->channel = nx_js(r, "Channel");
    r->computer = nx_js(r, "Hostname");
    r->time_created = nx_time(r);
    if (!rd_parse_num(nx_js(r, "RecordNumber"), UINT64_MAX, &v))
        r->rec.id = v;
    return rd_winevent(set, r, e);
}

static int nxlog_object(struct rd_set *set, const cJSON *o, struct err *e)
{
    struct jctx c = {.o = o};
    struct rd_rec r = {.get = nx_get, .ctx = &c};
    return nxlog_rec(set, &r, e);
}

/* The fast path's members (sjson.h): a string or integral number as jstr
 * gives it, made NUL-terminated on first use; the first of equal keys, as
 * cJSON_GetObjectItemCaseSensitive finds it. */
struct nx_flat {
    struct sjson_kv *kv;
    size_t n;
    struct arena *mem;
};

static const char *kv_str(struct sjson_kv *kv, struct arena *mem)
{
    if (kv->cstr)
        return kv->cstr;
    if (kv->type == SJSON_STRING) {
        kv->cstr = arena_strndup(mem, kv->s, kv->slen);
    } else if (kv->type == SJSON_NUMBER) {
        double d = kv->d;
        if (d >= 0 && d < 1.8e19 && d == (double)(uint64_t)d)
            kv->cstr = arena_printf(mem, "%llu", (unsigned long long)d);
        else
            kv->cstr = arena_printf(mem, "%.17g", d);
    }
    return kv->cstr;
}

static const char *flat_get(const struct rd_rec *r, const char *name)
{
    const struct nx_flat *f = (const struct nx_flat *)r->ctx;
    size_t n = strlen(name);
    for (size_t i = 0; i < f->n; i++)
        if (f->kv[i].klen == n && !memcmp(f->kv[i].key, name, n))
            return kv_str(&f->kv[i], f->mem);
    return NULL;
}

/* ---- ECS (winlogbeat, Elastic Agent) ----------------------------------- */

static int ecs_object(struct rd_set *set, const cJSON *o, struct err *e)
{
    struct jctx c = {.o = o};
    uint64_t code, v;
    if (jnum(o, "event.code", UINT32_MAX, &code, &c) &&
        jnum(o, "winlog.event_id", UINT32_MAX, &code, &c))
        return 0;
    const char *prov = js(o, "winlog.provider_name", &c);
    if (!prov)
        prov = js(o, "event.provider", &c);
    const char *module = js(o, "event.module", &c);
    enum rd_src src;
    if ((prov && strstr(prov, "Sysmon")) || (module && !strcmp(module, "sysmon")))
        src = RD_SRC_SYSMON;
    else if ((prov && strstr(prov, "Security-Auditing")) || (module && !strcmp(module, "security")))
        src = RD_SRC_SECURITY;
    else
        return 0;
    int create = src == RD_SRC_SYSMON ? code == 1 : code == 4688;
    int exitev = src == RD_SRC_SYSMON ? code == 5 : code == 4689;
    int reg = src == RD_SRC_SYSMON && code >= 12 && code <= 14;
    if (!create && !exitev && !reg)
        return 0;
    struct rd_ev ev;
    rd_ev_init(&ev, create ? RD_EV_CREATE : exitev ? RD_EV_EXIT : RD_EV_REG, src);
    ev.host = js(o, "winlog.computer_name", &c);
    if (!ev.host)
        ev.host = js(o, "host.name", &c);
    /* Sysmon's own UtcTime when kept, else @timestamp (the ingest pipeline
     * sets it from UtcTime for Sysmon and from TimeCreated otherwise). */
    int64_t t;
    if (!rd_parse_time(js(o, "winlog.event_data.UtcTime", &c), &t) ||
        !rd_parse_time(js(o, "@timestamp", &c), &t))
        ev.t = t;
    if (reg) {
        /* Hand the registry record to the shared Sysmon mapping. */
        return 0;
    }
    if (jnum(o, "process.pid", UINT32_MAX, &v, &c))
        return 0;
    ev.pid = (uint32_t)v;
    ev.guid = js(o, "process.entity_id", &c);
    ev.image = js(o, "process.executable", &c);
    if (!jnum(o, "winlog.record_id", UINT64_MAX, &v, &c))
        ev.rec.id = v;
    if (exitev)
        return rd_set_add(set, &ev, e);
    if (!jnum(o, "process.parent.pid", UINT32_MAX, &v, &c)) {
        ev.ppid = (uint32_t)v;
        ev.has_ppid = 1;
    }
    ev.pguid = js(o, "process.parent.entity_id", &c);
    ev.pimage = js(o, "process.parent.executable", &c);
    ev.pcmd = js(o, "process.parent.command_line", &c);
    ev.puser = js(o, "winlog.event_data.ParentUser", &c);
    ev.cmd = js(o, "process.command_line", &c);
    struct strbuf cmd = STRBUF_INIT, pcmd = STRBUF_INIT;
    if (src == RD_SRC_SYSMON) { /* the event data as Sysmon logged it */
        ev.cmd = rd_sysmon_unpercent(&cmd, ev.cmd);
        ev.pcmd = rd_sysmon_unpercent(&pcmd, ev.pcmd);
    }
    ev.cwd = js(o, "process.working_directory", &c);
    ev.fields = SNAP_F_IMAGE;
    if (ev.cmd)
        ev.fields |= SNAP_F_CMDLINE;
    char user[512];
    if (src == RD_SRC_SYSMON) {
        /* user.* is the process's account for Sysmon 1 (user.id is not: it
         * is the Sysmon service's SID in winlogbeat's goldens). */
        const char *un = js(o, "user.name", &c), *ud = js(o, "user.domain", &c);
        if (un) {
            if (ud)
                snprintf(user, sizeof(user), "%s\\%s", ud, un);
            else
                snprintf(user, sizeof(user), "%s", un);
            ev.user = user;
        }
        if (!jnum(o, "winlog.event_data.TerminalSessionId", INT32_MAX, &v, &c))
            ev.session = (int32_t)v;
        if (!jnum(o, "winlog.event_data.LogonId", UINT64_MAX, &v, &c))
            ev.logon_id = v;
        ev.integ = js(o, "winlog.event_data.IntegrityLevel", &c);
        ev.fields |= SNAP_F_USER | SNAP_F_SESSION | SNAP_F_INTEGRITY;
        ev.is_boot =
            ev.image && ascii_ends_with_case(ev.image, "\\smss.exe") && ev.has_ppid && ev.ppid == 4;
    } else {
        ev.integ = rd_integrity_from_sid(js(o, "winlog.event_data.MandatoryLabel", &c));
        if (ev.integ)
            ev.fields |= SNAP_F_INTEGRITY;
        ev.is_boot =
            ev.image && ascii_ends_with_case(ev.image, "\\smss.exe") && ev.has_ppid && ev.ppid == 4;
    }
    int rc = rd_set_add(set, &ev, e);
    sb_release(&cmd);
    sb_release(&pcmd);
    return rc;
}

/* ECS Sysmon 12/13/14: the original fields sit in winlog.event_data, or,
 * as winlogbeat's Sysmon module maps them, in registry.* and process.*
 * (registry.data.strings holds the value; a REG_MULTI_SZ's entries are
 * joined with a space, as Sysmon's Details shows them). */
struct ecs_reg_ctx {
    struct jctx j;
    struct strbuf data;
};

static const char *ecs_get(const struct rd_rec *r, const char *name)
{
    struct ecs_reg_ctx *x = (struct ecs_reg_ctx *)r->ctx;
    struct jctx *c = &x->j;
    const cJSON *d = jpath(c->o, "winlog.event_data");
    const char *v = jstr(cJSON_GetObjectItemCaseSensitive(d, name), c);
    if (v)
        return v;
    if (!strcmp(name, "TargetObject"))
        return jstr(jpath(c->o, "registry.path"), c);
    if (!strcmp(name, "Image"))
        return jstr(jpath(c->o, "process.executable"), c);
    if (!strcmp(name, "Details")) {
        const cJSON *e;
        sb_reset(&x->data);
        cJSON_ArrayForEach(e, jpath(c->o, "registry.data.strings"))
        {
            const char *str = jstr(e, c);
            if (!str)
                continue;
            if (x->data.len)
                sb_addc(&x->data, ' ');
            sb_adds(&x->data, str);
        }
        return x->data.len ? x->data.buf : NULL;
    }
    return NULL;
}

static int ecs_reg(struct rd_set *set, const cJSON *o, struct err *e)
{
    struct jctx c = {.o = o};
    uint64_t code;
    if (jnum(o, "event.code", UINT32_MAX, &code, &c) || code < 12 || code > 14)
        return 0;
    struct rd_rec r = {0};
    r.event_id = (uint32_t)code;
    uint64_t rid;
    if (!jnum(o, "winlog.record_id", UINT64_MAX, &rid, &c))
        r.rec.id = rid;
    r.version = -1;
    r.provider = js(o, "winlog.provider_name", &c);
    if (!r.provider)
        r.provider = js(o, "event.provider", &c);
    const char *module = js(o, "event.module", &c);
    if (!r.provider && module && !strcmp(module, "sysmon"))
        r.provider = "Microsoft-Windows-Sysmon";
    r.computer = js(o, "winlog.computer_name", &c);
    if (!r.computer)
        r.computer = js(o, "host.name", &c);
    r.time_created = WT_NONE;
    int64_t t;
    if (!rd_parse_time(js(o, "@timestamp", &c), &t))
        r.time_created = t;
    struct ecs_reg_ctx x = {.j = c, .data = STRBUF_INIT};
    r.get = ecs_get;
    r.ctx = &x;
    int rc = rd_winevent(set, &r, e);
    sb_release(&x.data);
    return rc;
}

/* ---- Volatility 3 windows.pslist / windows.pstree ---------------------- */

static int vol3_row(struct rd_set *set, const cJSON *o, int depth, struct err *e)
{
    if (depth > RD_MAX_DEPTH) {
        err_set(e, "process tree nested deeper than %d", RD_MAX_DEPTH);
        return -1;
    }
    struct jctx c = {.o = o};
    uint64_t v;
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_CREATE, RD_SRC_PSLIST);
    if (!jnum(o, "PID", UINT32_MAX, &v, &c)) {
        ev.pid = (uint32_t)v;
        if (!jnum(o, "PPID", UINT32_MAX, &v, &c)) {
            ev.ppid = (uint32_t)v;
            ev.has_ppid = 1;
        }
        int64_t t;
        if (!rd_parse_time(js(o, "CreateTime", &c), &t))
            ev.t = t;
        if (!rd_parse_time(js(o, "ExitTime", &c), &t))
            ev.exit_t = t;
        if (!jnum(o, "SessionId", INT32_MAX, &v, &c))
            ev.session = (int32_t)v;
        /* Audit is the kernel's \Device\HarddiskVolumeN\ path (pstree),
         * Path the PEB's; ImageFileName is cut at 14 characters. */
        ev.image = js(o, "Audit", &c);
        if (!ev.image)
            ev.image = js(o, "Path", &c);
        ev.cmd = js(o, "Cmd", &c);
        const char *ifn = js(o, "ImageFileName", &c);
        ev.name = ev.image ? NULL : ifn;
        ev.fields = SNAP_F_SESSION | SNAP_F_EXIT;
        if (jpath(o, "Audit") || jpath(o, "Path"))
            ev.fields |= SNAP_F_IMAGE;
        if (jpath(o, "Cmd"))
            ev.fields |= SNAP_F_CMDLINE;
        if (rd_set_add(set, &ev, e) < 0)
            return -1;
    }
    const cJSON *kids = cJSON_GetObjectItemCaseSensitive(o, "__children");
    const cJSON *k;
    cJSON_ArrayForEach(k, kids)
    {
        if (vol3_row(set, k, depth + 1, e) < 0)
            return -1;
    }
    return 0;
}

/* ---- Get-CimInstance Win32_Process | ConvertTo-Json -------------------- */

static int cim_row(struct rd_set *set, const cJSON *o, uint32_t img_bit, struct err *e)
{
    struct jctx c = {.o = o};
    uint64_t v;
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_CREATE, RD_SRC_CIM);
    if (jnum(o, "ProcessId", UINT32_MAX, &v, &c))
        return 0;
    ev.pid = (uint32_t)v;
    if (!jnum(o, "ParentProcessId", UINT32_MAX, &v, &c)) {
        ev.ppid = (uint32_t)v;
        ev.has_ppid = 1;
    }
    int64_t t;
    const cJSON *cd = jpath(o, "CreationDate");
    /* PowerShell 5.1 may wrap a DateTime as {"value": "/Date(..)/", ...}. */
    if (cJSON_IsObject(cd))
        cd = cJSON_GetObjectItemCaseSensitive(cd, "value");
    if (!rd_parse_time(jstr(cd, &c), &t))
        ev.t = t;
    if (!jnum(o, "SessionId", INT32_MAX, &v, &c))
        ev.session = (int32_t)v;
    if (!jnum(o, "Priority", 31, &v, &c))
        ev.prio = (int32_t)v;
    ev.image = js(o, "ExecutablePath", &c);
    ev.cmd = js(o, "CommandLine", &c);
    ev.name = js(o, "Name", &c);
    ev.host = js(o, "CSName", &c);
    if (!ev.host)
        ev.host = js(o, "PSComputerName", &c);
    ev.fields = SNAP_F_SESSION | SNAP_F_PRIORITY | SNAP_F_EXIT | img_bit;
    return rd_set_add(set, &ev, e);
}

/* Without elevation Win32_Process hides the path and command line of
 * protected and other users' processes: claim them only when every
 * ordinary process has them. */
static uint32_t cim_bits(const cJSON *arr)
{
    int all_img = 1, all_cmd = 1, any = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        struct jctx c = {.o = o};
        uint64_t pid;
        if (jnum(o, "ProcessId", UINT32_MAX, &pid, &c) || pid == 0 || pid == 4)
            continue;
        const char *n = js(o, "Name", &c);
        if (n && (!strcmp(n, "Registry") || !strcmp(n, "MemCompression") ||
                  !strcmp(n, "Secure System") || !strcmp(n, "System")))
            continue;
        any = 1;
        if (!js(o, "ExecutablePath", &c))
            all_img = 0;
        if (!js(o, "CommandLine", &c))
            all_cmd = 0;
    }
    return any ? (all_img ? SNAP_F_IMAGE : 0u) | (all_cmd ? SNAP_F_CMDLINE : 0u) : 0u;
}

int rd_json_object(struct rd_set *set, const cJSON *o, enum rd_json_kind k, const char *where,
                   struct err *e)
{
    struct err sub;
    int rc = 0;
    switch (k) {
    case RD_J_NXLOG: rc = nxlog_object(set, o, &sub); break;
    case RD_J_ECS:
        rc = ecs_object(set, o, &sub);
        if (rc == 0)
            rc = ecs_reg(set, o, &sub);
        break;
    case RD_J_VOL3: rc = vol3_row(set, o, 0, &sub); break;
    case RD_J_CIM: {
        cJSON *one = cJSON_CreateArray();
        cJSON_AddItemReferenceToArray(one, (cJSON *)o);
        rc = cim_row(set, o, cim_bits(one), &sub);
        cJSON_Delete(one);
        break;
    }
    default: return 0;
    }
    if (rc < 0)
        err_set(e, "%s: %s", where, sub.msg);
    return rc;
}

/* ---- NDJSON ------------------------------------------------------------ */

static const char *kind_expect =
    "expected NXLog JSON (EventID, SourceName), ECS (@timestamp, event.code), Volatility 3 "
    "(PID, PPID, ImageFileName) or Win32_Process (ProcessId, ParentProcessId)";

static void json_err(struct err *e, const char *name, size_t line, const char *buf, size_t len)
{
    const char *ep = cJSON_GetErrorPtr();
    size_t col = 1;
    if (ep && ep >= buf && ep <= buf + len) {
        for (const char *p = buf; p < ep; p++) {
            if (*p == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
    }
    err_set(e, "%s:%zu:%zu: invalid JSON%s", name, line, col,
            ep && ep >= buf + len ? " (truncated?)" : "");
}

/* One line at a time from head then fp, bounded by RD_MAX_LINE. Returns 1
 * with a line, 0 at the end, -1 when a line is too long. */
static int next_line(struct rd_src_file *f, struct strbuf *sb, char *chunk, size_t csz,
                     size_t *cpos, size_t *clen)
{
    sb_reset(sb);
    for (;;) {
        if (*cpos == *clen) {
            *clen = rd_src_read(f, chunk, csz);
            *cpos = 0;
            if (*clen == 0)
                return sb->len > 0 ? 1 : 0;
        }
        char *nl = memchr(chunk + *cpos, '\n', *clen - *cpos);
        size_t n = nl ? (size_t)(nl - (chunk + *cpos)) : *clen - *cpos;
        if (sb->len + n > RD_MAX_LINE)
            return -1;
        sb_add(sb, chunk + *cpos, n);
        *cpos += n + (nl ? 1 : 0);
        if (nl)
            return 1;
    }
}

static size_t fast_read, fast_skipped;

void rd_json_fast_stats(size_t *read, size_t *skipped)
{
    *read = fast_read;
    *skipped = fast_skipped;
}

/* The fast path for one line, line->buf[s, n): 0 when it is not an NXLog
 * line simdjson takes (the caller parses it with cJSON), 1 when its EventID
 * is one no reader uses (skipped after a look at its keys, before any other
 * value is read), 2 when read; -1 with e set (without the file:line). */
static int nxlog_fast(struct rd_set *set, struct sjson *sj, struct strbuf *line, size_t s, size_t n,
                      size_t lineno, struct arena *mem, int *seen_known, struct err *e)
{
    XGROW(line->buf, line->cap, line->len + SJSON_PADDING);
    memset(line->buf + line->len, 0, SJSON_PADDING);
    struct sjson_kv id, *kv;
    size_t nkv;
    if (sjson_line_kind(sj, line->buf + s, n - s, line->cap - s, &id) != SJSON_LINE_NXLOG)
        return 0;
    *seen_known = 1;
    arena_reset(mem);
    uint64_t evid;
    struct nx_flat one = {&id, 1, mem};
    struct rd_rec probe = {.get = flat_get, .ctx = &one};
    if (rd_parse_num(nx_js(&probe, "EventID"), UINT32_MAX, &evid) ||
        !rd_winevent_wanted((uint32_t)evid)) {
        fast_skipped++;
        return 1;
    }
    if (sjson_line_fields(sj, &kv, &nkv) < 0)
        return 0;
    struct nx_flat all = {kv, nkv, mem};
    struct rd_rec r = {.get = flat_get, .ctx = &all};
    rd_set_at(set, 0, lineno);
    fast_read++;
    return nxlog_rec(set, &r, e) < 0 ? -1 : 2;
}

/* "NAME:LINE: " before a message, as rd_json_object's "where" puts it. */
static void err_prefix(struct err *e, const char *name, size_t lineno)
{
    struct err sub = *e;
    err_set(e, "%s:%zu: %s", name, lineno, sub.msg);
}

int rd_read_ndjson(struct rd_set *set, struct rd_src_file *f, int forced, struct err *e)
{
    struct strbuf line = STRBUF_INIT;
    struct arena mem = ARENA_INIT; /* the current line's cJSON tree */
    size_t csz = 1 << 20, cpos = 0, clen = 0, lineno = 0;
    char *chunk = xmalloc(csz);
    int rc = 0, r, seen_known = 0;
    char where[4200];
    /* NXLog lines take the fast path (sjson.h); any other line, and one the
     * fast path does not take, is cJSON's. */
    struct sjson *sj = sjson_open();
    struct arena linemem = ARENA_INIT; /* the fast path's strings of the line */
    while ((r = next_line(f, &line, chunk, csz, &cpos, &clen)) == 1) {
        lineno++;
        size_t n = line.len;
        while (n && (line.buf[n - 1] == '\r' || line.buf[n - 1] == ' ' || line.buf[n - 1] == '\t'))
            n--;
        size_t s = 0;
        if (lineno == 1 && n >= 3 && !memcmp(line.buf, "\xef\xbb\xbf", 3))
            s = 3;
        while (s < n && (line.buf[s] == ' ' || line.buf[s] == '\t'))
            s++;
        if (s == n)
            continue;
        if (sj) {
            int fast = nxlog_fast(set, sj, &line, s, n, lineno, &linemem, &seen_known, e);
            if (fast < 0) {
                err_prefix(e, f->name, lineno);
                rc = -1;
                break;
            }
            if (fast > 0)
                continue;
        }
        int over = 0;
        cJSON *o = snap_json_parse(&mem, line.buf + s, n - s, NULL, 0, &over);
        if (!o && over) {
            err_set(e, "%s:%zu: line needs more than %s of memory to parse", f->name, lineno,
                    snap_json_budget_text());
            rc = -1;
            break;
        }
        if (!o) {
            json_err(e, f->name, lineno, line.buf + s, n - s);
            rc = -1;
            break;
        }
        enum rd_json_kind k = rd_json_classify(o);
        snprintf(where, sizeof(where), "%s:%zu", f->name, lineno);
        if (k == RD_J_NATIVE) {
            err_set(e,
                    "%s: this is smsslab's own snapshot JSON, not host data (use "
                    "--input-format native)",
                    where);
            rc = -1;
        } else if (k == RD_J_UNKNOWN) {
            if (!seen_known && !forced) {
                err_set(e, "%s: unrecognised JSON object: %s", where, kind_expect);
                rc = -1;
            }
        } else {
            seen_known = 1;
            rd_set_at(set, 0, lineno);
            rc = rd_json_object(set, o, k, where, e);
        }
        cJSON_Delete(o);
        if (rc < 0)
            break;
    }
    if (r < 0) {
        err_set(e, "%s:%zu: line longer than %zu bytes", f->name, lineno + 1, RD_MAX_LINE);
        rc = -1;
    }
    free(chunk);
    sb_release(&line);
    arena_release(&mem);
    arena_release(&linemem);
    sjson_free(sj);
    return rc;
}

/* ---- whole documents ---------------------------------------------------- */

/* Windows PowerShell 5.1 writes files as UTF-16LE with a BOM (Out-File, >). */
static int utf16_to_utf8(char **buf, size_t *len, const char *name, struct err *e)
{
    iconv_t cd = iconv_open("UTF-8", "UTF-16LE");
    if (cd == (iconv_t)-1) {
        err_set(e, "%s: cannot convert UTF-16 (iconv)", name);
        return -1;
    }
    size_t inleft = *len - 2, outcap = inleft * 2 + 1, outleft = outcap - 1;
    char *in = *buf + 2, *out = xmalloc(outcap), *op = out;
    size_t rc = iconv(cd, &in, &inleft, &op, &outleft);
    iconv_close(cd);
    if (rc == (size_t)-1) {
        free(out);
        err_set(e, "%s: invalid UTF-16 text", name);
        return -1;
    }
    *op = '\0';
    free(*buf);
    *buf = out;
    *len = (size_t)(op - out);
    return 0;
}

int rd_read_jsondoc(struct rd_set *set, struct rd_src_file *f, struct err *e)
{
    char *buf;
    size_t len;
    if (rd_src_slurp(f, RD_MAX_DOC, &buf, &len, e) < 0)
        return -1;
    if (len >= 2 && (unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe &&
        utf16_to_utf8(&buf, &len, f->name, e) < 0) {
        free(buf);
        return -1;
    }
    size_t s = len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
    /* Older Volatility 3 printed its banner line on stdout before the data. */
    if (!strncmp(buf + s, "Volatility 3 Framework", 22)) {
        const char *nl = memchr(buf + s, '\n', len - s);
        s = nl ? (size_t)(nl + 1 - buf) : len;
    }
    struct arena mem = ARENA_INIT;
    int over = 0;
    cJSON *doc = snap_json_parse(&mem, buf + s, len - s, NULL, 0, &over);
    if (!doc) {
        if (over)
            err_set(e, "%s: needs more than %s of memory to parse (about 15x its size)", f->name,
                    snap_json_budget_text());
        else
            json_err(e, f->name, 1, buf + s, len - s);
        free(buf);
        arena_release(&mem);
        return -1;
    }
    int rc = 0;
    char where[4200];
    cJSON *single = NULL; /* a lone object (one process) is read as a list of one */
    if (cJSON_IsObject(doc)) {
        single = doc;
        doc = cJSON_CreateArray();
        cJSON_AddItemReferenceToArray(doc, single);
    }
    if (!cJSON_IsArray(doc)) {
        err_set(e, "%s: expected a JSON array or object", f->name);
        rc = -1;
    }
    uint32_t cim_img = 0; /* field bits | 0x80000000 once computed */
    int first = 1;
    const cJSON *o;
    size_t i = 0;
    cJSON_ArrayForEach(o, doc)
    {
        if (rc < 0)
            break;
        i++;
        enum rd_json_kind k = rd_json_classify(o);
        snprintf(where, sizeof(where), "%s: element %zu", f->name, i);
        if (k == RD_J_UNKNOWN || k == RD_J_NATIVE) {
            if (first) {
                err_set(e, "%s: unrecognised JSON object: %s", where, kind_expect);
                rc = -1;
            }
            continue;
        }
        first = 0;
        if (k == RD_J_CIM) {
            if (!cim_img)
                cim_img = cim_bits(doc) | 0x80000000u;
            struct err sub;
            if (cim_row(set, o, cim_img & ~0x80000000u, &sub) < 0) {
                err_set(e, "%s: %s", where, sub.msg);
                rc = -1;
            }
        } else {
            rc = rd_json_object(set, o, k, where, e);
        }
    }
    cJSON_Delete(doc);
    cJSON_Delete(single);
    arena_release(&mem);
    free(buf);
    return rc;
}
