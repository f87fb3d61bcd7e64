/*
 * test_engine.c - the print line engine in-process, over the device seams:
 * cetakd's own code (the loop, the job store, the ledger, the workers, the
 * rules) with the scripted printer (printer/pb_fake.c) and the in-memory
 * card transport (smartcard/sc_mem.c) holding the test card
 * (tests/fixtures/cardcore.c). No pcscd, no cupsd, no USB: each case scripts
 * the devices step by step and checks what the books say afterwards.
 *
 * Covered: two lines at once; each printer outcome at print (fail, stop,
 * unknown, retry) and a chip that does not answer; a hung reader and its
 * deadline; SIGTERM with a card in hand; and a crash (SIGKILL, in a forked
 * child) at every step of the card cycle, recovered by a new engine on the
 * same books. The integration tests through the real pcscd, cupsd and USB
 * simulator are tests/integration/line*.sh.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/cetakd.h"
#include "daemon/loop.h"
#include "daemon/run.h"
#include "jobs/store.h"
#include "ledger/ledger.h"
#include "printer/pb_fake.h"
#include "smartcard/sc_mem.h"
#include "tests/fixtures/cardcore.h"

#define PRN_A "fa4e:0001"
#define PRN_B "fa4e:0002"
#define RDR_A "mem reader 00"
#define RDR_B "mem reader 01"

static char T[64], root[512], build[1024];
static struct sc_mem *bank;
static struct card cards[2];

/* crash injection (in a forked child): die at this printer op's count, or
 * at this APDU of the card in line A's reader */
static enum pb_fake_op crash_op = PBF_OPS;
static int crash_count;
static unsigned crash_apdu;
/* a chip that does not answer: on this feed of line A (1-based), 0 = never */
static int mute_feed;
/* in the forked child of a crash test a failed check ends the child (the
 * parent sees it was not killed); cmocka's checks belong to the parent */
static bool in_child;
#define need(x)                                                                                    \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			if (in_child)                                                              \
				_exit(4);                                                          \
			fail_msg("%s:%d: %s", __FILE__, __LINE__, #x);                             \
		}                                                                                  \
	} while (0)
/* the station open now, closed by teardown if a case failed half-way */
static struct station *open_now;

static size_t
card_fn(void *card, const uint8_t *cmd, size_t n, uint8_t *resp)
{
	return card_apdu(card, cmd, n, resp);
}

static int
sc_new_mem(void *arg, struct sc_ctx **ret)
{
	return sc_ctx_new_mem(arg, ret);
}

/* The printer feeds a card: the next blank is in its encoder's reader. */
static void
on_op(void *arg, const char *device, enum pb_fake_op op, int count)
{
	int i = !strcmp(device, PRN_B);
	const char *reader = i ? RDR_B : RDR_A;

	(void)arg;
	if (op == crash_op && count == crash_count)
		kill(getpid(), SIGKILL);
	if (op != PBF_TO_ENCODER)
		return;
	if (cards[i].n_efs || cards[i].locked)
		card_next_blank(&cards[i]);
	if (!i && mute_feed)
		sc_mem_fault(bank, reader, 0, count == mute_feed ? SC_CARD_MUTE : SC_OK, 0);
}

static void
on_apdu(void *arg, const char *reader, unsigned count)
{
	(void)arg;
	if (crash_apdu && count == crash_apdu && !strcmp(reader, RDR_A))
		kill(getpid(), SIGKILL);
}

/* ---- a station ---- */

struct station {
	struct cetakd d;
	char conf[128];
};

