/*
 * teach: the teaching layer -- what happened when during a boot (a timeline
 * as text and as an SVG chart drawn here, no Graphviz), a self-contained
 * HTML report page, and the pieces the lab and grading commands share.
 * Everything is a pure function of its input: the same snapshot, steps and
 * findings give byte-identical text, SVG and HTML. See docs/teaching.md.
 */
#ifndef SMSS_TEACH_H
#define SMSS_TEACH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../checker/chk.h"
#include "../core/util.h"
#include "../snap/snap.h"

/* What the master smss does between its start and the first session: read
 * its key, run BootExecute (autochk), apply PendingFileRenameOperations, map
 * KnownDLLs, create the DOS devices and page files, build the environment,
 * load the Kmode subsystem and start the Windows subsystem (csrss). */
struct teach_step {
    int64_t time;       /* absolute, µs */
    const char *name;   /* short: "KnownDLLs", "BootExecute" */
    const char *detail; /* what happened, one line */
};

struct teach_steps {
    struct teach_step *v;
    size_t n, cap;
    struct arena arena; /* the strings */
};

#define TEACH_MAX_STEPS 4096

void teach_steps_init(struct teach_steps *st);
void teach_steps_release(struct teach_steps *st);
/* Append a step (strings copied); past TEACH_MAX_STEPS steps are dropped. */
void teach_steps_add(struct teach_steps *st, int64_t time, const char *name, const char *detail);
/* The simulator's smss_step and file_rename events up to `until`. */
struct sim;
void teach_steps_from_sim(struct teach_steps *st, const struct sim *sm, int64_t until);
/* The same events from smsslab run documents in buf (one or more, as `run`
 * writes them): those of the document whose boot_time is boot_time, up to
 * `until`. Documents without events add nothing. Returns 0, or -1 with e
 * set when buf is not JSON. */
int teach_steps_from_json(struct teach_steps *st, const char *buf, size_t len, int64_t boot_time,
                          int64_t until, struct err *e);
/* What the processes themselves show, for every input: the BootExecute
 * programs (the master smss's children outside any session) and the start of
 * the Windows subsystem (the first csrss). */
void teach_steps_from_snap(struct teach_steps *st, struct snap *s);
/* Sort by time (stable) and drop exact repeats. */
void teach_steps_sort(struct teach_steps *st);

/* "+0:05:01.508": a time after boot, hours unbounded, milliseconds cut. */
void teach_fmt_rel(struct strbuf *sb, int64_t d);
/* The time the timeline counts from: the boot, or when the data has none,
 * its first process start (and "first event" is said). */
int64_t teach_origin(const struct snap *s);

/* The timeline of snapshot s as text: every process start and exit,
 * sessions and logons, the smss steps and, under the process they concern,
 * the findings (f may be NULL). */
void teach_timeline_text(struct strbuf *sb, struct snap *s, const struct chk_findings *f,
                         const struct teach_steps *st);
/* The same as one standalone SVG document: a lane per session, a bar per
 * process lifetime on a time axis whose decades (0, 100 ms, 1 s, 10 s, 1 m,
 * ...) have equal width, so the boot's first seconds and an hour's logons
 * are both legible; ticks for the smss steps; findings in red. No script,
 * every input string escaped. At most TEACH_SVG_MAX_BARS bars (the rest are
 * counted in a note). */
#define TEACH_SVG_MAX_BARS 5000
void teach_timeline_svg(struct strbuf *sb, struct snap *s, const struct chk_findings *f,
                        const struct teach_steps *st);

/* The report page: one self-contained static HTML document (no script, no
 * network; a Content-Security-Policy says so to the browser) with the tree
 * (tree_svg as Graphviz wrote it, inlined; NULL says it is missing), the
 * timeline, the findings with their explanations (left out for students)
 * and the process cards of the processes present. */
struct teach_report {
    struct snap *snap;
    const struct chk_findings *findings; /* NULL: none were looked for */
    const struct teach_steps *steps;
    const char *tree_svg;
    size_t tree_len;
    const char *title; /* NULL: the host name */
    int student;       /* no findings, no scenario name */
};
void teach_report_html(struct strbuf *sb, const struct teach_report *r);

/* XML/HTML text and attribute content: markup characters as entities,
 * forbidden characters and invalid UTF-8 as U+FFFD. NULL appends nothing. */
void teach_xml_escape(struct strbuf *sb, const char *s);

/* ---- labs: exercises with an instructor's key (teach/lab.c) ---------------------- */

