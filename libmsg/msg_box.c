// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libmsg: mailboxes.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "libmsg.h"
#include "msg_private.h"

int msg_box_open(int devfd, const char *name, unsigned int key,
		 unsigned int flags, const struct msg_box_attr *attr,
		 unsigned int *id)
{
	struct mbx_open args;
	int fd;

	/* A mailbox made of zeroes (zero capacity, mode 0000) is not what
	 * anybody meant: creating takes its attributes.
	 */
	if (!attr && (flags & (MBX_O_CREAT | MBX_O_PRIVATE)))
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	args.flags = flags;
	args.name = (uintptr_t)name;
	args.key = key;
	if (attr) {
		args.capacity = attr->capacity;
		args.limit = attr->limit;
		args.max_msg_size = attr->max_msg_size;
		args.mode = attr->mode;
	}
	fd = msg_ioctl(devfd, MBX_IOC_OPEN, &args);
	if (fd >= 0 && id)
		*id = args.id;
	return fd;
}

int msg_box_open_id(int devfd, unsigned int id, unsigned int flags)
{
	struct mbx_open args;

	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	args.flags = flags | MBX_O_BY_ID;
	args.id = id;
	return msg_ioctl(devfd, MBX_IOC_OPEN, &args);
}

int msg_box_destroy(int fd)
{
	return msg_ioctl(fd, MBX_IOC_DESTROY, NULL);
}

static int msg_send_args(int fd, pid_t to, const void *buf, size_t len,
			 unsigned int flags, int64_t timeout_ns)
{
	struct mbx_send args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	args.to_pid = to;
	args.flags = flags;
	args.buf = (uintptr_t)buf;
	args.len = len;
	args.timeout_ns = timeout_ns;
	ret = msg_ioctl(fd, MBX_IOC_SEND, &args);
	return ret < 0 ? ret : args.receiver_pid;
}

int msg_send(int fd, const void *buf, size_t len, unsigned int flags)
{
	if (flags & MBX_F_TIMEOUT)
		return -EINVAL;
	return msg_send_args(fd, 0, buf, len, flags, 0);
}

int msg_send_timed(int fd, const void *buf, size_t len, unsigned int flags,
		   int64_t timeout_ns)
{
	return msg_send_args(fd, 0, buf, len, flags | MBX_F_TIMEOUT, timeout_ns);
}

int msg_send_to(int devfd, pid_t pid, const void *buf, size_t len,
		unsigned int flags)
{
	if (flags & MBX_F_TIMEOUT)
		return -EINVAL;
	/*
	 * Pid 0 (a sender not visible in our pid namespace) would name the
	 * mailbox itself on a handle: no such process, as the module says
	 * for it on /dev/mailbox.  A negative pid is the module's EINVAL.
	 */
	if (!pid)
		return -ESRCH;
	return msg_send_args(devfd, pid, buf, len, flags, 0);
}

int msg_send_to_timed(int devfd, pid_t pid, const void *buf, size_t len,
		      unsigned int flags, int64_t timeout_ns)
{
	if (!pid)
		return -ESRCH;	/* as msg_send_to() */
	return msg_send_args(devfd, pid, buf, len, flags | MBX_F_TIMEOUT,
			     timeout_ns);
}

static ssize_t msg_recv_args(int fd, pid_t from, void *buf, size_t len,
			     unsigned int flags, int64_t timeout_ns,
			     struct msg_meta *meta)
{
	struct mbx_recv args;
	int ret;

	if (from < 0)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	args.from_pid = from;
	args.flags = flags;
	args.buf = (uintptr_t)buf;
	args.len = len;
	args.timeout_ns = timeout_ns;
	ret = msg_ioctl(fd, MBX_IOC_RECV, &args);
	if (meta) {
		meta->len = args.msg_len;
		meta->sender_pid = args.sender_pid;
		meta->sender_uid = args.sender_uid;
		meta->mailbox_id = args.mailbox_id;
	}
	if (ret < 0)
		return ret;
	return args.msg_len < len ? (ssize_t)args.msg_len : (ssize_t)len;
}

ssize_t msg_recv(int fd, void *buf, size_t len, unsigned int flags,
		 struct msg_meta *meta)
{
	if (flags & MBX_F_TIMEOUT)
		return -EINVAL;
	return msg_recv_args(fd, 0, buf, len, flags, 0, meta);
}

ssize_t msg_recv_timed(int fd, void *buf, size_t len, unsigned int flags,
		       int64_t timeout_ns, struct msg_meta *meta)
{
	return msg_recv_args(fd, 0, buf, len, flags | MBX_F_TIMEOUT, timeout_ns,
			     meta);
}

ssize_t msg_recv_from(int fd, pid_t from, void *buf, size_t len,
		      unsigned int flags, struct msg_meta *meta)
{
	if (flags & MBX_F_TIMEOUT)
		return -EINVAL;
	return msg_recv_args(fd, from, buf, len, flags, 0, meta);
}

ssize_t msg_recv_from_timed(int fd, pid_t from, void *buf, size_t len,
			    unsigned int flags, int64_t timeout_ns,
			    struct msg_meta *meta)
{
	return msg_recv_args(fd, from, buf, len, flags | MBX_F_TIMEOUT,
			     timeout_ns, meta);
}

ssize_t msg_call(int fd, struct mbx_send *send, int recv_fd,
		 struct mbx_recv *recv, int *sent)
{
	struct mbx_call call;
	int ret;

	/* The library writes the size fields itself: NULL as the kernel. */
	if (sent)
		*sent = 0;
	if (!send || !recv)
		return -EFAULT;
	memset(&call, 0, sizeof(call));
	call.size = sizeof(call);
	call.send = (uintptr_t)send;
	call.recv = (uintptr_t)recv;
	call.recv_fd = recv_fd;
	send->size = sizeof(*send);
	recv->size = sizeof(*recv);
	ret = msg_ioctl(fd, MBX_IOC_CALL, &call);
	if (sent)
		*sent = call.sent;
	if (ret < 0)
		return ret;
	return recv->msg_len < recv->len ? (ssize_t)recv->msg_len :
					   (ssize_t)recv->len;
}

int msg_inbox_set(int devfd, struct mbx_inbox_config *cfg)
{
	if (!cfg)
		return -EFAULT;
	cfg->size = sizeof(*cfg);
	return msg_ioctl(devfd, MBX_IOC_INBOX_SET, cfg);
}

int msg_stat(int fd, struct mbx_stat *st)
{
	if (!st)
		return -EFAULT;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return msg_ioctl(fd, MBX_IOC_STAT, st);
}

int msg_set(int fd, struct mbx_set *set)
{
	if (!set)
		return -EFAULT;
	set->size = sizeof(*set);
	return msg_ioctl(fd, MBX_IOC_SET, set);
}
