/*
 * smsslab run: simulate a scenario (or the embedded default) and write the
 * run document: snapshots, events and ground-truth labels.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sim/scn.h"
#include "../sim/sim.h"
#include "cli.h"

const char cmd_run_usage[] =
    "usage: smsslab run [SCENARIO.yaml] [--seed N] [-o FILE|-]\n"
    "\n"
    "Simulate a Windows boot described by SCENARIO (without one: the embedded\n"
    "default, a normal Windows 10 boot with one console logon) and write one JSON\n"
    "document (schema smsslab.run/2, docs/snapshot.md): snapshots of the process\n"
    "table, the event stream and the ground-truth labels of injected anomalies.\n"
    "The same scenario and seed always give byte-identical output.\n"
    "\n"
    "Scenario keys (docs/scenario.md): name, description, seed, os, host,\n"
    "boot_time, duration, sessions, snapshots, registry, options, anomalies and\n"
    "events -- what happens after boot: lock, unlock, disconnect, reconnect of a\n"
    "logged-on session, and the shutdown, e.g.\n"
    "  events: [{at: 20m, type: lock, session: 1}, {at: 1h, type: shutdown}]\n"
    "\n"
    "  --seed N        override the scenario's seed (0..18446744073709551615)\n"
    "  -o, --output F  write to F (atomically: temp file + rename); '-' = stdout (default,\n"
    "                  but not a terminal unless -o - is given)\n"
    "  -h, --help      show this help\n"
    "\n"
    "exit status: 0 ok, 2 usage or scenario error (file:line:col: message on stderr).\n";

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"seed", required_argument, NULL, 's'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = "-";
    const char *seed_arg = NULL;
    int out_given = 0;
    int c;
    uint64_t once = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:o:h", opts, NULL)) != -1) {
        if (cli_once("run", opts, c, NULL, &once))
            return EXIT_USAGE;
        switch (c) {
        case 's': seed_arg = optarg; break;
        case 'o':
            out = optarg;
            out_given = 1;
            break;
        case 'h': return cli_help("run");
        default: return cli_bad_option("run", c, argv);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("run", "expected at most one scenario file, got %d", argc - optind);
    if (!strcmp(out, "-") && !out_given && isatty(STDOUT_FILENO))
        /* ~100 KB of one-line JSON is no use on a screen. */
        return cli_usage_error("run",
                               "the run document is about 100 KB of JSON: write it with -o "
                               "FILE, pipe it on (smsslab run | smsslab check), or force the "
                               "terminal with -o -");
    if (cli_out_folder("run", out))
        return EXIT_USAGE;
    if (argc - optind == 1 && cli_out_clashes("run", out, argv[optind], 0))
        return EXIT_USAGE;
    struct err e = {""};
    struct scn sc;
    int rc = argc - optind == 1 ? scn_load_file(&sc, argv[optind], &e) : scn_load_default(&sc, &e);
    if (rc < 0) {
        scn_release(&sc);
        return cli_fail(&e);
    }
    if (seed_arg) {
        uint64_t seed;
        if (parse_u64(seed_arg, UINT64_MAX, &seed) < 0) {
            scn_release(&sc);
            return cli_usage_error("run", "--seed: '%s' is not an integer in 0..2^64-1", seed_arg);
        }
        sc.seed = seed;
    }
    struct sim *sm = sim_new();
    int status = EXIT_CLEAN;
    struct strbuf sb = STRBUF_INIT;
    if (sim_run(sm, &sc, &e) < 0) {
        status = cli_fail(&e);
        goto out;
    }
    sim_write_json(sm, &sb);
    if (afile_write_all(out, sb.buf, sb.len, &e) < 0)
        status = cli_fail(&e);
out:
    sb_release(&sb);
    sim_free(sm);
    scn_release(&sc);
    return status;
}
