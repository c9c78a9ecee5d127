/*
 * rd_hive: a SYSTEM or SOFTWARE registry hive (regf) through libhivex,
 * read-only, as the host's registry state: the values of the keys the
 * registry rules read (checker/rules_registry.c), nothing else. SYSTEM's
 * running control set is the one Select\Current names (ControlSet001 on
 * almost every machine); it is reported as CurrentControlSet, the name the
 * rules and Sysmon use. SYSTEM also gives the computer name, by which the
 * hive joins the logs of its host (rd_set_attach_state).
 *
 * Untrusted input: libhivex checks every cell offset against the cells it
 * found when it opened the file; on top of that the walk is bounded in
 * depth, keys, values and string length, and any error libhivex reports
 * while walking fails the whole file (a damaged hive is said, not half
 * read).
 */
#include <errno.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rd_int.h"

/* A real SOFTWARE hive is 50-150 MB, SYSTEM 10-30 MB. */
#define HIVE_MAX_SIZE ((off_t)2 << 30)
#define HIVE_MAX_CHILDREN 4096u /* subkeys read under one key (IFEO has ~150) */
#define HIVE_MAX_VALUES 4096u
#define HIVE_MAX_MULTI 1024u /* entries of one REG_MULTI_SZ */

/* The keys the rules read, relative to the hive's root (SYSTEM: to the
 * running control set), and how deep below them. */
struct hive_key {
    const char *path;
    unsigned depth;
};
static const struct hive_key system_keys[] = {
    {"Control\\Session Manager", 1}, /* KnownDLLs, SubSystems, AppCertDlls, Environment */
    {"Control\\Lsa", 0},
    {"Control\\SecurityProviders\\WDigest", 0},
    {"Control\\SafeBoot", 0},
};
static const struct hive_key software_keys[] = {
    {"Microsoft\\Windows NT\\CurrentVersion\\Winlogon", 2}, /* Notify\<name> */
    {"Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options", 1},
    {"Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit", 1},
    {"Microsoft\\Windows NT\\CurrentVersion\\Windows", 0},
};

struct walk {
    hive_h *h;
    struct rd_set *set;
    const char *path;
    struct strbuf key;
};

static int hive_fail(struct walk *w, const char *what, struct err *e)
{
    int code = errno ? errno : EINVAL;
    err_set(e, "%s: damaged registry hive: %s under '%s': %s", w->path, what, w->key.buf,
            strerror(code));
    return -1;
}

/* The node at a backslash path below n, or 0 when a part is missing. */
static hive_node_h child_path(hive_h *h, hive_node_h n, const char *path)
{
    char part[256];
    while (n && *path) {
        size_t k = strcspn(path, "\\");
        if (k >= sizeof(part))
            return 0;
        memcpy(part, path, k);
        part[k] = 0;
        errno = 0;
        n = hivex_node_get_child(h, n, part);
        path += k + (path[k] == '\\');
    }
    return n;
}

