// SPDX-License-Identifier: GPL-2.0
/*
 * The baselines: what people would use instead of /dev/mailbox, each as a
 * struct mech.
 *  - pipe: a pipe per direction (a byte stream: recv() reads exactly len);
 *  - seqpacket, dgram: an AF_UNIX socketpair();
 *  - posix_mq: a POSIX message queue per direction;
 *  - sysv_msg: a System V message queue per direction;
 *  - eventfd_shm: a ring of slots per direction in shared memory, counted
 *    by two semaphore eventfds;
 *  - futex_shm: the same rings, with futexes, woken only when the other
 *    side sleeps: the floor for the cost of a wake-up;
 *  - process_vm_readv: the single-copy bandwidth reference, pulling from
 *    the parent's buffer with no synchronisation at all.
 * Setup raises the system's limits (sysctls, rlimits) when it runs as
 * root, so that 1 MiB messages work; what still cannot is -EOPNOTSUPP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.h"

#define KIB		1024UL
#define MIB		(1024UL * 1024)
#define CACHELINE	64

static size_t max_sz(size_t a, size_t b)
{
	return a > b ? a : b;
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t round_up(size_t x, size_t to)
{
	return (x + to - 1) / to * to;
}

static size_t roundup_pow2(size_t x)
{
	size_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* Everything a failed or finished channel might still hold: nothing. */
static void chan_init(struct chan *c)
{
	int i;

	for (i = 0; i < 4; i++)
		c->fd[i] = -1;
	c->shm = NULL;
	c->shm_len = 0;
	memset(c->priv, 0, sizeof(c->priv));
}

static void close_fd(struct chan *c, int i)
{
	if (c->fd[i] >= 0)
		close(c->fd[i]);
	c->fd[i] = -1;
}

static void close_fds(struct chan *c)
{
	int i;

	for (i = 0; i < 4; i++)
		close_fd(c, i);
}

static void unmap_shm(struct chan *c)
{
	if (c->shm)
		munmap(c->shm, c->shm_len);
	c->shm = NULL;
	c->shm_len = 0;
}

