/*
 * smsslab render: draw one snapshot's process tree with the checker's
 * findings -- DOT text, or SVG/PNG through the Graphviz `dot` program. The
 * picture itself is render/dot.c; this file picks the snapshot, runs the
 * checker and writes the file atomically (nothing is left behind on error).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../checker/chk.h"
#include "../render/dot.h"
#include "cli.h"
#include "input.h"

const char cmd_render_usage[] =
    "usage: smsslab render [FILE|-|SCENARIO.yaml] [--at T] [-o tree.dot|tree.svg|tree.png|-]\n"
    "                      [--dot PATH] [--details] [--no-check] [--focus PID|NAME,...]\n"
    "                      [--collapse auto|none|NAME,...] [--show FIELD,...] [--registry]\n"
    "                      [--max-width PX] [--host NAME]\n"
    "                      [--input-format F] [--seed N]\n"
    "\n"
    "Draw the process tree of one snapshot (docs/render.md): System and the master\n"
    "smss on top, one box per session, exited processes dashed and grey with their\n"
    "exit time, orphans tied to their dead parent by a dotted edge, and what the\n"
    "checker flags in red with its rule ids. Input: smsslab JSON (a file or '-',\n"
    "the default), a scenario (simulated on the fly) or real host data.\n"
    "\n"
    "  --at T           which snapshot: an ISO time (2024-05-01T08:00:30Z), a time\n"
    "                   after boot (30s, 2h) or 'end' (the last one, default)\n"
    "  -o, --output F   F.dot or '-' (default): DOT text; F.svg, F.png: run Graphviz\n"
    "  --dot PATH       the Graphviz 'dot' program (default: 'dot' on PATH)\n"
    "  --dot-timeout S  stop 'dot' after S seconds (default 300; 0 = no limit)\n"
    "  --dot-max-output BYTES\n"
    "                   stop 'dot' past BYTES of output (default 1 GiB; 0 = no limit)\n"
    "  --details        also show user, start time and command line in each box\n"
    "                   (the same as --show user,start,cmdline)\n"
    "  --show LIST      what each box shows besides name, pid and session, comma-\n"
    "                   separated: user, priority, integrity, cmdline (wrapped),\n"
    "                   start (after boot), path, or all\n"
    "  --no-check       draw the plain tree, without running the checker\n"
    "  --focus LIST     only these processes' branches and their ancestors: PIDs or\n"
    "                   names, comma-separated (smss,lsass or 344,4)\n"
    "  --collapse HOW   auto (default): 3 or more leaf siblings of one name under one\n"
    "                   parent fold into one box 'svchost.exe \xc3\x97"
    "42' (pids in its\n"
    "                   tooltip); NAME,...: fold only these, from 2 on; none: every\n"
    "                   process its own box. What the checker flags never folds\n"
    "  --registry       a panel of every registry value the snapshot holds (the\n"
    "                   Session Manager and Winlogon values the rules read), one box\n"
    "                   per key, what the checker flags in red\n"
    "  --max-width PX   lay session boxes out in rows, in session order, to fit PX\n"
    "                   pixels at Graphviz's 96 dpi (default 1920, a classroom\n"
    "                   screen); a wider session shrinks the picture and the title\n"
    "                   says so; 0: one row, no cap\n"
    "  --host NAME      only that host's snapshots (an input with several hosts,\n"
    "                   such as a corpus part or a forwarder's log)\n"
    "  --input-format F as for smsslab check: auto (default), native, evtx, xml, ...\n"
    "  --seed N         seed for a scenario input\n"
    "  -h, --help       show this help\n"
    "\n"
    "The same input always gives byte-identical DOT. Findings do not change the\n"
    "exit status (use 'smsslab check' for that).\n"
    "exit status: 0 drawn, 2 usage, input or Graphviz error (no output file left).\n";

enum out_kind { OUT_DOT, OUT_SVG, OUT_PNG };

static void describe(struct strbuf *sb, const struct snap *s)
{
    char iso[WT_ISO_LEN], dur[64];
    if (s->at == WT_NONE) {
        sb_adds(sb, "(no time)");
        return;
    }
    wt_format_iso(s->at, iso);
    if (s->boot_time != WT_NONE && s->at >= s->boot_time) {
        wt_format_duration(s->at - s->boot_time, dur, sizeof(dur));
        sb_addf(sb, "%s (%s)", dur, iso);
    } else {
        sb_adds(sb, iso);
    }
}

enum at_kind { AT_END, AT_ABS, AT_REL };

/* Read every snapshot; keep the one --at names. Returns 0, or an exit code. */
static int same_host(const char *a, const char *b)
{
    return !ascii_casecmp(a ? a : "", b ? b : "");
}

