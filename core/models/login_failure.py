"""Failed logins in the current window, per e-mail hash or client address: in the database, so a
Redis flush or outage neither resets the brute-force limit nor stops anyone from logging in."""

from tortoise import fields
from tortoise.models import Model


class LoginFailure(Model):
    key = fields.CharField(max_length=120, primary_key=True)  # "login:email:<sha256>", "login:ip:<address>"
    count = fields.IntField(default=0)
    window_ends = fields.BigIntField()  # epoch seconds: an integer compares alike in SQLite and PostgreSQL

    class Meta:
        table = "core_login_failure"
