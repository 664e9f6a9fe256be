// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mailbox: message passing between processes.
 *
 * This file holds the misc device, the module's parameters and the ioctl
 * dispatcher.  Identifiers use the mbx_ prefix so that nothing collides
 * with the kernel's hardware mailbox framework (CONFIG_MAILBOX, mbox_*).
 *
 * Each open of /dev/mailbox gets its own struct mbx_client, kept in
 * file->private_data; nothing is shared between opens.  The client holds a
 * reference to the opening process's struct pid (never a raw pid number or
 * an unreferenced task), which names its owner in the kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/poll.h>
#include <asm/ioctls.h>
#include <kunit/visibility.h>

#include "mbx_internal.h"

/*
 * Limits.  The default maximum message size matches POSIX mq's msgsize_max
 * default (8 KiB); a mailbox may ask for up to the cap, which must allow
 * the 4 MiB messages users need and is a module parameter so an
 * administrator can lower it.  Both are read-only after load: mailboxes
 * keep the size they were created with.
 */
#define MBX_MAX_MSG_SIZE_DEFAULT	(8U << 10)
#define MBX_MAX_MSG_SIZE_CAP_DEFAULT	(16U << 20)
#define MBX_MAX_MSG_SIZE_CAP_LIMIT	(256U << 20)

unsigned int mbx_max_msg_size = MBX_MAX_MSG_SIZE_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(mbx_max_msg_size);
module_param_named(max_msg_size, mbx_max_msg_size, uint, 0444);
MODULE_PARM_DESC(max_msg_size,
		 "Default maximum message size of a new mailbox, bytes (8192)");

unsigned int mbx_max_msg_size_cap = MBX_MAX_MSG_SIZE_CAP_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(mbx_max_msg_size_cap);
module_param_named(max_msg_size_cap, mbx_max_msg_size_cap, uint, 0444);
MODULE_PARM_DESC(max_msg_size_cap,
		 "Largest maximum message size a mailbox may ask for, bytes (16 MiB, at most 256 MiB)");

/*
 * Per-user limits.  Every queued message (header and payload) is charged
 * to the user who opened the handle it was sent through, whatever the
 * capacity mode, so no user can pin more than user_bytes_max of kernel
 * memory in queues; a send past it fails with ENOBUFS and changes
 * nothing.  64 MiB by default: eight times POSIX mq's default
 * RLIMIT_MSGQUEUE of 800 KiB would be too small for the 4 MiB messages
 * mailboxes must carry.  user_mailboxes_max bounds how many mailboxes one
 * user may create (ENOSPC past it; CAP_SYS_RESOURCE is exempt).  Both can
 * be changed at run time through /sys/module/mbx/parameters.
 */
#define MBX_USER_BYTES_DEFAULT		(64UL << 20)
#define MBX_USER_MAILBOXES_DEFAULT	1024

unsigned long mbx_user_bytes_max = MBX_USER_BYTES_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(mbx_user_bytes_max);
module_param_named(user_bytes_max, mbx_user_bytes_max, ulong, 0644);
MODULE_PARM_DESC(user_bytes_max,
		 "Bytes of queued messages one user may hold (64 MiB)");

unsigned int mbx_user_mailboxes_max = MBX_USER_MAILBOXES_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(mbx_user_mailboxes_max);
module_param_named(user_mailboxes_max, mbx_user_mailboxes_max, uint, 0644);
MODULE_PARM_DESC(user_mailboxes_max,
		 "Mailboxes one user may create (1024)");

/*
 * How long a rendezvous (zero-capacity) sender or receiver about to sleep
 * may spin first, while its peer runs on another CPU (mbx_wait_spin() in
 * mbx_wait.c); 0 turns spinning off, as on a host whose CPUs are
 * overcommitted.  Read at each wait.  At most 1 ms: a write past it fails
 * with EINVAL and changes nothing.
 */
#define MBX_SPIN_NS_DEFAULT	(100 * NSEC_PER_USEC)
#define MBX_SPIN_NS_MAX		NSEC_PER_MSEC

static int mbx_spin_ns_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, MBX_SPIN_NS_MAX);
}

static const struct kernel_param_ops mbx_spin_ns_ops = {
	.set = mbx_spin_ns_set,
	.get = param_get_uint,
};