struct scn;
struct sim;

enum teach_difficulty { TEACH_EASY, TEACH_MEDIUM, TEACH_HARD, TEACH_MIXED };
/* "easy", "medium", "hard", "mixed" */
const char *teach_difficulty_name(enum teach_difficulty d);
int teach_difficulty_parse(const char *s, enum teach_difficulty *out);

/* What a student gets per exercise (folder names of --formats). */
enum teach_lab_format {
    TEACH_LAB_NATIVE = 1u << 0,  /* host.json: one smsslab snapshot, no labels */
    TEACH_LAB_SYSMON = 1u << 1,  /* host-sysmon.xml: Sysmon EID 1/5, no registry events */
    TEACH_LAB_TABLE = 1u << 2,   /* host-processes.txt: a ps-like table */
    TEACH_LAB_PICTURE = 1u << 3, /* host-tree.svg: the tree without findings (Graphviz) */
    TEACH_LAB_EVTX = 1u << 4,    /* host-sysmon.evtx: the Sysmon events as a Windows log */
    TEACH_LAB_ALL = (1u << 5) - 1,
};
int teach_lab_parse_formats(const char *s, unsigned *out, struct err *e);

#define TEACH_LAB_MAX_N 500
#define TEACH_LAB_MAX_HARD_NEGATIVES 8
/* Exercise types by difficulty, and the hard negatives the lab sets: the
 * tests check every entry against the catalogue and the scenario options. */
extern const char *const teach_lab_easy[], *const teach_lab_medium[], *const teach_lab_hard[];
extern const size_t teach_lab_neasy, teach_lab_nmedium, teach_lab_nhard;
/* The pool of easy, medium or hard (mixed: hard), its size in *n. */
const char *const *teach_lab_pool(enum teach_difficulty d, size_t *n);

/* Topics: what an anomaly is about, derived from the catalogue and the rule
 * table, never listed by hand. The topic of a rule is its lesson's process
 * without ".exe" (smss, csrss, lsass, ...), or for the generic core rules the
 * first word of its id (lookalike, core, ...), or the lesson itself
 * (registry, sessions). An anomaly type's topics are those of its first
 * expected rule -- the one that fires on the labelled process or value, {P}
 * and {Q} taken over every process its parameter allows -- plus "registry"
 * when it plants a registry value. An exercise's topics are those of the
 * rule its label names first, so a core-wrong-parent on csrss is about csrss. */
#define TEACH_MAX_TOPICS 24
#define TEACH_TOPIC_LEN 24
struct teach_topics {
    char v[TEACH_MAX_TOPICS][TEACH_TOPIC_LEN];
    size_t n;
};
/* Every topic of the anomaly types a lab draws, sorted. */
void teach_lab_topics_all(struct teach_topics *t);
/* The possible topics of anomaly type id (empty when unknown). */
void teach_lab_type_topics(const char *type, struct teach_topics *t);
/* "smss,registry": each must be a topic of teach_lab_topics_all, else -1
 * with e naming the valid ones. */
int teach_lab_parse_topics(const char *s, struct teach_topics *out, struct err *e);
int teach_topics_meet(const struct teach_topics *a, const struct teach_topics *b);

struct teach_lab_opts {
    uint64_t n, seed;
    enum teach_difficulty difficulty;
    int hard_negatives;         /* per exercise; -1 = the difficulty's default */
    unsigned formats;           /* enum teach_lab_format bits */
    struct teach_topics topics; /* n == 0: every topic */
};
/* Can the lab's difficulty draw an anomaly of its topics? 0, or -1 with e
 * saying which difficulties can. */
int teach_lab_check_topics(const struct teach_lab_opts *o, struct err *e);

/* One exercise: its scenario, the simulation, the last snapshot with its
 * labels and the checker's findings on it. */
struct teach_exercise {
    unsigned number; /* 1-based */
    enum teach_difficulty difficulty;
    int normal;
    const char *type;           /* anomaly type (catalogue id); NULL when normal */
    struct teach_topics topics; /* of the label; empty when normal */
    const char *hard[TEACH_LAB_MAX_HARD_NEGATIVES];
    size_t nhard;
    struct scn *sc;
    struct sim *sm;
    struct snap snap;
    struct chk_findings findings;
};

/* Which exercises of a lab are normal: n/5 of them, at least one from n = 2
 * (so "normal" is a real answer), at positions drawn from the seed. is_normal
 * has n entries. */
