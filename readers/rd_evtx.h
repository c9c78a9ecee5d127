/*
 * rd_evtx: what the .evtx front end tells readers.c beyond rd_int.h's
 * rd_read_evtx -- how much of a damaged file it could read, so a cut or
 * corrupted log is reported instead of read silently as half a tree.
 */
#ifndef SMSS_RD_EVTX_H
#define SMSS_RD_EVTX_H

#include <stdint.h>

#include "rd_int.h"

struct rd_evtx_info {
    uint64_t records;   /* records libevtx could read */
    uint64_t size;      /* the file's size in bytes */
    uint64_t want_size; /* the size its header's chunk count implies */
    uint32_t chunks;    /* chunks the header lists */
    int corrupted;      /* libevtx found a damaged chunk */
};

/* rd_read_evtx, also filling info (zeroed first). */
int rd_read_evtx_info(struct rd_set *set, const char *path, struct rd_evtx_info *info,
                      struct err *e);

#endif
