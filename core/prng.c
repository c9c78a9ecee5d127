/*
 * prng: splitmix64 + xoshiro256** with child streams. Integer-only, so the
 * same seed gives the same numbers with any compiler and any FPU setting.
 */
#include "prng.h"

uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void prng_seed(struct prng *p, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        p->s[i] = splitmix64(&st);
}

void prng_child(struct prng *child, uint64_t seed, uint64_t stream)
{
    uint64_t st = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    uint64_t mixed = splitmix64(&st);
    prng_seed(child, mixed ^ stream);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t prng_next(struct prng *p)
{
    uint64_t *s = p->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t prng_below(struct prng *p, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Rejection sampling on the top bits: exact and portable. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t r = prng_next(p);
        if (r >= threshold)
            return r % n;
    }
}

int64_t prng_range(struct prng *p, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    if (span == 0)
        return (int64_t)prng_next(p);
    return (int64_t)((uint64_t)lo + prng_below(p, span));
}

int prng_chance(struct prng *p, uint64_t num, uint64_t den)
{
    if (num >= den)
        return 1;
    return prng_below(p, den) < num;
}
