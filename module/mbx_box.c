// SPDX-License-Identifier: GPL-2.0
/*
 * A mailbox: its queue, its waiters, and send and receive in every
 * capacity mode.
 *
 * Locking rules
 * =============
 *
 * Each mailbox has one spinlock, box->lock.  It protects everything marked
 * [lock] in struct mbx_box and every struct mbx_waiter queued on the box,
 * and the state of every waiter (struct mbx_waiter.state, .err, .msg,
 * .peer, .receiver), wherever the waiter is.  No other lock is taken on
 * the send or receive path: the registry's mutex is for create, open and
 * destroy only.  Under box->lock nothing sleeps: messages are allocated
 * and filled before it is taken, copied out after it is dropped, and
 * tasks are woken (struct mbx_wake) after it is dropped, except where a
 * waker is about to sleep itself (then under it: allowed, the woken task
 * spins briefly).  box->lock nests inside mbx_registry_lock and never the
 * other way round.  (The deferred wake-ups are struct mbx_wake below:
 * wake_q is not exported to modules.)
 *
 * An inbox's capacity changes only while it is idle.  box->active counts
 * the sends and receives running on it (mbx_op_begin()/mbx_op_end());
 * a capacity change (mbx_box_settle(), called with box->lock held, which
 * it drops to sleep) waits for those that are not blocked, counted in
 * box->settlers so that an operation ending or blocking wakes it.
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
 * Waking: the waker removes the waiter from its list, sets .state under
 * the lock and queues the task for waking; the waiter re-reads .state
 * under the lock when it runs.  A waiter that times out or is interrupted
 * while still MBX_WAITING removes itself.
 *
 * Zero capacity
 * =============
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
 * way), the sender is released first (back at the head of the list, or
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
 *
 * MBX_F_SYNC on a buffered mailbox works the same way through msg->sync:
 * the sender waits until a receiver copied the message out.  Interrupted
 * before that, it takes its message back out of the queue and fails.
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
 * zero-capacity case above, with the same bound on the claimed task's
 * uninterruptible sleep: neither side's memory is faulted in during the
 * copy.  If either buffer is not resident, the receiver is put back at the
 * head of the line (or given what arrived for it meanwhile, so that the
 * invariant above holds) and the sender sends the ordinary way.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>
#include <kunit/visibility.h>

#include "mbx_internal.h"

/*
 * Deferred wake-ups.  mbx_wake_add()/wake_up_q() are not exported to
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

static void mbx_wake_add(struct mbx_wake *wake, struct task_struct *task)
{
	if (wake->n < MBX_WAKE_BATCH) {
		get_task_struct(task);
		wake->task[wake->n++] = task;
	} else {
		wake_up_process(task);
	}
}

static void mbx_wake_all(struct mbx_wake *wake)
{
	unsigned int i;

	for (i = 0; i < wake->n; i++) {
		wake_up_process(wake->task[i]);
		put_task_struct(wake->task[i]);
	}
	wake->n = 0;
}

/**
 * mbx_box_init() - initialise a zeroed mailbox
 * @box:	the mailbox, zeroed (embedded in an inbox, or from
 *		mbx_box_alloc())
 * @args:	capacity, limit, mode, maximum message size (validated)
 * @name:	its name, "" for none
 * @creator:	the creator's accounting record; the box keeps this reference
 */
void mbx_box_init(struct mbx_box *box, const struct mbx_open *args,
		  const char *name, struct mbx_user *creator)
{
	kref_init(&box->ref);
	box->key = args->key;
	strscpy(box->name, name, sizeof(box->name));
	box->creator = creator;
	spin_lock_init(&box->lock);
	box->uid = current_euid();
	box->cuid = box->uid;
	box->gid = current_egid();
	box->cgid = box->gid;
	box->mode = args->mode;
	box->capacity = args->capacity;
	box->limit = args->limit;
	box->max_msg_size = args->max_msg_size ?: mbx_max_msg_size;
	INIT_LIST_HEAD(&box->queue);
	INIT_LIST_HEAD(&box->senders);
	INIT_LIST_HEAD(&box->receivers);
	box->change_time = ktime_get_real_ns();
	box->gone_err = -EIDRM;
	init_waitqueue_head(&box->poll_wq);
}

struct mbx_box *mbx_box_alloc(const struct mbx_open *args, const char *name,
			      struct mbx_user *creator)
{
	struct mbx_box *box;

	box = kzalloc(sizeof(*box), GFP_KERNEL_ACCOUNT);
	if (box)
		mbx_box_init(box, args, name, creator);
	return box;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_box_alloc);

/* Headers of messages whose payload has a block of its own. */
static struct kmem_cache *mbx_msg_cache;

int mbx_msg_cache_init(void)
{
	mbx_msg_cache = KMEM_CACHE(mbx_msg, SLAB_ACCOUNT);
	return mbx_msg_cache ? 0 : -ENOMEM;
}

void mbx_msg_cache_exit(void)
{
	kmem_cache_destroy(mbx_msg_cache);
}

/* Header and payload, as struct mbx_msg describes; NULL if out of memory. */
static struct mbx_msg *mbx_msg_alloc(size_t len)
{
	struct mbx_msg *msg;

