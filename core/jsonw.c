/*
 * jsonw: JSON string escaping and keyed writers. The fast path copies runs of
 * plain ASCII in one memcpy, which is what keeps `smsslab run` and the corpus
 * writer at hundreds of MB/s.
 */
#include "jsonw.h"

#include <string.h>

#include "wtime.h"

int utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    int n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)n > avail)
        return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Reject overlong forms, surrogates and code points past U+10FFFF. */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        int k = utf8_seq_len(p + i, n - i);
        if (!k)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

static const char hexdig[] = "0123456789abcdef";

void jw_strn(struct strbuf *sb, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    sb_grow(sb, n + 2);
    sb->buf[sb->len++] = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* Eight bytes at a time while none needs escaping (SWAR: a byte is
         * special if it is < 0x20, '"', '\\' or has the high bit set). */
        while (run + 8 <= n) {
            uint64_t v;
            memcpy(&v, p + run, 8);
            const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
            uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
            if ((((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b) | v) & high)
                break;
            run += 8;
        }
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            sb_add(sb, p + i, run - i);
            i = run;
            if (i >= n)
                break;
        }
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_add(sb, e, 2);
            i++;
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15]};
            switch (c) {
            case '\n': sb_add(sb, "\\n", 2); break;
            case '\r': sb_add(sb, "\\r", 2); break;
            case '\t': sb_add(sb, "\\t", 2); break;
            case '\b': sb_add(sb, "\\b", 2); break;
            case '\f': sb_add(sb, "\\f", 2); break;
            default: sb_add(sb, e, 6); break;
            }
            i++;
        } else {
            int k = utf8_seq_len(p + i, n - i);
            if (k) {
                sb_add(sb, p + i, (size_t)k);
                i += (size_t)k;
            } else {
                sb_add(sb, "\\ufffd", 6);
                i++;
            }
        }
    }
    sb_addc(sb, '"');
}

void jw_str(struct strbuf *sb, const char *s)
{
    if (!s)
        sb_add(sb, "null", 4);
    else
        jw_strn(sb, s, strlen(s));
}

void jw_key(struct strbuf *sb, const char *key)
{
    size_t n = strlen(key);
    sb_grow(sb, n + 3);
    sb->buf[sb->len++] = '"';
    memcpy(sb->buf + sb->len, key, n);
    sb->len += n;
    sb->buf[sb->len++] = '"';
    sb->buf[sb->len++] = ':';
    sb->buf[sb->len] = '\0';
}

void jw_time(struct strbuf *sb, int64_t t)
{
    if (t == WT_NONE) {
        sb_add(sb, "null", 4);
        return;
    }
    char iso[WT_ISO_LEN];
    size_t n = wt_format_iso(t, iso);
    sb_grow(sb, n + 2);
    sb->buf[sb->len++] = '"';
    memcpy(sb->buf + sb->len, iso, n);
    sb->len += n;
    sb->buf[sb->len++] = '"';
    sb->buf[sb->len] = '\0';
}
