/*
 * bench_flowtab.c - the flow table against a plain chained hash table,
 * measured in the same run; prints rates and ratios, never pass/fail.
 *
 * For each size (100k, 1M, 10M flows, or the one given) and each of
 * `-r` runs (median reported): insert every flow into an empty table sized
 * for them, then look up 2M present keys and 2M absent keys picked at random
 * (the query keys are laid out in arrival order, as packets would be, so the
 * benchmark itself adds no cache misses beyond the table's). Every lookup
 * includes hashing its key, as a packet's would. Kinds:
 *   table single     ww_flowtab_lookup, one key after another
 *   table prefetch   ww_flowtab_prefetch 8 keys ahead, then lookup
 *   table ring 16    a 16-key ring: ww_flowtab_prefetch on arrival,
 *                    ww_flowtab_prefetch_record 8 keys later, lookup on
 *                    leaving (what the replay pipeline does)
 *   table batch B    ww_flowtab_lookup_batch over B keys
 *   chained          separate chaining, one malloc'd node per flow holding
 *                    the same struct ww_flow, buckets = next power of two
 *                    >= flows, the stored hash compared before the key;
 *                    the same keyed hash function.
 * Then churn: look up a present flow, remove it, insert a new one (what an
 * engine does when a flow ends and another starts), up to 1M times.
 * Memory: a fresh child process (this program re-executed with --rss)
 * inserts 1M flows; its peak RSS, less that of a child that allocates
 * nothing, divided by the flows, is the cost per tracked flow.
 *
 * Usage: bench_flowtab [-r RUNS] [FLOWS]
 */
#include "wirewho/flowtab.h"

#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUERIES      2000000u   /* lookups per measurement: ~0.1 s at the target rate */
#define PREFETCH_AHEAD 8        /* keys between ww_flowtab_prefetch and the lookup */
#define RSS_FLOWS    1000000u   /* the memory target is stated at 1M flows */
#define MAX_RUNS     15
#define SEED         0x5eedf10755eedull

extern char **environ;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A distinct key per id (the id is spread over address a and the VLAN); 3/4 IPv4. */
static void keygen(uint32_t id, struct ww_flowkey *k)
{
	uint64_t s = id;
	uint64_t r = splitmix64(&s);
	uint8_t v4[4] = { 10, (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };

	memset(k, 0, sizeof(*k));
	k->family = (id & 3) ? 4 : 6;
	if (k->family == 4) {
		ww_addr_from_v4(&k->a, v4);
		v4[0] = (uint8_t)(r >> 56);
		v4[1] = (uint8_t)(r >> 48);
		v4[2] = (uint8_t)(r >> 40);
		v4[3] = (uint8_t)(r >> 32);
		ww_addr_from_v4(&k->b, v4);
	} else {
		k->a.b[0] = 0x20;
		k->a.b[1] = 0x01;
		k->a.b[2] = 0x0d;
		k->a.b[3] = 0xb8;
		memcpy(k->a.b + 12, &id, sizeof(id));
		memcpy(k->b.b, &r, sizeof(r));
		k->b.b[0] = 0x2a;
	}
	k->vlan = (uint16_t)(id >> 24);
	k->port_a = (uint16_t)r;
	k->port_b = (uint16_t)(r >> 16) | 1;
	k->proto = (r & 0x10000000) ? WW_IPPROTO_TCP : WW_IPPROTO_UDP;
}

/* ---- the baseline: separate chaining --------------------------------------- */

struct cnode {
	struct cnode *next;
	struct ww_flow flow;
};

struct chained {
	struct cnode **buckets;
	uint64_t mask;
	const struct ww_flowtab *hasher;   /* the same keyed hash as the table */
};

static int chained_init(struct chained *c, uint32_t n, const struct ww_flowtab *hasher)
{
	uint64_t nb = 1;
	while (nb < n)
		nb <<= 1;
	c->buckets = calloc(nb, sizeof(*c->buckets));
	c->mask = nb - 1;
	c->hasher = hasher;
	return c->buckets ? 0 : -ENOMEM;
}

static struct ww_flow *chained_insert(struct chained *c, const struct ww_flowkey *k, uint64_t h)
{
	struct cnode *nd = calloc(1, sizeof(*nd));
	if (!nd)
		return NULL;
	nd->flow.key = *k;
	nd->flow.hash = h;
	nd->next = c->buckets[h & c->mask];
	c->buckets[h & c->mask] = nd;
	return &nd->flow;
}

static struct ww_flow *chained_lookup(struct chained *c, const struct ww_flowkey *k, uint64_t h)
{
	for (struct cnode *nd = c->buckets[h & c->mask]; nd; nd = nd->next)
		if (nd->flow.hash == h && ww_flowkey_eq(&nd->flow.key, k))
			return &nd->flow;
	return NULL;
}

/* Unlink and free the node of key k; false if absent. */
static bool chained_remove(struct chained *c, const struct ww_flowkey *k, uint64_t h)
{
	for (struct cnode **pp = &c->buckets[h & c->mask]; *pp; pp = &(*pp)->next) {
		struct cnode *nd = *pp;
		if (nd->flow.hash == h && ww_flowkey_eq(&nd->flow.key, k)) {
			*pp = nd->next;
			free(nd);
			return true;
		}
	}
	return false;
}

static void chained_free(struct chained *c)
{
	for (uint64_t i = 0; i <= c->mask; i++) {
		for (struct cnode *nd = c->buckets[i], *next; nd; nd = next) {
			next = nd->next;
			free(nd);
		}
	}
	free(c->buckets);
}

/* ---- SipHash-1-3, only to time it against the table's hash ------------------- */

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND do { \
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32); \
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32); \
} while (0)

