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
    switch (id) {
    case 1:
    case 5:
    case 12:
    case 13:
    case 14: /* Sysmon; 12 is also Kernel-General's boot */
    case 4688:
    case 4689:
    case 4657: /* Security */
    case 6005: /* EventLog: the event log service started */ return 1;
    }
    return 0;
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

/* A GUID, or NULL for the all-zero GUID Sysmon writes when it does not know
 * the process ({00000000-0000-0000-0000-000000000000}). */
static const char *guid_val(const struct rd_rec *r, const char *name)
{
    const char *v = val(r, name);
    if (!v)
        return NULL;
    for (const char *p = v; *p; p++)
        if (*p != '0' && *p != '-' && *p != '{' && *p != '}')
            return v;
    return NULL;
}

static int is_sysmon(const struct rd_rec *r)
{
    if (r->provider && strstr(r->provider, "Sysmon"))
        return 1;
    return r->channel && strstr(r->channel, "Sysmon") != NULL;
}

static int provider_is(const struct rd_rec *r, const char *name)
{
    return r->provider && !ascii_casecmp(r->provider, name);
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
    struct strbuf cmd = STRBUF_INIT, pcmd = STRBUF_INIT;
    ev.cmd = rd_sysmon_unpercent(&cmd, val(r, "CommandLine"));
    ev.cwd = val(r, "CurrentDirectory");
    ev.user = val(r, "User");
    ev.integ = val(r, "IntegrityLevel");
    ev.guid = guid_val(r, "ProcessGuid");
    ev.pguid = guid_val(r, "ParentProcessGuid");
    ev.pimage = val(r, "ParentImage");
    ev.pcmd = rd_sysmon_unpercent(&pcmd, val(r, "ParentCommandLine")); /* Sysmon 4.81+, 13.30+ */
    ev.puser = val(r, "ParentUser");
    ev.rec = r->rec;
    if (!rd_parse_num(val(r, "LogonId"), UINT64_MAX, &v))
        ev.logon_id = v;
    if (!rd_parse_num(val(r, "TerminalSessionId"), INT32_MAX, &v))
        ev.session = (int32_t)v;
    ev.fields = SNAP_F_IMAGE | SNAP_F_CMDLINE | SNAP_F_USER | SNAP_F_SESSION | SNAP_F_INTEGRITY;
    ev.is_boot =
        ev.image && !ascii_casecmp(base(ev.image), "smss.exe") && ev.has_ppid && ev.ppid == 4;
    int rc = rd_set_add(set, &ev, e);
    sb_release(&cmd);
    sb_release(&pcmd);
    return rc;
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
    ev.guid = guid_val(r, "ProcessGuid");
    ev.image = val(r, "Image");
    ev.rec = r->rec;
    return rd_set_add(set, &ev, e);
}

/* The registry keys the checker reads, by the tail of their path after the
 * hive: the Session Manager key smss reads, Winlogon (machine and per user),
 * Image File Execution Options and SilentProcessExit, Lsa, the Windows
 * key of AppInit_DLLs, printer ports, netsh helpers, the DeviceGuard policy.
 * Values are stored under canonical names (KEY_SM,
 * HKLM\SOFTWARE\...) so events, hives and the simulator agree. */
static const struct {
    const char *tail; /* after the hive root, without the control set */
    int system;       /* in the SYSTEM hive (under a control set) */
} reg_families[] = {
    {"\\Control\\Session Manager", 1},
    {"\\Control\\Lsa", 1},
    {"\\Control\\SecurityProviders\\WDigest", 1},
    {"\\Control\\SafeBoot", 1},
    {"\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon", 0},
    {"\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options", 0},
    {"\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit", 0},
    {"\\Microsoft\\Windows NT\\CurrentVersion\\Windows", 0},
    /* The spooler's ports (PRINTER-PORT-FILE), netsh's helpers (NETSH-HELPER)
     * and Credential Guard's policy (LSAISO-WITHOUT-CREDGUARD). */
    {"\\Microsoft\\Windows NT\\CurrentVersion\\Ports", 0},
    {"\\Microsoft\\NetSh", 0},
    {"\\Policies\\Microsoft\\Windows\\DeviceGuard", 0},
};

