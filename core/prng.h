/*
 * prng: the only source of variety in smsslab. splitmix64 seeds xoshiro256**
 * (Blackman & Vigna, https://prng.di.unimi.it/); each subsystem takes a child
 * stream derived from the parent seed and a fixed stream id, so adding a draw
 * in one subsystem does not reshuffle the others (TigerBeetle VOPR style).
 */
#ifndef SMSS_PRNG_H
#define SMSS_PRNG_H

#include <stdint.h>

struct prng {
    uint64_t s[4];
};

uint64_t splitmix64(uint64_t *state);
void prng_seed(struct prng *p, uint64_t seed);
/* An independent stream for subsystem `stream` of the generator seeded `seed`. */
void prng_child(struct prng *child, uint64_t seed, uint64_t stream);
uint64_t prng_next(struct prng *p);
/* Uniform in [0, n) without modulo bias (Lemire); n == 0 returns 0. */
uint64_t prng_below(struct prng *p, uint64_t n);
/* Uniform in [lo, hi] inclusive. */
int64_t prng_range(struct prng *p, int64_t lo, int64_t hi);
/* True with exact probability num/den. */
int prng_chance(struct prng *p, uint64_t num, uint64_t den);

#endif
