/*
 * alert.h - a finding, with the evidence a person can act on.
 *
 * Judges (port mismatch, policy, socket triage) fill a struct ww_alert; the
 * writers (emit_json.c, emit_text.c) are the only code that formats it. An
 * alert refers to the flow or the socket it is about; the writer prints the
 * 5-tuple, process and attribution from there, so judges never copy them.
 * Evidence fields are all optional: a zero/NULL/empty field is not printed.
 */
#ifndef WIREWHO_ALERT_H
#define WIREWHO_ALERT_H

#include "wirewho/common.h"

enum ww_alert_kind {
	WW_ALERT_PORT_UNEXPECTED = 0,   /* port_mismatch.unexpected_protocol */
	WW_ALERT_PORT_NONSTANDARD,      /* port_mismatch.nonstandard_port */
	WW_ALERT_PORT_UNIDENTIFIED,     /* port_mismatch.unidentified */
	WW_ALERT_UNEXPLAINED_PROCESS,   /* unexplained_process */
	WW_ALERT_UNATTRIBUTED,          /* unattributed_traffic */
	WW_ALERT_UNEXPLAINED_LISTENER,  /* unexplained_listener */
	WW_ALERT_UNEXPLAINED_UDP,       /* unexplained_udp */
	WW_ALERT_UNEXPLAINED_EST,       /* unexplained_established */
	WW_ALERT_STATE_ANOMALY,         /* state_anomaly */
	WW_ALERT_NKINDS
};

enum ww_severity { WW_SEV_LOW = 0, WW_SEV_MEDIUM, WW_SEV_HIGH };

#define WW_EV_MAX_PORTS   16

struct ww_evidence {
	const char *protocol;          /* protocol identified from payload, or NULL */
	const char *port_protocol;     /* the protocol the port is known for, or NULL */
	uint64_t pkt_no;               /* packet (1-based, in the flow) that matched; 0 none */
	int8_t direction;              /* -1 none, 0 to server, 1 to client */
	uint8_t first_len;             /* bytes in first_bytes */
	uint8_t n_expected;            /* ports in expected_ports */
	uint16_t expected_ports[WW_EV_MAX_PORTS];  /* standard ports of `protocol` */
	uint8_t first_bytes[WW_FIRST_BYTES];    /* raw; the writer escapes them */
	char sni[WW_NAME_MAX];         /* TLS server name, raw from the packet (sni_len bytes) */
	uint16_t sni_len;              /* its length, NULs included; 0 with a non-empty sni:
	                                * up to its first NUL */
	char alpn[WW_ALPN_MAX];         /* TLS ALPN list, comma separated */
	char rule[160];                /* the policy rule or triage rule applied */
	int rule_line;                 /* policy file line, 0 none */
	uint64_t count;                /* repeats folded into this alert (0/1: none) */
	ww_time_t first_ts, last_ts;   /* span of folded repeats */
};

struct ww_flow;
struct ww_sock;

struct ww_alert {
	enum ww_alert_kind kind;
	enum ww_severity severity;
	ww_time_t ts;
	const struct ww_flow *flow;    /* the flow it is about, or NULL */
	const struct ww_sock *sock;    /* the socket it is about, or NULL */
	char message[256];             /* one sentence: what was seen, why it matters */
	struct ww_evidence ev;
};

/* "port_mismatch.unexpected_protocol" etc. This function can't fail. */
const char *ww_alert_kind_name(enum ww_alert_kind k);
/* "low", "medium", "high". This function can't fail. */
const char *ww_severity_name(enum ww_severity s);

/* Zero an alert and set its kind, severity and time. Can't fail. */
void ww_alert_init(struct ww_alert *a, enum ww_alert_kind k, enum ww_severity s, ww_time_t ts);

#endif
