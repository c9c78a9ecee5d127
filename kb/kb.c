/*
 * kb: the process cards. Each row is what an analyst checks first, in the
 * order the SANS Hunt Evil poster uses. Sources: SANS Hunt Evil poster;
 * 13cubed Windows Process Genealogy v2; ReactOS base/system/smss; Volatility 2
 * malprocfind; MemProcFS FindEvil; attribute values from public Sysmon boots
 * (OTRF Security-Datasets, sbousseaden/EVTX-ATTACK-SAMPLES).
 */
#include "kb.h"

#include <string.h>

#include "../core/util.h"

const struct kb_proc kb_procs[] = {
    {.name = "System",
     .image = "none (the kernel, ntoskrnl.exe)",
     .parent = "none (Idle, PID 0)",
     .instances = "exactly one, PID 4",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "none",
     .start = "at boot",
     .priority = "8",
     .cmdline = "none",
     .does = "the kernel's own process: system threads and kernel handles. It starts smss.exe "
             "and the minimal processes Registry, MemCompression and Secure System.",
     .unusual = "a PID other than 4, an image path, a parent, a second System."},
    {.name = "Registry",
     .image = "none (a minimal process)",
     .parent = "System",
     .instances = "one (Windows 10 1803 and later)",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "none",
     .start = "just before smss.exe",
     .priority = "8",
     .cmdline = "none",
     .does = "holds the registry hives in memory.",
     .unusual = "an image file, a parent other than System."},
    {.name = "smss.exe",
     .image = "%SystemRoot%\\System32\\smss.exe",
     .parent = "System (PID 4) for the master; the master for each per-session child",
     .instances = "one master that stays; one child per new session that exits within "
                  "milliseconds",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "none for the master; the new session for a child",
     .start = "seconds after boot (the first user-mode process); a child at each session's "
              "creation, RDP logons included",
     .priority = "11",
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
     .image = "%SystemRoot%\\System32\\autochk.exe",
     .parent = "smss.exe (from BootExecute: autocheck autochk *)",
     .instances = "one, before any session exists; it exits",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "none",
     .start = "at boot, before csrss",
     .priority = "8",
     .cmdline = "\\??\\C:\\Windows\\system32\\autochk.exe *",
     .does = "checks disks (chkdsk) before Windows mounts them.",
     .unusual = "another parent, running after boot."},
    {.name = "csrss.exe",
     .image = "%SystemRoot%\\System32\\csrss.exe",
     .parent = "a per-session smss.exe child that has exited: no living parent (RDP sessions may "
               "record the Terminal Services svchost)",
     .instances = "one per session (two at boot: sessions 0 and 1)",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "each session, 0 and up",
     .start = "at boot and at each session's creation",
     .priority = "13",
     .cmdline = "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows "
                "SharedSection=1024,20480,768 Windows=On SubSystemType=Windows "
                "ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "
                "ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16",
     .does = "the user-mode half of the Windows subsystem: process and thread bookkeeping, "
             "shutdown, and (before Windows 7) console windows.",
     .unusual = "a living parent, a second csrss in one session, a path outside System32, a "
                "user other than SYSTEM, an extra ServerDll."},
    {.name = "wininit.exe",
     .image = "%SystemRoot%\\System32\\wininit.exe",
     .parent = "the session-0 smss.exe child, which has exited: no living parent",
     .instances = "one",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "0",
     .start = "at boot (within 45 s of the master smss)",
     .priority = "13",
     .cmdline = "wininit.exe",
     .does = "session 0's initialisation: starts services.exe, lsass.exe, LsaIso.exe (with "
             "Credential Guard), fontdrvhost.exe (Windows 10) or lsm.exe (Windows 7).",
     .unusual = "a living parent, a second wininit, a session other than 0, children beyond "
                "its own."},
    {.name = "winlogon.exe",
     .image = "%SystemRoot%\\System32\\winlogon.exe",
     .parent = "its session's smss.exe child, which has exited: no living parent",
     .instances = "one per interactive session",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "1 and up (each RDP or fast-user-switch logon gets a new one)",
     .start = "at boot for session 1; with each new session",
     .priority = "13",
     .cmdline = "winlogon.exe",
     .does = "logon and logoff: the secure attention sequence (Ctrl+Alt+Del), LogonUI.exe, the "
             "user's profile, then userinit.exe (the Userinit value), dwm.exe and "
             "fontdrvhost.exe; the accessibility programs at the logon screen.",
     .unusual = "a living parent, session 0, a shell as a child (the sticky-keys backdoor), "
                "Shell or Userinit values beyond explorer.exe and userinit.exe."},
    {.name = "services.exe",
     .image = "%SystemRoot%\\System32\\services.exe",
     .parent = "wininit.exe",
     .instances = "one",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "0",
     .start = "at boot (within 45 s of the master smss)",
     .priority = "9",
     .cmdline = "C:\\Windows\\system32\\services.exe",
     .does = "the Service Control Manager: starts the services of "
             "HKLM\\SYSTEM\\CurrentControlSet\\Services (svchost.exe hosts, spoolsv.exe, vendor "
             "services).",
     .unusual = "another parent, a second instance, a shell or script host as a child "
                "(PsExec-style services, getsystem), a program planted in an unquoted path."},
    {.name = "lsass.exe",
     .image = "%SystemRoot%\\System32\\lsass.exe",
     .parent = "wininit.exe",
     .instances = "one",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "0",
     .start = "at boot (within 60 s of the master smss)",
     .priority = "9",
     .cmdline = "C:\\Windows\\system32\\lsass.exe",
     .does = "the Local Security Authority: logons, tokens, security policy and password "
             "changes, through the authentication, security and notification packages listed "
             "under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa.",
     .unusual = "another parent, a second lsass, children (WerFault for a crash only), anything "
                "that reads its memory, packages Windows does not ship, RunAsPPL or Credential "
                "Guard turned off."},
    {.name = "LsaIso.exe",
     .image = "%SystemRoot%\\System32\\LsaIso.exe",
     .parent = "wininit.exe",
     .instances = "none, or one with Credential Guard",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "0",
     .start = "at boot, beside lsass.exe",
     .priority = "-",
     .cmdline = "\\??\\C:\\Windows\\system32\\lsaiso.exe",
     .does = "Credential Guard's isolated LSA, in virtualization-based security: it keeps the "
             "secrets lsass would otherwise hold.",
     .unusual = "another parent, more than one, running where LsaCfgFlags is 0 (Credential "
                "Guard off), missing where Credential Guard is configured."},
    {.name = "svchost.exe",
     .image = "%SystemRoot%\\System32\\svchost.exe (SysWOW64 for 32-bit services)",
     .parent = "services.exe",
     .instances = "many",
     .user = "SYSTEM, LOCAL SERVICE or NETWORK SERVICE; per-user services run as their user",
     .session = "0 (per-user services: the user's session)",
     .start = "at boot and whenever a service starts",
     .priority = "8",
     .cmdline = "C:\\Windows\\system32\\svchost.exe -k <group> [-p] [-s <service>]",
     .does = "hosts service DLLs: -k names the group (HKLM\\SOFTWARE\\Microsoft\\Windows "
             "NT\\CurrentVersion\\Svchost) whose services it runs.",
     .unusual = "another parent, no -k, a path outside System32/SysWOW64, a person's account in "
                "session 0, a misspelt name (scvhost.exe)."},
    {.name = "fontdrvhost.exe",
     .image = "%SystemRoot%\\System32\\fontdrvhost.exe",
     .parent = "wininit.exe (session 0) or winlogon.exe (sessions 1 and up)",
     .instances = "one per session (Windows 10 and later)",
     .user = "Font Driver Host\\UMFD-N (N = the session)",
     .session = "each session",
     .start = "with wininit / winlogon",
     .priority = "8",
     .cmdline = "\"fontdrvhost.exe\"",
     .does = "the user-mode font driver host: parses fonts outside the kernel, in an "
             "AppContainer.",
     .unusual = "another parent or account."},
    {.name = "dwm.exe",
     .image = "%SystemRoot%\\System32\\dwm.exe",
     .parent = "winlogon.exe",
     .instances = "one per interactive session",
     .user = "Window Manager\\DWM-N (N = the session)",
     .session = "1 and up",
     .start = "with winlogon",
     .priority = "13",
     .cmdline = "\"dwm.exe\"",
     .does = "the Desktop Window Manager: composes the windows of the session's desktop.",
     .unusual = "another parent or account, a path outside System32."},
    {.name = "LogonUI.exe",
     .image = "%SystemRoot%\\System32\\LogonUI.exe",
     .parent = "winlogon.exe (wininit.exe shows the Windows 7 shutdown screen)",
     .instances = "one while the logon, lock or shutdown screen is shown; it exits after logon "
                  "and unlock",
     .user = "NT AUTHORITY\\SYSTEM",
     .session = "1 and up",
     .start = "at the logon screen",
     .priority = "13",
     .cmdline = "\"LogonUI.exe\" /flags:0x2 /state0:0xa3...55 /state1:0x41c64e6d (Windows 10 "
                "logon screen; /flags:0x0 locked, /flags:0x4 at shutdown; Windows 7 no /state)",
     .does = "the logon screen and the credential providers.",
     .unusual = "another parent, a long-lived one after logon."},
    {.name = "userinit.exe",
     .image = "%SystemRoot%\\System32\\userinit.exe",
     .parent = "winlogon.exe",
     .instances = "one per logon, for seconds: it exits",
     .user = "the user who logged on",
     .session = "the user's session (1 and up)",
     .start = "at logon",
     .priority = "8",
     .cmdline = "C:\\Windows\\system32\\userinit.exe",
     .does = "runs the user's logon scripts, restores network connections, starts the Shell "
             "(explorer.exe) and exits.",
     .unusual = "another parent, running as SYSTEM, children other than the shell and logon "
                "scripts, still running long after logon."},
    {.name = "explorer.exe",
     .image = "%SystemRoot%\\explorer.exe",
     .parent = "userinit.exe, which has exited: no living parent",
     .instances = "one shell per logon; folder windows in their own process "
                  "(explorer.exe /factory,{...} -Embedding, started by svchost) are extra",
     .user = "the user who logged on to that session, never SYSTEM",
     .session = "the user's session",
     .start = "at logon",
     .priority = "8",
     .cmdline = "C:\\Windows\\Explorer.EXE",
     .does = "the user's shell: desktop, taskbar, Start menu, file windows.",
     .unusual = "running as SYSTEM or as another user than the session's, a path outside "
                "C:\\Windows, a parent that is not userinit, a second bare explorer.exe beside "
                "the shell (a hollowed copy), network connections of its own."},
};
const size_t kb_nprocs = ARRAY_SIZE(kb_procs);

