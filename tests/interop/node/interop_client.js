#!/usr/bin/env node
'use strict';
// gRPC interop test client on @grpc/grpc-js.
//
// A reference peer for crpc's interop server; see doc/interop.md. Runs the
// cases of grpc/grpc doc/interop-test-descriptions.md (auth cases excepted)
// plus crpc's own crpc_* cases, as python/interop_client.py does, printing
// "PASS name" or "FAIL name: reason" per case; exits 1 if any failed.
//
// grpc-js does not tell a client whether a reply came compressed (its flag
// byte), so server_compressed_* check only status and payloads, as the
// descriptions allow. Requests go gzipped on a channel made with
// grpc.default_compression_algorithm; write flag 2 (NoCompress) sends one
// uncompressed.

const fs = require('fs');
const {
  grpc, testing, ECHO_INITIAL_KEY, ECHO_TRAILING_KEY, COMPRESSABLE,
  parseFlags, usage,
} = require('./interop_common');

// Every RPC gets a deadline so that a broken peer fails a case, not hangs it.
const TIMEOUT_MS = 20000;

const SPECIAL_MESSAGE = '\t\ntest with whitespace\r\nand Unicode BMP \u263a ' +
  'and non-BMP \u{1f608}\t\n';

const STATUS_NAMES = Object.fromEntries(
  Object.entries(grpc.status).map(([name, code]) => [code, name]));

class CaseFailed extends Error {}

function check(condition, reason) {
  if (!condition) throw new CaseFailed(reason);
}

function deadline(ms = TIMEOUT_MS) {
  return { deadline: Date.now() + ms };
}

function zeros(size) {
  return { type: COMPRESSABLE, body: Buffer.alloc(size) };
}

function checkZeros(payload, size, what = 'reply') {
  const body = payload ? payload.body : Buffer.alloc(0);
  check(body.length === size,
    `${what} payload is ${body.length} bytes, want ${size}`);
  check(body.every((b) => b === 0), `${what} payload is not all zeros`);
}

// grpc-js's WriteFlags.NoCompress, passed as write()'s encoding.
const NO_COMPRESS = 2;
// grpc-js's CompressionAlgorithms: 2 is gzip.
const GZIP = 2;

function streamingRequest(responseSize, requestSize) {
  return {
    response_type: COMPRESSABLE,
    response_parameters: [{ size: responseSize }],
    payload: zeros(requestSize),
  };
}

function statusName(code) {
  return STATUS_NAMES[code] || `code ${code}`;
}

// Checks a failed call's status and, if given, its exact message.
function expectStatus(error, code, message) {
  check(error && typeof error.code === 'number',
    `no status, but ${error}`);
  check(error.code === code,
    `status ${statusName(error.code)} (${JSON.stringify(error.details)}), ` +
    `want ${statusName(code)}`);
  if (message !== undefined) {
    check(error.details === message,
      `status message ${JSON.stringify(error.details)}, ` +
      `want ${JSON.stringify(message)}`);
  }
}

// A status-carrying error from grpc-js becomes a case failure message.
class CallError extends Error {
  constructor(status) {
    super(`status ${statusName(status.code)}: ${status.details}`);
    this.code = status.code;
    this.details = status.details;
    this.metadata = status.metadata;
  }
}

// unary(method, request, metadata, options): resolves with
// { reply, headers, status } once the call has ended; rejects with the
// call's error status.
function unary(method, request, metadata = new grpc.Metadata(),
  options = deadline()) {
  return new Promise((resolve, reject) => {
    let headers = null;
    let reply;
    let status = null;
    let done = false;
    const finish = () => {
      if (!done || !status) return;
      if (status.code !== grpc.status.OK) reject(new CallError(status));
      else resolve({ reply, headers, status });
    };
    const call = method(request, metadata, options, (err, value) => {
      reply = value;
      done = true;
      if (err && !status) status = err;
      finish();
    });
    call.on('metadata', (m) => { headers = m; });
    call.on('status', (s) => { status = s; finish(); });
  });
}

