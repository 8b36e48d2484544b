/*
 * jsonw.h - the NDJSON line writer every record goes through.
 *
 * One record is built in a growable buffer and written with one fwrite, so a
 * record is never interleaved or half-written. Strings are escaped as JSON
 * requires and are always valid UTF-8 on output, whatever the input: bytes
 * that do not form valid UTF-8 (packet payload, /proc names) are written as
 * \u00XX escapes of the byte value, control characters as \uXXXX or the
 * short escapes. This makes any untrusted input safe to print.
 *
 * Keys are trusted literals (never escaped); values never are.
 */
#ifndef WIREWHO_JSONW_H
#define WIREWHO_JSONW_H

#include <stdio.h>
#include "wirewho/common.h"

struct ww_jw {
	char *buf;
	size_t len, cap;
	bool need_comma;   /* a value was written at this nesting level */
	bool oom;          /* an allocation failed: the record is dropped */
};

/* Initialise an empty writer. This function can't fail. */
void ww_jw_init(struct ww_jw *w);
/* Release the buffer. This function can't fail. */
void ww_jw_free(struct ww_jw *w);

/* Start a record: {"type":TYPE,"ts":"RFC3339". This function can't fail. */
void ww_jw_record(struct ww_jw *w, const char *type, ww_time_t ts);

/*
 * Members. `key` NULL writes a bare value (inside an array). A NULL string
 * writes null. These functions can't fail (an allocation failure marks the
 * writer `oom` and ww_jw_finish() reports it).
 */
void ww_jw_str(struct ww_jw *w, const char *key, const char *s);
void ww_jw_strn(struct ww_jw *w, const char *key, const void *s, size_t n);
void ww_jw_int(struct ww_jw *w, const char *key, int64_t v);
void ww_jw_uint(struct ww_jw *w, const char *key, uint64_t v);
void ww_jw_double(struct ww_jw *w, const char *key, double v);
void ww_jw_bool(struct ww_jw *w, const char *key, bool v);
void ww_jw_null(struct ww_jw *w, const char *key);
void ww_jw_time(struct ww_jw *w, const char *key, ww_time_t t);
void ww_jw_obj_begin(struct ww_jw *w, const char *key);
void ww_jw_obj_end(struct ww_jw *w);
void ww_jw_arr_begin(struct ww_jw *w, const char *key);
void ww_jw_arr_end(struct ww_jw *w);

/*
 * Close the record ("}\n"), write it to `out` and reset the writer for the
 * next record. Returns 0, -ENOMEM when the record could not be built, or
 * -EIO when the write failed.
 */
int ww_jw_finish(struct ww_jw *w, FILE *out);

/*
 * Escape arbitrary bytes into `dst` as the inside of a JSON string (no
 * quotes), NUL-terminated, truncated to fit `dstsz`. Returns the length
 * written. Used by the text writer too. This function can't fail.
 */
size_t ww_json_escape(char *dst, size_t dstsz, const void *src, size_t n);

#endif
