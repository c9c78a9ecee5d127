/*
 * rd_evtx: .evtx files through libevtx (the library evtxexport is built
 * on). libevtx renders each record as XML; we read that with the same
 * streaming XML code as .xml files, so both paths agree by construction.
 * Records whose event ID we never use are skipped before their XML is
 * rendered, which is where libevtx spends its time.
 */
#include "rd_evtx.h"

#include <libevtx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* libevtx (20181204 in Debian 12) trusts counts read from the file: fuzzing
 * found a 68 KB .evtx whose records each made it calloc 8 GiB, which took a
 * release build to 24 GB of resident memory and 83 s. While libevtx works on
 * a record, the address space is therefore capped at what the process uses
 * plus EVTX_HEADROOM, so such an allocation fails inside libevtx and the
 * record is reported unreadable; the cap is lifted again before our own
 * code runs. AddressSanitizer maps terabytes of shadow memory and cannot run
 * under RLIMIT_AS: sanitizer builds skip the fence and tests/fuzz/run.sh
 * gives ASan a 1 GiB allocation limit instead. */
#define EVTX_HEADROOM ((rlim_t)4 << 30)
#if defined(__SANITIZE_ADDRESS__)
#define EVTX_FENCE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EVTX_FENCE 0
#endif
#endif
#ifndef EVTX_FENCE
#define EVTX_FENCE 1
#endif

struct fence {
    struct rlimit old;
    rlim_t cap; /* 0: no fence */
};

/* The cap from the address space in use now (/proc/self/statm). */
static void fence_measure(struct fence *f)
{
    f->cap = 0;
    if (!EVTX_FENCE || getrlimit(RLIMIT_AS, &f->old) != 0)
        return;
    FILE *fp = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!fp)
        return;
    if (fscanf(fp, "%lu", &pages) == 1 && pages) {
        rlim_t cap = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + EVTX_HEADROOM;
        if (f->old.rlim_cur == RLIM_INFINITY || cap < f->old.rlim_cur)
            f->cap = cap;
    }
    fclose(fp);
}

static void fence_up(const struct fence *f)
{
    if (f->cap) {
        struct rlimit r = {f->cap, f->old.rlim_max};
        setrlimit(RLIMIT_AS, &r);
    }
}

static void fence_down(const struct fence *f)
{
    if (f->cap)
        setrlimit(RLIMIT_AS, &f->old);
}

static void evtx_err(struct err *e, const char *path, const char *what, libevtx_error_t *le)
{
    char msg[512] = "";
    if (le) {
        libevtx_error_sprint(le, msg, sizeof(msg));
        libevtx_error_free(&le);
    }
    /* libevtx messages carry the failing function's name; the last line
     * is the root cause and enough for a user. */
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
        msg[--n] = '\0';
    char *last = strrchr(msg, '\n');
    err_set(e, "%s: %s%s%s", path, what, msg[0] ? ": " : "", last ? last + 1 : msg);
}

/* The header's chunk count (offset 42) against the file's size: a log cut
 * short (a partial copy, a full disk) ends before its last chunk. The
 * header is the first 4096 bytes; chunks are 64 KiB each. */
static void evtx_extent(const char *path, struct rd_evtx_info *info)
{
    FILE *fp = fopen(path, "rb");
    unsigned char h[44];
    if (!fp)
        return;
    if (fread(h, 1, sizeof(h), fp) == sizeof(h) && !memcmp(h, "ElfFile", 8)) {
        info->chunks = (uint32_t)h[42] | (uint32_t)h[43] << 8;
        info->want_size = 4096 + (uint64_t)info->chunks * 65536;
    }
    fclose(fp);
}

int rd_read_evtx(struct rd_set *set, const char *path, struct err *e)
{
    struct rd_evtx_info info;
    return rd_read_evtx_info(set, path, &info, e);
}

