/*
 * input: dispatch by file name and content to the snapshot reader, the
 * simulator (scenarios) or the real-data readers.
 */
#include "input.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/util.h"
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
    int warned;
};

int cli_input_is_scenario(const char *path)
{
    return ascii_ends_with_case(path, ".yaml") || ascii_ends_with_case(path, ".yml");
}

/* smsslab JSON read from a pipe, FIFO or device whose first n bytes are in
 * head. The snapshot reader opens by path, so path is opened a second time
 * while fp stays open: a pipe's second opening reads on from where fp
 * stopped, and head goes back in front. A named FIFO whose writer has
 * already closed would make that open wait for a new writer forever, so a
 * writer of our own (non-blocking: a reader exists) is held for the open. */
static int open_native_pipe(struct cli_input *in, const char *path, FILE *fp,
                            const unsigned char *head, size_t n, struct err *e)
{
    struct stat st;
    int wfd = -1;
    if (fstat(fileno(fp), &st) == 0 && S_ISFIFO(st.st_mode))
        wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    in->native = snap_reader_open(path, e);
    if (wfd >= 0)
        close(wfd);
    if (!in->native)
        return -1;
    snap_reader_unread(in->native, head, n);
    return 0;
}

/* Auto-detect path ("-" = standard input), reading its start only once:
 * smsslab JSON goes to the snapshot reader, anything else to readers/. */
static int open_sniffed(struct cli_input *in, const char *path, struct err *e)
{
    int is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    int regular = !is_stdin && fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode);
    /* A pipe handed to the snapshot reader is read on through a second
     * opening: nothing may wait in fp's buffer. */
    if (!is_stdin && !regular)
        setvbuf(fp, NULL, _IONBF, 0);
    unsigned char *head;
    size_t n;
    int native = rd_sniff(fp, name, &head, &n, e);
    int rc = -1;
    if (native < 0) {
        if (!is_stdin)
            fclose(fp);
        return -1;
    }
    if (native || (n == 0 && is_stdin)) {
        /* smsslab JSON, or empty standard input: the native reader says which. */
        if (is_stdin) {
            in->native = snap_reader_open("-", e);
            if (in->native)
                snap_reader_unread(in->native, head, n);
            rc = in->native ? 0 : -1;
        } else if (regular) {
            in->native = snap_reader_open(path, e); /* from the start again */
            rc = in->native ? 0 : -1;
        } else {
            rc = open_native_pipe(in, path, fp, head, n, e);
        }
        if (!is_stdin)
            fclose(fp);
    } else {
        in->real = rd_open_stream(name, fp, head, n, "auto", e); /* takes fp */
        rc = in->real ? 0 : -1;
    }
    free(head);
    return rc;
}

void cli_input_warn_seed(const char *cmd, char *const *paths, int n)
{
    for (int i = 0; i < n; i++)
        if (cli_input_is_scenario(paths[i]))
            return;
    fprintf(stderr, "smsslab %s: --seed applies to scenario inputs (.yaml) only; ignored\n", cmd);
}

int cli_one_input(const char *cmd, int argc, char **argv, int first, const char **path)
{
    if (argc - first > 1)
        return cli_usage_error(cmd, "expected at most one input, got %d", argc - first);
    *path = argc - first == 1 ? argv[first] : "-";
    if (!strcmp(*path, "-") && isatty(STDIN_FILENO))
        return cli_usage_error(cmd, "no input: give a FILE, a SCENARIO.yaml or '-'");
    return 0;
}