unsigned int mbx_spin_ns = MBX_SPIN_NS_DEFAULT;
module_param_cb(spin_ns, &mbx_spin_ns_ops, &mbx_spin_ns, 0644);
MODULE_PARM_DESC(spin_ns,
		 "Nanoseconds a rendezvous may spin for a peer running on another CPU before it sleeps (100000; 0: never; at most 1000000)");

/**
 * struct mbx_client - one open file of /dev/mailbox
 * @inbox:	the opener's inbox (mbx_inbox.c), shared by all its opens
 * @user:	the opener's accounting record: pays for what it sends
 */
struct mbx_client {
	struct mbx_inbox *inbox;
	struct mbx_user *user;
};

/**
 * mbx_info_fill() - answer MBX_IOC_INFO
 * @info:	the caller's request, copied in; filled on success
 *
 * Return: 0, or -EINVAL for flags or reserved fields that are not zero.
 */
VISIBLE_IF_KUNIT int mbx_info_fill(struct mbx_info *info)
{
	if (info->flags || info->__reserved)
		return -EINVAL;

	info->abi_version = MBX_ABI_VERSION;
	info->features = MBX_FEATURES_SUPPORTED;
	info->max_msg_size = mbx_max_msg_size;
	info->max_msg_size_cap = mbx_max_msg_size_cap;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_info_fill);

static long mbx_ioctl_info(void __user *uarg)
{
	struct mbx_info info;
	int ret;

	ret = mbx_uarg_copy_in(&info, sizeof(info), MBX_INFO_SIZE_VER0, uarg);
	if (ret)
		return ret;
	ret = mbx_info_fill(&info);
	if (ret)
		return ret;
	return mbx_uarg_copy_out(uarg, &info, sizeof(info));
}

static long mbx_ioctl_open(void __user *uarg)
{
	char name[MBX_NAME_MAX + 1] = {};
	struct mbx_handle_slot slot;
	struct mbx_open args;
	__u32 __user *uid;
	struct mbx_box *box;
	u32 old_id;
	long len;
	int ret;

	ret = mbx_uarg_copy_in(&args, sizeof(args), MBX_OPEN_SIZE_VER0, uarg);
	if (ret)
		return ret;
	uid = &((struct mbx_open __user *)uarg)->id;
	old_id = args.id;
	if (!(args.flags & MBX_O_BY_ID))
		args.id = 0;	/* output only: ignore what was there */
	ret = mbx_open_check(&args);
	if (ret)
		return ret;
	if (args.name) {
		len = strncpy_from_user(name, u64_to_user_ptr(args.name),
					sizeof(name));
		if (len < 0)
			return len;
		if (len == sizeof(name))
			return -ENAMETOOLONG;
		if (len == 0)
			return -EINVAL;
	}
	/*
	 * Prove the result can be written before creating anything: write
	 * the id field back as it was, so that a failed call changes nothing.
	 */
	if (put_user(old_id, uid))
		return -EFAULT;

	ret = mbx_handle_reserve(&slot, args.flags);
	if (ret)
		return ret;
	ret = mbx_registry_open(&args, name, &box);
	if (ret) {
		mbx_handle_abort(&slot);
		return ret;
	}
	/*
	 * Write the id back before the descriptor is installed: once it is,
	 * it cannot be taken back, and a fault then would leak it.  The
	 * check above makes a fault here possible only if another thread
	 * unmapped or protected the structure meanwhile; the call then fails
	 * with no descriptor, though a mailbox it created stays (reachable
	 * by its name, key or id, as a file O_CREAT made stays when open()
	 * fails later).  Nothing can fail after mbx_handle_commit().
	 */
	if (put_user(box->id, uid)) {
		mbx_box_put(box);
		mbx_handle_abort(&slot);
		return -EFAULT;
	}
	return mbx_handle_commit(&slot, box);
}

/*
 * Only the process that opened the device receives from (and configures)
 * the inbox: a descriptor inherited across fork still names the parent's
 * inbox, and the child must open the device to get its own.
 */
static int mbx_client_owns_inbox(struct mbx_client *client)
{
	return mbx_inbox_box(client->inbox)->owner == task_tgid(current) ?
	       0 : -EPERM;
}

