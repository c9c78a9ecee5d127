/*
 * smsslab corpus: generate a labelled corpus (corpus/): parse arguments,
 * show a progress bar on a terminal, print a one-line summary.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "cli.h"

const char cmd_corpus_usage[] =
    "usage: smsslab corpus -n N --seed S -o DIR [options]\n"
    "\n"
    "Generate N labelled boots: each sample is a randomised Windows boot (OS,\n"
    "host, domain and user names, console and RDP sessions with logons and\n"
    "logoffs, timing, hard negatives) with anomalies from the catalogue at the\n"
    "given rate. Samples are written K to a file in each format, with the ground\n"
    "truth in DIR/manifest.jsonl (docs/corpus.md). Sample i depends only on S and\n"
    "i: the same arguments give byte-identical files, and the shards of a\n"
    "--shard run together are exactly the unsharded corpus.\n"
    "\n"
    "  -n N                 number of samples (1..10^12)\n"
    "  --seed S             corpus seed (0..2^64-1)\n"
    "  -o, --output DIR     output folder (created)\n"
    "  --formats LIST       native,sysmon,ecs,csv,evtx,registry or all (default all);\n"
    "                       also security-xml,security-evtx (Security 4688/4689)\n"
    "                       and hive (SYSTEM and SOFTWARE regf hives per sample)\n"
    "  --anomaly-rate P     share of samples with anomalies, 0..1 or 0..100% (default 0.5)\n"
    "  --anomalies LIST     draw only these anomaly types (comma-separated)\n"
    "  --per-file K         samples per part file (default 1000)\n"
    "  --shard K/M          write only part files f with f mod M = K (0 <= K < M)\n"
    "  --resume             keep part files that exist (complete by construction) and\n"
    "                       remove this shard's temporary files left by a killed run\n"
    "  -q, --quiet          no progress bar\n"
    "  -h, --help           show this help\n"
    "\n"
    "The progress bar goes to standard error only when it is a terminal and\n"
    "NO_COLOR is unset or empty. Past 1 GB the expected size and the free space\n"
    "are said first.\n"
    "\n"
    "exit status: 0 ok, 2 usage or generation error.\n";

struct progress {
    int on;
    struct timespec t0;
};

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show(void *ctx, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    if (!p->on)
        return;
    double el = since(&p->t0);
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r[%s] %llu/%llu samples  %.0f/s  ETA %dm%02ds ", bar,
            (unsigned long long)done, (unsigned long long)total, rate, (int)(eta / 60),
            (int)eta % 60);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* "a,b,c" -> a NULL-free array of strings pointing into the copy. */
static char **split_list(char *s, size_t *n)
{
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    char **v = xcalloc(cap, sizeof(char *));
    *n = 0;
    for (char *p = s; *p;) {
        size_t len = strcspn(p, ",");
        if (len)
            v[(*n)++] = p;
        if (!p[len])
            break;
        p[len] = 0;
        p += len + 1;
    }
    return v;
}

/* Create the folders above dir that do not exist yet. */
static int make_parents(const char *dir, struct err *e)
{
    char *p = xstrdup(dir);
    int rc = 0;
    for (char *s = strchr(p + 1, '/'); s && !rc; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            err_set(e, "%s: cannot create folder '%s': %s", dir, p, strerror(errno));
            rc = -1;
        }
        *s = '/';
    }
    free(p);
    return rc;
}

/* Bytes per sample in each format (measured: 200 samples at rate 0.5,
 * December 2026; registry, security-xml, security-evtx and hive: 3,000
 * samples), for an estimate before a big run. */
static const double sample_bytes[CORPUS_NFORMATS] = {102e3, 160e3, 189e3, 15e3, 136e3,
                                                     6e3,   102e3, 60e3,  31e3};

/* Say how much a big corpus will write, and whether the disk holds it. */
static void estimate(const struct corpus_opts *o)
{
    double per = 0;
    for (unsigned f = 0; f < CORPUS_NFORMATS; f++)
        if (o->formats & (1u << f))
            per += sample_bytes[f];
    /* A shard writes the part files f with f mod M = K. */
    uint64_t parts = (o->n + o->per_file - 1) / o->per_file;
    uint64_t mine = o->shard < parts ? (parts - 1 - o->shard) / o->nshards + 1 : 0;
    uint64_t samples = mine * o->per_file < o->n ? mine * o->per_file : o->n;
    double total = per * (double)samples;
    if (total < 1e9)
        return;
    fprintf(stderr, "smsslab corpus: this writes about %.1f GB (~%.0f KB per sample)", total / 1e9,
            per / 1e3);
    struct statvfs vs;
    char *parent = xstrdup(o->dir);
    struct stat st;
    while (stat(parent, &st) != 0 && strrchr(parent, '/'))
        *strrchr(parent, '/') = '\0';
    if (statvfs(stat(parent, &st) == 0 ? parent : ".", &vs) == 0) {
        double avail = (double)vs.f_bavail * (double)vs.f_frsize;
        fprintf(stderr, "; %.1f GB free there%s", avail / 1e9,
                avail < total ? ": NOT ENOUGH, stop with Ctrl-C (--resume continues later)" : "");
    }
    fputc('\n', stderr);
    free(parent);
}

