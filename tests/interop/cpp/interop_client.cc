// gRPC interop test client on gRPC C++.
//
// A reference peer for crpc's interop server; see doc/interop.md. Runs the
// cases of grpc/grpc doc/interop-test-descriptions.md (auth cases excepted)
// plus crpc's own crpc_* cases, as python/interop_client.py does, printing
// "PASS name" or "FAIL name: reason" per case; exits 1 if any failed. Unlike
// the grpcio and grpc-js clients, this one checks the compressed flag of the
// replies in server_compressed_* (interop_compression.h).
//
// Built by tests/interop/cpp/build.sh against Debian's libgrpc++-dev.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "grpc/testing/test.grpc.pb.h"

#include "interop_flags.h"
#include "interop_compression.h"

using grpc::ClientContext;
using grpc::Status;
using grpc::StatusCode;
using grpc::testing::Empty;
using grpc::testing::Payload;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;
using grpc::testing::TestService;
using grpc::testing::UnimplementedService;

namespace {

// Every RPC gets a deadline so that a broken peer fails a case, not hangs it.
const int kTimeoutS = 20;

const char kEchoInitialKey[] = "x-grpc-test-echo-initial";
const char kEchoTrailingKey[] = "x-grpc-test-echo-trailing-bin";

const char kSpecialMessage[] =
    "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba "
    "and non-BMP \xf0\x9f\x98\x88\t\n";

struct CaseFailed : std::runtime_error {
  explicit CaseFailed(const std::string& reason) : std::runtime_error(reason) {}
};

void Check(bool condition, const std::string& reason) {
  if (!condition) throw CaseFailed(reason);
}

const char* CodeName(int code) {
  static const char* const names[] = {
      "OK",        "CANCELLED",          "UNKNOWN",
      "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  if (code >= 0 && code <= 16) return names[code];
  return "(unknown code)";
}

// A string for a reason: printable ASCII as is, the rest escaped.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

// A failed RPC that a case did not expect.
struct RpcFailed : std::runtime_error {
  explicit RpcFailed(const Status& s)
      : std::runtime_error(std::string("status ") +
                           CodeName(s.error_code()) + ": " +
                           s.error_message()) {}
};

void CheckOk(const Status& status) {
  if (!status.ok()) throw RpcFailed(status);
}

void ExpectStatus(const Status& status, StatusCode code,
                  const std::string* message = nullptr) {
  Check(status.error_code() == code,
        std::string("status ") + CodeName(status.error_code()) + " (" +
            Quote(status.error_message()) + "), want " + CodeName(code));
  if (message) {
    Check(status.error_message() == *message,
          "status message " + Quote(status.error_message()) + ", want " +
              Quote(*message));
  }
}

void SetDeadline(ClientContext* context,
                 std::chrono::milliseconds ms = std::chrono::seconds(kTimeoutS)) {
  context->set_deadline(std::chrono::system_clock::now() + ms);
}

void Zeros(Payload* payload, int size) {
  payload->set_type(grpc::testing::COMPRESSABLE);
  payload->set_body(std::string(static_cast<size_t>(size), '\0'));
}

void CheckZeros(const Payload& payload, int size,
                const std::string& what = "reply") {
  const std::string& body = payload.body();
  Check(body.size() == static_cast<size_t>(size),
        what + " payload is " + std::to_string(body.size()) +
            " bytes, want " + std::to_string(size));
  Check(body == std::string(body.size(), '\0'),
        what + " payload is not all zeros");
}

StreamingOutputCallRequest StreamingRequest(int response_size,
                                            int request_size) {
  StreamingOutputCallRequest request;
  request.set_response_type(grpc::testing::COMPRESSABLE);
  request.add_response_parameters()->set_size(response_size);
  Zeros(request.mutable_payload(), request_size);
  return request;
}

std::string ToHex(const std::string& s) {
  std::string out;
  char buf[3];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

// The only value of key in metadata, or a failure.
std::string OnlyValue(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    const std::string& key, const std::string& where) {
  auto range = metadata.equal_range(key);
  int n = 0;
  std::string value;
  for (auto it = range.first; it != range.second; ++it, ++n) {
    value.assign(it->second.data(), it->second.size());
  }
  Check(n == 1, where + " metadata " + key + ": " + std::to_string(n) +
                    " values, want 1");
  return value;
}

void CheckEchoed(const ClientContext& context, const std::string& initial,
                 const std::string& trailing) {
  std::string got = OnlyValue(context.GetServerInitialMetadata(),
                              kEchoInitialKey, "initial");
  Check(got == initial, std::string("initial metadata ") + kEchoInitialKey +
                            " = " + Quote(got) + ", want " + Quote(initial));
  got = OnlyValue(context.GetServerTrailingMetadata(), kEchoTrailingKey,
                  "trailing");
  Check(got == trailing, std::string("trailing metadata ") + kEchoTrailingKey +
                             " = " + ToHex(got) + " (hex), want " +
                             ToHex(trailing));
}

struct Stubs {
  std::unique_ptr<TestService::Stub> test;
  std::unique_ptr<UnimplementedService::Stub> unimplemented;
};

void EmptyUnary(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  Empty reply;
  CheckOk(s.test->EmptyCall(&context, Empty(), &reply));
  Check(reply.ByteSizeLong() == 0, "reply is not empty");
}

// One UnaryCall sending |request_size| zero bytes, asking for |reply_size|.
void UnaryOfSize(Stubs& s, int request_size, int reply_size) {
  ClientContext context;
  SetDeadline(&context);
  SimpleRequest request;
  request.set_response_type(grpc::testing::COMPRESSABLE);
  request.set_response_size(reply_size);
  Zeros(request.mutable_payload(), request_size);
  SimpleResponse reply;
  CheckOk(s.test->UnaryCall(&context, request, &reply));
  CheckZeros(reply.payload(), reply_size);
}

void LargeUnary(Stubs& s) { UnaryOfSize(s, 271828, 314159); }

// 1 MiB each way: more than one HTTP/2 window's worth of DATA frames.
void CrpcLargeUnary1M(Stubs& s) { UnaryOfSize(s, 1 << 20, 1 << 20); }

void ClientStreaming(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  StreamingInputCallResponse reply;
  auto stream = s.test->StreamingInputCall(&context, &reply);
  for (int n : {27182, 8, 1828, 45904}) {
    StreamingInputCallRequest request;
    Zeros(request.mutable_payload(), n);
    if (!stream->Write(request)) break;  // Finish tells why
  }
  stream->WritesDone();
  CheckOk(stream->Finish());
  Check(reply.aggregated_payload_size() == 74922,
        "aggregated_payload_size " +
            std::to_string(reply.aggregated_payload_size()) +
            ", want 74922");
}

void ServerStreaming(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  const std::vector<int> sizes = {31415, 9, 2653, 58979};
  StreamingOutputCallRequest request;
  request.set_response_type(grpc::testing::COMPRESSABLE);
  for (int n : sizes) request.add_response_parameters()->set_size(n);
  auto stream = s.test->StreamingOutputCall(&context, request);
  std::vector<StreamingOutputCallResponse> replies;
  StreamingOutputCallResponse reply;
  while (stream->Read(&reply)) replies.push_back(reply);
  CheckOk(stream->Finish());
  Check(replies.size() == sizes.size(),
        std::to_string(replies.size()) + " replies, want " +
            std::to_string(sizes.size()));
  for (size_t i = 0; i < sizes.size(); i++) {
    CheckZeros(replies[i].payload(), sizes[i], "reply " + std::to_string(i));
  }
}

void PingPong(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  const std::pair<int, int> pairs[] = {
      {31415, 27182}, {9, 8}, {2653, 1828}, {58979, 45904}};
  auto stream = s.test->FullDuplexCall(&context);
  int i = 0;
  for (const auto& p : pairs) {
    StreamingOutputCallResponse reply;
    if (!stream->Write(StreamingRequest(p.first, p.second)) ||
        !stream->Read(&reply)) {
      stream->WritesDone();
      CheckOk(stream->Finish());
      throw CaseFailed("the stream ended before reply " + std::to_string(i));
    }
    CheckZeros(reply.payload(), p.first, "reply " + std::to_string(i));
    i++;
  }
  stream->WritesDone();
  StreamingOutputCallResponse extra;
  bool more = stream->Read(&extra);
  Status status = stream->Finish();
  Check(!more, "more replies than requests");
  CheckOk(status);
}

void EmptyStream(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  auto stream = s.test->FullDuplexCall(&context);
  stream->WritesDone();
  StreamingOutputCallResponse reply;
  int n = 0;
  while (stream->Read(&reply)) n++;
  CheckOk(stream->Finish());
  Check(n == 0, std::to_string(n) + " replies, want none");
}

void CancelAfterBegin(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  StreamingInputCallResponse reply;
  auto stream = s.test->StreamingInputCall(&context, &reply);
  context.TryCancel();
  ExpectStatus(stream->Finish(), StatusCode::CANCELLED);
}

void CancelAfterFirstResponse(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  auto stream = s.test->FullDuplexCall(&context);
  StreamingOutputCallResponse reply;
  if (!stream->Write(StreamingRequest(31415, 27182)) ||
      !stream->Read(&reply)) {
    CheckOk(stream->Finish());
    throw CaseFailed("the stream ended without a reply");
  }
  CheckZeros(reply.payload(), 31415);
  context.TryCancel();
  Check(!stream->Read(&reply), "a reply after cancelling");
  ExpectStatus(stream->Finish(), StatusCode::CANCELLED);
}

void TimeoutOnSleepingServer(Stubs& s) {
  ClientContext context;
  SetDeadline(&context, std::chrono::milliseconds(1));
  auto stream = s.test->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  Zeros(request.mutable_payload(), 27182);
  stream->Write(request);  // may fail already: the deadline is that short
  StreamingOutputCallResponse reply;
  Check(!stream->Read(&reply), "a reply despite the 1 ms deadline");
  ExpectStatus(stream->Finish(), StatusCode::DEADLINE_EXCEEDED);
}

void CustomMetadata(Stubs& s) {
  const std::string initial = "test_initial_metadata_value";
  const std::string trailing = "\xab\xab\xab";
  {
    ClientContext context;
    SetDeadline(&context);
    context.AddMetadata(kEchoInitialKey, initial);
    context.AddMetadata(kEchoTrailingKey, trailing);
    SimpleRequest request;
    request.set_response_type(grpc::testing::COMPRESSABLE);
    request.set_response_size(314159);
    Zeros(request.mutable_payload(), 271828);
    SimpleResponse reply;
    CheckOk(s.test->UnaryCall(&context, request, &reply));
    CheckZeros(reply.payload(), 314159);
    CheckEchoed(context, initial, trailing);
  }
  {
    ClientContext context;
    SetDeadline(&context);
    context.AddMetadata(kEchoInitialKey, initial);
    context.AddMetadata(kEchoTrailingKey, trailing);
    auto stream = s.test->FullDuplexCall(&context);
    stream->Write(StreamingRequest(314159, 271828));
    stream->WritesDone();
    std::vector<StreamingOutputCallResponse> replies;
    StreamingOutputCallResponse reply;
    while (stream->Read(&reply)) replies.push_back(reply);
    CheckOk(stream->Finish());
    Check(replies.size() == 1, std::to_string(replies.size()) +
                                   " streaming replies, want 1");
    CheckZeros(replies[0].payload(), 314159);
    CheckEchoed(context, initial, trailing);
  }
}

// UnaryCall asking for a status; returns the status.
Status UnaryStatus(Stubs& s, int code, const std::string& message) {
  ClientContext context;
  SetDeadline(&context);
  SimpleRequest request;
  request.mutable_response_status()->set_code(code);
  request.mutable_response_status()->set_message(message);
  SimpleResponse reply;
  Status status = s.test->UnaryCall(&context, request, &reply);
  Check(!status.ok(), "UnaryCall asking for code " + std::to_string(code) +
                          " succeeded");
  return status;
}

void StatusCodeAndMessage(Stubs& s) {
  const std::string message = "test status message";
  ExpectStatus(UnaryStatus(s, 2, message), StatusCode::UNKNOWN, &message);

  ClientContext context;
  SetDeadline(&context);
  auto stream = s.test->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  request.mutable_response_status()->set_code(2);
  request.mutable_response_status()->set_message(message);
  stream->Write(request);
  stream->WritesDone();
  StreamingOutputCallResponse reply;
  while (stream->Read(&reply)) {
  }
  Status status = stream->Finish();
  Check(!status.ok(), "FullDuplexCall succeeded");
  ExpectStatus(status, StatusCode::UNKNOWN, &message);
}

void SpecialStatusMessage(Stubs& s) {
  const std::string message = kSpecialMessage;
  ExpectStatus(UnaryStatus(s, 2, message), StatusCode::UNKNOWN, &message);
}

void UnimplementedMethod(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  Empty reply;
  ExpectStatus(s.test->UnimplementedCall(&context, Empty(), &reply),
               StatusCode::UNIMPLEMENTED);
}

void UnimplementedServiceCase(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  Empty reply;
  ExpectStatus(s.unimplemented->UnimplementedCall(&context, Empty(), &reply),
               StatusCode::UNIMPLEMENTED);
}

void CrpcAllStatusCodes(Stubs& s) {
  for (int code = 1; code <= 16; code++) {
    // Control characters, UTF-8 and '%' all need percent-encoding.
    const std::string message =
        "code " + std::to_string(code) +
        ":\ttab\r\ncrlf \xc3\xa9\xe2\x98\xba\xf0\x9f\x98\x88 100% %41 %zz %";
    ExpectStatus(UnaryStatus(s, code, message), static_cast<StatusCode>(code),
                 &message);
  }
}

void CrpcBinaryMetadata(Stubs& s) {
  // Printable ASCII with inner spaces (HTTP/2 forbids them at either end).
  std::string ascii;
  for (int c = 0x21; c < 0x7f; c++) ascii += static_cast<char>(c);
  ascii += " inner  spaces.";
  std::string all;
  for (int c = 0; c < 256; c++) all += static_cast<char>(c);
  // Every byte value; then short values whose base64 needs padding.
  const std::pair<std::string, std::string> values[] = {
      {ascii, all},
      {"a", std::string(1, '\0')},
      {"b c", "\xff\xfe"}};
  for (const auto& v : values) {
    ClientContext context;
    SetDeadline(&context);
    context.AddMetadata(kEchoInitialKey, v.first);
    context.AddMetadata(kEchoTrailingKey, v.second);
    SimpleResponse reply;
    CheckOk(s.test->UnaryCall(&context, SimpleRequest(), &reply));
    CheckEchoed(context, v.first, v.second);
  }
}

SimpleRequest CompressedUnaryRequest() {
  SimpleRequest request;
  request.set_response_type(grpc::testing::COMPRESSABLE);
  request.set_response_size(314159);
  Zeros(request.mutable_payload(), 271828);
  return request;
}

void ClientCompressedUnary(Stubs& s) {
  {
    // The probe: expect_compressed=true sent uncompressed must be refused.
    ClientContext context;
    SetDeadline(&context);
    SimpleRequest request = CompressedUnaryRequest();
    request.mutable_expect_compressed()->set_value(true);
    SimpleResponse reply;
    Status status = s.test->UnaryCall(&context, request, &reply);
    Check(!status.ok(), "probe: succeeded, want INVALID_ARGUMENT");
    ExpectStatus(status, StatusCode::INVALID_ARGUMENT);
  }
  for (bool compressed : {true, false}) {
    ClientContext context;
    SetDeadline(&context);
    if (compressed) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    SimpleRequest request = CompressedUnaryRequest();
    request.mutable_expect_compressed()->set_value(compressed);
    SimpleResponse reply;
    CheckOk(s.test->UnaryCall(&context, request, &reply));
    CheckZeros(reply.payload(), 314159,
               compressed ? "compressed call's reply"
                          : "uncompressed call's reply");
  }
}

void ServerCompressedUnary(Stubs& s) {
  for (bool compressed : {true, false}) {
    ClientContext context;
    SetDeadline(&context);
    SimpleRequest request = CompressedUnaryRequest();
    request.mutable_response_compressed()->set_value(compressed);
    SimpleResponse reply;
    CheckOk(s.test->UnaryCall(&context, request, &reply));
    std::string what = std::string("response_compressed=") +
                       (compressed ? "true" : "false") + " reply";
    CheckZeros(reply.payload(), 314159, what);
    bool got = interop::LastMessageCompressed(context.c_call());
    Check(got == compressed,
          what + (got ? " came compressed" : " came uncompressed"));
  }
}

void ClientCompressedStreaming(Stubs& s) {
  {
    // The probe: expect_compressed=true sent uncompressed must be refused.
    ClientContext context;
    SetDeadline(&context);
    StreamingInputCallResponse reply;
    auto stream = s.test->StreamingInputCall(&context, &reply);
    StreamingInputCallRequest request;
    request.mutable_expect_compressed()->set_value(true);
    Zeros(request.mutable_payload(), 27182);
    stream->Write(request);
    stream->WritesDone();
    Status status = stream->Finish();
    Check(!status.ok(), "probe: succeeded, want INVALID_ARGUMENT");
    ExpectStatus(status, StatusCode::INVALID_ARGUMENT);
  }
  // The first request gzipped, the second not, on one call.
  ClientContext context;
  SetDeadline(&context);
  context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  StreamingInputCallResponse reply;
  auto stream = s.test->StreamingInputCall(&context, &reply);
  StreamingInputCallRequest request;
  request.mutable_expect_compressed()->set_value(true);
  Zeros(request.mutable_payload(), 27182);
  if (stream->Write(request)) {
    request.mutable_expect_compressed()->set_value(false);
    Zeros(request.mutable_payload(), 45904);
    stream->Write(request, grpc::WriteOptions().set_no_compression());
  }
  stream->WritesDone();
  CheckOk(stream->Finish());
  Check(reply.aggregated_payload_size() == 73086,
        "aggregated_payload_size " +
            std::to_string(reply.aggregated_payload_size()) +
            ", want 73086");
}

void ServerCompressedStreaming(Stubs& s) {
  ClientContext context;
  SetDeadline(&context);
  const int sizes[] = {31415, 92653};
  const bool compressed[] = {true, false};
  StreamingOutputCallRequest request;
  request.set_response_type(grpc::testing::COMPRESSABLE);
  for (int i = 0; i < 2; i++) {
    auto* params = request.add_response_parameters();
    params->set_size(sizes[i]);
    params->mutable_compressed()->set_value(compressed[i]);
  }
  auto stream = s.test->StreamingOutputCall(&context, request);
  StreamingOutputCallResponse reply;
  int n = 0;
  std::string flags_wrong;
  while (stream->Read(&reply)) {
    if (n < 2) {
      std::string what = "reply " + std::to_string(n);
      CheckZeros(reply.payload(), sizes[n], what);
      bool got = interop::LastMessageCompressed(context.c_call());
      if (got != compressed[n] && flags_wrong.empty()) {
        flags_wrong = what + (got ? " came compressed" : " came uncompressed") +
                      ", want " + (compressed[n] ? "compressed" : "uncompressed");
      }
    }
    n++;
  }
  CheckOk(stream->Finish());
  Check(n == 2, std::to_string(n) + " replies, want 2");
  Check(flags_wrong.empty(), flags_wrong);
}

struct Case {
  const char* name;
  void (*run)(Stubs&);
};

const Case kCases[] = {
    {"empty_unary", EmptyUnary},
    {"large_unary", LargeUnary},
    {"client_streaming", ClientStreaming},
    {"server_streaming", ServerStreaming},
    {"ping_pong", PingPong},
    {"empty_stream", EmptyStream},
    {"cancel_after_begin", CancelAfterBegin},
    {"cancel_after_first_response", CancelAfterFirstResponse},
    {"timeout_on_sleeping_server", TimeoutOnSleepingServer},
    {"custom_metadata", CustomMetadata},
    {"status_code_and_message", StatusCodeAndMessage},
    {"special_status_message", SpecialStatusMessage},
    {"unimplemented_method", UnimplementedMethod},
    {"unimplemented_service", UnimplementedServiceCase},
    {"crpc_all_status_codes", CrpcAllStatusCodes},
    {"crpc_binary_metadata", CrpcBinaryMetadata},
    {"crpc_large_unary_1m", CrpcLargeUnary1M},
    {"client_compressed_unary", ClientCompressedUnary},
    {"server_compressed_unary", ServerCompressedUnary},
    {"client_compressed_streaming", ClientCompressedStreaming},
    {"server_compressed_streaming", ServerCompressedStreaming},
};

bool Run(const Case& c, Stubs& stubs) {
  try {
    c.run(stubs);
  } catch (const std::exception& e) {
    std::printf("FAIL %s: %s\n", c.name, e.what());
    std::fflush(stdout);
    return false;
  }
  std::printf("PASS %s\n", c.name);
  std::fflush(stdout);
  return true;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(2);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  interop::Flags flags;
  flags.Define("server_host", "localhost");
  flags.Define("server_port", "");
  flags.Define("server_host_override", "");
  flags.Define("test_case", "large_unary");
  flags.DefineBool("use_tls");
  flags.DefineBool("use_test_ca");
  flags.Define("ca_file", "");
  flags.Parse(argc, argv);
  if (flags.Get("server_port").empty()) {
    flags.Usage("--server_port is required");
  }
  int port = flags.GetInt("server_port");

  std::vector<const Case*> cases;
  const std::string& name = flags.Get("test_case");
  for (const Case& c : kCases) {
    if (name == "all" || name == c.name) cases.push_back(&c);
  }
  if (cases.empty()) {
    std::string known;
    for (const Case& c : kCases) known += std::string(" ") + c.name;
    flags.Usage("unknown test case \"" + name + "\"; known: all" + known);
  }

  std::string host = flags.Get("server_host");
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string target = host + ":" + std::to_string(port);
  grpc::ChannelArguments args;
  const std::string& override_name = flags.Get("server_host_override");
  if (!override_name.empty()) {
    args.SetSslTargetNameOverride(override_name);
    args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, override_name);
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (flags.GetBool("use_tls")) {
    grpc::SslCredentialsOptions options;
    if (flags.GetBool("use_test_ca")) {
      if (flags.Get("ca_file").empty()) {
        flags.Usage("--use_test_ca needs --ca_file");
      }
      options.pem_root_certs = ReadFile(flags.Get("ca_file"));
    }
    creds = grpc::SslCredentials(options);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  auto channel = grpc::CreateCustomChannel(target, creds, args);
  Stubs stubs;
  stubs.test = TestService::NewStub(channel);
  stubs.unimplemented = UnimplementedService::NewStub(channel);

  int failed = 0;
  for (const Case* c : cases) {
    if (!Run(*c, stubs)) failed++;
  }
  return failed ? 1 : 0;
}
