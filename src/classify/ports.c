/*
 * ports.c - standard ports per protocol, and service names.
 *
 * Standard ports live in a list of entries (protocol, port range, transport,
 * flags): the built-in ones below, then the user's. Queries go through
 * tables rebuilt from the list after every change: `owner` (index+1 of the
 * protocol the port is known for, 0 none) and `strict` (a flow that proves
 * nothing may be called unidentified), 65536 x 2 bytes each; per protocol a
 * 65536 x 2 bitmap of its standard ports and the sorted list of its known
 * ones. Later entries win, so a user line overrides the built-in owner of a
 * port. Every query is a short name lookup and a table read: the judge asks
 * for every classified flow.
 *
 * Service names: a 65536 x 2 table of uint16 indexes into a name list (the
 * first /etc/services line for a port wins, as getservbyport() does).
 *
 * All state is process-global, written at start-up and read-only after
 * (see ports.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "wirewho/ports.h"
#include "wirewho/classify.h"

#define F_KNOWN  0x1   /* the port is known for this protocol */
#define F_STRICT 0x2   /* payload that proves nothing here is unidentified */
#define L_TCP    0x1
#define L_UDP    0x2
#define L_BOTH   (L_TCP | L_UDP)

struct entry {
	const char *proto;
	uint16_t lo, hi;
	uint8_t l4;
	uint8_t flags;
};

/*
 * The built-in standard ports. Sources: IANA's registry, the protocols'
 * RFCs, and what real deployments use (alternative HTTP ports of proxies and
 * app servers; the STARTTLS ports where a mid-stream capture sees only TLS;
 * the ports of LLMNR and NetBIOS-NS, which carry the DNS format, belong to
 * those protocols, not to DNS). Strict ports are those
 * whose protocol speaks first in a way every implementation follows.
 */
