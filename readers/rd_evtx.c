/*
 * rd_evtx: .evtx files through libevtx (the library evtxexport is built
 * on). libevtx renders each record as XML; we read that with the same
 * streaming XML code as .xml files, so both paths agree by construction.
 * Records whose event ID we never use are skipped before their XML is
 * rendered, which is where libevtx spends its time.
 */
#include "rd_int.h"

#include <libevtx.h>
#include <stdlib.h>
#include <string.h>

static void evtx_err(struct err *e, const char *path, const char *what, libevtx_error_t *le)
{
    char msg[512] = "";
    if (le) {
        libevtx_error_sprint(le, msg, sizeof(msg));
        libevtx_error_free(&le);
    }
    /* libevtx messages carry the failing function's name; the last line
     * is the root cause and enough for a user. */
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
        msg[--n] = '\0';
    char *last = strrchr(msg, '\n');
    err_set(e, "%s: %s%s%s", path, what, msg[0] ? ": " : "", last ? last + 1 : msg);
}

int rd_read_evtx(struct rd_set *set, const char *path, struct err *e)
{
    libevtx_error_t *le = NULL;
    libevtx_file_t *file = NULL;
    if (libevtx_file_initialize(&file, &le) != 1) {
        evtx_err(e, path, "cannot start libevtx", le);
        return -1;
    }
    if (libevtx_file_open(file, path, LIBEVTX_OPEN_READ, &le) != 1) {
        evtx_err(e, path, "not a readable .evtx file", le);
        libevtx_file_free(&file, NULL);
        return -1;
    }
    int rc = 0, nrec = 0;
    if (libevtx_file_get_number_of_records(file, &nrec, &le) != 1) {
        evtx_err(e, path, "cannot count records", le);
        rc = -1;
        nrec = 0;
    }
    struct rd_xml *x = rd_xml_new();
    uint8_t *xml = NULL;
    size_t cap = 0;
    for (int i = 0; i < nrec && rc == 0; i++) {
        libevtx_record_t *rec = NULL;
        char where[4200];
        snprintf(where, sizeof(where), "%s: record %d", path, i + 1);
        if (libevtx_file_get_record_by_index(file, i, &rec, &le) != 1) {
            evtx_err(e, where, "unreadable record", le);
            rc = -1;
            break;
        }
        uint32_t id = 0;
        /* The identifier's high bits are the qualifiers (facility,
         * severity); Sysmon and Security IDs are the low 16 bits. */
        if (libevtx_record_get_event_identifier(rec, &id, NULL) == 1 &&
            !rd_winevent_wanted(id & 0xffff)) {
            libevtx_record_free(&rec, NULL);
            continue;
        }
        size_t size = 0;
        if (libevtx_record_get_utf8_xml_string_size(rec, &size, &le) != 1 || size == 0) {
            evtx_err(e, where, "cannot render the record as XML", le);
            rc = -1;
        } else if (size > RD_MAX_RECORD) {
            err_set(e, "%s: record larger than %u bytes", where, RD_MAX_RECORD);
            rc = -1;
        } else {
            if (size > cap) {
                cap = size;
                xml = xrealloc(xml, cap);
            }
            if (libevtx_record_get_utf8_xml_string(rec, xml, size, &le) != 1) {
                evtx_err(e, where, "cannot render the record as XML", le);
                rc = -1;
            } else {
                rc = rd_xml_record(x, set, (const char *)xml, strnlen((char *)xml, size), where, e);
            }
        }
        libevtx_record_free(&rec, NULL);
    }
    free(xml);
    rd_xml_free(x);
    libevtx_file_close(file, NULL);
    libevtx_file_free(&file, NULL);
    return rc;
}
