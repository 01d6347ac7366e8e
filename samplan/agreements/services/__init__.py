"""Writes of agreements, responsibility disputes, SIP leads and fixed SIP times: keyword-only,
explicit actor, `authz.require` first, audited in the same transaction, mail on commit. One
module per kind (`register`: the register, SIP leads and times; `disputes`: disputes on a
plan), used as one namespace: `from samplan.agreements import services`."""

from samplan.agreements.services.disputes import dispute_record, dispute_resolve
from samplan.agreements.services.register import (
    AgreementFields,
    agreement_contact_add,
    agreement_contact_remove,
    agreement_create,
    agreement_update,
    partner_ids,
    sip_lead_add,
    sip_lead_remove,
    sip_time_add,
    sip_time_end,
)

__all__ = [
    "AgreementFields",
    "agreement_contact_add",
    "agreement_contact_remove",
    "agreement_create",
    "agreement_update",
    "dispute_record",
    "dispute_resolve",
    "partner_ids",
    "sip_lead_add",
    "sip_lead_remove",
    "sip_time_add",
    "sip_time_end",
]
