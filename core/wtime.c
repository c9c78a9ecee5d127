/*
 * wtime: integer UTC time formatting and strict parsing. The civil-date maths
 * is Howard Hinnant's public-domain algorithm
 * (https://howardhinnant.github.io/date_algorithms.html), so no libc time
 * function (and no TZ or locale) can change what we print.
 */
#include "wtime.h"

#include <stdio.h>
#include <string.h>

int64_t wt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void wt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static void put_digits(char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static void split(int64_t t, int64_t *days, int64_t *secs, int64_t *us)
{
    if (t < 0)
        t = 0;
    if (t > WT_MAX)
        t = WT_MAX;
    *days = t / WT_DAY;
    int64_t rem = t % WT_DAY;
    *secs = rem / WT_SEC;
    *us = rem % WT_SEC;
}

static void put_date_time(char *o, int64_t t, char sep, int64_t *us)
{
    /* Nearly every time in one output falls on the same day: remember the
     * last day's digits (speed only; the result is the same either way). */
    static int64_t last_days = -1;
    static char last_date[10];
    int64_t days, secs, y;
    unsigned m, d;
    split(t, &days, &secs, us);
    if (days != last_days) {
        wt_civil_from_days(days, &y, &m, &d);
        put_digits(last_date, (uint64_t)y, 4);
        last_date[4] = '-';
        put_digits(last_date + 5, m, 2);
        last_date[7] = '-';
        put_digits(last_date + 8, d, 2);
        last_days = days;
    }
    memcpy(o, last_date, 10);
    o[10] = sep;
    put_digits(o + 11, (uint64_t)(secs / 3600), 2);
    o[13] = ':';
    put_digits(o + 14, (uint64_t)(secs / 60 % 60), 2);
    o[16] = ':';
    put_digits(o + 17, (uint64_t)(secs % 60), 2);
    o[19] = '.';
}

size_t wt_format_iso(int64_t t, char out[WT_ISO_LEN])
{
    int64_t us;
    put_date_time(out, t, 'T', &us);
    put_digits(out + 20, (uint64_t)us, 6);
    out[26] = 'Z';
    out[27] = '\0';
    return 27;
}

size_t wt_format_sysmon(int64_t t, char out[WT_SYSMON_LEN])
{
    int64_t us;
    put_date_time(out, t, ' ', &us);
    put_digits(out + 20, (uint64_t)(us / 1000), 3);
    out[23] = '\0';
    return 23;
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The day number of the date s[0, 10) ("YYYY-MM-DD"), or -1 when invalid. */
static int64_t parse_date(const char *s)
{
    unsigned y, mo, d;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return -1;
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return -1;
    return wt_days_from_civil(y, mo, d);
}

int wt_parse_iso(const char *s, int64_t *out)
{
    /* Nearly every time in one input falls on the same day: the last valid
     * date is remembered with its day number, and the same ten bytes again
     * skip their checks (speed only; the result is the same either way).
     * No strlen: a NUL among the first 19 bytes fails a compare, a digit or
     * a separator test before anything past it is read (last_date has
     * none, so the compare stops at one; its first value is no date). */
    static char last_date[11] = "----------";
    static int64_t last_days = -1;
    if (!s)
        return -1;
    const char *l = last_date;
    int same = s[0] == l[0] && s[1] == l[1] && s[2] == l[2] && s[3] == l[3] && s[4] == l[4] &&
               s[5] == l[5] && s[6] == l[6] && s[7] == l[7] && s[8] == l[8] && s[9] == l[9];
    int64_t days = same ? last_days : parse_date(s);
    if (days < 0)
        return -1;
    if (!same) {
        memcpy(last_date, s, 10);
        last_days = days;
    }
    unsigned h, mi, se;
    if ((s[10] != 'T' && s[10] != ' ' && s[10] != 't') || digits(s + 11, 2, &h) || s[13] != ':' ||
        digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return -1;
    if (h > 23 || mi > 59 || se > 59)
        return -1;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        /* Microseconds: the digits as a number (unsigned: a long run may
         * wrap before it is refused), scaled to six digits; digits past
         * the sixth are cut off. */
        static const uint64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
        const char *f = ++p;
        uint64_t v = 0;
        while ((unsigned)(*p - '0') <= 9)
            v = v * 10 + (unsigned)(*p++ - '0');
        long n = p - f;
        if (n == 0 || n > 9)
            return -1;
        frac = (int64_t)(n <= 6 ? v * pow10[6 - n] : v / pow10[n - 6]);
    }
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (strncmp(p, "+00:00", 6) == 0)
        p += 6;
    else if (*p != '\0')
        return -1;
    if (*p)
        return -1;
    *out =
        days * WT_DAY + (int64_t)h * WT_HOUR + (int64_t)mi * WT_MIN + (int64_t)se * WT_SEC + frac;
    return 0;
}

int wt_parse_duration(const char *s, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return -1;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    int64_t total = 0;
    const char *p = s;
    int64_t last_unit = INT64_MAX;
    while (*p) {
        if (*p < '0' || *p > '9')
            return -1;
        int64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return -1;
            v = v * 10 + (*p++ - '0');
        }
        int64_t unit;
        if (strncmp(p, "us", 2) == 0) {
            unit = WT_USEC;
            p += 2;
        } else if (strncmp(p, "ms", 2) == 0) {
            unit = WT_MSEC;
            p += 2;
        } else if (*p == 's') {
            unit = WT_SEC;
            p++;
        } else if (*p == 'm') {
            unit = WT_MIN;
            p++;
        } else if (*p == 'h') {
            unit = WT_HOUR;
            p++;
        } else if (*p == 'd') {
            unit = WT_DAY;
            p++;
        } else {
            return -1;
        }
        /* Units must go from large to small, each at most once: "1h30m", not "30m1h". */
        if (unit >= last_unit)
            return -1;
        last_unit = unit;
        if (v > max / unit || total > max - v * unit)
            return -1;
        total += v * unit;
    }
    *out = total;
    return 0;
}

size_t wt_format_duration(int64_t d, char *out, size_t n)
{
    static const struct {
        int64_t unit;
        const char *name;
    } units[] = {{WT_DAY, "d"}, {WT_HOUR, "h"},  {WT_MIN, "m"},
                 {WT_SEC, "s"}, {WT_MSEC, "ms"}, {WT_USEC, "us"}};
    size_t len = 0;
    if (n == 0)
        return 0;
    out[0] = '\0';
    if (d <= 0) {
        if (n > 1) {
            out[0] = '0';
            out[1] = '\0';
            len = 1;
        }
        return len;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && d > 0; i++) {
        int64_t v = d / units[i].unit;
        if (!v)
            continue;
        d -= v * units[i].unit;
        char tmp[32];
        int k = 0;
        char rev[24];
        int r = 0;
        do {
            rev[r++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (r)
            tmp[k++] = rev[--r];
        for (const char *u = units[i].name; *u; u++)
            tmp[k++] = *u;
        if (len + (size_t)k + 1 > n)
            break;
        memcpy(out + len, tmp, (size_t)k);
        len += (size_t)k;
        out[len] = '\0';
    }
    return len;
}

size_t wt_format_elapsed(int64_t d, char *out, size_t n)
{
    if (n == 0)
        return 0;
    if (d < 0)
        d = 0;
    int64_t ms = (d + WT_MSEC / 2) / WT_MSEC;
    int r;
    if (ms < 1000)
        r = snprintf(out, n, "%lldms", (long long)ms);
    else if (ms < 60000)
        r = snprintf(out, n, "%lld.%03llds", (long long)(ms / 1000), (long long)(ms % 1000));
    else if (ms < 3600000)
        r = snprintf(out, n, "%lldm%lld.%03llds", (long long)(ms / 60000),
                     (long long)(ms / 1000 % 60), (long long)(ms % 1000));
    else
        r = snprintf(out, n, "%lldh%lldm%llds", (long long)(ms / 3600000),
                     (long long)(ms / 60000 % 60), (long long)(ms / 1000 % 60));
    return r < 0 ? 0 : (size_t)r < n ? (size_t)r : n - 1;
}
