// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of the /dev/mailbox device itself: the node, opening it as
 * any user, the MBX_IOC_INFO ioctl through the raw ioctl and through
 * libmsg, and the size-versioned argument rules (on MBX_IOC_INFO,
 * MBX_IOC_OPEN and MBX_IOC_SEND): the size field, not the size encoded in
 * the command number, says which version of a structure was passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define NOBODY_UID	65534

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(MBX_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MBX_DEVICE_PATH,
				      strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* The node is a character device any process may read and write. */
TEST(node_is_world_rw_chardev)
{
	struct stat st;

	ASSERT_EQ(0, stat(MBX_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666u, st.st_mode & 07777);
	/* A misc device: major 10. */
	EXPECT_EQ(10u, major(st.st_rdev));
}

/* An unprivileged user can open it: access control is per mailbox. */
TEST(unprivileged_open)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgid(NOBODY_UID) || setuid(NOBODY_UID))
			_exit(255);
		fd = open(MBX_DEVICE_PATH, O_RDWR);
		/* The child's exit status is the errno of the failed open. */
		_exit(fd < 0 ? errno : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("open as uid %d: %s", NOBODY_UID,
						 strerror(WEXITSTATUS(status)));
}

/* Does /proc/mbx/inboxes list an inbox of @pid?  1, 0, or -errno. */
static int inbox_listed(pid_t pid)
{
	FILE *f = fopen("/proc/mbx/inboxes", "r");
	char line[512];
	int found = 0, owner;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d", &owner) == 1 && owner == pid)
			found = 1;
	fclose(f);
	return found;
}

/* A child's send of @msg to @pid's inbox: 0 or -errno. */
static int send_from_child(pid_t pid, const char *msg)
{
	pid_t child = fork();

	if (child == 0) {
		int dev = msg_dev_open(0);

		child_exit(dev < 0 ? dev : msg_send_to(dev, pid, msg,
						       strlen(msg), 0));
	}
	return -reap(child);
}

/*
 * Many opens of the device by one process are fine, and share its one
 * inbox: a message sent to the process arrives through any of them, and
 * when the last is closed the inbox ends (a send to it is ESRCH and
 * /proc/mbx/inboxes no longer lists it).
 */
TEST(many_opens_share_one_inbox)
{
	pid_t me = getpid();
	char buf[8];
	int fds[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		fds[i] = open(MBX_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(1, inbox_listed(me));
	ASSERT_EQ(0, send_from_child(me, "last"));
	ASSERT_EQ(0, send_from_child(me, "first"));
	EXPECT_EQ(4, msg_recv(fds[255], buf, sizeof(buf), MBX_F_NONBLOCK,
			      NULL));
	EXPECT_EQ(0, memcmp(buf, "last", 4));
	EXPECT_EQ(5, msg_recv(fds[0], buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(0, memcmp(buf, "first", 5));
	EXPECT_EQ(-EAGAIN, msg_recv(fds[128], buf, sizeof(buf),
				    MBX_F_NONBLOCK, NULL));
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		EXPECT_EQ(0, close(fds[i]));
	EXPECT_EQ(-ESRCH, send_from_child(me, "gone"));
	EXPECT_EQ(0, inbox_listed(me));
}

TEST_F(dev, info_reports_version_and_limits)
{
	struct mbx_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_INFO, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ((__u32)MBX_ABI_VERSION, info.abi_version);
	EXPECT_LT(0u, info.max_msg_size);
	EXPECT_LE(info.max_msg_size, info.max_msg_size_cap);
	EXPECT_LE(4u << 20, info.max_msg_size_cap);
}

TEST_F(dev, unknown_ioctl_is_enotty)
{
	struct mbx_info info = { .size = sizeof(info) };

	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MBX_IOC_MAGIC, 0x7f,
					    struct mbx_info), &info));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong type or direction: also unknown. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MBX_IOC_MAGIC + 1, 0x00,
					    struct mbx_info), &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(MBX_IOC_MAGIC, 0x00,
					   struct mbx_info), &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0u, info.abi_version);
}

TEST_F(dev, info_bad_pointer_is_efault)
{
	void *unmapped = mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, unmapped);
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO, unmapped));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, 4096);
}