/* Skip a hive root as Sysmon (HKLM\, HKU\SID\), Security 4657
 * (\REGISTRY\MACHINE\, \REGISTRY\USER\SID\) or an analyst (HKEY_LOCAL_MACHINE\,
 * HKCU\) writes it; *user gets "HKU\SID" (or "HKCU") for per-user paths.
 * Returns the rest (starting with the hive's first key: SYSTEM, SOFTWARE,
 * Software), or NULL for other roots. */
static const char *reg_root(const char *path, char *user, size_t nuser)
{
    static const char *const machine[] = {"HKLM\\", "HKEY_LOCAL_MACHINE\\",
                                          "\\REGISTRY\\MACHINE\\"};
    static const char *const users[] = {"HKU\\", "HKEY_USERS\\", "\\REGISTRY\\USER\\"};
    *user = 0;
    for (size_t i = 0; i < ARRAY_SIZE(machine); i++)
        if (!ascii_ncasecmp(path, machine[i], strlen(machine[i])))
            return path + strlen(machine[i]);
    if (!ascii_ncasecmp(path, "HKCU\\", 5) || !ascii_ncasecmp(path, "HKEY_CURRENT_USER\\", 18)) {
        snprintf(user, nuser, "HKCU");
        return strchr(path, '\\') + 1;
    }
    for (size_t i = 0; i < ARRAY_SIZE(users); i++) {
        size_t n = strlen(users[i]);
        if (ascii_ncasecmp(path, users[i], n))
            continue;
        const char *sid = path + n, *end = strchr(sid, '\\');
        if (!end || (size_t)(end - sid) + 5 >= nuser)
            return NULL;
        /* HKU\SID_Classes is the user's class registration hive: not ours. */
        snprintf(user, nuser, "HKU\\%.*s", (int)(end - sid), sid);
        return end + 1;
    }
    return NULL;
}

/* Canonical key for path (a key, no value name), or 0 when it is not one
 * the checker reads. */
static int reg_canon(const char *path, char *out, size_t n)
{
    char user[160];
    const char *rest = reg_root(path, user, sizeof(user));
    if (!rest)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(reg_families); i++) {
        const char *fam = reg_families[i].tail;
        const char *p = rest;
        if (reg_families[i].system) {
            /* SYSTEM\CurrentControlSet or SYSTEM\ControlSet00N: one key set. */
            if (*user || ascii_ncasecmp(p, "SYSTEM\\", 7))
                continue;
            p += 7;
            if (!ascii_ncasecmp(p, "CurrentControlSet", 17))
                p += 17;
            else if (!ascii_ncasecmp(p, "ControlSet", 10) && p[10] >= '0' && p[10] <= '9')
                p += 10 + strspn(p + 10, "0123456789");
            else
                continue;
        } else {
            if (ascii_ncasecmp(p, "SOFTWARE", 8) || (p[8] != '\\'))
                continue;
            p += 8;
            if (!ascii_ncasecmp(p, "\\Wow6432Node", 12) && p[12] == '\\')
                p += 12; /* 32-bit view of the same values */
        }
        size_t fl = strlen(fam);
        if (ascii_ncasecmp(p, fam, fl) || (p[fl] && p[fl] != '\\'))
            continue;
        int k;
        if (reg_families[i].system)
            k = snprintf(out, n, "HKLM\\SYSTEM\\CurrentControlSet%s", p);
        else if (*user)
            k = snprintf(out, n, "%s\\Software%s", user, p);
        else
            k = snprintf(out, n, "HKLM\\SOFTWARE%s", p);
        return k > 0 && (size_t)k < n;
    }
    return 0;
}

/* A registry change as a fact: key and value name split at the last '\'
 * of a value path (Sysmon TargetObject), or given apart (Security 4657). */
