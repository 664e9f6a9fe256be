// SPDX-License-Identifier: GPL-2.0
/*
 * mbx: look at and use /dev/mailbox mailboxes from the shell, in the
 * manner of ipcs(1)/ipcrm(1).  See mbx(1).
 *
 * Exit status: 0 success; 1 the operation failed; 2 usage error;
 * 3 nothing to receive (non-blocking receive found none, or the timeout
 * passed).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libmsg.h"

#define EXIT_USAGE	2
#define EXIT_EMPTY	3
#define PROC_MAILBOXES	"/proc/mbx/mailboxes"
#define PROC_INBOXES	"/proc/mbx/inboxes"

static const char usage_text[] =
"Usage: mbx [list] [-i]                    list mailboxes (-i: and inboxes)\n"
"       mbx stat    MAILBOX                show a mailbox's status\n"
"       mbx create  NAME [options]         create a mailbox\n"
"       mbx destroy MAILBOX                destroy a mailbox\n"
"       mbx send    MAILBOX [MESSAGE...]   send the arguments, or stdin\n"
"       mbx recv    MAILBOX                receive to stdout\n"
"\n"
"MAILBOX is a name, or -k KEY, or both (send: -k KEY, the arguments are\n"
"the message), or -I ID.  The command comes first; after it, options may\n"
"come anywhere; after \"--\" nothing is an option (mbx send q -- -v).\n"
"create opens the mailbox if it exists (its options then change nothing),\n"
"unless -x.  An option a command does not take is a usage error.\n"
"\n"
"Options:\n"
"  -k, --key KEY          all but list: the mailbox's numeric key, decimal,\n"
"                         0x hex or 0 octal\n"
"                         (create NAME -k KEY: the new mailbox gets both)\n"
"  -I, --id ID            stat/destroy/send/recv: the mailbox's id\n"
"  -c, --capacity MODE    create: zero, bounded (default) or unbounded\n"
"  -n, --limit N          create -c bounded: messages it holds (16)\n"
"  -s, --max-size BYTES   create: largest message (module default)\n"
"  -m, --mode MODE        create: permission bits, octal (0600)\n"
"  -x, --exclusive        create: fail if it exists\n"
"  -l, --lines            send: one message per input line;\n"
"                         recv: write a newline after each message\n"
"  -C, --count N          recv: receive N messages (0: until none, with -N/-t)\n"
"  -N, --nonblock         send/recv: do not wait (exit 3 if nothing to receive)\n"
"  -t, --timeout SECONDS  send/recv: wait at most this long (0.25: a quarter\n"
"                         of a second), for each message\n"
"  -i, --inboxes          list: also the per-process inboxes\n"
"  -h, --help             this text\n"
"  -V, --version          the version\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error, 3 nothing received\n"
"(recv -N or -t: not one message; fewer than -C N is still 0).\n";

struct opts {
	const char *name;
	unsigned int key;
	unsigned int id;
	struct msg_box_attr attr;
	unsigned int excl;
	int lines;
	long count;
	int nonblock;
	int64_t timeout_ns;
	int timed;
	int inboxes;
};

/*
 * The options each command takes (by their short letters).  Any other is
 * a usage error, not ignored: "mbx send q -C 3 x" sending once, or
 * "-c unbounded -n 4" dropping its limit, would hide a script's mistake.
 */
static const struct {
	const char *cmd;
	const char *opts;
} cmd_opts[] = {
	{ "list",	"i" },
	{ "stat",	"kI" },
	{ "create",	"kcnsmx" },
	{ "destroy",	"kI" },
	{ "send",	"kIlNt" },
	{ "recv",	"kIlCNt" },
};

/*
 * Option @c is not one of command @cmd's (NULL: none given, so list):
 * say so, by both its names, and that the command comes first, which is
 * the likely mistake when there was none.
 */
