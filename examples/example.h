/* SPDX-License-Identifier: GPL-2.0 */
/* What the examples share: reporting a failed libmsg call. */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include <stdio.h>
#include <string.h>

#include "libmsg.h"

#define RW	(MBX_O_SEND | MBX_O_RECV)

/* libmsg returns -errno: say what failed and why. */
static inline int fail(const char *what, long err)
{
	fprintf(stderr, "%s: %s\n", what, strerror((int)-err));
	return 1;
}

#endif /* EXAMPLE_H */
