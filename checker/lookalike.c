/*
 * lookalike: names chosen to pass for a core process at a glance -- edit
 * distance 1-2 (smmss, lsas, scvhost), look-alike letters from Cyrillic,
 * Greek or full-width Unicode, digits for letters (1sass, svch0st), i/l
 * swaps, spaces and extra extensions (lsass.exe.exe). Both sides are reduced
 * to a "skeleton" (Unicode TR39's idea, on a small fixed table) and compared
 * with the optimal-string-alignment distance, which counts a swap of two
 * neighbouring letters as one edit.
 */
#include "chk_int.h"

#include <stdio.h>
#include <string.h>

#include "../core/hash.h"
#include "../core/jsonw.h"

#define SKEL_MAX 64

/* Real Windows or common program names that sit close to a core name. */
static const char *const benign[] = {
    "iexplore.exe", "sihost.exe",  "ssms.exe",    "taskhost.exe", "taskhostw.exe",   "lsm.exe",
    "lsaiso.exe",   "dllhost.exe", "conhost.exe", "dashost.exe",  "smartscreen.exe", "wlanext.exe",
};

/* Code points that render like an ASCII letter (Unicode confusables, the
 * Cyrillic, Greek and full-width subsets attackers use). */
static char fold_cp(uint32_t cp)
{
    static const struct {
        uint32_t cp;
        char c;
    } map[] = {
        /* Cyrillic lower case */
        {0x0430, 'a'},
        {0x0435, 'e'},
        {0x043E, 'o'},
        {0x0440, 'p'},
        {0x0441, 'c'},
        {0x0443, 'y'},
        {0x0445, 'x'},
        {0x0455, 's'},
        {0x0456, 'i'},
        {0x0458, 'j'},
        {0x04BB, 'h'},
        {0x04CF, 'l'},
        {0x0501, 'd'},
        {0x051B, 'q'},
        {0x051D, 'w'},
        {0x0432, 'b'},
        {0x043A, 'k'},
        {0x043C, 'm'},
        {0x043D, 'h'},
        {0x0442, 't'},
        /* Cyrillic upper case */
        {0x0410, 'a'},
        {0x0412, 'b'},
        {0x0415, 'e'},
        {0x041A, 'k'},
        {0x041C, 'm'},
        {0x041D, 'h'},
        {0x041E, 'o'},
        {0x0420, 'p'},
        {0x0421, 'c'},
        {0x0422, 't'},
        {0x0425, 'x'},
        {0x0405, 's'},
        {0x0406, 'i'},
        {0x0408, 'j'},
        {0x04C0, 'l'},
        /* Greek */
        {0x03B1, 'a'},
        {0x03B5, 'e'},
        {0x03B9, 'i'},
        {0x03BA, 'k'},
        {0x03BD, 'v'},
        {0x03BF, 'o'},
        {0x03C1, 'p'},
        {0x03C4, 't'},
        {0x03C5, 'u'},
        {0x03C7, 'x'},
        {0x0391, 'a'},
        {0x0392, 'b'},
        {0x0395, 'e'},
        {0x0396, 'z'},
        {0x0397, 'h'},
        {0x0399, 'i'},
        {0x039A, 'k'},
        {0x039C, 'm'},
        {0x039D, 'n'},
        {0x039F, 'o'},
        {0x03A1, 'p'},
        {0x03A4, 't'},
        {0x03A5, 'y'},
        {0x03A7, 'x'},
    };
    if (cp >= 0xFF41 && cp <= 0xFF5A) /* full-width a-z */
        return (char)('a' + (cp - 0xFF41));
    if (cp >= 0xFF21 && cp <= 0xFF3A)
        return (char)('a' + (cp - 0xFF21));
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (map[i].cp == cp)
            return map[i].c;
    return '?';
}

