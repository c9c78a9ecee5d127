/*
 * rules_registry: the Session Manager key smss reads at boot and the
 * Winlogon values userinit follows, compared with what Windows ships
 * (kb/kb_reg.c holds the defaults, per Windows version, for the simulator
 * and the checker alike). Keys are matched
 * by their tail so ControlSet001 and CurrentControlSet both count.
 */
#include "chk_int.h"

#include "../core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kb/kb.h"

void chk_rule_sm_bootexecute(struct chk_ctx *c);
void chk_rule_sm_execute(struct chk_ctx *c);
void chk_rule_sm_appcert(struct chk_ctx *c);
void chk_rule_sm_knowndlls(struct chk_ctx *c);
void chk_rule_sm_pending(struct chk_ctx *c);
void chk_rule_sm_subsys_extra(struct chk_ctx *c);
void chk_rule_sm_subsys_required(struct chk_ctx *c);
void chk_rule_sm_subsys_windows(struct chk_ctx *c);
void chk_rule_sm_subsys_kmode(struct chk_ctx *c);
void chk_rule_winlogon_shell(struct chk_ctx *c);
void chk_rule_winlogon_userinit(struct chk_ctx *c);
void chk_rule_ifeo_debugger(struct chk_ctx *c);
void chk_rule_silent_exit(struct chk_ctx *c);
void chk_rule_lsa_packages(struct chk_ctx *c);
void chk_rule_lsa_protection_off(struct chk_ctx *c);
void chk_rule_wdigest(struct chk_ctx *c);
void chk_rule_appinit(struct chk_ctx *c);
void chk_rule_safe_dll_search(struct chk_ctx *c);
void chk_rule_sm_env_path(struct chk_ctx *c);
void chk_rule_winlogon_notify(struct chk_ctx *c);
void chk_rule_safeboot_shell(struct chk_ctx *c);
void chk_rule_printer_port(struct chk_ctx *c);
void chk_rule_netsh_helper(struct chk_ctx *c);

#define SM_TAIL "\\Control\\Session Manager"
#define WL_TAIL "\\Windows NT\\CurrentVersion\\Winlogon"
#define IFEO_TAIL CHK_IFEO_TAIL
#define LSA_TAIL "\\Control\\Lsa"
#define WDIGEST_TAIL "\\Control\\SecurityProviders\\WDigest"
#define WINDOWS_TAIL "\\Windows NT\\CurrentVersion\\Windows"
#define SAFEBOOT_TAIL "\\Control\\SafeBoot"
#define PORTS_KEY "\\Windows NT\\CurrentVersion\\Ports"
#define PORTS_TAIL PORTS_KEY "\\"

/* The keys the rules below read, each by its tail so ControlSet001 and
 * CurrentControlSet both count. No tail is the end of another, so a key is
 * in at most one family; chk_reg_family names it once per value and
 * snapshot (a rule pass used to compare every value's key with every
 * rule's tail: a tenth of check's time). */
#define FAMILY(t, s)                       \
    {                                      \
        t, s, sizeof(t) - 1, sizeof(s) - 1 \
    }
static const struct {
    const char *tail, *sub;
    size_t tl, sl;
} families[CHK_RF_COUNT] = {
    [CHK_RF_SM] = FAMILY(SM_TAIL, ""),
    [CHK_RF_SM_APPCERT] = FAMILY(SM_TAIL, "\\AppCertDlls"),
    [CHK_RF_SM_KNOWNDLLS] = FAMILY(SM_TAIL, "\\KnownDLLs"),
    [CHK_RF_SM_SUBSYS] = FAMILY(SM_TAIL, "\\SubSystems"),
    [CHK_RF_SM_ENV] = FAMILY(SM_TAIL, "\\Environment"),
    [CHK_RF_WINLOGON] = FAMILY(WL_TAIL, ""),
    [CHK_RF_LSA] = FAMILY(LSA_TAIL, ""),
    [CHK_RF_WDIGEST] = FAMILY(WDIGEST_TAIL, ""),
    [CHK_RF_WINDOWS] = FAMILY(WINDOWS_TAIL, ""),
    [CHK_RF_SAFEBOOT] = FAMILY(SAFEBOOT_TAIL, ""),
    [CHK_RF_NETSH] = FAMILY("\\Microsoft\\NetSh", ""),
};

uint8_t chk_reg_family(const char *key)
{
    if (!key)
        return CHK_RF_NONE;
    size_t kl = strlen(key);
    for (uint8_t f = CHK_RF_NONE + 1; f < CHK_RF_COUNT; f++) {
        size_t sl = families[f].sl, tl = families[f].tl;
        if (kl >= sl + tl && !ascii_ncasecmp(key + kl - sl, families[f].sub, sl) &&
            !ascii_ncasecmp(key + kl - sl - tl, families[f].tail, tl))
            return f;
    }
    return CHK_RF_NONE;
}

