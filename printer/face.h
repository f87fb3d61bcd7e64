/*
 * face.h - the card face, rendered from a job by a layout that is data.
 *
 * Text is shaped and wrapped by pango, drawn by cairo; the photo is decoded
 * by libjpeg, the signature by cairo's PNG reader. Outputs: a PDF (vector
 * text, the photo embedded as JPEG) for CUPS; a 300 dpi raster (1016 x 648,
 * the Evolis buffer) for previews and raw printers, split into the YMCKO
 * panels a ribbon prints. Text that does not fit its box, even shrunk to the
 * layout's minimum size, is an error (face_check), never a truncated card.
 */
#ifndef CETAK_FACE_H
#define CETAK_FACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FACE_PX_W 1016
#define FACE_PX_H 648

struct face_layout;
struct job; /* jobs/job.h: the validated job, parsed once */

/*
 * Load a layout (libconfig). Its value templates are checked against the
 * fields a job has (jobs/job.h), so a misspelt "@holder.nmae" fails here and
 * not on a citizen's card. Errors as "FILE:LINE: what" on errs. 0 or -EINVAL.
 */
int face_layout_load(const char *path, FILE *errs, struct face_layout **ret);
/* Drop a reference (the last one frees). NULL is fine. */
void face_layout_free(struct face_layout *l);
/* One more reference, for a thread that renders while a reload replaces it. */
struct face_layout *face_layout_ref(struct face_layout *l);

/* Does every text of the job fit? 0, or -EINVAL with "Nama: 3 lines at 4.8 pt, 2 fit". */
int face_check(const struct face_layout *l, const struct job *job, char *why, size_t len);

/* Render to a PDF or PNG file. 0 or -errno/-EINVAL with a reason. */
int face_render_pdf(const struct face_layout *l, const struct job *job, const char *path, char *why,
		    size_t len);
int face_render_png(const struct face_layout *l, const struct job *job, const char *path, char *why,
		    size_t len);

/*
 * YMCKO panels at 1016 x 648, one byte per pixel each, 255 = full ink.
 * Y, M, C from the colour layer (background, photo, signature), K from the
 * text and rules only, O everywhere except the keep-out area. Caller frees
 * panels->data.
 */
struct face_panels {
	uint8_t *data; /* 5 planes of FACE_PX_W * FACE_PX_H: Y, M, C, K, O */
};
int face_render_panels(const struct face_layout *l, const struct job *job, struct face_panels *ret,
		       char *why, size_t len);

#endif