/* Output into read-only memory fails with EFAULT, not a crash. */
TEST_F(dev, info_readonly_buffer_is_efault)
{
	struct mbx_info *info = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, info);
	info->size = sizeof(*info);
	ASSERT_EQ(0, mprotect(info, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO, info));
	EXPECT_EQ(EFAULT, errno);
	munmap(info, 4096);
}

TEST_F(dev, info_size_below_ver0_is_einval)
{
	struct mbx_info info = { .size = MBX_INFO_SIZE_VER0 - 4 };

	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0u, info.abi_version);
}

TEST_F(dev, info_size_above_page_is_e2big)
{
	struct mbx_info info = { .size = 1u << 20 };

	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO, &info));
	EXPECT_EQ(E2BIG, errno);
}

/*
 * A newer caller's larger struct: accepted while the bytes this module
 * does not know are zero, E2BIG otherwise; the unknown tail is never
 * written.
 */
TEST_F(dev, info_larger_struct_needs_zero_tail)
{
	struct {
		struct mbx_info info;
		__u64 future[2];
	} big;

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_INFO, &big));
	EXPECT_EQ((__u32)MBX_ABI_VERSION, big.info.abi_version);
	EXPECT_EQ(0ull, big.future[0]);
	EXPECT_EQ(0ull, big.future[1]);

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	big.future[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0u, big.info.abi_version);
}

/*
 * A caller built against a larger structure issues a different command
 * number (the size is encoded in it), but only the structure's size field
 * counts: these are what such a caller would use, one u64 appended.
 */
struct mbx_info_next {
	struct mbx_info info;
	__u64 future;
};

struct mbx_open_next {
	struct mbx_open open;
	__u64 future;
};

struct mbx_send_next {
	struct mbx_send send;
	__u64 future;
};

#define MBX_IOC_INFO_NEXT _IOWR(MBX_IOC_MAGIC, 0x00, struct mbx_info_next)
#define MBX_IOC_OPEN_NEXT _IOWR(MBX_IOC_MAGIC, 0x01, struct mbx_open_next)
#define MBX_IOC_SEND_NEXT _IOWR(MBX_IOC_MAGIC, 0x10, struct mbx_send_next)

/* The grown command is answered; the unknown tail is never written. */
TEST_F(dev, info_grown_command_works)
{
	struct mbx_info_next big;

	ASSERT_NE(MBX_IOC_INFO, MBX_IOC_INFO_NEXT);
	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_INFO_NEXT, &big))
		TH_LOG("grown MBX_IOC_INFO: %s", strerror(errno));
	EXPECT_EQ(sizeof(big), big.info.size);
	EXPECT_EQ((__u32)MBX_ABI_VERSION, big.info.abi_version);
	EXPECT_EQ(0ull, big.future);
}

/* The grown command with a tail this module does not know: E2BIG. */
TEST_F(dev, info_grown_command_nonzero_tail_is_e2big)
{
	struct mbx_info_next big;

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	big.future = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO_NEXT, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0u, big.info.abi_version);
}

/* A command encoding less than the structure's size field: still fine. */
TEST_F(dev, info_command_size_is_not_the_struct_size)
{
	struct mbx_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->fd, _IOWR(MBX_IOC_MAGIC, 0x00, __u64),
			   &info)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ((__u32)MBX_ABI_VERSION, info.abi_version);
}

/* A descriptor's number now; the lowest free one, so it shows a leak. */
static int next_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

static void open_args(struct mbx_open *o, __u32 size, const char *name)
{
	memset(o, 0, sizeof(*o));
	o->size = size;
	o->flags = MBX_O_CREAT | MBX_O_SEND | MBX_O_RECV | MBX_O_CLOEXEC;
	o->name = (uintptr_t)name;
	o->capacity = MBX_CAP_BOUNDED;
	o->limit = 1;
	o->mode = 0600;
}

/* A larger struct mbx_open with a zero tail creates the mailbox. */
TEST_F(dev, open_grown_command_works)
{
	struct mbx_open_next big;
	char name[32];
	int h;

	snprintf(name, sizeof(name), "/dev_test%d", getpid());
	open_args(&big.open, sizeof(big), name);
	big.future = 0;
	h = ioctl(self->fd, MBX_IOC_OPEN_NEXT, &big);
	ASSERT_LE(0, h) TH_LOG("grown MBX_IOC_OPEN: %s", strerror(errno));
	EXPECT_LT(0u, big.open.id);
	EXPECT_EQ(0ull, big.future);
	EXPECT_EQ(0, msg_box_destroy(h));
	close(h);
}

