/*
 * test_lab: the lab's exercises -- every pool type is a catalogue type, the
 * normal exercises are where the seed says, every difficulty draws hosts of
 * its shape whose findings are exactly the anomaly (none when normal), the
 * student's files hold no answer (labels, anomaly ids, scenario names,
 * registry events, round start times) and the same options give the same
 * bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../sim/anomaly.h"
#include "../sim/scn.h"
#include "../teach/teach.h"

static int in_pool(const char *t, const char *const *pool, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(pool[i], t))
            return 1;
    return 0;
}

static void pools__every_type__in_the_catalogue(void **state)
{
    (void)state;
    const char *const *pools[] = {teach_lab_easy, teach_lab_medium, teach_lab_hard};
    size_t ns[] = {teach_lab_neasy, teach_lab_nmedium, teach_lab_nhard};
    for (size_t p = 0; p < 3; p++)
        for (size_t i = 0; i < ns[p]; i++) {
            assert_non_null(anom_find(pools[p][i]));
            for (size_t q = 0; q < 3; q++)
                if (q != p)
                    assert_false(in_pool(pools[p][i], pools[q], ns[q]));
        }
    /* A pending rename is deleted by smss: a snapshot after boot cannot show it. */
    assert_false(in_pool("pending-rename-system32", teach_lab_hard, teach_lab_nhard));
}

static void normals__count_and_determinism(void **state)
{
    (void)state;
    unsigned char a[10], b[10];
    struct teach_lab_opts o = {10, 7, TEACH_MIXED, -1, TEACH_LAB_ALL};
    teach_lab_normals(&o, a);
    teach_lab_normals(&o, b);
    assert_memory_equal(a, b, sizeof(a));
    size_t n = 0;
    for (size_t i = 0; i < 10; i++)
        n += a[i];
    assert_int_equal(n, 2);
    unsigned char one[1] = {1}, two[2];
    o.n = 1;
    teach_lab_normals(&o, one);
    assert_int_equal(one[0], 0); /* a single exercise is never a trick */
    o.n = 2;
    teach_lab_normals(&o, two);
    assert_int_equal(two[0] + two[1], 1);
}

static void formats__parse(void **state)
{
    (void)state;
    unsigned f = 0;
    struct err e = {""};
    assert_int_equal(teach_lab_parse_formats("native,table", &f, &e), 0);
    assert_int_equal(f, TEACH_LAB_NATIVE | TEACH_LAB_TABLE);
    assert_int_equal(teach_lab_parse_formats("all", &f, &e), 0);
    assert_int_equal(f, TEACH_LAB_ALL);
    assert_int_equal(teach_lab_parse_formats("native,evtx", &f, &e), 0);
    assert_int_equal(f, TEACH_LAB_NATIVE | TEACH_LAB_EVTX);
    assert_int_equal(teach_lab_parse_formats("native,hive", &f, &e), -1);
    assert_non_null(strstr(e.msg, "'hive'"));
    enum teach_difficulty d;
    assert_int_equal(teach_difficulty_parse("hard", &d), 0);
    assert_int_equal(d, TEACH_HARD);
    assert_int_equal(teach_difficulty_parse("Hard", &d), -1);
}

static int has_topic(const struct teach_topics *t, const char *topic)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i], topic))
            return 1;
    return 0;
}

/* Topics come from the rule table: a {P} type has one per process it allows,
 * a planted value adds registry, a generic rule gives its id's first word. */
