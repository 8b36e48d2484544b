/*
 * meta.c - a flow's metadata object (meta.h): made when the classifier
 * proves a protocol whose messages name the other end, completed by the
 * other side's first messages after the answer settled, and asked for the
 * server end's name.
 *
 * Cost: the object exists only for flows of TLS, HTTP, DNS/mDNS and SSH
 * whose first bytes parsed; every other flow keeps a NULL pointer. After
 * the classifier's state is freed the pipeline offers the flow's next
 * payload packets only while ww_meta_wants() says so, and at most
 * META_FEEDS_MAX of them: a response that does not come in the first few
 * packets is not waited for.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "wirewho/meta.h"

#define META_FEEDS_MAX 4    /* the other side's packets offered after settling: the answer is in the first one or two */
#define META_OTHERS_MAX 16  /* the asking side's packets meanwhile, before giving up */

struct ww_meta *ww_meta_new(enum ww_meta_kind kind)
{
	size_t head = offsetof(struct ww_meta, sni), body;
	switch (kind) {
	case WW_META_HTTP: body = sizeof(struct ww_http_meta); break;
	case WW_META_DNS:  body = sizeof(struct ww_dns_meta); break;
	case WW_META_SSH:  body = sizeof(struct ww_ssh_meta); break;
	default:           body = offsetof(struct ww_meta, tls) + sizeof(struct ww_tls_meta) - head; break;
	}
	struct ww_meta *m = calloc(1, head + body);
	if (m)
		m->kind = (uint8_t)kind;
	return m;
}

void ww_meta_free(struct ww_meta *m)
{
	free(m);
}

static bool has_any(const struct ww_meta *m)
{
	switch (m->kind) {
	case WW_META_HTTP: return m->http.have_req || m->http.status;
	case WW_META_DNS:  return m->dns.have_query || m->dns.have_answer;
	case WW_META_SSH:  return m->ssh.client.set || m->ssh.server.set;
	default:           return false;
	}
}

struct ww_meta *ww_meta_open(enum ww_meta_kind kind, const uint8_t *const d[2], const uint32_t n[2], bool tcp)
{
	if (kind != WW_META_HTTP && kind != WW_META_DNS && kind != WW_META_SSH)
		return NULL;
	struct ww_meta *m = ww_meta_new(kind);
	if (!m)
		return NULL;
	m->tcp = tcp;
	for (int i = 0; i < 2; i++) {
		if (!n[i] || !d[i])
			continue;
		switch (kind) {
		case WW_META_HTTP:
			(void)(i ? ww_httpmeta_response(&m->http, d[i], n[i]) : ww_httpmeta_request(&m->http, d[i], n[i]));
			break;
		case WW_META_DNS:
			(void)ww_dnsmeta_message(&m->dns, d[i], n[i], tcp);
			break;
		case WW_META_SSH:
			(void)ww_sshmeta_banner(i ? &m->ssh.server : &m->ssh.client, d[i], n[i]);
			break;
		default:
			break;
		}
	}
	if (!has_any(m)) {
		ww_meta_free(m);
		return NULL;
	}
	return m;
}

bool ww_meta_wants(const struct ww_meta *m)
{
	if (!m || m->feeds >= META_FEEDS_MAX)
		return false;
	switch (m->kind) {
	case WW_META_TLS:  return m->tcp && !(m->tls.have & WW_TLSMETA_SERVER);
	case WW_META_HTTP: return !m->http.have_req || !m->http.status;
	case WW_META_DNS:  return !m->dns.have_query || !m->dns.have_answer;
	case WW_META_SSH:  return !m->ssh.client.set || !m->ssh.server.set;
	default:           return false;
	}
}

bool ww_meta_feed(struct ww_meta *m, int dir, const uint8_t *p, uint32_t n)
{
	if (!ww_meta_wants(m))
		return true;
	if (dir == 0 && m->kind == WW_META_HTTP && !m->http.have_req) {
		m->feeds++;   /* the response came first (a capture's cut): the request now */
		(void)ww_httpmeta_request(&m->http, p, n);
		return !ww_meta_wants(m);
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
			if (ww_tlsmeta_server_stream(&m->tls, p, n) == 0)
				m->has_tls = 1;
			return true;   /* the server's first payload only: its hello or not at all */
		}
		break;
	case WW_META_HTTP:
		if (dir == 1) {
			(void)ww_httpmeta_response(&m->http, p, n);
			return true;
		}
		break;
	case WW_META_DNS:   /* either way: an mDNS flow may open with an announcement */
		(void)ww_dnsmeta_message(&m->dns, p, n, m->tcp);
		break;
	case WW_META_SSH:
		if (!(dir ? m->ssh.server.set : m->ssh.client.set))
			(void)ww_sshmeta_banner(dir ? &m->ssh.server : &m->ssh.client, p, n);
		break;
	default:
		return true;
	}
	return !ww_meta_wants(m);
}

const char *ww_meta_dst_name(const struct ww_meta *m, const char **by, size_t *len)
{
	if (!m)
		return NULL;
	if (m->sni_len) {
		*by = "sni";
		*len = m->sni_len;
		return m->sni;
	}
	if (m->kind == WW_META_HTTP && m->http.host.set && m->http.host.len) {
		const char *h = m->http.host.s;
		size_t l = m->http.host.len;
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
		if (!l)
			return NULL;
		*by = "http_host";
		*len = l;
		return h;
	}
	return NULL;
}