static const struct entry builtin[] = {
	{ "http", 80, 80, L_TCP, F_KNOWN | F_STRICT },
	{ "http", 8080, 8080, L_TCP, F_KNOWN },
	{ "http", 8000, 8000, L_TCP, F_KNOWN },
	{ "http", 8008, 8008, L_TCP, F_KNOWN },
	{ "http", 8888, 8888, L_TCP, F_KNOWN },
	{ "http", 81, 81, L_TCP, F_KNOWN },
	{ "http", 591, 591, L_TCP, F_KNOWN },
	{ "http", 3128, 3128, L_TCP, F_KNOWN },       /* Squid and other proxies */
	{ "http", 8081, 8081, L_TCP, F_KNOWN },
	{ "http", 8088, 8088, L_TCP, F_KNOWN },
	{ "http", 8118, 8118, L_TCP, F_KNOWN },       /* Privoxy */
	{ "http", 631, 631, L_TCP, 0 },               /* IPP is HTTP (RFC 8010) */
	{ "http", 2869, 2869, L_TCP, 0 },             /* UPnP eventing */
	{ "http", 5357, 5357, L_TCP, 0 },             /* WS-Discovery */
	{ "http", 5985, 5985, L_TCP, 0 },             /* WinRM over HTTP */
	{ "tls", 443, 443, L_TCP, F_KNOWN | F_STRICT },
	{ "tls", 8443, 8443, L_TCP, F_KNOWN },
	{ "tls", 465, 465, L_TCP, F_KNOWN },          /* submissions, RFC 8314 */
	{ "tls", 563, 563, L_TCP, F_KNOWN },          /* nntps */
	{ "tls", 636, 636, L_TCP, F_KNOWN },          /* ldaps */
	{ "tls", 853, 853, L_TCP, F_KNOWN },          /* DNS over TLS, RFC 7858 */
	{ "tls", 989, 990, L_TCP, F_KNOWN },          /* ftps */
	{ "tls", 992, 995, L_TCP, F_KNOWN },          /* telnets, imaps, ircs, pop3s */
	{ "tls", 3269, 3269, L_TCP, F_KNOWN },        /* LDAP global catalog over TLS */
	{ "tls", 2083, 2083, L_TCP, 0 },              /* cPanel/WHM/webmail over TLS */
	{ "tls", 2087, 2087, L_TCP, 0 },
	{ "tls", 2096, 2096, L_TCP, 0 },
	{ "tls", 4443, 4443, L_TCP, 0 },
	{ "tls", 5228, 5228, L_TCP, 0 },              /* Google push (FCM) */
	{ "tls", 8531, 8531, L_TCP, 0 },              /* WSUS over TLS */
	{ "tls", 5061, 5061, L_TCP, F_KNOWN },        /* SIP over TLS */
	{ "tls", 5223, 5223, L_TCP, F_KNOWN },        /* XMPP legacy TLS, APNs */
	{ "tls", 5986, 5986, L_TCP, F_KNOWN },        /* WinRM over HTTPS */
	{ "tls", 6697, 6697, L_TCP, F_KNOWN },        /* IRC over TLS, RFC 7194 */
	{ "tls", 8883, 8883, L_TCP, F_KNOWN },        /* MQTT over TLS */
	{ "tls", 9443, 9443, L_TCP, 0 },
	{ "tls", 10443, 10443, L_TCP, 0 },
	/* STARTTLS and in-protocol upgrades: TLS seen mid-stream is fine here */
	{ "tls", 21, 21, L_TCP, 0 },
	{ "tls", 25, 25, L_TCP, 0 },
	{ "tls", 110, 110, L_TCP, 0 },
	{ "tls", 119, 119, L_TCP, 0 },
	{ "tls", 143, 143, L_TCP, 0 },
	{ "tls", 389, 389, L_TCP, 0 },
	{ "tls", 587, 587, L_TCP, 0 },
	{ "tls", 1433, 1433, L_TCP, 0 },
	{ "tls", 3306, 3306, L_TCP, 0 },
	{ "tls", 3389, 3389, L_TCP, 0 },              /* RDP switches to TLS after X.224 */
	{ "tls", 4190, 4190, L_TCP, 0 },
	{ "tls", 5222, 5222, L_TCP, 0 },
	{ "tls", 5269, 5269, L_TCP, 0 },
	{ "tls", 5432, 5432, L_TCP, 0 },
	{ "ssh", 22, 22, L_TCP, F_KNOWN | F_STRICT },
	{ "ssh", 830, 830, L_TCP, F_KNOWN },          /* NETCONF over SSH, RFC 6242 */
	{ "dns", 53, 53, L_BOTH, F_KNOWN | F_STRICT },
	{ "mdns", 5353, 5353, L_UDP, F_KNOWN },
	{ "quic", 443, 443, L_UDP, F_KNOWN },
	{ "quic", 80, 80, L_UDP, 0 },
	{ "quic", 853, 853, L_UDP, F_KNOWN },         /* DNS over QUIC, RFC 9250 */
	{ "quic", 8443, 8443, L_UDP, 0 },
	{ "smtp", 25, 25, L_TCP, F_KNOWN | F_STRICT },
	{ "smtp", 587, 587, L_TCP, F_KNOWN | F_STRICT },
	{ "smtp", 2525, 2525, L_TCP, F_KNOWN },
	{ "smtp", 24, 24, L_TCP, F_KNOWN },           /* LMTP */
	{ "ftp", 21, 21, L_TCP, F_KNOWN | F_STRICT },
	{ "ftp", 2121, 2121, L_TCP, 0 },
	{ "pop3", 110, 110, L_TCP, F_KNOWN | F_STRICT },
	{ "imap", 143, 143, L_TCP, F_KNOWN | F_STRICT },
	{ "imap", 220, 220, L_TCP, F_KNOWN },
	{ "rdp", 3389, 3389, L_TCP, F_KNOWN | F_STRICT },
	{ "smb", 445, 445, L_TCP, F_KNOWN | F_STRICT },
	{ "smb", 139, 139, L_TCP, F_KNOWN },
	{ "ntp", 123, 123, L_UDP, F_KNOWN | F_STRICT },
	{ "sip", 5060, 5060, L_BOTH, F_KNOWN },
	{ "sip", 5080, 5080, L_BOTH, 0 },
	{ "dhcp", 67, 68, L_UDP, F_KNOWN },
	{ "snmp", 161, 162, L_UDP, F_KNOWN },
	{ "bittorrent", 6881, 6889, L_BOTH, F_KNOWN },
	{ "bittorrent", 6969, 6969, L_TCP, 0 },
	{ "irc", 6660, 6669, L_TCP, F_KNOWN },
	{ "irc", 194, 194, L_TCP, F_KNOWN },
	{ "irc", 7000, 7000, L_TCP, 0 },
	{ "socks", 1080, 1080, L_TCP, F_KNOWN },
	{ "socks", 9050, 9050, L_TCP, F_KNOWN },      /* Tor's SOCKS port */
	{ "socks", 9150, 9150, L_TCP, F_KNOWN },      /* Tor Browser */
	{ "redis", 6379, 6380, L_TCP, F_KNOWN },
	{ "mysql", 3306, 3306, L_TCP, F_KNOWN },
	{ "postgresql", 5432, 5432, L_TCP, F_KNOWN },
	{ "telnet", 23, 23, L_TCP, F_KNOWN },
	{ "telnet", 2323, 2323, L_TCP, 0 },
	{ "ldap", 389, 389, L_BOTH, F_KNOWN },        /* LDAP and CLDAP, RFC 4511, RFC 1798 */
	{ "ldap", 3268, 3268, L_TCP, F_KNOWN },       /* Active Directory global catalog */
	{ "xmpp", 5222, 5222, L_TCP, F_KNOWN },       /* client to server, RFC 6120 */
	{ "xmpp", 5269, 5269, L_TCP, F_KNOWN },       /* server to server */
	{ "kerberos", 88, 88, L_BOTH, F_KNOWN },      /* RFC 4120 §7.2 */
	{ "syslog", 514, 514, L_UDP, F_KNOWN },       /* RFC 5426 */
	{ "syslog", 514, 514, L_TCP, F_KNOWN },       /* IANA's "shell", but what rsyslog and syslog-ng use for TCP */
	{ "syslog", 601, 601, L_TCP, F_KNOWN },       /* syslog-conn (RFC 3195's port; RFC 6587 senders) */
	{ "dtls", 6514, 6514, L_UDP, F_KNOWN },       /* syslog over DTLS, RFC 6012 */
	{ "dcerpc", 135, 135, L_BOTH, F_KNOWN },      /* the endpoint mapper (epmap) */
	{ "mqtt", 1883, 1883, L_TCP, F_KNOWN },       /* IANA, MQTT 3.1.1 §4.2 */
	{ "stun", 3478, 3478, L_BOTH, F_KNOWN },      /* STUN and TURN, RFC 8489 §9 */
	{ "stun", 19302, 19309, L_UDP, F_KNOWN },     /* Google's public STUN servers */
	{ "dtls", 5349, 5349, L_UDP, F_KNOWN },       /* STUN/TURN over DTLS, RFC 7350 */
	{ "dtls", 5684, 5684, L_UDP, F_KNOWN },       /* CoAP over DTLS, RFC 7252 */
	{ "dtls", 4433, 4433, L_UDP, 0 },             /* OpenSSL's s_server default */
	{ "ssdp", 1900, 1900, L_UDP, F_KNOWN },
	{ "wireguard", 51820, 51820, L_UDP, F_KNOWN }, /* wg-quick's default ListenPort */
	{ "openvpn", 1194, 1194, L_BOTH, F_KNOWN },
	{ "ipsec", 500, 500, L_UDP, F_KNOWN },        /* IKE, RFC 7296 §2 */
	{ "ipsec", 4500, 4500, L_UDP, F_KNOWN },      /* IKE and ESP behind NAT, RFC 3948 */
	{ "modbus", 502, 502, L_TCP, F_KNOWN },
	{ "llmnr", 5355, 5355, L_BOTH, F_KNOWN },     /* RFC 4795 */
	{ "netbios", 137, 138, L_UDP, F_KNOWN },      /* name and datagram services, RFC 1002 */
	{ "rtsp", 554, 554, L_TCP, F_KNOWN },         /* RFC 2326 */
	{ "rtsp", 8554, 8554, L_TCP, F_KNOWN },       /* the usual unprivileged alternative */
};

