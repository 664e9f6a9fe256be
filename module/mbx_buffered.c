// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded and unbounded mailboxes: send and receive through the queue.
 *
 * A synchronous send (MBX_F_SYNC) waits as a zero-capacity sender does
 * (mbx_zero.c), through msg->sync: until a receiver copied the message
 * out.  Interrupted before that, it takes its message back out of the
 * queue and fails.
 */
#include <linux/list.h>
#include <linux/pagemap.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>

#include "mbx_box.h"

/*
 * A full bounded box: wait until a receiver makes room, which queues
 * @msg for us.  Its own function so that the waiter is set up only when
 * a sender does wait.
 */
static int mbx_wait_room(struct mbx_box *box, struct mbx_msg *msg,
			 ktime_t *expires)
	__must_hold(&box->lock)
{
	struct mbx_waiter blocked = { .state = MBX_WAITING, .msg = msg };
	int ret;

	ret = mbx_wait(box, &blocked, &box->senders, &box->senders_waiting,
		       expires);
	return ret ?: blocked.err;
}

/*
 * @sync: the waiter of an MBX_F_SYNC send, NULL for any other: it lives
 * in mbx_send_buffered()'s frame, set up only for a synchronous send.
 */
static int __mbx_send_buffered(struct mbx_box *box, struct mbx_user *charge,
			       struct mbx_sendop *op, struct mbx_waiter *sync)
{
	struct mbx_wake wake_q = {};
	struct mbx_msg *msg;
	bool empty;
	int ret;

	ret = mbx_send_direct(box, op);
	if (ret != -EAGAIN)
		return ret;
	if (!sync && op->len <= MBX_SMALL_MAX &&
	    !list_empty(&box->receivers)) {
		ret = mbx_send_small(box, charge, op);
		if (ret != -EAGAIN)
			return ret;
	}
	msg = mbx_msg_new(box, charge, op);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	msg->sync = sync;

	spin_lock(&box->lock);
	if (box->destroyed) {
		ret = box->gone_err;
		goto out_free;
	}
	mbx_msg_stamp(box, msg);
	if (mbx_hand_to_receiver(box, msg, &wake_q))
		goto sent;
	/* Non-blocking and synchronous: only a waiting receiver will do. */
	if (op->nonblock && sync) {
		ret = -EAGAIN;
		goto out_free;
	}
	if (mbx_box_full(box)) {
		if (op->nonblock) {
			ret = -EAGAIN;
			goto out_free;
		}
		/*
		 * A receiver that wanted the message but had no room for it
		 * is done with EMSGSIZE: wake it now, not when we get room,
		 * which it may be the one to make.  Under the lock: allowed.
		 */
		mbx_wake_all(&wake_q);
		ret = mbx_wait_room(box, msg, op->expires);
		if (ret)
			goto out_free;
		goto sent;
	}
	mbx_queue_add(box, msg);
sent:
	mbx_note_send(box);
	ret = 0;
	/* @msg may be received and freed once we unlock: test @sync. */
	if (sync) {
		/*
		 * Sent; now wait until it has been received.  Wake the
		 * receiver we handed it to, and pollers, before sleeping.
		 */
		sync->sync_msg = msg;
		mbx_wait_enqueue(box, sync, NULL, &box->senders_waiting);
		spin_unlock(&box->lock);
		mbx_wake_all(&wake_q);
		mbx_poll_wake(box, EPOLLIN | EPOLLRDNORM);
		spin_lock(&box->lock);
		ret = mbx_wait_sleep(box, sync, op->expires);
		if (ret && sync->state == MBX_WAITING) {
			/* Still queued and unclaimed: take it back. */
			mbx_queue_del(box, msg);
			mbx_refill_from_sender(box, &wake_q);
			empty = list_empty(&box->queue);
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			mbx_poll_wake(box, EPOLLOUT | EPOLLWRNORM);
			mbx_msg_free(msg);
			if (empty)	/* an idle mailbox keeps no spare */
				mbx_msg_spare_free(box);
			return ret;
		}
		if (!ret)
			ret = sync->err;
		op->receiver = sync->receiver;
		spin_unlock(&box->lock);
		mbx_wake_all(&wake_q);
		return ret;
	}
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	mbx_poll_wake(box, EPOLLIN | EPOLLRDNORM);
	return ret;

out_free:
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	mbx_msg_free(msg);
	return ret;
}

/*
 * A synchronous send waits on a struct mbx_waiter of its own.  Not inline:
 * with CONFIG_INIT_STACK_ALL_ZERO every caller that has one on its stack
 * zeroes it, used or not, and the plain send is the common one.
 */
static noinline int mbx_send_buffered_sync(struct mbx_box *box,
					   struct mbx_user *charge,
					   struct mbx_sendop *op)
{
	struct mbx_waiter sync = {
		.state = MBX_WAITING,
		.task = current,
		.node = LIST_HEAD_INIT(sync.node),
	};

	return __mbx_send_buffered(box, charge, op, &sync);
}

