// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of MBX_IOC_CALL (msg_call()): a send then a receive in one
 * system call.  Request/response over mailboxes and inboxes, the
 * receiver it reports, and the rule that matters most: the caller always
 * knows whether its message went (call.sent), a bad argument anywhere
 * sends nothing, and an interrupted receive is never restarted (which
 * would send twice).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define RW		(MBX_O_SEND | MBX_O_RECV)
#define ROUNDS		200

static const struct msg_box_attr bounded8 = {
	.capacity = MBX_CAP_BOUNDED, .limit = 8, .mode = 0600,
};

FIXTURE(call) {
	int dev;
	int req;	/* requests: client -> server */
	int rep;	/* replies: server -> client */
	unsigned int rep_id;
};

FIXTURE_SETUP(call)
{
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	self->req = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW,
				 &bounded8, NULL);
	ASSERT_LE(0, self->req);
	self->rep = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW,
				 &bounded8, &self->rep_id);
	ASSERT_LE(0, self->rep);
}

FIXTURE_TEARDOWN(call)
{
	msg_box_destroy(self->req);
	msg_box_destroy(self->rep);
	close(self->req);
	close(self->rep);
	close(self->dev);
}

static void set_send(struct mbx_send *s, const void *buf, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->buf = (uintptr_t)buf;
	s->len = len;
}

static void set_recv(struct mbx_recv *r, void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = (uintptr_t)buf;
	r->len = len;
}

/*
 * A server: receives a request, then for each one replies with the
 * request plus one and receives the next in the same call; the last
 * reply is a plain send.  Exits with 0 or the errno it met.
 */
static void serve(int req, int rep, int rounds)
{
	struct mbx_send s;
	struct mbx_recv r;
	unsigned int n;
	long ret;
	int i;

	ret = msg_recv(req, &n, sizeof(n), 0, NULL);
	for (i = 1; i < rounds && ret >= 0; i++) {
		n++;
		set_send(&s, &n, sizeof(n));
		set_recv(&r, &n, sizeof(n));
		ret = msg_call(rep, &s, req, &r, NULL);
	}
	if (ret >= 0) {
		n++;
		ret = msg_send(rep, &n, sizeof(n), 0);
	}
	child_exit(ret);
}

TEST_F(call, request_response_over_mailboxes)
{
	struct mbx_send s;
	struct mbx_recv r;
	unsigned int n, reply;
	pid_t server;
	int i, sent;

	server = fork();
	ASSERT_LE(0, server);
	if (server == 0)
		serve(self->req, self->rep, ROUNDS);

	for (i = 0; i < ROUNDS; i++) {
		n = i * 3;
		reply = 0;
		set_send(&s, &n, sizeof(n));
		set_recv(&r, &reply, sizeof(reply));
		sent = -1;
		ASSERT_EQ((long)sizeof(reply),
			  msg_call(self->req, &s, self->rep, &r, &sent));
		ASSERT_EQ(1, sent);
		ASSERT_EQ(n + 1, reply);
		ASSERT_EQ(sizeof(reply), r.msg_len);
		ASSERT_EQ(server, r.sender_pid);
		ASSERT_EQ(getuid(), r.sender_uid);
		ASSERT_EQ(self->rep_id, r.mailbox_id);
		/* A buffered send reports no receiver. */
		ASSERT_EQ(0, s.receiver_pid);
	}
	ASSERT_EQ(0, reap(server));
	EXPECT_EQ(0, queued(self->req));
	EXPECT_EQ(0, queued(self->rep));
}

TEST_F(call, direct_request_response)
{
	int ready[2], dev, i, sent;
	struct mbx_send s;
	struct mbx_recv r;
	unsigned int n;
	pid_t server;
	long ret;

	ASSERT_EQ(0, pipe(ready));
	server = fork();
	ASSERT_LE(0, server);
	if (server == 0) {
		/* Its own open: its own inbox.  Replies go to the sender. */
		dev = msg_dev_open(0);
		if (write(ready[1], &dev, sizeof(dev)) != sizeof(dev))
			_exit(100);
		set_recv(&r, &n, sizeof(n));
		ret = msg_recv_from(dev, 0, &n, sizeof(n), 0, NULL);
		for (i = 1; i < ROUNDS && ret >= 0; i++) {
			n++;
			set_send(&s, &n, sizeof(n));
			s.to_pid = getppid();
			set_recv(&r, &n, sizeof(n));
			ret = msg_call(dev, &s, -1, &r, NULL);
			if (ret >= 0 && r.sender_pid != getppid())
				_exit(101);
		}
		n++;
		child_exit(ret < 0 ? ret :
			   msg_send_to(dev, getppid(), &n, sizeof(n), 0));
	}
	ASSERT_EQ((ssize_t)sizeof(dev), read(ready[0], &dev, sizeof(dev)));
	ASSERT_LE(0, dev);

	for (i = 0; i < ROUNDS; i++) {
		unsigned int reply = 0, req = i * 5;

		set_send(&s, &req, sizeof(req));
		s.to_pid = server;
		set_recv(&r, &reply, sizeof(reply));
		r.from_pid = server;	/* receive(Q): the reply only */
		ASSERT_EQ((long)sizeof(reply),
			  msg_call(self->dev, &s, -1, &r, &sent));
		ASSERT_EQ(1, sent);
		ASSERT_EQ(req + 1, reply);
		ASSERT_EQ(server, r.sender_pid);
		ASSERT_EQ(0U, r.mailbox_id);	/* an inbox */
	}
	ASSERT_EQ(0, reap(server));
	close(ready[0]);
	close(ready[1]);
}

