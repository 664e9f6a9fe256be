// SPDX-License-Identifier: GPL-2.0
/*
 * Waiters: how a send or receive blocks on a mailbox, and how another
 * task finishes it.
 *
 * A waiter (struct mbx_waiter) lives on its task's stack.  The waker
 * removes it from its list, sets .state under box->lock and queues the
 * task on a struct mbx_wake, woken after the lock is dropped (unless the
 * waiter is spinning, watching .state: mbx_waiter_wake()); the waiter
 * re-reads .state under the lock when it runs.  A waiter that times out
 * or is interrupted while still MBX_WAITING removes itself.  The locking
 * rules are at the top of mbx_box.c.
 */
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/stat.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/wait_bit.h>

#include "mbx_box.h"

void mbx_wake_add(struct mbx_wake *wake, struct task_struct *task)
{
	if (wake->n < MBX_WAKE_BATCH) {
		get_task_struct(task);
		wake->task[wake->n++] = task;
	} else {
		wake_up_process(task);
	}
}

/*
 * Wake @w's task (later, from @wake_q), which has just seen its state
 * change under the box lock; unless it is spinning, watching that state
 * (mbx_wait_spin()): it is running, and a wake-up would only cost its
 * task's reference count and pi_lock a trip to the waker's CPU and back
 * for every message handed to it.  It stops spinning under the lock, so
 * after that it is woken again.
 */
void mbx_waiter_wake(struct mbx_waiter *w, struct mbx_wake *wake_q)
{
	if (!w->spinning)
		mbx_wake_add(wake_q, w->task);
}

void mbx_wake_all(struct mbx_wake *wake)
{
	unsigned int i;

	for (i = 0; i < wake->n; i++) {
		wake_up_process(wake->task[i]);
		put_task_struct(wake->task[i]);
	}
	wake->n = 0;
}

/*
 * Finish a waiter: off its list (if on one), done with @err, woken later.
 * It is no longer blocked, so it no longer counts as such (MBX_IOC_STAT,
 * mbx_box_settle()) in the time until it runs.
 */
void mbx_waiter_done(struct mbx_waiter *w, int err,
		     struct mbx_wake *wake_q)
{
	if (w->state == MBX_WAITING && !list_empty(&w->node))
		list_del_init(&w->node);
	WRITE_ONCE(w->state, MBX_DONE);
	w->err = err;
	mbx_wait_uncount(w);
	mbx_waiter_wake(w, wake_q);
}

/*
 * Tell mbx_box_settle() callers that an operation in flight has ended or
 * blocked.  They wait on box->active's wait_var queue; the full barrier
 * orders our update of the box before wake_up_var()'s lockless look at
 * that queue, against the waiter's set_current_state() before its check.
 */
void mbx_settlers_wake(struct mbx_box *box)
{
	smp_mb();	/* box->active or the wait lists, then the queue */
	wake_up_var(&box->active);
}

/*
 * Start waiting: last on @list (or on none, for a sync sender whose
 * message is queued, or a zero-capacity sender already claimed), counted
 * in @waiting (box->senders_waiting or receivers_waiting) until the
 * waiter is done or leaves.  The caller set w->state.
 */
void mbx_wait_enqueue(struct mbx_box *box, struct mbx_waiter *w,
		      struct list_head *list, u32 *waiting)
	__must_hold(&box->lock)
{
	w->task = current;
	if (list) {
		w->seq = mbx_next_place(box);
		list_add_tail(&w->node, list);
	} else {
		INIT_LIST_HEAD(&w->node);
	}
	w->waiting = waiting;
	(*waiting)++;
}

/*
 * Put @w back on @list where its place (w->seq) is: after the waiters
 * that came before it, ahead of those that came after.  For a waiter
 * that was claimed and waits again: it lost nothing by being picked.
 */
void mbx_waiter_put_back(struct list_head *list, struct mbx_waiter *w)
{
	struct mbx_waiter *pos;

	list_for_each_entry(pos, list, node)
		if (pos->seq > w->seq)
			break;
	list_add_tail(&w->node, &pos->node);
}

/*
 * As mbx_wait_enqueue(), for a waiter that waited on @list before, was
 * let go (a zero-capacity sender released to page its message in) and
 * now waits again: in the place it had.
 */
void mbx_wait_requeue(struct mbx_waiter *w, struct list_head *list,
		      u32 *waiting)
{
	w->task = current;
	mbx_waiter_put_back(list, w);
	w->waiting = waiting;
	(*waiting)++;
}