static int not_an_option(int c, const char *cmd,
			 const struct option *longopts)
{
	const char *name = "?";

	for (; longopts->name; longopts++)
		if (longopts->val == c)
			name = longopts->name;
	fprintf(stderr, "mbx: -%c (--%s) is not an option of %s%s\n", c, name,
		cmd ? cmd : "list",
		cmd ? "" : " (the command comes first: mbx COMMAND [options])");
	fprintf(stderr, "Try 'mbx --help' for more information.\n");
	return EXIT_USAGE;
}

/* NULL if @cmd is no command, else the options it takes. */
static const char *options_of(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_opts) / sizeof(cmd_opts[0]); i++)
		if (!strcmp(cmd, cmd_opts[i].cmd))
			return cmd_opts[i].opts;
	return NULL;
}

/* Standard descriptors closed when we started (see protect_std_fds()). */
static int stdin_closed, stdout_closed;

/*
 * A standard descriptor closed by our caller would be reused by the next
 * open, /dev/mailbox's: reading "stdin" would then receive from our own
 * inbox, and writing "stdout" send to it.  Hold each closed one with
 * /dev/null and remember it, so that send and recv can refuse to use it.
 */
static void protect_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			exit(EXIT_FAILURE);
		if (fd == 0)
			stdin_closed = 1;
		else if (fd == 1)
			stdout_closed = 1;
	}
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mbx: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mbx --help' for more information.\n");
	return EXIT_USAGE;
}

static int fail(const char *what, const char *target, int err)
{
	fprintf(stderr, "mbx: %s%s%s: %s\n", what, target ? " " : "",
		target ? target : "", strerror(-err));
	return EXIT_FAILURE;
}

/* A stdio failure as a negative errno (stdio may leave errno 0). */
static int io_error(void)
{
	return errno ? -errno : -EIO;
}

/* Digits only: strtoul() would take a sign or blanks, and wrap a "-1". */
static int parse_uint(const char *s, int base, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || !*s || *end || v > UINT_MAX)
		return -1;
	*out = v;
	return 0;
}

static const char *target_name(const struct opts *o, char *buf, size_t len)
{
	if (o->name)
		return o->name;
	if (o->id)
		snprintf(buf, len, "id %u", o->id);
	else
		snprintf(buf, len, "key %u", o->key);
	return buf;
}

static int open_target(int dev, const struct opts *o, unsigned int access)
{
	if (o->id)
		return msg_box_open_id(dev, o->id, access | MBX_O_CLOEXEC);
	return msg_box_open(dev, o->name, o->key, access | MBX_O_CLOEXEC,
			    NULL, NULL);
}

static int cat_file(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (fwrite(buf, 1, n, stdout) != n) {
			ret = io_error();
			break;
		}
	}
	if (!ret && ferror(f))
		ret = io_error();
	fclose(f);
	return ret;
}

static int cmd_list(const struct opts *o)
{
	int ret = cat_file(PROC_MAILBOXES);

	if (ret)
		return fail("list", PROC_MAILBOXES, ret);
	if (o->inboxes) {
		printf("\n");
		ret = cat_file(PROC_INBOXES);
		if (ret)
			return fail("list", PROC_INBOXES, ret);
	}
	return 0;
}

static const char *capacity_name(unsigned int c)
{
	switch (c) {
	case MBX_CAP_ZERO:
		return "zero";
	case MBX_CAP_BOUNDED:
		return "bounded";
	case MBX_CAP_UNBOUNDED:
		return "unbounded";
	}
	return "?";
}

/*
 * A name as /proc/mbx shows it: printable ASCII as is, every other byte
 * and the blank, tab, newline and backslash as an octal escape, so that
 * another user's name cannot drive the terminal; "-" is no name.
 */
static void print_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (!*p || !strcmp(name, "-")) {
		fputs(*p ? "\\055" : "-", stdout);
		return;
	}
	for (; *p; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '\\')
			putchar(*p);
		else
			printf("\\%03o", *p);
	}
}

