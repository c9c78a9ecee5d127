/*
 * sample: one simulated boot written in every corpus format from one record
 * plan, so the formats cannot disagree -- the same processes, pids, times and
 * images, the same Sysmon EventRecordIDs in the XML and in ECS
 * winlog.record_id, and the manifest naming exactly those records.
 *
 * The plan: first an EID 13 record for each labelled registry value (written
 * before this boot, during the compromise that planted it), then the System
 * log's boot record (Kernel-General 12, whose StartTime is the kernel's
 * start: what a late master smss is measured against), then one EID 1 per
 * process creation and one EID 5 per exit, in the simulator's event order.
 * Processes without an image file (System, Registry, MemCompression, Idle)
 * are the kernel's and get no record, as in real Sysmon logs.
 *
 * Values Windows and Sysmon fix are copied from the real records in
 * ../shared/real/formats (field names and order, System block, ProcessGuid
 * and LogonGuid layout, unpadded hex as Windows renders it); values only a
 * real file has (hashes, the ProcessGuid sequence part) are deterministic
 * fakes derived from the sample's seed and the image path. docs/corpus.md
 * lists which is which.
 */
#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash.h"
#include "../core/jsonw.h"
#include "../core/prng.h"
#include "../core/wtime.h"
#include "../evtxw/evtxw.h"
#include "../sim/anomaly.h"
#include "../sim/profile.h"

enum { ST_SYSMON = 200, ST_BOOTREC = 201, ST_FIDELITY = 202 };
/* Sysmon 14 timing: ST_RENAME + the value's index, clear of the streams above. */
enum { ST_RENAME = 1000 };

/* Sysmon 12 (a registry key created) shares its number with the System
 * log's Kernel-General boot record: the plan tells them apart by this code. */
#define EID_REGKEY 112
/* Sysmon 14 (a registry key renamed). */
#define EID_REGRENAME 14
/* The name regedit gives a key it creates, until the user types one (Sysmon
 * 14 records in OSSEM's data dictionary: regedit.exe renames "...\Run\New
 * Key #1" to "...\Run\wardog"). */
#define REGEDIT_NEW_KEY "New Key #1"

struct rec {
    int eid; /* Sysmon 1, 5, 13, 14 or EID_REGKEY (Sysmon 12); 12 is Kernel-General's boot record */
    long proc; /* index into sim procs (1, 5) */
    long reg;  /* index into lab.regs (12, 13, 14) */
    int64_t utc, created;
    uint64_t rid;
    long event;          /* native event seq (1, 5), else -1 */
    uint32_t writer_pid; /* EID 12, 13, 14: the process that set the value */
};

/* The attacker's process that planted the registry values (Sysmon 12/13):
 * real attacks write with their own tool, not always reg.exe as SYSTEM
 * (EventVwrBypass in ../shared/real: powershell.exe as the user). */
struct writer {
    const char *image, *user;
    int64_t start;
    uint32_t pid;
};

struct corpus_sample {
    const struct scn *sc;
    const struct sim *sm;
    uint64_t index;
    long *parent;
    size_t cap_parent;
    struct rec *recs;
    size_t nrecs, cap_recs;
    uint32_t machine, sysmon_pid, sysmon_tid;
    uint32_t boot_no;     /* the boot counter in Sysmon's ProcessGuid (docs/fidelity.md, 1) */
    int64_t kernel_time;  /* System's ProcessGuid time: its first child's (the master smss) */
    uint8_t *placeholder; /* per proc: EID 1 written with ParentImage '?' (fidelity 13) */
    size_t cap_placeholder;
    struct {
        uint64_t id;
        int64_t t;
    } * logons; /* LogonGuid time of each logon id */
    size_t nlogons, cap_logons;
    struct writer writer;
    char computer[2 * 256 + 2]; /* the Computer the records name: NAME or NAME.dns_domain */
    struct snap boot;           /* the snapshot at boot time: labels and the planted registry */
    struct snap s;              /* scratch for CSV snapshots */
    struct strbuf tmp;
    struct evtx_state *evtx; /* templates and values, made on first use */
};

static void evtx_state_free(struct evtx_state *es);

struct corpus_sample *corpus_sample_new(void)
{
    struct corpus_sample *cs = xcalloc(1, sizeof(*cs));
    snap_init(&cs->boot);
    snap_init(&cs->s);
    return cs;
}

void corpus_sample_free(struct corpus_sample *cs)
{
    if (!cs)
        return;
    free(cs->parent);
    free(cs->recs);
    free(cs->placeholder);
    free(cs->logons);
    snap_release(&cs->boot);
    snap_release(&cs->s);
    sb_release(&cs->tmp);
    evtx_state_free(cs->evtx);
    free(cs);
}

const char *corpus_sample_computer(const struct corpus_sample *cs)
{
    return cs->computer;
}

const struct scn *corpus_sample_scn(const struct corpus_sample *cs)
{
    return cs->sc;
}

const struct sim *corpus_sample_sim(const struct corpus_sample *cs)
{
    return cs->sm;
}

uint64_t corpus_sample_index(const struct corpus_sample *cs)
{
    return cs->index;
}

/* ---- the plan ---------------------------------------------------------------------- */

static int by_pid_time(const struct snap_proc *a, uint32_t pid, int64_t t)
{
    return a->pid == pid && a->create_time == t;
}

/* LogonGuid times (docs/fidelity.md, point 1): a logon session's GUID holds
 * the time Sysmon first saw it -- SYSTEM's that of wininit (MSEDGEWIN10 and
 * OTRF in ../shared/real), every other one's its first process's. System's
 * own ProcessGuid carries its first child's time (OTRF: System and the
 * master smss share 5f51e7bc). */
static void prepare_guids(struct corpus_sample *cs, struct prng *rf)
{
    const struct sim *sm = cs->sm;
    cs->boot_no = (uint32_t)prng_range(rf, 2, 40);
    cs->kernel_time = sim_boot_time(sm);
    cs->nlogons = 0;
    int64_t sys_logon = WT_NONE;
    for (size_t i = 0; i < sim_nprocs(sm); i++) {
        const struct snap_proc *p = sim_proc(sm, i);
        long pi = cs->parent[i];
        if (cs->kernel_time == sim_boot_time(sm) && p->image && pi >= 0 &&
            sim_proc(sm, (size_t)pi)->pid == 4)
            cs->kernel_time = p->create_time;
        if (sys_logon == WT_NONE && p->name && !strcmp(p->name, "wininit.exe"))
            sys_logon = p->create_time;
        size_t k = 0;
        while (k < cs->nlogons && cs->logons[k].id != p->logon_id)
            k++;
        if (k == cs->nlogons) {
            XGROW(cs->logons, cs->cap_logons, cs->nlogons + 1);
            cs->logons[cs->nlogons].id = p->logon_id;
            cs->logons[cs->nlogons++].t = p->create_time;
        }
    }
    for (size_t k = 0; k < cs->nlogons && sys_logon != WT_NONE; k++)
        if (cs->logons[k].id == 0x3e7)
            cs->logons[k].t = sys_logon;
}

/* Sysmon writes ParentImage '?' (and a zero ParentProcessGuid) when it does
 * not know the parent: 2 of the 325 process records of ../shared/real (a
 * svchost and a LogonUI), 2 of MSEDGEWIN10's 87. A seeded one in 40 of the
 * benign svchost, LogonUI and WmiPrvSE records gets it, about 1.5 % of all
 * process records; the manifest lists them as benign (docs/fidelity.md, 13). */
static void prepare_placeholders(struct corpus_sample *cs, struct prng *rf)
{
    size_t np = sim_nprocs(cs->sm);
    XGROW(cs->placeholder, cs->cap_placeholder, np + 1);
    memset(cs->placeholder, 0, np + 1);
    for (size_t i = 0; i < np; i++) {
        const struct snap_proc *p = sim_proc(cs->sm, i);
        if (p->anomaly || cs->parent[i] < 0 || !p->name)
            continue;
        if (strcmp(p->name, "svchost.exe") && strcmp(p->name, "LogonUI.exe") &&
            strcmp(p->name, "WmiPrvSE.exe"))
            continue;
        const struct snap_proc *q = sim_proc(cs->sm, (size_t)cs->parent[i]);
        if (q->anomaly)
            continue;
        cs->placeholder[i] = (uint8_t)prng_chance(rf, 1, 40);
    }
}

/* The user whose profile (HKU\<SID>\...) a planted value is in, or NULL:
 * the account of the processes running with that SID. */
static const char *profile_user(const struct corpus_sample *cs)
{
    for (size_t i = 0; i < cs->boot.nregs; i++) {
        const struct snap_reg *g = &cs->boot.regs[i];
        if (!g->anomaly || ascii_ncasecmp(g->key, "HKU\\", 4))
            continue;
        const char *sid = g->key + 4;
        size_t n = strcspn(sid, "\\");
        for (size_t k = 0; k < sim_nprocs(cs->sm); k++) {
            const struct snap_proc *p = sim_proc(cs->sm, k);
            if (p->sid && p->user && strlen(p->sid) == n && !strncmp(p->sid, sid, n))
                return p->user;
        }
    }
    return NULL;
}

static void prepare_writer(struct corpus_sample *cs, struct prng *rf)
{
    static const char *const own[] = {"C:\\Users\\Public\\update.exe",
                                      "C:\\ProgramData\\svcupd.exe",
                                      "C:\\Users\\Public\\Downloads\\setup.exe"};
    const struct scn *sc = cs->sc;
    const char *user = NULL;
    for (size_t i = 0; i < sc->nsessions && !user; i++)
        user = sc->sessions[i].user;
    struct writer *w = &cs->writer;
    w->user = "NT AUTHORITY\\SYSTEM";
    w->pid = 4 * (uint32_t)prng_range(rf, 1000, 3000);
    switch (user ? prng_below(rf, 4) : 0) {
    case 0: w->image = "C:\\Windows\\system32\\reg.exe"; break;
    case 1: w->image = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"; break;
    case 2: w->image = "C:\\Windows\\regedit.exe"; break;
    default: w->image = own[prng_below(rf, ARRAY_SIZE(own))]; break;
    }
    if (strcmp(w->image, "C:\\Windows\\system32\\reg.exe"))
        w->user = user;
    /* A value in a user's profile (HKU\<SID>) is written by that user's own
     * process, without elevation (Atomic Red Team T1547.004 test 1:
     * powershell.exe as the user); reg.exe then runs as the user too. */
    const char *owner = profile_user(cs);
    if (owner)
        w->user = owner;
}

/* Keys every Windows has: a value planted in any other key (an IFEO or
 * SilentProcessExit subkey, AppCertDlls) first creates it. */