/* No longer counted as blocked: done, or leaving on its own. */
void mbx_wait_uncount(struct mbx_waiter *w)
{
	if (w->waiting) {
		(*w->waiting)--;
		w->waiting = NULL;
	}
}

/*
 * Sleep until another task finishes @w (or releases a zero-capacity
 * sender to page its message in: MBX_FAULT_IN), or until a signal or the
 * deadline.  Called and returns with box->lock held, after
 * mbx_wait_enqueue().  Returns 0 when the waiter was finished (the caller
 * reads .err) or released, or -ERESTARTSYS, -EINTR (timed waits are not
 * restarted: their timeout is relative) or -ETIMEDOUT with @w off every
 * list.
 *
 * A claimed waiter (MBX_CLAIMED) ignores signals and the deadline until
 * the claim is over.  That is one copy between resident pages
 * (mbx_copy.c), so the uninterruptible sleep is short.  A sync sender
 * (@w->sync_msg set) waits killably instead: the receiver's copy can take
 * as long as the receiver's page faults do, so on SIGKILL it leaves the
 * message to be delivered without it (-EINTR, state still MBX_CLAIMED).
 */
int mbx_wait_sleep(struct mbx_box *box, struct mbx_waiter *w,
		   ktime_t *expires)
	__must_hold(&box->lock)
{
	bool timed_out = false, settle;
	int ret = 0;

	for (;;) {
		if (w->state == MBX_DONE || w->state == MBX_FAULT_IN)
			break;
		if (w->state == MBX_WAITING) {
			if (w->nonblock) {
				ret = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				ret = expires ? -EINTR : -ERESTARTSYS;
				break;
			}
			if (timed_out) {
				ret = -ETIMEDOUT;
				break;
			}
			set_current_state(TASK_INTERRUPTIBLE);
			/* After setting the state: its exit wakes us. */
			if (w->from && thread_group_exited(w->from)) {
				__set_current_state(TASK_RUNNING);
				ret = -ESRCH;
				break;
			}
			settle = box->settlers;
			spin_unlock(&box->lock);
			/* Blocked: the inbox is busy now, not settling. */
			if (settle)
				mbx_settlers_wake(box);
			timed_out = !schedule_hrtimeout_range_clock(expires, 0,
					HRTIMER_MODE_ABS, CLOCK_MONOTONIC);
		} else if (w->sync_msg) {
			if (fatal_signal_pending(current)) {
				/* The message lives until its receiver's
				 * last locked section: detach from it.
				 */
				w->sync_msg->sync = NULL;
				ret = -EINTR;
				break;
			}
			set_current_state(TASK_KILLABLE);
			spin_unlock(&box->lock);
			schedule();
		} else {
			set_current_state(TASK_UNINTERRUPTIBLE);
			spin_unlock(&box->lock);
			schedule();
		}
		spin_lock(&box->lock);
	}
	__set_current_state(TASK_RUNNING);
	mbx_wait_uncount(w);
	if (ret)
		list_del_init(&w->node);
	return ret;
}

/*
 * Is @peer running on another CPU, or about to (woken, or runnable
 * there)?  One on our CPU cannot run while we spin, and one asleep may
 * never come.
 */
static bool mbx_peer_busy(struct task_struct *peer)
{
	return !(READ_ONCE(peer->__state) & ~TASK_WAKING) &&
	       task_cpu(peer) != raw_smp_processor_id();
}

/*
 * The thread a wait spins for, in an RCU read-side section (the task
 * stays valid memory until it ends): the thread numbered @tid (in the
 * initial pid namespace); in a receive from @from (a process), that
 * process's main thread instead when the thread numbered @tid is gone or
 * belongs to another process.  NULL if none.  A number that has since been given to another
 * thread finds that one: the spin then watches the wrong thread, for at
 * most spin_ns, which decides nothing.
 */
static struct task_struct *mbx_spin_peer(pid_t tid, struct pid *from)
{
	struct task_struct *peer = NULL;

	if (tid)
		peer = pid_task(find_pid_ns(tid, &init_pid_ns), PIDTYPE_PID);
	if (from && (!peer || task_tgid(peer) != from))
		peer = pid_task(from, PIDTYPE_PID);
	return peer;
}

