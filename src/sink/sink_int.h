/*
 * sink_int.h - the private contract between the sink set (sink.c), the
 * NATS JetStream sink (sink_nats.c) and the spool (spool.c).
 *
 * A record on a queue is one malloc'd struct ww_rec: its sequence, its
 * type and the enriched JSON (no newline). Each sink owns a bounded queue
 * (a ring of pointers under a mutex; the producer never waits: a full ring
 * drops and counts) and a thread that pops from it.
 */
#ifndef WIREWHO_SINK_INT_H
#define WIREWHO_SINK_INT_H

#include "wirewho/sink.h"

#include <pthread.h>
#include <stdatomic.h>

#define SINK_QUEUE_RECS   65536u         /* records a sink holds in memory: ~1 s at 65k/s */
#define SINK_QUEUE_BYTES  (64u << 20)    /* ...and at most these bytes of them */
#define SINK_RETRY_MS     500            /* a syslog daemon or broker that is down: retried this often */

enum sink_kind { SINK_STDOUT, SINK_FILE, SINK_SYSLOG, SINK_SYSLOG_TCP, SINK_NATS };

struct ww_rec {
	uint64_t seq;
	uint32_t len;
	char type[24];
	char json[];    /* len bytes and a NUL */
};

struct ww_spool;

struct sink {
	struct ww_sinks *set;
	enum sink_kind kind;
	char spec[1024];

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ww_rec **ring;
	size_t head, tail;          /* head: next to pop; tail: next free (monotonic) */
	size_t bytes;
	uint64_t full_drops;        /* records dropped because the queue was full */
	unsigned room_waiters;      /* producers waiting in cv_room */
	bool stop;                  /* set by ww_sinks_close(): drain, then end */
	double deadline;            /* ...until this monotonic time */
	bool started, exited;
	pthread_t th;
	void *(*fn)(void *);
	pthread_cond_t cv_room;     /* wait_when_full: the producer waits here */
	atomic_bool down;           /* cannot connect now: a full queue drops even then */

	/* file: */
	int fd;
	/* syslog, syslog+tcp: */
	char host[256], port[16];
	/* nats: */
	void *nats;
	struct ww_spool *spool;
};

struct ww_sinks {
	struct ww_sinks_cfg cfg;
	struct ww_host_id host;
	char run_id[40];            /* random per run: part of every NATS message id */
	FILE *fp;                   /* the cookie FILE the writers write to */
	char *partial;              /* a line not yet ended */
	size_t plen, pcap;
	uint64_t seq;
	bool to_stdout;
	struct sink *sink[WW_SINKS_MAX];
	size_t n;
	_Atomic uint64_t dropped;
	atomic_bool failed;
	pthread_mutex_t nmu;        /* notices */
	char notice[8][512];
	unsigned n_head, n_tail;
};

double ww_sink_mono(void);
/* Count a dropped record (or n of them). */
void ww_sink_drop(struct ww_sinks *set, uint64_t n);
/* A notice for people (printf-like); the oldest are kept when many come. */
void ww_sink_notice(struct ww_sinks *set, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Next record of a sink's queue, waiting at most wait_ms; NULL when none
 * (then *stopping says whether the set is closing). */
struct ww_rec *ww_sinkq_pop(struct sink *s, int wait_ms, bool *stopping);
/* Monotonic time by which a closing sink must be done; 0 while running. */
double ww_sinkq_deadline(struct sink *s);

/* sink_nats.c */
int ww_nats_check_spec(const char *spec, char *err, size_t errsz);
int ww_nats_sink_init(struct sink *s, char *err, size_t errsz);
/* the producer's side with a spool: append one record (never waits on the broker) */
void ww_nats_push(struct sink *s, struct ww_rec *r);
void *ww_nats_thread(void *arg);
void ww_nats_sink_free(struct sink *s);

/* spool.c: segment files of "MSGID\tSUBJECT\tJSON\n" lines */
#define WW_SPOOL_DEFAULT_MB 256
#define WW_SPOOL_SEGMENT    (4u << 20)   /* a segment is closed (and synced) at this size */
struct ww_spool_pos { uint64_t seg; uint64_t off; uint64_t n; };   /* n: records of seg up to off */
struct ww_spool *ww_spool_open(const char *dir, uint64_t max_bytes, struct ww_sinks *set,
			       char *err, size_t errsz);
/* Producer: append one line (without its newline). Drops the oldest
 * segments (counted, with a notice) when over the limit. 0 or -EIO. */
int ww_spool_append(struct ww_spool *sp, const char *line, size_t len);
/* Consumer: the next line after the read position into *line (valid until
 * the next call), its end position in *end; 1, 0 when none yet, -EIO. */
int ww_spool_next(struct ww_spool *sp, const char **line, size_t *len, struct ww_spool_pos *end);
/* Consumer: everything up to pos is acknowledged (segments before it removed). */
void ww_spool_commit(struct ww_spool *sp, struct ww_spool_pos pos);
/* Records in the spool not yet committed. */
uint64_t ww_spool_pending(struct ww_spool *sp);
/* Sync the open segment and the cursor (once a second, and at the end). */
void ww_spool_sync(struct ww_spool *sp);
void ww_spool_close(struct ww_spool *sp);

#endif
