/*
 * classify.c - payload -> protocol: the driver around the detectors of
 * src/classify/proto/.
 *
 * Per flow we keep a candidate set (a bit per detector that may still
 * match) and the first bytes of each direction. Each payload packet builds a
 * *view* - for TCP the start of each byte stream, for UDP the datagram just
 * fed and the first datagram of the other direction - and asks every
 * remaining candidate, in id order. NO removes it for good, the first YES
 * ends classification, WEAK is remembered as a fallback, NEED keeps it.
 * Two exceptions. On UDP each datagram is a message of its own, and one
 * corrupted or foreign datagram (a fuzzer's, a scanner's) among a flow's
 * DNS queries does not make the flow something else. So the protocol of
 * the server's UDP port is retried on each datagram within the per-flow
 * budget after a NO, and counts as contradicted only if no datagram proves
 * it. Other UDP detectors still get one chance, which keeps random
 * datagrams on arbitrary ports from drawing a dozen lottery tickets each.
 * On TCP the port's protocol, contradicted before the other side has said
 * anything, is asked again when it does: a server's first message can
 * prove its protocol whatever the client sent (web servers answer broken
 * requests with a 400 status line).
 * When several stay WEAK to the end (a bare "220 " greeting), the one whose
 * standard port the server uses wins, then the lower id (proto.h orders
 * them).
 *
 * Cost: nothing is copied while a flow is decided on its first packet
 * (most are: an HTTP request, a ClientHello, a DNS query); the view points
 * at the caller's payload. Only flows left undecided keep their bytes, in a
 * buffer per direction that grows on demand up to WW_CLS_MAX_BYTES_DIR. Each
 * detector is O(view) and most reject on their first byte. TCP
 * retransmissions of the bytes just kept are recognised and not appended
 * twice (we see no sequence numbers here, so this is a heuristic: it only
 * compares with the tail of what is kept, or with all of it when a segment
 * repeats the whole kept start and carries more).
 */
#include <stdlib.h>

#include "wirewho/classify.h"
#include "wirewho/meta.h"
#include "wirewho/ports.h"
#include "proto/proto.h"

