#ifndef NEST_VOLUME_H
#define NEST_VOLUME_H
#include <stddef.h>
/* Copies the tree below the directory SRC into the directory DST (made by
 * the caller, empty), then gives DST SRC's owner, mode and times: what a
 * new volume is seeded with from the image's directory at its mount point.
 * Every entry is opened relative to its parent's fd with O_NOFOLLOW, so no
 * symlink in SRC is ever followed (symlinks are copied as symlinks); regular
 * files, directories, symlinks and fifos are copied with their owner, mode
 * and times; device nodes and sockets are left out. Hard links become
 * separate files. 0, or -1 with errno set and the failing entry's path
 * (relative to SRC) in WHERE. */
int nest_copy_tree(int src, int dst, char *where, size_t where_len);
/* renameat2(AT_FDCWD, FROM, AT_FDCWD, TO, RENAME_NOREPLACE): a volume made
 * under a temporary name appears whole, and never over one that another
 * create made first (EEXIST). */
int nest_rename_noreplace(const char *from, const char *to);
/* A read-only overlay of the directories LOWERS (N >= 2, top first), made
 * by the new mount API and never attached anywhere: the fd of a detached
 * mount that only its holder sees and that is gone when the fd is closed.
 * What a container of an image sees at a path, for seeding a volume.
 * Each dir is its own lowerdir+ (Linux 6.8); an older kernel gets the
 * colon-joined lowerdir, which fsconfig takes up to 255 bytes. -1 with
 * errno set and the kernel's reason (or "") in WHY. */
int nest_overlay_view(const char *const *lowers, int n, char *why, size_t why_len);
#endif
