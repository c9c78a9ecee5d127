/* hash: see hash.h. */
#include "hash.h"

#include <string.h>

#include "util.h"

#define FNV_PRIME 1099511628211ULL

uint64_t hash_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * FNV_PRIME;
    return h;
}

uint64_t hash_fnv_str(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * FNV_PRIME;
    return h;
}

uint64_t hash_fnv_lower(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)ascii_lower(*s)) * FNV_PRIME;
    return h;
}

static size_t slot(const struct strset *t, const char *s)
{
    size_t j = hash_fnv_str(HASH_FNV_INIT, s) & (t->cap - 1);
    while (t->v[j] && strcmp(t->v[j], s))
        j = (j + 1) & (t->cap - 1);
    return j;
}

int strset_has(const struct strset *t, const char *s)
{
    return t->cap && t->v[slot(t, s)] != NULL;
}

int strset_add(struct strset *t, const char *s)
{
    if ((t->n + 1) * 2 > t->cap) {
        struct strset g = {xcalloc(t->cap ? t->cap * 2 : 64, sizeof(char *)),
                           t->cap ? t->cap * 2 : 64, t->n};
        for (size_t i = 0; i < t->cap; i++)
            if (t->v[i])
                g.v[slot(&g, t->v[i])] = t->v[i];
        free(t->v);
        *t = g;
    }
    size_t j = slot(t, s);
    if (t->v[j])
        return 0;
    t->v[j] = xstrdup(s);
    t->n++;
    return 1;
}

void strset_clear(struct strset *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->v[i]);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

/* The memo's own hash, eight bytes at a time (FNV-1a's byte chain was
 * most of a look-up for a command line); it never reaches an output. */
static uint64_t memo_hash(const char *s, size_t n)
{
    uint64_t h = HASH_FNV_INIT ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    /* The last 0-7 bytes: two overlapping 4-byte reads or three bytes
     * (a copy of a variable length was a fifth of the hash). */
    uint64_t w = 0;
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        w = (uint64_t)a << 32 | b;
    } else if (n) {
        w = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[n / 2] << 8 |
            (unsigned char)s[n - 1];
    }
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 32);
}

static size_t memo_slot(const struct strmemo *m, uint64_t h, const char *s, size_t n)
{
    size_t j = h & (m->cap - 1);
    while (m->v[j].s && (m->v[j].h != h || m->v[j].n != n || memcmp(m->v[j].s, s, n)))
        j = (j + 1) & (m->cap - 1);
    return j;
}

int strmemo_find(struct strmemo *m, const char *s, int32_t **v)
{
    return strmemo_find_data(m, s, 0, v, NULL);
}

int strmemo_find_data(struct strmemo *m, const char *s, size_t extra, int32_t **v, char **data)
{
    size_t n = strlen(s);
    uint64_t h = memo_hash(s, n);
    if (m->cap) {
        size_t j = memo_slot(m, h, s, n);
        if (m->v[j].s) {
            *v = &m->v[j].v;
            if (data)
                *data = m->v[j].s + n + 1;
            return 1;
        }
    }
    size_t max = m->max ? m->max : 4096;
    if (m->n >= max) {
        size_t keep = m->max;
        strmemo_clear(m);
        m->max = keep;
    }
    if ((m->n + 1) * 2 > m->cap) {
        struct strmemo g = {xcalloc(m->cap ? m->cap * 2 : 64, sizeof(*g.v)),
                            m->cap ? m->cap * 2 : 64, m->n, m->max};
        for (size_t i = 0; i < m->cap; i++)
            if (m->v[i].s)
                g.v[memo_slot(&g, m->v[i].h, m->v[i].s, m->v[i].n)] = m->v[i];
        free(m->v);
        *m = g;
    }
    size_t j = memo_slot(m, h, s, n);
    m->v[j].h = h;
    m->v[j].n = n;
    m->v[j].s = xcalloc(n + 1 + extra, 1);
    memcpy(m->v[j].s, s, n);
    m->v[j].v = 0;
    m->n++;
    *v = &m->v[j].v;
    if (data)
        *data = m->v[j].s + n + 1;
    return 0;
}

void strmemo_clear(struct strmemo *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->v[i].s);
    free(m->v);
    memset(m, 0, sizeof(*m));
}
