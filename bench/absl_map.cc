// absl_map.cc - absl::flat_hash_map behind a C interface, for bench_tables.c
// only (the product stays C; bench_tables.sh compiles this file with c++).
//
// The anchor as an engineer would reach for it: a flat_hash_map from the
// same 40-byte flow key to a uint32 index into a record pool the caller
// owns (absl's slots hold key and index, 44 bytes, so the records never
// move), hashed by absl's own hash over the key's bytes. Lookups are one at
// a time (absl has no bulk lookup) or with absl's prefetch() a few keys
// ahead, the nearest it has to batching.
#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include <cstdint>
#include <cstring>

namespace {

struct Key {
	unsigned char b[40];
	bool operator==(const Key &o) const { return std::memcmp(b, o.b, sizeof(b)) == 0; }
	template <typename H> friend H AbslHashValue(H h, const Key &k)
	{
		return H::combine_contiguous(std::move(h), k.b, sizeof(k.b));
	}
};

using Map = absl::flat_hash_map<Key, uint32_t>;

inline const Key &as_key(const void *p) { return *static_cast<const Key *>(p); }

} // namespace

extern "C" {

void *absl_map_new(uint32_t reserve)
{
	Map *m = new (std::nothrow) Map();
	if (m)
		m->reserve(reserve);
	return m;
}

void absl_map_free(void *m) { delete static_cast<Map *>(m); }

int absl_map_insert(void *m, const void *key, uint32_t idx)
{
	return static_cast<Map *>(m)->emplace(as_key(key), idx).second ? 0 : -1;
}

// The index of key, or UINT32_MAX.
uint32_t absl_map_find(void *m, const void *key)
{
	Map *map = static_cast<Map *>(m);
	auto it = map->find(as_key(key));
	return it == map->end() ? UINT32_MAX : it->second;
}

void absl_map_prefetch(void *m, const void *key) { static_cast<Map *>(m)->prefetch(as_key(key)); }

// Remove key and return its index, or UINT32_MAX.
uint32_t absl_map_erase(void *m, const void *key)
{
	Map *map = static_cast<Map *>(m);
	auto it = map->find(as_key(key));
	if (it == map->end())
		return UINT32_MAX;
	uint32_t v = it->second;
	map->erase(it);
	return v;
}

// Bytes of the index: capacity slots of key + index, one control byte each.
uint64_t absl_map_bytes(void *m)
{
	Map *map = static_cast<Map *>(m);
	return (uint64_t)map->bucket_count() * (sizeof(Map::value_type) + 1);
}

} // extern "C"
