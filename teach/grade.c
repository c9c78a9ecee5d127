/*
 * grade: marks for students' answers to a lab, against the key lab wrote.
 * Both files are YAML, read with libyaml's event parser into a small tree
 * whose every node keeps its line and column, so each mistake in a student's
 * file is reported where it is (file:line:column). Anchors, aliases and tags
 * are refused and nesting is capped (libyaml 0.2.5 has no limit and is
 * quadratic in depth), as in sim/scn_load.c.
 *
 * Per exercise three marks: the verdict (normal or not), the location (a
 * process the anomaly touched, by pid or name, or the registry value), the
 * reason (an expected rule id, the ATT&CK technique, or free text sharing a
 * keyword with the titles of the rules that fired or of the anomaly). A
 * correct "normal" earns all three. Feedback comes from the rule's own
 * explanation (what normal looks like, why it matters) or, for a normal host,
 * from why its hard negatives are normal.
 */
#include "teach.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../corpus/corpus.h"

#define GRADE_MAX_FILE (1u << 20)
#define GRADE_MAX_DEPTH 8
#define GRADE_MAX_NODES 200000
#define GRADE_MAX_SCALAR 4096

/* ---- a located YAML tree ---------------------------------------------------------- */

enum ykind { Y_SCALAR, Y_MAP, Y_SEQ };

struct ynode {
    enum ykind kind;
    char *value; /* scalars */
    int plain;   /* an unquoted scalar ("null" means null only then) */
    int line, col;
    struct ynode **kids; /* a map's keys and values alternate */
    size_t n, cap;
};

struct yload {
    yaml_parser_t p;
    const char *file;
    struct err *e;
    int depth;
    size_t nodes;
};

static void ynode_free(struct ynode *y)
{
    if (!y)
        return;
    for (size_t i = 0; i < y->n; i++)
        ynode_free(y->kids[i]);
    free(y->kids);
    free(y->value);
    free(y);
}

__attribute__((format(printf, 5, 6))) static int yfail(struct err *e, const char *file, int line,
                                                       int col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err_set(e, "%s:%d:%d: %s", file, line, col, msg);
    return -1;
}

static int yparse_fail(struct yload *L)
{
    const yaml_parser_t *p = &L->p;
    const yaml_mark_t *m = p->error == YAML_READER_ERROR ? &p->mark : &p->problem_mark;
    return yfail(L->e, L->file, (int)m->line + 1, (int)m->column + 1, "yaml syntax: %s%s%s",
                 p->problem ? p->problem : "error", p->context ? " " : "",
                 p->context ? p->context : "");
}

/* Build the node that starts with ev (consumed). */
static struct ynode *ybuild(struct yload *L, yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const yaml_char_t *anchor = NULL, *tag = NULL;
    if (ev->type == YAML_ALIAS_EVENT) {
        yfail(L->e, L->file, line, col, "aliases are not allowed");
        yaml_event_delete(ev);
        return NULL;
    }
    if (ev->type == YAML_SCALAR_EVENT)
        anchor = ev->data.scalar.anchor, tag = ev->data.scalar.tag;
    else if (ev->type == YAML_SEQUENCE_START_EVENT)
        anchor = ev->data.sequence_start.anchor, tag = ev->data.sequence_start.tag;
    else if (ev->type == YAML_MAPPING_START_EVENT)
        anchor = ev->data.mapping_start.anchor, tag = ev->data.mapping_start.tag;
    if (anchor || tag || ++L->nodes > GRADE_MAX_NODES) {
        yfail(L->e, L->file, line, col, "%s",
              anchor ? "anchors are not allowed"
              : tag  ? "tags are not allowed: write plain values"
                     : "too many values");
        yaml_event_delete(ev);
        return NULL;
    }
    struct ynode *y = xcalloc(1, sizeof(*y));
    y->line = line;
    y->col = col;
    if (ev->type == YAML_SCALAR_EVENT) {
        y->kind = Y_SCALAR;
        if (ev->data.scalar.length > GRADE_MAX_SCALAR) {
            yfail(L->e, L->file, line, col, "a value longer than %d bytes", GRADE_MAX_SCALAR);
            yaml_event_delete(ev);
            free(y);
            return NULL;
        }
        y->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        y->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        yaml_event_delete(ev);
        return y;
    }
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    y->kind = is_map ? Y_MAP : Y_SEQ;
    yaml_event_delete(ev);
    if (++L->depth > GRADE_MAX_DEPTH) {
        yfail(L->e, L->file, line, col, "nesting is deeper than %d levels", GRADE_MAX_DEPTH);
        ynode_free(y);
        return NULL;
    }
    for (;;) {
        yaml_event_t k;
        if (!yaml_parser_parse(&L->p, &k)) {
            yparse_fail(L);
            ynode_free(y);
            return NULL;
        }
        if (k.type == YAML_MAPPING_END_EVENT || k.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&k);
            break;
        }
        struct ynode *kid = ybuild(L, &k);
        if (!kid) {
            ynode_free(y);
            return NULL;
        }
        XGROW(y->kids, y->cap, y->n + 1);
        y->kids[y->n++] = kid;
    }
    L->depth--;
    return y;
}

