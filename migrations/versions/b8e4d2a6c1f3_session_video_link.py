"""A session's video-call link (https), shown to its members in the room while live.

Revision ID: b8e4d2a6c1f3
Revises: 7c3d9a1e5f20
Create Date: 2026-11-30 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e4d2a6c1f3'
down_revision = '7c3d9a1e5f20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('forum_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_url', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('forum_sessions', schema=None) as batch_op:
        batch_op.drop_column('video_url')
