/*
 * input: one way for check, render and score to open what a user hands
 * them -- smsslab JSON (a file or "-"), a scenario (.yaml/.yml: simulated on
 * the fly), or real host data through readers/ (.evtx, XML, NDJSON, CSV).
 */
#ifndef SMSS_CLI_INPUT_H
#define SMSS_CLI_INPUT_H

#include <stdint.h>

#include "../snap/snap.h"

struct cli_input_opts {
    const char *format; /* --input-format; NULL/"auto" = detect */
    int have_seed;      /* --seed given (scenarios only) */
    uint64_t seed;
};

/* Is path a scenario (.yaml/.yml), simulated on open? */
int cli_input_is_scenario(const char *path);
/* Say on stderr that --seed does nothing when no input is a scenario. */
void cli_input_warn_seed(const char *cmd, char *const *paths, int n);

/* The one INPUT of render, timeline and report (argv[first..]): at most
 * one, "-" when none, and not a terminal. 0, or EXIT_USAGE after saying why. */
int cli_one_input(const char *cmd, int argc, char **argv, int first, const char **path);
/* --seed ARG (NULL: not given) into o, with the warning when none of the
 * n paths is a scenario. 0, or EXIT_USAGE after saying why. */
int cli_input_seed(const char *cmd, const char *arg, struct cli_input_opts *o, char *const *paths,
                   int n);

struct cli_input;
struct cli_input *cli_input_open(const char *path, const struct cli_input_opts *o, struct err *e);
/* One host's .evtx logs and SYSTEM/SOFTWARE hives read as one input
 * (readers' rd_open_group). */
struct cli_input *cli_input_open_group(char *const *paths, size_t n, struct err *e);
/* The paths among n that are one host's files, read as one group: every
 * .evtx and hive when at least one hive is given and at most one SYSTEM
 * and one SOFTWARE; NULL (count 0) otherwise. The caller frees the array
 * (its strings are paths'). */
char **cli_host_group(char *const *paths, int n, size_t *count);
/* 1 if path (the same pointer) opens the group, 2 if it is a later
 * member, 0 if not in it. */
int cli_in_group(char *const *group, size_t n, const char *path);
/* 1 = *s holds the next snapshot, 0 = end, -1 = error (e set). */
int cli_input_next(struct cli_input *in, struct snap *s, struct err *e);
/* The path as given ("-" for stdin), for reports. */
const char *cli_input_name(const struct cli_input *in);
void cli_input_close(struct cli_input *in);
/* The simulation behind a scenario input (its event stream), else NULL. */
struct sim;
const struct sim *cli_input_sim(const struct cli_input *in);
/* Deep-copy s into d (reset first): a reader's strings die with its next
 * snapshot, and the last one is only known after reading one more. */
void cli_snap_copy(struct snap *d, const struct snap *s);

#endif
