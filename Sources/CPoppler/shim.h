#ifndef TOME_CPOPPLER_SHIM_H
#define TOME_CPOPPLER_SHIM_H
#include <poppler.h>
#include <glib.h>

/// The GError domain of poppler's own errors (a macro in C, so Swift cannot see it).
static inline GQuark tome_poppler_error_domain(void) { return POPPLER_ERROR; }

#endif
