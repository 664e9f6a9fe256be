// SPDX-License-Identifier: GPL-2.0
/*
 * mbx-demo: what `make run` shows.
 *
 *  1. A bounded mailbox shared by three processes: P1 sends six numbered
 *     messages, P2 and P3 receive them; each message is taken exactly
 *     once, and the kernel says who sent it.
 *  2. A zero-capacity mailbox (rendezvous): the sender waits until a
 *     receiver takes the message, and learns which process did.
 *  3. Direct communication: a client sends a request to a server process
 *     by its pid, and the server answers the pid the kernel reported.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmsg.h"

#define RW	(MBX_O_SEND | MBX_O_RECV)

static int fail(const char *what, int err)
{
	fprintf(stderr, "mbx-demo: %s: %s\n", what, strerror(-err));
	return 1;
}

static void consumer(const char *me, int fd)
{
	struct msg_meta meta;
	char buf[64];
	ssize_t n;

	for (;;) {
		n = msg_recv(fd, buf, sizeof(buf) - 1, 0, &meta);
		if (n < 0)
			_exit(1);
		buf[n] = 0;
		if (!strcmp(buf, "done"))
			_exit(0);
		printf("  %s (pid %d) received \"%s\" from pid %d, uid %u\n",
		       me, (int)getpid(), buf, (int)meta.sender_pid,
		       (unsigned int)meta.sender_uid);
		usleep(20000);	/* let the other consumer have a turn */
	}
}

static int shared_mailbox(int dev)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 2, .mode = 0600,
	};
	unsigned int id;
	pid_t p2, p3;
	char buf[64];
	int fd, i, ret;

	fd = msg_box_open(dev, "/demo", 0, RW | MBX_O_CREAT, &attr, &id);
	if (fd < 0)
		return fail("create /demo", fd);
	printf("1. mailbox \"/demo\" (id %u), bounded to 2 messages; P1 sends, P2 and P3 receive\n",
	       id);
	p2 = fork();
	if (p2 == 0)
		consumer("P2", fd);
	p3 = fork();
	if (p3 == 0)
		consumer("P3", fd);

	for (i = 1; i <= 6; i++) {
		snprintf(buf, sizeof(buf), "message %d", i);
		ret = msg_send(fd, buf, strlen(buf), 0);
		if (ret < 0)
			return fail("send", ret);
		printf("  P1 (pid %d) sent \"%s\"\n", (int)getpid(), buf);
	}
	for (i = 0; i < 2; i++)
		msg_send(fd, "done", 4, 0);
	waitpid(p2, NULL, 0);
	waitpid(p3, NULL, 0);
	msg_box_destroy(fd);
	close(fd);
	return 0;
}

static int rendezvous(int dev)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_ZERO,
					   .mode = 0600 };
	struct msg_meta meta;
	char buf[64];
	pid_t child;
	int fd, ret;

	fd = msg_box_open(dev, NULL, 0, RW | MBX_O_PRIVATE, &attr, NULL);
	if (fd < 0)
		return fail("create rendezvous", fd);
	printf("2. a zero-capacity mailbox: the sender waits for a receiver\n");
	child = fork();
	if (child == 0) {
		sleep(1);	/* arrive late: the sender must wait */
		ret = msg_recv(fd, buf, sizeof(buf) - 1, 0, &meta);
		if (ret < 0)
			_exit(1);
		buf[ret] = 0;
		printf("  receiver (pid %d) took \"%s\" straight from pid %d's buffer\n",
		       (int)getpid(), buf, (int)meta.sender_pid);
		_exit(0);
	}
	printf("  sender (pid %d) sends and waits...\n", (int)getpid());
	ret = msg_send(fd, "hello, rendezvous", 17, 0);
	if (ret < 0)
		return fail("send", ret);
	waitpid(child, NULL, 0);
	printf("  sender: delivered; the kernel says pid %d received it\n", ret);
	msg_box_destroy(fd);
	close(fd);
	return 0;
}

static int direct(int dev)
{
	struct msg_meta meta;
	char buf[64];
	int ready[2];
	pid_t server;
	ssize_t n;
	int ret;

	printf("3. direct: send(P, message) and receive(Q, message) by pid\n");
	if (pipe(ready))
		return 1;
	server = fork();
	if (server == 0) {
		int me = msg_dev_open(0);	/* the server's inbox */

		if (me < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		n = msg_recv(me, buf, sizeof(buf) - 1, 0, &meta);
		if (n < 0)
			_exit(1);
		buf[n] = 0;
		printf("  server (pid %d) got \"%s\" from pid %d; answering it\n",
		       (int)getpid(), buf, (int)meta.sender_pid);
		_exit(msg_send_to(me, meta.sender_pid, "42", 2, 0) < 0);
	}
	if (read(ready[0], buf, 1) != 1)
		return 1;
	printf("  client (pid %d) asks server pid %d\n", (int)getpid(),
	       (int)server);
	ret = msg_send_to(dev, server, "what is the answer?", 19, 0);
	if (ret < 0)
		return fail("send_to", ret);
	n = msg_recv_from(dev, server, buf, sizeof(buf) - 1, 0, &meta);
	if (n < 0)
		return fail("recv_from", n);
	buf[n] = 0;
	printf("  client got \"%s\" from pid %d\n", buf, (int)meta.sender_pid);
	waitpid(server, NULL, 0);
	return 0;
}

int main(void)
{
	struct mbx_info info;
	int dev, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = msg_dev_open(0);
	if (dev < 0)
		return fail("open " MBX_DEVICE_PATH, dev);
	ret = msg_info(dev, &info);
	if (ret < 0)
		return fail("info", ret);
	printf("/dev/mailbox ABI %u: messages up to %u bytes by default, %u at most\n",
	       info.abi_version, info.max_msg_size, info.max_msg_size_cap);
	ret = shared_mailbox(dev) || rendezvous(dev) || direct(dev);
	close(dev);
	return ret;
}