static void
write_config(const char *path, int nlines, const char *extra)
{
	FILE *f = fopen(path, "w");

	need(f);
	fprintf(f,
		"station = { name = \"Engine test\"; role = \"main\"; };\n"
		"paths = { state_dir = \"%s/state\"; spool_dir = \"%s/spool\";"
		" control_socket = \"%s/control\"; };\n"
		"access = { operator_group = \"users\"; supervisor_group = \"staff\"; };\n"
		"daemon = { reader_poll_ms = 200; log_level = \"info\"; };\n"
		"web = { enabled = false; };\n"
		"face = { layout = \"%s/etc/layouts/ektp-front.conf\"; };\n"
		"ledger = { station_key = \"%s/pki/ds.key\"; station_cert = \"%s/pki/ds.pem\"; "
		"checkpoint_every = 50; };\n"
		"card = { profile = \"%s/etc/profiles/icao-lds.conf\"; signer_key = "
		"\"%s/pki/ds.key\"; signer_cert = \"%s/pki/ds.pem\"; csca = \"%s/pki/csca.pem\";"
		" card_timeout_ms = 500; printer_timeout = 2; retry_interval = 1; stop_timeout = 3;"
		" encode_deadline = 2; %s };\n"
		"schedule = { stock_reserve = 0; };\n"
		"lines = ( { name = \"A\"; printer = \"fake\"; usb_device = \"" PRN_A "\";"
		" reader = \"" RDR_A "\"; }%s );\n",
		T, T, T, root, T, T, root, T, T, T, extra ? extra : "",
		nlines > 1 ? ", { name = \"B\"; printer = \"fake\"; usb_device = \"" PRN_B "\";"
			     " reader = \"" RDR_B "\"; }"
			   : "");
	fclose(f);
}

static void
open_station(struct station *s, int nlines, const char *extra)
{
	memset(&s->d, 0, sizeof(s->d));
	snprintf(s->conf, sizeof(s->conf), "%s/cetakd.conf", T);
	write_config(s->conf, nlines, extra);
	s->d.sc_new = sc_new_mem;
	s->d.sc_arg = bank;
	need(cetakd_open(&s->d, s->conf) == 0);
	open_now = s;
	cetakd_begin(&s->d);
}

static void
close_station(struct station *s)
{
	cetakd_close(&s->d);
	open_now = NULL;
}

static void
stock(struct station *s, int nlines)
{
	char why[256];
	long long seq;
	struct ledger_event rec = {
		.kind = "receive", .lot = "LOT-E", .doc = "DN-E", .count = 100, .actor = "test"
	};

	need(ledger_record(s->d.ledger, &rec, time(NULL), &seq, why, sizeof(why)) == 0);
	for (int i = 0; i < nlines; i++) {
		struct ledger_event load = {
			.kind = "load", .line = i ? "B" : "A", .count = 20, .actor = "test"
		};
		need(ledger_record(s->d.ledger, &load, time(NULL), &seq, why, sizeof(why)) == 0);
	}
}

/* Hand jobs first..first+n-1 to the spool as a producer does. */
static void
submit(int first, int n)
{
	char cmd[2048], from[256], to[256];

	snprintf(cmd, sizeof(cmd), "%s/tests/jobgen -n %d -f %d -o %s/jobs -s 11 >/dev/null", build,
		 n, first, T);
	need(system(cmd) == 0);
	for (int i = first; i < first + n; i++) {
		snprintf(from, sizeof(from), "%s/jobs/JOB-%06d.json", T, i);
		snprintf(to, sizeof(to), "%s/spool/new/JOB-%06d.json", T, i);
		need(rename(from, to) == 0);
	}
}

static long long
jobs_in(struct station *s, enum job_state st)
{
	long long n = -1;

	store_count(s->d.store, JS_MASK(st), ~0u, &n);
	return n;
}

static struct ledger_balance
balance(struct station *s)
{
	struct ledger_balance b;

	assert_int_equal(ledger_balance(s->d.ledger, &b), 0);
	return b;
}

/* The line's state as `cetakctl lines` shows it. */
static const char *
line_state(struct station *s, const char *name)
{
	static char state[32];

	state[0] = '\0';
	for (int i = 0; i < s->d.n_lines; i++) {
		if (strcmp(s->d.lines[i].cfg->name, name))
			continue;
		json_t *o = json_object();
		run_line_json(&s->d, &s->d.lines[i], o);
		snprintf(state, sizeof(state), "%s",
			 json_string_value(json_object_get(o, "state")));
		json_decref(o);
	}
	return state;
}

typedef bool (*pred_fn)(struct station *s, long arg);

/* Run the loop until pred holds, at most timeout_ms. */
static bool
run_until(struct station *s, pred_fn pred, long arg, int timeout_ms)
{
	uint64_t end = ev_now_ms() + (uint64_t)timeout_ms;

	while (ev_now_ms() < end) {
		if (pred(s, arg))
			return true;
		ev_loop_iterate(s->d.loop, 20);
	}
	return pred(s, arg);
}

