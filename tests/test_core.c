/*
 * Unit tests for core/: JSON escaping (every special byte at every offset of
 * the 8-byte fast path, invalid UTF-8), time formatting and strict parsing,
 * durations, the PRNG's pinned stream, strict numbers, atomic files, FNV-1a
 * and the string set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>

#include "../core/afile.h"
#include "../core/hash.h"
#include "../core/jsonw.h"
#include "../core/prng.h"
#include "../core/util.h"
#include "../core/wtime.h"

static char *esc(const char *s, size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    jw_strn(&sb, s, n);
    return sb_detach(&sb, NULL);
}

static void jsonw__special_bytes_anywhere__escaped_and_parse_back(void **state)
{
    (void)state;
    static const char specials[] = {'"', '\\', '\n', '\r', '\t', 0x01, 0x1f, 0x7f};
    for (size_t k = 0; k < sizeof(specials); k++)
        for (size_t pos = 0; pos < 20; pos++) {
            char in[21];
            memset(in, 'a', 20);
            in[20] = '\0';
            in[pos] = specials[k];
            char *out = esc(in, 20);
            /* cJSON must read back exactly the input */
            cJSON *j = cJSON_Parse(out);
            assert_non_null(j);
            assert_true(cJSON_IsString(j));
            assert_memory_equal(j->valuestring, in, 20);
            cJSON_Delete(j);
            free(out);
        }
}

static void jsonw__invalid_utf8__becomes_replacement_char(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"ab\xff"
         "cd",
         5, "\"ab\\ufffdcd\""},
        {"\xc3\xa9t\xc3\xa9", 5, "\"\xc3\xa9t\xc3\xa9\""}, /* valid: kept */
        {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},  /* surrogate */
        {"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},             /* overlong '/' */
        {"x\xe2\x82", 3, "\"x\\ufffd\\ufffd\""},           /* truncated */
        {"\xd1\x95mss.exe", 9, "\"\xd1\x95mss.exe\""},     /* Cyrillic dze kept */
        {"a\0b", 3, "\"a\\u0000b\""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *out = esc(cases[i].in, cases[i].n);
        assert_string_equal(out, cases[i].out);
        assert_true(utf8_valid(out, strlen(out)));
        free(out);
    }
    struct strbuf sb = STRBUF_INIT;
    jw_str(&sb, NULL);
    assert_string_equal(sb.buf, "null");
    sb_release(&sb);
}

static void jsonw__keyed_writers__make_one_valid_object(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_addc(&sb, '{');
    jw_kstr(&sb, "a", "x\"y");
    jw_ki64(&sb, "b", -42);
    jw_ku64(&sb, "c", UINT64_MAX);
    jw_kbool(&sb, "d", 1);
    jw_ktime(&sb, "e", WT_NONE);
    jw_ktime(&sb, "f", 1714550400123456LL);
    sb_addc(&sb, '}');
    assert_string_equal(sb.buf, "{\"a\":\"x\\\"y\",\"b\":-42,\"c\":18446744073709551615,\"d\":true,"
                                "\"e\":null,\"f\":\"2024-05-01T08:00:00.123456Z\"}");
    sb_release(&sb);
}

