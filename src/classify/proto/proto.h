/*
 * proto.h - the private contract between the classifier (classify.c) and its
 * detectors (src/classify/proto/<name>.c, one protocol each).
 *
 * A detector is a pure function of a *view*: the first bytes of each
 * direction of the flow as far as the classifier has kept them (for TCP the
 * start of each byte stream, for UDP the current datagram in the direction
 * being fed and the first datagram of the other one), plus the ports and the
 * transport protocol. It keeps no state of its own, so the classifier may call
 * it again after each packet with a longer view, and the fuzzer can call it on
 * anything. A detector answers one of four verdicts:
 *
 *   WW_DET_NO    the bytes contradict the protocol; it is never asked again;
 *   WW_DET_NEED  consistent so far, but the bytes end before the proof does;
 *   WW_DET_WEAK  consistent and plausible, not conclusive (a bare "220 "
 *                banner is SMTP or FTP); taken only if nothing proves better;
 *   WW_DET_YES   proven: several fields or a full grammar line matched.
 *
 * Detectors never read past v->n[dir], never allocate, and are bounded by the
 * view length (which the classifier caps), so their cost is O(view).
 */
#ifndef WIREWHO_PROTO_H
#define WIREWHO_PROTO_H

#include "wirewho/common.h"

/* Protocol ids; the order is the tie-break order when two say YES at once
 * and neither owns the server port. */
enum ww_pid {
	WW_P_NONE = 0,
	WW_P_HTTP,
	WW_P_TLS,
	WW_P_SSH,
	WW_P_DNS,
	WW_P_MDNS,
	WW_P_QUIC,
	WW_P_SMTP,
	WW_P_FTP,
	WW_P_POP3,
	WW_P_IMAP,
	WW_P_RDP,
	WW_P_SMB,
	WW_P_NTP,
	WW_P_SIP,
	WW_P_DHCP,
	WW_P_SNMP,
	WW_P_BITTORRENT,
	WW_P_IRC,
	WW_P_SOCKS,
	WW_P_REDIS,
	WW_P_MYSQL,
	WW_P_PGSQL,
	WW_P_TELNET,
	WW_P_LDAP,
	WW_P_XMPP,
	WW_P_KERBEROS,
	WW_P_SYSLOG,
	WW_P_DCERPC,
	WW_P_MQTT,
	WW_P_STUN,
	WW_P_DTLS,
	WW_P_SSDP,
	WW_P_WIREGUARD,
	WW_P_OPENVPN,
	WW_P_IPSEC,
	WW_P_MODBUS,
	WW_P_LLMNR,
	WW_P_NETBIOS,
	WW_P_RTSP,
	WW_P_COUNT
};
_Static_assert(WW_P_COUNT <= 64, "candidate sets are 64-bit masks");

enum ww_det { WW_DET_NO = 0, WW_DET_NEED, WW_DET_WEAK, WW_DET_YES };

/* TLS evidence a detector may fill (only the TLS detector does). */
struct ww_tls_ev {
	char sni[WW_NAME_MAX];   /* raw bytes, NUL-terminated; may hold NULs of its own */
	uint16_t sni_len;        /* its length: the name is sni[0..sni_len), NULs and all */
	char alpn[WW_ALPN_MAX];
};

/* What a detector sees. Index 0 is to-server, 1 to-client (enum ww_dir). */
struct ww_pview {
	const uint8_t *d[2];    /* first bytes of each direction (NULL when none yet) */
	uint32_t n[2];          /* their lengths */
	bool full[2];           /* the classifier will keep no more bytes of this direction */
	uint8_t cur;            /* direction of the packet just fed */
	uint8_t first;          /* direction of the flow's first payload packet */
	uint8_t ipproto;        /* WW_IPPROTO_TCP or WW_IPPROTO_UDP */
	uint16_t sport;         /* server port */
	uint16_t cport;         /* client port */
	bool mcast_mdns;        /* an address is 224.0.0.251 or ff02::fb */
	struct ww_tls_ev *tls;  /* where the TLS detector writes SNI/ALPN, or NULL */
};

typedef enum ww_det (*ww_detect_fn)(const struct ww_pview *v);