static int key_created(const struct corpus_sample *cs, size_t reg)
{
    static const char *const stock[] = {
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa",
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest",
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows",
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager",
    };
    const char *key = cs->boot.regs[reg].key;
    for (size_t i = 0; i < ARRAY_SIZE(stock); i++)
        if (!ascii_casecmp(key, stock[i]))
            return 0;
    /* Every profile has its Winlogon key (Atomic Red Team's T1547.004 test
     * sets HKCU's Shell with Set-ItemProperty, which creates no key). */
    size_t kl = strlen(key), tl = strlen(KEY_USER_WINLOGON);
    if (!ascii_ncasecmp(key, "HKU\\", 4) && kl > tl &&
        !ascii_casecmp(key + kl - tl, KEY_USER_WINLOGON))
        return 0;
    for (size_t i = 0; i < cs->boot.nregs; i++)
        if (i != reg && !ascii_casecmp(cs->boot.regs[i].key, key) &&
            (!cs->boot.regs[i].anomaly || i < reg))
            return 0; /* a stock value or an earlier planted one holds the key */
    return 1;
}

static int by_regedit(const struct corpus_sample *cs)
{
    return !strcmp(cs->writer.image, "C:\\Windows\\regedit.exe");
}

void corpus_sample_prepare(struct corpus_sample *cs, const struct scn *sc, const struct sim *sm,
                           uint64_t index)
{
    cs->sc = sc;
    cs->sm = sm;
    cs->index = index;
    size_t np = sim_nprocs(sm);
    XGROW(cs->parent, cs->cap_parent, np + 1);
    /* Parents: the process with the recorded pid and creation time. Creation
     * order makes the search short: the parent is always earlier. */
    for (size_t i = 0; i < np; i++) {
        const struct snap_proc *p = sim_proc(sm, i);
        cs->parent[i] = -1;
        if (p->parent_create_time == WT_NONE)
            continue;
        for (size_t k = i; k-- > 0;)
            if (by_pid_time(sim_proc(sm, k), p->ppid, p->parent_create_time)) {
                cs->parent[i] = (long)k;
                break;
            }
    }
    int64_t boot = sim_boot_time(sm);
    sim_snapshot(sm, boot, &cs->boot);
    if (sc->dns_domain && *sc->dns_domain)
        snprintf(cs->computer, sizeof(cs->computer), "%s.%s", sc->host ? sc->host : "",
                 sc->dns_domain);
    else
        snprintf(cs->computer, sizeof(cs->computer), "%s", sc->host ? sc->host : "");

    struct prng r;
    prng_child(&r, sc->seed, ST_SYSMON);
    cs->machine = (uint32_t)prng_next(&r);
    cs->sysmon_pid = 4 * (uint32_t)prng_range(&r, 400, 900);
    cs->sysmon_tid = 4 * (uint32_t)prng_range(&r, 300, 1500);
    uint64_t rid = (uint64_t)prng_range(&r, 1000, 5000000);
    cs->nrecs = 0;
    struct prng rf;
    prng_child(&rf, sc->seed, ST_FIDELITY);
    prepare_guids(cs, &rf);
    prepare_placeholders(cs, &rf);
    prepare_writer(cs, &rf);

    /* EID 12/13: the planted values, set by the attacker's process (one per
     * sample) minutes to days before this boot -- half of them in the hour
     * before it, as an attacker who reboots to trigger them. A key the value
     * needs and Windows does not have is created first (Sysmon 12). */
    int64_t t = boot - prng_range(&r, 10 * WT_MIN, 3 * WT_DAY);
    if (prng_chance(&rf, 1, 2))
        t = boot - prng_range(&rf, 2 * WT_MIN, 50 * WT_MIN);
    cs->writer.start = t - prng_range(&rf, 2 * WT_SEC, 60 * WT_SEC);
    for (size_t i = 0; i < cs->boot.nregs; i++) {
        if (!cs->boot.regs[i].anomaly)
            continue;
        t += prng_range(&r, WT_SEC, 90 * WT_SEC);
        if (t >= boot)
            t = boot - WT_SEC;
        if (key_created(cs, i)) {
            int64_t tk = t - prng_range(&rf, 5 * WT_MSEC, 40 * WT_MSEC);
            /* regedit creates "New Key #1" and the user then types the
             * name: Sysmon 12 for the new key, 14 for the rename, seconds
             * before the value (their own stream: the rest stays as it was). */
            int64_t tr = WT_NONE;
            if (by_regedit(cs)) {
                struct prng rn;
                prng_child(&rn, sc->seed, ST_RENAME + i);
                tr = tk;
                tk = tr - prng_range(&rn, 2 * WT_SEC, 9 * WT_SEC);
            }
            XGROW(cs->recs, cs->cap_recs, cs->nrecs + 2);
            cs->recs[cs->nrecs++] =
                (struct rec){EID_REGKEY, -1, (long)i,       tk, tk + prng_range(&rf, 100, 3000),
                             rid++,      -1, cs->writer.pid};
            if (tr != WT_NONE)
                cs->recs[cs->nrecs++] = (struct rec){EID_REGRENAME, -1,    (long)i, tr,
                                                     tr + 1000,     rid++, -1,      cs->writer.pid};
        }
        XGROW(cs->recs, cs->cap_recs, cs->nrecs + 1);
        cs->recs[cs->nrecs++] = (struct rec){
            13, -1, (long)i, t, t + prng_range(&r, 100, 3000), rid++, -1, cs->writer.pid};
    }
    /* The System log's boot record: the kernel writes it within a second of
     * its StartTime (0.34 s and 0.62 s in the two renderings cited at
     * kg12_fields). Its own stream, so the Sysmon values stay as they were. */
    struct prng rb;
    prng_child(&rb, sc->seed, ST_BOOTREC);
    XGROW(cs->recs, cs->cap_recs, cs->nrecs + 1);
    cs->recs[cs->nrecs++] = (struct rec){
        12, -1, -1, boot, boot + prng_range(&rb, 300 * WT_MSEC, 700 * WT_MSEC), rid++, -1, 0};
    /* Sysmon's service drains the driver's boot buffer some seconds in
     * (MSEDGEWIN10 in ../shared/real: ~9 s), so boot records are written
     * late; later ones within milliseconds. */
    int64_t ready = boot + prng_range(&r, 7 * WT_SEC, 12 * WT_SEC);
    int64_t last = WT_NONE;
    size_t ne = sim_nevents(sm);
    for (size_t i = 0; i < ne; i++) {
        const struct sim_event *ev = sim_event(sm, i);
        if (ev->type != SIM_EV_PROCESS_CREATE && ev->type != SIM_EV_PROCESS_EXIT)
            continue;
        if (ev->proc < 0 || !sim_proc(sm, (size_t)ev->proc)->image)
            continue;
        int64_t c = ev->time + prng_range(&r, 50, 3000);
        if (c < ready)
            c = ready + prng_range(&r, 0, 400);
        if (last != WT_NONE && c <= last)
            c = last + prng_range(&r, 1, 200);
        last = c;
        XGROW(cs->recs, cs->cap_recs, cs->nrecs + 1);
        cs->recs[cs->nrecs++] = (struct rec){ev->type == SIM_EV_PROCESS_CREATE ? 1 : 5,
                                             ev->proc,
                                             -1,
                                             ev->time,
                                             c,
                                             rid++,
                                             (long)i,
                                             0};
    }
}

void corpus_sample_drop_registry(struct corpus_sample *cs)
{
    size_t m = 0;
    for (size_t i = 0; i < cs->nrecs; i++)
        if (cs->recs[i].eid != 13)
            cs->recs[m++] = cs->recs[i];
    cs->nrecs = m;
}

/* ---- values derived for Sysmon -------------------------------------------------------- */

static const char *const hexu = "0123456789ABCDEF";

static void hex4(struct strbuf *sb, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        sb_addc(sb, hexu[(v >> (4 * i)) & 15]);
}

/* The GUID layout of Sysmon 11 and later, which writes the field set used
 * here (ParentUser): {MMMMMMMM-TTTT-TTTT-XXXX-XXXXXXXXXXXX} -- the machine
 * part, the creation time in Unix seconds (low half first), then eight
 * bytes `tail`, little-endian. OTRF's WORKSTATION5 in ../shared/real:
 * smss {3ddc5665-e7bc-5f51-0300-000000000500}, LogonGuid
 * {3ddc5665-e7cb-5f51-e703-000000000000} for LogonId 0x3e7. */
static void guid(struct strbuf *sb, uint32_t machine, int64_t t, uint64_t tail)
{
    uint32_t secs = (uint32_t)(t / WT_SEC);
    sb_addc(sb, '{');
    hex4(sb, machine >> 16);
    hex4(sb, machine & 0xffff);
    sb_addc(sb, '-');
    hex4(sb, secs & 0xffff);
    sb_addc(sb, '-');
    hex4(sb, secs >> 16);
    for (int i = 0; i < 8; i++) {
        if (i == 0 || i == 2)
            sb_addc(sb, '-');
        unsigned b = (unsigned)(tail >> (8 * i)) & 0xff;
        sb_addc(sb, hexu[b >> 4]);
        sb_addc(sb, hexu[b & 15]);
    }
    sb_addc(sb, '}');
}

/* ProcessGuid tail: the process's sequence number this boot (System 1, the
 * master smss 3 on Windows 10, as in OTRF), two zero bytes, then the boot
 * counter (4, then 5 after OTRF's reboot). Kernel processes carry their
 * first child's time. */
static void proc_guid(const struct corpus_sample *cs, struct strbuf *sb, long idx)
{
    const struct snap_proc *p = sim_proc(cs->sm, (size_t)idx);
    guid(sb, cs->machine, p->image ? p->create_time : cs->kernel_time,
         (uint64_t)idx | (uint64_t)cs->boot_no << 48);
}

/* LogonGuid tail: the LogonId (0x2c9e7 -> E7C9-020000000000 in winlogbeat's
 * golden Sysmon record). */
static void logon_guid(const struct corpus_sample *cs, struct strbuf *sb, uint64_t logon_id)
{
    int64_t t = sim_boot_time(cs->sm);
    for (size_t k = 0; k < cs->nlogons; k++)
        if (cs->logons[k].id == logon_id)
            t = cs->logons[k].t;
    guid(sb, cs->machine, t, logon_id);
}

/* The registry writer's ProcessGuid: a process of the boot before this one. */
static void writer_guid(const struct corpus_sample *cs, struct strbuf *sb)
{
    guid(sb, cs->machine, cs->writer.start,
         (uint64_t)(0x300u + cs->writer.pid / 4) | (uint64_t)(cs->boot_no - 1) << 48);
}

/* Fake but stable hashes: the same image path on the same OS always has
 * the same SHA1/MD5/SHA256/IMPHASH, different paths differ. */
static void hashes(const struct corpus_sample *cs, struct strbuf *sb, const char *image, int upper,
                   const char *sep)
{
    uint64_t st = hash_fnv_lower(hash_fnv_lower(HASH_FNV_INIT, scn_os_name(cs->sc->os)), image);
    static const char *const names_u[] = {"SHA1=", "MD5=", "SHA256=", "IMPHASH="};
    static const char *const names_l[] = {"sha1:", "md5:", "sha256:", "imphash:"};
    static const int nhex[] = {40, 32, 64, 32};
    const char *digits = upper ? hexu : "0123456789abcdef";
    for (int k = 0; k < 4; k++) {
        if (k)
            sb_adds(sb, sep);
        sb_adds(sb, upper ? names_u[k] : names_l[k]);
        uint64_t v = 0;
        for (int i = 0; i < nhex[k]; i++) {
            if (i % 16 == 0)
                v = splitmix64(&st);
            sb_addc(sb, digits[(v >> (4 * (i % 16))) & 15]);
        }
    }
}

