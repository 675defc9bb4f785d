"""The rules, actions and document sources of each domain, registered by name for the workflow
files. One module per domain: a reader looking for everything about meetings opens one file.

- common    — what every kind uses: generic rules and actions, people, dates, titles in documents;
- acts      — local normative acts (Положение) and their editions, councils' opinions;
- acquaintance — after an act's order: employees acknowledge it (or the signed sheet), its publication on the site;
- councils  — adoption by the pedagogical council and approval by the director's order;
- control   — rows on control: control items, reports and acceptance, execution reports;
- plans     — plans and roadmaps: the plan table, the approval order, the yearly reports;
- meetings  — meetings of a school's bodies: agenda, votes, protocols, extracts;
- children  — artefacts an action creates (children) or moves (system transitions of another artefact);
- audits    — internal audits: programme, checklists, order, act;
- findings  — findings of audits: evidence, recurrence, correction, causes;
- corrective — corrective-action plans, new actions, effectiveness checks;
- review    — «Анализ функционирования ВСОКО» of a school year: figures with sources, charts, next year's plan.
- acting    — acting for another (И.о. директора): whose duties a member performs, and when;
- signatures — who signs each document, by the names templates give in ``signers``.
- monitoring — district monitoring of the schools' ВСОКО: expert cards, scores, automatic answers, campaigns.
"""
from . import (  # noqa: F401  (registration)
    acquaintance, acting, acts, audits, children, common, control, corrective, councils, findings, meetings, monitoring,
    plans, review, signatures,
)
