/*
 * smsslab timeline: what happened when during a boot, relative to the boot
 * -- process starts and exits, sessions and logons, the smss steps and the
 * findings in place -- as text or as an SVG chart (teach/timeline.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "teach_input.h"

const char cmd_timeline_usage[] =
    "usage: smsslab timeline [FILE|-|SCENARIO.yaml] [-o FILE.txt|FILE.svg|-] [--format text|svg]\n"
    "                        [--no-check] [--input-format F] [--seed N]\n"
    "\n"
    "What happened when, relative to the boot (docs/teaching.md): every process start\n"
    "and exit, sessions and logons, the master smss's steps (BootExecute/autochk,\n"
    "PendingFileRenameOperations, KnownDLLs, DOS devices, page files, environment,\n"
    "SubSystems) and the checker's findings under the process they concern. Input is\n"
    "anything 'smsslab check' reads; with several snapshots the last one is shown\n"
    "(it holds every process started before it).\n"
    "\n"
    "  -o, --output F   F.txt or '-' (default): text; F.svg: an SVG chart with a lane\n"
    "                   per session and a bar per process lifetime\n"
    "  --format K       text or svg, when -o does not say (e.g. '-o -')\n"
    "  --no-check       leave the findings out\n"
    "  --input-format F as for smsslab check: auto (default), native, evtx, xml, ...\n"
    "  --seed N         seed for a scenario input\n"
    "  -h, --help       show this help\n"
    "\n"
    "The same input always gives byte-identical output.\n"
    "exit status: 0 written, 2 usage or input error (no output file left).\n";

int cmd_timeline(int argc, char **argv)
{
    enum { O_NOCHECK = 256, O_FORMAT, O_KIND, O_SEED };
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, O_KIND},
                                         {"no-check", no_argument, NULL, O_NOCHECK},
                                         {"input-format", required_argument, NULL, O_FORMAT},
                                         {"seed", required_argument, NULL, O_SEED},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = "-", *kind_arg = NULL, *seed_arg = NULL;
    struct cli_input_opts iopts = {NULL, 0, 0};
    int no_check = 0, c;
    uint64_t once = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (cli_once("timeline", opts, c, NULL, &once))
            return EXIT_USAGE;
        switch (c) {
        case 'o': out = optarg; break;
        case O_KIND: kind_arg = optarg; break;
        case O_NOCHECK: no_check = 1; break;
        case O_FORMAT: iopts.format = optarg; break;
        case O_SEED: seed_arg = optarg; break;
        case 'h': return cli_help("timeline");
        default: return cli_bad_option("timeline", c, argv);
        }
    }
    const char *path;
    if (cli_one_input("timeline", argc, argv, optind, &path))
        return EXIT_USAGE;
    int svg;
    if (kind_arg) {
        if (strcmp(kind_arg, "text") && strcmp(kind_arg, "svg"))
            return cli_usage_error("timeline", "--format: '%s' is not text or svg", kind_arg);
        svg = !strcmp(kind_arg, "svg");
    } else if (!strcmp(out, "-") || ascii_ends_with_case(out, ".txt")) {
        svg = 0;
    } else if (ascii_ends_with_case(out, ".svg")) {
        svg = 1;
    } else {
        return cli_usage_error("timeline",
                               "-o '%s': expected a name ending in .txt or .svg, or '-'", out);
    }
    if (cli_input_seed("timeline", seed_arg, &iopts, argv + optind, argc - optind))
        return EXIT_USAGE;
    if (cli_out_folder("timeline", out))
        return EXIT_USAGE;
    if (cli_out_clashes("timeline", out, path, 0))
        return EXIT_USAGE;
    struct teach_input ti;
    int status = teach_input_load("timeline", path, &iopts, no_check, &ti);
    struct strbuf sb = STRBUF_INIT;
    if (status == 0) {
        const struct chk_findings *f = no_check ? NULL : &ti.findings;
        if (svg)
            teach_timeline_svg(&sb, &ti.snap, f, &ti.steps);
        else
            teach_timeline_text(&sb, &ti.snap, f, &ti.steps);
        struct err e = {""};
        if (afile_write_all(out, sb.buf, sb.len, &e) < 0)
            status = cli_fail(&e);
    }
    sb_release(&sb);
    teach_input_release(&ti);
    return status;
}
