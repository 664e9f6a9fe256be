// SPDX-License-Identifier: GPL-2.0
/*
 * Two processes over one mechanism.  The parent forks a child, both attach
 * to the channel, and the child then serves commands read from a pipe:
 *   OP_PINGPONG n len	n times: receive len bytes, send them back (with
 *			a mech's call: receive, n - 1 calls that reply and
 *			receive the next, a last reply);
 *   OP_STREAM n len	receive n messages of len bytes, then send an
 *			8-byte acknowledgement back;
 *   OP_PULL n len	n pulls of len bytes (MECH_PULL), then say "done"
 *			on the acknowledgement pipe;
 *   OP_QUIT		detach and exit.
 * The parent does its half and times the batch.  Commands and
 * acknowledgements travel outside the timed section (except the final
 * one of a stream or pull, one small message per batch).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

#define ACK_LEN		8

struct cmd {
	int op;
	long n;
	size_t len;
};

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		p += r;
		len -= r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		len -= r;
	}
	return 0;
}

/* A whole message of exactly @len bytes, or an error. */
static int recv_exact(struct pair *p, size_t len)
{
	long r = p->m->recv(&p->c, p->buf, len);

	if (r < 0)
		return r;
	return (size_t)r == len ? 0 : -EBADMSG;
}

/* Send @len bytes and receive a whole message of @len bytes back. */
static int call_exact(struct pair *p, size_t len)
{
	long r = p->m->call(&p->c, p->buf, len, p->buf, len);

	if (r < 0)
		return r;
	return (size_t)r == len ? 0 : -EBADMSG;
}

static int child_serve(struct pair *p, const struct cmd *cmd)
{
	long i;
	int err = 0;

	switch (cmd->op) {
	case OP_PINGPONG:
		if (p->m->call && cmd->n > 0) {
			/* Receive, then reply-and-receive, then reply. */
			err = recv_exact(p, cmd->len);
			for (i = 1; i < cmd->n && !err; i++)
				err = call_exact(p, cmd->len);
			return err ?: p->m->send(&p->c, p->buf, cmd->len);
		}
		for (i = 0; i < cmd->n && !err; i++) {
			err = recv_exact(p, cmd->len);
			if (!err)
				err = p->m->send(&p->c, p->buf, cmd->len);
		}
		return err;
	case OP_STREAM:
		for (i = 0; i < cmd->n && !err; i++)
			err = recv_exact(p, cmd->len);
		return err ? err : p->m->send(&p->c, p->buf, ACK_LEN);
	case OP_PULL:
		for (i = 0; i < cmd->n && !err; i++)
			err = recv_exact(p, cmd->len);
		return err;
	}
	return -EINVAL;
}

static void child_main(struct pair *p, int cmd_fd, int ack_fd)
{
	struct cmd cmd;
	int err;

	err = p->m->attach(&p->c, 1);
	write_full(ack_fd, &err, sizeof(err));
	if (err)
		_exit(1);
	while (!read_full(cmd_fd, &cmd, sizeof(cmd)) && cmd.op != OP_QUIT) {
		err = child_serve(p, &cmd);
		if (cmd.op == OP_PULL || err)
			write_full(ack_fd, &err, sizeof(err));
		if (err)
			break;
	}
	p->m->detach(&p->c);
	_exit(err ? 1 : 0);
}

/**
 * pair_start() - set up @m between this process and a new child
 * @p:		filled
 * @m:		the mechanism
 * @max_len:	largest message
 * @depth:	chan.depth
 * @cpu0:	vCPU for the parent, -1 for any
 * @cpu1:	vCPU for the child, -1 for any
 *
 * Return: 0, or a negative errno (-EOPNOTSUPP: the mechanism cannot do
 * this figure) with nothing left running.
 */
int pair_start(struct pair *p, const struct mech *m, size_t max_len,
	       unsigned int depth, int cpu0, int cpu1)
{
	int cmd[2], ack[2], err, child_err;

	memset(p, 0, sizeof(*p));
	p->m = m;
	p->c.max_len = max_len;
	p->c.depth = depth;
	p->child = -1;
	/* Page-aligned and touched: no page faults inside a batch. */
	p->buf = mmap(NULL, max_len + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->buf == MAP_FAILED)
		return -ENOMEM;
	memset(p->buf, 0x5a, max_len);
	err = m->setup(&p->c);
	if (err)
		goto out_unmap;
	if (pipe(cmd) || pipe(ack)) {
		err = -errno;
		goto out_teardown;
	}
	p->c.peer = getpid();
	p->child = fork();
	if (p->child < 0) {
		err = -errno;
		goto out_pipes;
	}
	if (p->child == 0) {
		close(cmd[1]);
		close(ack[0]);
		if (cpu1 >= 0)
			pin_to(0, cpu1);
		child_main(p, cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	p->cmd_fd = cmd[1];
	p->ack_fd = ack[0];
	p->c.peer = p->child;
	if (cpu0 >= 0)
		pin_to(0, cpu0);
	err = m->attach(&p->c, 0);
	if (read_full(p->ack_fd, &child_err, sizeof(child_err)))
		child_err = -EPIPE;
	if (!err)
		err = child_err;
	if (err) {
		pair_stop(p);
		return err;
	}
	return 0;

out_pipes:
	close(cmd[0]);
	close(cmd[1]);
	close(ack[0]);
	close(ack[1]);
out_teardown:
	m->teardown(&p->c);
out_unmap:
	munmap(p->buf, max_len + 4096);
	p->buf = NULL;
	return err;
}

/**
 * pair_run() - one batch
 * @p:		a started pair
 * @op:		OP_PINGPONG, OP_STREAM or OP_PULL
 * @n:		operations in the batch
 * @len:	message size
 *
 * Return: the batch's duration in ns, or a negative errno.
 */
int64_t pair_run(struct pair *p, enum pair_op op, long n, size_t len)
{
	struct cmd cmd = { .op = op, .n = n, .len = len };
	int64_t start, end;
	int err = 0, child_err;
	long i;

	err = write_full(p->cmd_fd, &cmd, sizeof(cmd));
	if (err)
		return err;
	start = now_ns();
	switch (op) {
	case OP_PINGPONG:
		for (i = 0; i < n && !err; i++) {
			if (p->m->call) {
				err = call_exact(p, len);
				continue;
			}
			err = p->m->send(&p->c, p->buf, len);
			if (!err)
				err = recv_exact(p, len);
		}
		break;
	case OP_STREAM:
		for (i = 0; i < n && !err; i++)
			err = p->m->send(&p->c, p->buf, len);
		if (!err)
			err = recv_exact(p, ACK_LEN);
		break;
	case OP_PULL:
		if (read_full(p->ack_fd, &child_err, sizeof(child_err)))
			child_err = -EPIPE;
		err = child_err;
		break;
	default:
		return -EINVAL;
	}
	end = now_ns();
	return err ? err : end - start;
}

/* Stop the child (politely, else by force) and tear the channel down. */
void pair_stop(struct pair *p)
{
	struct cmd quit = { .op = OP_QUIT };
	int status;

	if (p->child > 0) {
		if (write_full(p->cmd_fd, &quit, sizeof(quit)))
			kill(p->child, SIGKILL);
		close(p->cmd_fd);
		close(p->ack_fd);
		/* A child stuck in a blocking call never reads OP_QUIT. */
		kill(p->child, SIGKILL);
		waitpid(p->child, &status, 0);
		p->child = -1;
	}
	p->m->detach(&p->c);
	p->m->teardown(&p->c);
	unpin();
	if (p->buf)
		munmap(p->buf, p->c.max_len + 4096);
	p->buf = NULL;
}
