/*
 * test_evtxw: the .evtx writer's contract, checked on the bytes: header and
 * chunk CRC32s as the format defines them, the string table (the name hash
 * and bucket of real files), template definitions stored once per chunk and
 * listed in the template table, records that never straddle a chunk and are
 * rolled back cleanly when they do not fit, typed values (UTF-16 with
 * U+FFFD for what XML forbids, GUID, SID), errors for misuse, and a golden
 * file of three Sysmon-like records (tests/golden/evtxw-3.evtx; the e2e test
 * test_evtx.py reads it with evtxexport and python-evtx).
 * SMSSLAB_UPDATE_GOLDEN=1 rewrites the golden; tests run from the repository
 * root or with SMSSLAB_SRCDIR set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../core/afile.h"
#include "../core/util.h"
#include "../evtxw/evtxw.h"

#define CHUNK EVTXW_CHUNK_SIZE
#define HDR EVTXW_HEADER_SIZE

static uint32_t u16at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t u32at(const uint8_t *p)
{
    return u16at(p) | u16at(p + 2) << 16;
}

static uint64_t u64at(const uint8_t *p)
{
    return u32at(p) | (uint64_t)u32at(p + 4) << 32;
}

/* The file written to a temporary FILE, read back. */
struct out {
    FILE *fp;
    uint8_t *buf;
    size_t len;
};

static void out_open(struct out *o, struct evtxw *w)
{
    o->fp = tmpfile();
    assert_non_null(o->fp);
    struct err e = {""};
    if (evtxw_begin(w, o->fp, "test.evtx", &e) < 0)
        fail_msg("%s", e.msg);
}

static void out_close(struct out *o, struct evtxw *w)
{
    struct err e = {""};
    if (evtxw_end(w, &e) < 0)
        fail_msg("%s", e.msg);
    long n = ftell(o->fp);
    assert_true(n >= (long)HDR);
    o->len = (size_t)n;
    o->buf = xmalloc(o->len);
    rewind(o->fp);
    assert_int_equal(fread(o->buf, 1, o->len, o->fp), o->len);
    fclose(o->fp);
    assert_int_equal((uint64_t)o->len, evtxw_bytes(w));
}

/* Everything a reader checks before trusting a file; returns the chunks. */
static size_t check_file(const uint8_t *b, size_t len)
{
    assert_memory_equal(b, "ElfFile", 8);
    assert_int_equal(u32at(b + 124), evtxw_crc32(0, b, 120));
    assert_int_equal(u32at(b + 120), 0); /* clean */
    assert_int_equal(u16at(b + 36), 1);
    assert_int_equal(u16at(b + 38), 3);
    size_t n = u16at(b + 42);
    assert_int_equal(len, HDR + n * CHUNK);
    for (size_t i = 128; i < HDR; i++)
        assert_int_equal(b[i], 0);
    uint64_t num = 1;
    for (size_t k = 0; k < n; k++) {
        const uint8_t *c = b + HDR + k * CHUNK;
        assert_memory_equal(c, "ElfChnk", 8);
        uint32_t free_off = u32at(c + 48);
        assert_int_equal(u32at(c + 52), evtxw_crc32(0, c + 512, free_off - 512));
        assert_int_equal(u32at(c + 124), evtxw_crc32(evtxw_crc32(0, c, 120), c + 128, 384));
        assert_int_equal(u64at(c + 8), num);
        /* Walk the records: each inside the chunk, numbered on. */
        uint32_t off = 512, last = 0;
        while (off < free_off) {
            assert_int_equal(u32at(c + off), 0x2a2a);
            uint32_t size = u32at(c + off + 4);
            assert_true(size % 8 == 0 && off + size <= free_off);
            assert_int_equal(u32at(c + off + size - 4), size);
            assert_int_equal(u64at(c + off + 8), num);
            num++;
            last = off;
            off += size;
        }
        assert_int_equal(off, free_off);
        /* libevtx does not read a record that ends at the chunk's end. */
        assert_true(free_off < CHUNK);
        assert_int_equal(u32at(c + 44), last);
        assert_int_equal(u64at(c + 16), num - 1);
        for (size_t i = free_off; i < CHUNK; i++)
            if (c[i])
                fail_msg("chunk %zu: byte %zu after the records is not zero", k, i);
    }
    assert_int_equal(u64at(b + 24), num);
    assert_int_equal(u64at(b + 16), n ? n - 1 : 0);
    return n;
}

