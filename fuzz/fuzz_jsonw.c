// fuzz-sources: src/common/jsonw.c src/common/common.c
/*
 * fuzz_jsonw.c - libFuzzer target over the NDJSON writer: whatever bytes
 * and numbers a record is built from, the line written is one valid JSON
 * object in valid UTF-8, ending in a newline.
 *
 * Input: a sequence of operations, each an opcode byte and its operand:
 * strings take a length byte and that many raw bytes (the untrusted text
 * of packets and /proc), numbers take 8 bytes (a double's bits, so NaN,
 * infinities and huge values come up), objects and arrays open and close
 * (nesting kept balanced by the harness, as writers do). The output is
 * checked by a small JSON grammar checker below, strict as RFC 8259: no
 * raw control characters in strings, only its escapes, UTF-8 validated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirewho/jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_OPS   256
#define FUZZ_MAX_DEPTH 8

/* --- a strict JSON checker: returns the end of the value, or NULL ------------ */

static const char *ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static const char *utf8_char(const char *p, const char *e)
{
	const unsigned char *u = (const unsigned char *)p;
	int n = u[0] < 0x80 ? 0 : (u[0] & 0xe0) == 0xc0 ? 1 : (u[0] & 0xf0) == 0xe0 ? 2 :
		(u[0] & 0xf8) == 0xf0 ? 3 : -1;
	if (n < 0 || (n == 1 && u[0] < 0xc2) || (n == 3 && u[0] > 0xf4) || e - p <= n)
		return NULL;
	for (int i = 1; i <= n; i++)
		if ((u[i] & 0xc0) != 0x80)
			return NULL;
	if (n == 2 && ((u[0] == 0xe0 && u[1] < 0xa0) || (u[0] == 0xed && u[1] >= 0xa0)))
		return NULL;   /* overlong, or a UTF-16 surrogate */
	if (n == 3 && ((u[0] == 0xf0 && u[1] < 0x90) || (u[0] == 0xf4 && u[1] >= 0x90)))
		return NULL;
	return p + n + 1;
}

static const char *string(const char *p, const char *e)
{
	if (p >= e || *p++ != '"')
		return NULL;
	while (p < e && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (++p >= e)
				return NULL;
			if (*p == 'u') {
				if (e - p < 5)
					return NULL;
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
		} else if (!(p = utf8_char(p, e))) {
			return NULL;
		}
	}
	return p < e ? p + 1 : NULL;
}

static const char *number(const char *p, const char *e)
{
	const char *s = p;
	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < e && *p == '.') {
		const char *d = ++p;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return NULL;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		const char *d = p;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return NULL;
	}
	return p > s ? p : NULL;
}

static const char *value(const char *p, const char *e, int depth)
{
	p = ws(p, e);
	if (p >= e || depth > 64)
		return NULL;
	if (*p == '"')
		return string(p, e);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';
		p = ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (!(p = string(ws(p, e), e)) || (p = ws(p, e)) >= e || *p++ != ':')
					return NULL;
			}
			if (!(p = value(p, e, depth + 1)) || (p = ws(p, e)) >= e)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (e - p >= 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4)))
		return p + 4;
	if (e - p >= 5 && !memcmp(p, "false", 5))
		return p + 5;
	return number(p, e);
}

/* --- the harness -------------------------------------------------------------- */

/* Keys are the writers' own literals, never escaped: plain ones here. */
static const char *const keys[] = { "a", "comm", "sni", "first_bytes", "exe" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ww_jw w;
	bool in_arr[FUZZ_MAX_DEPTH + 1] = { false };
	int depth = 0, ops = 0;
	size_t i = 0;

	ww_jw_init(&w);
	ww_jw_record(&w, "flow", size > 8 ? (ww_time_t)(int32_t)(data[0] | data[1] << 8 | data[2] << 16) * 1000 : 0);
	while (i < size && ops++ < FUZZ_MAX_OPS) {
		uint8_t op = data[i++];
		const char *k = in_arr[depth] ? NULL : keys[(op >> 4) % 5];
		switch (op & 7) {
		case 0: case 1: {   /* a string of raw bytes */
			size_t n = i < size ? data[i++] : 0;
			if (n > size - i)
				n = size - i;
			char *s = malloc(n ? n : 1);   /* exactly n bytes: ASan sees overreads */
			if (!s)
				abort();
			memcpy(s, data + i, n);
			ww_jw_strn(&w, k, s, n);
			free(s);
			i += n;
			break;
		}
		case 2: case 3: {   /* a number from 8 bytes */
			double d = 0;
			uint64_t u = 0;
			size_t n = size - i < 8 ? size - i : 8;
			memcpy(&u, data + i, n);
			memcpy(&d, &u, sizeof(d));
			i += n;
			if (op & 1)
				ww_jw_double(&w, k, d);
			else if (op & 8)
				ww_jw_int(&w, k, (int64_t)u);
			else
				ww_jw_uint(&w, k, u);
			break;
		}
		case 4:
			if (depth < FUZZ_MAX_DEPTH) {
				bool arr = op & 8;
				if (arr)
					ww_jw_arr_begin(&w, k);
				else
					ww_jw_obj_begin(&w, k);
				in_arr[++depth] = arr;
			}
			break;
		case 5:
			if (depth > 0) {
				if (in_arr[depth])
					ww_jw_arr_end(&w);
				else
					ww_jw_obj_end(&w);
				depth--;
			}
			break;
		case 6:
			ww_jw_bool(&w, k, op & 8);
			break;
		default:
			ww_jw_null(&w, k);
			break;
		}
	}
	while (depth > 0) {
		if (in_arr[depth])
			ww_jw_arr_end(&w);
		else
			ww_jw_obj_end(&w);
		depth--;
	}

	char *out = NULL;
	size_t outn = 0;
	FILE *f = open_memstream(&out, &outn);
	if (!f)
		abort();
	int rc = ww_jw_finish(&w, f);
	fclose(f);
	ww_jw_free(&w);
	if (rc == 0) {
		/* One line: a JSON object, then '\n', nothing else. */
		const char *e = out + outn;
		if (outn < 2 || out[outn - 1] != '\n' || memchr(out, '\n', outn - 1) || out[0] != '{')
			abort();
		const char *end = value(out, e - 1, 0);
		if (!end || ws(end, e - 1) != e - 1)
			abort();
	}
	free(out);
	return 0;
}
