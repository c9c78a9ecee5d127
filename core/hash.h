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

/* Answers about strings that recur (process names, command lines): a pure
 * function's result per string, remembered across calls. At most max
 * strings (0: 4096) are kept; the next one empties it first, so memory
 * stays flat. Zero-initialise; strmemo_clear frees it. */
struct strmemo {
    struct strmemo_slot {
        uint64_t h;
        char *s;
        size_t n;
        int32_t v;
    } * v;
    size_t cap, n, max;
};
/* The answer slot for s: returns 1 with *v at the answer when s is known,
 * 0 with *v at a new slot to fill (s was added). */
int strmemo_find(struct strmemo *m, const char *s, int32_t **v);
/* The same with extra bytes of answer kept beside s (zeroed when new): *data
 * points at them. They live until the memo next empties, which a later
 * call may do: copy them out before asking again. */
int strmemo_find_data(struct strmemo *m, const char *s, size_t extra, int32_t **v, char **data);
void strmemo_clear(struct strmemo *m);

#endif