int mbx_send_buffered(struct mbx_box *box, struct mbx_user *charge,
		      struct mbx_sendop *op)
{
	if (op->flags & MBX_F_SYNC)
		return mbx_send_buffered_sync(box, charge, op);
	return __mbx_send_buffered(box, charge, op, NULL);
}

/*
 * The message of the longest-waiting blocked sender (full bounded box)
 * that a filtered receive wants, taken over from it; NULL if none, with
 * *err set to -EMSGSIZE (and op->msg_len) if it does not fit.
 */
static struct mbx_msg *mbx_take_from_blocked_sender(struct mbx_box *box,
						    struct mbx_recvop *op,
						    int *err,
						    struct mbx_wake *wake_q)
	__must_hold(&box->lock)
{
	struct mbx_waiter *s = mbx_blocked_sender_from(box, op->from,
						       op->from_nr);

	*err = 0;
	if (!s)
		return NULL;
	if (s->msg->len > op->len && !(op->flags & MBX_F_TRUNC)) {
		op->msg_len = s->msg->len;
		*err = -EMSGSIZE;
		return NULL;
	}
	return mbx_take_blocked_msg(box, s, wake_q);
}

/* Copy a taken message out; on a fault put it back where it was. */
static int mbx_deliver(struct mbx_box *box, struct mbx_msg *msg,
		       struct mbx_recvop *op)
{
	struct mbx_wake wake_q = {};
	size_t n = min_t(size_t, op->len, msg->len);
	struct mbx_waiter *sync;
	bool queued;

	if (mbx_copy_out(op, 0, msg->data, n)) {
		/*
		 * Back where it was in line (mbx_queue_put_back()).  A
		 * blocked sender or a new send may have taken the slot
		 * meanwhile: a bounded queue can then hold more than its
		 * limit, until receives drain it.
		 */
		spin_lock(&box->lock);
		sync = msg->sync;
		if (box->destroyed) {
			if (sync)
				mbx_waiter_done(sync, box->gone_err, &wake_q);
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			mbx_msg_free(msg);
		} else {
			/*
			 * A receiver may have started waiting meanwhile (it
			 * found the queue empty): it gets the message first.
			 */
			if (!mbx_hand_to_receiver(box, msg, &wake_q)) {
				if (sync)
					mbx_unclaim(sync, &wake_q);
				mbx_queue_put_back(box, msg);
			}
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			mbx_poll_wake(box, EPOLLIN | EPOLLRDNORM);
		}
		return -EFAULT;
	}

	op->msg_len = msg->len;
	op->sender = get_pid(msg->sender);
	op->sender_uid = msg->sender_uid;

	spin_lock(&box->lock);
	mbx_note_recv(box);
	sync = msg->sync;
	if (sync) {
		sync->receiver = get_pid(task_tgid(current));
		mbx_waiter_done(sync, 0, &wake_q);
	}
	queued = !list_empty(&box->queue) && !box->destroyed;
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	mbx_msg_free_received(box, msg, queued);
	return 0;
}

/*
 * A small send left its message in @small, on our stack
 * (mbx_send_small()), and @op has its metadata: copy it out, and give its
 * sender's quota back.  If our buffer faults, the message goes back to
 * its place in line, still charged to its sender, as mbx_deliver() puts
 * back a queued one, and the receive fails: nothing taken.
 */
static noinline int mbx_deliver_small(struct mbx_box *box,
				      struct mbx_recvop *op,
				      const struct mbx_small *small)
{
	struct mbx_wake wake_q = {};
	struct mbx_msg *msg;

	if (!mbx_copy_out(op, 0, small->data, op->msg_len)) {
		mbx_user_uncharge_bytes(small->charged,
					sizeof(*msg) + op->msg_len);
		mbx_user_put(small->charged);
		return 0;
	}
	msg = mbx_msg_restore(small, op->msg_len, op->sender,
			      op->sender_uid);
	op->sender = NULL;	/* the message has the reference now */
	op->msg_len = 0;
	spin_lock(&box->lock);
	if (box->destroyed) {
		spin_unlock(&box->lock);
		mbx_msg_free(msg);
		return -EFAULT;
	}
	if (!mbx_hand_to_receiver(box, msg, &wake_q))
		mbx_queue_put_back(box, msg);
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	mbx_poll_wake(box, EPOLLIN | EPOLLRDNORM);
	return -EFAULT;
}

/*
 * Does a buffered receiver about to wait spin first (mbx_wait_spin())?
 * Only if no message could be copied straight into its buffer by its
 * sender (mbx_send_direct(): MBX_DIRECT_MIN bytes or more, and room for
 * them), so that every message comes to it through its stack or as a
 * handed-over block.  A receiver that can take large messages sleeps:
 * while it wakes, its sender goes on queueing, and the sender's copies in
 * and the receiver's copies out then run side by side.  Had it spun, it
 * would be found waiting every time and each message copied by the sender
 * alone, one after another: deep streams of 64 KiB messages lost 10 to
 * 20% that way ("Buffered receivers spin" in the README).  Decided once,
 * as the receiver starts to wait: should its mailbox's max_msg_size be
 * raised meanwhile, a large message may yet be copied into it while it
 * spins, which mbx_wait_spin() allows for (it spins on while claimed).
 */
