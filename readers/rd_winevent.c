/*
 * rd_winevent: the meaning of Sysmon 1/5/13 and Security 4688/4689 records,
 * shared by the EVTX, event XML and NXLog front ends (they only differ in
 * how a field is looked up). Field names follow the Sysmon manifest and the
 * Security auditing documentation (../shared/real/formats). Also the small
 * parsers of Windows-style numbers and times every reader needs.
 */
#include "rd_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SM "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"
#define KEY_WINLOGON "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"

int rd_parse_num(const char *s, uint64_t max, uint64_t *out)
{
    if (!s)
        return -1;
    while (*s == ' ')
        s++;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!((*s >= '0' && *s <= '9') ||
          (base == 16 && ((*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, base);
    while (*end == ' ')
        end++;
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_dotnet_date(const char *s, int64_t *out)
{
    /* "/Date(1588445386123)/", optionally "/Date(1588445386123+0200)/": the
     * number is milliseconds since the epoch in UTC; the offset only says
     * which zone the writer was in. */
    const char *p = s + 6;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    int64_t ms = 0;
    int n = 0;
    for (; *p >= '0' && *p <= '9' && n < 16; p++, n++)
        ms = ms * 10 + (*p - '0');
    if (!n)
        return -1;
    if (*p == '+' || *p == '-') {
        p++;
        for (int i = 0; i < 4; i++, p++)
            if (*p < '0' || *p > '9')
                return -1;
    }
    if (strcmp(p, ")/") != 0 || neg)
        return -1;
    if (ms > WT_MAX / WT_MSEC)
        return -1;
    *out = ms * WT_MSEC;
    return 0;
}

int rd_parse_time(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    if (!strncmp(s, "/Date(", 6))
        return parse_dotnet_date(s, out);
    if (!strncmp(s, "\\/Date(", 7))
        return parse_dotnet_date(s + 1, out);
    char buf[64];
    size_t n = strlen(s);
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n + 1);
    if (n > 4 && !strcmp(buf + n - 4, " UTC")) { /* Volatility's CSV and text renderers */
        n -= 4;
        buf[n] = '\0';
    }
    int64_t off = 0;
    /* A numeric offset (PowerShell 7, Volatility JSON "+00:00"): ±hh:mm. */
    if (n > 19 + 6 && (buf[n - 6] == '+' || buf[n - 6] == '-') && buf[n - 3] == ':') {
        uint64_t hh, mm;
        char h[3] = {buf[n - 5], buf[n - 4], 0}, m[3] = {buf[n - 2], buf[n - 1], 0};
        if (parse_u64(h, 23, &hh) || parse_u64(m, 59, &mm))
            return -1;
        off = (int64_t)(hh * 60 + mm) * WT_MIN;
        if (buf[n - 6] == '-')
            off = -off;
        n -= 6;
        buf[n] = '\0';
    }
    int64_t t;
    if (wt_parse_iso(buf, &t))
        return -1;
    t -= off;
    if (t < 0 || t > WT_MAX)
        return -1;
    *out = t;
    return 0;
}

const char *rd_integrity_from_sid(const char *sid)
{
    static const struct {
        const char *sid, *name;
    } levels[] = {
        {"S-1-16-0", "Untrusted"},     {"S-1-16-4096", "Low"},   {"S-1-16-8192", "Medium"},
        {"S-1-16-8448", "Medium"},     {"S-1-16-12288", "High"}, {"S-1-16-16384", "System"},
        {"S-1-16-20480", "Protected"},
    };
    if (!sid)
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
        if (!ascii_casecmp(sid, levels[i].sid))
            return levels[i].name;
    return NULL;
}

int rd_winevent_wanted(uint32_t id)
{
    return id == 1 || id == 5 || id == 13 || id == 4688 || id == 4689;
}

/* A value, or NULL when the field is absent, empty or one of the
 * placeholders Sysmon and Security write for "unknown". */
static const char *val(const struct rd_rec *r, const char *name)
{
    const char *v = r->get(r, name);
    if (!v || !*v || !strcmp(v, "-") || !strcmp(v, "?"))
        return NULL;
    return v;
}

static int is_sysmon(const struct rd_rec *r)
{
    if (r->provider && strstr(r->provider, "Sysmon"))
        return 1;
    return r->channel && strstr(r->channel, "Sysmon") != NULL;
}

static int is_security(const struct rd_rec *r)
{
    if (r->provider && strstr(r->provider, "Security-Auditing"))
        return 1;
    return r->channel && !ascii_casecmp(r->channel, "Security");
}

static const char *base(const char *p)
{
    const char *b = p;
    for (; p && *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

static int64_t rec_time(const struct rd_rec *r, const char *utc)
{
    int64_t t;
    if (utc && !rd_parse_time(utc, &t))
        return t;
    return r->time_created;
}

static int sysmon_create(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_CREATE, RD_SRC_SYSMON);
    uint64_t v;
    if (rd_parse_num(val(r, "ProcessId"), UINT32_MAX, &v))
        return 0; /* a create without a pid names nothing we can place */
    ev.pid = (uint32_t)v;
    if (!rd_parse_num(val(r, "ParentProcessId"), UINT32_MAX, &v)) {
        ev.ppid = (uint32_t)v;
        ev.has_ppid = 1;
    }
    ev.t = rec_time(r, val(r, "UtcTime"));
    ev.host = r->computer;
    ev.image = val(r, "Image");
    ev.cmd = val(r, "CommandLine");
    ev.cwd = val(r, "CurrentDirectory");
    ev.user = val(r, "User");
    ev.integ = val(r, "IntegrityLevel");
    ev.guid = val(r, "ProcessGuid");
    ev.pguid = val(r, "ParentProcessGuid");
    ev.pimage = val(r, "ParentImage");
    if (!rd_parse_num(val(r, "LogonId"), UINT64_MAX, &v))
        ev.logon_id = v;
    if (!rd_parse_num(val(r, "TerminalSessionId"), INT32_MAX, &v))
        ev.session = (int32_t)v;
    ev.fields = SNAP_F_IMAGE | SNAP_F_CMDLINE | SNAP_F_USER | SNAP_F_SESSION | SNAP_F_INTEGRITY;
    ev.is_boot =
        ev.image && !ascii_casecmp(base(ev.image), "smss.exe") && ev.has_ppid && ev.ppid == 4;
    return rd_set_add(set, &ev, e);
}

static int sysmon_exit(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_EXIT, RD_SRC_SYSMON);
    uint64_t v;
    if (rd_parse_num(val(r, "ProcessId"), UINT32_MAX, &v))
        return 0;
    ev.pid = (uint32_t)v;
    ev.t = rec_time(r, val(r, "UtcTime"));
    ev.host = r->computer;
    ev.guid = val(r, "ProcessGuid");
    ev.image = val(r, "Image");
    return rd_set_add(set, &ev, e);
}

/* Sysmon 13 writes the value's path as TargetObject. We keep only the keys
 * the checker knows (Session Manager, Winlogon), under their canonical
 * names so lookups match the simulator's. */
static int sysmon_reg(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    const char *target = val(r, "TargetObject");
    if (!target || ascii_ncasecmp(target, "HKLM\\", 5))
        return 0;
    static const struct {
        const char *tail, *canon;
    } keys[] = {
        {"\\Control\\Session Manager", KEY_SM},
        {"\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon", KEY_WINLOGON},
    };
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        size_t tl = strlen(keys[i].tail);
        const char *hit = NULL;
        for (const char *p = target; *p; p++)
            if (!ascii_ncasecmp(p, keys[i].tail, tl) && (p[tl] == '\\')) {
                hit = p;
                break;
            }
        if (!hit)
            continue;
        const char *rest = hit + tl;            /* "\SubSystems\Windows" */
        const char *last = strrchr(rest, '\\'); /* the value name follows */
        char key[1024];
        int kn = snprintf(key, sizeof(key), "%s%.*s", keys[i].canon, (int)(last - rest), rest);
        if (kn < 0 || (size_t)kn >= sizeof(key))
            return 0;
        struct rd_ev ev;
        rd_ev_init(&ev, RD_EV_REG, RD_SRC_SYSMON);
        ev.t = rec_time(r, val(r, "UtcTime"));
        ev.host = r->computer;
        ev.reg_key = key;
        ev.reg_name = last + 1;
        const char *d = r->get(r, "Details");
        ev.reg_val = d ? d : "";
        ev.reg_type = SNAP_REG_SZ;
        uint64_t dw;
        if (d && !strncmp(d, "DWORD (", 7)) {
            char num[32];
            size_t dl = strlen(d + 7);
            if (dl && dl < sizeof(num) && d[7 + dl - 1] == ')') {
                memcpy(num, d + 7, dl - 1);
                num[dl - 1] = '\0';
                if (!rd_parse_num(num, UINT32_MAX, &dw)) {
                    ev.reg_type = SNAP_REG_DWORD;
                    ev.dword = (uint32_t)dw;
                }
            }
        }
        return rd_set_add(set, &ev, e);
    }
    return 0;
}

static int security_create(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_CREATE, RD_SRC_SECURITY);
    uint64_t v;
    if (rd_parse_num(val(r, "NewProcessId"), UINT32_MAX, &v))
        return 0;
    ev.pid = (uint32_t)v;
    /* The creator's pid ("ProcessId"); absent in some exports. */
    if (!rd_parse_num(val(r, "ProcessId"), UINT32_MAX, &v)) {
        ev.ppid = (uint32_t)v;
        ev.has_ppid = 1;
    }
    ev.t = r->time_created;
    ev.host = r->computer;
    ev.image = val(r, "NewProcessName");
    ev.pimage = val(r, "ParentProcessName"); /* version 2 only */
    ev.cmd = val(r, "CommandLine");          /* version 1+, empty unless the policy is on */
    ev.integ = rd_integrity_from_sid(val(r, "MandatoryLabel"));
    ev.fields = SNAP_F_IMAGE;
    if (ev.cmd)
        ev.fields |= SNAP_F_CMDLINE;
    if (ev.integ)
        ev.fields |= SNAP_F_INTEGRITY;
    /* Boot-time records may lack the creator pid (NXLog leaves fields it
     * could not resolve out). In version 2 an empty ParentProcessName means
     * a creator without an image file: System, the parent of smss and of
     * Registry at boot. */
    if (!ev.has_ppid && !ev.pimage && r->version >= 2) {
        ev.ppid = 4;
        ev.has_ppid = 1;
        ev.unresolved = 1;
    }
    ev.is_boot =
        ev.image && !ascii_casecmp(base(ev.image), "smss.exe") && ev.has_ppid && ev.ppid == 4;
    return rd_set_add(set, &ev, e);
}

static int security_exit(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_EXIT, RD_SRC_SECURITY);
    uint64_t v;
    if (rd_parse_num(val(r, "ProcessId"), UINT32_MAX, &v))
        return 0;
    ev.pid = (uint32_t)v;
    ev.t = r->time_created;
    ev.host = r->computer;
    ev.image = val(r, "ProcessName");
    return rd_set_add(set, &ev, e);
}

int rd_winevent(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    if (is_sysmon(r)) {
        switch (r->event_id) {
        case 1: return sysmon_create(set, r, e);
        case 5: return sysmon_exit(set, r, e);
        case 13: return sysmon_reg(set, r, e);
        }
    } else if (is_security(r)) {
        if (r->event_id == 4688)
            return security_create(set, r, e);
        if (r->event_id == 4689)
            return security_exit(set, r, e);
    }
    return 0;
}
