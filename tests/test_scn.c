/*
 * test_scn: the scenario loader. The default scenario and a file using every
 * key load to the expected values; every bad or hostile input in the table
 * fails with its exact "file:line:col: message" prefix and leaves the
 * scenario zeroed; the generated attacks (alias bomb, deep nesting, huge
 * lists, oversize input) are rejected at their limit, quickly.
 *
 * Usage: test_scn [-t PATTERN]   (cmocka test-name filter, e.g. -t 'bad__tab*')
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/util.h"
#include "../core/wtime.h"
#include "../sim/scn.h"

#define BOOT_DEFAULT (wt_days_from_civil(2024, 5, 1) * WT_DAY + 8 * WT_HOUR)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_zeroed(const struct scn *sc)
{
    static const struct scn zero;
    return !memcmp(sc, &zero, sizeof(zero));
}

/* Load text that must fail with a message starting with `want`; the run must
 * also leave the struct zeroed and take less than max_s seconds. */
static void expect_fail(const char *yaml, size_t len, const char *want, double max_s)
{
    struct scn sc;
    struct err e = {""};
    double t0 = now_s();
    int rc = scn_load_mem(&sc, "t.yaml", yaml, len, &e);
    double dt = now_s() - t0;
    if (rc != -1 || strncmp(e.msg, want, strlen(want)))
        fail_msg("rc %d\n  got:  %s\n  want: %s...", rc, e.msg, want);
    assert_true(is_zeroed(&sc));
    if (dt > max_s)
        fail_msg("took %.3f s, limit %.3f s", dt, max_s);
    scn_release(&sc); /* a no-op on the zeroed struct, and must stay safe */
}

static void load_ok(struct scn *sc, const char *yaml)
{
    struct err e = {""};
    if (scn_load_mem(sc, "t.yaml", yaml, strlen(yaml), &e))
        fail_msg("unexpected error: %s", e.msg);
}

/* ---- defaults and the embedded scenario ---- */

static void init__defaults__match_docs(void **state)
{
    (void)state;
    struct scn sc;
    scn_init(&sc);
    assert_int_equal(sc.os, SCN_OS_WIN10);
    assert_true(sc.seed == 1);
    assert_string_equal(sc.host, "DESKTOP-SMSS01");
    assert_string_equal(sc.domain, "WORKGROUP");
    assert_true(sc.boot_time == BOOT_DEFAULT);
    assert_true(sc.duration == WT_NONE);
    assert_int_equal(sc.nsessions, 1);
    assert_int_equal(sc.sessions[0].id, 1);
    assert_int_equal(sc.sessions[0].kind, SCN_SESS_CONSOLE);
    assert_null(sc.sessions[0].user);
    assert_true(sc.sessions[0].logon == WT_NONE && sc.sessions[0].logoff == WT_NONE &&
                sc.sessions[0].connect == WT_NONE);
    assert_int_equal(sc.nsnapshots, 1);
    assert_true(sc.snapshots[0] == SCN_AT_END);
    assert_int_equal(sc.opt.credential_guard, -1);
    assert_int_equal(sc.opt.win11_child_line, -1);
    assert_int_equal(sc.opt.pid_reuse, 1);
    assert_int_equal(sc.opt.svchosts, -1);
    assert_int_equal(sc.opt.special_session, 0);
    assert_int_equal(sc.opt.rdp_termsvcs_parent, 0);
    assert_null(sc.opt.shared_section);
    assert_null(sc.name);
    assert_int_equal(sc.nregs + sc.nanomalies, 0);
    scn_release(&sc);
    assert_true(is_zeroed(&sc));
    scn_release(&sc); /* twice is fine */
}

static void default__loads__windows10_console_logon(void **state)
{
    (void)state;
    struct scn sc;
    struct err e = {""};
    if (scn_load_default(&sc, &e))
        fail_msg("%s", e.msg);
    assert_string_equal(sc.file, "<default>");
    assert_string_equal(sc.name, "default-win10-console-logon");
    assert_int_equal(sc.os, SCN_OS_WIN10);
    assert_true(sc.seed == 1);
    assert_string_equal(sc.host, "WS-0142");
    assert_string_equal(sc.domain, "CORP");
    assert_true(sc.boot_time == BOOT_DEFAULT);
    assert_int_equal(sc.nsessions, 1);
    assert_int_equal(sc.sessions[0].id, 1);
    assert_string_equal(sc.sessions[0].user, "CORP\\alice");
    assert_true(sc.sessions[0].logon == 35 * WT_SEC);
    assert_true(sc.sessions[0].logoff == WT_NONE);
    assert_int_equal(sc.nsnapshots, 2);
    assert_true(sc.snapshots[0] == 30 * WT_SEC && sc.snapshots[1] == SCN_AT_END);
    assert_int_equal(sc.nregs + sc.nanomalies, 0);
    scn_release(&sc);
}

/* ---- every key round-trips ---- */

static const char every_key[] = "name: every-key\n"
                                "description: |\n"
                                "  two\n"
                                "  lines\n"
                                "seed: 18446744073709551615\n"
                                "os: server2022\n"
                                "host: {name: SRV-01, domain: EXAMPLE}\n"
                                "boot_time: 2030-01-02T03:04:05.5Z\n"
                                "duration: 2h\n"
                                "sessions:\n"
                                "  - {id: 1, kind: console, user: 'EXAMPLE\\admin', logon: 1m}\n"
                                "  - id: 3\n"
                                "    kind: rdp\n"
                                "    user: EXAMPLE\\bob\n"
                                "    connect: 10m\n"
                                "    logon: 10m5s\n"
                                "    logoff: 1h30m\n"
                                "  - {id: 2, kind: console, connect: 20m}\n"
                                "snapshots: [end, 90s, 0, 1h]\n"
                                "registry:\n"
                                "  bootexecute: [autocheck autochk *, evil.exe]\n"
                                "  KnownDLLs\\evil: evil.dll\n"
                                "  AppCertDlls\\x: null\n"
                                "  PendingFileRenameOperations: ['\\??\\C:\\a.tmp', '']\n"
                                "  Winlogon\\Shell: explorer.exe, evil.exe\n"
                                "options:\n"
                                "  credential_guard: true\n"
                                "  special_session: true\n"
                                "  win11_child_line: false\n"
                                "  rdp_termsvcs_parent: true\n"
                                "  pid_reuse: false\n"
                                "  shared_section: 1024,20480,1024\n"
                                "  svchosts: 400\n"
                                "anomalies:\n"
                                "  - type: smss-wrong-parent\n"
                                "    parent: explorer.exe\n"
                                "    at: 40s\n"
                                "  - {type: smss-wrong-user, id: mine, session: 3}\n";

