/*
 * report: one self-contained static HTML page about a boot -- the tree (an
 * SVG Graphviz drew), the timeline, the findings with their explanations
 * and the process cards of the processes present. No script, no network:
 * styles are inline, pictures are inline SVG, and a Content-Security-Policy
 * forbids anything else, so the page reads the same from a USB stick.
 */
#include "teach.h"

#include <string.h>

#include "../kb/kb.h"

static const char css[] =
    "*{box-sizing:border-box}body{font-family:Helvetica,Arial,sans-serif;margin:0 "
    "auto;max-width:1500px;padding:1em 2em;"
    "color:#222;line-height:1.4}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #3182bd;padding-bottom:.2em;"
    "margin-top:2em}"
    ".meta{color:#555}nav a{margin-right:1.2em}"
    ".fig{overflow:auto;border:1px solid #ccc;background:#fff;padding:6px}"
    ".fig.tree{background:#f3f0e0}"
    ".fig svg{max-width:100%;height:auto;display:block}"
    ".finding{border-left:6px solid #cb181d;background:#fff5f0;padding:.5em 1em;margin:1em 0}"
    ".finding.sev-medium{border-color:#fd8d3c}.finding.sev-low,.finding.sev-info{border-color:#999}"
    ".finding h3{margin:.2em 0}.finding .msg{font-family:monospace}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;margin:.5em 0}"
    "dt{font-weight:bold}dd{margin:0}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1em}"
    ".card{border:1px solid #bbb;border-radius:6px;padding:.5em 1em;background:#f7fbff}"
    ".card h3{margin:.3em 0}.card td{vertical-align:top;padding:.1em .5em .1em 0}"
    ".card td{overflow-wrap:anywhere}.card td:first-child{font-weight:bold;white-space:nowrap}"
    "footer{margin-top:3em;color:#777;font-size:.9em}";

/* Graphviz writes an XML declaration, a DOCTYPE and comments before <svg>:
 * none of them belong inside HTML. */
static void inline_svg(struct strbuf *sb, const char *svg, size_t len)
{
    const char *p = svg, *end = svg + len;
    while (p + 4 <= end && strncmp(p, "<svg", 4))
        p++;
    if (p + 4 > end)
        return;
    sb_add(sb, p, (size_t)(end - p));
}

static void esc(struct strbuf *sb, const char *s)
{
    teach_xml_escape(sb, s);
}

static void proc_where(struct strbuf *sb, const struct snap *s, const struct chk_finding *f,
                       int64_t origin)
{
    if (f->proc >= 0) {
        const struct snap_proc *p = &s->procs[f->proc];
        sb_adds(sb, "<p>process <b>");
        esc(sb, snap_proc_basename(p));
        sb_addf(sb, "</b> pid %u", (unsigned)p->pid);
        if (p->session != SNAP_NO_SESSION)
            sb_addf(sb, ", session %d", (int)p->session);
        if (p->create_time != WT_NONE) {
            sb_adds(sb, ", started ");
            teach_fmt_rel(sb, p->create_time - origin);
        }
        sb_adds(sb, "</p>\n");
    } else if (f->reg >= 0) {
        sb_adds(sb, "<p>registry value <b>");
        esc(sb, s->regs[f->reg].key);
        sb_adds(sb, "\\");
        esc(sb, s->regs[f->reg].name);
        sb_adds(sb, "</b></p>\n");
    }
}

static void findings(struct strbuf *sb, const struct snap *s, const struct chk_findings *f)
{
    int64_t origin = teach_origin(s);
    sb_addf(sb, "<section id=\"findings\"><h2>Findings (%zu)</h2>\n", f->n);
    if (!f->n)
        sb_adds(sb, "<p>The checker found nothing unusual in this snapshot.</p>\n");
    for (size_t k = 0; k < f->n; k++) {
        const struct chk_finding *x = &f->v[k];
        const char *sev = chk_severity_name(x->rule->severity);
        sb_addf(sb, "<article class=\"finding sev-%s\" id=\"finding-%zu\"><h3>", sev, k + 1);
        for (const char *c = sev; *c; c++)
            sb_addc(sb, (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c));
        sb_addf(sb, " <code class=\"rule\">%s</code> ", x->rule->id);
        esc(sb, x->rule->title);
        sb_adds(sb, "</h3>\n");
        proc_where(sb, s, x, origin);
        sb_adds(sb, "<p class=\"msg\">");
        esc(sb, x->message);
        sb_adds(sb, "</p>\n<dl><dt>normal</dt><dd>");
        esc(sb, x->rule->normal);
        sb_adds(sb, "</dd><dt>why it matters</dt><dd>");
        esc(sb, x->rule->rationale);
        sb_adds(sb, "</dd><dt>ATT&amp;CK</dt><dd>");
        esc(sb, x->rule->technique ? x->rule->technique : "-");
        sb_adds(sb, "</dd></dl></article>\n");
    }
    sb_adds(sb, "</section>\n");
}

