// SPDX-License-Identifier: GPL-2.0
/*
 * Inboxes: direct communication, send(P) and receive(Q).
 *
 * A process becomes addressable when it opens /dev/mailbox: it gets one
 * inbox, shared by all its threads and all its opens of the device, and
 * found by its thread group's struct pid.  An inbox is a mailbox (struct
 * mbx_box, embedded first) with an owner, so queueing, waiting, the
 * single-copy rendezvous, timeouts and quotas are the mailbox machinery;
 * "a link per pair" is the subset of the inbox's FIFO queue that came from
 * one sender, which receive(Q) picks out.
 *
 * Lifetime.  The inbox lives while its owner has the device open and is
 * alive: the last release of the owner's files of the device, the owner's
 * exit, or an exec that closes the owner's last descriptor (close-on-exec,
 * mbx_inbox_orphan(), whoever else holds the file) tears it down (queued
 * messages freed, blocked senders woken with ESRCH).  Exit is noticed
 * through the owner's struct pid: its wait_pidfd queue, which pidfd_poll()
 * also uses, is woken when the thread group has exited; our entry on it
 * queues a work item that tears the inbox down.  A descriptor inherited by
 * a child still names the parent's inbox: the child may send through it,
 * but only the owner may receive.
 *
 * Addresses are pid numbers, resolved in the caller's pid namespace to a
 * struct pid at send time; the registry is keyed by struct pid, never by
 * number, so a message queued for a process that exited is never handed
 * to a new process that got the same number.
 *
 * Locking: mbx_inbox_lock (a mutex) serialises open, close, teardown and
 * configuration.  mbx_inboxes is an rhashtable read under RCU on the send
 * path; boxes are freed after a grace period (kfree_rcu) and found ones
 * are pinned with kref_get_unless_zero().  box->lock nests inside
 * mbx_inbox_lock.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "mbx_internal.h"

/* The default inbox: bounded, as a pipe is; 64 messages. */
#define MBX_INBOX_LIMIT_DEFAULT	64

struct mbx_inbox {
	struct mbx_box box;		/* first: freed through the box */
	struct rhash_head node;		/* in mbx_inboxes, keyed by owner */
	struct pid *key;		/* == box.owner */
	wait_queue_entry_t exit_wait;	/* on owner->wait_pidfd */
	struct work_struct exit_work;
	unsigned int opens;		/* [mbx_inbox_lock] */
	bool dead;			/* [mbx_inbox_lock] torn down */
	u32 policy;			/* [box.lock] MBX_POLICY_* */
	kuid_t allow_uid;		/* [box.lock] */
};

static DEFINE_MUTEX(mbx_inbox_lock);
static struct rhashtable mbx_inboxes;
static LIST_HEAD(mbx_inbox_list);	/* [mbx_inbox_lock] live inboxes */
/* Our own queue, so that unloading can drain the exit work items. */
static struct workqueue_struct *mbx_inbox_wq;

static const struct rhashtable_params mbx_inbox_params = {
	.head_offset = offsetof(struct mbx_inbox, node),
	.key_offset = offsetof(struct mbx_inbox, key),
	.key_len = sizeof(struct pid *),
	.automatic_shrinking = true,
};

int mbx_inbox_init(void)
{
	int ret;

	mbx_inbox_wq = alloc_workqueue("mbx_inbox", 0, 0);
	if (!mbx_inbox_wq)
		return -ENOMEM;
	ret = rhashtable_init(&mbx_inboxes, &mbx_inbox_params);
	if (ret)
		destroy_workqueue(mbx_inbox_wq);
	return ret;
}

/*
 * Module unload: every inbox belongs to an open file, so none is left in
 * the table; exit work items may still hold the last references.
 */
void mbx_inbox_exit(void)
{
	destroy_workqueue(mbx_inbox_wq);
	rhashtable_destroy(&mbx_inboxes);
}

struct mbx_box *mbx_inbox_box(struct mbx_inbox *inbox)
{
	return &inbox->box;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_inbox_box);

void mbx_inbox_put(struct mbx_inbox *inbox)
{
	mbx_box_put(&inbox->box);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_inbox_put);

/* Unreachable from now on; blocked senders get ESRCH. */
static void mbx_inbox_teardown(struct mbx_inbox *inbox)
{
	lockdep_assert_held(&mbx_inbox_lock);
	if (inbox->dead)
		return;
	inbox->dead = true;
	list_del(&inbox->box.all);
	rhashtable_remove_fast(&mbx_inboxes, &inbox->node, mbx_inbox_params);
	remove_wait_queue(&inbox->box.owner->wait_pidfd, &inbox->exit_wait);
	mbx_box_kill(&inbox->box);
}

static void mbx_inbox_exit_work(struct work_struct *work)
{
	struct mbx_inbox *inbox = container_of(work, struct mbx_inbox,
					       exit_work);

	mutex_lock(&mbx_inbox_lock);
	mbx_inbox_teardown(inbox);
	mutex_unlock(&mbx_inbox_lock);
	mbx_inbox_put(inbox);
}