static void every_key__loads__each_value(void **state)
{
    (void)state;
    struct scn sc;
    load_ok(&sc, every_key);
    assert_string_equal(sc.file, "t.yaml");
    assert_string_equal(sc.name, "every-key");
    assert_string_equal(sc.description, "two\nlines\n");
    assert_true(sc.seed == UINT64_MAX);
    assert_int_equal(sc.seed_loc.line, 5);
    assert_int_equal(sc.seed_loc.col, 7);
    assert_int_equal(sc.os, SCN_OS_SERVER2022);
    assert_int_equal(sc.os_loc.line, 6);
    assert_string_equal(sc.host, "SRV-01");
    assert_string_equal(sc.domain, "EXAMPLE");
    assert_true(sc.boot_time ==
                wt_days_from_civil(2030, 1, 2) * WT_DAY + 3 * WT_HOUR + 4 * WT_MIN + 5500000);
    assert_true(sc.duration == 2 * WT_HOUR);

    assert_int_equal(sc.nsessions, 3);
    const struct scn_session *s = sc.sessions;
    assert_int_equal(s[0].id, 1);
    assert_string_equal(s[0].user, "EXAMPLE\\admin");
    assert_true(s[0].logon == WT_MIN);
    assert_int_equal(s[1].id, 3);
    assert_int_equal(s[1].kind, SCN_SESS_RDP);
    assert_string_equal(s[1].user, "EXAMPLE\\bob");
    assert_true(s[1].connect == 10 * WT_MIN && s[1].logon == 10 * WT_MIN + 5 * WT_SEC);
    assert_true(s[1].logoff == 90 * WT_MIN);
    assert_int_equal(s[1].loc.line, 12);
    assert_int_equal(s[1].loc.col, 5);
    assert_int_equal(s[2].id, 2);
    assert_int_equal(s[2].kind, SCN_SESS_CONSOLE);
    assert_null(s[2].user);
    assert_true(s[2].connect == 20 * WT_MIN && s[2].logon == WT_NONE);

    int64_t snaps[] = {0, 90 * WT_SEC, WT_HOUR, SCN_AT_END};
    assert_int_equal(sc.nsnapshots, 4);
    for (size_t i = 0; i < 4; i++)
        assert_true(sc.snapshots[i] == snaps[i]);

    assert_int_equal(sc.nregs, 5);
    const struct scn_reg *r = sc.regs;
    assert_string_equal(r[0].rel, "BootExecute"); /* canonical spelling */
    assert_true(r[0].is_list && !r[0].is_delete);
    assert_int_equal(r[0].ndata, 2);
    assert_string_equal(r[0].data[1], "evil.exe");
    assert_int_equal(r[0].loc.line, 21);
    assert_int_equal(r[0].loc.col, 3);
    assert_string_equal(r[1].rel, "KnownDLLs\\evil");
    assert_true(!r[1].is_list && r[1].ndata == 1);
    assert_string_equal(r[1].data[0], "evil.dll");
    assert_string_equal(r[2].rel, "AppCertDlls\\x");
    assert_true(r[2].is_delete && r[2].ndata == 0);
    assert_int_equal(r[3].ndata, 2);
    assert_string_equal(r[3].data[0], "\\??\\C:\\a.tmp");
    assert_string_equal(r[3].data[1], "");
    assert_string_equal(r[4].rel, "Winlogon\\Shell");
    assert_string_equal(r[4].data[0], "explorer.exe, evil.exe");

    assert_int_equal(sc.opt.credential_guard, 1);
    assert_int_equal(sc.opt.special_session, 1);
    assert_int_equal(sc.opt.win11_child_line, 0);
    assert_int_equal(sc.opt.rdp_termsvcs_parent, 1);
    assert_int_equal(sc.opt.pid_reuse, 0);
    assert_string_equal(sc.opt.shared_section, "1024,20480,1024");
    assert_int_equal(sc.opt.svchosts, 400);

    assert_int_equal(sc.nanomalies, 2);
    const struct scn_anomaly *a = sc.anomalies;
    assert_string_equal(a[0].type, "smss-wrong-parent");
    assert_string_equal(a[0].id, "a1"); /* the default label id */
    assert_int_equal(a[0].loc.line, 35);
    assert_int_equal(a[0].type_loc.line, 35);
    assert_int_equal(a[0].type_loc.col, 11);
    assert_int_equal(a[0].nparams, 2);
    assert_string_equal(a[0].params[0].key, "parent");
    assert_string_equal(a[0].params[0].value, "explorer.exe");
    assert_int_equal(a[0].params[0].loc.line, 36);
    assert_int_equal(a[0].params[0].loc.col, 13);
    assert_string_equal(a[0].params[1].value, "40s");
    assert_string_equal(a[1].id, "mine");
    assert_int_equal(a[1].nparams, 1);
    assert_string_equal(a[1].params[0].value, "3");
    scn_release(&sc);
}

/* Values at the edges of their ranges load. */
static void edges__load__exact_values(void **state)
{
    (void)state;
    struct scn sc;
    load_ok(&sc, "seed: 9999999999999999999\n"); /* 19 digits fit in 64 bits */
    assert_true(sc.seed == 9999999999999999999ull);
    scn_release(&sc);
    load_ok(&sc, "seed: 0\nboot_time: 1970-01-01T00:00:00Z\nsnapshots: [366d]\n");
    assert_true(sc.seed == 0 && sc.boot_time == 0 && sc.snapshots[0] == 366 * WT_DAY);
    scn_release(&sc);
    load_ok(&sc, "boot_time: 9998-12-30T00:00:00+00:00\noptions: {svchosts: 0}\n");
    assert_int_equal(sc.opt.svchosts, 0);
    scn_release(&sc);
    load_ok(&sc, "sessions: [{id: 65535, connect: 1s}]\n");
    assert_int_equal(sc.sessions[1].id, 65535);
    scn_release(&sc);
    load_ok(&sc, "name: \"quoted: ok\"\nhost: {name: 'X', domain: \"\\u00e9t\\u00e9\"}\n");
    assert_string_equal(sc.domain, "\xc3\xa9t\xc3\xa9");
    scn_release(&sc);
}