	if (len <= MBX_MSG_INLINE_MAX) {
		msg = kmalloc(struct_size(msg, inline_data, len),
			      GFP_KERNEL_ACCOUNT);
		if (msg)
			msg->data = msg->inline_data;
		return msg;
	}
	msg = kmem_cache_alloc(mbx_msg_cache, GFP_KERNEL_ACCOUNT);
	if (!msg)
		return NULL;
	msg->data = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!msg->data) {
		kmem_cache_free(mbx_msg_cache, msg);
		return NULL;
	}
	return msg;
}

static void mbx_msg_release(struct mbx_msg *msg)
{
	if (msg->data == msg->inline_data) {
		kfree(msg);
	} else {
		kvfree(msg->data);
		kmem_cache_free(mbx_msg_cache, msg);
	}
}

static void mbx_msg_free(struct mbx_msg *msg)
{
	mbx_user_uncharge_bytes(msg->charged, sizeof(*msg) + msg->len);
	mbx_user_put(msg->charged);
	put_pid(msg->sender);
	mbx_msg_release(msg);
}

static void mbx_box_release(struct kref *ref)
{
	struct mbx_box *box = container_of(ref, struct mbx_box, ref);
	struct mbx_msg *msg, *tmp;

	/* Killed boxes are empty; only module unload frees a live one. */
	list_for_each_entry_safe(msg, tmp, &box->queue, node)
		mbx_msg_free(msg);
	put_pid(box->last_sender);
	put_pid(box->last_receiver);
	put_pid(box->owner);
	mbx_user_put(box->creator);
	/* An inbox embeds its box first: this frees the whole inbox. */
	kfree_rcu(box, rcu);
}

void mbx_box_put(struct mbx_box *box)
{
	kref_put(&box->ref, mbx_box_release);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_box_put);

/* Wake pollers; cheap when nobody polls. */
static void mbx_poll_wake(struct mbx_box *box, __poll_t mask)
{
	if (wq_has_sleeper(&box->poll_wq))
		wake_up_interruptible_poll(&box->poll_wq, mask);
}

static void mbx_wait_uncount(struct mbx_waiter *w);

/*
 * Finish a waiter: off its list (if on one), done with @err, woken later.
 * It is no longer blocked, so it no longer counts as such (MBX_IOC_STAT,
 * mbx_box_settle()) in the time until it runs.
 */
static void mbx_waiter_done(struct mbx_waiter *w, int err,
			    struct mbx_wake *wake_q)
{
	if (w->state == MBX_WAITING && !list_empty(&w->node))
		list_del_init(&w->node);
	w->state = MBX_DONE;
	w->err = err;
	mbx_wait_uncount(w);
	mbx_wake_add(wake_q, w->task);
}

/*
 * Tell mbx_box_settle() callers that an operation in flight has ended or
 * blocked.  They wait on box->active's wait_var queue; the full barrier
 * orders our update of the box before wake_up_var()'s lockless look at
 * that queue, against the waiter's set_current_state() before its check.
 */
static void mbx_settlers_wake(struct mbx_box *box)
{
	smp_mb();	/* box->active or the wait lists, then the queue */
	wake_up_var(&box->active);
}

/*
 * Start waiting: on @list (or on none, for a sync sender whose message is
 * queued, or a zero-capacity sender already claimed), counted in
 * @waiting (box->senders_waiting or receivers_waiting) until the waiter
 * is done or leaves.  The caller set w->state.  Called with box->lock
 * held.
 */
static void mbx_wait_enqueue(struct mbx_waiter *w, struct list_head *list,
			     u32 *waiting)
{
	w->task = current;
	if (list)
		list_add_tail(&w->node, list);
	else
		INIT_LIST_HEAD(&w->node);
	w->waiting = waiting;
	(*waiting)++;
}

