/*
 * chk: the rule engine. Builds the rule table from rules.def, computes the
 * per-snapshot facts every rule shares (each process's parent, which core
 * process it is, the master smss) once, then runs the enabled rules whose
 * inputs the snapshot records. Everything here is O(n log n) in processes.
 */
#include "chk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chk_int.h"

#include "../core/hash.h"

#define RULE(fn, ...) void fn(struct chk_ctx *c);
#include "rules.def"
#undef RULE

const struct chk_rule chk_rules[] = {
#define RULE(fn, ...) {__VA_ARGS__, .check = fn},
#include "rules.def"
#undef RULE
};
const size_t chk_nrules = ARRAY_SIZE(chk_rules);

/* Which of core row k's checks a rules.def row of its own makes: a row with
 * .target = its name and the check SMSS-PATH, SMSS-PARENT, SMSS-CHILDREN or
 * SMSS-PRIORITY use. The generic rule (CORE-PATH, CORE-PARENT, CORE-CHILDREN,
 * CORE-PRIORITY) leaves those to it, so a process is judged once. */
unsigned chk_core_own(size_t k)
{
    static const struct {
        void (*check)(struct chk_ctx *c);
        unsigned bit;
    } own[] = {{chk_rule_path, CHK_OWN_PATH},
               {chk_rule_parent, CHK_OWN_PARENT},
               {chk_rule_children, CHK_OWN_CHILDREN},
               {chk_rule_priority, CHK_OWN_PRIORITY}};
    unsigned bits = 0;
    for (size_t i = 0; i < chk_nrules; i++)
        for (size_t j = 0; j < ARRAY_SIZE(own); j++)
            if (chk_rules[i].check == own[j].check && chk_rules[i].target &&
                !ascii_casecmp(chk_rules[i].target, kb_procs[k].name))
                bits |= own[j].bit;
    return bits;
}

int chk_kind_of(const char *name)
{
    if (!name)
        return 0;
    /* Asked for every process of every snapshot, of a few dozen names:
     * each name's answer is kept in a bounded memo. */
    static struct strmemo memo;
    int32_t *v;
    if (!strmemo_find(&memo, name, &v))
        *v = kb_proc_index(name) + 1;
    return *v;
}

const char *chk_name(const struct snap_proc *p)
{
    return snap_proc_basename(p);
}

const struct kb_proc *chk_target(const struct chk_ctx *c, int *kind)
{
    /* Asked by most rules for every snapshot, of the table's own strings:
     * each row's answer is worked out once. */
    static int16_t row_kind[ARRAY_SIZE(chk_rules)];
    static int rows_done;
    if (!rows_done) {
        for (size_t i = 0; i < chk_nrules; i++)
            row_kind[i] = (int16_t)(chk_rules[i].target ? chk_kind_of(chk_rules[i].target) : 0);
        rows_done = 1;
    }
    size_t r = (size_t)(c->rule - chk_rules);
    int k = (r < chk_nrules ? row_kind[r] : c->rule->target ? chk_kind_of(c->rule->target) : 0) - 1;
    if (kind)
        *kind = k + 1;
    return k < 0 ? NULL : &kb_procs[k];
}

/* ---- severities and lookups --------------------------------------------- */

static const char *const sev_names[] = {"info", "low", "medium", "high", "critical"};

const char *chk_severity_name(enum chk_severity s)
{
    return (unsigned)s < ARRAY_SIZE(sev_names) ? sev_names[s] : "unknown";
}

int chk_severity_parse(const char *s, enum chk_severity *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(sev_names); i++)
        if (s && !ascii_casecmp(s, sev_names[i])) {
            *out = (enum chk_severity)i;
            return 0;
        }
    return -1;
}

const struct chk_rule *chk_rule_find(const char *id)
{
    for (size_t i = 0; i < chk_nrules; i++)
        if (id && !ascii_casecmp(id, chk_rules[i].id))
            return &chk_rules[i];
    return NULL;
}

