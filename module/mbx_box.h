/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files that make up a mailbox share, and nothing else includes:
 *
 *	mbx_box.c	lifetime, the send and receive entry points, destroy,
 *			status, permissions, poll; the locking rules
 *	mbx_wait.c	waiters: blocking, waking, deferred wake-ups
 *	mbx_msg.c	messages and the queue
 *	mbx_handoff.c	matching senders with receivers, and the single copy
 *			into a receiver already waiting
 *	mbx_buffered.c	bounded and unbounded mailboxes
 *	mbx_zero.c	zero capacity (rendezvous)
 *
 * Functions here that take a box are called with box->lock held where
 * they say __must_hold, and without it otherwise.
 */
#ifndef _MBX_BOX_H
#define _MBX_BOX_H

#include <linux/poll.h>
#include <linux/sched.h>

#include "mbx_internal.h"

/*
 * Deferred wake-ups.  wake_q_add()/wake_up_q() are not exported to
 * modules, so this is the same idea on a small array: tasks are collected
 * (with a reference) under box->lock and woken after it is dropped.  Past
 * MBX_WAKE_BATCH (a destroy, or a limit raised, with several waiters, or
 * a send turning away several receivers whose buffers are too small) the
 * rest are woken at once, under the lock, which is allowed, merely slower.
 * A woken task re-checks its state under the lock, so a spurious or
 * late wake-up is harmless.
 *
 * The batch is small on purpose: a send or receive usually wakes a
 * receiver, or a sender and a synchronous sender, and every call on the
 * message path zeroes its struct mbx_wake on entry (the kernel's
 * CONFIG_INIT_STACK_ALL_ZERO would zero it anyway), which at 8 slots was
 * a "rep stos" in each of them.
 */
#define MBX_WAKE_BATCH	3

struct mbx_wake {
	unsigned int n;
	struct task_struct *task[MBX_WAKE_BATCH];
};

/* mbx_wait.c */
void mbx_wake_add(struct mbx_wake *wake, struct task_struct *task);
void mbx_waiter_wake(struct mbx_waiter *w, struct mbx_wake *wake_q);
void mbx_wake_all(struct mbx_wake *wake);
void mbx_waiter_done(struct mbx_waiter *w, int err, struct mbx_wake *wake_q);
void mbx_settlers_wake(struct mbx_box *box);
void mbx_wait_enqueue(struct mbx_box *box, struct mbx_waiter *w,
		      struct list_head *list, u32 *waiting)
	__must_hold(&box->lock);
void mbx_waiter_put_back(struct list_head *list, struct mbx_waiter *w);
void mbx_wait_requeue(struct mbx_waiter *w, struct list_head *list,
		      u32 *waiting);
void mbx_wait_uncount(struct mbx_waiter *w);
int mbx_wait_sleep(struct mbx_box *box, struct mbx_waiter *w,
		   ktime_t *expires)
	__must_hold(&box->lock);
int mbx_wait(struct mbx_box *box, struct mbx_waiter *w,
	     struct list_head *list, u32 *waiting, ktime_t *expires)
	__must_hold(&box->lock);
void mbx_wait_spin(struct mbx_box *box, struct mbx_waiter *w,
		   pid_t peer_tid, struct pid *from, ktime_t *expires)
	__must_hold(&box->lock);
void mbx_unclaim(struct mbx_waiter *w, struct mbx_wake *wake_q);
int mbx_recv_waited(struct mbx_waiter *w, struct mbx_recvop *op, int ret);

/* Wake pollers (box->lock not held); cheap when nobody polls. */
static inline void mbx_poll_wake(struct mbx_box *box, __poll_t mask)
{
	if (wq_has_sleeper(&box->poll_wq))
		wake_up_interruptible_poll(&box->poll_wq, mask);
}

/* mbx_msg.c */
struct mbx_msg *mbx_msg_new(struct mbx_box *box, struct mbx_user *charge,
			    const struct mbx_sendop *op);
void mbx_msg_free(struct mbx_msg *msg);
void mbx_msg_free_received(struct mbx_box *box, struct mbx_msg *msg,
			   bool queued);
void mbx_msg_spare_free(struct mbx_box *box);
struct mbx_msg *mbx_msg_restore(const struct mbx_small *small, size_t len,
				struct pid *sender, kuid_t uid);
void mbx_queue_add(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock);
void mbx_queue_put_back(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock);
void mbx_queue_del(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock);
struct mbx_msg *mbx_queue_first(struct mbx_box *box,
				const struct mbx_recvop *op)
	__must_hold(&box->lock);

/*
 * The next place in @box's line, behind everything (message or waiter)
 * that entered it before.  Places count from 1: 0 is ahead of all
 * (mbx_recv_zero()).
 */
static inline u64 mbx_next_place(struct mbx_box *box)
	__must_hold(&box->lock)
{
	return ++box->next_seq;
}

/* @msg enters the line now, queued or handed to a receiver. */
static inline void mbx_msg_stamp(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock)
{
	msg->seq = mbx_next_place(box);
}

