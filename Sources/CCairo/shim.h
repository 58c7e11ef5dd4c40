#ifndef TOME_CCAIRO_SHIM_H
#define TOME_CCAIRO_SHIM_H
#include <cairo.h>
#include <cairo-pdf.h>
#endif
