/*
 * meta.h - what a flow says about "whom": the metadata object a flow
 * record points to once its payload named the other end: TLS (server name,
 * ALPN, version, JA3/JA3S/JA4), HTTP (method, Host, target, User-Agent,
 * status), DNS/mDNS (query, type, rcode, answers), SSH (both
 * identification strings), and the name passive DNS gave its server
 * address (pdns.h).
 *
 * Memory: struct ww_flow holds one pointer (ww_flow.meta), NULL for every
 * flow without metadata, so a flow that carries none costs what it cost
 * before. The object is compact: an 18-byte header (what was seen, the
 * small numbers) and the values packed behind it, each a tag, a length
 * and its bytes (struct ww_meta_field), allocated to their size: a TLS
 * flow with a 20-byte name and one ALPN value holds ~150 bytes, not the
 * 0.5-1 KB of fixed arrays that every value's largest size would take.
 * Values are bounded (WW_META_DATA_MAX together) and raw from the packet:
 * the writers escape them, and the text (JSON) is made only when the
 * record is written, from the packed bytes.
 *
 * Parsers: tlsmeta.c reads a ClientHello and a ServerHello (the TLS record
 * layer gathered, bounded) into struct ww_tls_meta; httpmeta.c, dnsmeta.c
 * and sshmeta.c the others, each into its fixed struct on the caller's
 * stack; meta.c packs what they found into the object and feeds it the
 * other side's first packets. They are pure functions of their bytes, so
 * the fuzzers (fuzz_tlsmeta, fuzz_meta) call them on anything.
 */
#ifndef WIREWHO_META_H
#define WIREWHO_META_H

#include "wirewho/common.h"

#define WW_TLSMETA_ALPN_MAX   8     /* ALPN values kept: clients offer 1-3 */
#define WW_TLSMETA_ALPN_BYTES 96    /* their bytes together; a value past this is dropped */
#define WW_JA3_LEN  32              /* MD5 in hex */
#define WW_JA4_LEN  36              /* "t13d1516h2_" + 12 + "_" + 12 */

/* ww_tls_meta.have bits */
#define WW_TLSMETA_CLIENT 0x01      /* a ClientHello was parsed: ja3, ja4, alpn, offered version */
#define WW_TLSMETA_SERVER 0x02      /* a ServerHello was parsed: ja3s, chosen version */

struct ww_tls_meta {
	uint8_t have;                         /* WW_TLSMETA_* */
	uint8_t alpn_n;                       /* ALPN values kept */
	uint8_t alpn_len[WW_TLSMETA_ALPN_MAX];/* each one's length in alpn */
	uint16_t client_version;              /* highest offered (supported_versions, else legacy) */
	uint16_t server_version;              /* chosen (supported_versions, else legacy) */
	char alpn[WW_TLSMETA_ALPN_BYTES];     /* the values back to back, raw bytes */
	char ja3[WW_JA3_LEN + 1];
	char ja3s[WW_JA3_LEN + 1];
	char ja4[WW_JA4_LEN + 1];
};

/* A bounded string from a packet: raw bytes (NULs and invalid UTF-8
 * included: the writers escape), its length; `cut` when it was longer. */
#define WW_META_STR_MAX 256
struct ww_meta_str {
	uint16_t len;
	uint8_t set, cut;
	char s[WW_META_STR_MAX];
};

/* HTTP: the first request's line and headers, the first response's status. */
struct ww_http_meta {
	struct ww_meta_str method, host, uri, user_agent;
	uint16_t status;                      /* 0: no response seen */
	uint8_t have_req;
};

/* DNS, mDNS, LLMNR: the first query and its answer. */
#define WW_DNSMETA_ANSWERS 8                  /* answers kept, the rest dropped */
#define WW_DNSMETA_ANSWER_MAX 64              /* an answer as text: an address or a cut name */
struct ww_dns_meta {
	struct ww_meta_str query;             /* the name asked, dotted */
	uint16_t qtype;
	uint16_t id;                          /* the query's, to match its answer */
	uint8_t have_query, have_answer;
	uint8_t rcode;
	uint8_t nanswers;
	uint8_t answer_len[WW_DNSMETA_ANSWERS];
	char answers[WW_DNSMETA_ANSWERS][WW_DNSMETA_ANSWER_MAX];
};

/* SSH: each side's identification string's software part. */
struct ww_ssh_meta {
	struct ww_meta_str client, server;
};

