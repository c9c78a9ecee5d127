/*
 * teach_input: the last snapshot of an input, with the smss steps the
 * simulation (a scenario) or the run document's events recorded, and those
 * the processes show for any input.
 */
#include "teach_input.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../sim/sim.h"
#include "cli.h"

/* Run documents past this size keep their events unread: the timeline then
 * has only the steps the processes show. */
#define EVENTS_MAX_FILE ((size_t)256 << 20)

static void steps_from_file(const char *cmd, const char *path, struct teach_input *ti)
{
    struct stat st;
    if (!strcmp(path, "-") || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if ((size_t)st.st_size > EVENTS_MAX_FILE) {
        fprintf(stderr, "smsslab %s: note: %s is over 256 MiB; its smss events are not read\n", cmd,
                path);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    struct err e = {""};
    if (read_file_all(path, EVENTS_MAX_FILE, &buf, &len, &e) == 0 &&
        teach_steps_from_json(&ti->steps, buf, len, ti->snap.boot_time, ti->snap.at, &e) < 0)
        fprintf(stderr, "smsslab %s: note: %s: %s\n", cmd, path, e.msg);
    free(buf);
}

int teach_input_load(const char *cmd, const char *path, const struct cli_input_opts *o,
                     int no_check, struct teach_input *ti)
{
    snap_init(&ti->snap);
    teach_steps_init(&ti->steps);
    memset(&ti->findings, 0, sizeof(ti->findings));
    struct err e = {""};
    struct cli_input *in = cli_input_open(path, o, &e);
    if (!in)
        return cli_fail(&e);
    struct snap cur;
    snap_init(&cur);
    size_t n = 0, boots = 0;
    int64_t last_boot = WT_NONE;
    int rc;
    while ((rc = cli_input_next(in, &cur, &e)) == 1) {
        if (n == 0 || cur.boot_time != last_boot)
            boots++;
        last_boot = cur.boot_time;
        cli_snap_copy(&ti->snap, &cur);
        n++;
    }
    snap_release(&cur);
    int status = 0;
    if (rc < 0) {
        status = cli_fail(&e);
    } else if (n == 0) {
        fprintf(stderr, "smsslab: %s: no snapshots in this input (is it empty?)\n",
                strcmp(path, "-") ? path : "<stdin>");
        status = EXIT_USAGE;
    }
    if (status == 0) {
        if (boots > 1)
            fprintf(stderr,
                    "smsslab %s: note: %s holds %zu boots or hosts; this shows the last "
                    "(%s)\n",
                    cmd, path, boots, ti->snap.host ? ti->snap.host : "unknown host");
        const struct sim *sm = cli_input_sim(in);
        if (sm)
            teach_steps_from_sim(&ti->steps, sm, ti->snap.at);
        else if (ti->snap.source && !strcmp(ti->snap.source, "smsslab-sim"))
            steps_from_file(cmd, path, ti);
        teach_steps_from_snap(&ti->steps, &ti->snap);
        teach_steps_sort(&ti->steps);
        if (!no_check) {
            struct chk_config cfg = {CHK_INFO, NULL, NULL};
            if (chk_check(&ti->snap, &cfg, &ti->findings, &e) < 0)
                status = cli_fail(&e);
        }
    }
    cli_input_close(in);
    return status;
}

void teach_input_release(struct teach_input *ti)
{
    chk_findings_release(&ti->findings);
    teach_steps_release(&ti->steps);
    snap_release(&ti->snap);
}
