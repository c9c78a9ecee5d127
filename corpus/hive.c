/*
 * hive: a sample's registry as real regf hives (SYSTEM and SOFTWARE), the
 * files RegRipper, regipy, hivex and libregf read. libhivex writes keys and
 * values but cannot make a hive from nothing, so corpus_regf_empty writes
 * the smallest valid one -- a 4096-byte base block and one 4096-byte hive
 * bin holding a root key (nk) and its security descriptor (sk) -- and
 * libhivex adds everything else to it and commits the file. Layout per the
 * public format descriptions: M. Suhanov, "Windows registry file format
 * specification" (github.com/msuhanov/regf) and libyal's "Windows NT
 * Registry File (REGF) format" (github.com/libyal/libregf, documentation/).
 *
 * What is ours, not Windows': the root key's name ("ROOT"), the base
 * block's file name (the hive's name), one security descriptor for every
 * key (Administrators and SYSTEM full control, Users read), and the keys'
 * last-write times -- libhivex gives each new key its parent's, so every key
 * carries the hive's time (the sample's boot).
 */
#include "corpus.h"

#include <errno.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/afile.h"
#include "../core/wtime.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A SID (revision 1, authority 5 = NT AUTHORITY) with one or two
 * sub-authorities; returns its length. */
static size_t put_sid(uint8_t *p, uint32_t a, uint32_t b)
{
    p[0] = 1;
    p[1] = (uint8_t)(b ? 2 : 1);
    memset(p + 2, 0, 6);
    p[7] = 5;
    put32(p + 8, a);
    if (b)
        put32(p + 12, b);
    return b ? 16 : 12;
}

/* One access-allowed ACE, inherited by subkeys; returns its length. */
static size_t put_ace(uint8_t *p, uint32_t mask, uint32_t a, uint32_t b)
{
    size_t n = 8 + put_sid(p + 8, a, b);
    p[0] = 0;    /* ACCESS_ALLOWED_ACE_TYPE */
    p[1] = 0x02; /* CONTAINER_INHERIT_ACE */
    put16(p + 2, (uint16_t)n);
    put32(p + 4, mask);
    return n;
}

/* A self-relative security descriptor: owner Administrators, group SYSTEM,
 * DACL: SYSTEM and Administrators KEY_ALL_ACCESS, Users KEY_READ. */
static size_t put_sd(uint8_t *p)
{
    enum { KEY_ALL_ACCESS = 0xf003f, KEY_READ = 0x20019 };
    uint8_t *acl = p + 20;
    size_t n = 8;
    n += put_ace(acl + n, KEY_ALL_ACCESS, 18, 0);
    n += put_ace(acl + n, KEY_ALL_ACCESS, 32, 544);
    n += put_ace(acl + n, KEY_READ, 32, 545);
    acl[0] = 2; /* ACL_REVISION */
    put16(acl + 2, (uint16_t)n);
    put16(acl + 4, 3);
    size_t owner = 20 + n;
    size_t group = owner + put_sid(p + owner, 32, 544);
    size_t end = group + put_sid(p + group, 18, 0);
    p[0] = 1;             /* revision */
    put16(p + 2, 0x8004); /* SE_SELF_RELATIVE | SE_DACL_PRESENT */
    put32(p + 4, (uint32_t)owner);
    put32(p + 8, (uint32_t)group);
    put32(p + 12, 0); /* no SACL */
    put32(p + 16, 20);
    return end;
}

uint32_t corpus_regf_checksum(const uint8_t *h)
{
    uint32_t x = 0;
    for (size_t i = 0; i < 508; i += 4)
        x ^= (uint32_t)h[i] | (uint32_t)h[i + 1] << 8 | (uint32_t)h[i + 2] << 16 |
             (uint32_t)h[i + 3] << 24;
    return x;
}

