/*
 * smsslab report: one self-contained HTML page about a boot -- the tree
 * (Graphviz, as render draws it), the timeline, the findings with their
 * explanations and the process cards (teach/report.c). --student leaves the
 * findings out, for a class.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../render/dot.h"
#include "cli.h"
#include "teach_input.h"

const char cmd_report_usage[] =
    "usage: smsslab report [FILE|-|SCENARIO.yaml] -o report.html [--student] [--title T]\n"
    "                      [--dot PATH] [--input-format F] [--seed N]\n"
    "\n"
    "One static HTML page about a boot, readable offline and without JavaScript\n"
    "(docs/teaching.md): the process tree drawn by Graphviz, the timeline, the\n"
    "findings with what normal looks like and why it matters, and the profile card\n"
    "of every core process present. Input is anything 'smsslab check' reads; with\n"
    "several snapshots the last one is shown.\n"
    "\n"
    "  -o, --output F   the page (F.html, or '-' for standard output); required\n"
    "  --student        leave the findings (and the scenario name) out: an exercise\n"
    "  --title T        the page's title (default: the host name)\n"
    "  --dot PATH       the Graphviz 'dot' program (default: 'dot' on PATH)\n"
    "  --input-format F as for smsslab check: auto (default), native, evtx, xml, ...\n"
    "  --seed N         seed for a scenario input\n"
    "  -h, --help       show this help\n"
    "\n"
    "The same input always gives byte-identical pages.\n"
    "exit status: 0 written, 2 usage, input or Graphviz error (no output file left).\n";

/* The tree as SVG, through Graphviz into a temporary file and back. */
static int tree_svg(const char *dot_prog, struct snap *s, const struct chk_findings *f,
                    struct strbuf *svg)
{
    struct strbuf text = STRBUF_INIT;
    struct err e = {""};
    struct dot_opts dopts = {0, NULL};
    char *prog = dot_find_program(dot_prog ? dot_prog : "dot");
    FILE *tmp = NULL;
    int status = 0;
    if (!prog) {
        fprintf(stderr,
                "smsslab report: the Graphviz program '%s' was not found; install it "
                "with 'apt-get install graphviz' or pass --dot PATH\n",
                dot_prog ? dot_prog : "dot");
        return EXIT_USAGE;
    }
    struct dot_limits lim = {DOT_TIMEOUT_DEFAULT_S, DOT_MAX_OUTPUT_DEFAULT};
    if (dot_write(&text, s, f, &dopts, &e) < 0 || !(tmp = tmpfile()) ||
        dot_run_limited(prog, "svg", text.buf, text.len, fileno(tmp), &lim, &e) < 0) {
        fprintf(stderr, "smsslab report: drawing the tree failed: %s\n",
                e.msg[0] ? e.msg : strerror(errno));
        status = EXIT_USAGE;
    } else {
        char buf[65536];
        size_t n;
        rewind(tmp);
        while ((n = fread(buf, 1, sizeof(buf), tmp)) > 0)
            sb_add(svg, buf, n);
        if (ferror(tmp) || svg->len == 0) {
            fprintf(stderr, "smsslab report: '%s' wrote no SVG\n", prog);
            status = EXIT_USAGE;
        }
    }
    if (tmp)
        fclose(tmp);
    free(prog);
    sb_release(&text);
    return status;
}

int cmd_report(int argc, char **argv)
{
    enum { O_STUDENT = 256, O_TITLE, O_DOT, O_FORMAT, O_SEED };
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"student", no_argument, NULL, O_STUDENT},
                                         {"title", required_argument, NULL, O_TITLE},
                                         {"dot", required_argument, NULL, O_DOT},
                                         {"input-format", required_argument, NULL, O_FORMAT},
                                         {"seed", required_argument, NULL, O_SEED},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *title = NULL, *dot_prog = NULL, *seed_arg = NULL;
    struct cli_input_opts iopts = {NULL, 0, 0};
    int student = 0, c;
    uint64_t once = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (cli_once("report", opts, c, NULL, &once))
            return EXIT_USAGE;
        switch (c) {
        case 'o': out = optarg; break;
        case O_STUDENT: student = 1; break;
        case O_TITLE: title = optarg; break;
        case O_DOT: dot_prog = optarg; break;
        case O_FORMAT: iopts.format = optarg; break;
        case O_SEED: seed_arg = optarg; break;
        case 'h': return cli_help("report");
        default: return cli_bad_option("report", c, argv);
        }
    }
    const char *path;
    if (cli_one_input("report", argc, argv, optind, &path))
        return EXIT_USAGE;
    if (!out)
        return cli_usage_error("report", "no output: give -o report.html");
    if (strcmp(out, "-") && !ascii_ends_with_case(out, ".html") &&
        !ascii_ends_with_case(out, ".htm"))
        return cli_usage_error("report", "-o '%s': expected a name ending in .html, or '-'", out);
    if (cli_input_seed("report", seed_arg, &iopts, argv + optind, argc - optind))
        return EXIT_USAGE;
    if (cli_out_folder("report", out))
        return EXIT_USAGE;
    if (cli_out_clashes("report", out, path, 0))
        return EXIT_USAGE;
    struct teach_input ti;
    int status = teach_input_load("report", path, &iopts, 0, &ti);
    struct strbuf svg = STRBUF_INIT, page = STRBUF_INIT;
    if (status == 0)
        status = tree_svg(dot_prog, &ti.snap, student ? NULL : &ti.findings, &svg);
    if (status == 0) {
        struct teach_report r = {&ti.snap, &ti.findings, &ti.steps, svg.buf,
                                 svg.len,  title,        student};
        teach_report_html(&page, &r);
        struct err e = {""};
        if (afile_write_all(out, page.buf, page.len, &e) < 0)
            status = cli_fail(&e);
    }
    sb_release(&page);
    sb_release(&svg);
    teach_input_release(&ti);
    return status;
}
