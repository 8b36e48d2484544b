/*
 * judge_port.h - the port_mismatch judgements: does the server port's
 * well-known protocol fit what the flow really speaks?
 *
 *  - unexpected_protocol: the port is known for protocol P and the payload
 *    proved another protocol Q that is not standard there (SSH on 443);
 *  - nonstandard_port: the payload proved Q and the port is none of Q's
 *    standard ports, and not known for anything else (HTTP on 4444);
 *  - unidentified: payload on a strict well-known port (ports.h) that its
 *    protocol's detector contradicted, with nothing else matching, after
 *    enough payload to judge (see judge_port.c for what is enough).
 *  - also unexpected_protocol, evidence rule "TLS without STARTTLS": TLS
 *    from the very first payload byte (the client's SYN seen) on a port
 *    whose protocol must speak plaintext first (ww_ports_plaintext_first():
 *    SMTP, POP3, IMAP, FTP, LDAP, XMPP, NNTP, ManageSieve, MySQL, RDP,
 *    PostgreSQL), unless the protocol's own ALPN id allows direct TLS there.
 *
 * Known legitimate patterns are not alerts: STARTTLS and HTTP CONNECT
 * (the classifier keeps the plaintext protocol), TLS seen first in a
 * capture that missed the connection's start, TLS on implicit-TLS
 * ports, DNS over TCP on 53, HTTP on its alternative ports, a DNSCrypt
 * client's certificate query on its resolver's port. Protocols that
 * have no fixed port in practice (BitTorrent) never get nonstandard_port.
 */
#ifndef WIREWHO_PORTCHECK_H
#define WIREWHO_PORTCHECK_H

#include "wirewho/alert.h"
#include "wirewho/classify.h"
#include "wirewho/flow.h"

/*
 * Judge flow f on the classifier's final answer `r` (ww_cls_finish(), then
 * ww_cls_result(); r may be NULL when the flow carried no payload, which is
 * never a mismatch). Fills up to `max` alerts in `out`, at most one per
 * kind, each with a.flow = f, time `ts`, message and evidence (copied: `r`
 * need not outlive the call); returns how many. This function can't fail.
 */
int ww_judge_port(const struct ww_flow *f, const struct ww_cls_result *r, ww_time_t ts,
		       struct ww_alert *out, int max);

#endif