static void file__loads__and_reports_io_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/test_scn_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("os: win7\nbogus: 1\n", f);
    fclose(f);
    struct scn sc;
    struct err e = {""};
    assert_int_equal(scn_load_file(&sc, path, &e), -1);
    char want[128];
    snprintf(want, sizeof(want), "%s:2:1: unknown key 'bogus'", path);
    assert_memory_equal(e.msg, want, strlen(want));

    f = fopen(path, "w");
    fputs("os: win7\n", f);
    fclose(f);
    assert_int_equal(scn_load_file(&sc, path, &e), 0);
    assert_int_equal(sc.os, SCN_OS_WIN7);
    assert_string_equal(sc.file, path);
    scn_release(&sc);

    /* One byte over the cap: refused before parsing. */
    f = fopen(path, "w");
    for (size_t i = 0; i <= SCN_MAX_FILE_BYTES; i++)
        fputc('#', f);
    fclose(f);
    assert_int_equal(scn_load_file(&sc, path, &e), -1);
    assert_non_null(strstr(e.msg, "larger than the limit"));
    assert_true(is_zeroed(&sc));
    unlink(path);

    assert_int_equal(scn_load_file(&sc, "/nonexistent/x.yaml", &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/x.yaml"));
    assert_true(is_zeroed(&sc));
}

/* ---- the bad-input table ---- */

struct bad {
    const char *name;
    const char *yaml;
    size_t len; /* 0 = strlen; set for inputs holding NUL bytes */
    const char *want;
};

#define BAD(n, y, w) \
    {                \
#n, y, 0, w  \
    }
#define BADN(n, y, w)           \
    {                           \
#n, y, sizeof(y) - 1, w \
    }

static const struct bad bad_cases[] = {
    /* keys */
    BAD(unknown_key_nested, "name: x\nhost:\n  nmae: y\n",
        "t.yaml:3:3: unknown key 'nmae' in 'host' (did you mean 'name'?); valid keys: name, "
        "domain"),
    BAD(unknown_key_root, "os: win10\nsesions: []\n",
        "t.yaml:2:1: unknown key 'sesions' in the scenario (did you mean 'sessions'?); valid "
        "keys: name, description, seed, os, host,"),
    BAD(unknown_key_no_guess, "zzzzzz: 1\n", "t.yaml:1:1: unknown key 'zzzzzz' in the scenario; "),
    BAD(unknown_option, "options:\n  pid_resue: true\n",
        "t.yaml:2:3: unknown key 'pid_resue' in 'options' (did you mean 'pid_reuse'?)"),
    BAD(unknown_session_key, "sessions:\n  - {id: 2, logn: 3s}\n",
        "t.yaml:2:13: unknown key 'logn' in a session (did you mean 'logon'?)"),
    BAD(dup_key_root, "name: x\nseed: 1\nname: y\n",
        "t.yaml:3:1: duplicate key 'name' (first at 1:1)"),
    BAD(dup_key_host, "host: {name: a, name: b}\n",
        "t.yaml:1:17: duplicate key 'name' (first at 1:8)"),
    BAD(dup_registry_case, "registry:\n  BootExecute: a\n  bootexecute: b\n",
        "t.yaml:3:3: duplicate registry value 'bootexecute' (first at 2:3)"),
    BAD(dup_anomaly_param, "anomalies: [{type: x, p: 1, p: 2}]\n",
        "t.yaml:1:29: duplicate key 'p'"),
    BAD(dup_anomaly_type, "anomalies: [{type: x, type: y}]\n", "t.yaml:1:23: duplicate key 'type'"),
    BAD(key_not_scalar, "? [a]\n: b\n",
        "t.yaml:1:3: keys in the scenario must be names, not a list"),
    BAD(key_null, "~: b\n", "t.yaml:1:1: keys in the scenario must be names, not null"),
    /* document shape */
    BAD(empty_file, "", "t.yaml:1:1: scenario is empty"),
    BAD(comments_only, "# nothing here\n\n", "t.yaml:1:1: scenario is empty"),
    BAD(null_document, "---\n~\n", "t.yaml:2:1: scenario is empty"),
    BAD(top_list, "[1, 2]\n", "t.yaml:1:1: a scenario must be a mapping of keys, not a list"),
    BAD(top_scalar, "hello\n",
        "t.yaml:1:1: a scenario must be a mapping of keys, not a plain value"),
    BAD(two_documents, "name: a\n---\nname: b\n",
        "t.yaml:2:1: a scenario is one YAML document; found a second"),
    /* yaml syntax, reported with libyaml's problem mark + 1 */
    BAD(tab_indent, "host:\n\tname: x\n",
        "t.yaml:2:1: yaml syntax: found character that cannot start any token while scanning "
        "for the next token: tabs cannot indent YAML, use spaces"),
    BAD(bad_indent, "name: x\n  bad: y\n",
        "t.yaml:2:6: yaml syntax: mapping values are not allowed in this context"),
    BAD(unclosed_flow, "sessions: [{id: 2\n",
        "t.yaml:2:1: yaml syntax: did not find expected ',' or '}' while parsing a flow mapping "
        "that starts at 1:12"),
    BAD(unclosed_quote, "name: \"abc\n", "t.yaml:2:1: yaml syntax: found unexpected end of stream"),
    BAD(bad_escape, "name: \"\\ud800\"\n",
        "t.yaml:1:10: yaml syntax: found invalid Unicode character escape code"),
    /* bytes */
    BADN(nul_byte_raw, "name: a\0b\n", "t.yaml:1:8: NUL byte in the input: a scenario is UTF-8"),
    BAD(nul_byte_escaped, "name: \"a\\0b\"\n", "t.yaml:1:7: 'name' contains a NUL byte"),
    BAD(control_in_name, "host: {name: \"a\\x01b\"}\n",
        "t.yaml:1:14: 'name' contains a control character (byte 0x01)"),
    BAD(invalid_utf8_trail, "os: win10\nname: \xc3\x28\n",
        "t.yaml:2:8: invalid trailing UTF-8 octet (byte 0x28): a scenario is UTF-8 text"),
    BAD(invalid_utf8_lead, "name: ok\ndescription: caf\xff\n",
        "t.yaml:2:17: invalid leading UTF-8 octet (byte 0xff)"),
    BAD(overlong_utf8, "name: \xc0\xaf\n", "t.yaml:1:7: invalid length of a UTF-8 sequence"),
    BADN(utf16_bom, "\xff\xfen\0a\0m\0e\0:\0 \0x\0\n\0",
         "t.yaml:1:1: the file is UTF-16 (byte-order mark FF FE); scenarios are UTF-8: save it "
         "as UTF-8"),
    BADN(utf16be_bom, "\xfe\xff\0n\0a\0m\0e\0:\0 \0x\0\n",
         "t.yaml:1:1: the file is UTF-16 (byte-order mark FE FF)"),
    /* libyaml's value is a code point here: name it and the bytes (issue 17) */
    BAD(anomaly_after_logoff,
        "sessions: [{id: 2, user: u, logon: 1m, logoff: 5m}]\n"
        "anomalies: [{type: smss-wrong-parent, session: 2, at: 10m}]\n",
        "t.yaml:2:55: anomaly 'smss-wrong-parent' at 10m is in session 2, which logs off at 5m: "
        "place it before the logoff or in another session"),
    BAD(typo_tie, "sessions: [{id: 2, logon: 1m, logof: 5m}]\n",
        "t.yaml:1:31: unknown key 'logof' in a session (did you mean 'logoff'?)"),
    BAD(surrogate_utf8,
        "name: a\xed\xa0\x80"
        "b\n",
        "t.yaml:1:8: invalid Unicode character (U+D800, bytes ED A0 80): a scenario is UTF-8 "
        "text"),
    BAD(noncharacter_utf8, "name: a\xef\xbf\xbe\n",
        "t.yaml:1:8: control characters are not allowed (U+FFFE, bytes EF BF BE)"),
    BADN(utf32_bom, "\xff\xfe\0\0n\0\0\0",
         "t.yaml:1:1: the file is UTF-32 (byte-order mark FF FE 00 00); scenarios are UTF-8"),
    BADN(utf32be_bom, "\0\0\xfe\xff\0\0\0n",
         "t.yaml:1:1: the file is UTF-32 (byte-order mark 00 00 FE FF)"),
    BADN(binary_garbage,
         "\x7f"
         "ELF\x02\x01\x01\0\0\0",
         "t.yaml:1:1: control characters are not allowed (byte 0x7f)"),
    BAD(tag, "name: !!str x\n",
        "t.yaml:1:7: tag 'tag:yaml.org,2002:str' is not allowed: write plain values"),
    BAD(local_tag, "sessions: !foo []\n", "t.yaml:1:11: tag '!foo' is not allowed"),
    /* anchors and aliases */
    BAD(anchor, "name: &a x\n",
        "t.yaml:1:7: anchor '&a' is not allowed: scenarios refuse "
        "anchors and aliases so no input can expand into an alias bomb"),
    BAD(alias, "name: x\ndescription: *a\n", "t.yaml:2:14: alias '*a' is not allowed"),
    BAD(anchor_on_key, "&k name: x\n", "t.yaml:1:1: anchor '&k' is not allowed"),
    /* numbers */
    BAD(seed_negative, "seed: -1\n",
        "t.yaml:1:7: 'seed' value '-1' is out of range (0..18446744073709551615)"),
    BAD(seed_20_digits, "seed: 18446744073709551616\n",
        "t.yaml:1:7: 'seed' value '18446744073709551616' is out of range"),
    BAD(seed_huge, "seed: 999999999999999999999999999999\n",
        "t.yaml:1:7: 'seed' value '999999999999999999999999999999' is out of range"),
    BAD(seed_hex, "seed: 0x10\n", "t.yaml:1:7: 'seed' must be a decimal integer, not '0x10'"),
    BAD(seed_plus, "seed: +5\n", "t.yaml:1:7: 'seed' must be a decimal integer, not '+5'"),
    BAD(seed_float, "seed: 1.5\n", "t.yaml:1:7: 'seed' must be a decimal integer, not '1.5'"),
    BAD(seed_octal, "seed: 010\n",
        "t.yaml:1:7: 'seed' value '010' has a leading zero (YAML 1.1 reads it as octal)"),
    BAD(seed_quoted, "seed: \"5\"\n", "t.yaml:1:7: 'seed' must be an integer, not a quoted string"),
    BAD(seed_list, "seed: [1]\n", "t.yaml:1:7: 'seed' must be an integer, not a list"),
    BAD(seed_null, "seed:\nos: win10\n", "t.yaml:1:6: 'seed' must be an integer, not null"),
    BAD(svchosts_over, "options: {svchosts: 401}\n",
        "t.yaml:1:21: 'svchosts' value '401' is out of range (0..400)"),
    /* strings */
    BAD(name_list, "name: [a]\n", "t.yaml:1:7: 'name' must be a string, not a list"),
    BAD(name_null, "name: ~\n", "t.yaml:1:7: 'name' must be a string, not null"),
    BAD(name_empty, "host: {name: ''}\n", "t.yaml:1:14: 'name' is empty"),
    BAD(os_unknown, "os: win12\n",
        "t.yaml:1:5: unknown 'os' 'win12': use one of win7, win10, win11, server2022"),
    BAD(host_scalar, "host: WS-1\n", "t.yaml:1:7: 'host' must be a mapping, not a plain value"),
    /* booleans */
    BAD(bool_yes, "options:\n  pid_reuse: yes\n",
        "t.yaml:2:14: 'pid_reuse' must be true or false, not 'yes' (YAML 1.2 booleans only)"),
    BAD(bool_True, "options: {special_session: True}\n",
        "t.yaml:1:28: 'special_session' must be true or false, not 'True' (YAML 1.2"),
    BAD(bool_one, "options: {credential_guard: 1}\n",
        "t.yaml:1:29: 'credential_guard' must be true or false, not '1'"),
    BAD(bool_quoted, "options: {pid_reuse: \"true\"}\n",
        "t.yaml:1:22: 'pid_reuse' must be true or false, not a quoted string"),
    BAD(shared_section_two, "options: {shared_section: '1024,20480'}\n",
        "t.yaml:1:27: 'shared_section' '1024,20480' must be three integers 1..1048576 (KB)"),
    BAD(shared_section_zero, "options: {shared_section: '0,1,2'}\n",
        "t.yaml:1:27: 'shared_section' '0,1,2' must be three integers"),
    BAD(shared_section_junk, "options: {shared_section: '1,2,3x'}\n",
        "t.yaml:1:27: 'shared_section' '1,2,3x' must be three integers"),
    /* times */
    BAD(boot_past_9999, "boot_time: 10000-01-01T00:00:00Z\n",
        "t.yaml:1:12: 'boot_time' '10000-01-01T00:00:00Z' is not an ISO 8601 UTC time between "
        "1970 and 9999"),
    BAD(boot_too_late, "boot_time: 9999-12-31T00:00:00Z\n",
        "t.yaml:1:12: 'boot_time' is too late: the simulation must end before the year 10000"),
    BAD(boot_feb30, "boot_time: 2024-02-30T00:00:00Z\n", "t.yaml:1:12: 'boot_time' '2024-02-30"),
    BAD(boot_feb29_2023, "boot_time: 2023-02-29T00:00:00Z\n", "t.yaml:1:12: 'boot_time' '2023"),
    BAD(boot_offset, "boot_time: 2024-05-01T08:00:00+02:00\n",
        "t.yaml:1:12: 'boot_time' '2024-05-01T08:00:00+02:00' is not an ISO 8601 UTC time"),
    BAD(boot_before_1970, "boot_time: 1969-12-31T23:59:59Z\n", "t.yaml:1:12: 'boot_time' '1969"),
    BAD(duration_bad, "duration: 1x\n",
        "t.yaml:1:11: 'duration' has a bad duration '1x': use a number and units from large to "
        "small, e.g. '250ms', '30s', '2h', '1h30m'"),
    BAD(duration_wrong_order, "duration: 30m1h\n", "t.yaml:1:11: 'duration' has a bad duration"),
    BAD(duration_no_unit, "duration: 30\n", "t.yaml:1:11: 'duration' has a bad duration '30'"),
    BAD(duration_negative, "duration: -5s\n", "t.yaml:1:11: 'duration' has a bad duration '-5s'"),
    BAD(duration_over, "duration: 367d\n",
        "t.yaml:1:11: 'duration' value '367d' is past the limit of 366d"),
    BAD(duration_overflow, "duration: 99999999999999999999h\n",
        "t.yaml:1:11: 'duration' has a bad duration"),
    BAD(duration_zero, "duration: 0\n", "t.yaml:1:11: 'duration' must be longer than 0"),
    BAD(time_after_duration, "sessions: [{id: 2, connect: 2h}]\nduration: 1h\n",
        "t.yaml:1:29: 'connect' (2h) is after the end of the simulation ('duration' 1h)"),
    /* sessions */
    BAD(sessions_scalar, "sessions: 5\n",
        "t.yaml:1:11: 'sessions' must be a list of sessions, not a plain value"),
    BAD(session_not_map, "sessions: [2]\n",
        "t.yaml:1:12: a session must be a mapping, not a plain value"),
    BAD(session_dup_id,
        "sessions:\n  - {id: 2, user: a, logon: 30s}\n  - {id: 2, user: b, logon: 40s}\n",
        "t.yaml:3:10: duplicate session id 2 (first at 2:5)"),
    BAD(session_dup_console, "sessions: [{id: 1}, {id: 1}]\n",
        "t.yaml:1:26: duplicate session id 1 (first at 1:17)"),
    BAD(session_zero, "sessions: [{id: 0}]\n", "t.yaml:1:17: session 0 is the services session"),
    BAD(session_id_big, "sessions: [{id: 65536}]\n",
        "t.yaml:1:17: 'id' value '65536' is out of range (0..65535)"),
    BAD(session_no_id, "sessions:\n  - user: a\n    logon: 3s\n",
        "t.yaml:2:5: session entry has no 'id'"),
    BAD(session_kind, "sessions: [{id: 2, kind: ssh}]\n",
        "t.yaml:1:26: unknown session 'kind' 'ssh': use console or rdp"),
    BAD(console_rdp, "sessions: [{id: 1, kind: rdp}]\n",
        "t.yaml:1:26: session 1 is the console session: 'kind' must be console"),
    BAD(console_logoff, "sessions: [{id: 1, user: a, logon: 3s, logoff: 5s}]\n",
        "t.yaml:1:48: 'logoff' is only for sessions 2 and up: a console logoff is not modelled"),
    BAD(console_connect, "sessions: [{id: 1, connect: 3s}]\n",
        "t.yaml:1:29: session 1 exists at boot: 'connect' is only for sessions 2 and up"),
    BAD(logoff_before_logon, "sessions: [{id: 2, user: a, logon: 1h, logoff: 30m}]\n",
        "t.yaml:1:48: 'logoff' (30m) must be after 'logon' (1h)"),
    BAD(logoff_equal_logon, "sessions: [{id: 2, user: a, logon: 1h, logoff: 60m}]\n",
        "t.yaml:1:48: 'logoff' (1h) must be after 'logon' (1h)"),
    BAD(connect_after_logon, "sessions: [{id: 2, user: a, connect: 2m, logon: 1m}]\n",
        "t.yaml:1:38: 'connect' (2m) must be before 'logon' (1m)"),
    BAD(logon_no_user, "sessions: [{id: 2, logon: 1m}]\n",
        "t.yaml:1:27: 'logon' needs a 'user' to log on"),
    BAD(user_no_logon, "sessions: [{id: 2, connect: 1m, user: a}]\n",
        "t.yaml:1:39: session 2 has a 'user' but no 'logon' time"),
    BAD(session_no_time, "sessions: [{id: 4, kind: rdp}]\n",
        "t.yaml:1:12: session 4 needs a 'connect' or 'logon' time"),
    BAD(logoff_no_logon, "sessions: [{id: 2, connect: 1m, logoff: 2m}]\n",
        "t.yaml:1:41: 'logoff' needs a 'logon' time"),
    /* snapshots */
    BAD(snapshot_bad, "snapshots: [30s, soon]\n",
        "t.yaml:1:18: 'snapshots' has a bad duration 'soon'"),
    BAD(snapshot_dup, "snapshots: [30s, end, 30s]\n",
        "t.yaml:1:23: duplicate snapshot time '30s' (first at 1:13)"),
    BAD(snapshot_dup_end, "snapshots: [end, end]\n",
        "t.yaml:1:18: duplicate snapshot time 'end' (first at 1:13)"),
    BAD(snapshot_empty, "snapshots: []\n", "t.yaml:1:12: 'snapshots' is empty"),
    BAD(snapshot_map, "snapshots: {a: 1}\n",
        "t.yaml:1:12: 'snapshots' must be a list of times such as [30s, end], not a mapping"),
    BAD(snapshot_after_end, "duration: 10m\nsnapshots: [1h]\n",
        "t.yaml:2:13: 'snapshots' (1h) is after the end of the simulation ('duration' 10m)"),
    /* registry */
    BAD(registry_unknown, "registry:\n  Foo: x\n",
        "t.yaml:2:3: unknown registry value 'Foo'; valid names: BootExecute, SetupExecute,"),
    BAD(registry_wildcard_empty, "registry: {'KnownDLLs\\': x}\n",
        "t.yaml:1:12: unknown registry value 'KnownDLLs\\'"),
    BAD(registry_list_for_sz, "registry:\n  Winlogon\\Shell: [a, b]\n",
        "t.yaml:2:19: 'Winlogon\\Shell' is a single-string value (REG_SZ or REG_EXPAND_SZ): give "
        "a string, not a list"),
    BAD(registry_mapping, "registry: {BootExecute: {a: b}}\n",
        "t.yaml:1:25: 'BootExecute' must be a string, a list of strings or null, not a mapping"),
    BAD(registry_nested_list, "registry: {BootExecute: [[a]]}\n",
        "t.yaml:1:26: 'BootExecute' must be a string, not a list"),
    BAD(registry_scalar, "registry: x\n",
        "t.yaml:1:11: 'registry' must be a mapping of value names, not a plain value"),
    /* anomalies */
    BAD(anomaly_no_type, "anomalies:\n  - {id: x}\n", "t.yaml:2:5: anomaly has no 'type'"),
    BAD(anomaly_param_list, "anomalies: [{type: x, p: [1]}]\n",
        "t.yaml:1:26: anomaly parameter 'p' must be a single value, not a list"),
    BAD(anomaly_param_null, "anomalies: [{type: x, p: ~}]\n",
        "t.yaml:1:26: anomaly parameter 'p' must be a single value, not null"),
    BAD(anomaly_dup_id, "anomalies: [{type: x, id: a2}, {type: y}]\n",
        "t.yaml:1:32: duplicate anomaly id 'a2' (first at 1:13)"),
    BAD(anomaly_scalar, "anomalies: [x]\n",
        "t.yaml:1:13: 'anomalies' must be a list of mappings with a 'type', not a plain value"),
    /* events (lock, unlock, disconnect, reconnect, shutdown) */
    BAD(event_type,
        "sessions: [{id: 1, user: a, logon: 40s}]\nevents: [{at: 5m, type: lck, session: 1}]\n",
        "t.yaml:2:25: unknown event 'type' 'lck': use lock, unlock, disconnect, reconnect or "
        "shutdown"),
    BAD(event_unlock_unlocked,
        "sessions: [{id: 1, user: a, logon: 40s}]\nevents: [{at: 5m, type: unlock, session: 1}]\n",
        "t.yaml:2:15: cannot unlock session 1 at 5m: it is not locked"),
    BAD(event_reconnect_connected,
        "sessions: [{id: 1, user: a, logon: 40s}]\nevents: [{at: 5m, type: reconnect, session: "
        "1}]\n",
        "t.yaml:2:15: cannot reconnect session 1 at 5m: it is connected: disconnect it first"),
    BAD(event_session_unlisted, "events: [{at: 5m, type: lock, session: 2}]\n",
        "t.yaml:1:40: event 'lock' is for session 2, which 'sessions' does not list"),
    BAD(event_no_logon, "events: [{at: 5m, type: lock, session: 1}]\n",
        "t.yaml:1:40: session 1 has no logon: only a logged-on session can lock"),
    BAD(event_near_logon,
        "sessions: [{id: 1, user: a, logon: 40s}]\nevents: [{at: 50s, type: lock, session: 1}]\n",
        "t.yaml:2:15: 'lock' at 50s is too close to session 1's logon (40s): session events come "
        "at least 30s after it"),
    BAD(event_order,
        "sessions: [{id: 1, user: a, logon: 40s}]\nevents: [{at: 5m, type: lock, session: 1}, "
        "{at: 4m, type: unlock, session: 1}]\n",
        "t.yaml:2:49: events must be listed in time order: 'unlock' at 4m comes before the "
        "previous "
        "event's 5m (at 2:15)"),
    BAD(event_shutdown_session, "events: [{at: 5m, type: shutdown, session: 1}]\n",
        "t.yaml:1:44: a shutdown ends every session: it takes no 'session'"),
    BAD(event_after_shutdown,
        "sessions: [{id: 1, user: a, logon: 40s}]\nevents: [{at: 5m, type: shutdown}, "
        "{at: 6m, type: lock, session: 1}]\n",
        "t.yaml:2:36: no event can follow the shutdown (at 2:10): the machine is off"),
    BAD(event_shutdown_duration, "duration: 1h\nevents: [{at: 5m, type: shutdown}]\n",
        "t.yaml:1:11: 'duration' cannot be set with a shutdown (at 2:10): the simulation ends 10s "
        "after it"),
    BAD(event_shutdown_logon,
        "sessions: [{id: 2, user: a, logon: 6m}]\nevents: [{at: 5m, type: shutdown}]\n",
        "t.yaml:1:36: 'logon' is after the shutdown at 5m (2:10): the machine is off"),
    BAD(event_shutdown_boot, "events: [{at: 1m, type: shutdown}]\n",
        "t.yaml:1:15: 'shutdown' at 1m is during the boot: shut down at 2m or later"),
    BAD(event_no_at, "events: [{type: shutdown}]\n",
        "t.yaml:1:10: event 'shutdown' has no 'at' time"),
    /* anomaly parameters, against the catalogue's tables (sim/anomalies.def) */
    BAD(anomaly_param_choice, "anomalies: [{type: core-wrong-parent, process: notepad.exe}]\n",
        "t.yaml:1:48: 'notepad.exe' is not a valid value here (expected one of: "
        "lsass.exe|csrss.exe|wininit.exe|services.exe)"),
    BAD(anomaly_param_duration, "anomalies: [{type: lsass-children, at: soon}]\n",
        "t.yaml:1:40: 'soon' is not a duration like 90s, 5m or 1h30m (at most 366d)"),
    BAD(anomaly_param_session, "anomalies: [{type: smss-wrong-user, session: 70000}]\n",
        "t.yaml:1:46: '70000' is not a session id (0..65535)"),
    BAD(anomaly_param_path, "anomalies: [{type: smss-wrong-path, path: smss.exe}]\n",
        "t.yaml:1:43: 'smss.exe' is not a Windows path like C:\\Windows\\Temp\\x.exe"),
    BAD(anomaly_param_unknown, "anomalies: [{type: runasppl-off, dll: x.dll}]\n",
        "t.yaml:1:39: anomaly 'runasppl-off' has no parameter 'dll' (it takes: none)"),
    BAD(anomaly_type_unknown, "anomalies: [{type: smss-wrong-parnet}]\n",
        "t.yaml:1:20: unknown anomaly type 'smss-wrong-parnet' (known: smss-wrong-parent, "),
    /* deep nesting where a scalar belongs, in a small input */
    BAD(nest_in_param, "anomalies: [{type: x, p: [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}]\n",
        "t.yaml:1:26: anomaly parameter 'p' must be a single value, not a list"),
};

static void bad__input__exact_error(void **state)
{
    const struct bad *b = *state;
    expect_fail(b->yaml, b->len ? b->len : strlen(b->yaml), b->want, 1.0);
}

/* ---- generated hostile inputs ---- */

/* Billion laughs: nine levels of ten aliases would expand to 10^9 nodes. */
static void hostile__billion_laughs__rejected_at_first_anchor(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "description: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (char c = 'b'; c <= 'i'; c++) {
        sb_addf(&sb, "x%c: &%c [", c, c);
        for (int i = 0; i < 10; i++)
            sb_addf(&sb, "%s*%c", i ? ", " : "", c - 1);
        sb_adds(&sb, "]\n");
    }
    expect_fail(sb.buf, sb.len, "t.yaml:1:14: anchor '&a' is not allowed", 0.05);
    sb_release(&sb);
}

