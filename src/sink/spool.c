/*
 * spool.c - records of a nats:// sink kept on disk until the stream
 * acknowledged them, drained in order, also by the next run.
 *
 * A spool is a directory of segment files, seg-NNNNNNNNNNNNNNNN, each a run
 * of "MSGID\tSUBJECT\tJSON\n" lines (the message id is kept, so a record
 * sent again after a restart is the same message to the stream's duplicate
 * window), and a file `cursor`, "SEG OFFSET COUNT": everything before it
 * was acknowledged. The producer (the capture's thread) appends with one
 * write() per record to the newest segment, which the page cache absorbs:
 * it never waits for the broker. The sink's thread reads behind it and
 * moves the cursor as acknowledgements come; a segment wholly behind the
 * cursor is removed.
 *
 * Durability, stated: the sink's thread (never the capture path)
 * fdatasync()s the segments closed at WW_SPOOL_SEGMENT bytes, the open
 * segment and the cursor once a second and at the end of the run. A crash of wirewho loses nothing (the page cache has it); a power
 * loss loses at most the last second of records, and may send again up to
 * a second of acknowledged ones, which the stream's duplicate window drops.
 * A torn last line (a crash mid-write) is cut off at the next start.
 *
 * Full (more than max_bytes in segments): the oldest segments are removed
 * with their records, counted as dropped, with a notice; the newest records
 * are the ones worth keeping during a long outage.
 */
#include "sink_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct seg {
	uint64_t no, bytes, recs;
};

struct ww_spool {
	char dir[4096];
	uint64_t max_bytes;
	struct ww_sinks *set;
	pthread_mutex_t mu;
	struct seg *segs;           /* oldest first; the last is the one written */
	size_t n, cap;
	uint64_t total;             /* bytes in segments */
	int wfd;                    /* the newest segment's descriptor */
	int closing[8];             /* segments closed by the producer, synced by the sink's thread */
	size_t n_closing;
	bool wdirty;
	struct ww_spool_pos cur;    /* committed */
	struct ww_spool_pos rd;     /* read */
	int rfd;
	uint64_t rfd_seg;
	char *rbuf;
	size_t rcap;
	bool failed;
};

static void seg_path(const struct ww_spool *sp, uint64_t no, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/seg-%016" PRIu64, sp->dir, no);
}

static struct seg *find_seg(struct ww_spool *sp, uint64_t no)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->segs[i].no == no)
			return &sp->segs[i];
	return NULL;
}

static int add_seg(struct ww_spool *sp, uint64_t no, uint64_t bytes, uint64_t recs)
{
	if (sp->n == sp->cap) {
		size_t nc = sp->cap ? sp->cap * 2 : 16;
		struct seg *p = realloc(sp->segs, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		sp->segs = p;
		sp->cap = nc;
	}
	sp->segs[sp->n++] = (struct seg){ no, bytes, recs };
	sp->total += bytes;
	return 0;
}

static void remove_first(struct ww_spool *sp)
{
	char p[4200];
	seg_path(sp, sp->segs[0].no, p, sizeof(p));
	unlink(p);
	if (sp->rfd >= 0 && sp->rfd_seg == sp->segs[0].no) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	sp->total -= sp->segs[0].bytes;
	memmove(sp->segs, sp->segs + 1, (sp->n - 1) * sizeof(*sp->segs));
	sp->n--;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Count the lines of an existing segment; cut a torn last line. */
static int scan_seg(struct ww_spool *sp, uint64_t no)
{
	char p[4200];
	seg_path(sp, no, p, sizeof(p));
	int fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[65536];
	uint64_t off = 0, last_nl = 0, recs = 0;
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] == '\n') {
				recs++;
				last_nl = off + (uint64_t)i + 1;
			}
		off += (uint64_t)r;
	}
	if (last_nl != off && ftruncate(fd, (off_t)last_nl) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	return add_seg(sp, no, last_nl, recs);
}

static int write_cursor(struct ww_spool *sp)
{
	char tmp[4200], dst[4200], line[96];
	snprintf(tmp, sizeof(tmp), "%s/cursor.tmp", sp->dir);
	snprintf(dst, sizeof(dst), "%s/cursor", sp->dir);
	int l = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", sp->cur.seg,
			 sp->cur.off, sp->cur.n);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	bool ok = write(fd, line, (size_t)l) == l && fdatasync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, dst) < 0)
		return -EIO;
	return 0;
}

static int new_segment(struct ww_spool *sp)
{
	uint64_t no = sp->n ? sp->segs[sp->n - 1].no + 1 : 1;
	if (no <= sp->cur.seg)
		no = sp->cur.seg + 1;
	char p[4200];
	if (sp->wfd >= 0) {
		/* synced by the sink's thread (ww_spool_sync), not on the capture path;
		 * only when 8 are waiting (32 MB in under a second) here */
		if (sp->n_closing == 8) {
			fdatasync(sp->wfd);
			close(sp->wfd);
		} else {
			sp->closing[sp->n_closing++] = sp->wfd;
		}
		sp->wfd = -1;
	}
	seg_path(sp, no, p, sizeof(p));
	sp->wfd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (sp->wfd < 0)
		return -errno;
	return add_seg(sp, no, 0, 0);
}

