/*
 * smsslab lab: N "spot the anomaly" exercises and the instructor's key
 * (teach/lab.c draws them). The whole lab is written into a temporary folder
 * beside DIR and renamed into place at the end, so DIR holds a complete lab
 * or nothing.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../render/dot.h"
#include "cli.h"
#include "input.h"
#include "teach_input.h"

const char cmd_lab_usage[] =
    "usage: smsslab lab -n N --seed S -o DIR [--difficulty easy|medium|hard|mixed]\n"
    "                   [--hard-negatives K] [--topics LIST]\n"
    "                   [--formats native,sysmon,evtx,table,picture]\n"
    "                   [--dot PATH]\n"
    "\n"
    "Make N 'spot the anomaly' exercises and the instructor's key (docs/teaching.md).\n"
    "Some exercises are normal; each of the others holds one anomaly. For students:\n"
    "DIR/exercises.md and DIR/exercises.html (the sheet) and DIR/exercise-NN/ with the\n"
    "host's data, which gives no answer away. For the instructor: DIR/key/ with\n"
    "key.yaml (what 'smsslab grade' reads), answers.md (the rules, what normal looks\n"
    "like, why it matters, ATT&CK) and exercise-NN.svg (the tree with its findings).\n"
    "\n"
    "  -n N                 exercises, 1..500; required\n"
    "  --seed S             the lab's seed, 0..2^64-1; required\n"
    "  -o, --output DIR     a new or empty folder; required\n"
    "  --difficulty D       easy: a blatant anomaly (wrong parent, path or user of a\n"
    "                       core process) on a one-session host; medium: one among\n"
    "                       hard negatives; hard: a look-alike name, a registry value\n"
    "                       or a timing, with RDP sessions; mixed (default): the first\n"
    "                       third easy, then medium, then hard\n"
    "  --hard-negatives K   odd-but-normal variants per exercise, 0..8 (default: easy 0,\n"
    "                       medium 2, hard 3)\n"
    "  --topics LIST        only anomalies about these, comma-separated: a process\n"
    "                       (smss, csrss, winlogon, lsass, services, svchost, ...),\n"
    "                       registry, lookalike, ... ('smsslab lab --topics help'\n"
    "                       lists them all); derived from each anomaly type's first\n"
    "                       rule. Normal exercises stay normal\n"
    "  --formats LIST       the student's files, comma-separated (default all):\n"
    "                       native (host.json), sysmon (host-sysmon.xml),\n"
    "                       evtx (host-sysmon.evtx), table (host-processes.txt),\n"
    "                       picture (host-tree.svg)\n"
    "  --dot PATH           the Graphviz 'dot' program (default: 'dot' on PATH)\n"
    "  -h, --help           show this help\n"
    "\n"
    "The same arguments always give byte-identical files. Graphviz draws the pictures\n"
    "(apt-get install graphviz).\n"
    "exit status: 0 written, 2 usage or output error (DIR is not created).\n";

struct out {
    const char *tmp; /* the temporary lab folder */
    const char *dot; /* Graphviz, found */
    struct err e;
};

static int put(struct out *o, const char *rel, const struct strbuf *sb)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", o->tmp, rel) >= sizeof(path)) {
        err_set(&o->e, "%s/%s: path too long", o->tmp, rel);
        return -1;
    }
    return afile_write_all(path, sb->buf ? sb->buf : "", sb->len, &o->e);
}

/* The tree as SVG through Graphviz; findings NULL draws the student's tree. */
static int picture(struct out *o, const char *rel, struct snap *s, const struct chk_findings *f)
{
    struct strbuf text = STRBUF_INIT, svg = STRBUF_INIT;
    /* The classroom defaults, with the registry panel: a hard exercise can be
     * a Session Manager or Winlogon value, which the tree alone does not show. */
    struct dot_opts dopts = {.registry = 1};
    struct dot_limits lim = {DOT_TIMEOUT_DEFAULT_S, DOT_MAX_OUTPUT_DEFAULT};
    FILE *tmp = NULL;
    int rc = -1;
    if (dot_write(&text, s, f, &dopts, &o->e) == 0 && (tmp = tmpfile()) != NULL &&
        dot_run_limited(o->dot, "svg", text.buf, text.len, fileno(tmp), &lim, &o->e) == 0) {
        char buf[65536];
        size_t n;
        rewind(tmp);
        while ((n = fread(buf, 1, sizeof(buf), tmp)) > 0)
            sb_add(&svg, buf, n);
        if (ferror(tmp) || svg.len == 0)
            err_set(&o->e, "'%s' wrote no SVG for %s", o->dot, rel);
        else
            rc = put(o, rel, &svg);
    } else if (!tmp && !o->e.msg[0]) {
        err_set(&o->e, "a temporary file for Graphviz: %s", strerror(errno));
    }
    if (tmp)
        fclose(tmp);
    sb_release(&text);
    sb_release(&svg);
    return rc;
}

