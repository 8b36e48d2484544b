/*
 * fuzz_policy.c - libFuzzer target over the policy parser and matcher:
 * whatever bytes a policy file holds, parsing either fails with a
 * "NAME:LINE:COL: reason" message or gives a policy whose every rule can be
 * matched, and the text of a matching rule parses again on its own.
 *
 * Input: the policy text up to the first 0xff byte (a byte the parser must
 * refuse as it refuses everything it does not know), then the bytes queries
 * are built from: owner strings, protocol, state, ports, direction, a peer
 * address, and a protocol name for app= rules. Bounded: at most
 * FUZZ_QUERIES queries per input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirewho/netscope.h"
#include "wirewho/policy.h"
#include "wirewho/socktab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_QUERIES 16

struct rd { const uint8_t *p, *end; };

static uint8_t byte(struct rd *r) { return r->p < r->end ? *r->p++ : 0; }

/* A NUL-free string of up to `max` bytes (length byte, then bytes), or NULL. */
static const char *str(struct rd *r, char *buf, size_t max)
{
	uint8_t l = byte(r);
	if (l == 0xff)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < l % (max + 1) && r->p < r->end; i++) {
		char c = (char)byte(r);
		buf[n++] = c ? c : '_';
	}
	buf[n] = '\0';
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0xff, size);
	size_t plen = sep ? (size_t)(sep - data) : size;
	struct ww_policy *p = NULL;
	char err[512];
	err[0] = '\0';
	int rc = ww_policy_parse((const char *)data, plen, "f", &p, err, sizeof(err));
	if (rc < 0) {
		if (p || (rc != -EINVAL && rc != -ENOMEM) || strncmp(err, "f:", 2) != 0)
			abort();   /* a failure must say where, and leave nothing */
		return 0;
	}
	if (!p)
		abort();
	struct rd r = { sep ? sep + 1 : data + size, data + size };
	for (int k = 0; k < FUZZ_QUERIES && r.p < r.end; k++) {
		char comm[16], exe[64], user[16], app[12];
		struct ww_addr peer;
		struct ww_policy_query q;
		struct ww_policy_verdict v;
		memset(&q, 0, sizeof(q));
		q.comm = str(&r, comm, sizeof(comm) - 1);
		q.exe = str(&r, exe, sizeof(exe) - 1);
		q.user = str(&r, user, sizeof(user) - 1);
		q.uid = byte(&r) == 0xff ? -1 : byte(&r);
		uint8_t f = byte(&r);
		q.proto = (f & 3) == 0 ? WW_IPPROTO_TCP : (f & 3) == 1 ? WW_IPPROTO_UDP : WW_SOCK_PROTO_RAW;
		q.state = (int)(byte(&r) % (WW_SS_NSTATES + 1)) - 1;
		q.dir = (enum ww_policy_dir)((f >> 2) % 3);
		q.bind_scope = (int)((f >> 4) % 4) - 1;
		q.flow = f & 0x40;
		q.local_port = (uint16_t)(byte(&r) << 8 | byte(&r));
		q.remote_port = (uint16_t)(byte(&r) << 8 | byte(&r));
		if (f & 0x80) {
			for (int i = 0; i < 16; i++)
				peer.b[i] = byte(&r);
			q.remote = &peer;
		}
		if (ww_policy_match(p, &q, &v)) {
			if (!v.text || v.line < 1 || strcmp(v.file, "f") != 0)
				abort();
			struct ww_policy *again = NULL;
			if (ww_policy_parse(v.text, strlen(v.text), "g", &again, err, sizeof(err)) != 0 ||
			    ww_policy_count(again) != 1)
				abort();   /* a rule's text is a policy of that one rule */
			ww_policy_free(again);
		}
		q.app = str(&r, app, sizeof(app) - 1);
		(void)ww_policy_match_app(p, &q, &v);
	}
	ww_policy_free(p);
	return 0;
}