static int read_value(struct walk *w, hive_value_h v, struct err *e)
{
    hive_type t;
    size_t len;
    if (hivex_value_type(w->h, v, &t, &len) < 0)
        return hive_fail(w, "a value's type", e);
    enum snap_reg_type st;
    switch (t) {
    case hive_t_REG_SZ: st = SNAP_REG_SZ; break;
    case hive_t_REG_EXPAND_SZ: st = SNAP_REG_EXPAND_SZ; break;
    case hive_t_REG_MULTI_SZ: st = SNAP_REG_MULTI_SZ; break;
    case hive_t_REG_DWORD: st = SNAP_REG_DWORD; break;
    default: return 0; /* binary, QWORD, ...: no rule reads them */
    }
    char *name = hivex_value_key(w->h, v);
    if (!name)
        return hive_fail(w, "a value's name", e);
    int rc = 0;
    if (st == SNAP_REG_DWORD) {
        if (len != 4) {
            /* Windows itself writes odd-sized DWORDs now and then: not
             * one the rules read, and not a 32-bit number. */
            free(name);
            return 0;
        }
        errno = 0;
        int32_t d = hivex_value_dword(w->h, v);
        if (d == -1 && errno) {
            rc = hive_fail(w, "a DWORD value", e);
        } else {
            rc = rd_set_add_state(w->set, w->key.buf, name, st, NULL, 0, (uint32_t)d, e);
        }
    } else if (st == SNAP_REG_MULTI_SZ) {
        char **list = hivex_value_multiple_strings(w->h, v);
        if (!list) {
            /* Data that is not UTF-16 text (an odd length, a lone
             * surrogate): Windows stores whatever a program wrote. Not a
             * damaged hive: the value is skipped. */
        } else {
            uint32_t n = 0;
            while (list[n] && n < HIVE_MAX_MULTI)
                n++;
            rc = rd_set_add_state(w->set, w->key.buf, name, st, (const char *const *)list, n, 0, e);
            for (size_t k = 0; list[k]; k++)
                free(list[k]);
            free(list);
        }
    } else {
        char *str = hivex_value_string(w->h, v);
        if (str) { /* as for REG_MULTI_SZ: what is not text is skipped */
            const char *one = str;
            rc = rd_set_add_state(w->set, w->key.buf, name, st, &one, 1, 0, e);
            free(str);
        }
    }
    free(name);
    return rc;
}

static int read_key(struct walk *w, hive_node_h n, unsigned depth, struct err *e)
{
    errno = 0;
    size_t nv = hivex_node_nr_values(w->h, n);
    if (nv > HIVE_MAX_VALUES) {
        err_set(e, "%s: damaged registry hive: %zu values under '%s' (at most %u read)", w->path,
                nv, w->key.buf, HIVE_MAX_VALUES);
        return -1;
    }
    hive_value_h *vals = hivex_node_values(w->h, n);
    if (!vals)
        return hive_fail(w, "the value list", e);
    int rc = 0;
    for (size_t i = 0; vals[i] && rc == 0; i++)
        rc = read_value(w, vals[i], e);
    free(vals);
    if (rc < 0 || !depth)
        return rc;
    errno = 0;
    size_t nc = hivex_node_nr_children(w->h, n);
    if (nc > HIVE_MAX_CHILDREN) {
        err_set(e, "%s: damaged registry hive: %zu subkeys under '%s' (at most %u read)", w->path,
                nc, w->key.buf, HIVE_MAX_CHILDREN);
        return -1;
    }
    hive_node_h *kids = hivex_node_children(w->h, n);
    if (!kids)
        return hive_fail(w, "the subkey list", e);
    size_t base = w->key.len;
    for (size_t i = 0; kids[i] && rc == 0; i++) {
        char *name = hivex_node_name(w->h, kids[i]);
        if (!name) {
            rc = hive_fail(w, "a subkey's name", e);
            break;
        }
        sb_addc(&w->key, '\\');
        sb_adds(&w->key, name);
        free(name);
        rc = read_key(w, kids[i], depth - 1, e);
        w->key.len = base;
        w->key.buf[base] = 0;
    }
    free(kids);
    return rc;
}

/* The DWORD Select\<name>, or -1. */
static long select_value(hive_h *h, hive_node_h root, const char *name)
{
    hive_node_h sel = hivex_node_get_child(h, root, "Select");
    hive_value_h v = sel ? hivex_node_get_value(h, sel, name) : 0;
    hive_type t;
    size_t len;
    if (!v || hivex_value_type(h, v, &t, &len) < 0 || t != hive_t_REG_DWORD || len != 4)
        return -1;
    errno = 0;
    int32_t d = hivex_value_dword(h, v);
    return d < 1 || d > 999 || errno ? -1 : d;
}

/* Computer name from SYSTEM (Control\ComputerName\ComputerName), if any. */
static int read_host(struct walk *w, hive_node_h cs, struct err *e)
{
    hive_node_h n = child_path(w->h, cs, "Control\\ComputerName\\ComputerName");
    hive_value_h v = n ? hivex_node_get_value(w->h, n, "ComputerName") : 0;
    hive_type t;
    size_t len;
    if (!v || hivex_value_type(w->h, v, &t, &len) < 0 || t != hive_t_REG_SZ)
        return 0;
    char *name = hivex_value_string(w->h, v);
    if (!name || !*name || strlen(name) > 255) {
        free(name);
        return 0;
    }
    int rc = rd_set_state_host(w->set, name, e);
    if (rc < 0) {
        struct err inner = *e;
        err_set(e, "%s: %s", w->path, inner.msg);
    }
    free(name);
    return rc;
}

