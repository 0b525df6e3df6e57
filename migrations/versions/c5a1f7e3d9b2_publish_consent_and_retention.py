"""Students' consent to publication (and every change of it, with who made it), and
when retention replaced a student's name with a pseudonym.

Revision ID: c5a1f7e3d9b2
Revises: b8e4d2a6c1f3
Create Date: 2026-11-30 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a1f7e3d9b2'
down_revision = 'b8e4d2a6c1f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publish_consent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('name_erased_at', sa.DateTime(), nullable=True))
    op.create_table(
        'consent_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('consent', sa.Boolean(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['student_id'], ['users.id'],
                                name=op.f('fk_consent_changes_student_id_users')),
        sa.ForeignKeyConstraint(['by_id'], ['users.id'],
                                name=op.f('fk_consent_changes_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_changes')),
    )
    with op.batch_alter_table('consent_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_changes_student_id'), ['student_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('consent_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_changes_student_id'))
    op.drop_table('consent_changes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('name_erased_at')
        batch_op.drop_column('publish_consent')
