/*
 * judge_port.c - the three port_mismatch judgements (see judge_port.h).
 *
 * The rules lean towards silence: a false alert on an ordinary flow costs an
 * analyst more than a missed oddity costs the judge, and the other judges
 * (policy, attribution) still see the flow. So:
 *  - a protocol standard on *either* port is fine (UDP flows without a SYN
 *    may be oriented the wrong way round; NTP and DHCP use fixed ports on
 *    both ends);
 *  - the port's protocol comes from ports.h's *known* entries only, which
 *    exist only for protocols we detect;
 *  - unidentified needs a strict port, a contradicted detector, nothing
 *    else matching, no detector left undecided, and enough payload: for TCP
 *    the handshake seen (so we saw the stream's start) and bytes both ways;
 *    for UDP a reply, or several datagrams to the server.
 *  - DNSCrypt (dnscrypt.info/protocol) resolvers listen on any port (443,
 *    8443, 5353, ...) and a client first fetches the resolver's
 *    certificate with a plain DNS TXT query for the provider name, which
 *    starts with the protocol's major version as a label
 *    ("2.dnscrypt-cert.example.org"): that DNS off port 53 is the
 *    protocol's design, not a service in hiding.
 *  - TLS on a STARTTLS port is fine after the protocol's plaintext (the
 *    classifier then keeps that protocol, or nothing: LDAP, XMPP), and in
 *    a capture that began mid-stream; from the first byte of a connection
 *    whose SYN we saw it is another service there (RFC 3207, 2595, 4217,
 *    4511, 4642, 5804, 6120; PostgreSQL's SSLRequest, MySQL's SSL request,
 *    RDP's X.224 negotiation), except with the ALPN id by which the
 *    protocol itself allows direct TLS (PostgreSQL 17, XEP-0368).
 * Severity: SSH, RDP, Telnet and SMB are remote-control and lateral-movement
 * protocols, so finding them where they do not belong is high; other
 * proven protocols off their ports are medium, those that roam by design
 * (QUIC, SIP, NTP) low; unidentified payload is medium on TCP, low on UDP.
 */
#include <stdio.h>

#include "wirewho/judge_port.h"
#include "wirewho/ports.h"

#define UNIDENT_MIN_UDP_PKTS 2     /* datagrams to the server when none came back */
#define UNIDENT_MIN_BYTES    8     /* below this a detector cannot have judged */

static bool in_list(const char *p, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(p, *list) == 0)
			return true;
	return false;
}

static const char *const high_protos[] = { "ssh", "rdp", "telnet", "smb", NULL };
static const char *const low_protos[] = { "quic", "sip", "ntp", "mdns", "dhcp", "snmp", NULL };
/* no fixed port in practice: peers pick them at random (BitTorrent), ICE
 * does (RFC 8445: WebRTC's STUN checks and DTLS-SRTP run between the host,
 * reflexive and relayed candidates' ephemeral ports), the endpoint mapper
 * hands them out (DCE/RPC services listen on dynamic ports; 135 is only the
 * mapper), or the answer comes from any port (SSDP's search responses,
 * UPnP Device Architecture 2.0 §1.3.3) */
static const char *const roaming_protos[] = { "bittorrent", "stun", "dtls", "dcerpc", "ssdp", NULL };

static const char *upper(const char *p, char *buf, size_t n)
{
	size_t i = 0;
	for (; p[i] && i + 1 < n; i++)
		buf[i] = (p[i] >= 'a' && p[i] <= 'z') ? (char)(p[i] - 32) : p[i];
	buf[i] = '\0';
	if (strcmp(p, "postgresql") == 0)
		snprintf(buf, n, "PostgreSQL");
	else if (strcmp(p, "bittorrent") == 0)
		snprintf(buf, n, "BitTorrent");
	else if (strcmp(p, "mysql") == 0)
		snprintf(buf, n, "MySQL");
	else if (strcmp(p, "redis") == 0)
		snprintf(buf, n, "Redis");
	else if (strcmp(p, "socks") == 0)
		snprintf(buf, n, "SOCKS");
	else if (strcmp(p, "telnet") == 0)
		snprintf(buf, n, "Telnet");
	else if (strcmp(p, "sieve") == 0)
		snprintf(buf, n, "ManageSieve");
	return buf;
}

