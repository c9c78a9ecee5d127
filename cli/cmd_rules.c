/*
 * smsslab rules: the rule table, as a text table, JSON lines, or the
 * Markdown of docs/rules.md.
 */
#include <getopt.h>
#include <string.h>

#include "../checker/chk.h"
#include "../core/jsonw.h"
#include "cli.h"

const char cmd_rules_usage[] =
    "usage: smsslab rules [--format text|json|markdown]\n"
    "\n"
    "List the checker's rules: id, severity, title and ATT&CK technique. json\n"
    "writes one object per rule with every field of the row; markdown writes\n"
    "docs/rules.md.\n"
    "\n"
    "  --format F   text (default), json or markdown\n"
    "  -h, --help   show this help\n"
    "\n"
    "exit status: 0 ok, 2 usage error.\n";

int cmd_rules(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *format = "text";
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'h': return cli_help("rules");
        default: return cli_bad_option("rules", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("rules", "unexpected argument '%s'", argv[optind]);
    struct strbuf sb = STRBUF_INIT;
    if (!ascii_casecmp(format, "markdown")) {
        chk_rules_markdown(&sb);
    } else if (!ascii_casecmp(format, "json")) {
        for (size_t i = 0; i < chk_nrules; i++) {
            const struct chk_rule *r = &chk_rules[i];
            sb_addc(&sb, '{');
            jw_key(&sb, "id");
            jw_str(&sb, r->id);
            jw_kstr(&sb, "severity", chk_severity_name(r->severity));
            jw_kstr(&sb, "lesson", r->process);
            jw_kstr(&sb, "title", r->title);
            jw_kstr(&sb, "normal", r->normal);
            jw_kstr(&sb, "rationale", r->rationale);
            jw_kstr(&sb, "technique", r->technique);
            jw_kstr(&sb, "source", r->source);
            sb_addc(&sb, ',');
            jw_key(&sb, "needs");
            snap_write_fields(&sb, r->needs);
            sb_adds(&sb, "}\n");
        }
    } else if (!ascii_casecmp(format, "text")) {
        sb_addf(&sb, "%-24s %-9s %-22s %s\n", "ID", "SEVERITY", "TECHNIQUE", "TITLE");
        for (size_t i = 0; i < chk_nrules; i++) {
            const struct chk_rule *r = &chk_rules[i];
            sb_addf(&sb, "%-24s %-9s %-22s %s\n", r->id, chk_severity_name(r->severity),
                    r->technique, r->title);
        }
    } else {
        return cli_usage_error("rules", "--format: '%s' is not text, json or markdown", format);
    }
    fwrite(sb.buf, 1, sb.len, stdout);
    sb_release(&sb);
    return 0;
}
