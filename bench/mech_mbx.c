// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mailbox as a struct mech, through libmsg, three ways:
 *  - mbx_direct: send(P)/receive(any) between the two processes' inboxes;
 *  - mbx_bounded: one mailbox per direction, bounded at chan.depth
 *    messages (unbounded for DEPTH_UNBOUNDED);
 *  - mbx_zero: one zero-capacity mailbox per direction: every send is a
 *    rendezvous with a single copy from sender to receiver;
 *  - mbx_rw: mbx_bounded's mailboxes through write(2) and read(2), a
 *    message per call and no argument structure (no msg_call()).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "libmsg.h"

#define MBX_DEV		0	/* fd[]: the /dev/mailbox descriptor */
#define MBX_TO_CHILD	1	/* fd[]: mailbox side 0 sends on */
#define MBX_TO_PARENT	2	/* fd[]: mailbox side 1 sends on */

/* The mailbox this side sends on, and the one it receives from. */
static int mbx_send_fd(const struct chan *c)
{
	return c->fd[c->side ? MBX_TO_PARENT : MBX_TO_CHILD];
}

static int mbx_recv_fd(const struct chan *c)
{
	return c->fd[c->side ? MBX_TO_CHILD : MBX_TO_PARENT];
}

static void mbx_close_all(struct chan *c)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
	}
}

static int mbx_attr(const struct chan *c, unsigned int capacity,
		    struct msg_box_attr *attr)
{
	attr->capacity = capacity;
	attr->limit = 0;
	if (capacity == MBX_CAP_BOUNDED) {
		if (c->depth == DEPTH_UNBOUNDED)
			attr->capacity = MBX_CAP_UNBOUNDED;
		else
			attr->limit = c->depth;
	}
	/* A 0-byte maximum would mean "the module's default". */
	attr->max_msg_size = c->max_len ? c->max_len : 1;
	attr->mode = 0600;
	return 0;
}

/*
 * EINVAL at creation is "not supported here" only for a message size over
 * the module's cap (its max_msg_size_cap parameter lowered): any other
 * EINVAL is a failure, not a figure to skip.
 */
static int mbx_create_err(int dev, const struct msg_box_attr *attr, int err)
{
	struct mbx_info info;

	if (err == -EINVAL && !msg_info(dev, &info) &&
	    attr->max_msg_size > info.max_msg_size_cap)
		return -EOPNOTSUPP;
	return err;
}

/* Two private mailboxes, made before fork(): both sides inherit them. */
static int mbx_setup_boxes(struct chan *c, unsigned int capacity)
{
	unsigned int flags = MBX_O_PRIVATE | MBX_O_SEND | MBX_O_RECV;
	struct msg_box_attr attr;
	int i, fd;

	for (i = 0; i < 4; i++)
		c->fd[i] = -1;
	mbx_attr(c, capacity, &attr);
	fd = msg_dev_open(0);
	if (fd < 0)
		return fd;
	c->fd[MBX_DEV] = fd;
	for (i = MBX_TO_CHILD; i <= MBX_TO_PARENT; i++) {
		fd = msg_box_open(c->fd[MBX_DEV], NULL, 0, flags, &attr, NULL);
		if (fd < 0) {
			fd = mbx_create_err(c->fd[MBX_DEV], &attr, fd);
			mbx_close_all(c);
			return fd;
		}
		c->fd[i] = fd;
	}
	return 0;
}

static int mbx_setup_bounded(struct chan *c)
{
	return mbx_setup_boxes(c, MBX_CAP_BOUNDED);
}

static int mbx_setup_zero(struct chan *c)
{
	return mbx_setup_boxes(c, MBX_CAP_ZERO);
}

static int mbx_attach_boxes(struct chan *c, int side)
{
	c->side = side;
	return 0;
}

static int mbx_box_send(struct chan *c, const void *buf, size_t len)
{
	int fd = mbx_send_fd(c);
	int ret = msg_send(fd, buf, len, 0);

	return ret < 0 ? ret : 0;
}

static int mbx_rw_send(struct chan *c, const void *buf, size_t len)
{
	int fd = mbx_send_fd(c);

	return write(fd, buf, len) < 0 ? -errno : 0;
}

