/*
 * bench_tables.c - the flow table against the tables engineers reach for:
 * DPDK's rte_hash (cuckoo, 16-bit signatures, bulk lookup) and absl's
 * flat_hash_map (Swiss table, absl_map.cc), in one run, on the same keys
 * and query streams; prints rates and ratios, never pass/fail.
 *
 * Built and run by bench/bench_tables.sh, not by meson: it needs libdpdk-dev
 * and libabsl-dev and a C++ compiler, which the product does not. The
 * script compiles src/flow/flowtab.c with the release build's flags.
 *
 * Fairness. Every table maps the 40-byte struct ww_flowkey to a 160-byte
 * struct ww_flow in a pool: wirewho's owns its pool; rte_hash stores a
 * pointer to the record as its data, absl a uint32 index into a pool the
 * benchmark owns (mmap'd with transparent huge pages like the table's).
 * Every lookup includes hashing its key with the table's own hash (NH for
 * wirewho, CRC32-C for rte_hash as DPDK's applications use, absl's hash);
 * a present lookup reads the record it found (a packet updates it), an
 * absent one reads nothing more. Each table is sized for the flows it
 * gets: rte_hash with entries = flows and its extendable bucket table (so
 * inserts cannot fail), absl reserve(flows), wirewho ww_flowtab_new(flows).
 * Query keys sit in memory in arrival order, as packets would, so only the
 * tables' own misses are measured.
 *
 * Rounds. Each of -r rounds (>= 7) builds each table fresh and runs all of
 * its operations, the tables in a rotating order, so a burst of load from
 * the machine's other tenants hits all of them alike; each figure is the
 * median over rounds, and the ratios are of medians. Operations:
 *   insert    every flow into an empty table;
 *   present   QUERIES lookups of random present keys, record read;
 *   absent    QUERIES lookups of keys not in the table;
 *   churn     look up a present flow, remove it, insert a new one.
 * Lookup kinds: wirewho single (ww_flowtab_lookup), ring D/R (the replay
 * pipeline's way: chunk prefetched on arrival, record R keys later, looked
 * up D keys later), batch 32 (ww_flowtab_hash_lookup_batch: hashing inside,
 * as rte_hash_lookup_bulk does); rte_hash bulk 32
 * (rte_hash_lookup_bulk for absent keys, _bulk_data then the record for
 * present ones); absl single and absl with prefetch() 8 keys ahead.
 *
 * Usage: bench_tables [-g] [-r ROUNDS] [-d DEPTH -R RECORD] [FLOWS...]
 *        (default 1000000 10000000; -g adds the ring at a grid of distances)
 */
#include "wirewho/flowtab.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#define QUERIES     2000000u   /* lookups per measurement: ~0.1 s each */
#define CHURN_OPS   1000000u
#define BULK        32u        /* rte_hash bulk and wirewho batch: a typical DPDK burst */
#define ABSL_AHEAD  8u         /* keys between absl's prefetch() and find() */
#define MAX_ROUNDS  31
#define SEED        0x5eedf10755eedull
#define CHURN_NEW_ID (1u << 28)
#define CHURN_STRIDE 7919u

/* absl_map.cc */
void *absl_map_new(uint32_t reserve);
void absl_map_free(void *m);
int absl_map_insert(void *m, const void *key, uint32_t idx);
uint32_t absl_map_find(void *m, const void *key);
void absl_map_prefetch(void *m, const void *key);
uint32_t absl_map_erase(void *m, const void *key);
uint64_t absl_map_bytes(void *m);

static volatile uint64_t sink;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * This thread's CPU time, not the wall clock: on the shared 2-core machine
 * other tenants' processes take the core for milliseconds at a time, and
 * wall-clock medians moved 2-3x between rounds; CPU time moved ~3%. (Their
 * use of the shared caches and memory still shows, as it would in service.)
 */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_tables: %s\n", what);
	exit(1);
}

