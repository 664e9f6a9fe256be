// SPDX-License-Identifier: GPL-2.0
/*
 * Matching senders with receivers.
 *
 * Hand-off
 * ========
 *
 * Waiters are kept in FIFO lists.  A sender that finds a receiver waiting
 * hands its message straight to the one that has waited longest (the
 * receiver's waiter gets .msg or, for zero capacity, .peer) and wakes only
 * that task: one wake-up per message, no thundering herd, and a receiver
 * that arrives later cannot overtake one that waited.  Likewise a receiver
 * that takes a message from a full bounded queue moves the longest-waiting
 * sender's message into the queue.  A receiver may want only one
 * sender's messages (receive(Q), struct mbx_waiter.from): hand-off skips
 * receivers that do not want a message, and a receive walks the queue
 * past other senders' messages.  Invariant: no message is queued that a
 * waiting receiver wants (a receiver waits only when nothing it wants is
 * queued, and every message queued meanwhile is first offered to the
 * waiting receivers, including one put back after a fault).
 *
 * A receiver waiting first
 * ========================
 *
 * In every capacity mode, a sender of at least MBX_DIRECT_MIN bytes that
 * finds a receiver waiting for its message claims that receiver
 * (MBX_CLAIMED, off the list), drops the lock and copies the payload
 * straight into the receiver's pinned pages (mbx_send_direct(),
 * mbx_copy_to_receiver()): one copy, no allocation,
 * no quota charge, nothing queued.  It is the mirror image of the
 * zero-capacity case (mbx_zero.c), with the same bound on the claimed task's
 * uninterruptible sleep: neither side's memory is faulted in during the
 * copy.  If either buffer is not resident, the receiver is put back in
 * its place in line (or given what arrived for it meanwhile, so that the
 * invariant above holds) and the sender sends the ordinary way.
 *
 * Places in line
 * ==============
 *
 * Messages and waiters are stamped with their place in line
 * (mbx_box.next_seq) as they enter it, so that whatever is put back
 * after a failure goes back exactly there (mbx_queue_put_back(),
 * mbx_waiter_put_back()): a message whose receiver's buffer faulted,
 * a receiver or zero-capacity sender whose claim was undone.  The head
 * would do for a receive from anyone, which takes the first, but not for
 * receive(Q), which takes Q's first message (or sender) from the middle
 * of the line: put back at the head, it would then overtake older ones,
 * and a receive that failed would have changed the order.
 */
#include <linux/cred.h>
#include <linux/list.h>
#include <linux/pagemap.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>

#include "mbx_box.h"

/*
 * The longest-waiting receiver that wants a message of @len bytes from
 * @sender and has room for it, taken off the list.  Waiting receivers
 * that want it but whose buffer is too small are finished with -EMSGSIZE
 * and the size they need (queued on @kick_q), as they would have been had
 * they come after the send.  NULL if none.
 *
 * @kick_q is NULL when the message may yet fail to exist (a direct copy
 * from a buffer that may fault, before the message is charged): then a
 * receiver too small for it, ahead of any that fits, makes this return
 * NULL, and the send falls back to the ordinary path, which tells it once
 * the message is made.  No receiver is told of a message never sent, and
 * none is passed over for one that waited less.
 */
struct mbx_waiter *mbx_take_receiver(struct mbx_box *box,
				     struct pid *sender, size_t len,
				     struct mbx_wake *kick_q)
	__must_hold(&box->lock)
{
	struct mbx_waiter *r, *tmp;

	list_for_each_entry_safe(r, tmp, &box->receivers, node) {
		if (!mbx_wants(r->from, sender))
			continue;
		if (len > r->buf_len && !r->trunc) {
			if (!kick_q)
				return NULL;
			r->needed = len;
			mbx_waiter_done(r, -EMSGSIZE, kick_q);
			continue;
		}
		list_del_init(&r->node);
		return r;
	}
	return NULL;
}

/*
 * Is a receiver waiting that would take a message from @sender?  One
 * blocked in receive(Q) for another process would not.
 */
