/*
 * What a long-lived process of ours (the container's init, a holder, a
 * monitor that stays) gives back once its setup is done: the stack below
 * its loop's frames, and the page-table entries of our read-only segments
 * (code, read-only data).
 *
 * The stack: setup's deep frames (mounts, libseccomp, libcap, the plan's
 * parser) dirtied pages that the loop never reaches again.
 *
 * The code: setup runs through most of this static binary, and every page
 * fault maps a 64 kB window of the file around the page (the kernel's
 * fault-around): after setup a process maps about 850 kB of nest-monitor.
 * Those pages are the page cache's, shared by every process of the same
 * binary (one file, or one read-only bind of it: CNestShims/sealed-exe.c),
 * but each mapping counts in the process's PSS, a share per mapper, so a
 * container's PID 1 weighed more than tini-static, whose loop is the same. The loop that
 * follows setup runs a few functions: once the entries are gone it faults
 * back only the windows it touches. The file's pages stay in the page
 * cache; nothing is copied and nothing is read again from disk.
 *
 * The segments are found first and dropped after, through syscall(): from
 * the last madvise on, only our own code and syscall()'s window run, not
 * dl_iterate_phdr's nor madvise()'s. The loops that follow (init-run.c,
 * hold.c) make their calls through syscall() for the same reason.
 *
 * Writable segments are never touched: their private pages hold what
 * startup relocated and wrote (glibc's ifunc table, RELRO), which the file
 * does not.
 */
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest.h"

void __attribute__((noinline)) drop_stack_below(void)
{
	const uintptr_t page = 4096, span = 1024 * 1024;
	/* One page of margin below our frame holds this call's locals and
	 * madvise's return address; the loop's calls that go deeper fault
	 * in a zeroed page. */
	uintptr_t below = ((uintptr_t)__builtin_frame_address(0) & ~(page - 1)) - page;
	/* Unmapped parts of the span are skipped (ENOMEM), mapped ones freed. */
	(void)madvise((void *)(below - span), span, MADV_DONTNEED);
}

enum { MAX_SEGMENTS = 8 };

struct segments {
	int n;
	uintptr_t start[MAX_SEGMENTS], end[MAX_SEGMENTS];
};

static int note_readonly_segments(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct segments *s = data;
	const uintptr_t page = 4096;
	for (int i = 0; i < info->dlpi_phnum && s->n < MAX_SEGMENTS; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		s->start[s->n] = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		s->end[s->n] = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
		s->n++;
	}
	return 1; /* the executable comes first; nothing after it is ours */
}

void drop_text_pages(void)
{
	struct segments s = { 0 };
	(void)dl_iterate_phdr(note_readonly_segments, &s);
	for (int i = 0; i < s.n; i++)
		(void)syscall(SYS_madvise, s.start[i], s.end[i] - s.start[i], MADV_DONTNEED);
}
