"""artefacts by organisation, kind and school year

Revision ID: scale_0002
Revises: records_0002
Create Date: 2026-12-05 03:00:00

The page of a plan looks up the school's reviews and audits of the year. Before PostgreSQL's
statistics knew of a plan's 3 000 new control items (autovacuum analyses within a minute or so),
it read the year's every artefact through (organisation_id, school_year) to find none: 14–25 ms
on each view. With the kind in the index the lookup reads only what it returns.
"""
from alembic import op


revision = 'scale_0002'
down_revision = 'records_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.create_index('ix_artefacts_org_kind_year', ['organisation_id', 'kind', 'school_year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.drop_index('ix_artefacts_org_kind_year')
