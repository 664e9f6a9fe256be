// SPDX-License-Identifier: GPL-2.0
/*
 * The one copy of a rendezvous.
 *
 * The sender is blocked and claimed (see mbx_zero.c), so its buffer and its
 * address space stay put; the receiver, running in its own context, pins
 * the sender's pages a batch at a time with get_user_pages_remote() and
 * copies from them straight into its own buffer.  No intermediate kernel
 * buffer: one copy where a pipe or a message queue makes two.  (But for
 * a message of a few hundred bytes, which the sender copies onto its
 * stack first, see mbx_send_zero_copied(): pinning a page costs more
 * than that copy; and for memory that cannot be pinned at all, of which
 * the sender offers a copy, mbx_copy_in_all().)  When the receiver was
 * there first, the sender does the same the other way round
 * (mbx_copy_to_receiver()), for every capacity mode.
 *
 * A blocking receive whose copy was cut short by a page that is not
 * resident resumes where it stopped, and each side pages in at most
 * MBX_FAULT_IN_MAX bytes from there before the next try: so the copy
 * moves on by at least a page a round even when the whole message or
 * buffer cannot stay resident at once (a memory cgroup smaller than the
 * message, with swap), where starting again from the first byte, or
 * paging in all the rest first, could go round for ever.
 *
 * The sender's mmap_lock is held only while pinning, never while touching
 * the receiver's memory, so a fault on the receiver's buffer (which takes
 * the receiver's mmap_lock, maybe the same one) cannot deadlock.
 *
 * Neither copy faults anything in: the claimed side sleeps
 * uninterruptibly, so the copy takes only what is resident, and whoever
 * owns memory that is not pages it in, in its own context and its own
 * call: the receiver its buffer (fault_in_writeable()), the sender its
 * message (mbx_copy_fault_in(), which also serves a userfaultfd handler
 * or a FUSE server, as an access of the sender's own would).  The other
 * side never waits uninterruptibly for those faults.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmu_context.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/magic.h>

#include "mbx_internal.h"

/*
 * Pin only what is resident, faulting nothing in.  FOLL_NOWAIT too: in
 * 6.1 the hugetlb path ignores FOLL_NOFAULT, and with FOLL_NOWAIT it at
 * least does not wait for a userfaultfd handler.
 */
#define MBX_FOLL_RESIDENT	(FOLL_NOFAULT | FOLL_NOWAIT)

/* Pages pinned per batch: bounds the stack and the time a batch is held. */
#define MBX_PIN_BATCH	16

/* Pages of the next batch: @left bytes from @off into the first page. */
static unsigned long mbx_batch_pages(size_t off, size_t left)
{
	return min_t(unsigned long, MBX_PIN_BATCH,
		     DIV_ROUND_UP(off + left, PAGE_SIZE));
}

/**
 * mbx_copy_out() - copy into a receiver's buffer
 * @op:		the receive, with a user or kernel buffer
 * @offset:	where in the buffer
 * @src:	kernel source
 * @len:	bytes
 *
 * Return: 0 or -EFAULT.
 */
int mbx_copy_out(struct mbx_recvop *op, size_t offset, const void *src,
		 size_t len)
{
	if (op->kbuf) {
		memcpy(op->kbuf + offset, src, len);
		return 0;
	}
	return copy_to_user(op->ubuf + offset, src, len) ? -EFAULT : 0;
}

/* Copy from a sender's own buffer without faulting: 0 or -EAGAIN. */
static int mbx_copy_in_nofault(void *dst, const struct mbx_sendop *op,
			       size_t offset, size_t len)
{
	unsigned long left;

	if (op->kbuf) {
		memcpy(dst, op->kbuf + offset, len);
		return 0;
	}
	pagefault_disable();
	left = copy_from_user(dst, op->ubuf + offset, len);
	pagefault_enable();
	return left ? -EFAULT : 0;
}

/**
 * mbx_copy_to_receiver() - copy a sender's message into a claimed receiver
 * @op:		the send, running in the sender's context
 * @receiver:	a receiver's waiter, claimed by the caller
 * @len:	bytes to copy (the message, or less when truncating)
 *
 * The other direction of the single copy: when a receiver is already
 * waiting, the sender pins the receiver's pages and copies its message
 * straight into them, and no message is allocated at all.  Nothing here
 * waits for anybody: the receiver's pages are taken only if resident and
 * writable (FOLL_NOFAULT) and the sender's buffer is read with page
 * faults disabled, because the claimed receiver sleeps uninterruptibly
 * until the copy is over.  When either side is not resident the caller
 * releases the receiver and sends the ordinary way, which may fault.
 *
 * Return: 0, or -EAGAIN when the receiver's buffer could not be written
 * without faulting, or the sender was killed waiting for the receiver's
 * mmap_lock, or -EFAULT when the sender's could not be read without
 * faulting (part of the receiver's buffer may have been written: it is
 * not reported to the receiver, who receives the message afresh).
 */
