// The system zlib (Debian: zlib1g-dev), for the deflate stream of compact model bundles.
#include <zlib.h>
