/*
 * smsslab: the entry point. Dispatches to the command table and makes sure
 * a failed write to stdout (a full disk, a closed pipe) is an error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "../snap/snap.h"

static const struct cli_cmd commands[] = {
#define CMD(n, s) {#n, cmd_##n, s, cmd_##n##_usage},
#include "commands.def"
#undef CMD
};

const struct cli_cmd *cli_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    /* Arguments are echoed back: a 100 KB one is cut, not repeated whole. */
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "smsslab %s: %s%s", cmd, msg, n >= (int)sizeof(msg) ? "..." : "");
    fprintf(stderr, "\n(see 'smsslab help %s')\n", cmd);
    return EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    int is_long = arg[0] == '-' && arg[1] == '-';
    if (c == ':' && !is_long && optopt > 0 && optopt < 128)
        return cli_usage_error(cmd, "option '-%c' needs a value", optopt);
    if (c == ':')
        return cli_usage_error(cmd, "option '%s' needs a value", arg);
    if (is_long)
        return cli_usage_error(cmd, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
    if (optopt > 0 && optopt < 128)
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_out_clashes(const char *cmd, const char *out, const char *in, int dir_in)
{
    if (!strcmp(out, "-") || !strcmp(in, "-"))
        return 0;
    struct stat so, si;
    if (!dir_in) {
        if (stat(out, &so) != 0 || stat(in, &si) != 0 || so.st_dev != si.st_dev ||
            so.st_ino != si.st_ino)
            return 0;
        return cli_usage_error(cmd, "-o '%.1024s' is also an input: write the output elsewhere",
                               out);
    }
    /* The corpus owns its subfolders and its top-level corpus.json and
     * manifest.jsonl; a report beside them is fine. */
    char *copy = xstrdup(out), *slash = strrchr(copy, '/');
    const char *base = slash ? slash + 1 : copy;
    int owned = !strcmp(base, "manifest.jsonl") || !strcmp(base, "corpus.json");
    const char *parent = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
    char *rp = realpath(parent, NULL), *ri = realpath(in, NULL);
    size_t n = ri ? strlen(ri) : 0;
    int clash =
        rp && ri && !strncmp(rp, ri, n) && ((rp[n] == '\0' && owned) || (rp[n] == '/' && n > 1));
    free(rp);
    free(ri);
    free(copy);
    if (!clash)
        return 0;
    return cli_usage_error(cmd,
                           "-o '%.1024s' is inside the corpus folder '%.1024s': write the "
                           "report elsewhere",
                           out, in);
}

int cli_out_folder(const char *cmd, const char *out)
{
    if (!out || !strcmp(out, "-"))
        return 0;
    const char *slash = strrchr(out, '/');
    if (!slash || slash == out)
        return 0;
    char *dir = xstrdup(out);
    dir[slash - out] = '\0';
    struct stat st;
    int rc = 0;
    if (stat(dir, &st) != 0)
        rc = cli_usage_error(cmd, "-o '%.1024s': the folder '%.1024s' does not exist (%s)", out,
                             dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = cli_usage_error(cmd, "-o '%.1024s': '%.1024s' is not a folder", out, dir);
    free(dir);
    return rc;
}

int cli_once(const char *cmd, const struct option *opts, int c, const char *repeatable,
             uint64_t *seen)
{
    for (size_t i = 0; opts[i].name && i < 64; i++) {
        if (opts[i].val != c || opts[i].has_arg != required_argument)
            continue;
        size_t n = strlen(opts[i].name);
        for (const char *r = repeatable; r && *r; r += strcspn(r, ",") + (r[strcspn(r, ",")] != 0))
            if (strcspn(r, ",") == n && !strncmp(r, opts[i].name, n))
                return 0;
        if (!(*seen & (UINT64_C(1) << i))) {
            *seen |= UINT64_C(1) << i;
            return 0;
        }
        return cli_usage_error(cmd, "option '--%s' given twice: it takes one value", opts[i].name);
    }
    return 0;
}

/* Optimal string alignment distance, ASCII case ignored; 99 past 64 bytes. */
static int osa_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = ascii_lower(a[i - 1]) != ascii_lower(b[j - 1]);
            int best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ascii_lower(a[i - 1]) == ascii_lower(b[j - 2]) &&
                ascii_lower(a[i - 2]) == ascii_lower(b[j - 1]) && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

static size_t common_prefix(const char *a, const char *b)
{
    size_t k = 0;
    while (a[k] && ascii_lower(a[k]) == ascii_lower(b[k]))
        k++;
    return k;
}

const char *cli_closest(const char *word, size_t n, const char *(*name)(size_t i, const void *ctx),
                        const void *ctx)
{
    /* A typo is a third of the word at most (and 1 for short words); on a
     * tie the longer shared start wins, so 'logof' is 'logoff', not 'logon'. */
    size_t len = strlen(word);
    int limit = len < 6 ? 1 : (int)(len / 3), best = limit + 1;
    size_t best_prefix = 0;
    const char *guess = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *cand = name(i, ctx);
        int d = osa_distance(word, cand);
        size_t pre = common_prefix(word, cand);
        if (d < best || (d == best && guess && pre > best_prefix)) {
            best = d;
            best_prefix = pre;
            guess = cand;
        }
    }
    return guess;
}

int cli_fail(const struct err *e)
{
    fprintf(stderr, "smsslab: %s\n", e->msg);
    return EXIT_USAGE;
}

int cli_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return 0;
    return isatty(fileno(f));
}