#define MAX_ENTRIES 1024   /* built-in + user lines; a user file is a few dozen */
#define MAX_NAMES   64     /* distinct protocol names: only detected ones (~40) are allowed */
#define MAX_KNOWN   64     /* known ports listed per protocol and transport (alerts show 16) */

static struct entry entries[MAX_ENTRIES];
static int n_entries;
static bool tables_ready;
static const char *owner_name[MAX_NAMES];
static int n_owner_names;
static uint8_t owner[2][65536];           /* [udp?][port] -> owner_name index + 1 */
static uint8_t strict[2][65536];
/* Per protocol: a bitmap of its standard ports and the sorted list of the
 * ports it is known on, so the per-flow queries are a name lookup and a bit
 * test (the judge asks for every classified flow). */
static uint8_t std_bits[MAX_NAMES][2][65536 / 8];
static uint16_t known[MAX_NAMES][2][MAX_KNOWN];
static uint8_t n_known[MAX_NAMES][2];

static int l4_index(uint8_t ipproto)
{
	return ipproto == WW_IPPROTO_UDP ? 1 : 0;
}

static uint8_t l4_bit(uint8_t ipproto)
{
	return ipproto == WW_IPPROTO_UDP ? L_UDP : ipproto == WW_IPPROTO_TCP ? L_TCP : 0;
}