/* Zero capacity: the send half is a rendezvous and names the receiver. */
TEST_F(call, rendezvous_reports_receiver)
{
	static const struct msg_box_attr zero = {
		.capacity = MBX_CAP_ZERO, .mode = 0600,
	};
	char req[16] = "ping", reply[16] = "";
	struct mbx_send s;
	struct mbx_recv r;
	int zfd, sent;
	pid_t server;

	zfd = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW, &zero,
			   NULL);
	ASSERT_LE(0, zfd);
	server = fork();
	ASSERT_LE(0, server);
	if (server == 0) {
		char buf[16];
		long ret = msg_recv(zfd, buf, sizeof(buf), 0, NULL);

		if (ret >= 0)
			ret = msg_send(self->rep, "pong", 5, 0);
		child_exit(ret);
	}
	set_send(&s, req, 5);
	set_recv(&r, reply, sizeof(reply));
	ASSERT_EQ(5, msg_call(zfd, &s, self->rep, &r, &sent));
	ASSERT_EQ(1, sent);
	ASSERT_EQ(server, s.receiver_pid);
	ASSERT_STREQ("pong", reply);
	ASSERT_EQ(0, reap(server));
	msg_box_destroy(zfd);
	close(zfd);
}

/* Whatever is wrong with where or how to receive, nothing is sent. */
TEST_F(call, bad_receive_side_sends_nothing)
{
	static const struct msg_box_attr attr = { .mode = 0600,
		.capacity = MBX_CAP_BOUNDED, .limit = 1 };
	char msg[8] = "x", buf[8];
	int pfd[2], send_only, sent;
	struct mbx_send s;
	struct mbx_recv r;

	ASSERT_EQ(0, pipe(pfd));
	send_only = msg_box_open(self->dev, NULL, 0,
				 MBX_O_PRIVATE | MBX_O_SEND, &attr, NULL);
	ASSERT_LE(0, send_only);
	set_send(&s, msg, sizeof(msg));

	/* Not a descriptor, not a mailbox, not opened for receiving. */
	set_recv(&r, buf, sizeof(buf));
	EXPECT_EQ(-EBADF, msg_call(self->req, &s, 1000, &r, &sent));
	EXPECT_EQ(0, sent);
	EXPECT_EQ(-EBADF, msg_call(self->req, &s, pfd[0], &r, &sent));
	EXPECT_EQ(0, sent);
	EXPECT_EQ(-EBADF, msg_call(self->req, &s, send_only, &r, &sent));
	EXPECT_EQ(0, sent);
	EXPECT_EQ(-EINVAL, msg_call(self->req, &s, -2, &r, &sent));
	EXPECT_EQ(0, sent);

	/* Bad receive arguments. */
	r.flags = 0x80;
	EXPECT_EQ(-EINVAL, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(0, sent);
	set_recv(&r, buf, sizeof(buf));
	r.flags = MBX_F_NONBLOCK | MBX_F_TIMEOUT;
	EXPECT_EQ(-EINVAL, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(0, sent);
	set_recv(&r, buf, sizeof(buf));
	r.__reserved = 1;
	EXPECT_EQ(-EINVAL, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(0, sent);
	set_recv(&r, buf, sizeof(buf));
	r.from_pid = -1;
	EXPECT_EQ(-EINVAL, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(0, sent);

	EXPECT_EQ(0, queued(self->req));
	close(send_only);
	close(pfd[0]);
	close(pfd[1]);
}

/* A failed send half: its errno, sent 0, nothing queued. */
TEST_F(call, failed_send_is_not_sent)
{
	char big[9000], buf[8], msg[8] = "m";
	struct mbx_send s;
	struct mbx_recv r;
	int i, sent;

	memset(big, 1, sizeof(big));
	set_recv(&r, buf, sizeof(buf));
	set_send(&s, big, sizeof(big));
	EXPECT_EQ(-EMSGSIZE, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(0, sent);
	set_send(&s, msg, sizeof(msg));
	s.flags = 0x80;
	EXPECT_EQ(-EINVAL, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(0, sent);
	EXPECT_EQ(0, queued(self->req));

	/* Full: a non-blocking send half fails and sends nothing. */
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, msg_send(self->req, msg, sizeof(msg), 0));
	set_send(&s, msg, sizeof(msg));
	s.flags = MBX_F_NONBLOCK;
	EXPECT_EQ(-EAGAIN, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(0, sent);
	EXPECT_EQ(8, queued(self->req));

	/* Direct: no such process; pid 0 is none either, -1 bad input. */
	set_send(&s, msg, sizeof(msg));
	s.to_pid = 0x3ffffff0;
	EXPECT_EQ(-ESRCH, msg_call(self->dev, &s, -1, &r, &sent));
	EXPECT_EQ(0, sent);
	s.to_pid = 0;
	EXPECT_EQ(-ESRCH, msg_call(self->dev, &s, -1, &r, &sent));
	EXPECT_EQ(0, sent);
	s.to_pid = -1;
	EXPECT_EQ(-EINVAL, msg_call(self->dev, &s, -1, &r, &sent));
	EXPECT_EQ(0, sent);
}

/* A failed receive half: its errno, and the message went exactly once. */
TEST_F(call, failed_receive_keeps_the_send)
{
	char msg[8] = "m", small[2], buf[64];
	struct mbx_send s;
	struct mbx_recv r;
	long long t0;
	int sent;

	set_send(&s, msg, sizeof(msg));
	set_recv(&r, buf, sizeof(buf));
	r.flags = MBX_F_NONBLOCK;
	EXPECT_EQ(-EAGAIN, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(1, sent);
	EXPECT_EQ(1, queued(self->req));

	set_recv(&r, buf, sizeof(buf));
	r.flags = MBX_F_TIMEOUT;
	r.timeout_ns = 30 * MS;
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_LE(30 * MS, now_ns() - t0);
	EXPECT_EQ(1, sent);
	EXPECT_EQ(2, queued(self->req));

	/* Too small a buffer: EMSGSIZE with the size needed; it stays. */
	ASSERT_EQ(0, msg_send(self->rep, buf, 40, 0));
	set_recv(&r, small, sizeof(small));
	EXPECT_EQ(-EMSGSIZE, msg_call(self->req, &s, self->rep, &r, &sent));
	EXPECT_EQ(1, sent);
	EXPECT_EQ(40U, r.msg_len);
	EXPECT_EQ(3, queued(self->req));
	EXPECT_EQ(1, queued(self->rep));
}

struct unmapper {
	int box;
	void *page;
	long ret;
};

/* Once the call's send is blocked, unmap its struct, then receive. */
static void *unmap_then_receive(void *arg)
{
	struct unmapper *u = arg;
	char buf[16];

	if (wait_blocked(u->box, 1, -1)) {
		u->ret = -ETIMEDOUT;
		return NULL;
	}
	munmap(u->page, 4096);
	u->ret = msg_recv(u->box, buf, sizeof(buf), 0, NULL);
	return NULL;
}

/*
 * The send went, but its receiver could not be written back (another
 * thread unmapped the struct mbx_send meanwhile): EFAULT, and .sent says
 * the message went, so that the caller does not send it again.
 */
TEST_F(call, sent_even_when_reporting_the_send_faults)
{
	static const struct msg_box_attr zero = {
		.capacity = MBX_CAP_ZERO, .mode = 0600,
	};
	struct unmapper u = { .ret = -1 };
	struct mbx_recv r;
	struct mbx_send *s;
	pthread_t thread;
	char buf[16];
	int sent = -1;

	u.box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW, &zero,
			     NULL);
	ASSERT_LE(0, u.box);
	u.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, u.page);
	s = u.page;
	set_send(s, "hello", 5);
	set_recv(&r, buf, sizeof(buf));
	ASSERT_EQ(0, pthread_create(&thread, NULL, unmap_then_receive, &u));
	EXPECT_EQ(-EFAULT, msg_call(u.box, s, -1, &r, &sent));
	EXPECT_EQ(1, sent);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(5, u.ret);
	msg_box_destroy(u.box);
	close(u.box);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/*
 * A signal while the receive half waits: EINTR even with SA_RESTART,
 * since restarting would send the request again.
 */
TEST_F(call, interrupted_receive_is_not_restarted)
{
	struct sigaction sa;
	pid_t client;

	client = fork();
	ASSERT_LE(0, client);
	if (client == 0) {
		char msg[8] = "once", buf[8];
		struct mbx_send s;
		struct mbx_recv r;
		int sent = 0;
		long ret;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		set_send(&s, msg, sizeof(msg));
		set_recv(&r, buf, sizeof(buf));
		ret = msg_call(self->req, &s, self->rep, &r, &sent);
		if (ret != -EINTR)
			_exit(100);
		_exit(sent == 1 ? 0 : 101);
	}
	ASSERT_EQ(0, wait_blocked(self->rep, -1, 1));
	ASSERT_EQ(0, kill(client, SIGUSR1));
	ASSERT_EQ(0, reap(client));
	EXPECT_EQ(1, queued(self->req));
}

/* The inbox of a /dev/mailbox descriptor is its opener's only. */
TEST_F(call, inherited_device_cannot_receive)
{
	pid_t child = fork();

	ASSERT_LE(0, child);
	if (child == 0) {
		char msg[8] = "m", buf[8];
		struct mbx_send s;
		struct mbx_recv r;
		int sent = -1;
		long ret;

		set_send(&s, msg, sizeof(msg));
		set_recv(&r, buf, sizeof(buf));
		ret = msg_call(self->req, &s, self->dev, &r, &sent);
		_exit(ret == -EPERM && sent == 0 ? 0 : 100);
	}
	ASSERT_EQ(0, reap(child));
	EXPECT_EQ(0, queued(self->req));
}

/* The call structure itself: flags, sizes, access, writability. */
TEST_F(call, call_struct_errors)
{
	char msg[8] = "m", buf[8];
	struct mbx_call call, *ro;
	struct mbx_send s;
	struct mbx_recv r;
	char *page;
	int send_less;

	set_send(&s, msg, sizeof(msg));
	s.size = sizeof(s);
	set_recv(&r, buf, sizeof(buf));
	r.size = sizeof(r);
	memset(&call, 0, sizeof(call));
	call.size = sizeof(call);
	call.send = (uintptr_t)&s;
	call.recv = (uintptr_t)&r;
	call.recv_fd = self->rep;

	call.flags = 1;
	EXPECT_EQ(-1, ioctl(self->req, MBX_IOC_CALL, &call));
	EXPECT_EQ(EINVAL, errno);
	call.flags = 0;
	call.size = MBX_CALL_SIZE_VER0 - 8;
	EXPECT_EQ(-1, ioctl(self->req, MBX_IOC_CALL, &call));
	EXPECT_EQ(EINVAL, errno);
	call.size = sizeof(call);
	call.send = 8;		/* unmapped */
	call.sent = 0xdead;	/* written on this error: nothing went */
	EXPECT_EQ(-1, ioctl(self->req, MBX_IOC_CALL, &call));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0U, call.sent);
	call.send = (uintptr_t)&s;
	call.recv = 8;
	EXPECT_EQ(-1, ioctl(self->req, MBX_IOC_CALL, &call));
	EXPECT_EQ(EFAULT, errno);
	call.recv = (uintptr_t)&r;
	EXPECT_EQ(0, queued(self->req));

	/* Read-only: "sent" could not be reported, so nothing is sent. */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ro = (struct mbx_call *)page;
	*ro = call;
	ASSERT_EQ(0, mprotect(page, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->req, MBX_IOC_CALL, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, queued(self->req));
	munmap(page, 4096);

	/* A handle that may not send cannot call. */
	send_less = msg_box_open(self->dev, NULL, 0,
				 MBX_O_PRIVATE | MBX_O_RECV, &bounded8, NULL);
	ASSERT_LE(0, send_less);
	EXPECT_EQ(-1, ioctl(send_less, MBX_IOC_CALL, &call));
	EXPECT_EQ(EBADF, errno);
	close(send_less);

	/* And it all works once the arguments are right. */
	ASSERT_EQ(0, msg_send(self->rep, "r", 2, 0));
	EXPECT_EQ(0, ioctl(self->req, MBX_IOC_CALL, &call));
	EXPECT_EQ(1U, call.sent);
	EXPECT_EQ(2U, r.msg_len);
	EXPECT_EQ(1, queued(self->req));
}

/* MBX_IOC_INFO advertises the call. */
TEST_F(call, feature_bit)
{
	struct mbx_info info;

	ASSERT_EQ(0, msg_info(self->dev, &info));
	EXPECT_NE(0ULL, info.features & MBX_FEATURE_CALL);
}

TEST_HARNESS_MAIN
