/*
 * bench_sim: boots simulated per second, on one core, for the default
 * scenario with a new seed each boot -- simulation only, and simulation plus
 * the full run document written to /dev/null -- and the peak memory, which
 * must not grow with the number of boots.
 * Usage: bench_sim [BOOTS=20000]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "../sim/scn.h"
#include "../sim/sim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    sb_release(&sb);
    sim_free(sm);
    scn_release(&sc);
    fclose(devnull);
    return 0;
}