uint32_t chk_reg_key_class(const char *key)
{
    if (!key)
        return CHK_RF_NONE;
    /* The same keys come back in every snapshot: each is classified once
     * (its family, and whether it names an IFEO or SilentProcessExit
     * program or lies under Ports), kept in a bounded memo. */
    static struct strmemo memo;
    int32_t *v;
    if (strmemo_find(&memo, key, &v))
        return (uint32_t)*v;
    uint32_t k = chk_reg_family(key);
    if (chk_key_program(key, CHK_IFEO_TAIL))
        k |= CHK_KEY_IFEO;
    if (chk_key_program(key, CHK_SPE_TAIL))
        k |= CHK_KEY_SPE;
    if (chk_ci_find(key, PORTS_KEY))
        k |= CHK_KEY_PORTS;
    *v = (int32_t)k;
    return k;
}

/* Is r, a value of the checked snapshot, in key family f? */
static int key_is(const struct chk_ctx *c, const struct snap_reg *r, uint8_t f)
{
    return c->reg_fam[r - c->s->regs] == f;
}

static int val_is(const struct chk_ctx *c, const struct snap_reg *r, uint8_t f, const char *name)
{
    return key_is(c, r, f) && r->name && !ascii_casecmp(r->name, name);
}

/* Trimmed, single-spaced, lower-case copy for comparing command strings. */
static void squash(const char *in, char *out, size_t n)
{
    size_t o = 0;
    int space = 0;
    for (; in && *in && o + 2 < n; in++) {
        if (*in == ' ' || *in == '\t') {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = 0;
        out[o++] = ascii_lower(*in);
    }
    out[o] = 0;
}

/* Append "'x'" to a list being built for a message. */
static void list_add(char *buf, size_t n, const char *x)
{
    size_t len = strlen(buf);
    if (len + 8 >= n)
        return;
    snprintf(buf + len, n - len, "%s'%s'", len ? ", " : "", x);
}

static const char *reg_str(const struct snap_reg *r)
{
    return r->type != SNAP_REG_DWORD && r->ndata && r->data[0] ? r->data[0] : "";
}

/* Native boot programs vendors install (Citrix Provisioning, Sophos,
 * Omnissa, icarus), which Elastic's Unusual Parent-Child Relationship
 * allows as smss's children: entry is squashed (lower case). */
static int vendor_boot_program(const char *entry)
{
    char prog[64];
    size_t n = strcspn(entry, " ");
    if (n >= sizeof(prog))
        return 0;
    memcpy(prog, entry, n);
    prog[n] = 0;
    if (n > 4 && !strcmp(prog + n - 4, ".exe"))
        prog[n - 4] = 0;
    return chk_in_list("pvsvmboot|sophosna|omnissa-ic-nga|icarus_rvrt", prog);
}

void chk_rule_sm_bootexecute(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (!val_is(c, r, CHK_RF_SM, "BootExecute") || r->type == SNAP_REG_DWORD)
            continue;
        char extra[400] = "", sq[512];
        for (uint32_t k = 0; k < r->ndata; k++) {
            squash(r->data[k], sq, sizeof(sq));
            if (*sq && strcmp(sq, "autocheck autochk *") && !vendor_boot_program(sq))
                list_add(extra, sizeof(extra), r->data[k]);
        }
        if (*extra)
            chk_report_reg(c, r, "BootExecute also runs %s", extra);
    }
}

/* A SetupExecute entry servicing writes: poqexec.exe from System32. */
static int is_poqexec(const char *cmd)
{
    char norm[512];
    char first[512];
    size_t n = 0;
    while (*cmd == ' ')
        cmd++;
    while (cmd[n] && cmd[n] != ' ' && n + 1 < sizeof(first)) {
        first[n] = cmd[n];
        n++;
    }
    first[n] = 0;
    if (chk_path_norm(first, norm, sizeof(norm)) < 0)
        return 0;
    return !strcmp(norm, "poqexec.exe") || !strcmp(norm, "\\windows\\system32\\poqexec.exe");
}

void chk_rule_sm_execute(struct chk_ctx *c)
{
    static const char *const names[] = {"SetupExecute", "Execute", "PlatformExecute",
                                        "S0InitialCommand"};
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        for (size_t n = 0; n < ARRAY_SIZE(names); n++) {
            if (!val_is(c, r, CHK_RF_SM, names[n]) || r->type == SNAP_REG_DWORD)
                continue;
            char set[400] = "";
            for (uint32_t k = 0; k < r->ndata; k++) {
                if (chk_str_blank(r->data[k]))
                    continue;
                if (n == 0 && is_poqexec(r->data[k]))
                    continue; /* Windows servicing */
                list_add(set, sizeof(set), r->data[k]);
            }
            if (*set)
                chk_report_reg(c, r, "%s runs %s at boot", names[n], set);
        }
    }
}

