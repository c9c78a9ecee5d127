/*
 * kb: the knowledge base of Windows facts the lessons teach -- one profile
 * card per core process, as the SANS Hunt Evil poster draws them (image,
 * parent, instances, user, session, start, base priority, command line,
 * what it does, what is unusual). `explain` prints the card before the
 * process's rules and docs/processes.md is generated from the same rows.
 * Sources: listed at the top of kb.c and in docs/processes.md.
 */
#ifndef SMSS_KB_H
#define SMSS_KB_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct snap;

/* ---- the registry Windows ships (kb_reg.c) -------------------------------- */

#define KEY_SM "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"
#define KEY_WINLOGON "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"
/* The same key in a user's profile, after "HKU\\<SID>" (the user's own Shell,
 * which userinit reads for that user: ATT&CK T1547.004 names both keys). */
#define KEY_USER_WINLOGON "\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"

/* A Windows version: one row of kb/oses.def, which the scenario loader, the
 * simulator, the checker and the corpus writers all read. */
struct kb_os {
    const char *name;  /* "win10": the scenario's and the snapshot's os */
    const char *title; /* "Windows 10 (1809+)" */
    int server;        /* Windows Server: server host names, more RDP sessions (corpus) */
    /* The registry it ships (kb_reg.c). */
    const char *csrss_fmt; /* SubSystems\Windows, {SS} = SharedSection */
    int win7; /* Windows 7's KnownDLLs, environment (no DriverData) and svchost groups */
    /* The processes it starts (the simulator). */
    int can_credential_guard; /* Credential Guard exists (Windows 10+): the corpus may turn it on */
    int has_registry_proc;    /* Registry minimal process: Windows 10 1803+ */
    int has_memcompression;   /* MemCompression: Windows 10 1607+ */
    int has_fontdrvhost;      /* User-mode font driver host: Windows 10 1607+ */
    int has_lsm_proc;         /* Windows 7: lsm.exe under wininit */
    int dwm_under_winlogon;   /* Windows 8+: winlogon starts dwm.exe (Win7: a service does) */
    int credential_guard;     /* on by default */
    int win11_child_line;     /* session smss children carry winlogon's line by default */
    int console_logon_default; /* does the default scenario log a user on at the console */
    int svchosts;              /* typical svchost.exe count at boot */
    /* The forms of its records (docs/fidelity.md, points 4-6, 14, 15). */
    const char *core_cwd;    /* CurrentDirectory of csrss, wininit, winlogon */
    int logonui_state;       /* LogonUI carries /state0 and /state1 (Windows 8+) */
    int child_args_zero;     /* session children: "00000000 0000003c " (Windows 7) */
    int logonui_from_child0; /* LogonUI 2.2-3.5 s after the session-0 child (Windows 7) */
    int user_shell_hosts;    /* sihost, taskhostw, ctfmon, RuntimeBroker, per-user services */
    /* The version of Security 4688 it writes, which says which fields the
     * event has (Microsoft's event-4688.md, "Event Versions"): 0 (Vista,
     * 7) has none of the below; 1 (8.1, 2012 R2) adds CommandLine; 2
     * (Windows 10, 2016 and later) adds TargetUserSid/Name/DomainName/
     * LogonId, ParentProcessName and MandatoryLabel (corpus/security.c). */
    int security_4688_version;
    /* The versions its records carry (corpus/sample.c). */
    const char *file_version;     /* Sysmon FileVersion; {QFE} = the binary's own revision */
    const char *file_version_rtm; /* of the binaries a service pack left at RTM, or NULL */
    unsigned kernel_version[5];   /* Kernel-General 12: major, minor, build, QFE, service pack */
    int corpus_weight;            /* percent of corpus samples (the rows add up to 100) */
};

/* The csrss command lines and the record forms the rows share. */
#define KB_CSRSS_WIN8                                                                            \
    "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection={SS} Windows=On " \
    "SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "  \
    "ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16"
#define KB_CSRSS_WIN7                                                                            \
    "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection={SS} Windows=On " \
    "SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "  \
    "ServerDll=winsrv:ConServerDllInitialization,2 ServerDll=sxssrv,4 ProfileControl=Off "       \
    "MaxRequestThreads=16"
/* Windows 8 and later, as the Windows 10 boots of ../shared/real record
 * them (MSEDGEWIN10, WORKSTATION5); Windows 7's from PC01 and IEWIN7. */
