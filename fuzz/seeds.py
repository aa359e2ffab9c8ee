#!/usr/bin/env python3
"""Writes the seed corpora, fuzz/corpus/<target>/seed-*, from the repository's test data.

Sources: testdata/bad_requests.txt (the malformed-request battery, also in ../shared/data),
testdata/traversal.txt and traversal_extra.txt (static-file escapes), testdata/github_paths.txt
(real-world paths), and the requests of runtime/tests/wire.rs (its string literals that are whole
requests). The input layouts are those of runtime/src/fuzz.rs and src/fuzz.rs. Seeds are at most
MAX_SEED bytes (longer battery cases are cut there: they still reach the limits they test).
Run from anywhere; rewrites only files named seed-*.
"""

import hashlib
import re
import struct
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
MAX_SEED = 20000


def battery():
    """(id, raw bytes, pause offsets) of every case in bad_requests.txt."""
    text = (ROOT / "testdata" / "bad_requests.txt").read_text()
    cases = []
    for block in re.split(r"^=== ", text, flags=re.M)[1:]:
        name, _, rest = block.partition("\n")
        raw = rest.split("\nraw:\n", 1)[1]
        # The raw section runs to the next comment block or case.
        raw = re.split(r"\n\s*\n|\n#", raw, maxsplit=1)[0]
        cases.append((name.strip(),) + expand(raw.replace("\n", "")))
    return cases


