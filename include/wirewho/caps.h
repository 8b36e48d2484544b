/*
 * caps.h - the capabilities `watch` needs, checked at start and shed once
 * the privileged descriptors are open.
 *
 * Opening a packet socket needs CAP_NET_RAW; after that, and after the
 * netlink sockets are open (sock_diag and address notifications need no
 * privilege), the only privileged thing left is reading other users'
 * /proc/PID/fd to find a socket's owner. That needs two capabilities, as
 * measured on Linux 6.x: CAP_DAC_READ_SEARCH to list /proc/PID/fd (a 0500
 * directory owned by the process's user) and CAP_SYS_PTRACE for the
 * readlink of /proc/PID/fd/N and /proc/PID/exe, which the kernel guards
 * with a ptrace access check (PTRACE_MODE_READ_FSCREDS). Everything else is
 * dropped from every set, including the bounding set, and no_new_privs is
 * set, so a compromised wirewho cannot regain more.
 */
#ifndef WIREWHO_CAPS_H
#define WIREWHO_CAPS_H

#include <stdbool.h>
#include <stddef.h>


/*
 * Check that capturing is allowed (CAP_NET_RAW). Returns 0, or -EPERM and
 * a message naming the missing capability in `err`.
 */
int ww_caps_check_capture(char *err, size_t errsz);

/*
 * Which of the owner-lookup capabilities are missing ("CAP_SYS_PTRACE",
 * "CAP_DAC_READ_SEARCH", both joined with " and "), or NULL when none.
 * Can't fail.
 */
const char *ww_caps_missing_for_owners(void);

/*
 * Which capabilities the kernel engine lacks to load ("CAP_BPF",
 * "CAP_PERFMON", "CAP_NET_ADMIN", several joined with " and "), or NULL
 * when it has them (or CAP_SYS_ADMIN). The text lives until the next call.
 * Can't fail.
 */
const char *ww_caps_missing_for_bpf(void);

/*
 * Keep only CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (those of them we have)
 * - plus CAP_NET_RAW when `keep_capture`, for a watcher that must reopen an
 * interface that went away - in the effective and permitted sets, clear
 * inheritable and ambient, drop every other capability from the bounding
 * set and set no_new_privs. Returns 0 or -errno. Without CAP_SETPCAP the
 * bounding set is left as it is (the other sets are still cleared).
 */
int ww_caps_drop_to_owner_lookup(bool keep_capture);

#endif
