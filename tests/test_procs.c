/*
 * test_procs.c - socket inode -> owning processes, on this host's real
 * /proc: our own sockets, a socket shared with a forked child, processes
 * that exit, the incremental refresh, the targeted search, and the reasons
 * given when an owner cannot be found.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wirewho/procs.h"

static uint64_t inode_of(int fd)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

static bool owned_by(struct ww_procs *p, uint64_t ino, int pid)
{
	const struct ww_proc *o[8];
	size_t n = ww_procs_owners(p, ino, o, 8);
	for (size_t i = 0; i < n && i < 8; i++)
		if (o[i]->owner.pid == pid)
			return true;
	return false;
}

/* A child that holds whatever it inherited until its pipe closes. */
static pid_t hold_child(int *release_fd)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(pfd[1]);
		alarm(60);   /* never outlive a failed test */
		(void)!read(pfd[0], &c, 1);
		_exit(0);
	}
	close(pfd[0]);
	*release_fd = pfd[1];
	return pid;
}

static void release_child(pid_t pid, int release_fd)
{
	close(release_fd);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void test_own_socket_is_owned_by_this_process_with_its_identity(void **st)
{
	(void)st;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t ino = inode_of(s);
	struct ww_procs *p = ww_procs_new(NULL);
	assert_non_null(p);
	assert_int_equal(ww_procs_refresh(p, &ino, 1), 0);
	const struct ww_proc *o[4];
	assert_int_equal(ww_procs_owners(p, ino, o, 4), 1);
	assert_int_equal(o[0]->owner.pid, getpid());
	assert_int_equal(o[0]->owner.uid, (int)geteuid());
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(o[0]->owner.exe, exe);
	assert_string_equal(o[0]->owner.comm, "test_procs");
	struct passwd *pw = getpwuid(geteuid());
	if (pw)
		assert_string_equal(o[0]->owner.user, pw->pw_name);
	assert_non_null(strstr(o[0]->cmdline, "test_procs"));
	ww_procs_free(p);
	close(s);
}

static void test_socket_shared_with_forked_child_lists_both_owners(void **st)
{
	(void)st;
	int s = socket(AF_INET6, SOCK_STREAM, 0), rel;
	uint64_t ino = inode_of(s);
	pid_t child = hold_child(&rel);
	struct ww_procs *p = ww_procs_new(NULL);
	assert_int_equal(ww_procs_refresh(p, &ino, 1), 0);
	const struct ww_proc *o[4];
	assert_int_equal(ww_procs_owners(p, ino, o, 4), 2);
	assert_true(owned_by(p, ino, getpid()));
	assert_true(owned_by(p, ino, child));
	assert_true(o[0]->owner.pid < o[1]->owner.pid);   /* ordered by pid */
	release_child(child, rel);
	ww_procs_free(p);
	close(s);
}

static void test_exited_process_is_dropped_at_the_next_refresh(void **st)
{
	(void)st;
	int s = socket(AF_INET, SOCK_STREAM, 0), rel;
	pid_t child = hold_child(&rel);
	close(s);   /* only the child holds it now */
	uint64_t ino;
	{
		/* the child's copy has the inode our descriptor had */
		char path[64], lnk[64];
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)child, s);
		ssize_t n;
		for (int i = 0; i < 100 && (n = readlink(path, lnk, sizeof(lnk) - 1)) < 0; i++)
			usleep(10000);
		n = readlink(path, lnk, sizeof(lnk) - 1);
		assert_true(n > 0);
		lnk[n] = '\0';
		assert_int_equal(sscanf(lnk, "socket:[%lu]", (unsigned long *)&ino), 1);
	}
	struct ww_procs *p = ww_procs_new(NULL);
	assert_int_equal(ww_procs_refresh(p, &ino, 1), 0);
	assert_true(owned_by(p, ino, child));
	release_child(child, rel);
	assert_int_equal(ww_procs_refresh(p, &ino, 1), 0);
	assert_false(owned_by(p, ino, child));
	char why[160];
	assert_int_equal(ww_procs_why_unowned(p, ino, 0, why, sizeof(why)), WW_UNOWNED_NOT_FOUND);
	ww_procs_free(p);
}

