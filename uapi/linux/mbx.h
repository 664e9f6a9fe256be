/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/mailbox: message passing between processes.
 *
 * ABI rules, kept by every structure in this file:
 *  - only fixed-size fields (__u32, __u64; __s32 for pids and __s64 for
 *    timeouts and times, which are signed; one char array for a name),
 *    naturally aligned, explicit padding, the same layout on 32- and
 *    64-bit;
 *  - pointers travel as __u64 (cast through uintptr_t in userspace);
 *  - every structure starts with a __u32 size that the caller sets to
 *    sizeof() the structure it was compiled with.  The kernel accepts any
 *    size from the first published version (..._SIZE_VER0) up to a page:
 *    bytes it does not know must be zero (else E2BIG), fields it knows but
 *    the caller did not pass read as zero, and output is written only up
 *    to the caller's size.  New fields are only ever appended;
 *  - the structure's size field is authoritative, not the size that
 *    _IOWR() encodes in the command number: commands are matched on
 *    their type, number and direction only, so a caller built with a
 *    grown structure (and so a different command number) still works
 *    with an older module, under the rule above;
 *  - unknown flags and non-zero padding or reserved fields fail with
 *    EINVAL, an unknown ioctl command with ENOTTY;
 *  - fields documented "out" are ignored on input (a structure can be
 *    reused from call to call) and written only on success, except where
 *    an error says otherwise (EMSGSIZE reports the size needed).
 *
 * The header includes only <linux/types.h> and <linux/ioctl.h> and builds
 * in userspace with -std=c90 (the MBX_FEATURE_* constants are unsigned
 * long long, which -pedantic flags where they are used, as for other
 * uapi headers).
 */
#ifndef _UAPI_LINUX_MBX_H
#define _UAPI_LINUX_MBX_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The device node, a misc device any process may open. */
#define MBX_DEVICE_PATH		"/dev/mailbox"

/* Bumped on incompatible changes only; growth is by struct size. */
#define MBX_ABI_VERSION		1

/**
 * struct mbx_info - what this kernel's /dev/mailbox supports
 * @size:		in: sizeof(struct mbx_info) as the caller knows it
 * @flags:		in: must be 0
 * @abi_version:	out: MBX_ABI_VERSION of the module
 * @features:		out: MBX_FEATURE_* bits the module implements
 * @max_msg_size:	out: default maximum message size of a new mailbox
 * @max_msg_size_cap:	out: largest maximum message size a mailbox may have
 */
struct mbx_info {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 __reserved;
	__u64 features;
	__u32 max_msg_size;
	__u32 max_msg_size_cap;
};

#define MBX_INFO_SIZE_VER0	32

/* MBX_IOC_INFO features bits. */
#define MBX_FEATURE_MAILBOXES	0x1ULL	/* MBX_IOC_OPEN and handles */
#define MBX_FEATURE_DIRECT	0x2ULL	/* inboxes: send(P), receive(Q) */
#define MBX_FEATURE_CALL	0x4ULL	/* MBX_IOC_CALL */
#define MBX_FEATURE_READ_WRITE	0x8ULL	/* read(2), write(2), FIONREAD */

/*
 * Mailboxes (indirect communication).
 *
 * MBX_IOC_OPEN on a /dev/mailbox descriptor creates or opens a mailbox and
 * returns a new file descriptor, its handle.  Sending, receiving, status
 * and destruction are ioctls on the handle; poll/select/epoll on handles
 * wait on several mailboxes at once.  close() drops the handle, not the
 * mailbox: a mailbox lives until MBX_IOC_DESTROY or module unload.
 *
 * read(2) and write(2) on a handle receive and send too, a message per
 * call: write() sends its whole buffer as one message and returns its
 * length; read() receives the oldest message whole and returns its
 * length (0: an empty message; there is no end of file), or fails with
 * EMSGSIZE, leaving the message first in line, when the buffer is too
 * small.  They wait unless the handle is O_NONBLOCK, take no timeout and
 * report no metadata; errors are those of MBX_IOC_SEND and MBX_IOC_RECV
 * (EBADF on a handle not opened for that direction).  readv()/writev()
 * take one segment (several: EINVAL; a vector of 0 bytes in all returns
 * 0 and sends or takes nothing); pread(), pwrite() and lseek() fail with
 * ESPIPE.
 */

