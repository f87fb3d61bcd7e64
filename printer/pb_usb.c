/*
 * pb_usb.c - drive an Evolis-style card printer directly over USB (libusb).
 *
 * Commands are ESC text CR frames on the bulk OUT endpoint; each is answered
 * with text CR on bulk IN (docs/printers.md lists them and their source).
 * The device is opened lazily on the first operation (found by
 * vendor:product and, when configured, serial), its printer interface
 * claimed (a kernel usblp driver detached), and configured for the host to
 * handle errors (Pem;2) and to keep a printed card inside (Pneab;E) until
 * the host ejects or rejects it. Known quirks: the ribbon count may answer a
 * bogus "OK" (asked again, at most three times); a printer that stops
 * answering is reset and reopened, and reported offline. LIBUSB_ERROR_* codes
 * are translated here only.
 */
#define _GNU_SOURCE
#include "pb.h"

#include <errno.h>
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PANEL_BYTES (1016 * 648)

struct usb_pb {
	libusb_context *ctx;
	libusb_device_handle *h;
	unsigned vid, pid;
	char serial[128];
	int timeout_ms;
	uint8_t ep_out, ep_in;
	int iface;
};

static int
usb_open(const struct pb_config *cfg, void **ret)
{
	struct usb_pb *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	if (!cfg->device || sscanf(cfg->device, "%4x:%4x", &u->vid, &u->pid) != 2) {
		free(u);
		return -EINVAL;
	}
	snprintf(u->serial, sizeof(u->serial), "%s", cfg->serial ? cfg->serial : "");
	u->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000;
	*ret = u;
	return 0;
}

static void
usb_disconnect(struct usb_pb *u)
{
	if (u->h) {
		libusb_release_interface(u->h, u->iface);
		libusb_close(u->h);
		u->h = NULL;
	}
}

static void
usb_close(void *h)
{
	struct usb_pb *u = h;

	if (!u)
		return;
	usb_disconnect(u);
	if (u->ctx)
		libusb_exit(u->ctx);
	free(u);
}

/* Find the printer interface's bulk endpoints. */
static int
find_endpoints(struct usb_pb *u, libusb_device *dev)
{
	struct libusb_config_descriptor *cfg;
	int found = 0;

	if (libusb_get_active_config_descriptor(dev, &cfg) != 0)
		return 0;
	for (int i = 0; i < cfg->bNumInterfaces && !found; i++) {
		const struct libusb_interface_descriptor *d = &cfg->interface[i].altsetting[0];
		if (d->bInterfaceClass != LIBUSB_CLASS_PRINTER)
			continue;
		u->iface = d->bInterfaceNumber;
		u->ep_out = u->ep_in = 0;
		for (int e = 0; e < d->bNumEndpoints; e++) {
			const struct libusb_endpoint_descriptor *ep = &d->endpoint[e];
			if ((ep->bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK)
				continue;
			if (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN)
				u->ep_in = ep->bEndpointAddress;
			else
				u->ep_out = ep->bEndpointAddress;
		}
		found = u->ep_in && u->ep_out;
	}
	libusb_free_config_descriptor(cfg);
	return found;
}

static int cmd(struct usb_pb *u, const char *c, char *reply, size_t len);

/* Open the device if it is not open; 0, or -ENODEV with the reason in st. */
static int
ensure_open(struct usb_pb *u, struct pb_status *st)
{
	libusb_device **list;
	ssize_t n;
	char r[64];

	if (u->h)
		return 0;
	if (!u->ctx && libusb_init(&u->ctx) != 0) {
		snprintf(st->message, sizeof(st->message), "libusb cannot start");
		return -ENODEV;
	}
	n = libusb_get_device_list(u->ctx, &list);
	for (ssize_t i = 0; i < n && !u->h; i++) {
		struct libusb_device_descriptor d;
		libusb_device_handle *h;
		if (libusb_get_device_descriptor(list[i], &d) != 0 || d.idVendor != u->vid ||
		    d.idProduct != u->pid || !find_endpoints(u, list[i]) ||
		    libusb_open(list[i], &h) != 0)
			continue;
		if (u->serial[0]) {
			unsigned char sn[128] = "";
			if (libusb_get_string_descriptor_ascii(h, d.iSerialNumber, sn, sizeof(sn)) <
				    0 ||
			    strcmp((char *)sn, u->serial) != 0) {
				libusb_close(h);
				continue;
			}
		}
		if (libusb_kernel_driver_active(h, u->iface) == 1)
			libusb_detach_kernel_driver(h, u->iface);
		if (libusb_claim_interface(h, u->iface) != 0) {
			libusb_close(h);
			continue;
		}
		u->h = h;
	}
	if (n >= 0)
		libusb_free_device_list(list, 1);
	if (!u->h) {
		snprintf(st->message, sizeof(st->message), "no printer %04x:%04x%s%s on USB",
			 u->vid, u->pid, u->serial[0] ? " with serial " : "", u->serial);
		return -ENODEV;
	}
	/* the host decides about errors; a printed card stays inside until we eject it */
	if (cmd(u, "Pem;2", r, sizeof(r)) < 0 || cmd(u, "Pneab;E", r, sizeof(r)) < 0) {
		usb_disconnect(u);
		snprintf(st->message, sizeof(st->message), "the printer does not answer");
		return -ENODEV;
	}
	return 0;
}

/* Send raw bytes on bulk OUT. 0 or -EIO/-ETIMEDOUT. */
static int
send_all(struct usb_pb *u, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		int chunk = len > 65536 ? 65536 : (int)len, done = 0;
		int r = libusb_bulk_transfer(u->h, u->ep_out, (unsigned char *)p, chunk, &done,
					     (unsigned)u->timeout_ms);
		if (r == LIBUSB_ERROR_TIMEOUT)
			return -ETIMEDOUT;
		if (r != 0 || done <= 0)
			return -EIO;
		p += done;
		len -= (size_t)done;
	}
	return 0;
}

