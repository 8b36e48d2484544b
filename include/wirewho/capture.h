/*
 * capture.h - open a live interface or a capture file and deliver packets.
 *
 * A thin layer over libpcap that turns its return conventions into ours and
 * keeps the reason of a failure as one readable line.
 */
#ifndef WIREWHO_CAPTURE_H
#define WIREWHO_CAPTURE_H

#include "wirewho/common.h"

struct ww_capture;

#define WW_CAPTURE_ERRLEN 512   /* an `err` this size holds every message */

/*
 * Open a pcap or pcapng file ("-" for standard input), with an optional BPF
 * filter (NULL for none). Returns NULL and a one-line reason in `err`
 * (errsz bytes) when the file is missing, a directory, not a capture, or
 * the filter does not compile.
 */
struct ww_capture *ww_capture_open_file(const char *path, const char *filter,
					char *err, size_t errsz);

/*
 * Whether `msg`, an `err` of an open or ww_capture_error(), says that memory
 * ran out: a runtime failure (exit 1), where any other reason is an input
 * that could not be read (exit 2). Returns false for NULL.
 */
bool ww_capture_oom(const char *msg);

/*
 * Open interface `iface` ("any" for all) live, in immediate and
 * non-blocking mode (poll ww_capture_fd(), then read until
 * WW_CAP_TIMEOUT), with a kernel buffer of `buffer_bytes` (0: libpcap's
 * default), `snaplen` bytes kept of each packet (0: whole packets) and an
 * optional filter. Returns NULL and a one-line reason in `err` (errsz
 * bytes): "interface eth9 does not exist" / "is down" (ww_capture_probe()),
 * a permission or libpcap error, or a filter that does not compile.
 */
struct ww_capture *ww_capture_open_live(const char *iface, const char *filter,
					int buffer_bytes, int snaplen,
					char *err, size_t errsz);

/*
 * Set (replace) the BPF filter of an open capture; NULL or "" is none. 0, or
 * -EINVAL and the reason in `err` ("bad filter ...") when it does not
 * compile for this capture's link type or cannot be set. `watch` opens
 * without a filter and sets it here, so a bad filter is told apart from an
 * interface that cannot be opened (exit 2, not 1).
 */
int ww_capture_set_filter(struct ww_capture *c, const char *filter, char *err, size_t errsz);

/*
 * Whether `iface` can be captured on now, without opening it: 0 when it
 * exists and is up ("any" always is), -ENODEV when there is no such
 * interface, -ENETDOWN when it is down, or the -errno of the kernel's
 * refusal to say.
 */
int ww_capture_probe(const char *iface);
/* ww_capture_probe()'s answer (< 0) in words: "does not exist", "is down", or strerror(). Can't fail. */
const char *ww_capture_probe_problem(int state);

/* Close. NULL is allowed. */
void ww_capture_close(struct ww_capture *c);

enum ww_capture_next {
	WW_CAP_PACKET = 1,   /* a packet was read */
	WW_CAP_TIMEOUT = 0,  /* live: no packet waiting (the capture is non-blocking) */
	WW_CAP_EOF = -1,     /* end of file (or breakloop) */
	WW_CAP_ERROR = -2,   /* read error; ww_capture_error() says why */
};

/*
 * The last second a packet time may name: 9999-12-31T23:59:59Z (records
 * print four-digit years; beyond it, microseconds overflow int64 soon).
 */
#define WW_CAPTURE_MAX_SEC 253402300799LL

/*
 * Next packet. On WW_CAP_PACKET, `data` points into libpcap's buffer, valid
 * until the next call. A packet whose time is after WW_CAPTURE_MAX_SEC, or
 * before 1970 in a pcapng file (whose stamps are unsigned: libpcap wrapped
 * one past 2^63), gets the time of the last packet in range (0 before any)
 * and is counted: ww_capture_bad_times(). A classic pcap's signed 32-bit
 * seconds (1901..2038) are all in range.
 */
enum ww_capture_next ww_capture_next(struct ww_capture *c, const uint8_t **data,
				     uint32_t *caplen, uint32_t *wirelen, ww_time_t *ts);

/* Packets so far whose time was out of range (see ww_capture_next()). Can't fail. */
uint64_t ww_capture_bad_times(const struct ww_capture *c);

/* The capture's DLT_* link type. This function can't fail. */
int ww_capture_datalink(const struct ww_capture *c);
/*
 * True for a pcapng file whose interfaces differ in link type or snap
 * length (libpcap 1.10 refuses those; they are read by capture.c itself):
 * ww_capture_datalink() is then the link type of the packet last returned
 * by ww_capture_next() (before any, the first interface's). Can't fail.
 */
bool ww_capture_mixed_linktypes(const struct ww_capture *c);
/* libpcap's name for a link type ("EN10MB"), or "unknown". Can't fail. */
const char *ww_capture_dlt_name(int dlt);
/* Reason of the last error. Can't fail. */
const char *ww_capture_error(const struct ww_capture *c);
/* Live: packets dropped by the kernel and the interface. 0 or -EIO. */
int ww_capture_dropped(struct ww_capture *c, uint64_t *dropped);
/*
 * Live: what reached the capture since it was opened (`received`: packets
 * the kernel passed the filter, those it then dropped included, plus the
 * interface's drops) and what was lost (`dropped`, as ww_capture_dropped()).
 * Files: both 0. Returns 0, or -EIO (both 0).
 */
int ww_capture_counts(struct ww_capture *c, uint64_t *received, uint64_t *dropped);
/* Pollable descriptor of a live capture, or -1 (files, or libpcap cannot say). */
int ww_capture_fd(const struct ww_capture *c);
/* Bytes kept of each packet (the snapshot length in effect). Can't fail. */
int ww_capture_snaplen(const struct ww_capture *c);

#endif
