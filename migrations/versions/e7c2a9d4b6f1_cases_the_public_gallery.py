"""Cases for the public gallery: a completed exchange told from its sealed records —
its texts per language, the sessions it draws on, its excerpts, and every step of it
(drafted, submitted, published, sent back) with who and when.

Revision ID: e7c2a9d4b6f1
Revises: c5a1f7e3d9b2
Create Date: 2026-11-30 05:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e7c2a9d4b6f1"
down_revision = "c5a1f7e3d9b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "published",
                "returned",
                name="case_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("sdgs", sa.JSON(), nullable=False),
        sa.Column("academic_year", sa.SmallInteger(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_cases_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["exchanges.id"], name=op.f("fk_cases_exchange_id_exchanges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_academic_year"), ["academic_year"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_exchange_id"), ["exchange_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)

    op.create_table(
        "case_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "draft",
                "edit",
                "submit",
                "publish",
                "reject",
                name="case_action",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_case_decisions_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_decisions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_decisions")),
    )
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_decisions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_excerpts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_excerpts_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["forum_sessions.id"],
            name=op.f("fk_case_excerpts_session_id_forum_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_excerpts")),
    )
    with op.batch_alter_table("case_excerpts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_excerpts_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_sessions",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_sessions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["forum_sessions.id"],
            name=op.f("fk_case_sessions_session_id_forum_sessions"),
        ),
        sa.PrimaryKeyConstraint("case_id", "session_id", name=op.f("pk_case_sessions")),
    )
    op.create_table(
        "case_texts",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_texts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "lang", name=op.f("pk_case_texts")),
    )


def downgrade():
    op.drop_table("case_texts")
    op.drop_table("case_sessions")
    with op.batch_alter_table("case_excerpts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_excerpts_case_id"))

    op.drop_table("case_excerpts")
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_decisions_case_id"))

    op.drop_table("case_decisions")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index(batch_op.f("ix_cases_published_at"))
        batch_op.drop_index(batch_op.f("ix_cases_exchange_id"))
        batch_op.drop_index(batch_op.f("ix_cases_academic_year"))

    op.drop_table("cases")