/* The document's root node, or NULL with e set. An empty file is an error. */
static struct ynode *yload(const char *file, const char *buf, size_t len, struct err *e)
{
    if (len > GRADE_MAX_FILE) {
        err_set(e, "%s: larger than %u bytes", file, GRADE_MAX_FILE);
        return NULL;
    }
    struct yload L = {.file = file, .e = e};
    yaml_parser_initialize(&L.p);
    yaml_parser_set_input_string(&L.p, (const unsigned char *)buf, len);
    struct ynode *root = NULL;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&L.p, &ev)) {
            yparse_fail(&L);
            break;
        }
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            if (!root)
                err_set(e, "%s:1:1: the file is empty", file);
            break;
        }
        if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
            ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_ALIAS_EVENT) {
            if (root) {
                yfail(e, file, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                      "a second YAML document: one file holds one");
                yaml_event_delete(&ev);
                ynode_free(root);
                root = NULL;
                break;
            }
            root = ybuild(&L, &ev);
            if (!root)
                break;
            continue;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&L.p);
    if (root && e->msg[0]) {
        ynode_free(root);
        root = NULL;
    }
    return root;
}

static const char *kind_name(const struct ynode *y)
{
    return y->kind == Y_MAP ? "a mapping" : y->kind == Y_SEQ ? "a list" : "a value";
}

static int want(struct err *e, const char *file, const struct ynode *y, enum ykind k,
                const char *what)
{
    if (y->kind == k)
        return 0;
    return yfail(e, file, y->line, y->col, "%s must be %s, not %s", what,
                 k == Y_MAP   ? "a mapping"
                 : k == Y_SEQ ? "a list"
                              : "a value",
                 kind_name(y));
}

static const struct ynode *yget(const struct ynode *map, const char *key)
{
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (map->kids[i]->kind == Y_SCALAR && !strcmp(map->kids[i]->value, key))
            return map->kids[i + 1];
    return NULL;
}

/* Every key of map must be one of keys[]; a located error names the others. */
static int known_keys(struct err *e, const char *file, const struct ynode *map,
                      const char *const *keys, size_t nkeys, const char *what)
{
    for (size_t i = 0; i < map->n; i += 2) {
        const struct ynode *k = map->kids[i];
        if (k->kind != Y_SCALAR)
            return yfail(e, file, k->line, k->col, "%s: keys must be plain names", what);
        size_t j = 0;
        while (j < nkeys && strcmp(keys[j], k->value))
            j++;
        if (j == nkeys) {
            struct strbuf sb = STRBUF_INIT;
            for (size_t m = 0; m < nkeys; m++)
                sb_addf(&sb, "%s%s", m ? ", " : "", keys[m]);
            yfail(e, file, k->line, k->col, "unknown key '%.64s' in %s (expected %s)", k->value,
                  what, sb.buf);
            sb_release(&sb);
            return -1;
        }
        for (size_t m = 0; m < i; m += 2)
            if (!strcmp(map->kids[m]->value, k->value))
                return yfail(e, file, k->line, k->col, "'%.64s' is given twice in %s", k->value,
                             what);
    }
    return 0;
}

