"""act types (номенклатура ЛНА): one edition in force per act type; acquaintance lists

Revision ID: records_0001
Revises: district_0002
Create Date: 2026-12-04 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'records_0001'
down_revision = 'district_0002'
branch_labels = None
depends_on = None

IN_FORCE = "state = 'in_force' AND act_type_id IS NOT NULL"


def upgrade() -> None:
    op.create_table('act_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('council_grif', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_act_types_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_act_types')),
    sa.UniqueConstraint('organisation_id', 'name_key', name=op.f('uq_act_types_organisation_id_name_key'))
    )
    with op.batch_alter_table('act_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_act_types_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('acquaintances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('artefact_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['artefact_id'], ['artefacts.id'], name=op.f('fk_acquaintances_artefact_id_artefacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_acquaintances_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_acquaintances_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acquaintances')),
    sa.UniqueConstraint('artefact_id', 'user_id', name=op.f('uq_acquaintances_artefact_id_user_id'))
    )
    with op.batch_alter_table('acquaintances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acquaintances_artefact_id'), ['artefact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acquaintances_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('act_type_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_artefacts_act_type_id_act_types'), 'act_types', ['act_type_id'], ['id'])
    _type_existing_acts()
    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.create_index('uq_artefacts_one_in_force_per_act_type', ['organisation_id', 'act_type_id'], unique=True,
                              sqlite_where=sa.text(IN_FORCE), postgresql_where=sa.text(IN_FORCE))


def _type_existing_acts() -> None:
    """Acts stored before types existed get the type named by their title (the rule they were held to);
    a new edition takes the type of the one it supersedes."""
    conn = op.get_bind()
    acts = conn.execute(sa.text(
        "SELECT id, organisation_id, title, supersedes_id FROM artefacts WHERE kind = 'polozhenie' ORDER BY id")).all()
    types: dict[tuple[int, str], int] = {}
    typed: dict[int, int] = {}
    for act_id, organisation_id, title, supersedes_id in acts:
        if supersedes_id in typed:
            typed[act_id] = typed[supersedes_id]
        else:
            key = " ".join(title.split()).lower()[:300]
            if (organisation_id, key) not in types:
                types[(organisation_id, key)] = conn.execute(
                    sa.text("INSERT INTO act_types (organisation_id, name, name_key, council_grif, created_at) "
                            "VALUES (:o, :n, :k, 'adopted', CURRENT_TIMESTAMP) RETURNING id"),
                    {"o": organisation_id, "n": " ".join(title.split())[:300], "k": key}).scalar_one()
            typed[act_id] = types[(organisation_id, key)]
        conn.execute(sa.text("UPDATE artefacts SET act_type_id = :t WHERE id = :a"), {"t": typed[act_id], "a": act_id})


def downgrade() -> None:
    op.drop_table('acquaintances')
    with op.batch_alter_table('artefacts', schema=None) as batch_op:
        batch_op.drop_index('uq_artefacts_one_in_force_per_act_type')
        batch_op.drop_constraint(batch_op.f('fk_artefacts_act_type_id_act_types'), type_='foreignkey')
        batch_op.drop_column('act_type_id')
    with op.batch_alter_table('act_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_act_types_organisation_id'))
    op.drop_table('act_types')
