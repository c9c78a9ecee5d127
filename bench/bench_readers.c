/*
 * bench_readers: events per second and peak memory of each reader on large
 * inputs built by repeating real records from ../shared/real, and the EVTX
 * reader's time against evtxexport (the same library's own tool) on the
 * same file. Each measurement runs in a forked child so peak RSS is its own.
 * Usage: bench_readers [REAL_DIR] [REPEAT]   (defaults ../shared/real, 2000)
 *        bench_readers read FILE [FORMAT]    read every snapshot of FILE, print
 *                                            the CPU seconds and the snapshots
 *                                            (bench/run.sh sets its references
 *                                            beside it)
 */
#include "../readers/readers.h"

#include <libevtx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time: the machines are shared, and wall time counts the others. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_one(const char *path, const char *fmt)
{
    struct err e;
    struct snap s;
    snap_init(&s);
    double t0 = cpu();
    int rc, n = 0;
    if (fmt && !strcmp(fmt, "native")) { /* smsslab's own documents: the snapshot reader */
        struct snap_reader *r = snap_reader_open(path, &e);
        rc = r ? 0 : -1;
        while (r && (rc = snap_reader_next(r, &s, &e)) == 1)
            n++;
        snap_reader_close(r);
    } else {
        struct rd_stream *r = rd_open(path, fmt, &e);
        rc = r ? 0 : -1;
        while (r && (rc = rd_next(r, &s, &e)) == 1)
            n++;
        rd_close(r);
    }
    double dt = cpu() - t0;
    snap_release(&s);
    if (rc < 0) {
        fprintf(stderr, "bench_readers: %s\n", e.msg);
        return 2;
    }
    printf("%.6f %d\n", dt, n);
    return 0;
}

/* Read every snapshot of path; print time, events/s and peak RSS. */
static void measure(const char *label, const char *path, const char *fmt, double events)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct err e;
        struct snap s;
        snap_init(&s);
        double t0 = cpu();
        struct rd_stream *r = rd_open(path, fmt, &e);
        int rc = r ? 0 : -1, n = 0;
        while (r && (rc = rd_next(r, &s, &e)) == 1)
            n++;
        double dt = cpu() - t0;
        rd_close(r);
        snap_release(&s);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        if (rc < 0)
            printf("%-14s error: %s\n", label, e.msg);
        else
            printf("%-14s %9.0f events  %7.3f s CPU  %9.0f events/s  peak %6ld MB  %d snapshots\n",
                   label, events, dt, events / dt, ru.ru_maxrss / 1024, n);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

/* Record XML strings of an .evtx file, via libevtx. */
static char **evtx_records(const char *path, size_t *n)
{
    libevtx_file_t *f = NULL;
    char **v = NULL;
    *n = 0;
    int nrec = 0;
    if (libevtx_file_initialize(&f, NULL) != 1 || libevtx_file_open(f, path, 1, NULL) != 1 ||
        libevtx_file_get_number_of_records(f, &nrec, NULL) != 1)
        return NULL;
    v = xcalloc((size_t)nrec + 1, sizeof(*v));
    for (int i = 0; i < nrec; i++) {
        libevtx_record_t *r = NULL;
        size_t sz = 0;
        if (libevtx_file_get_record_by_index(f, i, &r, NULL) != 1)
            continue;
        if (libevtx_record_get_utf8_xml_string_size(r, &sz, NULL) == 1 && sz) {
            v[*n] = xmalloc(sz);
            if (libevtx_record_get_utf8_xml_string(r, (uint8_t *)v[*n], sz, NULL) == 1)
                (*n)++;
        }
        libevtx_record_free(&r, NULL);
    }
    libevtx_file_close(f, NULL);
    libevtx_file_free(&f, NULL);
    return v;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "read"))
        return read_one(argv[2], argc > 3 ? argv[3] : NULL);
    const char *real = argc > 1 ? argv[1] : "../shared/real";
    long repeat = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    char evtx[4096], zip[4096], cmd[9000];
    snprintf(evtx, sizeof(evtx), "%s/evtx/privesc_unquoted_svc_sysmon_1_11.evtx", real);
    if (access(evtx, R_OK)) {
        fprintf(stderr, "bench_readers: %s not found (pass the shared/real folder)\n", evtx);
        return 2;
    }
    /* XML: the Sysmon EVTX's records repeated, as evtxexport -f xml prints. */
    size_t nrec;
    char **recs = evtx_records(evtx, &nrec);
    const char *xml = "/tmp/smsslab-bench-sysmon.xml";
    FILE *fp = fopen(xml, "w");
    if (!fp || !recs)
        return 2;
    for (long k = 0; k < repeat; k++)
        for (size_t i = 0; i < nrec; i++)
            fprintf(fp, "%s\n", recs[i]);
    fclose(fp);
    printf("inputs: %zu real Sysmon records x %ld\n", nrec, repeat);
    measure("xml", xml, NULL, (double)nrec * (double)repeat);

    /* NDJSON: OTRF NXLog Sysmon lines repeated (unzip -p streams the zip). */
    snprintf(zip, sizeof(zip),
             "%s/otrf/empire_persistence_registry_modification_run_keys_"
             "standard_user.zip",
             real);
    const char *nd = "/tmp/smsslab-bench-nxlog.jsonl";
    snprintf(cmd, sizeof(cmd),
             "unzip -p '%s' | grep -F Microsoft-Windows-Sysmon/Operational "
             "| head -20000 > /tmp/smsslab-bench-one.jsonl && : > %s && for i in $(seq %ld); "
             "do cat /tmp/smsslab-bench-one.jsonl; done >> %s",
             zip, nd, repeat / 100 > 0 ? repeat / 100 : 1, nd);
    if (system(cmd) == 0) {
        FILE *c = popen("wc -l < /tmp/smsslab-bench-nxlog.jsonl", "r");
        double lines = 0;
        if (c && fscanf(c, "%lf", &lines) != 1)
            lines = 0;
        if (c)
            pclose(c);
        measure("ndjson-nxlog", nd, NULL, lines);
    }

    /* EVTX: our reader against evtxexport -f xml on the same file. */
    int iters = 50;
    double t0 = now();
    for (int i = 0; i < iters; i++) {
        struct err e;
        struct snap s;
        snap_init(&s);
        struct rd_stream *r = rd_open(evtx, "evtx", &e);
        while (r && rd_next(r, &s, &e) == 1)
            ;
        rd_close(r);
        snap_release(&s);
    }
    double ours = (now() - t0) / iters;
    snprintf(cmd, sizeof(cmd), "evtxexport -f xml '%s' > /dev/null 2>&1", evtx);
    t0 = now();
    int ok = 1;
    for (int i = 0; i < iters && ok; i++)
        ok = system(cmd) == 0;
    double theirs = (now() - t0) / iters;
    printf("evtx           %zu records: smsslab %.2f ms, evtxexport %s %.2f ms, ratio %.2f\n", nrec,
           ours * 1e3, ok ? "" : "(failed)", theirs * 1e3, ours / theirs);
    measure("evtx", evtx, NULL, (double)nrec);
    for (size_t i = 0; i < nrec; i++)
        free(recs[i]);
    free(recs);
    unlink(xml);
    unlink(nd);
    unlink("/tmp/smsslab-bench-one.jsonl");
    return 0;
}
