/*
 * jsonr.c - the reader of one-object JSON lines.
 *
 * A recursive-descent parser over one line, in place: strings are unescaped
 * where they stand (unescaped text is never longer than its escaped form,
 * so the output never overtakes the input) and the fields point into the
 * line, so nothing is allocated. Nested objects and arrays are checked for
 * shape and skipped, to a depth of 16 (a bound on the recursion, not on
 * what a file may hold at the top level). Numbers go through strtod().
 * Lookups are linear over at most WW_JSONR_MAX_FIELDS fields, which at this
 * size beats building any index.
 *
 * \uXXXX escapes become UTF-8: a surrogate pair one code point, a lone
 * surrogate the replacement character U+FFFD. A \u00XX that jsonw.c wrote
 * for a byte of invalid UTF-8 reads back as the code point U+00XX, valid
 * UTF-8 that shows the byte, not the byte itself.
 */
#include "wirewho/jsonr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static void skip_ws(char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
		(*p)++;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d > 15)
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * Parse a string at *p (which points at the opening quote), unescaping in
 * place: the output is never longer than the input. Returns the string.
 */
static const char *parse_str(char **p)
{
	char *in = *p + 1, *out = in, *start = in;
	for (;;) {
		unsigned char c = (unsigned char)*in;
		if (c == '"')
			break;
		if (c == '\0' || c < 0x20)
			return NULL;
		if (c != '\\') {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case '"': *out++ = '"'; break;
		case '\\': *out++ = '\\'; break;
		case '/': *out++ = '/'; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(in + 1, &cp) < 0)
				return NULL;
			in += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && in[1] == '\\' && in[2] == 'u' &&
			    hex4(in + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				in += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;   /* a lone surrogate: replacement character */
			}
			/* "\uXXXX" is 6 bytes; its UTF-8 at most 4 (a pair: 12 -> 4). */
			out = put_utf8(out, cp);
			break;
		}
		default:
			return NULL;
		}
		in++;
	}
	*out = '\0';
	*p = in + 1;
	return start;
}

/* Skip any value (used for nested objects/arrays). -1 when malformed. */

/*
 * What strtod() took is a JSON number: digits, sign, point and exponent
 * only. strtod() also reads "nan", "inf" and hex floats, which JSON does
 * not have and which would reach the callers as NaN or infinity.
 */
static bool json_number(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' ||
		      *p == 'e' || *p == 'E'))
			return false;
	return true;
}

static int skip_value(char **p, int depth)
{
	skip_ws(p);
	if (depth > 16)
		return -1;
	if (**p == '"')
		return parse_str(p) ? 0 : -1;
	if (**p == '{' || **p == '[') {
		char close = **p == '{' ? '}' : ']';
		(*p)++;
		skip_ws(p);
		if (**p == close) {
			(*p)++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				skip_ws(p);
				if (**p != '"' || !parse_str(p))
					return -1;
				skip_ws(p);
				if (*(*p)++ != ':')
					return -1;
			}
			if (skip_value(p, depth + 1) < 0)
				return -1;
			skip_ws(p);
			if (**p == ',') {
				(*p)++;
				continue;
			}
			if (**p == close) {
				(*p)++;
				return 0;
			}
			return -1;
		}
	}
	char *end;
	if (strncmp(*p, "true", 4) == 0 || strncmp(*p, "null", 4) == 0) {
		*p += 4;
		return 0;
	}
	if (strncmp(*p, "false", 5) == 0) {
		*p += 5;
		return 0;
	}
	strtod(*p, &end);
	if (end == *p || !json_number(*p, end))
		return -1;
	*p = end;
	return 0;
}

int ww_jsonr_parse(char *line, struct ww_jsonr_obj *o, const char **why)
{
	char *p = line;
	o->n = 0;
	skip_ws(&p);
	if (*p++ != '{') {
		*why = "not a JSON object";
		return -EINVAL;
	}
	skip_ws(&p);
	if (*p == '}')
		goto done;
	for (;;) {
		struct ww_jsonr_field fl = { 0 };
		skip_ws(&p);
		if (*p != '"' || !(fl.key = parse_str(&p))) {
			*why = "expected a quoted key";
			return -EINVAL;
		}
		skip_ws(&p);
		if (*p++ != ':') {
			*why = "expected ':' after a key";
			return -EINVAL;
		}
		skip_ws(&p);
		if (*p == '"') {
			fl.t = WW_JSONR_STR;
			if (!(fl.s = parse_str(&p))) {
				*why = "bad string value";
				return -EINVAL;
			}
		} else if (*p == '{' || *p == '[') {
			if (skip_value(&p, 0) < 0) {
				*why = "bad nested value";
				return -EINVAL;
			}
			fl.key = NULL;   /* not used */
		} else if (strncmp(p, "null", 4) == 0) {
			fl.t = WW_JSONR_NULL;
			p += 4;
		} else if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
			fl.t = WW_JSONR_BOOL;
			fl.b = *p == 't';
			p += fl.b ? 4 : 5;
		} else {
			char *end;
			fl.t = WW_JSONR_NUM;
			fl.num = strtod(p, &end);
			if (end == p || !json_number(p, end)) {
				*why = "bad value";
				return -EINVAL;
			}
			p = end;
		}
		if (fl.key && o->n < WW_JSONR_MAX_FIELDS)
			o->f[o->n++] = fl;
		skip_ws(&p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '}')
			break;
		*why = "expected ',' or '}'";
		return -EINVAL;
	}
done:
	p++;
	skip_ws(&p);
	if (*p) {
		*why = "trailing characters after the object";
		return -EINVAL;
	}
	return 0;
}

const struct ww_jsonr_field *ww_jsonr_get(const struct ww_jsonr_obj *o, const char *key)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->f[i].key, key) == 0)
			return &o->f[i];
	return NULL;
}

const char *ww_jsonr_get_str(const struct ww_jsonr_obj *o, const char *key)
{
	const struct ww_jsonr_field *f = ww_jsonr_get(o, key);
	return f && f->t == WW_JSONR_STR ? f->s : NULL;
}

bool ww_jsonr_get_num(const struct ww_jsonr_obj *o, const char *key, double lo, double hi, double *v)
{
	const struct ww_jsonr_field *f = ww_jsonr_get(o, key);
	/* written so that a NaN fails the range test before any cast (UB on NaN) */
	if (!f || f->t != WW_JSONR_NUM || !(f->num >= lo && f->num <= hi) ||
	    f->num != (double)(int64_t)f->num)
		return false;
	*v = f->num;
	return true;
}

int ww_jsonr_parse_time(const char *s, ww_time_t *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	const char *p = s + 19;
	int64_t us = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 6)
				us = us * 10 + (*p - '0');
		if (digits == 0)
			return -EINVAL;
		for (; digits < 6; digits++)
			us *= 10;
	}
	if (strcmp(p, "Z") != 0)
		return -EINVAL;
	/* days_from_civil (Howard Hinnant), the inverse of common.c's. */
	int64_t yy = y - (mo <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec) * WW_USEC_PER_SEC) + us;
	return 0;
}