/* Read every snapshot (of --host's host when given); keep the one --at names.
 * Several hosts or boots in one input (a corpus part, a multi-host log) and
 * no --at: draw the last and say so, rather than silently pick one. */
static int pick(struct cli_input *in, enum at_kind kind, int64_t t, const char *at_arg,
                const char *host, struct snap *out)
{
    struct snap cur;
    snap_init(&cur);
    struct strbuf seen = STRBUF_INIT;
    struct err e = {""};
    size_t n = 0, groups = 0, skipped = 0;
    char *last_host = NULL;
    int64_t last_boot = WT_NONE;
    int found = 0, rc;
    while ((rc = cli_input_next(in, &cur, &e)) == 1) {
        if (host && !same_host(cur.host, host)) {
            skipped++;
            continue;
        }
        if (!groups || !same_host(cur.host, last_host) || cur.boot_time != last_boot) {
            groups++;
            free(last_host);
            last_host = xstrdup(cur.host ? cur.host : "");
            last_boot = cur.boot_time;
        }
        n++;
        if (n <= 20) {
            sb_adds(&seen, n > 1 ? ", " : "");
            describe(&seen, &cur);
        }
        int match = kind == AT_END || (kind == AT_ABS && cur.at == t) ||
                    (kind == AT_REL && cur.boot_time != WT_NONE && cur.at != WT_NONE &&
                     cur.at - cur.boot_time == t);
        if (match) {
            cli_snap_copy(out, &cur);
            found = 1;
            if (kind != AT_END)
                break;
        }
    }
    snap_release(&cur);
    int status = 0;
    if (rc < 0) {
        status = cli_fail(&e);
    } else if (n == 0 && skipped) {
        fprintf(stderr, "smsslab render: no snapshot of host '%s' in %s (%zu of other hosts)\n",
                host, cli_input_name(in), skipped);
        status = EXIT_USAGE;
    } else if (n == 0) {
        const char *name = cli_input_name(in);
        fprintf(stderr, "smsslab: %s: no snapshots in this input (is it empty?)\n",
                strcmp(name, "-") ? name : "<stdin>");
        status = EXIT_USAGE;
    } else if (!found) {
        fprintf(stderr, "smsslab render: no snapshot at '%s' in %s; available: %s%s\n", at_arg,
                cli_input_name(in), seen.buf, n > 20 ? ", ..." : "");
        status = EXIT_USAGE;
    }
    if (!status && kind == AT_END && groups > 1)
        fprintf(stderr,
                "smsslab render: note: %s holds %zu hosts or boots; drew the last (host '%s'); "
                "choose with --host NAME and --at T\n",
                cli_input_name(in), groups, last_host);
    free(last_host);
    sb_release(&seen);
    return status;
}

static int out_kind(const char *out, enum out_kind *k)
{
    if (!strcmp(out, "-") || ascii_ends_with_case(out, ".dot") || ascii_ends_with_case(out, ".gv"))
        *k = OUT_DOT;
    else if (ascii_ends_with_case(out, ".svg"))
        *k = OUT_SVG;
    else if (ascii_ends_with_case(out, ".png"))
        *k = OUT_PNG;
    else
        return -1;
    return 0;
}

