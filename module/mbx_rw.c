// SPDX-License-Identifier: GPL-2.0
/*
 * read(2) and write(2): a message per call, for mailbox handles and for
 * the caller's inbox on /dev/mailbox.
 *
 * A write sends its whole buffer as one message and a read receives one
 * message whole, as on a SOCK_SEQPACKET socket or a POSIX message queue,
 * so a handle works with whatever already speaks file descriptors
 * (os.read() in Python, an event loop's read callback, a shell
 * redirection onto an inherited descriptor).  Everything the ioctls
 * report or take besides the bytes is left at its default: no metadata,
 * no timeout (O_NONBLOCK on the file is the only non-blocking switch),
 * no MBX_F_SYNC and no truncation: a buffer too small for the message
 * fails with EMSGSIZE and the message stays first in line, as with
 * mq_receive(), rather than being cut short as a datagram socket would.
 *
 * The copy into or out of the caller's memory is the ioctls' own
 * (mbx_box_send(), mbx_box_recv()), which takes a plain user pointer, so
 * only an iterator over one user buffer is accepted: read() and write()
 * always give one; readv() and writev() give one per segment, and a
 * message gathered from or scattered into several would need a kernel
 * bounce buffer, through which a receive that faults after taking the
 * message could not put it back.  Several segments fail with EINVAL
 * before anything happens.  (A vector of total length 0 never gets
 * here: the VFS returns 0 for it.  Splice and sendfile never get here
 * either: there is no splice_read or splice_write, so they fail EINVAL.)
 *
 * A call is non-blocking when the file is O_NONBLOCK or the kiocb is
 * IOCB_NOWAIT (RWF_NOWAIT, and io_uring's first attempt): both files are
 * FMODE_NOWAIT, so io_uring tries a read or write in the submitting task,
 * and on EAGAIN waits for poll readiness and tries again there, instead
 * of sending the call to a worker thread that blocks in it.  "Would
 * block" is the mailbox's own wait (for a message, for room, for a
 * zero-capacity peer) and nothing else, as for O_NONBLOCK: a NOWAIT call
 * may still sleep briefly on memory, a page fault or the peer's
 * mmap_lock while pinning for a single copy, as a NOWAIT pipe write may
 * allocate.  Two io_uring peers on a zero-capacity mailbox never meet,
 * as two pollers do not (README).
 *
 * FIONREAD tells the size the next read() needs (mbx_ioctl_nread()), as
 * on a datagram socket, since read() cannot report it with its EMSGSIZE.
 *
 * Besides being a convenience, this is the shortest path into the module:
 * no ioctl dispatch, no argument structure to copy in, check and write
 * back, and no LSM ioctl hook (README, "What was tried").
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/uio.h>
#include <kunit/visibility.h>

#include "mbx_internal.h"

/**
 * mbx_iter_ubuf() - the one user buffer an iterator covers
 * @iter:	the iterator read_iter or write_iter was given
 * @ubuf:	set to its start (which may be NULL: the caller's pointer)
 *
 * Return: true, or false when @iter is not a single user buffer (several
 * segments, or kernel memory).
 */
VISIBLE_IF_KUNIT bool mbx_iter_ubuf(const struct iov_iter *iter,
				    void __user **ubuf)
{
	if (iter_is_ubuf(iter)) {
		*ubuf = iter->ubuf + iter->iov_offset;
		return true;
	}
	if (iter_is_iovec(iter) && iter->nr_segs == 1) {
		*ubuf = iter->iov->iov_base + iter->iov_offset;
		return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_iter_ubuf);

/* O_NONBLOCK on the file, or RWF_NOWAIT and io_uring's IOCB_NOWAIT. */
static bool mbx_rw_nonblock(const struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

/**
 * mbx_rw_send() - write_iter: send @from as one message to @box
 * @iocb:	the write; O_NONBLOCK on its file or IOCB_NOWAIT makes it
 *		non-blocking
 * @from:	the message
 * @box:	the mailbox
 * @user:	who pays for a queued message
 *
 * Return: the message's length, or a negative errno as for MBX_IOC_SEND
 * (-EINVAL for an iterator of several segments).
 */
ssize_t mbx_rw_send(struct kiocb *iocb, struct iov_iter *from,
		    struct mbx_box *box, struct mbx_user *user)
{
	struct mbx_sendop op = {};
	void __user *ubuf;
	int ret;

	if (!mbx_iter_ubuf(from, &ubuf))
		return -EINVAL;
	op.ubuf = ubuf;
	op.len = iov_iter_count(from);
	op.nonblock = mbx_rw_nonblock(iocb);
	ret = mbx_box_send(box, user, &op);
	put_pid(op.receiver);
	if (ret)
		return ret;
	iov_iter_advance(from, op.len);
	return op.len;
}

/**
 * mbx_rw_recv() - read_iter: receive one message from @box into @to
 * @iocb:	the read; O_NONBLOCK on its file or IOCB_NOWAIT makes it
 *		non-blocking
 * @to:		the buffer
 * @box:	the mailbox or inbox
 *
 * Return: the message's length (0 for an empty message: a mailbox has no
 * end of file), or a negative errno as for MBX_IOC_RECV: -EMSGSIZE when
 * the buffer is too small (the message stays first in line), -EINVAL
 * for an iterator of several segments.
 */
ssize_t mbx_rw_recv(struct kiocb *iocb, struct iov_iter *to,
		    struct mbx_box *box)
{
	struct mbx_recvop op = {};
	int ret;

	if (!mbx_iter_ubuf(to, &op.ubuf))
		return -EINVAL;
	op.len = iov_iter_count(to);
	op.nonblock = mbx_rw_nonblock(iocb);
	ret = mbx_box_recv(box, &op);
	if (ret)
		return ret;
	put_pid(op.sender);
	iov_iter_advance(to, op.msg_len);
	return op.msg_len;
}
