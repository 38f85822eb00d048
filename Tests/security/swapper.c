/*
 * The attacker's half of the race tests: swaps a path in a directory that
 * a container under test shares, as fast as it can, until SIGTERM; then
 * prints how many swaps it made.
 *   swapper link TARGET PATH      PATH becomes a symlink to TARGET, again
 *                                 and again (whatever was put there)
 *   swapper nullflip TARGET PATH  PATH alternates between a symlink to
 *                                 TARGET and a real null device (1:3)
 *   swapper exchange TARGET PATH  PATH (a directory) and a symlink to
 *                                 TARGET trade places (RENAME_EXCHANGE)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	const char *mode = argv[1], *target = argv[2], *path = argv[3];
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.swap", path);
	signal(SIGTERM, on_term);
	unsigned long n = 0;
	if (strcmp(mode, "exchange") == 0) {
		unlink(tmp);
		if (symlink(target, tmp) < 0)
			return 1;
	}
	while (!stop) {
		if (strcmp(mode, "exchange") == 0) {
			if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0)
				n++;
			continue;
		}
		unlink(tmp);
		if (symlink(target, tmp) == 0 && rename(tmp, path) == 0)
			n++;
		if (strcmp(mode, "nullflip") == 0) {
			unlink(tmp);
			if (mknod(tmp, S_IFCHR | 0666, makedev(1, 3)) == 0 && rename(tmp, path) == 0)
				n++;
		}
	}
	printf("%lu\n", n);
	return 0;
}
