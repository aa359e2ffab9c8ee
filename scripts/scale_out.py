"""The load and the checks of scripts/scale_out.sh (issue 22). Standard library only.

    scale_out.py load URL PORTS SECONDS OUT.json   # writes, reads and an SSE client per instance
    scale_out.py check OUT.json ROWS.tsv           # against `id<TAB>title` of every bookmark

Writes: POST /bookmarks through nginx, each with its own Idempotency-Key (a UUID), retried with
the same key and body on a failure or a timeout, up to WRITE_TRIES times. Reads: GET
/bookmarks/{id} and GET /bookmarks?limit=5 through nginx. SSE: one client per instance, straight
to its port, reconnecting whenever the stream ends; each connection's events are logged with
when they came. The last line of `check` is
`requests N, failed N, retried N, lost N, duplicated N, sse missed N`.
"""

import http.client
import json
import random
import socket
import sys
import threading
import time
import uuid
from collections import Counter

WRITERS = 3
READERS = 2
WRITE_TRIES = 20
TIMEOUT = 3.0  # seconds a client waits for an answer before it retries
PAUSE = 0.03
# The share of writes sent once more after their 201, as a client that lost the answer would:
# through nginx the repeat usually reaches another instance, and must get the same bookmark.
REPEAT = 0.05  # between one client's requests: a steady load, not a flood of a 2-core machine
# A write counts as expected on an SSE connection when that connection was open from before the
# write's first try until this long after its last answer (NOTIFY is delivered after commit).
SSE_SLACK = 1.0


def now():
    return time.monotonic()


