// SPDX-License-Identifier: GPL-2.0
/*
 * The textbook's shared mailbox: P1 sends while P2 and P3 receive from
 * the same named mailbox.  Each message is taken by exactly one receiver,
 * and the kernel says who sent it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "example.h"

static void receiver(const char *me, int box)
{
	struct msg_meta meta;
	char buf[64];
	long n;

	for (;;) {
		n = msg_recv(box, buf, sizeof(buf) - 1, 0, &meta);
		if (n < 0)
			_exit(fail("receive", n));
		buf[n] = 0;
		if (!strcmp(buf, "done"))
			_exit(0);
		printf("  %s (pid %d) received \"%s\" from pid %d\n", me,
		       (int)getpid(), buf, (int)meta.sender_pid);
		usleep(20000);	/* give the other receiver a turn */
	}
}

int main(void)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 2, .mode = 0600,
	};
	unsigned int id;
	int dev, box, i;
	pid_t p2, p3;
	char buf[32];
	long ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = msg_dev_open(0);
	if (dev < 0)
		return fail("open /dev/mailbox", dev);
	box = msg_box_open(dev, "/example-shared", 0, RW | MBX_O_CREAT, &attr,
			   &id);
	if (box < 0)
		return fail("create /example-shared", box);
	printf("mailbox \"/example-shared\" (id %u): P1 sends, P2 and P3 receive\n",
	       id);
	p2 = fork();
	if (p2 == 0)
		receiver("P2", box);
	p3 = fork();
	if (p3 == 0)
		receiver("P3", box);
	for (i = 1; i <= 6; i++) {
		snprintf(buf, sizeof(buf), "message %d", i);
		ret = msg_send(box, buf, strlen(buf), 0);
		if (ret < 0)
			return fail("send", ret);
		printf("  P1 (pid %d) sent \"%s\"\n", (int)getpid(), buf);
	}
	msg_send(box, "done", 4, 0);
	msg_send(box, "done", 4, 0);
	waitpid(p2, NULL, 0);
	waitpid(p3, NULL, 0);
	msg_box_destroy(box);
	return 0;
}
