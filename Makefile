# SPDX-License-Identifier: GPL-2.0
#
# /dev/mailbox: the module, libmsg, the selftests, and the test VM.
#
#   make               module (against KDIR), libmsg, the mbx tool,
#                      selftests, examples
#   make install       libmsg, headers, pkg-config file, man pages, mbx
#                      (PREFIX=/usr/local, DESTDIR for staging); uninstall
#   make check         the test suite: debug kernel + stock kernel in QEMU
#   make run           boot a VM with the module loaded and run the demo,
#                      or CMD='prog args' (a shell command line) instead
#   make shell         the same VM with an interactive shell
#   make selfcheck     prove the harness fails on a failing KUnit case, a
#                      failing kselftest, a kernel WARNING, a KASAN report
#                      and a kmemleak suspect (PLANTED= picks some)
#   make soak          only the stress test, for SOAK_SECONDS (1800), and
#                      the fuzzer (SOAK_SECONDS * 3000 iterations) on the
#                      debug kernel, then the kernel-log checks
#   make bench         the benchmark against pipes, sockets, POSIX and
#                      System V queues: BOOTS (5) boots of the stock kernel,
#                      table and build/bench/results.{csv,json}
#   make clean
#
# Variables: KDIR (kernel build tree), KERNEL=stock|debug (for run and
# shell), KVM=1 (opt in to KVM; it hangs on the CI machines), V=1 (show the
# VM console during check), MBX_CACHE (where the debug kernel is cached).

KDIR	?= /lib/modules/$(shell uname -r)/build
BUILD	?= build
CC	?= cc
CFLAGS	?= -O2 -g
WFLAGS	:= -Wall -Wextra -Werror
UCFLAGS	:= -std=gnu11 $(WFLAGS) $(CFLAGS) -Iuapi -Ilibmsg

LIB_VERSION	:= 0.2.0
LIB_SONAME	:= libmsg.so.0
LIB_SRCS	:= $(wildcard libmsg/*.c)
LIB_HDRS	:= $(wildcard libmsg/*.h) uapi/linux/mbx.h
LIB_OBJS	:= $(LIB_SRCS:libmsg/%.c=$(BUILD)/libmsg/%.o)
LIB_A		:= $(BUILD)/libmsg/libmsg.a
LIB_SO		:= $(BUILD)/libmsg/libmsg.so.$(LIB_VERSION)

TEST_SRCS	:= $(wildcard selftests/mailbox/*_test.c)
TEST_SCRIPTS	:= $(wildcard selftests/mailbox/*_test.sh)
TEST_BINS	:= $(TEST_SRCS:selftests/mailbox/%.c=$(BUILD)/bin/%) \
		   $(TEST_SCRIPTS:selftests/mailbox/%.sh=$(BUILD)/bin/%)
EXAMPLE_SRCS	:= $(wildcard examples/*.c)
EXAMPLE_SCRIPTS	:= $(wildcard examples/*.sh)
EXAMPLE_BINS	:= $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/bin/%) \
		   $(EXAMPLE_SCRIPTS:examples/%=$(BUILD)/bin/%)
TOOL		:= $(BUILD)/bin/mbx
BENCH_SRCS	:= $(wildcard bench/*.c)
BENCH		:= $(BUILD)/bin/mbxbench

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
MAN_PAGES	:= $(wildcard man/man[137]/*.[137])

.PHONY: all module libmsg selftests examples tool benchmark userspace check \
	selfcheck soak bench run shell clean install uninstall

all: module userspace

userspace: libmsg tool selftests examples benchmark

module:
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C "$(KDIR)" M="$(CURDIR)" W=1 modules; \
	else \
		echo "module: no kernel build tree at $(KDIR): skipped."; \
		echo "  install linux-headers-$$(uname -r), or set KDIR=/path/to/tree"; \
	fi

libmsg: $(LIB_A) $(LIB_SO)

$(BUILD)/libmsg/%.o: libmsg/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -fPIC -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS) libmsg/libmsg.map
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=libmsg/libmsg.map -o $@ $(LIB_OBJS)
	ln -sf libmsg.so.$(LIB_VERSION) $(BUILD)/libmsg/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(BUILD)/libmsg/libmsg.so

# Selftests and examples are linked statically: the VM has no libc.  The
# vendored kselftest_harness.h (unchanged from linux-source-6.1) generates
# functions with parameters a test may not use, hence the one exception.
HARNESS_CFLAGS	:= -Iselftests/include -Wno-unused-parameter
selftests: $(TEST_BINS)

$(BUILD)/bin/%_test: selftests/mailbox/%_test.c $(LIB_A) $(LIB_HDRS) \
		selftests/include/kselftest_harness.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) $(HARNESS_CFLAGS) -static -o $@ $< $(LIB_A) -lpthread

$(BUILD)/bin/%_test: selftests/mailbox/%_test.sh
	@mkdir -p $(@D)
	install -m 0755 $< $@

examples: $(EXAMPLE_BINS)

# A shell script goes into the VM as it is (make run CMD=NAME.sh).
$(BUILD)/bin/%.sh: examples/%.sh
	@mkdir -p $(@D)
	install -m 0755 $< $@

$(BUILD)/bin/%: examples/%.c examples/example.h $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -static -o $@ $< $(LIB_A) -lpthread

# The tool is static too, so the same binary runs in the VM.
tool: $(TOOL)

$(TOOL): tools/mbx.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -DMBX_TOOL_VERSION='"$(LIB_VERSION)"' -static -o $@ \
		$< $(LIB_A)

# The benchmark runs in the VM (static) and aggregates on the host.
benchmark: $(BENCH)

$(BENCH): $(BENCH_SRCS) $(wildcard bench/*.h) $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -Ibench -static -o $@ $(BENCH_SRCS) $(LIB_A) -lm

# The .pc file is written at install time, for this PREFIX.
install: libmsg tool
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(TOOL) $(DESTDIR)$(BINDIR)/mbx
	install -m 0644 libmsg/libmsg.h $(DESTDIR)$(INCLUDEDIR)/libmsg.h
	install -m 0644 uapi/linux/mbx.h $(DESTDIR)$(INCLUDEDIR)/linux/mbx.h
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libmsg.a
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libmsg.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmsg.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(LIB_VERSION)|' \
	    libmsg/libmsg.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libmsg.pc
	for p in $(MAN_PAGES); do \
		install -m 0644 $$p $(DESTDIR)$(MANDIR)/man$${p##*.}/; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mbx $(DESTDIR)$(INCLUDEDIR)/libmsg.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/mbx.h $(DESTDIR)$(LIBDIR)/libmsg.a \
		$(DESTDIR)$(LIBDIR)/libmsg.so.$(LIB_VERSION) \
		$(DESTDIR)$(LIBDIR)/$(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmsg.so \
		$(DESTDIR)$(PKGCONFIGDIR)/libmsg.pc
	for p in $(MAN_PAGES); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/}; \
	done

# The VM targets install missing Debian packages first (deps.sh), so that
# a fresh machine has a compiler and static libc before anything builds.
check selfcheck soak bench run shell:
	selftests/vm/deps.sh
	$(MAKE) userspace
	selftests/vm/vm.sh $@

clean:
	rm -rf $(BUILD)
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean; fi
