/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/* libmsg internals: not installed. */
#ifndef LIBMSG_PRIVATE_H
#define LIBMSG_PRIVATE_H

#include <errno.h>
#include <sys/ioctl.h>

/*
 * ioctl() in the library's error convention: the ioctl's non-negative
 * result, or a negative errno.  errno itself is saved and restored, so the
 * library never changes it.
 */
static inline int msg_ioctl(int fd, unsigned long cmd, void *arg)
{
	int saved = errno;
	int ret = ioctl(fd, cmd, arg);

	if (ret < 0)		/* never 0 for a failure, whatever errno says */
		ret = errno > 0 ? -errno : -EIO;
	errno = saved;
	return ret;
}

#endif /* LIBMSG_PRIVATE_H */
