/*
 * common.c - address and time formatting shared by every writer.
 *
 * Both are on the output path of every record, so they avoid the locale and
 * time-zone machinery: the date is computed from days since the epoch with
 * the civil-from-days algorithm (proleptic Gregorian, UTC), which is exact
 * for any 64-bit time and needs no gmtime_r/TZ lookups.
 */
#include "wirewho/common.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>

/*
 * RFC 5952 text of an IPv6 address: lowercase hex without leading zeros, the
 * longest run of two or more zero groups (the first, on a tie) as "::".
 * inet_ntop() does the same through printf; this runs twice per v6 record.
 */
static void v6_str(const uint8_t b[16], char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned g[8];
	int best = -1, bestlen = 1, run = 0;

	for (int i = 0; i < 8; i++) {
		g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
		run = g[i] ? 0 : run + 1;
		if (run > bestlen) {
			bestlen = run;
			best = i - run + 1;
		}
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*out++ = ':';
			if (i == 0)
				*out++ = ':';
			i += bestlen - 1;
			continue;
		}
		unsigned v = g[i];
		int shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;
		for (; shift >= 0; shift -= 4)
			*out++ = hex[(v >> shift) & 15];
		if (i < 7)
			*out++ = ':';
	}
	*out = '\0';
}

const char *ww_addr_str(const struct ww_addr *a, int family, char *buf)
{
	if (family == 4 && ww_addr_is_v4(a)) {
		/* Hand-rolled: this runs twice per flow record. */
		char *p = buf;
		for (int i = 12; i < 16; i++) {
			unsigned v = a->b[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 15 ? '.' : '\0';
		}
	} else if (ww_addr_is_v4(a) || (memcmp(a->b, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0 &&
					  (a->b[12] | a->b[13]) != 0)) {
		/* Mapped and compatible forms print a dotted tail: leave them to libc. */
		if (!inet_ntop(AF_INET6, a->b, buf, WW_ADDRSTRLEN))
			buf[0] = '\0';
	} else {
		v6_str(a->b, buf);
	}
	return buf;
}

/* Howard Hinnant's days_from_civil inverse: days since 1970-01-01 -> y/m/d. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

const char *ww_time_str(ww_time_t t, char *buf)
{
	/* One flow record prints three times; the date part changes once a
	 * day, so it is cached (per thread) and only the clock is formatted. */
	static _Thread_local int64_t cached_day = INT64_MIN;
	static _Thread_local char cached_date[16];
	int64_t secs = t / WW_USEC_PER_SEC;
	int64_t usec = t % WW_USEC_PER_SEC;
	if (usec < 0) {
		usec += WW_USEC_PER_SEC;
		secs -= 1;
	}
	int64_t days = secs / 86400;
	int64_t rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days -= 1;
	}
	if (days != cached_day) {
		int64_t y;
		unsigned mo, d;
		civil_from_days(days, &y, &mo, &d);
		if (y < 0)
			y = 0;       /* RFC 3339 has four-digit years; clamp the absurd */
		if (y > 9999)
			y = 9999;
		cached_date[0] = (char)('0' + y / 1000);
		cached_date[1] = (char)('0' + y / 100 % 10);
		cached_date[2] = (char)('0' + y / 10 % 10);
		cached_date[3] = (char)('0' + y % 10);
		cached_date[4] = '-';
		put2(cached_date + 5, mo);
		cached_date[7] = '-';
		put2(cached_date + 8, d);
		cached_date[10] = 'T';
		cached_day = days;
	}
	memcpy(buf, cached_date, 11);
	put2(buf + 11, (unsigned)(rem / 3600));
	buf[13] = ':';
	put2(buf + 14, (unsigned)(rem / 60 % 60));
	buf[16] = ':';
	put2(buf + 17, (unsigned)(rem % 60));
	buf[19] = '.';
	unsigned u = (unsigned)usec;
	for (int i = 25; i >= 20; i--) {
		buf[i] = (char)('0' + u % 10);
		u /= 10;
	}
	buf[26] = 'Z';
	buf[27] = '\0';
	return buf;
}

ww_time_t ww_wall_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (ww_time_t)t.tv_sec * WW_USEC_PER_SEC + t.tv_nsec / 1000;
}

double ww_mono_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

const char *ww_ipproto_name(uint8_t proto, char buf[4])
{
	switch (proto) {
	case WW_IPPROTO_TCP: return "tcp";
	case WW_IPPROTO_UDP: return "udp";
	case WW_IPPROTO_ICMP: return "icmp";
	case WW_IPPROTO_ICMPV6: return "icmp6";
	}
	snprintf(buf, 4, "%u", proto);
	return buf;
}
