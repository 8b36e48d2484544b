/*
 * main.c - dispatch to the command named by argv[1] (cmd_replay.c,
 * cmd_watch.c, cmd_sockets.c) and answer --help and --version.
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
	if (argc < 2)
		return ww_cli_usage_error("%s", "no command given");
	const char *cmd = argv[1];

	/* Output strings are built by us; make libc conversions locale-free. */
	if (ww_ports_load_services(NULL) < 0) {
		/* A missing services database is not fatal: names fall back to a
		 * built-in table, and `service` is null for the rest. */
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		ww_cli_print_usage(stdout, true);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("wirewho %s\n", WW_VERSION);
		return 0;
	}
	if (strcmp(cmd, "replay") == 0)
		return ww_cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "watch") == 0)
		return ww_cmd_watch(argc - 1, argv + 1);
	if (strcmp(cmd, "sockets") == 0)
		return ww_cmd_sockets(argc - 1, argv + 1);
	return ww_cli_usage_error("unknown command \"%s\"", cmd);
}
