// SPDX-License-Identifier: GPL-2.0
/*
 * Mailbox handles: the file descriptors MBX_IOC_OPEN returns.
 *
 * A handle is an anonymous-inode file whose private data is a struct
 * mbx_handle: a reference to the mailbox, the access it was opened for
 * (checked once, at open, as for POSIX message queue descriptors: a later
 * MBX_IOC_SET of the mode does not revoke open handles), and the user
 * whose quota pays for what it sends (the opener's effective uid).  Each
 * handle is its own file, so poll/select/epoll wait on several mailboxes
 * at once, and it can be inherited, dup()ed or passed over a Unix socket.
 * read() and write() on a handle receive and send (mbx_rw.c).
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/ioctls.h>

#include "mbx_internal.h"

struct mbx_handle {
	struct mbx_box *box;	/* NULL until mbx_handle_commit() */
	struct mbx_user *user;
	u32 access;		/* MBX_O_SEND | MBX_O_RECV */
};

static long mbx_handle_set(struct mbx_handle *h, void __user *uarg)
{
	struct mbx_set args;
	int ret;

	ret = mbx_uarg_copy_in(&args, sizeof(args), MBX_SET_SIZE_VER0, uarg);
	if (ret)
		return ret;
	ret = mbx_set_check(&args);
	if (ret)
		return ret;
	return mbx_box_set(h->box, &args);
}

/* Commands are matched with their size bits masked: see MBX_IOC_BASE(). */
static long mbx_handle_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct mbx_handle *h = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (cmd == FIONREAD)
		return mbx_ioctl_nread(file, uarg);
	switch (MBX_IOC_BASE(cmd)) {
	case MBX_IOC_BASE(MBX_IOC_SEND):
		if (!(h->access & MBX_O_SEND))
			return -EBADF;
		return mbx_ioctl_send(file, h->box, h->user, uarg);
	case MBX_IOC_BASE(MBX_IOC_RECV):
		if (!(h->access & MBX_O_RECV))
			return -EBADF;
		return mbx_ioctl_recv(file, h->box, uarg);
	case MBX_IOC_BASE(MBX_IOC_CALL):
		if (!(h->access & MBX_O_SEND))
			return -EBADF;
		return mbx_ioctl_call(file, h->box, h->user, uarg);
	case MBX_IOC_BASE(MBX_IOC_STAT):
		return mbx_ioctl_stat(h->box, uarg);
	case MBX_IOC_BASE(MBX_IOC_SET):
		return mbx_handle_set(h, uarg);
	case MBX_IOC_BASE(MBX_IOC_DESTROY):
		return arg ? -EINVAL : mbx_registry_destroy(h->box);
	default:
		return -ENOTTY;
	}
}

static ssize_t mbx_handle_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mbx_box *box = mbx_handle_recv_box(iocb->ki_filp);

	return IS_ERR(box) ? PTR_ERR(box) : mbx_rw_recv(iocb, to, box);
}

static ssize_t mbx_handle_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct mbx_handle *h = iocb->ki_filp->private_data;

	if (!(h->access & MBX_O_SEND))
		return -EBADF;
	return mbx_rw_send(iocb, from, h->box, h->user);
}

static __poll_t mbx_handle_poll(struct file *file, poll_table *wait)
{
	struct mbx_handle *h = file->private_data;

	return mbx_box_poll(h->box, file, wait, h->access);
}

static int mbx_handle_release(struct inode *inode, struct file *file)
{
	struct mbx_handle *h = file->private_data;

	if (h->box)	/* NULL when the open was aborted */
		mbx_box_put(h->box);
	mbx_user_put(h->user);
	kfree(h);
	return 0;
}

static const struct file_operations mbx_handle_fops = {
	.owner		= THIS_MODULE,
	.release	= mbx_handle_release,
	.poll		= mbx_handle_poll,
	.read_iter	= mbx_handle_read_iter,
	.write_iter	= mbx_handle_write_iter,
	.unlocked_ioctl	= mbx_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};

/**
 * mbx_handle_recv_box() - the mailbox a receive on @file takes from
 * @file:	any file
 *
 * Return: the mailbox (valid while @file is held), NULL when @file is not
 * a mailbox handle, ERR_PTR(-EBADF) for one not opened for receiving.
 */
struct mbx_box *mbx_handle_recv_box(struct file *file)
{
	struct mbx_handle *h = file->private_data;

	if (file->f_op != &mbx_handle_fops)
		return NULL;
	return h->access & MBX_O_RECV ? h->box : ERR_PTR(-EBADF);
}

/**
 * mbx_handle_reserve() - everything a new handle needs, before the mailbox
 * @slot:	filled: a descriptor number, a file, its struct mbx_handle
 * @open_flags:	MBX_O_* of the open
 *
 * MBX_IOC_OPEN reserves first and creates or looks up the mailbox after,
 * so that once a mailbox is created nothing can fail but writing its id
 * back, which only another thread unmapping or protecting the argument
 * can make fault: short of that, a call that fails has created nothing
 * (mbx_handle_abort()).
 *
 * Return: 0 or a negative errno.
 */
int mbx_handle_reserve(struct mbx_handle_slot *slot, u32 open_flags)
{
	int flags = O_RDWR;
	int ret = -ENOMEM;

	if (open_flags & MBX_O_NONBLOCK)
		flags |= O_NONBLOCK;
	if (open_flags & MBX_O_CLOEXEC)
		flags |= O_CLOEXEC;

	slot->h = kzalloc(sizeof(*slot->h), GFP_KERNEL_ACCOUNT);
	if (!slot->h)
		return -ENOMEM;
	slot->h->user = mbx_user_get(current_euid());
	if (!slot->h->user)
		goto out_free;
	slot->h->access = open_flags & (MBX_O_SEND | MBX_O_RECV);

	slot->fd = get_unused_fd_flags(flags);
	if (slot->fd < 0) {
		ret = slot->fd;
		goto out_user;
	}
	slot->file = anon_inode_getfile("[mailbox]", &mbx_handle_fops, slot->h,
					flags);
	if (IS_ERR(slot->file)) {
		ret = PTR_ERR(slot->file);
		goto out_fd;
	}
	/*
	 * A stream of messages: no offsets, so pread() and lseek() fail;
	 * and IOCB_NOWAIT is honoured (mbx_rw.c).
	 */
	stream_open(file_inode(slot->file), slot->file);
	slot->file->f_mode |= FMODE_NOWAIT;
	return 0;

out_fd:
	put_unused_fd(slot->fd);
out_user:
	mbx_user_put(slot->h->user);
out_free:
	kfree(slot->h);
	return ret;
}

/* The open failed after mbx_handle_reserve(): undo it. */
void mbx_handle_abort(struct mbx_handle_slot *slot)
{
	put_unused_fd(slot->fd);
	fput(slot->file);	/* its release frees the handle */
}

/**
 * mbx_handle_commit() - publish the handle on @box
 * @slot:	from mbx_handle_reserve()
 * @box:	the mailbox; the reference passes to the handle
 *
 * Return: the descriptor.
 */
int mbx_handle_commit(struct mbx_handle_slot *slot, struct mbx_box *box)
{
	slot->h->box = box;
	fd_install(slot->fd, slot->file);
	return slot->fd;
}
