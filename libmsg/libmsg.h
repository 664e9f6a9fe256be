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
 * The library keeps no global state and allocates no memory.  The
 * errors listed here are the usual ones; each call's man page lists all.
 */
#ifndef LIBMSG_H
#define LIBMSG_H

#include <errno.h>	/* the negative errnos every call returns */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/mbx.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * msg_dev_open() - open /dev/mailbox
 * @flags:	0 or O_NONBLOCK; O_RDWR and O_CLOEXEC are always added
 *		(passing O_CLOEXEC too is allowed)
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

/*
 * Mailboxes (indirect communication).  A mailbox is created or opened
 * through a /dev/mailbox descriptor and used through its own descriptor,
 * its handle; see uapi/linux/mbx.h for the flags and structures.
 */

/**
 * struct msg_box_attr - what a new mailbox is like
 * @capacity:	MBX_CAP_ZERO (rendezvous), MBX_CAP_BOUNDED, MBX_CAP_UNBOUNDED
 * @limit:	MBX_CAP_BOUNDED: messages it holds (1..MBX_LIMIT_MAX); else 0
 * @max_msg_size: largest message; 0 for the module's default (8192)
 * @mode:	permission bits, 0777 at most: r = receive, w = send
 */
struct msg_box_attr {
	unsigned int capacity;
	unsigned int limit;
	unsigned int max_msg_size;
	unsigned int mode;
};

/**
 * msg_box_open() - create or open a mailbox by name and/or key
 * @devfd:	a descriptor from msg_dev_open()
 * @name:	1..MBX_NAME_MAX bytes, or NULL
 * @key:	a numeric key, or 0
 * @flags:	MBX_O_SEND and/or MBX_O_RECV; MBX_O_CREAT, MBX_O_EXCL,
 *		MBX_O_NONBLOCK, MBX_O_CLOEXEC; or MBX_O_PRIVATE (with @name
 *		NULL and @key 0) for a new anonymous mailbox
 * @attr:	used when the call creates the mailbox; NULL when it must
 *		not (then only an existing mailbox is opened; with
 *		MBX_O_CREAT or MBX_O_PRIVATE it is -EINVAL).  Not ignored
 *		otherwise: a non-zero attribute without MBX_O_CREAT or
 *		MBX_O_PRIVATE is -EINVAL, so a plain open passes NULL
 * @id:		if not NULL, receives the mailbox id
 *
 * Return: the handle's descriptor, or -ENOENT (no such mailbox; without
 * MBX_O_CREAT, also name and key naming different mailboxes), -EEXIST
 * (MBX_O_EXCL and it exists; with MBX_O_CREAT, name and key naming
 * different mailboxes),
 * -EACCES (its mode denies the access), -EINVAL (bad flags or
 * attributes), -ENAMETOOLONG, -ENOSPC (too many mailboxes), -ENOMEM,
 * -EFAULT, -EMFILE, -ENFILE.
 */
int msg_box_open(int devfd, const char *name, unsigned int key,
		 unsigned int flags, const struct msg_box_attr *attr,
		 unsigned int *id);

/**
 * msg_box_open_id() - open an existing mailbox by its id
 * @devfd:	a descriptor from msg_dev_open()
 * @id:		the mailbox id (from msg_box_open() or msg_stat())
 * @flags:	MBX_O_SEND and/or MBX_O_RECV, MBX_O_NONBLOCK, MBX_O_CLOEXEC
 *
 * Return: the handle's descriptor, or as msg_box_open().
 */
int msg_box_open_id(int devfd, unsigned int id, unsigned int flags);

/**
 * msg_box_destroy() - destroy the mailbox of a handle
 * @fd:		the handle
 *
 * Blocked senders and receivers wake with -EIDRM, queued messages are
 * freed, and every handle on it fails with -EIDRM from then on.  The
 * handle itself stays open: close it with close(2).
 *
 * Return: 0, or -EPERM (not its owner, creator or CAP_IPC_OWNER), -EIDRM
 * (destroyed already; for anyone, before -EPERM),
 * -EBADF, -ENOTTY (not a handle: /dev/mailbox included).
 */
int msg_box_destroy(int fd);

