#include "shared/result.h"

#include <cstdio>
#include <cstdlib>

namespace tributary {

void assertion_failed(const char* expr, const char* file, int line, const char* what) {
    std::fprintf(stderr, "level=fatal event=assertion_failed expr=\"%s\" at=%s:%d what=\"%s\"\n",
                 expr, file, line, what);
    std::fflush(stderr);
    std::abort();
}

}  // namespace tributary