void teach_lab_normals(const struct teach_lab_opts *o, unsigned char *is_normal);
/* Draw and simulate exercise `number` (1-based) of the lab: the same options
 * give the same exercise. A drawn host is kept only when the checker agrees
 * with it (no findings on a normal one; findings, all on the anomaly, on the
 * others). Returns 0, or -1 with e set. Release with teach_exercise_release. */
int teach_lab_exercise(struct teach_exercise *x, const struct teach_lab_opts *o, unsigned number,
                       int normal, struct err *e);
void teach_exercise_release(struct teach_exercise *x);

/* The student's files: the snapshot with no labels, anomaly ids or scenario
 * name; the Sysmon XML of the corpus writer without its registry events
 * (there are only the planted ones); a ps-like table. A copy of the snapshot
 * without the answers, for drawing, is made by teach_lab_strip. */
void teach_lab_strip(struct snap *s);
void teach_lab_snapshot_json(struct strbuf *sb, const struct teach_exercise *x);
void teach_lab_sysmon(struct strbuf *sb, const struct teach_exercise *x);
/* The same records as a Windows .evtx file (the corpus's writer) on fp,
 * opened for writing and seekable; name is for messages. 0 or -1 with e set. */
int teach_lab_evtx(FILE *fp, const char *name, const struct teach_exercise *x, struct err *e);
void teach_lab_table(struct strbuf *sb, const struct teach_exercise *x);
/* The exercise sheet (Markdown, HTML) for all exercises. */
void teach_lab_sheet_md(struct strbuf *sb, const struct teach_lab_opts *o,
                        const struct teach_exercise *xs, size_t n);
void teach_lab_sheet_html(struct strbuf *sb, const struct teach_lab_opts *o,
                          const struct teach_exercise *xs, size_t n);
/* The key: key.yaml (what grade reads) and answers.md (for the instructor). */
void teach_lab_key_yaml(struct strbuf *sb, const struct teach_lab_opts *o,
                        const struct teach_exercise *xs, size_t n);
void teach_lab_key_md(struct strbuf *sb, const struct teach_lab_opts *o,
                      const struct teach_exercise *xs, size_t n);
/* The file names, shared by the sheet, the key and the command. */
#define TEACH_LAB_F_NATIVE "host.json"
#define TEACH_LAB_F_SYSMON "host-sysmon.xml"
#define TEACH_LAB_F_TABLE "host-processes.txt"
#define TEACH_LAB_F_PICTURE "host-tree.svg"
#define TEACH_LAB_F_EVTX "host-sysmon.evtx"

/* Why a hard negative (a lab option id such as "special_session") is normal;
 * "" for an unknown id. */
const char *teach_hard_negative_text(const char *id);

/* ---- grading (teach/grade.c) -------------------------------------------------------- */

/* The key lab wrote (key.yaml) and one student's answers (docs/teaching.md),
 * read from YAML with located errors ("file:line:column: message"). */
struct teach_key;
struct teach_key *teach_key_parse(const char *file, const char *buf, size_t len, struct err *e);
void teach_key_free(struct teach_key *k);
size_t teach_key_count(const struct teach_key *k);
struct teach_answers;
/* Answers to exercises the key does not have are errors; missing ones are
 * graded as unanswered. The student is `student:` or the file's base name. */
struct teach_answers *teach_answers_parse(const char *file, const char *buf, size_t len,
                                          const struct teach_key *k, struct err *e);
void teach_answers_free(struct teach_answers *a);
const char *teach_answers_student(const struct teach_answers *a);

/* Marks: 0 or 1 each for one exercise, or sums over a student's exercises. */
struct teach_mark {
    unsigned exercise;
    int verdict, location, reason;
    int max; /* 3 per exercise */
    int answered;
};
/* Does a reason name an expected rule id, the technique, or share a keyword
 * with the title of an expected rule or of the anomaly? */
int teach_reason_matches(const char *reason, const char *const *rules, size_t nrules,
                         const char *technique, const char *title);
/* Grade exercise i (key order) with feedback from the rule's explanation. */
void teach_grade_exercise(const struct teach_key *k, const struct teach_answers *a, size_t i,
                          struct teach_mark *m, struct strbuf *feedback);
/* Every exercise: CSV rows (no header) and the student's summary; sums in *total. */
extern const char teach_grade_csv_header[];
void teach_grade(const struct teach_key *k, const struct teach_answers *a, const char *file,
                 struct strbuf *csv, struct strbuf *summary, struct teach_mark *total);

#endif
