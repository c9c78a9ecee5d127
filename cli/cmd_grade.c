/*
 * smsslab grade: marks for students' answers to a lab (teach/grade.c) -- a
 * CSV of marks per student and exercise, and a summary with feedback.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../teach/teach.h"
#include "cli.h"

const char cmd_grade_usage[] =
    "usage: smsslab grade --key DIR/key [-o marks.csv] ANSWERS.yaml...\n"
    "\n"
    "Mark students' answers to a lab made by 'smsslab lab' (docs/teaching.md). Each\n"
    "answer file is YAML:\n"
    "\n"
    "  student: Alice Example        # optional; default: the file's name\n"
    "  exercises:\n"
    "    1: normal\n"
    "    2: {process: 1724, reason: SMSS-PARENT}     # a pid or a name; a rule id\n"
    "    3: {registry: BootExecute, reason: an extra boot program}   # or free text\n"
    "\n"
    "Per exercise one mark each for the verdict (normal or not), the location (a\n"
    "process or registry value the anomaly touched) and the reason (an expected rule\n"
    "id, the ATT&CK technique, or words from the rule's title); a correct 'normal'\n"
    "earns all three. The summary on standard output gives each student's marks and,\n"
    "for every mark missed, feedback from the rule's explanation.\n"
    "\n"
    "  --key PATH        the lab's key folder (DIR/key) or its key.yaml; required\n"
    "  -o, --output F    write the marks as CSV (F, or '-' for standard output; the\n"
    "                    summary then goes to standard error)\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit status: 0 graded, 2 usage error or a bad key or answer file\n"
    "(file:line:column: message; no marks are written).\n";

#define GRADE_FILE_MAX (1u << 20)

static int load(const char *path, char **buf, size_t *len)
{
    struct err e = {""};
    if (read_file_all(path, GRADE_FILE_MAX, buf, len, &e) < 0)
        return cli_fail(&e);
    return 0;
}

int cmd_grade(int argc, char **argv)
{
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *key_arg = NULL, *out = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_arg = optarg; break;
        case 'o': out = optarg; break;
        case 'h': return cli_help("grade");
        default: return cli_bad_option("grade", c, argv);
        }
    }
    if (!key_arg)
        return cli_usage_error("grade", "no key: give --key DIR/key (written by smsslab lab)");
    if (optind >= argc)
        return cli_usage_error("grade", "no answers: give one or more ANSWERS.yaml");
    struct strbuf key_path = STRBUF_INIT;
    struct stat st;
    if (stat(key_arg, &st) == 0 && S_ISDIR(st.st_mode))
        sb_addf(&key_path, "%s/key.yaml", key_arg);
    else
        sb_adds(&key_path, key_arg);

    char *buf = NULL;
    size_t len = 0;
    struct err e = {""};
    struct teach_key *key = NULL;
    int status = load(key_path.buf, &buf, &len);
    if (status == 0 && !(key = teach_key_parse(key_path.buf, buf, len, &e)))
        status = cli_fail(&e);
    free(buf);
    struct strbuf csv = STRBUF_INIT, summary = STRBUF_INIT;
    sb_adds(&csv, teach_grade_csv_header);
    for (int i = optind; status == 0 && i < argc; i++) {
        struct teach_answers *a = NULL;
        buf = NULL;
        status = load(argv[i], &buf, &len);
        if (status == 0 && !(a = teach_answers_parse(argv[i], buf, len, key, &e)))
            status = cli_fail(&e);
        free(buf);
        if (status == 0) {
            struct teach_mark total;
            teach_grade(key, a, argv[i], &csv, &summary, &total);
        }
        teach_answers_free(a);
    }
    if (status == 0 && out) {
        if (afile_write_all(out, csv.buf, csv.len, &e) < 0)
            status = cli_fail(&e);
    }
    if (status == 0)
        fputs(summary.buf, out && !strcmp(out, "-") ? stderr : stdout);
    sb_release(&csv);
    sb_release(&summary);
    sb_release(&key_path);
    teach_key_free(key);
    return status;
}
