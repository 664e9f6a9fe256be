// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of read(2) and write(2) on mailbox handles and on
 * /dev/mailbox: one message per call, boundaries kept, nothing lost on
 * any error (a buffer too small, a bad pointer, a vector of several
 * segments, a signal), the handle's access and O_NONBLOCK respected, and
 * the same messages seen by the ioctls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define RW		(MBX_O_SEND | MBX_O_RECV)
#define MAX_MSG		4096
#define LIMIT		8

static const struct msg_box_attr bounded = {
	.capacity = MBX_CAP_BOUNDED, .limit = LIMIT,
	.max_msg_size = MAX_MSG, .mode = 0600,
};

static const struct msg_box_attr zero = {
	.capacity = MBX_CAP_ZERO, .max_msg_size = MAX_MSG, .mode = 0600,
};

FIXTURE(rw) {
	int dev;
	int box;
	unsigned int id;
	char buf[2 * MAX_MSG];
};

FIXTURE_SETUP(rw)
{
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	self->box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW,
				 &bounded, &self->id);
	ASSERT_LE(0, self->box);
}

FIXTURE_TEARDOWN(rw)
{
	msg_box_destroy(self->box);
	close(self->box);
	close(self->dev);
}

/* Each write is one message and each read returns exactly one. */
TEST_F(rw, boundaries_are_kept)
{
	static const size_t sizes[] = { 5, 0, 1, MAX_MSG, 17 };
	char out[MAX_MSG];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill(out, sizes[i], i);
		ASSERT_EQ((ssize_t)sizes[i], write(self->box, out, sizes[i]));
	}
	ASSERT_EQ((int)ARRAY_SIZE(sizes), queued(self->box));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(self->buf, 0xa5, sizeof(self->buf));
		ASSERT_EQ((ssize_t)sizes[i],
			  read(self->box, self->buf, sizeof(self->buf)));
		EXPECT_EQ(0, check_fill(self->buf, sizes[i], i));
		/* Nothing past the message was touched. */
		EXPECT_EQ((char)0xa5, self->buf[sizes[i]]);
	}
	EXPECT_EQ(0, queued(self->box));
}

/* read/write and the ioctls pass the same messages, metadata included. */
TEST_F(rw, ioctls_see_the_same_messages)
{
	struct msg_meta info;
	char out[32];

	ASSERT_EQ(5, write(self->box, "hello", 5));
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(5, msg_recv(self->box, out, sizeof(out), 0, &info));
	EXPECT_EQ(0, memcmp(out, "hello", 5));
	EXPECT_EQ(getpid(), info.sender_pid);
	EXPECT_EQ(5U, info.len);
	EXPECT_EQ(geteuid(), info.sender_uid);
	EXPECT_EQ(self->id, info.mailbox_id);

	ASSERT_EQ(0, msg_send(self->box, "world!", 6, 0));
	ASSERT_EQ(6, read(self->box, out, sizeof(out)));
	EXPECT_EQ(0, memcmp(out, "world!", 6));
}

/* A buffer too small fails EMSGSIZE and the message stays first. */
TEST_F(rw, short_buffer_is_emsgsize)
{
	char out[100];

	fill(out, sizeof(out), 7);
	ASSERT_EQ(100, write(self->box, out, sizeof(out)));
	ASSERT_EQ(2, write(self->box, "ok", 2));
	EXPECT_EQ(-1, read(self->box, self->buf, 99));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, read(self->box, self->buf, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(2, queued(self->box));
	ASSERT_EQ(100, read(self->box, self->buf, 100));
	EXPECT_EQ(0, check_fill(self->buf, 100, 7));
	ASSERT_EQ(2, read(self->box, self->buf, sizeof(self->buf)));
}

/* The length FIONREAD gives for @fd, -errno on failure. */
static int nread(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) ? -errno : n;
}

/*
 * FIONREAD: the size the next read() needs, which its EMSGSIZE cannot
 * say; 0 with nothing queued (or an empty message first, as on a
 * datagram socket); on /dev/mailbox, the caller's inbox; with zero
 * capacity, the first blocked writer's message.
 */
