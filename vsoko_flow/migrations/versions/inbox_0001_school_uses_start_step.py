"""a school's choice whether executors mark control items «Взять в работу»; plan rows' deadlines in words

Revision ID: inbox_0001
Revises: signatures_0001
Create Date: 2026-12-04 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'inbox_0001'
down_revision = 'signatures_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uses_start_step', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_description', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.drop_column('deadline_description')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('uses_start_step')
