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

#endif
