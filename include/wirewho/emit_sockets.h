/*
 * emit_sockets.h - the writers of `wirewho sockets`: socket records and
 * socket alerts as NDJSON, and the netstat-like table.
 *
 * Like the flow writers, these only format: everything a row shows was
 * gathered into a struct ww_sock_view by the audit (judge_socket.h). Strings
 * that came from /proc (comm, exe, cmdline, user) are escaped in both
 * formats, so a process named "\e[2J" cannot drive the analyst's terminal.
 */
#ifndef WIREWHO_EMIT_SOCKETS_H
#define WIREWHO_EMIT_SOCKETS_H

#include <stdio.h>
#include "wirewho/judge_socket.h"

struct ww_jw;

/*
 * One "socket" record (fields of the interface contract plus additions:
 * family, recv_q, send_q, direction, reason, rule_line, owner_reason and
 * owner_note when no owner is known, n_processes when more owners exist
 * than are listed, raw_protocol for raw sockets, cmdline per process).
 * Returns 0, -ENOMEM or -EIO.
 */
int ww_emit_json_socket(struct ww_jw *w, FILE *out, const struct ww_sock_view *v, ww_time_t ts);

/* One "alert" record about a socket (kind, severity, message, the socket's
 * 5-tuple, state, processes, netns, evidence). Returns 0, -ENOMEM or -EIO. */
int ww_emit_json_sock_alert(struct ww_jw *w, FILE *out, const struct ww_alert *a,
			    const struct ww_sock_view *v);

struct ww_sock_text_opts {
	bool all;            /* every row, not only verdict "review" */
	bool color;          /* ANSI colour (stdout is a terminal) */
	bool show_netns;     /* add a namespace column (--all-netns) */
	const char *note;    /* extra footer line, or NULL */
};

/*
 * The table: aligned columns Proto, Recv-Q, Send-Q, Local Address, Foreign
 * Address, State, PID/Program, Verdict, Reason; then a count of what was not
 * shown. Returns 0 or -EIO.
 */
int ww_emit_text_sockets(FILE *out, const struct ww_sock_view *v, size_t n,
			 const struct ww_sock_text_opts *o);

/* Text alerts (for -q): "severity kind: message", one per line. 0 or -EIO. */
int ww_emit_text_sock_alert(FILE *out, bool color, const struct ww_alert *a);

#endif