enum ww_meta_kind { WW_META_NONE = 0, WW_META_TLS, WW_META_HTTP, WW_META_DNS, WW_META_SSH };

/* What a packed value is (struct ww_meta_field.tag). ALPN and ANSWER repeat, in order. */
enum ww_meta_tag {
	WW_MT_SNI = 1, WW_MT_ALPN, WW_MT_JA4, WW_MT_JA3, WW_MT_JA3S,   /* TLS */
	WW_MT_METHOD, WW_MT_HOST, WW_MT_URI, WW_MT_UA,                 /* HTTP */
	WW_MT_QUERY, WW_MT_ANSWER,                                     /* DNS */
	WW_MT_SSH_CLIENT, WW_MT_SSH_SERVER,                            /* SSH */
	WW_MT_DNS_NAME,     /* the name an earlier DNS answer gave the server address (pdns.h) */
	WW_MT_DNS_PROC,     /* the process that asked it, when not the flow's: "comm[pid]" */
	WW_MT_COUNT
};

/* ww_meta.have bits */
#define WW_MH_TLS_CLIENT  0x01   /* a ClientHello was parsed: ja3, ja4, alpn, cver */
#define WW_MH_TLS_SERVER  0x02   /* a ServerHello was parsed: ja3s, sver */
#define WW_MH_HTTP_REQ    0x04   /* the request line was read */
#define WW_MH_DNS_QUERY   0x08   /* the question was read (qtype, dns_id) */
#define WW_MH_DNS_ANSWER  0x10   /* the answer was read (rcode) */
#define WW_MH_SSH_CLIENT  0x20
#define WW_MH_SSH_SERVER  0x40
#define WW_MH_TLS_QUIC    0x80   /* the ClientHello came in QUIC Initial packets */

/* Packed values together at most: HTTP's four 256-byte strings are the largest kind. */
#define WW_META_DATA_MAX 1280

struct ww_meta {
	uint8_t kind;        /* enum ww_meta_kind */
	uint8_t have;        /* WW_MH_* */
	uint8_t tcp;         /* the flow is TCP (DNS messages carry a length) */
	uint8_t rcode;       /* DNS: the response code (WW_MH_DNS_ANSWER) */
	uint8_t feeds;       /* the answering side's payload packets offered after settling */
	uint8_t others;      /* the asking side's, meanwhile */
	uint16_t cver, sver; /* TLS: highest version offered, the one chosen */
	uint16_t qtype;      /* DNS: the question's type */
	uint16_t dns_id;     /* DNS: the query's id, to match its answer */
	uint16_t status;     /* HTTP: the first response's status, 0: none seen */
	uint16_t len;        /* bytes of data used */
	uint8_t data[];      /* fields: tag(1) length(2, host order) bytes, back to back */
};
_Static_assert(sizeof(struct ww_meta) == 18, "the metadata header grew");

/* The object's whole size in bytes (header and values): what a copy takes. */
static inline size_t ww_meta_size(const struct ww_meta *m)
{
	return sizeof(*m) + m->len;
}

/*
 * Walk m's values: *off starts at 0; returns the next value's tag (its
 * bytes at *val, *len of them) and advances *off, or 0 at the end. Can't fail.
 */
static inline unsigned ww_meta_next(const struct ww_meta *m, uint32_t *off, const char **val, uint16_t *len)
{
	if (!m || *off + 3 > m->len)
		return 0;
	const uint8_t *p = m->data + *off;
	uint16_t l;
	memcpy(&l, p + 1, 2);
	*val = (const char *)p + 3;
	*len = l;
	*off += 3u + l;
	return p[0];
}

/* The first value of `tag` (its length at *len), NULL when m has none. Can't fail. */
const char *ww_meta_get(const struct ww_meta *m, unsigned tag, uint16_t *len);

/*
 * Append a value (tag, bytes) to *mp, growing it (NULL *mp: a new object
 * of kind NONE). Returns 0; -E2BIG when the object would pass
 * WW_META_DATA_MAX (the value is dropped, the object unchanged); -ENOMEM.
 */
int ww_meta_add(struct ww_meta **mp, unsigned tag, const void *val, size_t len);

/*
 * Append from's values to *into and free `from` (NULL: nothing; NULL
 * *into: *into becomes `from`). A value past the bound is dropped. Returns
 * 0, or -ENOMEM when a value was dropped for want of memory (the record
 * then lacks it: the caller reports it, #17.2).
 */
int ww_meta_merge(struct ww_meta **into, struct ww_meta *from);

