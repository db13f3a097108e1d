"""Flask extensions, created unbound; create_app() binds them."""

from flask import Flask
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so that Alembic migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def init_database(app: Flask) -> None:
    """Bind the database; an SQLite file runs in write-ahead-log mode.

    In WAL mode readers never block the writer nor the writer them, and a read transaction keeps one
    snapshot: a long export neither stalls conversion intake nor sees rows arrive halfway through.
    """
    db.init_app(app)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_write_ahead_log)


def _sqlite_write_ahead_log(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # an in-memory database keeps its own mode
    cursor.close()


migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()

# No default or decorated limits: the APIs spend their budgets through this limiter's store and strategy
# (portal.http.ratelimit). Settings come from app.config (RATELIMIT_*, see portal.config).
limiter = Limiter(key_func=lambda: "network")
