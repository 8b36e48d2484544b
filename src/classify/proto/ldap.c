/*
 * ldap.c - LDAP (RFC 4511 §4.1.1) by its BER message envelope, over TCP and
 * connectionless LDAP over UDP (CLDAP, RFC 1798: Active Directory's DC
 * locator).
 *
 * LDAPMessage ::= SEQUENCE { messageID INTEGER (0 .. 2^31-1), protocolOp
 * CHOICE { [APPLICATION n] ... }, controls [0] OPTIONAL }. We check four
 * things, each a field: the SEQUENCE with a definite length (the protocol
 * forbids the indefinite form, §5.1), a non-negative INTEGER of 1-4 bytes,
 * an operation tag of §4.2-§4.14 whose length ends inside the message, and
 * the first field of that operation (bind: version 1-3; search: a base DN
 * then a scope 0-2; a result: an ENUMERATED result code then the matched
 * DN; extended: the [0] request name, an OID; unbind: empty). What follows
 * the operation can only be the controls ([0]). Over UDP the datagram is
 * exactly one message. The StartTLS extended request (OID
 * 1.3.6.1.4.1.1466.20037, §4.14) is LDAP like any other: the classifier
 * names the flow LDAP on it, and the TLS that follows is the upgrade, so
 * the port judge has nothing to say.
 */
#include "proto.h"

#define LDAP_TAG_SEQ 0x30
#define LDAP_TAG_INT 0x02
#define LDAP_TAG_OCT 0x04
#define LDAP_TAG_ENUM 0x0a
#define LDAP_TAG_CONTROLS 0xa0
#define LDAP_MAX_VERSION 3

/* How each operation's first field is checked. */
enum first { F_NONE, F_BIND, F_EMPTY, F_INT, F_DN, F_SEARCH, F_RESULT, F_DN_SEQ, F_DN_DN, F_EXT, F_ANY };

static enum first op_first(uint8_t tag)
{
	switch (tag) {
	case 0x60: return F_BIND;      /* BindRequest */
	case 0x42: return F_EMPTY;     /* UnbindRequest: NULL */
	case 0x50: return F_INT;       /* AbandonRequest: MessageID */
	case 0x4a: return F_DN;        /* DelRequest: LDAPDN, primitive */
	case 0x63: return F_SEARCH;    /* SearchRequest */
	case 0x61: case 0x65: case 0x67: case 0x69: case 0x6b: case 0x6d: case 0x6f: case 0x78:
		return F_RESULT;       /* BindResponse .. ExtendedResponse: LDAPResult first */
	case 0x64: case 0x66: case 0x68: case 0x6e:
		return F_DN_SEQ;       /* SearchResultEntry, Modify, Add, Compare: DN then SEQUENCE */
	case 0x6c: return F_DN_DN;     /* ModifyDNRequest: DN then RDN */
	case 0x73: return F_ANY;       /* SearchResultReference: URIs */
	case 0x77: return F_EXT;       /* ExtendedRequest: [0] requestName */
	case 0x79: return F_ANY;       /* IntermediateResponse: all optional */
	default: return F_NONE;
	}
}

/* An element of tag `want` at p[*i] within end; YES moves *i past it. */
static enum ww_det elem(const uint8_t *p, uint32_t n, uint32_t end, uint32_t *i, uint8_t want, uint32_t *clen)
{
	uint8_t tag;
	uint32_t len;
	enum ww_det r = ww_ber_hdr(p, n, i, &tag, &len);
	if (r != WW_DET_YES)
		return r;
	if (tag != want || *i > end || len > end - *i)
		return WW_DET_NO;
	*clen = len;
	return WW_DET_YES;
}

