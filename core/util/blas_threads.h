// SPDX-License-Identifier: GPL-3.0-or-later
// OpenBLAS's thread pool, kept out of LibTorch's way. Debian's LibTorch calls the system BLAS
// (OpenBLAS through libblas.so.3, libopenblas0-pthread) for matrix products and for the
// convolutions it lowers to them (1x1 kernels, im2col), often from inside its own OpenMP
// parallel loops. OpenBLAS's pthread build keeps a second pool of one thread per core that
// cannot see OpenMP's: both pools then contend for the same cores, and OpenMP's workers spin
// while OpenBLAS's yield (perf of a training step: a third of the time in sched_yield and
// OpenBLAS's dispatch). With OpenBLAS on the calling thread, as PyTorch's own builds arrange
// with MKL sharing the OpenMP pool, this 2-core machine trained 18-20 -> 25-33 images/s and
// sampled DDIM 0.31 -> 0.21 s/image; FID was unchanged.
#pragma once

namespace ds {

// OpenBLAS's thread count, or 0 when the BLAS in use is not OpenBLAS.
int openBlasThreads();

// Runs OpenBLAS on the calling thread only (one thread), unless the user chose its thread count
// (OPENBLAS_NUM_THREADS or GOTO_NUM_THREADS in the environment) or the BLAS is not OpenBLAS.
// Returns whether it changed anything.
bool keepBlasOnCallingThread();

}  // namespace ds