bool mbx_receiver_for(struct mbx_box *box, struct pid *sender)
	__must_hold(&box->lock)
{
	struct mbx_waiter *r;

	list_for_each_entry(r, &box->receivers, node)
		if (mbx_wants(r->from, sender))
			return true;
	return false;
}

/* Hand @msg to a waiting receiver; true if one took it. */
bool mbx_hand_to_receiver(struct mbx_box *box, struct mbx_msg *msg,
			  struct mbx_wake *wake_q)
	__must_hold(&box->lock)
{
	struct mbx_waiter *r = mbx_take_receiver(box, msg->sender, msg->len,
						 wake_q);

	if (!r)
		return false;
	r->msg = msg;
	if (msg->sync)
		msg->sync->state = MBX_CLAIMED;
	mbx_waiter_done(r, 0, wake_q);
	return true;
}

/*
 * After a receive made room in a bounded queue, move the longest-waiting
 * blocked sender's message into it.
 */
void mbx_refill_from_sender(struct mbx_box *box,
			    struct mbx_wake *wake_q)
	__must_hold(&box->lock)
{
	struct mbx_waiter *s;

	if (mbx_box_full(box))
		return;
	s = list_first_entry_or_null(&box->senders, struct mbx_waiter, node);
	if (!s)
		return;
	/* A receiver waiting for this sender (receive(Q)) takes it now. */
	mbx_msg_stamp(box, s->msg);
	if (!mbx_hand_to_receiver(box, s->msg, wake_q))
		mbx_queue_add(box, s->msg);
	s->msg = NULL;
	mbx_waiter_done(s, 0, wake_q);
}

/* The longest-waiting zero-capacity sender a receive from @from takes. */
struct mbx_waiter *mbx_senders_first(struct mbx_box *box,
				     struct pid *from)
	__must_hold(&box->lock)
{
	struct mbx_waiter *s;

	list_for_each_entry(s, &box->senders, node)
		if (mbx_wants(from, s->sender))
			return s;
	return NULL;
}

/*
 * The longest-waiting sender blocked for room in a full bounded box with
 * a message from @from (or, for a process gone, from the one numbered
 * @from_nr in the caller's pid namespace), left where it is; NULL if none.
 */
struct mbx_waiter *mbx_blocked_sender_from(struct mbx_box *box,
					   struct pid *from,
					   pid_t from_nr)
	__must_hold(&box->lock)
{
	struct mbx_waiter *s;

	list_for_each_entry(s, &box->senders, node) {
		if (from_nr ? pid_vnr(s->msg->sender) == from_nr :
			      mbx_wants(from, s->msg->sender))
			return s;
	}
	return NULL;
}

/*
 * Take blocked sender @s's message over: its send is done, and the
 * message enters the line now.
 */
struct mbx_msg *mbx_take_blocked_msg(struct mbx_box *box,
				     struct mbx_waiter *s,
				     struct mbx_wake *wake_q)
	__must_hold(&box->lock)
{
	struct mbx_msg *msg = s->msg;

	mbx_msg_stamp(box, msg);
	s->msg = NULL;
	if (msg->sync)
		msg->sync->state = MBX_CLAIMED;
	mbx_waiter_done(s, 0, wake_q);
	return msg;
}

/*
 * Put back receiver @r, which a sender claimed and then released: in its
 * place in line, where it was, unless what it wants arrived while it
 * was claimed (a queued message, or a blocked zero-capacity sender): then
 * it takes that now, or -EMSGSIZE if it does not fit.  Without this a
 * message queued meanwhile would wait for the next send (the invariant at
 * the top of this file).  Returns true when that made room in a full
 * bounded queue (pollers want EPOLLOUT).
 */
