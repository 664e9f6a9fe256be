// SPDX-License-Identifier: GPL-2.0
/*
 * Zero capacity: rendezvous, the sender waits for a receiver.
 *
 * Nothing is queued.  A blocked sender's waiter describes its message in
 * its own memory (a message of up to MBX_ZERO_COPY_IN bytes: a copy on the
 * sender's stack).  A receiver claims it (state MBX_CLAIMED, off the list),
 * drops the lock and copies the payload once into its own buffer
 * (mbx_copy.c): from the sender's pages, or from the kernel copy the sender
 * offers (its stack; memory that cannot be pinned, mbx_copy_in_all());
 * then it completes the sender (MBX_DONE) and tells it who received.  A
 * claimed sender waits uninterruptibly, since
 * the copy reads its buffer, and the copy takes only what is resident on
 * either side, so that wait is bounded by copying the message.  If the
 * receiver's buffer is not resident (or the receiver fails in any other
 * way), the sender is released first (back in its place in line, or
 * straight to a receiver that has started waiting), and the receiver
 * faults its buffer in and retries.  If the sender's message is not
 * resident, the sender is released to page it in itself (MBX_FAULT_IN,
 * mbx_copy_fault_in()), in its own context, and offers it again (memory
 * that can never be pinned: a copy of it, mbx_copy_in_all()); the
 * receiver waits meanwhile at the head of the line, queued before the
 * sender runs, with its own deadline and signals, or, non-blocking, looks
 * for another sender.  Either way the message is neither lost nor
 * delivered twice, and no one waits uninterruptibly for somebody else's
 * page faults.  A blocking receiver that gets the same sender again
 * resumes the copy where it stopped (op->resume_id and resume_at, the
 * sender's resume_id), and each side pages in only the next stretch, so
 * the copy moves on even when the whole message cannot stay resident at
 * once.  (The sender maps the start of its message before it waits,
 * mbx_copy_prefault_msg(), so that this is rare.)
 */
#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mbx_box.h"

/*
 * Up to this size a zero-capacity sender copies its message onto its own
 * stack before it offers it, and the receiver copies it from there
 * (mbx_send_zero_copied()): cheaper than pinning the sender's page.
 */
#define MBX_ZERO_COPY_IN	256

/*
 * Hand zero-capacity sender @s to a waiting receiver, which claims it
 * (MBX_CLAIMED) and will copy the message.  Returns false if none took it.
 * Receivers too small for it get EMSGSIZE, a non-blocking sender's too:
 * it is there to be taken, and otherwise a receiver could wait forever
 * with a buffer no such sender can ever fill, never told why.
 */
static bool mbx_offer_sender(struct mbx_box *box, struct mbx_waiter *s,
			     struct mbx_wake *wake_q)
	__must_hold(&box->lock)
{
	struct mbx_waiter *r = mbx_take_receiver(box, s->sender, s->op->len,
						 wake_q);

	if (!r)
		return false;
	r->peer = s;
	WRITE_ONCE(s->state, MBX_CLAIMED);
	mbx_waiter_done(r, 0, wake_q);
	return true;
}

static int mbx_send_zero_wait(struct mbx_box *box, struct mbx_user *charge,
			      struct mbx_sendop *op)
{
	struct mbx_wake wake_q = {};
	struct mbx_waiter w = {
		.op = op,
		.mm = op->kbuf ? NULL : current->mm,
		.sender_uid = current_euid(),
		.sender = task_tgid(current),
		.nonblock = op->nonblock,
	};
	/* A kernel copy (a small message's) has nothing to fault in. */
	bool again = false, prefault = !op->kbuf;
	void *copy = NULL;
	int ret;