// Reads a server-streaming or bidi call: data and status, in arrival order.
// next() resolves with the next reply, or null at the end of the stream;
// it rejects with the status when the call failed.
class Reader {
  constructor(call) {
    this.call = call;
    this.queue = [];
    this.waiting = null;
    this.ended = false;
    this.error = null;
    this.headers = null;
    this.status = null;
    this.statusPromise = new Promise((resolve) => {
      call.on('status', (s) => { this.status = s; resolve(s); });
    });
    call.on('metadata', (m) => { this.headers = m; });
    call.on('data', (d) => { this.queue.push(d); this.wake(); });
    call.on('end', () => { this.ended = true; this.wake(); });
    call.on('error', (e) => { this.error = e; this.wake(); });
  }

  wake() {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w();
    }
  }

  async next() {
    for (;;) {
      if (this.queue.length > 0) return this.queue.shift();
      if (this.error) throw new CallError(this.error);
      if (this.ended) {
        // 'end' may come before 'status'; an error status comes as 'error'.
        const status = await this.statusPromise;
        if (status.code !== grpc.status.OK) throw new CallError(status);
        return null;
      }
      await new Promise((resolve) => { this.waiting = resolve; });
    }
  }

  async all() {
    const replies = [];
    for (;;) {
      const reply = await this.next();
      if (reply === null) return replies;
      replies.push(reply);
    }
  }
}

// Expects the call to fail; returns its error.
async function expectFailure(promise, what) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CaseFailed) throw error;
    return error;
  }
  throw new CaseFailed(`${what} succeeded`);
}

function checkEchoed(headers, trailers, initial, trailing) {
  const gotInitial = headers ? headers.get(ECHO_INITIAL_KEY) : [];
  check(gotInitial.length === 1 && gotInitial[0] === initial,
    `initial metadata ${ECHO_INITIAL_KEY} = ${JSON.stringify(gotInitial)}, ` +
    `want ${JSON.stringify(initial)}`);
  const gotTrailing = trailers ? trailers.get(ECHO_TRAILING_KEY) : [];
  check(gotTrailing.length === 1 && Buffer.isBuffer(gotTrailing[0]) &&
    gotTrailing[0].equals(trailing),
  `trailing metadata ${ECHO_TRAILING_KEY} = ` +
    `${gotTrailing.map((b) => Buffer.from(b).toString('hex')).join(',')} ` +
    `(hex), want ${trailing.toString('hex')}`);
}

// One UnaryCall sending |requestSize| zero bytes, asking for |replySize|.
async function unaryOfSize(stub, requestSize, replySize) {
  const { reply } = await unary(stub.UnaryCall.bind(stub), {
    response_type: COMPRESSABLE,
    response_size: replySize,
    payload: zeros(requestSize),
  });
  checkZeros(reply.payload, replySize);
}