void chk_rule_sm_appcert(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (key_is(c, r, CHK_RF_SM_APPCERT) && !chk_str_blank(reg_str(r)))
            chk_report_reg(c, r,
                           "AppCertDlls value '%s' loads '%s' into every process that "
                           "creates processes",
                           r->name, reg_str(r));
    }
}

/* The shipped registry per Windows family, built once from kb/kb_reg.c,
 * with its values chained by key family and the first letter of their
 * name (lower case): default_match walks only the chain that can match (a
 * walk over every shipped value per KnownDLLs value was 2% of check). */
enum { NO_NEXT = UINT16_MAX };
_Static_assert(SNAP_MAX_REGS < NO_NEXT, "a shipped value's index fits a chain link");
struct shipped {
    struct snap d;
    uint16_t head[CHK_RF_COUNT][256]; /* first value of a (family, letter), NO_NEXT */
    uint16_t *next;                   /* the next value of the same chain */
};

static const struct shipped *defaults(int win7)
{
    static struct shipped sh[2];
    struct shipped *h = &sh[win7];
    if (!h->next) {
        snap_init(&h->d);
        kb_default_registry(win7 ? "win7" : "win10", NULL, &h->d);
        memset(h->head, 0xff, sizeof(h->head));
        h->next = xmalloc((h->d.nregs + 1) * sizeof(*h->next));
        /* Built from the last value back, so each chain runs in table
         * order. The table is a few dozen values (kb_reg.c). */
        for (size_t i = h->d.nregs; i-- > 0;) {
            uint8_t fam = chk_reg_family(h->d.regs[i].key);
            const char *n = h->d.regs[i].name;
            unsigned char f = (unsigned char)ascii_lower(n ? *n : 0);
            h->next[i] = h->head[fam][f];
            h->head[fam][f] = (uint16_t)i;
        }
    }
    return h;
}

/* Which default lists apply: 1 = win7, 0 = later, -1 = unknown (either). */
static int os_family(const struct snap *s)
{
    const struct kb_os *os = kb_os_find(s->os);
    return os ? os->win7 : -1;
}

/* Is r's (name, data) in the default registry of that family? 1 same, 0
 * changed, -1 absent there. */
static int default_match(int win7, const struct snap_reg *r, uint8_t family)
{
    const struct shipped *h = defaults(win7);
    unsigned char f = (unsigned char)ascii_lower(*r->name);
    for (uint16_t i = h->head[family][f]; i != NO_NEXT; i = h->next[i]) {
        const struct snap_reg *x = &h->d.regs[i];
        if (!ascii_casecmp(x->name, r->name))
            return !ascii_casecmp(reg_str(x), reg_str(r));
    }
    return -1;
}

void chk_rule_sm_knowndlls(struct chk_ctx *c)
{
    int fam = os_family(c->s);
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (!key_is(c, r, CHK_RF_SM_KNOWNDLLS) || !r->name)
            continue;
        int m = default_match(fam >= 0 ? fam : 0, r, CHK_RF_SM_KNOWNDLLS);
        if (fam < 0 && m != 1 && default_match(1, r, CHK_RF_SM_KNOWNDLLS) == 1)
            m = 1;
        if (m == 1)
            continue;
        if (m == 0)
            chk_report_reg(c, r, "KnownDLLs '%s' points to '%s', not the shipped DLL", r->name,
                           reg_str(r));
        else
            chk_report_reg(c, r, "KnownDLLs has an extra entry '%s' = '%s'", r->name, reg_str(r));
    }
}

/* A REG_MULTI_SZ of paths that an event wrote as one string, entries
 * joined by a space (Sysmon 13's Details): split before each "\\??\\"
 * or "!\\??\\" path; a doubled space is an empty entry (a delete).
 * Returns 1 with the entries in out, 0 when it is not such a string. */