int cli_input_seed(const char *cmd, const char *arg, struct cli_input_opts *o, char *const *paths,
                   int n)
{
    if (!arg)
        return 0;
    if (parse_u64(arg, UINT64_MAX, &o->seed) < 0)
        return cli_usage_error(cmd, "--seed: '%s' is not an integer in 0..2^64-1", arg);
    o->have_seed = 1;
    cli_input_warn_seed(cmd, paths, n);
    return 0;
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
     * format or names what it expected). A pipe, FIFO or standard input
     * cannot be read twice, so its first bytes are read once and handed to
     * whichever reader. */
    if (!ascii_casecmp(fmt, "auto")) {
        if (open_sniffed(in, path, e) < 0) {
            cli_input_close(in);
            return NULL;
        }
        return in;
    }
    if (ascii_casecmp(fmt, "native")) {
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

struct cli_input *cli_input_open_group(char *const *paths, size_t n, struct err *e)
{
    struct cli_input *in = xcalloc(1, sizeof(*in));
    in->name = xstrdup(paths[0]);
    in->real = rd_open_group((const char *const *)paths, n, e);
    if (!in->real) {
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
        s->file = snap_str(s, in->name);
        return 1;
    }
    if (in->real) {
        int rc = rd_next(in->real, s, e);
        /* Said once, when the input has been read: a damaged .evtx (an
         * error says it itself). */
        if (rc >= 0 && !in->warned && rd_warning(in->real)) {
            in->warned = 1;
            fprintf(stderr, "smsslab: %s\n", rd_warning(in->real));
        }
        return rc;
    }
    int rc = snap_reader_next(in->native, s, e);
    /* Findings name the file they rest on, as host data's do: with several
     * inputs, which file a finding came from. */
    if (rc == 1 && !s->file)
        s->file = snap_str(s, strcmp(in->name, "-") ? in->name : "<stdin>");
    return rc;
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

void cli_snap_copy(struct snap *d, const struct snap *s)
{
    snap_reset(d);
    d->source = snap_str(d, s->source);
    d->scenario = snap_str(d, s->scenario);
    d->seed = s->seed;
    d->host = snap_str(d, s->host);
    d->domain = snap_str(d, s->domain);
    d->os = snap_str(d, s->os);
    d->boot_time = s->boot_time;
    d->at = s->at;
    d->fields = s->fields;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        struct snap_proc *q = snap_add_proc(d);
        *q = *p;
        q->name = snap_str(d, p->name);
        q->image = snap_str(d, p->image);
        q->command_line = snap_str(d, p->command_line);
        q->user = snap_str(d, p->user);
        q->sid = snap_str(d, p->sid);
        q->integrity = snap_str(d, p->integrity);
        q->cwd = snap_str(d, p->cwd);
        q->guid = snap_str(d, p->guid);
        q->parent_guid = snap_str(d, p->parent_guid);
        q->anomaly = snap_str(d, p->anomaly);
    }
    for (size_t i = 0; i < s->nsessions; i++) {
        struct snap_session *q = snap_add_session(d);
        *q = s->sessions[i];
        q->kind = snap_str(d, q->kind);
        q->user = snap_str(d, q->user);
    }
    for (size_t i = 0; i < s->nregs; i++) {
        const struct snap_reg *r = &s->regs[i];
        struct snap_reg *q = snap_add_reg(d);
        *q = *r;
        q->key = snap_str(d, r->key);
        q->name = snap_str(d, r->name);
        q->anomaly = snap_str(d, r->anomaly);
        const char **data = NULL;
        if (r->ndata && r->data) {
            data = arena_alloc(&d->arena, r->ndata * sizeof(*data));
            for (uint32_t k = 0; k < r->ndata; k++)
                data[k] = snap_str(d, r->data[k]);
        }
        q->data = data;
        q->ndata = data ? r->ndata : 0;
    }
}

const struct sim *cli_input_sim(const struct cli_input *in)
{
    return in->sim;
}

char **cli_host_group(char *const *paths, int n, size_t *count)
{
    int hives = 0, system = 0, software = 0;
    for (int i = 0; i < n; i++) {
        int k = rd_path_hive_kind(paths[i]);
        hives += k > 0;
        system += k == 1;
        software += k == 2;
    }
    *count = 0;
    if (!hives || system > 1 || software > 1)
        return NULL;
    /* The logs first: the group is read as their format, the hives join. */
    char **g = xcalloc((size_t)n, sizeof(*g));
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++)
            if (pass ? rd_path_hive_kind(paths[i]) > 0 : rd_path_is_evtx(paths[i]))
                g[(*count)++] = paths[i];
    return g;
}

int cli_in_group(char *const *group, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (group[i] == path)
            return i == 0 ? 1 : 2;
    return 0;
}
