// Process-wide settings every ganvas program makes first, before any thread starts: the library's
// own `main` prologue, so that the CLI, the server, the benchmarks and the tests run alike.
#pragma once

namespace ganvas {

// OpenBLAS picks its kernel when the library loads, before main; the only way to correct it from
// inside the program is to set OPENBLAS_CORETYPE and start again. The CPU's features decide, even
// over an inherited OPENBLAS_CORETYPE (machines are seen with a slower "Haswell" preset on
// AVX-512 CPUs); GANVAS_OPENBLAS_CORETYPE forces a choice.
//
// The same restart sets glibc's malloc to keep freed memory instead of unmapping every large
// block: LibTorch allocates each activation with malloc, and by default every tensor above the
// (dynamic) mmap threshold is mapped on allocation and unmapped on free, so every step pays page
// faults on fresh pages (3x on PiDiNet edge maps, docs/RESULTS.md). Settings already in the
// environment are kept.
//
// When something has to change, the process re-executes itself (/proc/self/exe with `argv`) once
// and does not return; otherwise, or when re-executing fails, it returns and the program carries on.
void init_process(char** argv);

}  // namespace ganvas