static int multi_sz_joined(const char *v, char *buf, size_t nbuf, const char **out, size_t max,
                           uint32_t *n)
{
    size_t len = strlen(v);
    if (len + 1 > nbuf || (strncmp(v, "\\??\\", 4) && strncmp(v, "!\\??\\", 5)))
        return 0;
    memcpy(buf, v, len + 1);
    size_t k = 0;
    char *p = buf;
    out[k++] = p;
    for (char *q = buf + 1; *q && k + 2 < max; q++) {
        if (q[-1] != ' ' || (strncmp(q, "\\??\\", 4) && strncmp(q, "!\\??\\", 5)))
            continue;
        char *sp = q - 1;
        int empty = sp > buf && sp[-1] == ' ';
        while (sp > p && sp[-1] == ' ')
            sp--;
        *sp = 0;
        if (empty)
            out[k++] = "";
        out[k++] = q;
        p = q;
    }
    *n = (uint32_t)k;
    return k > 1;
}

void chk_rule_sm_pending(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        /* REG_MULTI_SZ; from an event, one string (multi_sz_joined). */
        if (r->type == SNAP_REG_DWORD || !key_is(c, r, CHK_RF_SM) || !r->name ||
            ascii_ncasecmp(r->name, "PendingFileRenameOperations", 27))
            continue;
        /* Pairs of (source, target); an empty target deletes the source. */
        const char *split[64];
        uint32_t n = r->ndata;
        const char *const *ent = r->data;
        char buf[4096];
        if (n == 1 && multi_sz_joined(r->data[0], buf, sizeof(buf), split, ARRAY_SIZE(split), &n))
            ent = split;
        for (uint32_t k = 0; k + 1 < n; k += 2) {
            const char *dst = ent[k + 1];
            if (chk_str_blank(dst))
                continue;
            if (*dst == '!')
                dst++; /* "replace if it exists" */
            char norm[1024];
            if (chk_path_norm(dst, norm, sizeof(norm)) < 0)
                continue;
            if (!strncmp(norm, "\\windows\\system32\\", 18) ||
                !strncmp(norm, "\\windows\\syswow64\\", 18)) {
                chk_report_reg(c, r, "at the next boot smss renames '%s' over '%s'", ent[k],
                               ent[k + 1]);
                break;
            }
        }
    }
}

void chk_rule_sm_subsys_extra(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (!key_is(c, r, CHK_RF_SM_SUBSYS) || !r->name || !*r->name)
            continue;
        if (!chk_in_list("Debug|Kmode|Optional|Required|Windows|Os2|Posix", r->name))
            chk_report_reg(c, r, "SubSystems has an extra value '%s' = '%s'", r->name, reg_str(r));
    }
}

void chk_rule_sm_subsys_required(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (!val_is(c, r, CHK_RF_SM_SUBSYS, "Required") || r->type == SNAP_REG_DWORD)
            continue;
        char extra[400] = "";
        int windows = 0;
        /* Subsystem names have no spaces: an event or an export that wrote
         * the REG_MULTI_SZ as one string ("Debug Windows") splits back. */
        for (uint32_t k = 0; k < r->ndata; k++) {
            char sq[256];
            squash(r->data[k], sq, sizeof(sq));
            for (char *w = sq; *w;) {
                size_t n = strcspn(w, " ");
                char word[256];
                snprintf(word, sizeof(word), "%.*s", (int)n, w);
                w += n + (w[n] == ' ');
                if (!*word || !strcmp(word, "debug"))
                    continue;
                if (!strcmp(word, "windows"))
                    windows = 1;
                else
                    list_add(extra, sizeof(extra), word);
            }
        }
        if (*extra)
            chk_report_reg(c, r, "Required also starts %s", extra);
        else if (!windows)
            chk_report_reg(c, r, "Required no longer lists Windows");
    }
}

/* The shipped SubSystems Windows value (csrss's command line) of a family. */
static const char *default_csrss(int win7)
{
    static const char *v[2];
    if (!v[win7]) {
        const struct snap_reg *x =
            snap_reg_find(&defaults(win7)->d, KEY_SM "\\SubSystems", "Windows");
        v[win7] = x ? reg_str(x) : "";
    }
    return v[win7];
}

/* Compare two csrss command lines token by token, any SharedSection allowed. */
static int csrss_line_same(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        size_t na = strcspn(a, " "), nb = strcspn(b, " ");
        int first = 0;
        if (!ascii_ncasecmp(a, "SharedSection=", 14) && !ascii_ncasecmp(b, "SharedSection=", 14)) {
            /* Tuned desktop heap sizes are normal: digits and commas only. */
            for (size_t k = 14; k < na; k++)
                if (!((a[k] >= '0' && a[k] <= '9') || a[k] == ','))
                    return 0;
        } else if (strchr(a, '\\') && (size_t)(strchr(a, '\\') - a) < na && !first) {
            char x[512], y[512], ta[512], tb[512];
            snprintf(ta, sizeof(ta), "%.*s", (int)na, a);
            snprintf(tb, sizeof(tb), "%.*s", (int)nb, b);
            if (chk_path_norm(ta, x, sizeof(x)) < 0 || chk_path_norm(tb, y, sizeof(y)) < 0 ||
                strcmp(x, y))
                return 0;
        } else if (na != nb || ascii_ncasecmp(a, b, na)) {
            return 0;
        }
        a += na;
        b += nb;
    }
}

