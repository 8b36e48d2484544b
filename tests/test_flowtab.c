/*
 * test_flowtab.c - the flow hash table against a reference model.
 *
 * This file includes src/flow/flowtab.c with WW_TESTING defined, which compiles
 * in the table's test seam (failing allocations, a probe counter, a count of
 * live mappings) and lets the invariant checker read the chunk layout. The
 * table's public functions are then defined here, so the linker never pulls
 * flowtab.o out of the core library.
 *
 * Because the caller passes the hash, the randomised test also runs with a
 * deliberately terrible hash (a few home chunks, a few tag values): that
 * drives long overflow runs, wrap-around at the last chunk and many false
 * tag matches, which a good hash would almost never show in a small table.
 */
#define WW_TESTING 1
#include "../src/flow/flowtab.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	return splitmix64(s);
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((rng_next(s) >> 32) * n) >> 32);
}

/* A distinct, varied key per id: both families, VLANs, all protocols. */
static void key_of(uint32_t id, struct ww_flowkey *k)
{
	uint64_t s = id * 0x9e3779b97f4a7c15ull;
	uint64_t r = splitmix64(&s);
	uint8_t v4[4];

	memset(k, 0, sizeof(*k));
	k->family = (id & 3) ? 4 : 6;
	if (k->family == 4) {
		v4[0] = 10;
		v4[1] = (uint8_t)(id >> 16);
		v4[2] = (uint8_t)(id >> 8);
		v4[3] = (uint8_t)id;
		ww_addr_from_v4(&k->a, v4);
		v4[0] = 192;
		v4[1] = 0;
		v4[2] = 2;
		v4[3] = (uint8_t)(r >> 8);
		ww_addr_from_v4(&k->b, v4);
	} else {
		k->a.b[0] = 0x20;
		k->a.b[1] = 0x01;
		k->a.b[2] = 0x0d;
		k->a.b[3] = 0xb8;
		memcpy(k->a.b + 12, &id, sizeof(id));
		k->b = k->a;
		k->b.b[15] ^= (uint8_t)(r | 1);
	}
	/* id's top byte goes in the VLAN so keys stay distinct for any id. */
	k->vlan = (uint16_t)((id >> 24) & 0xfff);
	k->port_a = (uint16_t)(r >> 16);
	k->port_b = (uint16_t)(r >> 32);
	k->proto = (uint8_t[]){ WW_IPPROTO_TCP, WW_IPPROTO_UDP, WW_IPPROTO_ICMP, 47 }[(r >> 48) & 3];
}

enum hash_kind { GOOD_HASH, TERRIBLE_HASH };

static uint64_t hash_of(struct ww_flowtab *t, const struct ww_flowkey *k, uint32_t id, enum hash_kind kind)
{
	if (kind == GOOD_HASH)
		return ww_flowtab_hash(t, k);
	/* Three home chunks at most, two tag values: collisions everywhere. */
	return (uint64_t)(id % 3) | ((uint64_t)(id & 1) << 57) | ((uint64_t)id << 20);
}

/*
 * Everything the table promises, checked from its insides: tags match the
 * records' hashes, every index appears once and is marked displaced exactly
 * when it is not in its home chunk, the free list holds exactly the other
 * handed-out records, every chunk's overflow count equals the number of flows
 * stored past it on their probe path, and such a chunk is full.
 */
static void check_invariants(const struct ww_flowtab *t)
{
	uint32_t nchunks = t->chunk_mask + 1, occupied = 0, nfree = 0;
	uint32_t *expect = calloc(nchunks, sizeof(*expect));
	uint8_t *seen = calloc(t->max_flows, 1);

	assert_non_null(expect);
	assert_non_null(seen);
	assert_true(t->fresh <= t->max_flows);
	for (uint32_t i = 0; i < nchunks; i++) {
		const struct chunk *c = &t->chunks[i];
		for (unsigned s = 0; s < FT_SLOTS; s++) {
			if (c->tag[s] == FT_TAG_EMPTY)
				continue;
			uint32_t idx = c->idx[s] & t->idx_mask;
			assert_true(idx < t->fresh);
			assert_int_equal(seen[idx], 0);
			seen[idx] = 1;
			occupied++;
			uint64_t h = t->pool[idx].hash;
			assert_int_equal(c->tag[s], tag_of(h));
			assert_int_equal(c->idx[s] & t->filter_mask, filter_of(t, h));
			assert_int_equal(!!(c->idx[s] & FT_DISPLACED), ((uint32_t)h & t->chunk_mask) != i);
			for (uint32_t j = (uint32_t)h & t->chunk_mask; j != i; j = (j + 1) & t->chunk_mask)
				expect[j]++;
		}
	}
	assert_int_equal(occupied, t->count);
	for (uint32_t i = 0; i < nchunks; i++) {
		assert_int_equal(t->chunks[i].overflow, expect[i]);
		assert_int_equal(spilled(t, i), expect[i] != 0);
		/* What keeps churn from slowing lookups: flows only ever pass full chunks. */
		if (expect[i] > 0)
			assert_int_equal(match_empty(&t->chunks[i]), 0);
	}
	for (uint32_t idx = t->free_head; idx != WW_FLOWTAB_NONE; idx = (uint32_t)t->pool[idx].hash) {
		assert_true(idx < t->fresh);
		assert_int_equal(seen[idx], 0);
		seen[idx] = 2;
		nfree++;
	}
	assert_int_equal(nfree + t->count, t->fresh);
	free(expect);
	free(seen);
}