static int yuint(struct err *e, const char *file, const struct ynode *y, const char *what,
                 uint64_t max, uint64_t *out)
{
    if (y->kind != Y_SCALAR || parse_u64(y->value, max, out) < 0)
        return yfail(e, file, y->line, y->col, "%s must be a whole number 0..%llu", what,
                     (unsigned long long)max);
    return 0;
}

/* ---- the key ------------------------------------------------------------------------ */

struct key_proc {
    uint32_t pid;
    char *name;
};
struct key_reg {
    char *key, *name;
};

struct key_ex {
    unsigned number;
    int normal;
    char *type, *title, *technique, *host, *difficulty;
    char **rules;
    size_t nrules;
    char **hard;
    size_t nhard;
    struct key_proc target_proc; /* pid 0: the target is a registry value */
    struct key_reg target_reg;
    struct key_proc *procs;
    size_t nprocs;
    struct key_reg *regs;
    size_t nregs;
};

struct teach_key {
    struct key_ex *v;
    size_t n;
};

void teach_key_free(struct teach_key *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        struct key_ex *x = &k->v[i];
        free(x->type);
        free(x->title);
        free(x->technique);
        free(x->host);
        free(x->difficulty);
        for (size_t j = 0; j < x->nrules; j++)
            free(x->rules[j]);
        free(x->rules);
        for (size_t j = 0; j < x->nhard; j++)
            free(x->hard[j]);
        free(x->hard);
        free(x->target_proc.name);
        free(x->target_reg.key);
        free(x->target_reg.name);
        for (size_t j = 0; j < x->nprocs; j++)
            free(x->procs[j].name);
        free(x->procs);
        for (size_t j = 0; j < x->nregs; j++) {
            free(x->regs[j].key);
            free(x->regs[j].name);
        }
        free(x->regs);
    }
    free(k->v);
    free(k);
}

size_t teach_key_count(const struct teach_key *k)
{
    return k->n;
}

static char *sdup(const struct ynode *y)
{
    return y && y->kind == Y_SCALAR ? xstrdup(y->value) : NULL;
}

static int str_list(struct err *e, const char *file, const struct ynode *y, const char *what,
                    char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!y)
        return 0;
    if (want(e, file, y, Y_SEQ, what) < 0)
        return -1;
    *out = xcalloc(y->n ? y->n : 1, sizeof(**out));
    for (size_t i = 0; i < y->n; i++) {
        if (want(e, file, y->kids[i], Y_SCALAR, what) < 0)
            return -1;
        (*out)[(*n)++] = xstrdup(y->kids[i]->value);
    }
    return 0;
}

static int proc_of(struct err *e, const char *file, const struct ynode *y, struct key_proc *p)
{
    uint64_t pid;
    const struct ynode *v = y->kind == Y_MAP ? yget(y, "pid") : NULL;
    if (want(e, file, y, Y_MAP, "a process") < 0 || !v ||
        yuint(e, file, v, "pid", UINT32_MAX, &pid) < 0)
        return e->msg[0] ? -1 : yfail(e, file, y->line, y->col, "a process needs a pid");
    p->pid = (uint32_t)pid;
    p->name = sdup(yget(y, "name"));
    return 0;
}

static int reg_of(struct err *e, const char *file, const struct ynode *y, struct key_reg *r)
{
    if (want(e, file, y, Y_MAP, "a registry value") < 0)
        return -1;
    r->key = sdup(yget(y, "key"));
    r->name = sdup(yget(y, "name"));
    if (!r->key || !r->name)
        return yfail(e, file, y->line, y->col, "a registry value needs a key and a name");
    return 0;
}

