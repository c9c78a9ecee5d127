/*
 * chk_int: what the rule check functions share -- the evaluation context
 * with per-snapshot facts computed once (parent of every process, which core
 * process each one is, the master smss), the table of core processes the
 * generic checks read, and the helpers that normalise paths and users.
 * Not part of the public interface: only the checker sources include it.
 */
#ifndef SMSS_CHK_INT_H
#define SMSS_CHK_INT_H

#include <stdint.h>

#include "../kb/kb.h"
#include "chk.h"

/* The core processes are kb's rows (kb/kb.c: struct kb_proc): their
 * folders, parents, children, sessions, priority and integrity. A process's
 * kind is its row's index + 1 (0 = not a core process). */

/* Which checks of a core row its own rules.def row makes (SMSS-PATH is
 * chk_rule_path with .target "smss.exe"), so the generic CORE-* rule skips
 * them: chk_core_own(row index), and per kind in the context (own[kind]). */
enum { CHK_OWN_PATH = 1, CHK_OWN_PARENT = 2, CHK_OWN_CHILDREN = 4, CHK_OWN_PRIORITY = 8 };
unsigned chk_core_own(size_t k);

/* Shells and script hosts, as SigmaHQ's proc_creation_win_cmd_sticky_key_
 * like_backdoor_execution lists them for winlogon's children. */
#define CHK_SHELLS                                                                          \
    "cmd.exe|powershell.exe|pwsh.exe|powershell_ise.exe|wscript.exe|cscript.exe|mshta.exe|" \
    "regsvr32.exe|rundll32.exe|wt.exe|bash.exe|wsl.exe"
/* The programs Windows starts from the logon screen for accessibility
 * (ATT&CK T1546.008), which an IFEO Debugger or a replaced binary turns
 * into a SYSTEM shell before anyone logs on. */
#define CHK_ACCESSIBILITY \
    "sethc.exe|utilman.exe|osk.exe|Magnify.exe|Narrator.exe|DisplaySwitch.exe|AtBroker.exe"

/* Per-snapshot facts; kind is kb_procs index + 1 (0 = not a core process). */
struct chk_ctx {
    struct snap *s;
    const struct chk_rule *rule;
    struct chk_findings *out;
    long *parent; /* per process: index of its recorded parent, -1 */
    uint8_t *kind;
    const uint8_t *own; /* per kind: CHK_OWN_* bits (own[0] = 0) */
    long master;        /* the master smss, -1 if absent */
    int win7;           /* the snapshot's OS row is Windows 7: 1, a later one: 0, unknown: -1 */
    long wininit;       /* the boot's wininit (earliest running), -1 */
    /* Per registry value, computed once: the program an Image File
     * Execution Options or SilentProcessExit key is about, else NULL. */
    const char **reg_ifeo, **reg_spe;
    uint8_t *reg_fam;    /* per registry value: its key family (chk_reg_family) */
    uint32_t *reg_class; /* per registry value: chk_reg_key_class */
    /* Per process, normalised once (chk_path_norm): the image path and its
     * folder; NULL when the image is missing, "?", a bare name (no '\\') or
     * does not normalise (img_bad set). */
    const char **img_norm, **img_dir;
    uint8_t *img_bad;
    char *img_buf;
    /* Per process: chk_cl_facts's answer | CHK_CL_KNOWN once asked. */
    uint32_t *cl_facts;
    int k_system, k_smss, k_svchost; /* kinds looked up once */
};

/* What the rules look for in a command line, found in one look per
 * distinct line (kept in a bounded memo) and once per process: the
 * sticky-keys verbs (chk_cl_verbs, rules_shell.c) in the low byte, the
 * LSASS dump marks (chk_cl_dump_marks, rules_tree.c) in the next. Two rules
 * asked a memo each for the same line: a look-up costs a pass to hash it
 * and one to compare it. 0 for a process without a command line. */
enum { CHK_CL_KNOWN = 1u << 31 };
unsigned chk_cl_verbs(const char *cl);
unsigned chk_cl_dump_marks(const char *cl);
unsigned chk_cl_facts(struct chk_ctx *c, size_t i);

/* The registry keys the rules read, by tail (rules_registry.c). */
enum {
    CHK_RF_NONE,
    CHK_RF_SM, /* \Control\Session Manager */
    CHK_RF_SM_APPCERT,
    CHK_RF_SM_KNOWNDLLS,
    CHK_RF_SM_SUBSYS,
    CHK_RF_SM_ENV,
    CHK_RF_WINLOGON,
    CHK_RF_LSA,
    CHK_RF_WDIGEST,
    CHK_RF_WINDOWS,
    CHK_RF_SAFEBOOT,
    CHK_RF_NETSH,
    CHK_RF_COUNT
};
/* The family of a registry key, CHK_RF_NONE for none of them. */
uint8_t chk_reg_family(const char *key);
/* A key's family (low byte) and what else the rules ask of it. */
enum { CHK_KEY_IFEO = 1 << 8, CHK_KEY_SPE = 1 << 9, CHK_KEY_PORTS = 1 << 10 };
uint32_t chk_reg_key_class(const char *key);