def expand(src):
    out, pauses, i = bytearray(), [], 0
    while i < len(src):
        if src.startswith("{repeat ", i):
            close = src.index("}", i)
            n = int(src[i + 8 : close])
            depth, j = 1, close + 1
            while depth:
                if src.startswith("{repeat ", j):
                    depth += 1
                elif src.startswith("{/repeat}", j):
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            body, _ = expand(src[close + 1 : j])
            out += body * min(n, MAX_SEED // max(len(body), 1) + 1)
            i = j + len("{/repeat}")
        elif src.startswith("{pause ", i):
            pauses.append(len(out))
            i = src.index("}", i) + 1
        elif src[i] == "\\":
            c = src[i + 1]
            if c == "x":
                out.append(int(src[i + 2 : i + 4], 16))
                i += 4
                continue
            out += {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\"}.get(c, c.encode())
            i += 2
        else:
            out += src[i].encode()
            i += 1
    return bytes(out[:MAX_SEED]), [p for p in pauses if p <= MAX_SEED]


def wire_requests():
    """The whole requests among the string literals of runtime/tests/wire.rs."""
    src = (ROOT / "runtime" / "tests" / "wire.rs").read_text()
    found = []
    for lit in re.findall(r'"((?:[A-Z]+ \S+ HTTP/1\.[01])(?:[^"\\]|\\.)*)"', src):
        if "{" in lit:
            continue
        raw = lit.encode().decode("unicode_escape").encode("latin-1")
        if raw.endswith(b"\r\n\r\n") or b"\r\n\r\n" in raw:
            found.append(raw)
    return found


def lines(name):
    for line in (ROOT / "testdata" / name).read_text().splitlines():
        if line and not line.startswith("#"):
            yield line.split()[0]


def cuts(points):
    """`[n] [n x u16 LE]` for the split points (the top bit: a long pause)."""
    return bytes([len(points)]) + b"".join(struct.pack("<H", p) for p in points)


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    (d / f"seed-{re.sub(r'[^A-Za-z0-9_]+', '_', name)[:40]}-{digest}").write_bytes(data)


def get(target):
    return f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode()


def main():
    for d in CORPUS.glob("*"):
        for f in d.glob("seed-*"):
            f.unlink()
    requests = []
    for name, raw, pauses in battery():
        requests.append((name, raw))
        write("connection", name, b"\x00" + cuts([p | 0x8000 for p in pauses]) + raw)
        if b"chunked" in raw.lower() and b"\r\n\r\n" in raw:
            body = raw.split(b"\r\n\r\n", 1)[1]
            # 23: the server's own limits (2 MiB body, 16 KiB trailers); 8: 5-byte body, 64 B trailers.
            write("chunked", name, b"\x17" + cuts([]) + body)
            write("chunked", name + "_split", b"\x08" + cuts([1, 3, len(body) // 2]) + body)
    for i, raw in enumerate(wire_requests()):
        requests.append((f"wire_{i}", raw))
        write("connection", f"wire_{i}", b"\x00" + cuts([]) + raw)
        write("connection", f"wire_{i}_bytewise", b"\x02" + cuts(list(range(1, min(len(raw), 17)))) + raw)
    for name, raw in requests:
        write("head", name, raw)
    for path in list(lines("traversal.txt")) + list(lines("traversal_extra.txt")) + list(lines("github_paths.txt"))[:40]:
        write("head", "path", get(path))
        write("dispatch", "path", b"\x00" + path.encode())
        rel = path.removeprefix("/static/").removeprefix("/")
        write("safe_path", "raw", rel.encode())
        write("safe_path", "decoded", urllib.parse.unquote_to_bytes(rel))

    # The Echo app's kinds of response, pipelined, over HTTP/1.0 and 1.1, HEAD, 100-continue.
    h = "Host: t\r\n"
    conversations = [
        f"GET /stream HTTP/1.1\r\n{h}\r\nGET /stream HTTP/1.0\r\n\r\n",
        f"HEAD /big HTTP/1.1\r\n{h}\r\nGET /big HTTP/1.1\r\n{h}\r\nHEAD /stream HTTP/1.1\r\n{h}\r\n",
        f"GET /slow HTTP/1.1\r\n{h}\r\nGET /empty HTTP/1.1\r\n{h}\r\nGET /close HTTP/1.1\r\n{h}\r\nGET / HTTP/1.1\r\n{h}\r\n",
        f"POST /x HTTP/1.1\r\n{h}Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
        f"POST /y HTTP/1.1\r\n{h}Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        f"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /a?b=c HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\n{h}\r\n",
        f"OPTIONS * HTTP/1.1\r\n{h}\r\nGET http://t/abs HTTP/1.1\r\n{h}\r\nGET /{'a' * 300} HTTP/1.1\r\n{h}\r\n",
    ]
    for i, text in enumerate(conversations):
        raw = text.encode()
        write("connection", f"echo_{i}", b"\x00" + cuts([]) + raw)
        write("connection", f"echo_{i}_paused", b"\x01" + cuts([len(raw) // 3, (len(raw) // 2) | 0x8000]) + raw)
        write("head", f"echo_{i}", raw)

    # The dispatcher: the table's own shapes, each method, encodings, OPTIONS *.
    targets = [
        "/base", "/base/", "/base/lit/1/b/c/d/e?q=x&o=y&d=5&t=1&t=2", "/base/lit/1/b/c/d", "/base/lit/x/b/c/d?q=",
        "/base/lit/4294967296/b/c/d?q=x", "/base/lit/1/%2e%2e/c/d?q=x", "/base/lit/1/b%2Fc/c/%F0%9F%98%80?q=%ZZ",
        "/base/lit/7", "/base/s/-5/t/a/b?flag=true", "/base/s/1/t/?flag=maybe", "/base/s/1/x/", "/base/s/1/xy/",
        "/base/s/1/%2F/", "/base/s/9223372036854775808/x/", "/base/s/1/abc", "*", "", "?", "/base?x", "/base/lit//b/c/d",
    ]
    for t in targets:
        for m in range(10):
            write("dispatch", f"m{m}", bytes([m]) + t.encode())
    write("dispatch", "ext", b"\xffBREW " + b"/base/lit/1")

    # The URL builders: route, integers, length-prefixed texts (see Values in src/fuzz.rs).
    def text(s):
        b = s.encode()
        return bytes([len(b)]) + b

    u64 = lambda n: struct.pack("<Q", n & (2**64 - 1))  # noqa: E731
    values = ["a", "", ".", "..", "a b", "é/?&=+", "%2e", "a/./b", "/x", "a//b/", "😀", "\\", "#"]
    for i, v in enumerate(values):
        w = values[(i + 3) % len(values)]
        write("url_round_trip", f"all{i}", b"\x00" + u64(i) + text(v) + text(w) + text(v + "/" + w) + text(w) + b"\x01" + text(v) + b"\x01" + u64(-i) + b"\x02" + text(v) + text(w))
        write("url_round_trip", f"scoped{i}", b"\x01" + u64(-i) + text(v) + bytes([i % 3]))
        write("url_round_trip", f"trailing{i}", b"\x02" + u64(i) + text(v))
        write("url_round_trip", f"named{i}", b"\x03" + u64(i) + text(v))
    for s in ["a/./b", "C:/x", "a\\b", "CON", "a.", "a\0b", "a/b/", "a//", "./a", "a/\u0085", "\u202e", "..a", ".a/"]:
        write("safe_path", "special", s.encode())


if __name__ == "__main__":
    main()