/* ---- the randomised test against a reference model ----------------------- */

/*
 * The model: for every key id of a small universe, the pool index it should
 * have (or NONE), plus the list of present ids for "evict an arbitrary
 * flow". Records carry their id in pkts[0], as an engine would write
 * counters, so a record handed out twice or clobbered shows.
 */
struct model {
	uint32_t universe, count;
	uint32_t *idx_of;     /* id -> pool index or NONE */
	uint32_t *present;    /* ids present, in any order */
	uint32_t *pos_of;     /* id -> position in present[] */
};

static void model_add(struct model *m, uint32_t id, uint32_t idx)
{
	m->idx_of[id] = idx;
	m->pos_of[id] = m->count;
	m->present[m->count++] = id;
}

static void model_del(struct model *m, uint32_t id)
{
	uint32_t last = m->present[--m->count];
	m->present[m->pos_of[id]] = last;
	m->pos_of[last] = m->pos_of[id];
	m->idx_of[id] = WW_FLOWTAB_NONE;
}

static void check_lookup(struct ww_flowtab *t, const struct model *m, uint32_t id, enum hash_kind kind)
{
	struct ww_flowkey k;
	key_of(id, &k);
	struct ww_flow *f = ww_flowtab_lookup(t, &k, hash_of(t, &k, id, kind));
	if (m->idx_of[id] == WW_FLOWTAB_NONE) {
		assert_null(f);
		return;
	}
	assert_ptr_equal(f, ww_flowtab_at(t, m->idx_of[id]));
	assert_int_equal(f->pkts[0], id);
	assert_memory_equal(&f->key, &k, sizeof(k));
}

static void run_model(uint32_t cap, uint32_t universe, uint64_t seed, uint32_t ops, enum hash_kind kind)
{
	struct ww_flowtab *t = ww_flowtab_new(cap, seed);
	struct model m = { .universe = universe };
	uint64_t rng = seed;

	assert_non_null(t);
	m.idx_of = malloc(universe * sizeof(uint32_t));
	m.present = malloc(universe * sizeof(uint32_t));
	m.pos_of = malloc(universe * sizeof(uint32_t));
	assert_true(m.idx_of && m.present && m.pos_of);
	for (uint32_t i = 0; i < universe; i++)
		m.idx_of[i] = WW_FLOWTAB_NONE;

	for (uint32_t op = 0; op < ops; op++) {
		/* Alternate phases that fill towards a full pool and drain towards empty. */
		bool filling = (op / 50000) % 2 == 0;
		uint32_t r = rng_below(&rng, 100), id = rng_below(&rng, universe);
		struct ww_flowkey k;
		key_of(id, &k);
		uint64_t h = hash_of(t, &k, id, kind);

		if (r < (filling ? 45u : 25u)) {                     /* insert */
			if (m.idx_of[id] != WW_FLOWTAB_NONE) {
				check_lookup(t, &m, id, kind);
			} else {
				struct ww_flow *f = ww_flowtab_insert(t, &k, h);
				if (m.count == cap) {
					assert_null(f);
				} else {
					assert_non_null(f);
					assert_int_equal(f->pkts[0], 0);
					assert_int_equal(f->hash, h);
					f->pkts[0] = id;
					model_add(&m, id, ww_flowtab_index(t, f));
				}
			}
		} else if (r < 75) {                                 /* lookup */
			check_lookup(t, &m, id, kind);
		} else if (r < 90) {                                 /* remove by key */
			struct ww_flow *f = ww_flowtab_lookup(t, &k, h);
			if (m.idx_of[id] == WW_FLOWTAB_NONE) {
				assert_null(f);
			} else {
				assert_ptr_equal(f, ww_flowtab_at(t, m.idx_of[id]));
				ww_flowtab_remove(t, f);
				model_del(&m, id);
			}
		} else if (m.count > 0) {                           /* evict an arbitrary flow */
			uint32_t victim = m.present[rng_below(&rng, m.count)];
			ww_flowtab_remove(t, ww_flowtab_at(t, m.idx_of[victim]));
			model_del(&m, victim);
			check_lookup(t, &m, victim, kind);
		}
		assert_int_equal(ww_flowtab_count(t), m.count);
		/* A full comparison costs a lookup per key of the universe: every op when that is small. */
		if (universe <= 100 || op % 4096 == 0 || op == ops - 1) {
			check_invariants(t);
			for (uint32_t i = 0; i < universe; i++)
				check_lookup(t, &m, i, kind);
		}
	}
	ww_flowtab_free(t);
	free(m.idx_of);
	free(m.present);
	free(m.pos_of);
}

