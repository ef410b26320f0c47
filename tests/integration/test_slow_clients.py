"""Slow clients (slowloris): far more slow connections than the server has workers, of four kinds:
headers dribbled a byte at a time and never finished, connections that send nothing, small bodies
never finished, and large bodies dribbled after a quick start. A normal client must be served
throughout, and every slow connection must be cut: by 408 once its head or its body is late, or by
a silent close once an idle connection passes the keep-alive timeout.

More than 1024 connections are open at once in the default mode, so the server also handles
descriptors past select()'s limit. VIGIL_LONG_TESTS=1 opens five times as many."""
import os
import resource
import socket
import statistics
import threading
import time

from harness import DEV_KEY

LONG = os.environ.get("VIGIL_LONG_TESTS") == "1"
SCALE = 5 if LONG else 1
WORKERS = 8
HEAD_TIMEOUT_S = 10   # limits::kRequestHeadTimeoutSec
BODY_TIMEOUT_S = 30   # limits::kRequestBodyTimeoutSec
IDLE_TIMEOUT_S = 5    # limits::kKeepAliveTimeoutSec
ADMIN_TOKEN = "slow-clients-admin-token-" + "s" * 32
KINDS = {"head dribble": 400 * SCALE, "idle": 400 * SCALE, "small body unfinished": 300 * SCALE,
         "large body dribble": WORKERS // 2}
HEAD = (b"POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + DEV_KEY.encode() +
        b"\r\nContent-Type: application/json\r\n")


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    return s


def test_slow_connections_are_cut_and_never_starve_a_normal_client(make_server):
    total = sum(KINDS.values())
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < total + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, total + 1024), hard))
    s = make_server(env={"VIGIL_HTTP_THREADS": str(WORKERS), "VIGIL_ADMIN_TOKEN": ADMIN_TOKEN})
    conns = []  # (kind, socket, opened at)
    t0 = time.time()
    for kind, n in KINDS.items():
        for _ in range(n):
            c = connect(s.port)
            if kind == "head dribble":
                c.send(HEAD[:20])
            elif kind == "small body unfinished":
                c.send(HEAD + b"Content-Length: 10000\r\n\r\n[{\"event_id\":")
            elif kind == "large body dribble":
                c.send(HEAD + b"Content-Length: 1000000\r\n\r\n[" + b" " * 32768)
            conns.append([kind, c, time.time(), None, b""])
    opened_in = time.time() - t0

    stop = threading.Event()

    def dribble():
        # One more byte per second on every head and large-body dribbler, as slowloris does.
        i = 20
        while not stop.is_set():
            for conn in conns:
                kind, c, _, cut, _ = conn
                if cut is None and kind in ("head dribble", "large body dribble"):
                    try:
                        c.send(HEAD[i % len(HEAD):i % len(HEAD) + 1] if kind == "head dribble"
                               else b" ")
                    except (BlockingIOError, OSError):
                        pass
            i += 1
            stop.wait(1.0)

    def watch():
        # Records when each slow connection is closed by the server, and what it was told.
        while not stop.is_set():
            for conn in conns:
                if conn[3] is not None:
                    continue
                try:
                    data = conn[1].recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    conn[4] += data
                    if b"\r\n\r\n" not in conn[4]:
                        continue
                conn[3] = time.time()
                conn[1].close()
            stop.wait(0.05)

    threads = [threading.Thread(target=dribble), threading.Thread(target=watch)]
    for t in threads:
        t.start()
    latencies, statuses = [], []
    try:
        # A normal client keeps working while the slow ones sit on the server: a fresh connection
        # for every request, alternating a read and an ingest batch.
        deadline = time.time() + BODY_TIMEOUT_S + 15
        n = 0
        while time.time() < deadline:
            client = s.client()
            begin = time.time()
            if n % 2:
                r = client.get("/health", auth=False)
            else:
                r = client.post("/events", [{"event_id": f"normal-{n}-{i}", "execution_id":
                                             f"normal-{n}", "event_type": "x"} for i in range(20)])
            latencies.append(time.time() - begin)
            statuses.append(r.status)
            client.close()
            n += 1
            if all(conn[3] is not None for conn in conns):
                break
            time.sleep(0.25)
    finally:
        stop.set()
        for t in threads:
            t.join()
    metrics = s.client(key=ADMIN_TOKEN).get("/metrics").body
    cut_metric = [l for l in metrics.splitlines() if l.startswith("vigil_slow_requests_cut_total")]
    by_kind = {}
    for kind, c, opened, cut, data in conns:
        k = by_kind.setdefault(kind, {"n": 0, "408": 0, "closed": 0, "open": 0, "after": []})
        k["n"] += 1
        if cut is None:
            k["open"] += 1
            c.close()
            continue
        k["408" if data.startswith(b"HTTP/1.1 408") else "closed"] += 1
        k["after"].append(cut - opened)
    print(f"\nslow clients: {total} slow connections opened in {opened_in:.1f} s against "
          f"{WORKERS} workers; normal client {len(statuses)} requests, statuses "
          f"{sorted(set(statuses))}, latency median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms; {cut_metric[0] if cut_metric else ''}")
    for kind, k in by_kind.items():
        after = k["after"] or [0]
        print(f"  {kind}: {k['n']} connections, {k['408']} answered 408, {k['closed']} closed "
              f"silently, {k['open']} still open; cut after {min(after):.1f}-{max(after):.1f} s")
    assert set(statuses) == {200}
    # Generous: a normal request never waits for a slow client's deadline.
    assert max(latencies) < HEAD_TIMEOUT_S / 2
    for kind, k in by_kind.items():
        assert k["open"] == 0, (kind, k)
    assert by_kind["head dribble"]["408"] == KINDS["head dribble"]
    assert by_kind["small body unfinished"]["408"] == KINDS["small body unfinished"]
    assert by_kind["large body dribble"]["408"] == KINDS["large body dribble"]
    assert max(by_kind["head dribble"]["after"]) < HEAD_TIMEOUT_S + 10
    assert min(by_kind["idle"]["after"]) >= IDLE_TIMEOUT_S - 1
    assert max(by_kind["large body dribble"]["after"]) < BODY_TIMEOUT_S + 10