/* A sysctl's value, or -1 when it cannot be read. */
static long sysctl_get(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Raise a sysctl to at least @want when it is lower and we are root (the
 * kernel may round the value or refuse it); return its value afterwards,
 * or -1 when it cannot be read.  The change outlives the benchmark: it is
 * meant for the throwaway test VM.
 */
static long sysctl_raise(const char *path, long want)
{
	long cur = sysctl_get(path);
	char buf[32];
	int fd, n;

	if (cur < 0 || cur >= want || geteuid() != 0)
		return cur;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cur;
	n = snprintf(buf, sizeof(buf), "%ld\n", want);
	if (write(fd, buf, n) != n) {
		/* Refused (out of range): it is what it was. */
		close(fd);
		return cur;
	}
	close(fd);
	return sysctl_get(path);
}

/*
 * pipe: one pipe per direction, sized for chan.depth messages.  A pipe is
 * a byte stream, so a message is whatever recv() asks for.
 */
#define PIPE_P2C_R	0
#define PIPE_P2C_W	1
#define PIPE_C2P_R	2
#define PIPE_C2P_W	3
/* DEPTH_UNBOUNDED: fixed, so the figure does not depend on what an
 * earlier channel left in pipe-max-size.
 */
#define PIPE_UNBOUNDED	(16 * MIB)
#define PIPE_MAX_PATH	"/proc/sys/fs/pipe-max-size"

/* max(page, depth * max_len), a power of two, within pipe-max-size. */
static size_t pipe_want(const struct chan *c)
{
	size_t page = sysconf(_SC_PAGESIZE);
	size_t want = PIPE_UNBOUNDED;
	long cap;

	if (c->depth)
		want = min_sz((size_t)c->depth * c->max_len, 1UL << 30);
	want = roundup_pow2(max_sz(want, page));
	cap = sysctl_raise(PIPE_MAX_PATH, want);
	if (cap >= (long)page && want > (size_t)cap)
		want = cap;
	return want;
}

/*
 * The kernel may still refuse the size (too many pipe pages for the user,
 * or no memory for a large ring): settle for the largest it accepts.
 */
static int pipe_resize(int fd, size_t want)
{
	size_t page = sysconf(_SC_PAGESIZE);

	for (;;) {
		if (fcntl(fd, F_SETPIPE_SZ, (int)want) >= 0)
			return 0;
		if (want <= page)
			return -errno;
		want /= 2;
	}
}

static int pipe_setup(struct chan *c)
{
	size_t want;
	int err;

	chan_init(c);
	if (pipe(&c->fd[PIPE_P2C_R]) || pipe(&c->fd[PIPE_C2P_R])) {
		err = -errno;
		goto fail;
	}
	want = pipe_want(c);
	err = pipe_resize(c->fd[PIPE_P2C_W], want);
	if (!err)
		err = pipe_resize(c->fd[PIPE_C2P_W], want);
	if (err)
		goto fail;
	return 0;

fail:
	close_fds(c);
	return err;
}

/* Each side keeps its write end and the other direction's read end. */
static int pipe_attach(struct chan *c, int side)
{
	c->side = side;
	close_fd(c, side ? PIPE_P2C_W : PIPE_P2C_R);
	close_fd(c, side ? PIPE_C2P_R : PIPE_C2P_W);
	return 0;
}

static int pipe_send(struct chan *c, const void *buf, size_t len)
{
	int fd = c->fd[c->side ? PIPE_C2P_W : PIPE_P2C_W];
	const char *p = buf;
	ssize_t r;

	while (len) {
		r = write(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		len -= r;
	}
	return 0;
}

static long pipe_recv(struct chan *c, void *buf, size_t len)
{
	int fd = c->fd[c->side ? PIPE_P2C_R : PIPE_C2P_R];
	size_t done = 0;
	char *p = buf;
	ssize_t r;

	while (done < len) {
		r = read(fd, p + done, len - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EPIPE;
		done += r;
	}
	return len;
}

static void pipe_detach(struct chan *c)
{
	close_fds(c);
}

const struct mech mech_pipe = {
	.name		= "pipe",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= pipe_setup,
	.attach		= pipe_attach,
	.send		= pipe_send,
	.recv		= pipe_recv,
	.detach		= pipe_detach,
	.teardown	= pipe_detach,
};

/*
 * seqpacket, dgram: an AF_UNIX socketpair(), fd[0] side 0's end and fd[1]
 * side 1's.  An AF_UNIX datagram stays charged to the sender's SO_SNDBUF
 * until it is received, so the send buffer is what bounds the queue.
 */
#define SOCK_UNBOUNDED	(32 * MIB)

static int sock_set_buf(int fd, int force, int plain, int val)
{
	/* FORCE ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN. */
	if (!setsockopt(fd, SOL_SOCKET, force, &val, sizeof(val)))
		return 0;
	if (!setsockopt(fd, SOL_SOCKET, plain, &val, sizeof(val)))
		return 0;
	return -errno;
}

/*
 * Can a max_len message go each way?  Sending one is the only way to
 * know: the limits are the send buffer and the size of one skb.
 */
static int sock_probe(struct chan *c)
{
	size_t map_len = max_sz(c->max_len, 1);
	int i, err = 0;
	char dummy;
	void *buf;
	ssize_t r;

	buf = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (buf == MAP_FAILED)
		return -errno;
	for (i = 0; i < 2 && !err; i++) {
		r = send(c->fd[i], buf, c->max_len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			err = -errno;
			break;
		}
		/* MSG_TRUNC: discard it whole, report its real length. */
		r = recv(c->fd[!i], &dummy, sizeof(dummy),
			 MSG_DONTWAIT | MSG_TRUNC);
		if (r < 0)
			err = -errno;
		else if ((size_t)r != c->max_len)
			err = -EMSGSIZE;
	}
	munmap(buf, map_len);
	if (err == -EMSGSIZE || err == -ENOBUFS || err == -ENOMEM ||
	    err == -EAGAIN)
		err = -EOPNOTSUPP;
	return err;
}

static int sock_setup(struct chan *c, int type)
{
	size_t want = c->max_len * 2 + 64 * KIB;
	int i, val, err;

	chan_init(c);
	if (socketpair(AF_UNIX, type, 0, c->fd))
		return -errno;
	if (c->depth)
		want = max_sz(want, (size_t)c->depth * (c->max_len + 512));
	else
		want = max_sz(want, SOCK_UNBOUNDED);
	/* The kernel doubles what it is given (for its overhead, which
	 * want already counts): ask for half.
	 */
	val = min_sz((want + 1) / 2, INT_MAX / 2);
	for (i = 0; i < 2; i++) {
		err = sock_set_buf(c->fd[i], SO_SNDBUFFORCE, SO_SNDBUF, val);
		if (!err)
			err = sock_set_buf(c->fd[i], SO_RCVBUFFORCE, SO_RCVBUF,
					   val);
		if (err)
			goto fail;
	}
	err = sock_probe(c);
	if (err)
		goto fail;
	return 0;

fail:
	close_fds(c);
	return err;
}

static int seqpacket_setup(struct chan *c)
{
	return sock_setup(c, SOCK_SEQPACKET);
}

static int dgram_setup(struct chan *c)
{
	return sock_setup(c, SOCK_DGRAM);
}

static int sock_attach(struct chan *c, int side)
{
	c->side = side;
	close_fd(c, !side);
	return 0;
}

static int sock_send(struct chan *c, const void *buf, size_t len)
{
	ssize_t r;

	/* MSG_NOSIGNAL: a dead peer is an error, not a SIGPIPE. */
	while ((r = send(c->fd[c->side], buf, len, MSG_NOSIGNAL)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return (size_t)r == len ? 0 : -EMSGSIZE;
}

static long sock_recv(struct chan *c, void *buf, size_t len)
{
	ssize_t r;

	/* MSG_TRUNC: a longer message shows as its real length. */
	while ((r = recv(c->fd[c->side], buf, len, MSG_TRUNC)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return r;
}

static void sock_detach(struct chan *c)
{
	close_fds(c);
}

const struct mech mech_seqpacket = {
	.name		= "seqpacket",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= seqpacket_setup,
	.attach		= sock_attach,
	.send		= sock_send,
	.recv		= sock_recv,
	.detach		= sock_detach,
	.teardown	= sock_detach,
};

const struct mech mech_dgram = {
	.name		= "dgram",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= dgram_setup,
	.attach		= sock_attach,
	.send		= sock_send,
	.recv		= sock_recv,
	.detach		= sock_detach,
	.teardown	= sock_detach,
};

/*
 * posix_mq: two queues, opened before fork() (both sides inherit both
 * descriptors) and unlinked at once, so nothing outlives the channel.
 */
#define MQ_P2C		0	/* fd[] */
#define MQ_C2P		1
#define MQ_MSGSIZE	0	/* priv[]: the queues' mq_msgsize */
#define MQ_BOUNCE	1	/* priv[]: a buffer of mq_msgsize bytes */
#define MQ_HARD_MAXMSG	65536	/* the kernel's HARD_MSGMAX */
#define MQ_UNBOUNDED	(256 * MIB)	/* both queues, full */

/* Names only: several channels may exist at once. */
static unsigned int mq_seq;

static void mq_free(struct chan *c)
{
	free((void *)c->priv[MQ_BOUNCE]);
	c->priv[MQ_BOUNCE] = 0;
	close_fds(c);
}

/* Both queues, opened and at once unlinked; a negative errno if not. */
static int mq_open_pair(struct chan *c, struct mq_attr *attr)
{
	char name[2][48];
	unsigned int seq;
	int i, err = 0;
	mqd_t q;

	seq = __atomic_fetch_add(&mq_seq, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++) {
		snprintf(name[i], sizeof(name[i]), "/mbxbench-%d-%u-%c",
			 (int)getpid(), seq, 'a' + i);
		q = mq_open(name[i], O_RDWR | O_CREAT | O_EXCL, 0600, attr);
		if (q == (mqd_t)-1) {
			err = -errno;
			break;
		}
		c->fd[i] = q;
	}
	while (--i >= 0)
		mq_unlink(name[i]);
	if (err)
		close_fds(c);
	return err;
}

static int mq_setup(struct chan *c)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct mq_attr attr = { 0 };
	int err;

	chan_init(c);
	attr.mq_msgsize = max_sz(c->max_len, 1);
	if (c->depth)
		attr.mq_maxmsg = c->depth;
	else
		attr.mq_maxmsg = min_sz(MQ_HARD_MAXMSG,
					max_sz(1, MQ_UNBOUNDED / 2 /
					       attr.mq_msgsize));
	/*
	 * Each queue's full size (mq_maxmsg * mq_msgsize) counts against
	 * RLIMIT_MSGQUEUE, 800 KiB by default, root included: raising it
	 * takes CAP_SYS_RESOURCE.
	 */
	if (setrlimit(RLIMIT_MSGQUEUE, &rl) &&
	    !getrlimit(RLIMIT_MSGQUEUE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MSGQUEUE, &rl);
	}
	sysctl_raise("/proc/sys/fs/mqueue/msg_max", attr.mq_maxmsg);
	sysctl_raise("/proc/sys/fs/mqueue/msgsize_max", attr.mq_msgsize);

	for (;;) {
		err = mq_open_pair(c, &attr);
		/* Unbounded is as deep as the limits allow. */
		if ((err != -EMFILE && err != -ENOMEM) || c->depth ||
		    attr.mq_maxmsg == 1)
			break;
		attr.mq_maxmsg /= 2;
	}
	/* ENOSYS: a kernel without CONFIG_POSIX_MQUEUE. */
	if (err == -EINVAL || err == -EMFILE || err == -ENOMEM ||
	    err == -ENOSYS)
		return -EOPNOTSUPP;
	if (err)
		return err;
	c->priv[MQ_MSGSIZE] = attr.mq_msgsize;
	c->priv[MQ_BOUNCE] = (long)malloc(attr.mq_msgsize);
	if (!c->priv[MQ_BOUNCE]) {
		mq_free(c);
		return -ENOMEM;
	}
	return 0;
}

static int mq_attach(struct chan *c, int side)
{
	c->side = side;
	return 0;
}

static int mq_send_msg(struct chan *c, const void *buf, size_t len)
{
	mqd_t q = c->fd[c->side ? MQ_C2P : MQ_P2C];

	while (mq_send(q, buf, len, 0)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * mq_receive() wants room for mq_msgsize bytes, whatever the message's
 * length: a shorter receive (say, the stream's 8-byte acknowledgement
 * on a 64 KiB channel) goes through the bounce buffer.
 */
static long mq_recv_msg(struct chan *c, void *buf, size_t len)
{
	mqd_t q = c->fd[c->side ? MQ_P2C : MQ_C2P];
	size_t size = c->priv[MQ_MSGSIZE];
	char *to = len >= size ? buf : (char *)c->priv[MQ_BOUNCE];
	ssize_t r;

	while ((r = mq_receive(q, to, max_sz(len, size), NULL)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (to != buf)
		memcpy(buf, to, min_sz(r, len));
	return r;
}

const struct mech mech_posix_mq = {
	.name		= "posix_mq",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= mq_setup,
	.attach		= mq_attach,
	.send		= mq_send_msg,
	.recv		= mq_recv_msg,
	.detach		= mq_free,
	.teardown	= mq_free,
};

/*
 * sysv_msg: one private queue per direction.  A System V message starts
 * with a long mtype, so the payload is copied into (and out of) a buffer
 * behind that header: the extra copy on each side is part of what System
 * V costs anyone whose data does not already sit behind a long.
 */
#define SYSV_P2C	0	/* priv[]: queue ids (-1: none) */
#define SYSV_C2P	1
#define SYSV_BUF	2	/* priv[]: the struct sysv_msgbuf */
#define SYSV_UNBOUNDED	(256 * MIB)

struct sysv_msgbuf {
	long mtype;
	char mtext[];
};

static void sysv_free(struct chan *c)
{
	free((void *)c->priv[SYSV_BUF]);
	c->priv[SYSV_BUF] = 0;
}

static void sysv_teardown(struct chan *c)
{
	int i;

	sysv_free(c);
	for (i = SYSV_P2C; i <= SYSV_C2P; i++) {
		if (c->priv[i] >= 0)
			msgctl(c->priv[i], IPC_RMID, NULL);
		c->priv[i] = -1;
	}
}

static int sysv_setup(struct chan *c)
{
	size_t qbytes = c->depth ? (size_t)c->depth * c->max_len :
				   SYSV_UNBOUNDED;
	struct msqid_ds ds;
	long msgmax;
	int i, id, err = 0;

	chan_init(c);
	c->priv[SYSV_P2C] = -1;
	c->priv[SYSV_C2P] = -1;
	/* msgsnd() refuses anything above kernel.msgmax, root included;
	 * a queue's default msg_qbytes is kernel.msgmnb.
	 */
	qbytes = min_sz(max_sz(qbytes, max_sz(c->max_len, 1)), INT_MAX);
	msgmax = sysctl_raise("/proc/sys/kernel/msgmax", c->max_len);
	if (msgmax >= 0 && (size_t)msgmax < c->max_len)
		return -EOPNOTSUPP;
	sysctl_raise("/proc/sys/kernel/msgmnb", qbytes);

	c->priv[SYSV_BUF] = (long)malloc(sizeof(struct sysv_msgbuf) +
					 c->max_len);
	if (!c->priv[SYSV_BUF])
		return -ENOMEM;
	for (i = SYSV_P2C; i <= SYSV_C2P && !err; i++) {
		id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (id < 0) {
			err = -errno;
			break;
		}
		c->priv[i] = id;
		/* Both bounds at once: queued bytes <= msg_qbytes and
		 * queued messages <= msg_qbytes.
		 */
		if (msgctl(id, IPC_STAT, &ds)) {
			err = -errno;
			break;
		}
		ds.msg_qbytes = qbytes;
		if (!msgctl(id, IPC_SET, &ds))
			continue;
		err = -errno;
		/* Unprivileged: kernel.msgmnb is all there is. */
		if (err == -EPERM && !msgctl(id, IPC_STAT, &ds))
			err = ds.msg_qbytes >= c->max_len ? 0 : -EOPNOTSUPP;
	}
	if (err)
		sysv_teardown(c);
	return err;
}

static int sysv_attach(struct chan *c, int side)
{
	c->side = side;
	/* The buffer is copy-on-write after fork(): fault it in now. */
	memset((void *)c->priv[SYSV_BUF], 0,
	       sizeof(struct sysv_msgbuf) + c->max_len);
	return 0;
}

static int sysv_send(struct chan *c, const void *buf, size_t len)
{
	struct sysv_msgbuf *m = (struct sysv_msgbuf *)c->priv[SYSV_BUF];
	int id = c->priv[c->side ? SYSV_C2P : SYSV_P2C];

	if (len > c->max_len)
		return -EMSGSIZE;
	m->mtype = 1;
	memcpy(m->mtext, buf, len);
	while (msgsnd(id, m, len, 0)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static long sysv_recv(struct chan *c, void *buf, size_t len)
{
	struct sysv_msgbuf *m = (struct sysv_msgbuf *)c->priv[SYSV_BUF];
	int id = c->priv[c->side ? SYSV_P2C : SYSV_C2P];
	ssize_t r;

	while ((r = msgrcv(id, m, c->max_len, 0, 0)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	memcpy(buf, m->mtext, min_sz(r, len));
	return r;
}

const struct mech mech_sysv_msg = {
	.name		= "sysv_msg",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= sysv_setup,
	.attach		= sysv_attach,
	.send		= sysv_send,
	.recv		= sysv_recv,
	.detach		= sysv_free,
	.teardown	= sysv_teardown,
};

/*
 * eventfd_shm and futex_shm: per direction (0: side 0 to side 1, 1: back)
 * a ring of N slots in shared memory, mapped before fork():
 *	[struct ring_ctl x 2][ring 0: N slots][ring 1: N slots]
 * A slot is a cacheline holding the message's length, then the payload.
 * Each direction has one producer and one consumer, so each side keeps
 * its own slot and sequence counters in its copy of priv[]; futex_shm
 * also publishes them in ring_ctl for the other side.
 */
#define RING_N		0	/* priv[]: slots per ring */
#define RING_STRIDE	1	/* priv[]: bytes per slot */
#define RING_BYTES	2	/* priv[]: bytes per ring */
#define RING_SEND_SLOT	3	/* priv[]: this side's next slot to fill */
#define RING_RECV_SLOT	4	/* priv[]: this side's next slot to drain */
#define RING_SEND_SEQ	5	/* priv[]: futex_shm: our ring_ctl.head */
#define RING_RECV_SEQ	6	/* priv[]: futex_shm: our ring_ctl.tail */
#define RING_CTL_BYTES	4096
#define SLOT_HDR	CACHELINE
#define RING_UNBOUNDED	(64 * MIB)
#define RING_MAX_SLOTS	1024

/* Each side's words on a cacheline of their own. */
struct ring_ctl {
	uint32_t head;		/* messages published: the producer's */
	uint32_t cons_waiting;	/* the consumer sleeps on head */
	char pad0[CACHELINE - 2 * sizeof(uint32_t)];
	uint32_t tail;		/* messages consumed: the consumer's */
	uint32_t prod_waiting;	/* the producer sleeps on tail */
	char pad1[CACHELINE - 2 * sizeof(uint32_t)];
};

static int ring_setup(struct chan *c)
{
	size_t len = max_sz(c->max_len, 1);
	size_t n, stride, bytes;
	void *p;

	chan_init(c);
	if (c->depth)
		n = c->depth;
	else
		n = min_sz(RING_MAX_SLOTS, max_sz(1, RING_UNBOUNDED / len));
	stride = SLOT_HDR + round_up(len, CACHELINE);
	if (n > (SIZE_MAX / 4) / stride)
		return -EOPNOTSUPP;
	bytes = round_up(n * stride, RING_CTL_BYTES);
	/* Shared, so not populated: slots fault in as they are first used
	 * (during calibration, outside the measured batches).
	 */
	p = mmap(NULL, RING_CTL_BYTES + 2 * bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->shm = p;
	c->shm_len = RING_CTL_BYTES + 2 * bytes;
	c->priv[RING_N] = n;
	c->priv[RING_STRIDE] = stride;
	c->priv[RING_BYTES] = bytes;
	return 0;
}

static struct ring_ctl *ring_ctl(const struct chan *c, int dir)
{
	return (struct ring_ctl *)c->shm + dir;
}

/* The slot at priv[@which] in ring @dir, and priv[@which] moves on. */
static char *ring_next(struct chan *c, int dir, int which)
{
	long i = c->priv[which];

	c->priv[which] = i + 1 == c->priv[RING_N] ? 0 : i + 1;
	return (char *)c->shm + RING_CTL_BYTES + dir * c->priv[RING_BYTES] +
	       i * c->priv[RING_STRIDE];
}

static void ring_put(char *slot, const void *buf, size_t len)
{
	memcpy(slot + SLOT_HDR, buf, len);
	__atomic_store_n((size_t *)slot, len, __ATOMIC_RELEASE);
}

static size_t ring_get(const char *slot, void *buf, size_t len)
{
	size_t n = __atomic_load_n((const size_t *)slot, __ATOMIC_ACQUIRE);

	memcpy(buf, slot + SLOT_HDR, min_sz(n, len));
	return n;
}

static int ring_attach(struct chan *c, int side)
{
	c->side = side;
	return 0;
}

static void ring_detach(struct chan *c)
{
	close_fds(c);
	unmap_shm(c);
}

/* fd[]: per direction, "filled" (slots to drain) and "free" (to fill). */
#define EFD_FILLED(dir)	((dir) * 2)
#define EFD_FREE(dir)	((dir) * 2 + 1)

static int efd_setup(struct chan *c)
{
	int dir, err;

	err = ring_setup(c);
	if (err)
		return err;
	for (dir = 0; dir < 2; dir++) {
		c->fd[EFD_FILLED(dir)] = eventfd(0, EFD_SEMAPHORE);
		if (c->fd[EFD_FILLED(dir)] < 0)
			goto fail;
		c->fd[EFD_FREE(dir)] = eventfd(c->priv[RING_N],
					       EFD_SEMAPHORE);
		if (c->fd[EFD_FREE(dir)] < 0)
			goto fail;
	}
	return 0;

fail:
	err = -errno;
	ring_detach(c);
	return err;
}

/* Take one from a semaphore eventfd, sleeping while it is zero. */
static int efd_down(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static int efd_up(int fd)
{
	uint64_t v = 1;

	while (write(fd, &v, sizeof(v)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static int efd_send(struct chan *c, const void *buf, size_t len)
{
	int dir = c->side, err;

	if (len > c->max_len)
		return -EMSGSIZE;
	err = efd_down(c->fd[EFD_FREE(dir)]);
	if (err)
		return err;
	ring_put(ring_next(c, dir, RING_SEND_SLOT), buf, len);
	return efd_up(c->fd[EFD_FILLED(dir)]);
}

static long efd_recv(struct chan *c, void *buf, size_t len)
{
	int dir = !c->side, err;
	size_t n;

	err = efd_down(c->fd[EFD_FILLED(dir)]);
	if (err)
		return err;
	n = ring_get(ring_next(c, dir, RING_RECV_SLOT), buf, len);
	err = efd_up(c->fd[EFD_FREE(dir)]);
	return err ? err : (long)n;
}

const struct mech mech_eventfd_shm = {
	.name		= "eventfd_shm",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= efd_setup,
	.attach		= ring_attach,
	.send		= efd_send,
	.recv		= efd_recv,
	.detach		= ring_detach,
	.teardown	= ring_detach,
};

/* Not FUTEX_PRIVATE_FLAG: the word is shared between two processes. */
static long futex(uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/*
 * Sleep until *@word moves from @seen.  The flag goes up before the last
 * look at *@word and the other side moves *@word before it looks at the
 * flag, all sequentially consistent: either it sees the flag and wakes
 * us, or we see the move (and FUTEX_WAIT, which compares under its lock,
 * returns at once).  A stale flag costs the other side one needless wake.
 */
static int fx_sleep(uint32_t *word, uint32_t *waiting, uint32_t seen)
{
	int err = 0;

	__atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == seen &&
	    futex(word, FUTEX_WAIT, seen) < 0 && errno != EAGAIN &&
	    errno != EINTR)
		err = -errno;
	__atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
	return err;
}

/* Wake the other side if it may be asleep: no system call otherwise. */
static int fx_wake(uint32_t *word, uint32_t *waiting)
{
	if (__atomic_load_n(waiting, __ATOMIC_SEQ_CST) &&
	    futex(word, FUTEX_WAKE, 1) < 0)
		return -errno;
	return 0;
}

static int fx_send(struct chan *c, const void *buf, size_t len)
{
	struct ring_ctl *r = ring_ctl(c, c->side);
	uint32_t head = c->priv[RING_SEND_SEQ];
	uint32_t n = c->priv[RING_N];
	uint32_t tail;
	int err;

	if (len > c->max_len)
		return -EMSGSIZE;
	for (;;) {
		tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (head - tail < n)
			break;
		err = fx_sleep(&r->tail, &r->prod_waiting, tail);
		if (err)
			return err;
	}
	ring_put(ring_next(c, c->side, RING_SEND_SLOT), buf, len);
	c->priv[RING_SEND_SEQ] = ++head;
	__atomic_store_n(&r->head, head, __ATOMIC_SEQ_CST);
	return fx_wake(&r->head, &r->cons_waiting);
}

static long fx_recv(struct chan *c, void *buf, size_t len)
{
	struct ring_ctl *r = ring_ctl(c, !c->side);
	uint32_t tail = c->priv[RING_RECV_SEQ];
	size_t n;
	int err;

	while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail) {
		err = fx_sleep(&r->head, &r->cons_waiting, tail);
		if (err)
			return err;
	}
	n = ring_get(ring_next(c, !c->side, RING_RECV_SLOT), buf, len);
	c->priv[RING_RECV_SEQ] = ++tail;
	__atomic_store_n(&r->tail, tail, __ATOMIC_SEQ_CST);
	err = fx_wake(&r->tail, &r->prod_waiting);
	return err ? err : (long)n;
}

const struct mech mech_futex_shm = {
	.name		= "futex_shm",
	.flags		= MECH_PINGPONG | MECH_STREAM,
	.setup		= ring_setup,
	.attach		= ring_attach,
	.send		= fx_send,
	.recv		= fx_recv,
	.detach		= ring_detach,
	.teardown	= ring_detach,
};

/*
 * process_vm_readv: a source buffer of max_len bytes made before fork(),
 * so it sits at the same address in both processes; the child pulls it
 * from the parent (c->peer) with one copy and no synchronisation.
 */
static int vm_setup(struct chan *c)
{
	size_t len = max_sz(c->max_len, 1), i;
	unsigned char *p;

	chan_init(c);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Written, so every page is the parent's own and present. */
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i ^ (i >> 8) ^ 0xa5);
	c->shm = p;
	c->shm_len = len;
	return 0;
}

static int vm_attach(struct chan *c, int side)
{
	c->side = side;
	/*
	 * Under Yama's ptrace_scope 1 a process may only read its
	 * descendants' memory, and the child reads its parent's: the
	 * parent names it.  Root needs none of this; without Yama it fails
	 * with EINVAL, harmlessly.
	 */
	if (side == 0)
		prctl(PR_SET_PTRACER, c->peer, 0, 0, 0);
	return 0;
}

static int vm_send(struct chan *c, const void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return 0;
}

static long vm_recv(struct chan *c, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = c->shm, .iov_len = len };
	ssize_t r;

	if (len > c->shm_len)
		return -EMSGSIZE;
	r = process_vm_readv(c->peer, &local, 1, &remote, 1, 0);
	return r < 0 ? -errno : r;
}

static void vm_detach(struct chan *c)
{
	unmap_shm(c);
}

const struct mech mech_vm_readv = {
	.name		= "process_vm_readv",
	.flags		= MECH_PULL,
	.setup		= vm_setup,
	.attach		= vm_attach,
	.send		= vm_send,
	.recv		= vm_recv,
	.detach		= vm_detach,
	.teardown	= vm_detach,
};
