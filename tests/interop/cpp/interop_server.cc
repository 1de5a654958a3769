// gRPC interop test server (grpc.testing.TestService) on gRPC C++.
//
// A reference peer for crpc's interop client; see doc/interop.md. Implements
// the server features of grpc/grpc doc/interop-test-descriptions.md, like
// python/interop_server.py. Prints "listening on PORT" once
// it accepts calls (--port=0 picks a free port) and runs until SIGTERM or
// SIGINT.
//
// Built by tests/interop/cpp/build.sh against Debian's libgrpc++-dev.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "grpc/testing/test.grpc.pb.h"

#include "interop_flags.h"
#include "interop_compression.h"

using grpc::ServerContext;
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

namespace {

const char kEchoInitialKey[] = "x-grpc-test-echo-initial";
const char kEchoTrailingKey[] = "x-grpc-test-echo-trailing-bin";

// Echo Metadata: the initial key back in headers, the -bin one in trailers.
void EchoMetadata(ServerContext* context) {
  for (const auto& kv : context->client_metadata()) {
    std::string key(kv.first.data(), kv.first.size());
    std::string value(kv.second.data(), kv.second.size());
    if (key == kEchoInitialKey) {
      context->AddInitialMetadata(key, value);
    } else if (key == kEchoTrailingKey) {
      context->AddTrailingMetadata(key, value);
    }
  }
}

// CompressedRequest: a set expect_compressed must match how the request
// just read came.
template <typename Request>
Status CheckCompression(ServerContext* context, const Request& request) {
  if (!request.has_expect_compressed()) return Status::OK;
  bool compressed = interop::LastMessageCompressed(context->c_call());
  if (request.expect_compressed().value() && !compressed) {
    return Status(StatusCode::INVALID_ARGUMENT,
                  "expected a compressed request");
  }
  if (!request.expect_compressed().value() && compressed) {
    return Status(StatusCode::INVALID_ARGUMENT,
                  "expected an uncompressed request");
  }
  return Status::OK;
}

// Echo Status: the status the request asks for, or OK.
template <typename Request>
Status EchoStatus(const Request& request) {
  if (request.has_response_status() && request.response_status().code() != 0) {
    return Status(static_cast<StatusCode>(request.response_status().code()),
                  request.response_status().message());
  }
  return Status::OK;
}

Status FillPayload(grpc::testing::PayloadType type, int size,
                   Payload* payload) {
  if (type != grpc::testing::COMPRESSABLE) {
    return Status(StatusCode::INVALID_ARGUMENT,
                  "unsupported response_type " + std::to_string(type));
  }
  if (size < 0) {
    return Status(StatusCode::INVALID_ARGUMENT,
                  "negative size " + std::to_string(size));
  }
  payload->set_type(type);
  payload->set_body(std::string(static_cast<size_t>(size), '\0'));
  return Status::OK;
}

// One StreamingOutputCallResponse per ResponseParameters. With
// first_replies (no headers sent yet), CompressedResponse: gzip the call once
// any reply asks about it, then send uncompressed each reply that asks for
// none.
template <typename Writer>
Status StreamReplies(ServerContext* context,
                     const StreamingOutputCallRequest& request,
                     Writer* writer, bool first_replies) {
  Status status = EchoStatus(request);
  if (!status.ok()) return status;
  bool compression = false;
  for (const auto& params : request.response_parameters()) {
    if (params.has_compressed()) compression = true;
  }
  if (compression && first_replies) {
    context->set_compression_algorithm(GRPC_COMPRESS_GZIP);
  }
  for (const auto& params : request.response_parameters()) {
    if (params.interval_us() > 0) {
      std::this_thread::sleep_for(
          std::chrono::microseconds(params.interval_us()));
    }
    if (context->IsCancelled()) return Status::CANCELLED;
    StreamingOutputCallResponse reply;
    status = FillPayload(request.response_type(), params.size(),
                         reply.mutable_payload());
    if (!status.ok()) return status;
    grpc::WriteOptions options;
    if (compression && !params.compressed().value()) {
      options.set_no_compression();
    }
    if (!writer->Write(reply, options)) {
      return Status(StatusCode::CANCELLED, "write failed");
    }
  }
  return Status::OK;
}

class TestServiceImpl final : public grpc::testing::TestService::Service {
 public:
  Status EmptyCall(ServerContext* context, const Empty*, Empty*) override {
    EchoMetadata(context);
    return Status::OK;
  }