static const struct file_operations mbx_fops;

/**
 * mbx_dev_recv_box() - the inbox a receive on @file takes from
 * @file:	any file
 *
 * Return: the caller's inbox (valid while @file is held), NULL when @file
 * is not /dev/mailbox, ERR_PTR(-EPERM) when another process opened it.
 */
struct mbx_box *mbx_dev_recv_box(struct file *file)
{
	struct mbx_client *client = file->private_data;

	if (file->f_op != &mbx_fops)
		return NULL;
	if (mbx_client_owns_inbox(client))
		return ERR_PTR(-EPERM);
	return mbx_inbox_box(client->inbox);
}

static long mbx_ioctl_inbox_set(struct mbx_client *client, void __user *uarg)
{
	struct mbx_inbox_config cfg;
	int ret;

	ret = mbx_uarg_copy_in(&cfg, sizeof(cfg), MBX_INBOX_CONFIG_SIZE_VER0,
			       uarg);
	if (ret)
		return ret;
	ret = mbx_inbox_config_check(&cfg);
	if (ret)
		return ret;
	ret = mbx_client_owns_inbox(client);
	if (ret)
		return ret;
	return mbx_inbox_set(client->inbox, &cfg);
}

static long mbx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mbx_client *client = file->private_data;
	void __user *uarg = (void __user *)arg;
	int ret;

	if (cmd == FIONREAD)
		return mbx_ioctl_nread(file, uarg);
	switch (MBX_IOC_BASE(cmd)) {
	case MBX_IOC_BASE(MBX_IOC_INFO):
		return mbx_ioctl_info(uarg);
	case MBX_IOC_BASE(MBX_IOC_OPEN):
		return mbx_ioctl_open(uarg);
	case MBX_IOC_BASE(MBX_IOC_SEND):
		return mbx_ioctl_send(file, NULL, client->user, uarg);
	case MBX_IOC_BASE(MBX_IOC_RECV):
		ret = mbx_client_owns_inbox(client);
		return ret ?: mbx_ioctl_recv(file, mbx_inbox_box(client->inbox),
					     uarg);
	case MBX_IOC_BASE(MBX_IOC_CALL):
		return mbx_ioctl_call(file, NULL, client->user, uarg);
	case MBX_IOC_BASE(MBX_IOC_STAT):
		return mbx_ioctl_stat(mbx_inbox_box(client->inbox), uarg);
	case MBX_IOC_BASE(MBX_IOC_INBOX_SET):
		return mbx_ioctl_inbox_set(client, uarg);
	default:
		return -ENOTTY;
	}
}

static ssize_t mbx_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mbx_box *box = mbx_dev_recv_box(iocb->ki_filp);

	return IS_ERR(box) ? PTR_ERR(box) : mbx_rw_recv(iocb, to, box);
}

/* A direct send names its receiver, which write() cannot. */
static ssize_t mbx_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return -EDESTADDRREQ;
}

static __poll_t mbx_poll(struct file *file, poll_table *wait)
{
	struct mbx_client *client = file->private_data;

	/*
	 * The inbox can only be received from: POLLIN, never POLLOUT; and
	 * only by its owner (a forked child holding the descriptor gets an
	 * error, not a readiness it could never act on).
	 */
	if (mbx_client_owns_inbox(client))
		return EPOLLERR;
	return mbx_box_poll(mbx_inbox_box(client->inbox), file, wait,
			    MBX_O_RECV);
}

static int mbx_open(struct inode *inode, struct file *file)
{
	struct mbx_client *client;

	client = kzalloc(sizeof(*client), GFP_KERNEL_ACCOUNT);
	if (!client)
		return -ENOMEM;
	client->user = mbx_user_get(current_euid());
	if (!client->user)
		goto nomem;
	client->inbox = mbx_inbox_open();
	if (!client->inbox)
		goto nomem;
	file->private_data = client;
	file->f_mode |= FMODE_NOWAIT;	/* mbx_rw.c honours IOCB_NOWAIT */
	return stream_open(inode, file);

nomem:
	mbx_user_put(client->user);
	kfree(client);
	return -ENOMEM;
}

