from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "samplan.fhir"
    label = "fhir_api"
    verbose_name = "FHIR R4"