/* 10,000 levels: libyaml alone takes seconds at this depth (quadratic). */
static void hostile__deep_nesting__rejected_fast(void **state)
{
    (void)state;
    enum { DEPTH = 10000 };
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "name: ");
    for (int i = 0; i < DEPTH; i++)
        sb_addc(&sb, '[');
    for (int i = 0; i < DEPTH; i++)
        sb_addc(&sb, ']');
    sb_addc(&sb, '\n');
    expect_fail(sb.buf, sb.len, "t.yaml:1:7: 'name' must be a string, not a list", 0.2);

    /* The same at the top level, in block style. */
    sb_reset(&sb);
    for (int i = 0; i < DEPTH; i++)
        sb_adds(&sb, "- ");
    sb_adds(&sb, "x\n");
    expect_fail(sb.buf, sb.len, "t.yaml:1:1: a scenario must be a mapping of keys, not a list",
                0.2);
    sb_release(&sb);
}

/* A million session entries: the first 1024 extras load, the next one stops it. */
static void hostile__million_sessions__rejected_at_limit(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "sessions: [\n");
    for (int i = 0; i < SCN_MAX_SESSIONS; i++)
        sb_addf(&sb, "{id: %d, connect: 1m},\n", i + 2);
    for (int i = SCN_MAX_SESSIONS; i < 1000000; i++)
        sb_adds(&sb, "{},");
    sb_adds(&sb, "{}]\n");
    assert_true(sb.len <= SCN_MAX_FILE_BYTES);
    char want[128];
    snprintf(want, sizeof(want), "t.yaml:%d:1: too many sessions: the limit is %d besides",
             SCN_MAX_SESSIONS + 2, SCN_MAX_SESSIONS);
    expect_fail(sb.buf, sb.len, want, 0.5);

    /* Exactly at the limit loads. */
    sb_reset(&sb);
    sb_adds(&sb, "sessions:\n");
    for (int i = 0; i < SCN_MAX_SESSIONS; i++)
        sb_addf(&sb, "  - {id: %d, user: 'D\\u%d', logon: %dm}\n", i + 2, i, i + 1);
    struct scn sc;
    load_ok(&sc, sb.buf);
    assert_int_equal(sc.nsessions, SCN_MAX_SESSIONS + 1);
    assert_int_equal(sc.sessions[SCN_MAX_SESSIONS].id, SCN_MAX_SESSIONS + 1);
    scn_release(&sc);
    sb_release(&sb);
}

