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
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mbx_internal.h"

struct mbx_handle {
	struct mbx_box *box;	/* NULL until mbx_handle_commit() */
	struct mbx_user *user;
	u32 access;		/* MBX_O_SEND | MBX_O_RECV */
};

/*
 * Resolve a pid number in the caller's pid namespace.  Processes outside
 * it cannot be named: they have no number here.
 */
static struct pid *mbx_resolve_pid(s32 nr)
{
	return nr > 0 ? find_get_pid(nr) : NULL;
}

/**
 * mbx_ioctl_send() - MBX_IOC_SEND
 * @file:	the handle, or the /dev/mailbox file for a direct send
 * @box:	the handle's mailbox; NULL for a direct send (to args.to_pid)
 * @user:	who pays for a queued message
 * @uarg:	struct mbx_send
 *
 * Return: 0 or a negative errno; for a direct send also -ESRCH (no such
 * process, or it has no inbox) and -EPERM (its policy refuses us).
 */
long mbx_ioctl_send(struct file *file, struct mbx_box *box,
		    struct mbx_user *user, void __user *uarg)
{
	struct mbx_inbox *inbox = NULL;
	struct mbx_sendop op = {};
	struct mbx_send args;
	ktime_t deadline;
	struct pid *to;
	int ret;

	ret = mbx_uarg_copy_in(&args, sizeof(args), MBX_SEND_SIZE_VER0, uarg);
	if (ret)
		return ret;
	ret = mbx_send_check(&args);
	if (ret)
		return ret;
	if (box ? args.to_pid != 0 : args.to_pid <= 0)
		return -EINVAL;
	/*
	 * A message once sent cannot be taken back, so fail before sending
	 * one we could not report: write the arguments back unchanged to
	 * prove they are writable.  Only another thread unmapping or
	 * protecting them from now on can make the final copy fault.
	 */
	if (mbx_uarg_copy_out(uarg, &args, sizeof(args)))
		return -EFAULT;

	if (!box) {
		to = mbx_resolve_pid(args.to_pid);
		inbox = to ? mbx_inbox_find(to) : NULL;
		put_pid(to);
		if (!inbox)
			return -ESRCH;
		ret = mbx_inbox_may_send(inbox);
		if (ret)
			goto out;
		box = mbx_inbox_box(inbox);
	}

	op.ubuf = u64_to_user_ptr(args.buf);
	op.len = args.len;
	op.flags = args.flags;
	op.nonblock = (args.flags & MBX_F_NONBLOCK) ||
		      (file->f_flags & O_NONBLOCK);
	mbx_timeout_to_deadline(args.flags, args.timeout_ns, &deadline,
				&op.expires);

	ret = mbx_box_send(box, user, &op);
	if (ret)
		goto out;
	args.receiver_pid = op.receiver ? pid_vnr(op.receiver) : 0;
	put_pid(op.receiver);
	/* The message is sent: a fault here cannot unsend it. */
	ret = mbx_uarg_copy_out(uarg, &args, sizeof(args));
out:
	if (inbox)
		mbx_inbox_put(inbox);
	return ret;
}

/**
 * mbx_ioctl_recv() - MBX_IOC_RECV
 * @file:	the handle, or the /dev/mailbox file (the caller's inbox)
 * @box:	the mailbox or inbox to receive from
 * @uarg:	struct mbx_recv
 *
 * Return: 0 or a negative errno; -ESRCH when args.from_pid names no
 * process and nothing it sent is queued.
 */
long mbx_ioctl_recv(struct file *file, struct mbx_box *box,
		    void __user *uarg)
{
	struct mbx_recvop op = {};
	struct mbx_recv args;
	ktime_t deadline;
	int ret;

	ret = mbx_uarg_copy_in(&args, sizeof(args), MBX_RECV_SIZE_VER0, uarg);
	if (ret)
		return ret;
	ret = mbx_recv_check(&args);
	if (ret)
		return ret;
	/*
	 * Fail before taking a message we could not report: write the
	 * arguments back unchanged to prove they are writable.
	 */
	if (mbx_uarg_copy_out(uarg, &args, sizeof(args)))
		return -EFAULT;

	args.msg_len = 0;
	args.sender_pid = 0;
	args.sender_uid = 0;
	args.mailbox_id = 0;
	if (args.from_pid) {
		/*
		 * A live process is matched by its struct pid.  One that has
		 * exited (its number not reused) still has its queued
		 * messages matched by number, and then -ESRCH.
		 */
		op.from = mbx_resolve_pid(args.from_pid);
		/*
		 * Messages carry their sender's thread-group pid: a number
		 * that is only a thread's or a process group's id now
		 * matches by number what is queued, like an exited one.
		 */
		if (op.from && !pid_has_task(op.from, PIDTYPE_TGID)) {
			put_pid(op.from);
			op.from = NULL;
		}
		if (!op.from)
			op.from_nr = args.from_pid;
	}
	op.ubuf = u64_to_user_ptr(args.buf);
	op.len = args.len;
	op.flags = args.flags;
	op.nonblock = (args.flags & MBX_F_NONBLOCK) ||
		      (file->f_flags & O_NONBLOCK);
	mbx_timeout_to_deadline(args.flags, args.timeout_ns, &deadline,
				&op.expires);

	ret = mbx_box_recv(box, &op);
	put_pid(op.from);
	if (ret == -EMSGSIZE) {
		args.msg_len = op.msg_len;
		if (mbx_uarg_copy_out(uarg, &args, sizeof(args)))
			return -EFAULT;
		return ret;
	}
	if (ret)
		return ret;
	args.msg_len = op.msg_len;
	args.sender_pid = pid_vnr(op.sender);
	args.sender_uid = from_kuid_munged(current_user_ns(), op.sender_uid);
	args.mailbox_id = box->id;
	put_pid(op.sender);
	return mbx_uarg_copy_out(uarg, &args, sizeof(args));
}

/* MBX_IOC_STAT on a handle (a mailbox) or on /dev/mailbox (the inbox). */
long mbx_ioctl_stat(struct mbx_box *box, void __user *uarg)
{
	struct mbx_stat st;
	int ret;

	ret = mbx_uarg_copy_in(&st, sizeof(st), MBX_STAT_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (st.flags)
		return -EINVAL;
	mbx_box_stat(box, &st);
	return mbx_uarg_copy_out(uarg, &st, sizeof(st));
}

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

	switch (MBX_IOC_BASE(cmd)) {
	case MBX_IOC_BASE(MBX_IOC_SEND):
		if (!(h->access & MBX_O_SEND))
			return -EBADF;
		return mbx_ioctl_send(file, h->box, h->user, uarg);
	case MBX_IOC_BASE(MBX_IOC_RECV):
		if (!(h->access & MBX_O_RECV))
			return -EBADF;
		return mbx_ioctl_recv(file, h->box, uarg);
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
	.unlocked_ioctl	= mbx_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

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
