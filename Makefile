# cetak - print-station controller for ID-card printing and encoding lines.
#
#   make            build cetakd, cetakctl and the test programs into $(BUILD)/
#   make check      install missing Debian packages, build, run every test
#   make check-asan the same tests on an ASan+UBSan build (build-asan/)
#   make demo       install, build, run the simulated station (demo-station/)
#                   and the district (demo-district/)
#   make demo-district  the district alone: three stations and the hub
#   make fuzz       run every fuzz target for FUZZ_SECONDS each (default 300)
#   make bench      run the benchmarks under bench/ (see docs/performance.md)
#   make install    install into $(DESTDIR)$(PREFIX) (binaries, units, config)
#   make update-golden  regenerate golden files under tests/data (review the diff)
#
# Dependencies come from pkg-config (libcups from cups-config). The package
# list lives in scripts/install-deps, which check/demo call first; the build
# itself runs in a sub-make so that pkg-config is asked after the install.

VERSION    = 0.1.0
BUILD     ?= build
PREFIX    ?= /usr
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system
DESTDIR   ?=
FUZZ_SECONDS ?= 300
CHECK_FUZZ_SECONDS ?= 10

CC        ?= cc
PKG_CONFIG ?= pkg-config

# Libraries by role; a binary links only what its modules use.
PKGS_DAEMON = libpcsclite libconfig libsystemd jansson sqlite3 libcrypto libpq libmicrohttpd
PKGS_CLI    = jansson
PKGS_LATER  = openssl libusb-1.0 sqlite3 cairo pangocairo libjpeg libp11

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1))
CUPS_CFLAGS = $(shell cups-config --cflags)
CUPS_LIBS   = $(shell cups-config --libs)

WARN     = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ifeq ($(TSAN),1)
OPT      = -O1 -g -fno-omit-frame-pointer -fsanitize=thread
HARDEN   = -fPIE
LDSAN    = -fsanitize=thread
else ifeq ($(SAN),1)
OPT      = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=undefined
HARDEN   = -fPIE
LDSAN    = -fsanitize=address,undefined
else
OPT      = -O2 -g
endif
CFLAGS  += -std=gnu11 $(OPT) $(WARN) $(HARDEN) -I. -DCETAK_VERSION='"$(VERSION)"' -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now $(LDSAN)

JOBS_SRCS   = jobs/job.c jobs/store.c jobs/cycles.c jobs/custody.c jobs/notices.c jobs/privacy.c jobs/custody_state.c jobs/sched.c jobs/spool.c jobs/submit.c
LEDGER_SRCS = ledger/ledger.c ledger/stock.c ledger/audit.c ledger/alerts.c ledger/report.c ledger/report_fmt.c common/i18n.c
FACE_SRCS   = printer/face.c
PB_SRCS     = printer/pb.c printer/pb_cups.c printer/pb_usb.c
CARD_SRCS   = smartcard/tlv.c smartcard/lds.c common/signer.c smartcard/sod.c smartcard/profile.c smartcard/fit.c smartcard/sc_card.c smartcard/sc_sam.c smartcard/sm.c smartcard/sc_reader.c smartcard/sc_pcsc.c
CUSTODY_SRCS = custody/custody.c notice/notice.c
WEB_SRCS    = web/server.c web/parse.c web/html.c daemon/webui.c ledger/report_pdf.c common/pdfdoc.c
DAEMON_SRCS = daemon/main.c daemon/cetakd.c daemon/verbs.c daemon/verbs_custody.c daemon/notices.c daemon/privacy.c daemon/desk.c $(CUSTODY_SRCS) daemon/config.c common/log.c daemon/loop.c \
              daemon/control.c daemon/ctlproto.c daemon/line.c daemon/run.c daemon/worker.c \
              daemon/rules.c daemon/state.c daemon/offload.c daemon/spawn.c daemon/hubpush.c $(WEB_SRCS) $(JOBS_SRCS) $(FACE_SRCS) $(LEDGER_SRCS) $(CARD_SRCS) $(PB_SRCS)
