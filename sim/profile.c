/*
 * profile: the registry names a scenario may set, and the scenario's view of
 * the OS rows. What each Windows version starts and the values it ships are
 * knowledge the checker and the corpus need too: they live in kb/ (kb/oses.def,
 * kb/kb_reg.c).
 *
 * Sources: ../shared/domain.md sections 1 and 3 (real Sysmon boots of
 * Windows 7 and 10, ReactOS base/system/smss, SANS Hunt Evil).
 */
#include "profile.h"

#include <string.h>

_Static_assert((int)SCN_OS_COUNT == (int)KB_OS_COUNT, "enum scn_os is kb/oses.def's rows");

const struct kb_os *profile_get(enum scn_os os)
{
    return &kb_oses[os < SCN_OS_COUNT ? os : SCN_OS_WIN10];
}

const char *scn_os_name(enum scn_os os)
{
    return profile_get(os)->name;
}

int scn_os_parse(const char *s, enum scn_os *out)
{
    const struct kb_os *o = kb_os_find(s);
    if (!o)
        return -1;
    *out = (enum scn_os)(o - kb_oses);
    return 0;
}

#define SM KEY_SM
static const struct reg_def reg_defs[] = {
    {"BootExecute", SM, "BootExecute", SNAP_REG_MULTI_SZ},
    {"SetupExecute", SM, "SetupExecute", SNAP_REG_MULTI_SZ},
    {"Execute", SM, "Execute", SNAP_REG_MULTI_SZ},
    {"PlatformExecute", SM, "PlatformExecute", SNAP_REG_MULTI_SZ},
    {"S0InitialCommand", SM, "S0InitialCommand", SNAP_REG_SZ},
    {"PendingFileRenameOperations", SM, "PendingFileRenameOperations", SNAP_REG_MULTI_SZ},
    {"KnownDLLs\\*", SM "\\KnownDLLs", NULL, SNAP_REG_SZ},
    {"AppCertDlls\\*", SM "\\AppCertDlls", NULL, SNAP_REG_SZ},
    {"SubSystems\\Required", SM "\\SubSystems", "Required", SNAP_REG_MULTI_SZ},
    {"SubSystems\\Windows", SM "\\SubSystems", "Windows", SNAP_REG_EXPAND_SZ},
    {"SubSystems\\Kmode", SM "\\SubSystems", "Kmode", SNAP_REG_EXPAND_SZ},
    {"SubSystems\\Debug", SM "\\SubSystems", "Debug", SNAP_REG_EXPAND_SZ},
    {"SubSystems\\Optional", SM "\\SubSystems", "Optional", SNAP_REG_MULTI_SZ},
    {"SubSystems\\*", SM "\\SubSystems", NULL, SNAP_REG_EXPAND_SZ},
    {"DOS Devices\\*", SM "\\DOS Devices", NULL, SNAP_REG_SZ},
    {"Environment\\*", SM "\\Environment", NULL, SNAP_REG_EXPAND_SZ},
    {"Memory Management\\PagingFiles", SM "\\Memory Management", "PagingFiles", SNAP_REG_MULTI_SZ},
    {"Winlogon\\Shell", KEY_WINLOGON, "Shell", SNAP_REG_SZ},
    {"Winlogon\\Userinit", KEY_WINLOGON, "Userinit", SNAP_REG_SZ},
};

const struct reg_def *profile_reg_lookup(const char *rel, const char **name_out)
{
    *name_out = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(reg_defs); i++) {
        const struct reg_def *d = &reg_defs[i];
        if (d->name) {
            if (!ascii_casecmp(rel, d->rel)) {
                *name_out = d->name;
                return d;
            }
            continue;
        }
        size_t n = strlen(d->rel) - 1; /* keep the backslash */
        if (!ascii_ncasecmp(rel, d->rel, n) && rel[n] && !strchr(rel + n, '\\')) {
            *name_out = rel + n;
            return d;
        }
    }
    return NULL;
}

const char *profile_reg_names(void)
{
    return "BootExecute, SetupExecute, Execute, PlatformExecute, S0InitialCommand, "
           "PendingFileRenameOperations, KnownDLLs\\NAME, AppCertDlls\\NAME, "
           "SubSystems\\(Required|Windows|Kmode|Debug|Optional|NAME), DOS Devices\\NAME, "
           "Environment\\NAME, Memory Management\\PagingFiles, Winlogon\\Shell, "
           "Winlogon\\Userinit";
}