#define WW_L4_TCP 0x1
#define WW_L4_UDP 0x2

struct ww_detector {
	const char *name;       /* lowercase, as app_proto prints it */
	uint8_t l4;             /* WW_L4_* it can run on */
	ww_detect_fn fn;
};

/* The registry, indexed by enum ww_pid (entry 0 unused). Defined in classify.c. */
extern const struct ww_detector ww_detectors[WW_P_COUNT];

/* The detectors, one file each. */
enum ww_det ww_detect_http(const struct ww_pview *v);
enum ww_det ww_detect_tls(const struct ww_pview *v);
enum ww_det ww_detect_ssh(const struct ww_pview *v);
enum ww_det ww_detect_dns(const struct ww_pview *v);
enum ww_det ww_detect_mdns(const struct ww_pview *v);
enum ww_det ww_detect_quic(const struct ww_pview *v);
enum ww_det ww_detect_smtp(const struct ww_pview *v);
enum ww_det ww_detect_ftp(const struct ww_pview *v);
enum ww_det ww_detect_pop3(const struct ww_pview *v);
enum ww_det ww_detect_imap(const struct ww_pview *v);
enum ww_det ww_detect_rdp(const struct ww_pview *v);
enum ww_det ww_detect_smb(const struct ww_pview *v);
enum ww_det ww_detect_ntp(const struct ww_pview *v);
enum ww_det ww_detect_sip(const struct ww_pview *v);
enum ww_det ww_detect_dhcp(const struct ww_pview *v);
enum ww_det ww_detect_snmp(const struct ww_pview *v);
enum ww_det ww_detect_bittorrent(const struct ww_pview *v);
enum ww_det ww_detect_irc(const struct ww_pview *v);
enum ww_det ww_detect_socks(const struct ww_pview *v);
enum ww_det ww_detect_redis(const struct ww_pview *v);
enum ww_det ww_detect_mysql(const struct ww_pview *v);
enum ww_det ww_detect_pgsql(const struct ww_pview *v);
enum ww_det ww_detect_telnet(const struct ww_pview *v);
enum ww_det ww_detect_ldap(const struct ww_pview *v);
enum ww_det ww_detect_xmpp(const struct ww_pview *v);
enum ww_det ww_detect_kerberos(const struct ww_pview *v);
enum ww_det ww_detect_syslog(const struct ww_pview *v);
enum ww_det ww_detect_dcerpc(const struct ww_pview *v);
enum ww_det ww_detect_mqtt(const struct ww_pview *v);
enum ww_det ww_detect_stun(const struct ww_pview *v);
enum ww_det ww_detect_dtls(const struct ww_pview *v);
enum ww_det ww_detect_ssdp(const struct ww_pview *v);
enum ww_det ww_detect_wireguard(const struct ww_pview *v);
enum ww_det ww_detect_openvpn(const struct ww_pview *v);
enum ww_det ww_detect_ipsec(const struct ww_pview *v);
enum ww_det ww_detect_modbus(const struct ww_pview *v);
enum ww_det ww_detect_llmnr(const struct ww_pview *v);
enum ww_det ww_detect_netbios(const struct ww_pview *v);
enum ww_det ww_detect_rtsp(const struct ww_pview *v);

/* The ports that belong to LLMNR (RFC 4795 §2) and NetBIOS name and
 * datagram services (RFC 1002 §4, §5): they carry the DNS message format
 * (name service) and are theirs, not DNS's (dns.c leaves them). */
#define WW_LLMNR_PORT 5355
#define WW_NBNS_PORT  137
#define WW_NBDS_PORT  138

/*
 * Shared by dns.c and mdns.c: validate a DNS message (RFC 1035 §4.1) of
 * `n` bytes. `mdns` relaxes what RFC 6762 §18 changes (several questions,
 * the unicast-response bit in qclass, responses without questions).
 * Returns a verdict: NEED when the message is cut before its first question
 * ends.
 */
enum ww_det ww_dns_message(const uint8_t *p, uint32_t n, bool mdns);

