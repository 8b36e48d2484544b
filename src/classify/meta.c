/*
 * meta.c - a flow's metadata object (meta.h): made when the classifier
 * proves a protocol whose messages name the other end, completed by the
 * other side's first messages after the answer settled, and asked for the
 * server end's name.
 *
 * Packing: each parser fills its fixed struct (ww_tls_meta, ww_http_meta,
 * ...) on this file's stack, and what it found is appended to the object
 * as tagged values of their own length; the fixed structs, 0.5-1 KB each,
 * never live on the heap. The object grows by realloc() when a later
 * packet adds values (the ServerHello's JA3S, the DNS answers), a few
 * times per flow at most.
 *
 * Cost: the object exists only for flows of TLS, HTTP, DNS/mDNS and SSH
 * whose first bytes parsed (and flows passive DNS named); every other flow
 * keeps a NULL pointer. After the classifier's state is freed the pipeline
 * offers the flow's next payload packets only while ww_meta_wants() says
 * so, and at most META_FEEDS_MAX of them: a response that does not come in
 * the first few packets is not waited for.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include <stdatomic.h>

#include "wirewho/meta.h"

#define META_FEEDS_MAX 4    /* the other side's packets offered after settling: the answer is in the first one or two */
#define META_OTHERS_MAX 16  /* the asking side's packets meanwhile, before giving up */

/* Set on the analysis thread, read there (and at the end): a plain flag,
 * atomic only so that a reader elsewhere is never a data race. */
static _Atomic bool meta_oom;

static void *oom_if_null(void *p)
{
	if (!p)
		atomic_store_explicit(&meta_oom, true, memory_order_relaxed);
	return p;
}

bool ww_meta_out_of_memory(void)
{
	return atomic_load_explicit(&meta_oom, memory_order_relaxed);
}

/* A parser's -ENOMEM (libcrypto's memory) is a value lost: the flag. */
static int oom_if_enomem(int rc)
{
	if (rc == -ENOMEM)
		atomic_store_explicit(&meta_oom, true, memory_order_relaxed);
	return rc;
}

int ww_meta_prepare(void)
{
	if (oom_if_enomem(ww_tlsmeta_prepare()) != 0 || oom_if_enomem(ww_quic_prepare()) != 0)
		return -ENOMEM;
	return 0;
}

struct ww_meta *ww_meta_new(enum ww_meta_kind kind)
{
	struct ww_meta *m = oom_if_null(calloc(1, sizeof(*m)));
	if (m)
		m->kind = (uint8_t)kind;
	return m;
}

void ww_meta_free(struct ww_meta *m)
{
	free(m);
}

int ww_meta_add(struct ww_meta **mp, unsigned tag, const void *val, size_t len)
{
	struct ww_meta *m = *mp;
	size_t have = m ? m->len : 0;
	if (len > WW_META_DATA_MAX || have + 3 + len > WW_META_DATA_MAX)
		return -E2BIG;
	m = oom_if_null(realloc(m, sizeof(*m) + have + 3 + len));
	if (!m)
		return -ENOMEM;   /* *mp is as it was */
	if (!*mp)
		memset(m, 0, sizeof(*m));
	uint8_t *p = m->data + have;
	uint16_t l = (uint16_t)len;
	p[0] = (uint8_t)tag;
	memcpy(p + 1, &l, 2);
	if (len)
		memcpy(p + 3, val, len);
	m->len = (uint16_t)(have + 3 + len);
	*mp = m;
	return 0;
}

/*
 * Building: values are appended to a scratch object on the stack, as large
 * as an object can be, and the heap object is allocated (or grown) once at
 * the end: a hello or a request adds four or five values, each a realloc()
 * otherwise.
 */
struct scratch {
	_Alignas(8) unsigned char b[sizeof(struct ww_meta) + WW_META_DATA_MAX];
};
#define SCRATCH_META(sc) ((struct ww_meta *)(void *)(sc).b)

static void put(struct ww_meta *m, unsigned tag, const void *val, size_t len)
{
	if (len > WW_META_DATA_MAX || m->len + 3 + len > WW_META_DATA_MAX)
		return;   /* past the bound: the record lacks it */
	uint8_t *p = m->data + m->len;
	uint16_t l = (uint16_t)len;
	p[0] = (uint8_t)tag;
	memcpy(p + 1, &l, 2);
	if (len)
		memcpy(p + 3, val, len);
	m->len = (uint16_t)(m->len + 3 + len);
}

/* The scratch object as a heap object of its size; NULL when out of memory. */
static struct ww_meta *finish(const struct ww_meta *m)
{
	struct ww_meta *h = oom_if_null(malloc(ww_meta_size(m)));
	if (h)
		memcpy(h, m, ww_meta_size(m));
	return h;
}

