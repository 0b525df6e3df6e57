"""Name reveals: a teacher's choice that reviewers read a session's students by name

Revision ID: 3b1f0c2d9e71
Revises: dda9b2482ed8
Create Date: 2026-11-30 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b1f0c2d9e71'
down_revision = 'dda9b2482ed8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('name_reveals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('revealed', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_name_reveals_by_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['forum_sessions.id'], name=op.f('fk_name_reveals_session_id_forum_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_name_reveals'))
    )
    with op.batch_alter_table('name_reveals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_name_reveals_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('name_reveals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_name_reveals_session_id'))

    op.drop_table('name_reveals')