int cli_is_help(const char *arg)
{
    return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

static const char *command_name(size_t i, const void *ctx)
{
    (void)ctx;
    return i < ARRAY_SIZE(commands) ? commands[i].name : "help";
}

static int not_a_command(const char *cmd)
{
    const char *guess = cli_closest(cmd, ARRAY_SIZE(commands) + 1, command_name, NULL);
    fprintf(stderr, "smsslab: '%.64s%s' is not a command", cmd, strlen(cmd) > 64 ? "..." : "");
    if (guess)
        fprintf(stderr, "; did you mean '%s'?", guess);
    fprintf(stderr, " (see 'smsslab --help')\n");
    return EXIT_USAGE;
}

static void usage(FILE *f);

int cli_help(const char *cmd)
{
    if (!strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    const struct cli_cmd *c = cli_find(cmd);
    if (!c)
        return not_a_command(cmd);
    fputs(c->usage, stdout);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: smsslab [--version] [--help] COMMAND [ARGS]\n\n"
               "smsslab simulates, checks and draws how Windows starts its core processes\n"
               "(System -> smss -> csrss/wininit/winlogon), with ground-truth labels.\n\n"
               "commands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-9s %s\n", "help", "show the help of a command");
    fprintf(f, "\nexit status: 0 ok (check: no findings), 1 findings (check), 2 usage or input "
               "error.\n"
               "'smsslab help COMMAND' shows a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    int rc;
    if (cli_is_help(cmd)) {
        usage(stdout);
        rc = 0;
    } else if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("smsslab %s (snapshot schema %d)\n", SMSSLAB_VERSION, SNAP_VERSION);
        rc = 0;
    } else if (!strcmp(cmd, "help")) {
        if (argc < 3) {
            usage(stdout);
            rc = 0;
        } else {
            rc = cli_help(argv[2]);
        }
    } else {
        const struct cli_cmd *c = cli_find(cmd);
        if (!c)
            return not_a_command(cmd);
        if (argc > 2 && cli_is_help(argv[2]))
            return cli_help(cmd);
        afile_install_signal_cleanup();
        rc = c->fn(argc - 1, argv + 1);
    }
    /* Like git: a failed flush of stdout is an error, not a silent truncation. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno != EPIPE && rc != EXIT_USAGE) /* else the command said so already */
            fprintf(stderr, "smsslab: error writing to standard output: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return rc;
}
