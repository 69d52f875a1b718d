"""Failed logins in the current window, per e-mail hash or client address: in the database, so a
Redis flush or outage neither resets the brute-force limit nor stops anyone from logging in.
The web contact form counts its submissions here too, under keys of its own ("form:...")."""

from tortoise import fields
from tortoise.models import Model


class LoginFailure(Model):
    # "login:email:<sha256>", "login:ip:<address>", "form:ip:<address>", "form:channel:<public id>"
    key = fields.CharField(max_length=120, primary_key=True)
    count = fields.IntField(default=0)
    window_ends = fields.BigIntField()  # epoch seconds: an integer compares alike in SQLite and PostgreSQL

    class Meta:
        table = "core_login_failure"
