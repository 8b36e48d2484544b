/*
 * main.c - dispatch to the command named by argv[1] (cmd_replay.c,
 * cmd_watch.c, cmd_sockets.c, cmd_collect.c) and answer --help and --version.
 *
 * Exit status, for every command: 0 ran to the end (alerts or not), 1 a
 * runtime failure (capture died, output failed, out of memory), 2 bad usage
 * or unreadable input, with one line on stderr naming the file or flag and
 * the reason (docs/cli.md).
 */
#include "wirewho/cli.h"
#include "wirewho/cmd.h"
#include "wirewho/common.h"
#include "wirewho/ports.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (ww_cli_std_fds() < 0) {
		fprintf(stderr, "wirewho: standard output is closed: nothing could be written\n");
		return 1;
	}
	if (argc < 2)
		return ww_cli_usage_error(NULL, "no command given");
	const char *cmd = argv[1];
	int rc;

	/* A missing services database is not fatal: names fall back to a
	 * built-in table, and `service` is null for the rest. */
	(void)ww_ports_load_services(NULL);

	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		ww_cli_print_usage(stdout, true);
		rc = 0;
	} else if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("wirewho %s\n", WW_VERSION);
		rc = 0;
	} else if (strcmp(cmd, "replay") == 0) {
		rc = ww_cmd_replay(argc - 1, argv + 1);
	} else if (strcmp(cmd, "watch") == 0) {
		rc = ww_cmd_watch(argc - 1, argv + 1);
	} else if (strcmp(cmd, "sockets") == 0) {
		rc = ww_cmd_sockets(argc - 1, argv + 1);
	} else if (strcmp(cmd, "collect") == 0) {
		rc = ww_cmd_collect(argc - 1, argv + 1);
	} else {
		return ww_cli_usage_error(NULL, "unknown command \"%s\"", cmd);
	}
	/* What is still buffered is written at exit, where a failure would
	 * go unseen: flush here so that it is an error like any other. */
	if (rc == 0)
		rc = ww_cli_flush_stdout();
	return rc;
}
