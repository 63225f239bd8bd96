"""
back fill build expand_config.

Revision ID: a6c463dfb9fe
Revises: b4df55dea4b3
Create Date: 2017-03-17 10:00:19.000000
"""

# revision identifiers, used by Alembic.
import json
import os

from peewee import *

revision = "a6c463dfb9fe"
down_revision = "b4df55dea4b3"


class BuildTrigger(Model):
    config = TextField(default="{}")


def upgrade(op, tables, tester):
    if os.environ.get("SKIP_BACKFILL"):
        return
    json.dumps({"expand": True})


def downgrade(op, tables, tester):
    pass