/* Read one CR-terminated reply. */
static int
read_reply(struct usb_pb *u, char *reply, size_t len)
{
	size_t have = 0;

	while (have + 1 < len) {
		unsigned char buf[512];
		int done = 0;
		int r = libusb_bulk_transfer(u->h, u->ep_in, buf, sizeof(buf), &done,
					     (unsigned)u->timeout_ms);
		if (r == LIBUSB_ERROR_TIMEOUT)
			return -ETIMEDOUT;
		if (r != 0)
			return -EIO;
		for (int i = 0; i < done; i++) {
			if (buf[i] == '\r') {
				reply[have] = '\0';
				return 0;
			}
			if (have + 1 < len)
				reply[have++] = (char)buf[i];
		}
	}
	reply[len - 1] = '\0';
	return 0;
}

/* One ESC command and its reply. A printer that does not answer is reset and
 * closed (reopened by the next operation): -ETIMEDOUT. */
static int
cmd(struct usb_pb *u, const char *c, char *reply, size_t len)
{
	char frame[256];
	int n = snprintf(frame, sizeof(frame), "\033%s\r", c), r;

	r = send_all(u, frame, (size_t)n);
	if (r == 0)
		r = read_reply(u, reply, len);
	if (r < 0) {
		libusb_reset_device(u->h);
		usb_disconnect(u);
	}
	return r;
}

/* Run one command for an operation; translate the reply or the silence.
 * silent: the class when the printer stops answering; UNKNOWN for a command
 * that moves a printed card or prints it (the card may or may not be done). */
static enum pb_class
op_or(struct usb_pb *u, const char *c, enum pb_class silent, struct pb_status *st)
{
	char reply[128];
	unsigned reasons = 0;

	if (ensure_open(u, st) < 0) {
		st->reasons |= PB_R_OFFLINE;
		return PB_RETRY;
	}
	if (cmd(u, c, reply, sizeof(reply)) < 0) {
		st->reasons |= PB_R_OFFLINE;
		snprintf(st->message, sizeof(st->message),
			 "the printer stopped answering (%s)%s; "
			 "it was reset and will be reopened",
			 c, silent == PB_UNKNOWN ? ", the card's state is unknown" : "");
		return silent;
	}
	enum pb_class cls = pb_esc_reply(reply, &reasons);
	st->reasons |= reasons;
	if (cls != PB_OK)
		snprintf(st->message, sizeof(st->message), "%s: %s", c, reply);
	return cls;
}

static enum pb_class
op(struct usb_pb *u, const char *c, struct pb_status *st)
{
	return op_or(u, c, PB_FAIL, st);
}

