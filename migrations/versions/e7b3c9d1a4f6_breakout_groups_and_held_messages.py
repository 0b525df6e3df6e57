"""Breakout groups and held messages: the groups folded from the log, the group a
message or note was said in, whether a message is held for the teachers, the room's
"teacher approves every message" switch, and the platform's word lists.

Revision ID: e7b3c9d1a4f6
Revises: e7c2a9d4b6f1
Create Date: 2026-11-30 05:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e7b3c9d1a4f6"
down_revision = "e7c2a9d4b6f1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("forum_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approve_all", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
    op.create_table(
        "breakout_groups",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("formed_seq", sa.Integer(), nullable=False),
        sa.Column("ended_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["forum_sessions.id"],
            name=op.f("fk_breakout_groups_session_id_forum_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "id", name=op.f("pk_breakout_groups")),
    )
    op.create_table(
        "held_words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.Column("normalized", sa.String(length=200), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_held_words_added_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_words")),
        sa.UniqueConstraint("lang", "normalized", name="uq_held_words_lang_word"),
    )


def downgrade():
    op.drop_table("held_words")
    op.drop_table("breakout_groups")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_column("group_id")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("held")
        batch_op.drop_column("group_id")
    with op.batch_alter_table("forum_sessions", schema=None) as batch_op:
        batch_op.drop_column("approve_all")