struct ww_spool *ww_spool_open(const char *dir, uint64_t max_bytes, struct ww_sinks *set,
			       char *err, size_t errsz)
{
	struct ww_spool *sp = calloc(1, sizeof(*sp));
	if (!sp) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	sp->max_bytes = max_bytes ? max_bytes : (uint64_t)WW_SPOOL_DEFAULT_MB << 20;
	sp->set = set;
	sp->wfd = sp->rfd = -1;
	pthread_mutex_init(&sp->mu, NULL);
	/* the spool directory (its parent, --spool DIR, too) */
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			goto sys;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto sys;
	DIR *d = opendir(dir);
	if (!d)
		goto sys;
	uint64_t *nos = NULL;
	size_t nn = 0, nc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		uint64_t no;
		char extra;
		if (sscanf(de->d_name, "seg-%" SCNu64 "%c", &no, &extra) != 1)
			continue;
		if (nn == nc) {
			nc = nc ? nc * 2 : 16;
			uint64_t *p = realloc(nos, nc * sizeof(*p));
			if (!p) {
				free(nos);
				closedir(d);
				goto sys;
			}
			nos = p;
		}
		nos[nn++] = no;
	}
	closedir(d);
	if (nn)
		qsort(nos, nn, sizeof(*nos), cmp_u64);
	for (size_t i = 0; i < nn; i++)
		if (scan_seg(sp, nos[i]) < 0) {
			free(nos);
			goto sys;
		}
	free(nos);
	char cpath[4200];
	snprintf(cpath, sizeof(cpath), "%s/cursor", dir);
	FILE *cf = fopen(cpath, "re");
	if (cf) {
		if (fscanf(cf, "%" SCNu64 " %" SCNu64 " %" SCNu64, &sp->cur.seg, &sp->cur.off, &sp->cur.n) != 3)
			sp->cur = (struct ww_spool_pos){ 0, 0, 0 };
		fclose(cf);
	}
	/* segments wholly behind the cursor: acknowledged, a crash left them */
	while (sp->n && sp->segs[0].no < sp->cur.seg)
		remove_first(sp);
	if (sp->n && sp->segs[0].no != sp->cur.seg)
		sp->cur = (struct ww_spool_pos){ sp->segs[0].no, 0, 0 };
	sp->rd = sp->cur;
	if (new_segment(sp) < 0)
		goto sys;
	if (!sp->cur.seg)
		sp->rd = sp->cur = (struct ww_spool_pos){ sp->segs[0].no, 0, 0 };
	return sp;
sys:
	snprintf(err, errsz, "--spool %s: %s", dir, strerror(errno));
	ww_spool_close(sp);
	return NULL;
}

/* Records of a segment not yet committed. */
static uint64_t unacked(const struct ww_spool *sp, const struct seg *g)
{
	if (g->no < sp->cur.seg)
		return 0;
	if (g->no == sp->cur.seg)
		return g->recs > sp->cur.n ? g->recs - sp->cur.n : 0;
	return g->recs;
}

