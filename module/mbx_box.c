// SPDX-License-Identifier: GPL-2.0
/*
 * A mailbox: its lifetime, the entry points of send and receive, destroy,
 * status, permissions and poll.  Sending and receiving themselves are in
 * the files mbx_box.h lists.
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
 * other way round.  (The deferred wake-ups are struct mbx_wake, in
 * mbx_box.h: wake_q is not exported to modules.)  One read of a waiter's
 * state is not under the lock: a waiter spinning before it sleeps
 * (mbx_wait_spin(): a rendezvous's sender or receiver, a buffered
 * receiver) polls its own waiter's state with READ_ONCE() to know when
 * to stop, and takes the lock before it acts on what it saw (or reads
 * anything a sender left it); so the stores that change the state of a
 * waiter that may spin, still made under the lock, are WRITE_ONCE().
 * Its .spinning is set and cleared under the lock, by the waiter, and
 * read under it by whoever finishes the waiter, who then need not wake
 * it (mbx_waiter_wake()).
 *
 * An inbox's capacity changes only while it is idle.  box->active counts
 * the sends and receives running on it (mbx_op_begin()/mbx_op_end());
 * a capacity change (mbx_box_settle(), called with box->lock held, which
 * it drops to sleep) waits for those that are not blocked, counted in
 * box->settlers so that an operation ending or blocking wakes it.
 *
 * Hand-off, its invariant and the single copy are described at the top
 * of mbx_handoff.c; zero capacity at the top of mbx_zero.c.
 */
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/kref.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/wait_bit.h>
#include <kunit/visibility.h>

#include "mbx_box.h"

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

static void mbx_box_release(struct kref *ref)
{
	struct mbx_box *box = container_of(ref, struct mbx_box, ref);
	struct mbx_msg *msg, *tmp;

	/* Killed boxes are empty; only module unload frees a live one. */
	list_for_each_entry_safe(msg, tmp, &box->queue, node)
		mbx_msg_free(msg);
	mbx_msg_spare_free(box);
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

/* References change only when the sender or receiver does. */
static void mbx_note_pid(struct pid **last, struct pid *me)
{
	if (*last != me) {
		put_pid(*last);
		*last = get_pid(me);
	}
}

/*
 * The last sender and receiver: their processes for the status, their
 * threads for the spin (mbx_wait_spin(): by number, as it only needs to
 * find a thread that is running, and a reference would cost every call
 * whose thread is not the last one's two atomic operations on struct
 * pids another CPU wrote last).  The times are the coarse clock
 * (one tick, as inode times and System V's msg_stime): they are stamped on
 * every message, and reading the fine clock costs more than the rest of a
 * small send where the clocksource is slow to read (a VM's hpet or
 * acpi_pm).
 */
void mbx_note_send(struct mbx_box *box)
	__must_hold(&box->lock)
{
	mbx_note_pid(&box->last_sender, task_tgid(current));
	box->last_send_tid = current->pid;
	box->send_time = ktime_get_coarse_real_ns();
}

void mbx_note_recv(struct mbx_box *box)
	__must_hold(&box->lock)
{
	mbx_note_pid(&box->last_receiver, task_tgid(current));
	box->last_recv_tid = current->pid;
	box->recv_time = ktime_get_coarse_real_ns();
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
	mbx_msg_spare_free(box);
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
	/*
	 * Gone first, as for every call on the handle: before a limit the
	 * mailbox's capacity does not take, and before not permitted.
	 */
	spin_lock(&box->lock);
	ret = box->destroyed ? box->gone_err : 0;
	spin_unlock(&box->lock);
	if (ret)
		return ret;
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
 * poll: EPOLLIN when a receive from anyone would not block, EPOLLOUT when
 * a send from the polling process would not, each only for a handle that
 * may do it.  On a zero-capacity mailbox that means a sender, or a
 * receiver that would take the poller's message, is blocked on the other
 * side: two processes that only poll never meet, as with any rendezvous.
 * (Poll does not know the message's size: a waiting receiver too small
 * for it counts, and the send then tells it so, EMSGSIZE, and waits, or
 * fails with EAGAIN if non-blocking.)  "The polling process" is the
 * caller's, which AIO's IOCB_CMD_POLL is not when it polls again from a
 * worker: there only receivers from anyone count.
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
		out = mbx_receiver_for(box, task_tgid(current));
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