int chk_rule_in_lesson(const struct chk_rule *r, const char *lesson)
{
    if (!ascii_casecmp(lesson, "registry"))
        return (r->needs & SNAP_F_REGISTRY) != 0;
    if (!ascii_casecmp(r->process, lesson))
        return 1;
    /* "smss" for "smss.exe" */
    size_t n = strlen(lesson);
    return !ascii_ncasecmp(r->process, lesson, n) && !ascii_casecmp(r->process + n, ".exe");
}

int chk_lesson_exists(const char *lesson)
{
    for (size_t i = 0; i < chk_nrules; i++)
        if (chk_rule_in_lesson(&chk_rules[i], lesson))
            return 1;
    return 0;
}

/* ---- helpers shared by the rules ----------------------------------------- */

/* A '|' list compiled for chk_in_list: each word's place and length, and
 * which first letters occur (most names are ruled out by that alone). */
struct in_list {
    const char *list;
    uint32_t first[8]; /* bit c: some word starts with lower-case byte c */
    uint8_t n;
    uint16_t off[CHK_LIST_MAX];
    uint8_t len[CHK_LIST_MAX];
};

/* The word of a '|' list at p: its length in *len; returns where the next
 * one starts, NULL after the last. */
static const char *list_word(const char *p, size_t *len)
{
    const char *bar = strchr(p, '|');
    *len = bar ? (size_t)(bar - p) : strlen(p);
    return bar ? bar + 1 : NULL;
}

static int compile_list(struct in_list *l, const char *list)
{
    memset(l, 0, sizeof(*l));
    for (const char *p = list, *w; (w = p) != NULL;) {
        size_t len;
        p = list_word(w, &len);
        if (l->n >= CHK_LIST_MAX || len > UINT8_MAX || (size_t)(w - list) > UINT16_MAX)
            return -1;
        unsigned char f = len ? (unsigned char)ascii_lower(*w) : 0;
        l->first[f >> 5] |= 1u << (f & 31);
        l->off[l->n] = (uint16_t)(w - list);
        l->len[l->n++] = (uint8_t)len;
    }
    l->list = list;
    return 0;
}

int chk_in_list(const char *list, const char *s)
{
    if (!list || !s)
        return 0;
    size_t n = strlen(s);
    /* Every rule asks this of every process, always of the same few lists
     * (literals and kb strings, which live as long as the program): each is
     * compiled once and found again by its address. A slot another list
     * took is compiled anew, so the answer never depends on the cache. */
    static struct in_list cache[64];
    struct in_list *l = &cache[((uintptr_t)list >> 3) % ARRAY_SIZE(cache)];
    if (l->list != list && compile_list(l, list) < 0) {
        l->list = NULL;
        for (const char *p = list, *w; (w = p) != NULL;) {
            size_t len;
            p = list_word(w, &len);
            if (len == n && !ascii_ncasecmp(w, s, n))
                return 1;
        }
        return 0;
    }
    unsigned char f = (unsigned char)ascii_lower(*s);
    if (!(l->first[f >> 5] & (1u << (f & 31))))
        return 0;
    for (unsigned i = 0; i < l->n; i++)
        if (l->len[i] == n && ascii_eq_case_n(list + l->off[i], s, n))
            return 1;
    return 0;
}

static int starts_case(const char *s, const char *prefix, size_t *n)
{
    size_t len = strlen(prefix);
    if (ascii_ncasecmp(s, prefix, len))
        return 0;
    *n = len;
    return 1;
}

