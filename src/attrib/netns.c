/*
 * netns.c - the host's other network namespaces: found once, entered once
 * by a helper thread, then read through netlink sockets opened inside them.
 *
 * Finding them: /run/netns/NAME (what `ip netns add` bind-mounts) first, so
 * a named namespace is known by its name, then /proc/PID/ns/net of every
 * process, deduplicated by the namespace's nsfs inode (stat(), which needs
 * no open). Entering them: setns() changes only the calling thread's
 * namespace, so one helper thread walks the list, enters each, opens a
 * socket table (socktab.c, NETLINK_SOCK_DIAG) and a NETLINK_ROUTE socket
 * there, and ends; sockets keep the namespace they were opened in, so the
 * monitor's thread queries them without ever leaving its own. Addresses
 * come from RTM_GETADDR dumps over that route socket, into a ww_netaddr
 * each (a fresh one per dump, swapped in when the dump succeeded), again
 * every WW_NETNS_REFRESH_US: a container's address is set once, at its
 * start, so polling beats keeping a notification socket per namespace.
 * Which namespaces have an address is a linear walk over the set's
 * hash sets: tens of namespaces, one probe each, only for flows that are
 * not ours.
 */
#include "wirewho/netns.h"
#include "wirewho/netaddr.h"
#include "wirewho/socktab.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/run/netns"
#define NAME_MAX_LEN 64

struct nsent {
	uint64_t ino;
	char name[NAME_MAX_LEN];     /* `ip netns` name, "" none */
	char path[NAME_MAX_LEN + 16];/* what to open to enter it */
	struct ww_socktab *tab;
	struct mnl_socket *rt;
	struct ww_netaddr *addrs;
	int enter_err;               /* the helper's errno, 0 entered */
};

struct ww_netns_set {
	struct nsent *v;
	size_t n, cap;
	ww_time_t last;
	char *buf;                   /* MNL_SOCKET_BUFFER_SIZE */
	unsigned seq;
};

static uint64_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static int add_candidate(struct ww_netns_set *s, uint64_t own, const char *path, const char *name)
{
	uint64_t ino = ino_of(path);
	if (!ino || ino == own)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == ino)
			return 0;
	if (s->n == WW_NETNS_MAX)
		return 0;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct nsent *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	struct nsent *e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	snprintf(e->path, sizeof(e->path), "%s", path);
	return 0;
}

