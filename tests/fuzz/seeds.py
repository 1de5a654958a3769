#!/usr/bin/python3
"""tests/fuzz/seeds.py: writes the hand-made seeds of tests/fuzz/corpus/.

    python3 tests/fuzz/seeds.py

deframer, metadata, timeout, target and service_config seeds are spelled out below; plugin
seeds are real CodeGeneratorRequests, dumped by running protoc with a
plugin that saves its stdin. The connection targets' seeds are recorded
conversations (capture.py). Rerun only to refresh the committed files.
"""
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def save(target, name, data):
    os.makedirs(os.path.join(HERE, "corpus", target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, "corpus", target, name), "wb") as f:
        f.write(data)


def msg(body, flag=0, length=None):
    n = len(body) if length is None else length
    return bytes([flag]) + n.to_bytes(4, "big") + body


# deframer: [limit byte: 0x80|n = n bytes, else 4 MiB][chunking seed][payload]
BIG, SMALL8 = b"\x00", b"\x88"
deframer = {
    "one_message": BIG + b"\x07" + msg(b"\x0a\x02hi"),
    "empty_message": BIG + b"\x01" + msg(b""),
    "three_messages": BIG + b"\x33" + msg(b"a") + msg(b"") + msg(b"bcdefgh" * 5),
    "compressed": BIG + b"\x05" + msg(b"\x1f\x8b\x08\x00", flag=1),
    "bad_flag": BIG + b"\x09" + msg(b"x", flag=7),
    "truncated_body": BIG + b"\x11" + msg(b"abc", length=9),
    "truncated_prefix": BIG + b"\x02" + b"\x00\x00\x00",
    "over_small_limit": SMALL8 + b"\x21" + msg(b"ok") + msg(b"123456789"),
    "at_small_limit": SMALL8 + b"\x13" + msg(b"12345678") + msg(b"1"),
    "zero_limit": b"\x80" + b"\x03" + msg(b"") + msg(b"x"),
    "huge_length": BIG + b"\x0b" + b"\x00\x7f\xff\xff\xff" + b"data",
    "callback_fails": BIG + b"\x15" + msg(b"ok") + msg(b"\xeestop") + msg(b"never"),
    "split_large": BIG + b"\x2f" + msg(bytes(range(256)) * 8),
}
for name, data in deframer.items():
    save("deframer", name, data)

# metadata: "key=value" lines.
metadata = {
    "plain": "x-user=alice\nx-request-id=42\nempty=\n",
    "binary": "x-trace-bin=AAECAwQ\nx-pad-bin=AAECAw==\nx-one-bin=/w\nempty-bin=\n",
    "bad_base64": "x-bad-bin=A\nx-bad2-bin=AB=C\nx-bad3-bin=!!!!\nx-pad-bin=QQ=\n",
    "reserved": ":path=/a/b\ngrpc-status=0\ngrpc-message=hi\ncontent-type=application/grpc\nte=trailers\nconnection=close\nuser-agent=x\n",
    "bad_keys": "Upper=v\nsp ace=v\n=novalue\nnokey\nx\xff=v\n",
    "percent": "msg=caf%C3%A9%20ok\nmsg=100%\nmsg=%zz%4\nmsg=%%41%41\n",
    "odd_values": "x-v=tab\there\nx-v=\x01\x7f\xc3\xa9\nx-v=a:b=c\n",
}
for name, data in metadata.items():
    save("metadata", name, data)

# timeout: header values; 8+ bytes also feed crpc_timeout_format.
for name, data in {
    "seconds": "1S", "millis": "100m", "max_hours": "99999999H",
    "nanos": "1n", "micros": "1500u", "minutes": "2M", "zero": "0m",
    "nine_digits": "123456789m", "bad_unit": "10x", "no_digits": "S",
    "leading_space": " 1S", "sign": "-1S",
    "format_1000ms": b"\x00\x00\x00\x00\x00\x00\x03\xe8",
    "format_negative": b"\xff\xff\xff\xff\xff\xff\xff\xfe",
    "format_huge": b"\x7f\xff\xff\xff\xff\xff\xff\xff",
    "format_seconds": b"\x00\x00\x00\x00\x7f\xff\xff\xff",
}.items():
    save("timeout", name, data)