/* Version resources of the Windows binaries the simulator runs, as Sysmon
 * records them (docs/fidelity.md, point 9). OriginalFileName is the PE's
 * own where a real record shows it (MSEDGEWIN10 and OTRF in ../shared/real:
 * AutoChk.Exe, CSRSS.Exe, WinInit.exe, WINLOGON.EXE, logonui.exe,
 * USERINIT.EXE, EXPLORER.EXE, Wmiprvse.exe; Sigma rules quote Cmd.Exe, RUNDLL32.EXE,
 * PowerShell.EXE), else the file's name. `qfe`: the file's revision on Windows 10 1809
 * (10.0.17763.QFE, MSEDGEWIN10's records); `rtm`: Windows 7 ships it at
 * 6.1.7600.16385 rather than the SP1 build (PC01 and IEWIN7). */
struct vinfo {
    const char *name, *description, *original;
    unsigned qfe;
    int rtm;
};
static const struct vinfo vinfos[] = {
    {"smss.exe", "Windows Session Manager", "smss.exe", 1131, 1},
    {"csrss.exe", "Client Server Runtime Process", "CSRSS.Exe", 1, 1},
    {"wininit.exe", "Windows Start-Up Application", "WinInit.exe", 1, 0},
    {"winlogon.exe", "Windows Logon Application", "WINLOGON.EXE", 1075, 0},
    {"services.exe", "Services and Controller app", "services.exe", 1075, 0},
    {"lsass.exe", "Local Security Authority Process", "lsass.exe", 1, 0},
    {"svchost.exe", "Host Process for Windows Services", "svchost.exe", 1, 0},
    {"autochk.exe", "Auto Check Utility", "AutoChk.Exe", 1, 0},
    {"LogonUI.exe", "Windows Logon User Interface Host", "logonui.exe", 1, 0},
    {"dwm.exe", "Desktop Window Manager", "dwm.exe", 831, 0},
    {"fontdrvhost.exe", "Usermode Font Driver Host", "fontdrvhost.exe", 1, 0},
    {"userinit.exe", "Userinit Logon Application", "USERINIT.EXE", 1, 0},
    {"explorer.exe", "Windows Explorer", "EXPLORER.EXE", 1131, 0},
    {"cmd.exe", "Windows Command Processor", "Cmd.Exe", 592, 0},
    {"rundll32.exe", "Windows host process (Rundll32)", "RUNDLL32.EXE", 1, 0},
    {"spoolsv.exe", "Spooler SubSystem App", "spoolsv.exe", 1, 0},
    {"rdpclip.exe", "RDP Clipboard Monitor", "rdpclip.exe", 1, 0},
    {"lsm.exe", "Local Session Manager Service", "lsm.exe", 1, 0},
    {"LsaIso.exe", "Credential Guard & Key Guard", "LsaIso.exe", 1, 0},
    {"AtBroker.exe", "Transitions Accessible technologies between desktops", "AtBroker.exe", 1, 1},
    {"taskhost.exe", "Host Process for Windows Tasks", "taskhost.exe", 1, 1},
    {"taskhostw.exe", "Host Process for Windows Tasks", "taskhostw.exe", 1, 0},
    {"sihost.exe", "Shell Infrastructure Host", "sihost.exe", 1075, 0},
    {"ctfmon.exe", "CTF Loader", "ctfmon.exe", 1, 0},
    {"RuntimeBroker.exe", "Runtime Broker", "RuntimeBroker.exe", 1, 0},
    {"usoclient.exe", "UsoClient", "usoclient.exe", 1, 0},
    {"wuauclt.exe", "Windows Update", "wuauclt.exe", 1, 0},
    {"reg.exe", "Registry Console Tool", "reg.exe", 1, 0},
    {"regedit.exe", "Registry Editor", "REGEDIT.EXE", 168, 0},
    {"powershell.exe", "Windows PowerShell", "PowerShell.EXE", 1, 1},
    {"WerFault.exe", "Windows Problem Reporting", "WerFault.exe", 1, 0},
    {"WmiPrvSE.exe", "WMI Provider Host", "Wmiprvse.exe", 1, 0},
};

static const struct vinfo *vinfo_of(const char *image)
{
    const char *b = image ? strrchr(image, '\\') : NULL;
    b = b ? b + 1 : image;
    if (!b)
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(vinfos); i++)
        if (!ascii_casecmp(vinfos[i].name, b))
            return &vinfos[i];
    return NULL;
}

/* FileVersion of one binary: its OS row's (kb/oses.def). */
static const char *file_version(enum scn_os os, const struct vinfo *vi, char buf[64])
{
    return kb_os_file_version(profile_get(os), vi->qfe, vi->rtm, buf);
}

static const char *basename_of(const struct snap_proc *p)
{
    return snap_proc_basename(p);
}

/* ---- Sysmon XML ------------------------------------------------------------------------ */

/* The 100 ns digit of TimeCreated: simulated time has microseconds, real
 * SystemTimes have seven digits; a deterministic digit keeps them looking
 * real. The XML and the EVTX FILETIME use the same one. */
static unsigned hundred_ns(int64_t t)
{
    return (unsigned)(t % 7 + 1);
}

/* SystemTime with 100 ns resolution as Windows renders it (9 digits). */
static void system_time(struct strbuf *sb, int64_t t)
{
    char iso[WT_ISO_LEN];
    size_t n = wt_format_iso(t, iso);
    sb_add(sb, iso, n - 1); /* without the Z */
    sb_addc(sb, (char)('0' + hundred_ns(t)));
    sb_adds(sb, "00Z");
}

/* FILETIME: 100 ns ticks since 1601-01-01 UTC. */
static uint64_t filetime(int64_t t)
{
    return (uint64_t)(t + 11644473600LL * WT_SEC) * 10u + hundred_ns(t);
}

static void utc_time(struct strbuf *sb, int64_t t)
{
    char b[WT_SYSMON_LEN];
    sb_add(sb, b, wt_format_sysmon(t, b));
}

/* The System block of a record: who wrote it, in which channel. */
static const uint8_t sysmon_guid[16] = {0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43,
                                        0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9};
/* {A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D} (libyal/winevt-kb, the provider's page). */
static const uint8_t kgeneral_guid[16] = {0xb7, 0xa8, 0x8c, 0xa6, 0x4f, 0x00, 0xb6, 0xd7,
                                          0xa6, 0x98, 0x07, 0xe2, 0xde, 0x0f, 0x1f, 0x5d};

static int sysmon_eid(const struct rec *x)
{
    return x->eid == EID_REGKEY ? 12 : x->eid;
}

static void rec_hdr(const struct corpus_sample *cs, const struct rec *x, struct corpus_sys *h)
{
    if (x->eid == 12) {
        /* As the kernel writes it (the renderings cited at kg12_fields):
         * pid 4, thread 8; Windows 7 files it under task 0 with no
         * keyword bits, Windows 8 and later under task 1 (SystemStart)
         * with the BootPerformance keyword 0x80. */
        int old = profile_get(cs->sc->os)->win7;
        *h = (struct corpus_sys){"Microsoft-Windows-Kernel-General",
                                 "{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}",
                                 "System",
                                 "S-1-5-18",
                                 kgeneral_guid,
                                 12,
                                 (uint16_t)(old ? 0 : 1),
                                 0,
                                 4,
                                 0,
                                 old ? 0x8000000000000000ULL : 0x8000000000000080ULL,
                                 4,
                                 8};
        return;
    }
    static const uint8_t version[] = {[1] = 5, [5] = 3, [12] = 2, [13] = 2, [14] = 2};
    int eid = sysmon_eid(x);
    *h = (struct corpus_sys){"Microsoft-Windows-Sysmon",
                             "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
                             "Microsoft-Windows-Sysmon/Operational",
                             "S-1-5-18",
                             sysmon_guid,
                             (uint16_t)eid,
                             (uint16_t)eid,
                             version[eid],
                             4,
                             0,
                             0x8000000000000000ULL,
                             cs->sysmon_pid,
                             cs->sysmon_tid};
}

void corpus_xml_system(struct strbuf *sb, const struct corpus_sys *h, int64_t t, unsigned ns100,
                       uint64_t rid, const char *computer)
{
    char iso[WT_ISO_LEN];
    size_t n = wt_format_iso(t, iso);
    sb_adds(sb, "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"
                "<Provider Name=\"");
    sb_adds(sb, h->provider);
    sb_adds(sb, "\" Guid=\"");
    sb_adds(sb, h->guid_str);
    sb_addf(sb,
            "\"/><EventID>%u</EventID><Version>%u</Version><Level>%u</Level><Task>%u</Task>"
            "<Opcode>%u</Opcode><Keywords>0x%llx</Keywords><TimeCreated SystemTime=\"",
            (unsigned)h->eid, (unsigned)h->version, (unsigned)h->level, (unsigned)h->task,
            (unsigned)h->opcode, (unsigned long long)h->keywords);
    sb_add(sb, iso, n - 1); /* without the Z */
    sb_addf(sb, "%u00Z\"/><EventRecordID>", ns100);
    sb_addu64(sb, rid);
    sb_addf(sb,
            "</EventRecordID><Correlation/><Execution ProcessID=\"%u\" ThreadID=\"%u\"/>"
            "<Channel>%s</Channel><Computer>",
            (unsigned)h->pid, (unsigned)h->tid, h->channel);
    corpus_xml_escape(sb, computer);
    if (h->user_sid)
        sb_addf(sb, "</Computer><Security UserID=\"%s\"/></System><EventData>", h->user_sid);
    else
        sb_adds(sb, "</Computer><Security/></System><EventData>");
}

void corpus_evtx_system_vals(struct evtxw_vals *v, const struct corpus_sys *h, uint64_t filetime,
                             uint64_t rid)
{
    evtxw_vals_reset(v, SV_COUNT);
    evtxw_val_u8(v, SV_LEVEL, h->level);
    evtxw_val_u8(v, SV_OPCODE, h->opcode);
    evtxw_val_u16(v, SV_TASK, h->task);
    evtxw_val_u16(v, SV_EVENTID, h->eid);
    evtxw_val_hex64(v, SV_KEYWORDS, h->keywords);
    evtxw_val_filetime(v, SV_TIME, filetime);
    evtxw_val_u32(v, SV_PID, h->pid);
    evtxw_val_u32(v, SV_TID, h->tid);
    evtxw_val_u64(v, SV_RECORDID, rid);
    evtxw_val_u8(v, SV_VERSION, h->version);
    if (h->user_sid)
        evtxw_val_sid(v, SV_USERID, h->user_sid);
    evtxw_val_str(v, SV_PROVIDER, h->provider, strlen(h->provider));
    evtxw_val_guid(v, SV_GUID, h->guid);
    evtxw_val_str(v, SV_CHANNEL, h->channel, strlen(h->channel));
}