/* Emit a finding for the current rule. */
void chk_report_proc(struct chk_ctx *c, size_t proc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void chk_report_reg(struct chk_ctx *c, const struct snap_reg *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The core row the current rule targets (rule->target), or NULL. */
const struct kb_proc *chk_target(const struct chk_ctx *c, int *kind);
int chk_kind_of(const char *name);
const char *chk_name(const struct snap_proc *p);

/* Normalise a Windows path for comparison: ASCII lower case, '/' -> '\',
 * drive letters and the \??\, \\?\, \Device\HarddiskVolumeN\ prefixes
 * dropped, \SystemRoot\, %SystemRoot% and %windir% expanded to \windows, and
 * surrounding quotes removed. "C:\WINDOWS\system32\smss.exe" and
 * "\SystemRoot\System32\smss.exe" both become "\windows\system32\smss.exe".
 * Returns the length, or -1 when it does not fit. */
int chk_path_norm(const char *in, char *out, size_t n);
/* The folder part of a normalised path (in place: cuts at the last '\'). */
void chk_path_dir(char *norm);
/* Is s one of the '|' separated words in list (ASCII case-insensitive)?
 * list must live as long as the program (a literal or a kb string): it is
 * compiled once and remembered by its address. Lists of more than
 * CHK_LIST_MAX words are searched word by word. */
#define CHK_LIST_MAX 48
int chk_in_list(const char *list, const char *s);
/* The first occurrence of needle in hay, ASCII case-insensitive, or NULL:
 * the rules search command lines and keys with it (a byte loop calling
 * ascii_ncasecmp at every position was a third of check's time). */
const char *chk_ci_find(const char *hay, const char *needle);
/* Sysmon's "?" and "-", or nothing: a name that names nobody. */
int chk_unknown_name(const char *n);
/* 1 = SYSTEM (by SID, logon id or account name), 0 = someone else, -1 = unknown. */
int chk_is_system(const struct snap_proc *p);
/* Parent process usable for parent rules: recorded, alive, and with a known
 * name (Sysmon writes "?" for an unknown parent). NULL otherwise. */
const struct snap_proc *chk_live_parent(const struct chk_ctx *c, size_t i);
/* An smss created by another smss (a per-session child). */
int chk_smss_is_child(const struct chk_ctx *c, size_t i);
/* Is p the Terminal Services svchost (svchost.exe -k termsvcs)? */
int chk_is_termsvcs(const struct snap_proc *p);
/* The arguments of a command line: what follows the program, quoted or
 * not ("C:\\Windows\\Explorer.EXE /factory,{...}" -> "/factory,{...}"),
 * leading blanks skipped; "" when there are none. */
const char *chk_cmd_args(const char *cl);
/* Shells and script hosts that a service or a SYSTEM process has no reason
 * to start (SigmaHQ proc_creation_win_hktl_meterpreter_getsystem: the
 * PsExec-style and getsystem services run `cmd /c ...`). */
#define CHK_SERVICE_SHELLS \
    "cmd.exe|powershell.exe|pwsh.exe|powershell_ise.exe|wscript.exe|cscript.exe|mshta.exe"
/* "0x3e7"-free description of a process for messages: "name (pid N)". */
const char *chk_pdesc(const struct snap_proc *p, char *buf, size_t n);

/* Lookalike detection (lookalike.c): if name imitates a core process name
 * without being one, write the imitated name into out and return 1. */
int chk_lookalike(const char *name, const char **imitated, char *why, size_t nwhy);

/* Registry helpers (rules_registry.c). chk_key_program: the program a key
 * under tail names ("...\\Image File Execution Options\\sethc.exe" ->
 * "sethc.exe"), or NULL; the context holds it per value (reg_ifeo, reg_spe). */
#define CHK_IFEO_TAIL "\\Windows NT\\CurrentVersion\\Image File Execution Options"
#define CHK_SPE_TAIL "\\Windows NT\\CurrentVersion\\SilentProcessExit"
const char *chk_key_program(const char *key, const char *tail);
int chk_str_blank(const char *s);
/* A value as a number: a DWORD, or a string "0", "1", "0x200"; -1 when it is
 * neither. */
int chk_reg_u32(const struct snap_reg *r, uint32_t *out);

#endif