/*
 * Whether any metadata allocation of this process failed (an object not
 * made, a value or an answer not kept): the records then lack what was
 * seen, and the run must end with exit 1, never a quiet 0 (#17.2). Sticky.
 * Can't fail.
 */
bool ww_meta_out_of_memory(void);

/* A zeroed metadata object of `kind` with no values, NULL when out of memory. */
struct ww_meta *ww_meta_new(enum ww_meta_kind kind);
/* Free `m` (NULL is fine). Can't fail. */
void ww_meta_free(struct ww_meta *m);

/*
 * The metadata of a flow whose protocol was just proven as `kind` (HTTP,
 * DNS, SSH), from the first bytes of each direction d[0] (to server) and
 * d[1] (to client), n[i] bytes each (0: none yet). Returns the object, or
 * NULL when the bytes name nothing or out of memory (meta.c).
 */
struct ww_meta *ww_meta_open(enum ww_meta_kind kind, const uint8_t *const d[2], const uint32_t n[2], bool tcp);

/*
 * The same for TLS: the detector's server name (sni_len bytes, NULs and
 * all; 0: none) and the hellos in d[0]/d[1]. NULL when there is nothing to
 * keep and nothing to wait for, or out of memory.
 */
struct ww_meta *ww_meta_open_tls(const char *sni, size_t sni_len, const uint8_t *const d[2], const uint32_t n[2],
				 bool tcp);

/*
 * Whether m still waits for the other side (the response, the answer, the
 * ServerHello, the other banner); ww_meta_wants_client() whether the
 * client's packets can still add anything (else a caller need not offer
 * them). Can't fail.
 */
bool ww_meta_wants(const struct ww_meta *m);
bool ww_meta_wants_client(const struct ww_meta *m);

/*
 * A payload packet of the flow after its answer settled, in direction
 * `dir` (0 to server, 1 to client), into *mp (which may move: values are
 * appended). Returns true when it wants nothing more (then it is not
 * called again). Bounded: a few packets at most. Out of memory: the value
 * is dropped.
 */
bool ww_meta_feed(struct ww_meta **mp, int dir, const uint8_t *p, uint32_t n);

/*
 * The server end's name: the TLS SNI, else the HTTP Host without its port,
 * else the name passive DNS gave (WW_MT_DNS_NAME); NULL when none. *by is
 * "sni", "http_host" or "dns", *len the name's bytes. Can't fail.
 */
const char *ww_meta_dst_name(const struct ww_meta *m, const char **by, size_t *len);

/* Parsers (httpmeta.c, dnsmeta.c, sshmeta.c): 0, or -EINVAL when the
 * bytes are not what they parse (m untouched or partly filled, never
 * beyond its bounds). */
int ww_httpmeta_request(struct ww_http_meta *h, const uint8_t *p, uint32_t n);
int ww_httpmeta_response(struct ww_http_meta *h, const uint8_t *p, uint32_t n);
/* One DNS message p[0..n) (over TCP: `tcp`, with its 2-byte length): a
 * query fills the question, a response its rcode and answers. */
int ww_dnsmeta_message(struct ww_dns_meta *d, const uint8_t *p, uint32_t n, bool tcp);
/* The DNS name at m[off] (message m[0..n)) as dotted text into out[0..cap)
 * (no NUL): its length, or -1 when malformed; *next is the offset after
 * it, *cut whether it was longer than cap. Compression pointers are
 * followed at most 16 times, only backwards. */
int ww_dnsmeta_name(const uint8_t *m, uint32_t n, uint32_t off, char *out, uint32_t cap, uint32_t *next, bool *cut);
/* "A", "AAAA", ... or NULL for a type without a name here (written as "TYPEn"). */
const char *ww_dnsmeta_type_name(uint16_t t);
/* "NOERROR", "NXDOMAIN", ...; NULL for another code. */
const char *ww_dnsmeta_rcode_name(uint8_t rc);
int ww_sshmeta_banner(struct ww_meta_str *out, const uint8_t *p, uint32_t n);

/*
 * Parse the ClientHello at the start of a TLS byte stream p[0..n) (records
 * of type 22 gathered, a hello split across records and cut at the view's
 * end read as far as it goes) into t: ja3, ja4 (`proto` is its first
 * character: 't' TCP, 'q' QUIC), ALPN values, offered version. Returns 0,
 * or -EINVAL when the bytes hold no ClientHello whose fixed fields and
 * cipher list are whole (t is then untouched), -ENOMEM when libcrypto
 * could not hash (its memory).
 */