void chk_rule_sm_subsys_windows(struct chk_ctx *c)
{
    int fam = os_family(c->s);
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (!val_is(c, r, CHK_RF_SM_SUBSYS, "Windows"))
            continue;
        int ok = 0;
        for (int f = 0; f < 2 && !ok; f++) {
            if (fam >= 0 && f != fam)
                continue;
            ok = csrss_line_same(reg_str(r), default_csrss(f));
        }
        if (!ok)
            chk_report_reg(c, r, "the csrss command line is '%s'", reg_str(r));
    }
}

void chk_rule_sm_subsys_kmode(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (!val_is(c, r, CHK_RF_SM_SUBSYS, "Kmode"))
            continue;
        char norm[1024];
        if (chk_path_norm(reg_str(r), norm, sizeof(norm)) < 0 ||
            strcmp(norm, "\\windows\\system32\\win32k.sys"))
            chk_report_reg(c, r, "Kmode is '%s'", reg_str(r));
    }
}

/* Does a comma-separated program list hold exactly `want` (by path)? */
static int only_program(const char *v, const char *bare, const char *full)
{
    int count = 0, ok = 1;
    const char *p = v;
    while (*p) {
        size_t n = strcspn(p, ",");
        char tok[512], norm[1024];
        snprintf(tok, sizeof(tok), "%.*s", (int)n, p);
        /* trailing blanks are not part of the name */
        size_t t = strlen(tok);
        while (t && (tok[t - 1] == ' ' || tok[t - 1] == '\t'))
            tok[--t] = 0;
        if (!chk_str_blank(tok)) {
            count++;
            if (chk_path_norm(tok, norm, sizeof(norm)) < 0 ||
                (strcmp(norm, bare) && strcmp(norm, full)))
                ok = 0;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return ok && count == 1;
}

void chk_rule_winlogon_shell(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (val_is(c, r, CHK_RF_WINLOGON, "Shell") &&
            !only_program(reg_str(r), "explorer.exe", "\\windows\\explorer.exe"))
            chk_report_reg(c, r, "Shell is '%s'", reg_str(r));
    }
}

void chk_rule_winlogon_userinit(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        if (val_is(c, r, CHK_RF_WINLOGON, "Userinit") &&
            !only_program(reg_str(r), "userinit.exe", "\\windows\\system32\\userinit.exe"))
            chk_report_reg(c, r, "Userinit is '%s'", reg_str(r));
    }
}

const char *chk_key_program(const char *key, const char *tail)
{
    /* "<anything><tail>\\<program>": the program is the last part. */
    const char *s = key ? strrchr(key, '\\') : NULL;
    size_t tl = strlen(tail);
    if (!s || !s[1] || (size_t)(s - key) < tl || ascii_ncasecmp(s - tl, tail, tl))
        return NULL;
    return s + 1;
}

void chk_rule_ifeo_debugger(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        const char *prog = c->reg_ifeo[i];
        if (!prog || !r->name || ascii_casecmp(r->name, "Debugger") || chk_str_blank(reg_str(r)))
            continue;
        if (chk_in_list(CHK_ACCESSIBILITY, prog))
            chk_report_reg(c, r,
                           "%s starts '%s' instead: at the logon screen that is a SYSTEM shell "
                           "for anyone (the sticky-keys backdoor)",
                           prog, reg_str(r));
        else
            chk_report_reg(c, r, "every start of %s runs '%s' first", prog, reg_str(r));
    }
}

/* GlobalFlag FLG_MONITOR_SILENT_PROCESS_EXIT (0x200) under IFEO\<program>
 * makes Windows run SilentProcessExit\<program>'s MonitorProcess whenever
 * the program exits (Microsoft, "Monitoring Silent Process Exit"). */
#define FLG_MONITOR_SILENT_PROCESS_EXIT 0x200u