/* <EventData><Data Name="a">%0</Data>...</EventData> with string slots. */
static struct evtxw_tpl *data_tpl(unsigned n, const char *first_name)
{
    struct evtxw_tpl *t = evtxw_tpl_new();
    evtxw_tpl_open(t, "EventData", -1);
    for (unsigned i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s%u", first_name, i);
        evtxw_tpl_open(t, "Data", -1);
        evtxw_tpl_attr(t, "Name", name);
        evtxw_tpl_sub(t, i, EVTXW_STRING, 0);
        evtxw_tpl_close(t);
    }
    evtxw_tpl_close(t);
    struct err e = {""};
    if (evtxw_tpl_done(t, &e) < 0)
        fail_msg("%s", e.msg);
    return t;
}

static void crc32__check_value__matches_rfc1952(void **state)
{
    (void)state;
    assert_int_equal(evtxw_crc32(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(evtxw_crc32(0, "", 0), 0);
    /* Split input gives the same CRC (the slicing path and the tail). */
    char big[1000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    assert_int_equal(evtxw_crc32(evtxw_crc32(0, big, 333), big + 333, 667),
                     evtxw_crc32(0, big, sizeof(big)));
}

static void values__guid_and_sid__encode_as_windows_stores_them(void **state)
{
    (void)state;
    uint8_t g[16];
    const char *s = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}";
    assert_int_equal(evtxw_guid_parse(s, strlen(s), g), 0);
    static const uint8_t want[16] = {0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43,
                                     0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9};
    assert_memory_equal(g, want, 16);
    assert_int_equal(evtxw_guid_parse("{5770385F-C22A-43E0-BF4C-06F5698FFBDX}", 38, g), -1);
    assert_int_equal(evtxw_guid_parse("5770385F-C22A-43E0-BF4C-06F5698FFBD9", 36, g), -1);

    /* S-1-5-18 as the real records store it (12 bytes). */
    struct evtxw_tpl *t = evtxw_tpl_new();
    evtxw_tpl_open(t, "Security", -1);
    evtxw_tpl_attr_sub(t, "UserID", 0, EVTXW_SID, 1);
    evtxw_tpl_close(t);
    struct err e = {""};
    assert_int_equal(evtxw_tpl_done(t, &e), 0);
    struct evtxw_vals *v = evtxw_vals_new();
    evtxw_vals_reset(v, 1);
    assert_int_equal(evtxw_val_sid(v, 0, "S-1-5-18"), 0);
    assert_int_equal(evtxw_val_sid(v, 0, "S-1-5-"), -1);
    assert_int_equal(evtxw_val_sid(v, 0, "X-1-5-18"), -1);
    assert_int_equal(evtxw_val_sid(v, 0, "S-1-5-4294967296"), -1);
    struct evtxw *w = evtxw_new();
    struct out o;
    out_open(&o, w);
    assert_int_equal(evtxw_record(w, 1, t, v, NULL, &e), 0);
    out_close(&o, w);
    check_file(o.buf, o.len);
    static const uint8_t sid[12] = {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};
    const uint8_t *c = o.buf + HDR;
    /* Values end the record's binary XML, before EOF, padding and size. */
    int found = 0;
    for (size_t i = 512; i + 12 < u32at(c + 48); i++)
        found |= !memcmp(c + i, "\x0c\x00\x13\x00", 4) && !memcmp(c + i + 4, sid, 12);
    assert_true(found);
    free(o.buf);
    evtxw_free(w);
    evtxw_vals_free(v);
    evtxw_tpl_free(t);
}

static void strings__name_table__uses_the_hash_of_real_files(void **state)
{
    (void)state;
    struct evtxw_tpl *t = data_tpl(2, "F");
    struct evtxw_vals *v = evtxw_vals_new();
    struct evtxw *w = evtxw_new();
    struct out o;
    struct err e = {""};
    out_open(&o, w);
    for (int r = 0; r < 3; r++) {
        evtxw_vals_reset(v, 2);
        evtxw_val_str(v, 0, "x", 1);
        evtxw_val_str(v, 1, NULL, 0);
        assert_int_equal(evtxw_record(w, 1, t, v, NULL, &e), 0);
    }
    out_close(&o, w);
    assert_int_equal(check_file(o.buf, o.len), 1);
    const uint8_t *c = o.buf + HDR;
    /* Hashes read off ../shared/real/evtx: EventData 0x8244, Data 0x6f8a,
     * Name 0x954b; each name heads the chain of bucket hash % 64. */
    static const struct {
        const char *name;
        uint32_t hash;
    } names[] = {{"EventData", 0x8244}, {"Data", 0x6f8a}, {"Name", 0x954b}};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        uint32_t off = u32at(c + 128 + 4 * (names[i].hash % 64));
        assert_true(off >= 512);
        assert_int_equal(u16at(c + off + 4), names[i].hash);
        size_t n = strlen(names[i].name);
        assert_int_equal(u16at(c + off + 6), n);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(u16at(c + off + 8 + 2 * k), (unsigned char)names[i].name[k]);
    }
    /* One definition for three records: one template table entry, and the
     * second and third records point back at it. */
    int entries = 0;
    uint32_t def = 0;
    for (int i = 0; i < 32; i++)
        if (u32at(c + 384 + 4 * i)) {
            entries++;
            def = u32at(c + 384 + 4 * i);
        }
    assert_int_equal(entries, 1);
    assert_int_equal(c[def - 10], 0x0c);
    uint32_t r2 = 512 + u32at(c + 512 + 4);
    assert_int_equal(c[r2 + 28], 0x0c);
    assert_int_equal(u32at(c + r2 + 34), def);
    free(o.buf);
    evtxw_free(w);
    evtxw_vals_free(v);
    evtxw_tpl_free(t);
}

/* Each chunk's tables list only what is in that chunk: every name and
 * template chain entry lies before the free space and is what it claims. */
static void check_tables(const uint8_t *b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const uint8_t *c = b + HDR + k * CHUNK;
        uint32_t free_off = u32at(c + 48);
        for (int i = 0; i < 32; i++)
            for (uint32_t d = u32at(c + 384 + 4 * i); d; d = u32at(c + d)) {
                assert_true(d > 512 && d < free_off);
                assert_int_equal(c[d - 10], 0x0c);
                assert_int_equal(u32at(c + d - 4), d);
            }
        for (int i = 0; i < 64; i++)
            for (uint32_t d = u32at(c + 128 + 4 * i); d; d = u32at(c + d)) {
                assert_true(d > 512 && d + 8 < free_off);
                assert_int_equal(u16at(c + d + 4) % 64, (uint32_t)i);
                assert_int_equal(u16at(c + d + 8 + 2 * u16at(c + d + 6)), 0);
            }
    }
}