int chk_path_norm(const char *in, char *out, size_t n)
{
    if (!in || n < 2)
        return -1;
    while (*in == ' ' || *in == '"')
        in++;
    size_t skip;
    /* Object-manager and Win32 device prefixes carry no meaning for "which
     * folder". Every prefix starts with '\\' or '%', which most paths
     * ("C:\\...") do not: tested first. */
    if (*in == '\\' && (starts_case(in, "\\??\\", &skip) || starts_case(in, "\\\\?\\", &skip) ||
                        starts_case(in, "\\\\.\\", &skip)))
        in += skip;
    if (*in == '\\' && starts_case(in, "\\Device\\HarddiskVolume", &skip)) {
        const char *p = in + skip;
        while (*p >= '0' && *p <= '9')
            p++;
        in = p; /* keep the backslash that follows: the volume root */
    }
    size_t o = 0;
    const char *rest = in;
    if (*in == '\\' && starts_case(in, "\\SystemRoot", &skip) && (in[skip] == '\\' || !in[skip])) {
        rest = in + skip;
        memcpy(out, "\\windows", 8);
        o = 8;
    } else if (*in == '%' &&
               (starts_case(in, "%SystemRoot%", &skip) || starts_case(in, "%windir%", &skip))) {
        rest = in + skip;
        memcpy(out, "\\windows", 8);
        o = 8;
    } else if (((in[0] | 0x20) >= 'a' && (in[0] | 0x20) <= 'z') && in[1] == ':') {
        rest = in + 2; /* the system drive is not always C: */
    }
    if (o >= n)
        return -1;
    /* Each byte through one table (lower case, '/' to '\\'); only a
     * backslash or a quote needs a second look. Every process's image
     * path comes here once per snapshot. */
    static unsigned char map[256];
    if (!map['a'])
        for (int b = 0; b < 256; b++)
            map[b] = b == '/' ? '\\' : (unsigned char)ascii_lower((char)b);
    char prev = o ? 's' : 0;
    for (const unsigned char *p = (const unsigned char *)rest; *p; p++) {
        char ch = (char)map[*p];
        if (ch == '\\' || ch == '"') {
            if (ch == '"' && !p[1])
                break; /* closing quote */
            if (ch == '\\' && prev == '\\')
                continue;
        }
        if (o + 1 >= n)
            return -1;
        out[o++] = ch;
        prev = ch;
    }
    out[o] = 0;
    return (int)o;
}

void chk_path_dir(char *norm)
{
    char *slash = strrchr(norm, '\\');
    if (slash)
        *slash = 0;
    else
        *norm = 0;
}

int chk_is_system(const struct snap_proc *p)
{
    if (p->sid && *p->sid)
        return !strcmp(p->sid, "S-1-5-18");
    if (p->user && *p->user) {
        const char *bs = strrchr(p->user, '\\');
        /* The domain part is localised (NT AUTHORITY, NT-AUTORITÄT); the name is not. */
        return !ascii_casecmp(bs ? bs + 1 : p->user, "SYSTEM");
    }
    if (p->logon_id)
        return p->logon_id == 0x3e7;
    return -1;
}

const char *chk_ci_find(const char *hay, const char *needle)
{
    if (!hay || !needle || !*needle)
        return NULL;
    char lo = ascii_lower(*needle), up = (lo >= 'a' && lo <= 'z') ? (char)(lo - 32) : lo;
    const char both[3] = {lo, up, 0};
    size_t n = strlen(needle + 1);
    /* libc's strchr and strpbrk find the candidate first bytes many at a
     * time; a byte loop here was the checker's hottest code. */
    for (const char *p = hay;; p++) {
        p = lo == up ? strchr(p, lo) : strpbrk(p, both);
        if (!p)
            return NULL;
        if (!ascii_ncasecmp(p + 1, needle + 1, n))
            return p;
    }
}

int chk_unknown_name(const char *n)
{
    return !n || !*n || !strcmp(n, "?") || !strcmp(n, "-");
}

const struct snap_proc *chk_live_parent(const struct chk_ctx *c, size_t i)
{
    long pi = c->parent[i];
    if (pi < 0)
        return NULL;
    const struct snap_proc *q = &c->s->procs[pi];
    if (!snap_proc_alive(q) || chk_unknown_name(chk_name(q)))
        return NULL;
    if (q->image && !strcmp(q->image, "?"))
        return NULL;
    return q;
}

static int is_hex8(const char *p)
{
    for (int k = 0; k < 8; k++) {
        char ch = ascii_lower(p[k]);
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return 0;
    }
    return p[8] == ' ' || p[8] == 0;
}