/*
 * Woken with the owner's wait_pidfd lock held, in the exiting task: only
 * note it and let a work item do the rest in process context.
 */
static int mbx_inbox_exit_wake(wait_queue_entry_t *wait, unsigned int mode,
			       int sync, void *key)
{
	struct mbx_inbox *inbox = container_of(wait, struct mbx_inbox,
					       exit_wait);

	if (!thread_group_exited(inbox->box.owner))
		return 0;
	/*
	 * The open files hold references while we are on the queue (the
	 * last close takes us off it first), so this is never the last.
	 */
	kref_get(&inbox->box.ref);
	if (!queue_work(mbx_inbox_wq, &inbox->exit_work))
		refcount_dec(&inbox->box.ref.refcount);
	return 0;
}

static struct mbx_inbox *mbx_inbox_new(struct pid *owner)
{
	struct mbx_open args = {
		.capacity = MBX_CAP_BOUNDED,
		.limit = MBX_INBOX_LIMIT_DEFAULT,
		.mode = 0600,
	};
	struct mbx_inbox *inbox;
	struct mbx_user *user;

	user = mbx_user_get(current_euid());
	if (!user)
		return NULL;
	inbox = kzalloc(sizeof(*inbox), GFP_KERNEL_ACCOUNT);
	if (!inbox) {
		mbx_user_put(user);
		return NULL;
	}
	mbx_box_init(&inbox->box, &args, "", user);
	inbox->box.owner = get_pid(owner);
	inbox->box.gone_err = -ESRCH;
	inbox->key = owner;
	inbox->policy = MBX_POLICY_SAME_UID;
	INIT_WORK(&inbox->exit_work, mbx_inbox_exit_work);
	init_waitqueue_func_entry(&inbox->exit_wait, mbx_inbox_exit_wake);
	return inbox;
}

/**
 * mbx_inbox_open() - the calling process's inbox, created on first open
 *
 * Return: the inbox with a reference for the open file, or NULL when out
 * of memory.
 */
struct mbx_inbox *mbx_inbox_open(void)
{
	struct pid *me = task_tgid(current);
	struct mbx_inbox *inbox;

	mutex_lock(&mbx_inbox_lock);
	inbox = rhashtable_lookup_fast(&mbx_inboxes, &me, mbx_inbox_params);
	if (inbox) {
		inbox->opens++;
		kref_get(&inbox->box.ref);
		goto out;
	}
	inbox = mbx_inbox_new(me);
	if (!inbox)
		goto out;
	if (rhashtable_insert_fast(&mbx_inboxes, &inbox->node,
				   mbx_inbox_params)) {
		mbx_inbox_put(inbox);
		inbox = NULL;
		goto out;
	}
	inbox->opens = 1;
	mbx_proc_list_add(&inbox->box, &mbx_inbox_list);
	add_wait_queue(&me->wait_pidfd, &inbox->exit_wait);
out:
	mutex_unlock(&mbx_inbox_lock);
	return inbox;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_inbox_open);

/* An open file of the device goes away. */
void mbx_inbox_close(struct mbx_inbox *inbox)
{
	mutex_lock(&mbx_inbox_lock);
	if (--inbox->opens == 0)
		mbx_inbox_teardown(inbox);
	mutex_unlock(&mbx_inbox_lock);
	mbx_inbox_put(inbox);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_inbox_close);

/**
 * mbx_inbox_orphan() - the owner's exec closed its last descriptor of it
 * @inbox:	its inbox
 *
 * Tear it down now, even if the file lives on elsewhere (a forked child,
 * SCM_RIGHTS).  No receive of the owner's can be running on it: the exec
 * has ended every other thread.
 */
void mbx_inbox_orphan(struct mbx_inbox *inbox)
{
	mutex_lock(&mbx_inbox_lock);
	mbx_inbox_teardown(inbox);
	mutex_unlock(&mbx_inbox_lock);
}

/**
 * mbx_inbox_find() - the inbox of a process, for sending to it
 * @pid:	the process (thread group)
 *
 * Return: the inbox with a reference, or NULL if it has none.
 */
struct mbx_inbox *mbx_inbox_find(struct pid *pid)
{
	struct mbx_inbox *inbox;

	rcu_read_lock();
	inbox = rhashtable_lookup(&mbx_inboxes, &pid, mbx_inbox_params);
	if (inbox && !kref_get_unless_zero(&inbox->box.ref))
		inbox = NULL;
	rcu_read_unlock();
	return inbox;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_inbox_find);

/*
 * kill(2)'s rule (kill_ok_by_cred()): the sender's real or effective uid
 * is the target's real or saved uid, with the owner's credentials as they
 * are now, not as they were when it opened the device.
 */