int rd_read_evtx_info(struct rd_set *set, const char *path, struct rd_evtx_info *info,
                      struct err *e)
{
    memset(info, 0, sizeof(*info));
    /* libevtx only says "unable to open file" for these. */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < 4096) {
        err_set(e,
                "%s: not a readable .evtx file: too short (%lld bytes; its header alone is 4096)",
                path, (long long)st.st_size);
        return -1;
    }
    if (S_ISREG(st.st_mode)) {
        info->size = (uint64_t)st.st_size;
        evtx_extent(path, info);
    }
    libevtx_error_t *le = NULL;
    libevtx_file_t *file = NULL;
    if (libevtx_file_initialize(&file, &le) != 1) {
        evtx_err(e, path, "cannot start libevtx", le);
        return -1;
    }
    struct fence fence = {{0, 0}, 0};
    fence_measure(&fence);
    fence_up(&fence);
    int opened = libevtx_file_open(file, path, LIBEVTX_OPEN_READ, &le);
    fence_down(&fence);
    if (opened != 1) {
        evtx_err(e, path, "not a readable .evtx file", le);
        libevtx_file_free(&file, NULL);
        return -1;
    }
    int rc = 0, nrec = 0;
    if (libevtx_file_get_number_of_records(file, &nrec, &le) != 1) {
        evtx_err(e, path, "cannot count records", le);
        rc = -1;
        nrec = 0;
    }
    struct rd_xml *x = rd_xml_new();
    uint8_t *xml = NULL;
    size_t cap = 0;
    for (int i = 0; i < nrec && rc == 0; i++) {
        libevtx_record_t *rec = NULL;
        char where[4200];
        snprintf(where, sizeof(where), "%s: record %d", path, i + 1);
        if ((i & 255) == 0)
            fence_measure(&fence);
        fence_up(&fence);
        int got = libevtx_file_get_record_by_index(file, i, &rec, &le);
        if (got != 1 && fence.cap) {
            /* Our own memory may have grown since the last measure: retry
             * once against a fresh one before blaming the record. */
            fence_down(&fence);
            libevtx_error_free(&le);
            fence_measure(&fence);
            fence_up(&fence);
            got = libevtx_file_get_record_by_index(file, i, &rec, &le);
        }
        if (got != 1) {
            fence_down(&fence);
            evtx_err(e, where,
                     "unreadable record (damaged, or it asks for more memory than "
                     "any real record needs)",
                     le);
            rc = -1;
            break;
        }
        info->records++;
        uint32_t id = 0;
        /* The identifier's high bits are the qualifiers (facility,
         * severity); Sysmon and Security IDs are the low 16 bits. */
        if (libevtx_record_get_event_identifier(rec, &id, NULL) == 1 &&
            !rd_winevent_wanted(id & 0xffff)) {
            libevtx_record_free(&rec, NULL);
            fence_down(&fence);
            continue;
        }
        size_t size = 0;
        if (libevtx_record_get_utf8_xml_string_size(rec, &size, &le) != 1 || size == 0) {
            evtx_err(e, where, "cannot render the record as XML", le);
            rc = -1;
        } else if (size > RD_MAX_RECORD) {
            err_set(e, "%s: record larger than %u bytes", where, RD_MAX_RECORD);
            rc = -1;
        } else {
            if (size > cap) {
                cap = size;
                xml = xrealloc(xml, cap);
            }
            if (libevtx_record_get_utf8_xml_string(rec, xml, size, &le) != 1) {
                evtx_err(e, where, "cannot render the record as XML", le);
                rc = -1;
            } else {
                fence_down(&fence); /* our code: no cap */
                rc = rd_xml_record(x, set, (const char *)xml, strnlen((char *)xml, size), where, e);
            }
        }
        libevtx_record_free(&rec, NULL);
        fence_down(&fence);
    }
    free(xml);
    rd_xml_free(x);
    /* libevtx skips a chunk it cannot read and only flags the file. */
    info->corrupted = libevtx_file_is_corrupted(file, NULL) == 1;
    libevtx_file_close(file, NULL);
    libevtx_file_free(&file, NULL);
    return rc;
}
