/*
 * chunksim decode with its output streams given, so that tests can read what
 * it prints. cli_decode(argc, argv) is cli_decode_io(argc, argv, stdout, stderr).
 */
#ifndef CHUNKSIM_CMD_DECODE_H
#define CHUNKSIM_CMD_DECODE_H

#include <stdio.h>

int cli_decode_io(int argc, char **argv, FILE *out, FILE *err);

#endif
