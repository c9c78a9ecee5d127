/*
 * dot: draws one snapshot as a Graphviz DOT graph -- System and the master
 * smss on top, one labelled cluster per session, exited processes kept
 * (dashed, grey, with their exit time), orphans tied to their dead parent by
 * a dotted edge, and the checker's findings in red with a legend. Output is a
 * pure function of the input: node ids come from pid and creation time, and
 * every string from the input goes through dot_escape. See docs/render.md.
 */
#ifndef SMSS_DOT_H
#define SMSS_DOT_H

#include <stddef.h>
#include <stdint.h>

#include "../checker/chk.h"
#include "../core/util.h"
#include "../snap/snap.h"

/* Input bytes of one string that dot_escape keeps at most. The escaped form
 * grows at most 5x, so a label stays far below Graphviz's 16,384-byte limit
 * on quoted strings. */
#define DOT_MAX_FIELD 2048

struct dot_opts {
    int details;       /* user, start time and command line in each node */
    const char *focus; /* a PID or a process name: that branch and its ancestors; NULL = all */
};

/* Append s to sb as the inside of a DOT quoted string: backslashes doubled,
 * quotes escaped, '&' as "&amp;" (Graphviz decodes entities in labels),
 * control characters, bidi overrides and invalid UTF-8 made visible and
 * harmless. Keeps at most max input bytes (clamped to DOT_MAX_FIELD), cut on
 * a UTF-8 boundary and marked with "...". The result never ends in a
 * backslash, so it can never swallow the closing quote. NULL appends
 * nothing. */
void dot_escape(struct strbuf *sb, const char *s, size_t max);

/* Write the DOT text of s into sb (appended). findings may be NULL: the plain
 * tree. Returns 0, or -1 with e set when focus matches no process. */
int dot_write(struct strbuf *sb, struct snap *s, const struct chk_findings *findings,
              const struct dot_opts *o, struct err *e);

/* Running Graphviz (render/gv.c). The program is never started through a
 * shell. */

/* The program to run: name_or_path as given when it contains a '/', else
 * the first executable of that name on PATH. Returns a malloc'd path, or
 * NULL when there is none. */
char *dot_find_program(const char *name_or_path);
/* Run `prog -T<format>` with text on its stdin and its stdout on out_fd,
 * with the default limits. Returns 0, or -1 with e holding why (its exit
 * status and stderr, or the limit it reached). */
int dot_run(const char *prog, const char *format, const char *text, size_t len, int out_fd,
            struct err *e);
/* Graphviz layout time grows fast with the tree (10,000 processes: 33 s;
 * 20,000: 16 minutes) and a broken dot may write without end. */
#define DOT_TIMEOUT_DEFAULT_S 300
#define DOT_MAX_OUTPUT_DEFAULT ((uint64_t)1 << 30)
struct dot_limits {
    uint64_t timeout_s;  /* 0: none */
    uint64_t max_output; /* bytes of dot's stdout; 0: none */
};
int dot_run_limited(const char *prog, const char *format, const char *text, size_t len, int out_fd,
                    const struct dot_limits *lim, struct err *e);

#endif