/* One item past each list limit: `head`, then limit+1 items (`pre` N `post`,
 * N counting from 1); the error lands on the first item past the limit. */
static const struct limit_case {
    const char *head, *pre, *post, *tail, *msg;
    int limit, first_line, col;
} limit_cases[] = {
    {"snapshots:\n", "  - ", "s\n", "", "too many snapshots", SCN_MAX_SNAPSHOTS, 2, 5},
    {"anomalies:\n", "  - {type: t", "}\n", "", "too many anomalies", SCN_MAX_ANOMALIES, 2, 5},
    {"anomalies:\n  - type: t\n", "    p", ": v\n", "", "too many anomaly parameters",
     SCN_MAX_PARAMS, 3, 5},
    {"registry:\n", "  KnownDLLs\\d", ": x.dll\n", "", "too many registry values", SCN_MAX_REGS, 2,
     3},
    {"registry:\n  PendingFileRenameOperations: [\n", "a", ",\n", "]\n",
     "too many registry strings", SCN_MAX_REG_ITEMS, 3, 1},
};

static void hostile__list_limits__rejected_at_limit(void **state)
{
    (void)state;
    for (size_t k = 0; k < ARRAY_SIZE(limit_cases); k++) {
        const struct limit_case *lc = &limit_cases[k];
        struct strbuf sb = STRBUF_INIT;
        sb_adds(&sb, lc->head);
        for (int i = 0; i <= lc->limit; i++) {
            sb_adds(&sb, lc->pre);
            sb_addu64(&sb, (uint64_t)i + 1);
            sb_adds(&sb, lc->post);
        }
        sb_adds(&sb, lc->tail);
        char want[160];
        snprintf(want, sizeof(want), "t.yaml:%d:%d: %s: the limit is %d",
                 lc->first_line + lc->limit, lc->col, lc->msg, lc->limit);
        expect_fail(sb.buf, sb.len, want, 0.5);
        sb_release(&sb);
    }
}

