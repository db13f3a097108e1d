"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from portal import create_app, ready_to_serve

app = ready_to_serve(create_app())
