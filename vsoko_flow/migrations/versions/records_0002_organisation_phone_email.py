"""organisation phone and e-mail: printed on outgoing letters

Revision ID: records_0002
Revises: records_0001
Create Date: 2026-12-04 23:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'records_0002'
down_revision = 'records_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.drop_column('email')
        batch_op.drop_column('phone')
