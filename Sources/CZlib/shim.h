#ifndef TOME_CZLIB_SHIM_H
#define TOME_CZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2` is a macro in C; Swift needs a function.
static inline int tome_inflate_init2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

#endif
