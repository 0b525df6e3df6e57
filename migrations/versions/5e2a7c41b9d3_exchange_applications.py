"""Exchange applications: states, partner acceptance, the Alliance's decision, and
every decision kept. Exchanges made before applications become approved, with every
class accepted.

Revision ID: 5e2a7c41b9d3
Revises: 3b1f0c2d9e71
Create Date: 2026-11-30 00:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e2a7c41b9d3'
down_revision = '3b1f0c2d9e71'
branch_labels = None
depends_on = None

OLD_STATUSES = ('active', 'completed', 'cancelled')
NEW_STATUSES = ('proposed', 'approved', 'declined', 'withdrawn', 'completed')
ALLIANCE = ('pending', 'approved', 'returned', 'declined')
ACTIONS = ('propose', 'accept', 'decline', 'pair', 'approve', 'return', 'reject',
           'withdraw', 'complete')


def _in(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    # The status CHECK changes its values: drop it, move the rows, put the new one.
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_exchanges_exchange_status'), type_='check')
    op.execute("UPDATE exchanges SET status = 'approved' WHERE status = 'active'")
    op.execute("UPDATE exchanges SET status = 'withdrawn' WHERE status = 'cancelled'")
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.create_check_constraint('exchange_status', _in(NEW_STATUSES))
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('goals', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('partner_country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('alliance', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('proposer_class_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_exchanges_proposer_class_id_classes'),
                                    'classes', ['proposer_class_id'], ['id'],
                                    ondelete='SET NULL')
    # Exchanges made before this contract count as approved.
    op.execute("UPDATE exchanges SET alliance = 'approved'")
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.alter_column('alliance', existing_type=sa.String(length=16),
                              type_=sa.Enum(*ALLIANCE, name='alliance_decision',
                                            native_enum=False, create_constraint=True,
                                            length=16),
                              nullable=False)

    with op.batch_alter_table('exchange_classes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted', sa.Boolean(), nullable=True))
    op.execute("UPDATE exchange_classes SET accepted = TRUE")

    op.create_table('exchange_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.Enum(*ACTIONS, name='decision_action', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_exchange_decisions_by_id_users')),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_exchange_decisions_class_id_classes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_exchange_decisions_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_decisions'))
    )
    with op.batch_alter_table('exchange_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_decisions_exchange_id'), ['exchange_id'], unique=False)


def downgrade():
    with op.batch_alter_table('exchange_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_decisions_exchange_id'))
    op.drop_table('exchange_decisions')

    with op.batch_alter_table('exchange_classes', schema=None) as batch_op:
        batch_op.drop_column('accepted')

    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_exchanges_exchange_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_exchanges_alliance_decision'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_exchanges_proposer_class_id_classes'),
                                 type_='foreignkey')
        for column in ('proposer_class_id', 'summary', 'comment', 'alliance',
                       'partner_country', 'goals', 'ends_on', 'starts_on'):
            batch_op.drop_column(column)
    # Applications that never became exchanges have no place in the old model.
    op.execute("UPDATE exchanges SET status = 'active' WHERE status = 'approved'")
    op.execute("UPDATE exchanges SET status = 'cancelled' "
               "WHERE status IN ('proposed', 'declined', 'withdrawn')")
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.create_check_constraint('exchange_status', _in(OLD_STATUSES))
