#!/bin/sh
# Installs Nest:
#   PREFIX/bin               nestd, nestctl, nest
#   PREFIX/libexec/nest      nest-monitor, nest-init (make install)
#   /etc/systemd/system      nestd.service, nestd.socket
#   PREFIX/share/man/man1    man pages of nest, nestd, nestctl and each of
#                            their commands (scripts/manpages.sh)
#   /usr/share/bash-completion/completions, /usr/share/zsh/vendor-completions,
#   /usr/share/fish/vendor_completions.d
#                            shell completions of nestctl and nest
# and creates the group nest (whose members may use nestd's socket).
#
#   scripts/install.sh [--prefix DIR] [--from BINDIR]
#     --prefix DIR   where to install (default /usr/local)
#     --from BINDIR  the built binaries (default: .build/release, built with
#                    scripts/build.sh release when missing); the man pages
#                    and completions are generated from these binaries
#   DESTDIR=DIR      stage everything under DIR (packaging, tests); the group
#                    is then not created and systemd is not reloaded.
set -eu
cd "$(dirname "$0")/.."
PREFIX=/usr/local
FROM=""
DESTDIR="${DESTDIR:-}"
usage() { echo "usage: $0 [--prefix DIR] [--from BINDIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--prefix) [ $# -ge 2 ] || usage; PREFIX="$2"; shift 2 ;;
	--prefix=*) PREFIX="${1#--prefix=}"; shift ;;
	--from) [ $# -ge 2 ] || usage; FROM="$2"; shift 2 ;;
	--from=*) FROM="${1#--from=}"; shift ;;
	-h|--help) sed -n '2,23p' "$0"; exit 0 ;;
	*) usage ;;
	esac
done
case "$PREFIX" in /*) ;; *) echo "$0: --prefix must be absolute" >&2; exit 2 ;; esac

if [ -z "$FROM" ]; then
	FROM=.build/release
	[ -x "$FROM/nestd" ] || FROM="$(scripts/build.sh release | tail -n 1)"
fi
FROM="$(cd "$FROM" && pwd)"
for b in nestd nestctl nest nest-monitor nest-init; do
	[ -x "$FROM/$b" ] || { echo "$0: $FROM/$b is missing (run scripts/build.sh)" >&2; exit 1; }
done

# Made before anything is installed: a failure leaves nothing half-done.
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
scripts/manpages.sh "$FROM" "$STAGE/man1"
mkdir "$STAGE/bash" "$STAGE/zsh" "$STAGE/fish"
for tool in nestctl nest; do
	"$FROM/$tool" --generate-completion-script bash > "$STAGE/bash/$tool"
	"$FROM/$tool" --generate-completion-script zsh > "$STAGE/zsh/_$tool"
	"$FROM/$tool" --generate-completion-script fish > "$STAGE/fish/$tool.fish"
done

BIN="$DESTDIR$PREFIX/bin"
MAN="$DESTDIR$PREFIX/share/man/man1"
COMPLETIONS="$DESTDIR/usr/share"
LIBEXEC="$PREFIX/libexec/nest"
UNITS="$DESTDIR/etc/systemd/system"
install -d "$BIN" "$UNITS"
install -m 0755 "$FROM/nestd" "$FROM/nestctl" "$FROM/nest" "$BIN/"
# the C programs as built: -o keeps make from rebuilding them here
make -s -o "$FROM/nest-init" -o "$FROM/nest-monitor" install \
	BINDIR="$FROM" PREFIX="$PREFIX" LIBEXEC="$LIBEXEC" DESTDIR="$DESTDIR"

# the units name /usr/local/bin/nestd; another prefix also needs NEST_LIBEXEC,
# since nestd looks for its helpers in /usr/local/libexec/nest by default
if [ "$PREFIX" = /usr/local ]; then
	install -m 0644 config/nestd.service "$UNITS/nestd.service"
else
	sed -e "s|^ExecStart=/usr/local/bin/nestd|Environment=NEST_LIBEXEC=$LIBEXEC\nExecStart=$PREFIX/bin/nestd|" \
		config/nestd.service > "$UNITS/nestd.service.new"
	chmod 0644 "$UNITS/nestd.service.new"
	mv -f "$UNITS/nestd.service.new" "$UNITS/nestd.service"
fi
install -m 0644 config/nestd.socket "$UNITS/nestd.socket"
install -d "$MAN" "$COMPLETIONS/bash-completion/completions" "$COMPLETIONS/zsh/vendor-completions" \
	"$COMPLETIONS/fish/vendor_completions.d"
install -m 0644 "$STAGE/man1/"*.1 "$MAN/"
install -m 0644 "$STAGE/bash/"* "$COMPLETIONS/bash-completion/completions/"
install -m 0644 "$STAGE/zsh/"* "$COMPLETIONS/zsh/vendor-completions/"
install -m 0644 "$STAGE/fish/"* "$COMPLETIONS/fish/vendor_completions.d/"

if [ -z "$DESTDIR" ]; then
	if ! getent group nest >/dev/null 2>&1; then
		groupadd --system nest
		echo "created group nest: add users with  usermod -aG nest USER"
	fi
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload
		echo "enable with:  systemctl enable --now nestd.socket"
	fi
fi
echo "installed nestd, nestctl, nest in $BIN; nest-monitor, nest-init in $DESTDIR$LIBEXEC; units in $UNITS; man pages in $MAN; completions in $COMPLETIONS"
