# Builds the static C programs of Nest (the Swift half is built by SwiftPM;
# scripts/build.sh runs both). nest-monitor is built only when its sources
# exist.
ifeq ($(origin CC),default)
CC := gcc
endif
BINDIR  ?= .build/debug
PREFIX  ?= /usr/local
LIBEXEC ?= $(PREFIX)/libexec/nest
CFLAGS  ?= -Os -Wall -Wextra
CFLAGS  += -D_GNU_SOURCE
LDFLAGS ?= -s

INIT_SRC    := $(wildcard Sources/nest-init/*.c)
INIT_HDR    := $(wildcard Sources/nest-init/*.h)
# nest-monitor runs nest-init's loop in the container's first process.
INIT_CORE   := Sources/nest-init/init-run.c
# The sealed copy of an `init` program is made as the Swift spawner makes
# the monitor's (one implementation, in CNestShims).
SEALED_EXE  := Sources/CNestShims/sealed-exe.c
MONITOR_SRC := $(wildcard Sources/nest-monitor/*.c)
MONITOR_HDR := $(wildcard Sources/nest-monitor/*.h)

PROGRAMS := $(BINDIR)/nest-init
ifneq ($(MONITOR_SRC),)
PROGRAMS += $(BINDIR)/nest-monitor
endif

.PHONY: all clean install

all: $(PROGRAMS)

$(BINDIR)/nest-init: $(INIT_SRC) $(INIT_HDR)
	@mkdir -p $(BINDIR)
	$(CC) -static $(CFLAGS) $(LDFLAGS) -o $@ $(INIT_SRC)

$(BINDIR)/nest-monitor: $(MONITOR_SRC) $(MONITOR_HDR) $(INIT_CORE) $(INIT_HDR) $(SEALED_EXE)
	@mkdir -p $(BINDIR)
	$(CC) -static $(CFLAGS) -ISources/nest-init -ISources/CNestShims/include $(LDFLAGS) -o $@ $(MONITOR_SRC) $(INIT_CORE) $(SEALED_EXE) -lseccomp -lcap

clean:
	rm -f $(BINDIR)/nest-init $(BINDIR)/nest-monitor

install: all
	install -d $(DESTDIR)$(LIBEXEC)
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(LIBEXEC)/