static bool
done_is(struct station *s, long n)
{
	return jobs_in(s, JS_DONE) == n;
}

static bool
held_is(struct station *s, long n)
{
	return jobs_in(s, JS_HELD) == n;
}

static bool
state_is_stopped(struct station *s, long line)
{
	return !strcmp(line_state(s, line ? "B" : "A"), "stopped");
}

static bool
cycle_at_print(struct station *s, long unused)
{
	struct cycle_row c;

	(void)unused;
	return store_cycle_on_line(s->d.store, "A", &c) == 0 && !strcmp(c.step, "print");
}

static bool
exiting(struct station *s, long unused)
{
	(void)unused;
	return ev_loop_exiting(s->d.loop);
}

/* ---- fixtures ---- */

static int
setup_all(void **state)
{
	char cmd[2048];
	const char *b = getenv("BUILD");

	(void)state;
	assert_non_null(getcwd(root, sizeof(root)));
	snprintf(build, sizeof(build), "%s/%s", root, b && b[0] ? b : "build");
	if (b && b[0] == '/')
		snprintf(build, sizeof(build), "%s", b);
	strcpy(T, "/tmp/cetak-engine.XXXXXX");
	assert_non_null(mkdtemp(T));
	snprintf(cmd, sizeof(cmd), "scripts/make-test-pki %s/pki >/dev/null 2>&1", T);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(pb_register(&pb_fake_ops), 0);
	log_open("cetakd");
	return 0;
}

static int
teardown_all(void **state)
{
	char cmd[256];

	(void)state;
	if (getenv("CETAK_KEEP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", T);
	return system(cmd);
}

/* A fresh station directory and fresh devices for each case. */
static int
setup(void **state)
{
	static const uint8_t serial_a[8] = { 0x04, 0xE1, 0, 0, 0, 0, 0, 1 };
	static const uint8_t serial_b[8] = { 0x04, 0xE2, 0, 0, 0, 0, 0, 1 };
	char cmd[256];
	uint8_t atr[16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s/state %s/spool %s/jobs", T, T, T);
	assert_int_equal(system(cmd), 0);
	pb_fake_reset();
	pb_fake_on_op(on_op, NULL);
	crash_op = PBF_OPS;
	crash_count = 0;
	crash_apdu = 0;
	mute_feed = 0;
	assert_int_equal(sc_mem_new(&bank), 0);
	assert_int_equal(sc_mem_add_reader(bank, RDR_A), 0);
	assert_int_equal(sc_mem_add_reader(bank, RDR_B), 0);
	sc_mem_on_apdu(bank, on_apdu, NULL);
	card_blank(&cards[0], serial_a, 4096);
	card_blank(&cards[1], serial_b, 4096);
	sc_mem_insert(bank, RDR_A, card_fn, &cards[0], atr, card_atr(&cards[0], atr), false);
	sc_mem_insert(bank, RDR_B, card_fn, &cards[1], atr, card_atr(&cards[1], atr), false);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (open_now)
		close_station(open_now);
	pb_fake_on_op(NULL, NULL);
	sc_mem_free(bank);
	bank = NULL;
	card_free(&cards[0]);
	card_free(&cards[1]);
	return 0;
}

/* ---- cases ---- */

static void
test_two_lines(void **state)
{
	static struct station s;

	open_station(&s, 2, NULL);
	stock(&s, 2);
	submit(1, 6);
	assert_true(run_until(&s, done_is, 6, 60000));
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.issued, 6);
	assert_int_equal(b.spoiled, 0);
	assert_int_equal(ledger_line_of(&b, "A")->in_flight + ledger_line_of(&b, "B")->in_flight,
			 0);
	/* jobs flow to whichever line is free: both printed */
	assert_true(pb_fake_printed(PRN_A) > 0);
	assert_true(pb_fake_printed(PRN_B) > 0);
	assert_int_equal(pb_fake_printed(PRN_A) + pb_fake_printed(PRN_B), 6);
	close_station(&s);
}

static void
test_print_fail(void **state)
{
	static struct station s;

	/* a failed print: rejected gagal_cetak, counted, the job on a new blank */
	pb_fake_push(PRN_A, PBF_PRINT, PB_FAIL, 0, "print head error", 0);
	open_station(&s, 1, NULL);
	stock(&s, 1);
	submit(1, 1);
	assert_true(run_until(&s, done_is, 1, 30000));
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.issued, 1);
	assert_int_equal(b.spoiled, 1);
	assert_int_equal(b.by_cause[CAUSE_GAGAL_CETAK], 1);
	assert_int_equal(pb_fake_count(PRN_A, PBF_REJECT) >= 1, 1);
	close_station(&s);
}