int chk_reg_u32(const struct snap_reg *r, uint32_t *out)
{
    if (r->type == SNAP_REG_DWORD) {
        *out = r->dword;
        return 0;
    }
    const char *v = reg_str(r);
    char *end;
    unsigned long long x = strtoull(v, &end, 0);
    if (!*v || *end || x > UINT32_MAX)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

void chk_rule_silent_exit(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted)
            continue; /* a deletion event: the value is gone */
        const char *prog = c->reg_spe[i];
        if (prog && r->name && !ascii_casecmp(r->name, "MonitorProcess") &&
            !chk_str_blank(reg_str(r))) {
            chk_report_reg(c, r, "when %s exits, Windows runs '%s'", prog, reg_str(r));
            continue;
        }
        prog = c->reg_ifeo[i];
        uint32_t flags;
        if (prog && r->name && !ascii_casecmp(r->name, "GlobalFlag") && !chk_reg_u32(r, &flags) &&
            (flags & FLG_MONITOR_SILENT_PROCESS_EXIT))
            chk_report_reg(c, r,
                           "GlobalFlag 0x%x of %s turns on silent-process-exit monitoring: "
                           "its MonitorProcess runs whenever %s exits",
                           flags, prog, prog);
    }
}

/* ---- LSA, WDigest, AppInit, DLL search, Winlogon notify, SafeBoot --------- */

/* The entries of a REG_MULTI_SZ, or of one string an event wrote with the
 * entries joined by spaces (Sysmon's Details): each entry through fn. */
static void each_entry(const struct snap_reg *r, void (*fn)(void *ctx, const char *e, size_t n),
                       void *ctx)
{
    for (uint32_t k = 0; k < r->ndata; k++) {
        const char *v = r->data[k] ? r->data[k] : "";
        for (const char *p = v; *p;) {
            while (*p == ' ' || *p == '"')
                p++;
            size_t n = strcspn(p, " \"");
            if (n)
                fn(ctx, p, n);
            p += n;
        }
    }
}

struct extra_ctx {
    const char *allowed;
    char list[400];
};

static void note_extra(void *ctx, const char *e, size_t n)
{
    struct extra_ctx *x = ctx;
    char name[128];
    snprintf(name, sizeof(name), "%.*s", (int)n, e);
    size_t l = strlen(name);
    if (l > 4 && !ascii_casecmp(name + l - 4, ".dll"))
        name[l - 4] = 0; /* entries are DLL names without ".dll", but some write it */
    if (!chk_in_list(x->allowed, name))
        list_add(x->list, sizeof(x->list), name);
}

/* Windows's own packages (Microsoft Learn: Security Support Providers,
 * Authentication Packages, Password Filters): msv1_0 authenticates;
 * kerberos, msv1_0, schannel, wdigest, tspkg (CredSSP), pku2u, cloudap,
 * negoexts, livessp are security packages; scecli and rassfm are the
 * notification packages Windows and RRAS install. "" is Windows 10's empty
 * Security Packages entry. */
static const struct {
    const char *name, *allowed, *what;
} lsa_lists[] = {
    {"Authentication Packages", "msv1_0", "an authentication package"},
    {"Security Packages", "kerberos|msv1_0|schannel|wdigest|tspkg|pku2u|cloudap|negoexts|livessp",
     "a security support provider"},
    {"Notification Packages", "scecli|rassfm", "a password filter"},
};

void chk_rule_lsa_packages(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted || r->type == SNAP_REG_DWORD || !key_is(c, r, CHK_RF_LSA) || !r->name)
            continue;
        for (size_t k = 0; k < ARRAY_SIZE(lsa_lists); k++) {
            if (ascii_casecmp(r->name, lsa_lists[k].name))
                continue;
            struct extra_ctx x = {lsa_lists[k].allowed, ""};
            each_entry(r, note_extra, &x);
            if (*x.list)
                chk_report_reg(c, r,
                               "%s lists %s not shipped with Windows: %s (lsass loads it "
                               "at every boot)",
                               r->name, lsa_lists[k].what, x.list);
        }
    }
}

/* A registry fact from a change event (it has a time); a value read as
 * state (a hive, the simulator) does not. */
static int from_event(const struct snap_reg *r)
{
    return r->time != WT_NONE;
}

void chk_rule_lsa_protection_off(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        uint32_t v;
        if (r->deleted || !key_is(c, r, CHK_RF_LSA) || !r->name || chk_reg_u32(r, &v) || v)
            continue;
        /* 0 is what an older install has anyway: only turning it off is news. */
        if (!ascii_casecmp(r->name, "RunAsPPL") && from_event(r))
            chk_report_reg(c, r,
                           "RunAsPPL was set to 0: lsass is no longer a protected process "
                           "at the next boot");
        else if (!ascii_casecmp(r->name, "LsaCfgFlags") && from_event(r))
            chk_report_reg(c, r,
                           "LsaCfgFlags was set to 0: Credential Guard (LsaIso.exe) is "
                           "off at the next boot");
    }
}

void chk_rule_wdigest(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        uint32_t v;
        if (!r->deleted && val_is(c, r, CHK_RF_WDIGEST, "UseLogonCredential") &&
            !chk_reg_u32(r, &v) && v)
            chk_report_reg(c, r,
                           "UseLogonCredential is %u: lsass keeps WDigest passwords in clear "
                           "text again",
                           v);
    }
}