static enum ww_det check_first(const uint8_t *p, uint32_t n, uint32_t i, uint32_t end, uint8_t tag, uint32_t len)
{
	uint32_t cl;
	enum ww_det r;
	switch (op_first(tag)) {
	case F_EMPTY:
		return len == 0 ? WW_DET_YES : WW_DET_NO;
	case F_INT:
		return len >= 1 && len <= 4 ? WW_DET_YES : WW_DET_NO;
	case F_DN:
	case F_ANY:
		return WW_DET_YES;
	case F_BIND:
		if ((r = elem(p, n, end, &i, LDAP_TAG_INT, &cl)) != WW_DET_YES)
			return r;
		if (cl != 1)
			return WW_DET_NO;
		if (i >= n)
			return WW_DET_NEED;
		if (p[i] < 1 || p[i] > LDAP_MAX_VERSION)
			return WW_DET_NO;
		i++;
		return elem(p, n, end, &i, LDAP_TAG_OCT, &cl);   /* name */
	case F_SEARCH:
		if ((r = elem(p, n, end, &i, LDAP_TAG_OCT, &cl)) != WW_DET_YES)
			return r;
		i += cl;
		if ((r = elem(p, n, end, &i, LDAP_TAG_ENUM, &cl)) != WW_DET_YES)
			return r;
		if (cl != 1)
			return WW_DET_NO;
		if (i >= n)
			return WW_DET_NEED;
		return p[i] <= 2 ? WW_DET_YES : WW_DET_NO;        /* baseObject, singleLevel, wholeSubtree */
	case F_RESULT:
		if ((r = elem(p, n, end, &i, LDAP_TAG_ENUM, &cl)) != WW_DET_YES)
			return r;
		if (cl < 1 || cl > 2)
			return WW_DET_NO;
		i += cl;
		return elem(p, n, end, &i, LDAP_TAG_OCT, &cl);   /* matchedDN */
	case F_DN_SEQ:
	case F_DN_DN:
		if ((r = elem(p, n, end, &i, LDAP_TAG_OCT, &cl)) != WW_DET_YES)
			return r;
		i += cl;
		return elem(p, n, end, &i, op_first(tag) == F_DN_SEQ ? LDAP_TAG_SEQ : LDAP_TAG_OCT, &cl);
	case F_EXT:
		if ((r = elem(p, n, end, &i, 0x80, &cl)) != WW_DET_YES)
			return r;
		if (cl == 0)
			return WW_DET_NO;
		for (uint32_t k = 0; k < cl; k++) {               /* numericoid: digits and dots */
			if (i + k >= n)
				return WW_DET_NEED;
			if (!ww_is_digit(p[i + k]) && p[i + k] != '.')
				return WW_DET_NO;
		}
		return WW_DET_YES;
	case F_NONE:
		break;
	}
	return WW_DET_NO;
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool udp)
{
	uint32_t i = 0, len;
	uint8_t tag;
	enum ww_det r = ww_ber_hdr(p, n, &i, &tag, &len);
	if (r != WW_DET_YES)
		return udp && r == WW_DET_NEED ? WW_DET_NO : r;
	if (tag != LDAP_TAG_SEQ || len < 5)   /* the smallest message: an unbind, 02 01 id 42 00 */
		return WW_DET_NO;
	uint32_t end = i + len;
	if (udp && end != n)
		return WW_DET_NO;
	uint32_t idlen;
	if ((r = elem(p, n, end, &i, LDAP_TAG_INT, &idlen)) != WW_DET_YES)
		return r;
	if (idlen < 1 || idlen > 4)
		return WW_DET_NO;
	if (i >= n)
		return WW_DET_NEED;
	if (p[i] & 0x80)
		return WW_DET_NO;                 /* MessageID is non-negative */
	i += idlen;
	uint32_t op_len;
	if ((r = ww_ber_hdr(p, n, &i, &tag, &op_len)) != WW_DET_YES)
		return r;
	if (op_first(tag) == F_NONE || i > end || op_len > end - i)
		return WW_DET_NO;
	uint32_t op_end = i + op_len;
	if (op_end < end) {                       /* only the controls may follow */
		if (op_end >= n)
			return WW_DET_NEED;
		if (p[op_end] != LDAP_TAG_CONTROLS)
			return WW_DET_NO;
	}
	r = check_first(p, n, i, op_end, tag, op_len);
	return udp && r == WW_DET_NEED ? WW_DET_NO : r;
}

enum ww_det ww_detect_ldap(const struct ww_pview *v)
{
	bool udp = v->ipproto == WW_IPPROTO_UDP;
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], udp) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], udp) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
