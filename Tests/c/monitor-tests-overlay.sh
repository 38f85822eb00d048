# Sourced by monitor-tests.sh: an overlay rootfs (plan record
# rootfs-overlay) of two lower dirs, mounted in the container's mount
# namespace only: files of both layers seen, the upper layer's winning, a
# lower file with the lower dir's inode, writes and removals landing in the
# upper dir, nothing mounted on the host.

O="$T/overlay"
mkdir -p "$O/mnt" "$O/upper" "$O/work" "$O/l2/etc" "$O/l2/data"
echo top >"$O/l2/etc/from-l2"
echo lower >"$R/data/both"
echo upper >"$O/l2/data/both"
fresh
{
	base overlay | sed "s|^rootfs\t.*|rootfs\t$O/mnt|"
	t rootfs-overlay "$O/upper" "$O/work" "$O/l2" "$R"
	sh_args 'cat /etc/from-l2 /data/both; stat -c "ino=%i" /bin/busybox; echo new >/data/new; rm /bin/hostname;
		grep -E "^[0-9]+ [0-9]+ [0-9:]+ / / .* - overlay " /proc/self/mountinfo >/dev/null && echo root-is-overlay'
} >"$S/plan"
run
expect_status "overlay: exit 0" 0
expect_log "overlay: a file of the top lower dir" ' stdout top$'
expect_log "overlay: the top lower dir's file wins" ' stdout upper$'
expect_log "overlay: a file of the bottom lower dir has its inode" " stdout ino=$(stat -c %i "$R/bin/busybox")\$"
expect_log "overlay: the root is the overlay" ' stdout root-is-overlay$'
[ "$(cat "$O/upper/data/new" 2>/dev/null)" = new ] && [ ! -e "$R/data/new" ] &&
	ok "overlay: a write lands in the upper dir" || bad "overlay: a write lands in the upper dir"
[ "$(stat -c %F:%t:%T "$O/upper/bin/hostname" 2>/dev/null)" = "character special file:0:0" ] && [ -L "$R/bin/hostname" ] &&
	ok "overlay: a removal is a whiteout in the upper dir" || bad "overlay: a removal is a whiteout ($(ls -l "$O/upper/bin" 2>&1))"
grep -q " $O/mnt " /proc/self/mountinfo && bad "overlay: left mounted on the host" || ok "overlay: nothing mounted on the host"

# a missing upper dir: the mount's error, naming the record and the path
rm -rf "$O/upper" "$O/work"/*
fresh
{
	base overlay-missing | sed "s|^rootfs\t.*|rootfs\t$O/mnt|"
	t rootfs-overlay "$O/upper" "$O/work" "$O/l2" "$R"
	sh_args 'true'
} >"$S/plan"
run
expect_error "overlay: a missing upper dir is an error of rootfs-overlay" rootfs-overlay "$O/upper" ENOENT
rm -rf "$O" "$R/data/both"

# 60 lower dirs of long names: more than the page of options mount(2)
# copies, mounted by lowerdir+ one dir at a time (this kernel has it);
# the top dir's file wins, the bottom one's (the busybox rootfs) is seen.
M="$T/overlay-many"
mkdir -p "$M/mnt" "$M/upper" "$M/work"
lowers=()
for i in $(seq -w 0 59); do
	d="$M/layer-$i-$(printf '%080d' 0)"
	mkdir -p "$d/layers"
	echo "$i" >"$d/layers/$i"
	echo "$i" >"$d/top"
	lowers+=("$d")
done
fresh
{
	base overlay-many | sed "s|^rootfs\t.*|rootfs\t$M/mnt|"
	t rootfs-overlay "$M/upper" "$M/work" "${lowers[@]}" "$R"
	sh_args 'echo "top=$(cat /top) layers=$(ls /layers | wc -l)"; stat -c "ino=%i" /bin/busybox'
} >"$S/plan"
[ "$(grep '^rootfs-overlay' "$S/plan" | wc -c)" -gt 4096 ] && ok "overlay of 61 dirs: the options are more than a page" ||
	bad "overlay of 61 dirs: the options fit a page; the test proves nothing"
run
expect_status "overlay of 61 dirs: exit 0" 0
expect_log "overlay of 61 dirs: the top dir wins, every dir is seen" ' stdout top=00 layers=60$'
expect_log "overlay of 61 dirs: the bottom dir's file has its inode" " stdout ino=$(stat -c %i "$R/bin/busybox")\$"
grep -q " $M/mnt " /proc/self/mountinfo && bad "overlay of 61 dirs: left mounted on the host" ||
	ok "overlay of 61 dirs: nothing mounted on the host"
rm -rf "$M"