const struct ww_detector ww_detectors[WW_P_COUNT] = {
	[WW_P_NONE]       = { "unknown",    0,                     NULL },
	[WW_P_HTTP]       = { "http",       WW_L4_TCP,             ww_detect_http },
	[WW_P_TLS]        = { "tls",        WW_L4_TCP,             ww_detect_tls },
	[WW_P_SSH]        = { "ssh",        WW_L4_TCP,             ww_detect_ssh },
	[WW_P_DNS]        = { "dns",        WW_L4_TCP | WW_L4_UDP, ww_detect_dns },
	[WW_P_MDNS]       = { "mdns",       WW_L4_UDP,             ww_detect_mdns },
	[WW_P_QUIC]       = { "quic",       WW_L4_UDP,             ww_detect_quic },
	[WW_P_SMTP]       = { "smtp",       WW_L4_TCP,             ww_detect_smtp },
	[WW_P_FTP]        = { "ftp",        WW_L4_TCP,             ww_detect_ftp },
	[WW_P_POP3]       = { "pop3",       WW_L4_TCP,             ww_detect_pop3 },
	[WW_P_IMAP]       = { "imap",       WW_L4_TCP,             ww_detect_imap },
	[WW_P_RDP]        = { "rdp",        WW_L4_TCP,             ww_detect_rdp },
	[WW_P_SMB]        = { "smb",        WW_L4_TCP,             ww_detect_smb },
	[WW_P_NTP]        = { "ntp",        WW_L4_UDP,             ww_detect_ntp },
	[WW_P_SIP]        = { "sip",        WW_L4_TCP | WW_L4_UDP, ww_detect_sip },
	[WW_P_DHCP]       = { "dhcp",       WW_L4_UDP,             ww_detect_dhcp },
	[WW_P_SNMP]       = { "snmp",       WW_L4_UDP,             ww_detect_snmp },
	[WW_P_BITTORRENT] = { "bittorrent", WW_L4_TCP | WW_L4_UDP, ww_detect_bittorrent },
	[WW_P_IRC]        = { "irc",        WW_L4_TCP,             ww_detect_irc },
	[WW_P_SOCKS]      = { "socks",      WW_L4_TCP,             ww_detect_socks },
	[WW_P_REDIS]      = { "redis",      WW_L4_TCP,             ww_detect_redis },
	[WW_P_MYSQL]      = { "mysql",      WW_L4_TCP,             ww_detect_mysql },
	[WW_P_PGSQL]      = { "postgresql", WW_L4_TCP,             ww_detect_pgsql },
	[WW_P_TELNET]     = { "telnet",     WW_L4_TCP,             ww_detect_telnet },
	[WW_P_LDAP]       = { "ldap",       WW_L4_TCP | WW_L4_UDP, ww_detect_ldap },
	[WW_P_XMPP]       = { "xmpp",       WW_L4_TCP,             ww_detect_xmpp },
	[WW_P_KERBEROS]   = { "kerberos",   WW_L4_TCP | WW_L4_UDP, ww_detect_kerberos },
	[WW_P_SYSLOG]     = { "syslog",     WW_L4_TCP | WW_L4_UDP, ww_detect_syslog },
	[WW_P_DCERPC]     = { "dcerpc",     WW_L4_TCP | WW_L4_UDP, ww_detect_dcerpc },
	[WW_P_MQTT]       = { "mqtt",       WW_L4_TCP,             ww_detect_mqtt },
	[WW_P_STUN]       = { "stun",       WW_L4_TCP | WW_L4_UDP, ww_detect_stun },
	[WW_P_DTLS]       = { "dtls",       WW_L4_UDP,             ww_detect_dtls },
	[WW_P_SSDP]       = { "ssdp",       WW_L4_UDP,             ww_detect_ssdp },
	[WW_P_WIREGUARD]  = { "wireguard",  WW_L4_UDP,             ww_detect_wireguard },
	[WW_P_OPENVPN]    = { "openvpn",    WW_L4_TCP | WW_L4_UDP, ww_detect_openvpn },
	[WW_P_IPSEC]      = { "ipsec",      WW_L4_UDP,             ww_detect_ipsec },
	[WW_P_MODBUS]     = { "modbus",     WW_L4_TCP,             ww_detect_modbus },
	[WW_P_LLMNR]      = { "llmnr",      WW_L4_TCP | WW_L4_UDP, ww_detect_llmnr },
	[WW_P_NETBIOS]    = { "netbios",    WW_L4_UDP,             ww_detect_netbios },
	[WW_P_RTSP]       = { "rtsp",       WW_L4_TCP,             ww_detect_rtsp },
};

#define CLS_BUF_MIN 256   /* first allocation of a direction's buffer: a banner or request line */

/*
 * Layout: pointers, 64-bit counters and the detector sets (a bit per
 * enum ww_pid: more than 32 protocols) first, then the 32-bit lengths, then
 * bytes; the two evidence arrays last. About 220 bytes, only
 * for flows that carry payload.
 */
struct ww_cls {
	uint8_t *buf[2];            /* kept first bytes per direction, or NULL */
	struct ww_tls_ev *tls;      /* SNI/ALPN once TLS found any, or NULL */
	struct ww_meta *meta;       /* names and fingerprints once TLS was proven (tlsmeta.c), or NULL */
	uint64_t match_pkt;         /* packet that proved (or weakly matched) */
	uint64_t first_pkt;         /* first payload packet */
	uint64_t cand;              /* detectors that may still match */
	uint64_t weak;              /* detectors that said WEAK */
	uint64_t need;              /* detectors that said NEED on their last run */
	uint64_t rejected;          /* detectors contradicted */
	uint64_t retry;             /* the server port's protocol, asked again after a NO */
	uint32_t blen[2], bcap[2];  /* kept bytes and buffer size */
	uint32_t seen[2];           /* payload bytes offered, per direction */
	uint16_t npkts[2];          /* payload packets inspected */
	uint8_t match;              /* enum ww_pid proven, or WW_P_NONE */
	uint8_t weak_pick;          /* enum ww_pid of the weak fallback chosen at finish */
	int8_t match_dir, first_dir;
	uint8_t final;              /* the answer will not change */
	uint8_t wait_other;         /* final with nothing proven on a strict port: the
	                             * judge still needs the other direction (1 + dir) */
	uint8_t done;               /* final and decided (ww_cls_finish() ran or a proof) */
	uint8_t ipproto;
	uint8_t retry_set;          /* retry has been looked up */
	uint8_t oom;                /* an allocation failed: the answer may be short (#17.2) */
	uint8_t ev_len, first_len;
	uint8_t ev[WW_FIRST_BYTES];
	uint8_t first[WW_FIRST_BYTES];
};
_Static_assert(sizeof(struct ww_cls) <= 256, "struct ww_cls grew: it is allocated per payload flow");

