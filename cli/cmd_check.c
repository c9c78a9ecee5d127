/*
 * smsslab check: read snapshots (smsslab JSON, a scenario, or real data via
 * cli_input), run the rule engine, and report findings as a human report or
 * one JSON object per line. Findings repeated in several snapshots of one
 * document are reported once.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../checker/chk.h"
#include "../core/jsonw.h"
#include "cli.h"
#include "input.h"

const char cmd_check_usage[] =
    "usage: smsslab check [options] [FILE|-|SCENARIO.yaml]...\n"
    "\n"
    "Check every snapshot in the inputs (default '-': standard input) against the\n"
    "rule base (smsslab rules) and report what is unusual: the process or registry\n"
    "value, what normal looks like, why it matters and the ATT&CK technique.\n"
    "A scenario (.yaml) is simulated first. A host's SYSTEM and SOFTWARE registry\n"
    "hives given with its .evtx logs are read as one snapshot of that host.\n"
    "Findings repeated in several snapshots of one document are reported once.\n"
    "Rules whose inputs the source does not record are listed on standard error\n"
    "as not evaluated.\n"
    "\n"
    "  --format F          human (default) or json (one object per line per finding)\n"
    "  --min-severity S    report only info|low|medium|high|critical and above\n"
    "  --rules ID,...      evaluate only these rules\n"
    "  --ignore ID,...     do not evaluate these rules\n"
    "  --input-format F    auto (default: detected from the content), native, evtx,\n"
    "                      xml, nxlog, ecs, ndjson, vol3-csv, vol3-json, vol3-jsonl,\n"
    "                      cim-json, json or hive (docs/readers.md)\n"
    "  --seed N            seed for scenario inputs\n"
    "  -o, --output F      write the report to F atomically; '-' = stdout (default)\n"
    "  -h, --help          show this help\n"
    "\n"
    "environment: SMSSLAB_MAX_MEMORY=SIZE bounds the events held while host data\n"
    "is read (default 2G; docs/readers.md); NO_COLOR turns colour off.\n"
    "exit status: 0 no findings, 1 findings, 2 usage or input error.\n";

struct report {
    FILE *fp;
    int json, color;
    size_t nfind, nsnaps, by_sev[CHK_CRITICAL + 1];
};

static const char *sev_color(enum chk_severity s)
{
    switch (s) {
    case CHK_CRITICAL: return "\033[1;35m";
    case CHK_HIGH: return "\033[1;31m";
    case CHK_MEDIUM: return "\033[33m";
    case CHK_LOW: return "\033[36m";
    default: return "";
    }
}

static void human(struct report *rp, struct strbuf *sb, const struct snap *s,
                  const struct chk_finding *f)
{
    const struct chk_rule *r = f->rule;
    char sev[16];
    size_t k = 0;
    for (const char *c = chk_severity_name(r->severity); *c && k + 1 < sizeof(sev); c++)
        sev[k++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    sev[k] = 0;
    if (rp->color)
        sb_addf(sb, "%s%-8s\033[0m \033[1m%s\033[0m  %s\n", sev_color(r->severity), sev, r->id,
                r->title);
    else
        sb_addf(sb, "%-8s %s  %s\n", sev, r->id, r->title);
    if (f->proc >= 0) {
        const struct snap_proc *p = &s->procs[f->proc];
        char t[WT_ISO_LEN] = "?";
        if (p->create_time != WT_NONE)
            wt_format_iso(p->create_time, t);
        sb_addf(sb, "  process: %s pid %lu session ", snap_proc_basename(p), (unsigned long)p->pid);
        if (p->session == SNAP_NO_SESSION)
            sb_adds(sb, "-");
        else
            sb_addi64(sb, p->session);
        sb_addf(sb, " created %s\n", t);
    } else if (f->reg >= 0) {
        sb_addf(sb, "  registry: %s\\%s\n", s->regs[f->reg].key, s->regs[f->reg].name);
    }
    if (s->host || s->at != WT_NONE) {
        char t[WT_ISO_LEN] = "?";
        if (s->at != WT_NONE)
            wt_format_iso(s->at, t);
        sb_addf(sb, "  snapshot: host %s at %s\n", s->host ? s->host : "?", t);
    }
    sb_addf(sb, "  %s\n", f->message);
    size_t before = sb->len;
    sb_adds(sb, "  evidence: ");
    size_t mark = sb->len;
    chk_evidence_text(sb, s, f);
    if (sb->len == mark)
        sb->len = before, sb->buf[before] = 0; /* nothing to say */
    else
        sb_addc(sb, '\n');
    sb_addf(sb, "  normal: %s\n", r->normal);
    sb_addf(sb, "  why:    %s\n", r->rationale);
    sb_addf(sb, "  ATT&CK: %s\n\n", r->technique);
}

