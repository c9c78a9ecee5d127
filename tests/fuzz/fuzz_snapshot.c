/*
 * fuzz_snapshot: the snapshot JSON reader (snap/snap_read.c) on arbitrary
 * bytes, then the checker and the DOT renderer on every snapshot it accepts.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

/* The body, callable from tests/test_fuzz_regress.c (built with FUZZ_NO_MAIN). */
static int fuzz_snapshot(const uint8_t *data, size_t size)
{
    struct snap_reader *r = snap_reader_open_mem("fuzz.json", (const char *)data, size);
    struct snap s;
    struct err e;
    snap_init(&s);
    /* Bounded: a run document holds at most SCN_MAX_SNAPSHOTS; stop well past it. */
    for (int n = 0; n < 256; n++) {
        int rc = snap_reader_next(r, &s, &e);
        if (rc <= 0)
            break;
        fuzz_consume_snap(&s);
    }
    snap_release(&s);
    snap_reader_close(r);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_snapshot(data, size);
}
#endif
