/* libarchive, and the few GNU calls the layer unpacker needs that the
 * Swift Glibc module does not export. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static inline int nest_image_syncfs(int fd) { return syncfs(fd); }
static inline dev_t nest_image_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
