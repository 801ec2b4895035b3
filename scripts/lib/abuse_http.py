"""Raw HTTP for scripts/lib/abuse.py: requests sent byte by byte over a socket, so an
attack can stall, trickle or send a body the server should refuse before reading, and
the time to the server's answer (or to its closing the connection) is measured."""
import json
import socket
import time
import uuid


class Answer:
    """What the server did: its status and JSON `error.code`, or that it closed the
    connection without answering; and when, in seconds from the request's start."""

    def __init__(self, status=0, body=None, seconds=0.0, closed=False, headers=None):
        self.status, self.body, self.seconds, self.closed = status, body or {}, seconds, closed
        self.headers = headers or {}

    @property
    def code(self):
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None

    def describe(self):
        if self.status:
            return f"{self.status} {self.code or ''}".strip()
        return "closed" if self.closed else "no answer"


def connect(port, timeout=30):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def head(method, path, headers):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(sock, started, timeout):
    """Reads one response (head and a Content-Length body), or notes the close."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return Answer(seconds=time.monotonic() - started, closed=True)
            data += chunk
        raw_head, _, rest = data.partition(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers, cookies = {}, []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
            if name.strip().lower() == "set-cookie":
                cookies.append(value.strip().split(";", 1)[0])
        seconds = time.monotonic() - started
        length = int(headers.get("content-length", "0") or 0)
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        try:
            body = json.loads(rest[:length] or b"{}")
        except ValueError:
            body = {}
        answer = Answer(status, body, seconds, headers=headers)
        answer.cookies = cookies
        return answer
    except (socket.timeout, TimeoutError):
        return Answer(seconds=time.monotonic() - started)
    except (ConnectionResetError, BrokenPipeError):
        return Answer(seconds=time.monotonic() - started, closed=True)


def send_streaming(port, request_head, chunks, answer_timeout=30, pause=0.0):
    """Sends the head, then each chunk while the server reads; stops sending as soon as
    it answers or closes (a refusal before the body is read), then reads the answer."""
    started = time.monotonic()
    sock = connect(port)
    try:
        sock.sendall(request_head)
        sock.setblocking(False)
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                try:
                    peek = sock.recv(1, socket.MSG_PEEK)
                    if peek or peek == b"":
                        break
                except BlockingIOError:
                    pass
                except (ConnectionResetError, BrokenPipeError):
                    break
                try:
                    sent = sock.send(view)
                    view = view[sent:]
                except BlockingIOError:
                    time.sleep(0.001)
                except (ConnectionResetError, BrokenPipeError):
                    break
            else:
                if pause:
                    time.sleep(pause)
                continue
            break
        sock.setblocking(True)
        return read_answer(sock, started, answer_timeout)
    finally:
        sock.close()


def stall(port, request_head, first_bytes=b"", timeout=30):
    """Sends the head (or part of it) and some bytes, then nothing: the time until the
    server closes the connection, or answers."""
    started = time.monotonic()
    sock = connect(port)
    try:
        sock.sendall(request_head + first_bytes)
        return read_answer(sock, started, timeout)
    finally:
        sock.close()


def multipart_head(path, key, content_length, boundary, extra=None):
    headers = {"Authorization": "Bearer " + key, "Content-Type": f"multipart/form-data; boundary={boundary}",
               "Content-Length": str(content_length)}
    headers.update(extra or {})
    return head("POST", path, headers)


def form(fields, files, boundary=None):
    """A multipart body: (body, boundary). files: name → (filename, content type, bytes)."""
    boundary = boundary or "abuse-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content_type, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), boundary


def post(port, path, body, headers, timeout=30):
    started = time.monotonic()
    sock = connect(port)
    try:
        sock.sendall(head("POST", path, dict(headers, **{"Content-Length": str(len(body))})) + body)
        return read_answer(sock, started, timeout)
    finally:
        sock.close()
