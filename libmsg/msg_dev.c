// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libmsg: opening the device and asking it what it supports.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>

#include "libmsg.h"
#include "msg_private.h"

int msg_dev_open(int flags)
{
	int saved = errno;
	int fd;

	if (flags & ~(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	fd = open(MBX_DEVICE_PATH, O_RDWR | O_CLOEXEC | flags);
	if (fd < 0)
		fd = errno > 0 ? -errno : -EIO;
	errno = saved;
	return fd;
}

int msg_info(int fd, struct mbx_info *info)
{
	if (!info)
		return -EFAULT;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return msg_ioctl(fd, MBX_IOC_INFO, info);
}