	spin_lock(&box->lock);
	for (;;) {
		if (box->destroyed) {
			ret = box->gone_err;
			goto out_unlock;
		}
		w.state = MBX_WAITING;
		mbx_offer_sender(box, &w, &wake_q);
		if (w.state == MBX_WAITING) {
			if (op->nonblock) {
				ret = -EAGAIN;
				goto out_unlock;
			}
			if (prefault) {
				/* About to wait: our message first, look again. */
				prefault = false;
				spin_unlock(&box->lock);
				mbx_wake_all(&wake_q);
				mbx_copy_prefault_msg(op);
				spin_lock(&box->lock);
				continue;
			}
			/* Back from paging its message in: its place still. */
			if (again)
				mbx_wait_requeue(&w, &box->senders,
						 &box->senders_waiting);
			else
				mbx_wait_enqueue(box, &w, &box->senders,
						 &box->senders_waiting);
			/* A receiver may come through poll: tell pollers. */
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			mbx_poll_wake(box, EPOLLIN | EPOLLRDNORM);
			spin_lock(&box->lock);
		} else {
			/*
			 * Claimed as it arrives, never on the list: its place
			 * in line is now, should the claim be undone (put
			 * back, or back from MBX_FAULT_IN); back from paging
			 * its message in, it keeps the place it had.
			 */
			if (!again)
				w.seq = mbx_next_place(box);
			mbx_wait_enqueue(box, &w, NULL, &box->senders_waiting);
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			spin_lock(&box->lock);
		}
		mbx_wait_spin(box, &w, box->last_recv_tid, NULL, op->expires);
		ret = mbx_wait_sleep(box, &w, op->expires);
		if (ret || w.state != MBX_FAULT_IN)
			break;
		/* Our receiver could not pin the message: page it in. */
		spin_unlock(&box->lock);
		ret = mbx_copy_fault_in(op, w.fault_at, w.fault_end);
		if (ret == -EFAULT && !op->kbuf) {
			/*
			 * Memory that cannot be pinned, or not readable at
			 * all: offer a copy of the whole message instead,
			 * until this send ends.
			 */
			copy = mbx_copy_in_all(charge, op);
			ret = PTR_ERR_OR_ZERO(copy);
			if (ret)
				copy = NULL;
			else
				op->kbuf = copy;
		}
		spin_lock(&box->lock);
		if (ret)
			goto out_unlock;
		if (copy)
			w.mm = NULL;	/* receivers read op->kbuf now */
		again = true;
	}
	if (!ret)
		ret = w.err;
	if (!ret) {
		mbx_note_send(box);
		op->receiver = w.receiver;
	} else {
		put_pid(w.receiver);
	}
out_unlock:
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	if (copy) {	/* no receiver reads it: we are not claimed */
		op->kbuf = NULL;
		mbx_copy_in_free(charge, copy, op->len);
	}
	return ret;
}

static int __mbx_send_zero(struct mbx_box *box, struct mbx_user *charge,
			   struct mbx_sendop *op)
{
	int ret = mbx_send_direct(box, op);

	return ret != -EAGAIN ? ret : mbx_send_zero_wait(box, charge, op);
}

/* Send @op's message from @kbuf, a kernel copy lasting the send. */
static int mbx_send_zero_kbuf(struct mbx_box *box, struct mbx_user *charge,
			      struct mbx_sendop *op, const void *kbuf)
{
	struct mbx_sendop copied = *op;
	int ret;

	copied.ubuf = NULL;
	copied.kbuf = kbuf;
	ret = __mbx_send_zero(box, charge, &copied);
	op->receiver = copied.receiver;
	return ret;
}

/*
 * A zero-capacity send of up to MBX_ZERO_COPY_IN bytes: copied in first,
 * onto our stack, and its receiver copies it from there.  Two copies of a
 * few hundred bytes cost less than the receiver's taking our mmap_lock,
 * walking our page table and pinning a page for one (in TCG, same boot,
 * three alternations, two boots: the 8-byte round trip on one vCPU
 * 1.10-1.24x a pipe pair's against 1.41-1.49x).  Our buffer is read in
 * our own context, as a buffered send reads it: paged in if need be, even
 * for a non-blocking or timed send (our own memory is our own time, as in
 * write()), and a bad one fails at once with EFAULT.  The copy lives as
 * long as the send: a receiver reads it only while it holds us claimed,
 * and a claimed sender does not leave.  A function of its own, so that
 * larger sends do not zero its frame (CONFIG_INIT_STACK_ALL_ZERO).
 */
static noinline int mbx_send_zero_copied(struct mbx_box *box,
					 struct mbx_user *charge,
					 struct mbx_sendop *op)
{
	char buf[MBX_ZERO_COPY_IN];

	if (copy_from_user(buf, op->ubuf, op->len))
		return -EFAULT;
	return mbx_send_zero_kbuf(box, charge, op, buf);
}

/*
 * Memory that page pinning refuses, as the send starts: offer a copy of
 * it, made (and charged) before anyone hears of the message, so that
 * running out of quota or memory tells no receiver anything either.  A
 * non-blocking send with no receiver waiting for it (none, or only ones
 * in receive(Q) for other processes) fails first, as any other does:
 * without the copy, whose charge would say ENOBUFS instead of EAGAIN,
 * and which a retry loop would make again every time.
 */
static int mbx_send_zero_unpinnable(struct mbx_box *box,
				    struct mbx_user *charge,
				    struct mbx_sendop *op)
{
	void *copy;
	int ret = 0;