/* One skeleton letter: i, l and 1 look alike in many fonts. */
static char fold_ascii(char ch, int *digit)
{
    ch = ascii_lower(ch);
    switch (ch) {
    case 'i':
    case '1':
    case '|':
    case '!':
        if (ch == '1')
            *digit = 1;
        return 'l';
    case '0': *digit = 1; return 'o';
    case '3': *digit = 1; return 'e';
    case '4': *digit = 1; return 'a';
    case '5': *digit = 1; return 's';
    case '7': *digit = 1; return 't';
    default: return ch;
    }
}

struct skel {
    char s[SKEL_MAX + 1];
    size_t n;
    int unicode, digit, space, exts, odd_ext;
};

static int skeleton(const char *name, struct skel *k)
{
    memset(k, 0, sizeof(*k));
    const unsigned char *p = (const unsigned char *)name;
    size_t avail = strlen(name);
    while (*p) {
        char ch;
        int len = utf8_seq_len(p, avail);
        if (len <= 0)
            len = 1;
        if (*p < 0x80) {
            if (*p == ' ' || *p == '\t' || *p == 0xA0) {
                k->space = 1;
                p++, avail--;
                continue;
            }
            ch = fold_ascii((char)*p, &k->digit);
        } else {
            uint32_t cp = 0;
            if (len == 2)
                cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            else if (len == 3)
                cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
                     (p[2] & 0x3F);
            if (cp == 0x00A0 || cp == 0x2000 || cp == 0x200B || cp == 0x3000) {
                k->space = 1; /* no-break, en quad, zero-width and ideographic spaces */
                p += len, avail -= (size_t)len;
                continue;
            }
            ch = cp ? fold_cp(cp) : '?';
            if (ch != '?')
                k->unicode = 1;
        }
        if (k->n >= SKEL_MAX)
            return -1;
        k->s[k->n++] = ch;
        p += len, avail -= (size_t)len;
    }
    k->s[k->n] = 0;
    /* Strip executable extensions, as many as there are, and trailing dots. */
    static const char *const exts[] = {".exe", ".com", ".scr", ".bat", ".cmd"};
    for (int again = 1; again;) {
        again = 0;
        while (k->n && k->s[k->n - 1] == '.') {
            k->s[--k->n] = 0;
            k->odd_ext = 1;
        }
        for (size_t e = 0; e < ARRAY_SIZE(exts); e++)
            if (k->n > 4 && !memcmp(k->s + k->n - 4, exts[e], 4)) {
                k->n -= 4;
                k->s[k->n] = 0;
                k->exts++;
                if (e)
                    k->odd_ext = 1;
                again = 1;
            }
    }
    return 0;
}

/* Optimal string alignment distance, capped: returns more than cap when
 * larger. Only the cells within cap of the diagonal are worked out: an
 * alignment that leaves that band costs more than cap, so the cells beside
 * the band may stand at cap + 1 (every process name is compared with every
 * core name, and the full table was most of the lookalike rule). */
