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