static uint64_t siphash13_key(const struct ww_flowkey *key, uint64_t k0, uint64_t k1)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull, m;
	const unsigned char *p = (const unsigned char *)key;

	for (unsigned i = 0; i < sizeof(*key); i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)sizeof(*key) << 56;
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- measurements -------------------------------------------------------------- */

enum metric {
	M_INS_T, M_INS_C,
	M_PRES_T1, M_PRES_TPF, M_PRES_RING, M_PRES_TB8, M_PRES_TB16, M_PRES_TB32, M_PRES_C,
	M_ABS_T1, M_ABS_TB16, M_ABS_TB32, M_ABS_C,
	M_CHURN_T, M_CHURN_C,
	M_COUNT
};

static volatile uint64_t sink;   /* keeps results alive */

static void die(const char *what)
{
	fprintf(stderr, "bench_flowtab: %s\n", what);
	exit(1);
}

static void expect_found(uint64_t found, uint64_t want, const char *what)
{
	if (found != want) {
		fprintf(stderr, "bench_flowtab: %s found %" PRIu64 " of %" PRIu64 " expected\n",
			what, found, want);
		exit(1);
	}
}

static double mops(uint64_t n, double secs)
{
	return (double)n / secs / 1e6;
}

static double run_single(struct ww_flowtab *t, const struct ww_flowkey *q, uint32_t nq, uint64_t want)
{
	uint64_t found = 0;
	double t0 = now();
	for (uint32_t i = 0; i < nq; i++)
		found += ww_flowtab_lookup(t, &q[i], ww_flowtab_hash(t, &q[i])) != NULL;
	double r = mops(nq, now() - t0);
	expect_found(found, want, "table single");
	return r;
}

static double run_prefetch(struct ww_flowtab *t, const struct ww_flowkey *q, uint32_t nq, uint64_t want)
{
	uint64_t found = 0, h[PREFETCH_AHEAD];
	double t0 = now();
	for (uint32_t i = 0; i < PREFETCH_AHEAD; i++) {
		h[i] = ww_flowtab_hash(t, &q[i]);
		ww_flowtab_prefetch(t, h[i]);
	}
	for (uint32_t i = 0; i < nq; i++) {
		uint64_t hi = h[i % PREFETCH_AHEAD];
		if (i + PREFETCH_AHEAD < nq) {
			h[i % PREFETCH_AHEAD] = ww_flowtab_hash(t, &q[i + PREFETCH_AHEAD]);
			ww_flowtab_prefetch(t, h[i % PREFETCH_AHEAD]);
		}
		found += ww_flowtab_lookup(t, &q[i], hi) != NULL;
	}
	double r = mops(nq, now() - t0);
	expect_found(found, want, "table prefetch");
	return r;
}

/*
 * The replay engine's way: a ring of RING packets; a packet's home chunk is
 * prefetched on arrival, its first candidate record half-way through the
 * ring, and it is looked up when it leaves.
 */
#define RING 16

