"""district monitoring: a school's card links the corrective-action plan the school answered it with

Revision ID: district_0002
Revises: district_0001
Create Date: 2026-12-04 23:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'district_0002'
down_revision = 'district_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('monitoring_school_cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corrective_plan_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_monitoring_school_cards_corrective_plan_id_artefacts'),
                                    'artefacts', ['corrective_plan_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('monitoring_school_cards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_monitoring_school_cards_corrective_plan_id_artefacts'),
                                 type_='foreignkey')
        batch_op.drop_column('corrective_plan_id')
