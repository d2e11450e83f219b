"""Initial schema: settings, people, guardians, channels, consent history, templates, accounts,
devices, the audit log.

Portable on SQLite and PostgreSQL: enums are VARCHAR(32) with named CHECK constraints (no native
PostgreSQL enum types exist, so downgrade has none to drop), booleans default through
sa.true()/sa.false(), and datetimes are naive UTC (consent_db.models.base.UtcDateTime).

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def _enum_check(table: str, column: str, name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{name}"))


def _fk(column: str, table: str, target: str, ondelete: str = "RESTRICT") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("consent_ends_on_leaving", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("surname", sa.String(100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("leaving_date", sa.Date(), nullable=True),
        sa.Column("room", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _enum_check("people", "kind", "person_kind", ("child", "staff")),
        _fk("setting_id", "people", "settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_index("ix_people_setting_kind", "people", ["setting_id", "kind"])
    op.create_table(
        "guardians",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("setting_id", "guardians", "settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardians")),
        sa.UniqueConstraint("setting_id", "email", name="uq_guardians_setting_email"),
    )
    op.create_table(
        "guardian_links",
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parental_responsibility", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("child_id", "guardian_links", "people", "CASCADE"),
        _fk("guardian_id", "guardian_links", "guardians", "CASCADE"),
        sa.PrimaryKeyConstraint("guardian_id", "child_id", name=op.f("pk_guardian_links")),
    )
    op.create_index(op.f("ix_guardian_links_child_id"), "guardian_links", ["child_id"])
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("target", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("setting_id", "channels", "settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("setting_id", "slug", name="uq_channels_setting_slug"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("guardian_id", sa.Integer(), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("totp_secret", sa.String(255), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(), nullable=True),
        _enum_check("accounts", "role", "account_role", ("manager", "staff", "parent")),
        _fk("guardian_id", "accounts", "guardians"),
        _fk("person_id", "accounts", "people"),
        _fk("setting_id", "accounts", "settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("paired_by_account_id", sa.Integer(), nullable=True),
        sa.Column("paired_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        _fk("paired_by_account_id", "devices", "accounts"),
        _fk("setting_id", "devices", "settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
    )
    op.create_table(
        "pairing_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_by_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        _fk("created_by_account_id", "pairing_codes", "accounts"),
        _fk("device_id", "pairing_codes", "devices"),
        _fk("setting_id", "pairing_codes", "settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_pairing_codes_code_hash")),
    )
    op.create_table(
        "consent_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("face_matching", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("given_by", sa.String(32), nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        _enum_check("consent_decisions", "decision", "consent_decision", ("grant", "refuse")),
        _enum_check(
            "consent_decisions", "given_by", "consent_given_by", ("guardian", "self", "manager", "child_objection")
        ),
        _enum_check(
            "consent_decisions", "method", "consent_method", ("portal", "paper_form", "dashboard", "cli")
        ),
        sa.CheckConstraint(
            "(given_by IN ('guardian', 'manager')) OR guardian_id IS NULL",
            name=op.f("ck_consent_decisions_guardian_only_for_guardian_voices"),
        ),
        sa.CheckConstraint(
            "(face_matching AND channel_id IS NULL) OR (NOT face_matching AND channel_id IS NOT NULL)",
            name=op.f("ck_consent_decisions_one_purpose"),
        ),
        _fk("actor_account_id", "consent_decisions", "accounts"),
        _fk("channel_id", "consent_decisions", "channels", "CASCADE"),
        _fk("device_id", "consent_decisions", "devices"),
        _fk("guardian_id", "consent_decisions", "guardians"),
        _fk("person_id", "consent_decisions", "people", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_decisions")),
    )
    op.create_index(
        "ix_consent_decisions_person_purpose", "consent_decisions", ["person_id", "channel_id", "recorded_at"]
    )
    op.create_table(
        "face_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sealed_template", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_photo", sa.LargeBinary(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("enrolled_by_account_id", sa.Integer(), nullable=True),
        _fk("enrolled_by_account_id", "face_templates", "accounts"),
        _fk("person_id", "face_templates", "people", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_templates")),
    )
    op.create_index(op.f("ix_face_templates_person_id"), "face_templates", ["person_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=True),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(200), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(100), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_subject"), "audit_events", ["subject"])
    op.create_index(op.f("ix_audit_events_tag"), "audit_events", ["tag"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    # The one row writers lock; seeded here so two first writers cannot both create it.
    op.bulk_insert(head, [{"id": 1, "last_event_id": 0, "last_hash": GENESIS_HASH}])


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_index(op.f("ix_audit_events_tag"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_subject"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_face_templates_person_id"), table_name="face_templates")
    op.drop_table("face_templates")
    op.drop_index("ix_consent_decisions_person_purpose", table_name="consent_decisions")
    op.drop_table("consent_decisions")
    op.drop_table("pairing_codes")
    op.drop_table("devices")
    op.drop_table("accounts")
    op.drop_table("channels")
    op.drop_index(op.f("ix_guardian_links_child_id"), table_name="guardian_links")
    op.drop_table("guardian_links")
    op.drop_table("guardians")
    op.drop_index("ix_people_setting_kind", table_name="people")
    op.drop_table("people")
    op.drop_table("settings")