static double run_ring(struct ww_flowtab *t, const struct ww_flowkey *q, uint32_t nq, uint64_t want)
{
	uint64_t found = 0, h[RING];
	double t0 = now();
	for (uint32_t i = 0; i < nq + RING; i++) {
		/* Leave, then advance the middle, then arrive: the arrival reuses the leaver's slot. */
		if (i >= RING)
			found += ww_flowtab_lookup(t, &q[i - RING], h[(i - RING) % RING]) != NULL;
		if (i >= RING / 2 && i - RING / 2 < nq)
			ww_flowtab_prefetch_record(t, h[(i - RING / 2) % RING]);
		if (i < nq) {
			h[i % RING] = ww_flowtab_hash(t, &q[i]);
			ww_flowtab_prefetch(t, h[i % RING]);
		}
	}
	double r = mops(nq, now() - t0);
	expect_found(found, want, "table ring");
	return r;
}

static double run_batch(struct ww_flowtab *t, const struct ww_flowkey *q, uint32_t nq, uint64_t want,
			unsigned b)
{
	uint64_t found = 0, h[64];
	struct ww_flow *out[64];
	double t0 = now();
	for (uint32_t i = 0; i < nq; i += b) {
		for (unsigned j = 0; j < b; j++)
			h[j] = ww_flowtab_hash(t, &q[i + j]);
		ww_flowtab_lookup_batch(t, &q[i], h, out, b);
		for (unsigned j = 0; j < b; j++)
			found += out[j] != NULL;
	}
	double r = mops(nq, now() - t0);
	expect_found(found, want, "table batch");
	return r;
}

static double run_chained(struct chained *c, const struct ww_flowkey *q, uint32_t nq, uint64_t want)
{
	uint64_t found = 0;
	double t0 = now();
	for (uint32_t i = 0; i < nq; i++)
		found += chained_lookup(c, &q[i], ww_flowtab_hash(c->hasher, &q[i])) != NULL;
	double r = mops(nq, now() - t0);
	expect_found(found, want, "chained");
	return r;
}

/*
 * Churn: find a present flow, remove it, insert a new one; the i-th victim
 * is keys[i * CHURN_STRIDE % n], distinct for i < n as the stride is a prime
 * that divides no size we run. New keys use ids past the absent queries'.
 */
#define CHURN_STRIDE 7919u
#define CHURN_NEW_ID (1u << 28)

static uint32_t churn_ops(uint32_t n)
{
	return n < QUERIES / 2 ? n : QUERIES / 2;
}

static double run_churn_table(struct ww_flowtab *t, const struct ww_flowkey *keys, uint32_t n)
{
	uint32_t ops = churn_ops(n);
	struct ww_flowkey k;
	double t0 = now();
	for (uint32_t i = 0; i < ops; i++) {
		const struct ww_flowkey *v = &keys[(uint64_t)i * CHURN_STRIDE % n];
		struct ww_flow *f = ww_flowtab_lookup(t, v, ww_flowtab_hash(t, v));
		if (!f)
			die("churn victim not found (table)");
		ww_flowtab_remove(t, f);
		keygen(CHURN_NEW_ID + i, &k);
		if (!ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)))
			die("churn insert failed (table)");
	}
	return mops(ops, now() - t0);
}

static double run_churn_chained(struct chained *c, const struct ww_flowkey *keys, uint32_t n)
{
	uint32_t ops = churn_ops(n);
	struct ww_flowkey k;
	double t0 = now();
	for (uint32_t i = 0; i < ops; i++) {
		const struct ww_flowkey *v = &keys[(uint64_t)i * CHURN_STRIDE % n];
		if (!chained_remove(c, v, ww_flowtab_hash(c->hasher, v)))
			die("churn victim not found (chained)");
		keygen(CHURN_NEW_ID + i, &k);
		if (!chained_insert(c, &k, ww_flowtab_hash(c->hasher, &k)))
			die("out of memory (chained churn)");
	}
	return mops(ops, now() - t0);
}

