"""A real HTTP listener on 127.0.0.1 that plays an upstream network API from a script of answers.

Each request takes the next scripted answer (the last one repeats): a status, a JSON body, headers and
a delay before answering. Every request is recorded (method, path, query, headers, JSON body, and when it
arrived: time.monotonic() as its handling starts).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from tests.browser import LiveServer


@dataclass
class Answer:
    status: int = 200
    body: object = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    raw: bytes | None = None


@dataclass
class Seen:
    method: str
    path: str
    args: dict
    headers: dict
    body: object
    at: float = 0.0


class Scripted:
    def __init__(self) -> None:
        self.answers: list[Answer] = [Answer()]
        self.routes: dict[tuple[str, str], Answer] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def script(self, *answers: Answer) -> None:
        with self._lock:
            self.answers = list(answers)
            self.seen.clear()

    def route(self, method: str, path: str, answer: Answer) -> None:
        """A fixed answer for one method and path (wins over the script)."""
        self.routes[(method, path)] = answer

    def __call__(self, environ, start_response):
        arrived = time.monotonic()
        request = Request(environ)
        body = request.get_json(silent=True)
        with self._lock:
            self.seen.append(Seen(request.method, request.path, dict(request.args), dict(request.headers), body,
                                  arrived))
            answer = self.routes.get((request.method, request.path))
            if answer is None:
                answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer.delay:
            time.sleep(answer.delay)
        payload = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
        response = Response(payload, status=answer.status, headers=answer.headers, content_type="application/json")
        return response(environ, start_response)


def serve(scripted: Scripted) -> LiveServer:
    return LiveServer(scripted)