static int reg_change(struct rd_set *set, const struct rd_rec *r, enum rd_src src, int64_t t,
                      const char *key_path, const char *name, const char *data, int deleted,
                      const char *new_path, const char *writer, struct err *e)
{
    char path[1024], key[1024], new_key[1024];
    if (!key_path || strlen(key_path) >= sizeof(path))
        return 0;
    snprintf(path, sizeof(path), "%s", key_path);
    if (!name) { /* the value name is the last component */
        char *last = strrchr(path, '\\');
        /* ...except under the spooler's Ports key, whose value names are
         * port names and may be paths themselves ("C:\\x\\y.dll"): the
         * key has no subkeys, so the name is all that follows it. */
        char *ports = strstr(path, "\\CurrentVersion\\Ports\\");
        if (ports && ports[22])
            last = ports + 21;
        if (!last)
            return 0;
        *last = 0;
        name = key_path + (last - path) + 1;
    }
    if (!reg_canon(path, key, sizeof(key)))
        return 0;
    /* A renamed key: both names in their canonical form; a key renamed
     * out of the keys the rules read is gone for them. */
    if (new_path &&
        (strlen(new_path) >= sizeof(path) || !reg_canon(new_path, new_key, sizeof(new_key))))
        return reg_change(set, r, src, t, key_path, name, NULL, 1, NULL, writer, e);
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_REG, src);
    ev.t = t;
    ev.host = r->computer;
    ev.reg_key = key;
    ev.reg_name = !strcmp(name, "(Default)") ? "" : name;
    ev.reg_val = data ? data : "";
    ev.reg_type = SNAP_REG_SZ;
    ev.reg_deleted = (uint8_t)deleted;
    if (new_path) {
        ev.reg_renamed = 1;
        ev.reg_val = new_key;
    }
    ev.image = writer;
    ev.rec = r->rec;
    uint64_t dw;
    /* Sysmon renders a DWORD as "DWORD (0x00000001)". */
    if (data && !strncmp(data, "DWORD (", 7)) {
        char num[32];
        size_t dl = strlen(data + 7);
        if (dl && dl < sizeof(num) && data[7 + dl - 1] == ')') {
            memcpy(num, data + 7, dl - 1);
            num[dl - 1] = '\0';
            if (!rd_parse_num(num, UINT32_MAX, &dw)) {
                ev.reg_type = SNAP_REG_DWORD;
                ev.dword = (uint32_t)dw;
            }
        }
    }
    return rd_set_add(set, &ev, e);
}

static int reg_event(struct rd_set *set, const struct rd_rec *r, enum rd_src src, int64_t t,
                     const char *key_path, const char *name, const char *data, int deleted,
                     const char *writer, struct err *e)
{
    return reg_change(set, r, src, t, key_path, name, data, deleted, NULL, writer, e);
}

/* Sysmon 12 (key or value created/deleted), 13 (value set), 14 (renamed):
 * EventType says which. A deleted key deletes its values. */
static int sysmon_reg(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    const char *target = val(r, "TargetObject");
    const char *type = val(r, "EventType");
    if (!target)
        return 0;
    int64_t t = rec_time(r, val(r, "UtcTime"));
    const char *writer = val(r, "Image");
    if (r->event_id == 13 || (type && !ascii_casecmp(type, "SetValue"))) {
        struct strbuf d = STRBUF_INIT;
        int rc = reg_event(set, r, RD_SRC_SYSMON, t, target, NULL,
                           rd_sysmon_unpercent(&d, r->get(r, "Details")), 0, writer, e);
        sb_release(&d);
        return rc;
    }
    if (type && !ascii_casecmp(type, "DeleteValue"))
        return reg_event(set, r, RD_SRC_SYSMON, t, target, NULL, NULL, 1, writer, e);
    if (type && !ascii_casecmp(type, "DeleteKey"))
        return reg_event(set, r, RD_SRC_SYSMON, t, target, "*", NULL, 1, writer, e);
    /* Sysmon 14 RenameKey: TargetObject the old key, NewName the new one
     * (OSSEM's event-14 records: regedit.exe's "New Key #1" renamed). */
    const char *new_name = val(r, "NewName");
    if (r->event_id == 14 && type && !ascii_casecmp(type, "RenameKey") && new_name)
        return reg_change(set, r, RD_SRC_SYSMON, t, target, "*", NULL, 0, new_name, writer, e);
    return 0; /* CreateKey: no value changes by itself */
}

