/*
 * xmpp.c - XMPP (RFC 6120 §4.7, §11.2) by the opening stream header.
 *
 * Each side of an XMPP connection opens with a stream header: an optional
 * XML declaration ("<?xml version='1.0'?>", §11.5), then the element
 * <stream:stream ...> whose namespace is http://etherx.jabber.org/streams
 * (§4.8.1: the "stream" prefix is what every implementation uses), with a
 * default namespace of jabber:client or jabber:server. The proof is the
 * element name AND the stream namespace inside its start tag: two fields
 * no other protocol writes. STARTTLS (<starttls xmlns=
 * 'urn:ietf:params:xml:ns:xmpp-tls'/>, §5.4) comes after the header, so a
 * flow that upgrades is XMPP here, and its TLS the expected upgrade.
 */
#include "proto.h"

#define XMPP_HDR_MAX 1024   /* the XML declaration and the stream start tag: a few hundred bytes */

static const char stream_el[] = "<stream:stream";
static const char stream_ns[] = "http://etherx.jabber.org/streams";

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Whether p[0..n) starts like `lit` (a prefix of it, or all of it). */
static enum ww_det lit_at(const uint8_t *p, uint32_t n, const char *lit, uint32_t l)
{
	for (uint32_t k = 0; k < l; k++) {
		if (k >= n)
			return WW_DET_NEED;
		if (p[k] != (uint8_t)lit[k])
			return WW_DET_NO;
	}
	return WW_DET_YES;
}

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	uint32_t lim = n < XMPP_HDR_MAX ? n : XMPP_HDR_MAX, i = 0;
	while (i < lim && is_ws(p[i]))
		i++;
	if (i + 1 < lim && p[i] == '<' && p[i + 1] == '?') {   /* the XML declaration */
		enum ww_det r = lit_at(p + i, lim - i, "<?xml", 5);
		if (r != WW_DET_YES)
			return r == WW_DET_NEED && lim < XMPP_HDR_MAX ? WW_DET_NEED : WW_DET_NO;
		while (i + 1 < lim && !(p[i] == '?' && p[i + 1] == '>'))
			i++;
		if (i + 1 >= lim)
			return lim < XMPP_HDR_MAX ? WW_DET_NEED : WW_DET_NO;
		i += 2;
		while (i < lim && is_ws(p[i]))
			i++;
	}
	enum ww_det r = lit_at(p + i, lim - i, stream_el, sizeof(stream_el) - 1);
	if (r != WW_DET_YES)
		return r == WW_DET_NEED && lim < XMPP_HDR_MAX ? WW_DET_NEED : WW_DET_NO;
	i += sizeof(stream_el) - 1;
	if (i >= lim)
		return lim < XMPP_HDR_MAX ? WW_DET_NEED : WW_DET_NO;
	if (!is_ws(p[i]) && p[i] != '>')
		return WW_DET_NO;
	/* the stream namespace inside the start tag */
	const uint32_t nl = sizeof(stream_ns) - 1;
	for (; i < lim && p[i] != '>'; i++)
		if (i + nl <= lim && memcmp(p + i, stream_ns, nl) == 0)
			return WW_DET_YES;
	return i < lim || lim >= XMPP_HDR_MAX ? WW_DET_NO : WW_DET_NEED;
}

enum ww_det ww_detect_xmpp(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