static enum pb_class
usb_status(void *h, struct pb_status *st)
{
	struct usb_pb *u = h;
	char reply[128];
	enum pb_class cls = PB_OK;

	pb_status_clear(st);
	if (ensure_open(u, st) < 0) {
		st->reasons |= PB_R_OFFLINE;
		return PB_RETRY;
	}
	if (cmd(u, "Rst", reply, sizeof(reply)) < 0)
		goto silent;
	if (!strcmp(reply, "COVER OPEN")) {
		st->reasons |= PB_R_DOOR_OPEN;
		cls = PB_STOP;
	} else if (!strcmp(reply, "COOLING")) {
		st->reasons |= PB_R_COOLING;
		cls = PB_RETRY;
	}
	if (cmd(u, "Rse;f", reply, sizeof(reply)) < 0)
		goto silent;
	if (!strcmp(reply, "EMPTY")) {
		st->reasons |= PB_R_HOPPER_EMPTY;
		cls = PB_STOP;
	}
	/* the ribbon count sometimes answers a bogus "OK": ask again */
	for (int i = 0; i < 3; i++) {
		if (cmd(u, "Rrt;count", reply, sizeof(reply)) < 0)
			goto silent;
		if (strcmp(reply, "OK") != 0)
			break;
	}
	char *end;
	long left = strtol(reply, &end, 10);
	if (*end == '\0' && end != reply && left >= 0) {
		st->ribbon_left = (int)left;
		if (left == 0) {
			st->reasons |= PB_R_RIBBON_OUT;
			cls = PB_STOP;
		} else if (left <= 10) {
			st->reasons |= PB_R_RIBBON_LOW;
		}
	}
	return cls;
silent:
	st->reasons |= PB_R_OFFLINE;
	snprintf(st->message, sizeof(st->message),
		 "the printer stopped answering; it was reset "
		 "and will be reopened");
	return PB_RETRY;
}

static enum pb_class
usb_to_encoder(void *h, struct pb_status *st)
{
	pb_status_clear(st);
	return op(h, "Sis", st);
}

static enum pb_class
usb_print(void *h, const struct pb_face *face, struct pb_status *st)
{
	struct usb_pb *u = h;
	static const char panels[] = "ymcko";
	enum pb_class cls;
	char hdr[64], reply[64];

	pb_status_clear(st);
	if (!face->panels) {
		snprintf(st->message, sizeof(st->message), "no panels to print");
		return PB_FAIL;
	}
	if ((cls = op(u, "Si", st)) != PB_OK || (cls = op(u, "Ss", st)) != PB_OK)
		return cls;
	for (int i = 0; i < 5; i++) {
		int n = snprintf(hdr, sizeof(hdr), "\033Db;%c;%d;", panels[i], PANEL_BYTES);
		if (send_all(u, hdr, (size_t)n) < 0 ||
		    send_all(u, face->panels + (size_t)i * PANEL_BYTES, PANEL_BYTES) < 0 ||
		    send_all(u, "\r", 1) < 0 || read_reply(u, reply, sizeof(reply)) < 0) {
			libusb_reset_device(u->h);
			usb_disconnect(u);
			st->reasons |= PB_R_OFFLINE;
			snprintf(st->message, sizeof(st->message),
				 "the printer stopped answering "
				 "during the download");
			return PB_FAIL;
		}
		unsigned r;
		if ((cls = pb_esc_reply(reply, &r)) != PB_OK) {
			st->reasons |= r;
			snprintf(st->message, sizeof(st->message), "panel %c: %s", panels[i],
				 reply);
			return cls;
		}
	}
	return op_or(u, "Se", PB_UNKNOWN, st); /* prints; Pneab;E keeps the card inside */
}

static enum pb_class
usb_eject(void *h, struct pb_status *st)
{
	enum pb_class cls;

	pb_status_clear(st);
	if ((cls = op_or(h, "Pcrm;N", PB_UNKNOWN, st)) != PB_OK)
		return cls;
	return op_or(h, "Seo", PB_UNKNOWN, st);
}

static enum pb_class
usb_reject(void *h, struct pb_status *st)
{
	enum pb_class cls;

	pb_status_clear(st);
	if ((cls = op(h, "Pcrm;D", st)) != PB_OK)
		return cls;
	return op(h, "Seo", st);
}

static enum pb_class
usb_counter(void *h, long *ret_count, struct pb_status *st)
{
	struct usb_pb *u = h;
	char reply[64];

	pb_status_clear(st);
	*ret_count = -1;
	if (ensure_open(u, st) < 0 || cmd(u, "Rco;p", reply, sizeof(reply)) < 0) {
		st->reasons |= PB_R_OFFLINE;
		return PB_RETRY;
	}
	if (pb_count_reply(reply, ret_count) < 0) {
		*ret_count = -1;
		snprintf(st->message, sizeof(st->message), "Rco;p: %.60s", reply);
		return PB_FAIL;
	}
	return PB_OK;
}

const struct pb_ops pb_usb_ops = {
	.name = "usb",
	.caps = PB_CAP_ENCODER | PB_CAP_REJECT,
	.face = PB_FACE_PANELS,
	.open = usb_open,
	.status = usb_status,
	.to_encoder = usb_to_encoder,
	.print = usb_print,
	.eject = usb_eject,
	.reject = usb_reject,
	.counter = usb_counter,
	.close = usb_close,
};
