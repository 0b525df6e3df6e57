"""Showcase sessions: an exchange's kind (an exchange, or a showcase the Alliance
schedules) and a showcase class's part (presenting or audience).

Revision ID: f4b2d8e6a1c3
Revises: e4b7c2a9f1d6
Create Date: 2026-11-30 06:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4b2d8e6a1c3'
down_revision = 'e4b7c2a9f1d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='exchange'))
    with op.batch_alter_table('exchange_classes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('exchange_classes', schema=None) as batch_op:
        batch_op.drop_column('part')
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_column('kind')