/* 1344 flows fill 128 chunks to exactly 7/8, the highest load the table allows. */
#define MODEL_CAP      1344
#define MODEL_UNIVERSE 2000

static void test_a_million_random_operations_agree_with_the_model(void **state)
{
	(void)state;
	run_model(MODEL_CAP, MODEL_UNIVERSE, 20261126, 1000000, GOOD_HASH);
}

static void test_other_seeds_and_sizes_agree_with_the_model(void **state)
{
	(void)state;
	static const uint64_t seeds[] = { 1, 0xdeadbeef, 424242 };
	for (unsigned i = 0; i < WW_ARRAY_SIZE(seeds); i++)
		run_model(MODEL_CAP, MODEL_UNIVERSE, seeds[i], 200000, GOOD_HASH);
	run_model(10, 40, 7, 200000, GOOD_HASH);            /* a single chunk */
	run_model(5000, 6000, 8, 200000, GOOD_HASH);        /* a table not filled to 7/8 */
}

static void test_a_terrible_hash_still_agrees_with_the_model(void **state)
{
	(void)state;
	run_model(MODEL_CAP, MODEL_UNIVERSE, 99, 300000, TERRIBLE_HASH);
	run_model(10, 40, 100, 100000, TERRIBLE_HASH);
}

/* ---- churn does not degrade lookups --------------------------------------- */

struct probe_cost { double present, absent; };

static struct probe_cost measure_probes(struct ww_flowtab *t, const uint32_t *ids, uint32_t n,
					uint32_t absent_from)
{
	struct probe_cost pc;
	struct ww_flowkey k;
	const uint32_t absent_n = 20000;

	test_probes = 0;
	for (uint32_t i = 0; i < n; i++) {
		key_of(ids[i], &k);
		assert_non_null(ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k)));
	}
	pc.present = (double)test_probes / n;
	test_probes = 0;
	for (uint32_t i = 0; i < absent_n; i++) {
		key_of(absent_from + i, &k);
		assert_null(ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k)));
	}
	pc.absent = (double)test_probes / absent_n;
	return pc;
}

static void test_long_churn_at_full_load_does_not_slow_lookups(void **state)
{
	/* 4096 chunks at 7/8: the worst load the table accepts. */
	const uint32_t cap = 4096 * FT_SLOTS * FT_LOAD_NUM / FT_LOAD_DEN, rounds = 20;
	const uint32_t absent_from = 0x7000000;
	struct ww_flowtab *t = ww_flowtab_new(cap, 5), *fresh;
	uint32_t *ids = malloc(cap * sizeof(*ids)), next_id = 0;
	uint64_t rng = 11;
	struct ww_flowkey k;
	struct ww_flow *f;
	(void)state;

	assert_non_null(t);
	assert_non_null(ids);
	assert_int_equal(t->chunk_mask + 1, 4096);
	for (uint32_t i = 0; i < cap; i++) {
		ids[i] = next_id++;
		key_of(ids[i], &k);
		assert_non_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
	}
	struct probe_cost before = measure_probes(t, ids, cap, absent_from);

	/* Replace a random flow by a new one, rounds * cap times, always at 7/8 load. */
	for (uint32_t op = 0; op < rounds * cap; op++) {
		uint32_t j = rng_below(&rng, cap);
		key_of(ids[j], &k);
		f = ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k));
		assert_non_null(f);
		ww_flowtab_remove(t, f);
		ids[j] = next_id++;
		key_of(ids[j], &k);
		assert_non_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
	}
	check_invariants(t);
	struct probe_cost after = measure_probes(t, ids, cap, absent_from);

	/* The same flows inserted into a new table: what "not degraded" means. */
	fresh = ww_flowtab_new(cap, 5);
	assert_non_null(fresh);
	for (uint32_t i = 0; i < cap; i++) {
		key_of(ids[i], &k);
		assert_non_null(ww_flowtab_insert(fresh, &k, ww_flowtab_hash(fresh, &k)));
	}
	struct probe_cost rebuilt = measure_probes(fresh, ids, cap, absent_from);

	print_message("chunks probed per lookup (present/absent): before churn %.3f/%.3f, "
		      "after %u replacements %.3f/%.3f, rebuilt %.3f/%.3f\n",
		      before.present, before.absent, rounds * cap, after.present, after.absent,
		      rebuilt.present, rebuilt.absent);
	/* Same cost as the same flows freshly inserted; near the first fill's (other keys). */
	assert_true(after.present <= rebuilt.present * 1.05 + 0.01);
	assert_true(after.absent <= rebuilt.absent * 1.05 + 0.01);
	assert_true(after.present <= before.present * 1.25);
	assert_true(after.absent <= before.absent * 1.25);
	/* And in absolute terms, at the highest load the table allows. */
	assert_true(after.present < 1.5);
	assert_true(after.absent < 4.0);
	ww_flowtab_free(t);
	ww_flowtab_free(fresh);
	free(ids);
}

