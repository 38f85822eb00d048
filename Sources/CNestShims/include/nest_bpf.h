#ifndef NEST_BPF_H
#define NEST_BPF_H
#include <stddef.h>

/* One eBPF instruction as Swift builds it; the shim packs the register
 * nibbles, so Swift need not know the bitfield layout of struct bpf_insn. */
struct nest_bpf_insn {
	unsigned char code;
	unsigned char dst;
	unsigned char src;
	short off;
	int imm;
};

/* bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program of COUNT
 * instructions: the program's fd (close-on-exec), or -1 (errno). When the
 * kernel refuses it and LOG is not NULL, the load is retried to fill LOG
 * (LOG_SIZE bytes, NUL-terminated) with the verifier's reason. */
int nest_bpf_load_device_program(const struct nest_bpf_insn *insns, int count,
				 char *log, size_t log_size);

/* bpf(BPF_PROG_ATTACH) of PROG to the cgroup v2 directory CGROUP as a
 * BPF_CGROUP_DEVICE program, with BPF_F_ALLOW_MULTI so that it runs with,
 * not instead of, the programs of the cgroups above; 0 or -1 (errno). */
int nest_bpf_attach_device_program(int prog, int cgroup);
#endif
