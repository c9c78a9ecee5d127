/*
 * profile: OS profiles and the Session Manager registry defaults.
 *
 * Sources: ../shared/domain.md sections 1, 3 and 4 (real Sysmon boots of
 * Windows 7 and 10, ReactOS base/system/smss, SANS Hunt Evil); KnownDLLs
 * lists from the Windows registries as published by winhelponline.com
 * ("Autoruns: KnownDlls wow64cpu, wowarmhw, xtajit ...") and the Windows
 * 2000/7 registry references; csrss command lines seen in real 4688/Sysmon
 * records (domain.md section 3).
 */
#include "profile.h"

#include <string.h>

#define CSRSS_WIN8                                                                               \
    "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection={SS} Windows=On " \
    "SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "  \
    "ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16"
#define CSRSS_WIN7                                                                               \
    "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection={SS} Windows=On " \
    "SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "  \
    "ServerDll=winsrv:ConServerDllInitialization,2 ServerDll=sxssrv,4 ProfileControl=Off "       \
    "MaxRequestThreads=16"

/* Windows 8 and later, as the Windows 10 boots of ../shared/real record
 * them (MSEDGEWIN10, WORKSTATION5); Windows 7's from PC01 and IEWIN7. */
#define WIN8_FORMS .core_cwd = "C:\\Windows\\system32\\", .logonui_state = 1, .user_shell_hosts = 1

static const struct os_profile profiles[SCN_OS_COUNT] = {
    [SCN_OS_WIN7] = {.os = SCN_OS_WIN7,
                     .name = "win7",
                     .title = "Windows 7 SP1",
                     .has_lsm_proc = 1,
                     .console_logon_default = 1,
                     .svchosts = 14,
                     .csrss_cmdline_fmt = CSRSS_WIN7,
                     .core_cwd = "C:\\Windows\\system32",
                     .child_args_zero = 1,
                     .logonui_from_child0 = 1},
    [SCN_OS_WIN10] = {.os = SCN_OS_WIN10,
                      .name = "win10",
                      .title = "Windows 10 (1809+)",
                      .has_registry_proc = 1,
                      .has_memcompression = 1,
                      .has_fontdrvhost = 1,
                      .dwm_under_winlogon = 1,
                      .console_logon_default = 1,
                      .svchosts = 40,
                      .csrss_cmdline_fmt = CSRSS_WIN8,
                      WIN8_FORMS},
    [SCN_OS_WIN11] = {.os = SCN_OS_WIN11,
                      .name = "win11",
                      .title = "Windows 11 (22H2+)",
                      .has_registry_proc = 1,
                      .has_memcompression = 1,
                      .has_fontdrvhost = 1,
                      .dwm_under_winlogon = 1,
                      .win11_child_line = 1,
                      .console_logon_default = 1,
                      .svchosts = 60,
                      .csrss_cmdline_fmt = CSRSS_WIN8,
                      WIN8_FORMS},
    [SCN_OS_SERVER2022] = {.os = SCN_OS_SERVER2022,
                           .name = "server2022",
                           .title = "Windows Server 2022",
                           .has_registry_proc = 1,
                           .has_memcompression = 1,
                           .has_fontdrvhost = 1,
                           .dwm_under_winlogon = 1,
                           .console_logon_default = 0,
                           .svchosts = 45,
                           .csrss_cmdline_fmt = CSRSS_WIN8,
                           WIN8_FORMS},
};

const struct os_profile *profile_get(enum scn_os os)
{
    return &profiles[os < SCN_OS_COUNT ? os : SCN_OS_WIN10];
}

const char *scn_os_name(enum scn_os os)
{
    return profile_get(os)->name;
}