static int emit(struct report *rp, struct strbuf *sb)
{
    if (!sb->len)
        return 0; /* an empty strbuf has no buffer at all */
    int ok = fwrite(sb->buf, 1, sb->len, rp->fp) == sb->len;
    sb_reset(sb);
    return ok ? 0 : -1;
}

static const char *rule_name(size_t i, const void *ctx)
{
    (void)ctx;
    return chk_rules[i].id;
}

/* The next id of a --rules/--ignore list into id; the rest of the list. */
static const char *next_id(const char *list, char *id, size_t cap)
{
    list += strspn(list, ", ");
    size_t n = strcspn(list, ", ");
    snprintf(id, cap, "%.*s", (int)n, list);
    return list + n;
}

/* Unknown ids get a suggestion; an id both asked for and ignored would make
 * the check silently check nothing, so it is refused. */
static int check_rule_lists(const char *only, const char *ignore)
{
    char id[128], other[128];
    for (int which = 0; which < 2; which++) {
        const char *l = which ? ignore : only;
        for (l = l ? next_id(l, id, sizeof(id)) : NULL; l && id[0];
             l = next_id(l, id, sizeof(id))) {
            if (chk_rule_find(id))
                continue;
            const char *guess = cli_closest(id, chk_nrules, rule_name, NULL);
            if (guess)
                return cli_usage_error("check", "%s: unknown rule '%s'; did you mean '%s'?",
                                       which ? "--ignore" : "--rules", id, guess);
            return cli_usage_error("check", "%s: unknown rule '%s' (see 'smsslab rules')",
                                   which ? "--ignore" : "--rules", id);
        }
    }
    for (const char *l = only ? next_id(only, id, sizeof(id)) : NULL; l && id[0];
         l = next_id(l, id, sizeof(id)))
        for (const char *m = ignore ? next_id(ignore, other, sizeof(other)) : NULL; m && other[0];
             m = next_id(m, other, sizeof(other)))
            if (chk_rule_find(id) == chk_rule_find(other))
                return cli_usage_error("check",
                                       "rule '%s' is both in --rules and in --ignore: that "
                                       "would check nothing for it; name it in one of them",
                                       chk_rule_find(id)->id);
    return 0;
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"min-severity", required_argument, NULL, 'm'},
                                         {"rules", required_argument, NULL, 'r'},
                                         {"ignore", required_argument, NULL, 'i'},
                                         {"input-format", required_argument, NULL, 'I'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct chk_config cfg = {CHK_INFO, NULL, NULL};
    struct cli_input_opts io = {NULL, 0, 0};
    const char *format = "human", *out = "-";
    /* Reachable from here until the end, whichever return is taken. */
    static struct strbuf only, ignore;
    sb_reset(&only);
    sb_reset(&ignore);
    int c;
    uint64_t once = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (cli_once("check", opts, c, "rules,ignore", &once))
            return EXIT_USAGE;
        switch (c) {
        case 'f': format = optarg; break;
        case 'm':
            if (chk_severity_parse(optarg, &cfg.min_severity) < 0)
                return cli_usage_error("check",
                                       "--min-severity: '%s' is not one of info, low, "
                                       "medium, high, critical",
                                       optarg);
            break;
        case 'r':
        case 'i':
            /* Repeated lists add up; an empty one is a mistake, not "no rules". */
            if (!optarg[strspn(optarg, ", ")]) {
                return cli_usage_error("check", "%s: no rule ids given",
                                       c == 'r' ? "--rules" : "--ignore");
            }
            sb_addf(c == 'r' ? &only : &ignore, "%s%s",
                    (c == 'r' ? only.len : ignore.len) ? "," : "", optarg);
            break;
        case 'I': io.format = optarg; break;
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &io.seed) < 0)
                return cli_usage_error("check", "--seed: '%s' is not an integer in 0..2^64-1",
                                       optarg);
            io.have_seed = 1;
            break;
        case 'o': out = optarg; break;
        case 'h': return cli_help("check");
        default: return cli_bad_option("check", c, argv);
        }
    }
    if (ascii_casecmp(format, "human") && ascii_casecmp(format, "json"))
        return cli_usage_error("check", "--format: '%s' is not human or json", format);
    if (cli_out_folder("check", out))
        return EXIT_USAGE;
    for (int a = optind; a < argc; a++)
        if (cli_out_clashes("check", out, argv[a], 0))
            return EXIT_USAGE;
    if (io.have_seed)
        cli_input_warn_seed("check", argv + optind, argc - optind);
    cfg.only = only.len ? only.buf : NULL;
    cfg.ignore = ignore.len ? ignore.buf : NULL;
    if (check_rule_lists(cfg.only, cfg.ignore))
        return EXIT_USAGE;
    struct err e = {""};
    struct snap s;
    struct chk_findings fs = {0};
    snap_init(&s);
    /* Validate --rules/--ignore before reading anything. */
    if (chk_check(&s, &cfg, &fs, &e) < 0) {
        chk_findings_release(&fs);
        snap_release(&s);
        return cli_usage_error("check", "%s", e.msg);
    }
    struct afile af = {0};
    if (afile_open(&af, out, &e) < 0) {
        chk_findings_release(&fs);
        snap_release(&s);
        return cli_fail(&e);
    }
    struct report rp = {af.fp, !ascii_casecmp(format, "json"), 0, 0, 0, {0}};
    rp.color = !rp.json && af.is_stdout && cli_color(stdout);
    unsigned char *skipped = xcalloc(chk_nrules, 1);
    struct chk_dedup *dedup = chk_dedup_new();
    struct strbuf sb = STRBUF_INIT;
    int status = 0, werr = 0;
    int ninputs = argc - optind;
    if (!ninputs && isatty(STDIN_FILENO))
        /* Not a hang: say what standard input should hold. */
        fprintf(stderr, "smsslab check: reading snapshots from standard input (a terminal); "
                        "pass a file (smsslab check boot.json), pipe data in, or press Ctrl-D "
                        "to stop. See 'smsslab help check'\n");
    /* A host's registry hives given with its .evtx logs are one input: one
     * snapshot holds the processes and the registry (docs/readers.md). Only
     * when the hives can be one host's: at most one SYSTEM and one SOFTWARE
     * (a corpus's many hives are each read on their own). */
    char **group = NULL;
    size_t ngroup = 0;
    if (ninputs > 1 && (!io.format || !ascii_casecmp(io.format, "auto")))
        group = cli_host_group(argv + optind, ninputs, &ngroup);
    for (int a = 0; a < (ninputs ? ninputs : 1) && !status; a++) {
        const char *path = ninputs ? argv[optind + a] : "-";
        int member = cli_in_group(group, ngroup, path);
        if (member > 1)
            continue; /* read with the group's first file */
        struct cli_input *in =
            member ? cli_input_open_group(group, ngroup, &e) : cli_input_open(path, &io, &e);
        if (!in) {
            status = cli_fail(&e);
            break;
        }
        chk_dedup_reset(dedup);
        int rc;
        size_t before = rp.nsnaps;
        while ((rc = cli_input_next(in, &s, &e)) == 1) {
            rp.nsnaps++;
            chk_dedup_snapshot(dedup, &s);
            chk_findings_reset(&fs);
            chk_check(&s, &cfg, &fs, &e);
            for (size_t k = 0; k < fs.nskipped; k++)
                skipped[fs.skipped[k] - chk_rules] = 1;
            for (size_t k = 0; k < fs.n; k++) {
                const struct chk_finding *f = &fs.v[k];
                if (!chk_dedup_first(dedup, &s, f))
                    continue;
                rp.nfind++;
                rp.by_sev[f->rule->severity]++;
                if (rp.json) {
                    chk_finding_json(&sb, &s, f);
                    sb_addc(&sb, '\n');
                } else {
                    human(&rp, &sb, &s, f);
                }
            }
            if (sb.len > (1u << 16) && !werr && emit(&rp, &sb) < 0)
                werr = errno ? errno : EIO;
        }
        /* An empty input (a failed export, a truncated pipe) is not a clean host. */
        if (rc == 0 && rp.nsnaps == before) {
            err_set(&e, "%s: no snapshots in this input (is it empty?)",
                    strcmp(path, "-") ? path : "<stdin>");
            rc = -1;
        }
        if (rc < 0)
            status = cli_fail(&e);
        cli_input_close(in);
    }
    if (!status && !rp.json) {
        if (rp.nfind) {
            sb_addf(&sb, "%zu finding%s in %zu snapshot%s (", rp.nfind, rp.nfind == 1 ? "" : "s",
                    rp.nsnaps, rp.nsnaps == 1 ? "" : "s");
            int first = 1;
            for (int v = CHK_CRITICAL; v >= CHK_INFO; v--)
                if (rp.by_sev[v]) {
                    sb_addf(&sb, "%s%zu %s", first ? "" : ", ", rp.by_sev[v],
                            chk_severity_name((enum chk_severity)v));
                    first = 0;
                }
            sb_adds(&sb, ")\n");
        } else {
            sb_addf(&sb, "no findings in %zu snapshot%s\n", rp.nsnaps, rp.nsnaps == 1 ? "" : "s");
        }
    }
    if (!werr && emit(&rp, &sb) < 0)
        werr = errno ? errno : EIO;
    if (!status) {
        struct strbuf ne = STRBUF_INIT;
        for (size_t i = 0; i < chk_nrules; i++) {
            if (!skipped[i])
                continue;
            sb_addf(&ne, "%s%s (needs", ne.len ? ", " : "", chk_rules[i].id);
            for (unsigned b = 0; b < ARRAY_SIZE(snap_field_names); b++)
                if (chk_rules[i].needs & (1u << b))
                    sb_addf(&ne, " %s", snap_field_names[b]);
            sb_addc(&ne, ')');
        }
        if (ne.len)
            fprintf(stderr,
                    "smsslab check: not evaluated (the input does not record what they "
                    "need): %s\n",
                    ne.buf);
        sb_release(&ne);
    }
    if (status || werr) {
        afile_abort(&af);
        if (werr && !status) {
            fprintf(stderr, "smsslab: %s: write failed: %s\n", out, strerror(werr));
            status = EXIT_USAGE;
        }
    } else if (afile_commit(&af, &e) < 0) {
        status = cli_fail(&e);
    }
    if (!status)
        status = rp.nfind ? EXIT_FINDINGS : EXIT_CLEAN;
    free(skipped);
    chk_dedup_free(dedup);
    free(group);
    sb_release(&sb);
    chk_findings_release(&fs);
    snap_release(&s);
    sb_release(&only);
    sb_release(&ignore);
    return status;
}