static void fill_evidence(struct ww_alert *a, const struct ww_flow *f, const struct ww_cls_result *r,
			  const char *proto, const char *port_proto, bool matched)
{
	struct ww_evidence *ev = &a->ev;
	ev->protocol = proto;
	ev->port_protocol = port_proto;
	uint32_t n = r->first_len;
	const uint8_t *fb = r->first_bytes;
	if (matched) {
		ev->pkt_no = r->match_pkt;
		ev->direction = r->match_dir;
	} else {
		ev->pkt_no = r->first_pkt;
		ev->direction = r->first_dir;
	}
	if (fb && n) {
		if (n > WW_FIRST_BYTES)
			n = WW_FIRST_BYTES;
		memcpy(ev->first_bytes, fb, n);
		ev->first_len = (uint8_t)n;
	}
	const char *exp = proto ? proto : port_proto;
	if (exp)
		ev->n_expected = (uint8_t)ww_ports_standard_list(exp, f->key.proto, ev->expected_ports, WW_EV_MAX_PORTS);
	if (proto && strcmp(proto, "tls") == 0) {
		size_t sl = r->sni_len < sizeof(ev->sni) ? r->sni_len : sizeof(ev->sni) - 1;
		memcpy(ev->sni, r->sni, sl);   /* NULs and all: the writer escapes them */
		ev->sni[sl] = '\0';
		ev->sni_len = (uint16_t)sl;
		snprintf(ev->alpn, sizeof(ev->alpn), "%s", r->alpn);
	}
}