int ww_meta_merge(struct ww_meta **into, struct ww_meta *from)
{
	uint32_t off = 0;
	const char *v;
	uint16_t l;
	unsigned t;
	int rc = 0;
	if (!from)
		return 0;
	if (!*into) {
		*into = from;
		return 0;
	}
	while ((t = ww_meta_next(from, &off, &v, &l)))
		if (ww_meta_add(into, t, v, l) == -ENOMEM)
			rc = -ENOMEM;
	ww_meta_free(from);
	return rc;
}

const char *ww_meta_get(const struct ww_meta *m, unsigned tag, uint16_t *len)
{
	uint32_t off = 0;
	const char *v;
	unsigned t;
	while ((t = ww_meta_next(m, &off, &v, len)))
		if (t == tag)
			return v;
	return NULL;
}

static void add_str(struct ww_meta *m, unsigned tag, const struct ww_meta_str *s)
{
	if (s->set)
		put(m, tag, s->s, s->len);
}

/* The client's ClientHello values (ja4, ja3, ALPN) and version into *mp. */
static void add_tls_client(struct ww_meta *m, const struct ww_tls_meta *t)
{
	m->have |= WW_MH_TLS_CLIENT;
	m->cver = t->client_version;
	put(m, WW_MT_JA4, t->ja4, strnlen(t->ja4, sizeof(t->ja4)));
	put(m, WW_MT_JA3, t->ja3, strnlen(t->ja3, sizeof(t->ja3)));
	for (unsigned i = 0, off = 0; i < t->alpn_n; off += t->alpn_len[i++])
		put(m, WW_MT_ALPN, t->alpn + off, t->alpn_len[i]);
}

static void add_tls_server(struct ww_meta *m, const struct ww_tls_meta *t)
{
	m->have |= WW_MH_TLS_SERVER;
	m->sver = t->server_version;
	put(m, WW_MT_JA3S, t->ja3s, strnlen(t->ja3s, sizeof(t->ja3s)));
}

struct ww_meta *ww_meta_open_tls(const char *sni, size_t sni_len, const uint8_t *const d[2], const uint32_t n[2],
				 bool tcp)
{
	struct ww_tls_meta t;
	struct scratch sc;
	struct ww_meta *m = SCRATCH_META(sc);
	memset(m, 0, sizeof(*m));
	m->kind = WW_META_TLS;
	m->tcp = tcp;
	if (sni_len && sni_len < WW_NAME_MAX)
		put(m, WW_MT_SNI, sni, sni_len);
	memset(&t, 0, sizeof(t));
	if (n[0] && d[0] && oom_if_enomem(ww_tlsmeta_client_stream(&t, d[0], n[0])) == 0)
		add_tls_client(m, &t);
	memset(&t, 0, sizeof(t));
	if (n[1] && d[1] && oom_if_enomem(ww_tlsmeta_server_stream(&t, d[1], n[1])) == 0)
		add_tls_server(m, &t);
	/* kept while the ServerHello may still come (an SSLv2 ClientHello
	 * gives no fingerprint, its answer JA3S) */
	if (m->have || m->len || (tcp && !n[1]))
		return finish(m);
	return NULL;
}

/* The server name of the ClientHello handshake message m[0..n), or NULL. */
static const uint8_t *hello_sni(const uint8_t *m, uint32_t n, uint32_t *len)
{
	uint32_t o = 4 + 2 + 32;
	if (n < o + 1)
		return NULL;
	o += 1u + m[o];                                   /* session id */
	if (o + 2 > n)
		return NULL;
	o += 2u + ((uint32_t)m[o] << 8 | m[o + 1]);      /* cipher suites */
	if (o + 1 > n)
		return NULL;
	o += 1u + m[o];                                   /* compression */
	if (o + 2 > n)
		return NULL;
	uint32_t end = o + 2 + ((uint32_t)m[o] << 8 | m[o + 1]);
	o += 2;
	if (end > n)
		end = n;
	while (o + 4 <= end) {
		uint32_t t = (uint32_t)m[o] << 8 | m[o + 1], l = (uint32_t)m[o + 2] << 8 | m[o + 3];
		o += 4;
		if (o + l > end)
			return NULL;
		if (t == 0 && l >= 5 && m[o + 2] == 0) {   /* server_name: list, host_name(0), length, name */
			uint32_t nl = (uint32_t)m[o + 3] << 8 | m[o + 4];
			if (nl && 5 + nl <= l && nl < WW_NAME_MAX) {
				*len = nl;
				return m + o + 5;
			}
			return NULL;
		}
		o += l;
	}
	return NULL;
}