/* The helper thread: enter each namespace, open its sockets there. */
static void *enter_all(void *arg)
{
	struct ww_netns_set *s = arg;
	for (size_t i = 0; i < s->n; i++) {
		struct nsent *e = &s->v[i];
		int fd = open(e->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			e->enter_err = errno;
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		e->tab = ww_socktab_new(0);
		e->rt = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
		if (e->rt && mnl_socket_bind(e->rt, 0, MNL_SOCKET_AUTOPID) < 0) {
			mnl_socket_close(e->rt);
			e->rt = NULL;
		}
		if (!e->tab || !e->rt)
			e->enter_err = errno ? errno : ENOMEM;
	}
	return NULL;   /* the thread ends in the last namespace: nobody else is there */
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	return ww_netaddr_apply(data, nlh) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* One RTM_GETADDR dump over e's route socket into a fresh set, swapped in on success. */
static int dump_addrs(struct ww_netns_set *s, struct nsent *e)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ww_netaddr *n = ww_netaddr_new();
	unsigned seq = ++s->seq, portid = mnl_socket_get_portid(e->rt);
	int rc = 0;
	if (!n)
		return -ENOMEM;
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	struct rtgenmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(e->rt, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(e->rt, s->buf, MNL_SOCKET_BUFFER_SIZE);
		if (len < 0) {
			rc = -errno;
			goto out;
		}
		int r = mnl_cb_run(s->buf, (size_t)len, seq, portid, addr_cb, n);
		if (r == MNL_CB_STOP)
			break;
		if (r < 0) {
			rc = errno ? -errno : -EIO;
			goto out;
		}
	}
	ww_netaddr_close(e->addrs);
	e->addrs = n;
	n = NULL;
out:
	ww_netaddr_close(n);
	return rc;
}

struct ww_netns_set *ww_netns_open(unsigned *skipped, int *err)
{
	uint64_t own_ino = ino_of("/proc/thread-self/ns/net");
	struct ww_netns_set *s = calloc(1, sizeof(*s));
	*skipped = 0;
	if (!s || !(s->buf = malloc(MNL_SOCKET_BUFFER_SIZE))) {
		free(s);
		*err = -ENOMEM;
		return NULL;
	}
	s->seq = (unsigned)time(NULL);
	char path[300];
	DIR *d = opendir(NETNS_RUN_DIR);
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= NAME_MAX_LEN)
			continue;
		snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", de->d_name);
		rc = add_candidate(s, own_ino, path, de->d_name);
	}
	if (d)
		closedir(d);
	d = opendir("/proc");
	while (rc == 0 && d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/ns/net", de->d_name);
		rc = add_candidate(s, own_ino, path, NULL);
	}
	if (d)
		closedir(d);
	if (rc < 0) {
		ww_netns_free(s);
		*err = rc;
		return NULL;
	}
	pthread_t th;
	if (s->n && pthread_create(&th, NULL, enter_all, s) == 0)
		pthread_join(th, NULL);
	else
		for (size_t i = 0; i < s->n; i++)
			s->v[i].enter_err = EAGAIN;
	/* keep the namespaces we are in, with their first addresses */
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct nsent *e = &s->v[i];
		if (e->enter_err || dump_addrs(s, e) < 0) {
			(*skipped)++;
			ww_socktab_free(e->tab);
			if (e->rt)
				mnl_socket_close(e->rt);
			ww_netaddr_close(e->addrs);
			continue;
		}
		s->v[k++] = *e;
	}
	s->n = k;
	s->last = ww_wall_now();
	return s;
}

void ww_netns_free(struct ww_netns_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		ww_socktab_free(s->v[i].tab);
		if (s->v[i].rt)
			mnl_socket_close(s->v[i].rt);
		ww_netaddr_close(s->v[i].addrs);
	}
	free(s->v);
	free(s->buf);
	free(s);
}

size_t ww_netns_count(const struct ww_netns_set *s)
{
	return s ? s->n : 0;
}

static bool is_loopback(const struct ww_addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	return (ww_addr_is_v4(a) && a->b[12] == 127) || memcmp(a->b, v6lo, 16) == 0;
}

size_t ww_netns_with_addr(const struct ww_netns_set *s, const struct ww_addr *a, size_t *out,
			  size_t max)
{
	size_t n = 0;
	for (size_t i = 0; s && i < s->n; i++) {
		/* 127/8 is "local" to every set: a loopback flow is never another namespace's here */
		if (!s->v[i].addrs || is_loopback(a) || !ww_netaddr_is_local(s->v[i].addrs, a))
			continue;
		if (n < max)
			out[n] = i;
		n++;
	}
	return n;
}

struct ww_socktab *ww_netns_socktab(const struct ww_netns_set *s, size_t i)
{
	return s->v[i].tab;
}

uint64_t ww_netns_ino(const struct ww_netns_set *s, size_t i)
{
	return s->v[i].ino;
}

const char *ww_netns_name(const struct ww_netns_set *s, size_t i)
{
	return s->v[i].name;
}

int ww_netns_refresh(struct ww_netns_set *s, ww_time_t now)
{
	int rc = 0;
	if (!s || now - s->last < WW_NETNS_REFRESH_US)
		return 0;
	s->last = now;
	for (size_t i = 0; i < s->n; i++) {
		int r = dump_addrs(s, &s->v[i]);
		if (r < 0 && rc == 0)
			rc = r;
	}
	return rc;
}