/* The first expected ports for the message (the evidence has them all). */
#define MSG_PORTS 6
static void ports_text(const struct ww_alert *a, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	int k = a->ev.n_expected < MSG_PORTS ? a->ev.n_expected : MSG_PORTS;
	for (int i = 0; i < k && o + 8 < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%u", i ? ", " : "", a->ev.expected_ports[i]);
	if (a->ev.n_expected > k && o + 6 < n)
		snprintf(buf + o, n - o, ", ...");
}

/*
 * The DNS message that proved the flow (its first bytes, as kept for the
 * evidence) asks for a DNSCrypt certificate: its first question's name
 * starts with a one-digit version label, and its type, when within the
 * bytes kept, is TXT (16).
 */
#define DNS_HDR_LEN 12
#define DNS_TYPE_TXT 16
static bool dnscrypt_cert_query(const struct ww_flow *f, const struct ww_cls_result *r)
{
	uint32_t n = r->first_len;
	const uint8_t *p = r->first_bytes;
	uint32_t skip = f->key.proto == WW_IPPROTO_TCP ? 2 : 0;   /* TCP's length prefix */
	if (!p || n < skip + DNS_HDR_LEN + 3)
		return false;
	p += skip;
	n -= skip;
	if ((p[4] << 8 | p[5]) != 1)
		return false;
	uint32_t i = DNS_HDR_LEN;
	if (p[i] != 1 || p[i + 1] < '1' || p[i + 1] > '2')
		return false;
	while (i < n && p[i] != 0 && p[i] <= 63)
		i += 1u + p[i];
	if (i >= n || p[i] != 0)
		return i >= n;   /* the name runs past the kept bytes: the label decides */
	return i + 2 >= n || (p[i + 1] << 8 | p[i + 2]) == DNS_TYPE_TXT;
}

static bool enough_for_unidentified(const struct ww_flow *f, const struct ww_cls_result *r)
{
	/* the flow's counters: the classifier stops counting once it is final */
	uint32_t ps = f->payload_pkts[WW_DIR_TOSERVER], pc = f->payload_pkts[WW_DIR_TOCLIENT];
	uint32_t bytes = r->payload_bytes[WW_DIR_TOSERVER] + r->payload_bytes[WW_DIR_TOCLIENT];
	if (bytes < UNIDENT_MIN_BYTES)
		return false;
	if (f->key.proto == WW_IPPROTO_TCP)
		return (f->tcp & WW_TCPS_SYN_C) && ps > 0 && pc > 0;
	return pc > 0 || ps >= UNIDENT_MIN_UDP_PKTS;
}

/* True when the comma-separated ALPN list holds `id` as one of its names. */
static bool alpn_has(const char *list, const char *id)
{
	size_t l = strlen(id);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == l && memcmp(p, id, l) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/*
 * TLS from the first byte on a port whose protocol must greet or ask in
 * plaintext first (ww_ports_plaintext_first()): another service on the
 * port. Only when we saw the client's SYN, so the first payload we saw is
 * the stream's first (a capture that began after the upgrade sees TLS
 * first too), and not when the protocol's own rules allow direct TLS
 * there (its ALPN id: PostgreSQL 17, XEP-0368). Fills `a` and returns
 * true when it alerts.
 */
static bool tls_without_upgrade(const struct ww_flow *f, const struct ww_cls_result *r, uint16_t sport,
				ww_time_t ts, struct ww_alert *a)
{
	const char *alpn_ok, *how;
	if (r->proto != ww_cls_proto_id("tls") || !r->tls_first || !(f->tcp & WW_TCPS_SYN_C))
		return false;
	const char *plain = ww_ports_plaintext_first(sport, f->key.proto, &alpn_ok, &how);
	if (!plain || (alpn_ok && alpn_has(r->alpn, alpn_ok)))
		return false;
	ww_alert_init(a, WW_ALERT_PORT_UNEXPECTED, WW_SEV_MEDIUM, ts);
	a->flow = f;
	/* the evidence names the port's protocol only when it is one we detect */
	fill_evidence(a, f, r, "tls", ww_cls_detects(plain) ? plain : NULL, true);
	snprintf(a->ev.rule, sizeof(a->ev.rule), "TLS without STARTTLS");
	char up[16];
	snprintf(a->message, sizeof(a->message),
		 "TLS from the first byte on TCP port %u, where %s speaks in plaintext first and upgrades "
		 "with %s; TLS without STARTTLS there is another service on the port.",
		 sport, upper(plain, up, sizeof(up)), how);
	return true;
}

int ww_judge_port(const struct ww_flow *f, const struct ww_cls_result *r, ww_time_t ts,
		       struct ww_alert *out, int max)
{
	if (!f || !r || max <= 0)
		return 0;
	uint8_t l4 = f->key.proto;
	if (l4 != WW_IPPROTO_TCP && l4 != WW_IPPROTO_UDP)
		return 0;
	uint16_t sport = ww_flow_server_port(f), cport = ww_flow_client_port(f);
	const char *l4name = l4 == WW_IPPROTO_TCP ? "TCP" : "UDP";
	enum ww_app_by by = r->by;
	const char *app = ww_cls_proto_name(r->proto);
	const char *port_proto = ww_ports_protocol_of(sport, l4);
	char ua[16], up[16], plist[48];
	struct ww_alert *a = out;

	if (by == WW_APP_BY_PAYLOAD && tls_without_upgrade(f, r, sport, ts, a))
		return 1;
	if (by == WW_APP_BY_PAYLOAD) {
		if (ww_ports_is_standard(app, sport, l4) || ww_ports_is_standard(app, cport, l4))
			return 0;
		if (strcmp(app, "dns") == 0 && dnscrypt_cert_query(f, r))
			return 0;
		bool high = in_list(app, high_protos);
		if (port_proto && strcmp(port_proto, app) != 0) {
			ww_alert_init(a, WW_ALERT_PORT_UNEXPECTED, high ? WW_SEV_HIGH : WW_SEV_MEDIUM, ts);
			a->flow = f;
			fill_evidence(a, f, r, app, port_proto, true);
			char pp[16];
			snprintf(a->message, sizeof(a->message),
				 "%s seen on %s port %u, which is known for %s; a protocol hiding behind another's "
				 "well-known port slips past port-based filtering and monitoring.",
				 upper(app, ua, sizeof(ua)), l4name, sport, upper(port_proto, pp, sizeof(pp)));
			return 1;
		}
		if (in_list(app, roaming_protos))
			return 0;
		enum ww_severity sev = high ? WW_SEV_HIGH : in_list(app, low_protos) ? WW_SEV_LOW : WW_SEV_MEDIUM;
		ww_alert_init(a, WW_ALERT_PORT_NONSTANDARD, sev, ts);
		a->flow = f;
		fill_evidence(a, f, r, app, NULL, true);
		ports_text(a, plist, sizeof(plist));
		snprintf(a->message, sizeof(a->message),
			 "%s seen on %s port %u, not one of its standard ports (%s); services on odd ports "
			 "are a common sign of backdoors and command-and-control.",
			 upper(app, ua, sizeof(ua)), l4name, sport, plist);
		return 1;
	}

	/* unidentified: nothing proven, on a strict port whose detector said no */
	if (!port_proto || !ww_ports_is_strict(sport, l4) ||
	    !ww_cls_result_rejected(r, ww_cls_proto_id(port_proto)) ||
	    r->undecided || !enough_for_unidentified(f, r))
		return 0;
	ww_alert_init(a, WW_ALERT_PORT_UNIDENTIFIED, l4 == WW_IPPROTO_TCP ? WW_SEV_MEDIUM : WW_SEV_LOW, ts);
	a->flow = f;
	fill_evidence(a, f, r, NULL, port_proto, false);
	snprintf(a->message, sizeof(a->message),
		 "Payload on %s port %u does not look like %s and matches no protocol we know; something "
		 "else is using the port, which port-based rules would wrongly trust.",
		 l4name, sport, upper(port_proto, up, sizeof(up)));
	return 1;
}