static int key_exercise(struct err *e, const char *file, const struct ynode *y, struct key_ex *x)
{
    static const char *const keys[] = {
        "exercise", "difficulty", "host",  "hard_negatives", "verdict",  "type",  "technique",
        "title",    "target",     "rules", "processes",      "registry", "topics"};
    uint64_t num;
    const struct ynode *v;
    if (want(e, file, y, Y_MAP, "an exercise") < 0 ||
        known_keys(e, file, y, keys, ARRAY_SIZE(keys), "an exercise") < 0)
        return -1;
    if (!(v = yget(y, "exercise")))
        return yfail(e, file, y->line, y->col, "an exercise needs its number ('exercise:')");
    if (yuint(e, file, v, "exercise", TEACH_LAB_MAX_N, &num) < 0)
        return -1;
    x->number = (unsigned)num;
    if (!(v = yget(y, "verdict")) || v->kind != Y_SCALAR ||
        (strcmp(v->value, "normal") && strcmp(v->value, "anomaly")))
        return yfail(e, file, v ? v->line : y->line, v ? v->col : y->col,
                     "'verdict' must be normal or anomaly");
    x->normal = !strcmp(v->value, "normal");
    x->host = sdup(yget(y, "host"));
    x->difficulty = sdup(yget(y, "difficulty"));
    x->type = sdup(yget(y, "type"));
    x->title = sdup(yget(y, "title"));
    x->technique = sdup(yget(y, "technique"));
    if (str_list(e, file, yget(y, "hard_negatives"), "hard_negatives", &x->hard, &x->nhard) < 0 ||
        str_list(e, file, yget(y, "rules"), "rules", &x->rules, &x->nrules) < 0)
        return -1;
    if (x->normal)
        return 0;
    if (!x->nrules)
        return yfail(e, file, y->line, y->col, "exercise %u: an anomaly needs its rules",
                     x->number);
    if ((v = yget(y, "target")) != NULL) {
        if (want(e, file, v, Y_MAP, "target") < 0)
            return -1;
        if (yget(v, "pid") ? proc_of(e, file, v, &x->target_proc) < 0
                           : reg_of(e, file, v, &x->target_reg) < 0)
            return -1;
    }
    if ((v = yget(y, "processes")) != NULL) {
        if (want(e, file, v, Y_SEQ, "processes") < 0)
            return -1;
        x->procs = xcalloc(v->n ? v->n : 1, sizeof(*x->procs));
        for (size_t i = 0; i < v->n; i++, x->nprocs++)
            if (proc_of(e, file, v->kids[i], &x->procs[i]) < 0)
                return -1;
    }
    if ((v = yget(y, "registry")) != NULL) {
        if (want(e, file, v, Y_SEQ, "registry") < 0)
            return -1;
        x->regs = xcalloc(v->n ? v->n : 1, sizeof(*x->regs));
        for (size_t i = 0; i < v->n; i++, x->nregs++)
            if (reg_of(e, file, v->kids[i], &x->regs[i]) < 0)
                return -1;
    }
    if (!x->nprocs && !x->nregs)
        return yfail(e, file, y->line, y->col,
                     "exercise %u: an anomaly needs the processes or registry values it touched",
                     x->number);
    return 0;
}

struct teach_key *teach_key_parse(const char *file, const char *buf, size_t len, struct err *e)
{
    struct ynode *root = yload(file, buf, len, e);
    if (!root)
        return NULL;
    struct teach_key *k = xcalloc(1, sizeof(*k));
    static const char *const keys[] = {"schema", "lab", "exercises"};
    const struct ynode *v, *xs = NULL;
    int rc = want(e, file, root, Y_MAP, "a lab key");
    if (rc == 0)
        rc = known_keys(e, file, root, keys, ARRAY_SIZE(keys), "the key");
    if (rc == 0 && (!(v = yget(root, "schema")) || v->kind != Y_SCALAR ||
                    strcmp(v->value, "smsslab.lab-key/1")))
        rc = yfail(e, file, v ? v->line : 1, v ? v->col : 1,
                   "not a lab key: expected 'schema: smsslab.lab-key/1' (smsslab lab writes "
                   "DIR/key/key.yaml)");
    if (rc == 0 && !(xs = yget(root, "exercises")))
        rc = yfail(e, file, root->line, root->col, "the key has no 'exercises'");
    if (rc == 0)
        rc = want(e, file, xs, Y_SEQ, "exercises");
    if (rc == 0) {
        k->v = xcalloc(xs->n ? xs->n : 1, sizeof(*k->v));
        for (size_t i = 0; i < xs->n && rc == 0; i++) {
            rc = key_exercise(e, file, xs->kids[i], &k->v[i]);
            k->n++;
            for (size_t j = 0; rc == 0 && j < i; j++)
                if (k->v[j].number == k->v[i].number)
                    rc = yfail(e, file, xs->kids[i]->line, xs->kids[i]->col,
                               "exercise %u is in the key twice", k->v[i].number);
        }
    }
    ynode_free(root);
    if (rc < 0) {
        teach_key_free(k);
        return NULL;
    }
    return k;
}

