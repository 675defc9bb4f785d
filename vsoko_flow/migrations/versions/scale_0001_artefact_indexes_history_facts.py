"""artefact indexes by organisation; facts sealed in history entries

Revision ID: scale_0001
Revises: inbox_0001
Create Date: 2026-12-04 22:30:00

A school's lists count its artefacts and list its school years; without these indexes one school's
query scanned the rows of every other school. history_entries.facts: digests of what an entry
vouches for (models/facts.py); «{}» in the entries written before, whose hashes do not cover it.
"""
from alembic import op
import sqlalchemy as sa


revision = 'scale_0001'
down_revision = 'inbox_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.create_index('ix_artefacts_org_id', ['organisation_id', 'id'], unique=False)
        batch_op.create_index('ix_artefacts_org_school_year', ['organisation_id', 'school_year'], unique=False)
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.drop_column('facts')
    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.drop_index('ix_artefacts_org_school_year')
        batch_op.drop_index('ix_artefacts_org_id')
