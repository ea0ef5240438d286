"""(being written)"""

from flask import Blueprint

bp = Blueprint("finance", __name__, url_prefix="/finance")
