/*
 * wtime: simulated time. All times are int64 microseconds since the Unix
 * epoch, UTC; no wall clock, no time zone, no locale is ever consulted.
 */
#ifndef SMSS_WTIME_H
#define SMSS_WTIME_H

#include <stddef.h>
#include <stdint.h>

#define WT_NONE INT64_MIN
#define WT_USEC 1LL
#define WT_MSEC 1000LL
#define WT_SEC 1000000LL
#define WT_MIN (60 * WT_SEC)
#define WT_HOUR (60 * WT_MIN)
#define WT_DAY (24 * WT_HOUR)
/* Times must lie in [1970-01-01, 9999-12-31] so every format has 4-digit years. */
#define WT_MAX 253402300799999999LL

/* "2024-05-01T08:00:03.284512Z": 27 chars + NUL. */
#define WT_ISO_LEN 28
size_t wt_format_iso(int64_t t, char out[WT_ISO_LEN]);
/* Sysmon's UtcTime "2024-05-01 08:00:03.284" (milliseconds). */
#define WT_SYSMON_LEN 24
size_t wt_format_sysmon(int64_t t, char out[WT_SYSMON_LEN]);

/* Strict ISO 8601 UTC: YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|+00:00). Also accepts a
 * space instead of T (Sysmon). Returns 0, or -1 when invalid. */
int wt_parse_iso(const char *s, int64_t *out);

/* Durations: "250ms", "30s", "2h", "1h30m", "1d", "500us", "0". At most
 * `max`. Returns 0 or -1. */
int wt_parse_duration(const char *s, int64_t max, int64_t *out);
/* Shortest exact form of a duration, e.g. "1h30m", "4.5s" -> "4500ms". */
size_t wt_format_duration(int64_t d, char *out, size_t n);

/* A duration for people, to the millisecond: "850ms", "4.537s", "5m0.259s",
 * "2h3m4s" (hours drop the fraction). */
size_t wt_format_elapsed(int64_t d, char *out, size_t n);

/* Days since epoch for a civil date and back (Howard Hinnant's algorithms). */
int64_t wt_days_from_civil(int64_t y, unsigned m, unsigned d);
void wt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
