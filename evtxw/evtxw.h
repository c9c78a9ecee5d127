/*
 * evtxw: a small streaming writer of Windows XML Event Log (.evtx) files,
 * the format Event Viewer, wevtutil, libevtx, python-evtx and every EVTX
 * tool read. Records are binary XML template instances: the caller builds a
 * template once (elements, attributes, literal text and typed substitution
 * slots), fills a value array per record and hands both to evtxw_record.
 * The writer packs records into 64 KiB chunks -- each with its string and
 * template tables, the definition of a template stored once per chunk and
 * referenced after that, both CRC32s -- and finishes the 4096-byte file
 * header when the file is closed. Output depends only on the calls made:
 * no clock, every padding byte zero. Format notes and sources: evtxw.c.
 */
#ifndef SMSS_EVTXW_H
#define SMSS_EVTXW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/util.h"

#define EVTXW_CHUNK_SIZE 65536u
#define EVTXW_HEADER_SIZE 4096u
#define EVTXW_MAX_CHUNKS 65535u /* the file header counts chunks in 16 bits */
#define EVTXW_MAX_VALUES 256u   /* substitution values per template instance */

/* Substitution value types, numbered as the format numbers them. */
enum evtxw_type {
    EVTXW_NULL = 0x00,
    EVTXW_STRING = 0x01, /* UTF-16LE, no terminator */
    EVTXW_UINT8 = 0x04,
    EVTXW_UINT16 = 0x06,
    EVTXW_UINT32 = 0x08,
    EVTXW_UINT64 = 0x0a,
    EVTXW_GUID = 0x0f,
    EVTXW_FILETIME = 0x11,
    EVTXW_SID = 0x13,
    EVTXW_HEX32 = 0x14,
    EVTXW_HEX64 = 0x15,
    EVTXW_BINXML = 0x21, /* a nested template instance (how EventData is stored) */
};

/* ---- templates ------------------------------------------------------------------ */

struct evtxw_tpl;
struct evtxw_tpl *evtxw_tpl_new(void);
void evtxw_tpl_free(struct evtxw_tpl *t);
/* Empty t for reuse (keeps its memory). */
void evtxw_tpl_reset(struct evtxw_tpl *t);
/* <name ...>: dep is the substitution index whose NULL value drops the
 * element, or -1. Names are ASCII XML names. */
void evtxw_tpl_open(struct evtxw_tpl *t, const char *name, int dep);
/* Attributes come right after evtxw_tpl_open, before any content. */
void evtxw_tpl_attr(struct evtxw_tpl *t, const char *name, const char *text);
void evtxw_tpl_attr_sub(struct evtxw_tpl *t, const char *name, unsigned idx, enum evtxw_type type,
                        int optional);
/* Content: literal text (UTF-8) or substitution slot idx. */
void evtxw_tpl_text(struct evtxw_tpl *t, const char *text);
void evtxw_tpl_sub(struct evtxw_tpl *t, unsigned idx, enum evtxw_type type, int optional);
/* </name>, or "/>" when the element got no content. */
void evtxw_tpl_close(struct evtxw_tpl *t);
/* Check the template is complete and derive its identifier (a GUID hashed
 * from its content: equal templates share it). 0, or -1 with e set. */
int evtxw_tpl_done(struct evtxw_tpl *t, struct err *e);

/* ---- values ------------------------------------------------------------------ */

/* The substitution values of one template instance. Strings are copied
 * (converted to UTF-16LE) when set, so the caller's buffers can be reused. */
struct evtxw_vals;
struct evtxw_vals *evtxw_vals_new(void);
void evtxw_vals_free(struct evtxw_vals *v);
/* Start over with n values (n <= EVTXW_MAX_VALUES), all NULL. Setting value
 * idx >= n raises the count to idx + 1. */
void evtxw_vals_reset(struct evtxw_vals *v, unsigned n);
/* UTF-8 in; invalid UTF-8 and characters XML 1.0 forbids become U+FFFD
 * (so every reader renders well-formed XML); longer than 32767 UTF-16 units
 * is cut there. s may be NULL for an empty string. */
void evtxw_val_str(struct evtxw_vals *v, unsigned idx, const char *s, size_t len);
void evtxw_val_u8(struct evtxw_vals *v, unsigned idx, uint8_t x);
void evtxw_val_u16(struct evtxw_vals *v, unsigned idx, uint16_t x);
void evtxw_val_u32(struct evtxw_vals *v, unsigned idx, uint32_t x);
void evtxw_val_u64(struct evtxw_vals *v, unsigned idx, uint64_t x);
void evtxw_val_hex32(struct evtxw_vals *v, unsigned idx, uint32_t x);
void evtxw_val_hex64(struct evtxw_vals *v, unsigned idx, uint64_t x);
void evtxw_val_filetime(struct evtxw_vals *v, unsigned idx, uint64_t ft);
/* 16 bytes as stored: Data1..Data3 little-endian, then Data4. */
void evtxw_val_guid(struct evtxw_vals *v, unsigned idx, const uint8_t g[16]);
/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (either case); -1 if malformed. */
int evtxw_guid_parse(const char *s, size_t len, uint8_t g[16]);
/* "S-1-5-18" style; -1 (value left NULL) if malformed. */
int evtxw_val_sid(struct evtxw_vals *v, unsigned idx, const char *sid);
/* An instance of template t with values inner, both owned by the caller
 * and alive until the record is written. */
void evtxw_val_binxml(struct evtxw_vals *v, unsigned idx, const struct evtxw_tpl *t,
                      const struct evtxw_vals *inner);

/* ---- files ----------------------------------------------------------------------- */

struct evtxw;
struct evtxw *evtxw_new(void);
void evtxw_free(struct evtxw *w);
/* Start a file on fp (opened for writing, seekable: the header is written
 * again at the end); name is for messages. */
int evtxw_begin(struct evtxw *w, FILE *fp, const char *name, struct err *e);
/* One record: written (FILETIME), binary XML = an instance of t with v.
 * *number (may be NULL) gets its record number: 1, 2, ... in the file. */
int evtxw_record(struct evtxw *w, uint64_t written, const struct evtxw_tpl *t,
                 const struct evtxw_vals *v, uint64_t *number, struct err *e);
/* Write the last chunk and the final header (clean, not dirty). */
int evtxw_end(struct evtxw *w, struct err *e);
/* Bytes written to the file so far. */
uint64_t evtxw_bytes(const struct evtxw *w);

/* CRC-32 (RFC 1952), exposed for the tests. */
uint32_t evtxw_crc32(uint32_t crc, const void *data, size_t n);

#endif
