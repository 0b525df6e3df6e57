"""Who rescheduled or cancelled a session, and when (the other school's teachers see it
on their home page); a school's city.

Revision ID: 7c3d9a1e5f20
Revises: 426ff78475c8
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3d9a1e5f20'
down_revision = '426ff78475c8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('forum_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rescheduled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('rescheduled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_forum_sessions_cancelled_by_id_users'),
                                    'users', ['cancelled_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_forum_sessions_rescheduled_by_id_users'),
                                    'users', ['rescheduled_by_id'], ['id'])
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_column('city')
    with op.batch_alter_table('forum_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_forum_sessions_rescheduled_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_forum_sessions_cancelled_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('rescheduled_by_id')
        batch_op.drop_column('rescheduled_at')
        batch_op.drop_column('cancelled_by_id')
