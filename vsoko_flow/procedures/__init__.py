"""The rules, actions and document sources of each domain, registered by name for the workflow
files. One module per domain: a reader looking for everything about meetings opens one file.

- common    — what every kind uses: generic rules and actions, people, dates, titles in documents;
- acts      — local normative acts (Положение) and their editions, councils' opinions;
- councils  — adoption by the pedagogical council and approval by the director's order;
- control   — rows on control: control items, reports and acceptance, execution reports;
- plans     — plans and roadmaps: the plan table, the approval order, the yearly reports;
- meetings  — meetings of a school's bodies: agenda, votes, protocols, extracts;
- acting    — acting for another (И.о. директора): whose duties a member performs, and when;
- signatures — who signs each document, by the names templates give in ``signers``.
"""
from . import acting, acts, common, control, councils, meetings, plans, signatures  # noqa: F401  (registration)
