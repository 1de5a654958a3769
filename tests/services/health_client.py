"""tests/services/health_client.py: grpcio client of crpc's
grpc.health.v1.Health, run by health_test.sh against services_server.

Checks Check, Watch (every change, SERVICE_UNKNOWN for a name not set yet),
NOT_FOUND for unknown names, and, last, sends the server SIGTERM and checks
that every Watch gets NOT_SERVING and ends. svctest.Echo/SetHealth changes
statuses. Exits 0 when all checks pass.
"""
import argparse
import os
import queue
import signal
import sys
import threading

import grpc

import health_v1_pb2 as hpb
import health_v1_pb2_grpc
from svctest import echo_pb2, echo_pb2_grpc

Status = hpb.HealthCheckResponse
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class Watch:
    """A Watch call whose messages a thread puts in a queue; END at the end."""
    END = "end"

    def __init__(self, stub, service):
        self.q = queue.Queue()
        self.call = stub.Watch(hpb.HealthCheckRequest(service=service),
                               timeout=50)
        self.code = None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            for msg in self.call:
                self.q.put(msg.status)
        except grpc.RpcError as e:
            self.code = e.code()
        self.q.put(self.END)

    def next(self):
        try:
            return self.q.get(timeout=10)
        except queue.Empty:
            return "nothing within 10 s"

    def is_quiet(self, seconds=0.3):
        try:
            self.q.get(timeout=seconds)
            return False
        except queue.Empty:
            return True


def name(status):
    return Status.ServingStatus.Name(status) if isinstance(status, int) \
        else status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server_pid", type=int, required=True)
    args = parser.parse_args()
    channel = grpc.insecure_channel("127.0.0.1:%d" % args.port)
    grpc.channel_ready_future(channel).result(timeout=10)
    health = health_v1_pb2_grpc.HealthStub(channel)
    echo = echo_pb2_grpc.EchoStub(channel)

    def set_status(service, status):
        echo.SetHealth(echo_pb2.SetHealthRequest(service=service,
                                                 status=status), timeout=10)

    def check_status(service):
        try:
            return health.Check(hpb.HealthCheckRequest(service=service),
                                timeout=10).status
        except grpc.RpcError as e:
            return e.code()

    check(check_status("") == Status.SERVING, 'Check "": SERVING')
    check(check_status("svctest.Echo") == Status.SERVING,
          "Check svctest.Echo: SERVING")
    check(check_status("no.Such") == grpc.StatusCode.NOT_FOUND,
          "Check no.Such: NOT_FOUND")

    w = Watch(health, "svctest.Echo")
    check(w.next() == Status.SERVING, "Watch svctest.Echo: SERVING at once")
    set_status("svctest.Echo", Status.NOT_SERVING)
    check(w.next() == Status.NOT_SERVING, "Watch: the change to NOT_SERVING")
    check(check_status("svctest.Echo") == Status.NOT_SERVING,
          "Check svctest.Echo: NOT_SERVING")
    for status in (Status.SERVING, Status.NOT_SERVING, Status.SERVING):
        set_status("svctest.Echo", status)
    got = [name(w.next()) for _ in range(3)]
    check(got == ["SERVING", "NOT_SERVING", "SERVING"],
          "Watch: every one of three quick changes: %s" % got)
    set_status("svctest.Echo", Status.SERVING)
    check(w.is_quiet(), "Watch: setting the same status sends nothing")

    later = Watch(health, "later.Service")
    check(later.next() == Status.SERVICE_UNKNOWN,
          "Watch of an unknown name: SERVICE_UNKNOWN")
    check(later.is_quiet(), "...and the call stays open")
    set_status("later.Service", Status.SERVING)
    check(later.next() == Status.SERVING,
          "Watch: the name, once set, sends SERVING")
    check(check_status("later.Service") == Status.SERVING,
          "Check later.Service: SERVING")

    # A cancelled Watch ends on the server (its handler thread returns).
    gone = Watch(health, "")
    check(gone.next() == Status.SERVING, 'Watch "": SERVING')
    gone.call.cancel()
    check(gone.next() == Watch.END, "a cancelled Watch ends")

    overall = Watch(health, "")
    check(overall.next() == Status.SERVING, 'Watch "": SERVING')
    unknown = Watch(health, "never.Set")
    check(unknown.next() == Status.SERVICE_UNKNOWN,
          "Watch never.Set: SERVICE_UNKNOWN")

    os.kill(args.server_pid, signal.SIGTERM)
    for label, watch in [("svctest.Echo", w), ("later.Service", later),
                         ('""', overall)]:
        got = watch.next()
        check(got == Status.NOT_SERVING,
              "shutdown: Watch %s gets NOT_SERVING (%s)" % (label, name(got)))
        check(watch.next() == Watch.END,
              "shutdown: Watch %s ends (%s)" % (label, watch.code))
    check(unknown.next() == Watch.END, "shutdown: Watch never.Set ends")
    channel.close()

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all health checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