static void one_run(uint32_t n, const struct ww_flowkey *keys, const struct ww_flowkey *pq,
		    const struct ww_flowkey *aq, uint64_t seed, double *m)
{
	struct ww_flowtab *t = ww_flowtab_new(n, seed);
	struct chained c = { 0 };
	double t0;

	if (!t)
		die("out of memory (table)");
	t0 = now();
	for (uint32_t i = 0; i < n; i++)
		if (!ww_flowtab_insert(t, &keys[i], ww_flowtab_hash(t, &keys[i])))
			die("table insert failed");
	m[M_INS_T] = mops(n, now() - t0);
	m[M_PRES_T1] = run_single(t, pq, QUERIES, QUERIES);
	m[M_PRES_TPF] = run_prefetch(t, pq, QUERIES, QUERIES);
	m[M_PRES_RING] = run_ring(t, pq, QUERIES, QUERIES);
	m[M_PRES_TB8] = run_batch(t, pq, QUERIES, QUERIES, 8);
	m[M_PRES_TB16] = run_batch(t, pq, QUERIES, QUERIES, 16);
	m[M_PRES_TB32] = run_batch(t, pq, QUERIES, QUERIES, 32);
	m[M_ABS_T1] = run_single(t, aq, QUERIES, 0);
	m[M_ABS_TB16] = run_batch(t, aq, QUERIES, 0, 16);
	m[M_ABS_TB32] = run_batch(t, aq, QUERIES, 0, 32);
	m[M_CHURN_T] = run_churn_table(t, keys, n);

	/* The baseline hashes with the table's function and secret: keep t until done. */
	if (chained_init(&c, n, t) < 0)
		die("out of memory (chained)");
	t0 = now();
	for (uint32_t i = 0; i < n; i++)
		if (!chained_insert(&c, &keys[i], ww_flowtab_hash(t, &keys[i])))
			die("out of memory (chained insert)");
	m[M_INS_C] = mops(n, now() - t0);
	m[M_PRES_C] = run_chained(&c, pq, QUERIES, QUERIES);
	m[M_ABS_C] = run_chained(&c, aq, QUERIES, 0);
	m[M_CHURN_C] = run_churn_chained(&c, keys, n);
	chained_free(&c);
	ww_flowtab_free(t);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bench_size(uint32_t n, int runs)
{
	struct ww_flowkey *keys = malloc((size_t)n * sizeof(*keys));
	struct ww_flowkey *pq = malloc((size_t)QUERIES * sizeof(*pq));
	struct ww_flowkey *aq = malloc((size_t)QUERIES * sizeof(*aq));
	double all[M_COUNT][MAX_RUNS], med[M_COUNT];
	uint64_t rng = SEED ^ n;

	if (!keys || !pq || !aq)
		die("out of memory (keys)");
	for (uint32_t i = 0; i < n; i++)
		keygen(i, &keys[i]);
	for (uint32_t i = 0; i < QUERIES; i++) {
		pq[i] = keys[(uint32_t)(((splitmix64(&rng) >> 32) * n) >> 32)];
		keygen(n + (uint32_t)(splitmix64(&rng) % (1u << 27)), &aq[i]);   /* ids >= n: absent */
	}
	for (int r = 0; r < runs; r++) {
		double m[M_COUNT];
		one_run(n, keys, pq, aq, SEED + (uint64_t)r, m);
		for (int k = 0; k < M_COUNT; k++)
			all[k][r] = m[k];
	}
	for (int k = 0; k < M_COUNT; k++)
		med[k] = median(all[k], runs);

	printf("\n%" PRIu32 " flows (Mops/s, median of %d runs; lookups include hashing the key)\n", n, runs);
	printf("  %-26s %8s %8s %7s\n", "", "table", "chained", "ratio");
#define ROW(name, t, c) printf("  %-26s %8.1f %8.1f %6.2fx\n", name, med[t], med[c], med[t] / med[c])
	ROW("insert", M_INS_T, M_INS_C);
	ROW("lookup present, single", M_PRES_T1, M_PRES_C);
	ROW("lookup present, prefetch 8", M_PRES_TPF, M_PRES_C);
	ROW("lookup present, ring 16", M_PRES_RING, M_PRES_C);
	ROW("lookup present, batch 8", M_PRES_TB8, M_PRES_C);
	ROW("lookup present, batch 16", M_PRES_TB16, M_PRES_C);
	ROW("lookup present, batch 32", M_PRES_TB32, M_PRES_C);
	ROW("lookup absent, single", M_ABS_T1, M_ABS_C);
	ROW("lookup absent, batch 16", M_ABS_TB16, M_ABS_C);
	ROW("lookup absent, batch 32", M_ABS_TB32, M_ABS_C);
	ROW("churn: lookup+remove+insert", M_CHURN_T, M_CHURN_C);
#undef ROW
	fflush(stdout);
	free(keys);
	free(pq);
	free(aq);
}

static void bench_hash(void)
{
	enum { N = 1 << 20 };
	struct ww_flowkey *k = malloc(N * sizeof(*k));
	struct ww_flowtab *t = ww_flowtab_new(1, SEED);
	uint64_t acc = 0;
	double t0, nh, sip;

	if (!k || !t)
		die("out of memory (hash)");
	for (uint32_t i = 0; i < N; i++)
		keygen(i, &k[i]);
	for (int pass = 0; pass < 2; pass++) {   /* the first pass warms the cache */
		t0 = now();
		for (uint32_t i = 0; i < N; i++)
			acc += ww_flowtab_hash(t, &k[i]);
		nh = (now() - t0) / N * 1e9;
		t0 = now();
		for (uint32_t i = 0; i < N; i++)
			acc += siphash13_key(&k[i], 1, 2);
		sip = (now() - t0) / N * 1e9;
	}
	sink = acc;
	printf("hash of a 40-byte key: table's keyed NH %.1f ns, SipHash-1-3 %.1f ns (%.1fx)\n",
	       nh, sip, sip / nh);
	free(k);
	ww_flowtab_free(t);
}

/* ---- memory, in a clean child process ------------------------------------------ */

/* This process's peak RSS in bytes (VmHWM), or -1. */
static long long peak_rss_self(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static int rss_child(uint32_t n, const char *kind)
{
	struct ww_flowtab *t = ww_flowtab_new(n ? n : 1, SEED);
	struct ww_flowkey k;
	struct chained c = { 0 };

	if (!t)
		return 1;
	if (strcmp(kind, "table") == 0) {
		for (uint32_t i = 0; i < n; i++) {
			keygen(i, &k);
			if (!ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)))
				return 1;
		}
	} else if (strcmp(kind, "chained") == 0) {
		if (chained_init(&c, n, t) < 0)
			return 1;
		for (uint32_t i = 0; i < n; i++) {
			keygen(i, &k);
			if (!chained_insert(&c, &k, ww_flowtab_hash(t, &k)))
				return 1;
		}
	}
	printf("%lld\n", peak_rss_self());
	if (strcmp(kind, "chained") == 0)
		chained_free(&c);
	ww_flowtab_free(t);
	return 0;
}