int cmd_corpus(int argc, char **argv)
{
    static const struct option opts[] = {{"seed", required_argument, NULL, 's'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"formats", required_argument, NULL, 'f'},
                                         {"anomaly-rate", required_argument, NULL, 'r'},
                                         {"anomalies", required_argument, NULL, 'a'},
                                         {"per-file", required_argument, NULL, 'k'},
                                         {"shard", required_argument, NULL, 'S'},
                                         {"resume", no_argument, NULL, 'R'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct corpus_opts o = {0};
    o.nshards = 1;
    o.formats = CORPUS_ALL;
    o.rate_ppm = CORPUS_PPM / 2;
    o.per_file = 1000;
    int have_n = 0, have_seed = 0, quiet = 0;
    char *types_copy = NULL;
    char **types = NULL;
    struct err e = {""};
    int c, status = EXIT_CLEAN;
    uint64_t once = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:s:o:qh", opts, NULL)) != -1) {
        if (cli_once("corpus", opts, c, NULL, &once)) {
            status = EXIT_USAGE;
            goto out;
        }
        switch (c) {
        case 'n':
            if (parse_u64(optarg, CORPUS_MAX_N, &o.n) < 0 || !o.n) {
                status = cli_usage_error("corpus", "-n: '%s' is not a count in 1..10^12", optarg);
                goto out;
            }
            have_n = 1;
            break;
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &o.seed) < 0) {
                status = cli_usage_error("corpus", "--seed: '%s' is not an integer in 0..2^64-1",
                                         optarg);
                goto out;
            }
            have_seed = 1;
            break;
        case 'o': o.dir = optarg; break;
        case 'f':
            if (corpus_parse_formats(optarg, &o.formats, &e) < 0) {
                status = cli_usage_error("corpus", "--formats: %s", e.msg);
                goto out;
            }
            break;
        case 'r':
            if (corpus_parse_rate(optarg, &o.rate_ppm, &e) < 0) {
                status = cli_usage_error("corpus", "--anomaly-rate: %s", e.msg);
                goto out;
            }
            break;
        case 'a':
            free(types_copy);
            free(types);
            types_copy = xstrdup(optarg);
            types = split_list(types_copy, &o.ntypes);
            if (!o.ntypes) {
                status = cli_usage_error("corpus", "--anomalies: the list is empty");
                goto out;
            }
            o.types = (const char *const *)types;
            break;
        case 'k':
            if (parse_u64(optarg, 100000000, &o.per_file) < 0 || !o.per_file) {
                status =
                    cli_usage_error("corpus", "--per-file: '%s' is not a count in 1..10^8", optarg);
                goto out;
            }
            break;
        case 'S':
            if (corpus_parse_shard(optarg, &o.shard, &o.nshards, &e) < 0) {
                status = cli_usage_error("corpus", "--shard: %s", e.msg);
                goto out;
            }
            break;
        case 'R': o.resume = 1; break;
        case 'q': quiet = 1; break;
        case 'h': status = cli_help("corpus"); goto out;
        default: status = cli_bad_option("corpus", c, argv); goto out;
        }
    }
    if (optind < argc) {
        status = cli_usage_error("corpus", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!have_n || !have_seed || !o.dir) {
        status = cli_usage_error("corpus", "-n N, --seed S and -o DIR are required");
        goto out;
    }
    if (!*o.dir || !strcmp(o.dir, "-")) {
        status = cli_usage_error("corpus", "-o '%s': a corpus is a folder; name one", o.dir);
        goto out;
    }
    /* mkdir -p, as other tools do: corpus_run creates the last folder. */
    if (make_parents(o.dir, &e) < 0) {
        status = cli_fail(&e);
        goto out;
    }
    if (!quiet)
        estimate(&o);
    struct progress pr = {0};
    /* An empty NO_COLOR counts as unset (no-color.org), as check has it. */
    pr.on = !quiet && cli_color(stderr);
    clock_gettime(CLOCK_MONOTONIC, &pr.t0);
    o.progress = show;
    o.progress_ctx = &pr;
    afile_install_signal_cleanup();
    struct corpus_stats st;
    if (corpus_run(&o, &st, &e) < 0) {
        if (pr.on)
            fputc('\n', stderr);
        status = cli_fail(&e);
        goto out;
    }
    if (!quiet) {
        uint64_t bytes = 0;
        for (unsigned f = 0; f <= CORPUS_NFORMATS; f++)
            bytes += st.bytes[f];
#define PL(n) (n) == 1 ? "" : "s"
        fprintf(stderr,
                "smsslab corpus: %llu sample%s written (%llu anomal%s) in %llu part%s, "
                "%llu part%s already complete, %.1f MB%s\n",
                (unsigned long long)st.samples, PL(st.samples), (unsigned long long)st.anomalies,
                st.anomalies == 1 ? "y" : "ies", (unsigned long long)st.parts, PL(st.parts),
                (unsigned long long)st.parts_skipped, PL(st.parts_skipped), (double)bytes / 1e6,
                st.manifest_complete ? "; manifest.jsonl complete" : "");
        if (st.stale_removed)
            fprintf(stderr, "smsslab corpus: removed %llu temporary file%s left by a killed run\n",
                    (unsigned long long)st.stale_removed, PL(st.stale_removed));
#undef PL
    }
out:
    free(types);
    free(types_copy);
    return status;
}
