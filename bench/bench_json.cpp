/*
 * bench_json: the references smsslab's JSON readers are measured against,
 * on the same file in the same run (bench/run.sh): the bare parse of every
 * line with cJSON (parse, free) and with simdjson's On-Demand API, reading
 * what a reader needs and nothing else. CPU time of the best of REPEAT runs.
 *
 * Usage: bench_json run FILE [REPEAT]     one run document per line: simdjson
 *                                         visits every field of every process
 *        bench_json nxlog FILE [REPEAT]   NDJSON: simdjson visits every
 *                                         top-level member of every line
 * Prints: "cjson SECONDS" and "simdjson SECONDS" and the count it visited.
 */
#include <cJSON.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

using namespace simdjson;

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read one scalar as a reader would; objects and arrays are skipped. */
static size_t visit(ondemand::value v)
{
    ondemand::json_type t;
    if (v.type().get(t))
        return 0;
    switch (t) {
    case ondemand::json_type::string: {
        std::string_view s;
        return v.get_string().get(s) ? 0 : 1;
    }
    case ondemand::json_type::number: {
        double d;
        return v.get_double().get(d) ? 0 : 1;
    }
    case ondemand::json_type::boolean: {
        bool b;
        return v.get_bool().get(b) ? 0 : 1;
    }
    case ondemand::json_type::null: {
        bool n;
        return v.is_null().get(n) ? 0 : 1;
    }
    default: return 0;
    }
}

/* Every field of every process of every snapshot; "events" and the rest
 * are skipped. Returns the processes seen. */
static size_t run_doc(ondemand::document &doc, size_t *fields)
{
    size_t procs = 0;
    ondemand::object root;
    if (doc.get_object().get(root))
        return 0;
    for (auto m : root) {
        std::string_view k;
        if (m.unescaped_key().get(k) || k != "snapshots")
            continue;
        ondemand::array snaps;
        if (m.value().get_array().get(snaps))
            return procs;
        for (auto sn : snaps) {
            ondemand::object so;
            if (sn.get_object().get(so))
                return procs;
            for (auto sm : so) {
                std::string_view sk;
                if (sm.unescaped_key().get(sk) || sk != "processes")
                    continue;
                ondemand::array pa;
                if (sm.value().get_array().get(pa))
                    return procs;
                for (auto p : pa) {
                    ondemand::object po;
                    if (p.get_object().get(po))
                        return procs;
                    procs++;
                    for (auto f : po) {
                        std::string_view fk;
                        if (f.unescaped_key().get(fk))
                            return procs;
                        *fields += visit(f.value());
                    }
                }
            }
        }
    }
    return procs;
}

static size_t nxlog_line(ondemand::document &doc, size_t *fields)
{
    ondemand::object root;
    if (doc.get_object().get(root))
        return 0;
    for (auto m : root) {
        std::string_view k;
        if (m.unescaped_key().get(k))
            return 0;
        *fields += visit(m.value());
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "run") && strcmp(argv[1], "nxlog"))) {
        fprintf(stderr, "usage: bench_json run|nxlog FILE [REPEAT]\n");
        return 2;
    }
    bool run = !strcmp(argv[1], "run");
    int repeat = 3;
    if (argc > 3) {
        char *end;
        long r = strtol(argv[3], &end, 10);
        if (*end || r < 1 || r > 1000) {
            fprintf(stderr, "bench_json: REPEAT must be 1 to 1000, not '%s'\n", argv[3]);
            return 2;
        }
        repeat = (int)r;
    }
    padded_string text;
    if (padded_string::load(argv[2]).get(text)) {
        fprintf(stderr, "bench_json: cannot read %s\n", argv[2]);
        return 2;
    }
    /* Lines, as the readers see them. */
    std::vector<std::pair<size_t, size_t>> lines;
    for (size_t i = 0, n = text.size(); i < n;) {
        const char *nl = static_cast<const char *>(memchr(text.data() + i, '\n', n - i));
        size_t e = nl ? (size_t)(nl - text.data()) : n;
        if (e > i)
            lines.emplace_back(i, e - i);
        i = e + 1;
    }
    double best_c = 1e30, best_s = 1e30;
    size_t items = 0, fields = 0;
    ondemand::parser parser;
    for (int r = 0; r < repeat; r++) {
        double t0 = cpu();
        for (auto &l : lines) {
            cJSON *o = cJSON_ParseWithLength(text.data() + l.first, l.second);
            if (!o) {
                fprintf(stderr, "bench_json: cJSON cannot parse a line\n");
                return 2;
            }
            cJSON_Delete(o);
        }
        double t1 = cpu();
        items = fields = 0;
        for (auto &l : lines) {
            ondemand::document doc;
            /* Each line is followed by the rest of the padded text. */
            if (parser
                    .iterate(text.data() + l.first, l.second,
                             text.size() + SIMDJSON_PADDING - l.first)
                    .get(doc)) {
                fprintf(stderr, "bench_json: simdjson cannot parse a line\n");
                return 2;
            }
            items += run ? run_doc(doc, &fields) : nxlog_line(doc, &fields);
        }
        double t2 = cpu();
        best_c = t1 - t0 < best_c ? t1 - t0 : best_c;
        best_s = t2 - t1 < best_s ? t2 - t1 : best_s;
    }
    printf("cjson %.6f\nsimdjson %.6f\n%s %zu\nfields %zu\n", best_c, best_s,
           run ? "processes" : "lines", items, fields);
    return 0;
}