int ww_spool_append(struct ww_spool *sp, const char *line, size_t len)
{
	int rc = 0;
	pthread_mutex_lock(&sp->mu);
	struct seg *w = sp->n ? &sp->segs[sp->n - 1] : NULL;
	if (sp->wfd < 0 || !w || w->bytes >= WW_SPOOL_SEGMENT) {
		if (new_segment(sp) < 0) {
			rc = -EIO;
			goto out;
		}
		w = &sp->segs[sp->n - 1];
	}
	struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
	ssize_t wr = writev(sp->wfd, iov, 2);
	if (wr != (ssize_t)len + 1) {
		if (wr > 0 && ftruncate(sp->wfd, (off_t)w->bytes) < 0)
			sp->failed = true;   /* a torn line: cut at the next start */
		if (!sp->failed)
			ww_sink_notice(sp->set, "--spool %s: write: %s; records are dropped", sp->dir,
				       wr < 0 ? strerror(errno) : "short write");
		sp->failed = true;
		rc = -EIO;
		goto out;
	}
	sp->failed = false;
	w->bytes += len + 1;
	w->recs++;
	sp->total += len + 1;
	sp->wdirty = true;
	/* full: the oldest segments go (never the one being written) */
	uint64_t dropped = 0;
	while (sp->total > sp->max_bytes && sp->n > 1) {
		struct seg *g = &sp->segs[0];
		dropped += unacked(sp, g);
		uint64_t next = sp->segs[1].no;
		if (sp->rd.seg <= g->no)
			sp->rd = (struct ww_spool_pos){ next, 0, 0 };
		if (sp->cur.seg <= g->no)
			sp->cur = (struct ww_spool_pos){ next, 0, 0 };
		remove_first(sp);
	}
	if (dropped) {
		ww_sink_drop(sp->set, dropped);
		ww_sink_notice(sp->set, "--spool %s is full (--spool-max-mb %" PRIu64 "): its oldest %" PRIu64
			       " records were dropped", sp->dir, sp->max_bytes >> 20, dropped);
	}
out:
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

int ww_spool_next(struct ww_spool *sp, const char **line, size_t *len, struct ww_spool_pos *end)
{
	int rc = 0;
	pthread_mutex_lock(&sp->mu);
	for (;;) {
		struct seg *g = find_seg(sp, sp->rd.seg);
		if (!g) {   /* removed (full) or not there: the oldest one after it */
			size_t i;
			for (i = 0; i < sp->n && sp->segs[i].no < sp->rd.seg; i++)
				;
			if (i == sp->n)
				goto out;
			sp->rd = (struct ww_spool_pos){ sp->segs[i].no, 0, 0 };
			continue;
		}
		if (sp->rd.off >= g->bytes) {
			if (g == &sp->segs[sp->n - 1])
				goto out;   /* caught up with the producer */
			sp->rd = (struct ww_spool_pos){ (g + 1)->no, 0, 0 };
			continue;
		}
		if (sp->rfd < 0 || sp->rfd_seg != g->no) {
			char p[4200];
			if (sp->rfd >= 0)
				close(sp->rfd);
			seg_path(sp, g->no, p, sizeof(p));
			sp->rfd = open(p, O_RDONLY | O_CLOEXEC);
			sp->rfd_seg = g->no;
			if (sp->rfd < 0) {
				rc = -EIO;
				goto out;
			}
		}
		/* read up to the newline; a line longer than the buffer grows it */
		size_t have = 0;
		for (;;) {
			if (sp->rcap - have < 65536) {
				size_t nc = sp->rcap ? sp->rcap * 2 : 262144;
				char *p = realloc(sp->rbuf, nc);
				if (!p) {
					rc = -EIO;
					goto out;
				}
				sp->rbuf = p;
				sp->rcap = nc;
			}
			uint64_t left = g->bytes - sp->rd.off - have;
			size_t want = sp->rcap - have < left ? sp->rcap - have : (size_t)left;
			ssize_t r = want ? pread(sp->rfd, sp->rbuf + have, want, (off_t)(sp->rd.off + have)) : 0;
			if (r <= 0) {
				rc = -EIO;
				goto out;
			}
			char *nl = memchr(sp->rbuf + have, '\n', (size_t)r);
			have += (size_t)r;
			if (nl) {
				*line = sp->rbuf;
				*len = (size_t)(nl - sp->rbuf);
				sp->rd.off += *len + 1;
				sp->rd.n++;
				*end = sp->rd;
				rc = 1;
				goto out;
			}
			if (sp->rd.off + have >= g->bytes) {   /* no newline: cannot be (torn, cut at start) */
				sp->rd.off = g->bytes;
				break;
			}
		}
	}
out:
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

void ww_spool_commit(struct ww_spool *sp, struct ww_spool_pos pos)
{
	pthread_mutex_lock(&sp->mu);
	if (pos.seg > sp->cur.seg || (pos.seg == sp->cur.seg && pos.off > sp->cur.off))
		sp->cur = pos;
	while (sp->n > 1 && sp->segs[0].no < sp->cur.seg)
		remove_first(sp);
	pthread_mutex_unlock(&sp->mu);
}

uint64_t ww_spool_pending(struct ww_spool *sp)
{
	uint64_t n = 0;
	pthread_mutex_lock(&sp->mu);
	for (size_t i = 0; i < sp->n; i++)
		n += unacked(sp, &sp->segs[i]);
	pthread_mutex_unlock(&sp->mu);
	return n;
}

void ww_spool_sync(struct ww_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	for (size_t i = 0; i < sp->n_closing; i++) {
		fdatasync(sp->closing[i]);
		close(sp->closing[i]);
	}
	sp->n_closing = 0;
	if (sp->wfd >= 0 && sp->wdirty)
		fdatasync(sp->wfd);
	sp->wdirty = false;
	write_cursor(sp);
	pthread_mutex_unlock(&sp->mu);
}

void ww_spool_close(struct ww_spool *sp)
{
	if (!sp)
		return;
	ww_spool_sync(sp);
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->rfd >= 0)
		close(sp->rfd);
	/* everything acknowledged: no segment is kept (the cursor is, so the
	 * next run numbers its segments after it) */
	bool all_acked = true;
	for (size_t i = 0; i < sp->n; i++)
		all_acked &= unacked(sp, &sp->segs[i]) == 0;
	for (size_t i = 0; i < sp->n; i++) {
		if (all_acked || (i == sp->n - 1 && sp->segs[i].bytes == 0)) {
			char p[4200];
			seg_path(sp, sp->segs[i].no, p, sizeof(p));
			unlink(p);
		}
	}
	free(sp->segs);
	free(sp->rbuf);
	pthread_mutex_destroy(&sp->mu);
	free(sp);
}