CLI_SRCS    = daemon/cetakctl.c daemon/cetakctl_card.c daemon/ctlproto.c ledger/report_fmt.c ledger/report_pdf.c common/pdfdoc.c common/i18n.c custody/berita.c jobs/job.c jobs/submit.c $(CARD_SRCS) $(FACE_SRCS)

UNIT_TESTS  = test_sm test_i18n test_web test_config test_ctlproto test_control test_loop test_job test_jobs test_notice test_lds test_face test_pb test_ledger test_rules test_card test_engine
FIXTURES    = cardemu pcsc_probe cups_submit sockact notify_recv ctlsend jobgen perso pngdiff pbtool usbsim stationgen
FUZZERS     = fuzz_ctl_request fuzz_ctl_response fuzz_job fuzz_card fuzz_ipp_reasons fuzz_audit fuzz_web fuzz_msg

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
MSG_OBJS = $(BUILD)/common/i18n_msg.o $(BUILD)/common/msg_templates.o

LANGS = id en
MO = $(foreach l,$(LANGS),$(BUILD)/locale/$(l)/LC_MESSAGES/cetak.mo)
MAN = $(addprefix $(BUILD)/man/,cetakd.8 cetakctl.1 cetak-audit.1 cetakd.conf.5 cetak-hub.8)
BINS = $(BUILD)/cetakd $(BUILD)/cetakctl $(BUILD)/cetak-audit $(BUILD)/cetak-hub
TEST_BINS = $(addprefix $(BUILD)/tests/,$(UNIT_TESTS) $(FIXTURES))

.PHONY: deb check-deb demo-packages pot all tests check check-run check-asan check-tsan demo demo-district fuzz deps install clean format update-golden bench

all: $(BINS) $(MO) $(MAN)

tests: $(BINS) $(MO) $(MAN) $(TEST_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call pc_cflags,$(PKGS_DAEMON) pangocairo libusb-1.0) $(CUPS_CFLAGS) -c $< -o $@

$(BUILD)/cetakd: $(call obj,$(DAEMON_SRCS)) $(MSG_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKGS_DAEMON) pangocairo libusb-1.0) $(CUPS_LIBS) -lpam -lcrypt -ljpeg -lpng -lm -lpthread

$(BUILD)/cetakctl: $(call obj,$(CLI_SRCS)) $(MSG_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKGS_CLI) libcrypto libconfig libpcsclite pangocairo) -ljpeg -lpng -lm -lpthread

# The PKCS#11 signer uses libp11's ENGINE, deprecated in OpenSSL 3.
$(BUILD)/common/signer.o: CFLAGS += -Wno-deprecated-declarations
$(BUILD)/common/i18n.o: CFLAGS += -DLOCALEDIR='"$(PREFIX)/share/locale"'
$(BUILD)/daemon/config.o: CFLAGS += -DWEBDIR='"$(PREFIX)/share/cetak/web"'

# Man pages: cetakctl(1)'s commands and cetakd.conf(5)'s settings are written
# from the programs' own tables, so that every verb and setting is there.
$(BUILD)/man/%: man/%
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/man/cetakctl.1: man/cetakctl.1.in $(BUILD)/cetakctl
	@mkdir -p $(dir $@)
	LANG=C LANGUAGE= $(BUILD)/cetakctl --describe-commands > $@.part
	awk -v part=$@.part '/^@COMMANDS@$$/ { while ((getline l < part) > 0) print l; next } { print }' $< > $@
	rm -f $@.part
$(BUILD)/man/cetakd.conf.5: man/cetakd.conf.5.in $(BUILD)/cetakd
	@mkdir -p $(dir $@)
	LANG=C LANGUAGE= $(BUILD)/cetakd --describe-settings > $@.part
	awk -v part=$@.part '/^@SETTINGS@$$/ { while ((getline l < part) > 0) print l; next } { print }' $< > $@
	rm -f $@.part

