/*
 * smsslab score: measure a detector against a corpus's ground truth
 * (corpus/score.c) and print precision, recall and F1 per anomaly type and
 * overall, with the missed labels and false alerts.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../corpus/corpus.h"
#include "cli.h"

const char cmd_score_usage[] =
    "usage: smsslab score --truth DIR (--detections FILE|- ... | --run-checker) [options]\n"
    "\n"
    "Score alerts against the ground truth of a corpus made by smsslab corpus.\n"
    "Detections are JSON lines (docs/corpus.md): {\"sample\": N, \"pid\": P,\n"
    "\"create_time\": \"...\", \"rule\": \"X\"}, {\"sample\": N, \"registry\": {\"key\": K,\n"
    "\"name\": V}}, {\"sample\": N, \"event\": SEQ} or {\"sample\": N, \"record_id\": R};\n"
    "smsslab check --format json lines are accepted too (their host and snapshot\n"
    "time find the sample). An alert is true when it names something a label\n"
    "touched in that sample; recall counts labels, precision distinct alerts.\n"
    "\n"
    "  --truth DIR         the corpus folder (manifest.jsonl or manifest/part-*.jsonl)\n"
    "  --detections FILE   alerts as JSON lines ('-' = standard input); repeatable\n"
    "  --run-checker       score smsslab's own checker on the corpus's native files\n"
    "  --format F          human (default) or json\n"
    "  --max-list N        missed and false alerts listed in the human report (default 50)\n"
    "  -o, --output F      write the report to F atomically; '-' = stdout (default)\n"
    "  -h, --help          show this help\n"
    "\n"
    "exit status: 0 scored, 2 usage or input error.\n";

int cmd_score(int argc, char **argv)
{
    static const struct option opts[] = {
        {"truth", required_argument, NULL, 't'},    {"detections", required_argument, NULL, 'd'},
        {"run-checker", no_argument, NULL, 'c'},    {"format", required_argument, NULL, 'f'},
        {"max-list", required_argument, NULL, 'm'}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *truth = NULL, *format = "human", *out = "-";
    const char **dets = xcalloc((size_t)argc + 1, sizeof(char *));
    size_t ndets = 0;
    int run_checker = 0, c, status = EXIT_CLEAN;
    uint64_t max_list = 50;
    uint64_t once = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (cli_once("score", opts, c, "detections", &once)) {
            free(dets);
            return EXIT_USAGE;
        }
        switch (c) {
        case 't': truth = optarg; break;
        case 'd': dets[ndets++] = optarg; break;
        case 'c': run_checker = 1; break;
        case 'f': format = optarg; break;
        case 'm':
            if (parse_u64(optarg, 100000000, &max_list) < 0) {
                free(dets);
                return cli_usage_error("score", "--max-list: '%s' is not a count", optarg);
            }
            break;
        case 'o': out = optarg; break;
        case 'h': free(dets); return cli_help("score");
        default: free(dets); return cli_bad_option("score", c, argv);
        }
    }
    if (optind < argc) {
        free(dets);
        return cli_usage_error("score", "unexpected argument '%s'", argv[optind]);
    }
    if (ndets && run_checker) {
        free(dets);
        return cli_usage_error("score", "--detections and --run-checker are alternatives: score "
                                        "one detector at a time");
    }
    if (!truth || (!ndets && !run_checker)) {
        free(dets);
        return cli_usage_error("score", "--truth DIR and --detections FILE or --run-checker "
                                        "are required");
    }
    if (ascii_casecmp(format, "human") && ascii_casecmp(format, "json")) {
        free(dets);
        return cli_usage_error("score", "--format: '%s' is not human or json", format);
    }
    int clash = cli_out_folder("score", out) || cli_out_clashes("score", out, truth, 1);
    for (size_t i = 0; i < ndets && !clash; i++)
        clash = cli_out_clashes("score", out, dets[i], 0);
    if (clash) {
        free(dets);
        return EXIT_USAGE;
    }
    struct err e = {""};
    struct corpus_truth *t = corpus_truth_load(truth, &e);
    if (!t) {
        free(dets);
        return cli_fail(&e);
    }
    struct corpus_score *sc = corpus_score_new(t);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < ndets && !status; i++)
        if (corpus_score_add_file(sc, dets[i], &e) < 0)
            status = cli_fail(&e);
    if (!status && run_checker && corpus_score_run_checker(sc, truth, &e) < 0)
        status = cli_fail(&e);
    if (!status) {
        corpus_score_report(sc, &sb, !ascii_casecmp(format, "json"), (size_t)max_list);
        if (afile_write_all(out, sb.buf, sb.len, &e) < 0)
            status = cli_fail(&e);
    }
    sb_release(&sb);
    corpus_score_free(sc);
    corpus_truth_free(t);
    free(dets);
    return status;
}
