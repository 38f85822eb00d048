/* libarchive, and the few GNU calls the layer unpacker needs that the
 * Swift Glibc module does not export. */
/* No _GNU_SOURCE here: it changes glibc's struct layouts (fd_set) from
 * what the other modules of a Swift file (Dispatch) were built with. */
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

extern int syncfs(int fd); /* unistd.h declares it only under _GNU_SOURCE */
static inline int nest_image_syncfs(int fd) { return syncfs(fd); }
static inline dev_t nest_image_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