static void chunks__full_chunk__rolls_over_and_undoes_the_tables(void **state)
{
    (void)state;
    struct evtxw_tpl *a = data_tpl(4, "A"), *b = data_tpl(4, "B");
    struct evtxw_vals *v = evtxw_vals_new();
    struct evtxw *w = evtxw_new();
    struct out o;
    struct err e = {""};
    char val[600];
    memset(val, 'v', sizeof(val));
    /* k records of template a, then b's first: for some k, b's definition
     * and names are written into chunk 1 before the record runs out of
     * room, and must be unlinked from chunk 1's tables again. */
    for (int k = 100; k < 140; k++) {
        out_open(&o, w);
        uint64_t num = 0;
        for (int r = 0; r <= k + 3; r++) {
            evtxw_vals_reset(v, 4);
            for (unsigned i = 0; i < 4; i++)
                evtxw_val_str(v, i, val, 60 + (size_t)(r % 7));
            assert_int_equal(evtxw_record(w, 1, r < k ? a : b, v, &num, &e), 0);
        }
        assert_int_equal(num, (uint64_t)k + 4);
        out_close(&o, w);
        size_t n = check_file(o.buf, o.len);
        assert_true(n >= 1 && n <= 2);
        check_tables(o.buf, n);
        free(o.buf);
    }
    /* A record larger than a chunk is refused; the file stays valid. */
    uint64_t num = 0;
    out_open(&o, w);
    evtxw_vals_reset(v, 4);
    char *huge = xmalloc(40000);
    memset(huge, 'h', 40000);
    evtxw_val_str(v, 0, huge, 20000);
    evtxw_val_str(v, 1, huge, 20000);
    assert_int_equal(evtxw_record(w, 1, a, v, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "does not fit"));
    evtxw_vals_reset(v, 4);
    evtxw_val_str(v, 0, "ok", 2);
    assert_int_equal(evtxw_record(w, 1, a, v, &num, &e), 0);
    assert_int_equal(num, 1);
    out_close(&o, w);
    assert_int_equal(check_file(o.buf, o.len), 1);
    free(huge);
    free(o.buf);
    evtxw_free(w);
    evtxw_vals_free(v);
    evtxw_tpl_free(a);
    evtxw_tpl_free(b);
}