static void
test_print_unknown(void **state)
{
	static struct station s;
	struct job_row row;

	/* perhaps printed: held for a person, never printed again */
	pb_fake_push(PRN_A, PBF_PRINT, PB_UNKNOWN, 0, "timeout after submission", 0);
	open_station(&s, 1, NULL);
	stock(&s, 1);
	submit(1, 1);
	assert_true(run_until(&s, held_is, 1, 30000));
	assert_int_equal(store_get(s.d.store, "JOB-000001", &row), 0);
	assert_string_equal(row.hold_kind, "unknown");
	assert_string_equal(line_state(&s, "A"), "unresolved");
	/* give it time: nothing is printed again by itself */
	run_until(&s, done_is, 1, 3000);
	assert_int_equal(pb_fake_count(PRN_A, PBF_PRINT), 1);
	assert_int_equal(balance(&s).lines[0].in_flight, 1);
	/* a supervisor found the good card: issued */
	json_t *data = NULL;
	char *err = NULL;
	assert_int_equal(run_resolve(&s.d, "JOB-000001", "printed", NULL, "test", &data, &err), 0);
	json_decref(data);
	assert_int_equal(balance(&s).issued, 1);
	assert_int_equal(jobs_in(&s, JS_DONE), 1);
	close_station(&s);
}

static void
test_print_stop(void **state)
{
	static struct station s;
	char *err = NULL;

	/* a jam while printing: spoiled gagal_cetak in place, the line stops */
	pb_fake_push(PRN_A, PBF_PRINT, PB_STOP, PB_R_JAM, "Se: ERR JAM", 0);
	open_station(&s, 1, NULL);
	stock(&s, 1);
	submit(1, 1);
	assert_true(run_until(&s, state_is_stopped, 0, 30000));
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.spoiled, 1);
	assert_int_equal(b.by_cause[CAUSE_GAGAL_CETAK], 1);
	assert_int_equal(jobs_in(&s, JS_QUEUED), 1);
	/* the operator clears it and resumes: a card left inside goes to the
	 * reject box first, then the job is made */
	assert_int_equal(run_line_command(&s.d, "A", "resume", "test", &err), 0);
	assert_true(run_until(&s, done_is, 1, 30000));
	assert_int_equal(balance(&s).issued, 1);
	close_station(&s);
}

static void
test_retry_and_mute(void **state)
{
	static struct station s;

	/* the printer cooling at the feed: the same step again, nothing spoiled */
	pb_fake_push(PRN_A, PBF_TO_ENCODER, PB_RETRY, PB_R_COOLING, "cooling", 0);
	/* and the first blank fed has a chip that does not answer: no_chip */
	mute_feed = 2; /* the retried feed is the second call */
	open_station(&s, 1, NULL);
	stock(&s, 1);
	submit(1, 1);
	assert_true(run_until(&s, done_is, 1, 30000));
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.issued, 1);
	assert_int_equal(b.spoiled, 1);
	assert_int_equal(b.by_cause[CAUSE_NO_CHIP], 1);
	close_station(&s);
}