struct ww_meta *ww_meta_open_quic(const uint8_t *d0, uint32_t n0)
{
	static _Thread_local struct ww_quic_hello h;   /* 9 KB: off the stack, per analysis thread */
	struct ww_tls_meta t;
	struct scratch sc;
	struct ww_meta *m = SCRATCH_META(sc);
	memset(&h, 0, sizeof(h));
	if (!d0 || !n0 || oom_if_enomem(ww_quic_client_initials(&h, d0, n0)) != 0)
		return NULL;
	int hl = ww_quic_hello_len(&h);
	if (hl < 0)
		return NULL;   /* cut (its rest is in a later datagram than the classifier kept) */
	memset(m, 0, sizeof(*m));
	m->kind = WW_META_TLS;
	m->have = WW_MH_TLS_QUIC;
	uint32_t sl = 0;
	const uint8_t *sni = hello_sni(h.buf, (uint32_t)hl, &sl);
	if (sni)
		put(m, WW_MT_SNI, sni, sl);
	memset(&t, 0, sizeof(t));
	if (oom_if_enomem(ww_tlsmeta_client_hello(&t, h.buf, (uint32_t)hl, 'q')) == 0)
		add_tls_client(m, &t);
	return finish(m);
}

/* The HTTP request/response, DNS message or SSH banner p[0..n) from side `dir` into *mp. */
static void parse_into(struct ww_meta *m, int dir, const uint8_t *p, uint32_t n)
{
	switch (m->kind) {
	case WW_META_HTTP: {
		struct ww_http_meta h;
		memset(&h, 0, sizeof(h));
		if (dir == 0 && !(m->have & WW_MH_HTTP_REQ)) {
			if (ww_httpmeta_request(&h, p, n) == 0) {
				m->have |= WW_MH_HTTP_REQ;
				add_str(m, WW_MT_METHOD, &h.method);
				add_str(m, WW_MT_HOST, &h.host);
				add_str(m, WW_MT_URI, &h.uri);
				add_str(m, WW_MT_UA, &h.user_agent);
			}
		} else if (dir == 1 && !m->status && ww_httpmeta_response(&h, p, n) == 0) {
			m->status = h.status;
		}
		break;
	}
	case WW_META_DNS: {
		struct ww_dns_meta d;
		memset(&d, 0, sizeof(d));
		d.have_query = !!(m->have & WW_MH_DNS_QUERY);
		d.have_answer = !!(m->have & WW_MH_DNS_ANSWER);
		d.id = m->dns_id;
		if (ww_dnsmeta_message(&d, p, n, m->tcp) != 0)
			break;
		if (d.have_query && !(m->have & WW_MH_DNS_QUERY)) {
			m->have |= WW_MH_DNS_QUERY;
			m->qtype = d.qtype;
			m->dns_id = d.id;
			add_str(m, WW_MT_QUERY, &d.query);
		}
		if (d.have_answer && !(m->have & WW_MH_DNS_ANSWER)) {
			m->have |= WW_MH_DNS_ANSWER;
			m->rcode = d.rcode;
			for (unsigned i = 0; i < d.nanswers; i++)
				put(m, WW_MT_ANSWER, d.answers[i], d.answer_len[i]);
		}
		break;
	}
	case WW_META_SSH: {
		uint8_t bit = dir ? WW_MH_SSH_SERVER : WW_MH_SSH_CLIENT;
		struct ww_meta_str b;
		if (m->have & bit)
			break;
		memset(&b, 0, sizeof(b));
		if (ww_sshmeta_banner(&b, p, n) == 0) {
			m->have |= bit;
			add_str(m, dir ? WW_MT_SSH_SERVER : WW_MT_SSH_CLIENT, &b);
		}
		break;
	}
	default:
		break;
	}
}

struct ww_meta *ww_meta_open(enum ww_meta_kind kind, const uint8_t *const d[2], const uint32_t n[2], bool tcp)
{
	if (kind != WW_META_HTTP && kind != WW_META_DNS && kind != WW_META_SSH)
		return NULL;
	struct scratch sc;
	struct ww_meta *m = SCRATCH_META(sc);
	memset(m, 0, sizeof(*m));
	m->kind = (uint8_t)kind;
	m->tcp = tcp;
	for (int i = 0; i < 2; i++)
		if (n[i] && d[i])
			parse_into(m, i, d[i], n[i]);
	if (!m->have && !m->status)
		return NULL;
	return finish(m);
}

bool ww_meta_wants(const struct ww_meta *m)
{
	if (!m || m->feeds >= META_FEEDS_MAX)
		return false;
	switch (m->kind) {
	case WW_META_TLS:  return m->tcp && !(m->have & WW_MH_TLS_SERVER);
	case WW_META_HTTP: return !(m->have & WW_MH_HTTP_REQ) || !m->status;
	case WW_META_DNS:  return (m->have & (WW_MH_DNS_QUERY | WW_MH_DNS_ANSWER)) != (WW_MH_DNS_QUERY | WW_MH_DNS_ANSWER);
	case WW_META_SSH:  return (m->have & (WW_MH_SSH_CLIENT | WW_MH_SSH_SERVER)) != (WW_MH_SSH_CLIENT | WW_MH_SSH_SERVER);
	default:           return false;
	}
}

