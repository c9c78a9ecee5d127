/*
 * corpus: the run. Samples are grouped into part files of K samples; part f
 * holds samples [f*K, (f+1)*K) in every format plus its manifest lines, so a
 * shard (parts with f % M == K) writes exactly the files the unsharded run
 * writes, byte for byte, and shards on many machines never share a file.
 * Every file goes through core/afile (temp + fsync + rename): a part's files
 * either exist complete or not at all, which is what --resume trusts. The
 * manifest part is committed last, so its presence means the part is done.
 * One struct sim, one scenario and a few buffers are reused for every
 * sample: memory does not grow with N.
 */
#include "corpus.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/afile.h"
#include "../core/jsonw.h"
#include "../evtxw/evtxw.h"
#include "../sim/anomaly.h"

/* Bit indexes of the formats written other than through a buffer. */
enum { FMT_EVTX = 4, FMT_HIVE = 6, FMT_SECXML = 7, FMT_SECEVTX = 8 };
static const char *const fmt_names[CORPUS_NFORMATS] = {
    "native", "sysmon", "ecs", "csv", "evtx", "registry", "hive", "security-xml", "security-evtx"};
/* "": a folder per part (hive), not a file. */
static const char *const fmt_exts[CORPUS_NFORMATS] = {"jsonl", "xml", "ndjson", "csv", "evtx",
                                                      "csv",   "",    "xml",    "evtx"};

const char *corpus_format_name(unsigned i)
{
    return i < CORPUS_NFORMATS ? fmt_names[i] : "manifest";
}

const char *corpus_format_ext(unsigned i)
{
    return i < CORPUS_NFORMATS ? fmt_exts[i] : "jsonl";
}

/* ---- argument parsing -------------------------------------------------------------- */

int corpus_parse_formats(const char *s, unsigned *out, struct err *e)
{
    unsigned bits = 0;
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, ",");
        unsigned f;
        if (n == 3 && !strncmp(p, "all", 3)) {
            bits |= CORPUS_ALL;
        } else {
            for (f = 0; f < CORPUS_NFORMATS; f++)
                if (strlen(fmt_names[f]) == n && !strncmp(p, fmt_names[f], n))
                    break;
            if (f == CORPUS_NFORMATS) {
                err_set(
                    e,
                    "'%.*s' is not a format (expected native, sysmon, ecs, csv, evtx, registry, "
                    "hive, security-xml, security-evtx or all)",
                    (int)n, p);
                return -1;
            }
            bits |= 1u << f;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (!bits) {
        err_set(e, "no format given (expected native, sysmon, ecs, csv, evtx or all)");
        return -1;
    }
    *out = bits;
    return 0;
}

/* Decimal or percentage, exact to one part per million: no floating point,
 * so 0.1 means exactly 100000 ppm on every machine. */
int corpus_parse_rate(const char *s, uint32_t *ppm, struct err *e)
{
    size_t len = strlen(s);
    int pct = len && s[len - 1] == '%';
    uint64_t whole = 0, frac = 0;
    int fdigits = 0;
    const char *p = s;
    if (!len || (pct && len == 1))
        goto bad;
    while (*p >= '0' && *p <= '9') {
        whole = whole * 10 + (uint64_t)(*p - '0');
        if (whole > 100)
            goto bad;
        p++;
    }
    if (p == s && *p != '.')
        goto bad;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (fdigits == (pct ? 4 : 6))
                goto bad; /* finer than one part per million */
            frac = frac * 10 + (uint64_t)(*p - '0');
            fdigits++;
            p++;
        }
    }
    if (*p != (pct ? '%' : '\0') || (pct && p[1]))
        goto bad;
    int scale_digits = pct ? 4 : 6;
    while (fdigits < scale_digits)
        frac *= 10, fdigits++;
    uint64_t v = whole * (pct ? 10000 : 1000000) + frac;
    if (v > CORPUS_PPM)
        goto bad;
    *ppm = (uint32_t)v;
    return 0;
bad:
    err_set(e, "'%s' is not a rate between 0 and 1 (like 0.05 or 5%%, at most 6 decimals)", s);
    return -1;
}

