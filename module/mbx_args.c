// SPDX-License-Identifier: GPL-2.0
/*
 * Validation of ioctl arguments.
 *
 * Each check runs on the kernel's copy of the arguments before anything is
 * looked up or changed, so bad input fails with a clear errno and has no
 * effect.  They are pure functions of their argument (and the module
 * parameters), which the KUnit tests call directly.
 */
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <kunit/visibility.h>

#include "mbx_internal.h"

#define MBX_O_ALL	(MBX_O_CREAT | MBX_O_EXCL | MBX_O_PRIVATE | \
			 MBX_O_BY_ID | MBX_O_SEND | MBX_O_RECV | \
			 MBX_O_NONBLOCK | MBX_O_CLOEXEC)
#define MBX_SEND_FLAGS	(MBX_F_NONBLOCK | MBX_F_TIMEOUT | MBX_F_SYNC)
#define MBX_RECV_FLAGS	(MBX_F_NONBLOCK | MBX_F_TIMEOUT | MBX_F_TRUNC)
#define MBX_SET_ALL	(MBX_SET_MODE | MBX_SET_OWNER | MBX_SET_LIMIT | \
			 MBX_SET_MSGSIZE)

static int mbx_capacity_check(u32 capacity, u32 limit)
{
	switch (capacity) {
	case MBX_CAP_BOUNDED:
		return limit >= 1 && limit <= MBX_LIMIT_MAX ? 0 : -EINVAL;
	case MBX_CAP_ZERO:
	case MBX_CAP_UNBOUNDED:
		return limit ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/**
 * mbx_open_check() - validate struct mbx_open (the name is read later)
 * @args:	the caller's arguments
 *
 * Return: 0 or -EINVAL.  Creation parameters are checked whenever the
 * call may create, so a bad one fails even if the mailbox exists.
 */
int mbx_open_check(const struct mbx_open *args)
{
	u32 f = args->flags;
	bool named = args->name || args->key;

	if (f & ~MBX_O_ALL)
		return -EINVAL;
	/* Neither SEND nor RECV: a control handle, on an existing mailbox. */
	if (!(f & (MBX_O_SEND | MBX_O_RECV)) &&
	    (f & (MBX_O_CREAT | MBX_O_PRIVATE)))
		return -EINVAL;
	/* Exactly one way of naming the mailbox. */
	if (f & MBX_O_PRIVATE) {
		if (named || (f & (MBX_O_BY_ID | MBX_O_CREAT | MBX_O_EXCL)))
			return -EINVAL;
	} else if (f & MBX_O_BY_ID) {
		if (named || !args->id || (f & (MBX_O_CREAT | MBX_O_EXCL)))
			return -EINVAL;
	} else {
		if (!named)
			return -EINVAL;
		if ((f & MBX_O_EXCL) && !(f & MBX_O_CREAT))
			return -EINVAL;
	}
	if (f & (MBX_O_CREAT | MBX_O_PRIVATE)) {
		if (args->mode & ~0777)
			return -EINVAL;
		if (mbx_capacity_check(args->capacity, args->limit))
			return -EINVAL;
		if (args->max_msg_size > mbx_max_msg_size_cap)
			return -EINVAL;
	} else if (args->mode || args->capacity || args->limit ||
		   args->max_msg_size) {
		/* Creation parameters without creation: a mistake. */
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_open_check);

static int mbx_timeout_check(u32 flags, s64 timeout_ns)
{
	if (flags & MBX_F_TIMEOUT) {
		if (timeout_ns < 0 || (flags & MBX_F_NONBLOCK))
			return -EINVAL;
	} else if (timeout_ns) {
		return -EINVAL;
	}
	return 0;
}

int mbx_send_check(const struct mbx_send *args)
{
	if (args->flags & ~MBX_SEND_FLAGS)
		return -EINVAL;
	/* receiver_pid is output only: its input value is ignored. */
	if (args->__reserved || args->__reserved2 || args->to_pid < 0)
		return -EINVAL;
	return mbx_timeout_check(args->flags, args->timeout_ns);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_send_check);

int mbx_recv_check(const struct mbx_recv *args)
{
	if (args->flags & ~MBX_RECV_FLAGS)
		return -EINVAL;
	/* The metadata fields are output only: input values are ignored. */
	if (args->__reserved || args->__reserved2 || args->from_pid < 0)
		return -EINVAL;
	return mbx_timeout_check(args->flags, args->timeout_ns);
}
EXPORT_SYMBOL_IF_KUNIT(mbx_recv_check);

int mbx_set_check(const struct mbx_set *args)
{
	u32 f = args->flags;

	if (!f || (f & ~MBX_SET_ALL) || args->__reserved)
		return -EINVAL;
	if ((f & MBX_SET_MODE) ? args->mode & ~0777 : args->mode)
		return -EINVAL;
	if (!(f & MBX_SET_OWNER) && (args->uid || args->gid))
		return -EINVAL;
	if ((f & MBX_SET_LIMIT) ?
	    !args->limit || args->limit > MBX_LIMIT_MAX : args->limit)
		return -EINVAL;
	if ((f & MBX_SET_MSGSIZE) ?
	    !args->max_msg_size || args->max_msg_size > mbx_max_msg_size_cap :
	    args->max_msg_size)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_set_check);

int mbx_inbox_config_check(const struct mbx_inbox_config *cfg)
{
	u32 f = cfg->flags;

	if (!f || (f & ~(MBX_INBOX_SET_CAPACITY | MBX_INBOX_SET_MSGSIZE |
			 MBX_INBOX_SET_POLICY)) || cfg->__reserved)
		return -EINVAL;
	if ((f & MBX_INBOX_SET_CAPACITY) ?
	    mbx_capacity_check(cfg->capacity, cfg->limit) :
	    cfg->capacity || cfg->limit)
		return -EINVAL;
	if ((f & MBX_INBOX_SET_MSGSIZE) ?
	    !cfg->max_msg_size || cfg->max_msg_size > mbx_max_msg_size_cap :
	    cfg->max_msg_size)
		return -EINVAL;
	if (!(f & MBX_INBOX_SET_POLICY))
		return cfg->policy || cfg->allow_uid ? -EINVAL : 0;
	if (cfg->policy > MBX_POLICY_ANYONE)
		return -EINVAL;
	if (cfg->policy != MBX_POLICY_ONE_UID && cfg->allow_uid)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mbx_inbox_config_check);

/**
 * mbx_timeout_to_deadline() - turn a relative timeout into a deadline
 * @flags:	the call's MBX_F_* flags
 * @timeout_ns:	relative CLOCK_MONOTONIC timeout, with MBX_F_TIMEOUT
 * @deadline:	storage for the absolute deadline
 * @expires:	out: @deadline, or NULL for an untimed call
 *
 * A timeout too large to represent gives a deadline of KTIME_MAX, never
 * reached, but still a deadline: the call stays a timed one, which a
 * signal ends with EINTR instead of restarting (NULL here made one of
 * INT64_MAX ns, or anything past KTIME_MAX from now, an untimed call).
 *
 * Return: 0.
 */
int mbx_timeout_to_deadline(u32 flags, s64 timeout_ns, ktime_t *deadline,
			    ktime_t **expires)
{
	*expires = NULL;
	if (!(flags & MBX_F_TIMEOUT))
		return 0;
	*deadline = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
	*expires = deadline;
	return 0;
}