/**
 * msg_send() - send a message
 * @fd:		a handle opened with MBX_O_SEND
 * @buf:	the message
 * @len:	its length, 0..the mailbox's max_msg_size
 * @flags:	0 (block while the mailbox cannot take it), MBX_F_NONBLOCK
 *		(-EAGAIN instead), MBX_F_SYNC (return only once a receiver
 *		has taken it)
 *
 * On a zero-capacity mailbox the call returns when a receiver has taken
 * the message (a non-blocking send succeeds only if a receiver is
 * already waiting).  write(2) on the handle sends as msg_send() with
 * flags 0 does (returning @len), and read(2) receives as msg_recv() with
 * flags 0 and no @meta does: see libmsg(7).
 *
 * Return: for zero-capacity mailboxes and MBX_F_SYNC, the pid of the
 * process that received the message (0 if it is not visible in the
 * caller's pid namespace); otherwise 0.  On failure, with nothing sent:
 * -EAGAIN, -EMSGSIZE (longer than max_msg_size), -ENOBUFS (the user's
 * quota of queued bytes is used up), -EIDRM (destroyed), -EINTR (a
 * signal), -EBADF (handle not opened for sending), -ESRCH (@fd is
 * /dev/mailbox: a send to pid 0, see msg_send_to()), -EFAULT, -ENOMEM.
 */
int msg_send(int fd, const void *buf, size_t len, unsigned int flags);

/**
 * msg_send_timed() - msg_send(), waiting at most @timeout_ns
 * @fd, @buf, @len, @flags: as for msg_send() (not MBX_F_NONBLOCK)
 * @timeout_ns:	relative timeout on CLOCK_MONOTONIC, >= 0; 0 does not
 *		wait: -ETIMEDOUT at once if the call would have waited
 *
 * Return: as msg_send(), or -ETIMEDOUT.
 */
int msg_send_timed(int fd, const void *buf, size_t len, unsigned int flags,
		   int64_t timeout_ns);

/**
 * struct msg_meta - what the kernel says about a received message
 * @len:	the message's length; after -EMSGSIZE, the size needed
 * @sender_pid:	the sender's pid in the caller's pid namespace (0: not
 *		visible there)
 * @sender_uid:	the sender's effective uid
 * @mailbox_id:	the mailbox it came from
 */
struct msg_meta {
	size_t len;
	pid_t sender_pid;
	uid_t sender_uid;
	unsigned int mailbox_id;
};

/**
 * msg_recv() - receive the oldest message
 * @fd:		a handle opened with MBX_O_RECV
 * @buf:	the buffer
 * @len:	its size
 * @flags:	0 (block until a message comes), MBX_F_NONBLOCK (-EAGAIN
 *		instead), MBX_F_TRUNC (a longer message is truncated to @len
 *		instead of failing)
 * @meta:	if not NULL, filled with the message's metadata
 *
 * Return: the number of bytes stored in @buf, or -EMSGSIZE (the message
 * is longer than @len: it stays first in line and meta->len says how
 * large the buffer must be), -EAGAIN, -EIDRM, -EINTR, -EBADF, -EFAULT.
 */
ssize_t msg_recv(int fd, void *buf, size_t len, unsigned int flags,
		 struct msg_meta *meta);

/**
 * msg_recv_timed() - msg_recv(), waiting at most @timeout_ns
 * @fd, @buf, @len, @flags, @meta: as for msg_recv() (not MBX_F_NONBLOCK)
 * @timeout_ns:	relative timeout on CLOCK_MONOTONIC, >= 0; 0 does not
 *		wait: -ETIMEDOUT at once if the call would have waited
 *
 * Return: as msg_recv(), or -ETIMEDOUT.
 */
ssize_t msg_recv_timed(int fd, void *buf, size_t len, unsigned int flags,
		       int64_t timeout_ns, struct msg_meta *meta);

/**
 * msg_stat() - status of a mailbox
 * @fd:		a handle, or /dev/mailbox for the caller's inbox
 * @st:		filled on success (the library sets st->size)
 *
 * Return: 0, or -EIDRM (the mailbox was destroyed), -ESRCH (the inbox's
 * owner exited), -EBADF, -ENOTTY, -EFAULT.
 */
int msg_stat(int fd, struct mbx_stat *st);

/**
 * msg_set() - change a mailbox's mode, owner or limits
 * @fd:		a handle
 * @set:	MBX_SET_* in set->flags and the new values (the library sets
 *		set->size)
 *
 * Return: 0, or -EPERM (not owner, creator or CAP_IPC_OWNER), -EINVAL,
 * -EIDRM, -ENOTTY (/dev/mailbox), -EFAULT.
 */
int msg_set(int fd, struct mbx_set *set);

/*
 * Direct communication.  A process that has /dev/mailbox open has an
 * inbox and is addressed by its pid; see uapi/linux/mbx.h.
 */

/**
 * msg_send_to() - send(P, message): send to a process's inbox
 * @devfd:	a descriptor from msg_dev_open()
 * @pid:	the receiving process, in the caller's pid namespace
 * @buf, @len, @flags: as for msg_send(); the receiver's inbox decides the
 *		capacity mode (default: bounded, 64 messages)
 *
 * Return: as msg_send() (the receiver's pid for zero-capacity inboxes and
 * MBX_F_SYNC), or -ESRCH (no such process, it has no inbox, or it exited
 * while we waited), -EPERM (its policy refuses us: by default only
 * processes of its uid, or with CAP_IPC_OWNER, may send to it).
 */