static void sys_block(const struct corpus_sample *cs, struct strbuf *sb, const struct rec *x)
{
    struct corpus_sys h;
    rec_hdr(cs, x, &h);
    corpus_xml_system(sb, &h, x->created, hundred_ns(x->created), x->rid, cs->computer);
}

/* A key as Sysmon names it: HKEY_LOCAL_MACHINE shortened to HKLM as our
 * keys are, and the SYSTEM hive as HKLM\System (Sysmon never writes
 * HKLM\SYSTEM: panache_sysmon_vs_EDRTestingScript and OTRF in
 * ../shared/real; docs/fidelity.md, point 11). */
static void reg_key(struct strbuf *sb, const char *key)
{
    if (!strncmp(key, "HKLM\\SYSTEM\\", 12)) {
        sb_adds(sb, "HKLM\\System\\");
        key += 12;
    }
    sb_adds(sb, key);
}

/* TargetObject of a value. */
static void reg_target(struct strbuf *sb, const struct snap_reg *g)
{
    reg_key(sb, g->key);
    sb_addc(sb, '\\');
    sb_adds(sb, g->name);
}

/* The key Sysmon 12 names as created: regedit's "New Key #1" beside the
 * key it becomes, else the key itself. */
static void reg_created_key(const struct corpus_sample *cs, struct strbuf *sb, const char *key)
{
    if (!by_regedit(cs)) {
        reg_key(sb, key);
        return;
    }
    const char *last = strrchr(key, '\\');
    size_t n = last ? (size_t)(last - key) : strlen(key);
    struct strbuf parent = STRBUF_INIT;
    sb_add(&parent, key, n);
    reg_key(sb, parent.buf);
    sb_release(&parent);
    sb_adds(sb, "\\" REGEDIT_NEW_KEY);
}

/* Sysmon doubles every '%' of a string it logs (csrss's
 * %%SystemRoot%%\system32\csrss.exe, EID 13 Details %%SystemRoot%%\... in
 * ../shared/real; docs/fidelity.md, point 3). */
static void add_pct(struct strbuf *sb, const char *v)
{
    for (const char *p; v && (p = strchr(v, '%'));) {
        sb_add(sb, v, (size_t)(p - v) + 1);
        sb_addc(sb, '%');
        v = p + 1;
    }
    if (v)
        sb_adds(sb, v);
}

static void reg_details(struct strbuf *sb, const struct snap_reg *g)
{
    if (g->type == SNAP_REG_DWORD) {
        sb_addf(sb, "DWORD (0x%08x)", g->dword);
        return;
    }
    for (uint32_t i = 0; i < g->ndata; i++) {
        if (i)
            sb_addc(sb, ' ');
        add_pct(sb, g->data[i]);
    }
}

static void hexid(struct strbuf *sb, uint64_t v)
{
    sb_addf(sb, "0x%llx", (unsigned long long)v); /* Windows: no zero padding */
}

/* ---- EventData: one list of fields for XML and EVTX --------------------------------- */

/* How Sysmon types each field (its manifest, and the substitution types of
 * the real records in ../shared/real/evtx): strings, UInt32 ids, the
 * LogonId as HexInt64, GUIDs. */
enum fkind { FK_STR, FK_U32, FK_HEX64, FK_GUID, FK_U16, FK_TIME };

/* A field goes to a sink: str for FK_STR/FK_GUID (NULL: an empty RuleName),
 * num for the integers. */
struct sink {
    void (*field)(struct sink *s, const char *name, enum fkind k, const char *str, size_t len,
                  uint64_t num);
};

static void fstr(struct sink *s, const char *name, const char *v)
{
    s->field(s, name, FK_STR, v, v ? strlen(v) : 0, 0);
}

/* A value built in the scratch buffer t, which is emptied after. */
static void fbuf(struct sink *s, const char *name, enum fkind k, struct strbuf *t)
{
    s->field(s, name, k, t->buf, t->len, 0);
    sb_reset(t);
}

static void fnum(struct sink *s, const char *name, enum fkind k, uint64_t v)
{
    s->field(s, name, k, NULL, 0, v);
}

/* The OS version the kernel reports: the builds of file_version. */
static void os_numbers(enum scn_os os, uint32_t v[5])
{
    for (int i = 0; i < 5; i++)
        v[i] = profile_get(os)->kernel_version[i];
}

/* Kernel-General 12, "The operating system started at system time
 * {StartTime}": fields, order and types as OTRF/OSSEM's data dictionary
 * (data_dictionaries/windows/etw-providers/Microsoft-Windows-Kernel-General/
 * events/event-12.md: UInt32s, ServiceVersion UInt16, StartTime FILETIME)
 * and two public `wevtutil qe System` renderings (a Windows 7 SP1 one in
 * the go-clockout README, a Windows 10 1607 one in a parser's tests). */
static void kg12_fields(struct corpus_sample *cs, const struct rec *x, struct sink *s)
{
    uint32_t v[5];
    os_numbers(cs->sc->os, v);
    fnum(s, "MajorVersion", FK_U32, v[0]);
    fnum(s, "MinorVersion", FK_U32, v[1]);
    fnum(s, "BuildVersion", FK_U32, v[2]);
    fnum(s, "QfeVersion", FK_U32, v[3]);
    fnum(s, "ServiceVersion", FK_U16, v[4]);
    fnum(s, "BootMode", FK_U32, 0);
    fnum(s, "StartTime", FK_TIME, (uint64_t)x->utc);
}

/* A string that may hold '%', doubled as Sysmon logs it. */
static void fpct(struct sink *s, const char *name, const char *v, struct strbuf *t)
{
    if (!v || !strchr(v, '%')) {
        fstr(s, name, v);
        return;
    }
    add_pct(t, v);
    fbuf(s, name, FK_STR, t);
}

/* Every EventData field of record x, in the order of the Sysmon manifest.
 * RuleName is '-' when no rule name matched, as Sysmon 13+ writes it (OTRF;
 * docs/fidelity.md, point 2). */
static void rec_fields(struct corpus_sample *cs, const struct rec *x, struct sink *s)
{
    struct strbuf *t = &cs->tmp;
    sb_reset(t);
    if (x->eid == 12) {
        kg12_fields(cs, x, s);
        return;
    }
    fstr(s, "RuleName", "-");
    if (x->eid == 13 || x->eid == EID_REGKEY || x->eid == EID_REGRENAME) {
        const struct snap_reg *g = &cs->boot.regs[x->reg];
        fstr(s, "EventType",
             x->eid == 13              ? "SetValue"
             : x->eid == EID_REGRENAME ? "RenameKey"
                                       : "CreateKey");
        utc_time(t, x->utc);
        fbuf(s, "UtcTime", FK_STR, t);
        writer_guid(cs, t);
        fbuf(s, "ProcessGuid", FK_GUID, t);
        fnum(s, "ProcessId", FK_U32, x->writer_pid);
        fstr(s, "Image", cs->writer.image);
        if (x->eid == 13) {
            reg_target(t, g);
            fbuf(s, "TargetObject", FK_STR, t);
            reg_details(t, g);
            fbuf(s, "Details", FK_STR, t);
        } else if (x->eid == EID_REGRENAME) {
            reg_created_key(cs, t, g->key);
            fbuf(s, "TargetObject", FK_STR, t);
            reg_key(t, g->key);
            fbuf(s, "NewName", FK_STR, t);
        } else {
            reg_created_key(cs, t, g->key);
            fbuf(s, "TargetObject", FK_STR, t);
        }
        fstr(s, "User", cs->writer.user);
        return;
    }
    const struct snap_proc *p = sim_proc(cs->sm, (size_t)x->proc);
    utc_time(t, x->utc);
    fbuf(s, "UtcTime", FK_STR, t);
    proc_guid(cs, t, x->proc);
    fbuf(s, "ProcessGuid", FK_GUID, t);
    fnum(s, "ProcessId", FK_U32, p->pid);
    fstr(s, "Image", p->image);
    if (x->eid == 5) {
        fstr(s, "User", p->user);
        return;
    }
    const struct vinfo *vi = vinfo_of(p->image);
    char ver[64];
    fstr(s, "FileVersion", vi ? file_version(cs->sc->os, vi, ver) : "-");
    fstr(s, "Description", vi ? vi->description : "-");
    fstr(s, "Product", vi ? "Microsoft\xc2\xae Windows\xc2\xae Operating System" : "-");
    fstr(s, "Company", vi ? "Microsoft Corporation" : "-");
    fstr(s, "OriginalFileName", vi ? vi->original : "-");
    fpct(s, "CommandLine", p->command_line, t);
    fstr(s, "CurrentDirectory", p->cwd ? p->cwd : "C:\\Windows\\system32\\");
    fstr(s, "User", p->user);
    logon_guid(cs, t, p->logon_id);
    fbuf(s, "LogonGuid", FK_GUID, t);
    fnum(s, "LogonId", FK_HEX64, p->logon_id);
    fnum(s, "TerminalSessionId", FK_U32, p->session < 0 ? 0 : (uint64_t)p->session);
    fstr(s, "IntegrityLevel", p->integrity ? p->integrity : "System");
    hashes(cs, t, p->image, 1, ",");
    fbuf(s, "Hashes", FK_STR, t);
    long pi = cs->parent[x->proc];
    if (pi >= 0 && !cs->placeholder[x->proc]) {
        const struct snap_proc *q = sim_proc(cs->sm, (size_t)pi);
        proc_guid(cs, t, pi);
        fbuf(s, "ParentProcessGuid", FK_GUID, t);
        fnum(s, "ParentProcessId", FK_U32, q->pid);
        /* Kernel processes have no image: Sysmon writes the name and '-'
         * (OTRF: smss's ParentImage System, ParentCommandLine '-'). */
        fstr(s, "ParentImage", q->image ? q->image : q->name);
        fpct(s, "ParentCommandLine", q->image ? q->command_line : "-", t);
        fstr(s, "ParentUser", q->user);
    } else {
        /* Sysmon does not know the parent (it exited before Sysmon saw it,
         * or a seeded placeholder record): a zero GUID, the pid, '?'. */
        static const char zero[] = "{00000000-0000-0000-0000-000000000000}";
        s->field(s, "ParentProcessGuid", FK_GUID, zero, sizeof(zero) - 1, 0);
        fnum(s, "ParentProcessId", FK_U32, p->ppid);
        fstr(s, "ParentImage", "?");
        fstr(s, "ParentCommandLine", "?");
        fstr(s, "ParentUser", "-");
    }
}

/* ---- Sysmon XML ------------------------------------------------------------------------ */

struct xml_sink {
    struct sink s;
    struct strbuf *sb;
};

