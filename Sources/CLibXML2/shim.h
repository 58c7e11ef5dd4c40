#ifndef TOME_CLIBXML2_SHIM_H
#define TOME_CLIBXML2_SHIM_H
// Debian's libxml2 is built with ICU; its headers would pull in the system ICU,
// which clashes with the ICU module Foundation carries. Tome never uses
// libxml2's ICU entry points, so hide them (BUILD-NOTES pitfall 1).
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlmemory.h>

/// `xmlFree` is a global function-pointer variable, which Swift 6 rejects as
/// not concurrency-safe; call it through a function instead.
static inline void tome_xml_free(void *p) { xmlFree(p); }

#endif