void corpus_regf_empty(uint8_t out[CORPUS_REGF_EMPTY], uint64_t filetime, const char *name)
{
    memset(out, 0, CORPUS_REGF_EMPTY);
    uint8_t *b = out; /* base block */
    memcpy(b, "regf", 4);
    put32(b + 4, 1); /* primary and secondary sequence equal: cleanly written */
    put32(b + 8, 1);
    put64(b + 12, filetime);
    put32(b + 20, 1);      /* major version */
    put32(b + 24, 5);      /* minor 5: Windows XP and later, lh subkey lists */
    put32(b + 28, 0);      /* primary file */
    put32(b + 32, 1);      /* direct memory load */
    put32(b + 36, 0x20);   /* root cell, relative to the first hive bin */
    put32(b + 40, 0x1000); /* hive bins data size */
    put32(b + 44, 1);      /* clustering factor */
    for (size_t i = 0; name && name[i] && i < 31; i++)
        b[48 + 2 * i] = (uint8_t)name[i]; /* UTF-16LE, ASCII names only */

    uint8_t *hb = out + 0x1000; /* the hive bin */
    memcpy(hb, "hbin", 4);
    put32(hb + 4, 0);
    put32(hb + 8, 0x1000);
    put64(hb + 20, filetime);

    /* Root key at 0x20: 4-byte size, then the nk record (0x4c bytes + name). */
    static const char root[] = "ROOT";
    uint8_t *nk = hb + 0x20;
    size_t nk_len = (4 + 0x4c + sizeof(root) - 1 + 7) & ~(size_t)7;
    size_t sk_off = 0x20 + nk_len;
    put32(nk, (uint32_t) - (int32_t)nk_len);
    memcpy(nk + 4, "nk", 2);
    put16(nk + 6, 0x2c); /* KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME */
    put64(nk + 8, filetime);
    put32(nk + 0x14, 0xffffffff); /* parent: none */
    put32(nk + 0x20, 0xffffffff); /* subkey list */
    put32(nk + 0x24, 0xffffffff); /* volatile subkey list */
    put32(nk + 0x2c, 0xffffffff); /* value list */
    put32(nk + 0x30, (uint32_t)sk_off);
    put32(nk + 0x34, 0xffffffff); /* class name */
    put16(nk + 0x4c, (uint16_t)(sizeof(root) - 1));
    memcpy(nk + 0x50, root, sizeof(root) - 1);

    /* Its security record: a ring of one (flink = blink = itself). */
    uint8_t *sk = hb + sk_off;
    size_t sd_len = put_sd(sk + 24);
    size_t sk_len = (24 + sd_len + 7) & ~(size_t)7;
    put32(sk, (uint32_t) - (int32_t)sk_len);
    memcpy(sk + 4, "sk", 2);
    put32(sk + 8, (uint32_t)sk_off);
    put32(sk + 12, (uint32_t)sk_off);
    put32(sk + 16, 1); /* referenced by the root */
    put32(sk + 20, (uint32_t)sd_len);

    /* The rest of the bin is one free cell (positive size). */
    size_t used = sk_off + sk_len;
    put32(hb + used, (uint32_t)(0x1000 - used));

    put32(b + 508, corpus_regf_checksum(b));
}

/* ---- values ---------------------------------------------------------------------- */

/* UTF-8 to UTF-16LE (invalid bytes become U+FFFD), appended to sb. */
static void utf16(struct strbuf *sb, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t c = *p++;
        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        if (c >= 0x80 && (c < 0xc2 || c > 0xf4)) {
            c = 0xfffd;
            more = 0;
        } else if (more) {
            c &= 0x3fu >> more;
            for (int k = 0; k < more; k++) {
                if ((*p & 0xc0) != 0x80) {
                    c = 0xfffd;
                    more = -1;
                    break;
                }
                c = c << 6 | (*p++ & 0x3f);
            }
            if (more > 0 && (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)))
                c = 0xfffd;
        }
        if (c >= 0x10000) {
            c -= 0x10000;
            uint32_t hi = 0xd800 + (c >> 10), lo = 0xdc00 + (c & 0x3ff);
            sb_addc(sb, (char)(hi & 0xff));
            sb_addc(sb, (char)(hi >> 8));
            c = lo;
        }
        sb_addc(sb, (char)(c & 0xff));
        sb_addc(sb, (char)(c >> 8));
    }
}

