// SPDX-License-Identifier: GPL-2.0
/*
 * mbx-demo: what `make run` shows.  Two processes open /dev/mailbox and
 * each asks the module what it offers, printing what they see.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmsg.h"

static int show(const char *who)
{
	struct mbx_info info;
	int fd, ret;

	fd = msg_dev_open(0);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", who, MBX_DEVICE_PATH,
			strerror(-fd));
		return 1;
	}
	ret = msg_info(fd, &info);
	if (ret < 0) {
		fprintf(stderr, "%s: info: %s\n", who, strerror(-ret));
		close(fd);
		return 1;
	}
	printf("%s (pid %d): /dev/mailbox ABI %u, max message %u bytes by default, up to %u\n",
	       who, (int)getpid(), info.abi_version, info.max_msg_size,
	       info.max_msg_size_cap);
	close(fd);
	return 0;
}

int main(void)
{
	int status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		_exit(show("child"));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;
	return show("parent");
}