static void topics__derived_from_the_rules(void **state)
{
    (void)state;
    struct teach_topics t;
    teach_lab_type_topics("core-wrong-parent", &t);
    assert_int_equal(t.n, 4);
    assert_true(has_topic(&t, "lsass") && has_topic(&t, "csrss") && has_topic(&t, "wininit") &&
                has_topic(&t, "services"));
    teach_lab_type_topics("smss-lookalike", &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.v[0], "lookalike");
    teach_lab_type_topics("knowndlls-changed", &t);
    assert_int_equal(t.n, 2);
    assert_true(has_topic(&t, "smss") && has_topic(&t, "registry"));
    teach_lab_type_topics("no-such-type", &t);
    assert_int_equal(t.n, 0);
    /* Every lab type has a topic, and the list is sorted without repeats. */
    const char *const *pools[] = {teach_lab_easy, teach_lab_medium, teach_lab_hard};
    const size_t *counts[] = {&teach_lab_neasy, &teach_lab_nmedium, &teach_lab_nhard};
    for (size_t p = 0; p < 3; p++)
        for (size_t i = 0; i < *counts[p]; i++) {
            teach_lab_type_topics(pools[p][i], &t);
            assert_true(t.n > 0);
        }
    teach_lab_topics_all(&t);
    for (size_t i = 1; i < t.n; i++)
        assert_true(strcmp(t.v[i - 1], t.v[i]) < 0);
    struct teach_topics want;
    struct err e = {""};
    assert_int_equal(teach_lab_parse_topics("LSASS,registry,lsass", &want, &e), 0);
    assert_int_equal(want.n, 2);
    assert_int_equal(teach_lab_parse_topics("smss,", &want, &e), -1);
    assert_int_equal(teach_lab_parse_topics("kernel", &want, &e), -1);
    assert_non_null(strstr(e.msg, "unknown topic 'kernel'"));
    assert_non_null(strstr(e.msg, "lookalike"));
    /* A lab of one topic: every anomaly exercise is about it. */
    struct teach_lab_opts o = {4, 5, TEACH_MIXED, 0, TEACH_LAB_NATIVE, {.n = 0}};
    assert_int_equal(teach_lab_parse_topics("winlogon", &o.topics, &e), 0);
    assert_int_equal(teach_lab_check_topics(&o, &e), 0);
    for (unsigned k = 1; k <= 4; k++) {
        struct teach_exercise x;
        assert_int_equal(teach_lab_exercise(&x, &o, k, 0, &e), 0);
        assert_true(has_topic(&x.topics, "winlogon"));
        teach_exercise_release(&x);
    }
    o.difficulty = TEACH_EASY;
    assert_int_equal(teach_lab_parse_topics("lookalike", &o.topics, &e), 0);
    assert_int_equal(teach_lab_check_topics(&o, &e), -1);
}

static int has_rdp(const struct snap *s)
{
    for (size_t i = 0; i < s->nsessions; i++)
        if (s->sessions[i].kind && !strcmp(s->sessions[i].kind, "rdp"))
            return 1;
    return 0;
}

static size_t user_sessions(const struct snap *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nsessions; i++)
        n += s->sessions[i].id != 0;
    return n;
}

/* Every difficulty over many seeds: the host's shape, the checker's word,
 * the hard negatives asked for, and nothing in the student's files. */
static void exercises__every_difficulty__fit_and_tell_nothing(void **state)
{
    (void)state;
    for (int d = TEACH_EASY; d <= TEACH_HARD; d++)
        for (uint64_t seed = 1; seed <= 12; seed++) {
            struct teach_lab_opts o = {4, seed, (enum teach_difficulty)d, d == TEACH_EASY ? 0 : 2,
                                       TEACH_LAB_ALL};
            for (unsigned k = 1; k <= 2; k++) {
                struct teach_exercise x;
                struct err e = {""};
                int normal = k == 2 && seed % 3 == 0;
                if (teach_lab_exercise(&x, &o, k, normal, &e) < 0)
                    fail_msg("difficulty %d seed %llu exercise %u: %s", d, (unsigned long long)seed,
                             k, e.msg);
                const struct snap *s = &x.snap;
                if (normal) {
                    assert_int_equal(x.findings.n, 0);
                    assert_int_equal(s->nlabels, 0);
                    assert_null(x.type);
                } else {
                    assert_int_equal(s->nlabels, 1);
                    assert_true(x.findings.n > 0);
                    size_t np;
                    const char *const *pool = teach_lab_pool(d, &np);
                    assert_true(in_pool(s->labels[0].type, pool, np));
                    /* No process the anomaly starts at its `at` is at a whole
                     * millisecond after boot (the generator draws `at` in ms). */
                    if (anom_accepts(anom_find(x.type), "at"))
                        for (size_t i = 0; i < s->nprocs; i++)
                            if (s->procs[i].anomaly && s->procs[i].create_time != WT_NONE)
                                assert_int_not_equal(
                                    (s->procs[i].create_time - s->boot_time) % WT_MSEC, 0);
                }
                if (d == TEACH_EASY)
                    assert_int_equal(user_sessions(s), 1);
                if (d == TEACH_HARD)
                    assert_true(has_rdp(s));
                if (d != TEACH_EASY)
                    assert_true(x.nhard >= 1);

                struct strbuf sb = STRBUF_INIT;
                teach_lab_snapshot_json(&sb, &x);
                assert_null(strstr(sb.buf, "\"anomaly\":\""));
                assert_non_null(strstr(sb.buf, "\"labels\":[]"));
                assert_non_null(strstr(sb.buf, "\"scenario\":null"));
                sb_reset(&sb);
                teach_lab_sysmon(&sb, &x);
                assert_non_null(strstr(sb.buf, "<EventID>1</EventID>"));
                assert_null(strstr(sb.buf, "<EventID>13</EventID>"));
                assert_null(strstr(sb.buf, "anomaly"));
                sb_release(&sb);
                teach_exercise_release(&x);
            }
        }
}