static long mbx_rw_recv(struct chan *c, void *buf, size_t len)
{
	int fd = mbx_recv_fd(c);
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

static long mbx_box_recv(struct chan *c, void *buf, size_t len)
{
	int fd = mbx_recv_fd(c);

	return msg_recv(fd, buf, len, 0, NULL);
}

/*
 * W1 through msg_call(): send on one mailbox and receive on the other in
 * one system call.  One pair of argument structures per process serves
 * every channel: each call sets the fields it uses, the others stay 0,
 * and the kernel writes only the output fields.
 */
static struct {
	struct mbx_send send;
	struct mbx_recv recv;
} call_args;

static long mbx_call_with(int send_fd, pid_t to, int recv_fd,
			  const void *sbuf, size_t slen, void *rbuf,
			  size_t rlen)
{
	typeof(call_args) *a = &call_args;

	a->send.buf = (uintptr_t)sbuf;
	a->send.len = slen;
	a->send.to_pid = to;
	a->recv.buf = (uintptr_t)rbuf;
	a->recv.len = rlen;
	return msg_call(send_fd, &a->send, recv_fd, &a->recv, NULL);
}

static long mbx_box_call(struct chan *c, const void *sbuf, size_t slen,
			 void *rbuf, size_t rlen)
{
	int to = mbx_send_fd(c), from = mbx_recv_fd(c);

	return mbx_call_with(to, 0, from, sbuf, slen, rbuf, rlen);
}

/*
 * Direct: nothing to share before fork().  Each side opens the device
 * after it (a descriptor inherited across fork names the parent's inbox)
 * and sizes its own inbox for the channel.
 */
static int mbx_setup_direct(struct chan *c)
{
	int i;

	for (i = 0; i < 4; i++)
		c->fd[i] = -1;
	return 0;
}

static int mbx_attach_direct(struct chan *c, int side)
{
	struct mbx_inbox_config cfg = {
		.flags = MBX_INBOX_SET_CAPACITY | MBX_INBOX_SET_MSGSIZE,
	};
	struct msg_box_attr attr;
	int fd, ret;

	c->side = side;
	fd = msg_dev_open(0);
	if (fd < 0)
		return fd;
	c->fd[MBX_DEV] = fd;
	mbx_attr(c, MBX_CAP_BOUNDED, &attr);
	cfg.capacity = attr.capacity;
	cfg.limit = attr.limit;
	cfg.max_msg_size = attr.max_msg_size;
	ret = msg_inbox_set(fd, &cfg);
	return mbx_create_err(fd, &attr, ret);
}

static int mbx_direct_send(struct chan *c, const void *buf, size_t len)
{
	int ret = msg_send_to(c->fd[MBX_DEV], c->peer, buf, len, 0);

	return ret < 0 ? ret : 0;
}

static long mbx_direct_recv(struct chan *c, void *buf, size_t len)
{
	/* receive(any): the common form, and no filtering walk. */
	return msg_recv(c->fd[MBX_DEV], buf, len, 0, NULL);
}

static long mbx_direct_call(struct chan *c, const void *sbuf, size_t slen,
			    void *rbuf, size_t rlen)
{
	return mbx_call_with(c->fd[MBX_DEV], c->peer, -1, sbuf, slen, rbuf,
			     rlen);
}

/* Each side closes its own descriptors; the mailboxes die with the
 * parent's teardown (they persist until destroyed).
 */
static void mbx_detach(struct chan *c)
{
	if (c->side == 0)
		return;
	mbx_close_all(c);
}

static void mbx_teardown(struct chan *c)
{
	int i;

	for (i = MBX_TO_CHILD; i <= MBX_TO_PARENT; i++)
		if (c->fd[i] >= 0)
			msg_box_destroy(c->fd[i]);
	mbx_close_all(c);
}

const struct mech mech_mbx_direct = {
	.name		= "mbx_direct",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= mbx_setup_direct,
	.attach		= mbx_attach_direct,
	.send		= mbx_direct_send,
	.recv		= mbx_direct_recv,
	.call		= mbx_direct_call,
	.detach		= mbx_detach,
	.teardown	= mbx_teardown,
};

const struct mech mech_mbx_rw = {
	.name		= "mbx_rw",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= mbx_setup_bounded,
	.attach		= mbx_attach_boxes,
	.send		= mbx_rw_send,
	.recv		= mbx_rw_recv,
	.detach		= mbx_detach,
	.teardown	= mbx_teardown,
};

const struct mech mech_mbx_bounded = {
	.name		= "mbx_bounded",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= mbx_setup_bounded,
	.attach		= mbx_attach_boxes,
	.send		= mbx_box_send,
	.recv		= mbx_box_recv,
	.call		= mbx_box_call,
	.detach		= mbx_detach,
	.teardown	= mbx_teardown,
};

/* Not MECH_STREAM: a rendezvous has no depth.  bench.c streams it for
 * the bandwidth figures.
 */
const struct mech mech_mbx_zero = {
	.name		= "mbx_zero",
	.flags		= MECH_PINGPONG,
	.setup		= mbx_setup_zero,
	.attach		= mbx_attach_boxes,
	.send		= mbx_box_send,
	.recv		= mbx_box_recv,
	.call		= mbx_box_call,
	.detach		= mbx_detach,
	.teardown	= mbx_teardown,
};
