// SPDX-License-Identifier: GPL-2.0
/*
 * The registry: every live mailbox by id, by name and by key.
 *
 *  - mbx_ids: an allocating xarray, id -> mailbox.  Ids are allocated
 *    cyclically from 1 to INT_MAX, so a destroyed mailbox's id is not
 *    handed out again soon and an old id finds nothing (ENOENT) rather
 *    than a stranger's mailbox.
 *  - mbx_names: an rhashtable keyed by the zero-padded name.
 *  - mbx_keys: an xarray, key -> mailbox.
 *
 * Locking: mbx_registry_lock, a mutex, serialises create, open-by-lookup
 * and destroy, which are not on the send/receive path.  A mailbox is in
 * all three indexes (those that apply) or in none; it holds one reference
 * for being registered, dropped when it is destroyed.  box->lock nests
 * inside mbx_registry_lock.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "mbx_internal.h"

static DEFINE_MUTEX(mbx_registry_lock);
static DEFINE_XARRAY_ALLOC1(mbx_ids);
static DEFINE_XARRAY(mbx_keys);
static LIST_HEAD(mbx_boxes);		/* every registered mailbox, by age */
static struct rhashtable mbx_names;
static u32 mbx_next_id;

static const struct rhashtable_params mbx_name_params = {
	.head_offset = offsetof(struct mbx_box, name_node),
	.key_offset = offsetof(struct mbx_box, name),
	.key_len = MBX_NAME_MAX + 1,
	.automatic_shrinking = true,
};

int mbx_registry_init(void)
{
	return rhashtable_init(&mbx_names, &mbx_name_params);
}

/*
 * Take a mailbox out of every index.  Its creator's mailbox count drops
 * here, not when the last handle closes: a destroyed mailbox is gone for
 * its user even while old handles still hold the memory.
 */
static void mbx_registry_unlink(struct mbx_box *box)
{
	lockdep_assert_held(&mbx_registry_lock);
	mbx_user_uncharge_mailbox(box->creator);
	list_del(&box->all);
	xa_erase(&mbx_ids, box->id);
	if (box->key)
		xa_erase(&mbx_keys, box->key);
	if (box->name[0])
		rhashtable_remove_fast(&mbx_names, &box->name_node,
				       mbx_name_params);
}