static void xml_field(struct sink *s, const char *name, enum fkind k, const char *str, size_t len,
                      uint64_t num)
{
    struct strbuf *sb = ((struct xml_sink *)s)->sb;
    (void)len;
    sb_adds(sb, "<Data Name=\"");
    sb_adds(sb, name);
    switch (k) {
    case FK_U32:
    case FK_U16:
        sb_adds(sb, "\">");
        sb_addu64(sb, num);
        break;
    case FK_TIME:
        sb_adds(sb, "\">");
        system_time(sb, (int64_t)num);
        break;
    case FK_HEX64:
        sb_adds(sb, "\">");
        hexid(sb, num);
        break;
    default:
        if (!str) {
            sb_adds(sb, "\"/>");
            return;
        }
        sb_adds(sb, "\">");
        corpus_xml_escape(sb, str);
        break;
    }
    sb_adds(sb, "</Data>");
}

static void write_rec_xml(struct corpus_sample *cs, struct strbuf *sb, const struct rec *x)
{
    struct xml_sink xs = {{xml_field}, sb};
    sys_block(cs, sb, x);
    rec_fields(cs, x, &xs.s);
    sb_adds(sb, "</EventData></Event>\n");
}

size_t corpus_write_sysmon(struct corpus_sample *cs, struct strbuf *sb)
{
    for (size_t i = 0; i < cs->nrecs; i++)
        write_rec_xml(cs, sb, &cs->recs[i]);
    return cs->nrecs;
}

/* ---- Sysmon EVTX ---------------------------------------------------------------------- */

/* As Windows stores Sysmon records (../shared/real/evtx): one template for
 * the System block, with the Computer name as literal text and optional
 * substitutions numbered as the real ones, and EventData as a BinXml value
 * holding an instance of a per-event-ID template of <Data Name=...> slots. */
/* The System block's substitution indexes: enum corpus_sys_value (corpus.h). */

#define EVTX_MAX_FIELDS 32

struct evtx_state {
    struct evtxw_tpl *sys;     /* this sample's System template (its host) */
    struct evtxw_tpl *data[6]; /* EventData of Sysmon 1, 5, 13, Kernel-General 12, Sysmon 12, 14 */
    const char *names[6][EVTX_MAX_FIELDS];
    uint8_t kinds[6][EVTX_MAX_FIELDS];
    unsigned nfields[6];
    struct evtxw_vals *outer, *inner;
};

static void evtx_state_free(struct evtx_state *es)
{
    if (!es)
        return;
    evtxw_tpl_free(es->sys);
    for (int i = 0; i < 6; i++)
        evtxw_tpl_free(es->data[i]);
    evtxw_vals_free(es->outer);
    evtxw_vals_free(es->inner);
    free(es);
}

static void sys_elem(struct evtxw_tpl *t, const char *name, unsigned idx, enum evtxw_type type)
{
    evtxw_tpl_open(t, name, (int)idx);
    evtxw_tpl_sub(t, idx, type, 1);
    evtxw_tpl_close(t);
}

void corpus_evtx_system_tpl(struct evtxw_tpl *t, const char *host)
{
    evtxw_tpl_reset(t);
    evtxw_tpl_open(t, "Event", SV_EVENTDATA);
    evtxw_tpl_attr(t, "xmlns", "http://schemas.microsoft.com/win/2004/08/events/event");
    evtxw_tpl_open(t, "System", -1);
    evtxw_tpl_open(t, "Provider", -1);
    evtxw_tpl_attr_sub(t, "Name", SV_PROVIDER, EVTXW_STRING, 1);
    evtxw_tpl_attr_sub(t, "Guid", SV_GUID, EVTXW_GUID, 1);
    evtxw_tpl_close(t);
    evtxw_tpl_open(t, "EventID", SV_EVENTID);
    evtxw_tpl_attr_sub(t, "Qualifiers", SV_QUALIFIERS, EVTXW_UINT16, 1);
    evtxw_tpl_sub(t, SV_EVENTID, EVTXW_UINT16, 1);
    evtxw_tpl_close(t);
    sys_elem(t, "Version", SV_VERSION, EVTXW_UINT8);
    sys_elem(t, "Level", SV_LEVEL, EVTXW_UINT8);
    sys_elem(t, "Task", SV_TASK, EVTXW_UINT16);
    sys_elem(t, "Opcode", SV_OPCODE, EVTXW_UINT8);
    sys_elem(t, "Keywords", SV_KEYWORDS, EVTXW_HEX64);
    evtxw_tpl_open(t, "TimeCreated", -1);
    evtxw_tpl_attr_sub(t, "SystemTime", SV_TIME, EVTXW_FILETIME, 1);
    evtxw_tpl_close(t);
    sys_elem(t, "EventRecordID", SV_RECORDID, EVTXW_UINT64);
    evtxw_tpl_open(t, "Correlation", -1);
    evtxw_tpl_attr_sub(t, "ActivityID", SV_ACTIVITY, EVTXW_GUID, 1);
    evtxw_tpl_attr_sub(t, "RelatedActivityID", SV_RELATED, EVTXW_GUID, 1);
    evtxw_tpl_close(t);
    evtxw_tpl_open(t, "Execution", -1);
    evtxw_tpl_attr_sub(t, "ProcessID", SV_PID, EVTXW_UINT32, 1);
    evtxw_tpl_attr_sub(t, "ThreadID", SV_TID, EVTXW_UINT32, 1);
    evtxw_tpl_close(t);
    sys_elem(t, "Channel", SV_CHANNEL, EVTXW_STRING);
    evtxw_tpl_open(t, "Computer", -1);
    evtxw_tpl_text(t, host ? host : "");
    evtxw_tpl_close(t);
    evtxw_tpl_open(t, "Security", -1);
    evtxw_tpl_attr_sub(t, "UserID", SV_USERID, EVTXW_SID, 1);
    evtxw_tpl_close(t);
    evtxw_tpl_close(t); /* System */
    evtxw_tpl_sub(t, SV_EVENTDATA, EVTXW_BINXML, 1);
    evtxw_tpl_close(t); /* Event */
}

/* The EVTX sink: the first record of an event ID builds its EventData
 * template from the fields as they come; later ones must match it. */
struct evtx_sink {
    struct sink s;
    struct evtx_state *es;
    int k;        /* 0..4 for EID 1, 5, 13, Kernel-General 12, Sysmon 12 */
    int building; /* the template is being built from this record */
    unsigned n;
    int bad;
};

static void evtx_field(struct sink *s, const char *name, enum fkind k, const char *str, size_t len,
                       uint64_t num)
{
    struct evtx_sink *x = (struct evtx_sink *)s;
    struct evtx_state *es = x->es;
    unsigned i = x->n++;
    if (i >= EVTX_MAX_FIELDS) {
        x->bad = 1;
        return;
    }
    static const enum evtxw_type types[] = {
        [FK_STR] = EVTXW_STRING, [FK_U32] = EVTXW_UINT32, [FK_HEX64] = EVTXW_HEX64,
        [FK_GUID] = EVTXW_GUID,  [FK_U16] = EVTXW_UINT16, [FK_TIME] = EVTXW_FILETIME};
    if (x->building) {
        struct evtxw_tpl *t = es->data[x->k];
        evtxw_tpl_open(t, "Data", -1);
        evtxw_tpl_attr(t, "Name", name);
        evtxw_tpl_sub(t, i, types[k], 0);
        evtxw_tpl_close(t);
        es->names[x->k][i] = name;
        es->kinds[x->k][i] = (uint8_t)k;
    } else if (i >= es->nfields[x->k] || es->kinds[x->k][i] != k ||
               (es->names[x->k][i] != name && strcmp(es->names[x->k][i], name))) {
        x->bad = 1;
        return;
    }
    struct evtxw_vals *v = es->inner;
    uint8_t g[16];
    switch (k) {
    case FK_U32: evtxw_val_u32(v, i, (uint32_t)num); break;
    case FK_U16: evtxw_val_u16(v, i, (uint16_t)num); break;
    case FK_TIME: evtxw_val_filetime(v, i, filetime((int64_t)num)); break;
    case FK_HEX64: evtxw_val_hex64(v, i, num); break;
    case FK_GUID:
        if (evtxw_guid_parse(str, len, g) == 0)
            evtxw_val_guid(v, i, g);
        else
            x->bad = 1;
        break;
    default: evtxw_val_str(v, i, str, len); break;
    }
}

static int write_rec_evtx(struct corpus_sample *cs, struct evtxw *w, const struct rec *x,
                          uint64_t *number, struct err *e)
{
    struct evtx_state *es = cs->evtx;
    int k = x->eid == 1               ? 0
            : x->eid == 5             ? 1
            : x->eid == 13            ? 2
            : x->eid == 12            ? 3
            : x->eid == EID_REGRENAME ? 5
                                      : 4;
    struct evtx_sink xs = {{evtx_field}, es, k, !es->data[k], 0, 0};
    if (xs.building) {
        es->data[k] = evtxw_tpl_new();
        evtxw_tpl_open(es->data[k], "EventData", -1);
    }
    evtxw_vals_reset(es->inner, 0);
    rec_fields(cs, x, &xs.s);
    if (xs.building) {
        evtxw_tpl_close(es->data[k]);
        es->nfields[k] = xs.n;
        if (xs.n > EVTX_MAX_FIELDS || evtxw_tpl_done(es->data[k], e) < 0) {
            evtxw_tpl_free(es->data[k]);
            es->data[k] = NULL;
            if (xs.n > EVTX_MAX_FIELDS)
                err_set(e, "evtx: more than %d EventData fields", EVTX_MAX_FIELDS);
            return -1;
        }
    }
    if (xs.bad || xs.n != es->nfields[k]) {
        err_set(e, "evtx: EID %d record %llu does not fit its EventData template", sysmon_eid(x),
                (unsigned long long)x->rid);
        return -1;
    }
    struct corpus_sys h;
    rec_hdr(cs, x, &h);
    struct evtxw_vals *v = es->outer;
    corpus_evtx_system_vals(v, &h, filetime(x->created), x->rid);
    evtxw_val_binxml(v, SV_EVENTDATA, es->data[k], es->inner);
    /* Windows stamps the record when the service writes it: TimeCreated. */
    return evtxw_record(w, filetime(x->created), es->sys, v, number, e);
}

int corpus_write_evtx(struct corpus_sample *cs, struct evtxw *w, struct corpus_loc *loc,
                      struct err *e)
{
    if (!cs->evtx) {
        cs->evtx = xcalloc(1, sizeof(*cs->evtx));
        cs->evtx->sys = evtxw_tpl_new();
        cs->evtx->outer = evtxw_vals_new();
        cs->evtx->inner = evtxw_vals_new();
    }
    corpus_evtx_system_tpl(cs->evtx->sys, cs->computer);
    if (evtxw_tpl_done(cs->evtx->sys, e) < 0)
        return -1;
    loc->lines = 0;
    for (size_t i = 0; i < cs->nrecs; i++) {
        uint64_t num;
        if (write_rec_evtx(cs, w, &cs->recs[i], &num, e) < 0)
            return -1;
        if (!i) {
            loc->line = num;
            loc->first_id = cs->recs[i].rid;
        }
        loc->last_id = cs->recs[i].rid;
        loc->lines++;
    }
    return 0;
}

