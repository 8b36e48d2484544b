/*
 * test_container.c - a process's container from the cgroup paths real
 * runtimes make (docker, podman, Kubernetes with containerd and CRI-O,
 * systemd-nspawn, machined, LXC), hosts' own services that are none, and
 * this very process read through /proc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "wirewho/container.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect(const char *text, const char *runtime, const char *id)
{
	struct ww_container c;
	int r = ww_container_parse(text, &c);
	if (!runtime) {
		assert_int_equal(r, 0);
		assert_string_equal(c.runtime, "");
		return;
	}
	assert_int_equal(r, 1);
	assert_string_equal(c.runtime, runtime);
	assert_string_equal(c.id, id);
}

static void test_docker_systemd_and_cgroupfs_drivers_name_the_container_id(void **state)
{
	(void)state;
	expect("0::/system.slice/docker-" HEX ".scope\n", "docker", HEX);
	expect("0::/docker/" HEX "\n", "docker", HEX);
	/* a container's own sub-cgroup (cgroup namespaces, init.scope) is still it */
	expect("0::/system.slice/docker-" HEX ".scope/init.scope\n", "docker", HEX);
}

static void test_podman_container_is_named_and_its_conmon_monitor_is_not(void **state)
{
	(void)state;
	expect("0::/machine.slice/libpod-" HEX ".scope\n", "podman", HEX);
	expect("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" HEX
	       ".scope/container\n", "podman", HEX);
	expect("0::/machine.slice/libpod-conmon-" HEX ".scope\n", NULL, NULL);
}

static void test_kubernetes_pods_name_containerd_crio_or_cri(void **state)
{
	(void)state;
	expect("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/"
	       "cri-containerd-" HEX ".scope\n", "containerd", HEX);
	expect("0::/kubepods.slice/kubepods-burstable.slice/crio-" HEX ".scope\n", "cri-o", HEX);
	expect("0::/kubepods/besteffort/pod5678/" HEX "\n", "cri", HEX);
}

static void test_nspawn_machined_and_lxc_name_the_machine(void **state)
{
	(void)state;
	expect("0::/machine.slice/systemd-nspawn@web1.service/payload\n", "nspawn", "web1");
	expect("0::/machine.slice/machine-web\\x2d2.scope/payload/system.slice/nginx.service\n",
	       "machine", "web-2");
	expect("0::/lxc.payload.db/init.scope\n", "lxc", "db");
	expect("0::/lxc/db\n", "lxc", "db");
}

static void test_host_services_sessions_and_the_root_are_no_container(void **state)
{
	(void)state;
	expect("0::/system.slice/ssh.service\n", NULL, NULL);
	expect("0::/user.slice/user-0.slice/session-3.scope\n", NULL, NULL);
	expect("0::/\n", NULL, NULL);
	expect("", NULL, NULL);
	/* a scope that merely looks like one: the id is not 64 hex digits */
	expect("0::/system.slice/docker-abc.scope\n", NULL, NULL);
	expect("0::/system.slice/docker.service\n", NULL, NULL);
	/* machine-*.scope counts only under machine.slice */
	expect("0::/user.slice/machine-x.scope\n", NULL, NULL);
}

static void test_v1_hierarchies_read_the_name_systemd_line(void **state)
{
	(void)state;
	expect("12:cpu,cpuacct:/\n1:name=systemd:/system.slice/docker-" HEX ".scope\n", "docker", HEX);
	/* the v2 line wins on a hybrid host */
	expect("1:name=systemd:/user.slice\n0::/system.slice/docker-" HEX ".scope\n", "docker", HEX);
}

static void test_label_shows_twelve_digits_of_an_id_and_a_whole_name(void **state)
{
	(void)state;
	struct ww_container c;
	char buf[64];
	assert_int_equal(ww_container_parse("0::/docker/" HEX "\n", &c), 1);
	assert_string_equal(ww_container_label(&c, buf, sizeof(buf)), "docker:0123456789ab");
	assert_int_equal(ww_container_parse("0::/machine.slice/systemd-nspawn@web1.service\n", &c), 1);
	assert_string_equal(ww_container_label(&c, buf, sizeof(buf)), "nspawn:web1");
}

static void test_this_process_reads_through_proc_and_a_gone_one_is_enoent(void **state)
{
	(void)state;
	struct ww_container c;
	int r = ww_container_from_cgroup(getpid(), NULL, &c);
	assert_true(r == 0 || r == 1);
	assert_int_equal(ww_container_from_cgroup(getpid(), "/nonexistent-proc", &c), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_systemd_and_cgroupfs_drivers_name_the_container_id),
		cmocka_unit_test(test_podman_container_is_named_and_its_conmon_monitor_is_not),
		cmocka_unit_test(test_kubernetes_pods_name_containerd_crio_or_cri),
		cmocka_unit_test(test_nspawn_machined_and_lxc_name_the_machine),
		cmocka_unit_test(test_host_services_sessions_and_the_root_are_no_container),
		cmocka_unit_test(test_v1_hierarchies_read_the_name_systemd_line),
		cmocka_unit_test(test_label_shows_twelve_digits_of_an_id_and_a_whole_name),
		cmocka_unit_test(test_this_process_reads_through_proc_and_a_gone_one_is_enoent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