static bool mbx_receiver_back(struct mbx_box *box, struct mbx_waiter *r,
			      struct mbx_wake *wake_q)
	__must_hold(&box->lock)
{
	struct mbx_waiter *s;
	struct mbx_msg *msg;
	bool was_full;
	size_t len;

	if (box->destroyed) {
		mbx_waiter_done(r, box->gone_err, wake_q);
		return false;
	}
	if (box->capacity == MBX_CAP_ZERO) {
		s = mbx_senders_first(box, r->from);
		msg = NULL;
		len = s ? s->op->len : 0;
	} else {
		struct mbx_recvop want = { .from = r->from };

		msg = mbx_queue_first(box, &want);
		s = NULL;
		/*
		 * receive(Q) and Q blocked for room that only we would
		 * make: as in mbx_recv_buffered(), take its message from it.
		 */
		if (!msg && r->from)
			s = mbx_blocked_sender_from(box, r->from, 0);
		len = msg ? msg->len : s ? s->msg->len : 0;
	}
	if (!s && !msg) {
		mbx_waiter_put_back(&box->receivers, r);
		mbx_unclaim(r, wake_q);
		return false;
	}
	if (len > r->buf_len && !r->trunc) {
		r->needed = len;
		mbx_waiter_done(r, -EMSGSIZE, wake_q);
		return false;
	}
	was_full = mbx_box_full(box);
	if (s && box->capacity == MBX_CAP_ZERO) {
		list_del_init(&s->node);
		WRITE_ONCE(s->state, MBX_CLAIMED);
		r->peer = s;
	} else if (s) {
		r->msg = mbx_take_blocked_msg(box, s, wake_q);
	} else {
		mbx_queue_del(box, msg);
		if (msg->sync)
			msg->sync->state = MBX_CLAIMED;
		mbx_refill_from_sender(box, wake_q);
		r->msg = msg;
	}
	mbx_waiter_done(r, 0, wake_q);
	return was_full && !mbx_box_full(box);
}

/*
 * Receiver @r has our message of @len bytes (in its buffer, or on its
 * stack): what mbx_take_direct() reads when it wakes, and it is done.
 */
static void mbx_give_direct(struct mbx_box *box, struct mbx_waiter *r,
			    size_t len, struct mbx_wake *wake_q)
	__must_hold(&box->lock)
{
	r->needed = len;
	r->sender = get_pid(task_tgid(current));
	r->sender_uid = current_euid();
	mbx_note_send(box);
	mbx_waiter_done(r, 0, wake_q);
}

/*
 * A receiver is already waiting: copy the message straight into its
 * buffer (mbx_copy_to_receiver()), so that nothing is allocated, charged
 * or queued and the payload is copied once, in every capacity mode.  The
 * receiver is claimed (MBX_CLAIMED, off the list) for the copy, as a
 * zero-capacity sender is by a receiver, and learns the metadata when it
 * wakes (mbx_take_direct()).
 *
 * Our own buffer not resident (a fresh malloc() or a static array never
 * written) stops the copy too: then we let the receiver go, fault our
 * buffer in, in our own time as any read of it would, and try once more;
 * otherwise a message for a waiting receiver would be queued and charged
 * (ENOBUFS past the quota, although a receiver waits) just because it
 * was not touched yet.
 *
 * Return: 0 when the message was delivered (op->receiver set for
 * zero-capacity and sync sends); box->gone_err; or -EAGAIN when the
 * message is small, no receiver that wants it was waiting, or the copy
 * would have faulted:
 * then the receiver is back in line and the caller sends the ordinary
 * way.
 */
int __mbx_send_direct(struct mbx_box *box, struct mbx_sendop *op)
{
	struct pid *me = task_tgid(current);
	struct mbx_wake wake_q = {};
	bool made_room = false, faulted = false, retry = false;
	struct mbx_waiter *r;
	int ret;

again:
	spin_lock(&box->lock);
	if (box->destroyed) {
		ret = box->gone_err;
		goto out_unlock;
	}
	r = mbx_take_receiver(box, me, op->len, NULL);	/* the copy may fail */
	if (!r) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	WRITE_ONCE(r->state, MBX_CLAIMED);
	/* We write its buffer: what it held of another message is gone. */
	r->rop->resume_id = 0;
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);

	ret = mbx_copy_to_receiver(op, r, min(op->len, r->buf_len));

	spin_lock(&box->lock);
	if (ret) {
		made_room = mbx_receiver_back(box, r, &wake_q);
		retry = ret == -EFAULT && !faulted;	/* our buffer */
		ret = -EAGAIN;
		goto out_unlock;
	}
	if (box->capacity == MBX_CAP_ZERO || (op->flags & MBX_F_SYNC))
		op->receiver = get_pid(task_tgid(r->task));
	mbx_give_direct(box, r, op->len, &wake_q);