/*
 * One BER identifier and definite length (X.690 §8.1) at p[*i], for the
 * ASN.1 protocols (LDAP, Kerberos): single-byte tags only (every tag these
 * protocols use is below 31), lengths in at most 4 bytes. YES with *tag,
 * *len and *i past the header; NEED when the bytes end inside the header;
 * NO for a multi-byte tag, the indefinite form (which RFC 4511 §5.1 and
 * RFC 4120 §5.1 exclude: both are DER-like) or a longer length.
 */
static inline enum ww_det ww_ber_hdr(const uint8_t *p, uint32_t n, uint32_t *i, uint8_t *tag, uint32_t *len)
{
	if (*i >= n)
		return WW_DET_NEED;
	uint8_t t = p[*i];
	if ((t & 0x1f) == 0x1f)
		return WW_DET_NO;
	if (*i + 1 >= n)
		return WW_DET_NEED;
	uint8_t b = p[*i + 1];
	uint32_t j = *i + 2, l = b;
	if (b & 0x80) {
		uint32_t k = b & 0x7f;
		if (k == 0 || k > 4)
			return WW_DET_NO;
		if (j + k > n)
			return WW_DET_NEED;
		l = 0;
		for (uint32_t m = 0; m < k; m++)
			l = l << 8 | p[j + m];
		j += k;
	}
	*tag = t;
	*len = l;
	*i = j;
	return WW_DET_YES;
}

/* Small helpers. */
static inline uint16_t ww_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t ww_be24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }
static inline uint32_t ww_be32(const uint8_t *p)
{ return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline uint32_t ww_le24(const uint8_t *p) { return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; }

static inline bool ww_is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static inline bool ww_is_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
static inline bool ww_is_alpha(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
/* VCHAR (RFC 5234 B.1) */
static inline bool ww_is_vchar(uint8_t c) { return c >= 0x21 && c <= 0x7e; }
/* Text a line may carry: VCHAR, SP, HTAB and obs-text (UTF-8 bytes). */
static inline bool ww_is_text(uint8_t c) { return c >= 0x20 ? c != 0x7f : c == '\t'; }

/* Merge the verdicts of the two directions: proof in either wins, then a
 * contradiction, then weak, then need. */
static inline enum ww_det ww_det_merge(enum ww_det a, enum ww_det b)
{
	if (a == WW_DET_YES || b == WW_DET_YES)
		return WW_DET_YES;
	if (a == WW_DET_NO || b == WW_DET_NO)
		return WW_DET_NO;
	if (a == WW_DET_WEAK || b == WW_DET_WEAK)
		return WW_DET_WEAK;
	return WW_DET_NEED;
}

/*
 * Line helpers for the text protocols. ww_line_len() returns the length of
 * the first line of p[0..n) without its terminator and sets *complete when a
 * LF ended it (CRLF or a bare LF, RFC 9112 §2.2 tolerance); when no LF is in
 * the first `max` bytes it returns the bytes scanned and *complete = false.
 */
static inline uint32_t ww_line_len(const uint8_t *p, uint32_t n, uint32_t max, bool *complete)
{
	uint32_t lim = n < max ? n : max;
	const uint8_t *lf = memchr(p, '\n', lim);
	if (!lf) {
		*complete = false;
		return lim;
	}
	*complete = true;
	uint32_t l = (uint32_t)(lf - p);
	return (l > 0 && p[l - 1] == '\r') ? l - 1 : l;
}

/* Case-insensitive compare of p (at least len bytes) with an uppercase word. */
static inline bool ww_word_eq(const uint8_t *p, const char *upper, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 32);
		if (c != (uint8_t)upper[i])
			return false;
	}
	return true;
}

/*
 * Read the first word (letters only, up to 15) of a line as an uppercase
 * NUL-terminated string into w[16]; returns its length, 0 when the line does
 * not start with a letter or the word is longer than 15.
 */
static inline uint32_t ww_first_word(const uint8_t *p, uint32_t n, char w[16])
{
	uint32_t i = 0;
	while (i < n && i < 16 && ww_is_alpha(p[i])) {
		w[i] = (char)(p[i] & ~0x20);
		i++;
	}
	if (i == 0 || i == 16)
		return 0;
	w[i] = '\0';
	return i;
}

