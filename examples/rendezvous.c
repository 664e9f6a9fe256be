// SPDX-License-Identifier: GPL-2.0
/*
 * A rendezvous: a zero-capacity mailbox queues nothing, so the sender
 * waits until a receiver takes the message (a message this short through
 * a copy the send makes; a long one straight from the sender's buffer
 * into the receiver's) and learns who took it.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "example.h"

int main(void)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_ZERO,
					   .mode = 0600 };
	struct msg_meta meta;
	int dev, box, receiver_pid;
	char buf[64];
	pid_t child;
	long n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = msg_dev_open(0);
	if (dev < 0)
		return fail("open /dev/mailbox", dev);
	box = msg_box_open(dev, NULL, 0, RW | MBX_O_PRIVATE, &attr, NULL);
	if (box < 0)
		return fail("create mailbox", box);
	printf("rendezvous on a zero-capacity mailbox\n");
	child = fork();
	if (child == 0) {
		sleep(1);	/* arrive late: the sender has to wait */
		n = msg_recv(box, buf, sizeof(buf) - 1, 0, &meta);
		if (n < 0)
			_exit(fail("receive", n));
		buf[n] = 0;
		printf("  receiver (pid %d) took \"%s\" from pid %d\n",
		       (int)getpid(), buf, (int)meta.sender_pid);
		_exit(0);
	}
	printf("  sender (pid %d) sends and waits...\n", (int)getpid());
	receiver_pid = msg_send(box, "hello, rendezvous", 17, 0);
	if (receiver_pid < 0)
		return fail("send", receiver_pid);
	waitpid(child, NULL, 0);
	printf("  sender: delivered; received by pid %d\n", receiver_pid);
	msg_box_destroy(box);
	return 0;
}
