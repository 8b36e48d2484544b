/*
 * alert.c - names of alert kinds and severities, as the interface spells them.
 */
#include "wirewho/alert.h"

static const char *const kind_names[WW_ALERT_NKINDS] = {
	[WW_ALERT_PORT_UNEXPECTED]      = "port_mismatch.unexpected_protocol",
	[WW_ALERT_PORT_NONSTANDARD]     = "port_mismatch.nonstandard_port",
	[WW_ALERT_PORT_UNIDENTIFIED]    = "port_mismatch.unidentified",
	[WW_ALERT_UNEXPLAINED_PROCESS]  = "unexplained_process",
	[WW_ALERT_UNATTRIBUTED]         = "unattributed_traffic",
	[WW_ALERT_UNEXPLAINED_LISTENER] = "unexplained_listener",
	[WW_ALERT_UNEXPLAINED_UDP]      = "unexplained_udp",
	[WW_ALERT_UNEXPLAINED_EST]      = "unexplained_established",
	[WW_ALERT_STATE_ANOMALY]        = "state_anomaly",
};

const char *ww_alert_kind_name(enum ww_alert_kind k)
{
	return (unsigned)k < WW_ALERT_NKINDS ? kind_names[k] : "unknown";
}

const char *ww_severity_name(enum ww_severity s)
{
	switch (s) {
	case WW_SEV_LOW: return "low";
	case WW_SEV_MEDIUM: return "medium";
	case WW_SEV_HIGH: return "high";
	}
	return "low";
}

void ww_alert_init(struct ww_alert *a, enum ww_alert_kind k, enum ww_severity s, ww_time_t ts)
{
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->severity = s;
	a->ts = ts;
	a->ev.direction = -1;
}
