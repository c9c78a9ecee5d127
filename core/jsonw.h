/*
 * jsonw: a small streaming JSON writer onto a strbuf. Output is always valid
 * UTF-8 JSON whatever bytes the input strings hold: control characters are
 * escaped, and invalid UTF-8 sequences become U+FFFD, so a hostile process
 * name can never break or inject into a document.
 */
#ifndef SMSS_JSONW_H
#define SMSS_JSONW_H

#include <stdint.h>

#include "util.h"

/* Append s as a quoted JSON string; NULL writes null. */
void jw_str(struct strbuf *sb, const char *s);
void jw_strn(struct strbuf *sb, const char *s, size_t n);
/* Append "key": (key must be a plain ASCII literal). */
void jw_key(struct strbuf *sb, const char *key);
/* A time as an ISO 8601 string, or null for WT_NONE. */
void jw_time(struct strbuf *sb, int64_t t);

/* ,"key": -- the comma unless the object or array has just opened. Inline so
 * the key's length folds to a constant for literal keys: the record writers
 * call this for every field of every record. */
static inline void jw_comma_key(struct strbuf *sb, const char *key)
{
    size_t n = __builtin_strlen(key);
    sb_grow(sb, n + 4);
    if (sb->len && sb->buf[sb->len - 1] != '{' && sb->buf[sb->len - 1] != '[')
        sb->buf[sb->len++] = ',';
    sb->buf[sb->len++] = '"';
    __builtin_memcpy(sb->buf + sb->len, key, n);
    sb->len += n;
    sb->buf[sb->len++] = '"';
    sb->buf[sb->len++] = ':';
    sb->buf[sb->len] = '\0';
}

/* ,"key":value helpers used by the record writers. */
static inline void jw_kstr(struct strbuf *sb, const char *key, const char *v)
{
    jw_comma_key(sb, key);
    jw_str(sb, v);
}
static inline void jw_ki64(struct strbuf *sb, const char *key, int64_t v)
{
    jw_comma_key(sb, key);
    sb_addi64(sb, v);
}
static inline void jw_ku64(struct strbuf *sb, const char *key, uint64_t v)
{
    jw_comma_key(sb, key);
    sb_addu64(sb, v);
}
static inline void jw_kbool(struct strbuf *sb, const char *key, int v)
{
    jw_comma_key(sb, key);
    if (v)
        sb_add(sb, "true", 4);
    else
        sb_add(sb, "false", 5);
}
static inline void jw_ktime(struct strbuf *sb, const char *key, int64_t t)
{
    jw_comma_key(sb, key);
    jw_time(sb, t);
}

/* Valid UTF-8? (used by readers and escaping tests) */
int utf8_valid(const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
int utf8_seq_len(const unsigned char *s, size_t avail);

#endif
