/*
 * pb.h - printer backends: one const table of operations per kind of
 * printer, selected by name per line ("cups", "usb").
 *
 * Contract of every operation: it returns an outcome class and fills
 * struct pb_status with the operator-visible reasons (bits) and a message.
 * Classes: OK (done), RETRY (transient: try again later, nothing happened to
 * the card), HOLD (waiting for a person, e.g. a desk reader), STOP (the
 * printer needs an operator: the line stops with the reasons), FAIL (this
 * card failed: reject it), UNKNOWN (the card may or may not have been
 * printed or ejected: a timeout after the job was submitted, the connection
 * lost while printing, a cancel the printer did not confirm, a printer that
 * fell silent mid-card; the engine holds the job for a person and never
 * prints it again by itself). Library error codes (ipp_status_t,
 * LIBUSB_ERROR_*) are translated inside the backend and nowhere else.
 * Every operation has a timeout.
 */
#ifndef CETAK_PB_H
#define CETAK_PB_H

#include <stddef.h>

enum pb_class { PB_OK, PB_RETRY, PB_HOLD, PB_STOP, PB_FAIL, PB_UNKNOWN };

enum pb_reason {
	PB_R_OFFLINE = 1 << 0,
	PB_R_DOOR_OPEN = 1 << 1,
	PB_R_JAM = 1 << 2,
	PB_R_HOPPER_EMPTY = 1 << 3,
	PB_R_REJECT_FULL = 1 << 4,
	PB_R_RIBBON_LOW = 1 << 5,
	PB_R_RIBBON_OUT = 1 << 6,
	PB_R_COOLING = 1 << 7,
	PB_R_STOPPED = 1 << 8, /* the queue or printer was stopped */
};

struct pb_status {
	unsigned reasons;
	int ribbon_percent; /* -1 unknown */
	int ribbon_left;    /* prints left on the ribbon, -1 unknown */
	char message[256];
};

/* What to print: a PDF for CUPS, raw panels for direct printers. */
struct pb_face {
	const char *job_id;
	const void *pdf;
	size_t pdf_len;
	const unsigned char *panels; /* face.h struct face_panels data, or NULL */
};

struct pb_config {
	const char *queue;  /* cups */
	const char *server; /* cups: socket path or host; "" = libcups default */
	const char *device; /* usb: VVVV:PPPP */
	const char *serial; /* usb */
	int timeout_ms;	    /* per operation */
};

/* How a backend takes the face (printer/face.h renders both). */
enum pb_face_kind {
	PB_FACE_PDF,	/* a PDF page (CUPS) */
	PB_FACE_PANELS, /* raw YMCK panels (direct printers) */
};

#define PB_CAP_ENCODER 1 /* can move the card to its encoder station */
#define PB_CAP_REJECT 2	 /* can divert a card to a reject box */

struct pb_ops {
	const char *name;
	unsigned caps;
	enum pb_face_kind face;
	/* Make a handle (no I/O yet). 0 or -errno. */
	int (*open)(const struct pb_config *cfg, void **ret_handle);
	enum pb_class (*status)(void *h, struct pb_status *st);
	enum pb_class (*to_encoder)(void *h, struct pb_status *st); /* PB_CAP_ENCODER */
	enum pb_class (*print)(void *h, const struct pb_face *face, struct pb_status *st);
	enum pb_class (*eject)(void *h, struct pb_status *st);
	enum pb_class (*reject)(void *h, struct pb_status *st); /* PB_CAP_REJECT */
	/* The printer's own total of cards printed; NULL when it has none. */
	enum pb_class (*counter)(void *h, long *ret_count, struct pb_status *st);
	void (*close)(void *h); /* NULL is fine */
};

/* Reset st: no reasons, levels unknown, no message. */
void pb_status_clear(struct pb_status *st);

/* The backend called name, or NULL. Lines choose their printer by name. */
const struct pb_ops *pb_find(const char *name);
/* Add a backend to those pb_find knows (a test's scripted fake). 0 or -ENOSPC. */
int pb_register(const struct pb_ops *ops);
/* The known names, "cups, usb", into buf. */
const char *pb_names(char *buf, size_t len);
const char *pb_class_name(enum pb_class c);
/* "ribbon low, door open" into buf; "" when no reasons. */
const char *pb_reasons_text(unsigned reasons, char *buf, size_t len);

/*
 * Translate IPP printer-state-reasons keywords (with or without the
 * -error/-warning/-report suffix) and printer-state (3 idle, 4 processing,
 * 5 stopped) into reasons and a class. Pure; the CUPS backend uses it and a
 * fuzz target feeds it.
 */
enum pb_class pb_ipp_reasons(const char *const *keywords, int n, int printer_state,
			     unsigned *ret_reasons);

/*
 * Translate one reply of an Evolis-style printer ("OK", "ERR JAM", ...) into
 * reasons and a class. Pure; the usb backend uses it and a fuzz target feeds it.
 */
enum pb_class pb_esc_reply(const char *reply, unsigned *ret_reasons);

/*
 * Read the printer's card counter reply ("1234"): 0 and the count, or -1 for
 * anything but a plain non-negative decimal number. Pure; fuzzed.
 */
int pb_count_reply(const char *reply, long *ret_count);

extern const struct pb_ops pb_cups_ops;
extern const struct pb_ops pb_usb_ops;

#endif