/* Security 4657 "A registry value was modified" (object access auditing
 * with a SACL on the key): ObjectName is the key in \REGISTRY\ form,
 * OperationType %%1904 new, %%1905 modified, %%1906 deleted. */
static int security_reg(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    const char *key = val(r, "ObjectName"), *name = r->get(r, "ObjectValueName");
    const char *op = val(r, "OperationType");
    if (!key || !name)
        return 0;
    int deleted = op && !strcmp(op, "%%1906");
    return reg_event(set, r, RD_SRC_SECURITY, r->time_created, key, name,
                     deleted ? NULL : r->get(r, "NewValue"), deleted, val(r, "ProcessName"), e);
}

/* Kernel-General 12 ("The operating system started at system time ...",
 * StartTime) and EventLog 6005 ("The Event log service was started"): the
 * System log's own boot markers. */
static int boot_event(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    struct rd_ev ev;
    rd_ev_init(&ev, RD_EV_BOOT, RD_SRC_SYSTEM);
    int64_t t;
    ev.t = r->event_id == 12 && !rd_parse_time(val(r, "StartTime"), &t) ? t : r->time_created;
    if (ev.t == WT_NONE)
        return 0;
    ev.host = r->computer;
    ev.rec = r->rec;
    return rd_set_add(set, &ev, e);
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
    ev.rec = r->rec;
    /* Version 2 names the new process's account in TargetUser* when its
     * token is not the creator's, else the NULL SID S-1-0-0: then it runs as
     * the creator (Subject*). Versions 0/1 name only the creator, which is
     * not the new process's account for winlogon -> userinit or services ->
     * a LOCAL SERVICE svchost, so they leave the user unknown. Microsoft,
     * "4688(S): A new process has been created", Target Subject. */
    char user[300];
    if (r->version >= 2) {
        const char *tsid = val(r, "TargetUserSid");
        int target = tsid && strcmp(tsid, "S-1-0-0");
        const char *sid = target ? tsid : val(r, "SubjectUserSid");
        const char *dom = val(r, target ? "TargetDomainName" : "SubjectDomainName");
        const char *name = val(r, target ? "TargetUserName" : "SubjectUserName");
        if (sid) {
            ev.sid = sid;
            if (name)
                snprintf(user, sizeof(user), "%s%s%s", dom ? dom : "", dom ? "\\" : "", name);
            ev.user = name ? user : NULL;
            ev.fields |= SNAP_F_USER;
        }
    }
    ev.integ = rd_integrity_from_sid(val(r, "MandatoryLabel"));
    ev.fields |= SNAP_F_IMAGE; /* keeps SNAP_F_USER from a v2 record */
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
    ev.rec = r->rec;
    return rd_set_add(set, &ev, e);
}

int rd_winevent(struct rd_set *set, const struct rd_rec *r, struct err *e)
{
    if (is_sysmon(r)) {
        switch (r->event_id) {
        case 1: return sysmon_create(set, r, e);
        case 5: return sysmon_exit(set, r, e);
        case 12:
        case 13:
        case 14: return sysmon_reg(set, r, e);
        }
    } else if (is_security(r)) {
        if (r->event_id == 4688)
            return security_create(set, r, e);
        if (r->event_id == 4689)
            return security_exit(set, r, e);
        if (r->event_id == 4657)
            return security_reg(set, r, e);
    } else if ((r->event_id == 12 && provider_is(r, "Microsoft-Windows-Kernel-General")) ||
               (r->event_id == 6005 && provider_is(r, "EventLog"))) {
        return boot_event(set, r, e);
    }
    return 0;
}