/* ---- answers ----------------------------------------------------------------------- */

struct answer {
    unsigned number;
    int given;
    int normal; /* the student says normal */
    char *process, *registry, *reason;
    int line;
};

struct teach_answers {
    char *student;
    struct answer *v; /* one per key exercise, in key order */
    size_t n;
};

void teach_answers_free(struct teach_answers *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].process);
        free(a->v[i].registry);
        free(a->v[i].reason);
    }
    free(a->v);
    free(a->student);
    free(a);
}

const char *teach_answers_student(const struct teach_answers *a)
{
    return a->student;
}

static int is_normal_word(const char *s)
{
    return !ascii_casecmp(s, "normal");
}

static int one_answer(struct err *e, const char *file, const struct ynode *y, struct answer *a)
{
    a->given = 1;
    a->line = y->line;
    if (y->kind == Y_SCALAR) {
        if (!is_normal_word(y->value))
            return yfail(e, file, y->line, y->col,
                         "exercise %u: '%.64s': answer 'normal', or give process: or registry: "
                         "and reason:",
                         a->number, y->value);
        a->normal = 1;
        return 0;
    }
    static const char *const keys[] = {"verdict", "process", "pid", "registry", "reason"};
    char what[64];
    snprintf(what, sizeof(what), "the answer to exercise %u", a->number);
    if (want(e, file, y, Y_MAP, what) < 0 || known_keys(e, file, y, keys, ARRAY_SIZE(keys), what))
        return -1;
    for (size_t i = 1; i < y->n; i += 2)
        if (want(e, file, y->kids[i], Y_SCALAR, y->kids[i - 1]->value) < 0)
            return -1;
    const struct ynode *v = yget(y, "verdict");
    if (v && !is_normal_word(v->value) && ascii_casecmp(v->value, "anomaly"))
        return yfail(e, file, v->line, v->col, "'verdict' must be normal or anomaly, not '%.64s'",
                     v->value);
    a->normal = v && is_normal_word(v->value);
    const struct ynode *p = yget(y, "process"), *pid = yget(y, "pid");
    if (p && pid)
        return yfail(e, file, pid->line, pid->col, "give 'process' or 'pid', not both");
    a->process = sdup(p ? p : pid);
    a->registry = sdup(yget(y, "registry"));
    a->reason = sdup(yget(y, "reason"));
    if (a->normal && (a->process || a->registry))
        return yfail(e, file, y->line, y->col,
                     "exercise %u: 'normal' with a process or registry value: which is it?",
                     a->number);
    return 0;
}

