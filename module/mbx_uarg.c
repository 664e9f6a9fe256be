// SPDX-License-Identifier: GPL-2.0
/*
 * Size-versioned ioctl arguments.
 *
 * Every argument structure in uapi/linux/mbx.h starts with a __u32 size
 * that the caller sets to sizeof() the structure it was compiled with, so
 * the structures can grow by appending fields (the clone3()/sched_setattr()
 * scheme).  Input goes through copy_struct_from_user(): unknown trailing
 * bytes must be zero and missing ones read as zero.  Output is copied back
 * only up to the caller's size, so an old binary never has bytes written
 * past the structure it knows.  The common case, a caller built with this
 * module's header, takes the inline paths in mbx_internal.h.
 */
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "mbx_internal.h"

/**
 * mbx_uarg_check_size() - validate a caller's structure size
 * @usize:	the size field the caller passed
 * @size_ver0:	size of the first published version of the structure
 *
 * Return: 0, -EINVAL for a size below the first version, or -E2BIG for one
 * larger than a page (nothing legitimate is that big; it bounds the work a
 * caller can make check_zeroed_user() do).
 */
VISIBLE_IF_KUNIT int mbx_uarg_check_size(u32 usize, size_t size_ver0)
{
	if (usize < size_ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_uarg_check_size);

/**
 * __mbx_uarg_copy_in() - copy a size-versioned argument structure in
 * @karg:	kernel copy, @ksize bytes; its first field is the __u32 size
 * @ksize:	sizeof(*karg)
 * @size_ver0:	size of the structure's first published version
 * @uarg:	the caller's structure
 * @usize:	its size field, as mbx_uarg_copy_in() read it
 *
 * On success @karg holds the caller's fields, zero for fields the caller
 * does not know, and its size field holds the caller's size, which
 * mbx_uarg_copy_out() later honours.
 *
 * Return: 0, -EFAULT, -EINVAL or -E2BIG.
 */
int __mbx_uarg_copy_in(void *karg, size_t ksize, size_t size_ver0,
		       const void __user *uarg, u32 usize)
{
	int ret;

	ret = mbx_uarg_check_size(usize, size_ver0);
	if (ret)
		return ret;
	ret = copy_struct_from_user(karg, ksize, uarg, usize);
	if (ret)
		return ret;
	/* Re-read by copy_struct_from_user(): keep the value we checked. */
	*(u32 *)karg = usize;
	return 0;
}

/**
 * __mbx_uarg_copy_out() - copy a size-versioned structure back to its caller
 * @uarg:	the caller's structure
 * @karg:	kernel copy, whose size field is the caller's (checked) size
 * @ksize:	sizeof(*karg)
 *
 * Return: 0 or -EFAULT.
 */
int __mbx_uarg_copy_out(void __user *uarg, const void *karg, size_t ksize)
{
	size_t len = min_t(size_t, ksize, *(const u32 *)karg);

	return copy_to_user(uarg, karg, len) ? -EFAULT : 0;
}