/**
 * mbx_wait_spin() - spin a little before a wait between CPUs sleeps
 * @box:	the mailbox (locked; unlocked while spinning)
 * @w:		a sender or receiver about to mbx_wait_sleep(): waiting on
 *		its list, or claimed by a peer copying its message
 * @peer_tid:	the thread whose call would finish @w: the mailbox's last
 *		receiving thread for a sender, its last sending thread for
 *		a receiver (box->last_recv_tid, last_send_tid); 0: none
 * @from:	a receive(Q): Q, whose main thread is watched if the last
 *		sending thread is not one of Q's; NULL otherwise
 * @expires:	the call's deadline (NULL: none), which the spin ends by
 *
 * Between CPUs, sleeping costs a rendezvous an IPI and the other CPU's
 * wake-up per message, which in TCG is more than the copy of 64 KiB
 * ("Rendezvous between CPUs spins" in the README).  So while @w waits
 * and the peer runs on another CPU (it is likely on its way back for the
 * next message), or while a peer copies @w's message, we spin instead,
 * with the lock dropped, and let the peer find us awake (@w->spinning:
 * it does not even wake us).  The spin ends when @w is done or released,
 * when the (waited-for) peer sleeps or is on our CPU, when this CPU has
 * other work (need_resched(), or another task runnable here:
 * single_task_running(), as KVM's halt polling does), on a signal, and
 * after spin_ns (a module parameter; 0: never) or at the deadline,
 * whichever comes first: a peer must not find a timed call there later
 * than it would find a sleeping one.  Then mbx_wait_sleep() looks at @w
 * under the lock as ever: the spin only delays the sleep, it decides
 * nothing.  Mutexes spin on their owner the same way, under RCU and
 * without a reference to it (mutex_spin_on_owner()).
 *
 * The peer is a thread, so a worker thread of a process whose main
 * thread sleeps is spun for, and threads of one process spin for each
 * other; a thread never spins for itself.  A claimed waiter spins for its
 * claimer without looking at it (a claim is one copy between resident
 * pages), at most spin_ns.  In a buffered mailbox only receivers spin (a
 * sender waits only for room, which a spinning consumer would not make
 * sooner), and only those no large message could be copied into
 * directly (mbx_recv_spins()).
 */
void mbx_wait_spin(struct mbx_box *box, struct mbx_waiter *w,
		   pid_t peer_tid, struct pid *from, ktime_t *expires)
	__must_hold(&box->lock)
{
	u64 spin = READ_ONCE(mbx_spin_ns), until;
	struct task_struct *peer;
	enum mbx_wait_state state;
	s64 left;

	if (!spin || w->nonblock || box->settlers ||
	    num_online_cpus() < 2 || !single_task_running())
		return;
	if (expires) {
		left = ktime_to_ns(ktime_sub(*expires, ktime_get()));
		if (left <= 0)
			return;
		spin = min_t(u64, spin, left);
	}
	rcu_read_lock();
	peer = mbx_spin_peer(peer_tid, from);
	if (!peer || peer == current) {
		rcu_read_unlock();
		return;
	}
	w->spinning = true;
	spin_unlock(&box->lock);
	/* On one CPU, as mutex spinners: one clock, and need_resched(). */
	preempt_disable();
	until = local_clock() + spin;
	for (;;) {
		state = READ_ONCE(w->state);
		if (state != MBX_WAITING && state != MBX_CLAIMED)
			break;
		if (state == MBX_WAITING && !mbx_peer_busy(peer))
			break;
		if (need_resched() || !single_task_running() ||
		    signal_pending(current) || local_clock() > until)
			break;
		cpu_relax();
	}
	preempt_enable();
	rcu_read_unlock();
	spin_lock(&box->lock);
	w->spinning = false;
}

int mbx_wait(struct mbx_box *box, struct mbx_waiter *w,
	     struct list_head *list, u32 *waiting, ktime_t *expires)
	__must_hold(&box->lock)
{
	mbx_wait_enqueue(box, w, list, waiting);
	return mbx_wait_sleep(box, w, expires);
}

/* Undo a claim: the waiter waits again, and re-arms its deadline. */
void mbx_unclaim(struct mbx_waiter *w, struct mbx_wake *wake_q)
{
	WRITE_ONCE(w->state, MBX_WAITING);
	mbx_waiter_wake(w, wake_q);
}

/*
 * A receiver's wait is over (@ret from mbx_wait() or mbx_wait_sleep()):
 * its result, with the size a too small buffer needs on -EMSGSIZE.
 */
int mbx_recv_waited(struct mbx_waiter *w, struct mbx_recvop *op,
		    int ret)
{
	if (!ret)
		ret = w->err;
	if (ret == -EMSGSIZE)
		op->msg_len = w->needed;
	return ret;
}