/* Records of every size modulo a chunk: without the rule some chunk's last
 * record would end at its last byte, which check_file refuses. */
static void chunks__last_record__never_ends_at_the_chunk_end(void **state)
{
    (void)state;
    struct evtxw_tpl *a = data_tpl(2, "A");
    struct evtxw_vals *v = evtxw_vals_new();
    struct evtxw *w = evtxw_new();
    struct err e = {""};
    char val[200];
    memset(val, 'v', sizeof(val));
    for (int variant = 0; variant < 64; variant++) {
        struct out o;
        out_open(&o, w);
        for (int r = 0; r < 700; r++) {
            evtxw_vals_reset(v, 2);
            evtxw_val_str(v, 0, val, 40 + (size_t)((r * 7 + variant * 13) % 97));
            evtxw_val_str(v, 1, val, (size_t)(variant % 4));
            assert_int_equal(evtxw_record(w, 1, a, v, NULL, &e), 0);
        }
        out_close(&o, w);
        assert_true(check_file(o.buf, o.len) >= 2);
        free(o.buf);
    }
    evtxw_free(w);
    evtxw_vals_free(v);
    evtxw_tpl_free(a);
}

static void misuse__bad_templates_and_values__are_errors(void **state)
{
    (void)state;
    struct err e = {""};
    struct evtxw_tpl *t = evtxw_tpl_new();
    evtxw_tpl_open(t, "A", -1);
    evtxw_tpl_text(t, "x");
    evtxw_tpl_attr(t, "late", "y");
    evtxw_tpl_close(t);
    assert_int_equal(evtxw_tpl_done(t, &e), -1);
    assert_non_null(strstr(e.msg, "attribute after content"));
    evtxw_tpl_reset(t);
    evtxw_tpl_open(t, "A", -1);
    assert_int_equal(evtxw_tpl_done(t, &e), -1); /* unclosed */
    evtxw_tpl_reset(t);
    evtxw_tpl_open(t, "A B", -1);
    evtxw_tpl_close(t);
    assert_int_equal(evtxw_tpl_done(t, &e), -1);
    evtxw_tpl_reset(t);
    evtxw_tpl_open(t, "A", -1);
    evtxw_tpl_sub(t, 1, EVTXW_UINT32, 0);
    evtxw_tpl_close(t);
    assert_int_equal(evtxw_tpl_done(t, &e), 0);

    struct evtxw *w = evtxw_new();
    struct evtxw_vals *v = evtxw_vals_new();
    evtxw_vals_reset(v, 1);
    assert_int_equal(evtxw_record(w, 1, t, v, NULL, &e), -1); /* no file */
    struct out o;
    out_open(&o, w);
    assert_int_equal(evtxw_record(w, 1, t, v, NULL, &e), -1); /* too few values */
    evtxw_val_str(v, 1, "7", 1);
    assert_int_equal(evtxw_record(w, 1, t, v, NULL, &e), -1); /* wrong type */
    assert_non_null(strstr(e.msg, "type"));
    evtxw_val_u32(v, 1, 7);
    assert_int_equal(evtxw_record(w, 1, t, v, NULL, &e), 0);
    out_close(&o, w);
    check_file(o.buf, o.len);
    free(o.buf);
    evtxw_free(w);
    evtxw_vals_free(v);
    evtxw_tpl_free(t);
}

