"""A stand-in for GitHub's REST API, served from loopback: the repository activity endpoint.

The kit's tests never reach the real network: ``frontdoors.classroom.collect``
is pointed at this server with ``GITHUB_API_URL`` (and a made-up
``GITHUB_TOKEN``), and this server answers ``GET /repos/{owner}/{repo}/activity``
from the pushes a test records, two to a page (so the ``Link: rel="next"``
pagination is exercised). A request without the token gets 401; an unknown
repository 404 (no server evidence, as for a repository the token cannot read).
"""
from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from contextlib import contextmanager
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = 2


class FakeGitHub:
    """The pushes of each repository (``owner/name``) and the requests received.

    Use as ``with FakeGitHub.serving() as gh: gh.push("org/alice", sha, when)``;
    ``gh.env`` is what ``collect`` needs in its environment.
    """

    def __init__(self):
        self.token = "fake-" + secrets.token_hex(8)
        self.activity = {}
        self.requests = []
        self.url = None

    def push(self, slug, commit, when, branch="main", kind="push"):
        """Record that ``commit`` was pushed to ``slug``'s ``branch`` at ``when`` (ISO text or datetime)."""
        when = when if isinstance(when, str) else when.astimezone(timezone.utc).isoformat()
        items = self.activity.setdefault(slug, [])
        items.append({"id": len(items) + 1, "node_id": "x", "before": "0" * 40, "after": commit,
                      "ref": f"refs/heads/{branch}", "timestamp": when.replace("+00:00", "Z"),
                      "activity_type": kind, "actor": {"login": "student"}})

    @property
    def env(self):
        return {"GITHUB_TOKEN": self.token, "GITHUB_API_URL": self.url}

    @classmethod
    @contextmanager
    def serving(cls):
        fake = cls()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
        fake.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield fake
        finally:
            server.shutdown()
            server.server_close()


def _handler(fake):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):   # quiet
            pass

        def _send(self, code, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            fake.requests.append((url.path, query, self.headers.get("Authorization")))
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                return self._send(401, {"message": "Bad credentials"})
            parts = url.path.strip("/").split("/")
            if len(parts) != 4 or parts[0] != "repos" or parts[3] != "activity":
                return self._send(404, {"message": "Not Found"})
            items = [i for i in fake.activity.get(f"{parts[1]}/{parts[2]}", ())
                     if query.get("ref") in (None, i["ref"], i["ref"].removeprefix("refs/heads/"))]
            if f"{parts[1]}/{parts[2]}" not in fake.activity:
                return self._send(404, {"message": "Not Found"})
            items = sorted(items, key=lambda i: i["timestamp"], reverse=True)   # GitHub: newest first
            start = int(query.get("after") or 0)
            page = items[start:start + PAGE]
            headers = []
            if start + PAGE < len(items):
                nxt = urllib.parse.urlencode({**query, "after": start + PAGE})
                headers.append(("Link", f'<{fake.url}{url.path}?{nxt}>; rel="next"'))
            return self._send(200, page, headers)

    return Handler


def utc(text):
    """An aware datetime from ISO text."""
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def git_commit(path, date, files):
    """Write ``files`` into the repository ``path`` and commit them, dated ``date``; return the sha.

    ``files`` maps a name to its text, or to an int: a file of that many zero bytes (sparse on
    disk, a few KiB once packed). Author and committer dates are both ``date`` — what a student
    sets with GIT_COMMITTER_DATE.
    """
    import os
    import subprocess
    from pathlib import Path

    path = Path(path)
    if not (path / ".git").exists():
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for name, content in files.items():
        if isinstance(content, int):
            with open(path / name, "wb") as f:
                f.truncate(content)
        else:
            (path / name).write_text(content, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(path), "-c", "user.name=s", "-c", "user.email=s@example.org",
                    "commit", "-q", "-m", f"work of {date}"], check=True, env=env)
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
