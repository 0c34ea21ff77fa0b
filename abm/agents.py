"""Mesa agents as views into the model's arrays.

Reading ``clinician.engagement`` reads ``model.state.engagement[clinician.index]``; writing it writes
the array. Agents hold no numbers of their own, so the mechanisms stay array code while users,
interactive screens and Mesa tools keep the familiar agent handles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from abm.config import KINDS, ROLES

if TYPE_CHECKING:
    from abm.model import IntegrationModel


class Organization(mesa.Agent):
    """A partner organization (hospital, home care, community, primary care, regional authority)."""

    def __init__(self, model: IntegrationModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return self.model.state.names[self.index]

    @property
    def kind(self) -> str:
        return KINDS[self.model.state.kind[self.index]]

    @property
    def size(self) -> float:
        return float(self.model.state.size[self.index])

    @property
    def resources(self) -> float:
        return float(self.model.state.resources[self.index])

    @property
    def leadership(self) -> float:
        return float(self.model.state.leadership[self.index])

    @property
    def active(self) -> bool:
        return bool(self.model.state.active[self.index])

    @property
    def overload(self) -> float:
        return float(self.model.state.overload[self.index])

    @property
    def clinicians(self) -> list[Clinician]:
        s = self.model.state
        return self.model.clinicians[s.block_start[self.index] : s.block_start[self.index + 1]]

    @property
    def mean_engagement(self) -> float:
        """Mean engagement of its clinicians (``model.org_engagement()``: every organization's at once)."""
        return float(self.model.org_engagement()[self.index])

    def trust_in(self, other: Organization) -> float:
        """How much this organization trusts ``other`` (directed)."""
        return float(self.model.state.trust[self.index, other.index])

    def data_level_with(self, other: Organization) -> int:
        return int(self.model.state.data_level[self.index, other.index])


class Clinician(mesa.Agent):
    """A clinician of one organization: role, engagement, practice view, champion flag."""

    def __init__(self, model: IntegrationModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def organization(self) -> Organization:
        return self.model.organizations[int(self.model.state.clin_org[self.index])]

    @property
    def role(self) -> str:
        return ROLES[self.model.state.role[self.index]]

    @property
    def engagement(self) -> float:
        return float(self.model.state.engagement[self.index])

    @engagement.setter
    def engagement(self, value: float) -> None:
        self.model.state.engagement[self.index] = min(1.0, max(0.0, value))

    @property
    def view(self) -> np.ndarray:
        return self.model.state.views[self.index]

    @property
    def champion(self) -> bool:
        return bool(self.model.state.champion[self.index])

    @property
    def active(self) -> bool:
        return bool(self.model.state.active[self.model.state.clin_org[self.index]])