int corpus_parse_shard(const char *s, uint64_t *k, uint64_t *m, struct err *e)
{
    const char *slash = strchr(s, '/');
    char a[32];
    if (!slash || (size_t)(slash - s) >= sizeof(a))
        goto bad;
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = 0;
    if (parse_u64(a, UINT32_MAX, k) < 0 || parse_u64(slash + 1, UINT32_MAX, m) < 0 || *m == 0 ||
        *k >= *m)
        goto bad;
    return 0;
bad:
    err_set(e, "'%s' is not a shard K/M with 0 <= K < M (e.g. 0/4 .. 3/4)", s);
    return -1;
}

/* ---- files --------------------------------------------------------------------------- */

static int mkdir_p(const char *dir, struct err *e)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
    }
    err_set(e, "%s: cannot create the folder: %s", dir, strerror(errno ? errno : ENOTDIR));
    return -1;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

struct run {
    const struct corpus_opts *o;
    uint64_t nparts;
    int width;
    struct strbuf path;
};

/* "native/part-00042.jsonl"; index CORPUS_NFORMATS is the manifest. */
static void part_rel(const struct run *r, struct strbuf *sb, unsigned f, uint64_t part)
{
    const char *ext = corpus_format_ext(f);
    sb_addf(sb, "%s/part-%0*llu%s%s", corpus_format_name(f), r->width, (unsigned long long)part,
            *ext ? "." : "", ext);
}

static const char *part_path(struct run *r, unsigned f, uint64_t part)
{
    sb_reset(&r->path);
    sb_addf(&r->path, "%s/", r->o->dir);
    part_rel(r, &r->path, f, part);
    return r->path.buf;
}

static int exists_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int part_done(struct run *r, uint64_t part)
{
    for (unsigned f = 0; f <= CORPUS_NFORMATS; f++) {
        if (f < CORPUS_NFORMATS && !(r->o->formats & (1u << f)))
            continue;
        const char *p = part_path(r, f, part);
        if (f == FMT_HIVE ? !exists_dir(p) : !exists(p))
            return 0;
    }
    return 1;
}

/* Remove a hive part folder: sample folders of files, nothing deeper. */
static int rm_tree(const char *path, int depth)
{
    DIR *d = opendir(path);
    if (!d)
        return unlink(path);
    struct dirent *de;
    struct strbuf sb = STRBUF_INIT;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        sb_reset(&sb);
        sb_addf(&sb, "%s/%s", path, de->d_name);
        if (depth > 0)
            rm_tree(sb.buf, depth - 1);
        else
            unlink(sb.buf);
    }
    closedir(d);
    sb_release(&sb);
    return rmdir(path);
}

/* A run killed with SIGKILL (or a power cut) leaves core/afile's temporary
 * files, ".part-00042.jsonl.tmpXXXXXX" beside the part they were to become.
 * --resume removes those of this shard's parts (another shard may be writing
 * its own in the same folder right now) before it writes anything. */
static int is_stale_part_temp(const struct run *r, const char *name)
{
    if (strncmp(name, ".part-", 6) != 0)
        return 0;
    const char *t = strstr(name, ".tmp");
    if (!t || strlen(t) != 10) /* mkstemp's six characters */
        return 0;
    char *end;
    errno = 0;
    unsigned long long part = strtoull(name + 6, &end, 10);
    if (errno || end == name + 6 || *end != '.' || part >= r->nparts)
        return 0;
    return part % r->o->nshards == r->o->shard;
}

static void remove_stale_temps(struct run *r, struct corpus_stats *st)
{
    for (unsigned f = 0; f <= CORPUS_NFORMATS; f++) {
        if (f < CORPUS_NFORMATS && !(r->o->formats & (1u << f)))
            continue;
        sb_reset(&r->path);
        sb_addf(&r->path, "%s/%s", r->o->dir, corpus_format_name(f));
        DIR *d = opendir(r->path.buf);
        if (!d)
            continue;
        size_t base = r->path.len;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!is_stale_part_temp(r, de->d_name))
                continue;
            r->path.len = base;
            r->path.buf[base] = 0;
            sb_addf(&r->path, "/%s", de->d_name);
            if ((f == FMT_HIVE ? rm_tree(r->path.buf, 1) : unlink(r->path.buf)) == 0)
                st->stale_removed++;
        }
        closedir(d);
    }
}

