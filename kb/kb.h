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

struct strbuf;
struct snap;

/* ---- the registry Windows ships (kb_reg.c) -------------------------------- */

#define KEY_SM "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"
#define KEY_WINLOGON "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"

/* A Windows version as far as its shipped registry goes. */
struct kb_os {
    const char *name;      /* "win10": the scenario's and the snapshot's os */
    const char *title;     /* "Windows 10 (1809+)" */
    const char *csrss_fmt; /* SubSystems\Windows, {SS} = SharedSection */
    int win7;              /* Windows 7's KnownDLLs, csrss line and environment */
};

/* The OS row by name ("win7", "win10", "win11", "server2022"), or NULL. */
const struct kb_os *kb_os_find(const char *name);
/* Add the registry values os ships to s (win10's for an unknown os); a
 * NULL shared_section is Windows's default 1024,20480,768. */
void kb_default_registry(const char *os, const char *shared_section, struct snap *s);

/* ---- process profile cards (kb.c) ----------------------------------------- */

struct kb_proc {
    const char *name; /* "smss.exe", "System" */
    const char *image, *parent, *instances, *user, *session, *start, *priority, *cmdline;
    const char *does;    /* what it is for */
    const char *unusual; /* what to look for */
};

extern const struct kb_proc kb_procs[];
extern const size_t kb_nprocs;

/* The card by process name (ASCII case-insensitive; "smss" finds smss.exe),
 * or NULL. */
const struct kb_proc *kb_proc_find(const char *name);
/* The card as text (explain) or as a Markdown section (docs/processes.md). */
void kb_proc_text(struct strbuf *sb, const struct kb_proc *p);
void kb_procs_markdown(struct strbuf *sb);

#endif