/* A distinct key per id, as bench_flowtab.c makes them (3/4 IPv4). In memory only. */
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

static double mops(uint64_t n, double secs)
{
	return (double)n / secs / 1e6;
}

static void expect(uint64_t found, uint64_t want, const char *what)
{
	if (found != want) {
		fprintf(stderr, "bench_tables: %s found %" PRIu64 " of %" PRIu64 " expected\n", what, found, want);
		exit(1);
	}
}

/* A record pool for the anchors, like the table's own: zero pages, huge pages asked. */
static struct ww_flow *pool_new(uint32_t n, size_t *bytes)
{
	*bytes = (size_t)n * sizeof(struct ww_flow);
	void *p = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("out of memory (pool)");
	(void)madvise(p, *bytes, MADV_HUGEPAGE);
	return p;
}

static void record_init(struct ww_flow *f, const struct ww_flowkey *k)
{
	memset(f, 0, sizeof(*f));
	f->key = *k;
}

/* What a packet does to the record it found: read and bump its counters. */
static inline uint64_t touch(struct ww_flow *f)
{
	f->pkts[0]++;
	return f->pkts[0];
}

/* ---- metrics ------------------------------------------------------------- */

enum metric {
	WW_INS, WW_P1, WW_PRING, WW_PB32, WW_A1, WW_ARING, WW_AB32, WW_CHURN,
	RTE_INS, RTE_PB32, RTE_AB32, RTE_CHURN,
	AB_INS, AB_P1, AB_PPF, AB_A1, AB_APF, AB_CHURN,
	M_COUNT
};

static double all[M_COUNT][MAX_ROUNDS];
static double idx_bytes[3];   /* index bytes per flow: wirewho, rte_hash, absl (last round) */

/* ---- wirewho ------------------------------------------------------------- */

#define RING_MAX 64

/* The pipeline's ring: depth d, record prefetch r keys after arrival. */
static double ww_ring(struct ww_flowtab *t, const struct ww_flowkey *q, uint32_t nq, uint64_t want,
		      unsigned d, unsigned r, bool present)
{
	uint64_t found = 0, acc = 0, h[RING_MAX];
	double t0 = now();
	for (uint32_t i = 0; i < nq + d; i++) {
		if (i >= d) {
			struct ww_flow *f = ww_flowtab_lookup(t, &q[i - d], h[(i - d) % d]);
			if (f) {
				found++;
				if (present)
					acc += touch(f);
			}
		}
		if (i >= r && i - r < nq)
			ww_flowtab_prefetch_record(t, h[(i - r) % d]);
		if (i < nq) {
			h[i % d] = ww_flowtab_hash(t, &q[i]);
			ww_flowtab_prefetch(t, h[i % d]);
		}
	}
	double m = mops(nq, now() - t0);
	sink += acc;
	expect(found, want, "wirewho ring");
	return m;
}

static double ww_single(struct ww_flowtab *t, const struct ww_flowkey *q, uint32_t nq, uint64_t want)
{
	uint64_t found = 0, acc = 0;
	double t0 = now();
	for (uint32_t i = 0; i < nq; i++) {
		struct ww_flow *f = ww_flowtab_lookup(t, &q[i], ww_flowtab_hash(t, &q[i]));
		if (f) {
			found++;
			acc += touch(f);
		}
	}
	double m = mops(nq, now() - t0);
	sink += acc;
	expect(found, want, "wirewho single");
	return m;
}

static double ww_batch(struct ww_flowtab *t, const struct ww_flowkey *q, uint32_t nq, uint64_t want)
{
	uint64_t found = 0, acc = 0, h[BULK];
	struct ww_flow *out[BULK];
	double t0 = now();
	for (uint32_t i = 0; i < nq; i += BULK) {
		ww_flowtab_hash_lookup_batch(t, &q[i], h, out, BULK);   /* hashes inside, as rte_hash */
		for (unsigned j = 0; j < BULK; j++)
			if (out[j]) {
				found++;
				acc += touch(out[j]);
			}
	}
	double m = mops(nq, now() - t0);
	sink += acc;
	expect(found, want, "wirewho batch");
	return m;
}

