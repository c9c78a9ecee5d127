/*
 * test_render: the renderer's contract -- golden DOT for a normal boot, an
 * RDP host and an anomaly (snapshots built in code, so the goldens only move
 * when the drawing does); escaping of hostile strings, checked both as text
 * and by Graphviz itself; focus; stable ids whatever the input order.
 *
 * Goldens live in tests/golden/. A mismatch writes the actual output next to
 * the build's temp folder and fails; SMSSLAB_UPDATE_GOLDEN=1 rewrites them
 * (never done implicitly). Tests run from the repository root, or set
 * SMSSLAB_SRCDIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/afile.h"
#include "../render/dot.h"

/* 2024-05-01T08:00:00Z */
static int64_t boot(void)
{
    return wt_days_from_civil(2024, 5, 1) * WT_DAY + 8 * WT_HOUR;
}

static const char SYSTEM[] = "NT AUTHORITY\\SYSTEM";

/* Add a process; times are milliseconds after boot (-1 = alive / unknown). The
 * parent's creation time is taken from the latest process with that pid. */
static struct snap_proc *add(struct snap *s, uint32_t pid, uint32_t ppid, int64_t ct_ms,
                             int64_t exit_ms, int32_t session, const char *name, const char *cmd,
                             const char *user)
{
    int64_t pct = WT_NONE;
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == ppid)
            pct = s->procs[i].create_time;
    struct snap_proc *p = snap_add_proc(s);
    p->pid = pid;
    p->ppid = ppid;
    p->create_time = boot() + ct_ms * WT_MSEC;
    p->exit_time = exit_ms < 0 ? WT_NONE : boot() + exit_ms * WT_MSEC;
    p->parent_create_time = pct;
    p->session = session;
    p->name = snap_str(s, name);
    p->command_line = snap_str(s, cmd);
    p->user = snap_str(s, user);
    return p;
}

static void add_session(struct snap *s, int32_t id, const char *kind, const char *user,
                        int64_t logon_ms, int64_t end_ms)
{
    struct snap_session *ss = snap_add_session(s);
    ss->id = id;
    ss->kind = snap_str(s, kind);
    ss->user = snap_str(s, user);
    ss->create_time = boot();
    ss->logon_time = logon_ms < 0 ? WT_NONE : boot() + logon_ms * WT_MSEC;
    ss->end_time = end_ms < 0 ? WT_NONE : boot() + end_ms * WT_MSEC;
}

static void head(struct snap *s, const char *host, const char *os, int64_t at_ms)
{
    s->source = "smsslab-sim";
    s->host = host;
    s->os = os;
    s->boot_time = boot();
    s->at = boot() + at_ms * WT_MSEC;
    s->fields = SNAP_F_ALL;
}

/* Up to the console session's winlogon: the part every boot shares. */
static void core_boot(struct snap *s)
{
    add(s, 4, 0, 0, -1, SNAP_NO_SESSION, "System", NULL, SYSTEM);
    add(s, 88, 4, 500, -1, SNAP_NO_SESSION, "Registry", NULL, SYSTEM);
    add(s, 300, 4, 2000, -1, SNAP_NO_SESSION, "smss.exe", "\\SystemRoot\\System32\\smss.exe",
        SYSTEM);
    add(s, 340, 300, 2100, 3000, SNAP_NO_SESSION, "autochk.exe", "autochk *", SYSTEM);
    add(s, 396, 300, 3200, 3212, 0, "smss.exe",
        "\\SystemRoot\\System32\\smss.exe 000000c0 00000074 ", SYSTEM);
    add(s, 404, 396, 3205, -1, 0, "csrss.exe",
        "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows "
        "SharedSection=1024,20480,768 Windows=On SubSystemType=Windows",
        SYSTEM);
    add(s, 480, 396, 3210, -1, 0, "wininit.exe", "wininit.exe", SYSTEM);
    add(s, 488, 300, 3211, 3224, 1, "smss.exe",
        "\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ", SYSTEM);
    add(s, 496, 488, 3215, -1, 1, "csrss.exe", "%SystemRoot%\\system32\\csrss.exe", SYSTEM);
    add(s, 556, 488, 3224, -1, 1, "winlogon.exe", "winlogon.exe", SYSTEM);
    add(s, 620, 480, 3300, -1, 0, "services.exe", "C:\\Windows\\system32\\services.exe", SYSTEM);
    add(s, 636, 480, 3310, -1, 0, "lsass.exe", "C:\\Windows\\system32\\lsass.exe", SYSTEM);
    add(s, 772, 480, 3400, -1, 0, "fontdrvhost.exe", "\"fontdrvhost.exe\"",
        "Font Driver Host\\UMFD-0");
    add(s, 780, 556, 3401, -1, 1, "fontdrvhost.exe", "\"fontdrvhost.exe\"",
        "Font Driver Host\\UMFD-1");
    add(s, 700, 620, 3500, -1, 0, "svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p", SYSTEM);
    add(s, 812, 620, 3600, -1, 0, "svchost.exe", "C:\\Windows\\system32\\svchost.exe -k RPCSS -p",
        "NT AUTHORITY\\NETWORK SERVICE");
    add(s, 964, 556, 3700, -1, 1, "dwm.exe", "\"dwm.exe\"", "Window Manager\\DWM-1");
}

static void normal_boot(struct snap *s)
{
    head(s, "WS01", "Windows 10 22H2", 60000);
    core_boot(s);
    add(s, 3000, 556, 20000, 21000, 1, "userinit.exe", "C:\\Windows\\system32\\userinit.exe",
        "CORP\\alice");
    add(s, 3040, 3000, 20500, -1, 1, "explorer.exe", "C:\\Windows\\Explorer.EXE", "CORP\\alice");
    add_session(s, 0, "services", NULL, -1, -1);
    add_session(s, 1, "console", "CORP\\alice", 20000, -1);
}

