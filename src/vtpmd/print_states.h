/* SPDX-License-Identifier: BSD-3-Clause */
/* print_states.h - --print-states: which state files exist, as swtpm says it. */
#ifndef VTPMD_PRINT_STATES_H
#define VTPMD_PRINT_STATES_H

#include <stdio.h>

#include "vtpmd/config.h"

/*
 * Print swtpm's JSON (no trailing newline) listing the state files of
 * CFG's state directory that exist, with their sizes:
 *   { "type": "swtpm", "states": [ {"name": "permall", "size": 6} ] }
 * Takes no lock and creates nothing. Returns 0, or -errno after printing
 * one line to stderr (no state directory given, a state name that is not a
 * regular file, a directory that cannot be searched).
 */
int print_states(FILE *out, const struct vtpmd_config *cfg);

#endif