def read_head(sock):
    """The status line and headers of one response (the body is not read)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_a_body_is_accepted_only_after_its_head_passed_size_and_auth(make_server):
    # Issue 20 (1): a request whose body has not arrived is size- and auth-checked from its head,
    # answered at once when refused, and `100 Continue` comes only after those checks.
    s = make_server(env={"VIGIL_HTTP_THREADS": "2"})
    body = b'[{"event_id":"e-1","execution_id":"x-1","event_type":"x"}]'
    cases = [  # (Authorization, Content-Length, Expect, what the head alone gets)
        (b"Bearer vigil_sk_wrong", 1000000, False, b"HTTP/1.1 401"),
        (b"Bearer vigil_sk_wrong", len(body), True, b"HTTP/1.1 401"),
        (b"Bearer " + DEV_KEY.encode(), 1 << 40, True, b"HTTP/1.1 413"),
        (b"Bearer " + DEV_KEY.encode(), len(body), True, b"HTTP/1.1 100 Continue"),
    ]
    for auth, length, expect, want in cases:
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: " + auth + b"\r\nContent-Length: " + str(length).encode() +
                  (b"\r\nExpect: 100-continue" if expect else b"") + b"\r\n\r\n")
        begin = time.time()
        head = read_head(c)
        assert head.startswith(want), (want, head)
        assert time.time() - begin < 2  # answered from the head, not after a deadline
        if want.endswith(b"Continue"):
            c.sendall(body)
            assert read_head(c).startswith(b"HTTP/1.1 200")
        else:
            assert b"Connection: close" in head
        c.close()
