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
#include <inttypes.h>
#include <stdio.h>

const char *ww_addr_str(const struct ww_addr *a, int family, char *buf)
{
	if (family == 4 && ww_addr_is_v4(a)) {
		const uint8_t *v = a->b + 12;
		snprintf(buf, WW_ADDRSTRLEN, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
	} else if (!inet_ntop(AF_INET6, a->b, buf, WW_ADDRSTRLEN)) {
		buf[0] = '\0';   /* cannot happen for AF_INET6 with a 46-byte buffer */
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

const char *ww_time_str(ww_time_t t, char *buf)
{
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
	int64_t y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	snprintf(buf, WW_TIMESTRLEN, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%06uZ",
		 y, mo, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
		 (unsigned)(rem % 60), (unsigned)usec);
	return buf;
}