/* Longest name, not counting the terminating NUL. */
#define MBX_NAME_MAX		63

/* Capacity modes (struct mbx_open.capacity, struct mbx_stat.capacity). */
#define MBX_CAP_ZERO		0	/* rendezvous: nothing is queued */
#define MBX_CAP_BOUNDED		1	/* at most .limit messages queued */
#define MBX_CAP_UNBOUNDED	2	/* only the per-user byte quota */

/* Largest .limit of a bounded mailbox. */
#define MBX_LIMIT_MAX		0x100000U

/* struct mbx_open.flags */
#define MBX_O_CREAT		0x1U  /* create if missing (IPC_CREAT) */
#define MBX_O_EXCL		0x2U  /* with CREAT: EEXIST if it exists */
#define MBX_O_PRIVATE		0x4U  /* always a new one, no name or key */
#define MBX_O_BY_ID		0x8U  /* open the mailbox .id */
#define MBX_O_SEND		0x10U  /* handle may send (needs w) */
#define MBX_O_RECV		0x20U  /* handle may receive (needs r) */
#define MBX_O_NONBLOCK		0x40U  /* O_NONBLOCK on the handle */
#define MBX_O_CLOEXEC		0x80U  /* O_CLOEXEC on the handle */

/**
 * struct mbx_open - create or open a mailbox (MBX_IOC_OPEN)
 * @size:	sizeof(struct mbx_open)
 * @flags:	MBX_O_*.  Without MBX_O_SEND and MBX_O_RECV the handle is a
 *		control handle on an existing mailbox, for MBX_IOC_STAT,
 *		MBX_IOC_SET and MBX_IOC_DESTROY (as ipcs/ipcrm need): its
 *		owner, creator, CAP_IPC_OWNER or a reader may open one
 * @name:	pointer to a NUL-terminated name of 1..MBX_NAME_MAX bytes, or 0
 * @key:	numeric key, or 0 for none
 * @mode:	permission bits (0777 at most; r = receive, w = send), used
 *		when the call creates the mailbox
 * @capacity:	MBX_CAP_*, used when creating
 * @limit:	MBX_CAP_BOUNDED: 1..MBX_LIMIT_MAX messages; otherwise 0
 * @max_msg_size: largest message, 0 for the module's default; at most the
 *		module's max_msg_size_cap; used when creating
 * @id:		in with MBX_O_BY_ID: the mailbox to open (else ignored); out:
 *		the mailbox id
 *
 * Exactly one way of naming: @name and/or @key, or MBX_O_PRIVATE, or
 * MBX_O_BY_ID.  When both @name and @key are given they name one mailbox.
 * Returns the new handle's file descriptor.
 */
struct mbx_open {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u32 key;
	__u32 mode;
	__u32 capacity;
	__u32 limit;
	__u32 max_msg_size;
	__u32 id;
};

#define MBX_OPEN_SIZE_VER0	40

/* Flags of struct mbx_send and struct mbx_recv. */
#define MBX_F_NONBLOCK		0x1U  /* EAGAIN instead of waiting */
#define MBX_F_TIMEOUT		0x2U  /* wait at most .timeout_ns */
/* MBX_F_SYNC with MBX_F_NONBLOCK: only if a receiver is already waiting. */
#define MBX_F_SYNC		0x4U  /* send: until a receiver took it */
#define MBX_F_TRUNC		0x8U  /* recv: truncate, no EMSGSIZE */

