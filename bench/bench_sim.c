/*
 * bench_sim: boots simulated per second, on one core, for the default
 * scenario with a new seed each boot -- simulation only, and simulation plus
 * the full run document written to /dev/null -- and the peak memory, which
 * must not grow with the number of boots. Then the cost per process of a
 * host with 10, 100 and 1,000 RDP sessions (issue 18: linear in sessions).
 * Usage: bench_sim [BOOTS=20000]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "../core/util.h"
#include "../sim/scn.h"
#include "../sim/sim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A server with a console logon and n RDP sessions logging on 2 s apart. */
static int rdp_host(struct scn *sc, int n, struct err *e)
{
    struct strbuf y = STRBUF_INIT;
    sb_adds(&y, "name: rdp\nseed: 1\nos: server2022\nsessions:\n"
                "  - {id: 1, kind: console, user: CORP\\alice, logon: 35s}\n");
    for (int k = 2; k < n + 2; k++)
        sb_addf(&y, "  - {id: %d, kind: rdp, user: CORP\\u%d, logon: %ds}\n", k, k, 60 + 2 * k);
    sb_adds(&y, "snapshots: [end]\n");
    int rc = scn_load_mem(sc, "rdp", y.buf, y.len, e);
    sb_release(&y);
    return rc;
}

/* Simulation time per process for a host of n RDP sessions, repeated. */
static double per_proc_ns(struct sim *sm, int n, int reps, size_t *nprocs)
{
    struct scn sc;
    struct err e;
    scn_init(&sc);
    if (rdp_host(&sc, n, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        exit(2);
    }
    double t0 = now();
    for (int i = 0; i < reps; i++) {
        sc.seed = (uint64_t)i + 1;
        if (sim_run(sm, &sc, &e) < 0) {
            fprintf(stderr, "%s\n", e.msg);
            exit(2);
        }
    }
    double t = now() - t0;
    *nprocs = sim_nprocs(sm);
    scn_release(&sc);
    return t / reps / (double)*nprocs * 1e9;
}

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    long boots = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    if (boots < 10)
        boots = 10;
    struct scn sc;
    struct err e;
    if (scn_load_default(&sc, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return 2;
    }
    FILE *devnull = fopen("/dev/null", "wb");
    struct sim *sm = sim_new();
    struct strbuf sb = STRBUF_INIT;
    size_t procs = 0, events = 0;

    double t0 = now();
    for (long i = 0; i < boots; i++) {
        sc.seed = (uint64_t)i + 1;
        if (sim_run(sm, &sc, &e) < 0)
            return 2;
        procs += sim_nprocs(sm);
        events += sim_nevents(sm);
    }
    double t_sim = now() - t0;
    long rss_half = 0;
    double bytes = 0;
    t0 = now();
    for (long i = 0; i < boots; i++) {
        sc.seed = (uint64_t)i + 1;
        if (sim_run(sm, &sc, &e) < 0)
            return 2;
        sb_reset(&sb);
        sim_write_json(sm, &sb);
        fwrite(sb.buf, 1, sb.len, devnull);
        bytes += (double)sb.len;
        if (i == boots / 2)
            rss_half = peak_kb();
    }
    double t_all = now() - t0;
    printf("bench_sim: default scenario (win10, %zu processes and %zu events per boot on "
           "average), %ld boots\n",
           procs / (size_t)boots, events / (size_t)boots, boots);
    printf("  simulate only:          %9.0f boots/s\n", (double)boots / t_sim);
    printf("  simulate + JSON output: %9.0f boots/s  %.0f MB/s  (%.1f KB per boot)\n",
           (double)boots / t_all, bytes / t_all / 1e6, bytes / (double)boots / 1e3);
    printf("  peak RSS: %ld KB at half-way, %ld KB at the end (flat = no growth per boot)\n",
           rss_half, peak_kb());
    size_t n10, n100, n1000;
    double c10 = per_proc_ns(sm, 10, 200, &n10);
    double c100 = per_proc_ns(sm, 100, 20, &n100);
    double c1000 = per_proc_ns(sm, 1000, 3, &n1000);
    printf("  RDP sessions, simulation time per process: 10 sessions (%zu processes) %.0f ns, "
           "100 (%zu) %.0f ns, 1,000 (%zu) %.0f ns: 1,000 sessions cost %.2fx per process what "
           "10 cost\n",
           n10, c10, n100, c100, n1000, c1000, c1000 / c10);
    sb_release(&sb);
    sim_free(sm);
    scn_release(&sc);
    fclose(devnull);
    return 0;
}
