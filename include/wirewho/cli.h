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

/* The top-level usage lines and, with `full`, every command's options. */
void ww_cli_print_usage(FILE *out, bool full);

/*
 * A usage error: "wirewho: " + fmt (with one %s for `arg`) on stderr, then
 * the usage lines. Returns 2, the exit status of bad usage.
 */
int ww_cli_usage_error(const char *fmt, const char *arg);

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