/**
 * struct mbx_send - send one message (MBX_IOC_SEND on a handle)
 * @size:	sizeof(struct mbx_send)
 * @flags:	MBX_F_NONBLOCK, MBX_F_TIMEOUT, MBX_F_SYNC
 * @buf:	pointer to the message
 * @len:	its length, 0..the mailbox's max_msg_size
 * @timeout_ns:	with MBX_F_TIMEOUT: relative timeout on CLOCK_MONOTONIC;
 *		without it must be 0 (EINVAL): clear both to reuse the
 *		structure for an untimed send
 * @receiver_pid: out, for zero-capacity mailboxes and MBX_F_SYNC: the
 *		process that received the message, in the caller's pid
 *		namespace (0 when it is not visible there); otherwise 0
 * @__reserved:	must be 0
 * @to_pid:	direct send (MBX_IOC_SEND on a /dev/mailbox descriptor): the
 *		receiving process, in the caller's pid namespace (0, which a
 *		receive reports for a sender not visible there: ESRCH;
 *		below 0: EINVAL); on a mailbox handle it must be 0
 * @__reserved2: must be 0
 */
struct mbx_send {
	__u32 size;
	__u32 flags;
	__u64 buf;
	__u64 len;
	__s64 timeout_ns;
	__s32 receiver_pid;
	__u32 __reserved;
	__s32 to_pid;
	__u32 __reserved2;
};

#define MBX_SEND_SIZE_VER0	48

/**
 * struct mbx_recv - receive one message (MBX_IOC_RECV on a handle)
 * @size:	sizeof(struct mbx_recv)
 * @flags:	MBX_F_NONBLOCK, MBX_F_TIMEOUT, MBX_F_TRUNC
 * @buf:	pointer to the buffer
 * @len:	its size
 * @timeout_ns:	with MBX_F_TIMEOUT: relative timeout on CLOCK_MONOTONIC;
 *		without it must be 0 (EINVAL)
 * @msg_len:	out: the message's length.  On success min(@len, @msg_len)
 *		bytes were copied; on EMSGSIZE the size the buffer needs
 * @sender_pid:	out: the sender's process id in the caller's pid namespace
 *		(0 when it is not visible there)
 * @sender_uid:	out: the sender's effective uid in the caller's user ns
 * @mailbox_id:	out: the mailbox the message came from (0 for a direct
 *		message, received from the caller's inbox)
 * @__reserved:	must be 0
 * @from_pid:	in: receive only a message sent by this process (in the
 *		caller's pid namespace), 0 for anyone.  Works on inboxes
 *		(receive(Q)) and on mailboxes alike.  A process that has
 *		exited still has its queued messages received, then ESRCH
 * @__reserved2: must be 0
 */
struct mbx_recv {
	__u32 size;
	__u32 flags;
	__u64 buf;
	__u64 len;
	__s64 timeout_ns;
	__u64 msg_len;
	__s32 sender_pid;
	__u32 sender_uid;
	__u32 mailbox_id;
	__u32 __reserved;
	__s32 from_pid;
	__u32 __reserved2;
};

#define MBX_RECV_SIZE_VER0	64

/**
 * struct mbx_stat - status of a mailbox (MBX_IOC_STAT on a handle)
 * @size:	in: sizeof(struct mbx_stat)
 * @flags:	in: must be 0
 * @id, @key, @name: the mailbox's id, key (0: none), name ("": none);
 *		an inbox (MBX_IOC_STAT on /dev/mailbox) has none: 0, 0, ""
 * @uid, @gid:	owner, in the caller's user namespace
 * @cuid, @cgid: creator
 * @mode:	permission bits
 *		(an inbox: uid, gid, cuid and cgid are its process's effective
 *		ids when it opened the device, and mode is 0600, which nothing
 *		checks: who may send is the inbox's policy, set with
 *		MBX_IOC_INBOX_SET and not reported here)
 * @capacity, @limit, @max_msg_size: as given at creation or by MBX_IOC_SET
 * @msg_count, @msg_bytes: messages queued and their payload bytes
 * @senders_waiting, @receivers_waiting: tasks blocked in send and receive
 * @last_send_pid, @last_recv_pid: processes of the last send and receive
 *		(0: none, or not visible in the caller's pid namespace)
 * @send_time, @recv_time, @change_time: CLOCK_REALTIME nanoseconds of the
 *		last send, receive, and change (creation, MBX_IOC_SET,
 *		destroy, inbox configuration) (0: never);
 *		send and receive times have the resolution of a scheduler
 *		tick (CLOCK_REALTIME_COARSE), like inode and System V times
 */