/* ---- the second filter ----------------------------------------------------- */

/*
 * An absent key must be ruled out from the chunk alone: a 7-bit tag lets 1
 * occupied slot in 128 through, and each such false match was a record
 * read (a DRAM miss in a big table). At the highest load the table
 * accepts, the hash bits kept in the slot entries must stop nearly all.
 */
static void test_absent_keys_at_full_load_read_almost_no_records(void **state)
{
	const uint32_t cap = 4096 * FT_SLOTS * FT_LOAD_NUM / FT_LOAD_DEN, absent_n = 200000;
	struct ww_flowtab *t = ww_flowtab_new(cap, 21);
	struct ww_flow *out[16];
	struct ww_flowkey k, ks[16];
	uint64_t hs[16];
	(void)state;

	assert_non_null(t);
	for (uint32_t i = 0; i < cap; i++) {
		key_of(i, &k);
		assert_non_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
	}
	test_record_reads = 0;
	for (uint32_t i = 0; i < absent_n; i++) {
		key_of(0x7000000 + i, &k);
		assert_null(ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k)));
	}
	uint64_t single = test_record_reads;
	test_record_reads = 0;
	for (uint32_t i = 0; i < absent_n; i += 16) {
		for (unsigned j = 0; j < 16; j++) {
			key_of(0x7000000 + i + j, &ks[j]);
			hs[j] = ww_flowtab_hash(t, &ks[j]);
		}
		ww_flowtab_lookup_batch(t, ks, hs, out, 16);
		for (unsigned j = 0; j < 16; j++)
			assert_null(out[j]);
	}
	uint64_t batch = test_record_reads;
	test_record_reads = 0;
	for (uint32_t i = 0; i < cap; i++) {
		key_of(i, &k);
		assert_non_null(ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k)));
	}
	print_message("records read per absent lookup: %.5f single, %.5f batch; per present lookup %.5f\n",
		      (double)single / absent_n, (double)batch / absent_n, (double)test_record_reads / cap);
	/* 7-bit tags alone: ~0.08 a lookup here; 15 more bits: ~3e-6. */
	assert_true(single <= absent_n / 1000);
	assert_true(batch <= absent_n / 1000);
	assert_true(test_record_reads <= cap + cap / 1000);
	ww_flowtab_free(t);
}

static void test_the_index_bits_hold_every_index_and_leave_the_rest_to_the_filter(void **state)
{
	static const uint32_t sizes[] = { 1, 2, 3, 4, 5, 1000000, 1u << 20, (1u << 20) + 1, 10000000,
					  1u << 30, (1u << 30) + 1, 1u << 31 };
	(void)state;
	for (unsigned i = 0; i < WW_ARRAY_SIZE(sizes); i++) {
		uint32_t m = idx_mask_for(sizes[i]);
		assert_true((m & (m + 1)) == 0);              /* low bits only */
		assert_true(m >= sizes[i] - 1);               /* every index fits */
		assert_true(m / 2 < sizes[i] - 1 || m == 1);  /* and no bit more */
		assert_int_equal(m & FT_DISPLACED, 0);
	}
	assert_int_equal(idx_mask_for(1000000), 0xfffff);   /* 11 filter bits at 1M flows */
	assert_int_equal(idx_mask_for(10000000), 0xffffff); /* 7 at 10M */
	assert_int_equal(idx_mask_for(1u << 31), FT_ENTRY_MASK);   /* none at the limit: tags alone */
}

/* ---- the pool ------------------------------------------------------------- */