int chk_smss_is_child(const struct chk_ctx *c, size_t i)
{
    long pi = c->parent[i];
    if (pi >= 0)
        return c->kind[pi] == c->k_smss;
    /* Parent not recorded: the child's command line carries two hex tokens. */
    const char *cl = c->s->procs[i].command_line;
    if (!cl)
        return 0;
    const char *exe = NULL;
    for (const char *p = cl; (p = chk_ci_find(p, "smss.exe")) != NULL; p++)
        exe = p + 8;
    if (!exe)
        return 0;
    if (*exe == '"')
        exe++;
    while (*exe == ' ')
        exe++;
    return is_hex8(exe);
}

int chk_is_termsvcs(const struct snap_proc *p)
{
    if (ascii_casecmp(chk_name(p), "svchost.exe") || !p->command_line)
        return 0;
    return chk_ci_find(p->command_line, "-k termsvcs") ||
           chk_ci_find(p->command_line, "/k termsvcs");
}

const char *chk_pdesc(const struct snap_proc *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s (pid %lu)", chk_name(p), (unsigned long)p->pid);
    return buf;
}

const char *chk_cmd_args(const char *cl)
{
    while (*cl == ' ')
        cl++;
    const char *rest;
    if (*cl == '"') {
        rest = strchr(cl + 1, '"');
        rest = rest ? rest + 1 : cl + strlen(cl);
    } else {
        const char *exe = chk_ci_find(cl, ".exe");
        rest = exe ? exe + 4 : cl + strcspn(cl, " ");
    }
    while (*rest == ' ')
        rest++;
    return rest;
}

int chk_str_blank(const char *s)
{
    if (!s)
        return 1;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return 0;
    return 1;
}

/* ---- findings ------------------------------------------------------------ */

static struct chk_finding *add_finding(struct chk_ctx *c)
{
    struct chk_findings *f = c->out;
    XGROW(f->v, f->cap, f->n + 1);
    struct chk_finding *x = &f->v[f->n++];
    memset(x, 0, sizeof(*x));
    x->rule = c->rule;
    x->proc = x->reg = -1;
    return x;
}

void chk_report_proc(struct chk_ctx *c, size_t proc, const char *fmt, ...)
{
    struct chk_finding *x = add_finding(c);
    x->proc = (long)proc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof(x->message), fmt, ap);
    va_end(ap);
}

void chk_report_reg(struct chk_ctx *c, const struct snap_reg *r, const char *fmt, ...)
{
    struct chk_finding *x = add_finding(c);
    x->reg = r - c->s->regs;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof(x->message), fmt, ap);
    va_end(ap);
}

static int cmp_finding(const void *a, const void *b)
{
    const struct chk_finding *x = a, *y = b;
    if (x->proc != y->proc)
        return x->proc < y->proc ? -1 : 1;
    if (x->reg != y->reg)
        return x->reg < y->reg ? -1 : 1;
    return strcmp(x->message, y->message);
}

void chk_findings_reset(struct chk_findings *f)
{
    f->n = 0;
    f->nskipped = 0;
}

void chk_findings_release(struct chk_findings *f)
{
    free(f->v);
    free(f->skipped);
    memset(f, 0, sizeof(*f));
}

/* ---- the engine ---------------------------------------------------------- */

/* The next id of a comma-separated list into id (truncated to fit);
 * returns 0 at the end of the list. */
static int next_id(const char **pp, char *id, size_t n)
{
    const char *p = *pp;
    while (*p == ' ' || *p == ',')
        p++;
    if (!*p)
        return 0;
    const char *end = p;
    while (*end && *end != ',')
        end++;
    const char *t = end;
    while (t > p && t[-1] == ' ')
        t--;
    size_t len = (size_t)(t - p) < n ? (size_t)(t - p) : n - 1;
    memcpy(id, p, len);
    id[len] = 0;
    *pp = end;
    return 1;
}

