// SPDX-License-Identifier: GPL-2.0
/*
 * The message ioctls, shared by mailbox handles and /dev/mailbox: send,
 * receive, call (a send then a receive) and status.
 *
 * Each is split in two.  The prepare half copies the arguments in,
 * checks them and proves that the output fields are writable, so that bad
 * input fails before anything happens; the finish half sends or receives
 * and writes only the output fields back.  MBX_IOC_CALL runs both prepare
 * halves before either finish half: a call whose receive could not even
 * start sends nothing.
 *
 * A message once sent or taken cannot be given back, so each operation
 * that writes results after one proves those results writable first; only
 * another thread unmapping or protecting the structure meanwhile can make
 * the final write fault.  The call then fails with EFAULT though its
 * message went (or was taken: its payload is in the buffer, its length
 * could not be told); MBX_IOC_CALL still sets .sent, if it can.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "mbx_internal.h"

/*
 * Resolve a pid number in the caller's pid namespace.  Processes outside
 * it cannot be named: they have no number here.
 */
static struct pid *mbx_resolve_pid(s32 nr)
{
	return nr > 0 ? find_get_pid(nr) : NULL;
}

/* One send, between its prepare and finish halves. */
struct mbx_send_req {
	struct mbx_send args;
	struct mbx_send __user *u;
	struct mbx_box *box;
	struct mbx_inbox *inbox;	/* send(P): P's inbox, ref held */
};

/*
 * Read and check a struct mbx_send for a send to @box (NULL: a direct
 * send, to args.to_pid, whose inbox is looked up and its policy checked
 * here).  On success the caller must call mbx_send_finish().
 */
static int mbx_send_prepare(struct mbx_send_req *req, struct mbx_box *box,
			    void __user *uarg)
{
	struct pid *to;
	int ret;

	req->u = uarg;
	req->inbox = NULL;
	ret = mbx_uarg_copy_in(&req->args, sizeof(req->args),
			       MBX_SEND_SIZE_VER0, uarg);
	if (ret)
		return ret;
	ret = mbx_send_check(&req->args);
	if (ret)
		return ret;
	if (box && req->args.to_pid)
		return -EINVAL;
	/*
	 * Pid 0 is what a receive reports for a sender not visible in the
	 * caller's pid namespace: a reply to it finds no such process.
	 */
	if (!box && !req->args.to_pid)
		return -ESRCH;
	/* Writable?  Write the output field back unchanged. */
	if (put_user(req->args.receiver_pid, &req->u->receiver_pid))
		return -EFAULT;

	if (!box) {
		to = mbx_resolve_pid(req->args.to_pid);
		req->inbox = to ? mbx_inbox_find(to) : NULL;
		put_pid(to);
		if (!req->inbox)
			return -ESRCH;
		ret = mbx_inbox_may_send(req->inbox);
		if (ret) {
			mbx_inbox_put(req->inbox);
			return ret;
		}
		box = mbx_inbox_box(req->inbox);
	}
	req->box = box;
	return 0;
}

/*
 * Send, report the receiver, release what mbx_send_prepare() took.
 * @sent: set when the message went, even if reporting it then faulted.
 */
static int mbx_send_finish(struct mbx_send_req *req, struct file *file,
			   struct mbx_user *user, bool *sent)
{
	struct mbx_sendop op = {};
	ktime_t deadline;
	s32 receiver_pid;
	int ret;

	op.ubuf = u64_to_user_ptr(req->args.buf);
	op.len = req->args.len;
	op.flags = req->args.flags;
	op.nonblock = (op.flags & MBX_F_NONBLOCK) ||
		      (file->f_flags & O_NONBLOCK);
	mbx_timeout_to_deadline(op.flags, req->args.timeout_ns, &deadline,
				&op.expires);

	ret = mbx_box_send(req->box, user, &op);
	*sent = !ret;
	if (!ret) {
		receiver_pid = op.receiver ? pid_vnr(op.receiver) : 0;
		put_pid(op.receiver);
		/* The message is sent: a fault here cannot unsend it. */
		if (put_user(receiver_pid, &req->u->receiver_pid))
			ret = -EFAULT;
	}
	if (req->inbox)
		mbx_inbox_put(req->inbox);
	return ret;
}

