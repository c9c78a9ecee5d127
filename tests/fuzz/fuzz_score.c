/*
 * fuzz_score: the scorer's two readers of untrusted JSON lines -- the
 * detections a third-party detector writes (corpus_score_add_line) and a
 * corpus's ground truth (corpus_truth_load on a manifest) -- then the
 * result and both reports. The first byte picks which: even scores the rest
 * as detection lines against a small real corpus generated once; odd loads
 * the rest as DIR/manifest.jsonl.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../corpus/corpus.h"
#include "../../core/util.h"

static char fz_dir[64];  /* the generated corpus */
static char fz_mdir[64]; /* a folder for fuzzed manifests */
static struct corpus_truth *fz_truth;

static void fz_cleanup(void)
{
    corpus_truth_free(fz_truth);
    fz_truth = NULL;
    if (fz_dir[0]) {
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", fz_dir, fz_mdir);
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz_score: could not remove %s\n", fz_dir);
    }
}

/* Six samples, every anomaly type possible: enough labels of every kind
 * (process, registry, events, record ids) for detections to match. */
static void fz_setup(void)
{
    if (fz_truth)
        return;
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(fz_dir, sizeof(fz_dir), "%.40s/fzscore-XXXXXX", tmp);
    snprintf(fz_mdir, sizeof(fz_mdir), "%.40s/fzscorem-XXXXXX", tmp);
    if (!mkdtemp(fz_dir) || !mkdtemp(fz_mdir))
        abort();
    atexit(fz_cleanup);
    struct corpus_opts o = {.n = 6,
                            .seed = 7,
                            .nshards = 1,
                            .formats = CORPUS_ALL,
                            .rate_ppm = 1000000,
                            .per_file = 3,
                            .dir = fz_dir};
    struct corpus_stats st;
    struct err e;
    if (corpus_run(&o, &st, &e) < 0 || !(fz_truth = corpus_truth_load(fz_dir, &e))) {
        fprintf(stderr, "fuzz_score: setup: %s\n", e.msg);
        abort();
    }
}

static void fz_report(const struct corpus_score *sc)
{
    struct corpus_result r;
    corpus_score_result(sc, &r);
    if (r.tp > r.alerts || r.detected > r.labels || r.precision < 0 || r.precision > 1 ||
        r.recall < 0 || r.recall > 1)
        abort(); /* ratios out of range: a counting bug */
    struct strbuf sb = STRBUF_INIT;
    corpus_score_report(sc, &sb, 0, 5);
    sb_reset(&sb);
    corpus_score_report(sc, &sb, 1, 5);
    sb_release(&sb);
}

/* The body, callable from tests/test_fuzz_regress.c (built with FUZZ_NO_MAIN). */
static int fuzz_score(const uint8_t *data, size_t size)
{
    fz_setup();
    if (size < 1)
        return 0;
    struct err e;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    if (data[0] & 1) {
        char path[96];
        snprintf(path, sizeof(path), "%s/manifest.jsonl", fz_mdir);
        FILE *f = fopen(path, "wb");
        if (!f)
            abort();
        fwrite(p, 1, (size_t)(end - p), f);
        fclose(f);
        struct corpus_truth *t = corpus_truth_load(fz_mdir, &e);
        if (t) {
            struct corpus_score *sc = corpus_score_new(t);
            fz_report(sc);
            corpus_score_free(sc);
            corpus_truth_free(t);
        }
        return 0;
    }
    struct corpus_score *sc = corpus_score_new(fz_truth);
    uint64_t lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        /* A bad line is an error for the command; here the next one still runs. */
        corpus_score_add_line(sc, "fuzz.jsonl", ++lineno, p, n, &e);
        p += n + (nl != NULL);
    }
    fz_report(sc);
    corpus_score_free(sc);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_score(data, size);
}
#endif
