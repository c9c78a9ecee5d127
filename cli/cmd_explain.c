/*
 * smsslab explain: the lesson behind a rule or a process -- what is normal,
 * what is unusual, why it matters, which ATT&CK techniques -- generated from
 * the rule table rows, so the teaching and the checking never disagree.
 */
#include <string.h>

#include "../checker/chk.h"
#include "../checker/chk_int.h"
#include "../kb/kb.h"
#include "../sim/anomaly.h"
#include "cli.h"

const char cmd_explain_usage[] =
    "usage: smsslab explain RULE-ID | PROCESS | registry | ANOMALY\n"
    "       smsslab explain --cards\n"
    "\n"
    "Explain one rule (e.g. SMSS-PARENT) or the lesson for a process (e.g.\n"
    "smss.exe, lsass.exe, svchost, System): first the process's card -- image,\n"
    "parent, instances, user, session, start, priority, command line, what it\n"
    "does, what is unusual -- then every rule that checks it, with what is\n"
    "normal, why it matters and the ATT&CK techniques, from the same rows the\n"
    "checker runs. --cards prints every card as Markdown (docs/processes.md).\n"
    "'registry' explains the Session Manager and Winlogon values; an anomaly id\n"
    "(smsslab anomalies) gets its lesson and the rules that catch it.\n"
    "\n"
    "  -h, --help   show this help\n"
    "\n"
    "exit status: 0 ok, 2 unknown rule, process or anomaly (the hint lists valid ones).\n";

static void explain_rule(struct strbuf *sb, const struct chk_rule *r)
{
    sb_addf(sb, "%s (%s, lesson %s)\n", r->id, chk_severity_name(r->severity), r->process);
    sb_addf(sb, "  unusual: %s\n", r->title);
    sb_addf(sb, "  normal:  %s\n", r->normal);
    sb_addf(sb, "  why:     %s\n", r->rationale);
    sb_addf(sb, "  ATT&CK:  %s\n", r->technique);
    sb_addf(sb, "  source:  %s\n", r->source);
    sb_adds(sb, "  needs:   ");
    int first = 1;
    for (unsigned b = 0; b < ARRAY_SIZE(snap_field_names); b++)
        if (r->needs & (1u << b)) {
            sb_addf(sb, "%s%s", first ? "" : ", ", snap_field_names[b]);
            first = 0;
        }
    sb_adds(sb, first ? "nothing beyond names and parents\n" : "\n");
}

/* A {P}/{Q} rule of an anomaly: the rule for every process its parameter
 * (process= or parent=) can take, one line each. */
static void explain_placeholder(struct strbuf *sb, const struct anom_type *a, const char *tok,
                                size_t n)
{
    const char *key = tok[1] == 'P' ? "process" : "parent";
    sb_addf(sb, "%.*s, where {%c} is the %s parameter:\n", (int)n, tok, tok[1], key);
    struct anom_param spec;
    if (!anom_param(a, key, &spec))
        return;
    for (size_t k = 0; k < spec.nchoices; k++) {
        size_t m;
        const char *v = anom_param_choice(&spec, k, &m);
        char id[64];
        size_t p = strcspn(v, ".");
        if (p > m)
            p = m;
        snprintf(id, sizeof(id), "%.*s%.*s", (int)p, v, (int)(n - 3), tok + 3);
        for (char *c = id; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 32);
        const struct chk_rule *x = chk_rule_find(id);
        sb_addf(sb, "  %-20.*s %-22s %s\n", (int)m, v, id, x ? x->title : "(no such rule)");
    }
    sb_addc(sb, '\n');
}

/* Every name explain takes: rule ids, lessons, anomaly types, cards. */
static const char *explainable(size_t i, const void *ctx)
{
    (void)ctx;
    if (i < chk_nrules)
        return chk_rules[i].id;
    if ((i -= chk_nrules) < chk_nrules)
        return chk_rules[i].process;
    if ((i -= chk_nrules) < anom_count())
        return anom_get(i)->id;
    const struct kb_proc *card = kb_card_at(i - anom_count());
    return card ? card->name : "registry";
}

/* Distinct lessons in table order, for the hint. */
/* The generic rules that cover a core process besides its own lesson's. */
static void generic_rules(struct strbuf *sb, const char *name)
{
    int k = kb_proc_index(name);
    if (k < 0)
        return;
    const struct kb_proc *c = &kb_procs[k];
    unsigned own = chk_core_own((size_t)k);
    const char *ids[5];
    size_t n = 0;
    if (c->dirs && !(own & CHK_OWN_PATH))
        ids[n++] = "CORE-PATH";
    if (c->parents && !(own & CHK_OWN_PARENT))
        ids[n++] = "CORE-PARENT";
    if (c->priority_fixed && !(own & CHK_OWN_PRIORITY))
        ids[n++] = "CORE-PRIORITY";
    if (c->system_integrity)
        ids[n++] = "CORE-INTEGRITY";
    if (c->lookalike)
        ids[n++] = "LOOKALIKE-NAME";
    for (size_t i = 0; i < n; i++) {
        explain_rule(sb, chk_rule_find(ids[i]));
        sb_addc(sb, '\n');
    }
}

