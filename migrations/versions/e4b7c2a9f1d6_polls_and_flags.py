"""Polls, their votes and flags: the room state folded from poll.* and item.flagged
events (issue 18).

Revision ID: e4b7c2a9f1d6
Revises: e7b3c9d1a4f6
Create Date: 2026-11-30 05:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e4b7c2a9f1d6"
down_revision = "e7b3c9d1a4f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "polls",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_polls_author_id_users")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["forum_sessions.id"], name=op.f("fk_polls_session_id_forum_sessions")
        ),
        sa.PrimaryKeyConstraint("session_id", "id", name=op.f("pk_polls")),
    )
    op.create_table(
        "poll_votes",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["forum_sessions.id"],
            name=op.f("fk_poll_votes_session_id_forum_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_poll_votes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("session_id", "poll_id", "user_id", name=op.f("pk_poll_votes")),
    )
    op.create_table(
        "flags",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("flagger_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flagger_id"], ["users.id"], name=op.f("fk_flags_flagger_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_flags_resolved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["forum_sessions.id"], name=op.f("fk_flags_session_id_forum_sessions")
        ),
        sa.PrimaryKeyConstraint("session_id", "id", name=op.f("pk_flags")),
    )


def downgrade():
    op.drop_table("flags")
    op.drop_table("poll_votes")
    op.drop_table("polls")
