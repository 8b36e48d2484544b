/*
 * What the classifier's suites share (test_classify.c, test_classify_proto.c):
 * a flow between two documentation addresses with the client as key.a, its
 * segments as (direction, bytes) pairs, and one run of the classifier over
 * them. Each segment is copied to a buffer of its exact size before it is
 * fed, so ASan sees any read past what a packet carried. Include after
 * <cmocka.h>.
 */
#ifndef WIREWHO_TESTS_CLS_TEST_H
#define WIREWHO_TESTS_CLS_TEST_H

#include <stdlib.h>
#include <string.h>

#include "wirewho/classify.h"
#include "test_util.h"

static inline struct ww_flow mkflow(uint8_t proto, uint16_t cport, uint16_t sport)
{
	/* The key orders 192.0.2.10 before 198.51.100.20: the client is key.a. */
	struct ww_flow f = ww_test_flow("192.0.2.10", cport, "198.51.100.20", sport, proto);
	if (proto == WW_IPPROTO_TCP)
		f.tcp = WW_TCPS_SYN_C | WW_TCPS_SYN_S | WW_TCPS_EST;
	return f;
}

struct seg {
	enum ww_dir dir;
	const void *p;
	uint32_t n;
};
#define C2S(x) { WW_DIR_TOSERVER, (x), sizeof(x) }
#define S2C(x) { WW_DIR_TOCLIENT, (x), sizeof(x) }
#define C2S_N(x, n) { WW_DIR_TOSERVER, (x), (n) }
#define S2C_N(x, n) { WW_DIR_TOCLIENT, (x), (n) }
#define C2S_STR(s) { WW_DIR_TOSERVER, (s), sizeof(s) - 1 }
#define S2C_STR(s) { WW_DIR_TOCLIENT, (s), sizeof(s) - 1 }

/* Feed the segments of one flow (each in a buffer of its exact size), finish
 * it, return app_proto and how it was found (*by); *out keeps the state. */
static inline const char *run_flow(const struct ww_flow *f, const struct seg *s, int n,
				   enum ww_app_by *by, struct ww_cls **out)
{
	struct ww_cls *c = ww_cls_new();
	assert_non_null(c);
	for (int i = 0; i < n; i++) {
		uint8_t *copy = malloc(s[i].n ? s[i].n : 1);
		assert_non_null(copy);
		memcpy(copy, s[i].p, s[i].n);
		bool fin = ww_cls_feed(c, f, s[i].dir, copy, s[i].n, (uint64_t)i + 4);
		free(copy);
		if (fin)
			break;
	}
	ww_cls_finish(c, f);
	const char *r = ww_cls_app_proto(c, f, by);
	if (out)
		*out = c;
	else
		ww_cls_free(c);
	return r;
}

#endif