TEST_F(rw, fionread_sizes_the_next_read)
{
	struct mbx_info info;
	int box, ro, wo;
	char out[100];
	pid_t pid;

	fill(out, sizeof(out), 9);
	ASSERT_EQ(0, msg_info(self->dev, &info));
	EXPECT_NE(0ULL, info.features & MBX_FEATURE_READ_WRITE);
	EXPECT_EQ(0, nread(self->box));
	ASSERT_EQ(100, write(self->box, out, sizeof(out)));
	ASSERT_EQ(0, write(self->box, out, 0));
	EXPECT_EQ(100, nread(self->box));
	EXPECT_EQ(-1, read(self->box, self->buf, 10));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(100, read(self->box, self->buf, nread(self->box)));
	EXPECT_EQ(0, nread(self->box));		/* the empty one */
	EXPECT_EQ(1, queued(self->box));
	ASSERT_EQ(0, read(self->box, self->buf, 1));

	/* A bad pointer, and handles that cannot read. */
	ASSERT_EQ(1, write(self->box, "x", 1));
	EXPECT_EQ(-1, ioctl(self->box, FIONREAD, NULL));
	EXPECT_EQ(EFAULT, errno);
	wo = msg_box_open_id(self->dev, self->id, MBX_O_SEND);
	ASSERT_LE(0, wo);
	EXPECT_EQ(-EBADF, nread(wo));
	close(wo);
	ro = msg_box_open_id(self->dev, self->id, MBX_O_RECV);
	ASSERT_LE(0, ro);
	EXPECT_EQ(1, nread(ro));
	close(ro);
	EXPECT_EQ(1, queued(self->box));

	/* The inbox, through /dev/mailbox. */
	EXPECT_EQ(0, nread(self->dev));
	ASSERT_EQ(0, msg_send_to(self->dev, getpid(), "direct", 6, 0));
	EXPECT_EQ(6, nread(self->dev));
	ASSERT_EQ(6, read(self->dev, self->buf, sizeof(self->buf)));

	/* Zero capacity: a blocked writer's message. */
	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW, &zero,
			   NULL);
	ASSERT_LE(0, box);
	EXPECT_EQ(0, nread(box));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(write(box, out, 42) == 42 ? 0 : errno);
	ASSERT_EQ(0, wait_blocked(box, 1, 0));
	EXPECT_EQ(42, nread(box));
	ASSERT_EQ(42, read(box, self->buf, sizeof(self->buf)));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, nread(box));
	ASSERT_EQ(0, msg_box_destroy(box));
	EXPECT_EQ(-EIDRM, nread(box));
	close(box);
}

TEST_F(rw, too_long_is_emsgsize)
{
	EXPECT_EQ(-1, write(self->box, self->buf, MAX_MSG + 1));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0, queued(self->box));
}

/* Bad pointers fail EFAULT: nothing sent, nothing taken. */
TEST_F(rw, bad_pointers_are_efault)
{
	char *none = mmap(NULL, MAX_MSG, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, none);
	EXPECT_EQ(-1, write(self->box, none, 10));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, queued(self->box));
	ASSERT_EQ(3, write(self->box, "abc", 3));
	EXPECT_EQ(-1, read(self->box, none, 10));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, queued(self->box));
	ASSERT_EQ(3, read(self->box, self->buf, 10));
	munmap(none, MAX_MSG);
}

/*
 * An empty message needs no buffer: NULL with length 0 sends and
 * receives one; NULL with a length is EFAULT, and changes nothing.
 */
TEST_F(rw, null_buffers)
{
	char *volatile none = NULL;	/* hidden from gcc's nonnull check */

	ASSERT_EQ(0, write(self->box, none, 0));
	EXPECT_EQ(1, queued(self->box));
	EXPECT_EQ(-1, write(self->box, none, 10));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, queued(self->box));
	ASSERT_EQ(3, write(self->box, "abc", 3));
	ASSERT_EQ(0, read(self->box, none, 0));
	EXPECT_EQ(1, queued(self->box));
	EXPECT_EQ(-1, read(self->box, none, 10));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, queued(self->box));
	ASSERT_EQ(3, read(self->box, self->buf, 3));
}