static void test_a_full_pool_refuses_inserts_and_recovers_after_removes(void **state)
{
	const uint32_t cap = 100;
	struct ww_flowtab *t = ww_flowtab_new(cap, 3);
	struct ww_flow *flows[100];
	struct ww_flowkey k;
	(void)state;

	assert_non_null(t);
	assert_int_equal(ww_flowtab_capacity(t), cap);
	for (uint32_t i = 0; i < cap; i++) {
		key_of(i, &k);
		flows[i] = ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k));
		assert_non_null(flows[i]);
	}
	assert_int_equal(ww_flowtab_count(t), cap);
	key_of(cap, &k);
	assert_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
	assert_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
	assert_int_equal(ww_flowtab_count(t), cap);

	uint32_t freed = ww_flowtab_index(t, flows[42]);
	ww_flowtab_remove(t, flows[42]);
	assert_int_equal(ww_flowtab_count(t), cap - 1);
	struct ww_flow *f = ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k));
	assert_non_null(f);
	assert_int_equal(ww_flowtab_index(t, f), freed);
	assert_ptr_equal(ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k)), f);
	key_of(42, &k);
	assert_null(ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k)));

	/* Empty it completely and fill it again. */
	for (uint32_t i = 0; i < cap; i++) {
		key_of(i == 42 ? cap : i, &k);
		f = ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k));
		assert_non_null(f);
		ww_flowtab_remove(t, f);
	}
	assert_int_equal(ww_flowtab_count(t), 0);
	for (uint32_t i = 0; i < cap; i++) {
		key_of(1000 + i, &k);
		assert_non_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
	}
	check_invariants(t);
	ww_flowtab_free(t);
}

/* Clearing forgets every flow, with displaced ones and overflow counts, and
 * leaves a table that fills to capacity again and agrees with lookups. */
static void test_clear_empties_a_full_table_for_reuse(void **state)
{
	const uint32_t cap = 5000;
	struct ww_flowtab *t = ww_flowtab_new(cap, 11);
	struct ww_flowkey k;
	(void)state;

	for (int round = 0; round < 3; round++) {
		uint32_t base = (uint32_t)round * 100000;
		for (uint32_t i = 0; i < cap; i++) {
			key_of(base + i, &k);
			assert_non_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
		}
		assert_int_equal(ww_flowtab_count(t), cap);
		key_of(base + cap, &k);
		assert_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));   /* full */
		ww_flowtab_clear(t);
		assert_int_equal(ww_flowtab_count(t), 0);
		check_invariants(t);
		for (uint32_t i = 0; i < cap; i += 7) {
			key_of(base + i, &k);
			assert_null(ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k)));
		}
	}
	ww_flowtab_clear(t);   /* an empty table too */
	assert_int_equal(ww_flowtab_count(t), 0);
	ww_flowtab_free(t);
}

static void test_records_are_zeroed_on_insert_except_key_and_hash(void **state)
{
	struct ww_flowtab *t = ww_flowtab_new(4, 3);
	struct ww_flowkey k1, k2;
	struct ww_flow *f, *g;
	(void)state;

	key_of(1, &k1);
	key_of(2, &k2);
	f = ww_flowtab_insert(t, &k1, ww_flowtab_hash(t, &k1));
	assert_non_null(f);
	/* Dirty every byte but the key and hash, as an engine would, then recycle the record. */
	memset(f, 0xab, sizeof(*f));
	f->key = k1;
	f->hash = ww_flowtab_hash(t, &k1);
	ww_flowtab_remove(t, f);
	g = ww_flowtab_insert(t, &k2, ww_flowtab_hash(t, &k2));
	assert_ptr_equal(g, f);   /* the free list hands the same record back */
	struct ww_flow want;
	memset(&want, 0, sizeof(want));
	want.key = k2;
	want.hash = ww_flowtab_hash(t, &k2);
	assert_memory_equal(g, &want, sizeof(want));
	ww_flowtab_free(t);
}

/* Pages of [p, p + n) that are resident, counted with mincore(). */
static size_t resident_pages(const void *p, size_t n)
{
	const uintptr_t page = 4096;
	uintptr_t lo = (uintptr_t)p & ~(page - 1), hi = ((uintptr_t)p + n + page - 1) & ~(page - 1);
	size_t pages = (hi - lo) / page, in = 0;
	unsigned char *v = malloc(pages);
	assert_non_null(v);
	assert_int_equal(mincore((void *)lo, hi - lo, v), 0);
	for (size_t i = 0; i < pages; i++)
		in += v[i] & 1;
	free(v);
	return in;
}

