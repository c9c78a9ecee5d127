/*
 * steps: the smss steps a timeline ticks, from wherever the input keeps
 * them -- the simulator's event stream (a scenario), the "events" of a run
 * document, and for every input what the processes show (BootExecute
 * programs, the first csrss). Real host logs record no smss steps, so their
 * timeline has only the derived ones.
 */
#include "teach.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "../corpus/corpus.h"
#include "../sim/sim.h"

void teach_steps_init(struct teach_steps *st)
{
    memset(st, 0, sizeof(*st));
}

void teach_steps_release(struct teach_steps *st)
{
    free(st->v);
    arena_release(&st->arena);
    memset(st, 0, sizeof(*st));
}

void teach_steps_add(struct teach_steps *st, int64_t time, const char *name, const char *detail)
{
    if (st->n >= TEACH_MAX_STEPS)
        return;
    XGROW(st->v, st->cap, st->n + 1);
    struct teach_step *p = &st->v[st->n++];
    p->time = time;
    p->name = arena_strdup(&st->arena, name ? name : "");
    p->detail = arena_strdup(&st->arena, detail ? detail : "");
}

/* The simulator names a step "known_dlls: map KnownDLLs ..."; the short name
 * is the registry value a student would look up. */
static const struct {
    const char *prefix, *name;
} step_names[] = {
    {"read the Session Manager key", "Session Manager"},
    {"known_dlls", "KnownDLLs"},
    {"dos_devices", "DOS devices"},
    {"paging_files", "page files"},
    {"environment", "environment"},
    {"kmode", "SubSystems Kmode"},
};

static void add_step_text(struct teach_steps *st, int64_t t, const char *text)
{
    const char *name = "smss";
    for (size_t i = 0; i < ARRAY_SIZE(step_names); i++)
        if (!strncmp(text, step_names[i].prefix, strlen(step_names[i].prefix)))
            name = step_names[i].name;
    const char *colon = strstr(text, ": ");
    teach_steps_add(st, t, name, colon ? colon + 2 : text);
}

static void add_rename(struct teach_steps *st, int64_t t, const char *from, const char *to)
{
    struct strbuf sb = STRBUF_INIT;
    if (to && *to)
        sb_addf(&sb, "rename %.512s -> %.512s", from ? from : "?", to);
    else
        sb_addf(&sb, "delete %.512s", from ? from : "?");
    teach_steps_add(st, t, "PendingFileRenameOperations", sb.buf);
    sb_release(&sb);
}

void teach_steps_from_sim(struct teach_steps *st, const struct sim *sm, int64_t until)
{
    for (size_t i = 0; i < sim_nevents(sm); i++) {
        const struct sim_event *ev = sim_event(sm, i);
        if (ev->time > until)
            break;
        if (ev->type == SIM_EV_SMSS_STEP && ev->text)
            add_step_text(st, ev->time, ev->text);
        else if (ev->type == SIM_EV_FILE_RENAME)
            add_rename(st, ev->time, ev->text, ev->text2);
    }
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t jtime(const cJSON *o, const char *k)
{
    const char *s = jstr(o, k);
    int64_t t;
    return s && wt_parse_iso(s, &t) == 0 ? t : WT_NONE;
}

int teach_steps_from_json(struct teach_steps *st, const char *buf, size_t len, int64_t boot_time,
                          int64_t until, struct err *e)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (p == end)
            break;
        const char *next = NULL;
        cJSON *doc = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &next, 0);
        if (!doc || !next || next <= p) {
            cJSON_Delete(doc);
            err_set(e, "the events of the run document cannot be read as JSON");
            return -1;
        }
        p = next;
        const cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "events");
        if (cJSON_IsArray(events) && jtime(doc, "boot_time") == boot_time) {
            const cJSON *ev;
            cJSON_ArrayForEach(ev, events)
            {
                const char *type = jstr(ev, "type");
                int64_t t = jtime(ev, "time");
                if (!type || t == WT_NONE || t > until)
                    continue;
                if (!strcmp(type, "smss_step") && jstr(ev, "step"))
                    add_step_text(st, t, jstr(ev, "step"));
                else if (!strcmp(type, "file_rename"))
                    add_rename(st, t, jstr(ev, "from"), jstr(ev, "to"));
            }
        }
        cJSON_Delete(doc);
    }
    return 0;
}

/* The master smss: the first smss.exe whose parent is System, else the
 * first smss.exe; -1 when there is none. */
static long master_smss(const struct snap *s)
{
    long best = -1;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (ascii_casecmp(snap_proc_basename(p), "smss.exe") || p->create_time == WT_NONE)
            continue;
        int sys = p->ppid == 4;
        if (best < 0 || (sys && s->procs[best].ppid != 4) ||
            (sys == (s->procs[best].ppid == 4) && p->create_time < s->procs[best].create_time))
            best = (long)i;
    }
    return best;
}

void teach_steps_from_snap(struct teach_steps *st, struct snap *s)
{
    long m = master_smss(s);
    int64_t first_csrss = WT_NONE;
    const struct snap_proc *csrss = NULL;
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct snap_proc *p = &s->procs[i];
        if (p->create_time == WT_NONE)
            continue;
        if (!ascii_casecmp(snap_proc_basename(p), "csrss.exe") &&
            (first_csrss == WT_NONE || p->create_time < first_csrss)) {
            first_csrss = p->create_time;
            csrss = p;
        }
        /* Without sessions in the data, a session's smss child or csrss
         * would look like a boot program too. */
        if (m < 0 || !(s->fields & SNAP_F_SESSION) || p->session != SNAP_NO_SESSION ||
            (long)i == m || !ascii_casecmp(snap_proc_basename(p), "smss.exe"))
            continue;
        const struct snap_proc *parent = snap_parent(s, p);
        if (parent != &s->procs[m])
            continue;
        struct strbuf sb = STRBUF_INIT;
        sb_addf(&sb, "the master smss runs %.256s (pid %u) before any session",
                snap_proc_basename(p), (unsigned)p->pid);
        teach_steps_add(st, p->create_time, "BootExecute", sb.buf);
        sb_release(&sb);
    }
    if (csrss) {
        struct strbuf sb = STRBUF_INIT;
        sb_addf(&sb, "Required: the Windows subsystem csrss.exe starts (pid %u)",
                (unsigned)csrss->pid);
        teach_steps_add(st, first_csrss, "SubSystems", sb.buf);
        sb_release(&sb);
    }
}

static int step_cmp(const void *a, const void *b)
{
    const struct teach_step *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->detail, y->detail);
}

void teach_steps_sort(struct teach_steps *st)
{
    sort_n(st->v, st->n, sizeof(*st->v), step_cmp);
    size_t w = 0;
    for (size_t i = 0; i < st->n; i++)
        if (w == 0 || step_cmp(&st->v[w - 1], &st->v[i]))
            st->v[w++] = st->v[i];
    st->n = w;
}

void teach_xml_escape(struct strbuf *sb, const char *s)
{
    corpus_xml_escape(sb, s);
}