int scn_os_parse(const char *s, enum scn_os *out)
{
    for (int i = 0; i < SCN_OS_COUNT; i++)
        if (!strcmp(s, profiles[i].name)) {
            *out = (enum scn_os)i;
            return 0;
        }
    return -1;
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

/* KnownDLLs value name -> DLL (Windows 10/11/Server 2022 x64). */
static const char *const knowndlls_win10[][2] = {
    {"_wow64cpu", "wow64cpu.dll"}, {"_wowarmhw", "wowarmhw.dll"}, {"_xtajit", "xtajit.dll"},
    {"advapi32", "advapi32.dll"},  {"clbcatq", "clbcatq.dll"},    {"combase", "combase.dll"},
    {"COMDLG32", "COMDLG32.dll"},  {"coml2", "coml2.dll"},        {"DifxApi", "difxapi.dll"},
    {"gdi32", "gdi32.dll"},        {"gdiplus", "gdiplus.dll"},    {"IMAGEHLP", "IMAGEHLP.dll"},
    {"IMM32", "IMM32.dll"},        {"kernel32", "kernel32.dll"},  {"MSCTF", "MSCTF.dll"},
    {"MSVCRT", "MSVCRT.dll"},      {"NORMALIZ", "NORMALIZ.dll"},  {"NSI", "NSI.dll"},
    {"ole32", "ole32.dll"},        {"OLEAUT32", "OLEAUT32.dll"},  {"PSAPI", "PSAPI.DLL"},
    {"rpcrt4", "rpcrt4.dll"},      {"sechost", "sechost.dll"},    {"Setupapi", "Setupapi.dll"},
    {"SHCORE", "SHCORE.dll"},      {"SHELL32", "SHELL32.dll"},    {"SHLWAPI", "SHLWAPI.dll"},
    {"user32", "user32.dll"},      {"WLDAP32", "WLDAP32.dll"},    {"wow64", "wow64.dll"},
    {"wow64win", "wow64win.dll"},  {"WS2_32", "WS2_32.dll"},
};
/* Windows 7 SP1 x64. */
static const char *const knowndlls_win7[][2] = {
    {"DllDirectory", "%SystemRoot%\\system32"},
    {"DllDirectory32", "%SystemRoot%\\syswow64"},
    {"advapi32", "advapi32.dll"},
    {"clbcatq", "CLBCATQ.dll"},
    {"COMDLG32", "COMDLG32.dll"},
    {"DifxApi", "difxapi.dll"},
    {"gdi32", "gdi32.dll"},
    {"IERTUTIL", "IERTUTIL.dll"},
    {"IMAGEHLP", "IMAGEHLP.dll"},
    {"IMM32", "IMM32.dll"},
    {"kernel32", "kernel32.dll"},
    {"LPK", "LPK.dll"},
    {"MSCTF", "MSCTF.dll"},
    {"MSVCRT", "MSVCRT.dll"},
    {"NORMALIZ", "NORMALIZ.dll"},
    {"NSI", "NSI.dll"},
    {"OLE32", "OLE32.dll"},
    {"OLEAUT32", "OLEAUT32.dll"},
    {"PSAPI", "PSAPI.DLL"},
    {"SECHOST", "SECHOST.dll"},
    {"SETUPAPI", "SETUPAPI.dll"},
    {"SHELL32", "SHELL32.dll"},
    {"SHLWAPI", "SHLWAPI.dll"},
    {"URLMON", "URLMON.dll"},
    {"USER32", "USER32.dll"},
    {"USP10", "USP10.dll"},
    {"WININET", "WININET.dll"},
    {"WLDAP32", "WLDAP32.dll"},
    {"WS2_32", "WS2_32.dll"},
};
static const char *const dos_devices[][2] = {
    {"AUX", "\\DosDevices\\COM1"},   {"MAILSLOT", "\\Device\\MailSlot"}, {"NUL", "\\Device\\Null"},
    {"PIPE", "\\Device\\NamedPipe"}, {"PRN", "\\DosDevices\\LPT1"},      {"UNC", "\\Device\\Mup"},
};
/* DriverData (the driver-isolation data folder) first appears with Windows 10
 * 1803, along with IoGetDriverDirectory: IIS.ServiceMonitor issue #37 ("breaks
 * ASP.NET 3.5 on 1803", DRIVERDATA new in a 1803 container's environment) and
 * MicrosoftDocs/windows-driver-docs-ddi issue #991. The win7 profile leaves it
 * out (see ENV_SINCE_1803). */
static const char *const environment[][2] = {
    {"ComSpec", "%SystemRoot%\\system32\\cmd.exe"},
    {"DriverData", "C:\\Windows\\System32\\Drivers\\DriverData"},
    {"NUMBER_OF_PROCESSORS", "2"},
    {"OS", "Windows_NT"},
    {"Path", "%SystemRoot%\\system32;%SystemRoot%;%SystemRoot%\\System32\\Wbem;"
             "%SYSTEMROOT%\\System32\\WindowsPowerShell\\v1.0\\"},
    {"PATHEXT", ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC"},
    {"PROCESSOR_ARCHITECTURE", "AMD64"},
    {"TEMP", "%SystemRoot%\\TEMP"},
    {"TMP", "%SystemRoot%\\TEMP"},
    {"USERNAME", "SYSTEM"},
    {"windir", "%SystemRoot%"},
};

#define ENV_SINCE_1803 "DriverData"

static void add(struct snap *s, const char *key, const char *name, enum snap_reg_type type,
                const char *const *data, uint32_t n)
{
    struct snap_reg *r = snap_add_reg(s);
    r->key = key;
    r->name = name;
    r->type = type;
    r->data = data;
    r->ndata = n;
}

static void add1(struct snap *s, const char *key, const char *name, enum snap_reg_type type,
                 const char *v)
{
    const char **d = arena_alloc(&s->arena, sizeof(char *));
    d[0] = v;
    add(s, key, name, type, d, 1);
}

static void add_pairs(struct snap *s, const char *key, const char *const (*pairs)[2], size_t n,
                      enum snap_reg_type type)
{
    for (size_t i = 0; i < n; i++)
        add1(s, key, pairs[i][0], type, pairs[i][1]);
}

/* The profile's csrss line with {SS} replaced by the SharedSection value. */
static const char *csrss_cmdline(struct snap *s, const struct os_profile *p, const char *ss)
{
    const char *mark = strstr(p->csrss_cmdline_fmt, "{SS}");
    return arena_printf(&s->arena, "%.*s%s%s", (int)(mark - p->csrss_cmdline_fmt),
                        p->csrss_cmdline_fmt, ss, mark + 4);
}

void profile_default_registry(enum scn_os os, const char *shared_section, struct snap *s)
{
    static const char *const bootexec[] = {"autocheck autochk *"};
    static const char *const required[] = {"Debug", "Windows"};
    static const char *const paging[] = {"?:\\pagefile.sys"};
    const struct os_profile *p = profile_get(os);
    add(s, KEY_SM, "BootExecute", SNAP_REG_MULTI_SZ, bootexec, 1);
    add(s, KEY_SM, "SetupExecute", SNAP_REG_MULTI_SZ, NULL, 0);
    if (os == SCN_OS_WIN7)
        add_pairs(s, KEY_SM "\\KnownDLLs", knowndlls_win7, ARRAY_SIZE(knowndlls_win7), SNAP_REG_SZ);
    else
        add_pairs(s, KEY_SM "\\KnownDLLs", knowndlls_win10, ARRAY_SIZE(knowndlls_win10),
                  SNAP_REG_SZ);
    add1(s, KEY_SM "\\SubSystems", "Debug", SNAP_REG_EXPAND_SZ, "");
    add1(s, KEY_SM "\\SubSystems", "Kmode", SNAP_REG_EXPAND_SZ,
         "\\SystemRoot\\System32\\win32k.sys");
    add(s, KEY_SM "\\SubSystems", "Optional", SNAP_REG_MULTI_SZ, NULL, 0);
    add(s, KEY_SM "\\SubSystems", "Required", SNAP_REG_MULTI_SZ, required, 2);
    add1(s, KEY_SM "\\SubSystems", "Windows", SNAP_REG_EXPAND_SZ,
         csrss_cmdline(s, p, shared_section ? shared_section : "1024,20480,768"));
    add_pairs(s, KEY_SM "\\DOS Devices", dos_devices, ARRAY_SIZE(dos_devices), SNAP_REG_SZ);
    for (size_t i = 0; i < ARRAY_SIZE(environment); i++)
        if (os != SCN_OS_WIN7 || strcmp(environment[i][0], ENV_SINCE_1803))
            add1(s, KEY_SM "\\Environment", environment[i][0], SNAP_REG_EXPAND_SZ,
                 environment[i][1]);
    add(s, KEY_SM "\\Memory Management", "PagingFiles", SNAP_REG_MULTI_SZ, paging, 1);
    add1(s, KEY_WINLOGON, "Shell", SNAP_REG_SZ, "explorer.exe");
    add1(s, KEY_WINLOGON, "Userinit", SNAP_REG_SZ, "C:\\Windows\\system32\\userinit.exe,");
}