int mbx_copy_to_receiver(const struct mbx_sendop *op,
			 const struct mbx_waiter *receiver, size_t len)
{
	struct mbx_recvop *rop = receiver->rop;
	unsigned long addr = (unsigned long)rop->ubuf;
	struct page *pages[MBX_PIN_BATCH];
	size_t done = 0;

	if (!receiver->mm)	/* a kernel receiver (KUnit) */
		return mbx_copy_in_nofault(rop->kbuf, op, 0, len);

	while (done < len) {
		unsigned long start = addr + done;
		size_t off = offset_in_page(start);
		unsigned long nr = mbx_batch_pages(off, len - done);
		long got, i;
		int err = 0;

		if (mmap_read_lock_killable(receiver->mm))
			return -EAGAIN;
		got = pin_user_pages_remote(receiver->mm, start & PAGE_MASK, nr,
					    FOLL_WRITE | MBX_FOLL_RESIDENT,
					    pages, NULL, NULL);
		mmap_read_unlock(receiver->mm);
		if (got <= 0)
			return -EAGAIN;

		for (i = 0; i < got && !err; i++) {
			size_t n = min_t(size_t, PAGE_SIZE - off, len - done);
			void *kaddr = kmap_local_page(pages[i]);

			err = mbx_copy_in_nofault(kaddr + off, op, done, n);
			kunmap_local(kaddr);
			if (!err)
				done += n;
			off = 0;
		}
		unpin_user_pages_dirty_lock(pages, got, true);
		if (err)
			return err;
		if (got < nr)
			return -EAGAIN;
	}
	return 0;
}

/**
 * mbx_copy_from_sender() - copy a claimed sender's message to a receiver
 * @op:		the receive
 * @sender:	the claimed sender's waiter
 * @from:	where to start: 0, or where a copy of the same message
 *		into the same buffer stopped
 * @len:	bytes to copy (the message, or less when truncating)
 * @at:		with -EAGAIN or -EFAULT: the offset in the message where the
 *		receiver's or the sender's buffer is not resident; all
 *		before it is copied
 *
 * Only what is resident is copied, on both sides: the sender's pages are
 * pinned with FOLL_NOFAULT and the receiver's buffer is written with page
 * faults disabled.  The claimed sender sleeps uninterruptibly meanwhile,
 * so the copy must not wait for a fault on either side (swap, a file, a
 * userfaultfd handler or a FUSE server can take as long as they like).
 * The caller releases the sender before either side pages its memory in.
 *
 * Return: 0; -EAGAIN when the receiver's buffer is not resident at @at;
 * -EFAULT when the sender's is not, or cannot be pinned (the sender pages
 * it in, or offers a copy of it, or learns that it is bad:
 * mbx_copy_fault_in(), mbx_copy_in_all()); or -EINTR (a
 * fatal signal).
 */