bool ww_meta_wants_client(const struct ww_meta *m)
{
	if (!ww_meta_wants(m))
		return false;
	switch (m->kind) {
	case WW_META_HTTP: return !(m->have & WW_MH_HTTP_REQ);
	case WW_META_DNS:  return true;   /* an mDNS flow may open with an announcement */
	case WW_META_SSH:  return !(m->have & WW_MH_SSH_CLIENT);
	default:           return false;
	}
}

/* Parse p[0..n) from side `dir` into a copy of *mp and grow *mp to it
 * when values were added (out of memory: they are dropped). */
static void feed_values(struct ww_meta **mp, int dir, const uint8_t *p, uint32_t n, bool tls)
{
	struct scratch sc;
	struct ww_meta *m = SCRATCH_META(sc);
	memcpy(m, *mp, ww_meta_size(*mp));
	if (tls) {
		struct ww_tls_meta t;
		memset(&t, 0, sizeof(t));
		if (oom_if_enomem(ww_tlsmeta_server_stream(&t, p, n)) == 0)
			add_tls_server(m, &t);
	} else {
		parse_into(m, dir, p, n);
	}
	if (m->len != (*mp)->len) {
		struct ww_meta *g = oom_if_null(realloc(*mp, ww_meta_size(m)));
		if (!g) {
			(*mp)->have = m->have;   /* what was seen, so it is not waited for again */
			return;
		}
		*mp = g;
	}
	memcpy(*mp, m, ww_meta_size(m));
}

bool ww_meta_feed(struct ww_meta **mp, int dir, const uint8_t *p, uint32_t n)
{
	struct ww_meta *m = *mp;
	if (!ww_meta_wants(m))
		return true;
	if (dir == 0 && m->kind == WW_META_HTTP && !(m->have & WW_MH_HTTP_REQ)) {
		m->feeds++;   /* the response came first (a capture's cut): the request now */
		feed_values(mp, 0, p, n, false);
		return !ww_meta_wants(*mp);
	}
	if (dir == 0 && m->kind != WW_META_SSH && m->kind != WW_META_DNS) {
		/* the client again (its retransmissions, the rest of its
		 * request) while the answer is awaited: counted apart */
		if (++m->others >= META_OTHERS_MAX)
			m->feeds = META_FEEDS_MAX;
		return !ww_meta_wants(m);
	}
	m->feeds++;
	switch (m->kind) {
	case WW_META_TLS:
		if (dir == 1) {
			feed_values(mp, 1, p, n, true);
			return true;   /* the server's first payload only: its hello or not at all */
		}
		break;
	case WW_META_HTTP:
		if (dir == 1) {
			if (!m->status) {   /* the status only: in the header, no copy */
				struct ww_http_meta h;
				h.status = 0;
				if (ww_httpmeta_response(&h, p, n) == 0)
					m->status = h.status;
			}
			return true;
		}
		break;
	case WW_META_DNS:   /* either way: an mDNS flow may open with an announcement */
	case WW_META_SSH:
		feed_values(mp, dir, p, n, false);
		break;
	default:
		return true;
	}
	return !ww_meta_wants(*mp);
}

const char *ww_meta_dst_name(const struct ww_meta *m, const char **by, size_t *len)
{
	uint16_t l16;
	const char *h;
	if (!m)
		return NULL;
	if ((h = ww_meta_get(m, WW_MT_SNI, &l16)) && l16) {
		*by = "sni";
		*len = l16;
		return h;
	}
	if (m->kind == WW_META_HTTP && (h = ww_meta_get(m, WW_MT_HOST, &l16)) && l16) {
		size_t l = l16;
		/* the port off: "name:8080", "[2001:db8::1]:8080"; a bare IPv6
		 * literal has colons of its own and no brackets: kept whole */
		size_t i = l;
		while (i > 0 && h[i - 1] >= '0' && h[i - 1] <= '9')
			i--;
		if (i > 0 && i < l + 1 && h[i - 1] == ':' && (h[0] == '[' || !memchr(h, ':', i - 1)))
			l = i - 1;
		if (l >= 2 && h[0] == '[' && h[l - 1] == ']') {
			h++;
			l -= 2;
		}
		if (l) {
			*by = "http_host";
			*len = l;
			return h;
		}
	}
	if ((h = ww_meta_get(m, WW_MT_DNS_NAME, &l16)) && l16) {
		*by = "dns";
		*len = l16;
		return h;
	}
	return NULL;
}