static int pid_of(const char *proto);
_Static_assert(WW_P_COUNT <= WW_CLS_PROTO_MAX, "protocol ids must stay below WW_CLS_PROTO_MAX");

/*
 * The detectors that run on each transport, as candidate sets: computed
 * once at start-up, before any thread, rather than with a walk of the
 * registry (40 entries) at every new flow's first payload packet, which
 * was a quarter of what classifying a short flow cost.
 */
static uint64_t l4_masks[WW_L4_TCP | WW_L4_UDP];

__attribute__((constructor)) static void init_l4_masks(void)
{
	for (uint8_t l4 = WW_L4_TCP; l4 <= WW_L4_UDP; l4++)
		for (int i = 1; i < WW_P_COUNT; i++)
			if (ww_detectors[i].l4 & l4)
				l4_masks[l4 - 1] |= 1ull << i;
}

static uint64_t l4_mask(uint8_t l4)
{
	return l4 ? l4_masks[l4 - 1] : 0;
}

static void cls_init(struct ww_cls *c)
{
	c->match_dir = -1;
	c->first_dir = -1;
}

bool ww_cls_out_of_memory(const struct ww_cls *c)
{
	return c && c->oom;
}

struct ww_cls *ww_cls_new(void)
{
	struct ww_cls *c = calloc(1, sizeof(*c));
	if (c)
		cls_init(c);
	return c;
}

/* What the state holds besides itself. */
static void cls_free_parts(struct ww_cls *c)
{
	free(c->buf[0]);
	free(c->buf[1]);
	free(c->tls);
	ww_meta_free(c->meta);
}

void ww_cls_free(struct ww_cls *c)
{
	if (!c)
		return;
	cls_free_parts(c);
	free(c);
}

/*
 * A cached state is linked through its first field (buf[0], freed first);
 * it was last written by this thread a moment ago, so taking it back costs
 * a clear of lines still in cache rather than glibc's bins: 250,000 flows
 * a second go through here on a busy link.
 */
struct ww_cls *ww_cls_new_cached(struct ww_cls_cache *cc)
{
	struct ww_cls *c = cc->head;
	if (!c)
		return ww_cls_new();
	cc->head = (struct ww_cls *)(void *)c->buf[0];
	cc->n--;
	memset(c, 0, sizeof(*c));
	cls_init(c);
	return c;
}

void ww_cls_release(struct ww_cls_cache *cc, struct ww_cls *c)
{
	if (!c)
		return;
	if (cc->n >= WW_CLS_CACHE_MAX) {
		ww_cls_free(c);
		return;
	}
	cls_free_parts(c);
	c->buf[0] = (uint8_t *)(void *)cc->head;
	cc->head = c;
	cc->n++;
}

void ww_cls_cache_clear(struct ww_cls_cache *cc)
{
	while (cc->head) {
		struct ww_cls *c = cc->head;
		cc->head = (struct ww_cls *)(void *)c->buf[0];
		free(c);
	}
	cc->n = 0;
}

/* Keep bytes of direction d, up to the cap. Returns false on OOM. */
static bool keep(struct ww_cls *c, int d, const uint8_t *p, uint32_t n)
{
	uint32_t room = WW_CLS_MAX_BYTES_DIR - c->blen[d];
	if (n > room)
		n = room;
	if (n == 0)
		return true;
	if (c->blen[d] + n > c->bcap[d]) {
		uint32_t cap = c->bcap[d] ? c->bcap[d] : CLS_BUF_MIN;
		while (cap < c->blen[d] + n)
			cap *= 2;
		if (cap > WW_CLS_MAX_BYTES_DIR)
			cap = WW_CLS_MAX_BYTES_DIR;
		uint8_t *nb = realloc(c->buf[d], cap);
		if (!nb) {
			c->oom = 1;
			return false;
		}
		c->buf[d] = nb;
		c->bcap[d] = cap;
	}
	memcpy(c->buf[d] + c->blen[d], p, n);
	c->blen[d] += n;
	return true;
}

