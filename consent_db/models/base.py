"""The declarative base, constraint naming and the column types every model shares."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from consent_db.timeutil import utc

# Named constraints let Alembic drop and batch-alter them identically on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator):
    """Stored as naive UTC (portable), always handed back aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        return None if value is None else utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else utc(value)


def str_enum(enum_cls: type[Enum], name: str) -> sa.Enum:
    """A portable enum: a VARCHAR holding the values, with a named CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        # Room to add values later by changing only the CHECK constraint.
        length=32,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )
