/*
 * chk_out: the machine-readable forms of the checker's knowledge -- one JSON
 * line per finding (stable key order, escaping by core/jsonw) and the rule
 * table as Markdown, so docs/rules.md is generated and never drifts.
 */
#include "chk.h"

#include <string.h>

#include "../core/jsonw.h"

const struct snap_rec *chk_finding_rec(const struct snap *s, const struct chk_finding *f)
{
    if (f->proc >= 0 && (size_t)f->proc < s->nprocs)
        return &s->procs[f->proc].rec;
    if (f->reg >= 0 && (size_t)f->reg < s->nregs)
        return &s->regs[f->reg].rec;
    return NULL;
}

void chk_evidence_text(struct strbuf *sb, const struct snap *s, const struct chk_finding *f)
{
    const struct snap_rec *r = chk_finding_rec(s, f);
    int id = r && r->id, line = r && r->line;
    if (!s->file && !id && !line)
        return;
    sb_adds(sb, s->file ? s->file : "the input");
    if (id)
        sb_addf(sb, ", record %llu", (unsigned long long)r->id);
    if (line)
        sb_addf(sb, ", line %llu", (unsigned long long)r->line);
}

void chk_finding_json(struct strbuf *sb, const struct snap *s, const struct chk_finding *f)
{
    const struct chk_rule *r = f->rule;
    sb_addc(sb, '{');
    jw_key(sb, "rule");
    jw_str(sb, r->id);
    jw_kstr(sb, "severity", chk_severity_name(r->severity));
    jw_kstr(sb, "title", r->title);
    jw_kstr(sb, "technique", r->technique);
    sb_addc(sb, ',');
    jw_key(sb, "snapshot");
    sb_addc(sb, '{');
    jw_key(sb, "host");
    jw_str(sb, s->host);
    jw_ktime(sb, "at", s->at);
    sb_addc(sb, '}');
    if (f->proc >= 0 && (size_t)f->proc < s->nprocs) {
        const struct snap_proc *p = &s->procs[f->proc];
        sb_addc(sb, ',');
        jw_key(sb, "process");
        sb_addc(sb, '{');
        jw_key(sb, "pid");
        sb_addu64(sb, p->pid);
        jw_kstr(sb, "name", snap_proc_basename(p));
        jw_ktime(sb, "create_time", p->create_time);
        sb_addc(sb, ',');
        jw_key(sb, "session");
        if (p->session == SNAP_NO_SESSION)
            sb_adds(sb, "null");
        else
            sb_addi64(sb, p->session);
        sb_addc(sb, '}');
    } else if (f->reg >= 0 && (size_t)f->reg < s->nregs) {
        const struct snap_reg *g = &s->regs[f->reg];
        sb_addc(sb, ',');
        jw_key(sb, "registry");
        sb_addc(sb, '{');
        jw_key(sb, "key");
        jw_str(sb, g->key);
        jw_kstr(sb, "name", g->name);
        sb_addc(sb, '}');
    }
    jw_kstr(sb, "message", f->message);
    /* What the finding rests on: the input and the event record, so a
     * scorer or an analyst can go back to it (docs/readers.md). */
    const struct snap_rec *ev = chk_finding_rec(s, f);
    if (s->file || (ev && (ev->id || ev->line))) {
        sb_adds(sb, ",\"evidence\":{");
        jw_key(sb, "file");
        jw_str(sb, s->file);
        sb_adds(sb, ",\"records\":[");
        if (ev && (ev->id || ev->line)) {
            sb_addc(sb, '{');
            jw_key(sb, "id");
            if (ev->id)
                sb_addu64(sb, ev->id);
            else
                sb_adds(sb, "null");
            sb_addc(sb, ',');
            jw_key(sb, "line");
            if (ev->line)
                sb_addu64(sb, ev->line);
            else
                sb_adds(sb, "null");
            sb_addc(sb, '}');
        }
        sb_adds(sb, "]}");
    }
    sb_addc(sb, '}');
}

/* What the reference tools and rule sets check on core processes, and the
 * rules that check it here; "-" where a check needs what no snapshot holds
 * (memory structures). */
const struct chk_cover chk_coverage[] = {
    {"SANS Hunt Evil poster", "System: PID 4, one instance, no parent, starts smss",
     "SYSTEM-PID, SYSTEM-INSTANCES, SYSTEM-CHILDREN"},
    {"SANS Hunt Evil poster", "smss: parent System, path, SYSTEM, one master, children exit",
     "SMSS-PARENT, SMSS-PATH, SMSS-USER, SMSS-INSTANCES, SMSS-CHILD-NOT-EXITED"},
    {"SANS Hunt Evil poster",
     "csrss, wininit, winlogon: no living parent, path, SYSTEM, sessions, "
     "instances",
     "CSRSS-PARENT, CSRSS-PATH, CSRSS-USER, CSRSS-INSTANCES, WININIT-PARENT, WININIT-PATH, "
     "WININIT-USER, WININIT-INSTANCES, WINLOGON-PARENT, WINLOGON-PATH, WINLOGON-USER, "
     "WINLOGON-INSTANCES, WININIT-SESSION, WINLOGON-SESSION"},
    {"SANS Hunt Evil poster",
     "services, lsass: parent wininit, path, SYSTEM, session 0, one instance",
     "SERVICES-PARENT, SERVICES-PATH, SERVICES-USER, SERVICES-SESSION, SERVICES-INSTANCES, "
     "LSASS-PARENT, LSASS-PATH, LSASS-USER, LSASS-SESSION, LSASS-INSTANCES"},
    {"SANS Hunt Evil poster", "svchost: parent services, -k, path, accounts",
     "SVCHOST-PARENT, SVCHOST-ARGS, CORE-PATH, SVCHOST-USER"},
    {"SANS Hunt Evil poster",
     "explorer: no living parent (userinit exits), the logged-on user, not SYSTEM, path, "
     "one per logon; userinit should not be running",
     "EXPLORER-PARENT, EXPLORER-USER, EXPLORER-SYSTEM, CORE-PATH, EXPLORER-INSTANCES, "
     "USERINIT-USER, USERINIT-CHILDREN, USERINIT-NOT-EXITED"},
    {"SANS Hunt Evil poster; Microsoft Learn, Configure Credential Guard",
     "LsaIso: only with Credential Guard", "LSAISO-WITHOUT-CREDGUARD, LSAISO-INSTANCES"},
    {"SANS Hunt Evil poster", "lsass has no children", "LSASS-CHILDREN, LSASS-DUMP"},
    {"SANS Hunt Evil poster", "misspelt names (scvhost.exe, lsas.exe)", "LOOKALIKE-NAME"},
    {"malprocfind", "PPID, Path, User, Sess, Time, Priority, Cmdline",
     "*-PARENT, *-PATH, *-USER, *-SESSION, *-LATE, SMSS-PRIORITY, CORE-PRIORITY, SVCHOST-ARGS"},
    {"malprocfind", "PHollow (process hollowing in memory)", "-"},
    {"Elastic Unusual Parent-Child Relationship",
     "parents of smss, csrss, wininit, winlogon, "
     "services, lsass, LsaIso, svchost, userinit",
     "SMSS-PARENT, CSRSS-PARENT, WININIT-PARENT, WINLOGON-PARENT, SERVICES-PARENT, LSASS-PARENT, "
     "LSAISO-PARENT, SVCHOST-PARENT, USERINIT-PARENT"},
    {"Elastic Unusual Parent-Child Relationship",
     "parents of autochk, fontdrvhost, dwm, LogonUI, spoolsv, taskhost(w), dllhost, "
     "RuntimeBroker, SearchIndexer, WmiPrvSE",
     "CORE-PARENT"},
    {"Elastic Unusual Parent-Child Relationship", "children of smss and csrss",
     "SMSS-CHILDREN, CSRSS-CHILDREN"},
    {"Elastic Unusual Parent-Child Relationship",
     "children of autochk, conhost, wermgr, SearchProtocolHost, taskhost", "CORE-CHILDREN"},
    {"SigmaHQ proc_creation_win_susp_proc_wrong_parent", "core processes with a wrong parent",
     "*-PARENT"},
    {"SigmaHQ proc_creation_win_susp_system_exe_anomaly", "system programs outside System32",
     "SMSS-PATH, CSRSS-PATH, WININIT-PATH, WINLOGON-PATH, SERVICES-PATH, LSASS-PATH, CORE-PATH, "
     "SYSTEM-EXE-PATH"},
    {"SigmaHQ sticky-key backdoor (process and registry)",
     "winlogon starting a shell; an IFEO Debugger on an accessibility program; copying over "
     "sethc or utilman (proc_creation_win_cmd_sticky_keys_replace)",
     "WINLOGON-CHILDREN, ACCESSIBILITY-SHELL, IFEO-DEBUGGER, ACCESSIBILITY-REPLACED"},
    {"SigmaHQ registry_set_asep_reg_keys_modification_session_manager", "Session Manager values",
     "SM-BOOTEXECUTE, SM-EXECUTE, SM-APPCERTDLLS, SM-KNOWNDLLS, SM-PENDING-RENAME, "
     "SM-SUBSYSTEMS-*, SAFE-DLL-SEARCH-OFF"},
    {"SigmaHQ proc_creation_win_hktl_meterpreter_getsystem", "services.exe starting cmd /c echo",
     "SERVICES-SHELL"},
    {"SigmaHQ proc_creation_win_rundll32_process_dump_via_comsvcs", "comsvcs MiniDump",
     "LSASS-DUMP"},
    {"SigmaHQ Wdigest Enable UseLogonCredential", "WDigest clear-text caching", "WDIGEST-CACHING"},
    {"MITRE ATT&CK T1547.002/.005, T1556.002", "LSA packages", "LSA-PACKAGES"},
    {"MITRE ATT&CK T1546.010, T1546.012, T1547.004",
     "AppInit DLLs, SilentProcessExit, Winlogon "
     "helpers",
     "APPINIT-DLLS, SILENT-PROCESS-EXIT, WINLOGON-SHELL, WINLOGON-USERINIT, WINLOGON-NOTIFY"},
    {"MITRE ATT&CK T1574.007", "a user-writable folder before System32 in the system Path",
     "SM-ENVIRONMENT-PATH"},
    {"Elastic Unusual Parent-Child Relationship; EVTX-ATTACK-SAMPLES privesc_spoolsv",
     "wermgr.exe starting cmd.exe as SYSTEM (CVE-2020-1337)", "WER-SYSTEM-SHELL"},
    {"PrintDemon (CVE-2020-1048); RegRipper printdemon.pl",
     "a printer port that is a file path (a DLL or in Windows)", "PRINTER-PORT-FILE"},
    {"MITRE ATT&CK T1546.007; Trawler Test-NetSHDLLs", "netsh helper DLLs beyond Windows's",
     "NETSH-HELPER"},
    {"MemProcFS FindEvil", "PROC_PARENT, PROC_USER (core processes)", "*-PARENT, *-USER"},
    {"MemProcFS FindEvil", "PROC_NOLINK, PE_INJECT, PRIVATE_RWX (memory structures)", "-"},
};
const size_t chk_ncoverage = ARRAY_SIZE(chk_coverage);

/* Markdown table cells: no line breaks, pipes escaped. */
static void md_cell(struct strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            sb_adds(sb, "\\|");
        else if (*s == '\n')
            sb_addc(sb, ' ');
        else
            sb_addc(sb, *s);
    }
}

void chk_rules_markdown(struct strbuf *sb)
{
    sb_adds(sb, "# Checker rules\n\n"
                "Generated by `smsslab rules --format markdown` from checker/rules.def; do not "
                "edit by hand\n(a test compares this file with the output).\n\n"
                "`smsslab explain RULE-ID` prints one rule; `smsslab explain smss.exe` the "
                "lesson for a process.\n\n"
                "| Rule | Severity | Lesson | Title | Technique | Needs |\n"
                "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < chk_nrules; i++) {
        const struct chk_rule *r = &chk_rules[i];
        sb_addf(sb, "| `%s` | %s | ", r->id, chk_severity_name(r->severity));
        md_cell(sb, r->process);
        sb_adds(sb, " | ");
        md_cell(sb, r->title);
        sb_adds(sb, " | ");
        md_cell(sb, r->technique);
        sb_adds(sb, " | ");
        int first = 1;
        for (unsigned b = 0; b < ARRAY_SIZE(snap_field_names); b++)
            if (r->needs & (1u << b)) {
                sb_addf(sb, "%s%s", first ? "" : ", ", snap_field_names[b]);
                first = 0;
            }
        if (first)
            sb_adds(sb, "-");
        sb_adds(sb, " |\n");
    }
    /* Counts, by severity. */
    size_t by[CHK_CRITICAL + 1] = {0};
    for (size_t i = 0; i < chk_nrules; i++)
        by[chk_rules[i].severity]++;
    sb_addf(sb, "\n%zu rules: %zu critical, %zu high, %zu medium, %zu low, %zu info.\n", chk_nrules,
            by[CHK_CRITICAL], by[CHK_HIGH], by[CHK_MEDIUM], by[CHK_LOW], by[CHK_INFO]);
    sb_adds(sb, "\n## Coverage of the reference checks\n\n"
                "Each check the anchors make on core processes, and the rule that makes it here "
                "(a test keeps every rule id below real).\n\n"
                "| Anchor | Check | Rules |\n|---|---|---|\n");
    for (size_t i = 0; i < chk_ncoverage; i++) {
        sb_adds(sb, "| ");
        md_cell(sb, chk_coverage[i].anchor);
        sb_adds(sb, " | ");
        md_cell(sb, chk_coverage[i].check);
        sb_adds(sb, " | ");
        md_cell(sb, chk_coverage[i].rules);
        sb_adds(sb, " |\n");
    }
    sb_adds(sb, "\n## Details\n");
    for (size_t i = 0; i < chk_nrules; i++) {
        const struct chk_rule *r = &chk_rules[i];
        sb_addf(sb, "\n### %s\n\n", r->id);
        sb_addf(sb, "- **Unusual:** %s\n", r->title);
        sb_addf(sb, "- **Normal:** %s\n", r->normal);
        sb_addf(sb, "- **Why:** %s\n", r->rationale);
        sb_addf(sb, "- **ATT&CK:** %s\n", r->technique);
        sb_addf(sb, "- **Source:** %s\n", r->source);
    }
}