out_unlock:
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	if (made_room)
		mbx_poll_wake(box, EPOLLOUT | EPOLLWRNORM);
	/* A bad buffer: the ordinary way says so. */
	if (retry && !fault_in_readable(op->ubuf, op->len)) {
		faulted = true;
		retry = false;
		made_room = false;
		goto again;
	}
	return ret;
}

/* A receiver woken by mbx_send_direct(): the message is in its buffer. */
void mbx_take_direct(struct mbx_box *box, struct mbx_waiter *w,
		     struct mbx_recvop *op)
	__must_hold(&box->lock)
{
	op->msg_len = w->needed;
	op->sender = w->sender;		/* the reference passes on */
	op->sender_uid = w->sender_uid;
	mbx_note_recv(box);
}

/*
 * A small message for a buffered receiver already waiting (the caller
 * peeked at box->receivers): copied onto our stack, then under the lock
 * into the receiver's (struct mbx_waiter.small_buf), from which the
 * receiver copies it out when it wakes (mbx_deliver_small()).  Nothing
 * is allocated or queued, and the payload is not copied through a slab
 * object (no hardened-usercopy heap check): a tenth of the instructions
 * and of the pages a small round trip touches, counted in the VM, and
 * about 9% of its time (README, "What was tried").  Only the receiver
 * that has waited longest, and only if the whole message fits its buffer
 * (a truncating one takes it the ordinary way, so the copy it holds is
 * always the whole message, which it puts back if its own buffer
 * faults).  The message is charged to @charge as a queued one would be,
 * until the receiver has it: put back after a fault, it is queued, and a
 * receiver that fails its receives on purpose must not queue messages
 * that no quota holds.
 *
 * Return: 0 when the receiver has it, box->gone_err, or -EAGAIN (no such
 * receiver, our buffer faulted, or the quota is used up): then send the
 * ordinary way, which reports the fault or ENOBUFS.
 */
int mbx_send_small(struct mbx_box *box, struct mbx_user *charge,
		   struct mbx_sendop *op)
{
	u8 kbuf[MBX_SMALL_MAX] __attribute__((uninitialized));
	size_t cost = sizeof(struct mbx_msg) + op->len;
	struct pid *me = task_tgid(current);
	struct mbx_wake wake_q = {};
	const void *src = op->kbuf;
	struct mbx_waiter *r;
	int ret;

	if (!src) {
		if (copy_from_user(kbuf, op->ubuf, op->len))
			return -EAGAIN;
		src = kbuf;
	}
	spin_lock(&box->lock);
	if (box->destroyed) {
		ret = box->gone_err;
		goto out_unlock;
	}
	r = list_first_entry_or_null(&box->receivers, struct mbx_waiter, node);
	/*
	 * Charged only once there is a receiver for it (a compare and
	 * exchange, under the lock: it does not sleep), so that a send
	 * that finds none never holds a charge another send could see.
	 */
	if (!r || !r->small_buf || !mbx_wants(r->from, me) ||
	    op->len > r->buf_len ||
	    mbx_user_charge_bytes(charge, cost,
				  READ_ONCE(mbx_user_bytes_max))) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	list_del_init(&r->node);
	memcpy(r->small_buf->data, src, op->len);
	r->small_buf->seq = mbx_next_place(box);
	refcount_inc(&charge->ref);
	r->small_buf->charged = charge;
	r->small = true;
	mbx_give_direct(box, r, op->len, &wake_q);
	ret = 0;
out_unlock:
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	return ret;
}
