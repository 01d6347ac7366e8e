"""FHIR R4 (4.0.1) interface: reads, searches, $everything and transaction import, through the
same policy, services and audit as the pages."""
