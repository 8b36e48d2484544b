/*
 * container.c - a process's container, read from its cgroup path.
 *
 * One function reads /proc/PID/cgroup (a few hundred bytes, one read) and
 * one pure function parses it, so the parser is tested on the paths real
 * runtimes make without running them. The path is the cgroup v2 line
 * ("0::/..."); on a v1 or hybrid host the name=systemd line, else the first
 * line. Its components are read from the deepest up and the first one that
 * names a container wins: the innermost container is the one the process
 * is really in (podman in an nspawn machine is podman's).
 *
 * Recognised (the runtime's systemd and cgroupfs drivers):
 *   docker-<64hex>.scope                       docker   (systemd driver)
 *   docker/<64hex>                             docker   (cgroupfs driver)
 *   libpod-<64hex>.scope, libpod-<64hex>       podman   (not libpod-conmon-*: that is
 *                                                        the monitor, not the container)
 *   cri-containerd-<64hex>.scope               containerd (Kubernetes, systemd driver)
 *   crio-<64hex>.scope                         cri-o    (not crio-conmon-*)
 *   kubepods/.../<64hex>                       cri      (Kubernetes, cgroupfs driver:
 *                                                        the runtime is not in the path)
 *   systemd-nspawn@<name>.service              nspawn
 *   machine.slice/machine-<name>.scope         machine  (registered with machined: nspawn
 *                                                        or a VM's emulator; \x2d unescaped)
 *   lxc.payload.<name>, lxc/<name>             lxc
 * Anything else (system.slice services, user sessions, "/") is no container.
 */
#include "wirewho/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CGROUP_READ_MAX 4096   /* a /proc/PID/cgroup file: 13 v1 controllers of long paths fit */
#define HEX_ID_LEN 64          /* docker, podman, containerd and CRI-O ids are SHA-256 in hex */
#define SHORT_ID_LEN 12        /* `docker ps` and `podman ps` show this many digits */

static bool is_hex_id(const char *s, size_t n)
{
	if (n != HEX_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void set(struct ww_container *out, const char *runtime, const char *id, size_t n)
{
	snprintf(out->runtime, sizeof(out->runtime), "%s", runtime);
	if (n >= sizeof(out->id))
		n = sizeof(out->id) - 1;
	memcpy(out->id, id, n);
	out->id[n] = '\0';
}

/* systemd unit-name escaping: "\x2d" is '-' in a machine name; other escapes kept as they are. */
static void set_unescaped(struct ww_container *out, const char *runtime, const char *id, size_t n)
{
	char buf[WW_CONTAINER_ID_MAX];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < sizeof(buf); i++) {
		if (id[i] == '\\' && i + 3 < n && id[i + 1] == 'x' && id[i + 2] == '2' && id[i + 3] == 'd') {
			buf[k++] = '-';
			i += 3;
		} else {
			buf[k++] = id[i];
		}
	}
	set(out, runtime, buf, k);
}

/* `c` (n bytes) is "PREFIX<64hex>SUFFIX"? */
static bool prefixed_hex(const char *c, size_t n, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	return n == pl + HEX_ID_LEN + sl && memcmp(c, prefix, pl) == 0 &&
	       memcmp(c + pl + HEX_ID_LEN, suffix, sl) == 0 && is_hex_id(c + pl, HEX_ID_LEN);
}

static bool has_component(const char *path, size_t len, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i + nl <= len; i++)
		if ((i == 0 || path[i - 1] == '/') && memcmp(path + i, name, nl) == 0 &&
		    (i + nl == len || path[i + nl] == '/' || path[i + nl] == '.' || path[i + nl] == '-'))
			return true;
	return false;
}