/* Write DOT text, or let Graphviz turn it into out; atomic either way. */
static int write_output(const char *out, enum out_kind kind, const char *dot_prog,
                        const struct dot_limits *lim, const struct strbuf *text)
{
    struct err e = {""};
    struct afile af = {0};
    char *prog = NULL;
    if (kind != OUT_DOT) {
        prog = dot_find_program(dot_prog ? dot_prog : "dot");
        if (!prog) {
            if (dot_prog)
                fprintf(stderr,
                        "smsslab render: the Graphviz program '%s' was not found or is "
                        "not executable\n",
                        dot_prog);
            else
                fprintf(stderr, "smsslab render: the Graphviz 'dot' program was not found on "
                                "PATH; install it with 'apt-get install graphviz' or pass "
                                "--dot PATH\n");
            return EXIT_USAGE;
        }
    }
    if (afile_open(&af, out, &e) < 0) {
        free(prog);
        return cli_fail(&e);
    }
    int status = 0;
    if (kind == OUT_DOT) {
        if (fwrite(text->buf, 1, text->len, af.fp) != text->len) {
            err_set(&e, "%s: write failed: %s", out, strerror(errno));
            status = cli_fail(&e);
        }
    } else {
        struct stat st;
        fflush(af.fp);
        if (dot_run_limited(prog, kind == OUT_SVG ? "svg" : "png", text->buf, text->len,
                            fileno(af.fp), lim, &e) < 0) {
            fprintf(stderr, "smsslab render: Graphviz failed: %s\n", e.msg);
            status = EXIT_USAGE;
        } else if (fstat(fileno(af.fp), &st) != 0 || st.st_size == 0) {
            fprintf(stderr, "smsslab render: '%s' wrote nothing\n", prog);
            status = EXIT_USAGE;
        }
    }
    if (status == 0) {
        if (afile_commit(&af, &e) < 0)
            status = cli_fail(&e);
    } else {
        afile_abort(&af);
    }
    free(prog);
    return status;
}

