/*
 * kb: the core processes, one row each -- what the checker allows (folders,
 * parents, children, sessions, instances, start, priority, integrity) and,
 * for the processes the lessons teach, the profile card in the order the
 * SANS Hunt Evil poster uses. The checker's rules, `explain`, teach's report
 * and docs/processes.md all read these rows; adding a core process is a row
 * here plus its tests (docs/kb.md). The carded rows come first, in the order
 * the cards are taught.
 *
 * Sources: ../shared/domain.md section 2; SANS Hunt Evil poster; 13cubed
 * Windows Process Genealogy v2; ReactOS base/system/smss; Volatility 2
 * malprocfind (the late thresholds: wininit/services 45 s, lsass/csrss 60 s
 * after the master smss); MemProcFS FindEvil; Elastic's Unusual Parent-Child
 * Relationship (the smaller processes' parents); attribute values from
 * public Sysmon boots (OTRF Security-Datasets, sbousseaden/EVTX-ATTACK-SAMPLES).
 */
#include "kb.h"

#include <stdio.h>
#include <string.h>

#include "../core/util.h"
#include "../core/wtime.h"

#define SYS32 "\\windows\\system32"
/* services.exe and lsass.exe: wininit starts both in session 0, as SYSTEM
 * at priority 9, and outlives them; malware borrows both names. */
#define KB_WININIT_SERVER                                                                \
    .dirs = SYS32, .parents = "wininit.exe", .lasting_parent = 1, .where = KB_SESS_ZERO, \
    .priority = 9, .priority_fixed = 1, .system_integrity = 1, .lookalike = 1