static bool is_mdns_group(const struct ww_addr *a)
{
	static const uint8_t v4[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 224, 0, 0, 251 };
	static const uint8_t v6[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb };
	return memcmp(a->b, v4, 16) == 0 || memcmp(a->b, v6, 16) == 0;
}

static void view_init(struct ww_pview *v, const struct ww_cls *c, const struct ww_flow *f)
{
	memset(v, 0, sizeof(*v));
	v->ipproto = f->key.proto;
	v->sport = ww_flow_server_port(f);
	v->cport = ww_flow_client_port(f);
	v->mcast_mdns = f->key.proto == WW_IPPROTO_UDP &&
			(is_mdns_group(&f->key.a) || is_mdns_group(&f->key.b));
	v->first = c->first_dir == 1 ? 1 : 0;
	for (int d = 0; d < 2; d++) {
		v->d[d] = c->blen[d] ? c->buf[d] : NULL;
		v->n[d] = c->blen[d];
		v->full[d] = c->seen[d] >= WW_CLS_MAX_BYTES_DIR || c->npkts[d] >= WW_CLS_MAX_PKTS_DIR;
	}
}

/* Among the protocols in `set`, the one that owns the server port, else the lowest id. */
static int pick(uint64_t set, const struct ww_pview *v)
{
	if (!(set & (set - 1)))
		return set ? __builtin_ctzll(set) : 0;   /* one candidate: no port lookup */
	int first = 0;
	for (int i = 1; i < WW_P_COUNT; i++) {
		if (!(set & (1ull << i)))
			continue;
		if (!first)
			first = i;
		if (ww_ports_is_standard(ww_detectors[i].name, v->sport, v->ipproto))
			return i;
	}
	return first;
}

static void set_ev(uint8_t *dst, uint8_t *dlen, const uint8_t *p, uint32_t n)
{
	uint32_t k = n < WW_FIRST_BYTES ? n : WW_FIRST_BYTES;
	memcpy(dst, p, k);
	*dlen = (uint8_t)k;
}

/*
 * Whether detector i's NO on this view waits for more. Only the protocol of
 * the server's port gets a second chance (c->retry): on UDP it is asked
 * again on the next datagram; on TCP once the side that has not spoken yet
 * does, since that side's first message may still prove it (a web server
 * answering a scanner's broken request with "HTTP/1.1 400", an SMB server's
 * reply in a capture that began mid-stream). The NO still marks it
 * contradicted until then. Limiting this to one detector keeps flows of
 * unknown protocols on unassigned ports final on their first packet.
 */
static bool defer_no(struct ww_cls *c, const struct ww_pview *v, int i)
{
	if (v->full[v->cur])
		return false;
	if (!c->retry_set) {   /* looked up once, on the flow's first NO */
		c->retry = (1ull << pid_of(ww_ports_protocol_of(v->sport, v->ipproto))) & ~1ull;
		c->retry_set = 1;
	}
	if (!(c->retry & (1ull << i)))
		return false;
	if (c->ipproto == WW_IPPROTO_UDP)
		return true;
	return !v->n[!v->cur] && !v->full[!v->cur];
}

/*
 * Run the candidates on a view, in id order; returns the one that proved
 * (as a set bit) or 0. The first proof ends the round: detectors are
 * written so that two never prove the same bytes (mDNS and DNS split by
 * port, FTP and SMTP by the client's verb), and stopping early is most of
 * what makes the common first packet cheap.
 */
static uint64_t run(struct ww_cls *c, const struct ww_pview *v)
{
	uint64_t yes = 0;
	c->need = 0;
	for (uint64_t m = c->cand; m && !yes; m &= m - 1) {
		int i = __builtin_ctzll(m);
		switch (ww_detectors[i].fn(v)) {
		case WW_DET_NO:
			if (!defer_no(c, v, i))
				c->cand &= ~(1ull << i);
			c->weak &= ~(1ull << i);
			c->rejected |= 1ull << i;
			break;
		case WW_DET_NEED:
			c->need |= 1ull << i;
			break;
		case WW_DET_WEAK:
			c->weak |= 1ull << i;
			break;
		case WW_DET_YES:
			yes |= 1ull << i;
			break;
		}
	}
	return yes;
}