int rd_read_hive(struct rd_set *set, const char *path, struct err *e)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 8192) {
        err_set(e,
                "%s: not a readable registry hive: too short (%lld bytes; a header and one "
                "page of keys take 8192)",
                path, (long long)st.st_size);
        return -1;
    }
    if (st.st_size > HIVE_MAX_SIZE) {
        err_set(e, "%s: registry hive larger than %lld bytes", path, (long long)HIVE_MAX_SIZE);
        return -1;
    }
    errno = 0;
    hive_h *h = hivex_open(path, 0);
    if (!h) {
        /* libhivex says why only in its debug output; its errno tells the
         * two cases apart (lib/handle.c: EINVAL is the header checksum once
         * the size is known to be enough, ENOTSUP the structure). */
        int code = errno;
        err_set(e, "%s: not a readable registry hive: %s", path,
                code == EINVAL    ? "its base block's checksum is wrong (damaged or not a hive)"
                : code == ENOTSUP ? "damaged: libhivex found no valid hive bins or root key"
                                  : strerror(code ? code : EIO));
        return -1;
    }
    struct walk w = {h, set, path, STRBUF_INIT};
    hive_node_h root = hivex_root(h);
    const struct hive_key *keys;
    size_t nkeys;
    hive_node_h base;
    int rc = 0;
    sb_adds(&w.key, "");
    if (root && hivex_node_get_child(h, root, "Select")) {
        long cur = select_value(h, root, "Current");
        char cs[32];
        snprintf(cs, sizeof(cs), "ControlSet%03ld", cur);
        base = cur > 0 ? hivex_node_get_child(h, root, cs) : 0;
        if (!base) {
            err_set(e,
                    "%s: damaged SYSTEM hive: Select\\Current does not name a control set "
                    "that exists (%s)",
                    path, cur > 0 ? cs : "no valid DWORD Current");
            rc = -1;
        }
        keys = system_keys;
        nkeys = ARRAY_SIZE(system_keys);
        if (!rc)
            rc = read_host(&w, base, e);
    } else if (root && hivex_node_get_child(h, root, "Microsoft")) {
        base = root;
        keys = software_keys;
        nkeys = ARRAY_SIZE(software_keys);
    } else {
        err_set(e,
                "%s: a registry hive, but neither SYSTEM (no Select key) nor SOFTWARE (no "
                "Microsoft key): smsslab reads those two",
                path);
        rc = -1;
        keys = NULL;
        nkeys = 0;
        base = 0;
    }
    int is_system = keys == system_keys;
    for (size_t i = 0; i < nkeys && rc == 0; i++) {
        errno = 0;
        hive_node_h n = child_path(h, base, keys[i].path);
        if (!n) {
            if (errno && errno != ENOENT) {
                sb_reset(&w.key);
                sb_adds(&w.key, keys[i].path);
                rc = hive_fail(&w, "a key", e);
            }
            continue; /* not there: nothing to read (WDigest, SafeBoot may be absent) */
        }
        sb_reset(&w.key);
        sb_addf(&w.key, "HKLM\\%s\\%s", is_system ? "SYSTEM\\CurrentControlSet" : "SOFTWARE",
                keys[i].path);
        rc = read_key(&w, n, keys[i].depth, e);
    }
    sb_release(&w.key);
    hivex_close(h);
    return rc;
}

int rd_hive_kind(const char *path)
{
    hive_h *h = hivex_open(path, 0);
    if (!h)
        return 3;
    hive_node_h root = hivex_root(h);
    int k = root && hivex_node_get_child(h, root, "Select")      ? 1
            : root && hivex_node_get_child(h, root, "Microsoft") ? 2
                                                                 : 3;
    hivex_close(h);
    return k;
}
