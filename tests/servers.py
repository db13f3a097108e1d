"""How the suite's in-process servers (the live app, listeners, scripted upstreams) run their accept loop."""

# socketserver's serve_forever notices shutdown() only between polls, every 0.5 s by default: every test with a
# server waited out the rest of that half second in its teardown. A short poll lets the server stop at once.
POLL_SECONDS = 0.01