static void test_populate_makes_the_index_and_the_records_asked_for_resident(void **state)
{
	/* 100k records: 16 MB of pool, huge pages or not, most of it far from record 0 */
	struct ww_flowtab *t = ww_flowtab_new(100000, 5);
	const size_t rec = sizeof(struct ww_flow);
	struct ww_flowkey k;
	(void)state;

	assert_non_null(t);
	assert_int_equal(ww_flowtab_used(t), 0);
	assert_int_equal(resident_pages(ww_flowtab_at(t, 60000), 1000 * rec), 0);
	int rc = ww_flowtab_populate(t, true, 60000, 61000);
	if (rc == -EINVAL) {
		skip();   /* a kernel before 5.14: nothing to test */
	}
	assert_int_equal(rc, 0);
	size_t want = (1000 * rec + 4095) / 4096;
	assert_true(resident_pages(ww_flowtab_at(t, 60000), 1000 * rec) >= want);
	assert_int_equal(resident_pages(t->chunks, t->chunks_bytes), t->chunks_bytes / 4096);
	/* Past the end is clipped, an empty range does nothing, and the table still works. */
	assert_int_equal(ww_flowtab_populate(t, false, 99990, UINT32_MAX), 0);
	assert_int_equal(ww_flowtab_populate(t, false, 7, 7), 0);
	key_of(1, &k);
	assert_non_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
	assert_int_equal(ww_flowtab_used(t), 1);
	assert_non_null(ww_flowtab_lookup(t, &k, ww_flowtab_hash(t, &k)));
	ww_flowtab_free(t);
}

static void test_index_and_pointer_convert_both_ways(void **state)
{
	const uint32_t cap = 1000;
	struct ww_flowtab *t = ww_flowtab_new(cap, 3);
	struct ww_flowkey k;
	(void)state;

	for (uint32_t i = 0; i < cap; i++) {
		key_of(i, &k);
		struct ww_flow *f = ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k));
		uint32_t idx = ww_flowtab_index(t, f);
		assert_true(idx < cap);
		assert_ptr_equal(ww_flowtab_at(t, idx), f);
	}
	for (uint32_t idx = 0; idx < cap; idx++)
		assert_int_equal(ww_flowtab_index(t, ww_flowtab_at(t, idx)), idx);
	assert_null(ww_flowtab_at(t, WW_FLOWTAB_NONE));
	assert_null(ww_flowtab_at(t, cap));
	assert_int_equal(ww_flowtab_index(t, NULL), WW_FLOWTAB_NONE);
	ww_flowtab_free(t);
}

/* ---- keys and hashing ------------------------------------------------------ */

static void test_keys_differing_in_any_single_byte_are_distinct_flows(void **state)
{
	struct ww_flowtab *t = ww_flowtab_new(1000, 9);
	struct ww_flowkey base, k[40 * 3];
	struct ww_flow *f[40 * 3], *fb;
	unsigned n = 0;
	(void)state;

	key_of(12345, &base);
	fb = ww_flowtab_insert(t, &base, ww_flowtab_hash(t, &base));
	assert_non_null(fb);
	for (unsigned byte = 0; byte < sizeof(base); byte++) {
		static const uint8_t flips[] = { 0x01, 0x80, 0xff };
		for (unsigned j = 0; j < sizeof(flips); j++, n++) {
			k[n] = base;
			((uint8_t *)&k[n])[byte] ^= flips[j];
			assert_null(ww_flowtab_lookup(t, &k[n], ww_flowtab_hash(t, &k[n])));
			f[n] = ww_flowtab_insert(t, &k[n], ww_flowtab_hash(t, &k[n]));
			assert_non_null(f[n]);
		}
	}
	assert_int_equal(ww_flowtab_count(t), n + 1);
	assert_ptr_equal(ww_flowtab_lookup(t, &base, ww_flowtab_hash(t, &base)), fb);
	for (unsigned i = 0; i < n; i++)
		assert_ptr_equal(ww_flowtab_lookup(t, &k[i], ww_flowtab_hash(t, &k[i])), f[i]);
	ww_flowtab_free(t);
}

static void test_family_vlan_and_port_order_each_make_a_different_flow(void **state)
{
	struct ww_flowtab *t = ww_flowtab_new(16, 9);
	struct ww_flowkey v4, v6, vlan, swapped;
	uint8_t ip[4] = { 192, 0, 2, 1 };
	(void)state;

	memset(&v4, 0, sizeof(v4));
	ww_addr_from_v4(&v4.a, ip);
	ip[3] = 2;
	ww_addr_from_v4(&v4.b, ip);
	v4.port_a = 1;
	v4.port_b = 2;
	v4.proto = WW_IPPROTO_TCP;
	v4.family = 4;
	v6 = v4;
	v6.family = 6;        /* ::ffff:192.0.2.1 seen as IPv6 is another flow */
	vlan = v4;
	vlan.vlan = 10;
	swapped = v4;
	swapped.port_a = 2;
	swapped.port_b = 1;
	const struct ww_flowkey *keys[] = { &v4, &v6, &vlan, &swapped };
	struct ww_flow *f[4];
	for (unsigned i = 0; i < 4; i++) {
		f[i] = ww_flowtab_insert(t, keys[i], ww_flowtab_hash(t, keys[i]));
		assert_non_null(f[i]);
	}
	for (unsigned i = 0; i < 4; i++)
		assert_ptr_equal(ww_flowtab_lookup(t, keys[i], ww_flowtab_hash(t, keys[i])), f[i]);
	ww_flowtab_free(t);
}