static unsigned ring_d = 16, ring_r = 8;   /* the pipeline's constants (-d, -R to change) */
static bool grid;                          /* -g: the ring at other distances too */

/* -g: the ring's rate at a grid of distances, medians of the rounds, to show how much they matter. */
static const unsigned grid_dr[][2] = { { 8, 4 }, { 16, 4 }, { 16, 8 }, { 16, 12 }, { 24, 8 }, { 24, 16 },
				       { 32, 8 }, { 32, 16 }, { 32, 24 }, { 48, 24 }, { 48, 40 }, { 64, 48 } };
#define GRID_N (sizeof(grid_dr) / sizeof(grid_dr[0]))
static double grid_p[GRID_N][MAX_ROUNDS], grid_a[GRID_N][MAX_ROUNDS];

static void run_wirewho(uint32_t n, const struct ww_flowkey *keys, const struct ww_flowkey *pq,
			const struct ww_flowkey *aq, int round, uint64_t seed)
{
	struct ww_flowtab *t = ww_flowtab_new(n, seed);
	struct ww_flowkey k;
	double t0;

	if (!t)
		die("out of memory (wirewho)");
	t0 = now();
	for (uint32_t i = 0; i < n; i++) {
		struct ww_flow *f = ww_flowtab_insert(t, &keys[i], ww_flowtab_hash(t, &keys[i]));
		if (!f)
			die("wirewho insert failed");
	}
	all[WW_INS][round] = mops(n, now() - t0);
	all[WW_P1][round] = ww_single(t, pq, QUERIES, QUERIES);
	all[WW_PRING][round] = ww_ring(t, pq, QUERIES, QUERIES, ring_d, ring_r, true);
	all[WW_PB32][round] = ww_batch(t, pq, QUERIES, QUERIES);
	all[WW_A1][round] = ww_single(t, aq, QUERIES, 0);
	all[WW_ARING][round] = ww_ring(t, aq, QUERIES, 0, ring_d, ring_r, false);
	all[WW_AB32][round] = ww_batch(t, aq, QUERIES, 0);
	idx_bytes[0] = (double)ww_flowtab_index_bytes(t) / n;
	for (unsigned g = 0; grid && g < GRID_N; g++) {
		grid_p[g][round] = ww_ring(t, pq, QUERIES, QUERIES, grid_dr[g][0], grid_dr[g][1], true);
		grid_a[g][round] = ww_ring(t, aq, QUERIES, 0, grid_dr[g][0], grid_dr[g][1], false);
	}

	uint32_t ops = n < CHURN_OPS ? n : CHURN_OPS;
	t0 = now();
	for (uint32_t i = 0; i < ops; i++) {
		const struct ww_flowkey *v = &keys[(uint64_t)i * CHURN_STRIDE % n];
		struct ww_flow *f = ww_flowtab_lookup(t, v, ww_flowtab_hash(t, v));
		if (!f)
			die("churn victim not found (wirewho)");
		ww_flowtab_remove(t, f);
		keygen(CHURN_NEW_ID + i, &k);
		if (!ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)))
			die("churn insert failed (wirewho)");
	}
	all[WW_CHURN][round] = mops(ops, now() - t0);
	ww_flowtab_free(t);
}

/* ---- rte_hash ------------------------------------------------------------ */

