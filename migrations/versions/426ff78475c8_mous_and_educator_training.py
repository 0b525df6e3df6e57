"""MOUs with partner regions, and educator-training events with their participants (a
list of names and schools, or a head count where names are not kept).

Revision ID: 426ff78475c8
Revises: 5e2a7c41b9d3
Create Date: 2026-11-30 02:26:46.899609

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '426ff78475c8'
down_revision = '5e2a7c41b9d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mous',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('planned', 'signed', name='mou_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('academic_year', sa.SmallInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mous_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mous'))
    )
    with op.batch_alter_table('mous', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mous_academic_year'), ['academic_year'], unique=False)

    op.create_table('training_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('task_force', 'host_family', 'seminar', 'other', name='training_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('academic_year', sa.SmallInteger(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('head_count', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_training_events_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_events'))
    )
    with op.batch_alter_table('training_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_events_academic_year'), ['academic_year'], unique=False)

    op.create_table('training_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('school', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['training_events.id'], name=op.f('fk_training_participants_event_id_training_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_participants'))
    )
    with op.batch_alter_table('training_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_participants_event_id'), ['event_id'], unique=False)



def downgrade():
    with op.batch_alter_table('training_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_participants_event_id'))

    op.drop_table('training_participants')
    with op.batch_alter_table('training_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_events_academic_year'))

    op.drop_table('training_events')
    with op.batch_alter_table('mous', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mous_academic_year'))

    op.drop_table('mous')