const struct kb_proc kb_procs[] = {
    {.name = "System",
     .children = "smss.exe|Registry|MemCompression|Memory Compression|Secure System|HotPatch",
     .priority = 8,
     .image = "none (the kernel, ntoskrnl.exe)",
     .parent = "none (Idle, PID 0)",
     .instances = "exactly one, PID 4",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "none",
     .start = "at boot",
     .cmdline = "none",
     .does = "the kernel's own process: system threads and kernel handles. It starts smss.exe "
             "and the minimal processes Registry, MemCompression and Secure System.",
     .unusual = "a PID other than 4, an image path, a parent, a second System."},
    {.name = "Registry",
     .parents = "System",
     .priority = 8,
     .image = "none (a minimal process)",
     .parent = "System",
     .instances = "one (Windows 10 1803 and later)",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "none",
     .start = "just before smss.exe",
     .cmdline = "none",
     .does = "holds the registry hives in memory.",
     .unusual = "an image file, a parent other than System."},
    {.name = "smss.exe",
     .dirs = SYS32,
     .parents = "System|smss.exe",
     .lasting_parent = 1,
     /* Elastic's Unusual Parent-Child Relationship also allows the
      * third-party BootExecute programs real estates run (PVS, Sophos,
      * Omnissa, icarus); a lesson, not an attack. */
     .children = "smss.exe|autochk.exe|setupcl.exe|poqexec.exe|wpbbin.exe|WerFault.exe|"
                 "csrss.exe|wininit.exe|winlogon.exe|PvsVmBoot.exe|SophosNA.exe|"
                 "omnissa-ic-nga.exe|icarus_rvrt.exe",
     .system_integrity = 1,
     .lookalike = 1,
     .priority = 11,
     .priority_fixed = 1,
     .image = "%SystemRoot%\\System32\\smss.exe",
     .parent = "System (PID 4) for the master; the master for each per-session child",
     .instances = "one master that stays; one child per new session that exits within "
                  "milliseconds",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "none for the master; the new session for a child",
     .start = "seconds after boot (the first user-mode process); a child at each session's "
              "creation, RDP logons included",
     .cmdline = "\\SystemRoot\\System32\\smss.exe; a child adds two 8-digit hex numbers and a "
                "space (Windows 11 may add winlogon.exe {GUID})",
     .does = "the Session Manager: runs BootExecute (autochk), applies "
             "PendingFileRenameOperations, maps KnownDLLs, creates page files, DOS devices and "
             "the system environment, then starts each session's csrss.exe and wininit.exe "
             "(session 0) or winlogon.exe (session 1 and up) through a child that exits.",
     .unusual = "a parent other than System or the master, more than one running master, a "
                "child that does not exit, a path outside System32, a user other than SYSTEM, "
                "unexpected children, SubSystems or BootExecute entries."},
    {.name = "autochk.exe",
     .dirs = SYS32,
     .parents = "smss.exe",
     .children = "chkdsk.exe|doskey.exe|WerFault.exe",
     .priority = 8,
     .image = "%SystemRoot%\\System32\\autochk.exe",
     .parent = "smss.exe (from BootExecute: autocheck autochk *)",
     .instances = "one, before any session exists; it exits",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "none",
     .start = "at boot, before csrss",
     .cmdline = "\\??\\C:\\Windows\\system32\\autochk.exe *",
     .does = "checks disks (chkdsk) before Windows mounts them.",
     .unusual = "another parent, running after boot."},
    {.name = "csrss.exe",
     .dirs = SYS32,
     .parents = "smss.exe",
     .children = "conhost.exe|WerFault.exe|WerFaultSecure.exe|wermgr.exe|ngentask.exe",
     .priority = 13,
     .priority_fixed = 1,
     .system_integrity = 1,
     .per_session = 1,
     .rdp_parent = 1,
     .late = 60 * WT_SEC,
     .lookalike = 1,
     .image = "%SystemRoot%\\System32\\csrss.exe",
     .parent = "a per-session smss.exe child that has exited: no living parent (RDP sessions may "
               "record the Terminal Services svchost)",
     .instances = "one per session (two at boot: sessions 0 and 1)",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "each session, 0 and up",
     .start = "at boot and at each session's creation",
     .cmdline = "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows "
                "SharedSection=1024,20480,768 Windows=On SubSystemType=Windows "
                "ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "
                "ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16",
     .does = "the user-mode half of the Windows subsystem: process and thread bookkeeping, "
             "shutdown, and (before Windows 7) console windows.",
     .unusual = "a living parent, a second csrss in one session, a path outside System32, a "
                "user other than SYSTEM, an extra ServerDll."},
    {.name = "wininit.exe",
     .dirs = SYS32,
     .parents = "smss.exe",
     .where = KB_SESS_ZERO,
     .late = 45 * WT_SEC,
     .lookalike = 1,
     .children = "services.exe|lsass.exe|LsaIso.exe|fontdrvhost.exe|lsm.exe|WerFault.exe|"
                 "LogonUI.exe|dwm.exe",
     .priority = 13,
     .priority_fixed = 1,
     .system_integrity = 1,
     .image = "%SystemRoot%\\System32\\wininit.exe",
     .parent = "the session-0 smss.exe child, which has exited: no living parent",
     .instances = "one",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "0",
     .start = "at boot (within 45 s of the master smss)",
     .cmdline = "wininit.exe",
     .does = "session 0's initialisation: starts services.exe, lsass.exe, LsaIso.exe (with "
             "Credential Guard), fontdrvhost.exe (Windows 10) or lsm.exe (Windows 7).",
     .unusual = "a living parent, a second wininit, a session other than 0, children beyond "
                "its own."},
    {.name = "winlogon.exe",
     .dirs = SYS32,
     .parents = "smss.exe",
     .where = KB_SESS_USER,
     .per_session = 1,
     .rdp_parent = 1,
     .late = 60 * WT_SEC,
     .lookalike = 1,
     /* Real boots (../shared/real: Windows 10 Sysmon, OTRF) show userinit,
      * LogonUI, dwm, AtBroker; fontdrvhost, mpnotify, wlrmdr, WerFault and
      * the accessibility programs started at the logon screen are
      * Windows's own (SANS Hunt Evil; SigmaHQ's sticky-key rule names the
      * shells that are not). A screen saver (.scr) is handled in code. */
     .children = "userinit.exe|LogonUI.exe|dwm.exe|fontdrvhost.exe|AtBroker.exe|mpnotify.exe|"
                 "wlrmdr.exe|WerFault.exe|WerFaultSecure.exe|rdpclip.exe|TSTheme.exe|"
                 "sethc.exe|utilman.exe|osk.exe|Magnify.exe|Narrator.exe|DisplaySwitch.exe",
     .priority = 13,
     .priority_fixed = 1,
     .system_integrity = 1,
     .image = "%SystemRoot%\\System32\\winlogon.exe",
     .parent = "its session's smss.exe child, which has exited: no living parent",
     .instances = "one per interactive session",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "1 and up (each RDP or fast-user-switch logon gets a new one)",
     .start = "at boot for session 1; with each new session",
     .cmdline = "winlogon.exe",
     .does = "logon and logoff: the secure attention sequence (Ctrl+Alt+Del), LogonUI.exe, the "
             "user's profile, then userinit.exe (the Userinit value), dwm.exe and "
             "fontdrvhost.exe; the accessibility programs at the logon screen.",
     .unusual = "a living parent, session 0, a shell as a child (the sticky-keys backdoor), "
                "Shell or Userinit values beyond explorer.exe and userinit.exe."},
    {.name = "services.exe",
     KB_WININIT_SERVER,
     .late = 45 * WT_SEC,
     .image = "%SystemRoot%\\System32\\services.exe",
     .parent = "wininit.exe",
     .instances = "one",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "0",
     .start = "at boot (within 45 s of the master smss)",
     .cmdline = "C:\\Windows\\system32\\services.exe",
     .does = "the Service Control Manager: starts the services of "
             "HKLM\\SYSTEM\\CurrentControlSet\\Services (svchost.exe hosts, spoolsv.exe, vendor "
             "services).",
     .unusual = "another parent, a second instance, a shell or script host as a child "
                "(PsExec-style services, getsystem), a program planted in an unquoted path."},
    {.name = "lsass.exe",
     KB_WININIT_SERVER,
     .children = "WerFault.exe|efsui.exe",
     .late = 60 * WT_SEC,
     .image = "%SystemRoot%\\System32\\lsass.exe",
     .parent = "wininit.exe",
     .instances = "one",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "0",
     .start = "at boot (within 60 s of the master smss)",
     .cmdline = "C:\\Windows\\system32\\lsass.exe",
     .does = "the Local Security Authority: logons, tokens, security policy and password "
             "changes, through the authentication, security and notification packages listed "
             "under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa.",
     .unusual = "another parent, a second lsass, children (WerFault for a crash only), anything "
                "that reads its memory, packages Windows does not ship, RunAsPPL or Credential "
                "Guard turned off."},
    {.name = "LsaIso.exe",
     .dirs = SYS32,
     .lookalike = 1,
     .lasting_parent = 1,
     .parents = "wininit.exe",
     .image = "%SystemRoot%\\System32\\LsaIso.exe",
     .parent = "wininit.exe",
     .instances = "none, or one with Credential Guard",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "0",
     .start = "at boot, beside lsass.exe",
     .cmdline = "\\??\\C:\\Windows\\system32\\lsaiso.exe",
     .does = "Credential Guard's isolated LSA, in virtualization-based security: it keeps the "
             "secrets lsass would otherwise hold.",
     .unusual = "another parent, more than one, running where LsaCfgFlags is 0 (Credential "
                "Guard off), missing where Credential Guard is configured."},
    /* Elastic's list: services starts every svchost; Defender and svchost
     * itself may too. */
    {.name = "svchost.exe",
     .dirs = SYS32 "|\\windows\\syswow64",
     .lookalike = 1,
     .parents = "services.exe|svchost.exe|MsMpEng.exe",
     .priority = 8,
     .image = "%SystemRoot%\\System32\\svchost.exe (SysWOW64 for 32-bit services)",
     .parent = "services.exe",
     .instances = "many",
     .user = "SYSTEM, LOCAL SERVICE or NETWORK SERVICE; per-user services run as their user",
     .session = "0 (per-user services: the user's session)",
     .start = "at boot and whenever a service starts",
     .cmdline = "C:\\Windows\\system32\\svchost.exe -k <group> [-p] [-s <service>]",
     .does = "hosts service DLLs: -k names the group (HKLM\\SOFTWARE\\Microsoft\\Windows "
             "NT\\CurrentVersion\\Svchost) whose services it runs.",
     .unusual = "another parent, no -k, a path outside System32/SysWOW64, a person's account in "
                "session 0, a misspelt name (scvhost.exe)."},
    {.name = "fontdrvhost.exe",
     .dirs = SYS32,
     .parents = "wininit.exe|winlogon.exe|dwm.exe",
     .priority = 8,
     .image = "%SystemRoot%\\System32\\fontdrvhost.exe",
     .parent = "wininit.exe (session 0) or winlogon.exe (sessions 1 and up)",
     .instances = "one per session (Windows 10 and later)",
     .user = "Font Driver Host\\UMFD-N (N = the session)",
     .session = "each session",
     .start = "with wininit / winlogon",
     .cmdline = "\"fontdrvhost.exe\"",
     .does = "the user-mode font driver host: parses fonts outside the kernel, in an "
             "AppContainer.",
     .unusual = "another parent or account."},
    /* The smaller core processes: parents as Elastic's Unusual Parent-Child
     * Relationship lists them (CORE-PARENT). */
    /* Windows 7 starts dwm from a service: the Desktop Window Manager
     * Session Manager (UxSms, uxsms.dll in svchost -k
     * LocalSystemNetworkRestricted; HowToGeek, "Desktop Window Manager";
     * stopping the service ends dwm.exe), Windows 8 and later from
     * winlogon (kb/oses.def: dwm_under_winlogon). */
    {.name = "dwm.exe",
     .dirs = SYS32,
     .parents = "wininit.exe|winlogon.exe|dwm.exe",
     .parents_win7 = "svchost.exe",
     .priority = 13,
     .image = "%SystemRoot%\\System32\\dwm.exe",
     .parent = "winlogon.exe (Windows 7: svchost.exe, the Desktop Window Manager Session "
               "Manager service)",
     .instances = "one per interactive session",
     .user = "Window Manager\\DWM-N (N = the session); Windows 7: the user",
     .session = "1 and up",
     .start = "with winlogon",
     .cmdline = "\"dwm.exe\"",
     .does = "the Desktop Window Manager: composes the windows of the session's desktop.",
     .unusual = "another parent or account, a path outside System32."},
    {.name = "LogonUI.exe",
     .dirs = SYS32,
     .parents = "wininit.exe|winlogon.exe",
     .priority = 13,
     .image = "%SystemRoot%\\System32\\LogonUI.exe",
     .parent = "winlogon.exe (wininit.exe shows the Windows 7 shutdown screen)",
     .instances = "one while the logon, lock or shutdown screen is shown; it exits after logon "
                  "and unlock",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "1 and up",
     .start = "at the logon screen",
     .cmdline = "\"LogonUI.exe\" /flags:0x2 /state0:0xa3...55 /state1:0x41c64e6d (Windows 10 "
                "logon screen; /flags:0x0 locked, /flags:0x4 at shutdown; Windows 7 no /state)",
     .does = "the logon screen and the credential providers.",
     .unusual = "another parent, a long-lived one after logon."},
    /* userinit runs the Winlogon Shell (explorer.exe) and exits; proquota
     * when profile quotas are on; logon scripts of the user's AD account
     * (scriptPath) run under it too (checked in code). */
    {.name = "userinit.exe",
     .dirs = SYS32,
     .lookalike = 1,
     .children = "explorer.exe|proquota.exe",
     .parents = "winlogon.exe|dwm.exe|KUsrInit.exe",
     .priority = 8,
     .image = "%SystemRoot%\\System32\\userinit.exe",
     .parent = "winlogon.exe",
     .instances = "one per logon, for seconds: it exits",
     .user = "the user who logged on",
     .session = "the user's session (1 and up)",
     .start = "at logon",
     .cmdline = "C:\\Windows\\system32\\userinit.exe",
     .does = "runs the user's logon scripts, restores network connections, starts the Shell "
             "(explorer.exe) and exits.",
     .unusual = "another parent, running as SYSTEM, children other than the shell and logon "
                "scripts, still running long after logon."},
    {.name = "explorer.exe",
     .dirs = "\\windows|\\windows\\syswow64",
     .lookalike = 1,
     .priority = 8,
     .image = "%SystemRoot%\\explorer.exe",
     .parent = "userinit.exe, which has exited: no living parent",
     .instances = "one shell per logon; folder windows in their own process "
                  "(explorer.exe /factory,{...} -Embedding, started by svchost) are extra",
     .user = "the user who logged on to that session, never SYSTEM",
     .session = "the user's session",
     .start = "at logon",
     .cmdline = "C:\\Windows\\Explorer.EXE",
     .does = "the user's shell: desktop, taskbar, Start menu, file windows.",
     .unusual = "running as SYSTEM or as another user than the session's, a path outside "
                "C:\\Windows, a parent that is not userinit, a second bare explorer.exe beside "
                "the shell (a hollowed copy), network connections of its own."},
    {.name = "lsm.exe", .dirs = SYS32, .parents = "wininit.exe"},
    {.name = "spoolsv.exe", .dirs = SYS32, .parents = "services.exe|Workplace Starter.exe"},
    {.name = "taskhost.exe",
     .dirs = SYS32,
     .parents = "services.exe|svchost.exe|ngentask.exe",
     .children = "WerFault.exe|wermgr.exe|WerFaultSecure.exe|conhost.exe|ngentask.exe"},
    {.name = "SearchProtocolHost.exe",
     .dirs = SYS32,
     .parents = "SearchIndexer.exe|dllhost.exe",
     .children = "WerFault.exe|wermgr.exe|WerFaultSecure.exe|conhost.exe|ngentask.exe"},
    {.name = "conhost.exe",
     .dirs = SYS32,
     .children = "mscorsvw.exe|wermgr.exe|WerFault.exe|WerFaultSecure.exe"},
    {.name = "wermgr.exe",
     .dirs = SYS32 "|\\windows\\syswow64",
     .children = "WerFaultSecure.exe|wermgr.exe|WerFault.exe"},
    {.name = "taskhostw.exe", .dirs = SYS32, .parents = "services.exe|svchost.exe"},
    {.name = "dllhost.exe",
     .dirs = SYS32 "|\\windows\\syswow64",
     .parents = "services.exe|svchost.exe"},
    /* The Shell Infrastructure Host of a user's session comes from a
     * service (the User Manager's svchost). */
    {.name = "sihost.exe", .dirs = SYS32, .parents = "svchost.exe"},
    {.name = "RuntimeBroker.exe",
     .dirs = SYS32,
     .parents = "svchost.exe|Workplace Container Helper.exe"},
    {.name = "SearchIndexer.exe", .dirs = SYS32, .parents = "services.exe"},
    {.name = "WmiPrvSE.exe",
     .dirs = SYS32 "\\wbem|\\windows\\syswow64\\wbem",
     .parents = "svchost.exe"},
    {.name = "MemCompression", .parents = "System"},
};
const size_t kb_nprocs = ARRAY_SIZE(kb_procs);

