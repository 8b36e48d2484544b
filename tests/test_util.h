/*
 * test_util.h - small helpers the cmocka suites share.
 */
#ifndef WIREWHO_TEST_UTIL_H
#define WIREWHO_TEST_UTIL_H

#include <arpa/inet.h>
#include "wirewho/common.h"

/* An address from its text, IPv4 stored mapped; fails the test if unparsable. */
static inline struct ww_addr ww_test_addr(const char *s)
{
	struct ww_addr a;
	uint8_t v4[4];
	if (inet_pton(AF_INET, s, v4) == 1)
		ww_addr_from_v4(&a, v4);
	else
		assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
	return a;
}

#endif
