// SPDX-License-Identifier: GPL-2.0
/*
 * Messages: their memory, their quota charge, and the queue of a buffered
 * mailbox.  The queue is box->queue, under box->lock (mbx_box.c).
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

void mbx_msg_free(struct mbx_msg *msg)
{
	mbx_user_uncharge_bytes(msg->charged, sizeof(*msg) + msg->len);
	mbx_user_put(msg->charged);
	put_pid(msg->sender);
	mbx_msg_release(msg);
}

struct mbx_msg *mbx_msg_new(struct mbx_user *charge,
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

void mbx_queue_add(struct mbx_box *box, struct mbx_msg *msg, bool head)
	__must_hold(&box->lock)
{
	if (head)
		list_add(&msg->node, &box->queue);
	else
		list_add_tail(&msg->node, &box->queue);
	box->msg_count++;
	box->msg_bytes += msg->len;
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