	if (op->nonblock) {
		spin_lock(&box->lock);
		if (box->destroyed)
			ret = box->gone_err;
		else if (!mbx_receiver_for(box, task_tgid(current)))
			ret = -EAGAIN;
		spin_unlock(&box->lock);
		if (ret)
			return ret;
	}
	copy = mbx_copy_in_all(charge, op);
	if (IS_ERR(copy))
		return PTR_ERR(copy);
	ret = mbx_send_zero_kbuf(box, charge, op, copy);
	mbx_copy_in_free(charge, copy, op->len);
	return ret;
}

int mbx_send_zero(struct mbx_box *box, struct mbx_user *charge,
		  struct mbx_sendop *op)
{
	int ret;

	if (op->len <= MBX_ZERO_COPY_IN && !op->kbuf)
		return mbx_send_zero_copied(box, charge, op);
	/* Before any receiver hears of it (see mbx_copy_check_msg()). */
	ret = mbx_copy_check_msg(op);
	if (ret < 0)
		return ret;
	if (ret)
		return mbx_send_zero_unpinnable(box, charge, op);
	return __mbx_send_zero(box, charge, op);
}

/* Senders a non-blocking receive releases to page in before EAGAIN. */
#define MBX_RELEASES_MAX	4

/* A receive may wait on: 0, or how it ends (signal, deadline). */
static int mbx_recv_may_wait(const struct mbx_recvop *op)
{
	if (signal_pending(current))
		return op->expires ? -EINTR : -ERESTARTSYS;
	if (op->expires && ktime_compare(ktime_get(), *op->expires) >= 0)
		return -ETIMEDOUT;
	return 0;
}

/* Set up @w for a receive of @op that may wait. */
static void mbx_recv_waiter_init(struct mbx_waiter *w, struct mbx_recvop *op)
{
	memset(w, 0, sizeof(*w));
	w->buf_len = op->len;
	w->trunc = op->flags & MBX_F_TRUNC;
	w->from = op->from;
	w->rop = op;
	w->mm = op->kbuf ? NULL : current->mm;
}

/* Numbers for zero-capacity sends a receiver may resume copying. */
static atomic64_t mbx_resume_ids = ATOMIC64_INIT(0);

