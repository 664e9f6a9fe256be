/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the /dev/mailbox module's files and its KUnit
 * tests.  Nothing here is part of the user ABI: that is uapi/linux/mbx.h.
 */
#ifndef _MBX_INTERNAL_H
#define _MBX_INTERNAL_H

#include <linux/compiler_types.h>
#include <linux/kconfig.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include "../uapi/linux/mbx.h"

struct file;
struct mbx_small;
struct mm_struct;
struct pid;
struct poll_table_struct;
struct task_struct;

/* Module parameters, validated at load time (mbx_main.c). */
extern unsigned int mbx_max_msg_size;
extern unsigned int mbx_max_msg_size_cap;
extern unsigned long mbx_user_bytes_max;
extern unsigned int mbx_user_mailboxes_max;
extern unsigned int mbx_spin_ns;

/* Features this build implements: the MBX_IOC_INFO features word. */
#define MBX_FEATURES_SUPPORTED	(MBX_FEATURE_MAILBOXES | MBX_FEATURE_DIRECT | \
				 MBX_FEATURE_CALL | MBX_FEATURE_READ_WRITE)

/*
 * struct mbx_user - what one user (kuid) holds: queued message bytes and
 * mailboxes created, each bounded by a module parameter.  Counters are
 * atomics so that charging needs no lock; the structure itself lives in
 * mbx_users (an xarray indexed by kuid) while referenced (mbx_user.c).
 */
struct mbx_user {
	kuid_t uid;
	refcount_t ref;
	atomic_long_t bytes;
	atomic_t mailboxes;
};

struct mbx_user *mbx_user_get(kuid_t uid);
void mbx_user_put(struct mbx_user *user);
int mbx_user_charge_bytes(struct mbx_user *user, size_t bytes,
			  unsigned long max);
void mbx_user_uncharge_bytes(struct mbx_user *user, size_t bytes);
int mbx_user_charge_mailbox(struct mbx_user *user, unsigned int max);
void mbx_user_uncharge_mailbox(struct mbx_user *user);

/**
 * struct mbx_msg - one queued message
 * @node:	in mbx_box.queue
 * @charged:	the user whose quota holds @len bytes (ref held)
 * @sender:	the sending process (ref held)
 * @sender_uid:	its effective uid at the time of sending
 * @len:	payload length (at most MBX_MAX_MSG_SIZE_CAP_LIMIT, mbx_main.c)
 * @sync:	the waiter of an MBX_F_SYNC sender, NULL if none; cleared
 *		when the message is received or freed, under the box lock
 * @seq:	its place in the mailbox's line (mbx_box.next_seq), given
 *		under the box lock as it is queued or handed to a receiver;
 *		a message put back after a receiver's fault goes back there
 *		(mbx_queue_put_back())
 * @data:	the payload: @inline_data, or a block of its own
 * @inline_data: a small payload, in the same allocation as the header
 *
 * A payload of up to MBX_MSG_INLINE_MAX bytes shares one kmalloc() block
 * with the header (at most 256 bytes, so rounding wastes under 64); a
 * larger one has a block of exactly its size class (kvmalloc) and the
 * header comes from the mbx_msg slab cache.  Either way a queued message
 * costs its payload plus at most 128 bytes, where one block for both
 * would round a 4 KiB message up to 8 KiB and a 64 KiB one to 128 KiB.
 */
struct mbx_msg {
	struct list_head node;
	struct mbx_user *charged;
	struct pid *sender;
	kuid_t sender_uid;
	u32 len;
	struct mbx_waiter *sync;
	u64 seq;
	u8 *data;
	u8 inline_data[];
};

#define MBX_MSG_INLINE_MAX	(256 - sizeof(struct mbx_msg))

/*
 * A command number encodes the size of the structure its caller was built
 * with, and a grown structure changes it.  The structure's own size field
 * is what counts (mbx_uarg.c), so both ioctl handlers match commands with
 * the size bits masked, as seccomp_notify_ioctl() does: a newer caller's
 * larger structure reaches its handler, which accepts it if the bytes
 * this module does not know are zero.  Type, number and direction must
 * still match.
 */
#define MBX_IOC_BASE(cmd)	((cmd) & ~IOCSIZE_MASK)

int mbx_msg_cache_init(void);
void mbx_msg_cache_exit(void);