int mbx_copy_from_sender(struct mbx_recvop *op, const struct mbx_waiter *sender,
			 size_t from, size_t len, size_t *at)
{
	unsigned long addr = (unsigned long)sender->op->ubuf;
	struct page *pages[MBX_PIN_BATCH];
	size_t done = from;

	/*
	 * A kernel sender (KUnit), a small message on its stack, or a copy
	 * of memory that cannot be pinned (mbx_copy_in_all()).
	 */
	if (!sender->mm) {
		const void *src = sender->op->kbuf;
		unsigned long left;
		size_t n;

		if (op->kbuf) {
			memcpy(op->kbuf + from, src + from, len - from);
			return 0;
		}
		/* In stretches: the sender waits uninterruptibly. */
		for (; from < len; from += n) {
			n = min_t(size_t, len - from, MBX_FAULT_IN_MAX);
			pagefault_disable();
			left = copy_to_user(op->ubuf + from, src + from, n);
			pagefault_enable();
			if (left) {
				*at = from + n - left;	/* all before it */
				return -EAGAIN;
			}
			cond_resched();
		}
		return 0;
	}

	while (done < len) {
		unsigned long start = addr + done;
		size_t off = offset_in_page(start);
		unsigned long nr = mbx_batch_pages(off, len - done);
		long got, i;
		int err = 0;

		if (mmap_read_lock_killable(sender->mm))
			return -EINTR;
		got = get_user_pages_remote(sender->mm, start & PAGE_MASK, nr,
					    MBX_FOLL_RESIDENT, pages, NULL,
					    NULL);
		mmap_read_unlock(sender->mm);
		/*
		 * Any other failure is the sender's to resolve: with
		 * FOLL_NOFAULT nothing is allocated here but for hugetlb,
		 * whose -ENOMEM the sender's own fault-in then reports.
		 */
		if (got == -EINTR)
			return got;
		if (got <= 0) {
			*at = done;
			return -EFAULT;
		}

		for (i = 0; i < got; i++) {
			size_t n = min_t(size_t, PAGE_SIZE - off, len - done);
			void *kaddr;

			if (!err) {
				kaddr = kmap_local_page(pages[i]);
				pagefault_disable();
				err = mbx_copy_out(op, done, kaddr + off, n);
				pagefault_enable();
				kunmap_local(kaddr);
				if (err)
					*at = done;
				else
					done += n;
			}
			off = 0;
			put_page(pages[i]);
		}
		if (err)
			return -EAGAIN;
	}
	return 0;
}

/**
 * mbx_copy_fault_in() - page a sender's own message in, for its receiver
 * @op:		the send, in the sender's context
 * @from:	the offset in the message its receiver could not pin
 * @to:		the end of what the receiver copies (less than the message
 *		when it truncates)
 *
 * The receiver that claimed this sender found part of the message not
 * resident and released it (see mbx_copy_from_sender()).  The sender
 * pages @from..@to in itself, as its own access would (waiting, killably
 * only, on I/O, a userfaultfd handler or FUSE server), and pins it as the
 * receiver will, so that memory that can never be pinned (VM_IO,
 * VM_PFNMAP) fails here rather than bouncing between the two (the sender
 * then offers a copy instead, mbx_copy_in_all()).  A blocking
 * receiver asks for MBX_FAULT_IN_MAX bytes at most, and resumes at @from:
 * the first page must still be there when it does; a non-blocking one,
 * which cannot resume (the next call starts afresh), asks for all the
 * rest.  The flags must stay in step with the receiver's
 * get_user_pages_remote() (FOLL_GET, read): a FOLL_PIN there would need
 * an unshared page that this does not make, and the two would bounce
 * forever.  Best effort: a page reclaimed again before the receiver's
 * next try is paged in again.
 *
 * Return: 0, -EFAULT (not mapped, not readable, cannot be pinned),
 * -EINTR (a fatal signal) or -ENOMEM.
 */
int mbx_copy_fault_in(const struct mbx_sendop *op, size_t from, size_t to)
{
	unsigned long addr = (unsigned long)op->ubuf + from;
	struct page *pages[MBX_PIN_BATCH];
	size_t left = to - from;

	while (left) {
		size_t off = offset_in_page(addr);
		unsigned long nr = mbx_batch_pages(off, left);
		size_t n;
		long got;

		got = get_user_pages_unlocked(addr & PAGE_MASK, nr, pages, 0);
		if (got == -EINTR || got == -ENOMEM)
			return got;
		if (got <= 0)
			return -EFAULT;
		n = min_t(size_t, left, got * PAGE_SIZE - off);
		while (got > 0)
			put_page(pages[--got]);
		addr += n;
		left -= n;
	}
	return 0;
}

/**
 * mbx_copy_fault_in_buf() - fault a receiver's own buffer in, to resume
 * @op:		the receive, in the receiver's context
 * @from:	where in the buffer the copy found a page not resident
 * @to:		the end of what the copy writes
 *
 * The next MBX_FAULT_IN_MAX bytes at most, as mbx_copy_fault_in() does
 * for a sender's message.  May sleep for the fault (I/O, a userfaultfd
 * handler); nobody is claimed meanwhile.
 *
 * Return: 0 or -EFAULT (not mapped, not writable).
 */
int mbx_copy_fault_in_buf(const struct mbx_recvop *op, size_t from,
			  size_t to)
{
	size_t n = min_t(size_t, to - from, MBX_FAULT_IN_MAX);

	return fault_in_writeable(op->ubuf + from, n) ? -EFAULT : 0;
}

