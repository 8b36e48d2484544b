/*
 * jsonr.h - a small reader of one-object JSON lines, the inverse of the
 * NDJSON writer (jsonw.h), for the files wirewho reads back (the socket
 * timeline of `replay --sockets`).
 *
 * It reads what such files hold, no more: a line is one object whose
 * values are strings, numbers, booleans or null; nested objects and arrays
 * are checked and skipped (room for later fields). The line is parsed in
 * place - strings unescaped to UTF-8 where they stand - so the fields point
 * into the caller's buffer and live as long as it does, unchanged. Nothing
 * is allocated.
 */
#ifndef WIREWHO_JSONR_H
#define WIREWHO_JSONR_H

#include "wirewho/common.h"

#define WW_JSONR_MAX_FIELDS 32   /* fields kept per object: a timeline record has ~20;
				    later ones are parsed and dropped */

enum ww_jsonr_type { WW_JSONR_NULL, WW_JSONR_STR, WW_JSONR_NUM, WW_JSONR_BOOL };

struct ww_jsonr_field {
	const char *key;     /* points into the line (unescaped in place) */
	const char *s;       /* WW_JSONR_STR: unescaped, NUL-terminated, in the line */
	double num;          /* WW_JSONR_NUM */
	bool b;              /* WW_JSONR_BOOL */
	enum ww_jsonr_type t;
};

/* One parsed object: its scalar fields in the order of the line. */
struct ww_jsonr_obj {
	struct ww_jsonr_field f[WW_JSONR_MAX_FIELDS];
	int n;
};

/*
 * Parse `line` (NUL-terminated, trailing white space allowed), which must
 * hold exactly one object, into *o; the line is modified. Returns 0, or
 * -EINVAL with a short static reason in *why ("not a JSON object",
 * "expected a quoted key", ...).
 */
int ww_jsonr_parse(char *line, struct ww_jsonr_obj *o, const char **why);

/* The first field named `key`, or NULL. This function can't fail. */
const struct ww_jsonr_field *ww_jsonr_get(const struct ww_jsonr_obj *o, const char *key);

/* The string value of `key`, or NULL when absent or not a string. Can't fail. */
const char *ww_jsonr_get_str(const struct ww_jsonr_obj *o, const char *key);

/*
 * True with *v set when `key` is a number that is whole and within
 * [lo, hi]; false (and *v untouched) otherwise. Can't fail.
 */
bool ww_jsonr_get_num(const struct ww_jsonr_obj *o, const char *key, double lo, double hi,
		      double *v);

/*
 * A time as ww_jw_time() writes it, "2026-11-26T06:22:25.123456Z" (the
 * fraction optional, up to 6 digits kept), into microseconds since the
 * epoch. Returns 0, or -EINVAL when `s` is NULL or malformed.
 */
int ww_jsonr_parse_time(const char *s, ww_time_t *out);

#endif