int ww_tlsmeta_client_stream(struct ww_tls_meta *t, const uint8_t *p, uint32_t n);

/*
 * The same from one handshake message m[0..n) (type(1) length(3) body),
 * as QUIC's CRYPTO frames carry it. Returns 0, -EINVAL or -ENOMEM as above.
 */
int ww_tlsmeta_client_hello(struct ww_tls_meta *t, const uint8_t *m, uint32_t n, char proto);

/*
 * Parse the ServerHello at the start of the server's TLS byte stream
 * p[0..n) into t: ja3s and the chosen version. Returns 0, or -EINVAL when
 * no whole ServerHello is there (t untouched), -ENOMEM when libcrypto
 * could not hash.
 */
int ww_tlsmeta_server_stream(struct ww_tls_meta *t, const uint8_t *p, uint32_t n);

/*
 * The digests and ciphers of tlsmeta.c and quic.c, fetched once from a
 * library context of wirewho's own (see tlsmeta.c for why not libcrypto's
 * default one): libcrypto's EVP_MD / EVP_CIPHER (struct evp_md_st,
 * evp_cipher_st), NULL when out of memory (then for good). Thread-safe.
 */
enum { WW_CRYPTO_MD5, WW_CRYPTO_SHA256, WW_CRYPTO_AES128_ECB, WW_CRYPTO_AES128_GCM };
struct evp_md_st;
struct evp_cipher_st;
const struct evp_md_st *ww_tlsmeta_md(int which);
const struct evp_cipher_st *ww_tlsmeta_cipher(int which);

/*
 * Fetch the above and hash once with each digest the fingerprints use, so
 * that libcrypto's lazy set-up (its context, providers) happens on the
 * starting thread, and a failure of it is known there. 0, or -ENOMEM.
 */
int ww_tlsmeta_prepare(void);

/* --- QUIC Initial packets (quic.c) --- */

/* CRYPTO data kept from offset 0: a ClientHello with post-quantum key
 * shares is ~1.8 KB, split over two Initials; larger ones are not read. */
#define WW_QUIC_HELLO_MAX 8192

struct ww_quic_keys { uint8_t key[16], iv[12], hp[16]; };

/* The client's CRYPTO stream as its Initial packets gave it. */
struct ww_quic_hello {
	uint32_t version;                      /* of the last packet that opened */
	uint8_t buf[WW_QUIC_HELLO_MAX];
	uint8_t got[WW_QUIC_HELLO_MAX / 8];    /* which bytes of buf arrived */
};

/* The client's Initial keys for `version` (1 or RFC 9369's v2) and its
 * Destination Connection ID. 0, -EINVAL for another version, -ENOMEM when
 * libcrypto could not derive them (its memory). */
int ww_quic_client_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, struct ww_quic_keys *k);

/* Open the client Initial packets in p[0..n) (datagrams back to back) and
 * add their CRYPTO data to h (zeroed first by the caller). 0 when one
 * opened, -EINVAL when none did, -ENOMEM when libcrypto failed on one
 * (the hello may then be lost). */
int ww_quic_client_initials(struct ww_quic_hello *h, const uint8_t *p, uint32_t n);

/* The whole ClientHello's length at h->buf (a handshake message: type 1,
 * 3-byte length), -EAGAIN while bytes of it are missing, -EINVAL when the
 * stream does not begin with one. */
int ww_quic_hello_len(const struct ww_quic_hello *h);

/* ww_tlsmeta_prepare() for QUIC's HMAC-SHA256, AES-128-ECB and -GCM. 0, or -ENOMEM. */
int ww_quic_prepare(void);

/*
 * Both of the above, before any analysis thread starts (ww_pipeline_new()).
 * 0, or -ENOMEM (then also ww_meta_out_of_memory()).
 */
int ww_meta_prepare(void);

/* The TLS metadata of a QUIC flow from the client's first datagrams
 * d0[0..n0) (meta.c): NULL when no Initial opened to a whole ClientHello,
 * or out of memory. */
struct ww_meta *ww_meta_open_quic(const uint8_t *d0, uint32_t n0);

/* "TLS 1.3", "TLS 1.2", ..., "SSL 3.0"; NULL for another value. Can't fail. */
const char *ww_tlsmeta_version_name(uint16_t v);

/* True for a GREASE value (RFC 8701: 0x0a0a, 0x1a1a, ..., 0xfafa). */
static inline bool ww_tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

#endif