/* A user page mapped now (writable if @write), looked up without locks. */
static bool mbx_page_resident(unsigned long addr, unsigned int write)
{
	struct page *page;

	if (!get_user_page_fast_only(addr, write, &page))
		return false;
	put_page(page);
	return true;
}

/*
 * Fault in the first batch (MBX_PIN_BATCH pages) of @ubuf, @len bytes of
 * the caller's memory, for writing (@write: FOLL_WRITE) or reading, as
 * far as that needs no waiting: FOLL_NOWAIT, so fresh anonymous memory
 * or page-cache pages not yet mapped are, and nothing that needs I/O or
 * a userfaultfd handler.  A range whose first and last pages are mapped
 * (one used before: the common case) is taken as resident without a walk
 * of the rest, which costs a 64 KiB round trip a third more in TCG.
 */
static void mbx_prefault(const void __user *ubuf, size_t len,
			 unsigned int write)
{
	unsigned long start = (unsigned long)ubuf & PAGE_MASK;
	struct mm_struct *mm = current->mm;
	struct page *pages[MBX_PIN_BATCH];
	unsigned long nr;
	bool resident;
	long got;

	if (!len)
		return;
	nr = mbx_batch_pages(offset_in_page(ubuf), len);
	resident = mbx_page_resident(start, write);
	if (resident && nr > 1)
		resident = mbx_page_resident(start + (nr - 1) * PAGE_SIZE,
					     write);
	if (resident || mmap_read_lock_killable(mm))
		return;
	got = get_user_pages(start, nr, write | FOLL_NOWAIT, pages, NULL);
	mmap_read_unlock(mm);
	while (got > 0)
		put_page(pages[--got]);
}

/*
 * memfd_secret() memory, which page pinning refuses: vma_is_secretmem()
 * is not exported, but its files live on their own pseudo filesystem.
 */
static bool mbx_vma_is_secretmem(const struct vm_area_struct *vma)
{
	return vma->vm_file &&
	       file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC;
}

/**
 * mbx_copy_check_msg() - is a zero-capacity sender's message readable?
 * @op:		the send, in the sender's context, before anyone sees it
 *
 * A message longer than MBX_ZERO_COPY_IN is read by its receiver, after
 * the sender is offered: a waiting receiver too small for it has been
 * told its size by then, and a later one is told by finding it.  So that
 * a send that fails tells no one anything, the sender first walks the
 * mappings its buffer lies in, with the rules its own read would meet in
 * the page fault handler: a mapping there, accessible (VM_READ, VM_WRITE
 * or VM_EXEC: on x86 each makes it readable) and allowed by its
 * protection keys, or a stack above that may grow down to it.  It also
 * sees what page pinning refuses (VM_IO, VM_PFNMAP, no VM_READ, a stack
 * not grown yet, memfd_secret() memory; and VM_MIXEDMAP, whose entries
 * without a struct page it refuses: all of such a mapping, to be sure),
 * which the send then copies in at once (mbx_copy_in_all(), whose
 * fault_in_readable() decides whether that stack may grow), so that the
 * quota and the allocation fail before anyone hears of it too.  What the
 * walk cannot see (a file mapped past its end, a page with a hardware
 * error, a userfaultfd handler that fails the fault, another thread
 * changing the mappings while the sender waits) still fails the send, or
 * makes the copy, later.  No page is
 * touched: nothing is paged in that the copy may not need, and a
 * non-blocking send with no receiver stays cheap.  Done on every such
 * send, also to a receiver that fits and is already waiting, which needs
 * no check: skipping it there would leave a sender that was offered
 * unchecked and then put back in line.  Measured in TCG (same boot, three
 * alternations, ratios to a pipe pair): the 4 KiB rendezvous round trip
 * on one vCPU 1.43-1.50x against 1.40-1.45x, other sizes and bandwidth
 * within the noise.
 *
 * Return: 0 (readable, and pinnable as far as the walk can tell), 1
 * (readable, but page pinning refuses part of it), -EFAULT (not all of
 * it readable) or -EINTR (a fatal signal).
 */
