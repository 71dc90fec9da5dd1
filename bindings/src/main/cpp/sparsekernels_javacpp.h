/*
 * Helpers for the JavaCPP binding only (not part of the C ABI). JavaCPP passes a direct ByteBuffer argument as
 * its native address, so returning that address gives NativeKernels.addressOf on Java 17 without JavaCPP's
 * Pointer natives (libjnijavacpp).
 */
#ifndef SPARSEKERNELS_JAVACPP_H
#define SPARSEKERNELS_JAVACPP_H

#include <jni.h>
#include <stdint.h>

static inline jlong skj_address(void* p) { return (jlong)(intptr_t)p; }

#endif
