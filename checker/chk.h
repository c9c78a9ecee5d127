/*
 * chk: the one rule engine. Rules are data (checker/rules.def, one row per
 * rule); chk_check evaluates them on a snapshot and returns findings that
 * carry the rule, the process or registry value, and a message.
 */
#ifndef SMSS_CHK_H
#define SMSS_CHK_H

#include <stdint.h>

#include "../snap/snap.h"

enum chk_severity { CHK_INFO, CHK_LOW, CHK_MEDIUM, CHK_HIGH, CHK_CRITICAL };

struct chk_finding;
struct chk_ctx;

struct chk_rule {
    const char *id; /* stable, e.g. "SMSS-PARENT" */
    enum chk_severity severity;
    const char *process; /* the lesson it belongs to: "smss.exe", "registry", ... */
    const char *title;
    const char *normal;    /* what normal looks like */
    const char *rationale; /* why it matters */
    const char *technique; /* ATT&CK id(s), e.g. "T1036.005" */
    const char *source;    /* reference: poster, tool, rule file */
    uint32_t needs;        /* enum snap_field bits the rule needs */
    void (*check)(struct chk_ctx *ctx);
    /* Generic checks (path, parent, user, ...) read the process they apply to
     * from here: a core process name such as "lsass.exe". NULL otherwise. */
    const char *target;
};

struct chk_finding {
    const struct chk_rule *rule;
    long proc; /* index into snap->procs, or -1 */
    long reg;  /* index into snap->regs, or -1 */
    char message[512];
};

struct chk_findings {
    struct chk_finding *v;
    size_t n, cap;
    /* rules skipped because the source lacks their inputs */
    const struct chk_rule **skipped;
    size_t nskipped, cap_skipped;
};

struct chk_config {
    enum chk_severity min_severity;
    const char *only;   /* comma-separated rule ids, NULL = all */
    const char *ignore; /* comma-separated rule ids, NULL = none */
};

extern const struct chk_rule chk_rules[];
extern const size_t chk_nrules;
const struct chk_rule *chk_rule_find(const char *id); /* case-insensitive */
const char *chk_severity_name(enum chk_severity s);   /* "high" */
int chk_severity_parse(const char *s, enum chk_severity *out);

/* Evaluate every enabled rule. Findings are appended in a stable order
 * (rule table order, then process order). Returns 0, or -1 with e set for a
 * bad config (unknown rule id). */
int chk_check(struct snap *s, const struct chk_config *cfg, struct chk_findings *out,
              struct err *e);
void chk_findings_reset(struct chk_findings *f);

struct strbuf;
/* One finding as one line of compact JSON (no newline), keys in a fixed
 * order: rule, severity, title, technique, snapshot {host, at}, process
 * {pid, name, create_time, session} or registry {key, name}, message, and
 * evidence {file, records: [{id, line}]} when the input says where. */
void chk_finding_json(struct strbuf *sb, const struct snap *s, const struct chk_finding *f);
/* The record a finding rests on (its process's or registry value's), or
 * NULL; and the same as text for reports: "FILE, record N, line L" (nothing
 * when neither the file nor the record is known). */
const struct snap_rec *chk_finding_rec(const struct snap *s, const struct chk_finding *f);
void chk_evidence_text(struct strbuf *sb, const struct snap *s, const struct chk_finding *f);
/* Which reference check each rule answers (docs/rules.md's coverage table). */
struct chk_cover {
    const char *anchor, *check, *rules;
};
extern const struct chk_cover chk_coverage[];
extern const size_t chk_ncoverage;

/* The rule table as a Markdown document (docs/rules.md is this output). */
void chk_rules_markdown(struct strbuf *sb);
/* Does any rule belong to this lesson (process name, case-insensitive, or
 * "registry")? Used by `explain` to tell a lesson from a typo. */
int chk_lesson_exists(const char *lesson);
/* Does rule r belong to the lesson? "registry" matches every rule that needs
 * the Session Manager / Winlogon values. */
int chk_rule_in_lesson(const struct chk_rule *r, const char *lesson);
void chk_findings_release(struct chk_findings *f);

/* Each finding once per document. The snapshots of one run document are
 * the same boot seen at several moments, so they repeat the findings of
 * what they share. Give every snapshot to chk_dedup_snapshot (it starts
 * over when the document changes: source, scenario, host, seed, boot),
 * then ask chk_dedup_first per finding: 1 the first time a finding (rule
 * and process pid + start, registry key + value, or message) is seen. */
struct chk_dedup;
struct chk_dedup *chk_dedup_new(void);
void chk_dedup_snapshot(struct chk_dedup *d, const struct snap *s);
int chk_dedup_first(struct chk_dedup *d, const struct snap *s, const struct chk_finding *f);
void chk_dedup_reset(struct chk_dedup *d); /* a new input: forget everything */
void chk_dedup_free(struct chk_dedup *d);

#endif