/* ---- ECS (winlogbeat's Sysmon module) ------------------------------------------------- */

static void ts_ms(struct strbuf *sb, int64_t t)
{
    char iso[WT_ISO_LEN];
    wt_format_iso(t, iso);
    /* "2024-05-01T08:00:03.284512Z" -> "2024-05-01T08:00:03.284Z" */
    sb_addc(sb, '"');
    sb_add(sb, iso, 23);
    sb_adds(sb, "Z\"");
}

struct args_ctx {
    struct strbuf *sb;
    size_t n;
};

static void arg_cb(void *ctx, const char *a, size_t n)
{
    struct args_ctx *c = ctx;
    if (c->n++)
        sb_addc(c->sb, ',');
    jw_strn(c->sb, a, n);
}

static void args(struct strbuf *sb, const char *cmd)
{
    struct args_ctx c = {sb, 0};
    sb_adds(sb, "\"args\":[");
    corpus_split_args(cmd, arg_cb, &c);
    sb_adds(sb, "],\"args_count\":");
    sb_addu64(sb, c.n);
}

/* "DOMAIN\name" -> the two halves. */
static void split_user(const char *u, const char **dom, size_t *dlen, const char **name)
{
    const char *bs = u ? strchr(u, '\\') : NULL;
    *dom = bs ? u : NULL;
    *dlen = bs ? (size_t)(bs - u) : 0;
    *name = bs ? bs + 1 : u;
}

static void winlog_common(const struct corpus_sample *cs, struct strbuf *sb, const struct rec *x)
{
    static const char *const task[] = {[1] = "Process Create (rule: ProcessCreate)",
                                       [5] = "Process terminated (rule: ProcessTerminate)",
                                       [12] =
                                           "Registry object added or deleted (rule: RegistryEvent)",
                                       [13] = "Registry value set (rule: RegistryEvent)",
                                       [14] = "Registry object renamed (rule: RegistryEvent)"};
    static const int version[] = {[1] = 5, [5] = 3, [12] = 2, [13] = 2, [14] = 2};
    int eid = sysmon_eid(x);
    sb_adds(sb, "\"channel\":\"Microsoft-Windows-Sysmon/Operational\"");
    jw_kstr(sb, "computer_name", cs->computer);
    sb_addf(sb,
            ",\"event_id\":\"%d\",\"opcode\":\"Info\",\"process\":{\"pid\":%u,"
            "\"thread\":{\"id\":%u}},\"provider_guid\":"
            "\"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}\","
            "\"provider_name\":\"Microsoft-Windows-Sysmon\",\"record_id\":\"",
            eid, cs->sysmon_pid, cs->sysmon_tid);
    sb_addu64(sb, x->rid);
    sb_addf(sb,
            "\",\"task\":\"%s\",\"user\":{\"domain\":\"NT AUTHORITY\","
            "\"identifier\":\"S-1-5-18\",\"name\":\"SYSTEM\",\"type\":\"Well Known Group\"},"
            "\"version\":%d",
            task[eid], version[eid]);
}

static void user_obj(struct strbuf *sb, const char *user)
{
    const char *dom, *name;
    size_t dl;
    split_user(user, &dom, &dl, &name);
    sb_adds(sb, ",\"user\":{");
    if (dom) {
        sb_adds(sb, "\"domain\":");
        jw_strn(sb, dom, dl);
        sb_addc(sb, ',');
    }
    /* winlogbeat's golden: user.id is the event's Security UserID. */
    sb_adds(sb, "\"id\":\"S-1-5-18\"");
    jw_kstr(sb, "name", name);
    sb_addc(sb, '}');
}

/* The boot record as winlogbeat reads the System channel (the Elastic
 * System integration's system.system data stream: no module fields of its
 * own, winlog.* as for any channel, EventData values as rendered strings). */
static void write_kg12_ecs(struct corpus_sample *cs, struct strbuf *sb, const struct rec *x)
{
    uint32_t v[5];
    os_numbers(cs->sc->os, v);
    sb_adds(sb, "{\"@timestamp\":");
    ts_ms(sb, x->created);
    sb_adds(sb, ",\"ecs\":{\"version\":\"8.17.0\"},\"event\":{\"code\":\"12\","
                "\"dataset\":\"system.system\",\"kind\":\"event\",\"module\":\"system\","
                "\"provider\":\"Microsoft-Windows-Kernel-General\"},\"host\":{");
    jw_key(sb, "name");
    jw_str(sb, cs->computer);
    sb_adds(sb, "},\"log\":{\"level\":\"information\"},\"winlog\":{\"api\":\"wineventlog\","
                "\"channel\":\"System\"");
    jw_kstr(sb, "computer_name", cs->computer);
    sb_addf(sb,
            ",\"event_data\":{\"BootMode\":\"0\",\"BuildVersion\":\"%u\","
            "\"MajorVersion\":\"%u\",\"MinorVersion\":\"%u\",\"QfeVersion\":\"%u\","
            "\"ServiceVersion\":\"%u\",\"StartTime\":\"",
            v[2], v[0], v[1], v[3], v[4]);
    system_time(sb, x->utc);
    sb_adds(sb, "\"},\"event_id\":\"12\",\"opcode\":\"Info\",\"process\":{\"pid\":4,"
                "\"thread\":{\"id\":8}},\"provider_guid\":"
                "\"{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}\","
                "\"provider_name\":\"Microsoft-Windows-Kernel-General\",\"record_id\":\"");
    sb_addu64(sb, x->rid);
    sb_adds(sb, "\",\"user\":{\"domain\":\"NT AUTHORITY\",\"identifier\":\"S-1-5-18\","
                "\"name\":\"SYSTEM\",\"type\":\"Well Known Group\"}}}\n");
}