int kb_proc_index(const char *name)
{
    if (!name)
        return -1;
    /* The checker asks this for every process of every snapshot and every
     * rule: the rows are found by length and first letter (a table built
     * once), and only a row that passes both is compared. */
    static uint8_t len[64];
    static char first[64];
    static int built;
    if (!built) {
        for (size_t i = 0; i < kb_nprocs && i < sizeof(len); i++) {
            size_t n = strlen(kb_procs[i].name);
            len[i] = (uint8_t)(n < UINT8_MAX ? n : UINT8_MAX);
            first[i] = ascii_lower(kb_procs[i].name[0]);
        }
        built = 1;
    }
    size_t n = strnlen(name, UINT8_MAX);
    char f = ascii_lower(*name);
    for (size_t i = 0; i < kb_nprocs; i++)
        if ((i >= sizeof(len) || (len[i] == n && first[i] == f)) &&
            !ascii_casecmp(name, kb_procs[i].name))
            return (int)i;
    return -1;
}

const struct kb_proc *kb_card_find(const char *name)
{
    if (!name)
        return NULL;
    size_t n = strlen(name);
    for (size_t i = 0; i < kb_nprocs; i++) {
        const char *k = kb_procs[i].name;
        if (!kb_procs[i].does)
            continue;
        if (!ascii_casecmp(k, name))
            return &kb_procs[i];
        /* "smss" for "smss.exe" */
        if (!ascii_ncasecmp(k, name, n) && !ascii_casecmp(k + n, ".exe"))
            return &kb_procs[i];
    }
    return NULL;
}