static void run_rte(uint32_t n, const struct ww_flowkey *keys, const struct ww_flowkey *pq,
		    const struct ww_flowkey *aq, int round, uint64_t seed)
{
	struct rte_malloc_socket_stats s0, s1;
	char name[32];
	size_t pbytes;
	struct ww_flow *pool = pool_new(n, &pbytes);
	struct ww_flowkey k;
	double t0;

	snprintf(name, sizeof(name), "ft%d", round);
	struct rte_hash_parameters p = {
		.name = name,
		.entries = n,
		.key_len = sizeof(struct ww_flowkey),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = (uint32_t)seed,
		.socket_id = 0,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	rte_malloc_get_socket_stats(0, &s0);
	struct rte_hash *h = rte_hash_create(&p);
	if (!h)
		die("rte_hash_create failed (EAL memory: raise -m in bench_tables.sh)");
	rte_malloc_get_socket_stats(0, &s1);
	idx_bytes[1] = (double)(s1.heap_allocsz_bytes - s0.heap_allocsz_bytes) / n;

	t0 = now();
	for (uint32_t i = 0; i < n; i++) {
		record_init(&pool[i], &keys[i]);
		if (rte_hash_add_key_data(h, &keys[i], &pool[i]) != 0)
			die("rte_hash insert failed");
	}
	all[RTE_INS][round] = mops(n, now() - t0);

	const void *kp[BULK];
	void *data[BULK];
	int32_t pos[BULK];
	uint64_t hits, found = 0, acc = 0;

	t0 = now();
	for (uint32_t i = 0; i < QUERIES; i += BULK) {
		for (unsigned j = 0; j < BULK; j++)
			kp[j] = &pq[i + j];
		found += (uint64_t)rte_hash_lookup_bulk_data(h, kp, BULK, &hits, data);
		for (unsigned j = 0; j < BULK; j++)
			if (hits & (1ull << j))
				acc += touch(data[j]);
	}
	all[RTE_PB32][round] = mops(QUERIES, now() - t0);
	expect(found, QUERIES, "rte_hash present");

	found = 0;
	t0 = now();
	for (uint32_t i = 0; i < QUERIES; i += BULK) {
		for (unsigned j = 0; j < BULK; j++)
			kp[j] = &aq[i + j];
		rte_hash_lookup_bulk(h, kp, BULK, pos);
		for (unsigned j = 0; j < BULK; j++)
			found += pos[j] >= 0;
	}
	all[RTE_AB32][round] = mops(QUERIES, now() - t0);
	expect(found, 0, "rte_hash absent");

	uint32_t ops = n < CHURN_OPS ? n : CHURN_OPS;
	t0 = now();
	for (uint32_t i = 0; i < ops; i++) {
		const struct ww_flowkey *v = &keys[(uint64_t)i * CHURN_STRIDE % n];
		void *d;
		if (rte_hash_lookup_data(h, v, &d) < 0)
			die("churn victim not found (rte_hash)");
		rte_hash_del_key(h, v);
		keygen(CHURN_NEW_ID + i, &k);
		record_init(d, &k);
		if (rte_hash_add_key_data(h, &k, d) != 0)
			die("churn insert failed (rte_hash)");
	}
	all[RTE_CHURN][round] = mops(ops, now() - t0);
	sink += acc;
	rte_hash_free(h);
	munmap(pool, pbytes);
}

/* ---- absl::flat_hash_map ------------------------------------------------- */

static double absl_lookups(void *m, struct ww_flow *pool, const struct ww_flowkey *q, uint64_t want,
			   bool ahead)
{
	uint64_t found = 0, acc = 0;
	double t0 = now();
	for (uint32_t i = 0; i < QUERIES; i++) {
		if (ahead && i + ABSL_AHEAD < QUERIES)
			absl_map_prefetch(m, &q[i + ABSL_AHEAD]);
		uint32_t x = absl_map_find(m, &q[i]);
		if (x != UINT32_MAX) {
			found++;
			acc += touch(&pool[x]);
		}
	}
	double r = mops(QUERIES, now() - t0);
	sink += acc;
	expect(found, want, "absl");
	return r;
}

static void run_absl(uint32_t n, const struct ww_flowkey *keys, const struct ww_flowkey *pq,
		     const struct ww_flowkey *aq, int round)
{
	size_t pbytes;
	struct ww_flow *pool = pool_new(n, &pbytes);
	void *m = absl_map_new(n);
	struct ww_flowkey k;
	double t0;

	if (!m)
		die("out of memory (absl)");
	t0 = now();
	for (uint32_t i = 0; i < n; i++) {
		record_init(&pool[i], &keys[i]);
		if (absl_map_insert(m, &keys[i], i) != 0)
			die("absl insert failed");
	}
	all[AB_INS][round] = mops(n, now() - t0);
	all[AB_P1][round] = absl_lookups(m, pool, pq, QUERIES, false);
	all[AB_PPF][round] = absl_lookups(m, pool, pq, QUERIES, true);
	all[AB_A1][round] = absl_lookups(m, pool, aq, 0, false);
	all[AB_APF][round] = absl_lookups(m, pool, aq, 0, true);
	idx_bytes[2] = (double)absl_map_bytes(m) / n;

	uint32_t ops = n < CHURN_OPS ? n : CHURN_OPS;
	t0 = now();
	for (uint32_t i = 0; i < ops; i++) {
		const struct ww_flowkey *v = &keys[(uint64_t)i * CHURN_STRIDE % n];
		uint32_t x = absl_map_erase(m, v);
		if (x == UINT32_MAX)
			die("churn victim not found (absl)");
		keygen(CHURN_NEW_ID + i, &k);
		record_init(&pool[x], &k);
		if (absl_map_insert(m, &k, x) != 0)
			die("churn insert failed (absl)");
	}
	all[AB_CHURN][round] = mops(ops, now() - t0);
	absl_map_free(m);
	munmap(pool, pbytes);
}

/* ---- report -------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void bench_size(uint32_t n, int rounds)
{
	struct ww_flowkey *keys = malloc((size_t)n * sizeof(*keys));
	struct ww_flowkey *pq = malloc((size_t)QUERIES * sizeof(*pq));
	struct ww_flowkey *aq = malloc((size_t)QUERIES * sizeof(*aq));
	double med[M_COUNT];
	uint64_t rng = SEED ^ n;
	char la[64] = "?";
	FILE *f;

	if (!keys || !pq || !aq)
		die("out of memory (keys)");
	for (uint32_t i = 0; i < n; i++)
		keygen(i, &keys[i]);
	for (uint32_t i = 0; i < QUERIES; i++) {
		pq[i] = keys[(uint32_t)(((splitmix64(&rng) >> 32) * n) >> 32)];
		keygen(n + (uint32_t)(splitmix64(&rng) % (1u << 27)), &aq[i]);   /* ids >= n: absent */
	}
	for (int r = 0; r < rounds; r++) {
		uint64_t seed = SEED + (uint64_t)r;
		for (int j = 0; j < 3; j++) {
			switch ((r + j) % 3) {
			case 0: run_wirewho(n, keys, pq, aq, r, seed); break;
			case 1: run_rte(n, keys, pq, aq, r, seed); break;
			default: run_absl(n, keys, pq, aq, r); break;
			}
		}
	}
	for (int k = 0; k < M_COUNT; k++)
		med[k] = median(all[k], rounds);
	if ((f = fopen("/proc/loadavg", "r"))) {
		if (!fgets(la, sizeof(la), f))
			strcpy(la, "?");
		la[strcspn(la, "\n")] = 0;
		fclose(f);
	}

	printf("\n%" PRIu32 " flows: Mops/s, median of %d interleaved rounds (loadavg after: %s)\n", n, rounds, la);
	printf("  %-34s %8s   %-26s %8s  %s\n", "wirewho", "", "anchor", "", "ratio");
