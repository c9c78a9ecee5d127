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
/* ,"key":"value" style helpers used by the record writers. first=1 omits the comma. */
void jw_kstr(struct strbuf *sb, const char *key, const char *v);
void jw_ki64(struct strbuf *sb, const char *key, int64_t v);
void jw_ku64(struct strbuf *sb, const char *key, uint64_t v);
void jw_kbool(struct strbuf *sb, const char *key, int v);
/* A time as an ISO 8601 string, or null for WT_NONE. */
void jw_ktime(struct strbuf *sb, const char *key, int64_t t);
void jw_time(struct strbuf *sb, int64_t t);

/* Valid UTF-8? (used by readers and escaping tests) */
int utf8_valid(const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
int utf8_seq_len(const unsigned char *s, size_t avail);

#endif