/*
 * Non-zero bytes past struct mbx_open: E2BIG, under the old command and
 * the grown one, with no descriptor and no mailbox created.
 */
TEST_F(dev, open_nonzero_tail_is_e2big)
{
	struct mbx_open_next big;
	char name[32];
	int fd = next_fd();

	ASSERT_LE(0, fd);
	snprintf(name, sizeof(name), "/dev_test%d", getpid());
	open_args(&big.open, sizeof(big), name);
	big.future = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_OPEN, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_OPEN_NEXT, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0u, big.open.id);
	EXPECT_EQ(fd, next_fd());
	EXPECT_EQ(-ENOENT, msg_box_open(self->fd, name, 0, MBX_O_SEND, NULL,
					NULL));
}

/*
 * Arguments that cannot be written back: EFAULT before anything is
 * created, so no descriptor leaks and no mailbox is left behind.
 */
TEST_F(dev, open_readonly_args_is_efault)
{
	struct mbx_open *o;
	int fd = next_fd();
	char *name;

	ASSERT_LE(0, fd);
	o = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, o);
	name = (char *)(o + 1);
	snprintf(name, 32, "/dev_test%d", getpid());
	open_args(o, sizeof(*o), name);
	ASSERT_EQ(0, mprotect(o, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_OPEN, o));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(fd, next_fd());
	EXPECT_EQ(-ENOENT, msg_box_open(self->fd, name, 0, MBX_O_SEND, NULL,
					NULL));
	munmap(o, 4096);
}

/* A private mailbox holding one message at most, for the send tests. */
static int private_box(int dev)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1, .mode = 0600,
	};

	return msg_box_open(dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			    MBX_O_RECV | MBX_O_CLOEXEC, &attr, NULL);
}

/* A larger struct mbx_send with a zero tail sends. */
TEST_F(dev, send_grown_command_works)
{
	struct mbx_send_next big;
	int h = private_box(self->fd);

	ASSERT_LE(0, h);
	memset(&big, 0, sizeof(big));
	big.send.size = sizeof(big);
	big.send.buf = (uintptr_t)"x";
	big.send.len = 1;
	EXPECT_EQ(0, ioctl(h, MBX_IOC_SEND_NEXT, &big))
		TH_LOG("grown MBX_IOC_SEND: %s", strerror(errno));
	EXPECT_EQ(1, queued(h));
	EXPECT_EQ(0ull, big.future);
	msg_box_destroy(h);
	close(h);
}

/* Non-zero bytes past struct mbx_send: E2BIG, and nothing is sent. */
TEST_F(dev, send_nonzero_tail_is_e2big)
{
	struct mbx_send_next big;
	int h = private_box(self->fd);

	ASSERT_LE(0, h);
	memset(&big, 0, sizeof(big));
	big.send.size = sizeof(big);
	big.send.buf = (uintptr_t)"x";
	big.send.len = 1;
	big.future = 1;
	EXPECT_EQ(-1, ioctl(h, MBX_IOC_SEND, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, ioctl(h, MBX_IOC_SEND_NEXT, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, queued(h));
	msg_box_destroy(h);
	close(h);
}

TEST_F(dev, info_unknown_flags_are_einval)
{
	struct mbx_info info = { .size = sizeof(info), .flags = 1u << 31 };

	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0u, info.abi_version);
}

TEST_F(dev, info_nonzero_reserved_is_einval)
{
	struct mbx_info info = { .size = sizeof(info), .__reserved = 7 };

	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

/* libmsg returns negative errnos and leaves errno alone. */
TEST(libmsg_info)
{
	struct mbx_info info;
	int fd, p[2];

	ASSERT_EQ(0, pipe(p));
	fd = msg_dev_open(0);
	ASSERT_LE(0, fd);
	errno = 1234;
	ASSERT_EQ(0, msg_info(fd, &info));
	EXPECT_EQ((__u32)MBX_ABI_VERSION, info.abi_version);
	EXPECT_EQ(-EBADF, msg_info(-1, &info));
	EXPECT_EQ(-ENOTTY, msg_info(p[0], &info));
	EXPECT_EQ(-EINVAL, msg_dev_open(O_APPEND));
	EXPECT_EQ(1234, errno);
	close(fd);
	close(p[0]);
	close(p[1]);
}

TEST_HARNESS_MAIN
