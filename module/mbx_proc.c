// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mbx: the read-only view of mailboxes and inboxes that the mbx
 * tool (and anyone with cat) reads, in the spirit of /proc/sysvipc/msg.
 *
 * Why /proc: it is where System V IPC already shows its objects, it is
 * there without debugfs (which is root-only and no ABI) and a table per
 * file suits a listing, where sysfs wants one value per file.
 *
 *   /proc/mbx/mailboxes	mailboxes the reader may receive from
 *   /proc/mbx/inboxes		inboxes of the reader's uid (all with
 *				CAP_IPC_OWNER) whose owner it can see
 *
 * Ids are shown as /proc/sysvipc shows them: uids and gids in the user
 * namespace of whoever opened the file (seq_user_ns()), pids in the pid
 * namespace of the proc mount, 0 for a pid not visible there; a
 * descriptor handed to a process in other namespaces reads the same.
 * Nothing here is a kernel pointer.
 */
#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/string_helpers.h>
#include <linux/stringify.h>

#include "mbx_internal.h"

/* Width of the name column: longer names push the rest of their row. */
#define MBX_PROC_NAME_WIDTH	24

static const char *const mbx_capacity_names[] = {
	[MBX_CAP_ZERO]		= "zero",
	[MBX_CAP_BOUNDED]	= "bounded",
	[MBX_CAP_UNBOUNDED]	= "unbounded",
};

static struct proc_dir_entry *mbx_proc_dir;

/*
 * A listing longer than seq_file's buffer is read in several passes, each
 * under the list's lock, and a mailbox or inbox can go between two.  So a
 * pass resumes at a position that stays put, not at a count of entries
 * (seq_list_start() would skip the entry after one destroyed, although
 * it was there all along): every box gets the next number from one
 * counter as it joins its list, at the tail and under the list's lock,
 * so each list is in order of these numbers, and the seq_file position
 * is the number of the next box to show (0: the header).
 */
static atomic64_t mbx_proc_last_pos = ATOMIC64_INIT(0);

/**
 * mbx_proc_list_add() - add @box to the tail of mbx_boxes or the inbox list
 * @box:	a mailbox or inbox being published
 * @head:	the list, whose lock the caller holds
 */
void mbx_proc_list_add(struct mbx_box *box, struct list_head *head)
{
	box->proc_pos = atomic64_inc_return(&mbx_proc_last_pos);
	list_add_tail(&box->all, head);
}

/**
 * mbx_proc_list_start() - seq_file ->start over a list of boxes
 * @head:	the list, locked by the caller
 * @pos:	0 for the header, or the position to resume at
 *
 * Return: @head for the header line, the first box at @pos or after it
 * (&box->all), or NULL at the end.
 */
void *mbx_proc_list_start(struct list_head *head, loff_t pos)
{
	struct mbx_box *box;

	if (!pos)
		return head;
	list_for_each_entry(box, head, all)
		if (box->proc_pos >= pos)
			return &box->all;
	return NULL;
}

/**
 * mbx_proc_list_next() - seq_file ->next over a list of boxes
 * @head:	the list, locked by the caller
 * @v:		what was shown last: @head (the header) or &box->all
 * @pos:	set to the position of the box returned, or past @v's
 *
 * Return: the next box (&box->all), or NULL at the end.
 */
void *mbx_proc_list_next(struct list_head *head, void *v, loff_t *pos)
{
	struct list_head *next = ((struct list_head *)v)->next;

	if (next == head) {
		*pos = v == head ? 1 :
			list_entry(v, struct mbx_box, all)->proc_pos + 1;
		return NULL;
	}
	*pos = list_entry(next, struct mbx_box, all)->proc_pos;
	return next;
}

/* The pid namespace of the proc mount @m was opened on. */
struct pid_namespace *mbx_proc_pid_ns(struct seq_file *m)
{
	return proc_pid_ns(file_inode(m->file)->i_sb);
}

/*
 * A name is any bytes but NUL, chosen by any user who may create, and
 * read by everybody who lists: everything but printable ASCII, and the
 * blank and backslash that would split or fake a column, is shown as an
 * octal escape (\033), so no name can move a terminal's cursor or forge
 * a row.  "-" stands for no name; a name "-" is shown escaped.
 */
static void mbx_proc_show_name(struct seq_file *m, const char *name)
{
	char buf[4 * MBX_NAME_MAX + 1];	/* every byte as \ooo */
	int len;

	if (!name[0]) {
		strscpy(buf, "-", sizeof(buf));
	} else if (!strcmp(name, "-")) {
		strscpy(buf, "\\055", sizeof(buf));
	} else {
		len = string_escape_mem(name, strnlen(name, MBX_NAME_MAX),
					buf, sizeof(buf) - 1,
					ESCAPE_OCTAL | ESCAPE_NAP |
					ESCAPE_APPEND, " \t\n\\");
		buf[min_t(int, len, sizeof(buf) - 1)] = '\0';
	}
	/* Padded as the header is: short names keep the columns lined up. */
	seq_printf(m, "%-" __stringify(MBX_PROC_NAME_WIDTH) "s", buf);
}

/*
 * The header line of /proc/mbx/mailboxes (@inbox false) or of
 * /proc/mbx/inboxes, printed with the widths of the rows below.
 */
void mbx_proc_show_header(struct seq_file *m, bool inbox)
{
	if (inbox)
		seq_printf(m, "%7s %6s", "pid", "uid");
	else
		seq_printf(m, "%8s %10s %-" __stringify(MBX_PROC_NAME_WIDTH)
			   "s %6s %6s %6s %6s %4s", "id", "key", "name", "uid",
			   "gid", "cuid", "cgid", "mode");
	seq_printf(m, " %-9s %8s %8s %8s %10s %5s %5s %6s %6s\n", "capacity",
		   "limit", "maxsize", "msgs", "bytes", "wsend", "wrecv",
		   "lspid", "lrpid");
}

/* One row: the status of @box as the reader may see it, one snapshot. */
void mbx_proc_show_box(struct seq_file *m, struct mbx_box *box)
{
	struct mbx_stat st = { .size = sizeof(st) };

	mbx_box_stat_ns(box, &st, seq_user_ns(m), mbx_proc_pid_ns(m));
	if (!box->owner) {
		seq_printf(m, "%8u %10u ", st.id, st.key);
		mbx_proc_show_name(m, st.name);
		seq_printf(m, " %6u %6u %6u %6u %4o", st.uid, st.gid, st.cuid,
			   st.cgid, st.mode);
	} else {
		seq_printf(m, "%6u", st.uid);
	}
	seq_printf(m, " %-9s %8u %8u %8llu %10llu %5u %5u %6d %6d\n",
		   mbx_capacity_names[st.capacity], st.limit, st.max_msg_size,
		   st.msg_count, st.msg_bytes, st.senders_waiting,
		   st.receivers_waiting, st.last_send_pid, st.last_recv_pid);
}

int mbx_proc_init(void)
{
	mbx_proc_dir = proc_mkdir("mbx", NULL);
	if (!mbx_proc_dir)
		return -ENOMEM;
	if (!proc_create_seq("mailboxes", 0444, mbx_proc_dir,
			     &mbx_registry_seq_ops) ||
	    !proc_create_seq("inboxes", 0444, mbx_proc_dir,
			     &mbx_inbox_seq_ops)) {
		proc_remove(mbx_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void mbx_proc_exit(void)
{
	proc_remove(mbx_proc_dir);
}
