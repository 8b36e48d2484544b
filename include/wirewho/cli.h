/*
 * cli.h - what the commands share of the command line: the top-level usage
 * and help text, usage errors, number parsing, and the stderr line for a
 * run that failed while writing. Only the command files (main.c, cmd_*.c)
 * include it: they are the code that talks to the user on stderr.
 */
#ifndef WIREWHO_CLI_H
#define WIREWHO_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "wirewho/flows.h"

#define WW_CLI_MAX_TIMEOUT_S (86400u * 7)   /* --timeout: a week; longer is a leak, not a timeout */

/* The top-level usage lines and, with `full`, every command's options. */
void ww_cli_print_usage(FILE *out, bool full);

/*
 * A usage error: one line on stderr, "wirewho: CMD: " and the printf-style
 * message, then where the usage is ("see 'wirewho CMD --help'"); `cmd` is
 * NULL for the top level. Returns 2, the exit status of bad usage.
 */
int ww_cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The usage error for what getopt_long() returned as `c` (an optstring that
 * starts with ':' makes it ':' for a missing argument, '?' otherwise): names
 * the option as the user wrote it - "-t" of "-tulpn", "--polcy" - and says
 * whether it is unknown, needs an argument or takes none. Reads getopt's
 * optind and optopt. Returns 2.
 */
int ww_cli_bad_option(const char *cmd, int c, char **argv);

/*
 * Descriptors 0, 1 and 2 open before anything else opens one: a closed one
 * gets /dev/null, so a netlink socket or a capture file never becomes
 * "standard output". Returns 0, or -EBADF when standard output was closed
 * (every command writes there: the caller reports it and exits 1).
 */
int ww_cli_std_fds(void);

/*
 * Flush standard output at the end of a command that printed there
 * (--help, --version): 0, or 1 after "wirewho: writing output failed: ..."
 * on stderr, the exit status of a write failure.
 */
int ww_cli_flush_stdout(void);

/*
 * --timeout's argument into `fc`: one CLASS=SECONDS or a comma list of them
 * ("tcp=600,udp=120"); CLASS is tcp, tcp-new, closed, udp or other, SECONDS
 * 1 to WW_CLI_MAX_TIMEOUT_S. Returns 0, or -EINVAL with `fc` unchanged.
 */
/*
 * `--vxlan-port N` of command `cmd`: append N (1 to 65535) to ports[*n]
 * (room for WW_DECODE_MAX_VXLAN_PORTS). Returns 0, or 2 after the one-line
 * usage error (not a port, or one too many).
 */
int ww_cli_add_vxlan_port(const char *cmd, const char *arg, uint16_t *ports, unsigned *n);

int ww_cli_parse_timeouts(const char *arg, struct ww_flow_cfg *fc);

/* Parse a whole unsigned decimal in [lo, hi]. 0, or -EINVAL. */
int ww_cli_parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out);

/*
 * The stderr line for a failed pipeline (`rc`, a negative errno, as
 * ww_pipeline_packet/finish return it): "out of memory" for -ENOMEM, else
 * "writing output failed" with the write's errno. `who`: "wirewho" or
 * "wirewho: watch". This function can't fail.
 */
void ww_cli_report_output_failure(const char *who, int rc);

#endif