/* iterate_fd() callback: is @file an open of the device for @inbox? */
static int mbx_file_is_inbox(const void *inbox, struct file *file,
			     unsigned int fd)
{
	const struct mbx_client *client = file->private_data;

	return file->f_op == &mbx_fops && client->inbox == inbox;
}

/*
 * Every close(2) of a descriptor, close-on-exec included.  An exec that
 * closes the owner's last descriptor of the device ends its inbox then,
 * even if a forked child or an SCM_RIGHTS receiver still holds the file:
 * the new program starts with an inbox of its own, never its
 * predecessor's queue, capacity and policy.  (Otherwise the inbox lives
 * as long as the file, like any file's state; its last release or the
 * owner's exit ends it.)
 *
 * Only exec, because only there can the owner's descriptors be counted
 * without a race: de_thread() has left one thread and unshare_files() a
 * file table of its own, so no descriptor is in transit (an open not yet
 * installed, a table being copied by clone()), and the walk is one table,
 * which do_close_on_exec() is walking anyway.
 */
static int mbx_flush(struct file *file, fl_owner_t id)
{
	struct mbx_client *client = file->private_data;

	if (current->in_execve && !mbx_client_owns_inbox(client) &&
	    !iterate_fd(current->files, 0, mbx_file_is_inbox, client->inbox))
		mbx_inbox_orphan(client->inbox);
	return 0;
}

static int mbx_release(struct inode *inode, struct file *file)
{
	struct mbx_client *client = file->private_data;

	mbx_inbox_close(client->inbox);
	mbx_user_put(client->user);
	kfree(client);
	return 0;
}

static const struct file_operations mbx_fops = {
	.owner		= THIS_MODULE,
	.open		= mbx_open,
	.flush		= mbx_flush,
	.release	= mbx_release,
	.poll		= mbx_poll,
	.read_iter	= mbx_read_iter,
	.write_iter	= mbx_write_iter,
	.unlocked_ioctl	= mbx_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};

static struct miscdevice mbx_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "mailbox",
	.fops	= &mbx_fops,
	.mode	= 0666,
};

static int __init mbx_init(void)
{
	int ret;

	/* The ABI is frozen at these sizes; growth only appends. */
	BUILD_BUG_ON(sizeof(struct mbx_info) != MBX_INFO_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct mbx_open) != MBX_OPEN_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct mbx_send) != MBX_SEND_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct mbx_recv) != MBX_RECV_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct mbx_stat) != MBX_STAT_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct mbx_set) != MBX_SET_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct mbx_call) != MBX_CALL_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct mbx_inbox_config) !=
		     MBX_INBOX_CONFIG_SIZE_VER0);

	if (!mbx_max_msg_size_cap ||
	    mbx_max_msg_size_cap > MBX_MAX_MSG_SIZE_CAP_LIMIT) {
		pr_err("max_msg_size_cap must be 1..%u\n",
		       MBX_MAX_MSG_SIZE_CAP_LIMIT);
		return -EINVAL;
	}
	if (!mbx_max_msg_size || mbx_max_msg_size > mbx_max_msg_size_cap) {
		pr_err("max_msg_size must be 1..max_msg_size_cap (%u)\n",
		       mbx_max_msg_size_cap);
		return -EINVAL;
	}
	ret = mbx_msg_cache_init();
	if (ret)
		return ret;
	ret = mbx_registry_init();
	if (ret)
		goto out_cache;
	ret = mbx_inbox_init();
	if (ret)
		goto out_registry;
	ret = mbx_proc_init();
	if (ret)
		goto out_inbox;
	ret = misc_register(&mbx_misc);
	if (ret)
		goto out_proc;
	return 0;

out_proc:
	mbx_proc_exit();
out_inbox:
	mbx_inbox_exit();
out_registry:
	mbx_registry_exit();
out_cache:
	mbx_msg_cache_exit();
	return ret;
}

static void __exit mbx_exit(void)
{
	misc_deregister(&mbx_misc);
	mbx_proc_exit();
	mbx_inbox_exit();
	mbx_registry_exit();
	mbx_msg_cache_exit();
}

module_init(mbx_init);
module_exit(mbx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("/dev/mailbox: message passing between processes");
MODULE_ALIAS("devname:mailbox");