  Status UnaryCall(ServerContext* context, const SimpleRequest* request,
                   SimpleResponse* reply) override {
    EchoMetadata(context);
    Status status = CheckCompression(context, *request);
    if (!status.ok()) return status;
    status = EchoStatus(*request);
    if (!status.ok()) return status;
    if (request->response_compressed().value()) {
      context->set_compression_algorithm(GRPC_COMPRESS_GZIP);
    }
    return FillPayload(request->response_type(), request->response_size(),
                       reply->mutable_payload());
  }

  Status CacheableUnaryCall(ServerContext* context, const SimpleRequest*,
                            SimpleResponse* reply) override {
    context->AddInitialMetadata("cache-control", "max-age=60");
    auto now = std::chrono::system_clock::now().time_since_epoch();
    reply->mutable_payload()->set_body(std::to_string(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
    return Status::OK;
  }

  Status StreamingOutputCall(
      ServerContext* context, const StreamingOutputCallRequest* request,
      grpc::ServerWriter<StreamingOutputCallResponse>* writer) override {
    EchoMetadata(context);
    return StreamReplies(context, *request, writer, true);
  }

  Status StreamingInputCall(
      ServerContext* context,
      grpc::ServerReader<StreamingInputCallRequest>* reader,
      StreamingInputCallResponse* reply) override {
    EchoMetadata(context);
    StreamingInputCallRequest request;
    int total = 0;
    while (reader->Read(&request)) {
      Status status = CheckCompression(context, request);
      if (!status.ok()) return status;
      total += static_cast<int>(request.payload().body().size());
    }
    reply->set_aggregated_payload_size(total);
    return Status::OK;
  }

  Status FullDuplexCall(
      ServerContext* context,
      grpc::ServerReaderWriter<StreamingOutputCallResponse,
                               StreamingOutputCallRequest>* stream) override {
    EchoMetadata(context);
    StreamingOutputCallRequest request;
    bool first = true;
    while (stream->Read(&request)) {
      Status status = StreamReplies(context, request, stream, first);
      if (!status.ok()) return status;
      first = false;
    }
    return Status::OK;
  }

  Status HalfDuplexCall(
      ServerContext* context,
      grpc::ServerReaderWriter<StreamingOutputCallResponse,
                               StreamingOutputCallRequest>* stream) override {
    EchoMetadata(context);
    std::vector<StreamingOutputCallRequest> requests;
    StreamingOutputCallRequest request;
    while (stream->Read(&request)) requests.push_back(request);
    bool first = true;
    for (const auto& r : requests) {
      Status status = StreamReplies(context, r, stream, first);
      if (!status.ok()) return status;
      first = false;
    }
    return Status::OK;
  }
  // UnimplementedCall is left to the base class: UNIMPLEMENTED.
};

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
  flags.Define("port", "");
  flags.Define("host", "127.0.0.1");
  flags.DefineBool("use_tls");
  flags.Define("tls_cert_file", "");
  flags.Define("tls_key_file", "");
  flags.Parse(argc, argv);
  if (flags.Get("port").empty()) flags.Usage("--port is required");
  int port = flags.GetInt("port");

  // Every thread gRPC starts inherits the mask: only main's sigwait sees
  // SIGTERM and SIGINT.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::shared_ptr<grpc::ServerCredentials> creds;
  if (flags.GetBool("use_tls")) {
    if (flags.Get("tls_cert_file").empty() ||
        flags.Get("tls_key_file").empty()) {
      flags.Usage("--use_tls needs --tls_cert_file and --tls_key_file");
    }
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back(
        {ReadFile(flags.Get("tls_key_file")),
         ReadFile(flags.Get("tls_cert_file"))});
    creds = grpc::SslServerCredentials(options);
  } else {
    creds = grpc::InsecureServerCredentials();
  }

  std::string host = flags.Get("host");
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string address = host + ":" + std::to_string(port);
  TestServiceImpl service;
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(address, creds, &selected_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected_port == 0) {
    std::cerr << "cannot listen on " << address << "\n";
    return 1;
  }
  std::printf("listening on %d\n", selected_port);
  std::fflush(stdout);

  int signum = 0;
  sigwait(&stop_signals, &signum);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}