static int name_index(const char *proto)
{
	for (int i = 0; i < n_owner_names; i++)
		if (strcmp(owner_name[i], proto) == 0)
			return i;
	if (n_owner_names >= MAX_NAMES)
		return -1;
	owner_name[n_owner_names] = proto;
	return n_owner_names++;
}

/* True when an entry marks port p known for protocol ni (its owner may be
 * another protocol that a later entry gave the port to). */
static bool known_elsewhere(int ni, int t, uint32_t p)
{
	for (int i = 0; i < n_entries; i++) {
		const struct entry *e = &entries[i];
		if ((e->flags & F_KNOWN) && (e->l4 & (t ? L_UDP : L_TCP)) && p >= e->lo && p <= e->hi &&
		    strcmp(e->proto, owner_name[ni]) == 0)
			return true;
	}
	return false;
}

static void rebuild(void)
{
	memset(owner, 0, sizeof(owner));
	memset(strict, 0, sizeof(strict));
	memset(std_bits, 0, sizeof(std_bits));
	memset(n_known, 0, sizeof(n_known));
	n_owner_names = 0;
	for (int i = 0; i < n_entries; i++) {
		const struct entry *e = &entries[i];
		int ni = name_index(e->proto);
		if (ni < 0)
			continue;
		for (int t = 0; t < 2; t++) {
			if (!(e->l4 & (t ? L_UDP : L_TCP)))
				continue;
			for (uint32_t p = e->lo; p <= e->hi; p++) {
				if (e->flags & F_KNOWN)
					owner[t][p] = (uint8_t)(ni + 1);
				strict[t][p] = (e->flags & F_STRICT) ? 1 : 0;
				std_bits[ni][t][p >> 3] |= (uint8_t)(1u << (p & 7));
			}
		}
	}
	/* known ports, ascending: walk the bitmaps of known entries. Every such
	 * port has its standard bit set, so a zero byte skips eight ports (this
	 * runs at every start: 65536 ports x protocols x 2 one by one was ~10 ms). */
	for (int ni = 0; ni < n_owner_names; ni++)
		for (int t = 0; t < 2; t++)
			for (uint32_t p = 0; p < 65536 && n_known[ni][t] < MAX_KNOWN; p++) {
				if ((p & 7) == 0 && std_bits[ni][t][p >> 3] == 0) {
					p += 7;
					continue;
				}
				if (owner[t][p] == ni + 1 || (std_bits[ni][t][p >> 3] & (1u << (p & 7)) && known_elsewhere(ni, t, p)))
					known[ni][t][n_known[ni][t]++] = (uint16_t)p;
			}
	tables_ready = true;
}

static void ensure(void)
{
	if (tables_ready)
		return;
	n_entries = (int)WW_ARRAY_SIZE(builtin);
	memcpy(entries, builtin, sizeof(builtin));
	rebuild();
}

/* Index of a protocol name in the tables, or -1. */
static int find_name(const char *proto)
{
	for (int i = 0; i < n_owner_names; i++)
		if (owner_name[i][0] == proto[0] && strcmp(owner_name[i], proto) == 0)
			return i;
	return -1;
}

bool ww_ports_is_standard(const char *proto, uint16_t port, uint8_t ipproto)
{
	ensure();
	if (!proto || !l4_bit(ipproto))
		return false;
	int ni = find_name(proto);
	return ni >= 0 && (std_bits[ni][l4_index(ipproto)][port >> 3] & (1u << (port & 7)));
}

const char *ww_ports_protocol_of(uint16_t port, uint8_t ipproto)
{
	ensure();
	if (!l4_bit(ipproto))
		return NULL;
	uint8_t o = owner[l4_index(ipproto)][port];
	return o ? owner_name[o - 1] : NULL;
}

bool ww_ports_is_strict(uint16_t port, uint8_t ipproto)
{
	ensure();
	return l4_bit(ipproto) && strict[l4_index(ipproto)][port];
}

int ww_ports_standard_list(const char *proto, uint8_t ipproto, uint16_t *out, int max)
{
	ensure();
	if (!proto || !l4_bit(ipproto) || max <= 0)
		return 0;
	int ni = find_name(proto);
	if (ni < 0)
		return 0;
	int t = l4_index(ipproto), n = n_known[ni][t] < max ? n_known[ni][t] : max;
	memcpy(out, known[ni][t], (size_t)n * sizeof(*out));
	return n;
}