# Message catalogues (docs/i18n.md): po/LANG.po -> $(BUILD)/locale/LANG/LC_MESSAGES/cetak.mo.
# `make pot` extracts the texts from the sources listed in po/POTFILES and
# merges them into every po/LANG.po.
$(BUILD)/locale/%/LC_MESSAGES/cetak.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt -c -o $@ $<
pot:
	xgettext --from-code=UTF-8 -k_ -kN_ -kR_:1,'"daemon message"' --add-comments=TRANSLATORS: --package-name=cetak \
		--msgid-bugs-address= --omit-header -o po/cetak.pot $$(cat po/POTFILES)
	for l in $(LANGS); do msgmerge -q --update --backup=none po/$$l.po po/cetak.pot; done
	msgattrib --clear-fuzzy --empty -o po/en.po po/en.po
	msgen -o po/en.po po/en.po

# The daemon's message templates, for i18n_msg() (common/i18n_msg.c).
$(BUILD)/common/msg_templates.c: po/cetak.pot scripts/msg-templates
	@mkdir -p $(dir $@)
	scripts/msg-templates $< > $@
$(BUILD)/common/msg_templates.o: $(BUILD)/common/msg_templates.c
	$(CC) $(CFLAGS) -c $< -o $@
# The standalone verifier: no daemon, no database.
# The district hub: hub/schema.sql is built in as a C string.
$(BUILD)/hub/schema_sql.c: hub/schema.sql
	@mkdir -p $(dir $@)
	{ echo 'const char hub_schema_sql[] ='; sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $<; echo ';'; } > $@
$(BUILD)/hub/schema_sql.o: $(BUILD)/hub/schema_sql.c
	$(CC) $(CFLAGS) -c $< -o $@
HUB_SRCS    = hub/cetak-hub.c hub/db.c hub/verify.c hub/check.c hub/views.c hub/report.c hub/web.c
$(BUILD)/cetak-hub: $(call obj,$(HUB_SRCS) ledger/audit.c ledger/stock.c jobs/custody_state.c common/pdfdoc.c common/i18n.c \
		web/server.c web/parse.c web/html.c common/log.c) $(BUILD)/hub/schema_sql.o $(MSG_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,jansson libcrypto libpq pangocairo libmicrohttpd libsystemd) -lpam -lcrypt -lm -lpthread
$(BUILD)/hub/cetak-hub.o: CFLAGS += -DWEBDIR='"$(PREFIX)/share/cetak/web"'
$(call obj,$(HUB_SRCS)): CFLAGS += $(call pc_cflags,libpq pangocairo)
$(BUILD)/cetak-audit: $(call obj,ledger/cetak-audit.c ledger/audit.c ledger/stock.c jobs/custody_state.c common/i18n.c) $(MSG_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,jansson libcrypto) -lpthread