static void
test_hung_reader(void **state)
{
	static struct station s;
	char *err = NULL;

	/* every APDU takes 1.5 s: the encode passes its 2 s deadline */
	sc_mem_fault(bank, RDR_A, -1, SC_OK, 1500);
	open_station(&s, 1, NULL);
	stock(&s, 1);
	submit(1, 1);
	assert_true(run_until(&s, state_is_stopped, 0, 30000));
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.spoiled, 1);
	assert_int_equal(b.by_cause[CAUSE_GAGAL_ENCODE], 1);
	assert_int_equal(jobs_in(&s, JS_QUEUED), 1);
	/* the reader is replaced; resume waits for the late answer, then goes on */
	sc_mem_fault(bank, RDR_A, -1, SC_OK, 0);
	for (int i = 0; i < 100; i++) {
		free(err);
		err = NULL;
		if (run_line_command(&s.d, "A", "resume", "test", &err) == 0)
			break;
		assert_non_null(strstr(err, "still has not answered"));
		run_until(&s, done_is, 99, 200);
	}
	free(err);
	assert_true(run_until(&s, done_is, 1, 30000));
	assert_int_equal(balance(&s).issued, 1);
	close_station(&s);
}

static void
test_sigterm_card_in_hand(void **state)
{
	static struct station s;
	struct cycle_row c;

	/* the print takes 1.5 s; SIGTERM arrives while it is under way */
	pb_fake_push(PRN_A, PBF_PRINT, PB_OK, 0, "", 1500);
	open_station(&s, 1, NULL);
	stock(&s, 1);
	submit(1, 3);
	assert_true(run_until(&s, cycle_at_print, 0, 30000));
	s.d.stopping = true; /* what the signal handler does */
	run_shutdown(&s.d);
	assert_true(run_until(&s, exiting, 0, 30000));
	/* the card in hand was finished; nothing else was started */
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.issued, 1);
	assert_int_equal(b.lines[0].in_flight, 0);
	assert_int_equal(store_cycle_on_line(s.d.store, "A", &c) < 0, 1);
	close_station(&s);
	/* the other jobs are back in the queue, none lost */
	open_station(&s, 1, NULL);
	assert_int_equal(jobs_in(&s, JS_QUEUED), 2);
	assert_int_equal(jobs_in(&s, JS_DONE), 1);
	close_station(&s);
}

static bool
state_is(struct station *s, long name)
{
	return !strcmp(line_state(s, "A"), (const char *)name);
}

/* The line's state machine: drain, pause, resume; a line with a card of
 * unknown outcome takes no pause (it prints nothing until resolved). */
static void
test_line_states(void **state)
{
	static struct station s;
	char *err = NULL;

	pb_fake_push(PRN_A, PBF_PRINT, PB_OK, 0, "", 800);
	open_station(&s, 1, NULL);
	stock(&s, 1);
	submit(1, 3);
	assert_true(run_until(&s, cycle_at_print, 0, 30000));
	assert_int_equal(run_line_command(&s.d, "A", "drain", "test", &err), 0);
	assert_string_equal(line_state(&s, "A"), "draining");
	/* the card in hand is finished, then the line pauses; the rest wait */
	assert_true(run_until(&s, state_is, (long)"paused", 30000));
	assert_int_equal(jobs_in(&s, JS_DONE), 1);
	assert_int_equal(jobs_in(&s, JS_QUEUED), 2);
	run_until(&s, done_is, 3, 1500);
	assert_int_equal(jobs_in(&s, JS_DONE), 1);
	assert_int_equal(run_line_command(&s.d, "A", "resume", "test", &err), 0);
	assert_true(run_until(&s, done_is, 3, 30000));
	close_station(&s);
}

static void
test_unresolved_takes_no_pause(void **state)
{
	static struct station s;
	char *err = NULL;
	json_t *data = NULL;

	pb_fake_push(PRN_A, PBF_PRINT, PB_UNKNOWN, 0, "cupsd gone", 0);
	open_station(&s, 1, NULL);
	stock(&s, 1);
	submit(1, 2);
	assert_true(run_until(&s, state_is, (long)"unresolved", 30000));
	assert_int_equal(run_line_command(&s.d, "A", "pause", "test", &err), -EBUSY);
	assert_non_null(strstr(err, "unresolved"));
	free(err);
	err = NULL;
	assert_int_equal(run_line_command(&s.d, "A", "resume", "test", &err), -EBUSY);
	free(err);
	err = NULL;
	assert_string_equal(line_state(&s, "A"), "unresolved");
	assert_int_equal(run_resolve(&s.d, "JOB-000001", "printed", NULL, "test", &data, &err), 0);
	json_decref(data);
	/* resolved: the line goes on with the other job by itself */
	assert_true(run_until(&s, done_is, 2, 30000));
	close_station(&s);
}