/**
 * mbx_ioctl_send() - MBX_IOC_SEND
 * @file:	the handle, or the /dev/mailbox file for a direct send
 * @box:	the handle's mailbox; NULL for a direct send (to args.to_pid)
 * @user:	who pays for a queued message
 * @uarg:	struct mbx_send
 *
 * Only the output field, receiver_pid, is written back.
 *
 * Return: 0 or a negative errno; for a direct send also -ESRCH (no such
 * process, or it has no inbox) and -EPERM (its policy refuses us).
 */
long mbx_ioctl_send(struct file *file, struct mbx_box *box,
		    struct mbx_user *user, void __user *uarg)
{
	struct mbx_send_req req;
	bool sent;
	int ret;

	ret = mbx_send_prepare(&req, box, uarg);
	return ret ?: mbx_send_finish(&req, file, user, &sent);
}

/* One receive, between its prepare and finish halves. */
struct mbx_recv_req {
	struct mbx_recv args;
	struct mbx_recv __user *u;
	struct pid *from;		/* ref held */
	pid_t from_nr;
};

/*
 * The output fields of struct mbx_recv, msg_len to mailbox_id, which are
 * contiguous: written together, and nothing else.
 */
static int mbx_recv_put_meta(struct mbx_recv __user *urecv,
			     const struct mbx_recv *args)
{
	size_t len = offsetofend(struct mbx_recv, mailbox_id) -
		     offsetof(struct mbx_recv, msg_len);

	if (!user_write_access_begin(&urecv->msg_len, len))
		return -EFAULT;
	unsafe_put_user(args->msg_len, &urecv->msg_len, efault);
	unsafe_put_user(args->sender_pid, &urecv->sender_pid, efault);
	unsafe_put_user(args->sender_uid, &urecv->sender_uid, efault);
	unsafe_put_user(args->mailbox_id, &urecv->mailbox_id, efault);
	user_write_access_end();
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * Read and check a struct mbx_recv and resolve its from_pid.  On success
 * the caller must call mbx_recv_finish() or mbx_recv_abort().
 */
static int mbx_recv_prepare(struct mbx_recv_req *req, void __user *uarg)
{
	int ret;

	req->u = uarg;
	req->from = NULL;
	req->from_nr = 0;
	ret = mbx_uarg_copy_in(&req->args, sizeof(req->args),
			       MBX_RECV_SIZE_VER0, uarg);
	if (ret)
		return ret;
	ret = mbx_recv_check(&req->args);
	if (ret)
		return ret;
	/* Writable?  Write the output fields back unchanged. */
	if (mbx_recv_put_meta(req->u, &req->args))
		return -EFAULT;

	if (req->args.from_pid) {
		/*
		 * A live process is matched by its struct pid.  One that has
		 * exited (its number not reused) still has its queued
		 * messages matched by number, and then -ESRCH.
		 */
		req->from = mbx_resolve_pid(req->args.from_pid);
		/*
		 * Messages carry their sender's thread-group pid: a number
		 * that is only a thread's or a process group's id now
		 * matches by number what is queued, like an exited one.
		 */
		if (req->from && !pid_has_task(req->from, PIDTYPE_TGID)) {
			put_pid(req->from);
			req->from = NULL;
		}
		if (!req->from)
			req->from_nr = req->args.from_pid;
	}
	return 0;
}

static void mbx_recv_abort(struct mbx_recv_req *req)
{
	put_pid(req->from);
}

/*
 * Receive from @box through @file, write the output fields: on success,
 * and msg_len (the others zero) on -EMSGSIZE.
 */
static int mbx_recv_finish(struct mbx_recv_req *req, struct file *file,
			   struct mbx_box *box)
{
	struct mbx_recv *args = &req->args;
	struct mbx_recvop op = {};
	ktime_t deadline;
	int ret;

	op.ubuf = u64_to_user_ptr(args->buf);
	op.len = args->len;
	op.flags = args->flags;
	op.nonblock = (op.flags & MBX_F_NONBLOCK) ||
		      (file->f_flags & O_NONBLOCK);
	op.from = req->from;
	op.from_nr = req->from_nr;
	mbx_timeout_to_deadline(op.flags, args->timeout_ns, &deadline,
				&op.expires);

	ret = mbx_box_recv(box, &op);
	mbx_recv_abort(req);
	if (ret && ret != -EMSGSIZE)
		return ret;
	args->msg_len = op.msg_len;
	args->sender_pid = 0;
	args->sender_uid = 0;
	args->mailbox_id = 0;
	if (!ret) {
		args->sender_pid = pid_vnr(op.sender);
		args->sender_uid = from_kuid_munged(current_user_ns(),
						    op.sender_uid);
		args->mailbox_id = box->id;
		put_pid(op.sender);
	}
	return mbx_recv_put_meta(req->u, args) ?: ret;
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
	struct mbx_recv_req req;
	int ret;

	ret = mbx_recv_prepare(&req, uarg);
	return ret ?: mbx_recv_finish(&req, file, box);
}

/*
 * What a receive on @file would receive from: a handle's mailbox, or the
 * inbox of the process that opened /dev/mailbox.
 */
static struct mbx_box *mbx_file_recv_box(struct file *file)
{
	struct mbx_box *box;

	box = mbx_handle_recv_box(file);
	if (!box)
		box = mbx_dev_recv_box(file);
	return box ?: ERR_PTR(-EBADF);
}

/**
 * mbx_ioctl_nread() - FIONREAD: the length of the message a read takes
 * @file:	a handle opened for receiving, or /dev/mailbox (the inbox)
 * @arg:	an int, set to the length, or 0 when nothing waits (or an
 *		empty message does: poll() tells the two apart, as for a
 *		datagram socket)
 *
 * Return: 0, or -EBADF (a handle not opened for receiving), -EPERM
 * (another process's inbox), the mailbox's EIDRM (the inbox's ESRCH),
 * -EFAULT.
 */
long mbx_ioctl_nread(struct file *file, int __user *arg)
{
	struct mbx_box *box = mbx_file_recv_box(file);
	ssize_t len;

	if (IS_ERR(box))
		return PTR_ERR(box);
	len = mbx_box_next_len(box);
	if (len < 0)
		return len;
	/* No message is longer than MBX_MAX_MSG_SIZE_CAP_LIMIT: an int. */
	return put_user((int)len, arg);
}

/**
 * mbx_ioctl_call() - MBX_IOC_CALL: send on @file, then receive
 * @file:	the handle, or the /dev/mailbox file for a direct send
 * @box:	the handle's mailbox; NULL for a direct send
 * @user:	who pays for a queued message
 * @uarg:	struct mbx_call
 *
 * Return: 0 or a negative errno of either half; call.sent says which.
 */
long mbx_ioctl_call(struct file *file, struct mbx_box *box,
		    struct mbx_user *user, void __user *uarg)
{
	struct mbx_call __user *ucall = uarg;
	struct mbx_send_req sreq;
	struct mbx_recv_req rreq;
	struct fd rfd = {};
	struct mbx_call call;
	struct file *rfile;
	struct mbx_box *rbox;
	bool sent = false;
	int ret;

	ret = mbx_uarg_copy_in(&call, sizeof(call), MBX_CALL_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (call.flags || call.recv_fd < -1)
		return -EINVAL;
	if (put_user(0, &ucall->sent))
		return -EFAULT;

	rfile = file;
	if (call.recv_fd != -1) {
		rfd = fdget(call.recv_fd);
		if (!rfd.file)
			return -EBADF;
		rfile = rfd.file;
	}
	rbox = mbx_file_recv_box(rfile);
	if (IS_ERR(rbox)) {
		ret = PTR_ERR(rbox);
		goto out;
	}
	ret = mbx_recv_prepare(&rreq, u64_to_user_ptr(call.recv));
	if (ret)
		goto out;
	ret = mbx_send_prepare(&sreq, box, u64_to_user_ptr(call.send));
	if (!ret)
		ret = mbx_send_finish(&sreq, file, user, &sent);
	/*
	 * Sent: nothing may restart the call now, or it would send again,
	 * and .sent says so even when the send half failed to report its
	 * receiver (another thread unmapped its structure meanwhile).
	 */
	if (sent && put_user(1, &ucall->sent))
		ret = -EFAULT;
	if (ret) {
		mbx_recv_abort(&rreq);
		goto out;
	}
	ret = mbx_recv_finish(&rreq, rfile, rbox);
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
out:
	fdput(rfd);
	return ret;
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
	/* Like every later call on a destroyed mailbox, as IPC_STAT after
	 * IPC_RMID: stale figures with no sign of the destroy would mislead.
	 */
	ret = mbx_box_stat(box, &st);
	if (ret)
		return ret;
	return mbx_uarg_copy_out(uarg, &st, sizeof(st));
}