static size_t osa(const char *a, size_t m, const char *b, size_t n, size_t cap)
{
    size_t d[SKEL_MAX + 1][SKEL_MAX + 1];
    if ((m > n ? m - n : n - m) > cap)
        return cap + 1;
    for (size_t i = 0; i <= m; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= n; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= m; i++) {
        size_t lo = i > cap ? i - cap : 1, hi = i + cap < n ? i + cap : n;
        if (lo > 1)
            d[i][lo - 1] = cap + 1;
        for (size_t j = lo; j <= hi; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
        if (hi < n)
            d[i][hi + 1] = cap + 1;
    }
    return d[m][n];
}

/* Why a name imitates a core name, as lookalike_code's low bits say. */
enum { WHY_UNICODE, WHY_DIGIT, WHY_SPACE, WHY_EXT, WHY_IL, WHY_DIST };

/* Which core row name imitates and why: (row << 4) | WHY_* (WHY_DIST + d
 * for edit distance d), or -1 when it imitates none. A function of the
 * name alone, so the rule remembers it per name. */
static int lookalike_code(const char *name)
{
    if (!name || !*name || kb_proc_index(name) >= 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(benign); i++)
        if (!ascii_casecmp(name, benign[i]))
            return -1;
    struct skel k;
    if (skeleton(name, &k) < 0 || k.n < 3)
        return -1;
    /* The core names' skeletons never change: compute them once. */
    static struct skel cores[32];
    static int have_cores;
    if (!have_cores) {
        for (size_t i = 0; i < kb_nprocs && i < ARRAY_SIZE(cores); i++)
            skeleton(kb_procs[i].name, &cores[i]);
        have_cores = 1;
    }
    size_t best = SIZE_MAX, best_row = 0;
    for (size_t i = 0; i < kb_nprocs && i < ARRAY_SIZE(cores); i++) {
        if (!kb_procs[i].lookalike)
            continue;
        const struct skel t = cores[i];
        size_t cap = t.n <= 5 ? 1 : 2;
        size_t d = osa(k.s, k.n, t.s, t.n, cap);
        if (d == 0) {
            /* Same letters: only a trick if something was disguised; a bare
             * "smss" without extension is a source that drops extensions. */
            if (!k.unicode && !k.digit && !k.space && !k.odd_ext && k.exts <= 1 &&
                !ascii_ncasecmp(name, kb_procs[i].name, t.n) &&
                (name[t.n] == 0 || !ascii_casecmp(name + t.n, ".exe")))
                continue;
        }
        if (d <= cap && d < best) {
            best = d;
            best_row = i;
        }
    }
    if (best == SIZE_MAX)
        return -1;
    int why = best        ? WHY_DIST + (int)best
              : k.unicode ? WHY_UNICODE
              : k.digit   ? WHY_DIGIT
              : k.space   ? WHY_SPACE
              : k.exts    ? WHY_EXT
                          : WHY_IL;
    return (int)best_row << 4 | why;
}

static int describe(int code, const char **imitated, char *why, size_t nwhy)
{
    static const char *const reasons[] = {
        [WHY_UNICODE] = "look-alike non-ASCII letters",
        [WHY_DIGIT] = "digits in place of letters",
        [WHY_SPACE] = "extra spaces",
        [WHY_EXT] = "an extra or unusual extension",
        [WHY_IL] = "look-alike letters (i/l)",
    };
    if (code < 0)
        return 0;
    *imitated = kb_procs[code >> 4].name;
    int w = code & 15;
    if (w >= WHY_DIST)
        snprintf(why, nwhy, "edit distance %d", w - WHY_DIST);
    else
        snprintf(why, nwhy, "%s", reasons[w]);
    return 1;
}

int chk_lookalike(const char *name, const char **imitated, char *why, size_t nwhy)
{
    return describe(lookalike_code(name), imitated, why, nwhy);
}

void chk_rule_lookalike(struct chk_ctx *c);

void chk_rule_lookalike(struct chk_ctx *c)
{
    struct snap *s = c->s;
    for (size_t i = 0; i < s->nprocs; i++) {
        if (c->kind[i])
            continue; /* an exact core name */
        const struct snap_proc *p = &s->procs[i];
        const char *cands[2] = {p->name, NULL};
        if (p->image) {
            const char *b = p->image;
            for (const char *q = p->image; *q; q++)
                if (*q == '\\' || *q == '/')
                    b = q + 1;
            if (!p->name || ascii_casecmp(b, p->name))
                cands[1] = b;
        }
        for (int k = 0; k < 2; k++) {
            const char *imitated, *n = cands[k];
            char why[64];
            /* Names recur in every snapshot and every log: each is judged
             * once (the skeleton and ten edit distances were most of this
             * rule), kept in a bounded memo. */
            static struct strmemo memo;
            int32_t *code;
            if (n && *n && !strmemo_find(&memo, n, &code))
                *code = lookalike_code(n);
            if (n && *n && describe(*code, &imitated, why, sizeof(why))) {
                chk_report_proc(c, i, "'%s' imitates %s (%s)", n, imitated, why);
                break;
            }
        }
    }
}
