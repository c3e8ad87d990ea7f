// glibc's heap statistics (mallinfo2), which Swift's Glibc module leaves out: what loading a
// model costs in memory.
#include <malloc.h>