# Unit tests: cmocka, linked with the module under test.
CMOCKA_LIBS = $(call pc_libs,cmocka)
$(BUILD)/tests/test_config: $(call obj,tests/unit/test_config.c daemon/config.c notice/notice.c common/log.c \
		smartcard/profile.c smartcard/lds.c smartcard/fit.c smartcard/tlv.c smartcard/sod.c common/signer.c jobs/job.c $(PB_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,libconfig libsystemd libusb-1.0 jansson libcrypto) $(CUPS_LIBS) -ljpeg -lpng -lm -lpthread
$(BUILD)/tests/test_ctlproto: $(call obj,tests/unit/test_ctlproto.c daemon/ctlproto.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson)
$(BUILD)/tests/test_control: $(call obj,tests/unit/test_control.c daemon/control.c \
		daemon/ctlproto.c daemon/loop.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson libsystemd)
$(BUILD)/tests/test_loop: $(call obj,tests/unit/test_loop.c daemon/loop.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(BUILD)/tests/test_job: $(call obj,tests/unit/test_job.c jobs/job.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson) -ljpeg -lpng -lm -lpthread
$(BUILD)/tests/test_notice: $(call obj,tests/unit/test_notice.c notice/notice.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)
$(BUILD)/tests/test_jobs: $(call obj,tests/unit/test_jobs.c jobs/job.c jobs/store.c jobs/cycles.c jobs/custody.c jobs/notices.c jobs/privacy.c jobs/custody_state.c custody/custody.c \
		jobs/sched.c jobs/spool.c jobs/submit.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson sqlite3 libcrypto libsystemd) -ljpeg -lpng -lm -lpthread

$(BUILD)/tests/test_i18n: $(call obj,tests/unit/test_i18n.c common/i18n.c) $(MSG_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)
$(BUILD)/tests/test_web: $(call obj,tests/unit/test_web.c web/parse.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson)

$(BUILD)/tests/test_sm: $(call obj,tests/unit/test_sm.c smartcard/sm.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,libcrypto)

$(BUILD)/tests/test_lds: $(call obj,tests/unit/test_lds.c $(CARD_SRCS) jobs/job.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson libcrypto libconfig libpcsclite) -ljpeg -lpng -lm

$(BUILD)/tests/test_card: $(call obj,tests/unit/test_card.c $(CARD_SRCS) smartcard/sc_mem.c \
		tests/fixtures/cardcore.c tests/fixtures/samcore.c jobs/job.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson libcrypto libconfig libpcsclite) -ljpeg -lpng -lm -lpthread

# The engine in-process: cetakd's code without main(), over the device seams.
$(BUILD)/tests/test_engine: $(call obj,tests/unit/test_engine.c $(filter-out daemon/main.c,$(DAEMON_SRCS)) \
		printer/pb_fake.c smartcard/sc_mem.c tests/fixtures/cardcore.c) $(MSG_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,$(PKGS_DAEMON) pangocairo libusb-1.0) $(CUPS_LIBS) -lpam -lcrypt -ljpeg -lpng -lm -lpthread

$(BUILD)/tests/test_face: $(call obj,tests/unit/test_face.c $(FACE_SRCS) jobs/job.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson pangocairo libconfig) -ljpeg -lpng -lm

$(BUILD)/tests/test_rules: $(call obj,tests/unit/test_rules.c daemon/rules.c ledger/stock.c jobs/custody_state.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson)
$(BUILD)/tests/test_pb: $(call obj,tests/unit/test_pb.c $(PB_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(CUPS_LIBS) $(call pc_libs,libusb-1.0)

$(BUILD)/tests/test_ledger: $(call obj,tests/unit/test_ledger.c $(LEDGER_SRCS) jobs/custody_state.c ledger/report_pdf.c common/pdfdoc.c \
		common/signer.c smartcard/sod.c smartcard/tlv.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(call pc_libs,jansson libcrypto sqlite3 libsystemd pangocairo)

# Fixtures: the card emulator behind vpcd, a PC/SC client, a libcups client.
$(BUILD)/tests/cardemu: $(call obj,tests/fixtures/cardemu.c tests/fixtures/cardcore.c tests/fixtures/samcore.c smartcard/sm.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,libcrypto)
$(BUILD)/tests/stationgen: $(call obj,tests/fixtures/stationgen.c $(LEDGER_SRCS) jobs/custody_state.c common/signer.c \
		smartcard/tlv.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,jansson libcrypto sqlite3 libsystemd)
$(BUILD)/tests/pcsc_probe: $(call obj,tests/fixtures/pcsc_probe.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,libpcsclite)
$(BUILD)/tests/cups_submit: $(call obj,tests/fixtures/cups_submit.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CUPS_LIBS)
$(BUILD)/tests/sockact $(BUILD)/tests/notify_recv $(BUILD)/tests/ctlsend: $(BUILD)/tests/%: \
		$(BUILD)/tests/fixtures/%.o
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/jobgen: $(call obj,tests/fixtures/jobgen.c)
	$(CC) $(LDFLAGS) -o $@ $^ -ljpeg -lpng -lm $(call pc_libs,cairo)

$(BUILD)/tests/pbtool: $(call obj,tests/fixtures/pbtool.c $(PB_SRCS) $(FACE_SRCS) jobs/job.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(CUPS_LIBS) $(call pc_libs,libusb-1.0 pangocairo jansson libconfig) -ljpeg -lpng -lm
$(BUILD)/tests/usbsim: $(BUILD)/tests/fixtures/usbsim.o
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,umockdev-1.0 glib-2.0)
$(BUILD)/tests/fixtures/usbsim.o: CFLAGS += $(call pc_cflags,umockdev-1.0 glib-2.0) -Wno-missing-prototypes -Wno-strict-prototypes
# The simulator is a fixture, not code under test: under ThreadSanitizer it is
# built plain (a TSan binary loses umockdev's preload when TSan re-executes it).
ifeq ($(TSAN),1)
$(BUILD)/tests/fixtures/usbsim.o: OPT = -O2 -g
$(BUILD)/tests/usbsim: LDSAN =
endif
$(BUILD)/tests/pngdiff: $(call obj,tests/fixtures/pngdiff.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,cairo)
$(BUILD)/tests/perso: $(call obj,tests/fixtures/perso.c $(CARD_SRCS) jobs/job.c jobs/store.c jobs/cycles.c jobs/custody.c jobs/notices.c jobs/privacy.c jobs/custody_state.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,jansson libcrypto libconfig libpcsclite sqlite3 libsystemd) -ljpeg -lpng -lm

# libFuzzer targets (clang); each parser of outside data has one.
FUZZ_CC = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -I. $(call pc_cflags,jansson)
$(BUILD)/fuzz/fuzz_ctl_request $(BUILD)/fuzz/fuzz_ctl_response: $(BUILD)/fuzz/%: \
		tests/fuzz/%.c daemon/ctlproto.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(call pc_libs,jansson)
$(BUILD)/fuzz/fuzz_job: tests/fuzz/fuzz_job.c jobs/job.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(call pc_libs,jansson) -ljpeg -lpng -lm -lpthread
$(BUILD)/fuzz/fuzz_card: tests/fuzz/fuzz_card.c smartcard/tlv.c common/signer.c smartcard/sod.c \
		smartcard/sc_card.c smartcard/sc_sam.c smartcard/sm.c smartcard/sc_reader.c smartcard/sc_pcsc.c smartcard/lds.c smartcard/fit.c smartcard/profile.c jobs/job.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Wno-deprecated-declarations $(call pc_cflags,libpcsclite) \
		-o $@ $^ $(call pc_libs,jansson libcrypto libpcsclite libconfig) -ljpeg -lpng -lm
$(BUILD)/fuzz/fuzz_ipp_reasons: tests/fuzz/fuzz_ipp_reasons.c $(PB_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(call pc_cflags,libusb-1.0) -o $@ $^ $(CUPS_LIBS) $(call pc_libs,libusb-1.0)
$(BUILD)/fuzz/fuzz_audit: tests/fuzz/fuzz_audit.c ledger/audit.c ledger/stock.c jobs/custody_state.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(call pc_libs,jansson libcrypto)
$(BUILD)/fuzz/fuzz_web: tests/fuzz/fuzz_web.c web/parse.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(call pc_libs,jansson)
$(BUILD)/fuzz/fuzz_msg: tests/fuzz/fuzz_msg.c common/i18n_msg.c $(BUILD)/common/msg_templates.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
fuzzers: $(addprefix $(BUILD)/fuzz/,$(FUZZERS))

# Benchmarks (not tests): results go to docs/performance.md.
$(BUILD)/bench/queue_bench: $(call obj,bench/queue_bench.c jobs/job.c jobs/store.c jobs/cycles.c jobs/custody.c jobs/notices.c jobs/privacy.c jobs/custody_state.c jobs/sched.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,jansson sqlite3) -ljpeg -lpng -lm

$(BUILD)/bench/face_bench: $(call obj,bench/face_bench.c $(FACE_SRCS) $(PB_SRCS) jobs/job.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,jansson pangocairo libconfig libusb-1.0) $(CUPS_LIBS) -ljpeg -lpng -lm

$(BUILD)/bench/ledger_bench: $(call obj,bench/ledger_bench.c $(LEDGER_SRCS) jobs/custody_state.c common/signer.c \
		smartcard/tlv.c common/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,jansson libcrypto sqlite3 libsystemd)

$(BUILD)/bench/custody_bench: $(call obj,bench/custody_bench.c daemon/notices.c notice/notice.c custody/custody.c \
		jobs/job.c jobs/store.c jobs/cycles.c jobs/custody.c jobs/notices.c jobs/privacy.c jobs/custody_state.c common/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,jansson sqlite3 libsystemd) -ljpeg -lpng -lm

$(BUILD)/bench/msg_bench: $(call obj,bench/msg_bench.c common/i18n.c) $(MSG_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

bench: all tests $(BUILD)/bench/queue_bench $(BUILD)/bench/face_bench $(BUILD)/bench/ledger_bench $(BUILD)/bench/custody_bench $(BUILD)/bench/msg_bench
	BUILD=$(BUILD) bench/intake.sh
	BUILD=$(BUILD) bench/queue.sh
	BUILD=$(BUILD) bench/card.sh
	BUILD=$(BUILD) bench/face.sh
	BUILD=$(BUILD) bench/hub.sh
	BUILD=$(BUILD) bench/ledger.sh
	BUILD=$(BUILD) bench/line.sh
	BUILD=$(BUILD) bench/custody.sh
	CETAK_LOCALEDIR=$(CURDIR)/$(BUILD)/locale $(BUILD)/bench/msg_bench

deps:
	scripts/install-deps

# The test runner prints "N passed, N failed" last and fails on any failure.
check-run: tests fuzzers
	BUILD=$(BUILD) FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) tests/run

check: deps
	$(MAKE) check-run

check-asan: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		$(MAKE) BUILD=build-asan SAN=1 CHECK_FUZZ_SECONDS=0 check-run

# ThreadSanitizer over the print line engine in-process (two lines encoding
# and preparing at once, intake, recovery; tests/unit/test_engine.c) and
# cetakd against the real pcscd (pcsc.sh), pushing to the district hub
# (hub.sh: its libpq thread) and serving its dashboard under load
# (webload.sh: the server's threads): any race report fails the run.
# (Under umockdev's preload a TSan cetakd cannot reach pcscd, so the USB
# line tests are not part of it.)
check-tsan: deps
	rm -rf build-tsan/tsan-reports && mkdir -p build-tsan/tsan-reports
	$(MAKE) BUILD=build-tsan TSAN=1 tests
	TSAN_OPTIONS="log_path=$(CURDIR)/build-tsan/tsan-reports/race second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
		sh -c 'BUILD=build-tsan timeout -k 10 600 build-tsan/tests/test_engine >build-tsan/test-engine.log 2>&1 || { tail -30 build-tsan/test-engine.log; exit 1; }; BUILD=build-tsan TESTS="pcsc hub webload" tests/run'; rc=$$?; \
	if ls build-tsan/tsan-reports/race.* >/dev/null 2>&1; then \
		echo "ThreadSanitizer reports:"; head -60 build-tsan/tsan-reports/race.*; exit 1; fi; \
	exit $$rc

fuzz: deps
	$(MAKE) fuzzers
	BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run fuzz

demo: deps
	$(MAKE) tests
	BUILD=$(BUILD) scripts/demo
	BUILD=$(BUILD) scripts/demo-district
	$(MAKE) demo-packages

demo-district: deps
	$(MAKE) tests
	BUILD=$(BUILD) scripts/demo-district
	$(MAKE) demo-packages

# What a real station and a real hub would install: the packages of this
# tree, beside each demo (docs/packaging.md).
demo-packages: deb
	mkdir -p demo-station/packages demo-district/packages
	cp $(BUILD)/deb/cetak_$(DEB_VERSION)_*.deb $(BUILD)/deb/cetak-common_$(DEB_VERSION)_all.deb demo-station/packages/
	cp $(BUILD)/deb/cetak-hub_$(DEB_VERSION)_*.deb $(BUILD)/deb/cetak-common_$(DEB_VERSION)_all.deb demo-district/packages/
	@echo "a real station installs: apt install ./demo-station/packages/*.deb"
	@echo "a real hub installs:     apt install ./demo-district/packages/*.deb"

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(SYSCONFDIR)/cetak $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	install -m 0755 $(BUILD)/cetakd $(DESTDIR)$(PREFIX)/sbin/cetakd
	install -m 0755 $(BUILD)/cetakctl $(DESTDIR)$(PREFIX)/bin/cetakctl
	install -m 0755 $(BUILD)/cetak-audit $(DESTDIR)$(PREFIX)/bin/cetak-audit
	install -m 0755 $(BUILD)/cetak-hub $(DESTDIR)$(PREFIX)/bin/cetak-hub
	for l in $(LANGS); do install -D -m 0644 $(BUILD)/locale/$$l/LC_MESSAGES/cetak.mo \
		$(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/cetak.mo; done
	install -d $(DESTDIR)$(PREFIX)/share/cetak/web $(DESTDIR)$(SYSCONFDIR)/pam.d
	install -m 0644 web/static/style.css web/static/app.js $(DESTDIR)$(PREFIX)/share/cetak/web/
	test -e $(DESTDIR)$(SYSCONFDIR)/pam.d/cetak || \
		install -m 0644 etc/pam.d/cetak $(DESTDIR)$(SYSCONFDIR)/pam.d/cetak
	install -m 0644 etc/cetakd.service $(DESTDIR)$(UNITDIR)/cetakd.service
	install -m 0644 etc/cetak-hub.service $(DESTDIR)$(UNITDIR)/cetak-hub.service
	install -m 0644 etc/cetak-hub-web.service $(DESTDIR)$(UNITDIR)/cetak-hub-web.service
	install -m 0644 etc/sysusers.d/cetak.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/cetak.conf
	install -m 0644 etc/sysusers.d/cetak-hub.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/cetak-hub.conf
	install -m 0644 etc/tmpfiles.d/cetak.conf $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/cetak.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/cetak/cetakd.conf || \
		install -m 0640 etc/cetakd.conf $(DESTDIR)$(SYSCONFDIR)/cetak/cetakd.conf
	install -d $(DESTDIR)$(SYSCONFDIR)/cetak/profiles $(DESTDIR)$(SYSCONFDIR)/cetak/layouts
	install -m 0644 etc/profiles/icao-lds.conf etc/profiles/sam-ektp.conf $(DESTDIR)$(SYSCONFDIR)/cetak/profiles/
	install -D -m 0755 scripts/restart-between-cards $(DESTDIR)$(PREFIX)/lib/cetak/restart-between-cards
	for m in $(MAN); do s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/$${m##*/}; done
	install -m 0644 etc/layouts/ektp-front.conf $(DESTDIR)$(SYSCONFDIR)/cetak/layouts/

# Debian packages (docs/packaging.md): cetak, cetak-hub and cetak-common in
# $(BUILD)/deb, versioned by the commits since the project began.
DEB_VERSION ?= $(VERSION)+git$(shell git rev-list --count HEAD 2>/dev/null || echo 0)
deb:
	scripts/install-deps
	scripts/make-deb $(DEB_VERSION) $(BUILD)/deb

# The packages on this machine, as root (tests/packaging/deb.sh): build,
# lintian, install the previous commit's, upgrade with a ledger and queued
# jobs, remove, purge. It installs packages: CI runs it after `make check`.
check-deb: deps
	$(MAKE) all tests
	BUILD=$(BUILD) TESTS=tests/packaging/deb.sh tests/run

# Golden files: regenerate after an intended change, then review the diff.
update-golden: all tests
	$(BUILD)/cetakd -n -c etc/cetakd.conf | sed 1d > tests/data/cetakd.conf.canonical
	for j in etc/examples/*.json; do \
		$(BUILD)/cetakctl face render $$j --layout etc/layouts/ektp-front.conf \
			-o tests/golden/$$(basename $$j .json).png || exit 1; \
	done
	CETAK_UPDATE_GOLDEN=1 CETAK_REPORT_PDF=$(BUILD)/report-daily.pdf $(BUILD)/tests/test_ledger >/dev/null
	@echo "the report PDF to look at: $(BUILD)/report-daily.pdf"
	$(BUILD)/cetak-hub report --from-json tests/data/district-report.json > tests/golden/district-report.txt
	$(BUILD)/cetak-hub report --from-json tests/data/district-report.json --format csv -o tests/golden/district-report.csv
	$(BUILD)/cetak-hub report --from-json tests/data/district-report.json --format pdf -o $(BUILD)/district-report.pdf
	@echo "the district report PDF to look at: $(BUILD)/district-report.pdf"
	git diff --stat tests/data tests/golden

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-tsan

-include $(shell find $(BUILD) -path '$(BUILD)/deb' -prune -o -name '*.d' -type f -print 2>/dev/null)
