/*
 * profile: what each Windows version starts and the registry values a
 * scenario may set (their defaults are in kb/: kb_default_registry). Sources are cited in profile.c
 * and in docs/scenario.md; where a fact is undocumented the comment says so.
 */
#ifndef SMSS_PROFILE_H
#define SMSS_PROFILE_H

#include "../kb/kb.h"
#include "scn.h"

struct os_profile {
    enum scn_os os;
    const char *name;          /* "win10": also its row in kb/ (kb_os_find) */
    int has_registry_proc;     /* Registry minimal process: Windows 10 1803+ */
    int has_memcompression;    /* MemCompression: Windows 10 1607+ */
    int has_fontdrvhost;       /* User-mode font driver host: Windows 10 1607+ */
    int has_lsm_proc;          /* Windows 7: lsm.exe under wininit */
    int dwm_under_winlogon;    /* Windows 8+: winlogon starts dwm.exe (Win7: a service does) */
    int credential_guard;      /* default */
    int win11_child_line;      /* default */
    int console_logon_default; /* does the default scenario log a user on at the console */
    int svchosts;              /* typical svchost.exe count at boot */
    /* Per-OS forms of the records (docs/fidelity.md, points 4-6, 14, 15). */
    const char *core_cwd;    /* CurrentDirectory of csrss, wininit, winlogon */
    int logonui_state;       /* LogonUI carries /state0 and /state1 (Windows 8+) */
    int child_args_zero;     /* session children: "00000000 0000003c " (Windows 7) */
    int logonui_from_child0; /* LogonUI 2.2-3.5 s after the session-0 child (Windows 7) */
    int user_shell_hosts;    /* sihost, taskhostw, ctfmon, RuntimeBroker, per-user services */
};

const struct os_profile *profile_get(enum scn_os os);

/* One registry value smss (or winlogon) reads. A scenario names it by `rel`.
 * Wildcard rows (`rel` ending in "\*") stand for any value of a subkey. */
struct reg_def {
    const char *rel;  /* "BootExecute", "SubSystems\\Windows", "KnownDLLs\\*" */
    const char *key;  /* full key path */
    const char *name; /* value name, NULL for a wildcard row */
    enum snap_reg_type type;
};

/* Find the definition for a scenario's registry name, or NULL if unknown.
 * For wildcard subkeys *name_out receives the part after the backslash. */
const struct reg_def *profile_reg_lookup(const char *rel, const char **name_out);
/* "BootExecute, SetupExecute, ..." for error messages. */
const char *profile_reg_names(void);

#endif