static void hostile__long_strings__rejected(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "description: ");
    for (int i = 0; i <= SCN_MAX_STRING; i++)
        sb_addc(&sb, 'x');
    char want[128];
    snprintf(want, sizeof(want),
             "t.yaml:1:14: 'description' is %d bytes long, over the limit of %d",
             SCN_MAX_STRING + 1, SCN_MAX_STRING);
    expect_fail(sb.buf, sb.len, want, 0.1);

    sb_reset(&sb);
    sb_adds(&sb, "sessions: [{id: 2, logon: 1s, user: ");
    for (int i = 0; i <= SCN_MAX_NAME; i++)
        sb_addc(&sb, 'u');
    sb_adds(&sb, "}]\n");
    snprintf(want, sizeof(want), "t.yaml:1:37: 'user' is %d bytes long, over the limit of %d",
             SCN_MAX_NAME + 1, SCN_MAX_NAME);
    expect_fail(sb.buf, sb.len, want, 0.1);

    /* A megabyte key: libyaml stops 1024 characters in with "could not
     * find expected ':'" at the far end; the message names the key's start. */
    sb_reset(&sb);
    sb_adds(&sb, "name: x\n");
    for (int i = 0; i < (1 << 20); i++)
        sb_addc(&sb, 'k');
    sb_adds(&sb, ": 1\n");
    expect_fail(sb.buf, sb.len,
                "t.yaml:2:1: a key of over 1024 characters: YAML allows keys of at most 1024 "
                "characters",
                0.5);

    /* Exactly at the limit loads. */
    sb_reset(&sb);
    sb_adds(&sb, "description: ");
    for (int i = 0; i < SCN_MAX_STRING; i++)
        sb_addc(&sb, 'x');
    struct scn sc;
    load_ok(&sc, sb.buf);
    assert_int_equal(strlen(sc.description), SCN_MAX_STRING);
    scn_release(&sc);
    sb_release(&sb);
}