/*
 * Peak RSS in bytes of `self --rss n kind`, or -1. The child reports its own
 * VmHWM: getrusage's ru_maxrss of a spawned child would include the parent's
 * peak, which exec inherits from the vfork-shared address space.
 */
static long long child_peak_rss(uint32_t n, const char *kind)
{
	char nbuf[16], self[] = "bench_flowtab";
	char *argv[] = { self, "--rss", nbuf, (char *)kind, NULL };
	posix_spawn_file_actions_t fa;
	long long rss = -1;
	int status, fd[2];
	pid_t pid;
	FILE *in;

	snprintf(nbuf, sizeof(nbuf), "%" PRIu32, n);
	if (pipe(fd) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	in = fdopen(fd[0], "r");
	if (!in || fscanf(in, "%lld", &rss) != 1)
		rss = -1;
	if (in)
		fclose(in);
	else
		close(fd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return rss;
}

static void bench_rss(void)
{
	long long base = child_peak_rss(0, "none");
	long long tab = child_peak_rss(RSS_FLOWS, "table");
	long long ch = child_peak_rss(RSS_FLOWS, "chained");

	if (base < 0 || tab < 0 || ch < 0) {
		printf("peak RSS: could not measure (child failed)\n");
		return;
	}
	printf("peak RSS at %u flows, less an idle process's %.1f MB: table %.1f bytes/flow (%.1f MB), "
	       "chained %.1f bytes/flow; sizeof(struct ww_flow) = %zu\n", RSS_FLOWS, (double)base / 1e6,
	       (double)(tab - base) / RSS_FLOWS, (double)(tab - base) / 1e6,
	       (double)(ch - base) / RSS_FLOWS, sizeof(struct ww_flow));
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 100000, 1000000, 10000000 };
	uint32_t only = 0;
	int runs = 3, opt;

	if (argc == 4 && strcmp(argv[1], "--rss") == 0)
		return rss_child((uint32_t)strtoul(argv[2], NULL, 10), argv[3]);
	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r' && atoi(optarg) >= 1 && atoi(optarg) <= MAX_RUNS) {
			runs = atoi(optarg);
		} else {
			fprintf(stderr, "usage: %s [-r RUNS (1..%d)] [FLOWS]\n", argv[0], MAX_RUNS);
			return 2;
		}
	}
	if (optind < argc) {
		char *end;
		unsigned long v = strtoul(argv[optind], &end, 10);
		if (*end || v == 0 || v > 100000000ul) {
			fprintf(stderr, "%s: FLOWS must be 1..100000000\n", argv[0]);
			return 2;
		}
		only = (uint32_t)v;
	}

	bench_rss();
	bench_hash();
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!only)
			bench_size(sizes[i], runs);
	if (only)
		bench_size(only, runs);
	return 0;
}
