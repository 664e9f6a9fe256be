// SPDX-License-Identifier: GPL-2.0
/*
 * The bounded buffer: a producer and a consumer share a mailbox that holds
 * at most 3 messages.  The producer blocks while it is full, the consumer
 * while it is empty; no other synchronisation is needed.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "example.h"

#define ITEMS	8

int main(void)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 3, .mode = 0600,
	};
	int dev, box, i, item;
	pid_t consumer;
	long ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = msg_dev_open(0);
	if (dev < 0)
		return fail("open /dev/mailbox", dev);
	box = msg_box_open(dev, NULL, 0, RW | MBX_O_PRIVATE, &attr, NULL);
	if (box < 0)
		return fail("create mailbox", box);
	printf("producer/consumer over a mailbox bounded to 3 messages\n");

	consumer = fork();
	if (consumer == 0) {
		for (i = 0; i < ITEMS; i++) {
			ret = msg_recv(box, &item, sizeof(item), 0, NULL);
			if (ret < 0)
				_exit(fail("receive", ret));
			printf("  consumer: item %d\n", item);
			usleep(50000);	/* a slow consumer: the producer waits */
		}
		_exit(0);
	}
	for (i = 0; i < ITEMS; i++) {
		ret = msg_send(box, &i, sizeof(i), 0);
		if (ret < 0)
			return fail("send", ret);
		printf("  producer: item %d\n", i);
	}
	waitpid(consumer, NULL, 0);
	msg_box_destroy(box);
	return 0;
}