const struct kb_proc *kb_proc_find(const char *name)
{
    if (!name)
        return NULL;
    size_t n = strlen(name);
    for (size_t i = 0; i < kb_nprocs; i++) {
        const char *k = kb_procs[i].name;
        if (!ascii_casecmp(k, name))
            return &kb_procs[i];
        /* "smss" for "smss.exe" */
        if (!ascii_ncasecmp(k, name, n) && !ascii_casecmp(k + n, ".exe"))
            return &kb_procs[i];
    }
    return NULL;
}

static const char *const labels[] = {"image", "parent",   "instances", "user", "session",
                                     "start", "priority", "command",   "does", "unusual"};

static const char *field(const struct kb_proc *p, size_t i)
{
    const char *v[] = {p->image, p->parent,   p->instances, p->user, p->session,
                       p->start, p->priority, p->cmdline,   p->does, p->unusual};
    return v[i];
}

void kb_proc_text(struct strbuf *sb, const struct kb_proc *p)
{
    sb_addf(sb, "%s\n", p->name);
    for (size_t i = 0; i < ARRAY_SIZE(labels); i++)
        sb_addf(sb, "  %-10s %s\n", labels[i], field(p, i));
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
    for (size_t k = 0; k < kb_nprocs; k++) {
        const struct kb_proc *p = &kb_procs[k];
        sb_addf(sb, "\n## %s\n\n| | |\n|---|---|\n", p->name);
        for (size_t i = 0; i < ARRAY_SIZE(labels); i++) {
            sb_addf(sb, "| %s | ", labels[i]);
            for (const char *c = field(p, i); *c; c++) {
                if (*c == '|')
                    sb_adds(sb, "\\|");
                else
                    sb_addc(sb, *c);
            }
            sb_adds(sb, " |\n");
        }
    }
}
