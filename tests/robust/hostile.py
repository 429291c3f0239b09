#!/usr/bin/env python3
"""Hostile clients of supportgrantd, the heavy versions (tests/daemon has the basic checks).

Run as root by tests/robust/run.sh against a running daemon. The attacks run in a child
process that drops to an unprivileged local user (--attacker); meanwhile this process is
the well-behaved client: every 100 ms a fresh connection and a List call as root, plus now
and then the real CLI as a customer (--as), each of which must be answered within 1 second.
The daemon's VmRSS is sampled all along and must stay within the bound computed below.

Phases: oversized messages, truncated messages, invalid JSON, deep nesting, wrong types,
a thousand idle connections, clients that stop reading a large stream or pipelined replies,
and a flood: several processes opening silent connections as fast as they can (then the CLI
runs repeatedly, as root and as the customer, and every call must succeed within 1 second).
"""
import argparse
import json
import os
import pwd
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

# helper/daemon/server.h and common/varlink.h
MAX_CONNECTIONS = 256
MAX_CONNECTIONS_PER_UID = 16
REQUEST_MAX = 64 * 1024
OUT_HIGH_WATER = 1024 * 1024
LATENCY_LIMIT = 1.0

N_SLOW = 16  # connections that stop reading
N_FLOOD = 4  # processes that open silent connections as fast as they can
FLOOD_KEEP = 400  # connections each of them keeps open (the oldest are closed)
CLI_RUNS = 6  # CLI calls per user while the flood goes on


