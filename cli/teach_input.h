/*
 * teach_input: what timeline and report read from an input -- its last
 * snapshot (deep-copied), the smss steps wherever the input keeps them, and
 * the checker's findings on that snapshot.
 */
#ifndef SMSS_CLI_TEACH_INPUT_H
#define SMSS_CLI_TEACH_INPUT_H

#include "../teach/teach.h"
#include "input.h"

struct teach_input {
    struct snap snap;
    struct teach_steps steps;
    struct chk_findings findings;
};

/* Read path to its end; keep the last snapshot and its steps; run the
 * checker unless no_check. Prints its own errors; returns 0 or an exit code.
 * Release with teach_input_release even on failure. */
int teach_input_load(const char *cmd, const char *path, const struct cli_input_opts *o,
                     int no_check, struct teach_input *ti);
void teach_input_release(struct teach_input *ti);

#endif
