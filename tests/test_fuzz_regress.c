/*
 * test_fuzz_regress: replays every input kept in tests/fuzz/regress/TARGET/
 * (crashes the fuzzers found, and hand-made hostile inputs) through the very
 * same harness code the fuzz targets run, so a fixed crash stays fixed under
 * `make test` -- with ASan and UBSan under VARIANT=san, with valgrind under
 * `make valgrind`. A case passes when the harness returns: the harnesses
 * abort on broken DOT, and the sanitizers on memory errors.
 *
 * Run from the repository root (make test does); SMSSLAB_FUZZ_REGRESS
 * overrides the folder.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FUZZ_NO_MAIN 1
#include "fuzz/fuzz_readers.c"
#include "fuzz/fuzz_scenario.c"
#include "fuzz/fuzz_score.c"
#include "fuzz/fuzz_snapshot.c"

static const char *regress_root(void)
{
    const char *r = getenv("SMSSLAB_FUZZ_REGRESS");
    return r && *r ? r : "tests/fuzz/regress";
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every file of one target's folder in name order; returns how many. */
static size_t replay(const char *target, int (*one)(int arg, const uint8_t *, size_t), int arg)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/%s", regress_root(), target);
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* no case kept yet */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        XGROW(names, cap, n + 1);
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        char *buf;
        size_t len;
        struct err e;
        if (read_file_all(path, (size_t)64 << 20, &buf, &len, &e) < 0)
            fail_msg("%s", e.msg);
        print_message("replay %s (%zu bytes)\n", path, len);
        one(arg, (const uint8_t *)buf, len);
        free(buf);
        free(names[i]);
    }
    free(names);
    return n;
}

static int one_scenario(int arg, const uint8_t *d, size_t n)
{
    (void)arg;
    return fuzz_scenario(d, n);
}

static int one_snapshot(int arg, const uint8_t *d, size_t n)
{
    (void)arg;
    return fuzz_snapshot(d, n);
}

static int one_score(int arg, const uint8_t *d, size_t n)
{
    (void)arg;
    return fuzz_score(d, n);
}

static int one_reader(int fmt, const uint8_t *d, size_t n)
{
    return fuzz_readers((enum fuzz_fmt)fmt, d, n);
}

static void regress__scenario__no_crash(void **state)
{
    (void)state;
    replay("scenario", one_scenario, 0);
}

static void regress__snapshot__no_crash(void **state)
{
    (void)state;
    replay("snapshot", one_snapshot, 0);
}

static void regress__readers__no_crash(void **state)
{
    (void)state;
    static const struct {
        const char *target;
        enum fuzz_fmt fmt;
    } rd[] = {
        {"readers_xml", FZ_XML},     {"readers_ndjson", FZ_NDJSON}, {"readers_json", FZ_JSONDOC},
        {"readers_csv", FZ_CSV},     {"readers_evtx", FZ_EVTX},     {"readers_auto", FZ_AUTO},
        {"readers_stdin", FZ_STDIN}, {"readers_hive", FZ_HIVE},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rd); i++)
        replay(rd[i].target, one_reader, (int)rd[i].fmt);
}

static void regress__score__no_crash(void **state)
{
    (void)state;
    assert_true(replay("score", one_score, 0) > 0);
}

/* The folder must be where make test looks: an empty replay because the
 * path moved would pass silently. */
static void regress__folder__has_cases(void **state)
{
    (void)state;
    assert_true(replay("scenario", one_scenario, 0) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regress__folder__has_cases),
        cmocka_unit_test(regress__scenario__no_crash),
        cmocka_unit_test(regress__snapshot__no_crash),
        cmocka_unit_test(regress__readers__no_crash),
        cmocka_unit_test(regress__score__no_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
