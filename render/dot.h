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

/* What a box shows besides name, pid and session (--show). */
enum {
    DOT_SHOW_USER = 1u << 0,
    DOT_SHOW_START = 1u << 1,     /* the start time, after boot */
    DOT_SHOW_CMDLINE = 1u << 2,   /* wrapped over a few lines */
    DOT_SHOW_PRIORITY = 1u << 3,  /* base priority */
    DOT_SHOW_INTEGRITY = 1u << 4, /* mandatory integrity level */
    DOT_SHOW_PATH = 1u << 5,      /* the image path */
    DOT_SHOW_DETAILS = DOT_SHOW_USER | DOT_SHOW_START | DOT_SHOW_CMDLINE,
};

/* Classroom defaults: a picture fits a 1920-pixel screen (Graphviz draws
 * PNG at 96 dpi, so 1,440 points), sessions are laid out in rows to fit, and
 * DOT_COLLAPSE_MIN or more leaf siblings of one name fold into one box. */
#define DOT_DEFAULT_WIDTH_PX 1920
#define DOT_COLLAPSE_MIN 3

/* Zero-initialised options are the classroom defaults. */
struct dot_opts {
    int details;          /* the same as show |= DOT_SHOW_DETAILS */
    const char *focus;    /* PIDs or names, comma-separated: those branches and their
                           * ancestors; NULL = all */
    unsigned show;        /* DOT_SHOW_* bits */
    const char *collapse; /* NULL or "auto": fold DOT_COLLAPSE_MIN or more leaf siblings of one
                           * name; "none"; or names ("svchost,conhost") whose leaf siblings fold
                           * from two on */
    int registry;         /* the registry panel: every value read at boot, findings in red */
    long max_width_px;    /* 0: DOT_DEFAULT_WIDTH_PX; negative: no cap */
};

/* "user,priority,integrity,cmdline,start,path" (any order, or "all"): the
 * DOT_SHOW_* bits. Returns 0, or -1 with e naming the valid words. */
int dot_parse_show(const char *s, unsigned *out, struct err *e);

/* Append s to sb as the inside of a DOT quoted string: backslashes doubled,
 * quotes escaped, '&' as "&amp;" (Graphviz decodes entities in labels),
 * control characters, bidi overrides and invalid UTF-8 made visible and
 * harmless. Keeps at most max input bytes (clamped to DOT_MAX_FIELD), cut on
 * a UTF-8 boundary and marked with "...". The result never ends in a
 * backslash, so it can never swallow the closing quote. NULL appends
 * nothing. */
void dot_escape(struct strbuf *sb, const char *s, size_t max);

/* Write the DOT text of s into sb (appended). findings may be NULL: the plain
 * tree. Returns 0, or -1 with e set when a focus name matches no process.
 * The width cap: session boxes are packed into rows, in session order, from
 * an estimate of their width; a graph size attribute makes sure, and the
 * title says when the picture had to be shrunk. */
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