struct teach_answers *teach_answers_parse(const char *file, const char *buf, size_t len,
                                          const struct teach_key *k, struct err *e)
{
    struct ynode *root = yload(file, buf, len, e);
    if (!root)
        return NULL;
    struct teach_answers *a = xcalloc(1, sizeof(*a));
    a->n = k->n;
    a->v = xcalloc(k->n ? k->n : 1, sizeof(*a->v));
    for (size_t i = 0; i < k->n; i++)
        a->v[i].number = k->v[i].number;
    static const char *const keys[] = {"student", "exercises"};
    const struct ynode *xs = NULL, *st;
    int rc = want(e, file, root, Y_MAP, "an answer file");
    if (rc == 0)
        rc = known_keys(e, file, root, keys, ARRAY_SIZE(keys), "an answer file");
    if (rc == 0 && (st = yget(root, "student")) != NULL) {
        rc = want(e, file, st, Y_SCALAR, "student");
        if (rc == 0)
            a->student = xstrdup(st->value);
    }
    if (rc == 0 && !(xs = yget(root, "exercises")))
        rc = yfail(e, file, root->line, root->col,
                   "no 'exercises': write 'exercises:' then one line per exercise "
                   "(docs/teaching.md)");
    if (rc == 0)
        rc = want(e, file, xs, Y_MAP, "exercises");
    for (size_t i = 0; rc == 0 && i < xs->n; i += 2) {
        const struct ynode *kn = xs->kids[i];
        uint64_t num;
        if ((rc = yuint(e, file, kn, "an exercise number", TEACH_LAB_MAX_N, &num)) < 0)
            break;
        size_t j = 0;
        while (j < k->n && k->v[j].number != num)
            j++;
        if (j == k->n) {
            rc = yfail(e, file, kn->line, kn->col, "the lab has no exercise %llu (it has 1..%zu)",
                       (unsigned long long)num, k->n);
        } else if (a->v[j].given) {
            rc = yfail(e, file, kn->line, kn->col, "exercise %llu is answered twice",
                       (unsigned long long)num);
        } else {
            rc = one_answer(e, file, xs->kids[i + 1], &a->v[j]);
        }
    }
    ynode_free(root);
    if (rc < 0) {
        teach_answers_free(a);
        return NULL;
    }
    if (!a->student) {
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        size_t n = strcspn(base, ".");
        a->student = xstrndup(base, n ? n : strlen(base));
    }
    return a;
}

/* ---- marks --------------------------------------------------------------------------- */

static int word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (unsigned char)c >= 0x80;
}

/* Does `hay` contain `needle` (ASCII case-insensitive) as a whole word? */
static int has_word(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return 0;
    for (const char *p = hay; *p; p++)
        if (!ascii_ncasecmp(p, needle, n) && (p == hay || !word_char(p[-1])) && !word_char(p[n]))
            return 1;
    return 0;
}

/* Words that say nothing about what is wrong. */
static const char *const stop[] = {
    "a",        "an",     "the",     "is",       "has",     "have",     "other",   "than",
    "from",     "with",   "that",    "this",     "runs",    "running",  "run",     "process",
    "started",  "starts", "start",   "program",  "exe",     "not",      "more",    "one",
    "its",      "by",     "of",      "as",       "in",      "on",       "to",      "and",
    "or",       "core",   "windows", "value",    "smss",    "csrss",    "wininit", "winlogon",
    "services", "lsass",  "svchost", "explorer", "session", "process's"};

static int stopword(const char *w, size_t n)
{
    for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
        if (strlen(stop[i]) == n && !ascii_ncasecmp(stop[i], w, n))
            return 1;
    return n < 4;
}

/* Same word, ignoring case and a plural or past-tense ending. */
static size_t stem_len(const char *w, size_t n)
{
    if (n > 4 && !ascii_ncasecmp(w + n - 2, "ed", 2))
        return n - 2;
    if (n > 4 && (w[n - 1] == 's' || w[n - 1] == 'S'))
        return n - 1;
    return n;
}

/* Does free text share a keyword with a title? */
static int shares_keyword(const char *text, const char *title)
{
    for (const char *t = title; t && *t;) {
        while (*t && !word_char(*t))
            t++;
        const char *w = t;
        while (word_char(*t))
            t++;
        size_t n = (size_t)(t - w);
        if (!n || stopword(w, n))
            continue;
        size_t sn = stem_len(w, n);
        for (const char *s = text; *s;) {
            while (*s && !word_char(*s))
                s++;
            const char *v = s;
            while (word_char(*s))
                s++;
            size_t m = (size_t)(s - v);
            if (m && stem_len(v, m) == sn && !ascii_ncasecmp(v, w, sn))
                return 1;
        }
    }
    return 0;
}