/**
 * struct mbx_sendop - one send, as the ioctl decoded it
 * @ubuf:	the message in the caller's memory, or
 * @kbuf:	the message in kernel memory (KUnit, or a small zero-capacity
 *		message copied in, mbx_send_zero_copied()); exactly one is set,
 *		but for a zero-capacity send of memory that cannot be pinned,
 *		which sets @kbuf to its copy for the rest of the send
 *		(mbx_copy_in_all()): then @kbuf is what receivers read
 * @len:	its length, already checked against nothing but the ABI
 * @flags:	MBX_F_*
 * @nonblock:	MBX_F_NONBLOCK or O_NONBLOCK on the handle
 * @expires:	absolute CLOCK_MONOTONIC deadline, NULL to wait forever
 * @receiver:	out (ref held): who received it, for zero-capacity and
 *		MBX_F_SYNC sends; NULL otherwise
 */
struct mbx_sendop {
	const void __user *ubuf;
	const void *kbuf;
	size_t len;
	u32 flags;
	bool nonblock;
	ktime_t *expires;
	struct pid *receiver;
	struct mbx_msg *sync_msg;
};

/**
 * struct mbx_recvop - one receive, as the ioctl decoded it
 * @ubuf, @kbuf: the caller's buffer, user or kernel (KUnit)
 * @len:	its size
 * @flags, @nonblock, @expires: as for struct mbx_sendop
 * @from:	receive only a message sent by this process; NULL: anyone
 * @from_nr:	instead of @from, for a sender that has exited: its pid
 *		number in the caller's namespace; only queued messages match
 * @msg_len:	out: the message's length (on -EMSGSIZE: the size needed)
 * @sender:	out (ref held): the sending process
 * @sender_uid:	out: its effective uid when it sent
 * @resume_id:	zero capacity: the send (its waiter's @resume_id) whose
 *		message the buffer holds up to @resume_at, from a copy cut
 *		short (see mbx_recv_zero()); 0: none.  Reset as a zero-capacity
 *		receive starts
 * @resume_at:	where that copy stopped
 */
struct mbx_recvop {
	void __user *ubuf;
	void *kbuf;
	size_t len;
	u32 flags;
	bool nonblock;
	ktime_t *expires;
	struct pid *from;
	pid_t from_nr;
	size_t msg_len;
	struct pid *sender;
	kuid_t sender_uid;
	u64 resume_id;
	size_t resume_at;
};

/* struct mbx_waiter.state */
enum mbx_wait_state {
	MBX_WAITING,	/* on a wait list, nothing for it yet */
	MBX_CLAIMED,	/* off its list, its peer copying: a zero-capacity
			 * sender's message out, or a large message into a
			 * receiver's buffer (mbx_send_direct())
			 */
	MBX_FAULT_IN,	/* zero-capacity sender released to page its message
			 * in from .fault_at, and offer it again
			 */
	MBX_DONE,	/* finished: .err says how */
};

/**
 * struct mbx_waiter - a task blocked in send or receive, on its stack
 * @node:	in mbx_box.senders or mbx_box.receivers while MBX_WAITING
 * @task:	the waiting task
 * @state:	enum mbx_wait_state, changed only under the box lock
 * @nonblock:	a non-blocking zero-capacity sender: it waits only while
 *		claimed, and fails with -EAGAIN if the claim is undone
 * @spinning:	in mbx_wait_spin(), watching @state: whoever changes it
 *		need not wake the task (set and cleared under the box lock)
 * @err:	with MBX_DONE: 0 or a negative errno
 * @buf_len:	receiver: its buffer size
 * @trunc:	receiver: MBX_F_TRUNC
 * @from:	receiver: only a message from this process; NULL: anyone
 * @msg:	receiver: the message handed to it (MBX_DONE, err 0); blocked
 *		bounded sender: the message it waits to queue
 * @peer:	receiver on a zero-capacity mailbox: the sender handed to it
 * @fault_at:	zero-capacity sender in MBX_FAULT_IN: where to page its
 *		message in from (where the receiver's copy stopped)
 * @fault_end:	and where to stop
 * @resume_id:	zero-capacity sender: 0, or a number no other send ever
 *		gets, given at the first copy of its message cut short, by
 *		which receivers recognise it (mbx_recvop.resume_id)
 * @needed:	receiver woken with -EMSGSIZE: the message's length;
 *		receiver that a sender copied into (@msg and @peer NULL,
 *		err 0): the message's length
 * @op:		zero-capacity sender: its message
 * @rop:	receiver: its buffer, for a sender to copy into
 * @mm:		zero-capacity sender: the address space of op->ubuf;
 *		receiver: the address space of rop->ubuf (NULL: kernel buffer,
 *		op->kbuf or rop->kbuf)
 * @sender_uid:	zero-capacity sender: its effective uid; receiver that a
 *		sender copied into: the sender's
 * @sender:	zero-capacity sender: its process (no ref: it is blocked);
 *		receiver that a sender copied into: the sender (ref held)
 * @receiver:	sender: who received the message (ref held), for
 *		zero-capacity and MBX_F_SYNC sends
 * @sync_msg:	MBX_F_SYNC sender: its message, to detach from on SIGKILL
 * @waiting:	the box's senders_waiting or receivers_waiting that counts
 *		this waiter, until it is done or leaves; NULL after
 * @small_buf: buffered receiver: room on its stack where a small send
 *		leaves its message (mbx_send_small())
 * @small:	a small send left its @needed bytes in @small_buf
 * @seq:	its place in line (mbx_box.next_seq), given as it starts
 *		waiting: a waiter put back after a claim goes back there
 */
