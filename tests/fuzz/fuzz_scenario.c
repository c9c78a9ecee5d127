/*
 * fuzz_scenario: the scenario loader (sim/scn_load.c) on arbitrary bytes;
 * a scenario it accepts is simulated when small enough to keep the run fast
 * (the fuzzer is after loader and simulator bugs, not after big boots), and
 * its run document and last snapshot go through the checker and renderer.
 */
#include <stddef.h>
#include <stdint.h>

#include "../../sim/sim.h"
#include "fuzz_common.h"

/* The body, callable from tests/test_fuzz_regress.c (built with FUZZ_NO_MAIN). */
static int fuzz_scenario(const uint8_t *data, size_t size)
{
    struct scn sc;
    struct err e;
    if (scn_load_mem(&sc, "fuzz.yaml", (const char *)data, size, &e) < 0) {
        scn_release(&sc);
        return 0;
    }
    if (sc.nsessions <= 8 && sc.nanomalies <= 8 && sc.nsnapshots <= 4 &&
        (sc.opt.svchosts < 0 || sc.opt.svchosts <= 60)) {
        struct sim *sm = sim_new();
        if (sim_run(sm, &sc, &e) == 0) {
            struct strbuf sb = STRBUF_INIT;
            sim_write_json(sm, &sb);
            sb_release(&sb);
            struct snap s;
            snap_init(&s);
            sim_snapshot(sm, sim_end_time(sm), &s);
            fuzz_consume_snap(&s);
            snap_release(&s);
        }
        sim_free(sm);
    }
    scn_release(&sc);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_scenario(data, size);
}
#endif
