# cmake -DINPUT=file -DOUTPUT=file.cpp -DSYMBOL=name -P embed_file.cmake: a C++ source holding the
# input's bytes as `extern const unsigned char <SYMBOL>[]` and `extern const size_t <SYMBOL>Size`
# in namespace ganvas::serve (the studio page, built into the binary: no files to install).
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
     "// Generated from ${INPUT} by cmake/embed_file.cmake; do not edit.\n#include <cstddef>\n\n"
     "namespace ganvas::serve {\nextern const unsigned char ${SYMBOL}[] = {${bytes}};\n"
     "extern const size_t ${SYMBOL}Size = sizeof(${SYMBOL});\n}  // namespace ganvas::serve\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