static bool mbx_same_user(struct pid *owner)
{
	const struct cred *cred = current_cred(), *tcred;
	struct task_struct *task;
	bool same = false;

	rcu_read_lock();
	task = pid_task(owner, PIDTYPE_TGID);
	if (task) {
		tcred = __task_cred(task);
		same = uid_eq(cred->euid, tcred->suid) ||
		       uid_eq(cred->euid, tcred->uid) ||
		       uid_eq(cred->uid, tcred->suid) ||
		       uid_eq(cred->uid, tcred->uid);
	}
	rcu_read_unlock();
	return same;
}

/**
 * mbx_inbox_may_send() - may the caller send to @inbox?
 * @inbox:	the receiver's inbox
 *
 * The receiver's policy decides: by default senders that kill(2) would
 * let signal the owner without privilege, or CAP_IPC_OWNER;
 * MBX_POLICY_REFUSE and MBX_POLICY_ONE_UID are the receiver's explicit
 * choice and bind privileged senders too.
 *
 * Return: 0 or -EPERM.
 */
int mbx_inbox_may_send(struct mbx_inbox *inbox)
{
	kuid_t allow;
	u32 policy;

	spin_lock(&inbox->box.lock);
	allow = inbox->allow_uid;
	policy = inbox->policy;
	spin_unlock(&inbox->box.lock);

	switch (policy) {
	case MBX_POLICY_ANYONE:
		return 0;
	case MBX_POLICY_ONE_UID:
		return uid_eq(current_euid(), allow) ? 0 : -EPERM;
	case MBX_POLICY_SAME_UID:
		if (mbx_same_user(inbox->box.owner))
			return 0;
		return capable(CAP_IPC_OWNER) ? 0 : -EPERM;
	default:
		return -EPERM;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mbx_inbox_may_send);

/**
 * mbx_inbox_set() - MBX_IOC_INBOX_SET on the caller's own inbox
 * @inbox:	the inbox
 * @cfg:	validated configuration
 *
 * A capacity change waits for sends and receives in flight that have not
 * blocked (mbx_box_settle()).
 *
 * Return: 0, -EINVAL (a uid with no mapping), -EBUSY (capacity change
 * while messages are queued or tasks blocked, or an operation still in
 * flight after a second), -ESRCH (torn down), -EINTR (a signal while
 * waiting).
 */
int mbx_inbox_set(struct mbx_inbox *inbox, const struct mbx_inbox_config *cfg)
{
	struct mbx_box *box = &inbox->box;
	kuid_t allow = INVALID_UID;
	int ret = 0;

	if (cfg->policy == MBX_POLICY_ONE_UID) {
		allow = make_kuid(current_user_ns(), cfg->allow_uid);
		if (!uid_valid(allow))
			return -EINVAL;
	}
	spin_lock(&box->lock);
	if (cfg->flags & MBX_INBOX_SET_CAPACITY)
		ret = mbx_box_settle(box);
	else if (box->destroyed)
		ret = box->gone_err;
	if (ret)
		goto out;
	if (cfg->flags & MBX_INBOX_SET_CAPACITY) {
		box->capacity = cfg->capacity;
		box->limit = cfg->limit;
	}
	if (cfg->flags & MBX_INBOX_SET_MSGSIZE)
		WRITE_ONCE(box->max_msg_size, cfg->max_msg_size);
	if (cfg->flags & MBX_INBOX_SET_POLICY) {
		inbox->policy = cfg->policy;
		inbox->allow_uid = allow;
	}
	box->change_time = ktime_get_real_ns();
out:
	spin_unlock(&box->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_inbox_set);

/*
 * /proc/mbx/inboxes: walked under mbx_inbox_lock; a reader sees the
 * inboxes of the uid that opened the file (all of them if the opener had
 * CAP_IPC_OWNER), with pids in the proc mount's pid namespace.
 */
static void *mbx_inbox_seq_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&mbx_inbox_lock);
	return mbx_proc_list_start(&mbx_inbox_list, *pos);
}

static void *mbx_inbox_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	return mbx_proc_list_next(&mbx_inbox_list, v, pos);
}

static void mbx_inbox_seq_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&mbx_inbox_lock);
}

static int mbx_inbox_seq_show(struct seq_file *m, void *v)
{
	struct mbx_box *box;
	pid_t pid;

	if (v == &mbx_inbox_list) {
		mbx_proc_show_header(m, true);
		return 0;
	}
	box = list_entry(v, struct mbx_box, all);
	pid = pid_nr_ns(box->owner, mbx_proc_pid_ns(m));
	if (!pid)
		return 0;	/* not in the proc mount's pid namespace */
	/* The opener's credentials, not the reader's (mbx_registry.c). */
	if (!uid_eq(box->uid, m->file->f_cred->euid) &&
	    !file_ns_capable(m->file, &init_user_ns, CAP_IPC_OWNER))
		return 0;
	seq_printf(m, "%7d ", pid);
	mbx_proc_show_box(m, box);
	return 0;
}

const struct seq_operations mbx_inbox_seq_ops = {
	.start	= mbx_inbox_seq_start,
	.next	= mbx_inbox_seq_next,
	.stop	= mbx_inbox_seq_stop,
	.show	= mbx_inbox_seq_show,
};