static void write_rec_ecs(struct corpus_sample *cs, struct strbuf *sb, const struct rec *x)
{
    struct strbuf *t = &cs->tmp;
    if (x->eid == 12) {
        write_kg12_ecs(cs, sb, x);
        return;
    }
    sb_adds(sb, "{\"@timestamp\":");
    ts_ms(sb, x->utc);
    sb_adds(sb, ",\"ecs\":{\"version\":\"8.17.0\"},\"event\":{");
    if (x->eid == 1)
        sb_adds(sb, "\"action\":\"Process creation\",\"category\":[\"process\"],\"code\":\"1\","
                    "\"kind\":\"event\",\"module\":\"sysmon\","
                    "\"provider\":\"Microsoft-Windows-Sysmon\",\"type\":[\"start\"]}");
    else if (x->eid == 5)
        sb_adds(sb, "\"action\":\"Process terminated\",\"category\":[\"process\"],\"code\":\"5\","
                    "\"kind\":\"event\",\"module\":\"sysmon\","
                    "\"provider\":\"Microsoft-Windows-Sysmon\",\"type\":[\"end\"]}");
    else if (x->eid == 13)
        sb_adds(sb, "\"action\":\"Registry value set\",\"category\":[\"configuration\","
                    "\"registry\"],\"code\":\"13\",\"kind\":\"event\",\"module\":\"sysmon\","
                    "\"provider\":\"Microsoft-Windows-Sysmon\",\"type\":[\"change\"]}");
    else if (x->eid == EID_REGRENAME)
        sb_adds(sb, "\"action\":\"Registry object renamed\",\"category\":[\"configuration\","
                    "\"registry\"],\"code\":\"14\",\"kind\":\"event\",\"module\":\"sysmon\","
                    "\"provider\":\"Microsoft-Windows-Sysmon\",\"type\":[\"change\"]}");
    else
        sb_adds(sb, "\"action\":\"Registry object added or deleted\",\"category\":["
                    "\"configuration\",\"registry\"],\"code\":\"12\",\"kind\":\"event\","
                    "\"module\":\"sysmon\",\"provider\":\"Microsoft-Windows-Sysmon\","
                    "\"type\":[\"change\"]}");
    sb_adds(sb, ",\"host\":{");
    jw_key(sb, "name");
    jw_str(sb, cs->computer);
    sb_adds(sb, "},\"log\":{\"level\":\"information\"}");
    if (x->eid == 13 || x->eid == EID_REGKEY || x->eid == EID_REGRENAME) {
        const struct snap_reg *g = &cs->boot.regs[x->reg];
        sb_reset(t);
        writer_guid(cs, t);
        sb_adds(sb, ",\"process\":{\"entity_id\":");
        jw_strn(sb, t->buf, t->len);
        jw_kstr(sb, "executable", cs->writer.image);
        jw_kstr(sb, "name", strrchr(cs->writer.image, '\\') + 1);
        sb_adds(sb, ",\"pid\":");
        sb_addu64(sb, x->writer_pid);
        sb_adds(sb, "},\"registry\":{");
        if (x->eid == 13) {
            sb_adds(sb, "\"data\":{\"strings\":[");
            if (g->type == SNAP_REG_DWORD) {
                /* winlogbeat's Sysmon pipeline turns "DWORD (0x00000001)" into
                 * strings ["1"] of type SZ_DWORD. */
                sb_addf(sb, "\"%u\"],\"type\":\"SZ_DWORD\"", g->dword);
            } else {
                for (uint32_t i = 0; i < g->ndata; i++) {
                    if (i)
                        sb_addc(sb, ',');
                    sb_reset(t);
                    add_pct(t, g->data[i]);
                    jw_strn(sb, t->buf, t->len);
                }
                sb_addc(sb, ']');
            }
            sb_adds(sb, "},");
        }
        /* hive and key split at the first '\\' of the path: HKLM, or HKU
         * with the key starting at the user's SID. */
        sb_reset(t);
        if (x->eid == 13)
            reg_key(t, g->key);
        else
            reg_created_key(cs, t, g->key);
        size_t hl = strcspn(t->buf, "\\");
        jw_key(sb, "hive");
        jw_strn(sb, t->buf, hl);
        jw_kstr(sb, "key", t->buf + hl + (t->buf[hl] != 0));
        if (x->eid == 13) {
            sb_reset(t);
            reg_target(t, g);
        }
        sb_addc(sb, ',');
        jw_key(sb, "path");
        jw_strn(sb, t->buf, t->len);
        if (x->eid == 13)
            jw_kstr(sb, "value", g->name);
        sb_addc(sb, '}');
        user_obj(sb, cs->writer.user);
        sb_adds(sb, ",\"winlog\":{");
        winlog_common(cs, sb, x);
        if (x->eid == EID_REGRENAME) {
            /* No ECS field holds the new name: the event's own fields stay
             * in winlog.event_data, as winlogbeat keeps unmapped ones. */
            sb_adds(sb, ",\"event_data\":{\"EventType\":\"RenameKey\"");
            sb_reset(t);
            reg_key(t, g->key);
            jw_kstr(sb, "NewName", t->buf);
            sb_addc(sb, '}');
        }
        sb_adds(sb, "}}\n");
        return;
    }
    const struct snap_proc *p = sim_proc(cs->sm, (size_t)x->proc);
    sb_adds(sb, ",\"process\":{");
    if (x->eid == 1) {
        sb_reset(t);
        add_pct(t, p->command_line);
        args(sb, t->buf);
        sb_addc(sb, ',');
        jw_key(sb, "command_line");
        jw_strn(sb, t->buf, t->len);
        sb_addc(sb, ',');
    }
    sb_reset(t);
    proc_guid(cs, t, x->proc);
    jw_key(sb, "entity_id");
    jw_strn(sb, t->buf, t->len);
    jw_kstr(sb, "executable", p->image);
    if (x->eid == 1) {
        sb_reset(t);
        hashes(cs, t, p->image, 0, ",");
        /* the parent's fields below reuse t: keep the hashes apart */
        struct strbuf hb = STRBUF_INIT;
        sb_add(&hb, t->buf, t->len);
        sb_addc(&hb, '\0');
        /* t: "sha1:..,md5:..,sha256:..,imphash:.." -> the four values */
        const char *h[4];
        size_t hl[4];
        const char *c = hb.buf;
        for (int k = 0; k < 4; k++) {
            c = strchr(c, ':') + 1;
            h[k] = c;
            hl[k] = strcspn(c, ",");
            c += hl[k];
        }
        sb_adds(sb, ",\"hash\":{\"md5\":");
        jw_strn(sb, h[1], hl[1]);
        sb_adds(sb, ",\"sha1\":");
        jw_strn(sb, h[0], hl[0]);
        sb_adds(sb, ",\"sha256\":");
        jw_strn(sb, h[2], hl[2]);
        sb_addc(sb, '}');
        jw_kstr(sb, "name", basename_of(p));
        long pi = cs->parent[x->proc];
        if (pi >= 0 && cs->placeholder[x->proc]) {
            /* the XML's ParentImage '?' as winlogbeat maps it */
            sb_adds(sb, ",\"parent\":{\"args\":[\"?\"],\"args_count\":1,\"command_line\":\"?\","
                        "\"entity_id\":\"{00000000-0000-0000-0000-000000000000}\","
                        "\"executable\":\"?\",\"name\":\"?\"");
            jw_ku64(sb, "pid", p->ppid);
            sb_addc(sb, '}');
        } else if (pi >= 0) {
            const struct snap_proc *q = sim_proc(cs->sm, (size_t)pi);
            sb_adds(sb, ",\"parent\":{");
            sb_reset(t);
            add_pct(t, q->image ? q->command_line : "-");
            args(sb, t->buf);
            sb_addc(sb, ',');
            jw_key(sb, "command_line");
            jw_strn(sb, t->buf, t->len);
            sb_reset(t);
            proc_guid(cs, t, pi);
            sb_addc(sb, ',');
            jw_key(sb, "entity_id");
            jw_strn(sb, t->buf, t->len);
            jw_kstr(sb, "executable", q->image ? q->image : q->name);
            jw_kstr(sb, "name", snap_proc_basename(q));
            jw_ku64(sb, "pid", q->pid);
            sb_addc(sb, '}');
        }
        const struct vinfo *vi = vinfo_of(p->image);
        if (vi) {
            sb_adds(sb, ",\"pe\":{\"company\":\"Microsoft Corporation\"");
            jw_kstr(sb, "description", vi->description);
            char ver[64];
            jw_kstr(sb, "file_version", file_version(cs->sc->os, vi, ver));
            sb_adds(sb, ",\"imphash\":");
            jw_strn(sb, h[3], hl[3]);
            jw_kstr(sb, "original_file_name", vi->original);
            jw_kstr(sb, "product", "Microsoft\xc2\xae Windows\xc2\xae Operating System");
            sb_addc(sb, '}');
        }
        jw_ku64(sb, "pid", p->pid);
        jw_kstr(sb, "working_directory", p->cwd ? p->cwd : "C:\\Windows\\system32\\");
        sb_adds(sb, "},\"related\":{\"hash\":[");
        for (int k = 0; k < 4; k++) {
            if (k)
                sb_addc(sb, ',');
            jw_strn(sb, h[k], hl[k]);
        }
        sb_adds(sb, "],\"user\":[");
        const char *dom, *name;
        size_t dl;
        split_user(p->user, &dom, &dl, &name);
        jw_str(sb, name);
        sb_adds(sb, "]}");
        sb_release(&hb);
    } else {
        jw_kstr(sb, "name", basename_of(p));
        jw_ku64(sb, "pid", p->pid);
        sb_addc(sb, '}');
    }
    user_obj(sb, p->user);
    sb_adds(sb, ",\"winlog\":{");
    winlog_common(cs, sb, x);
    if (x->eid == 1) {
        const struct vinfo *vi = vinfo_of(p->image);
        sb_adds(sb, ",\"event_data\":{");
        jw_key(sb, "Company");
        jw_str(sb, vi ? "Microsoft Corporation" : "-");
        jw_kstr(sb, "Description", vi ? vi->description : "-");
        char ver[64];
        jw_kstr(sb, "FileVersion", vi ? file_version(cs->sc->os, vi, ver) : "-");
        jw_kstr(sb, "IntegrityLevel", p->integrity ? p->integrity : "System");
        sb_reset(t);
        logon_guid(cs, t, p->logon_id);
        sb_addc(sb, ',');
        jw_key(sb, "LogonGuid");
        jw_strn(sb, t->buf, t->len);
        sb_reset(t);
        hexid(t, p->logon_id);
        sb_addc(sb, ',');
        jw_key(sb, "LogonId");
        jw_strn(sb, t->buf, t->len);
        jw_kstr(sb, "Product", vi ? "Microsoft\xc2\xae Windows\xc2\xae Operating System" : "-");
        sb_addf(sb, ",\"TerminalSessionId\":\"%d\"}", p->session < 0 ? 0 : (int)p->session);
    }
    sb_adds(sb, "}}\n");
}

size_t corpus_write_ecs(struct corpus_sample *cs, struct strbuf *sb)
{
    for (size_t i = 0; i < cs->nrecs; i++)
        write_rec_ecs(cs, sb, &cs->recs[i]);
    return cs->nrecs;
}

/* ---- native and CSV ----------------------------------------------------------------------- */

void corpus_write_native(struct corpus_sample *cs, struct strbuf *sb)
{
    sim_write_json(cs->sm, sb);
}

const char corpus_csv_header[] = "sample_id,snapshot_at,pid,ppid,name,image,command_line,"
                                 "session,user,create_time,exit_time,anomaly\r\n";

static void csv_time(struct strbuf *sb, int64_t t)
{
    if (t == WT_NONE)
        return;
    char iso[WT_ISO_LEN];
    sb_add(sb, iso, wt_format_iso(t, iso));
}

size_t corpus_write_csv(struct corpus_sample *cs, struct strbuf *sb)
{
    size_t rows = 0;
    for (size_t k = 0; k < sim_nsnapshots(cs->sm); k++) {
        int64_t at = sim_snapshot_time(cs->sm, k);
        sim_snapshot(cs->sm, at, &cs->s);
        for (size_t i = 0; i < cs->s.nprocs; i++) {
            const struct snap_proc *p = &cs->s.procs[i];
            sb_addu64(sb, cs->index);
            sb_addc(sb, ',');
            csv_time(sb, at);
            sb_addf(sb, ",%u,%u,", p->pid, p->ppid);
            corpus_csv_field(sb, p->name);
            sb_addc(sb, ',');
            corpus_csv_field(sb, p->image);
            sb_addc(sb, ',');
            corpus_csv_field(sb, p->command_line);
            sb_addc(sb, ',');
            if (p->session != SNAP_NO_SESSION)
                sb_addi64(sb, p->session);
            sb_addc(sb, ',');
            corpus_csv_field(sb, p->user);
            sb_addc(sb, ',');
            csv_time(sb, p->create_time);
            sb_addc(sb, ',');
            csv_time(sb, p->exit_time);
            sb_addc(sb, ',');
            corpus_csv_field(sb, p->anomaly);
            sb_adds(sb, "\r\n");
            rows++;
        }
    }
    return rows;
}

/* As a registry export tool's CSV lists values (RECmd, RegRipper): key,
 * value name, type, data, and the key's last write where known. */
const char corpus_registry_header[] = "sample_id,key,name,type,data,last_write,anomaly\r\n";

static const char *const reg_type_name[] = {"REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD"};

size_t corpus_write_registry(struct corpus_sample *cs, struct strbuf *sb)
{
    /* The first snapshot is the registry as smss finds it at boot (it
     * deletes PendingFileRenameOperations once applied). */
    sim_snapshot(cs->sm, sim_snapshot_time(cs->sm, 0), &cs->s);
    struct strbuf d = STRBUF_INIT;
    size_t rows = 0;
    for (size_t i = 0; i < cs->s.nregs; i++) {
        const struct snap_reg *g = &cs->s.regs[i];
        sb_addu64(sb, cs->index);
        sb_addc(sb, ',');
        corpus_csv_field(sb, g->key);
        sb_addc(sb, ',');
        corpus_csv_field(sb, g->name);
        sb_addc(sb, ',');
        sb_adds(sb, reg_type_name[g->type]);
        sb_addc(sb, ',');
        sb_reset(&d);
        if (g->type == SNAP_REG_DWORD) {
            sb_addf(&d, "%u", g->dword);
        } else {
            /* A REG_MULTI_SZ's entries separated by "\0", as reg.exe writes
             * and reads them (Microsoft, "reg add": /s, "the default separator
             * is \0"), so "autocheck autochk *\0PvsVmBoot" stays two entries. */
            for (uint32_t k = 0; k < g->ndata; k++) {
                if (k)
                    sb_adds(&d, "\\0");
                sb_adds(&d, g->data[k]);
            }
        }
        corpus_csv_field(sb, d.len ? d.buf : "");
        sb_addc(sb, ',');
        csv_time(sb, g->time);
        sb_addc(sb, ',');
        corpus_csv_field(sb, g->anomaly);
        sb_adds(sb, "\r\n");
        rows++;
    }
    sb_release(&d);
    return rows;
}

/* ---- the manifest line ----------------------------------------------------------------------- */

static void dur_str(struct strbuf *sb, const char *key, int64_t d)
{
    char b[64];
    sb_addc(sb, ',');
    jw_key(sb, key);
    if (d == WT_NONE) {
        sb_adds(sb, "null");
        return;
    }
    wt_format_duration(d, b, sizeof(b));
    jw_str(sb, b);
}

static const struct rec *rec_of(const struct corpus_sample *cs, int eid, long proc, long reg)
{
    for (size_t i = 0; i < cs->nrecs; i++) {
        const struct rec *x = &cs->recs[i];
        if (x->eid == eid && x->proc == proc && x->reg == reg)
            return x;
    }
    return NULL;
}