static void write_params(const struct corpus_opts *o, uint64_t nparts, struct strbuf *sb)
{
    sb_adds(sb, "{\"schema\":\"smsslab.corpus/1\",\"generator\":\"smsslab " SMSSLAB_VERSION "\"");
    jw_ku64(sb, "n", o->n);
    jw_ku64(sb, "seed", o->seed);
    jw_ku64(sb, "per_file", o->per_file);
    jw_ku64(sb, "parts", nparts);
    jw_ku64(sb, "anomaly_rate_ppm", o->rate_ppm);
    sb_adds(sb, ",\"anomalies\":");
    if (!o->types) {
        sb_adds(sb, "null");
    } else {
        sb_addc(sb, '[');
        for (size_t i = 0; i < o->ntypes; i++) {
            if (i)
                sb_addc(sb, ',');
            jw_str(sb, o->types[i]);
        }
        sb_addc(sb, ']');
    }
    sb_adds(sb, ",\"formats\":[");
    int first = 1;
    for (unsigned f = 0; f < CORPUS_NFORMATS; f++)
        if (o->formats & (1u << f)) {
            if (!first)
                sb_addc(sb, ',');
            first = 0;
            jw_str(sb, fmt_names[f]);
        }
    sb_adds(sb, "]}\n");
}

/* corpus.json records the arguments; a run into a folder that holds another
 * corpus is refused, so shards of different runs or the parts of an older,
 * larger corpus can never mix into one manifest. The same arguments (another
 * shard, a rerun, --resume) are fine. */
static int check_params(struct run *r, struct err *e)
{
    struct strbuf want = STRBUF_INIT, path = STRBUF_INIT;
    write_params(r->o, r->nparts, &want);
    sb_addf(&path, "%s/corpus.json", r->o->dir);
    int rc = 0;
    if (exists(path.buf)) {
        char *have = NULL;
        size_t n = 0;
        if (read_file_all(path.buf, 1 << 20, &have, &n, e) < 0) {
            rc = -1;
        } else if (n != want.len || memcmp(have, want.buf, n)) {
            err_set(e,
                    "%s: this folder holds a corpus made with other arguments; use an empty "
                    "folder, or the same -n, --seed, --per-file, --formats, --anomaly-rate and "
                    "--anomalies to add shards or --resume",
                    path.buf);
            rc = -1;
        }
        free(have);
    } else {
        rc = afile_write_all(path.buf, want.buf, want.len, e);
    }
    sb_release(&want);
    sb_release(&path);
    return rc;
}

/* DIR/manifest.jsonl: the parts' manifests in order, once all exist. Two
 * shards finishing together write identical bytes through temp + rename. */
