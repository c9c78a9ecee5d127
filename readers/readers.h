/*
 * readers: turn real Windows data into snapshots, so check, render and
 * explain work unchanged on hosts: .evtx (libevtx), event XML (libxml2
 * streaming reader), ECS / NXLog NDJSON (cJSON), Volatility 3 pslist/pstree
 * (CSV, JSON) and PowerShell Win32_Process JSON. smsslab's own JSON goes
 * through snap_reader.
 */
#ifndef SMSS_READERS_H
#define SMSS_READERS_H

#include "../snap/snap.h"

struct rd_stream;

/* Names accepted by --input-format; "auto" detects from the content. */
const char *rd_format_names(void);
/* Does path hold smsslab's own JSON ("schema": "smsslab.…" near the start)?
 * "-" (stdin) counts as native: it cannot be sniffed and re-read. */
int rd_is_native(const char *path);
/* Open path with the given format (NULL or "auto" = detect from the content;
 * an error names the formats expected when detection fails). */
struct rd_stream *rd_open(const char *path, const char *format, struct err *e);
/* Next snapshot (one per host and boot found in the input). 1, 0 at end, -1 error. */
int rd_next(struct rd_stream *r, struct snap *s, struct err *e);
void rd_close(struct rd_stream *r);

#endif
