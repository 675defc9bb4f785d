"""The campaign's workflow (workflows/monitoring_campaign.yaml): valid, walked without dead ends in the
district that holds it, and kept out of the schools."""
from __future__ import annotations

import pytest

from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.errors import ServiceError

from .test_no_dead_ends import walk


def test_the_campaign_is_walked_to_every_state_without_a_dead_end(rt, school):
    definition = rt.definition("monitoring_campaign")
    assert definition.organisation_kind == "district"
    result = walk(rt, school, definition, {})
    assert result.problems(definition) == []
    assert set(result.reached) == set(definition.states)


def test_a_school_cannot_hold_a_campaign(rt, school):
    with pytest.raises(ServiceError) as refused:
        create_artefact(rt, school["director"], school.id, "monitoring_campaign")
    assert refused.value.status in (403, 422)