static inline bool mbx_box_full(struct mbx_box *box)
	__must_hold(&box->lock)
{
	return box->capacity == MBX_CAP_BOUNDED &&
	       box->msg_count >= box->limit;
}

/* Does a receiver that wants messages from @from take one from @sender? */
static inline bool mbx_wants(struct pid *from, struct pid *sender)
{
	return !from || from == sender;
}

/*
 * A small message for a buffered receiver already waiting goes through
 * the receiver's stack (mbx_send_small()); at most MBX_MSG_INLINE_MAX, so
 * that putting it back after a fault is one small allocation.
 */
#define MBX_SMALL_MAX	192

/**
 * struct mbx_small - a small message a sender left on its receiver's stack
 * @data:	the payload (struct mbx_waiter.needed bytes)
 * @seq:	its place in line (struct mbx_msg.seq), to put it back there
 *		if the receiver's buffer faults
 * @charged:	the sender's user, whose byte quota holds the message as it
 *		would a queued one (ref held) until the receiver has copied
 *		it out, or has put it back as a queued message
 *
 * Only the sender writes it, under the box lock, while the receiver waits.
 */
struct mbx_small {
	u8 data[MBX_SMALL_MAX];
	u64 seq;
	struct mbx_user *charged;
};

/* mbx_handoff.c */
struct mbx_waiter *mbx_take_receiver(struct mbx_box *box, struct pid *sender,
				     size_t len, struct mbx_wake *kick_q)
	__must_hold(&box->lock);
bool mbx_receiver_for(struct mbx_box *box, struct pid *sender)
	__must_hold(&box->lock);
bool mbx_hand_to_receiver(struct mbx_box *box, struct mbx_msg *msg,
			  struct mbx_wake *wake_q)
	__must_hold(&box->lock);
void mbx_refill_from_sender(struct mbx_box *box, struct mbx_wake *wake_q)
	__must_hold(&box->lock);
struct mbx_waiter *mbx_senders_first(struct mbx_box *box, struct pid *from)
	__must_hold(&box->lock);
struct mbx_waiter *mbx_blocked_sender_from(struct mbx_box *box,
					   struct pid *from, pid_t from_nr)
	__must_hold(&box->lock);
struct mbx_msg *mbx_take_blocked_msg(struct mbx_box *box,
				     struct mbx_waiter *s,
				     struct mbx_wake *wake_q)
	__must_hold(&box->lock);
int __mbx_send_direct(struct mbx_box *box, struct mbx_sendop *op);
int mbx_send_small(struct mbx_box *box, struct mbx_user *charge,
		   struct mbx_sendop *op);
void mbx_take_direct(struct mbx_box *box, struct mbx_waiter *w,
		     struct mbx_recvop *op)
	__must_hold(&box->lock);

/*
 * Below this size, pinning the receiver's pages costs more than the
 * allocation and second copy it saves (measured with make bench: a 4 KiB
 * round trip was slower pinned, a 64 KiB one a quarter faster), and a
 * small zero-capacity message is cheaper copied by the receiver.
 */
#define MBX_DIRECT_MIN	(16 * 1024)

/*
 * The single copy into a receiver already waiting (box->lock not held).
 * A peek without the lock first, inline: small messages, and the common
 * streaming case that finds no receiver waiting, pay only a test.
 */
static inline int mbx_send_direct(struct mbx_box *box, struct mbx_sendop *op)
{
	if (op->len < MBX_DIRECT_MIN || list_empty(&box->receivers))
		return -EAGAIN;
	return __mbx_send_direct(box, op);
}

/*
 * A receive found nothing it wants: -ESRCH if nothing ever will come,
 * -EAGAIN if it may not wait, 0 if it waits.  Nothing ever will come
 * for receive(Q) from a Q that is gone: reaped (only its number is left,
 * op->from_nr), or exited and not yet reaped, which a non-blocking
 * receive must report as a blocking one does (mbx_wait_sleep()), not as
 * "not yet".
 */
static inline int mbx_recv_nothing(const struct mbx_recvop *op)
{
	if (op->from_nr || (op->from && thread_group_exited(op->from)))
		return -ESRCH;
	return op->nonblock ? -EAGAIN : 0;
}

/* mbx_box.c: who sent and received last, and when. */
void mbx_note_send(struct mbx_box *box)
	__must_hold(&box->lock);
void mbx_note_recv(struct mbx_box *box)
	__must_hold(&box->lock);

/* mbx_buffered.c and mbx_zero.c: send and receive, box->lock not held. */
int mbx_send_buffered(struct mbx_box *box, struct mbx_user *charge,
		      struct mbx_sendop *op);
int mbx_recv_buffered(struct mbx_box *box, struct mbx_recvop *op);
int mbx_send_zero(struct mbx_box *box, struct mbx_user *charge,
		  struct mbx_sendop *op);
int mbx_recv_zero(struct mbx_box *box, struct mbx_recvop *op);

#endif /* _MBX_BOX_H */
