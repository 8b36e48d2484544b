/*
 * mqtt.c - MQTT 3.1, 3.1.1 and 5.0 by the client's CONNECT and the
 * broker's CONNACK.
 *
 * The client speaks first (MQTT 3.1.1 §3.1; 5.0 §3.1): fixed header 0x10
 * (CONNECT, flags 0), the remaining length as a 1-4 byte varint (§2.2.3),
 * then the protocol name as a length-prefixed string, "MQTT" with level 4
 * (3.1.1) or 5 (5.0), or "MQIsdp" with level 3 (3.1), the connect flags
 * with the reserved bit 0 clear and will QoS/retain clear without the will
 * flag (§3.1.2.3, .6, .7) and QoS below 3, then the keep-alive. That is
 * proof. The broker's CONNACK (0x20, remaining length 2 for 3.x, flags
 * 0 or 1, return code 0-5; for 5.0 a reason code 0 or 0x80-0x9f) alone is
 * four bytes: WEAK, for a capture that missed the CONNECT.
 */
#include "proto.h"

#define MQTT_CONNECT 0x10
#define MQTT_CONNACK 0x20

/* The remaining-length varint at p[*i]: YES with *v, NEED when cut, NO when longer than 4. */
static enum ww_det varint(const uint8_t *p, uint32_t n, uint32_t *i, uint32_t *v)
{
	uint32_t x = 0;
	for (int k = 0; k < 4; k++) {
		if (*i >= n)
			return WW_DET_NEED;
		uint8_t b = p[(*i)++];
		x |= (uint32_t)(b & 0x7f) << (7 * k);
		if (!(b & 0x80)) {
			*v = x;
			return WW_DET_YES;
		}
	}
	return WW_DET_NO;
}

static enum ww_det connect_pkt(const uint8_t *p, uint32_t n)
{
	if (p[0] != MQTT_CONNECT)
		return WW_DET_NO;
	uint32_t i = 1, rl;
	enum ww_det r = varint(p, n, &i, &rl);
	if (r != WW_DET_YES)
		return r;
	if (rl < 10)    /* name (2+4) + level + flags + keep-alive (2) */
		return WW_DET_NO;
	if (i + 2 > n)
		return WW_DET_NEED;
	uint32_t nl = ww_be16(p + i);
	i += 2;
	uint8_t want_level;
	if (nl == 4)
		want_level = 4;
	else if (nl == 6)
		want_level = 3;
	else
		return WW_DET_NO;
	const char *name = nl == 4 ? "MQTT" : "MQIsdp";
	for (uint32_t k = 0; k < nl; k++) {
		if (i + k >= n)
			return WW_DET_NEED;
		if (p[i + k] != (uint8_t)name[k])
			return WW_DET_NO;
	}
	i += nl;
	if (i + 2 > n)
		return WW_DET_NEED;
	uint8_t level = p[i], flags = p[i + 1];
	if (level != want_level && !(want_level == 4 && level == 5))
		return WW_DET_NO;
	if (flags & 0x01)                      /* reserved */
		return WW_DET_NO;
	if (((flags >> 3) & 3) == 3)            /* will QoS 3 */
		return WW_DET_NO;
	if (!(flags & 0x04) && (flags & 0x38))  /* will QoS or retain without a will */
		return WW_DET_NO;
	return i + 4 <= n ? WW_DET_YES : WW_DET_NEED;
}

static enum ww_det connack_pkt(const uint8_t *p, uint32_t n)
{
	if (p[0] != MQTT_CONNACK)
		return WW_DET_NO;
	uint32_t i = 1, rl;
	enum ww_det r = varint(p, n, &i, &rl);
	if (r != WW_DET_YES)
		return r;
	if (rl < 2 || i + 2 > n)
		return rl < 2 ? WW_DET_NO : WW_DET_NEED;
	uint8_t fl = p[i], rc = p[i + 1];
	if (fl > 1)
		return WW_DET_NO;
	if (rl == 2 && rc <= 5)
		return WW_DET_WEAK;
	return (rc == 0 || (rc >= 0x80 && rc <= 0x9f)) ? WW_DET_WEAK : WW_DET_NO;
}

enum ww_det ww_detect_mqtt(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? connect_pkt(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? connack_pkt(v->d[1], v->n[1]) : WW_DET_NEED;
	if (a == WW_DET_NO)
		return WW_DET_NO;   /* the client's first packet is the CONNECT */
	return ww_det_merge(a, b);
}
