#!/usr/bin/env node
'use strict';
// gRPC interop test server (grpc.testing.TestService) on @grpc/grpc-js.
//
// A reference peer for crpc's interop client; see doc/interop.md. Implements
// the server features of grpc/grpc doc/interop-test-descriptions.md, like
// python/interop_server.py, except that replies are never compressed:
// grpc-js servers cannot compress (response_compressed and
// ResponseParameters.compressed are ignored). Prints "listening on PORT" once
// it accepts calls (--port=0 picks a free port) and runs until SIGTERM or
// SIGINT.

const fs = require('fs');
const {
  grpc, testing, ECHO_INITIAL_KEY, ECHO_TRAILING_KEY, COMPRESSABLE,
  parseFlags, usage,
} = require('./interop_common');

// CompressedRequest needs each request's compressed flag, which grpc-js
// keeps to itself: BaseServerInterceptingCall.decompressMessage(framed, encoding)
// sees the framed message (flag byte first) and returns the bytes the
// request deserializer gets. Tag those bytes, then the request (see
// withCompressionFlags). Internals of the pinned grpc-js (package.json).
const COMPRESSED = Symbol('compressed');
{
  let sic;
  try {
    // By file: the package's "exports" may hide its build/ tree.
    const main = require.resolve('@grpc/grpc-js');
    sic = require(require('path').join(require('path').dirname(main),
      'server-interceptors.js')).BaseServerInterceptingCall;
  } catch (e) {
    sic = null;
  }
  if (!sic || typeof sic.prototype.decompressMessage !== 'function') {
    process.stderr.write('this grpc-js has no BaseServerInterceptingCall.' +
      'decompressMessage: expect_compressed cannot be checked\n');
  } else {
    const decompress = sic.prototype.decompressMessage;
    sic.prototype.decompressMessage = async function (framed, encoding) {
      const bytes = await decompress.call(this, framed, encoding);
      if (Buffer.isBuffer(bytes)) bytes[COMPRESSED] = framed.readUInt8(0) === 1;
      return bytes;
    };
  }
}

// The service definition with request deserializers that carry the tag over
// to the request: request[COMPRESSED] is true or false (undefined if the
// hook above is missing).
function withCompressionFlags(definition) {
  const out = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = Object.assign({}, method, {
      requestDeserialize(bytes) {
        const request = method.requestDeserialize(bytes);
        if (request && typeof request === 'object') {
          Object.defineProperty(request, COMPRESSED, { value: bytes[COMPRESSED] });
        }
        return request;
      },
    });
  }
  return out;
}

class StatusError extends Error {
  constructor(code, details) {
    super(details);
    this.code = code;
    this.details = details;
  }
}

// Echo Metadata: the initial key back in headers, the -bin one in trailers.
// Sends the headers now; returns the trailers to end the call with.
function echoMetadata(call) {
  const trailers = new grpc.Metadata();
  const initial = call.metadata.get(ECHO_INITIAL_KEY);
  if (initial.length > 0) {
    const headers = new grpc.Metadata();
    for (const v of initial) headers.add(ECHO_INITIAL_KEY, v);
    call.sendMetadata(headers);
  }
  for (const v of call.metadata.get(ECHO_TRAILING_KEY)) {
    trailers.add(ECHO_TRAILING_KEY, v);
  }
  return trailers;
}

// Echo Status: throws the status the request asks for.
function echoStatus(request) {
  const status = request.response_status;
  if (status && status.code) {
    throw new StatusError(status.code, status.message);
  }
}

// CompressedRequest: a set expect_compressed must match how the request
// came.
function checkCompression(request) {
  const expect = request.expect_compressed;
  if (!expect) return;
  const compressed = request[COMPRESSED];
  if (compressed === undefined) {
    throw new StatusError(grpc.status.INTERNAL,
      'this server cannot tell whether a request came compressed');
  }
  if (expect.value !== compressed) {
    throw new StatusError(grpc.status.INVALID_ARGUMENT, expect.value
      ? 'expected a compressed request' : 'expected an uncompressed request');
  }
}

function payload(responseType, size) {
  if (responseType !== COMPRESSABLE && responseType !== 'COMPRESSABLE') {
    throw new StatusError(grpc.status.INVALID_ARGUMENT,
      `unsupported response_type ${responseType}`);
  }
  if (size < 0) {
    throw new StatusError(grpc.status.INVALID_ARGUMENT,
      `negative size ${size}`);
  }
  return { type: COMPRESSABLE, body: Buffer.alloc(size) };
}