struct mbx_stat {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 key;
	char name[MBX_NAME_MAX + 1];
	__u32 uid;
	__u32 gid;
	__u32 cuid;
	__u32 cgid;
	__u32 mode;
	__u32 capacity;
	__u32 limit;
	__u32 max_msg_size;
	__u64 msg_count;
	__u64 msg_bytes;
	__u32 senders_waiting;
	__u32 receivers_waiting;
	__s32 last_send_pid;
	__s32 last_recv_pid;
	__s64 send_time;
	__s64 recv_time;
	__s64 change_time;
};

#define MBX_STAT_SIZE_VER0	168

/* struct mbx_set.flags: which fields to change. */
#define MBX_SET_MODE		0x1U
#define MBX_SET_OWNER		0x2U  /* uid and gid */
#define MBX_SET_LIMIT		0x4U  /* bounded mailboxes only */
#define MBX_SET_MSGSIZE		0x8U

/**
 * struct mbx_set - change a mailbox (MBX_IOC_SET on a handle); allowed to
 *		its owner, its creator and CAP_IPC_OWNER (else EPERM)
 * @size:	sizeof(struct mbx_set)
 * @flags:	MBX_SET_*, at least one
 * @mode, @uid, @gid, @limit, @max_msg_size: new values (ranges as for
 *		struct mbx_open, but a max_msg_size of 0 is EINVAL here, not
 *		the default; uid/gid in the caller's user namespace).  Each
 *		is read only with its MBX_SET_* flag, and must be 0 without
 *		it (else EINVAL).  Lowering the limit or max_msg_size below
 *		what is queued is allowed: queued messages stay and are
 *		delivered; sends wait (or fail) until fewer than the new
 *		limit are queued, and a longer send fails with EMSGSIZE
 * @__reserved:	must be 0
 */
struct mbx_set {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 limit;
	__u32 max_msg_size;
	__u32 __reserved;
};

#define MBX_SET_SIZE_VER0	32

/*
 * Direct communication.  Each process that has /dev/mailbox open has one
 * inbox, shared by its threads and by all its opens of the device, and is
 * addressed by its pid: MBX_IOC_SEND with .to_pid on a /dev/mailbox
 * descriptor sends to a process's inbox, MBX_IOC_RECV on one receives
 * from the caller's own inbox (from anyone, or .from_pid only), poll on
 * it waits for the inbox.  MBX_IOC_STAT on it describes the inbox.
 * read(2) on it receives one message from the inbox, from anyone, as on a
 * handle; write(2) fails with EDESTADDRREQ (it cannot name a receiver).
 * FIONREAD (an int), on it and on a handle opened for receiving, gives
 * the length of the message the next read takes: 0 for none (or an empty
 * one).
 */

/* struct mbx_inbox_config.policy: who may send to the inbox. */
#define MBX_POLICY_SAME_UID	0  /* same uid as the owner, or CAP_IPC_OWNER */
#define MBX_POLICY_REFUSE	1  /* nobody */
#define MBX_POLICY_ONE_UID	2  /* only processes of .allow_uid */
#define MBX_POLICY_ANYONE	3  /* everybody */

/* struct mbx_inbox_config.flags: which fields to change. */
#define MBX_INBOX_SET_CAPACITY	0x1U  /* capacity and limit (inbox empty) */
#define MBX_INBOX_SET_MSGSIZE	0x2U
#define MBX_INBOX_SET_POLICY	0x4U  /* policy and allow_uid */

/**
 * struct mbx_inbox_config - configure the caller's inbox
 *		(MBX_IOC_INBOX_SET on /dev/mailbox)
 * @size:	sizeof(struct mbx_inbox_config)
 * @flags:	MBX_INBOX_SET_*, at least one
 * @capacity, @limit: as for struct mbx_open; the default inbox is
 *		MBX_CAP_BOUNDED with a limit of 64.  Changing it needs an
 *		empty inbox with nobody blocked on it (else EBUSY); a send
 *		or receive in progress that is not blocked is waited for,
 *		up to a second
 * @max_msg_size: largest message (default: the module's max_msg_size)
 * @policy:	MBX_POLICY_*
 * @allow_uid:	with MBX_POLICY_ONE_UID, in the caller's user namespace
 * @__reserved:	must be 0
 */