def connect(path, timeout=5.0):
    """Connects as common/varlink.c does: a full backlog (EAGAIN) is retried until the
    timeout, since a Unix socket does not queue the connect() itself."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            if time.monotonic() >= deadline:
                s.close()
                raise
            time.sleep(0.01)


def recv_message(s, limit=16 << 20):
    buf = b""
    while b"\0" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return None if not buf else json.loads(buf)
        buf += chunk
        if len(buf) > limit:
            raise ValueError("reply too large")
    return json.loads(buf.split(b"\0", 1)[0])


def call(path, method, params=None, timeout=5.0):
    s = connect(path, timeout)
    try:
        msg = {"method": method}
        if params is not None:
            msg["parameters"] = params
        s.sendall(json.dumps(msg).encode() + b"\0")
        return recv_message(s)
    finally:
        s.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# ---- the attacker (child process, unprivileged) ---------------------------------------------

def expect_error_and_close(s, what, errors):
    """The daemon answers a broken message with an error and hangs up."""
    try:
        reply = recv_message(s)
    except (ConnectionResetError, BrokenPipeError):
        reply = None
    if reply is not None and "error" not in reply:
        errors.append(f"{what}: not an error reply: {reply}")
    try:
        rest = s.recv(1)
    except (ConnectionResetError, socket.timeout):
        rest = b""
    if rest != b"":
        errors.append(f"{what}: the connection stayed open")


def attack(path, phase):
    errors = []
    held = []

    def hold():
        # Tell the parent the attack is in place, then wait until it has measured.
        print("holding", flush=True)
        sys.stdin.readline()

    if phase == "oversized":
        # Several clients at once push far more than the request limit without a NUL.
        socks = [connect(path) for _ in range(8)]
        junk = b'{"method":"io.supportgrant.Ping","parameters":{"x":"' + b"A" * (4 << 20)
        for s in socks:
            try:
                s.sendall(junk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the daemon hung up once it had seen enough: that is the point
        hold()
        for s in socks:
            s.settimeout(5)
            try:
                reply = recv_message(s)
            except (ConnectionResetError, BrokenPipeError):
                reply = None  # reset because unread junk was pending: also a hang-up
            if reply is not None and "larger than" not in json.dumps(reply):
                errors.append(f"oversized: unexpected reply {reply}")
        # One complete message just over the limit.
        s = connect(path)
        big = json.dumps({"method": "io.supportgrant.Ping",
                          "parameters": {"x": "B" * REQUEST_MAX}}).encode() + b"\0"
        try:
            s.sendall(big)
        except (BrokenPipeError, ConnectionResetError):
            pass
        expect_error_and_close(s, "oversized complete", errors)
    elif phase == "truncated":
        # Half a message, then hang up; half a message, then silence (held open).
        for cut in (1, 10, 25):
            s = connect(path)
            s.sendall(b'{"method":"io.supportgrant.List"}'[:cut])
            s.close()
        # As many as one user may hold (the daemon may still be closing the three above, so
        # the last few may be refused: a refusal is a hang-up, which is fine here).
        for _ in range(MAX_CONNECTIONS_PER_UID):
            s = connect(path)
            try:
                s.sendall(b'{"method":"io.supportgrant.Li')
            except (BrokenPipeError, ConnectionResetError):
                pass
            held.append(s)
        hold()
    elif phase == "invalid":
        for bad in (b'{"method":', b"\xff\xfe\x00garbage", b"null", b"[]", b'"str"', b"1e999",
                    b'{"method":"io.supportgrant.Ping"}{"x":1}', b'{"a":1,}'):
            s = connect(path)
            s.sendall(bad + b"\0")
            expect_error_and_close(s, f"invalid {bad[:20]!r}", errors)
        hold()
    elif phase == "deep":
        for depth in (17, 1000, 30000):
            for doc in (b"[" * depth + b"]" * depth,
                        b'{"a":' * depth + b"1" + b"}" * depth,
                        b'{"method":"io.supportgrant.Ping","parameters":' +
                        b'{"a":' * depth + b"1" + b"}" * (depth + 1)):
                if len(doc) >= REQUEST_MAX:
                    doc = doc[:REQUEST_MAX - 1]
                s = connect(path)
                s.sendall(doc + b"\0")
                expect_error_and_close(s, f"deep {depth}", errors)
        hold()
    elif phase == "types":
        cases = [
            {"method": 42},
            {"method": None},
            {"method": "io.supportgrant.Ping", "parameters": "x"},
            {"method": "io.supportgrant.Ping", "parameters": []},
            {"method": "io.supportgrant.Grant", "parameters": {"kind": 1, "target": "jdoe"}},
            {"method": "io.supportgrant.Grant", "parameters": {"kind": "user", "target": ["jdoe"]}},
            {"method": "io.supportgrant.Grant",
             "parameters": {"kind": "user", "target": "jdoe", "export": "yes"}},
            {"method": "io.supportgrant.Grant",
             "parameters": {"kind": "user", "target": "jdoe", "period": 3600}},
            {"method": "io.supportgrant.Grant",
             "parameters": {"kind": "user", "target": "../../etc/passwd"}},
            {"method": "io.supportgrant.Grant",
             "parameters": {"kind": "user", "target": "jdoe", "note": "\u001b[2J"}},
            {"method": "io.supportgrant.Revoke", "parameters": {"ids": "1"}},
            {"method": "io.supportgrant.Revoke", "parameters": {"ids": [1.5, -1, 1e300]}},
            {"method": "io.supportgrant.Revoke", "parameters": {"ids": [9223372036854775807]}},
            {"method": "io.supportgrant.Logins", "parameters": {"limit": -1}},
            {"method": "io.supportgrant.Logins", "parameters": {"limit": 1e30}},
            {"method": "io.supportgrant.Logins", "parameters": {"since": 0}},
            {"method": "io.supportgrant.History", "parameters": {"since": "yesterday-ish"}},
            {"method": "io.supportgrant.Activate", "parameters": {"code": {"a": 1}}},
            {"method": "io.supportgrant.SetRight", "parameters": {"user": "mallory", "holds": 1}},
            {"method": "io.supportgrant.SetRight", "parameters": {"user": "mallory", "holds": True}},
            {"method": "io.supportgrant.NoSuchMethod"},
            {"method": "org.varlink.service.GetInterfaceDescription",
             "parameters": {"interface": 7}},
        ]
        # All on one connection: a wrong call is answered with an error and the next is served.
        s = connect(path)
        for c in cases:
            s.sendall(json.dumps(c).encode() + b"\0")
            reply = recv_message(s)
            if reply is None:
                # Only a request that is not varlink at all may end the connection.
                s = connect(path)
                continue
            if "error" not in reply:
                errors.append(f"types: {c} was accepted: {reply}")
        s.sendall(b'{"method":"io.supportgrant.Ping"}\0')
        if recv_message(s) != {"parameters": {}}:
            errors.append("types: Ping after the wrong calls failed")
        hold()
    elif phase == "idle":
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        for _ in range(1000):
            held.append(connect(path))
        hold()
        closed = 0
        for s in held:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except ConnectionResetError:
                closed += 1
        print(f"idle: {closed} of 1000 idle connections closed by the daemon", flush=True)
        if 1000 - closed > MAX_CONNECTIONS_PER_UID:
            errors.append(f"idle: {1000 - closed} idle connections still open "
                          f"(one uid may hold {MAX_CONNECTIONS_PER_UID})")
    elif phase == "flood":
        # Like a connect flood from a shell account: processes that open connections without
        # waiting for them and never send a byte, keeping the newest FLOOD_KEEP open.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        children = []
        for _ in range(N_FLOOD):
            pid = os.fork()
            if pid == 0:
                keep = []
                stop_at = time.monotonic() + 60  # should the parent be gone
                try:
                    while time.monotonic() < stop_at:
                        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                        s.setblocking(False)
                        try:
                            s.connect(path)
                        except (BlockingIOError, InterruptedError):
                            pass
                        except OSError:
                            s.close()
                            continue
                        keep.append(s)
                        if len(keep) > FLOOD_KEEP:
                            keep.pop(0).close()
                finally:
                    os._exit(0)
            children.append(pid)
        time.sleep(1.0)  # the flood is under way
        hold()
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    elif phase == "noread":
        # Streams nobody reads, and pipelined calls whose replies nobody reads.
        for i in range(N_SLOW):
            # A connection the daemon refused (this uid still at its cap from the flood phase,
            # being closed) is tried again, as any client would.
            for _ in range(50):
                s = connect(path)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                try:
                    s.sendall(b'{"method":"io.supportgrant.Ping"}\0')
                    if s.recv(64):
                        break
                except OSError:
                    pass
                s.close()
                time.sleep(0.1)
            if i % 2 == 0:
                s.sendall(b'{"method":"io.supportgrant.Logins","more":true}\0')
            else:
                req = b'{"method":"io.supportgrant.Logins","parameters":{"limit":1000}}\0'
                s.setblocking(False)
                try:
                    for _ in range(4000):
                        s.send(req)
                except BlockingIOError:
                    pass  # the daemon stopped reading: backpressure works
            held.append(s)
        hold()
    else:
        errors.append(f"unknown phase {phase}")

    for e in errors:
        print(f"ERROR {e}", flush=True)
    print("done", flush=True)
    return 1 if errors else 0


# ---- the well-behaved client and the judge (parent, root) ------------------------------------

class Monitor(threading.Thread):
    def __init__(self, path, pid):
        super().__init__(daemon=True)
        self.path, self.pid = path, pid
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.max_latency = 0.0
            self.calls = 0
            self.failures = []
            self.max_rss = 0

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                reply = call(self.path, "io.supportgrant.List", timeout=LATENCY_LIMIT * 3)
                ok = reply is not None and "error" not in reply
                why = f"reply {reply}"
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                ok, why = False, repr(e)
            dt = time.monotonic() - t0
            rss = rss_kib(self.pid)
            with self.lock:
                self.calls += 1
                self.max_latency = max(self.max_latency, dt)
                self.max_rss = max(self.max_rss, rss)
                if not ok:
                    self.failures.append(why)
            time.sleep(0.1)


def listen_backlog(path):
    """Connections waiting in the listening socket's queue (ss: Recv-Q)."""
    out = subprocess.run(["ss", "-xlH", "src", path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[2].isdigit():
            return int(f[2])
    return 0


def socket_fds(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except FileNotFoundError:
            pass
    return n


def run_cli(cli, user):
    t0 = time.monotonic()
    p = subprocess.run(["runuser", "-u", user, "--", cli, "list"], capture_output=True,
                       timeout=30)
    return p.returncode, time.monotonic() - t0, p.stderr.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--attacker")
    ap.add_argument("--cli")
    ap.add_argument("--as", dest="as_user")
    ap.add_argument("--phase")
    args = ap.parse_args()

    if args.phase:
        return attack(args.socket, args.phase)

    failures = 0
    mon = Monitor(args.socket, args.pid)
    # Warm up (SQLite, NSS, allocator) before taking the baseline.
    for _ in range(20):
        call(args.socket, "io.supportgrant.List")
    base = rss_kib(args.pid)
    mon.start()
    pw = pwd.getpwnam(args.attacker)

    def drop():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    overall_max = base
    for phase in ("oversized", "truncated", "invalid", "deep", "types", "idle", "flood", "noread"):
        mon.reset()
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--socket",
                              args.socket, "--phase", phase], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, preexec_fn=drop)
        line = p.stdout.readline().strip()
        if line != "holding":
            print(f"FAIL - {phase}: the attacker did not get going: {line}")
            failures += 1
        # Measure while the attack holds.
        time.sleep(2.0)
        if phase == "flood":
            # The customer who wants to revoke now, and root: every call must get through.
            cli_rc, cli_t, cli_err = 0, 0.0, ""
            cli_what = f"{2 * CLI_RUNS} CLI calls as root and {args.as_user}, slowest"
            for i in range(2 * CLI_RUNS):
                who = args.as_user if i % 2 else "root"
                rc, t, err = run_cli(args.cli, who)
                cli_t = max(cli_t, t)
                if (rc != 0 or t >= LATENCY_LIMIT) and not cli_rc:
                    cli_rc, cli_err = rc or 1, f"call {i + 1} as {who}: exit {rc}: {err}"
            # The flood holds no more of the daemon than one uid may (plus the listening socket,
            # the log stream and the well-behaved client's connection).
            n_sock = socket_fds(args.pid)
            if n_sock > MAX_CONNECTIONS_PER_UID + 8:
                flood_problem = (f"the daemon holds {n_sock} sockets under the flood "
                                 f"(one uid may hold {MAX_CONNECTIONS_PER_UID})")
            else:
                flood_problem = None
            print(f"     flood: the daemon holds {n_sock} sockets")
        else:
            cli_rc, cli_t, cli_err = run_cli(args.cli, args.as_user)
            cli_what = "CLI"
        time.sleep(0.5)
        p.stdin.write("\n")
        p.stdin.flush()
        out, _ = p.communicate(timeout=60)
        # The next phase starts from a quiet daemon: connections of this one that were still
        # queued or being closed would count against the attacker's per-uid cap.
        deadline = time.monotonic() + 10
        while ((socket_fds(args.pid) > 8 or listen_backlog(args.socket) > 0)
               and time.monotonic() < deadline):
            time.sleep(0.1)
        with mon.lock:
            lat, calls, fails, rss = mon.max_latency, mon.calls, list(mon.failures), mon.max_rss
        overall_max = max(overall_max, rss)
        problems = [x for x in out.splitlines() if x.startswith("ERROR")]
        problems += [f"well-behaved client: {f}" for f in fails[:3]]
        if phase == "flood" and flood_problem:
            problems.append(flood_problem)
        if lat >= LATENCY_LIMIT:
            problems.append(f"well-behaved client waited {lat:.3f} s")
        if calls < 10:
            problems.append(f"well-behaved client got only {calls} answers")
        if cli_rc != 0 or cli_t >= LATENCY_LIMIT:
            problems.append(f"supportgrant list: exit {cli_rc} after {cli_t:.3f} s: {cli_err}")
        if p.returncode not in (0, 1):
            problems.append(f"attacker exited {p.returncode}")
        for x in out.splitlines():
            if x.startswith("idle:"):
                print(f"     {x}")
        status = "FAIL" if problems else "ok  "
        print(f"{status} - hostile {phase}: {calls} answers to the well-behaved client, slowest "
              f"{lat * 1000:.0f} ms; {cli_what} {cli_t * 1000:.0f} ms; daemon VmRSS max {rss} KiB")
        for x in problems:
            print(f"       {x}")
        failures += bool(problems)

    mon.stop.set()
    mon.join()

    # A client that pipelines (many calls in one write, then reads) gets every reply, in
    # order: one request per turn must not strand the ones queued behind it.
    s = connect(args.socket)
    calls = []
    for i in range(60):
        calls.append("io.supportgrant.List" if i % 10 == 9 else "io.supportgrant.Ping")
    t0 = time.monotonic()
    s.sendall(b"".join(json.dumps({"method": m}).encode() + b"\0" for m in calls))
    buf, got = b"", []
    while len(got) < len(calls):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
        while b"\0" in buf:
            msg, buf = buf.split(b"\0", 1)
            got.append(json.loads(msg))
    dt = time.monotonic() - t0
    s.close()
    kinds = ["grants" if "grants" in g.get("parameters", {}) else
             ("ping" if g == {"parameters": {}} else "other") for g in got]
    want = ["grants" if m.endswith("List") else "ping" for m in calls]
    ok = kinds == want and dt < LATENCY_LIMIT
    print(f"{'ok  ' if ok else 'FAIL'} - pipelined: {len(got)} of {len(calls)} replies in "
          f"order in {dt * 1000:.0f} ms")
    failures += not ok
    # The bound: what the daemon may hold by design for the connections of this test. Each
    # slow connection: its output buffer, which holds the unread replies (one Logins reply of
    # at most 1000 rows, or one page of a stream; the old high-water mark of 1 MiB bounds
    # either) and grows by doubling, so at most 2 MiB, plus slack for the reply being built;
    # its input buffer, at most the request limit plus 8 KiB. Idle connections (at most 256
    # stay) cost a few KiB each. Plus 32 MiB for the allocator and sanitizer bookkeeping
    # (run.sh caps ASan's quarantine at 16 MiB).
    per_slow = 2 * OUT_HIGH_WATER + 512 * 1024 + REQUEST_MAX + 8192
    bound = base + (N_SLOW * per_slow + MAX_CONNECTIONS * 8192 + 32 * 1024 * 1024) // 1024
    verdict = "ok  " if overall_max <= bound else "FAIL"
    print(f"{verdict} - daemon VmRSS: baseline {base} KiB, max {overall_max} KiB, bound {bound} KiB")
    failures += overall_max > bound
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