static const char *const card_labels[] = {"image",   "parent", "instances", "user",
                                          "session", "start",  "priority",  "command line"};

static void cards(struct strbuf *sb, const struct snap *s)
{
    sb_adds(sb, "<section id=\"processes\"><h2>The core processes of this boot</h2>\n"
                "<div class=\"cards\">\n");
    const struct kb_proc *c;
    for (size_t k = 0; (c = kb_card_at(k)) != NULL; k++) {
        size_t n = 0;
        for (size_t i = 0; i < s->nprocs; i++)
            n += !ascii_casecmp(snap_proc_basename(&s->procs[i]), c->name);
        if (!n)
            continue;
        char pri[16];
        const char *vals[] = {c->image,
                              c->parent,
                              c->instances,
                              c->user,
                              c->session,
                              c->start,
                              kb_proc_priority(c, pri),
                              c->cmdline};
        sb_adds(sb, "<article class=\"card\" id=\"card-");
        esc(sb, c->name);
        sb_adds(sb, "\"><h3>");
        esc(sb, c->name);
        sb_addf(sb, " <small>(%zu in this snapshot)</small></h3>\n<table>\n", n);
        for (size_t i = 0; i < ARRAY_SIZE(card_labels); i++) {
            sb_addf(sb, "<tr><td>%s</td><td>", card_labels[i]);
            esc(sb, vals[i]);
            sb_adds(sb, "</td></tr>\n");
        }
        sb_adds(sb, "</table>\n<p><b>What it does.</b> ");
        esc(sb, c->does);
        sb_adds(sb, "</p>\n<p><b>What is unusual.</b> ");
        esc(sb, c->unusual);
        sb_adds(sb, "</p></article>\n");
    }
    sb_adds(sb, "</div></section>\n");
}

void teach_report_html(struct strbuf *sb, const struct teach_report *r)
{
    struct snap *s = r->snap;
    const char *host = s->host ? s->host : "unknown host";
    sb_adds(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'; img-src data:\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta name=\"generator\" content=\"smsslab " SMSSLAB_VERSION "\">\n<title>");
    esc(sb, r->title ? r->title : host);
    sb_addf(sb, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
    esc(sb, r->title ? r->title : host);
    sb_adds(sb, "</h1>\n<p class=\"meta\">Host <b>");
    esc(sb, host);
    sb_adds(sb, "</b>");
    if (s->os) {
        sb_adds(sb, " (");
        esc(sb, s->os);
        sb_adds(sb, ")");
    }
    char iso[WT_ISO_LEN];
    if (s->boot_time != WT_NONE) {
        wt_format_iso(s->boot_time, iso);
        sb_addf(sb, ", booted %s", iso);
    }
    if (s->at != WT_NONE) {
        sb_adds(sb, ", snapshot at ");
        teach_fmt_rel(sb, s->at - teach_origin(s));
    }
    sb_addf(sb, ": %zu processes in %zu sessions.", s->nprocs, s->nsessions);
    if (!r->student && s->scenario) {
        sb_adds(sb, " Scenario <code>");
        esc(sb, s->scenario);
        sb_adds(sb, "</code>.");
    }
    sb_adds(sb, "</p>\n<nav><a href=\"#tree\">Tree</a><a href=\"#timeline\">Timeline</a>");
    if (!r->student)
        sb_adds(sb, "<a href=\"#findings\">Findings</a>");
    sb_adds(sb, "<a href=\"#processes\">Process cards</a></nav>\n");
    if (r->student)
        sb_adds(sb, "<p class=\"task\">Look at the tree and the timeline: is this boot normal? "
                    "If not, which process or registry value is wrong, and why? The process "
                    "cards below say what normal looks like.</p>\n");

    sb_adds(sb, "<section id=\"tree\"><h2>Process tree</h2>\n<p>Each box is a session; dashed "
                "grey boxes exited; dotted edges lead to a parent that exited");
    sb_adds(sb, r->student ? ".</p>\n" : "; red marks what the checker flags.</p>\n");
    sb_adds(sb, "<div class=\"fig tree\">\n");
    if (r->tree_svg)
        inline_svg(sb, r->tree_svg, r->tree_len);
    else
        sb_adds(sb, "<p>(no tree: Graphviz was not run)</p>");
    sb_adds(sb, "</div></section>\n");

    sb_adds(sb, "<section id=\"timeline\"><h2>Timeline</h2>\n<p>Time after boot; each decade "
                "(100 ms, 1 s, 10 s, 1 min, ...) has the same width. Hover a bar for details.</p>\n"
                "<div class=\"fig\">\n");
    teach_timeline_svg(sb, s, r->student ? NULL : r->findings, r->steps);
    sb_adds(sb, "</div></section>\n");
    if (!r->student && r->findings)
        findings(sb, s, r->findings);
    cards(sb, s);
    sb_adds(sb, "<footer>Made by smsslab " SMSSLAB_VERSION
                " -- a static page: no script, nothing loaded from the network.</footer>\n"
                "</body>\n</html>\n");
}
