/*
 * escape: the three ways a hostile string (a host or user name, a command
 * line) could break a corpus file -- XML text, CSV fields, Windows argument
 * splitting for ECS process.args. JSON goes through core/jsonw. Each is
 * tested with commas, quotes, newlines, markup and invalid UTF-8.
 */
#include "corpus.h"

#include <string.h>

#include "../core/jsonw.h"

/* XML 1.0 allows tab, LF, CR and U+0020 and up except U+FFFE/U+FFFF and
 * surrogates (utf8_seq_len already rejects those). Line breaks are written
 * as character references so one event stays on one line. */
void corpus_xml_escape(struct strbuf *sb, const char *s)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        /* Copy runs of harmless ASCII at once: the common case. */
        size_t j = i;
        while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '&' && p[j] != '<' && p[j] != '>' &&
               p[j] != '"' && p[j] != '\'')
            j++;
        if (j > i) {
            sb_add(sb, p + i, j - i);
            i = j;
            continue;
        }
        switch (c) {
        case '&':
            sb_add(sb, "&amp;", 5);
            i++;
            continue;
        case '<':
            sb_add(sb, "&lt;", 4);
            i++;
            continue;
        case '>':
            sb_add(sb, "&gt;", 4);
            i++;
            continue;
        case '"':
            sb_add(sb, "&quot;", 6);
            i++;
            continue;
        case '\'':
            sb_add(sb, "&apos;", 6);
            i++;
            continue;
        case '\t':
            sb_add(sb, "&#9;", 4);
            i++;
            continue;
        case '\n':
            sb_add(sb, "&#10;", 5);
            i++;
            continue;
        case '\r':
            sb_add(sb, "&#13;", 5);
            i++;
            continue;
        default: break;
        }
        if (c < 0x20) {
            sb_add(sb, "\xef\xbf\xbd", 3);
            i++;
            continue;
        }
        int len = utf8_seq_len(p + i, n - i);
        if (len == 0 ||
            (len == 3 && c == 0xef && p[i + 1] == 0xbf && (p[i + 2] == 0xbe || p[i + 2] == 0xbf))) {
            sb_add(sb, "\xef\xbf\xbd", 3);
            i += len ? (size_t)len : 1;
            continue;
        }
        sb_add(sb, p + i, (size_t)len);
        i += (size_t)len;
    }
}

/* RFC 4180: a field holding a comma, a quote, CR or LF is quoted and its
 * quotes doubled. NULL is an empty field. */
void corpus_csv_field(struct strbuf *sb, const char *s)
{
    if (!s)
        return;
    if (!s[strcspn(s, ",\"\r\n")]) {
        sb_adds(sb, s);
        return;
    }
    sb_addc(sb, '"');
    for (; *s; s++) {
        if (*s == '"')
            sb_addc(sb, '"');
        sb_addc(sb, *s);
    }
    sb_addc(sb, '"');
}

/* CommandLineToArgvW: whitespace separates arguments outside quotes; 2n
 * backslashes before a quote give n backslashes and the quote toggles
 * quoting; 2n+1 give n and a literal quote; other backslashes are literal.
 * (Microsoft, "Parsing C++ command-line arguments".) */
void corpus_split_args(const char *cmd, void (*fn)(void *ctx, const char *a, size_t n), void *ctx)
{
    struct strbuf a = STRBUF_INIT;
    const char *p = cmd ? cmd : "";
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        sb_reset(&a);
        int quoted = 0;
        while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
            if (*p == '\\') {
                size_t nb = 0;
                while (p[nb] == '\\')
                    nb++;
                if (p[nb] == '"') {
                    for (size_t k = 0; k < nb / 2; k++)
                        sb_addc(&a, '\\');
                    if (nb % 2) {
                        sb_addc(&a, '"');
                        p += nb + 1;
                    } else {
                        p += nb; /* the quote is handled below */
                    }
                } else {
                    for (size_t k = 0; k < nb; k++)
                        sb_addc(&a, '\\');
                    p += nb;
                }
                continue;
            }
            if (*p == '"') {
                if (quoted && p[1] == '"') { /* "" inside quotes: a literal quote */
                    sb_addc(&a, '"');
                    p += 2;
                    continue;
                }
                quoted = !quoted;
                p++;
                continue;
            }
            sb_addc(&a, *p++);
        }
        fn(ctx, a.buf ? a.buf : "", a.len);
    }
    sb_release(&a);
}
