/*
 * util: the small pieces every module needs -- checked allocation, a growable
 * string buffer, an arena for strings that live as long as a snapshot, and an
 * error record that library code fills and only main() prints.
 */
#ifndef SMSS_UTIL_H
#define SMSS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that never returns NULL: out of memory removes the temporary
 * output files (afile), prints and exits with status 2. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *arr (holding *cap elements of size elem) so index `need-1` fits. */
void xgrow(void **arr, size_t *cap, size_t need, size_t elem);
#define XGROW(arr, cap, need) xgrow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* A growable, always NUL-terminated byte buffer (git's strbuf, smaller). */
struct strbuf {
    char *buf;
    size_t len;
    size_t cap;
};
#define STRBUF_INIT \
    {               \
        NULL, 0, 0  \
    }
void sb_grow_slow(struct strbuf *sb, size_t extra);
/* Make room for `extra` more bytes plus the terminating NUL. Inline: the
 * writers call it for every field. */
static inline void sb_grow(struct strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 > sb->cap)
        sb_grow_slow(sb, extra);
}
static inline void sb_add(struct strbuf *sb, const void *data, size_t n)
{
    sb_grow(sb, n);
    __builtin_memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}
static inline void sb_addc(struct strbuf *sb, char c)
{
    sb_grow(sb, 1);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}
void sb_adds(struct strbuf *sb, const char *s);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sb_addu64(struct strbuf *sb, uint64_t v);
void sb_addi64(struct strbuf *sb, int64_t v);
void sb_reset(struct strbuf *sb);
void sb_release(struct strbuf *sb);
/* Hand the buffer to the caller (who frees it) and reset sb. */
char *sb_detach(struct strbuf *sb, size_t *len);

/* An arena: many small allocations, one release. Pointers stay valid until
 * arena_reset/arena_release. */
struct arena_chunk;
struct arena {
    struct arena_chunk *head;
    size_t total;
};
#define ARENA_INIT \
    {              \
        NULL, 0    \
    }
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* The whole formatted string, however long (never cut). */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Keep the first chunk for reuse, free the rest. */
void arena_reset(struct arena *a);
void arena_release(struct arena *a);

/* Errors: library functions return a negative value and fill this. */
struct err {
    char msg[8192]; /* room for a PATH_MAX path and its reason */
};
void err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Exit codes, as grep/diff/shellcheck use them. */
enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2 };

/* Strict decimal parsing: whole string, no sign surprises, range checked. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* ASCII-only case-insensitive helpers (never locale dependent). Inline:
 * the checker calls them for every byte of every command line and path. */
static inline char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline int ascii_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = (unsigned char)ascii_lower(a[i]);
        unsigned char cb = (unsigned char)ascii_lower(b[i]);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (!ca)
            return 0;
    }
    return 0;
}

static inline int ascii_casecmp(const char *a, const char *b)
{
    return ascii_ncasecmp(a, b, SIZE_MAX);
}

/* Eight bytes with their ASCII capitals lower-cased: a byte is A-Z when,
 * its top bit cleared, adding 0x3f sets the top bit and adding 0x25 does
 * not (no carry crosses a byte), and its top bit was clear. */
static inline uint64_t ascii_lower8(uint64_t x)
{
    const uint64_t hi = 0x8080808080808080ULL, low7 = 0x7f7f7f7f7f7f7f7fULL;
    uint64_t h = x & low7;
    uint64_t ge_a = h + 0x3f3f3f3f3f3f3f3fULL, gt_z = h + 0x2525252525252525ULL;
    return x | ((ge_a & ~gt_z & ~x & hi) >> 2);
}

/* a[0, n) and b[0, n) are equal but for ASCII case. Unlike ascii_ncasecmp
 * a NUL is a byte like any other: both must hold n bytes. Eight at a time
 * (the checker compares folders and names against its lists this way). */
static inline int ascii_eq_case_n(const char *a, const char *b, size_t n)
{
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        __builtin_memcpy(&x, a, 8);
        __builtin_memcpy(&y, b, 8);
        if (x != y && ascii_lower8(x) != ascii_lower8(y))
            return 0;
    }
    for (; n; n--)
        if (ascii_lower(*a++) != ascii_lower(*b++))
            return 0;
    return 1;
}

int ascii_ends_with_case(const char *s, const char *suffix);

/* qsort that accepts an empty (possibly NULL) array: qsort(NULL, 0, ...) is
 * undefined behaviour, and UBSan says so. */
static inline void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* Read a whole file ("-" = stdin) up to max bytes. Returns 0 or -1 with err. */
int read_file_all(const char *path, size_t max, char **out, size_t *len, struct err *e);

#endif
