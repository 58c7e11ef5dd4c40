// Tesseract's C API and Leptonica's image functions (Debian: libtesseract-dev,
// libleptonica-dev). Tome's OCR uses the C API only: one TessBaseAPI per worker.
#include <tesseract/capi.h>
#include <leptonica/allheaders.h>