int teach_reason_matches(const char *reason, const char *const *rules, size_t nrules,
                         const char *technique, const char *title)
{
    if (!reason || !*reason)
        return 0;
    for (size_t i = 0; i < nrules; i++) {
        if (has_word(reason, rules[i]))
            return 1;
        const struct chk_rule *r = chk_rule_find(rules[i]);
        if (r && shares_keyword(reason, r->title))
            return 1;
    }
    /* "T1036.005": the technique as written in the key, each id whole. */
    for (const char *t = technique; t && *t;) {
        while (*t == ' ' || *t == ',')
            t++;
        size_t n = strcspn(t, ", ");
        if (n >= 5 && n < 32) {
            char id[32];
            memcpy(id, t, n);
            id[n] = '\0';
            if (has_word(reason, id))
                return 1;
        }
        t += n;
    }
    return shares_keyword(reason, title);
}

/* The answer's process: a pid, a name, or both ("smss.exe 1724"). */
static int process_matches(const char *ans, const struct key_ex *x)
{
    for (size_t i = 0; i < x->nprocs; i++) {
        char pid[16];
        snprintf(pid, sizeof(pid), "%u", x->procs[i].pid);
        if (has_word(ans, pid))
            return 1;
        if (x->procs[i].name && has_word(ans, x->procs[i].name))
            return 1;
    }
    return 0;
}

static int registry_matches(const char *ans, const struct key_ex *x)
{
    for (size_t i = 0; i < x->nregs; i++) {
        const struct key_reg *r = &x->regs[i];
        size_t an = strlen(ans);
        if (!ascii_casecmp(ans, r->name) || !ascii_casecmp(ans, r->key))
            return 1;
        /* key\name, with or without the hive */
        if (an > strlen(r->name) && !ascii_casecmp(ans + an - strlen(r->name), r->name) &&
            ans[an - strlen(r->name) - 1] == '\\')
            return 1;
    }
    return 0;
}

static void feedback_rule(struct strbuf *sb, const char *id)
{
    const struct chk_rule *r = chk_rule_find(id);
    if (!r)
        return;
    sb_addf(sb, "%s (%s): normal: %s; why: %s; ATT&CK %s", r->id, r->title, r->normal, r->rationale,
            r->technique);
}

static void where(struct strbuf *sb, const struct key_ex *x)
{
    if (x->target_proc.pid)
        sb_addf(sb, "%s pid %u", x->target_proc.name ? x->target_proc.name : "process",
                x->target_proc.pid);
    else if (x->target_reg.name)
        sb_addf(sb, "%s\\%s", x->target_reg.key, x->target_reg.name);
    else if (x->nprocs)
        sb_addf(sb, "%s pid %u", x->procs[0].name ? x->procs[0].name : "process", x->procs[0].pid);
    else if (x->nregs)
        sb_addf(sb, "%s\\%s", x->regs[0].key, x->regs[0].name);
}