static int in_ids(const char *list, const char *want)
{
    char id[64];
    while (next_id(&list, id, sizeof(id)))
        if (!ascii_casecmp(id, want))
            return 1;
    return 0;
}

static int validate_ids(const char *list, const char *what, struct err *e)
{
    char id[64];
    while (list && next_id(&list, id, sizeof(id)))
        if (!chk_rule_find(id)) {
            err_set(e, "%s: unknown rule '%s' (see 'smsslab rules')", what, id);
            return -1;
        }
    return 0;
}

/* Every image path normalised once: the path rules of many core processes
 * read them, and normalising per rule was a tenth of the rule pass. A
 * normalised path is never longer than the path. */
static void image_paths(struct chk_ctx *c)
{
    const struct snap *s = c->s;
    size_t n = s->nprocs, total = 1;
    c->img_norm = xcalloc(n + 1, sizeof(*c->img_norm));
    c->img_dir = xcalloc(n + 1, sizeof(*c->img_dir));
    c->img_bad = xcalloc(n + 1, 1);
    for (size_t i = 0; i < n; i++)
        if (s->procs[i].image)
            total += 2 * (strlen(s->procs[i].image) + 1);
    char *b = c->img_buf = xmalloc(total);
    for (size_t i = 0; i < n; i++) {
        const char *img = s->procs[i].image;
        if (!img || !*img || !strchr(img, '\\') || !strcmp(img, "?"))
            continue;
        size_t room = 2 * (strlen(img) + 1);
        /* The same images come back in every snapshot (forty svchosts in
         * each): each is normalised once, kept in a bounded memo. */
        static struct strmemo memo;
        int32_t *v;
        char *norm;
        if (!strmemo_find_data(&memo, img, room / 2, &v, &norm))
            *v = chk_path_norm(img, norm, room / 2);
        int len = *v;
        if (len >= 0)
            memcpy(b, norm, (size_t)len + 1);
        if (len < 0) {
            c->img_bad[i] = 1;
        } else {
            c->img_norm[i] = b;
            c->img_dir[i] = memcpy(b + len + 1, b, (size_t)len + 1);
            chk_path_dir(b + len + 1);
        }
        b += room;
    }
}

unsigned chk_cl_facts(struct chk_ctx *c, size_t i)
{
    uint32_t f = c->cl_facts[i];
    if (f & CHK_CL_KNOWN)
        return f & ~CHK_CL_KNOWN;
    const char *cl = c->s->procs[i].command_line;
    f = 0;
    if (cl) {
        static struct strmemo memo;
        int32_t *v;
        if (!strmemo_find(&memo, cl, &v))
            *v = (int32_t)((chk_cl_verbs(cl) & 0xffu) | (chk_cl_dump_marks(cl) & 0xffu) << 8);
        f = (uint32_t)*v;
    }
    c->cl_facts[i] = f | CHK_CL_KNOWN;
    return f;
}