/*
 * TLS proven on view v: keep the detector's SNI/ALPN, and read the hellos
 * whole into the flow's metadata (tlsmeta.c), once, on the bytes already
 * here (out of memory: the record lacks them).
 */
static void save_tls(struct ww_cls *c, const struct ww_tls_ev *ev, const struct ww_pview *v)
{
	if (!c->meta)
		c->meta = ww_meta_open_tls(ev->sni, ev->sni_len, v->d, v->n, v->ipproto == WW_IPPROTO_TCP);
	if (c->tls || (!ev->sni_len && !ev->alpn[0]))
		return;
	c->tls = malloc(sizeof(*c->tls));
	if (c->tls)
		memcpy(c->tls, ev, sizeof(*ev));
	else
		c->oom = 1;
}

/* Another protocol that names the other end proven on view v: its metadata (meta.c). */
static void save_meta(struct ww_cls *c, const struct ww_pview *v)
{
	enum ww_meta_kind k = c->match == WW_P_HTTP ? WW_META_HTTP :
			      c->match == WW_P_DNS || c->match == WW_P_MDNS ? WW_META_DNS :
			      c->match == WW_P_SSH ? WW_META_SSH : WW_META_NONE;
	if (k != WW_META_NONE && !c->meta)
		c->meta = ww_meta_open(k, v->d, v->n, v->ipproto == WW_IPPROTO_TCP);
	else if (c->match == WW_P_QUIC && !c->meta)
		c->meta = ww_meta_open_quic(v->d[0], v->n[0]);   /* the client's Initials, opened (quic.c) */
}

/*
 * When the answer is final with nothing proven, on a port where that could
 * be port_mismatch.unidentified, and one direction has carried no payload
 * yet, the judge needs to see whether the other side answers: report "not
 * final" until it does (or this side's budget is spent). The answer itself
 * no longer changes; those packets only count.
 */
static bool settled(struct ww_cls *c, const struct ww_flow *f)
{
	if (c->match || (c->weak & c->cand) || (c->npkts[0] && c->npkts[1]))
		return true;
	if (!ww_ports_is_strict(ww_flow_server_port(f), f->key.proto))
		return true;
	c->wait_other = (uint8_t)(1 + (c->npkts[0] ? WW_DIR_TOCLIENT : WW_DIR_TOSERVER));
	return false;
}