const cases = {
  async empty_unary(stub) {
    const { reply } = await unary(stub.EmptyCall.bind(stub), {});
    check(reply && typeof reply === 'object', 'no reply');
  },

  async large_unary(stub) {
    await unaryOfSize(stub, 271828, 314159);
  },

  async crpc_large_unary_1m(stub) {
    await unaryOfSize(stub, 1 << 20, 1 << 20);
  },

  async client_streaming(stub) {
    const reply = await new Promise((resolve, reject) => {
      const call = stub.StreamingInputCall(deadline(), (err, value) => {
        if (err) reject(new CallError(err));
        else resolve(value);
      });
      for (const n of [27182, 8, 1828, 45904]) {
        call.write({ payload: zeros(n) });
      }
      call.end();
    });
    check(reply.aggregated_payload_size === 74922,
      `aggregated_payload_size ${reply.aggregated_payload_size}, want 74922`);
  },

  async server_streaming(stub) {
    const sizes = [31415, 9, 2653, 58979];
    const call = stub.StreamingOutputCall({
      response_type: COMPRESSABLE,
      response_parameters: sizes.map((size) => ({ size })),
    }, deadline());
    const replies = await new Reader(call).all();
    check(replies.length === sizes.length,
      `${replies.length} replies, want ${sizes.length}`);
    replies.forEach((reply, i) => checkZeros(reply.payload, sizes[i],
      `reply ${i}`));
  },

  async ping_pong(stub) {
    const pairs = [[31415, 27182], [9, 8], [2653, 1828], [58979, 45904]];
    const call = stub.FullDuplexCall(deadline());
    const reader = new Reader(call);
    try {
      for (const [i, [responseSize, requestSize]] of pairs.entries()) {
        call.write(streamingRequest(responseSize, requestSize));
        const reply = await reader.next();
        check(reply !== null, `the stream ended before reply ${i}`);
        checkZeros(reply.payload, responseSize, `reply ${i}`);
      }
    } finally {
      call.end();
    }
    check(await reader.next() === null, 'more replies than requests');
  },

  async empty_stream(stub) {
    const call = stub.FullDuplexCall(deadline());
    const reader = new Reader(call);
    call.end();
    const replies = await reader.all();
    check(replies.length === 0, `${replies.length} replies, want none`);
  },

  async cancel_after_begin(stub) {
    const error = await expectFailure(new Promise((resolve, reject) => {
      const call = stub.StreamingInputCall(deadline(), (err, value) => {
        if (err) reject(new CallError(err));
        else resolve(value);
      });
      call.cancel();
    }), 'StreamingInputCall');
    expectStatus(error, grpc.status.CANCELLED);
  },

  async cancel_after_first_response(stub) {
    const call = stub.FullDuplexCall(deadline());
    const reader = new Reader(call);
    call.write(streamingRequest(31415, 27182));
    const reply = await reader.next();
    check(reply !== null, 'the stream ended without a reply');
    checkZeros(reply.payload, 31415);
    call.cancel();
    const error = await expectFailure((async () => {
      // Replies already received may still be queued; skip them.
      while (await reader.next() !== null);
    })(), 'FullDuplexCall after cancelling');
    expectStatus(error, grpc.status.CANCELLED);
  },

  async timeout_on_sleeping_server(stub) {
    const call = stub.FullDuplexCall(deadline(1));
    const reader = new Reader(call);
    call.write({ payload: zeros(27182) });
    try {
      const error = await expectFailure(reader.next(),
        'FullDuplexCall with a 1 ms deadline');
      expectStatus(error, grpc.status.DEADLINE_EXCEEDED);
    } finally {
      call.end();
    }
  },

  async custom_metadata(stub) {
    const initial = 'test_initial_metadata_value';
    const trailing = Buffer.from([0xab, 0xab, 0xab]);
    const metadata = () => {
      const m = new grpc.Metadata();
      m.add(ECHO_INITIAL_KEY, initial);
      m.add(ECHO_TRAILING_KEY, trailing);
      return m;
    };

    const { reply, headers, status } = await unary(
      stub.UnaryCall.bind(stub), {
        response_type: COMPRESSABLE,
        response_size: 314159,
        payload: zeros(271828),
      }, metadata());
    checkZeros(reply.payload, 314159);
    checkEchoed(headers, status.metadata, initial, trailing);

    const call = stub.FullDuplexCall(metadata(), deadline());
    const reader = new Reader(call);
    call.write(streamingRequest(314159, 271828));
    call.end();
    const replies = await reader.all();
    check(replies.length === 1, `${replies.length} streaming replies, want 1`);
    checkZeros(replies[0].payload, 314159);
    checkEchoed(reader.headers, (await reader.statusPromise).metadata,
      initial, trailing);
  },

  async status_code_and_message(stub) {
    const message = 'test status message';
    const status = { code: 2, message };
    let error = await expectFailure(unary(stub.UnaryCall.bind(stub),
      { response_status: status }), 'UnaryCall');
    expectStatus(error, grpc.status.UNKNOWN, message);

    const call = stub.FullDuplexCall(deadline());
    const reader = new Reader(call);
    call.write({ response_status: status });
    call.end();
    error = await expectFailure(reader.all(), 'FullDuplexCall');
    expectStatus(error, grpc.status.UNKNOWN, message);
  },

  async special_status_message(stub) {
    const error = await expectFailure(unary(stub.UnaryCall.bind(stub),
      { response_status: { code: 2, message: SPECIAL_MESSAGE } }),
    'UnaryCall');
    expectStatus(error, grpc.status.UNKNOWN, SPECIAL_MESSAGE);
  },

  async unimplemented_method(stub) {
    const error = await expectFailure(unary(
      stub.UnimplementedCall.bind(stub), {}), 'UnimplementedCall');
    expectStatus(error, grpc.status.UNIMPLEMENTED);
  },

  async unimplemented_service(stub, other) {
    const error = await expectFailure(unary(
      other.UnimplementedCall.bind(other), {}), 'UnimplementedCall');
    expectStatus(error, grpc.status.UNIMPLEMENTED);
  },

  async crpc_all_status_codes(stub) {
    for (let code = 1; code <= 16; code++) {
      // Control characters, UTF-8 and '%' all need percent-encoding.
      const message = `code ${code}:\ttab\r\ncrlf \u00e9\u263a\u{1f608} ` +
        '100% %41 %zz %';
      const error = await expectFailure(unary(stub.UnaryCall.bind(stub),
        { response_status: { code, message } }),
      `UnaryCall asking for code ${code}`);
      expectStatus(error, code, message);
    }
  },

  async crpc_binary_metadata(stub) {
    // Printable ASCII with inner spaces (HTTP/2 forbids them at either end).
    let ascii = '';
    for (let c = 0x21; c < 0x7f; c++) ascii += String.fromCharCode(c);
    ascii += ' inner  spaces.';
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    // Every byte value; then short values whose base64 needs padding.
    for (const [initial, trailing] of [[ascii, all],
      ['a', Buffer.from([0])], ['b c', Buffer.from([0xff, 0xfe])]]) {
      const m = new grpc.Metadata();
      m.add(ECHO_INITIAL_KEY, initial);
      m.add(ECHO_TRAILING_KEY, trailing);
      const { headers, status } = await unary(stub.UnaryCall.bind(stub), {},
        m);
      checkEchoed(headers, status.metadata, initial, trailing);
    }
  },

  async client_compressed_unary(stub, other, ctx) {
    const request = (expect) => ({
      response_type: COMPRESSABLE,
      response_size: 314159,
      payload: zeros(271828),
      expect_compressed: { value: expect },
    });
    // The probe: expect_compressed=true sent uncompressed must be refused.
    const error = await expectFailure(unary(stub.UnaryCall.bind(stub),
      request(true)), 'probe');
    expectStatus(error, grpc.status.INVALID_ARGUMENT);
    const gzipped = ctx.compressingStub();
    try {
      const { reply } = await unary(gzipped.UnaryCall.bind(gzipped),
        request(true));
      checkZeros(reply.payload, 314159, "compressed call's reply");
    } finally {
      gzipped.close();
    }
    const { reply } = await unary(stub.UnaryCall.bind(stub), request(false));
    checkZeros(reply.payload, 314159, "uncompressed call's reply");
  },

  async server_compressed_unary(stub) {
    for (const respond of [true, false]) {
      const { reply } = await unary(stub.UnaryCall.bind(stub), {
        response_type: COMPRESSABLE,
        response_size: 314159,
        payload: zeros(271828),
        response_compressed: { value: respond },
      });
      checkZeros(reply.payload, 314159,
        `response_compressed=${respond} reply`);
    }
  },

  async client_compressed_streaming(stub, other, ctx) {
    // The probe: expect_compressed=true sent uncompressed must be refused.
    let error = await expectFailure(new Promise((resolve, reject) => {
      const call = stub.StreamingInputCall(deadline(), (err, value) => {
        if (err) reject(new CallError(err));
        else resolve(value);
      });
      call.write({ payload: zeros(27182), expect_compressed: { value: true } });
      call.end();
    }), 'probe');
    expectStatus(error, grpc.status.INVALID_ARGUMENT);

    // The first request gzipped, the second not, on one call.
    const gzipped = ctx.compressingStub();
    let reply;
    try {
      reply = await new Promise((resolve, reject) => {
        const call = gzipped.StreamingInputCall(deadline(), (err, value) => {
          if (err) reject(new CallError(err));
          else resolve(value);
        });
        call.write({ payload: zeros(27182),
          expect_compressed: { value: true } });
        call.write({ payload: zeros(45904),
          expect_compressed: { value: false } }, NO_COMPRESS);
        call.end();
      });
    } finally {
      gzipped.close();
    }
    check(reply.aggregated_payload_size === 73086,
      `aggregated_payload_size ${reply.aggregated_payload_size}, want 73086`);
  },

  async server_compressed_streaming(stub) {
    const sizes = [31415, 92653];
    const call = stub.StreamingOutputCall({
      response_type: COMPRESSABLE,
      response_parameters: [
        { size: sizes[0], compressed: { value: true } },
        { size: sizes[1], compressed: { value: false } },
      ],
    }, deadline());
    const replies = await new Reader(call).all();
    check(replies.length === sizes.length,
      `${replies.length} replies, want ${sizes.length}`);
    replies.forEach((reply, i) => checkZeros(reply.payload, sizes[i],
      `reply ${i}`));
  },
};