static void ctx_init(struct chk_ctx *c, struct snap *s, struct chk_findings *out)
{
    memset(c, 0, sizeof(*c));
    c->s = s;
    c->out = out;
    size_t n = s->nprocs;
    c->parent = xmalloc((n ? n : 1) * sizeof(*c->parent));
    c->kind = xmalloc(n ? n : 1);
    c->cl_facts = xcalloc(n + 1, sizeof(*c->cl_facts));
    /* The same for every snapshot (a fact of the two tables), and asking
     * it cost as much as a tenth of the rule pass: worked out once. The
     * library is single-threaded (docs/limits.md). */
    static uint8_t own[256];
    static int own_done;
    if (!own_done) {
        for (size_t k = 0; k < kb_nprocs && k + 1 < sizeof(own); k++)
            own[k + 1] = (uint8_t)chk_core_own(k);
        own_done = 1;
    }
    c->own = own;
    const struct kb_os *os = kb_os_find(s->os);
    c->win7 = os ? os->win7 : -1;
    c->k_system = chk_kind_of("System");
    c->k_smss = chk_kind_of("smss.exe");
    c->k_svchost = chk_kind_of("svchost.exe");
    for (size_t i = 0; i < n; i++) {
        /* ppid 0 is "unknown" in the model (Idle is nobody's real parent). */
        const struct snap_proc *q = s->procs[i].ppid ? snap_parent(s, &s->procs[i]) : NULL;
        c->parent[i] = q ? q - s->procs : -1;
        c->kind[i] = (uint8_t)chk_kind_of(chk_name(&s->procs[i]));
    }
    image_paths(c);
    c->reg_ifeo = xcalloc(s->nregs + 1, sizeof(*c->reg_ifeo));
    c->reg_spe = xcalloc(s->nregs + 1, sizeof(*c->reg_spe));
    c->reg_fam = xmalloc(s->nregs + 1);
    c->reg_class = xmalloc((s->nregs + 1) * sizeof(*c->reg_class));
    for (size_t i = 0; i < s->nregs; i++) {
        const char *key = s->regs[i].key;
        uint32_t k = c->reg_class[i] = chk_reg_key_class(key);
        c->reg_fam[i] = (uint8_t)k;
        c->reg_ifeo[i] = (k & CHK_KEY_IFEO) ? chk_key_program(key, CHK_IFEO_TAIL) : NULL;
        c->reg_spe[i] = (k & CHK_KEY_SPE) ? chk_key_program(key, CHK_SPE_TAIL) : NULL;
    }
    /* The boot's wininit: the earliest one still running. */
    c->wininit = -1;
    int k_wininit = chk_kind_of("wininit.exe");
    for (size_t i = 0; i < n; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (c->kind[i] != k_wininit || !snap_proc_alive(p))
            continue;
        if (c->wininit < 0 || p->create_time < s->procs[c->wininit].create_time)
            c->wininit = (long)i;
    }
    /* The master smss: the earliest smss that is no smss's child, preferring
     * one whose parent is System. */
    c->master = -1;
    int best_sys = 0;
    for (size_t i = 0; i < n; i++) {
        if (c->kind[i] != c->k_smss || chk_smss_is_child(c, i))
            continue;
        int sys = c->parent[i] >= 0 && c->kind[c->parent[i]] == c->k_system;
        const struct snap_proc *p = &s->procs[i];
        if (c->master < 0 || (sys && !best_sys) ||
            (sys == best_sys && p->create_time < s->procs[c->master].create_time)) {
            c->master = (long)i;
            best_sys = sys;
        }
    }
}

static void ctx_release(struct chk_ctx *c)
{
    free(c->parent);
    free(c->kind);
    free(c->cl_facts);
    free(c->reg_ifeo);
    free(c->reg_spe);
    free(c->reg_fam);
    free(c->reg_class);
    free(c->img_norm);
    free(c->img_dir);
    free(c->img_bad);
    free(c->img_buf);
}

int chk_check(struct snap *s, const struct chk_config *cfg, struct chk_findings *out, struct err *e)
{
    struct chk_config def = {CHK_INFO, NULL, NULL};
    if (!cfg)
        cfg = &def;
    if (validate_ids(cfg->only, "--rules", e) || validate_ids(cfg->ignore, "--ignore", e))
        return -1;
    struct chk_ctx c;
    ctx_init(&c, s, out);
    for (size_t i = 0; i < chk_nrules; i++) {
        const struct chk_rule *r = &chk_rules[i];
        if (r->severity < cfg->min_severity)
            continue;
        if (cfg->only && !in_ids(cfg->only, r->id))
            continue;
        if (cfg->ignore && in_ids(cfg->ignore, r->id))
            continue;
        if ((r->needs & s->fields) != r->needs) {
            XGROW(out->skipped, out->cap_skipped, out->nskipped + 1);
            out->skipped[out->nskipped++] = r;
            continue;
        }
        size_t start = out->n;
        c.rule = r;
        r->check(&c);
        if (out->n - start > 1)
            sort_n(out->v + start, out->n - start, sizeof(*out->v), cmp_finding);
    }
    ctx_release(&c);
    return 0;
}
