/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libmsg: a small C library over /dev/mailbox.
 *
 * Error convention, for every call: a negative errno value on failure
 * (e.g. -ENOENT), never -1 with errno.  Calls that return a file
 * descriptor return it (>= 0) on success.  errno is left untouched, so the
 * calls are safe to use from any thread and from signal handlers where
 * the underlying system call is.
 *
 * The library keeps no global state and allocates no memory.
 */
#ifndef LIBMSG_H
#define LIBMSG_H

#include <linux/mbx.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * msg_dev_open() - open /dev/mailbox
 * @flags:	0 or O_NONBLOCK; O_RDWR and O_CLOEXEC are always added
 *
 * Return: a file descriptor, or -EINVAL for other flags, -ENOENT when the
 * module is not loaded, or another negative errno from open(2).
 */
int msg_dev_open(int flags);

/**
 * msg_info() - query the module's ABI version, features and limits
 * @fd:		a descriptor from msg_dev_open()
 * @info:	filled on success (all of it: the library sets info->size)
 *
 * Return: 0, or -EBADF, -ENOTTY (not /dev/mailbox), -EFAULT.
 */
int msg_info(int fd, struct mbx_info *info);

#ifdef __cplusplus
}
#endif

#endif /* LIBMSG_H */