static void lessons(struct strbuf *sb)
{
    for (size_t i = 0; i < chk_nrules; i++) {
        size_t j = 0;
        while (j < i && strcmp(chk_rules[j].process, chk_rules[i].process))
            j++;
        if (j == i)
            sb_addf(sb, "%s%s", i ? ", " : "", chk_rules[i].process);
    }
    sb_adds(sb, ", registry");
}

int cmd_explain(int argc, char **argv)
{
    int dashdash = argc == 3 && !strcmp(argv[1], "--"); /* ends options, as elsewhere */
    if (dashdash) {
        argv++;
        argc--;
    }
    if (argc != 2)
        return cli_usage_error("explain", "expected one RULE-ID, process name, 'registry' or "
                                          "anomaly type");
    const char *what = argv[1];
    if (!strcmp(what, "--cards") && !dashdash) {
        struct strbuf md = STRBUF_INIT;
        kb_procs_markdown(&md);
        fwrite(md.buf, 1, md.len, stdout);
        sb_release(&md);
        return 0;
    }
    if (what[0] == '-' && what[1] && !dashdash)
        return cli_usage_error("explain", "unknown option '%.*s'", (int)strcspn(what, "="), what);
    struct strbuf sb = STRBUF_INIT;
    const struct chk_rule *r = chk_rule_find(what);
    /* Anomaly ids are lower case and may equal a rule id but for case
     * (lsass-children vs LSASS-CHILDREN): an exact rule id wins, then the
     * anomaly, then the rule id in any case. */
    if (r && strcmp(r->id, what) && anom_find(what))
        r = NULL;
    if (r) {
        explain_rule(&sb, r);
    } else if (chk_lesson_exists(what) || kb_card_find(what)) {
        const struct kb_proc *card = kb_card_find(what);
        if (card) {
            kb_proc_text(&sb, card);
            sb_adds(&sb, "\nrules:\n\n");
        } else {
            sb_addf(&sb, "%s: what is normal, what is unusual\n\n", what);
        }
        if (card)
            generic_rules(&sb, card->name);
        struct strbuf tech = STRBUF_INIT;
        for (size_t i = 0; i < chk_nrules; i++) {
            r = &chk_rules[i];
            if (!chk_rule_in_lesson(r, what))
                continue;
            explain_rule(&sb, r);
            sb_addc(&sb, '\n');
            /* Collect each technique id once, in first-seen order. */
            const char *t = r->technique;
            while (*t) {
                size_t n = strcspn(t, ", ");
                if (n && strcmp(t, "-")) {
                    char id[32];
                    snprintf(id, sizeof(id), "%.*s", (int)n, t);
                    if (!tech.buf || !strstr(tech.buf, id))
                        sb_addf(&tech, "%s%s", tech.len ? ", " : "", id);
                }
                t += n;
                while (*t == ',' || *t == ' ')
                    t++;
            }
        }
        sb_addf(&sb, "techniques: %s\n", tech.len ? tech.buf : "-");
        sb_release(&tech);
    } else if (anom_find(what)) {
        const struct anom_type *a = anom_find(what);
        struct strbuf params = STRBUF_INIT;
        anom_params_text(a, "|", &params);
        sb_addf(&sb, "%s: %s\n  lesson: %s\n  ATT&CK: %s\n  params: %s%s\n\ncaught by:\n\n", a->id,
                a->title, a->lesson, a->technique, params.len ? params.buf : "none",
                params.len && strchr(params.buf, '|')
                    ? " (choices split by '|'; the first is the default)"
                    : "");
        sb_release(&params);
        /* The expected rules, each explained from its row; a {P}/{Q} rule
         * depends on the process the scenario names. */
        int placeholders = 0;
        for (const char *t = a->rules; *t;) {
            size_t n = strcspn(t, ", ");
            char id[64];
            snprintf(id, sizeof(id), "%.*s", (int)n, t);
            const struct chk_rule *x = chk_rule_find(id);
            if (x) {
                explain_rule(&sb, x);
                sb_addc(&sb, '\n');
            } else if (n > 3 && t[0] == '{' && (t[1] == 'P' || t[1] == 'Q') && t[2] == '}') {
                explain_placeholder(&sb, a, t, n);
                placeholders = 1;
            } else if (n) {
                sb_addf(&sb, "%s\n\n", id);
            }
            t += n;
            while (*t == ',' || *t == ' ')
                t++;
        }
        if (placeholders)
            sb_adds(&sb, "'smsslab explain RULE-ID' shows any of these rules in full.\n");
    } else {
        size_t ncards = 0;
        while (kb_card_at(ncards))
            ncards++;
        const char *guess =
            cli_closest(what, 2 * chk_nrules + anom_count() + ncards + 1, explainable, NULL);
        if (guess)
            return cli_usage_error("explain",
                                   "'%s' is not a rule id, a lesson or an anomaly type; did you "
                                   "mean '%s'?",
                                   what, guess);
        struct strbuf hint = STRBUF_INIT;
        lessons(&hint);
        int rc = cli_usage_error("explain",
                                 "'%s' is not a rule id, a lesson or an anomaly type; rule "
                                 "ids: see 'smsslab rules'; anomaly types: see 'smsslab "
                                 "anomalies'; lessons: %s",
                                 what, hint.buf);
        sb_release(&hint);
        return rc;
    }
    fwrite(sb.buf, 1, sb.len, stdout);
    sb_release(&sb);
    return 0;
}