void chk_rule_appinit(struct chk_ctx *c)
{
    const struct snap *s = c->s;
    for (size_t i = 0; i < s->nregs; i++) {
        const struct snap_reg *r = &s->regs[i];
        if (r->deleted || !val_is(c, r, CHK_RF_WINDOWS, "AppInit_DLLs") ||
            chk_str_blank(reg_str(r)))
            continue;
        /* Loaded only when LoadAppInit_DLLs is 1 (Windows 7 and later); unknown
         * when the source does not show it. */
        const struct snap_reg *load = NULL;
        for (size_t k = 0; k < s->nregs; k++)
            if (!s->regs[k].deleted && !ascii_casecmp(s->regs[k].key, r->key) &&
                !ascii_casecmp(s->regs[k].name, "LoadAppInit_DLLs"))
                load = &s->regs[k];
        uint32_t on;
        if (load && !chk_reg_u32(load, &on) && !on)
            continue;
        chk_report_reg(c, r,
                       "AppInit_DLLs = '%s'%s: loaded into every process that loads "
                       "user32.dll",
                       reg_str(r), load ? " with LoadAppInit_DLLs on" : "");
    }
}

void chk_rule_safe_dll_search(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        uint32_t v;
        if (!r->deleted && val_is(c, r, CHK_RF_SM, "SafeDllSearchMode") && !chk_reg_u32(r, &v) &&
            !v)
            chk_report_reg(c, r,
                           "SafeDllSearchMode is 0: the current folder is searched for "
                           "DLLs before System32");
    }
}

/* Is this System32 as a Path entry writes it? Lower case, no quotes. */
static int path_is_system32(const char *e)
{
    static const char *const roots[] = {"%systemroot%", "%windir%", "c:\\windows"};
    for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
        size_t n = strlen(roots[i]);
        if (!strncmp(e, roots[i], n) &&
            (!strcmp(e + n, "\\system32") || !strcmp(e + n, "\\system32\\")))
            return 1;
    }
    return 0;
}

/* A folder an unprivileged user can write to, as a Path entry names it
 * (lower case): profiles, temp folders, or a relative entry (the current
 * folder). ProgramData is left out: installers put admin-only folders
 * there (Oracle's javapath is prepended by the Java installer). */
static int path_user_writable(const char *e)
{
    static const char *const starts[] = {"%userprofile%", "%appdata%", "%localappdata%", "%temp%",
                                         "%tmp%",         "%public%",  "%homepath%"};
    static const char *const parts[] = {"\\users\\", "\\appdata\\", "\\temp\\", "\\windows\\tasks",
                                        "\\tmp\\"};
    size_t n = strlen(e);
    for (size_t i = 0; i < ARRAY_SIZE(starts); i++)
        if (!strncmp(e, starts[i], strlen(starts[i])))
            return 1;
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
        if (strstr(e, parts[i]))
            return 1;
    if (n >= 5 && (!strcmp(e + n - 5, "\\temp") || !strcmp(e + n - 4, "\\tmp")))
        return 1;
    /* Relative: no drive, no UNC, no variable. */
    return !(n >= 2 && e[1] == ':') && e[0] != '\\' && e[0] != '%';
}

void chk_rule_sm_env_path(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted || !val_is(c, r, CHK_RF_SM_ENV, "Path"))
            continue;
        const char *v = reg_str(r);
        for (unsigned k = 1; *v; k++) {
            size_t len = strcspn(v, ";");
            const char *s = v, *end = v + len;
            v = *end ? end + 1 : end;
            while (s < end && (*s == ' ' || *s == '"'))
                s++;
            while (end > s && (end[-1] == ' ' || end[-1] == '"'))
                end--;
            if (s == end)
                continue;
            char e[512];
            size_t n = (size_t)(end - s) < sizeof(e) - 1 ? (size_t)(end - s) : sizeof(e) - 1;
            for (size_t j = 0; j < n; j++)
                e[j] = ascii_lower(s[j]);
            e[n] = 0;
            if (path_is_system32(e))
                break;
            if (path_user_writable(e)) {
                chk_report_reg(c, r,
                               "Path entry %u '%.*s' comes before System32 and is a folder users "
                               "can write: a program there named like a system one runs instead",
                               k, (int)(end - s), s);
                break;
            }
        }
    }
}

