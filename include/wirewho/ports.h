/*
 * ports.h - the standard ports of each protocol the classifier detects, and
 * service names from the system's services database.
 *
 * Two tables, both process-global and meant to be set once at start-up
 * (before any packet is processed) and only read afterwards; they are not
 * locked. Until something is loaded, queries answer from built-in tables:
 *
 *  - Standard ports: a built-in list per protocol (HTTP 80, 8080, 8000,
 *    8008, 8888, ...; TLS 443, 8443 and the implicit-TLS ports; ...), which a
 *    user file can extend or replace (ww_ports_load_user()). Each entry says
 *    whether the port is *known for* the protocol (a well-known port: the
 *    port's protocol for unexpected_protocol and the port guess) or merely
 *    allowed (TLS after STARTTLS on 25), and whether a flow on it that proves
 *    nothing may be called unidentified (only ports whose protocol is
 *    unambiguous and always detectable from its first bytes).
 *  - Service names: port/proto -> name as /etc/services has it (the first
 *    entry for a port wins, as getservbyport() does). When the database is
 *    missing a small built-in table of common names is used instead.
 *
 * Lookups by port are O(1) (65536 x 2 tables built at load).
 */
#ifndef WIREWHO_PORTS_H
#define WIREWHO_PORTS_H

#include "wirewho/common.h"

#define WW_SERVICES_PATH "/etc/services"
#define WW_PORTS_ERRLEN  256   /* an `err` this size holds every message but one naming a very long path */

/*
 * Load the services database from `path` (NULL: WW_SERVICES_PATH). Returns
 * 0, or -errno when the file cannot be opened or read (-EIO), holds a NUL
 * byte (-EINVAL) or a line over 1023 bytes (-E2BIG), is larger than a
 * services file could be (-EFBIG, 16 MiB), or memory runs out (-ENOMEM);
 * then nothing of it is used and the built-in fallback is (so the caller
 * may warn and go on).
 */
int ww_ports_load_services(const char *path);

/* True when service names come from a file (not the built-in fallback). */
bool ww_ports_services_from_file(void);

/* Service name of port/ipproto (TCP or UDP), or NULL when unknown. Can't fail. */
const char *ww_ports_service(uint16_t port, uint8_t ipproto);

/*
 * Load a user file of standard ports. Line format (one protocol per line,
 * '#' starts a comment):
 *
 *     PROTOCOL [=] PORTSPEC...
 *     PORTSPEC = PORT | PORT-PORT, optionally followed by /tcp or /udp
 *
 * e.g. "http 8081 9000-9010/tcp" adds those ports to HTTP's, "ssh = 22 2222"
 * replaces SSH's list. The ports become known for the protocol (a later line
 * wins over earlier ones and over the built-in table). Without /tcp or /udp
 * the protocol's usual transport is meant (both for DNS and SIP).
 * PROTOCOL must be one the classifier detects (ww_cls_detects()).
 * Returns 0; -errno when the file cannot be opened ("file: reason" in
 * `err`); -EINVAL on a syntax error, a line over 1023 bytes or a NUL byte,
 * with "file:line:col: reason" in `err` (errsz bytes, cut to fit); -EFBIG
 * when the file is larger than 1 MiB (read no further: /dev/zero fails
 * here at once, a FIFO that never ends after 1 MiB); -EIO on a read error
 * ("file: read error: reason"). On failure nothing of the file is applied.
 */
int ww_ports_load_user(const char *path, char *err, size_t errsz);

/* True when `port` is one of `proto`'s standard ports on ipproto. Can't fail. */
bool ww_ports_is_standard(const char *proto, uint16_t port, uint8_t ipproto);

/* The protocol the port is known for ("http" for 80/tcp), or NULL. Can't fail. */
const char *ww_ports_protocol_of(uint16_t port, uint8_t ipproto);

/* True when a flow on this port that matches nothing may be called
 * port_mismatch.unidentified (see the file comment). Can't fail. */
bool ww_ports_is_strict(uint16_t port, uint8_t ipproto);

/*
 * Write up to `max` ports `proto` is known on (ipproto) to `out`, lowest
 * first (ranges expanded): the ports an alert names as expected. Ports that
 * are merely allowed (TLS on STARTTLS ports) are not listed. Returns how many
 * were written. Can't fail.
 */
int ww_ports_standard_list(const char *proto, uint8_t ipproto, uint16_t *out, int max);

/*
 * The protocol that must speak in plaintext before TLS on `port`/ipproto
 * ("smtp" on 25, "ldap" on 389, "postgresql" on 5432: a static lowercase
 * name, a detected protocol's own where there is one), or NULL when TLS
 * from the first byte is fine there (implicit-TLS ports, ports without
 * such a protocol, and any port a user file made TLS's). `alpn`, when not
 * NULL, gets the ALPN id with which that protocol allows direct TLS on the
 * port (PostgreSQL 17's "postgresql", XEP-0368's "xmpp-client") or NULL;
 * `upgrade`, when not NULL, a few words on how it upgrades instead
 * ("STARTTLS, RFC 3207"). Can't fail.
 */
const char *ww_ports_plaintext_first(uint16_t port, uint8_t ipproto, const char **alpn, const char **upgrade);

/* Drop loaded tables and return to the built-in ones (tests). Can't fail. */
void ww_ports_reset(void);

/*
 * Build whatever table is still to be built from its first use. The
 * functions above build them lazily and are safe to call from several
 * threads only once they exist: a caller about to start threads that read
 * them (a replay's analysis and flush threads) calls this first. Can't fail.
 */
void ww_ports_prepare(void);

#endif