struct mbx_inbox_config {
	__u32 size;
	__u32 flags;
	__u32 capacity;
	__u32 limit;
	__u32 max_msg_size;
	__u32 policy;
	__u32 allow_uid;
	__u32 __reserved;
};

#define MBX_INBOX_CONFIG_SIZE_VER0	32

/**
 * struct mbx_call - send one message, then receive one, in one call
 *		(MBX_IOC_CALL, on a mailbox handle or a /dev/mailbox
 *		descriptor): the request/response of a remote procedure call,
 *		or a server's reply followed by its wait for the next request
 * @size:	sizeof(struct mbx_call)
 * @flags:	must be 0
 * @send:	pointer to a struct mbx_send: the send, exactly as
 *		MBX_IOC_SEND on the descriptor the call is made on (a
 *		mailbox handle; or /dev/mailbox with .to_pid: send(P))
 * @recv:	pointer to a struct mbx_recv: the receive, exactly as
 *		MBX_IOC_RECV on @recv_fd
 * @recv_fd:	where to receive: a mailbox handle opened with MBX_O_RECV,
 *		or a /dev/mailbox descriptor opened by the caller (its
 *		inbox); -1 for the descriptor the call is made on
 * @sent:	out: 1 once the message was sent, else 0.  Written on every
 *		return, errors included, so that a caller always knows
 *		whether its message went; except for errors about this
 *		structure itself (its size, @flags or @recv_fd invalid, or
 *		the structure not readable and writable), which send nothing
 *
 * Everything is checked before anything is sent: both structures, the
 * receiving descriptor and its permission.  Then the message is sent (as
 * MBX_IOC_SEND: its errors end the call with @sent 0, but for EFAULT
 * writing its receiver_pid back, when another thread unmapped the struct
 * mbx_send meanwhile: that one is sent, @sent 1) and a message is
 * received (as MBX_IOC_RECV: its errors end the call with @sent 1).  Each
 * half has its own flags and timeout, counted from when that half starts.
 * A signal that interrupts the receive ends the call with EINTR, never a
 * restart (which would send again).
 */
struct mbx_call {
	__u32 size;
	__u32 flags;
	__u64 send;
	__u64 recv;
	__s32 recv_fd;
	__u32 sent;
};

#define MBX_CALL_SIZE_VER0	32

#define MBX_IOC_MAGIC		0xB8

/* On a /dev/mailbox descriptor. */
#define MBX_IOC_INFO		_IOWR(MBX_IOC_MAGIC, 0x00, struct mbx_info)
#define MBX_IOC_OPEN		_IOWR(MBX_IOC_MAGIC, 0x01, struct mbx_open)
#define MBX_IOC_INBOX_SET	_IOW(MBX_IOC_MAGIC, 0x02, struct mbx_inbox_config)
/* MBX_IOC_SEND, MBX_IOC_RECV, MBX_IOC_STAT and MBX_IOC_CALL also work here. */

/* On a mailbox handle. */
#define MBX_IOC_SEND		_IOWR(MBX_IOC_MAGIC, 0x10, struct mbx_send)
#define MBX_IOC_RECV		_IOWR(MBX_IOC_MAGIC, 0x11, struct mbx_recv)
#define MBX_IOC_STAT		_IOWR(MBX_IOC_MAGIC, 0x12, struct mbx_stat)
#define MBX_IOC_SET		_IOW(MBX_IOC_MAGIC, 0x13, struct mbx_set)
#define MBX_IOC_DESTROY		_IO(MBX_IOC_MAGIC, 0x14)

/* On a mailbox handle (send on its mailbox) or on /dev/mailbox (send(P)). */
#define MBX_IOC_CALL		_IOWR(MBX_IOC_MAGIC, 0x15, struct mbx_call)

#endif /* _UAPI_LINUX_MBX_H */
