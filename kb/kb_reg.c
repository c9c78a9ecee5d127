/*
 * kb_reg: the registry values Windows ships, per version -- what smss and
 * winlogon read at boot (Session Manager, Winlogon). The simulator boots
 * from them and the checker compares a host's values with them, so both
 * read this one table.
 *
 * Sources: ../shared/domain.md sections 3 and 4 (ReactOS base/system/smss,
 * real Sysmon boots of Windows 7 and 10); KnownDLLs lists from the Windows
 * registries as published by winhelponline.com ("Autoruns: KnownDlls
 * wow64cpu, wowarmhw, xtajit ...") and the Windows 2000/7 registry
 * references; csrss command lines seen in real 4688/Sysmon records
 * (domain.md section 3).
 */
#include "kb.h"

#include <stdio.h>
#include <string.h>

#include "../snap/snap.h"

/* The rows of kb/oses.def (kb.h says what each field is). */
const struct kb_os kb_oses[KB_OS_COUNT] = {
#define KB_OS(id, ...) [KB_OS_##id] = {__VA_ARGS__},
#include "oses.def"
#undef KB_OS
};

const struct kb_os *kb_os_find(const char *name)
{
    for (size_t i = 0; name && i < KB_OS_COUNT; i++)
        if (!strcmp(name, kb_oses[i].name))
            return &kb_oses[i];
    return NULL;
}

const char *kb_os_names(char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < KB_OS_COUNT && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", kb_oses[i].name);
    return buf;
}

/* fmt with {KEY} replaced by val. */
static const char *subst(struct snap *s, const char *fmt, const char *key, const char *val)
{
    const char *mark = strstr(fmt, key);
    if (!mark)
        return fmt;
    return arena_printf(&s->arena, "%.*s%s%s", (int)(mark - fmt), fmt, val, mark + strlen(key));
}

const char *kb_os_file_version(const struct kb_os *os, unsigned qfe, int rtm, char buf[64])
{
    if (rtm && os->file_version_rtm)
        return os->file_version_rtm;
    const char *mark = strstr(os->file_version, "{QFE}");
    if (!mark)
        return os->file_version;
    snprintf(buf, 64, "%.*s%u%s", (int)(mark - os->file_version), os->file_version, qfe, mark + 5);
    return buf;
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
 * MicrosoftDocs/windows-driver-docs-ddi issue #991. The win7 row leaves it
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

void kb_default_registry(const char *os, const char *shared_section, struct snap *s)
{
    static const char *const bootexec[] = {"autocheck autochk *"};
    static const char *const required[] = {"Debug", "Windows"};
    static const char *const paging[] = {"?:\\pagefile.sys"};
    const struct kb_os *p = kb_os_find(os);
    if (!p)
        p = kb_os_find("win10");
    int win7 = p->win7;
    add(s, KEY_SM, "BootExecute", SNAP_REG_MULTI_SZ, bootexec, 1);
    add(s, KEY_SM, "SetupExecute", SNAP_REG_MULTI_SZ, NULL, 0);
    if (win7)
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
         subst(s, p->csrss_fmt, "{SS}", shared_section ? shared_section : "1024,20480,768"));
    add_pairs(s, KEY_SM "\\DOS Devices", dos_devices, ARRAY_SIZE(dos_devices), SNAP_REG_SZ);
    for (size_t i = 0; i < ARRAY_SIZE(environment); i++)
        if (!win7 || strcmp(environment[i][0], ENV_SINCE_1803))
            add1(s, KEY_SM "\\Environment", environment[i][0], SNAP_REG_EXPAND_SZ,
                 environment[i][1]);
    add(s, KEY_SM "\\Memory Management", "PagingFiles", SNAP_REG_MULTI_SZ, paging, 1);
    add1(s, KEY_WINLOGON, "Shell", SNAP_REG_SZ, "explorer.exe");
    add1(s, KEY_WINLOGON, "Userinit", SNAP_REG_SZ, "C:\\Windows\\system32\\userinit.exe,");
}