static void test_unchanged_processes_are_not_rescanned(void **st)
{
	(void)st;
	int rel;
	pid_t child = hold_child(&rel);
	struct ww_procs *p = ww_procs_new(NULL);
	struct ww_procs_stats s1, s2;
	assert_int_equal(ww_procs_refresh(p, NULL, 0), 0);
	ww_procs_stats(p, &s1);
	assert_int_equal(ww_procs_refresh(p, NULL, 0), 0);
	ww_procs_stats(p, &s2);
	if (!s2.count_criterion) {
		release_child(child, rel);
		ww_procs_free(p);
		skip();   /* kernel < 6.2: no fd counts, every refresh rescans */
	}
	assert_true(s1.scanned >= s1.seen - s1.vanished - 1);
	/* processes of other engineers may change meanwhile; ours must not be read */
	assert_true(s2.unchanged > 0);
	assert_true(s2.scanned < s1.scanned);
	release_child(child, rel);
	ww_procs_free(p);
}

static void test_socket_swapped_in_at_same_fd_count_is_found_through_want(void **st)
{
	(void)st;
	struct ww_procs *p = ww_procs_new(NULL);
	int filler = open("/dev/null", O_RDONLY);
	assert_int_equal(ww_procs_refresh(p, NULL, 0), 0);
	close(filler);
	int s = socket(AF_INET, SOCK_DGRAM, 0);   /* same number of descriptors as before */
	uint64_t ino = inode_of(s);
	struct ww_procs_stats stt;
	assert_int_equal(ww_procs_refresh(p, &ino, 1), 0);
	ww_procs_stats(p, &stt);
	assert_true(owned_by(p, ino, getpid()));
	ww_procs_free(p);
	close(s);
}