int mbx_recv_zero(struct mbx_box *box, struct mbx_recvop *op)
{
	struct mbx_wake wake_q = {};
	struct mbx_waiter w, *s;
	bool prefault = !op->nonblock;
	unsigned int released = 0;
	size_t n, at, from, late_at = 0;
	bool late = false;
	int ret;

	op->resume_id = 0;	/* nothing of ours in the buffer yet */
	spin_lock(&box->lock);
again:	/* box->lock held */
	mbx_recv_waiter_init(&w, op);
	if (box->destroyed) {
		ret = box->gone_err;
		goto out_unlock;
	}
	s = mbx_senders_first(box, op->from);
	if (s) {
		if (s->op->len > op->len && !w.trunc) {
			op->msg_len = s->op->len;
			ret = -EMSGSIZE;
			goto out_unlock;
		}
		list_del_init(&s->node);
		WRITE_ONCE(s->state, MBX_CLAIMED);
		goto copy;
	}
	ret = mbx_recv_nothing(op);
	if (ret)
		goto out_unlock;
	if (prefault) {
		/* About to wait: our buffer first, then look again. */
		prefault = false;
		spin_unlock(&box->lock);
		mbx_wake_all(&wake_q);
		mbx_copy_prefault(op);
		spin_lock(&box->lock);
		goto again;
	}
	mbx_wait_enqueue(box, &w, &box->receivers,
			 &box->receivers_waiting);
wait:
	/*
	 * A sender may come through poll: tell pollers.  Whether a waiting
	 * receive(Q) lets a poller send depends on who polls
	 * (mbx_box_poll()), so that wake-up carries no events: io_uring's
	 * and AIO's poll would take EPOLLOUT from it as the answer without
	 * asking, where with none they poll again (as poll and epoll always
	 * do).
	 */
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	mbx_poll_wake(box, w.from ? 0 : EPOLLOUT | EPOLLWRNORM);
	spin_lock(&box->lock);
	mbx_wait_spin(box, &w, box->last_send_tid, w.from, op->expires);
	ret = mbx_wait_sleep(box, &w, op->expires);
	ret = mbx_recv_waited(&w, op, ret);
	if (ret)
		goto out_unlock;
	if (!w.peer) {	/* a sender copied it into our buffer */
		mbx_take_direct(box, &w, op);
		goto out_unlock;
	}
	s = w.peer;
copy:
	/*
	 * s is claimed: it cannot go away until we finish or release it.
	 * If our buffer holds the start of its message, from a copy that
	 * stopped at a page not resident, resume there: starting again
	 * from the first byte, the copy might never get past pages that
	 * memory pressure keeps taking away while the rest is paged in.
	 * The send is recognised by a number no other send gets (its
	 * waiter's address may be another send's by now); what other
	 * receivers copied of it, into their buffers, does not matter.
	 */
	from = op->resume_id && op->resume_id == s->resume_id ?
	       op->resume_at : 0;
	op->resume_id = 0;
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);

	n = min(op->len, s->op->len);
	ret = mbx_copy_from_sender(op, s, from, n, &at);

	spin_lock(&box->lock);
	if (ret == -EFAULT || ret == -EAGAIN) {
		if (!s->resume_id)
			s->resume_id = atomic64_inc_return(&mbx_resume_ids);
		op->resume_id = s->resume_id;
		op->resume_at = at;
	}
	if (!ret) {
		op->msg_len = s->op->len;
		op->sender = get_pid(s->sender);
		op->sender_uid = s->sender_uid;
		s->receiver = get_pid(task_tgid(current));
		mbx_note_recv(box);
		mbx_waiter_done(s, 0, &wake_q);
		goto out_unlock;
	}
	if (ret == -EFAULT) {
		if (box->destroyed) {
			mbx_waiter_done(s, box->gone_err, &wake_q);
			ret = box->gone_err;
			goto out_unlock;
		}
		/*
		 * Its message is not resident (or its buffer is bad): it
		 * pages it in itself and offers it again (or fails).  A
		 * non-blocking receive looks for another sender, and gives
		 * up after a few however many keep their messages paged out;
		 * a blocking one ends here on a signal or its deadline
		 * (nothing is taken), or else waits first in line, queued
		 * before the sender can look, so that a non-blocking sender
		 * finds it there.  The sender pages in the next stretch for
		 * a blocking receive, which resumes; all the rest for a
		 * non-blocking one, which cannot (its next call starts
		 * afresh) and leaves the message to whoever comes.
		 */
		WRITE_ONCE(s->state, MBX_FAULT_IN);
		s->fault_at = at;
		s->fault_end = op->nonblock ? s->op->len :
			       min_t(size_t, n, at + MBX_FAULT_IN_MAX);
		mbx_wait_uncount(s);
		mbx_waiter_wake(s, &wake_q);
		if (op->nonblock) {
			ret = -EAGAIN;
			if (++released >= MBX_RELEASES_MAX)
				goto out_unlock;
			goto again;
		}
		ret = mbx_recv_may_wait(op);
		if (ret)
			goto out_unlock;
		mbx_recv_waiter_init(&w, op);
		mbx_wait_enqueue(box, &w, &box->receivers,
				 &box->receivers_waiting);
		/* First in line, before any that were: place 0. */
		w.seq = 0;
		list_move(&w.node, &box->receivers);
		goto wait;
	}
	/*
	 * Our side failed (our buffer is not resident, or a fatal
	 * signal): the sender keeps its place, or goes to a receiver that
	 * started waiting meanwhile.
	 */
	if (box->destroyed) {
		mbx_waiter_done(s, box->gone_err, &wake_q);
	} else if (!mbx_offer_sender(box, s, &wake_q)) {
		mbx_waiter_put_back(&box->senders, s);
		mbx_unclaim(s, &wake_q);
	}
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	mbx_poll_wake(box, EPOLLIN | EPOLLRDNORM);
	if (ret == -EAGAIN) {
		/*
		 * Fault our buffer in, outside any claim, and try again.
		 * A message is there, and paging our own buffer in is our
		 * own time, as in any read(): past a signal or the deadline
		 * (at once when non-blocking) we still go on while the copy
		 * gets further into our buffer, whichever send it copies
		 * (another receiver may have taken the first), and end when
		 * a try does not (a buffer that does not stay resident)
		 * rather than go round: at < n, so that is bounded.
		 */
		if (mbx_copy_fault_in_buf(op, at, n))
			return -EFAULT;
		ret = op->nonblock ? -EAGAIN : mbx_recv_may_wait(op);
		if (ret) {
			if (late && at <= late_at)
				return ret;
			late = true;
			late_at = at;
		}
		cond_resched();
		spin_lock(&box->lock);
		goto again;
	}
	return ret;

out_unlock:
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	return ret;
}
