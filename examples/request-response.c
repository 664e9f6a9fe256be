// SPDX-License-Identifier: GPL-2.0
/*
 * Direct communication: send(P, message) and receive(Q, message).  A
 * server answers whoever asked, by the pid the kernel reported; the
 * client receives only from the server.  The second exchange uses
 * msg_call(): a send and a receive in one system call, on both sides.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "example.h"

int main(void)
{
	struct mbx_send out = { 0 };
	struct mbx_recv in = { 0 };
	struct msg_meta meta;
	int dev, ready[2], sent;
	char buf[64];
	pid_t server;
	long n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = msg_dev_open(0);		/* the client's inbox */
	if (dev < 0)
		return fail("open /dev/mailbox", dev);
	if (pipe(ready))
		return 1;
	printf("request/response between processes, addressed by pid\n");
	server = fork();
	if (server == 0) {
		int me = msg_dev_open(0);	/* the server's inbox */

		if (me < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		n = msg_recv(me, buf, sizeof(buf) - 1, 0, &meta);
		if (n < 0)
			_exit(fail("server receive", n));
		buf[n] = 0;
		printf("  server (pid %d) got \"%s\" from pid %d; answering\n",
		       (int)getpid(), buf, (int)meta.sender_pid);
		/* Answer, and wait for the next request, in one call. */
		out.buf = (uintptr_t)"42";
		out.len = 2;
		out.to_pid = meta.sender_pid;
		in.buf = (uintptr_t)buf;
		in.len = sizeof(buf) - 1;
		n = msg_call(me, &out, -1, &in, NULL);
		if (n < 0)
			_exit(fail("server call", n));
		buf[n] = 0;
		printf("  server got \"%s\" from pid %d in the same call\n",
		       buf, (int)in.sender_pid);
		n = msg_send_to(me, in.sender_pid, "43", 2, 0);
		_exit(n < 0 ? fail("server send", n) : 0);
	}
	if (read(ready[0], buf, 1) != 1)	/* the server is addressable */
		return 1;
	printf("  client (pid %d) asks server pid %d\n", (int)getpid(),
	       (int)server);
	n = msg_send_to(dev, server, "what is the answer?", 19, 0);
	if (n < 0)
		return fail("send_to", n);
	n = msg_recv_from(dev, server, buf, sizeof(buf) - 1, 0, &meta);
	if (n < 0)
		return fail("recv_from", n);
	buf[n] = 0;
	printf("  client got \"%s\" from pid %d\n", buf, (int)meta.sender_pid);

	/* send(P) and receive(P) in one system call. */
	out.buf = (uintptr_t)"and the next one?";
	out.len = 17;
	out.to_pid = server;
	in.buf = (uintptr_t)buf;
	in.len = sizeof(buf) - 1;
	in.from_pid = server;
	n = msg_call(dev, &out, -1, &in, &sent);
	if (n < 0)
		return fail(sent ? "call (receive half)" : "call (send half)", n);
	buf[n] = 0;
	printf("  client asked again and got \"%s\", in one call\n", buf);
	waitpid(server, NULL, 0);
	return 0;
}