static void nul16(struct strbuf *sb)
{
    sb_add(sb, "\0\0", 2);
}

/* The stored bytes of value g, as Windows stores each type: strings
 * UTF-16LE with their terminator, a REG_MULTI_SZ's entries each
 * terminated and the list ended by an empty one, a DWORD little-endian. */
static void value_bytes(struct strbuf *sb, const struct snap_reg *g)
{
    if (g->type == SNAP_REG_DWORD) {
        uint8_t d[4];
        put32(d, g->dword);
        sb_add(sb, (const char *)d, 4);
        return;
    }
    if (g->type == SNAP_REG_MULTI_SZ) {
        for (uint32_t i = 0; i < g->ndata; i++) {
            utf16(sb, g->data[i]);
            nul16(sb);
        }
        nul16(sb);
        return;
    }
    utf16(sb, g->ndata ? g->data[0] : "");
    nul16(sb);
}

static hive_type hive_type_of(enum snap_reg_type t)
{
    switch (t) {
    case SNAP_REG_EXPAND_SZ: return hive_t_REG_EXPAND_SZ;
    case SNAP_REG_MULTI_SZ: return hive_t_REG_MULTI_SZ;
    case SNAP_REG_DWORD: return hive_t_REG_DWORD;
    default: return hive_t_REG_SZ;
    }
}

/* ---- one hive ----------------------------------------------------------------------- */

/* Which hive a key lives in and its path there: "HKLM\SYSTEM\CurrentControlSet\X"
 * -> SYSTEM "ControlSet001\X", "HKLM\SOFTWARE\X" -> SOFTWARE "X". */
static const char *hive_path(const char *key, int want_system)
{
    static const char sys[] = "HKLM\\SYSTEM\\CurrentControlSet\\";
    static const char soft[] = "HKLM\\SOFTWARE\\";
    if (!key)
        return NULL;
    if (want_system && !ascii_ncasecmp(key, sys, sizeof(sys) - 1))
        return key + sizeof(sys) - 1;
    if (!want_system && !ascii_ncasecmp(key, soft, sizeof(soft) - 1))
        return key + sizeof(soft) - 1;
    return NULL;
}

struct hw {
    hive_h *h;
    const char *path;
};

static int hw_fail(struct hw *w, const char *what, struct err *e)
{
    err_set(e, "%s: libhivex: %s: %s", w->path, what, strerror(errno ? errno : EIO));
    return -1;
}

/* The node at path below n, created as needed. */
static hive_node_h make_path(struct hw *w, hive_node_h n, const char *path, struct err *e)
{
    char part[512];
    while (*path) {
        size_t k = strcspn(path, "\\");
        if (k == 0 || k >= sizeof(part)) {
            err_set(e, "%s: bad key path '%s'", w->path, path);
            return 0;
        }
        memcpy(part, path, k);
        part[k] = 0;
        errno = 0;
        hive_node_h c = hivex_node_get_child(w->h, n, part);
        if (!c && errno)
            return hw_fail(w, "cannot look up a key", e), 0;
        if (!c)
            c = hivex_node_add_child(w->h, n, part);
        if (!c)
            return hw_fail(w, "cannot add a key", e), 0;
        n = c;
        path += k + (path[k] == '\\');
    }
    return n;
}

/* Set the values of key path (all of them at once: libhivex replaces a
 * key's value list). */
static int set_values(struct hw *w, const char *path, const hive_set_value *v, size_t n,
                      struct err *e)
{
    hive_node_h node = make_path(w, hivex_root(w->h), path, e);
    if (!node)
        return -1;
    if (hivex_node_set_values(w->h, node, n, v, 0) < 0)
        return hw_fail(w, "cannot set values", e);
    return 0;
}

static int dword_value(hive_set_value *v, struct strbuf *b, const char *name, uint32_t d)
{
    uint8_t x[4];
    put32(x, d);
    sb_reset(b);
    sb_add(b, (const char *)x, 4);
    v->key = (char *)name;
    v->t = hive_t_REG_DWORD;
    v->len = 4;
    v->value = b->buf;
    return 0;
}

