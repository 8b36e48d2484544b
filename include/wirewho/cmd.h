/*
 * cmd.h - the subcommands main.c dispatches to. Each takes argv with its own
 * name in argv[0] and returns the process exit status (0, 1 or 2).
 */
#ifndef WIREWHO_CMD_H
#define WIREWHO_CMD_H

int ww_cmd_watch(int argc, char **argv);
int ww_cmd_sockets(int argc, char **argv);

/*
 * The stderr line for a failed pipeline (`rc`, a negative errno, as
 * ww_pipeline_packet/finish return it): "out of memory" for -ENOMEM, else
 * "writing output failed" with the write's errno. `who`: "wirewho" or
 * "wirewho: watch".
 */
void ww_report_output_failure(const char *who, int rc);

/* Parse a whole unsigned decimal in [lo, hi]. 0 or -EINVAL. */
int ww_parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out);

#endif
