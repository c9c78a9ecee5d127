/*
 * profile: the registry values a scenario may set (their defaults, and what
 * each Windows version starts, are in kb/: kb/oses.def, kb_default_registry).
 * Sources are cited in profile.c and in docs/scenario.md; where a fact is undocumented the comment
 * says so.
 */
#ifndef SMSS_PROFILE_H
#define SMSS_PROFILE_H

#include "../kb/kb.h"
#include "scn.h"

/* The OS's row in kb/oses.def: which processes it starts, the forms of its
 * records (an unknown os is win10). */
const struct kb_os *profile_get(enum scn_os os);

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
