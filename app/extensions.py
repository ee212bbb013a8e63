"""Extensions, created unbound and bound to the app in ``create_app``."""
from flask_compress import Compress
from flask_sock import Sock
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from peewee import DatabaseProxy

compress = Compress()
csrf = CSRFProtect()
sock = Sock()
htmx = Htmx()
db = DatabaseProxy()
