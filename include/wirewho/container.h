/*
 * container.h - which container a process runs in, from its cgroup path.
 *
 * Container runtimes put each container's processes into a cgroup whose
 * path carries the runtime and the container's id (docker, podman,
 * containerd/CRI, CRI-O) or the machine's name (systemd-nspawn, machined,
 * LXC). Reading /proc/PID/cgroup is the one source that needs no runtime
 * API or socket, works for every runtime, and works as the process runs;
 * the runtime's own name for a container (docker's "--name") is not in the
 * path and is not guessed. See container.c for the paths recognised.
 *
 * The cgroup path is chosen by whoever can write to the cgroup tree (root,
 * or a delegated user manager), so the result is a claim, not a proof; the
 * writers escape the strings like every other /proc string.
 */
#ifndef WIREWHO_CONTAINER_H
#define WIREWHO_CONTAINER_H

#include <stddef.h>

#define WW_CONTAINER_RUNTIME_MAX 16   /* "docker", "podman", "containerd", "cri-o", "nspawn", "lxc" */
#define WW_CONTAINER_ID_MAX 128       /* a 64-hex id, or a machine name (machined: <= 64) */

struct ww_container {
	char runtime[WW_CONTAINER_RUNTIME_MAX];  /* see above */
	char id[WW_CONTAINER_ID_MAX];            /* the container id (hex) or machine name */
};

/*
 * The container named by the text of a /proc/PID/cgroup file (v2 "0::PATH"
 * line first, else the v1 name=systemd or any other line). Returns 1 and
 * fills *out when a container is recognised, 0 when the path names none
 * (the host's system.slice services, a user session...). Can't fail.
 */
int ww_container_parse(const char *cgroup_text, struct ww_container *out);

/*
 * The container of process `pid`, from `proc_root`/PID/cgroup (proc_root
 * NULL: "/proc"). Returns 1 (found, *out filled), 0 (none), or -errno when
 * the file cannot be read (-ENOENT: the process exited).
 */
int ww_container_from_cgroup(int pid, const char *proc_root, struct ww_container *out);

/*
 * The container as records show it, "RUNTIME:ID" with a hex id cut to
 * its first 12 digits as `docker ps` shows it, into buf. Returns buf.
 * Can't fail (a short buffer truncates).
 */
const char *ww_container_label(const struct ww_container *c, char *buf, size_t bufsz);

#endif
