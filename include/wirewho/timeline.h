/*
 * timeline.h - `watch --record DIR`: the capture and the socket/process
 * timeline written side by side, and the reader `replay --sockets` uses to
 * give the same attribution offline.
 *
 * DIR/capture.pcap is the packets (pcap_dump). DIR/sockets.ndjson is one
 * JSON object per line:
 *   - "header": format, version, a random capture_id, interface, link type,
 *     snaplen, start time;
 *   - "capture": written as soon as the first packet is dumped: that
 *     packet's time, length and a hash of its bytes. This ties the timeline
 *     to the capture by its contents, so renaming or copying files cannot
 *     pair a timeline with the wrong capture unnoticed;
 *   - "socket": which 5-tuple belonged to which process (pid, comm, exe,
 *     uid, user, socket inode), from when to when (`from`/`to`, the flow's
 *     first and last packet), which end is local (`local`: "src" or
 *     "dst"), with the live attribution status and reason
 *     (also for flows whose owner stayed unknown, so replay reproduces them);
 *   - "end": packets and records on disk when the recording stopped, and
 *     after a write error how many packets were lost and the error.
 * DIR/capture.id holds the capture_id too, for people and scripts.
 *
 * Two halves, one file each: the writer (timeline_writer.c) and the reader
 * with its index by flow key (timeline_index.c); what both must agree on is
 * below.
 */
#ifndef WIREWHO_TIMELINE_H
#define WIREWHO_TIMELINE_H

#include "wirewho/procs.h"
#include "wirewho/flow.h"

#define WW_TIMELINE_ERRLEN 512   /* an `err` this size holds every message (only a very long path is cut) */
#define WW_TIMELINE_PCAP "capture.pcap"
#define WW_TIMELINE_FILE "sockets.ndjson"
#define WW_TIMELINE_ID   "capture.id"
#define WW_TIMELINE_FORMAT  "wirewho-sockets"   /* the header's "format" */
#define WW_TIMELINE_VERSION 1                   /* the header's "version"; the reader takes 1..this */
#define WW_TIMELINE_IDLEN   33                  /* a capture_id: 128 random bits as hex, and a NUL */

/*
 * 64-bit FNV-1a of n bytes: the "first_hash" of the first packet's captured
 * bytes, which ties a timeline to its capture. This function can't fail.
 */
uint64_t ww_timeline_hash(const void *p, size_t n);

/* --- writing ----------------------------------------------------------------- */

struct ww_tl_writer;

/*
 * Create DIR (if missing) and the three files in it, for a live capture on
 * `iface` of DLT_* link type `linktype` keeping `snaplen` bytes of each
 * packet (those of the dump too). Returns NULL and a one-line reason naming
 * the file in `err` (errsz bytes, truncated to fit).
 */
struct ww_tl_writer *ww_timeline_create(const char *dir, int linktype, int snaplen,
					const char *iface, ww_time_t start, char *err, size_t errsz);

/*
 * Dump one packet (buffered: whole packets only reach the disk). 0 or -EIO
 * when this or an earlier write of the capture failed (a full disk: the
 * caller stops recording; ww_timeline_error() says which file and why).
 */
int ww_timeline_packet(struct ww_tl_writer *w, const uint8_t *data, uint32_t caplen,
		       uint32_t wirelen, ww_time_t ts);

/*
 * Record who owned flow `f`: `owner` NULL when unknown, `status`/`reason` as
 * the live attribution said. 0 or -EIO.
 */
int ww_timeline_binding(struct ww_tl_writer *w, const struct ww_flow *f,
			const struct ww_owner *owner, uint64_t inode,
			const char *status, const char *reason, bool local_is_server);

/*
 * What the kernel engine saw of a flow's socket (kattr.h), recorded beside
 * the binding (#12.5): the thread that connected, sent or listened, its
 * cgroup v2 id, whether the record was of the flow itself or of the
 * listening/bound socket on its port, and whether the process had exited
 * by the time the flow's first packet was read.
 */
struct ww_tl_kernel {
	int tid;
	uint64_t cgroup_id;
	bool listener;
	bool exited;
};

/* ww_timeline_binding() with the kernel engine's record `k` (NULL: none). 0 or -EIO. */
int ww_timeline_binding_kernel(struct ww_tl_writer *w, const struct ww_flow *f,
			       const struct ww_owner *owner, uint64_t inode, const char *status,
			       const char *reason, bool local_is_server, const struct ww_tl_kernel *k);

/*
 * Push buffered packets to disk (call once a second). 0 or -EIO when any
 * write of either file has failed so far (sticky).
 */
int ww_timeline_flush(struct ww_tl_writer *w);

/*
 * The first write error, "DIR/FILE: reason", or NULL when every write so
 * far succeeded (w NULL too). Valid until ww_timeline_close(). Can't fail.
 */
const char *ww_timeline_error(const struct ww_tl_writer *w);

/*
 * Flush, sync and write the "end" line - packets and records that are on
 * disk, and after a write error what was lost and why - then close. 0 or
 * -EIO when any write failed, now or before (read ww_timeline_error()
 * first). NULL is allowed.
 */
int ww_timeline_close(struct ww_tl_writer *w);

/* --- reading ----------------------------------------------------------------- */

/* One recorded binding, as the reader returns it. Strings live with the timeline. */
struct ww_tl_rec {
	ww_time_t from, to;
	uint64_t inode;
	struct ww_owner owner;
	bool has_owner;
	bool local_is_server;    /* the owner's socket is the flow's server end */
	const char *status;      /* the live status: "exact", "listener", "cached", "unresolved"... */
	const char *reason;
	struct ww_container ctr;      /* owner.container points here when recorded */
	struct ww_tl_kernel kernel;   /* the kernel engine's record (has_kernel) */
	bool has_kernel;
	uint32_t next;           /* reader-private: next record with the same key */
	int others[WW_OWNER_OTHERS_MAX];   /* owner.others points here */
};

struct ww_timeline;

/*
 * Read and check a timeline file. Returns NULL and "FILE:LINE: reason" in
 * `err` (errsz bytes) when it cannot be read, a line is not a JSON object, the header is
 * missing or of another format, or a record lacks a field; also for a line
 * over 1 MiB, a NUL byte, or a file over 4 GiB, all found while reading (a
 * file without newlines is not read whole). errno is then ENOMEM when out of
 * memory, the read error's errno for a read error, EINVAL otherwise.
 */
struct ww_timeline *ww_timeline_load(const char *path, char *err, size_t errsz);

void ww_timeline_free(struct ww_timeline *tl);

/*
 * Check that the capture file `pcap_path` is the one this timeline was
 * recorded with: same link type, and the same first packet (time, length
 * and bytes). Also compares capture.id next to the capture, if present.
 * Standard input ("-") cannot be checked (it cannot be read twice) and is
 * refused. Returns 0, or -EINVAL and a reason in `err` (errsz bytes).
 */
int ww_timeline_check_capture(const struct ww_timeline *tl, const char *pcap_path,
			      char *err, size_t errsz);

/*
 * The binding recorded for the flow with key `k` whose first packet is at
 * `first` (the record whose span is closest to it, within a small slack),
 * or NULL. This function can't fail.
 */
const struct ww_tl_rec *ww_timeline_find(const struct ww_timeline *tl,
					 const struct ww_flowkey *k, ww_time_t first);

/* Records loaded; the capture id. Can't fail. */
size_t ww_timeline_count(const struct ww_timeline *tl);
#endif