#define ROW(name, a, bname, b) \
	printf("  %-34s %8.1f   %-26s %8.1f  %5.2fx\n", name, med[a], bname, med[b], med[a] / med[b])
	char rn[64];
	snprintf(rn, sizeof(rn), "present, ring %u/%u", ring_d, ring_r);
	ROW("insert", WW_INS, "rte_hash add", RTE_INS);
	ROW("insert", WW_INS, "absl emplace", AB_INS);
	ROW("present, single", WW_P1, "absl find", AB_P1);
	ROW("present, batch 32", WW_PB32, "rte_hash bulk_data 32", RTE_PB32);
	ROW("present, batch 32", WW_PB32, "absl find+prefetch 8", AB_PPF);
	ROW(rn, WW_PRING, "rte_hash bulk_data 32", RTE_PB32);
	ROW(rn, WW_PRING, "absl find+prefetch 8", AB_PPF);
	snprintf(rn, sizeof(rn), "absent, ring %u/%u", ring_d, ring_r);
	ROW("absent, single", WW_A1, "absl find", AB_A1);
	ROW("absent, batch 32", WW_AB32, "rte_hash lookup_bulk 32", RTE_AB32);
	ROW("absent, batch 32", WW_AB32, "absl find+prefetch 8", AB_APF);
	ROW(rn, WW_ARING, "rte_hash lookup_bulk 32", RTE_AB32);
	ROW(rn, WW_ARING, "absl find+prefetch 8", AB_APF);
	ROW("churn", WW_CHURN, "rte_hash", RTE_CHURN);
	ROW("churn", WW_CHURN, "absl", AB_CHURN);
