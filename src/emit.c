/*
 * emit.c - picks the writer (NDJSON or text) and applies --quiet.
 *
 * Kept apart from the two writers so each of them is only about format.
 */
#include "wirewho/emit.h"
#include "wirewho/jsonw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct ww_emitter {
	FILE *out;
	enum ww_emit_mode mode;
	bool quiet;
	bool color;
	unsigned rows;        /* text rows since the last header */
	struct ww_jw jw;
};

const char *ww_proto_name(uint8_t proto, char buf[4])
{
	switch (proto) {
	case WW_IPPROTO_TCP: return "tcp";
	case WW_IPPROTO_UDP: return "udp";
	case WW_IPPROTO_ICMP: return "icmp";
	case WW_IPPROTO_ICMPV6: return "icmp6";
	}
	snprintf(buf, 4, "%u", proto);
	return buf;
}

struct ww_emitter *ww_emitter_new(FILE *out, enum ww_emit_mode mode, bool quiet, bool color)
{
	struct ww_emitter *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->out = out;
	e->mode = mode;
	e->quiet = quiet;
	e->color = color;
	ww_jw_init(&e->jw);
	return e;
}

void ww_emitter_free(struct ww_emitter *e)
{
	if (!e)
		return;
	ww_jw_free(&e->jw);
	free(e);
}

int ww_emit_flow(struct ww_emitter *e, const struct ww_flow_view *v)
{
	if (e->quiet)
		return 0;
	if (e->mode == WW_EMIT_JSON)
		return ww_emit_json_flow(&e->jw, e->out, v);
	return ww_emit_text_flow(e->out, &e->rows, e->color, v);
}

int ww_emit_alert(struct ww_emitter *e, const struct ww_alert *a, const struct ww_flow_view *v)
{
	if (e->mode == WW_EMIT_JSON)
		return ww_emit_json_alert(&e->jw, e->out, a, v);
	e->rows = 0;   /* re-print the flow header after an alert line */
	return ww_emit_text_alert(e->out, e->color, a, v);
}

int ww_emit_stats(struct ww_emitter *e, const struct ww_stats *s, ww_time_t ts)
{
	int rc;
	if (e->mode == WW_EMIT_JSON)
		rc = ww_emit_json_stats(&e->jw, e->out, s, ts);
	else
		rc = ww_emit_text_stats(e->out, s);
	if (fflush(e->out) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}
