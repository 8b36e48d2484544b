/*
 * jsonw.c - the NDJSON line writer.
 *
 * A record is appended to one growable buffer and written with a single
 * fwrite when it is finished, so output lines are never torn even when a
 * record is large. Growth doubles the buffer; the buffer is kept between
 * records, so steady-state writing allocates nothing.
 *
 * Escaping is the only subtle part. Strings handed to us may be anything:
 * packet payload, a process name an attacker chose, a path with invalid
 * UTF-8. JSON output must be valid UTF-8, so we copy well-formed UTF-8
 * sequences through unchanged (a process called "café" stays readable) and
 * write every byte that is not part of one as \u00XX, i.e. the byte read as
 * Latin-1. That keeps the output lossless for ASCII and valid for all input.
 * Control characters, quote and backslash get JSON's escapes; DEL and the
 * C1 range are escaped too so a terminal never sees raw control codes.
 */
#include "wirewho/jsonw.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define JW_INITIAL_CAP 1024   /* one flow record is ~600 bytes */

void ww_jw_init(struct ww_jw *w)
{
	memset(w, 0, sizeof(*w));
}

void ww_jw_free(struct ww_jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static bool grow(struct ww_jw *w, size_t more);

/* Room for `more` bytes and a NUL. Inline fast path; growth out of line. */
static inline bool reserve(struct ww_jw *w, size_t more)
{
	if (WW_LIKELY(w->len + more + 1 <= w->cap))
		return true;
	return grow(w, more);
}

static bool grow(struct ww_jw *w, size_t more)
{
	if (w->oom)
		return false;
	size_t cap = w->cap ? w->cap : JW_INITIAL_CAP;
	while (cap < w->len + more + 1)
		cap *= 2;
	char *nb = realloc(w->buf, cap);
	if (!nb) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void put(struct ww_jw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void putc_(struct ww_jw *w, char c)
{
	if (!reserve(w, 1))
		return;
	w->buf[w->len++] = c;
}

/* Length of a well-formed UTF-8 sequence at s (RFC 3629), or 0. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0xc2 || c > 0xf4)
		return 0;      /* ASCII handled by caller; overlongs C0/C1; > U+10FFFF */
	if (c < 0xe0) {
		len = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		len = 3;
		cp = c & 0x0f;
	} else {
		len = 4;
		cp = c & 0x07;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;      /* overlong or out of range */
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;      /* surrogates are not characters */
	if (cp >= 0x80 && cp < 0xa0)
		return 0;      /* C1 controls: escape them like C0 */
	return len;
}

size_t ww_json_escape(char *dst, size_t dstsz, const void *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = src;
	size_t o = 0;

	if (dstsz == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		char tmp[8];
		size_t tl = 0;
		size_t adv = 1;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			tl = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[0] = (char)c;
			tl = 1;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			tmp[0] = '\\';
			tmp[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			tl = 2;
		} else if (c >= 0x80 && (adv = utf8_seq(s + i, n - i)) > 0) {
			if (o + adv >= dstsz)
				break;
			memcpy(dst + o, s + i, adv);
			o += adv;
			i += adv;
			continue;
		} else {
			adv = 1;
			memcpy(tmp, "\\u00", 4);
			tmp[4] = hex[c >> 4];
			tmp[5] = hex[c & 15];
			tl = 6;
		}
		if (o + tl >= dstsz)
			break;     /* never split an escape */
		memcpy(dst + o, tmp, tl);
		o += tl;
		i += adv;
	}
	dst[o] = '\0';
	return o;
}

/* `,"key":` in one reservation; the key is a trusted literal. */
static inline void key(struct ww_jw *w, const char *k, size_t kn)
{
	if (!reserve(w, kn + 4))
		return;
	char *p = w->buf + w->len;
	if (w->need_comma)
		*p++ = ',';
	w->need_comma = true;
	if (k) {
		*p++ = '"';
		memcpy(p, k, kn);
		p += kn;
		*p++ = '"';
		*p++ = ':';
	}
	w->len = (size_t)(p - w->buf);
}

/* True when s[0..n) needs no escaping: printable ASCII but quote and backslash. */
static bool plain_ascii(const uint8_t *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	/* Sixteen bytes a compare: as signed bytes, everything from 0x80 up is
	 * negative, so one "less than 0x20" catches both control ranges. */
	const __m128i lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		__m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, lo), _mm_cmpeq_epi8(v, del)),
					   _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
		if (_mm_movemask_epi8(bad))
			return false;
	}
#endif
	for (; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

char *ww_json_put_str(char *p, const char *s, size_t n)
{
	*p++ = '"';
	if (plain_ascii((const uint8_t *)s, n)) {
		memcpy(p, s, n);   /* the common case: no escapes */
		p += n;
	} else {
		p += ww_json_escape(p, 6 * n + 1, s, n);
	}
	*p++ = '"';
	return p;
}

static void str_value(struct ww_jw *w, const void *s, size_t n)
{
	/* Worst case 6 output bytes per input byte, plus quotes. */
	if (!reserve(w, n * 6 + 3))
		return;
	w->len = (size_t)(ww_json_put_str(w->buf + w->len, s, n) - w->buf);
}

/* Decimal digits of v into the end of buf[20]; returns the first digit. */
static char *u64_digits(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void ww_jw_record(struct ww_jw *w, const char *type, ww_time_t ts)
{
	w->need_comma = false;
	putc_(w, '{');
	ww_jw_str(w, "type", type);
	ww_jw_time(w, "ts", ts);
}

char *ww_jw_room(struct ww_jw *w, size_t n)
{
	return reserve(w, n) ? w->buf + w->len : NULL;
}

void ww_jw_wrote(struct ww_jw *w, char *end)
{
	w->len = (size_t)(end - w->buf);
	w->need_comma = true;
}

char *ww_json_put_u64(char *p, uint64_t v)
{
	char b[20], *e = b + sizeof(b), *d = u64_digits(v, e);
	size_t n = (size_t)(e - d);
	memcpy(p, d, n);
	return p + n;
}

void ww_jw_str_n(struct ww_jw *w, const char *k, size_t kn, const char *s)
{
	if (!s) {
		ww_jw_null_n(w, k, kn);
		return;
	}
	key(w, k, kn);
	str_value(w, s, strlen(s));
}

void ww_jw_strn_n(struct ww_jw *w, const char *k, size_t kn, const void *s, size_t n)
{
	key(w, k, kn);
	str_value(w, s, s ? n : 0);
}

void ww_jw_int_n(struct ww_jw *w, const char *k, size_t kn, int64_t v)
{
	char b[24], *e = b + sizeof(b), *p;
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	p = u64_digits(m, e);
	if (v < 0)
		*--p = '-';
	key(w, k, kn);
	put(w, p, (size_t)(e - p));
}

void ww_jw_uint_n(struct ww_jw *w, const char *k, size_t kn, uint64_t v)
{
	char b[24], *e = b + sizeof(b), *p = u64_digits(v, e);
	key(w, k, kn);
	put(w, p, (size_t)(e - p));
}

#define JW_FIXED_MAX 1e15   /* 16 integer digits + 7 fraction characters fit b[] */

void ww_jw_double_n(struct ww_jw *w, const char *k, size_t kn, double v)
{
	char b[40];
	int n;
	if (!isfinite(v)) {
		ww_jw_null_n(w, k, kn);   /* JSON has no NaN or infinity */
		return;
	}
	/* Fixed point (microseconds, as elapsed times want) while it fits;
	 * beyond JW_FIXED_MAX an exponent, which is always short: "%.6f" of
	 * 1e300 would be 308 bytes. */
	if (fabs(v) < JW_FIXED_MAX)
		n = snprintf(b, sizeof(b), "%.6f", v);
	else
		n = snprintf(b, sizeof(b), "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof(b))
		n = 0;   /* cannot happen with the formats above; never read past b */
	key(w, k, kn);
	put(w, b, (size_t)n);
}

void ww_jw_bool_n(struct ww_jw *w, const char *k, size_t kn, bool v)
{
	key(w, k, kn);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void ww_jw_null_n(struct ww_jw *w, const char *k, size_t kn)
{
	key(w, k, kn);
	put(w, "null", 4);
}

void ww_jw_time_n(struct ww_jw *w, const char *k, size_t kn, ww_time_t t)
{
	char b[WW_TIMESTRLEN + 1];
	key(w, k, kn);
	b[0] = '"';
	ww_time_str(t, b + 1);
	put(w, b, 28);          /* quote + 27 characters, always */
	putc_(w, '"');
}

void ww_jw_obj_begin_n(struct ww_jw *w, const char *k, size_t kn)
{
	key(w, k, kn);
	putc_(w, '{');
	w->need_comma = false;
}

void ww_jw_obj_end(struct ww_jw *w)
{
	putc_(w, '}');
	w->need_comma = true;
}

void ww_jw_arr_begin_n(struct ww_jw *w, const char *k, size_t kn)
{
	key(w, k, kn);
	putc_(w, '[');
	w->need_comma = false;
}

void ww_jw_arr_end(struct ww_jw *w)
{
	putc_(w, ']');
	w->need_comma = true;
}

int ww_jw_finish(struct ww_jw *w, FILE *out)
{
	int rc = 0;

	put(w, "}\n", 2);
	if (w->oom)
		rc = -ENOMEM;
	else if (!out)
		return 0;   /* the caller takes the record from w->buf */
	else if (fwrite(w->buf, 1, w->len, out) != w->len)
		rc = -EIO;
	ww_jw_reset(w);
	return rc;
}

void ww_jw_reset(struct ww_jw *w)
{
	w->len = 0;
	w->oom = false;
	w->need_comma = false;
}