static void wtime__iso__formats_and_parses_round_trip(void **state)
{
    (void)state;
    char buf[WT_ISO_LEN];
    int64_t t;
    assert_int_equal(wt_parse_iso("2024-02-29T23:59:59.999999Z", &t), 0);
    wt_format_iso(t, buf);
    assert_string_equal(buf, "2024-02-29T23:59:59.999999Z");
    assert_int_equal(wt_parse_iso("2020-04-25 22:19:16.128", &t), 0); /* Sysmon UtcTime */
    char sy[WT_SYSMON_LEN];
    wt_format_sysmon(t, sy);
    assert_string_equal(sy, "2020-04-25 22:19:16.128");
    assert_int_equal(wt_parse_iso("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(wt_parse_iso("9999-12-31T23:59:59.999999Z", &t), 0);
    assert_int_equal(t, WT_MAX);
    static const char *const bad[] = {"2023-02-29T00:00:00Z",
                                      "2024-13-01T00:00:00Z",
                                      "2024-01-01T24:00:00Z",
                                      "1969-12-31T23:59:59Z",
                                      "2024-01-01T00:00:00+02:00",
                                      "2024-01-01",
                                      "",
                                      "2024-01-01T00:00:00.Z",
                                      "2024-01-01T00:00:00Zjunk",
                                      "2024-01-01T00:00:00.1234567890Z"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (wt_parse_iso(bad[i], &t) == 0)
            fail_msg("accepted '%s'", bad[i]);
}

/* wt_parse_iso remembers the last date it read: the same date again must
 * still have the rest of its text checked, and a different one all of it. */
static void wtime__iso__same_date_again_is_checked_in_full(void **state)
{
    (void)state;
    int64_t a, b;
    assert_int_equal(wt_parse_iso("2024-05-01T08:00:00Z", &a), 0);
    assert_int_equal(wt_parse_iso("2024-05-01 08:00:01.5", &b), 0);
    assert_int_equal(b - a, WT_SEC + WT_SEC / 2);
    static const char *const bad[] = {"2024-05-01T24:00:00Z",
                                      "2024-05-01",
                                      "2024-05-0",
                                      "2024-05-01X08:00:00Z",
                                      "2024-05-01T08:00:00.Z",
                                      "2024-05-01T08:00:00.0000000000Z",
                                      "2023-02-29T00:00:00Z"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (wt_parse_iso(bad[i], &b) == 0)
            fail_msg("accepted '%s'", bad[i]);
        /* after each refusal the remembered date still reads right */
        assert_int_equal(wt_parse_iso("2024-05-01T08:00:00Z", &b), 0);
        assert_int_equal(b, a);
    }
    assert_int_equal(wt_parse_iso("2023-02-28T00:00:00.000000123Z", &b), 0);
    assert_int_equal(wt_parse_iso("2023-02-28T00:00:00.1234567Z", &b), 0);
    assert_int_equal(b % WT_SEC, 123456);
    assert_int_equal(wt_parse_iso("2023-02-29T00:00:00Z", &b), -1);
}

static void wtime__durations__strict(void **state)
{
    (void)state;
    int64_t d;
    assert_int_equal(wt_parse_duration("1h30m", WT_DAY, &d), 0);
    assert_int_equal(d, 90 * WT_MIN);
    assert_int_equal(wt_parse_duration("250ms", WT_DAY, &d), 0);
    assert_int_equal(d, 250 * WT_MSEC);
    assert_int_equal(wt_parse_duration("0", WT_DAY, &d), 0);
    assert_int_equal(d, 0);
    static const char *const bad[] = {
        "", "30", "m", "30m1h", "1h1h", "-5s", "5 s", "2d", "99999999999999999999s", "1.5s"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (wt_parse_duration(bad[i], WT_DAY, &d) == 0)
            fail_msg("accepted '%s'", bad[i]);
    char out[64];
    wt_format_duration(90 * WT_MIN + 4 * WT_MSEC, out, sizeof(out));
    assert_string_equal(out, "1h30m4ms");
    static const struct {
        int64_t d;
        const char *want;
    } human[] = {{850 * WT_MSEC + 400, "850ms"},
                 {4537 * WT_MSEC, "4.537s"},
                 {5 * WT_MIN + 259020, "5m0.259s"},
                 {2 * WT_HOUR + 3 * WT_MIN + 4 * WT_SEC, "2h3m4s"},
                 {-5, "0ms"}};
    for (size_t i = 0; i < ARRAY_SIZE(human); i++) {
        wt_format_elapsed(human[i].d, out, sizeof(out));
        assert_string_equal(out, human[i].want);
    }
}

static void prng__stream__is_pinned(void **state)
{
    (void)state;
    /* splitmix64 reference values for seed 1234567 (Vigna's splitmix64.c). */
    uint64_t st = 1234567;
    assert_true(splitmix64(&st) == 6457827717110365317ULL);
    assert_true(splitmix64(&st) == 3203168211198807973ULL);
    /* Our xoshiro256** stream for seed 1 is part of the output format: if it
     * changes, every simulated boot changes. */
    struct prng p;
    prng_seed(&p, 1);
    uint64_t a = prng_next(&p), b = prng_next(&p);
    struct prng q;
    prng_seed(&q, 1);
    assert_true(prng_next(&q) == a && prng_next(&q) == b);
    assert_true(a == 0xb3f2af6d0fc710c5ULL);
    /* Child streams differ from each other and from the parent. */
    struct prng c1, c2;
    prng_child(&c1, 1, 1);
    prng_child(&c2, 1, 2);
    assert_true(prng_next(&c1) != prng_next(&c2));
    for (int i = 0; i < 10000; i++) {
        int64_t r = prng_range(&p, -3, 3);
        assert_true(r >= -3 && r <= 3);
        assert_true(prng_below(&p, 10) < 10);
    }
    assert_true(prng_chance(&p, 1, 1));
    assert_false(prng_chance(&p, 0, 5));
}

static void util__strict_numbers(void **state)
{
    (void)state;
    uint64_t u;
    int64_t i;
    assert_int_equal(parse_u64("18446744073709551615", UINT64_MAX, &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(parse_u64("18446744073709551616", UINT64_MAX, &u), -1);
    assert_int_equal(parse_u64("-1", UINT64_MAX, &u), -1);
    assert_int_equal(parse_u64(" 1", UINT64_MAX, &u), -1);
    assert_int_equal(parse_u64("1x", UINT64_MAX, &u), -1);
    assert_int_equal(parse_u64("11", 10, &u), -1);
    assert_int_equal(parse_i64("-5", -10, 10, &i), 0);
    assert_int_equal(i, -5);
    assert_int_equal(parse_i64("-", -10, 10, &i), -1);
    assert_int_equal(ascii_casecmp("C:\\WINDOWS\\System32", "c:\\windows\\system32"), 0);
    assert_true(ascii_ends_with_case("SMSS.EXE", ".exe"));
    /* The eight-at-a-time fold is ascii_lower on every byte value, in
     * every lane, whatever its neighbours (no carry crosses a byte). */
    for (unsigned b = 0; b < 256; b++)
        for (unsigned lane = 0; lane < 8; lane++) {
            unsigned char w[8], l[8];
            for (unsigned k = 0; k < 8; k++)
                w[k] = (unsigned char)(k == lane ? b : (b * 7 + k * 37) & 0xff);
            uint64_t x, y;
            memcpy(&x, w, 8);
            y = ascii_lower8(x);
            memcpy(l, &y, 8);
            for (unsigned k = 0; k < 8; k++)
                if (l[k] != (unsigned char)ascii_lower((char)w[k]))
                    fail_msg("byte 0x%02x lane %u folds to 0x%02x", w[k], k, l[k]);
        }
    /* Equal but for case, over every length and the place of a difference,
     * NULs compared as bytes; '@' and '[' (beside A and Z) and 0xc1 (A with
     * the top bit) are not letters. */
    const char *a = "C:\\WINDOWS\\SYSTEM32\\@[\xc1"
                    "\0Z",
               *b = "c:\\windows\\system32\\@[\xc1"
                    "\0z";
    for (size_t n = 0; n <= 26; n++) {
        assert_true(ascii_eq_case_n(a, b, n));
        char c[32];
        memcpy(c, b, 26);
        for (size_t d = 0; d < n; d++) {
            char keep = c[d];
            c[d] ^= 0x20; /* a letter's other case (still equal), else another byte */
            int want = 1;
            for (size_t k = 0; k < n; k++)
                if (ascii_lower(a[k]) != ascii_lower(c[k]))
                    want = 0;
            assert_int_equal(ascii_eq_case_n(a, c, n), want);
            c[d] = keep;
        }
    }
}

static void afile__commit_renames_and_abort_leaves_nothing(void **state)
{
    (void)state;
    char dir[] = "/tmp/smsslab-afile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/out.json", dir);
    struct afile af;
    struct err e;
    assert_int_equal(afile_open(&af, path, &e), 0);
    fputs("partial", af.fp);
    fflush(af.fp);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0); /* nothing under the final name yet */
    afile_abort(&af);
    assert_int_not_equal(stat(path, &st), 0);
    assert_int_equal(afile_write_all(path, "done\n", 5, &e), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 5);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0); /* no temp file left over */
    unlink(path);
    rmdir(dir);
    assert_int_equal(afile_open(&af, "/nonexistent-dir/x", &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent-dir/x"));
}

/* Writing to /dev/null (or any device, FIFO or socket) must not rename a
 * temporary file over the node: that once replaced /dev/null with a file. */
static void afile__device_target__written_in_place(void **state)
{
    (void)state;
    struct stat before, after;
    assert_int_equal(stat("/dev/null", &before), 0);
    assert_true(S_ISCHR(before.st_mode));
    struct afile af;
    struct err e;
    assert_int_equal(afile_open(&af, "/dev/null", &e), 0);
    assert_null(af.tmp);
    fputs("discarded\n", af.fp);
    assert_int_equal(afile_commit(&af, &e), 0);
    assert_int_equal(afile_write_all("/dev/null", "x", 1, &e), 0);
    assert_int_equal(stat("/dev/null", &after), 0);
    assert_true(S_ISCHR(after.st_mode));
    assert_true(before.st_rdev == after.st_rdev);
    assert_int_equal(afile_open(&af, "/tmp", &e), -1);
    assert_non_null(strstr(e.msg, "is a directory"));
}

static void arena__many_allocations__stay_valid(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    char *first = arena_strdup(&a, "first");
    for (int i = 0; i < 100000; i++)
        arena_printf(&a, "string %d", i);
    char *big = arena_alloc(&a, 1 << 20);
    memset(big, 'x', 1 << 20);
    assert_string_equal(first, "first");
    arena_reset(&a);
    assert_string_equal(arena_strdup(&a, "again"), "again");
    arena_release(&a);
}

/* FNV-1a's published test values (64-bit, from its own offset basis), then
 * the project's basis pinned: EVTX template ids and the corpus's fake file
 * hashes depend on these never changing. */
static void hash__fnv1a__pinned_and_case_folding(void **state)
{
    (void)state;
    const uint64_t fnv_basis = 0xcbf29ce484222325ULL;
    assert_true(hash_fnv_str(fnv_basis, "a") == 0xaf63dc4c8601ec8cULL);
    assert_true(hash_fnv_str(fnv_basis, "foobar") == 0x85944171f73967e8ULL);
    assert_true(hash_fnv_str(HASH_FNV_INIT, "") == 1469598103934665603ULL);
    assert_true(hash_fnv_str(HASH_FNV_INIT, "a") == 0x44bd8ad473cd9906ULL);
    assert_true(hash_fnv(HASH_FNV_INIT, "foobar", 6) == hash_fnv_str(HASH_FNV_INIT, "foobar"));
    assert_true(hash_fnv_str(HASH_FNV_INIT, NULL) == HASH_FNV_INIT);
    assert_true(hash_fnv_lower(HASH_FNV_INIT, "LSASS.Exe") ==
                hash_fnv_str(HASH_FNV_INIT, "lsass.exe"));
    /* Continuing a hash is hashing the concatenation. */
    assert_true(hash_fnv_str(hash_fnv_str(HASH_FNV_INIT, "foo"), "bar") ==
                hash_fnv_str(HASH_FNV_INIT, "foobar"));
}

static void strset__add_has_grow_clear(void **state)
{
    (void)state;
    struct strset set = {0};
    char k[32];
    assert_false(strset_has(&set, "x"));
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "key-%d", i);
        assert_int_equal(strset_add(&set, k), 1);
        assert_int_equal(strset_add(&set, k), 0); /* a copy: k is reused */
    }
    assert_int_equal(set.n, 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "key-%d", i);
        assert_true(strset_has(&set, k));
    }
    assert_false(strset_has(&set, "key-5000"));
    assert_false(strset_has(&set, ""));
    assert_int_equal(strset_add(&set, ""), 1);
    assert_true(strset_has(&set, ""));
    strset_clear(&set);
    assert_int_equal(set.n, 0);
    assert_false(strset_has(&set, "key-1"));
    assert_int_equal(strset_add(&set, "key-1"), 1);
    strset_clear(&set);
}

static void strmemo__remembers_and_stays_bounded(void **state)
{
    (void)state;
    struct strmemo m = {.max = 100};
    int32_t *v;
    char k[32];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "name-%d", i);
        assert_int_equal(strmemo_find(&m, k, &v), 0);
        *v = i * 3;
    }
    for (int i = 0; i < 100; i++) { /* every answer found again, a copy of the key */
        snprintf(k, sizeof(k), "name-%d", i);
        assert_int_equal(strmemo_find(&m, k, &v), 1);
        assert_int_equal(*v, i * 3);
    }
    /* The 101st string empties it first: memory stays flat. */
    assert_int_equal(strmemo_find(&m, "new", &v), 0);
    *v = -7;
    assert_int_equal(m.n, 1);
    assert_int_equal(m.max, 100);
    assert_int_equal(strmemo_find(&m, "new", &v), 1);
    assert_int_equal(*v, -7);
    assert_int_equal(strmemo_find(&m, "name-5", &v), 0); /* forgotten, asked anew */
    assert_int_equal(*v, 0);
    /* Case and length count: different strings, different answers. */
    assert_int_equal(strmemo_find(&m, "NEW", &v), 0);
    assert_int_equal(strmemo_find(&m, "", &v), 0);
    *v = 9;
    assert_int_equal(strmemo_find(&m, "", &v), 1);
    assert_int_equal(*v, 9);
    strmemo_clear(&m);
    assert_int_equal(m.n, 0);
    struct strmemo d = {0}; /* the default bound */
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        strmemo_find(&d, k, &v);
        assert_true(d.n <= 4096);
    }
    strmemo_clear(&d);
    /* Extra bytes of answer beside the key: zeroed when new, kept. */
    struct strmemo e = {0};
    char *data;
    assert_int_equal(strmemo_find_data(&e, "img", 16, &v, &data), 0);
    for (int i = 0; i < 16; i++)
        assert_int_equal(data[i], 0);
    strcpy(data, "\\windows\\x");
    *v = 11;
    assert_int_equal(strmemo_find_data(&e, "img", 16, &v, &data), 1);
    assert_int_equal(*v, 11);
    assert_string_equal(data, "\\windows\\x");
    assert_int_equal(strmemo_find(&e, "img", &v), 1); /* the same key */
    strmemo_clear(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jsonw__special_bytes_anywhere__escaped_and_parse_back),
        cmocka_unit_test(jsonw__invalid_utf8__becomes_replacement_char),
        cmocka_unit_test(jsonw__keyed_writers__make_one_valid_object),
        cmocka_unit_test(wtime__iso__formats_and_parses_round_trip),
        cmocka_unit_test(wtime__iso__same_date_again_is_checked_in_full),
        cmocka_unit_test(wtime__durations__strict),
        cmocka_unit_test(prng__stream__is_pinned),
        cmocka_unit_test(util__strict_numbers),
        cmocka_unit_test(afile__commit_renames_and_abort_leaves_nothing),
        cmocka_unit_test(afile__device_target__written_in_place),
        cmocka_unit_test(arena__many_allocations__stay_valid),
        cmocka_unit_test(hash__fnv1a__pinned_and_case_folding),
        cmocka_unit_test(strset__add_has_grow_clear),
        cmocka_unit_test(strmemo__remembers_and_stays_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
