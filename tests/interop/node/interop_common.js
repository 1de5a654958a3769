'use strict';
// What the Node interop server and client share: loading the protos of
// tests/interop/proto with @grpc/proto-loader, and flag parsing. See
// doc/interop.md.
//
// @grpc/grpc-js and @grpc/proto-loader are installed by the make-check tests
// into the build tree and found through NODE_PATH.

const path = require('path');

let grpc;
let protoLoader;
try {
  grpc = require('@grpc/grpc-js');
  protoLoader = require('@grpc/proto-loader');
} catch (e) {
  process.stderr.write('cannot load @grpc/grpc-js and @grpc/proto-loader ' +
    '(npm install --prefix DIR tests/interop/node, then NODE_PATH=DIR/node_modules): ' +
    e.message + '\n');
  process.exit(2);
}

const PROTO_DIR = path.join(__dirname, '..', 'proto');

// keepCase: field names as in the .proto (response_size, not responseSize);
// defaults: unset scalars read as 0 / '' / empty bytes, unset messages as
// null; enums stay numbers; bytes are Buffers.
const packageDefinition = protoLoader.loadSync('grpc/testing/test.proto', {
  keepCase: true,
  longs: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});
const testing = grpc.loadPackageDefinition(packageDefinition).grpc.testing;

const ECHO_INITIAL_KEY = 'x-grpc-test-echo-initial';
const ECHO_TRAILING_KEY = 'x-grpc-test-echo-trailing-bin';
const COMPRESSABLE = 0;

function parseBool(name, text) {
  const value = String(text).trim().toLowerCase();
  if (value === 'true' || value === '1' || value === 'yes') return true;
  if (value === 'false' || value === '0' || value === 'no') return false;
  usage(`--${name}: not a boolean: ${text}`);
}

function usage(message) {
  process.stderr.write(message + '\n');
  process.exit(2);
}

// parseFlags(spec): spec maps each known flag to its default; the type of
// the default (boolean, number, string) is the flag's type. Flags are
// --name=value; booleans may be bare (--use_tls).
function parseFlags(spec, required = []) {
  const flags = Object.assign({}, spec);
  for (const arg of process.argv.slice(2)) {
    const m = /^--([A-Za-z0-9_]+)(?:=(.*))?$/s.exec(arg);
    if (!m || !(m[1] in spec)) usage(`unknown argument ${arg}`);
    const name = m[1];
    const text = m[2];
    const kind = typeof spec[name];
    if (kind === 'boolean') {
      flags[name] = text === undefined ? true : parseBool(name, text);
    } else if (text === undefined) {
      usage(`--${name} needs a value`);
    } else if (kind === 'number') {
      if (!/^[0-9]+$/.test(text)) usage(`--${name}: not a number: ${text}`);
      flags[name] = Number(text);
    } else {
      flags[name] = text;
    }
    flags['have_' + name] = true;
  }
  for (const name of required) {
    if (!flags['have_' + name]) usage(`--${name} is required`);
  }
  return flags;
}

module.exports = {
  grpc,
  testing,
  ECHO_INITIAL_KEY,
  ECHO_TRAILING_KEY,
  COMPRESSABLE,
  parseFlags,
  usage,
};