void chk_rule_winlogon_notify(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted || !r->name || chk_str_blank(reg_str(r)))
            continue;
        if (val_is(c, r, CHK_RF_WINLOGON, "Taskman") || val_is(c, r, CHK_RF_WINLOGON, "AppSetup"))
            chk_report_reg(c, r, "Winlogon %s = '%s' runs at every logon", r->name, reg_str(r));
        else if (!ascii_casecmp(r->name, "DLLName") && r->key) {
            /* Winlogon\Notify\<name>\DLLName: a notification package */
            const char *n = NULL;
            n = chk_ci_find(r->key, WL_TAIL "\\Notify\\");
            if (n)
                chk_report_reg(c, r, "a Winlogon notification package loads '%s'", reg_str(r));
        }
    }
}

void chk_rule_safeboot_shell(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        char norm[512];
        if (r->deleted || !val_is(c, r, CHK_RF_SAFEBOOT, "AlternateShell"))
            continue;
        if (chk_path_norm(reg_str(r), norm, sizeof(norm)) < 0 ||
            (strcmp(norm, "cmd.exe") && strcmp(norm, "\\windows\\system32\\cmd.exe")))
            chk_report_reg(c, r, "Safe Mode with Command Prompt starts '%s' instead of cmd.exe",
                           reg_str(r));
    }
}

/* ---- the print spooler's ports, netsh's helpers -------------------------- */

/* The port a value under ...\Ports names. A port's value name may itself be
 * a path ("C:\\Windows\\System32\\ualapi.dll"): an event's TargetObject then
 * splits at its last backslash, so the port is read from key and name
 * together. Returns the port, or NULL when r is not under Ports. */
static const char *port_name(const struct chk_ctx *c, const struct snap_reg *r, char *buf, size_t n)
{
    /* The key holds the tail but its last backslash (the one between key
     * and name): tested first (once per key, chk_reg_key_class), so other
     * values cost no copy. */
    if (!r->key || !r->name || !(c->reg_class[r - c->s->regs] & CHK_KEY_PORTS))
        return NULL;
    snprintf(buf, n, "%s\\%s", r->key, r->name);
    const char *p = chk_ci_find(buf, PORTS_TAIL);
    return p && p[strlen(PORTS_TAIL)] ? p + strlen(PORTS_TAIL) : NULL;
}

void chk_rule_printer_port(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        char full[1024], norm[1024];
        const char *port = r->deleted ? NULL : port_name(c, r, full, sizeof(full));
        /* Windows's ports are names (LPT1:, COM1:, FILE:, PORTPROMPT:,
         * Ne00:, nul:); a local port that is a file path prints into that
         * file, and a .prn in a user's folder is an ordinary print-to-file. */
        if (!port || !strchr(port, '\\') || chk_path_norm(port, norm, sizeof(norm)) < 0)
            continue;
        size_t l = strlen(norm);
        int program = l > 4 && (!strcmp(norm + l - 4, ".dll") || !strcmp(norm + l - 4, ".exe") ||
                                !strcmp(norm + l - 4, ".sys"));
        if (program || !strncmp(norm, "\\windows\\", 9))
            chk_report_reg(c, r,
                           "printer port '%s' is a file the spooler writes as SYSTEM: a print "
                           "job sent to it drops a program (PrintDemon, CVE-2020-1048)",
                           port);
    }
}

/* The helpers Windows registers under HKLM\\SOFTWARE\\Microsoft\\NetSh, as
 * Trawler (joeavanzato/Trawler, Test-NetSHDLLs) lists them. */
static const char NETSH_DEFAULTS[] =
    "authfwcfg.dll|dhcpcmonitor.dll|dot3cfg.dll|fwcfg.dll|hnetmon.dll|ifmon.dll|napmontr.dll|"
    "netiohlp.dll|netprofm.dll|nettrace.dll|nshhttp.dll|nshipsec.dll|nshwfp.dll|p2pnetsh.dll|"
    "peerdistsh.dll|rasmontr.dll|rpcnsh.dll|WcnNetsh.dll|whhelper.dll|wlancfg.dll|wshelper.dll|"
    "wwancfg.dll";

void chk_rule_netsh_helper(struct chk_ctx *c)
{
    for (size_t i = 0; i < c->s->nregs; i++) {
        const struct snap_reg *r = &c->s->regs[i];
        if (r->deleted || !r->name || !*r->name || !key_is(c, r, CHK_RF_NETSH) ||
            chk_str_blank(reg_str(r)))
            continue;
        const char *v = reg_str(r), *b = strrchr(v, '\\');
        b = b ? b + 1 : v;
        if (!chk_in_list(NETSH_DEFAULTS, b))
            chk_report_reg(c, r,
                           "netsh helper '%s' loads '%s' into every netsh.exe (Windows "
                           "registers only its own helper DLLs here)",
                           r->name, v);
    }
}
