// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user accounting: queued message bytes and mailboxes created.
 *
 * One struct mbx_user per kuid that holds anything, found in mbx_users (an
 * xarray indexed by the kuid's value) and freed with its last reference.
 * Lookups happen when a handle is opened or a mailbox created, never on
 * the send or receive path: handles keep their user referenced, and
 * charging is a lock-free atomic on the counters.
 *
 * Locking: mbx_users_lock (a mutex) serialises lookup-or-insert against
 * the final put, so a user being freed is never handed out again.  Only
 * the put that may drop the last reference takes it
 * (refcount_dec_and_mutex_lock()): every queued message holds a reference
 * and drops it when received, and the receive path takes no global lock.
 */
#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include "mbx_internal.h"

static DEFINE_XARRAY(mbx_users);
static DEFINE_MUTEX(mbx_users_lock);

/**
 * mbx_user_get() - the accounting record of @uid, created on first use
 * @uid:	the user
 *
 * Return: a referenced record, or NULL when out of memory.
 */
struct mbx_user *mbx_user_get(kuid_t uid)
{
	unsigned long index = __kuid_val(uid);
	struct mbx_user *user;

	mutex_lock(&mbx_users_lock);
	user = xa_load(&mbx_users, index);
	if (user) {
		refcount_inc(&user->ref);
		goto out;
	}
	user = kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
	if (!user)
		goto out;
	user->uid = uid;
	refcount_set(&user->ref, 1);
	if (xa_err(xa_store(&mbx_users, index, user, GFP_KERNEL_ACCOUNT))) {
		kfree(user);
		user = NULL;
	}
out:
	mutex_unlock(&mbx_users_lock);
	return user;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_user_get);

void mbx_user_put(struct mbx_user *user)
{
	if (!user || !refcount_dec_and_mutex_lock(&user->ref, &mbx_users_lock))
		return;
	xa_erase(&mbx_users, __kuid_val(user->uid));
	kfree(user);
	mutex_unlock(&mbx_users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_user_put);

/**
 * mbx_user_charge_bytes() - reserve @bytes of @user's queued-bytes quota
 * @user:	who pays
 * @bytes:	message header and payload
 * @max:	the quota
 *
 * Return: 0, or -ENOBUFS when the charge would pass @max (nothing is
 * charged then).
 */
int mbx_user_charge_bytes(struct mbx_user *user, size_t bytes,
			  unsigned long max)
{
	long old = atomic_long_read(&user->bytes);

	/*
	 * Compare and exchange, not add and take back: a charge that fails
	 * (a large message) must not, for the moment it is added, make a
	 * concurrent small one that fits fail too.
	 */
	do {
		if (bytes > max || (unsigned long)old > max - bytes)
			return -ENOBUFS;
	} while (!atomic_long_try_cmpxchg(&user->bytes, &old, old + bytes));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_user_charge_bytes);

void mbx_user_uncharge_bytes(struct mbx_user *user, size_t bytes)
{
	atomic_long_sub(bytes, &user->bytes);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_user_uncharge_bytes);

/**
 * mbx_user_charge_mailbox() - count one more mailbox created by @user
 * @user:	the creator
 * @max:	the limit
 *
 * Return: 0 or -ENOSPC (as msgget() when MSGMNI is reached).
 */
int mbx_user_charge_mailbox(struct mbx_user *user, unsigned int max)
{
	int old = atomic_read(&user->mailboxes);

	do {	/* as mbx_user_charge_bytes(): no transient overcount */
		if ((unsigned int)old >= max)
			return -ENOSPC;
	} while (!atomic_try_cmpxchg(&user->mailboxes, &old, old + 1));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_user_charge_mailbox);

void mbx_user_uncharge_mailbox(struct mbx_user *user)
{
	atomic_dec(&user->mailboxes);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_user_uncharge_mailbox);
