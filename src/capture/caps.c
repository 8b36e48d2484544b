/*
 * caps.c - capability checks and the drop after start-up, over the raw
 * capget/capset and prctl interfaces (no libcap: three system calls do not
 * justify a build dependency).
 *
 * Order matters when shedding: the bounding set can only be reduced while
 * CAP_SETPCAP is effective, so it goes first; then capset() sets the final
 * permitted/effective sets (removing CAP_SETPCAP itself); ambient
 * capabilities are cleared so nothing is inherited by a child; finally
 * no_new_privs stops an exec from gaining anything through file caps or
 * set-uid bits.
 */
#include "wirewho/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAP_WORDS 2   /* _LINUX_CAPABILITY_VERSION_3: 64 capabilities in two u32 */

static int get_caps(struct __user_cap_data_struct d[CAP_WORDS])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	memset(d, 0, sizeof(*d) * CAP_WORDS);
	return syscall(SYS_capget, &h, d) == 0 ? 0 : -errno;
}

static bool in_set(const struct __user_cap_data_struct d[CAP_WORDS], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1u;
}

/* True when `cap` (a CAP_* number) is in the effective set. Can't fail. */
static bool ww_caps_have(int cap)
{
	struct __user_cap_data_struct d[CAP_WORDS];
	if (cap < 0 || cap >= 32 * CAP_WORDS || get_caps(d) < 0)
		return false;
	return in_set(d, cap);
}

int ww_caps_check_capture(char *err, size_t errsz)
{
	if (ww_caps_have(CAP_NET_RAW))
		return 0;
	snprintf(err, errsz,
		 "capturing packets needs CAP_NET_RAW, which this process lacks "
		 "(run as root, or grant it: setcap cap_net_raw,cap_sys_ptrace,cap_dac_read_search+ep wirewho)");
	return -EPERM;
}

const char *ww_caps_missing_for_owners(void)
{
	bool ptrace = ww_caps_have(CAP_SYS_PTRACE), dac = ww_caps_have(CAP_DAC_READ_SEARCH);
	if (ptrace && dac)
		return NULL;
	if (!ptrace && !dac)
		return "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH";
	return ptrace ? "CAP_DAC_READ_SEARCH" : "CAP_SYS_PTRACE";
}

const char *ww_caps_missing_for_bpf(void)
{
	static char buf[64];
	bool bpf = ww_caps_have(CAP_BPF), perf = ww_caps_have(CAP_PERFMON);
	bool net = ww_caps_have(CAP_NET_ADMIN);

	/* CAP_SYS_ADMIN stands for all three (the kernel's bpf_token_capable()). */
	if (ww_caps_have(CAP_SYS_ADMIN) || (bpf && perf && net))
		return NULL;
	buf[0] = '\0';
	const char *names[3] = { bpf ? NULL : "CAP_BPF", perf ? NULL : "CAP_PERFMON",
				 net ? NULL : "CAP_NET_ADMIN" };
	int n = 0;
	for (int i = 0; i < 3; i++) {
		if (!names[i])
			continue;
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "%s%s", n ? " and " : "", names[i]);
		n++;
	}
	return buf;
}

static int last_cap(void)
{
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

int ww_caps_drop_to_owner_lookup(bool keep_capture)
{
	const int keep[] = { CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, keep_capture ? CAP_NET_RAW : -1 };
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct now[CAP_WORDS], want[CAP_WORDS];
	int rc;

	if ((rc = get_caps(now)) < 0)
		return rc;
	if (in_set(now, CAP_SETPCAP)) {
		int last = last_cap();
		for (int c = 0; c <= last; c++) {
			if (c == keep[0] || c == keep[1] || c == keep[2])
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
				return -errno;
		}
	}
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		int c = keep[i];
		if (c < 0 || !((now[c / 32].permitted >> (c % 32)) & 1u))
			continue;   /* cannot keep what we do not have */
		want[c / 32].permitted |= 1u << (c % 32);
		want[c / 32].effective |= 1u << (c % 32);
	}
	if (syscall(SYS_capset, &h, want) < 0)
		return -errno;
	/* Ambient capabilities appeared in Linux 4.3; EINVAL before. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
