/*
 * fuzz_readers: one real-data front end (readers/) on arbitrary bytes, fed
 * from memory through rd_src_file (no temp file, so thousands of runs/s),
 * then every snapshot built goes through the checker and renderer. One
 * binary per format, chosen with -DFUZZ_FMT=<enum fuzz_fmt>. EVTX goes
 * through a temp file because libevtx wants a path, and FZ_AUTO through
 * rd_open (a temp file as well) to cover format detection. FZ_STDIN reads
 * as standard input and pipes are read: rd_sniff on a stream, then
 * rd_open_stream with a head of exactly the bytes read (not rd_open's
 * 64 KiB buffer), so a detector that reads past them is caught. FZ_HIVE
 * reads a registry hive (libhivex, a temp file) as rd_hive.c does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "../../readers/rd_int.h"
#include "../../readers/readers.h"
#include "fuzz_common.h"

enum fuzz_fmt { FZ_XML = 1, FZ_NDJSON, FZ_JSONDOC, FZ_CSV, FZ_EVTX, FZ_AUTO, FZ_STDIN, FZ_HIVE };

static char fuzz_tmp_path[64];

static const char *fuzz_write_tmp(const uint8_t *data, size_t size)
{
    if (!fuzz_tmp_path[0])
        snprintf(fuzz_tmp_path, sizeof(fuzz_tmp_path), "/tmp/smsslab-fuzz-%ld", (long)getpid());
    FILE *fp = fopen(fuzz_tmp_path, "wb");
    if (!fp)
        abort();
    if (size && fwrite(data, 1, size, fp) != size)
        abort();
    if (fclose(fp))
        abort();
    return fuzz_tmp_path;
}

static void fuzz_drain_set(struct rd_set *set)
{
    struct snap s;
    struct err e;
    snap_init(&s);
    size_t n = rd_set_finish(set);
    for (size_t i = 0; i < n && i < 64; i++)
        if (rd_set_snapshot(set, i, &s, &e) == 0)
            fuzz_consume_snap(&s);
    snap_release(&s);
}

static void fuzz_drain_stream(struct rd_stream *r)
{
    struct snap s;
    struct err e;
    snap_init(&s);
    for (int n = 0; n < 64 && rd_next(r, &s, &e) == 1; n++)
        fuzz_consume_snap(&s);
    snap_release(&s);
    rd_close(r);
}

/* What cli/input.c does with standard input or a pipe. smsslab's own JSON
 * goes to the snapshot reader, which fuzz_snapshot covers. */
static void fuzz_stdin(const uint8_t *data, size_t size)
{
    if (!size)
        return;
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp)
        abort();
    struct err e;
    unsigned char *head;
    size_t n;
    int native = rd_sniff(fp, "<stdin>", &head, &n, &e);
    if (native < 0)
        abort(); /* memory streams do not fail */
    unsigned char *exact = xmalloc(n ? n : 1);
    memcpy(exact, head, n);
    free(head);
    if (native || n == 0) {
        fclose(fp);
    } else {
        struct rd_stream *r = rd_open_stream("<stdin>", fp, exact, n, "auto", &e);
        if (r)
            fuzz_drain_stream(r);
    }
    free(exact);
}

/* The body, callable from tests/test_fuzz_regress.c (built with FUZZ_NO_MAIN). */
static int fuzz_readers(enum fuzz_fmt fmt, const uint8_t *data, size_t size)
{
    struct err e;
    if (fmt == FZ_STDIN) {
        fuzz_stdin(data, size);
        return 0;
    }
    if (fmt == FZ_AUTO) {
        struct rd_stream *r = rd_open(fuzz_write_tmp(data, size), NULL, &e);
        if (r)
            fuzz_drain_stream(r);
        unlink(fuzz_tmp_path);
        return 0;
    }
    struct rd_set *set = rd_set_new("fuzz");
    struct rd_src_file f = {"fuzz", "fuzz", data, size, 0, NULL};
    int rc = -1;
    switch (fmt) {
    case FZ_XML: rc = rd_read_xml(set, &f, &e); break;
    case FZ_NDJSON: rc = rd_read_ndjson(set, &f, 1, &e); break;
    case FZ_JSONDOC: rc = rd_read_jsondoc(set, &f, &e); break;
    case FZ_CSV: rc = rd_read_vol3_csv(set, &f, &e); break;
    case FZ_EVTX:
        rc = rd_read_evtx(set, fuzz_write_tmp(data, size), &e);
        unlink(fuzz_tmp_path);
        break;
    case FZ_HIVE:
        /* libhivex opens a path too; then the state joins a snapshot. */
        rc = rd_read_hive(set, fuzz_write_tmp(data, size), &e);
        unlink(fuzz_tmp_path);
        if (rc == 0) {
            rd_set_finish(set);
            if (rd_set_attach_state(set, "fuzz", &e) == 0) {
                struct snap s;
                snap_init(&s);
                for (size_t i = 0; i < rd_set_count(set); i++)
                    if (rd_set_snapshot(set, i, &s, &e) == 0)
                        fuzz_consume_snap(&s);
                snap_release(&s);
            }
            rc = -1; /* drained here */
        }
        break;
    case FZ_AUTO:
    case FZ_STDIN: break;
    }
    if (rc == 0)
        fuzz_drain_set(set);
    rd_set_free(set);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_readers(FUZZ_FMT, data, size);
}
#endif
