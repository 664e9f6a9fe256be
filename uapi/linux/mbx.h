/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/mailbox: message passing between processes.
 *
 * ABI rules, kept by every structure in this file:
 *  - only __u32 and __u64 fields, naturally aligned, explicit padding;
 *  - pointers travel as __u64 (cast through uintptr_t in userspace);
 *  - every structure starts with a __u32 size that the caller sets to
 *    sizeof() the structure it was compiled with.  The kernel accepts any
 *    size from the first published version (..._SIZE_VER0) up to a page:
 *    bytes it does not know must be zero (else E2BIG), fields it knows but
 *    the caller did not pass read as zero, and output is written only up
 *    to the caller's size.  New fields are only ever appended;
 *  - unknown flags and non-zero padding or reserved fields fail with
 *    EINVAL, an unknown ioctl command with ENOTTY.
 *
 * The header includes only <linux/types.h> and <linux/ioctl.h> and builds
 * in userspace with -std=c90.
 */
#ifndef _UAPI_LINUX_MBX_H
#define _UAPI_LINUX_MBX_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The device node, a misc device any process may open. */
#define MBX_DEVICE_PATH		"/dev/mailbox"

/* Bumped on incompatible changes only; growth is by struct size. */
#define MBX_ABI_VERSION		1

/**
 * struct mbx_info - what this kernel's /dev/mailbox supports
 * @size:		in: sizeof(struct mbx_info) as the caller knows it
 * @flags:		in: must be 0
 * @abi_version:	out: MBX_ABI_VERSION of the module
 * @features:		out: MBX_FEATURE_* bits the module implements
 * @max_msg_size:	out: default maximum message size of a new mailbox
 * @max_msg_size_cap:	out: largest maximum message size a mailbox may have
 */
struct mbx_info {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 __reserved;
	__u64 features;
	__u32 max_msg_size;
	__u32 max_msg_size_cap;
};

#define MBX_INFO_SIZE_VER0	32

#define MBX_IOC_MAGIC		0xB8

/* Query the module's version, features and limits. */
#define MBX_IOC_INFO		_IOWR(MBX_IOC_MAGIC, 0x00, struct mbx_info)

#endif /* _UAPI_LINUX_MBX_H */