async function run(name, stub, other, ctx) {
  try {
    await cases[name](stub, other, ctx);
  } catch (error) {
    let reason;
    if (error instanceof CaseFailed) reason = error.message;
    else if (error instanceof CallError) reason = error.message;
    else reason = `${error && error.name}: ${error && error.message}`;
    console.log(`FAIL ${name}: ${reason}`);
    return false;
  }
  console.log(`PASS ${name}`);
  return true;
}

async function main() {
  const flags = parseFlags({
    server_host: 'localhost',
    server_port: 0,
    server_host_override: '',
    test_case: 'large_unary',
    use_tls: false,
    use_test_ca: false,
    ca_file: '',
  }, ['server_port']);

  let names;
  if (flags.test_case === 'all') {
    names = Object.keys(cases);
  } else if (flags.test_case in cases) {
    names = [flags.test_case];
  } else {
    usage(`unknown test case ${JSON.stringify(flags.test_case)}; ` +
      `known: all ${Object.keys(cases).join(' ')}`);
  }

  const host = flags.server_host.includes(':') ? `[${flags.server_host}]`
    : flags.server_host;
  const target = `${host}:${flags.server_port}`;
  const options = {};
  if (flags.server_host_override) {
    options['grpc.ssl_target_name_override'] = flags.server_host_override;
    options['grpc.default_authority'] = flags.server_host_override;
  }
  let creds;
  if (flags.use_tls) {
    let roots = null;
    if (flags.use_test_ca) {
      if (!flags.ca_file) usage('--use_test_ca needs --ca_file');
      roots = fs.readFileSync(flags.ca_file);
    }
    creds = grpc.credentials.createSsl(roots);
  } else {
    creds = grpc.credentials.createInsecure();
  }

  const stub = new testing.TestService(target, creds, options);
  // The same channel for the service no server implements.
  const other = new testing.UnimplementedService(target, creds,
    Object.assign({}, options, { channelOverride: stub.getChannel() }));
  const ctx = {
    // A channel of its own whose requests go gzipped (close it after use).
    compressingStub: () => new testing.TestService(target, creds,
      Object.assign({}, options,
        { 'grpc.default_compression_algorithm': GZIP })),
  };
  let failed = 0;
  for (const name of names) {
    if (!await run(name, stub, other, ctx)) failed++;
  }
  stub.close();
  process.exitCode = failed ? 1 : 0;
  // Calls a failed case left behind must not keep the process alive.
  setTimeout(() => process.exit(process.exitCode), 100).unref();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