/* No longer counted as blocked: done, or leaving on its own. */
static void mbx_wait_uncount(struct mbx_waiter *w)
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
static int mbx_wait_sleep(struct mbx_box *box, struct mbx_waiter *w,
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

static int mbx_wait(struct mbx_box *box, struct mbx_waiter *w,
		    struct list_head *list, u32 *waiting, ktime_t *expires)
	__must_hold(&box->lock)
{
	mbx_wait_enqueue(w, list, waiting);
	return mbx_wait_sleep(box, w, expires);
}

/* Undo a claim: the waiter waits again, and re-arms its deadline. */
static void mbx_unclaim(struct mbx_waiter *w, struct mbx_wake *wake_q)
{
	w->state = MBX_WAITING;
	mbx_wake_add(wake_q, w->task);
}

/* ---- buffered mailboxes (bounded, unbounded) ------------------------- */

static struct mbx_msg *mbx_msg_new(struct mbx_user *charge,
				   const struct mbx_sendop *op)
{
	struct mbx_msg *msg;
	int ret;

	ret = mbx_user_charge_bytes(charge, sizeof(*msg) + op->len,
				    READ_ONCE(mbx_user_bytes_max));
	if (ret)
		return ERR_PTR(ret);
	msg = mbx_msg_alloc(op->len);
	if (!msg) {
		ret = -ENOMEM;
		goto uncharge;
	}
	if (op->kbuf) {
		memcpy(msg->data, op->kbuf, op->len);
	} else if (copy_from_user(msg->data, op->ubuf, op->len)) {
		ret = -EFAULT;
		goto free;
	}
	msg->len = op->len;
	msg->charged = charge;
	refcount_inc(&charge->ref);
	msg->sender = get_pid(task_tgid(current));
	msg->sender_uid = current_euid();
	msg->sync = NULL;
	return msg;

free:
	mbx_msg_release(msg);
uncharge:
	mbx_user_uncharge_bytes(charge, sizeof(*msg) + op->len);
	return ERR_PTR(ret);
}

static void mbx_queue_add(struct mbx_box *box, struct mbx_msg *msg, bool head)
	__must_hold(&box->lock)
{
	if (head)
		list_add(&msg->node, &box->queue);
	else
		list_add_tail(&msg->node, &box->queue);
	box->msg_count++;
	box->msg_bytes += msg->len;
}

static void mbx_queue_del(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock)
{
	list_del(&msg->node);
	box->msg_count--;
	box->msg_bytes -= msg->len;
}

static bool mbx_box_full(struct mbx_box *box)
	__must_hold(&box->lock)
{
	return box->capacity == MBX_CAP_BOUNDED &&
	       box->msg_count >= box->limit;
}

/* Does a receiver that wants messages from @from take one from @sender? */
static bool mbx_wants(struct pid *from, struct pid *sender)
{
	return !from || from == sender;
}

/*
 * The first queued message a receive from @from would take, FIFO: with a
 * filter (receive(Q)) that is a walk past other senders' messages.
 */
static struct mbx_msg *mbx_queue_first(struct mbx_box *box,
				       const struct mbx_recvop *op)
	__must_hold(&box->lock)
{
	struct mbx_msg *msg;

	list_for_each_entry(msg, &box->queue, node) {
		if (op->from_nr ? pid_vnr(msg->sender) == op->from_nr :
				  mbx_wants(op->from, msg->sender))
			return msg;
	}
	return NULL;
}

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
static struct mbx_waiter *mbx_take_receiver(struct mbx_box *box,
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

/* Hand @msg to a waiting receiver; true if one took it. */
static bool mbx_hand_to_receiver(struct mbx_box *box, struct mbx_msg *msg,
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
 * The times of the last send and receive are the coarse clock (one tick,
 * as inode times and System V's msg_stime): they are stamped on every
 * message, and reading the fine clock costs more than the rest of a small
 * send where the clocksource is slow to read (a VM's hpet or acpi_pm).
 */
static void mbx_note_send(struct mbx_box *box)
	__must_hold(&box->lock)
{
	struct pid *me = task_tgid(current);

	if (box->last_sender != me) {
		put_pid(box->last_sender);
		box->last_sender = get_pid(me);
	}
	box->send_time = ktime_get_coarse_real_ns();
}

static void mbx_note_recv(struct mbx_box *box)
	__must_hold(&box->lock)
{
	struct pid *me = task_tgid(current);

	if (box->last_receiver != me) {
		put_pid(box->last_receiver);
		box->last_receiver = get_pid(me);
	}
	box->recv_time = ktime_get_coarse_real_ns();
}

/*
 * After a receive made room in a bounded queue, move the longest-waiting
 * blocked sender's message into it.
 */
static void mbx_refill_from_sender(struct mbx_box *box,
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
	if (!mbx_hand_to_receiver(box, s->msg, wake_q))
		mbx_queue_add(box, s->msg, false);
	s->msg = NULL;
	mbx_waiter_done(s, 0, wake_q);
}

/* The longest-waiting zero-capacity sender a receive from @from takes. */
static struct mbx_waiter *mbx_senders_first(struct mbx_box *box,
					    struct pid *from)
	__must_hold(&box->lock)
{
	struct mbx_waiter *s;

	list_for_each_entry(s, &box->senders, node)
		if (mbx_wants(from, s->sender))
			return s;
	return NULL;
}

/* ---- a receiver already waiting: the sender copies ------------------ */

/*
 * The longest-waiting sender blocked for room in a full bounded box with
 * a message from @from (or, for a process gone, from the one numbered
 * @from_nr in the caller's pid namespace), left where it is; NULL if none.
 */
static struct mbx_waiter *mbx_blocked_sender_from(struct mbx_box *box,
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

/* Take blocked sender @s's message over: its send is done. */
static struct mbx_msg *mbx_take_blocked_msg(struct mbx_waiter *s,
					    struct mbx_wake *wake_q)
{
	struct mbx_msg *msg = s->msg;

	s->msg = NULL;
	if (msg->sync)
		msg->sync->state = MBX_CLAIMED;
	mbx_waiter_done(s, 0, wake_q);
	return msg;
}

/*
 * Put back receiver @r, which a sender claimed and then released: at the
 * head of the line, where it was, unless what it wants arrived while it
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
		list_add(&r->node, &box->receivers);
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
		s->state = MBX_CLAIMED;
		r->peer = s;
	} else if (s) {
		r->msg = mbx_take_blocked_msg(s, wake_q);
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
 * Below this size, pinning the receiver's pages costs more than the
 * allocation and second copy it saves (measured with make bench: a 4 KiB
 * round trip was slower pinned, a 64 KiB one a quarter faster), and a
 * small zero-capacity message is cheaper copied by the receiver.
 */
#define MBX_DIRECT_MIN	(16 * 1024)

/*
 * Up to this size a zero-capacity sender copies its message onto its own
 * stack before it offers it, and the receiver copies it from there
 * (mbx_send_zero_copied()): cheaper than pinning the sender's page.
 */
#define MBX_ZERO_COPY_IN	256

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
static int __mbx_send_direct(struct mbx_box *box, struct mbx_sendop *op)
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
	r->state = MBX_CLAIMED;
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
	r->needed = op->len;
	r->sender = get_pid(me);
	r->sender_uid = current_euid();
	mbx_note_send(box);
	if (box->capacity == MBX_CAP_ZERO || (op->flags & MBX_F_SYNC))
		op->receiver = get_pid(task_tgid(r->task));
	mbx_waiter_done(r, 0, &wake_q);
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

/*
 * A peek without the lock first, inline: small messages, and the common
 * streaming case that finds no receiver waiting, pay only a test.
 */
static inline int mbx_send_direct(struct mbx_box *box, struct mbx_sendop *op)
{
	if (op->len < MBX_DIRECT_MIN || list_empty(&box->receivers))
		return -EAGAIN;
	return __mbx_send_direct(box, op);
}

/* A receiver woken by mbx_send_direct(): the message is in its buffer. */
static void mbx_take_direct(struct mbx_box *box, struct mbx_waiter *w,
			    struct mbx_recvop *op)
	__must_hold(&box->lock)
{
	op->msg_len = w->needed;
	op->sender = w->sender;		/* the reference passes on */
	op->sender_uid = w->sender_uid;
	mbx_note_recv(box);
}

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
	int ret;

	ret = mbx_send_direct(box, op);
	if (ret != -EAGAIN)
		return ret;
	msg = mbx_msg_new(charge, op);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	msg->sync = sync;

	spin_lock(&box->lock);
	if (box->destroyed) {
		ret = box->gone_err;
		goto out_free;
	}
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
	mbx_queue_add(box, msg, false);
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
		mbx_wait_enqueue(sync, NULL, &box->senders_waiting);
		spin_unlock(&box->lock);
		mbx_wake_all(&wake_q);
		mbx_poll_wake(box, EPOLLIN | EPOLLRDNORM);
		spin_lock(&box->lock);
		ret = mbx_wait_sleep(box, sync, op->expires);
		if (ret && sync->state == MBX_WAITING) {
			/* Still queued and unclaimed: take it back. */
			mbx_queue_del(box, msg);
			mbx_refill_from_sender(box, &wake_q);
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			mbx_poll_wake(box, EPOLLOUT | EPOLLWRNORM);
			mbx_msg_free(msg);
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

static int mbx_send_buffered(struct mbx_box *box, struct mbx_user *charge,
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
	return mbx_take_blocked_msg(s, wake_q);
}

/* Copy a taken message out; on a fault put it back where it was. */
static int mbx_deliver(struct mbx_box *box, struct mbx_msg *msg,
		       struct mbx_recvop *op)
{
	struct mbx_wake wake_q = {};
	size_t n = min(op->len, msg->len);
	struct mbx_waiter *sync;

	if (mbx_copy_out(op, 0, msg->data, n)) {
		/*
		 * Back at the head, where it was.  A blocked sender may have
		 * taken the slot meanwhile: a bounded queue can then hold one
		 * more than its limit until the next receive.
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
				mbx_queue_add(box, msg, true);
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
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	mbx_msg_free(msg);
	return 0;
}

/*
 * receive(Q), nothing of Q's to take: is Q gone, so that nothing ever
 * will be?  Reaped (only its number is left, op->from_nr), or exited and
 * not yet reaped, which a non-blocking receive must report as a blocking
 * one does (mbx_wait_sleep()), not as "not yet".
 */
static bool mbx_from_gone(const struct mbx_recvop *op)
{
	return op->from_nr || (op->from && thread_group_exited(op->from));
}

/*
 * A receiver's wait is over (@ret from mbx_wait() or mbx_wait_sleep()):
 * its result, with the size a too small buffer needs on -EMSGSIZE.
 */
static int mbx_recv_waited(struct mbx_waiter *w, struct mbx_recvop *op,
			   int ret)
{
	if (!ret)
		ret = w->err;
	if (ret == -EMSGSIZE)
		op->msg_len = w->needed;
	return ret;
}

/*
 * Nothing the receiver wants is queued: wait for a sender to hand a
 * message over (*msgp) or to copy one into our buffer (*msgp NULL, the
 * metadata in @op).  Its own function so that the waiter is set up only
 * when a receiver does wait.
 */
static int mbx_recv_wait(struct mbx_box *box, struct mbx_recvop *op,
			 struct mbx_msg **msgp)
	__must_hold(&box->lock)
{
	struct mbx_waiter w = {
		.buf_len = op->len,
		.trunc = op->flags & MBX_F_TRUNC,
		.from = op->from,
		.rop = op,
		.mm = op->kbuf ? NULL : current->mm,
	};
	int ret;

	ret = mbx_wait(box, &w, &box->receivers, &box->receivers_waiting,
		       op->expires);
	ret = mbx_recv_waited(&w, op, ret);
	if (ret)
		return ret;
	*msgp = w.msg;
	if (!w.msg)		/* a sender copied it into our buffer */
		mbx_take_direct(box, &w, op);
	return 0;
}

static int mbx_recv_buffered(struct mbx_box *box, struct mbx_recvop *op)
{
	struct mbx_wake wake_q = {};
	struct mbx_msg *msg;
	bool was_full;
	int ret = 0;

	spin_lock(&box->lock);
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
		msg = mbx_take_from_blocked_sender(box, op, &ret, &wake_q);
		if (msg) {
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			return mbx_deliver(box, msg, op);
		}
		if (ret)
			goto out_unlock;
	}
	if (mbx_from_gone(op)) {
		ret = -ESRCH;
		goto out_unlock;
	}
	if (op->nonblock) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	ret = mbx_recv_wait(box, op, &msg);
	if (ret || !msg)
		goto out_unlock;
	spin_unlock(&box->lock);
	return mbx_deliver(box, msg, op);

out_unlock:
	spin_unlock(&box->lock);
	return ret;
}

/* ---- zero capacity (rendezvous) -------------------------------------- */

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
	s->state = MBX_CLAIMED;
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
			mbx_wait_enqueue(&w, &box->senders,
					 &box->senders_waiting);
			/* Back from paging its message in: its turn still. */
			if (again)
				list_move(&w.node, &box->senders);
			/* A receiver may come through poll: tell pollers. */
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			mbx_poll_wake(box, EPOLLIN | EPOLLRDNORM);
			spin_lock(&box->lock);
		} else {
			mbx_wait_enqueue(&w, NULL, &box->senders_waiting);
			spin_unlock(&box->lock);
			mbx_wake_all(&wake_q);
			spin_lock(&box->lock);
		}
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
 * running out of quota or memory tells no receiver anything either.
 */
static int mbx_send_zero_unpinnable(struct mbx_box *box,
				    struct mbx_user *charge,
				    struct mbx_sendop *op)
{
	void *copy = mbx_copy_in_all(charge, op);
	int ret;

	if (IS_ERR(copy))
		return PTR_ERR(copy);
	ret = mbx_send_zero_kbuf(box, charge, op, copy);
	mbx_copy_in_free(charge, copy, op->len);
	return ret;
}

static int mbx_send_zero(struct mbx_box *box, struct mbx_user *charge,
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

static int mbx_recv_zero(struct mbx_box *box, struct mbx_recvop *op)
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
		s->state = MBX_CLAIMED;
		goto copy;
	}
	if (mbx_from_gone(op)) {
		ret = -ESRCH;
		goto out_unlock;
	}
	if (op->nonblock) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	if (prefault) {
		/* About to wait: our buffer first, then look again. */
		prefault = false;
		spin_unlock(&box->lock);
		mbx_wake_all(&wake_q);
		mbx_copy_prefault(op);
		spin_lock(&box->lock);
		goto again;
	}
	mbx_wait_enqueue(&w, &box->receivers, &box->receivers_waiting);
wait:
	/* A sender may come through poll: tell pollers. */
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	mbx_poll_wake(box, EPOLLOUT | EPOLLWRNORM);
	spin_lock(&box->lock);
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
		s->state = MBX_FAULT_IN;
		s->fault_at = at;
		s->fault_end = op->nonblock ? s->op->len :
			       min_t(size_t, n, at + MBX_FAULT_IN_MAX);
		mbx_wait_uncount(s);
		mbx_wake_add(&wake_q, s->task);
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
		mbx_wait_enqueue(&w, &box->receivers, &box->receivers_waiting);
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
		list_add(&s->node, &box->senders);
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

/* ---- entry points ------------------------------------------------------ */

/**
 * mbx_op_begin() - a send or receive starts on @box
 * @box:	the mailbox or inbox
 *
 * An inbox's owner may change its capacity (mbx_inbox_set()), but only
 * while the box is idle; a send or receive in progress counts as active
 * from the moment it reads the capacity, so it runs start to end in one
 * mode.  Mailboxes' capacity never changes: they skip the lock round trip.
 *
 * Return: the capacity mode the operation runs in.
 */
VISIBLE_IF_KUNIT u32 mbx_op_begin(struct mbx_box *box)
{
	u32 capacity;

	if (!box->owner)
		return box->capacity;
	spin_lock(&box->lock);
	box->active++;
	capacity = box->capacity;
	spin_unlock(&box->lock);
	return capacity;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_op_begin);

/*
 * Nothing queued and nobody blocked.  A claimed waiter is off the lists
 * but still counted in senders_waiting or receivers_waiting until its
 * claimer is done with it; on an inbox that is inside an operation
 * (box->active), which mbx_box_settle() waits for.
 */
static bool mbx_box_quiet(struct mbx_box *box)
	__must_hold(&box->lock)
{
	return list_empty(&box->queue) && list_empty(&box->senders) &&
	       list_empty(&box->receivers);
}

/**
 * mbx_op_end() - the send or receive mbx_op_begin() started has ended
 * @box:	the mailbox or inbox
 *
 * A capacity change waiting for the operations in flight has its answer
 * when the last one ends, or as soon as one ends leaving a message queued
 * (a non-blocking send): busy then, whatever the others do.
 */
VISIBLE_IF_KUNIT void mbx_op_end(struct mbx_box *box)
{
	bool settled;

	if (!box->owner)
		return;
	spin_lock(&box->lock);
	box->active--;
	settled = box->settlers && (!box->active || !mbx_box_quiet(box));
	spin_unlock(&box->lock);
	if (settled)
		mbx_settlers_wake(box);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_op_end);

/**
 * mbx_box_send() - send one message
 * @box:	the mailbox
 * @charge:	the user whose quota pays for a queued message
 * @op:		the message and how to wait
 *
 * Return: 0, or -EMSGSIZE (too long for this mailbox), -EIDRM (destroyed),
 * -EAGAIN (would block), -ETIMEDOUT, -EINTR/-ERESTARTSYS (signal),
 * -ENOBUFS (the user's quota of queued bytes is used up), -ENOMEM,
 * -EFAULT.  On any error the message was not sent.
 */
int mbx_box_send(struct mbx_box *box, struct mbx_user *charge,
		 struct mbx_sendop *op)
{
	u32 capacity;
	int ret;

	op->receiver = NULL;
	if (op->len > READ_ONCE(box->max_msg_size))
		return -EMSGSIZE;
	capacity = mbx_op_begin(box);
	if (capacity == MBX_CAP_ZERO)
		ret = mbx_send_zero(box, charge, op);
	else
		ret = mbx_send_buffered(box, charge, op);
	mbx_op_end(box);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_box_send);

/**
 * mbx_box_recv() - receive one message
 * @box:	the mailbox
 * @op:		the buffer and how to wait; metadata out
 *
 * Return: 0, or -EMSGSIZE (buffer too small: op->msg_len says how large it
 * must be, and the message stays first in line), -EIDRM, -EAGAIN, -ESRCH
 * (op->from_nr, an exited sender, has nothing queued),
 * -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EFAULT.  On any error no message was
 * taken.
 */
int mbx_box_recv(struct mbx_box *box, struct mbx_recvop *op)
{
	struct wait_queue_entry from_exit;
	u32 capacity;
	int ret;

	op->sender = NULL;
	op->msg_len = 0;
	capacity = mbx_op_begin(box);
	if (capacity == MBX_CAP_ZERO && op->from_nr) {
		ret = -ESRCH;	/* blocked senders are alive */
		goto out;
	}
	/*
	 * Waiting for one sender: its exit (woken on its wait_pidfd, as a
	 * pidfd poller is) ends the wait with -ESRCH.
	 */
	if (op->from) {
		init_waitqueue_entry(&from_exit, current);
		add_wait_queue(&op->from->wait_pidfd, &from_exit);
	}
	if (capacity == MBX_CAP_ZERO)
		ret = mbx_recv_zero(box, op);
	else
		ret = mbx_recv_buffered(box, op);
	if (op->from)
		remove_wait_queue(&op->from->wait_pidfd, &from_exit);
out:
	mbx_op_end(box);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_box_recv);

/**
 * mbx_box_kill() - the destroy half that concerns waiters and messages
 * @box:	a mailbox already unlinked from the registry
 *
 * Every blocked sender and receiver wakes with box->gone_err (-EIDRM, or
 * -ESRCH for the inbox of a process that is gone), queued messages are
 * freed (a sync sender waiting on one gets that error: not received),
 * and pollers see EPOLLERR.  Messages already handed to a receiver, and
 * senders already claimed by one, complete normally.
 */
void mbx_box_kill(struct mbx_box *box)
{
	struct mbx_wake wake_q = {};
	struct mbx_waiter *w, *wtmp;
	struct mbx_msg *msg, *mtmp;
	LIST_HEAD(freed);
	bool settle;

	spin_lock(&box->lock);
	box->destroyed = true;
	list_for_each_entry_safe(w, wtmp, &box->receivers, node)
		mbx_waiter_done(w, box->gone_err, &wake_q);
	list_for_each_entry_safe(w, wtmp, &box->senders, node)
		mbx_waiter_done(w, box->gone_err, &wake_q);
	list_for_each_entry_safe(msg, mtmp, &box->queue, node) {
		mbx_queue_del(box, msg);
		if (msg->sync)
			mbx_waiter_done(msg->sync, box->gone_err, &wake_q);
		list_add_tail(&msg->node, &freed);
	}
	box->change_time = ktime_get_real_ns();
	settle = box->settlers;
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	if (settle)	/* a capacity change waiting: it is ESRCH now */
		mbx_settlers_wake(box);
	wake_up_interruptible_poll(&box->poll_wq, EPOLLERR | EPOLLHUP |
				   EPOLLIN | EPOLLOUT);

	list_for_each_entry_safe(msg, mtmp, &freed, node)
		mbx_msg_free(msg);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_box_kill);

/*
 * Idle, busy or gone: not merely running a send or receive that has not
 * blocked.
 */
static bool mbx_box_settled(struct mbx_box *box)
{
	bool settled;

	spin_lock(&box->lock);
	settled = box->destroyed || !box->active || !mbx_box_quiet(box);
	spin_unlock(&box->lock);
	return settled;
}

/*
 * How long a capacity change waits for operations in flight: they take
 * microseconds, unless one is stalled in a page fault on its own buffer
 * (its copy_from_user() of a message), which may take as long as that
 * memory's owner likes (FUSE, userfaultfd).
 */
#define MBX_SETTLE_WAIT		HZ

/*
 * wait_var_event_interruptible() with a deadline: 0 once the box has
 * settled, -EBUSY at @deadline, -EINTR on a signal (not restarted, as a
 * timed wait is not: a restart would start the deadline afresh).
 */
static int mbx_box_settle_wait(struct mbx_box *box, unsigned long deadline)
{
	struct wait_queue_head *wq = __var_waitqueue(&box->active);
	struct wait_bit_queue_entry entry;
	long left;
	int ret;

	init_wait_var_entry(&entry, &box->active, 0);
	for (;;) {
		ret = prepare_to_wait_event(wq, &entry.wq_entry,
					    TASK_INTERRUPTIBLE);
		if (mbx_box_settled(box)) {
			ret = 0;
			break;
		}
		if (ret) {
			ret = -EINTR;
			break;
		}
		left = (long)(deadline - jiffies);
		if (left <= 0) {
			ret = -EBUSY;
			break;
		}
		schedule_timeout(left);
	}
	finish_wait(wq, &entry.wq_entry);
	return ret;
}

/**
 * mbx_box_settle() - wait until an inbox may change its capacity
 * @box:	the inbox
 *
 * An inbox may change its capacity while nothing is queued and nobody is
 * blocked on it.  A send or receive that another task is running
 * (box->active) and that is not blocked does not make it busy: it has
 * been woken, or is copying, or has not reached a wait yet, and it ends
 * without waiting for anyone (if it blocks instead, the inbox is busy).
 * So it is waited for here, up to MBX_SETTLE_WAIT, rather than reported
 * as EBUSY at once, which a caller could not tell from the real thing.
 * This is what a server that receives and then reconfigures meets: its
 * client's send, which woke it, is still returning.  Called and returns
 * with box->lock held; the lock is dropped while waiting.
 *
 * Return: 0 (idle: the caller may change the capacity before unlocking),
 * -EBUSY (messages queued or tasks blocked, or an operation still in
 * flight after MBX_SETTLE_WAIT), -EINTR, or the box's gone_err.
 */
int mbx_box_settle(struct mbx_box *box)
	__must_hold(&box->lock)
{
	unsigned long deadline = jiffies + MBX_SETTLE_WAIT;
	int ret;

	while (!box->destroyed && box->active && mbx_box_quiet(box)) {
		box->settlers++;
		spin_unlock(&box->lock);
		ret = mbx_box_settle_wait(box, deadline);
		spin_lock(&box->lock);
		box->settlers--;
		if (ret)
			return ret;
	}
	if (box->destroyed)
		return box->gone_err;
	if (!mbx_box_quiet(box) || box->senders_waiting ||
	    box->receivers_waiting)
		return -EBUSY;
	return 0;
}

/**
 * mbx_mode_allows() - the ipc_perm check
 * @mode:	the mailbox's permission bits
 * @owner:	the caller is its owner or creator
 * @group:	the caller is in its group or creator group
 * @open_flags:	MBX_O_SEND (needs w) and/or MBX_O_RECV (needs r)
 *
 * Return: 0 or -EACCES.
 */
VISIBLE_IF_KUNIT int mbx_mode_allows(umode_t mode, bool owner, bool group,
				     u32 open_flags)
{
	unsigned int granted, need = 0;

	if (open_flags & MBX_O_SEND)
		need |= 2;
	if (open_flags & MBX_O_RECV)
		need |= 4;
	if (owner)
		granted = mode >> 6;
	else if (group)
		granted = mode >> 3;
	else
		granted = mode;
	return (granted & need) == need ? 0 : -EACCES;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_mode_allows);

/* May the caller open @box for @open_flags?  0 or -EACCES. */
int mbx_box_permission(struct mbx_box *box, u32 open_flags)
{
	kuid_t euid = current_euid();
	bool owner, group;
	umode_t mode;

	spin_lock(&box->lock);
	owner = uid_eq(euid, box->uid) || uid_eq(euid, box->cuid);
	group = in_group_p(box->gid) || in_group_p(box->cgid);
	mode = box->mode;
	spin_unlock(&box->lock);

	if (!mbx_mode_allows(mode, owner, group, open_flags))
		return 0;
	return capable(CAP_IPC_OWNER) ? 0 : -EACCES;
}

/* Owner, creator or CAP_IPC_OWNER: may destroy or change @box. */
bool mbx_box_may_control(struct mbx_box *box)
{
	kuid_t euid = current_euid();
	bool ok;

	spin_lock(&box->lock);
	ok = uid_eq(euid, box->uid) || uid_eq(euid, box->cuid);
	spin_unlock(&box->lock);
	return ok || capable(CAP_IPC_OWNER);
}

static s32 mbx_pid_nr(struct pid *pid, struct pid_namespace *ns)
{
	return pid ? pid_nr_ns(pid, ns) : 0;
}

/**
 * mbx_box_stat_ns() - status of @box with ids as seen from namespaces
 * @box:	the mailbox
 * @st:		filled; its size field is kept
 * @ns:		user namespace of the uids and gids
 * @pid_ns:	pid namespace of the pids (0: not visible there)
 *
 * Return: 0, or box->gone_err once the mailbox is destroyed (@st then
 * holds its last state, which /proc may still show while the destroy
 * completes).
 */
int mbx_box_stat_ns(struct mbx_box *box, struct mbx_stat *st,
		    struct user_namespace *ns, struct pid_namespace *pid_ns)
{
	u32 size = st->size;
	int ret;

	memset(st, 0, sizeof(*st));
	st->size = size;
	st->id = box->id;
	st->key = box->key;
	memcpy(st->name, box->name, sizeof(st->name));

	spin_lock(&box->lock);
	st->capacity = box->capacity;	/* an inbox's changes, with limit */
	st->uid = from_kuid_munged(ns, box->uid);
	st->gid = from_kgid_munged(ns, box->gid);
	st->cuid = from_kuid_munged(ns, box->cuid);
	st->cgid = from_kgid_munged(ns, box->cgid);
	st->mode = box->mode;
	st->limit = box->limit;
	st->max_msg_size = box->max_msg_size;
	st->msg_count = box->msg_count;
	st->msg_bytes = box->msg_bytes;
	st->senders_waiting = box->senders_waiting;
	st->receivers_waiting = box->receivers_waiting;
	st->last_send_pid = mbx_pid_nr(box->last_sender, pid_ns);
	st->last_recv_pid = mbx_pid_nr(box->last_receiver, pid_ns);
	st->send_time = box->send_time;
	st->recv_time = box->recv_time;
	st->change_time = box->change_time;
	ret = box->destroyed ? box->gone_err : 0;
	spin_unlock(&box->lock);
	return ret;
}

/**
 * mbx_box_next_len() - the length of the message a receive takes next
 * @box:	the mailbox or inbox
 *
 * A receive from anyone takes the first queued message or, with zero
 * capacity, the first blocked sender's (a claimed one is being received
 * already).
 *
 * Return: that message's length, 0 if there is none, or the box's
 * gone_err.
 */
ssize_t mbx_box_next_len(struct mbx_box *box)
{
	struct mbx_recvop anyone = {};
	struct mbx_waiter *s;
	struct mbx_msg *msg;
	ssize_t len = 0;

	spin_lock(&box->lock);
	if (box->destroyed) {
		len = box->gone_err;
	} else if (box->capacity == MBX_CAP_ZERO) {
		s = mbx_senders_first(box, NULL);
		if (s)
			len = s->op->len;
	} else {
		msg = mbx_queue_first(box, &anyone);
		if (msg)
			len = msg->len;
	}
	spin_unlock(&box->lock);
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_box_next_len);

/* Status as the caller may see it: ids in its namespaces. */
int mbx_box_stat(struct mbx_box *box, struct mbx_stat *st)
{
	return mbx_box_stat_ns(box, st, current_user_ns(),
			       task_active_pid_ns(current));
}
EXPORT_SYMBOL_IF_KUNIT(mbx_box_stat);

/**
 * mbx_box_set() - MBX_IOC_SET, arguments already validated
 * @box:	the mailbox
 * @args:	what to change
 *
 * Return: 0, -EPERM (not owner, creator or CAP_IPC_OWNER), -EINVAL (a
 * uid/gid with no mapping, or a limit on a mailbox that is not bounded),
 * -EIDRM.
 */
int mbx_box_set(struct mbx_box *box, const struct mbx_set *args)
{
	struct user_namespace *ns = current_user_ns();
	struct mbx_wake wake_q = {};
	kuid_t uid = INVALID_UID;
	kgid_t gid = INVALID_GID;
	int ret = 0;

	if (args->flags & MBX_SET_OWNER) {
		uid = make_kuid(ns, args->uid);
		gid = make_kgid(ns, args->gid);
		if (!uid_valid(uid) || !gid_valid(gid))
			return -EINVAL;
	}
	if ((args->flags & MBX_SET_LIMIT) && box->capacity != MBX_CAP_BOUNDED)
		return -EINVAL;
	if (!mbx_box_may_control(box))
		return -EPERM;

	spin_lock(&box->lock);
	if (box->destroyed) {
		ret = box->gone_err;
		goto out;
	}
	if (args->flags & MBX_SET_MODE)
		box->mode = args->mode;
	if (args->flags & MBX_SET_OWNER) {
		box->uid = uid;
		box->gid = gid;
	}
	if (args->flags & MBX_SET_MSGSIZE)
		WRITE_ONCE(box->max_msg_size, args->max_msg_size);
	if (args->flags & MBX_SET_LIMIT) {
		box->limit = args->limit;
		/* A larger queue may take blocked senders' messages now. */
		while (!list_empty(&box->senders) && !mbx_box_full(box))
			mbx_refill_from_sender(box, &wake_q);
	}
	box->change_time = ktime_get_real_ns();
out:
	spin_unlock(&box->lock);
	mbx_wake_all(&wake_q);
	if (args->flags & MBX_SET_LIMIT)
		mbx_poll_wake(box, EPOLLOUT | EPOLLWRNORM);
	return ret;
}

/*
 * poll: EPOLLIN when a receive would not block, EPOLLOUT when a send would
 * not, each only for a handle that may do it.  On a zero-capacity mailbox
 * that means a sender or a receiver is blocked on the other side: two
 * processes that only poll never meet, as with any rendezvous.
 */
__poll_t mbx_box_poll(struct mbx_box *box, struct file *file,
		      struct poll_table_struct *wait, u32 open_flags)
{
	__poll_t mask = 0;
	bool in, out;

	/* Register first, then look: a change after the look wakes us. */
	poll_wait(file, &box->poll_wq, wait);

	spin_lock(&box->lock);
	if (box->destroyed) {
		spin_unlock(&box->lock);
		return EPOLLERR | EPOLLHUP;
	}
	if (box->capacity == MBX_CAP_ZERO) {
		in = !list_empty(&box->senders);
		out = !list_empty(&box->receivers);
	} else {
		in = !list_empty(&box->queue);
		out = !mbx_box_full(box);
	}
	spin_unlock(&box->lock);

	if (in && (open_flags & MBX_O_RECV))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (out && (open_flags & MBX_O_SEND))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}
