/*
 * pb_fake.h - a printer backend that a test scripts step by step.
 *
 * Not in cetakd: tests register it (pb_register(&pb_fake_ops)) and name it
 * in a line (printer = "fake"; usb_device = "VVVV:PPPP" names the printer).
 * Each operation takes the next step scripted for its printer and kind of
 * operation, or answers ok when none is: a class (ok, retry, hold, stop,
 * fail, unknown) with reasons and a message, after a delay (a long delay is
 * a hung printer). It counts what it was asked. Thread-safe: the workers
 * call it while the test scripts.
 */
#ifndef CETAK_PB_FAKE_H
#define CETAK_PB_FAKE_H

#include "pb.h"

enum pb_fake_op {
	PBF_STATUS,
	PBF_TO_ENCODER,
	PBF_PRINT,
	PBF_EJECT,
	PBF_REJECT,
	PBF_COUNTER,
	PBF_OPS
};

extern const struct pb_ops pb_fake_ops;

/* Forget every script and count. */
void pb_fake_reset(void);
/* Script the next op of printer device: class, reasons, message, delay. 0 or -ENOSPC. */
int pb_fake_push(const char *device, enum pb_fake_op op, enum pb_class cls, unsigned reasons,
		 const char *message, int delay_ms);
/* How many times printer device was asked op. */
int pb_fake_count(const char *device, enum pb_fake_op op);
/*
 * Call fn at the start of every operation, on the worker's thread, before
 * its scripted answer (count: this op's number on this printer, from 1):
 * a test puts the next blank on its reader when a card is fed, or ends the
 * process at a chosen step to test crash recovery. NULL stops it.
 */
void pb_fake_on_op(void (*fn)(void *arg, const char *device, enum pb_fake_op op, int count),
		   void *arg);
/* The printer's counter (cards printed), as the counter op reports it. */
long pb_fake_printed(const char *device);

#endif