static void test_different_seeds_give_different_hashes(void **state)
{
	struct ww_flowtab *a = ww_flowtab_new(1, 1), *b = ww_flowtab_new(1, 2), *a2 = ww_flowtab_new(1, 1);
	struct ww_flowkey k;
	unsigned same = 0;
	(void)state;

	for (uint32_t i = 0; i < 10000; i++) {
		key_of(i, &k);
		uint64_t ha = ww_flowtab_hash(a, &k);
		assert_int_equal(ha, ww_flowtab_hash(a2, &k));   /* deterministic for one seed */
		same += ha == ww_flowtab_hash(b, &k);
	}
	assert_int_equal(same, 0);
	/* Over seeds, one key's home (low 16 bits) takes many values. */
	key_of(7, &k);
	uint8_t hit[65536 / 8] = { 0 };
	unsigned distinct = 0;
	for (uint64_t seed = 0; seed < 1000; seed++) {
		struct ww_flowtab *t = ww_flowtab_new(1, seed);
		uint16_t home = (uint16_t)ww_flowtab_hash(t, &k);
		if (!(hit[home / 8] & (1u << (home % 8)))) {
			hit[home / 8] |= (uint8_t)(1u << (home % 8));
			distinct++;
		}
		ww_flowtab_free(t);
	}
	assert_true(distinct > 980);
	ww_flowtab_free(a);
	ww_flowtab_free(b);
	ww_flowtab_free(a2);
}

static void test_keys_one_port_apart_spread_evenly_over_chunks(void **state)
{
	/* 120,000 keys that differ only in one port, 16,384 home chunks: about 7.3 each. */
	const uint32_t n = 120000, nchunks = 16384;
	struct ww_flowtab *t = ww_flowtab_new(1, 77);
	uint32_t *load = calloc(nchunks, sizeof(*load)), max = 0;
	struct ww_flowkey k;
	(void)state;

	key_of(1, &k);
	for (uint32_t i = 0; i < n; i++) {
		k.port_a = (uint16_t)i;
		k.vlan = (uint16_t)(i >> 16);
		uint32_t c = (uint32_t)ww_flowtab_hash(t, &k) & (nchunks - 1);
		if (++load[c] > max)
			max = load[c];
	}
	/* Poisson(7.3) exceeds 25 with probability ~1e-7 per chunk. */
	assert_true(max <= 25);
	free(load);
	ww_flowtab_free(t);
}

/* ---- batch lookup ------------------------------------------------------------ */

static void test_batch_lookup_agrees_with_single_lookups(void **state)
{
	const uint32_t cap = 3000, nq = 200;
	struct ww_flowtab *t = ww_flowtab_new(cap, 21);
	struct ww_flowkey keys[200];
	uint64_t hashes[200];
	struct ww_flow *out[200];
	uint64_t rng = 5;
	(void)state;

	for (uint32_t i = 0; i < cap; i += 2) {      /* even ids present, odd absent */
		struct ww_flowkey k;
		key_of(i, &k);
		assert_non_null(ww_flowtab_insert(t, &k, ww_flowtab_hash(t, &k)));
	}
	for (uint32_t i = 0; i < nq; i++) {
		key_of(rng_below(&rng, cap), &keys[i]);
		hashes[i] = ww_flowtab_hash(t, &keys[i]);
	}
	/* Every batch size from 0 to past two windows. */
	for (size_t n = 0; n <= 2 * FT_BATCH_WINDOW + 3; n++) {
		for (size_t i = 0; i < nq; i++)
			out[i] = (struct ww_flow *)&rng;   /* poison: must be overwritten */
		ww_flowtab_lookup_batch(t, keys, hashes, out, n);
		for (size_t i = 0; i < n; i++)
			assert_ptr_equal(out[i], ww_flowtab_lookup(t, &keys[i], hashes[i]));
		if (n < nq)
			assert_ptr_equal(out[n], (struct ww_flow *)&rng);

		/* Hashing inside: the same answers, and the hashes written (and no more). */
		uint64_t h2[200];
		for (size_t i = 0; i < nq; i++) {
			out[i] = (struct ww_flow *)&rng;
			h2[i] = 0x5a5a;
		}
		ww_flowtab_hash_lookup_batch(t, keys, h2, out, n);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(h2[i], hashes[i]);
			assert_ptr_equal(out[i], ww_flowtab_lookup(t, &keys[i], hashes[i]));
		}
		if (n < nq) {
			assert_ptr_equal(out[n], (struct ww_flow *)&rng);
			assert_int_equal(h2[n], 0x5a5a);
		}
	}
	/* Prefetch hints read the table (never past it) and change nothing. */
	for (size_t i = 0; i < nq; i++) {
		ww_flowtab_prefetch(t, hashes[i]);
		ww_flowtab_prefetch_record(t, hashes[i]);
	}
	ww_flowtab_lookup_batch(t, keys, hashes, out, nq);
	unsigned found = 0;
	for (size_t i = 0; i < nq; i++) {
		assert_ptr_equal(out[i], ww_flowtab_lookup(t, &keys[i], hashes[i]));
		found += out[i] != NULL;
	}
	assert_true(found > 0 && found < nq);
	ww_flowtab_free(t);
}