# target: crpc_channel_new's target names.
for name, data in {
    "host_port": "localhost:50051", "host": "example.com",
    "dns": "dns:example.com:443", "dns_authority": "dns://8.8.8.8:53/example.com",
    "dns_empty_authority": "dns:///example.com:80",
    "ipv4_list": "ipv4:127.0.0.1:80,10.0.0.1,192.168.1.1:65535",
    "ipv6_list": "ipv6:[::1]:50051,[fe80::1%25eth0],[2001:db8::1]",
    "bare_ipv6": "::1", "bracketed_ipv6": "[::1]:443",
    "unix": "unix:/tmp/crpc.sock", "unix_abs": "unix:///var/run/crpc.sock",
    "bad_port": "host:99999999", "empty_ipv4": "ipv4:",
    "long_unix": "unix:/" + "a" * 200,
}.items():
    save("target", name, data)

# service_config: crpc_channel_opts_set_service_config's JSON (gRFC A6).
RETRY = ('"retryPolicy":{"maxAttempts":4,"initialBackoff":"0.1s",'
         '"maxBackoff":"1s","backoffMultiplier":2,'
         '"retryableStatusCodes":["UNAVAILABLE",14,"ABORTED"]}')
for name, data in {
    "full": '{"methodConfig":[{"name":[{"service":"a.B","method":"C"},'
            '{"service":"a.D"},{}],"timeout":"1.5s","waitForReady":true,'
            + RETRY + '}],"retryThrottling":{"maxTokens":10,'
            '"tokenRatio":0.1234},"loadBalancingConfig":[{"round_robin":{}}]}',
    "empty": "{}", "not_object": "[1,2]", "not_json": "{\"methodConfig\":[",
    "lb_policy": '{"loadBalancingPolicy":"ROUND_ROBIN"}',
    "lb_config_unknown_first": '{"loadBalancingConfig":[{"grpclb":{}},'
                               '{"pick_first":{}}]}',
    "lb_config_none": '{"loadBalancingConfig":[{"weird":{}}]}',
    "lb_policy_null": '{"loadBalancingPolicy":null}',
    "lb_policy_number": '{"loadBalancingPolicy":7}',
    "durations": '{"methodConfig":[{"name":[{"service":"s"}],'
                 '"timeout":"0.000000001s"},{"name":[{"service":"t"}],'
                 '"timeout":"315576000000.999999999s"}]}',
    "bad_duration": '{"methodConfig":[{"name":[{}],"timeout":"-1s"}]}',
    "method_without_service": '{"methodConfig":[{"name":[{"method":"M"}]}]}',
    "max_attempts_one": '{"methodConfig":[{"name":[{}],' +
                        RETRY.replace('"maxAttempts":4', '"maxAttempts":1') +
                        '}]}',
    "bad_code": '{"methodConfig":[{"name":[{}],' +
                RETRY.replace('14', '"OK"') + '}]}',
    "throttling_tiny_ratio": '{"retryThrottling":{"maxTokens":1,'
                             '"tokenRatio":0.0001}}',
    "throttling_null": '{"retryThrottling":{"maxTokens":null,'
                       '"tokenRatio":null}}',
    "names_null": '{"methodConfig":[{"name":[null]},null]}',
}.items():
    save("service_config", name, data)

# plugin: what protoc really sends.
with tempfile.TemporaryDirectory() as tmp:
    dump = os.path.join(tmp, "protoc-gen-dump")
    with open(dump, "w") as f:
        f.write("#!/bin/sh\ncat > \"$DUMP_TO\"\n")
    os.chmod(dump, 0o755)
    protos = {
        "testsvc": ("tests/integration", "testsvc.proto"),
        "streamsvc": ("tests/integration", "streamsvc.proto"),
        "shop_users": ("tests/protoc/proto", "shop/users.proto"),
        "plain": ("tests/protoc/proto", "plain.proto"),
        "clash_service": ("tests/protoc/bad", "clash_service.proto"),
        "c_keyword": ("tests/protoc/bad", "c_keyword.proto"),
    }
    for name, (incl, proto) in protos.items():
        out = os.path.join(HERE, "corpus", "plugin", name)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run(["protoc", "--plugin=protoc-gen-dump=" + dump,
                        "--dump_out=" + tmp, "-I" + os.path.join(TOP, incl),
                        proto], check=True, env=dict(os.environ, DUMP_TO=out))