static void exercise__same_options__same_bytes(void **state)
{
    (void)state;
    struct teach_lab_opts o = {6, 42, TEACH_MIXED, 2, TEACH_LAB_ALL};
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    for (int round = 0; round < 2; round++) {
        struct teach_exercise xs[6];
        unsigned char normal[6];
        teach_lab_normals(&o, normal);
        for (unsigned i = 0; i < 6; i++) {
            struct err e = {""};
            assert_int_equal(teach_lab_exercise(&xs[i], &o, i + 1, normal[i], &e), 0);
        }
        struct strbuf *sb = round ? &b : &a;
        teach_lab_key_yaml(sb, &o, xs, 6);
        teach_lab_key_md(sb, &o, xs, 6);
        teach_lab_sheet_md(sb, &o, xs, 6);
        teach_lab_sheet_html(sb, &o, xs, 6);
        for (unsigned i = 0; i < 6; i++) {
            teach_lab_table(sb, &xs[i]);
            teach_exercise_release(&xs[i]);
        }
    }
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
    /* mixed climbs: the first third easy, the last hard. */
    assert_non_null(strstr(a.buf, "  - exercise: 1\n    difficulty: easy\n"));
    assert_non_null(strstr(a.buf, "  - exercise: 6\n    difficulty: hard\n"));
    sb_release(&a);
    sb_release(&b);
}

/* The sheet names no anomaly type, rule or label. */
static void sheet__gives_nothing_away(void **state)
{
    (void)state;
    struct teach_lab_opts o = {3, 9, TEACH_EASY, 0, TEACH_LAB_ALL};
    struct teach_exercise xs[3];
    for (unsigned i = 0; i < 3; i++) {
        struct err e = {""};
        assert_int_equal(teach_lab_exercise(&xs[i], &o, i + 1, 0, &e), 0);
    }
    struct strbuf sb = STRBUF_INIT;
    teach_lab_sheet_md(&sb, &o, xs, 3);
    teach_lab_sheet_html(&sb, &o, xs, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_null(strstr(sb.buf, xs[i].type));
        for (size_t k = 0; k < xs[i].findings.n; k++)
            assert_null(strstr(sb.buf, xs[i].findings.v[k].rule->id));
        teach_exercise_release(&xs[i]);
    }
    assert_non_null(strstr(sb.buf, "host-tree.svg"));
    sb_release(&sb);
}

static void reason__rule_id_technique_or_title_words(void **state)
{
    (void)state;
    const char *rules[] = {"SMSS-PARENT", "SMSS-USER"};
    const char *title = "smss.exe started by a user program";
    assert_true(teach_reason_matches("smss-parent", rules, 2, "T1036.005", title));
    assert_true(teach_reason_matches("masquerading, T1036.005", rules, 2, "T1036.005", title));
    /* "parent" is in SMSS-PARENT's title; "parents" is the same word. */
    assert_true(teach_reason_matches("its parents are wrong", rules, 2, "T1036.005", title));
    assert_true(teach_reason_matches("a normal USER ran it", rules, 2, "T1036.005", title));
    /* Only words every title has (the process name, "started") earn nothing. */
    assert_false(teach_reason_matches("smss.exe started", rules, 2, "T1036.005", title));
    assert_false(teach_reason_matches("SMSS-PARENTAL", rules, 2, "T1036.005", title));
    assert_false(teach_reason_matches("T1036", rules, 2, "T1036.005", title));
    assert_false(teach_reason_matches(NULL, rules, 2, "T1036.005", title));
}

static const char key_text[] =
    "schema: smsslab.lab-key/1\n"
    "exercises:\n"
    "  - exercise: 1\n"
    "    verdict: normal\n"
    "    hard_negatives: [special_session]\n"
    "  - exercise: 2\n"
    "    verdict: anomaly\n"
    "    type: smss-wrong-parent\n"
    "    title: \"smss.exe started by a user program\"\n"
    "    technique: \"T1036.005\"\n"
    "    target: {pid: 1724, name: \"smss.exe\"}\n"
    "    rules: [SMSS-PARENT]\n"
    "    processes:\n"
    "      - {pid: 1724, name: \"smss.exe\"}\n"
    "  - exercise: 3\n"
    "    verdict: anomaly\n"
    "    title: \"an extra BootExecute program\"\n"
    "    target: {key: \"HKLM\\\\SYSTEM\\\\Session Manager\", name: BootExecute}\n"
    "    rules: [SM-BOOTEXECUTE]\n"
    "    registry:\n"
    "      - {key: \"HKLM\\\\SYSTEM\\\\Session Manager\", name: BootExecute}\n";

