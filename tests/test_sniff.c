/*
 * test_sniff: telling smsslab's own JSON from host data on a stream that can
 * be read only once (standard input, a pipe, a FIFO). rd_sniff must find the
 * "schema" key wherever it is in the first object, stop as soon as it
 * knows, and hand every byte it read to the reader, which detects the format
 * from a head of exactly those bytes.
 */
#include "../readers/readers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* rd_sniff on a memory stream; returns its verdict and how much it read. */
static int sniff(const char *text, size_t len, size_t *nread)
{
    FILE *fp = fmemopen((void *)text, len, "rb");
    assert_non_null(fp);
    unsigned char *head;
    size_t n;
    struct err e;
    int rc = rd_sniff(fp, "<stdin>", &head, &n, &e);
    assert_true(rc >= 0);
    assert_memory_equal(head, text, n < len ? n : len);
    free(head);
    fclose(fp);
    if (nread)
        *nread = n;
    return rc;
}

static int sniff_s(const char *text)
{
    return sniff(text, strlen(text), NULL);
}

static void sniff__schema_first__native(void **state)
{
    (void)state;
    assert_int_equal(sniff_s("{\"schema\":\"smsslab.run/1\",\"events\":[]}"), 1);
    assert_int_equal(sniff_s("\xef\xbb\xbf {\n \"schema\" : \"smsslab.snapshot/1\"}"), 1);
    /* Known at once: no more than the head is read. */
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "{\"schema\":\"smsslab.run/1\",\"events\":[");
    while (sb.len < 4 * RD_HEAD_MAX)
        sb_adds(&sb, "{\"kind\":\"process_start\"},");
    sb_adds(&sb, "{}]}\n");
    size_t n;
    assert_int_equal(sniff(sb.buf, sb.len, &n), 1);
    assert_int_equal(n, RD_HEAD_MAX);
    sb_release(&sb);
}

/* jq -S sorts the keys: "schema" comes after the events, megabytes in. */
static void sniff__schema_after_large_events__native(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "{\n \"boot_time\": \"2024-05-01T08:00:00Z\",\n \"events\": [\n");
    for (int i = 0; i < 20000; i++)
        sb_addf(&sb,
                "  {\"kind\": \"process_start\", \"note\": \"a \\\"schema\\\": {[\", \"n\": %d},\n",
                i);
    sb_adds(&sb, "  {}\n ],\n \"labels\": [],\n \"schema\": \"smsslab.run/1\",\n"
                 " \"snapshots\": []\n}\n");
    assert_true(sb.len > 1000000);
    assert_int_equal(sniff(sb.buf, sb.len, NULL), 1);
    sb_release(&sb);
}

static void sniff__host_data__not_native(void **state)
{
    (void)state;
    /* A nested "schema" (ECS has them) or a string that only mentions it. */
    assert_int_equal(sniff_s("{\"event\":{\"schema\":\"smsslab.run/1\"}}\n{\"a\":1}\n"), 0);
    assert_int_equal(sniff_s("{\"message\":\"\\\"schema\\\":\\\"smsslab.run/1\\\"\"}"), 0);
    assert_int_equal(sniff_s("{\"schema\":\"ecs-8\"}"), 0);
    assert_int_equal(sniff_s("{\"schema\":1}"), 0);
    assert_int_equal(sniff_s("[{\"schema\":\"smsslab.run/1\"}]"), 0);
    assert_int_equal(sniff_s("<Events><Event/></Events>"), 0);
    assert_int_equal(sniff_s("PID,PPID,ImageFileName\n4,0,System\n"), 0);
    assert_int_equal(sniff_s("Volatility 3"), 0);
    assert_int_equal(sniff_s(""), 0);
}

/* NDJSON: the first line ends the first object, so one head is enough. */
static void sniff__ndjson__stops_at_first_object(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 20000; i++)
        sb_addf(&sb, "{\"EventID\":1,\"SourceName\":\"Microsoft-Windows-Sysmon\",\"n\":%d}\n", i);
    size_t n;
    assert_int_equal(sniff(sb.buf, sb.len, &n), 0);
    assert_int_equal(n, RD_HEAD_MAX);
    sb_release(&sb);
}

/* Binary or broken input stops the scan at once instead of reading on. */
static void sniff__garbage_in_object__stops(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "{\"a\":[");
    for (int i = 0; i < 300000; i++)
        sb_addc(&sb, (char)0x80);
    size_t n;
    assert_int_equal(sniff(sb.buf, sb.len, &n), 0);
    assert_int_equal(n, RD_HEAD_MAX);
    sb_release(&sb);
}

/* The first bytes of a stream as cli/input.c hands them on: a head of
 * exactly the bytes read. A banner cut short must be compared within them
 * (AddressSanitizer caught an over-read here, issue 17). */
static void open_stream__cut_banners__cannot_tell(void **state)
{
    (void)state;
    static const char *const cuts[] = {"Volatility 3", "V", "evtxexp", "evtxexport"};
    for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
        size_t n = strlen(cuts[i]);
        char *head = xmalloc(n);
        memcpy(head, cuts[i], n);
        struct err e;
        struct rd_stream *r = rd_open_stream("<stdin>", NULL, head, n, "auto", &e);
        free(head);
        assert_null(r);
        assert_non_null(strstr(e.msg, "cannot tell the input format"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sniff__schema_first__native),
        cmocka_unit_test(sniff__schema_after_large_events__native),
        cmocka_unit_test(sniff__host_data__not_native),
        cmocka_unit_test(sniff__ndjson__stops_at_first_object),
        cmocka_unit_test(sniff__garbage_in_object__stops),
        cmocka_unit_test(open_stream__cut_banners__cannot_tell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