static void hostile__oversize_input__rejected_before_parsing(void **state)
{
    (void)state;
    size_t n = (size_t)SCN_MAX_FILE_BYTES + 1;
    char *buf = malloc(n);
    assert_non_null(buf);
    memset(buf, '#', n);
    char want[96];
    snprintf(want, sizeof(want), "t.yaml: scenario is larger than the limit of %u bytes",
             (unsigned)SCN_MAX_FILE_BYTES);
    expect_fail(buf, n, want, 0.05);
    free(buf);
}

/* Subjects in messages are escaped and cut, so input bytes cannot garble them. */
static void hostile__message_subjects__escaped_and_cut(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "os: \"a\\x1b[31m'");
    for (int i = 0; i < 200; i++)
        sb_addc(&sb, 'z');
    sb_adds(&sb, "\"\n");
    expect_fail(sb.buf, sb.len, "t.yaml:1:5: unknown 'os' 'a\\x1b[31m\\x27zzz", 0.1);
    struct scn sc;
    struct err e = {""};
    assert_int_equal(scn_load_mem(&sc, "t.yaml", sb.buf, sb.len, &e), -1);
    assert_non_null(strstr(e.msg, "zzz...'"));
    assert_true(strlen(e.msg) < 200);
    sb_release(&sb);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "-t"))
        cmocka_set_test_filter(argv[2]);
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(init__defaults__match_docs),
        cmocka_unit_test(default__loads__windows10_console_logon),
        cmocka_unit_test(every_key__loads__each_value),
        cmocka_unit_test(edges__load__exact_values),
        cmocka_unit_test(file__loads__and_reports_io_errors),
        cmocka_unit_test(hostile__billion_laughs__rejected_at_first_anchor),
        cmocka_unit_test(hostile__deep_nesting__rejected_fast),
        cmocka_unit_test(hostile__million_sessions__rejected_at_limit),
        cmocka_unit_test(hostile__list_limits__rejected_at_limit),
        cmocka_unit_test(hostile__long_strings__rejected),
        cmocka_unit_test(hostile__oversize_input__rejected_before_parsing),
        cmocka_unit_test(hostile__message_subjects__escaped_and_cut),
    };
    /* One named test per bad-input row, so a failure names its case. */
    enum { NBAD = ARRAY_SIZE(bad_cases) };
    static struct CMUnitTest bad[NBAD];
    static char names[NBAD][80];
    for (size_t i = 0; i < NBAD; i++) {
        snprintf(names[i], sizeof(names[i]), "bad__%s__exact_error", bad_cases[i].name);
        bad[i] = (struct CMUnitTest){.name = names[i],
                                     .test_func = bad__input__exact_error,
                                     .initial_state = (void *)&bad_cases[i]};
    }
    int failed = cmocka_run_group_tests_name("scn", fixed, NULL, NULL);
    failed += _cmocka_run_group_tests("scn_bad_input", bad, NBAD, NULL, NULL);
    return failed ? 1 : 0;
}