const struct kb_proc *kb_card_at(size_t k)
{
    for (size_t i = 0; i < kb_nprocs; i++)
        if (kb_procs[i].does && !k--)
            return &kb_procs[i];
    return NULL;
}

const char *kb_proc_priority(const struct kb_proc *p, char buf[16])
{
    if (!p->priority)
        return "-";
    snprintf(buf, 16, "%d", p->priority);
    return buf;
}

static const char *const labels[] = {"image", "parent",   "instances", "user", "session",
                                     "start", "priority", "command",   "does", "unusual"};

static const char *field(const struct kb_proc *p, size_t i, char buf[16])
{
    const char *v[] = {p->image,
                       p->parent,
                       p->instances,
                       p->user,
                       p->session,
                       p->start,
                       kb_proc_priority(p, buf),
                       p->cmdline,
                       p->does,
                       p->unusual};
    return v[i];
}

void kb_proc_text(struct strbuf *sb, const struct kb_proc *p)
{
    char buf[16];
    sb_addf(sb, "%s\n", p->name);
    for (size_t i = 0; i < ARRAY_SIZE(labels); i++)
        sb_addf(sb, "  %-10s %s\n", labels[i], field(p, i, buf));
}

void kb_procs_markdown(struct strbuf *sb)
{
    sb_adds(sb, "# Core processes\n\n"
                "Generated by `smsslab explain --cards` from kb/kb.c; do not edit by hand (a "
                "test compares\nthis file with the output). `smsslab explain PROCESS` prints "
                "one card and then the\nchecker's rules for that process. Sources: SANS Hunt Evil "
                "poster; 13cubed\nWindows Process Genealogy v2; ReactOS base/system/smss; "
                "Volatility 2 malprocfind;\nMemProcFS FindEvil; public Sysmon boots (OTRF "
                "Security-Datasets,\nsbousseaden/EVTX-ATTACK-SAMPLES).\n");
    char buf[16];
    const struct kb_proc *p;
    for (size_t k = 0; (p = kb_card_at(k)) != NULL; k++) {
        sb_addf(sb, "\n## %s\n\n| | |\n|---|---|\n", p->name);
        for (size_t i = 0; i < ARRAY_SIZE(labels); i++) {
            sb_addf(sb, "| %s | ", labels[i]);
            for (const char *c = field(p, i, buf); *c; c++) {
                if (*c == '|')
                    sb_adds(sb, "\\|");
                else
                    sb_addc(sb, *c);
            }
            sb_adds(sb, " |\n");
        }
    }
}
