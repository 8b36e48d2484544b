/*
 * cmd.h - the commands main.c dispatches to. Each takes argv with its own
 * name in argv[0], parses its options, prints what the user must know on
 * stderr, and returns the process exit status (0, 1 or 2).
 */
#ifndef WIREWHO_CMD_H
#define WIREWHO_CMD_H

int ww_cmd_replay(int argc, char **argv);
int ww_cmd_watch(int argc, char **argv);
int ww_cmd_sockets(int argc, char **argv);
int ww_cmd_collect(int argc, char **argv);

#endif