/* ---- plaintext before TLS ---- */

/*
 * Ports whose protocol must speak in plaintext before any TLS: the
 * server's greeting or the client's first message comes first, and TLS
 * only after the protocol's own upgrade. TLS from the first byte there is
 * not that protocol but another service on its port. The implicit-TLS
 * ports (465, 993, 995, 636, 563, 990, 5223) are not here: TLS first is
 * their design (RFC 8314). Nor is 1433: TDS 8.0 (SQL Server 2022's strict
 * encryption) opens with TLS. `alpn` is the ALPN protocol id with which
 * the protocol's own specification allows TLS first on the same port.
 */
static const struct {
	uint16_t port;
	const char *proto;      /* lowercase; a detected protocol's own name where there is one */
	const char *alpn;       /* direct TLS allowed with this ALPN id, or NULL */
	const char *upgrade;    /* how the protocol upgrades, for the alert's text */
} plain_first[] = {
	{ 21, "ftp", NULL, "AUTH TLS, RFC 4217" },
	{ 25, "smtp", NULL, "STARTTLS, RFC 3207" },
	{ 110, "pop3", NULL, "STLS, RFC 2595" },
	{ 119, "nntp", NULL, "STARTTLS, RFC 4642" },
	{ 143, "imap", NULL, "STARTTLS, RFC 2595" },
	{ 389, "ldap", NULL, "the StartTLS extended operation, RFC 4511" },
	{ 587, "smtp", NULL, "STARTTLS, RFC 3207" },
	{ 3306, "mysql", NULL, "an SSL request after the server's greeting" },
	{ 3389, "rdp", NULL, "an X.224 connection request that negotiates TLS" },
	{ 4190, "sieve", NULL, "STARTTLS, RFC 5804" },
	{ 5222, "xmpp", "xmpp-client", "<starttls/>, RFC 6120" },        /* XEP-0368 direct TLS names its ALPN */
	{ 5269, "xmpp", "xmpp-server", "<starttls/>, RFC 6120" },
	{ 5432, "postgresql", "postgresql", "an SSLRequest answered 'S'" }, /* PostgreSQL 17 direct TLS */
};

const char *ww_ports_plaintext_first(uint16_t port, uint8_t ipproto, const char **alpn, const char **upgrade)
{
	if (alpn)
		*alpn = NULL;
	if (upgrade)
		*upgrade = NULL;
	if (ipproto != WW_IPPROTO_TCP)
		return NULL;
	/* a user line that made the port TLS's says TLS first is right there */
	const char *own = ww_ports_protocol_of(port, ipproto);
	if (own && strcmp(own, "tls") == 0)
		return NULL;
	for (size_t i = 0; i < WW_ARRAY_SIZE(plain_first); i++)
		if (plain_first[i].port == port) {
			if (alpn)
				*alpn = plain_first[i].alpn;
			if (upgrade)
				*upgrade = plain_first[i].upgrade;
			return plain_first[i].proto;
		}
	return NULL;
}

/* ---- reading files ---- */

/*
 * Both files are read a line at a time through read_line(), which bounds
 * what it reads while reading: a line longer than its buffer, a NUL byte
 * (neither file is binary, and fgets() would hide the rest of the line
 * behind it: /dev/zero read so is an endless run of empty lines) and a
 * file larger than a real one could be are errors, found after at most
 * max_total bytes, as is a read error. A user's ports file is a few dozen
 * lines; Debian's /etc/services is 13 KB and every services file we know
 * is under 1 MB.
 */
#define PORTS_LINE_MAX 1024         /* bytes of a ports file line, its newline included */
#define PORTS_FILE_MAX (1u << 20)   /* 1 MiB: ~30,000 lines of port lists */
#define SVC_LINE_MAX   1024
#define SVC_FILE_MAX   (16u << 20)  /* 16 MiB: ten times IANA's whole registry as services lines */

enum { RL_EOF = 0, RL_LINE = 1 };

/*
 * Read one line of fp into buf[cap] without its newline, NUL-terminated,
 * its length in *len. *total counts the file's bytes so far. Returns
 * RL_LINE, RL_EOF, -E2BIG when the line does not fit, -EINVAL at a NUL
 * byte, -EFBIG past max_total bytes, -EIO on a read error (errno then
 * says why).
 */