// A status for grpc-js: ours, or INTERNAL for a bug here.
function toStatus(error, trailers) {
  if (error instanceof StatusError) {
    return { code: error.code, details: error.details, metadata: trailers };
  }
  return {
    code: grpc.status.INTERNAL,
    details: `server error: ${error && error.stack || error}`,
    metadata: trailers,
  };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// One StreamingOutputCallResponse per ResponseParameters, written in order;
// false once the call is gone.
async function streamReplies(call, request) {
  echoStatus(request);
  for (const params of request.response_parameters) {
    if (params.interval_us > 0) await sleep(params.interval_us / 1000);
    if (call.cancelled) return false;
    const reply = { payload: payload(request.response_type, params.size) };
    await new Promise((resolve, reject) => {
      call.write(reply, (err) => (err ? reject(err) : resolve()));
    });
  }
  return true;
}

// The requests of a client- or bidi-streaming call. A plain for-await over
// the call would destroy the stream, writable side included, once the
// client half-closes, and the status would never go out.
function requests(call) {
  return call.iterator({ destroyOnReturn: false });
}

function endStream(call, trailers, error) {
  if (call.cancelled) return;
  if (error) {
    call.emit('error', toStatus(error, trailers));
  } else {
    call.end(trailers);
  }
}

const service = {
  EmptyCall(call, callback) {
    const trailers = echoMetadata(call);
    callback(null, {}, trailers);
  },

  UnaryCall(call, callback) {
    const trailers = echoMetadata(call);
    try {
      checkCompression(call.request);
      echoStatus(call.request);
      const reply = {
        payload: payload(call.request.response_type,
          call.request.response_size),
      };
      callback(null, reply, trailers);
    } catch (error) {
      callback(toStatus(error, trailers));
    }
  },

  CacheableUnaryCall(call, callback) {
    const headers = new grpc.Metadata();
    headers.add('cache-control', 'max-age=60');
    call.sendMetadata(headers);
    const body = Buffer.from(String(process.hrtime.bigint()));
    callback(null, { payload: { type: COMPRESSABLE, body } });
  },

  async StreamingOutputCall(call) {
    const trailers = echoMetadata(call);
    try {
      await streamReplies(call, call.request);
      endStream(call, trailers, null);
    } catch (error) {
      endStream(call, trailers, error);
    }
  },

  async StreamingInputCall(call, callback) {
    const trailers = echoMetadata(call);
    let total = 0;
    try {
      for await (const request of requests(call)) {
        checkCompression(request);
        total += request.payload ? request.payload.body.length : 0;
      }
    } catch (error) {
      if (!call.cancelled) callback(toStatus(error, trailers));
      return;
    }
    callback(null, { aggregated_payload_size: total }, trailers);
  },

  async FullDuplexCall(call) {
    const trailers = echoMetadata(call);
    try {
      for await (const request of requests(call)) {
        if (!await streamReplies(call, request)) return;
      }
      endStream(call, trailers, null);
    } catch (error) {
      endStream(call, trailers, error);
    }
  },

  async HalfDuplexCall(call) {
    const trailers = echoMetadata(call);
    try {
      const all = [];
      for await (const request of requests(call)) all.push(request);
      for (const request of all) {
        if (!await streamReplies(call, request)) return;
      }
      endStream(call, trailers, null);
    } catch (error) {
      endStream(call, trailers, error);
    }
  },
  // UnimplementedCall is left out: grpc-js answers UNIMPLEMENTED.
};

function main() {
  const flags = parseFlags({
    port: 0,
    host: '127.0.0.1',
    use_tls: false,
    tls_cert_file: '',
    tls_key_file: '',
  }, ['port']);

  let creds;
  if (flags.use_tls) {
    if (!flags.tls_cert_file || !flags.tls_key_file) {
      usage('--use_tls needs --tls_cert_file and --tls_key_file');
    }
    creds = grpc.ServerCredentials.createSsl(null, [{
      private_key: fs.readFileSync(flags.tls_key_file),
      cert_chain: fs.readFileSync(flags.tls_cert_file),
    }]);
  } else {
    creds = grpc.ServerCredentials.createInsecure();
  }

  const server = new grpc.Server();
  server.addService(withCompressionFlags(testing.TestService.service),
    service);
  const host = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  server.bindAsync(`${host}:${flags.port}`, creds, (err, port) => {
    if (err) {
      process.stderr.write(`cannot listen on ${host}:${flags.port}: ${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`listening on ${port}\n`);
  });

  const stop = () => {
    server.forceShutdown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
