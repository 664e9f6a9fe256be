/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbxbench: /dev/mailbox against the IPC mechanisms people would use
 * otherwise, measured side by side in one boot.
 *
 * Every mechanism, /dev/mailbox's included, is a struct mech: a channel
 * between two processes, side 0 (the parent: client, producer) and side 1
 * (the forked child: server, consumer), carrying whole messages both ways.
 * The workloads (bench.c) only ever call these operations, so every
 * mechanism is timed doing the same thing.
 */
#ifndef MBXBENCH_H
#define MBXBENCH_H

#include <stddef.h>
#include <sys/types.h>

/* struct chan.depth: no bound of the benchmark's own. */
#define DEPTH_UNBOUNDED	0

struct chan {
	size_t max_len;		/* largest message it will carry */
	unsigned int depth;	/* messages queued per direction, or
				 * DEPTH_UNBOUNDED: as many as it takes */
	pid_t peer;		/* after fork: the other side's pid */
	int side;		/* after attach: 0 parent, 1 child */
	int fd[4];		/* the mechanism's descriptors */
	void *shm;		/* the mechanism's shared memory */
	size_t shm_len;
	long priv[8];		/* anything else it needs */
};

/* struct mech.flags */
#define MECH_PINGPONG	0x1	/* W1: request and response */
#define MECH_STREAM	0x2	/* W2: one way, honours chan.depth */
#define MECH_PULL	0x4	/* bandwidth reference: recv() pulls from the
				 * peer's buffer, send() does nothing */

/*
 * Operations.  Each returns 0 (recv: the message's length) or a negative
 * errno.  setup() runs in the parent before fork() and may return
 * -EOPNOTSUPP to skip a figure it cannot do (say, a size above a limit);
 * attach() runs in each process after fork(), before the two sides
 * synchronise; detach() in each process at the end, teardown() in the
 * parent after the child has exited.
 */
struct mech {
	const char *name;
	unsigned int flags;
	int (*setup)(struct chan *c);
	int (*attach)(struct chan *c, int side);
	int (*send)(struct chan *c, const void *buf, size_t len);
	long (*recv)(struct chan *c, void *buf, size_t len);
	/*
	 * Optional: send @slen bytes, then receive into @rbuf, in one step.
	 * A mechanism that has such a call (/dev/mailbox's msg_call()) uses
	 * it for W1, where each side of a round trip sends and then waits:
	 * the round trip is then one system call per side, not two.
	 */
	long (*call)(struct chan *c, const void *sbuf, size_t slen,
		     void *rbuf, size_t rlen);
	void (*detach)(struct chan *c);
	void (*teardown)(struct chan *c);
};

/* mech_mbx.c: /dev/mailbox */
extern const struct mech mech_mbx_direct, mech_mbx_bounded, mech_mbx_zero,
	mech_mbx_rw;
/* mech_base.c: the baselines */
extern const struct mech mech_pipe, mech_seqpacket, mech_dgram, mech_posix_mq,
	mech_sysv_msg, mech_eventfd_shm, mech_futex_shm, mech_vm_readv;

#endif /* MBXBENCH_H */
