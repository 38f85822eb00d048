#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nest_bpf.h"

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load(const struct bpf_insn *code, int count, char *log, size_t log_size)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (unsigned long)code;
	attr.insn_cnt = (unsigned)count;
	/* The program calls no helper, so no GPL-only one: any license
	 * string loads; this is Nest's own. */
	attr.license = (unsigned long)"Apache-2.0";
	if (log) {
		attr.log_buf = (unsigned long)log;
		attr.log_size = (unsigned)log_size;
		attr.log_level = 1;
	}
	/* bpf(2) makes every program fd close-on-exec. */
	return sys_bpf(BPF_PROG_LOAD, &attr);
}

int nest_bpf_load_device_program(const struct nest_bpf_insn *insns, int count,
				 char *log, size_t log_size)
{
	if (count <= 0) {
		errno = EINVAL;
		return -1;
	}
	struct bpf_insn *code = calloc((size_t)count, sizeof(*code));
	if (!code)
		return -1;
	for (int i = 0; i < count; i++) {
		code[i].code = insns[i].code;
		code[i].dst_reg = insns[i].dst & 0xf;
		code[i].src_reg = insns[i].src & 0xf;
		code[i].off = insns[i].off;
		code[i].imm = insns[i].imm;
	}
	/* First without a log: a verbose log costs time and, if too small,
	 * fails a good load; only a refused one is loaded again for why. */
	int fd = load(code, count, NULL, 0);
	if (fd < 0 && log && log_size > 0 && (errno == EINVAL || errno == EACCES)) {
		int saved = errno;
		log[0] = 0;
		(void)load(code, count, log, log_size);
		log[log_size - 1] = 0;
		errno = saved;
	}
	int saved = errno;
	free(code);
	errno = saved;
	return fd;
}

int nest_bpf_attach_device_program(int prog, int cgroup)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (unsigned)cgroup;
	attr.attach_bpf_fd = (unsigned)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	return sys_bpf(BPF_PROG_ATTACH, &attr);
}
