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

/*
 * Start a record: {"type":TYPE,"ts":"RFC3339", after any finished records
 * still in the buffer (see ww_jw_finish()). This function can't fail.
 */
void ww_jw_record(struct ww_jw *w, const char *type, ww_time_t ts);

/*
 * Members. `key` NULL writes a bare value (inside an array). A NULL string
 * writes null. These functions can't fail (an allocation failure marks the
 * writer `oom` and ww_jw_finish() reports it).
 *
 * Each is an inline wrapper that measures the key and calls the _n form:
 * keys are literals, so the length folds to a constant at the call site and
 * the writer never runs strlen() on a key.
 */
void ww_jw_str_n(struct ww_jw *w, const char *key, size_t kn, const char *s);
void ww_jw_strn_n(struct ww_jw *w, const char *key, size_t kn, const void *s, size_t n);
void ww_jw_int_n(struct ww_jw *w, const char *key, size_t kn, int64_t v);
void ww_jw_uint_n(struct ww_jw *w, const char *key, size_t kn, uint64_t v);
void ww_jw_double_n(struct ww_jw *w, const char *key, size_t kn, double v);
void ww_jw_bool_n(struct ww_jw *w, const char *key, size_t kn, bool v);
void ww_jw_null_n(struct ww_jw *w, const char *key, size_t kn);
void ww_jw_time_n(struct ww_jw *w, const char *key, size_t kn, ww_time_t t);
void ww_jw_obj_begin_n(struct ww_jw *w, const char *key, size_t kn);
void ww_jw_arr_begin_n(struct ww_jw *w, const char *key, size_t kn);
void ww_jw_obj_end(struct ww_jw *w);
void ww_jw_arr_end(struct ww_jw *w);

static inline size_t ww_jw_klen(const char *k) { return k ? __builtin_strlen(k) : 0; }

static inline void ww_jw_str(struct ww_jw *w, const char *k, const char *s)
{ ww_jw_str_n(w, k, ww_jw_klen(k), s); }
static inline void ww_jw_strn(struct ww_jw *w, const char *k, const void *s, size_t n)
{ ww_jw_strn_n(w, k, ww_jw_klen(k), s, n); }
static inline void ww_jw_int(struct ww_jw *w, const char *k, int64_t v)
{ ww_jw_int_n(w, k, ww_jw_klen(k), v); }
static inline void ww_jw_uint(struct ww_jw *w, const char *k, uint64_t v)
{ ww_jw_uint_n(w, k, ww_jw_klen(k), v); }
static inline void ww_jw_double(struct ww_jw *w, const char *k, double v)
{ ww_jw_double_n(w, k, ww_jw_klen(k), v); }
static inline void ww_jw_bool(struct ww_jw *w, const char *k, bool v)
{ ww_jw_bool_n(w, k, ww_jw_klen(k), v); }
static inline void ww_jw_null(struct ww_jw *w, const char *k)
{ ww_jw_null_n(w, k, ww_jw_klen(k)); }
static inline void ww_jw_time(struct ww_jw *w, const char *k, ww_time_t t)
{ ww_jw_time_n(w, k, ww_jw_klen(k), t); }
static inline void ww_jw_obj_begin(struct ww_jw *w, const char *k)
{ ww_jw_obj_begin_n(w, k, ww_jw_klen(k)); }
static inline void ww_jw_arr_begin(struct ww_jw *w, const char *k)
{ ww_jw_arr_begin_n(w, k, ww_jw_klen(k)); }

/*
 * Close the record ("}\n"), write it to `out` and reset the writer for the
 * next record. Returns 0, -ENOMEM when the record could not be built, or
 * -EIO when the write failed. With `out` NULL the closed record stays in
 * w->buf (w->len bytes) for the caller, who then calls ww_jw_reset(), or
 * writes more records after it (a batch written at once). On -ENOMEM the
 * buffer is emptied, records before it included.
 */
int ww_jw_finish(struct ww_jw *w, FILE *out);
/* Forget the record in the buffer, keeping the buffer. This function can't fail. */
void ww_jw_reset(struct ww_jw *w);

/*
 * Direct writing, for a record written at a high rate (the flow record):
 * ww_jw_room() makes room for up to `n` more bytes and returns where they
 * go (NULL when out of memory: the writer is then `oom`); the caller writes
 * with the ww_json_put_*() helpers, which return the end of what they
 * wrote, and ends with ww_jw_wrote(), after which the member functions
 * above go on as if the written text had been their members.
 */
char *ww_jw_room(struct ww_jw *w, size_t n);
void ww_jw_wrote(struct ww_jw *w, char *end);
/* A quoted, escaped JSON string of s[0..n); needs room for 6 * n + 2. */
char *ww_json_put_str(char *p, const char *s, size_t n);
/* Decimal digits of v; needs room for 20. */
char *ww_json_put_u64(char *p, uint64_t v);

/*
 * Escape arbitrary bytes into `dst` as the inside of a JSON string (no
 * quotes), NUL-terminated, truncated to fit `dstsz`. Returns the length
 * written. Used by the text writer too. This function can't fail.
 */
size_t ww_json_escape(char *dst, size_t dstsz, const void *src, size_t n);

#endif