/* A handle reads only if opened to receive, writes only if to send. */
TEST_F(rw, access_is_checked)
{
	int snd, rcv, ctl;

	snd = msg_box_open_id(self->dev, self->id, MBX_O_SEND);
	rcv = msg_box_open_id(self->dev, self->id, MBX_O_RECV);
	ctl = msg_box_open_id(self->dev, self->id, 0);
	ASSERT_LE(0, snd);
	ASSERT_LE(0, rcv);
	ASSERT_LE(0, ctl);

	EXPECT_EQ(-1, write(rcv, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, write(ctl, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, queued(self->box));

	ASSERT_EQ(1, write(snd, "x", 1));
	EXPECT_EQ(-1, read(snd, self->buf, 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, read(ctl, self->buf, 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(1, queued(self->box));
	EXPECT_EQ(1, read(rcv, self->buf, 1));
	close(snd);
	close(rcv);
	close(ctl);
}

/* O_NONBLOCK, set at open or with fcntl(), gives EAGAIN. */
TEST_F(rw, nonblocking_is_eagain)
{
	int fd, i;

	EXPECT_EQ(0, fcntl(self->box, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->box, self->buf, 1));
	EXPECT_EQ(EAGAIN, errno);
	for (i = 0; i < LIMIT; i++)
		ASSERT_EQ(1, write(self->box, "m", 1));
	EXPECT_EQ(-1, write(self->box, "m", 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(LIMIT, queued(self->box));

	fd = msg_box_open_id(self->dev, self->id, RW | MBX_O_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, "m", 1));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

/* A handle is a stream of messages: it has no offsets. */
TEST_F(rw, offsets_are_espipe)
{
	EXPECT_EQ(-1, pwrite(self->box, "x", 1, 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, lseek(self->box, 0, SEEK_CUR));
	EXPECT_EQ(ESPIPE, errno);
	ASSERT_EQ(1, write(self->box, "x", 1));
	EXPECT_EQ(-1, pread(self->box, self->buf, 1, 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(1, queued(self->box));
}

/*
 * readv/writev of one segment are read/write; several segments fail
 * EINVAL before anything is sent or taken.
 */
TEST_F(rw, vectors_of_one_segment)
{
	char a[4] = "abc", b[4] = "def";
	struct iovec two[2] = {
		{ .iov_base = a, .iov_len = 3 }, { .iov_base = b, .iov_len = 3 },
	};

	EXPECT_EQ(-1, writev(self->box, two, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, queued(self->box));
	/* A vector of no bytes is a no-op of the VFS: no empty message. */
	two[0].iov_len = 0;
	EXPECT_EQ(0, writev(self->box, two, 1));
	EXPECT_EQ(0, queued(self->box));
	two[0].iov_len = 3;
	ASSERT_EQ(3, writev(self->box, two, 1));
	ASSERT_EQ(3, write(self->box, "xyz", 3));

	EXPECT_EQ(-1, readv(self->box, two, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(2, queued(self->box));
	memset(b, 0, sizeof(b));
	ASSERT_EQ(3, readv(self->box, &two[1], 1));
	EXPECT_EQ(0, memcmp(b, "abc", 3));
	ASSERT_EQ(3, read(self->box, self->buf, 3));
}

TEST_F(rw, poll_then_read)
{
	struct pollfd p = { .fd = self->box, .events = POLLIN | POLLOUT };

	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);
	ASSERT_EQ(4, write(self->box, "ping", 4));
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, p.revents);
	ASSERT_EQ(4, read(self->box, self->buf, sizeof(self->buf)));
}

TEST_F(rw, destroyed_is_eidrm)
{
	ASSERT_EQ(1, write(self->box, "x", 1));
	ASSERT_EQ(0, msg_box_destroy(self->box));
	EXPECT_EQ(-1, read(self->box, self->buf, 1));
	EXPECT_EQ(EIDRM, errno);
	EXPECT_EQ(-1, write(self->box, "x", 1));
	EXPECT_EQ(EIDRM, errno);
}

/* Zero capacity: write() returns once a read() has the message. */
TEST_F(rw, rendezvous)
{
	char out[MAX_MSG];
	pid_t pid;
	int box;

	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW, &zero,
			   NULL);
	ASSERT_LE(0, box);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fill(out, sizeof(out), 3);
		_exit(write(box, out, sizeof(out)) == sizeof(out) ? 0 : errno);
	}
	ASSERT_EQ(0, wait_blocked(box, 1, 0));
	ASSERT_EQ(MAX_MSG, read(box, self->buf, sizeof(self->buf)));
	EXPECT_EQ(0, check_fill(self->buf, MAX_MSG, 3));
	EXPECT_EQ(0, reap(pid));

	/* And a reader waits for its writer. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ssize_t n = read(box, self->buf, sizeof(self->buf));

		_exit(n == 3 && !memcmp(self->buf, "abc", 3) ? 0 :
		      n < 0 ? errno : 100);
	}
	ASSERT_EQ(0, wait_blocked(box, 0, 1));
	ASSERT_EQ(3, write(box, "abc", 3));
	EXPECT_EQ(0, reap(pid));
	msg_box_destroy(box);
	close(box);
}

static int handled_fd = -1;

/* Tell the parent that the handler ran, so the read was interrupted. */
static void note_handled(int sig)
{
	char c = (char)sig;

	(void)!write(handled_fd, &c, 1);
}

/*
 * A signal ends a blocked read with EINTR, or restarts it under
 * SA_RESTART; either way no message is lost.
 */
TEST_F(rw, signals)
{
	struct pollfd p = { .events = POLLIN };
	struct sigaction sa;
	int handled[2];
	pid_t pid;
	char c;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		interrupt_on_sigusr1();
		_exit(read(self->box, self->buf, 1) == -1 && errno == EINTR ?
		      0 : 100);
	}
	ASSERT_EQ(0, wait_blocked(self->box, 0, 1));
	kill(pid, SIGUSR1);
	EXPECT_EQ(0, reap(pid));

	ASSERT_EQ(0, pipe(handled));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		handled_fd = handled[1];
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = note_handled;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		_exit(read(self->box, self->buf, 8) == 4 &&
		      !memcmp(self->buf, "late", 4) ? 0 : 100);
	}
	ASSERT_EQ(0, wait_blocked(self->box, 0, 1));
	kill(pid, SIGUSR1);
	/*
	 * Only once the handler has run was the read interrupted; then a
	 * receiver blocked again is the restarted read, not the first one.
	 */
	p.fd = handled[0];
	ASSERT_EQ(1, poll(&p, 1, 10000));
	ASSERT_EQ(1, read(handled[0], &c, 1));
	ASSERT_EQ(0, wait_blocked(self->box, 0, 1));
	ASSERT_EQ(4, write(self->box, "late", 4));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, queued(self->box));
	close(handled[0]);
	close(handled[1]);
}

/*
 * A message of 16 KiB or more written to a blocked reader is copied
 * straight into the reader's buffer (zero and bounded capacity): never
 * queued, so never charged, and it goes through under a byte quota
 * smaller than itself, which a queued one would find ENOBUFS.  A blocked
 * reader whose buffer is too small fails EMSGSIZE and the message stays.
 */
TEST_F(rw, large_messages_to_a_blocked_reader)
{
	const char *quota_param = "/sys/module/mbx/parameters/user_bytes_max";
	const size_t big = 64 << 10;
	static char out[64 << 10], in[64 << 10];
	struct msg_box_attr attr = {
		.max_msg_size = big, .mode = 0600,
	};
	char quota[32];
	unsigned int cap;
	ssize_t n;
	pid_t pid;
	int box;

	ASSERT_EQ(0, read_str(quota_param, quota, sizeof(quota)));
	for (cap = MBX_CAP_ZERO; cap <= MBX_CAP_BOUNDED; cap++) {
		attr.capacity = cap;
		attr.limit = cap == MBX_CAP_BOUNDED ? 2 : 0;
		box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW,
				   &attr, NULL);
		ASSERT_LE(0, box);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)	/* resident: the single copy takes only that */
			_exit(read(box, touch(in, big), big) == (ssize_t)big &&
			      !check_fill(in, big, cap) ? 0 : 100);
		ASSERT_EQ(0, wait_blocked(box, 0, 1));
		fill(out, big, cap);
		ASSERT_EQ(0, write_str(quota_param, "32768"));
		n = write(box, out, big);
		EXPECT_EQ(0, write_str(quota_param, quota));
		EXPECT_EQ((ssize_t)big, n) TH_LOG("capacity %u: %s", cap,
						  strerror(n < 0 ? errno : 0));
		if (n < 0)
			kill(pid, SIGKILL);
		EXPECT_EQ(0, reap(pid)) TH_LOG("capacity %u", cap);
		msg_box_destroy(box);
		close(box);
	}

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(read(self->box, in, 10) == -1 && errno == EMSGSIZE ?
		      0 : 100);
	ASSERT_EQ(0, wait_blocked(self->box, 0, 1));
	fill(out, 100, 9);
	ASSERT_EQ(100, write(self->box, out, 100));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(1, queued(self->box));
	ASSERT_EQ(100, read(self->box, in, 100));
	EXPECT_EQ(0, check_fill(in, 100, 9));
}

/*
 * read() on /dev/mailbox receives from the caller's inbox, from anyone;
 * write() has no destination there.
 */
TEST_F(rw, inbox)
{
	struct mbx_stat st;
	pid_t parent = getpid(), pid;

	EXPECT_EQ(-1, write(self->dev, "x", 1));
	EXPECT_EQ(EDESTADDRREQ, errno);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int dev = msg_dev_open(0);

		/* The inherited descriptor names the parent's inbox. */
		if (read(self->dev, self->buf, 1) != -1 || errno != EPERM)
			_exit(101);
		if (dev < 0 || msg_send_to(dev, parent, "direct", 6, 0) < 0)
			_exit(102);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid));
	ASSERT_EQ(6, read(self->dev, self->buf, sizeof(self->buf)));
	EXPECT_EQ(0, memcmp(self->buf, "direct", 6));
	ASSERT_EQ(0, msg_stat(self->dev, &st));
	EXPECT_EQ(0ULL, st.msg_count);
}

TEST_HARNESS_MAIN