static void print_time(const char *label, long long ns)
{
	char buf[64];
	time_t t = ns / 1000000000LL;

	if (!ns) {
		printf("%-16s never\n", label);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", localtime(&t));
	printf("%-16s %s\n", label, buf);
}

static int cmd_stat(int dev, const struct opts *o)
{
	struct mbx_stat st;
	char tb[32];
	int fd, ret;

	fd = open_target(dev, o, 0);
	if (fd < 0)
		return fail("stat", target_name(o, tb, sizeof(tb)), fd);
	ret = msg_stat(fd, &st);
	close(fd);
	if (ret)
		return fail("stat", target_name(o, tb, sizeof(tb)), ret);
	printf("%-16s %u\n", "id:", st.id);
	printf("%-16s ", "name:");
	print_name(st.name);
	putchar('\n');
	printf("%-16s %u\n", "key:", st.key);
	printf("%-16s %u/%u\n", "owner uid/gid:", st.uid, st.gid);
	printf("%-16s %u/%u\n", "creator uid/gid:", st.cuid, st.cgid);
	printf("%-16s %04o\n", "mode:", st.mode);
	printf("%-16s %s", "capacity:", capacity_name(st.capacity));
	if (st.capacity == MBX_CAP_BOUNDED)
		printf(" %u", st.limit);
	printf("\n%-16s %u\n", "max size:", st.max_msg_size);
	printf("%-16s %llu\n", "messages:", (unsigned long long)st.msg_count);
	printf("%-16s %llu\n", "bytes:", (unsigned long long)st.msg_bytes);
	printf("%-16s %u\n", "senders waiting:", st.senders_waiting);
	printf("%-16s %u\n", "receivers waiting:", st.receivers_waiting);
	printf("%-16s %d\n", "last sender:", st.last_send_pid);
	printf("%-16s %d\n", "last receiver:", st.last_recv_pid);
	print_time("last send:", st.send_time);
	print_time("last receive:", st.recv_time);
	print_time("last change:", st.change_time);
	return 0;
}

static int cmd_create(int dev, const struct opts *o)
{
	unsigned int id;
	int fd;

	if (!o->name && !o->key)
		return usage_error("%s", "create needs a NAME or -k KEY");
	fd = msg_box_open(dev, o->name, o->key,
			  MBX_O_SEND | MBX_O_RECV | MBX_O_CREAT | o->excl,
			  &o->attr, &id);
	/* One that exists but we may not use: still tell its id. */
	if (fd == -EACCES && !o->excl)
		fd = msg_box_open(dev, o->name, o->key, 0, NULL, &id);
	if (fd < 0)
		return fail("create", o->name ? o->name : "(key)", fd);
	printf("%u\n", id);
	close(fd);
	return 0;
}

static int cmd_destroy(int dev, const struct opts *o)
{
	char tb[32];
	int fd, ret;

	fd = open_target(dev, o, 0);
	if (fd < 0)
		return fail("destroy", target_name(o, tb, sizeof(tb)), fd);
	ret = msg_box_destroy(fd);
	close(fd);
	return ret ? fail("destroy", target_name(o, tb, sizeof(tb)), ret) : 0;
}

/* What we printed (a listing, a new id, a status) must have arrived. */
static int flush_stdout(int ret)
{
	if (!ret && (fflush(stdout) == EOF || ferror(stdout)))
		ret = fail("writing to", "stdout", io_error());
	return ret;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * What is left of a -t timeout started at @start, for a timed call that
 * a stop and continue (SIGSTOP, then SIGCONT) ended with EINTR: such a
 * wait is not restarted, its timeout being relative.
 */
static int64_t timeout_left(const struct opts *o, int64_t start)
{
	int64_t left = o->timeout_ns - (now_ns() - start);

	return left > 0 ? left : 0;
}

static int send_one(int fd, const struct opts *o, const void *buf,
		    size_t len)
{
	unsigned int flags = o->nonblock ? MBX_F_NONBLOCK : 0;
	int64_t start = now_ns();
	int ret;

	if (!o->timed)
		return msg_send(fd, buf, len, flags);
	do {
		ret = msg_send_timed(fd, buf, len, flags,
				     timeout_left(o, start));
	} while (ret == -EINTR);
	return ret;
}

/*
 * One line of stdin into *@bufp, without its newline, its length in
 * *@lenp.  Returns 1, or 0 at the end; -EMSGSIZE as soon as the line is
 * longer than @max (the mailbox could not take it: no need to read it
 * all); -ENOMEM; or a read error, then the part read is not a line.
 */
static int read_line(char **bufp, size_t *capp, size_t *lenp, size_t max)
{
	size_t len = 0;
	int c;

	while ((c = getchar()) != EOF && c != '\n') {
		if (len == max)
			return -EMSGSIZE;
		if (len == *capp) {
			size_t cap = *capp ? 2 * *capp : 256;
			char *nb = realloc(*bufp, cap);

			if (!nb)
				return -ENOMEM;
			*bufp = nb;
			*capp = cap;
		}
		(*bufp)[len++] = c;
	}
	if (c == EOF && ferror(stdin))
		return io_error();
	*lenp = len;
	return c != EOF || len;
}

static int cmd_send(int dev, const struct opts *o, int argc, char **argv)
{
	char *buf = NULL, tb[32];
	size_t cap = 0, len = 0, max;
	struct mbx_stat st;
	int fd, ret = 0, i;
	ssize_t n;

	fd = open_target(dev, o, MBX_O_SEND);
	if (fd < 0)
		return fail("send", target_name(o, tb, sizeof(tb)), fd);
	if (!argc && stdin_closed) {
		close(fd);
		return fail("send: reading the message from", "stdin", -EBADF);
	}
	/* No message can be longer: stop reading there, not at ENOMEM. */
	max = msg_stat(fd, &st) ? SIZE_MAX - 1 : st.max_msg_size;
	if (argc) {
		/* The arguments, joined by spaces, as one message. */
		for (i = 0; i < argc; i++)
			len += strlen(argv[i]) + 1;
		buf = malloc(len);
		if (!buf)
			return fail("send", NULL, -ENOMEM);
		buf[0] = 0;
		for (i = 0; i < argc; i++) {
			strcat(buf, argv[i]);
			if (i + 1 < argc)
				strcat(buf, " ");
		}
		ret = send_one(fd, o, buf, strlen(buf));
	} else if (o->lines) {
		while ((ret = read_line(&buf, &cap, &len, max)) > 0) {
			ret = send_one(fd, o, buf, len);
			if (ret < 0)
				break;
		}
	} else {
		/* All of stdin as one message. */
		for (;;) {
			if (len == cap) {
				char *nb = realloc(buf, cap ? 2 * cap : 65536);

				if (!nb) {
					ret = -ENOMEM;
					break;
				}
				buf = nb;
				cap = cap ? 2 * cap : 65536;
			}
			n = fread(buf + len, 1, cap - len, stdin);
			if (n <= 0)
				break;
			len += n;
			if (len > max) {
				ret = -EMSGSIZE;
				break;
			}
		}
		/* A read error is not the end of the message: send nothing. */
		if (!ret && ferror(stdin))
			ret = io_error();
		if (!ret)
			ret = send_one(fd, o, buf, len);
	}
	free(buf);
	close(fd);
	if (ret < 0)
		return fail("send", target_name(o, tb, sizeof(tb)), ret);
	return 0;
}

/*
 * Our stdout is a pipe or socket whose reader has gone (mbx recv -C 0 |
 * head -1): receiving more would take messages only to lose them.
 */
static int stdout_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

static int cmd_recv(int dev, const struct opts *o)
{
	unsigned int flags = o->nonblock ? MBX_F_NONBLOCK : 0;
	struct mbx_stat st;
	struct msg_meta meta;
	size_t len;
	char *buf, tb[32];
	long got = 0;
	ssize_t n = 0;
	int fd;

	/* A message received for a closed stdout would be lost. */
	if (stdout_closed)
		return fail("recv: writing a received message to", "stdout",
			    -EBADF);
	fd = open_target(dev, o, MBX_O_RECV);
	if (fd < 0)
		return fail("recv", target_name(o, tb, sizeof(tb)), fd);
	len = msg_stat(fd, &st) ? 65536 : (st.max_msg_size ? st.max_msg_size : 1);
	buf = malloc(len);
	if (!buf)
		return fail("recv", NULL, -ENOMEM);
	for (;;) {
		int64_t start = now_ns();

		if (stdout_gone()) {
			n = -EPIPE;
			break;
		}
		if (o->timed) {
			do {
				n = msg_recv_timed(fd, buf, len, flags,
						   timeout_left(o, start),
						   &meta);
			} while (n == -EINTR);
		} else {
			n = msg_recv(fd, buf, len, flags, &meta);
		}
		if (n == -EMSGSIZE) {
			/* max_msg_size was lowered after this was queued. */
			char *nb = realloc(buf, meta.len);

			if (!nb)
				break;
			buf = nb;
			len = meta.len;
			continue;
		}
		if (n < 0)
			break;
		/* The message has left the mailbox: say so if it goes nowhere. */
		if (fwrite(buf, 1, n, stdout) != (size_t)n ||
		    (o->lines && putchar('\n') == EOF) || fflush(stdout)) {
			n = -errno;
			free(buf);
			close(fd);
			return fail("recv: a received message is lost: writing it to",
				    "stdout", n ? n : -EIO);
		}
		if (++got == o->count)
			break;
	}
	free(buf);
	close(fd);
	if (n >= 0)
		return 0;
	/* Ran dry: fine after any message, else "nothing received". */
	if (n == -EAGAIN || n == -ETIMEDOUT)
		return got ? 0 : EXIT_EMPTY;
	if (n == -EPIPE)
		return fail("recv: not receiving, nobody reads", "stdout", n);
	return fail("recv", target_name(o, tb, sizeof(tb)), n);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "id", required_argument, NULL, 'I' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'n' },
		{ "max-size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "exclusive", no_argument, NULL, 'x' },
		{ "lines", no_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'C' },
		{ "nonblock", no_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 't' },
		{ "inboxes", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = {
		.attr = { .capacity = MBX_CAP_BOUNDED, .limit = 16,
			  .mode = 0600 },
		.count = 1,
	};
	const char *cmd = NULL, *takes;
	int c, dev, ret, limit_given = 0;
	double timeout;
	char *end;

	protect_std_fds();
	/* A reader gone is an error we report (a message lost), not a kill. */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
		argv[0] = "mbx";	/* getopt's messages say who speaks */
	}
	takes = options_of(cmd ? cmd : "list");
	if (!takes)
		return usage_error("unknown command '%s'", cmd);
	while ((c = getopt_long(argc, argv, "k:I:c:n:s:m:xlC:Nt:ihV", longopts,
				NULL)) != -1) {
		if (!strchr("?hV", c) && !strchr(takes, c))
			return not_an_option(c, cmd, longopts);
		switch (c) {
		case 'k':
			if (parse_uint(optarg, 0, &o.key) || !o.key)
				return usage_error("bad key '%s'", optarg);
			break;
		case 'I':
			if (parse_uint(optarg, 10, &o.id) || !o.id)
				return usage_error("bad id '%s'", optarg);
			break;
		case 'c':
			if (!strcmp(optarg, "zero"))
				o.attr.capacity = MBX_CAP_ZERO;
			else if (!strcmp(optarg, "bounded"))
				o.attr.capacity = MBX_CAP_BOUNDED;
			else if (!strcmp(optarg, "unbounded"))
				o.attr.capacity = MBX_CAP_UNBOUNDED;
			else
				return usage_error("bad capacity '%s'", optarg);
			break;
		case 'n':
			limit_given = 1;
			if (parse_uint(optarg, 10, &o.attr.limit) ||
			    !o.attr.limit || o.attr.limit > MBX_LIMIT_MAX)
				return usage_error("bad limit '%s' (1 to 1048576)",
						   optarg);
			break;
		case 's':
			if (parse_uint(optarg, 10, &o.attr.max_msg_size))
				return usage_error("bad size '%s'", optarg);
			break;
		case 'm':
			if (parse_uint(optarg, 8, &o.attr.mode) ||
			    o.attr.mode > 0777)
				return usage_error("bad mode '%s' (0 to 0777)",
						   optarg);
			break;
		case 'x':
			o.excl = MBX_O_EXCL;
			break;
		case 'l':
			o.lines = 1;
			break;
		case 'C':
			if (!isdigit((unsigned char)*optarg))
				return usage_error("bad count '%s'", optarg);
			errno = 0;
			o.count = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || o.count < 0)
				return usage_error("bad count '%s'", optarg);
			break;
		case 'N':
			o.nonblock = 1;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			/* In ns it must fit an int64_t: about 292 years. */
			if (end == optarg || *end || !isfinite(timeout) ||
			    timeout < 0 || timeout >= INT64_MAX / 1e9)
				return usage_error("bad timeout '%s'", optarg);
			/* 2^63 ns, as a double, is INT64_MAX rounded up. */
			timeout *= 1e9;
			o.timeout_ns = timeout >= (double)INT64_MAX ?
				       INT64_MAX : (int64_t)timeout;
			o.timed = 1;
			break;
		case 'i':
			o.inboxes = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("mbx %s (/dev/mailbox ABI %d)\n", MBX_TOOL_VERSION,
			       MBX_ABI_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'mbx --help' for more information.\n");
			return EXIT_USAGE;
		}
	}
	if (!cmd)
		cmd = "list";
	if (o.attr.capacity != MBX_CAP_BOUNDED) {
		if (limit_given)
			return usage_error("%s", "-n is for a bounded mailbox");
		o.attr.limit = 0;
	}
	if (o.nonblock && o.timed)
		return usage_error("%s", "--nonblock and --timeout exclude each other");
	if (o.id && o.key)
		return usage_error("%s", "--id and --key exclude each other");

	if (!strcmp(cmd, "list")) {
		if (optind < argc)
			return usage_error("unexpected '%s'", argv[optind]);
		return flush_stdout(cmd_list(&o));
	}
	if (!o.id && !o.key) {
		if (optind >= argc)
			return usage_error("%s", strcmp(cmd, "create") ?
					   "which mailbox? (NAME, -k KEY or -I ID)" :
					   "which mailbox? (NAME or -k KEY)");
		o.name = argv[optind++];
		if (!*o.name)
			return usage_error("%s", "empty mailbox name");
	} else if (strcmp(cmd, "send") && !o.id && optind < argc) {
		/*
		 * NAME -k KEY: one mailbox by both (create: the new one gets
		 * both; otherwise ENOENT unless they name the same one).  For
		 * send the arguments are the message.
		 */
		o.name = argv[optind++];
		if (!*o.name)
			return usage_error("%s", "empty mailbox name");
	}
	if (strcmp(cmd, "send") && optind < argc)
		return usage_error("unexpected '%s'", argv[optind]);

	dev = msg_dev_open(0);
	if (dev < 0)
		return fail("open", MBX_DEVICE_PATH, dev);
	if (!strcmp(cmd, "stat"))
		ret = cmd_stat(dev, &o);
	else if (!strcmp(cmd, "create"))
		ret = cmd_create(dev, &o);
	else if (!strcmp(cmd, "destroy"))
		ret = cmd_destroy(dev, &o);
	else if (!strcmp(cmd, "send"))
		ret = cmd_send(dev, &o, argc - optind, argv + optind);
	else
		ret = cmd_recv(dev, &o);
	close(dev);
	return flush_stdout(ret);
}