/* ---- the golden: three records shaped like Sysmon's ------------------------------- */

static void elem_sub(struct evtxw_tpl *t, const char *name, unsigned idx, enum evtxw_type type)
{
    evtxw_tpl_open(t, name, (int)idx);
    evtxw_tpl_sub(t, idx, type, 1);
    evtxw_tpl_close(t);
}

static void golden_bytes(struct out *o)
{
    static const uint8_t sysmon[16] = {0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43,
                                       0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9};
    struct err e = {""};
    struct evtxw_tpl *sys = evtxw_tpl_new();
    evtxw_tpl_open(sys, "Event", 5);
    evtxw_tpl_attr(sys, "xmlns", "http://schemas.microsoft.com/win/2004/08/events/event");
    evtxw_tpl_open(sys, "System", -1);
    evtxw_tpl_open(sys, "Provider", -1);
    evtxw_tpl_attr(sys, "Name", "Microsoft-Windows-Sysmon");
    evtxw_tpl_attr_sub(sys, "Guid", 0, EVTXW_GUID, 1);
    evtxw_tpl_close(sys);
    elem_sub(sys, "EventID", 1, EVTXW_UINT16);
    evtxw_tpl_open(sys, "TimeCreated", -1);
    evtxw_tpl_attr_sub(sys, "SystemTime", 2, EVTXW_FILETIME, 1);
    evtxw_tpl_close(sys);
    elem_sub(sys, "EventRecordID", 3, EVTXW_UINT64);
    evtxw_tpl_open(sys, "Computer", -1);
    evtxw_tpl_text(sys, "GOLDEN-PC");
    evtxw_tpl_close(sys);
    evtxw_tpl_open(sys, "Security", -1);
    evtxw_tpl_attr_sub(sys, "UserID", 4, EVTXW_SID, 1);
    evtxw_tpl_close(sys);
    evtxw_tpl_close(sys);
    evtxw_tpl_sub(sys, 5, EVTXW_BINXML, 1);
    evtxw_tpl_close(sys);
    assert_int_equal(evtxw_tpl_done(sys, &e), 0);

    struct evtxw_tpl *data = evtxw_tpl_new();
    static const struct {
        const char *name;
        enum evtxw_type type;
    } f[] = {{"RuleName", EVTXW_STRING},
             {"ProcessGuid", EVTXW_GUID},
             {"ProcessId", EVTXW_UINT32},
             {"CommandLine", EVTXW_STRING},
             {"LogonId", EVTXW_HEX64}};
    evtxw_tpl_open(data, "EventData", -1);
    for (unsigned i = 0; i < ARRAY_SIZE(f); i++) {
        evtxw_tpl_open(data, "Data", -1);
        evtxw_tpl_attr(data, "Name", f[i].name);
        evtxw_tpl_sub(data, i, f[i].type, 0);
        evtxw_tpl_close(data);
    }
    evtxw_tpl_close(data);
    assert_int_equal(evtxw_tpl_done(data, &e), 0);

    /* Hostile values: markup, a line break, a control character, invalid
     * UTF-8, a character outside the BMP. */
    static const char *const cmd[] = {
        "\\SystemRoot\\System32\\smss.exe",
        "cmd.exe /c \"echo <a&b>\"\nline2 \x01 bad\xff end",
        "\xf0\x9f\x98\x80 C:\\Users\\P\xc3\xbc\x62lic\\x.exe",
    };
    struct evtxw_vals *outer = evtxw_vals_new(), *inner = evtxw_vals_new();
    struct evtxw *w = evtxw_new();
    out_open(o, w);
    for (unsigned r = 0; r < 3; r++) {
        char guid[40];
        snprintf(guid, sizeof(guid), "{B764%04X-5EA4-0000-0010-%012X}", r, 0x1000 + r);
        uint8_t g[16];
        assert_int_equal(evtxw_guid_parse(guid, strlen(guid), g), 0);
        evtxw_vals_reset(inner, 0);
        evtxw_val_str(inner, 0, NULL, 0);
        evtxw_val_guid(inner, 1, g);
        evtxw_val_u32(inner, 2, 388 + 4 * r);
        evtxw_val_str(inner, 3, cmd[r], strlen(cmd[r]));
        evtxw_val_hex64(inner, 4, 0x3e7);
        evtxw_vals_reset(outer, 6);
        evtxw_val_guid(outer, 0, sysmon);
        evtxw_val_u16(outer, 1, r == 2 ? 5 : 1);
        uint64_t ft = 133457028000000000ULL + 12345678ULL * r; /* 2023-11-25 */
        evtxw_val_filetime(outer, 2, ft);
        evtxw_val_u64(outer, 3, 4242 + r);
        assert_int_equal(evtxw_val_sid(outer, 4, "S-1-5-18"), 0);
        evtxw_val_binxml(outer, 5, data, inner);
        if (evtxw_record(w, ft, sys, outer, NULL, &e) < 0)
            fail_msg("%s", e.msg);
    }
    out_close(o, w);
    evtxw_free(w);
    evtxw_vals_free(outer);
    evtxw_vals_free(inner);
    evtxw_tpl_free(sys);
    evtxw_tpl_free(data);
}