static struct mbx_box *mbx_registry_create(const struct mbx_open *args,
					   const char *name)
{
	struct mbx_user *creator;
	struct mbx_box *box;
	int ret;

	lockdep_assert_held(&mbx_registry_lock);
	creator = mbx_user_get(current_euid());
	if (!creator)
		return ERR_PTR(-ENOMEM);
	ret = mbx_user_charge_mailbox(creator,
				      READ_ONCE(mbx_user_mailboxes_max));
	if (ret && !capable(CAP_SYS_RESOURCE)) {
		mbx_user_put(creator);
		return ERR_PTR(ret);
	}
	if (ret)	/* over the limit but privileged: count it anyway */
		atomic_inc(&creator->mailboxes);

	box = mbx_box_alloc(args, name, creator);
	if (!box) {
		mbx_user_uncharge_mailbox(creator);
		mbx_user_put(creator);
		return ERR_PTR(-ENOMEM);
	}
	/* From here on freeing the box drops the creator reference. */
	ret = xa_alloc_cyclic(&mbx_ids, &box->id, NULL, XA_LIMIT(1, INT_MAX),
			      &mbx_next_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto out_put;
	if (box->key) {
		ret = xa_insert(&mbx_keys, box->key, box, GFP_KERNEL_ACCOUNT);
		if (ret)
			goto out_erase_id;
	}
	if (box->name[0]) {
		ret = rhashtable_lookup_insert_fast(&mbx_names, &box->name_node,
						    mbx_name_params);
		if (ret)
			goto out_erase_key;
	}
	/* Published last: nothing can find a half-made mailbox. */
	xa_store(&mbx_ids, box->id, box, 0);
	mbx_proc_list_add(box, &mbx_boxes);
	return box;

out_erase_key:
	if (box->key)
		xa_erase(&mbx_keys, box->key);
out_erase_id:
	xa_erase(&mbx_ids, box->id);
out_put:
	mbx_user_uncharge_mailbox(creator);
	mbx_box_put(box);
	return ERR_PTR(ret == -EBUSY ? -ENOSPC : ret);
}

/* Find the mailbox @args names (not MBX_O_PRIVATE).  NULL if none. */
static struct mbx_box *mbx_registry_find(const struct mbx_open *args,
					 const char *name, int *conflict)
{
	struct mbx_box *by_name = NULL, *by_key = NULL;

	lockdep_assert_held(&mbx_registry_lock);
	*conflict = 0;
	if (args->flags & MBX_O_BY_ID)
		return xa_load(&mbx_ids, args->id);
	if (name[0]) {
		char key[MBX_NAME_MAX + 1] = {};

		strscpy(key, name, sizeof(key));
		by_name = rhashtable_lookup_fast(&mbx_names, key,
						 mbx_name_params);
	}
	if (args->key)
		by_key = xa_load(&mbx_keys, args->key);
	if (name[0] && args->key && by_name != by_key) {
		/* Name and key must name one mailbox, or be both free. */
		*conflict = -EEXIST;
		return NULL;
	}
	return by_name ?: by_key;
}

/**
 * mbx_registry_open() - create or open a mailbox, MBX_IOC_OPEN's core
 * @args:	validated arguments
 * @name:	the name read from the caller, "" for none
 * @boxp:	out: the mailbox, with a reference for the new handle
 *
 * Return: 0, -ENOENT (no such mailbox and no MBX_O_CREAT, or a name and a
 * key that name different mailboxes), -EEXIST (MBX_O_CREAT|MBX_O_EXCL and
 * it exists, or its name or key is taken by another), -EACCES (its mode
 * denies the access asked for), -ENOSPC (the user's mailbox limit, or no
 * free id), -ENOMEM.
 */
int mbx_registry_open(const struct mbx_open *args, const char *name,
		      struct mbx_box **boxp)
{
	struct mbx_box *box;
	int conflict, ret = 0;

	mutex_lock(&mbx_registry_lock);
	if (args->flags & MBX_O_PRIVATE) {
		box = mbx_registry_create(args, name);
		if (IS_ERR(box))
			ret = PTR_ERR(box);
		else
			kref_get(&box->ref);
		goto out;
	}

	box = mbx_registry_find(args, name, &conflict);
	if (box) {
		if ((args->flags & (MBX_O_CREAT | MBX_O_EXCL)) ==
		    (MBX_O_CREAT | MBX_O_EXCL)) {
			ret = -EEXIST;
			goto out;
		}
		if (args->flags & (MBX_O_SEND | MBX_O_RECV))
			ret = mbx_box_permission(box, args->flags);
		else if (!mbx_box_may_control(box))
			/* A control handle: for its owner, or a reader. */
			ret = mbx_box_permission(box, MBX_O_RECV);
		if (ret)
			goto out;
		kref_get(&box->ref);
		goto out;
	}
	if (conflict) {
		ret = (args->flags & MBX_O_CREAT) ? conflict : -ENOENT;
		goto out;
	}
	if (!(args->flags & MBX_O_CREAT) || (args->flags & MBX_O_BY_ID)) {
		ret = -ENOENT;
		goto out;
	}
	box = mbx_registry_create(args, name);
	if (IS_ERR(box)) {
		ret = PTR_ERR(box);
		goto out;
	}
	/* The registry keeps the creation reference; this one is the handle's. */
	kref_get(&box->ref);
out:
	if (!ret)
		*boxp = box;
	mutex_unlock(&mbx_registry_lock);
	return ret;
}

/**
 * mbx_registry_destroy() - MBX_IOC_DESTROY
 * @box:	the mailbox of the caller's handle
 *
 * Return: 0, -EPERM (not owner, creator or CAP_IPC_OWNER), -EIDRM
 * (destroyed already).
 */
int mbx_registry_destroy(struct mbx_box *box)
{
	int ret = 0;

	/*
	 * Gone first, as for every other call on the handle (and for
	 * System V's IPC_RMID): EIDRM, not EPERM, to anyone.
	 */
	mutex_lock(&mbx_registry_lock);
	if (xa_load(&mbx_ids, box->id) != box)
		ret = -EIDRM;
	else if (!mbx_box_may_control(box))
		ret = -EPERM;
	if (ret) {
		mutex_unlock(&mbx_registry_lock);
		return ret;
	}
	mbx_registry_unlink(box);
	mutex_unlock(&mbx_registry_lock);

	mbx_box_kill(box);
	mbx_box_put(box);	/* the registry's reference */
	return 0;
}

/* Module unload: no handle is open (each pins the module). */
void mbx_registry_exit(void)
{
	struct mbx_box *box;
	unsigned long id;

	mutex_lock(&mbx_registry_lock);
	xa_for_each(&mbx_ids, id, box) {
		mbx_registry_unlink(box);
		mbx_box_put(box);
	}
	mutex_unlock(&mbx_registry_lock);
	rhashtable_destroy(&mbx_names);
}

/*
 * /proc/mbx/mailboxes: the registry is walked with mbx_registry_lock held
 * from start to stop, so a pass sees no mailbox half created or
 * destroyed, and each row is one snapshot under the box's lock.  A long
 * listing takes several passes, which resume by position, not by count
 * (mbx_proc_list_start()).
 */
static void *mbx_registry_seq_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&mbx_registry_lock);
	return mbx_proc_list_start(&mbx_boxes, *pos);
}