/* ,"record_ids":[create, exit] of process i: the Sysmon 1 and 5 records. */
static void write_record_ids(const struct corpus_sample *cs, struct strbuf *sb, long i)
{
    const struct rec *c = rec_of(cs, 1, i, -1), *e = rec_of(cs, 5, i, -1);
    sb_adds(sb, ",\"record_ids\":[");
    if (c)
        sb_addu64(sb, c->rid);
    if (e) {
        if (c)
            sb_addc(sb, ',');
        sb_addu64(sb, e->rid);
    }
    sb_addc(sb, ']');
}

static void write_params(struct corpus_sample *cs, struct strbuf *sb)
{
    const struct scn *sc = cs->sc;
    sb_adds(sb, ",\"params\":{\"sessions\":[");
    for (size_t i = 0; i < sc->nsessions; i++) {
        const struct scn_session *s = &sc->sessions[i];
        if (i)
            sb_addc(sb, ',');
        sb_adds(sb, "{\"id\":");
        sb_addi64(sb, s->id);
        jw_kstr(sb, "kind", s->kind == SCN_SESS_RDP ? "rdp" : "console");
        jw_kstr(sb, "user", s->user);
        dur_str(sb, "logon", s->logon);
        dur_str(sb, "logoff", s->logoff);
        sb_addc(sb, '}');
    }
    sb_adds(sb, "],\"options\":{");
    sb_adds(sb, "\"rdp_termsvcs_parent\":");
    sb_adds(sb, sc->opt.rdp_termsvcs_parent ? "true" : "false");
    jw_kbool(sb, "special_session", sc->opt.special_session);
    sb_adds(sb, ",\"win11_child_line\":");
    sb_adds(sb, sc->opt.win11_child_line < 0 ? "null"
                : sc->opt.win11_child_line   ? "true"
                                             : "false");
    jw_kbool(sb, "pid_reuse", sc->opt.pid_reuse);
    jw_kstr(sb, "shared_section", sc->opt.shared_section);
    sb_adds(sb, ",\"credential_guard\":");
    sb_adds(sb, sc->opt.credential_guard < 0 ? "null"
                : sc->opt.credential_guard   ? "true"
                                             : "false");
    jw_kbool(sb, "vendor_bootexecute", sc->opt.vendor_bootexecute);
    sb_adds(sb, "},\"snapshots\":[");
    for (size_t k = 0; k < sim_nsnapshots(cs->sm); k++) {
        if (k)
            sb_addc(sb, ',');
        jw_time(sb, sim_snapshot_time(cs->sm, k));
    }
    sb_adds(sb, "]}");
}

static void write_label(struct corpus_sample *cs, struct strbuf *sb, size_t li, unsigned formats)
{
    const struct snap_label *l = &cs->boot.labels[li];
    const struct scn_anomaly *an = li < cs->sc->nanomalies ? &cs->sc->anomalies[li] : NULL;
    sb_addc(sb, '{');
    jw_key(sb, "id");
    jw_str(sb, l->id);
    jw_kstr(sb, "type", l->type);
    jw_kstr(sb, "technique", l->technique);
    sb_adds(sb, ",\"rules\":[");
    for (uint32_t k = 0; k < l->nrules; k++) {
        if (k)
            sb_addc(sb, ',');
        jw_str(sb, l->rules[k]);
    }
    sb_adds(sb, "],\"params\":{");
    for (size_t k = 0; an && k < an->nparams; k++) {
        if (k)
            sb_addc(sb, ',');
        jw_str(sb, an->params[k].key);
        sb_addc(sb, ':');
        jw_str(sb, an->params[k].value);
    }
    sb_adds(sb, "},\"target\":");
    if (l->reg_key) {
        sb_adds(sb, "{\"registry\":{");
        jw_key(sb, "key");
        jw_str(sb, l->reg_key);
        jw_kstr(sb, "name", l->reg_name);
        sb_adds(sb, "}}");
    } else if (l->pid) {
        sb_adds(sb, "{\"pid\":");
        sb_addu64(sb, l->pid);
        jw_ktime(sb, "create_time", l->create_time);
        sb_addc(sb, '}');
    } else {
        sb_adds(sb, "null");
    }
    /* Everything the anomaly touched, with the records that show it. */
    sb_adds(sb, ",\"processes\":[");
    size_t n = 0;
    for (size_t i = 0; i < sim_nprocs(cs->sm); i++) {
        const struct snap_proc *p = sim_proc(cs->sm, i);
        if (!p->anomaly || strcmp(p->anomaly, l->id))
            continue;
        if (n++)
            sb_addc(sb, ',');
        sb_adds(sb, "{\"pid\":");
        sb_addu64(sb, p->pid);
        jw_ktime(sb, "create_time", p->create_time);
        jw_kstr(sb, "name", p->name);
        write_record_ids(cs, sb, (long)i);
        uint64_t sid[2];
        int ns = formats & (CORPUS_SECXML | CORPUS_SECEVTX)
                     ? corpus_security_record_ids(cs, (long)i, sid)
                     : -1;
        if (ns >= 0) {
            /* The Security log numbers its own records: 4688, then 4689. */
            sb_adds(sb, ",\"security_record_ids\":[");
            for (int k = 0; k < ns; k++) {
                if (k)
                    sb_addc(sb, ',');
                sb_addu64(sb, sid[k]);
            }
            sb_addc(sb, ']');
        }
        sb_addc(sb, '}');
    }
    sb_adds(sb, "],\"registry\":[");
    n = 0;
    for (size_t i = 0; i < cs->boot.nregs; i++) {
        const struct snap_reg *g = &cs->boot.regs[i];
        if (!g->anomaly || strcmp(g->anomaly, l->id))
            continue;
        if (n++)
            sb_addc(sb, ',');
        sb_addc(sb, '{');
        jw_key(sb, "key");
        jw_str(sb, g->key);
        jw_kstr(sb, "name", g->name);
        const struct rec *rs[] = {rec_of(cs, EID_REGKEY, -1, (long)i),
                                  rec_of(cs, EID_REGRENAME, -1, (long)i),
                                  rec_of(cs, 13, -1, (long)i)};
        sb_adds(sb, ",\"record_ids\":[");
        for (size_t k = 0, m = 0; k < ARRAY_SIZE(rs); k++)
            if (rs[k]) {
                if (m++)
                    sb_addc(sb, ',');
                sb_addu64(sb, rs[k]->rid);
            }
        sb_adds(sb, "]}");
    }
    sb_adds(sb, "],\"events\":[");
    n = 0;
    for (size_t i = 0; i < sim_nevents(cs->sm); i++) {
        const struct sim_event *ev = sim_event(cs->sm, i);
        if (!ev->anomaly || (size_t)ev->anomaly - 1 != li)
            continue;
        if (n++)
            sb_addc(sb, ',');
        sb_addu64(sb, i);
    }
    sb_adds(sb, "]}");
}

/* The benign look-alikes of the sample (docs/fidelity.md, points 13 and 15):
 * processes every real host runs that naive rules flag, and the records
 * Sysmon writes with ParentImage '?'. A detector that fires on them makes a
 * known false positive. */
static void write_benign(struct corpus_sample *cs, struct strbuf *sb)
{
    size_t n = 0;
    for (size_t i = 0; i < sim_nprocs(cs->sm); i++) {
        const struct snap_proc *p = sim_proc(cs->sm, i);
        const char *why = sim_proc_noise(cs->sm, i);
        const char *kinds[2] = {why, cs->placeholder[i] ? "sysmon-parent-unknown" : NULL};
        for (int k = 0; k < 2; k++) {
            if (!kinds[k])
                continue;
            if (n++)
                sb_addc(sb, ',');
            sb_adds(sb, "{\"kind\":");
            jw_str(sb, kinds[k]);
            jw_ku64(sb, "pid", p->pid);
            jw_ktime(sb, "create_time", p->create_time);
            jw_kstr(sb, "name", p->name);
            write_record_ids(cs, sb, (long)i);
            sb_addc(sb, '}');
        }
    }
}

void corpus_write_manifest(struct corpus_sample *cs, struct strbuf *sb, unsigned formats,
                           const struct corpus_loc loc[CORPUS_NFORMATS])
{
    const struct scn *sc = cs->sc;
    sb_adds(sb, "{\"sample\":");
    sb_addu64(sb, cs->index);
    jw_ku64(sb, "seed", sc->seed);
    jw_kstr(sb, "os", scn_os_name(sc->os));
    jw_kstr(sb, "host", sc->host);
    jw_kstr(sb, "domain", sc->domain);
    jw_kstr(sb, "dns_domain", sc->dns_domain);
    jw_ktime(sb, "boot_time", sim_boot_time(cs->sm));
    jw_ktime(sb, "end_time", sim_end_time(cs->sm));
    write_params(cs, sb);
    sb_adds(sb, ",\"anomalies\":[");
    for (size_t i = 0; i < cs->boot.nlabels; i++) {
        if (i)
            sb_addc(sb, ',');
        write_label(cs, sb, i, formats);
    }
    sb_adds(sb, "],\"benign\":[");
    write_benign(cs, sb);
    sb_adds(sb, "],\"files\":{");
    int first = 1;
    for (unsigned f = 0; f < CORPUS_NFORMATS; f++) {
        if (!(formats & (1u << f)))
            continue;
        if (!first)
            sb_addc(sb, ',');
        first = 0;
        jw_str(sb, corpus_format_name(f));
        sb_adds(sb, ":{");
        jw_key(sb, "file");
        jw_str(sb, loc[f].file);
        if (1u << f == CORPUS_EVTX || 1u << f == CORPUS_SECEVTX) {
            /* Record numbers count 1, 2, ... through the file (as in an
             * exported log); EventRecordIDs are the sample's own. */
            jw_ku64(sb, "record", loc[f].line);
            jw_ku64(sb, "records", loc[f].lines);
            jw_ku64(sb, "first_record_id", loc[f].first_id);
            jw_ku64(sb, "last_record_id", loc[f].last_id);
        } else if (1u << f == CORPUS_HIVE) {
            /* file is the sample's folder; each hive is a whole file. */
            sb_adds(sb, ",\"system\":");
            sb_reset(&cs->tmp);
            sb_addf(&cs->tmp, "%s/SYSTEM", loc[f].file);
            jw_str(sb, cs->tmp.buf);
            sb_adds(sb, ",\"software\":");
            sb_reset(&cs->tmp);
            sb_addf(&cs->tmp, "%s/SOFTWARE", loc[f].file);
            jw_str(sb, cs->tmp.buf);
        } else if (1u << f == CORPUS_SECXML) {
            jw_ku64(sb, "line", loc[f].line);
            jw_ku64(sb, "lines", loc[f].lines);
            jw_ku64(sb, "first_record_id", loc[f].first_id);
            jw_ku64(sb, "last_record_id", loc[f].last_id);
        } else {
            jw_ku64(sb, "line", loc[f].line);
            jw_ku64(sb, "lines", loc[f].lines);
        }
        sb_addc(sb, '}');
    }
    sb_adds(sb, "}}\n");
}
