"""Halt channel over a real SSE connection (docs/api.md#request-a-halt, docs/api.md#halt-stream, docs/detection.md#auto-halt)."""
import json
import socket
import struct
import threading
import time
import uuid

import pytest

from harness import DEV_KEY, new_project_client


class SseStream:
    """A raw HTTP/1.1 SSE client: reads chunked frames as they arrive."""

    def __init__(self, port, execution_id, key=DEV_KEY):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall((f"GET /executions/{execution_id}/halt-stream HTTP/1.1\r\nHost: x\r\n"
                           f"Authorization: Bearer {key}\r\nX-Mesedi-Schema-Version: 1\r\n\r\n").encode())
        self.buf = b""
        self.closed = False
        head = self._read_until(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1])
        self.headers = {}
        for line in head.split(b"\r\n")[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                self.headers[k.strip().lower().decode()] = v.strip().decode()

    def _read_until(self, marker, timeout=10):
        deadline = time.time() + timeout
        while marker not in self.buf:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed = True
                raise EOFError(self.buf)
            self.buf += chunk
        out, _, self.buf = self.buf.partition(marker)
        return out

    def frames(self, timeout=10):
        """Yields SSE frames (text between blank lines), decoding the chunked framing."""
        text = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                size_line = self._read_until(b"\r\n", timeout=deadline - time.time())
            except (EOFError, socket.timeout):
                return
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                self.closed = True
                return
            while len(self.buf) < size + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                self.buf += chunk
            text += self.buf[:size]
            self.buf = self.buf[size + 2:]
            while b"\n\n" in text:
                frame, _, text = text.partition(b"\n\n")
                yield frame.decode()

    def close(self):
        self.sock.close()


def new_exec(client, **body):
    eid = "h-" + uuid.uuid4().hex[:10]
    assert client.post("/executions", dict({"execution_id": eid}, **body)).status == 200
    return eid


def test_subscribe_then_halt_delivers_frame_and_closes(server, client):
    eid = new_exec(client)
    s = SseStream(server.port, eid)
    assert s.status == 200
    assert s.headers["content-type"] == "text/event-stream"
    assert s.headers["cache-control"] == "no-cache, no-transform"
    assert s.headers["x-accel-buffering"] == "no"
    assert "x-ratelimit-limit" in s.headers
    frames = s.frames()
    assert next(frames) == f": subscribed execution={eid}"
    r = client.post(f"/executions/{eid}/halt", {"reason": 'stop "now"'})
    assert r.json == {"ok": True, "notified": 1, "pending": False}
    assert next(frames) == 'event: halt\ndata: {"reason":"stop \\"now\\""}'
    assert list(frames) == [] and s.closed
    s.close()


def test_halt_before_subscribe_is_delivered_on_subscribe(server, client):
    eid = new_exec(client)
    r = client.post(f"/executions/{eid}/halt")
    assert r.json == {"ok": True, "notified": 0, "pending": True}
    s = SseStream(server.port, eid)
    frames = list(s.frames())
    assert frames == [f": subscribed execution={eid}",
                      'event: halt\ndata: {"reason":"halt requested via API"}']
    s.close()


def test_stream_accepted_before_execution_exists(server, client):
    eid = "later-" + uuid.uuid4().hex[:8]
    s = SseStream(server.port, eid)
    frames = s.frames()
    assert next(frames) == f": subscribed execution={eid}"
    client.post("/executions", {"execution_id": eid})
    assert client.post(f"/executions/{eid}/halt", {"reason": "x"}).json["notified"] == 1
    assert next(frames).startswith("event: halt")
    s.close()


def test_halt_before_the_create_arrives_reaches_an_open_stream(server, client):
    eid = "inflight-" + uuid.uuid4().hex[:8]
    s = SseStream(server.port, eid)
    frames = s.frames()
    assert next(frames) == f": subscribed execution={eid}"
    r = client.post(f"/executions/{eid}/halt", {"reason": "stop early"})
    assert r.status == 200 and r.json == {"ok": True, "notified": 1, "pending": False}
    assert next(frames) == 'event: halt\ndata: {"reason":"stop early"}'
    s.close()


def test_halt_before_the_create_without_a_stream_says_retry_and_a_retry_works(client):
    eid = "inflight-" + uuid.uuid4().hex[:8]
    r = client.post(f"/executions/{eid}/halt", {"reason": "stop"})
    assert r.status == 404 and "retry" in r.json["error"]
    assert r.headers["retry-after"] == "1"
    client.post("/executions", {"execution_id": eid})  # the create lands
    r = client.post(f"/executions/{eid}/halt", {"reason": "stop"})
    assert r.json == {"ok": True, "notified": 0, "pending": True}


def test_halt_of_unknown_or_terminal_execution(client):
    assert client.post("/executions/nope-nope/halt").status == 404
    eid = new_exec(client)
    client.patch(f"/executions/{eid}", {"status": "completed"})
    r = client.post(f"/executions/{eid}/halt")
    assert r.json == {"ok": True, "notified": 0, "pending": False}
    r = client.post(f"/executions/{eid}/halt", {"reason": "r" * 1025})
    assert r.status == 400


def test_keepalive_comments_while_waiting(make_server):
    s = make_server(env={"VIGIL_SSE_KEEPALIVE_S": "1"})
    c = s.client()
    eid = new_exec(c)
    st = SseStream(s.port, eid)
    frames = st.frames(timeout=5)
    assert next(frames).startswith(": subscribed")
    assert next(frames) == ": keepalive"
    st.close()


def test_stream_bounds_answer_503(make_server):
    s = make_server(env={"VIGIL_SSE_MAX_PER_PROJECT": "2", "VIGIL_SSE_MAX": "3"})
    c = s.client()
    open_streams = [SseStream(s.port, f"b-{i}") for i in range(2)]
    r = c.get("/executions/b-3/halt-stream")
    assert r.status == 503 and r.headers["content-type"] == "application/json"
    assert r.json == {"ok": False, "error": "too many halt streams"}
    assert r.headers["retry-after"] == "5"
    for st in open_streams:
        st.close()


def test_four_projects_at_their_stream_cap_leave_room_for_a_fifth(make_server):
    # Four projects at a per-project cap of 10 would fill a total of 40; the reserve keeps the last
    # quarter for projects holding few streams (docs/operations.md#halt-stream-shares).
    s = make_server(env={"VIGIL_SSE_MAX_PER_PROJECT": "10", "VIGIL_SSE_MAX": "40",
                         "VIGIL_TRUSTED_PROXY_HEADER": "X-Test-Client-IP"})
    projects = [new_project_client(s, f"sse{i}-") for i in range(5)]
    held = []
    for p in projects[:4]:
        while True:
            st = SseStream(s.port, f"big-{len(held)}", key=p.info["api_key"])
            if st.status != 200:
                assert st.status == 503 and st.headers["retry-after"] == "5"
                st.close()
                break
            held.append(st)
    assert len(held) >= 30  # three projects at their cap, the fourth in the reserve
    fifth = SseStream(s.port, "small-0", key=projects[4].info["api_key"])
    assert fifth.status == 200 and next(fifth.frames()).startswith(": subscribed")
    for st in held + [fifth]:
        st.close()
    for p in projects:
        p.close()


def test_streams_their_clients_closed_free_their_slots_within_a_second(make_server):
    # Keepalives at the default 15 s: only noticing the closed connections frees the slots in time.
    # A total of 8 keeps the project's four streams out of the reserve (docs/operations.md).
    s = make_server(env={"VIGIL_SSE_MAX_PER_PROJECT": "4", "VIGIL_SSE_MAX": "8"})
    streams = [SseStream(s.port, f"gone-{i}") for i in range(4)]
    for st in streams:
        assert st.status == 200 and next(st.frames()).startswith(": subscribed")
    refused = SseStream(s.port, "gone-over")
    assert refused.status == 503 and refused.headers["retry-after"] == "5"
    refused.close()
    for i, st in enumerate(streams):
        if i % 2:  # half reset the connection, half close it cleanly
            st.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        st.close()
    closed_at = time.time()
    reopened = []
    while len(reopened) < 4 and time.time() - closed_at < 5:
        st = SseStream(s.port, f"back-{len(reopened)}")
        if st.status == 200:
            reopened.append(st)
        else:
            st.close()
            time.sleep(0.05)
    elapsed = time.time() - closed_at
    assert len(reopened) == 4 and elapsed < 2, elapsed
    over = SseStream(s.port, "back-over")
    assert over.status == 503  # the cap still holds with the new streams
    for st in reopened + [over]:
        st.close()


def test_streams_do_not_starve_ingestion(make_server):
    s = make_server(env={"VIGIL_HTTP_THREADS": "4"})
    c = s.client()
    streams = [SseStream(s.port, f"starve-{i}") for i in range(12)]
    for st in streams:
        assert st.status == 200
    # Three times more streams than workers, and ingestion still answers at once.
    t0 = time.time()
    r = c.post("/events", [{"event_id": "se-1", "execution_id": "starve-x", "event_type": "x"}])
    assert r.status == 200 and time.time() - t0 < 2
    for st in streams:
        st.close()


def test_shutdown_closes_streams(make_server):
    s = make_server()
    st = SseStream(s.port, "closing")
    frames = st.frames(timeout=15)
    assert next(frames).startswith(": subscribed")
    stopper = threading.Thread(target=s.stop)
    stopper.start()
    assert list(frames) == []  # closed without a halt frame
    stopper.join()
    assert s.proc.returncode == 0


def test_auto_halt_on_step_count_runaway(server, client):
    eid = new_exec(client, budget={"max_steps": 5, "auto_halt": True})
    st = SseStream(server.port, eid)
    frames = st.frames()
    assert next(frames).startswith(": subscribed")
    client.post("/events", [{"event_id": f"{eid}-{i}", "execution_id": eid,
                             "event_type": "checkpoint", "sequence": i} for i in range(8)])
    frame = next(frames)
    assert frame.startswith("event: halt")
    reason = json.loads(frame.split("data: ", 1)[1])["reason"]
    assert reason == "auto_halt: loops step_count_1+"
    st.close()
