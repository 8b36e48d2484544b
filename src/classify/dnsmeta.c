/*
 * dnsmeta.c - the first DNS query of a flow and its answer (RFC 1035
 * §4.1; mDNS, RFC 6762, has the same wire format): the name asked, its
 * type, the response code and the answers as text (A and AAAA as
 * addresses, CNAME, PTR, NS and MX as names).
 *
 * Hostile messages are bounded: a name is read through at most
 * DNS_MAX_JUMPS compression pointers, each pointing strictly before the
 * label that holds it (a loop can't close), and to at most 255 bytes of
 * text; at most DNS_MAX_RRS records are walked and WW_DNSMETA_ANSWERS
 * kept; an answer's text is cut to WW_DNSMETA_ANSWER_MAX. Label bytes are
 * kept raw (NULs, dots inside a label, invalid UTF-8): the writers escape.
 * A response is taken as the query's answer when its id matches, or when
 * no query was seen (a capture that began with the answer: its question
 * then names the query).
 */
#include <errno.h>
#include <arpa/inet.h>

#include "wirewho/meta.h"

#define DNS_MAX_JUMPS 16   /* compression pointers followed in one name */
#define DNS_MAX_RRS   32   /* answer records walked */
#define DNS_NAME_TEXT 255  /* a name as text (RFC 1035 §2.3.4: 255 octets on the wire) */

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/*
 * Read the name at m[off] into out (cap bytes, no NUL); returns its text
 * length, or -1 when malformed. *next is the offset after the name where
 * it started (after its first pointer, if any). (meta.h; pdns.c reads
 * answers with it too.)
 */
int ww_dnsmeta_name(const uint8_t *m, uint32_t n, uint32_t off, char *out, uint32_t cap, uint32_t *next, bool *cut)
{
	uint32_t o = 0, jumps = 0, lim = off;   /* a pointer must go before `lim` */
	bool jumped = false;
	*cut = false;
	for (;;) {
		if (off >= n)
			return -1;
		uint8_t l = m[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= n || ++jumps > DNS_MAX_JUMPS)
				return -1;
			uint32_t to = (uint32_t)(l & 0x3f) << 8 | m[off + 1];
			if (!jumped)
				*next = off + 2;
			jumped = true;
			if (to >= lim)
				return -1;   /* forward or to itself: a loop */
			lim = to;
			off = to;
			continue;
		}
		if (l & 0xc0)
			return -1;   /* the extended label types (0x40, 0x80) are obsolete */
		if (l == 0) {
			if (!jumped)
				*next = off + 1;
			if (o == 0 && cap)
				out[o++] = '.';   /* the root */
			return (int)o;
		}
		if (off + 1 + l > n)
			return -1;
		if (o) {
			if (o < cap)
				out[o++] = '.';
			else
				*cut = true;
		}
		for (uint32_t k = 0; k < l; k++) {
			if (o < cap)
				out[o++] = (char)m[off + 1 + k];
			else
				*cut = true;
		}
		off += 1u + l;
		if (!jumped)
			lim = off;   /* later pointers may point anywhere before here */
	}
}

static const struct { uint16_t t; const char *name; } types[] = {
	{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 13, "HINFO" }, { 15, "MX" },
	{ 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" }, { 35, "NAPTR" }, { 41, "OPT" }, { 43, "DS" },
	{ 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" },
	{ 252, "AXFR" }, { 255, "ANY" }, { 257, "CAA" },
};

const char *ww_dnsmeta_type_name(uint16_t t)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].t == t)
			return types[i].name;
	return NULL;
}

const char *ww_dnsmeta_rcode_name(uint8_t rc)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					     "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : NULL;
}

static void add_answer(struct ww_dns_meta *d, const char *s, uint32_t l)
{
	if (d->nanswers >= WW_DNSMETA_ANSWERS)
		return;
	if (l > WW_DNSMETA_ANSWER_MAX)
		l = WW_DNSMETA_ANSWER_MAX;
	memcpy(d->answers[d->nanswers], s, l);
	d->answer_len[d->nanswers++] = (uint8_t)l;
}

int ww_dnsmeta_message(struct ww_dns_meta *d, const uint8_t *p, uint32_t n, bool tcp)
{
	if (tcp) {   /* RFC 1035 §4.2.2: a 2-byte length first */
		if (n < 2)
			return -EINVAL;
		uint32_t l = be16(p);
		p += 2;
		n = l < n - 2 ? l : n - 2;
	}
	if (n < 12)
		return -EINVAL;
	uint16_t id = be16(p), flags = be16(p + 2), qd = be16(p + 4), an = be16(p + 6);
	bool response = flags & 0x8000;
	if (response && (d->have_answer || (d->have_query && id != d->id)))
		return -EINVAL;
	if (!response && d->have_query)
		return 0;
	uint32_t off = 12, next = 0;
	char name[DNS_NAME_TEXT];
	bool cut;
	if (qd) {
		int l = ww_dnsmeta_name(p, n, off, name, sizeof(name), &next, &cut);
		if (l < 0 || next + 4 > n)
			return -EINVAL;
		if (!d->have_query) {
			memcpy(d->query.s, name, (size_t)l);
			d->query.len = (uint16_t)l;
			d->query.cut = cut;
			d->query.set = 1;
			d->qtype = be16(p + next);
			d->id = id;
			d->have_query = 1;
		}
		off = next + 4;
		for (uint32_t q = 1; q < qd && q < DNS_MAX_RRS; q++) {   /* mDNS asks several */
			if (ww_dnsmeta_name(p, n, off, name, sizeof(name), &next, &cut) < 0 || next + 4 > n)
				return response ? -EINVAL : 0;
			off = next + 4;
		}
	}
	if (!response)
		return 0;
	d->rcode = (uint8_t)(flags & 0x0f);
	d->have_answer = 1;
	for (uint32_t r = 0; r < an && r < DNS_MAX_RRS; r++) {
		if (ww_dnsmeta_name(p, n, off, name, sizeof(name), &next, &cut) < 0 || next + 10 > n)
			break;
		uint16_t type = be16(p + next);
		uint32_t rdl = be16(p + next + 8), rd = next + 10;
		if (rd + rdl > n)
			break;
		char txt[INET6_ADDRSTRLEN];
		if (type == 1 && rdl == 4 && inet_ntop(AF_INET, p + rd, txt, sizeof(txt))) {
			add_answer(d, txt, (uint32_t)strlen(txt));
		} else if (type == 28 && rdl == 16 && inet_ntop(AF_INET6, p + rd, txt, sizeof(txt))) {
			add_answer(d, txt, (uint32_t)strlen(txt));
		} else if (type == 5 || type == 12 || type == 2 || (type == 15 && rdl > 2)) {
			uint32_t at = type == 15 ? rd + 2 : rd, nx;
			int l = ww_dnsmeta_name(p, rd + rdl, at, name, sizeof(name), &nx, &cut);
			if (l > 0)
				add_answer(d, name, (uint32_t)l);
		}
		off = rd + rdl;
	}
	return 0;
}
