// SPDX-License-Identifier: GPL-2.0
/*
 * Messages: their memory, their quota charge, and the queue of a buffered
 * mailbox.  The queue is box->queue, under box->lock (mbx_box.c).
 *
 * A spare.  A receive that takes a large message from a queue that still
 * holds others keeps the message's memory (header and payload block) in
 * box->spare, and the next send of about that size takes it instead of
 * allocating: as fs/pipe.c keeps one freed page (tmp_page) for its next
 * write.  A stream whose queue has filled (the receiver never waiting, so
 * every message queued, copied in and out) then allocates, zeroes
 * (Debian's kernel has init_on_alloc) and frees nothing: measured in one
 * boot, three alternations, a 64-deep bounded stream of 64 KiB messages
 * went from 2,344-2,442 to 3,619-4,087 MB/s (process_vm_readv(): 2,450-
 * 2,720).  The spare is kept only while messages are queued: the receive
 * (or the synchronous sender taking its message back) that empties the
 * queue frees it, and so does a destroy, so an idle mailbox holds none;
 * a receive that kept it looks again once it is published, in case the
 * queue emptied or the box died meanwhile.  Like pipe's page it stays charged to the memory
 * cgroup that allocated it; the byte quota is charged per message, spare
 * or not.  Only box->spare's xchg()/cmpxchg() guard it.
 */
#include <linux/cred.h>
#include <linux/list.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mbx_box.h"

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

/* What a message holds besides its memory: its charge and its sender. */
static void mbx_msg_drop_refs(struct mbx_msg *msg)
{
	mbx_user_uncharge_bytes(msg->charged, sizeof(*msg) + msg->len);
	mbx_user_put(msg->charged);
	put_pid(msg->sender);
}

void mbx_msg_free(struct mbx_msg *msg)
{
	mbx_msg_drop_refs(msg);
	mbx_msg_release(msg);
}

/*
 * The spare's memory, if there is one, is freed.  A look first: every
 * receive that empties its queue comes here, small ones included, and
 * most find no spare, which needs no atomic exchange.
 */
void mbx_msg_spare_free(struct mbx_box *box)
{
	struct mbx_msg *spare;

	if (!READ_ONCE(box->spare))
		return;
	spare = xchg(&box->spare, NULL);
	if (spare)
		mbx_msg_release(spare);
}

/*
 * Free @msg, just received from @box, or keep its memory as the box's
 * spare: a payload of its own, while messages are still queued
 * (@queued) and no spare is kept already.  The receive that empties the
 * queue frees the spare too.
 */
void mbx_msg_free_received(struct mbx_box *box, struct mbx_msg *msg,
			   bool queued)
{
	bool empty;

	mbx_msg_drop_refs(msg);
	if (!queued) {
		mbx_msg_spare_free(box);
	} else if (msg->data != msg->inline_data &&
		   !cmpxchg(&box->spare, NULL, msg)) {
		/* The queue may have emptied, or the box died, since. */
		spin_lock(&box->lock);
		empty = list_empty(&box->queue) || box->destroyed;
		spin_unlock(&box->lock);
		if (empty)
			mbx_msg_spare_free(box);
		return;
	}
	mbx_msg_release(msg);
}

/*
 * The spare, if one is kept and fits a payload of @len bytes without
 * wasting more than that (its payload block holds spare->len bytes);
 * else NULL, and a spare that does not fit is freed.
 */
static struct mbx_msg *mbx_msg_take_spare(struct mbx_box *box, size_t len)
{
	struct mbx_msg *spare;

	if (len <= MBX_MSG_INLINE_MAX || !READ_ONCE(box->spare))
		return NULL;
	spare = xchg(&box->spare, NULL);
	if (spare && (spare->len < len || spare->len / 2 > len)) {
		mbx_msg_release(spare);
		spare = NULL;
	}
	return spare;
}

struct mbx_msg *mbx_msg_new(struct mbx_box *box, struct mbx_user *charge,
			    const struct mbx_sendop *op)
{
	struct mbx_msg *msg;
	int ret;

	ret = mbx_user_charge_bytes(charge, sizeof(*msg) + op->len,
				    READ_ONCE(mbx_user_bytes_max));
	if (ret)
		return ERR_PTR(ret);
	msg = mbx_msg_take_spare(box, op->len) ?: mbx_msg_alloc(op->len);
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

/*
 * A queued message made of @small, a small message of @len bytes that a
 * receiver could not copy out of its stack (mbx_send_small()), to put
 * back in line.  It takes over the quota charge and the reference on
 * small->charged (its sender's user, charged as for a queued message
 * when it was sent) and the reference on @sender.  It cannot fail: the
 * message must not be lost, and the allocation is small.
 */
struct mbx_msg *mbx_msg_restore(const struct mbx_small *small, size_t len,
				struct pid *sender, kuid_t uid)
{
	struct mbx_msg *msg;

	msg = kmalloc(struct_size(msg, inline_data, len),
		      GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	msg->data = msg->inline_data;
	memcpy(msg->data, small->data, len);
	msg->len = len;
	msg->charged = small->charged;
	msg->sender = sender;
	msg->sender_uid = uid;
	msg->sync = NULL;
	msg->seq = small->seq;
	return msg;
}

static void mbx_queue_count(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock)
{
	box->msg_count++;
	box->msg_bytes += msg->len;
}

/* Queue @msg, just stamped (mbx_msg_stamp()): last in line. */
void mbx_queue_add(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock)
{
	list_add_tail(&msg->node, &box->queue);
	mbx_queue_count(box, msg);
}

/*
 * Queue @msg where it was, after a receiver took it and could not copy
 * it out: behind the messages that entered the line before it, ahead of
 * those that entered after.  The queue is in order of msg->seq (each is
 * stamped as it is queued at the tail), so the receive that failed
 * changed nothing, even one that took its message from the middle of the
 * queue (receive(Q)).  A walk, but only after a fault.
 */
void mbx_queue_put_back(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock)
{
	struct mbx_msg *pos;

	list_for_each_entry(pos, &box->queue, node)
		if (pos->seq > msg->seq)
			break;
	list_add_tail(&msg->node, &pos->node);
	mbx_queue_count(box, msg);
}

void mbx_queue_del(struct mbx_box *box, struct mbx_msg *msg)
	__must_hold(&box->lock)
{
	list_del(&msg->node);
	box->msg_count--;
	box->msg_bytes -= msg->len;
}

/*
 * The first queued message a receive from @from would take, FIFO: with a
 * filter (receive(Q)) that is a walk past other senders' messages.
 */
struct mbx_msg *mbx_queue_first(struct mbx_box *box,
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