/* ---- construction ------------------------------------------------------------ */

static void test_new_refuses_zero_and_absurd_sizes(void **state)
{
	(void)state;
	assert_null(ww_flowtab_new(0, 1));
	assert_null(ww_flowtab_new((1u << 31) + 1, 1));
	assert_null(ww_flowtab_new(UINT32_MAX, 1));
	ww_flowtab_free(NULL);
}

static void test_capacity_keeps_load_at_most_seven_eighths(void **state)
{
	static const uint32_t sizes[] = { 1, 10, 11, 1344, 1345, 100000, 1000000 };
	(void)state;
	for (unsigned i = 0; i < WW_ARRAY_SIZE(sizes); i++) {
		struct ww_flowtab *t = ww_flowtab_new(sizes[i], 1);
		uint64_t slots = (uint64_t)(t->chunk_mask + 1) * FT_SLOTS;
		assert_true((uint64_t)sizes[i] * FT_LOAD_DEN <= slots * FT_LOAD_NUM);
		/* ...and the next smaller power of two would not have done. */
		assert_true(t->chunk_mask == 0 || (uint64_t)sizes[i] * FT_LOAD_DEN > slots / 2 * FT_LOAD_NUM);
		assert_int_equal(ww_flowtab_capacity(t), sizes[i]);
		assert_int_equal(ww_flowtab_count(t), 0);
		ww_flowtab_free(t);
	}
}

static void test_new_returns_null_and_leaks_nothing_when_allocation_fails(void **state)
{
	(void)state;
	long maps_before = test_live_maps;   /* a failed test may have left tables behind */

	/* new() makes four allocations: the handle, the chunks, the spill bitmap, the pool. */
	for (long ok = 0; ok < 4; ok++) {
		test_allocs_left = ok;
		assert_null(ww_flowtab_new(1000, 1));
		assert_int_equal(test_live_maps, maps_before);   /* LSan checks the calloc'd handle */
	}
	test_allocs_left = 4;
	struct ww_flowtab *t = ww_flowtab_new(1000, 1);
	test_allocs_left = -1;
	assert_non_null(t);
	assert_int_equal(test_live_maps, maps_before + 3);
	ww_flowtab_free(t);
	assert_int_equal(test_live_maps, maps_before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_million_random_operations_agree_with_the_model),
		cmocka_unit_test(test_other_seeds_and_sizes_agree_with_the_model),
		cmocka_unit_test(test_a_terrible_hash_still_agrees_with_the_model),
		cmocka_unit_test(test_long_churn_at_full_load_does_not_slow_lookups),
		cmocka_unit_test(test_absent_keys_at_full_load_read_almost_no_records),
		cmocka_unit_test(test_the_index_bits_hold_every_index_and_leave_the_rest_to_the_filter),
		cmocka_unit_test(test_a_full_pool_refuses_inserts_and_recovers_after_removes),
		cmocka_unit_test(test_clear_empties_a_full_table_for_reuse),
		cmocka_unit_test(test_records_are_zeroed_on_insert_except_key_and_hash),
		cmocka_unit_test(test_index_and_pointer_convert_both_ways),
		cmocka_unit_test(test_keys_differing_in_any_single_byte_are_distinct_flows),
		cmocka_unit_test(test_family_vlan_and_port_order_each_make_a_different_flow),
		cmocka_unit_test(test_different_seeds_give_different_hashes),
		cmocka_unit_test(test_keys_one_port_apart_spread_evenly_over_chunks),
		cmocka_unit_test(test_batch_lookup_agrees_with_single_lookups),
		cmocka_unit_test(test_new_refuses_zero_and_absurd_sizes),
		cmocka_unit_test(test_populate_makes_the_index_and_the_records_asked_for_resident),
		cmocka_unit_test(test_capacity_keeps_load_at_most_seven_eighths),
		cmocka_unit_test(test_new_returns_null_and_leaks_nothing_when_allocation_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