/* A terminal server: console nobody uses, alice on RDP, bob logged off. */
static void rdp_host(struct snap *s)
{
    head(s, "TS01", "Windows Server 2022", 7200000);
    core_boot(s);
    add_session(s, 0, "services", NULL, -1, -1);
    add_session(s, 1, "console", NULL, -1, -1);
    add_session(s, 2, "rdp", "CORP\\alice", 600000, -1);
    add_session(s, 3, "rdp", "CORP\\bob", 900000, 3600000);
    add(s, 2100, 300, 599000, 599012, 2, "smss.exe",
        "\\SystemRoot\\System32\\smss.exe 000000d0 00000088 ", SYSTEM);
    add(s, 2104, 2100, 599005, -1, 2, "csrss.exe", "%SystemRoot%\\system32\\csrss.exe", SYSTEM);
    add(s, 2112, 2100, 599012, -1, 2, "winlogon.exe", "winlogon.exe", SYSTEM);
    add(s, 2200, 2112, 599100, -1, 2, "dwm.exe", "\"dwm.exe\"", "Window Manager\\DWM-2");
    add(s, 2240, 2112, 600000, 601000, 2, "userinit.exe", "C:\\Windows\\system32\\userinit.exe",
        "CORP\\alice");
    add(s, 2260, 2240, 600500, -1, 2, "explorer.exe", "C:\\Windows\\Explorer.EXE", "CORP\\alice");
    add(s, 2300, 300, 899000, 899010, 3, "smss.exe",
        "\\SystemRoot\\System32\\smss.exe 000000d4 0000008c ", SYSTEM);
    add(s, 2304, 2300, 899004, 3600100, 3, "csrss.exe", "%SystemRoot%\\system32\\csrss.exe",
        SYSTEM);
    add(s, 2308, 2300, 899010, 3600200, 3, "winlogon.exe", "winlogon.exe", SYSTEM);
    /* bob's userinit record was lost: explorer's parent is not in the snapshot,
     * and its pid has since been reused by a svchost. */
    struct snap_proc *ex = add(s, 2400, 2350, 900500, 3600050, 3, "explorer.exe",
                               "C:\\Windows\\Explorer.EXE", "CORP\\bob");
    ex->parent_create_time = boot() + 900000 * WT_MSEC;
    add(s, 2350, 620, 5000000, -1, 0, "svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p", SYSTEM);
}

static const struct chk_rule r_parent = {
    .id = "SMSS-PARENT", .severity = CHK_HIGH, .title = "smss.exe not started by System"};
static const struct chk_rule r_path = {
    .id = "SMSS-PATH", .severity = CHK_HIGH, .title = "smss.exe outside System32"};
static const struct chk_rule r_subsys = {
    .id = "SMSS-SUBSYSTEMS", .severity = CHK_MEDIUM, .title = "unexpected SubSystems entry"};
static const struct chk_rule r_count = {
    .id = "LSASS-COUNT", .severity = CHK_HIGH, .title = "not exactly one lsass.exe"};

static void finding(struct chk_findings *f, const struct chk_rule *r, long proc, long reg,
                    const char *msg)
{
    XGROW(f->v, f->cap, f->n + 1);
    struct chk_finding *x = &f->v[f->n++];
    memset(x, 0, sizeof(*x));
    x->rule = r;
    x->proc = proc;
    x->reg = reg;
    snprintf(x->message, sizeof(x->message), "%s", msg);
}

/* The checker library may not be linked in yet: free by hand. */
static void release_findings(struct chk_findings *f)
{
    free(f->v);
    free(f->skipped);
    memset(f, 0, sizeof(*f));
}

static long find(const struct snap *s, uint32_t pid)
{
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == pid)
            return (long)i;
    return -1;
}

/* A fake smss started by explorer from the wrong folder, and a Posix subsystem. */
static void anomaly(struct snap *s, struct chk_findings *f)
{
    normal_boot(s);
    struct snap_proc *p =
        add(s, 6000, 3040, 45000, -1, 1, "smss.exe", "C:\\Users\\Public\\smss.exe", "CORP\\alice");
    p->image = snap_str(s, "C:\\Users\\Public\\smss.exe");
    static const char *const boot_exec[] = {"autocheck autochk *"};
    static const char *const optional[] = {"Posix"};
    struct snap_reg *r = snap_add_reg(s);
    r->key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager";
    r->name = "BootExecute";
    r->type = SNAP_REG_MULTI_SZ;
    r->data = boot_exec;
    r->ndata = 1;
    r = snap_add_reg(s);
    r->key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\SubSystems";
    r->name = "Optional";
    r->type = SNAP_REG_MULTI_SZ;
    r->data = optional;
    r->ndata = 1;
    finding(f, &r_parent, find(s, 6000), -1, "parent is explorer.exe (3040), not System (4)");
    finding(f, &r_path, find(s, 6000), -1, "image C:\\Users\\Public\\smss.exe");
    finding(f, &r_subsys, -1, 1, "SubSystems\\Optional lists Posix");
    finding(f, &r_count, -1, -1, "2 lsass.exe processes are running, expected 1");
}

/* ---- helpers -------------------------------------------------------------- */

static char *render(struct snap *s, const struct chk_findings *f, int details, const char *focus)
{
    struct strbuf sb = STRBUF_INIT;
    struct dot_opts o = {details, focus};
    struct err e = {{0}};
    int rc = dot_write(&sb, s, f, &o, &e);
    if (rc != 0)
        fail_msg("dot_write: %s", e.msg);
    return sb_detach(&sb, NULL);
}

static char *render_opts(struct snap *s, const struct chk_findings *f, const struct dot_opts *o)
{
    struct strbuf sb = STRBUF_INIT;
    struct err e = {{0}};
    if (dot_write(&sb, s, f, o, &e) != 0)
        fail_msg("dot_write: %s", e.msg);
    return sb_detach(&sb, NULL);
}

