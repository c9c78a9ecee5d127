/*
 * afile: atomic output files. Data goes to a temporary file in the target's
 * folder; commit fsyncs, closes and renames it into place (then fsyncs the
 * folder), abort unlinks it. A failed or interrupted run leaves nothing
 * behind. The path "-" means stdout and is written directly, and so is an
 * existing path that is not a regular file (/dev/null, /dev/stdout, a named
 * pipe): renaming a temporary file over it would replace the device node.
 */
#ifndef SMSS_AFILE_H
#define SMSS_AFILE_H

#include <stdio.h>

#include "util.h"

struct afile {
    FILE *fp;
    char *path; /* final name */
    char *tmp;  /* temporary name, NULL for stdout */
    int is_stdout;
    int direct; /* an existing device, FIFO or socket: written in place */
};

int afile_open(struct afile *af, const char *path, struct err *e);
/* Flush, fsync, close and rename. Returns 0 or -1 (and removes the temp file). */
int afile_commit(struct afile *af, struct err *e);
/* Remove the temporary file; safe to call after commit or on a zeroed afile. */
void afile_abort(struct afile *af);
/* Write a whole buffer atomically. */
int afile_write_all(const char *path, const void *data, size_t n, struct err *e);
/* Remove any temporary files registered as open (for signal handlers). */
void afile_cleanup_all(void);
void afile_install_signal_cleanup(void);

#endif
