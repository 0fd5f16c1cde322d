"""The collector's HTTP/1.1 transport over raw sockets, for what real clients do that the SDK
suites do not show on their own: chunked request bodies, `Expect: 100-continue`, pipelining,
the body limit, malformed requests, HTTP/1.0, `Connection: close`, /health and /metrics, and a
client that disconnects mid-body. Every test reads the server's actual bytes.

Run by hand:  python3 -m unittest -v test_http   (from tests/integration)
"""

from __future__ import annotations

import base64
import json
import signal
import socket
import time
import unittest

from harness import Collector, ServerTestCase, collector_only, unique_name

JSON = "application/x-amz-json-1.1"
TIMEOUT_S = 10.0


class Response:
    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]],
                 body: bytes) -> None:
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"Response({self.status} {self.reason}, {self.headers}, {self.body[:200]!r})"


class Conn:
    """One raw connection that reads responses exactly as sent (Content-Length bodies, or up
    to the close for HTTP/1.0-style answers)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def read_head(self) -> tuple[int, str, list[tuple[str, str]]]:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError(f"closed before a full header; got {self.buf!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        if not version.startswith("HTTP/1."):
            raise AssertionError(f"not an HTTP/1.x status line: {lines[0]!r}")
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
        return int(status), reason, headers

    def read_response(self) -> Response:
        status, reason, headers = self.read_head()
        resp = Response(status, reason, headers, b"")
        length = resp.header("Content-Length")
        if length is None:
            while self._fill():
                pass
            resp.body, self.buf = self.buf, b""
        else:
            n = int(length)
            while len(self.buf) < n:
                if not self._fill():
                    raise ConnectionError("closed mid-body")
            resp.body, self.buf = self.buf[:n], self.buf[n:]
        return resp

    def closed_by_peer(self) -> bool:
        """True if the server closes the connection (EOF or reset) within the timeout."""
        try:
            while True:
                if self.buf:
                    return False
                if not self._fill():
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def request(method: str, target: str, headers: dict[str, str], body: bytes = b"",
            version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {target} {version}", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def kinesis(op: str, payload: dict, extra: dict[str, str] | None = None) -> bytes:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": JSON, "X-Amz-Target": f"Kinesis_20131202.{op}",
               "Content-Length": str(len(body)), **(extra or {})}
    return request("POST", "/", headers, body)


def call(conn: Conn, op: str, payload: dict) -> Response:
    conn.send(kinesis(op, payload))
    return conn.read_response()


@collector_only("tests the collector's own HTTP transport")
class HttpTransportTest(ServerTestCase):
    stream = ""

    @classmethod
    def setUpClass(cls) -> None:
        cls.start_server(Collector())
        cls.stream = unique_name("http")
        with Conn(cls.server.port) as c:
            c.send(kinesis("CreateStream", {"StreamName": cls.stream, "ShardCount": 1}))
            resp = c.read_response()
            assert resp.status == 200, resp
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                c.send(kinesis("DescribeStreamSummary", {"StreamName": cls.stream}))
                summary = c.read_response().json["StreamDescriptionSummary"]
                if summary["StreamStatus"] == "ACTIVE":
                    break
                time.sleep(0.05)

    def read_back(self, sequence_number: str) -> bytes:
        with Conn(self.server.port) as c:
            it = call(c, "GetShardIterator", {
                "StreamName": self.stream, "ShardId": "shardId-000000000000",
                "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                "StartingSequenceNumber": sequence_number}).json["ShardIterator"]
            records = call(c, "GetRecords", {"ShardIterator": it, "Limit": 1}).json["Records"]
        self.assertEqual(records[0]["SequenceNumber"], sequence_number)
        return base64.b64decode(records[0]["Data"])

    def test_chunked_request_body_reaches_put_record(self):
        data = b"chunked body \x00\xff" * 50
        body = json.dumps({"StreamName": self.stream, "PartitionKey": "k",
                           "Data": base64.b64encode(data).decode()}).encode()
        head = request("POST", "/", {"Content-Type": JSON,
                                     "X-Amz-Target": "Kinesis_20131202.PutRecord",
                                     "Transfer-Encoding": "chunked"})
        with Conn(self.server.port) as c:
            c.send(head)
            for i in range(0, len(body), 100):  # several chunks, some in separate segments
                piece = body[i:i + 100]
                c.send(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
                if i % 300 == 0:
                    time.sleep(0.01)
            c.send(b"0\r\n\r\n")
            resp = c.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(self.read_back(resp.json["SequenceNumber"]), data)

    def test_expect_100_continue_gets_interim_answer_before_the_body(self):
        body = json.dumps({"StreamName": self.stream, "PartitionKey": "k",
                           "Data": base64.b64encode(b"after continue").decode()}).encode()
        head = request("POST", "/", {"Content-Type": JSON,
                                     "X-Amz-Target": "Kinesis_20131202.PutRecord",
                                     "Content-Length": str(len(body)),
                                     "Expect": "100-continue"})
        with Conn(self.server.port) as c:
            c.send(head)
            status, reason, _ = c.read_head()  # before any body byte is sent
            self.assertEqual((status, reason), (100, "Continue"))
            c.send(body)
            resp = c.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(self.read_back(resp.json["SequenceNumber"]), b"after continue")

    def test_pipelined_requests_are_answered_in_order(self):
        put = lambda tag: kinesis("PutRecord", {  # noqa: E731
            "StreamName": self.stream, "PartitionKey": tag,
            "Data": base64.b64encode(tag.encode()).decode()})
        with Conn(self.server.port) as c:
            c.send(put("first") + request("GET", "/health", {}) + put("third"))
            first, second, third = c.read_response(), c.read_response(), c.read_response()
        self.assertEqual((first.status, second.status, third.status), (200, 200, 200))
        self.assertEqual(second.body, b"ok\n")
        self.assertEqual(self.read_back(first.json["SequenceNumber"]), b"first")
        self.assertEqual(self.read_back(third.json["SequenceNumber"]), b"third")
        self.assertLess(int(first.json["SequenceNumber"]), int(third.json["SequenceNumber"]))

    def test_keep_alive_serves_many_requests_on_one_connection(self):
        with Conn(self.server.port) as c:
            for _ in range(20):
                resp = call(c, "ListStreams", {})
                self.assertEqual(resp.status, 200, resp)
                self.assertIn(self.stream, resp.json["StreamNames"])
                self.assertIsNone(resp.header("Connection"))

    def test_content_length_over_16_mib_is_413_before_the_body(self):
        head = request("POST", "/", {"Content-Type": JSON,
                                     "X-Amz-Target": "Kinesis_20131202.PutRecord",
                                     "Content-Length": str((16 << 20) + 1)})
        with Conn(self.server.port) as c:
            c.send(head)  # and never the body: the answer must not wait for it
            resp = c.read_response()
            self.assertEqual(resp.status, 413, resp)
            self.assertEqual(resp.header("Connection"), "close")
            self.assertTrue(c.closed_by_peer())

    def test_content_length_of_exactly_16_mib_is_read(self):
        # The limit itself is allowed: the body is read and the API judges it (not JSON).
        body = b"x" * (16 << 20)
        with Conn(self.server.port) as c:
            c.send(request("POST", "/", {"Content-Type": JSON,
                                         "X-Amz-Target": "Kinesis_20131202.ListStreams",
                                         "Content-Length": str(len(body))}, body))
            resp = c.read_response()
        self.assertEqual(resp.status, 400, resp)
        self.assertIn("SerializationException", resp.header("x-amzn-ErrorType") or "")

    def test_chunked_body_over_16_mib_is_413(self):
        head = request("POST", "/", {"Content-Type": JSON,
                                     "X-Amz-Target": "Kinesis_20131202.PutRecord",
                                     "Transfer-Encoding": "chunked"})
        chunk = b"%x\r\n%s\r\n" % (1 << 20, b"y" * (1 << 20))
        with Conn(self.server.port) as c:
            c.send(head)
            try:
                for _ in range(17):
                    c.send(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may stop reading once it has answered
            resp = c.read_response()
        self.assertEqual(resp.status, 413, resp)

    def test_garbage_request_line_is_400_and_the_server_carries_on(self):
        with Conn(self.server.port) as c:
            c.send(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
            resp = c.read_response()
            self.assertEqual(resp.status, 400, resp)
            self.assertTrue(c.closed_by_peer())
        with Conn(self.server.port) as c:
            c.send(b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n")
            self.assertEqual(c.read_response().status, 400)
        with Conn(self.server.port) as c:
            c.send(request("GET", "/health", {}))
            resp = c.read_response()
        self.assertEqual((resp.status, resp.body), (200, b"ok\n"))

    def test_http_1_0_request_is_answered_then_closed(self):
        with Conn(self.server.port) as c:
            c.send(request("GET", "/health", {}, version="HTTP/1.0"))
            resp = c.read_response()
            self.assertEqual((resp.status, resp.body), (200, b"ok\n"))
            self.assertTrue(c.closed_by_peer())

    def test_connection_close_is_honoured(self):
        with Conn(self.server.port) as c:
            c.send(kinesis("ListStreams", {}, {"Connection": "close"}))
            resp = c.read_response()
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.header("Connection"), "close")
            self.assertTrue(c.closed_by_peer())

    def test_header_names_are_case_insensitive(self):
        body = json.dumps({"StreamName": self.stream}).encode()
        with Conn(self.server.port) as c:
            c.send(request("POST", "/", {"content-TYPE": JSON,
                                         "X-AMZ-TARGET": "Kinesis_20131202.DescribeStreamSummary",
                                         "content-length": str(len(body))}, body))
            resp = c.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.header("Content-Type"), JSON)
        self.assertEqual(resp.json["StreamDescriptionSummary"]["StreamName"], self.stream)

    def test_health(self):
        with Conn(self.server.port) as c:
            c.send(request("GET", "/health?probe=1", {}))
            resp = c.read_response()
        self.assertEqual((resp.status, resp.body), (200, b"ok\n"))
        self.assertEqual(resp.header("Content-Type"), "text/plain")

    def test_metrics(self):
        with Conn(self.server.port) as c:
            self.assertEqual(call(c, "ListStreams", {}).status, 200)
            c.send(request("GET", "/metrics", {}))
            resp = c.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.header("Content-Type"), "text/plain; version=0.0.4")
        text = resp.body.decode()
        self.assertIn("# TYPE", text)
        self.assertRegex(text, r'(?m)^tributary_api_requests_total\{operation="ListStreams",'
                               r'outcome="success"\} [1-9]')
        self.assertIn("tributary_store_", text)  # the store's half

    def test_client_disconnecting_mid_body_does_not_disturb_others(self):
        head = request("POST", "/", {"Content-Type": JSON,
                                     "X-Amz-Target": "Kinesis_20131202.PutRecord",
                                     "Content-Length": "100000"})
        quitter = Conn(self.server.port)
        quitter.send(head + b'{"StreamName": "' + b"z" * 5000)
        with Conn(self.server.port) as other:
            other.send(kinesis("PutRecord", {"StreamName": self.stream, "PartitionKey": "k",
                                             "Data": base64.b64encode(b"other").decode()}))
            resp = other.read_response()
            self.assertEqual(resp.status, 200, resp)
            # The quitter resets its connection (SO_LINGER 0) while the other one stays open.
            quitter.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00"
                                    b"\x00\x00\x00\x00")
            quitter.close()
            time.sleep(0.1)
            resp = call(other, "ListStreams", {})
            self.assertEqual(resp.status, 200, resp)
        self.assertEqual(self.read_back(self._put_one(b"after")), b"after")

    def _put_one(self, data: bytes) -> str:
        with Conn(self.server.port) as c:
            resp = call(c, "PutRecord", {"StreamName": self.stream, "PartitionKey": "k",
                                              "Data": base64.b64encode(data).decode()})
        self.assertEqual(resp.status, 200, resp)
        return resp.json["SequenceNumber"]


@collector_only("tests the collector's own shutdown")
class HttpShutdownTest(unittest.TestCase):
    def test_sigterm_with_an_idle_keep_alive_connection_exits_promptly(self):
        with Collector() as server:
            with Conn(server.port) as idle:
                idle.send(request("GET", "/health", {}))
                self.assertEqual(idle.read_response().status, 200)
                started = time.monotonic()
                self.assertEqual(server.stop(), 0)
                self.assertLess(time.monotonic() - started, 5.0)
                self.assertTrue(idle.closed_by_peer())

    def test_sigterm_answers_the_request_in_flight(self):
        # The request's body is still arriving when SIGTERM comes: it is read, answered (with
        # Connection: close) and durable, and the process then exits 0.
        with Collector() as server:
            name = unique_name("stop")
            with Conn(server.port) as c:
                c.send(kinesis("CreateStream", {"StreamName": name, "ShardCount": 1}))
                self.assertEqual(c.read_response().status, 200)
            body = json.dumps({"StreamName": name, "PartitionKey": "k",
                               "Data": base64.b64encode(b"in flight").decode()}).encode()
            with Conn(server.port) as c:
                c.send(request("POST", "/", {"Content-Type": JSON,
                                             "X-Amz-Target": "Kinesis_20131202.PutRecord",
                                             "Content-Length": str(len(body))}) + body[:10])
                time.sleep(0.2)
                server.proc.send_signal(signal.SIGTERM)
                time.sleep(0.2)
                c.send(body[10:])
                resp = c.read_response()
                self.assertEqual(resp.status, 200, resp)
                self.assertEqual(resp.header("Connection"), "close")
                self.assertTrue(c.closed_by_peer())
            server.proc.wait(timeout=10)  # exits by itself
            self.assertEqual(server.stop(), 0)
            server.start()
            with Conn(server.port) as c:
                it = call(c, "GetShardIterator", {
                    "StreamName": name, "ShardId": "shardId-000000000000",
                    "ShardIteratorType": "TRIM_HORIZON"}).json["ShardIterator"]
                records = call(c, "GetRecords", {"ShardIterator": it}).json["Records"]
            self.assertEqual([base64.b64decode(r["Data"]) for r in records], [b"in flight"])


if __name__ == "__main__":
    unittest.main()