int corpus_write_hive(const struct corpus_hive_in *in, int system, const char *path, struct err *e)
{
    uint8_t empty[CORPUS_REGF_EMPTY];
    corpus_regf_empty(empty, in->filetime, system ? "SYSTEM" : "SOFTWARE");
    if (afile_write_all(path, (const char *)empty, sizeof(empty), e) < 0)
        return -1;
    errno = 0;
    struct hw w = {hivex_open(path, HIVEX_OPEN_WRITE), path};
    if (!w.h)
        return hw_fail(&w, "cannot open the new hive", e);
    int rc = 0;
    size_t n = in->nregs;
    hive_set_value *vals = xcalloc(n + 4, sizeof(*vals));
    struct strbuf *bufs = xcalloc(n + 4, sizeof(*bufs));
    uint8_t *done = xcalloc(n + 1, 1);
    if (system) {
        /* Select: which ControlSet00N is CurrentControlSet. */
        dword_value(&vals[0], &bufs[0], "Current", 1);
        dword_value(&vals[1], &bufs[1], "Default", 1);
        dword_value(&vals[2], &bufs[2], "Failed", 0);
        dword_value(&vals[3], &bufs[3], "LastKnownGood", 1);
        rc = set_values(&w, "Select", vals, 4, e);
        if (!rc && in->host) {
            sb_reset(&bufs[0]);
            utf16(&bufs[0], in->host);
            nul16(&bufs[0]);
            vals[0] = (hive_set_value){"ComputerName", hive_t_REG_SZ, bufs[0].len, bufs[0].buf};
            rc = set_values(&w, "ControlSet001\\Control\\ComputerName\\ComputerName", vals, 1, e);
        }
    }
    /* Keys in the order they first appear, each with all its values. */
    struct strbuf kp = STRBUF_INIT;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *p = hive_path(in->regs[i].key, system);
        if (!p || done[i] || in->regs[i].deleted)
            continue;
        size_t nv = 0;
        for (size_t k = i; k < n; k++) {
            const struct snap_reg *g = &in->regs[k];
            if (done[k] || g->deleted || !g->key || ascii_casecmp(g->key, in->regs[i].key))
                continue;
            done[k] = 1;
            sb_reset(&bufs[nv]);
            value_bytes(&bufs[nv], g);
            vals[nv] = (hive_set_value){(char *)(g->name ? g->name : ""), hive_type_of(g->type),
                                        bufs[nv].len, bufs[nv].buf};
            nv++;
        }
        sb_reset(&kp);
        if (system)
            sb_adds(&kp, "ControlSet001\\");
        sb_adds(&kp, p);
        rc = set_values(&w, kp.buf, vals, nv, e);
    }
    sb_release(&kp);
    if (!rc && hivex_commit(w.h, NULL, 0) < 0)
        rc = hw_fail(&w, "cannot write the hive", e);
    hivex_close(w.h);
    for (size_t i = 0; i < n + 4; i++)
        sb_release(&bufs[i]);
    free(bufs);
    free(vals);
    free(done);
    return rc;
}

int corpus_write_sample_hives(struct corpus_sample *cs, const char *dir, struct err *e)
{
    const struct sim *sm = corpus_sample_sim(cs);
    struct snap s;
    snap_init(&s);
    /* As corpus_write_registry: the first snapshot is the registry smss
     * read at this boot. */
    sim_snapshot(sm, sim_snapshot_time(sm, 0), &s);
    int64_t boot = sim_boot_time(sm);
    struct corpus_hive_in in = {s.regs, s.nregs, corpus_sample_scn(cs)->host,
                                (uint64_t)(boot + 11644473600LL * WT_SEC) * 10u};
    struct strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s/SYSTEM", dir);
    int rc = corpus_write_hive(&in, 1, p.buf, e);
    if (!rc) {
        sb_reset(&p);
        sb_addf(&p, "%s/SOFTWARE", dir);
        rc = corpus_write_hive(&in, 0, p.buf, e);
    }
    sb_release(&p);
    snap_release(&s);
    return rc;
}