static int assemble_manifest(struct run *r, struct corpus_stats *st, struct err *e)
{
    for (uint64_t p = 0; p < r->nparts; p++)
        if (!exists(part_path(r, CORPUS_NFORMATS, p)))
            return 0;
    struct strbuf out = STRBUF_INIT;
    sb_addf(&out, "%s/manifest.jsonl", r->o->dir);
    struct afile af;
    if (afile_open(&af, out.buf, e) < 0) {
        sb_release(&out);
        return -1;
    }
    char buf[1 << 16];
    int rc = 0;
    for (uint64_t p = 0; p < r->nparts && !rc; p++) {
        const char *path = part_path(r, CORPUS_NFORMATS, p);
        FILE *in = fopen(path, "rb");
        if (!in) {
            err_set(e, "%s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            if (fwrite(buf, 1, n, af.fp) != n) {
                err_set(e, "%s: write failed", out.buf);
                rc = -1;
                break;
            }
        if (ferror(in) && !rc) {
            err_set(e, "%s: read failed", path);
            rc = -1;
        }
        fclose(in);
    }
    if (rc)
        afile_abort(&af);
    else
        rc = afile_commit(&af, e);
    if (!rc)
        st->manifest_complete = 1;
    sb_release(&out);
    return rc;
}

static int exists_manifest_jsonl(const char *dir)
{
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%s/manifest.jsonl", dir);
    int ok = exists(sb.buf);
    sb_release(&sb);
    return ok;
}

struct part_out {
    struct afile af[CORPUS_NFORMATS + 1];
    struct strbuf buf[CORPUS_NFORMATS + 1]; /* evtx writes through ew instead */
    struct strbuf rel[CORPUS_NFORMATS];
    uint64_t lines[CORPUS_NFORMATS];
    struct evtxw *ew, *sew; /* Sysmon .evtx, Security .evtx */
    struct strbuf hive_tmp; /* the hive part's temporary folder while it is written */
    struct strbuf hive_rel; /* a sample's hive folder, relative to the corpus */
    struct strbuf scratch;
};

static void abort_all(struct part_out *po)
{
    for (unsigned f = 0; f <= CORPUS_NFORMATS; f++)
        if (po->af[f].fp)
            afile_abort(&po->af[f]);
    if (po->hive_tmp.len) {
        rm_tree(po->hive_tmp.buf, 1);
        sb_reset(&po->hive_tmp);
    }
}

/* The hive part is a folder: made under a temporary name beside its final
 * one, as afile does for files, and renamed when complete. */
static int hive_begin(struct run *r, uint64_t part, struct part_out *po, struct err *e)
{
    sb_reset(&po->hive_tmp);
    sb_addf(&po->hive_tmp, "%s/hive/.part-%0*llu.tmpXXXXXX", r->o->dir, r->width,
            (unsigned long long)part);
    if (!mkdtemp(po->hive_tmp.buf)) {
        err_set(e, "%s: cannot create a temporary folder: %s", po->hive_tmp.buf, strerror(errno));
        sb_reset(&po->hive_tmp);
        return -1;
    }
    return 0;
}

static int hive_sample(struct part_out *po, struct corpus_sample *cs, struct corpus_loc *loc,
                       struct corpus_stats *st, struct err *e)
{
    char name[40];
    snprintf(name, sizeof(name), "sample-%09llu", (unsigned long long)corpus_sample_index(cs));
    sb_reset(&po->scratch);
    sb_addf(&po->scratch, "%s/%s", po->hive_tmp.buf, name);
    if (mkdir(po->scratch.buf, 0755) != 0) {
        err_set(e, "%s: cannot create the folder: %s", po->scratch.buf, strerror(errno));
        return -1;
    }
    if (corpus_write_sample_hives(cs, po->scratch.buf, e) < 0)
        return -1;
    static const char *const files[] = {"SYSTEM", "SOFTWARE"};
    for (int k = 0; k < 2; k++) {
        struct stat sb;
        sb_reset(&po->hive_rel);
        sb_addf(&po->hive_rel, "%s/%s", po->scratch.buf, files[k]);
        if (stat(po->hive_rel.buf, &sb) == 0)
            st->bytes[FMT_HIVE] += (uint64_t)sb.st_size;
    }
    sb_reset(&po->hive_rel);
    sb_addf(&po->hive_rel, "%s/%s", loc->file, name);
    loc->file = po->hive_rel.buf;
    return 0;
}

static int hive_commit(struct run *r, uint64_t part, struct part_out *po, struct err *e)
{
    const char *final = part_path(r, FMT_HIVE, part);
    if (exists_dir(final))
        rm_tree(final, 1); /* a rerun with the same arguments writes the same files */
    if (rename(po->hive_tmp.buf, final) != 0) {
        err_set(e, "%s: cannot rename to %s: %s", po->hive_tmp.buf, final, strerror(errno));
        return -1;
    }
    sb_reset(&po->hive_tmp);
    return 0;
}

static int flush_buf(struct part_out *po, unsigned f, struct corpus_stats *st, struct err *e)
{
    struct strbuf *b = &po->buf[f];
    if (b->len && fwrite(b->buf, 1, b->len, po->af[f].fp) != b->len) {
        err_set(e, "%s: write failed: %s", po->af[f].path, strerror(errno));
        return -1;
    }
    st->bytes[f] += b->len;
    sb_reset(b);
    return 0;
}

static int write_part(struct run *r, uint64_t part, struct sim *sm, struct corpus_sample *cs,
                      struct part_out *po, struct corpus_stats *st, struct err *e)
{
    const struct corpus_opts *o = r->o;
    memset(po->af, 0, sizeof(po->af));
    for (unsigned f = 0; f <= CORPUS_NFORMATS; f++) {
        if (f < CORPUS_NFORMATS && !(o->formats & (1u << f)))
            continue;
        if (f < CORPUS_NFORMATS) {
            sb_reset(&po->rel[f]);
            part_rel(r, &po->rel[f], f, part);
            po->lines[f] = 0;
        }
        if (f == FMT_HIVE) {
            if (hive_begin(r, part, po, e) < 0) {
                abort_all(po);
                return -1;
            }
            continue;
        }
        if (afile_open(&po->af[f], part_path(r, f, part), e) < 0) {
            abort_all(po);
            return -1;
        }
        if ((f == FMT_EVTX && evtxw_begin(po->ew, po->af[f].fp, po->af[f].path, e) < 0) ||
            (f == FMT_SECEVTX && evtxw_begin(po->sew, po->af[f].fp, po->af[f].path, e) < 0)) {
            abort_all(po);
            return -1;
        }
    }
    if (o->formats & CORPUS_CSV) {
        sb_adds(&po->buf[3], corpus_csv_header);
        po->lines[3] = 1;
    }
    if (o->formats & CORPUS_REGISTRY) {
        sb_adds(&po->buf[5], corpus_registry_header);
        po->lines[5] = 1;
    }
    uint64_t lo = part * o->per_file, hi = lo + o->per_file < o->n ? lo + o->per_file : o->n;
    struct scn sc;
    memset(&sc, 0, sizeof(sc));
    for (uint64_t i = lo; i < hi; i++) {
        scn_release(&sc);
        corpus_gen_scenario(&sc, o->seed, i, o->rate_ppm, o->types, o->ntypes);
        struct err se = {""};
        if (sim_run(sm, &sc, &se) < 0) {
            err_set(e, "sample %llu (seed %llu) does not simulate -- a generator bug: %s",
                    (unsigned long long)i, (unsigned long long)sc.seed, se.msg);
            scn_release(&sc);
            abort_all(po);
            return -1;
        }
        corpus_sample_prepare(cs, &sc, sm, i);
        struct corpus_loc loc[CORPUS_NFORMATS];
        for (unsigned f = 0; f < CORPUS_NFORMATS; f++) {
            loc[f].file = po->rel[f].buf;
            loc[f].line = po->lines[f] + 1;
            loc[f].lines = loc[f].first_id = loc[f].last_id = 0;
            if (!(o->formats & (1u << f)))
                continue;
            switch (f) {
            case 0:
                corpus_write_native(cs, &po->buf[f]);
                loc[f].lines = 1;
                break;
            case 1: loc[f].lines = corpus_write_sysmon(cs, &po->buf[f]); break;
            case 2: loc[f].lines = corpus_write_ecs(cs, &po->buf[f]); break;
            case 3: loc[f].lines = corpus_write_csv(cs, &po->buf[f]); break;
            case 5: loc[f].lines = corpus_write_registry(cs, &po->buf[f]); break;
            case FMT_HIVE:
                if (hive_sample(po, cs, &loc[f], st, e) < 0) {
                    scn_release(&sc);
                    abort_all(po);
                    return -1;
                }
                break;
            case FMT_SECXML: corpus_write_security_xml(cs, &po->buf[f], &loc[f]); break;
            case FMT_SECEVTX:
                if (corpus_write_security_evtx(cs, po->sew, &loc[f], e) < 0) {
                    scn_release(&sc);
                    abort_all(po);
                    return -1;
                }
                break;
            default:
                if (corpus_write_evtx(cs, po->ew, &loc[f], e) < 0) {
                    scn_release(&sc);
                    abort_all(po);
                    return -1;
                }
                break;
            }
            po->lines[f] += loc[f].lines;
            if (po->buf[f].len >= (1u << 20) && flush_buf(po, f, st, e) < 0) {
                scn_release(&sc);
                abort_all(po);
                return -1;
            }
        }
        corpus_write_manifest(cs, &po->buf[CORPUS_NFORMATS], o->formats, loc);
        st->anomalies += sc.nanomalies;
        st->samples++;
    }
    scn_release(&sc);
    /* Data first, the manifest part last: its presence marks the part done. */
    if (po->af[FMT_EVTX].fp) {
        if (evtxw_end(po->ew, e) < 0) {
            abort_all(po);
            return -1;
        }
        st->bytes[FMT_EVTX] += evtxw_bytes(po->ew);
    }
    if (po->af[FMT_SECEVTX].fp) {
        if (evtxw_end(po->sew, e) < 0) {
            abort_all(po);
            return -1;
        }
        st->bytes[FMT_SECEVTX] += evtxw_bytes(po->sew);
    }
    if (po->hive_tmp.len && hive_commit(r, part, po, e) < 0) {
        abort_all(po);
        return -1;
    }
    for (unsigned f = 0; f <= CORPUS_NFORMATS; f++) {
        if (!po->af[f].fp)
            continue;
        if (flush_buf(po, f, st, e) < 0 || afile_commit(&po->af[f], e) < 0) {
            abort_all(po);
            return -1;
        }
    }
    return 0;
}

int corpus_run(const struct corpus_opts *o, struct corpus_stats *st, struct err *e)
{
    memset(st, 0, sizeof(*st));
    if (!o->n || o->n > CORPUS_MAX_N || !o->per_file || !o->nshards || o->shard >= o->nshards) {
        err_set(e, "bad corpus size, per-file count or shard");
        return -1;
    }
    for (size_t i = 0; o->types && i < o->ntypes; i++)
        if (!anom_find(o->types[i])) {
            struct strbuf list = STRBUF_INIT;
            for (size_t k = 0; k < anom_count(); k++)
                sb_addf(&list, "%s%s", k ? ", " : "", anom_get(k)->id);
            err_set(e, "unknown anomaly type '%.100s' (known: %.800s)", o->types[i], list.buf);
            sb_release(&list);
            return -1;
        }
    struct run r = {o, (o->n + o->per_file - 1) / o->per_file, 5, STRBUF_INIT};
    for (uint64_t v = r.nparts - 1; v >= 100000; v /= 10)
        r.width++;
    if (mkdir_p(o->dir, e) < 0)
        return -1;
    for (unsigned f = 0; f <= CORPUS_NFORMATS; f++) {
        if (f < CORPUS_NFORMATS && !(o->formats & (1u << f)))
            continue;
        sb_reset(&r.path);
        sb_addf(&r.path, "%s/%s", o->dir, corpus_format_name(f));
        if (mkdir_p(r.path.buf, e) < 0) {
            sb_release(&r.path);
            return -1;
        }
    }
    if (check_params(&r, e) < 0) {
        sb_release(&r.path);
        return -1;
    }
    uint64_t total = 0;
    for (uint64_t p = o->shard; p < r.nparts; p += o->nshards)
        total += (p + 1) * o->per_file < o->n ? o->per_file : o->n - p * o->per_file;

    if (o->resume)
        remove_stale_temps(&r, st);
    struct sim *sm = sim_new();
    struct corpus_sample *cs = corpus_sample_new();
    struct part_out *po = xcalloc(1, sizeof(*po));
    po->ew = evtxw_new();
    po->sew = evtxw_new();
    int rc = 0;
    uint64_t done = 0;
    for (uint64_t p = o->shard; p < r.nparts && !rc; p += o->nshards) {
        uint64_t k = (p + 1) * o->per_file < o->n ? o->per_file : o->n - p * o->per_file;
        if (o->resume && part_done(&r, p)) {
            st->parts_skipped++;
        } else {
            rc = write_part(&r, p, sm, cs, po, st, e);
            st->parts++;
        }
        done += k;
        if (!rc && o->progress)
            o->progress(o->progress_ctx, done, total);
    }
    if (!rc && (st->parts || !exists_manifest_jsonl(o->dir)))
        rc = assemble_manifest(&r, st, e);
    for (unsigned f = 0; f <= CORPUS_NFORMATS; f++)
        sb_release(&po->buf[f]);
    for (unsigned f = 0; f < CORPUS_NFORMATS; f++)
        sb_release(&po->rel[f]);
    evtxw_free(po->ew);
    evtxw_free(po->sew);
    sb_release(&po->hive_tmp);
    sb_release(&po->hive_rel);
    sb_release(&po->scratch);
    free(po);
    corpus_sample_free(cs);
    sim_free(sm);
    sb_release(&r.path);
    return rc;
}