static void golden__three_records__match_byte_for_byte(void **state)
{
    (void)state;
    struct out o, again;
    golden_bytes(&o);
    golden_bytes(&again);
    assert_int_equal(o.len, again.len);
    assert_memory_equal(o.buf, again.buf, o.len); /* deterministic */
    assert_int_equal(check_file(o.buf, o.len), 1);

    const char *src = getenv("SMSSLAB_SRCDIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/golden/evtxw-3.evtx", src && *src ? src : ".");
    struct err e = {""};
    const char *upd = getenv("SMSSLAB_UPDATE_GOLDEN");
    if (upd && !strcmp(upd, "1")) {
        assert_int_equal(afile_write_all(path, o.buf, o.len, &e), 0);
        print_message("updated %s\n", path);
    } else {
        char *want = NULL;
        size_t len = 0;
        if (read_file_all(path, 1 << 20, &want, &len, &e) != 0)
            fail_msg("%s (run with SMSSLAB_UPDATE_GOLDEN=1 to create it)", e.msg);
        size_t at = 0;
        while (at < len && at < o.len && (uint8_t)want[at] == o.buf[at])
            at++;
        if (len != o.len || at != len)
            fail_msg("%s differs from the written file at byte %zu (SMSSLAB_UPDATE_GOLDEN=1 "
                     "accepts it)",
                     path, at);
        free(want);
    }
    free(o.buf);
    free(again.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32__check_value__matches_rfc1952),
        cmocka_unit_test(values__guid_and_sid__encode_as_windows_stores_them),
        cmocka_unit_test(strings__name_table__uses_the_hash_of_real_files),
        cmocka_unit_test(chunks__full_chunk__rolls_over_and_undoes_the_tables),
        cmocka_unit_test(chunks__last_record__never_ends_at_the_chunk_end),
        cmocka_unit_test(misuse__bad_templates_and_values__are_errors),
        cmocka_unit_test(golden__three_records__match_byte_for_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