struct mbx_waiter {
	struct list_head node;
	struct task_struct *task;
	enum mbx_wait_state state;
	bool nonblock;
	bool spinning;
	int err;
	size_t buf_len;
	bool trunc;
	struct pid *from;
	struct mbx_msg *msg;
	struct mbx_waiter *peer;
	size_t fault_at;
	size_t fault_end;
	u64 resume_id;
	size_t needed;
	const struct mbx_sendop *op;
	struct mbx_recvop *rop;
	struct mm_struct *mm;
	kuid_t sender_uid;
	struct pid *sender;
	struct pid *receiver;
	struct mbx_msg *sync_msg;
	u32 *waiting;
	struct mbx_small *small_buf;
	bool small;
	u64 seq;
};

/**
 * struct mbx_box - a mailbox
 *
 * Fields marked [reg] are set under mbx_registry_lock (mbx_registry.c);
 * [const] never change after creation; [lock] are protected by @lock.
 * See the locking rules at the top of mbx_box.c.
 */
struct mbx_box {
	struct kref ref;			/* registry + handles */
	struct rcu_head rcu;			/* inboxes are found under RCU */
	struct pid *owner;			/* [const] inbox: its process */
	int gone_err;				/* [const] -EIDRM, inbox -ESRCH */
	u32 id;					/* [const] */
	u32 key;				/* [const] 0: none */
	char name[MBX_NAME_MAX + 1];		/* [const] "": none */
	struct rhash_head name_node;		/* [reg] */
	struct list_head all;			/* [reg] mbx_boxes or inboxes */
	loff_t proc_pos;			/* [reg] its place there, for
						 * /proc (mbx_proc_list_add())
						 */
	struct mbx_user *creator;		/* [const] charged one mailbox */

	spinlock_t lock;			/* the [lock] fields, waiters */
	bool destroyed;				/* [lock] */
	kuid_t uid, cuid;			/* [lock] uid; cuid const */
	kgid_t gid, cgid;			/* [lock] gid; cgid const */
	umode_t mode;				/* [lock] */
	u32 capacity;		/* [const]; an inbox's: [lock], idle only */
	u32 limit;				/* [lock] bounded: n messages */
	u32 max_msg_size;			/* [lock] */

	struct list_head queue;			/* [lock] struct mbx_msg */
	struct list_head senders;		/* [lock] struct mbx_waiter */
	struct list_head receivers;		/* [lock] struct mbx_waiter */
	u64 msg_count, msg_bytes;		/* [lock] */
	u64 next_seq;		/* [lock] the next place in line: queue,
				 * senders and receivers (mbx_msg.c)
				 */
	u32 senders_waiting, receivers_waiting;	/* [lock] */
	u32 active;				/* [lock] inbox ops running */
	u32 settlers;		/* [lock] in mbx_box_settle(), waiting */
	struct pid *last_sender, *last_receiver;/* [lock] refs held */
	/*
	 * [lock] their threads, which waiters spin for (mbx_wait_spin()):
	 * thread ids in the initial pid namespace, no reference held
	 */
	pid_t last_send_tid, last_recv_tid;
	s64 send_time, recv_time, change_time;	/* [lock] */

	wait_queue_head_t poll_wq;		/* poll/epoll only */
	struct mbx_msg *spare;	/* a received large message's memory, kept
				 * for the next send (mbx_msg.c); xchg()
				 */
};