static void *mbx_registry_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	return mbx_proc_list_next(&mbx_boxes, v, pos);
}

static void mbx_registry_seq_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&mbx_registry_lock);
}

/* in_group_p() for credentials other than the current task's. */
static bool mbx_cred_in_group(const struct cred *cred, kgid_t gid)
{
	const struct group_info *groups = cred->group_info;
	int i;

	if (gid_eq(cred->fsgid, gid))
		return true;
	for (i = 0; i < groups->ngroups; i++)
		if (gid_eq(groups->gid[i], gid))
			return true;
	return false;
}

/*
 * May the opener of the /proc file receive from @box?  The rule of
 * mbx_box_permission(), with the credentials the file was opened with
 * (m->file->f_cred), not the reader's: a descriptor opened by one user
 * and read by a more privileged process (passed over a socket, kept
 * across a setuid exec) shows no more than its opener may see.
 */
static bool mbx_proc_may_read(struct seq_file *m, struct mbx_box *box)
{
	const struct cred *cred = m->file->f_cred;
	kgid_t gid, cgid;
	bool owner;
	umode_t mode;

	spin_lock(&box->lock);
	owner = uid_eq(cred->euid, box->uid) || uid_eq(cred->euid, box->cuid);
	gid = box->gid;
	cgid = box->cgid;
	mode = box->mode;
	spin_unlock(&box->lock);

	if (owner)
		mode >>= 6;
	else if (mbx_cred_in_group(cred, gid) || mbx_cred_in_group(cred, cgid))
		mode >>= 3;
	if (mode & 4)
		return true;
	return file_ns_capable(m->file, &init_user_ns, CAP_IPC_OWNER);
}

static int mbx_registry_seq_show(struct seq_file *m, void *v)
{
	struct mbx_box *box;

	if (v == &mbx_boxes) {
		mbx_proc_show_header(m, false);
		return 0;
	}
	box = list_entry(v, struct mbx_box, all);
	/* Only what ipcs would show: mailboxes the opener may receive from. */
	if (!mbx_proc_may_read(m, box))
		return 0;
	mbx_proc_show_box(m, box);
	return 0;
}

const struct seq_operations mbx_registry_seq_ops = {
	.start	= mbx_registry_seq_start,
	.next	= mbx_registry_seq_next,
	.stop	= mbx_registry_seq_stop,
	.show	= mbx_registry_seq_show,
};