static char *esc(const char *in, size_t max)
{
    struct strbuf sb = STRBUF_INIT;
    dot_escape(&sb, in, max);
    return sb.buf ? sb_detach(&sb, NULL) : xstrdup("");
}

static void golden(const char *name, const char *actual)
{
    const char *src = getenv("SMSSLAB_SRCDIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/golden/%s", src && *src ? src : ".", name);
    const char *upd = getenv("SMSSLAB_UPDATE_GOLDEN");
    struct err e;
    if (upd && !strcmp(upd, "1")) {
        assert_int_equal(afile_write_all(path, actual, strlen(actual), &e), 0);
        print_message("updated %s\n", path);
        return;
    }
    char *want = NULL;
    size_t len = 0;
    if (read_file_all(path, 1 << 24, &want, &len, &e) != 0)
        fail_msg("%s (run with SMSSLAB_UPDATE_GOLDEN=1 to create it)", e.msg);
    if (len != strlen(actual) || memcmp(want, actual, len) != 0) {
        char out[1100];
        const char *tmp = getenv("TMPDIR");
        snprintf(out, sizeof(out), "%s/%s.actual", tmp && *tmp ? tmp : "/tmp", name);
        afile_write_all(out, actual, strlen(actual), &e);
        size_t line = 1;
        for (size_t i = 0; i < len && actual[i] == want[i]; i++)
            line += want[i] == '\n';
        free(want);
        fail_msg("%s differs from the golden file at line %zu; actual output in %s "
                 "(SMSSLAB_UPDATE_GOLDEN=1 accepts it)",
                 path, line, out);
    }
    free(want);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Run `dot -Tsvg` on text; returns the SVG (caller frees), or skips when dot is absent. */
static char *run_dot_svg(const char *text)
{
    char *prog = dot_find_program("dot");
    if (!prog) {
        print_message("SKIP: the Graphviz 'dot' program is not on PATH\n");
        skip();
    }
    char tmpl[] = "/tmp/smsslab-test-render-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    struct err e = {{0}};
    int rc = dot_run(prog, "svg", text, strlen(text), fd, &e);
    close(fd);
    free(prog);
    if (rc != 0) {
        unlink(tmpl);
        fail_msg("dot failed: %s", e.msg);
    }
    char *svg = NULL;
    size_t len = 0;
    assert_int_equal(read_file_all(tmpl, 1 << 26, &svg, &len, &e), 0);
    unlink(tmpl);
    assert_true(len > 0);
    return svg;
}

/* ---- goldens -------------------------------------------------------------- */

static void golden__normal_boot__matches(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    struct chk_findings f = {0};
    char *d = render(&s, &f, 0, NULL);
    golden("normal_boot.dot", d);
    /* The lesson: csrss/wininit/winlogon hang on their exited smss child by a dotted edge. */
    char edge[128];
    snprintf(edge, sizeof(edge), "\"p396_%lld\" -> \"p404_%lld\" [style=dotted",
             (long long)(boot() + 3200 * WT_MSEC), (long long)(boot() + 3205 * WT_MSEC));
    assert_non_null(strstr(d, edge));
    assert_non_null(strstr(d, "subgraph \"cluster_s1\""));
    assert_non_null(strstr(d, "Session 1 (console)"));
    assert_non_null(strstr(d, "smss.exe (master)"));
    assert_non_null(strstr(d, "exited +3.212s (ran 12ms)"));
    assert_non_null(strstr(d, "checker: no findings"));
    free(d);
    release_findings(&f);
    snap_release(&s);
}

static void golden__rdp_host_details__matches(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    rdp_host(&s);
    char *d = render(&s, NULL, 1, NULL);
    golden("rdp_host.dot", d);
    assert_non_null(strstr(d, "Session 2 (RDP)"));
    assert_non_null(strstr(d, "Session 3 (RDP)\\nCORP\\\\bob"));
    assert_non_null(strstr(d, "pid 2350\\n(not in snapshot)\\npid reused later"));
    assert_non_null(strstr(d, "not checked"));
    assert_non_null(strstr(d, "user CORP\\\\alice"));
    free(d);
    snap_release(&s);
}

static void golden__anomaly__matches(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    struct chk_findings f = {0};
    anomaly(&s, &f);
    char *d = render(&s, &f, 0, NULL);
    golden("anomaly.dot", d);
    assert_non_null(strstr(d, "! SMSS-PARENT, SMSS-PATH\", tooltip="));
    assert_non_null(strstr(d, "shape=note, color=red"));
    assert_non_null(strstr(d, "Optional = Posix\\l! SMSS-SUBSYSTEMS\\l"));
    assert_non_null(strstr(d, "! LSASS-COUNT: 2 lsass.exe processes are running"));
    assert_non_null(strstr(d, "label=\"reads\""));
    free(d);
    release_findings(&f);
    snap_release(&s);
}

/* ---- determinism ---------------------------------------------------------- */

static void determinism__same_input__identical(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    struct chk_findings f = {0};
    anomaly(&s, &f);
    char *a = render(&s, &f, 1, NULL);
    char *b = render(&s, &f, 1, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
    release_findings(&f);
    snap_release(&s);
}

static void determinism__reversed_input__identical(void **state)
{
    (void)state;
    struct snap s, r;
    snap_init(&s);
    snap_init(&r);
    rdp_host(&s);
    rdp_host(&r);
    for (size_t i = 0; i < r.nprocs / 2; i++) {
        struct snap_proc t = r.procs[i];
        r.procs[i] = r.procs[r.nprocs - 1 - i];
        r.procs[r.nprocs - 1 - i] = t;
    }
    for (size_t i = 0; i < r.nsessions / 2; i++) {
        struct snap_session t = r.sessions[i];
        r.sessions[i] = r.sessions[r.nsessions - 1 - i];
        r.sessions[r.nsessions - 1 - i] = t;
    }
    free(r.index); /* the parent index was built for the old order */
    r.index = NULL;
    r.nindex = 0;
    char *a = render(&s, NULL, 1, NULL);
    char *b = render(&r, NULL, 1, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
    snap_release(&s);
    snap_release(&r);
}

/* ---- escaping ------------------------------------------------------------- */

static void escape__quotes_backslashes__doubled(void **state)
{
    (void)state;
    char *x = esc("\"];evil[label=\"x", 100);
    assert_string_equal(x, "\\\"];evil[label=\\\"x");
    free(x);
    x = esc("C:\\Windows\\System32\\lsass.exe", 100);
    assert_string_equal(x, "C:\\\\Windows\\\\System32\\\\lsass.exe");
    free(x);
    x = esc("\\l\\N\\G\\n\\r", 100);
    assert_string_equal(x, "\\\\l\\\\N\\\\G\\\\n\\\\r");
    free(x);
}

static void escape__trailing_backslash__cannot_eat_quote(void **state)
{
    (void)state;
    char *x = esc("C:\\", 100);
    assert_string_equal(x, "C:\\\\ ");
    free(x);
    x = esc("\\", 100);
    assert_string_equal(x, "\\\\ ");
    free(x);
}

static void escape__controls_and_entities__neutralised(void **state)
{
    (void)state;
    char *x = esc("a\nb\rc\td\x1b\x7f", 100);
    assert_string_equal(x, "a\\\\x0ab\\\\x0dc\\\\x09d\\\\x1b\\\\x7f");
    free(x);
    x = esc("<b>&lt;x&amp;</b>", 100);
    assert_string_equal(x, "<b>&amp;lt;x&amp;amp;</b>");
    free(x);
    x = esc("exe.\xe2\x80\xaetxt", 100); /* U+202E RIGHT-TO-LEFT OVERRIDE */
    assert_string_equal(x, "exe.\\\\u202etxt");
    free(x);
}

static void escape__invalid_utf8__replaced(void **state)
{
    (void)state;
    /* A lone continuation byte, an overlong '/', a surrogate, a cut sequence. */
    char *x = esc("a\x80"
                  "b\xc0\xaf"
                  "c\xed\xa0\x80"
                  "d\xe2\x82",
                  100);
    assert_string_equal(x, "a\xef\xbf\xbd"
                           "b\xef\xbf\xbd\xef\xbf\xbd"
                           "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                           "d\xef\xbf\xbd\xef\xbf\xbd");
    free(x);
    /* Cyrillic "ѕ" (U+0455) and "м" look like Latin letters and pass unchanged. */
    x = esc("\xd1\x95m\xd1\x95.exe", 100);
    assert_string_equal(x, "\xd1\x95m\xd1\x95.exe");
    free(x);
}

static void escape__long_strings__cut_on_char_boundary(void **state)
{
    (void)state;
    size_t big = 100 * 1024;
    char *cmd = xmalloc(big + 1);
    memset(cmd, 'A', big);
    cmd[big] = '\0';
    char *x = esc(cmd, SIZE_MAX);
    assert_int_equal(strlen(x), DOT_MAX_FIELD + 3);
    assert_string_equal(x + DOT_MAX_FIELD, "...");
    free(x);
    /* Two-byte characters and an odd limit: never half a character. */
    for (size_t i = 0; i + 1 < big; i += 2)
        cmd[i] = '\xd0', cmd[i + 1] = '\x96';
    x = esc(cmd, 11);
    assert_string_equal(x, "\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96...");
    free(x);
    /* The worst case (every byte a control character) stays under dot's limit. */
    memset(cmd, '\n', big);
    x = esc(cmd, SIZE_MAX);
    assert_true(strlen(x) < 16384 / 1.5);
    free(x);
    free(cmd);
    x = esc(NULL, 10);
    assert_string_equal(x, "");
    free(x);
}

/* Hostile names, users and command lines: Graphviz must still parse the graph and
 * draw exactly the processes there are (no injected nodes). */
static void hostile__whole_graph__dot_accepts_it(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\"];evil[label=\"pwned",
        "C:\\Windows\\System32\\lsass.exe",
        "x\\",
        "\\l\\N\\G\\E\\T\\H",
        "line1\nline2\r\n\t}",
        "<table><tr><td>html</td></tr></table> & &amp; &#0; &foo;",
        "bin\x01\x02\xff\xfe\x80",
        "\xd1\x95m\xd1\x95.exe",
        "\"",
        "\\\"",
        "}; digraph x { a -> b",
        "-- -> // /* #",
    };
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    size_t big = 100 * 1024;
    char *huge = xmalloc(big + 1);
    for (size_t i = 0; i < big; i++)
        huge[i] = "\\\"\n&<>x\xd0\x96"[i % 9];
    huge[big] = '\0';
    for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
        struct snap_proc *p = add(&s, 9000 + 4 * (uint32_t)k, 3040, 50000 + (int64_t)k, -1, 1,
                                  bad[k], bad[k], bad[k]);
        p->image = bad[k];
    }
    add(&s, 9900, 3040, 59000, -1, 1, "cmd.exe", huge, huge);
    s.host = "host\"];x[";
    s.os = "os\\";
    struct chk_findings f = {0};
    finding(&f, &r_parent, find(&s, 9000), -1, "\"];evil[");
    char *d = render(&s, &f, 1, NULL);
    /* No quoted string may reach Graphviz's 16,384-byte limit. */
    size_t longest = 0, cur = 0;
    int in_str = 0;
    for (const char *p = d; *p; p++) {
        if (in_str && *p == '\\' && p[1]) {
            p++, cur += 2;
        } else if (*p == '"') {
            if (in_str && cur > longest)
                longest = cur;
            in_str = !in_str, cur = 0;
        } else if (in_str) {
            cur++;
        }
    }
    assert_false(in_str);
    assert_true(longest > 2000 && longest < 16384);
    char *svg = run_dot_svg(d);
    size_t nodes = count(svg, "class=\"node\"");
    /* processes + legend + one ghost-free graph */
    assert_int_equal(nodes, s.nprocs + 1);
    assert_null(strstr(svg, "<title>evil</title>"));
    free(svg);
    free(d);
    free(huge);
    release_findings(&f);
    snap_release(&s);
}

static void graphviz__goldens__render_to_svg(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    struct chk_findings f = {0};
    anomaly(&s, &f);
    char *d = render(&s, &f, 1, NULL);
    char *svg = run_dot_svg(d);
    /* processes + one registry note + legend */
    assert_int_equal(count(svg, "class=\"node\""), s.nprocs + 2);
    assert_int_equal(count(svg, "class=\"cluster\""), 2);
    free(svg);
    free(d);
    snap_reset(&s);
    rdp_host(&s);
    struct dot_opts every = {.collapse = "none"};
    d = render_opts(&s, NULL, &every);
    svg = run_dot_svg(d);
    /* processes + the ghost parent + legend */
    assert_int_equal(count(svg, "class=\"node\""), s.nprocs + 2);
    assert_int_equal(count(svg, "class=\"cluster\""), 4);
    free(svg);
    free(d);
    release_findings(&f);
    snap_release(&s);
}

/* ---- focus ---------------------------------------------------------------- */

static int has_pid(const char *d, uint32_t pid)
{
    char needle[32];
    snprintf(needle, sizeof(needle), "\"p%lu_", (unsigned long)pid);
    return strstr(d, needle) != NULL;
}

static void focus__name__branch_and_ancestors(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    char *d = render(&s, NULL, 0, "WINLOGON");
    static const uint32_t in[] = {4, 300, 488, 556, 780, 964, 3000, 3040};
    static const uint32_t out[] = {88, 340, 396, 404, 480, 496, 620, 636, 772, 700, 812};
    for (size_t k = 0; k < ARRAY_SIZE(in); k++)
        assert_true(has_pid(d, in[k]));
    for (size_t k = 0; k < ARRAY_SIZE(out); k++)
        assert_false(has_pid(d, out[k]));
    assert_null(strstr(d, "cluster_s0"));
    free(d);
    snap_release(&s);
}

/* services.exe with many svchosts: the classroom picture's problem. */
static void many_svchosts(struct snap *s, int n)
{
    normal_boot(s);
    for (int k = 0; k < n; k++)
        add(s, (uint32_t)(5000 + 4 * k), 620, 4000 + k, -1, 0, "svchost.exe",
            "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
            k % 2 ? SYSTEM : "NT AUTHORITY\\LOCAL SERVICE");
}

static size_t node_count(const char *d)
{
    return count(d, "\" [label=\"") - count(d, "\"legend\" [label=");
}

static void collapse__svchosts__one_box_with_every_pid(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    many_svchosts(&s, 40);
    /* 2 svchosts of core_boot + 40: one box "svchost.exe x42" by default. */
    char *d = render(&s, NULL, 0, NULL);
    assert_int_equal(count(d, "label=\"svchost.exe"), 1);
    assert_non_null(strstr(d, "svchost.exe \xc3\x97"
                              "42\\nsession 0"));
    assert_non_null(strstr(d, "tooltip=\"pids 700, 812, 5000, 5004,"));
    assert_non_null(strstr(d, ", 5156\", peripheries=2"));
    assert_non_null(strstr(d, "42 of them in 1 folded box (xN)"));
    /* One edge from services to the box, none to the folded ones. */
    assert_int_equal(count(d, "\"p620_1714550403300000\" -> "), 1);
    size_t folded = node_count(d);
    struct dot_opts every = {.collapse = "none"};
    char *all = render_opts(&s, NULL, &every);
    assert_int_equal(count(all, "label=\"svchost.exe"), 42);
    assert_int_equal(node_count(all), folded + 41);
    /* Names: only those fold, from two on; others stay. */
    struct dot_opts named = {.collapse = "dwm,svchost"};
    char *n = render_opts(&s, NULL, &named);
    assert_int_equal(count(n, "label=\"svchost.exe"), 1);
    struct dot_opts other = {.collapse = "conhost.exe"};
    char *o = render_opts(&s, NULL, &other);
    assert_int_equal(count(o, "label=\"svchost.exe"), 42);
    /* --show on a box: what all share, else "(differs)". */
    struct dot_opts show = {.show = DOT_SHOW_USER | DOT_SHOW_CMDLINE};
    char *sh = render_opts(&s, NULL, &show);
    assert_non_null(strstr(sh, "pids in the tooltip\\nuser (differs)\\n(differs)"));
    free(sh);
    free(o);
    free(n);
    free(all);
    free(d);
    snap_release(&s);
}

static void collapse__flagged_and_reused_pids__stay_apart(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    many_svchosts(&s, 6);
    struct chk_findings f = {0};
    static const struct chk_rule r_args = {.id = "SVCHOST-ARGS", .title = "svchost without -k"};
    finding(&f, &r_args, find(&s, 5008), -1, "no -k");
    char *d = render(&s, &f, 0, NULL);
    /* 8 svchosts: the flagged one is its own red box, the other 7 fold. */
    assert_int_equal(count(d, "label=\"svchost.exe"), 2);
    assert_non_null(strstr(d, "svchost.exe \xc3\x97"
                              "7\\n"));
    assert_true(has_pid(d, 5008));
    assert_non_null(strstr(d, "pid 5008, session 0\\n! SVCHOST-ARGS"));
    free(d);
    release_findings(&f);
    snap_reset(&s);
    /* rdp_host: svchost 2350 holds a pid a gone parent had: it stays a box. */
    rdp_host(&s);
    d = render(&s, NULL, 0, NULL);
    assert_true(has_pid(&*d, 2350));
    assert_non_null(strstr(d, "svchost.exe\\npid 2350"));
    free(d);
    snap_release(&s);
}

/* Exited siblings fold apart from running ones, with their exits as a range. */
static void collapse__exited_siblings__range_of_exits(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    add(&s, 7000, 3040, 30000, 31000, 1, "cmd.exe", "cmd /c x", "CORP\\alice");
    add(&s, 7004, 3040, 32000, 35500, 1, "cmd.exe", "cmd /c y", "CORP\\alice");
    add(&s, 7008, 3040, 33000, 34000, 1, "cmd.exe", "cmd /c z", "CORP\\alice");
    add(&s, 7012, 3040, 36000, -1, 1, "cmd.exe", "cmd", "CORP\\alice");
    char *d = render(&s, NULL, 0, NULL);
    assert_non_null(strstr(d, "cmd.exe \xc3\x97"
                              "3\\nsession 1, pids in the tooltip\\nexited +31.000s "
                              ".. +35.500s\""));
    assert_non_null(strstr(d, "cmd.exe\\npid 7012, session 1\""));
    free(d);
    snap_release(&s);
}

static void focus__several_names__each_branch(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    char *d = render(&s, NULL, 0, "lsass,explorer.exe");
    static const uint32_t in[] = {4, 300, 396, 480, 636, 488, 556, 3000, 3040};
    for (size_t k = 0; k < ARRAY_SIZE(in); k++)
        assert_true(has_pid(d, in[k]));
    assert_false(has_pid(d, 620));
    assert_false(has_pid(d, 964));
    free(d);
    struct strbuf sb = STRBUF_INIT;
    struct dot_opts o = {.focus = "lsass,nosuch"};
    struct err e = {{0}};
    assert_int_equal(dot_write(&sb, &s, NULL, &o, &e), -1);
    assert_non_null(strstr(e.msg, "'nosuch'"));
    sb_release(&sb);
    snap_release(&s);
}

static void show__fields__each_one_and_wrapped(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    long l = find(&s, 636);
    s.procs[l].integrity = "System";
    s.procs[l].base_priority = 9;
    s.procs[l].image = "C:\\Windows\\system32\\lsass.exe";
    struct dot_opts o = {.focus = "636"};
    char *plain = render_opts(&s, NULL, &o);
    assert_null(strstr(plain, "priority 9"));
    assert_null(strstr(plain, "integrity System"));
    struct err e = {{0}};
    assert_int_equal(dot_parse_show("priority,integrity", &o.show, &e), 0);
    char *d = render_opts(&s, NULL, &o);
    assert_non_null(strstr(d, "lsass.exe\\npid 636, session 0\\nintegrity System\\npriority 9\""));
    assert_null(strstr(d, "\\nuser "));
    assert_int_equal(dot_parse_show("user,start,cmdline,path", &o.show, &e), 0);
    free(d);
    d = render_opts(&s, NULL, &o);
    assert_non_null(strstr(d, "\\nstarted +3.310s\\nuser NT AUTHORITY\\\\SYSTEM\\n"));
    /* csrss's long command line: wrapped, no line over 44 bytes (+ escapes). */
    o.focus = "404";
    free(d);
    d = render_opts(&s, NULL, &o);
    const char *lbl = strstr(d, "[label=\"csrss.exe");
    assert_non_null(lbl);
    assert_non_null(strstr(lbl, "%SystemRoot%\\\\system32\\\\csrss.exe \\nObjectDirectory="));
    assert_int_equal(dot_parse_show("all", &o.show, &e), 0);
    assert_int_equal(o.show, DOT_SHOW_USER | DOT_SHOW_START | DOT_SHOW_CMDLINE | DOT_SHOW_PRIORITY |
                                 DOT_SHOW_INTEGRITY | DOT_SHOW_PATH);
    assert_int_equal(dot_parse_show("user,colour", &o.show, &e), -1);
    assert_non_null(strstr(e.msg, "'colour'"));
    free(d);
    free(plain);
    snap_release(&s);
}

/* A flagged value's note wraps a long value (SubSystems Windows is ~300
 * characters) instead of one line as wide as the picture, and keeps its end. */
static void regnote__long_value__wrapped(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    struct chk_findings f = {0};
    anomaly(&s, &f);
    static const char *const win[] = {
        "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows "
        "SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 "
        "ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off "
        "MaxRequestThreads=16 ServerDll=C:\\Users\\Public\\evil.dll"};
    s.regs[1].name = "Windows";
    s.regs[1].type = SNAP_REG_EXPAND_SZ;
    s.regs[1].data = win;
    char *d = render(&s, &f, 0, NULL);
    const char *note = strstr(d, "\"r1\" [shape=note");
    assert_non_null(note);
    const char *end = strstr(note, "\"];");
    assert_non_null(strstr(note, "evil.dll"));
    assert_true(strstr(note, "evil.dll") < end);
    /* No line of the label is longer than the wrap width plus escapes. */
    size_t run = 0, longest = 0;
    for (const char *p = strstr(note, "label=\"") + 7; p < end; p++) {
        if (p[0] == '\\' && (p[1] == 'l' || p[1] == 'n')) {
            longest = run > longest ? run : longest;
            run = 0;
            p++;
        } else {
            run++;
        }
    }
    assert_true(longest <= 56 + 16);
    free(d);
    release_findings(&f);
    snap_release(&s);
}

static void registry__panel__every_value_finding_in_red(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    struct chk_findings f = {0};
    anomaly(&s, &f);
    struct dot_opts o = {.registry = 1};
    char *d = render_opts(&s, &f, &o);
    const char *panel = strstr(d, "subgraph \"cluster_registry\"");
    assert_non_null(panel);
    /* The normal value is there too, and the flagged one is red with its rule. */
    const char *be = strstr(panel, "BootExecute = autocheck autochk *\\l");
    assert_non_null(be);
    const char *opt = strstr(panel, "! Optional = Posix\\l    flagged: SMSS-SUBSYSTEMS\\l");
    assert_non_null(opt);
    const char *box = opt;
    while (box > panel && strncmp(box, "[shape=note", 11))
        box--;
    assert_int_equal(strncmp(box, "[shape=note, fontsize=9, color=red", 34), 0);
    /* No red note outside the panel, and the reader's edge leaves smss. */
    assert_null(strstr(d, "\"r1\" [shape=note"));
    assert_non_null(strstr(d, "\"p300_1714550402000000\" -> \"reg"));
    /* Without --registry: no panel. */
    char *plain = render(&s, &f, 0, NULL);
    assert_null(strstr(plain, "cluster_registry"));
    free(plain);
    free(d);
    release_findings(&f);
    snap_release(&s);
}

/* Past 8 sessions the edges into boxes keep their weight and rank the
 * boxes: weightless long edges over many rows made dot take 44 s for 60
 * sessions instead of 0.5 s, unconstrained ones 100 s for 200 instead of 4. */
static void rows__many_sessions__weighted_edges(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    char *d = render(&s, NULL, 0, NULL);
    assert_non_null(strstr(d, "weight=0, constraint=false"));
    assert_non_null(strstr(d, "concentrate=true"));
    free(d);
    for (int32_t k = 2; k <= 9; k++) {
        add_session(&s, k, "rdp", NULL, -1, -1);
        add(&s, (uint32_t)(9000 + 8 * k), 300, 60000 + k, 60010 + k, k, "smss.exe", "smss.exe",
            SYSTEM);
    }
    d = render(&s, NULL, 0, NULL);
    assert_null(strstr(d, "constraint=false"));
    assert_null(strstr(d, "concentrate"));
    assert_non_null(strstr(d, "cluster_s9"));
    free(d);
    snap_release(&s);
}

/* The row node's edges, in order, name the session boxes left to right; each
 * box's roots hang from the box's top. */
static void rows__sessions_in_order_and_width_cap(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    rdp_host(&s);
    char *d = render(&s, NULL, 0, NULL);
    const char *a = strstr(d, "\"row0\" -> \"s0_top\"");
    const char *b = strstr(d, "\"row0\" -> \"s1_top\"");
    assert_non_null(a);
    assert_true(!b || a < b);
    assert_non_null(strstr(d, "\"s0_top\" -> \"p396_"));
    assert_non_null(strstr(d, "ordering=out"));
    assert_non_null(strstr(d, "laid out for 1920 px"));
    assert_non_null(strstr(d, "size=\"20.00,1000\""));
    /* Edges into a box from outside do not pull it sideways nor rank it;
     * inside they do. */
    assert_non_null(strstr(
        d,
        "\"p300_1714550402000000\" -> \"p2100_1714550999000000\" [weight=0, constraint=false];"));
    assert_non_null(
        strstr(d, "\"p2100_1714550999000000\" -> \"p2104_1714550999005000\" [style=dotted, "
                  "color=grey45];"));
    /* A narrow cap: more rows, every session in a later row than the one before. */
    struct dot_opts narrow = {.max_width_px = 400};
    char *n = render_opts(&s, NULL, &narrow);
    assert_non_null(strstr(n, "laid out for 400 px: sessions in 4 rows"));
    assert_non_null(strstr(n, "\"row0\" -> \"s0_top\""));
    assert_non_null(strstr(n, "\"row1\" -> \"s1_top\""));
    assert_non_null(strstr(n, "\"row2\" -> \"s2_top\""));
    assert_non_null(strstr(n, "\"row3\" -> \"s3_top\""));
    assert_non_null(strstr(n, "\"s2_bottom\" -> \"row3\""));
    assert_non_null(strstr(n, "size=\"4.16,1000\""));
    /* No cap: one row, no size. */
    struct dot_opts none = {.max_width_px = -1};
    char *w = render_opts(&s, NULL, &none);
    assert_null(strstr(w, ", size=\""));
    assert_null(strstr(w, "\"row1\""));
    assert_null(strstr(w, "constraint=false"));
    assert_non_null(strstr(w, "\"row0\" -> \"s3_top\""));
    free(w);
    free(n);
    free(d);
    snap_release(&s);
}

/* A user's box whose roots start nothing in it (what session-0 services
 * start in every session) spreads them over its ranks rather than drawing
 * them side by side: twelve wide ones would be a box 2,700 points wide. */
static void rows__loose_roots__staggered_over_ranks(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    rdp_host(&s);
    /* Each its own name: alike siblings would fold into one box. */
    char names[12][48];
    for (uint32_t k = 0; k < 12; k++) {
        snprintf(names[k], sizeof(names[k]), "AVeryLongNameForABrokerProcess%02u.exe", k);
        add(&s, 2500 + 4 * k, 620, 610000 + k, -1, 2, names[k], names[k], "CORP\\alice");
    }
    char *d = render(&s, NULL, 0, NULL);
    assert_int_equal(count(d, "\"s2_top\" -> \"p25"), 12);
    size_t on_first = 0;
    for (const char *p = d; (p = strstr(p, "\"s2_top\" -> \"p25")) != NULL; p++)
        on_first += strncmp(strchr(p, '['), "[style=invis, minlen=0]", 23) == 0;
    assert_true(on_first > 0 && on_first < 12);
    /* Their edges from session 0 neither rank nor pull the box. */
    assert_non_null(strstr(d, "-> \"p2500_1714551010000000\" [weight=0, constraint=false]"));
    assert_null(strstr(d, "a session is wider"));
    free(d);
    snap_release(&s);
}

static void focus__pid__ancestors_only_for_leaf(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    char *d = render(&s, NULL, 0, "636");
    static const uint32_t in[] = {4, 300, 396, 480, 636};
    for (size_t k = 0; k < ARRAY_SIZE(in); k++)
        assert_true(has_pid(d, in[k]));
    assert_false(has_pid(d, 620));
    assert_false(has_pid(d, 556));
    assert_non_null(strstr(d, "5 processes drawn"));
    free(d);
    snap_release(&s);
}

static void focus__no_match__error(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    normal_boot(&s);
    struct strbuf sb = STRBUF_INIT;
    struct dot_opts o = {0, "nosuch.exe"};
    struct err e = {{0}};
    assert_int_equal(dot_write(&sb, &s, NULL, &o, &e), -1);
    assert_non_null(strstr(e.msg, "nosuch.exe"));
    sb_release(&sb);
    snap_release(&s);
}

/* A parent cycle (possible in broken real data without times) must end. */
static void focus__parent_cycle__terminates(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    head(&s, "H", NULL, 1000);
    struct snap_proc *a = add(&s, 100, 200, 0, -1, 1, "a.exe", NULL, NULL);
    struct snap_proc *b = add(&s, 200, 100, 0, -1, 1, "b.exe", NULL, NULL);
    a->create_time = b->create_time = WT_NONE;
    a->parent_create_time = b->parent_create_time = WT_NONE;
    char *d = render(&s, NULL, 0, "a.exe");
    assert_true(has_pid(d, 100) && has_pid(d, 200));
    free(d);
    d = render(&s, NULL, 0, NULL);
    assert_non_null(strstr(d, "\"p100_x\" -> \"p200_x\""));
    free(d);
    snap_release(&s);
}

static void ids__duplicate_records__distinct(void **state)
{
    (void)state;
    struct snap s;
    snap_init(&s);
    head(&s, "H", NULL, 1000);
    add(&s, 4, 0, 0, -1, SNAP_NO_SESSION, "System", NULL, NULL);
    add(&s, 8, 4, 10, -1, SNAP_NO_SESSION, "dup.exe", NULL, NULL);
    add(&s, 8, 4, 10, -1, SNAP_NO_SESSION, "dup.exe", NULL, NULL);
    char *d = render(&s, NULL, 0, NULL);
    char a[64], b[64];
    snprintf(a, sizeof(a), "\"p8_%lld\" [", (long long)(boot() + 10 * WT_MSEC));
    snprintf(b, sizeof(b), "\"p8_%lld_1\" [", (long long)(boot() + 10 * WT_MSEC));
    assert_non_null(strstr(d, a));
    assert_non_null(strstr(d, b));
    free(d);
    snap_release(&s);
}

static void run__missing_program__error(void **state)
{
    (void)state;
    char *p = dot_find_program("/nonexistent/dot");
    assert_null(p);
    p = dot_find_program("smsslab-no-such-program-xyz");
    assert_null(p);
    /* A program that fails: its exit status is reported. */
    struct err e = {{0}};
    char tmpl[] = "/tmp/smsslab-test-render-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    char *f = dot_find_program("false");
    if (f) {
        assert_int_equal(dot_run(f, "svg", "digraph{}", 9, fd, &e), -1);
        assert_non_null(strstr(e.msg, "exit status 1"));
    }
    free(f);
    close(fd);
    unlink(tmpl);
}

static void run__bad_dot__stderr_reported(void **state)
{
    (void)state;
    char *prog = dot_find_program("dot");
    if (!prog) {
        print_message("SKIP: the Graphviz 'dot' program is not on PATH\n");
        skip();
    }
    char tmpl[] = "/tmp/smsslab-test-render-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    struct err e = {{0}};
    const char *bad = "digraph { a -> }";
    assert_int_equal(dot_run(prog, "svg", bad, strlen(bad), fd, &e), -1);
    assert_non_null(strstr(e.msg, "syntax error"));
    close(fd);
    unlink(tmpl);
    free(prog);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden__normal_boot__matches),
        cmocka_unit_test(golden__rdp_host_details__matches),
        cmocka_unit_test(golden__anomaly__matches),
        cmocka_unit_test(determinism__same_input__identical),
        cmocka_unit_test(determinism__reversed_input__identical),
        cmocka_unit_test(escape__quotes_backslashes__doubled),
        cmocka_unit_test(escape__trailing_backslash__cannot_eat_quote),
        cmocka_unit_test(escape__controls_and_entities__neutralised),
        cmocka_unit_test(escape__invalid_utf8__replaced),
        cmocka_unit_test(escape__long_strings__cut_on_char_boundary),
        cmocka_unit_test(hostile__whole_graph__dot_accepts_it),
        cmocka_unit_test(graphviz__goldens__render_to_svg),
        cmocka_unit_test(focus__name__branch_and_ancestors),
        cmocka_unit_test(focus__pid__ancestors_only_for_leaf),
        cmocka_unit_test(focus__no_match__error),
        cmocka_unit_test(focus__several_names__each_branch),
        cmocka_unit_test(collapse__svchosts__one_box_with_every_pid),
        cmocka_unit_test(collapse__flagged_and_reused_pids__stay_apart),
        cmocka_unit_test(collapse__exited_siblings__range_of_exits),
        cmocka_unit_test(show__fields__each_one_and_wrapped),
        cmocka_unit_test(registry__panel__every_value_finding_in_red),
        cmocka_unit_test(regnote__long_value__wrapped),
        cmocka_unit_test(rows__sessions_in_order_and_width_cap),
        cmocka_unit_test(rows__loose_roots__staggered_over_ranks),
        cmocka_unit_test(rows__many_sessions__weighted_edges),
        cmocka_unit_test(focus__parent_cycle__terminates),
        cmocka_unit_test(ids__duplicate_records__distinct),
        cmocka_unit_test(run__missing_program__error),
        cmocka_unit_test(run__bad_dot__stderr_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