/*
 * Crash recovery: a child process runs the engine and is killed (SIGKILL)
 * at a step of the first card; a new engine opens the same books and
 * settles the card as docs/print-line.md says. What the printer was
 * scripted to do is the child's; the parent's engine starts unscripted.
 */
static void
crash_at(enum pb_fake_op op, int count, unsigned apdu)
{
	static struct station s;
	int status;

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		in_child = true;
		crash_op = op;
		crash_count = count;
		crash_apdu = apdu;
		open_station(&s, 1, NULL);
		stock(&s, 1);
		submit(1, 1);
		run_until(&s, done_is, 1, 20000);
		_exit(3); /* not killed: the test fails below */
	}
	pb_fake_reset();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void
test_crash_at_feed(void **state)
{
	static struct station s;

	/* nothing was taken: the job goes back to the queue, then is made */
	crash_at(PBF_TO_ENCODER, 1, 0);
	open_station(&s, 1, NULL);
	assert_true(run_until(&s, done_is, 1, 30000));
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.issued, 1);
	assert_int_equal(b.spoiled, 0);
	close_station(&s);
}

static void
test_crash_at_encode(void **state)
{
	static struct station s;

	/* the card was taken and partly written: spoiled interrupted, the job
	 * made on a new blank */
	crash_at(PBF_OPS, 0, 6);
	open_station(&s, 1, NULL);
	assert_true(run_until(&s, done_is, 1, 30000));
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.issued, 1);
	assert_int_equal(b.spoiled, 1);
	assert_int_equal(b.by_cause[CAUSE_INTERRUPTED], 1);
	close_station(&s);
}

static void
crash_while_printing(enum pb_fake_op op)
{
	static struct station s;
	struct job_row row;

	/* printing had started: unknown, held, never printed again by itself */
	crash_at(op, 1, 0);
	long printed = pb_fake_count(PRN_A, PBF_PRINT);
	open_station(&s, 1, NULL);
	assert_true(run_until(&s, held_is, 1, 30000));
	assert_int_equal(store_get(s.d.store, "JOB-000001", &row), 0);
	assert_string_equal(row.hold_kind, "unknown");
	assert_string_equal(line_state(&s, "A"), "unresolved");
	run_until(&s, done_is, 1, 2000);
	assert_int_equal(pb_fake_count(PRN_A, PBF_PRINT), printed);
	/* the supervisor found it spoiled: the job is made again on a new blank */
	json_t *data = NULL;
	char *err = NULL;
	assert_int_equal(run_resolve(&s.d, "JOB-000001", "spoiled", NULL, "test", &data, &err), 0);
	json_decref(data);
	char *e2 = NULL;
	run_line_command(&s.d, "A", "resume", "test", &e2);
	free(e2);
	assert_true(run_until(&s, done_is, 1, 30000));
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.issued, 1);
	assert_int_equal(b.spoiled, 1);
	close_station(&s);
}

static void
test_crash_at_print(void **state)
{
	crash_while_printing(PBF_PRINT);
}

static void
test_crash_at_eject(void **state)
{
	crash_while_printing(PBF_EJECT);
}

static void
test_crash_at_reject(void **state)
{
	static struct station s;

	/* a failed print sends the card to the reject box; cetakd dies as the
	 * reject starts (the first reject clears the printer path at start-up):
	 * the reject is done again, the spoil recorded once with its cause, and
	 * the job made on a new blank */
	pb_fake_push(PRN_A, PBF_PRINT, PB_FAIL, 0, "print head error", 0);
	crash_at(PBF_REJECT, 2, 0);
	open_station(&s, 1, NULL);
	assert_true(run_until(&s, done_is, 1, 30000));
	assert_true(pb_fake_count(PRN_A, PBF_REJECT) >= 1);
	struct ledger_balance b = balance(&s);
	assert_int_equal(b.issued, 1);
	assert_int_equal(b.spoiled, 1);
	assert_int_equal(b.by_cause[CAUSE_GAGAL_CETAK], 1);
	close_station(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_and_mute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hung_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_card_in_hand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unresolved_takes_no_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_at_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_at_encode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_at_print, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_at_eject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_at_reject, setup, teardown),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
