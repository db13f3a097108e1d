"""Error pages for people; a database outage is a 503 with Retry-After, never a 500."""

from __future__ import annotations

from flask import Flask, render_template
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from portal.extensions import db

MESSAGES = {
    400: "The request could not be understood. Please go back and try again.",
    403: "Forbidden",
    404: "Not found",
    405: "That action is not allowed here.",
    413: "The request is too large.",
}


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        message = MESSAGES.get(err.code, err.description)
        if err.code == 400 and err.description and "CSRF" in err.description:
            message = "Your form expired or was sent from another site. Please reload the page and try again."
        return render_template("error.html", code=err.code, title=err.name, message=message), err.code

    @app.errorhandler(OperationalError)
    def database_unavailable(err):
        db.session.rollback()
        body = render_template("error.html", code=503, title="Service unavailable",
                               message="The database is not reachable right now. Please try again in a minute.")
        return body, 503, {"Retry-After": "30"}