void teach_grade_exercise(const struct teach_key *k, const struct teach_answers *a, size_t i,
                          struct teach_mark *m, struct strbuf *feedback)
{
    const struct key_ex *x = &k->v[i];
    const struct answer *an = &a->v[i];
    memset(m, 0, sizeof(*m));
    m->exercise = x->number;
    m->max = 3;
    m->answered = an->given;
    if (!an->given) {
        sb_adds(feedback, "no answer");
        return;
    }
    if (x->normal) {
        if (an->normal) {
            m->verdict = m->location = m->reason = 1;
            sb_adds(feedback, "correct: this host is normal");
            return;
        }
        sb_adds(feedback, "this host is normal");
        if (x->nhard) {
            sb_adds(feedback, "; what looks odd is normal: ");
            for (size_t h = 0; h < x->nhard; h++)
                sb_addf(feedback, "%s%s: %s", h ? "; " : "", x->hard[h],
                        teach_hard_negative_text(x->hard[h]));
        }
        return;
    }
    if (an->normal) {
        sb_adds(feedback, "not normal: ");
        sb_adds(feedback, x->title ? x->title : x->type);
        sb_adds(feedback, " at ");
        where(feedback, x);
        sb_adds(feedback, ". ");
        feedback_rule(feedback, x->rules[0]);
        return;
    }
    m->verdict = 1;
    m->location = (an->process && process_matches(an->process, x)) ||
                  (an->registry && registry_matches(an->registry, x));
    m->reason = teach_reason_matches(an->reason, (const char *const *)x->rules, x->nrules,
                                     x->technique, x->title);
    if (m->location && m->reason) {
        sb_addf(feedback, "correct: %s", x->title ? x->title : x->type);
        return;
    }
    if (!m->location) {
        sb_adds(feedback, "look at ");
        where(feedback, x);
        sb_adds(feedback, m->reason ? ". " : "; ");
    }
    if (!m->reason) {
        sb_addf(feedback, "what is wrong: %s (rules %s", x->title ? x->title : x->type,
                x->rules[0]);
        for (size_t r = 1; r < x->nrules; r++)
            sb_addf(feedback, ", %s", x->rules[r]);
        sb_adds(feedback, "). ");
    }
    feedback_rule(feedback, x->rules[0]);
}

static const char *expected(const struct key_ex *x, struct strbuf *sb)
{
    sb_reset(sb);
    if (x->normal) {
        sb_adds(sb, "normal");
    } else {
        sb_addf(sb, "%s at ", x->type ? x->type : "anomaly");
        where(sb, x);
    }
    return sb->buf;
}

static const char *given(const struct answer *an, struct strbuf *sb)
{
    sb_reset(sb);
    if (!an->given)
        return "";
    if (an->normal)
        return "normal";
    if (an->process)
        sb_addf(sb, "process %s", an->process);
    if (an->registry)
        sb_addf(sb, "%sregistry %s", sb->len ? "; " : "", an->registry);
    if (an->reason)
        sb_addf(sb, "%sreason %s", sb->len ? "; " : "", an->reason);
    return sb->len ? sb->buf : "anomaly";
}

const char teach_grade_csv_header[] =
    "student,answers,exercise,expected,answer,verdict,location,reason,marks,max,feedback\r\n";

void teach_grade(const struct teach_key *k, const struct teach_answers *a, const char *file,
                 struct strbuf *csv, struct strbuf *summary, struct teach_mark *total)
{
    struct strbuf fb = STRBUF_INIT, t = STRBUF_INIT, wrong = STRBUF_INIT;
    memset(total, 0, sizeof(*total));
    for (size_t i = 0; i < k->n; i++) {
        struct teach_mark m;
        sb_reset(&fb);
        teach_grade_exercise(k, a, i, &m, &fb);
        int got = m.verdict + m.location + m.reason;
        total->verdict += m.verdict;
        total->location += m.location;
        total->reason += m.reason;
        total->max += m.max;
        total->answered += m.answered;
        corpus_csv_field(csv, a->student);
        sb_addc(csv, ',');
        corpus_csv_field(csv, file);
        sb_addf(csv, ",%u,", m.exercise);
        corpus_csv_field(csv, expected(&k->v[i], &t));
        sb_addc(csv, ',');
        corpus_csv_field(csv, given(&a->v[i], &t));
        sb_addf(csv, ",%d,%d,%d,%d,%d,", m.verdict, m.location, m.reason, got, m.max);
        corpus_csv_field(csv, fb.buf);
        sb_adds(csv, "\r\n");
        if (got < m.max)
            sb_addf(&wrong, "  exercise %u (%d/%d): %s\n", m.exercise, got, m.max, fb.buf);
    }
    int sum = total->verdict + total->location + total->reason;
    sb_addf(summary, "%s (%s): %d/%d marks -- verdict %d/%zu, location %d/%zu, reason %d/%zu\n",
            a->student, file, sum, total->max, total->verdict, k->n, total->location, k->n,
            total->reason, k->n);
    sb_add(summary, wrong.buf ? wrong.buf : "", wrong.len);
    sb_release(&fb);
    sb_release(&t);
    sb_release(&wrong);
}
