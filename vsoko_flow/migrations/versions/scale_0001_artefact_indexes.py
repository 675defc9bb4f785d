"""artefact indexes by organisation: (organisation_id, id) and (organisation_id, school_year)

Revision ID: scale_0001
Revises: signatures_0001
Create Date: 2026-12-04 22:30:00

A school's lists count its artefacts and list its school years; without these indexes one school's
query scanned the rows of every other school.
"""
from alembic import op


revision = 'scale_0001'
down_revision = 'signatures_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.create_index('ix_artefacts_org_id', ['organisation_id', 'id'], unique=False)
        batch_op.create_index('ix_artefacts_org_school_year', ['organisation_id', 'school_year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.drop_index('ix_artefacts_org_school_year')
        batch_op.drop_index('ix_artefacts_org_id')