/* One component `c` (n bytes), its parent `parent` (pn bytes, "" at the root). */
static bool component(const char *c, size_t n, const char *parent, size_t pn,
		      const char *path, size_t path_len, struct ww_container *out)
{
	static const struct { const char *prefix, *suffix, *runtime; } hex[] = {
		{ "docker-", ".scope", "docker" },
		{ "libpod-", ".scope", "podman" },
		{ "libpod-", "", "podman" },
		{ "cri-containerd-", ".scope", "containerd" },
		{ "crio-", ".scope", "cri-o" },
	};
	for (size_t i = 0; i < sizeof(hex) / sizeof(hex[0]); i++)
		if (prefixed_hex(c, n, hex[i].prefix, hex[i].suffix)) {
			set(out, hex[i].runtime, c + strlen(hex[i].prefix), HEX_ID_LEN);
			return true;
		}
	if (is_hex_id(c, n)) {
		if (pn == 6 && memcmp(parent, "docker", 6) == 0) {
			set(out, "docker", c, n);
			return true;
		}
		if (has_component(path, path_len, "kubepods")) {
			set(out, "cri", c, n);
			return true;
		}
	}
	static const char nspawn[] = "systemd-nspawn@", service[] = ".service";
	size_t nl = sizeof(nspawn) - 1, sl = sizeof(service) - 1;
	if (n > nl + sl && memcmp(c, nspawn, nl) == 0 && memcmp(c + n - sl, service, sl) == 0) {
		set_unescaped(out, "nspawn", c + nl, n - nl - sl);
		return true;
	}
	static const char machine[] = "machine-", scope[] = ".scope";
	size_t ml = sizeof(machine) - 1, scl = sizeof(scope) - 1;
	if (n > ml + scl && memcmp(c, machine, ml) == 0 && memcmp(c + n - scl, scope, scl) == 0 &&
	    pn == 13 && memcmp(parent, "machine.slice", 13) == 0) {
		set_unescaped(out, "machine", c + ml, n - ml - scl);
		return true;
	}
	static const char lxcp[] = "lxc.payload.";
	size_t ll = sizeof(lxcp) - 1;
	if (n > ll && memcmp(c, lxcp, ll) == 0) {
		set(out, "lxc", c + ll, n - ll);
		return true;
	}
	if (pn == 3 && memcmp(parent, "lxc", 3) == 0 && n > 0) {
		set(out, "lxc", c, n);
		return true;
	}
	return false;
}

/* The path of the line to read, into *path and *len; false when there is none. */
static bool pick_line(const char *text, const char **path, size_t *len)
{
	const char *best = NULL;
	size_t best_len = 0;
	int best_rank = 0;   /* 3: "0::", 2: name=systemd, 1: any other */
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		const char *c1 = memchr(l, ':', n);
		const char *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - l)) : NULL;
		if (c2) {
			const char *p = c2 + 1;
			size_t pl = n - (size_t)(p - l);
			int rank = (c1 - l == 1 && l[0] == '0' && c2 == c1 + 1) ? 3
				 : ((size_t)(c2 - c1 - 1) == 12 && memcmp(c1 + 1, "name=systemd", 12) == 0) ? 2
				 : 1;
			if (rank > best_rank) {
				best_rank = rank;
				best = p;
				best_len = pl;
			}
		}
		l += n + (e != NULL);
	}
	if (!best)
		return false;
	*path = best;
	*len = best_len;
	return true;
}

int ww_container_parse(const char *cgroup_text, struct ww_container *out)
{
	const char *path;
	size_t len;
	memset(out, 0, sizeof(*out));
	if (!cgroup_text || !pick_line(cgroup_text, &path, &len))
		return 0;
	/* deepest component first */
	size_t end = len;
	while (end > 0) {
		while (end > 0 && path[end - 1] == '/')
			end--;
		size_t start = end;
		while (start > 0 && path[start - 1] != '/')
			start--;
		if (start == end)
			break;
		size_t pend = start;
		while (pend > 0 && path[pend - 1] == '/')
			pend--;
		size_t pstart = pend;
		while (pstart > 0 && path[pstart - 1] != '/')
			pstart--;
		if (component(path + start, end - start, path + pstart, pend - pstart, path, len, out))
			return 1;
		end = start;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

int ww_container_from_cgroup(int pid, const char *proc_root, struct ww_container *out)
{
	char path[256], buf[CGROUP_READ_MAX + 1];
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root ? proc_root : "/proc", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, CGROUP_READ_MAX);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return ww_container_parse(buf, out);
}

const char *ww_container_label(const struct ww_container *c, char *buf, size_t bufsz)
{
	size_t idlen = strlen(c->id);
	int shown = is_hex_id(c->id, idlen) ? SHORT_ID_LEN : (int)idlen;
	snprintf(buf, bufsz, "%s:%.*s", c->runtime, shown, c->id);
	return buf;
}
