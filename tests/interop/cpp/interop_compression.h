// Whether the last message a call received came compressed: what the
// CompressedRequest and CompressedResponse checks of the interop
// descriptions need. The gRPC C++ API does not say; grpc/grpc's own interop
// programs (test/cpp/interop, InteropServerContextInspector and
// InteropClientContextInspector) ask grpc core's test-only accessor, which
// Debian's libgrpc exports (with C++ linkage), and so do we.
#ifndef CRPC_INTEROP_CPP_COMPRESSION_H
#define CRPC_INTEROP_CPP_COMPRESSION_H

#include <cstdint>

#include <grpc/grpc.h>

// src/core/lib/surface/call_test_only.h
uint32_t grpc_call_test_only_get_message_flags(grpc_call* call);

namespace interop {

// Flags of grpc core (src/core/lib/transport/transport.h): the message's
// compressed flag was set (GRPC_WRITE_INTERNAL_COMPRESS, while still
// compressed), or the decompression filter undid a compression
// (GRPC_WRITE_INTERNAL_TEST_ONLY_WAS_COMPRESSED, what 1.51 leaves).
constexpr uint32_t kInternalCompress = 0x80000000u;
constexpr uint32_t kInternalTestOnlyWasCompressed = 0x40000000u;

inline bool LastMessageCompressed(grpc_call* call) {
  return (grpc_call_test_only_get_message_flags(call) &
          (kInternalCompress | kInternalTestOnlyWasCompressed)) != 0;
}

}  // namespace interop

#endif