static bool mbx_recv_spins(const struct mbx_box *box,
			   const struct mbx_recvop *op)
	__must_hold(&box->lock)
{
	return box->max_msg_size < MBX_DIRECT_MIN ||
	       (op->len < MBX_DIRECT_MIN && !(op->flags & MBX_F_TRUNC));
}

/*
 * Nothing the receiver wants is queued: wait for a sender to hand a
 * message over (*msgp), to copy one into our buffer (*msgp NULL, the
 * metadata in @op), or to leave a small one in @small (return 1, the
 * metadata in @op; mbx_deliver_small()).  Its own function so that the
 * waiter is set up only when a receiver does wait.
 */
static int mbx_recv_wait(struct mbx_box *box, struct mbx_recvop *op,
			 struct mbx_msg **msgp, struct mbx_small *small)
	__must_hold(&box->lock)
{
	struct mbx_waiter w = {
		.small_buf = small,
		.buf_len = op->len,
		.trunc = op->flags & MBX_F_TRUNC,
		.from = op->from,
		.rop = op,
		.mm = op->kbuf ? NULL : current->mm,
	};
	int ret;

	mbx_wait_enqueue(box, &w, &box->receivers, &box->receivers_waiting);
	if (mbx_recv_spins(box, op))
		mbx_wait_spin(box, &w, box->last_send_tid, w.from,
			      op->expires);
	ret = mbx_wait_sleep(box, &w, op->expires);
	ret = mbx_recv_waited(&w, op, ret);
	if (ret)
		return ret;
	*msgp = w.msg;
	if (!w.msg)	/* a sender copied it into our buffer or @small */
		mbx_take_direct(box, &w, op);
	return w.small;
}

int mbx_recv_buffered(struct mbx_box *box, struct mbx_recvop *op)
{
	/* Not zeroed (CONFIG_INIT_STACK_ALL_ZERO): only a sender writes it. */
	struct mbx_small small __attribute__((uninitialized));
	struct mbx_wake wake_q = {};
	struct mbx_waiter *s;
	size_t checked = 0;	/* bytes of a user buffer known writable */
	bool was_full;
	struct mbx_msg *msg;
	int ret = 0;

	spin_lock(&box->lock);
again:
	if (box->destroyed) {
		ret = box->gone_err;
		goto out_unlock;
	}
	msg = mbx_queue_first(box, op);
	if (msg) {
		if (msg->len > op->len && !(op->flags & MBX_F_TRUNC)) {
			op->msg_len = msg->len;
			ret = -EMSGSIZE;
			goto out_unlock;
		}
		was_full = mbx_box_full(box);
		mbx_queue_del(box, msg);
		if (msg->sync)
			msg->sync->state = MBX_CLAIMED;
		mbx_refill_from_sender(box, &wake_q);
		spin_unlock(&box->lock);
		mbx_wake_all(&wake_q);
		if (was_full)
			mbx_poll_wake(box, EPOLLOUT | EPOLLWRNORM);
		return mbx_deliver(box, msg, op);
	}
	/*
	 * receive(Q) on a full bounded box: Q's message may be held by Q,
	 * blocked for room that only this receiver could make.  Take it
	 * from Q directly (none of Q's messages is queued, so its order
	 * holds).
	 */
	if (op->from || op->from_nr) {
		/*
		 * Taking its message completes Q's send, which a fault in
		 * our copy could not undo: Q's message would then be queued
		 * ahead of the senders blocked before Q, and over the
		 * limit.  So look at our buffer first (without writing to
		 * it), on this path only, which is rare.
		 */
		s = op->kbuf ? NULL :
		    mbx_blocked_sender_from(box, op->from, op->from_nr);
		/*
		 * Unlocked for the check, Q's sender may have gone and
		 * another (a thread of Q, or Q again) may be blocked with a
		 * longer message: check again, for more (op->len at most,
		 * so this ends).  op->ubuf may be NULL: a user pointer too.
		 */
		if (s && (s->msg->len <= op->len ||
			  (op->flags & MBX_F_TRUNC)) &&
		    min_t(size_t, op->len, s->msg->len) > checked) {
			size_t n = min_t(size_t, op->len, s->msg->len);

			spin_unlock(&box->lock);
			if (fault_in_safe_writeable(op->ubuf, n))
				return -EFAULT;
			checked = n;
			spin_lock(&box->lock);
			goto again;
		}
		msg = mbx_take_from_blocked_sender(box, op, &ret, &wake_q);
		if (msg) {
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			return mbx_deliver(box, msg, op);
		}
		if (ret)
			goto out_unlock;
	}
	ret = mbx_recv_nothing(op);
	if (ret)
		goto out_unlock;
	ret = mbx_recv_wait(box, op, &msg, &small);
	if (ret == 1) {
		spin_unlock(&box->lock);
		return mbx_deliver_small(box, op, &small);
	}
	if (ret || !msg)
		goto out_unlock;
	spin_unlock(&box->lock);
	return mbx_deliver(box, msg, op);

out_unlock:
	spin_unlock(&box->lock);
	return ret;
}