#undef ROW
	for (unsigned g = 0; grid && g < GRID_N; g++)
		printf("  ring %2u/%-2u  present %6.1f  absent %6.1f\n", grid_dr[g][0], grid_dr[g][1],
		       median(grid_p[g], rounds), median(grid_a[g], rounds));
	printf("  index bytes per flow (records apart, %zu B each): wirewho %.1f, rte_hash %.1f, absl %.1f\n",
	       sizeof(struct ww_flow), idx_bytes[0], idx_bytes[1], idx_bytes[2]);
	fflush(stdout);
	free(keys);
	free(pq);
	free(aq);
}

int main(int argc, char **argv)
{
	char prefix[32];
	/* Ordinary pages (no hugetlbfs), no devices, no files shared with other processes. */
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf", "--file-prefix", prefix,
			"--no-telemetry", "-l", "0", "-m", "4096", "--log-level", "lib.eal:error", NULL };
	int rounds = 7, opt;

	snprintf(prefix, sizeof(prefix), "wwbench%ld", (long)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		die("rte_eal_init failed");
	while ((opt = getopt(argc, argv, "gr:d:R:")) != -1) {
		int v = optarg ? atoi(optarg) : 0;
		if (opt == 'g')
			grid = true;
		else if (opt == 'r' && v >= 1 && v <= MAX_ROUNDS)
			rounds = v;
		else if (opt == 'd' && v >= 2 && v <= RING_MAX)
			ring_d = (unsigned)v;
		else if (opt == 'R' && v >= 1 && v <= RING_MAX)
			ring_r = (unsigned)v;
		else {
			fprintf(stderr, "usage: %s [-g] [-r ROUNDS (1..%d)] [-d RING_DEPTH] [-R RECORD_AHEAD] [FLOWS...]\n",
				argv[0], MAX_ROUNDS);
			return 2;
		}
	}
	if (ring_r >= ring_d)
		die("-R must be below -d");
	if (optind == argc) {
		bench_size(1000000, rounds);
		bench_size(10000000, rounds);
	}
	for (int i = optind; i < argc; i++) {
		unsigned long v = strtoul(argv[i], NULL, 10);
		if (v < BULK || v > 50000000ul)
			die("FLOWS must be 32..50000000");
		bench_size((uint32_t)v, rounds);
	}
	rte_eal_cleanup();
	return 0;
}
