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
/* How far rd_sniff reads to find the "schema" key of a JSON object: the
 * largest document any reader takes (256 MiB). */
#define RD_SNIFF_MAX ((size_t)256 << 20)
/* Read the start of fp once, until its kind is known: 1 = smsslab's own JSON
 * (a first object with a top-level "schema": "smsslab.…" key, wherever the
 * key is), 0 = anything else (host data, or nothing), -1 = read error (e
 * set). *head (the caller frees it) holds the *n bytes read, at least
 * RD_HEAD_MAX unless the input is shorter: hand them to snap_reader_unread
 * or rd_open_stream, so a pipe is never read twice. */
int rd_sniff(FILE *fp, const char *name, unsigned char **head, size_t *n, struct err *e);
/* rd_sniff on a path; "-" and unreadable paths count as native (the
 * native reader reports their errors). */
int rd_is_native(const char *path);
/* Open path with the given format (NULL or "auto" = detect from the content;
 * an error names the formats expected when detection fails). */
struct rd_stream *rd_open(const char *path, const char *format, struct err *e);
/* The same on an open stream (standard input, a pipe, a file) whose first
 * nhead bytes were already read into head (copied); name is used in
 * messages and, for a regular file, as the path libevtx opens. rd_close
 * closes fp unless it is stdin. */
struct rd_stream *rd_open_stream(const char *name, FILE *fp, const void *head, size_t nhead,
                                 const char *format, struct err *e);
/* One host's files read as one input (a triage collection: its .evtx logs
 * and its SYSTEM and SOFTWARE hives): every event goes into one set, and
 * the hives' values join the snapshot of the host's latest boot. Findings
 * name the files joined with " + ". */
struct rd_stream *rd_open_group(const char *const *paths, size_t n, struct err *e);
/* What a regular file is, from its content: 1 a SYSTEM hive, 2 a SOFTWARE
 * hive, 3 another registry hive, 0 not a hive (rd_path_hive_kind); an
 * .evtx file (rd_path_is_evtx). */
int rd_path_hive_kind(const char *path);
int rd_path_is_evtx(const char *path);
/* Next snapshot (one per host and boot found in the input). 1, 0 at end, -1 error. */
int rd_next(struct rd_stream *r, struct snap *s, struct err *e);
/* After the first rd_next: a warning about damage the reader read around
 * ("FILE: warning: the file is cut short: …"), or NULL. Owned by r. */
const char *rd_warning(const struct rd_stream *r);
void rd_close(struct rd_stream *r);

#endif