/*
 * mbx_box.c: the mailbox itself (its send and receive: the files mbx_box.h
 * lists, which only they include).
 */
void mbx_box_init(struct mbx_box *box, const struct mbx_open *args,
		  const char *name, struct mbx_user *creator);
struct mbx_box *mbx_box_alloc(const struct mbx_open *args, const char *name,
			      struct mbx_user *creator);
void mbx_box_put(struct mbx_box *box);
void mbx_box_kill(struct mbx_box *box);
int mbx_box_settle(struct mbx_box *box);
int mbx_box_permission(struct mbx_box *box, u32 open_flags);
bool mbx_box_may_control(struct mbx_box *box);
int mbx_box_send(struct mbx_box *box, struct mbx_user *charge,
		 struct mbx_sendop *op);
int mbx_box_recv(struct mbx_box *box, struct mbx_recvop *op);
struct pid_namespace;
struct user_namespace;
int mbx_box_stat(struct mbx_box *box, struct mbx_stat *st);
ssize_t mbx_box_next_len(struct mbx_box *box);
int mbx_box_stat_ns(struct mbx_box *box, struct mbx_stat *st,
		    struct user_namespace *ns, struct pid_namespace *pid_ns);
int mbx_box_set(struct mbx_box *box, const struct mbx_set *args);
__poll_t mbx_box_poll(struct mbx_box *box, struct file *file,
		      struct poll_table_struct *wait, u32 open_flags);

/* mbx_inbox.c: one inbox per process, for direct communication. */
struct mbx_inbox;
struct mbx_inbox *mbx_inbox_open(void);
void mbx_inbox_close(struct mbx_inbox *inbox);
void mbx_inbox_orphan(struct mbx_inbox *inbox);
struct mbx_box *mbx_inbox_box(struct mbx_inbox *inbox);
struct mbx_inbox *mbx_inbox_find(struct pid *pid);
void mbx_inbox_put(struct mbx_inbox *inbox);
int mbx_inbox_may_send(struct mbx_inbox *inbox);
int mbx_inbox_set(struct mbx_inbox *inbox,
		  const struct mbx_inbox_config *cfg);
int mbx_inbox_init(void);
void mbx_inbox_exit(void);

/* mbx_proc.c: /proc/mbx, the read-only view the mbx tool reads. */
struct seq_file;
extern const struct seq_operations mbx_registry_seq_ops;
extern const struct seq_operations mbx_inbox_seq_ops;
void mbx_proc_show_box(struct seq_file *m, struct mbx_box *box);
void mbx_proc_show_header(struct seq_file *m, bool inbox);
void mbx_proc_list_add(struct mbx_box *box, struct list_head *head);
void *mbx_proc_list_start(struct list_head *head, loff_t pos);
void *mbx_proc_list_next(struct list_head *head, void *v, loff_t *pos);
struct pid_namespace *mbx_proc_pid_ns(struct seq_file *m);
int mbx_proc_init(void);
void mbx_proc_exit(void);

/* mbx_copy.c: the single copy of a rendezvous. */
int mbx_copy_out(struct mbx_recvop *op, size_t offset, const void *src,
		 size_t len);
void mbx_copy_prefault(struct mbx_recvop *op);
int mbx_copy_to_receiver(const struct mbx_sendop *op,
			 const struct mbx_waiter *receiver, size_t len);
int mbx_copy_from_sender(struct mbx_recvop *op, const struct mbx_waiter *sender,
			 size_t from, size_t len, size_t *at);
/* What a rendezvous copy cut short pages in before it resumes. */
#define MBX_FAULT_IN_MAX	(16 * PAGE_SIZE)
int mbx_copy_check_msg(const struct mbx_sendop *op);
void *mbx_copy_in_all(struct mbx_user *charge, const struct mbx_sendop *op);
void mbx_copy_in_free(struct mbx_user *charge, void *copy, size_t len);
int mbx_copy_fault_in(const struct mbx_sendop *op, size_t from, size_t to);
int mbx_copy_fault_in_buf(const struct mbx_recvop *op, size_t from, size_t to);
void mbx_copy_prefault_msg(const struct mbx_sendop *op);

/* mbx_registry.c: ids, names, keys. */
int mbx_registry_init(void);
int mbx_registry_open(const struct mbx_open *args, const char *name,
		      struct mbx_box **boxp);
