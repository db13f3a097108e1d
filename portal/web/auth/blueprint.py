"""The sign-in blueprint: open to everyone (the guards of the other blueprints send people here)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