bool ww_cls_feed(struct ww_cls *c, const struct ww_flow *f, enum ww_dir dir,
		 const uint8_t *payload, uint32_t len, uint64_t pkt_no)
{
	if (!c)
		return true;
	int d = dir == WW_DIR_TOCLIENT ? 1 : 0;
	if (c->final) {
		if (!c->wait_other)
			return true;
		if (c->wait_other == 1 + d || c->npkts[!d] >= WW_CLS_MAX_PKTS_DIR) {
			c->wait_other = 0;
			return true;
		}
		c->npkts[d]++;
		return false;
	}
	if (len == 0 || !payload)
		return false;
	if (!c->ipproto) {
		uint8_t l4 = f->key.proto == WW_IPPROTO_TCP ? WW_L4_TCP :
			     f->key.proto == WW_IPPROTO_UDP ? WW_L4_UDP : 0;
		c->ipproto = f->key.proto;
		c->cand = l4_mask(l4);
		if (!c->cand) {
			c->final = c->done = 1;
			return true;
		}
	}
	if (c->npkts[d] >= WW_CLS_MAX_PKTS_DIR || c->seen[d] >= WW_CLS_MAX_BYTES_DIR)
		return false;   /* this direction's budget is spent; the other may still decide */
	if (!c->first_len) {
		set_ev(c->first, &c->first_len, payload, len);
		c->first_pkt = pkt_no;
		c->first_dir = (int8_t)d;
	}
	c->npkts[d]++;
	c->seen[d] += len;

	struct ww_pview v;
	view_init(&v, c, f);
	v.cur = (uint8_t)d;
	bool tcp = c->ipproto == WW_IPPROTO_TCP;
	bool stored = false;
	if (tcp && c->blen[d]) {
		/* a retransmission of the tail we kept adds nothing; one that
		 * repeats everything kept and carries more (a sender coalescing
		 * its retransmission) adds only the rest */
		uint32_t kl = c->blen[d];
		bool dup = len <= kl && memcmp(c->buf[d] + kl - len, payload, len) == 0;
		if (!dup && len > kl && kl < WW_CLS_MAX_BYTES_DIR && memcmp(c->buf[d], payload, kl) == 0)
			keep(c, d, payload + kl, len - kl);
		else if (!dup)
			keep(c, d, payload, len);
		v.d[d] = c->buf[d];
		v.n[d] = c->blen[d];
		stored = true;
	} else {
		v.d[d] = payload;
		v.n[d] = len < WW_CLS_MAX_BYTES_DIR ? len : WW_CLS_MAX_BYTES_DIR;
	}
	v.full[d] = c->seen[d] >= WW_CLS_MAX_BYTES_DIR || c->npkts[d] >= WW_CLS_MAX_PKTS_DIR;
	struct ww_tls_ev tev;
	tev.sni[0] = tev.alpn[0] = '\0';
	tev.sni_len = 0;
	v.tls = (c->cand & (1ull << WW_P_TLS)) ? &tev : NULL;

	uint64_t yes = run(c, &v);
	if (yes) {
		c->match = (uint8_t)pick(yes, &v);
		c->rejected &= ~(1ull << c->match);   /* an earlier datagram's NO is outvoted */
		c->match_pkt = pkt_no;
		c->match_dir = (int8_t)d;
		set_ev(c->ev, &c->ev_len, payload, len);
		if (c->match == WW_P_TLS)
			save_tls(c, &tev, &v);
		else
			save_meta(c, &v);
		c->final = c->done = 1;
		return true;
	}
	if (!c->cand) {
		c->final = c->done = 1;
		return settled(c, f);
	}
	if (c->weak && !c->match_pkt) {
		c->match_pkt = pkt_no;
		c->match_dir = (int8_t)d;
		set_ev(c->ev, &c->ev_len, payload, len);
	}
	/* Keep this direction's bytes for the next round. For UDP only the
	 * first datagram is kept: the other direction is judged against it. */
	if (!stored && !c->blen[d])
		keep(c, d, payload, len);
	bool spent0 = c->npkts[0] >= WW_CLS_MAX_PKTS_DIR || c->seen[0] >= WW_CLS_MAX_BYTES_DIR;
	bool spent1 = c->npkts[1] >= WW_CLS_MAX_PKTS_DIR || c->seen[1] >= WW_CLS_MAX_BYTES_DIR;
	if ((spent0 && spent1) || c->npkts[0] + c->npkts[1] >= 2 * WW_CLS_MAX_PKTS_DIR) {
		ww_cls_finish(c, f);
		return settled(c, f);
	}
	return false;
}

void ww_cls_finish(struct ww_cls *c, const struct ww_flow *f)
{
	if (!c || c->done)
		return;
	c->final = c->done = 1;
	c->cand &= ~c->rejected;   /* a retried protocol no datagram proved */
	if (c->match || !c->cand)
		return;
	/* Last call: the detectors still waiting are told no more bytes come. */
	if (c->need && (c->blen[0] || c->blen[1])) {
		struct ww_pview v;
		view_init(&v, c, f);
		v.full[0] = v.full[1] = true;
		v.cur = c->blen[0] ? 0 : 1;
		struct ww_tls_ev tev;
		tev.sni[0] = tev.alpn[0] = '\0';
		tev.sni_len = 0;
		v.tls = &tev;
		uint64_t saved = c->cand;
		c->cand &= c->need;
		uint64_t yes = run(c, &v);
		c->cand = saved & ~c->rejected;
		if (yes) {
			c->match = (uint8_t)pick(yes, &v);
			if (!c->match_pkt) {
				c->match_pkt = c->first_pkt;
				c->match_dir = c->first_dir;
				memcpy(c->ev, c->first, c->first_len);
				c->ev_len = c->first_len;
			}
			if (c->match == WW_P_TLS)
				save_tls(c, &tev, &v);
			else
				save_meta(c, &v);
			return;
		}
	}
	uint64_t w = c->weak & c->cand;
	if (w) {
		struct ww_pview v;
		view_init(&v, c, f);
		c->weak_pick = (uint8_t)pick(w, &v);
	}
}