int mbx_registry_destroy(struct mbx_box *box);
void mbx_registry_exit(void);

/* mbx_args.c: validation of ioctl arguments, before anything changes. */
int mbx_open_check(const struct mbx_open *args);
int mbx_send_check(const struct mbx_send *args);
int mbx_recv_check(const struct mbx_recv *args);
int mbx_set_check(const struct mbx_set *args);
int mbx_inbox_config_check(const struct mbx_inbox_config *cfg);
int mbx_timeout_to_deadline(u32 flags, s64 timeout_ns, ktime_t *deadline,
			    ktime_t **expires);

/* mbx_handle.c: a mailbox handle, the file MBX_IOC_OPEN returns. */
struct mbx_handle;
struct mbx_handle_slot {
	int fd;
	struct file *file;
	struct mbx_handle *h;
};

int mbx_handle_reserve(struct mbx_handle_slot *slot, u32 open_flags);
void mbx_handle_abort(struct mbx_handle_slot *slot);
int mbx_handle_commit(struct mbx_handle_slot *slot, struct mbx_box *box);
struct mbx_box *mbx_handle_recv_box(struct file *file);

/* mbx_main.c: the inbox behind a /dev/mailbox file. */
struct mbx_box *mbx_dev_recv_box(struct file *file);

/* mbx_ioctl.c: the message ioctls, shared by handles and /dev/mailbox. */
long mbx_ioctl_send(struct file *file, struct mbx_box *box,
		    struct mbx_user *user, void __user *uarg);
long mbx_ioctl_recv(struct file *file, struct mbx_box *box,
		    void __user *uarg);
long mbx_ioctl_call(struct file *file, struct mbx_box *box,
		    struct mbx_user *user, void __user *uarg);
long mbx_ioctl_stat(struct mbx_box *box, void __user *uarg);
long mbx_ioctl_nread(struct file *file, int __user *arg);

/* mbx_rw.c: read() and write(), a message per call. */
struct kiocb;
struct iov_iter;
ssize_t mbx_rw_send(struct kiocb *iocb, struct iov_iter *from,
		    struct mbx_box *box, struct mbx_user *user);
ssize_t mbx_rw_recv(struct kiocb *iocb, struct iov_iter *to,
		    struct mbx_box *box);

/* Size-versioned ioctl arguments (mbx_uarg.c). */
int __mbx_uarg_copy_in(void *karg, size_t ksize, size_t size_ver0,
		       const void __user *uarg, u32 usize);
int __mbx_uarg_copy_out(void __user *uarg, const void *karg, size_t ksize);

/*
 * mbx_uarg_copy_in() and mbx_uarg_copy_out(): inline, so that a caller
 * whose structure has exactly this module's size (one built with this
 * header: nearly every call) gets a copy of constant size, which skips
 * the hardened-usercopy object check and the zero-tail check.  Other
 * sizes take the general path.  Send and receive, the hot paths, write
 * back only their output fields (mbx_handle.c).
 */
static __always_inline int mbx_uarg_copy_in(void *karg, size_t ksize,
					    size_t size_ver0,
					    const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize != ksize)
		return __mbx_uarg_copy_in(karg, ksize, size_ver0, uarg, usize);
	if (copy_from_user(karg, uarg, ksize))
		return -EFAULT;
	*(u32 *)karg = usize;	/* re-read: keep the value we checked */
	return 0;
}

static __always_inline int mbx_uarg_copy_out(void __user *uarg,
					     const void *karg, size_t ksize)
{
	if (*(const u32 *)karg == ksize)
		return copy_to_user(uarg, karg, ksize) ? -EFAULT : 0;
	return __mbx_uarg_copy_out(uarg, karg, ksize);
}

/*
 * Functions that are static unless the kernel has KUnit, in which case
 * mbx.ko exports them to mbx_test.ko (VISIBLE_IF_KUNIT).
 */
#if IS_ENABLED(CONFIG_KUNIT)
int mbx_uarg_check_size(u32 usize, size_t size_ver0);
int mbx_info_fill(struct mbx_info *info);
int mbx_mode_allows(umode_t mode, bool owner, bool group, u32 open_flags);
bool mbx_iter_ubuf(const struct iov_iter *iter, void __user **ubuf);
u32 mbx_op_begin(struct mbx_box *box);
void mbx_op_end(struct mbx_box *box);
#endif

#endif /* _MBX_INTERNAL_H */