class Client:
    """Keep-alive HTTP/1.1 to nginx; a new connection after any error."""

    def __init__(self, host, port):
        self.host, self.port, self.conn = host, port, None

    def request(self, method, target, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            self.conn.request(method, target, body=body, headers=headers or {})
            res = self.conn.getresponse()
            data = res.read()
            if res.getheader("connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return res.status, data
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = None
            return type(e).__name__, b""


def load(url, ports, seconds, out):
    host, port = url.split("//")[1].split(":")
    port = int(port)
    deadline = now() + seconds
    lock = threading.Lock()
    writes, reads, failures, repeats = [], Counter(), Counter(), Counter()
    known_ids = [1, 2, 3]
    sse = {p: [] for p in ports}
    stop_sse = threading.Event()

    def writer():
        client = Client(host, port)
        while now() < deadline:
            key = str(uuid.uuid4())
            body = json.dumps({"url": f"https://load.example/{key}", "title": f"w {key}", "tags": ["load"]})
            headers = {"content-type": "application/json", "idempotency-key": key}
            record = {"key": key, "start": now(), "tries": 0, "status": None, "id": None}
            for _ in range(WRITE_TRIES):
                record["tries"] += 1
                status, data = client.request("POST", "/bookmarks", body, headers)
                if status == 201:
                    record["status"], record["id"] = 201, json.loads(data)["id"]
                    break
                with lock:
                    failures[f"POST {status}"] += 1
                if isinstance(status, int) and status not in (502, 503, 504):
                    record["status"] = status
                    break
                time.sleep(0.2)
            record["end"] = now()
            if record["id"] and random.random() < REPEAT:
                status, data = client.request("POST", "/bookmarks", body, headers)
                same = status == 201 and json.loads(data)["id"] == record["id"]
                with lock:
                    repeats["same" if same else f"different: {status}"] += 1
            with lock:
                writes.append(record)
                if record["id"]:
                    known_ids.append(record["id"])
            time.sleep(PAUSE)

    def reader():
        client = Client(host, port)
        while now() < deadline:
            if random.random() < 0.5:
                with lock:
                    target = f"/bookmarks/{random.choice(known_ids)}"
            else:
                target = "/bookmarks?limit=5"
            status, _ = client.request("GET", target)
            with lock:
                reads["requests"] += 1
                if status != 200:
                    failures[f"GET {status}"] += 1
            time.sleep(PAUSE)

    def sse_client(instance):
        connections = sse[instance]
        while not stop_sse.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", instance), timeout=1)
            except OSError:
                time.sleep(0.1)
                continue
            conn = {"open": None, "close": None, "events": [], "reloads": []}
            try:
                sock.sendall(b"GET /events HTTP/1.1\r\nhost: scale-out\r\n\r\n")
                sock.settimeout(0.5)
                buf = b""
                while not stop_sse.is_set():
                    try:
                        chunk = sock.recv(65536)
                    except socket.timeout:
                        continue
                    if not chunk:
                        break
                    buf += chunk
                    while b"\n\n" in buf:
                        block, buf = buf.split(b"\n\n", 1)
                        text = block.decode("utf-8", "replace")
                        if conn["open"] is None and ": live" in text:
                            conn["open"] = now()
                        kind = next((l[7:] for l in text.split("\n") if l.startswith("event: ")), None)
                        data = next((l[6:] for l in text.split("\n") if l.startswith("data: ")), None)
                        if kind == "added" and data:
                            conn["events"].append(json.loads(data)["id"])
                        elif kind == "reload":
                            conn["reloads"].append(now())
            except OSError:
                pass
            finally:
                sock.close()
                conn["close"] = now()
                if conn["open"] is not None:
                    connections.append(conn)
            time.sleep(0.1)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    threads += [threading.Thread(target=reader) for _ in range(READERS)]
    sse_threads = [threading.Thread(target=sse_client, args=(p,)) for p in ports]
    for t in sse_threads:
        t.start()
    time.sleep(1)  # the SSE clients are connected before the first write
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(2 * SSE_SLACK)  # the last events arrive
    stop_sse.set()
    for t in sse_threads:
        t.join()
    with open(out, "w") as f:
        json.dump({"writes": writes, "reads": reads["requests"], "failures": failures, "sse": sse, "repeats": repeats}, f)


def check(out, rows_file):
    result = json.load(open(out))
    writes, sse = result["writes"], result["sse"]
    rows = {}
    by_title = Counter()
    for line in open(rows_file):
        if "\t" in line:
            id_, title = line.rstrip("\n").split("\t", 1)
            rows[int(id_)] = title
            by_title[title] += 1
    acked = [w for w in writes if w["status"] == 201]
    lost = [w for w in acked if rows.get(w["id"]) != f"w {w['key']}"]
    duplicated = sum(n - 1 for title, n in by_title.items() if title.startswith("w ") and n > 1)
    given_up = [w for w in writes if w["status"] != 201]
    stored_anyway = sum(1 for w in given_up if by_title.get(f"w {w['key']}", 0) > 0)
    attempts = sum(w["tries"] for w in writes)
    retried = attempts - len(writes)
    requests = attempts + result["reads"] + sum(result["repeats"].values())
    failed = sum(result["failures"].values())

    missed, expected, excused = 0, 0, 0
    for port, connections in sse.items():
        for conn in connections:
            seen = set(conn["events"])
            for w in acked:
                if not (conn["open"] <= w["start"] and w["end"] + SSE_SLACK <= conn["close"]):
                    continue
                expected += 1
                if w["id"] in seen:
                    continue
                if any(r >= w["start"] for r in conn["reloads"]):
                    excused += 1
                    continue
                missed += 1
                print(f"  sse on {port} missed bookmark {w['id']} (written {w['start']:.2f}-{w['end']:.2f}, "
                      f"connection {conn['open']:.2f}-{conn['close']:.2f})")

    print(f"writes: {len(writes)} ({len(acked)} answered 201), {attempts} attempts, {retried} retries")
    repeats = result["repeats"]
    print(f"repeats of a write after its 201 (a lost answer): {repeats.get('same', 0)} got the first answer, "
          f"{sum(n for k, n in repeats.items() if k != 'same')} did not {dict(repeats)}")
    print(f"reads: {result['reads']}")
    print("failed requests, by answer:")
    why = {
        "GET 503": "the database was restarting: nginx tried the other instances, which waited for it too",
        "GET 502": "every instance nginx tried was stopping or killed",
        "POST 503": "the database was restarting; retried by the client with the same key",
        "POST 502": "the instance stopped or was killed with the POST in flight (nginx does not resend a "
                    "POST); retried by the client with the same key",
    }
    for kind, n in sorted(result["failures"].items()):
        reason = why.get(kind, "no answer in time or the connection broke; a write is retried with the same key"
                         if kind.startswith("POST") else "no answer in time or the connection broke")
        print(f"  {kind}: {n} ({reason})")
    print(f"writes given up after {WRITE_TRIES} tries: {len(given_up)} (stored all the same: {stored_anyway})")
    reloads = sum(len(c["reloads"]) for cs in sse.values() for c in cs)
    conns = sum(len(cs) for cs in sse.values())
    print(f"sse: {conns} connections, {expected} (connection, write) pairs expected, "
          f"{expected - excused - missed} seen, {excused} covered by a reload ({reloads} reloads), {missed} missed")
    print(f"requests {requests}, failed {failed}, retried {retried}, lost {len(lost)}, "
          f"duplicated {duplicated}, sse missed {missed}")
    differed = sum(n for k, n in repeats.items() if k != "same")
    return 0 if not lost and not duplicated and not missed and not given_up and not differed else 1


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], [int(p) for p in sys.argv[3].split(",")], float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