int msg_send_to(int devfd, pid_t pid, const void *buf, size_t len,
		unsigned int flags);

/**
 * msg_send_to_timed() - msg_send_to(), waiting at most @timeout_ns
 *
 * Return: as msg_send_to(), or -ETIMEDOUT.
 */
int msg_send_to_timed(int devfd, pid_t pid, const void *buf, size_t len,
		      unsigned int flags, int64_t timeout_ns);

/**
 * msg_recv_from() - receive(Q, message), or receive from anyone
 * @fd:		a /dev/mailbox descriptor opened by this process (its inbox;
 *		-EPERM for one inherited from another process), or a
 *		mailbox handle
 * @from:	only a message sent by this process; 0 for the oldest
 *		message from anyone.  If @from has exited, its messages still
 *		queued are received, and then -ESRCH
 * @buf, @len, @flags, @meta: as for msg_recv(); meta->sender_pid says who
 *		sent it
 *
 * Messages from one sender arrive in the order it sent them; receiving
 * from one sender leaves the others' messages queued.
 *
 * Return: as msg_recv(), or -ESRCH (no process @from and nothing from it
 * queued), -EPERM.
 */
ssize_t msg_recv_from(int fd, pid_t from, void *buf, size_t len,
		      unsigned int flags, struct msg_meta *meta);

/**
 * msg_recv_from_timed() - msg_recv_from(), waiting at most @timeout_ns
 *
 * Return: as msg_recv_from(), or -ETIMEDOUT.
 */
ssize_t msg_recv_from_timed(int fd, pid_t from, void *buf, size_t len,
			    unsigned int flags, int64_t timeout_ns,
			    struct msg_meta *meta);

/**
 * msg_call() - send a message, then receive one, in one system call
 * @fd:		where to send: a handle opened with MBX_O_SEND, or a
 *		/dev/mailbox descriptor (then @send->to_pid names the process
 *		to send to, as msg_send_to())
 * @send:	the message: buf, len, flags (MBX_F_NONBLOCK, MBX_F_TIMEOUT
 *		with timeout_ns, MBX_F_SYNC) and to_pid, other fields 0; on
 *		success receiver_pid is set as msg_send() returns it
 * @recv_fd:	where to receive: a handle opened with MBX_O_RECV, or a
 *		/dev/mailbox descriptor opened by this process (its inbox);
 *		-1 for @fd itself
 * @recv:	the receive: buf, len, flags (MBX_F_NONBLOCK, MBX_F_TIMEOUT
 *		with timeout_ns, MBX_F_TRUNC) and from_pid (0: anyone), other
 *		fields 0; on success msg_len, sender_pid, sender_uid and
 *		mailbox_id describe the message received
 * @sent:	if not NULL, set to 1 when the message was sent, else 0: on
 *		failure it tells which half failed
 *
 * The request/response of a remote procedure call in one system call
 * instead of two (a client: send the request, wait for the reply), or a
 * server's reply followed by its wait for the next request.  Both halves
 * behave exactly as msg_send() (or msg_send_to()) and msg_recv_from()
 * with the same fields, each with its own flags and timeout, counted from
 * when that half starts.  Every argument, both structures and @recv_fd
 * included, is checked before anything is sent.  The library sets the
 * size fields; the structures may be reused from call to call.
 *
 * Return: the number of bytes stored in recv->buf.  On failure a negative
 * errno: with *sent 0, as msg_send()/msg_send_to() (nothing was sent;
 * also -EBADF when @recv_fd cannot be received from, -EPERM for another
 * process's /dev/mailbox descriptor, and the errors of invalid @recv
 * fields); with *sent 1, as msg_recv_from() (the message was sent and
 * will not be sent again; a signal gives -EINTR, never a restart).
 */
ssize_t msg_call(int fd, struct mbx_send *send, int recv_fd,
		 struct mbx_recv *recv, int *sent);

/**
 * msg_inbox_set() - configure the caller's inbox
 * @devfd:	a /dev/mailbox descriptor opened by this process
 * @cfg:	MBX_INBOX_SET_* in cfg->flags and the new values (the library
 *		sets cfg->size): capacity mode, maximum message size, and who
 *		may send (MBX_POLICY_SAME_UID, the default; _REFUSE;
 *		_ONE_UID with cfg->allow_uid; _ANYONE)
 *
 * Return: 0, or -EINVAL (also a value without its MBX_INBOX_SET_* flag),
 * -EBUSY (capacity change while messages are queued or tasks blocked; a
 * send or receive in progress that is not blocked is waited for, up to a
 * second), -EINTR,
 * -EPERM (not this process's inbox).
 */
int msg_inbox_set(int devfd, struct mbx_inbox_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* LIBMSG_H */