/* True when `w` is one of the NULL-terminated list. */
static inline bool ww_word_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (w[0] == (*list)[0] && strcmp(w, *list) == 0)
			return true;
	return false;
}

/*
 * A reply line of SMTP (RFC 5321 §4.2) and FTP (RFC 959 §4.2):
 * 3DIGIT (SP / "-") *text CRLF (a bare LF tolerated). YES with *code set when
 * a whole line is here, NEED when it is cut, NO on the first bad byte.
 * `text` and `tlen` return the text after the separator.
 */
#define WW_REPLY_LINE_MAX 512   /* RFC 5321 §4.5.3.1.5: reply lines are <= 512 octets */
static inline enum ww_det ww_reply_line(const uint8_t *p, uint32_t n, int *code,
					const uint8_t **text, uint32_t *tlen)
{
	for (uint32_t i = 0; i < 4; i++) {
		if (i >= n)
			return WW_DET_NEED;
		if (i < 3 ? !ww_is_digit(p[i]) : (p[i] != ' ' && p[i] != '-'))
			return WW_DET_NO;
	}
	*code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (p[0] < '1' || p[0] > '5')
		return WW_DET_NO;
	uint32_t i = 4;
	while (i < n && i < WW_REPLY_LINE_MAX && p[i] != '\r' && p[i] != '\n') {
		if (!ww_is_text(p[i]))
			return WW_DET_NO;
		i++;
	}
	if (i == n)
		return WW_DET_NEED;
	if (i >= WW_REPLY_LINE_MAX)
		return WW_DET_NO;
	*text = p + 4;
	*tlen = i - 4;
	if (p[i] == '\n')
		return WW_DET_YES;
	if (i + 1 >= n)
		return WW_DET_NEED;
	return p[i + 1] == '\n' ? WW_DET_YES : WW_DET_NO;
}

/* Case-insensitive search of an uppercase needle in s[0..n). */
static inline bool ww_has_word(const uint8_t *s, uint32_t n, const char *upper)
{
	uint32_t l = (uint32_t)strlen(upper);
	for (uint32_t i = 0; i + l <= n; i++)
		if (ww_word_eq(s + i, upper, l))
			return true;
	return false;
}

/* A line end at p[i]: LF or CRLF is YES, anything else NO, cut short NEED. */
static inline enum ww_det ww_eol_at(const uint8_t *p, uint32_t n, uint32_t i)
{
	if (i >= n)
		return WW_DET_NEED;
	if (p[i] == '\n')
		return WW_DET_YES;
	if (p[i] != '\r')
		return WW_DET_NO;
	if (i + 1 >= n)
		return WW_DET_NEED;
	return p[i + 1] == '\n' ? WW_DET_YES : WW_DET_NO;
}

/*
 * A client command line: WORD [SP args] CRLF, the word letters only. YES
 * with the uppercase word in w[16] and *args set when the line is complete
 * and all text; NEED when cut; NO otherwise.
 */
#define WW_CMD_LINE_MAX 512
static inline enum ww_det ww_cmd_line(const uint8_t *p, uint32_t n, char w[16], uint32_t *nargs)
{
	uint32_t i = 0;
	while (i < n && i < 16 && ww_is_alpha(p[i])) {
		w[i] = (char)(p[i] & ~0x20);
		i++;
	}
	if (i == n)
		return i < 16 ? WW_DET_NEED : WW_DET_NO;
	if (i == 0 || i >= 16)
		return WW_DET_NO;
	w[i] = '\0';
	uint32_t spaces = 0;
	bool arg = false;
	if (p[i] == ' ') {
		while (i < n && i < WW_CMD_LINE_MAX && p[i] != '\r' && p[i] != '\n') {
			if (!ww_is_text(p[i]))
				return WW_DET_NO;
			if (p[i] == ' ')
				spaces++;
			else
				arg = true;
			i++;
		}
		if (i >= WW_CMD_LINE_MAX)
			return WW_DET_NO;
	}
	if (i == n)
		return WW_DET_NEED;
	*nargs = arg ? spaces : 0;
	return ww_eol_at(p, n, i);
}

#endif