/* The protocol chosen so far: proven, else the weak pick (or, before
 * finish, the best weak candidate by id). */
static int chosen(const struct ww_cls *c)
{
	if (!c)
		return 0;
	if (c->match)
		return c->match;
	if (c->weak_pick)
		return c->weak_pick;
	uint64_t w = c->weak & c->cand;
	return w ? __builtin_ctzll(w) : 0;
}

const char *ww_cls_proto_name(uint8_t id)
{
	return ww_detectors[id < WW_P_COUNT ? id : WW_P_NONE].name;
}

uint8_t ww_cls_app_id(const struct ww_cls *c, const struct ww_flow *f, enum ww_app_by *by)
{
	enum ww_app_by b = WW_APP_BY_NONE;
	int p = chosen(c);
	if (p) {
		b = WW_APP_BY_PAYLOAD;
	} else if (f && (f->key.proto == WW_IPPROTO_TCP || f->key.proto == WW_IPPROTO_UDP)) {
		/* ports.h holds only protocols we detect: the guess has an id */
		int i = pid_of(ww_ports_protocol_of(ww_flow_server_port(f), f->key.proto));
		if (i && !(c && (c->rejected & (1ull << i)))) {
			b = WW_APP_BY_PORT;
			p = i;
		}
	}
	if (by)
		*by = b;
	return (uint8_t)p;
}

const char *ww_cls_app_proto(const struct ww_cls *c, const struct ww_flow *f, enum ww_app_by *by)
{
	return ww_detectors[ww_cls_app_id(c, f, by)].name;
}

const char *ww_cls_sni(const struct ww_cls *c)
{
	return c && c->tls ? c->tls->sni : "";
}

size_t ww_cls_sni_len(const struct ww_cls *c)
{
	return c && c->tls ? c->tls->sni_len : 0;
}

const struct ww_meta *ww_cls_meta(const struct ww_cls *c)
{
	return c ? c->meta : NULL;
}

struct ww_meta *ww_cls_take_meta(struct ww_cls *c)
{
	if (!c)
		return NULL;
	struct ww_meta *m = c->meta;
	c->meta = NULL;
	return m;
}

void ww_cls_result(const struct ww_cls *c, const struct ww_flow *f, struct ww_cls_result *r)
{
	enum ww_app_by by;

	memset(r, 0, sizeof(*r));
	r->proto = ww_cls_app_id(c, f, &by);
	r->by = (uint8_t)by;
	r->sni = r->alpn = "";
	r->match_dir = r->first_dir = -1;
	if (!c)
		return;
	if (chosen(c)) {
		r->match_pkt = c->match_pkt;
		r->match_dir = c->match_dir;
	}
	if (chosen(c) && c->ev_len) {
		r->first_bytes = c->ev;
		r->first_len = c->ev_len;
	} else {
		r->first_bytes = c->first;
		r->first_len = c->first_len;
	}
	r->first_pkt = c->first_pkt;
	r->first_dir = c->first_dir;
	if (c->tls) {
		r->sni = c->tls->sni;
		r->sni_len = c->tls->sni_len;
		r->alpn = c->tls->alpn;
	}
	for (int d = 0; d < 2; d++) {
		r->payload_bytes[d] = c->seen[d];
		r->payload_pkts[d] = c->npkts[d];
	}
	r->rejected = c->rejected;
	r->undecided = !c->match && (c->need & c->cand);
	/* record type 22 (handshake), major version 3: RFC 8446 §5.1 */
	r->tls_first = c->match == WW_P_TLS && c->first_len >= 2 && c->first[0] == 22 && c->first[1] == 3;
}

static int pid_of(const char *proto)
{
	if (!proto)
		return 0;
	for (int i = 1; i < WW_P_COUNT; i++)
		if (ww_detectors[i].name[0] == proto[0] && strcmp(ww_detectors[i].name, proto) == 0)
			return i;
	return 0;
}

uint8_t ww_cls_proto_id(const char *name)
{
	return (uint8_t)pid_of(name);
}

bool ww_cls_detects(const char *proto)
{
	return pid_of(proto) != 0;
}
