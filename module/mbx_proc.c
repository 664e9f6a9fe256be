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
