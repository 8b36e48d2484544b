/*
 * fuzz_learn.c - libFuzzer target over `sockets --learn`: learn from a
 * random socket table, write the policy, load it back; the written policy
 * must parse, and every socket it was learned from must be explained by it
 * - an allow or ignore rule for a socket no rule explained, an ignore rule
 * for a state anomaly - whatever bytes the owners' names, executables and
 * user names hold (empty, all digits, glob characters, quotes, control
 * bytes, high bytes). A masquerading owner's rule is written commented out
 * and is not checked; a reviewed socket learns nothing.
 *
 * Input: up to FUZZ_SOCKS sockets, each: a flags byte (protocol, why,
 * direction, which owner fields are known, a peer, indicators), the state,
 * comm (up to 15 bytes), exe and user (up to 64), uid, two ports and a
 * 16-byte peer address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirewho/netscope.h"
#include "wirewho/policy.h"
#include "wirewho/socktab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SOCKS 32

struct rd { const uint8_t *p, *end; };

static uint8_t byte(struct rd *r) { return r->p < r->end ? *r->p++ : 0; }

struct sock {
	char comm[16], exe[65], user[65];
	struct ww_addr peer;
	struct ww_policy_query q;
	enum ww_policy_learn_why why;
};

static void str(struct rd *r, char *buf, size_t max)
{
	size_t l = byte(r) % (max + 1), n = 0;
	for (size_t i = 0; i < l && r->p < r->end; i++) {
		char c = (char)byte(r);
		if (c)   /* /proc strings carry no NUL */
			buf[n++] = c;
	}
	buf[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sock s[FUZZ_SOCKS];
	struct rd r = { data, data + size };
	size_t n = 0;
	struct ww_policy_learn *l = ww_policy_learn_new();
	if (!l)
		return 0;
	while (n < FUZZ_SOCKS && r.p < r.end) {
		struct sock *k = &s[n];
		struct ww_policy_query *q = &k->q;
		memset(k, 0, sizeof(*k));
		uint8_t f = byte(&r);
		q->proto = (f & 3) == 0 ? WW_IPPROTO_TCP : (f & 3) == 1 ? WW_IPPROTO_UDP : WW_SOCK_PROTO_RAW;
		k->why = (enum ww_policy_learn_why)((f >> 2) % 3);
		q->dir = (enum ww_policy_dir)((f >> 4) % 3);
		q->state = byte(&r) % WW_SS_NSTATES;   /* 0: a number the kernel gave no name */
		str(&r, k->comm, 15);
		str(&r, k->exe, 64);
		str(&r, k->user, 64);
		uint8_t known = byte(&r);
		q->comm = known & 1 ? k->comm : NULL;
		q->exe = known & 2 ? k->exe : NULL;
		q->user = known & 4 ? k->user : NULL;
		q->uid = known & 8 ? (int64_t)(byte(&r) << 8 | byte(&r)) : -1;
		q->indicators = known & 0x10 ? byte(&r) : 0;
		q->bind_scope = (int)(byte(&r) % 3);
		q->local_port = (uint16_t)(byte(&r) << 8 | byte(&r));
		q->remote_port = (uint16_t)(byte(&r) << 8 | byte(&r));
		for (int i = 0; i < 16; i++)
			k->peer.b[i] = byte(&r);
		if (known & 0x20) {
			uint8_t v4[4];
			memcpy(v4, k->peer.b, 4);
			ww_addr_from_v4(&k->peer, v4);
		}
		/* as the socket audit asks: no peer is NULL, not the unspecified address */
		q->remote = (f & 0x40) && !ww_netscope_is_unspecified(&k->peer) ? &k->peer : NULL;
		if (ww_policy_learn_add(l, q, k->why) < 0)
			goto out;
		n++;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&text, &len);
	if (!mf)
		goto out;
	if (ww_policy_learn_write(l, mf, 0, n) < 0)
		abort();
	fclose(mf);
	struct ww_policy *p = NULL;
	char err[512];
	if (ww_policy_parse(text, len, "learned", &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "the learned policy does not load: %s\n%s", err, text);
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		struct ww_policy_verdict v;
		const struct sock *k = &s[i];
		if (k->why == WW_POLICY_LEARN_REVIEWED || k->q.indicators)
			continue;
		bool m = ww_policy_match(p, &k->q, &v);
		bool ok = m && (k->why == WW_POLICY_LEARN_ANOMALY ? v.action == WW_POLICY_IGNORE
								  : v.action != WW_POLICY_REVIEW);
		if (!ok) {
			fprintf(stderr, "socket %zu (comm %s exe %s user %s uid %lld) is not explained by what "
				"was learned from it (%s):\n%s", i, k->q.comm ? k->q.comm : "(null)",
				k->q.exe ? k->q.exe : "(null)", k->q.user ? k->q.user : "(null)",
				(long long)k->q.uid, m ? v.text : "no rule matched", text);
			abort();
		}
	}
	ww_policy_free(p);
	free(text);
out:
	ww_policy_learn_free(l);
	return 0;
}