static void grade__marks_per_exercise(void **state)
{
    (void)state;
    struct err e = {""};
    struct teach_key *k = teach_key_parse("key.yaml", key_text, strlen(key_text), &e);
    if (!k)
        fail_msg("%s", e.msg);
    assert_int_equal(teach_key_count(k), 3);
    const char ans[] = "exercises:\n"
                       "  1: normal\n"
                       "  2: {process: smss.exe, reason: wrong parent}\n";
    struct teach_answers *a = teach_answers_parse("dir/kim.yaml", ans, strlen(ans), k, &e);
    if (!a)
        fail_msg("%s", e.msg);
    assert_string_equal(teach_answers_student(a), "kim");
    struct teach_mark m;
    struct strbuf fb = STRBUF_INIT;
    teach_grade_exercise(k, a, 0, &m, &fb);
    assert_int_equal(m.verdict + m.location + m.reason, 3); /* a correct "normal" */
    sb_reset(&fb);
    teach_grade_exercise(k, a, 1, &m, &fb);
    assert_int_equal(m.verdict + m.location + m.reason, 3);
    sb_reset(&fb);
    teach_grade_exercise(k, a, 2, &m, &fb);
    assert_int_equal(m.answered, 0);
    assert_int_equal(m.verdict + m.location + m.reason, 0);
    teach_answers_free(a);

    const char ans2[] = "student: Lee\nexercises:\n"
                        "  1: {process: 4, reason: odd}\n"
                        "  2: normal\n"
                        "  3: {registry: 'HKLM\\SYSTEM\\Session Manager\\BootExecute', "
                        "reason: x}\n";
    a = teach_answers_parse("lee.yaml", ans2, strlen(ans2), k, &e);
    if (!a)
        fail_msg("%s", e.msg);
    sb_reset(&fb);
    teach_grade_exercise(k, a, 0, &m, &fb);
    assert_int_equal(m.verdict + m.location + m.reason, 0);
    assert_non_null(strstr(fb.buf, "special_session: "));
    sb_reset(&fb);
    teach_grade_exercise(k, a, 1, &m, &fb);
    assert_int_equal(m.verdict, 0);
    assert_non_null(strstr(fb.buf, "SMSS-PARENT (")); /* the rule's explanation */
    sb_reset(&fb);
    teach_grade_exercise(k, a, 2, &m, &fb);
    assert_int_equal(m.verdict, 1);
    assert_int_equal(m.location, 1);
    assert_int_equal(m.reason, 0);
    sb_release(&fb);
    teach_answers_free(a);

    const char bad[] = "exercises:\n  2: {process: 1724}\n  2: normal\n";
    assert_null(teach_answers_parse("b.yaml", bad, strlen(bad), k, &e));
    assert_string_equal(e.msg, "b.yaml:3:3: exercise 2 is answered twice");
    teach_key_free(k);
}

static void key__errors_located(void **state)
{
    (void)state;
    struct err e = {""};
    const char wrong_schema[] = "schema: other\nexercises: []\n";
    assert_null(teach_key_parse("k.yaml", wrong_schema, strlen(wrong_schema), &e));
    assert_non_null(strstr(e.msg, "k.yaml:1:9: not a lab key"));
    const char deep[] = "schema: smsslab.lab-key/1\nexercises: [[[[[[[[[[1]]]]]]]]]]\n";
    assert_null(teach_key_parse("k.yaml", deep, strlen(deep), &e));
    assert_non_null(strstr(e.msg, "nesting is deeper"));
    assert_null(teach_key_parse("k.yaml", "", 0, &e));
    assert_string_equal(e.msg, "k.yaml:1:1: the file is empty");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pools__every_type__in_the_catalogue),
        cmocka_unit_test(normals__count_and_determinism),
        cmocka_unit_test(formats__parse),
        cmocka_unit_test(topics__derived_from_the_rules),
        cmocka_unit_test(exercises__every_difficulty__fit_and_tell_nothing),
        cmocka_unit_test(exercise__same_options__same_bytes),
        cmocka_unit_test(sheet__gives_nothing_away),
        cmocka_unit_test(reason__rule_id_technique_or_title_words),
        cmocka_unit_test(grade__marks_per_exercise),
        cmocka_unit_test(key__errors_located),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
