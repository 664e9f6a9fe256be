/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the /dev/mailbox module's files and its KUnit
 * tests.  Nothing here is part of the user ABI: that is uapi/linux/mbx.h.
 */
#ifndef _MBX_INTERNAL_H
#define _MBX_INTERNAL_H

#include <linux/types.h>
#include <linux/compiler_types.h>
#include <linux/kconfig.h>

#include "../uapi/linux/mbx.h"

/* Module parameters, validated and clamped at load time (mbx_main.c). */
extern unsigned int mbx_max_msg_size;
extern unsigned int mbx_max_msg_size_cap;

/* Features this build implements: the MBX_IOC_INFO features word. */
#define MBX_FEATURES_SUPPORTED	0ULL

/* Size-versioned ioctl arguments (mbx_uarg.c). */
int mbx_uarg_copy_in(void *karg, size_t ksize, size_t size_ver0,
		     const void __user *uarg);
int mbx_uarg_copy_out(void __user *uarg, const void *karg, size_t ksize);

/*
 * Functions that are static unless the kernel has KUnit, in which case
 * mbx.ko exports them to mbx_test.ko (VISIBLE_IF_KUNIT).
 */
#if IS_ENABLED(CONFIG_KUNIT)
int mbx_uarg_check_size(u32 usize, size_t size_ver0);
int mbx_info_fill(struct mbx_info *info);
#endif

#endif /* _MBX_INTERNAL_H */
