/* The read-only overlay view of an image's layers (nest_volume.h): a
 * detached mount, so nothing appears in any mount namespace and nothing is
 * left mounted if the daemon dies while it copies. */
#define _GNU_SOURCE
#include "nest_volume.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static int fail(int fs, char *why, size_t len)
{
	int e = errno;
	why[0] = 0;
	if (fs >= 0) {
		/* the kernel's own message ("e overlay: ..."), queued on the context */
		ssize_t n = read(fs, why, len - 1);
		why[n > 0 ? n : 0] = 0;
		why[strcspn(why, "\n")] = 0;
		close(fs);
	}
	errno = e;
	return -1;
}

int nest_overlay_view(const char *const *lowers, int n, char *why, size_t why_len)
{
	if (why_len == 0 || n < 2) {
		errno = EINVAL;
		return -1;
	}
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail(-1, why, why_len);
	int i = 0;
	for (; i < n; i++)
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0)
			break;
	if (i == 0 && errno == EINVAL) {
		/* no lowerdir+ (before Linux 6.8): one colon-joined string */
		char joined[256];
		size_t len = 0;
		for (int j = 0; j < n; j++) {
			size_t l = strlen(lowers[j]);
			if (len + (j ? 1 : 0) + l + 1 > sizeof joined) {
				close(fs);
				snprintf(why, why_len, "%d layers are more than this kernel's overlay takes without lowerdir+ (Linux 6.8)", n);
				errno = E2BIG;
				return -1;
			}
			if (j)
				joined[len++] = ':';
			memcpy(joined + len, lowers[j], l);
			len += l;
		}
		joined[len] = 0;
		/* a new context: the refused lowerdir+ may have left its mark */
		close(fs);
		fs = fsopen("overlay", FSOPEN_CLOEXEC);
		if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", joined, 0) < 0)
			return fail(fs, why, why_len);
	} else if (i < n) {
		return fail(fs, why, why_len);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail(fs, why, why_len);
	int m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
	if (m < 0)
		return fail(fs, why, why_len);
	close(fs);
	return m;
}
