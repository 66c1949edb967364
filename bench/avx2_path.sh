# The AVX2 path, one definition for the benchmark scripts that source this file: oneDNN held to
# AVX2, OpenBLAS on its Haswell kernels (for the peers and for ganvas's own choice). ganvas's own
# kernels are forced with the benchmarks' --isa avx2. Stops when the CPU has no AVX2 + FMA.
# Defines avx2_env, an `env ...` prefix for one command.
grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo || { echo "this CPU has no AVX2 + FMA" >&2; exit 2; }
avx2_env=(env ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell GANVAS_OPENBLAS_CORETYPE=Haswell)
