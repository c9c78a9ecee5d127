/*
 * readers: turn real Windows data into snapshots, so check, render and
 * explain work unchanged on hosts: .evtx (libevtx), event XML (libxml2
 * streaming reader), ECS / NXLog NDJSON (cJSON), Volatility 3 pslist/pstree
 * (CSV, JSON) and PowerShell Win32_Process JSON. smsslab's own JSON goes
 * through snap_reader.
 */
#ifndef SMSS_READERS_H
#define SMSS_READERS_H

#include <stdio.h>

#include "../snap/snap.h"

struct rd_stream;

/* Names accepted by --input-format; "auto" detects from the content. */
const char *rd_format_names(void);
/* Bytes read from the start of an input before the format is known. */
#define RD_HEAD_MAX (64u * 1024)
/* Does path hold smsslab's own JSON ("schema": "smsslab.…" near the start)?
 * rd_is_native_head asks the same of the first n bytes of an input. "-"
 * counts as native here; cli/input.c sniffs standard input itself. */
int rd_is_native(const char *path);
int rd_is_native_head(const void *head, size_t n);
/* Open path with the given format (NULL or "auto" = detect from the content;
 * an error names the formats expected when detection fails). */
struct rd_stream *rd_open(const char *path, const char *format, struct err *e);
/* The same on an open stream (standard input) whose first nhead bytes were
 * already read into head (copied); name is used in messages. rd_close
 * closes fp unless it is stdin. */
struct rd_stream *rd_open_stream(const char *name, FILE *fp, const void *head, size_t nhead,
                                 const char *format, struct err *e);
/* Next snapshot (one per host and boot found in the input). 1, 0 at end, -1 error. */
int rd_next(struct rd_stream *r, struct snap *s, struct err *e);
void rd_close(struct rd_stream *r);

#endif