static void test_targeted_search_finds_a_new_process_first(void **st)
{
	(void)st;
	struct ww_procs *p = ww_procs_new(NULL);
	assert_int_equal(ww_procs_refresh(p, NULL, 0), 0);
	int pfd[2], rel[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pipe(rel), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char c;
		int s = socket(AF_INET, SOCK_STREAM, 0);
		uint64_t ino = inode_of(s);
		close(rel[1]);
		(void)!write(pfd[1], &ino, sizeof(ino));
		alarm(60);
		(void)!read(rel[0], &c, 1);
		_exit(0);
	}
	close(rel[0]);
	uint64_t ino = 0;
	assert_int_equal(read(pfd[0], &ino, sizeof(ino)), (ssize_t)sizeof(ino));
	const struct ww_proc *o[2];
	assert_int_equal(ww_procs_find_inode(p, ino, o, 2), 1);
	assert_int_equal(o[0]->owner.pid, child);
	/* and an inode nobody holds is reported as such */
	assert_int_equal(ww_procs_find_inode(p, 1, o, 2), -ENOENT);
	close(rel[1]);
	waitpid(child, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	ww_procs_free(p);
}

static void test_newest_first_search_finds_a_just_started_process_without_the_cache(void **st)
{
	(void)st;
	struct ww_procs *p = ww_procs_new(NULL);
	int pfd[2], rel[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pipe(rel), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char c;
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		uint64_t ino = inode_of(s);
		close(rel[1]);
		(void)!write(pfd[1], &ino, sizeof(ino));
		alarm(60);
		(void)!read(rel[0], &c, 1);
		_exit(0);
	}
	close(rel[0]);
	uint64_t ino = 0;
	assert_int_equal(read(pfd[0], &ino, sizeof(ino)), (ssize_t)sizeof(ino));
	struct ww_owner o;
	unsigned denied = 0;
	assert_int_equal(ww_procs_find_newest(p, ino, 48, &o, &denied), 1);
	assert_int_equal(o.pid, child);
	assert_int_equal(o.uid, (int)geteuid());
	assert_non_null(o.comm);
	assert_true(o.comm[0] != '\0' && strchr(o.comm, '\n') == NULL);
	assert_non_null(o.exe);
	/* it did not fill the cache: that is the refresh's and the targeted search's job */
	const struct ww_proc *pp[1];
	assert_int_equal(ww_procs_owners(p, ino, pp, 1), 0);
	/* an inode none of the newest tasks holds */
	assert_int_equal(ww_procs_find_newest(p, 1, 48, &o, &denied), 0);
	close(rel[1]);
	waitpid(child, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	ww_procs_free(p);
}

static void test_newest_first_search_without_loadavg_says_enoent(void **st)
{
	(void)st;
	char dir[] = "/tmp/ww_fakeprocXXXXXX";
	assert_non_null(mkdtemp(dir));
	struct ww_procs *p = ww_procs_new(dir);
	assert_non_null(p);
	struct ww_owner o;
	unsigned denied = 0;
	assert_int_equal(ww_procs_find_newest(p, 123456, 48, &o, &denied), -ENOENT);
	assert_int_equal(denied, 0);
	ww_procs_free(p);
	rmdir(dir);
}

static void test_unreadable_fd_tables_explain_unknown_owner_as_permission(void **st)
{
	(void)st;
	if (geteuid() != 0)
		skip();
	int s = socket(AF_INET, SOCK_STREAM, 0);
	uint64_t ino = inode_of(s);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* an ordinary user looking at root's socket */
		close(s);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		struct ww_procs *p = ww_procs_new(NULL);
		if (!p || ww_procs_refresh(p, &ino, 1) < 0)
			_exit(11);
		const struct ww_proc *o[2];
		if (ww_procs_owners(p, ino, o, 2) != 0)
			_exit(12);
		char why[160];
		if (ww_procs_why_unowned(p, ino, 0, why, sizeof(why)) != WW_UNOWNED_PERMISSION)
			_exit(13);
		if (strncmp(why, "permission", 10) != 0)
			_exit(14);
		struct ww_procs_stats stt;
		ww_procs_stats(p, &stt);
		_exit(stt.denied > 0 ? 0 : 15);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(s);
}

static void test_socket_without_inode_and_invisible_owner_are_explained(void **st)
{
	(void)st;
	char dir[] = "/tmp/ww_fakeprocXXXXXX";
	assert_non_null(mkdtemp(dir));   /* a /proc with no process in it: another PID namespace */
	struct ww_procs *p = ww_procs_new(dir);
	assert_non_null(p);
	uint64_t ino = 123456;
	assert_int_equal(ww_procs_refresh(p, &ino, 1), 0);
	char why[160];
	assert_int_equal(ww_procs_why_unowned(p, ino, 0, why, sizeof(why)), WW_UNOWNED_NOT_FOUND);
	assert_non_null(strstr(why, "PID namespace"));
	assert_int_equal(ww_procs_why_unowned(p, 0, 0, why, sizeof(why)), WW_UNOWNED_NO_INODE);
	assert_string_equal(ww_unowned_name(WW_UNOWNED_PERMISSION), "permission");
	ww_procs_free(p);
	rmdir(dir);
}

static void test_missing_proc_root_fails_cleanly(void **st)
{
	(void)st;
	errno = 0;
	assert_null(ww_procs_new("/nonexistent/proc"));
	assert_int_equal(errno, ENOENT);
}

static void test_a_forked_and_execd_child_names_its_parent_and_command_line(void **st)
{
	(void)st;
	int s = socket(AF_INET, SOCK_DGRAM, 0);   /* inherited by the child's program */
	uint64_t ino = inode_of(s);
	int sync[2];
	assert_int_equal(pipe(sync), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(sync[0]);
		if (dup2(sync[1], 9) < 0)
			_exit(126);
		alarm(60);   /* never outlive a failed test (kept across exec) */
		execl("/bin/sh", "sh", "-c", "echo >&9; exec 9>&-; exec sleep 30", (char *)NULL);
		_exit(127);
	}
	close(sync[1]);
	close(s);   /* only the child holds it now */
	char c;
	assert_int_equal(read(sync[0], &c, 1), 1);   /* the shell ran: the exec follows */
	close(sync[0]);
	struct ww_procs *p = ww_procs_new(NULL);
	const struct ww_proc *o[4];
	size_t n = 0;
	for (int i = 0; i < 200; i++) {   /* until sh has become sleep (2 s at most) */
		assert_int_equal(ww_procs_refresh(p, &ino, 1), 0);
		n = ww_procs_owners(p, ino, o, 4);
		if (n == 1 && strcmp(o[0]->owner.comm, "sleep") == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(n, 1);
	assert_int_equal(o[0]->owner.pid, child);
	assert_string_equal(o[0]->owner.comm, "sleep");
	assert_string_equal(o[0]->owner.cmdline, "sleep 30");
	assert_int_equal(o[0]->owner.ppid, getpid());
	assert_string_equal(o[0]->owner.parent_comm, "test_procs");
	char exe[4096];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(el > 0);
	exe[el] = '\0';
	assert_string_equal(o[0]->owner.parent_exe, exe);
	/* the newest-first search says the same */
	struct ww_owner nw;
	unsigned denied = 0;
	struct ww_procs *q = ww_procs_new(NULL);
	if (ww_procs_find_newest(q, ino, 4096, &nw, &denied) == 1) {
		assert_int_equal(nw.ppid, getpid());
		assert_string_equal(nw.parent_comm, "test_procs");
		assert_string_equal(nw.cmdline, "sleep 30");
	}
	ww_procs_free(q);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	ww_procs_free(p);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * A /proc of 66 processes, each of another uid and each holding one socket:
 * more users than the name cache's 64 first slots. The 64th is root; the
 * 65th and 66th are uids without a name. Every owner's user name must stay
 * readable after the cache has grown past them (it once freed the 64th
 * slot's name, which root's entry still pointed at).
 */
static void test_more_than_64_users_keep_every_owners_user_name(void **st)
{
	(void)st;
	char dir[] = "/tmp/wwprocs-users.XXXXXX", path[256], text[256];
	assert_non_null(mkdtemp(dir));
	enum { NPROC = 66, ROOT_AT = 64 };
	uint64_t want[NPROC];
	for (int i = 1; i <= NPROC; i++) {
		unsigned uid = i == ROOT_AT ? 0 : 3999000u + (unsigned)i;   /* no such users */
		snprintf(path, sizeof(path), "%s/%d", dir, i);
		assert_int_equal(mkdir(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/%d/stat", dir, i);
		snprintf(text, sizeof(text), "%d (p%d) S 1 %d %d 0 -1 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0\n",
			 i, i, i, i, 100 + i);
		write_file(path, text);
		snprintf(path, sizeof(path), "%s/%d/status", dir, i);
		snprintf(text, sizeof(text), "Name:\tp%d\nTgid:\t%d\nUid:\t%u\t%u\t%u\t%u\n", i, i, uid,
			 uid, uid, uid);
		write_file(path, text);
		snprintf(path, sizeof(path), "%s/%d/cmdline", dir, i);
		write_file(path, "p");
		snprintf(path, sizeof(path), "%s/%d/fd", dir, i);
		assert_int_equal(mkdir(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/%d/fd/3", dir, i);
		snprintf(text, sizeof(text), "socket:[%d]", 7000 + i);
		assert_int_equal(symlink(text, path), 0);
		want[i - 1] = 7000u + (unsigned)i;
	}
	struct ww_procs *p = ww_procs_new(dir);
	assert_non_null(p);
	assert_int_equal(ww_procs_refresh(p, want, NPROC), 0);
	const struct ww_proc *o[2];
	assert_int_equal(ww_procs_owners(p, 7000 + ROOT_AT, o, 2), 1);
	struct passwd *pw = getpwuid(0);
	assert_non_null(pw);
	assert_non_null(o[0]->owner.user);
	assert_string_equal(o[0]->owner.user, pw->pw_name);
	assert_int_equal(ww_procs_owners(p, 7000 + NPROC, o, 2), 1);
	assert_null(o[0]->owner.user);
	ww_procs_free(p);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_cgroup_paths_name_the_container_its_kubernetes_pod_and_systemd_unit(void **st)
{
	(void)st;
	struct ww_cgroup_ident id;
	/* kubelet's systemd driver, containerd: the pod uid with '_' for '-' */
	assert_int_equal(ww_procs_parse_cgroup(
		"0::/kubepods.slice/kubepods-besteffort.slice/"
		"kubepods-besteffort-pod5f3a9c1e_2b4d_4e6f_8a9b_0c1d2e3f4a5b.slice/"
		"cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n", &id), 1);
	assert_true(id.has_container);
	assert_string_equal(id.c.runtime, "containerd");
	assert_string_equal(id.pod_uid, "5f3a9c1e-2b4d-4e6f-8a9b-0c1d2e3f4a5b");
	assert_string_equal(id.unit, "cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope");
	/* the cgroupfs driver: pod<uid>/<id> */
	assert_int_equal(ww_procs_parse_cgroup(
		"0::/kubepods/burstable/pod5f3a9c1e-2b4d-4e6f-8a9b-0c1d2e3f4a5b/"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", &id), 1);
	assert_true(id.has_container);
	assert_string_equal(id.pod_uid, "5f3a9c1e-2b4d-4e6f-8a9b-0c1d2e3f4a5b");
	assert_string_equal(id.unit, "");
	/* a host service: no container, its unit; on a hybrid host from name=systemd */
	assert_int_equal(ww_procs_parse_cgroup("1:name=systemd:/system.slice/nginx.service\n0::/\n", &id), 1);
	assert_false(id.has_container);
	assert_string_equal(id.unit, "nginx.service");
	assert_string_equal(id.pod_uid, "");
	/* the root: nothing */
	assert_int_equal(ww_procs_parse_cgroup("0::/\n", &id), 0);
	/* not a uid after "pod" */
	assert_int_equal(ww_procs_parse_cgroup("0::/podcast.slice/x.service\n", &id), 1);
	assert_string_equal(id.pod_uid, "");
	assert_string_equal(id.unit, "x.service");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_socket_is_owned_by_this_process_with_its_identity),
		cmocka_unit_test(test_socket_shared_with_forked_child_lists_both_owners),
		cmocka_unit_test(test_exited_process_is_dropped_at_the_next_refresh),
		cmocka_unit_test(test_unchanged_processes_are_not_rescanned),
		cmocka_unit_test(test_socket_swapped_in_at_same_fd_count_is_found_through_want),
		cmocka_unit_test(test_targeted_search_finds_a_new_process_first),
		cmocka_unit_test(test_newest_first_search_finds_a_just_started_process_without_the_cache),
		cmocka_unit_test(test_newest_first_search_without_loadavg_says_enoent),
		cmocka_unit_test(test_unreadable_fd_tables_explain_unknown_owner_as_permission),
		cmocka_unit_test(test_socket_without_inode_and_invisible_owner_are_explained),
		cmocka_unit_test(test_missing_proc_root_fails_cleanly),
		cmocka_unit_test(test_a_forked_and_execd_child_names_its_parent_and_command_line),
		cmocka_unit_test(test_more_than_64_users_keep_every_owners_user_name),
		cmocka_unit_test(test_cgroup_paths_name_the_container_its_kubernetes_pod_and_systemd_unit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