static int write_exercise(struct out *o, unsigned formats, struct teach_exercise *x)
{
    char dir[64], rel[128];
    snprintf(dir, sizeof(dir), "exercise-%02u", x->number);
    snprintf(rel, sizeof(rel), "%s/%s", o->tmp, dir);
    if (mkdir(rel, 0777) != 0) {
        err_set(&o->e, "%s: %s", rel, strerror(errno));
        return -1;
    }
    struct strbuf sb = STRBUF_INIT;
    int rc = 0;
    if (formats & TEACH_LAB_NATIVE) {
        teach_lab_snapshot_json(&sb, x);
        snprintf(rel, sizeof(rel), "%s/%s", dir, TEACH_LAB_F_NATIVE);
        rc = put(o, rel, &sb);
    }
    if (rc == 0 && (formats & TEACH_LAB_SYSMON)) {
        sb_reset(&sb);
        teach_lab_sysmon(&sb, x);
        snprintf(rel, sizeof(rel), "%s/%s", dir, TEACH_LAB_F_SYSMON);
        rc = put(o, rel, &sb);
    }
    if (rc == 0 && (formats & TEACH_LAB_EVTX)) {
        struct afile af = {0};
        snprintf(rel, sizeof(rel), "%s/%s/%s", o->tmp, dir, TEACH_LAB_F_EVTX);
        rc = afile_open(&af, rel, &o->e);
        if (rc == 0 && teach_lab_evtx(af.fp, rel, x, &o->e) < 0)
            rc = -1, afile_abort(&af);
        else if (rc == 0)
            rc = afile_commit(&af, &o->e);
    }
    if (rc == 0 && (formats & TEACH_LAB_TABLE)) {
        sb_reset(&sb);
        teach_lab_table(&sb, x);
        snprintf(rel, sizeof(rel), "%s/%s", dir, TEACH_LAB_F_TABLE);
        rc = put(o, rel, &sb);
    }
    if (rc == 0 && (formats & TEACH_LAB_PICTURE)) {
        struct snap plain;
        snap_init(&plain);
        cli_snap_copy(&plain, &x->snap);
        teach_lab_strip(&plain);
        snprintf(rel, sizeof(rel), "%s/%s", dir, TEACH_LAB_F_PICTURE);
        rc = picture(o, rel, &plain, NULL);
        snap_release(&plain);
    }
    if (rc == 0) {
        snprintf(rel, sizeof(rel), "key/exercise-%02u.svg", x->number);
        rc = picture(o, rel, &x->snap, &x->findings);
    }
    sb_release(&sb);
    return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* An existing DIR must be an empty folder: a lab never mixes with other files. */
static int dir_usable(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? 0 : cli_usage_error("lab", "-o '%s': %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return cli_usage_error("lab", "-o '%s' exists and is not a folder", dir);
    if (rmdir(dir) == 0) { /* empty: made again by the final rename */
        return 0;
    }
    return cli_usage_error("lab", "-o '%s' is not empty: give a new or empty folder", dir);
}

int cmd_lab(int argc, char **argv)
{
    enum { O_SEED = 256, O_DIFF, O_HARD, O_FORMATS, O_DOT, O_TOPICS };
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"seed", required_argument, NULL, O_SEED},
                                         {"difficulty", required_argument, NULL, O_DIFF},
                                         {"hard-negatives", required_argument, NULL, O_HARD},
                                         {"formats", required_argument, NULL, O_FORMATS},
                                         {"topics", required_argument, NULL, O_TOPICS},
                                         {"dot", required_argument, NULL, O_DOT},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *n_arg = NULL, *seed_arg = NULL, *dot_prog = "dot";
    struct teach_lab_opts lo = {0, 0, TEACH_MIXED, -1, TEACH_LAB_ALL, {.n = 0}};
    struct err e = {""};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': n_arg = optarg; break;
        case 'o': out = optarg; break;
        case O_SEED: seed_arg = optarg; break;
        case O_DIFF:
            if (teach_difficulty_parse(optarg, &lo.difficulty) < 0)
                return cli_usage_error(
                    "lab", "--difficulty '%.64s': expected easy, medium, hard or mixed", optarg);
            break;
        case O_HARD: {
            uint64_t k;
            if (parse_u64(optarg, TEACH_LAB_MAX_HARD_NEGATIVES, &k) < 0)
                return cli_usage_error("lab", "--hard-negatives '%.64s': expected 0..%d", optarg,
                                       TEACH_LAB_MAX_HARD_NEGATIVES);
            lo.hard_negatives = (int)k;
            break;
        }
        case O_FORMATS:
            if (teach_lab_parse_formats(optarg, &lo.formats, &e) < 0)
                return cli_usage_error("lab", "--formats: %s", e.msg);
            break;
        case O_TOPICS:
            if (!strcmp(optarg, "help")) {
                struct teach_topics all;
                teach_lab_topics_all(&all);
                for (size_t k = 0; k < all.n; k++)
                    printf("%s\n", all.v[k]);
                return 0;
            }
            if (teach_lab_parse_topics(optarg, &lo.topics, &e) < 0)
                return cli_usage_error("lab", "--topics: %s", e.msg);
            break;
        case O_DOT: dot_prog = optarg; break;
        case 'h': return cli_help("lab");
        default: return cli_bad_option("lab", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("lab", "unexpected argument '%.256s'", argv[optind]);
    if (!n_arg)
        return cli_usage_error("lab", "how many exercises? give -n N");
    if (parse_u64(n_arg, TEACH_LAB_MAX_N, &lo.n) < 0 || lo.n == 0)
        return cli_usage_error("lab", "-n '%.64s': expected 1..%d", n_arg, TEACH_LAB_MAX_N);
    if (!seed_arg)
        return cli_usage_error("lab", "no seed: give --seed S (the same seed, the same lab)");
    if (parse_u64(seed_arg, UINT64_MAX, &lo.seed) < 0)
        return cli_usage_error("lab", "--seed '%.64s' is not an integer in 0..2^64-1", seed_arg);
    if (!out || !*out)
        return cli_usage_error("lab", "no output folder: give -o DIR");
    if (teach_lab_check_topics(&lo, &e) < 0)
        return cli_usage_error("lab", "--topics: %s", e.msg);
    char *dot = dot_find_program(dot_prog);
    if (!dot) {
        fprintf(stderr,
                "smsslab lab: the Graphviz program '%s' was not found; install it with "
                "'apt-get install graphviz' or pass --dot PATH\n",
                dot_prog);
        return EXIT_USAGE;
    }
    /* "-o lab/" names the folder lab: its temporary sibling is lab.tmp-PID,
     * not a file inside a folder that does not exist yet. */
    char outbuf[4096];
    snprintf(outbuf, sizeof(outbuf), "%s", out);
    for (size_t l = strlen(outbuf); l > 1 && outbuf[l - 1] == '/'; l--)
        outbuf[l - 1] = '\0';
    out = outbuf;
    if (dir_usable(out)) {
        free(dot);
        return EXIT_USAGE;
    }

    struct strbuf tmpdir = STRBUF_INIT;
    sb_addf(&tmpdir, "%s.tmp-%ld", out, (long)getpid());
    struct out o = {tmpdir.buf, dot, {""}};
    char keydir[4096];
    snprintf(keydir, sizeof(keydir), "%s/key", tmpdir.buf);
    int status = 0;
    if (mkdir(tmpdir.buf, 0777) != 0 || mkdir(keydir, 0777) != 0) {
        fprintf(stderr, "smsslab lab: cannot create '%s': %s\n", tmpdir.buf, strerror(errno));
        rmdir(tmpdir.buf);
        sb_release(&tmpdir);
        free(dot);
        return EXIT_USAGE;
    }

    size_t n = (size_t)lo.n;
    struct teach_exercise *xs = xcalloc(n, sizeof(*xs));
    unsigned char *normal = xcalloc(n, 1);
    teach_lab_normals(&lo, normal);
    size_t made = 0;
    for (size_t i = 0; i < n; i++) {
        made = i + 1;
        if (teach_lab_exercise(&xs[i], &lo, (unsigned)i + 1, normal[i], &o.e) < 0 ||
            write_exercise(&o, lo.formats, &xs[i]) < 0) {
            status = EXIT_USAGE;
            break;
        }
    }
    struct strbuf sb = STRBUF_INIT;
    if (status == 0) {
        teach_lab_sheet_md(&sb, &lo, xs, n);
        status = put(&o, "exercises.md", &sb) < 0 ? EXIT_USAGE : 0;
    }
    if (status == 0) {
        sb_reset(&sb);
        teach_lab_sheet_html(&sb, &lo, xs, n);
        status = put(&o, "exercises.html", &sb) < 0 ? EXIT_USAGE : 0;
    }
    if (status == 0) {
        sb_reset(&sb);
        teach_lab_key_yaml(&sb, &lo, xs, n);
        status = put(&o, "key/key.yaml", &sb) < 0 ? EXIT_USAGE : 0;
    }
    if (status == 0) {
        sb_reset(&sb);
        teach_lab_key_md(&sb, &lo, xs, n);
        status = put(&o, "key/answers.md", &sb) < 0 ? EXIT_USAGE : 0;
    }
    if (status == 0 && rename(tmpdir.buf, out) != 0) {
        err_set(&o.e, "renaming '%s' to '%s': %s", tmpdir.buf, out, strerror(errno));
        status = EXIT_USAGE;
    }
    if (status != 0) {
        fprintf(stderr, "smsslab lab: %s\n", o.e.msg);
        nftw(tmpdir.buf, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    } else {
        size_t nnormal = 0;
        for (size_t i = 0; i < n; i++)
            nnormal += normal[i];
        printf("wrote %zu exercises (%zu normal) to %s; the key is %s/key/\n", n, nnormal, out,
               out);
    }
    for (size_t i = 0; i < made; i++)
        teach_exercise_release(&xs[i]);
    free(xs);
    free(normal);
    sb_release(&sb);
    sb_release(&tmpdir);
    free(dot);
    return status;
}
