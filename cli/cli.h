/*
 * cli: the thin front end. One command table (cli/commands.def) drives
 * dispatch, `smsslab --help` and `smsslab help CMD`; each command lives in
 * cli/cmd_NAME.c and only parses arguments, calls modules and prints.
 */
#ifndef SMSS_CLI_H
#define SMSS_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/afile.h"
#include "../core/util.h"

struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage; /* full help text */
};

#define CMD(name, summary)                 \
    int cmd_##name(int argc, char **argv); \
    extern const char cmd_##name##_usage[];
#include "commands.def"
#undef CMD

const struct cli_cmd *cli_find(const char *name);
/* Print "smsslab CMD: msg" to stderr and return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print an error record and return EXIT_USAGE. */
int cli_fail(const struct err *e);
/* getopt_long (optstring starting with ':') returned c, '?' or ':': say which
 * option is unknown or lacks its value; returns EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char **argv);
/* Refuse -o OUT when it is the input IN (the same file, or for dir_in a file
 * inside that folder): writing would destroy what is being read. Returns
 * EXIT_USAGE after saying so, 0 when they differ. "-" never clashes. */
int cli_out_clashes(const char *cmd, const char *out, const char *in, int dir_in);
/* -o OUT names a file in a folder that does not exist (or is no folder):
 * say so instead of "cannot create temporary file". Returns EXIT_USAGE
 * after saying so, else 0. */
int cli_out_folder(const char *cmd, const char *out);
/* getopt_long returned c: refuse a second value for an option that takes one
 * (the last one silently won). repeatable names the options whose values
 * add up ("rules,ignore"), or NULL. *seen holds one bit per row of opts
 * (at most 64). Returns EXIT_USAGE after saying so, else 0. */
int cli_once(const char *cmd, const struct option *opts, int c, const char *repeatable,
             uint64_t *seen);
/* The candidate closest to word by edit distance (a swap of two letters
 * counts one), if close enough to be a likely typo; else NULL. name(i, ctx)
 * gives the i-th of n candidates. */
const char *cli_closest(const char *word, size_t n, const char *(*name)(size_t i, const void *ctx),
                        const void *ctx);
/* Colour only on a terminal and never with NO_COLOR set (https://no-color.org). */
int cli_color(FILE *f);
/* Is this a --help / -h argument? */
int cli_is_help(const char *arg);
/* Print a command's usage to stdout and return 0. */
int cli_help(const char *cmd);

#endif