static int read_line(FILE *fp, char *buf, size_t cap, size_t *len, size_t *total, size_t max_total)
{
	size_t n = 0;
	int ch;
	*len = 0;
	while ((ch = getc(fp)) != EOF) {
		if (++*total > max_total)
			return -EFBIG;
		if (ch == '\n')
			break;
		if (ch == '\0') {
			*len = n;
			return -EINVAL;
		}
		if (n + 2 > cap) {   /* room for this byte and the terminator */
			*len = n;
			return -E2BIG;
		}
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	*len = n;
	if (ch == EOF) {
		if (ferror(fp))
			return -EIO;
		if (n == 0)
			return RL_EOF;
	}
	return RL_LINE;
}

/* ---- user file ---- */

static int fail(char *err, size_t errsz, const char *path, int line, int col, const char *why)
{
	snprintf(err, errsz, "%s:%d:%d: %s", path, line, col, why);
	return -EINVAL;
}

/* Which transports a protocol uses when a user line does not say. */
static uint8_t default_l4(const char *proto)
{
	static const char *const udp_only[] = { "mdns", "quic", "ntp", "dhcp", "snmp", "dtls", "ssdp",
						  "wireguard", "ipsec", "netbios", NULL };
	static const char *const both[] = { "dns", "sip", "bittorrent", "ldap", "kerberos", "syslog",
					    "dcerpc", "stun", "openvpn", "llmnr", NULL };
	for (int i = 0; udp_only[i]; i++)
		if (strcmp(proto, udp_only[i]) == 0)
			return L_UDP;
	for (int i = 0; both[i]; i++)
		if (strcmp(proto, both[i]) == 0)
			return L_BOTH;
	return L_TCP;
}

static bool parse_port(const char **s, uint32_t *v)
{
	const char *p = *s;
	uint32_t x = 0;
	int d = 0;
	while (*p >= '0' && *p <= '9' && d < 6) {
		x = x * 10 + (uint32_t)(*p - '0');
		p++;
		d++;
	}
	if (d == 0 || d >= 6 || x > 65535)
		return false;
	*s = p;
	*v = x;
	return true;
}

int ww_ports_load_user(const char *path, char *err, size_t errsz)
{
	ensure();
	FILE *fp = fopen(path, "re");
	if (!fp) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	/* Build into copies so a bad file applies nothing. */
	static struct entry work[MAX_ENTRIES];
	int nw = n_entries, ret = 0, lineno = 0;
	memcpy(work, entries, sizeof(entries[0]) * (size_t)n_entries);
	char line[PORTS_LINE_MAX];
	size_t ll, total = 0;
	int rl;
	while ((rl = read_line(fp, line, sizeof(line), &ll, &total, PORTS_FILE_MAX)) != RL_EOF) {
		lineno++;
		if (rl == -E2BIG) {
			ret = fail(err, errsz, path, lineno, (int)ll + 1, "line too long");
			goto out;
		}
		if (rl == -EINVAL) {
			ret = fail(err, errsz, path, lineno, (int)ll + 1, "NUL byte: not a text file");
			goto out;
		}
		if (rl == -EFBIG) {
			ret = -EFBIG;
			snprintf(err, errsz, "%s: larger than %u bytes: not a ports file", path, PORTS_FILE_MAX);
			goto out;
		}
		if (rl == -EIO) {
			int e = errno ? errno : EIO;
			ret = -EIO;
			snprintf(err, errsz, "%s: read error: %s", path, strerror(e));
			goto out;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n' || *p == '\r')
			continue;
		/* protocol name */
		const char *ns = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
			p++;
		size_t nl = (size_t)(p - ns);
		if (nl == 0 || nl >= 32 || (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')) {
			ret = fail(err, errsz, path, lineno, (int)(ns - line) + 1, "expected a lowercase protocol name");
			goto out;
		}
		char name[32];
		memcpy(name, ns, nl);
		name[nl] = '\0';
		if (!ww_cls_detects(name)) {
			char why[96];
			snprintf(why, sizeof(why), "unknown protocol \"%s\"", name);
			ret = fail(err, errsz, path, lineno, (int)(ns - line) + 1, why);
			goto out;
		}
		/* every detected protocol has built-in entries: point at that literal */
		const char *stored = NULL;
		for (size_t i = 0; i < WW_ARRAY_SIZE(builtin) && !stored; i++)
			if (strcmp(builtin[i].proto, name) == 0)
				stored = builtin[i].proto;
		if (!stored) {
			ret = fail(err, errsz, path, lineno, (int)(ns - line) + 1, "protocol has no port table");
			goto out;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '=') {
			/* replace: drop every entry of this protocol so far */
			int k = 0;
			for (int i = 0; i < nw; i++)
				if (strcmp(work[i].proto, name) != 0)
					work[k++] = work[i];
			nw = k;
			p++;
		}
		int specs = 0;
		for (;;) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0' || *p == '\n' || *p == '\r')
				break;
			const char *ss = p;
			uint32_t lo, hi;
			if (!parse_port(&p, &lo)) {
				ret = fail(err, errsz, path, lineno, (int)(ss - line) + 1, "expected a port number 0-65535");
				goto out;
			}
			hi = lo;
			if (*p == '-') {
				p++;
				const char *hs = p;
				if (!parse_port(&p, &hi) || hi < lo) {
					ret = fail(err, errsz, path, lineno, (int)(hs - line) + 1, "expected the end of a port range, not below its start");
					goto out;
				}
			}
			uint8_t l4 = default_l4(name);
			if (*p == '/') {
				const char *ts = ++p;
				if (strncmp(p, "tcp", 3) == 0) {
					l4 = L_TCP;
					p += 3;
				} else if (strncmp(p, "udp", 3) == 0) {
					l4 = L_UDP;
					p += 3;
				} else {
					ret = fail(err, errsz, path, lineno, (int)(ts - line) + 1, "expected tcp or udp after '/'");
					goto out;
				}
			}
			if (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
				ret = fail(err, errsz, path, lineno, (int)(p - line) + 1, "unexpected character in a port list");
				goto out;
			}
			if (nw >= MAX_ENTRIES) {
				ret = fail(err, errsz, path, lineno, (int)(ss - line) + 1, "too many port entries");
				goto out;
			}
			work[nw++] = (struct entry){ stored, (uint16_t)lo, (uint16_t)hi, l4, F_KNOWN };
			specs++;
		}
		if (specs == 0) {
			ret = fail(err, errsz, path, lineno, (int)(p - line) + 1, "expected at least one port");
			goto out;
		}
	}
	memcpy(entries, work, sizeof(work[0]) * (size_t)nw);
	n_entries = nw;
	rebuild();
out:
	fclose(fp);
	return ret;
}

/* ---- services database ---- */

#define SVC_NAME_MAX 32

static char **svc_names;         /* owned copies */
static uint32_t svc_n, svc_cap;
static uint16_t svc[2][65536];   /* index + 1 into svc_names, 0 none */
static bool svc_loaded;          /* from a file */
static bool svc_ready;

/* The fallback when the database is missing: the names /etc/services
 * gives the ports an analyst meets most. */
static const struct { uint16_t port; uint8_t l4; const char *name; } svc_builtin[] = {
	{ 20, L_TCP, "ftp-data" }, { 21, L_TCP, "ftp" }, { 22, L_TCP, "ssh" },
	{ 23, L_TCP, "telnet" }, { 25, L_TCP, "smtp" }, { 53, L_BOTH, "domain" },
	{ 67, L_UDP, "bootps" }, { 68, L_UDP, "bootpc" }, { 69, L_UDP, "tftp" },
	{ 80, L_TCP, "http" }, { 88, L_BOTH, "kerberos" }, { 110, L_TCP, "pop3" },
	{ 111, L_BOTH, "sunrpc" }, { 119, L_TCP, "nntp" }, { 123, L_UDP, "ntp" },
	{ 135, L_TCP, "epmap" }, { 137, L_UDP, "netbios-ns" }, { 138, L_UDP, "netbios-dgm" },
	{ 139, L_TCP, "netbios-ssn" }, { 143, L_TCP, "imap2" }, { 161, L_BOTH, "snmp" },
	{ 162, L_BOTH, "snmp-trap" }, { 179, L_TCP, "bgp" }, { 389, L_BOTH, "ldap" },
	{ 443, L_BOTH, "https" }, { 445, L_TCP, "microsoft-ds" }, { 465, L_TCP, "submissions" },
	{ 500, L_UDP, "isakmp" }, { 514, L_UDP, "syslog" }, { 587, L_TCP, "submission" },
	{ 631, L_TCP, "ipp" }, { 636, L_TCP, "ldaps" }, { 853, L_TCP, "domain-s" },
	{ 993, L_TCP, "imaps" }, { 995, L_TCP, "pop3s" }, { 1080, L_TCP, "socks" },
	{ 1194, L_BOTH, "openvpn" }, { 1433, L_TCP, "ms-sql-s" }, { 1812, L_UDP, "radius" },
	{ 1900, L_UDP, "ssdp" }, { 3306, L_TCP, "mysql" }, { 3389, L_TCP, "ms-wbt-server" },
	{ 5060, L_BOTH, "sip" }, { 5061, L_BOTH, "sip-tls" }, { 5353, L_UDP, "mdns" },
	{ 5355, L_UDP, "llmnr" }, { 5432, L_TCP, "postgresql" }, { 6379, L_TCP, "redis" },
	{ 6667, L_TCP, "ircd" }, { 8080, L_TCP, "http-alt" }, { 9050, L_TCP, "tor-socks" },
};

static void svc_clear(void)
{
	for (uint32_t i = 0; i < svc_n; i++)
		free(svc_names[i]);
	free(svc_names);
	svc_names = NULL;
	svc_n = svc_cap = 0;
	memset(svc, 0, sizeof(svc));
	svc_loaded = false;
	svc_ready = false;
}

static void svc_builtin_fill(void)
{
	memset(svc, 0, sizeof(svc));
	for (size_t i = 0; i < WW_ARRAY_SIZE(svc_builtin); i++)
		for (int t = 0; t < 2; t++)
			if (svc_builtin[i].l4 & (t ? L_UDP : L_TCP))
				svc[t][svc_builtin[i].port] = (uint16_t)(i + 1);
	svc_ready = true;
}

const char *ww_ports_service(uint16_t port, uint8_t ipproto)
{
	if (!svc_ready)
		svc_builtin_fill();
	if (!l4_bit(ipproto))
		return NULL;
	uint16_t i = svc[l4_index(ipproto)][port];
	if (!i)
		return NULL;
	return svc_loaded ? svc_names[i - 1] : svc_builtin[i - 1].name;
}

bool ww_ports_services_from_file(void)
{
	return svc_loaded;
}

/* Intern a name; returns its index + 1, 0 on OOM or when the table is full. */
static uint16_t svc_intern(const char *name)
{
	for (uint32_t i = svc_n; i > 0; i--)   /* /etc/services repeats a name on consecutive lines */
		if (strcmp(svc_names[i - 1], name) == 0)
			return (uint16_t)i;
	if (svc_n >= 65535)
		return 0;
	if (svc_n == svc_cap) {
		uint32_t cap = svc_cap ? svc_cap * 2 : 256;
		char **nn = realloc(svc_names, cap * sizeof(*nn));
		if (!nn)
			return 0;
		svc_names = nn;
		svc_cap = cap;
	}
	char *s = strdup(name);
	if (!s)
		return 0;
	svc_names[svc_n++] = s;
	return (uint16_t)svc_n;
}

int ww_ports_load_services(const char *path)
{
	if (!path)
		path = WW_SERVICES_PATH;
	FILE *fp = fopen(path, "re");
	if (!fp) {
		int e = errno;
		svc_clear();
		svc_builtin_fill();
		return -e;
	}
	svc_clear();
	svc_loaded = true;
	svc_ready = true;
	char line[SVC_LINE_MAX];
	size_t ll, total = 0;
	int rl, ret = 0;
	while ((rl = read_line(fp, line, sizeof(line), &ll, &total, SVC_FILE_MAX)) != RL_EOF) {
		if (rl < 0) {
			ret = rl;   /* not a services database, or unreadable: none of it */
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char name[SVC_NAME_MAX + 1];
		unsigned port;
		char proto[8];
		/* "name  port/proto  aliases..." */
		if (sscanf(line, "%32s %u/%7[a-z]", name, &port, proto) != 3 || port > 65535)
			continue;
		int t;
		if (strcmp(proto, "tcp") == 0)
			t = 0;
		else if (strcmp(proto, "udp") == 0)
			t = 1;
		else
			continue;
		if (svc[t][port])
			continue;   /* the first entry wins, as getservbyport() */
		uint16_t idx = svc_intern(name);
		if (!idx && svc_n < 65535) {
			ret = -ENOMEM;
			break;
		}
		if (idx)
			svc[t][port] = idx;
	}
	fclose(fp);
	if (ret < 0) {
		svc_clear();
		svc_builtin_fill();
	}
	return ret;
}

void ww_ports_prepare(void)
{
	ensure();
	if (!svc_ready)
		svc_builtin_fill();
}

void ww_ports_reset(void)
{
	svc_clear();
	tables_ready = false;
	n_entries = 0;
}
