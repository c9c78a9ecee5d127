/*
 * input: dispatch by file name and content to the snapshot reader, the
 * simulator (scenarios) or the real-data readers.
 */
#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../readers/readers.h"
#include "../sim/scn.h"
#include "../sim/sim.h"

struct cli_input {
    char *name;
    struct snap_reader *native;
    struct rd_stream *real; /* host data (EVTX, XML, NDJSON, Volatility, CIM) */
    struct scn scn;         /* a scenario, simulated on open */
    struct sim *sim;
    size_t next_snapshot;
};

int cli_input_is_scenario(const char *path)
{
    return ascii_ends_with_case(path, ".yaml") || ascii_ends_with_case(path, ".yml");
}

static struct cli_input *open_stdin(struct cli_input *in, struct err *e)
{
    char *head = xmalloc(RD_HEAD_MAX);
    size_t n = fread(head, 1, RD_HEAD_MAX, stdin);
    if (ferror(stdin)) {
        err_set(e, "<stdin>: read error: %s", strerror(errno));
    } else if (n == 0 || rd_is_native_head(head, n)) {
        /* smsslab JSON, or nothing at all: the native reader says which. */
        in->native = snap_reader_open("-", e);
        if (in->native)
            snap_reader_unread(in->native, head, n);
    } else {
        in->real = rd_open_stream("<stdin>", stdin, head, n, "auto", e);
    }
    free(head);
    if (in->native || in->real)
        return in;
    cli_input_close(in);
    return NULL;
}

void cli_input_warn_seed(const char *cmd, char *const *paths, int n)
{
    for (int i = 0; i < n; i++)
        if (cli_input_is_scenario(paths[i]))
            return;
    fprintf(stderr, "smsslab %s: --seed applies to scenario inputs (.yaml) only; ignored\n", cmd);
}

struct cli_input *cli_input_open(const char *path, const struct cli_input_opts *o, struct err *e)
{
    const char *fmt = o && o->format ? o->format : "auto";
    struct cli_input *in = xcalloc(1, sizeof(*in));
    in->name = xstrdup(path);
    if (cli_input_is_scenario(path)) {
        /* A scenario: simulate it now and hand out its snapshots in order. */
        if (scn_load_file(&in->scn, path, e) < 0) {
            cli_input_close(in);
            return NULL;
        }
        if (o && o->have_seed)
            in->scn.seed = o->seed;
        in->sim = sim_new();
        if (sim_run(in->sim, &in->scn, e) < 0) {
            cli_input_close(in);
            return NULL;
        }
        return in;
    }
    /* smsslab's own JSON is recognised by its "schema": "smsslab.…" key;
     * everything else is real host data for readers/ (which detects the
     * format or names what it expected). Standard input cannot be re-read,
     * so its first bytes are read once and handed to whichever reader. */
    if (!strcmp(path, "-") && !ascii_casecmp(fmt, "auto"))
        return open_stdin(in, e);
    if (ascii_casecmp(fmt, "native") && (ascii_casecmp(fmt, "auto") || !rd_is_native(path))) {
        in->real = rd_open(path, fmt, e);
        if (!in->real) {
            cli_input_close(in);
            return NULL;
        }
        return in;
    }
    in->native = snap_reader_open(path, e);
    if (!in->native) {
        cli_input_close(in);
        return NULL;
    }
    return in;
}

int cli_input_next(struct cli_input *in, struct snap *s, struct err *e)
{
    if (in->sim) {
        if (in->next_snapshot >= sim_nsnapshots(in->sim))
            return 0;
        sim_snapshot(in->sim, sim_snapshot_time(in->sim, in->next_snapshot++), s);
        return 1;
    }
    if (in->real)
        return rd_next(in->real, s, e);
    return snap_reader_next(in->native, s, e);
}

const char *cli_input_name(const struct cli_input *in)
{
    return in->name;
}

void cli_input_close(struct cli_input *in)
{
    if (!in)
        return;
    snap_reader_close(in->native);
    rd_close(in->real);
    sim_free(in->sim);
    scn_release(&in->scn);
    free(in->name);
    free(in);
}
