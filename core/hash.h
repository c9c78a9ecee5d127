/*
 * hash: FNV-1a and a set of strings, the one hashing helper of the project.
 * The hash values are part of some outputs (the EVTX template identifiers,
 * the corpus's stable fake file hashes), so the functions below never
 * change their results. Sets answer membership only: their slot order must
 * never reach an output.
 */
#ifndef SMSS_HASH_H
#define SMSS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The project's starting value. It is not FNV's published offset basis
 * (14695981039346656037): the first versions dropped its last digit, and
 * EVTX template ids and the corpus's fake file hashes derive from it, so it
 * stays. Any odd-looking basis hashes as well; the algorithm is FNV-1a. */
#define HASH_FNV_INIT 1469598103934665603ULL

/* FNV-1a over n bytes, continuing from h (start from HASH_FNV_INIT). */
uint64_t hash_fnv(uint64_t h, const void *p, size_t n);
/* Over a string's bytes without its NUL; NULL hashes like "". */
uint64_t hash_fnv_str(uint64_t h, const char *s);
/* The same with ASCII letters lower-cased (case-insensitive keys). */
uint64_t hash_fnv_lower(uint64_t h, const char *s);

/* A set of strings (open addressing): strset_add copies s. Zero-initialise
 * (struct strset set = {0}); strset_clear empties it and frees the copies. */
struct strset {
    char **v;
    size_t cap, n;
};
/* 1 if s was new (it is added), 0 if it was there already. */
int strset_add(struct strset *t, const char *s);
int strset_has(const struct strset *t, const char *s);
void strset_clear(struct strset *t);

#endif
