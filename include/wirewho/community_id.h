/*
 * community_id.h - Community ID v1 flow hashes (seed 0 by default).
 *
 * The Community ID (corelight/community-id-spec) lets an analyst pivot from
 * a wirewho flow to the same flow in Zeek, Suricata or Wireshark: base64 of
 * SHA-1 over seed, the ordered endpoints, protocol and ports.
 */
#ifndef WIREWHO_COMMUNITY_ID_H
#define WIREWHO_COMMUNITY_ID_H

#include "wirewho/flow.h"

#define WW_COMMUNITY_ID_LEN 31   /* "1:" + 28 base64 chars + NUL */

/*
 * Community ID of a raw tuple. For ICMP/ICMPv6 pass the message type as
 * `sport` and code as `dport`: the spec's type/counter-type mapping is
 * applied here. `family` is 4 or 6. Writes a NUL-terminated string to
 * `out`. This function can't fail.
 */
void ww_community_id_tuple(uint16_t seed, int family, const struct ww_addr *src,
			   const struct ww_addr *dst, uint8_t proto, bool has_ports,
			   uint16_t sport, uint16_t dport, char out[WW_COMMUNITY_ID_LEN]);

/* Community ID of a flow, seed 0. This function can't fail. */
void ww_community_id_flow(const struct ww_flow *f, char out[WW_COMMUNITY_ID_LEN]);

/*
 * Switch the SHA-1 code to `impl`: "sha-ni" (the x86 SHA extensions) or
 * "portable"; the default is the first where the CPU has it. For tests and
 * benchmarks: call it before any thread starts. Returns false when this
 * CPU or build lacks the named one.
 */
bool ww_community_id_select(const char *impl);

#endif