int cmd_render(int argc, char **argv)
{
    enum {
        O_AT = 256,
        O_DOT,
        O_DETAILS,
        O_NOCHECK,
        O_FOCUS,
        O_FORMAT,
        O_SEED,
        O_DOT_TIME,
        O_DOT_MAX,
        O_HOST,
        O_COLLAPSE,
        O_SHOW,
        O_REGISTRY,
        O_MAXW
    };
    static const struct option opts[] = {{"at", required_argument, NULL, O_AT},
                                         {"output", required_argument, NULL, 'o'},
                                         {"dot", required_argument, NULL, O_DOT},
                                         {"dot-timeout", required_argument, NULL, O_DOT_TIME},
                                         {"dot-max-output", required_argument, NULL, O_DOT_MAX},
                                         {"details", no_argument, NULL, O_DETAILS},
                                         {"no-check", no_argument, NULL, O_NOCHECK},
                                         {"focus", required_argument, NULL, O_FOCUS},
                                         {"host", required_argument, NULL, O_HOST},
                                         {"collapse", required_argument, NULL, O_COLLAPSE},
                                         {"show", required_argument, NULL, O_SHOW},
                                         {"registry", no_argument, NULL, O_REGISTRY},
                                         {"max-width", required_argument, NULL, O_MAXW},
                                         {"input-format", required_argument, NULL, O_FORMAT},
                                         {"seed", required_argument, NULL, O_SEED},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = "-", *at_arg = "end", *dot_prog = NULL, *seed_arg = NULL, *host = NULL;
    struct dot_limits lim = {DOT_TIMEOUT_DEFAULT_S, DOT_MAX_OUTPUT_DEFAULT};
    struct dot_opts dopts = {0};
    struct err oe = {""};
    struct cli_input_opts iopts = {NULL, 0, 0};
    int no_check = 0, c;
    uint64_t once = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (cli_once("render", opts, c, NULL, &once))
            return EXIT_USAGE;
        switch (c) {
        case O_AT: at_arg = optarg; break;
        case 'o': out = optarg; break;
        case O_DOT: dot_prog = optarg; break;
        case O_DOT_TIME:
            if (parse_u64(optarg, UINT32_MAX, &lim.timeout_s) < 0)
                return cli_usage_error("render", "--dot-timeout: '%s' is not a number of seconds",
                                       optarg);
            break;
        case O_DOT_MAX:
            if (parse_u64(optarg, UINT64_MAX, &lim.max_output) < 0)
                return cli_usage_error("render", "--dot-max-output: '%s' is not a number of bytes",
                                       optarg);
            break;
        case O_DETAILS: dopts.details = 1; break;
        case O_NOCHECK: no_check = 1; break;
        case O_FOCUS: dopts.focus = optarg; break;
        case O_HOST: host = optarg; break;
        case O_COLLAPSE:
            if (!*optarg || optarg[strspn(optarg, ",")] == '\0')
                return cli_usage_error("render", "--collapse: expected auto, none or names");
            dopts.collapse = optarg;
            break;
        case O_SHOW:
            if (dot_parse_show(optarg, &dopts.show, &oe) < 0)
                return cli_usage_error("render", "--show: %s", oe.msg);
            break;
        case O_REGISTRY: dopts.registry = 1; break;
        case O_MAXW: {
            uint64_t px;
            if (parse_u64(optarg, 1000000, &px) < 0 || (px > 0 && px < 200))
                return cli_usage_error("render",
                                       "--max-width: '%s' is not 0 or a width of 200..1000000 "
                                       "pixels",
                                       optarg);
            dopts.max_width_px = px ? (long)px : -1;
            break;
        }
        case O_FORMAT: iopts.format = optarg; break;
        case O_SEED: seed_arg = optarg; break;
        case 'h': return cli_help("render");
        default: return cli_bad_option("render", c, argv);
        }
    }
    const char *path;
    if (cli_one_input("render", argc, argv, optind, &path))
        return EXIT_USAGE;
    enum out_kind kind;
    if (out_kind(out, &kind) < 0)
        return cli_usage_error("render",
                               "-o '%s': expected a name ending in .dot, .svg or .png, "
                               "or '-'",
                               out);
    if (cli_input_seed("render", seed_arg, &iopts, argv + optind, argc - optind))
        return EXIT_USAGE;
    enum at_kind ak = AT_END;
    int64_t t = 0;
    if (strcmp(at_arg, "end")) {
        if (wt_parse_iso(at_arg, &t) == 0)
            ak = AT_ABS;
        else if (wt_parse_duration(at_arg, WT_MAX, &t) == 0)
            ak = AT_REL;
        else
            return cli_usage_error("render",
                                   "--at: '%s' is neither an ISO time, a duration "
                                   "after boot (30s) nor 'end'",
                                   at_arg);
    }

    if (cli_out_folder("render", out))
        return EXIT_USAGE;
    if (cli_out_clashes("render", out, path, 0))
        return EXIT_USAGE;
    struct err e = {""};
    struct cli_input *in = cli_input_open(path, &iopts, &e);
    if (!in)
        return cli_fail(&e);
    struct snap s;
    snap_init(&s);
    struct chk_findings f = {0};
    struct strbuf text = STRBUF_INIT;
    int status = pick(in, ak, t, at_arg, host, &s);
    cli_input_close(in);
    if (status)
        goto out;
    if (!no_check) {
        struct chk_config cfg = {CHK_INFO, NULL, NULL};
        if (chk_check(&s, &cfg, &f, &e) < 0) {
            status = cli_fail(&e);
            goto out;
        }
    }
    if (dot_write(&text, &s, no_check ? NULL : &f, &dopts, &e) < 0) {
        fprintf(stderr, "smsslab render: %s\n", e.msg);
        status = EXIT_USAGE;
        goto out;
    }
    if (kind != OUT_DOT && !dopts.focus && s.nprocs > 3000)
        fprintf(stderr,
                "smsslab render: note: %zu processes; Graphviz may take a while "
                "(--focus draws one branch)\n",
                s.nprocs);
    status = write_output(out, kind, dot_prog, &lim, &text);
out:
    sb_release(&text);
    chk_findings_release(&f);
    snap_release(&s);
    return status;
}
