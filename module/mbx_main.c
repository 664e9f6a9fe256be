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

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
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

/**
 * struct mbx_client - one open file of /dev/mailbox
 * @owner:	thread group of the process that opened the device (ref held)
 */
struct mbx_client {
	struct pid *owner;
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

static long mbx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MBX_IOC_INFO:
		return mbx_ioctl_info(uarg);
	default:
		return -ENOTTY;
	}
}

static int mbx_open(struct inode *inode, struct file *file)
{
	struct mbx_client *client;

	client = kzalloc(sizeof(*client), GFP_KERNEL_ACCOUNT);
	if (!client)
		return -ENOMEM;
	client->owner = get_pid(task_tgid(current));
	file->private_data = client;
	return stream_open(inode, file);
}

static int mbx_release(struct inode *inode, struct file *file)
{
	struct mbx_client *client = file->private_data;

	put_pid(client->owner);
	kfree(client);
	return 0;
}

static const struct file_operations mbx_fops = {
	.owner		= THIS_MODULE,
	.open		= mbx_open,
	.release	= mbx_release,
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
	/* The ABI is frozen at these sizes; growth only appends. */
	BUILD_BUG_ON(sizeof(struct mbx_info) != MBX_INFO_SIZE_VER0);

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
	return misc_register(&mbx_misc);
}

static void __exit mbx_exit(void)
{
	misc_deregister(&mbx_misc);
}

module_init(mbx_init);
module_exit(mbx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("/dev/mailbox: message passing between processes");
MODULE_ALIAS("devname:mailbox");