#define KB_WIN8_FORMS \
    .core_cwd = "C:\\Windows\\system32\\", .logonui_state = 1, .user_shell_hosts = 1

/* The rows, in the order of kb/oses.def (and of enum scn_os). */
enum kb_os_id {
#define KB_OS(id, ...) KB_OS_##id,
#include "oses.def"
#undef KB_OS
    KB_OS_COUNT
};
extern const struct kb_os kb_oses[KB_OS_COUNT];

/* The OS row by name ("win7", "win10", "win11", "server2022"), or NULL. */
const struct kb_os *kb_os_find(const char *name);
/* "win7, win10, win11, server2022" into buf, for messages; returns buf. */
const char *kb_os_names(char *buf, size_t size);
/* The FileVersion of a binary on os: its Windows revision qfe, rtm if the
 * service pack left it at RTM. Written into buf (64 bytes) when it needs
 * formatting. */
const char *kb_os_file_version(const struct kb_os *os, unsigned qfe, int rtm, char buf[64]);
/* Add the registry values os ships to s (win10's for an unknown os); a
 * NULL shared_section is Windows's default 1024,20480,768. */
void kb_default_registry(const char *os, const char *shared_section, struct snap *s);

/* ---- the core processes (kb.c) -------------------------------------------- */

/* Where a core process runs: any session, session 0 only, or an
 * interactive session (1 and up). */
enum kb_sess { KB_SESS_ANY, KB_SESS_ZERO, KB_SESS_USER };

/* One core process: the facts the checker enforces and, for the processes
 * the lessons teach, the profile card `explain` prints. One row per process,
 * read by the checker (its CORE-* and per-process rules), `explain`,
 * teach's report and docs/processes.md. Lists are '|' separated basenames or
 * normalised folders (checker/chk_int.h: chk_path_norm). */
struct kb_proc {
    const char *name; /* "lsass.exe"; minimal processes have no .exe */
    /* What the checker allows. */
    const char *dirs;    /* its folders; NULL = no image expected */
    const char *parents; /* its parents; NULL = not checked */
    /* Parents only Windows 7 has (the OS row's win7): allowed besides
     * parents when the snapshot is Windows 7 or does not say its OS. */
    const char *parents_win7;
    const char *children; /* its children; NULL = not checked */
    enum kb_sess where;   /* the sessions it runs in */
    int per_session;      /* instances are counted per session */
    int rdp_parent;       /* the termsvcs svchost may be recorded as parent */
    int64_t late;         /* latest normal start after the master smss; 0 = n/a */
    /* Its parent never exits (System, the master smss, wininit): a parent
     * that has exited is still judged by its name, and one that is not in
     * the snapshot by its pid (the parent's identity is known without
     * resolving it). csrss, wininit, winlogon lose their smss child. */
    int lasting_parent;
    int priority;         /* the base priority Windows gives it; 0 = none ("-") */
    int priority_fixed;   /* Windows sets it itself, so another value is a finding */
    int system_integrity; /* runs at System integrity (S-1-16-16384) */
    int lookalike;        /* malware borrows its name: a target of LOOKALIKE-NAME */
    /* The card, as the SANS Hunt Evil poster draws it; does == NULL: no
     * card (a process the checker knows but the lessons do not teach). */
    const char *image, *parent, *instances, *user, *session, *start, *cmdline;
    const char *does;    /* what it is for */
    const char *unusual; /* what to look for */
};

extern const struct kb_proc kb_procs[];
extern const size_t kb_nprocs;

/* The row by exact name (ASCII case-insensitive), or -1. */
int kb_proc_index(const char *name);
/* The row with a card by process name (ASCII case-insensitive; "smss"
 * finds smss.exe), or NULL. */
const struct kb_proc *kb_card_find(const char *name);
/* The k-th row with a card, in table order, or NULL past the last. */
const struct kb_proc *kb_card_at(size_t k);
/* Its base priority as the card prints it: "13", "-" for none; buf holds
 * the digits. */
const char *kb_proc_priority(const struct kb_proc *p, char buf[16]);
/* The card as text (explain) or as a Markdown section (docs/processes.md). */
void kb_proc_text(struct strbuf *sb, const struct kb_proc *p);
void kb_procs_markdown(struct strbuf *sb);

#endif