int mbx_copy_check_msg(const struct mbx_sendop *op)
{
	unsigned long addr = untagged_addr((unsigned long)op->ubuf);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long end;
	int ret = 0;

	if (op->kbuf || !op->len)
		return 0;
	if (!access_ok(op->ubuf, op->len))
		return -EFAULT;
	end = addr + op->len;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma ||
		    (addr < vma->vm_start && !(vma->vm_flags & VM_GROWSDOWN)) ||
		    !vma_is_accessible(vma) ||
		    !arch_vma_access_permitted(vma, false, false, false)) {
			ret = -EFAULT;
			break;
		}
		/*
		 * Pinning never grows a stack: a range below one is
		 * copied in, by fault_in_readable(), which applies the
		 * fault handler's rules (guard gap, RLIMIT_STACK) too.
		 */
		if ((vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP)) ||
		    !(vma->vm_flags & VM_READ) || addr < vma->vm_start ||
		    mbx_vma_is_secretmem(vma))
			ret = 1;
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

/**
 * mbx_copy_in_all() - a kernel copy of a message its receiver cannot pin
 * @charge:	the user whose byte quota pays for it
 * @op:		the send, in the sender's context
 *
 * For memory that page pinning cannot take though the sender can read it
 * (a device's VM_IO or VM_PFNMAP mapping, the vDSO's data page, memory
 * mapped without PROT_READ, memfd_secret() memory) the sender offers a
 * copy of the whole message, made here, as a small message is offered
 * from its stack; the receiver copies it from there.  It is made as the
 * send starts when mbx_copy_check_msg() saw such memory, else once a
 * receiver failed to pin it (and had copied what came before, from the
 * memory itself).  It is charged to the memory cgroup and, by its length
 * (a queued message also pays its header), to @charge's byte quota: it
 * is kernel memory held for as long as the sender waits.  Free it with
 * mbx_copy_in_free().
 *
 * Return: the copy, or ERR_PTR(-EFAULT) (not readable: said before the
 * quota is looked at), ERR_PTR(-ENOBUFS) (past the quota) or
 * ERR_PTR(-ENOMEM).
 */
void *mbx_copy_in_all(struct mbx_user *charge, const struct mbx_sendop *op)
{
	void *copy;
	int ret;

	/* Not readable at all: say so before charging or allocating. */
	if (fault_in_readable(op->ubuf, op->len))
		return ERR_PTR(-EFAULT);
	ret = mbx_user_charge_bytes(charge, op->len,
				    READ_ONCE(mbx_user_bytes_max));
	if (ret)
		return ERR_PTR(ret);
	copy = kvmalloc(op->len, GFP_KERNEL_ACCOUNT);
	if (!copy) {
		ret = -ENOMEM;
		goto uncharge;
	}
	if (copy_from_user(copy, op->ubuf, op->len)) {
		kvfree(copy);
		ret = -EFAULT;
		goto uncharge;
	}
	return copy;

uncharge:
	mbx_user_uncharge_bytes(charge, op->len);
	return ERR_PTR(ret);
}

void mbx_copy_in_free(struct mbx_user *charge, void *copy, size_t len)
{
	kvfree(copy);
	mbx_user_uncharge_bytes(charge, len);
}

/**
 * mbx_copy_prefault() - fault in the start of a receiver's buffer
 * @op:		a receive about to wait on a zero-capacity mailbox
 *
 * Whoever copies into a waiting receiver's buffer does so without
 * faulting it in (the claimed side sleeps uninterruptibly meanwhile), and
 * a receiver whose buffer is not resident releases its sender to fault
 * it in: a non-blocking sender, which waits only while claimed, would
 * fail with EAGAIN although a receiver was waiting.  So the receiver
 * faults in the first batch of its buffer before it waits: enough for
 * most messages.  Best effort (mbx_prefault()): what is not resident
 * fails the copy later, and is faulted in then.  Called without
 * box->lock.
 */
void mbx_copy_prefault(struct mbx_recvop *op)
{
	if (!op->kbuf)
		mbx_prefault(op->ubuf, op->len, FOLL_WRITE);
}

/**
 * mbx_copy_prefault_msg() - fault in the start of a sender's message
 * @op:		a send on a zero-capacity mailbox
 *
 * The mirror image of mbx_copy_prefault(): whoever copies a sender's
 * message takes only resident pages, and a sender whose message is not
 * resident is released to page it in and offer it again, which a
 * receive then waits for (or, non-blocking, takes another sender's
 * message or fails with EAGAIN).  A freshly forked
 * child sending a string constant has no page table entry for it yet,
 * though the page is in memory: mapping it here, before the sender waits
 * (only then, as for receivers: two page walks per send cost a small
 * round trip 6% in TCG), spares that round.  Called without box->lock.
 */
void mbx_copy_prefault_msg(const struct mbx_sendop *op)
{
	if (!op->kbuf)
		mbx_prefault(op->ubuf, op->len, 0);
}
